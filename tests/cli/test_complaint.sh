#!/bin/sh
# `complaint open|resolve|list`: a complaint puts a complaint hold on the
# borrower that the contact rules then obey, is due complaint_sla_days
# later and gets its follow-up task; resolving it ends the hold and closes
# the task, once; the overdue list; every change audited; refusals write
# nothing and exit 1 (a record) or 2 (usage).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

export DOORSTEP_DB="$DB"
export DOORSTEP_FOLLOWUP="complaint=review:2,not_home=visit:7"
fixture_db
# a team of the fixture's collector and community worker; a visit on A001
# (borrower B001) and one on A002 (B002)
q "INSERT INTO teams(team_id, branch_id) VALUES ('T1', 'BR01');
   INSERT INTO team_members VALUES ('T1', 'S01'), ('T1', 'S02');
   INSERT INTO visits(visit_id, account_id, team_id, visit_date, state, outcome) VALUES
   (1, 'A001', 'T1', '2026-05-30', 'closed', 'met_borrower'),
   (2, 'A002', 'T1', '2026-05-30', 'closed', 'not_home')"
before=$(count audit_log)

ds_ok complaint open A001 --kind harassment --visit 1 --staff S01 \
	--detail "晚上十点后来电 (called after 22:00)" --at 2026-06-01T10:00
assert_line stdout \
	"complaint 1: harassment on A001 (borrower B001); hold 1 stops all contact; due 2026-06-16T02:00:00Z"
assert_query "B001|A001|1|S01|harassment|晚上十点后来电 (called after 22:00)|1|1" \
	"SELECT borrower_id, account_id, visit_id, staff_id, kind, detail, hold_id,
	 due_at - opened_at = 15 * 86400 FROM complaints WHERE complaint_id = 1"
assert_query "B001|A001|complaint|2026-06-01T02:00:00|1|cli-test|complaint 1 (harassment)" \
	"SELECT borrower_id, account_id, kind, strftime('%Y-%m-%dT%H:%M:%S', starts_at, 'unixepoch'), ends_at IS NULL,
	 set_by, reason FROM holds WHERE hold_id = 1"
assert_query "A001|review|2026-06-03|complaint:1|open" \
	"SELECT account_id, kind, due_date, source, status FROM tasks"
assert_eq "$((before + 3))" "$(count audit_log)" "the complaint, its hold and its task audited"
assert_query "1" "SELECT count(*) FROM audit_log WHERE action = 'complaint_open'
	AND entity_id = '1' AND actor = 'cli-test'"

# the rules read the hold: nothing reaches B001 while it is open
cat >p.jsonl <<'JSONL'
{"id":"sms-held","account_id":"A001","channel":"sms","start":"2026-06-10T10:00:00"}
{"id":"visit-held","account_id":"A005","channel":"visit","start":"2026-06-11T10:00:00","community_visits_week":0}
{"id":"sms-other","account_id":"A003","channel":"sms","start":"2026-06-10T10:00:00"}
JSONL
ds rules --store --history-days 3650 check <p.jsonl
assert_contains stdout '"id":"sms-held","allow":false,"rules":[{"rule":"CN-HOLDS"'
assert_contains stdout '"id":"visit-held","allow":false'
assert_contains stdout '"id":"sms-other","allow":true'

ds_ok --json complaint open A002 --kind fees --at 2026-06-01
assert_contains stdout '"complaint_id": 2'
assert_contains stdout '"borrower_id": "B002"'
assert_contains stdout '"hold_id": 2'
assert_contains stdout '"due_at": "2026-06-15T16:00:00Z"'

# the list: due dates passed only after the day they fall on
ds_ok complaint list --open --as-of 2026-06-15
assert_line stdout "2 complaints as of 2026-06-15, 0 overdue"
ds_ok complaint list --overdue --as-of 2026-06-15
assert_line stdout "0 complaints as of 2026-06-15, 0 overdue"
ds_ok complaint list --overdue --as-of 2026-06-16
assert_line stdout "2 complaints as of 2026-06-16, 2 overdue"
assert_lines_matching stdout '^[12] +A00[12] +B00[12] .* overdue' 2
ds_ok complaint list --open --as-of 2026-05-31
assert_line stdout "0 complaints as of 2026-05-31, 0 overdue"

# resolved: the hold ends then, the task is done, contact may resume
ds_ok complaint resolve 1 --resolution "已致歉，调整联系时段 (apologised)" --at 2026-06-20T09:00
assert_line stdout \
	"complaint 1 resolved at 2026-06-20T01:00:00Z (past its due date); hold 1 ended"
assert_query "已致歉，调整联系时段 (apologised)|cli-test|2026-06-20T01:00:00" \
	"SELECT resolution, resolved_by, strftime('%Y-%m-%dT%H:%M:%S', resolved_at, 'unixepoch') FROM complaints
	 WHERE complaint_id = 1"
assert_query "2026-06-20T01:00:00" "SELECT strftime('%Y-%m-%dT%H:%M:%S', ends_at, 'unixepoch') FROM holds WHERE hold_id = 1"
assert_query "done|cli-test" "SELECT status, done_by FROM tasks WHERE source = 'complaint:1'"
assert_query "1|1" "SELECT sum(action = 'complaint_resolve'), sum(action = 'hold_end') FROM audit_log"
cat >p.jsonl <<'JSONL'
{"id":"sms-during","account_id":"A001","channel":"sms","start":"2026-06-19T10:00:00"}
{"id":"sms-after","account_id":"A001","channel":"sms","start":"2026-07-15T10:00:00"}
JSONL
ds rules --store --history-days 3650 check <p.jsonl
assert_contains stdout '"id":"sms-during","allow":false'
assert_contains stdout '"id":"sms-after","allow":true'

ds_ok --json complaint list --open --as-of 2026-06-30
assert_contains stdout '"count": 1'
assert_contains stdout '"overdue": 1'
assert_contains stdout '"complaint_id": 2'
assert_not_contains stdout '"complaint_id": 1'
ds_ok --json complaint list --as-of 2026-06-30
assert_contains stdout '"count": 2'
assert_contains stdout '"resolved_by": "cli-test"'
assert_contains stdout '"visit_id": 1'
assert_contains stdout '"staff_id": "S01"'

# resolved once only
ds complaint resolve 1 --resolution "again"
assert_status 1 "resolving a resolved complaint"
assert_contains stderr "complaint 1 is already resolved (2026-06-20T01:00:00Z by cli-test)"

# refusals: nothing written
snapshot() {
	q "SELECT (SELECT count(*) FROM complaints) || '/' || (SELECT count(*) FROM holds) || '/' ||
	   (SELECT count(*) FROM tasks) || '/' || (SELECT count(*) FROM audit_log) || '/' ||
	   (SELECT count(*) FROM complaints WHERE resolved_at IS NULL)"
}
n=$(snapshot)
ds complaint open A999 --kind fees
assert_status 1 "unknown account"
assert_contains stderr 'unknown account "A999"'
ds complaint open A001 --kind fees --visit 9
assert_status 1 "unknown visit"
assert_contains stderr "unknown visit 9"
ds complaint open A001 --kind fees --visit 2
assert_status 1 "a visit of another account"
assert_contains stderr 'visit 2 is of account "A002", not "A001"'
ds complaint open A001 --kind fees --staff S99
assert_status 1 "unknown staff member"
assert_contains stderr 'unknown staff member "S99"'
ds complaint open A001 --kind rudeness
assert_status 2 "unknown kind"
assert_contains stderr 'unknown complaint kind "rudeness"'
ds complaint open A001
assert_status 2 "no --kind"
ds complaint open A001 --kind fees --visit first
assert_status 2 "--visit not a number"
ds complaint open A001 --kind fees --at yesterday
assert_status 2 "--at not a time"
ds complaint open A001 --kind fees --detail "$(repeat x 2001)"
assert_status 2 "detail too long"
ds complaint open --kind fees
assert_status 2 "no account"
ds complaint resolve 2
assert_status 2 "no --resolution"
ds complaint resolve 2 --resolution ""
assert_status 2 "empty resolution"
ds complaint resolve 2 --resolution "$(repeat y 1001)"
assert_status 2 "resolution too long"
assert_contains stderr "at most 1000 bytes"
ds complaint resolve two --resolution "settled"
assert_status 2 "not a complaint id"
ds complaint resolve 9 --resolution "settled"
assert_status 1 "unknown complaint"
assert_contains stderr "unknown complaint 9"
ds complaint resolve 2 --resolution "settled" --at 2026-05-01
assert_status 1 "resolved before it was opened"
ds complaint list extra
assert_status 2 "list takes no arguments"
ds complaint list --as-of 2026-13-01
assert_status 2 "bad --as-of"
ds complaint
assert_status 2 "no subcommand"
ds complaint reopen 1
assert_status 2 "unknown subcommand"
assert_eq "$n" "$(snapshot)" "refusals write nothing"

ds_ok complaint --help
assert_contains stdout "usage: doorstep complaint open ACCOUNT --kind K"
assert_contains stdout "third_party"

# exactly 1000 bytes is a resolution; the hold of 2 ends
ds_ok complaint resolve 2 --resolution "$(repeat y 1000)" --at 2026-06-05
assert_contains stdout "complaint 2 resolved at 2026-06-04T16:00:00Z; hold 2 ended"
assert_query "0" "SELECT count(*) FROM holds WHERE ends_at IS NULL"

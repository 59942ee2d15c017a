#!/bin/sh
# `installment calc|offer|decide|track|show`: the schedule without a
# database; offers by role (a collector's small plan active at once, a
# larger or waived one waiting for a manager, community workers and
# strangers refused, one plan per account, affordability and its
# override); maker-checker decisions; adherence tracked from payments, a
# broken plan with its follow-up task; tracking twice changes nothing;
# usage errors exit 2, refusals 1, nothing written by a refusal.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# as ACTOR ARGS... : runs doorstep as that staff member.
as() {
	DOORSTEP_ACTOR=$1
	export DOORSTEP_ACTOR
	shift
	ds "$@"
}

# ------------------------------------------------------------------ calc
ds_ok installment calc --balance 1000 --installments 3 --first-due 2024-01-31
squeeze "$OUT" >calc.txt
assert_line calc.txt "1 2024-01-31 333.34"
assert_line calc.txt "2 2024-02-29 333.33"
assert_line calc.txt "3 2024-03-31 333.33"
assert_line calc.txt "total 1000.00 yuan in 3 installments"
[ -e doorstep.db ] && fail "calc needs no database and makes none"
ds_ok --json installment calc --balance 1200.05 --installments 2 --first-due 2026-12-31 \
	--waiver 200 --waiver-kind interest
assert_contains stdout '"total_fen": 100005'
assert_contains stdout '"waiver_kind": "interest"'
assert_contains stdout '"due_date": "2027-01-31"'
assert_lines_matching stdout '"amount_fen": 5000[23]' 2
ds installment calc --balance 1000 --installments 61 --first-due 2024-01-31
assert_status 1 "61 installments"
assert_contains stderr "--installments: must be from 1 to 60, not 61"
ds installment calc --balance 1000 --installments 3 --first-due 2024-01-31 --waiver 10
assert_status 1 "a waiver without its kind"
assert_contains stderr "--waiver-kind: a waiver needs its kind"
ds installment calc --balance 1000 --installments 3 --first-due 2024-01-31 --waiver 1000 \
	--waiver-kind fees
assert_status 1 "waiving it all"
assert_contains stderr "--waiver: 1000.00 yuan must be less than the balance"
ds installment calc --balance 12,000 --installments 3 --first-due 2024-01-31
assert_status 2 "not yuan"
assert_contains stderr '--balance: not an amount in yuan: "12,000"'
ds installment calc --balance 1000 --installments three --first-due 2024-01-31
assert_status 2 "not a number"
ds installment calc --balance 1000 --installments 3 --first-due 2024-02-30
assert_status 2 "not a date"
assert_contains stderr "--first-due: not a date"
ds installment calc --balance 1000 --installments 3
assert_status 2 "no first date"
ds installment calc --balance 1000 --installments 3 --first-due 2024-01-31 --note hi
assert_status 2 "an option of another subcommand"
ds installment
assert_status 2 "no subcommand"
ds installment frobnicate
assert_status 2 "unknown subcommand"
ds_ok installment --help
assert_contains stdout "usage: doorstep installment calc"

# ----------------------------------------------------------------- store
export DOORSTEP_DB="$DB"
fixture_db
cat >staff_more.csv <<'CSV'
staff_id,name,role,branch_id,community_id,phone,skills,home_lat,home_lon,shift_start,shift_end,hired_date,active
M1,周经理,manager,BR01,,,,,,,,2015-03-01,1
M2,吴经理,manager,BR02,,,,,,,,2016-03-01,1
N1,郑分析,analyst,BR01,,,,,,,,2019-03-01,1
CSV
ds_ok import staff staff_more.csv
AT=2024-03-01T10:00:00+08:00

# a collector's plan within the limits: active at once; the balance is the account's
as S01 installment offer A001 --installments 4 --first-due 2024-04-15 --at "$AT"
assert_status 0
assert_contains stdout "plan 1 offered"
assert_contains stdout "plan 1 on A001: active"
assert_contains stdout "installment 500.00 within 30% of income 8500.00 (2550.00)"
assert_query "active|200000|0|S01|S01|4|2024-04-15" \
	"SELECT status, total_fen, waiver_fen, created_by, approved_by, installments, first_due
	 FROM plans WHERE plan_id = 1"
assert_query "2024-04-15,2024-05-15,2024-06-15,2024-07-15|200000" \
	"SELECT group_concat(due_date), sum(amount_fen) FROM
	 (SELECT * FROM plan_installments WHERE plan_id = 1 ORDER BY seq)"
assert_query "1|S01" "SELECT count(*), actor FROM audit_log WHERE action = 'plan_offer'"

# refusals write nothing
plans=$(count plans)
audits=$(count audit_log)
as M1 installment offer A001 --installments 2 --first-due 2024-04-15 --at "$AT"
assert_status 1 "a second plan"
assert_contains stderr 'account: account "A001" already has plan 1 (active): one plan at a time'
as S02 installment offer A002 --installments 2 --first-due 2024-04-15 --at "$AT"
assert_status 1 "a community worker"
assert_contains stderr "community workers do not offer plans"
as cli-test installment offer A002 --installments 2 --first-due 2024-04-15 --at "$AT"
assert_status 1 "not on the staff"
assert_contains stderr 'actor: "cli-test" is not on the staff'
as S03 installment offer A002 --installments 2 --first-due 2024-04-15 --at "$AT"
assert_status 1 "no longer active"
as N1 installment offer A002 --installments 2 --first-due 2024-04-15 --at "$AT"
assert_status 1 "an analyst"
as S01 installment offer A999 --installments 2 --first-due 2024-04-15 --at "$AT"
assert_status 1 "unknown account"
assert_contains stderr 'no account "A999"'
as S01 installment offer A002 --installments 2 --first-due 2024-02-15 --at "$AT"
assert_status 1 "first date before the offer"
assert_contains stderr "--first-due: before the day of the offer (2024-03-01)"
as S01 installment offer A002 --installments 2 --first-due 2024-04-15 --visit 5 --at "$AT"
assert_status 1 "no such visit"
assert_contains stderr "--visit: no visit 5"
# B004 earns 3,000 yuan: 42,000 over 24 months is too much
as S01 installment offer A004 --installments 24 --first-due 2024-04-01 --at "$AT"
assert_status 1 "not affordable"
assert_contains stderr "affordability: not affordable: installment 1750.00 above 30% of income 3000.00 (900.00) (--override-affordability offers it anyway, recorded)"
as S01 installment offer --installments 2 --first-due 2024-04-15
assert_status 2 "no account"
as S01 installment offer A002 --installments 2 --first-due 2024-04-15 --visit x
assert_status 2 "bad visit id"
assert_eq "$plans" "$(count plans)" "refused offers write no plan"
assert_eq "$audits" "$(count audit_log)" "refused offers write no audit entry"

# overridden, and above the collector's 12 installments: waits for a manager
as S01 --json installment offer A004 --installments 24 --first-due 2024-04-01 \
	--override-affordability --at "$AT"
assert_status 0
assert_contains stdout '"status": "pending_approval"'
assert_contains stdout '"override": true'
assert_query "pending_approval||1|0" \
	"SELECT status, approved_by, json_extract(affordability, '$.override'),
	 json_extract(affordability, '$.affordable') FROM plans WHERE plan_id = 2"
assert_query "1" "SELECT json_extract(detail, '$.override_affordability') FROM audit_log
	WHERE action = 'plan_offer' AND entity_id = '2'"
as S01 installment decide 2 approve --at 2024-03-02T09:00:00+08:00
assert_status 1 "a collector approves"
assert_contains stderr "only a manager approves or rejects plans"
as M1 installment decide 2 approve --note "income checked at the branch" \
	--at 2024-03-02T09:00:00+08:00
assert_status 0
assert_contains stdout "plan 2 approved: active"
assert_query "active|M1|2024-03-02 01:00:00" \
	"SELECT status, approved_by, datetime(approved_at, 'unixepoch') FROM plans WHERE plan_id = 2"
assert_query "M1|income checked at the branch" \
	"SELECT actor, json_extract(detail, '$.note') FROM audit_log WHERE action = 'plan_approve'"
as M2 installment decide 2 reject
assert_status 1 "deciding twice"
assert_contains stderr "plan 2 is active, not pending approval"

# a waiver: maker-checker, whoever offers it
as M1 installment offer A002 --balance 500 --waiver 50 --waiver-kind fees --installments 3 \
	--first-due 2024-04-10 --at "$AT"
assert_status 0
assert_contains stdout "plan 3 on A002: pending_approval"
assert_contains stdout "balance 500.00, fees 50.00 waived: 450.00 yuan in 3 installments"
as M1 installment decide 3 approve
assert_status 1 "the maker approves"
assert_contains stderr "maker-checker"
as M2 --json installment decide 3 reject --note "waiver not justified"
assert_status 0
assert_contains stdout '"status": "rejected"'
assert_query "rejected" "SELECT status FROM plans WHERE plan_id = 3"
ds installment decide 3 maybe
assert_status 2 "neither approve nor reject"
ds installment decide x approve
assert_status 2 "not a plan id"
as M2 installment decide 99 approve
assert_status 1 "no such plan"

# ----------------------------------------------------------------- track
# A001 (approved 2024-03-01): the fixture's 600.00 of 2024-03-10 pays the
# first early and spills 100 into the second, then 500 and 300 more;
# A004 (approved 2024-03-02): only a payment before the approval day, so
# two installments are missed by 2024-05-12 and the plan breaks
cat >plan_payments.csv <<'CSV'
payment_id,account_id,value_date,paid_at,amount,channel,reference
Q101,A001,2024-04-15,,500.00,transfer,
Q102,A001,2024-05-20,,300.00,app,
Q103,A004,2024-03-01,,2000.00,branch,
CSV
ds_ok import payments plan_payments.csv
ds_ok dpd --as-of 2024-07-01
cp "$OUT" dpd-before.txt
ds_ok installment track --as-of 2024-05-11
assert_contains stdout "as of 2024-05-11: 2 active plans tracked: 2 on track, 0 completed, 0 broken; 1 installments missed"
assert_query "0" "SELECT count(*) FROM tasks"
ds_ok installment track --as-of 2024-05-12
assert_contains stdout "as of 2024-05-12: 2 active plans tracked: 1 on track, 0 completed, 1 broken; 2 installments missed"
assert_query "broken" "SELECT status FROM plans WHERE plan_id = 2"
assert_query "missed|0,missed|0,due|0" \
	"SELECT group_concat(status || '|' || paid_fen) FROM
	 (SELECT * FROM plan_installments WHERE plan_id = 2 AND seq <= 3 ORDER BY seq)"
assert_query "A004|call|2024-05-14|plan_broken|plan:2" \
	"SELECT account_id, kind, due_date, reason, source FROM tasks"
assert_query "1" "SELECT count(*) FROM audit_log WHERE action = 'plan_broken'"
ds_ok --json installment track --as-of 2024-05-26
assert_contains stdout '"plans": 1'
assert_contains stdout '"on_track": 1'
assert_contains stdout '"installments_missed": 0'
assert_query "paid|50000,paid|50000,due|40000,due|0" \
	"SELECT group_concat(status || '|' || paid_fen) FROM
	 (SELECT * FROM plan_installments WHERE plan_id = 1 ORDER BY seq)"
# the third still short of 100.00 after its grace: partly paid, one missed
ds_ok installment track --as-of 2024-07-01
assert_contains stdout "1 on track, 0 completed, 0 broken; 1 installments missed"
# re-ageing is counted, never applied: two in a row paid on time, not three
assert_contains stdout "0 plans with 3 consecutive installments paid on time"
ds_ok installment track --as-of 2024-07-01 --consecutive 2
assert_contains stdout "1 plans with 2 consecutive installments paid on time"
ds_ok --json installment track --as-of 2024-07-01 --consecutive 2
assert_contains stdout '"consecutive_paid": 2'
ds installment track --consecutive 0
assert_status 2 "--consecutive 0"
# the contract keeps its days past due: tracking plans never touches the ledger
ds_ok dpd --as-of 2024-07-01
assert_file_eq dpd-before.txt "$OUT" "days past due after tracking"
# the same day again: nothing changes, not even the audit log
dump_data before.sql
audits=$(count audit_log)
ds_ok installment track --as-of 2024-07-01
dump_data after.sql
assert_file_eq before.sql after.sql "tracking twice"
assert_eq "$audits" "$(count audit_log)" "tracking twice writes no audit entry"
assert_query "1" "SELECT count(*) FROM tasks"
ds installment track --as-of 2024-13-01
assert_status 2 "bad --as-of"
ds installment track extra
assert_status 2 "an argument to track"

# ------------------------------------------------------------------ show
ds_ok installment show 1
squeeze "$OUT" >show.txt
assert_line show.txt "plan 1 on A001: active"
assert_line show.txt "3 2024-06-15 500.00 400.00 partly_paid"
assert_line show.txt "1 2024-04-15 500.00 500.00 paid"
ds_ok --json installment show 2
assert_contains stdout '"status": "broken"'
assert_contains stdout '"approved_by": "M1"'
assert_contains stdout '"basis": "income"'
ds installment show 99
assert_status 1 "no such plan"
assert_contains stderr "plan: no plan 99"
ds installment show
assert_status 2 "no plan id"

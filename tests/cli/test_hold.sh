#!/bin/sh
# `hold add|list|end`: holds on borrowers, who set them, and their effect on
# the contact rules; every change audited; bad input refused.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

export DOORSTEP_DB="$DB"
fixture_db
before=$(count audit_log)

ds_ok hold add B001 dispute --from 2026-06-01 --to 2026-07-01 --reason "disputes the fee"
assert_contains stdout "hold 1: dispute on B001"
ds_ok --json hold add B001 do_not_visit --from 2026-06-01
assert_query "1|B001|dispute|cli-test|disputes the fee" \
	"SELECT hold_id, borrower_id, kind, set_by, reason FROM holds WHERE hold_id = 1"
assert_query "2" "SELECT count(*) FROM holds WHERE borrower_id = 'B001'"
assert_eq "$((before + 2))" "$(count audit_log)" "each hold audited"

ds_ok hold list B001
assert_contains stdout "dispute"
assert_contains stdout "2026-05-31T16:00:00Z .. 2026-06-30T16:00:00Z"
assert_contains stdout "do_not_visit"
assert_contains stdout "(open)"

# the rules read them: an SMS in June is held, a visit in August too
cat >p.jsonl <<'JSONL'
{"id":"sms-june","account_id":"A001","channel":"sms","start":"2026-06-15T10:00:00"}
{"id":"sms-july","account_id":"A001","channel":"sms","start":"2026-07-15T10:00:00"}
{"id":"visit-aug","account_id":"A001","channel":"visit","start":"2026-08-15T10:00:00","community_visits_week":0}
JSONL
ds rules --store --history-days 3650 check <p.jsonl
assert_contains stdout '"id":"sms-june","allow":false,"rules":[{"rule":"CN-HOLDS"'
assert_contains stdout '"id":"sms-july","allow":true'
assert_contains stdout '"id":"visit-aug","allow":false'

ds_ok hold end 2
assert_contains stdout "hold 2 ended"
ds hold end 2
assert_status 1 "ending an ended hold"
assert_contains stderr "no active hold 2"

# refusals: nothing written
n=$(count holds)
ds hold add B999 dispute
assert_status 1 "unknown borrower"
ds hold add B001 teleported
assert_status 2 "unknown kind"
ds hold add B001 dispute --from 2026-06-01 --to 2026-05-01
assert_status 2 "end before start"
ds hold add B001 dispute --account A999
assert_status 1 "unknown account"
ds hold
assert_status 2 "no subcommand"
ds_ok hold --help
assert_contains stdout "usage:"
assert_eq "$n" "$(count holds)" "refused holds write nothing"

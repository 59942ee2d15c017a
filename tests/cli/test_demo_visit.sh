#!/bin/sh
# The demo city's day: a routed visit carried through its whole life by
# examples/visit-walkthrough.sh, the README's recipe, from the notice to the
# follow-up: notice letter, check-in, outcome, plan and promise, money at the
# door, the bank's payment matching its receipt.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

: "${DS_SOURCE_DIR:?set DS_SOURCE_DIR to the repository}"
ds_ok demo --as-of 2026-11-20
DBF=doorstep-demo/doorstep.db
# the demo's logins: a manager, an analyst, the collector leading the busiest route
assert_query "demo-analyst|analyst|0;demo-collector|collector|1;demo-manager|manager|0" \
	"SELECT group_concat(user_id || '|' || role || '|' || (staff_id IS NOT NULL AND staff_id IN
	(SELECT substr(team_id, 12) FROM visits)), ';') FROM (SELECT * FROM users ORDER BY user_id)" "$DBF"
assert_contains stderr "demo-collector / demo-collector-pass"
[ "$(sqlite3 "$DBF" "SELECT count(*) FROM visits WHERE state = 'planned'")" -gt 0 ] ||
	fail "the demo routed no visit"
sh "$DS_SOURCE_DIR/examples/visit-walkthrough.sh" "$DBF" "$DOORSTEP" >walk.txt 2>&1
st=$?
[ $st -eq 0 ] || { cat walk.txt; fail "the walkthrough stopped (status $st)"; }
V=$(sqlite3 "$DBF" "SELECT min(visit_id) FROM visits WHERE state = 'closed'")
assert_query "notify,schedule,check_in,record_outcome,close" \
	"SELECT group_concat(event) FROM (SELECT event FROM visit_events WHERE visit_id = $V ORDER BY event_id)" "$DBF"
assert_query 1 "SELECT count(*) FROM receipts WHERE visit_id = $V" "$DBF"
assert_query 1 "SELECT count(*) FROM promises WHERE visit_id = $V" "$DBF"
assert_query "active|6" "SELECT status, installments FROM plans WHERE visit_id = $V" "$DBF"
assert_query 1 "SELECT count(*) FROM receipts WHERE visit_id = $V AND payment_id IS NOT NULL" "$DBF"
assert_query "plan|hardship" "SELECT kind, reason FROM tasks WHERE source = 'visit:$V'" "$DBF"
[ -s "letters/notice-$(printf %06d "$V").pdf" ] || fail "no notice letter"
[ -s letters/receipt-R2026-000001.pdf ] || fail "no receipt"
grep -q "closed, 1 follow-up task written" walk.txt || fail "the walkthrough's close"
ds_finish

#!/bin/sh
# A visit of the demo city carried through its life from the command line
# (docs/field.md): the notice, its delivery, the appointment, the check-in
# at the door, the outcome, an installment plan and a promise, money at the
# door and its receipt, the bank's payment feed matching it (when the day
# has passed), the close and its follow-up.
#
#   sh examples/visit-walkthrough.sh [DATABASE] [DOORSTEP]
#
# DATABASE: the demo's (doorstep-demo/doorstep.db, after `make demo`);
# DOORSTEP: the binary (build/doorstep). The first visit routed for the
# demo's day is taken; the steps before that day are dated back with --at.
set -eu
db=${1:-doorstep-demo/doorstep.db}
bin=${2:-build/doorstep}
ds() { "$bin" --db "$db" "$@"; }
q() { sqlite3 "$db" "$1"; }

# the first planned visit whose borrower can afford six installments of the
# balance (the plan offered below), else the first
v=$(q "SELECT v.visit_id FROM visits v JOIN accounts a USING (account_id)
	JOIN borrowers b USING (borrower_id) WHERE v.state = 'planned'
	ORDER BY coalesce(a.balance_fen / 6.0 < 0.29 * b.monthly_income_fen, 0) DESC, v.visit_id
	LIMIT 1")
[ -n "$v" ] || { echo "no planned visit: run 'make demo' first" >&2; exit 1; }
account=$(q "SELECT account_id FROM visits WHERE visit_id = $v")
team=$(q "SELECT team_id FROM visits WHERE visit_id = $v")
day=$(q "SELECT visit_date FROM visits WHERE visit_id = $v")
lat=$(q "SELECT b.lat FROM visits v JOIN accounts a USING (account_id) JOIN borrowers b USING (borrower_id) WHERE v.visit_id = $v")
lon=$(q "SELECT b.lon FROM visits v JOIN accounts a USING (account_id) JOIN borrowers b USING (borrower_id) WHERE v.visit_id = $v")
# the team's collector acts (the audit trail names them)
DOORSTEP_ACTOR=$(q "SELECT m.staff_id FROM team_members m JOIN staff s USING (staff_id) WHERE m.team_id = '$team' AND s.role = 'collector' ORDER BY 1 LIMIT 1")
export DOORSTEP_ACTOR
before() { date -d "$day -$1 days" +%F; }

echo "== visit $v: account $account, team $team, $day"
ds visit notify "$v" --at "$(before 5)T10:00"
sms=$(q "SELECT sms_outbox_id FROM notices WHERE visit_id = $v")
ds outbox mark "$sms" sent --at "$(before 5)T10:01"
ds outbox mark "$sms" delivered --at "$(before 5)T10:02"
ds visit schedule "$v" --team "$team" --date "$day" --window 09:00-12:00 --at "$(before 4)T09:00"
ds visit check-in "$v" --lat "$lat" --lon "$lon" --identity-shown --consent --enter --at "${day}T09:40"
ds visit outcome "$v" --found met_borrower --situation unemployment --attitude cooperative \
	--note "lost work; can pay a little each month" --at "${day}T10:20"
ds installment offer "$account" --installments 6 --first-due "$(date -d "$day +15 days" +%F)" \
	--visit "$v" --at "${day}T10:22"
ds promise add "$account" --amount 300 --due "$(date -d "$day +7 days" +%F)" --visit "$v" --at "${day}T10:25"
ds receipt issue "$account" --visit "$v" --amount 200 --method cash --at "${day}T10:30"
receipt=$(q "SELECT max(receipt_no) FROM receipts WHERE visit_id = $v")
if [ "$(date -d "$day +1 day" +%F)" \< "$(date +%F)" ] || [ "$(date -d "$day +1 day" +%F)" = "$(date +%F)" ]; then
	# the bank's feed the next day: the cash, quoting the receipt
	feed=$(mktemp)
	printf 'payment_id,account_id,value_date,amount,channel,reference\nDOOR-%s,%s,%s,200.00,cash_at_door,%s\n' \
		"$receipt" "$account" "$(date -d "$day +1 day" +%F)" "$receipt" >"$feed"
	ds import payments "$feed"
	rm -f "$feed"
	ds receipt reconcile --as-of "$(date -d "$day +1 day" +%F)"
fi
ds visit close "$v" --at "${day}T11:00"
ds visit show "$v"
ds task list

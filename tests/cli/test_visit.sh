#!/bin/sh
# A visit through its whole life from the command line, on a simulated
# bank's routed day: the notice (a PDF whose text says what the CN rules
# require, an SMS in the outbox), its delivery, the appointment, a refused
# and an accepted check-in, the outcome, a promise, money at the door with
# its receipt, the bank's payments, the reconciliation, the promise's
# judgement, the close and its follow-up. Every step refused out of order,
# every step on record.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ds_ok simulate --days 1 --strategy none --borrowers 600 --seed 5 --as-of 2026-11-05 --store-dir sims
DBF=sims/none.db
sqlite3 "$DBF" "INSERT INTO decisions(plan_date, account_id, treatment, expected_fen, cost_fen,
	reasons, created_at) SELECT '2026-11-12', account_id, 'visit', 50000, 14500, '{}', 0
	FROM (SELECT DISTINCT account_id FROM contacts ORDER BY account_id LIMIT 30)"
ds_ok --db "$DBF" route --date 2026-11-12 --iterations 300
V=$(sqlite3 "$DBF" "SELECT min(visit_id) FROM visits WHERE state = 'planned'")
ACC=$(sqlite3 "$DBF" "SELECT account_id FROM visits WHERE visit_id = $V")
TEAM=$(sqlite3 "$DBF" "SELECT team_id FROM visits WHERE visit_id = $V")
LEAD=$(sqlite3 "$DBF" "SELECT substr(team_id, 12) FROM visits WHERE visit_id = $V")
LAT=$(sqlite3 "$DBF" "SELECT b.lat FROM visits v JOIN accounts a USING (account_id)
	JOIN borrowers b USING (borrower_id) WHERE v.visit_id = $V")
LON=$(sqlite3 "$DBF" "SELECT b.lon FROM visits v JOIN accounts a USING (account_id)
	JOIN borrowers b USING (borrower_id) WHERE v.visit_id = $V")
export DOORSTEP_ACTOR="$LEAD"
[ -n "$V" ] && [ -n "$ACC" ] || fail "no visit routed"

# out of order: nothing but the notice from planned
ds --db "$DBF" visit check-in "$V" --lat "$LAT" --lon "$LON" --at 2026-11-12T10:00
assert_status 1 "check-in before any notice"
assert_contains stderr "is planned: it cannot check_in"
ds --db "$DBF" visit close "$V"
assert_status 1 "close a planned visit"
# the notice: too late two days before, in time a week before
ds --db "$DBF" visit notify "$V" --at 2026-11-10T10:00
assert_status 1 "a notice fewer than 3 days ahead"
assert_contains stderr "fewer than 3 days away"
ds_ok --db "$DBF" visit notify "$V" --at 2026-11-05T10:00
assert_query notice_sent "SELECT state FROM visits WHERE visit_id = $V" "$DBF"
ds --db "$DBF" visit notify "$V" --at 2026-11-05T11:00
assert_status 1 "a second notice"
# the letter: a PDF with what a collection letter must carry, in Chinese
PDF=$(sqlite3 "$DBF" "SELECT letter_path FROM notices WHERE visit_id = $V")
SHA=$(sqlite3 "$DBF" "SELECT letter_sha256 FROM notices WHERE visit_id = $V")
[ -f "$PDF" ] || fail "no notice letter at $PDF"
assert_eq "$SHA" "$(sha256sum "$PDF" | cut -d' ' -f1)" "the letter's hash on record"
pdftotext -enc UTF-8 "$PDF" - | tr -d ' \n' >letter.txt
NAME=$(sqlite3 "$DBF" "SELECT b.name FROM accounts a JOIN borrowers b USING (borrower_id)
	WHERE a.account_id = '$ACC'")
for want in "$NAME" 上门拜访提前通知书 贷款余额 逾期 民法典 催收工作指引 异议 95500 \
	2026年11月12日 不受骚扰 拒绝入户 分期 "TZ20261105-"; do
	grep -q "$want" letter.txt || fail "the letter lacks \"$want\""
done
# the SMS: queued, the name masked
assert_query 2 "SELECT count(*) FROM outbox WHERE status = 'queued' AND purpose = 'visit_notice'" "$DBF"
assert_query 0 "SELECT count(*) FROM outbox WHERE channel = 'sms' AND instr(body, '$NAME') > 0" "$DBF"
SMS=$(sqlite3 "$DBF" "SELECT sms_outbox_id FROM notices WHERE visit_id = $V")

# the appointment
ds_ok --db "$DBF" visit schedule "$V" --team "$TEAM" --date 2026-11-12 --window 09:00-12:00 --at 2026-11-06T09:00
ds --db "$DBF" visit schedule "$V" --team "$TEAM" --date 2026-11-12 --window 09:00-12:00
assert_status 1 "scheduled twice"
# at the door before the notice is delivered, far from the address, without ID
ds --db "$DBF" visit check-in "$V" --lat 30.0 --lon 120.0 --at 2026-11-12T09:30
assert_status 1 "check-in refused"
assert_contains stdout "签到未通过"
assert_contains stdout "提前3天送达通知书"
assert_contains stdout "more than 300 m"
assert_contains stdout "show identification"
assert_query scheduled "SELECT state FROM visits WHERE visit_id = $V" "$DBF"
assert_query 1 "SELECT count(*) FROM visit_events WHERE visit_id = $V AND event = 'check_in_refused'" "$DBF"
# the adapter reports the SMS delivered: the notice counts (a contact)
ds --db "$DBF" outbox mark "$SMS" delivered --at 2026-11-05T10:00
assert_status 0
ds --db "$DBF" outbox mark "$SMS" sent
assert_status 1 "delivered is final"
assert_query 1 "SELECT count(*) FROM contacts WHERE purpose = 'visit_notice' AND account_id = '$ACC'" "$DBF"
# at the door, with ID, at the address, outside the allowed hours: refused
ds --db "$DBF" visit check-in "$V" --lat "$LAT" --lon "$LON" --identity-shown --at 2026-11-12T23:00
assert_status 1 "at night"
assert_contains stdout "22:00-08:00"
ds --db "$DBF" --json visit check-in "$V" --lat "$LAT" --lon "$LON" --identity-shown --consent --enter --at 2026-11-12T09:40
assert_status 0 "checked in"
assert_contains stdout '"allowed": true'
assert_query checked_in "SELECT state FROM visits WHERE visit_id = $V" "$DBF"

# the outcome: met, lost work, cooperative; a photo's hash
printf 'a photo\n' >door.jpg
ds_ok --db "$DBF" visit outcome "$V" --found met_borrower --situation unemployment --attitude cooperative --evidence door.jpg --note "lost work in October" --at 2026-11-12T10:20
assert_query "met_borrower|unemployment|cooperative|door.jpg|$(sha256sum door.jpg | cut -d' ' -f1)" \
	"SELECT outcome, situation, attitude, evidence_name, evidence_sha256 FROM visits WHERE visit_id = $V" "$DBF"
assert_query 1 "SELECT count(*) FROM contacts WHERE contact_id = 'visit-$V' AND outcome = 'met_borrower'" "$DBF"
ds --db "$DBF" visit outcome "$V" --found hostile
assert_status 2 "an unknown outcome"
# a promise and money at the door
ds_ok --db "$DBF" --json promise add "$ACC" --amount 300 --due 2026-11-16 --visit "$V" --at 2026-11-12T10:25
ds_ok --db "$DBF" --json receipt issue "$ACC" --visit "$V" --amount 200.00 --method cash --at 2026-11-12T10:30
assert_contains stdout '"receipt_no": "R2026-000001"'
pdftotext -enc UTF-8 letters/receipt-R2026-000001.pdf - | tr -d ' \n' >receipt.txt
for want in R2026-000001 贰佰元整 现金 95500; do
	grep -q "$want" receipt.txt || fail "the receipt lacks \"$want\""
done
ds --db "$DBF" receipt issue "$ACC" --visit "$V" --amount 60000 --method cash
assert_status 1 "too much cash at the door"
ds_ok --db "$DBF" visit close "$V" --at 2026-11-12T11:00
assert_contains stdout "1 follow-up task written"
assert_query "plan|hardship" "SELECT kind, reason FROM tasks WHERE source = 'visit:$V'" "$DBF"
ds --db "$DBF" visit cancel "$V" --reason "too late"
assert_status 1 "a closed visit stays closed"

# the bank's feed: the cash arrives with the receipt's number, and a transfer
printf 'payment_id,account_id,value_date,amount,channel,reference\nP-D1,%s,2026-11-13,200.00,cash_at_door,R2026-000001\nP-T1,%s,2026-11-17,90.00,transfer,\n' \
	"$ACC" "$ACC" >pay.csv
ds_ok --db "$DBF" import payments pay.csv
ds_ok --db "$DBF" --json receipt reconcile --as-of 2026-11-14
assert_contains stdout '"matched": 1'
assert_query P-D1 "SELECT payment_id FROM receipts WHERE receipt_no = 'R2026-000001'" "$DBF"
# the promise of 300 by the 16th (2 days' grace): 290 paid counts as kept (5% tolerance)
ds_ok --db "$DBF" --json promise judge --as-of 2026-11-19
assert_contains stdout '"kept": 1'
assert_query "kept|29000" "SELECT status, paid_fen FROM promises WHERE visit_id = $V" "$DBF"
# the listings: money in yuan and instants in UTC for people, as stored for programs
ds_ok --db "$DBF" promise list "$ACC"
assert_contains stdout "amount_yuan"
assert_contains stdout "300.00"
ds_ok --db "$DBF" --json promise list "$ACC"
assert_contains stdout '"amount_fen": 30000'
assert_contains stdout '"paid_fen": 29000'
ds_ok --db "$DBF" receipt list
assert_contains stdout "2026-11-12T02:30:00Z"

# everything on record: the events in order, each audited
assert_query "notify,schedule,check_in_refused,check_in_refused,check_in,record_outcome,close" \
	"SELECT group_concat(event) FROM (SELECT event FROM visit_events WHERE visit_id = $V ORDER BY event_id)" "$DBF"
assert_query 7 "SELECT count(*) FROM audit_log WHERE action = 'visit_event' AND entity_id = '$V'" "$DBF"
assert_query 0 "SELECT count(*) FROM visit_events WHERE visit_id = $V AND actor <> '$LEAD'" "$DBF"
ds_ok --db "$DBF" visit show "$V"
assert_contains stdout "record_outcome"
ds_finish

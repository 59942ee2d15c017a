#!/bin/sh
# `rules audit`: every stored contact re-checked against the pack. A clean
# fixture and a simulated run audit clean; contacts made at night, beyond the
# daily cap of connected calls, during a dispute hold or to a reachable
# borrower's neighbour are each found, with the rule that forbids them.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

export DOORSTEP_DB="$DB"
fixture_db
ds_ok rules audit
assert_contains stdout "rules audit (CN):"
assert_contains stdout ", 0 against the rules"

# Contacts that break the rules (the fixture's accounts: A001 of B001).
cat >bad.csv <<'CSV'
contact_id,account_id,channel,direction,started_at,duration_s,staff_id,party,outcome,note
X01,A001,call,outbound,2026-06-10T23:10:00+08:00,60,,borrower,no_answer,
X02,A001,call,outbound,2026-06-11T09:00:00+08:00,60,,borrower,connected,
X03,A001,call,outbound,2026-06-11T10:00:00+08:00,60,,borrower,connected,
X04,A001,call,outbound,2026-06-11T11:00:00+08:00,60,,borrower,connected,
X05,A001,call,outbound,2026-06-11T12:00:00+08:00,60,,borrower,connected,
X06,A001,sms,outbound,2026-06-20T12:00:00+08:00,0,,borrower,delivered,
X07,A001,call,outbound,2026-06-21T12:00:00+08:00,60,,third_party,connected,
CSV
ds_ok import contacts bad.csv
# a dispute from 06-19 to 06-21 (local midnight, UTC+8)
q "INSERT INTO holds(borrower_id, kind, starts_at, ends_at, set_by) VALUES
   ('B001', 'dispute', strftime('%s','2026-06-18T16:00:00'), strftime('%s','2026-06-20T16:00:00'), 't')"
ds rules audit
assert_status 1
assert_contains stdout ", 4 against the rules"
assert_contains stdout "X01  A001  CN-HOURS"
assert_contains stdout "X05  A001  CN-CONNECTED-CAP"
assert_contains stdout "X06  A001  CN-HOLDS"
assert_contains stdout "X07  A001  CN-THIRD-PARTY"
assert_not_contains stdout "X04"
ds --json rules audit
assert_status 1
assert_eq "4" "$(q "SELECT json_extract('$(tr -d '\n' <"$OUT")', '\$.violations')" "$T/j.db")" "JSON count"

# The same contacts are fine under the US pack's hours (08-21)? X01 is not.
ds rules --jurisdiction US audit
assert_status 1
assert_contains stdout "X01  A001  US-HOURS"

# A simulated run, fed into stores day by day, audits clean.
ds_ok -q simulate --borrowers 300 --days 6 --as-of 2026-11-29 \
	--strategy visit-all,random --store-dir sim
for s in visit-all random; do
	ds_ok --db "sim/$s.db" rules audit
	assert_contains stdout ", 0 against the rules"
done

# `rules check --store`: an account's history, holds and zone come from the
# database (contacts of June 2026: a long enough history window).
cat >p.jsonl <<'JSONL'
{"id":"fourth","account_id":"A001","channel":"call","start":"2026-06-11T13:00:00"}
{"id":"next-day","account_id":"A001","channel":"call","start":"2026-06-12T13:00:00"}
{"id":"in-dispute","account_id":"A001","channel":"sms","start":"2026-06-19T13:00:00"}
{"id":"unknown","account_id":"A999","channel":"sms","start":"2026-06-19T13:00:00"}
JSONL
ds rules --store --history-days 3650 check <p.jsonl
assert_status 1
assert_contains stdout '"id":"fourth","allow":false,"rules":[{"rule":"CN-CONNECTED-CAP"'
assert_contains stdout '"id":"next-day","allow":true'
assert_contains stdout '"id":"in-dispute","allow":false,"rules":[{"rule":"CN-HOLDS"'
assert_contains stdout '"id":"unknown","error":"account_id (not in the database)'
# a pack read from a file: with no rules, everything is allowed
echo '{"jurisdiction":"NONE","rules":[]}' >none.json
ds rules --pack none.json --store --history-days 3650 check <p.jsonl
assert_contains stdout '"id":"fourth","allow":true'

# `rules alerts`: complaints in a community within 30 days reach the pack's
# alert level (3 for CN).
comm=$(q "SELECT community_id FROM borrowers WHERE borrower_id = 'B001'")
for day in 01 10 20; do
	q "INSERT INTO complaints(borrower_id, kind, opened_at) VALUES
	   ('B001', 'conduct', strftime('%s', '2026-03-${day}T04:00:00'))"
done
ds_ok rules --as-of 2026-03-25 alerts
assert_contains stdout "$comm"
assert_contains stdout "3 complaints and disputes"
assert_contains stdout "1 community at 3 or more"
ds_ok rules --as-of 2026-04-15 alerts
assert_contains stdout "0 communities"
ds_ok --json rules --as-of 2026-03-25 alerts
assert_contains stdout "\"alert_level\": 3"

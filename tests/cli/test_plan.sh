#!/bin/sh
# doorstep plan on a small simulated city: a decision for every delinquent
# account, capacity kept, the visit holdout stable, the contact rules
# consulted (a hold stops every contact of its borrower), re-planning a day
# replaces it, --dry-run writes nothing; and clear usage errors.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

AS_OF=2026-11-29
N=1000 # borrowers
export DOORSTEP_DB="$DB"

ds_ok generate --dir city --seed 5 --borrowers "$N" --as-of "$AS_OF"
ds_ok init
for k in branches communities borrowers staff certifications accounts schedules payments contacts; do
	ds_ok import "$k" "city/$k.csv"
done
jv() {
	sqlite3 -batch -bail :memory: "$1" 2>&1
}

ds_ok --json plan --date "$AS_OF" --snapshots 12 --dry-run
cp "$OUT" dry.json
assert_query 0 "SELECT count(*) FROM decisions"
decided=$(jv "SELECT json_extract(readfile('dry.json'), '\$.accounts')")
[ "$decided" -gt 50 ] || fail "expected over 50 delinquent accounts, got $decided"

ds_ok plan --date "$AS_OF" --snapshots 12
assert_contains stdout "plan for $AS_OF: $decided delinquent accounts"
assert_query "$decided" "SELECT count(*) FROM decisions WHERE plan_date = '$AS_OF'"
# one decision per account; each with its arm and reasons
assert_query 0 "SELECT count(*) FROM decisions WHERE arm NOT IN ('holdout','treated')
	OR json_valid(reasons) = 0 OR json_extract(reasons, '\$.uplift_yuan') IS NULL"
# the holdout gets no visit, and is about 5% of the accounts
assert_query 0 "SELECT count(*) FROM decisions WHERE arm = 'holdout' AND treatment = 'visit'"
held=$(q "SELECT count(*) FROM decisions WHERE arm = 'holdout'")
[ "$held" -ge 1 ] && [ "$held" -le $((decided / 5)) ] || fail "holdout of $held in $decided"
# capacity: at most 540 team minutes (6 visits) per community
assert_query 0 "SELECT count(*) FROM (SELECT b.community_id, count(*) n FROM decisions d
	JOIN accounts a ON a.account_id = d.account_id JOIN borrowers b ON b.borrower_id = a.borrower_id
	WHERE d.treatment = 'visit' GROUP BY 1 HAVING n > 6)"
# chosen treatments are worth more than they cost
assert_query 0 "SELECT count(*) FROM decisions WHERE treatment <> 'none' AND expected_fen <= cost_fen"
assert_query 1 "SELECT count(*) FROM audit_log WHERE action = 'plan' AND entity_id = '$AS_OF'"
assert_query 1 "SELECT count(*) FROM experiments WHERE experiment_id = 'visit-holdout'"
# an account the plan contacts, and its arm
acct=$(q "SELECT account_id FROM decisions WHERE treatment <> 'none' ORDER BY account_id LIMIT 1")
[ -n "$acct" ] || fail "the plan contacts nobody"
arm=$(q "SELECT arm FROM decisions WHERE account_id = '$acct'")

# a dispute hold on that account's borrower: every contact refused, and said why
borrower=$(q "SELECT borrower_id FROM accounts WHERE account_id = '$acct'")
ds_ok hold add "$borrower" dispute --from 2026-11-01 --reason "disputes the debt"
ds_ok --json plan --date "$AS_OF" --snapshots 12
cp "$OUT" held.json
[ "$(jv "SELECT json_extract(readfile('held.json'), '\$.refused_by_rules.sms') +
	json_extract(readfile('held.json'), '\$.refused_by_rules.visit')")" -ge 1 ] ||
	fail "the hold should make the rules refuse contacts"
assert_query "$decided" "SELECT count(*) FROM decisions WHERE plan_date = '$AS_OF'"
assert_query "none" "SELECT treatment FROM decisions WHERE account_id = '$acct'"
assert_query 1 "SELECT json_extract(reasons, '\$.refused') <> '{}' FROM decisions
	WHERE account_id = '$acct'"
assert_query "$arm" "SELECT arm FROM decisions WHERE account_id = '$acct'"
assert_query 2 "SELECT count(*) FROM audit_log WHERE action = 'plan'"

# the day routed, then planned again: its planned visits go with the plan
# replaced; once a visit is under way the plan stays (a regression: the
# plan's decisions were deleted under the visits' references)
visits_decided() { # ten of the day's decisions made visits worth routing
	q "UPDATE decisions SET treatment = 'visit', expected_fen = 50000, cost_fen = 14500
		WHERE decision_id IN (SELECT decision_id FROM decisions ORDER BY account_id LIMIT 10)"
}
visits_decided
ds_ok route --date "$AS_OF" --iterations 50
routed=$(q "SELECT count(*) FROM visits")
[ "$routed" -gt 0 ] || fail "nothing routed"
ds_ok plan --date "$AS_OF" --snapshots 12
assert_query 0 "SELECT count(*) FROM visits"
visits_decided
ds_ok route --date "$AS_OF" --iterations 50
q "UPDATE visits SET state = 'checked_in' WHERE visit_id = (SELECT min(visit_id) FROM visits)"
before=$(q "SELECT count(*) FROM decisions WHERE treatment = 'visit'")
ds plan --date "$AS_OF" --snapshots 12
assert_status 3 "a plan with a visit under way"
assert_contains stderr "visits under way (past planned): it cannot be replaced"
assert_query "$before" "SELECT count(*) FROM decisions WHERE treatment = 'visit'"
assert_query "$routed" "SELECT count(*) FROM visits"

# --- bad use
ds plan --holdout 2
assert_status 2 "holdout above 1"
assert_contains stderr "--holdout is a share from 0 to below 1, not '2'"
ds plan --snapshots 1
assert_status 2 "one snapshot"
ds plan extra
assert_status 2 "an argument"
ds_ok plan --help
assert_contains stdout "usage:"
ds_finish

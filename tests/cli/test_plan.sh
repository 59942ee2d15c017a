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

assert_query 0 "SELECT count(*) FROM experiments WHERE experiment_id LIKE 'explore-%'"
ds_ok plan --date "$AS_OF" --snapshots 12 --explore 0.02
assert_contains stdout "plan for $AS_OF: $decided delinquent accounts"
assert_query "$decided" "SELECT count(*) FROM decisions WHERE plan_date = '$AS_OF'"
# one decision per account; each with its arm and reasons
assert_query 0 "SELECT count(*) FROM decisions WHERE arm NOT IN ('holdout','treated','explore')
	OR json_valid(reasons) = 0 OR json_extract(reasons, '\$.uplift_yuan') IS NULL"
# twelve snapshots hold few rows of most treatments (and no legal referral):
# some accounts more than 15 days past due get one at random, each in the
# experiment explore-<treatment>
assert_query 0 "SELECT count(*) FROM decisions WHERE arm = 'explore'
	AND (experiment_id <> 'explore-' || treatment OR json_extract(reasons, '\$.explored') <> 1)"
assert_query 1 "SELECT count(*) > 0 FROM decisions WHERE arm = 'explore'"
assert_query 0 "SELECT count(*) FROM decisions d WHERE arm = 'explore' AND NOT EXISTS
	(SELECT 1 FROM experiments e WHERE e.experiment_id = d.experiment_id)"
# the holdout gets no visit, and is about 5% of the accounts
assert_query 0 "SELECT count(*) FROM decisions WHERE arm = 'holdout' AND treatment = 'visit'"
held=$(q "SELECT count(*) FROM decisions WHERE arm = 'holdout'")
[ "$held" -ge 1 ] && [ "$held" -le $((decided / 5)) ] || fail "holdout of $held in $decided"
# capacity: six visits a team of two, the teams as the routes form them
teams=$(jv "SELECT json_extract(readfile('dry.json'), '\$.teams')")
[ "$teams" -ge 1 ] || fail "no team counted"
assert_eq 1 "$(jv "SELECT json_extract(readfile('dry.json'), '\$.chosen.visit') <= 6 * $teams")" \
	"visits within the teams' days"
# chosen treatments are worth more than they cost (explored ones aside)
assert_query 0 "SELECT count(*) FROM decisions WHERE treatment <> 'none' AND arm <> 'explore'
	AND expected_fen <= cost_fen"
assert_query 1 "SELECT count(*) FROM audit_log WHERE action = 'plan' AND entity_id = '$AS_OF'"
assert_query 1 "SELECT count(*) FROM experiments WHERE experiment_id = 'visit-holdout'"
# an account the plan contacts, and its arm
acct=$(q "SELECT account_id FROM decisions WHERE treatment <> 'none' AND arm <> 'explore'
	ORDER BY account_id LIMIT 1")
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
ds plan --explore 0.5
assert_status 2 "exploration above 0.2"
assert_contains stderr "--explore is a share from 0 to 0.2, not '0.5'"
ds plan extra
assert_status 2 "an argument"
ds_ok plan --help
assert_contains stdout "usage:"
ds_finish

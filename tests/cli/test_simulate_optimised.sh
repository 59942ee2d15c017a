#!/bin/sh
# simulate with the planner ("optimised", on its own store) and the oracle
# (the true effects, for measurement): both run beside a baseline on the
# same city, the oracle gains over doing nothing, the planner keeps its
# visit holdout; the planner refuses to run without a store.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

AS_OF=2026-11-29
N=1500

jv() {
	sqlite3 -batch -bail :memory: "$1" 2>&1
}

ds_ok --json simulate --days 4 --strategy none,optimised,oracle --borrowers "$N" --seed 5 \
	--as-of "$AS_OF" --store-dir sims --plan-snapshots 15
cp "$OUT" sim.json
assert_eq "none,optimised,oracle" "$(jv "SELECT group_concat(json_extract(value, '\$.strategy'))
	FROM json_each(json_extract(readfile('sim.json'), '\$.strategies'))")" "strategies"
rec() {
	jv "SELECT json_extract(value, '\$.recovered_fen') FROM json_each(json_extract(readfile('sim.json'),
		'\$.strategies')) WHERE json_extract(value, '\$.strategy') = '$1'"
}
# what the oracle adds shows within days; its costs come first, its net later
[ "$(rec oracle)" -gt "$(rec none)" ] || fail "the oracle should recover more than none: $(rec oracle) vs $(rec none)"
# the planner contacted accounts, and its plans went through the intake
contacts=$(jv "SELECT json_extract(value, '\$.contacts.sms') + json_extract(value, '\$.contacts.call')
	+ json_extract(value, '\$.contacts.visit') + json_extract(value, '\$.contacts.letter')
	FROM json_each(json_extract(readfile('sim.json'), '\$.strategies'))
	WHERE json_extract(value, '\$.strategy') = 'optimised'")
[ "$contacts" -gt 0 ] || fail "the planner contacted nobody"
assert_query 1 "SELECT count(*) > 0 FROM contacts WHERE contact_id LIKE 'D%'" sims/optimised.db
# held-out accounts are never visited by the plan (arm of the visit holdout)
held=0
for id in $(sqlite3 sims/optimised.db "SELECT DISTINCT account_id FROM contacts
	WHERE contact_id LIKE 'D%' AND channel = 'visit'"); do
	[ "$("$DOORSTEP" experiment arm visit-holdout "$id" 0.05 0.95)" = 0 ] && held=$((held + 1))
done
assert_eq 0 "$held" "visits to held-out accounts"

# no exploration unless asked for; a referred account is contacted no more
assert_query 0 "SELECT count(*) FROM decisions WHERE arm = 'explore'" sims/optimised.db
assert_query 0 "SELECT count(*) FROM contacts c JOIN contacts l ON l.account_id = c.account_id
	AND l.channel = 'letter' AND l.note LIKE 'legal%' AND c.started_at >= l.started_at + 86400
	WHERE c.contact_id LIKE 'D%'" sims/optimised.db
assert_query 0 "SELECT count(*) FROM decisions d WHERE treatment <> 'none' AND EXISTS (SELECT 1
	FROM contacts l WHERE l.account_id = d.account_id AND l.note LIKE 'legal%'
	AND date(l.started_at, 'unixepoch', '+8 hours') < d.plan_date)" sims/optimised.db
assert_query 0 "SELECT count(*) FROM decisions d WHERE json_extract(reasons, '\$.with_lawyers')
	AND treatment <> 'none'" sims/optimised.db

# the planner's decisions are stored, with their arms: the holdout read back
assert_query 4 "SELECT count(DISTINCT plan_date) FROM decisions" sims/optimised.db
ds_ok --db sims/optimised.db --json experiment report visit-holdout --as-of 2026-12-03 --horizon 2
cp "$OUT" rep.json
[ "$(jv "SELECT json_extract(readfile('rep.json'), '\$.held_out')")" -ge 1 ] ||
	fail "the report should count held-out accounts"
assert_eq 1 "$(jv "SELECT json_extract(readfile('rep.json'), '\$.yuan_paid.lo') <=
	json_extract(readfile('rep.json'), '\$.yuan_paid.hi')")" "an interval"
ds --db sims/optimised.db experiment report no-such-experiment --as-of 2026-12-03
assert_status 3 "an experiment without decisions"
assert_contains stderr "both arms are needed"
ds --db sims/optimised.db experiment report
assert_status 2 "no experiment named"

# the bar: gains over none, the planner's against the oracle's and the best
# baseline's, and the holdout against the true effect of two more runs
ds_ok --json simulate --days 34 --strategy none,sms-only,visit-all,optimised,oracle \
	--borrowers 600 --seed 5 --as-of "$AS_OF" --store-dir bar --plan-snapshots 15 --holdout-truth
cp "$OUT" bar.json
b() {
	jv "SELECT json_extract(readfile('bar.json'), '\$.bar$1')"
}
net() {
	jv "SELECT json_extract(value, '\$.net_fen') FROM json_each(json_extract(readfile('bar.json'),
		'\$.strategies')) WHERE json_extract(value, '\$.strategy') = '$1'"
}
assert_eq "$(jv "SELECT ($(net optimised) - $(net none)) / 100.0")" "$(b .gain_yuan.optimised)" \
	"the planner's gain"
assert_eq 0.0 "$(b .gain_yuan.none)" "none's own gain"
best=$(b .best_baseline)
case "$best" in sms-only | visit-all) ;; *) fail "best baseline: $best" ;; esac
assert_eq 1 "$(jv "SELECT $(b .gain_yuan.\"$best\") >= max($(b .gain_yuan.\"sms-only\"),
	$(b .gain_yuan.\"visit-all\"))")" "the best baseline gains most"
assert_eq 1 "$(jv "SELECT abs($(b .share_of_oracle) - $(b .gain_yuan.optimised) /
	$(b .gain_yuan.oracle)) < 1e-9")" "share of the oracle's gain"
[ -f bar/optimised-no-holdout.db ] || fail "no counterfactual run with every account visitable"
[ -f bar/optimised-all-held-out.db ] || fail "no counterfactual run with every account held out"
[ "$(b .holdout.held_out)" -ge 1 ] || fail "held-out accounts: $(b .holdout.held_out)"
assert_eq 1 "$(jv "SELECT $(b .holdout.covered) = ($(b .holdout.yuan_paid.lo) <= $(b .holdout.true_yuan)
	AND $(b .holdout.true_yuan) <= $(b .holdout.yuan_paid.hi))")" "covered, as the interval says"
# the report by bucket beside the truth: the report's own rows, each
# judged only with a verdict
ds_ok --json --db bar/optimised.db report visits --by bucket --as-of 2027-01-02
cp "$OUT" by-bucket.json
assert_eq "$(jv "SELECT group_concat(json_extract(value, '\$.segment') || ':' ||
	json_extract(value, '\$.treated'), ',') FROM json_each(readfile('by-bucket.json'))")" \
	"$(jv "SELECT group_concat(json_extract(value, '\$.bucket') || ':' ||
	json_extract(value, '\$.treated'), ',') FROM json_each(readfile('bar.json'), '\$.bar.holdout.segments')")" \
	"the segments are the report's"
assert_eq 0 "$(jv "SELECT count(*) FROM json_each(readfile('bar.json'), '\$.bar.holdout.segments')
	WHERE (json_extract(value, '\$.verdict') = 'not enough data') <> (json_type(value, '\$.agrees') = 'null')")" \
	"a segment judged exactly when it has a verdict"
ds simulate --plan-holdout 0.9
assert_status 2 "a holdout over half the accounts"
assert_contains stderr "--plan-holdout: a share from 0.01 to 0.5"
# nobody is held out in the run that visits all it chooses
assert_query 0 "SELECT count(*) FROM decisions WHERE arm = 'holdout'" bar/optimised-no-holdout.db
assert_query 0 "SELECT count(*) FROM decisions WHERE treatment = 'visit'" bar/optimised-all-held-out.db
ds_ok simulate --days 34 --strategy none,visit-all,optimised,oracle --borrowers 600 --seed 5 \
	--as-of "$AS_OF" --store-dir bar2 --plan-snapshots 15
assert_contains stdout "bar: optimised gains"
assert_contains stdout "holdout:"

ds simulate --days 2 --strategy optimised --borrowers "$N" --no-store
assert_status 2 "optimised without a store"
assert_contains stderr "the optimised strategy plans on its store"
ds_ok simulate --help
assert_contains stdout "optimised"
assert_contains stdout "oracle"
ds_finish

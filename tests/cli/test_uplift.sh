#!/bin/sh
# doorstep uplift evaluate on a small simulated city: the rows it learns
# from, the held-out Qini per learner and treatment, the comparison with the
# simulator's truth; and clear usage errors.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

AS_OF=2026-11-29
N=1500 # borrowers
export DOORSTEP_DB="$DB"

jv() {
	sqlite3 -batch -bail :memory: "$1" 2>&1
}

ds_ok generate --dir city --seed 5 --borrowers "$N" --as-of "$AS_OF"
ds_ok init
for k in branches communities borrowers staff certifications accounts schedules payments contacts; do
	ds_ok import "$k" "city/$k.csv"
done
ds_ok simulate --days 1 --strategy none --borrowers "$N" --seed 5 --as-of "$AS_OF" --truth truth.csv

# 16 daily snapshots of the history (its reminders, and its pilot)
ds_ok --json uplift evaluate --as-of "$AS_OF" --snapshots 16 --step-days 1 --truth truth.csv
cp "$OUT" up.json
rows=$(jv "SELECT json_extract(readfile('up.json'), '\$.rows')")
held=$(jv "SELECT json_extract(readfile('up.json'), '\$.held_out')")
[ "$rows" -gt 300 ] || fail "expected over 300 rows, got $rows"
[ "$held" -gt 0 ] && [ "$held" -lt "$rows" ] || fail "held out $held of $rows"
assert_eq 30 "$(jv "SELECT json_extract(readfile('up.json'), '\$.horizon_days')")" "horizon"
# every learner evaluated on the held-out rows, SMS and calls at least
for l in x_learner t_learner transformed_outcome; do
	for t in sms call; do
		assert_eq 1 "$(jv "SELECT count(*) FROM json_each(json_extract(readfile('up.json'),
			'\$.held_out_randomised')) WHERE json_extract(value, '\$.learner') = '$l'
			AND json_extract(value, '\$.treatment') = '$t'")" "$l on $t"
	done
done
# the held-out rows are treated or none, and shares stay within [-1, 1]
assert_eq 0 "$(jv "SELECT count(*) FROM json_each(json_extract(readfile('up.json'),
	'\$.held_out_randomised')) WHERE json_extract(value, '\$.treated') < 1
	OR json_extract(value, '\$.control') < 1
	OR abs(json_extract(value, '\$.uplift_all')) > 1")" "held-out arms"
# the truth: every delinquent account of the city compared, per learner
truth_rows=$(($(wc -l <truth.csv) - 1))
assert_eq "$truth_rows" "$(jv "SELECT max(json_extract(value, '\$.accounts'))
	FROM json_each(json_extract(readfile('up.json'), '\$.truth'))")" "accounts against the truth"
assert_eq 1 "$(jv "SELECT min(abs(json_extract(value, '\$.correlation')) <= 1)
	FROM json_each(json_extract(readfile('up.json'), '\$.truth'))")" "correlations"

ds_ok uplift evaluate --as-of "$AS_OF" --snapshots 8 --step-days 3
assert_contains stdout "payments within 30 days"
assert_contains stdout "t_learner"

# --- bad use
ds uplift evaluate --snapshots 1
assert_status 2 "one snapshot"
ds uplift evaluate --horizon abc
assert_status 2 "not a number"
assert_contains stderr "'abc' is not a whole number"
ds uplift evaluate --truth missing.csv --snapshots 4
assert_status 3 "missing truth file"
assert_contains stderr "missing.csv"
ds uplift
assert_status 2 "no subcommand"
ds_ok uplift --help
assert_contains stdout "usage:"
ds_finish

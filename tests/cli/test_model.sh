#!/bin/sh
# Models from the command line: the analyst's path on any CSV (German Credit,
# with the reference figures, and bad input refused with file, line and
# column), and the bank's path on a simulated store: training both targets
# into the registry, champions, scoring every delinquent account, reasons.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

SRC=${DS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CREDIT=$SRC/../shared/data/credit/german-credit.csv

jv() {
	sqlite3 -batch -bail :memory: "$1" 2>&1
}

# --- German Credit: both families, 5 folds, the reference AUCs
if [ -f "$CREDIT" ]; then
	cp "$CREDIT" credit.csv
	ds_ok --json model train --csv credit.csv --target class --positive bad
	report=$(cat "$OUT")
	assert_eq 1000 "$(jv "SELECT json_extract('$report','$.rows')")" "rows"
	assert_eq 300 "$(jv "SELECT json_extract('$report','$.events')")" "events"
	trees=$(jv "SELECT json_extract('$report','$.families[0].cv_auc_mean') >= 0.78")
	card=$(jv "SELECT json_extract('$report','$.families[1].cv_auc_mean') >= 0.77")
	assert_eq 1 "$trees" "trees reach a 5-fold AUC of 0.78 on German Credit"
	assert_eq 1 "$card" "the scorecard reaches a 5-fold AUC of 0.77 on German Credit"
	assert_eq scorecard "$(jv "SELECT json_extract('$report','$.families[1].family')")" \
		"second family"
	assert_eq checking_status \
		"$(jv "SELECT json_extract(value,'$.feature') FROM json_each(json_extract('$report','$.families[0].iv')) ORDER BY json_extract(value,'$.iv') DESC LIMIT 1")" \
		"the feature of highest IV"
	# the same seed, the same report
	ds_ok --json model train --csv credit.csv --target class --positive bad --family trees
	cp "$OUT" first.json
	ds_ok --json model train --csv credit.csv --target class --positive bad --family trees
	assert_file_eq first.json "$OUT" "two runs with the same seed"
	ds_ok model train --csv credit.csv --target class --positive bad --family scorecard
	assert_contains stdout "scorecard: 5-fold cross-validation on 1000 rows (300 events)"
	assert_contains stdout "checking_status"
else
	fail "German Credit is not at $CREDIT"
fi

# --- bad input: named file, line and column
printf 'a,b,y\n1,2,1\n3,4,0\n5,6,2\n' >bad_target.csv
ds model train --csv bad_target.csv --target y
assert_status 1
assert_line stderr "doorstep: bad_target.csv:4:y: the target must be 0 or 1 (or name --positive)"
printf 'a,b,y\n1,2,1\n3,4\n' >short.csv
ds model train --csv short.csv --target y
assert_status 1
assert_line stderr "doorstep: short.csv:3: 2 fields where the header has 3"
printf 'a,b\n1,2\n' >no_target.csv
ds model train --csv no_target.csv --target y
assert_status 1
assert_line stderr "doorstep: no_target.csv:1:y: the target column is not in the header"
printf 'a,y\n1,1\n2,1\n3,1\n' >one_class.csv
ds model train --csv one_class.csv --target y
assert_status 1
assert_contains stderr "the target has a single class (3 of 3 rows are events)"
printf 'a,y\n"1,1\n' >quote.csv
ds model train --csv quote.csv --target y
assert_status 1
assert_contains stderr "quote.csv:2: unclosed quote at end of file"
ds model train --csv missing.csv --target y
assert_status 3
assert_contains stderr "missing.csv"
ds model train --csv credit.csv
assert_status 2
ds model train --csv credit.csv --target class --folds 1
assert_status 2
ds model frobnicate
assert_status 2

ds_finish

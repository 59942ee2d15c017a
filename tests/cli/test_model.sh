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

# --- a GBK file with Chinese categories reads like its UTF-8 twin
awk 'BEGIN { srand(3); print "职业,收入,违约"
	for (i = 0; i < 200; i++) {
		j = int(rand() * 3); inc = int(rand() * 100)
		split("教师 司机 个体户", jobs, " ")
		print jobs[j + 1] "," inc "," ((j == 2 && rand() < 0.7) || rand() < 0.1 ? "是" : "否")
	} }' >utf8.csv
iconv -f UTF-8 -t GBK utf8.csv >gbk.csv
ds_ok --json model train --csv utf8.csv --target 违约 --positive 是 --family scorecard --folds 3
cp "$OUT" utf8.json
ds_ok --json model train --csv gbk.csv --target 违约 --positive 是 --family scorecard --folds 3
assert_eq "$(jv "SELECT json_extract(readfile('utf8.json'),'\$.families')")" \
	"$(jv "SELECT json_extract(readfile('$OUT'),'\$.families')")" "GBK and UTF-8 give the same report"
assert_eq 1 "$(jv "SELECT json_extract(readfile('$OUT'),'\$.families[0].iv[0].iv') > 0.1")" "职业 carries information"

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

# --- the bank's path: the demo city trains both targets and scores
export DOORSTEP_DEMO_BORROWERS=600 DOORSTEP_DEMO_DIR=city
ds_ok demo --as-of 2026-11-29
DB=city/doorstep.db
B="--db $DB"
ds_ok $B --json model list
assert_eq 2 "$(jv "SELECT count(*) FROM json_each('$(cat "$OUT")') WHERE json_extract(value,'\$.champion')")" "champions after the demo"
assert_query "ability|1|1" "SELECT kind, version, champion FROM models WHERE kind='ability'"
scored=$(q "SELECT count(*) FROM scores WHERE score_date='2026-11-29'")
[ "$scored" -gt 20 ] || fail "the demo should score the delinquent accounts, scored $scored"
assert_query 0 "SELECT count(*) FROM scores WHERE ability IS NULL OR willingness IS NULL OR quadrant IS NULL OR reasons IS NULL OR ability < 0 OR ability > 1 OR willingness < 0 OR willingness > 1"
assert_query 0 "SELECT count(*) FROM scores s WHERE NOT EXISTS (SELECT 1 FROM models m WHERE m.model_id = s.ability_model_id AND m.kind = 'ability') OR NOT EXISTS (SELECT 1 FROM models m WHERE m.model_id = s.willingness_model_id AND m.kind = 'willingness')"
assert_query 0 "SELECT count(*) FROM scores WHERE quadrant NOT IN ('able_willing','able_unwilling','unable_willing','unable_unwilling')"
# the quadrant follows the cut-offs (50 %)
assert_query 0 "SELECT count(*) FROM scores WHERE quadrant <> CASE WHEN ability >= 0.5 THEN 'able_' ELSE 'unable_' END || CASE WHEN willingness >= 0.5 THEN 'willing' ELSE 'unwilling' END"
# each score's reasons: at most four, named features of the model
assert_query 0 "SELECT count(*) FROM scores WHERE json_array_length(json_extract(reasons,'\$.ability')) > 4 OR json_array_length(json_extract(reasons,'\$.willingness')) > 4"

# --- explain: both scores, quadrant and reasons, in Chinese and English
acct=$(q "SELECT account_id FROM scores ORDER BY ability, account_id LIMIT 1")
ds_ok $B model explain "$acct" --as-of 2026-11-29
assert_contains stdout "$acct, scored 2026-11-29"
assert_contains stdout "还款能力 ability"
assert_contains stdout "还款意愿 willingness"
assert_contains stdout "quadrant: $(q "SELECT quadrant FROM scores WHERE account_id='$acct'")"
assert_contains stdout "what lowers ability most:"
ds_ok $B --json model explain "$acct" --as-of 2026-11-29
assert_eq "$acct" "$(jv "SELECT json_extract('$(cat "$OUT")','\$.account_id')")" "explain --json account"
ds $B model explain NO-SUCH-ACCOUNT --as-of 2026-11-29
assert_status 3
assert_contains stderr "no score for this account"

# --- the cut-offs are settings: 0 makes everyone able; over 100 is refused
DOORSTEP_ABILITY_CUT=0 ds_ok $B model score --as-of 2026-11-29
assert_query 0 "SELECT count(*) FROM scores WHERE score_date='2026-11-29' AND quadrant LIKE 'unable%'"
DOORSTEP_ABILITY_CUT=150 ds $B model score --as-of 2026-11-29
assert_status 3
assert_contains stderr "ability_cut_pct: a cut-off is a percentage, 0 to 100"
ds_ok $B model score --as-of 2026-11-29

# --- versions and champions: a scorecard is version 2, not yet champion
ds_ok $B model train --target ability --family scorecard --as-of 2026-11-29
assert_contains stdout "scorecard: 5-fold cross-validation on"
assert_contains stdout "out of time (2026-10-30"
assert_contains stdout "PSI against the scoring population"
assert_query "2|scorecard|0" "SELECT version, json_extract(params,'\$.family'), champion FROM models WHERE kind='ability' AND version=2"
# the same data, the same fingerprint
assert_query 1 "SELECT count(DISTINCT data_fingerprint) FROM models WHERE kind='ability'"
card=$(q "SELECT model_id FROM models WHERE kind='ability' AND version=2")
ds_ok $B model promote "$card"
assert_query "$card" "SELECT model_id FROM models WHERE kind='ability' AND champion=1"
ds_ok $B model score --as-of 2026-11-29
assert_query "$scored" "SELECT count(*) FROM scores WHERE score_date='2026-11-29'"
assert_query "$card" "SELECT DISTINCT ability_model_id FROM scores WHERE score_date='2026-11-29'"
# --all: every open account scored; reasons where a collector acts on them
ds_ok $B --json model score --all --as-of 2026-11-29
open=$(q "SELECT count(*) FROM accounts WHERE status IN ('active','legal')")
assert_eq "$open" "$(jv "SELECT json_extract('$(cat "$OUT")','\$.accounts')")" "--all scores every open account"
assert_query "$open" "SELECT count(*) FROM scores WHERE score_date='2026-11-29'"
assert_query "$scored" "SELECT count(*) FROM scores WHERE score_date='2026-11-29' AND reasons IS NOT NULL"
ds_ok $B model score --as-of 2026-11-29
assert_query "$scored" "SELECT count(*) FROM scores WHERE score_date='2026-11-29'"
ds $B model promote 999
assert_status 3
assert_contains stderr "no model 999"
# every write is audited
assert_query "2|1|6" "SELECT sum(action='model.train') - 1, sum(action='model.promote') - 2, sum(action='model.score') FROM audit_log"

# --- validate: the champion's settings on today's data, nothing stored
before=$(count models)
ds_ok $B --json model validate --target willingness --as-of 2026-11-29
assert_eq trees "$(jv "SELECT json_extract('$(cat "$OUT")','\$.family')")" "validated family"
assert_eq 1 "$(jv "SELECT json_extract('$(cat "$OUT")','\$.cv.auc') > 0.5")" "willingness AUC above chance"
assert_eq "$before" "$(count models)" "validate stores no model"
ds $B model validate --target nonsense
assert_status 2

ds_finish

#!/bin/sh
# The simulator from the command line: `generate` is deterministic for a seed
# and its files import cleanly, with the overdue totals the truth file gives;
# `simulate` reports every baseline, reads parameter files (which change the
# outcomes), feeds a store per strategy day by day, and refuses bad input.
# Small cities (400 borrowers; 2,000 for one comparison) keep it quick under
# the sanitizers.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

AS_OF=2026-11-29
N=400 # borrowers
FILES="branches communities borrowers staff certifications accounts schedules payments contacts"
# Parameter files shipped with the project.
EXAMPLES=${DS_SOURCE_DIR:+$DS_SOURCE_DIR/examples/sim}
[ -n "$EXAMPLES" ] || EXAMPLES=$(cd "$(dirname "$0")/../../examples/sim" && pwd)

# jv SQL : evaluates SQL (with the sqlite3 shell's JSON functions) in a
# scratch database, for reading doorstep's --json output.
jv() {
	sqlite3 -batch -bail :memory: "$1" 2>&1
}

# fen AMOUNT : a yuan amount with two decimals ("1234.50") as whole fen.
fen() {
	echo "$1" | awk -F. '{ printf "%d\n", $1 * 100 + $2 }'
}

# --- generate: the same seed writes the same bytes; another seed does not
ds_ok generate --dir g1 --seed 7 --borrowers "$N" --as-of "$AS_OF"
accounts=$(($(wc -l <g1/accounts.csv) - 1))
assert_line stderr "generate: $accounts accounts written to g1/"
ds_ok generate --dir g2 --seed 7 --borrowers "$N" --as-of "$AS_OF"
ds_ok generate --dir g3 --seed 8 --borrowers "$N" --as-of "$AS_OF"
for f in $FILES; do
	[ -s "g1/$f.csv" ] || fail "generate should write g1/$f.csv"
	assert_file_eq "g1/$f.csv" "g2/$f.csv" "$f.csv of two runs with seed 7"
done
CHECKS=$((CHECKS + 1))
if cmp -s g1/accounts.csv g3/accounts.csv || cmp -s g1/payments.csv g3/payments.csv; then
	fail "seeds 7 and 8 should write different accounts and payments"
fi
ds_ok --json generate --dir g4 --seed 7 --borrowers "$N" --as-of "$AS_OF"
assert_eq "$accounts" "$(jv "SELECT json_extract(readfile('$OUT'), '\$.accounts')")" \
	"generate --json accounts"

# --- the files import with nothing rejected; the truth file agrees with the store
ds_ok generate --dir city --borrowers "$N" --as-of "$AS_OF" --truth truth.csv
ds_ok init
for k in $FILES; do
	ds_ok import "$k" "city/$k.csv"
	assert_contains stderr ", 0 rejected (utf-8)"
done
assert_query "9|9|0" "SELECT count(*), sum(status = 'committed'), sum(rows_rejected)
	FROM import_batches"
assert_eq "account_id,dpd,overdue,none,sms,call,letter,visit,plan,legal,visit_complaint_chance,capacity,type,attitude" \
	"$(head -n 1 truth.csv)" "truth file header"
# Every overdue account once, with its overdue amount (third column).
truth_count=$(awk 'NR > 1' truth.csv | wc -l | tr -d ' ')
truth_fen=$(awk -F, 'NR > 1 { split($3, y, "."); s += y[1] * 100 + y[2] }
	END { printf "%d\n", s }' truth.csv)
[ "$truth_count" -gt 0 ] || fail "the truth file should list overdue accounts"
ds_ok summary --as-of "$AS_OF"
# total M0 M1 ... M7+ overdue
total=$(squeeze "$OUT" | grep '^total ')
store_count=$(echo "$total" | awk '{ print $3 + $4 + $5 + $6 + $7 + $8 + $9 }')
store_fen=$(fen "$(echo "$total" | awk '{ print $10 }')")
assert_eq "$truth_count" "$store_count" "delinquent accounts: truth file vs summary"
assert_eq "$truth_fen" "$store_fen" "total overdue (fen): truth file vs summary"
# The same accounts, not only the same count: every one is past due in the store.
cut -d, -f1 truth.csv | sed 1d >truth-ids.txt
# shellcheck disable=SC2046 # one argument per account id
ds_ok dpd --as-of "$AS_OF" $(cat truth-ids.txt)
assert_lines_matching stdout ' M[1-7]' "$truth_count"

# --- simulate --json: the five baselines; doing nothing costs nothing
ds_ok --json simulate --no-store --borrowers "$N" --as-of "$AS_OF" --days 30
cp "$OUT" sim.json
assert_eq 1 "$(jv "SELECT json_valid(readfile('sim.json'))")" "simulate --json is valid JSON"
assert_eq "none,sms-only,visit-all,visit-by-balance,random" \
	"$(jv "SELECT group_concat(json_extract(value, '\$.strategy'))
	       FROM json_each(readfile('sim.json'), '\$.strategies')")" "baselines in the report"
assert_eq "$AS_OF|30" "$(jv "SELECT json_extract(readfile('sim.json'), '\$.as_of'),
	json_extract(readfile('sim.json'), '\$.days')")" "as_of and days"
assert_eq "0|0|0|0" "$(jv "SELECT json_extract(s.value, '\$.cost_fen'),
	(SELECT coalesce(sum(c.value), 0) FROM json_each(json_extract(s.value, '\$.contacts')) c),
	json_extract(s.value, '\$.complaints'), json_extract(s.value, '\$.promises_made')
	FROM json_each(readfile('sim.json'), '\$.strategies') s
	WHERE json_extract(s.value, '\$.strategy') = 'none'")" \
	"none: cost, contacts, complaints, promises"
# Every strategy saw the same city; visits cost money and reach people.
assert_eq 1 "$(jv "SELECT count(DISTINCT json_extract(value, '\$.delinquent_start') || '/' ||
	json_extract(value, '\$.overdue_start_fen'))
	FROM json_each(readfile('sim.json'), '\$.strategies')")" "one starting portfolio for all"
assert_eq 1 "$(jv "SELECT json_extract(value, '\$.contacts.visit') > 0 AND
	json_extract(value, '\$.cost_fen') > 0
	FROM json_each(readfile('sim.json'), '\$.strategies')
	WHERE json_extract(value, '\$.strategy') = 'visit-all'")" "visit-all visits and pays for it"

# --- a parameter file changes the outcomes: visits backfire
# (a city of 2,000 borrowers, for a clear margin: about 16 against 60)
complaints() { # the visit-all complaints of the last --json simulate
	jv "SELECT json_extract(value, '\$.complaints') FROM json_each(readfile('$OUT'), '\$.strategies')"
}
ds_ok --json simulate --no-store --borrowers 2000 --as-of "$AS_OF" --strategy visit-all
plain=$(complaints)
ds_ok --json simulate --no-store --borrowers 2000 --as-of "$AS_OF" --strategy visit-all \
	--params "$EXAMPLES/visits-backfire.ini"
backfire=$(complaints)
CHECKS=$((CHECKS + 1))
if ! [ "$backfire" -gt "$plain" ] 2>/dev/null; then
	fail "visit-all complaints: visits-backfire.ini ($backfire) should exceed the defaults ($plain)"
fi
ds_ok simulate --no-store --borrowers "$N" --as-of "$AS_OF" --strategy visit-all \
	--params "$EXAMPLES/visits-work.ini"
assert_contains stdout "visit-all"

# --- with a store: one database per strategy, fed day by day
ds_ok simulate --borrowers "$N" --as-of "$AS_OF" --strategy none,visit-all --days 5 --store-dir sims
for s in none visit-all; do
	[ -f "sims/$s.db" ] || fail "simulate should create sims/$s.db"
done
none_contacts=$(count contacts sims/none.db)
visit_contacts=$(count contacts sims/visit-all.db)
CHECKS=$((CHECKS + 1))
if ! [ "$visit_contacts" -gt "$none_contacts" ] 2>/dev/null; then
	fail "visit-all.db should hold more contacts ($visit_contacts) than none.db ($none_contacts)"
fi
# The history (nine files) and then a payments and a contacts feed a day.
for s in none visit-all; do
	assert_query "19|19|0" "SELECT count(*), sum(status = 'committed'), sum(rows_rejected)
		FROM import_batches" "sims/$s.db"
	assert_query "5|5" "SELECT count(*), sum(status = 'committed') FROM import_batches
		WHERE kind = 'contacts' AND file_name LIKE '%$s-feed/contacts.csv'" "sims/$s.db"
	assert_query "5|5" "SELECT count(*), sum(status = 'committed') FROM import_batches
		WHERE kind = 'payments' AND file_name LIKE '%$s-feed/payments.csv'" "sims/$s.db"
done
# The field teams' record of each visit made: one visits row per visit
# contact, closed, with what was found and the attitude when the borrower
# was met, the team a collector (and the community's worker).
assert_query 0 "SELECT count(*) FROM visits" sims/none.db
assert_eq "$(q "SELECT count(*) FROM contacts WHERE contact_id LIKE 'D%' AND channel = 'visit'" sims/visit-all.db)" \
	"$(q "SELECT count(*) FROM visits WHERE state = 'closed' AND outcome IS NOT NULL" sims/visit-all.db)" \
	"a visits row for every visit contact"
assert_query 0 "SELECT count(*) FROM visits WHERE (outcome = 'met_borrower') <> (attitude <> 'none')" sims/visit-all.db
assert_query 0 "SELECT count(*) FROM visits v WHERE NOT EXISTS (SELECT 1 FROM team_members m
	JOIN staff s USING (staff_id) WHERE m.team_id = v.team_id AND s.role = 'collector')" sims/visit-all.db
# The visits made are in visit-all's store, dated within the five days.
assert_query 0 "SELECT count(*) FROM contacts WHERE contact_id LIKE 'D%'" sims/none.db
assert_query 1 "SELECT count(*) > 0 FROM contacts WHERE contact_id LIKE 'D%' AND channel = 'visit'
	AND contact_id BETWEEN 'D20261129' AND 'D20261204'" sims/visit-all.db

# --- bad input
ds simulate --no-store --borrowers "$N" --as-of "$AS_OF" --strategy none,pigeon
assert_status 2 "unknown strategy"
assert_contains stderr "unknown strategy 'pigeon'"
printf '[reach]\nvisit = 0.9\npigeon = 0.5\n' >unknown.ini
ds simulate --no-store --borrowers "$N" --as-of "$AS_OF" --params unknown.ini
assert_status 3 "unknown parameter"
assert_contains stderr "unknown.ini:3:"
assert_contains stderr "unknown parameter [reach] pigeon"
printf '; comment\n[reach]\nvisit = 1.5\ncall = 0.5\n' >range.ini
ds generate --dir g5 --borrowers "$N" --as-of "$AS_OF" --params range.ini
assert_status 3 "parameter out of range"
assert_contains stderr "range.ini:3:"
assert_contains stderr "1.5 is outside 0..1"

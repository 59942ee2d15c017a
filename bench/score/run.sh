#!/bin/sh
# Scoring benchmark: build the features of every open account of a city of
# about 1,000,000 accounts and score them with both champion models
# (ability and willingness, with reasons), through `doorstep model score
# --all`; and train both models on about 200,000 labelled rows.
#
# Reference, in the same run: the sqlite3 shell reading the same tables the
# features are built from (accounts, borrowers, the account ledger,
# contacts) with one aggregate each, i.e. the cost of just reading the data.
# The ratio is doorstep's scoring (features and both models) to that.
# Target: 1,000,000 accounts scored (features and both models) in under 5 s
# on 2 cores. Scoring runs three times; each figure is the median.
#
#   sh bench/score/run.sh [path/to/doorstep]
# Environment: BORROWERS (770000, about 1,000,000 accounts), SEED (1),
# SNAPSHOTS (8: training snapshots 30 days apart; willingness then has over
# 200,000 labelled rows), KEEP (1: keep the city).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
doorstep=${1:-$root/build/doorstep}
doorstep=$(cd "$(dirname "$doorstep")" && pwd)/$(basename "$doorstep")
BORROWERS=${BORROWERS:-770000}
SEED=${SEED:-1}
SNAPSHOTS=${SNAPSHOTS:-8}
AS_OF=2026-11-29
out=$root/bench/out
mkdir -p "$out"
work=$out/score-city-$BORROWERS-$SEED
mkdir -p "$work"
cd "$work"
export DOORSTEP_DB=$work/city.db DOORSTEP_ACTOR=bench

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

if [ ! -s city.db ] || [ "${KEEP:-1}" != 1 ]; then
	rm -rf city city.db city.db.key
	echo "bench/score: generating and importing a city of $BORROWERS borrowers" >&2
	"$doorstep" -q generate --dir city --borrowers "$BORROWERS" --seed "$SEED" --as-of "$AS_OF"
	"$doorstep" -q init
	for k in branches communities borrowers staff certifications accounts schedules payments contacts; do
		"$doorstep" -q import "$k" "city/$k.csv"
	done
fi
accounts=$(sqlite3 city.db "SELECT count(*) FROM accounts WHERE status IN ('active','legal')")

# --- training: both targets, trees, on the snapshots before as_of
train() {
	t0=$(now)
	"$doorstep" -q --json model train --target "$1" --family trees --as-of "$AS_OF" \
		--snapshots "$SNAPSHOTS" --promote >"train-$1.json"
	t1=$(now)
	j=$(sqlite3 :memory: "SELECT json_extract(readfile('train-$1.json'),'\$.rows') || ' ' ||
		json_extract(readfile('train-$1.json'),'\$.seconds.data') || ' ' ||
		json_extract(readfile('train-$1.json'),'\$.seconds.training')")
	echo "$(elapsed "$t0" "$t1") $j"
}
set -- $(train ability)
ab_s=$1 ab_rows=$2 ab_data=$3 ab_fit=$4
set -- $(train willingness)
wi_s=$1 wi_rows=$2 wi_data=$3 wi_fit=$4

# --- the reference: reading the same tables the features read
reference() {
	r0=$(now)
	sqlite3 city.db >/dev/null <<'SQL'
SELECT count(*), sum(length(borrower_id)), sum(balance_fen), max(open_date) FROM accounts;
SELECT count(*), sum(monthly_income_fen), max(birth_date), max(community_id) FROM borrowers;
SELECT count(*), sum(length(schedule)), sum(length(payments)) FROM account_ledger;
SELECT count(*), sum(started_at), max(channel), max(outcome) FROM contacts;
SQL
	r1=$(now)
	elapsed "$r0" "$r1"
}

# --- scoring every open account, three times (a shared machine is noisy):
# the median of each figure
median() { sort -n | sed -n 2p; }
: >score.runs
for run in 1 2 3; do
	ref=$(reference)
	s0=$(now)
	/usr/bin/time -f "%M" -o score.rss "$doorstep" -q --json model score --all --as-of "$AS_OF" >score.json
	s1=$(now)
	sqlite3 :memory: "SELECT '$ref' || ' ' || '$(elapsed "$s0" "$s1")' || ' ' || '$(tail -n 1 score.rss)'
		|| ' ' || json_extract(j, '\$.seconds_features') || ' ' || json_extract(j, '\$.seconds_models')
		|| ' ' || json_extract(j, '\$.seconds_reasons') || ' ' || json_extract(j, '\$.seconds_writing')
		|| ' ' || json_extract(j, '\$.accounts') FROM (SELECT readfile('score.json') AS j)" >>score.runs
done
col() { awk -v c="$1" '{ print $c }' score.runs | median; }
ref_s=$(col 1) score_s=$(col 2) rss=$(col 3) feat=$(col 4) models=$(col 5) reasons=$(col 6)
writing=$(col 7) scored=$(col 8)

awk -v acc="$accounts" -v scored="$scored" -v s="$score_s" -v f="$feat" -v m="$models" \
	-v r="$reasons" -v w="$writing" -v ref="$ref_s" -v rss="$rss" -v ab="$ab_s" -v abr="$ab_rows" \
	-v wi="$wi_s" -v wir="$wi_rows" -v abd="$ab_data" -v abf="$ab_fit" -v wid="$wi_data" \
	-v wif="$wi_fit" -v json="$out/score.json" 'BEGIN {
	printf "\ndoorstep scoring benchmark: %d open accounts (median of 3 runs)\n", acc
	printf "%-44s %10s\n", "", "seconds"
	printf "%-44s %10.2f   (%d accounts, peak RSS %.0f MiB)\n", "model score --all (whole command)", s, scored, rss / 1024
	printf "%-44s %10.2f\n", "  building features", f
	printf "%-44s %10.2f\n", "  both models: probabilities", m
	printf "%-44s %10.2f\n", "  scoring: features and both models", f + m
	printf "%-44s %10.2f\n", "  exact TreeSHAP reasons, delinquent accounts", r
	printf "%-44s %10.2f\n", "  writing scores", w
	printf "%-44s %10.2f\n", "sqlite3 reading the same tables (ref.)", ref
	printf "share of scoring spent building features: %.0f%%\n", 100 * f / (f + m)
	printf "ratio of scoring to the reference: %.2f\n", (f + m) / ref
	printf "training, trees (whole command: snapshots, 5-fold and out-of-time validation, final model):\n"
	printf "  ability      %6.1f s, %d labelled rows (building the snapshots %.1f s, final model %.1f s)\n", ab, abr, abd, abf
	printf "  willingness  %6.1f s, %d labelled rows (building the snapshots %.1f s, final model %.1f s)\n", wi, wir, wid, wif
	printf "target: %d accounts scored (features and both models) in under 5 s: %s\n", scored, (f + m < 5 && scored >= 1000000) ? "PASS" : "FAIL"
	printf "{\"accounts\":%d,\"seconds\":%.3f,\"features\":%.3f,\"models\":%.3f,\"scoring\":%.3f,\"reasons\":%.3f,\"writing\":%.3f,\"reference\":%.3f,\"ratio\":%.3f,\"rss_kib\":%d,\"train_ability_s\":%.3f,\"train_ability_rows\":%d,\"train_willingness_s\":%.3f,\"train_willingness_rows\":%d,\"pass\":%s}\n", scored, s, f, m, f + m, r, w, ref, (f + m) / ref, rss, ab, abr, wi, wir, (f + m < 5 && scored >= 1000000) ? "true" : "false" > json
}'

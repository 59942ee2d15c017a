#!/bin/sh
# Scoring benchmark: build the features of every open account of a city of
# about 1,000,000 accounts and score them with both champion models
# (ability and willingness, with reasons), through `doorstep model score
# --all`; and train both models on about 200,000 labelled rows.
#
# Reference, in the same run: the sqlite3 shell reading the same tables the
# features are built from (accounts with borrowers and branches,
# installments, payments, contacts) with one aggregate each, i.e. the cost
# of just reading the data. The ratio is doorstep's scoring run to that.
# Target: 1,000,000 accounts scored in under 5 s on 2 cores.
#
#   sh bench/score/run.sh [path/to/doorstep]
# Environment: BORROWERS (770000, about 1,000,000 accounts), SEED (1),
# SNAPSHOTS (6: training snapshots 30 days apart), KEEP (1: keep the city).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
doorstep=${1:-$root/build/doorstep}
doorstep=$(cd "$(dirname "$doorstep")" && pwd)/$(basename "$doorstep")
BORROWERS=${BORROWERS:-770000}
SEED=${SEED:-1}
SNAPSHOTS=${SNAPSHOTS:-6}
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

# --- the reference: reading the same tables
r0=$(now)
sqlite3 city.db >/dev/null <<'SQL'
SELECT count(*), sum(length(b.community_id)), sum(length(r.timezone)) FROM accounts a
  JOIN borrowers b ON b.borrower_id = a.borrower_id JOIN branches r ON r.branch_id = a.branch_id;
SELECT count(*), sum(amount_fen), max(due_date) FROM installments;
SELECT count(*), sum(amount_fen), max(value_date) FROM payments;
SELECT count(*), sum(started_at), max(outcome) FROM contacts;
SQL
r1=$(now)
ref_s=$(elapsed "$r0" "$r1")

# --- scoring every open account
s0=$(now)
/usr/bin/time -f "%M" -o score.rss "$doorstep" -q --json model score --all --as-of "$AS_OF" >score.json
s1=$(now)
score_s=$(elapsed "$s0" "$s1")
rss=$(tail -n 1 score.rss)
j() { sqlite3 :memory: "SELECT json_extract(readfile('score.json'),'\$.$1')"; }
scored=$(j accounts)
feat=$(j seconds_features)
models=$(j seconds_models)
writing=$(j seconds_writing)

awk -v acc="$accounts" -v scored="$scored" -v s="$score_s" -v f="$feat" -v m="$models" \
	-v w="$writing" -v ref="$ref_s" -v rss="$rss" -v ab="$ab_s" -v abr="$ab_rows" \
	-v wi="$wi_s" -v wir="$wi_rows" -v abd="$ab_data" -v abf="$ab_fit" -v wid="$wi_data" \
	-v wif="$wi_fit" -v json="$out/score.json" 'BEGIN {
	printf "\ndoorstep scoring benchmark: %d open accounts\n", acc
	printf "%-40s %10s\n", "", "seconds"
	printf "%-40s %10.2f   (%d accounts, peak RSS %.0f MiB)\n", "model score --all (whole command)", s, scored, rss / 1024
	printf "%-40s %10.2f   (%.0f%% of the command)\n", "  building features", f, 100 * f / s
	printf "%-40s %10.2f\n", "  both models with reasons", m
	printf "%-40s %10.2f\n", "  writing scores", w
	printf "%-40s %10.2f\n", "sqlite3 reading the same tables (ref.)", ref
	printf "ratio to the reference: %.2f\n", s / ref
	printf "training, trees (whole command: snapshots, 5-fold and out-of-time validation, final model):\n"
	printf "  ability      %6.1f s, %d labelled rows (building the snapshots %.1f s, final model %.1f s)\n", ab, abr, abd, abf
	printf "  willingness  %6.1f s, %d labelled rows (building the snapshots %.1f s, final model %.1f s)\n", wi, wir, wid, wif
	printf "target: %d accounts scored in under 5 s: %s\n", scored, (s - w < 5 && scored >= 1000000) ? "PASS" : "FAIL (features + models " sprintf("%.2f", f + m) " s)"
	printf "{\"accounts\":%d,\"seconds\":%.3f,\"features\":%.3f,\"models\":%.3f,\"writing\":%.3f,\"reference\":%.3f,\"ratio\":%.3f,\"rss_kib\":%d,\"train_ability_s\":%.3f,\"train_ability_rows\":%d,\"train_willingness_s\":%.3f,\"train_willingness_rows\":%d}\n", scored, s, f, m, w, ref, s / ref, rss, ab, abr, wi, wir > json
}'

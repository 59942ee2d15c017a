#!/bin/sh
# Optimiser benchmark: one day's plan for 1,000,000 accounts in 500
# communities (bench_plan.c), with GLPK's exact LP optimum of a smaller day
# of the same shape as the reference in the same run.
# Targets: under 10 s on 2 cores; gap to the LP bound under 0.5%.
#
#   sh bench/plan/run.sh [path/to/bench_plan]
# Environment: ACCOUNTS (1000000), COMMUNITIES (500), REF_ACCOUNTS (20000),
# SEED (88172645463325252).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
prog=${1:-$root/build/bench_plan}
ACCOUNTS=${ACCOUNTS:-1000000}
COMMUNITIES=${COMMUNITIES:-500}
REF_ACCOUNTS=${REF_ACCOUNTS:-20000}
SEED=${SEED:-88172645463325252}
out=$root/bench/out
mkdir -p "$out"
[ -x "$prog" ] || { echo "bench/plan: $prog not built (make build)" >&2; exit 2; }
"$prog" "$ACCOUNTS" "$COMMUNITIES" "$REF_ACCOUNTS" "$SEED" >"$out/plan.json"
j() { sqlite3 :memory: "SELECT json_extract(readfile('$out/plan.json'), '\$.$1')"; }
s=$(j seconds) gap=$(j gap)
awk -v acc="$(j accounts)" -v comm="$(j communities)" -v opts="$(j options)" -v s="$s" \
	-v rounds="$(j rounds)" -v value="$(j value_fen)" -v bound="$(j bound_fen)" -v gap="$gap" \
	-v racc="$(j reference.accounts)" -v rcomm="$(j reference.communities)" \
	-v lp="$(j reference.glpk_lp_fen)" -v lps="$(j reference.glpk_seconds)" \
	-v rval="$(j reference.value_fen)" -v rbound="$(j reference.bound_fen)" \
	-v rgap="$(j reference.gap_to_lp)" -v rs="$(j reference.seconds)" 'BEGIN {
	printf "\ndoorstep optimiser benchmark: %d accounts, %d communities, %d options\n", acc, comm, opts
	printf "  ds_optimise        %8.3f s, %d price rounds\n", s, rounds
	printf "  plan value         %14.0f fen\n", value
	printf "  Lagrangian bound   %14.0f fen\n", bound
	printf "  gap to the bound   %8.3f%%\n", 100 * gap
	printf "reference: %d accounts in %d communities\n", racc, rcomm
	printf "  GLPK LP optimum    %14.0f fen in %.3f s\n", lp, lps
	printf "  ds_optimise bound  %14.0f fen (%.6f x the LP optimum)\n", rbound, rbound / lp
	printf "  ds_optimise plan   %14.0f fen in %.3f s (%.3f%% below the LP optimum)\n", rval, rs, 100 * rgap
	printf "target: under 10 s with a gap under 0.5%%: %s\n", (s < 10 && gap < 0.005) ? "PASS" : "FAIL"
}'

#!/bin/sh
# Simulator benchmark: how long `doorstep generate` takes to build and write a
# city of about a million accounts, how long `doorstep simulate` takes per
# simulated day, how much memory each needs, and what the daily store feed
# costs. See bench/simulate/README.md.
#
#   sh bench/simulate/run.sh [DOORSTEP]      (default build/doorstep)
#
# Settings (environment): BORROWERS DAYS STRATEGIES STORE_BORROWERS
# STORE_DAYS SEED AS_OF RULES BENCH_OUT KEEP.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

die() {
	echo "bench/simulate: $*" >&2
	exit 2
}

# ------------------------------------------------------------ settings

doorstep=${1:-build/doorstep}
case $doorstep in
/*) ;;
*) doorstep=$(pwd)/$doorstep ;;
esac
[ -x "$doorstep" ] || die "no doorstep binary at $doorstep (run 'make build')"

num() { # NAME VALUE: dies unless VALUE is a whole number
	case $2 in
	'' | *[!0-9]*) die "$1 must be a whole number, not '$2'" ;;
	esac
}
BORROWERS=${BORROWERS:-770000} # about 1,000,000 accounts
DAYS=${DAYS:-30}
STRATEGIES=${STRATEGIES:-none,visit-all}
STORE_BORROWERS=${STORE_BORROWERS:-20000}
STORE_DAYS=${STORE_DAYS:-10}
SEED=${SEED:-20261129}
AS_OF=${AS_OF:-2026-11-29}
KEEP=${KEEP:-0}
RULES=${RULES:-1}
case $RULES in
1) rules_opt="" ;;
0) rules_opt="--no-rules" ;;
*) die "RULES must be 1 (contact rules checked) or 0 (--no-rules), not '$RULES'" ;;
esac
num BORROWERS "$BORROWERS"
num DAYS "$DAYS"
num STORE_BORROWERS "$STORE_BORROWERS"
num STORE_DAYS "$STORE_DAYS"
num SEED "$SEED"
for v in "$BORROWERS" "$STORE_BORROWERS" "$DAYS" "$STORE_DAYS"; do
	[ "$v" -ge 1 ] || die "BORROWERS, STORE_BORROWERS, DAYS and STORE_DAYS must be at least 1"
done
case $STRATEGIES in
'' | *[!a-z,-]*) die "STRATEGIES must be a comma-separated list of names" ;;
esac

BENCH_OUT=${BENCH_OUT:-$root/bench/out}
mkdir -p "$BENCH_OUT"
out=$(cd "$BENCH_OUT" && pwd)
command -v sqlite3 >/dev/null 2>&1 || die "needs the sqlite3 shell (Debian package 'sqlite3')"

# Peak RSS: GNU time's %M where it is installed, else the kernel's VmHWM of
# the process, read while it runs.
TIME=/usr/bin/time
if "$TIME" -f '%e %M' -o /dev/null true 2>/dev/null; then
	rss_source="GNU time %M"
else
	TIME=""
	rss_source="VmHWM from /proc, polled every 0.1 s"
fi

now() {
	t=$(date +%s.%N)
	case $t in
	*N*) date +%s ;;
	*) echo "$t" ;;
	esac
}

started=$(now)
run=""
child=""
# shellcheck disable=SC2317 # run by the traps
cleanup() {
	cd "$root"
	if [ -n "$run" ] && [ "$KEEP" != 1 ]; then
		rm -rf "$run"
	fi
}
trap cleanup EXIT
# shellcheck disable=SC2317 # run by the traps
stop() {
	if [ -n "$child" ]; then
		pkill -TERM -P "$child" 2>/dev/null || :
		kill "$child" 2>/dev/null || :
	fi
	exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM

run=$(mktemp -d "$out/simulate-run.XXXXXX")
# One copy of the binary for every run: a rebuild meanwhile cannot mix versions.
cp "$doorstep" "$run/doorstep"
doorstep=$run/doorstep
revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] &&
	[ -n "$(git -C "$root" status --porcelain -- lib src include CMakeLists.txt 2>/dev/null)" ]; then
	revision=$revision-dirty
fi
load=$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo unknown)
cd "$run" # no stray ./doorstep.ini; every path below is relative to the run
results=$run/results
: >"$results"

# measure NAME COMMAND...: runs COMMAND (stdout to NAME.out, stderr to
# NAME.err) and appends "NAME SECONDS PEAK_KIB" to the results.
measure() {
	name=$1
	shift
	echo "bench/simulate: $name" >&2
	t0=$(now)
	if [ -n "$TIME" ]; then
		"$TIME" -f '%M' -o "$run/$name.time" "$@" >"$run/$name.out" 2>"$run/$name.err" </dev/null &
		child=$!
		rc=0
		wait "$child" || rc=$?
		child=""
		peak=$(tail -n 1 "$run/$name.time")
	else
		"$@" >"$run/$name.out" 2>"$run/$name.err" </dev/null &
		child=$!
		peak=0
		while kill -0 "$child" 2>/dev/null; do
			v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$child/status" 2>/dev/null || :)
			[ -z "$v" ] || peak=$v
			sleep 0.1
		done
		rc=0
		wait "$child" || rc=$?
		child=""
	fi
	t1=$(now)
	if [ "$rc" -ne 0 ]; then
		echo "bench/simulate: $name failed (status $rc):" >&2
		tail -n 20 "$run/$name.err" >&2
		exit 1
	fi
	awk -v n="$name" -v a="$t0" -v b="$t1" -v p="$peak" \
		'BEGIN { printf "%s %.3f %.0f\n", n, b - a, p }' >>"$results"
}

# jq-like reading of doorstep's --json output with the sqlite3 shell.
jv() {
	sqlite3 -batch -bail :memory: "$1"
}

# last_json FILE: the last top-level JSON document of FILE. (With a store,
# `simulate --json` prints each strategy database's `init` report first.)
last_json() {
	awk '/^[{]/ { doc = "" } { doc = doc $0 "\n" } END { printf "%s", doc }' "$1"
}

# per_strategy FILE: "name seconds recovered_fen cost_fen contacts ruled" lines.
per_strategy() {
	last_json "$1" >"$1.last"
	jv "SELECT json_extract(s.value, '\$.strategy'), json_extract(s.value, '\$.seconds'),
	           json_extract(s.value, '\$.recovered_fen'), json_extract(s.value, '\$.cost_fen'),
	           (SELECT coalesce(sum(c.value), 0)
	            FROM json_each(json_extract(s.value, '\$.contacts')) c),
	           coalesce(json_extract(s.value, '\$.refused_by_rules'), 0)
	    FROM json_each(readfile('$1.last'), '\$.strategies') s" | tr '|' ' '
}

# ------------------------------------------------------------- the runs

# 1. generate: the city, its year of history, and the import files.
measure generate "$doorstep" --quiet --json generate --dir city --borrowers "$BORROWERS" --seed "$SEED" --as-of "$AS_OF"
accounts=$(jv "SELECT json_extract(readfile('generate.out'), '\$.accounts')")
city_bytes=$(du -sk city | awk '{ print $1 * 1024 }')
payment_rows=$(($(wc -l <city/payments.csv) - 1))
schedule_rows=$(($(wc -l <city/schedules.csv) - 1))
contact_rows=$(($(wc -l <city/contacts.csv) - 1))
rm -rf city

# 2. simulate without a store, full size: the engine and the strategies alone.
# The process builds the same city first (without writing it).
# shellcheck disable=SC2086 # $rules_opt is empty or one word
measure simulate "$doorstep" --quiet --json simulate $rules_opt --no-store --borrowers "$BORROWERS" --seed "$SEED" --as-of "$AS_OF" \
	--days "$DAYS" --strategy "$STRATEGIES"
per_strategy simulate.out >simulate.strategies

# 3. The daily store feed, at a smaller size: the same run with and without
# a store; the difference per day is what importing the day's feed costs.
# shellcheck disable=SC2086
measure store-off "$doorstep" --quiet --json simulate $rules_opt --no-store --borrowers "$STORE_BORROWERS" --seed "$SEED" \
	--as-of "$AS_OF" --days "$STORE_DAYS" --strategy "$STRATEGIES"
per_strategy store-off.out >store-off.strategies
# shellcheck disable=SC2086
measure store-on "$doorstep" --quiet --json simulate $rules_opt --store-dir stores --borrowers "$STORE_BORROWERS" --seed "$SEED" \
	--as-of "$AS_OF" --days "$STORE_DAYS" --strategy "$STRATEGIES"
per_strategy store-on.out >store-on.strategies
store_accounts=$(jv "SELECT json_extract(value, '\$.accounts')
	FROM json_each(readfile('store-on.out.last'), '\$.strategies') LIMIT 1")
: >store.rows
for s in $(echo "$STRATEGIES" | tr ',' ' '); do
	db=stores/$s.db
	fed=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM payments WHERE payment_id LIKE 'D%'),
		(SELECT count(*) FROM contacts WHERE contact_id LIKE 'D%'),
		(SELECT count(*) FROM import_batches WHERE file_name LIKE '%-feed/%'
		 AND status = 'committed')" | tr '|' ' ')
	echo "$s $fed $(wc -c <"$db")" >>store.rows
done

# ------------------------------------------------------------- the report

ended=$(now)
version=$("$doorstep" --version 2>/dev/null | head -n 1)
cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)
json=$out/simulate.json
echo "bench/simulate: results also in $json" >&2
awk -v started="$started" -v ended="$ended" -v version="$version" -v revision="$revision" \
	-v load="$load" -v cpus="$cpus" -v rss_source="$rss_source" -v json="$json" \
	-v borrowers="$BORROWERS" -v accounts="$accounts" -v days="$DAYS" \
	-v city_bytes="$city_bytes" -v payment_rows="$payment_rows" \
	-v schedule_rows="$schedule_rows" -v contact_rows="$contact_rows" \
	-v store_borrowers="$STORE_BORROWERS" \
	-v store_accounts="$store_accounts" -v store_days="$STORE_DAYS" -v seed="$SEED" \
	-v as_of="$AS_OF" -v strategies="$STRATEGIES" -v rules="$RULES" '
# Whole numbers print with %.0f: %d stops at 2^31 - 1 in mawk.
function mib(kib) { return kib / 1024 }
function jstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
FILENAME ~ /results$/ { secs[$1] = $2; rss[$1] = $3; next }
FILENAME ~ /^simulate.strategies$/ { n++; name[n] = $1; sim[n] = $2; rec[n] = $3; cost[n] = $4; con[n] = $5; ruled[n] = $6; next }
FILENAME ~ /^store-off.strategies$/ { off[$1] = $2; next }
FILENAME ~ /^store-on.strategies$/ { on[$1] = $2; next }
FILENAME ~ /^store.rows$/ { fpay[$1] = $2; fcon[$1] = $3; fbat[$1] = $4; dbsize[$1] = $5; next }
END {
	wall = ended - started
	printf "\ndoorstep simulator benchmark: %.0f borrowers, %.0f accounts, %.0f days; seed %.0f, as of %s\n",
		borrowers, accounts, days, seed, as_of
	printf "%s, source %s; %.0f CPUs, load average %s at the start; peak RSS by %s\n",
		version, revision, cpus, load, rss_source
	printf "contact rules %s\n\n", rules == 1 ? "checked ([rules] jurisdiction)" : "off (--no-rules)"
	printf "generate (build the city, play 12 months of history, write the files):\n"
	printf "  %.1f s, peak RSS %.0f MiB, %.0f MiB of CSV files\n", secs["generate"],
		mib(rss["generate"]), city_bytes / 1048576
	printf "  (%.0f installments, %.0f payments, %.0f contacts)\n\n", schedule_rows,
		payment_rows, contact_rows
	simsum = 0
	for (i = 1; i <= n; i++) simsum += sim[i]
	build = secs["simulate"] - simsum
	printf "simulate --no-store, %.0f days (one process; it builds the city first, %.1f s):\n", days, build
	printf "  %-12s %9s %11s %14s %10s %10s %14s\n", "strategy", "seconds", "s per day",
		"ns/account-day", "contacts", "ruled", "recovered"
	for (i = 1; i <= n; i++) {
		per[i] = sim[i] / days
		nsad[i] = accounts > 0 ? 1e9 * sim[i] / (accounts * days) : 0
		printf "  %-12s %9.2f %11.3f %14.1f %10.0f %10.0f %14.2f\n", name[i], sim[i], per[i],
			nsad[i], con[i], ruled[i], rec[i] / 100
	}
	printf "  process: %.1f s wall, peak RSS %.0f MiB\n\n", secs["simulate"], mib(rss["simulate"])
	printf "daily store feed, %.0f borrowers (%.0f accounts), %.0f days:\n", store_borrowers,
		store_accounts, store_days
	printf "  %-12s %11s %11s %13s %9s %9s %9s %9s\n", "strategy", "no store s", "store s",
		"feed s/day", "payments", "contacts", "batches", "db MiB"
	for (i = 1; i <= n; i++) {
		s = name[i]
		feed[s] = (on[s] - off[s]) / store_days
		printf "  %-12s %11.3f %11.3f %13.3f %9.0f %9.0f %9.0f %9.1f\n", s, off[s], on[s], feed[s],
			fpay[s], fcon[s], fbat[s], dbsize[s] / 1048576
	}
	printf "  process with stores: %.1f s wall (init and history import per strategy included), peak RSS %.0f MiB;\n",
		secs["store-on"], mib(rss["store-on"])
	printf "  without: %.1f s, peak RSS %.0f MiB\n", secs["store-off"], mib(rss["store-off"])
	printf "\ntotal wall time %.1f s\n", wall

	printf "{\n" > json
	printf "  \"benchmark\": \"simulate\",\n" > json
	printf "  \"doorstep_version\": %s,\n", jstr(version) > json
	printf "  \"source_revision\": %s,\n", jstr(revision) > json
	printf "  \"cpus\": %.0f,\n", cpus > json
	printf "  \"load_average_at_start\": %s,\n", load ~ /^[0-9.]+$/ ? load : "null" > json
	printf "  \"peak_rss_source\": %s,\n", jstr(rss_source) > json
	printf "  \"params\": {\"borrowers\": %.0f, \"accounts\": %.0f, \"days\": %.0f, \"strategies\": %s, \"rules\": %s, \"seed\": %.0f, \"as_of\": %s, \"store_borrowers\": %.0f, \"store_accounts\": %.0f, \"store_days\": %.0f},\n",
		borrowers, accounts, days, jstr(strategies), rules == 1 ? "true" : "false", seed, jstr(as_of), store_borrowers,
		store_accounts, store_days > json
	printf "  \"generate\": {\"seconds\": %.3f, \"peak_rss_kib\": %.0f, \"csv_bytes\": %.0f, \"schedule_rows\": %.0f, \"payment_rows\": %.0f, \"contact_rows\": %.0f},\n",
		secs["generate"], rss["generate"], city_bytes, schedule_rows, payment_rows,
		contact_rows > json
	printf "  \"simulate\": {\"process_seconds\": %.3f, \"peak_rss_kib\": %.0f, \"world_build_seconds\": %.3f, \"strategies\": [\n",
		secs["simulate"], rss["simulate"], build > json
	for (i = 1; i <= n; i++)
		printf "    {\"strategy\": %s, \"seconds\": %.3f, \"seconds_per_day\": %.4f, \"ns_per_account_day\": %.1f, \"contacts\": %.0f, \"refused_by_rules\": %.0f, \"recovered_fen\": %.0f, \"cost_fen\": %.0f}%s\n",
			jstr(name[i]), sim[i], per[i], nsad[i], con[i], ruled[i], rec[i], cost[i],
			i < n ? "," : "" > json
	printf "  ]},\n" > json
	printf "  \"store_feed\": {\"process_seconds_with_store\": %.3f, \"peak_rss_kib_with_store\": %.0f, \"process_seconds_without\": %.3f, \"peak_rss_kib_without\": %.0f, \"strategies\": [\n",
		secs["store-on"], rss["store-on"], secs["store-off"], rss["store-off"] > json
	for (i = 1; i <= n; i++) {
		s = name[i]
		printf "    {\"strategy\": %s, \"seconds_without_store\": %.3f, \"seconds_with_store\": %.3f, \"feed_seconds_per_day\": %.4f, \"payments_fed\": %.0f, \"contacts_fed\": %.0f, \"feed_batches\": %.0f, \"db_bytes\": %.0f}%s\n",
			jstr(s), off[s], on[s], feed[s], fpay[s], fcon[s], fbat[s], dbsize[s],
			i < n ? "," : "" > json
	}
	printf "  ]},\n" > json
	printf "  \"total_wall_seconds\": %.1f\n", wall > json
	printf "}\n" > json
	close(json)
}' "$results" simulate.strategies store-off.strategies store-on.strategies store.rows

#!/bin/sh
# Import benchmark: `doorstep import` of generated CSV files into a fresh
# database, against the sqlite3 shell's own `.import --csv` of the same
# accounts and payments files into bare tables. See bench/import/README.md.
#
#   sh bench/import/run.sh [DOORSTEP]      (default build/doorstep)
#
# Settings (environment): ACCOUNTS PAYMENTS BORROWERS COMMUNITIES BRANCHES
# SEED SMALL_DIVISOR BENCH_OUT TARGET_RATIO TARGET_RSS_MIB STRICT CC.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

die() {
	echo "bench/import: $*" >&2
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
ACCOUNTS=${ACCOUNTS:-1000000}
PAYMENTS=${PAYMENTS:-5000000}
num ACCOUNTS "$ACCOUNTS"
num PAYMENTS "$PAYMENTS"
# About two accounts per borrower, at most a million borrowers.
if [ -z "${BORROWERS:-}" ]; then
	BORROWERS=$((ACCOUNTS / 2))
	[ "$BORROWERS" -le 1000000 ] || BORROWERS=1000000
	[ "$BORROWERS" -ge 1 ] || BORROWERS=1
fi
if [ -z "${COMMUNITIES:-}" ]; then
	COMMUNITIES=$((BORROWERS / 1000))
	[ "$COMMUNITIES" -ge 1 ] || COMMUNITIES=1
fi
BRANCHES=${BRANCHES:-50}
SEED=${SEED:-1}
SMALL_DIVISOR=${SMALL_DIVISOR:-5}
TARGET_RATIO=${TARGET_RATIO:-2.0}
TARGET_RSS_MIB=${TARGET_RSS_MIB:-512}
STRICT=${STRICT:-0}
CC=${CC:-cc}

num BORROWERS "$BORROWERS"
num COMMUNITIES "$COMMUNITIES"
num BRANCHES "$BRANCHES"
num SEED "$SEED"
num SMALL_DIVISOR "$SMALL_DIVISOR"
num TARGET_RSS_MIB "$TARGET_RSS_MIB"
case $TARGET_RATIO in
'' | *[!0-9.]*) die "TARGET_RATIO must be a number, not '$TARGET_RATIO'" ;;
esac
[ "$ACCOUNTS" -ge 1 ] || die "ACCOUNTS must be at least 1"
[ "$SMALL_DIVISOR" -ge 1 ] || die "SMALL_DIVISOR must be at least 1"
[ "$PAYMENTS" -ge "$SMALL_DIVISOR" ] || die "PAYMENTS must be at least SMALL_DIVISOR"
SMALL_PAYMENTS=$((PAYMENTS / SMALL_DIVISOR))

BENCH_OUT=${BENCH_OUT:-$root/bench/out}
mkdir -p "$BENCH_OUT"
out=$(cd "$BENCH_OUT" && pwd)

# GNU time gives the wall time and the peak RSS (max resident set) of one process.
TIME=/usr/bin/time
if ! "$TIME" -f '%e %M' -o /dev/null true 2>/dev/null; then
	die "needs GNU time at $TIME (Debian package 'time'; 'make deps' installs it)"
fi
command -v sqlite3 >/dev/null 2>&1 || die "needs the sqlite3 shell (Debian package 'sqlite3')"
command -v "$CC" >/dev/null 2>&1 || die "needs a C compiler ($CC) to build the generator"

now() {
	t=$(date +%s.%N)
	case $t in
	*N*) date +%s ;;
	*) echo "$t" ;;
	esac
}

started=$(now)
run=""
gen_tmp=""
child=""
# shellcheck disable=SC2317 # run by the traps
cleanup() {
	cd "$root"
	[ -z "$run" ] || rm -rf "$run"
	[ -z "$gen_tmp" ] || rm -rf "$gen_tmp"
}
trap cleanup EXIT
# Stop the measured process too (run in the background so that a signal is
# handled at once, not when it ends).
# shellcheck disable=SC2317 # run by the traps
stop() {
	if [ -n "$child" ]; then
		# GNU time's child first (pkill by parent id), then GNU time.
		pkill -TERM -P "$child" 2>/dev/null || :
		kill "$child" 2>/dev/null || :
	fi
	exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM

# --------------------------------------------------------- the data files

gen_sum=$(cksum <"$here/gen.c" | awk '{ print $1 }')
params="seed=$SEED branches=$BRANCHES communities=$COMMUNITIES borrowers=$BORROWERS"
params="$params accounts=$ACCOUNTS payments=$PAYMENTS small=$SMALL_PAYMENTS gen=$gen_sum"
data=$out/import-data/s$SEED-br$BRANCHES-c$COMMUNITIES-b$BORROWERS-a$ACCOUNTS-p$PAYMENTS
gen_secs=0
reused=true
if [ ! -f "$data/params" ] || [ "$(cat "$data/params")" != "$params" ]; then
	reused=false
	mkdir -p "$out/import-data"
	rm -rf "$data"
	gen_tmp=$(mktemp -d "$out/import-data/.gen.XXXXXX")
	echo "bench/import: generating $ACCOUNTS accounts, $PAYMENTS payments in $data" >&2
	t0=$(now)
	"$CC" -std=c17 -O2 -o "$gen_tmp/gen" "$here/gen.c"
	"$gen_tmp/gen" "$gen_tmp" "$SEED" "$BRANCHES" "$COMMUNITIES" "$BORROWERS" "$ACCOUNTS" \
		"$PAYMENTS"
	head -n $((SMALL_PAYMENTS + 1)) "$gen_tmp/payments.csv" >"$gen_tmp/payments-small.csv"
	rm -f "$gen_tmp/gen"
	echo "$params" >"$gen_tmp/params"
	mv "$gen_tmp" "$data"
	gen_tmp=""
	gen_secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
else
	echo "bench/import: reusing the data files in $data" >&2
fi

# ------------------------------------------------------------- the runs

run=$(mktemp -d "$out/import-run.XXXXXX")
# One copy of the binary for every run: a rebuild meanwhile cannot mix versions.
cp "$doorstep" "$run/doorstep"
doorstep=$run/doorstep
revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] &&
	[ -n "$(git -C "$root" status --porcelain -- lib src include CMakeLists.txt 2>/dev/null)" ]; then
	revision=$revision-dirty
fi
# Other work on the machine skews every figure: say how busy it was.
load=$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo unknown)
for f in branches communities borrowers accounts payments payments-small; do
	ln -s "$data/$f.csv" "$run/$f.csv"
done
cd "$run" # no stray ./doorstep.ini; every path below is relative to the run
results=$run/results

# measure TOOL KIND FILE ROWS COMMAND...: runs COMMAND under GNU time and
# appends "TOOL KIND FILE ROWS SECONDS PEAK_KIB USER SYS" to the results.
# The wall time is taken around it with date's nanoseconds where there are
# any (GNU time's own has only centiseconds).
measure() {
	tool=$1 kind=$2 file=$3 rows=$4
	shift 4
	log=$run/$tool-$file.log
	echo "bench/import: $tool $kind $file ($rows rows)" >&2
	t0=$(now)
	"$TIME" -f '%e %M %U %S' -o "$run/time" "$@" >"$log" 2>&1 </dev/null &
	child=$!
	rc=0
	wait "$child" || rc=$?
	child=""
	if [ "$rc" -ne 0 ]; then
		echo "bench/import: $tool $kind $file failed:" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
	t1=$(now)
	tail -n 1 "$run/time" | awk -v pre="$tool $kind $file $rows" -v a="$t0" -v b="$t1" '
		{ s = b - a; if (s <= 0 || a !~ /[.]/) s = $1
		  printf "%s %.3f %s %s %s\n", pre, s, $2, $3, $4 }' >>"$results"
}

# Checks the doorstep --json report: committed, every row inserted.
check_doorstep() {
	log=$run/doorstep-$1.log
	ins=$(sed -n 's/.*"inserted": *\([0-9]*\).*/\1/p' "$log")
	if ! grep -q '"committed": *true' "$log" || [ "$ins" != "$2" ]; then
		echo "bench/import: doorstep did not insert all $2 rows of $1:" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
}

ds() {
	"$doorstep" --db "$@"
}

ds doorstep.db --quiet init >"$run/init.log" 2>&1 || {
	cat "$run/init.log" >&2
	exit 1
}
for kind in branches communities borrowers accounts payments; do
	case $kind in
	branches) rows=$BRANCHES ;;
	communities) rows=$COMMUNITIES ;;
	borrowers) rows=$BORROWERS ;;
	accounts) rows=$ACCOUNTS ;;
	payments) rows=$PAYMENTS ;;
	esac
	if [ "$kind" = payments ]; then
		# The same database before payments, for the 1/SMALL_DIVISOR run.
		cp doorstep.db small.db
		cp doorstep.db.key small.db.key
		cp doorstep.db schema.db
	fi
	measure doorstep "$kind" "$kind.csv" "$rows" \
		"$doorstep" --db doorstep.db --json --quiet import "$kind" "$kind.csv"
	check_doorstep "$kind.csv" "$rows"
done
measure doorstep payments payments-small.csv "$SMALL_PAYMENTS" \
	"$doorstep" --db small.db --json --quiet import payments payments-small.csv
check_doorstep payments-small.csv "$SMALL_PAYMENTS"
ds_bytes=$(wc -c <doorstep.db)
rm -f small.db small.db.key

# The reference: bare tables (columns of the header, no types, no keys, no
# indexes) in a fresh database, filled by the sqlite3 shell's CSV import.
sqlite3 -bail ref.db "CREATE TABLE accounts($(head -n 1 accounts.csv));
CREATE TABLE payments($(head -n 1 payments.csv));"
for kind in accounts payments; do
	case $kind in
	accounts) rows=$ACCOUNTS ;;
	payments) rows=$PAYMENTS ;;
	esac
	measure sqlite3 "$kind" "$kind.csv" "$rows" \
		sqlite3 -bail ref.db ".import --csv --skip 1 $kind.csv $kind"
	n=$(sqlite3 ref.db "SELECT count(*) FROM $kind")
	[ "$n" = "$rows" ] || die "sqlite3 imported $n rows of $kind.csv, expected $rows"
done
ref_bytes=$(wc -c <ref.db)

# A second reference: SQLite's own best load into doorstep's schema (keys,
# the foreign key to accounts, the account index), on the same database as
# doorstep's payments import started from: the shell's .import into a bare
# table, then one INSERT ... SELECT. What doorstep adds beyond it is its own
# work: parsing, checking every field, reporting, auditing.
measure sqlite3-schema payments payments.csv "$PAYMENTS" \
	sqlite3 -bail schema.db "PRAGMA foreign_keys=ON" ".import --csv payments.csv bare_payments" \
	"INSERT INTO payments(payment_id, account_id, value_date, amount_fen, channel, batch_id)
	 SELECT payment_id, account_id, value_date, CAST(round(amount * 100) AS INTEGER), channel, 0
	 FROM bare_payments" "DROP TABLE bare_payments"
n=$(sqlite3 schema.db "SELECT count(*) FROM payments")
[ "$n" = "$PAYMENTS" ] || die "sqlite3 loaded $n rows into the schema, expected $PAYMENTS"
rm -f schema.db schema.db-wal schema.db-shm

# ------------------------------------------------------------- the report

ended=$(now)
version=$("$doorstep" --version 2>/dev/null | head -n 1)
sqlite_version=$(sqlite3 --version | awk '{ print $1 }')
cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)
json=$out/import.json
status=0
echo "bench/import: results also in $json" >&2
awk -v started="$started" -v ended="$ended" -v gen_secs="$gen_secs" -v reused="$reused" \
	-v version="$version" -v revision="$revision" -v load="$load" -v sqlite_version="$sqlite_version" -v cpus="$cpus" \
	-v accounts="$ACCOUNTS" -v payments="$PAYMENTS" -v borrowers="$BORROWERS" \
	-v communities="$COMMUNITIES" -v branches="$BRANCHES" -v seed="$SEED" \
	-v small="$SMALL_PAYMENTS" -v divisor="$SMALL_DIVISOR" \
	-v target_ratio="$TARGET_RATIO" -v target_rss="$TARGET_RSS_MIB" \
	-v ds_bytes="$ds_bytes" -v ref_bytes="$ref_bytes" -v json="$json" '
function rate(rows, secs) { return secs > 0 ? rows / secs : 0 }
function showratio(r) { return r < 0 ? "n/a" : sprintf("%.2f", r) }
function mib(kib) { return kib / 1024 }
function jstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
{
	n++
	tool[n] = $1; kind[n] = $2; file[n] = $3; rows[n] = $4
	secs[n] = $5; rss[n] = $6; user[n] = $7; sys[n] = $8
	if ($1 == "sqlite3") { ref[$3] = n }
	if ($1 == "sqlite3-schema") { same[$3] = n }
}
END {
	wall = ended - started
	printf "\ndoorstep import benchmark: %d accounts, %d payments ", accounts, payments
	printf "(%d borrowers, %d communities, %d branches; seed %d)\n", borrowers, communities,
		branches, seed
	printf "%s, source %s; sqlite3 %s; %d CPUs, load average %s at the start\n\n",
		version, revision, sqlite_version, cpus, load
	printf "%-19s %9s | %10s %10s %10s | %10s %10s %10s | %6s\n", "file", "rows",
		"doorstep s", "rows/s", "peak RSS", "sqlite3 s", "rows/s", "peak RSS", "ratio"
	line = sprintf("%107s", ""); gsub(/ /, "-", line); print line
	for (i = 1; i <= n; i++) {
		if (tool[i] != "doorstep")
			continue
		printf "%-19s %9d | %10.2f %10.0f %6.1f MiB |", file[i], rows[i], secs[i],
			rate(rows[i], secs[i]), mib(rss[i])
		if (file[i] in ref) {
			j = ref[file[i]]
			ratio[file[i]] = secs[j] > 0 ? secs[i] / secs[j] : -1
			printf " %10.2f %10.0f %6.1f MiB | %6s\n", secs[j],
				rate(rows[j], secs[j]), mib(rss[j]), showratio(ratio[file[i]])
		} else {
			printf " %10s %10s %10s | %6s\n", "-", "-", "-", "-"
		}
		if (file[i] == "payments.csv") full = i
		if (file[i] == "payments-small.csv") part = i
	}
	print line
	rss_small = mib(rss[part]); rss_full = mib(rss[full])
	grow = rss_full - rss_small
	flat = grow <= (0.2 * rss_small > 16 ? 0.2 * rss_small : 16)
	rss_ok = rss_full < target_rss && rss_small < target_rss && flat
	printf "\ndoorstep database %.0f MiB, sqlite3 reference database %.0f MiB\n",
		ds_bytes / 1048576, ref_bytes / 1048576
	printf "total wall time %.1f s (data generation %s)\n", wall,
		reused == "true" ? "skipped: files reused" : sprintf("%.1f s", gen_secs)
	printf "peak RSS, doorstep import payments: %.1f MiB at %d rows (1/%d), %.1f MiB at %d rows: %s\n",
		rss_small, small, divisor, rss_full, payments,
		rss_ok ? "PASS (< " target_rss " MiB, flat)" : \
		"FAIL (target < " target_rss " MiB and flat)"
	fail = !rss_ok
	nf = split("accounts.csv payments.csv", names, " ")
	for (k = 1; k <= nf; k++) {
		f = names[k]
		for (i = 1; i <= n; i++)
			if (tool[i] == "doorstep" && file[i] == f) d = i
		j = ref[f]
		ok = ratio[f] >= 0 && ratio[f] <= target_ratio + 0
		fail = fail || !ok
		printf "%s: doorstep %.2f s (%.0f rows/s) / sqlite3 %.2f s (%.0f rows/s) = ratio %s (target <= %s): %s\n",
			f, secs[d], rate(rows[d], secs[d]), secs[j], rate(rows[j], secs[j]),
			showratio(ratio[f]), target_ratio, ok ? "PASS" : "FAIL"
	}

	if ("payments.csv" in same) {
		j = same["payments.csv"]
		same_ratio = secs[j] > 0 ? secs[full] / secs[j] : -1
		printf "payments.csv: doorstep %.2f s / sqlite3 into the doorstep schema (keys, foreign key, index) %.2f s = ratio %s (for reference)\n",
			secs[full], secs[j], showratio(same_ratio)
	}

	printf "{\n" > json
	printf "  \"benchmark\": \"import\",\n" > json
	printf "  \"doorstep_version\": %s,\n", jstr(version) > json
	printf "  \"source_revision\": %s,\n", jstr(revision) > json
	printf "  \"sqlite_version\": %s,\n", jstr(sqlite_version) > json
	printf "  \"cpus\": %d,\n", cpus > json
	printf "  \"load_average_at_start\": %s,\n", load ~ /^[0-9.]+$/ ? load : "null" > json
	printf "  \"params\": {\"seed\": %d, \"branches\": %d, \"communities\": %d, \"borrowers\": %d, \"accounts\": %d, \"payments\": %d, \"payments_small\": %d},\n",
		seed, branches, communities, borrowers, accounts, payments, small > json
	printf "  \"targets\": {\"ratio_max\": %s, \"peak_rss_mib_max\": %d},\n", target_ratio + 0,
		target_rss > json
	printf "  \"runs\": [\n" > json
	for (i = 1; i <= n; i++)
		printf "    {\"tool\": %s, \"kind\": %s, \"file\": %s, \"rows\": %d, \"seconds\": %.3f, \"rows_per_second\": %.0f, \"peak_rss_kib\": %d, \"user_seconds\": %.2f, \"sys_seconds\": %.2f}%s\n",
			jstr(tool[i]), jstr(kind[i]), jstr(file[i]), rows[i], secs[i],
			rate(rows[i], secs[i]), rss[i], user[i], sys[i], i < n ? "," : "" > json
	printf "  ],\n" > json
	printf "  \"ratios\": {\"accounts.csv\": %.3f, \"payments.csv\": %.3f},\n",
		ratio["accounts.csv"], ratio["payments.csv"] > json
	printf "  \"ratio_same_schema\": {\"payments.csv\": %.3f},\n", same_ratio > json
	printf "  \"peak_rss_mib\": {\"payments_small\": %.1f, \"payments\": %.1f, \"flat\": %s},\n",
		rss_small, rss_full, flat ? "true" : "false" > json
	printf "  \"database_bytes\": {\"doorstep\": %d, \"sqlite3\": %d},\n", ds_bytes,
		ref_bytes > json
	printf "  \"generation_seconds\": %.2f,\n", gen_secs > json
	printf "  \"data_reused\": %s,\n", reused > json
	printf "  \"total_wall_seconds\": %.1f,\n", wall > json
	printf "  \"pass\": %s\n", fail ? "false" : "true" > json
	printf "}\n" > json
	close(json)
	exit fail ? 3 : 0
}' "$results" || status=$?
case $status in
0) ;;
3) [ "$STRICT" = 1 ] && exit 1 ;;
*) exit "$status" ;;
esac
exit 0

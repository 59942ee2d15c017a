#!/bin/sh
# Contact-rule benchmark: 1,000,000 proposed contacts checked against a store
# with realistic history (a simulated city: a year of the bank's SMS and
# calls, then two weeks of a random strategy's contacts, fed day by day).
# `doorstep rules --store check` reads them as JSON lines, fills each from the
# store's contact history and holds, and writes a decision per line.
#
# Reference, in the same run: the same command with a pack of no rules,
# which does all the reading, filling and writing but decides nothing; the
# ratio is the rules' own cost. Target: under 5 s on 2 cores.
#
#   sh bench/rules/run.sh [path/to/doorstep]
# Environment: PROPOSALS (1000000), BORROWERS (50000), SEED (1).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
doorstep=${1:-$root/build/doorstep}
doorstep=$(cd "$(dirname "$doorstep")" && pwd)/$(basename "$doorstep")
PROPOSALS=${PROPOSALS:-1000000}
BORROWERS=${BORROWERS:-50000}
SEED=${SEED:-1}
out=$root/bench/out
mkdir -p "$out"
work=$(mktemp -d "$out/rules-run.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cd "$work"
cp "$doorstep" ./doorstep

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

echo "bench/rules: building a store with history ($BORROWERS borrowers)" >&2
t0=$(now)
./doorstep -q simulate --borrowers "$BORROWERS" --days 14 --as-of 2026-11-29 \
	--seed "$SEED" --strategy random --store-dir sim >/dev/null
t1=$(now)
db=sim/random.db
accounts=$(sqlite3 "$db" "SELECT count(*) FROM accounts")
contacts=$(sqlite3 "$db" "SELECT count(*) FROM contacts")

echo "bench/rules: writing $PROPOSALS proposals" >&2
awk -v n="$PROPOSALS" -v accounts="$accounts" -v seed="$SEED" 'BEGIN {
	srand(seed)
	split("sms call call call visit letter", ch, " ")
	for (i = 1; i <= n; i++) {
		a = int(rand() * accounts) + 1
		c = ch[int(rand() * 6) + 1]
		d = 13 + int(rand() * 3)            # the days after the simulated run
		h = 7 + int(rand() * 16); m = int(rand() * 60)
		printf "{\"id\":%d,\"account_id\":\"A%07d\",\"channel\":\"%s\",\"start\":\"2026-12-%02dT%02d:%02d:00\",\"duration_s\":%d}\n",
			i, a, c, d, h, m, c == "visit" ? 1800 : c == "call" ? 180 : 0
	}
}' >proposals.jsonl
echo '{"jurisdiction":"NONE","rules":[]}' >none.json

# run NAME ARGS... : times one `rules check` pass; prints seconds and peak RSS
run() {
	name=$1
	shift
	r0=$(now)
	/usr/bin/time -f "%M" -o "$name.rss" ./doorstep --db "$db" -q rules "$@" --store \
		--history-days 400 check <proposals.jsonl >"$name.out" 2>"$name.err" || true
	r1=$(now)
	echo "$(elapsed "$r0" "$r1") $(tail -n 1 "$name.rss")"
}
set -- $(run cn)
cn_s=$1 cn_rss=$2
set -- $(run none --pack none.json)
none_s=$1 none_rss=$2
allowed=$(grep -c '"allow":true' cn.out || true)
refused=$(grep -c '"allow":false' cn.out || true)
errors=$(grep -c '"error"' cn.out || true)
[ "$errors" -eq 0 ] || { echo "bench/rules: $errors lines failed:" >&2; grep '"error"' cn.out | head >&2; exit 1; }

awk -v p="$PROPOSALS" -v acc="$accounts" -v con="$contacts" -v build="$(elapsed "$t0" "$t1")" \
	-v cn="$cn_s" -v cnr="$cn_rss" -v none="$none_s" -v noner="$none_rss" \
	-v al="$allowed" -v re="$refused" -v json="$out/rules.json" 'BEGIN {
	printf "\ndoorstep rules benchmark: %d proposals against a store of %d accounts, %d contacts (built in %.1f s)\n", p, acc, con, build
	printf "%-28s %10s %14s %10s\n", "", "seconds", "proposals/s", "peak RSS"
	printf "%-28s %10.2f %14.0f %6.1f MiB\n", "CN pack (rules decide)", cn, p / cn, cnr / 1024
	printf "%-28s %10.2f %14.0f %6.1f MiB\n", "empty pack (reference)", none, p / none, noner / 1024
	printf "allowed %d, refused %d; the rules add %.2f s (ratio %.2f to the reference)\n",
		al, re, cn - none, cn / none
	printf "target: %d proposals under 5 s: %s\n", p, cn < 5 ? "PASS" : "FAIL"
	printf "{\"benchmark\":\"rules\",\"proposals\":%d,\"accounts\":%d,\"contacts\":%d,\"seconds\":%.3f,\"reference_seconds\":%.3f,\"ratio\":%.3f,\"peak_rss_kib\":%d,\"allowed\":%d,\"refused\":%d,\"pass\":%s}\n",
		p, acc, con, cn, none, cn / none, cnr, al, re, cn < 5 ? "true" : "false" > json
}'

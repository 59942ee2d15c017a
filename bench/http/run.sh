#!/bin/sh
# HTTP benchmark: the field view's read endpoints of `doorstep serve` at a
# fixed rate on loopback, against a static file served by the same server
# in the same run (the reference), with wrk.
#
#   sh bench/http/run.sh [path/to/doorstep]
# Environment: RATE (1000 requests/s), SECONDS_RUN (20), CONNECTIONS (20),
# THREADS (2, the server's and wrk's).
#
# The store: a simulated city's routed day (as tests/cli/test_route_day.sh
# makes it), a collector logged in. The field view reads its day's visits
# (GET /api/visits?date=D), one visit (GET /api/visits/{id}) and its tasks
# (GET /api/tasks), in turn. Target: p99 <= 20 ms at 1,000 requests/s with
# no errors. Results in bench/out/http.csv.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/doorstep}
RATE=${RATE:-1000}
SECONDS_RUN=${SECONDS_RUN:-20}
CONNECTIONS=${CONNECTIONS:-20}
THREADS=${THREADS:-2}
out=$root/bench/out
mkdir -p "$out"
[ -x "$bin" ] || { echo "bench/http: $bin not built (make build)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench/http: wrk is needed (apt-get install wrk)" >&2; exit 2; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp"

day=2026-11-12
"$bin" simulate --days 1 --strategy none --borrowers 2000 --seed 11 --as-of 2026-11-05 \
	--store-dir sims >/dev/null 2>&1
db=$tmp/sims/none.db
sqlite3 "$db" "INSERT INTO decisions(plan_date, account_id, treatment, expected_fen, cost_fen,
	reasons, created_at) SELECT '$day', account_id, 'visit', 50000, 14500, '{}', 0
	FROM (SELECT DISTINCT account_id FROM contacts ORDER BY account_id LIMIT 80)"
"$bin" --db "$db" route --date "$day" --iterations 300 >/dev/null
lead=$(sqlite3 "$db" "SELECT substr(team_id, 12) FROM visits GROUP BY team_id ORDER BY count(*) DESC LIMIT 1")
visit=$(sqlite3 "$db" "SELECT min(visit_id) FROM visits WHERE substr(team_id, 12) = '$lead'")
printf 'bench-password-1\n' | "$bin" --db "$db" user add field --role collector --staff "$lead" >/dev/null
mkdir static
head -c 2048 /dev/zero | tr '\0' 'x' >static/index.html

: >server.log # there before the server writes it: the loop below reads it at once
"$bin" --db "$db" serve --listen 127.0.0.1:0 --threads "$THREADS" --static static 2>server.log &
pid=$!
port=
i=0
while [ -z "$port" ] && [ $i -lt 300 ]; do
	port=$(sed -n 's/.*"event":"listening","listen":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' server.log)
	[ -n "$port" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$port" ] || { cat server.log >&2; echo "bench/http: the server did not start" >&2; exit 1; }
url=http://127.0.0.1:$port
curl -s -c jar -H 'Content-Type: application/json' -d '{"user":"field","password":"bench-password-1"}' \
	"$url/api/login" >/dev/null
cookie=$(awk '$6 == "ds_session" { print "ds_session=" $7 }' jar)
[ -n "$cookie" ] || { echo "bench/http: the login failed" >&2; exit 1; }

# each connection waits CONNECTIONS/RATE seconds between requests, less a
# millisecond for the answer itself
delay=$(awk -v c="$CONNECTIONS" -v r="$RATE" 'BEGIN { d = 1000 * c / r - 1; printf "%d", (d > 0 ? d : 0) }')
run() { # name paths cookie
	PATHS=$2 COOKIE=$3 DELAY_MS=$delay wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_RUN}s" \
		--latency -s "$root/bench/http/pace.lua" "$url" | sed -n 's/^RESULT /'"$1"' /p'
}
# warm up, then the reference and the field view, one after the other
run warmup "/index.html /api/visits?date=$day" "$cookie" >/dev/null
ref=$(run static "/index.html" "")
api=$(run field "/api/visits?date=$day /api/visits/$visit /api/tasks" "$cookie")
kill -TERM "$pid"
wait "$pid" || true
pid=
val() { echo "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }
echo "name,requests,rate,errors,non2xx,p50_ms,p99_ms,max_ms" >"$out/http.csv"
for line in "$ref" "$api"; do
	name=${line%% *}
	echo "$name,$(val "$line" requests),$(val "$line" rate),$(val "$line" errors),$(val "$line" non2xx),$(val "$line" p50_ms),$(val "$line" p99_ms),$(val "$line" max_ms)" >>"$out/http.csv"
done
p99=$(val "$api" p99_ms)
p99ref=$(val "$ref" p99_ms)
rate=$(val "$api" rate)
errors=$(( $(val "$api" errors) + $(val "$api" non2xx) ))
echo "HTTP on loopback, $CONNECTIONS connections paced to $RATE requests/s for ${SECONDS_RUN}s, $THREADS server threads"
echo "  static file (reference)  $ref"
echo "  field view reads         $api"
awk -v p="$p99" -v r="$p99ref" -v a="$rate" -v e="$errors" -v want="$RATE" 'BEGIN {
	printf "  p99 %.2f ms (static %.2f ms, ratio %.2f), %.0f requests/s, %d errors\n", p, r, (r > 0 ? p / r : 0), a, e
	ok = p <= 20 && e == 0 && a >= 0.95 * want
	printf "target: p99 <= 20 ms at %d requests/s with no errors: %s\n", want, ok ? "PASS" : "FAIL"
	exit ok ? 0 : 1
}'

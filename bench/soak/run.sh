#!/bin/sh
# Soak: `doorstep serve` under a collector's mixed API traffic (reads and
# writes, paced with wrk) for SECONDS (600), while the nightly batch —
# `doorstep plan --date D` and `doorstep route --date D` — runs in a loop
# on the same database; a static file served by the same server in the
# same run is the reference.
#
#   sh bench/soak/run.sh [SECONDS]
# Environment: DOORSTEP (the binary, build/doorstep), RATE (500 requests/s
# of the API mix), CONNECTIONS (20), THREADS (2: the server's pool and
# wrk's), REF_RATE (50 requests/s of the static file), SOAK_OUT (where the
# results go, bench/out), SOAK_SECONDS (the default for SECONDS), NIGHTLY
# (1; 0 leaves the nightly run out, to tell its share), SOAK_KEEP (set: the
# store, the server's log and wrk's output are kept).
#
# Targets (exit 1 when one is missed): the mix at >= 95% of RATE; no 5xx
# and no 503 busy (counted apart, with Retry-After); no status the mix
# should not cause, no socket error; every nightly run done, none failed;
# the server's RSS, sampled from /proc after the warm-up (60 s; a quarter
# of a run shorter than 5 minutes), ends within 10% of its first sample
# (runs of 5 minutes or more). Rows in SOAK_OUT/soak.csv, the RSS samples
# in SOAK_OUT/soak-rss.csv. Exit 2 when it cannot run, 77 without wrk.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_RUN=${1:-${SOAK_SECONDS:-600}}
bin=${DOORSTEP:-$root/build/doorstep}
RATE=${RATE:-500}
CONNECTIONS=${CONNECTIONS:-20}
THREADS=${THREADS:-2}
REF_RATE=${REF_RATE:-50}
NIGHTLY=${NIGHTLY:-1}
out=${SOAK_OUT:-$root/bench/out}
case $SECONDS_RUN in '' | *[!0-9]*) echo "bench/soak: SECONDS is a number" >&2 && exit 2 ;; esac
[ -x "$bin" ] || { echo "bench/soak: $bin not built (make build)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench/soak: wrk is needed (apt-get install wrk)" >&2; exit 77; }
if [ "$SECONDS_RUN" -ge 300 ]; then
	warmup=60 every=10 rss_target=1
else
	warmup=$((SECONDS_RUN / 4)) every=2 rss_target=0
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
pid='' nightly='' sampler='' ref=''
cleanup() {
	touch "$tmp/stop" 2>/dev/null || true
	for p in $ref $sampler $nightly $pid; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ -n "${SOAK_KEEP:-}" ]; then
		echo "bench/soak: the run's files are in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cd "$tmp"
sql() { sqlite3 -cmd '.timeout 10000' "$db" "$@"; }

# ------------------------------------------------------------- the store
# A simulated city (2,000 borrowers) and its routed day D, as bench/http:
# the collector of the largest team logs in; the team's visits are
# scheduled (a check-in then goes to the contact rules). The stock: a
# team of the collector's branch the day before, with enough checked-in
# visits for the mix's outcomes and closes.
day=2026-11-12 yesterday=2026-11-11 night=2026-11-13
due=$(date -u -d '+7 days' +%Y-%m-%d)
"$bin" simulate --days 1 --strategy none --borrowers 2000 --seed 11 --as-of 2026-11-05 \
	--store-dir sims >/dev/null 2>&1
db=$tmp/sims/none.db
sql "INSERT INTO decisions(plan_date, account_id, treatment, expected_fen, cost_fen,
	reasons, created_at) SELECT '$day', account_id, 'visit', 50000, 14500, '{}', 0
	FROM (SELECT DISTINCT account_id FROM contacts ORDER BY account_id LIMIT 80)"
"$bin" --db "$db" route --date "$day" --iterations 300 >/dev/null
lead=$(sql "SELECT substr(team_id, 12) FROM visits GROUP BY team_id ORDER BY count(*) DESC LIMIT 1")
branch=$(sql "SELECT branch_id FROM staff WHERE staff_id = '$lead'")
stock=$((RATE * SECONDS_RUN / 20 + 200))
sql "UPDATE visits SET state = 'scheduled' WHERE substr(team_id, 12) = '$lead';
	INSERT INTO teams(team_id, branch_id, work_date) VALUES ('$yesterday/SOAK', '$branch', '$yesterday');
	INSERT INTO team_members(team_id, staff_id) VALUES ('$yesterday/SOAK', '$lead');
	WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < $stock),
	acc AS (SELECT account_id, row_number() OVER (ORDER BY account_id) - 1 AS i,
		count(*) OVER () AS m FROM accounts WHERE branch_id = '$branch')
	INSERT INTO visits(account_id, team_id, visit_date, state, route_seq, checked_in_at)
	SELECT acc.account_id, '$yesterday/SOAK', '$yesterday', 'checked_in', k, 1794376800
	FROM n JOIN acc ON acc.i = k % acc.m"
visits=$(sql "SELECT group_concat(visit_id, ' ') FROM visits WHERE visit_date = '$day'
	AND substr(team_id, 12) = '$lead'")
accounts=$(sql "SELECT group_concat(account_id, ' ') FROM (SELECT account_id FROM accounts
	WHERE branch_id = '$branch' AND status = 'active' ORDER BY account_id LIMIT 200)")
stock_lo=$(sql "SELECT min(visit_id) FROM visits WHERE team_id = '$yesterday/SOAK'")
stock_hi=$(sql "SELECT max(visit_id) FROM visits WHERE team_id = '$yesterday/SOAK'")
[ -n "$visits" ] && [ -n "$accounts" ] && [ -n "$stock_lo" ] ||
	{ echo "bench/soak: the store has no day to work on" >&2; exit 2; }
printf 'soak-password-1\n' | "$bin" --db "$db" user add field --role collector --staff "$lead" >/dev/null
mkdir static
head -c 2048 /dev/zero | tr '\0' 'x' >static/index.html

# ---------------------------------------------------------------- server
: >server.log
"$bin" --db "$db" serve --listen 127.0.0.1:0 --threads "$THREADS" --static static 2>server.log &
pid=$!
port=
i=0
while [ -z "$port" ] && [ $i -lt 100 ]; do
	port=$(sed -n 's/.*"event":"listening","listen":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' server.log)
	[ -n "$port" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$port" ] || { cat server.log >&2; echo "bench/soak: the server did not start" >&2; exit 2; }
url=http://127.0.0.1:$port
curl -s -c jar -o login.json -H 'Content-Type: application/json' \
	-d '{"user":"field","password":"soak-password-1"}' "$url/api/login"
cookie=$(awk '$6 == "ds_session" { print "ds_session=" $7 }' jar)
csrf=$(sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p' login.json)
[ -n "$cookie" ] && [ -n "$csrf" ] || { echo "bench/soak: the login failed" >&2; exit 2; }

# ------------------------------------------------------- the nightly run
# The next day planned and routed, again and again, on the same database.
# The planner learns on a one-day history and decides no visits; 60 of its
# decisions are then made visits (as the route tests do), so that each
# route has a day to route and write.
(
	n=0 failed=0
	while [ "$NIGHTLY" = 1 ] && [ ! -f stop ]; do
		ok=1
		"$bin" --db "$db" plan --date "$night" >/dev/null 2>>nightly.err || ok=0
		sql "UPDATE decisions SET treatment = 'visit', expected_fen = 50000, cost_fen = 14500
			WHERE decision_id IN (SELECT decision_id FROM decisions WHERE plan_date = '$night'
			ORDER BY account_id LIMIT 60)" 2>>nightly.err || ok=0
		"$bin" --db "$db" route --date "$night" --iterations 300 >/dev/null 2>>nightly.err || ok=0
		[ -f stop ] && [ $ok -eq 0 ] && break # stopped under way
		n=$((n + 1))
		[ $ok -eq 1 ] || failed=$((failed + 1))
		echo "$n $failed" >nightly.count
	done
) &
nightly=$!

# ------------------------------------------------------------ RSS sampler
(
	t=0
	while [ ! -f stop ] && [ -r "/proc/$pid/status" ]; do
		if [ $t -ge "$warmup" ]; then
			echo "$t,$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")" >>rss.csv
		fi
		sleep "$every"
		t=$((t + every))
	done
) &
sampler=$!

# ------------------------------------------------------------- the traffic
cpu_ticks() { # the server's user and system time, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0
}
cpu0=$(cpu_ticks)
load0=$(cut -d' ' -f1 /proc/loadavg)
PATHS=/index.html RATE=$REF_RATE WRK_THREADS=1 wrk -t1 -c4 -d"${SECONDS_RUN}s" \
	--latency -s "$root/bench/soak/mix.lua" "$url" >ref.out 2>&1 &
ref=$!
COOKIE=$cookie CSRF=$csrf DAY=$day DUE=$due VISITS=$visits ACCOUNTS=$accounts \
	STOCK_LO=$stock_lo STOCK_HI=$stock_hi RATE=$RATE WRK_THREADS=$THREADS \
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_RUN}s" --latency -s "$root/bench/soak/mix.lua" \
	"$url" >mix.out 2>&1 || true
wait "$ref" || true
ref=
cpu1=$(cpu_ticks)
touch stop
wait "$nightly" || true
nightly=
wait "$sampler" || true
sampler=
# one last sample, the server still under the day's data
echo "$SECONDS_RUN,$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" >>rss.csv
alive=1
kill -0 "$pid" 2>/dev/null || alive=0
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || true
pid=
integrity=$(sql "PRAGMA integrity_check" 2>&1 | head -1)

# ---------------------------------------------------------------- results
api=$(sed -n 's/^RESULT //p' mix.out)
static=$(sed -n 's/^RESULT //p' ref.out)
[ -n "$api" ] && [ -n "$static" ] || {
	cat mix.out ref.out >&2
	echo "bench/soak: wrk gave no result" >&2
	exit 1
}
nightly_runs=0 nightly_failed=0
[ -f nightly.count ] && read -r nightly_runs nightly_failed <nightly.count
rss0=$(sed -n 1p rss.csv | cut -d, -f2)
rss1=$(tail -n 1 rss.csv | cut -d, -f2)
load="$load0 at the start, $(cut -d' ' -f1 /proc/loadavg) at the end (1-minute)"
{
	echo "t_s,rss_kb"
	cat rss.csv
} >"$out/soak-rss.csv"
awk -v sec="$SECONDS_RUN" -v want="$RATE" -v conns="$CONNECTIONS" -v threads="$THREADS" \
	-v api="$api" -v st="$static" -v runs="$nightly_runs" -v nfail="$nightly_failed" \
	-v rss0="${rss0:-0}" -v rss1="${rss1:-0}" -v warm="$warmup" -v rsst="$rss_target" \
	-v alive="$alive" -v integ="$integrity" -v load="$load" -v csv="$out/soak.csv" \
	-v cpu="$((cpu1 - cpu0))" -v hz="$(getconf CLK_TCK)" -v nightly="$NIGHTLY" '
function v(line, k,   a, i, n, kv) {
	n = split(line, a, " ")
	for (i = 1; i <= n; i++) {
		split(a[i], kv, "=")
		if (kv[1] == k)
			return kv[2]
	}
	return 0
}
function row(metric, value, target, ok) {
	printf "%s,%s,%s,%s\n", metric, value, target, ok == "" ? "" : (ok ? "PASS" : "FAIL") > csv
	printf "  %-34s %14s   %-22s %s\n", metric, value, target, ok == "" ? "" : (ok ? "PASS" : "FAIL")
	if (ok != "" && !ok)
		miss++
}
BEGIN {
	miss = 0
	printf "metric,value,target,result\n" > csv
	printf "soak: %d s, the API mix paced to %d requests/s on %d connections, %d server threads; load %s\n",
		sec, want, conns, threads, load
	rate = v(api, "rate")
	row("seconds", sec, "", "")
	row("api requests", v(api, "requests"), "", "")
	row("api rate (requests/s)", sprintf("%.1f", rate), ">= " int(0.95 * want + 0.5), rate >= 0.95 * want)
	row("api p50 (ms)", v(api, "p50_ms"), "", "")
	row("api p99 (ms)", v(api, "p99_ms"), "", "")
	row("api max (ms)", v(api, "max_ms"), "", "")
	row("api 2xx", v(api, "ok"), "", "")
	row("api 422 check-in refused", v(api, "refused"), "(the rules; expected)", "")
	row("api 5xx", v(api, "e5xx"), "0", v(api, "e5xx") == 0)
	row("api 503 busy (Retry-After)", v(api, "busy"), "0", v(api, "busy") == 0)
	row("api other statuses", v(api, "other"), "0", v(api, "other") == 0)
	row("api socket errors", v(api, "errors"), "0", v(api, "errors") == 0)
	row("writes: promises", v(api, "promises"), "", "")
	row("writes: outcomes", v(api, "outcomes"), "", "")
	row("writes: closes", v(api, "closes"), "", "")
	row("writes: check-ins", v(api, "checkins"), "", "")
	row("posts: installment calcs", v(api, "calcs"), "", "")
	row("static requests", v(st, "requests"), "", "")
	row("static p50 (ms)", v(st, "p50_ms"), "", "")
	row("static p99 (ms)", v(st, "p99_ms"), "", "")
	row("static max (ms)", v(st, "max_ms"), "", "")
	se = v(st, "errors") + v(st, "e5xx") + v(st, "busy") + v(st, "other")
	row("static errors", se, "0", se == 0)
	n = v(api, "requests") + v(st, "requests")
	row("server cpu per request (ms)", sprintf("%.2f", n > 0 ? 1000 * cpu / hz / n : 0), "", "")
	sp = v(st, "p99_ms")
	row("p99 ratio api/static", sprintf("%.1f", sp > 0 ? v(api, "p99_ms") / sp : 0), "", "")
	row("nightly runs (plan + route)", runs, nightly ? ">= 1" : "(left out)", nightly ? runs >= 1 : "")
	row("nightly runs failed", nfail, "0", nfail == 0)
	row("rss after warm-up (KiB, " warm " s)", rss0, "", "")
	row("rss at the end (KiB)", rss1, rsst ? "<= +10%" : "(reported)",
		rsst ? (rss0 > 0 && rss1 <= 1.10 * rss0) : "")
	row("server alive at the end", alive ? "yes" : "no", "yes", alive)
	row("integrity_check", integ, "ok", integ == "ok")
	printf "targets: %s\n", miss ? miss " missed: FAIL" : "all met: PASS"
	exit miss ? 1 : 0
}' || status=$?
sed -n 's/^UNEXPECTED //p' mix.out | head -c 600
if [ -s nightly.err ]; then
	echo "nightly run errors:"
	head -n 5 nightly.err
fi
exit "${status:-0}"

#!/bin/sh
# Crash safety: SIGKILL at random moments in imports, plans, routings and
# the server's field writes (visit outcomes, receipts, promises over HTTP),
# 54 trials in all, seeded and reproducible (CRASH_SEED=N). After each
# kill the database must be whole and hold every acknowledged write:
#
#   - PRAGMA integrity_check is ok, PRAGMA foreign_key_check is empty,
#     `doorstep audit verify` passes, no import batch is left 'running';
#   - an import is all or nothing: the file's rows all as this run or all
#     as before it (and as this run when the command had exited 0);
#   - a plan or a day's routes are all or nothing the same way (the day's
#     decisions, or visits and teams, as the uninterrupted run wrote them,
#     or as before);
#   - every write the server answered 2xx before the kill is there (the
#     outcome's state and event, the receipt with its PDF, the promise),
#     and no receipt lacks its PDF or has another one.
#
# The kill comes after a delay drawn from the seed, up to 1.25 times the
# duration of an uninterrupted run measured at the start (so the trials
# scale with the build), or -- every third CLI trial -- as soon as the
# command writes to the WAL (a cache spill or its commit).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || {
	echo "FAIL: curl is needed by $TEST_NAME" >&2
	exit 1
}

SEED=${CRASH_SEED:-20261129}
case $SEED in '' | *[!0-9]*) SEED=20261129 ;; esac
echo "seed $SEED (CRASH_SEED=$SEED repeats these trials)"
IMPORT_TRIALS=18 PLAN_TRIALS=10 ROUTE_TRIALS=10 SERVER_TRIALS=16
PW=password123
AS_OF=2026-11-29
PLAN_DAY=2026-11-28
ds_ok simulate --days 1 --strategy none --borrowers 400 --seed 5 --as-of "$AS_OF" --store-dir sims
DB=$T/sims/none.db
export DOORSTEP_DB="$DB"

# ------------------------------------------------------------- the dice

R=$SEED
# rnd N : a number in [0, N) from the seeded generator, in $RND
rnd() {
	R=$(((R * 1103515245 + 12345) % 2147483648))
	RND=$(((R / 65536) % $1))
}

now_ms() {
	ms=$(date +%s%3N 2>/dev/null)
	case $ms in
	*N | '') echo $(($(date +%s) * 1000)) ;;
	*) echo "$ms" ;;
	esac
}

# sleep_ms N
sleep_ms() {
	sleep "$(awk -v n="$1" 'BEGIN { printf "%.3f", n / 1000 }')"
}

# ---------------------------------------------------------------- checks

TRIALS=0 KILLED=0 FINISHED=0
# whole WHAT : the database is whole after a kill
whole() {
	assert_query ok "PRAGMA integrity_check"
	assert_query "" "PRAGMA foreign_key_check"
	assert_query 0 "SELECT count(*) FROM import_batches WHERE status = 'running'"
	ds audit verify
	assert_status 0 "audit verify after $1"
}

# run_and_kill DELAY_MS|wal COMMAND... : runs doorstep with COMMAND in the
# background and SIGKILLs it after DELAY_MS, or as soon as the WAL has
# been written to; $ACK is 1 when it had exited 0 first, 0 when killed.
run_and_kill() {
	when=$1
	shift
	rm -f "$DB-wal.seen"
	"$DOORSTEP" "$@" >kill.out 2>kill.err &
	BG_PID=$!
	t0=$(now_ms)
	if [ "$when" = wal ]; then
		while kill -0 "$BG_PID" 2>/dev/null && ! [ -s "$DB-wal" ]; do
			sleep 0.005
		done
	else
		sleep_ms "$when"
	fi
	kill -9 "$BG_PID" 2>/dev/null
	wait "$BG_PID" 2>/dev/null
	st=$?
	BG_PID=
	TRIALS=$((TRIALS + 1))
	case $st in
	137)
		ACK=0
		KILLED=$((KILLED + 1))
		echo "$GROUP killed" >>tally.txt
		;;
	0)
		ACK=1
		FINISHED=$((FINISHED + 1))
		echo "$GROUP finished" >>tally.txt
		;;
	*)
		ACK=0
		fail "doorstep $* failed by itself (status $st)"
		sed 's/^/    | /' kill.err
		;;
	esac
}

# timed COMMAND... : runs doorstep to its end; its duration in $MS
timed() {
	t0=$(now_ms)
	ds "$@"
	MS=$(($(now_ms) - t0))
	[ "$MS" -gt 0 ] || MS=1
}

# delay_for MS TRIAL : the kill's moment for a trial of a command that
# takes MS: "wal" every third trial, else up to 1.25 MS
delay_for() {
	rnd $(($1 * 5 / 4 + 1))
	if [ $(($2 % 3)) -eq 2 ]; then DELAY=wal; else DELAY=$RND; fi
}

# ---------------------------------------------------------------- imports

# The same 20,000 payments each time, their reference naming the trial: an
# import all or nothing leaves one reference on all of them.
ROWS=20000
pay_file() {
	awk -v n=$ROWS -v ref="$1" 'BEGIN {
		print "payment_id,account_id,value_date,paid_at,amount,channel,reference"
		for (i = 1; i <= n; i++)
			printf "K%06d,A%07d,2026-10-%02d,,%d.%02d,transfer,%s\n",
				i, i % 400 + 1, i % 28 + 1, i % 500 + 1, i % 100, ref
	}' >pay.csv
}
pay_file t0
timed -q import payments pay.csv
assert_status 0 "the uninterrupted import"
IMPORT_MS=$MS
assert_query "$ROWS|t0" "SELECT count(*), group_concat(DISTINCT reference) FROM payments WHERE payment_id LIKE 'K%'"
LAST=t0
GROUP=import
n=1
while [ $n -le $IMPORT_TRIALS ]; do
	pay_file "t$n"
	delay_for "$IMPORT_MS" $n
	run_and_kill "$DELAY" -q import payments pay.csv
	whole "import trial $n (kill at $DELAY)"
	got=$(q "SELECT count(*) || '|' || group_concat(DISTINCT reference) FROM payments WHERE payment_id LIKE 'K%'")
	if [ "$ACK" = 1 ]; then
		assert_eq "$ROWS|t$n" "$got" "import trial $n: exited 0, every row as this file"
		LAST=t$n
	else
		CHECKS=$((CHECKS + 1))
		case $got in
		"$ROWS|t$n") LAST=t$n ;; # committed just before the kill
		"$ROWS|$LAST") ;;
		*) fail "import trial $n (kill at $DELAY): half applied: [$got], not all t$n or all $LAST" ;;
		esac
	fi
	n=$((n + 1))
done

# ------------------------------------------------------------------ plans

ds_ok --json plan --date "$PLAN_DAY" --snapshots 12 --dry-run
PLANNED=$(sqlite3 -batch :memory: "SELECT json_extract(readfile('$OUT'), '\$.accounts')")
[ "${PLANNED:-0}" -gt 10 ] || fail "the plan decides for few accounts: [$PLANNED]"
timed plan --date "$PLAN_DAY" --snapshots 12
assert_status 0 "the uninterrupted plan"
PLAN_MS=$MS
plan_sig() {
	q "SELECT count(*) || '|' || count(DISTINCT created_at) FROM decisions WHERE plan_date = '$PLAN_DAY'"
}
assert_eq "$PLANNED|1" "$(plan_sig)" "the plan's decisions, written at once"
PLAN_AUDITS=$(q "SELECT count(*) FROM audit_log WHERE action = 'plan' AND entity_id = '$PLAN_DAY'")
GROUP=plan
n=1
while [ $n -le $PLAN_TRIALS ]; do
	delay_for "$PLAN_MS" $n
	run_and_kill "$DELAY" plan --date "$PLAN_DAY" --snapshots 12
	whole "plan trial $n (kill at $DELAY)"
	# all of the day's decisions, from one run (one created_at unless two
	# runs fell in one second), and an audit entry per run that committed
	assert_eq "$PLANNED" "$(q "SELECT count(*) FROM decisions WHERE plan_date = '$PLAN_DAY'")" \
		"plan trial $n (kill at $DELAY): the day's decisions all there"
	audits=$(q "SELECT count(*) FROM audit_log WHERE action = 'plan' AND entity_id = '$PLAN_DAY'")
	CHECKS=$((CHECKS + 1))
	if [ "$ACK" = 1 ] && [ "$audits" -ne $((PLAN_AUDITS + 1)) ]; then
		fail "plan trial $n: exited 0 but its audit entry is missing"
	elif [ "$audits" -lt "$PLAN_AUDITS" ] || [ "$audits" -gt $((PLAN_AUDITS + 1)) ]; then
		fail "plan trial $n: $audits plan audit entries, $PLAN_AUDITS before"
	fi
	PLAN_AUDITS=$audits
	n=$((n + 1))
done

# ----------------------------------------------------------------- routes

# the day's visits decided, as the planner writes them (test_route_day.sh)
q "INSERT INTO decisions(plan_date, account_id, treatment, expected_fen, cost_fen, reasons, created_at)
	SELECT '$AS_OF', account_id, 'visit', 50000, 14500, '{}', 0 FROM (SELECT DISTINCT c.account_id
	FROM contacts c JOIN accounts a USING (account_id) WHERE a.status = 'active'
	ORDER BY c.account_id LIMIT 60)"
ds_ok --json route --date "$AS_OF" --iterations 3000 --dry-run
ROUTED=$(sqlite3 -batch :memory: "SELECT json_extract(readfile('$OUT'), '\$.planned')")
[ "${ROUTED:-0}" -gt 0 ] || fail "nothing routed on $AS_OF"
timed route --date "$AS_OF" --iterations 3000
assert_status 0 "the uninterrupted routing"
ROUTE_MS=$MS
route_sig() {
	q "SELECT (SELECT count(*) FROM visits WHERE visit_date = '$AS_OF' AND state = 'planned') || '|' ||
		(SELECT count(*) FROM teams WHERE work_date = '$AS_OF') || '|' ||
		(SELECT count(*) FROM team_members m JOIN teams t USING (team_id) WHERE t.work_date = '$AS_OF')"
}
ROUTE_SIG=$(route_sig)
assert_eq "$ROUTED" "${ROUTE_SIG%%|*}" "the uninterrupted routing's visits"
GROUP=route
n=1
while [ $n -le $ROUTE_TRIALS ]; do
	delay_for "$ROUTE_MS" $n
	run_and_kill "$DELAY" route --date "$AS_OF" --iterations 3000
	whole "route trial $n (kill at $DELAY)"
	assert_eq "$ROUTE_SIG" "$(route_sig)" "route trial $n (kill at $DELAY): the day's visits and teams whole"
	n=$((n + 1))
done

# ----------------------------------------------------------------- server

# A collector's team with 1,200 visits checked in at the doors of their
# branch; two clients write outcomes, receipts and promises for them, one
# visit after another, noting each answer 2xx; the server is killed.
COL=$(q "SELECT staff_id FROM staff WHERE role = 'collector' ORDER BY staff_id LIMIT 1")
BR=$(q "SELECT branch_id FROM staff WHERE staff_id = '$COL'")
q "INSERT INTO teams(team_id, branch_id, work_date) VALUES ('T-CRASH', '$BR', '$AS_OF');
   INSERT INTO team_members(team_id, staff_id) VALUES ('T-CRASH', '$COL');
   WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1200),
   a AS (SELECT account_id, row_number() OVER (ORDER BY account_id) - 1 AS j,
         count(*) OVER () AS n FROM accounts WHERE branch_id = '$BR')
   INSERT INTO visits(account_id, team_id, visit_date, state, route_seq, checked_in_at)
   SELECT a.account_id, 'T-CRASH', '$AS_OF', 'checked_in', 100 + k.i, 1795660000
   FROM k JOIN a ON a.j = k.i % a.n;"
q "SELECT visit_id || ' ' || account_id FROM visits WHERE team_id = 'T-CRASH' ORDER BY visit_id" >visits.txt
assert_eq 1200 "$(wc -l <visits.txt | tr -d ' ')" "the visits to write"
printf '%s\n' "$PW" | "$DOORSTEP" user add col --role collector --staff "$COL" >"$OUT" 2>"$ERR"
DS_STATUS=$? DS_CMD="doorstep user add col"
assert_status 0
ds_ok user token add col --name crash
TOKEN=$(cat "$OUT")

# client FROM TO : writes for the visits on lines FROM..TO of visits.txt
# until the server stops answering; "outcome V", "receipt NO" and
# "promise ID" in acks.txt for each 2xx
cat >client.sh <<'EOF'
url=$1 token=$2 from=$3 to=$4
post() {
	curl -s --max-time 10 -o "$resp" -w '%{http_code}' -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' --data-binary "$2" "$url$1" || echo 000
}
resp=$(mktemp)
sed -n "${from},${to}p" visits.txt | while read -r v acc; do
	[ -e stop ] && break
	hs=$(post "/api/visits/$v/outcome" '{"found":"met_borrower","attitude":"cooperative","note":"crash test"}')
	case $hs in
	200) echo "outcome $v" >>acks.txt ;;
	000) break ;;
	esac
	hs=$(post /api/receipts "{\"account_id\":\"$acc\",\"visit_id\":$v,\"amount_fen\":$((v % 900 + 100)),\"method\":\"cash\"}")
	case $hs in
	201) echo "receipt $(sed -n 's/.*"receipt_no":"\([^"]*\)".*/\1/p' "$resp")" >>acks.txt ;;
	000) break ;;
	esac
	hs=$(post /api/promises "{\"account_id\":\"$acc\",\"visit_id\":$v,\"amount_fen\":$((v % 700 + 100)),\"due\":\"2026-12-15\"}")
	case $hs in
	201) echo "promise $(sed -n 's/.*"promise_id":\([0-9]*\).*/\1/p' "$resp")" >>acks.txt ;;
	000) break ;;
	esac
done
rm -f "$resp"
EOF
: >acks.txt
next=1
n=1
while [ $n -le $SERVER_TRIALS ]; do
	rm -f stop server.log
	"$DOORSTEP" serve --listen 127.0.0.1:0 --threads 2 2>server.log &
	BG_PID=$!
	PORT= i=0
	while [ "$i" -lt 100 ] && [ -z "$PORT" ]; do
		PORT=$(sed -n 's/.*"event":"listening","listen":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' server.log 2>/dev/null)
		[ -n "$PORT" ] || sleep 0.05
		i=$((i + 1))
	done
	[ -n "$PORT" ] || {
		fail "server trial $n: the server did not start"
		sed 's/^/    | /' server.log
		break
	}
	sh client.sh "http://127.0.0.1:$PORT" "$TOKEN" $next $((next + 34)) &
	c1=$!
	sh client.sh "http://127.0.0.1:$PORT" "$TOKEN" $((next + 35)) $((next + 69)) &
	c2=$!
	next=$((next + 70))
	rnd 2500
	sleep_ms $((RND + 200))
	kill -9 "$BG_PID" 2>/dev/null
	wait "$BG_PID" 2>/dev/null
	BG_PID=
	touch stop
	wait "$c1" "$c2"
	TRIALS=$((TRIALS + 1)) KILLED=$((KILLED + 1))
	echo "server killed" >>tally.txt
	whole "server trial $n (kill at $((RND + 200)) ms)"
	# every acknowledged write is there
	missing=0
	while read -r kind id; do
		case $kind in
		outcome) sql="SELECT count(*) FROM visits v WHERE v.visit_id = $id AND v.state = 'outcome_recorded'
			AND EXISTS (SELECT 1 FROM visit_events e WHERE e.visit_id = v.visit_id AND e.to_state = 'outcome_recorded')" ;;
		receipt) sql="SELECT count(*) FROM receipts WHERE receipt_no = '$id'" ;;
		promise) sql="SELECT count(*) FROM promises WHERE promise_id = '$id'" ;;
		esac
		[ "$(q "$sql")" = 1 ] || {
			missing=$((missing + 1))
			echo "    acknowledged but missing: $kind $id"
		}
	done <acks.txt
	assert_eq 0 "$missing" "server trial $n: acknowledged writes missing"
	# nothing half-applied: an outcome with its event, a receipt with its PDF
	assert_query 0 "SELECT count(*) FROM visits v WHERE v.team_id = 'T-CRASH' AND (v.state = 'outcome_recorded')
		<> EXISTS (SELECT 1 FROM visit_events e WHERE e.visit_id = v.visit_id AND e.to_state = 'outcome_recorded')"
	q "SELECT pdf_path || ' ' || pdf_sha256 FROM receipts" | while read -r path sha; do
		if ! [ -f "$path" ] || [ "$(sha256sum <"$path" | cut -d' ' -f1)" != "$sha" ]; then
			echo "receipt PDF missing or not the receipt's: $path"
		fi
	done >pdf.txt
	assert_eq "" "$(cat pdf.txt)" "server trial $n: receipts and their PDFs"
	n=$((n + 1))
done
ACKED=$(wc -l <acks.txt | tr -d ' ')
[ "$ACKED" -gt 0 ] || fail "no write acknowledged in the server trials"

assert_eq $((IMPORT_TRIALS + PLAN_TRIALS + ROUTE_TRIALS + SERVER_TRIALS)) "$TRIALS" "trials run"
echo "crash trials: $TRIALS ($KILLED killed in flight, $FINISHED finished first); $ACKED server writes acknowledged, all kept"
echo "by kind (uninterrupted runs: import ${IMPORT_MS} ms, plan ${PLAN_MS} ms, route ${ROUTE_MS} ms):"
sort tally.txt | uniq -c | sed 's/^ */  /'
grep -c '^outcome' acks.txt | sed 's/^/  acknowledged outcomes: /'
grep -c '^receipt' acks.txt | sed 's/^/  acknowledged receipts: /'
grep -c '^promise' acks.txt | sed 's/^/  acknowledged promises: /'

#!/bin/sh
# SIGKILL in the middle of an import: the database stays intact, holds none
# of the killed file's rows, and records no batch left 'running'; the next
# import works.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fixture_db
before=$(count payments)
batches=$(count import_batches)

# big.csv with N payments on the fixture's accounts (about 47 bytes a row).
make_big() {
	awk -v n="$1" 'BEGIN {
		print "payment_id,account_id,value_date,paid_at,amount,channel,reference"
		for (i = 1; i <= n; i++)
			printf "K%07d,A00%d,2024-02-%02d,,%d.%02d,transfer,bulk\n",
				i, i % 7 + 1, i % 28 + 1, i % 500 + 1, i % 100
	}' >big.csv
}

# now_ms : milliseconds on a monotonic-enough clock (GNU date, else seconds).
now_ms() {
	ms=$(date +%s%3N 2>/dev/null)
	case $ms in
	*N | '') echo $(($(date +%s) * 1000)) ;;
	*) echo "$ms" ;;
	esac
}

# kill_during_import DELAY_MS [wal] : starts the import of big.csv; waits
# until it has the database open (its WAL file exists) and has run DELAY_MS
# -- or, with "wal", until it has written to the WAL (a cache spill or the
# commit itself) -- polling that it still runs; then kills it with SIGKILL.
# Returns 0 when it was killed, 1 when it finished first.
kill_during_import() {
	"$DOORSTEP" -q import payments big.csv >kill.out 2>kill.err &
	BG_PID=$!
	t0=$(now_ms)
	while kill -0 "$BG_PID" 2>/dev/null; do
		if [ "${2:-}" = wal ]; then
			[ -s doorstep.db-wal ] && break
			sleep 0.01
		else
			[ -e doorstep.db-wal ] && [ $(($(now_ms) - t0)) -ge "$1" ] && break
			sleep 0.05
		fi
	done
	kill -9 "$BG_PID" 2>/dev/null
	wait "$BG_PID" 2>/dev/null
	st=$?
	BG_PID=
	case $st in
	137) return 0 ;;
	0) return 1 ;; # done before the kill (perhaps a zombie when killed)
	*)
		fail "the import to be killed failed by itself (status $st)"
		sed 's/^/    | /' kill.err
		return 0
		;;
	esac
}

# integrity_ok : the checks after each kill. doorstep opens the database
# first (recovering its WAL), and its figures are the fixture's.
integrity_ok() {
	ds_ok summary --as-of 2024-03-01
	assert_eq "total 2 2 0 0 0 0 1 1 3300.00" "$(squeeze "$OUT" | tail -n 1)" "summary total after a kill"
	assert_query ok "PRAGMA integrity_check"
	assert_query "" "PRAGMA foreign_key_check"
	assert_query "$before" "SELECT count(*) FROM payments"
	assert_query 0 "SELECT count(*) FROM payments WHERE payment_id LIKE 'K%'"
	assert_query 0 "SELECT count(*) FROM import_batches WHERE status = 'running'"
	assert_query "$batches" "SELECT count(*) FROM import_batches"
}

# A copy of the fixture database (the WAL is checkpointed into the file
# when the last connection closes) to start again from, should an import
# finish before it could be killed.
cp doorstep.db fixture.db.bak
rows=300000
make_big $rows
killed=0
for delay in 400 800 250; do
	tries=0
	while ! kill_during_import $delay; do
		tries=$((tries + 1))
		if [ $tries -ge 3 ]; then
			fail "could not kill an import in flight (each finished within $delay ms)"
			break
		fi
		# It committed: back to the fixture, a bigger file, a shorter wait.
		rm -f doorstep.db-wal doorstep.db-shm
		cp fixture.db.bak doorstep.db
		rows=$((rows * 2))
		make_big $rows
		delay=$((delay / 2))
	done
	[ $tries -ge 3 ] && break
	killed=$((killed + 1))
	integrity_ok
done
assert_eq 3 "$killed" "imports killed in flight"

# Once more, killed as soon as it writes to the WAL: in the commit, in the
# checkpoint after it, or at a cache spill before it. Wherever the kill
# lands, the file is in whole or not at all.
rm -f doorstep.db-wal doorstep.db-shm
cp fixture.db.bak doorstep.db
if kill_during_import 0 wal; then how="killed while writing the WAL"; else how="finished first"; fi
ds_ok summary --as-of 2024-03-01
assert_query ok "PRAGMA integrity_check"
assert_query 0 "SELECT count(*) FROM import_batches WHERE status = 'running'"
n=$(count payments)
if [ "$n" -eq "$before" ]; then
	echo "note: WAL kill: $how; nothing committed"
	assert_query "$batches" "SELECT count(*) FROM import_batches"
elif [ "$n" -eq $((before + rows)) ]; then
	echo "note: WAL kill: $how; all committed"
	assert_query "$((batches + 1))|committed|$rows" "SELECT count(*), (SELECT status || '|' ||
		rows_inserted FROM import_batches ORDER BY batch_id DESC LIMIT 1) FROM import_batches"
	rm -f doorstep.db-wal doorstep.db-shm
	cp fixture.db.bak doorstep.db
else
	fail "after the WAL kill: $n payments, neither $before nor $((before + rows))"
fi

# After the kills the database takes writers again at once (no stale lock,
# the WAL recovered) and is whole.
ds_ok -q import payments payments.csv
assert_query "$before" "SELECT count(*) FROM payments"
assert_query "$((batches + 1))|committed" "SELECT count(*), (SELECT status FROM import_batches
	ORDER BY batch_id DESC LIMIT 1) FROM import_batches"
printf 'payment_id,account_id,value_date,amount,channel\nK9999999,A001,2024-02-01,1.00,app\n' >one.csv
ds_ok -q import payments one.csv
assert_query $((before + 1)) "SELECT count(*) FROM payments"
ds_ok summary --as-of 2024-03-01
assert_contains stdout "total"
assert_query ok "PRAGMA integrity_check"

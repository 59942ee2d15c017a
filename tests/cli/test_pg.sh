#!/bin/sh
# PostgreSQL behind the same store (docs/storage.md): a throwaway cluster
# (scripts/pg-cluster.sh), `doorstep init` on it, the README's tour
# imported (a first load by COPY), and the figures the same as on SQLite; a
# first load refused whole as on SQLite; the refusals of a
# database that is not initialised or not doorstep's; two writers at once,
# and a writer that gives up after the busy timeout.
# Skipped (status 77) when the PostgreSQL server is not installed.
. "$(dirname "$0")/lib.sh"

SRC=${DS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CLUSTER=$SRC/scripts/pg-cluster.sh
command -v psql >/dev/null 2>&1 || {
	echo "SKIP: $TEST_NAME: psql (postgresql-client) is not installed"
	exit 77
}
# The cluster lives outside $T: its owner (postgres, when the tests run as
# root) must reach it.
PGC=$(mktemp -d "${TMPDIR:-/tmp}/doorstep-pgc.XXXXXX") || exit 1
DS_ON_EXIT='sh "$CLUSTER" stop "$PGC" >/dev/null 2>&1; rm -rf "$PGC"'
URL=$(sh "$CLUSTER" start "$PGC" 2>"$T/cluster.err")
rc=$?
if [ "$rc" -eq 77 ]; then
	echo "SKIP: $TEST_NAME: $(cat "$T/cluster.err")"
	exit 77
fi
[ "$rc" -eq 0 ] || {
	fail "the cluster did not start: $(cat "$T/cluster.err")"
	exit 1
}
psql -XAtq -d "$URL" -c "CREATE DATABASE tour" -c "CREATE DATABASE other" ||
	fail "cannot create the test databases"
PG=${URL%/*}/tour
SQ=$T/tour.db
KINDS_TOUR="branches communities borrowers accounts schedules payments"

# --- init
ds --db "$PG" summary
assert_status 3 "summary on a database not initialised"
assert_contains stderr "not initialised; run 'doorstep init'"
ds_ok --db "$PG" init
assert_contains stdout "schema version $SCHEMA ($MIGRATIONS applied)"
assert_contains stdout "key file tour.key"
[ -f tour.key ] || fail "init on PostgreSQL made no key file tour.key"
ds_ok --db "$PG" init
assert_contains stdout "schema version $SCHEMA"
assert_query "$SCHEMA" "SELECT max(version) FROM schema_migrations" "$PG"
ds_ok --db "$SQ" init

# --- the tour, on both
for k in $KINDS_TOUR; do
	ds_ok --db "$PG" import "$k" "$SRC/examples/$k.csv"
	ds_ok --db "$SQ" import "$k" "$SRC/examples/$k.csv"
done
ds_ok --db "$PG" import payments "$SRC/examples/payments.csv"
assert_contains stderr "0 inserted, 0 updated, 8 unchanged, 0 rejected"
for t in branches communities borrowers accounts installments payments account_ledger; do
	assert_eq "$(count "$t" "$SQ")" "$(count "$t" "$PG")" "rows of $t on both"
done

# the same figures
for cmd in "summary --as-of 2024-06-30" "dpd --as-of 2024-06-30" \
	"--json summary --as-of 2024-06-30"; do
	# shellcheck disable=SC2086
	ds_ok --db "$SQ" $cmd
	cp "$OUT" sqlite.out
	# shellcheck disable=SC2086
	ds_ok --db "$PG" $cmd
	cp "$OUT" pg.out
	assert_file_eq sqlite.out pg.out "doorstep $cmd on SQLite and on PostgreSQL"
done
assert_contains pg.out '"community_id": "BJ-PY01"'

# the packed ledger, byte for byte
q "SELECT account_id, lower(hex(schedule)), lower(hex(payments)) FROM account_ledger
   ORDER BY account_id" "$SQ" >ledger.sqlite
q "SELECT account_id, encode(schedule, 'hex'), encode(payments, 'hex') FROM account_ledger
   ORDER BY account_id" "$PG" >ledger.pg
assert_file_eq ledger.sqlite ledger.pg "account_ledger on SQLite and on PostgreSQL"

# the audit log's chain
ds_ok --db "$PG" audit verify
assert_contains stdout "audit log intact"

# --- refusals
psql -XAtq -d "${URL%/*}/other" -c "CREATE TABLE t (x int)"
ds --db "${URL%/*}/other" init
assert_status 3 "init on a database of another program"
assert_contains stderr "not a doorstep database"
ds --db "${URL%/*}/nosuch" summary
assert_status 3 "a database that does not exist"
assert_contains stderr "cannot open database"

# --- a first load (COPY) that refers to nothing or repeats a key: refused
# whole, each bad row named as on SQLite
psql -XAtq -d "$URL" -c "CREATE DATABASE first" || fail "cannot create the database first"
PG1=${URL%/*}/first
SQ1=$T/first.db
{
	cat "$SRC/examples/payments.csv"
	echo 'T999,NOSUCH,2024-03-04,,10.00,app,'
	sed -n 2p "$SRC/examples/payments.csv"
} >bad_first.csv
for db in "$SQ1" "$PG1"; do
	ds_ok --db "$db" init
	for k in branches communities borrowers accounts; do
		ds_ok --db "$db" import "$k" "$SRC/examples/$k.csv"
	done
	ds --db "$db" import payments bad_first.csv
	assert_status 1 "a first load with a bad reference and a repeated key"
	cp "$ERR" "first.$(is_pg "$db" && echo pg || echo sqlite)"
	assert_eq 0 "$(count payments "$db")" "payments after the refused first load"
done
assert_file_eq first.sqlite first.pg "the refused first load's report on both"
assert_contains first.pg 'bad_first.csv:10:account_id: unknown account_id "NOSUCH" (not in accounts)'
assert_contains first.pg "bad_first.csv:11:payment_id: duplicate key"
ds_ok --db "$PG1" import payments "$SRC/examples/payments.csv"
assert_contains stderr "8 inserted"
assert_query "$(q "SELECT count(DISTINCT account_id) FROM payments" "$PG1")" \
	"SELECT count(*) FROM account_ledger" "$PG1"

# --- two writers at once: each import waits for the other's transaction
# (the write lock), none is lost
cp "$SRC/examples/payments.csv" p1.csv
sed -e '1!s/^\([^,]*\),/\1-B,/' "$SRC/examples/payments.csv" >p2.csv
"$DOORSTEP" --db "$PG" import payments p1.csv >w1.out 2>&1 &
w1=$!
"$DOORSTEP" --db "$PG" import payments p2.csv >w2.out 2>&1 &
w2=$!
wait "$w1"
s1=$?
wait "$w2"
s2=$?
assert_eq "0 0" "$s1 $s2" "exit statuses of two imports at once ($(cat w1.out w2.out))"
assert_query 16 "SELECT count(*) FROM payments" "$PG"
ds_ok --db "$PG" audit verify
assert_contains stdout "audit log intact"

# --- a writer that cannot get the write lock within the busy timeout gives
# up with DS_EBUSY (exit 3) and writes nothing
psql -XAtq -d "$PG" -c "BEGIN" -c "SELECT pg_advisory_xact_lock(1146311760)" \
	-c "SELECT pg_sleep(4)" -c "COMMIT" >/dev/null 2>&1 &
holder=$!
sleep 1
holds=$(count holds "$PG")
DOORSTEP_BUSY_TIMEOUT_MS=300 ds --db "$PG" hold add B0001 dispute --reason "waits"
assert_status 3 "a write while another writer holds the lock past the busy timeout"
assert_contains stderr "database is busy"
assert_eq "$holds" "$(count holds "$PG")" "holds after the writer gave up"
wait "$holder"
ds_ok --db "$PG" hold add B0001 dispute --reason "after the other writer"
assert_eq "$((holds + 1))" "$(count holds "$PG")" "holds once the lock is free"

#!/bin/sh
# Usage and exit codes: 2 for wrong use, 0 for --help and --version, 3 for
# runtime failures (no database, a directory that is not there, a database
# newer than the binary, a file that is not a doorstep database).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

COMMANDS="init import summary dpd config demo"

# --- wrong use: exit 2
ds
assert_status 2 "no arguments"
assert_contains stderr "usage: doorstep [--db PATH]"
assert_eq "" "$(cat "$OUT")" "stdout with no arguments"

ds frobnicate
assert_status 2 "unknown command"
assert_line stderr "doorstep: unknown command 'frobnicate' (see 'doorstep --help')"

ds --no-such-option summary
assert_status 2 "unknown global option"
assert_contains stderr "usage: doorstep"

ds import bogus x.csv
assert_status 2 "import of an unknown kind"
assert_line stderr "doorstep: unknown kind 'bogus'"
assert_contains stderr "usage: doorstep import KIND FILE..."

ds import payments
assert_status 2 "import without a file"
assert_line stderr "doorstep: need a kind and at least one file"

ds import
assert_status 2 "import without a kind"

ds import --frob payments x.csv
assert_status 2 "import with an unknown option"

ds summary --as-of 2024-02-30
assert_status 2 "summary --as-of with an impossible date"
assert_line stderr 'doorstep: --as-of: not a date (YYYY-MM-DD): "2024-02-30"'

ds summary surplus
assert_status 2 "summary with an extra argument"
assert_line stderr "doorstep: unexpected argument 'surplus'"

ds init surplus
assert_status 2 "init with an extra argument"
ds config surplus
assert_status 2 "config with an extra argument"
ds demo surplus
assert_status 2 "demo with an extra argument"
ds dpd --as-of
assert_status 2 "dpd --as-of without a value"

# None of that created a database.
[ -e doorstep.db ] && fail "a usage error should not create doorstep.db"

# --- help and version: exit 0, text on stdout
ds --help
assert_status 0 "--help"
assert_contains stdout "usage: doorstep"
assert_contains stdout "Exit status: 0 ok, 1 input rejected, 2 usage error, 3 runtime failure."
for c in $COMMANDS; do
	assert_contains stdout "  $c "
done
ds -h
assert_status 0 "-h"
for c in $COMMANDS; do
	ds "$c" --help
	assert_status 0 "$c --help"
	assert_contains stdout "usage: doorstep $c"
	assert_eq "" "$(cat "$ERR")" "stderr of $c --help"
	ds "$c" -h
	assert_status 0 "$c -h"
	assert_contains stdout "usage:"
done
# import --help lists every kind's columns; with a kind, that kind's only.
ds import --help
for k in $KINDS; do
	assert_contains stdout "
$k: "
done
ds import --help payments
assert_status 0
assert_contains stdout "payments: payments received"
assert_contains stdout "  amount          * amount paid, yuan (> 0)"
assert_not_contains stdout "borrowers: borrowers"
[ -e doorstep.db ] && fail "--help should not create doorstep.db"

ds --version
assert_status 0 "--version"
CHECKS=$((CHECKS + 1))
grep -qE '^doorstep [0-9]+\.[0-9]+\.[0-9]+ \(.* build, schema [0-9]+\)$' "$OUT" ||
	fail "--version line: $(cat "$OUT")"

# --- runtime failures: exit 3
ds summary
assert_status 3 "summary without a database"
assert_line stderr "doorstep: doorstep.db: no database here; run 'doorstep init' first"
ds import payments x.csv
assert_status 3 "import without a database"

missing=$T/no/such/dir
ds --db "$missing/x.db" init
assert_status 3 "init into a directory that does not exist"
assert_contains stderr "doorstep: $missing/x.db"
[ -e "$T/no" ] && fail "init should not create directories"
ds --db "$missing/x.db" summary
assert_status 3 "summary of a database in a directory that does not exist"
assert_contains stderr "$missing/x.db: no database here"

# A database newer than this binary.
ds_ok init
ds_ok summary --as-of 2024-03-01
# (a copy of the newest row, whatever columns the table has, as version 999)
q "CREATE TEMP TABLE m AS SELECT * FROM schema_migrations ORDER BY version DESC LIMIT 1;
   UPDATE m SET version = 999; INSERT INTO schema_migrations SELECT * FROM m;"
for cmd in summary "dpd --as-of 2024-03-01" init "import payments x.csv"; do
	# shellcheck disable=SC2086
	ds $cmd
	assert_status 3 "$cmd on a newer database"
	assert_line stderr "doorstep: doorstep.db: database schema version 999 is newer than this doorstep knows ($SCHEMA); use a newer doorstep"
done
# init refused to touch it.
assert_query "$SCHEMA|999" "SELECT max(version) FILTER (WHERE version < 999), max(version)
	FROM schema_migrations"

# An older (uninitialised) doorstep database, a non-doorstep SQLite file, a
# file that is not a database at all.
sqlite3 other.db "CREATE TABLE t(x); INSERT INTO t VALUES(1);"
ds --db other.db summary
assert_status 3 "summary of another program's database"
assert_line stderr "doorstep: other.db: not a doorstep database (application id 0)"
ds --db other.db init
assert_status 3 "init over another program's database"
assert_query 1 "SELECT count(*) FROM sqlite_master" other.db
printf 'this is not a database, just text that is long enough to have a header......\n' >junk.db
ds --db junk.db summary
assert_status 3 "summary of a text file"
assert_contains stderr "doorstep: junk.db: not a database file (or it is damaged)"
: >empty.db
ds --db empty.db summary
assert_status 3 "summary of an empty file"
assert_line stderr "doorstep: empty.db: database is not initialised; run 'doorstep init'"

# The key file is needed to import personal data.
ds_ok --db keyless.db init
rm keyless.db.key
ds --db keyless.db import branches "$DS_TEST_DATA/branches.csv"
assert_status 3 "import without the key file"
assert_contains stderr "doorstep: keyless.db.key: cannot open key file: No such file or directory"

# The key is bound to its database: another database's key is refused, and
# init makes no new key for a database that already sealed data with one.
ds_ok --db bound.db init
ds_ok --db bound.db import branches "$DS_TEST_DATA/branches.csv"
ds_ok --db bound.db import communities "$DS_TEST_DATA/communities.csv"
ds_ok --db bound.db import borrowers "$DS_TEST_DATA/borrowers.csv"
mv bound.db.key bound.db.key.orig
ds_ok --db stranger.db init
cp stranger.db.key bound.db.key
ds --db bound.db import borrowers "$DS_TEST_DATA/borrowers.csv"
assert_status 3 "import with another database's key"
assert_contains stderr "does not belong to this database"
rm bound.db.key
ds --db bound.db init
assert_status 3 "init of a database with sealed data but no key file"
assert_contains stderr "bound.db.key"
[ -e bound.db.key ] && fail "init should not make a new key for a database with sealed data"
mv bound.db.key.orig bound.db.key
ds_ok --db bound.db import borrowers "$DS_TEST_DATA/borrowers.csv"
assert_contains stderr "0 inserted, 0 updated, 5 unchanged"

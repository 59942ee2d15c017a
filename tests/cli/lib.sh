# Shared helpers of the CLI tests; sourced by every tests/cli/test_*.sh:
#
#   . "$(dirname "$0")/lib.sh"
#
# ctest sets DOORSTEP (the binary), DS_TEST_DATA (tests/data) and
# DS_SOURCE_DIR (the repository). Each test runs in a fresh temporary
# directory ($T, removed on exit) that is also the working directory, so the
# default ./doorstep.db and ./doorstep.ini of the binary are the test's own.
#
# Assertions do not stop the script: each failure prints "FAIL: ..." with
# what was expected and the last command's output, and the script exits 1
# at the end (or when it stops early for any reason).

# shellcheck shell=sh disable=SC2034
# (SC2034: variables here are for the tests that source this file)

set -u

: "${DOORSTEP:?set DOORSTEP to the doorstep binary}"
: "${DS_TEST_DATA:?set DS_TEST_DATA to the tests/data directory}"
: "${DS_SOURCE_DIR:=}"

case $DOORSTEP in
/*) ;;
*) DOORSTEP=$(cd "$(dirname "$DOORSTEP")" && pwd)/$(basename "$DOORSTEP") ;;
esac
case $DS_TEST_DATA in
/*) ;;
*) DS_TEST_DATA=$(cd "$DS_TEST_DATA" && pwd) ;;
esac
[ -x "$DOORSTEP" ] || {
	echo "FAIL: DOORSTEP=$DOORSTEP is not an executable" >&2
	exit 1
}
command -v sqlite3 >/dev/null 2>&1 || {
	echo "FAIL: the sqlite3 shell is needed by the CLI tests" >&2
	exit 1
}

TEST_NAME=$(basename "$0" .sh)
# The schema version this binary creates ("doorstep X.Y.Z (... schema N)").
SCHEMA=$("$DOORSTEP" --version | sed -n 's/.*schema \([0-9][0-9]*\))$/\1/p')
MIGRATIONS="$SCHEMA migrations"
[ "$SCHEMA" = 1 ] && MIGRATIONS="1 migration"
[ -n "$SCHEMA" ] || {
	echo "FAIL: cannot read the schema version from 'doorstep --version'" >&2
	exit 1
}
FAILS=0
CHECKS=0
DS_STATUS=0
DS_CMD=
T=$(mktemp -d "${TMPDIR:-/tmp}/doorstep-$TEST_NAME.XXXXXX") || exit 1
OUT=$T/.stdout
ERR=$T/.stderr
DB=$T/doorstep.db
: >"$OUT"
: >"$ERR"

# The binary must see only what a test sets: no settings from the caller.
unset DOORSTEP_DB DOORSTEP_BUSY_TIMEOUT_MS DOORSTEP_KEY_FILE DOORSTEP_ACTOR \
	DOORSTEP_TIMEZONE DOORSTEP_IMPORT_ENCODING DOORSTEP_IMPORT_MAX_SHOWN \
	DOORSTEP_DEMO_DIR DOORSTEP_DEMO_SEED DOORSTEP_DEMO_BORROWERS DOORSTEP_CONFIG \
	DOORSTEP_CACHE_MIB DOORSTEP_RULES DOORSTEP_RULES_FILE \
	DOORSTEP_ABILITY_CUT DOORSTEP_WILLINGNESS_CUT DOORSTEP_NOTICE_DAYS \
	DOORSTEP_CHECKIN_MAX_M DOORSTEP_PROMISE_GRACE_DAYS DOORSTEP_PROMISE_TOLERANCE_PCT \
	DOORSTEP_RECEIPT_RECONCILE_DAYS DOORSTEP_COMPLAINT_SLA_DAYS DOORSTEP_FOLLOWUP \
	DOORSTEP_LETTER_DIR DOORSTEP_BANK_NAME DOORSTEP_BANK_PHONE DOORSTEP_BANK_ADDRESS \
	DOORSTEP_COLLECTOR_PLAN_LIMIT_FEN DOORSTEP_COLLECTOR_MAX_INSTALLMENTS \
	DOORSTEP_AFFORDABILITY_PCT DOORSTEP_PLAN_GRACE_DAYS DOORSTEP_PLAN_MISSED_TO_BREAK \
	DOORSTEP_FAULT
export DOORSTEP_ACTOR=cli-test
# Byte-wise text tools: some outputs hold bytes that are not UTF-8.
export LC_ALL=C

# DS_TEST_BACKEND=pg runs the test against PostgreSQL (docs/storage.md): a
# database of its own in the cluster DS_TEST_PG_URL names (or the one
# scripts/pg-cluster.sh started in DS_TEST_PG_DIR), dropped at the end. DB
# is then its URL, DOORSTEP_DB points the binary at it, and q, count,
# dump_data and the sqlite3 shell's calls on it go through psql.
DS_TEST_BACKEND=${DS_TEST_BACKEND:-sqlite}
PG_DBNAME=
if [ "$DS_TEST_BACKEND" = pg ]; then
	if [ -z "${DS_TEST_PG_URL:-}" ] && [ -n "${DS_TEST_PG_DIR:-}" ]; then
		DS_TEST_PG_URL=$(sh "$(dirname "$0")/../../scripts/pg-cluster.sh" url "$DS_TEST_PG_DIR")
	fi
	: "${DS_TEST_PG_URL:?DS_TEST_BACKEND=pg needs DS_TEST_PG_URL or DS_TEST_PG_DIR}"
	PG_DBNAME=t_$(printf '%s' "$TEST_NAME" | tr -c 'a-z0-9_' '_')_$$
	psql -XAtq -d "$DS_TEST_PG_URL" -c "CREATE DATABASE $PG_DBNAME" || exit 1
	DB=${DS_TEST_PG_URL%/*}/$PG_DBNAME
	export DOORSTEP_DB="$DB"
fi

# is_pg [DB] : whether the database is a PostgreSQL URL.
is_pg() {
	case ${1:-$DB} in
	postgres://* | postgresql://*) return 0 ;;
	*) return 1 ;;
	esac
}

if [ "$DS_TEST_BACKEND" = pg ]; then
	# The sqlite3 shell's calls on a PostgreSQL URL, answered by psql in
	# the same shape (fields separated by '|', no header).
	sqlite3() {
		_db= _sql=
		for _a in "$@"; do
			case $_a in
			-*) ;;
			*) if [ -z "$_db" ]; then _db=$_a; else _sql=$_a; fi ;;
			esac
		done
		if is_pg "$_db"; then
			if [ -n "$_sql" ]; then
				psql -XAtq -F'|' -v ON_ERROR_STOP=1 -d "$_db" -c "$_sql"
			else
				psql -XAtq -F'|' -v ON_ERROR_STOP=1 -d "$_db"
			fi
		else
			command sqlite3 "$@"
		fi
	}
fi

ds_finish() {
	rc=$?
	trap - EXIT INT TERM
	# Leave no background process behind (the SIGKILL test starts some).
	[ -n "${BG_PID:-}" ] && kill -9 "$BG_PID" 2>/dev/null
	cd / && rm -rf "$T"
	if [ -n "$PG_DBNAME" ]; then
		psql -XAtq -d "$DS_TEST_PG_URL" \
			-c "DROP DATABASE IF EXISTS $PG_DBNAME WITH (FORCE)" >/dev/null 2>&1
	fi
	# What a test asked to be done at the end (a server it started).
	[ -n "${DS_ON_EXIT:-}" ] && eval "$DS_ON_EXIT"
	if [ "$FAILS" -gt 0 ]; then
		echo "$TEST_NAME: $FAILS of $CHECKS checks FAILED"
		exit 1
	fi
	if [ "$rc" -ne 0 ]; then
		echo "$TEST_NAME: stopped early (status $rc) after $CHECKS checks"
		exit "$rc"
	fi
	echo "$TEST_NAME: all $CHECKS checks passed"
	exit 0
}
trap ds_finish EXIT
trap 'exit 130' INT TERM
cd "$T" || exit 1

# ------------------------------------------------------------------ running

# ds ARGS... : runs doorstep; stdout in $OUT, stderr in $ERR, status in
# $DS_STATUS. A sanitizer report on stderr is a failure in itself.
ds() {
	DS_CMD="doorstep $*"
	"$DOORSTEP" "$@" >"$OUT" 2>"$ERR"
	DS_STATUS=$?
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$ERR"; then
		fail "no sanitizer report from: $DS_CMD"
	fi
	return 0
}

# ds_ok ARGS... : runs doorstep and asserts exit status 0.
ds_ok() {
	ds "$@"
	assert_status 0
}

# Prints the last command and its output (after a failed assertion).
show_last() {
	echo "    command: $DS_CMD (status $DS_STATUS)"
	echo "    --- stdout"
	sed -n '1,40s/^/    | /p' "$OUT"
	echo "    --- stderr"
	sed -n '1,40s/^/    | /p' "$ERR"
}

# --------------------------------------------------------------- assertions

fail() {
	FAILS=$((FAILS + 1))
	echo "FAIL: $TEST_NAME: $*"
}

# assert_status N [what]
assert_status() {
	CHECKS=$((CHECKS + 1))
	if [ "$DS_STATUS" -ne "$1" ]; then
		fail "${2:-exit status} of '$DS_CMD': expected $1, got $DS_STATUS"
		show_last
	fi
}

# which_file stdout|stderr|PATH : the file an assertion reads.
which_file() {
	case $1 in
	stdout) echo "$OUT" ;;
	stderr) echo "$ERR" ;;
	*) echo "$1" ;;
	esac
}

# assert_contains stdout|stderr|FILE TEXT : TEXT occurs (as a fixed string).
assert_contains() {
	CHECKS=$((CHECKS + 1))
	f=$(which_file "$1")
	if ! grep -qF -e "$2" "$f"; then
		fail "$1 should contain: $2"
		[ "$f" = "$OUT" ] || [ "$f" = "$ERR" ] && show_last
	fi
}

# assert_not_contains stdout|stderr|FILE TEXT
assert_not_contains() {
	CHECKS=$((CHECKS + 1))
	f=$(which_file "$1")
	if grep -qF -e "$2" "$f"; then
		fail "$1 should not contain: $2"
		[ "$f" = "$OUT" ] || [ "$f" = "$ERR" ] && show_last
	fi
}

# assert_line stdout|stderr|FILE LINE : LINE is one whole line of the output.
assert_line() {
	CHECKS=$((CHECKS + 1))
	f=$(which_file "$1")
	if ! grep -qxF -e "$2" "$f"; then
		fail "$1 should have the line: $2"
		[ "$f" = "$OUT" ] || [ "$f" = "$ERR" ] && show_last
	fi
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	CHECKS=$((CHECKS + 1))
	if [ "$1" != "$2" ]; then
		fail "$3: expected [$1], got [$2]"
	fi
}

# assert_file_eq EXPECTED_FILE ACTUAL_FILE WHAT : byte-identical files.
assert_file_eq() {
	CHECKS=$((CHECKS + 1))
	if ! cmp -s "$1" "$2"; then
		fail "$3: files differ"
		diff "$1" "$2" | sed -n '1,30s/^/    /p'
	fi
}

# assert_lines_matching stdout|stderr|FILE REGEX N : N lines match REGEX.
assert_lines_matching() {
	CHECKS=$((CHECKS + 1))
	f=$(which_file "$1")
	n=$(grep -cE -e "$2" "$f")
	if [ "$n" -ne "$3" ]; then
		fail "$1: expected $3 line(s) matching /$2/, found $n"
		[ "$f" = "$OUT" ] || [ "$f" = "$ERR" ] && show_last
	fi
}

# ----------------------------------------------------------------- database

# q SQL [DB] : one query through the sqlite3 shell; rows on stdout, fields
# separated by '|'.
q() {
	if is_pg "${2:-$DB}"; then
		psql -XAtq -F'|' -v ON_ERROR_STOP=1 -d "${2:-$DB}" -c "$1"
	else
		sqlite3 -batch -bail "${2:-$DB}" "$1"
	fi
}

# count TABLE [DB]
count() {
	q "SELECT count(*) FROM $1" "${2:-$DB}"
}

# assert_query EXPECTED SQL [DB]
assert_query() {
	assert_eq "$1" "$(q "$2" "${3:-$DB}" 2>&1)" "query: $2"
}

# dump_data OUTFILE [DB] : every table but import_batches and audit_log (and
# of store_meta all but the audit log's head, which moves with the log), as
# SQL text, for comparing a database before and after.
dump_data() {
	: >"$1"
	if is_pg "${2:-$DB}"; then
		for t in $(q "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
		              AND tablename NOT IN ('import_batches','audit_log','store_meta')
		              ORDER BY 1" "${2:-$DB}"); do
			echo "-- $t" >>"$1"
			q "SELECT x::text FROM $t x ORDER BY 1" "${2:-$DB}" >>"$1"
		done
		q "SELECT name, value FROM store_meta WHERE name <> 'audit_head' ORDER BY name" \
			"${2:-$DB}" >>"$1"
		return
	fi
	for t in $(q "SELECT name FROM sqlite_master WHERE type='table' AND name NOT IN
	              ('import_batches','audit_log','store_meta') AND name NOT LIKE 'sqlite_%'
	              ORDER BY name" "${2:-$DB}"); do
		q ".dump $t" "${2:-$DB}" >>"$1"
	done
	q "SELECT name, value FROM store_meta WHERE name <> 'audit_head' ORDER BY name" \
		"${2:-$DB}" >>"$1"
}

# ----------------------------------------------------------------- fixtures

# The import kinds, in dependency order, and their fixture files.
KINDS="branches communities borrowers staff certifications accounts schedules payments contacts"

# data FILE... : copies files of tests/data (paths relative to it) into $T,
# so that they are named by their base name in messages.
data() {
	for f in "$@"; do
		cp "$DS_TEST_DATA/$f" "$T/" || fail "cannot copy test data $f"
	done
}

# fixture_db : init + every fixture kind imported, asserting each step.
fixture_db() {
	ds_ok init
	for k in $KINDS; do
		data "$k.csv"
		ds_ok import "$k" "$k.csv"
	done
}

# natid_check ID17 : the ISO 7064 MOD 11-2 check character of a PRC resident
# ID's first 17 digits.
natid_check() {
	echo "$1" | awk '{
		split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
		s = 0
		for (i = 1; i <= 17; i++) s += substr($0, i, 1) * w[i]
		print substr("10X98765432", s % 11 + 1, 1)
	}'
}

# repeat TEXT N : TEXT N times.
repeat() {
	r="" i=0
	while [ "$i" -lt "$2" ]; do
		r=$r$1
		i=$((i + 1))
	done
	printf '%s' "$r"
}

# squeeze FILE : lines with runs of blanks made one space, ends trimmed (for
# comparing column-aligned tables by value).
squeeze() {
	tr -s ' \t' '  ' <"$1" | sed 's/^ //; s/ $//'
}

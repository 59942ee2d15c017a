#!/bin/sh
# Settings: `config` prints every setting and its source; the order is
# defaults < doorstep.ini (or --config / $DOORSTEP_CONFIG) < environment <
# options; bad settings files stop every command with the file, line and key
# named, and exit 3.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# --- defaults (DOORSTEP_ACTOR is set by lib.sh)
unset DOORSTEP_ACTOR
ds_ok config
assert_line stdout "# settings file: (none)"
for section in database security general import demo; do
	assert_line stdout "[$section]"
done
assert_contains stdout "path = doorstep.db	; SQLite database file (default, \$DOORSTEP_DB)"
assert_contains stdout "busy_timeout_ms = 5000	;"
assert_contains stdout "timezone = Asia/Shanghai	;"
assert_contains stdout "encoding = auto	;"
assert_contains stdout "max_problems_shown = 100	;"
# The actor defaults to the login name.
who=$(id -un 2>/dev/null || echo unknown)
assert_contains stdout "actor = $who	; name recorded in the audit log (default: the login name) (default,"
assert_lines_matching stdout ' = ' 42
assert_contains stdout "cache_mib = 64	;"
[ -e doorstep.db ] && fail "config should not create a database"
export DOORSTEP_ACTOR=cli-test

# --- the environment overrides the default, an option the environment
DOORSTEP_DB=env.db ds config
assert_status 0
assert_contains stdout "path = env.db	; SQLite database file (env, \$DOORSTEP_DB)"
assert_contains stdout "actor = cli-test	;"
DOORSTEP_DB=env.db ds --db opt.db config
assert_contains stdout "path = opt.db	; SQLite database file (option, \$DOORSTEP_DB)"
# ... and is used: init makes env.db (and its key), summary reads it.
DOORSTEP_DB=env.db ds init
assert_status 0
assert_line stdout "env.db: schema version $SCHEMA ($MIGRATIONS applied); key file env.db.key"
if ! [ -f env.db ] || ! [ -f env.db.key ]; then
	fail "DOORSTEP_DB=env.db init should make env.db and env.db.key"
fi
[ -e doorstep.db ] && fail "DOORSTEP_DB=env.db init should not make doorstep.db"
DOORSTEP_DB=env.db ds summary --as-of 2024-03-01
assert_status 0
ds summary --as-of 2024-03-01
assert_status 3 "summary without DOORSTEP_DB: no ./doorstep.db"
# The actor of the environment is the one in the audit log.
DOORSTEP_DB=env.db DOORSTEP_ACTOR=auditor-7 ds import branches "$DS_TEST_DATA/branches.csv"
assert_status 0
assert_query "auditor-7|auditor-7" "SELECT actor, (SELECT actor FROM audit_log ORDER BY seq DESC
	LIMIT 1) FROM import_batches" env.db
DOORSTEP_KEY_FILE=elsewhere.key ds --db env.db import branches "$DS_TEST_DATA/branches.csv"
assert_status 3 "a key file setting that names no file"
assert_contains stderr "elsewhere.key: cannot open key file"

# --- doorstep.ini in the working directory
cat >doorstep.ini <<'EOF'
; test settings
[database]
path = ini.db

[general]
actor = ini-actor
timezone = Asia/Urumqi

[import]
max_problems_shown = 7
EOF
ds_ok config
assert_line stdout "# settings file: doorstep.ini"
assert_contains stdout "path = ini.db	; SQLite database file (file, \$DOORSTEP_DB)"
assert_contains stdout "timezone = Asia/Urumqi	;"
assert_contains stdout "max_problems_shown = 7	;"
assert_contains stdout "actor = cli-test	;" # the environment still wins
DOORSTEP_DB=env.db ds config
assert_contains stdout "path = env.db	; SQLite database file (env, \$DOORSTEP_DB)"
ds_ok init
[ -f ini.db ] || fail "init with doorstep.ini should make ini.db"

# `config` prints a valid settings file: read back, it gives the same values.
ds_ok config
sed -E 's/\((default|file|env|option), \$/(SRC, $/' "$OUT" | grep ' = ' >printed.txt
cp "$OUT" saved.ini
rm doorstep.ini
ds_ok --config saved.ini config
assert_line stdout "# settings file: saved.ini"
sed -E 's/\((default|file|env|option), \$/(SRC, $/' "$OUT" | grep ' = ' >again.txt
assert_file_eq printed.txt again.txt "settings read back from config's output"
DOORSTEP_CONFIG=saved.ini ds config
assert_status 0
assert_line stdout "# settings file: saved.ini"

# --- bad settings files: every command stops with exit 3 and names the
# file, the line and the key.
printf '[general]\nactor = alice\n\n[import]\ncolour = red\n' >doorstep.ini
for cmd in config summary init "import payments x.csv"; do
	# shellcheck disable=SC2086
	ds $cmd
	assert_status 3 "$cmd with an unknown key in doorstep.ini"
	assert_line stderr "doorstep: doorstep.ini:5:colour: unknown setting [import] colour"
	assert_eq "" "$(cat "$OUT")" "stdout of $cmd with a bad doorstep.ini"
done
# --help and --version do not read settings.
ds --version
assert_status 0 "--version with a bad doorstep.ini"
# A key in the wrong section is unknown there.
printf '[database]\ntimezone = Asia/Shanghai\n' >doorstep.ini
ds config
assert_status 3
assert_line stderr "doorstep: doorstep.ini:2:timezone: unknown setting [database] timezone"
printf '[database]\nbusy_timeout_ms = soon\n' >doorstep.ini
ds config
assert_status 3
assert_line stderr 'doorstep: doorstep.ini:2:busy_timeout_ms: not a non-negative whole number: "soon"'
printf '[general]\ntimezone = Mars/Olympus_Mons\n' >doorstep.ini
ds config
assert_status 3
assert_lines_matching stderr '^doorstep: doorstep\.ini:.*timezone.*not an IANA time zone.*"Mars/Olympus_Mons"$' 1
printf 'no section, no equals sign\n' >doorstep.ini
ds config
assert_status 3
assert_line stderr "doorstep: doorstep.ini:1: not valid INI syntax"
{
	echo '[general]'
	printf 'actor = %s\n' "$(repeat a 200)"
} >doorstep.ini
ds config
assert_status 3
assert_line stderr "doorstep: doorstep.ini:2: line longer than 199 characters"
rm doorstep.ini

# A named settings file must exist; ./doorstep.ini need not.
ds --config missing.ini config
assert_status 3
assert_line stderr "doorstep: missing.ini: cannot read configuration file: No such file or directory"
DOORSTEP_CONFIG=missing2.ini ds config
assert_status 3
assert_line stderr "doorstep: missing2.ini: cannot read configuration file: No such file or directory"

# Bad values from the environment name the variable.
DOORSTEP_BUSY_TIMEOUT_MS=-1 ds config
assert_status 3
assert_line stderr 'doorstep: DOORSTEP_BUSY_TIMEOUT_MS: not a non-negative whole number: "-1"'
DOORSTEP_TIMEZONE=Nowhere/Special ds config
assert_status 3
assert_lines_matching stderr '^doorstep: .*(timezone|TIMEZONE).*not an IANA time zone.*"Nowhere/Special"$' 1
DOORSTEP_IMPORT_MAX_SHOWN=lots ds config
assert_status 3
assert_line stderr 'doorstep: DOORSTEP_IMPORT_MAX_SHOWN: not a non-negative whole number: "lots"'

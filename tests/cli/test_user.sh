#!/bin/sh
# `user add|passwd|disable|list|token`: users of the server and the API.
# Passwords come from standard input only and are stored as argon2id
# hashes; tokens are printed once and stored as their SHA-256; neither
# ever appears in any output or in the audit log; bad input refused.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

export DOORSTEP_DB="$DB"
fixture_db

PW='Correct-Horse-Battery-9'
PW2='another long passphrase'
printf '%s\n' "$PW" >pw.txt
printf '%s\r\n' "$PW2" >pw2.txt # a CRLF line end is not part of it
printf 'short\n' >short.txt

# dsl ARGS... : ds, keeping every output for the leak checks at the end.
dsl() {
	ds "$@"
	cat "$OUT" "$ERR" >>all-output.txt
}

# --- add: the password on stdin, as a script pipes it
printf '%s\n' "$PW" | "$DOORSTEP" user add admin1 --role admin >"$OUT" 2>"$ERR"
DS_STATUS=$? DS_CMD="printf PW | doorstep user add admin1 --role admin"
cat "$OUT" "$ERR" >>all-output.txt
assert_status 0
assert_line stdout "user admin1 added: admin"
dsl user add zhao --role collector --staff S01 <pw.txt
assert_status 0
assert_line stdout "user zhao added: collector, staff S01"
dsl --json user add sun --role community_worker --staff S02 <pw.txt
assert_status 0
assert_contains stdout '"staff_id": "S02"'
assert_query "admin1|admin||0
sun|community_worker|S02|0
zhao|collector|S01|0" "SELECT user_id, role, coalesce(staff_id,''), disabled FROM users ORDER BY user_id"
# shellcheck disable=SC2016 # the hash's prefix, dollars and all
assert_query '$argon2id$v=19$m=65536,t=2,p=1$' \
	"SELECT DISTINCT substr(password_hash, 1, 31) FROM users"
assert_query 3 "SELECT count(*) FROM audit_log WHERE action = 'user_add'"
assert_query '{"role":"collector","staff_id":"S01"}' \
	"SELECT detail FROM audit_log WHERE action = 'user_add' AND entity_id = 'zhao'"

# --- refusals: nothing written
dsl user add weak --role admin <short.txt
assert_status 1 "a short password"
assert_contains stderr "the password is too short: at least 10 bytes"
dsl user add admin1 --role manager <pw.txt
assert_status 1 "an existing user"
assert_contains stderr 'user "admin1" exists already'
dsl user add x1 --role collector --staff S02 <pw.txt
assert_status 1 "a community worker made a collector"
assert_contains stderr 'staff member "S02" is a community_worker, not a collector'
dsl user add x2 --role manager --staff S01 <pw.txt
assert_status 1 "a collector made a manager"
dsl user add x3 --role collector <pw.txt
assert_status 1 "a collector who is not staff"
assert_contains stderr "a collector must be a staff member (--staff)"
dsl user add x4 --role manager --staff S99 <pw.txt
assert_status 1 "unknown staff"
assert_contains stderr 'no staff member "S99"'
dsl user add x5 --role admin </dev/null
assert_status 1 "no password at all"
assert_contains stderr "no password on standard input"
dsl user add x6 --role wizard <pw.txt
assert_status 2 "an unknown role"
dsl user add x7 <pw.txt
assert_status 2 "no role"
dsl user add x8 --role admin --password "$PW"
assert_status 2 "a password on the command line is no option"
dsl user add --role admin <pw.txt
assert_status 2 "no user id"
awk 'BEGIN { s = ""; for (i = 0; i < 1100; i++) s = s "x"; print s }' >long.txt
dsl user add x9 --role admin <long.txt
assert_status 1 "a password over 1024 bytes"
assert_contains stderr "at most 1024 bytes"
assert_query 3 "SELECT count(*) FROM users"
# a staff manager may be a manager user
dsl user add oldtimer --role manager --staff S03 <pw.txt
assert_status 0

# --- list: no hashes
dsl user list
assert_status 0
assert_contains stdout "user_id"
assert_lines_matching stdout '^zhao +collector +S01 +BR01 +- +active ' 1
assert_lines_matching stdout '^sun +community_worker +S02 +BR01 +C01 +active ' 1
assert_not_contains stdout 'argon2'
dsl --json user list
assert_status 0
assert_contains stdout '"community_id": "C01"'
assert_contains stdout '"status": "active"'
assert_not_contains stdout 'argon2'

# --- passwd: same input rules; the user's sessions end
q "INSERT INTO sessions(user_id, token_sha256, csrf, created_at, last_seen_at, expires_at)
   VALUES ('zhao', 'x1', 'c', 1, 1, 4102444800), ('zhao', 'x2', 'c', 1, 1, 4102444800)"
dsl user passwd zhao <pw2.txt
assert_status 0
assert_line stdout "password of zhao changed; their sessions ended"
assert_query 0 "SELECT count(*) FROM sessions WHERE revoked_at IS NULL"
assert_query 2 "SELECT json_extract(detail, '$.sessions_revoked') FROM audit_log WHERE action = 'user_passwd'"
dsl user passwd zhao <short.txt
assert_status 1 "a short new password"
dsl user passwd nobody <pw.txt
assert_status 1 "an unknown user"
assert_contains stderr 'no user "nobody"'
dsl user passwd
assert_status 2 "no user id"

# --- API tokens: printed once, stored as the SHA-256
dsl user token add zhao --name "crm export"
assert_status 0
TOKEN=$(cat "$OUT")
assert_eq 43 "${#TOKEN}" "a token's length"
assert_lines_matching stdout '^[A-Za-z0-9_-]{43}$' 1
assert_contains stderr "API token 1 (crm export) for zhao: shown once"
SHA=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
assert_query "1|zhao|crm export" "SELECT token_id, user_id, name FROM api_tokens WHERE token_sha256 = '$SHA'"
assert_query 0 "SELECT count(*) FROM api_tokens WHERE token_sha256 = '$TOKEN'"
dsl --json user token add sun --name sync
assert_status 0
assert_contains stdout '"token_id": 2'
TOKEN2=$(sed -n 's/.*"token": "\([^"]*\)".*/\1/p' "$OUT")
assert_eq 43 "${#TOKEN2}" "a token's length in JSON"
dsl user token list
assert_status 0
assert_contains stdout "crm export"
assert_not_contains stdout "$TOKEN"
assert_not_contains stdout "$SHA"
dsl user token list sun
assert_lines_matching stdout 'sync' 1
assert_lines_matching stdout 'crm export' 0
dsl user token revoke 1
assert_status 0
assert_line stdout "API token 1 revoked"
assert_query 1 "SELECT count(*) FROM api_tokens WHERE token_id = 1 AND revoked_at IS NOT NULL"
dsl user token revoke 1
assert_status 1 "revoking twice"
assert_contains stderr "no active API token 1"
dsl user token revoke abc
assert_status 2 "not a token id"
dsl user token add nobody --name x
assert_status 1 "a token for an unknown user"
dsl user token add zhao
assert_status 2 "a token without --name"
dsl user token frob
assert_status 2 "an unknown token subcommand"

# --- disable: sessions and tokens revoked
dsl user disable sun
assert_status 0
assert_line stdout "user sun disabled; their sessions and API tokens revoked"
assert_query "1|1" "SELECT disabled, (SELECT count(*) FROM api_tokens WHERE user_id = 'sun'
	AND revoked_at IS NOT NULL) FROM users WHERE user_id = 'sun'"
dsl user disable nobody
assert_status 1 "disabling an unknown user"
dsl user list
assert_lines_matching stdout '^sun .* disabled ' 1
dsl user token add sun --name again
assert_status 1 "a token for a disabled user"

# --- every change audited; no password, no token anywhere
assert_query "token_add|2
token_revoke|1
user_add|4
user_disable|1
user_passwd|1" "SELECT action, count(*) FROM audit_log WHERE action LIKE 'user%' OR action LIKE 'token%'
	GROUP BY action ORDER BY action"
for secret in "$PW" "$PW2" "$TOKEN" "$TOKEN2"; do
	assert_query 0 "SELECT count(*) FROM audit_log WHERE instr(coalesce(detail, '') ||
		coalesce(entity_id, '') || entity || action, '$secret') > 0"
	assert_query 0 "SELECT count(*) FROM users WHERE instr(password_hash, '$secret') > 0"
done
assert_not_contains all-output.txt "$PW"
assert_not_contains all-output.txt "$PW2"
# the tokens were printed once each, by token add
assert_eq 1 "$(grep -cF -e "$TOKEN" all-output.txt)" "the first token printed once"
assert_eq 1 "$(grep -cF -e "$TOKEN2" all-output.txt)" "the second token printed once"

# --- usage
ds_ok user --help
assert_contains stdout "first line of standard input"
ds user
assert_status 2 "no subcommand"
ds user frob
assert_status 2 "an unknown subcommand"
ds user list extra
assert_status 2 "list with an argument"

#!/bin/sh
# doorstep serve: the HTTP JSON API against the real server on loopback,
# with curl. A simulated bank's store with users of every role and a
# team's visits for the day (one scheduled, one checked in); then: login, logout and me; 401 and 403; the CSRF
# header on cookie writes; API tokens; masking by role and the audit of
# unmasked reads; scoping of collectors and community workers; a check-in
# refused with its Chinese reason; writes acted as the caller; the body
# cap, malformed and deep JSON; every documented route answers and every
# route is documented; the role x route matrix from the OpenAPI
# document's x-roles; static files without traversal; metrics and logs;
# the graceful stop on SIGTERM.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || {
	echo "FAIL: curl is needed by $TEST_NAME" >&2
	exit 1
}

AS_OF=2026-11-20
PW=password123
ds_ok simulate --days 1 --strategy none --borrowers 300 --seed 3 --as-of "$AS_OF" --store-dir sims
DB=$T/sims/none.db
export DOORSTEP_DB="$DB"

# ---------------------------------------------------------------- fixtures

# a collector, an open account of their branch whose community has a
# worker, that worker, a worker of another community, a collector of
# another branch
COL=$(q "SELECT staff_id FROM staff WHERE role = 'collector' ORDER BY staff_id LIMIT 1")
BR=$(q "SELECT branch_id FROM staff WHERE staff_id = '$COL'")
ACC=$(q "SELECT a.account_id FROM accounts a JOIN borrowers b USING (borrower_id)
	WHERE a.branch_id = '$BR' AND a.status = 'active' AND EXISTS (SELECT 1 FROM staff s
	WHERE s.role = 'community_worker' AND s.community_id = b.community_id)
	ORDER BY a.account_id LIMIT 1")
COMM=$(q "SELECT b.community_id FROM accounts a JOIN borrowers b USING (borrower_id)
	WHERE a.account_id = '$ACC'")
WRK=$(q "SELECT staff_id FROM staff WHERE role = 'community_worker' AND community_id = '$COMM'
	ORDER BY staff_id LIMIT 1")
WRK2=$(q "SELECT staff_id FROM staff WHERE role = 'community_worker' AND community_id <> '$COMM'
	ORDER BY staff_id LIMIT 1")
COL2=$(q "SELECT staff_id FROM staff WHERE role = 'collector' AND branch_id <> '$BR'
	ORDER BY staff_id LIMIT 1")
OTHER=$(q "SELECT account_id FROM accounts WHERE branch_id <> '$BR' AND status = 'active'
	ORDER BY account_id LIMIT 1")
NAME=$(q "SELECT b.name FROM accounts a JOIN borrowers b USING (borrower_id)
	WHERE a.account_id = '$ACC'")
# 张三 -> 张*: the first character, then one '*' per remaining one
MASKED=$(q "SELECT substr(b.name, 1, 1) || replace(hex(zeroblob(length(b.name) - 1)), '00', '*')
	FROM accounts a JOIN borrowers b USING (borrower_id) WHERE a.account_id = '$ACC'")
for v in "$COL" "$BR" "$ACC" "$COMM" "$WRK" "$WRK2" "$COL2" "$OTHER" "$NAME"; do
	[ -n "$v" ] || fail "a fixture is missing from the simulated city"
done

# the day's team (the collector with the worker) and its scheduled visit
q "INSERT INTO teams(team_id, branch_id, community_id, work_date) VALUES ('T-SERVE', '$BR', '$COMM', '$AS_OF');
   INSERT INTO team_members(team_id, staff_id) VALUES ('T-SERVE', '$COL'), ('T-SERVE', '$WRK');
   INSERT INTO visits(account_id, team_id, visit_date, state, route_seq) VALUES ('$ACC', 'T-SERVE', '$AS_OF', 'scheduled', 1);
   INSERT INTO visits(account_id, team_id, visit_date, state, route_seq, checked_in_at) VALUES ('$ACC', 'T-SERVE', '$AS_OF', 'checked_in', 2, 1795660000);
   INSERT INTO decisions(plan_date, account_id, treatment, expected_fen, cost_fen, arm, reasons, created_at)
   VALUES ('$AS_OF', '$ACC', 'visit', 50000, 14500, 'treated', '{}', 0),
          ('$AS_OF', '$OTHER', 'sms', 2000, 10, 'treated', '{}', 0);
   INSERT INTO scores(account_id, score_date, ability, willingness, quadrant, reasons)
   VALUES ('$ACC', '2026-11-18', 0.2, 0.9, 'old', NULL),
          ('$ACC', '2026-11-19', 0.25, 0.75, 'willing_unable', '{\"ability\":[{\"feature\":\"dpd\"}]}');"
VISIT=$(q "SELECT visit_id FROM visits WHERE team_id = 'T-SERVE' AND route_seq = 1")
VISIT2=$(q "SELECT visit_id FROM visits WHERE team_id = 'T-SERVE' AND route_seq = 2")

# users of every role (the password on stdin)
adduser() {
	printf '%s\n' "$PW" | "$DOORSTEP" user add "$@" >"$OUT" 2>"$ERR"
	DS_STATUS=$? DS_CMD="doorstep user add $*"
	assert_status 0
}
adduser adm --role admin
adduser mgr --role manager
adduser col --role collector --staff "$COL"
adduser col2 --role collector --staff "$COL2"
adduser wrk --role community_worker --staff "$WRK"
adduser wrk2 --role community_worker --staff "$WRK2"
adduser ana --role analyst
adduser aud --role auditor
adduser victim --role analyst
ds_ok user token add ana --name ci
TOKEN=$(cat "$OUT")

# static files: a page, a script, and a link out of the directory
mkdir www
echo '<!doctype html><title>doorstep</title>' >www/index.html
echo 'console.log(1)' >www/app.js
echo 'secret' >secret.txt
ln -s "$T/secret.txt" www/leak.txt

# ------------------------------------------------------------------ server

# start_server LOG ARGS... : doorstep serve on a free loopback port, its
# log in LOG; sets BG_PID (lib.sh kills it if the test stops early) and URL.
start_server() {
	log=$1
	shift
	"$DOORSTEP" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
	BG_PID=$!
	PORT=
	i=0
	while [ "$i" -lt 100 ] && [ -z "$PORT" ]; do
		PORT=$(sed -n 's/.*"event":"listening","listen":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$log")
		[ -n "$PORT" ] || sleep 0.1
		i=$((i + 1))
	done
	[ -n "$PORT" ] || {
		fail "the server did not start"
		cat "$log"
		exit 1
	}
	URL=http://127.0.0.1:$PORT
}

# wait_server : at most 5 seconds for the server to end; its exit status in
# STOPPED.
wait_server() {
	i=0
	while kill -0 "$BG_PID" 2>/dev/null && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$BG_PID" 2>/dev/null; then
		fail "SIGTERM did not stop the server within 5 seconds"
		STOPPED=-1
	else
		wait "$BG_PID"
		STOPPED=$?
	fi
	BG_PID=
}

# wrong use, and what stops it from starting
ds serve --threads 0
assert_status 2 "no threads"
ds serve --bogus
assert_status 2 "an unknown option"
ds serve --listen localhost
assert_status 3 "a listen address without a port"
assert_contains stderr "--listen: not ADDR:PORT"
ds serve --listen 127.0.0.1:0 --static no-such-dir
assert_status 3 "a static directory that is not there"
ds --db nothing.db serve --listen 127.0.0.1:0
assert_status 3 "no database"
ds_ok serve --help
assert_contains stdout "--trust-proxy ADDR"

start_server server.log --threads 2 --static www
HDR=$T/.headers
HS=000

# req WHO METHOD PATH [BODY] : one request; WHO is anon, a user (its
# session cookie and CSRF header), USER:nocsrf (the cookie alone) or
# bearer:TOKEN. The status in $HS, the answer in $OUT, headers in $HDR.
req() {
	who=$1 m=$2 p=$3
	shift 3
	DS_CMD="$m $p as $who"
	has_body=$#
	body=${1-}
	set -- -s -g --path-as-is -o "$OUT" -D "$HDR" -w '%{http_code}' -X "$m"
	case $who in
	anon) ;;
	bearer:*) set -- "$@" -H "Authorization: Bearer ${who#bearer:}" ;;
	*:nocsrf) set -- "$@" -b "$T/${who%:nocsrf}.jar" ;;
	*) set -- "$@" -b "$T/$who.jar" -H "X-CSRF-Token: $(cat "$T/$who.csrf")" ;;
	esac
	[ "$has_body" -gt 0 ] && set -- "$@" -H 'Content-Type: application/json' --data-binary "$body"
	HS=$(curl "$@" "$URL$p") || HS=000
}

# assert_http STATUS [what]
assert_http() {
	CHECKS=$((CHECKS + 1))
	if [ "$HS" != "$1" ]; then
		fail "${2:-status} of $DS_CMD: expected $1, got $HS"
		sed -n '1,5s/^/    | /p' "$OUT"
	fi
}

# jv PATH [FILE] : a value of the last answer (or FILE), by JSON path.
jv() {
	sqlite3 -batch :memory: "SELECT json_extract(readfile('${2:-$OUT}'), '\$$1')" 2>&1
}

# jlen PATH : the length of an array of the last answer.
jlen() {
	sqlite3 -batch :memory: "SELECT json_array_length(readfile('$OUT'), '\$$1')" 2>&1
}

# login USER : a session; its cookie in USER.jar, its CSRF token in USER.csrf.
login() {
	DS_CMD="login $1"
	HS=$(curl -s -o "$OUT" -D "$HDR" -w '%{http_code}' -c "$T/$1.jar" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"user\":\"$1\",\"password\":\"$PW\"}" "$URL/api/login") || HS=000
	assert_http 200 "login of $1"
	jv .csrf >"$T/$1.csrf"
}

req anon GET /healthz
assert_http 200 "health"
assert_eq ok "$(jv .status)" "healthz status"

# ------------------------------------------------- login, logout and me

for u in adm mgr col col2 wrk wrk2 ana aud; do
	login "$u"
done
login mgr
assert_eq manager "$(jv .role)" "the login's role"
assert_eq mgr "$(jv .user)" "the login's user"
CHECKS=$((CHECKS + 1))
grep -qi '^set-cookie: ds_session=[A-Za-z0-9_-]*; Path=/; Max-Age=[0-9]*; HttpOnly; SameSite=Strict' "$HDR" ||
	fail "the session cookie is HttpOnly and SameSite=Strict"
assert_not_contains "$HDR" "Secure"
req mgr GET /api/me
assert_http 200
assert_eq mgr "$(jv .user)" "me"
assert_eq cookie "$(jv .auth)" "me: by cookie"
assert_eq "$(cat mgr.csrf)" "$(jv .csrf)" "me: the session's CSRF token"
req col GET /api/me
assert_eq "$BR" "$(jv .branch_id)" "a collector's branch"

DS_CMD="login with a wrong password"
HS=$(curl -s -o "$OUT" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary '{"user":"mgr","password":"wrong-password"}' "$URL/api/login")
assert_http 401
assert_eq login_failed "$(jv .error)" "a wrong password"
HS=$(curl -s -o "$OUT" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary '{"user":"nobody","password":"wrong-password"}' "$URL/api/login")
assert_http 401 "an unknown user"
assert_eq "unknown user or wrong password" "$(jv .message)" "one message for both"
# throttled: five failures for a user, then even the right password waits
for i in 1 2 3 4 5; do
	curl -s -o /dev/null -H 'Content-Type: application/json' \
		--data-binary '{"user":"victim","password":"wrong-password"}' "$URL/api/login"
done
DS_CMD="login after five failures"
HS=$(curl -s -o "$OUT" -D "$HDR" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "{\"user\":\"victim\",\"password\":\"$PW\"}" "$URL/api/login")
assert_http 429 "a throttled login"
assert_contains "$HDR" "Retry-After:"
assert_contains stdout "too many failed logins"

# logout: the session revoked, the cookie cleared
login aud
cp aud.jar aud-old.jar
cp aud.csrf aud-old.csrf
req aud POST /api/logout
assert_http 200 "logout"
assert_contains "$HDR" "ds_session=; Path=/; Max-Age=0"
req aud-old GET /api/me
assert_http 401 "the session after logout"
login aud

# ---------------------------------------------------------- 401 and 403

req anon GET /api/me
assert_http 401 "me without a session"
assert_contains "$HDR" 'WWW-Authenticate: Bearer'
req anon GET /api/accounts
assert_http 401 "accounts without a session"
req bearer:not-a-real-token GET /api/me
assert_http 401 "an unknown token"
req ana GET /api/visits
assert_http 403 "an analyst and the visits"
assert_eq forbidden "$(jv .error)" "403's error"
req col GET /api/plan?date=$AS_OF
assert_http 403 "a collector and the plan"
req wrk GET /api/accounts
assert_http 403 "a community worker and the accounts"
req aud POST /api/promises '{}'
assert_http 403 "an auditor and a promise"

# ------------------------------------------------------------------ CSRF

CALC='{"balance_fen":100000,"installments":3,"first_due":"2026-12-15"}'
req mgr:nocsrf POST /api/installments/calc "$CALC"
assert_http 403 "a cookie write without X-CSRF-Token"
assert_eq csrf "$(jv .error)" "the refusal names the CSRF token"
DS_CMD="a cookie write with another session's CSRF token"
HS=$(curl -s -o "$OUT" -w '%{http_code}' -b mgr.jar -H "X-CSRF-Token: $(cat ana.csrf)" \
	-H 'Content-Type: application/json' --data-binary "$CALC" "$URL/api/installments/calc")
assert_http 403
req mgr POST /api/installments/calc "$CALC"
assert_http 200 "a cookie write with its CSRF token"
assert_eq 100000 "$(jv .total_fen)" "the schedule's total"
assert_eq 3 "$(jv '.installments[#-1].seq')" "three installments"
assert_eq 33334 "$(jv '.installments[0].amount_fen')" "the remainder on the first"
req mgr POST /api/installments/calc '{"balance_fen":100000,"installments":3,"first_due":"2026-12-15","waiver_fen":200000,"waiver_kind":"fees"}'
assert_http 422 "a waiver over the balance"

# ------------------------------------------------------------ API tokens

req "bearer:$TOKEN" GET /api/me
assert_http 200 "an API token"
assert_eq ana "$(jv .user)" "the token's user"
assert_eq bearer "$(jv .auth)" "me: by token"
assert_eq "" "$(jv .csrf)" "no CSRF token for a bearer"
req "bearer:$TOKEN" POST /api/installments/calc "$CALC"
assert_http 200 "a token's write needs no CSRF header"
req "bearer:$TOKEN" POST /api/logout
assert_http 400 "a token is not logged out"
req "bearer:$TOKEN" GET /api/visits
assert_http 403 "a token has its user's role"

# ------------------------------------------------- masking and the audit

req ana GET "/api/accounts/$ACC?as_of=$AS_OF"
assert_http 200 "an analyst's view of an account"
assert_eq "$MASKED" "$(jv .borrower.name)" "the name masked for an analyst"
assert_eq 1 "$(jv .masked)" "an analyst's view is masked"
case $(jv .borrower.phone) in
*'****'*) CHECKS=$((CHECKS + 1)) ;;
*) fail "the phone masked for an analyst: $(jv .borrower.phone)" ;;
esac
assert_query 0 "SELECT count(*) FROM audit_log WHERE action = 'read_pii' AND actor = 'ana'"
req mgr GET "/api/accounts/$ACC?as_of=$AS_OF"
assert_http 200 "a manager's view of an account"
assert_eq "$NAME" "$(jv .borrower.name)" "the name whole for a manager"
assert_eq 0 "$(jv .masked)" "a manager's view is whole"
assert_eq "2026-11-19|willing_unable|0.25|dpd" \
	"$(jv .score.score_date)|$(jv .score.quadrant)|$(jv .score.ability)|$(jv '.score.reasons.ability[0].feature')" \
	"the latest scores and their reasons"
PHONE=$(jv .borrower.phone)
CHECKS=$((CHECKS + 1))
case $PHONE in
*'*'* | '') fail "the phone whole (unsealed) for a manager: [$PHONE]" ;;
esac
assert_query "mgr|accounts|$ACC" "SELECT actor, entity, entity_id FROM audit_log
	WHERE action = 'read_pii' ORDER BY seq DESC LIMIT 1"
assert_eq "$(q "SELECT count(*) FROM accounts WHERE status IN ('active', 'legal')")" \
	"$(req mgr GET "/api/accounts?as_of=$AS_OF" && jv .total)" "every open account listed"
assert_eq "$NAME" "$(req mgr GET "/api/accounts?as_of=$AS_OF&limit=500" &&
	sqlite3 :memory: "SELECT json_extract(value, '\$.name') FROM json_each(readfile('$OUT'), '\$.items')
	WHERE json_extract(value, '\$.account_id') = '$ACC'")" "whole names in a manager's list"
assert_query 1 "SELECT count(*) > 0 FROM audit_log WHERE action = 'read_pii' AND actor = 'mgr'
	AND entity_id IS NULL AND detail LIKE '%$ACC%'"
req ana GET "/api/accounts?as_of=$AS_OF&limit=500"
assert_eq "$MASKED" "$(sqlite3 :memory: "SELECT json_extract(value, '\$.name')
	FROM json_each(readfile('$OUT'), '\$.items') WHERE json_extract(value, '\$.account_id') = '$ACC'")" \
	"masked names in an analyst's list"

# ------------------------------------------------------------ the lists

req mgr GET "/api/accounts?as_of=$AS_OF&limit=2&offset=2"
assert_http 200
assert_eq 2 "$(sqlite3 :memory: "SELECT json_array_length(readfile('$OUT'), '\$.items')")" "a page of two"
assert_eq 4 "$(jv .next_offset)" "the next page's offset"
req mgr GET "/api/accounts?as_of=$AS_OF&limit=100000"
assert_eq 500 "$(jv .limit)" "the page size capped at 500"
req mgr GET "/api/accounts?limit=abc"
assert_http 400 "a page size that is not a number"
req mgr GET "/api/accounts?as_of=2026-13-01"
assert_http 400 "a bad date"
req mgr GET "/api/accounts?as_of=$AS_OF&bucket=M1&limit=500"
assert_http 200
assert_eq 0 "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$OUT'), '\$.items')
	WHERE json_extract(value, '\$.bucket') <> 'M1'")" "only bucket M1"
assert_eq "$(jv .total)" "$(sqlite3 :memory: "SELECT json_array_length(readfile('$OUT'), '\$.items')")" "M1: every one on one page"
req col GET "/api/accounts?as_of=$AS_OF&limit=500"
assert_http 200 "a collector's accounts"
assert_eq 0 "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$OUT'), '\$.items')
	WHERE json_extract(value, '\$.branch_id') <> '$BR'")" "only the collector's branch"
req col GET "/api/accounts/$OTHER"
assert_http 404 "another branch's account, for a collector"
req col2 GET "/api/accounts/$ACC"
assert_http 404 "another branch's account, for the other collector"

# the portfolio summary: the CLI's, as JSON
ds_ok --json summary --as-of "$AS_OF"
cp "$OUT" cli-summary.json
req ana GET "/api/portfolio/summary?as_of=$AS_OF"
assert_http 200 "the summary"
assert_eq "$(jv .communities cli-summary.json)" "$(jv .communities)" "the summary as 'doorstep summary' has it"

req mgr GET "/api/plan?date=$AS_OF"
assert_http 200 "the day's plan"
assert_eq 2 "$(jv .accounts)" "two decisions"
assert_eq 52000 "$(jv .expected_fen)" "their expected value"
req mgr GET /api/plan
assert_http 400 "the plan needs its date"

req mgr GET /api/tasks
assert_http 200 "tasks"
req mgr GET "/api/tasks?status=some"
assert_http 400 "a bad task status"

# ---------------------------------------------------------------- visits

req col GET "/api/visits?date=$AS_OF"
assert_http 200 "a collector's visits"
assert_eq "$VISIT" "$(jv '.items[0].visit_id')" "the team's visit"
assert_eq "$NAME" "$(jv '.items[0].name')" "the name whole for the visiting collector"
# the door's position for the team's map, as the address: whole
assert_eq "$(sqlite3 "$DB" "SELECT b.lat FROM visits v JOIN accounts a USING (account_id)
	JOIN borrowers b USING (borrower_id) WHERE v.visit_id = $VISIT")" "$(jv '.items[0].lat')" \
	"the visit's latitude for the team"
req wrk GET "/api/visits?date=$AS_OF"
assert_eq "$VISIT" "$(jv '.items[0].visit_id')" "the worker on the team sees it"
req wrk2 GET "/api/visits?date=$AS_OF"
assert_eq 0 "$(sqlite3 :memory: "SELECT json_array_length(readfile('$OUT'), '\$.items')")" "another community's worker sees none"
req wrk GET "/api/visits?date=2026-11-21"
assert_eq 0 "$(sqlite3 :memory: "SELECT json_array_length(readfile('$OUT'), '\$.items')")" "not on a day off the team"
req col2 GET "/api/visits?date=$AS_OF"
assert_eq 0 "$(sqlite3 :memory: "SELECT json_array_length(readfile('$OUT'), '\$.items')")" "another branch's collector sees none"
req wrk GET "/api/visits/$VISIT"
assert_http 200 "the worker's visit"
assert_eq scheduled "$(jv .state)" "its state"
req wrk2 GET "/api/visits/$VISIT"
assert_http 404 "another community's worker: no such visit"
req mgr GET /api/visits/999999
assert_http 404 "an unknown visit"
req mgr GET /api/visits/abc
assert_http 404 "not a visit id"

# a check-in far from the door, identity not shown: refused, with reasons
req col POST "/api/visits/$VISIT/check-in" '{"lat":0.5,"lon":0.5,"identity_shown":false}'
assert_http 422 "a refused check-in"
assert_eq check_in_refused "$(jv .error)" "the refusal"
assert_eq 0 "$(jv .allowed)" "not allowed"
ZH=$(jv .reason_zh)
CHECKS=$((CHECKS + 1))
if [ -z "$ZH" ] || ! printf '%s' "$ZH" | grep -q '[^ -~]'; then
	fail "the refusal's Chinese reason: [$ZH]"
fi
[ -n "$(jv .reason_en)" ] || fail "the refusal's English reason"
assert_query "col" "SELECT actor FROM visit_events WHERE visit_id = $VISIT ORDER BY event_id DESC LIMIT 1"
assert_query scheduled "SELECT state FROM visits WHERE visit_id = $VISIT"
req col POST "/api/visits/$VISIT/check-in" '{"lat":"north","lon":0.5}'
assert_http 400 "a latitude that is not a number"
req col POST "/api/visits/$VISIT/check-in" '{"lat":0.5,"lon":0.5,"extra":1}'
assert_http 400 "an unknown member"
req col POST "/api/visits/$VISIT/outcome" '{"found":"met_borrower"}'
assert_http 409 "an outcome before the check-in"
req col2 POST "/api/visits/$VISIT/check-in" '{"lat":0.5,"lon":0.5}'
assert_http 404 "another branch's visit"

# promises and receipts: acted as the caller
req col POST /api/promises "{\"account_id\":\"$ACC\",\"amount_fen\":30000,\"due\":\"2026-12-01\",\"visit_id\":$VISIT}"
assert_http 201 "a promise"
assert_query "col|30000" "SELECT created_by, amount_fen FROM promises WHERE promise_id = $(jv .promise_id)"
req col POST /api/promises "{\"account_id\":\"$OTHER\",\"amount_fen\":30000,\"due\":\"2026-12-01\"}"
assert_http 404 "a promise on another branch's account"
req col POST /api/promises "{\"account_id\":\"$ACC\",\"amount_fen\":0,\"due\":\"2026-12-01\"}"
assert_http 400 "a promise of nothing"
req col POST /api/receipts "{\"account_id\":\"$ACC\",\"amount_fen\":20000,\"method\":\"cash\",\"visit_id\":$VISIT2}"
assert_http 201 "a receipt at a checked-in visit"
assert_query "col|20000" "SELECT taken_by, amount_fen FROM receipts WHERE receipt_no = '$(jv .receipt_no)'"
req col POST /api/receipts "{\"account_id\":\"$ACC\",\"amount_fen\":20000,\"method\":\"gold\"}"
assert_http 422 "a receipt paid in gold"
req col POST /api/receipts "{\"account_id\":\"$ACC\",\"amount_fen\":20000,\"method\":\"cash\"}"
assert_http 422 "a receipt without a visit"
req wrk POST "/api/visits/$VISIT2/outcome" '{"found":"met_borrower","situation":"illness","attitude":"cooperative","lat":30.1,"lon":120.1}'
assert_http 200 "an outcome recorded by the worker on the team"
assert_eq outcome_recorded "$(jv .state)" "the visit's new state"
assert_query "outcome_recorded|wrk" "SELECT v.state, e.actor FROM visits v JOIN visit_events e USING (visit_id)
	WHERE v.visit_id = $VISIT2 ORDER BY e.event_id DESC LIMIT 1"
req wrk POST "/api/visits/$VISIT2/outcome" '{"found":"met_borrower"}'
assert_http 409 "a second outcome"

# ----------------------------------------------------------------- bodies

head -c 70000 /dev/zero | tr '\0' ' ' >big.json
req mgr POST /api/installments/calc @big.json
assert_http 413 "a body over 64 KiB"
assert_eq too_large "$(jv .error)" "413's error"
DS_CMD="a chunked body over 64 KiB"
HS=$(curl -s -o "$OUT" -w '%{http_code}' -b mgr.jar -H "X-CSRF-Token: $(cat mgr.csrf)" \
	-H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
	--data-binary @big.json "$URL/api/installments/calc")
assert_http 413
req mgr POST /api/installments/calc '{"balance_fen":100000,'
assert_http 400 "malformed JSON"
assert_contains stdout "malformed JSON"
req mgr POST /api/installments/calc '[1]'
assert_http 400 "not an object"
req mgr POST /api/installments/calc "$(repeat '[' 40)$(repeat ']' 40)"
assert_http 400 "JSON nested 40 deep"
assert_contains stdout "nested deeper than 32"
req mgr POST /api/installments/calc ''
assert_http 400 "an empty body"
DS_CMD="a body that is not JSON"
HS=$(curl -s -o "$OUT" -w '%{http_code}' -b mgr.jar -H "X-CSRF-Token: $(cat mgr.csrf)" \
	-H 'Content-Type: text/plain' --data-binary "$CALC" "$URL/api/installments/calc")
assert_http 415

# headers over the connection's 32 KiB: refused by the HTTP layer itself
DS_CMD="a 40 KiB header"
HS=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(repeat aaaaaaaaaa 4000)" "$URL/healthz")
assert_http 431
# without --trust-proxy a forwarded protocol is not believed
DS_CMD="login with X-Forwarded-Proto from an untrusted peer"
HS=$(curl -s -o "$OUT" -D "$HDR" -w '%{http_code}' -H 'X-Forwarded-Proto: https' \
	-H 'Content-Type: application/json' \
	--data-binary "{\"user\":\"mgr\",\"password\":\"$PW\"}" "$URL/api/login")
assert_http 200
assert_not_contains "$HDR" "; Secure"

# ------------------------------------------- routes, plan approval, money

q "INSERT INTO experiments(experiment_id, name, start_date) VALUES ('visit-holdout', 'visit holdout', '2026-11-01');
   UPDATE decisions SET experiment_id = 'visit-holdout' WHERE plan_date = '$AS_OF'"
LAT=$(q "SELECT b.lat FROM accounts a JOIN borrowers b USING (borrower_id) WHERE a.account_id = '$ACC'")
reads=$(count "audit_log WHERE action = 'read_pii' AND entity = 'routes'")
req mgr GET "/api/routes?date=$AS_OF"
assert_http 200 "the day's routes"
assert_eq "T-SERVE" "$(jv '.teams[0].team_id')" "the team"
assert_eq 2 "$(jlen '.teams[0].members')" "its members"
assert_eq "$COL" "$(jv '.teams[0].members[0].staff_id')" "the collector first"
assert_eq "1|2" "$(jv '.teams[0].stops[0].route_seq')|$(jv '.teams[0].stops[1].route_seq')" "the stops in route order"
assert_eq "$VISIT" "$(jv '.teams[0].stops[0].visit_id')" "the first stop's visit"
assert_eq 1 "$(jv .positions)" "a manager sees the doors' positions"
assert_eq "$LAT" "$(jv '.teams[0].stops[0].lat')" "the door's latitude"
assert_eq $((reads + 1)) "$(count "audit_log WHERE action = 'read_pii' AND entity = 'routes'")" "the positions' read audited"
req ana GET "/api/routes?date=$AS_OF"
assert_eq "0|" "$(jv .positions)|$(jv '.teams[0].stops[0].lat')" "an analyst: no positions"
req col GET "/api/routes?date=$AS_OF"
assert_eq T-SERVE "$(jv '.teams[0].team_id')" "a collector sees their branch's team"
req col2 GET "/api/routes?date=$AS_OF"
assert_eq 0 "$(jlen .teams)" "another branch's collector sees none"
req wrk2 GET "/api/routes?date=$AS_OF"
assert_eq "" "$(jv '.teams[0].team_id')" "a worker not on the team sees none"

req mgr GET "/api/plan?date=$AS_OF"
assert_eq "none|2" "$(jv .approval.status)|$(jv .approval.decisions)" "a plan not yet decided"
req ana POST /api/plan/approve "{\"date\":\"$AS_OF\"}"
assert_http 403 "an analyst does not approve plans"
req mgr POST /api/plan/approve "{\"date\":\"$AS_OF\",\"note\":\"ok\"}"
assert_http 200 "the plan approved"
assert_eq "approved|mgr|ok" "$(jv .approval.status)|$(jv .approval.decided_by)|$(jv .approval.note)" "the approval"
digest=$(jv .approval.digest)
[ ${#digest} -eq 64 ] || fail "the approval's digest: $digest"
assert_query "approved|2|$digest" "SELECT status, decisions, digest FROM plan_approvals WHERE plan_date = '$AS_OF'"
assert_query 1 "SELECT count(*) FROM audit_log WHERE action = 'plan_approve' AND entity_id = '$AS_OF' AND actor = 'mgr'"
req mgr POST /api/plan/approve "{\"date\":\"$AS_OF\"}"
assert_http 422 "a plan decided twice"
req mgr POST /api/plan/approve '{"date":"2026-01-01"}'
assert_http 404 "a day without a plan"
q "UPDATE decisions SET cost_fen = cost_fen + 1 WHERE account_id = '$OTHER' AND plan_date = '$AS_OF'"
req mgr GET "/api/plan?date=$AS_OF"
assert_eq stale "$(jv .approval.status)" "a plan changed after its approval"
req adm POST /api/plan/approve "{\"date\":\"$AS_OF\",\"approve\":false}"
assert_http 200 "the changed plan rejected"
assert_eq "rejected|adm" "$(jv .approval.status)|$(jv .approval.decided_by)" "the rejection"

npay=$(count "payments WHERE account_id = '$ACC'")
req mgr GET "/api/accounts/$ACC/payments?limit=500"
assert_http 200 "an account's payments"
assert_eq "$npay" "$(jlen .items)" "all its payments"
assert_eq "$(q "SELECT payment_id FROM payments WHERE account_id = '$ACC' ORDER BY value_date DESC, payment_id DESC LIMIT 1")" \
	"$(jv '.items[0].payment_id')" "latest first"
req col2 GET "/api/accounts/$ACC/payments"
assert_http 404 "another branch's account's payments"

# installment plans: a collector's small plan is active at once; one with
# a waiver waits for a manager, who is not its maker
req col POST /api/installments "{\"account_id\":\"$ACC\",\"balance_fen\":90000,\"installments\":3,\"first_due\":\"2026-12-15\",\"override_affordability\":true}"
assert_http 201 "a collector's plan"
PLAN1=$(jv .plan_id)
assert_eq active "$(jv .status)" "within the collector's limits"
assert_query "active|col|90000" "SELECT status, created_by, total_fen FROM plans WHERE plan_id = $PLAN1"
ACC3=$(q "SELECT account_id FROM accounts WHERE branch_id = '$BR' AND status = 'active' AND account_id <> '$ACC'
	ORDER BY account_id LIMIT 1")
req col POST /api/installments "{\"account_id\":\"$ACC3\",\"balance_fen\":90000,\"waiver_fen\":9000,\"waiver_kind\":\"fees\",\"installments\":3,\"first_due\":\"2026-12-15\",\"override_affordability\":true}"
assert_http 201 "a plan with a waiver"
PLAN2=$(jv .plan_id)
assert_eq pending_approval "$(jv .status)" "a waiver waits for a manager"
req col POST "/api/installments/$PLAN2/decide" '{"approve":true}'
assert_http 403 "a collector does not approve plans"
req mgr GET "/api/installments?status=pending_approval"
assert_eq "$PLAN2" "$(jv '.items[0].plan_id')" "the pending plan listed"
req mgr POST "/api/installments/$PLAN2/decide" '{"approve":true,"note":"hardship"}'
assert_http 200 "the manager approves"
assert_query "active|mgr" "SELECT status, approved_by FROM plans WHERE plan_id = $PLAN2"
req mgr POST "/api/installments/$PLAN2/decide" '{"approve":true}'
assert_http 422 "a plan decided twice"
req col2 GET "/api/installments?account_id=$ACC"
assert_eq "" "$(jv '.items[0].plan_id')" "another branch's collector sees none"
req wrk POST /api/installments "{\"account_id\":\"$ACC\",\"balance_fen\":90000,\"installments\":3,\"first_due\":\"2026-12-15\"}"
assert_http 403 "a community worker does not offer plans"

# complaints: the hold, then resolved
req mgr POST /api/complaints "{\"account_id\":\"$OTHER\",\"kind\":\"conduct\",\"detail\":\"rude call\"}"
assert_http 201 "a complaint"
CMP=$(jv .complaint_id)
assert_query "1" "SELECT count(*) FROM holds h JOIN complaints c ON c.hold_id = h.hold_id WHERE c.complaint_id = $CMP AND h.ends_at IS NULL"
req mgr GET /api/complaints
assert_eq "$CMP|1" "$(jv '.items[0].complaint_id')|$(jv '.items[0].open')" "the open complaint listed"
req mgr POST /api/complaints '{"account_id":"NO-SUCH","kind":"conduct"}'
assert_http 404 "a complaint on no account"
req mgr POST /api/complaints "{\"account_id\":\"$OTHER\",\"kind\":\"weather\"}"
assert_http 422 "a complaint of no known kind"
req col POST "/api/complaints/$CMP/resolve" '{"resolution":"x"}'
assert_http 403 "a collector does not resolve complaints"
req mgr POST "/api/complaints/$CMP/resolve" '{"resolution":"apologised"}'
assert_http 200 "resolved"
assert_query "0" "SELECT count(*) FROM holds h JOIN complaints c ON c.hold_id = h.hold_id WHERE c.complaint_id = $CMP AND h.ends_at IS NULL"
req mgr GET /api/complaints?status=all
assert_eq "0|mgr" "$(jv '.items[0].open')|$(jv '.items[0].resolved_by')" "the resolved complaint"
req mgr GET /api/complaints?status=closed
assert_http 400 "an unknown complaint status"

# reports: the CLI's JSON, over HTTP
# same_json WHAT A B : two reports' rows alike (reals to 8 places)
same_json() {
	rows="SELECT group_concat(fullkey || '=' || CASE type WHEN 'real' THEN printf('%%.8f', atom)
		ELSE atom END, ';') FROM json_tree(readfile('%s')) WHERE type NOT IN ('object', 'array')"
	# shellcheck disable=SC2059
	assert_eq "$(sqlite3 :memory: "$(printf "$rows" "$2")")" "$(sqlite3 :memory: "$(printf "$rows" "$3")")" "$1"
}
ds_ok --json report kpi --from 2026-10-01 --to "$AS_OF" --by bucket
cp "$OUT" kpi-cli.json
req ana GET "/api/reports/kpi?from=2026-10-01&to=$AS_OF&by=bucket"
assert_http 200 "the KPI report"
jv .rows >kpi-api.json
same_json "the KPIs as the CLI gives them" kpi-cli.json kpi-api.json
assert_eq total "$(jv '.rows[#-1].group')" "the total row last"
ds_ok --json report roll --from 2026-10-01 --to "$AS_OF"
cp "$OUT" roll-cli.json
req mgr GET "/api/reports/roll?from=2026-10-01&to=$AS_OF"
jv .rows >roll-api.json
same_json "the roll rates as the CLI gives them" roll-cli.json roll-api.json
ds_ok --json report literacy --as-of "$AS_OF"
cp "$OUT" lit-cli.json
req mgr GET "/api/reports/literacy?as_of=$AS_OF"
assert_http 200 "the literacy report"
assert_eq "$(jv .did lit-cli.json)|$(jv .events lit-cli.json)" "$(jv .did)|$(jv .events)" "the literacy report as the CLI's"
ds_ok --json report drivers --from 2026-10-01 --to "$AS_OF"
cp "$OUT" drv-cli.json
req ana GET "/api/reports/drivers?from=2026-10-01&to=$AS_OF"
assert_http 200 "the drivers report"
assert_eq "$(jv .visits drv-cli.json)|$(jv .cure.estimated drv-cli.json)" "$(jv .visits)|$(jv .cure.estimated)" "the drivers as the CLI's"
req mgr GET "/api/reports/kpi?from=$AS_OF&to=2026-01-01"
assert_http 400 "a period ending before it starts"
req mgr GET "/api/reports/visits?by=team"
assert_http 400 "a grouping the visit report does not have"
req aud GET /api/experiments
assert_eq "visit-holdout|2|0" "$(jv '.items[0].experiment_id')|$(jv '.items[0].treated')|$(jv '.items[0].held_out')" "the experiment's arms"
req aud GET "/api/experiments/visit-holdout?as_of=$AS_OF"
assert_http 422 "an experiment without both arms"
assert_eq insufficient_data "$(jv .error)" "its error"
req aud GET /api/experiments/none-such
assert_http 404 "no such experiment"
assert_eq "未找到" "$(jv .message_zh)" "errors in Chinese too"

# the rest of the visit's lifecycle: notice, schedule, reschedule, cancel, close
D10=$(date -u -d '+10 days' +%Y-%m-%d)
D12=$(date -u -d '+12 days' +%Y-%m-%d)
q "INSERT INTO visits(account_id, team_id, visit_date, state) VALUES ('$ACC', 'T-SERVE', '$D10', 'planned')"
VISIT3=$(q "SELECT max(visit_id) FROM visits")
req col POST "/api/visits/$VISIT3/notify" '{}'
assert_http 403 "a collector does not send notices"
req mgr POST "/api/visits/$VISIT3/notify" '{}'
assert_http 200 "the notice sent"
assert_eq notice_sent "$(jv .state)" "the visit after its notice"
assert_query "1|2" "SELECT count(*), (SELECT count(*) FROM outbox WHERE notice_id = $(jv .notice_id))
	FROM notices WHERE notice_id = $(jv .notice_id) AND visit_id = $VISIT3"
req mgr POST "/api/visits/$VISIT3/notify" '{}'
assert_http 409 "a second notice"
req mgr POST "/api/visits/$VISIT3/schedule" "{\"team_id\":\"T-SERVE\",\"date\":\"$D10\",\"window_start_at\":1797000000}"
assert_http 400 "half a window"
W10="\"window_start_at\":$(date -u -d "$D10 01:00" +%s),\"window_end_at\":$(date -u -d "$D10 03:00" +%s)"
W12="\"window_start_at\":$(date -u -d "$D12 06:00" +%s),\"window_end_at\":$(date -u -d "$D12 08:00" +%s)"
req mgr POST "/api/visits/$VISIT3/schedule" "{\"team_id\":\"T-SERVE\",\"date\":\"$D10\",$W10}"
assert_http 200 "scheduled"
assert_eq scheduled "$(jv .state)" "the scheduled visit"
req mgr POST "/api/visits/$VISIT3/reschedule" "{\"date\":\"$D12\",$W12,\"reason\":\"borrower asked\"}"
assert_http 200 "rescheduled"
assert_query "scheduled|$D12" "SELECT state, visit_date FROM visits WHERE visit_id = $VISIT3"
req col2 POST "/api/visits/$VISIT3/cancel" '{"reason":"x"}'
assert_http 404 "another branch's collector cannot see it"
req col POST "/api/visits/$VISIT3/cancel" '{"reason":"paid in full"}'
assert_http 200 "cancelled"
assert_query "cancelled|paid in full|col" "SELECT v.state, v.cancel_reason, e.actor FROM visits v
	JOIN visit_events e USING (visit_id) WHERE v.visit_id = $VISIT3 ORDER BY e.event_id DESC LIMIT 1"
req col POST "/api/visits/$VISIT2/close" '{}'
assert_http 200 "a visit closed after its outcome"
assert_eq closed "$(jv .state)" "the closed visit"
req col POST "/api/visits/$VISIT2/close" '{}'
assert_http 409 "closed twice"

# retries with an Idempotency-Key: done once, the answer given again
np=$(count promises)
KEY=k-$$-promise
DS_CMD="a promise with an Idempotency-Key"
HS=$(curl -s -o "$OUT" -D "$HDR" -w '%{http_code}' -b col.jar -H "X-CSRF-Token: $(cat col.csrf)" \
	-H 'Content-Type: application/json' -H "Idempotency-Key: $KEY" \
	--data-binary "{\"account_id\":\"$ACC\",\"amount_fen\":1000,\"due\":\"2026-12-02\"}" "$URL/api/promises")
assert_http 201
cp "$OUT" first.json
HS=$(curl -s -o "$OUT" -D "$HDR" -w '%{http_code}' -b col.jar -H "X-CSRF-Token: $(cat col.csrf)" \
	-H 'Content-Type: application/json' -H "Idempotency-Key: $KEY" \
	--data-binary "{\"account_id\":\"$ACC\",\"amount_fen\":1000,\"due\":\"2026-12-02\"}" "$URL/api/promises")
assert_http 201 "the retry"
assert_contains "$HDR" "Idempotent-Replayed: true"
assert_file_eq first.json "$OUT" "the retry's answer is the first's"
assert_eq $((np + 1)) "$(count promises)" "one promise for two sends"
HS=$(curl -s -o "$OUT" -w '%{http_code}' -b col.jar -H "X-CSRF-Token: $(cat col.csrf)" \
	-H 'Content-Type: application/json' -H "Idempotency-Key: $KEY" \
	--data-binary '{"balance_fen":1000,"installments":1,"first_due":"2026-12-02"}' "$URL/api/installments/calc")
assert_http 422 "a key used on another route"
assert_eq key_reused "$(jv .error)" "its error"
HS=$(curl -s -o "$OUT" -w '%{http_code}' -b mgr.jar -H "X-CSRF-Token: $(cat mgr.csrf)" \
	-H 'Content-Type: application/json' -H "Idempotency-Key: $KEY" \
	--data-binary '{"balance_fen":1000,"installments":1,"first_due":"2026-12-02"}' "$URL/api/installments/calc")
assert_http 200 "the same key is another user's own"
HS=$(curl -s -o "$OUT" -w '%{http_code}' -b col.jar -H "X-CSRF-Token: $(cat col.csrf)" \
	-H 'Content-Type: application/json' -H "Idempotency-Key: a key" \
	--data-binary '{"balance_fen":1000,"installments":1,"first_due":"2026-12-02"}' "$URL/api/installments/calc")
assert_http 400 "a malformed key"
KEY2=k-$$-bad
HS=$(curl -s -o "$OUT" -w '%{http_code}' -b col.jar -H "X-CSRF-Token: $(cat col.csrf)" \
	-H 'Content-Type: application/json' -H "Idempotency-Key: $KEY2" \
	--data-binary '{"account_id":"x","amount_fen":-1,"due":"2026-12-02"}' "$URL/api/promises")
assert_http 400 "a refused write with a key"
assert_query "400" "SELECT status FROM idempotency_keys WHERE user_id = 'col' AND key = '$KEY2'"

# ----------------------------------------------------- routes and OpenAPI

req anon GET /api/openapi.json
assert_http 200 "the OpenAPI document"
cp "$OUT" openapi.json
assert_eq 3.1.0 "$(jv .openapi openapi.json)" "OpenAPI 3.1"
assert_eq ds_session "$(jv .components.securitySchemes.session.name openapi.json)" "the cookie scheme"
assert_eq bearer "$(jv .components.securitySchemes.bearer.scheme openapi.json)" "the bearer scheme"
# one line per operation: PATH|METHOD|roles|public|loopback
sqlite3 -batch :memory: "SELECT p.key, upper(m.key),
	coalesce((SELECT group_concat(value, ',') FROM json_each(m.value, '\$.\"x-roles\"')), ''),
	coalesce(json_extract(m.value, '\$.\"x-public\"'), 0),
	coalesce(json_extract(m.value, '\$.\"x-loopback\"'), 0)
	FROM json_each(readfile('openapi.json'), '\$.paths') p, json_each(p.value) m
	ORDER BY 1, 2" >ops.txt
ds_ok serve --routes
assert_eq "$(wc -l <"$OUT" | tr -d ' ')" "$(wc -l <ops.txt | tr -d ' ')" \
	"every route of the table is documented (serve --routes against OpenAPI)"
awk '{ print $1, $2 }' "$OUT" | sort >table-routes.txt
awk -F'|' '{ print $2, $1 }' ops.txt | sort >documented-routes.txt
assert_file_eq table-routes.txt documented-routes.txt "the table's routes are the document's"
[ "$(wc -l <ops.txt)" -ge 33 ] || fail "the OpenAPI document is short: $(wc -l <ops.txt) operations"
# docs/api.md has a section for every route
if [ -n "$DS_SOURCE_DIR" ]; then
	while read -r method path rest; do
		assert_contains "$DS_SOURCE_DIR/docs/api.md" "### \`$method $path\`"
	done <"$OUT"
fi
ds_ok --json serve --routes
assert_eq "$(wc -l <ops.txt | tr -d ' ')" "$(sqlite3 :memory: "SELECT json_array_length(readfile('$OUT'))")" "serve --routes --json"

# concrete: a documented path with its {id} filled in
concrete() {
	case $1 in
	/api/accounts/*) echo "$1" | sed "s/{id}/$ACC/" ;;
	/api/visits/*) echo "$1" | sed "s/{id}/$VISIT/" ;;
	/api/installments/*) echo "$1" | sed "s/{id}/$PLAN2/" ;;
	/api/complaints/*) echo "$1" | sed "s/{id}/$CMP/" ;;
	/api/experiments/*) echo "$1" | sed "s/{id}/visit-holdout/" ;;
	*) echo "$1" ;;
	esac
}
# call WHO METHOD PATH : a route called as a client would, a POST with {}
call() {
	if [ "$2" = GET ]; then
		req "$1" GET "$(concrete "$3")?date=$AS_OF&as_of=$AS_OF"
	else
		req "$1" "$2" "$(concrete "$3")" '{}'
	fi
	# a logout ends the session: log in again for the next call
	if [ "$3" = /api/logout ] && [ "$1" != anon ]; then
		hs=$HS
		cp "$OUT" "$T/.call"
		login "$1"
		HS=$hs
		cp "$T/.call" "$OUT"
	fi
	return 0
}

# every documented route answers (an admin's session)
while IFS='|' read -r path method roles public loopback; do
	call adm "$method" "$path"
	CHECKS=$((CHECKS + 1))
	case $HS in
	404 | 405 | 000 | 5*) fail "$method $path is documented but answers $HS" ;;
	esac
done <ops.txt

# the role x route matrix: 403 exactly when x-roles does not list the role
# (public routes and the loopback /metrics never 403 here)
while IFS='|' read -r path method roles public loopback; do
	for role in adm:admin mgr:manager col:collector wrk:community_worker ana:analyst aud:auditor; do
		user=${role%%:*} name=${role#*:}
		call "$user" "$method" "$path"
		case ",$roles," in
		*",$name,"*) allowed=1 ;;
		*) allowed=0 ;;
		esac
		[ "$public" = 1 ] || [ "$loopback" = 1 ] && allowed=1
		CHECKS=$((CHECKS + 1))
		if [ "$allowed" = 1 ] && { [ "$HS" = 403 ] || [ "$HS" = 401 ]; }; then
			fail "$name: $method $path is allowed but answers $HS"
			sed -n '1,3s/^/    | /p' "$OUT"
		elif [ "$allowed" = 0 ] && [ "$HS" != 403 ]; then
			fail "$name: $method $path is not allowed but answers $HS"
		fi
	done
done <ops.txt

# bytes that are not UTF-8 in a path or a query: still JSON answers and logs
req mgr GET '/api/accounts/%FF%FE'
assert_http 404 "an account id that is not UTF-8"
assert_eq not_found "$(jv .error)" "its answer is JSON"
req mgr GET '/api/visits?date=%FF'
assert_http 400 "a date that is not UTF-8"
req anon GET '/%C0%AF..%C0%AF'
assert_http 404 "an overlong slash in a file name"

# routes the table does not have
req adm GET /api/nothing-here
assert_http 404 "an unknown API path"
req adm DELETE /api/me
assert_http 405 "a method a path does not have"
assert_contains "$HDR" "Allow: GET"

# ---------------------------------------------------------- static files

req anon GET /
assert_http 200 "the UI's index"
assert_contains stdout "<title>doorstep</title>"
assert_contains "$HDR" "Content-Type: text/html"
req anon GET /app.js
assert_http 200 "a script"
assert_contains "$HDR" "Content-Type: text/javascript"
req anon GET /../secret.txt
assert_http 400 "a path climbing out"
req anon GET /leak.txt
assert_http 404 "a link out of the directory"
assert_not_contains stdout "secret"
req anon GET /missing.css
assert_http 404 "a missing file"
req anon POST /index.html '{}'
assert_http 405 "a POST outside /api/"

# ---------------------------------------------------------------- metrics

req anon GET /metrics
assert_http 200 "metrics from loopback"
assert_contains "$HDR" "Content-Type: text/plain; version=0.0.4"
assert_contains stdout 'doorstep_http_requests_total{route="/api/login",method="POST",status="200"}'
assert_contains stdout 'doorstep_http_requests_total{route="/api/me",method="GET",status="401"}'
assert_contains stdout 'doorstep_http_request_duration_seconds_bucket{route="/api/accounts",method="GET",le="+Inf"}'
assert_contains stdout "doorstep_http_requests_in_flight 1"
assert_contains stdout "doorstep_uptime_seconds "

# ---------------------------------------------------- the log, then stop

# a request in flight at SIGTERM is answered before the server goes: its
# body comes through a pipe, half before the signal and half after
mkfifo body.fifo
curl -s -o inflight.json -w '%{http_code}' -X POST -T body.fifo -b mgr.jar \
	-H "X-CSRF-Token: $(cat mgr.csrf)" -H 'Content-Type: application/json' \
	"$URL/api/installments/calc" >inflight.txt &
CURL_PID=$!
exec 3>body.fifo
printf '{"balance_fen":100000,' >&3
sleep 0.5
kill -TERM "$BG_PID"
sleep 0.3
printf '"installments":3,"first_due":"2026-12-15"}' >&3
exec 3>&-
wait "$CURL_PID"
wait_server
assert_eq 0 "$STOPPED" "the exit status after SIGTERM"
assert_eq 200 "$(cat inflight.txt)" "the request in flight at SIGTERM"
assert_eq 100000 "$(jv .total_fen inflight.json)" "its answer"
assert_contains server.log '"event":"stopping","signal":"SIGTERM","in_flight":1'
assert_contains server.log '"event":"stopping","signal":"SIGTERM"'
assert_contains server.log '"event":"stopped"'
assert_contains server.log '"event":"request","method":"GET","path":"/api/accounts","route":"/api/accounts"'
assert_contains server.log '"query":"as_of,limit,offset"'
assert_contains server.log '"user":"mgr","role":"manager","auth":"session"'
assert_contains server.log '"user":"ana","role":"analyst","auth":"api_token"'
assert_not_contains server.log "$PW"
assert_not_contains server.log "$TOKEN"
assert_not_contains server.log "$(cat mgr.csrf)"
assert_not_contains server.log "$(sed -n 's/.*ds_session[[:space:]]*//p' mgr.jar)"
assert_not_contains server.log "$AS_OF"
# (the sanitizer build's LeakSanitizer adds its suppression counts at exit)
sed '/^-----------------*$/,$d' server.log >log.json
CHECKS=$((CHECKS + 1))
if grep -vqE '^\{"time":"[0-9-]*T[0-9:.]*Z","event":"[a-z]*",.*\}$' log.json; then
	fail "every line of the log is a JSON object"
	grep -vE '^\{"time":"[0-9-]*T[0-9:.]*Z","event":"[a-z]*",.*\}$' log.json | sed -n '1,10s/^/    | /p'
fi

# behind a trusted proxy: its X-Forwarded-Proto makes the cookie Secure,
# its X-Forwarded-For names the caller (who is then not on loopback)
start_server proxied.log --threads 1 --trust-proxy 127.0.0.1
DS_CMD="login through a TLS proxy"
HS=$(curl -s -o "$OUT" -D "$HDR" -w '%{http_code}' -H 'X-Forwarded-Proto: https' \
	-H 'X-Forwarded-For: 198.51.100.7, 203.0.113.9' -H 'Content-Type: application/json' \
	--data-binary "{\"user\":\"mgr\",\"password\":\"$PW\"}" "$URL/api/login")
assert_http 200
assert_contains "$HDR" "; Secure"
assert_contains "$HDR" "Strict-Transport-Security:"
DS_CMD="metrics for a caller forwarded from afar"
HS=$(curl -s -o "$OUT" -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.9' "$URL/metrics")
assert_http 401
# a second signal stops at once, whatever is still in flight (a body that
# never ends would otherwise hold the stop for the 10-second grace)
mkfifo stuck.fifo
curl -s -o /dev/null -X POST -T stuck.fifo -H 'Content-Type: application/json' \
	-H "Authorization: Bearer $TOKEN" "$URL/api/installments/calc" &
CURL_PID=$!
exec 3>stuck.fifo
printf '{"balance_fen":' >&3
sleep 0.5
kill -TERM "$BG_PID"
sleep 0.3
kill -INT "$BG_PID"
wait_server
exec 3>&-
wait "$CURL_PID"
assert_eq 0 "$STOPPED" "the exit status after a second signal"
assert_contains proxied.log '"now":"a second signal"'
assert_contains proxied.log '"addr":"203.0.113.9"'

for f in server.log proxied.log; do
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$f"; then
		fail "a sanitizer report from the server ($f)"
		grep -E -A20 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" | head -40
	fi
done
ds_finish

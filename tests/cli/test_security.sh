#!/bin/sh
# Security of `doorstep serve` against the real server on loopback: every
# attack fails safely, with the right status, and changes nothing in the
# database (a SHA3 checksum of every table, before and after):
#
#   - path traversal on the static files: "..", "%2e%2e", encoded slashes
#     and backslashes, a NUL, links out of the root
#   - bodies and headers over the caps (413, 431, 414, or the connection
#     closed), Content-Length lies
#   - slow clients: headers sent a byte at a time slower than --idle are
#     dropped, and others are answered meanwhile
#   - malformed JSON bodies (400)
#   - CSRF: a cookie session's POST without its token, on every POST route
#     of the OpenAPI document (403)
#   - scope: a community worker (or a collector) reaching another
#     community's (branch's) visit (404)
#   - a session or token replayed after logout, revocation or disabling (401)
#   - session fixation: a cookie set before login is not the session after
#   - SQL injection strings in every string parameter (path, query, body
#     member) of every route of /api/openapi.json, driven by the document
#
# Each case is one line "group|case|status" in cases.txt; the totals per
# group are printed at the end (docs/reliability.md has the table).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || {
	echo "FAIL: curl is needed by $TEST_NAME" >&2
	exit 1
}
command -v perl >/dev/null 2>&1 || {
	echo "FAIL: perl is needed by $TEST_NAME (raw and slow clients)" >&2
	exit 1
}

AS_OF=2026-11-20
PW=password123
IDLE=2
ds_ok simulate --days 1 --strategy none --borrowers 300 --seed 3 --as-of "$AS_OF" --store-dir sims
DB=$T/sims/none.db
export DOORSTEP_DB="$DB"

# ---------------------------------------------------------------- fixtures

# as tests/cli/test_serve.sh: a collector and an account of their branch
# whose community has a worker; that worker; a worker of another
# community; a collector of another branch
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
for v in "$COL" "$BR" "$ACC" "$COMM" "$WRK" "$WRK2" "$COL2"; do
	[ -n "$v" ] || fail "a fixture is missing from the simulated city"
done
# the day's team and its visits: one scheduled, one checked in
q "INSERT INTO teams(team_id, branch_id, community_id, work_date) VALUES ('T-SEC', '$BR', '$COMM', '$AS_OF');
   INSERT INTO team_members(team_id, staff_id) VALUES ('T-SEC', '$COL'), ('T-SEC', '$WRK');
   INSERT INTO visits(account_id, team_id, visit_date, state, route_seq) VALUES ('$ACC', 'T-SEC', '$AS_OF', 'scheduled', 1);
   INSERT INTO visits(account_id, team_id, visit_date, state, route_seq, checked_in_at) VALUES ('$ACC', 'T-SEC', '$AS_OF', 'checked_in', 2, 1795660000);"
VISIT=$(q "SELECT visit_id FROM visits WHERE team_id = 'T-SEC' AND route_seq = 1")
VISIT2=$(q "SELECT visit_id FROM visits WHERE team_id = 'T-SEC' AND route_seq = 2")

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
adduser alice --role analyst
adduser mallory --role analyst
adduser victim --role analyst

# static files: a page, and links out of the directory (a file, a directory)
mkdir www
echo '<!doctype html><title>doorstep</title>' >www/index.html
echo 'TOP-SECRET-OUTSIDE-THE-ROOT' >secret.txt
ln -s "$T/secret.txt" www/leak.txt
ln -s "$T" www/up

# ---------------------------------------------------------------- helpers

# db_sum FILE : a SHA3 of every table's rows, one line per table, less what
# moves without anything being changed: a session's last use and expiry,
# a token's last use, the failed logins (throttling), the audit log's
# reads of personal data and failed logins, the audit chain's head.
db_sum() {
	q "SELECT name, hex(sha3_query(CASE name
		WHEN 'sessions' THEN 'SELECT session_id, user_id, token_sha256, csrf, created_at, revoked_at FROM sessions'
		WHEN 'api_tokens' THEN 'SELECT token_id, user_id, name, token_sha256, created_at, revoked_at FROM api_tokens'
		WHEN 'audit_log' THEN 'SELECT * FROM audit_log WHERE action NOT IN (''read_pii'', ''login_failed'')'
		WHEN 'store_meta' THEN 'SELECT * FROM store_meta WHERE name <> ''audit_head'''
		ELSE 'SELECT * FROM \"' || name || '\"' END, 256))
		FROM sqlite_master WHERE type = 'table' AND name <> 'login_failures' ORDER BY name" >"$1"
}
# unchanged SINCE WHAT : every table as it was in SINCE (a db_sum file).
unchanged() {
	db_sum "$T/.sum-now"
	CHECKS=$((CHECKS + 1))
	if ! cmp -s "$1" "$T/.sum-now"; then
		fail "$2: the database changed ($(diff "$1" "$T/.sum-now" | sed -n 's/^> \([^|]*\)|.*/\1/p' | tr '\n' ' '))"
	fi
}

# case_ok GROUP CASE STATUS : records a case that passed.
case_ok() {
	echo "$1|$2|$3" >>"$T/cases.txt"
}

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

HDR=$T/.headers
HS=000
# req WHO METHOD PATH [BODY] : as test_serve.sh: WHO is anon, a user (its
# cookie and CSRF header), USER:nocsrf, or bearer:TOKEN. Status in $HS.
req() {
	who=$1 m=$2 p=$3
	shift 3
	DS_CMD="$m $p as $who"
	has_body=$#
	body=${1-}
	set -- -s -g --path-as-is --max-time 20 -o "$OUT" -D "$HDR" -w '%{http_code}' -X "$m"
	case $who in
	anon) ;;
	bearer:*) set -- "$@" -H "Authorization: Bearer ${who#bearer:}" ;;
	*:nocsrf) set -- "$@" -b "$T/${who%:nocsrf}.jar" ;;
	*) set -- "$@" -b "$T/$who.jar" -H "X-CSRF-Token: $(cat "$T/$who.csrf")" ;;
	esac
	[ "$has_body" -gt 0 ] && set -- "$@" -H 'Content-Type: application/json' --data-binary "$body"
	HS=$(curl "$@" "$URL$p") || HS=000
}
assert_http() {
	CHECKS=$((CHECKS + 1))
	if [ "$HS" != "$1" ]; then
		fail "${2:-status} of $DS_CMD: expected $1, got $HS"
		sed -n '1,5s/^/    | /p' "$OUT"
		return 1
	fi
	return 0
}
jv() {
	sqlite3 -batch :memory: "SELECT json_extract(readfile('${2:-$OUT}'), '\$$1')" 2>&1
}
login() {
	DS_CMD="login $1"
	HS=$(curl -s -o "$OUT" -D "$HDR" -w '%{http_code}' -c "$T/$1.jar" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"user\":\"$1\",\"password\":\"$PW\"}" "$URL/api/login") || HS=000
	assert_http 200 "login of $1"
	jv .csrf >"$T/$1.csrf"
}
# urlenc TEXT : every byte percent-encoded
urlenc() {
	printf '%s' "$1" | od -An -v -tx1 | tr -s ' \n' '\n\n' | sed -n 's/^\(..\)$/%\1/p' | tr -d '\n'
}
# raw FILE : the bytes of FILE sent as they are; the answer's status line
# (or "closed") in $RAW, at most 10 seconds
cat >raw.pl <<'EOF'
use strict; use IO::Socket::INET;
my ($port, $file) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Proto => "tcp")
	or die "connect: $!";
open(my $f, "<:raw", $file) or die "$file: $!";
local $/; my $data = <$f>;
$SIG{PIPE} = 'IGNORE';
syswrite($s, $data);
my $rin = ''; vec($rin, fileno($s), 1) = 1;
my $got = '';
while (select(my $rout = $rin, undef, undef, 10) > 0) {
	my $n = sysread($s, my $buf, 65536);
	last if !$n;
	$got .= $buf;
	last if $got =~ /\r\n\r\n/;
}
my ($line) = split /\r\n/, $got;
print defined $line && $line ne '' ? "$line\n" : "closed\n";
EOF
raw() {
	RAW=$(perl raw.pl "$PORT" "$1" 2>&1)
}

start_server server.log --threads 2 --static www --idle "$IDLE"
for u in adm mgr col col2 wrk wrk2 ana aud; do
	login "$u"
done
db_sum before.sum

# -------------------------------------------------------- path traversal

for p in '/../secret.txt' '/../../../../etc/passwd' '/%2e%2e/secret.txt' '/%2E%2E/secret.txt' \
	'/..%2fsecret.txt' '/..%2Fsecret.txt' '/%2e%2e%2fsecret.txt' '/up/..%2f..%2fsecret.txt' \
	'/..%5csecret.txt' '/..\secret.txt' '/%252e%252e/secret.txt' '/%c0%ae%c0%ae/secret.txt' \
	'/.%2e/secret.txt' '/./../secret.txt' '/index.html/../../secret.txt' \
	'/leak.txt' '/up/secret.txt' "/$T/secret.txt" "//$T/secret.txt" '/index.html%00.js' \
	'/%00/../secret.txt' '/up/sims/none.db' '/up/secret.txt%00.html'; do
	req anon GET "$p"
	CHECKS=$((CHECKS + 1))
	case $HS in
	400 | 404) case_ok traversal "GET $p" "$HS" ;;
	*) fail "GET $p: expected 400 or 404, got $HS" ;;
	esac
	assert_not_contains stdout "TOP-SECRET"
	assert_not_contains stdout "root:"
done
req anon GET /index.html
assert_http 200 "the page itself is served"
unchanged before.sum "path traversal"

# --------------------------------------------------- bodies and headers

# a body over 64 KiB: by Content-Length, chunked, and a lie too big to send
head -c 70000 /dev/zero | tr '\0' ' ' >big.json
req mgr POST /api/installments/calc @big.json
assert_http 413 "a body over 64 KiB" && case_ok size "body of 70,000 bytes" 413
DS_CMD="a chunked body over 64 KiB"
HS=$(curl -s -o "$OUT" -w '%{http_code}' -b mgr.jar -H "X-CSRF-Token: $(cat mgr.csrf)" \
	-H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
	--data-binary @big.json "$URL/api/installments/calc")
assert_http 413 && case_ok size "chunked body of 70,000 bytes" 413
for cl in 1000000000000 99999999999999999999999 -1 12abc; do
	printf 'POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n{}' "$cl" >lie.http
	raw lie.http
	CHECKS=$((CHECKS + 1))
	case $RAW in
	'HTTP/1.1 413 '* | 'HTTP/1.1 400 '* | closed) case_ok size "Content-Length: $cl" "${RAW#HTTP/1.1 }" ;;
	*) fail "Content-Length: $cl: expected 413, 400 or the connection closed, got [$RAW]" ;;
	esac
done
# a header over the connection's 32 KiB, many headers, a long URL
DS_CMD="a 40 KiB header"
HS=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(repeat aaaaaaaaaa 4000)" "$URL/healthz")
assert_http 431 && case_ok size "one 40 KiB header" 431
: >many.http
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >many.http
i=0
while [ $i -lt 2000 ]; do
	printf 'X-H%d: %s\r\n' $i aaaaaaaaaaaaaaaa
	i=$((i + 1))
done >>many.http
printf '\r\n' >>many.http
raw many.http
CHECKS=$((CHECKS + 1))
case $RAW in
'HTTP/1.1 431 '* | closed) case_ok size "2,000 headers (48 KiB)" "${RAW#HTTP/1.1 }" ;;
*) fail "2,000 headers: expected 431 or closed, got [$RAW]" ;;
esac
DS_CMD="a 40 KiB URL"
HS=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/accounts?community=$(repeat aaaaaaaaaa 4000)")
CHECKS=$((CHECKS + 1))
case $HS in
414 | 431) case_ok size "a 40 KiB URL" "$HS" ;;
*) fail "a 40 KiB URL: expected 414 or 431, got $HS" ;;
esac
req anon GET /healthz
assert_http 200 "the server answers after the oversized requests"
unchanged before.sum "oversized requests"

# ---------------------------------------------------------- slow clients

# Headers sent a byte at a time, each byte $IDLE + 1 seconds after the
# last: the server drops the connection at its idle timeout. Eight such
# clients at once, and meanwhile every other request is answered at once.
cat >slow.pl <<'EOF'
use strict; use IO::Socket::INET;
my ($port, $gap) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Proto => "tcp")
	or die "connect: $!";
$SIG{PIPE} = 'IGNORE';
my $t0 = time;
for my $c (split //, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") {
	if (!defined syswrite($s, $c)) { print "dropped\n"; exit 0; }
	my $rin = ''; vec($rin, fileno($s), 1) = 1;
	if (select(my $rout = $rin, undef, undef, $gap) > 0) {
		my $n = sysread($s, my $buf, 4096);
		print !$n ? "dropped\n" : "answered\n";
		exit 0;
	}
}
print "kept\n";
EOF
i=0
slow_pids=
while [ $i -lt 8 ]; do
	perl slow.pl "$PORT" $((IDLE + 1)) >"slow$i.out" 2>&1 &
	slow_pids="$slow_pids $!"
	i=$((i + 1))
done
sleep 0.5
i=0 late=0
while [ $i -lt 20 ]; do
	t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "$URL/healthz")
	case $t in
	"200 "*) awk -v t="${t#200 }" 'BEGIN { exit !(t < 1.0) }' || late=$((late + 1)) ;;
	*) late=$((late + 1)) ;;
	esac
	i=$((i + 1))
done
assert_eq 0 "$late" "requests not answered within a second while 8 clients stall"
for p in $slow_pids; do
	wait "$p"
done
i=0
while [ $i -lt 8 ]; do
	assert_eq dropped "$(cat "slow$i.out")" "a client stalling longer than --idle $IDLE"
	i=$((i + 1))
done
[ "$late" -eq 0 ] && case_ok slow "8 clients, a byte every $((IDLE + 1)) s (--idle $IDLE)" dropped
[ "$late" -eq 0 ] && case_ok slow "20 requests meanwhile" "200 (< 1 s)"

# ---------------------------------------------------------- malformed JSON

CALC='{"balance_fen":100000,"installments":3,"first_due":"2026-12-15"}'
OUTCOME_OK='{"found":"met_borrower","note":"fine"}'
printf '\357\273\277%s' "$OUTCOME_OK" >bom.json
printf '{"found":"met_borrower","note":"\377\376"}' >badutf8.json
n=0
while IFS= read -r body; do
	n=$((n + 1))
	case $body in
	@*) ;;
	*) printf '%s' "$body" >"malformed$n.json" && body=@malformed$n.json ;;
	esac
	req col POST "/api/visits/$VISIT2/outcome" "$body"
	assert_http 400 "malformed body [$(head -c 60 "${body#@}")]" &&
		case_ok json "$(head -c 40 "${body#@}" | tr -c '[:print:]' '?')" 400
done <<EOF
{"found":"met_borrower",
{"found":"met_borrower"}}
{"found":"met_borrower"} x
{"found":"met_borrower","found":"moved"}
{'found':'met_borrower'}
{found:"met_borrower"}
{"found":"met_borrower",}
{"found":"met_borrower" /* c */}
{"found":"met_borrower","lat":NaN,"lon":1}
{"found":"met_borrower","lat":1e999,"lon":1}
{"found":"met_borrower","note":"\u0000"}
{"found":"met_borrower","note":"\ud800"}
["found","met_borrower"]
"found"
null
$(repeat '[' 33)$(repeat ']' 33)
{"a":$(repeat '{"a":' 40)1$(repeat '}' 41)
@bom.json
@badutf8.json
EOF
req col POST "/api/visits/$VISIT2/outcome" ''
assert_http 400 "an empty body" && case_ok json "(empty body)" 400
assert_query checked_in "SELECT state FROM visits WHERE visit_id = $VISIT2"
unchanged before.sum "malformed JSON"

# -------------------------------------------------------------------- CSRF

# every POST of the document with the session cookie alone, with an empty,
# a wrong and another session's token: 403 before anything is read
req anon GET /api/openapi.json
assert_http 200 "the OpenAPI document"
cp "$OUT" openapi.json
sqlite3 -batch :memory: "SELECT p.key, upper(m.key),
	coalesce((SELECT group_concat(value, ',') FROM json_each(m.value, '\$.\"x-roles\"')), ''),
	coalesce(json_extract(m.value, '\$.\"x-public\"'), 0)
	FROM json_each(readfile('openapi.json'), '\$.paths') p, json_each(p.value) m
	ORDER BY 1, 2" >ops.txt
[ "$(wc -l <ops.txt)" -ge 18 ] || fail "the OpenAPI document is short: $(wc -l <ops.txt) operations"
# user_for ROLES : a user of the first role listed
user_for() {
	case ${1%%,*} in
	admin) echo adm ;;
	manager) echo mgr ;;
	collector) echo col ;;
	community_worker) echo wrk ;;
	analyst) echo ana ;;
	auditor) echo aud ;;
	*) echo anon ;;
	esac
}
# concrete PATH : {id} of visits and accounts filled in
concrete() {
	case $1 in
	/api/accounts/*) echo "$1" | sed "s/{[a-z_]*}/$ACC/" ;;
	/api/visits/*) echo "$1" | sed "s/{[a-z_]*}/$VISIT2/" ;;
	*) echo "$1" | sed 's/{[a-z_]*}/1/g' ;;
	esac
}
posts=0
while IFS='|' read -r path method roles public; do
	[ "$method" = POST ] && [ "$public" != 1 ] || continue
	u=$(user_for "$roles")
	p=$(concrete "$path")
	for how in none empty wrong other; do
		set -- -s -o "$OUT" -w '%{http_code}' -b "$T/$u.jar" -H 'Content-Type: application/json' \
			--data-binary '{}'
		case $how in
		empty) set -- "$@" -H 'X-CSRF-Token;' ;;
		wrong) set -- "$@" -H 'X-CSRF-Token: 0000000000000000000000000000000000000000000' ;;
		other) set -- "$@" -H "X-CSRF-Token: $(cat "$T/aud.csrf")" ;;
		esac
		DS_CMD="POST $p as $u, CSRF token $how"
		HS=$(curl "$@" "$URL$p") || HS=000
		assert_http 403 && case_ok csrf "POST $path, token $how" 403
	done
	posts=$((posts + 1))
done <ops.txt
[ "$posts" -ge 6 ] || fail "only $posts POST routes in the document"
req mgr GET /api/me
assert_http 200 "the manager's session still works after the refused writes"
unchanged before.sum "CSRF"

# ------------------------------------------------ another community's visit

for who in wrk2 col2; do
	req "$who" GET "/api/visits/$VISIT"
	assert_http 404 "$who: another team's visit" && case_ok scope "$who GET /api/visits/{id}" 404
	req "$who" POST "/api/visits/$VISIT/check-in" '{"lat":30.1,"lon":120.1,"identity_shown":true}'
	assert_http 404 "$who: check-in at another team's visit" &&
		case_ok scope "$who POST /api/visits/{id}/check-in" 404
	req "$who" POST "/api/visits/$VISIT2/outcome" '{"found":"met_borrower"}'
	assert_http 404 "$who: outcome of another team's visit" &&
		case_ok scope "$who POST /api/visits/{id}/outcome" 404
	req "$who" GET "/api/visits?date=$AS_OF"
	assert_eq 0 "$(sqlite3 :memory: "SELECT json_array_length(readfile('$OUT'), '\$.items')")" \
		"$who: no visit of another team listed" && case_ok scope "$who GET /api/visits" "200, none"
done
req col2 POST /api/receipts "{\"account_id\":\"$ACC\",\"amount_fen\":100,\"method\":\"cash\",\"visit_id\":$VISIT2}"
assert_http 404 "a receipt on another branch's account" && case_ok scope "col2 POST /api/receipts" 404
req col2 POST /api/promises "{\"account_id\":\"$ACC\",\"amount_fen\":100,\"due\":\"2026-12-01\"}"
assert_http 404 "a promise on another branch's account" && case_ok scope "col2 POST /api/promises" 404
assert_query "scheduled|checked_in" "SELECT group_concat(state, '|') FROM (SELECT state FROM visits
	WHERE team_id = 'T-SEC' ORDER BY route_seq)"
unchanged before.sum "another community's visit"

# ----------------------------------------------------- replay after logout

login aud
cp aud.jar aud-old.jar
cp aud.csrf aud-old.csrf
req aud POST /api/logout
assert_http 200 "logout"
db_sum logout.sum
req aud-old GET /api/me
assert_http 401 "a session replayed after logout" && case_ok replay "cookie after logout: GET /api/me" 401
req aud-old POST /api/logout
assert_http 401 "a logout replayed" && case_ok replay "cookie after logout: POST /api/logout" 401
TOKEN_COOKIE=$(sed -n 's/.*ds_session[[:space:]]*//p' aud-old.jar)
req "bearer:$TOKEN_COOKIE" GET /api/me
assert_http 401 "a logged-out session token as a bearer token" &&
	case_ok replay "session token as bearer after logout" 401
unchanged logout.sum "replay after logout"
# an API token after its revocation; a session after its user is disabled
ds_ok user token add ana --name sec
TOKEN=$(cat "$OUT")
TOKEN_ID=$(q "SELECT max(token_id) FROM api_tokens")
req "bearer:$TOKEN" GET /api/me
assert_http 200 "a fresh API token"
ds_ok user token revoke "$TOKEN_ID"
db_sum revoke.sum
req "bearer:$TOKEN" GET /api/me
assert_http 401 "a revoked token" && case_ok replay "API token after revocation" 401
req "bearer:$TOKEN" POST /api/installments/calc "$CALC"
assert_http 401 "a revoked token's write" && case_ok replay "API token after revocation: POST" 401
unchanged revoke.sum "replay of a revoked token"
login alice
ds_ok user disable alice
db_sum disable.sum
req alice GET /api/me
assert_http 401 "the session of a disabled user" && case_ok replay "session after the user is disabled" 401
unchanged disable.sum "replay after disabling"

# --------------------------------------------------------- session fixation

# A cookie planted before login -- a made-up value, or the attacker's own
# session -- is not the session after the victim logs in: the login sets a
# new token, the planted one stays unknown (or the attacker's).
login mallory
MALLORY=$(sed -n 's/.*ds_session[[:space:]]*//p' mallory.jar)
for planted in fixated-by-an-attacker-0123456789abcdefghij "$MALLORY"; do
	DS_CMD="login with a planted cookie"
	HS=$(curl -s -o "$OUT" -D "$HDR" -w '%{http_code}' -b "ds_session=$planted" \
		-H 'Content-Type: application/json' --data-binary "{\"user\":\"victim\",\"password\":\"$PW\"}" \
		"$URL/api/login") || HS=000
	assert_http 200 "the victim's login"
	NEW=$(sed -n 's/^[Ss]et-[Cc]ookie: ds_session=\([^;]*\);.*/\1/p' "$HDR" | tr -d '\r')
	CHECKS=$((CHECKS + 1))
	if [ -z "$NEW" ] || [ "$NEW" = "$planted" ]; then
		fail "the login kept the planted session cookie"
	fi
	DS_CMD="the planted cookie after the victim's login"
	HS=$(curl -s -o "$OUT" -w '%{http_code}' -b "ds_session=$planted" "$URL/api/me") || HS=000
	if [ "$planted" = "$MALLORY" ]; then
		assert_http 200 && assert_eq mallory "$(jv .user)" "the planted session is still the attacker's" &&
			case_ok fixation "attacker's own session planted, then login" "new token; planted = attacker"
	else
		assert_http 401 && case_ok fixation "made-up cookie planted, then login" "new token; planted 401"
	fi
	DS_CMD="the new cookie"
	HS=$(curl -s -o "$OUT" -w '%{http_code}' -b "ds_session=$NEW" "$URL/api/me") || HS=000
	assert_http 200 && assert_eq victim "$(jv .user)" "the new session is the victim's"
done

# ---------------------------------------------------------- SQL injection

# Every string parameter of every operation of the document -- each path
# parameter, each query parameter of type string, each body member of
# type string or an enumeration -- given each payload, the rest of the
# request valid but naming nothing that exists (so that nothing may be
# written). Safe: not 5xx; a GET's 200 lists no more than the same request
# with an unknown plain value; a write's 2xx stores the payload verbatim.
cat >payloads.txt <<'EOF'
' OR '1'='1
' OR 1=1 --
'; DROP TABLE accounts; --
" OR ""="
1 OR 1=1
') UNION SELECT user_id, password_hash FROM users --
%' OR account_id LIKE '%
'||(SELECT password_hash FROM users LIMIT 1)||'
1; UPDATE accounts SET status = 'closed'
\'; DELETE FROM visits; --
EOF
# the slots: PATH|METHOD|ROLES|PUBLIC|KIND|NAME|TYPE, and the base request
sqlite3 -batch :memory: "SELECT * FROM (
	SELECT p.key AS path, upper(m.key) AS method, coalesce((SELECT group_concat(value, ',') FROM
	json_each(m.value, '\$.\"x-roles\"')), ''), coalesce(json_extract(m.value, '\$.\"x-public\"'), 0),
	json_extract(x.value, '\$.in'), json_extract(x.value, '\$.name'),
	coalesce(json_extract(x.value, '\$.schema.format'), json_extract(x.value, '\$.schema.type'))
	FROM json_each(readfile('openapi.json'), '\$.paths') p, json_each(p.value) m,
	json_each(m.value, '\$.parameters') x
	WHERE json_extract(x.value, '\$.in') = 'path' OR json_extract(x.value, '\$.schema.type') = 'string'
	UNION ALL
	SELECT p.key, upper(m.key), coalesce((SELECT group_concat(value, ',') FROM
	json_each(m.value, '\$.\"x-roles\"')), ''), coalesce(json_extract(m.value, '\$.\"x-public\"'), 0),
	'body', b.key, coalesce(json_extract(b.value, '\$.format'), json_extract(b.value, '\$.type'), 'enum')
	FROM json_each(readfile('openapi.json'), '\$.paths') p, json_each(p.value) m,
	json_each(m.value, '\$.requestBody.content.application/json.schema.properties') b
	WHERE json_extract(b.value, '\$.enum') IS NOT NULL OR json_extract(b.value, '\$.type') LIKE '%string%')
	ORDER BY path = '/api/login', path, method" >slots.txt
[ "$(grep -c . slots.txt)" -ge 20 ] || fail "few string parameters in the document: $(grep -c . slots.txt)"
# base_body PATH METHOD : the required members with values that name
# nothing: an unknown id, the day, the first of an enumeration, a minimum
base_body() {
	sqlite3 -batch :memory: "SELECT coalesce(json_group_object(b.key, CASE
		WHEN json_extract(b.value, '\$.enum') IS NOT NULL THEN json_extract(b.value, '\$.enum[0]')
		WHEN json_extract(b.value, '\$.format') = 'date' THEN '$AS_OF'
		WHEN json_extract(b.value, '\$.type') LIKE '%string%' THEN 'NO-SUCH-ID'
		WHEN json_extract(b.value, '\$.type') LIKE '%integer%' THEN
			min(coalesce(json_extract(b.value, '\$.minimum'), 999999999), coalesce(json_extract(b.value, '\$.maximum'), 999999999))
		WHEN json_extract(b.value, '\$.type') LIKE '%number%' THEN 0.5
		WHEN json_extract(b.value, '\$.type') LIKE '%boolean%' THEN json('false')
		ELSE 'NO-SUCH-ID' END), '{}')
		FROM json_each(readfile('openapi.json'), '\$.paths.\"$1\".$2.requestBody.content.application/json.schema.properties') b
		WHERE b.key IN (SELECT value FROM json_each(readfile('openapi.json'),
		'\$.paths.\"$1\".$2.requestBody.content.application/json.schema.required'))"
}
# base_query PATH METHOD : the required query parameters
base_query() {
	sqlite3 -batch :memory: "SELECT json_extract(x.value, '\$.name') || '=' || CASE
		WHEN json_extract(x.value, '\$.schema.format') = 'date' THEN '$AS_OF'
		WHEN json_extract(x.value, '\$.schema.type') = 'integer' THEN '1' ELSE 'NO-SUCH-ID' END
		FROM json_each(readfile('openapi.json'), '\$.paths.\"$1\".$2.parameters') x
		WHERE json_extract(x.value, '\$.in') = 'query' AND json_extract(x.value, '\$.required')" |
		paste -sd'&' -
}
# items : the number of items of the last answer (its "items" or its
# "communities"), 0 when it has none
items() {
	sqlite3 -batch :memory: "SELECT coalesce(json_array_length(readfile('$OUT'), '\$.items'),
		json_array_length(readfile('$OUT'), '\$.communities'), 0)" 2>/dev/null || echo 0
}
# slot PATH METHOD ROLES PUBLIC : the caller and the base request of an
# operation, for inject
slot() {
	ipath=$1 imethod=$2
	iwho=anon
	[ "$4" = 1 ] || [ -z "$3" ] || iwho=$(user_for "$3")
	lower=$(echo "$imethod" | tr 'A-Z' 'a-z')
	base_qs=$(base_query "$ipath" "$lower")
	base_b={}
	[ "$imethod" = GET ] || base_b=$(base_body "$ipath" "$lower")
}
# inject KIND NAME VALUE : one request of the operation set by slot with
# VALUE in the slot; the status in $HS, the answer in $OUT
inject() {
	ikind=$1 iname=$2 ivalue=$3
	# the path: {name} given the value in its slot, an unknown id elsewhere
	p=$ipath
	for prm in $(echo "$ipath" | grep -o '{[a-z_]*}'); do
		if [ "$ikind" = path ] && [ "$prm" = "{$iname}" ]; then
			v=$(urlenc "$ivalue")
		else
			v=999999999
		fi
		p=$(echo "$p" | sed "s|$prm|$v|")
	done
	qs=$base_qs
	if [ "$ikind" = query ]; then
		qs=$(echo "$qs" | tr '&' '\n' | grep -v "^$iname=" | paste -sd'&' -)
		qs="${qs:+$qs&}$iname=$(urlenc "$ivalue")"
	fi
	[ -n "$qs" ] && p="$p?$qs"
	if [ "$imethod" = GET ]; then
		req "$iwho" GET "$p"
		return
	fi
	b=$base_b
	if [ "$ikind" = body ]; then
		esc=$(printf '%s' "$ivalue" | sed "s/'/''/g")
		b=$(sqlite3 -batch :memory: "SELECT json_set('$b', '\$.$iname', '$esc')")
	fi
	req "$iwho" "$imethod" "$p" "$b"
}
db_sum sweep.sum
injections=0
while IFS='|' read -r path method roles public kind name type; do
	slot "$path" "$method" "$roles" "$public"
	# the same request with an unknown plain value, for comparison
	inject "$kind" "$name" NO-SUCH-VALUE
	plain=$HS plain_items=$(items)
	while IFS= read -r payload; do
		inject "$kind" "$name" "$payload"
		injections=$((injections + 1))
		what="$method $path $kind $name=[$payload]"
		CHECKS=$((CHECKS + 1))
		case $HS in
		5* | 000)
			fail "$what: $HS"
			sed -n '1,3s/^/    | /p' "$OUT"
			;;
		2*)
			if [ "$method" = GET ]; then
				n=$(items)
				case $plain in
				2*) [ "$n" -le "$plain_items" ] || fail "$what: $n items, $plain_items for a plain unknown value" ;;
				*) fail "$what: $HS where a plain unknown value gets $plain" ;;
				esac
				case_ok injection "$method $path $kind $name" "$HS"
			else
				# a write accepted: the payload must be in the store as it was sent
				esc=$(printf '%s' "$payload" | sed "s/'/''/g")
				q ".dump" | grep -qF -- "$esc" || fail "$what: accepted ($HS) but not stored verbatim"
				case_ok injection "$method $path $kind $name" "$HS (stored verbatim)"
				db_sum sweep.sum
			fi
			;;
		*) case_ok injection "$method $path $kind $name" "$HS" ;;
		esac
	done <payloads.txt
	unchanged sweep.sum "SQL injection into $method $path $kind $name"
done <slots.txt
[ "$injections" -ge 200 ] || fail "only $injections injections"
assert_query ok "PRAGMA integrity_check"
assert_query "" "PRAGMA foreign_key_check"
ds_ok audit verify

# the totals per group, for docs/reliability.md
echo "security cases passed, by group:"
cut -d'|' -f1 "$T/cases.txt" | sort | uniq -c | sed 's/^ */  /'
echo "statuses:"
cut -d'|' -f1,3 "$T/cases.txt" | sort | uniq -c | sed 's/^ */  /'

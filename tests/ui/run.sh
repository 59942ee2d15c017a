#!/bin/sh
# Browser tests of the web UI: Debian's Chromium driven by playwright-core
# (web/package.json) against `doorstep serve` on a demo city of today.
#
#   DOORSTEP=build/doorstep DS_SOURCE_DIR=. sh tests/ui/run.sh
#
# ctest sets DOORSTEP, DS_SOURCE_DIR and DS_UI_ARTIFACTS (where the
# screenshots go: the build directory's ui-artifacts/). CHROMIUM names the
# browser (default /usr/bin/chromium). Builds web/dist first when it is
# missing or older than its sources (scripts/build-web.sh).
#
# The store is prepared with the CLI so that the collector's first stop of
# the day can be checked in now: its notice delivered five days before,
# the visit scheduled, and the borrower's consent to visits outside the
# usual hours (a quiet_hours_consent hold), since the test may run at any
# hour. The cases themselves are tests/ui/ui.test.mjs; it ends with
# "N passed, N failed".
set -u

: "${DOORSTEP:?set DOORSTEP to the doorstep binary}"
: "${DS_SOURCE_DIR:?set DS_SOURCE_DIR to the repository}"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
ART=${DS_UI_ARTIFACTS:-$PWD/ui-artifacts}
WEB=$DS_SOURCE_DIR/web

# setup_fail WHY : the run cannot start; said as a failed test.
setup_fail() {
	echo "FAIL: ui: $*"
	echo "0 passed, 1 failed"
	exit 1
}

case $DOORSTEP in
/*) ;;
*) DOORSTEP=$(cd "$(dirname "$DOORSTEP")" && pwd)/$(basename "$DOORSTEP") ;;
esac
[ -x "$DOORSTEP" ] || setup_fail "DOORSTEP=$DOORSTEP is not an executable"
[ -x "$CHROMIUM" ] || setup_fail "Chromium is not installed ($CHROMIUM): install the Debian package chromium (make deps, scripts/install-deps.sh, installs scripts/debian-packages.txt)"
command -v node >/dev/null 2>&1 || setup_fail "node is not installed: the browser tests need Node.js and npm"
command -v sqlite3 >/dev/null 2>&1 || setup_fail "the sqlite3 shell is not installed"

# web/dist and playwright-core: built or installed when missing or stale
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
stale=
[ -f "$WEB/dist/index.html" ] || stale="web/dist is missing"
[ -f "$WEB/node_modules/playwright-core/package.json" ] || stale="playwright-core is not installed"
if [ -z "$stale" ] && [ -n "$(find "$WEB/src" "$WEB/public" "$WEB/index.html" "$WEB/vite.config.js" \
	"$WEB/package-lock.json" -newer "$WEB/dist/index.html" 2>/dev/null | head -n 1)" ]; then
	stale="web/dist is older than its sources"
fi
if [ -n "$stale" ]; then
	echo "ui: $stale: building the web UI (scripts/build-web.sh)"
	log=$(mktemp)
	if ! sh "$DS_SOURCE_DIR/scripts/build-web.sh" >"$log" 2>&1; then
		tail -n 30 "$log"
		rm -f "$log"
		setup_fail "scripts/build-web.sh failed"
	fi
	rm -f "$log"
fi

# The binary sees only what this script sets.
unset DOORSTEP_DB DOORSTEP_CONFIG DOORSTEP_RULES DOORSTEP_RULES_FILE DOORSTEP_KEY_FILE \
	DOORSTEP_TIMEZONE DOORSTEP_DEMO_DIR DOORSTEP_DEMO_SEED DOORSTEP_DEMO_BORROWERS \
	DOORSTEP_NOTICE_DAYS DOORSTEP_CHECKIN_MAX_M DOORSTEP_LETTER_DIR
export DOORSTEP_ACTOR=ui-test

T=$(mktemp -d "${TMPDIR:-/tmp}/doorstep-ui.XXXXXX") || exit 1
SERVER=
# shellcheck disable=SC2317 # (called by the trap)
finish() {
	rc=$?
	trap - EXIT INT TERM
	if [ -n "$SERVER" ]; then
		kill -TERM "$SERVER" 2>/dev/null
		wait "$SERVER" 2>/dev/null
	fi
	cd / && rm -rf "$T"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM
cd "$T" || exit 1

# ------------------------------------------------------ the demo city, today

# the demo's day is today in Asia/Shanghai, the day the pages open by
# default: a run is not started in the last two minutes of that day
left=$((86400 - $(TZ=Asia/Shanghai date +'%-H * 3600 + %-M * 60 + %-S')))
if [ "$left" -lt 120 ]; then
	echo "ui: waiting ${left}s for the day to turn in Asia/Shanghai"
	sleep $((left + 5))
fi
DAY=$(TZ=Asia/Shanghai date +%F)
"$DOORSTEP" demo --as-of "$DAY" >demo.log 2>&1 || {
	tail -n 30 demo.log
	setup_fail "doorstep demo failed"
}
DB=$T/doorstep-demo/doorstep.db
q() { sqlite3 -batch -bail "$DB" "$1"; }
ds() {
	"$DOORSTEP" --db "$DB" "$@" >>prepare.log 2>&1 || {
		tail -n 20 prepare.log
		setup_fail "doorstep $* failed"
	}
}
before() { date -d "$DAY -$1 days" +%F; }

# the collector's own team, its first stop
STAFF=$(q "SELECT staff_id FROM users WHERE user_id = 'demo-collector'")
TEAM="$DAY/$STAFF"
VISIT=$(q "SELECT visit_id FROM visits WHERE team_id = '$TEAM' AND visit_date = '$DAY'
	AND state = 'planned' ORDER BY route_seq LIMIT 1")
if [ -z "$STAFF" ] || [ -z "$VISIT" ]; then
	setup_fail "the demo has no route for demo-collector on $DAY"
fi
BORROWER=$(q "SELECT a.borrower_id FROM visits v JOIN accounts a USING (account_id) WHERE v.visit_id = $VISIT")

ds visit notify "$VISIT" --at "$(before 5)T10:00"
SMS=$(q "SELECT sms_outbox_id FROM notices WHERE visit_id = $VISIT")
ds outbox mark "$SMS" sent --at "$(before 5)T10:01"
ds outbox mark "$SMS" delivered --at "$(before 5)T10:02"
ds visit schedule "$VISIT" --team "$TEAM" --date "$DAY" --window 09:00-12:00 --at "$(before 4)T09:00"
ds hold add "$BORROWER" quiet_hours_consent --from "$(before 1)" --reason "agreed to visits at any hour"

# ------------------------------------------------------------------ server

"$DOORSTEP" --db "$DB" serve --listen 127.0.0.1:0 --threads 4 --static "$WEB/dist" 2>server.log &
SERVER=$!
PORT=
i=0
while [ "$i" -lt 100 ] && [ -z "$PORT" ]; do
	PORT=$(sed -n 's/.*"event":"listening","listen":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' server.log)
	[ -n "$PORT" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$PORT" ] || {
	cat server.log
	setup_fail "the server did not start"
}

# ------------------------------------------------------------------- tests

mkdir -p "$ART" || setup_fail "cannot create $ART"
rm -f "$ART"/*.png
DS_UI_URL=http://127.0.0.1:$PORT DS_UI_DAY=$DAY DS_UI_VISIT=$VISIT DS_UI_TEAM=$TEAM \
	DS_UI_ARTIFACTS=$ART DS_UI_WEB=$WEB CHROMIUM=$CHROMIUM \
	node "$DS_SOURCE_DIR/tests/ui/ui.test.mjs"
status=$?

kill -TERM "$SERVER" 2>/dev/null
wait "$SERVER" 2>/dev/null
SERVER=
# the server answered no request with a 5xx
if grep -q '"event":"request".*"status":5[0-9][0-9]' server.log; then
	echo "FAIL: ui: the server answered 5xx:"
	grep '"event":"request".*"status":5[0-9][0-9]' server.log | head -n 10
	status=1
fi
exit "$status"

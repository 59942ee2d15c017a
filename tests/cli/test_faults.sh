#!/bin/sh
# A full disk and a read-only database, during an import and during visit
# writes (the CLI's and the server's): a clear error that names the
# database file, nothing half-applied, everything acknowledged kept, and the
# same work done once the fault is gone.
#
# The faults come from the store's test seam DOORSTEP_FAULT (lib/store,
# docs/reliability.md): full:N lets the database grow by N pages more, then
# SQLite fails the write with SQLITE_FULL as on a full disk; readonly makes
# it fail with SQLITE_READONLY as for a file that cannot be written. The
# code that meets the failure is the real one. When not run as root, a
# read-only file (chmod) is tried as well.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || {
	echo "FAIL: curl is needed by $TEST_NAME" >&2
	exit 1
}

PW=password123
fixture_db
DBPATH=$(cd "$(dirname "$DB")" && pwd)/$(basename "$DB")

# the collector's team, with 60 visits checked in at their branch's doors
q "INSERT INTO teams(team_id, branch_id, work_date) VALUES ('T-F', 'BR01', '2024-02-20');
   INSERT INTO team_members(team_id, staff_id) VALUES ('T-F', 'S01');
   WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 60)
   INSERT INTO visits(account_id, team_id, visit_date, state, route_seq, checked_in_at)
   SELECT 'A00' || (i % 3 + 1), 'T-F', '2024-02-20', 'checked_in', i, 1708400000 FROM k;"
q "SELECT visit_id || ' ' || account_id FROM visits WHERE team_id = 'T-F' ORDER BY visit_id" >visits.txt

# whole : the database is whole and its audit chain intact
whole() {
	assert_query ok "PRAGMA integrity_check"
	assert_query "" "PRAGMA foreign_key_check"
	ds audit verify
	assert_status 0 "audit verify after $1"
}

# -------------------------------------------------------------- imports

awk 'BEGIN {
	print "payment_id,account_id,value_date,paid_at,amount,channel,reference"
	for (i = 1; i <= 20000; i++)
		printf "K%06d,A00%d,2024-02-%02d,,%d.%02d,transfer,bulk\n",
			i, i % 7 + 1, i % 28 + 1, i % 500 + 1, i % 100
}' >big.csv
dump_data before.sql
committed=$(q "SELECT count(*) FROM import_batches WHERE status = 'committed'")

# the disk fills up part way through the file
DOORSTEP_FAULT=full:40 ds import payments big.csv
assert_status 3 "an import that fills the disk"
assert_contains stderr "$DBPATH: "
assert_contains stderr "database or disk is full"
assert_contains stderr "nothing of big.csv was imported"
dump_data after.sql
assert_file_eq before.sql after.sql "the data after the failed import"
assert_query "0|$committed" "SELECT (SELECT count(*) FROM payments WHERE payment_id LIKE 'K%'),
	(SELECT count(*) FROM import_batches WHERE status = 'committed')"
whole "a full disk in an import"

# the database cannot be written at all
DOORSTEP_FAULT=readonly ds import payments big.csv
assert_status 3 "an import into a read-only database"
assert_contains stderr "$DBPATH: "
assert_contains stderr "readonly database"
dump_data after.sql
assert_file_eq before.sql after.sql "the data after the read-only import"
whole "a read-only import"

# a file that cannot be written, for real (root writes anyway)
if [ "$(id -u)" -ne 0 ]; then
	chmod a-w "$DB"
	ds import payments big.csv
	assert_status 3 "an import into a read-only file"
	assert_contains stderr "$DBPATH"
	chmod u+w "$DB"
	dump_data after.sql
	assert_file_eq before.sql after.sql "the data after the import into a read-only file"
else
	echo "note: run as root, the chmod'ed read-only file is not tried (root writes it anyway)"
fi

# a bad seam value is refused, naming the database
DOORSTEP_FAULT=full:lots ds summary
assert_status 3 "a bad DOORSTEP_FAULT"
assert_contains stderr "DOORSTEP_FAULT=full:lots"

# the fault gone, the same file goes in whole
ds_ok -q import payments big.csv
assert_query 20000 "SELECT count(*) FROM payments WHERE payment_id LIKE 'K%'"
whole "the import after the faults"

# -------------------------------------------------- visit writes, CLI

export DOORSTEP_ACTOR=S01
next_visit() {
	sed -n "${1}p" visits.txt
}
# a read-only database: the outcome is refused, the visit as it was
set -- $(next_visit 1)
events=$(count visit_events)
DOORSTEP_FAULT=readonly ds visit outcome "$1" --found met_borrower --attitude cooperative
assert_status 3 "an outcome into a read-only database"
assert_contains stderr "$DBPATH: "
assert_contains stderr "readonly database"
assert_query "checked_in|$events" "SELECT state, (SELECT count(*) FROM visit_events) FROM visits WHERE visit_id = $1"
ds_ok visit outcome "$1" --found met_borrower --attitude cooperative
assert_query outcome_recorded "SELECT state FROM visits WHERE visit_id = $1"

# the disk fills up during a day of outcomes and receipts: every one that
# succeeded is there, the one that failed left nothing, and goes in after
i=2 failed=0 done_ok=0
while [ $i -le 40 ] && [ $failed -eq 0 ]; do
	set -- $(next_visit $i)
	DOORSTEP_FAULT=full:0 ds visit outcome "$1" --found met_borrower --note "$(repeat 'a long note ' 60)"
	if [ "$DS_STATUS" -eq 0 ]; then
		done_ok=$((done_ok + 1))
		DOORSTEP_FAULT=full:0 ds receipt issue "$2" --visit "$1" --amount 10.00 --method cash
		[ "$DS_STATUS" -eq 0 ] || failed=$i
	else
		failed=$i
	fi
	i=$((i + 1))
done
CHECKS=$((CHECKS + 1))
[ $failed -gt 0 ] || fail "40 visits' writes fit on a full disk: the fault never bit"
echo "note: CLI: the disk was full at the visit on line $failed, after $done_ok outcomes"
assert_status 3 "a write on a full disk"
assert_contains stderr "$DBPATH: "
assert_contains stderr "database or disk is full"
assert_query "$done_ok" "SELECT count(*) FROM visits WHERE team_id = 'T-F' AND state = 'outcome_recorded'
	AND visit_id <> $(next_visit 1 | cut -d' ' -f1)"
assert_query 0 "SELECT count(*) FROM visits v WHERE v.team_id = 'T-F' AND (v.state = 'outcome_recorded')
	<> EXISTS (SELECT 1 FROM visit_events e WHERE e.visit_id = v.visit_id AND e.to_state = 'outcome_recorded')"
# every receipt has its PDF, and no PDF is left of the one that failed
assert_eq "$(count receipts)" "$(find letters -name 'receipt-*.pdf' 2>/dev/null | wc -l | tr -d ' ')" \
	"receipts and their PDFs"
whole "a full disk during visit writes"
# the fault gone, the write that failed goes in
set -- $(next_visit $failed)
if [ "$(q "SELECT state FROM visits WHERE visit_id = $1")" = checked_in ]; then
	ds_ok visit outcome "$1" --found met_borrower
fi
ds_ok receipt issue "$2" --visit "$1" --amount 10.00 --method cash
assert_eq "$(count receipts)" "$(find letters -name 'receipt-*.pdf' | wc -l | tr -d ' ')" "receipts and their PDFs after"

# ------------------------------------------------- visit writes, HTTP

printf '%s\n' "$PW" | "$DOORSTEP" user add col --role collector --staff S01 >"$OUT" 2>"$ERR"
DS_STATUS=$? DS_CMD="doorstep user add col"
assert_status 0
ds_ok user token add col --name faults
TOKEN=$(cat "$OUT")

start_server() {
	log=$1
	shift
	"$DOORSTEP" serve --listen 127.0.0.1:0 --threads 2 2>"$log" &
	BG_PID=$!
	PORT= i=0
	while [ "$i" -lt 100 ] && [ -z "$PORT" ]; do
		PORT=$(sed -n 's/.*"event":"listening","listen":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$log" 2>/dev/null)
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
stop_server() {
	kill "$BG_PID" 2>/dev/null
	wait "$BG_PID" 2>/dev/null
	BG_PID=
}
HDR=$T/.headers
# post PATH BODY : with the collector's token; status in $HS
post() {
	DS_CMD="POST $1"
	HS=$(curl -s -o "$OUT" -D "$HDR" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' --data-binary "$2" "$URL$1") || HS=000
}
outcome_body='{"found":"met_family","attitude":"neutral","note":"'$(repeat 'a long note ' 60)'"}'

# the disk fills up under the server: writes answered 201/200 until one is
# 503, which changed nothing and may be sent again
DOORSTEP_FAULT=full:0 start_server full.log
i=41 failed=0 acked=0
: >acks.txt
while [ $i -le 60 ] && [ $failed -eq 0 ]; do
	set -- $(next_visit $i)
	post "/api/visits/$1/outcome" "$outcome_body"
	case $HS in
	200) echo "outcome $1" >>acks.txt ;;
	503) failed=$i what=outcome ;;
	*) fail "an outcome on a filling disk: $HS" && sed -n '1,3s/^/    | /p' "$OUT" && break ;;
	esac
	[ $failed -eq 0 ] || break
	post /api/receipts "{\"account_id\":\"$2\",\"visit_id\":$1,\"amount_fen\":1000,\"method\":\"cash\"}"
	case $HS in
	201) echo "receipt $(sed -n 's/.*"receipt_no":"\([^"]*\)".*/\1/p' "$OUT")" >>acks.txt ;;
	503) failed=$i what=receipt ;;
	*) fail "a receipt on a filling disk: $HS" && sed -n '1,3s/^/    | /p' "$OUT" && break ;;
	esac
	i=$((i + 1))
done
CHECKS=$((CHECKS + 1))
[ $failed -gt 0 ] || fail "20 visits' writes over HTTP fit on a full disk: the fault never bit"
echo "note: HTTP: the disk was full at the $what of the visit on line $failed, after $(wc -l <acks.txt | tr -d ' ') writes"
assert_eq unavailable "$(sqlite3 :memory: "SELECT json_extract(readfile('$OUT'), '\$.error')")" "the 503's error"
assert_contains stdout "nothing was changed"
assert_contains "$HDR" "Retry-After:"
stop_server
# the log names the database file; the answer does not
assert_contains full.log "$DBPATH: "
assert_contains full.log "database or disk is full"
assert_not_contains stdout "$DBPATH"
while read -r kind id; do
	case $kind in
	outcome) assert_query outcome_recorded "SELECT state FROM visits WHERE visit_id = $id" ;;
	receipt) assert_query 1 "SELECT count(*) FROM receipts WHERE receipt_no = '$id'" ;;
	esac
done <acks.txt
set -- $(next_visit $failed)
if [ "$what" = outcome ]; then
	assert_query "checked_in|0" "SELECT state, (SELECT count(*) FROM visit_events WHERE visit_id = $1
		AND to_state = 'outcome_recorded') FROM visits WHERE visit_id = $1"
else
	assert_query 0 "SELECT count(*) FROM receipts WHERE visit_id = $1"
fi
assert_eq "$(count receipts)" "$(find letters -name 'receipt-*.pdf' | wc -l | tr -d ' ')" "receipts and their PDFs (HTTP)"
whole "a full disk under the server"

# a read-only database under the server: 503, nothing changed
dump_data before.sql
DOORSTEP_FAULT=readonly start_server readonly.log
set -- $(next_visit 60)
post "/api/visits/$1/outcome" "$outcome_body"
assert_eq 503 "$HS" "an outcome on a read-only database"
assert_contains stdout "nothing was changed"
post /api/receipts "{\"account_id\":\"$2\",\"visit_id\":$1,\"amount_fen\":1000,\"method\":\"cash\"}"
assert_eq 503 "$HS" "a receipt on a read-only database"
DS_CMD="GET /healthz"
HS=$(curl -s -o "$OUT" -w '%{http_code}' "$URL/healthz") || HS=000
assert_eq 200 "$HS" "the server still answers reads that write nothing"
stop_server
grep '"status":503' readonly.log | head -n 2 | sed 's/^/note: /'
assert_contains readonly.log "$DBPATH: "
assert_contains readonly.log "readonly database"
dump_data after.sql
assert_file_eq before.sql after.sql "the data after the read-only server"
whole "a read-only database under the server"

# the fault gone: what failed is sent again and kept
start_server ok.log
set -- $(next_visit $failed)
if [ "$what" = outcome ]; then
	post "/api/visits/$1/outcome" "$outcome_body"
	assert_eq 200 "$HS" "the outcome sent again"
	assert_query outcome_recorded "SELECT state FROM visits WHERE visit_id = $1"
fi
post /api/receipts "{\"account_id\":\"$2\",\"visit_id\":$1,\"amount_fen\":1000,\"method\":\"cash\"}"
assert_eq 201 "$HS" "the receipt sent again"
set -- $(next_visit 60)
post "/api/visits/$1/outcome" "$outcome_body"
assert_eq 200 "$HS" "the read-only time's outcome sent again"
stop_server
assert_eq "$(count receipts)" "$(find letters -name 'receipt-*.pdf' | wc -l | tr -d ' ')" "receipts and their PDFs at the end"
whole "the end"

#!/bin/sh
# `community score|event|events`: on a simulated bank's store with visits,
# promises, a complaint and a literacy event added by hand in one partner
# community, the score counts each and weighs them as docs/complaints.md
# says; the other partners score what nothing known scores; communities
# that are no partners are left out; events are recorded, audited and
# listed; refusals write nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

AS_OF=2026-11-29
ds_ok simulate --days 1 --strategy none --borrowers 300 --seed 3 --as-of "$AS_OF" --store-dir sims
DBF=sims/none.db
export DOORSTEP_DB="$T/$DBF"
jv() {
	sqlite3 -batch -bail :memory: "$1" 2>&1
}

# the partner community scored: the first active one with a worker of its own
C=$(q "SELECT c.community_id FROM communities c WHERE c.partner_status = 'active'
	AND EXISTS (SELECT 1 FROM staff s WHERE s.role = 'community_worker'
	AND s.community_id = c.community_id) ORDER BY 1 LIMIT 1" "$DBF")
W=$(q "SELECT staff_id FROM staff WHERE role = 'community_worker' AND community_id = '$C'
	ORDER BY 1 LIMIT 1" "$DBF")
K=$(q "SELECT staff_id FROM staff WHERE role = 'collector' ORDER BY 1 LIMIT 1" "$DBF")
if [ -z "$C" ] || [ -z "$W" ] || [ -z "$K" ]; then
	fail "no partner community with a worker"
fi
acct() {
	q "SELECT a.account_id FROM accounts a JOIN borrowers b USING (borrower_id)
	   WHERE b.community_id = '$C' ORDER BY 1 LIMIT 1 OFFSET $1" "$DBF"
}
A1=$(acct 0)
A2=$(acct 1)
A3=$(acct 2)
partners=$(q "SELECT count(*) FROM communities WHERE partner_status IN ('active', 'pilot')" "$DBF")
other=$(q "SELECT community_id FROM communities WHERE partner_status NOT IN ('active', 'pilot')
	ORDER BY 1 LIMIT 1" "$DBF")
assert_eq 0 "$(q "SELECT count(*) FROM visits" "$DBF")" "no visits in a fresh simulated store"

# in the 90 days to 11-29: four visits with an outcome (three by a team with
# the community's worker; the borrower met twice), two promises on them (one
# kept); a planned visit and a visit before the window do not count
q "INSERT INTO teams(team_id, branch_id) SELECT 'TW', branch_id FROM staff WHERE staff_id = '$K';
   INSERT INTO teams(team_id, branch_id) SELECT 'TK', branch_id FROM staff WHERE staff_id = '$K';
   INSERT INTO team_members VALUES ('TW', '$K'), ('TW', '$W'), ('TK', '$K');
   INSERT INTO visits(visit_id, account_id, team_id, visit_date, state, outcome) VALUES
   (1, '$A1', 'TW', '2026-11-02', 'closed', 'met_borrower'),
   (2, '$A2', 'TW', '2026-10-15', 'outcome_recorded', 'not_home'),
   (3, '$A3', 'TW', '2026-09-01', 'closed', 'refused'),
   (4, '$A1', 'TK', '2026-11-29', 'closed', 'met_borrower'),
   (5, '$A2', 'TW', '2026-11-20', 'planned', NULL),
   (6, '$A3', 'TW', '2026-08-31', 'closed', 'met_borrower');
   INSERT INTO promises(account_id, visit_id, amount_fen, due_date, status, created_at, created_by)
   VALUES ('$A1', 1, 50000, '2026-11-10', 'kept', 0, 't'),
          ('$A1', 1, 50000, '2026-11-20', 'broken', 0, 't'),
          ('$A3', 6, 50000, '2026-09-10', 'kept', 0, 't')" "$DBF"

# a complaint on one of its accounts, an event held with it
ds_ok complaint open "$A2" --kind conduct --at 2026-11-01T10:00
ds_ok community event "$C" --date 2026-11-15 --topic "防范电信网络诈骗" --attendance 30
assert_contains stdout "literacy event 1: $C on 2026-11-15, 30 attending"
assert_query "$C|2026-11-15|防范电信网络诈骗|30|cli-test" \
	"SELECT community_id, held_on, topic, attendance, created_by FROM literacy_events" "$DBF"
assert_query "1" "SELECT count(*) FROM audit_log WHERE action = 'literacy_event_add'
	AND entity = 'literacy_events' AND entity_id = '1' AND actor = 'cli-test'" "$DBF"

ds_ok --json community score --as-of "$AS_OF"
cp "$OUT" score.json
j() {
	jv "SELECT $2 FROM json_each(json_extract(readfile('score.json'), '\$.communities'))
	    WHERE json_extract(value, '\$.community_id') = '$1'"
}
assert_eq "2026-09-01" "$(jv "SELECT json_extract(readfile('score.json'), '\$.from')")" "window start"
assert_eq "$partners" "$(jv "SELECT json_array_length(readfile('score.json'), '\$.communities')")" \
	"every partner community"
assert_eq "4|3|2|2|1|1|1|30" "$(j "$C" "json_extract(value, '\$.visits'), json_extract(value,
	'\$.with_worker'), json_extract(value, '\$.met'), json_extract(value, '\$.promises'),
	json_extract(value, '\$.kept'), json_extract(value, '\$.complaints'),
	json_extract(value, '\$.events'), json_extract(value, '\$.attendance')")" "the counts of $C"
# 0.35 * 3/4 + 0.25 * 2/4 + 0.2 * 1/2 + 0.1 * (1 - min(1, 1/4 * 10)) + 0.1 * min(1, 1/2)
assert_eq "0.537500" "$(j "$C" "printf('%.6f', json_extract(value, '\$.score'))")" "the score of $C"
# a partner with nothing known: 0.5 for every visit component, no events
p2=$(jv "SELECT json_extract(value, '\$.community_id') FROM json_each(json_extract(
	readfile('score.json'), '\$.communities')) WHERE json_extract(value, '\$.community_id')
	<> '$C' LIMIT 1")
assert_eq "0|0.450000" "$(j "$p2" "json_extract(value, '\$.visits'),
	printf('%.6f', json_extract(value, '\$.score'))")" "a partner with nothing known"
assert_eq "" "$(j "$other" "1")" "no score for $other, no partner"

# the same as text, one line per partner
ds_ok community score --as-of "$AS_OF"
assert_lines_matching stdout "^C[0-9]+ " "$partners"
assert_eq "$C active 4 3 2 2 1 1 1 30 0.537" \
	"$(grep "^$C " "$OUT" | tr -s ' ' | cut -d' ' -f1-11)" "the text line of $C"
assert_line stdout "$partners partner communities scored over 2026-09-01..2026-11-29 (90 days)"

# a narrower window: 11-29 alone has visit 4 (no worker, met) and no event
ds_ok --json community score --as-of "$AS_OF" --days 1
cp "$OUT" score.json
assert_eq "1|0|1|0|0" "$(j "$C" "json_extract(value, '\$.visits'), json_extract(value,
	'\$.with_worker'), json_extract(value, '\$.met'), json_extract(value, '\$.complaints'),
	json_extract(value, '\$.events')")" "one day"
# 0.35 * 0 + 0.25 * 1 + 0.2 * 0.5 + 0.1 * 1 + 0.1 * 0
assert_eq "0.450000" "$(j "$C" "printf('%.6f', json_extract(value, '\$.score'))")" "one day's score"

ds_ok --json community events "$C"
assert_contains stdout '"topic": "防范电信网络诈骗"'
assert_contains stdout '"attendance": 30'
ds_ok community events
assert_line stdout "1 event, 30 attending"

# refusals: nothing written
n=$(q "SELECT (SELECT count(*) FROM literacy_events) || '/' || (SELECT count(*) FROM audit_log)" "$DBF")
ds community event C9999 --date 2026-11-15 --topic x --attendance 3
assert_status 1 "unknown community"
assert_contains stderr 'unknown community "C9999"'
ds community event "$C" --date 2026-02-30 --topic x --attendance 3
assert_status 2 "bad date"
ds community event "$C" --date 2026-11-15 --topic x --attendance -1
assert_status 2 "negative attendance"
ds community event "$C" --date 2026-11-15 --topic x --attendance 100001
assert_status 2 "attendance over 100000"
ds community event "$C" --date 2026-11-15 --topic x --attendance many
assert_status 2 "attendance not a number"
ds community event "$C" --date 2026-11-15 --topic "$(repeat t 201)" --attendance 3
assert_status 2 "topic over 200 bytes"
assert_contains stderr "1 to 200 bytes"
ds community event "$C" --date 2026-11-15 --topic "" --attendance 3
assert_status 2 "empty topic"
ds community event "$C" --date 2026-11-15 --attendance 3
assert_status 2 "no --topic"
ds community event --date 2026-11-15 --topic x --attendance 3
assert_status 2 "no community"
ds community events C9999
assert_status 1 "events of an unknown community"
ds community score --days 0
assert_status 2 "--days 0"
ds community score --days 3651
assert_status 2 "--days over 3650"
ds community score --as-of 2026-11-31
assert_status 2 "bad --as-of"
ds community score extra
assert_status 2 "score takes no arguments"
ds community
assert_status 2 "no subcommand"
ds community rank
assert_status 2 "unknown subcommand"
assert_eq "$n" "$(q "SELECT (SELECT count(*) FROM literacy_events) || '/' ||
	(SELECT count(*) FROM audit_log)" "$DBF")" "refusals write nothing"
ds_ok community --help
assert_contains stdout "usage: doorstep community score [--as-of D] [--days N]"

#!/bin/sh
# The day's routes: a simulated bank's store with the day's visits decided,
# doorstep route --date routes them per branch; every routed visit is in
# one of its windows, in its collector's shift, in order; a team makes no
# more than 8; the day's planned visits are replaced, not doubled; a dry
# run writes nothing; the same iterations give the same routes.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

AS_OF=2026-11-29
jv() {
	sqlite3 -batch -bail :memory: "$1" 2>&1
}

# a simulated bank's store; the day's decisions as the planner writes them:
# a visit for 60 of the delinquent accounts, worth 500 yuan, costing 145
ds_ok simulate --days 1 --strategy none --borrowers 2000 --seed 11 --as-of "$AS_OF" --store-dir sims
DBF=sims/none.db
# (45 of them, and 15 whose borrowers are flagged safety_risk or speak only the dialect)
sqlite3 "$DBF" "INSERT INTO decisions(plan_date, account_id, treatment, expected_fen, cost_fen,
	reasons, created_at) SELECT '$AS_OF', account_id, 'visit', 50000, 14500, '{}', 0
	FROM (SELECT * FROM (SELECT DISTINCT c.account_id FROM contacts c JOIN accounts a USING (account_id)
	JOIN borrowers b USING (borrower_id) WHERE coalesce(b.flags, '') NOT LIKE '%safety_risk%'
	AND coalesce(b.flags, '') NOT LIKE '%dialect%' ORDER BY c.account_id LIMIT 45)
	UNION SELECT * FROM (SELECT a.account_id FROM accounts a JOIN borrowers b USING (borrower_id)
	WHERE b.flags LIKE '%safety_risk%' ORDER BY a.account_id LIMIT 8)
	UNION SELECT * FROM (SELECT a.account_id FROM accounts a JOIN borrowers b USING (borrower_id)
	WHERE b.flags LIKE '%dialect_wu%' ORDER BY a.account_id LIMIT 7))"
visits=$(sqlite3 "$DBF" "SELECT count(*) FROM decisions WHERE plan_date = '$AS_OF' AND treatment = 'visit'")
assert_eq 60 "$visits" "the day's visits"

ds_ok --db "$DBF" --json route --date "$AS_OF" --iterations 400
cp "$OUT" day.json
j() {
	jv "SELECT json_extract(readfile('day.json'), '\$.$1')"
}
assert_eq "$visits" "$(j candidates)" "every visit decided is a candidate"
assert_eq "$(j candidates)" "$(($(j planned) + $(j left_out)))" "routed or left out"
[ "$(j planned)" -gt 0 ] || fail "nothing routed"
assert_eq 1 "$(j written)" "written"
assert_query "$(j planned)" "SELECT count(*) FROM visits WHERE visit_date = '$AS_OF' AND state = 'planned'" "$DBF"
# each arrival in its window, in the collector's shift (09:00-18:00, +08:00), at the door by 21:00
assert_query 0 "SELECT count(*) FROM visits WHERE planned_at < window_start_at OR planned_at > window_end_at" "$DBF"
assert_query 0 "SELECT count(*) FROM visits WHERE time(planned_at, 'unixepoch', '+8 hours') < '09:00'
	OR time(planned_at + 45 * 60, 'unixepoch', '+8 hours') > '18:00'" "$DBF"
# the order: 1..n per team, at most 8 a team, arrivals rising
assert_query 0 "SELECT count(*) FROM (SELECT team_id, count(*) n, max(route_seq) m, min(route_seq) f
	FROM visits GROUP BY team_id) WHERE n <> m OR f <> 1 OR n > 8" "$DBF"
assert_query 0 "SELECT count(*) FROM visits a JOIN visits b ON a.team_id = b.team_id
	AND b.route_seq = a.route_seq + 1 WHERE b.planned_at < a.planned_at + 45 * 60" "$DBF"
# every team two people (the CN pack's CN-VISIT-TEAM): a collector of the
# account's branch with a community worker of the borrower's own community,
# or two collectors, one of them holding a valid collection_basic certificate
assert_query 0 "SELECT count(*) FROM visits v JOIN team_members m ON m.team_id = v.team_id
	JOIN staff s ON s.staff_id = m.staff_id JOIN accounts a ON a.account_id = v.account_id
	JOIN borrowers b ON b.borrower_id = a.borrower_id
	WHERE NOT (s.role = 'collector' AND s.branch_id = a.branch_id
	OR s.role = 'community_worker' AND s.community_id = b.community_id)" "$DBF"
assert_query 0 "SELECT count(*) FROM (SELECT team_id, sum(s.role = 'collector') k, count(*) n,
	sum(EXISTS (SELECT 1 FROM certifications c WHERE c.staff_id = s.staff_id
	AND c.cert = 'collection_basic' AND c.issued_date <= '$AS_OF'
	AND (c.expires_date IS NULL OR c.expires_date >= '$AS_OF'))) certified
	FROM team_members m JOIN staff s USING (staff_id) GROUP BY team_id)
	WHERE k < 1 OR n <> 2 OR certified < 1" "$DBF"
[ "$(j pairs)" -gt 0 ] || fail "no team with a community worker"
# flagged addresses: a pair with an experienced collector (2 years in service);
# a borrower who speaks only the dialect: a member who speaks it
assert_query 1 "SELECT count(*) > 0 FROM visits v JOIN accounts a USING (account_id)
	JOIN borrowers b USING (borrower_id) WHERE b.flags LIKE '%safety_risk%'" "$DBF"
assert_query 1 "SELECT count(*) > 0 FROM visits v JOIN accounts a USING (account_id)
	JOIN borrowers b USING (borrower_id) WHERE b.flags LIKE '%dialect_wu%'" "$DBF"
assert_query 0 "SELECT count(*) FROM visits v JOIN accounts a USING (account_id)
	JOIN borrowers b USING (borrower_id) WHERE b.flags LIKE '%safety_risk%' AND NOT (
	(SELECT count(*) FROM team_members m WHERE m.team_id = v.team_id) = 2 AND EXISTS (
	SELECT 1 FROM team_members m JOIN staff s USING (staff_id) WHERE m.team_id = v.team_id
	AND s.role = 'collector' AND s.hired_date <= date('$AS_OF', '-730 days')))" "$DBF"
assert_query 0 "SELECT count(*) FROM visits v JOIN accounts a USING (account_id)
	JOIN borrowers b USING (borrower_id) WHERE b.flags LIKE '%dialect_wu%' AND NOT EXISTS (
	SELECT 1 FROM team_members m JOIN staff s USING (staff_id) WHERE m.team_id = v.team_id
	AND s.skills LIKE '%dialect_wu%')" "$DBF"
# the break: an hour begun between 11:30 and 13:30 (+08:00) fits in every
# team's day: before its first visit, between two, or after its last
assert_query 0 "WITH t AS (SELECT team_id, planned_at - (planned_at + 8 * 3600) % 86400 d
	FROM visits GROUP BY team_id) SELECT count(*) FROM t WHERE NOT (
	(SELECT min(planned_at) FROM visits v WHERE v.team_id = t.team_id) >= t.d + 12 * 3600 + 1800
	OR (SELECT max(planned_at) + 45 * 60 FROM visits v WHERE v.team_id = t.team_id) <= t.d + 13 * 3600 + 1800
	OR EXISTS (SELECT 1 FROM visits a JOIN visits b ON a.team_id = b.team_id
	AND b.route_seq = a.route_seq + 1 WHERE a.team_id = t.team_id
	AND a.planned_at + 45 * 60 <= t.d + 13 * 3600 + 1800 AND b.planned_at >= t.d + 12 * 3600 + 1800
	AND b.planned_at - (a.planned_at + 45 * 60) >= 3600))" "$DBF"
assert_query "$(j teams_used)" "SELECT count(*) FROM teams WHERE work_date = '$AS_OF'" "$DBF"
assert_query 1 "SELECT count(*) > 0 FROM audit_log WHERE action = 'route' AND entity = 'visits'" "$DBF"
sqlite3 "$DBF" "SELECT account_id, team_id, route_seq, planned_at FROM visits ORDER BY 1" >first.txt

# again: the day's planned visits replaced, the same routes for the same iterations
ds_ok --db "$DBF" route --date "$AS_OF" --iterations 400
assert_contains stdout "routes for $AS_OF: $(j planned) of $visits planned visits routed"
sqlite3 "$DBF" "SELECT account_id, team_id, route_seq, planned_at FROM visits ORDER BY 1" >second.txt
assert_file_eq first.txt second.txt "the same iterations, the same routes"

# a dry run writes nothing
sqlite3 "$DBF" "DELETE FROM visits"
ds_ok --db "$DBF" --json route --date "$AS_OF" --iterations 100 --dry-run
assert_contains stdout '"written": false'
assert_query 0 "SELECT count(*) FROM visits" "$DBF"

# a day without decisions: nothing to route
ds_ok --db "$DBF" route --date 2026-01-05 --iterations 10
assert_contains stdout "0 of 0 planned visits routed"
ds route --date not-a-date
assert_status 2 "a bad date"
ds route --date "$AS_OF" --door-minutes 0
assert_status 2 "no time at the door"
ds_finish

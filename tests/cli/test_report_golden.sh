#!/bin/sh
# Every report's output against its golden copy (tests/data/golden/): the
# KPIs by treatment (table and CSV), the roll rates (CSV), the visit
# experiment by community (JSON), the literacy events (JSON) and what
# drives results (JSON), on a bank built the same way every time: 300
# accounts in two communities, three teams, a visit holdout with a third
# of the accounts held out, visits with outcomes, payments by formula.
# DS_GOLDEN_UPDATE=1 writes the golden copies instead (then review the
# diff before committing it).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

golden=${DS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/data/golden
ds_ok init
sqlite3 "$DB" "
INSERT INTO branches(branch_id, name, timezone) VALUES ('BR','西湖','Asia/Shanghai');
INSERT INTO communities(community_id, name, centroid_lat, centroid_lon, partner_status)
 VALUES ('C0','甲',30,120,'active'), ('C1','乙',30,120,'none');
INSERT INTO staff(staff_id, name, role, branch_id, community_id, hired_date) VALUES
 ('S0','老王','collector','BR',NULL,'2016-01-01'), ('S1','小李','collector','BR',NULL,'2026-03-01'),
 ('S2','小张','collector','BR',NULL,'2024-06-01'),
 ('W0','社工甲','community_worker',NULL,'C0',NULL), ('W1','社工乙','community_worker',NULL,'C1',NULL);
INSERT INTO certifications(staff_id, cert, issued_date) VALUES
 ('S0','collection_basic','2016-02-01'), ('S2','collection_basic','2024-07-01');
INSERT INTO teams(team_id, branch_id, work_date) VALUES ('T0','BR','2026-09-10'),
 ('T1','BR','2026-09-10'), ('T2','BR','2026-09-10');
INSERT INTO team_members VALUES ('T0','S0'), ('T0','W0'), ('T1','S1'), ('T2','S2'), ('T2','W1');
INSERT INTO experiments(experiment_id, name, start_date) VALUES ('visit-holdout','visits','2026-09-01');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
 INSERT INTO borrowers(borrower_id, name, community_id) SELECT 'B' || i, '客户' || i, 'C' || ((i / 9) % 2) FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
 INSERT INTO accounts(account_id, borrower_id, branch_id, product, principal_fen, balance_fen, open_date, status)
 SELECT printf('A%03d', i), 'B' || i, 'BR', 'consumer_loan', 500000, 100000 + 1000 * i, '2025-01-01', 'active' FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
 INSERT INTO installments(account_id, seq, due_date, amount_fen)
 SELECT printf('A%03d', i), 1, date('2026-08-01', '-' || (i % 4) || ' months'), 50000 FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
 INSERT INTO decisions(plan_date, account_id, treatment, expected_fen, cost_fen, experiment_id, arm, created_at)
 SELECT '2026-09-05', printf('A%03d', i), CASE WHEN i % 3 = 2 THEN 'sms' ELSE 'visit' END, 0,
  CASE WHEN i % 3 = 2 THEN 5 ELSE 14500 END, 'visit-holdout',
  CASE WHEN i % 3 = 2 THEN 'holdout' ELSE 'treated' END, 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
 INSERT INTO visits(account_id, team_id, visit_date, state, outcome, attitude)
 SELECT printf('A%03d', i), 'T' || ((i / 3) % 3), '2026-09-10', 'closed', 'met_borrower',
  CASE (i / 2) % 3 WHEN 0 THEN 'cooperative' WHEN 1 THEN 'neutral' ELSE 'hostile' END FROM n WHERE i % 3 <> 2;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)
 INSERT INTO payments(payment_id, account_id, value_date, amount_fen, channel)
 SELECT 'P' || i, printf('A%03d', i), '2026-09-20', CASE WHEN i % 7 = 3 THEN 25000 ELSE 50000 + 100 * (i % 7) END, 'transfer' FROM n
 WHERE (i * 37) % 100 < CASE WHEN i % 3 = 2 THEN 35 WHEN (i / 2) % 3 = 0 THEN 70
  WHEN (i / 2) % 3 = 1 THEN 45 ELSE 25 END;
INSERT INTO literacy_events(community_id, held_on, topic, attendance, created_by, created_at)
 VALUES ('C0', '2026-08-15', '防范非法催收', 40, 'tester', 0);
" || fail "the fixture"

# check NAME : $OUT against the golden copy NAME (or write it)
check() {
	if [ "${DS_GOLDEN_UPDATE:-0}" = 1 ]; then
		cp "$OUT" "$golden/$1"
		echo "golden: wrote $1"
		return
	fi
	CHECKS=$((CHECKS + 1))
	if ! cmp -s "$OUT" "$golden/$1"; then
		fail "report $1 differs from its golden copy"
		diff "$golden/$1" "$OUT" | head -20
	fi
}

ds_ok report kpi --from 2026-09-01 --to 2026-10-31 --by treatment
check report-kpi-treatment.txt
ds_ok report kpi --from 2026-09-01 --to 2026-10-31 --by community --format csv
check report-kpi-community.csv
ds_ok report roll --from 2026-09-01 --to 2026-10-31 --format csv
check report-roll.csv
ds_ok --json report visits --as-of 2026-10-31 --by community
check report-visits-community.json
ds_ok report visits --as-of 2026-10-31
check report-visits.txt
ds_ok --json report literacy --as-of 2026-10-31 --window 30
check report-literacy.json
ds_ok --json report drivers --from 2026-09-01 --to 2026-10-31
check report-drivers.json
ds_ok report drivers --from 2026-09-01 --to 2026-10-31
check report-drivers.txt
ds_finish

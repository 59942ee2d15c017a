/*
 * The report layer's KPIs and roll rates against values worked out by hand
 * on a small bank (lib/report/kpi.c).
 *
 * Four accounts, each owing 1,000 yuan on 2026-09-01 and 1,000 on
 * 2026-10-01; the period is 2026-10-15 .. 2026-11-30:
 *  - A1 pays nothing before the period, was visited (a team of S1 and W1,
 *    an incident) and pays 2,000 in November: cured;
 *  - A2 pays 10 yuan on the first day (before the period) and 500 in
 *    November, a call was decided, it complained: still past due;
 *  - A3 paid everything in September (current at the start: not in the
 *    population), an SMS was decided;
 *  - A4 pays nothing, an SMS was decided: rolls from M2 to M3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "doorstep/report.h"

static void exec(ds_store *st, const char *sql)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_store_exec(st, sql, &d);
	if (err)
		fprintf(stderr, "%s\n%s\n", sql, d.msg);
	assert_int_equal(err, DS_OK);
}

static ds_date D(const char *s)
{
	ds_date d;
	assert_int_equal(ds_date_parse(s, &d), DS_OK);
	return d;
}

static ds_store *bank(void)
{
	struct ds_store_opts o = { .actor = "tester", .for_init = true };
	ds_store *st = NULL;
	struct ds_diag d;
	assert_int_equal(ds_store_open(":memory:", &o, &st, &d), DS_OK);
	assert_int_equal(ds_store_migrate(st, NULL, &d), DS_OK);
	exec(st, "INSERT INTO branches(branch_id, name, timezone) VALUES ('BR1','西湖',"
	         "'Asia/Shanghai');"
	         "INSERT INTO communities(community_id, name, branch_id, centroid_lat,"
	         " centroid_lon) VALUES ('C1','甲',NULL,30,120), ('C2','乙',NULL,30,120);"
	         "INSERT INTO borrowers(borrower_id, name, community_id) VALUES"
	         " ('B1','一','C1'), ('B2','二','C1'), ('B3','三','C2'), ('B4','四','C2');"
	         "INSERT INTO accounts(account_id, borrower_id, branch_id, product, open_date,"
	         " principal_fen, balance_fen) VALUES"
	         " ('A1','B1','BR1','consumer_loan','2026-01-01',200000,200000),"
	         " ('A2','B2','BR1','consumer_loan','2026-01-01',200000,200000),"
	         " ('A3','B3','BR1','consumer_loan','2026-01-01',200000,200000),"
	         " ('A4','B4','BR1','consumer_loan','2026-01-01',200000,200000);"
	         "INSERT INTO installments(account_id, seq, due_date, amount_fen)"
	         " SELECT account_id, 1, '2026-09-01', 100000 FROM accounts;"
	         "INSERT INTO installments(account_id, seq, due_date, amount_fen)"
	         " SELECT account_id, 2, '2026-10-01', 100000 FROM accounts;"
	         "INSERT INTO payments(payment_id, account_id, value_date, amount_fen, channel)"
	         " VALUES ('P3','A3','2026-09-20',200000,'transfer'),"
	         " ('P1','A1','2026-11-20',200000,'cash_at_door'),"
	         " ('P2','A2','2026-11-10',50000,'transfer'),"
	         " ('P0','A2','2026-10-15',1000,'transfer');" /* on the start day: not in it */
	         "INSERT INTO staff(staff_id, name, role, branch_id) VALUES"
	         " ('S1','张','collector','BR1'), ('W1','李','community_worker',NULL);"
	         "INSERT INTO teams(team_id, branch_id, work_date) VALUES"
	         " ('2026-11-05/S1','BR1','2026-11-05');"
	         "INSERT INTO team_members VALUES ('2026-11-05/S1','S1'), ('2026-11-05/S1','W1');"
	         "INSERT INTO visits(visit_id, account_id, team_id, visit_date, state) VALUES"
	         " (1,'A1','2026-11-05/S1','2026-11-05','closed');"
	         "INSERT INTO incidents(visit_id, kind, severity, occurred_at) VALUES"
	         " (1,'threat',2,1793931600);" /* 2026-11-05 */
	         "INSERT INTO decisions(plan_date, account_id, treatment, expected_fen, cost_fen,"
	         " arm, created_at) VALUES"
	         " ('2026-11-04','A1','sms',0,5,'treated',0),"
	         " ('2026-11-05','A1','visit',0,14500,'treated',0),"
	         " ('2026-11-05','A2','call',0,400,'treated',0),"
	         " ('2026-11-05','A3','sms',0,5,'treated',0),"
	         " ('2026-11-05','A4','sms',0,5,'holdout',0),"
	         " ('2026-10-10','A4','letter',0,300,NULL,0);" /* before the period */
	         "INSERT INTO promises(account_id, amount_fen, due_date, status, created_at,"
	         " created_by) VALUES ('A1',200000,'2026-11-20','kept',1793931600,'S1'),"
	         " ('A2',100000,'2026-11-12','partly_kept',1793931600,'S1'),"
	         " ('A2',50000,'2026-12-12','open',1793931600,'S1');"
	         "INSERT INTO contacts(contact_id, account_id, channel, started_at, party,"
	         " outcome) VALUES ('c1','A1','visit',1793931600,'borrower','met_borrower'),"
	         " ('c2','A1','sms',1793845200,'borrower','delivered'),"
	         " ('c3','A2','call',1793931600,'borrower','connected'),"
	         " ('c4','A4','sms',1793931600,'borrower','delivered'),"
	         " ('c5','A4','letter',1791000000,'borrower','delivered');" /* before */
	         "INSERT INTO complaints(borrower_id, account_id, kind, opened_at) VALUES"
	         " ('B2','A2','conduct',1794000000);"
	         "INSERT INTO scores(account_id, score_date, quadrant) VALUES"
	         " ('A1','2026-10-01','HA-HW'), ('A2','2026-10-01','LA-HW'),"
	         " ('A2','2026-10-20','HA-LW');"); /* after the start: not used */
	assert_int_equal(ds_store_ledger_sync(st, &d), DS_OK);
	return st;
}

static const struct ds_kpi *row(const struct ds_kpi *r, long n, const char *group)
{
	for (long k = 0; k < n; k++)
		if (strcmp(r[k].group, group) == 0)
			return &r[k];
	fail_msg("no group %s", group);
	return NULL;
}

static void kpis_by_treatment(void **state)
{
	(void)state;
	ds_store *st = bank();
	struct ds_kpi *r;
	long n;
	struct ds_diag d;
	assert_int_equal(
	        ds_report_kpis(st, D("2026-10-15"), D("2026-11-30"), DS_BY_TREATMENT, &r, &n, &d),
	        DS_OK);
	/* the population: A1, A2, A4 (A3 current at the start) */
	assert_int_equal(n, 4); /* call, sms, visit, total */
	const struct ds_kpi *v = row(r, n, "visit"), *c = row(r, n, "call"), *s = row(r, n, "sms"),
	                    *t = row(r, n, "total");
	assert_string_equal(r[n - 1].group, "total");
	assert_int_equal(v->accounts, 1);
	assert_int_equal(v->overdue_start, 200000);
	assert_int_equal(v->recovered, 200000);
	assert_int_equal(v->cured, 1);
	assert_true(fabs(v->recovery_rate - 1.0) < 1e-12);
	assert_int_equal(v->cost, 14505); /* the SMS of the 4th and the visit */
	assert_int_equal(v->net, 200000 - 14505);
	assert_int_equal(v->promises, 1);
	assert_int_equal(v->kept, 1);
	assert_int_equal(v->contacts, 2);
	assert_int_equal(v->incidents, 1);
	assert_true(fabs(v->incidents_per_1000 - 500.0) < 1e-9);
	/* A2: 10 yuan on the start day are not in the period; 500 in it */
	assert_int_equal(c->recovered, 50000);
	assert_int_equal(c->overdue_start, 199000);
	assert_int_equal(c->cured, 0);
	assert_int_equal(c->promises, 2);
	assert_int_equal(c->promises_judged, 1);
	assert_int_equal(c->kept, 0);
	assert_int_equal(c->complaints, 1);
	assert_true(fabs(c->complaints_per_1000 - 1000.0) < 1e-9);
	/* A4: the SMS (held out, its cost still counted), not the letter before */
	assert_int_equal(s->accounts, 1);
	assert_int_equal(s->recovered, 0);
	assert_int_equal(s->cost, 5);
	assert_int_equal(s->contacts, 1);
	/* the total */
	assert_int_equal(t->accounts, 3);
	assert_int_equal(t->overdue_start, 200000 + 199000 + 200000);
	assert_int_equal(t->recovered, 250000);
	assert_int_equal(t->cured, 1);
	assert_true(fabs(t->cure_rate - 1.0 / 3) < 1e-12);
	assert_int_equal(t->cost, 14505 + 400 + 5);
	assert_true(fabs(t->cost_to_collect - 14910.0 / 250000) < 1e-12);
	assert_int_equal(t->contacts, 4);
	ds_free(r);
	ds_store_close(st);
}

static void kpis_by_other_groups(void **state)
{
	(void)state;
	ds_store *st = bank();
	struct ds_kpi *r;
	long n;
	struct ds_diag d;
	ds_date from = D("2026-10-15"), to = D("2026-11-30");
	assert_int_equal(ds_report_kpis(st, from, to, DS_BY_COMMUNITY, &r, &n, &d), DS_OK);
	assert_int_equal(row(r, n, "C1")->accounts, 2);
	assert_int_equal(row(r, n, "C2")->accounts, 1);
	ds_free(r);
	assert_int_equal(ds_report_kpis(st, from, to, DS_BY_TEAM, &r, &n, &d), DS_OK);
	assert_int_equal(row(r, n, "S1+W1")->recovered, 200000);
	assert_int_equal(row(r, n, "(no visit)")->accounts, 2);
	ds_free(r);
	assert_int_equal(ds_report_kpis(st, from, to, DS_BY_COLLECTOR, &r, &n, &d), DS_OK);
	assert_int_equal(row(r, n, "S1")->accounts, 1);
	ds_free(r);
	assert_int_equal(ds_report_kpis(st, from, to, DS_BY_QUADRANT, &r, &n, &d), DS_OK);
	assert_int_equal(row(r, n, "HA-HW")->accounts, 1);
	assert_int_equal(row(r, n, "LA-HW")->accounts, 1); /* A2's later score not used */
	assert_int_equal(row(r, n, "(unscored)")->accounts, 1);
	ds_free(r);
	assert_int_equal(ds_report_kpis(st, from, to, DS_BY_ARM, &r, &n, &d), DS_OK);
	assert_int_equal(row(r, n, "treated")->accounts, 2);
	assert_int_equal(row(r, n, "holdout")->accounts, 1);
	ds_free(r);
	/* as of the 15th of October A1, A2, A4 owe September's and October's:
	 * 44 days past due, M2 */
	assert_int_equal(ds_report_kpis(st, from, to, DS_BY_BUCKET, &r, &n, &d), DS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(row(r, n, "M2")->accounts, 3);
	ds_free(r);
	ds_report_by by;
	assert_int_equal(ds_report_by_parse("collector", &by), DS_OK);
	assert_int_equal(by, DS_BY_COLLECTOR);
	assert_int_equal(ds_report_by_parse("branch", &by), DS_EINVAL);
	assert_int_equal(ds_report_kpis(st, to, from, DS_BY_ALL, &r, &n, &d), DS_EINVAL);
	ds_store_close(st);
}

static void roll_rates(void **state)
{
	(void)state;
	ds_store *st = bank();
	struct ds_roll_matrix m;
	struct ds_diag d;
	assert_int_equal(ds_report_roll_rates(st, D("2026-10-15"), D("2026-11-30"), &m, &d), DS_OK);
	/* A3 current throughout; A1 M2 -> M0; A2 M2 (500 of 2,000 paid: both
	 * installments still unpaid, the oldest 90 days) -> M3; A4 M2 -> M3 */
	assert_int_equal(m.n[0][0], 1);
	assert_int_equal(m.n[2][0], 1);
	assert_int_equal(m.n[2][3], 2);
	long all = 0;
	for (int i = 0; i < DS_BUCKETS; i++)
		for (int j = 0; j < DS_BUCKETS; j++)
			all += m.n[i][j];
	assert_int_equal(all, 4);
	/* a closed account is in neither walk */
	exec(st, "UPDATE accounts SET status = 'closed' WHERE account_id = 'A4'");
	assert_int_equal(ds_report_roll_rates(st, D("2026-10-15"), D("2026-11-30"), &m, &d), DS_OK);
	assert_int_equal(m.n[2][3], 1);
	ds_store_close(st);
}

/* ------------------------------------------------------ visit effect */

/*
 * A visit experiment entered on 2026-10-01 by 340 accounts, each owing
 * 1,000 yuan since 2026-09-01 (M1 then), paid within 30 days:
 *  C1: treated 500 + k%3 yuan, held out 100 + k%3: worth it;
 *  C2: treated 100 + k%3, held out 300 + k%3: harm;
 *  C3: treated 0 or 600, held out 0 or 400 (alternating): unclear;
 *  C4: treated and held out alike (200): not worth the visit's cost;
 *  C5: 10 accounts an arm: not enough data.
 * A treated account's visit costs 145 yuan, a held-out one's SMS 0.05.
 */
static ds_store *experiment(void)
{
	struct ds_store_opts o = { .actor = "tester", .for_init = true };
	ds_store *st = NULL;
	struct ds_diag d;
	assert_int_equal(ds_store_open(":memory:", &o, &st, &d), DS_OK);
	assert_int_equal(ds_store_migrate(st, NULL, &d), DS_OK);
	exec(st, "INSERT INTO branches(branch_id, name, timezone) VALUES ('BR1','西湖',"
	         "'Asia/Shanghai');"
	         "INSERT INTO communities(community_id, name, centroid_lat, centroid_lon) VALUES"
	         " ('C1','1',30,120), ('C2','2',30,120), ('C3','3',30,120), ('C4','4',30,120),"
	         " ('C5','5',30,120);"
	         "INSERT INTO experiments(experiment_id, name, start_date) VALUES"
	         " ('visit-holdout','visits','2026-10-01');"
	         "CREATE TEMP TABLE x(k INTEGER, c TEXT, held INTEGER, paid INTEGER);"
	         "WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 319)"
	         " INSERT INTO x SELECT k, 'C' || (k / 80 + 1), (k % 80) >= 40,"
	         " CASE k / 80 WHEN 0 THEN CASE WHEN (k % 80) < 40 THEN 50000 ELSE 10000 END"
	         "  WHEN 1 THEN CASE WHEN (k % 80) < 40 THEN 10000 ELSE 30000 END"
	         "  WHEN 2 THEN CASE WHEN (k % 80) < 40 THEN (k % 2) * 60000 ELSE (k % 2) * 40000"
	         "  END ELSE 20000 END + CASE WHEN k / 80 = 2 THEN 0 ELSE (k % 3) * 100 END FROM n;"
	         "WITH RECURSIVE n(k) AS (SELECT 320 UNION ALL SELECT k + 1 FROM n WHERE k < 339)"
	         " INSERT INTO x SELECT k, 'C5', k % 2, 20000 FROM n;"
	         "INSERT INTO borrowers(borrower_id, name, community_id) SELECT 'B' || k, 'b', c"
	         " FROM x;"
	         "INSERT INTO accounts(account_id, borrower_id, branch_id, product, open_date,"
	         " principal_fen, balance_fen) SELECT printf('A%03d', k), 'B' || k, 'BR1',"
	         " 'consumer_loan', '2026-01-01', 100000, 100000 FROM x;"
	         "INSERT INTO installments(account_id, seq, due_date, amount_fen)"
	         " SELECT printf('A%03d', k), 1, '2026-09-01', 100000 FROM x;"
	         "INSERT INTO payments(payment_id, account_id, value_date, amount_fen, channel)"
	         " SELECT 'P' || k, printf('A%03d', k), '2026-10-10', paid, 'transfer' FROM x"
	         " WHERE paid > 0;"
	         "INSERT INTO decisions(plan_date, account_id, treatment, cost_fen, experiment_id,"
	         " arm, created_at) SELECT '2026-10-01', printf('A%03d', k),"
	         " CASE held WHEN 1 THEN 'sms' ELSE 'visit' END,"
	         " CASE held WHEN 1 THEN 5 ELSE 14500 END, 'visit-holdout',"
	         " CASE held WHEN 1 THEN 'holdout' ELSE 'treated' END, 0 FROM x;");
	assert_int_equal(ds_store_ledger_sync(st, &d), DS_OK);
	return st;
}

static const struct ds_visit_effect *segment(const struct ds_visit_effect *r, long n,
                                             const char *name)
{
	for (long k = 0; k < n; k++)
		if (strcmp(r[k].segment, name) == 0)
			return &r[k];
	fail_msg("no segment %s", name);
	return NULL;
}

static void visit_effect_per_segment(void **state)
{
	(void)state;
	ds_store *st = experiment();
	struct ds_visit_effect *r;
	long n;
	struct ds_diag d;
	ds_diag_clear(&d);
	assert_int_equal(ds_report_visit_effect(st, "visit-holdout", 30, D("2026-11-15"),
	                                        DS_BY_COMMUNITY, &r, &n, &d),
	                 DS_OK);
	assert_int_equal(n, 5);
	const struct ds_visit_effect *c1 = segment(r, n, "C1");
	assert_int_equal(c1->treated, 40);
	assert_int_equal(c1->held_out, 40);
	/* k % 3 yuan more: 0.975 a treated account on average (k 0..39), 1.0 a
	 * held-out one (k 40..79) */
	assert_true(fabs(c1->paid_treated - 500.975) < 1e-9);
	assert_true(fabs(c1->paid_held_out - 101.0) < 1e-9);
	assert_true(fabs(c1->effect - 399.975) < 1e-9);
	assert_true(c1->lo > 390 && c1->hi < 410);
	assert_true(fabs(c1->extra_cost - 144.95) < 1e-9);
	assert_true(fabs(c1->cost_per_yuan - 144.95 / 399.975) < 1e-9);
	assert_int_equal(c1->verdict, DS_VERDICT_WORTH_IT);
	assert_int_equal(segment(r, n, "C2")->verdict, DS_VERDICT_HARM);
	const struct ds_visit_effect *c3 = segment(r, n, "C3");
	assert_true(fabs(c3->effect - 100) < 1e-9);
	assert_true(c3->lo < c3->extra_cost && c3->hi > c3->extra_cost);
	assert_int_equal(c3->verdict, DS_VERDICT_UNCLEAR);
	assert_int_equal(segment(r, n, "C4")->verdict, DS_VERDICT_NOT_WORTH_IT);
	assert_int_equal(segment(r, n, "C5")->verdict, DS_VERDICT_NOT_ENOUGH_DATA);
	assert_string_equal(ds_visit_verdict_name(DS_VERDICT_HARM), "harm");
	ds_free(r);
	/* by bucket as of entry: all were 30 days past due, M1 */
	assert_int_equal(ds_report_visit_effect(st, "visit-holdout", 30, D("2026-11-15"),
	                                        DS_BY_BUCKET, &r, &n, &d),
	                 DS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].segment, "M1");
	assert_int_equal(r[0].treated, 170);
	ds_free(r);
	/* the horizon not yet passed: nobody to read */
	assert_int_equal(ds_report_visit_effect(st, "visit-holdout", 30, D("2026-10-20"), DS_BY_ALL,
	                                        &r, &n, &d),
	                 DS_OK);
	assert_int_equal(n, 0);
	ds_free(r);
	assert_int_equal(ds_report_visit_effect(st, "visit-holdout", 30, D("2026-11-15"),
	                                        DS_BY_TEAM, &r, &n, &d),
	                 DS_EINVAL);
	ds_store_close(st);
}

/* ------------------------------------------------------- literacy events */

/*
 * Four communities of 20 accounts, each owing on 2026-05-15 and 2026-06-15;
 * half pay neither, the rest pay May's on time; of those, June's goes
 * unpaid by 2 in C1 (which held a literacy event on 2026-06-01), 4 in C2,
 * 6 in C3 and 5 in C4. With 30-day windows: new delinquency before the
 * event 0.5 everywhere; after it 0.2 in C1, 0.4, 0.6, 0.5 in the others:
 * a difference in differences of -0.3.
 */
/*
 * The report's interval has its nominal coverage: 200 experiments drawn
 * at random with a known effect — each 100 treated accounts paying 500
 * yuan with chance 0.5 and 100 held-out ones with chance 0.4, so the
 * visit policy is worth 50 yuan an account — read by the report one by
 * one; the 95% intervals should hold 50 about 190 times.
 */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static double draw(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void insert(ds_store *st, const char *sql, const char *a, const char *b, int64_t v)
{
	ds_stmt *s;
	struct ds_diag d;
	ds_diag_clear(&d);
	assert_int_equal(ds_store_prepare(st, sql, &s, &d), DS_OK);
	ds_stmt_bind_text(s, 1, a);
	if (b)
		ds_stmt_bind_text(s, 2, b);
	ds_stmt_bind_int(s, b ? 3 : 2, v);
	bool row;
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	ds_stmt_done(s);
}

static void visit_effect_interval_coverage(void **state)
{
	(void)state;
	enum { REPS = 200, ARM = 100 };
	int covered = 0;
	/* one small bank per experiment: the report walks the whole portfolio */
	for (int e = 0; e < REPS; e++) {
		struct ds_store_opts o = { .actor = "tester", .for_init = true };
		ds_store *st = NULL;
		struct ds_diag d;
		ds_diag_clear(&d);
		assert_int_equal(ds_store_open(":memory:", &o, &st, &d), DS_OK);
		assert_int_equal(ds_store_migrate(st, NULL, &d), DS_OK);
		exec(st, "INSERT INTO branches(branch_id, name, timezone) VALUES ('BR1','西湖',"
		         "'Asia/Shanghai');"
		         "INSERT INTO borrowers(borrower_id, name) VALUES ('B','b');"
		         "INSERT INTO experiments(experiment_id, name, start_date) VALUES"
		         " ('visit-holdout','rep','2026-10-01');");
		assert_int_equal(ds_store_begin(st, &d), DS_OK);
		for (int k = 0; k < 2 * ARM; k++) {
			bool held = k >= ARM;
			char acc[32];
			snprintf(acc, sizeof acc, "A%03d", k);
			insert(st,
			       "INSERT INTO accounts(account_id, borrower_id, branch_id, product,"
			       " open_date, principal_fen, balance_fen) VALUES (?, 'B', 'BR1',"
			       " 'consumer_loan', '2026-01-01', ?, 100000)",
			       acc, NULL, 100000);
			insert(st,
			       "INSERT INTO installments(account_id, seq, due_date, amount_fen)"
			       " VALUES (?, 1, '2026-09-01', ?)",
			       acc, NULL, 100000);
			if (draw() < (held ? 0.4 : 0.5))
				insert(st,
				       "INSERT INTO payments(payment_id, account_id, value_date,"
				       " amount_fen, channel) VALUES (?, ?, '2026-10-10', ?, "
				       "'transfer')",
				       acc, acc, 50000);
			insert(st,
			       "INSERT INTO decisions(plan_date, account_id, treatment, cost_fen,"
			       " experiment_id, arm, created_at) VALUES ('2026-10-01', ?, 'visit',"
			       " 14500, ?, CASE ? WHEN 1 THEN 'holdout' ELSE 'treated' END, 0)",
			       acc, "visit-holdout", held);
		}
		assert_int_equal(ds_store_commit(st, &d), DS_OK);
		struct ds_visit_effect *r;
		long n;
		assert_int_equal(ds_report_visit_effect(st, "visit-holdout", 30, D("2026-11-15"),
		                                        DS_BY_ALL, &r, &n, &d),
		                 DS_OK);
		assert_int_equal(n, 1);
		assert_int_equal(r[0].treated, ARM);
		assert_int_equal(r[0].held_out, ARM);
		covered += r[0].lo <= 50 && 50 <= r[0].hi;
		ds_free(r);
		ds_store_close(st);
	}
	/* 190 expected; a binomial's 99.9% range, with room for the
	 * percentile bootstrap's slight under-coverage at 100 an arm */
	printf("coverage: %d of %d intervals hold the true effect\n", covered, REPS);
	assert_in_range(covered, 178, 198);
}

static void literacy_difference_in_differences(void **state)
{
	(void)state;
	struct ds_store_opts o = { .actor = "tester", .for_init = true };
	ds_store *st = NULL;
	struct ds_diag d;
	assert_int_equal(ds_store_open(":memory:", &o, &st, &d), DS_OK);
	assert_int_equal(ds_store_migrate(st, NULL, &d), DS_OK);
	exec(st, "INSERT INTO branches(branch_id, name, timezone) VALUES ('BR1','西湖',"
	         "'Asia/Shanghai');"
	         "INSERT INTO communities(community_id, name, centroid_lat, centroid_lon) VALUES"
	         " ('C1','1',30,120), ('C2','2',30,120), ('C3','3',30,120), ('C4','4',30,120);"
	         "CREATE TEMP TABLE y(k INTEGER, c TEXT, i INTEGER, june INTEGER);"
	         "WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 79)"
	         " INSERT INTO y SELECT k, 'C' || (k / 20 + 1), k % 20,"
	         " k % 20 >= 10 + CASE k / 20 WHEN 0 THEN 2 WHEN 1 THEN 4 WHEN 2 THEN 6 ELSE 5 END"
	         " FROM n;"
	         "INSERT INTO borrowers(borrower_id, name, community_id) SELECT 'B' || k, 'b', c"
	         " FROM y;"
	         "INSERT INTO accounts(account_id, borrower_id, branch_id, product, open_date,"
	         " principal_fen, balance_fen) SELECT printf('A%02d', k), 'B' || k, 'BR1',"
	         " 'consumer_loan', '2026-01-01', 20000, 20000 FROM y;"
	         "INSERT INTO installments(account_id, seq, due_date, amount_fen)"
	         " SELECT printf('A%02d', k), 1, '2026-05-15', 10000 FROM y;"
	         "INSERT INTO installments(account_id, seq, due_date, amount_fen)"
	         " SELECT printf('A%02d', k), 2, '2026-06-15', 10000 FROM y;"
	         "INSERT INTO payments(payment_id, account_id, value_date, amount_fen, channel)"
	         " SELECT 'M' || k, printf('A%02d', k), '2026-05-10', 10000, 'transfer' FROM y"
	         " WHERE i >= 10;"
	         "INSERT INTO payments(payment_id, account_id, value_date, amount_fen, channel)"
	         " SELECT 'J' || k, printf('A%02d', k), '2026-06-10', 10000, 'transfer' FROM y"
	         " WHERE june;"
	         "INSERT INTO literacy_events(community_id, held_on, topic, attendance, created_by,"
	         " created_at) VALUES ('C1','2026-06-01','防范非法集资',40,'tester',0);");
	assert_int_equal(ds_store_ledger_sync(st, &d), DS_OK);
	struct ds_literacy_effect e;
	assert_int_equal(ds_report_literacy(st, D("2026-08-01"), 30, &e, &d), DS_OK);
	assert_int_equal(e.events, 1);
	assert_int_equal(e.treated_units, 1);
	assert_int_equal(e.control_units, 3);
	assert_true(fabs(e.before_treated - 0.5) < 1e-12);
	assert_true(fabs(e.after_treated - 0.2) < 1e-12);
	assert_true(fabs(e.before_control - 0.5) < 1e-12);
	assert_true(fabs(e.after_control - 0.5) < 1e-12);
	assert_true(fabs(e.did + 0.3) < 1e-12);
	/* the controls' changes are -0.1, 0.1 and 0: resampled, the estimate
	 * stays within 0.1 of -0.3 */
	assert_true(e.lo >= -0.4 - 1e-9 && e.lo < -0.3);
	assert_true(e.hi <= -0.2 + 1e-9 && e.hi > -0.3);
	/* an event whose after-window has not passed is not read */
	assert_int_equal(ds_report_literacy(st, D("2026-06-20"), 30, &e, &d), DS_OK);
	assert_int_equal(e.events, 0);
	assert_int_equal(ds_report_literacy(st, D("2026-08-01"), 3, &e, &d), DS_EINVAL);
	ds_store_close(st);
}

/* Charts: labels escaped, bars in proportion, the cap. */
static void svg_chart(void **state)
{
	(void)state;
	const char *labels[] = { "<甲&乙>", "B\"" };
	double v[] = { 50, -25 };
	struct ds_buf b;
	ds_buf_init(&b, 1 << 16);
	struct ds_diag d;
	assert_int_equal(ds_report_svg_bars("T<1>", labels, v, 2, "%", &b, &d), DS_OK);
	assert_int_equal(ds_buf_add(&b, "", 1), DS_OK);
	const char *svg = b.p;
	assert_non_null(strstr(svg, "&lt;甲&amp;乙&gt;"));
	assert_non_null(strstr(svg, "B&quot;"));
	assert_non_null(strstr(svg, "<title>T&lt;1&gt;</title>"));
	assert_null(strstr(svg, "<甲"));
	/* the longest bar spans the chart (390 units), the other half of it */
	assert_non_null(strstr(svg, "width=\"390.0\""));
	assert_non_null(strstr(svg, "width=\"195.0\""));
	assert_non_null(strstr(svg, "fill=\"#c0392b\"")); /* a negative value */
	ds_buf_free(&b);
	ds_buf_init(&b, 64); /* too small */
	assert_int_not_equal(ds_report_svg_bars("T", labels, v, 2, "%", &b, &d), DS_OK);
	ds_buf_free(&b);
	ds_buf_init(&b, 1 << 16);
	assert_int_equal(ds_report_svg_bars("T", labels, v, 201, "%", &b, &d), DS_ETOOBIG);
	ds_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kpis_by_treatment),
		cmocka_unit_test(kpis_by_other_groups),
		cmocka_unit_test(roll_rates),
		cmocka_unit_test(visit_effect_per_segment),
		cmocka_unit_test(visit_effect_interval_coverage),
		cmocka_unit_test(literacy_difference_in_differences),
		cmocka_unit_test(svg_chart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

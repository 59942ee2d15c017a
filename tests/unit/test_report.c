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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kpis_by_treatment),
		cmocka_unit_test(kpis_by_other_groups),
		cmocka_unit_test(roll_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of what drives results (report.h, ds_report_drivers and the
 * estimators): OLS with its robust (HC1) standard error against the
 * closed form, the logistic regression recovering known coefficients,
 * collinear and separated data refused, and the report on a bank whose
 * cooperative borrowers pay more and hostile ones less.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doorstep/report.h"

/* A fixed generator: the same draws on every machine. */
static uint64_t state = 88172645463325252ULL;
static double uniform(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (double)(state >> 11) / 9007199254740992.0;
}

static void ols_matches_the_closed_form(void **st)
{
	(void)st;
	enum { N = 10 };
	double X[N * 2], y[N], b[2], se[2];
	for (int i = 0; i < N; i++) {
		X[2 * i] = 1;
		X[2 * i + 1] = i + 1;
		y[i] = 2 + 3 * (i + 1) + (i % 2 ? 1.0 : -1.0) * (1 + i % 3);
	}
	struct ds_diag d;
	ds_diag_clear(&d);
	assert_int_equal(ds_regress_ols(X, y, N, 2, b, se, &d), DS_OK);
	/* slope and intercept by hand */
	double mx = 5.5, my = 0, sxx = 0, sxy = 0;
	for (int i = 0; i < N; i++)
		my += y[i] / N;
	for (int i = 0; i < N; i++) {
		sxx += (X[2 * i + 1] - mx) * (X[2 * i + 1] - mx);
		sxy += (X[2 * i + 1] - mx) * (y[i] - my);
	}
	double b1 = sxy / sxx, b0 = my - b1 * mx;
	assert_true(fabs(b[1] - b1) < 1e-9);
	assert_true(fabs(b[0] - b0) < 1e-9);
	/* HC1 for the slope: n/(n-k) sum (x - mx)^2 e^2 / sxx^2 */
	double v = 0;
	for (int i = 0; i < N; i++) {
		double e = y[i] - b0 - b1 * X[2 * i + 1];
		v += (X[2 * i + 1] - mx) * (X[2 * i + 1] - mx) * e * e;
	}
	v = v / (sxx * sxx) * N / (N - 2);
	assert_true(fabs(se[1] - sqrt(v)) < 1e-9);
}

static void logit_recovers_known_coefficients(void **st)
{
	(void)st;
	enum { N = 20000, K = 3 };
	static double X[N * K], y[N];
	const double truth[K] = { -0.5, 1.0, -0.8 };
	for (int i = 0; i < N; i++) {
		X[K * i] = 1;
		X[K * i + 1] = uniform() < 0.4;
		X[K * i + 2] = 2 * uniform();
		double eta = truth[0] + truth[1] * X[K * i + 1] + truth[2] * X[K * i + 2];
		y[i] = uniform() < 1 / (1 + exp(-eta));
	}
	double b[K], se[K];
	struct ds_diag d;
	ds_diag_clear(&d);
	assert_int_equal(ds_regress_logit(X, y, N, K, b, se, &d), DS_OK);
	for (int j = 0; j < K; j++) {
		assert_true(se[j] > 0.005 && se[j] < 0.1);
		assert_true(fabs(b[j] - truth[j]) < 4 * se[j]);
	}
}

static void bad_designs_are_refused(void **st)
{
	(void)st;
	double X[8 * 2], y[8], b[2], se[2];
	struct ds_diag d;
	for (int i = 0; i < 8; i++) {
		X[2 * i] = 1;
		X[2 * i + 1] = 1; /* the same as the intercept */
		y[i] = i;
	}
	ds_diag_clear(&d);
	assert_int_equal(ds_regress_ols(X, y, 8, 2, b, se, &d), DS_EINVAL);
	for (int i = 0; i < 8; i++) {
		X[2 * i + 1] = i;
		y[i] = i >= 4; /* perfectly separated at 3.5 */
	}
	ds_diag_clear(&d);
	assert_int_equal(ds_regress_logit(X, y, 8, 2, b, se, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "separation"));
	ds_diag_clear(&d);
	assert_int_equal(ds_regress_ols(X, y, 2, 2, b, se, &d), DS_EINVAL);
}

/*
 * 300 visited accounts, a third each cooperative, neutral and hostile at
 * the door; they pay in full within the horizon 80%, 50% and 25% of the
 * time. Three teams (a certified senior collector with a worker, an
 * uncertified new one alone, a certified junior one with the other
 * community's worker) and two communities, one a partner, spread across.
 */
static void drivers_on_a_bank(void **st)
{
	(void)st;
	char dir[64], db[128];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/ds-drivers-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof db, "%s/d.db", dir);
	struct ds_store_opts o = { .for_init = true, .actor = "tester" };
	ds_store *s = NULL;
	struct ds_diag d;
	ds_diag_clear(&d);
	assert_int_equal(ds_store_open(db, &o, &s, &d), DS_OK);
	assert_int_equal(ds_store_migrate(s, NULL, &d), DS_OK);
	const char *sql =
	        "INSERT INTO branches(branch_id, name, timezone) VALUES "
	        "('BR','West','Asia/Shanghai');"
	        "INSERT INTO communities(community_id, name, centroid_lat, centroid_lon,"
	        " partner_status) VALUES ('C0','甲',30,120,'active'), ('C1','乙',30,120,'none');"
	        "INSERT INTO staff(staff_id, name, role, branch_id, community_id, hired_date) "
	        "VALUES"
	        " ('S0','老王','collector','BR',NULL,'2016-01-01'),"
	        " ('S1','小李','collector','BR',NULL,'2026-03-01'),"
	        " ('S2','小张','collector','BR',NULL,'2024-06-01'),"
	        " ('W0','社工甲','community_worker',NULL,'C0',NULL),"
	        " ('W1','社工乙','community_worker',NULL,'C1',NULL);"
	        "INSERT INTO certifications(staff_id, cert, issued_date) VALUES"
	        " ('S0','collection_basic','2016-02-01'), ('S2','collection_basic','2024-07-01');"
	        "INSERT INTO teams(team_id, branch_id, work_date) VALUES ('T0','BR','2026-09-10'),"
	        " ('T1','BR','2026-09-10'), ('T2','BR','2026-09-10');"
	        "INSERT INTO team_members VALUES ('T0','S0'), ('T0','W0'), ('T1','S1'), "
	        "('T2','S2'),"
	        " ('T2','W1');"
	        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)"
	        " INSERT INTO borrowers(borrower_id, name, community_id)"
	        " SELECT 'B' || i, '客户' || i, 'C' || ((i / 9) % 2) FROM n;"
	        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)"
	        " INSERT INTO accounts(account_id, borrower_id, branch_id, product, principal_fen,"
	        " balance_fen, open_date, status) SELECT 'A' || i, 'B' || i, 'BR', 'consumer_loan',"
	        " 500000, 100000 + 1000 * i, '2025-01-01', 'active' FROM n;"
	        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)"
	        " INSERT INTO installments(account_id, seq, due_date, amount_fen)"
	        " SELECT 'A' || i, 1, date('2026-08-01', '-' || (i % 4) || ' months'), 50000 FROM "
	        "n;"
	        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)"
	        " INSERT INTO visits(account_id, team_id, visit_date, state, outcome, attitude)"
	        " SELECT 'A' || i, 'T' || ((i / 3) % 3), '2026-09-10', 'closed', 'met_borrower',"
	        " CASE i % 3 WHEN 0 THEN 'cooperative' WHEN 1 THEN 'neutral' ELSE 'hostile' END"
	        " FROM n;"
	        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299)"
	        " INSERT INTO payments(payment_id, account_id, value_date, amount_fen, channel)"
	        " SELECT 'P' || i, 'A' || i, '2026-09-20', 50000, 'transfer' FROM n"
	        " WHERE (i % 3 = 0 AND (i / 3) % 5 <> 0) OR (i % 3 = 1 AND (i / 3) % 2 = 0)"
	        " OR (i % 3 = 2 AND (i / 3) % 4 = 0);";
	assert_int_equal(ds_store_exec(s, sql, &d), DS_OK);
	ds_date from, to;
	assert_int_equal(ds_date_parse("2026-09-01", &from), DS_OK);
	assert_int_equal(ds_date_parse("2026-10-31", &to), DS_OK);
	struct ds_drivers r;
	assert_int_equal(ds_report_drivers(s, from, to, 30, &r, &d), DS_OK);
	assert_int_equal(r.n, 300);
	assert_true(r.cure_ok);
	assert_true(r.paid_ok);
	/* 80 + 50 + 25 of 100 each pay 500 yuan */
	double share = (80.0 + 50.0 + 25.0) / 300.0;
	assert_true(fabs(r.cure_rate - share) < 1e-9);
	assert_true(fabs(r.paid_mean - 500 * share) < 1e-6);
	assert_string_equal(r.cure[1].name, "attitude_cooperative");
	assert_string_equal(r.cure[2].name, "attitude_hostile");
	assert_true(r.cure[1].lo > 0); /* cooperative: more cured */
	assert_true(r.cure[2].hi < 0); /* hostile: fewer */
	assert_true(r.paid[1].coef > 100 && r.paid[1].lo > 0);
	assert_true(r.paid[2].coef < -50 && r.paid[2].hi < 0);
	for (int j = 0; j < r.k; j++) {
		assert_true(r.paid[j].lo <= r.paid[j].coef && r.paid[j].coef <= r.paid[j].hi);
		assert_true(r.cure[j].p >= 0 && r.cure[j].p <= 1);
	}
	/* a window with too few visits: said so, not estimated */
	assert_int_equal(ds_date_parse("2026-09-30", &to), DS_OK);
	assert_int_equal(ds_report_drivers(s, from, to, 30, &r, &d), DS_OK);
	assert_false(r.cure_ok);
	assert_non_null(strstr(r.cure_why, "at least"));
	ds_store_close(s);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ols_matches_the_closed_form),
		cmocka_unit_test(logit_recovers_known_coefficients),
		cmocka_unit_test(bad_designs_are_refused),
		cmocka_unit_test(drivers_on_a_bank),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of experiments: stable and balanced assignment, intervals
 * against published values and their coverage, sample sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doorstep/strategy.h"

#define N 200000

static void stable_and_balanced(void **state)
{
	(void)state;
	const double shares[3] = { 0.05, 0.25, 0.70 };
	long count[3] = { 0 }, cross[2][2] = { { 0 } };
	char id[32];
	for (long i = 0; i < N; i++) {
		snprintf(id, sizeof id, "ACC%07ld", i);
		double u = ds_experiment_draw("EXP-2026-visits", id);
		assert_true(u >= 0 && u < 1);
		/* the same pair, the same draw */
		assert_true(u == ds_experiment_draw("EXP-2026-visits", id));
		int a = ds_experiment_arm("EXP-2026-visits", id, shares, 3);
		assert_true(a >= 0 && a < 3);
		count[a]++;
		/* another experiment's 50/50 split, to test independence */
		const double half[2] = { 0.5, 0.5 };
		int b = ds_experiment_arm("EXP-2026-letters", id, half, 2);
		cross[a == 0][b]++;
	}
	/* goodness of fit to the shares: chi-square with 2 degrees of freedom */
	double chi = 0;
	for (int a = 0; a < 3; a++) {
		double e = N * shares[a];
		chi += (count[a] - e) * (count[a] - e) / e;
	}
	assert_true(gsl_cdf_chisq_Q(chi, 2) > 0.001);
	/* independence of the two experiments: 2 x 2 table, 1 degree */
	double rows[2] = { (double)(cross[0][0] + cross[0][1]),
		           (double)(cross[1][0] + cross[1][1]) };
	double cols[2] = { (double)(cross[0][0] + cross[1][0]),
		           (double)(cross[0][1] + cross[1][1]) };
	chi = 0;
	for (int r = 0; r < 2; r++)
		for (int c = 0; c < 2; c++) {
			double e = rows[r] * cols[c] / N;
			chi += (cross[r][c] - e) * (cross[r][c] - e) / e;
		}
	assert_true(gsl_cdf_chisq_Q(chi, 1) > 0.001);
	/* a fixed draw: assignment must not change between versions */
	assert_true(fabs(ds_experiment_draw("EXP-1", "A0001") -
	                 ds_experiment_draw("EXP-1", "A0001")) == 0);
	assert_true(ds_experiment_draw("EXP-1", "A0001") != ds_experiment_draw("EXP-1A", "0001"));
	/* shares that do not sum to one: the last arm takes the rest */
	const double few[2] = { 0.1, 0 };
	long first = 0;
	for (long i = 0; i < 10000; i++) {
		snprintf(id, sizeof id, "X%ld", i);
		first += ds_experiment_arm("E", id, few, 2) == 0;
	}
	assert_in_range(first, 900, 1100);
}

/* Newcombe (1998), Statistics in Medicine 17:873-890, table II, example
 * (a): 56/70 against 48/80, method 10: 0.0524 to 0.3339. */
static void newcombe_example(void **state)
{
	(void)state;
	struct ds_prop_diff d;
	struct ds_diag diag;
	assert_int_equal(ds_diff_proportions(56, 70, 48, 80, 0.95, &d, &diag), DS_OK);
	assert_true(fabs(d.diff - 0.2) < 1e-12);
	assert_true(fabs(d.lo - 0.0524) < 0.00005);
	assert_true(fabs(d.hi - 0.3339) < 0.00005);
	assert_true(d.p_value < 0.01 && d.p_value > 0.005);
	/* example (d) of the same table: 10/10 against 0/10, 0.6075 to 1 */
	assert_int_equal(ds_diff_proportions(10, 10, 0, 10, 0.95, &d, &diag), DS_OK);
	assert_true(fabs(d.lo - 0.6075) < 0.00005);
	assert_true(fabs(d.hi - 1.0) < 1e-9);
	assert_int_equal(ds_diff_proportions(11, 10, 0, 10, 0.95, &d, &diag), DS_EINVAL);
	assert_int_equal(ds_diff_proportions(1, 10, 0, 10, 1.5, &d, &diag), DS_EINVAL);
}

/* Repeated experiments with known truth: the 95% intervals cover it about
 * 95% of the time. */
static void coverage(void **state)
{
	(void)state;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(r, 20261129);
	struct ds_diag diag;
	int covered = 0, reps = 2000;
	for (int k = 0; k < reps; k++) {
		long x1 = (long)gsl_ran_binomial(r, 0.30, 400);
		long x0 = (long)gsl_ran_binomial(r, 0.25, 500);
		struct ds_prop_diff d;
		assert_int_equal(ds_diff_proportions(x1, 400, x0, 500, 0.95, &d, &diag), DS_OK);
		covered += d.lo <= 0.05 && 0.05 <= d.hi;
	}
	assert_in_range(covered, (long)(0.935 * reps), (long)(0.965 * reps));
	/* amounts: skewed (exponential, means 120 and 100), bootstrap */
	double y1[300], y0[300];
	covered = 0;
	reps = 300;
	for (int k = 0; k < reps; k++) {
		for (int i = 0; i < 300; i++) {
			y1[i] = gsl_ran_exponential(r, 120);
			y0[i] = gsl_ran_exponential(r, 100);
		}
		struct ds_mean_diff m;
		assert_int_equal(ds_diff_means_bootstrap(y1, 300, y0, 300, 0.95, 400,
		                                         (uint64_t)k + 1, &m, &diag),
		                 DS_OK);
		assert_true(m.lo <= m.diff && m.diff <= m.hi);
		covered += m.lo <= 20 && 20 <= m.hi;
	}
	assert_in_range(covered, (long)(0.90 * reps), (long)(0.98 * reps));
	gsl_rng_free(r);
	/* the same data and seed, the same interval */
	struct ds_mean_diff a, b;
	assert_int_equal(ds_diff_means_bootstrap(y1, 300, y0, 300, 0.9, 100, 7, &a, &diag), DS_OK);
	assert_int_equal(ds_diff_means_bootstrap(y1, 300, y0, 300, 0.9, 100, 7, &b, &diag), DS_OK);
	assert_true(a.lo == b.lo && a.hi == b.hi);
	assert_int_equal(ds_diff_means_bootstrap(y1, 0, y0, 300, 0.9, 100, 7, &a, &diag),
	                 DS_EINVAL);
}

static void sample_size(void **state)
{
	(void)state;
	long n0, n1;
	struct ds_diag d;
	/* 20% against 25%, 5% two-sided, 80% power: 1,094 per arm (Fleiss) */
	assert_int_equal(ds_sample_size(0.20, 0.25, 0.05, 0.80, 1, &n0, &n1, &d), DS_OK);
	assert_int_equal(n0, 1094);
	assert_int_equal(n1, 1094);
	/* a 5% holdout: the treated arm 19 times the holdout */
	assert_int_equal(ds_sample_size(0.20, 0.25, 0.05, 0.80, 19, &n0, &n1, &d), DS_OK);
	assert_in_range(n0, 540, 620);
	assert_true(n1 >= 19 * n0 - 19 && n1 <= 19 * n0 + 19);
	/* a larger effect needs fewer */
	long m0, m1;
	assert_int_equal(ds_sample_size(0.20, 0.30, 0.05, 0.80, 1, &m0, &m1, &d), DS_OK);
	assert_true(m0 < 1094 / 3);
	assert_int_equal(ds_sample_size(0.2, 0.2, 0.05, 0.8, 1, &n0, &n1, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "differ"));
	assert_int_equal(ds_sample_size(0.2, 0.3, 0.05, 0.3, 1, &n0, &n1, &d), DS_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stable_and_balanced),
		cmocka_unit_test(newcombe_example),
		cmocka_unit_test(coverage),
		cmocka_unit_test(sample_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

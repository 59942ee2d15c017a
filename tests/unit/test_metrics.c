/* Unit tests of the validation metrics: AUC, KS, Brier, calibration, PSI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "doorstep/model.h"

#define EPS 1e-12

static void auc_hand_examples(void **state)
{
	(void)state;
	/* Events score .9 and .3, non-events .8 and .1. Pairs (event, non):
	 * (.9,.8) 1, (.9,.1) 1, (.3,.8) 0, (.3,.1) 1 -> 3/4. */
	float y[] = { 1, 0, 1, 0 };
	double p[] = { .9, .8, .3, .1 };
	assert_float_equal(ds_metric_auc(y, p, 4), 0.75, EPS);

	/* Every pair tied: each scores 1/2 -> 0.5. */
	double flat[] = { .4, .4, .4, .4 };
	assert_float_equal(ds_metric_auc(y, flat, 4), 0.5, EPS);

	/* One tie: (.8,.8) 1/2, (.8,.1) 1, (.3,.8) 0, (.3,.1) 1 -> 2.5/4. */
	double tied[] = { .8, .8, .3, .1 };
	assert_float_equal(ds_metric_auc(y, tied, 4), 0.625, EPS);

	/* Events above every non-event: all 4 pairs score 1; below: none. */
	double apart[] = { .9, .2, .7, .1 };
	assert_float_equal(ds_metric_auc(y, apart, 4), 1.0, EPS);
	double reversed[] = { .1, .7, .2, .9 };
	assert_float_equal(ds_metric_auc(y, reversed, 4), 0.0, EPS);

	/* The same rows in another order give the same answer. */
	float y2[] = { 0, 1, 0, 1 };
	double p2[] = { .1, .3, .8, .9 };
	assert_float_equal(ds_metric_auc(y2, p2, 4), 0.75, EPS);
}

static void auc_degenerate(void **state)
{
	(void)state;
	float y[] = { 1, 1, 0 };
	double p[] = { .5, .6, .7 };
	assert_true(isnan(ds_metric_auc(y, p, 0)));
	assert_true(isnan(ds_metric_auc(y, p, 1)));         /* one class only */
	assert_true(isnan(ds_metric_auc(y, p, 2)));         /* events only */
	assert_true(isnan(ds_metric_auc(y + 2, p + 2, 1))); /* non-events only */
	/* Rows with a NAN label or prediction are left out: what remains is
	 * event .9 against non-event .2 -> 1. */
	float yn[] = { 1, NAN, 0, 0 };
	double pn[] = { .9, .1, .2, NAN };
	assert_float_equal(ds_metric_auc(yn, pn, 4), 1.0, EPS);
}

/* A fixed sequence, so a failure can be replayed. */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double uniform(uint64_t *s)
{
	return (double)(splitmix64(s) >> 11) * 0x1p-53;
}

/* The definition itself: every (event, non-event) pair, ties scoring 1/2. */
static double auc_by_pairs(const float *y, const double *p, long n)
{
	double u = 0, pos = 0, neg = 0;
	for (long i = 0; i < n; i++) {
		if (y[i] > 0.5f)
			pos++;
		else
			neg++;
	}
	for (long i = 0; i < n; i++) {
		if (!(y[i] > 0.5f))
			continue;
		for (long j = 0; j < n; j++) {
			if (y[j] > 0.5f)
				continue;
			u += p[i] > p[j] ? 1.0 : p[i] == p[j] ? 0.5 : 0.0;
		}
	}
	return u / (pos * neg);
}

static void auc_matches_pair_count(void **state)
{
	(void)state;
	enum { N = 100000, HALF = 1000 };
	float *y = test_malloc(N * sizeof *y);
	double *p = test_malloc(N * sizeof *p);
	float *ys = test_malloc(2 * HALF * sizeof *ys);
	double *ps = test_malloc(2 * HALF * sizeof *ps);
	uint64_t seed = 20240630;
	/* Events are rare (about 2%) and likelier at high scores; scores are
	 * quantised to 1/256 so that most rows share their score with others. */
	for (long i = 0; i < N; i++) {
		double s = uniform(&seed);
		y[i] = uniform(&seed) < 0.04 * s ? 1.0f : 0.0f;
		p[i] = floor(s * 256) / 256;
	}
	/* A 2,000-row subset, half events, checked against every pair. */
	long ne = 0, nn = 0, k = 0;
	for (long i = 0; i < N && k < 2 * HALF; i++) {
		long *taken = y[i] > 0.5f ? &ne : &nn;
		if (*taken == HALF)
			continue;
		(*taken)++;
		ys[k] = y[i];
		ps[k] = p[i];
		k++;
	}
	assert_int_equal(k, 2 * HALF);
	double sub = ds_metric_auc(ys, ps, k);
	assert_float_equal(sub, auc_by_pairs(ys, ps, k), EPS);
	assert_true(sub > 0.55 && sub < 0.8);
	/* And the whole 100,000 rows: rare events keep the pair count to
	 * about 2e8 comparisons. */
	double all = ds_metric_auc(y, p, N);
	assert_float_equal(all, auc_by_pairs(y, p, N), EPS);
	test_free(ps);
	test_free(ys);
	test_free(p);
	test_free(y);
}

static void ks_hand_examples(void **state)
{
	(void)state;
	/* Sorted: .1 non, .3 event, .8 non, .9 event; 2 events, 2 non-events.
	 * CDFs after each: (0, .5) (.5, .5) (.5, 1) (1, 1): gaps .5 0 .5 0. */
	float y[] = { 1, 0, 1, 0 };
	double p[] = { .9, .8, .3, .1 };
	assert_float_equal(ds_metric_ks(y, p, 4), 0.5, EPS);

	/* Sorted: .1 non, {.5 non, .5 event}, .9 event. After .1: (0, .5) gap
	 * .5; after the whole .5 run: (.5, 1) gap .5; after .9: 0. KS .5.
	 * Stopping inside the run after the non-event would give (0, 1) = 1. */
	float yt[] = { 0, 0, 1, 1 };
	double pt[] = { .1, .5, .5, .9 };
	assert_float_equal(ds_metric_ks(yt, pt, 4), 0.5, EPS);
	float yt2[] = { 0, 1, 0, 1 };
	double pt2[] = { .1, .5, .5, .9 };
	assert_float_equal(ds_metric_ks(yt2, pt2, 4), 0.5, EPS);

	/* Separated classes: after the two non-events the gap is 1. */
	double apart[] = { .9, .2, .7, .1 };
	assert_float_equal(ds_metric_ks(y, apart, 4), 1.0, EPS);
	/* One run holds everything: the only threshold leaves both CDFs at 1. */
	double flat[] = { .4, .4, .4, .4 };
	assert_float_equal(ds_metric_ks(y, flat, 4), 0.0, EPS);

	assert_true(isnan(ds_metric_ks(y, p, 0)));
	assert_true(isnan(ds_metric_ks(y, p, 1)));
}

static void brier(void **state)
{
	(void)state;
	/* (1-.8)^2 + (0-.3)^2 + (1-.5)^2 = .04 + .09 + .25 = .38; / 3. */
	float y[] = { 1, 0, 1 };
	double p[] = { .8, .3, .5 };
	assert_float_equal(ds_metric_brier(y, p, 3), 0.38 / 3, EPS);
	/* (1 - .75)^2 = .0625 */
	double one[] = { .75 };
	assert_float_equal(ds_metric_brier(y, one, 1), 0.0625, EPS);
	assert_true(isnan(ds_metric_brier(y, p, 0)));
}

static void calibration_equal_bins(void **state)
{
	(void)state;
	/* p .1 .. 1.0 given out of order; 10 rows in 5 bins of 2 by rank:
	 * {.1,.2} events 0 of 2, {.3,.4} 1, {.5,.6} 1, {.7,.8} 2, {.9,1} 2. */
	double p[] = { .5, .1, .9, .3, .7, .2, 1.0, .4, .8, .6 };
	float y[] = { 1, 0, 1, 1, 1, 0, 1, 0, 1, 0 };
	struct ds_calib_bin b[5];
	assert_int_equal(ds_metric_calibration(y, p, 10, 5, b), 5);
	const double lo[] = { .1, .3, .5, .7, .9 }, hi[] = { .2, .4, .6, .8, 1.0 };
	const double mean[] = { .15, .35, .55, .75, .95 }, obs[] = { 0, .5, .5, 1, 1 };
	for (int i = 0; i < 5; i++) {
		assert_float_equal(b[i].p_lo, lo[i], EPS);
		assert_float_equal(b[i].p_hi, hi[i], EPS);
		assert_float_equal(b[i].mean_p, mean[i], EPS);
		assert_float_equal(b[i].observed, obs[i], EPS);
		assert_int_equal(b[i].n, 2);
	}
}

static void calibration_ties_merge_bins(void **state)
{
	(void)state;
	/* Sorted: .2 x3, .5 x5, .9 x2; 5 bins would end at ranks 2 4 6 8 10.
	 * Bin 1 runs on to rank 3 to keep the .2 run; bin 2 from rank 3 to 4
	 * meets the .5 run and takes it all, to 8, swallowing the ends at 6
	 * and 8; the last bin is the .9 run. Three bins:
	 * .2 x3 (events 1 -> 1/3), .5 x5 (events 3 -> .6), .9 x2 (2 -> 1). */
	double p[] = { .5, .2, .9, .5, .2, .5, .9, .5, .2, .5 };
	float y[] = { 1, 0, 1, 0, 1, 1, 1, 0, 0, 1 };
	struct ds_calib_bin b[5];
	memset(b, 0, sizeof b);
	assert_int_equal(ds_metric_calibration(y, p, 10, 5, b), 3);
	assert_int_equal(b[0].n, 3);
	assert_float_equal(b[0].p_lo, .2, EPS);
	assert_float_equal(b[0].p_hi, .2, EPS);
	assert_float_equal(b[0].observed, 1.0 / 3, EPS);
	assert_int_equal(b[1].n, 5);
	assert_float_equal(b[1].mean_p, .5, EPS);
	assert_float_equal(b[1].observed, .6, EPS);
	assert_int_equal(b[2].n, 2);
	assert_float_equal(b[2].p_lo, .9, EPS);
	assert_float_equal(b[2].observed, 1.0, EPS);
	/* Nothing past the bins written. */
	assert_int_equal(b[3].n, 0);

	/* Fewer rows than bins: one bin per row. */
	assert_int_equal(ds_metric_calibration(y, p, 3, 10, b), 3);
	assert_float_equal(b[0].p_lo, .2, EPS);
	assert_float_equal(b[2].p_lo, .9, EPS);
	/* One row, none, no bins asked for. */
	assert_int_equal(ds_metric_calibration(y, p, 1, 10, b), 1);
	assert_int_equal(b[0].n, 1);
	assert_float_equal(b[0].observed, 1.0, EPS);
	assert_int_equal(ds_metric_calibration(y, p, 0, 10, b), 0);
	assert_int_equal(ds_metric_calibration(y, p, 10, 0, b), 0);
}

static void psi_identical_is_zero(void **state)
{
	(void)state;
	double e[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	double a[] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	assert_float_equal(ds_metric_psi(e, 10, a, 10, 5), 0.0, EPS);
	/* A single expected row makes one bin holding everything. */
	assert_float_equal(ds_metric_psi(e, 1, a, 10, 5), 0.0, EPS);
	assert_float_equal(ds_metric_psi(e, 1, a, 1, 10), 0.0, EPS);
	assert_true(isnan(ds_metric_psi(e, 0, a, 10, 5)));
	assert_true(isnan(ds_metric_psi(e, 10, a, 0, 5)));
}

static void psi_shifted(void **state)
{
	(void)state;
	/* Expected 1..10 in 5 bins: the k/5 quantiles are the values at ranks
	 * 2 4 6 8, so bins <=2, (2,4], (4,6], (6,8], >8, each share .2.
	 * Actual {1,1,1,1,3,3,5,7,9,9}: shares .4 .2 .1 .1 .2.
	 * PSI = (.4-.2) ln 2 + 0 + (.1-.2) ln .5 + (.1-.2) ln .5 + 0
	 *     = .2 ln 2 + .2 ln 2 = .4 ln 2 = 0.2772588722239781 */
	double e[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	double a[] = { 1, 1, 1, 1, 3, 3, 5, 7, 9, 9 };
	assert_float_equal(ds_metric_psi(e, 10, a, 10, 5), 0.2772588722239781, 1e-9);

	/* Actual {1,1,1,1,1,3,3,3,9,9}: shares .5 .3 0 0 .2, the empty ones
	 * floored at 1e-4.
	 * PSI = .3 ln 2.5 + .1 ln 1.5 + 2 (1e-4 - .2) ln(1e-4 / .2)
	 *     = .3 (0.916290731874155) + .1 (0.405465108108164)
	 *       + (-.3998)(-7.600902459542082)
	 *     = 0.274887219562247 + 0.040546510810816 + 3.038840803324924
	 *     = 3.354274533697988 */
	double f[] = { 1, 1, 1, 1, 1, 3, 3, 3, 9, 9 };
	assert_float_equal(ds_metric_psi(e, 10, f, 10, 5), 3.354274533697988, 1e-9);
}

static void psi_merges_tied_edges(void **state)
{
	(void)state;
	/* Expected {0 x6, 1, 2, 3, 4}: quantiles at ranks 2 4 6 8 are 0 0 0 2,
	 * merged to edges 0 and 2: bins <=0 (.6), (0,2] (.2), >2 (.2).
	 * Actual {0,0,1,1,1,1,3,3,3,3}: shares .2 .4 .4.
	 * PSI = (.2-.6) ln(1/3) + (.4-.2) ln 2 + (.4-.2) ln 2
	 *     = .4 ln 3 + .4 ln 2 = .4 ln 6 = 0.716703787691222 */
	double e[] = { 0, 3, 0, 1, 0, 4, 0, 2, 0, 0 };
	double a[] = { 0, 0, 1, 1, 1, 1, 3, 3, 3, 3 };
	assert_float_equal(ds_metric_psi(e, 10, a, 10, 5), 0.716703787691222, 1e-9);
}

static void psi_bands(void **state)
{
	(void)state;
	assert_string_equal(ds_metric_psi_band(0.0), "stable");
	assert_string_equal(ds_metric_psi_band(0.0999), "stable");
	assert_string_equal(ds_metric_psi_band(0.1), "minor shift");
	assert_string_equal(ds_metric_psi_band(0.2499), "minor shift");
	assert_string_equal(ds_metric_psi_band(0.25), "major shift");
	assert_string_equal(ds_metric_psi_band(3.0), "major shift");
}

static void allocation_failure(void **state)
{
	(void)state;
	float y[] = { 1, 0, 1, 0 };
	double p[] = { .9, .8, .3, .1 };
	struct ds_calib_bin b[2];
	ds_alloc_fail_after(0);
	assert_true(isnan(ds_metric_auc(y, p, 4)));
	assert_true(isnan(ds_metric_ks(y, p, 4)));
	assert_int_equal(ds_metric_calibration(y, p, 4, 2, b), 0);
	assert_true(isnan(ds_metric_psi(p, 4, p, 4, 2)));
	/* The second of PSI's allocations failing must not leak the first. */
	ds_alloc_fail_after(1);
	assert_true(isnan(ds_metric_psi(p, 4, p, 4, 2)));
	ds_alloc_fail_after(-1);
	/* Brier needs no memory. */
	assert_float_equal(ds_metric_brier(y, p, 4), (.01 + .64 + .49 + .01) / 4, EPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auc_hand_examples),
		cmocka_unit_test(auc_degenerate),
		cmocka_unit_test(auc_matches_pair_count),
		cmocka_unit_test(ks_hand_examples),
		cmocka_unit_test(brier),
		cmocka_unit_test(calibration_equal_bins),
		cmocka_unit_test(calibration_ties_merge_bins),
		cmocka_unit_test(psi_identical_is_zero),
		cmocka_unit_test(psi_shifted),
		cmocka_unit_test(psi_merges_tied_edges),
		cmocka_unit_test(psi_bands),
		cmocka_unit_test(allocation_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

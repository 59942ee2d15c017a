/* Unit tests of the scorecard binning: WOE and IV by hand, monotone
 * direction, minimum bin share, missing values, categories, lookups, row
 * selection, determinism, an exhaustive cross-check, and German Credit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doorstep/model.h"

#define EPS 1e-6

/* --------------------------------------------------------------- fixtures */

/* A labelled one-feature dataset from parallel arrays of values and labels. */
static ds_dataset *one_feature(const float *x, const float *y, long n, bool categorical, int ncat)
{
	ds_dataset *d = NULL;
	assert_int_equal(ds_dataset_new(1, n, true, &d), DS_OK);
	snprintf(d->feat[0].name, sizeof d->feat[0].name, "%s", "x");
	d->feat[0].categorical = categorical;
	d->feat[0].ncat = ncat;
	for (int c = 0; c < ncat; c++)
		snprintf(d->feat[0].cats[c], sizeof d->feat[0].cats[c], "c%d", c);
	for (long r = 0; r < n; r++) {
		d->x[r] = x[r];
		d->y[r] = y[r];
	}
	return d;
}

/*
 * Three obvious groups, 20 rows, 8 events (1) and 12 non-events (0):
 *   A  x = 1, 2, 3      (E E, E E, E N)      5 events, 1 non-event
 *   B  x = 11..14       (E N, N N, E N, E N) 3 events, 5 non-events
 *   C  x = 21, 22, 23   (N N each)           0 events, 6 non-events
 */
static const float g3_x[] = { 1,  1,  2,  2,  3,  3,  11, 11, 12, 12,
	                      13, 13, 14, 14, 21, 21, 22, 22, 23, 23 };
static const float g3_y[] = { 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
#define G3_N 20

static ds_dataset *three_groups(void)
{
	return one_feature(g3_x, g3_y, G3_N, false, 0);
}

static void assert_monotone(const struct ds_binning *b, int dir)
{
	int prev = -1;
	for (int i = 0; i < b->nbins; i++) {
		if (b->bins[i].missing)
			continue;
		if (prev >= 0) {
			if (dir > 0)
				assert_true(b->bins[i].woe > b->bins[prev].woe);
			else
				assert_true(b->bins[i].woe < b->bins[prev].woe);
		}
		prev = i;
	}
}

static void assert_same_binning(const struct ds_binning *a, const struct ds_binning *b)
{
	assert_int_equal(a->feature, b->feature);
	assert_int_equal(a->nbins, b->nbins);
	assert_true(a->iv == b->iv);
	for (int i = 0; i < a->nbins; i++) {
		const struct ds_bin *x = &a->bins[i], *y = &b->bins[i];
		assert_int_equal(x->missing, y->missing);
		assert_true(x->lo == y->lo);
		assert_true(x->hi == y->hi);
		assert_true(x->cats == y->cats);
		assert_int_equal(x->n_event, y->n_event);
		assert_int_equal(x->n_non, y->n_non);
		assert_true(x->woe == y->woe);
		assert_true(x->points == y->points);
	}
}

/* ------------------------------------------------------------ hand values */

static void woe_and_iv_by_hand(void **state)
{
	(void)state;
	ds_dataset *d = three_groups();
	/* min_share 0.25: every bin at least 5 of the 20 rows */
	struct ds_binning_opts o = { 0.25, 0, 0 };
	struct ds_binning b;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_OK);
	assert_int_equal(b.feature, 0);
	assert_int_equal(b.nbins, 3);
	/* cut points are the lowest value of the next group: 11 and 21 */
	assert_true(b.bins[0].lo == -INFINITY && b.bins[0].hi == 11);
	assert_true(b.bins[1].lo == 11 && b.bins[1].hi == 21);
	assert_true(b.bins[2].lo == 21 && b.bins[2].hi == INFINITY);
	assert_int_equal(b.bins[0].n_event, 5);
	assert_int_equal(b.bins[0].n_non, 1);
	assert_int_equal(b.bins[1].n_event, 3);
	assert_int_equal(b.bins[1].n_non, 5);
	assert_int_equal(b.bins[2].n_event, 0);
	assert_int_equal(b.bins[2].n_non, 6);
	/*
	 * K = 3 bins: totals non 12 + 1.5 = 13.5, events 8 + 1.5 = 9.5.
	 *   A: non 1.5/13.5 = .111111, ev 5.5/9.5 = .578947,
	 *      WOE ln(.111111/.578947) = ln(.191919) = -1.650681,
	 *      IV term (.111111 - .578947) * -1.650681 = .772248
	 *   B: non 5.5/13.5 = .407407, ev 3.5/9.5 = .368421,
	 *      WOE ln(1.105820) = .100587, term .038986 * .100587 = .003922
	 *   C: non 6.5/13.5 = .481481, ev .5/9.5 = .052632,
	 *      WOE ln(9.148148) = 2.213551, term .428850 * 2.213551 = .949281
	 *   IV = .772248 + .003922 + .949281 = 1.725451
	 */
	assert_float_equal(b.bins[0].woe, -1.650681, EPS);
	assert_float_equal(b.bins[1].woe, 0.100587, EPS);
	assert_float_equal(b.bins[2].woe, 2.213551, EPS);
	assert_float_equal(b.iv, 1.725451, EPS);
	/* x grows, events get rarer: WOE increasing */
	assert_monotone(&b, +1);
	for (int i = 0; i < b.nbins; i++) {
		assert_false(b.bins[i].missing);
		assert_true(b.bins[i].points == 0);
		assert_true(b.bins[i].cats == 0);
	}
	ds_dataset_free(d);
}

static void find_at_cut_points(void **state)
{
	(void)state;
	ds_dataset *d = three_groups();
	struct ds_binning_opts o = { 0.25, 0, 0 };
	struct ds_binning b;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_OK);
	assert_int_equal(b.nbins, 3);
	assert_int_equal(ds_binning_find(&b, -INFINITY), 0);
	assert_int_equal(ds_binning_find(&b, -1e30f), 0);
	assert_int_equal(ds_binning_find(&b, 1), 0);
	assert_int_equal(ds_binning_find(&b, nextafterf(11, 0)), 0);
	assert_int_equal(ds_binning_find(&b, 11), 1); /* lo <= x */
	assert_int_equal(ds_binning_find(&b, nextafterf(21, 0)), 1);
	assert_int_equal(ds_binning_find(&b, 21), 2); /* x < hi */
	assert_int_equal(ds_binning_find(&b, 1e30f), 2);
	assert_int_equal(ds_binning_find(&b, INFINITY), 2);
	/* between two groups no training value was seen: the lower one */
	assert_int_equal(ds_binning_find(&b, 5), 0);
	/* no missing bin: NAN goes to the WOE nearest 0, B's .100587 */
	assert_int_equal(ds_binning_find(&b, NAN), 1);
	ds_dataset_free(d);
}

static void min_share_respected(void **state)
{
	(void)state;
	ds_dataset *d = three_groups();
	struct ds_binning b;
	/*
	 * Default min_share .05 (1 row): A's pure x = 1, 2 (4 events) splits
	 * off from x = 3, which joins B -> bins {1,2} {3..14} {21..23} (that
	 * this is the best is what optimal_against_brute_force checks in
	 * general).
	 */
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, NULL, &b, NULL), DS_OK);
	assert_int_equal(b.nbins, 3);
	assert_true(b.bins[0].hi == 3 && b.bins[1].hi == 21);
	assert_int_equal(b.bins[0].n_event + b.bins[0].n_non, 4);

	/*
	 * min_share .45: at least 9 of 20 rows per bin. Values come in pairs,
	 * so two bins must be 10 + 10: x <= 12 (6 events, 4 non) and x >= 13
	 * (2 events, 8 non). K = 2: totals non 13, events 9.
	 *   low:  non 4.5/13 = .346154, ev 6.5/9 = .722222,
	 *         WOE ln(.479290) = -.735450, term -.376068 * -.735450 = .276579
	 *   high: non 8.5/13 = .653846, ev 2.5/9 = .277778,
	 *         WOE ln(2.353846) = .856051, term .376068 * .856051 = .321934
	 *   IV = .598513
	 */
	struct ds_binning_opts o = { 0.45, 0, 0 };
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_OK);
	assert_int_equal(b.nbins, 2);
	assert_true(b.bins[0].hi == 13 && b.bins[1].lo == 13);
	assert_int_equal(b.bins[0].n_event, 6);
	assert_int_equal(b.bins[0].n_non, 4);
	assert_float_equal(b.bins[0].woe, -0.735450, EPS);
	assert_float_equal(b.bins[1].woe, 0.856051, EPS);
	assert_float_equal(b.iv, 0.598513, EPS);

	/* min_share .6: no two bins of 12 rows fit in 20: one bin, and with
	 * K = 1 both shares are 1, so WOE 0 and IV 0 */
	o.min_share = 0.6;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_OK);
	assert_int_equal(b.nbins, 1);
	assert_true(b.bins[0].lo == -INFINITY && b.bins[0].hi == INFINITY);
	assert_int_equal(b.bins[0].n_event, 8);
	assert_int_equal(b.bins[0].n_non, 12);
	assert_float_equal(b.bins[0].woe, 0, EPS);
	assert_float_equal(b.iv, 0, EPS);

	/* max_bins 2 with the default share: the best two bins */
	o = (struct ds_binning_opts){ 0, 2, 0 };
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_OK);
	assert_int_equal(b.nbins, 2);
	ds_dataset_free(d);
}

static void monotone_direction(void **state)
{
	(void)state;
	/*
	 * U-shaped: events likely at both ends, 4 rows per value, 9 events:
	 *   x = 1: 3E 1N, 2: 1E 3N, 3: 0E 4N, 4: 1E 3N, 5: 4E 0N.
	 * The best partition with no monotone constraint is {1} {2,3,4} {5}
	 * (WOE down, up, down); it must never come out.
	 */
	float x[20], y[20];
	const int ev[5] = { 3, 1, 0, 1, 4 };
	for (int v = 0; v < 5; v++)
		for (int k = 0; k < 4; k++) {
			x[v * 4 + k] = (float)(v + 1);
			y[v * 4 + k] = k < ev[v] ? 1.0f : 0.0f;
		}
	ds_dataset *d = one_feature(x, y, 20, false, 0);
	struct ds_binning b;

	/*
	 * Free direction: WOE falling with x wins, {1..4} {5}. K = 2: totals
	 * non 11 + 1 = 12, events 9 + 1 = 10.
	 *   {1..4} 5E 11N: non 11.5/12 = .958333, ev 5.5/10 = .55,
	 *          WOE ln(1.742424) = .555277, term .408333 * .555277 = .226738
	 *   {5}    4E 0N:  non .5/12 = .041667, ev 4.5/10 = .45,
	 *          WOE ln(.092593) = -2.379546, term -.408333 * -2.379546 = .971648
	 *   IV = 1.198386
	 */
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, NULL, &b, NULL), DS_OK);
	assert_int_equal(b.nbins, 2);
	assert_true(b.bins[0].hi == 5);
	assert_float_equal(b.bins[0].woe, 0.555277, EPS);
	assert_float_equal(b.bins[1].woe, -2.379546, EPS);
	assert_float_equal(b.iv, 1.198386, EPS);
	assert_monotone(&b, -1);

	/* monotone +1 (the event likelier as x grows) is that same direction */
	d->feat[0].monotone = +1;
	struct ds_binning b2;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, NULL, &b2, NULL), DS_OK);
	assert_same_binning(&b, &b2);

	/*
	 * monotone -1: WOE must rise with x; the best is {1} {2..5}.
	 *   {1}    3E 1N:  non 1.5/12 = .125, ev 3.5/10 = .35,
	 *          WOE ln(.357143) = -1.029619, term -.225 * -1.029619 = .231664
	 *   {2..5} 6E 10N: non 10.5/12 = .875, ev 6.5/10 = .65,
	 *          WOE ln(1.346154) = .297252, term .225 * .297252 = .066882
	 *   IV = .298546
	 */
	d->feat[0].monotone = -1;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, NULL, &b, NULL), DS_OK);
	assert_int_equal(b.nbins, 2);
	assert_true(b.bins[0].hi == 2);
	assert_float_equal(b.bins[0].woe, -1.029619, EPS);
	assert_float_equal(b.bins[1].woe, 0.297252, EPS);
	assert_float_equal(b.iv, 0.298546, EPS);
	assert_monotone(&b, +1);
	ds_dataset_free(d);
}

static void missing_bin(void **state)
{
	(void)state;
	/* the three groups plus 4 missing rows (3 events, 1 non-event) and 2
	 * unlabelled rows, which must not count anywhere */
	float x[G3_N + 6], y[G3_N + 6];
	memcpy(x, g3_x, sizeof g3_x);
	memcpy(y, g3_y, sizeof g3_y);
	const float mx[6] = { NAN, NAN, NAN, NAN, 1, NAN };
	const float my[6] = { 1, 1, 1, 0, NAN, NAN };
	memcpy(x + G3_N, mx, sizeof mx);
	memcpy(y + G3_N, my, sizeof my);
	ds_dataset *d = one_feature(x, y, G3_N + 6, false, 0);
	/* min_share .25 of 24 counted rows = 6: the missing bin's 4 rows are
	 * exempt, and the regular bins keep their 6 + 8 + 6 */
	struct ds_binning_opts o = { 0.25, 0, 0 };
	struct ds_binning b;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_OK);
	assert_int_equal(b.nbins, 4);
	assert_true(b.bins[3].missing);
	assert_int_equal(b.bins[3].n_event, 3);
	assert_int_equal(b.bins[3].n_non, 1);
	for (int i = 0; i < 3; i++)
		assert_false(b.bins[i].missing);
	assert_true(b.bins[0].hi == 11 && b.bins[1].hi == 21 && b.bins[2].hi == INFINITY);
	/*
	 * K = 4: totals non 13 + 2 = 15, events 11 + 2 = 13.
	 *   A 5E 1N: non 1.5/15 = .1, ev 5.5/13 = .423077,
	 *            WOE ln(.236364) = -1.442384, term -.323077 * -1.442384 = .466001
	 *   B 3E 5N: non 5.5/15 = .366667, ev 3.5/13 = .269231,
	 *            WOE ln(1.361905) = .308884, term .097436 * .308884 = .030096
	 *   C 0E 6N: non 6.5/15 = .433333, ev .5/13 = .038462,
	 *            WOE ln(11.266667) = 2.421849, term .394872 * 2.421849 = .956320
	 *   missing 3E 1N: non 1.5/15 = .1, ev 3.5/13 = .269231,
	 *            WOE ln(.371429) = -.990399, term -.169231 * -.990399 = .167606
	 *   IV = 1.620023
	 */
	assert_float_equal(b.bins[0].woe, -1.442384, EPS);
	assert_float_equal(b.bins[1].woe, 0.308884, EPS);
	assert_float_equal(b.bins[2].woe, 2.421849, EPS);
	assert_float_equal(b.bins[3].woe, -0.990399, EPS);
	assert_float_equal(b.iv, 1.620023, EPS);
	assert_int_equal(ds_binning_find(&b, NAN), 3);
	assert_int_equal(ds_binning_find(&b, 12), 1);

	/* only missing rows among the counted ones: the missing bin alone,
	 * holding everything, so WOE and IV are 0 */
	long only[4] = { G3_N, G3_N + 1, G3_N + 2, G3_N + 3 };
	assert_int_equal(ds_binning_fit(d, only, 4, 0, &o, &b, NULL), DS_OK);
	assert_int_equal(b.nbins, 1);
	assert_true(b.bins[0].missing);
	assert_float_equal(b.bins[0].woe, 0, EPS);
	assert_float_equal(b.iv, 0, EPS);
	assert_int_equal(ds_binning_find(&b, NAN), 0);
	assert_int_equal(ds_binning_find(&b, 3), 0);
	ds_dataset_free(d);
}

static void categorical_groups(void **state)
{
	(void)state;
	/*
	 * Six categories, 20 rows, 6 events; category 5 has no rows:
	 *   0: 3E 1N, 1: 1E 4N, 2: 0E 4N, 3: 2E 2N, 4: 0E 3N.
	 * WOE order by the smoothed ratio (2n+1)/(2e+1): 0 (3/7), 3 (5/5),
	 * 1 (9/3), 4 (7/1), 2 (9/1). With min_share .2 (4 rows) category 4
	 * (3 rows) must join a neighbour; joining 2 gives the higher IV.
	 */
	const int ev[5] = { 3, 1, 0, 2, 0 }, non[5] = { 1, 4, 4, 2, 3 };
	float x[20], y[20];
	int r = 0;
	for (int c = 0; c < 5; c++)
		for (int k = 0; k < ev[c] + non[c]; k++, r++) {
			x[r] = (float)c;
			y[r] = k < ev[c] ? 1.0f : 0.0f;
		}
	assert_int_equal(r, 20);
	ds_dataset *d = one_feature(x, y, 20, true, 6);
	struct ds_binning_opts o = { 0.2, 0, 0 };
	struct ds_binning b;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_OK);
	assert_int_equal(b.nbins, 4);
	assert_true(b.bins[0].cats == (1u << 0));
	assert_true(b.bins[1].cats == (1u << 3));
	assert_true(b.bins[2].cats == (1u << 1));
	assert_true(b.bins[3].cats == ((1u << 2) | (1u << 4)));
	assert_int_equal(b.bins[3].n_event, 0);
	assert_int_equal(b.bins[3].n_non, 7);
	/*
	 * K = 4: totals non 14 + 2 = 16, events 6 + 2 = 8.
	 *   {0}   3E 1N: non 1.5/16 = .09375, ev 3.5/8 = .4375,
	 *               WOE ln(.214286) = -1.540445, term -.34375 * -1.540445 = .529528
	 *   {3}   2E 2N: non 2.5/16 = .15625, ev 2.5/8 = .3125,
	 *               WOE ln(.5) = -.693147, term -.15625 * -.693147 = .108304
	 *   {1}   1E 4N: non 4.5/16 = .28125, ev 1.5/8 = .1875,
	 *               WOE ln(1.5) = .405465, term .09375 * .405465 = .038012
	 *   {2,4} 0E 7N: non 7.5/16 = .46875, ev .5/8 = .0625,
	 *               WOE ln(7.5) = 2.014903, term .40625 * 2.014903 = .818554
	 *   IV = 1.494399
	 */
	assert_float_equal(b.bins[0].woe, -1.540445, EPS);
	assert_float_equal(b.bins[1].woe, -0.693147, EPS);
	assert_float_equal(b.bins[2].woe, 0.405465, EPS);
	assert_float_equal(b.bins[3].woe, 2.014903, EPS);
	assert_float_equal(b.iv, 1.494399, EPS);
	assert_monotone(&b, +1);
	for (int c = 0; c < 5; c++)
		assert_int_equal(ds_binning_find(&b, (float)c), c == 0   ? 0
		                                                : c == 3 ? 1
		                                                : c == 1 ? 2
		                                                         : 3);
	/* unseen category 5, or no category at all: the WOE nearest 0 is
	 * {1}'s .405465 */
	assert_int_equal(ds_binning_find(&b, 5), 2);
	assert_int_equal(ds_binning_find(&b, -1), 2);
	assert_int_equal(ds_binning_find(&b, 63), 2);
	assert_int_equal(ds_binning_find(&b, 1.5f), 2);
	assert_int_equal(ds_binning_find(&b, NAN), 2);
	/* the monotone field is for numeric features only */
	d->feat[0].monotone = -1;
	struct ds_binning b2;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b2, NULL), DS_OK);
	assert_same_binning(&b, &b2);

	/* a value that is no category is refused, naming the feature */
	d->x[7] = 6;
	struct ds_diag diag;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, &diag), DS_EINVAL);
	assert_string_equal(diag.field, "x");
	ds_dataset_free(d);
}

static void fine_classes_at_quantiles(void **state)
{
	(void)state;
	/*
	 * 40 distinct values 1..40, prebins 4: classes of 10 rows, cut after
	 * the 10th, 20th and 30th value, with 10, 6, 3 and 0 events. Each
	 * class is its own bin (the WOE rises class by class).
	 */
	float x[40], y[40];
	const int ev[4] = { 10, 6, 3, 0 };
	for (int i = 0; i < 40; i++) {
		x[i] = (float)(i + 1);
		y[i] = i % 10 < ev[i / 10] ? 1.0f : 0.0f;
	}
	ds_dataset *d = one_feature(x, y, 40, false, 0);
	struct ds_binning_opts o = { 0, 0, 4 };
	struct ds_binning b;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_OK);
	assert_int_equal(b.nbins, 4);
	assert_true(b.bins[0].hi == 11 && b.bins[1].hi == 21 && b.bins[2].hi == 31);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(b.bins[i].n_event, ev[i]);
		assert_int_equal(b.bins[i].n_non, 10 - ev[i]);
	}
	ds_dataset_free(d);

	/*
	 * Ties: ten rows of 0, then 1..10 once each; quantile cuts at 5, 10
	 * and 15 rows. The first two fall inside the run of zeros, which stays
	 * whole: classes {0} (10 rows), {1..5}, {6..10}, with 8, 2 and 0
	 * events.
	 */
	float tx[20], ty[20];
	for (int i = 0; i < 20; i++) {
		tx[i] = i < 10 ? 0.0f : (float)(i - 9);
		ty[i] = i < 10 ? (i < 8 ? 1.0f : 0.0f) : i < 15 ? (i < 12 ? 1.0f : 0.0f) : 0.0f;
	}
	d = one_feature(tx, ty, 20, false, 0);
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_OK);
	assert_int_equal(b.nbins, 3);
	assert_true(b.bins[0].hi == 1 && b.bins[1].hi == 6);
	assert_int_equal(b.bins[0].n_event + b.bins[0].n_non, 10);
	assert_int_equal(b.bins[0].n_event, 8);
	assert_int_equal(b.bins[1].n_event, 2);
	assert_int_equal(b.bins[2].n_event, 0);
	ds_dataset_free(d);
}

/* ------------------------------------------------------- rows, repetition */

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* 600 rows: a noisy falling trend in x with 60 distinct values, some
 * missing values and some unlabelled rows. */
static ds_dataset *noisy(uint64_t seed)
{
	enum { N = 600 };
	static float x[N], y[N];
	for (int i = 0; i < N; i++) {
		int v = (int)(lcg(&seed) % 60);
		x[i] = lcg(&seed) % 17 == 0 ? NAN : (float)v * 0.5f;
		y[i] = lcg(&seed) % 100 < (uint64_t)(60 - v / 2 - 10) ? 1.0f : 0.0f;
		if (lcg(&seed) % 31 == 0)
			y[i] = NAN;
	}
	return one_feature(x, y, N, false, 0);
}

static void rows_null_equals_all_rows(void **state)
{
	(void)state;
	ds_dataset *d = noisy(7);
	long *all = malloc((size_t)d->nrows * sizeof *all);
	assert_non_null(all);
	for (long r = 0; r < d->nrows; r++)
		all[r] = r;
	struct ds_binning a, b;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, NULL, &a, NULL), DS_OK);
	assert_int_equal(ds_binning_fit(d, all, d->nrows, 0, NULL, &b, NULL), DS_OK);
	assert_true(a.nbins >= 3);
	assert_true(a.bins[a.nbins - 1].missing);
	assert_same_binning(&a, &b);
	/* nrows is ignored when rows is NULL */
	assert_int_equal(ds_binning_fit(d, NULL, 3, 0, NULL, &b, NULL), DS_OK);
	assert_same_binning(&a, &b);
	/* the order of the listed rows does not matter */
	uint64_t s = 99;
	for (long r = d->nrows - 1; r > 0; r--) {
		long k = (long)(lcg(&s) % (uint64_t)(r + 1)), t = all[r];
		all[r] = all[k];
		all[k] = t;
	}
	assert_int_equal(ds_binning_fit(d, all, d->nrows, 0, NULL, &b, NULL), DS_OK);
	assert_same_binning(&a, &b);
	free(all);
	ds_dataset_free(d);
}

static void deterministic(void **state)
{
	(void)state;
	ds_dataset *d = noisy(11);
	struct ds_binning a, b;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, NULL, &a, NULL), DS_OK);
	for (int i = 0; i < 5; i++) {
		memset(&b, 0xa5, sizeof b);
		assert_int_equal(ds_binning_fit(d, NULL, 0, 0, NULL, &b, NULL), DS_OK);
		assert_same_binning(&a, &b);
	}
	/* and the constraints hold: share, count, order, bounds (the noisy
	 * data has missing values, so the last bin is the missing one) */
	assert_true(a.bins[a.nbins - 1].missing);
	long counted = 0;
	for (int i = 0; i < a.nbins; i++)
		counted += a.bins[i].n_event + a.bins[i].n_non;
	assert_true(a.nbins - 1 <= 8);
	for (int i = 0; i + 1 < a.nbins; i++)
		assert_true((double)(a.bins[i].n_event + a.bins[i].n_non) >=
		            0.05 * (double)counted);
	assert_true(a.bins[0].lo == -INFINITY && a.bins[a.nbins - 2].hi == INFINITY);
	for (int i = 0; i + 2 < a.nbins; i++)
		assert_true(a.bins[i].hi == a.bins[i + 1].lo && a.bins[i].lo < a.bins[i].hi);
	ds_dataset_free(d);
}

/* ------------------------------------------------- exhaustive cross-check */

/* Smoothed WOE term as documented in lib/model/binning.c, restated. */
static double iv_term(long e, long n, long te, long tn, int k)
{
	double sn = (n + 0.5) / (tn + 0.5 * k), se = (e + 0.5) / (te + 0.5 * k);
	return (sn - se) * log(sn / se);
}

static double ratio(long e, long n)
{
	return (2.0 * n + 1) / (2.0 * e + 1);
}

/* Best IV over every partition of the classes (brute force, 2^(n-1)). */
static double brute_iv(const long *ce, const long *cn, int n, long me, long mn, bool missing,
                       double min_share, int max_bins, int monotone)
{
	long te = me, tn = mn;
	for (int i = 0; i < n; i++) {
		te += ce[i];
		tn += cn[i];
	}
	double best = -1;
	for (unsigned mask = 0; mask < 1u << (n - 1); mask++) {
		long ge[16], gn[16];
		int g = 0;
		ge[0] = gn[0] = 0;
		for (int i = 0; i < n; i++) {
			ge[g] += ce[i];
			gn[g] += cn[i];
			if (i + 1 < n && (mask >> i & 1)) {
				g++;
				ge[g] = gn[g] = 0;
			}
		}
		g++;
		if (g > max_bins)
			continue;
		bool ok = true;
		for (int i = 0; i < g; i++)
			ok &= (double)(ge[i] + gn[i]) + 1e-6 >= min_share * (double)(te + tn);
		bool up = true, down = true;
		for (int i = 0; i + 1 < g; i++) {
			up &= ratio(ge[i + 1], gn[i + 1]) > ratio(ge[i], gn[i]);
			down &= ratio(ge[i + 1], gn[i + 1]) < ratio(ge[i], gn[i]);
		}
		ok &= monotone > 0 ? down : monotone < 0 ? up : up || down;
		if (!ok)
			continue;
		int k = g + missing;
		double iv = missing ? iv_term(me, mn, te, tn, k) : 0;
		for (int i = 0; i < g; i++)
			iv += iv_term(ge[i], gn[i], te, tn, k);
		if (iv > best)
			best = iv;
	}
	return best;
}

static void optimal_against_brute_force(void **state)
{
	(void)state;
	uint64_t s = 2024;
	const double shares[4] = { 0.02, 0.1, 0.2, 0.3 };
	const int maxb[4] = { 2, 3, 4, 8 };
	for (int trial = 0; trial < 300; trial++) {
		int nv = 2 + (int)(lcg(&s) % 10), nr = 10 + (int)(lcg(&s) % 80);
		int slope = (int)(lcg(&s) % 5) - 2;
		float x[100], y[100];
		long ce[12] = { 0 }, cn[12] = { 0 }, me = 0, mn = 0;
		bool missing = false;
		for (int r = 0; r < nr; r++) {
			int v = (int)(lcg(&s) % (uint64_t)nv);
			int p = 50 + slope * (v * 40 / nv - 20) / 2 + (int)(lcg(&s) % 41) - 20;
			y[r] = (int)(lcg(&s) % 100) < p ? 1.0f : 0.0f;
			x[r] = lcg(&s) % 13 == 0 ? NAN : (float)v * 1.5f;
			if (isnan(x[r])) {
				missing = true;
				me += y[r] > 0.5f;
				mn += y[r] <= 0.5f;
			} else {
				ce[v] += y[r] > 0.5f;
				cn[v] += y[r] <= 0.5f;
			}
		}
		/* compact the values that occurred into classes in value order */
		int n = 0;
		for (int v = 0; v < nv; v++)
			if (ce[v] + cn[v]) {
				ce[n] = ce[v];
				cn[n] = cn[v];
				n++;
			}
		if (n < 1)
			continue;
		ds_dataset *d = one_feature(x, y, nr, false, 0);
		d->feat[0].monotone = (int)(lcg(&s) % 3) - 1;
		struct ds_binning_opts o = { shares[trial % 4], maxb[(trial / 4) % 4], 0 };
		struct ds_binning b;
		assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_OK);
		double want = brute_iv(ce, cn, n, me, mn, missing, o.min_share, o.max_bins,
		                       d->feat[0].monotone);
		if (want < 0) /* nothing qualifies: a single bin */
			assert_int_equal(b.nbins, 1 + missing);
		else
			assert_float_equal(b.iv, want, 1e-9);
		ds_dataset_free(d);
	}
}

/* ---------------------------------------------------------------- errors */

static void errors_name_the_feature(void **state)
{
	(void)state;
	ds_dataset *d = three_groups();
	struct ds_binning b;
	struct ds_diag diag;

	assert_int_equal(ds_binning_fit(d, NULL, 0, 1, NULL, &b, &diag), DS_EINVAL);
	assert_non_null(strstr(diag.field, "1"));
	assert_int_equal(ds_binning_fit(d, NULL, 0, -1, NULL, &b, &diag), DS_EINVAL);

	/* no labelled rows among those given */
	long none[1] = { 0 };
	assert_int_equal(ds_binning_fit(d, none, 0, 0, NULL, &b, &diag), DS_EINVAL);
	assert_string_equal(diag.field, "x");
	float keep = d->y[0];
	d->y[0] = NAN;
	assert_int_equal(ds_binning_fit(d, none, 1, 0, NULL, &b, &diag), DS_EINVAL);
	assert_string_equal(diag.field, "x");
	d->y[0] = keep;

	/* a row that is not in the dataset */
	long bad[2] = { 0, G3_N };
	assert_int_equal(ds_binning_fit(d, bad, 2, 0, NULL, &b, &diag), DS_EINVAL);
	assert_string_equal(diag.field, "x");

	/* options out of range; a diag may be NULL */
	struct ds_binning_opts o = { -0.1, 0, 0 };
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_EINVAL);
	o = (struct ds_binning_opts){ 0, -3, 0 };
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_EINVAL);
	/* max_bins over DS_MAX_BINS is clamped, not refused */
	o = (struct ds_binning_opts){ 0.01, 1000, 1000 };
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, &o, &b, NULL), DS_OK);
	assert_true(b.nbins <= DS_MAX_BINS);

	float *y = d->y;
	d->y = NULL;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, NULL, &b, &diag), DS_EINVAL);
	assert_string_equal(diag.field, "x");
	d->y = y;
	ds_dataset_free(d);
}

static void out_of_memory(void **state)
{
	(void)state;
	ds_dataset *d = noisy(3);
	struct ds_binning want, b;
	assert_int_equal(ds_binning_fit(d, NULL, 0, 0, NULL, &want, NULL), DS_OK);
	/* every allocation in turn fails: an error, never a crash or a leak */
	for (long n = 0;; n++) {
		struct ds_diag diag;
		ds_alloc_fail_after(n);
		ds_err err = ds_binning_fit(d, NULL, 0, 0, NULL, &b, &diag);
		ds_alloc_fail_after(-1);
		if (err == DS_OK) {
			assert_same_binning(&want, &b);
			break;
		}
		assert_int_equal(err, DS_ENOMEM);
		assert_string_equal(diag.field, "x");
		assert_int_equal(b.nbins, 0);
	}
	ds_dataset_free(d);
}

/* ---------------------------------------------------------- German credit */

static void german_credit(void **state)
{
	(void)state;
	const char *dir = getenv("DS_TEST_DATA");
	char path[1024];
	snprintf(path, sizeof path, "%s/../../../shared/data/credit/german-credit.csv",
	         dir ? dir : "tests/data");
	FILE *fp = fopen(path, "r");
	if (!fp)
		skip();
	fclose(fp);
	struct ds_csv_opts co = { "class", "bad", NULL, NULL };
	struct ds_diag diag;
	ds_dataset *d = NULL;
	assert_int_equal(ds_dataset_read_csv(path, &co, &d, &diag), DS_OK);
	double iv[3] = { NAN, NAN, NAN };
	const char *names[3] = { "checking_status", "credit_history", "duration" };
	for (int f = 0; f < d->nfeat; f++) {
		struct ds_binning b;
		assert_int_equal(ds_binning_fit(d, NULL, 0, f, NULL, &b, &diag), DS_OK);
		assert_true(b.iv >= 0);
		for (int i = 0; i < 3; i++)
			if (strcmp(d->feat[f].name, names[i]) == 0)
				iv[i] = b.iv;
		print_message("IV %-24s %.4f (%d bins)\n", d->feat[f].name, b.iv, b.nbins);
	}
	/* published for raw categories: checking_status .666; min_share
	 * merging may take a little off */
	assert_true(iv[0] > 0.55 && iv[0] < 0.666 + 0.05);
	assert_true(iv[1] > 0.2);
	assert_true(iv[2] > 0.1);
	ds_dataset_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(woe_and_iv_by_hand),
		cmocka_unit_test(find_at_cut_points),
		cmocka_unit_test(min_share_respected),
		cmocka_unit_test(monotone_direction),
		cmocka_unit_test(missing_bin),
		cmocka_unit_test(categorical_groups),
		cmocka_unit_test(fine_classes_at_quantiles),
		cmocka_unit_test(rows_null_equals_all_rows),
		cmocka_unit_test(deterministic),
		cmocka_unit_test(optimal_against_brute_force),
		cmocka_unit_test(errors_name_the_feature),
		cmocka_unit_test(out_of_memory),
		cmocka_unit_test(german_credit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of uplift: the Qini curve on a case worked by hand, the
 * learners on data whose effects are known, and the chance of a complaint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "doorstep/model.h"

static void qini_by_hand(void **state)
{
	(void)state;
	/* ranked first: a treated row that paid; nobody else paid */
	const double score[4] = { 4, 3, 2, 1 };
	const float y[4] = { 1, 0, 0, 0 };
	const bool treated[4] = { true, false, true, false };
	struct ds_qini q;
	struct ds_diag d;
	assert_int_equal(ds_uplift_qini(score, y, treated, 4, &q, &d), DS_OK);
	/* Q(k) = 1 for every k against the line k/4: area 0.75 + 0.5 + 0.25,
	 * per row and per treated row */
	assert_true(fabs(q.qini - 0.1875) < 1e-12);
	assert_true(fabs(q.uplift_all - 0.5) < 1e-12);
	assert_int_equal(q.treated, 2);
	assert_int_equal(q.control, 2);
	/* the opposite ranking, the opposite area */
	const double back[4] = { 1, 2, 3, 4 };
	assert_int_equal(ds_uplift_qini(back, y, treated, 4, &q, &d), DS_OK);
	assert_true(fabs(q.qini + 0.1875) < 1e-12);
	const bool none[4] = { false, false, false, false };
	assert_int_equal(ds_uplift_qini(score, y, none, 4, &q, &d), DS_EINVAL);
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/*
 * 16,000 rows: a visit adds 0.4 x seg to the share paid, an SMS 0.05 for
 * everyone; visits are given more often to high seg (confounded), SMS at
 * random. Overdue 200 yuan, so the visit's uplift is 80 x seg yuan.
 */
static void learners_recover_known_effects(void **state)
{
	(void)state;
	long n = 16000;
	ds_dataset *d;
	assert_int_equal(ds_dataset_new(3, n, true, &d), DS_OK);
	ds_strlcpy(d->feat[0].name, "overdue_yuan", sizeof d->feat[0].name);
	ds_strlcpy(d->feat[1].name, "seg", sizeof d->feat[1].name);
	ds_strlcpy(d->feat[2].name, "noise", sizeof d->feat[2].name);
	struct ds_uplift_set s = { .d = d,
		                   .treatment = malloc((size_t)n),
		                   .complaint = calloc((size_t)n, 1),
		                   .horizon = 30 };
	assert_non_null(s.treatment);
	assert_non_null(s.complaint);
	for (long r = 0; r < n; r++) {
		double seg = uniform();
		d->x[r * 3 + 0] = 200;
		d->x[r * 3 + 1] = (float)seg;
		d->x[r * 3 + 2] = (float)uniform();
		double u = uniform();
		int t = u < 0.1 + 0.3 * seg ? DS_T_VISIT : u < 0.6 ? DS_T_NONE : DS_T_SMS;
		s.treatment[r] = (uint8_t)t;
		double p = 0.2 + 0.1 * seg + (t == DS_T_VISIT ? 0.4 * seg : 0) +
		           (t == DS_T_SMS ? 0.05 : 0);
		d->y[r] = uniform() < p ? 1.0f : 0.0f;
	}
	struct ds_train_opts o;
	ds_train_opts_default(DS_MODEL_TREES, &o);
	struct ds_uplift *u;
	struct ds_diag diag;
	assert_int_equal(ds_uplift_train(&s, NULL, 0, &o, &u, &diag), DS_OK);
	assert_non_null(u->outcome[DS_T_VISIT]);
	assert_non_null(u->outcome[DS_T_SMS]);
	assert_null(u->outcome[DS_T_LETTER]); /* never given */
	/* each arm's outcome variance, as the plan's caution reads it */
	for (int k = 0; k < DS_T_COUNT; k++) {
		double sum = 0, sq = 0;
		long cnt = 0;
		for (long r = 0; r < n; r++)
			if (s.treatment[r] == k) {
				sum += d->y[r];
				sq += d->y[r] * d->y[r];
				cnt++;
			}
		assert_int_equal(u->rows[k], cnt);
		double var = cnt > 1 ? (sq - sum * sum / (double)cnt) / (double)(cnt - 1) : 0;
		assert_true(fabs(u->y_var[k] - var) < 1e-9);
		/* y is 0 or 1: the variance is p (1 - p) and p is 0.2-0.6 */
		assert_true(cnt == 0 || (var > 0.15 && var < 0.26));
	}
	/* a plan's training: the same T-learner, no X-learner or transformed
	 * outcome */
	struct ds_uplift *pu;
	s.plan_only = true;
	assert_int_equal(ds_uplift_train(&s, NULL, 0, &o, &pu, &diag), DS_OK);
	s.plan_only = false;
	assert_non_null(pu->outcome[DS_T_VISIT]);
	assert_null(pu->effect_treated[DS_T_VISIT]);
	assert_null(pu->transformed[DS_T_VISIT]);
	assert_non_null(u->effect_treated[DS_T_VISIT]);
	assert_non_null(u->transformed[DS_T_VISIT]);
	assert_int_equal(pu->rows[DS_T_VISIT], u->rows[DS_T_VISIT]);
	/* fresh rows to predict on */
	ds_dataset *t;
	long m = 2000;
	assert_int_equal(ds_dataset_new(3, m, false, &t), DS_OK);
	memcpy(t->feat, d->feat, 3 * sizeof *t->feat);
	for (long r = 0; r < m; r++) {
		t->x[r * 3 + 0] = 200;
		t->x[r * 3 + 1] = (float)((double)r / (double)m);
		t->x[r * 3 + 2] = (float)uniform();
	}
	double *est = malloc((size_t)m * DS_T_COUNT * sizeof *est);
	assert_non_null(est);
	for (int l = 0; l < DS_UPLIFT_LEARNERS; l++) {
		assert_int_equal(
		        ds_uplift_predict(u, t, NULL, 0, (enum ds_uplift_learner)l, est, &diag),
		        DS_OK);
		double sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0, sms = 0;
		for (long r = 0; r < m; r++) {
			double x = est[r * DS_T_COUNT + DS_T_VISIT], y = 80.0 * r / m;
			assert_true(est[r * DS_T_COUNT + DS_T_NONE] == 0);
			assert_true(isnan(est[r * DS_T_COUNT + DS_T_LETTER]));
			sx += x, sy += y, sxy += x * y, sxx += x * x, syy += y * y;
			sms += est[r * DS_T_COUNT + DS_T_SMS];
		}
		double cov = sxy / m - sx / m * sy / m;
		double corr = cov / sqrt((sxx / m - sx / m * sx / m) * (syy / m - sy / m * sy / m));
		print_message("%s: visit correlation %.3f, mean %.1f (true 40); sms mean %.1f "
		              "(true 10)\n",
		              ds_uplift_learner_name((enum ds_uplift_learner)l), corr, sx / m,
		              sms / m);
		/* the transformed outcome is the noisier baseline */
		assert_true(corr > (l == DS_UPLIFT_TRANSFORMED ? 0.8 : 0.85));
		assert_true(fabs(sx / m - 40) < 5);
		assert_true(fabs(sms / m - 10) < 5);
	}
	/* the plan's T-learner predicts as the full training's */
	double *pest = malloc((size_t)m * DS_T_COUNT * sizeof *pest);
	assert_non_null(pest);
	assert_int_equal(ds_uplift_predict(u, t, NULL, 0, DS_UPLIFT_T_LEARNER, est, &diag), DS_OK);
	assert_int_equal(ds_uplift_predict(pu, t, NULL, 0, DS_UPLIFT_T_LEARNER, pest, &diag),
	                 DS_OK);
	for (long r = 0; r < m; r++)
		assert_true(fabs(est[r * DS_T_COUNT + DS_T_VISIT] -
		                 pest[r * DS_T_COUNT + DS_T_VISIT]) < 1e-9);
	free(pest);
	ds_uplift_free(pu);
	free(est);
	ds_dataset_free(t);
	ds_uplift_free(u);
	ds_dataset_free(d);
	free(s.treatment);
	free(s.complaint);
}

/*
 * Complaints: a letter draws them 10 times as often as an SMS, hostile
 * borrowers (a fifth) 6 times as often as the others. The rates per
 * treatment are the counts pulled towards the rate of all contacts by
 * DS_HARM_PRIOR_ROWS rows, and the classifier tells the hostile apart.
 */
static void complaint_chance(void **state)
{
	(void)state;
	long n = 30000;
	ds_dataset *d;
	assert_int_equal(ds_dataset_new(2, n, true, &d), DS_OK);
	ds_strlcpy(d->feat[0].name, "overdue_yuan", sizeof d->feat[0].name);
	ds_strlcpy(d->feat[1].name, "hostile", sizeof d->feat[1].name);
	struct ds_uplift_set s = { .d = d,
		                   .treatment = malloc((size_t)n),
		                   .complaint = calloc((size_t)n, 1),
		                   .horizon = 30 };
	assert_non_null(s.treatment);
	assert_non_null(s.complaint);
	long rows[DS_T_COUNT] = { 0 }, complaints[DS_T_COUNT] = { 0 };
	for (long r = 0; r < n; r++) {
		bool hostile = uniform() < 0.2;
		d->x[r * 2 + 0] = 500;
		d->x[r * 2 + 1] = hostile;
		int t = r % 5 == 0 ? DS_T_NONE : r % 5 == 1 ? DS_T_LETTER : DS_T_SMS;
		s.treatment[r] = (uint8_t)t;
		double p = (t == DS_T_LETTER ? 0.02
		            : t == DS_T_SMS  ? 0.002
		                             : 0) *
		           (hostile ? 6 : 1);
		s.complaint[r] = uniform() < p;
		d->y[r] = 0.3f;
		rows[t]++;
		complaints[t] += s.complaint[r];
	}
	struct ds_train_opts o;
	ds_train_opts_default(DS_MODEL_TREES, &o);
	struct ds_uplift *u;
	struct ds_diag diag;
	assert_int_equal(ds_uplift_train(&s, NULL, 0, &o, &u, &diag), DS_OK);
	double all = (double)(complaints[DS_T_SMS] + complaints[DS_T_LETTER]) /
	             (double)(rows[DS_T_SMS] + rows[DS_T_LETTER]);
	for (int t = DS_T_SMS; t < DS_T_COUNT; t++) {
		assert_int_equal(u->complaints[t], complaints[t]);
		double want = ((double)complaints[t] + DS_HARM_PRIOR_ROWS * all) /
		              ((double)rows[t] + DS_HARM_PRIOR_ROWS);
		assert_true(fabs(u->harm_rate[t] - want) < 1e-12);
	}
	/* a treatment never given falls back on the rate of all contacts */
	assert_true(fabs(u->harm_rate[DS_T_VISIT] - all) < 1e-12);
	assert_true(u->harm_rate[DS_T_LETTER] > 5 * u->harm_rate[DS_T_SMS]);
	assert_non_null(u->harm);
	/* two fresh rows: calm and hostile */
	ds_dataset *t;
	assert_int_equal(ds_dataset_new(2, 2, false, &t), DS_OK);
	memcpy(t->feat, d->feat, 2 * sizeof *t->feat);
	t->x[0] = t->x[2] = 500;
	t->x[1] = 0;
	t->x[3] = 1;
	double h[2 * DS_T_COUNT];
	assert_int_equal(ds_uplift_harm(u, t, NULL, 0, h, &diag), DS_OK);
	double calm = h[DS_T_LETTER], hostile = h[DS_T_COUNT + DS_T_LETTER];
	print_message("letter: %.4f calm (true 0.02), %.4f hostile (true 0.12)\n", calm, hostile);
	assert_true(h[DS_T_NONE] == 0 && h[DS_T_COUNT + DS_T_NONE] == 0);
	assert_true(hostile > 3 * calm);
	assert_true(calm > 0.01 && calm < 0.03);
	assert_true(hostile > 0.07 && hostile < 0.17);
	ds_dataset_free(t);
	ds_uplift_free(u);
	ds_dataset_free(d);
	free(s.treatment);
	free(s.complaint);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(qini_by_hand),
		cmocka_unit_test(learners_recover_known_effects),
		cmocka_unit_test(complaint_chance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

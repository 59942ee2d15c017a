/* Unit tests of the optimiser: feasibility, the bound against GLPK's LP
 * optimum, a case worked by hand, bad problems. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "doorstep/strategy.h"

static uint64_t rng = 88172645463325252ull;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* A day like the real one: accounts in communities, each with an SMS, a
 * call, maybe a visit of its community and a plan offer by phone. */
static struct ds_opt_option *random_problem(long nacc, int ncomm, struct ds_opt_problem *p,
                                            double *cap)
{
	struct ds_opt_option *o = malloc((size_t)nacc * 5 * sizeof *o);
	assert_non_null(o);
	long n = 0;
	int nres = ncomm + 3; /* communities, call minutes, SMS, letters */
	for (long i = 0; i < nacc; i++) {
		int comm = (int)(uniform() * ncomm);
		double size = 500 + 20000 * uniform() * uniform();
		o[n++] = (struct ds_opt_option){ (uint32_t)i, (uint32_t)(ncomm + 1), 1, DS_T_SMS,
			                         size * 0.01 * uniform() - 5 };
		o[n++] = (struct ds_opt_option){ (uint32_t)i, (uint32_t)ncomm,
			                         (float)(3 + 4 * uniform()), DS_T_CALL,
			                         size * 0.05 * uniform() - 100 };
		if (uniform() < 0.7)
			o[n++] = (struct ds_opt_option){ (uint32_t)i, (uint32_t)comm,
				                         (float)(0.5 + uniform()), DS_T_VISIT,
				                         size * 0.25 * uniform() - 1500 };
		if (uniform() < 0.3)
			o[n++] = (struct ds_opt_option){ (uint32_t)i, (uint32_t)ncomm,
				                         (float)(8 + 8 * uniform()), DS_T_PLAN,
				                         size * 0.12 * uniform() - 300 };
		if (uniform() < 0.2)
			o[n++] =
			        (struct ds_opt_option){ (uint32_t)i, (uint32_t)(ncomm + 2), 1,
				                        DS_T_LETTER, size * 0.02 * uniform() - 50 };
	}
	for (int c = 0; c < ncomm; c++)
		cap[c] = (double)nacc / ncomm * 0.05 * (0.5 + uniform());
	cap[ncomm] = (double)nacc * 0.3;      /* call minutes */
	cap[ncomm + 1] = (double)nacc * 0.2;  /* SMS */
	cap[ncomm + 2] = (double)nacc * 0.01; /* letters */
	*p = (struct ds_opt_problem){ nacc, o, n, cap, nres };
	return o;
}

/* The plan keeps every capacity and takes at most one option per account. */
static double check_plan(const struct ds_opt_problem *p, const long *choice)
{
	double *used = calloc((size_t)p->nresources, sizeof *used);
	assert_non_null(used);
	double v = 0;
	for (long i = 0; i < p->naccounts; i++) {
		if (choice[i] < 0)
			continue;
		assert_true(choice[i] < p->nopt);
		const struct ds_opt_option *o = &p->opt[choice[i]];
		assert_int_equal(o->account, i);
		assert_true(o->value > 0);
		used[o->resource] += o->use;
		v += o->value;
	}
	for (int r = 0; r < p->nresources; r++)
		assert_true(used[r] <= p->capacity[r] + 1e-6);
	free(used);
	return v;
}

static void against_glpk(void **state)
{
	(void)state;
	for (int trial = 0; trial < 12; trial++) {
		double cap[64];
		struct ds_opt_problem p;
		long nacc = 50 + trial * 150;
		struct ds_opt_option *o = random_problem(nacc, 1 + trial % 7, &p, cap);
		long *choice = malloc((size_t)nacc * sizeof *choice);
		struct ds_opt_result r;
		struct ds_diag d;
		assert_int_equal(ds_optimise(&p, choice, NULL, &r, &d), DS_OK);
		double v = check_plan(&p, choice);
		assert_true(fabs(v - r.value) <= 1e-6 * fmax(1, v));
		double lp;
		assert_int_equal(ds_optimise_lp(&p, &lp, NULL, &d), DS_OK);
		/* the plan is integral, so worth at most the LP optimum; the bound
		 * is at least the LP optimum, and close to it */
		assert_true(r.value <= lp + 1e-6 * fmax(1, lp));
		assert_true(r.bound >= lp - 1e-6 * fmax(1, lp));
		assert_true(r.bound <= lp * 1.001 + 1e-6);
		assert_true(r.gap >= 0 && r.gap < (nacc >= 1000 ? 0.03 : 0.3));
		free(o);
		free(choice);
	}
}

/* Two accounts, one visit slot: the visit goes where it is worth most,
 * the other account gets its call. */
static void by_hand(void **state)
{
	(void)state;
	const struct ds_opt_option o[] = {
		{ 0, 0, 1, DS_T_VISIT, 100 }, { 0, 1, 1, DS_T_CALL, 60 },
		{ 1, 0, 1, DS_T_VISIT, 90 },  { 1, 1, 1, DS_T_CALL, 10 },
		{ 2, 1, 1, DS_T_CALL, -5 },
	};
	const double cap[] = { 1, 5 };
	struct ds_opt_problem p = { 3, o, 5, cap, 2 };
	long choice[3];
	double price[2];
	struct ds_opt_result r;
	struct ds_diag d;
	assert_int_equal(ds_optimise(&p, choice, price, &r, &d), DS_OK);
	/* visiting account 1 instead of 0 gains 80 against 40: 0 calls, 1 visits */
	assert_int_equal(choice[0], 1);
	assert_int_equal(choice[1], 2);
	assert_int_equal(choice[2], -1);
	assert_true(fabs(r.value - 150) < 1e-9);
	double lp;
	assert_int_equal(ds_optimise_lp(&p, &lp, NULL, &d), DS_OK);
	assert_true(fabs(lp - 150) < 1e-9);
	assert_true(fabs(r.bound - 150) < 1e-9);
	assert_true(r.gap < 1e-12);
	/* the visit slot is worth what the second-best use of it gains */
	assert_true(fabs(price[0] - 40) < 1e-9);
	assert_true(fabs(price[1]) < 1e-9);
	/* no capacity at all: nothing is chosen */
	const double none[] = { 0, 0 };
	p.capacity = none;
	assert_int_equal(ds_optimise(&p, choice, NULL, &r, &d), DS_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(choice[i], -1);
	assert_true(r.value == 0 && r.bound < 1e-9);
}

static void bad_problems(void **state)
{
	(void)state;
	struct ds_opt_option o[] = { { 1, 0, 1, DS_T_CALL, 5 }, { 0, 0, 1, DS_T_CALL, 5 } };
	const double cap[] = { 1 };
	struct ds_opt_problem p = { 2, o, 2, cap, 1 };
	long choice[2];
	struct ds_opt_result r;
	struct ds_diag d;
	assert_int_equal(ds_optimise(&p, choice, NULL, &r, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "account order"));
	o[0].account = 0;
	o[1].resource = 3;
	assert_int_equal(ds_optimise(&p, choice, NULL, &r, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "option 1: its resource is out of range"));
	o[1].resource = 0;
	o[1].use = 0;
	assert_int_equal(ds_optimise(&p, choice, NULL, &r, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "positive"));
	o[1].use = 1;
	const double neg[] = { -1 };
	p.capacity = neg;
	assert_int_equal(ds_optimise(&p, choice, NULL, &r, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "resource 0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(by_hand),
		cmocka_unit_test(against_glpk),
		cmocka_unit_test(bad_problems),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

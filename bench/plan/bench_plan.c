/*
 * Optimiser benchmark: one day's plan for ACCOUNTS accounts (default
 * 1,000,000) in COMMUNITIES communities (default 500), each community with
 * its visit team-hours, and the call centre's minutes, the SMS budget and
 * the letters shared; every account with an SMS, a call, usually a visit of
 * its community, sometimes a plan offer by phone and a letter, valued like
 * a city's overdue book (docs/strategy.md). Prints, as JSON, the size, the
 * seconds of ds_optimise, the plan's value, the Lagrangian bound and the
 * gap to it; and, as the exact reference in the same run, GLPK's LP optimum
 * of a smaller day made the same way (REF_ACCOUNTS accounts, default
 * 20,000, in as many communities as keep their size), against ds_optimise
 * on that day.
 *
 *     bench_plan [ACCOUNTS [COMMUNITIES [REF_ACCOUNTS [SEED]]]]
 */
#include "doorstep/strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t rng;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Resources: communities 0 .. c-1, then call minutes, SMS, letters. */
static long make(long nacc, int ncomm, struct ds_opt_option *o, double *cap)
{
	long n = 0;
	for (long i = 0; i < nacc; i++) {
		int comm = (int)(uniform() * ncomm);
		/* overdue amounts: mostly small, a long tail (fen) */
		double overdue = 50000 + 2000000 * uniform() * uniform() * uniform();
		double p_pay = 0.05 + 0.4 * uniform(); /* chance to pay anyway */
		double lift = 1 - p_pay;
		o[n++] = (struct ds_opt_option){ (uint32_t)i, (uint32_t)(ncomm + 1), 1, DS_T_SMS,
			                         overdue * lift * 0.01 * uniform() - 10 };
		o[n++] = (struct ds_opt_option){ (uint32_t)i, (uint32_t)ncomm,
			                         (float)(3 + 5 * uniform()), DS_T_CALL,
			                         overdue * lift * 0.04 * uniform() - 300 };
		if (uniform() < 0.8)
			o[n++] = (struct ds_opt_option){
				(uint32_t)i, (uint32_t)comm, (float)(0.75 + 0.75 * uniform()),
				DS_T_VISIT, overdue * lift * 0.15 * uniform() - 12000
			};
		if (uniform() < 0.3)
			o[n++] = (struct ds_opt_option){ (uint32_t)i, (uint32_t)ncomm,
				                         (float)(10 + 10 * uniform()), DS_T_PLAN,
				                         overdue * lift * 0.08 * uniform() - 1500 };
		if (uniform() < 0.3)
			o[n++] = (struct ds_opt_option){ (uint32_t)i, (uint32_t)(ncomm + 2), 1,
				                         DS_T_LETTER,
				                         overdue * lift * 0.015 * uniform() - 800 };
	}
	/* team-hours per community in proportion to its accounts: 48 (eight
	 * teams of six hours) for 2,000 accounts, give or take half */
	for (int c = 0; c < ncomm; c++)
		cap[c] = 48.0 * nacc / 1e6 * 500 / ncomm * (0.5 + uniform());
	cap[ncomm] = 60.0 * 8 * 200 * nacc / 1e6; /* 200 agents, 8 hours */
	cap[ncomm + 1] = 0.1 * nacc;              /* SMS */
	cap[ncomm + 2] = 0.01 * nacc;             /* letters */
	return n;
}

int main(int argc, char **argv)
{
	long nacc = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	int ncomm = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 500;
	long nref = argc > 3 ? strtol(argv[3], NULL, 10) : 20000;
	rng = argc > 4 ? strtoull(argv[4], NULL, 10) : 88172645463325252ull;
	if (nacc < 1 || ncomm < 1 || nref < 1 || nref > nacc || rng == 0) {
		fprintf(stderr,
		        "usage: bench_plan [ACCOUNTS [COMMUNITIES [REF_ACCOUNTS [SEED]]]]\n");
		return 2;
	}
	struct ds_opt_option *o = malloc((size_t)nacc * 5 * sizeof *o);
	double *cap = malloc(((size_t)ncomm + 3) * sizeof *cap);
	long *choice = malloc((size_t)nacc * sizeof *choice);
	if (!o || !cap || !choice)
		return 1;
	long n = make(nacc, ncomm, o, cap);
	struct ds_opt_problem p = { nacc, o, n, cap, ncomm + 3 };
	struct ds_opt_result r;
	struct ds_diag d;
	double t0 = now();
	if (ds_optimise(&p, choice, NULL, &r, &d)) {
		fprintf(stderr, "bench_plan: %s\n", d.msg);
		return 1;
	}
	double secs = now() - t0;
	/* the reference: a smaller day of the same shape */
	int nrefcomm = (int)((double)ncomm * (double)nref / (double)nacc);
	if (nrefcomm < 1)
		nrefcomm = 1;
	double *rcap = malloc(((size_t)nrefcomm + 3) * sizeof *rcap);
	if (!rcap)
		return 1;
	long nrefopt = make(nref, nrefcomm, o, rcap);
	struct ds_opt_problem q = { nref, o, nrefopt, rcap, nrefcomm + 3 };
	struct ds_opt_result rq;
	double lp = 0, t1 = now();
	if (ds_optimise_lp(&q, &lp, NULL, &d)) {
		fprintf(stderr, "bench_plan: %s\n", d.msg);
		return 1;
	}
	double lp_secs = now() - t1;
	if (ds_optimise(&q, choice, NULL, &rq, &d)) {
		fprintf(stderr, "bench_plan: %s\n", d.msg);
		return 1;
	}
	printf("{\"accounts\":%ld,\"communities\":%d,\"options\":%ld,\"seconds\":%.3f,"
	       "\"rounds\":%d,\"value_fen\":%.0f,\"bound_fen\":%.0f,\"gap\":%.6f,"
	       "\"reference\":{\"accounts\":%ld,\"communities\":%d,\"options\":%ld,"
	       "\"glpk_lp_fen\":%.0f,"
	       "\"glpk_seconds\":%.3f,\"value_fen\":%.0f,\"bound_fen\":%.0f,\"gap_to_lp\":%.6f,"
	       "\"bound_over_lp\":%.8f,\"seconds\":%.3f}}\n",
	       nacc, ncomm, n, secs, r.rounds, r.value, r.bound, r.gap, nref, nrefcomm, nrefopt, lp,
	       lp_secs, rq.value, rq.bound, lp > 0 ? (lp - rq.value) / lp : 0,
	       lp > 0 ? rq.bound / lp : 0, rq.seconds);
	free(o);
	free(cap);
	free(rcap);
	free(choice);
	return 0;
}

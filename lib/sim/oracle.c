/*
 * The "oracle" strategy: what the best plan would be if the bank knew what
 * only the simulator knows, each account's true expected payment under
 * every treatment (sim_expected, as the truth file writes it). For
 * measurement only: it is the ceiling a learnt strategy is held against.
 * It plans with the same optimiser and the same capacity counts as the
 * simulator's admission; the contact rules still refuse at admission what
 * they refuse.
 */
#include "sim-int.h"

#include <math.h>
#include <string.h>

static ds_err oracle(void *ctx, const struct ds_obs_account *acc, size_t n,
                     const struct ds_capacity *cap, uint64_t day_seed, uint8_t *out,
                     struct ds_diag *diag)
{
	(void)day_seed;
	const struct sim_state *s = ctx;
	if (!s)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "the oracle runs inside a simulation");
	const struct ds_world *w = s->w;
	memset(out, DS_T_NONE, n);
	/* resources as the admission counts: calls and plan offers share the
	 * calls; visits one pool, or per community when that is limited */
	enum { R_SMS, R_CALL, R_LETTER, R_LEGAL, R_VISIT };
	int nres = R_VISIT + (cap->visits_per_community > 0 ? w->ncomm : 1);
	double *capacity = ds_malloc((size_t)nres * sizeof *capacity);
	struct ds_opt_option *opt = ds_malloc(n * 5 * sizeof *opt + 1);
	long *choice = ds_malloc(n * sizeof *choice + 1);
	ds_err err = DS_OK;
	if (!capacity || !opt || !choice) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto out;
	}
	capacity[R_SMS] = (double)cap->sms;
	capacity[R_CALL] = (double)cap->calls;
	capacity[R_LETTER] = (double)cap->letters;
	capacity[R_LEGAL] = (double)cap->legal;
	for (int r = R_VISIT; r < nres; r++)
		capacity[r] = cap->visits_per_community > 0 ? (double)cap->visits_per_community
		                                            : (double)cap->visits;
	long nopt = 0;
	ds_date day = s->day;
	for (size_t i = 0; i < n; i++) {
		const struct ds_obs_account *o = &acc[i];
		if (o->dpd <= 0 || o->on_hold || o->legal ||
		    o->days_since_contact < cap->min_spacing_days)
			continue;
		const struct sim_account *a = &s->a[o->index];
		const struct sim_borrower *b = &s->b[a->borrower];
		double base = sim_expected(w, b, a, DS_T_NONE, day, w->p.truth_horizon);
		for (int t = 1; t < DS_T_COUNT; t++) {
			double gain =
			        sim_expected(w, b, a, (ds_treatment)t, day, w->p.truth_horizon) -
			        base - (double)w->p.cost[t];
			if (!(gain > 0))
				continue;
			uint32_t r =
			        t == DS_T_SMS      ? R_SMS
			        : t == DS_T_LETTER ? R_LETTER
			        : t == DS_T_LEGAL  ? R_LEGAL
			        : t == DS_T_VISIT
			                ? (uint32_t)R_VISIT +
			                          (cap->visits_per_community > 0 ? b->community : 0)
			                : R_CALL;
			opt[nopt++] = (struct ds_opt_option){ (uint32_t)i, r, 1, (uint8_t)t, gain };
		}
	}
	struct ds_opt_problem p = { (long)n, opt, nopt, capacity, nres };
	struct ds_opt_result res;
	if (!(err = ds_optimise(&p, choice, NULL, &res, diag)))
		for (size_t i = 0; i < n; i++)
			if (choice[i] >= 0)
				out[i] = opt[choice[i]].treatment;
out:
	ds_free(capacity);
	ds_free(opt);
	ds_free(choice);
	return err;
}

const struct ds_strategy *ds_sim_oracle(void)
{
	static const struct ds_strategy s = {
		"oracle",
		"for measurement only: the true expected payments, the optimiser, the same "
		"capacity",
		oracle,
	};
	return &s;
}

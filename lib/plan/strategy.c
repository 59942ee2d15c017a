/*
 * The planner as the simulator's "optimised" strategy (plan.h): the same
 * ds_plan_day, on the simulation's own store, day after day.
 */
#include "doorstep/plan.h"

#include <stdlib.h>
#include <string.h>

void ds_plan_strategy_init(struct ds_plan_strategy_ctx *c, ds_store *st, const ds_rulepack *rules,
                           ds_date first_day)
{
	memset(c, 0, sizeof *c);
	c->st = st;
	c->rules = rules;
	c->day = first_day;
	c->snapshots = 150;
	c->holdout_share = 0.05;
}

void ds_plan_strategy_free(struct ds_plan_strategy_ctx *c)
{
	ds_uplift_free(c->uplift);
	c->uplift = NULL;
}

/* The world's index of a simulated bank's account id, or -1. */
static long world_index(const char *id)
{
	if (id[0] != 'A' || strlen(id) != 8)
		return -1;
	char *end;
	long v = strtol(id + 1, &end, 10);
	return *end || v < 1 ? -1 : v - 1;
}

static ds_err optimised(void *ctx, const struct ds_obs_account *acc, size_t n,
                        const struct ds_capacity *cap, uint64_t day_seed, uint8_t *out,
                        struct ds_diag *diag)
{
	(void)acc, (void)day_seed;
	struct ds_plan_strategy_ctx *c = ctx;
	if (!c || !c->st)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "the optimised strategy plans on a store: run it with one");
	memset(out, DS_T_NONE, n);
	ds_err err = DS_OK;
	if (!c->uplift) {
		struct ds_uplift_set set;
		if ((err = ds_uplift_collect(c->st, c->day, c->snapshots, 1, 30, &set, diag)))
			return err;
		struct ds_train_opts o;
		ds_train_opts_default(DS_MODEL_TREES, &o);
		err = ds_uplift_train(&set, NULL, 0, &o, &c->uplift, diag);
		ds_uplift_set_free(&set);
		if (err)
			return err;
	}
	struct ds_plan_opts po;
	ds_plan_opts_default(&po, c->day);
	po.uplift = c->uplift;
	po.rules = c->rules;
	po.holdout_share = c->holdout_share;
	po.min_spacing_days = cap->min_spacing_days;
	/* the simulator's counts: a visit, a call, a plan offer (a call) one each */
	po.use[DS_T_VISIT] = po.use[DS_T_CALL] = po.use[DS_T_PLAN] = 1;
	po.cap.call_minutes = (double)cap->calls;
	po.cap.sms = (double)cap->sms;
	po.cap.letters = (double)cap->letters;
	po.cap.legal = (double)cap->legal;
	if (cap->visits_per_community > 0)
		po.cap.visit_minutes = (double)cap->visits_per_community;
	else {
		/* the simulator's visits are its collectors' six each: a branch's
		 * teams serve its communities */
		po.cap.visits_total = (double)cap->visits;
		po.cap.visits_by_branch = true;
	}
	struct ds_plan_result r;
	/* written, as doorstep plan does: the holdout is read from the store */
	if ((err = ds_plan_day(c->st, &po, true, &r, diag)))
		return err;
	for (long k = 0; k < r.accounts; k++) {
		long i = world_index(r.decisions[k].account_id);
		if (i >= 0 && (size_t)i < n)
			out[i] = r.decisions[k].treatment;
	}
	c->planned_days++;
	c->visits += r.chosen[DS_T_VISIT];
	c->held_out += r.held_out;
	c->day++;
	ds_free(r.decisions);
	return DS_OK;
}

const struct ds_strategy *ds_plan_strategy(void)
{
	static const struct ds_strategy s = {
		"optimised",
		"the daily planner: uplift learnt from the store's history, less cost, the contact "
		"rules, a 5% visit holdout, the optimiser within capacity",
		optimised,
	};
	return &s;
}

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
	ds_costs_from_config(NULL, &c->costs);
	c->relearn_days = 0;
}

void ds_plan_strategy_free(struct ds_plan_strategy_ctx *c)
{
	if (c->uplift != c->first)
		ds_uplift_free(c->uplift);
	if (!c->first_given)
		ds_uplift_free(c->first);
	c->uplift = c->first = NULL;
}

/* Explored rows whose 30 days are observed before relearning for them
 * (the learners need 50 of a treatment). */
#define MATURED_ROWS 75

/* The exploration decisions of t up to the date. */
static ds_err explored_until(ds_store *st, ds_treatment t, ds_date until, long *n,
                             struct ds_diag *diag)
{
	char day[11];
	ds_date_format(until, day);
	ds_stmt *s;
	bool row;
	ds_err err = ds_store_prepare(st,
	                              "SELECT count(*) FROM decisions WHERE arm = 'explore'"
	                              " AND treatment = ? AND plan_date <= ?",
	                              &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, ds_treatment_name(t));
	ds_stmt_bind_text(s, 2, day);
	if (!(err = ds_stmt_step(s, &row, diag)) && row)
		*n = (long)ds_stmt_int(s, 0);
	ds_stmt_done(s);
	return err;
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
	/* learnt on the first day (or given, learnt on the same history),
	 * then again from what the days have fed the store, the outcomes of
	 * the plan's own decisions among them: as soon as MATURED_ROWS
	 * explored rows of a treatment the estimates lack have their 30 days
	 * observed, and every relearn_days days */
	if (!c->uplift && c->first) {
		c->uplift = c->first;
		c->learnt_on = c->day;
	}
	bool matured = false;
	for (int t = 1; t < DS_T_COUNT && c->uplift && !err; t++) {
		if (c->uplift->outcome[t] || c->explored[t] < MATURED_ROWS || c->matured[t])
			continue;
		long observed = 0;
		if ((err = explored_until(c->st, (ds_treatment)t, c->day - 31, &observed, diag)))
			return err;
		if (observed >= MATURED_ROWS)
			matured = c->matured[t] = true;
	}
	if (!c->uplift || matured ||
	    (c->relearn_days > 0 && c->day - c->learnt_on >= c->relearn_days)) {
		struct ds_uplift_set set;
		struct ds_uplift *u = NULL;
		if ((err = ds_uplift_collect(c->st, c->day, c->snapshots, 1, 30, &set, diag)))
			return err;
		struct ds_train_opts o;
		ds_train_opts_default(DS_MODEL_TREES, &o);
		set.plan_only = true;
		err = ds_uplift_train(&set, NULL, 0, &o, &u, diag);
		ds_uplift_set_free(&set);
		if (err)
			return err;
		c->relearnt += c->uplift != NULL;
		if (c->uplift != c->first)
			ds_uplift_free(c->uplift);
		if (!c->first)
			c->first = u;
		c->uplift = u;
		c->learnt_on = c->day;
	}
	struct ds_plan_opts po;
	ds_plan_opts_default(&po, c->day);
	po.costs = c->costs;
	po.uplift = c->uplift;
	po.rules = c->rules;
	po.holdout_share = c->holdout_share;
	po.explore_share = c->explore_share;
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
	for (int t = 0; t < DS_T_COUNT; t++)
		c->explored[t] += r.explored[t];
	c->day++;
	ds_free(r.decisions);
	return DS_OK;
}

const struct ds_strategy *ds_plan_strategy(void)
{
	static const struct ds_strategy s = {
		"optimised",
		"the daily planner: uplift learnt from the store's history, less cost, the contact "
		"rules, a 5% visit holdout, exploration of treatments the history barely holds "
		"(learnt again once its outcomes are in), the optimiser within capacity",
		optimised,
	};
	return &s;
}

/*
 * What each treatment costs and what it draws on, from the [costs]
 * settings (docs/strategy.md, "Costs").
 */
#include "doorstep/strategy.h"

#include <math.h>
#include <stdlib.h>

static long setting(const struct ds_config *cfg, ds_cfg_key k)
{
	if (cfg)
		return ds_config_int(cfg, k);
	return strtol(ds_config_defs()[k].dflt, NULL, 10);
}

void ds_costs_from_config(const struct ds_config *cfg, struct ds_costs *c)
{
	c->sms = setting(cfg, DS_CFG_COST_SMS_FEN);
	c->letter = setting(cfg, DS_CFG_COST_LETTER_FEN);
	c->legal = setting(cfg, DS_CFG_COST_LEGAL_FEN);
	c->complaint = setting(cfg, DS_CFG_COST_COMPLAINT_FEN);
	c->travel = setting(cfg, DS_CFG_COST_TRAVEL_FEN);
	c->agent_per_hour = setting(cfg, DS_CFG_COST_AGENT_FEN_PER_HOUR);
	c->collector_per_hour = setting(cfg, DS_CFG_COST_COLLECTOR_FEN_PER_HOUR);
	c->worker_per_hour = setting(cfg, DS_CFG_COST_WORKER_FEN_PER_HOUR);
	c->call_minutes = (int)setting(cfg, DS_CFG_COST_CALL_MINUTES);
	c->plan_minutes = (int)setting(cfg, DS_CFG_COST_PLAN_MINUTES);
	c->visit_minutes = (int)setting(cfg, DS_CFG_COST_VISIT_MINUTES);
}

/* minutes at a rate per hour, rounded to the fen */
static ds_fen timed(int minutes, ds_fen per_hour)
{
	return (ds_fen)llround((double)minutes * (double)per_hour / 60.0);
}

ds_fen ds_treatment_cost(const struct ds_costs *c, ds_treatment t, ds_fen travel_fen)
{
	switch (t) {
	case DS_T_SMS:
		return c->sms;
	case DS_T_CALL:
		return timed(c->call_minutes, c->agent_per_hour);
	case DS_T_LETTER:
		return c->letter;
	case DS_T_VISIT:
		return timed(c->visit_minutes, c->collector_per_hour) +
		       timed(c->visit_minutes, c->worker_per_hour) +
		       (travel_fen >= 0 ? travel_fen : c->travel);
	case DS_T_PLAN:
		return timed(c->plan_minutes, c->agent_per_hour);
	case DS_T_LEGAL:
		return c->legal;
	case DS_T_NONE:
	case DS_T_COUNT:
		break;
	}
	return 0;
}

double ds_treatment_use(const struct ds_costs *c, ds_treatment t)
{
	switch (t) {
	case DS_T_CALL:
		return c->call_minutes;
	case DS_T_PLAN:
		return c->plan_minutes;
	case DS_T_VISIT:
		return c->visit_minutes;
	case DS_T_SMS:
	case DS_T_LETTER:
	case DS_T_LEGAL:
		return 1;
	case DS_T_NONE:
	case DS_T_COUNT:
		break;
	}
	return 0;
}

/*
 * The simulator's behavioural parameters: one table with defaults, ranges
 * and meaning (docs/simulator.md follows it), read from an INI file.
 * Magnitudes follow the published evidence summarised in the research notes:
 * SMS reminders move on-time payment by a few points, a live conversation by
 * tens of points; field visits have no published trial, so their effect is a
 * parameter to vary, not a fact.
 */
#include "doorstep/config.h"
#include "doorstep/sim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPES(sec, name, r, f, h, o, s, d, x, doc)                                     \
	{ sec, name "_reliable", r, 0, 1, doc " (reliable payers)" },                  \
	        { sec, name "_forgetful", f, 0, 1, doc " (forgetful)" },               \
	        { sec, name "_hardship", h, 0, 1, doc " (temporary hardship)" },       \
	        { sec, name "_overindebted", o, 0, 1, doc " (over-indebted)" },        \
	        { sec, name "_strategic", s, 0, 1, doc " (strategic defaulters)" },    \
	        { sec, name "_dispute", d, 0, 1, doc " (disputing the debt)" },        \
	{                                                                              \
		sec, name "_fraud_victim", x, 0, 1, doc " (victims of identity fraud)" \
	}

static const struct ds_sim_param_def defs[] = {
	/* who the borrowers are */
	TYPES("population", "share", 0.45, 0.20, 0.15, 0.08, 0.06, 0.04, 0.02,
	      "share of borrowers of this willingness type"),
	{ "population", "cooperative_share", 0.35, 0, 1, "borrowers open to contact" },
	{ "population", "hostile_share", 0.15, 0, 1, "borrowers hostile to contact" },
	{ "population", "conflict_mean", 0.20, 0, 1, "mean conflict propensity (0..1)" },
	{ "population", "community_cooperation_mean", 0.55, 0, 1,
	  "mean cooperation of community partners (0..1)" },
	{ "population", "collector_skill_mean", 0.55, 0, 1, "mean collector skill (0..1)" },
	{ "population", "income_median_yuan", 6500, 500, 1e6, "median monthly income, yuan" },
	/* ability to pay */
	{ "ability", "shock_rate_monthly", 0.008, 0, 1,
	  "chance a month brings a shock (job loss, illness, business downturn)" },
	{ "ability", "recovery_rate_monthly", 0.2, 0, 1, "chance a month ends a shock" },
	{ "ability", "capacity_after_shock", 0.25, 0, 1,
	  "share of normal ability to pay left during a shock" },
	/* paying without being asked */
	TYPES("payment", "on_time", 0.995, 0.88, 0.97, 0.93, 0.96, 0.975, 0.985,
	      "chance an installment is paid on its due date"),
	TYPES("payment", "hazard", 0.08, 0.06, 0.015, 0.006, 0.002, 0.0005, 0.0,
	      "daily chance an overdue borrower pays unprompted"),
	{ "payment", "full_share", 0.85, 0, 1,
	  "chance a payment clears the whole overdue amount (else half), at full ability" },
	/* reaching the borrower */
	{ "reach", "sms", 0.92, 0, 1, "chance an SMS is read" },
	{ "reach", "call", 0.45, 0, 1, "chance a call connects to the borrower" },
	{ "reach", "letter", 0.85, 0, 1, "chance a letter is read" },
	{ "reach", "visit", 0.62, 0, 1, "chance the borrower is at home for a visit" },
	{ "reach", "plan", 0.45, 0, 1, "chance a plan offer (by call) reaches the borrower" },
	{ "reach", "legal", 0.95, 0, 1, "chance a legal notice reaches the borrower" },
	/* what reaching them does: chance of paying within the response delay */
	TYPES("effect_sms", "uplift", 0.50, 0.30, 0.03, 0.02, 0.01, 0.0, 0.0,
	      "chance a reached borrower pays after an SMS"),
	TYPES("effect_call", "uplift", 0.60, 0.42, 0.10, 0.05, 0.06, 0.0, 0.0,
	      "chance a reached borrower pays after a call"),
	TYPES("effect_letter", "uplift", 0.35, 0.18, 0.05, 0.03, 0.05, 0.0, 0.0,
	      "chance a reached borrower pays after a letter"),
	TYPES("effect_visit", "uplift", 0.70, 0.50, 0.40, 0.16, 0.24, 0.0, 0.0,
	      "chance a borrower met at the door pays"),
	TYPES("effect_plan", "uplift", 0.30, 0.15, 0.55, 0.35, 0.05, 0.0, 0.0,
	      "chance a reached borrower takes up an installment plan"),
	TYPES("effect_legal", "uplift", 0.40, 0.30, 0.15, 0.10, 0.45, 0.05, 0.0,
	      "chance a legal referral makes the borrower pay"),
	{ "effect", "visit_cooperation_weight", 1.0, 0, 2,
	  "how much community cooperation scales a visit's effect" },
	{ "effect", "visit_skill_weight", 0.8, 0, 2,
	  "how much collector skill scales a visit's effect" },
	{ "effect", "hostile_factor", 0.35, 0, 2, "effect multiplier for hostile borrowers" },
	{ "effect", "cooperative_factor", 1.25, 0, 2,
	  "effect multiplier for cooperative borrowers" },
	{ "effect", "after_complaint_factor", 0.5, 0, 1,
	  "effect multiplier once a borrower has complained" },
	{ "effect", "response_days", 10, 1, 60, "days within which a responding borrower pays" },
	{ "effect", "repeat_decay", 0.6, 0, 1,
	  "effect multiplier per contact already made in the last 30 days (habituation)" },
	{ "effect", "plan_installments", 4, 1, 24, "installments of an accepted plan" },
	TYPES("effect_plan", "keep", 0.55, 0.55, 0.85, 0.70, 0.40, 0.3, 0.2,
	      "chance each plan installment is paid"),
	/* harm */
	{ "harm", "complaint_sms", 0.0005, 0, 1, "complaint chance per SMS" },
	{ "harm", "complaint_call", 0.004, 0, 1, "complaint chance per reached call" },
	{ "harm", "complaint_letter", 0.002, 0, 1, "complaint chance per letter" },
	{ "harm", "complaint_visit", 0.02, 0, 1,
	  "complaint chance per visit that finds the borrower at home" },
	{ "harm", "complaint_plan", 0.002, 0, 1, "complaint chance per plan offer" },
	{ "harm", "complaint_legal", 0.03, 0, 1, "complaint chance per legal referral" },
	{ "harm", "hostile_complaint_factor", 5, 0, 50, "complaint multiplier, hostile borrowers" },
	{ "harm", "dispute_complaint_factor", 8, 0, 50,
	  "complaint multiplier, disputes and fraud" },
	{ "harm", "incident_visit", 0.05, 0, 1,
	  "incident chance per visit at home, scaled by conflict propensity x (1.3 - skill), "
	  "x3 if hostile" },
	{ "harm", "hold_days", 30, 0, 365, "days a complaint stops all contact" },
	{ "harm", "community_damage", 0.02, 0, 1,
	  "community cooperation lost per complaint about a visit there" },
	/* promises */
	{ "promise", "rate", 0.7, 0, 1,
	  "chance a responding borrower first promises (call, visit)" },
	{ "promise", "false_rate", 0.12, 0, 1,
	  "chance a reached, non-responding borrower promises anyway" },
	/* costs, yuan */
	{ "cost", "sms", 0.05, 0, 1e4, "cost of an SMS, yuan" },
	{ "cost", "call", 4, 0, 1e4, "cost of a call attempt (agent time), yuan" },
	{ "cost", "letter", 3, 0, 1e4, "cost of a letter, yuan" },
	{ "cost", "visit_collector", 90, 0, 1e4, "bank collector time per visit, yuan" },
	{ "cost", "visit_partner", 30, 0, 1e4, "community worker time per visit, yuan" },
	{ "cost", "visit_travel", 25, 0, 1e4, "travel per visit, yuan" },
	{ "cost", "plan", 20, 0, 1e4, "cost of a plan offer (call and paperwork), yuan" },
	{ "cost", "legal", 600, 0, 1e5, "cost of a legal referral, yuan" },
	/* capacity per day */
	{ "capacity", "visits_per_collector", 6, 0, 100, "visits a team makes per day" },
	{ "capacity", "visits_per_community", 0, 0, 1000,
	  "visits per community per day (0: no limit)" },
	{ "capacity", "calls_per_1000", 25, 0, 1000, "calls per day per 1,000 accounts" },
	{ "capacity", "sms_per_1000", 200, 0, 1000, "SMS per day per 1,000 accounts" },
	{ "capacity", "letters_per_1000", 20, 0, 1000, "letters per day per 1,000 accounts" },
	{ "capacity", "legal_per_1000", 1, 0, 1000, "legal referrals per day per 1,000 accounts" },
	{ "capacity", "min_spacing_days", 3, 0, 60, "days between two contacts of an account" },
	{ "truth", "horizon_days", 30, 1, 365, "horizon of the ground-truth expected payment" },
	/* the bank's history */
	{ "history", "pilot_days", 180, 0, 366,
	  "days before as_of in which the bank ran a randomised pilot of visits, letters and "
	  "plan offers" },
	{ "history", "pilot_rate", 0.02, 0, 0.1,
	  "chance per day that an account more than 15 days past due is drawn into the pilot "
	  "(then a visit, a letter or a plan offer, equally likely)" },
};

#define NDEFS ((int)(sizeof defs / sizeof defs[0]))

const struct ds_sim_param_def *ds_sim_param_defs(int *count)
{
	*count = NDEFS;
	return defs;
}

void ds_sim_params_default(struct ds_sim_params *p)
{
	_Static_assert(NDEFS <= (int)(sizeof p->v / sizeof p->v[0]), "params array too small");
	p->n = NDEFS;
	for (int i = 0; i < NDEFS; i++)
		p->v[i] = defs[i].dflt;
}

static int find(const char *section, const char *name)
{
	for (int i = 0; i < NDEFS; i++)
		if (strcmp(defs[i].section, section) == 0 && strcmp(defs[i].name, name) == 0)
			return i;
	return -1;
}

double ds_sim_param(const struct ds_sim_params *p, const char *key)
{
	const char *dot = strchr(key, '.');
	if (!dot)
		return NAN;
	char section[64];
	snprintf(section, sizeof section, "%.*s", (int)(dot - key), key);
	int i = find(section, dot + 1);
	return i < 0 ? NAN : p->v[i];
}

static ds_err on_key(void *user, const char *section, const char *name, const char *value,
                     struct ds_diag *diag)
{
	struct ds_sim_params *p = user;
	int i = find(section, name);
	if (i < 0)
		return ds_diag_set(diag, DS_ECONFIG, NULL, 0, name, "unknown parameter [%s] %s",
		                   section, name);
	char *end;
	errno = 0;
	double v = strtod(value, &end);
	if (!*value || *end || errno || !isfinite(v))
		return ds_diag_set(diag, DS_ECONFIG, NULL, 0, name, "not a number: \"%s\"", value);
	if (v < defs[i].min || v > defs[i].max)
		return ds_diag_set(diag, DS_ECONFIG, NULL, 0, name, "%g is outside %g..%g", v,
		                   defs[i].min, defs[i].max);
	p->v[i] = v;
	return DS_OK;
}

ds_err ds_sim_params_load(struct ds_sim_params *p, const char *path, struct ds_diag *diag)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return ds_diag_set(diag, DS_ECONFIG, path, 0, NULL,
		                   "cannot read parameter file: %s", strerror(errno));
	ds_err err = ds_ini_parse(fp, path, on_key, p, diag);
	fclose(fp);
	return err;
}

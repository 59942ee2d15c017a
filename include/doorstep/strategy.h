/*
 * Treatments and strategies: what to do, for which overdue account, today.
 *
 * A strategy sees only what the bank observes (struct ds_obs_account) and
 * answers with one treatment per account, within the day's capacity.
 */
#ifndef DOORSTEP_STRATEGY_H
#define DOORSTEP_STRATEGY_H

#include "doorstep/config.h"
#include "doorstep/core.h"

typedef enum ds_treatment {
	DS_T_NONE = 0,
	DS_T_SMS,
	DS_T_CALL,
	DS_T_LETTER,
	DS_T_VISIT, /* community visit: bank collector + community worker */
	DS_T_PLAN,  /* installment-plan offer (by call or at the door) */
	DS_T_LEGAL, /* referral to legal action */
	DS_T_COUNT
} ds_treatment;

/* "none", "sms", "call", "letter", "visit", "plan", "legal". */
const char *ds_treatment_name(ds_treatment t);
/* DS_T_COUNT when unknown. */
ds_treatment ds_treatment_parse(const char *name);

/* What the bank knows about one account on the planning day. */
struct ds_obs_account {
	uint32_t index;     /* position in the caller's arrays */
	uint32_t community; /* community index */
	uint8_t product;    /* 0 card, 1 consumer loan, 2 small-business loan */
	bool on_hold;       /* a dispute or complaint is open: no contact */
	bool legal;         /* already referred to legal action */
	bool on_plan;       /* an installment plan is running */
	int dpd;            /* days past due */
	ds_fen overdue_fen;
	ds_fen balance_fen;
	ds_fen monthly_income_fen; /* declared */
	int days_since_contact;    /* any channel; large if never */
	int days_since_visit;      /* large if never */
	uint8_t last_outcome;      /* enum ds_obs_outcome */
	uint16_t promises_made, promises_kept;
	uint16_t contacts_30d; /* contact attempts in the last 30 days */
};

enum ds_obs_outcome {
	DS_OBS_NONE = 0,
	DS_OBS_NOT_REACHED,
	DS_OBS_REACHED,
	DS_OBS_PROMISE,
	DS_OBS_REFUSED,
	DS_OBS_COMPLAINT
};

/* Daily limits the plan must respect. */
struct ds_capacity {
	long visits;               /* visits all teams can make today */
	long visits_per_community; /* per community per day (0: no limit) */
	long calls;                /* calls the call centre can make today */
	long sms;                  /* SMS budget today */
	long letters;              /* letters that can be sent today */
	long legal;                /* legal referrals per day */
	int min_spacing_days;      /* no contact within this many days of the last */
};

typedef ds_err (*ds_strategy_fn)(void *ctx, const struct ds_obs_account *acc, size_t n,
                                 const struct ds_capacity *cap, uint64_t day_seed, uint8_t *out,
                                 struct ds_diag *diag);

struct ds_strategy {
	const char *name;
	const char *doc;
	ds_strategy_fn fn;
};

/* The built-in baseline strategies: none, sms-only, visit-all,
 * visit-by-balance, random. */
const struct ds_strategy *ds_strategy_baselines(int *count);
const struct ds_strategy *ds_strategy_find(const char *name);

/* ---------------------------------------------------------------- costs */

/* What treatments cost the bank, from the [costs] settings
 * (docs/strategy.md, "Costs"). */
struct ds_costs {
	ds_fen sms, letter, legal, travel;
	ds_fen complaint; /* weighs each expected complaint against recovery */
	ds_fen agent_per_hour, collector_per_hour, worker_per_hour;
	int call_minutes, plan_minutes, visit_minutes;
};
/* From the settings (their defaults when cfg is NULL). */
void ds_costs_from_config(const struct ds_config *cfg, struct ds_costs *c);
/*
 * The cost of one treatment, fen: staff time at its rate, the community
 * worker's time and travel for a visit (travel_fen: the route planner's
 * estimate, or < 0 for the configured one), unit costs otherwise.
 */
ds_fen ds_treatment_cost(const struct ds_costs *c, ds_treatment t, ds_fen travel_fen);
/* What a treatment draws on its resource: agent minutes (call, plan),
 * team minutes (visit), or one unit (SMS, letter, legal); 0 for none. */
double ds_treatment_use(const struct ds_costs *c, ds_treatment t);

/* ------------------------------------------------------------ optimiser */

/*
 * The day's choice as a problem: accounts, and for each the treatments it
 * may receive today (eligible by the contact rules, spacing and holds),
 * each with its value (expected recovery within the horizon less its cost,
 * fen) and what it draws on: one resource (a community's visit team-hours,
 * the call centre's minutes, the SMS budget, ...) by some amount. At most
 * one option per account; each resource's total use within its capacity;
 * the sum of values as large as it can be. Not choosing is always allowed
 * and worth 0, so options worth 0 or less are never chosen.
 */
struct ds_opt_option {
	uint32_t account;  /* 0 .. naccounts - 1; options come in account order */
	uint32_t resource; /* 0 .. nresources - 1 */
	float use;         /* of the resource, > 0 */
	uint8_t treatment; /* ds_treatment, carried for the caller */
	double value;      /* fen */
};

struct ds_opt_problem {
	long naccounts;
	const struct ds_opt_option *opt;
	long nopt;
	const double *capacity; /* per resource, >= 0 */
	int nresources;
};

struct ds_opt_result {
	double value;   /* of the plan found, fen */
	double bound;   /* no plan, not even a fractional one, is worth more */
	double gap;     /* (bound - value) / bound; 0 when the bound is 0 */
	int rounds;     /* of the price search */
	double seconds; /* the price search and the repair */
};

/*
 * Lagrangian relaxation: a price per resource, found by coordinate descent
 * on the dual function (each step the exact price at which that resource's
 * demand meets its capacity), whose value is the bound; then a feasible
 * plan built greedily in order of price-adjusted value and improved with
 * the capacity left. choice[i] is the index in p->opt of account i's
 * option, or -1. price (may be NULL) receives the final price of each
 * resource, fen per unit (infinite for a resource with no capacity).
 */
ds_err ds_optimise(const struct ds_opt_problem *p, long *choice, double *price,
                   struct ds_opt_result *r, struct ds_diag *diag);

/*
 * The same problem's LP relaxation solved exactly by GLPK's simplex: the
 * reference for moderate sizes. *value its optimum; x (may be NULL, nopt
 * values) the fractional choice of each option.
 */
ds_err ds_optimise_lp(const struct ds_opt_problem *p, double *value, double *x,
                      struct ds_diag *diag);

/* ---------------------------------------------------------- experiments */

/*
 * Champion/challenger and holdouts (docs/strategy.md, "Experiments"). An
 * account's place in an experiment is a number in [0, 1) drawn from a hash
 * of the experiment's id and the account's (BLAKE2b): the same pair always
 * draws the same number, whatever else changes, and one experiment's draws
 * say nothing of another's.
 */
double ds_experiment_draw(const char *experiment_id, const char *account_id);
/*
 * The arm (0 .. narms-1) of the account, arms taking the shares given in
 * order (each >= 0; they need not sum to 1: the last arm takes the rest).
 */
int ds_experiment_arm(const char *experiment_id, const char *account_id, const double *shares,
                      int narms);

/* The difference of two proportions, arm 1 less arm 0, with a confidence
 * interval (Newcombe's hybrid score interval, from Wilson's intervals of
 * each arm) and the two-sided p-value of the pooled z test. */
struct ds_prop_diff {
	long x1, n1, x0, n0;
	double p1, p0, diff, lo, hi, z, p_value;
};
ds_err ds_diff_proportions(long x1, long n1, long x0, long n0, double confidence,
                           struct ds_prop_diff *out, struct ds_diag *diag);

/* The difference of two means, arm 1 less arm 0, with a percentile
 * bootstrap interval (`reps` resamples of each arm, a seeded generator: the
 * same data and seed give the same interval). */
struct ds_mean_diff {
	long n1, n0;
	double m1, m0, diff, lo, hi;
};
ds_err ds_diff_means_bootstrap(const double *y1, long n1, const double *y0, long n0,
                               double confidence, int reps, uint64_t seed, struct ds_mean_diff *out,
                               struct ds_diag *diag);

/*
 * Accounts needed per arm to tell p0 from p1 with a two-sided test at
 * `alpha` with probability `power` (arm 1 holding `ratio` times as many as
 * arm 0): *n0 and *n1.
 */
ds_err ds_sample_size(double p0, double p1, double alpha, double power, double ratio, long *n0,
                      long *n1, struct ds_diag *diag);

#endif

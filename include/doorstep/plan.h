/*
 * The day's plan: for every delinquent account, one treatment or none,
 * worth the most net of cost within the day's capacity and the contact
 * rules, with a random holdout kept from visits to measure what they add
 * (docs/strategy.md, "The daily plan").
 *
 * It joins the layers below: the features and the uplift estimates
 * (model), the costs, the optimiser and the experiments (strategy), the
 * contact rules (rules), and writes the decisions to the store.
 */
#ifndef DOORSTEP_PLAN_H
#define DOORSTEP_PLAN_H

#include "doorstep/model.h"
#include "doorstep/route.h"
#include "doorstep/rules.h"
#include "doorstep/store.h"
#include "doorstep/strategy.h"

/* The day's capacity. */
struct ds_plan_capacity {
	double visit_minutes; /* team minutes per community */
	double call_minutes;  /* the call centre's agent minutes */
	double sms, letters, legal;
	/* > 0: visits drawn from one pool of this size for all communities,
	 * instead of team minutes per community */
	double visits_total;
	/* with visits_total: the pool shared among the branches by their
	 * active collectors (a branch's teams serve its communities) */
	bool visits_by_branch;
	/* without visits_total: visits counted by the day's teams of two as
	 * the day's routes form them (lib/plan/teams.c), visit_minutes being
	 * one team's day: a collector with a worker of a partner community
	 * serves that community, two collectors anywhere in their branch */
	bool by_teams;
};

struct ds_plan_opts {
	ds_date date;
	const struct ds_uplift *uplift; /* the estimates (T-learner) */
	const ds_rulepack *rules;       /* NULL: no rule is checked (tests only) */
	struct ds_costs costs;
	struct ds_plan_capacity cap;
	int min_spacing_days;      /* no contact within this many days of the last */
	double holdout_share;      /* of visit-eligible accounts kept from visits */
	const char *experiment_id; /* the holdout's experiment */
	int contact_hour;          /* local hour proposals are checked for */
	/* what a treatment draws on its resource, where > 0 (else
	 * ds_treatment_use): the simulator counts calls and visits by number */
	double use[DS_T_COUNT];
	/* each account's estimate is pulled towards its treatment's average
	 * share of the overdue amount, keeping n / (n + shrink_rows) of its own
	 * deviation, n the treatment's training rows (0: no pull) */
	double shrink_rows;
	/* and that average itself is taken this many standard errors lower
	 * (not below 0): a treatment whose average the history measures
	 * poorly is assumed to add only what the history shows for sure
	 * (0: the average as estimated) */
	double caution_z;
	/* exploration: a treatment with fewer than explore_rows training rows
	 * is given, each day, to a random explore_share of the accounts it
	 * could go to (more than explore_min_dpd days past due, allowed by the
	 * rules), drawn per account and day from the experiment
	 * "explore-<treatment>", as long as its capacity lasts and until
	 * explore_rows have been given; 0 (the default): none */
	double explore_share;
	long explore_rows;
	int explore_min_dpd;
};

/* Fills the documented defaults (capacity from the [capacity] settings is
 * the caller's: these are for 1,000 accounts). */
void ds_plan_opts_default(struct ds_plan_opts *o, ds_date date);

/* One account's decision. */
struct ds_decision {
	char account_id[65];
	uint8_t treatment;   /* ds_treatment */
	double expected_fen; /* uplift of the treatment, fen */
	double cost_fen;
	bool held_out;                   /* in the visit holdout */
	bool explored;                   /* the treatment is an exploration draw */
	bool with_lawyers;               /* referred to legal action: no treatment */
	int refused[DS_T_COUNT];         /* per treatment: 1 when the rules refused it */
	char first_rule[DS_T_COUNT][48]; /* a refusing rule per refused treatment */
};

struct ds_plan_result {
	long accounts;
	long chosen[DS_T_COUNT];
	long refused[DS_T_COUNT]; /* options the rules refused */
	long held_out;
	long explored[DS_T_COUNT];  /* treatments given as exploration draws */
	long with_lawyers;          /* accounts already referred to legal action */
	int teams, pairs;           /* by_teams: the teams counted, two collectors of them */
	double value_fen, cost_fen; /* of the plan: uplift less cost, and cost */
	double bound_fen, gap;      /* the optimiser's bound and gap */
	double seconds;
	struct ds_decision *decisions; /* accounts of them; free with ds_free */
};

/*
 * Plans one day. With `write`, the decisions replace the stored ones of
 * that date (table decisions: treatment, expected value, cost, experiment
 * and arm, reasons with the rule verdicts consulted), in one transaction,
 * audited.
 */
ds_err ds_plan_day(ds_store *st, const struct ds_plan_opts *o, bool write,
                   struct ds_plan_result *out, struct ds_diag *diag);

/*
 * The planner as the simulator's strategy "optimised": every simulated day
 * it plans, on the store the simulator feeds, what ds_plan_day would, and
 * writes the decisions there, with the day's capacity as the simulator
 * counts it (visits and
 * calls by number, a plan offer in a call's place), and hands each
 * account's treatment back. The estimates are learnt on the first day
 * from the store's history, then again from the store as the days have
 * fed it. Accounts are matched by the simulated
 * bank's ids (A and seven digits: the world's index plus one).
 */
struct ds_plan_strategy_ctx {
	ds_store *st;
	const ds_rulepack *rules;
	ds_date day;   /* the next day to plan: set to the first */
	int snapshots; /* daily snapshots the estimates learn from */
	double holdout_share;
	struct ds_costs costs; /* the bank's prices (defaults: the [costs] defaults) */
	double explore_share;  /* as ds_plan_opts' (0: no exploration) */
	/* the estimates are learnt again from the store as it stands, the
	 * outcomes of the planner's own decisions included: once the first
	 * outcomes of an exploration are all observed, and every relearn_days
	 * days (0: only then) */
	int relearn_days;
	struct ds_uplift *uplift; /* learnt on the first day, then again */
	/* the first day's estimates: learnt here and freed with the context,
	 * unless the caller takes them (setting first to NULL); or given by
	 * the caller, learnt on the same history (first_given: not freed) */
	struct ds_uplift *first;
	bool first_given;
	ds_date learnt_on;
	long planned_days, visits, held_out, relearnt;
	long explored[DS_T_COUNT];
	bool matured[DS_T_COUNT]; /* relearnt once its exploration's outcomes were in */
};
void ds_plan_strategy_init(struct ds_plan_strategy_ctx *c, ds_store *st, const ds_rulepack *rules,
                           ds_date first_day);
void ds_plan_strategy_free(struct ds_plan_strategy_ctx *c);
const struct ds_strategy *ds_plan_strategy(void);

/*
 * The day's routes (docs/routing.md, "The day's routes"): the visits the
 * plan decided for the date, each worth its expected recovery less the
 * visit's cost (travel aside), allowed at the times of day the contact
 * rules accept a visit (probed every slot_minutes between first_hour and
 * last_hour, local), served by the branch's teams (a collector with a
 * worker of a partner community, or two collectors; lib/plan/teams.c)
 * from the first collector's home, within both shifts, with a break; a
 * team may make a visit the rules accept with its members filled in
 * (two people, a certified collector, a worker of the borrower's own
 * community, an experienced collector at a safety_risk address, under
 * the CN pack), and where a member speaks the dialect_X the borrower is
 * flagged with. Travel from the coordinates at the model's speed,
 * costing the team's time and fen_per_km; solved per branch. With
 * `write`, the routes replace the date's planned visits (table visits:
 * team, window, order, planned arrival), with the day's teams, audited.
 */
struct ds_route_day_opts {
	ds_date date;
	const ds_rulepack *rules; /* NULL: every hour allowed (tests only) */
	struct ds_costs costs;
	struct ds_travel_model travel;
	int64_t fen_per_km;
	int door_minutes; /* at the door */
	/* visits a team may make in a day (0: no limit); 8 is the CN pack's
	 * CN-VISIT-TEAM limit per person */
	int max_visits_per_team;
	int slot_minutes, first_hour, last_hour;
	/* each team's break: begun between break_open_s and break_close_s
	 * (seconds from local midnight), break_minutes long (0: none) */
	int break_open_s, break_close_s, break_minutes;
	/* a collector this many days in service is experienced (flagged
	 * addresses need one) */
	int experienced_days;
	/* the certification (certifications.cert) a collector must hold,
	 * valid on the date, to count as certified */
	const char *certificate;
	double time_limit; /* seconds per branch */
	long iterations;   /* > 0: instead of the time limit, deterministic */
	int threads;
	uint64_t seed;
};
void ds_route_day_opts_default(struct ds_route_day_opts *o, ds_date date);
struct ds_route_day_result {
	long candidates, planned, left_out;
	long no_allowed_time, not_routed, no_skilled_team, no_team_allowed, other; /* why out */
	int teams, teams_used, pairs; /* pairs: teams with a community worker */
	int64_t value_fen, travel_fen, travel_s;
	double seconds;
};
ds_err ds_route_day(ds_store *st, const struct ds_route_day_opts *o, bool write,
                    struct ds_route_day_result *r, struct ds_diag *diag);

/*
 * An experiment's outcome (docs/strategy.md, "Experiments"): each account
 * from its first decision in the experiment, its arm, and what it paid
 * within the horizon from that day.
 */
struct ds_entrant {
	char id[65];
	bool holdout;
	ds_date entered; /* its first decision */
	double paid;     /* yuan, in [entered, entered + horizon) */
};
/* The experiment's accounts whose horizon is all observed by as_of, sorted
 * by id, paid left 0 (*out: free with ds_free). */
ds_err ds_experiment_entrants(ds_store *st, const char *experiment, int horizon, ds_date as_of,
                              struct ds_entrant **out, long *n, struct ds_diag *diag);
/* What each entrant paid within the horizon, from st's account ledger: the
 * experiment's own store, or another holding the same accounts (a
 * counterfactual run of the simulator). */
ds_err ds_experiment_paid(ds_store *st, struct ds_entrant *e, long n, int horizon,
                          struct ds_diag *diag);
/* The arms compared: the share that paid anything (Newcombe's interval)
 * and the yuan paid (bootstrap), treated less held out. */
struct ds_experiment_result {
	long treated, held_out;
	struct ds_prop_diff paid_share;
	struct ds_mean_diff yuan;
};
ds_err ds_experiment_compare(const struct ds_entrant *e, long n, double confidence,
                             struct ds_experiment_result *out, struct ds_diag *diag);

/*
 * The approval of a day's plan (docs/strategy.md, "Approval"): a manager
 * approves or rejects the day's decisions as they stand, recorded with
 * their SHA-256 so that a plan written again afterwards shows as stale;
 * the actor who wrote the plan may not approve it (maker-checker; the
 * nightly batch's "system" may be approved by any manager).
 */
struct ds_plan_approval {
	char status[12];  /* none, approved, rejected, stale (decided on other decisions) */
	long decisions;   /* the day's decisions now */
	char digest[65];  /* their SHA-256 now ("" when none) */
	char made_by[65]; /* who wrote them last ("" when unknown) */
	char decided_by[65];
	ds_time decided_at; /* 0: not decided */
	char note[256];
};
ds_err ds_plan_approval_get(ds_store *st, ds_date day, struct ds_plan_approval *out,
                            struct ds_diag *diag);
/* DS_ENOTFOUND without decisions that day; DS_EREJECT for the plan's own
 * maker, or a decision already taken on these very decisions. The store's
 * actor decides; the role is the caller's to check. */
ds_err ds_plan_approval_decide(ds_store *st, ds_date day, bool approve, const char *note,
                               ds_time now, struct ds_plan_approval *out, struct ds_diag *diag);

#endif

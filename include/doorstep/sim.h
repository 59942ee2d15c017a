/*
 * The simulator: a synthetic city and how its borrowers behave.
 *
 * It plays the world outside the bank. Its latent state (each borrower's
 * ability and willingness, each community's cooperation, each collector's
 * skill) stays inside lib/sim; the rest of doorstep sees only what a bank
 * would observe, which the simulator hands over as the bank's import files.
 * That separation is the point: the simulator is the ground truth that
 * scoring, uplift and strategy are measured against.
 */
#ifndef DOORSTEP_SIM_H
#define DOORSTEP_SIM_H

#include "doorstep/core.h"
#include "doorstep/ingest.h"
#include "doorstep/rules.h"
#include "doorstep/store.h"
#include "doorstep/strategy.h"

/* ------------------------------------------------------------ parameters */

/* Every behavioural parameter, by name; see docs/simulator.md. */
struct ds_sim_param_def {
	const char *section, *name;
	double dflt, min, max;
	const char *doc;
};

const struct ds_sim_param_def *ds_sim_param_defs(int *count);

/* Parameter values, indexed like ds_sim_param_defs(). */
struct ds_sim_params {
	double v[160];
	int n;
};

void ds_sim_params_default(struct ds_sim_params *p);
/* Reads an INI file over the defaults; errors name file, line and key. */
ds_err ds_sim_params_load(struct ds_sim_params *p, const char *path, struct ds_diag *diag);
/* Value by "section.name"; NAN when unknown. */
double ds_sim_param(const struct ds_sim_params *p, const char *key);

/* ------------------------------------------------------------- the world */

typedef struct ds_world ds_world;

struct ds_gen_opts {
	uint64_t seed;
	long borrowers;                     /* accounts are about 1.3 per borrower */
	ds_date as_of;                      /* the day the portfolio is extracted */
	int history_months;                 /* months of history before as_of (default 12) */
	const struct ds_sim_params *params; /* NULL: defaults */
};

/*
 * Builds a city: communities, staff, borrowers with their hidden state,
 * accounts with schedules, and the history up to as_of (payments and the
 * bank's contacts), played through the same behaviour model the simulation
 * uses. Deterministic for a seed.
 */
ds_err ds_world_generate(const struct ds_gen_opts *opts, ds_world **out, struct ds_diag *diag);
void ds_world_free(ds_world *w);
long ds_world_accounts(const ds_world *w);
/* The prices the simulated bank pays (the [cost] parameters), as its
 * [costs] settings would give them to the planner: the staff rates from
 * the time each treatment takes (costs' minutes kept as they are); the
 * complaint's weight is left as c holds it. */
void ds_world_bank_costs(const ds_world *w, struct ds_costs *c);

/* The files ds_world_write_csv writes, in import order, with their kinds. */
struct ds_gen_file {
	const char *kind;
	const char *file;
};
const struct ds_gen_file *ds_generate_files(int *count);

/* Writes what the bank observes as import files into `dir` (must exist). */
ds_err ds_world_write_csv(const ds_world *w, const char *dir, struct ds_diag *diag);

/* Generates and writes in one step (the demo). */
ds_err ds_generate_csv(const struct ds_gen_opts *opts, const char *dir, struct ds_diag *diag);

/* ------------------------------------------------------------ simulation */

struct ds_sim_opts {
	int days;
	struct ds_capacity cap;              /* zero fields take the parameter file's defaults */
	uint64_t seed;                       /* common random numbers: same seed, same draws */
	ds_store *store;                     /* when set, each day's payments and contacts are
	                         * imported into it through the intake path */
	const char *feed_dir;                /* scratch directory for those daily files */
	const struct ds_import_opts *import; /* key, zone for the daily imports */
	const ds_rulepack *rules;            /* when set, every planned contact is checked */
};

struct ds_sim_result {
	char strategy[32];
	int days;
	long accounts, delinquent_start;
	ds_fen overdue_start_fen;
	ds_fen recovered_fen; /* paid by accounts while overdue */
	ds_fen cost_fen;      /* every treatment's cost, staff and partners included */
	ds_fen net_fen;       /* recovered - cost */
	long cured;           /* overdue at start, current at the end */
	double cure_rate;
	long contacts[DS_T_COUNT];
	long reached;
	long promises_made, promises_kept;
	long complaints, incidents;
	long refused;       /* planned contacts not made (hold, spacing) */
	long refused_rules; /* planned contacts the contact rules refused */
	double seconds;
};

/*
 * Runs `strategy` for opts->days days from the world's as_of, on a copy of
 * the world (w is not changed), and sums up what happened.
 */
ds_err ds_simulate(const ds_world *w, const struct ds_strategy *strategy, void *strategy_ctx,
                   const struct ds_sim_opts *opts, struct ds_sim_result *out, struct ds_diag *diag);

/*
 * The "oracle" strategy, for measurement only: each day the optimiser on
 * the accounts' true expected payments under every treatment (as the truth
 * file gives them) less the treatments' costs, within the same capacity.
 * ds_simulate hands it the simulation's state; no other strategy sees it.
 */
const struct ds_strategy *ds_sim_oracle(void);

/* The day's default capacity for this world (from the parameters). */
void ds_sim_default_capacity(const ds_world *w, struct ds_capacity *cap);

/*
 * Ground truth: for every overdue account, the expected payment within the
 * horizon under each treatment applied on as_of, from the hidden state.
 * CSV: account_id,dpd,overdue,<treatment>... (fen), plus the expected
 * complaints of a visit. For measurement only.
 */
ds_err ds_world_write_truth(const ds_world *w, const char *path, struct ds_diag *diag);

#endif

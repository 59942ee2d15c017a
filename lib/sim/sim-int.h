/* Internals of the simulator: the hidden state and the behaviour engine. */
#ifndef DOORSTEP_SIM_INT_H
#define DOORSTEP_SIM_INT_H

#include "doorstep/sim.h"

enum sim_type {
	TY_RELIABLE,
	TY_FORGETFUL,
	TY_HARDSHIP,
	TY_OVERINDEBTED,
	TY_STRATEGIC,
	TY_DISPUTE,
	TY_FRAUD,
	TY_COUNT
};
extern const char *const sim_type_names[TY_COUNT];

enum sim_attitude { AT_COOPERATIVE, AT_NEUTRAL, AT_HOSTILE };

/* Parameters resolved by name once, for the hot loops. */
struct sim_p {
	double share[TY_COUNT];
	double cooperative_share, hostile_share, conflict_mean, coop_mean, skill_mean;
	double income_median;
	double shock, recovery, capacity_after_shock;
	double on_time[TY_COUNT], hazard[TY_COUNT], full_share;
	double reach[DS_T_COUNT];
	double uplift[DS_T_COUNT][TY_COUNT];
	double plan_keep[TY_COUNT];
	double coop_weight, skill_weight, hostile_factor, cooperative_factor, after_complaint;
	double repeat_decay;
	int response_days, plan_installments;
	double complaint[DS_T_COUNT], hostile_complaint, dispute_complaint, incident_visit;
	int hold_days;
	double community_damage;
	double promise_rate, false_promise;
	ds_fen cost[DS_T_COUNT];
	ds_fen cost_visit_collector, cost_visit_partner, cost_visit_travel; /* a visit's parts */
	double visits_per_collector, visits_per_community, calls_per_1000, sms_per_1000,
	        letters_per_1000, legal_per_1000;
	int min_spacing, truth_horizon;
	int pilot_days;
	double pilot_rate;
};

void sim_p_resolve(const struct ds_sim_params *in, struct sim_p *p);

struct sim_community {
	char id[12];
	int district;
	double lat, lon, radius_m;
	float coop; /* hidden: how well its workers cooperate */
	uint8_t partner;
};

struct sim_staff {
	uint8_t role; /* 0 collector, 1 community worker, 2 office */
	int16_t district;
	int32_t community;
	float skill; /* hidden */
	ds_date hired;
	ds_date cert_issued, cert_expires; /* collectors' collection_basic */
	double lat, lon;
	uint32_t name_seed;
};

struct sim_borrower {
	uint32_t community;
	uint8_t type, attitude, flags;
	float conflict;  /* hidden conflict propensity 0..1 */
	float capacity;  /* hidden ability to pay now, 0..1 (1 = normal) */
	ds_fen income;   /* true monthly income */
	ds_fen declared; /* what the bank was told */
	ds_date birth;
	double lat, lon;
	uint32_t name_seed;
};

struct sim_account {
	uint32_t borrower;
	uint8_t product; /* 0 card, 1 consumer loan, 2 small-business loan */
	uint16_t months;
	int rate_bp;
	ds_date open;
	ds_fen principal, inst;
	/* the bank's ledger */
	ds_fen paid;
	/* installments due before a day in (prev_due, next_due]: ndue */
	ds_date prev_due, next_due;
	uint16_t ndue;
	/* the episode */
	uint8_t complained, legal, on_plan;
	ds_date hold_until;
	ds_date pending_day; /* a responding borrower pays on this day */
	ds_fen pending_amount;
	ds_date plan_next;
	ds_fen plan_amount;
	uint8_t plan_left;
	ds_date promise_day; /* an open promise (kept or broken on this day) */
	ds_fen paid_at_promise;
	ds_date promise_made; /* the day the open promise was made */
	/* what the bank has seen of it */
	ds_date last_contact, last_visit;
	uint8_t last_outcome;
	uint16_t promises_made, promises_kept;
	uint16_t contacts_30d;
	ds_date contacts_window;
};

/* Events the bank records: what its feeds will carry. */
struct sim_payment {
	uint32_t account;
	ds_date day;
	ds_fen amount;
	uint8_t channel; /* index into sim_channels */
	uint16_t minute; /* of the day, local */
};

struct sim_contact {
	uint32_t account;
	ds_date day;
	uint8_t treatment;
	uint8_t outcome; /* index into sim_outcomes */
	uint16_t minute;
	int32_t staff; /* -1: none */
};

extern const char *const sim_channels[];
extern const char *const sim_outcomes[];

struct sim_log {
	struct sim_payment *pay;
	size_t npay, cappay;
	struct sim_contact *con;
	size_t ncon, capcon;
	bool keep; /* record events (for feeds and files) */
};

/* Everything that changes as days pass: copied for each simulation run. */
struct sim_state {
	const struct ds_world *w;
	struct sim_borrower *b;
	struct sim_account *a;
	float *coop; /* community cooperation, which complaints wear down */
	uint64_t seed;
	struct sim_log log;
	struct ds_sim_result *res; /* totals, NULL in history */
	ds_date run_start;         /* promises made before it are not the run's */
	ds_date day;               /* the day being planned (the oracle reads it) */
};

struct ds_world {
	struct ds_gen_opts opts;
	struct ds_sim_params params;
	struct sim_p p;
	int ncomm, nbranch;
	struct sim_community *comm;
	int nstaff, ncollectors;
	struct sim_staff *staff;
	int *collector_of_district; /* first collector index per district */
	long nb, na;
	struct sim_borrower *b; /* state as of as_of */
	struct sim_account *a;
	struct sim_log history;
	ds_date as_of, history_start;
};

/* -------------------------------------------------------- behaviour */

/* Draw streams of the history's pilot (behaviour.c numbers its own below
 * these). */
#define SIM_STREAM_PILOT     100
#define SIM_STREAM_PILOT_ARM 101
/* A uniform draw in [0,1) for (account, day, stream): common random numbers. */
double sim_draw(uint64_t seed, uint32_t account, ds_date day, uint32_t stream);

ds_date sim_due(const struct sim_account *a, int k); /* k-th due date, 1-based */
/* Moves the cached due count to `day` (cheap when days go forward). */
void sim_advance(struct sim_account *a, ds_date day);
/* Installments due strictly before `day`. */
int sim_due_count(const struct sim_account *a, ds_date day);
ds_fen sim_overdue(const struct sim_account *a, ds_date day);
int sim_dpd(const struct sim_account *a, ds_date day);
ds_fen sim_balance(const struct sim_account *a);

/* Plays one day for every account; treatments may be NULL (none). */
ds_err sim_day(struct sim_state *s, ds_date day, const uint8_t *treatments);
/* The bank's view of account i on `day`. */
void sim_observe(const struct sim_state *s, long i, ds_date day, struct ds_obs_account *o);
/* Expected payment within `horizon` days of treatment t on `day` (truth). */
double sim_expected(const struct ds_world *w, const struct sim_borrower *b,
                    const struct sim_account *a, ds_treatment t, ds_date day, int horizon);
/* The bank's traditional practice, used for the history: an SMS a week to
 * overdue accounts, a call a fortnight past 30 days; and, in the history's
 * last [history] pilot_days, a randomised pilot of visits, letters and plan
 * offers. */
void sim_historic_practice(struct sim_state *s, ds_date day, uint8_t *tr);
/* Which collector serves a community. */
int sim_collector_for(const struct ds_world *w, uint32_t community);

void sim_log_free(struct sim_log *l);
bool sim_log_payment(struct sim_log *l, const struct sim_payment *p);
/* Writes a log's payments.csv and contacts.csv into dir; ids get `prefix`. */
ds_err sim_write_events(const struct ds_world *w, const struct sim_log *log, const char *dir,
                        const char *prefix, struct ds_diag *diag);

#endif

/*
 * Treatments and strategies: what to do, for which overdue account, today.
 *
 * A strategy sees only what the bank observes (struct ds_obs_account) and
 * answers with one treatment per account, within the day's capacity.
 */
#ifndef DOORSTEP_STRATEGY_H
#define DOORSTEP_STRATEGY_H

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

#endif

/*
 * The baseline strategies every smarter one is measured against. Each sees
 * only the bank's observations and respects the day's capacity.
 */
#include "doorstep/strategy.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[DS_T_COUNT] = { "none",  "sms",  "call", "letter",
	                                       "visit", "plan", "legal" };

const char *ds_treatment_name(ds_treatment t)
{
	return t < DS_T_COUNT ? names[t] : "?";
}

ds_treatment ds_treatment_parse(const char *name)
{
	for (int t = 0; t < DS_T_COUNT; t++)
		if (strcmp(names[t], name) == 0)
			return (ds_treatment)t;
	return DS_T_COUNT;
}

/* Contactable today: overdue, no hold, not with the lawyers, spaced out. */
static bool contactable(const struct ds_obs_account *a, const struct ds_capacity *cap)
{
	return a->dpd > 0 && !a->on_hold && !a->legal &&
	       a->days_since_contact >= cap->min_spacing_days;
}

static ds_err none(void *ctx, const struct ds_obs_account *acc, size_t n,
                   const struct ds_capacity *cap, uint64_t day_seed, uint8_t *out,
                   struct ds_diag *diag)
{
	(void)ctx, (void)acc, (void)cap, (void)day_seed, (void)diag;
	memset(out, DS_T_NONE, n);
	return DS_OK;
}

/* The traditional approach: an SMS reminder to each overdue account, in
 * account order, as far as the budget goes. */
static ds_err sms_only(void *ctx, const struct ds_obs_account *acc, size_t n,
                       const struct ds_capacity *cap, uint64_t day_seed, uint8_t *out,
                       struct ds_diag *diag)
{
	(void)ctx, (void)day_seed, (void)diag;
	long left = cap->sms;
	memset(out, DS_T_NONE, n);
	for (size_t i = 0; i < n && left > 0; i++)
		if (contactable(&acc[i], cap)) {
			out[i] = DS_T_SMS;
			left--;
		}
	return DS_OK;
}

struct order {
	size_t i;
	int64_t key;
};

static int by_key_desc(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Visits down a ranked list, within the day's and each community's limit. */
static ds_err visit_ranked(const struct ds_obs_account *acc, size_t n,
                           const struct ds_capacity *cap, bool by_balance, uint8_t *out,
                           struct ds_diag *diag)
{
	memset(out, DS_T_NONE, n);
	struct order *o = ds_malloc((n ? n : 1) * sizeof *o);
	if (!o)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	size_t m = 0;
	uint32_t ncomm = 0;
	for (size_t i = 0; i < n; i++) {
		if (acc[i].community + 1 > ncomm)
			ncomm = acc[i].community + 1;
		/* one visit per account per fortnight is the most a team repeats */
		if (contactable(&acc[i], cap) && acc[i].days_since_visit >= 14)
			o[m++] = (struct order){ i, by_balance ? acc[i].overdue_fen : acc[i].dpd };
	}
	qsort(o, m, sizeof *o, by_key_desc);
	long *per = ds_calloc(ncomm ? ncomm : 1, sizeof *per);
	if (!per) {
		ds_free(o);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	long left = cap->visits;
	for (size_t k = 0; k < m && left > 0; k++) {
		const struct ds_obs_account *a = &acc[o[k].i];
		if (cap->visits_per_community && per[a->community] >= cap->visits_per_community)
			continue;
		per[a->community]++;
		out[o[k].i] = DS_T_VISIT;
		left--;
	}
	ds_free(per);
	ds_free(o);
	return DS_OK;
}

static ds_err visit_all(void *ctx, const struct ds_obs_account *acc, size_t n,
                        const struct ds_capacity *cap, uint64_t day_seed, uint8_t *out,
                        struct ds_diag *diag)
{
	(void)ctx, (void)day_seed;
	return visit_ranked(acc, n, cap, false, out, diag);
}

static ds_err visit_by_balance(void *ctx, const struct ds_obs_account *acc, size_t n,
                               const struct ds_capacity *cap, uint64_t day_seed, uint8_t *out,
                               struct ds_diag *diag)
{
	(void)ctx, (void)day_seed;
	return visit_ranked(acc, n, cap, true, out, diag);
}

/* Exploration data: each contactable account draws a treatment at random;
 * draws beyond a channel's capacity fall back to nothing. */
static ds_err random_strategy(void *ctx, const struct ds_obs_account *acc, size_t n,
                              const struct ds_capacity *cap, uint64_t day_seed, uint8_t *out,
                              struct ds_diag *diag)
{
	(void)ctx, (void)diag;
	/* plan offers are made by the call centre: they share its capacity */
	long left[DS_T_COUNT] = {
		0, cap->sms, cap->calls, cap->letters, cap->visits, 0, cap->legal
	};
	memset(out, DS_T_NONE, n);
	for (size_t i = 0; i < n; i++) {
		if (!contactable(&acc[i], cap))
			continue;
		ds_treatment t =
		        (ds_treatment)(ds_mix64(day_seed ^ (acc[i].index * 0x9E3779B97F4A7C15ull)) %
		                       DS_T_COUNT);
		int pool = t == DS_T_PLAN ? DS_T_CALL : (int)t;
		if (t != DS_T_NONE && left[pool] > 0) {
			out[i] = (uint8_t)t;
			left[pool]--;
		}
	}
	return DS_OK;
}

static const struct ds_strategy baselines[] = {
	{ "none", "no collection action at all", none },
	{ "sms-only", "an SMS reminder to every overdue account, as budget allows", sms_only },
	{ "visit-all", "visit every overdue account as capacity allows, oldest arrears first",
	  visit_all },
	{ "visit-by-balance", "visit the largest overdue amounts first, as capacity allows",
	  visit_by_balance },
	{ "random", "a random treatment per overdue account, within capacity (exploration)",
	  random_strategy },
};

const struct ds_strategy *ds_strategy_baselines(int *count)
{
	*count = (int)(sizeof baselines / sizeof baselines[0]);
	return baselines;
}

const struct ds_strategy *ds_strategy_find(const char *name)
{
	for (size_t i = 0; i < sizeof baselines / sizeof baselines[0]; i++)
		if (strcmp(baselines[i].name, name) == 0)
			return &baselines[i];
	return NULL;
}

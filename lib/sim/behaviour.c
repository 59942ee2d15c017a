/*
 * How borrowers behave: installments paid or missed, shocks to their
 * ability to pay, unprompted payments, and the response to each treatment
 * (reach, payment, promise, complaint, incident). One day at a time, with
 * common random numbers: a draw depends only on (seed, account, day,
 * purpose), so two strategies meet the same luck.
 */
#include "sim-int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const sim_type_names[TY_COUNT] = { "reliable",     "forgetful", "hardship",
	                                       "overindebted", "strategic", "dispute",
	                                       "fraud_victim" };
const char *const sim_channels[] = { "auto_debit", "transfer", "app", "branch", "cash_at_door" };
const char *const sim_outcomes[] = { "delivered",    "failed",   "no_answer",
	                             "connected",    "promise",  "refused",
	                             "met_borrower", "not_home", "dispute" };
enum {
	O_DELIVERED,
	O_FAILED,
	O_NO_ANSWER,
	O_CONNECTED,
	O_PROMISE,
	O_REFUSED,
	O_MET,
	O_NOT_HOME,
	O_DISPUTE
};

/* Draw streams: one per purpose. */
enum {
	S_ON_TIME = 1,
	S_SHOCK,
	S_HAZARD,
	S_FULL,
	S_PLAN_KEEP,
	S_REACH,
	S_RESPOND,
	S_DELAY,
	S_PROMISE,
	S_COMPLAINT,
	S_INCIDENT,
	S_MINUTE
};

/* ------------------------------------------------------------ parameters */

void sim_p_resolve(const struct ds_sim_params *in, struct sim_p *p)
{
	char key[96];
	memset(p, 0, sizeof *p);
	for (int t = 0; t < TY_COUNT; t++) {
		snprintf(key, sizeof key, "population.share_%s", sim_type_names[t]);
		p->share[t] = ds_sim_param(in, key);
		snprintf(key, sizeof key, "payment.on_time_%s", sim_type_names[t]);
		p->on_time[t] = ds_sim_param(in, key);
		snprintf(key, sizeof key, "payment.hazard_%s", sim_type_names[t]);
		p->hazard[t] = ds_sim_param(in, key);
		snprintf(key, sizeof key, "effect_plan.keep_%s", sim_type_names[t]);
		p->plan_keep[t] = ds_sim_param(in, key);
		for (int x = DS_T_SMS; x < DS_T_COUNT; x++) {
			snprintf(key, sizeof key, "effect_%s.uplift_%s",
			         ds_treatment_name((ds_treatment)x), sim_type_names[t]);
			p->uplift[x][t] = ds_sim_param(in, key);
		}
	}
	for (int x = DS_T_SMS; x < DS_T_COUNT; x++) {
		const char *n = ds_treatment_name((ds_treatment)x);
		snprintf(key, sizeof key, "reach.%s", n);
		p->reach[x] = ds_sim_param(in, key);
		snprintf(key, sizeof key, "harm.complaint_%s", n);
		p->complaint[x] = ds_sim_param(in, key);
		if (x != DS_T_VISIT) {
			snprintf(key, sizeof key, "cost.%s", n);
			p->cost[x] = llround(ds_sim_param(in, key) * 100);
		}
	}
	p->cost_visit_collector = llround(ds_sim_param(in, "cost.visit_collector") * 100);
	p->cost_visit_partner = llround(ds_sim_param(in, "cost.visit_partner") * 100);
	p->cost_visit_travel = llround(ds_sim_param(in, "cost.visit_travel") * 100);
	p->cost[DS_T_VISIT] = llround((ds_sim_param(in, "cost.visit_collector") +
	                               ds_sim_param(in, "cost.visit_partner") +
	                               ds_sim_param(in, "cost.visit_travel")) *
	                              100);
	p->cooperative_share = ds_sim_param(in, "population.cooperative_share");
	p->hostile_share = ds_sim_param(in, "population.hostile_share");
	p->conflict_mean = ds_sim_param(in, "population.conflict_mean");
	p->coop_mean = ds_sim_param(in, "population.community_cooperation_mean");
	p->skill_mean = ds_sim_param(in, "population.collector_skill_mean");
	p->income_median = ds_sim_param(in, "population.income_median_yuan");
	p->shock = ds_sim_param(in, "ability.shock_rate_monthly");
	p->recovery = ds_sim_param(in, "ability.recovery_rate_monthly");
	p->capacity_after_shock = ds_sim_param(in, "ability.capacity_after_shock");
	p->full_share = ds_sim_param(in, "payment.full_share");
	p->coop_weight = ds_sim_param(in, "effect.visit_cooperation_weight");
	p->skill_weight = ds_sim_param(in, "effect.visit_skill_weight");
	p->hostile_factor = ds_sim_param(in, "effect.hostile_factor");
	p->cooperative_factor = ds_sim_param(in, "effect.cooperative_factor");
	p->after_complaint = ds_sim_param(in, "effect.after_complaint_factor");
	p->repeat_decay = ds_sim_param(in, "effect.repeat_decay");
	p->response_days = (int)ds_sim_param(in, "effect.response_days");
	p->plan_installments = (int)ds_sim_param(in, "effect.plan_installments");
	p->hostile_complaint = ds_sim_param(in, "harm.hostile_complaint_factor");
	p->dispute_complaint = ds_sim_param(in, "harm.dispute_complaint_factor");
	p->incident_visit = ds_sim_param(in, "harm.incident_visit");
	p->hold_days = (int)ds_sim_param(in, "harm.hold_days");
	p->community_damage = ds_sim_param(in, "harm.community_damage");
	p->promise_rate = ds_sim_param(in, "promise.rate");
	p->false_promise = ds_sim_param(in, "promise.false_rate");
	p->visits_per_collector = ds_sim_param(in, "capacity.visits_per_collector");
	p->visits_per_community = ds_sim_param(in, "capacity.visits_per_community");
	p->calls_per_1000 = ds_sim_param(in, "capacity.calls_per_1000");
	p->sms_per_1000 = ds_sim_param(in, "capacity.sms_per_1000");
	p->letters_per_1000 = ds_sim_param(in, "capacity.letters_per_1000");
	p->legal_per_1000 = ds_sim_param(in, "capacity.legal_per_1000");
	p->min_spacing = (int)ds_sim_param(in, "capacity.min_spacing_days");
	p->truth_horizon = (int)ds_sim_param(in, "truth.horizon_days");
	p->pilot_days = (int)ds_sim_param(in, "history.pilot_days");
	p->pilot_rate = ds_sim_param(in, "history.pilot_rate");
}

/* ------------------------------------------------------------- draws */

double sim_draw(uint64_t seed, uint32_t account, ds_date day, uint32_t stream)
{
	uint64_t h = ds_mix64(seed ^ 0x9E3779B97F4A7C15ull);
	h = ds_mix64(h ^ ((uint64_t)account << 20) ^ (uint64_t)stream);
	h = ds_mix64(h ^ (uint64_t)(uint32_t)day);
	return (double)(h >> 11) * 0x1.0p-53;
}

/* ------------------------------------------------------------ schedule */

ds_date sim_due(const struct sim_account *a, int k)
{
	return ds_date_add_months(a->open, k);
}

static int due_count_slow(const struct sim_account *a, ds_date day)
{
	if (day <= a->open)
		return 0;
	int y0, m0, d0, y, m, d;
	ds_date_to_ymd(a->open, &y0, &m0, &d0);
	ds_date_to_ymd(day, &y, &m, &d);
	int k = (y - y0) * 12 + (m - m0);
	/* k months on may still be on or after `day` */
	while (k > 0 && sim_due(a, k) >= day)
		k--;
	while (sim_due(a, k + 1) < day)
		k++;
	return k > a->months ? a->months : k;
}

void sim_advance(struct sim_account *a, ds_date day)
{
	if (a->next_due && a->prev_due < day && day <= a->next_due)
		return;
	if (a->next_due && day == a->next_due + 1 && a->ndue < a->months) {
		a->ndue++;
	} else {
		a->ndue = (uint16_t)due_count_slow(a, day);
	}
	a->prev_due = a->ndue ? sim_due(a, a->ndue) : a->open - 1;
	a->next_due = a->ndue < a->months ? sim_due(a, a->ndue + 1) : INT32_MAX / 2;
}

int sim_due_count(const struct sim_account *a, ds_date day)
{
	if (a->next_due && a->prev_due < day && day <= a->next_due)
		return a->ndue;
	return due_count_slow(a, day);
}

ds_fen sim_overdue(const struct sim_account *a, ds_date day)
{
	ds_fen owed = a->inst * sim_due_count(a, day) - a->paid;
	return owed > 0 ? owed : 0;
}

int sim_dpd(const struct sim_account *a, ds_date day)
{
	if (sim_overdue(a, day) <= 0)
		return 0;
	int covered = (int)(a->paid / (a->inst > 0 ? a->inst : 1));
	return day - sim_due(a, covered + 1);
}

ds_fen sim_balance(const struct sim_account *a)
{
	ds_fen left = a->inst * a->months - a->paid;
	return left > 0 ? left : 0;
}

int sim_collector_for(const struct ds_world *w, uint32_t community)
{
	/* each district's collectors, a contiguous block, share its
	 * communities in turn */
	int d = w->comm[community].district;
	int first = w->collector_of_district[d];
	int end = d + 1 < w->nbranch ? w->collector_of_district[d + 1]
	                             : w->collector_of_district[0] + w->ncollectors;
	int n = end > first ? end - first : 1;
	return first + (int)(community / (uint32_t)w->nbranch) % n;
}

/* ------------------------------------------------------------- events */

static bool push(void **arr, size_t *n, size_t *cap, size_t size, const void *item)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		void *p = ds_realloc(*arr, c * size);
		if (!p)
			return false;
		*arr = p;
		*cap = c;
	}
	memcpy((char *)*arr + *n * size, item, size);
	(*n)++;
	return true;
}

bool sim_log_payment(struct sim_log *l, const struct sim_payment *p)
{
	return push((void **)&l->pay, &l->npay, &l->cappay, sizeof *p, p);
}

void sim_log_free(struct sim_log *l)
{
	ds_free(l->pay);
	ds_free(l->con);
	memset(l, 0, sizeof *l);
}

static ds_err pay(struct sim_state *s, long i, ds_date day, ds_fen amount, int channel)
{
	struct sim_account *a = &s->a[i];
	if (amount <= 0)
		return DS_OK;
	if (s->res && sim_overdue(a, day) > 0)
		s->res->recovered_fen += amount;
	a->paid += amount;
	if (!s->log.keep)
		return DS_OK;
	struct sim_payment p = { (uint32_t)i, day, amount, (uint8_t)channel,
		                 (uint16_t)(8 * 60 +
		                            sim_draw(s->seed, (uint32_t)i, day, S_MINUTE) * 720) };
	return push((void **)&s->log.pay, &s->log.npay, &s->log.cappay, sizeof p, &p) ? DS_OK
	                                                                              : DS_ENOMEM;
}

static ds_err contact(struct sim_state *s, long i, ds_date day, ds_treatment t, int outcome)
{
	struct sim_account *a = &s->a[i];
	if (!s->log.keep)
		return DS_OK;
	int32_t staff = -1;
	if (t == DS_T_CALL || t == DS_T_VISIT || t == DS_T_PLAN)
		staff = sim_collector_for(s->w, s->w->b[a->borrower].community);
	struct sim_contact c = {
		(uint32_t)i,
		day,
		(uint8_t)t,
		(uint8_t)outcome,
		(uint16_t)(9 * 60 + sim_draw(s->seed, (uint32_t)i, day, S_MINUTE + 1) * 600),
		staff
	};
	return push((void **)&s->log.con, &s->log.ncon, &s->log.capcon, sizeof c, &c) ? DS_OK
	                                                                              : DS_ENOMEM;
}

/* The part of the overdue amount a payment covers: all of it, or half. */
static ds_fen payment_amount(const struct sim_p *p, const struct sim_borrower *b, ds_fen overdue,
                             double u)
{
	if (u < p->full_share * b->capacity)
		return overdue;
	ds_fen half = overdue / 2 / 100 * 100;
	return half > 0 ? half : overdue;
}

/* The effect of a reached treatment on this borrower, before ability. */
static double effect(const struct ds_world *w, const struct sim_borrower *b,
                     const struct sim_account *a, ds_treatment t, float coop, ds_date day)
{
	const struct sim_p *p = &w->p;
	double u = p->uplift[t][b->type];
	if (b->attitude == AT_HOSTILE)
		u *= p->hostile_factor;
	else if (b->attitude == AT_COOPERATIVE)
		u *= p->cooperative_factor;
	if (a->complained)
		u *= p->after_complaint;
	/* reminders wear off: each recent contact weakens the next */
	u *= pow(p->repeat_decay, day - a->contacts_window < 30 ? a->contacts_30d : 0);
	if (t == DS_T_VISIT) {
		float skill = w->staff[sim_collector_for(w, b->community)].skill;
		u *= 1 - p->coop_weight / 2 + p->coop_weight * coop;
		u *= 1 - p->skill_weight / 2 + p->skill_weight * skill;
	}
	return u * b->capacity;
}

static double complaint_chance(const struct sim_p *p, const struct sim_borrower *b, ds_treatment t)
{
	double c = p->complaint[t];
	if (b->attitude == AT_HOSTILE)
		c *= p->hostile_complaint;
	if (b->type == TY_DISPUTE || b->type == TY_FRAUD)
		c *= p->dispute_complaint;
	return c > 1 ? 1 : c;
}

static ds_err treat(struct sim_state *s, long i, ds_treatment t, ds_date day)
{
	const struct ds_world *w = s->w;
	const struct sim_p *p = &w->p;
	struct sim_account *a = &s->a[i];
	struct sim_borrower *b = &s->b[a->borrower];
	struct ds_sim_result *r = s->res;
	ds_fen overdue = sim_overdue(a, day);
	if (overdue <= 0 || a->legal || a->hold_until > day ||
	    (a->last_contact && day - a->last_contact < p->min_spacing)) {
		if (r)
			r->refused++;
		return DS_OK;
	}
	uint32_t id = (uint32_t)i;
	if (r) {
		r->contacts[t]++;
		r->cost_fen += p->cost[t];
	}
	if (day - a->contacts_window >= 30) {
		a->contacts_window = day;
		a->contacts_30d = 0;
	}
	float coop = s->coop[b->community];
	double eff = effect(w, b, a, t, coop, day);
	a->contacts_30d++;
	a->last_contact = day;
	if (t == DS_T_VISIT)
		a->last_visit = day;
	if (t == DS_T_LEGAL)
		a->legal = 1;
	bool reached = sim_draw(s->seed, id, day, S_REACH) < p->reach[t];
	if (!reached) {
		a->last_outcome = DS_OBS_NOT_REACHED;
		int o = t == DS_T_VISIT                                        ? O_NOT_HOME
		        : t == DS_T_SMS || t == DS_T_LETTER || t == DS_T_LEGAL ? O_FAILED
		                                                               : O_NO_ANSWER;
		return contact(s, i, day, t, o);
	}
	if (r)
		r->reached++;
	bool talk = t == DS_T_CALL || t == DS_T_VISIT || t == DS_T_PLAN;
	bool respond = sim_draw(s->seed, id, day, S_RESPOND) < eff;
	int outcome = t == DS_T_VISIT ? O_MET : talk ? O_CONNECTED : O_DELIVERED;
	a->last_outcome = DS_OBS_REACHED;
	if (respond) {
		int delay = 1 + (int)(sim_draw(s->seed, id, day, S_DELAY) * p->response_days);
		if (t == DS_T_PLAN) {
			a->on_plan = 1;
			a->plan_left = (uint8_t)p->plan_installments;
			a->plan_amount = overdue / p->plan_installments / 100 * 100;
			if (a->plan_amount <= 0)
				a->plan_amount = overdue;
			a->plan_next = day + delay;
		} else if (!a->pending_day || a->pending_day <= day) {
			/* a payment already on its way is not postponed */
			a->pending_day = day + delay;
		}
		if (talk && sim_draw(s->seed, id, day, S_PROMISE) < p->promise_rate) {
			a->promise_day = day + delay;
			a->paid_at_promise = a->paid;
			a->promise_made = day;
			a->promises_made++;
			a->last_outcome = DS_OBS_PROMISE;
			outcome = O_PROMISE;
			if (r)
				r->promises_made++;
		}
	} else if (talk && sim_draw(s->seed, id, day, S_PROMISE) < p->false_promise) {
		/* a promise made to end the conversation */
		a->promise_day = day + 7;
		a->paid_at_promise = a->paid;
		a->promise_made = day;
		a->promises_made++;
		a->last_outcome = DS_OBS_PROMISE;
		outcome = O_PROMISE;
		if (r)
			r->promises_made++;
	} else if (talk && b->attitude == AT_HOSTILE) {
		a->last_outcome = DS_OBS_REFUSED;
		outcome = O_REFUSED;
	}
	if (sim_draw(s->seed, id, day, S_COMPLAINT) < complaint_chance(p, b, t)) {
		a->complained = 1;
		a->hold_until = day + p->hold_days;
		a->last_outcome = DS_OBS_COMPLAINT;
		outcome = O_DISPUTE;
		if (t == DS_T_VISIT) {
			float c = s->coop[b->community] - (float)p->community_damage;
			s->coop[b->community] = c < 0 ? 0 : c;
		}
		if (r)
			r->complaints++;
	}
	if (t == DS_T_VISIT) {
		float skill = w->staff[sim_collector_for(w, b->community)].skill;
		double inc = p->incident_visit * b->conflict * (1.3 - skill) *
		             (b->attitude == AT_HOSTILE ? 3 : 1);
		if (sim_draw(s->seed, id, day, S_INCIDENT) < inc && r)
			r->incidents++;
	}
	return contact(s, i, day, t, outcome);
}

ds_err sim_day(struct sim_state *s, ds_date day, const uint8_t *treatments)
{
	const struct ds_world *w = s->w;
	const struct sim_p *p = &w->p;
	ds_err err = DS_OK;
	for (long i = 0; i < w->na && !err; i++) {
		struct sim_account *a = &s->a[i];
		if (day <= a->open)
			continue;
		struct sim_borrower *b = &s->b[a->borrower];
		uint32_t id = (uint32_t)i;
		sim_advance(a, day);
		/* Ability changes once a month, on the borrower's own day. */
		bool first = i == 0 || s->a[i - 1].borrower != a->borrower;
		if (first && (day + (ds_date)a->borrower) % 30 == 0) {
			double u = sim_draw(s->seed, a->borrower, day, S_SHOCK);
			if (b->capacity >= 1 && u < p->shock)
				b->capacity = (float)p->capacity_after_shock;
			else if (b->capacity < 1 && u < p->recovery)
				b->capacity = 1;
		}
		ds_fen overdue = sim_overdue(a, day);
		bool due_today = a->next_due == day;
		if (overdue == 0 && !due_today && !a->promise_day && !a->on_plan &&
		    (!treatments || treatments[i] == DS_T_NONE))
			continue; /* a quiet day for a current account */
		if (due_today && overdue == 0 && !a->legal) {
			double on_time = p->on_time[b->type] * (b->capacity < 1 ? b->capacity : 1);
			if (sim_draw(s->seed, id, day, S_ON_TIME) < on_time)
				err = pay(s, i, day, a->inst, 0);
		}
		int paid_today = 0;
		if (!err && a->on_plan && a->plan_next == day) {
			/* a plan ends when its installments are done or nothing is owed */
			ds_fen owed = sim_overdue(a, day);
			if (owed > 0 && a->plan_left > 0 &&
			    sim_draw(s->seed, id, day, S_PLAN_KEEP) < p->plan_keep[b->type]) {
				err = pay(s, i, day, a->plan_amount < owed ? a->plan_amount : owed,
				          1);
				paid_today = 1;
			}
			if (a->plan_left > 0)
				a->plan_left--;
			a->plan_next = day + 30;
			if (a->plan_left == 0 || owed == 0)
				a->on_plan = 0;
		}
		if (!err && overdue > 0) {
			if (a->pending_day == day) {
				double u = sim_draw(s->seed, id, day, S_FULL);
				err = pay(s, i, day, payment_amount(p, b, sim_overdue(a, day), u),
				          1 + (int)(u * 2));
				paid_today = 1;
				a->pending_day = 0;
			}
			if (!err && !paid_today &&
			    sim_draw(s->seed, id, day, S_HAZARD) <
			            p->hazard[b->type] * b->capacity) {
				double u = sim_draw(s->seed, id, day, S_FULL);
				err = pay(s, i, day, payment_amount(p, b, sim_overdue(a, day), u),
				          1 + (int)(u * 2));
			}
		}
		if (a->promise_day == day) {
			/* kept when anything was paid since the promise */
			if (a->paid > a->paid_at_promise) {
				a->promises_kept++;
				if (s->res && a->promise_made >= s->run_start)
					s->res->promises_kept++;
			}
			a->promise_day = 0;
		}
		if (!err && treatments && treatments[i] != DS_T_NONE)
			err = treat(s, i, (ds_treatment)treatments[i], day);
	}
	return err;
}

void sim_observe(const struct sim_state *s, long i, ds_date day, struct ds_obs_account *o)
{
	const struct sim_account *a = &s->a[i];
	const struct sim_borrower *b = &s->b[a->borrower];
	memset(o, 0, sizeof *o);
	o->index = (uint32_t)i;
	o->community = b->community;
	o->product = a->product;
	o->on_hold = a->hold_until > day;
	o->legal = a->legal;
	o->on_plan = a->on_plan;
	o->dpd = sim_dpd(a, day);
	o->overdue_fen = sim_overdue(a, day);
	o->balance_fen = sim_balance(a);
	o->monthly_income_fen = b->declared;
	o->days_since_contact = a->last_contact ? day - a->last_contact : 9999;
	o->days_since_visit = a->last_visit ? day - a->last_visit : 9999;
	o->last_outcome = a->last_outcome;
	o->promises_made = a->promises_made;
	o->promises_kept = a->promises_kept;
	o->contacts_30d = day - a->contacts_window < 30 ? a->contacts_30d : 0;
}

double sim_expected(const struct ds_world *w, const struct sim_borrower *b,
                    const struct sim_account *a, ds_treatment t, ds_date day, int horizon)
{
	const struct sim_p *p = &w->p;
	ds_fen overdue = sim_overdue(a, day);
	if (overdue <= 0)
		return 0;
	double full = p->full_share * b->capacity;
	double amount = (double)overdue * (full + (1 - full) * 0.5);
	double h = p->hazard[b->type] * b->capacity;
	double stay = pow(1 - h, horizon); /* no unprompted payment */
	double base = (1 - stay) * amount;
	if (t == DS_T_NONE || a->legal || a->hold_until > day)
		return base;
	double reach = p->reach[t];
	double u = effect(w, b, a, t, w->comm[b->community].coop, day);
	if (u > 1)
		u = 1;
	if (t == DS_T_PLAN) {
		int n = 1 + horizon / 30;
		if (n > p->plan_installments)
			n = p->plan_installments;
		double plan = (double)(overdue / p->plan_installments) * n * p->plan_keep[b->type];
		return reach * (u * (plan > base ? plan : base) + (1 - u) * base) +
		       (1 - reach) * base;
	}
	double treated = (1 - (1 - u) * stay) * amount;
	return reach * treated + (1 - reach) * base;
}

/*
 * Building the synthetic city: communities of a Chinese city with their
 * partner workers, collectors, borrowers with their hidden ability and
 * willingness, their accounts, and a year of history played through the
 * behaviour engine with the bank's traditional practice (SMS reminders and
 * calls), so that the history the bank sees is the one this world produced.
 */
#include "sim-int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static long range(struct ds_rng *r, long lo, long hi)
{
	return lo + (long)(ds_rng_uniform(r) * (double)(hi - lo + 1));
}

static double normal(struct ds_rng *r)
{
	double u = ds_rng_uniform(r), v = ds_rng_uniform(r);
	return sqrt(-2.0 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

static float clamp01(double x)
{
	return (float)(x < 0.02 ? 0.02 : x > 1 ? 1 : x);
}

#define CITY_LAT  30.2741
#define CITY_LON  120.1551
#define DEG_LAT_M 111320.0
#define NBRANCH   5

/* Equal monthly installment of an amortised loan, fen. */
static ds_fen annuity(ds_fen principal, int rate_bp, int months)
{
	double i = rate_bp / 10000.0 / 12.0;
	if (i <= 0)
		return principal / months;
	return (ds_fen)llround((double)principal * i / (1 - pow(1 + i, -months)));
}

static void place(struct ds_rng *r, const struct sim_community *c, double *lat, double *lon)
{
	double ang = ds_rng_uniform(r) * 2 * M_PI,
	       dist = sqrt(ds_rng_uniform(r)) * c->radius_m * 0.9;
	*lat = c->lat + dist * sin(ang) / DEG_LAT_M;
	*lon = c->lon + dist * cos(ang) / (DEG_LAT_M * cos(c->lat * M_PI / 180));
}

static int pick_type(const struct sim_p *p, double u)
{
	double total = 0;
	for (int t = 0; t < TY_COUNT; t++)
		total += p->share[t];
	double acc = 0;
	for (int t = 0; t < TY_COUNT; t++) {
		acc += p->share[t] / (total > 0 ? total : 1);
		if (u < acc)
			return t;
	}
	return TY_RELIABLE;
}

/*
 * The bank's traditional practice in the history: an SMS a week to every
 * overdue account, and a call a fortnight once it is a month behind. In the
 * last months a pilot: each day an account more than 15 days behind is
 * drawn with a small chance, whatever else is known of it, and then gets a
 * visit, a letter or a plan offer, equally likely, instead of that day's
 * reminder. That randomised pilot is the only history of those treatments
 * the bank has to learn from.
 */
void sim_historic_practice(struct sim_state *s, ds_date day, uint8_t *tr)
{
	const struct ds_world *w = s->w;
	static const uint8_t pilot[3] = { DS_T_VISIT, DS_T_LETTER, DS_T_PLAN };
	bool piloting = w->p.pilot_days > 0 && day >= w->as_of - w->p.pilot_days;
	for (long i = 0; i < w->na; i++) {
		struct sim_account *a = &s->a[i];
		tr[i] = DS_T_NONE;
		if (day <= a->open || a->legal || a->hold_until > day)
			continue;
		sim_advance(a, day);
		if (sim_overdue(a, day) <= 0)
			continue;
		int dpd = sim_dpd(a, day);
		int since = a->last_contact ? day - a->last_contact : 9999;
		if (piloting && dpd > 15 && since >= w->p.min_spacing &&
		    sim_draw(s->seed, (uint32_t)i, day, SIM_STREAM_PILOT) < w->p.pilot_rate) {
			double u = sim_draw(s->seed, (uint32_t)i, day, SIM_STREAM_PILOT_ARM);
			tr[i] = pilot[u < 1.0 / 3 ? 0 : u < 2.0 / 3 ? 1 : 2];
			continue;
		}
		/* on its fortnightly day the call replaces that week's SMS */
		if (dpd > 30 && since >= 3 && (day + (ds_date)i) % 14 == 0)
			tr[i] = DS_T_CALL;
		else if (since >= 7 && (day + (ds_date)i) % 7 == 0)
			tr[i] = DS_T_SMS;
	}
}

void ds_world_bank_costs(const ds_world *w, struct ds_costs *c)
{
	const ds_fen *k = w->p.cost;
	c->sms = k[DS_T_SMS];
	c->letter = k[DS_T_LETTER];
	c->legal = k[DS_T_LEGAL];
	/* per hour from the minutes a treatment takes */
	if (c->call_minutes > 0)
		c->agent_per_hour = (ds_fen)llround((double)k[DS_T_CALL] * 60 / c->call_minutes);
	if (c->agent_per_hour > 0)
		c->plan_minutes =
		        (int)lround((double)k[DS_T_PLAN] * 60 / (double)c->agent_per_hour);
	if (c->visit_minutes > 0) {
		c->collector_per_hour = (ds_fen)llround((double)w->p.cost_visit_collector * 60.0 /
		                                        c->visit_minutes);
		c->worker_per_hour =
		        (ds_fen)llround((double)w->p.cost_visit_partner * 60.0 / c->visit_minutes);
	}
	c->travel = w->p.cost_visit_travel;
}

long ds_world_accounts(const ds_world *w)
{
	return w->na;
}

void ds_world_free(ds_world *w)
{
	if (!w)
		return;
	ds_free(w->comm);
	ds_free(w->staff);
	ds_free(w->collector_of_district);
	ds_free(w->b);
	ds_free(w->a);
	sim_log_free(&w->history);
	ds_free(w);
}

ds_err ds_world_generate(const struct ds_gen_opts *opts, ds_world **out, struct ds_diag *diag)
{
	if (opts->borrowers < 1 || opts->borrowers > 5000000)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "borrowers", "must be 1..5000000");
	ds_world *w = ds_calloc(1, sizeof *w);
	if (!w)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	w->opts = *opts;
	if (opts->params)
		w->params = *opts->params;
	else
		ds_sim_params_default(&w->params);
	w->opts.params = NULL;
	sim_p_resolve(&w->params, &w->p);
	const struct sim_p *p = &w->p;
	struct ds_rng r;
	ds_rng_seed(&r, opts->seed);
	w->as_of = opts->as_of;
	int months_back = opts->history_months > 0 ? opts->history_months : 12;
	w->history_start = ds_date_add_months(w->as_of, -months_back);
	w->nbranch = NBRANCH;

	/* communities: about one per 60 borrowers */
	long nc = opts->borrowers / 60;
	w->ncomm = (int)(nc < 8 ? 8 : nc > 2000 ? 2000 : nc);
	/* staff: one or two partner workers per community, a collector per
	 * 150 borrowers, three office staff */
	long ncoll = opts->borrowers / 150;
	w->ncollectors = (int)(ncoll < NBRANCH ? NBRANCH : ncoll);
	w->nb = opts->borrowers;
	w->comm = ds_calloc((size_t)w->ncomm, sizeof *w->comm);
	w->staff = ds_calloc((size_t)(2 * w->ncomm + w->ncollectors + 3), sizeof *w->staff);
	w->collector_of_district = ds_calloc(NBRANCH, sizeof(int));
	w->b = ds_calloc((size_t)w->nb, sizeof *w->b);
	w->a = ds_calloc((size_t)w->nb * 2, sizeof *w->a);
	if (!w->comm || !w->staff || !w->collector_of_district || !w->b || !w->a) {
		ds_world_free(w);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	for (int c = 0; c < w->ncomm; c++) {
		struct sim_community *cm = &w->comm[c];
		snprintf(cm->id, sizeof cm->id, "C%04d", (c + 1) % 10000);
		cm->district = c % NBRANCH;
		int d = cm->district;
		double ang = ds_rng_uniform(&r) * 2 * M_PI, dist = 1500 + ds_rng_uniform(&r) * 9000;
		cm->lat = CITY_LAT + (d - 2) * 0.03 + dist * sin(ang) / DEG_LAT_M;
		cm->lon = CITY_LON + ((d % 3) - 1) * 0.04 +
		          dist * cos(ang) / (DEG_LAT_M * cos(CITY_LAT * M_PI / 180));
		cm->radius_m = 250 + ds_rng_uniform(&r) * 400;
		cm->coop = clamp01(p->coop_mean + 0.2 * normal(&r));
		cm->partner = (uint8_t)range(&r, 0, 4);
	}
	/* partner workers */
	for (int c = 0; c < w->ncomm; c++) {
		int workers = 1 + (int)range(&r, 0, 1);
		for (int k = 0; k < workers; k++) {
			struct sim_staff *s = &w->staff[w->nstaff++];
			s->role = 1;
			s->community = c;
			s->district = (int16_t)w->comm[c].district;
			s->skill = clamp01(p->skill_mean + 0.15 * normal(&r));
			s->hired = w->as_of - (ds_date)range(&r, 200, 3000);
			place(&r, &w->comm[c], &s->lat, &s->lon);
			s->name_seed = (uint32_t)ds_rng_next(&r);
		}
	}
	/* collectors, in a block per district */
	int per = w->ncollectors / NBRANCH;
	for (int k = 0; k < w->ncollectors; k++) {
		int d = k / per < NBRANCH ? k / per : NBRANCH - 1;
		if (k % per == 0 && k / per < NBRANCH)
			w->collector_of_district[d] = w->nstaff;
		struct sim_staff *s = &w->staff[w->nstaff++];
		s->role = 0;
		s->community = -1;
		s->district = (int16_t)d;
		s->skill = clamp01(p->skill_mean + 0.2 * normal(&r));
		s->hired = w->as_of - (ds_date)range(&r, 60, 4000);
		s->name_seed = (uint32_t)ds_rng_next(&r);
		/* training: most renew the certificate every two years, some let
		 * it lapse */
		ds_date issued = s->hired + 30 > w->as_of ? w->as_of : s->hired + 30;
		ds_date expires = ds_date_add_months(issued, 24);
		for (uint32_t renew = s->name_seed; expires < w->as_of && renew % 8 != 0;
		     renew /= 2) {
			issued = ds_date_add_months(issued, 24);
			expires = ds_date_add_months(issued, 24);
		}
		s->cert_issued = issued > w->as_of ? w->as_of : issued;
		s->cert_expires = expires;
		s->lat = CITY_LAT + (d - 2) * 0.03 + normal(&r) * 0.02;
		s->lon = CITY_LON + ((d % 3) - 1) * 0.04 + normal(&r) * 0.02;
	}
	for (int k = 0; k < 3; k++) {
		struct sim_staff *s = &w->staff[w->nstaff++];
		s->role = 2;
		s->community = -1;
		s->hired = w->as_of - 1000;
		s->name_seed = (uint32_t)ds_rng_next(&r);
	}

	/* borrowers and their accounts */
	for (long i = 0; i < w->nb; i++) {
		struct sim_borrower *b = &w->b[i];
		b->community = (uint32_t)range(&r, 0, w->ncomm - 1);
		b->type = (uint8_t)pick_type(p, ds_rng_uniform(&r));
		double u = ds_rng_uniform(&r);
		b->attitude = u < p->cooperative_share                      ? AT_COOPERATIVE
		              : u < p->cooperative_share + p->hostile_share ? AT_HOSTILE
		                                                            : AT_NEUTRAL;
		b->conflict = clamp01(-p->conflict_mean * log(1 - ds_rng_uniform(&r) * 0.999));
		b->capacity = 1;
		b->income = (ds_fen)(p->income_median * exp(0.55 * normal(&r))) * 100 / 100 * 100;
		b->declared = (ds_fen)((double)b->income * (0.8 + 0.4 * ds_rng_uniform(&r))) /
		              10000 * 10000;
		b->birth = w->as_of - (ds_date)range(&r, 22 * 365, 66 * 365);
		place(&r, &w->comm[b->community], &b->lat, &b->lon);
		if (w->as_of - b->birth > 60 * 365 && ds_rng_uniform(&r) < 0.5)
			b->flags |= 1; /* elderly */
		if (b->attitude == AT_HOSTILE && b->conflict > 0.6)
			b->flags |= 2; /* safety risk known to the bank */
		b->name_seed = (uint32_t)ds_rng_next(&r);
		int naccounts = ds_rng_uniform(&r) < 0.3 ? 2 : 1;
		for (int k = 0; k < naccounts; k++) {
			struct sim_account *a = &w->a[w->na++];
			a->borrower = (uint32_t)i;
			double pu = ds_rng_uniform(&r);
			a->product = pu < 0.5 ? 0 : pu < 0.85 ? 1 : 2;
			int months;
			if (a->product == 0) {
				a->principal =
				        (ds_fen)(20000 * exp(0.6 * normal(&r))) / 1000 * 100000;
				a->rate_bp = 1825;
				months = 18;
			} else if (a->product == 1) {
				a->principal =
				        (ds_fen)(60000 * exp(0.7 * normal(&r))) / 1000 * 100000;
				a->rate_bp = (int)range(&r, 400, 1500);
				months = 12 * (int)range(&r, 1, 3);
			} else {
				a->principal =
				        (ds_fen)(300000 * exp(0.7 * normal(&r))) / 1000 * 100000;
				a->rate_bp = (int)range(&r, 350, 900);
				months = 12 * (int)range(&r, 1, 3);
			}
			if (a->principal < 100000)
				a->principal = 100000;
			a->months = (uint16_t)months;
			int age = (int)range(&r, 3, months + months_back - 1);
			a->open = ds_date_add_months(w->as_of, -age) - (ds_date)range(&r, 0, 27);
			a->inst = a->product == 0 ? a->principal / months
			                          : annuity(a->principal, a->rate_bp, months);
		}
	}

	/* Every account is current when the history begins; the payments that
	 * made it so are part of the bank's records too. */
	struct sim_log log = { .keep = true };
	for (long i = 0; i < w->na; i++) {
		struct sim_account *a = &w->a[i];
		int before = sim_due_count(a, w->history_start);
		for (int k = 1; k <= before; k++) {
			struct sim_payment pm = { (uint32_t)i, sim_due(a, k) - (ds_date)(k % 3),
				                  a->inst, 0, (uint16_t)(6 * 60 + k % 60) };
			if (!sim_log_payment(&log, &pm)) {
				sim_log_free(&log);
				ds_world_free(w);
				return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			}
		}
		a->paid = a->inst * before;
	}

	/* the history, through the behaviour engine */
	struct sim_state s = {
		.w = w, .b = w->b, .a = w->a, .seed = opts->seed ^ 0x484953544F5259ull
	};
	s.coop = ds_malloc((size_t)w->ncomm * sizeof *s.coop);
	uint8_t *tr = ds_malloc((size_t)w->na);
	if (!s.coop || !tr) {
		ds_free(s.coop);
		ds_free(tr);
		ds_world_free(w);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	for (int c = 0; c < w->ncomm; c++)
		s.coop[c] = w->comm[c].coop;
	s.log = log;
	ds_err err = DS_OK;
	for (ds_date day = w->history_start; day < w->as_of && !err; day++) {
		sim_historic_practice(&s, day, tr);
		err = sim_day(&s, day, tr);
	}
	for (int c = 0; c < w->ncomm; c++)
		w->comm[c].coop = s.coop[c];
	for (long i = 0; i < w->na; i++)
		sim_advance(&w->a[i], w->as_of);
	w->history = s.log;
	ds_free(s.coop);
	ds_free(tr);
	if (err) {
		ds_world_free(w);
		return ds_diag_set(diag, err, NULL, 0, NULL, "out of memory");
	}
	*out = w;
	return DS_OK;
}

void ds_sim_default_capacity(const ds_world *w, struct ds_capacity *cap)
{
	const struct sim_p *p = &w->p;
	double k = (double)w->na / 1000.0;
	memset(cap, 0, sizeof *cap);
	cap->visits = (long)(p->visits_per_collector * w->ncollectors);
	cap->visits_per_community = (long)p->visits_per_community;
	cap->calls = (long)(p->calls_per_1000 * k + 0.5);
	cap->sms = (long)(p->sms_per_1000 * k + 0.5);
	cap->letters = (long)(p->letters_per_1000 * k + 0.5);
	cap->legal = (long)(p->legal_per_1000 * k + 0.5);
	cap->min_spacing_days = p->min_spacing;
}

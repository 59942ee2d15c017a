/*
 * The daily cycle in the simulated world: each day the strategy decides from
 * what the bank observes, the world answers, and (when a store is given) the
 * day's payments and contacts enter the store through the ordinary intake,
 * as the bank's nightly feed would bring them.
 */
#include "sim-int.h"
#include "doorstep/ingest.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void fill_capacity(const ds_world *w, const struct ds_capacity *in, struct ds_capacity *cap)
{
	struct ds_capacity d;
	ds_sim_default_capacity(w, &d);
	*cap = *in;
	if (!cap->visits)
		cap->visits = d.visits;
	if (!cap->visits_per_community)
		cap->visits_per_community = d.visits_per_community;
	if (!cap->calls)
		cap->calls = d.calls;
	if (!cap->sms)
		cap->sms = d.sms;
	if (!cap->letters)
		cap->letters = d.letters;
	if (!cap->legal)
		cap->legal = d.legal;
	if (!cap->min_spacing_days)
		cap->min_spacing_days = d.min_spacing_days;
}

/*
 * Admission: the engine holds every plan to the day's capacity and, when a
 * rule pack is given, to the contact rules, whoever wrote the plan. A
 * refused contact uses no capacity.
 */
struct admit {
	const ds_world *w;
	const ds_rulepack *pack;
	int offset_s;       /* the city's UTC offset (one zone, no DST) */
	int *visits_week;   /* per community, visits in the last 7 days */
	int *visits_day[7]; /* ring of the last 7 days, per community */
	int *visits_today;  /* per community, today */
	int *staff_today;   /* per staff member, visits today */
	int *worker_of;     /* a community worker of each community, or -1 */
};

static void admit_free(struct admit *ad)
{
	ds_free(ad->visits_week);
	for (int k = 0; k < 7; k++)
		ds_free(ad->visits_day[k]);
	ds_free(ad->visits_today);
	ds_free(ad->staff_today);
	ds_free(ad->worker_of);
}

static bool admit_init(struct admit *ad, const ds_world *w, const ds_rulepack *pack)
{
	memset(ad, 0, sizeof *ad);
	ad->w = w;
	ad->pack = pack;
	struct ds_civil_time ct;
	if (ds_tz_to_local("Asia/Shanghai", (ds_time)w->as_of * 86400, &ct) == DS_OK)
		ad->offset_s = ct.utc_offset_s;
	size_t nc = (size_t)w->ncomm;
	bool ok = (ad->visits_week = ds_calloc(nc, sizeof(int))) &&
	          (ad->visits_today = ds_calloc(nc, sizeof(int))) &&
	          (ad->staff_today = ds_calloc((size_t)w->nstaff, sizeof(int))) &&
	          (ad->worker_of = ds_malloc(nc * sizeof(int)));
	for (int k = 0; k < 7 && ok; k++)
		ok = (ad->visits_day[k] = ds_calloc(nc, sizeof(int))) != NULL;
	if (!ok) {
		admit_free(ad);
		return false;
	}
	for (int c = 0; c < w->ncomm; c++)
		ad->worker_of[c] = -1;
	for (int k = w->nstaff - 1; k >= 0; k--)
		if (w->staff[k].role == 1)
			ad->worker_of[w->staff[k].community] = k;
	return true;
}

static ds_channel channel_of(ds_treatment t)
{
	switch (t) {
	case DS_T_SMS:
		return DS_CH_SMS;
	case DS_T_LETTER:
	case DS_T_LEGAL:
		return DS_CH_LETTER;
	case DS_T_VISIT:
		return DS_CH_VISIT;
	default:
		return DS_CH_CALL;
	}
}

static ds_err rules_allow(struct admit *ad, const struct sim_state *s, long i, ds_treatment t,
                          ds_date day, bool *allow, struct ds_diag *diag)
{
	const ds_world *w = ad->w;
	const struct sim_account *a = &s->a[i];
	const struct sim_borrower *b = &s->b[a->borrower];
	int minute = 9 * 60 + (int)(sim_draw(s->seed, (uint32_t)i, day, 99) * 600);
	char number[24];
	snprintf(number, sizeof number, "A%07ld", i + 1);
	struct ds_team_member team[2];
	int nteam = 0;
	if (t == DS_T_VISIT) {
		int k = sim_collector_for(w, b->community);
		const struct sim_staff *c = &w->staff[k];
		team[nteam++] =
		        (struct ds_team_member){ "collector",          true, c->cert_expires > day,
			                         day - c->hired > 730, NULL, ad->staff_today[k] };
		int wk = ad->worker_of[b->community];
		if (wk >= 0)
			team[nteam++] = (struct ds_team_member){
				"worker",           false, false, false, w->comm[b->community].id,
				ad->staff_today[wk]
			};
	}
	struct ds_hold holds[2];
	int nholds = 0;
	if (a->hold_until > day)
		holds[nholds++] = (struct ds_hold){ "complaint", 0,
			                            (ds_time)a->hold_until * 86400 - ad->offset_s };
	if (b->flags & 2)
		holds[nholds++] = (struct ds_hold){ "safety_risk", 0, 0 };
	struct ds_proposal p = {
		.stage = DS_STAGE_PLAN,
		.channel = channel_of(t),
		.party = DS_PARTY_BORROWER,
		.content = DS_CONTENT_REMINDER,
		.start = (ds_time)day * 86400 + minute * 60 - ad->offset_s,
		.duration_s = t == DS_T_VISIT                     ? 1800
		              : t == DS_T_SMS || t == DS_T_LETTER ? 0
		                                                  : 300,
		.zone = "Asia/Shanghai",
		.number = number,
		.community_id = w->comm[b->community].id,
		.team = team,
		.nteam = nteam,
		.holds = holds,
		.nholds = nholds,
		.community_visits_week = ad->visits_week[b->community],
	};
	struct ds_verdict v;
	ds_err err = ds_rules_check(ad->pack, &p, &v, diag);
	*allow = v.allow;
	return err;
}

static ds_err admit_day(struct admit *ad, const struct ds_capacity *cap, const struct sim_state *s,
                        ds_date day, uint8_t *tr, struct ds_sim_result *out, struct ds_diag *diag)
{
	const ds_world *w = ad->w;
	int *ring = ad->visits_day[((day % 7) + 7) % 7];
	for (int c = 0; c < w->ncomm; c++) {
		ad->visits_week[c] -= ring[c];
		ring[c] = 0;
		ad->visits_today[c] = 0;
	}
	memset(ad->staff_today, 0, (size_t)w->nstaff * sizeof(int));
	/* plan offers are made by the call centre: they share its capacity */
	long left[DS_T_COUNT] = {
		0, cap->sms, cap->calls, cap->letters, cap->visits, 0, cap->legal
	};
	for (long i = 0; i < w->na; i++) {
		ds_treatment t = (ds_treatment)tr[i];
		if (t == DS_T_NONE)
			continue;
		int pool = t == DS_T_PLAN ? DS_T_CALL : (int)t;
		uint32_t c = s->b[s->a[i].borrower].community;
		if (t >= DS_T_COUNT || left[pool] <= 0 ||
		    (t == DS_T_VISIT && cap->visits_per_community &&
		     ad->visits_today[c] >= cap->visits_per_community)) {
			tr[i] = DS_T_NONE;
			out->refused++;
			continue;
		}
		if (ad->pack) {
			bool allow;
			ds_err err = rules_allow(ad, s, i, t, day, &allow, diag);
			if (err)
				return err;
			if (!allow) {
				tr[i] = DS_T_NONE;
				out->refused_rules++;
				continue;
			}
		}
		left[pool]--;
		if (t == DS_T_VISIT) {
			ad->visits_today[c]++;
			ring[c]++;
			ad->visits_week[c]++;
			ad->staff_today[sim_collector_for(w, c)]++;
			if (ad->worker_of[c] >= 0)
				ad->staff_today[ad->worker_of[c]]++;
		}
	}
	return DS_OK;
}

/* Steps a prepared write with text binds (NULL: null); done with it. */
static ds_err put_row(ds_store *st, const char *sql, const char *const *v, int n,
                      struct ds_diag *diag)
{
	ds_stmt *q;
	ds_err err = ds_store_prepare(st, sql, &q, diag);
	if (err)
		return err;
	for (int i = 0; i < n; i++)
		ds_stmt_bind_text(q, i + 1, v[i]);
	bool row;
	err = ds_stmt_step(q, &row, diag);
	ds_stmt_done(q);
	return err;
}

/*
 * The day's visits as the field teams record them at the door
 * (docs/simulator.md, "Visits"): a team of the community's collector and,
 * where the community has one, its worker; what was found, and the
 * borrower's attitude when met — the bank's own record of the visit,
 * which the reports read (what drives results).
 */
static ds_err record_visits(const struct sim_state *s, ds_date day, ds_store *st,
                            struct ds_diag *diag)
{
	const ds_world *w = s->w;
	char ymd[11];
	ds_date_format(day, ymd);
	ds_err err = DS_OK;
	bool begun = false;
	for (size_t e = 0; !err && e < s->log.ncon; e++) {
		const struct sim_contact *c = &s->log.con[e];
		if (c->treatment != DS_T_VISIT || c->day != day)
			continue;
		if (!begun) {
			if ((err = ds_store_begin(st, diag)))
				break;
			begun = true;
		}
		const struct sim_account *a = &s->a[c->account];
		const struct sim_borrower *b = &s->b[a->borrower];
		int k = c->staff >= 0 && w->staff[c->staff].role == 0
		                ? c->staff
		                : sim_collector_for(w, b->community);
		int wk = -1;
		for (int j = 0; j < w->nstaff && wk < 0; j++)
			if (w->staff[j].role == 1 && w->staff[j].community == (int32_t)b->community)
				wk = j;
		char team[48], branch[16], coll[16], worker[16], acc[24];
		snprintf(team, sizeof team, "V%s-S%05d", ymd, k + 1);
		snprintf(branch, sizeof branch, "BR%02d", w->staff[k].district + 1);
		snprintf(coll, sizeof coll, "S%05d", k + 1);
		snprintf(worker, sizeof worker, "S%05d", wk + 1);
		snprintf(acc, sizeof acc, "A%07u", c->account + 1);
		const char *o = sim_outcomes[c->outcome];
		bool met = strcmp(o, "met_borrower") == 0 || strcmp(o, "promise") == 0 ||
		           strcmp(o, "dispute") == 0 || strcmp(o, "connected") == 0;
		const char *found = met                         ? "met_borrower"
		                    : strcmp(o, "refused") == 0 ? "refused"
		                                                : "not_home";
		static const char *const att[] = { "cooperative", "neutral", "hostile" };
		const char *attitude = met && b->attitude < 3 ? att[b->attitude] : "none";
		const char *tv[] = { team, branch, ymd };
		err = put_row(st,
		              "INSERT INTO teams(team_id, branch_id, work_date) VALUES (?, ?, ?)"
		              " ON CONFLICT (team_id) DO NOTHING",
		              tv, 3, diag);
		for (int m = 0; !err && m < (wk >= 0 ? 2 : 1); m++) {
			const char *mv[] = { team, m ? worker : coll };
			err = put_row(st,
			              "INSERT INTO team_members(team_id, staff_id) VALUES (?, ?)"
			              " ON CONFLICT (team_id, staff_id) DO NOTHING",
			              mv, 2, diag);
		}
		const char *vv[] = { acc, team, ymd, found, attitude };
		if (!err)
			err = put_row(st,
			              "INSERT INTO visits(account_id, team_id, visit_date, state,"
			              " outcome, attitude) VALUES (?, ?, ?, 'closed', ?, ?)",
			              vv, 5, diag);
	}
	if (begun) {
		if (!err)
			err = ds_store_commit(st, diag);
		if (err)
			ds_store_rollback(st);
	}
	return err;
}

static ds_err feed_day(struct sim_state *s, ds_date day, const struct ds_sim_opts *opts,
                       struct ds_diag *diag)
{
	char prefix[16];
	char ymd[11];
	ds_date_format(day, ymd);
	snprintf(prefix, sizeof prefix, "D%.4s%.2s%.2s-", ymd, ymd + 5, ymd + 8);
	ds_err err = sim_write_events(s->w, &s->log, opts->feed_dir, prefix, diag);
	static const char *const kinds[2] = { "payments", "contacts" };
	for (int k = 0; k < 2 && !err; k++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s.csv", opts->feed_dir, kinds[k]);
		struct ds_import_opts io = *opts->import;
		io.today = day;
		io.rejects_path = NULL;
		struct ds_import_stats st;
		err = ds_import_file(opts->store, kinds[k], path, &io, &st, diag);
	}
	if (!err)
		err = record_visits(s, day, opts->store, diag);
	s->log.npay = 0;
	s->log.ncon = 0;
	return err;
}

ds_err ds_simulate(const ds_world *w, const struct ds_strategy *strategy, void *strategy_ctx,
                   const struct ds_sim_opts *opts, struct ds_sim_result *out, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	ds_strlcpy(out->strategy, strategy->name, sizeof out->strategy);
	out->days = opts->days;
	out->accounts = w->na;
	if (opts->store && (!opts->feed_dir || !opts->import))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "a store needs a feed directory and import options");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct ds_capacity cap;
	fill_capacity(w, &opts->cap, &cap);
	struct sim_state s = { .w = w, .seed = opts->seed, .res = out, .run_start = w->as_of };
	s.b = ds_malloc((size_t)w->nb * sizeof *s.b);
	s.a = ds_malloc((size_t)w->na * sizeof *s.a);
	s.coop = ds_malloc((size_t)w->ncomm * sizeof *s.coop);
	struct ds_obs_account *obs = ds_malloc((size_t)w->na * sizeof *obs);
	uint8_t *tr = ds_malloc((size_t)w->na);
	uint8_t *was = ds_calloc((size_t)w->na, 1);
	ds_err err = DS_OK;
	struct admit ad;
	bool rules_ok = admit_init(&ad, w, opts->rules);
	if (!s.b || !s.a || !s.coop || !obs || !tr || !was || !rules_ok) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto out;
	}
	memcpy(s.b, w->b, (size_t)w->nb * sizeof *s.b);
	memcpy(s.a, w->a, (size_t)w->na * sizeof *s.a);
	for (int c = 0; c < w->ncomm; c++)
		s.coop[c] = w->comm[c].coop;
	s.log.keep = opts->store != NULL;
	for (long i = 0; i < w->na; i++) {
		ds_fen o = sim_overdue(&s.a[i], w->as_of);
		if (o > 0) {
			was[i] = 1;
			out->delinquent_start++;
			out->overdue_start_fen += o;
		}
	}
	for (int d = 0; d < opts->days && !err; d++) {
		ds_date day = w->as_of + d;
		for (long i = 0; i < w->na; i++) {
			if (day > s.a[i].open)
				sim_advance(&s.a[i], day);
			sim_observe(&s, i, day, &obs[i]);
		}
		uint64_t day_seed = opts->seed * 0x9E3779B97F4A7C15ull + (uint64_t)day;
		s.day = day;
		/* the oracle alone sees the simulation's state */
		void *ctx = strategy == ds_sim_oracle() ? (void *)&s : strategy_ctx;
		if ((err = strategy->fn(ctx, obs, (size_t)w->na, &cap, day_seed, tr, diag)))
			break;
		if ((err = admit_day(&ad, &cap, &s, day, tr, out, diag)))
			break;
		if ((err = sim_day(&s, day, tr))) {
			ds_diag_set(diag, err, NULL, 0, NULL, "out of memory");
			break;
		}
		if (opts->store)
			err = feed_day(&s, day, opts, diag);
	}
	if (!err) {
		ds_date end = w->as_of + opts->days;
		for (long i = 0; i < w->na; i++)
			if (was[i] && sim_overdue(&s.a[i], end) == 0)
				out->cured++;
		out->net_fen = out->recovered_fen - out->cost_fen;
		out->cure_rate =
		        out->delinquent_start ? (double)out->cured / out->delinquent_start : 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
out:
	if (rules_ok)
		admit_free(&ad);
	sim_log_free(&s.log);
	ds_free(s.b);
	ds_free(s.a);
	ds_free(s.coop);
	ds_free(obs);
	ds_free(tr);
	ds_free(was);
	return err;
}

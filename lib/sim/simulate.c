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

/* The engine holds every plan to the day's capacity, whoever wrote it. */
static void enforce(const struct ds_capacity *cap, uint8_t *tr, long n, long *refused)
{
	long left[DS_T_COUNT] = { 0,           cap->sms,   cap->calls, cap->letters,
		                  cap->visits, cap->calls, cap->legal };
	for (long i = 0; i < n; i++) {
		if (tr[i] == DS_T_NONE)
			continue;
		if (tr[i] >= DS_T_COUNT || left[tr[i]] <= 0) {
			tr[i] = DS_T_NONE;
			(*refused)++;
			continue;
		}
		left[tr[i]]--;
		/* a plan offer is made by the call centre */
		if (tr[i] == DS_T_PLAN)
			left[DS_T_CALL]--;
	}
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
	struct sim_state s = { .w = w, .seed = opts->seed, .res = out };
	s.b = ds_malloc((size_t)w->nb * sizeof *s.b);
	s.a = ds_malloc((size_t)w->na * sizeof *s.a);
	s.coop = ds_malloc((size_t)w->ncomm * sizeof *s.coop);
	struct ds_obs_account *obs = ds_malloc((size_t)w->na * sizeof *obs);
	uint8_t *tr = ds_malloc((size_t)w->na);
	uint8_t *was = ds_calloc((size_t)w->na, 1);
	ds_err err = DS_OK;
	if (!s.b || !s.a || !s.coop || !obs || !tr || !was) {
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
		if ((err = strategy->fn(strategy_ctx, obs, (size_t)w->na, &cap, day_seed, tr,
		                        diag)))
			break;
		enforce(&cap, tr, w->na, &out->refused);
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
	sim_log_free(&s.log);
	ds_free(s.b);
	ds_free(s.a);
	ds_free(s.coop);
	ds_free(obs);
	ds_free(tr);
	ds_free(was);
	return err;
}

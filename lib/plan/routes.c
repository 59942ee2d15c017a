/*
 * The day's routes (plan.h, docs/routing.md "The day's routes"): the
 * visits the plan decided for a date, each with the hours the contact
 * rules allow it, the branch's collectors from their homes within their
 * shifts, solved per branch as a prize-collecting routing problem, and the
 * routes written as planned visits.
 */
#include "doorstep/plan.h"
#include "doorstep/route.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ds_route_day_opts_default(struct ds_route_day_opts *o, ds_date date)
{
	memset(o, 0, sizeof *o);
	o->date = date;
	ds_travel_model_default(DS_TRAVEL_EBIKE, &o->travel);
	ds_costs_from_config(NULL, &o->costs);
	o->fen_per_km = 10;
	o->door_minutes = 45;
	o->slot_minutes = 15;
	o->first_hour = 7;
	o->last_hour = 21;
	o->time_limit = 2;
	o->threads = 2;
	o->seed = 1;
	o->max_visits_per_team = 8;
}

struct visit {
	long decision;
	char account[65], branch[65];
	double lon, lat;
	int64_t prize; /* fen: expected recovery less the visit's cost, travel aside */
	int nwin;
	struct ds_vrp_window win[DS_VRP_MAX_WINDOWS]; /* seconds from local midnight */
	const char *out;                              /* why it is left out, or NULL */
	int team, seq;                                /* when planned */
	int64_t arrive;
};

struct team {
	char staff[65], branch[65];
	double lon, lat;
	int64_t open, close; /* seconds from local midnight */
};

struct day {
	ds_store *st;
	const struct ds_route_day_opts *o;
	struct visit *v;
	long nv, capv;
	struct team *t;
	long nt, capt;
	ds_time midnight; /* the date's local midnight, UTC */
	char zone[64];
	struct ds_diag *diag;
};

static ds_err grow(void **p, long *cap, long n, size_t size, struct ds_diag *diag)
{
	if (n < *cap)
		return DS_OK;
	long c = *cap ? *cap * 2 : 256;
	void *q = ds_realloc(*p, (size_t)c * size);
	if (!q)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	*p = q;
	*cap = c;
	return DS_OK;
}

/* The visits decided for the date, with where and what they are worth. */
static ds_err load_visits(struct day *y)
{
	char day[11];
	ds_date_format(y->o->date, day);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        y->st,
	        "SELECT d.decision_id, d.account_id, d.expected_fen, d.cost_fen, b.lon, b.lat,"
	        " a.branch_id, b.lon IS NULL OR b.lat IS NULL"
	        " FROM decisions d JOIN accounts a ON a.account_id = d.account_id"
	        " JOIN borrowers b ON b.borrower_id = a.borrower_id"
	        " WHERE d.plan_date = ? AND d.treatment = 'visit' ORDER BY d.account_id",
	        &s, y->diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, day);
	bool row;
	while (!(err = ds_stmt_step(s, &row, y->diag)) && row) {
		if ((err = grow((void **)&y->v, &y->capv, y->nv, sizeof *y->v, y->diag)))
			break;
		struct visit *x = &y->v[y->nv++];
		memset(x, 0, sizeof *x);
		x->decision = (long)ds_stmt_int(s, 0);
		ds_strlcpy(x->account, ds_stmt_text(s, 1), sizeof x->account);
		/* the plan counted a travel estimate; the route counts its own */
		x->prize = ds_stmt_int(s, 2) - ds_stmt_int(s, 3) + y->o->costs.travel;
		x->lon = ds_stmt_real(s, 4);
		x->lat = ds_stmt_real(s, 5);
		ds_strlcpy(x->branch, ds_stmt_text(s, 6), sizeof x->branch);
		x->team = -1;
		if (ds_stmt_int(s, 7))
			x->out = "no_coordinates";
		else if (x->prize <= 0)
			x->out = "not_worth_a_visit";
	}
	ds_stmt_done(s);
	return err;
}

/* Seconds from local midnight of "HH:MM", or -1. */
static int64_t clock_s(const char *hhmm)
{
	int h, m;
	char extra;
	if (sscanf(hhmm, "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 24 || m < 0 || m > 59)
		return -1;
	return (int64_t)h * 3600 + m * 60;
}

/* The active collectors with a home to start from, and their shifts. */
static ds_err load_teams(struct day *y)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(y->st,
	                              "SELECT staff_id, branch_id, home_lon, home_lat,"
	                              " coalesce(shift_start, '09:00'),"
	                              " coalesce(shift_end, '18:00') FROM staff"
	                              " WHERE role = 'collector' AND active = 1"
	                              " AND branch_id IS NOT NULL AND home_lat IS NOT NULL"
	                              " AND home_lon IS NOT NULL ORDER BY staff_id",
	                              &s, y->diag);
	if (err)
		return err;
	bool row;
	while (!(err = ds_stmt_step(s, &row, y->diag)) && row) {
		if ((err = grow((void **)&y->t, &y->capt, y->nt, sizeof *y->t, y->diag)))
			break;
		struct team *t = &y->t[y->nt];
		ds_strlcpy(t->staff, ds_stmt_text(s, 0), sizeof t->staff);
		ds_strlcpy(t->branch, ds_stmt_text(s, 1), sizeof t->branch);
		t->lon = ds_stmt_real(s, 2);
		t->lat = ds_stmt_real(s, 3);
		t->open = clock_s(ds_stmt_text(s, 4));
		t->close = clock_s(ds_stmt_text(s, 5));
		if (t->open >= 0 && t->close > t->open)
			y->nt++;
	}
	ds_stmt_done(s);
	return err;
}

/* The times of day the contact rules allow each visit to start, probed
 * every slot_minutes and joined into windows. */
static ds_err windows(struct day *y, ds_rules_context *cx)
{
	const struct ds_route_day_opts *o = y->o;
	int y4, mo, d;
	ds_date_to_ymd(o->date, &y4, &mo, &d);
	for (long k = 0; k < y->nv; k++) {
		struct visit *x = &y->v[k];
		if (x->out)
			continue;
		const ds_rules_account *a = ds_rules_context_account(cx, x->account);
		const char *zone = a ? ds_rules_account_zone(cx, a) : NULL;
		ds_time midnight;
		if (!zone || ds_tz_from_local(zone, y4, mo, d, 0, 0, 0, &midnight)) {
			x->out = "no_time_zone";
			continue;
		}
		if (!y->zone[0]) {
			ds_strlcpy(y->zone, zone, sizeof y->zone);
			y->midnight = midnight;
		}
		bool open = false;
		for (int m = o->first_hour * 60; m <= o->last_hour * 60; m += o->slot_minutes) {
			struct ds_proposal p;
			memset(&p, 0, sizeof p);
			p.stage = DS_STAGE_PLAN;
			p.channel = DS_CH_VISIT;
			p.content = DS_CONTENT_DEBT_DETAILS;
			p.party = DS_PARTY_BORROWER;
			p.start = midnight + (ds_time)m * 60;
			p.duration_s = o->door_minutes * 60;
			p.team_unknown = true;
			ds_rules_context_fill(cx, a, &p);
			bool allow = true;
			if (o->rules) {
				struct ds_verdict v;
				ds_err err = ds_rules_check(o->rules, &p, &v, y->diag);
				if (err)
					return err;
				allow = v.allow;
			}
			/* seconds from this visit's own local midnight */
			int64_t at = (int64_t)m * 60;
			if (allow && !open) {
				if (x->nwin == DS_VRP_MAX_WINDOWS)
					break;
				x->win[x->nwin++] = (struct ds_vrp_window){ at, at };
				open = true;
			} else if (allow) {
				x->win[x->nwin - 1].close = at;
			} else {
				open = false;
			}
		}
		if (x->nwin == 0)
			x->out = "no_allowed_time";
	}
	return DS_OK;
}

/* One branch: its visits and collectors as an instance, solved, read back. */
static ds_err route_branch(struct day *y, const char *branch, struct ds_route_day_result *r)
{
	const struct ds_route_day_opts *o = y->o;
	int nteams = 0;
	long nvis = 0;
	for (int t = 0; t < y->nt; t++)
		nteams += strcmp(y->t[t].branch, branch) == 0;
	for (long k = 0; k < y->nv; k++)
		nvis += !y->v[k].out && strcmp(y->v[k].branch, branch) == 0;
	if (nvis == 0)
		return DS_OK;
	if (nteams == 0) {
		for (long k = 0; k < y->nv; k++)
			if (!y->v[k].out && strcmp(y->v[k].branch, branch) == 0)
				y->v[k].out = "no_team";
		return DS_OK;
	}
	if (nteams + nvis > DS_VRP_MAX_NODES)
		return ds_diag_set(y->diag, DS_ETOOBIG, NULL, 0, NULL,
		                   "branch %s: %d teams and %ld visits, more than %d places",
		                   branch, nteams, nvis, DS_VRP_MAX_NODES);
	ds_vrp *v = ds_calloc(1, sizeof *v);
	int *team_of = ds_malloc((size_t)nteams * sizeof *team_of + 1);
	long *visit_of = ds_malloc((size_t)nvis * sizeof *visit_of + 1);
	ds_err err = DS_OK;
	if (v) {
		v->node = ds_calloc((size_t)(nteams + nvis), sizeof *v->node);
		v->vehicle = ds_calloc((size_t)nteams, sizeof *v->vehicle);
	}
	if (!v || !v->node || !v->vehicle || !team_of || !visit_of) {
		err = ds_diag_set(y->diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	ds_strlcpy(v->name, branch, sizeof v->name);
	v->prize_collecting = true;
	v->ndepots = nteams;
	v->nnodes = nteams + (int)nvis;
	v->nvehicles = nteams;
	int i = 0;
	for (int t = 0; t < y->nt; t++) {
		if (strcmp(y->t[t].branch, branch) != 0)
			continue;
		team_of[i] = t;
		v->node[i] =
		        (struct ds_vrp_node){ .x = y->t[t].lon, .y = y->t[t].lat, .number = i };
		ds_strlcpy(v->node[i].id, y->t[t].staff, sizeof v->node[i].id);
		v->vehicle[i] = (struct ds_vrp_vehicle){ .start = i,
			                                 .end = i,
			                                 .open = y->t[t].open,
			                                 .close = y->t[t].close,
			                                 .capacity = o->max_visits_per_team };
		ds_strlcpy(v->vehicle[i].id, y->t[t].staff, sizeof v->vehicle[i].id);
		i++;
	}
	for (long k = 0, c = 0; k < y->nv; k++) {
		struct visit *x = &y->v[k];
		if (x->out || strcmp(x->branch, branch) != 0)
			continue;
		visit_of[c] = k;
		struct ds_vrp_node *n = &v->node[i];
		*n = (struct ds_vrp_node){ .x = x->lon,
			                   .y = x->lat,
			                   .demand = 1,
			                   .service = (int64_t)o->door_minutes * 60,
			                   .nwin = x->nwin,
			                   .prize = x->prize,
			                   .number = i };
		memcpy(n->win, x->win, sizeof n->win);
		ds_strlcpy(n->id, x->account, sizeof n->id);
		i++;
		c++;
	}
	if ((err = ds_vrp_haversine(v, &o->travel, y->diag)))
		goto done;
	/* what travel costs: the team's time (collector and community worker)
	 * and the vehicle's running cost, in fen */
	double per_s = (double)(o->costs.collector_per_hour + o->costs.worker_per_hour) / 3600.0;
	size_t nn = (size_t)v->nnodes;
	for (size_t q = 0; q < nn * nn; q++)
		v->dist[q] = (int32_t)llround((double)v->dur[q] * per_s +
		                              (double)v->dist[q] * (double)o->fen_per_km / 1000.0);
	struct ds_vrp_solve_opts so = { .time_limit = o->iterations ? 0 : o->time_limit,
		                        .iterations = o->iterations,
		                        .seed = o->seed,
		                        .threads = o->threads };
	struct ds_vrp_solution sol;
	struct ds_vrp_solve_stats st;
	if ((err = ds_vrp_solve(v, &so, &sol, &st, y->diag)))
		goto done;
	struct ds_vrp_check chk;
	if ((err = ds_vrp_check(v, &sol, &chk, y->diag))) {
		ds_vrp_solution_free(&sol);
		goto done;
	}
	if (!chk.feasible) {
		err = ds_diag_set(y->diag, DS_EINVAL, NULL, 0, NULL,
		                  "branch %s: the solver's routes failed the check: %s", branch,
		                  chk.problem);
		ds_vrp_solution_free(&sol);
		goto done;
	}
	/* the routes: planned arrivals, as the checker walks them */
	for (int q = 0; q < sol.nroutes; q++) {
		const struct ds_vrp_vehicle *h = &v->vehicle[sol.vehicle[q]];
		int prev = h->start, seq = 0;
		int64_t t = h->open;
		r->teams_used++;
		for (int p = sol.first[q]; p < sol.first[q + 1]; p++) {
			int node = sol.stop[p];
			int64_t at = t + v->dur[(size_t)prev * nn + (size_t)node];
			const struct ds_vrp_node *n = &v->node[node];
			for (int w = 0; w < n->nwin; w++)
				if (at <= n->win[w].close) {
					at = at > n->win[w].open ? at : n->win[w].open;
					break;
				}
			struct visit *x = &y->v[visit_of[node - nteams]];
			x->team = team_of[sol.vehicle[q]];
			x->seq = ++seq;
			x->arrive = at;
			r->planned++;
			r->value_fen += x->prize;
			r->travel_s += v->dur[(size_t)prev * nn + (size_t)node];
			t = at + n->service;
			prev = node;
		}
		r->travel_s += v->dur[(size_t)prev * nn + (size_t)h->end];
	}
	r->travel_fen += chk.distance;
	for (long c = 0; c < nvis; c++)
		if (y->v[visit_of[c]].team < 0)
			y->v[visit_of[c]].out = "not_worth_the_trip_or_no_time";
	ds_vrp_solution_free(&sol);
done:
	ds_vrp_free(v);
	ds_free(team_of);
	ds_free(visit_of);
	return err;
}

static ds_err write_routes(struct day *y, struct ds_route_day_result *r)
{
	char day[11];
	ds_date_format(y->o->date, day);
	ds_err err = ds_store_begin(y->st, y->diag);
	if (err)
		return err;
	ds_stmt *s;
	bool row;
	if (!(err = ds_store_prepare(
	              y->st, "DELETE FROM visits WHERE visit_date = ? AND state = 'planned'", &s,
	              y->diag))) {
		ds_stmt_bind_text(s, 1, day);
		err = ds_stmt_step(s, &row, y->diag);
		ds_stmt_done(s);
	}
	for (long k = 0; !err && k < y->nv; k++) {
		const struct visit *x = &y->v[k];
		if (x->team < 0)
			continue;
		const struct team *t = &y->t[x->team];
		char team_id[96];
		snprintf(team_id, sizeof team_id, "%s/%s", day, t->staff);
		if (!(err = ds_store_prepare(
		              y->st,
		              "INSERT OR IGNORE INTO teams(team_id, branch_id, work_date,"
		              " active) VALUES (?,?,?,1)",
		              &s, y->diag))) {
			ds_stmt_bind_text(s, 1, team_id);
			ds_stmt_bind_text(s, 2, t->branch);
			ds_stmt_bind_text(s, 3, day);
			err = ds_stmt_step(s, &row, y->diag);
			ds_stmt_done(s);
		}
		if (!err && !(err = ds_store_prepare(y->st,
		                                     "INSERT OR IGNORE INTO team_members(team_id,"
		                                     " staff_id) VALUES (?,?)",
		                                     &s, y->diag))) {
			ds_stmt_bind_text(s, 1, team_id);
			ds_stmt_bind_text(s, 2, t->staff);
			err = ds_stmt_step(s, &row, y->diag);
			ds_stmt_done(s);
		}
		/* the window the arrival falls in */
		int64_t wo = x->win[0].open, wc = x->win[0].close;
		for (int w = 0; w < x->nwin; w++)
			if (x->arrive >= x->win[w].open && x->arrive <= x->win[w].close)
				wo = x->win[w].open, wc = x->win[w].close;
		if (!err &&
		    !(err = ds_store_prepare(
		              y->st,
		              "INSERT INTO visits(account_id, decision_id, team_id, visit_date,"
		              " state, window_start_at, window_end_at, route_seq, planned_at)"
		              " VALUES (?,?,?,?,'planned',?,?,?,?)",
		              &s, y->diag))) {
			ds_stmt_bind_text(s, 1, x->account);
			ds_stmt_bind_int(s, 2, x->decision);
			ds_stmt_bind_text(s, 3, team_id);
			ds_stmt_bind_text(s, 4, day);
			ds_stmt_bind_int(s, 5, y->midnight + wo);
			ds_stmt_bind_int(s, 6, y->midnight + wc);
			ds_stmt_bind_int(s, 7, x->seq);
			ds_stmt_bind_int(s, 8, y->midnight + x->arrive);
			err = ds_stmt_step(s, &row, y->diag);
			ds_stmt_done(s);
		}
	}
	if (!err) {
		char detail[256];
		snprintf(detail, sizeof detail,
		         "{\"candidates\":%ld,\"planned\":%ld,\"teams\":%d,\"value_fen\":%lld}",
		         r->candidates, r->planned, r->teams_used, (long long)r->value_fen);
		err = ds_store_audit(y->st, "route", "visits", day, detail, y->diag);
	}
	if (!err)
		err = ds_store_commit(y->st, y->diag);
	if (err)
		ds_store_rollback(y->st);
	return err;
}

ds_err ds_route_day(ds_store *st, const struct ds_route_day_opts *o, bool write,
                    struct ds_route_day_result *r, struct ds_diag *diag)
{
	memset(r, 0, sizeof *r);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct day y = { .st = st, .o = o, .diag = diag };
	ds_rules_context *cx = NULL;
	ds_err err = load_visits(&y);
	if (!err)
		err = load_teams(&y);
	if (!err)
		err = ds_rules_context_load(st, (ds_time)(o->date - 40) * 86400, &cx, diag);
	if (!err)
		err = windows(&y, cx);
	/* branch by branch, each once */
	for (long k = 0; !err && k < y.nv; k++) {
		bool seen = false;
		for (long j = 0; j < k && !seen; j++)
			seen = strcmp(y.v[j].branch, y.v[k].branch) == 0;
		if (!seen)
			err = route_branch(&y, y.v[k].branch, r);
	}
	if (!err) {
		r->candidates = y.nv;
		r->teams = y.nt;
		for (long k = 0; k < y.nv; k++) {
			const char *why = y.v[k].out;
			if (!why)
				continue;
			r->left_out++;
			if (strcmp(why, "no_allowed_time") == 0)
				r->no_allowed_time++;
			else if (strcmp(why, "not_worth_the_trip_or_no_time") == 0)
				r->not_routed++;
			else
				r->other++;
		}
	}
	if (!err && write)
		err = write_routes(&y, r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ds_rules_context_free(cx);
	ds_free(y.v);
	ds_free(y.t);
	return err;
}

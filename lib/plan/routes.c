/*
 * The day's routes (plan.h, docs/routing.md "The day's routes"): the
 * visits the plan decided for a date, each with the hours the contact
 * rules allow it; the branch's teams (lib/plan/teams.c), each allowed the
 * visits the rules accept for its members and the dialects its members
 * speak; solved per branch as a prize-collecting routing problem with
 * the team's shift and break, and written as planned visits.
 */
#include "teams-int.h"

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
	o->break_open_s = 11 * 3600 + 30 * 60;
	o->break_close_s = 13 * 3600 + 30 * 60;
	o->break_minutes = 60;
	o->experienced_days = DS_RULES_EXPERIENCED_DAYS;
	o->certificate = DS_RULES_CERTIFICATE;
}

#define MAX_SKILLS 32 /* distinct dialects the day's staff speak */

struct visit {
	long decision;
	char account[65], branch[65], community[65];
	double lon, lat;
	int64_t prize;   /* fen: expected recovery less the visit's cost, travel aside */
	uint32_t skills; /* dialects the team must speak */
	const ds_rules_account *ra;
	ds_time midnight; /* the date's local midnight in the borrower's zone */
	int nwin;
	struct ds_vrp_window win[DS_VRP_MAX_WINDOWS]; /* seconds from local midnight */
	const char *out;                              /* why it is left out, or NULL */
	long team;                                    /* when planned: into staff.t */
	int seq;
	int64_t arrive;
};

struct day {
	ds_store *st;
	const struct ds_route_day_opts *o;
	struct visit *v;
	long nv, capv;
	struct day_staff staff;
	ds_rules_context *cx;
	char skill[MAX_SKILLS][32]; /* bit k: dialect skill[k] */
	int nskills;
	struct ds_diag *diag;
};

/* The bit of a dialect, added when `add` and there is room; 0: unknown. */
static uint32_t skill_bit(struct day *y, const char *name, size_t len, bool add)
{
	for (int k = 0; k < y->nskills; k++)
		if (strlen(y->skill[k]) == len && strncmp(y->skill[k], name, len) == 0)
			return (uint32_t)1 << k;
	if (!add || y->nskills == MAX_SKILLS || len == 0 || len >= sizeof y->skill[0])
		return 0;
	memcpy(y->skill[y->nskills], name, len);
	y->skill[y->nskills][len] = '\0';
	return (uint32_t)1 << y->nskills++;
}

/* The dialects (dialect_X) among a comma-separated list of names, as
 * bits; *unknown when one is not among the day's staff's (add: false). */
static uint32_t dialects(struct day *y, const char *list, bool add, bool *unknown)
{
	uint32_t bits = 0;
	while (list && *list) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);
		const char *a = list;
		while (len && (*a == ' ' || *a == '\t'))
			a++, len--;
		while (len && (a[len - 1] == ' ' || a[len - 1] == '\t'))
			len--;
		if (len > 8 && strncmp(a, "dialect_", 8) == 0) {
			uint32_t bit = skill_bit(y, a, len, add);
			bits |= bit;
			if (!bit && unknown)
				*unknown = true;
		}
		list = end ? end + 1 : NULL;
	}
	return bits;
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
	        " a.branch_id, b.lon IS NULL OR b.lat IS NULL, coalesce(b.flags, ''),"
	        " coalesce(b.community_id, '')"
	        " FROM decisions d JOIN accounts a ON a.account_id = d.account_id"
	        " JOIN borrowers b ON b.borrower_id = a.borrower_id"
	        " WHERE d.plan_date = ? AND d.treatment = 'visit' ORDER BY d.account_id",
	        &s, y->diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, day);
	bool row;
	while (!(err = ds_stmt_step(s, &row, y->diag)) && row) {
		if ((err = ds_grow((void **)&y->v, &y->capv, y->nv, sizeof *y->v, 256, y->diag)))
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
		ds_strlcpy(x->community, ds_stmt_text(s, 9), sizeof x->community);
		x->team = -1;
		bool unknown = false;
		x->skills = dialects(y, ds_stmt_text(s, 8), false, &unknown);
		if (ds_stmt_int(s, 7))
			x->out = "no_coordinates";
		else if (unknown)
			x->out = "no_skilled_team";
		else if (x->prize <= 0)
			x->out = "not_worth_a_visit";
	}
	ds_stmt_done(s);
	return err;
}

/* A visit proposed to the rules: at the door at `start` for door_minutes,
 * by the team (NULL: not yet known). */
static ds_err ask_rules(struct day *y, const struct visit *x, ds_time start,
                        const struct ds_team_member *team, int nteam, bool *allow)
{
	*allow = true;
	if (!y->o->rules)
		return DS_OK;
	struct ds_proposal p;
	memset(&p, 0, sizeof p);
	p.stage = DS_STAGE_PLAN;
	p.channel = DS_CH_VISIT;
	p.content = DS_CONTENT_DEBT_DETAILS;
	p.party = DS_PARTY_BORROWER;
	p.start = start;
	p.duration_s = y->o->door_minutes * 60;
	p.team = team;
	p.nteam = nteam;
	p.team_unknown = team == NULL;
	ds_rules_context_fill(y->cx, x->ra, &p);
	struct ds_verdict v;
	ds_err err = ds_rules_check(y->o->rules, &p, &v, y->diag);
	*allow = !err && v.allow;
	return err;
}

/* The times of day the contact rules allow each visit to start, probed
 * every slot_minutes and joined into windows. */
static ds_err windows(struct day *y)
{
	const struct ds_route_day_opts *o = y->o;
	int y4, mo, d;
	ds_date_to_ymd(o->date, &y4, &mo, &d);
	for (long k = 0; k < y->nv; k++) {
		struct visit *x = &y->v[k];
		if (x->out)
			continue;
		x->ra = ds_rules_context_account(y->cx, x->account);
		const char *zone = x->ra ? ds_rules_account_zone(y->cx, x->ra) : NULL;
		if (!zone || ds_tz_from_local(zone, y4, mo, d, 0, 0, 0, &x->midnight)) {
			x->out = "no_time_zone";
			continue;
		}
		bool open = false;
		for (int m = o->first_hour * 60; m <= o->last_hour * 60; m += o->slot_minutes) {
			bool allow;
			ds_err err =
			        ask_rules(y, x, x->midnight + (ds_time)m * 60, NULL, 0, &allow);
			if (err)
				return err;
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

/* The dialects a team speaks. */
static uint32_t team_skills(struct day *y, const struct day_team *t)
{
	uint32_t bits = 0;
	for (int i = 0; i < t->n; i++)
		bits |= dialects(y, y->staff.p[t->member[i]].skills, false, NULL);
	return bits;
}

/* One branch: its teams formed, its visits and teams as an instance (each
 * team allowed what the rules accept of it), solved, read back. */
static ds_err route_branch(struct day *y, const char *branch, struct ds_route_day_result *r)
{
	const struct ds_route_day_opts *o = y->o;
	struct day_staff *ds = &y->staff;
	/* the teams: for the value of the visits in each community */
	for (long k = 0; k < ds->nc; k++)
		ds->c[k].visits = ds->c[k].value = 0;
	for (long k = 0; k < y->nv; k++) {
		const struct visit *x = &y->v[k];
		struct day_community *c = x->out || strcmp(x->branch, branch) != 0
		                                  ? NULL
		                                  : day_community_find(ds, x->community);
		if (c) {
			c->visits++;
			c->value += x->prize;
		}
	}
	long first_team = ds->nt;
	ds_err err = day_teams_form(ds, branch, o->max_visits_per_team, y->diag);
	if (err)
		return err;
	int nteams = (int)(ds->nt - first_team);
	/* what each team may do: the rules with its members, its dialects */
	long nbranch = 0;
	for (long k = 0; k < y->nv; k++)
		nbranch += !y->v[k].out && strcmp(y->v[k].branch, branch) == 0;
	unsigned char *allowed = ds_calloc((size_t)nteams * (size_t)nbranch + 1, 1);
	long *visit_of = ds_malloc((size_t)nbranch * sizeof *visit_of + 1);
	if (!allowed || !visit_of) {
		ds_free(allowed);
		ds_free(visit_of);
		return ds_diag_set(y->diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	long nvis = 0;
	for (long k = 0; !err && k < y->nv; k++) {
		struct visit *x = &y->v[k];
		if (x->out || strcmp(x->branch, branch) != 0)
			continue;
		bool skilled = false, any = false;
		for (int t = 0; !err && t < nteams; t++) {
			const struct day_team *team = &ds->t[first_team + t];
			if (x->skills & ~team_skills(y, team))
				continue;
			skilled = true;
			struct ds_team_member m[2];
			int n = day_team_members(ds, team, m);
			bool allow;
			err = ask_rules(y, x, x->midnight + x->win[0].open, m, n, &allow);
			allowed[(size_t)t * (size_t)nbranch + (size_t)nvis] = allow;
			any = any || allow;
		}
		if (nteams == 0)
			x->out = "no_team";
		else if (!skilled)
			x->out = "no_skilled_team";
		else if (!any)
			x->out = "no_team_the_rules_allow";
		else
			visit_of[nvis++] = k;
	}
	ds_vrp *v = NULL;
	if (err || nvis == 0)
		goto done;
	if (nteams + nvis > DS_VRP_MAX_NODES) {
		err = ds_diag_set(y->diag, DS_ETOOBIG, NULL, 0, NULL,
		                  "branch %s: %d teams and %ld visits, more than %d places", branch,
		                  nteams, nvis, DS_VRP_MAX_NODES);
		goto done;
	}
	v = ds_calloc(1, sizeof *v);
	if (v) {
		v->node = ds_calloc((size_t)nteams + (size_t)nvis, sizeof *v->node);
		v->vehicle = ds_calloc((size_t)nteams, sizeof *v->vehicle);
		v->allowed = ds_calloc((size_t)nteams * ((size_t)nteams + (size_t)nvis), 1);
	}
	if (!v || !v->node || !v->vehicle || !v->allowed) {
		err = ds_diag_set(y->diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	ds_strlcpy(v->name, branch, sizeof v->name);
	v->prize_collecting = true;
	v->ndepots = nteams;
	v->nnodes = nteams + (int)nvis;
	v->nvehicles = nteams;
	for (int t = 0; t < nteams; t++) {
		const struct day_team *team = &ds->t[first_team + t];
		const struct day_person *lead = &ds->p[team->member[0]];
		v->node[t] = (struct ds_vrp_node){ .x = lead->lon, .y = lead->lat, .number = t };
		ds_strlcpy(v->node[t].id, lead->staff, sizeof v->node[t].id);
		v->vehicle[t] = (struct ds_vrp_vehicle){ .start = t,
			                                 .end = t,
			                                 .open = team->open,
			                                 .close = team->close,
			                                 .capacity = o->max_visits_per_team,
			                                 .skills = team_skills(y, team) };
		if (o->break_minutes > 0) {
			v->vehicle[t].break_open = o->break_open_s;
			v->vehicle[t].break_close = o->break_close_s;
			v->vehicle[t].break_length = (int64_t)o->break_minutes * 60;
		}
		ds_strlcpy(v->vehicle[t].id, lead->staff, sizeof v->vehicle[t].id);
	}
	for (long c = 0; c < nvis; c++) {
		const struct visit *x = &y->v[visit_of[c]];
		int i = nteams + (int)c;
		struct ds_vrp_node *n = &v->node[i];
		*n = (struct ds_vrp_node){ .x = x->lon,
			                   .y = x->lat,
			                   .demand = 1,
			                   .service = (int64_t)o->door_minutes * 60,
			                   .nwin = x->nwin,
			                   .prize = x->prize,
			                   .skills = x->skills,
			                   .number = i };
		memcpy(n->win, x->win, sizeof n->win);
		ds_strlcpy(n->id, x->account, sizeof n->id);
		/* the rules' answers were kept in the same order */
		for (int t = 0; t < nteams; t++)
			v->allowed[(size_t)t * (size_t)v->nnodes + (size_t)i] =
			        allowed[(size_t)t * (size_t)nbranch + (size_t)c];
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
	if (!(err = ds_vrp_check(v, &sol, &chk, y->diag)) && !chk.feasible)
		err = ds_diag_set(y->diag, DS_EINVAL, NULL, 0, NULL,
		                  "branch %s: the solver's routes failed the check: %s", branch,
		                  chk.problem);
	/* the routes: planned arrivals, as the checker reckons them */
	int64_t *start = err ? NULL : ds_malloc((size_t)nvis * sizeof *start + 1);
	if (!err && !start)
		err = ds_diag_set(y->diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	for (int q = 0; !err && q < sol.nroutes; q++) {
		const struct ds_vrp_vehicle *h = &v->vehicle[sol.vehicle[q]];
		int64_t break_at;
		if ((err = ds_vrp_schedule(v, &sol, q, start, &break_at, y->diag)))
			break;
		int prev = h->start, seq = 0;
		r->teams_used++;
		for (int p = sol.first[q]; p < sol.first[q + 1]; p++) {
			int node = sol.stop[p];
			struct visit *x = &y->v[visit_of[node - nteams]];
			x->team = first_team + sol.vehicle[q];
			x->seq = ++seq;
			x->arrive = start[p - sol.first[q]];
			r->planned++;
			r->value_fen += x->prize;
			r->travel_s += v->dur[(size_t)prev * nn + (size_t)node];
			prev = node;
		}
		r->travel_s += v->dur[(size_t)prev * nn + (size_t)h->end];
	}
	ds_free(start);
	if (!err) {
		r->travel_fen += chk.distance;
		for (long c = 0; c < nvis; c++)
			if (y->v[visit_of[c]].team < 0)
				y->v[visit_of[c]].out = "not_worth_the_trip_or_no_time";
	}
	ds_vrp_solution_free(&sol);
done:
	ds_free(allowed);
	ds_free(visit_of);
	ds_vrp_free(v);
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
		const struct day_team *t = &y->staff.t[x->team];
		char team_id[96];
		snprintf(team_id, sizeof team_id, "%s/%s", day, y->staff.p[t->member[0]].staff);
		if (!(err = ds_store_prepare(y->st,
		                             "INSERT INTO teams(team_id, branch_id, work_date,"
		                             " active) VALUES (?,?,?,1) ON CONFLICT DO NOTHING",
		                             &s, y->diag))) {
			ds_stmt_bind_text(s, 1, team_id);
			ds_stmt_bind_text(s, 2, t->branch);
			ds_stmt_bind_text(s, 3, day);
			err = ds_stmt_step(s, &row, y->diag);
			ds_stmt_done(s);
		}
		for (int m = 0; m < t->n && !err; m++) {
			const char *who = y->staff.p[t->member[m]].staff;
			if ((err = ds_store_prepare(y->st,
			                            "INSERT INTO team_members(team_id, staff_id)"
			                            " VALUES (?,?) ON CONFLICT DO NOTHING",
			                            &s, y->diag)))
				continue;
			ds_stmt_bind_text(s, 1, team_id);
			ds_stmt_bind_text(s, 2, who);
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
			ds_stmt_bind_int(s, 5, x->midnight + wo);
			ds_stmt_bind_int(s, 6, x->midnight + wc);
			ds_stmt_bind_int(s, 7, x->seq);
			ds_stmt_bind_int(s, 8, x->midnight + x->arrive);
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
	ds_err err =
	        day_staff_load(st, o->date, o->experienced_days, o->certificate, &y.staff, diag);
	/* the dialects the staff speak, before the visits ask for theirs */
	for (long k = 0; k < y.staff.np; k++)
		dialects(&y, y.staff.p[k].skills, true, NULL);
	if (!err)
		err = load_visits(&y);
	if (!err)
		err = ds_rules_context_load(st, (ds_time)(o->date - 40) * 86400, &y.cx, diag);
	if (!err)
		err = windows(&y);
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
		r->teams = (int)y.staff.nt;
		for (long k = 0; k < y.staff.nt; k++) {
			const struct day_team *t = &y.staff.t[k];
			r->pairs += t->n == 2 && !y.staff.p[t->member[1]].collector;
		}
		for (long k = 0; k < y.nv; k++) {
			const char *why = y.v[k].out;
			if (!why)
				continue;
			r->left_out++;
			if (strcmp(why, "no_allowed_time") == 0)
				r->no_allowed_time++;
			else if (strcmp(why, "not_worth_the_trip_or_no_time") == 0)
				r->not_routed++;
			else if (strcmp(why, "no_skilled_team") == 0)
				r->no_skilled_team++;
			else if (strcmp(why, "no_team_the_rules_allow") == 0)
				r->no_team_allowed++;
			else
				r->other++;
		}
	}
	if (!err && write)
		err = write_routes(&y, r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ds_rules_context_free(y.cx);
	ds_free(y.v);
	day_staff_free(&y.staff);
	return err;
}

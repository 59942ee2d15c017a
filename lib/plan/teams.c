/*
 * The day's teams (docs/routing.md, "The day's routes"): who goes out
 * together. A community worker goes only to their own community, so a
 * team of a collector and a worker serves that community; two collectors
 * serve the whole branch. A collector out with a worker can make a whole
 * team's day (per_team visits) in the worker's community; out with
 * another collector, half a day each, but anywhere. So workers go to the
 * branch's communities with the most value per team, each with the free
 * collector living nearest, while the community has more than half a
 * team's day of visits left for the new team; the collectors left pair up
 * with each other, the nearest first; one left alone goes alone (and the
 * rules decide what a team of one may do). Whether a team may make a visit is the contact rules'
 * call, asked by the day's routes with the members filled in.
 */
#include "teams-int.h"

#include "doorstep/route.h"

#include <stdio.h>
#include <string.h>

#define MIN_OVERLAP_S (2 * 3600) /* two people's shifts overlapping at least this */

/* Seconds from local midnight of "HH:MM", or -1. */
static int64_t clock_s(const char *hhmm)
{
	int h, m;
	char extra;
	if (sscanf(hhmm, "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 24 || m < 0 || m > 59)
		return -1;
	return (int64_t)h * 3600 + m * 60;
}

ds_err day_staff_load(ds_store *st, ds_date date, int experienced_days, const char *certificate,
                      struct day_staff *ds, struct ds_diag *diag)
{
	memset(ds, 0, sizeof *ds);
	char day[11], since[11];
	ds_date_format(date, day);
	ds_date_format(date - experienced_days, since);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT s.staff_id, coalesce(s.branch_id, c.branch_id), s.role = 'collector',"
	        " coalesce(s.community_id, ''), coalesce(s.home_lon, 0), coalesce(s.home_lat, 0),"
	        " coalesce(s.shift_start, '09:00'), coalesce(s.shift_end, '18:00'),"
	        " coalesce(s.skills, ''), " DS_SQL_STAFF_EXPERIENCED ", " DS_SQL_STAFF_CERTIFIED
	        " FROM staff s LEFT JOIN communities c ON c.community_id = s.community_id"
	        " WHERE s.active = 1 AND (s.role = 'collector' AND s.branch_id IS NOT NULL"
	        "  AND s.home_lat IS NOT NULL AND s.home_lon IS NOT NULL"
	        "  OR s.role = 'community_worker' AND c.branch_id IS NOT NULL"
	        "  AND c.partner_status IN ('active', 'pilot'))"
	        " ORDER BY s.staff_id",
	        &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, since);
	ds_stmt_bind_text(s, 2, certificate);
	ds_stmt_bind_text(s, 3, day);
	ds_stmt_bind_text(s, 4, day);
	long cap = 0;
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if ((err = ds_grow((void **)&ds->p, &cap, ds->np, sizeof *ds->p, 64, diag)))
			break;
		struct day_person *p = &ds->p[ds->np];
		memset(p, 0, sizeof *p);
		ds_strlcpy(p->staff, ds_stmt_text(s, 0), sizeof p->staff);
		ds_strlcpy(p->branch, ds_stmt_text(s, 1), sizeof p->branch);
		p->collector = ds_stmt_int(s, 2) != 0;
		ds_strlcpy(p->community, ds_stmt_text(s, 3), sizeof p->community);
		p->lon = ds_stmt_real(s, 4);
		p->lat = ds_stmt_real(s, 5);
		p->open = clock_s(ds_stmt_text(s, 6));
		p->close = clock_s(ds_stmt_text(s, 7));
		ds_strlcpy(p->skills, ds_stmt_text(s, 8), sizeof p->skills);
		p->experienced = ds_stmt_int(s, 9) != 0;
		p->certified = ds_stmt_int(s, 10) != 0;
		if (p->open >= 0 && p->close > p->open)
			ds->np++;
	}
	ds_stmt_done(s);
	if (err)
		return err;
	if ((err = ds_store_prepare(st,
	                            "SELECT community_id, branch_id, centroid_lon, centroid_lat"
	                            " FROM communities WHERE branch_id IS NOT NULL"
	                            " AND partner_status IN ('active', 'pilot') ORDER BY 1",
	                            &s, diag)))
		return err;
	cap = 0;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if ((err = ds_grow((void **)&ds->c, &cap, ds->nc, sizeof *ds->c, 64, diag)))
			break;
		struct day_community *c = &ds->c[ds->nc++];
		memset(c, 0, sizeof *c);
		ds_strlcpy(c->id, ds_stmt_text(s, 0), sizeof c->id);
		ds_strlcpy(c->branch, ds_stmt_text(s, 1), sizeof c->branch);
		c->lon = ds_stmt_real(s, 2);
		c->lat = ds_stmt_real(s, 3);
	}
	ds_stmt_done(s);
	return err;
}

void day_staff_free(struct day_staff *ds)
{
	ds_free(ds->p);
	ds_free(ds->c);
	ds_free(ds->t);
	memset(ds, 0, sizeof *ds);
}

struct day_community *day_community_find(struct day_staff *ds, const char *id)
{
	for (long k = 0; k < ds->nc; k++)
		if (strcmp(ds->c[k].id, id) == 0)
			return &ds->c[k];
	return NULL;
}

static ds_err add_team(struct day_staff *ds, const char *branch, int a, int b, struct ds_diag *diag)
{
	ds_err err = ds_grow((void **)&ds->t, &ds->capt, ds->nt, sizeof *ds->t, 64, diag);
	if (err)
		return err;
	struct day_team *t = &ds->t[ds->nt++];
	memset(t, 0, sizeof *t);
	ds_strlcpy(t->branch, branch, sizeof t->branch);
	t->member[0] = a;
	t->n = 1;
	t->open = ds->p[a].open;
	t->close = ds->p[a].close;
	ds->p[a].taken = true;
	if (b >= 0) {
		t->member[1] = b;
		t->n = 2;
		t->open = ds->p[b].open > t->open ? ds->p[b].open : t->open;
		t->close = ds->p[b].close < t->close ? ds->p[b].close : t->close;
		ds->p[b].taken = true;
	}
	return DS_OK;
}

static bool overlap(const struct day_person *a, const struct day_person *b)
{
	int64_t o = a->open > b->open ? a->open : b->open;
	int64_t c = a->close < b->close ? a->close : b->close;
	return c - o >= MIN_OVERLAP_S;
}

/* The free collector of the branch nearest (lon, lat) whose shift
 * overlaps `with`'s, certified when `certified` (a team needs one); -1:
 * none. */
static int nearest_collector(const struct day_staff *ds, const char *branch, double lon, double lat,
                             int with, bool certified)
{
	int best = -1;
	double bd = 0;
	for (long k = 0; k < ds->np; k++) {
		const struct day_person *p = &ds->p[k];
		if (p->taken || !p->collector || k == with || strcmp(p->branch, branch) != 0 ||
		    !overlap(p, &ds->p[with]) || (certified && !p->certified))
			continue;
		double d = ds_haversine_m(lon, lat, p->lon, p->lat);
		if (best < 0 || d < bd) {
			best = (int)k;
			bd = d;
		}
	}
	return best;
}

/* The best mate for `with` near (lon, lat): a certified collector, else
 * any. */
static int mate_for(const struct day_staff *ds, const char *branch, double lon, double lat,
                    int with)
{
	int k = nearest_collector(ds, branch, lon, lat, with, true);
	return k >= 0 ? k : nearest_collector(ds, branch, lon, lat, with, false);
}

/* A free worker of the branch's community with the most value left per
 * team whose shift overlaps the collector's, when worth_it (more than
 * half a team's day of visits left there) or for any visits at all; -1:
 * none. *c: the community. */
static int worker_for(struct day_staff *ds, const char *branch, int collector, int per_team,
                      bool worth_it, struct day_community **cc)
{
	struct day_community *best = NULL;
	int worker = -1;
	for (long k = 0; k < ds->nc; k++) {
		struct day_community *c = &ds->c[k];
		long left = c->visits - (long)c->teams * per_team;
		if (strcmp(c->branch, branch) != 0 || left <= (worth_it ? per_team / 2 : 0) ||
		    (best && c->value * (best->teams + 1) <= best->value * (c->teams + 1)))
			continue;
		for (long w = 0; w < ds->np; w++) {
			const struct day_person *p = &ds->p[w];
			if (p->taken || p->collector || strcmp(p->community, c->id) != 0)
				continue;
			if (collector >= 0 ? overlap(p, &ds->p[collector])
			                   : mate_for(ds, branch, c->lon, c->lat, (int)w) >= 0) {
				best = c;
				worker = (int)w;
				break;
			}
		}
	}
	*cc = best;
	return worker;
}

ds_err day_teams_form(struct day_staff *ds, const char *branch, int per_team, struct ds_diag *diag)
{
	ds_err err = DS_OK;
	if (per_team < 1)
		per_team = 8;
	/* workers to the communities with the most value per team, each
	 * with the nearest free collector, a certified one if there is */
	for (;;) {
		struct day_community *c;
		int worker = worker_for(ds, branch, -1, per_team, true, &c);
		if (worker < 0)
			break;
		int collector = mate_for(ds, branch, c->lon, c->lat, worker);
		if ((err = add_team(ds, branch, collector, worker, diag)))
			return err;
		c->teams++;
	}
	/* the collectors left, two by two, nearest (and certified) first; one
	 * left over with a worker of wherever there are visits, or alone */
	for (long k = 0; k < ds->np; k++) {
		const struct day_person *p = &ds->p[k];
		if (p->taken || !p->collector || strcmp(p->branch, branch) != 0)
			continue;
		ds->p[k].taken = true; /* not its own mate */
		int mate = p->certified
		                   ? nearest_collector(ds, branch, p->lon, p->lat, (int)k, false)
		                   : mate_for(ds, branch, p->lon, p->lat, (int)k);
		struct day_community *c = NULL;
		if (mate < 0)
			mate = worker_for(ds, branch, (int)k, per_team, false, &c);
		if ((err = add_team(ds, branch, (int)k, mate, diag)))
			return err;
		if (c)
			c->teams++;
	}
	return DS_OK;
}

int day_team_members(const struct day_staff *ds, const struct day_team *t, struct ds_team_member *m)
{
	for (int i = 0; i < t->n; i++) {
		const struct day_person *p = &ds->p[t->member[i]];
		m[i] = (struct ds_team_member){ .staff_id = p->staff,
			                        .collector = p->collector,
			                        .certified = p->certified,
			                        .experienced = p->experienced,
			                        .community_id = p->collector ? NULL : p->community,
			                        .visits_today = 0 };
	}
	return t->n;
}

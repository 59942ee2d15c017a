/*
 * Financial-literacy events and new delinquency (report.h,
 * docs/reports.md "Community work"): a difference in differences, each
 * event's community against the communities without an event near it,
 * with a cluster bootstrap interval.
 */
#include "report-int.h"

#include <stdlib.h>
#include <string.h>

#define REPS 2000
#define SEED 20261129u

/* A community's new-delinquency rate from a to b (walks in id order). */
struct rate {
	char community[65];
	long current, fell; /* current at a; of those, past due at b */
};

static int by_community(const void *x, const void *y)
{
	return strcmp(((const struct rate *)x)->community, ((const struct rate *)y)->community);
}

/* Rates per community between two walks; *out sorted by community. */
static ds_err rates(const struct report_walk *a, const struct report_walk *b, struct rate **out,
                    long *n, struct ds_diag *diag)
{
	struct rate *r = ds_calloc((size_t)a->n + 1, sizeof *r);
	if (!r)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	/* one rate per account first, then folded by community */
	long m = 0, j = 0;
	for (long k = 0; k < a->n; k++) {
		if (a->a[k].dpd > 0 || !a->a[k].community[0])
			continue;
		long at = report_match(b, &j, a->a[k].id);
		bool fell = at >= 0 && b->a[at].dpd > 0;
		ds_strlcpy(r[m].community, a->a[k].community, sizeof r[m].community);
		r[m].current = 1;
		r[m].fell = fell;
		m++;
	}
	qsort(r, (size_t)m, sizeof *r, by_community);
	long u = 0;
	for (long k = 0; k < m; k++) {
		if (u > 0 && strcmp(r[u - 1].community, r[k].community) == 0) {
			r[u - 1].current += r[k].current;
			r[u - 1].fell += r[k].fell;
		} else {
			r[u++] = r[k];
		}
	}
	*out = r;
	*n = u;
	return DS_OK;
}

/* A unit: one community around one event's date; its rates before and
 * after. */
struct unit {
	double before, after;
	bool treated;
};

struct event {
	char community[65];
	ds_date day;
};

static double mean_change(const struct unit *u, const long *pick, long n, bool treated)
{
	double sum = 0;
	long cnt = 0;
	for (long k = 0; k < n; k++) {
		const struct unit *x = &u[pick[k]];
		if (x->treated == treated) {
			sum += x->after - x->before;
			cnt++;
		}
	}
	return cnt ? sum / (double)cnt : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The units of one event: its community, and each community with no
 * event within the window of its day. */
static ds_err event_units(ds_store *st, const struct event *ev, long nev, long e, int window,
                          struct unit **u, long *nu, long *cap, struct ds_diag *diag)
{
	struct report_walk w0, w1, w2;
	memset(&w1, 0, sizeof w1);
	memset(&w2, 0, sizeof w2);
	ds_err err = report_walk(st, ev[e].day - window, &w0, diag);
	if (!err)
		err = report_walk(st, ev[e].day, &w1, diag);
	if (!err)
		err = report_walk(st, ev[e].day + window, &w2, diag);
	struct rate *pre = NULL, *post = NULL;
	long npre = 0, npost = 0;
	if (!err)
		err = rates(&w0, &w1, &pre, &npre, diag);
	if (!err)
		err = rates(&w1, &w2, &post, &npost, diag);
	for (long k = 0, j = 0; !err && k < npre; k++) {
		while (j < npost && strcmp(post[j].community, pre[k].community) < 0)
			j++;
		if (j == npost || strcmp(post[j].community, pre[k].community) != 0 ||
		    !pre[k].current || !post[j].current)
			continue;
		bool treated = strcmp(pre[k].community, ev[e].community) == 0, near = false;
		for (long x = 0; x < nev && !treated && !near; x++)
			near = strcmp(ev[x].community, pre[k].community) == 0 &&
			       abs(ev[x].day - ev[e].day) <= window;
		if (near)
			continue; /* another event's community: neither arm */
		if ((err = ds_grow((void **)u, cap, *nu, sizeof **u, 256, diag)))
			break;
		(*u)[(*nu)++] =
		        (struct unit){ (double)pre[k].fell / (double)pre[k].current,
			               (double)post[j].fell / (double)post[j].current, treated };
	}
	ds_free(pre);
	ds_free(post);
	ds_free(w0.a);
	ds_free(w1.a);
	ds_free(w2.a);
	return err;
}

ds_err ds_report_literacy(ds_store *st, ds_date as_of, int window, struct ds_literacy_effect *out,
                          struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	if (window < 7 || window > 365)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "window", "7 to 365 days");
	char last[11];
	ds_date_format(as_of - window, last);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT community_id, held_on FROM literacy_events"
	                              " WHERE held_on <= ? ORDER BY held_on, community_id",
	                              &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, last);
	struct event *ev = NULL;
	long nev = 0, cap = 0;
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if ((err = ds_grow((void **)&ev, &cap, nev, sizeof *ev, 32, diag)))
			break;
		ds_strlcpy(ev[nev].community, ds_stmt_text(s, 0), sizeof ev[nev].community);
		if (ds_date_parse(ds_stmt_text(s, 1), &ev[nev].day))
			continue;
		nev++;
	}
	ds_stmt_done(s);
	struct unit *u = NULL;
	long nu = 0, ucap = 0;
	for (long e = 0; !err && e < nev; e++)
		err = event_units(st, ev, nev, e, window, &u, &nu, &ucap, diag);
	ds_free(ev);
	out->events = nev;
	long *pick = err ? NULL : ds_malloc(((size_t)nu + 1) * sizeof *pick);
	double *draws = err ? NULL : ds_malloc((REPS + 1) * sizeof *draws);
	if (!err && (!pick || !draws))
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	if (!err) {
		double bt = 0, at = 0, bc = 0, ac = 0;
		for (long k = 0; k < nu; k++) {
			pick[k] = k;
			if (u[k].treated) {
				out->treated_units++;
				bt += u[k].before;
				at += u[k].after;
			} else {
				out->control_units++;
				bc += u[k].before;
				ac += u[k].after;
			}
		}
		if (out->treated_units && out->control_units) {
			out->before_treated = bt / (double)out->treated_units;
			out->after_treated = at / (double)out->treated_units;
			out->before_control = bc / (double)out->control_units;
			out->after_control = ac / (double)out->control_units;
			out->did = (out->after_treated - out->before_treated) -
			           (out->after_control - out->before_control);
			/* resample the treated units and the control units, each
			 * arm with replacement from its own */
			long *t = ds_malloc(((size_t)nu + 1) * sizeof *t);
			if (!t) {
				err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			} else {
				long nt = 0, nc = 0;
				for (long k = 0; k < nu; k++)
					if (u[k].treated)
						t[nt++] = k;
				for (long k = 0; k < nu; k++)
					if (!u[k].treated)
						t[nt + nc++] = k;
				struct ds_rng g;
				ds_rng_seed(&g, SEED);
				for (int r = 0; r < REPS; r++) {
					for (long k = 0; k < nt; k++)
						pick[k] =
						        t[(long)(ds_rng_uniform(&g) * (double)nt)];
					for (long k = 0; k < nc; k++)
						pick[nt + k] = t[nt + (long)(ds_rng_uniform(&g) *
						                             (double)nc)];
					draws[r] = mean_change(u, pick, nu, true) -
					           mean_change(u, pick, nu, false);
				}
				qsort(draws, REPS, sizeof *draws, cmp_double);
				out->lo = draws[(int)(0.025 * REPS)];
				out->hi = draws[(int)(0.975 * REPS) - 1];
				ds_free(t);
			}
		}
	}
	ds_free(u);
	ds_free(pick);
	ds_free(draws);
	if (err) {
		long events = out->events;
		memset(out, 0, sizeof *out);
		out->events = events;
	}
	return err;
}

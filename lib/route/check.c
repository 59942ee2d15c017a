/*
 * The independent checker (route.h): a solution judged from the instance
 * alone, nothing the solver computed is trusted.
 */
#include "route-int.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

static bool fail(struct ds_vrp_check *c, const char *fmt, ...)
{
	if (c->feasible) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->problem, sizeof c->problem, fmt, ap);
		va_end(ap);
	}
	c->feasible = false;
	return false;
}

static bool has_skills(const struct ds_vrp_vehicle *h, const struct ds_vrp_node *x)
{
	return (x->skills & ~h->skills) == 0;
}

/* One route: times, load, skills; its distance and working time. */
static void route(const ds_vrp *v, const struct ds_vrp_solution *s, int r, struct ds_vrp_check *c)
{
	const struct ds_vrp_vehicle *h = &v->vehicle[s->vehicle[r]];
	size_t n = (size_t)v->nnodes;
	int from = s->first[r], to = s->first[r + 1];
	if (from == to)
		return;
	c->routes++;
	int prev = h->start;
	int64_t t = h->open, load = 0, wait_total = 0;
	/* how far the departure can move later without a window closing:
	 * min over stops of the waiting before it plus its slack */
	int64_t waited = 0, push = INT64_MAX;
	bool on_break = h->break_length > 0, break_taken = false;
	for (int i = from; i <= to; i++) {
		int node = i < to ? s->stop[i] : h->end;
		const struct ds_vrp_node *x = &v->node[node];
		c->distance += v->dist[(size_t)prev * n + (size_t)node];
		int64_t arrive = t + v->dur[(size_t)prev * n + (size_t)node];
		/* the break, taken on the way as soon as its window opens */
		if (on_break && !break_taken && arrive >= h->break_open) {
			int64_t b = arrive > h->break_open ? arrive : h->break_open;
			if (b > h->break_close) {
				fail(c, "route %d: vehicle %d's break cannot start by %lld", r + 1,
				     s->vehicle[r] + 1, (long long)h->break_close);
				return;
			}
			arrive = b + h->break_length;
			break_taken = true;
		}
		if (i == to) {
			if (arrive > h->close) {
				fail(c,
				     "route %d: back at the depot at %lld, after the shift's end "
				     "%lld",
				     r + 1, (long long)arrive, (long long)h->close);
				return;
			}
			if (on_break && !break_taken && h->break_open < arrive) {
				fail(c, "route %d: no break taken", r + 1);
				return;
			}
			int64_t duration = arrive - h->open;
			int64_t later = push < wait_total ? push : wait_total;
			if (later > 0)
				duration -= later;
			c->duration += duration;
			if (h->max_duration > 0 && duration > h->max_duration)
				fail(c, "route %d: %lld of working time, more than %lld", r + 1,
				     (long long)duration, (long long)h->max_duration);
			if (h->capacity > 0 && load > h->capacity)
				fail(c, "route %d: load %lld over the capacity %lld", r + 1,
				     (long long)load, (long long)h->capacity);
			return;
		}
		if (node < v->ndepots) {
			fail(c, "route %d: a depot among the stops", r + 1);
			return;
		}
		int64_t start = route_start_at(x, arrive);
		if (start < 0) {
			fail(c,
			     "route %d: client %ld reached at %lld, after its last window closed",
			     r + 1, x->number, (long long)arrive);
			return;
		}
		if (!has_skills(h, x))
			fail(c, "route %d: client %ld needs skills vehicle %d lacks", r + 1,
			     x->number, s->vehicle[r] + 1);
		int64_t close = x->nwin ? x->win[x->nwin - 1].close : DS_VRP_NO_END;
		waited += start - arrive;
		wait_total += start - arrive;
		int64_t slack = waited + (close - start);
		if (slack < push)
			push = slack;
		load += x->demand;
		t = start + x->service;
		prev = node;
	}
}

ds_err ds_vrp_check(const ds_vrp *v, const struct ds_vrp_solution *s, struct ds_vrp_check *c,
                    struct ds_diag *diag)
{
	memset(c, 0, sizeof *c);
	c->feasible = true;
	unsigned char *seen = ds_calloc((size_t)v->nnodes + 1, 1);
	if (!seen)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	if (s->nroutes > v->nvehicles)
		fail(c, "%d routes for %d vehicles", s->nroutes, v->nvehicles);
	for (int r = 0; r < s->nroutes && r < v->nvehicles; r++) {
		if (s->vehicle[r] < 0 || s->vehicle[r] >= v->nvehicles) {
			fail(c, "route %d: no vehicle %d", r + 1, s->vehicle[r] + 1);
			continue;
		}
		for (int q = 0; q < r; q++)
			if (s->vehicle[q] == s->vehicle[r] && s->first[q] < s->first[q + 1] &&
			    s->first[r] < s->first[r + 1])
				fail(c, "routes %d and %d both drive vehicle %d", q + 1, r + 1,
				     s->vehicle[r] + 1);
		for (int i = s->first[r]; i < s->first[r + 1]; i++) {
			int x = s->stop[i];
			if (x < 0 || x >= v->nnodes) {
				fail(c, "route %d: no node %d", r + 1, x);
				continue;
			}
			if (seen[x]++)
				fail(c, "client %ld visited twice", v->node[x].number);
		}
		route(v, s, r, c);
	}
	for (int i = v->ndepots; i < v->nnodes; i++) {
		const struct ds_vrp_node *x = &v->node[i];
		if (seen[i]) {
			c->visited++;
			continue;
		}
		if (x->required || !v->prize_collecting)
			fail(c, "client %ld not visited", x->number);
		c->prize_left += x->prize;
	}
	ds_free(seen);
	c->cost = c->distance + c->prize_left;
	if (v->convention == DS_VRP_EXACT) {
		/* the distance again in double precision, as the BKS are */
		double d = 0;
		for (int r = 0; r < s->nroutes && r < v->nvehicles; r++) {
			if (s->first[r] == s->first[r + 1] || s->vehicle[r] < 0 ||
			    s->vehicle[r] >= v->nvehicles)
				continue;
			const struct ds_vrp_vehicle *h = &v->vehicle[s->vehicle[r]];
			int prev = h->start;
			for (int i = s->first[r]; i <= s->first[r + 1]; i++) {
				int node = i < s->first[r + 1] ? s->stop[i] : h->end;
				if (node < 0 || node >= v->nnodes)
					break;
				d += hypot(v->node[prev].x - v->node[node].x,
				           v->node[prev].y - v->node[node].y);
				prev = node;
			}
		}
		c->cost_exact = d + (double)c->prize_left / (double)v->unit;
	} else {
		c->cost_exact = (double)c->cost;
	}
	return DS_OK;
}

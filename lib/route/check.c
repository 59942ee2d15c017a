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

/*
 * One way to drive a route: leaving the start at `leave`, the break (when
 * the vehicle has one) in the gap after place `gap` (0: the start, 1..n:
 * the stops, n + 1: the end; -1: no break, allowed when back before it
 * opens; -2: the break ignored). The start of each stop's service into
 * start[] when given. The return time, or -1 with the problem.
 */
struct walk {
	int64_t back, break_at;
	char problem[200];
};

static bool walk(const ds_vrp *v, const struct ds_vrp_vehicle *h, const int *stop, int n,
                 int64_t leave, int gap, int64_t *start, struct walk *w)
{
	size_t nn = (size_t)v->nnodes;
	int prev = h->start;
	int64_t depart = leave + v->node[prev].service;
	w->break_at = -1;
	for (int p = 1; p <= n + 1; p++) {
		int node = p <= n ? stop[p - 1] : h->end;
		int64_t arrive = depart + v->dur[(size_t)prev * nn + (size_t)node];
		if (gap == p - 1 && h->break_length > 0) {
			if (depart > h->break_close) {
				snprintf(w->problem, sizeof w->problem,
				         "the break cannot start by %lld",
				         (long long)h->break_close);
				return false;
			}
			w->break_at = depart > h->break_open ? depart : h->break_open;
			arrive =
			        (arrive > h->break_open ? arrive : h->break_open) + h->break_length;
		}
		if (p == n + 1) {
			if (arrive > h->close) {
				snprintf(w->problem, sizeof w->problem,
				         "back at the depot at %lld, after the shift's end %lld",
				         (long long)arrive, (long long)h->close);
				return false;
			}
			if (gap == -1 && h->break_length > 0 && arrive > h->break_open) {
				snprintf(w->problem, sizeof w->problem,
				         "back at %lld, after the break opens at %lld, without it",
				         (long long)arrive, (long long)h->break_open);
				return false;
			}
			w->back = arrive;
			return true;
		}
		const struct ds_vrp_node *x = &v->node[node];
		int64_t t = route_start_at(x, arrive);
		if (t < 0) {
			snprintf(w->problem, sizeof w->problem,
			         "client %ld reached at %lld, after its last window closed",
			         x->number, (long long)arrive);
			return false;
		}
		if (start)
			start[p - 1] = t;
		depart = t + x->service;
		prev = node;
	}
	return false; /* not reached */
}

/* The earliest return leaving at `leave` over every place for the break,
 * and that place; -1 when none works. */
static int64_t best_walk(const ds_vrp *v, const struct ds_vrp_vehicle *h, const int *stop, int n,
                         int64_t leave, int *gap)
{
	int64_t best = -1;
	struct walk w;
	for (int g = -1; g <= (h->break_length > 0 ? n : -1); g++)
		if (walk(v, h, stop, n, leave, g, NULL, &w) && (best < 0 || w.back < best)) {
			best = w.back;
			*gap = g;
		}
	return best;
}

ds_err ds_vrp_schedule(const ds_vrp *v, const struct ds_vrp_solution *s, int r, int64_t *start,
                       int64_t *break_at, struct ds_diag *diag)
{
	const struct ds_vrp_vehicle *h = &v->vehicle[s->vehicle[r]];
	const int *stop = &s->stop[s->first[r]];
	int n = s->first[r + 1] - s->first[r], gap = -1;
	struct walk w;
	if (best_walk(v, h, stop, n, h->open, &gap) < 0) {
		walk(v, h, stop, n, h->open, -2, NULL, &w);
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "route %d cannot be driven: %s",
		                   r + 1, w.problem[0] ? w.problem : "its break fits nowhere");
	}
	walk(v, h, stop, n, h->open, gap, start, &w);
	*break_at = w.break_at;
	return DS_OK;
}

/* One route: times, break, load, skills; its distance and working time. */
static void route(const ds_vrp *v, const struct ds_vrp_solution *s, int r, struct ds_vrp_check *c)
{
	const struct ds_vrp_vehicle *h = &v->vehicle[s->vehicle[r]];
	size_t nn = (size_t)v->nnodes;
	int from = s->first[r], to = s->first[r + 1], n = to - from;
	if (n == 0)
		return;
	c->routes++;
	const int *stop = &s->stop[from];
	int64_t load = 0;
	int prev = h->start;
	for (int i = 0; i <= n; i++) {
		int node = i < n ? stop[i] : h->end;
		c->distance += v->dist[(size_t)prev * nn + (size_t)node];
		prev = node;
		if (i == n)
			break;
		if (node < v->ndepots) {
			fail(c, "route %d: a depot among the stops", r + 1);
			return;
		}
		if (!route_may_serve(v, s->vehicle[r], node))
			fail(c,
			     "route %d: client %ld needs skills vehicle %d lacks, or may not be "
			     "served by it",
			     r + 1, v->node[node].number, s->vehicle[r] + 1);
		load += v->node[node].demand;
	}
	int gap = -1;
	int64_t back = best_walk(v, h, stop, n, h->open, &gap);
	if (back < 0) {
		struct walk w = { .problem = "" };
		walk(v, h, stop, n, h->open, -2, NULL, &w);
		if (w.problem[0])
			fail(c, "route %d: %s", r + 1, w.problem);
		else
			fail(c,
			     "route %d: vehicle %d's break of %lld, to start in %lld..%lld, fits "
			     "nowhere",
			     r + 1, s->vehicle[r] + 1, (long long)h->break_length,
			     (long long)h->break_open, (long long)h->break_close);
		return;
	}
	/* working time: leaving as late as keeps the earliest return */
	int64_t lo = h->open, hi = back;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo + 1) / 2;
		int g;
		if (best_walk(v, h, stop, n, mid, &g) == back)
			lo = mid;
		else
			hi = mid - 1;
	}
	int64_t duration = back - lo;
	c->duration += duration;
	if (h->max_duration > 0 && duration > h->max_duration)
		fail(c, "route %d: %lld of working time, more than %lld", r + 1,
		     (long long)duration, (long long)h->max_duration);
	if (h->capacity > 0 && load > h->capacity)
		fail(c, "route %d: load %lld over the capacity %lld", r + 1, (long long)load,
		     (long long)h->capacity);
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

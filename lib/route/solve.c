/*
 * The route solver (route.h): ruin and recreate with string removals
 * (SISR) under simulated annealing, every route feasible at all times,
 * and a local search on each new best solution.
 *
 * A route keeps, per place, the earliest start of service there and the
 * latest start that keeps the rest of the route within its windows and
 * the shift, each twice: with the team's break still to come and with it
 * behind (or not needed). The break, when the team has one, is taken in
 * whichever gap between two places suits best (route.h). From these a
 * move's feasibility is checked in constant time: the earliest starts of
 * the unchanged beginning, walked through the few places the move puts
 * in between, against the latest starts of the unchanged end. The
 * objective is the distance driven plus the prizes of the clients left
 * out; a client that must be visited carries a prize no route can
 * outweigh.
 */
#include "route-int.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MUST         ((int64_t)1 << 40) /* the prize of a client that must be visited */
#define NEIGHBOURS   40                 /* per client, the nearest, for the ruin */
#define MEAN_REMOVED 10.0               /* SISR's c-bar */
#define MAX_STRING   10.0               /* SISR's L-max */
#define BLINK        0.01               /* chance to skip a place when recreating */

static long below(struct ds_rng *r, long n)
{
	return n > 0 ? (long)(ds_rng_uniform(r) * (double)n) : 0;
}

static int64_t dist(const ds_vrp *v, int a, int b)
{
	return v->dist[(size_t)a * (size_t)v->nnodes + (size_t)b];
}

static int64_t dur(const ds_vrp *v, int a, int b)
{
	return v->dur[(size_t)a * (size_t)v->nnodes + (size_t)b];
}

/* ------------------------------------------------------------ the times */

#define INF (INT64_MAX / 2) /* an earliest start: unreachable */
#define NEG (INT64_MIN / 2) /* a latest start: none */

/* Earliest starts at a place: [0] the break still to come, [1] behind or
 * not needed. */
struct when {
	int64_t t[2];
};

static bool has_break(const struct ds_vrp_vehicle *h)
{
	return h->break_length > 0;
}

/* The start of service at b for a ready time (INF: every window closed);
 * the route's end has no window. */
static int64_t settle(const ds_vrp *v, int b, int64_t ready, bool end)
{
	if (ready >= INF || end)
		return ready;
	int64_t t = route_start_at(&v->node[b], ready);
	return t < 0 ? INF : t;
}

/* From the starts at a to the starts at b. The break taken between them:
 * begun at max(leaving a, its opening), by its closing; b reached at
 * max(leaving + travel, opening) + its length (travelled before, after or
 * around it). */
static struct when step(const ds_vrp *v, const struct ds_vrp_vehicle *h, struct when at, int a,
                        int b, bool end)
{
	int64_t d = dur(v, a, b), s = v->node[a].service;
	int64_t r0 = at.t[0] < INF ? at.t[0] + s + d : INF;
	int64_t r1 = at.t[1] < INF ? at.t[1] + s + d : INF;
	if (r0 < INF && has_break(h) && at.t[0] + s <= h->break_close) {
		int64_t rb = (r0 > h->break_open ? r0 : h->break_open) + h->break_length;
		if (rb < r1)
			r1 = rb;
	}
	return (struct when){ { settle(v, b, r0, end), settle(v, b, r1, end) } };
}

/* The latest service start at x no later than t; NEG: none. */
static int64_t latest_at(const struct ds_vrp_node *x, int64_t t)
{
	if (t <= NEG)
		return NEG;
	if (x->nwin == 0)
		return t;
	for (int w = x->nwin - 1; w >= 0; w--)
		if (t >= x->win[w].open)
			return t < x->win[w].close ? t : x->win[w].close;
	return NEG;
}

/* From the latest starts at b (after a) to the latest starts at a; the
 * route's first place is the vehicle's leaving, by its shift's end. */
static void step_back(const ds_vrp *v, const struct ds_vrp_vehicle *h, int a, int b,
                      const int64_t lb[2], int64_t la[2], bool first)
{
	int64_t d = dur(v, a, b), s = v->node[a].service;
	int64_t x0 = lb[0] > NEG ? lb[0] - d - s : NEG;
	int64_t x1 = lb[1] > NEG ? lb[1] - d - s : NEG;
	if (has_break(h) && lb[1] > NEG && h->break_open + h->break_length <= lb[1]) {
		int64_t leave = lb[1] - h->break_length - d;
		if (leave > h->break_close)
			leave = h->break_close;
		if (leave - s > x0)
			x0 = leave - s;
	}
	int64_t x[2] = { x0, x1 };
	for (int k = 0; k < 2; k++)
		la[k] = first ? (x[k] < h->close ? x[k] : h->close) : latest_at(&v->node[a], x[k]);
}

/* ------------------------------------------------------------- the state */

struct route {
	int vehicle;
	int n;             /* clients */
	int *c;            /* n + 2 places: start depot, clients, end depot */
	int64_t *early[2]; /* per place, per break state */
	int64_t *late[2];
	int64_t load, dist;
	int64_t *load_to; /* per place: the load picked up up to it */
	bool ok;          /* every window, the break and the shift kept */
};

struct state {
	const ds_vrp *v;
	int nroutes;
	struct route *r;
	int *route_of; /* per node: its route, -1 when out */
	int *place_of; /* per node: its place in the route */
	int64_t cost;  /* distance + prizes of clients out */
};

struct shared {
	const ds_vrp *v;
	int *near;      /* per client, NEIGHBOURS nearest clients */
	int64_t *prize; /* per node: the prize, MUST for required */
	int nclients;
};

static struct when when_at(const struct route *r, int p)
{
	return (struct when){ { r->early[0][p], r->early[1][p] } };
}

static bool fits_at(const struct route *r, int q, struct when w)
{
	return w.t[0] <= r->late[0][q] || w.t[1] <= r->late[1][q];
}

/* The starts at the first place: leaving at t. */
static struct when leaving(const struct ds_vrp_vehicle *h, int64_t t)
{
	return has_break(h) ? (struct when){ { t, INF } } : (struct when){ { INF, t } };
}

/* Recomputes a route's times, load and distance from its clients. */
static void refresh(const ds_vrp *v, struct route *r)
{
	const struct ds_vrp_vehicle *h = &v->vehicle[r->vehicle];
	int last = r->n + 1;
	r->c[0] = h->start;
	r->c[last] = h->end;
	struct when w = leaving(h, h->open);
	r->early[0][0] = w.t[0];
	r->early[1][0] = w.t[1];
	r->load = 0;
	r->dist = 0;
	r->load_to[0] = 0;
	for (int p = 1; p <= last; p++) {
		int a = r->c[p - 1], b = r->c[p];
		w = step(v, h, w, a, b, p == last);
		r->early[0][p] = w.t[0];
		r->early[1][p] = w.t[1];
		r->dist += dist(v, a, b);
		if (p < last)
			r->load += v->node[b].demand;
		r->load_to[p] = r->load;
	}
	/* back by the shift's end; without the break only before it opens */
	r->late[0][last] =
	        has_break(h) ? (h->break_open < h->close ? h->break_open : h->close) : NEG;
	r->late[1][last] = h->close;
	for (int p = last - 1; p >= 0; p--) {
		int64_t lb[2] = { r->late[0][p + 1], r->late[1][p + 1] }, la[2];
		step_back(v, h, r->c[p], r->c[p + 1], lb, la, p == 0);
		r->late[0][p] = la[0];
		r->late[1][p] = la[1];
	}
	r->ok = fits_at(r, last, when_at(r, last));
}

/* The earliest return leaving at t, INF when the route cannot be driven. */
static int64_t return_at(const ds_vrp *v, const struct route *r, int64_t t)
{
	const struct ds_vrp_vehicle *h = &v->vehicle[r->vehicle];
	int last = r->n + 1;
	struct when w = leaving(h, t);
	for (int p = 1; p <= last; p++)
		w = step(v, h, w, r->c[p - 1], r->c[p], p == last);
	int64_t best = INF;
	for (int k = 0; k < 2; k++)
		if (w.t[k] <= r->late[k][last] && w.t[k] < best)
			best = w.t[k];
	return best;
}

/* The route's working time: from leaving, as late as keeps the earliest
 * return, to that return. */
static int64_t duration(const ds_vrp *v, const struct route *r)
{
	const struct ds_vrp_vehicle *h = &v->vehicle[r->vehicle];
	int64_t back = return_at(v, r, h->open);
	if (back >= INF)
		return INF;
	int64_t lo = h->open, hi = back; /* return_at(lo) == back */
	while (lo < hi) {
		int64_t mid = lo + (hi - lo + 1) / 2;
		if (return_at(v, r, mid) == back)
			lo = mid;
		else
			hi = mid - 1;
	}
	return back - lo;
}

/*
 * Whether a route that keeps places 0..p of `pre`, then visits the m
 * clients of `mid`, then keeps places q.. of `suf` to the end, keeps its
 * windows, break and shift, driven by vehicle h. Exact when pre and suf
 * are the same route or vehicles alike in end, shift's end and break.
 */
static bool joins(const ds_vrp *v, const struct ds_vrp_vehicle *h, const struct route *pre, int p,
                  const int *mid, int m, const struct route *suf, int q)
{
	struct when w = when_at(pre, p);
	int a = pre->c[p];
	for (int i = 0; i < m; i++) {
		w = step(v, h, w, a, mid[i], false);
		if (w.t[0] >= INF && w.t[1] >= INF)
			return false;
		a = mid[i];
	}
	w = step(v, h, w, a, suf->c[q], q == suf->n + 1);
	return fits_at(suf, q, w);
}

static bool state_init(struct state *s, const ds_vrp *v)
{
	memset(s, 0, sizeof *s);
	s->v = v;
	s->nroutes = v->nvehicles;
	size_t places = (size_t)v->nnodes + 2;
	s->r = ds_calloc((size_t)s->nroutes, sizeof *s->r);
	s->route_of = ds_malloc((size_t)v->nnodes * sizeof(int));
	s->place_of = ds_malloc((size_t)v->nnodes * sizeof(int));
	if (!s->r || !s->route_of || !s->place_of)
		return false;
	for (int k = 0; k < s->nroutes; k++) {
		struct route *r = &s->r[k];
		r->vehicle = k;
		r->c = ds_malloc(places * sizeof *r->c);
		r->load_to = ds_malloc(places * sizeof *r->load_to);
		if (!r->c || !r->load_to)
			return false;
		for (int t = 0; t < 2; t++) {
			r->early[t] = ds_malloc(places * sizeof *r->early[t]);
			r->late[t] = ds_malloc(places * sizeof *r->late[t]);
			if (!r->early[t] || !r->late[t])
				return false;
		}
		refresh(v, r);
	}
	for (int i = 0; i < v->nnodes; i++)
		s->route_of[i] = -1;
	return true;
}

static void state_free(struct state *s)
{
	for (int k = 0; s->r && k < s->nroutes; k++) {
		ds_free(s->r[k].c);
		ds_free(s->r[k].load_to);
		for (int t = 0; t < 2; t++) {
			ds_free(s->r[k].early[t]);
			ds_free(s->r[k].late[t]);
		}
	}
	ds_free(s->r);
	ds_free(s->route_of);
	ds_free(s->place_of);
	memset(s, 0, sizeof *s);
}

/* b := a, same instance */
static void state_copy(struct state *b, const struct state *a)
{
	size_t places;
	for (int k = 0; k < a->nroutes; k++) {
		struct route *x = &b->r[k];
		const struct route *y = &a->r[k];
		places = (size_t)y->n + 2;
		x->vehicle = y->vehicle;
		x->n = y->n;
		x->load = y->load;
		x->dist = y->dist;
		memcpy(x->c, y->c, places * sizeof *x->c);
		for (int t = 0; t < 2; t++) {
			memcpy(x->early[t], y->early[t], places * sizeof *x->early[t]);
			memcpy(x->late[t], y->late[t], places * sizeof *x->late[t]);
		}
		memcpy(x->load_to, y->load_to, places * sizeof *x->load_to);
		x->ok = y->ok;
	}
	memcpy(b->route_of, a->route_of, (size_t)a->v->nnodes * sizeof(int));
	memcpy(b->place_of, a->place_of, (size_t)a->v->nnodes * sizeof(int));
	b->cost = a->cost;
}

static void reindex(struct state *s, int k)
{
	struct route *r = &s->r[k];
	for (int p = 1; p <= r->n; p++) {
		s->route_of[r->c[p]] = k;
		s->place_of[r->c[p]] = p;
	}
}

static void remove_client(struct state *s, const struct shared *sh, int c)
{
	int k = s->route_of[c], p = s->place_of[c];
	struct route *r = &s->r[k];
	int64_t before = r->dist;
	memmove(&r->c[p], &r->c[p + 1], (size_t)(r->n + 1 - p) * sizeof *r->c);
	r->n--;
	refresh(s->v, r);
	reindex(s, k);
	s->route_of[c] = -1;
	s->cost += r->dist - before + sh->prize[c];
}

static void insert_client(struct state *s, const struct shared *sh, int c, int k, int p)
{
	struct route *r = &s->r[k];
	int64_t before = r->dist;
	memmove(&r->c[p + 2], &r->c[p + 1], (size_t)(r->n + 1 - p) * sizeof *r->c);
	r->c[p + 1] = c;
	r->n++;
	refresh(s->v, r);
	reindex(s, k);
	s->cost += r->dist - before - sh->prize[c];
}

/* The extra distance of c between places p and p+1 of route r, or -1 when
 * infeasible. */
static int64_t insertion(const ds_vrp *v, const struct route *r, int c, int p)
{
	const struct ds_vrp_vehicle *h = &v->vehicle[r->vehicle];
	const struct ds_vrp_node *x = &v->node[c];
	if (!route_may_serve(v, r->vehicle, c) ||
	    (h->capacity > 0 && r->load + x->demand > h->capacity))
		return -1;
	if (!joins(v, h, r, p, &c, 1, r, p + 1))
		return -1;
	int a = r->c[p], b = r->c[p + 1];
	return dist(v, a, c) + dist(v, c, b) - dist(v, a, b);
}

/* Within the vehicle's working time after putting c at place p + 1. */
static bool within_duration(struct state *s, int c, int k, int p)
{
	const ds_vrp *v = s->v;
	struct route *r = &s->r[k];
	const struct ds_vrp_vehicle *h = &v->vehicle[r->vehicle];
	if (h->max_duration <= 0)
		return true;
	memmove(&r->c[p + 2], &r->c[p + 1], (size_t)(r->n + 1 - p) * sizeof *r->c);
	r->c[p + 1] = c;
	r->n++;
	refresh(v, r);
	bool ok = duration(v, r) <= h->max_duration;
	memmove(&r->c[p + 1], &r->c[p + 2], (size_t)(r->n - p) * sizeof *r->c);
	r->n--;
	refresh(v, r);
	return ok;
}

/* ----------------------------------------------------------- one search */

struct ls_buf {
	int *a, *b, *ua, *ub; /* new routes and their undo copies */
};

struct search {
	const struct shared *sh;
	struct ds_vrp_solve_opts o;
	uint64_t seed;
	struct state cur, best, trial;
	long iterations;
	int *removed, nremoved;
	int seed_client; /* the ruin's first client */
	struct ls_buf ls;
	bool *route_ruined;
	ds_err err;
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void ruin(struct search *q, struct state *s, struct ds_rng *g)
{
	const ds_vrp *v = s->v;
	const struct shared *sh = q->sh;
	q->nremoved = 0;
	int used = 0, clients = 0;
	for (int k = 0; k < s->nroutes; k++) {
		q->route_ruined[k] = false;
		if (s->r[k].n) {
			used++;
			clients += s->r[k].n;
		}
	}
	if (clients == 0)
		return;
	double avg = (double)clients / used;
	double lmax = fmin(MAX_STRING, avg);
	double kmax = 4 * MEAN_REMOVED / (1 + lmax) - 1;
	long strings = (long)(ds_rng_uniform(g) * kmax) + 1;
	/* a seed among the routed clients */
	int seed;
	do
		seed = v->ndepots + (int)below(g, sh->nclients);
	while (s->route_of[seed] < 0);
	q->seed_client = seed;
	int *near = &sh->near[(size_t)(seed - v->ndepots) * NEIGHBOURS];
	for (int j = -1; j < NEIGHBOURS && strings > 0; j++) {
		int c = j < 0 ? seed : near[j];
		if (c < 0 || s->route_of[c] < 0 || q->route_ruined[s->route_of[c]])
			continue;
		int k = s->route_of[c];
		struct route *r = &s->r[k];
		double ltmax = fmin((double)r->n, lmax);
		int len = (int)(ds_rng_uniform(g) * ltmax) + 1;
		if (len > r->n)
			len = r->n;
		/* a string of len places containing c */
		int p = s->place_of[c];
		int lo = p - (int)below(g, len);
		if (lo < 1)
			lo = 1;
		if (lo + len - 1 > r->n)
			lo = r->n - len + 1;
		int take[64];
		int ntake = 0;
		/* split string: keep a few in the middle now and then */
		bool split = len > 1 && ds_rng_uniform(g) < 0.5;
		int keep = 0;
		if (split) {
			keep = 1;
			while (len + keep < r->n && ds_rng_uniform(g) > 0.01)
				keep++;
			if (lo + len + keep - 1 > r->n)
				lo = r->n - len - keep + 1;
			if (lo < 1) {
				lo = 1;
				keep = r->n - len;
			}
		}
		int kept_at = split ? (int)below(g, len) : -1;
		for (int i = 0, at = lo; i < len && ntake < 64; at++) {
			if (split && i == kept_at && keep > 0) {
				keep--;
				continue;
			}
			take[ntake++] = r->c[at];
			i++;
		}
		for (int i = 0; i < ntake; i++) {
			/* without the triangle inequality (a bank's matrix, DIMACS
			 * truncation) taking a client out can make the rest late:
			 * then it stays */
			int at = s->place_of[take[i]];
			remove_client(s, sh, take[i]);
			if (!s->r[k].ok) {
				insert_client(s, sh, take[i], k, at - 1);
				break;
			}
			q->removed[q->nremoved++] = take[i];
		}
		q->route_ruined[k] = true;
		strings--;
	}
}

/* The order to put clients back in, as SISR: random, largest demand,
 * farthest from the depot, closest. */
static int64_t order_key(const ds_vrp *v, int key, int x)
{
	int depot = v->vehicle[0].start;
	return key == 1 ? -v->node[x].demand : key == 2 ? -dist(v, depot, x) : dist(v, depot, x);
}

/* Puts the removed clients back; with `all`, every one that fits
 * somewhere, prize or not (the first solution: routes that reach every
 * part of the map, for the search to prune). */
static void recreate(struct search *q, struct state *s, struct ds_rng *g, bool all)
{
	const ds_vrp *v = s->v;
	const struct shared *sh = q->sh;
	int n = q->nremoved;
	int *c = q->removed;
	double u = ds_rng_uniform(g) * 11;
	int key = u < 4 ? 0 : u < 8 ? 1 : u < 10 ? 2 : 3;
	if (key == 0) {
		for (int i = n - 1; i > 0; i--) {
			int j = (int)below(g, i + 1), t = c[i];
			c[i] = c[j];
			c[j] = t;
		}
	} else {
		/* insertion sort: a ruin removes a few tens of clients */
		for (int i = 1; i < n; i++) {
			int x = c[i], j = i - 1;
			int64_t kx = order_key(v, key, x);
			while (j >= 0) {
				int y = c[j];
				if (order_key(v, key, y) <= kx)
					break;
				c[j + 1] = y;
				j--;
			}
			c[j + 1] = x;
		}
	}
	for (int i = 0; i < n; i++) {
		int x = c[i];
		int64_t best = -1;
		int bk = -1, bp = -1;
		bool empty_tried = false;
		for (int k = 0; k < s->nroutes; k++) {
			const struct route *r = &s->r[k];
			if (r->n == 0) {
				/* one empty route of each kind is enough: vehicles alike */
				if (empty_tried && !v->allowed &&
				    v->vehicle[k].start == v->vehicle[0].start &&
				    v->vehicle[k].skills == v->vehicle[0].skills)
					continue;
				empty_tried = true;
			}
			for (int p = 0; p <= r->n; p++) {
				if (ds_rng_uniform(g) < BLINK)
					continue;
				int64_t d = insertion(v, r, x, p);
				if (d >= 0 && (best < 0 || d < best)) {
					best = d;
					bk = k;
					bp = p;
				}
			}
		}
		if (bk >= 0 && (all || best < sh->prize[x]) && within_duration(s, x, bk, bp))
			insert_client(s, sh, x, bk, bp);
	}
}

/* Clients out of every route get their chance too: those that must be
 * visited always, the optional ones near the ruin's seed. */
static void add_absent(struct search *q, const struct state *s)
{
	const ds_vrp *v = s->v;
	const struct shared *sh = q->sh;
	for (int i = v->ndepots; i < v->nnodes; i++)
		if (s->route_of[i] < 0 && sh->prize[i] == MUST) {
			bool listed = false;
			for (int k = 0; k < q->nremoved && !listed; k++)
				listed = q->removed[k] == i;
			if (!listed)
				q->removed[q->nremoved++] = i;
		}
	if (!v->prize_collecting || q->seed_client < v->ndepots)
		return;
	const int *near = &sh->near[(size_t)(q->seed_client - v->ndepots) * NEIGHBOURS];
	for (int j = 0; j < NEIGHBOURS; j++) {
		int c = near[j];
		if (c < 0 || s->route_of[c] >= 0)
			continue;
		bool listed = false;
		for (int k = 0; k < q->nremoved && !listed; k++)
			listed = q->removed[k] == c;
		if (!listed)
			q->removed[q->nremoved++] = c;
	}
}

/* ---------------------------------------------------------- local search */

/*
 * On new best solutions: first-improvement local search over each
 * client's LS_NEIGHBOURS nearest (granular). Each move's distance is
 * computed first; an improving one is checked in constant time (joins:
 * exact within a route, and between routes as long as the routes' other
 * clients stay where they are), then applied and verified whole (shift,
 * working time, load). The moves: Or-opt (a string of one to three
 * clients next to the neighbour, in its route or another: relocate is
 * its string of one), swap (the two trade places), SWAP* (Vidal 2022:
 * the two trade routes, each at its best place in the other) and 2-opt*
 * (the client's route goes on with the neighbour's tail and the other
 * way round).
 */
#define LS_NEIGHBOURS 20
#define LS_PASSES     8
#define OR_OPT_MAX    3

static bool skills_fit(const ds_vrp *v, const struct route *r, int c)
{
	return route_may_serve(v, r->vehicle, c);
}

/* Route k's clients replaced by n clients from `c`; false (and the route
 * as it was) when its windows, shift, load or working time break. */
static bool set_route(struct state *s, int k, const int *c, int n, int *undo)
{
	const ds_vrp *v = s->v;
	struct route *r = &s->r[k];
	const struct ds_vrp_vehicle *h = &v->vehicle[r->vehicle];
	int old = r->n;
	memcpy(undo, &r->c[1], (size_t)old * sizeof *undo);
	memcpy(&r->c[1], c, (size_t)n * sizeof *c);
	r->n = n;
	refresh(v, r);
	bool fine = r->ok && (h->capacity <= 0 || r->load <= h->capacity) &&
	            (h->max_duration <= 0 || duration(v, r) <= h->max_duration);
	for (int p = 1; fine && p <= n; p++)
		fine = skills_fit(v, r, r->c[p]);
	if (!fine) {
		memcpy(&r->c[1], undo, (size_t)old * sizeof *undo);
		r->n = old;
		refresh(v, r);
	}
	return fine;
}

/* Applies new contents to route ka, or nothing. */
static bool apply_one(struct state *s, struct ls_buf *w, int ka, int na)
{
	int64_t before = s->r[ka].dist;
	if (!set_route(s, ka, w->a, na, w->ua))
		return false;
	s->cost += s->r[ka].dist - before;
	reindex(s, ka);
	return true;
}

/* Applies new contents to routes ka and kb together, or neither. */
static bool apply_two(struct state *s, struct ls_buf *w, int ka, int na, int kb, int nb)
{
	int64_t before = s->r[ka].dist + s->r[kb].dist;
	int olda = s->r[ka].n;
	if (!set_route(s, ka, w->a, na, w->ua))
		return false;
	if (!set_route(s, kb, w->b, nb, w->ub)) {
		/* route a back as it was */
		int *tmp = w->a;
		memcpy(tmp, w->ua, (size_t)olda * sizeof *tmp);
		set_route(s, ka, tmp, olda, w->ua);
		return false;
	}
	s->cost += s->r[ka].dist + s->r[kb].dist - before;
	reindex(s, ka);
	reindex(s, kb);
	return true;
}

/* Copies places from..to of route r into out, returns the count added. */
static int take(int *out, const struct route *r, int from, int to)
{
	int m = 0;
	for (int p = from; p <= to; p++)
		out[m++] = r->c[p];
	return m;
}

/*
 * Or-opt: the string of len clients starting with c moved next to n
 * (after it, or before it), in n's route, which may be c's own.
 */
static bool or_opt(struct state *s, struct ls_buf *w, int c, int n, int len)
{
	const ds_vrp *v = s->v;
	int ka = s->route_of[c], kb = s->route_of[n];
	struct route *a = &s->r[ka], *b = &s->r[kb];
	int i = s->place_of[c], j = i + len - 1; /* the string: places i..j of a */
	if (j > a->n)
		return false;
	int first = a->c[i], end = a->c[j];
	int64_t save = dist(v, a->c[i - 1], first) + dist(v, end, a->c[j + 1]) -
	               dist(v, a->c[i - 1], a->c[j + 1]);
	int pn = s->place_of[n];
	if (ka == kb && pn >= i && pn <= j)
		return false;
	for (int side = 0; side < 2; side++) {
		int p = side == 0 ? pn : pn - 1; /* between places p and p + 1 of b */
		if (ka == kb && p >= i - 1 && p <= j)
			continue; /* where it already is */
		int x = b->c[p], y = b->c[p + 1];
		int64_t add = dist(v, x, first) + dist(v, end, y) - dist(v, x, y);
		if (add >= save)
			continue;
		const struct ds_vrp_vehicle *hb = &v->vehicle[b->vehicle];
		if (ka == kb) {
			/* one route: the new order between the unchanged ends */
			int m = 0;
			if (p > j) { /* later: a[j+1..p], the string, then a[p+1..] */
				m += take(w->b + m, a, j + 1, p);
				m += take(w->b + m, a, i, j);
				if (!joins(v, hb, a, i - 1, w->b, m, a, p + 1))
					continue;
			} else { /* earlier: a[..p], the string, a[p+1..i-1], then a[j+1..] */
				m += take(w->b + m, a, i, j);
				m += take(w->b + m, a, p + 1, i - 1);
				if (!joins(v, hb, a, p, w->b, m, a, j + 1))
					continue;
			}
			int na = 0;
			for (int q = 1; q <= a->n; q++) {
				if (q >= i && q <= j)
					continue;
				if (q == p + 1 && p < i)
					na += take(w->a + na, a, i, j);
				w->a[na++] = a->c[q];
				if (q == p && p > j)
					na += take(w->a + na, a, i, j);
			}
			if (apply_one(s, w, ka, na))
				return true;
			continue;
		}
		int64_t load = 0;
		bool skills = true;
		for (int q = i; q <= j; q++) {
			load += v->node[a->c[q]].demand;
			skills = skills && skills_fit(v, b, a->c[q]);
		}
		if (!skills || (hb->capacity > 0 && b->load + load > hb->capacity))
			continue;
		if (!joins(v, &v->vehicle[a->vehicle], a, i - 1, NULL, 0, a, j + 1) ||
		    !joins(v, hb, b, p, &a->c[i], len, b, p + 1))
			continue;
		int na = 0, nb = 0;
		na += take(w->a, a, 1, i - 1);
		na += take(w->a + na, a, j + 1, a->n);
		nb += take(w->b, b, 1, p);
		nb += take(w->b + nb, a, i, j);
		nb += take(w->b + nb, b, p + 1, b->n);
		if (apply_two(s, w, ka, na, kb, nb))
			return true;
	}
	return false;
}

/* Swap c and n between their routes. */
static bool swap(struct state *s, struct ls_buf *w, int c, int n)
{
	const ds_vrp *v = s->v;
	int ka = s->route_of[c], kb = s->route_of[n];
	struct route *a = &s->r[ka], *b = &s->r[kb];
	int pc = s->place_of[c], pn = s->place_of[n];
	int ap = a->c[pc - 1], an = a->c[pc + 1], bp = b->c[pn - 1], bn = b->c[pn + 1];
	int64_t delta = dist(v, ap, n) + dist(v, n, an) + dist(v, bp, c) + dist(v, c, bn) -
	                dist(v, ap, c) - dist(v, c, an) - dist(v, bp, n) - dist(v, n, bn);
	if (delta >= 0 || !skills_fit(v, a, n) || !skills_fit(v, b, c))
		return false;
	if (!joins(v, &v->vehicle[a->vehicle], a, pc - 1, &n, 1, a, pc + 1) ||
	    !joins(v, &v->vehicle[b->vehicle], b, pn - 1, &c, 1, b, pn + 1))
		return false;
	memcpy(w->a, &a->c[1], (size_t)a->n * sizeof *w->a);
	memcpy(w->b, &b->c[1], (size_t)b->n * sizeof *w->b);
	w->a[pc - 1] = n;
	w->b[pn - 1] = c;
	return apply_two(s, w, ka, a->n, kb, b->n);
}

/* The cheapest feasible place for x in route r with the client at place
 * gone (its two sides joined): the gap after place *at, its extra
 * distance; -1 when none. */
static int64_t best_place_without(const ds_vrp *v, const struct route *r, int x, int gone, int *at)
{
	const struct ds_vrp_vehicle *h = &v->vehicle[r->vehicle];
	int64_t best = -1;
	for (int p = 0; p <= r->n; p++) {
		if (p == gone)
			continue; /* the gap after the one gone: counted as its place */
		int from = p, to = p + 1;
		if (to == gone)
			to = gone + 1; /* the gone client's place */
		int x0 = r->c[from], y0 = r->c[to];
		int64_t add = dist(v, x0, x) + dist(v, x, y0) - dist(v, x0, y0);
		if (best >= 0 && add >= best)
			continue;
		if (!joins(v, h, r, from, &x, 1, r, to))
			continue;
		best = add;
		*at = p;
	}
	return best;
}

/* SWAP*: c into n's route and n into c's, each at its best place there. */
static bool swap_star(struct state *s, struct ls_buf *w, int c, int n)
{
	const ds_vrp *v = s->v;
	int ka = s->route_of[c], kb = s->route_of[n];
	struct route *a = &s->r[ka], *b = &s->r[kb];
	const struct ds_vrp_vehicle *ha = &v->vehicle[a->vehicle], *hb = &v->vehicle[b->vehicle];
	if (!skills_fit(v, a, n) || !skills_fit(v, b, c))
		return false;
	int64_t dd = v->node[n].demand - v->node[c].demand;
	if ((ha->capacity > 0 && a->load + dd > ha->capacity) ||
	    (hb->capacity > 0 && b->load - dd > hb->capacity))
		return false;
	int pc = s->place_of[c], pn = s->place_of[n];
	int64_t save = dist(v, a->c[pc - 1], c) + dist(v, c, a->c[pc + 1]) -
	               dist(v, a->c[pc - 1], a->c[pc + 1]) + dist(v, b->c[pn - 1], n) +
	               dist(v, n, b->c[pn + 1]) - dist(v, b->c[pn - 1], b->c[pn + 1]);
	int at_b = -1, at_a = -1;
	int64_t add_b = best_place_without(v, b, c, pn, &at_b);
	if (add_b < 0 || add_b >= save)
		return false;
	int64_t add_a = best_place_without(v, a, n, pc, &at_a);
	if (add_a < 0 || add_a + add_b >= save)
		return false;
	/* the new routes: each without its own, with the other's after the gap */
	int na = 0, nb = 0;
	for (int p = 0; p <= a->n; p++) {
		if (p >= 1 && p != pc)
			w->a[na++] = a->c[p];
		if (p == at_a)
			w->a[na++] = n;
	}
	for (int p = 0; p <= b->n; p++) {
		if (p >= 1 && p != pn)
			w->b[nb++] = b->c[p];
		if (p == at_b)
			w->b[nb++] = c;
	}
	return apply_two(s, w, ka, na, kb, nb);
}

/* 2-opt*: c's route goes on to n and n's route's tail; n's route before n
 * goes on to what followed c. Vehicles alike in end, shift's end and
 * break only, so that each tail's latest starts still hold. */
static bool two_opt_star(struct state *s, struct ls_buf *w, int c, int n)
{
	const ds_vrp *v = s->v;
	int ka = s->route_of[c], kb = s->route_of[n];
	struct route *a = &s->r[ka], *b = &s->r[kb];
	const struct ds_vrp_vehicle *ha = &v->vehicle[a->vehicle], *hb = &v->vehicle[b->vehicle];
	if (ha->end != hb->end || ha->close != hb->close || ha->break_open != hb->break_open ||
	    ha->break_close != hb->break_close || ha->break_length != hb->break_length)
		return false;
	int i = s->place_of[c], j = s->place_of[n];
	int an = a->c[i + 1], bp = b->c[j - 1];
	int64_t delta = dist(v, c, n) + dist(v, bp, an) - dist(v, c, an) - dist(v, bp, n);
	if (delta >= 0)
		return false;
	if (!joins(v, ha, a, i, NULL, 0, b, j) || !joins(v, hb, b, j - 1, NULL, 0, a, i + 1))
		return false;
	int64_t la = a->load_to[i] + (b->load - b->load_to[j - 1]);
	int64_t lb = b->load_to[j - 1] + (a->load - a->load_to[i]);
	if ((ha->capacity > 0 && la > ha->capacity) || (hb->capacity > 0 && lb > hb->capacity))
		return false;
	int na = 0, nb = 0;
	na += take(w->a, a, 1, i);
	na += take(w->a + na, b, j, b->n);
	nb += take(w->b, b, 1, j - 1);
	nb += take(w->b + nb, a, i + 1, a->n);
	return apply_two(s, w, ka, na, kb, nb);
}

static bool improve(struct state *s, struct ls_buf *w, int c, int m)
{
	bool same = s->route_of[m] == s->route_of[c];
	for (int len = 1; len <= OR_OPT_MAX; len++)
		if (or_opt(s, w, c, m, len))
			return true;
	if (same)
		return false;
	return swap(s, w, c, m) || two_opt_star(s, w, c, m) || swap_star(s, w, c, m);
}

static void local_search(struct search *q, struct state *s, struct ds_rng *g)
{
	const ds_vrp *v = s->v;
	const struct shared *sh = q->sh;
	struct ls_buf *w = &q->ls;
	int n = sh->nclients;
	for (int pass = 0; pass < LS_PASSES; pass++) {
		bool improved = false;
		int start = (int)below(g, n);
		for (int k = 0; k < n; k++) {
			int c = v->ndepots + (start + k) % n;
			if (s->route_of[c] < 0)
				continue;
			const int *near = &sh->near[(size_t)(c - v->ndepots) * NEIGHBOURS];
			for (int j = 0; j < LS_NEIGHBOURS; j++) {
				int m = near[j];
				if (m < 0 || s->route_of[m] < 0)
					continue;
				if (improve(s, w, c, m)) {
					improved = true;
					break;
				}
			}
		}
		if (!improved)
			break;
	}
}

static void *run_search(void *arg)
{
	struct search *q = arg;
	struct ds_rng g;
	ds_rng_seed(&g, q->seed);
	const ds_vrp *v = q->sh->v;
	double t0 = now_s();
	/* start: every client out, then put back as recreate would */
	q->nremoved = 0;
	for (int i = v->ndepots; i < v->nnodes; i++)
		q->removed[q->nremoved++] = i;
	recreate(q, &q->cur, &g, true);
	state_copy(&q->best, &q->cur);
	/* temperatures in the instance's units */
	double scale = (double)v->unit;
	double T0 = 100 * scale, Tf = 1 * scale, T = T0;
	for (q->iterations = 0;; q->iterations++) {
		if (q->o.iterations > 0 && q->iterations >= q->o.iterations)
			break;
		double frac;
		if (q->o.time_limit > 0) {
			if ((q->iterations & 63) == 0) {
				double el = now_s() - t0;
				if (el >= q->o.time_limit)
					break;
				frac = el / q->o.time_limit;
				T = T0 * pow(Tf / T0, frac);
			}
		} else {
			frac = (double)q->iterations / (double)q->o.iterations;
			T = T0 * pow(Tf / T0, frac);
		}
		state_copy(&q->trial, &q->cur);
		q->seed_client = -1;
		ruin(q, &q->trial, &g);
		add_absent(q, &q->trial);
		recreate(q, &q->trial, &g, false);
		if ((double)q->trial.cost <
		    (double)q->cur.cost - T * log(ds_rng_uniform(&g) + 1e-300)) {
			state_copy(&q->cur, &q->trial);
			if (q->cur.cost < q->best.cost) {
				local_search(q, &q->cur, &g);
				state_copy(&q->best, &q->cur);
			}
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- entry */

struct by_dist {
	int64_t d;
	int node;
};

static int by_dist_asc(const void *a, const void *b)
{
	const struct by_dist *x = a, *y = b;
	return x->d < y->d ? -1 : x->d > y->d ? 1 : x->node - y->node;
}

static ds_err shared_init(struct shared *sh, const ds_vrp *v, struct ds_diag *diag)
{
	memset(sh, 0, sizeof *sh);
	sh->v = v;
	sh->nclients = v->nnodes - v->ndepots;
	sh->near = ds_malloc((size_t)sh->nclients * NEIGHBOURS * sizeof *sh->near + 1);
	sh->prize = ds_calloc((size_t)v->nnodes, sizeof *sh->prize);
	struct by_dist *all = ds_malloc((size_t)sh->nclients * sizeof *all + 1);
	if (!sh->near || !sh->prize || !all) {
		ds_free(all);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	for (int i = v->ndepots; i < v->nnodes; i++)
		sh->prize[i] =
		        v->node[i].required || !v->prize_collecting ? MUST : v->node[i].prize;
	/* each client's nearest, by the distance there and back */
	for (int i = 0; i < sh->nclients; i++) {
		int m = 0, from = v->ndepots + i;
		for (int j = v->ndepots; j < v->nnodes; j++)
			if (j != from)
				all[m++] =
				        (struct by_dist){ dist(v, from, j) + dist(v, j, from), j };
		qsort(all, (size_t)m, sizeof *all, by_dist_asc);
		for (int k = 0; k < NEIGHBOURS; k++)
			sh->near[(size_t)i * NEIGHBOURS + k] = k < m ? all[k].node : -1;
	}
	ds_free(all);
	return DS_OK;
}

static bool search_init(struct search *q, const struct shared *sh)
{
	const ds_vrp *v = sh->v;
	q->sh = sh;
	q->removed = ds_malloc((size_t)v->nnodes * sizeof *q->removed);
	q->route_ruined = ds_calloc((size_t)v->nvehicles + 1, sizeof *q->route_ruined);
	size_t cl = (size_t)v->nnodes + 2;
	q->ls.a = ds_malloc(cl * sizeof(int));
	q->ls.b = ds_malloc(cl * sizeof(int));
	q->ls.ua = ds_malloc(cl * sizeof(int));
	q->ls.ub = ds_malloc(cl * sizeof(int));
	if (!q->ls.a || !q->ls.b || !q->ls.ua || !q->ls.ub)
		return false;
	if (!q->removed || !q->route_ruined || !state_init(&q->cur, v) ||
	    !state_init(&q->best, v) || !state_init(&q->trial, v))
		return false;
	/* the starting cost: every client out */
	int64_t out = 0;
	for (int i = v->ndepots; i < v->nnodes; i++)
		out += sh->prize[i];
	q->cur.cost = q->best.cost = q->trial.cost = out;
	return true;
}

static void search_free(struct search *q)
{
	state_free(&q->cur);
	state_free(&q->best);
	state_free(&q->trial);
	ds_free(q->removed);
	ds_free(q->route_ruined);
	ds_free(q->ls.a);
	ds_free(q->ls.b);
	ds_free(q->ls.ua);
	ds_free(q->ls.ub);
}

ds_err ds_vrp_solve(const ds_vrp *v, const struct ds_vrp_solve_opts *o, struct ds_vrp_solution *out,
                    struct ds_vrp_solve_stats *stats, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	memset(stats, 0, sizeof *stats);
	if (!(o->time_limit > 0) && o->iterations <= 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "a time limit or an iteration count is needed");
	int threads = o->threads < 1 ? 1 : o->threads > 64 ? 64 : o->threads;
	double t0 = now_s();
	struct shared sh;
	ds_err err = shared_init(&sh, v, diag);
	struct search *q = err ? NULL : ds_calloc((size_t)threads, sizeof *q);
	if (!err && !q)
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	for (int t = 0; !err && t < threads; t++) {
		q[t].o = *o;
		q[t].seed = o->seed * 0x9E3779B97F4A7C15ull + (uint64_t)t + 1;
		if (!search_init(&q[t], &sh))
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	pthread_t *tid = NULL;
	if (!err && threads > 1) {
		tid = ds_malloc((size_t)threads * sizeof *tid);
		if (!tid)
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	if (!err) {
		int started = 0;
		for (int t = 1; t < threads; t++)
			if (pthread_create(&tid[t], NULL, run_search, &q[t]) == 0)
				started = t;
			else
				break;
		run_search(&q[0]);
		for (int t = 1; t <= started; t++)
			pthread_join(tid[t], NULL);
		int best = 0;
		for (int t = 0; t < threads; t++) {
			stats->iterations += q[t].iterations;
			if (q[t].best.cost < q[best].best.cost)
				best = t;
		}
		stats->best_thread = best;
		/* the routes out */
		const struct state *b = &q[best].best;
		out->vehicle = ds_malloc(((size_t)b->nroutes + 1) * sizeof *out->vehicle);
		out->first = ds_malloc(((size_t)b->nroutes + 1) * sizeof *out->first);
		out->stop = ds_malloc((size_t)v->nnodes * sizeof *out->stop + 1);
		if (!out->vehicle || !out->first || !out->stop) {
			ds_vrp_solution_free(out);
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		} else {
			int m = 0;
			out->first[0] = 0;
			for (int k = 0; k < b->nroutes; k++) {
				if (b->r[k].n == 0)
					continue;
				out->vehicle[out->nroutes] = b->r[k].vehicle;
				for (int p = 1; p <= b->r[k].n; p++)
					out->stop[m++] = b->r[k].c[p];
				out->first[++out->nroutes] = m;
			}
			out->cost = b->cost;
		}
	}
	for (int t = 0; q && t < threads; t++)
		search_free(&q[t]);
	ds_free(q);
	ds_free(tid);
	ds_free(sh.near);
	ds_free(sh.prize);
	stats->seconds = now_s() - t0;
	return err;
}

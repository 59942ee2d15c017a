/*
 * The day's plan as an optimisation: at most one treatment per account,
 * each resource within its capacity, the most value (docs/strategy.md,
 * "Optimiser").
 *
 * The resources couple the accounts only through their capacities, so
 * pricing them decouples the accounts: at prices lambda each account takes
 * its option of largest v - lambda_r * u (or nothing), and
 *
 *     L(lambda) = sum_i max(0, max_o (v_o - lambda_r(o) u_o)) + sum_r lambda_r C_r
 *
 * bounds every plan, fractional ones included; its minimum is the LP
 * relaxation's optimum (the per-account choice is already integral). The
 * prices are searched resource by resource: with the others fixed, the
 * best price of one resource is where its demand, a step function falling
 * with the price, meets the capacity, found exactly by a weighted selection
 * over the points where accounts change their minds. A plan is then built
 * greedily in order of price-adjusted value, and improved with what
 * capacity is left.
 */
#include "doorstep/strategy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROUNDS 60
#define TOLERANCE  1e-7 /* relative change of the bound that ends the search */

struct index {
	long *first;  /* naccounts + 1: account i's options are first[i] .. first[i + 1] */
	long *rstart; /* nresources + 1 */
	long *rlist;  /* options by resource, in account order within each */
};

static void index_free(struct index *x)
{
	ds_free(x->first);
	ds_free(x->rstart);
	ds_free(x->rlist);
}

static ds_err index_build(const struct ds_opt_problem *p, struct index *x, struct ds_diag *diag)
{
	memset(x, 0, sizeof *x);
	x->first = ds_calloc((size_t)p->naccounts + 1, sizeof *x->first);
	x->rstart = ds_calloc((size_t)p->nresources + 1, sizeof *x->rstart);
	x->rlist = ds_malloc((size_t)p->nopt * sizeof *x->rlist + 1);
	if (!x->first || !x->rstart || !x->rlist) {
		index_free(x);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	for (long o = 0; o < p->nopt; o++) {
		const struct ds_opt_option *op = &p->opt[o];
		const char *bad = NULL;
		if (op->account >= (uint64_t)p->naccounts)
			bad = "its account is out of range";
		else if (o > 0 && op->account < p->opt[o - 1].account)
			bad = "options must come in account order";
		else if (op->resource >= (unsigned)p->nresources)
			bad = "its resource is out of range";
		else if (!(op->use > 0) || !isfinite(op->use))
			bad = "its use of the resource must be positive";
		else if (!isfinite(op->value))
			bad = "its value is not a number";
		if (bad) {
			index_free(x);
			return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "option %ld: %s", o,
			                   bad);
		}
		x->first[op->account + 1]++;
		x->rstart[op->resource + 1]++;
	}
	for (int r = 0; r < p->nresources; r++) {
		if (!(p->capacity[r] >= 0) || !isfinite(p->capacity[r])) {
			index_free(x);
			return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
			                   "resource %d: the capacity must be a number >= 0", r);
		}
	}
	for (long i = 0; i < p->naccounts; i++)
		x->first[i + 1] += x->first[i];
	for (int r = 0; r < p->nresources; r++)
		x->rstart[r + 1] += x->rstart[r];
	long *fill = ds_malloc((size_t)p->nresources * sizeof *fill + 1);
	if (!fill) {
		index_free(x);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	memcpy(fill, x->rstart, (size_t)p->nresources * sizeof *fill);
	for (long o = 0; o < p->nopt; o++)
		x->rlist[fill[p->opt[o].resource]++] = o;
	ds_free(fill);
	return DS_OK;
}

/* --------------------------------------------------------------- prices */

static double reduced(const struct ds_opt_option *o, const double *price)
{
	return o->value - price[o->resource] * o->use;
}

/* L(price): every account's best reduced value, plus what the prices ask. */
static double dual(const struct ds_opt_problem *p, const struct index *x, const double *price)
{
	double sum = 0;
	for (long i = 0; i < p->naccounts; i++) {
		double best = 0;
		for (long o = x->first[i]; o < x->first[i + 1]; o++) {
			double v = reduced(&p->opt[o], price);
			if (v > best)
				best = v;
		}
		sum += best;
	}
	for (int r = 0; r < p->nresources; r++)
		if (p->capacity[r] > 0) /* the others' price is infinite */
			sum += price[r] * p->capacity[r];
	return sum;
}

/* A price at which an account's use of the resource drops by `drop`. */
struct step {
	double at, drop;
};

/*
 * The least price at which the demand, sum of the drops of the steps above
 * the price, is within cap: weighted quickselect, expected linear time.
 */
static double price_for(struct step *s, long n, double cap)
{
	double answer = 0;
	unsigned seed = 0x9e3779b9u;
	while (n > 0) {
		seed = seed * 1103515245u + 12345u;
		double pivot = s[(seed >> 8) % (unsigned long)n].at;
		/* three-way partition: above | equal | below */
		long lt = 0, i = 0, gt = n;
		double above = 0, equal = 0;
		while (i < gt) {
			if (s[i].at > pivot) {
				above += s[i].drop;
				struct step t = s[lt];
				s[lt++] = s[i];
				s[i++] = t;
			} else if (s[i].at < pivot) {
				struct step t = s[--gt];
				s[gt] = s[i];
				s[i] = t;
			} else {
				equal += s[i].drop;
				i++;
			}
		}
		if (above > cap) {
			n = lt; /* the answer is above the pivot */
		} else if (above + equal > cap) {
			return pivot;
		} else {
			cap -= above + equal;
			memmove(s, s + gt, (size_t)(n - gt) * sizeof *s);
			n -= gt;
			answer = 0;
		}
	}
	return answer;
}

/*
 * The steps of one account's demand for resource r as its price rises from
 * 0: the options it has there (k of them at opt[idx[0..k)]) against `alt`,
 * the best it can do elsewhere. Its choice follows the upper envelope of
 * the lines v - lambda u; each change to a smaller use is a step.
 */
static long account_steps(const struct ds_opt_problem *p, const long *idx, int k, double alt,
                          struct step *out)
{
	long n = 0;
	double lambda = 0;
	int cur = -1;
	double best = alt;
	for (int j = 0; j < k; j++) {
		const struct ds_opt_option *o = &p->opt[idx[j]];
		if (o->value > best ||
		    (o->value == best && cur >= 0 && o->use < p->opt[idx[cur]].use)) {
			best = o->value;
			cur = j;
		}
	}
	while (cur >= 0) {
		const struct ds_opt_option *c = &p->opt[idx[cur]];
		/* where it gives way: to `alt`, or to an option using less */
		double next = (c->value - alt) / c->use;
		int to = -1;
		for (int j = 0; j < k; j++) {
			const struct ds_opt_option *o = &p->opt[idx[j]];
			if (o->use >= c->use)
				continue;
			double at = (c->value - o->value) / (c->use - o->use);
			if (at > lambda && at < next && o->value - at * o->use > alt - 1e-12) {
				next = at;
				to = j;
			}
		}
		double left = to >= 0 ? p->opt[idx[to]].use : 0;
		if (next > 0)
			out[n++] = (struct step){ next, c->use - left };
		lambda = next;
		cur = to;
	}
	return n;
}

struct search {
	const struct ds_opt_problem *p;
	const struct index *x;
	struct step *steps;
	long nsteps_cap;
	long *idx;
	long idx_cap;
};

/* The best price of resource r with the others fixed. */
static ds_err set_price(struct search *s, int r, double *price, struct ds_diag *diag)
{
	const struct ds_opt_problem *p = s->p;
	const struct index *x = s->x;
	long n = 0;
	for (long k = x->rstart[r]; k < x->rstart[r + 1];) {
		uint32_t acct = p->opt[x->rlist[k]].account;
		long k0 = k;
		while (k < x->rstart[r + 1] && p->opt[x->rlist[k]].account == acct)
			k++;
		double alt = 0;
		for (long o = x->first[acct]; o < x->first[acct + 1]; o++)
			if (p->opt[o].resource != (uint32_t)r) {
				double v = reduced(&p->opt[o], price);
				if (v > alt)
					alt = v;
			}
		long need = n + (k - k0);
		if (need > s->nsteps_cap) {
			long cap = s->nsteps_cap ? s->nsteps_cap : 1024;
			while (cap < need)
				cap *= 2;
			struct step *st = ds_realloc(s->steps, (size_t)cap * sizeof *st);
			if (!st)
				return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			s->steps = st;
			s->nsteps_cap = cap;
		}
		n += account_steps(p, x->rlist + k0, (int)(k - k0), alt, s->steps + n);
	}
	price[r] = price_for(s->steps, n, p->capacity[r]);
	return DS_OK;
}

/* ----------------------------------------------------------------- plan */

struct cand {
	double key;
	long i;
};

static int by_key(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return (x->i > y->i) - (x->i < y->i);
}

/* Account i's option of largest price-adjusted value that fits what is
 * left (-1: none fits or none is worth anything). */
static long best_fit(const struct ds_opt_problem *p, const struct index *x, const double *price,
                     const double *left, long i)
{
	long best = -1;
	double bv = -INFINITY;
	for (long o = x->first[i]; o < x->first[i + 1]; o++) {
		const struct ds_opt_option *op = &p->opt[o];
		double v = reduced(op, price);
		if (op->value > 0 && left[op->resource] >= op->use && v > bv) {
			bv = v;
			best = o;
		}
	}
	return best;
}

/*
 * Accounts in order of regret, what they lose at these prices if they do
 * not get their best option (against their second best, or nothing), each
 * taking its best option that still fits: the accounts that can do without
 * a scarce resource leave it to those that cannot. Then each account moves
 * to a more valuable option where room is left.
 */
static ds_err build_plan(const struct ds_opt_problem *p, const struct index *x, const double *price,
                         long *choice, double *value, struct ds_diag *diag)
{
	double *left = ds_malloc((size_t)p->nresources * sizeof *left + 1);
	struct cand *c = ds_malloc((size_t)p->naccounts * sizeof *c + 1);
	if (!left || !c) {
		ds_free(left);
		ds_free(c);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	memcpy(left, p->capacity, (size_t)p->nresources * sizeof *left);
	long n = 0;
	for (long i = 0; i < p->naccounts; i++) {
		choice[i] = -1;
		double b1 = -INFINITY, b2 = 0; /* nothing is always there, worth 0 */
		for (long o = x->first[i]; o < x->first[i + 1]; o++) {
			if (p->opt[o].value <= 0)
				continue;
			double v = reduced(&p->opt[o], price);
			if (v > b1) {
				b2 = b1 > b2 ? b1 : b2;
				b1 = v;
			} else if (v > b2) {
				b2 = v;
			}
		}
		if (b1 > -INFINITY)
			c[n++] = (struct cand){ b1 - b2, i };
	}
	qsort(c, (size_t)n, sizeof *c, by_key);
	for (long k = 0; k < n; k++) {
		long o = best_fit(p, x, price, left, c[k].i);
		if (o >= 0 && reduced(&p->opt[o], price) >= 0) {
			choice[c[k].i] = o;
			left[p->opt[o].resource] -= p->opt[o].use;
		}
	}
	/* more valuable options where room is left: the most gain for the
	 * room it takes first; a move frees room, so twice */
	for (int pass = 0; pass < 2; pass++) {
		long m = 0;
		struct cand *g = (struct cand *)c; /* reused: n <= naccounts */
		long *to = ds_malloc((size_t)p->naccounts * sizeof *to + 1);
		if (!to) {
			ds_free(left);
			ds_free(c);
			return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		}
		for (long i = 0; i < p->naccounts; i++) {
			long cur = choice[i], best = -1;
			double have = cur >= 0 ? p->opt[cur].value : 0, density = 0;
			for (long o = x->first[i]; o < x->first[i + 1]; o++) {
				const struct ds_opt_option *op = &p->opt[o];
				double extra =
				        op->use - (cur >= 0 && p->opt[cur].resource == op->resource
				                           ? p->opt[cur].use
				                           : 0);
				double gain = op->value - have;
				if (o == cur || gain <= 0 || left[op->resource] < extra)
					continue;
				double dn = extra > 0 ? gain / extra : INFINITY;
				if (dn > density) {
					density = dn;
					best = o;
				}
			}
			to[i] = best;
			if (best >= 0)
				g[m++] = (struct cand){ density, i };
		}
		qsort(g, (size_t)m, sizeof *g, by_key);
		for (long k = 0; k < m; k++) {
			long i = g[k].i, cur = choice[i], o = to[i];
			double extra = p->opt[o].use -
			               (cur >= 0 && p->opt[cur].resource == p->opt[o].resource
			                        ? p->opt[cur].use
			                        : 0);
			if (left[p->opt[o].resource] < extra)
				continue;
			if (cur >= 0)
				left[p->opt[cur].resource] += p->opt[cur].use;
			left[p->opt[o].resource] -= p->opt[o].use;
			choice[i] = o;
		}
		ds_free(to);
	}
	double v = 0;
	for (long i = 0; i < p->naccounts; i++)
		if (choice[i] >= 0)
			v += p->opt[choice[i]].value;
	*value = v;
	ds_free(left);
	ds_free(c);
	return DS_OK;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

ds_err ds_optimise(const struct ds_opt_problem *p, long *choice, double *price_out,
                   struct ds_opt_result *r, struct ds_diag *diag)
{
	memset(r, 0, sizeof *r);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct index x;
	ds_err err = index_build(p, &x, diag);
	if (err)
		return err;
	double *price = ds_calloc((size_t)p->nresources + 1, sizeof *price);
	double *best = ds_calloc((size_t)p->nresources + 1, sizeof *best);
	struct search s = { .p = p, .x = &x };
	if (!price || !best) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto out;
	}
	/* a resource with no capacity is priced out of reach at once */
	for (int k = 0; k < p->nresources; k++)
		if (!(p->capacity[k] > 0))
			price[k] = INFINITY;
	double bound = dual(p, &x, price);
	memcpy(best, price, (size_t)p->nresources * sizeof *best);
	for (int round = 0; round < MAX_ROUNDS && !err; round++) {
		for (int k = 0; k < p->nresources && !err; k++)
			if (p->capacity[k] > 0)
				err = set_price(&s, k, price, diag);
		if (err)
			break;
		double l = dual(p, &x, price);
		r->rounds = round + 1;
		bool better = l < bound;
		double before = bound;
		if (better) {
			bound = l;
			memcpy(best, price, (size_t)p->nresources * sizeof *best);
		}
		if (!better || before - l <= TOLERANCE * fabs(before))
			break;
	}
	if (!err)
		err = build_plan(p, &x, best, choice, &r->value, diag);
	if (!err) {
		r->bound = bound;
		/* a plan at its bound can exceed it by rounding: no negative gap */
		r->gap = bound > 0 && r->value < bound ? (bound - r->value) / bound : 0;
		if (price_out)
			memcpy(price_out, best, (size_t)p->nresources * sizeof *best);
	}
out:
	r->seconds = seconds_since(&t0);
	index_free(&x);
	ds_free(price);
	ds_free(best);
	ds_free(s.steps);
	ds_free(s.idx);
	return err;
}

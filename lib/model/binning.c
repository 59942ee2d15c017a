/*
 * Binning for the WOE scorecard: one feature's values grouped into bins
 * whose weight of evidence (WOE) is monotone, each bin holding a minimum
 * share of the rows, with the information value (IV) as large as those
 * constraints allow.
 *
 * The event is y = 1. With K bins in all (the missing bin included), e_b and
 * n_b a bin's events and non-events, and E and N the totals over every
 * counted row (missing ones included), each count gets 0.5 and each total
 * the K halves it thereby gained, so that the shares still sum to one:
 *
 *     share_non_b = (n_b + 0.5) / (N + 0.5 K)
 *     share_ev_b  = (e_b + 0.5) / (E + 0.5 K)
 *     WOE_b       = ln(share_non_b / share_ev_b)
 *     IV          = sum over b of (share_non_b - share_ev_b) * WOE_b
 *
 * The smoothing keeps a pure bin (no events, or no non-events) finite. The
 * totals depend on K, but only through a constant added to every bin's WOE,
 * so the order of the bins' WOE, which is all monotonicity looks at, is that
 * of (n_b + 0.5) / (e_b + 0.5) whatever K is.
 *
 * Bins are built from fine classes (quantile classes of a numeric feature,
 * single categories of a categorical one, in WOE order) by an exact dynamic
 * programme over contiguous groups: state (last class, number of groups,
 * start of the last group), because the monotone constraint only ties a
 * group to the one before it. It runs once per bin count, since the
 * smoothed totals depend on it.
 */
#include "doorstep/model.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MIN_SHARE 0.05
#define DEFAULT_MAX_BINS  8
#define DEFAULT_PREBINS   20
/* The programme is O(classes^3 * bins^2); beyond 64 fine classes (the most
 * categories a feature may have) it would grow with no gain in fit. */
#define MAX_FINE DS_MODEL_MAX_CATEGORIES
/* min_share * rows is rounded (0.1 * 30 is 3.0000000000000004 in double);
 * counts are whole, so a tolerance far below one admits exactly the bins a
 * reader would expect. */
#define SHARE_SLACK 1e-6

struct fine {
	long ev, non;
	float lo;      /* numeric: the smallest value in the class */
	uint64_t cats; /* categorical: the class's category */
};

struct obs {
	float v;
	bool ev;
};

/* What the dynamic programme needs about the rows outside the fine classes. */
struct totals {
	long ev, non; /* every counted row */
	bool missing; /* a missing bin exists */
	long miss_ev, miss_non;
	double min_rows; /* a regular bin needs at least this many rows */
};

struct plan {
	int ng;                 /* groups of fine classes */
	int start[DS_MAX_BINS]; /* first fine class of each group */
	double iv;
};

/* Labels are 0/1 but stored as float; anything above one half is an event. */
static bool is_event(float y)
{
	return y > 0.5f;
}

static double smoothed_woe(long e, long n, long tot_e, long tot_n, int k, double *iv_term)
{
	double sn = ((double)n + 0.5) / ((double)tot_n + 0.5 * k);
	double se = ((double)e + 0.5) / ((double)tot_e + 0.5 * k);
	double woe = log(sn / se);
	if (iv_term)
		*iv_term = (sn - se) * woe;
	return woe;
}

/*
 * The sign of WOE(a) - WOE(b), from the smoothed ratios (2n + 1) / (2e + 1)
 * compared by cross-multiplication: exact in integers, so "strictly
 * monotone" never hinges on rounding. Counts are capped by
 * DS_MODEL_MAX_ROWS, so the products fit in 64 bits.
 */
static int woe_order(long ea, long na, long eb, long nb)
{
	long long l = (2LL * na + 1) * (2LL * eb + 1);
	long long r = (2LL * nb + 1) * (2LL * ea + 1);
	return (l > r) - (l < r);
}

static int by_value(const void *a, const void *b)
{
	float x = ((const struct obs *)a)->v, y = ((const struct obs *)b)->v;
	return (x > y) - (x < y);
}

/* Categories by WOE, then by index so that ties do not depend on qsort. */
static int by_woe(const void *a, const void *b)
{
	const struct fine *x = a, *y = b;
	int c = woe_order(x->ev, x->non, y->ev, y->non);
	if (c)
		return c;
	return (x->cats > y->cats) - (x->cats < y->cats);
}

/* ------------------------------------------------------ dynamic programme */

struct work {
	int n, maxg;
	long *pe, *pn; /* prefix sums of events and non-events over classes */
	double *val;   /* n x n: IV term of the group [s, t] */
	double *best;  /* [t][g][s]: best IV of classes 0..t in g groups, last [s, t] */
	int *prev;     /* [t][g][s]: start of the group before, for backtracking */
};

static size_t cell(const struct work *w, int t, int g, int s)
{
	return ((size_t)t * (size_t)(w->maxg + 1) + (size_t)g) * (size_t)w->n + (size_t)s;
}

static long rows_in(const struct work *w, int s, int t)
{
	return (w->pe[t + 1] - w->pe[s]) + (w->pn[t + 1] - w->pn[s]);
}

/* Does group [s2, t2] follow group [s1, s2 - 1] in the wanted direction
 * (+1: WOE strictly increasing along the classes, -1: strictly
 * decreasing)? */
static bool follows(const struct work *w, int want, int s1, int s2, int t2)
{
	int c = woe_order(w->pe[t2 + 1] - w->pe[s2], w->pn[t2 + 1] - w->pn[s2],
	                  w->pe[s2] - w->pe[s1], w->pn[s2] - w->pn[s1]);
	return c == want;
}

/*
 * The partition of the fine classes into at most w->maxg contiguous groups,
 * each of at least t->min_rows rows, WOE strictly monotone in direction
 * `want`, with the largest IV (the missing bin's term included, as it
 * depends on the bin count). Fewer groups win ties. False when no
 * partition qualifies.
 */
static bool best_partition(struct work *w, const struct totals *t, int want, struct plan *out)
{
	int n = w->n;
	bool found = false;
	out->iv = -INFINITY;
	for (int G = 1; G <= w->maxg && G <= n; G++) {
		int k = G + (t->missing ? 1 : 0);
		for (int s = 0; s < n; s++)
			for (int e = s; e < n; e++)
				smoothed_woe(w->pe[e + 1] - w->pe[s], w->pn[e + 1] - w->pn[s],
				             t->ev, t->non, k,
				             &w->val[(size_t)s * (size_t)n + (size_t)e]);
		for (int e = 0; e < n; e++)
			for (int g = 1; g <= G; g++)
				for (int s = 0; s <= e; s++) {
					w->best[cell(w, e, g, s)] = -INFINITY;
					w->prev[cell(w, e, g, s)] = -1;
				}
		for (int e = 0; e < n; e++) {
			if ((double)rows_in(w, 0, e) + SHARE_SLACK >= t->min_rows)
				w->best[cell(w, e, 1, 0)] = w->val[e];
			for (int g = 2; g <= G && g <= e + 1; g++)
				for (int s = g - 1; s <= e; s++) {
					if ((double)rows_in(w, s, e) + SHARE_SLACK < t->min_rows)
						continue;
					double v = w->val[(size_t)s * (size_t)n + (size_t)e];
					size_t here = cell(w, e, g, s);
					for (int p = g - 2; p < s; p++) {
						double before = w->best[cell(w, s - 1, g - 1, p)];
						if (before == -INFINITY ||
						    !follows(w, want, p, s, e))
							continue;
						if (before + v > w->best[here]) {
							w->best[here] = before + v;
							w->prev[here] = p;
						}
					}
				}
		}
		int last = -1;
		double iv = -INFINITY;
		for (int s = 0; s < n; s++)
			if (w->best[cell(w, n - 1, G, s)] > iv) {
				iv = w->best[cell(w, n - 1, G, s)];
				last = s;
			}
		if (last < 0)
			continue;
		if (t->missing) {
			double term;
			smoothed_woe(t->miss_ev, t->miss_non, t->ev, t->non, k, &term);
			iv += term;
		}
		if (iv > out->iv) {
			found = true;
			out->iv = iv;
			out->ng = G;
			int e = n - 1, s = last;
			for (int g = G; g >= 1; g--) {
				out->start[g - 1] = s;
				int p = w->prev[cell(w, e, g, s)];
				e = s - 1;
				s = p;
			}
		}
	}
	return found;
}

/* --------------------------------------------------------------- fitting */

static void fine_numeric(struct obs *ob, long m, int prebins, struct fine *fc, int *nfc)
{
	qsort(ob, (size_t)m, sizeof *ob, by_value);
	long distinct = 0;
	for (long i = 0; i < m; i++)
		distinct += i == 0 || ob[i].v != ob[i - 1].v;
	/* Quantile cuts fall after the distinct value at which the cumulative
	 * count first reaches j/prebins of the rows (j = 1..prebins-1); cuts
	 * landing on the same value merge, so equal values never straddle two
	 * classes and there are at most prebins classes. */
	int n = 0;
	long long j = 1;
	for (long i = 0; i < m; i++) {
		bool open = i == 0;
		if (i > 0 && ob[i].v != ob[i - 1].v) {
			if (distinct <= prebins) {
				open = true;
			} else {
				/* i rows lie below this value */
				open = (long long)i * prebins >= j * m;
				while (j < prebins && (long long)i * prebins >= j * m)
					j++;
			}
		}
		if (open)
			fc[n++] = (struct fine){ 0, 0, ob[i].v, 0 };
		if (ob[i].ev)
			fc[n - 1].ev++;
		else
			fc[n - 1].non++;
	}
	*nfc = n;
}

static void fill_bins(struct ds_binning *out, const struct fine *fc, int n, const struct plan *pl,
                      const struct totals *t, bool categorical)
{
	int k = pl->ng + (t->missing ? 1 : 0);
	out->nbins = 0;
	out->iv = 0;
	for (int g = 0; g < pl->ng; g++) {
		int s = pl->start[g], e = g + 1 < pl->ng ? pl->start[g + 1] : n;
		struct ds_bin *b = &out->bins[out->nbins++];
		memset(b, 0, sizeof *b);
		for (int c = s; c < e; c++) {
			b->n_event += fc[c].ev;
			b->n_non += fc[c].non;
			b->cats |= fc[c].cats;
		}
		/* Categorical bins span every value: their categories decide. A
		 * numeric cut is the lowest value of the next group, exact in
		 * float, where a midpoint could round onto either neighbour;
		 * unseen values between two groups thus go to the lower one. */
		b->lo = categorical || g == 0 ? -INFINITY : fc[s].lo;
		b->hi = categorical || g + 1 == pl->ng ? INFINITY : fc[e].lo;
	}
	if (t->missing) {
		struct ds_bin *b = &out->bins[out->nbins++];
		memset(b, 0, sizeof *b);
		b->missing = true;
		b->lo = -INFINITY;
		b->hi = INFINITY;
		b->n_event = t->miss_ev;
		b->n_non = t->miss_non;
	}
	for (int i = 0; i < out->nbins; i++) {
		double term;
		struct ds_bin *b = &out->bins[i];
		b->woe = smoothed_woe(b->n_event, b->n_non, t->ev, t->non, k, &term);
		out->iv += term;
	}
}

static ds_err check_opts(const struct ds_binning_opts *o, const char *name, double *min_share,
                         int *max_bins, int *prebins, struct ds_diag *diag)
{
	*min_share = o && o->min_share != 0 ? o->min_share : DEFAULT_MIN_SHARE;
	*max_bins = o && o->max_bins ? o->max_bins : DEFAULT_MAX_BINS;
	*prebins = o && o->prebins ? o->prebins : DEFAULT_PREBINS;
	if (!(*min_share >= 0 && *min_share <= 1) || *max_bins < 0 || *prebins < 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, name,
		                   "binning options out of range: min_share %g, max_bins %d, "
		                   "prebins %d",
		                   *min_share, *max_bins, *prebins);
	if (*max_bins > DS_MAX_BINS)
		*max_bins = DS_MAX_BINS;
	if (*prebins > MAX_FINE)
		*prebins = MAX_FINE;
	return DS_OK;
}

ds_err ds_binning_fit(const ds_dataset *d, const long *rows, long nrows, int feature,
                      const struct ds_binning_opts *o, struct ds_binning *out, struct ds_diag *diag)
{
	if (!out)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "binning: no result to fill");
	memset(out, 0, sizeof *out);
	out->feature = feature;
	if (!d)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "binning: no dataset");
	if (feature < 0 || feature >= d->nfeat) {
		/* no name to give: the field says which index was asked for */
		char what[32];
		snprintf(what, sizeof what, "feature %d", feature);
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, what,
		                   "no such feature: the dataset has %d", d->nfeat);
	}
	const struct ds_feature *ft = &d->feat[feature];
	if (!d->y)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, ft->name,
		                   "the dataset is unlabelled: binning needs the target");
	double min_share;
	int max_bins, prebins;
	ds_err err = check_opts(o, ft->name, &min_share, &max_bins, &prebins, diag);
	if (err)
		return err;
	long n = rows ? nrows : d->nrows;
	if (n < 0 || n > DS_MODEL_MAX_ROWS)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, ft->name,
		                   "%ld rows to bin: out of range", n);
	int ncat = ft->ncat < DS_MODEL_MAX_CATEGORIES ? ft->ncat : DS_MODEL_MAX_CATEGORIES;

	struct totals t = { 0 };
	struct obs *ob = NULL;
	struct fine fc[MAX_FINE];
	long m = 0;
	if (!ft->categorical) {
		ob = ds_malloc((size_t)n * sizeof *ob + 1);
		if (!ob)
			return ds_diag_set(diag, DS_ENOMEM, NULL, 0, ft->name, "out of memory");
	} else {
		for (int c = 0; c < MAX_FINE; c++)
			fc[c] = (struct fine){ 0, 0, 0, (uint64_t)1 << c };
	}
	for (long r = 0; r < n; r++) {
		long row = rows ? rows[r] : r;
		if (row < 0 || row >= d->nrows) {
			err = ds_diag_set(diag, DS_EINVAL, NULL, 0, ft->name,
			                  "row %ld is not in the dataset (%ld rows)", row,
			                  d->nrows);
			goto done;
		}
		if (isnan(d->y[row]))
			continue;
		bool ev = is_event(d->y[row]);
		float v = ds_dataset_at(d, row, feature);
		t.ev += ev;
		t.non += !ev;
		if (isnan(v)) {
			t.missing = true;
			t.miss_ev += ev;
			t.miss_non += !ev;
		} else if (!ft->categorical) {
			ob[m++] = (struct obs){ v, ev };
		} else {
			if (!(v >= 0 && v < (float)ncat && v == floorf(v))) {
				err = ds_diag_set(
				        diag, DS_EINVAL, NULL, 0, ft->name,
				        "row %ld: category %g is not one of the %d levels", row,
				        (double)v, ncat);
				goto done;
			}
			if (ev)
				fc[(int)v].ev++;
			else
				fc[(int)v].non++;
		}
	}
	if (t.ev + t.non == 0) {
		err = ds_diag_set(diag, DS_EINVAL, NULL, 0, ft->name, "no labelled rows to bin");
		goto done;
	}
	t.min_rows = min_share * (double)(t.ev + t.non);

	int nfc = 0;
	if (!ft->categorical) {
		fine_numeric(ob, m, prebins, fc, &nfc);
	} else {
		/* unseen categories drop out: ds_binning_find sends them to the
		 * most neutral bin */
		for (int c = 0; c < ncat; c++)
			if (fc[c].ev + fc[c].non)
				fc[nfc++] = fc[c];
		qsort(fc, (size_t)nfc, sizeof *fc, by_woe);
	}

	struct plan pl = { .ng = nfc ? 1 : 0, .start = { 0 }, .iv = -INFINITY };
	if (nfc > 1 && max_bins > 1) {
		struct work w = { .n = nfc, .maxg = max_bins };
		size_t cells = (size_t)nfc * (size_t)(max_bins + 1) * (size_t)nfc;
		w.pe = ds_malloc((size_t)(nfc + 1) * sizeof *w.pe);
		w.pn = ds_malloc((size_t)(nfc + 1) * sizeof *w.pn);
		w.val = ds_malloc((size_t)nfc * (size_t)nfc * sizeof *w.val);
		w.best = ds_malloc(cells * sizeof *w.best);
		w.prev = ds_malloc(cells * sizeof *w.prev);
		if (w.pe && w.pn && w.val && w.best && w.prev) {
			w.pe[0] = w.pn[0] = 0;
			for (int c = 0; c < nfc; c++) {
				w.pe[c + 1] = w.pe[c] + fc[c].ev;
				w.pn[c + 1] = w.pn[c] + fc[c].non;
			}
			struct plan p;
			if (ft->categorical) {
				/* classes are in increasing WOE order already */
				if (best_partition(&w, &t, +1, &p))
					pl = p;
			} else {
				/* monotone +1 (the event likelier as the value grows)
				 * is WOE falling along the values */
				int dirs[2] = { -1, +1 }, nd = 2;
				if (ft->monotone) {
					dirs[0] = ft->monotone > 0 ? -1 : +1;
					nd = 1;
				}
				for (int i = 0; i < nd; i++)
					if (best_partition(&w, &t, dirs[i], &p) && p.iv > pl.iv)
						pl = p;
			}
		} else {
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, ft->name, "out of memory");
		}
		ds_free(w.pe);
		ds_free(w.pn);
		ds_free(w.val);
		ds_free(w.best);
		ds_free(w.prev);
		if (err)
			goto done;
	}
	/* no qualifying partition: one bin for every value (pl.ng stays 1) */
	fill_bins(out, fc, nfc, &pl, &t, ft->categorical);
done:
	ds_free(ob);
	if (err) {
		memset(out, 0, sizeof *out);
		out->feature = feature;
	}
	return err;
}

/* ---------------------------------------------------------------- lookup */

/* The regular bin with the WOE nearest 0 (the first on ties): the least
 * committal answer for a value training never saw. The missing bin only
 * when there is no other. */
static int most_neutral(const struct ds_binning *b, int n)
{
	int best = -1;
	for (int i = 0; i < n; i++)
		if (!b->bins[i].missing &&
		    (best < 0 || fabs(b->bins[i].woe) < fabs(b->bins[best].woe)))
			best = i;
	return best >= 0 ? best : 0;
}

int ds_binning_find(const struct ds_binning *b, float value)
{
	/* an empty binning has no bin to offer; 0 keeps callers that index
	 * bins[] in bounds */
	if (!b || b->nbins <= 0)
		return 0;
	int n = b->nbins < DS_MAX_BINS + 1 ? b->nbins : DS_MAX_BINS + 1;
	bool categorical = false;
	for (int i = 0; i < n; i++) {
		if (b->bins[i].missing && isnan(value))
			return i;
		categorical |= !b->bins[i].missing && b->bins[i].cats;
	}
	if (isnan(value))
		return most_neutral(b, n);
	if (categorical) {
		if (value >= 0 && value < DS_MODEL_MAX_CATEGORIES && value == floorf(value)) {
			uint64_t bit = (uint64_t)1 << (int)value;
			for (int i = 0; i < n; i++)
				if (!b->bins[i].missing && (b->bins[i].cats & bit))
					return i;
		}
		return most_neutral(b, n);
	}
	/* bins are contiguous and in order, so the first whose upper bound
	 * lies above the value holds it; +INF belongs to the last */
	int last = -1;
	for (int i = 0; i < n; i++) {
		if (b->bins[i].missing)
			continue;
		if (value < b->bins[i].hi)
			return i;
		last = i;
	}
	return last >= 0 ? last : 0;
}

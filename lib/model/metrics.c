/*
 * Validation metrics over labelled predictions: discrimination (AUC, KS),
 * accuracy (Brier), calibration by prediction bins, and the stability of a
 * score's distribution between two populations (PSI).
 *
 * Rows whose label or prediction is NAN carry no information about the
 * model and are left out of every metric (values that are NAN likewise in
 * PSI); a NAN would also break the total order qsort needs.
 */
#include "doorstep/model.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Shares below this are floored so that an empty bin keeps ln(a/e) finite. */
#define PSI_MIN_SHARE 1e-4

struct scored {
	double p;
	long row; /* position in the caller's arrays: breaks ties in p */
	bool event;
};

/* Labels are 0/1 but stored as float; anything above one half is an event. */
static bool is_event(float y)
{
	return y > 0.5f;
}

static int by_p_then_row(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;
	if (x->p != y->p)
		return (x->p > y->p) - (x->p < y->p);
	/* Ties keep the input order, so the result does not depend on qsort. */
	return (x->row > y->row) - (x->row < y->row);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/*
 * The usable rows sorted by prediction, ascending. *m is their number and
 * *events the events among them. NULL when there are none or memory runs
 * out; either way no metric can be computed.
 */
static struct scored *sort_scored(const float *y, const double *p, long n, long *m, long *events)
{
	*m = 0;
	*events = 0;
	if (n <= 0 || !y || !p || (size_t)n > SIZE_MAX / sizeof(struct scored))
		return NULL;
	struct scored *s = ds_malloc((size_t)n * sizeof *s);
	if (!s)
		return NULL;
	for (long i = 0; i < n; i++) {
		if (isnan(y[i]) || isnan(p[i]))
			continue;
		s[*m] = (struct scored){ .p = p[i], .row = i, .event = is_event(y[i]) };
		*events += s[*m].event;
		(*m)++;
	}
	if (*m == 0) {
		ds_free(s);
		return NULL;
	}
	qsort(s, (size_t)*m, sizeof *s, by_p_then_row);
	return s;
}

/* One past the last row tied with row i. */
static long tie_end(const struct scored *s, long m, long i)
{
	long j = i + 1;
	while (j < m && s[j].p == s[i].p)
		j++;
	return j;
}

/* ceil(k * n / d) for 0 <= k <= d, without overflowing k * n. */
static long scaled_rank(long n, long k, long d)
{
	long whole = k * (n / d);
	long part = k * (n % d); /* < d * d, and d fits in an int */
	return whole + part / d + (part % d != 0);
}

double ds_metric_auc(const float *y, const double *p, long n)
{
	long m, pos;
	struct scored *s = sort_scored(y, p, n, &m, &pos);
	if (!s)
		return NAN;
	long neg = m - pos;
	double auc = NAN;
	if (pos > 0 && neg > 0) {
		/*
		 * Mann-Whitney U: each (event, non-event) pair scores 1 when the
		 * event ranks higher and 1/2 when tied. A run of tied predictions
		 * settles all its pairs at once, which keeps this O(n) after the
		 * sort. The counts stay exact in a double up to 2^53.
		 */
		double u = 0;
		long neg_below = 0;
		for (long i = 0; i < m;) {
			long j = tie_end(s, m, i), pos_here = 0;
			for (long k = i; k < j; k++)
				pos_here += s[k].event;
			long neg_here = (j - i) - pos_here;
			u += (double)pos_here * ((double)neg_below + 0.5 * (double)neg_here);
			neg_below += neg_here;
			i = j;
		}
		auc = u / ((double)pos * (double)neg);
	}
	ds_free(s);
	return auc;
}

double ds_metric_ks(const float *y, const double *p, long n)
{
	long m, pos;
	struct scored *s = sort_scored(y, p, n, &m, &pos);
	if (!s)
		return NAN;
	long neg = m - pos;
	double ks = NAN;
	if (pos > 0 && neg > 0) {
		ks = 0;
		long pos_seen = 0, neg_seen = 0;
		for (long i = 0; i < m;) {
			/* A threshold cannot fall inside a run of equal scores, so the
			 * gap is only a candidate once the whole run is counted. */
			long j = tie_end(s, m, i);
			for (long k = i; k < j; k++) {
				pos_seen += s[k].event;
				neg_seen += !s[k].event;
			}
			double gap = fabs((double)pos_seen / (double)pos -
			                  (double)neg_seen / (double)neg);
			if (gap > ks)
				ks = gap;
			i = j;
		}
	}
	ds_free(s);
	return ks;
}

double ds_metric_brier(const float *y, const double *p, long n)
{
	if (n <= 0 || !y || !p)
		return NAN;
	double sum = 0;
	long used = 0;
	for (long i = 0; i < n; i++) {
		if (isnan(y[i]) || isnan(p[i]))
			continue;
		double d = p[i] - (is_event(y[i]) ? 1.0 : 0.0);
		sum += d * d;
		used++;
	}
	return used > 0 ? sum / (double)used : NAN;
}

int ds_metric_calibration(const float *y, const double *p, long n, int nbins,
                          struct ds_calib_bin *out)
{
	if (nbins <= 0 || !out)
		return 0;
	long m, pos;
	struct scored *s = sort_scored(y, p, n, &m, &pos);
	if (!s)
		return 0;
	/* More bins than rows would only add empty ones; fewer keeps the loop
	 * bounded by the data. */
	long bins = nbins < m ? nbins : m;
	int written = 0;
	long start = 0;
	for (long k = 0; k < bins && start < m; k++) {
		/*
		 * Bin k ideally ends at rank ceil((k+1) m / bins). A run of tied
		 * predictions that crosses that point stays whole in the bin where
		 * it starts, so the bins' prediction ranges never overlap; the
		 * bins it overruns are dropped rather than left empty.
		 */
		long end = scaled_rank(m, k + 1, bins);
		if (end <= start)
			continue;
		while (end < m && s[end].p == s[end - 1].p)
			end++;
		double sum_p = 0;
		long events = 0;
		for (long i = start; i < end; i++) {
			sum_p += s[i].p;
			events += s[i].event;
		}
		long cnt = end - start;
		out[written++] = (struct ds_calib_bin){
			.p_lo = s[start].p,
			.p_hi = s[end - 1].p,
			.mean_p = sum_p / (double)cnt,
			.observed = (double)events / (double)cnt,
			.n = cnt,
		};
		start = end;
	}
	ds_free(s);
	return written;
}

/* The values that are not NAN, sorted; NULL when none or out of memory. */
static double *sorted_values(const double *v, long n, long *m)
{
	*m = 0;
	if (n <= 0 || !v || (size_t)n > SIZE_MAX / sizeof(double))
		return NULL;
	double *s = ds_malloc((size_t)n * sizeof *s);
	if (!s)
		return NULL;
	for (long i = 0; i < n; i++)
		if (!isnan(v[i]))
			s[(*m)++] = v[i];
	if (*m == 0) {
		ds_free(s);
		return NULL;
	}
	qsort(s, (size_t)*m, sizeof *s, by_value);
	return s;
}

/* Bins are (edge[b-1], edge[b]], open at both ends: the bin of x is the
 * number of edges below it. */
static long bin_of(const double *edge, long nedge, double x)
{
	long lo = 0, hi = nedge;
	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;
		if (edge[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

double ds_metric_psi(const double *expected, long ne, const double *actual, long na, int nbins)
{
	if (nbins <= 0 || na <= 0 || !actual)
		return NAN;
	long me;
	double *e = sorted_values(expected, ne, &me);
	if (!e)
		return NAN;
	double psi = NAN;
	/* As in calibration, quantiles finer than the rows only repeat edges. */
	long q = nbins < me ? nbins : me;
	double *edge = ds_malloc((size_t)q * sizeof *edge);
	long *count_e = ds_calloc((size_t)q, sizeof *count_e);
	long *count_a = ds_calloc((size_t)q, sizeof *count_a);
	if (!edge || !count_e || !count_a)
		goto done;
	/*
	 * Upper edges of the inner bins: the expected population's k/q
	 * quantiles (the value at rank ceil(k me / q)). Equal quantiles merge
	 * into one edge, and one at the maximum is dropped, so every bin holds
	 * some of the expected population and its share never needs the floor.
	 */
	long nedge = 0;
	for (long k = 1; k < q; k++) {
		double v = e[scaled_rank(me, k, q) - 1];
		if (v < e[me - 1] && (nedge == 0 || v > edge[nedge - 1]))
			edge[nedge++] = v;
	}
	for (long i = 0; i < me; i++)
		count_e[bin_of(edge, nedge, e[i])]++;
	long used_a = 0;
	for (long i = 0; i < na; i++) {
		if (isnan(actual[i]))
			continue;
		count_a[bin_of(edge, nedge, actual[i])]++;
		used_a++;
	}
	if (used_a == 0)
		goto done;
	psi = 0;
	for (long b = 0; b <= nedge; b++) {
		double se = fmax((double)count_e[b] / (double)me, PSI_MIN_SHARE);
		double sa = fmax((double)count_a[b] / (double)used_a, PSI_MIN_SHARE);
		psi += (sa - se) * log(sa / se);
	}
done:
	ds_free(count_a);
	ds_free(count_e);
	ds_free(edge);
	ds_free(e);
	return psi;
}

const char *ds_metric_psi_band(double psi)
{
	/* A NAN has no band; naming one would pass it off as a measurement. */
	if (isnan(psi))
		return "unknown";
	if (psi < 0.1)
		return "stable";
	if (psi < 0.25)
		return "minor shift";
	return "major shift";
}

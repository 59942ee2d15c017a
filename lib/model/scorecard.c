/*
 * The WOE scorecard: each feature binned (monotone, minimum bin share,
 * maximum IV), features under the IV floor left out, a logistic regression
 * on the bins' WOE (liblinear, L2), and points per bin with PDO scaling so
 * that a borrower's points are the sum of their bins' points. Reasons are
 * the points lost against each feature's best bin.
 */
#include "model-int.h"

#include <linear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void quiet(const char *s)
{
	(void)s;
}

static double woe_of(const ds_model *m, const struct feature_map *map, const ds_dataset *d,
                     long row, int i, int *bin)
{
	const struct ds_binning *b = &m->bins[i];
	*bin = ds_binning_find(b, model_value(m, map, d, row, i));
	return b->bins[*bin].woe;
}

/* Points per bin, from the coefficients: margin = a + sum b_i woe_i, and
 * points = offset - factor * margin spread evenly over the used features. */
static void set_points(ds_model *m)
{
	int used = 0;
	for (int i = 0; i < m->nfeat; i++)
		used += m->bins[i].nbins > 0;
	double factor = m->opts.pdo / log(2.0);
	double offset = m->opts.points0 + factor * log(m->opts.odds0);
	for (int i = 0; i < m->nfeat; i++)
		for (int k = 0; k < m->bins[i].nbins; k++)
			m->bins[i].bins[k].points = -factor * m->coef[i] * m->bins[i].bins[k].woe +
			                            (offset - factor * m->intercept) / used;
}

ds_err scorecard_train(ds_model *m, const ds_dataset *d, const long *rows, long n,
                       struct ds_diag *diag)
{
	m->bins = ds_calloc((size_t)m->nfeat, sizeof *m->bins);
	m->coef = ds_calloc((size_t)m->nfeat, sizeof *m->coef);
	if (!m->bins || !m->coef)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	int used = 0;
	for (int i = 0; i < m->nfeat; i++) {
		ds_err err = ds_binning_fit(d, rows, n, i, &m->opts.binning, &m->bins[i], diag);
		if (err)
			return err;
		/* a single bin carries no information */
		if (m->bins[i].iv < m->opts.min_iv || m->bins[i].nbins < 2)
			m->bins[i].nbins = 0;
		used += m->bins[i].nbins > 0;
	}
	if (!used)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "no feature reaches the IV floor of %g", m->opts.min_iv);
	/* the regression on WOE values: one dense row per labelled example */
	long k = 0;
	for (long r = 0; r < n; r++)
		k += !isnan(d->y[rows ? rows[r] : r]);
	struct feature_map *map = ds_malloc(sizeof *map);
	struct feature_node *nodes = ds_malloc((size_t)k * (size_t)(used + 2) * sizeof *nodes + 1);
	struct feature_node **x = ds_malloc((size_t)k * sizeof *x + 1);
	double *y = ds_malloc((size_t)k * sizeof *y + 1);
	ds_err err = DS_OK;
	if (!map || !nodes || !x || !y || (err = model_map(m, d, map, diag))) {
		if (!err)
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	k = 0;
	for (long r = 0; r < n; r++) {
		long row = rows ? rows[r] : r;
		if (isnan(d->y[row]))
			continue;
		struct feature_node *f = nodes + (size_t)k * (size_t)(used + 2);
		x[k] = f;
		y[k] = d->y[row] > 0.5f ? 1 : -1;
		int j = 0, bin;
		for (int i = 0; i < m->nfeat; i++)
			if (m->bins[i].nbins) {
				f[j] = (struct feature_node){ j + 1,
					                      woe_of(m, map, d, row, i, &bin) };
				j++;
			}
		f[j++] = (struct feature_node){ used + 1, 1.0 }; /* the constant */
		f[j] = (struct feature_node){ -1, 0 };
		k++;
	}
	/* the constant is an ordinary column (index used + 1), not liblinear's
	 * bias, so that its weight is simply the last */
	struct problem prob = { (int)k, used + 1, y, x, -1.0 };
	struct parameter par = { .solver_type = L2R_LR, .eps = 1e-6, .C = m->opts.l2 };
	set_print_string_function(quiet);
	const char *why = check_parameter(&prob, &par);
	if (why) {
		err = ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "logistic regression: %s", why);
		goto done;
	}
	struct model *lr = train(&prob, &par);
	if (!lr) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "logistic regression failed");
		goto done;
	}
	/* liblinear's weights score its first label; make them the event's */
	double sign = lr->label[0] == 1 ? 1.0 : -1.0;
	int j = 0;
	for (int i = 0; i < m->nfeat; i++)
		if (m->bins[i].nbins)
			m->coef[i] = sign * lr->w[j++];
	m->intercept = sign * lr->w[used];
	free_and_destroy_model(&lr);
	set_points(m);
done:
	ds_free(map);
	ds_free(nodes);
	ds_free(x);
	ds_free(y);
	return err;
}

double scorecard_margin(const ds_model *m, const struct feature_map *map, const ds_dataset *d,
                        long row, double *lost)
{
	double margin = m->intercept;
	for (int i = 0; i < m->nfeat; i++) {
		if (!m->bins[i].nbins) {
			if (lost)
				lost[i] = 0;
			continue;
		}
		int bin;
		margin += m->coef[i] * woe_of(m, map, d, row, i, &bin);
		if (lost) {
			double best = -INFINITY;
			for (int k = 0; k < m->bins[i].nbins; k++)
				if (m->bins[i].bins[k].points > best)
					best = m->bins[i].bins[k].points;
			lost[i] = best - m->bins[i].bins[bin].points;
		}
	}
	return margin;
}

/* ------------------------------------------------------------ save and load */

static json_t *bound(float v)
{
	return isinf(v) ? json_null() : json_real(v);
}

ds_err scorecard_save(const ds_model *m, json_t **out, struct ds_diag *diag)
{
	json_t *feats = json_array();
	for (int i = 0; feats && i < m->nfeat; i++) {
		const struct ds_binning *b = &m->bins[i];
		json_t *bins = json_array();
		for (int k = 0; bins && k < b->nbins; k++) {
			const struct ds_bin *x = &b->bins[k];
			char cats[17];
			snprintf(cats, sizeof cats, "%016llx", (unsigned long long)x->cats);
			json_array_append_new(bins,
			                      json_pack("{s:b, s:o, s:o, s:s, s:I, s:I, s:f, s:f}",
			                                "missing", x->missing, "lo", bound(x->lo),
			                                "hi", bound(x->hi), "cats", cats, "n_event",
			                                (json_int_t)x->n_event, "n_non",
			                                (json_int_t)x->n_non, "woe", x->woe,
			                                "points", x->points));
		}
		json_array_append_new(feats, json_pack("{s:f, s:f, s:o}", "coef", m->coef[i], "iv",
		                                       b->iv, "bins", bins ? bins : json_null()));
	}
	*out = feats ? json_pack("{s:f, s:o}", "intercept", m->intercept, "features", feats) : NULL;
	return *out ? DS_OK : ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
}

ds_err scorecard_load(ds_model *m, json_t *j, struct ds_diag *diag)
{
	json_t *feats = json_object_get(j, "features");
	if (!json_is_object(j) || !json_is_number(json_object_get(j, "intercept")) ||
	    json_array_size(feats) != (size_t)m->nfeat)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "scorecard",
		                   "not a doorstep model: the scorecard is missing or invalid");
	m->intercept = json_number_value(json_object_get(j, "intercept"));
	m->bins = ds_calloc((size_t)m->nfeat, sizeof *m->bins);
	m->coef = ds_calloc((size_t)m->nfeat, sizeof *m->coef);
	if (!m->bins || !m->coef)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	for (int i = 0; i < m->nfeat; i++) {
		json_t *f = json_array_get(feats, (size_t)i), *bins = json_object_get(f, "bins");
		struct ds_binning *b = &m->bins[i];
		b->feature = i;
		if (!json_is_array(bins) || json_array_size(bins) > DS_MAX_BINS + 1 ||
		    json_unpack(f, "{s:F, s:F}", "coef", &m->coef[i], "iv", &b->iv))
			return ds_diag_set(diag, DS_EINVAL, NULL, 0, m->feat[i].name,
			                   "not a doorstep model: bins are invalid");
		b->nbins = (int)json_array_size(bins);
		for (int k = 0; k < b->nbins; k++) {
			json_t *x = json_array_get(bins, (size_t)k), *lo, *hi;
			struct ds_bin *o = &b->bins[k];
			int missing;
			const char *cats;
			json_int_t ne, nn;
			if (json_unpack(x, "{s:b, s:o, s:o, s:s, s:I, s:I, s:F, s:F}", "missing",
			                &missing, "lo", &lo, "hi", &hi, "cats", &cats, "n_event",
			                &ne, "n_non", &nn, "woe", &o->woe, "points", &o->points) ||
			    strlen(cats) != 16)
				return ds_diag_set(diag, DS_EINVAL, NULL, 0, m->feat[i].name,
				                   "not a doorstep model: a bin is invalid");
			o->missing = missing;
			o->lo = json_is_null(lo) ? -INFINITY : (float)json_number_value(lo);
			o->hi = json_is_null(hi) ? INFINITY : (float)json_number_value(hi);
			o->cats = strtoull(cats, NULL, 16);
			o->n_event = (long)ne;
			o->n_non = (long)nn;
		}
	}
	return DS_OK;
}

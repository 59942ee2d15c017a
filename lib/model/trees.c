/*
 * Gradient-boosted trees through XGBoost's C API: binary:logistic with
 * tree_method=hist and a pinned seed, monotone constraints from the
 * features, categorical features one-hot (so SHAP values of a feature are
 * the sum over its columns), and TreeSHAP contributions for reasons.
 */
#include "model-int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xgboost/c_api.h>

/* Matrix cells (rows x columns) per training thread. Below this a round's
 * work is a few milliseconds at most, which OpenMP's barriers cost again
 * when threads wait: libgomp spins there, and on a busy machine a spinning
 * thread holds a core the thread it waits for needs (a plan of a few
 * thousand accounts took 6 s with two threads and 0.6 s with one). */
#define CELLS_PER_THREAD (1L << 21)

/* Training threads when the options leave it to doorstep (0): one per
 * CELLS_PER_THREAD cells, at most the cores online. */
static int train_threads(const struct ds_train_opts *o, long rows, int cols)
{
	if (o->threads > 0)
		return o->threads;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	long t = rows * (long)cols / CELLS_PER_THREAD;
	if (t > cores)
		t = cores;
	return t < 1 ? 1 : (int)t;
}

static ds_err xgb_fail(struct ds_diag *diag, const char *what)
{
	return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "XGBoost %s: %s", what,
	                   XGBGetLastError());
}

/* Columns: one per numeric feature, one per category of a categorical. */
static ds_err make_columns(ds_model *m, struct ds_diag *diag)
{
	int n = 0;
	for (int i = 0; i < m->nfeat; i++)
		n += m->feat[i].categorical ? (m->feat[i].ncat ? m->feat[i].ncat : 1) : 1;
	m->col_feature = ds_malloc((size_t)n * sizeof *m->col_feature + 1);
	m->col_cat = ds_malloc((size_t)n * sizeof *m->col_cat + 1);
	if (!m->col_feature || !m->col_cat)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	m->ncols = 0;
	for (int i = 0; i < m->nfeat; i++) {
		int k = m->feat[i].categorical ? (m->feat[i].ncat ? m->feat[i].ncat : 1) : 1;
		for (int c = 0; c < k; c++) {
			m->col_feature[m->ncols] = i;
			m->col_cat[m->ncols++] = m->feat[i].categorical ? c : -1;
		}
	}
	return DS_OK;
}

/* The model's columns for the given rows, row-major (NAN missing). */
static float *matrix(const ds_model *m, const struct feature_map *map, const ds_dataset *d,
                     const long *rows, long n)
{
	float *x = ds_malloc((size_t)n * (size_t)m->ncols * sizeof *x + 1);
	if (!x)
		return NULL;
	for (long k = 0; k < n; k++) {
		float *out = x + (size_t)k * (size_t)m->ncols;
		for (int c = 0; c < m->ncols; c++) {
			float v = model_value(m, map, d, rows[k], m->col_feature[c]);
			/* a missing category leaves every column of it missing; an
			 * unseen one is none of the known categories */
			out[c] = m->col_cat[c] < 0 ? v
			         : isnan(v)        ? NAN
			                           : (float)((int)v == m->col_cat[c]);
		}
	}
	return x;
}

static ds_err set_params(ds_model *m, long rows, struct ds_diag *diag)
{
	const struct ds_train_opts *o = &m->opts;
	char v[64];
	struct ds_buf mono;
	ds_buf_init(&mono, 1 << 16);
	ds_buf_adds(&mono, "(");
	/* the directions are the failure event's: a regression has none */
	for (int c = 0; c < m->ncols; c++)
		ds_buf_addf(&mono, "%s%d", c ? "," : "",
		            m->col_cat[c] < 0 && !o->regression
		                    ? m->feat[m->col_feature[c]].monotone
		                    : 0);
	ds_buf_adds(&mono, ")");
	struct {
		const char *k;
		char v[64];
	} p[] = {
		{ "objective", "binary:logistic" },
		{ "tree_method", "hist" },
		{ "eval_metric", "logloss" },
		{ "verbosity", "0" },
	};
	if (o->regression) {
		ds_strlcpy(p[0].v, "reg:squarederror", sizeof p[0].v);
		ds_strlcpy(p[2].v, "rmse", sizeof p[2].v);
	}
	bool ok = true;
	for (size_t i = 0; ok && i < sizeof p / sizeof p[0]; i++)
		ok = XGBoosterSetParam(m->booster, p[i].k, p[i].v) == 0;
	snprintf(v, sizeof v, "%llu", (unsigned long long)(o->seed % 2147483647));
	ok = ok && XGBoosterSetParam(m->booster, "seed", v) == 0;
	snprintf(v, sizeof v, "%d", o->depth);
	ok = ok && XGBoosterSetParam(m->booster, "max_depth", v) == 0;
	snprintf(v, sizeof v, "%.17g", o->eta);
	ok = ok && XGBoosterSetParam(m->booster, "eta", v) == 0;
	snprintf(v, sizeof v, "%.17g", o->subsample);
	ok = ok && XGBoosterSetParam(m->booster, "subsample", v) == 0;
	snprintf(v, sizeof v, "%d", train_threads(o, rows, m->ncols));
	ok = ok && XGBoosterSetParam(m->booster, "nthread", v) == 0;
	ok = ok && mono.p && XGBoosterSetParam(m->booster, "monotone_constraints", mono.p) == 0;
	ds_buf_free(&mono);
	return ok ? DS_OK : xgb_fail(diag, "parameters");
}

ds_err trees_train(ds_model *m, const ds_dataset *d, const long *rows, long n, const float *weights,
                   struct ds_diag *diag)
{
	ds_err err = make_columns(m, diag);
	if (err)
		return err;
	struct feature_map *map = ds_malloc(sizeof *map);
	long *list = ds_malloc((size_t)n * sizeof *list + 1);
	float *y = ds_malloc((size_t)n * sizeof *y + 1);
	float *w = weights ? ds_malloc((size_t)n * sizeof *w + 1) : NULL;
	float *x = NULL;
	DMatrixHandle dm = NULL;
	if (!map || !list || !y || (weights && !w)) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	/* only labelled rows train */
	long k = 0;
	for (long i = 0; i < n; i++) {
		long r = rows ? rows[i] : i;
		if (!isnan(d->y[r])) {
			y[k] = d->y[r];
			if (w)
				w[k] = weights[i];
			list[k++] = r;
		}
	}
	if ((err = model_map(m, d, map, diag)))
		goto done;
	if (!(x = matrix(m, map, d, list, k))) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	if (XGDMatrixCreateFromMat(x, (bst_ulong)k, (bst_ulong)m->ncols, NAN, &dm) ||
	    XGDMatrixSetFloatInfo(dm, "label", y, (bst_ulong)k) ||
	    (w && XGDMatrixSetFloatInfo(dm, "weight", w, (bst_ulong)k)) ||
	    XGBoosterCreate(&dm, 1, &m->booster)) {
		err = xgb_fail(diag, "training data");
		goto done;
	}
	if ((err = set_params(m, k, diag)))
		goto done;
	for (int it = 0; it < m->opts.rounds; it++)
		if (XGBoosterUpdateOneIter(m->booster, it, dm)) {
			err = xgb_fail(diag, "training");
			goto done;
		}
done:
	if (dm)
		XGDMatrixFree(dm);
	ds_free(x);
	ds_free(y);
	ds_free(w);
	ds_free(list);
	ds_free(map);
	return err;
}

ds_err trees_margin(const ds_model *m, const struct feature_map *map, const ds_dataset *d,
                    const long *rows, long n, enum contribs how, double *margin, double *shap,
                    struct ds_diag *diag)
{
	float *x = matrix(m, map, d, rows, n);
	if (!x)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	ds_model *mm = (ds_model *)m; /* the lock is the only thing touched */
	DMatrixHandle dm = NULL;
	ds_err err = DS_OK;
	pthread_mutex_lock(&mm->lock);
	/* type 1: the margin; 2: SHAP contributions, the bias last */
	char cfg[128];
	snprintf(cfg, sizeof cfg,
	         "{\"type\":%d,\"training\":false,\"iteration_begin\":0,"
	         "\"iteration_end\":0,\"strict_shape\":false}",
	         how == CONTRIB_EXACT ? 2 : 1);
	bst_ulong const *shape;
	bst_ulong dim;
	const float *res;
	bool failed;
	if (how == CONTRIB_NONE) {
		/* the margin straight from the rows: no DMatrix to build */
		char arr[160];
		snprintf(arr, sizeof arr,
		         "{\"data\":[%ju,true],\"shape\":[%ld,%d],\"typestr\":\"<f4\","
		         "\"version\":3}",
		         (uintmax_t)(uintptr_t)x, n, m->ncols);
		snprintf(cfg, sizeof cfg,
		         "{\"type\":1,\"training\":false,\"iteration_begin\":0,"
		         "\"iteration_end\":0,\"strict_shape\":false,\"missing\":NaN,"
		         "\"cache_id\":0}");
		failed = XGBoosterPredictFromDense(m->booster, arr, cfg, NULL, &shape, &dim, &res);
	} else {
		failed = XGDMatrixCreateFromMat(x, (bst_ulong)n, (bst_ulong)m->ncols, NAN, &dm) ||
		         XGBoosterPredictFromDMatrix(m->booster, dm, cfg, &shape, &dim, &res);
	}
	if (failed) {
		err = xgb_fail(diag, "prediction");
	} else if (how == CONTRIB_NONE) {
		for (long k = 0; k < n; k++)
			margin[k] = res[k];
	} else {
		/* fold one-hot columns back into their feature; the bias last */
		for (long k = 0; k < n; k++) {
			double *out = shap + (size_t)k * (size_t)(m->nfeat + 1);
			const float *in = res + (size_t)k * (size_t)(m->ncols + 1);
			for (int i = 0; i <= m->nfeat; i++)
				out[i] = 0;
			double sum = 0;
			for (int c = 0; c <= m->ncols; c++) {
				out[c < m->ncols ? m->col_feature[c] : m->nfeat] += in[c];
				sum += in[c];
			}
			margin[k] = sum;
		}
	}
	pthread_mutex_unlock(&mm->lock);
	if (dm)
		XGDMatrixFree(dm);
	ds_free(x);
	return err;
}

ds_err trees_save(const ds_model *m, json_t **out, struct ds_diag *diag)
{
	bst_ulong len;
	const char *buf;
	ds_model *mm = (ds_model *)m;
	pthread_mutex_lock(&mm->lock);
	int rc = XGBoosterSaveModelToBuffer(m->booster, "{\"format\":\"json\"}", &len, &buf);
	json_error_t je;
	*out = rc ? NULL : json_loadb(buf, (size_t)len, 0, &je);
	pthread_mutex_unlock(&mm->lock);
	if (rc)
		return xgb_fail(diag, "saving");
	return *out ? DS_OK : ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "XGBoost saved no JSON");
}

ds_err trees_load(ds_model *m, json_t *j, struct ds_diag *diag)
{
	if (!json_is_object(j))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "trees",
		                   "not a doorstep model: no trees");
	ds_err err = make_columns(m, diag);
	if (err)
		return err;
	char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	int rc = XGBoosterCreate(NULL, 0, &m->booster) ||
	         XGBoosterLoadModelFromBuffer(m->booster, text, strlen(text));
	free(text);
	if (rc)
		return xgb_fail(diag, "loading");
	bst_ulong nf = 0;
	if (XGBoosterGetNumFeature(m->booster, &nf) || (int)nf != m->ncols)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "trees",
		                   "the trees read %llu columns where the features make %d",
		                   (unsigned long long)nf, m->ncols);
	return DS_OK;
}

void trees_free(ds_model *m)
{
	if (m->booster)
		XGBoosterFree(m->booster);
	m->booster = NULL;
}

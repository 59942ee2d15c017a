/*
 * Validation of a model family on a dataset: cross-validated and
 * out-of-time discrimination, calibration, IV, population stability.
 */
#include "doorstep/model.h"

#include <math.h>
#include <string.h>

static void measure(const ds_dataset *d, const long *rows, long n, const double *p,
                    struct ds_fold_metrics *out)
{
	float *y = ds_malloc((size_t)n * sizeof *y + 1);
	memset(out, 0, sizeof *out);
	out->auc = out->gini = out->ks = out->brier = NAN;
	if (!y)
		return;
	for (long k = 0; k < n; k++) {
		y[k] = d->y[rows[k]];
		out->events += y[k] > 0.5f;
	}
	out->rows = n;
	out->auc = ds_metric_auc(y, p, n);
	out->gini = 2 * out->auc - 1;
	out->ks = ds_metric_ks(y, p, n);
	out->brier = ds_metric_brier(y, p, n);
	ds_free(y);
}

ds_err ds_model_validate(const ds_dataset *d, const struct ds_train_opts *o, int folds,
                         const ds_dataset *scoring, struct ds_validation *out, struct ds_diag *diag)
{
	if (!d->y)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "the dataset has no labels");
	if (folds < 2 || folds > 20)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "folds must be 2-20");
	memset(out, 0, sizeof *out);
	out->family = o->family;
	out->folds = folds;
	out->psi = NAN;
	out->nfeat = d->nfeat;
	/* the latest date is held out when there are at least two */
	ds_date latest = 0, earliest = 0;
	for (long r = 0; d->when && r < d->nrows; r++) {
		if (r == 0 || d->when[r] > latest)
			latest = d->when[r];
		if (r == 0 || d->when[r] < earliest)
			earliest = d->when[r];
	}
	out->has_oot = d->when && latest > earliest;
	out->oot_date = out->has_oot ? latest : 0;
	long *dev = ds_malloc((size_t)d->nrows * sizeof *dev + 1);
	long *oot = ds_malloc((size_t)d->nrows * sizeof *oot + 1);
	long *train = ds_malloc((size_t)d->nrows * sizeof *train + 1);
	long *test = ds_malloc((size_t)d->nrows * sizeof *test + 1);
	double *p = ds_malloc((size_t)d->nrows * sizeof *p + 1);
	double *pf = ds_malloc((size_t)d->nrows * sizeof *pf + 1);
	ds_model *m = NULL;
	ds_err err = DS_OK;
	if (!dev || !oot || !train || !test || !p || !pf) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	long ndev = 0, noot = 0;
	for (long r = 0; r < d->nrows; r++) {
		if (isnan(d->y[r]))
			continue;
		if (out->has_oot && d->when[r] == latest)
			oot[noot++] = r;
		else
			dev[ndev++] = r;
	}
	out->rows = ndev;
	for (long k = 0; k < ndev; k++)
		out->events += d->y[dev[k]] > 0.5f;
	if (ndev < folds * 2)
		err = ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                  "%ld labelled development rows are too few for %d folds", ndev,
		                  folds);
	/* k folds: out-of-fold predictions for every development row */
	double sum = 0, sum2 = 0;
	for (int f = 0; !err && f < folds; f++) {
		long ntr = 0, nte = 0;
		for (long k = 0; k < ndev; k++)
			if (k % folds == f)
				test[nte++] = dev[k];
			else
				train[ntr++] = dev[k];
		if ((err = ds_model_train(d, train, ntr, o, &m, diag)) ||
		    (err = ds_model_predict(m, d, test, nte, pf, diag)))
			break;
		ds_model_free(m);
		m = NULL;
		struct ds_fold_metrics fm;
		measure(d, test, nte, pf, &fm);
		sum += fm.auc;
		sum2 += fm.auc * fm.auc;
		for (long k = 0, j = f; k < nte; k++, j += folds)
			p[j] = pf[k];
	}
	if (err)
		goto done;
	out->cv_auc_mean = sum / folds;
	out->cv_auc_sd = sqrt(fmax(0, sum2 / folds - out->cv_auc_mean * out->cv_auc_mean));
	measure(d, dev, ndev, p, &out->cv);
	{
		float *y = ds_malloc((size_t)ndev * sizeof *y + 1);
		if (!y) {
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			goto done;
		}
		for (long k = 0; k < ndev; k++)
			y[k] = d->y[dev[k]];
		out->ncalib = ds_metric_calibration(y, p, ndev, DS_CALIB_BINS, out->calib);
		ds_free(y);
	}
	/* IV of each feature on the development rows */
	for (int i = 0; i < d->nfeat; i++) {
		struct ds_binning b;
		out->iv[i] = ds_binning_fit(d, dev, ndev, i, &o->binning, &b, NULL) ? NAN : b.iv;
	}
	/* out of time, and the scoring population's stability */
	if (out->has_oot || scoring) {
		if ((err = ds_model_train(d, dev, ndev, o, &m, diag)))
			goto done;
		if (out->has_oot) {
			if ((err = ds_model_predict(m, d, oot, noot, pf, diag)))
				goto done;
			measure(d, oot, noot, pf, &out->oot);
		}
		const ds_dataset *s = scoring ? scoring : d;
		long ns = scoring ? scoring->nrows : noot;
		double *ps = ds_malloc((size_t)ns * sizeof *ps + 1);
		if (!ps) {
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			goto done;
		}
		if (!(err = ds_model_predict(m, s, scoring ? NULL : oot, ns, ps, diag))) {
			out->psi = ds_metric_psi(p, ndev, ps, ns, 10);
			out->scoring_rows = ns;
		}
		ds_free(ps);
	}
done:
	ds_model_free(m);
	ds_free(dev);
	ds_free(oot);
	ds_free(train);
	ds_free(test);
	ds_free(p);
	ds_free(pf);
	return err;
}

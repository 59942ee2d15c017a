/* Training sets from the store: snapshots of features, labelled. */
#include "doorstep/model.h"
#include "doorstep/store.h"
#include "model-int.h"

#include <math.h>
#include <string.h>

/* Grows *p to n items of `size` bytes; false (p untouched) when out of
 * memory. */
static bool resized(void *p, long n, size_t size)
{
	void *q = ds_realloc(*(void **)p, (size_t)n * size + 1);
	if (q)
		*(void **)p = q;
	return q != NULL;
}

ds_err model_dataset_append(ds_dataset **acc, const ds_dataset *add)
{
	long keep = 0;
	for (long r = 0; r < add->nrows; r++)
		keep += !isnan(add->y[r]);
	ds_dataset *d = *acc;
	if (!d) {
		ds_err err = ds_dataset_new(add->nfeat, 0, true, &d);
		if (err)
			return err;
		memcpy(d->feat, add->feat, (size_t)add->nfeat * sizeof *d->feat);
		*acc = d;
	}
	long n = d->nrows + keep;
	size_t w = (size_t)add->nfeat;
	if (!resized(&d->x, n, w * sizeof *d->x) || !resized(&d->y, n, sizeof *d->y) ||
	    !resized(&d->when, n, sizeof *d->when) || !resized(&d->id, n, sizeof *d->id))
		return DS_ENOMEM;
	for (long r = 0; r < add->nrows; r++) {
		if (isnan(add->y[r]))
			continue;
		long k = d->nrows++;
		memcpy(d->x + (size_t)k * w, add->x + (size_t)r * w, w * sizeof *d->x);
		d->y[k] = add->y[r];
		d->when[k] = add->when ? add->when[r] : 0;
		if (add->id)
			memcpy(d->id[k], add->id[r], sizeof d->id[k]);
		else
			d->id[k][0] = '\0';
	}
	return DS_OK;
}

ds_err ds_training_set(ds_store *st, enum ds_target t, ds_date observed_until, int snapshots,
                       int step_days, ds_dataset **out, struct ds_diag *diag)
{
	if (snapshots < 1 || snapshots > 60 || step_days < 1 || step_days > 365)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "snapshots 1-60 and a step of 1-365 days");
	ds_date last = observed_until - DS_TARGET_HORIZON_DAYS;
	ds_dataset *acc = NULL;
	ds_err err = DS_OK;
	for (int i = snapshots - 1; i >= 0 && !err; i--) {
		ds_dataset *snap;
		ds_date day = last - (ds_date)i * step_days;
		if ((err = ds_features_build(st, day, 0, &snap, diag)))
			break;
		/* the label needs y; a features dataset comes unlabelled */
		if (!snap->y && !(snap->y = ds_calloc((size_t)snap->nrows + 1, sizeof *snap->y)))
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		if (!err)
			err = ds_targets_label(st, t, DS_TARGET_HORIZON_DAYS, observed_until, snap,
			                       diag);
		if (!err && (err = model_dataset_append(&acc, snap)))
			ds_diag_set(diag, err, NULL, 0, NULL, "out of memory");
		ds_dataset_free(snap);
	}
	if (!err && (!acc || acc->nrows == 0))
		err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, NULL,
		                  "no labelled rows: the store has no delinquent accounts with a "
		                  "fully observed %d-day outcome",
		                  DS_TARGET_HORIZON_DAYS);
	if (err) {
		ds_dataset_free(acc);
		return err;
	}
	*out = acc;
	return DS_OK;
}

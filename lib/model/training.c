/* Training sets from the store: snapshots of features, labelled. */
#include "doorstep/model.h"
#include "doorstep/store.h"

#include <math.h>
#include <string.h>

/* Appends the labelled rows of `add` to *acc (created on first use). */
static ds_err append(ds_dataset **acc, const ds_dataset *add)
{
	long keep = 0;
	for (long r = 0; r < add->nrows; r++)
		keep += !isnan(add->y[r]);
	long base = *acc ? (*acc)->nrows : 0;
	ds_dataset *d;
	ds_err err = ds_dataset_new(add->nfeat, base + keep, true, &d);
	if (err)
		return err;
	d->when = ds_calloc((size_t)(base + keep) + 1, sizeof *d->when);
	d->id = ds_calloc((size_t)(base + keep) + 1, sizeof *d->id);
	if (!d->when || !d->id) {
		ds_dataset_free(d);
		return DS_ENOMEM;
	}
	memcpy(d->feat, add->feat, (size_t)add->nfeat * sizeof *d->feat);
	size_t w = (size_t)add->nfeat;
	if (*acc) {
		memcpy(d->x, (*acc)->x, (size_t)base * w * sizeof *d->x);
		memcpy(d->y, (*acc)->y, (size_t)base * sizeof *d->y);
		memcpy(d->when, (*acc)->when, (size_t)base * sizeof *d->when);
		memcpy(d->id, (*acc)->id, (size_t)base * sizeof *d->id);
	}
	long k = base;
	for (long r = 0; r < add->nrows; r++) {
		if (isnan(add->y[r]))
			continue;
		memcpy(d->x + (size_t)k * w, add->x + (size_t)r * w, w * sizeof *d->x);
		d->y[k] = add->y[r];
		d->when[k] = add->when ? add->when[r] : 0;
		if (add->id)
			memcpy(d->id[k], add->id[r], sizeof d->id[k]);
		k++;
	}
	ds_dataset_free(*acc);
	*acc = d;
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
		if (!err && (err = append(&acc, snap)))
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

/* Targets (being written). */
#include "doorstep/model.h"
#include "doorstep/store.h"

ds_err ds_targets_label(struct ds_store *st, enum ds_target t, int horizon_days,
                        ds_date observed_until, ds_dataset *d, struct ds_diag *diag)
{
	(void)st;
	(void)t;
	(void)horizon_days;
	(void)observed_until;
	(void)d;
	return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "not yet");
}

const char *ds_target_name(enum ds_target t)
{
	return t == DS_TARGET_ABILITY ? "ability" : "willingness";
}

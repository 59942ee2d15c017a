/* Features from the store (being written). */
#include "doorstep/model.h"
#include "doorstep/store.h"

ds_err ds_features_build(struct ds_store *st, ds_date as_of, ds_dataset **out, struct ds_diag *diag)
{
	(void)st;
	(void)as_of;
	(void)out;
	return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "not yet");
}

const struct ds_feature_doc *ds_features_list(int *count)
{
	*count = 0;
	return NULL;
}

/* Internals of the model layer: the model object both families share. */
#ifndef DOORSTEP_MODEL_INT_H
#define DOORSTEP_MODEL_INT_H

#include "doorstep/model.h"

#include <jansson.h>
#include <pthread.h>

struct ds_model {
	enum ds_model_family family;
	struct ds_train_opts opts;
	int nfeat;
	struct ds_feature *feat; /* the features the model was trained on */

	/* trees: categorical features expand to one column per category */
	void *booster;        /* XGBoost BoosterHandle */
	pthread_mutex_t lock; /* XGBoost's predict is not reentrant per booster */
	int ncols;
	int *col_feature; /* per column: the model feature */
	int *col_cat;     /* per column: the category, -1 for a numeric feature */

	/* scorecard */
	struct ds_binning *bins; /* per model feature; nbins 0 = left out */
	double *coef;            /* per model feature, on its WOE */
	double intercept;
};

/* Where each model feature is in a dataset, and its categories' mapping. */
struct feature_map {
	int col[DS_MODEL_MAX_FEATURES];
	int8_t cat[DS_MODEL_MAX_FEATURES]
	          [DS_MODEL_MAX_CATEGORIES]; /* dataset -> model, -1 unseen */
};
ds_err model_map(const ds_model *m, const ds_dataset *d, struct feature_map *map,
                 struct ds_diag *diag);
/* The model feature i of a dataset row, categories renumbered; NAN missing
 * (and an unseen category: -1). */
float model_value(const ds_model *m, const struct feature_map *map, const ds_dataset *d, long row,
                  int i);

/* PDO scaling: points = offset - factor * margin. */
double model_points(const ds_model *m, double margin);

ds_err trees_train(ds_model *m, const ds_dataset *d, const long *rows, long n,
                   struct ds_diag *diag);
/* Margins of n rows; with CONTRIB_EXACT also the TreeSHAP contributions
 * per model feature in shap (n x (nfeat + 1), the bias last). */
enum contribs { CONTRIB_NONE, CONTRIB_EXACT };
ds_err trees_margin(const ds_model *m, const struct feature_map *map, const ds_dataset *d,
                    const long *rows, long n, enum contribs how, double *margin, double *shap,
                    struct ds_diag *diag);
ds_err trees_save(const ds_model *m, json_t **out, struct ds_diag *diag);
ds_err trees_load(ds_model *m, json_t *j, struct ds_diag *diag);
void trees_free(ds_model *m);

ds_err scorecard_train(ds_model *m, const ds_dataset *d, const long *rows, long n,
                       struct ds_diag *diag);
double scorecard_margin(const ds_model *m, const struct feature_map *map, const ds_dataset *d,
                        long row, double *lost);
ds_err scorecard_save(const ds_model *m, json_t **out, struct ds_diag *diag);
ds_err scorecard_load(ds_model *m, json_t *j, struct ds_diag *diag);

/* ------------------------------------------------- reading the store fast */

struct ds_stmt;
/* p with room for `need` items (doubling), or NULL when out of memory (p is
 * then untouched). */
void *model_grown(void *p, long *cap, long need, size_t size);
/* A YYYY-MM-DD column, or dflt when null or not a date. */
ds_date model_date_or(struct ds_stmt *s, int col, ds_date dflt);
#define MODEL_DATE_CACHE 2048
struct model_date_cache {
	uint64_t key[MODEL_DATE_CACHE];
	ds_date val[MODEL_DATE_CACHE];
};
/* The same, through a cache of parsed dates (zeroed before first use). */
ds_date model_cached_date(struct model_date_cache *c, struct ds_stmt *s, int col, ds_date dflt);
int64_t model_floor_div(int64_t a, int64_t b);
/* qsort order of struct ds_due by due date. */
int model_by_due(const void *p, const void *q);

#endif

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

ds_err trees_train(ds_model *m, const ds_dataset *d, const long *rows, long n, const float *weights,
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

/*
 * Interned strings with a hash index: account ids (looked up for every
 * payment and contact row), borrower and community ids. An id of up to 23
 * bytes sits in its slot, so a lookup touches one cache line; longer ones
 * are compared in the arena. Offsets, not pointers, into the arena, so that
 * it can grow.
 */
#define MODEL_KEY_INLINE 24

struct model_slot {
	char key[MODEL_KEY_INLINE];
	int32_t idx;   /* -1: empty */
	int32_t spill; /* the id is longer than key holds */
};

struct model_strmap {
	char *arena;
	long len, cap;
	uint32_t *off;
	long n, ncap;
	struct model_slot *slot;
	size_t nslots; /* a power of two */
};

/* FNV-1a of s, mixed; *len = strlen(s). */
uint64_t model_hash_str(const char *s, size_t *len);
const char *model_strmap_at(const struct model_strmap *m, long i);
long model_strmap_find_h(const struct model_strmap *m, const char *s, size_t len, uint64_t h);
/* The index of s, or -1. */
long model_strmap_find(const struct model_strmap *m, const char *s);
/* Appends s to the arena without indexing it (then model_strmap_index). */
ds_err model_strmap_push(struct model_strmap *m, const char *s, long *idx);
/* Indexes every string pushed, at the final size. */
ds_err model_strmap_index(struct model_strmap *m);
/* The index of s, added (indexed) when new. */
ds_err model_strmap_add(struct model_strmap *m, const char *s, long *idx);
void model_strmap_free(struct model_strmap *m);

/* Appends the labelled rows of `add` to *acc (created on first use),
 * growing its arrays in place; DS_ENOMEM. */
ds_err model_dataset_append(ds_dataset **acc, const ds_dataset *add);

#endif

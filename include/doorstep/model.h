/*
 * doorstep model: ability and willingness to pay.
 *
 * One pipeline serves the bank's own targets (features built from the store
 * as of a date) and any analyst's CSV: a dataset of rows and features, two
 * model families (gradient-boosted trees through XGBoost, and a WOE
 * scorecard), the validation metrics, and reasons for each score.
 *
 * Convention throughout: a model predicts p = P(event), the event being the
 * target's positive class (for doorstep's own targets, the failure: "unable
 * to pay", "unwilling to pay"). Scorecard points follow the credit
 * convention: more points, lower odds of the event.
 */
#ifndef DOORSTEP_MODEL_H
#define DOORSTEP_MODEL_H

#include "doorstep/core.h"
#include "doorstep/strategy.h"

/* ----------------------------------------------------------------- dataset */

#define DS_MODEL_MAX_FEATURES   256
#define DS_MODEL_MAX_CATEGORIES 64
#define DS_MODEL_MAX_ROWS       20000000L

struct ds_feature {
	char name[64];
	bool categorical; /* values are category indices 0..ncat-1 (as floats) */
	int ncat;
	char cats[DS_MODEL_MAX_CATEGORIES][48]; /* category labels */
	/* +1: the event grows more likely as the value grows; -1: less likely;
	 * 0: no constraint. Numeric features only. */
	int monotone;
};

typedef struct ds_dataset {
	int nfeat;
	struct ds_feature *feat; /* nfeat entries */
	long nrows;
	float *x;       /* nrows x nfeat, row-major; NAN = missing */
	float *y;       /* 0/1 per row, or NULL when unlabelled */
	ds_date *when;  /* per row: the as-of date (out-of-time splits), or NULL */
	char (*id)[65]; /* per row: a key (account id, up to 64 bytes), or NULL */
} ds_dataset;

/* An empty dataset with room for `nrows` rows of `nfeat` features (x filled
 * with NAN, y allocated when `labelled`). Free with ds_dataset_free. */
ds_err ds_dataset_new(int nfeat, long nrows, bool labelled, ds_dataset **out);
void ds_dataset_free(ds_dataset *d);
/* The column of the feature named `name`, or -1. */
int ds_dataset_feature(const ds_dataset *d, const char *name);

static inline float ds_dataset_at(const ds_dataset *d, long row, int f)
{
	return d->x[row * d->nfeat + f];
}

/*
 * Reads a CSV with a header row into a dataset: `target` names the label
 * column, and a row whose label equals `positive` is an event (when
 * `positive` is NULL the label must be 0/1). A column is categorical when
 * named in `categorical` (comma-separated) or when any of its values is not
 * a number; empty cells are missing. Errors name file, line and column.
 * Hard caps: 256 MiB, DS_MODEL_MAX_FEATURES columns, DS_MODEL_MAX_CATEGORIES
 * levels per categorical column.
 */
struct ds_csv_opts {
	const char *target;
	const char *positive;
	const char *categorical;
	const char *id_column; /* optional: a column kept as the row key */
};
ds_err ds_dataset_read_csv(const char *path, const struct ds_csv_opts *o, ds_dataset **out,
                           struct ds_diag *diag);

/* A fingerprint of the dataset's schema and contents (hex SHA-256). */
void ds_dataset_fingerprint(const ds_dataset *d, char out[65]);

/* ----------------------------------------------------------------- metrics */

/* Area under the ROC curve (ties count half); NAN when a class is absent. */
double ds_metric_auc(const float *y, const double *p, long n);
/* Kolmogorov-Smirnov: the largest gap between the classes' score CDFs. */
double ds_metric_ks(const float *y, const double *p, long n);
/* Mean squared error of the probabilities. */
double ds_metric_brier(const float *y, const double *p, long n);

struct ds_calib_bin {
	double p_lo, p_hi; /* range of predictions in the bin */
	double mean_p;     /* mean prediction */
	double observed;   /* observed event rate */
	long n;
};
/* Equal-count bins by prediction (deciles for nbins = 10); returns the
 * number of bins written (fewer when n is small or predictions tie). */
int ds_metric_calibration(const float *y, const double *p, long n, int nbins,
                          struct ds_calib_bin *out);

/*
 * Population stability index of `actual` against `expected` (bins: the
 * expected population's quantiles, nbins of them; an empty bin share is
 * floored at 1e-4). NAN when either is empty.
 */
double ds_metric_psi(const double *expected, long ne, const double *actual, long na, int nbins);
/* "stable" (< 0.1), "minor shift" (0.1-0.25) or "major shift" (>= 0.25). */
const char *ds_metric_psi_band(double psi);

/* --------------------------------------------------------------- scorecard */

#define DS_MAX_BINS 16

struct ds_bin {
	bool missing;        /* the bin of missing values */
	float lo, hi;        /* numeric: lo <= x < hi (-INF / +INF at the ends) */
	uint64_t cats;       /* categorical: bit c set = category c in the bin */
	long n_event, n_non; /* training counts */
	double woe;          /* ln(share of non-events / share of events), smoothed */
	double points;       /* scorecard points for this attribute */
};

struct ds_binning {
	int feature; /* index in the dataset */
	int nbins;
	struct ds_bin bins[DS_MAX_BINS + 1]; /* + the missing bin */
	double iv;                           /* information value */
};

struct ds_binning_opts {
	double min_share; /* smallest share of rows in a bin (default 0.05) */
	int max_bins;     /* at most this many bins besides missing (default 8) */
	int prebins;      /* fine classes before merging (default 20) */
};

/*
 * Bins one feature on the given rows (all rows when `rows` is NULL):
 * numeric features into contiguous ranges with WOE monotone in the value
 * (the direction of the feature's `monotone` when set, else the one with
 * the higher IV), categorical ones into groups of categories ordered by
 * WOE; every bin holds at least min_share of the rows, except the missing
 * bin, which exists only when values are missing. The bins maximise IV
 * under those constraints.
 */
ds_err ds_binning_fit(const ds_dataset *d, const long *rows, long nrows, int feature,
                      const struct ds_binning_opts *o, struct ds_binning *out,
                      struct ds_diag *diag);
/* The bin a value falls in (the missing bin for NAN; for an unseen
 * category, the bin with the WOE nearest 0). */
int ds_binning_find(const struct ds_binning *b, float value);

/* ------------------------------------------------------------------ models */

enum ds_model_family { DS_MODEL_TREES, DS_MODEL_SCORECARD };

struct ds_train_opts {
	enum ds_model_family family;
	uint64_t seed;
	/* trees */
	int rounds;       /* boosting rounds (default 200) */
	int depth;        /* max depth (default 3) */
	double eta;       /* learning rate (default 0.05) */
	double subsample; /* row subsample (default 0.8) */
	int threads;      /* 0: doorstep picks: one per 2^21 matrix cells, at most the cores */
	/* trees: a regression of y (any number) by squared error, instead of the
	 * event's probability; predictions are then values of y */
	bool regression;
	/* scorecard */
	struct ds_binning_opts binning;
	double min_iv;  /* features below this IV are left out (default 0.02) */
	double points0; /* points at odds0 (default 600) */
	double odds0;   /* odds of the event at points0 (default 1/19) */
	double pdo;     /* points to double the odds (default 50) */
	double l2;      /* logistic regression: inverse regularisation C (default 1) */
};

/* Fills the documented defaults for a family. */
void ds_train_opts_default(enum ds_model_family family, struct ds_train_opts *o);

typedef struct ds_model ds_model;

/* Trains on the given rows of a labelled dataset (all when rows is NULL). */
ds_err ds_model_train(const ds_dataset *d, const long *rows, long nrows,
                      const struct ds_train_opts *o, ds_model **out, struct ds_diag *diag);
/* The same with a weight per row (weights[k] for rows[k], or row k when rows
 * is NULL; each > 0): trees only. */
ds_err ds_model_train_weighted(const ds_dataset *d, const long *rows, long nrows,
                               const float *weights, const struct ds_train_opts *o, ds_model **out,
                               struct ds_diag *diag);
void ds_model_free(ds_model *m);
enum ds_model_family ds_model_family_of(const ds_model *m);
/* The options the model was trained with. */
const struct ds_train_opts *ds_model_options(const ds_model *m);

/*
 * P(event) for the given rows of a dataset with the model's features (by
 * name; a missing feature is an error naming it); for a regression, the
 * predicted value. Reentrant: a model may predict on several threads at
 * once.
 */
ds_err ds_model_predict(const ds_model *m, const ds_dataset *d, const long *rows, long nrows,
                        double *p, struct ds_diag *diag);

#define DS_MAX_REASONS 4

struct ds_reason {
	int feature;   /* index in the model's own feature list */
	double weight; /* SHAP contribution to the margin (trees), or points
	                  lost against the feature's best bin (scorecard) */
};

/*
 * One row's score and its reasons: the up-to-four features that push it
 * most towards the event (positive SHAP, or most points lost), strongest
 * first. *margin is the log-odds of the event; for trees the SHAP values of
 * every feature plus the bias sum to it (shap may be NULL; else it holds
 * ds_model_nfeatures + 1 values, the last the bias). *points is the
 * scorecard's total (for trees: the margin mapped through the same PDO
 * scaling).
 */
ds_err ds_model_explain(const ds_model *m, const ds_dataset *d, long row, double *margin,
                        double *points, double *shap, struct ds_reason out[DS_MAX_REASONS],
                        int *nout, struct ds_diag *diag);

/*
 * Margins, probabilities and reasons of many rows at once (the scoring
 * run's path; rows NULL = all): out[k] holds nout[k] reasons of row k.
 */
ds_err ds_model_reasons(const ds_model *m, const ds_dataset *d, const long *rows, long nrows,
                        double *p, struct ds_reason (*out)[DS_MAX_REASONS], int *nout,
                        struct ds_diag *diag);

int ds_model_nfeatures(const ds_model *m);
const char *ds_model_feature_name(const ds_model *m, int i);
/* Scorecard bins (NULL for trees, or a feature left out). */
const struct ds_binning *ds_model_binning(const ds_model *m, int i);

/* Serialises the whole model (schema, options, XGBoost JSON or bins) as one
 * JSON document in *out (caller frees with ds_free). */
ds_err ds_model_save(const ds_model *m, char **out, size_t *len, struct ds_diag *diag);
ds_err ds_model_load(const char *json, size_t len, ds_model **out, struct ds_diag *diag);

/* -------------------------------------------------------------- validation */

#define DS_CALIB_BINS 10

struct ds_fold_metrics {
	long rows, events;
	double auc, gini, ks, brier;
};

struct ds_validation {
	enum ds_model_family family;
	int folds;
	long rows, events;             /* labelled development rows */
	struct ds_fold_metrics cv;     /* out-of-fold predictions pooled */
	double cv_auc_mean, cv_auc_sd; /* over the folds */
	bool has_oot;                  /* the dataset has dates: the latest is held out */
	ds_date oot_date;
	struct ds_fold_metrics oot;
	int ncalib; /* calibration of the out-of-fold predictions */
	struct ds_calib_bin calib[DS_CALIB_BINS];
	double psi; /* development vs scoring population; NAN if none */
	long scoring_rows;
	int nfeat;
	double iv[DS_MODEL_MAX_FEATURES]; /* per dataset feature, binned on development */
};

/*
 * Validates a family on a labelled dataset: k-fold cross-validation (fold =
 * position among the development rows mod k, so runs are comparable),
 * out-of-time when rows carry dates (development = rows before the latest
 * date, which is held out; the model for it trains on all development
 * rows), calibration, IV per feature, and the PSI of the predictions on
 * `scoring` (or on the out-of-time rows when scoring is NULL) against the
 * out-of-fold predictions.
 */
ds_err ds_model_validate(const ds_dataset *d, const struct ds_train_opts *o, int folds,
                         const ds_dataset *scoring, struct ds_validation *out,
                         struct ds_diag *diag);

/* --------------------------------------------------- features and targets */

struct ds_store;

/*
 * The features of every account delinquent (DPD > 0) on `as_of`, from what
 * the store observed before as_of only (payments with value dates before
 * it, contacts, promises and visits that started before its first instant
 * in the account's branch time zone). Rows carry the account id and `when`
 * = as_of; unlabelled. The feature list and each feature's meaning and
 * monotone direction are in docs/scoring.md (ds_features_list).
 */
#define DS_FEATURES_ALL_OPEN 1u /* every open account, not only the delinquent */
ds_err ds_features_build(struct ds_store *st, ds_date as_of, unsigned flags, ds_dataset **out,
                         struct ds_diag *diag);

struct ds_feature_doc {
	const char *name;
	const char *zh, *en; /* plain-language label, for reasons */
};
/* The store features in dataset order, with their labels. */
const struct ds_feature_doc *ds_features_list(int *count);

enum ds_target { DS_TARGET_ABILITY, DS_TARGET_WILLINGNESS };
#define DS_TARGET_HORIZON_DAYS 30

/*
 * Labels the rows of a features dataset (built for d->when[row]) with the
 * target's observed outcome over [when, when + horizon_days): y = 1 for the
 * event (unable, unwilling), 0 otherwise, NAN when the row is outside the
 * target's population or its window is not yet fully observed (ends after
 * `observed_until`). Definitions in docs/scoring.md.
 */
ds_err ds_targets_label(struct ds_store *st, enum ds_target t, int horizon_days,
                        ds_date observed_until, ds_dataset *d, struct ds_diag *diag);
const char *ds_target_name(enum ds_target t); /* "ability", "willingness" */

/*
 * A target's training set: the features on `snapshots` dates `step_days`
 * apart, the latest being the last whose outcome window is fully observed
 * by `observed_until`, each labelled; rows outside the population are left
 * out. Rows carry their date, so validation holds the latest out of time.
 */
ds_err ds_training_set(struct ds_store *st, enum ds_target t, ds_date observed_until, int snapshots,
                       int step_days, ds_dataset **out, struct ds_diag *diag);

/* ---------------------------------------------------------------- registry */

/*
 * Every trained model is kept in the store with its kind (the target it
 * predicts: "ability", "willingness"), a version counting up per kind, the
 * fingerprint of its training data, its parameters, its validation metrics
 * and the serialised model; one champion per kind scores. Every write is
 * audited.
 */
struct ds_model_entry {
	long model_id;
	char kind[32];
	int version;
	ds_time trained_at;
	char fingerprint[65];
	char family[16];
	bool champion;
};

ds_err ds_registry_add(struct ds_store *st, const char *kind, const ds_model *m,
                       const char *fingerprint, const char *metrics_json,
                       struct ds_model_entry *out, struct ds_diag *diag);
/* Makes model_id the champion of its kind (and no other model of it). */
ds_err ds_registry_promote(struct ds_store *st, long model_id, struct ds_diag *diag);
/* A model by id, or (model_id 0) the champion of `kind`; DS_ENOTFOUND when
 * there is none. With m NULL only the entry is read (the model is not
 * loaded). *metrics (may be NULL) is the stored JSON, ds_free'd by the
 * caller. */
ds_err ds_registry_get(struct ds_store *st, long model_id, const char *kind, ds_model **m,
                       struct ds_model_entry *e, char **metrics, struct ds_diag *diag);
/* Every model, by kind then version; *out is ds_free'd by the caller. */
ds_err ds_registry_list(struct ds_store *st, struct ds_model_entry **out, int *n,
                        struct ds_diag *diag);

/* ----------------------------------------------------------------- scoring */

struct ds_quadrant_cuts {
	double ability, willingness; /* a score at or above the cut is "high" */
};

struct ds_score_run {
	ds_date as_of;
	long accounts;
	long ability_model, willingness_model; /* model ids used */
	long quadrant[4]; /* high/high, high ability low willingness, low/high, low/low */
	/* models: both models' probabilities of the rows without reasons;
	 * reasons: the probabilities and reasons of the others */
	double seconds_features, seconds_models, seconds_reasons, seconds_writing;
};

/* "able_willing", "able_unwilling", "unable_willing", "unable_unwilling". */
const char *ds_quadrant_name(int q);
int ds_quadrant_of(const struct ds_quadrant_cuts *cuts, double ability, double willingness);

/*
 * Scores every account delinquent on as_of (every open account with
 * DS_FEATURES_ALL_OPEN) with the champion of each kind:
 * ability = 1 - P(unable), willingness = 1 - P(unwilling), the quadrant,
 * and each score's reasons, written to the scores table for (account,
 * as_of) in one transaction, naming the model ids used.
 */
ds_err ds_score_portfolio(struct ds_store *st, ds_date as_of, unsigned flags,
                          const struct ds_quadrant_cuts *cuts, struct ds_score_run *out,
                          struct ds_diag *diag);

/* ------------------------------------------------------------------ uplift */

/*
 * What each treatment adds to what an account pays (docs/strategy.md,
 * "Uplift"), learned from the bank's own history.
 *
 * The data: on `snapshots` dates `step_days` apart, the latest the last
 * whose `horizon` days are observed by `observed_until`, the features of
 * every account delinquent that day, the treatment it got that day (its
 * strongest contact in its branch's local day: visit, plan offer, call,
 * letter, SMS; or none), whether a contact that day ended in a complaint
 * (outcome dispute) and, as y, the share of its overdue amount it paid
 * within the horizon (installments falling due later are paid whatever the
 * bank does, so they are not counted).
 */
struct ds_uplift_set {
	ds_dataset *d;      /* y: the share of the overdue amount paid in [when,
	                       when + horizon), at most 1 */
	uint8_t *treatment; /* per row, a ds_treatment */
	uint8_t *complaint; /* per row, 1 when a contact that day met a complaint */
	int horizon;
	/* training learns only what a plan uses: the propensities, the
	 * T-learner and the chance of a complaint (no X-learner, no
	 * transformed outcome) */
	bool plan_only;
};
ds_err ds_uplift_collect(struct ds_store *st, ds_date observed_until, int snapshots, int step_days,
                         int horizon, struct ds_uplift_set *out, struct ds_diag *diag);
void ds_uplift_set_free(struct ds_uplift_set *s);

/* The learners of one set of rows: per treatment with enough rows, the
 * propensity (one-vs-rest trees), the T-learner's outcome regression
 * (weighted by inverse propensity), the X-learner's two effect regressions
 * (on the treated rows, their outcome less the none model's; on the rows
 * of none, the treatment model's less their outcome) and the
 * transformed-outcome regression against none; NULL where a treatment had
 * too few rows. The chance of a complaint: per treatment its rate among
 * the rows that got it (pulled towards the rate of all contacts by
 * DS_HARM_PRIOR_ROWS rows of it), times a classifier's chance for the
 * account over all contacts relative to its mean (harm: NULL when the
 * complaints are too few to learn from, then the rates alone).
 */
struct ds_uplift {
	ds_model *outcome[DS_T_COUNT];
	ds_model *propensity[DS_T_COUNT];
	ds_model *effect_treated[DS_T_COUNT], *effect_control[DS_T_COUNT];
	ds_model *transformed[DS_T_COUNT];
	long rows[DS_T_COUNT];
	ds_model *harm;
	double harm_rate[DS_T_COUNT]; /* complaints per contact of the treatment */
	double harm_mean;             /* the classifier's mean over the contacts */
	long complaints[DS_T_COUNT];
	/* the outcome's variance among each treatment's rows: how well the
	 * rows measure its average */
	double y_var[DS_T_COUNT];
};
#define DS_HARM_PRIOR_ROWS 500
enum ds_uplift_learner { DS_UPLIFT_X_LEARNER, DS_UPLIFT_T_LEARNER, DS_UPLIFT_TRANSFORMED };
#define DS_UPLIFT_LEARNERS 3
const char *ds_uplift_learner_name(enum ds_uplift_learner l);

/* Trains on the listed rows (all when rows is NULL) with the trees' options
 * (the regression flag is set where needed). */
ds_err ds_uplift_train(const struct ds_uplift_set *s, const long *rows, long n,
                       const struct ds_train_opts *o, struct ds_uplift **out, struct ds_diag *diag);
/* Per row and treatment (out: n x DS_T_COUNT), the yuan the treatment adds
 * within the horizon over none (the share it adds times the row's overdue
 * amount), by the learner asked; 0 for none, NAN where it has no model. */
ds_err ds_uplift_predict(const struct ds_uplift *u, const ds_dataset *d, const long *rows, long n,
                         enum ds_uplift_learner how, double *out, struct ds_diag *diag);
void ds_uplift_free(struct ds_uplift *u);
/* Per row and treatment (out: n x DS_T_COUNT), the chance that the
 * treatment meets a complaint; 0 for none. */
ds_err ds_uplift_harm(const struct ds_uplift *u, const ds_dataset *d, const long *rows, long n,
                      double *out, struct ds_diag *diag);

/*
 * The Qini curve of a ranking by `score` over treated and control rows with
 * outcome y (Q(k): the treated outcome among the first k less the control
 * outcome among them scaled to the treated count): qini is the mean
 * distance between the curve and the straight line of a random ranking,
 * per treated row (in y's unit; 0: no better than chance); uplift_all the
 * difference of the means over all rows, uplift_top10 over the tenth
 * ranked first.
 */
struct ds_qini {
	long treated, control;
	double qini, uplift_all, uplift_top10;
};
ds_err ds_uplift_qini(const double *score, const float *y, const bool *treated, long n,
                      struct ds_qini *out, struct ds_diag *diag);

#endif

/*
 * Reports (docs/reports.md): what the collections work did over a period,
 * from the bank's own records — the KPIs a collections department runs
 * on, grouped as a manager asks, and the roll rates between buckets.
 *
 * The population of a period [from, to] is the accounts open and past due
 * at the start of `from`; each is followed to `to`. Money is in fen.
 */
#ifndef DOORSTEP_REPORT_H
#define DOORSTEP_REPORT_H

#include "doorstep/core.h"
#include "doorstep/portfolio.h"
#include "doorstep/store.h"
#include "doorstep/plan.h"

#include <jansson.h>

/* How accounts are grouped (docs/reports.md says how each is decided). */
typedef enum {
	DS_BY_ALL,       /* one group */
	DS_BY_TREATMENT, /* the most intensive treatment decided in the period */
	DS_BY_BUCKET,    /* the bucket at the start */
	DS_BY_QUADRANT,  /* ability x willingness, the last scores before the start */
	DS_BY_COMMUNITY, /* the borrower's */
	DS_BY_TEAM,      /* the members of the last visit's team in the period */
	DS_BY_COLLECTOR, /* the collector leading the last visit's team */
	DS_BY_ARM,       /* the visit experiment's arm of the last decision */
	DS_BY_COUNT
} ds_report_by;

const char *ds_report_by_name(ds_report_by by);
ds_err ds_report_by_parse(const char *s, ds_report_by *out);

struct ds_kpi {
	char group[128];
	long accounts;          /* past due at the start */
	ds_fen overdue_start;   /* their overdue amount then */
	ds_fen recovered;       /* paid from the start to the end */
	double recovery_rate;   /* recovered / overdue_start */
	long cured;             /* past due at the start, current at the end */
	double cure_rate;       /* cured / accounts */
	long promises, kept;    /* promises made in the period; kept of those judged */
	long promises_judged;   /* kept, partly kept or broken */
	double kept_rate;       /* kept / promises_judged */
	ds_fen cost;            /* the decided treatments' costs (team and worker time) */
	ds_fen net;             /* recovered - cost */
	double cost_to_collect; /* cost / recovered */
	long contacts;          /* contacts made in the period */
	long complaints, incidents;
	double complaints_per_1000, incidents_per_1000; /* per 1,000 contacts */
};

/*
 * The KPIs of the period, one row per group in the order of the groups'
 * names, then a last row for all (group "total"). *rows: ds_free.
 */
ds_err ds_report_kpis(ds_store *st, ds_date from, ds_date to, ds_report_by by, struct ds_kpi **rows,
                      long *n, struct ds_diag *diag);

/* The open accounts by their bucket at the start (row) and at the end
 * (column). Open means open now: the store keeps an account's current
 * status, not its history. */
struct ds_roll_matrix {
	long n[DS_BUCKETS][DS_BUCKETS];
};
ds_err ds_report_roll_rates(ds_store *st, ds_date from, ds_date to, struct ds_roll_matrix *out,
                            struct ds_diag *diag);

/* ------------------------------------------------- is door-to-door useful? */

/*
 * The visit experiment read per segment (docs/reports.md, "Is
 * door-to-door useful?"): the accounts that entered it and whose horizon
 * has passed by as_of, by their segment when they entered (DS_BY_ALL,
 * DS_BY_BUCKET, DS_BY_QUADRANT or DS_BY_COMMUNITY); in each, what the
 * visit policy (visits where the planner chose them) added to what an
 * account paid within the horizon against the held-out accounts (a 95%
 * interval), what it cost more per account, the cost of an incremental
 * yuan, and a verdict with the strength of its evidence.
 */
#define DS_EFFECT_MIN_ARM 30 /* accounts each arm needs for a verdict */

typedef enum {
	DS_VERDICT_NOT_ENOUGH_DATA, /* an arm under DS_EFFECT_MIN_ARM */
	DS_VERDICT_WORTH_IT,        /* the interval's low end above the extra cost */
	DS_VERDICT_NOT_WORTH_IT,    /* the interval's high end below the extra cost */
	DS_VERDICT_HARM,            /* the interval's high end below zero: visits lose money */
	DS_VERDICT_UNCLEAR          /* the interval holds the extra cost */
} ds_visit_verdict;
const char *ds_visit_verdict_name(ds_visit_verdict v);
const char *ds_visit_verdict_zh(ds_visit_verdict v); /* 值得, 不值得, 有害, ... */

struct ds_visit_effect {
	char segment[128];
	long treated, held_out;
	double paid_treated, paid_held_out;      /* yuan per account within the horizon */
	double effect, lo, hi;                   /* treated less held out, 95% interval */
	double share_effect, share_lo, share_hi; /* the share that paid anything */
	double extra_cost; /* yuan per account: the treated arm's decisions less the held-out's */
	double cost_per_yuan; /* extra_cost / effect; 0 when the effect is not above 0 */
	ds_visit_verdict verdict;
};
ds_err ds_report_visit_effect(ds_store *st, const char *experiment, int horizon, ds_date as_of,
                              ds_report_by by, struct ds_visit_effect **rows, long *n,
                              struct ds_diag *diag);
/* Each entrant's segment as the report groups it (at entry), in the
 * entrants' order (e as ds_experiment_entrants gives them): for setting
 * another reading beside the report's, such as the simulator's truth. */
ds_err ds_report_entrant_segments(ds_store *st, const struct ds_entrant *e, long n, int horizon,
                                  ds_report_by by, char (*segment)[128], struct ds_diag *diag);

/* ------------------------------------------------- what drives results */

/*
 * What drives results (docs/reports.md, "What drives results"): each visit
 * with an outcome between from and to - horizon, on an account past due
 * at the visit, followed `horizon` days: cured (current, or closed, at the
 * end) in a logistic regression, yuan paid in a linear one, on the
 * borrower's attitude at the door (cooperative, hostile; neutral or none
 * the base), the community's cooperation (a partner community; a worker
 * of it on the team), the collector's training (certified on the day) and
 * experience (years), with the months past due and the balance as
 * controls; robust (sandwich, HC1) standard errors, 95% intervals.
 * Observational: associations, not effects.
 */
#define DS_DRIVERS_K     9 /* coefficients, the intercept first */
#define DS_DRIVERS_MAXK  16
#define DS_DRIVERS_MIN_N 90 /* visits needed: ten per coefficient */
struct ds_driver {
	char name[32], name_zh[48];
	double coef, se, lo, hi, p;
	bool dropped; /* did not vary among the visits: left out of the model */
};
struct ds_drivers {
	long n; /* visits used */
	int k, horizon;
	double cure_rate, paid_mean;
	bool cure_ok, paid_ok; /* false: not estimated, *_why says why */
	char cure_why[160], paid_why[160];
	struct ds_driver cure[DS_DRIVERS_K]; /* log-odds */
	struct ds_driver paid[DS_DRIVERS_K]; /* yuan */
};
ds_err ds_report_drivers(ds_store *st, ds_date from, ds_date to, int horizon,
                         struct ds_drivers *out, struct ds_diag *diag);
/* The estimators: X row-major n x k (a column of ones for an intercept),
 * beta and robust standard errors (HC1) out; DS_EINVAL for collinear
 * regressors, separation or no convergence. */
ds_err ds_regress_ols(const double *X, const double *y, long n, int k, double *beta, double *se,
                      struct ds_diag *diag);
ds_err ds_regress_logit(const double *X, const double *y, long n, int k, double *beta, double *se,
                        struct ds_diag *diag);
json_t *ds_drivers_json(const struct ds_drivers *d);

/* ----------------------------------------------------- community work */

/*
 * Financial-literacy events and new delinquency (docs/reports.md,
 * "Community work"): for each event held by as_of - window, its community
 * against the communities with no event within `window` days of it. A
 * community's new-delinquency rate over a window: the share of its
 * accounts current at the window's start that are past due at its end.
 * The difference in differences: (after - before) in the event's
 * community less the same in the others, averaged over events, with a 95%
 * interval from resampling the communities (cluster bootstrap).
 */
struct ds_literacy_effect {
	long events, treated_units, control_units;
	double before_treated, after_treated; /* mean rates */
	double before_control, after_control;
	double did, lo, hi; /* after - before, event communities less the others */
};
ds_err ds_report_literacy(ds_store *st, ds_date as_of, int window, struct ds_literacy_effect *out,
                          struct ds_diag *diag);

/* ----------------------------------------------------------------- output */

/* What one export holds: the KPIs of a period by a grouping, its roll
 * rates and (when read) the visit experiment per segment. */
struct ds_report_pack {
	ds_date from, to;
	ds_report_by by;
	const struct ds_kpi *kpi;
	long nkpi;
	const struct ds_roll_matrix *roll;
	const struct ds_visit_effect *effect; /* NULL: none read */
	long neffect;
	ds_report_by effect_by;
	const struct ds_literacy_effect *literacy; /* NULL: none read (PDF only) */
	const char *experiment;                    /* the visit experiment's id (PDF) */
	int horizon;                               /* its horizon, days (PDF) */
};

/*
 * The pack as an XLSX workbook for managers (libxlsxwriter): sheets KPI,
 * Roll rates and Visits, headings in Chinese and English, money in yuan.
 * Text goes in as text, never as a formula, whatever it starts with.
 */
ds_err ds_report_xlsx(const struct ds_report_pack *p, const char *path, struct ds_diag *diag);

/*
 * The pack as a PDF report in Chinese (cairo and pango, doc.h), headings
 * with their English beside: the KPIs by the grouping with a chart of
 * the recovered amounts, "is door-to-door useful?" per segment with the
 * intervals and the verdicts, the roll rates, the literacy events; what
 * is randomised and what observational said plainly. `generated`: the
 * report's date (its creation date, so the same data give the same file).
 */
ds_err ds_report_pdf(const struct ds_report_pack *p, ds_date generated, const char *path,
                     struct ds_diag *diag);

/*
 * A horizontal bar chart as a standalone SVG document (for the web UI and
 * for documents): one bar per label, the value printed beside it with
 * `unit`. Labels and the title are escaped; at most 200 bars.
 */
ds_err ds_report_svg_bars(const char *title, const char *const *labels, const double *values, int n,
                          const char *unit, struct ds_buf *out, struct ds_diag *diag);

/* ------------------------------------------------------------------ JSON */

/* Each report's JSON object (a new reference): the shape `--format json`
 * prints and the server answers (docs/reports.md); money in fen where
 * the member's name ends in _fen, yuan where it ends in _yuan. */
json_t *ds_kpi_json(const struct ds_kpi *k);
json_t *ds_roll_json(const struct ds_roll_matrix *m); /* an array, one row per bucket */
json_t *ds_visit_effect_json(const struct ds_visit_effect *x);
json_t *ds_literacy_json(const struct ds_literacy_effect *e);
json_t *ds_experiment_result_json(const char *experiment, int horizon,
                                  const struct ds_experiment_result *r);

#endif

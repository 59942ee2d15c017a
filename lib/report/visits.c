/*
 * Is door-to-door useful? (report.h, docs/reports.md): the visit
 * experiment's randomised holdout read segment by segment — what the visit
 * policy added to what accounts paid, what it cost more, and a verdict
 * with the strength of its evidence.
 */
#include "doorstep/plan.h"
#include "doorstep/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const verdict_names[] = {
	"not enough data", "worth it", "not worth it", "harm", "unclear",
};

static const char *const verdict_zh[] = {
	"数据不足", "值得", "不值得", "有害", "不确定",
};

const char *ds_visit_verdict_zh(ds_visit_verdict v)
{
	return (unsigned)v <= DS_VERDICT_UNCLEAR ? verdict_zh[v] : "?";
}

const char *ds_visit_verdict_name(ds_visit_verdict v)
{
	return (unsigned)v <= DS_VERDICT_UNCLEAR ? verdict_names[v] : "?";
}

struct entrant_row {
	char segment[128];
	double cost; /* yuan: the decisions' costs within its horizon */
};

/* ----------------------------------------------------------- segments */

static const char *segment_sql(ds_report_by by)
{
	switch (by) {
	case DS_BY_QUADRANT:
		return "coalesce((SELECT s.quadrant FROM scores s WHERE s.account_id = i.account_id"
		       " AND s.score_date <= i.entered AND s.quadrant IS NOT NULL"
		       " ORDER BY s.score_date DESC LIMIT 1), '(unscored)')";
	case DS_BY_COMMUNITY:
		return "coalesce((SELECT b.community_id FROM accounts a JOIN borrowers b"
		       " ON b.borrower_id = a.borrower_id WHERE a.account_id = i.account_id),"
		       " '(none)')";
	default:
		return "'all'"; /* buckets: from the walks, below */
	}
}

/* Each entrant's segment (but its bucket) and cost, in entrant order
 * (both sorted by account id). */
static ds_err segments_and_costs(ds_store *st, const struct ds_entrant *e, long n, int horizon,
                                 ds_report_by by, struct entrant_row *r, struct ds_diag *diag)
{
	ds_err err = ds_store_exec(st,
	                           "CREATE TEMP TABLE IF NOT EXISTS effect_in(account_id TEXT"
	                           " PRIMARY KEY, entered TEXT NOT NULL, stop TEXT NOT NULL);"
	                           "DELETE FROM effect_in",
	                           diag);
	ds_stmt *s;
	bool row;
	for (long k = 0; !err && k < n; k++) {
		char a[11], b[11];
		ds_date_format(e[k].entered, a);
		ds_date_format(e[k].entered + horizon, b);
		if ((err = ds_store_prepare(st, "INSERT INTO effect_in VALUES (?,?,?)", &s, diag)))
			break;
		ds_stmt_bind_text(s, 1, e[k].id);
		ds_stmt_bind_text(s, 2, a);
		ds_stmt_bind_text(s, 3, b);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
	}
	if (err)
		return err;
	char sql[1024];
	snprintf(sql, sizeof sql,
	         "SELECT i.account_id, %s, (SELECT coalesce(sum(d.cost_fen), 0) FROM decisions d"
	         " WHERE d.account_id = i.account_id AND d.plan_date >= i.entered"
	         " AND d.plan_date < i.stop) FROM effect_in i ORDER BY i.account_id",
	         segment_sql(by));
	if ((err = ds_store_prepare(st, sql, &s, diag)))
		return err;
	long k = 0;
	while (!(err = ds_stmt_step(s, &row, diag)) && row && k < n) {
		ds_strlcpy(r[k].segment, ds_stmt_text(s, 1), sizeof r[k].segment);
		r[k].cost = (double)ds_stmt_int(s, 2) / 100;
		k++;
	}
	ds_stmt_done(s);
	return err;
}

/* Buckets as of each entrant's entry: one walk of the portfolio per day
 * accounts entered on. */
struct bucket_walk {
	const struct ds_entrant *e;
	long n;
	ds_date day;
	struct entrant_row *r;
};

static int by_id(const void *key, const void *x)
{
	return strcmp(key, ((const struct ds_entrant *)x)->id);
}

static ds_err note_bucket(void *ctx, const struct ds_account_dpd *a)
{
	struct bucket_walk *w = ctx;
	const struct ds_entrant *x =
	        bsearch(a->account_id, w->e, (size_t)w->n, sizeof *w->e, by_id);
	if (x && x->entered == w->day)
		ds_strlcpy(w->r[x - w->e].segment, ds_bucket_name(a->d.bucket),
		           sizeof w->r[0].segment);
	return DS_OK;
}

static int by_date(const void *a, const void *b)
{
	ds_date x = *(const ds_date *)a, y = *(const ds_date *)b;
	return x < y ? -1 : x > y;
}

static ds_err buckets(ds_store *st, const struct ds_entrant *e, long n, struct entrant_row *r,
                      struct ds_diag *diag)
{
	ds_date *days = ds_malloc((size_t)n * sizeof *days + 1);
	if (!days)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	for (long k = 0; k < n; k++) {
		days[k] = e[k].entered;
		ds_strlcpy(r[k].segment, "(closed)", sizeof r[k].segment);
	}
	qsort(days, (size_t)n, sizeof *days, by_date);
	ds_err err = DS_OK;
	for (long k = 0; !err && k < n; k++) {
		if (k > 0 && days[k] == days[k - 1])
			continue;
		struct bucket_walk w = { e, n, days[k], r };
		err = ds_portfolio_each(st, days[k], note_bucket, &w, diag);
	}
	ds_free(days);
	return err;
}

/* ---------------------------------------------------------- the reading */

/* An entrant's place when sorting by segment. */
struct place {
	const char *segment;
	long k;
};

static int by_segment(const void *a, const void *b)
{
	const struct place *x = a, *y = b;
	int c = strcmp(x->segment, y->segment);
	return c ? c : (x->k > y->k) - (x->k < y->k);
}

/* One segment's reading from its entrants. */
static ds_err read_segment(const struct ds_entrant *e, const struct entrant_row *r, long n,
                           struct ds_visit_effect *out, struct ds_diag *diag)
{
	double cost1 = 0, cost0 = 0;
	long n1 = 0, n0 = 0;
	for (long k = 0; k < n; k++) {
		if (e[k].holdout) {
			cost0 += r[k].cost;
			n0++;
		} else {
			cost1 += r[k].cost;
			n1++;
		}
	}
	out->treated = n1;
	out->held_out = n0;
	out->verdict = DS_VERDICT_NOT_ENOUGH_DATA;
	/* the figures whenever both arms have someone; a verdict only with
	 * DS_EFFECT_MIN_ARM in each */
	if (n1 == 0 || n0 == 0)
		return DS_OK;
	struct ds_experiment_result x;
	ds_err err = ds_experiment_compare(e, n, 0.95, &x, diag);
	if (err)
		return err;
	out->paid_treated = x.yuan.m1;
	out->paid_held_out = x.yuan.m0;
	out->effect = x.yuan.diff;
	out->lo = x.yuan.lo;
	out->hi = x.yuan.hi;
	out->share_effect = x.paid_share.diff;
	out->share_lo = x.paid_share.lo;
	out->share_hi = x.paid_share.hi;
	out->extra_cost = cost1 / (double)n1 - cost0 / (double)n0;
	out->cost_per_yuan = out->effect > 0 ? out->extra_cost / out->effect : 0;
	if (n1 < DS_EFFECT_MIN_ARM || n0 < DS_EFFECT_MIN_ARM)
		return DS_OK;
	out->verdict = out->hi < 0                 ? DS_VERDICT_HARM
	               : out->lo > out->extra_cost ? DS_VERDICT_WORTH_IT
	               : out->hi < out->extra_cost ? DS_VERDICT_NOT_WORTH_IT
	                                           : DS_VERDICT_UNCLEAR;
	return DS_OK;
}

ds_err ds_report_entrant_segments(ds_store *st, const struct ds_entrant *e, long n, int horizon,
                                  ds_report_by by, char (*segment)[128], struct ds_diag *diag)
{
	if (by != DS_BY_ALL && by != DS_BY_BUCKET && by != DS_BY_QUADRANT && by != DS_BY_COMMUNITY)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "by",
		                   "segments are all, bucket, quadrant or community");
	struct entrant_row *r = ds_calloc((size_t)n + 1, sizeof *r);
	if (!r)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	ds_err err = segments_and_costs(st, e, n, horizon, by, r, diag);
	if (!err && by == DS_BY_BUCKET)
		err = buckets(st, e, n, r, diag);
	for (long k = 0; !err && k < n; k++)
		ds_strlcpy(segment[k], r[k].segment, 128);
	ds_free(r);
	return err;
}

ds_err ds_report_visit_effect(ds_store *st, const char *experiment, int horizon, ds_date as_of,
                              ds_report_by by, struct ds_visit_effect **rows, long *n,
                              struct ds_diag *diag)
{
	*rows = NULL;
	*n = 0;
	if (by != DS_BY_ALL && by != DS_BY_BUCKET && by != DS_BY_QUADRANT && by != DS_BY_COMMUNITY)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "by",
		                   "segments are all, bucket, quadrant or community");
	if (horizon < 1 || horizon > 365)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "horizon", "1 to 365 days");
	struct ds_entrant *e = NULL;
	long ne = 0;
	ds_err err = ds_experiment_entrants(st, experiment, horizon, as_of, &e, &ne, diag);
	if (!err)
		err = ds_experiment_paid(st, e, ne, horizon, diag);
	struct entrant_row *r = err ? NULL : ds_calloc((size_t)ne + 1, sizeof *r);
	struct place *idx = err ? NULL : ds_malloc(((size_t)ne + 1) * sizeof *idx);
	struct ds_entrant *seg_e = err ? NULL : ds_malloc(((size_t)ne + 1) * sizeof *seg_e);
	struct entrant_row *seg_r = err ? NULL : ds_malloc(((size_t)ne + 1) * sizeof *seg_r);
	struct ds_visit_effect *out = NULL;
	long nout = 0;
	if (!err && (!r || !idx || !seg_e || !seg_r))
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	if (!err)
		err = segments_and_costs(st, e, ne, horizon, by, r, diag);
	if (!err && by == DS_BY_BUCKET)
		err = buckets(st, e, ne, r, diag);
	if (!err) {
		for (long k = 0; k < ne; k++)
			idx[k] = (struct place){ r[k].segment, k };
		qsort(idx, (size_t)ne, sizeof *idx, by_segment);
		out = ds_calloc((size_t)ne + 1, sizeof *out);
		if (!out)
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	for (long k = 0; !err && k < ne;) {
		long m = 0;
		const char *name = idx[k].segment;
		while (k < ne && strcmp(idx[k].segment, name) == 0) {
			seg_e[m] = e[idx[k].k];
			seg_r[m] = r[idx[k].k];
			m++;
			k++;
		}
		struct ds_visit_effect *x = &out[nout++];
		ds_strlcpy(x->segment, name, sizeof x->segment);
		err = read_segment(seg_e, seg_r, m, x, diag);
	}
	ds_free(e);
	ds_free(r);
	ds_free(idx);
	ds_free(seg_e);
	ds_free(seg_r);
	if (err) {
		ds_free(out);
		return err;
	}
	*rows = out;
	*n = nout;
	return DS_OK;
}

/*
 * Uplift: what each treatment adds to what an account pays, learned from
 * what the bank did and what followed (docs/strategy.md, "Uplift").
 *
 * The data: on snapshot dates D, the features of every account delinquent
 * on D (the same features as the scores), the treatment the bank gave it
 * on D (its strongest contact that local day, or none) and the yuan it
 * paid in [D, D + horizon). The learners:
 *
 *  - T-learner: per treatment, trees regress the amount paid on the
 *    features of the rows that got it, each row weighted by the inverse of
 *    the estimated chance that it got it (propensity, one-vs-rest trees),
 *    so that each arm stands for the whole population;
 *  - transformed outcome, the baseline: for a treatment t against none,
 *    Z = Y (W - e) / (e (1 - e)) has the uplift as its expectation given
 *    the features; trees regress Z directly.
 */
#include "doorstep/model.h"
#include "doorstep/portfolio.h"
#include "doorstep/store.h"
#include "model-int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_ARM_ROWS 50 /* fewer rows of a treatment: no model for it */
#define CLIP_TO \
	0.001                    /* propensities kept within [CLIP_TO, 1 - CLIP_TO]: a pilot arm
                         can be that rare */
#define CLIP                0.02 /* and at least CLIP where they weigh rows */
#define MIN_HARM_COMPLAINTS 20   /* fewer complaints: the rates per treatment alone */

void ds_uplift_set_free(struct ds_uplift_set *s)
{
	if (!s)
		return;
	ds_dataset_free(s->d);
	ds_free(s->treatment);
	ds_free(s->complaint);
	memset(s, 0, sizeof *s);
}

/* How strongly a treatment acts, to keep the strongest of a day's. */
static int strength(ds_treatment t)
{
	static const int rank[DS_T_COUNT] = {
		[DS_T_NONE] = 0, [DS_T_SMS] = 1,   [DS_T_LETTER] = 2, [DS_T_CALL] = 3,
		[DS_T_PLAN] = 4, [DS_T_VISIT] = 5, [DS_T_LEGAL] = 6
	};
	return t < DS_T_COUNT ? rank[t] : 0;
}

/* A stored contact as a treatment: the channel, and the intake's notes for
 * a plan offer (a call) and a legal notice (a letter). */
static ds_treatment treatment_of(const char *channel, const char *note)
{
	if (strcmp(channel, "visit") == 0)
		return DS_T_VISIT;
	if (strcmp(channel, "call") == 0)
		return strncmp(note, "installment plan", 16) == 0 ? DS_T_PLAN : DS_T_CALL;
	if (strcmp(channel, "letter") == 0)
		return strncmp(note, "legal", 5) == 0 ? DS_T_LEGAL : DS_T_LETTER;
	if (strcmp(channel, "sms") == 0)
		return DS_T_SMS;
	return DS_T_NONE;
}

/* Rows of one account, chained. */
struct label {
	ds_store *st;
	struct ds_uplift_set *s;
	struct model_strmap ids; /* account id -> index */
	long *first, *next;      /* per account, per row */
	ds_time *start, *end;    /* per row: day D in the account's branch zone */
	int overdue;             /* the column of overdue_yuan */
	struct ds_diag *diag;
};

static ds_err index_rows(struct label *l)
{
	const ds_dataset *d = l->s->d;
	l->next = ds_malloc((size_t)d->nrows * sizeof *l->next + 1);
	l->start = ds_malloc((size_t)d->nrows * sizeof *l->start + 1);
	l->end = ds_malloc((size_t)d->nrows * sizeof *l->end + 1);
	if (!l->next || !l->start || !l->end)
		return DS_ENOMEM;
	for (long r = 0; r < d->nrows; r++) {
		long i;
		ds_err err = model_strmap_add(&l->ids, d->id[r], &i);
		if (err)
			return err;
		l->start[r] = l->end[r] = 0;
		(void)i;
	}
	long n = l->ids.n;
	l->first = ds_malloc((size_t)n * sizeof *l->first + 1);
	if (!l->first)
		return DS_ENOMEM;
	for (long i = 0; i < n; i++)
		l->first[i] = -1;
	for (long r = d->nrows - 1; r >= 0; r--) {
		long i = model_strmap_find(&l->ids, d->id[r]);
		l->next[r] = l->first[i];
		l->first[i] = r;
	}
	return DS_OK;
}

/* Each row's day D as instants, in the zone of its account's branch. */
static ds_err row_days(struct label *l)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(l->st,
	                              "SELECT a.account_id, b.timezone FROM accounts a"
	                              " JOIN branches b ON b.branch_id = a.branch_id",
	                              &s, l->diag);
	if (err)
		return err;
	bool more;
	while (!(err = ds_stmt_step(s, &more, l->diag)) && more) {
		long i = model_strmap_find(&l->ids, ds_stmt_text(s, 0));
		const char *zone = ds_stmt_text(s, 1);
		for (long r = i >= 0 ? l->first[i] : -1; r >= 0 && !err; r = l->next[r]) {
			int y, m, dd;
			ds_date_to_ymd(l->s->d->when[r], &y, &m, &dd);
			err = ds_tz_from_local(zone, y, m, dd, 0, 0, 0, &l->start[r]);
			ds_date_to_ymd(l->s->d->when[r] + 1, &y, &m, &dd);
			if (!err)
				err = ds_tz_from_local(zone, y, m, dd, 0, 0, 0, &l->end[r]);
			if (err)
				err = ds_diag_set(
				        l->diag, err, NULL, 0, "timezone",
				        "account %s: its branch's zone %s has no such day",
				        ds_stmt_text(s, 0), zone);
		}
	}
	ds_stmt_done(s);
	return err;
}

/* The strongest contact of each row's day, and whether one met a complaint. */
static ds_err row_treatments(struct label *l)
{
	ds_time lo = INT64_MAX, hi = INT64_MIN;
	for (long r = 0; r < l->s->d->nrows; r++) {
		lo = l->start[r] < lo ? l->start[r] : lo;
		hi = l->end[r] > hi ? l->end[r] : hi;
	}
	ds_stmt *s;
	ds_err err = ds_store_prepare(l->st,
	                              "SELECT account_id, started_at, channel, coalesce(note, ''),"
	                              " outcome = 'dispute'"
	                              " FROM contacts WHERE started_at >= ? AND started_at < ?",
	                              &s, l->diag);
	if (err)
		return err;
	ds_stmt_bind_int(s, 1, lo);
	ds_stmt_bind_int(s, 2, hi);
	bool more;
	while (!(err = ds_stmt_step(s, &more, l->diag)) && more) {
		long i = model_strmap_find(&l->ids, ds_stmt_text(s, 0));
		if (i < 0)
			continue;
		ds_time at = ds_stmt_int(s, 1);
		ds_treatment t = treatment_of(ds_stmt_text(s, 2), ds_stmt_text(s, 3));
		bool complaint = ds_stmt_int(s, 4) != 0;
		for (long r = l->first[i]; r >= 0; r = l->next[r]) {
			if (at < l->start[r] || at >= l->end[r])
				continue;
			if (strength(t) > strength((ds_treatment)l->s->treatment[r]))
				l->s->treatment[r] = (uint8_t)t;
			if (complaint)
				l->s->complaint[r] = 1;
		}
	}
	ds_stmt_done(s);
	return err;
}

/* What each row's account paid in [D, D + horizon), in yuan. */
static ds_err row_payments(struct label *l)
{
	ds_err err = ds_store_ledger_sync(l->st, l->diag);
	ds_stmt *s;
	if (err || (err = ds_store_prepare(
	                    l->st, "SELECT account_id, schedule, payments FROM account_ledger", &s,
	                    l->diag)))
		return err;
	struct ds_ledger_rows lr = { 0 };
	ds_dataset *d = l->s->d;
	for (long r = 0; r < d->nrows; r++)
		d->y[r] = 0;
	bool more;
	while (!(err = ds_stmt_step(s, &more, l->diag)) && more) {
		long i = model_strmap_find(&l->ids, ds_stmt_text(s, 0));
		if (i < 0)
			continue;
		if ((err = ds_ledger_rows_read(s, 1, &lr, l->diag)))
			break;
		for (long r = l->first[i]; r >= 0; r = l->next[r]) {
			ds_fen paid = 0;
			for (size_t k = 0; k < lr.npaid; k++)
				if (lr.paid[k].date >= d->when[r] &&
				    lr.paid[k].date < d->when[r] + l->s->horizon)
					paid += lr.paid[k].amount;
			/* the share of the overdue amount recovered: installments
			 * falling due later are paid whatever the bank does */
			double overdue = ds_dataset_at(d, r, l->overdue) * 100.0;
			d->y[r] = overdue > 0 ? (float)fmin(1.0, (double)paid / overdue) : 0.0f;
		}
	}
	ds_stmt_done(s);
	ds_ledger_rows_free(&lr);
	return err;
}

ds_err ds_uplift_collect(ds_store *st, ds_date observed_until, int snapshots, int step_days,
                         int horizon, struct ds_uplift_set *out, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	if (snapshots < 1 || snapshots > 400 || step_days < 1 || step_days > 365 || horizon < 1 ||
	    horizon > 365)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "uplift data: 1-400 snapshots, a step of 1-365 days and a "
		                   "horizon of 1-365 days");
	out->horizon = horizon;
	ds_date last = observed_until - horizon;
	ds_err err = DS_OK;
	for (int k = snapshots - 1; k >= 0 && !err; k--) {
		ds_dataset *snap;
		if ((err = ds_features_build(st, last - (ds_date)k * step_days, 0, &snap, diag)))
			break;
		if (!snap->y && !(snap->y = ds_calloc((size_t)snap->nrows + 1, sizeof *snap->y)))
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		if (!err && (err = model_dataset_append(&out->d, snap)))
			ds_diag_set(diag, err, NULL, 0, NULL, "out of memory");
		ds_dataset_free(snap);
	}
	if (!err && (!out->d || out->d->nrows == 0))
		err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, NULL,
		                  "no delinquent accounts on the snapshot dates");
	struct label l = { .st = st, .s = out, .diag = diag };
	if (!err)
		l.overdue = ds_dataset_feature(out->d, "overdue_yuan");
	if (!err && l.overdue < 0)
		err = ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                  "the features have no overdue_yuan");
	if (!err) {
		out->treatment = ds_calloc((size_t)out->d->nrows + 1, 1);
		out->complaint = ds_calloc((size_t)out->d->nrows + 1, 1);
		if (!out->treatment || !out->complaint || (err = index_rows(&l)))
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	if (!err && !(err = row_days(&l)) && !(err = row_treatments(&l)))
		err = row_payments(&l);
	model_strmap_free(&l.ids);
	ds_free(l.first);
	ds_free(l.next);
	ds_free(l.start);
	ds_free(l.end);
	if (err)
		ds_uplift_set_free(out);
	return err;
}

/* -------------------------------------------------------------- learners */

void ds_uplift_free(struct ds_uplift *u)
{
	if (!u)
		return;
	for (int t = 0; t < DS_T_COUNT; t++) {
		ds_model_free(u->outcome[t]);
		ds_model_free(u->propensity[t]);
		ds_model_free(u->transformed[t]);
		ds_model_free(u->effect_treated[t]);
		ds_model_free(u->effect_control[t]);
	}
	ds_model_free(u->harm);
	ds_free(u);
}

/* P(treatment t | x) for the listed rows, from one-vs-rest trees,
 * normalised over the treatments seen; prop is rows x DS_T_COUNT. */
static ds_err propensities(struct ds_uplift *u, const ds_dataset *d, const long *rows, long n,
                           double *prop, struct ds_diag *diag)
{
	double *p = ds_malloc((size_t)n * sizeof *p + 1);
	if (!p)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	for (long k = 0; k < n * DS_T_COUNT; k++)
		prop[k] = 0;
	ds_err err = DS_OK;
	for (int t = 0; t < DS_T_COUNT && !err; t++) {
		if (!u->propensity[t])
			continue;
		if (!(err = ds_model_predict(u->propensity[t], d, rows, n, p, diag)))
			for (long k = 0; k < n; k++)
				prop[k * DS_T_COUNT + t] = p[k];
	}
	for (long k = 0; k < n && !err; k++) {
		double sum = 0;
		for (int t = 0; t < DS_T_COUNT; t++)
			sum += prop[k * DS_T_COUNT + t];
		for (int t = 0; t < DS_T_COUNT; t++) {
			double e = sum > 0 ? prop[k * DS_T_COUNT + t] / sum : 0;
			prop[k * DS_T_COUNT + t] =
			        u->propensity[t] ? fmin(fmax(e, CLIP_TO), 1 - CLIP_TO) : 0;
		}
	}
	ds_free(p);
	return err;
}

/* The complaint rates per treatment and, when there are complaints enough,
 * a classifier of who complains over all contacts (y and list: scratch). */
static ds_err train_harm(struct ds_uplift *u, const struct ds_uplift_set *s, const long *rows,
                         long n, ds_dataset *view, float *y, long *list,
                         const struct ds_train_opts *co, struct ds_diag *diag)
{
	long m = 0, all = 0;
	for (long k = 0; k < n; k++) {
		long r = rows ? rows[k] : k;
		if (s->treatment[r] == DS_T_NONE)
			continue;
		u->complaints[s->treatment[r]] += s->complaint[r];
		all += s->complaint[r];
		y[r] = s->complaint[r];
		list[m++] = r;
	}
	double mean = m > 0 ? (double)all / (double)m : 0;
	for (int t = 1; t < DS_T_COUNT; t++)
		u->harm_rate[t] = ((double)u->complaints[t] + DS_HARM_PRIOR_ROWS * mean) /
		                  ((double)u->rows[t] + DS_HARM_PRIOR_ROWS);
	if (all < MIN_HARM_COMPLAINTS || all == m)
		return DS_OK;
	ds_err err = ds_model_train(view, list, m, co, &u->harm, diag);
	double *p = err ? NULL : ds_malloc((size_t)m * sizeof *p + 1);
	if (!err && !p)
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	if (!err && !(err = ds_model_predict(u->harm, s->d, list, m, p, diag))) {
		double sum = 0;
		for (long k = 0; k < m; k++)
			sum += p[k];
		u->harm_mean = sum / (double)m;
	}
	ds_free(p);
	return err;
}

ds_err ds_uplift_harm(const struct ds_uplift *u, const ds_dataset *d, const long *rows, long n,
                      double *out, struct ds_diag *diag)
{
	if (!rows)
		n = d->nrows;
	double *p = ds_malloc((size_t)n * sizeof *p + 1);
	if (!p)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	ds_err err = DS_OK;
	bool learnt = u->harm && u->harm_mean > 0;
	if (learnt)
		err = ds_model_predict(u->harm, d, rows, n, p, diag);
	for (long k = 0; k < n && !err; k++) {
		out[k * DS_T_COUNT + DS_T_NONE] = 0;
		double rel = learnt ? p[k] / u->harm_mean : 1;
		for (int t = 1; t < DS_T_COUNT; t++)
			out[k * DS_T_COUNT + t] = fmin(1.0, u->harm_rate[t] * rel);
	}
	ds_free(p);
	return err;
}

ds_err ds_uplift_train(const struct ds_uplift_set *s, const long *rows, long n,
                       const struct ds_train_opts *o, struct ds_uplift **out, struct ds_diag *diag)
{
	*out = NULL;
	if (!rows)
		n = s->d->nrows;
	struct ds_uplift *u = ds_calloc(1, sizeof *u);
	long *list = ds_malloc((size_t)n * sizeof *list + 1);
	float *w = ds_malloc((size_t)n * sizeof *w + 1);
	double *prop = ds_malloc((size_t)n * DS_T_COUNT * sizeof *prop + 1);
	ds_err err = DS_OK;
	if (!u || !list || !w || !prop) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	double ysum[DS_T_COUNT] = { 0 }, ysq[DS_T_COUNT] = { 0 };
	for (long k = 0; k < n; k++) {
		long r = rows ? rows[k] : k;
		double y = s->d->y[r];
		u->rows[s->treatment[r]]++;
		ysum[s->treatment[r]] += y;
		ysq[s->treatment[r]] += y * y;
	}
	for (int t = 0; t < DS_T_COUNT; t++)
		if (u->rows[t] > 1) {
			double m = ysum[t] / (double)u->rows[t];
			u->y_var[t] = fmax(0, (ysq[t] - (double)u->rows[t] * m * m) /
			                              (double)(u->rows[t] - 1));
		}
	/* propensities: the same features, y = got treatment t */
	ds_dataset view = *s->d;
	float *y = ds_malloc((size_t)s->d->nrows * sizeof *y + 1);
	if (!y) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	view.y = y;
	struct ds_train_opts po = *o;
	po.regression = false;
	for (int t = 0; t < DS_T_COUNT && !err; t++) {
		if (u->rows[t] < MIN_ARM_ROWS || u->rows[t] == n)
			continue;
		for (long r = 0; r < s->d->nrows; r++)
			y[r] = s->treatment[r] == t ? 1.0f : 0.0f;
		err = ds_model_train(&view, rows, n, &po, &u->propensity[t], diag);
	}
	if (!err)
		err = propensities(u, s->d, rows, n, prop, diag);
	/* T-learner: per treatment, its rows weighted by 1 / e_t(x) */
	struct ds_train_opts ro = *o;
	ro.regression = true;
	for (int t = 0; t < DS_T_COUNT && !err; t++) {
		if (!u->propensity[t])
			continue;
		long m = 0;
		for (long k = 0; k < n; k++) {
			long r = rows ? rows[k] : k;
			if (s->treatment[r] == t) {
				list[m] = r;
				w[m++] = (float)(1.0 / fmax(prop[k * DS_T_COUNT + t], CLIP));
			}
		}
		err = ds_model_train_weighted(s->d, list, m, w, &ro, &u->outcome[t], diag);
	}
	/* X-learner: each arm's imputed effects, from the other arm's model */
	double *mu = ds_malloc((size_t)s->d->nrows * sizeof *mu + 1);
	if (!mu && !err)
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	for (int t = 1; t < DS_T_COUNT && !err && !s->plan_only; t++) {
		if (!u->outcome[t] || !u->outcome[DS_T_NONE])
			continue;
		for (int side = 0; side < 2 && !err; side++) {
			/* side 0: treated rows, y - mu0; side 1: rows of none, mu_t - y */
			int arm = side == 0 ? t : DS_T_NONE;
			long m = 0;
			for (long k = 0; k < n; k++) {
				long r = rows ? rows[k] : k;
				if (s->treatment[r] == arm)
					list[m++] = r;
			}
			const ds_model *other = side == 0 ? u->outcome[DS_T_NONE] : u->outcome[t];
			if ((err = ds_model_predict(other, s->d, list, m, mu, diag)))
				break;
			for (long k = 0; k < m; k++)
				y[list[k]] = (float)(side == 0 ? s->d->y[list[k]] - mu[k]
				                               : mu[k] - s->d->y[list[k]]);
			err = ds_model_train(
			        &view, list, m, &ro,
			        side == 0 ? &u->effect_treated[t] : &u->effect_control[t], diag);
		}
	}
	ds_free(mu);
	/* transformed outcome against none, on the rows of t or none */
	for (int t = 1; t < DS_T_COUNT && !err && !s->plan_only; t++) {
		if (!u->propensity[t] || !u->propensity[DS_T_NONE])
			continue;
		long m = 0;
		for (long k = 0; k < n; k++) {
			long r = rows ? rows[k] : k;
			int tr = s->treatment[r];
			if (tr != t && tr != DS_T_NONE)
				continue;
			double et = prop[k * DS_T_COUNT + t], en = prop[k * DS_T_COUNT + DS_T_NONE];
			double e = fmin(fmax(et / (et + en), CLIP_TO), 1 - CLIP_TO);
			double wz = tr == t ? 1.0 : 0.0;
			y[r] = (float)(s->d->y[r] * (wz - e) / (e * (1 - e)));
			list[m++] = r;
		}
		err = ds_model_train(&view, list, m, &ro, &u->transformed[t], diag);
	}
	if (!err)
		err = train_harm(u, s, rows, n, &view, y, list, &po, diag);
	ds_free(y);
done:
	ds_free(list);
	ds_free(w);
	ds_free(prop);
	if (err) {
		ds_uplift_free(u);
		return err;
	}
	*out = u;
	return DS_OK;
}

ds_err ds_uplift_predict(const struct ds_uplift *u, const ds_dataset *d, const long *rows, long n,
                         enum ds_uplift_learner how, double *out, struct ds_diag *diag)
{
	if (!rows)
		n = d->nrows;
	int fo = ds_dataset_feature(d, "overdue_yuan");
	if (fo < 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "the features have no overdue_yuan");
	double *p = ds_malloc((size_t)n * sizeof *p + 1);
	double *q = ds_malloc((size_t)n * sizeof *q + 1);
	double *prop = ds_malloc((size_t)n * DS_T_COUNT * sizeof *prop + 1);
	ds_err err = p && q && prop ? DS_OK
	                            : ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	for (long k = 0; k < n * DS_T_COUNT; k++)
		out[k] = NAN;
	for (long k = 0; k < n; k++)
		out[k * DS_T_COUNT + DS_T_NONE] = 0;
	if (!err && how == DS_UPLIFT_X_LEARNER)
		err = propensities((struct ds_uplift *)u, d, rows, n, prop, diag);
	for (int t = 1; t < DS_T_COUNT && !err; t++) {
		switch (how) {
		case DS_UPLIFT_T_LEARNER:
			if (!u->outcome[t] || !u->outcome[DS_T_NONE])
				continue;
			if (!(err = ds_model_predict(u->outcome[t], d, rows, n, p, diag)) &&
			    !(err = ds_model_predict(u->outcome[DS_T_NONE], d, rows, n, q, diag)))
				for (long k = 0; k < n; k++)
					out[k * DS_T_COUNT + t] = p[k] - q[k];
			break;
		case DS_UPLIFT_X_LEARNER:
			if (!u->effect_treated[t] || !u->effect_control[t])
				continue;
			if (!(err = ds_model_predict(u->effect_treated[t], d, rows, n, p, diag)) &&
			    !(err = ds_model_predict(u->effect_control[t], d, rows, n, q, diag)))
				for (long k = 0; k < n; k++) {
					/* the effect learnt from the larger arm weighs more
					 * where that arm is likelier */
					double et = prop[k * DS_T_COUNT + t],
					       en = prop[k * DS_T_COUNT + DS_T_NONE];
					double g = et + en > 0 ? et / (et + en) : 0.5;
					out[k * DS_T_COUNT + t] = g * q[k] + (1 - g) * p[k];
				}
			break;
		case DS_UPLIFT_TRANSFORMED:
			if (!u->transformed[t])
				continue;
			if (!(err = ds_model_predict(u->transformed[t], d, rows, n, p, diag)))
				for (long k = 0; k < n; k++)
					out[k * DS_T_COUNT + t] = p[k];
			break;
		}
	}
	/* shares of the overdue amount, in yuan */
	for (long k = 0; k < n && !err; k++) {
		double overdue = ds_dataset_at(d, rows ? rows[k] : k, fo);
		for (int t = 1; t < DS_T_COUNT; t++)
			out[k * DS_T_COUNT + t] *= isnan(overdue) ? 0 : overdue;
	}
	ds_free(p);
	ds_free(q);
	ds_free(prop);
	return err;
}

/* ------------------------------------------------------------ evaluation */

struct ranked {
	double score;
	float y;
	bool treated;
};

static int by_score(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	return (x->score < y->score) - (x->score > y->score);
}

ds_err ds_uplift_qini(const double *score, const float *y, const bool *treated, long n,
                      struct ds_qini *out, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	struct ranked *r = ds_malloc((size_t)n * sizeof *r + 1);
	if (!r)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	long nt = 0, nc = 0;
	double yt = 0, yc = 0;
	for (long k = 0; k < n; k++) {
		r[k] = (struct ranked){ score[k], y[k], treated[k] };
		nt += treated[k];
		nc += !treated[k];
		yt += treated[k] ? y[k] : 0;
		yc += treated[k] ? 0 : y[k];
	}
	out->treated = nt;
	out->control = nc;
	if (nt == 0 || nc == 0) {
		ds_free(r);
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "a Qini curve needs treated and control rows (%ld and %ld)", nt,
		                   nc);
	}
	qsort(r, (size_t)n, sizeof *r, by_score);
	/* Q(k): treated outcome so far less control outcome so far scaled to
	 * the treated count; the area between it and the straight line to
	 * Q(n), per row */
	double q_all = yt - yc * (double)nt / (double)nc;
	double area = 0, st = 0, sc = 0;
	long ct = 0, cc = 0;
	for (long k = 0; k < n; k++) {
		if (r[k].treated) {
			ct++;
			st += r[k].y;
		} else {
			cc++;
			sc += r[k].y;
		}
		double q = st - (cc ? sc * (double)ct / (double)cc : 0);
		area += q - q_all * (double)(k + 1) / (double)n;
	}
	out->qini = area / (double)n / (double)nt;
	out->uplift_all = q_all / (double)nt;
	/* the top tenth against all */
	long top = n / 10 > 0 ? n / 10 : 1;
	double t1 = 0, c1 = 0;
	long n1 = 0, m1 = 0;
	for (long k = 0; k < top; k++) {
		if (r[k].treated) {
			t1 += r[k].y;
			n1++;
		} else {
			c1 += r[k].y;
			m1++;
		}
	}
	out->uplift_top10 = n1 && m1 ? t1 / (double)n1 - c1 / (double)m1 : NAN;
	ds_free(r);
	return DS_OK;
}

const char *ds_uplift_learner_name(enum ds_uplift_learner l)
{
	switch (l) {
	case DS_UPLIFT_X_LEARNER:
		return "x_learner";
	case DS_UPLIFT_T_LEARNER:
		return "t_learner";
	case DS_UPLIFT_TRANSFORMED:
		return "transformed_outcome";
	}
	return "?";
}

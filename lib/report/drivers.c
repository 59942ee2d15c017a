/*
 * What drives results (report.h, ds_report_drivers; docs/reports.md
 * "What drives results"): the visits with an outcome, each followed for a
 * horizon, against the borrower's attitude at the door, the community's
 * cooperation and the collector's training and experience, with controls
 * — a logistic regression for the cure and a linear one for the yuan
 * paid, both with heteroskedasticity-robust (sandwich) standard errors.
 * Observational: the visits were not assigned at random to attitudes or
 * collectors, so the coefficients are associations.
 */
#include "doorstep/portfolio.h"
#include "doorstep/report.h"
#include "doorstep/rules.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ estimators */

/* (A)^-1 for a symmetric positive definite k x k matrix, in place;
 * DS_EINVAL when singular (a regressor constant or collinear). */
static ds_err spd_inverse(double *a, int k, struct ds_diag *diag)
{
	gsl_matrix_view m = gsl_matrix_view_array(a, (size_t)k, (size_t)k);
	double scale[DS_DRIVERS_MAXK];
	for (int i = 0; i < k; i++)
		scale[i] = sqrt(fabs(a[i * k + i]));
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	int rc = gsl_linalg_cholesky_decomp1(&m.matrix);
	/* a pivot that all but vanished: a regressor the others explain */
	for (int i = 0; !rc && i < k; i++)
		if (!(gsl_matrix_get(&m.matrix, (size_t)i, (size_t)i) > 1e-7 * scale[i]))
			rc = GSL_EDOM;
	if (!rc)
		rc = gsl_linalg_cholesky_invert(&m.matrix);
	gsl_set_error_handler(old);
	if (rc)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "the regressors are collinear or one does not vary");
	return DS_OK;
}

/* The sandwich: V = B^-1 M B^-1 * scale, se = sqrt(diag V). */
static void sandwich(const double *binv, const double *meat, int k, double scale, double *se)
{
	for (int i = 0; i < k; i++) {
		double v = 0;
		for (int a = 0; a < k; a++)
			for (int b = 0; b < k; b++)
				v += binv[i * k + a] * meat[a * k + b] * binv[b * k + i];
		se[i] = sqrt(v * scale > 0 ? v * scale : 0);
	}
}

ds_err ds_regress_ols(const double *X, const double *y, long n, int k, double *beta, double *se,
                      struct ds_diag *diag)
{
	if (k < 1 || k > DS_DRIVERS_MAXK || n <= k)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "%ld observations for %d coefficients", n, k);
	double xtx[DS_DRIVERS_MAXK * DS_DRIVERS_MAXK] = { 0 }, xty[DS_DRIVERS_MAXK] = { 0 };
	for (long r = 0; r < n; r++)
		for (int i = 0; i < k; i++) {
			xty[i] += X[r * k + i] * y[r];
			for (int j = 0; j < k; j++)
				xtx[i * k + j] += X[r * k + i] * X[r * k + j];
		}
	ds_err err = spd_inverse(xtx, k, diag);
	if (err)
		return err;
	for (int i = 0; i < k; i++) {
		beta[i] = 0;
		for (int j = 0; j < k; j++)
			beta[i] += xtx[i * k + j] * xty[j];
	}
	double meat[DS_DRIVERS_MAXK * DS_DRIVERS_MAXK] = { 0 };
	for (long r = 0; r < n; r++) {
		double e = y[r];
		for (int i = 0; i < k; i++)
			e -= X[r * k + i] * beta[i];
		for (int i = 0; i < k; i++)
			for (int j = 0; j < k; j++)
				meat[i * k + j] += e * e * X[r * k + i] * X[r * k + j];
	}
	/* HC1: the small-sample factor n / (n - k) */
	sandwich(xtx, meat, k, (double)n / (double)(n - k), se);
	return DS_OK;
}

ds_err ds_regress_logit(const double *X, const double *y, long n, int k, double *beta, double *se,
                        struct ds_diag *diag)
{
	if (k < 1 || k > DS_DRIVERS_MAXK || n <= k)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "%ld observations for %d coefficients", n, k);
	for (int i = 0; i < k; i++)
		beta[i] = 0;
	double h[DS_DRIVERS_MAXK * DS_DRIVERS_MAXK], g[DS_DRIVERS_MAXK];
	ds_err err = DS_OK;
	bool converged = false;
	/* Newton-Raphson (iteratively reweighted least squares) */
	for (int it = 0; it < 50 && !converged; it++) {
		memset(h, 0, sizeof h);
		memset(g, 0, sizeof g);
		for (long r = 0; r < n; r++) {
			double eta = 0;
			for (int i = 0; i < k; i++)
				eta += X[r * k + i] * beta[i];
			double p = 1 / (1 + exp(-eta)), w = p * (1 - p);
			for (int i = 0; i < k; i++) {
				g[i] += (y[r] - p) * X[r * k + i];
				for (int j = 0; j < k; j++)
					h[i * k + j] += w * X[r * k + i] * X[r * k + j];
			}
		}
		if ((err = spd_inverse(h, k, diag)))
			return err;
		double step = 0;
		for (int i = 0; i < k; i++) {
			double d = 0;
			for (int j = 0; j < k; j++)
				d += h[i * k + j] * g[j];
			beta[i] += d;
			step = fmax(step, fabs(d));
		}
		/* separation: some fitted chances run off to 0 or 1 (a linear
		 * predictor past 35: p within 1e-15) as the estimates diverge */
		double far = 0;
		for (long r = 0; r < n; r++) {
			double eta = 0;
			for (int i = 0; i < k; i++)
				eta += X[r * k + i] * beta[i];
			far = isfinite(eta) ? fmax(far, fabs(eta)) : INFINITY;
		}
		if (far > 35)
			return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
			                   "the cure is perfectly predicted by a regressor "
			                   "(separation): no finite estimate");
		converged = step < 1e-9;
	}
	if (!converged)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "the logistic regression did not converge");
	/* the information at the estimate, and the robust meat */
	double meat[DS_DRIVERS_MAXK * DS_DRIVERS_MAXK] = { 0 };
	memset(h, 0, sizeof h);
	for (long r = 0; r < n; r++) {
		double eta = 0;
		for (int i = 0; i < k; i++)
			eta += X[r * k + i] * beta[i];
		double p = 1 / (1 + exp(-eta)), w = p * (1 - p), e = y[r] - p;
		for (int i = 0; i < k; i++)
			for (int j = 0; j < k; j++) {
				h[i * k + j] += w * X[r * k + i] * X[r * k + j];
				meat[i * k + j] += e * e * X[r * k + i] * X[r * k + j];
			}
	}
	if ((err = spd_inverse(h, k, diag)))
		return err;
	sandwich(h, meat, k, (double)n / (double)(n - k), se);
	return DS_OK;
}

/* ------------------------------------------------------------ the data */

static const char *const NAMES[DS_DRIVERS_K] = {
	"intercept",         "attitude_cooperative", "attitude_hostile",
	"community_partner", "worker_on_team",       "collector_certified",
	"collector_years",   "months_past_due",      "log_balance_yuan",
};
static const char *const NAMES_ZH[DS_DRIVERS_K] = {
	"截距",       "态度：配合",     "态度：敌对",         "社区为合作社区", "社区工作者同行",
	"催收员持证", "催收员从业年限", "逾期月数（上门时）", "余额（对数）",
};

struct obs {
	char account[65];
	ds_date day, end; /* the visit's, and the horizon's end */
	double x[DS_DRIVERS_K];
	double paid;
	int dpd_end; /* -1: not seen open (closed): cured */
	int dpd_at;  /* -1: not open at the visit */
	ds_fen balance;
};

struct walk {
	struct obs *o;
	long n;
	ds_date day;
	bool at_end;      /* filling dpd_end, else dpd_at */
	const char **ids; /* the accounts needed that day, sorted */
	long *idx;
	long nids;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The account's state that day, into one observation. */
static void note(const struct walk *w, long i, const struct ds_account_dpd *a)
{
	struct obs *o = &w->o[w->idx[i]];
	if (w->at_end) {
		o->dpd_end = a->d.dpd;
	} else {
		o->dpd_at = a->d.dpd;
		o->balance = a->balance_fen;
	}
}

static ds_err seen(void *ctx, const struct ds_account_dpd *a)
{
	struct walk *w = ctx;
	const char *key = a->account_id;
	const char **hit = bsearch(&key, w->ids, (size_t)w->nids, sizeof *w->ids, cmp_str);
	if (!hit)
		return DS_OK;
	/* every observation of that account on that day: the run of equal
	 * ids around the one bsearch found */
	long first = hit - w->ids, last = first;
	while (first > 0 && strcmp(w->ids[first - 1], key) == 0)
		first--;
	while (last + 1 < w->nids && strcmp(w->ids[last + 1], key) == 0)
		last++;
	for (long i = first; i <= last; i++)
		note(w, i, a);
	return DS_OK;
}

struct pair {
	const char *id;
	long i;
};

static int cmp_pair(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->id, ((const struct pair *)b)->id);
}

/* The delinquency of each observation's account on its visit's day and at
 * its horizon's end: one portfolio walk per distinct day. */
static ds_err delinquency(ds_store *st, struct obs *o, long n, struct ds_diag *diag)
{
	ds_err err = DS_OK;
	struct pair *pp = ds_malloc(sizeof *pp * (size_t)(n + 1));
	const char **ids = ds_malloc(sizeof *ids * (size_t)(n + 1));
	long *idx = ds_malloc(sizeof *idx * (size_t)(n + 1));
	bool *done = ds_calloc((size_t)(2 * n + 1), 1);
	if (!pp || !ids || !idx || !done) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto out;
	}
	for (int pass = 0; pass < 2 && !err; pass++) {
		for (long i = 0; i < n && !err; i++) {
			if (done[pass * n + i])
				continue;
			ds_date day = pass ? o[i].end : o[i].day;
			long m = 0;
			for (long j = i; j < n; j++)
				if ((pass ? o[j].end : o[j].day) == day) {
					pp[m].id = o[j].account;
					pp[m++].i = j;
					done[pass * n + j] = true;
				}
			qsort(pp, (size_t)m, sizeof *pp, cmp_pair);
			for (long j = 0; j < m; j++) {
				ids[j] = pp[j].id;
				idx[j] = pp[j].i;
			}
			struct walk w = { o, n, day, pass == 1, ids, idx, m };
			err = ds_portfolio_each(st, day, seen, &w, diag);
		}
	}
out:
	ds_free(pp);
	ds_free(ids);
	ds_free(idx);
	ds_free(done);
	return err;
}

/* The estimates of the kept columns into their places; the dropped ones
 * (a regressor that did not vary) marked so. */
static void fill(struct ds_driver *out, const double *b, const double *se, const bool *keep)
{
	double z = gsl_cdf_ugaussian_Pinv(0.975);
	for (int i = 0, j = 0; i < DS_DRIVERS_K; i++) {
		memset(&out[i], 0, sizeof out[i]);
		ds_strlcpy(out[i].name, NAMES[i], sizeof out[i].name);
		ds_strlcpy(out[i].name_zh, NAMES_ZH[i], sizeof out[i].name_zh);
		if (!keep[i]) {
			out[i].dropped = true;
			out[i].p = 1;
			continue;
		}
		out[i].coef = b[j];
		out[i].se = se[j];
		out[i].lo = b[j] - z * se[j];
		out[i].hi = b[j] + z * se[j];
		out[i].p = se[j] > 0 ? 2 * gsl_cdf_ugaussian_Q(fabs(b[j] / se[j])) : 1;
		j++;
	}
}

ds_err ds_report_drivers(ds_store *st, ds_date from, ds_date to, int horizon,
                         struct ds_drivers *out, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	out->k = DS_DRIVERS_K;
	out->horizon = horizon;
	if (horizon < 1 || horizon > 365)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "horizon", "1 to 365 days");
	char f[11], t[11];
	ds_date_format(from, f);
	ds_date_format(to - horizon, t); /* the horizon observed by `to` */
	ds_stmt *s;
	/* each visit with an outcome: the borrower's attitude, the
	 * community, whether a worker of it was on the team, and the team's
	 * collector (the longest serving, when two) on the visit's day —
	 * certified as the rules count it (DS_RULES_CERTIFICATE) */
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT v.account_id, v.visit_date, coalesce(v.attitude, 'none'),"
	        " CASE WHEN c.partner_status IN ('active', 'pilot') THEN 1 ELSE 0 END,"
	        " EXISTS (SELECT 1 FROM team_members m JOIN staff s ON s.staff_id = m.staff_id"
	        "  WHERE m.team_id = v.team_id AND s.role = 'community_worker'"
	        "  AND s.community_id = b.community_id),"
	        " (SELECT EXISTS (SELECT 1 FROM certifications k WHERE k.staff_id = s.staff_id"
	        "  AND k.cert = ?1 AND k.issued_date <= v.visit_date AND (k.expires_date IS NULL"
	        "  OR k.expires_date = '' OR k.expires_date >= v.visit_date))"
	        "  FROM team_members m JOIN staff s ON s.staff_id = m.staff_id"
	        "  WHERE m.team_id = v.team_id AND s.role = 'collector'"
	        "  ORDER BY s.hired_date, s.staff_id LIMIT 1),"
	        " (SELECT julianday(v.visit_date) - julianday(s.hired_date) FROM team_members m"
	        "  JOIN staff s ON s.staff_id = m.staff_id WHERE m.team_id = v.team_id"
	        "  AND s.role = 'collector' AND s.hired_date IS NOT NULL"
	        "  ORDER BY s.hired_date, s.staff_id LIMIT 1),"
	        " (SELECT coalesce(sum(p.amount_fen), 0) FROM payments p"
	        "  WHERE p.account_id = v.account_id AND p.value_date >= v.visit_date"
	        "  AND julianday(p.value_date) < julianday(v.visit_date) + ?2)"
	        " FROM visits v JOIN accounts a ON a.account_id = v.account_id"
	        " JOIN borrowers b ON b.borrower_id = a.borrower_id"
	        " LEFT JOIN communities c ON c.community_id = b.community_id"
	        " WHERE v.outcome IS NOT NULL AND v.visit_date >= ?3 AND v.visit_date <= ?4"
	        " AND v.team_id IS NOT NULL ORDER BY v.visit_date, v.visit_id",
	        &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, DS_RULES_CERTIFICATE);
	ds_stmt_bind_int(s, 2, horizon);
	ds_stmt_bind_text(s, 3, f);
	ds_stmt_bind_text(s, 4, t);
	struct obs *o = NULL;
	long n = 0, cap = 0;
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if (ds_stmt_is_null(s, 5) || ds_stmt_is_null(s, 6))
			continue; /* no collector on the team, or no hiring date */
		if ((err = ds_grow((void **)&o, &cap, n, sizeof *o, 256, diag)))
			break;
		struct obs *x = &o[n];
		memset(x, 0, sizeof *x);
		ds_strlcpy(x->account, ds_stmt_text(s, 0), sizeof x->account);
		if (ds_date_parse(ds_stmt_text(s, 1), &x->day))
			continue;
		x->end = x->day + horizon;
		const char *att = ds_stmt_text(s, 2);
		x->x[0] = 1;
		x->x[1] = strcmp(att, "cooperative") == 0;
		x->x[2] = strcmp(att, "hostile") == 0;
		x->x[3] = (double)ds_stmt_int(s, 3);
		x->x[4] = (double)ds_stmt_int(s, 4);
		x->x[5] = (double)ds_stmt_int(s, 5);
		x->x[6] = ds_stmt_real(s, 6) / 365.25;
		x->paid = (double)ds_stmt_int(s, 7) / 100;
		x->dpd_at = x->dpd_end = -1;
		n++;
	}
	ds_stmt_done(s);
	if (!err)
		err = delinquency(st, o, n, diag);
	/* the visits whose account was open and past due at the visit */
	long m = 0;
	for (long i = 0; !err && i < n; i++) {
		if (o[i].dpd_at <= 0)
			continue;
		o[i].x[7] = o[i].dpd_at / 30.0;
		o[i].x[8] = log1p((double)(o[i].balance > 0 ? o[i].balance : 0) / 100);
		o[m++] = o[i];
	}
	out->n = m;
	double *X = NULL, *yc = NULL, *yp = NULL;
	if (!err && m > 0) {
		X = ds_malloc(sizeof *X * (size_t)m * DS_DRIVERS_K);
		yc = ds_malloc(sizeof *yc * (size_t)m);
		yp = ds_malloc(sizeof *yp * (size_t)m);
		if (!X || !yc || !yp)
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	if (!err && m > 0) {
		double cured = 0, paid = 0;
		/* a regressor that does not vary here (every collector certified,
		 * say) is left out and reported so, not fatal to the rest */
		bool keep[DS_DRIVERS_K];
		int kk = 0;
		for (int j = 0; j < DS_DRIVERS_K; j++) {
			keep[j] = j == 0;
			for (long i = 1; i < m && !keep[j]; i++)
				keep[j] = o[i].x[j] != o[0].x[j];
			kk += keep[j];
		}
		for (long i = 0; i < m; i++) {
			for (int j = 0, c = 0; j < DS_DRIVERS_K; j++)
				if (keep[j])
					X[i * kk + c++] = o[i].x[j];
			yc[i] = o[i].dpd_end <= 0; /* current, or closed */
			yp[i] = o[i].paid;
			cured += yc[i];
			paid += yp[i];
		}
		out->cure_rate = cured / (double)m;
		out->paid_mean = paid / (double)m;
		double b[DS_DRIVERS_K], se[DS_DRIVERS_K];
		struct ds_diag quiet;
		ds_diag_clear(&quiet);
		/* too few visits for nine coefficients is "not enough data", not an error */
		if (m >= DS_DRIVERS_MIN_N) {
			if (ds_regress_logit(X, yc, m, kk, b, se, &quiet) == DS_OK) {
				fill(out->cure, b, se, keep);
				out->cure_ok = true;
			} else {
				ds_strlcpy(out->cure_why, quiet.msg, sizeof out->cure_why);
			}
			ds_diag_clear(&quiet);
			if (ds_regress_ols(X, yp, m, kk, b, se, &quiet) == DS_OK) {
				fill(out->paid, b, se, keep);
				out->paid_ok = true;
			} else {
				ds_strlcpy(out->paid_why, quiet.msg, sizeof out->paid_why);
			}
		}
	}
	if (!err && m < DS_DRIVERS_MIN_N) {
		snprintf(out->cure_why, sizeof out->cure_why,
		         "%ld visits with an outcome and %d days observed; at least %d are needed",
		         m, horizon, DS_DRIVERS_MIN_N);
		ds_strlcpy(out->paid_why, out->cure_why, sizeof out->paid_why);
	}
	ds_free(X);
	ds_free(yc);
	ds_free(yp);
	ds_free(o);
	return err;
}

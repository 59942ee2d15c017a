/*
 * An experiment's outcome read back from the store (plan.h): the accounts
 * from their first decision, what they paid from the account ledger, and
 * the arms compared.
 */
#include "doorstep/plan.h"
#include "doorstep/portfolio.h"

#include <stdlib.h>
#include <string.h>

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct ds_entrant *)a)->id, ((const struct ds_entrant *)b)->id);
}

ds_err ds_experiment_entrants(ds_store *st, const char *experiment, int horizon, ds_date as_of,
                              struct ds_entrant **out, long *n, struct ds_diag *diag)
{
	*out = NULL;
	*n = 0;
	struct ds_entrant *e = NULL;
	long cap = 0;
	ds_stmt *s;
	bool row;
	ds_err err = ds_store_prepare(st,
	                              "SELECT account_id, min(plan_date), max(CASE WHEN arm = "
	                              "'holdout' THEN 1 ELSE 0 END)"
	                              " FROM decisions WHERE experiment_id = ?"
	                              " GROUP BY account_id ORDER BY account_id",
	                              &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, experiment);
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		ds_date day;
		if (ds_date_parse(ds_stmt_text(s, 1), &day) || day + horizon > as_of)
			continue; /* its window is not all observed yet */
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			struct ds_entrant *p = ds_realloc(e, (size_t)cap * sizeof *p);
			if (!p) {
				err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
				break;
			}
			e = p;
		}
		struct ds_entrant *x = &e[(*n)++];
		ds_strlcpy(x->id, ds_stmt_text(s, 0), sizeof x->id);
		x->holdout = ds_stmt_int(s, 2) != 0;
		x->entered = day;
		x->paid = 0;
	}
	ds_stmt_done(s);
	if (err) {
		ds_free(e);
		*n = 0;
		return err;
	}
	*out = e;
	return DS_OK;
}

ds_err ds_experiment_paid(ds_store *st, struct ds_entrant *e, long n, int horizon,
                          struct ds_diag *diag)
{
	for (long k = 0; k < n; k++)
		e[k].paid = 0;
	if (n == 0)
		return DS_OK; /* no entrant: nothing to look up */
	ds_stmt *s;
	bool row;
	ds_err err = ds_store_ledger_sync(st, diag);
	if (err ||
	    (err = ds_store_prepare(st, "SELECT account_id, schedule, payments FROM account_ledger",
	                            &s, diag)))
		return err;
	struct ds_ledger_rows lr = { 0 };
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		struct ds_entrant key;
		ds_strlcpy(key.id, ds_stmt_text(s, 0), sizeof key.id);
		struct ds_entrant *hit = bsearch(&key, e, (size_t)n, sizeof *e, by_id);
		if (!hit)
			continue;
		if ((err = ds_ledger_rows_read(s, 1, &lr, diag)))
			break;
		for (size_t k = 0; k < lr.npaid; k++)
			if (lr.paid[k].date >= hit->entered &&
			    lr.paid[k].date < hit->entered + horizon)
				hit->paid += (double)lr.paid[k].amount / 100.0;
	}
	ds_stmt_done(s);
	ds_ledger_rows_free(&lr);
	return err;
}

ds_err ds_experiment_compare(const struct ds_entrant *e, long n, double confidence,
                             struct ds_experiment_result *out, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	double *y1 = ds_malloc((size_t)n * sizeof *y1 + 1);
	double *y0 = ds_malloc((size_t)n * sizeof *y0 + 1);
	ds_err err = DS_OK;
	if (!y1 || !y0) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	long n1 = 0, n0 = 0, x1 = 0, x0 = 0;
	for (long k = 0; k < n; k++) {
		if (e[k].holdout) {
			y0[n0++] = e[k].paid;
			x0 += e[k].paid > 0;
		} else {
			y1[n1++] = e[k].paid;
			x1 += e[k].paid > 0;
		}
	}
	out->treated = n1;
	out->held_out = n0;
	if (n1 == 0 || n0 == 0) {
		err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, NULL,
		                  "%ld treated and %ld held-out accounts: both arms are needed", n1,
		                  n0);
		goto done;
	}
	if (!(err = ds_diff_proportions(x1, n1, x0, n0, confidence, &out->paid_share, diag)))
		err = ds_diff_means_bootstrap(y1, n1, y0, n0, confidence, 2000, 20261129,
		                              &out->yuan, diag);
done:
	ds_free(y1);
	ds_free(y0);
	return err;
}

/*
 * The daily scoring run: features of every delinquent account, both
 * champions, quadrants and reasons, written back to the store.
 */
#include "doorstep/store.h"
#include "model-int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const quadrants[4] = { "able_willing", "able_unwilling", "unable_willing",
	                                  "unable_unwilling" };

const char *ds_quadrant_name(int q)
{
	return q >= 0 && q < 4 ? quadrants[q] : "?";
}

int ds_quadrant_of(const struct ds_quadrant_cuts *cuts, double ability, double willingness)
{
	return (ability >= cuts->ability ? 0 : 2) + (willingness >= cuts->willingness ? 0 : 1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void add_reasons(struct ds_buf *b, const ds_model *m, const struct ds_reason *r, int n)
{
	ds_buf_adds(b, "[");
	for (int k = 0; k < n; k++)
		ds_buf_addf(b, "%s{\"feature\":\"%s\",\"weight\":%.4f}", k ? "," : "",
		            ds_model_feature_name(m, r[k].feature), r[k].weight);
	ds_buf_adds(b, "]");
}

/*
 * Probabilities and reasons of the listed rows (ascending), spread back to
 * the rows' places in p, r and nr; rows not listed keep nr = -1. `tmp`
 * holds n doubles.
 */
static ds_err reasons_of(const ds_model *m, const ds_dataset *d, const long *rows, long n,
                         double *tmp, double *p, struct ds_reason (*r)[DS_MAX_REASONS], int *nr,
                         struct ds_diag *diag)
{
	ds_err err = ds_model_reasons(m, d, rows, n, tmp, r, nr, diag);
	/* computed compactly at the front: move each to its row, last first,
	 * as rows[k] >= k */
	for (long k = n - 1; !err && k >= 0; k--) {
		p[rows[k]] = tmp[k];
		memmove(r[rows[k]], r[k], sizeof r[k]);
		nr[rows[k]] = nr[k];
		if (rows[k] != k)
			nr[k] = -1;
	}
	return err;
}

ds_err ds_score_portfolio(ds_store *st, ds_date as_of, unsigned flags,
                          const struct ds_quadrant_cuts *cuts, struct ds_score_run *out,
                          struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	out->as_of = as_of;
	ds_model *ma = NULL, *mw = NULL;
	struct ds_model_entry ea, ew;
	ds_dataset *d = NULL;
	double *pa = NULL, *pw = NULL;
	struct ds_reason(*ra)[DS_MAX_REASONS] = NULL, (*rw)[DS_MAX_REASONS] = NULL;
	int *na = NULL, *nw = NULL;
	ds_err err;
	if ((err = ds_registry_get(st, 0, "ability", &ma, &ea, NULL, diag)) ||
	    (err = ds_registry_get(st, 0, "willingness", &mw, &ew, NULL, diag)))
		goto done;
	out->ability_model = ea.model_id;
	out->willingness_model = ew.model_id;
	double t0 = now();
	if ((err = ds_features_build(st, as_of, flags, &d, diag)))
		goto done;
	double t1 = now();
	out->seconds_features = t1 - t0;
	long n = d->nrows;
	out->accounts = n;
	pa = ds_malloc((size_t)n * sizeof *pa + 1);
	pw = ds_malloc((size_t)n * sizeof *pw + 1);
	ra = ds_malloc((size_t)n * sizeof *ra + 1);
	rw = ds_malloc((size_t)n * sizeof *rw + 1);
	na = ds_malloc((size_t)n * sizeof *na + 1);
	nw = ds_malloc((size_t)n * sizeof *nw + 1);
	if (!pa || !pw || !ra || !rw || !na || !nw) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	/* reasons where a collector acts on them: the delinquent accounts (all
	 * rows, unless every open account is scored); the others' scores alone */
	int fdpd = ds_dataset_feature(d, "dpd");
	long *late = ds_malloc((size_t)n * sizeof *late + 1);
	long *early = ds_malloc((size_t)n * sizeof *early + 1);
	double *tmp = ds_malloc((size_t)n * sizeof *tmp + 1);
	long nlate = 0, nearly = 0;
	for (long k = 0; late && early && k < n; k++) {
		na[k] = nw[k] = -1; /* -1: no reasons computed */
		if (fdpd < 0 || !(flags & DS_FEATURES_ALL_OPEN) || ds_dataset_at(d, k, fdpd) > 0)
			late[nlate++] = k;
		else
			early[nearly++] = k;
	}
	if (!late || !early || !tmp)
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	/* the probabilities alone where no reasons are wanted */
	for (int m = 0; m < 2 && !err && nearly > 0; m++) {
		double *p = m ? pw : pa;
		if (!(err = ds_model_predict(m ? mw : ma, d, early, nearly, tmp, diag)))
			for (long k = 0; k < nearly; k++)
				p[early[k]] = tmp[k];
	}
	out->seconds_models = now() - t1;
	if (!err)
		err = reasons_of(ma, d, late, nlate, tmp, pa, ra, na, diag);
	if (!err)
		err = reasons_of(mw, d, late, nlate, tmp, pw, rw, nw, diag);
	ds_free(late);
	ds_free(early);
	ds_free(tmp);
	if (err)
		goto done;
	double t2 = now();
	out->seconds_reasons = t2 - t1 - out->seconds_models;
	char day[11];
	ds_date_format(as_of, day);
	if ((err = ds_store_begin(st, diag)))
		goto done;
	ds_stmt *s;
	bool row;
	if (!(err = ds_store_prepare(st, "DELETE FROM scores WHERE score_date=?", &s, diag))) {
		ds_stmt_bind_text(s, 1, day);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
	}
	struct ds_buf b;
	ds_buf_init(&b, 1 << 16);
	for (long k = 0; !err && k < n; k++) {
		double ability = 1 - pa[k], willingness = 1 - pw[k];
		int q = ds_quadrant_of(cuts, ability, willingness);
		out->quadrant[q]++;
		b.len = 0;
		if (na[k] >= 0) {
			ds_buf_adds(&b, "{\"ability\":");
			add_reasons(&b, ma, ra[k], na[k]);
			ds_buf_adds(&b, ",\"willingness\":");
			add_reasons(&b, mw, rw[k], nw[k]);
			ds_buf_adds(&b, "}");
		}
		if ((err = ds_store_prepare(st,
		                            "INSERT INTO scores(account_id,score_date,ability,"
		                            "willingness,ability_model_id,willingness_model_id,"
		                            "quadrant,reasons) VALUES (?,?,?,?,?,?,?,?)",
		                            &s, diag)))
			break;
		ds_stmt_bind_text(s, 1, d->id[k]);
		ds_stmt_bind_text(s, 2, day);
		ds_stmt_bind_real(s, 3, ability);
		ds_stmt_bind_real(s, 4, willingness);
		ds_stmt_bind_int(s, 5, ea.model_id);
		ds_stmt_bind_int(s, 6, ew.model_id);
		ds_stmt_bind_text(s, 7, quadrants[q]);
		ds_stmt_bind_text(s, 8, na[k] >= 0 && b.p ? b.p : NULL);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
	}
	ds_buf_free(&b);
	if (!err) {
		char detail[256];
		snprintf(detail, sizeof detail,
		         "{\"accounts\":%ld,\"ability_model\":%ld,\"willingness_model\":%ld}", n,
		         ea.model_id, ew.model_id);
		err = ds_store_audit(st, "model.score", "scores", day, detail, diag);
	}
	if (!err)
		err = ds_store_commit(st, diag);
	else
		ds_store_rollback(st);
	out->seconds_writing = now() - t2;
done:
	ds_model_free(ma);
	ds_model_free(mw);
	ds_dataset_free(d);
	ds_free(pa);
	ds_free(pw);
	ds_free(ra);
	ds_free(rw);
	ds_free(na);
	ds_free(nw);
	return err;
}

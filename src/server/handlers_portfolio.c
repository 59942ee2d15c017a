/*
 * GET /api/portfolio/summary, GET /api/accounts, GET /api/accounts/{id}:
 * the portfolio layer's delinquency, with the borrower's personal data as
 * the caller's role may see it.
 */
#include "server.h"

#include "doorstep/portfolio.h"

#include <stdlib.h>
#include <string.h>

static json_t *opt_str(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* --------------------------------------------------------------- summary */

void h_portfolio_summary(struct srv_req *r)
{
	ds_date as_of;
	if (!srv_query_date(r, "as_of", false, &as_of))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_summary_row *rows;
	size_t n;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_portfolio_summary(st, as_of, &rows, &n, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *b = json_object();
		for (int k = 0; k < DS_BUCKETS; k++)
			json_object_set_new(
			        b, ds_bucket_name(k),
			        json_pack("{s:I, s:I, s:I}", "accounts",
			                  (json_int_t)rows[i].accounts[k], "overdue_fen",
			                  (json_int_t)rows[i].overdue_fen[k], "balance_fen",
			                  (json_int_t)rows[i].balance_fen[k]));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:o}", "community_id",
		                                     rows[i].community_id, "community",
		                                     rows[i].community_name, "total", i == n - 1,
		                                     "buckets", b));
	}
	ds_free(rows);
	char day[11];
	ds_date_format(as_of, day);
	srv_json(r, 200, json_pack("{s:s, s:o}", "as_of", day, "communities", arr));
}

/* ------------------------------------------------------------- the list */

struct page_row {
	char id[65];
	ds_fen balance;
	struct ds_dpd d;
};

struct walk {
	const char *community; /* NULL: any */
	int bucket;            /* -1: any */
	char **ids;            /* a collector's branch's accounts, sorted; NULL: any */
	size_t nids;
	long offset, limit, total;
	struct page_row *rows;
	long nrows;
};

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static ds_err visit_account(void *ctx, const struct ds_account_dpd *a)
{
	struct walk *w = ctx;
	if (w->community && strcmp(a->community_id, w->community) != 0)
		return DS_OK;
	if (w->bucket >= 0 && a->d.bucket != w->bucket)
		return DS_OK;
	if (w->ids) {
		const char *key = a->account_id;
		if (!bsearch(&key, w->ids, w->nids, sizeof *w->ids, cmp_id))
			return DS_OK;
	}
	long k = w->total++;
	if (k >= w->offset && k < w->offset + w->limit) {
		struct page_row *p = &w->rows[w->nrows++];
		ds_strlcpy(p->id, a->account_id, sizeof p->id);
		p->balance = a->balance_fen;
		p->d = a->d;
	}
	return DS_OK;
}

static void free_ids(struct walk *w)
{
	for (size_t i = 0; i < w->nids; i++)
		ds_free(w->ids[i]);
	ds_free(w->ids);
	w->ids = NULL;
	w->nids = 0;
}

/* A collector's branch's account ids, sorted as the walk meets them. */
static ds_err branch_ids(ds_store *st, const char *branch, struct walk *w, struct ds_diag *d)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st, "SELECT account_id FROM accounts WHERE branch_id = ? ORDER BY account_id", &s,
	        d);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, branch);
	size_t cap = 0;
	w->ids = NULL;
	bool row;
	while (!(err = ds_stmt_step(s, &row, d)) && row) {
		if (w->nids == cap) {
			size_t nc = cap ? 2 * cap : 256;
			char **p = ds_realloc(w->ids, nc * sizeof *p);
			if (!p) {
				err = ds_diag_set(d, DS_ENOMEM, NULL, 0, NULL, "out of memory");
				break;
			}
			w->ids = p;
			cap = nc;
		}
		if (!(w->ids[w->nids] = ds_strdup(ds_stmt_text(s, 0)))) {
			err = ds_diag_set(d, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			break;
		}
		w->nids++;
	}
	ds_stmt_done(s);
	if (!err && !w->ids) /* a branch without accounts: nothing matches */
		w->ids = ds_calloc(1, sizeof *w->ids);
	if (!err && !w->ids)
		err = ds_diag_set(d, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	return err;
}

static bool parse_bucket(const char *s, int *out)
{
	char b[8];
	ds_strlcpy(b, s, sizeof b);
	size_t n = strlen(b);
	while (n > 0 && b[n - 1] == ' ') /* "M7+" may arrive as "M7 " */
		b[--n] = '\0';
	const char *digits = (b[0] == 'M' || b[0] == 'm') ? b + 1 : b;
	if (strlen(digits) < 1 || digits[0] < '0' || digits[0] > '7' ||
	    (digits[1] && !(digits[0] == '7' && digits[1] == '+' && !digits[2])))
		return false;
	*out = digits[0] - '0';
	return true;
}

void h_accounts(struct srv_req *r)
{
	ds_date as_of;
	long limit, offset;
	struct walk w = { .community = srv_query(r, "community"), .bucket = -1 };
	const char *bucket = srv_query(r, "bucket");
	if (!srv_query_date(r, "as_of", false, &as_of) || !srv_page(r, &limit, &offset))
		return;
	if (bucket && !parse_bucket(bucket, &w.bucket)) {
		srv_error(r, 400, "bad_request", "?bucket: M0 ... M6 or M7+");
		return;
	}
	w.offset = offset;
	w.limit = limit;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = DS_OK;
	if (r->s.user.role == DS_ROLE_COLLECTOR)
		err = branch_ids(st, r->s.user.branch_id, &w, &d);
	if (!err && !(w.rows = ds_calloc((size_t)limit, sizeof *w.rows)))
		err = ds_diag_set(&d, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	if (!err)
		err = ds_portfolio_each(st, as_of, visit_account, &w, &d);
	free_ids(&w);
	json_t *items = json_array(), *read = json_array();
	for (long i = 0; !err && i < w.nrows; i++) {
		struct page_row *p = &w.rows[i];
		ds_stmt *s;
		if ((err = ds_store_prepare(st,
		                            "SELECT a.borrower_id, b.name, b.phone_masked,"
		                            " a.branch_id, b.community_id, a.product, a.status"
		                            " FROM accounts a JOIN borrowers b"
		                            " ON b.borrower_id = a.borrower_id"
		                            " WHERE a.account_id = ?",
		                            &s, &d)))
			break;
		bool row = false, whole = false;
		ds_stmt_bind_text(s, 1, p->id);
		if (!(err = ds_stmt_step(s, &row, &d)) && row) {
			char name[128];
			srv_pii(r, DS_PII_NAME, ds_stmt_text(s, 1), name, sizeof name, &whole);
			if (whole)
				json_array_append_new(read, json_string(p->id));
			json_array_append_new(
			        items,
			        json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:I, s:i, s:s, "
			                  "s:I}",
			                  "account_id", p->id, "borrower_id", ds_stmt_text(s, 0),
			                  "name", name, "phone", opt_str(ds_stmt_text(s, 2)),
			                  "branch_id", ds_stmt_text(s, 3), "community_id",
			                  opt_str(ds_stmt_text(s, 4)), "product",
			                  ds_stmt_text(s, 5), "status", ds_stmt_text(s, 6),
			                  "balance_fen", (json_int_t)p->balance, "dpd", p->d.dpd,
			                  "bucket", ds_bucket_name(p->d.bucket), "overdue_fen",
			                  (json_int_t)p->d.overdue_fen));
		}
		ds_stmt_done(s);
	}
	ds_free(w.rows);
	if (!err && json_array_size(read))
		err = srv_audit_read(r, st, "accounts", NULL,
		                     json_pack("{s:O, s:[s]}", "accounts", read, "fields", "name"),
		                     &d);
	json_decref(read);
	if (err) {
		json_decref(items);
		srv_fail(r, err, &d);
		return;
	}
	char day[11];
	ds_date_format(as_of, day);
	json_t *next = offset + limit < w.total ? json_integer(offset + limit) : json_null();
	srv_json(r, 200,
	         json_pack("{s:s, s:I, s:o, s:I, s:I, s:o}", "as_of", day, "total",
	                   (json_int_t)w.total, "items", items, "limit", (json_int_t)limit,
	                   "offset", (json_int_t)offset, "next_offset", next));
}

/* ------------------------------------------------------------ one account */

static ds_date date_of(ds_stmt *s, int col)
{
	ds_date d = 0;
	if (!ds_stmt_is_null(s, col))
		ds_date_parse(ds_stmt_text(s, col), &d);
	return d;
}

/*
 * One account's delinquency as ds_portfolio_each reckons it: from its
 * packed schedule and payments when it has a schedule, else from the
 * bank's reported figures (docs/delinquency.md); only payments by as_of.
 */
static ds_err account_dpd(ds_store *st, const char *id, ds_fen overdue, ds_date since,
                          ds_date reported, ds_date as_of, struct ds_dpd *out, struct ds_diag *d)
{
	struct ds_ledger_rows rows = { 0 };
	ds_stmt *s;
	ds_err err = ds_store_ledger_sync(st, d);
	if (!err)
		err = ds_store_prepare(st,
		                       "SELECT account_id, schedule, payments FROM account_ledger"
		                       " WHERE account_id = ?",
		                       &s, d);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, id);
	bool row;
	if (!(err = ds_stmt_step(s, &row, d)) && row)
		err = ds_ledger_rows_read(s, 1, &rows, d);
	ds_stmt_done(s);
	if (!err) {
		while (rows.npaid > 0 && rows.paid[rows.npaid - 1].date > as_of)
			rows.npaid--;
		if (rows.ndue > 0)
			ds_dpd_compute(rows.due, rows.ndue, rows.paid, rows.npaid, as_of, out);
		else
			ds_dpd_from_reported(overdue, since, reported, rows.paid, rows.npaid, as_of,
			                     out);
	}
	ds_ledger_rows_free(&rows);
	return err;
}

/* The borrower's phone as the role may see it: unsealed for those who see
 * it whole (when the key is at hand), else the stored masked form. */
static json_t *phone_for(struct srv_req *r, ds_stmt *s, int masked_col, int sealed_col, bool *whole)
{
	const struct ds_pii_key *key = r->srv->cfg->key;
	size_t n = 0;
	const void *sealed = ds_stmt_blob(s, sealed_col, &n);
	if (key && n > 0 && ds_role_sees_unmasked(r->s.user.role, DS_PII_PHONE)) {
		char *plain = NULL;
		if (!ds_pii_open(key, sealed, n, &plain)) {
			json_t *v = json_string(plain);
			ds_free(plain);
			*whole = true;
			return v;
		}
	}
	return opt_str(ds_stmt_text(s, masked_col));
}

void h_account(struct srv_req *r)
{
	ds_date as_of;
	if (!srv_query_date(r, "as_of", false, &as_of))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	const char *id = r->param[0];
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT a.product, a.status, a.branch_id, a.balance_fen, a.principal_fen,"
	        " a.overdue_fen, a.overdue_since_date, a.reported_date, b.borrower_id, b.name,"
	        " b.phone_masked, b.phone_sealed, b.national_id_last4, b.address, b.community_id"
	        " FROM accounts a JOIN borrowers b ON b.borrower_id = a.borrower_id"
	        " WHERE a.account_id = ?1 AND (?2 IS NULL OR a.branch_id = ?2)",
	        &s, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	ds_stmt_bind_text(s, 1, id);
	ds_stmt_bind_null(s, 2);
	if (r->s.user.role == DS_ROLE_COLLECTOR)
		ds_stmt_bind_text(s, 2, r->s.user.branch_id);
	else if (r->s.user.role == DS_ROLE_COMMUNITY_WORKER)
		ds_stmt_bind_text(s, 2, ""); /* not theirs to see (the route refuses them) */
	bool row, whole = false;
	err = ds_stmt_step(s, &row, &d);
	if (!err && !row) {
		ds_stmt_done(s);
		srv_error(r, 404, "not_found", "no account %s", id);
		return;
	}
	json_t *o = NULL;
	ds_fen overdue = 0;
	ds_date since = 0, reported = 0;
	if (!err) {
		char name[128], addr[512], nid[32];
		srv_pii(r, DS_PII_NAME, ds_stmt_text(s, 9), name, sizeof name, &whole);
		srv_pii(r, DS_PII_ADDRESS, ds_stmt_text(s, 13), addr, sizeof addr, &whole);
		const char *last4 = ds_stmt_text(s, 12);
		snprintf(nid, sizeof nid, "**************%s", last4);
		json_t *b = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "borrower_id",
		                      ds_stmt_text(s, 8), "name", name, "phone",
		                      phone_for(r, s, 10, 11, &whole), "national_id",
		                      last4[0] ? json_string(nid) : json_null(), "address",
		                      opt_str(addr), "community_id", opt_str(ds_stmt_text(s, 14)));
		o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "account_id", id, "product",
		              ds_stmt_text(s, 0), "status", ds_stmt_text(s, 1), "branch_id",
		              ds_stmt_text(s, 2), "balance_fen", (json_int_t)ds_stmt_int(s, 3),
		              "principal_fen", (json_int_t)ds_stmt_int(s, 4));
		json_object_set_new(o, "borrower", b);
		overdue = ds_stmt_int(s, 5);
		since = date_of(s, 6);
		reported = date_of(s, 7);
	}
	ds_stmt_done(s);
	struct ds_dpd dpd;
	memset(&dpd, 0, sizeof dpd);
	if (!err)
		err = account_dpd(st, id, overdue, since, reported, as_of, &dpd, &d);
	if (!err) {
		char day[11], oldest[11];
		ds_date_format(as_of, day);
		ds_date_format(dpd.oldest_unpaid, oldest);
		json_object_set_new(o, "as_of", json_string(day));
		json_object_set_new(o, "dpd", json_integer(dpd.dpd));
		json_object_set_new(o, "bucket", json_string(ds_bucket_name(dpd.bucket)));
		json_object_set_new(o, "overdue_fen", json_integer(dpd.overdue_fen));
		json_object_set_new(o, "oldest_unpaid",
		                    dpd.dpd > 0 ? json_string(oldest) : json_null());
		err = ds_store_prepare(st,
		                       "SELECT score_date, ability, willingness, quadrant, reasons"
		                       " FROM scores WHERE account_id = ?"
		                       " ORDER BY score_date DESC LIMIT 1",
		                       &s, &d);
	}
	if (!err) {
		ds_stmt_bind_text(s, 1, id);
		json_t *score = json_null();
		if (!(err = ds_stmt_step(s, &row, &d)) && row) {
			json_t *reasons = ds_stmt_is_null(s, 4)
			                          ? NULL
			                          : json_loads(ds_stmt_text(s, 4), 0, NULL);
			json_decref(score);
			score = json_pack(
			        "{s:s, s:o, s:o, s:o, s:o}", "score_date", ds_stmt_text(s, 0),
			        "ability",
			        ds_stmt_is_null(s, 1) ? json_null() : json_real(ds_stmt_real(s, 1)),
			        "willingness",
			        ds_stmt_is_null(s, 2) ? json_null() : json_real(ds_stmt_real(s, 2)),
			        "quadrant", opt_str(ds_stmt_text(s, 3)), "reasons",
			        reasons ? reasons : json_null());
		}
		ds_stmt_done(s);
		json_object_set_new(o, "score", score);
	}
	json_object_set_new(o, "masked", json_boolean(!whole));
	if (!err && whole)
		err = srv_audit_read(r, st, "accounts", id, NULL, &d);
	if (err) {
		json_decref(o);
		srv_fail(r, err, &d);
		return;
	}
	srv_json(r, 200, o);
}

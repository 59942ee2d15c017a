/*
 * POST /api/promises (ds_promise_add) and POST /api/receipts
 * (ds_receipt_issue): a collector only on accounts of their branch (an
 * account out of scope is answered as unknown, 404); the caller is the
 * store's actor, so the library's records and audit entries name them.
 */
#include "server.h"

#include <time.h>

bool srv_account_in_scope(struct srv_req *r, ds_store *st, const char *account)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT 1 FROM accounts WHERE account_id = ?1"
	                              " AND (?2 IS NULL OR branch_id = ?2)",
	                              &s, &d);
	if (err) {
		srv_fail(r, err, &d);
		return false;
	}
	ds_stmt_bind_text(s, 1, account);
	ds_stmt_bind_null(s, 2);
	if (r->s.user.role != DS_ROLE_ADMIN && r->s.user.role != DS_ROLE_MANAGER)
		ds_stmt_bind_text(s, 2, r->s.user.branch_id);
	bool row = false;
	err = ds_stmt_step(s, &row, &d);
	ds_stmt_done(s);
	if (err) {
		srv_fail(r, err, &d);
		return false;
	}
	if (!row)
		srv_error(r, 404, "not_found", "no account %s", account);
	return row;
}

void h_promises(struct srv_req *r)
{
	static const char *const keys[] = { "account_id", "visit_id", "amount_fen", "due", NULL };
	const char *account = NULL;
	int64_t visit = 0, amount = 0;
	ds_date due = 0;
	if (!srv_body_only(r, keys) || !srv_body_str(r, "account_id", true, 64, &account) ||
	    !srv_body_int(r, "visit_id", false, 1, INT64_MAX, &visit) ||
	    !srv_body_int(r, "amount_fen", true, 1, INT64_C(100000000000000), &amount) ||
	    !srv_body_date(r, "due", true, &due))
		return;
	ds_store *st = srv_store(r);
	if (!st || !srv_account_in_scope(r, st, account))
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	long id = 0;
	ds_err err =
	        ds_promise_add(st, account, (long)visit, amount, due, (ds_time)time(NULL), &id, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	srv_json(r, 201, json_pack("{s:I}", "promise_id", (json_int_t)id));
}

void h_receipts(struct srv_req *r)
{
	static const char *const keys[] = { "account_id", "visit_id", "amount_fen", "method",
		                            NULL };
	const char *account = NULL, *method = NULL;
	int64_t visit = 0, amount = 0;
	if (!srv_body_only(r, keys) || !srv_body_str(r, "account_id", true, 64, &account) ||
	    !srv_body_int(r, "visit_id", false, 1, INT64_MAX, &visit) ||
	    !srv_body_int(r, "amount_fen", true, 1, INT64_C(100000000000000), &amount) ||
	    !srv_body_str(r, "method", true, 8, &method))
		return;
	ds_store *st = srv_store(r);
	if (!st || !srv_account_in_scope(r, st, account))
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	char no[20];
	ds_err err = ds_receipt_issue(st, r->srv->cfg->field, account, (long)visit, amount, method,
	                              (ds_time)time(NULL), no, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	srv_json(r, 201, json_pack("{s:s}", "receipt_no", no));
}

void h_account_payments(struct srv_req *r)
{
	long limit, offset;
	if (!srv_page(r, &limit, &offset))
		return;
	ds_store *st = srv_store(r);
	const char *account = r->param[0];
	if (!st || !srv_account_in_scope(r, st, account))
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT payment_id, value_date, paid_at, amount_fen, channel,"
	                              " reference FROM payments WHERE account_id = ?"
	                              " ORDER BY value_date DESC, payment_id DESC LIMIT ? OFFSET ?",
	                              &s, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	ds_stmt_bind_text(s, 1, account);
	ds_stmt_bind_int(s, 2, limit + 1);
	ds_stmt_bind_int(s, 3, offset);
	srv_rows(r, s, limit, offset);
}

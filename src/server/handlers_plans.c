/*
 * The day's plan and installment plans: GET /api/plan (the decisions
 * summed by treatment, with the approval), POST /api/plan/approve
 * (ds_plan_approval_decide), GET and POST /api/installments, POST
 * /api/installments/{id}/decide (ds_plan_offer, ds_plan_decide: limits
 * by role and maker-checker are the library's) and POST
 * /api/installments/calc (ds_plan_calculate: nothing stored).
 */
#include "server.h"

#include "doorstep/plan.h"

#include <string.h>
#include <time.h>

static json_t *approval_json(const struct ds_plan_approval *a)
{
	return json_pack("{s:s, s:I, s:s, s:o, s:o, s:o, s:o}", "status", a->status, "decisions",
	                 (json_int_t)a->decisions, "digest", a->digest, "made_by",
	                 a->made_by[0] ? json_string(a->made_by) : json_null(), "decided_by",
	                 a->decided_by[0] ? json_string(a->decided_by) : json_null(), "decided_at",
	                 a->decided_at ? json_integer((json_int_t)a->decided_at) : json_null(),
	                 "note", a->note[0] ? json_string(a->note) : json_null());
}

void h_plan(struct srv_req *r)
{
	ds_date day;
	if (!srv_query_date(r, "date", true, &day))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	char date[11];
	ds_date_format(day, date);
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(st,
	                         "SELECT treatment, count(*), sum(expected_fen), sum(cost_fen),"
	                         " sum(CASE WHEN arm = 'holdout' THEN 1 ELSE 0 END) FROM decisions "
	                         "WHERE plan_date = ?"
	                         " GROUP BY treatment ORDER BY treatment",
	                         &s, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	ds_stmt_bind_text(s, 1, date);
	json_t *arr = json_array();
	int64_t accounts = 0, held = 0, expected = 0, cost = 0;
	bool row;
	while (!(err = ds_stmt_step(s, &row, &d)) && row) {
		int64_t n = ds_stmt_int(s, 1), e = ds_stmt_int(s, 2), c = ds_stmt_int(s, 3),
		        h = ds_stmt_int(s, 4);
		accounts += n;
		expected += e;
		cost += c;
		held += h;
		json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I, s:I}", "treatment",
		                                     ds_stmt_text(s, 0), "accounts", (json_int_t)n,
		                                     "held_out", (json_int_t)h, "expected_fen",
		                                     (json_int_t)e, "cost_fen", (json_int_t)c));
	}
	ds_stmt_done(s);
	struct ds_plan_approval a;
	if (!err)
		err = ds_plan_approval_get(st, day, &a, &d);
	if (err) {
		json_decref(arr);
		srv_fail(r, err, &d);
		return;
	}
	srv_json(r, 200,
	         json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "date", date, "accounts",
	                   (json_int_t)accounts, "held_out", (json_int_t)held, "expected_fen",
	                   (json_int_t)expected, "cost_fen", (json_int_t)cost, "treatments", arr,
	                   "approval", approval_json(&a)));
}

void h_plan_approve(struct srv_req *r)
{
	static const char *const keys[] = { "date", "approve", "note", NULL };
	ds_date day = 0;
	bool approve = true;
	const char *note = NULL;
	if (!srv_body_only(r, keys) || !srv_body_date(r, "date", true, &day) ||
	    !srv_body_bool(r, "approve", &approve) || !srv_body_str(r, "note", false, 200, &note))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_plan_approval a;
	ds_err err = ds_plan_approval_decide(st, day, approve, note, (ds_time)time(NULL), &a, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	char date[11];
	ds_date_format(day, date);
	srv_json(r, 200, json_pack("{s:s, s:o}", "date", date, "approval", approval_json(&a)));
}

/* ------------------------------------------------------- installment plans */

void h_installments(struct srv_req *r)
{
	long limit, offset;
	if (!srv_page(r, &limit, &offset))
		return;
	const char *status = srv_query(r, "status"), *account = srv_query(r, "account_id");
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT p.plan_id, p.account_id, p.status, p.balance_fen, p.waiver_fen,"
	        " p.waiver_kind, p.total_fen, p.installments, p.first_due, p.visit_id,"
	        " p.created_by, p.created_at, p.approved_by, p.approved_at"
	        " FROM plans p JOIN accounts a ON a.account_id = p.account_id"
	        " WHERE (?1 IS NULL OR p.status = ?1) AND (?2 IS NULL OR p.account_id = ?2)"
	        " AND (?3 IS NULL OR a.branch_id = ?3)"
	        " ORDER BY p.plan_id DESC LIMIT ?4 OFFSET ?5",
	        &s, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	ds_stmt_bind_text(s, 1, status);
	ds_stmt_bind_text(s, 2, account);
	ds_stmt_bind_text(s, 3, r->s.user.role == DS_ROLE_COLLECTOR ? r->s.user.branch_id : NULL);
	ds_stmt_bind_int(s, 4, limit + 1);
	ds_stmt_bind_int(s, 5, offset);
	srv_rows(r, s, limit, offset);
}

void h_installments_offer(struct srv_req *r)
{
	static const char *const keys[] = { "account_id",  "visit_id",
		                            "balance_fen", "waiver_fen",
		                            "waiver_kind", "installments",
		                            "first_due",   "override_affordability",
		                            NULL };
	const char *account = NULL;
	int64_t visit = 0, balance = 0, waiver = 0, n = 0;
	bool override = false;
	struct ds_plan_terms t = { 0 };
	if (!srv_body_only(r, keys) || !srv_body_str(r, "account_id", true, 64, &account) ||
	    !srv_body_int(r, "visit_id", false, 1, INT64_MAX, &visit) ||
	    !srv_body_int(r, "balance_fen", true, 1, INT64_C(100000000000000), &balance) ||
	    !srv_body_int(r, "waiver_fen", false, 0, INT64_C(100000000000000), &waiver) ||
	    !srv_body_str(r, "waiver_kind", false, 16, &t.waiver_kind) ||
	    !srv_body_int(r, "installments", true, 1, DS_PLAN_MAX_INSTALLMENTS, &n) ||
	    !srv_body_date(r, "first_due", true, &t.first_due) ||
	    !srv_body_bool(r, "override_affordability", &override))
		return;
	t.balance_fen = balance;
	t.waiver_fen = waiver;
	t.installments = (int)n;
	ds_store *st = srv_store(r);
	if (!st || !srv_account_in_scope(r, st, account))
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	long id = 0;
	ds_err err = ds_plan_offer(st, r->srv->cfg->field, account, (long)visit, &t, override,
	                           (ds_time)time(NULL), &id, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	ds_stmt *s;
	const char *status = "?";
	if (!(err = ds_store_prepare(st, "SELECT status FROM plans WHERE plan_id = ?", &s, &d))) {
		bool row = false;
		ds_stmt_bind_int(s, 1, id);
		if (!ds_stmt_step(s, &row, &d) && row)
			status = ds_stmt_text(s, 0);
		srv_json(r, 201,
		         json_pack("{s:I, s:s}", "plan_id", (json_int_t)id, "status", status));
		ds_stmt_done(s);
		return;
	}
	srv_fail(r, err, &d);
}

void h_installments_decide(struct srv_req *r)
{
	static const char *const keys[] = { "approve", "note", NULL };
	long id;
	bool approve = false;
	const char *note = NULL;
	if (!srv_param_id(r, 0, &id) || !srv_body_only(r, keys) ||
	    !srv_body_bool(r, "approve", &approve) || !srv_body_str(r, "note", false, 200, &note))
		return;
	if (!json_object_get(r->json, "approve")) {
		srv_error(r, 400, "bad_request", "approve: required");
		return;
	}
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_plan_decide(st, id, approve, note, (ds_time)time(NULL), &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	srv_json(r, 200,
	         json_pack("{s:I, s:s}", "plan_id", (json_int_t)id, "status",
	                   approve ? "active" : "rejected"));
}

void h_installments_calc(struct srv_req *r)
{
	static const char *const keys[] = { "balance_fen",  "waiver_fen", "waiver_kind",
		                            "installments", "first_due",  NULL };
	int64_t balance = 0, waiver = 0, n = 0;
	struct ds_plan_terms t = { 0 };
	if (!srv_body_only(r, keys) ||
	    !srv_body_int(r, "balance_fen", true, 1, INT64_C(100000000000000), &balance) ||
	    !srv_body_int(r, "waiver_fen", false, 0, INT64_C(100000000000000), &waiver) ||
	    !srv_body_str(r, "waiver_kind", false, 16, &t.waiver_kind) ||
	    !srv_body_int(r, "installments", true, 1, DS_PLAN_MAX_INSTALLMENTS, &n) ||
	    !srv_body_date(r, "first_due", true, &t.first_due))
		return;
	t.balance_fen = balance;
	t.waiver_fen = waiver;
	t.installments = (int)n;
	struct ds_plan_schedule sch;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_plan_calculate(&t, &sch, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	json_t *arr = json_array();
	for (int i = 0; i < sch.n; i++) {
		char due[11];
		ds_date_format(sch.due[i], due);
		json_array_append_new(arr, json_pack("{s:i, s:s, s:I}", "seq", i + 1, "due_date",
		                                     due, "amount_fen", (json_int_t)sch.amount[i]));
	}
	srv_json(r, 200,
	         json_pack("{s:I, s:o}", "total_fen", (json_int_t)sch.total, "installments", arr));
}

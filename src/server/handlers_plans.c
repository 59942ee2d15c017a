/*
 * GET /api/plan (the day's decisions, summed by treatment) and POST
 * /api/installments/calc (ds_plan_calculate: nothing stored).
 */
#include "server.h"

#include <string.h>

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
	                         " sum(arm = 'holdout') FROM decisions WHERE plan_date = ?"
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
	if (err) {
		json_decref(arr);
		srv_fail(r, err, &d);
		return;
	}
	srv_json(r, 200,
	         json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "date", date, "accounts",
	                   (json_int_t)accounts, "held_out", (json_int_t)held, "expected_fen",
	                   (json_int_t)expected, "cost_fen", (json_int_t)cost, "treatments", arr));
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

/*
 * GET /api/complaints (ds_complaint_list), POST /api/complaints
 * (ds_complaint_open: a complaint hold stops all contact) and POST
 * /api/complaints/{id}/resolve (ds_complaint_resolve: the hold lifted).
 */
#include "server.h"

#include <string.h>
#include <time.h>

void h_complaints(struct srv_req *r)
{
	const char *which = srv_query(r, "status");
	bool open_only = true, overdue_only = false;
	if (which && strcmp(which, "all") == 0)
		open_only = false;
	else if (which && strcmp(which, "overdue") == 0)
		overdue_only = true;
	else if (which && strcmp(which, "open") != 0) {
		srv_error(r, 400, "bad_request", "?status: open (default), overdue or all");
		return;
	}
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_complaint_info *c = NULL;
	long n = 0;
	ds_err err =
	        ds_complaint_list(st, open_only, overdue_only, (ds_time)time(NULL), &c, &n, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	json_t *items = json_array();
	for (long i = 0; i < n; i++) {
		const struct ds_complaint_info *x = &c[i];
		json_array_append_new(
		        items,
		        json_pack("{s:I, s:s, s:s, s:o, s:s, s:o, s:I, s:I, s:o, s:o, s:b, s:b}",
		                  "complaint_id", (json_int_t)x->complaint_id, "account_id",
		                  x->account_id, "borrower_id", x->borrower_id, "staff_id",
		                  x->staff_id[0] ? json_string(x->staff_id) : json_null(), "kind",
		                  x->kind, "visit_id",
		                  x->visit_id ? json_integer(x->visit_id) : json_null(),
		                  "opened_at", (json_int_t)x->opened_at, "due_at",
		                  (json_int_t)x->due_at, "resolved_at",
		                  x->resolved_at ? json_integer((json_int_t)x->resolved_at)
		                                 : json_null(),
		                  "resolved_by",
		                  x->resolved_by[0] ? json_string(x->resolved_by) : json_null(),
		                  "open", x->open, "overdue", x->overdue));
	}
	ds_free(c);
	srv_json(r, 200, json_pack("{s:o, s:I}", "items", items, "total", (json_int_t)n));
}

void h_complaint_open(struct srv_req *r)
{
	static const char *const keys[] = { "account_id", "visit_id", "staff_id",
		                            "kind",       "detail",   NULL };
	const char *account = NULL, *staff = NULL, *kind = NULL, *detail = NULL;
	int64_t visit = 0;
	if (!srv_body_only(r, keys) || !srv_body_str(r, "account_id", true, 64, &account) ||
	    !srv_body_int(r, "visit_id", false, 1, INT64_MAX, &visit) ||
	    !srv_body_str(r, "staff_id", false, 64, &staff) ||
	    !srv_body_str(r, "kind", true, 15, &kind) ||
	    !srv_body_str(r, "detail", false, 2000, &detail))
		return;
	ds_store *st = srv_store(r);
	if (!st || !srv_account_in_scope(r, st, account))
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	long id = 0;
	ds_err err = ds_complaint_open(st, r->srv->cfg->field, account, (long)visit, staff, kind,
	                               detail, (ds_time)time(NULL), &id, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	srv_json(r, 201, json_pack("{s:I}", "complaint_id", (json_int_t)id));
}

void h_complaint_resolve(struct srv_req *r)
{
	static const char *const keys[] = { "resolution", NULL };
	long id;
	const char *resolution = NULL;
	if (!srv_param_id(r, 0, &id) || !srv_body_only(r, keys) ||
	    !srv_body_str(r, "resolution", true, 2000, &resolution))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_complaint_resolve(st, id, resolution, (ds_time)time(NULL), &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	srv_json(r, 200, json_pack("{s:I, s:b}", "complaint_id", (json_int_t)id, "resolved", 1));
}

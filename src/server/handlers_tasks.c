/* GET /api/tasks: the follow-up tasks, a collector's scoped to their branch. */
#include "server.h"

#include <string.h>

void h_tasks(struct srv_req *r)
{
	long limit, offset;
	const char *status = srv_query(r, "status");
	ds_date due = 0;
	const char *due_text = srv_query(r, "due");
	if (!srv_page(r, &limit, &offset))
		return;
	if (status && strcmp(status, "open") != 0 && strcmp(status, "all") != 0) {
		srv_error(r, 400, "bad_request", "?status: open or all");
		return;
	}
	if (due_text && !srv_query_date(r, "due", false, &due))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT t.task_id, t.account_id, t.kind, t.due_date, t.reason, t.source, t.status"
	        " FROM tasks t JOIN accounts a ON a.account_id = t.account_id"
	        " WHERE (?1 = 0 OR t.status = 'open') AND (?2 IS NULL OR t.due_date <= ?2)"
	        " AND (?3 IS NULL OR a.branch_id = ?3)"
	        " ORDER BY t.due_date, t.task_id LIMIT ?4 OFFSET ?5",
	        &s, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	char day[11];
	ds_date_format(due, day);
	ds_stmt_bind_int(s, 1, !status || strcmp(status, "open") == 0);
	ds_stmt_bind_text(s, 2, due_text ? day : NULL);
	ds_stmt_bind_null(s, 3);
	if (r->s.user.role == DS_ROLE_COLLECTOR)
		ds_stmt_bind_text(s, 3, r->s.user.branch_id);
	ds_stmt_bind_int(s, 4, limit + 1);
	ds_stmt_bind_int(s, 5, offset);
	json_t *items = json_array();
	bool row, more = false;
	while (!(err = ds_stmt_step(s, &row, &d)) && row) {
		if ((long)json_array_size(items) == limit) {
			more = true;
			break;
		}
		json_array_append_new(
		        items, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s}", "task_id",
		                         (json_int_t)ds_stmt_int(s, 0), "account_id",
		                         ds_stmt_text(s, 1), "kind", ds_stmt_text(s, 2), "due_date",
		                         ds_stmt_text(s, 3), "reason", ds_stmt_text(s, 4), "source",
		                         ds_stmt_is_null(s, 5) ? json_null()
		                                               : json_string(ds_stmt_text(s, 5)),
		                         "status", ds_stmt_text(s, 6)));
	}
	ds_stmt_done(s);
	if (err) {
		json_decref(items);
		srv_fail(r, err, &d);
		return;
	}
	srv_json(r, 200,
	         json_pack("{s:o, s:I, s:I, s:o}", "items", items, "limit", (json_int_t)limit,
	                   "offset", (json_int_t)offset, "next_offset",
	                   more ? json_integer(offset + limit) : json_null()));
}

/*
 * Follow-up (field.h, docs/field.md "Follow-up"): each event names the
 * task it calls for in the settings (event=task:days); the task is
 * written once per kind and source while it is open.
 */
#include "field-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ds_followup(const struct ds_field_config *c, const char *event, char *kind, size_t kindsz,
                 int *days)
{
	size_t elen = strlen(event);
	const char *p = c->followup;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len), *colon = memchr(p, ':', len);
		if (eq && colon && colon > eq && (size_t)(eq - p) == elen &&
		    strncmp(p, event, elen) == 0) {
			size_t klen = (size_t)(colon - eq - 1);
			char num[16];
			size_t nlen = len - (size_t)(colon + 1 - p);
			if (klen == 0 || klen >= kindsz || nlen == 0 || nlen >= sizeof num)
				return false;
			memcpy(kind, eq + 1, klen);
			kind[klen] = '\0';
			memcpy(num, colon + 1, nlen);
			num[nlen] = '\0';
			char *e;
			long d = strtol(num, &e, 10);
			if (*e || d < 0 || d > 365)
				return false;
			*days = (int)d;
			return true;
		}
		p = end ? end + 1 : p + len;
	}
	return false;
}

ds_err field_task_add(ds_store *st, const char *account_id, const char *kind, ds_date due,
                      const char *reason, const char *source, ds_time now, bool *written,
                      struct ds_diag *diag)
{
	*written = false;
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT count(*) FROM tasks WHERE account_id = ? AND kind = ?"
	                              " AND source IS NOT DISTINCT FROM ? AND status = 'open'",
	                              &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_text(s, 1, account_id);
	ds_stmt_bind_text(s, 2, kind);
	ds_stmt_bind_text(s, 3, source);
	err = ds_stmt_step(s, &row, diag);
	bool open = !err && row && ds_stmt_int(s, 0) > 0;
	ds_stmt_done(s);
	if (err || open)
		return err;
	char day[11];
	ds_date_format(due, day);
	if ((err = ds_store_prepare(st,
	                            "INSERT INTO tasks(account_id, kind, due_date, reason, source,"
	                            " created_at) VALUES (?,?,?,?,?,?)",
	                            &s, diag)))
		return err;
	ds_stmt_bind_text(s, 1, account_id);
	ds_stmt_bind_text(s, 2, kind);
	ds_stmt_bind_text(s, 3, day);
	ds_stmt_bind_text(s, 4, reason);
	ds_stmt_bind_text(s, 5, source);
	ds_stmt_bind_int(s, 6, now);
	err = ds_stmt_step(s, &row, diag);
	ds_stmt_done(s);
	if (err)
		return err;
	char id[32], detail[320];
	snprintf(id, sizeof id, "%lld", (long long)ds_store_last_id(st));
	snprintf(detail, sizeof detail,
	         "{\"account_id\":\"%s\",\"kind\":\"%s\",\"due_date\":\"%s\",\"reason\":\"%s\"}",
	         account_id, kind, day, reason);
	err = ds_store_audit(st, "task_add", "tasks", id, detail, diag);
	*written = !err;
	return err;
}

ds_err ds_task_add_for(ds_store *st, const struct ds_field_config *c, const char *account_id,
                       const char *event, const char *source, ds_date from, ds_time now,
                       bool *written, struct ds_diag *diag)
{
	*written = false;
	char kind[32];
	int days;
	if (!ds_followup(c, event, kind, sizeof kind, &days))
		return DS_OK;
	return field_task_add(st, account_id, kind, from + days, event, source, now, written, diag);
}

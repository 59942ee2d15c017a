/*
 * Complaints (field.h, docs/complaints.md): a complaint on an account puts
 * a 'complaint' hold on its borrower, which stops every contact under the
 * CN rule pack (CN-HOLDS) until the complaint is resolved; it is due
 * complaint_sla_days after it was opened, and its follow-up task is
 * written as the settings name it. Resolving it records the resolution and
 * who gave it, ends the hold and closes the task. Each write is one
 * transaction with its audit entries, or nothing.
 */
#include "field-int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DETAIL_MAX     2000 /* bytes of a complaint's detail */
#define RESOLUTION_MAX 1000 /* bytes of a resolution */

/* The kinds, as stored; docs/complaints.md says what each covers. */
static const char *const kinds[] = {
	"conduct", "harassment", "privacy", "third_party", "wrong_debt", "fees", "other",
};

static bool known_kind(const char *k)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i], k) == 0)
			return true;
	return false;
}

/* Text given by a person: well-formed UTF-8 of at most max bytes. */
static bool good_text(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n <= max && ds_utf8_valid(s, n);
}

/* Appends an audit entry whose detail is the JSON object v (consumed). */
static ds_err audit_json(ds_store *st, const char *action, const char *entity, long long id,
                         json_t *v, struct ds_diag *diag)
{
	char key[32];
	snprintf(key, sizeof key, "%lld", id);
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(v);
	if (!text)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	ds_err err = ds_store_audit(st, action, entity, key, text, diag);
	free(text);
	return err;
}

/* The account's borrower and its branch's zone; DS_ENOTFOUND when there
 * is no such account. */
static ds_err account_of(ds_store *st, const char *account_id, char *borrower, size_t bsz,
                         char *zone, size_t zsz, struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT a.borrower_id, coalesce(r.timezone, '')"
	                              " FROM accounts a LEFT JOIN branches r"
	                              " ON r.branch_id = a.branch_id WHERE a.account_id = ?",
	                              &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_text(s, 1, account_id);
	if (!(err = ds_stmt_step(s, &row, diag))) {
		if (row) {
			ds_strlcpy(borrower, ds_stmt_text(s, 0), bsz);
			ds_strlcpy(zone, ds_stmt_text(s, 1), zsz);
		} else {
			err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "account",
			                  "unknown account \"%s\"", account_id);
		}
	}
	ds_stmt_done(s);
	return err;
}

/* The visit must exist and be of the account. */
static ds_err check_visit(ds_store *st, long visit_id, const char *account_id, struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(st, "SELECT account_id FROM visits WHERE visit_id = ?", &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_int(s, 1, visit_id);
	if (!(err = ds_stmt_step(s, &row, diag))) {
		if (!row)
			err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "visit", "unknown visit %ld",
			                  visit_id);
		else if (strcmp(ds_stmt_text(s, 0), account_id) != 0)
			err = ds_diag_set(diag, DS_EREJECT, NULL, 0, "visit",
			                  "visit %ld is of account \"%s\", not \"%s\"", visit_id,
			                  ds_stmt_text(s, 0), account_id);
	}
	ds_stmt_done(s);
	return err;
}

/* The writes of ds_complaint_open, inside its transaction. */
static ds_err open_in_tx(ds_store *st, const struct ds_field_config *c, const char *account_id,
                         long visit_id, const char *staff_id, const char *kind, const char *detail,
                         ds_time now, long *id, struct ds_diag *diag)
{
	char borrower[128], zone[64];
	ds_err err = account_of(st, account_id, borrower, sizeof borrower, zone, sizeof zone, diag);
	if (err)
		return err;
	if (visit_id > 0 && (err = check_visit(st, visit_id, account_id, diag)))
		return err;
	if (staff_id) {
		bool found = false;
		if ((err = ds_store_exists(st, "staff", "staff_id", staff_id, &found, diag)))
			return err;
		if (!found)
			return ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "staff",
			                   "unknown staff member \"%s\"", staff_id);
	}
	const char *actor = ds_store_actor(st);
	int64_t due = now + (int64_t)c->complaint_sla_days * 86400;
	/* the complaint, then its hold, then the link between them */
	ds_stmt *s;
	if ((err = ds_store_prepare(st,
	                            "INSERT INTO complaints(borrower_id, account_id, visit_id,"
	                            " staff_id, kind, detail, opened_at, due_at)"
	                            " VALUES (?,?,?,?,?,?,?,?)",
	                            &s, diag)))
		return err;
	ds_stmt_bind_text(s, 1, borrower);
	ds_stmt_bind_text(s, 2, account_id);
	if (visit_id > 0)
		ds_stmt_bind_int(s, 3, visit_id);
	else
		ds_stmt_bind_null(s, 3);
	ds_stmt_bind_text(s, 4, staff_id);
	ds_stmt_bind_text(s, 5, kind);
	ds_stmt_bind_text(s, 6, detail);
	ds_stmt_bind_int(s, 7, now);
	ds_stmt_bind_int(s, 8, due);
	bool row;
	err = ds_stmt_step(s, &row, diag);
	ds_stmt_done(s);
	if (err)
		return err;
	int64_t cid = ds_store_last_id(st);
	char reason[96];
	snprintf(reason, sizeof reason, "complaint %lld (%s)", (long long)cid, kind);
	if ((err = field_exec(st, diag,
	                      "INSERT INTO holds(borrower_id, account_id, kind, starts_at, set_by,"
	                      " reason) VALUES (?,?,'complaint',?,?,?)",
	                      "ttitt", borrower, account_id, (int64_t)now, actor, reason)))
		return err;
	int64_t hold = ds_store_last_id(st);
	if ((err = field_exec(st, diag, "UPDATE complaints SET hold_id = ? WHERE complaint_id = ?",
	                      "ii", hold, cid)))
		return err;
	if ((err = audit_json(st, "hold_add", "holds", hold,
	                      json_pack("{s:s, s:s, s:s, s:I, s:n}", "borrower_id", borrower,
	                                "account_id", account_id, "kind", "complaint", "starts_at",
	                                (json_int_t)now, "ends_at"),
	                      diag)))
		return err;
	char source[48];
	snprintf(source, sizeof source, "complaint:%lld", (long long)cid);
	bool written = false;
	if ((err = ds_task_add_for(st, c, account_id, "complaint", source,
	                           field_local_date(zone, now), now, &written, diag)))
		return err;
	json_t *v =
	        json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:b}", "account_id", account_id,
	                  "borrower_id", borrower, "kind", kind, "opened_at", (json_int_t)now,
	                  "due_at", (json_int_t)due, "hold_id", (json_int_t)hold, "task", written);
	if (v && visit_id > 0)
		json_object_set_new(v, "visit_id", json_integer(visit_id));
	if (v && staff_id)
		json_object_set_new(v, "staff_id", json_string(staff_id));
	if ((err = audit_json(st, "complaint_open", "complaints", cid, v, diag)))
		return err;
	*id = (long)cid;
	return DS_OK;
}

ds_err ds_complaint_open(ds_store *st, const struct ds_field_config *c, const char *account_id,
                         long visit_id, const char *staff_id, const char *kind, const char *detail,
                         ds_time now, long *id, struct ds_diag *diag)
{
	*id = 0;
	if (!account_id || !account_id[0])
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "account", "an account is needed");
	if (!kind || !known_kind(kind))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "kind",
		                   "unknown complaint kind \"%s\" (conduct, harassment, privacy,"
		                   " third_party, wrong_debt, fees, other)",
		                   kind ? kind : "");
	if (visit_id < 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "visit", "not a visit id: %ld",
		                   visit_id);
	if (staff_id && !staff_id[0])
		staff_id = NULL;
	if (detail && !detail[0])
		detail = NULL;
	if (detail && !good_text(detail, DETAIL_MAX))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "detail",
		                   "the detail must be UTF-8 text of at most %d bytes", DETAIL_MAX);
	if (c->complaint_sla_days < 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "complaint_sla_days",
		                   "complaint_sla_days must not be negative");
	ds_err err = ds_store_begin(st, diag);
	if (err)
		return err;
	long cid = 0;
	if (!(err = open_in_tx(st, c, account_id, visit_id, staff_id, kind, detail, now, &cid,
	                       diag)) &&
	    !(err = ds_store_commit(st, diag)))
		*id = cid;
	if (err)
		ds_store_rollback(st);
	return err;
}

/* The writes of ds_complaint_resolve, inside its transaction. */
static ds_err resolve_in_tx(ds_store *st, long id, const char *resolution, ds_time now,
                            struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT resolved_at, coalesce(resolved_by, ''), opened_at,"
	                              " coalesce(hold_id, 0) FROM complaints"
	                              " WHERE complaint_id = ?",
	                              &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_int(s, 1, id);
	int64_t hold = 0;
	if (!(err = ds_stmt_step(s, &row, diag))) {
		if (!row) {
			err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "complaint",
			                  "unknown complaint %ld", id);
		} else if (!ds_stmt_is_null(s, 0)) {
			char at[21];
			ds_time_format_utc(ds_stmt_int(s, 0), at);
			err = ds_diag_set(diag, DS_EREJECT, NULL, 0, "complaint",
			                  "complaint %ld is already resolved (%s by %s)", id, at,
			                  ds_stmt_text(s, 1)[0] ? ds_stmt_text(s, 1) : "unknown");
		} else if (now < ds_stmt_int(s, 2)) {
			char at[21];
			ds_time_format_utc(ds_stmt_int(s, 2), at);
			err = ds_diag_set(diag, DS_EREJECT, NULL, 0, "complaint",
			                  "complaint %ld was opened at %s: it cannot be resolved"
			                  " before that",
			                  id, at);
		} else {
			hold = ds_stmt_int(s, 3);
		}
	}
	ds_stmt_done(s);
	if (err)
		return err;
	const char *actor = ds_store_actor(st);
	if ((err = field_exec(st, diag,
	                      "UPDATE complaints SET resolved_at = ?, resolution = ?,"
	                      " resolved_by = ? WHERE complaint_id = ?",
	                      "itti", (int64_t)now, resolution, actor, (int64_t)id)))
		return err;
	/* the hold ends now, unless it was ended already */
	int64_t ended = 0;
	if (hold) {
		if ((err = field_exec(st, diag,
		                      "UPDATE holds SET ends_at = ? WHERE hold_id = ?"
		                      " AND (ends_at IS NULL OR ends_at > ?)",
		                      "iii", (int64_t)now, hold, (int64_t)now)))
			return err;
		if ((ended = ds_store_changes(st)) > 0 &&
		    (err = audit_json(st, "hold_end", "holds", hold,
		                      json_pack("{s:I, s:I}", "ends_at", (json_int_t)now,
		                                "complaint_id", (json_int_t)id),
		                      diag)))
			return err;
	}
	/* its follow-up is done */
	char source[48];
	snprintf(source, sizeof source, "complaint:%ld", id);
	if ((err = field_exec(st, diag,
	                      "UPDATE tasks SET status = 'done', done_at = ?, done_by = ?"
	                      " WHERE source = ? AND status = 'open'",
	                      "itt", (int64_t)now, actor, source)))
		return err;
	int64_t tasks = ds_store_changes(st);
	return audit_json(st, "complaint_resolve", "complaints", id,
	                  json_pack("{s:I, s:I, s:b, s:I}", "resolved_at", (json_int_t)now,
	                            "hold_id", (json_int_t)hold, "hold_ended", ended > 0,
	                            "tasks_done", (json_int_t)tasks),
	                  diag);
}

ds_err ds_complaint_resolve(ds_store *st, long id, const char *resolution, ds_time now,
                            struct ds_diag *diag)
{
	if (id <= 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "complaint", "not a complaint id: %ld",
		                   id);
	if (!resolution || !resolution[0])
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "resolution",
		                   "a resolution is needed");
	if (!good_text(resolution, RESOLUTION_MAX))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "resolution",
		                   "the resolution must be UTF-8 text of at most %d bytes",
		                   RESOLUTION_MAX);
	ds_err err = ds_store_begin(st, diag);
	if (err)
		return err;
	if ((err = resolve_in_tx(st, id, resolution, now, diag)) ||
	    (err = ds_store_commit(st, diag)))
		ds_store_rollback(st);
	return err;
}

ds_err ds_complaint_list(ds_store *st, bool open_only, bool overdue_only, ds_time as_of,
                         struct ds_complaint_info **out, long *n, struct ds_diag *diag)
{
	*out = NULL;
	*n = 0;
	ds_stmt *s;
	/* open at as_of: opened by then and not resolved by then */
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT complaint_id, coalesce(account_id, ''), borrower_id,"
	        " coalesce(staff_id, ''), kind, coalesce(resolved_by, ''), coalesce(visit_id, 0),"
	        " coalesce(hold_id, 0), opened_at, coalesce(due_at, 0), coalesce(resolved_at, 0)"
	        " FROM complaints WHERE opened_at <= ?"
	        " AND (? = 0 OR resolved_at IS NULL OR resolved_at > ?)"
	        " AND (? = 0 OR (due_at IS NOT NULL AND due_at < ?))"
	        " ORDER BY complaint_id",
	        &s, diag);
	if (err)
		return err;
	bool open_filter = open_only || overdue_only;
	ds_stmt_bind_int(s, 1, as_of);
	ds_stmt_bind_int(s, 2, open_filter);
	ds_stmt_bind_int(s, 3, as_of);
	ds_stmt_bind_int(s, 4, overdue_only);
	ds_stmt_bind_int(s, 5, as_of);
	struct ds_complaint_info *v = NULL;
	long cap = 0, k = 0;
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if (k == cap) {
			cap = cap ? cap * 2 : 64;
			struct ds_complaint_info *p = ds_realloc(v, (size_t)cap * sizeof *p);
			if (!p) {
				err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
				break;
			}
			v = p;
		}
		struct ds_complaint_info *r = &v[k++];
		memset(r, 0, sizeof *r);
		r->complaint_id = (long)ds_stmt_int(s, 0);
		ds_strlcpy(r->account_id, ds_stmt_text(s, 1), sizeof r->account_id);
		ds_strlcpy(r->borrower_id, ds_stmt_text(s, 2), sizeof r->borrower_id);
		ds_strlcpy(r->staff_id, ds_stmt_text(s, 3), sizeof r->staff_id);
		ds_strlcpy(r->kind, ds_stmt_text(s, 4), sizeof r->kind);
		ds_strlcpy(r->resolved_by, ds_stmt_text(s, 5), sizeof r->resolved_by);
		r->visit_id = (long)ds_stmt_int(s, 6);
		r->hold_id = (long)ds_stmt_int(s, 7);
		r->opened_at = ds_stmt_int(s, 8);
		r->due_at = ds_stmt_int(s, 9);
		r->resolved_at = ds_stmt_int(s, 10);
		r->open = !r->resolved_at || r->resolved_at > as_of;
		r->overdue = r->open && r->due_at && r->due_at < as_of;
	}
	ds_stmt_done(s);
	if (err) {
		ds_free(v);
		return err;
	}
	if (k == 0) {
		ds_free(v);
		v = NULL;
	}
	*out = v;
	*n = k;
	return DS_OK;
}

/*
 * The approval of a day's plan (docs/strategy.md, "Approval"): what the
 * manager approved is pinned by the SHA-256 of the day's decisions, so a
 * plan written again after its approval reads as stale, never as
 * approved.
 */
#include "doorstep/plan.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* The day's decisions counted and hashed in account order. */
static ds_err digest(ds_store *st, const char *day, long *n, char hex[static 65],
                     struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT account_id, treatment, expected_fen, cost_fen,"
	                              " coalesce(arm, '') FROM decisions WHERE plan_date = ?"
	                              " ORDER BY account_id",
	                              &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, day);
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	*n = 0;
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		char line[256];
		int len = snprintf(line, sizeof line, "%s|%s|%lld|%lld|%s\n", ds_stmt_text(s, 0),
		                   ds_stmt_text(s, 1), (long long)ds_stmt_int(s, 2),
		                   (long long)ds_stmt_int(s, 3), ds_stmt_text(s, 4));
		if (len < 0 || (size_t)len >= sizeof line)
			len = (int)strlen(line);
		crypto_hash_sha256_update(&h, (const unsigned char *)line, (size_t)len);
		(*n)++;
	}
	ds_stmt_done(s);
	if (err)
		return err;
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, d);
	hex[0] = '\0';
	if (*n)
		sodium_bin2hex(hex, 65, d, sizeof d);
	return DS_OK;
}

/* Who wrote the day's plan last: the actor of its latest audit entry. */
static ds_err maker(ds_store *st, const char *day, char out[static 65], struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT actor FROM audit_log WHERE action = 'plan'"
	                              " AND entity = 'decisions' AND entity_id = ?"
	                              " ORDER BY seq DESC LIMIT 1",
	                              &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, day);
	bool row = false;
	out[0] = '\0';
	if (!(err = ds_stmt_step(s, &row, diag)) && row)
		ds_strlcpy(out, ds_stmt_text(s, 0), 65);
	ds_stmt_done(s);
	return err;
}

ds_err ds_plan_approval_get(ds_store *st, ds_date day, struct ds_plan_approval *out,
                            struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	ds_strlcpy(out->status, "none", sizeof out->status);
	char date[11];
	ds_date_format(day, date);
	ds_err err = digest(st, date, &out->decisions, out->digest, diag);
	if (!err)
		err = maker(st, date, out->made_by, diag);
	if (err)
		return err;
	ds_stmt *s;
	if ((err = ds_store_prepare(st,
	                            "SELECT status, digest, decided_by, decided_at,"
	                            " coalesce(note, '') FROM plan_approvals WHERE plan_date = ?",
	                            &s, diag)))
		return err;
	ds_stmt_bind_text(s, 1, date);
	bool row = false;
	if (!(err = ds_stmt_step(s, &row, diag)) && row) {
		bool same = strcmp(ds_stmt_text(s, 1), out->digest) == 0;
		ds_strlcpy(out->status, same ? ds_stmt_text(s, 0) : "stale", sizeof out->status);
		ds_strlcpy(out->decided_by, ds_stmt_text(s, 2), sizeof out->decided_by);
		out->decided_at = (ds_time)ds_stmt_int(s, 3);
		ds_strlcpy(out->note, ds_stmt_text(s, 4), sizeof out->note);
	}
	ds_stmt_done(s);
	return err;
}

ds_err ds_plan_approval_decide(ds_store *st, ds_date day, bool approve, const char *note,
                               ds_time now, struct ds_plan_approval *out, struct ds_diag *diag)
{
	char date[11];
	ds_date_format(day, date);
	const char *actor = ds_store_actor(st);
	ds_err err = ds_store_begin(st, diag);
	if (err)
		return err;
	if ((err = ds_plan_approval_get(st, day, out, diag)))
		goto fail;
	if (out->decisions == 0) {
		err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "date", "no plan for %s", date);
		goto fail;
	}
	if (strcmp(out->made_by, actor) == 0) {
		err = ds_diag_set(diag, DS_EREJECT, NULL, 0, "actor",
		                  "%s wrote the plan for %s: another manager decides on it "
		                  "(maker-checker)",
		                  actor, date);
		goto fail;
	}
	if (strcmp(out->status, "approved") == 0 || strcmp(out->status, "rejected") == 0) {
		err = ds_diag_set(
		        diag, DS_EREJECT, NULL, 0, "date",
		        "the plan for %s was %s by %s; a new plan may be decided on again", date,
		        out->status, out->decided_by);
		goto fail;
	}
	ds_stmt *s;
	if ((err = ds_store_prepare(
	             st,
	             "INSERT INTO plan_approvals(plan_date, status, decisions, digest,"
	             " made_by, decided_by, decided_at, note)"
	             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	             " ON CONFLICT (plan_date) DO UPDATE SET status = ?2,"
	             " decisions = ?3, digest = ?4, made_by = ?5, decided_by = ?6,"
	             " decided_at = ?7, note = ?8",
	             &s, diag)))
		goto fail;
	const char *status = approve ? "approved" : "rejected";
	ds_stmt_bind_text(s, 1, date);
	ds_stmt_bind_text(s, 2, status);
	ds_stmt_bind_int(s, 3, out->decisions);
	ds_stmt_bind_text(s, 4, out->digest);
	ds_stmt_bind_text(s, 5, out->made_by[0] ? out->made_by : NULL);
	ds_stmt_bind_text(s, 6, actor);
	ds_stmt_bind_int(s, 7, (int64_t)now);
	ds_stmt_bind_text(s, 8, note && *note ? note : NULL);
	bool row;
	err = ds_stmt_step(s, &row, diag);
	ds_stmt_done(s);
	if (err)
		goto fail;
	char detail[160];
	snprintf(detail, sizeof detail, "{\"status\":\"%s\",\"decisions\":%ld,\"digest\":\"%s\"}",
	         status, out->decisions, out->digest);
	if ((err = ds_store_audit(st, approve ? "plan_approve" : "plan_reject", "decisions", date,
	                          detail, diag)) ||
	    (err = ds_store_commit(st, diag)))
		goto fail;
	ds_strlcpy(out->status, status, sizeof out->status);
	ds_strlcpy(out->decided_by, actor, sizeof out->decided_by);
	out->decided_at = now;
	ds_strlcpy(out->note, note ? note : "", sizeof out->note);
	return DS_OK;
fail:
	ds_store_rollback(st);
	return err;
}

/*
 * The outbox (field.h, docs/field.md "The outbox"): the contract with a
 * delivery adapter. Messages go queued -> sent -> delivered, or failed
 * (from queued or sent; a failed one may be queued again). A delivered
 * visit notice is a contact (the rules count it) and dates the visit's
 * notice.
 */
#include "field-int.h"

#include <stdio.h>
#include <string.h>

static bool may_go(const char *from, const char *to)
{
	static const char *const moves[][2] = {
		{ "queued", "sent" },    { "queued", "delivered" }, { "queued", "failed" },
		{ "sent", "delivered" }, { "sent", "failed" },      { "failed", "queued" },
	};
	for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
		if (strcmp(moves[i][0], from) == 0 && strcmp(moves[i][1], to) == 0)
			return true;
	return false;
}

ds_err ds_outbox_mark(ds_store *st, long outbox_id, const char *status, const char *error,
                      ds_time now, struct ds_diag *diag)
{
	if (error && strlen(error) > 500)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "error", "at most 500 bytes");
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT status, channel, coalesce(account_id, ''), purpose"
	                              " FROM outbox WHERE outbox_id = ?",
	                              &s, diag);
	if (err)
		return err;
	bool row;
	char from[16] = "", channel[16] = "", account[65] = "", purpose[32] = "";
	ds_stmt_bind_int(s, 1, outbox_id);
	if (!(err = ds_stmt_step(s, &row, diag)) && row) {
		ds_strlcpy(from, ds_stmt_text(s, 0), sizeof from);
		ds_strlcpy(channel, ds_stmt_text(s, 1), sizeof channel);
		ds_strlcpy(account, ds_stmt_text(s, 2), sizeof account);
		ds_strlcpy(purpose, ds_stmt_text(s, 3), sizeof purpose);
	}
	ds_stmt_done(s);
	if (err)
		return err;
	if (!row)
		return ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "outbox", "no message %ld",
		                   outbox_id);
	if (!may_go(from, status))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "status",
		                   "message %ld is %s: it cannot become %s (queued -> sent -> "
		                   "delivered, or failed; failed -> queued)",
		                   outbox_id, from, status);
	if ((err = ds_store_begin(st, diag)))
		return err;
	err = field_exec(st, diag,
	                 "UPDATE outbox SET status = ?, status_at = ?, error = ?,"
	                 " attempts = attempts + CASE WHEN ? = 'sent' OR ? = 'failed' THEN 1 ELSE 0"
	                 " END WHERE outbox_id = ?",
	                 "tittti", status, (int64_t)now, error, status, status, (int64_t)outbox_id);
	if (!err && strcmp(status, "delivered") == 0 && strcmp(purpose, "visit_notice") == 0 &&
	    account[0]) {
		char contact[40];
		snprintf(contact, sizeof contact, "outbox-%ld", outbox_id);
		err = field_exec(
		        st, diag,
		        "INSERT INTO contacts(contact_id, account_id, channel,"
		        " direction, started_at, party, outcome, purpose)"
		        " VALUES (?,?,?,'outbound',?,'borrower','delivered','visit_notice')"
		        " ON CONFLICT DO NOTHING",
		        "ttti", contact, account, channel, (int64_t)now);
		if (!err)
			err = field_exec(
			        st, diag,
			        "UPDATE visits SET notice_sent_at = CASE WHEN notice_sent_at"
			        " IS NULL OR notice_sent_at > ? THEN ? ELSE notice_sent_at END"
			        " WHERE visit_id IN (SELECT visit_id FROM notices"
			        " WHERE sms_outbox_id = ? OR letter_outbox_id = ?)",
			        "iiii", (int64_t)now, (int64_t)now, (int64_t)outbox_id,
			        (int64_t)outbox_id);
	}
	char id[24], detail[160];
	snprintf(id, sizeof id, "%ld", outbox_id);
	snprintf(detail, sizeof detail, "{\"from\":\"%s\",\"to\":\"%s\",\"channel\":\"%s\"}", from,
	         status, channel);
	if (!err)
		err = ds_store_audit(st, "outbox_mark", "outbox", id, detail, diag);
	if (!err)
		err = ds_store_commit(st, diag);
	if (err)
		ds_store_rollback(st);
	return err;
}

/*
 * Idempotency-Key (docs/api.md, "Retries"): a write sent with the header
 * is done at most once per user and key. The key is recorded as pending
 * before the handler runs; its answer (any status below 500) is kept and
 * given again, byte for byte, to a retry, marked Idempotent-Replayed. A
 * retry while the first is still pending gets 409 in_progress; one after
 * a crash between the write and the kept answer keeps getting it, since
 * whether the write happened is then unknown and doing it twice is the
 * worse mistake (docs/server.md says how staff clear such a key). An
 * answer of 500 or more forgets the key, so the retry runs. Keys are kept
 * SRV_IDEM_KEEP_S.
 */
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SRV_IDEM_KEEP_S (7 * 86400)

static bool key_ok(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > SRV_IDEM_KEY_MAX)
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		      (*k >= '0' && *k <= '9') || *k == '-' || *k == '_' || *k == '.' || *k == ':'))
			return false;
	return true;
}

/* The kept answer of (user, key), or the refusal that stands for it. */
static void replay(struct srv_req *r, ds_store *st, const char *key)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT method, path, status, coalesce(body, ''), created_at"
	                              " FROM idempotency_keys WHERE user_id = ? AND key = ?",
	                              &s, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	ds_stmt_bind_text(s, 1, r->s.user.user_id);
	ds_stmt_bind_text(s, 2, key);
	bool row = false;
	err = ds_stmt_step(s, &row, &d);
	if (err || !row) {
		ds_stmt_done(s);
		if (err)
			srv_fail(r, err, &d);
		else /* forgotten between the two statements: the first failed */
			srv_error(r, 409, "in_progress", "retry the request");
		return;
	}
	if (strcmp(ds_stmt_text(s, 0), r->method) != 0 ||
	    strcmp(ds_stmt_text(s, 1), r->path) != 0) {
		srv_error(r, 422, "key_reused",
		          "the Idempotency-Key was used for %s %s: a new write needs a new key",
		          ds_stmt_text(s, 0), ds_stmt_text(s, 1));
	} else if (ds_stmt_int(s, 2) == 0) {
		srv_header(r, "Retry-After", "1");
		srv_error(r, 409, "in_progress",
		          "the first request with this Idempotency-Key has no answer yet");
	} else {
		srv_header(r, "Idempotent-Replayed", "true");
		const char *body = ds_stmt_text(s, 3);
		srv_text(r, (int)ds_stmt_int(s, 2), "application/json", body, strlen(body));
	}
	ds_stmt_done(s);
}

bool srv_idem_begin(struct srv_req *r)
{
	const char *key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
	if (!key)
		return true;
	if (!key_ok(key)) {
		srv_error(r, 400, "bad_request",
		          "Idempotency-Key: 1 to %d of A-Z a-z 0-9 - _ . :", SRV_IDEM_KEY_MAX);
		return false;
	}
	ds_store *st = srv_store(r);
	if (!st)
		return false;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_time now = (ds_time)time(NULL);
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(st, "DELETE FROM idempotency_keys WHERE created_at < ?", &s, &d);
	bool row = false;
	if (!err) {
		ds_stmt_bind_int(s, 1, (int64_t)(now - SRV_IDEM_KEEP_S));
		err = ds_stmt_step(s, &row, &d);
		ds_stmt_done(s);
	}
	if (!err)
		err = ds_store_prepare(st,
		                       "INSERT INTO idempotency_keys(user_id, key, method, path,"
		                       " created_at) VALUES (?, ?, ?, ?, ?)"
		                       " ON CONFLICT (user_id, key) DO NOTHING RETURNING 1",
		                       &s, &d);
	if (err) {
		srv_fail(r, err, &d);
		return false;
	}
	ds_stmt_bind_text(s, 1, r->s.user.user_id);
	ds_stmt_bind_text(s, 2, key);
	ds_stmt_bind_text(s, 3, r->method);
	ds_stmt_bind_text(s, 4, r->path);
	ds_stmt_bind_int(s, 5, (int64_t)now);
	bool inserted = false;
	err = ds_stmt_step(s, &inserted, &d);
	if (!err && inserted) /* past the RETURNING row, so the insert completes */
		err = ds_stmt_step(s, &row, &d);
	ds_stmt_done(s);
	if (err) {
		srv_fail(r, err, &d);
		return false;
	}
	if (!inserted) {
		replay(r, st, key);
		return false;
	}
	ds_strlcpy(r->idem_key, key, sizeof r->idem_key);
	return true;
}

void srv_idem_end(struct srv_req *r)
{
	if (!r->idem_key[0] || !r->st)
		return;
	bool keep = r->status > 0 && r->status < 500 && r->answer;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        r->st,
	        keep ? "UPDATE idempotency_keys SET status = ?3, body = ?4 WHERE user_id = ?1 AND "
	               "key = ?2"
	             : "DELETE FROM idempotency_keys WHERE user_id = ?1 AND key = ?2",
	        &s, &d);
	if (!err) {
		ds_stmt_bind_text(s, 1, r->s.user.user_id);
		ds_stmt_bind_text(s, 2, r->idem_key);
		if (keep) {
			ds_stmt_bind_int(s, 3, r->status);
			ds_stmt_bind_text(s, 4, r->answer);
		}
		bool row;
		err = ds_stmt_step(s, &row, &d);
		ds_stmt_done(s);
	}
	if (err) /* the key stays pending: a retry is told so, never run twice */
		ds_diag_format(&d, r->error, sizeof r->error);
}

/* API tokens for integrations: named, a user's, until revoked. */
#include "auth-int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define NO_TOKEN "no such API token: unknown or revoked"

/* A token's name: 1 to 100 bytes of UTF-8 without control characters. */
static bool name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 100 || !ds_utf8_valid(name, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < ' ' || name[i] == 0x7f)
			return false;
	return true;
}

/* See auth.h. DS_ENOTFOUND for an unknown user, DS_EINVAL for a disabled
 * one or a bad name. Own transaction. */
ds_err ds_api_token_add(ds_store *st, const char *user_id, const char *name, ds_time now,
                        char token[static DS_TOKEN_CHARS], long *id, struct ds_diag *diag)
{
	token[0] = '\0';
	*id = 0;
	if (!user_id)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "user", "no user id");
	if (!name_ok(name))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "name",
		                   "a token's name is 1 to 100 bytes of text");
	ds_err err = auth_ready(diag);
	if (err || (err = ds_store_begin(st, diag)))
		return err;
	struct ds_user u;
	if (!(err = auth_user_load(st, user_id, &u, diag)) && u.disabled)
		err = ds_diag_set(diag, DS_EINVAL, NULL, 0, "user", "user \"%s\" is disabled",
		                  user_id);
	char tok[DS_TOKEN_CHARS], sha[AUTH_SHA256_HEX], key[32];
	auth_token_new(tok);
	auth_token_sha256(tok, sha);
	long new_id = 0;
	if (!err)
		err = auth_exec(st, diag, NULL,
		                "INSERT INTO api_tokens(user_id, name, token_sha256, created_at)"
		                " VALUES(?,?,?,?)",
		                "ttti", user_id, name, sha, now);
	if (!err) {
		new_id = (long)ds_store_last_id(st);
		snprintf(key, sizeof key, "%ld", new_id);
		err = auth_audit(st, "token_add", "api_tokens", key, diag, "{s:s, s:s}", "user_id",
		                 user_id, "name", name);
	}
	if (!(err = auth_finish(st, err, diag))) {
		memcpy(token, tok, DS_TOKEN_CHARS);
		*id = new_id;
	}
	sodium_memzero(tok, sizeof tok);
	return err;
}

/* See auth.h. DS_ENOTFOUND when no active token has that id. Own
 * transaction. */
ds_err ds_api_token_revoke(ds_store *st, long id, ds_time now, struct ds_diag *diag)
{
	ds_err err = ds_store_begin(st, diag);
	if (err)
		return err;
	ds_stmt *s;
	char user_id[65] = "";
	bool row = false;
	if (!(err = ds_store_prepare(st,
	                             "SELECT user_id FROM api_tokens WHERE token_id = ?"
	                             " AND revoked_at IS NULL",
	                             &s, diag))) {
		ds_stmt_bind_int(s, 1, id);
		if (!(err = ds_stmt_step(s, &row, diag)) && row)
			ds_strlcpy(user_id, ds_stmt_text(s, 0), sizeof user_id);
		ds_stmt_done(s);
	}
	if (!err && !row)
		err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, NULL, "no active API token %ld", id);
	if (!err)
		err = auth_exec(st, diag, NULL,
		                "UPDATE api_tokens SET revoked_at = ? WHERE token_id = ?", "ii",
		                now, (int64_t)id);
	if (!err) {
		char key[32];
		snprintf(key, sizeof key, "%ld", id);
		err = auth_audit(st, "token_revoke", "api_tokens", key, diag, "{s:s}", "user_id",
		                 user_id);
	}
	return auth_finish(st, err, diag);
}

/* See auth.h. The caller gets session_id 0, the token's id, no CSRF token
 * (a token is sent by a program, not carried by a browser) and no expiry;
 * the token's last use is recorded (not audited). */
ds_err ds_auth_api_token(ds_store *st, const char *token, ds_time now, struct ds_session *out,
                         struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	if (!auth_token_shaped(token))
		return ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, NULL, NO_TOKEN);
	char sha[AUTH_SHA256_HEX];
	auth_token_sha256(token, sha);
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(st,
	                         "SELECT t.token_id, t.user_id, t.last_used_at FROM api_tokens t"
	                         " JOIN users u ON u.user_id = t.user_id"
	                         " WHERE t.token_sha256 = ? AND t.revoked_at IS NULL"
	                         " AND u.disabled = 0",
	                         &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, sha);
	bool row;
	char user_id[65] = "";
	ds_time last = -1;
	if (!(err = ds_stmt_step(s, &row, diag)) && row) {
		out->token_id = (long)ds_stmt_int(s, 0);
		ds_strlcpy(user_id, ds_stmt_text(s, 1), sizeof user_id);
		last = ds_stmt_is_null(s, 2) ? -1 : ds_stmt_int(s, 2);
	}
	ds_stmt_done(s);
	if (err)
		return err;
	if (!row)
		return ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, NULL, NO_TOKEN);
	/* as for sessions: the last use is written at most every
	 * DS_AUTH_TOUCH_S, and not worth refusing a caller over while another
	 * connection holds the write lock */
	if (last >= 0 && now >= last && now - last < DS_AUTH_TOUCH_S)
		err = DS_OK;
	else
		err = auth_exec(st, diag, NULL,
		                "UPDATE api_tokens SET last_used_at = ? WHERE token_id = ?", "ii",
		                now, (int64_t)out->token_id);
	if (err == DS_EBUSY) {
		ds_diag_clear(diag);
		err = DS_OK;
	}
	if (!err)
		err = auth_user_load(st, user_id, &out->user, diag);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

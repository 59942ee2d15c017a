/* Helpers the auth layer's files share (auth-int.h): tokens, statements,
 * the audit entry, the user row. */
#include "auth-int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

ds_err auth_ready(struct ds_diag *diag)
{
	if (sodium_init() < 0)
		return ds_diag_set(diag, DS_ECRYPTO, NULL, 0, NULL, "libsodium cannot start");
	return DS_OK;
}

void auth_token_new(char token[static DS_TOKEN_CHARS])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	/* 32 bytes are 43 characters unpadded: DS_TOKEN_CHARS with the NUL */
	sodium_bin2base64(token, DS_TOKEN_CHARS, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

void auth_token_sha256(const char *token, char hex[static AUTH_SHA256_HEX])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(hex, AUTH_SHA256_HEX, d, sizeof d);
}

bool auth_token_shaped(const char *token)
{
	if (!token)
		return false;
	size_t n = 0;
	for (; token[n] && n < DS_TOKEN_CHARS; n++) {
		char c = token[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return n == DS_TOKEN_CHARS - 1;
}

ds_err auth_exec(ds_store *st, struct ds_diag *diag, int64_t *changes, const char *sql,
                 const char *types, ...)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st, sql, &s, diag);
	if (err)
		return err;
	va_list ap;
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 't')
			ds_stmt_bind_text(s, i + 1, va_arg(ap, const char *));
		else
			ds_stmt_bind_int(s, i + 1, va_arg(ap, int64_t));
	}
	va_end(ap);
	bool row;
	err = ds_stmt_step(s, &row, diag);
	ds_stmt_done(s);
	if (!err && changes)
		*changes = ds_store_changes(st);
	return err;
}

ds_err auth_audit(ds_store *st, const char *action, const char *entity, const char *entity_id,
                  struct ds_diag *diag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_error_t jerr;
	json_t *detail = json_vpack_ex(&jerr, 0, fmt, ap);
	va_end(ap);
	char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(detail);
	if (!text)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "cannot write the audit entry");
	ds_err err = ds_store_audit(st, action, entity, entity_id, text, diag);
	free(text);
	return err;
}

ds_err auth_user_load(ds_store *st, const char *user_id, struct ds_user *out, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	ds_stmt *s;
	/* A community worker's staff row may name no branch: the community's
	 * is theirs, and the server scopes by it. */
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT u.user_id, u.role, coalesce(u.staff_id, ''),"
	        " coalesce(s.branch_id, c.branch_id, ''), coalesce(s.community_id, ''), u.disabled"
	        " FROM users u LEFT JOIN staff s ON s.staff_id = u.staff_id"
	        " LEFT JOIN communities c ON c.community_id = s.community_id"
	        " WHERE u.user_id = ?",
	        &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_text(s, 1, user_id);
	if (!(err = ds_stmt_step(s, &row, diag))) {
		if (!row) {
			err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "user", "no user \"%s\"",
			                  user_id);
		} else if (ds_role_parse(ds_stmt_text(s, 1), &out->role)) {
			err = ds_diag_set(diag, DS_ESTORE, NULL, 0, "user",
			                  "user \"%s\" has an unknown role", user_id);
		} else {
			ds_strlcpy(out->user_id, ds_stmt_text(s, 0), sizeof out->user_id);
			ds_strlcpy(out->staff_id, ds_stmt_text(s, 2), sizeof out->staff_id);
			ds_strlcpy(out->branch_id, ds_stmt_text(s, 3), sizeof out->branch_id);
			ds_strlcpy(out->community_id, ds_stmt_text(s, 4), sizeof out->community_id);
			out->disabled = ds_stmt_int(s, 5) != 0;
		}
	}
	ds_stmt_done(s);
	return err;
}

ds_err auth_finish(ds_store *st, ds_err err, struct ds_diag *diag)
{
	if (!err)
		err = ds_store_commit(st, diag);
	if (err)
		ds_store_rollback(st);
	return err;
}

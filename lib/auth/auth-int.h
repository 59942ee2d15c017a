/* What the auth layer's files share and nobody else needs. */
#ifndef DOORSTEP_AUTH_INT_H
#define DOORSTEP_AUTH_INT_H

#include "doorstep/auth.h"

#define AUTH_PASSWORD_MIN 10   /* bytes */
#define AUTH_PASSWORD_MAX 1024 /* bytes: argon2 would take more, nobody types it */
#define AUTH_SHA256_HEX   65   /* 64 hex digits and NUL */

/* libsodium initialised (idempotent, thread-safe); DS_ECRYPTO if it cannot be. */
ds_err auth_ready(struct ds_diag *diag);

/* A new random token (32 bytes, base64url without padding, 43 characters)
 * into token. */
void auth_token_new(char token[static DS_TOKEN_CHARS]);
/* The SHA-256 of a token's text, in hex: what the database keeps. */
void auth_token_sha256(const char *token, char hex[static AUTH_SHA256_HEX]);
/* Whether text has a token's shape (43 base64url characters). */
bool auth_token_shaped(const char *token);

/* Runs one statement with parameters: each of `types` 't' (a const char
 * *, NULL: null) or 'i' (an int64_t). *changes (if not NULL) the rows it
 * changed. */
ds_err auth_exec(ds_store *st, struct ds_diag *diag, int64_t *changes, const char *sql,
                 const char *types, ...);

/* Audits an action with a JSON object built by jansson's json_pack from
 * fmt and the arguments (never a password or a token). */
ds_err auth_audit(ds_store *st, const char *action, const char *entity, const char *entity_id,
                  struct ds_diag *diag, const char *fmt, ...);

/* The user (with the staff member's branch and community); DS_ENOTFOUND
 * when there is none. Reads in the caller's transaction, if any. */
ds_err auth_user_load(ds_store *st, const char *user_id, struct ds_user *out, struct ds_diag *diag);

/* Commits, or rolls back when err (or the commit) fails; returns the error. */
ds_err auth_finish(ds_store *st, ds_err err, struct ds_diag *diag);

#endif

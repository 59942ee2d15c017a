/*
 * Who may do what (docs/server.md, "Authentication" and "Roles"): users
 * with argon2id password hashes (libsodium), sessions and API tokens
 * stored only as hashes, login throttling, roles and the masking of
 * personal data by role. The server and the CLI (`doorstep user`) are
 * front doors over these functions; the audit log's verification is the
 * store's (ds_store_audit_verify).
 */
#ifndef DOORSTEP_AUTH_H
#define DOORSTEP_AUTH_H

#include "doorstep/core.h"
#include "doorstep/store.h"

#include <stdbool.h>

/* ------------------------------------------------------------------ roles */

typedef enum {
	DS_ROLE_ADMIN,
	DS_ROLE_MANAGER,
	DS_ROLE_COLLECTOR,
	DS_ROLE_COMMUNITY_WORKER,
	DS_ROLE_ANALYST,
	DS_ROLE_AUDITOR,
	DS_ROLE_COUNT
} ds_role;

const char *ds_role_name(ds_role r);
ds_err ds_role_parse(const char *s, ds_role *out);

/* Personal data and who sees it whole: admin and manager see names,
 * phones and addresses; collectors and community workers the names and
 * addresses of the visits they make (the caller scopes which), phones
 * masked; analysts and auditors everything masked. National IDs: last
 * four digits for everyone (the full number is never shown). */
typedef enum { DS_PII_NAME, DS_PII_PHONE, DS_PII_NATIONAL_ID, DS_PII_ADDRESS } ds_pii_kind;
bool ds_role_sees_unmasked(ds_role r, ds_pii_kind k);
/* The value as the role may see it: unmasked, or masked (张*,
 * 138****1234, ID last 4, the address's first part only). */
void ds_pii_for_role(ds_role r, ds_pii_kind k, const char *value, char *out, size_t outsz);

/* ------------------------------------------------------------------ users */

#define DS_TOKEN_CHARS 44 /* a token as text: 32 random bytes, base64url, NUL */

struct ds_user {
	char user_id[65];
	ds_role role;
	char staff_id[65];     /* "" for a user who is not on the staff (admin) */
	char branch_id[65];    /* the staff member's, for scoping */
	char community_id[65]; /* a community worker's own */
	bool disabled;
};

/* Adds a user (a staff member or not) with a password of at least 10
 * bytes, hashed with argon2id (crypto_pwhash_str, interactive limits);
 * audited without the password. DS_EINVAL for a weak password or an
 * existing user id. */
ds_err ds_user_add(ds_store *st, const char *user_id, ds_role role, const char *staff_id,
                   const char *password, struct ds_diag *diag);
/* A new password; every session of the user is revoked. */
ds_err ds_user_passwd(ds_store *st, const char *user_id, const char *password,
                      struct ds_diag *diag);
/* Disables the user: sessions and API tokens revoked, logins refused. */
ds_err ds_user_disable(ds_store *st, const char *user_id, struct ds_diag *diag);
ds_err ds_user_get(ds_store *st, const char *user_id, struct ds_user *out, struct ds_diag *diag);

/* --------------------------------------------------------------- sessions */

/* An authenticated caller. */
struct ds_session {
	long session_id; /* 0 for an API token */
	long token_id;   /* 0 for a session */
	struct ds_user user;
	char csrf[DS_TOKEN_CHARS]; /* for cookie sessions: the header it needs */
	ds_time expires_at;        /* 0: none (API tokens) */
};

#define DS_SESSION_IDLE_S     (30 * 60)      /* a session unused this long ends */
#define DS_SESSION_ABSOLUTE_S (12 * 60 * 60) /* and any session after this */
#define DS_AUTH_TOUCH_S       60             /* a use is written at most this often */
#define DS_LOGIN_USER_FAILS   5              /* failures per user ... */
#define DS_LOGIN_ADDR_FAILS   20             /* ... or per address ... */
#define DS_LOGIN_WINDOW_S     (15 * 60)      /* ... within this refuse logins */

/*
 * Logs in: refused (DS_EBUSY) while the user or the address has had too
 * many failures in the window, else the password checked; a failure is
 * recorded (DS_EREJECT, one message whatever was wrong). On success a
 * session: its token (random, returned once in `token`, stored as its
 * SHA-256), a CSRF token, idle and absolute expiry. Audited.
 */
ds_err ds_auth_login(ds_store *st, const char *user_id, const char *password, const char *addr,
                     ds_time now, char token[static DS_TOKEN_CHARS], struct ds_session *out,
                     struct ds_diag *diag);
/* The session a token opens, its idle expiry moved on; DS_ENOTFOUND when
 * unknown, expired, revoked or the user disabled. The move is written only
 * when it is DS_AUTH_TOUCH_S or more (so a session in use is not a write
 * per request): the idle limit counts from a use at most a minute old. */
ds_err ds_auth_session(ds_store *st, const char *token, ds_time now, struct ds_session *out,
                       struct ds_diag *diag);
ds_err ds_auth_logout(ds_store *st, const char *token, ds_time now, struct ds_diag *diag);

/* API tokens for integrations: a user's, named, until revoked; the token
 * returned once, stored as its hash. */
ds_err ds_api_token_add(ds_store *st, const char *user_id, const char *name, ds_time now,
                        char token[static DS_TOKEN_CHARS], long *id, struct ds_diag *diag);
ds_err ds_api_token_revoke(ds_store *st, long id, ds_time now, struct ds_diag *diag);
/* The caller an API token stands for; DS_ENOTFOUND as for sessions. */
ds_err ds_auth_api_token(ds_store *st, const char *token, ds_time now, struct ds_session *out,
                         struct ds_diag *diag);

#endif

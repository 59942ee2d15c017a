/* Logging in (with throttling), the session a token opens, logging out. */
#include "auth-int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* One answer to every failed login, so that it does not tell which of the
 * user id and the password was wrong, or that the user is disabled. */
#define LOGIN_FAILED "unknown user or wrong password"
#define NO_SESSION   "no such session: unknown, expired or ended (log in again)"

/*
 * A valid argon2id hash of a password nobody knows, with the interactive
 * limits: an unknown user's password is checked against it, so that a
 * login takes as long whether or not the user exists.
 */
static const char dummy_hash[crypto_pwhash_STRBYTES] =
        "$argon2id$v=19$m=65536,t=2,p=1$AMtE3cyk+MPr+RKkkiVqXA$"
        "XiMiU9iZrsEVdcLsJDEz2rLHJQcjbK3mS4IlCCt8Z2Y";

/* ------------------------------------------------------------ throttling */

/*
 * When the failures recorded for one key (user or address) within the
 * window before now fall below `limit` again: the limit-th newest one
 * leaving the window. *until 0 when they are already below it.
 */
static ds_err throttled_until(ds_store *st, const char *sql, const char *key, int limit,
                              ds_time now, ds_time *until, struct ds_diag *diag)
{
	*until = 0;
	ds_stmt *s;
	ds_err err = ds_store_prepare(st, sql, &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, key);
	ds_stmt_bind_int(s, 2, now - DS_LOGIN_WINDOW_S);
	ds_stmt_bind_int(s, 3, now);
	ds_stmt_bind_int(s, 4, limit - 1);
	bool row;
	if (!(err = ds_stmt_step(s, &row, diag)) && row)
		*until = ds_stmt_int(s, 0) + DS_LOGIN_WINDOW_S;
	ds_stmt_done(s);
	return err;
}

/* DS_EBUSY, saying when to try again, while the user or the address has
 * had too many failures within the window. */
static ds_err throttle(ds_store *st, const char *user_id, const char *addr, ds_time now,
                       struct ds_diag *diag)
{
	ds_time by_user, by_addr;
	ds_err err = throttled_until(st,
	                             "SELECT at FROM login_failures WHERE user_id = ?"
	                             " AND at > ? AND at <= ? ORDER BY at DESC LIMIT 1 OFFSET ?",
	                             user_id, DS_LOGIN_USER_FAILS, now, &by_user, diag);
	if (!err)
		err = throttled_until(st,
		                      "SELECT at FROM login_failures WHERE addr = ?"
		                      " AND at > ? AND at <= ? ORDER BY at DESC LIMIT 1 OFFSET ?",
		                      addr, DS_LOGIN_ADDR_FAILS, now, &by_addr, diag);
	if (err)
		return err;
	ds_time until = by_user > by_addr ? by_user : by_addr;
	if (until <= now)
		return DS_OK;
	char when[21];
	ds_time_format_utc(until, when);
	long minutes = (long)((until - now + 59) / 60);
	return ds_diag_set(diag, DS_EBUSY, NULL, 0, NULL,
	                   "too many failed logins: try again in %ld minute%s (at %s)", minutes,
	                   minutes == 1 ? "" : "s", when);
}

/* --------------------------------------------------------------- login */

/* The stored hash and state of a user; *known false when there is none. */
static ds_err read_password(ds_store *st, const char *user_id, char hash[static 256], bool *known,
                            bool *disabled, struct ds_diag *diag)
{
	*known = *disabled = false;
	hash[0] = '\0';
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st, "SELECT password_hash, disabled FROM users WHERE user_id = ?", &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_text(s, 1, user_id);
	if (!(err = ds_stmt_step(s, &row, diag)) && row) {
		*known = true;
		ds_strlcpy(hash, ds_stmt_text(s, 0), 256);
		*disabled = ds_stmt_int(s, 1) != 0;
	}
	ds_stmt_done(s);
	return err;
}

/* A failed attempt: recorded for throttling and audited; DS_EREJECT. */
static ds_err login_failed(ds_store *st, const char *user_id, const char *addr, ds_time now,
                           struct ds_diag *diag)
{
	ds_err err = auth_exec(st, diag, NULL,
	                       "INSERT INTO login_failures(at, user_id, addr) VALUES(?,?,?)", "itt",
	                       now, user_id, addr);
	/* rows that left the window count for nothing any more */
	if (!err)
		err = auth_exec(st, diag, NULL, "DELETE FROM login_failures WHERE at <= ?", "i",
		                (int64_t)(now - DS_LOGIN_WINDOW_S));
	if (!err)
		err = auth_audit(st, "login_failed", "users", user_id, diag, "{s:s}", "addr", addr);
	if ((err = auth_finish(st, err, diag)))
		return err;
	return ds_diag_set(diag, DS_EREJECT, NULL, 0, NULL, LOGIN_FAILED);
}

/* See auth.h. DS_EINVAL for a NULL user id or password; addr NULL is
 * recorded as "" (every caller without an address then shares one
 * budget). Runs its own transaction. */
ds_err ds_auth_login(ds_store *st, const char *user_id, const char *password, const char *addr,
                     ds_time now, char token[static DS_TOKEN_CHARS], struct ds_session *out,
                     struct ds_diag *diag)
{
	token[0] = '\0';
	memset(out, 0, sizeof *out);
	if (!user_id || !password)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "a login needs a user and a password");
	if (!addr)
		addr = "";
	ds_err err = auth_ready(diag);
	/* refused early and cheaply: a throttled guesser costs no argon2 */
	if (err || (err = throttle(st, user_id, addr, now, diag)))
		return err;
	/* The password is checked outside the write transaction (argon2 takes
	 * a tenth of a second the other writers need not wait for), always,
	 * against a dummy hash when the user is unknown. */
	char hash[256];
	bool known, disabled;
	if ((err = read_password(st, user_id, hash, &known, &disabled, diag)))
		return err;
	size_t n = strlen(password);
	bool ok = n <= AUTH_PASSWORD_MAX &&
	          crypto_pwhash_str_verify(known ? hash : dummy_hash, password, n) == 0 && known &&
	          !disabled;
	if ((err = ds_store_begin(st, diag)))
		return err;
	/* Again under the write lock: parallel guesses are counted one after
	 * the other, and a password changed or a user disabled meanwhile
	 * wins. */
	if ((err = throttle(st, user_id, addr, now, diag))) {
		ds_store_rollback(st);
		return err;
	}
	if (ok) {
		char again[256];
		bool known2, disabled2;
		if ((err = read_password(st, user_id, again, &known2, &disabled2, diag))) {
			ds_store_rollback(st);
			return err;
		}
		ok = known2 && !disabled2 && strcmp(again, hash) == 0;
		sodium_memzero(again, sizeof again);
	}
	sodium_memzero(hash, sizeof hash);
	if (!ok)
		return login_failed(st, user_id, addr, now, diag);

	char tok[DS_TOKEN_CHARS], sha[AUTH_SHA256_HEX];
	auth_token_new(tok);
	auth_token_sha256(tok, sha);
	auth_token_new(out->csrf);
	out->expires_at = now + DS_SESSION_IDLE_S; /* the idle limit comes first */
	err = auth_exec(st, diag, NULL,
	                "INSERT INTO sessions(user_id, token_sha256, csrf, created_at,"
	                " last_seen_at, expires_at, addr) VALUES(?,?,?,?,?,?,?)",
	                "tttiiit", user_id, sha, out->csrf, now, now, out->expires_at, addr);
	if (!err) {
		out->session_id = (long)ds_store_last_id(st);
		err = auth_user_load(st, user_id, &out->user, diag);
	}
	if (!err)
		err = auth_audit(st, "login", "users", user_id, diag, "{s:I, s:s}", "session_id",
		                 (json_int_t)out->session_id, "addr", addr);
	if ((err = auth_finish(st, err, diag))) {
		sodium_memzero(tok, sizeof tok);
		memset(out, 0, sizeof *out);
		return err;
	}
	memcpy(token, tok, DS_TOKEN_CHARS);
	sodium_memzero(tok, sizeof tok);
	return DS_OK;
}

/* ------------------------------------------------------------ sessions */

/* See auth.h. The session's expiry slides to now + DS_SESSION_IDLE_S,
 * never past its creation + DS_SESSION_ABSOLUTE_S. */
ds_err ds_auth_session(ds_store *st, const char *token, ds_time now, struct ds_session *out,
                       struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	if (!auth_token_shaped(token))
		return ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, NULL, NO_SESSION);
	char sha[AUTH_SHA256_HEX];
	auth_token_sha256(token, sha);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT s.session_id, s.user_id, s.csrf, s.created_at, s.expires_at"
	        " FROM sessions s"
	        " JOIN users u ON u.user_id = s.user_id"
	        " WHERE s.token_sha256 = ? AND s.revoked_at IS NULL AND u.disabled = 0"
	        " AND s.expires_at > ? AND s.created_at + ? > ?",
	        &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, sha);
	ds_stmt_bind_int(s, 2, now);
	ds_stmt_bind_int(s, 3, DS_SESSION_ABSOLUTE_S);
	ds_stmt_bind_int(s, 4, now);
	bool row;
	ds_time created = 0, was = 0;
	char user_id[65] = "";
	if (!(err = ds_stmt_step(s, &row, diag)) && row) {
		out->session_id = (long)ds_stmt_int(s, 0);
		ds_strlcpy(user_id, ds_stmt_text(s, 1), sizeof user_id);
		ds_strlcpy(out->csrf, ds_stmt_text(s, 2), sizeof out->csrf);
		created = ds_stmt_int(s, 3);
		was = ds_stmt_int(s, 4);
	}
	ds_stmt_done(s);
	if (err)
		return err;
	if (!row)
		return ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, NULL, NO_SESSION);
	ds_time idle = now + DS_SESSION_IDLE_S, absolute = created + DS_SESSION_ABSOLUTE_S;
	out->expires_at = idle < absolute ? idle : absolute;
	/* Not audited: a use is not a change, and would flood the log. Nor
	 * written when the expiry moves by less than DS_AUTH_TOUCH_S: every
	 * request would otherwise be a write transaction, and the requests of
	 * all the server's threads would queue for the one writer. While
	 * another connection holds the write lock past the busy timeout (a
	 * long import) the session still opens, its expiry left as it was:
	 * readers are not locked out by a writer. */
	if (was > out->expires_at - DS_AUTH_TOUCH_S) {
		out->expires_at = was;
		err = DS_OK;
	} else {
		err = auth_exec(
		        st, diag, NULL,
		        "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE session_id = ?",
		        "iii", now, out->expires_at, (int64_t)out->session_id);
	}
	if (err == DS_EBUSY) {
		out->expires_at = was;
		ds_diag_clear(diag);
		err = DS_OK;
	}
	if (!err)
		err = auth_user_load(st, user_id, &out->user, diag);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

/* See auth.h. Ends the session (expired or not); DS_ENOTFOUND when the
 * token opens none or it has ended already. Own transaction. */
ds_err ds_auth_logout(ds_store *st, const char *token, ds_time now, struct ds_diag *diag)
{
	if (!auth_token_shaped(token))
		return ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, NULL, NO_SESSION);
	char sha[AUTH_SHA256_HEX];
	auth_token_sha256(token, sha);
	ds_err err = ds_store_begin(st, diag);
	if (err)
		return err;
	ds_stmt *s;
	long id = 0;
	char user_id[65] = "";
	if (!(err = ds_store_prepare(st,
	                             "SELECT session_id, user_id FROM sessions"
	                             " WHERE token_sha256 = ? AND revoked_at IS NULL",
	                             &s, diag))) {
		bool row;
		ds_stmt_bind_text(s, 1, sha);
		if (!(err = ds_stmt_step(s, &row, diag)) && row) {
			id = (long)ds_stmt_int(s, 0);
			ds_strlcpy(user_id, ds_stmt_text(s, 1), sizeof user_id);
		}
		ds_stmt_done(s);
	}
	if (!err && !id)
		err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, NULL, NO_SESSION);
	if (!err)
		err = auth_exec(st, diag, NULL,
		                "UPDATE sessions SET revoked_at = ? WHERE session_id = ?", "ii",
		                now, (int64_t)id);
	if (!err)
		err = auth_audit(st, "logout", "users", user_id, diag, "{s:I}", "session_id",
		                 (json_int_t)id);
	return auth_finish(st, err, diag);
}

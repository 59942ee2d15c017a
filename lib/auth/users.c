/* Users: adding one (a staff member or not), a new password, disabling,
 * reading one back. Passwords are argon2id hashes (libsodium). */
#include "auth-int.h"

#include <jansson.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

/* An identifier a person types and logs show: 1 to 64 bytes of UTF-8,
 * no blanks or control characters. */
static bool user_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 64 || !ds_utf8_valid(id, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (c <= ' ' || c == 0x7f)
			return false;
	}
	return true;
}

/* The password's hash, or DS_EINVAL (with a reason that never quotes it). */
static ds_err hash_password(const char *password, char hash[static crypto_pwhash_STRBYTES],
                            struct ds_diag *diag)
{
	size_t n = password ? strlen(password) : 0;
	if (n < AUTH_PASSWORD_MIN)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "password",
		                   "the password is too short: at least %d bytes",
		                   AUTH_PASSWORD_MIN);
	if (n > AUTH_PASSWORD_MAX)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "password",
		                   "the password is too long: at most %d bytes", AUTH_PASSWORD_MAX);
	ds_err err = auth_ready(diag);
	if (err)
		return err;
	if (crypto_pwhash_str(hash, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, "password",
		                   "cannot hash the password (out of memory)");
	return DS_OK;
}

/*
 * The staff member a user stands for must exist and agree with the role:
 * field staff (collectors, community workers) are users of their own role,
 * and users of those roles must be staff, since their scope (branch,
 * community) comes from the staff row; the office roles may be staff of
 * an office role or no staff at all.
 */
static ds_err check_staff(ds_store *st, ds_role role, const char *staff_id, struct ds_diag *diag)
{
	bool field = role == DS_ROLE_COLLECTOR || role == DS_ROLE_COMMUNITY_WORKER;
	if (!staff_id || !staff_id[0]) {
		if (field)
			return ds_diag_set(diag, DS_EINVAL, NULL, 0, "staff",
			                   "a %s must be a staff member (--staff)",
			                   ds_role_name(role));
		return DS_OK;
	}
	ds_stmt *s;
	ds_err err = ds_store_prepare(st, "SELECT role FROM staff WHERE staff_id = ?", &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_text(s, 1, staff_id);
	if (!(err = ds_stmt_step(s, &row, diag))) {
		ds_role sr;
		if (!row)
			err = ds_diag_set(diag, DS_EINVAL, NULL, 0, "staff",
			                  "no staff member \"%s\"", staff_id);
		else if (ds_role_parse(ds_stmt_text(s, 0), &sr))
			err = ds_diag_set(diag, DS_EINVAL, NULL, 0, "staff",
			                  "staff member \"%s\" has an unknown role", staff_id);
		else if ((field || sr == DS_ROLE_COLLECTOR || sr == DS_ROLE_COMMUNITY_WORKER) &&
		         sr != role)
			err = ds_diag_set(diag, DS_EINVAL, NULL, 0, "staff",
			                  "staff member \"%s\" is a %s, not a %s", staff_id,
			                  ds_role_name(sr), ds_role_name(role));
	}
	ds_stmt_done(s);
	return err;
}

/* See auth.h. Runs its own transaction (none may be open). */
ds_err ds_user_add(ds_store *st, const char *user_id, ds_role role, const char *staff_id,
                   const char *password, struct ds_diag *diag)
{
	if (!user_id_ok(user_id))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "user",
		                   "a user id is 1 to 64 bytes of UTF-8 without blanks");
	if ((unsigned)role >= DS_ROLE_COUNT)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "role", "no such role");
	if (staff_id && !staff_id[0])
		staff_id = NULL;
	/* hashed before the transaction: argon2 takes a tenth of a second
	 * that the write lock need not wait for */
	char hash[crypto_pwhash_STRBYTES];
	ds_err err = hash_password(password, hash, diag);
	if (err)
		return err;
	if ((err = ds_store_begin(st, diag)))
		return err;
	bool exists = false;
	if (!(err = ds_store_exists(st, "users", "user_id", user_id, &exists, diag)) && exists)
		err = ds_diag_set(diag, DS_EINVAL, NULL, 0, "user", "user \"%s\" exists already",
		                  user_id);
	if (!err)
		err = check_staff(st, role, staff_id, diag);
	int64_t now = (int64_t)time(NULL);
	if (!err)
		err = auth_exec(st, diag, NULL,
		                "INSERT INTO users(user_id, role, staff_id, password_hash,"
		                " disabled, created_at, password_at) VALUES(?,?,?,?,0,?,?)",
		                "ttttii", user_id, ds_role_name(role), staff_id, hash, now, now);
	sodium_memzero(hash, sizeof hash);
	if (!err)
		err = auth_audit(st, "user_add", "users", user_id, diag, "{s:s, s:s?}", "role",
		                 ds_role_name(role), "staff_id", staff_id);
	return auth_finish(st, err, diag);
}

/* See auth.h. DS_ENOTFOUND for an unknown user. Own transaction. */
ds_err ds_user_passwd(ds_store *st, const char *user_id, const char *password, struct ds_diag *diag)
{
	if (!user_id)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "user", "no user id");
	char hash[crypto_pwhash_STRBYTES];
	ds_err err = hash_password(password, hash, diag);
	if (err)
		return err;
	if ((err = ds_store_begin(st, diag)))
		return err;
	int64_t now = (int64_t)time(NULL), changed = 0, revoked = 0;
	err = auth_exec(st, diag, &changed,
	                "UPDATE users SET password_hash = ?, password_at = ? WHERE user_id = ?",
	                "tit", hash, now, user_id);
	sodium_memzero(hash, sizeof hash);
	if (!err && !changed)
		err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "user", "no user \"%s\"", user_id);
	/* whoever knew the old password may hold a session: it ends */
	if (!err)
		err = auth_exec(st, diag, &revoked,
		                "UPDATE sessions SET revoked_at = ? WHERE user_id = ?"
		                " AND revoked_at IS NULL",
		                "it", now, user_id);
	if (!err)
		err = auth_audit(st, "user_passwd", "users", user_id, diag, "{s:I}",
		                 "sessions_revoked", (json_int_t)revoked);
	return auth_finish(st, err, diag);
}

/* See auth.h. DS_ENOTFOUND for an unknown user; disabling a disabled user
 * changes nothing and writes nothing. Own transaction. */
ds_err ds_user_disable(ds_store *st, const char *user_id, struct ds_diag *diag)
{
	if (!user_id)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "user", "no user id");
	ds_err err = ds_store_begin(st, diag);
	if (err)
		return err;
	struct ds_user u;
	if ((err = auth_user_load(st, user_id, &u, diag)) || u.disabled)
		return auth_finish(st, err, diag);
	int64_t now = (int64_t)time(NULL), sessions = 0, tokens = 0;
	err = auth_exec(st, diag, NULL, "UPDATE users SET disabled = 1 WHERE user_id = ?", "t",
	                user_id);
	if (!err)
		err = auth_exec(st, diag, &sessions,
		                "UPDATE sessions SET revoked_at = ? WHERE user_id = ?"
		                " AND revoked_at IS NULL",
		                "it", now, user_id);
	if (!err)
		err = auth_exec(st, diag, &tokens,
		                "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ?"
		                " AND revoked_at IS NULL",
		                "it", now, user_id);
	if (!err)
		err = auth_audit(st, "user_disable", "users", user_id, diag, "{s:I, s:I}",
		                 "sessions_revoked", (json_int_t)sessions, "tokens_revoked",
		                 (json_int_t)tokens);
	return auth_finish(st, err, diag);
}

/* See auth.h. DS_ENOTFOUND for an unknown user. */
ds_err ds_user_get(ds_store *st, const char *user_id, struct ds_user *out, struct ds_diag *diag)
{
	if (!user_id)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "user", "no user id");
	return auth_user_load(st, user_id, out, diag);
}

/*
 * POST /api/login, POST /api/logout, GET /api/me. The session's token
 * travels only in the ds_session cookie (HttpOnly: scripts never see it;
 * SameSite=Strict: no other site's page sends it; Secure behind TLS); its
 * CSRF token is returned to the page, which sends it back as X-CSRF-Token
 * with every write.
 */
#include "server.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void set_cookie(struct srv_req *r, const char *token, long max_age)
{
	char c[256];
	snprintf(c, sizeof c, "ds_session=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s",
	         token, max_age, r->tls ? "; Secure" : "");
	srv_header(r, "Set-Cookie", c);
}

void h_login(struct srv_req *r)
{
	static const char *const keys[] = { "user", "password", NULL };
	const char *user = NULL, *password = NULL;
	if (!srv_body_only(r, keys) || !srv_body_str(r, "user", true, 64, &user) ||
	    !srv_body_str(r, "password", true, 1024, &password))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	char token[DS_TOKEN_CHARS];
	struct ds_session s;
	ds_err err = ds_auth_login(st, user, password, r->addr, (ds_time)time(NULL), token, &s, &d);
	/* the password leaves memory now (the body's buffer goes at the end) */
	sodium_memzero((void *)(uintptr_t)password, strlen(password));
	if (err == DS_EBUSY && strncmp(d.msg, "too many failed logins", 22) == 0) {
		char after[16];
		snprintf(after, sizeof after, "%d", DS_LOGIN_WINDOW_S);
		srv_header(r, "Retry-After", after);
		srv_error(r, 429, "throttled", "%s", d.msg);
		return;
	}
	if (err == DS_EREJECT || err == DS_ENOTFOUND || err == DS_EINVAL) {
		srv_error(r, 401, "login_failed", "unknown user or wrong password");
		return;
	}
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	set_cookie(r, token, DS_SESSION_ABSOLUTE_S);
	sodium_memzero(token, sizeof token);
	r->s = s;
	r->authed = true; /* for the log line */
	r->by_cookie = true;
	srv_json(r, 200,
	         json_pack("{s:s, s:s, s:s, s:I}", "user", s.user.user_id, "role",
	                   ds_role_name(s.user.role), "csrf", s.csrf, "expires_at",
	                   (json_int_t)s.expires_at));
}

void h_logout(struct srv_req *r)
{
	if (!r->by_cookie) {
		srv_error(r, 400, "not_a_session",
		          "an API token is revoked with 'doorstep user token revoke', not here");
		return;
	}
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_auth_logout(st, r->token, (ds_time)time(NULL), &d);
	if (err && err != DS_ENOTFOUND) {
		srv_fail(r, err, &d);
		return;
	}
	set_cookie(r, "", 0);
	srv_json(r, 200, json_pack("{s:b}", "logged_out", 1));
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

void h_me(struct srv_req *r)
{
	const struct ds_user *u = &r->s.user;
	json_t *o =
	        json_pack("{s:s, s:s, s:o, s:o, s:o, s:s}", "user", u->user_id, "role",
	                  ds_role_name(u->role), "staff_id", str_or_null(u->staff_id), "branch_id",
	                  str_or_null(u->branch_id), "community_id", str_or_null(u->community_id),
	                  "auth", r->by_cookie ? "cookie" : "bearer");
	if (r->by_cookie)
		json_object_set_new(o, "csrf", json_string(r->s.csrf));
	json_object_set_new(o, "expires_at",
	                    r->s.expires_at ? json_integer(r->s.expires_at) : json_null());
	srv_json(r, 200, o);
}

/*
 * Users, passwords, sessions, throttling, API tokens and masking
 * (lib/auth), and the audit log's verification (lib/store/audit.c), each
 * tampering done with raw SQL on a store of its own. The commands:
 * tests/cli/test_user.sh and tests/cli/test_audit.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doorstep/auth.h"
#include "store-int.h"

#define PW    "correct horse battery"
#define PW2   "staple and another one"
#define T0    ((ds_time)1780000000) /* 2026-05-28T20:26:40Z */
#define ADDR  "203.0.113.7"
#define ADDR2 "198.51.100.4"

static char dir[64];

static int group_setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/ds-auth-XXXXXX", tmp ? tmp : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static void exec(ds_store *st, const char *sql)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_store_exec(st, sql, &d);
	if (err)
		fprintf(stderr, "%s\n%s\n", sql, d.msg);
	assert_int_equal(err, DS_OK);
}

static long one(ds_store *st, const char *sql)
{
	ds_stmt *s;
	struct ds_diag d;
	assert_int_equal(ds_store_prepare(st, sql, &s, &d), DS_OK);
	bool row;
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	long v = row ? (long)ds_stmt_int(s, 0) : -1;
	ds_stmt_done(s);
	return v;
}

static void text(ds_store *st, const char *sql, char *out, size_t outsz)
{
	ds_stmt *s;
	struct ds_diag d;
	assert_int_equal(ds_store_prepare(st, sql, &s, &d), DS_OK);
	bool row;
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	ds_strlcpy(out, row ? ds_stmt_text(s, 0) : "", outsz);
	ds_stmt_done(s);
}

/* A store (a file in the test's directory) with the schema and nothing
 * else; a short busy timeout, for the test that holds the lock. */
static ds_store *open_store(const char *name)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
	struct ds_store_opts o = { .actor = "tester", .for_init = true, .busy_timeout_ms = 100 };
	ds_store *st = NULL;
	struct ds_diag d;
	assert_int_equal(ds_store_open(path, &o, &st, &d), DS_OK);
	assert_int_equal(ds_store_migrate(st, NULL, &d), DS_OK);
	return st;
}

/* A branch with a community, and staff of three roles. */
static ds_store *bank(const char *name)
{
	ds_store *st = open_store(name);
	exec(st, "INSERT INTO branches(branch_id, name, timezone) VALUES ('BR1','西湖',"
	         "'Asia/Shanghai');"
	         "INSERT INTO communities(community_id, name, branch_id, centroid_lat,"
	         " centroid_lon, partner_status) VALUES ('C1','文一社区','BR1',30.28,120.1,"
	         "'active');"
	         "INSERT INTO staff(staff_id, name, role, branch_id, community_id) VALUES"
	         " ('S1','张伟','collector','BR1',NULL),"
	         " ('S2','孙丽','community_worker',NULL,'C1'),"
	         " ('S3','李强','manager','BR1',NULL);");
	return st;
}

static void add(ds_store *st, const char *user, ds_role role, const char *staff)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_user_add(st, user, role, staff, PW, &d);
	if (err)
		fprintf(stderr, "%s\n", d.msg);
	assert_int_equal(err, DS_OK);
}

static ds_err login(ds_store *st, const char *user, const char *pw, const char *addr, ds_time now,
                    char token[static DS_TOKEN_CHARS], struct ds_session *s, struct ds_diag *d)
{
	ds_diag_clear(d);
	return ds_auth_login(st, user, pw, addr, now, token, s, d);
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* How many rows of `table` hold `needle` in any of the given columns. */
static long rows_holding(ds_store *st, const char *sql, const char *needle)
{
	ds_stmt *s;
	struct ds_diag d;
	assert_int_equal(ds_store_prepare(st, sql, &s, &d), DS_OK);
	ds_stmt_bind_text(s, 1, needle);
	bool row;
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	long v = (long)ds_stmt_int(s, 0);
	ds_stmt_done(s);
	return v;
}

/* ------------------------------------------------------------------ users */

static void users_add_get_disable(void **state)
{
	(void)state;
	ds_store *st = bank("users.db");
	struct ds_diag d;
	add(st, "admin1", DS_ROLE_ADMIN, NULL);
	add(st, "zhang", DS_ROLE_COLLECTOR, "S1");
	add(st, "sun", DS_ROLE_COMMUNITY_WORKER, "S2");
	add(st, "li", DS_ROLE_MANAGER, "S3");
	add(st, "wu", DS_ROLE_ANALYST, "");

	struct ds_user u;
	assert_int_equal(ds_user_get(st, "zhang", &u, &d), DS_OK);
	assert_string_equal(u.user_id, "zhang");
	assert_int_equal(u.role, DS_ROLE_COLLECTOR);
	assert_string_equal(u.staff_id, "S1");
	assert_string_equal(u.branch_id, "BR1");
	assert_string_equal(u.community_id, "");
	assert_false(u.disabled);
	/* a community worker: their community, and its branch */
	assert_int_equal(ds_user_get(st, "sun", &u, &d), DS_OK);
	assert_int_equal(u.role, DS_ROLE_COMMUNITY_WORKER);
	assert_string_equal(u.community_id, "C1");
	assert_string_equal(u.branch_id, "BR1");
	assert_int_equal(ds_user_get(st, "admin1", &u, &d), DS_OK);
	assert_int_equal(u.role, DS_ROLE_ADMIN);
	assert_string_equal(u.staff_id, "");
	assert_string_equal(u.branch_id, "");
	assert_int_equal(ds_user_get(st, "nobody", &u, &d), DS_ENOTFOUND);

	/* refusals, none of them written */
	long users = one(st, "SELECT count(*) FROM users");
	assert_int_equal(ds_user_add(st, "zhang", DS_ROLE_ADMIN, NULL, PW, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "exists already"));
	assert_int_equal(ds_user_add(st, "x1", DS_ROLE_MANAGER, "S9", PW, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "no staff member \"S9\""));
	/* a staff collector is a collector user, and the other way round */
	assert_int_equal(ds_user_add(st, "x2", DS_ROLE_MANAGER, "S1", PW, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "is a collector, not a manager"));
	assert_int_equal(ds_user_add(st, "x3", DS_ROLE_COLLECTOR, "S2", PW, &d), DS_EINVAL);
	assert_int_equal(ds_user_add(st, "x4", DS_ROLE_COLLECTOR, "S3", PW, &d), DS_EINVAL);
	assert_int_equal(ds_user_add(st, "x5", DS_ROLE_COLLECTOR, NULL, PW, &d), DS_EINVAL);
	assert_int_equal(ds_user_add(st, "", DS_ROLE_ADMIN, NULL, PW, &d), DS_EINVAL);
	assert_int_equal(ds_user_add(st, "a b", DS_ROLE_ADMIN, NULL, PW, &d), DS_EINVAL);
	assert_int_equal(ds_user_add(st, "x6", DS_ROLE_COUNT, NULL, PW, &d), DS_EINVAL);
	assert_int_equal(one(st, "SELECT count(*) FROM users"), users);

	/* stored as argon2id, the password nowhere */
	char hash[256];
	text(st, "SELECT password_hash FROM users WHERE user_id = 'zhang'", hash, sizeof hash);
	assert_memory_equal(hash, "$argon2id$", 10);
	assert_null(strstr(hash, PW));
	assert_int_equal(crypto_pwhash_str_verify(hash, PW, strlen(PW)), 0);
	assert_int_equal(one(st, "SELECT count(*) FROM audit_log WHERE action = 'user_add'"), 5);
	assert_int_equal(rows_holding(st,
	                              "SELECT count(*) FROM audit_log WHERE"
	                              " instr(coalesce(detail,''), ?1) OR instr(entity_id, ?1)",
	                              PW),
	                 0);

	/* disabled: sessions and tokens end, logins refused like any failure */
	char tok[DS_TOKEN_CHARS], api[DS_TOKEN_CHARS];
	struct ds_session s;
	long id;
	assert_int_equal(login(st, "zhang", PW, ADDR, T0, tok, &s, &d), DS_OK);
	assert_int_equal(ds_api_token_add(st, "zhang", "crm", T0, api, &id, &d), DS_OK);
	assert_int_equal(ds_user_disable(st, "zhang", &d), DS_OK);
	assert_int_equal(ds_user_get(st, "zhang", &u, &d), DS_OK);
	assert_true(u.disabled);
	assert_int_equal(ds_auth_session(st, tok, T0 + 60, &s, &d), DS_ENOTFOUND);
	assert_int_equal(ds_auth_api_token(st, api, T0 + 60, &s, &d), DS_ENOTFOUND);
	assert_int_equal(
	        one(st,
	            "SELECT count(*) FROM sessions WHERE user_id='zhang' AND revoked_at IS NULL"),
	        0);
	assert_int_equal(one(st, "SELECT count(*) FROM api_tokens WHERE user_id='zhang'"
	                         " AND revoked_at IS NULL"),
	                 0);
	assert_int_equal(login(st, "zhang", PW, ADDR, T0 + 60, tok, &s, &d), DS_EREJECT);
	assert_string_equal(d.msg, "unknown user or wrong password");
	assert_int_equal(ds_api_token_add(st, "zhang", "crm2", T0, api, &id, &d), DS_EINVAL);
	/* again: nothing more to do, nothing written */
	long audits = one(st, "SELECT count(*) FROM audit_log");
	assert_int_equal(ds_user_disable(st, "zhang", &d), DS_OK);
	assert_int_equal(one(st, "SELECT count(*) FROM audit_log"), audits);
	assert_int_equal(ds_user_disable(st, "nobody", &d), DS_ENOTFOUND);
	assert_int_equal(one(st, "SELECT json_extract(detail, '$.sessions_revoked') || '/' ||"
	                         " json_extract(detail, '$.tokens_revoked') = '1/1' FROM audit_log"
	                         " WHERE action = 'user_disable' AND entity_id = 'zhang'"),
	                 1);
	ds_store_close(st);
}

static void weak_passwords_refused(void **state)
{
	(void)state;
	ds_store *st = bank("weak.db");
	struct ds_diag d;
	assert_int_equal(ds_user_add(st, "a", DS_ROLE_ADMIN, NULL, "123456789", &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "at least 10 bytes"));
	assert_null(strstr(d.msg, "123456789"));
	assert_int_equal(ds_user_add(st, "a", DS_ROLE_ADMIN, NULL, "", &d), DS_EINVAL);
	assert_int_equal(ds_user_add(st, "a", DS_ROLE_ADMIN, NULL, NULL, &d), DS_EINVAL);
	char big[1026];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0'; /* 1025 bytes */
	assert_int_equal(ds_user_add(st, "a", DS_ROLE_ADMIN, NULL, big, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "at most 1024 bytes"));
	assert_int_equal(one(st, "SELECT count(*) FROM users"), 0);
	/* the edges pass: 10 bytes, and 1024 */
	assert_int_equal(ds_user_add(st, "a", DS_ROLE_ADMIN, NULL, "1234567890", &d), DS_OK);
	big[1024] = '\0';
	assert_int_equal(ds_user_add(st, "b", DS_ROLE_ADMIN, NULL, big, &d), DS_OK);
	char tok[DS_TOKEN_CHARS];
	struct ds_session s;
	assert_int_equal(login(st, "b", big, ADDR, T0, tok, &s, &d), DS_OK);
	/* a new password must be as strong; the old one still works then */
	assert_int_equal(ds_user_passwd(st, "a", "short", &d), DS_EINVAL);
	assert_int_equal(login(st, "a", "1234567890", ADDR, T0, tok, &s, &d), DS_OK);
	assert_int_equal(ds_user_passwd(st, "nobody", PW, &d), DS_ENOTFOUND);
	ds_store_close(st);
}

/* -------------------------------------------------------------- logging in */

static void failures_look_alike(void **state)
{
	(void)state;
	ds_store *st = bank("alike.db");
	add(st, "admin1", DS_ROLE_ADMIN, NULL);
	add(st, "gone", DS_ROLE_ADMIN, NULL);
	struct ds_diag d;
	assert_int_equal(ds_user_disable(st, "gone", &d), DS_OK);
	char tok[DS_TOKEN_CHARS];
	struct ds_session s;
	char wrong[512], unknown[512], disabled[512];
	assert_int_equal(login(st, "admin1", "not the password", ADDR, T0, tok, &s, &d),
	                 DS_EREJECT);
	ds_strlcpy(wrong, d.msg, sizeof wrong);
	assert_string_equal(tok, "");
	assert_int_equal(s.session_id, 0);
	assert_int_equal(login(st, "ghost", PW, ADDR, T0, tok, &s, &d), DS_EREJECT);
	ds_strlcpy(unknown, d.msg, sizeof unknown);
	assert_int_equal(login(st, "gone", PW, ADDR, T0, tok, &s, &d), DS_EREJECT);
	ds_strlcpy(disabled, d.msg, sizeof disabled);
	assert_string_equal(wrong, "unknown user or wrong password");
	assert_string_equal(unknown, wrong);
	assert_string_equal(disabled, wrong);
	/* each recorded and audited: the user as typed, the address in detail */
	assert_int_equal(one(st, "SELECT count(*) FROM login_failures"), 3);
	assert_int_equal(one(st, "SELECT count(*) FROM login_failures WHERE user_id = 'ghost'"
	                         " AND addr = '" ADDR "'"),
	                 1);
	assert_int_equal(one(st, "SELECT count(*) FROM audit_log WHERE action = 'login_failed'"
	                         " AND entity = 'users' AND entity_id IN ('admin1','ghost','gone')"
	                         " AND json_extract(detail, '$.addr') = '" ADDR "'"),
	                 3);
	assert_int_equal(rows_holding(st,
	                              "SELECT count(*) FROM audit_log WHERE"
	                              " instr(coalesce(detail,''), ?1)",
	                              "not the password"),
	                 0);
	assert_int_equal(one(st, "SELECT count(*) FROM sessions"), 0);
	/* and success is audited too */
	assert_int_equal(login(st, "admin1", PW, ADDR, T0, tok, &s, &d), DS_OK);
	assert_int_equal(one(st, "SELECT count(*) FROM audit_log WHERE action = 'login'"
	                         " AND entity_id = 'admin1'"),
	                 1);
	ds_store_close(st);
}

static void throttled_by_user(void **state)
{
	(void)state;
	ds_store *st = bank("throttle-user.db");
	add(st, "admin1", DS_ROLE_ADMIN, NULL);
	add(st, "li", DS_ROLE_MANAGER, "S3");
	struct ds_diag d;
	char tok[DS_TOKEN_CHARS];
	struct ds_session s;
	/* five failures, one a second, from five addresses */
	for (int i = 0; i < DS_LOGIN_USER_FAILS; i++) {
		char addr[32];
		snprintf(addr, sizeof addr, "10.0.0.%d", i + 1);
		assert_int_equal(login(st, "admin1", "bad password!", addr, T0 + i, tok, &s, &d),
		                 DS_EREJECT);
	}
	/* now even the right password is refused, saying when to retry */
	assert_int_equal(login(st, "admin1", PW, ADDR, T0 + 10, tok, &s, &d), DS_EBUSY);
	assert_string_equal(d.msg, "too many failed logins: try again in 15 minutes (at "
	                           "2026-05-28T20:41:40Z)");
	assert_int_equal(login(st, "admin1", "bad password!", ADDR, T0 + 11, tok, &s, &d),
	                 DS_EBUSY);
	/* a refusal is not a failure: nothing recorded */
	assert_int_equal(one(st, "SELECT count(*) FROM login_failures"), DS_LOGIN_USER_FAILS);
	/* another user from the same addresses is not held up */
	assert_int_equal(login(st, "li", PW, "10.0.0.1", T0 + 12, tok, &s, &d), DS_OK);
	/* the window ends when the first failure leaves it */
	assert_int_equal(login(st, "admin1", PW, ADDR, T0 + DS_LOGIN_WINDOW_S - 1, tok, &s, &d),
	                 DS_EBUSY);
	assert_non_null(strstr(d.msg, "try again in 1 minute (at"));
	assert_int_equal(login(st, "admin1", PW, ADDR, T0 + DS_LOGIN_WINDOW_S, tok, &s, &d), DS_OK);
	/* a success does not clear the record: a new failure counts with the
	 * four still in the window */
	assert_int_equal(
	        login(st, "admin1", "bad password!", ADDR, T0 + DS_LOGIN_WINDOW_S, tok, &s, &d),
	        DS_EREJECT);
	assert_int_equal(login(st, "admin1", PW, ADDR, T0 + DS_LOGIN_WINDOW_S, tok, &s, &d),
	                 DS_EBUSY);
	/* and the one that left the window was deleted on the way */
	assert_int_equal(one(st, "SELECT count(*) FROM login_failures"), DS_LOGIN_USER_FAILS);
	assert_int_equal(one(st, "SELECT min(at) FROM login_failures"), T0 + 1);
	ds_store_close(st);
}

static void throttled_by_address(void **state)
{
	(void)state;
	ds_store *st = bank("throttle-addr.db");
	add(st, "admin1", DS_ROLE_ADMIN, NULL);
	struct ds_diag d;
	char tok[DS_TOKEN_CHARS];
	struct ds_session s;
	/* twenty failures from one address, over users that each stay under
	 * their own limit */
	for (int i = 0; i < DS_LOGIN_ADDR_FAILS; i++) {
		char user[32];
		snprintf(user, sizeof user, "guess%d", i % 5);
		assert_int_equal(login(st, user, "bad password!", ADDR, T0 + i, tok, &s, &d),
		                 DS_EREJECT);
		if (i == DS_LOGIN_ADDR_FAILS - 2) /* 19: not yet */
			assert_int_equal(login(st, "admin1", PW, ADDR, T0 + i, tok, &s, &d), DS_OK);
	}
	assert_int_equal(login(st, "admin1", PW, ADDR, T0 + 30, tok, &s, &d), DS_EBUSY);
	assert_non_null(strstr(d.msg, "try again in"));
	/* from elsewhere the same user logs in */
	assert_int_equal(login(st, "admin1", PW, ADDR2, T0 + 31, tok, &s, &d), DS_OK);
	/* lifted once the first failure leaves the window */
	assert_int_equal(login(st, "admin1", PW, ADDR, T0 + DS_LOGIN_WINDOW_S - 1, tok, &s, &d),
	                 DS_EBUSY);
	assert_int_equal(login(st, "admin1", PW, ADDR, T0 + DS_LOGIN_WINDOW_S, tok, &s, &d), DS_OK);
	ds_store_close(st);
}

/* --------------------------------------------------------------- sessions */

static void sessions_expire_and_end(void **state)
{
	(void)state;
	ds_store *st = bank("sessions.db");
	add(st, "zhang", DS_ROLE_COLLECTOR, "S1");
	struct ds_diag d;
	char tok[DS_TOKEN_CHARS];
	struct ds_session s, got;
	assert_int_equal(login(st, "zhang", PW, ADDR, T0, tok, &s, &d), DS_OK);
	assert_int_equal(strlen(tok), 43);
	assert_int_equal(strlen(s.csrf), 43);
	assert_string_not_equal(tok, s.csrf);
	assert_true(s.session_id > 0);
	assert_int_equal(s.token_id, 0);
	assert_int_equal(s.expires_at, T0 + DS_SESSION_IDLE_S);
	assert_string_equal(s.user.user_id, "zhang");
	assert_string_equal(s.user.branch_id, "BR1");

	/* the database holds the token's SHA-256, never the token */
	char stored[128], want[65];
	text(st, "SELECT token_sha256 FROM sessions", stored, sizeof stored);
	assert_true(is_hex64(stored));
	assert_string_not_equal(stored, tok);
	unsigned char dg[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(dg, (const unsigned char *)tok, strlen(tok));
	sodium_bin2hex(want, sizeof want, dg, sizeof dg);
	assert_string_equal(stored, want);
	assert_int_equal(rows_holding(st,
	                              "SELECT count(*) FROM sessions WHERE token_sha256 = ?1"
	                              " OR csrf = ?1 OR addr = ?1",
	                              tok),
	                 0);
	assert_int_equal(
	        rows_holding(st, "SELECT count(*) FROM audit_log WHERE instr(detail, ?1)", tok), 0);

	/* the idle expiry slides with each use */
	assert_int_equal(ds_auth_session(st, tok, T0 + DS_SESSION_IDLE_S - 1, &got, &d), DS_OK);
	assert_int_equal(got.session_id, s.session_id);
	assert_string_equal(got.csrf, s.csrf);
	assert_string_equal(got.user.user_id, "zhang");
	assert_int_equal(got.expires_at, T0 + 2 * DS_SESSION_IDLE_S - 1);
	assert_int_equal(ds_auth_session(st, tok, T0 + 2 * DS_SESSION_IDLE_S - 2, &got, &d), DS_OK);
	ds_time last = T0 + 2 * DS_SESSION_IDLE_S - 2;
	assert_int_equal(ds_auth_session(st, tok, last + DS_SESSION_IDLE_S, &got, &d),
	                 DS_ENOTFOUND);
	assert_int_equal(got.session_id, 0);

	/* used every 20 minutes, a session still ends after 12 hours */
	assert_int_equal(login(st, "zhang", PW, ADDR, T0, tok, &s, &d), DS_OK);
	ds_time t = T0;
	for (; t < T0 + DS_SESSION_ABSOLUTE_S - 60; t += 20 * 60)
		assert_int_equal(ds_auth_session(st, tok, t, &got, &d), DS_OK);
	assert_int_equal(ds_auth_session(st, tok, T0 + DS_SESSION_ABSOLUTE_S - 60, &got, &d),
	                 DS_OK);
	assert_int_equal(got.expires_at, T0 + DS_SESSION_ABSOLUTE_S); /* not idle's later one */
	assert_int_equal(ds_auth_session(st, tok, T0 + DS_SESSION_ABSOLUTE_S, &got, &d),
	                 DS_ENOTFOUND);

	/* logout ends it, once */
	assert_int_equal(login(st, "zhang", PW, ADDR, T0, tok, &s, &d), DS_OK);
	assert_int_equal(ds_auth_logout(st, tok, T0 + 5, &d), DS_OK);
	assert_int_equal(ds_auth_session(st, tok, T0 + 6, &got, &d), DS_ENOTFOUND);
	assert_int_equal(ds_auth_logout(st, tok, T0 + 7, &d), DS_ENOTFOUND);
	assert_int_equal(one(st, "SELECT count(*) FROM audit_log WHERE action = 'logout'"), 1);

	/* a new password ends every session, and only the new one opens */
	char t1[DS_TOKEN_CHARS], t2[DS_TOKEN_CHARS];
	assert_int_equal(login(st, "zhang", PW, ADDR, T0, t1, &s, &d), DS_OK);
	assert_int_equal(login(st, "zhang", PW, ADDR2, T0 + 1, t2, &s, &d), DS_OK);
	assert_string_not_equal(t1, t2);
	long open = one(st, "SELECT count(*) FROM sessions WHERE revoked_at IS NULL");
	assert_int_equal(ds_user_passwd(st, "zhang", PW2, &d), DS_OK);
	assert_int_equal(ds_auth_session(st, t1, T0 + 2, &got, &d), DS_ENOTFOUND);
	assert_int_equal(ds_auth_session(st, t2, T0 + 2, &got, &d), DS_ENOTFOUND);
	assert_int_equal(login(st, "zhang", PW, ADDR, T0 + 3, tok, &s, &d), DS_EREJECT);
	assert_int_equal(login(st, "zhang", PW2, ADDR, T0 + 4, tok, &s, &d), DS_OK);
	assert_int_equal(ds_auth_session(st, tok, T0 + 5, &got, &d), DS_OK);
	assert_int_equal(one(st, "SELECT json_extract(detail, '$.sessions_revoked') FROM audit_log"
	                         " WHERE action = 'user_passwd'"),
	                 open);
	assert_int_equal(one(st, "SELECT count(*) FROM sessions WHERE revoked_at IS NULL"), 1);

	/* tokens that are not: refused without a lookup's worth of effort */
	assert_int_equal(ds_auth_session(st, "", T0, &got, &d), DS_ENOTFOUND);
	assert_int_equal(ds_auth_session(st, NULL, T0, &got, &d), DS_ENOTFOUND);
	assert_int_equal(ds_auth_session(st, want, T0, &got, &d), DS_ENOTFOUND);
	char forged[DS_TOKEN_CHARS];
	memcpy(forged, tok, sizeof forged);
	forged[0] = forged[0] == 'A' ? 'B' : 'A';
	assert_int_equal(ds_auth_session(st, forged, T0 + 5, &got, &d), DS_ENOTFOUND);
	ds_store_close(st);
}

static void api_tokens(void **state)
{
	(void)state;
	ds_store *st = bank("tokens.db");
	add(st, "li", DS_ROLE_MANAGER, "S3");
	struct ds_diag d;
	char tok[DS_TOKEN_CHARS];
	long id = 0;
	assert_int_equal(ds_api_token_add(st, "li", "crm export", T0, tok, &id, &d), DS_OK);
	assert_true(id > 0);
	assert_int_equal(strlen(tok), 43);
	char stored[128];
	text(st, "SELECT token_sha256 FROM api_tokens", stored, sizeof stored);
	assert_true(is_hex64(stored));
	assert_string_not_equal(stored, tok);
	assert_int_equal(rows_holding(st,
	                              "SELECT count(*) FROM audit_log WHERE instr(detail, ?1)"
	                              " OR instr(entity_id, ?1)",
	                              tok),
	                 0);

	struct ds_session s;
	assert_int_equal(ds_auth_api_token(st, tok, T0 + 100, &s, &d), DS_OK);
	assert_int_equal(s.token_id, id);
	assert_int_equal(s.session_id, 0);
	assert_int_equal(s.expires_at, 0);
	assert_string_equal(s.csrf, "");
	assert_string_equal(s.user.user_id, "li");
	assert_int_equal(s.user.role, DS_ROLE_MANAGER);
	assert_string_equal(s.user.branch_id, "BR1");
	assert_int_equal(one(st, "SELECT last_used_at FROM api_tokens"), T0 + 100);
	/* an API token is no session, nor a session an API token */
	assert_int_equal(ds_auth_session(st, tok, T0 + 100, &s, &d), DS_ENOTFOUND);

	assert_int_equal(ds_api_token_revoke(st, id, T0 + 200, &d), DS_OK);
	assert_int_equal(ds_auth_api_token(st, tok, T0 + 300, &s, &d), DS_ENOTFOUND);
	assert_int_equal(ds_api_token_revoke(st, id, T0 + 300, &d), DS_ENOTFOUND);
	assert_int_equal(ds_api_token_revoke(st, 999, T0 + 300, &d), DS_ENOTFOUND);
	assert_int_equal(ds_api_token_add(st, "nobody", "x", T0, tok, &id, &d), DS_ENOTFOUND);
	assert_int_equal(ds_api_token_add(st, "li", "", T0, tok, &id, &d), DS_EINVAL);
	assert_int_equal(one(st, "SELECT count(*) FROM audit_log WHERE action = 'token_add'"), 1);
	assert_int_equal(one(st, "SELECT count(*) FROM audit_log WHERE action = 'token_revoke'"
	                         " AND entity = 'api_tokens' AND entity_id = '1'"),
	                 1);
	/* a password change leaves API tokens alone; disabling does not */
	assert_int_equal(ds_api_token_add(st, "li", "second", T0, tok, &id, &d), DS_OK);
	assert_int_equal(ds_user_passwd(st, "li", PW2, &d), DS_OK);
	assert_int_equal(ds_auth_api_token(st, tok, T0 + 400, &s, &d), DS_OK);
	ds_store_close(st);
}

/* A long write elsewhere (an import) does not lock callers out: the
 * session opens, its expiry not moved. */
static void sessions_open_while_locked(void **state)
{
	(void)state;
	ds_store *st = bank("locked.db");
	add(st, "li", DS_ROLE_MANAGER, "S3");
	struct ds_diag d;
	char tok[DS_TOKEN_CHARS], api[DS_TOKEN_CHARS];
	struct ds_session s;
	long id;
	assert_int_equal(login(st, "li", PW, ADDR, T0, tok, &s, &d), DS_OK);
	assert_int_equal(ds_api_token_add(st, "li", "crm", T0, api, &id, &d), DS_OK);
	ds_store *other = NULL;
	assert_int_equal(ds_store_open_reader(st, &other, &d), DS_OK);
	assert_int_equal(ds_store_begin(other, &d), DS_OK);
	assert_int_equal(ds_auth_session(st, tok, T0 + 60, &s, &d), DS_OK);
	assert_int_equal(s.expires_at, T0 + DS_SESSION_IDLE_S);
	assert_string_equal(s.user.user_id, "li");
	assert_int_equal(ds_auth_api_token(st, api, T0 + 60, &s, &d), DS_OK);
	assert_int_equal(s.token_id, id);
	/* writes wait, and fail, as writes do */
	assert_int_equal(ds_auth_logout(st, tok, T0 + 60, &d), DS_EBUSY);
	ds_store_rollback(other);
	ds_store_close(other);
	assert_int_equal(ds_auth_session(st, tok, T0 + 60, &s, &d), DS_OK);
	assert_int_equal(s.expires_at, T0 + 60 + DS_SESSION_IDLE_S);
	ds_store_close(st);
}

/* A session or a token in use is not a write per request: its use is
 * written when it moves the record by a minute or more. */
static void uses_written_once_a_minute(void **state)
{
	(void)state;
	ds_store *st = bank("touch.db");
	add(st, "li", DS_ROLE_MANAGER, "S3");
	struct ds_diag d;
	char tok[DS_TOKEN_CHARS], api[DS_TOKEN_CHARS];
	struct ds_session s;
	long id;
	assert_int_equal(login(st, "li", PW, ADDR, T0, tok, &s, &d), DS_OK);
	assert_int_equal(ds_api_token_add(st, "li", "crm", T0, api, &id, &d), DS_OK);
	assert_int_equal(ds_auth_session(st, tok, T0 + 59, &s, &d), DS_OK);
	assert_int_equal(s.expires_at, T0 + DS_SESSION_IDLE_S); /* as stored */
	assert_int_equal(one(st, "SELECT last_seen_at FROM sessions"), T0);
	assert_int_equal(ds_auth_session(st, tok, T0 + DS_AUTH_TOUCH_S, &s, &d), DS_OK);
	assert_int_equal(s.expires_at, T0 + DS_AUTH_TOUCH_S + DS_SESSION_IDLE_S);
	assert_int_equal(one(st, "SELECT last_seen_at FROM sessions"), T0 + DS_AUTH_TOUCH_S);
	assert_int_equal(ds_auth_api_token(st, api, T0 + 10, &s, &d), DS_OK);
	assert_int_equal(ds_auth_api_token(st, api, T0 + 69, &s, &d), DS_OK);
	assert_int_equal(one(st, "SELECT last_used_at FROM api_tokens"), T0 + 10);
	assert_int_equal(ds_auth_api_token(st, api, T0 + 70, &s, &d), DS_OK);
	assert_int_equal(one(st, "SELECT last_used_at FROM api_tokens"), T0 + 70);
	ds_store_close(st);
}

/* ---------------------------------------------------------------- masking */

static void masking_by_role(void **state)
{
	(void)state;
	static const char *const value[4] = {
		[DS_PII_NAME] = "张三丰",
		[DS_PII_PHONE] = "13800138000",
		[DS_PII_NATIONAL_ID] = "110101199003071233",
		[DS_PII_ADDRESS] = "西湖区文一路12号3幢",
	};
	static const char *const masked[4] = {
		[DS_PII_NAME] = "张**",
		[DS_PII_PHONE] = "138****8000",
		[DS_PII_NATIONAL_ID] = "**************1233",
		[DS_PII_ADDRESS] = "西湖区文一路",
	};
	/* whole[role][kind]: seen unmasked */
	static const bool whole[DS_ROLE_COUNT][4] = {
		[DS_ROLE_ADMIN] = { true, true, false, true },
		[DS_ROLE_MANAGER] = { true, true, false, true },
		[DS_ROLE_COLLECTOR] = { true, false, false, true },
		[DS_ROLE_COMMUNITY_WORKER] = { true, false, false, true },
		[DS_ROLE_ANALYST] = { false, false, false, false },
		[DS_ROLE_AUDITOR] = { false, false, false, false },
	};
	for (int r = 0; r < DS_ROLE_COUNT; r++)
		for (int k = 0; k < 4; k++) {
			assert_int_equal(ds_role_sees_unmasked((ds_role)r, (ds_pii_kind)k),
			                 whole[r][k]);
			char out[128];
			ds_pii_for_role((ds_role)r, (ds_pii_kind)k, value[k], out, sizeof out);
			assert_string_equal(out, whole[r][k] ? value[k] : masked[k]);
		}
	char out[64];
	/* an address that starts with its number shows nothing of it */
	ds_pii_for_role(DS_ROLE_ANALYST, DS_PII_ADDRESS, "12号3幢", out, sizeof out);
	assert_string_equal(out, "***");
	ds_pii_for_role(DS_ROLE_AUDITOR, DS_PII_ADDRESS, "", out, sizeof out);
	assert_string_equal(out, "***");
	/* full-width digits count, and a blank before the number goes */
	ds_pii_for_role(DS_ROLE_AUDITOR, DS_PII_ADDRESS, "拱墅区 莫干山路１２号", out, sizeof out);
	assert_string_equal(out, "拱墅区 莫干山路");
	/* cut short, never in the middle of a character */
	ds_pii_for_role(DS_ROLE_AUDITOR, DS_PII_ADDRESS, "西湖区文一路12号", out, 8);
	assert_string_equal(out, "西湖");
	ds_pii_for_role(DS_ROLE_ADMIN, DS_PII_NAME, NULL, out, sizeof out);
	assert_string_equal(out, "");

	for (int r = 0; r < DS_ROLE_COUNT; r++) {
		ds_role back;
		assert_int_equal(ds_role_parse(ds_role_name((ds_role)r), &back), DS_OK);
		assert_int_equal(back, r);
	}
	ds_role x;
	assert_string_equal(ds_role_name(DS_ROLE_COMMUNITY_WORKER), "community_worker");
	assert_int_equal(ds_role_parse("root", &x), DS_EINVAL);
	assert_int_equal(ds_role_parse("Admin", &x), DS_EINVAL);
	assert_string_equal(ds_role_name(DS_ROLE_COUNT), "?");
}

/* -------------------------------------------------------------- audit log */

/* A store whose log has its migrations and then n entries of our own. */
static ds_store *chain(const char *name, int n)
{
	ds_store *st = open_store(name);
	struct ds_diag d;
	for (int i = 1; i <= n; i++) {
		char id[16], detail[64];
		snprintf(id, sizeof id, "%d", i);
		snprintf(detail, sizeof detail, "{\"n\":%d}", i);
		assert_int_equal(ds_store_audit(st, "test", "thing", id, i % 3 ? detail : NULL, &d),
		                 DS_OK);
	}
	return st;
}

static struct ds_audit_check check(ds_store *st)
{
	struct ds_audit_check c;
	struct ds_diag d;
	ds_diag_clear(&d);
	assert_int_equal(ds_store_audit_verify(st, &c, &d), DS_OK);
	return c;
}

static void audit_intact(void **state)
{
	(void)state;
	ds_store *st = chain("intact.db", 200);
	long n = one(st, "SELECT count(*) FROM audit_log");
	assert_true(n >= 200 + ds_store_schema_latest());
	struct ds_audit_check c = check(st);
	assert_true(c.intact);
	assert_int_equal(c.entries, n);
	assert_int_equal(c.first_bad_seq, 0);
	assert_string_equal(c.problem, "");
	/* the head is the newest entry */
	char head[128], want[128];
	text(st, "SELECT value FROM store_meta WHERE name = 'audit_head'", head, sizeof head);
	text(st, "SELECT seq || ':' || hash FROM audit_log ORDER BY seq DESC LIMIT 1", want,
	     sizeof want);
	assert_string_equal(head, want);

	/* the layout every database so far was chained with: an independent
	 * recomputation of one entry */
	ds_stmt *s;
	struct ds_diag d;
	assert_int_equal(ds_store_prepare(st,
	                                  "SELECT prev_hash, at, actor, action, entity,"
	                                  " entity_id, detail, hash FROM audit_log WHERE seq = ?",
	                                  &s, &d),
	                 DS_OK);
	ds_stmt_bind_int(s, 1, n - 5);
	bool row;
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	assert_true(row);
	char at[32];
	snprintf(at, sizeof at, "%lld", (long long)ds_stmt_int(s, 1));
	const char *parts[7] = { ds_stmt_text(s, 0), at,
		                 ds_stmt_text(s, 2), ds_stmt_text(s, 3),
		                 ds_stmt_text(s, 4), ds_stmt_text(s, 5),
		                 ds_stmt_text(s, 6) };
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	for (int i = 0; i < 7; i++) {
		uint32_t len = (uint32_t)strlen(parts[i]);
		crypto_hash_sha256_update(&h, (const unsigned char *)&len, sizeof len);
		crypto_hash_sha256_update(&h, (const unsigned char *)parts[i], len);
	}
	unsigned char dg[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, dg);
	char hex[65];
	sodium_bin2hex(hex, sizeof hex, dg, sizeof dg);
	assert_string_equal(hex, ds_stmt_text(s, 7));
	ds_stmt_done(s);
	ds_store_close(st);
}

static void audit_edited(void **state)
{
	(void)state;
	ds_store *st = chain("edited.db", 50);
	exec(st, "UPDATE audit_log SET detail = '{\"n\":999}' WHERE seq = 17");
	struct ds_audit_check c = check(st);
	assert_false(c.intact);
	assert_int_equal(c.first_bad_seq, 17);
	assert_int_equal(c.entries, 17);
	assert_string_equal(c.problem, "entry 17: its hash does not match its contents (edited)");
	ds_store_close(st);

	/* the hash edited instead: the same entry is found */
	st = chain("edited-hash.db", 50);
	exec(st, "UPDATE audit_log SET hash = '" DS_AUDIT_GENESIS "' WHERE seq = 30");
	c = check(st);
	assert_false(c.intact);
	assert_int_equal(c.first_bad_seq, 30);
	assert_string_equal(c.problem, "entry 30: its hash does not match its contents (edited)");
	ds_store_close(st);

	/* the actor changed */
	st = chain("edited-actor.db", 50);
	exec(st, "UPDATE audit_log SET actor = 'someone' WHERE seq = 3");
	c = check(st);
	assert_int_equal(c.first_bad_seq, 3);
	ds_store_close(st);
}

static void audit_deleted_in_the_middle(void **state)
{
	(void)state;
	ds_store *st = chain("deleted.db", 50);
	exec(st, "DELETE FROM audit_log WHERE seq = 18");
	struct ds_audit_check c = check(st);
	assert_false(c.intact);
	assert_int_equal(c.first_bad_seq, 18);
	assert_string_equal(c.problem, "entry 18 missing (deleted): the log goes from 17 to 19");
	ds_store_close(st);

	st = chain("deleted-some.db", 50);
	exec(st, "DELETE FROM audit_log WHERE seq BETWEEN 20 AND 24");
	c = check(st);
	assert_int_equal(c.first_bad_seq, 20);
	assert_string_equal(c.problem,
	                    "entries 20 to 24 missing (deleted): the log goes from 19 to 25");
	ds_store_close(st);

	st = chain("deleted-first.db", 10);
	exec(st, "DELETE FROM audit_log WHERE seq = 1");
	c = check(st);
	assert_int_equal(c.first_bad_seq, 1);
	assert_string_equal(c.problem, "entry 1 missing (deleted): the log begins at 2");
	ds_store_close(st);
}

/* Appends a row by raw SQL with a hash that is right for its contents. */
static void forge(ds_store *st, long seq, const char *prev)
{
	char hex[65], sql[512];
	ds_audit_hash(prev, T0, "intruder", "test", "thing", "x", NULL, hex);
	snprintf(sql, sizeof sql,
	         "INSERT INTO audit_log(seq, at, actor, action, entity, entity_id, detail,"
	         " prev_hash, hash) VALUES (%ld, %lld, 'intruder', 'test', 'thing', 'x', NULL,"
	         " '%s', '%s')",
	         seq, (long long)T0, prev, hex);
	exec(st, sql);
}

static void audit_inserted(void **state)
{
	(void)state;
	/* in the middle: the entries after it renumbered, its hash right */
	ds_store *st = chain("inserted.db", 50);
	char prev[65];
	text(st, "SELECT hash FROM audit_log WHERE seq = 10", prev, sizeof prev);
	exec(st, "UPDATE audit_log SET seq = -(seq + 1) WHERE seq > 10;"
	         "UPDATE audit_log SET seq = -seq WHERE seq < 0");
	forge(st, 11, prev);
	struct ds_audit_check c = check(st);
	assert_false(c.intact);
	assert_int_equal(c.first_bad_seq, 12);
	assert_string_equal(c.problem, "entry 12 does not link to entry 11 (an entry inserted, "
	                               "replaced or reordered)");
	ds_store_close(st);

	/* at the end, linked and hashed right: past the recorded head */
	st = chain("appended.db", 50);
	long last = one(st, "SELECT max(seq) FROM audit_log");
	text(st, "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1", prev, sizeof prev);
	forge(st, last + 1, prev);
	c = check(st);
	assert_false(c.intact);
	assert_int_equal(c.first_bad_seq, last + 1);
	char want[256];
	snprintf(want, sizeof want,
	         "the log goes on to %ld past its recorded head %ld (entries added outside "
	         "doorstep)",
	         last + 1, last);
	assert_string_equal(c.problem, want);
	/* and the next entry doorstep writes leaves it showing */
	struct ds_diag d;
	assert_int_equal(ds_store_audit(st, "test", "thing", "after", NULL, &d), DS_OK);
	c = check(st);
	assert_false(c.intact);
	assert_int_equal(c.first_bad_seq, last + 2);
	ds_store_close(st);
}

static void audit_deleted_at_the_end(void **state)
{
	(void)state;
	ds_store *st = chain("truncated.db", 50);
	long last = one(st, "SELECT max(seq) FROM audit_log");
	char sql[128];
	snprintf(sql, sizeof sql, "DELETE FROM audit_log WHERE seq > %ld", last - 2);
	exec(st, sql);
	struct ds_audit_check c = check(st);
	assert_false(c.intact);
	assert_int_equal(c.entries, last - 2);
	assert_int_equal(c.first_bad_seq, last - 1);
	char want[256];
	snprintf(want, sizeof want,
	         "the log ends at %ld but its head was %ld (entries deleted at the end)", last - 2,
	         last);
	assert_string_equal(c.problem, want);
	/* a later entry does not cover it up: it continues from the head */
	struct ds_diag d;
	assert_int_equal(ds_store_audit(st, "test", "thing", "after", NULL, &d), DS_OK);
	assert_int_equal(one(st, "SELECT max(seq) FROM audit_log"), last + 1);
	c = check(st);
	assert_false(c.intact);
	assert_int_equal(c.first_bad_seq, last - 1);
	snprintf(want, sizeof want,
	         "entries %ld to %ld missing (deleted): the log goes from %ld to %ld", last - 1,
	         last, last - 2, last + 1);
	assert_string_equal(c.problem, want);
	ds_store_close(st);

	/* all of it */
	st = chain("emptied.db", 5);
	last = one(st, "SELECT max(seq) FROM audit_log");
	exec(st, "DELETE FROM audit_log");
	c = check(st);
	assert_false(c.intact);
	assert_int_equal(c.entries, 0);
	assert_int_equal(c.first_bad_seq, 1);
	snprintf(want, sizeof want, "the log is empty but its head was %ld (entries deleted)",
	         last);
	assert_string_equal(c.problem, want);
	ds_store_close(st);
}

static void audit_head_not_recorded(void **state)
{
	(void)state;
	/* a database from before the head was kept */
	ds_store *st = chain("old.db", 20);
	exec(st, "DELETE FROM store_meta WHERE name = 'audit_head'");
	struct ds_audit_check c = check(st);
	assert_true(c.intact);
	assert_int_equal(c.first_bad_seq, 0);
	assert_non_null(strstr(c.problem, "head is not recorded yet"));
	/* its breaks are still found */
	exec(st, "UPDATE audit_log SET entity = 'other' WHERE seq = 10");
	c = check(st);
	assert_false(c.intact);
	assert_int_equal(c.first_bad_seq, 10);
	exec(st, "UPDATE audit_log SET entity = 'thing' WHERE seq = 10");
	/* the next entry records it, chained on from the last one */
	struct ds_diag d;
	assert_int_equal(ds_store_audit(st, "test", "thing", "next", NULL, &d), DS_OK);
	c = check(st);
	assert_true(c.intact);
	assert_string_equal(c.problem, "");
	assert_int_equal(c.entries, one(st, "SELECT count(*) FROM audit_log"));
	/* a head made unreadable */
	exec(st, "UPDATE store_meta SET value = 'garbage' WHERE name = 'audit_head'");
	c = check(st);
	assert_false(c.intact);
	assert_non_null(strstr(c.problem, "head is unreadable"));
	ds_store_close(st);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(users_add_get_disable),
		cmocka_unit_test(weak_passwords_refused),
		cmocka_unit_test(failures_look_alike),
		cmocka_unit_test(throttled_by_user),
		cmocka_unit_test(throttled_by_address),
		cmocka_unit_test(sessions_expire_and_end),
		cmocka_unit_test(api_tokens),
		cmocka_unit_test(sessions_open_while_locked),
		cmocka_unit_test(uses_written_once_a_minute),
		cmocka_unit_test(masking_by_role),
		cmocka_unit_test(audit_intact),
		cmocka_unit_test(audit_edited),
		cmocka_unit_test(audit_deleted_in_the_middle),
		cmocka_unit_test(audit_inserted),
		cmocka_unit_test(audit_deleted_at_the_end),
		cmocka_unit_test(audit_head_not_recorded),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * Unit tests of a day's plan approval (plan.h, ds_plan_approval_*): the
 * maker may not approve, the decisions are pinned by their digest (a plan
 * written again reads as stale), a decision is taken once per digest,
 * and every decision is audited.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doorstep/plan.h"

static char dir[64];
static char db[128];

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/ds-approval-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(db, sizeof db, "%s/a.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static ds_store *as(const char *actor, bool init)
{
	struct ds_store_opts o = { .actor = actor, .for_init = init };
	ds_store *st = NULL;
	struct ds_diag d;
	assert_int_equal(ds_store_open(db, &o, &st, &d), DS_OK);
	if (init)
		assert_int_equal(ds_store_migrate(st, NULL, &d), DS_OK);
	return st;
}

static void exec(ds_store *st, const char *sql)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	assert_int_equal(ds_store_exec(st, sql, &d), DS_OK);
}

static void approval_pins_the_decisions(void **state)
{
	(void)state;
	ds_date day;
	assert_int_equal(ds_date_parse("2026-11-20", &day), DS_OK);
	struct ds_diag d;
	ds_diag_clear(&d);
	/* the planner writes two decisions and its audit entry */
	ds_store *st = as("planner", true);
	exec(st, "INSERT INTO branches(branch_id, name, timezone) VALUES "
	         "('BR1','West','Asia/Shanghai');"
	         "INSERT INTO borrowers(borrower_id, name) VALUES ('B1','王芳');"
	         "INSERT INTO accounts(account_id, borrower_id, branch_id, product, principal_fen,"
	         " balance_fen, open_date, status) VALUES"
	         " ('A1','B1','BR1','consumer_loan',900000,300000,'2024-01-01','active'),"
	         " ('A2','B1','BR1','consumer_loan',900000,300000,'2024-01-01','active');"
	         "INSERT INTO decisions(plan_date, account_id, treatment, expected_fen, cost_fen,"
	         " arm, created_at) VALUES ('2026-11-20','A1','visit',50000,14500,'treated',0),"
	         " ('2026-11-20','A2','sms',2000,10,'treated',0);");
	assert_int_equal(ds_store_audit(st, "plan", "decisions", "2026-11-20", "{}", &d), DS_OK);
	struct ds_plan_approval a;
	assert_int_equal(ds_plan_approval_get(st, day, &a, &d), DS_OK);
	assert_string_equal(a.status, "none");
	assert_int_equal(a.decisions, 2);
	assert_int_equal(strlen(a.digest), 64);
	assert_string_equal(a.made_by, "planner");
	char first[65];
	ds_strlcpy(first, a.digest, sizeof first);
	/* the maker may not approve its own plan */
	assert_int_equal(ds_plan_approval_decide(st, day, true, NULL, 1000, &a, &d), DS_EREJECT);
	assert_non_null(strstr(d.msg, "maker-checker"));
	ds_store_close(st);

	st = as("mgr", false);
	assert_int_equal(ds_plan_approval_decide(st, day, true, "ok", 2000, &a, &d), DS_OK);
	assert_string_equal(a.status, "approved");
	assert_string_equal(a.decided_by, "mgr");
	assert_int_equal(a.decided_at, 2000);
	assert_int_equal(ds_plan_approval_get(st, day, &a, &d), DS_OK);
	assert_string_equal(a.status, "approved");
	assert_string_equal(a.digest, first);
	assert_string_equal(a.note, "ok");
	/* once per digest */
	assert_int_equal(ds_plan_approval_decide(st, day, false, NULL, 2100, &a, &d), DS_EREJECT);
	/* a decision changed afterwards: stale, and may be decided again */
	exec(st, "UPDATE decisions SET cost_fen = 11 WHERE account_id = 'A2'");
	assert_int_equal(ds_plan_approval_get(st, day, &a, &d), DS_OK);
	assert_string_equal(a.status, "stale");
	assert_string_not_equal(a.digest, first);
	assert_int_equal(ds_plan_approval_decide(st, day, false, "costs changed", 2200, &a, &d),
	                 DS_OK);
	assert_string_equal(a.status, "rejected");
	/* no plan that day */
	ds_date other;
	assert_int_equal(ds_date_parse("2026-11-21", &other), DS_OK);
	assert_int_equal(ds_plan_approval_decide(st, other, true, NULL, 2300, &a, &d),
	                 DS_ENOTFOUND);
	/* each decision audited, and the chain intact */
	ds_stmt *s;
	bool row;
	assert_int_equal(ds_store_prepare(st,
	                                  "SELECT count(*) FROM audit_log WHERE actor = 'mgr' AND"
	                                  " action IN ('plan_approve', 'plan_reject')",
	                                  &s, &d),
	                 DS_OK);
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	assert_int_equal(ds_stmt_int(s, 0), 2);
	ds_stmt_done(s);
	struct ds_audit_check c;
	assert_int_equal(ds_store_audit_verify(st, &c, &d), DS_OK);
	assert_true(c.intact);
	ds_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(approval_pins_the_decisions, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of complaints (lib/field/complaints.c): the hold a complaint
 * puts on contact and the rules that then refuse it, its due date and
 * follow-up, its resolution, the listing, and refusals that write
 * nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doorstep/field.h"
#include "doorstep/rules.h"

#define DAY 86400

/* 2026-06-01T10:00:00+08:00 */
static ds_time t0(void)
{
	ds_time t;
	assert_int_equal(ds_time_parse("2026-06-01T10:00:00+08:00", "UTC", &t), DS_OK);
	return t;
}

static void exec_ok(ds_store *st, const char *sql)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	if (ds_store_exec(st, sql, &d) != DS_OK)
		fail_msg("%s: %s", sql, d.msg);
}

static int64_t num(ds_store *st, const char *sql)
{
	struct ds_diag d;
	ds_stmt *s;
	assert_int_equal(ds_store_prepare(st, sql, &s, &d), DS_OK);
	bool row;
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	assert_true(row);
	int64_t v = ds_stmt_int(s, 0);
	ds_stmt_done(s);
	return v;
}

static void text(ds_store *st, const char *sql, char *out, size_t outsz)
{
	struct ds_diag d;
	ds_stmt *s;
	assert_int_equal(ds_store_prepare(st, sql, &s, &d), DS_OK);
	bool row;
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	assert_true(row);
	ds_strlcpy(out, ds_stmt_text(s, 0), outsz);
	ds_stmt_done(s);
}

/* Every row of the tables a complaint writes, as one number each. */
struct counts {
	int64_t complaints, holds, tasks, audit;
};

static struct counts counts_of(ds_store *st)
{
	struct counts c = {
		num(st, "SELECT count(*) FROM complaints"),
		num(st, "SELECT count(*) FROM holds"),
		num(st, "SELECT count(*) FROM tasks"),
		num(st, "SELECT count(*) FROM audit_log"),
	};
	return c;
}

static void assert_same(struct counts a, struct counts b)
{
	assert_int_equal(a.complaints, b.complaints);
	assert_int_equal(a.holds, b.holds);
	assert_int_equal(a.tasks, b.tasks);
	assert_int_equal(a.audit, b.audit);
}

/* Two borrowers in Hangzhou, an account each, a visit on each account. */
static int setup(void **state)
{
	struct ds_store_opts o = { .for_init = true, .actor = "tester" };
	ds_store *st;
	struct ds_diag d;
	if (ds_store_open(":memory:", &o, &st, &d) || ds_store_migrate(st, NULL, &d))
		return -1;
	exec_ok(st,
	        "INSERT INTO branches(branch_id, name, timezone) VALUES "
	        "('BR1','西湖','Asia/Shanghai');"
	        "INSERT INTO communities(community_id, name, branch_id, centroid_lat, centroid_lon,"
	        " partner_status) VALUES ('C1','幸福里','BR1',30.25,120.15,'active');"
	        "INSERT INTO borrowers(borrower_id, name, community_id) VALUES"
	        " ('P1','张三','C1'), ('P2','李四','C1');"
	        "INSERT INTO accounts(account_id, borrower_id, branch_id, product, principal_fen,"
	        " balance_fen, open_date) VALUES"
	        " ('A1','P1','BR1','consumer_loan',100000,80000,'2025-01-01'),"
	        " ('A2','P2','BR1','consumer_loan',100000,80000,'2025-01-01');"
	        "INSERT INTO staff(staff_id, name, role, branch_id) VALUES"
	        " ('S1','王五','collector','BR1');"
	        "INSERT INTO teams(team_id, branch_id) VALUES ('T1','BR1');"
	        "INSERT INTO team_members VALUES ('T1','S1');"
	        "INSERT INTO visits(visit_id, account_id, team_id, visit_date, state, outcome)"
	        " VALUES (1,'A1','T1','2026-05-30','closed','met_borrower'),"
	        " (2,'A2','T1','2026-05-30','closed','not_home');");
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	ds_store_close(*state);
	return 0;
}

static struct ds_field_config settings(const char *followup)
{
	struct ds_field_config c;
	ds_field_config_from(NULL, &c);
	ds_strlcpy(c.followup, followup, sizeof c.followup);
	return c;
}

/* Whether the CN rules refuse an SMS to A1's borrower at t for a hold. */
static bool held_at(ds_store *st, const ds_rulepack *cn, ds_time t, bool *allowed)
{
	struct ds_diag d;
	ds_rules_context *cx;
	assert_int_equal(ds_rules_context_load(st, t - 30 * DAY, &cx, &d), DS_OK);
	const ds_rules_account *a = ds_rules_context_account(cx, "A1");
	assert_non_null(a);
	struct ds_proposal p = {
		.stage = DS_STAGE_PLAN,
		.channel = DS_CH_SMS,
		.party = DS_PARTY_BORROWER,
		.content = DS_CONTENT_REMINDER,
		.start = t,
		.team_unknown = true,
	};
	ds_rules_context_fill(cx, a, &p);
	struct ds_verdict v;
	assert_int_equal(ds_rules_check(cn, &p, &v, &d), DS_OK);
	bool held = false;
	for (int i = 0; i < v.nhits; i++)
		if (strcmp(v.hits[i].rule_id, "CN-HOLDS") == 0)
			held = true;
	*allowed = v.allow;
	ds_rules_context_free(cx);
	return held;
}

static void open_holds_contact_and_resolve_lifts_it(void **state)
{
	ds_store *st = *state;
	struct ds_field_config c = settings("complaint=review:2,not_home=visit:7");
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_rulepack *cn;
	assert_int_equal(ds_rules_load("CN", &cn, &d), DS_OK);
	ds_time now = t0();
	bool allowed;
	/* before the complaint, nothing holds an SMS the next morning */
	assert_false(held_at(st, cn, now + DAY, &allowed));
	assert_true(allowed);

	int64_t audit = num(st, "SELECT count(*) FROM audit_log");
	long id = 0;
	assert_int_equal(ds_complaint_open(st, &c, "A1", 1, "S1", "harassment",
	                                   "夜间多次来电 (calls at night)", now, &id, &d),
	                 DS_OK);
	assert_int_equal(id, 1);
	/* the complaint: linked, due complaint_sla_days later, with its hold */
	assert_int_equal(c.complaint_sla_days, 15);
	char sql[512];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM complaints WHERE complaint_id = 1 AND borrower_id = 'P1'"
	         " AND account_id = 'A1' AND visit_id = 1 AND staff_id = 'S1'"
	         " AND kind = 'harassment' AND detail = '夜间多次来电 (calls at night)'"
	         " AND opened_at = %lld AND due_at = %lld AND resolved_at IS NULL"
	         " AND hold_id IS NOT NULL",
	         (long long)now, (long long)(now + 15 * DAY));
	assert_int_equal(num(st, sql), 1);
	int64_t hold = num(st, "SELECT hold_id FROM complaints WHERE complaint_id = 1");
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM holds WHERE hold_id = %lld AND borrower_id = 'P1'"
	         " AND account_id = 'A1' AND kind = 'complaint' AND starts_at = %lld"
	         " AND ends_at IS NULL AND set_by = 'tester'",
	         (long long)hold, (long long)now);
	assert_int_equal(num(st, sql), 1);
	/* the follow-up: review two days after the local date of opening */
	assert_int_equal(num(st, "SELECT count(*) FROM tasks WHERE account_id = 'A1'"
	                         " AND kind = 'review' AND due_date = '2026-06-03'"
	                         " AND source = 'complaint:1' AND status = 'open'"),
	                 1);
	/* audited: the complaint, its hold and its task */
	assert_int_equal(num(st, "SELECT count(*) FROM audit_log") - audit, 3);
	assert_int_equal(num(st, "SELECT count(*) FROM audit_log WHERE action = 'complaint_open'"
	                         " AND entity = 'complaints' AND entity_id = '1'"
	                         " AND actor = 'tester'"),
	                 1);

	/* the CN rules now refuse all contact with the borrower */
	assert_true(held_at(st, cn, now + DAY, &allowed));
	assert_false(allowed);
	assert_true(held_at(st, cn, now + 40 * DAY, &allowed));
	assert_false(allowed);

	/* resolved: the hold ends then, the task is done */
	ds_time later = now + 3 * DAY;
	assert_int_equal(ds_complaint_resolve(st, 1, "道歉并调整联系时间", later, &d), DS_OK);
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM complaints WHERE complaint_id = 1 AND resolved_at = %lld"
	         " AND resolution = '道歉并调整联系时间' AND resolved_by = 'tester'",
	         (long long)later);
	assert_int_equal(num(st, sql), 1);
	snprintf(sql, sizeof sql, "SELECT ends_at FROM holds WHERE hold_id = %lld",
	         (long long)hold);
	assert_int_equal(num(st, sql), later);
	assert_int_equal(num(st, "SELECT count(*) FROM tasks WHERE source = 'complaint:1'"
	                         " AND status = 'done' AND done_by = 'tester'"),
	                 1);
	assert_int_equal(num(st, "SELECT count(*) FROM audit_log WHERE action ="
	                         " 'complaint_resolve' AND entity_id = '1'"),
	                 1);
	assert_int_equal(num(st, "SELECT count(*) FROM audit_log WHERE action = 'hold_end'"), 1);
	/* during the hold still refused; after it, not held */
	assert_true(held_at(st, cn, now + DAY, &allowed));
	assert_false(held_at(st, cn, later + DAY, &allowed));
	assert_true(allowed);
	ds_rules_free(cn);

	/* a resolved complaint cannot be resolved again: nothing changes */
	struct counts before = counts_of(st);
	ds_diag_clear(&d);
	assert_int_equal(ds_complaint_resolve(st, 1, "again", later + DAY, &d), DS_EREJECT);
	assert_non_null(strstr(d.msg, "already resolved"));
	assert_same(before, counts_of(st));
	char res[128];
	text(st, "SELECT resolution FROM complaints WHERE complaint_id = 1", res, sizeof res);
	assert_string_equal(res, "道歉并调整联系时间");
	snprintf(sql, sizeof sql, "SELECT ends_at FROM holds WHERE hold_id = %lld",
	         (long long)hold);
	assert_int_equal(num(st, sql), later);
}

static void no_followup_named(void **state)
{
	ds_store *st = *state;
	struct ds_field_config c = settings("not_home=visit:7");
	c.complaint_sla_days = 7;
	struct ds_diag d;
	long id = 0;
	ds_time now = t0();
	assert_int_equal(ds_complaint_open(st, &c, "A2", 0, NULL, "fees", NULL, now, &id, &d),
	                 DS_OK);
	char sql[256];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM complaints WHERE complaint_id = %ld AND visit_id IS NULL"
	         " AND staff_id IS NULL AND detail IS NULL AND due_at = %lld",
	         id, (long long)(now + 7 * DAY));
	assert_int_equal(num(st, sql), 1);
	assert_int_equal(num(st, "SELECT count(*) FROM tasks"), 0);
	assert_int_equal(num(st, "SELECT count(*) FROM holds WHERE borrower_id = 'P2'"
	                         " AND kind = 'complaint' AND ends_at IS NULL"),
	                 1);
}

static void refused_open_writes_nothing(void **state)
{
	ds_store *st = *state;
	struct ds_field_config c = settings("complaint=review:2");
	struct ds_diag d;
	long id = 99;
	ds_time now = t0();
	struct counts before = counts_of(st);
	/* an unknown visit */
	ds_diag_clear(&d);
	assert_int_equal(ds_complaint_open(st, &c, "A1", 77, NULL, "conduct", NULL, now, &id, &d),
	                 DS_ENOTFOUND);
	assert_non_null(strstr(d.msg, "unknown visit 77"));
	assert_int_equal(id, 0);
	assert_same(before, counts_of(st));
	/* a visit of another account */
	ds_diag_clear(&d);
	assert_int_equal(ds_complaint_open(st, &c, "A1", 2, NULL, "conduct", NULL, now, &id, &d),
	                 DS_EREJECT);
	assert_non_null(strstr(d.msg, "visit 2 is of account \"A2\""));
	assert_same(before, counts_of(st));
	/* an unknown account, an unknown staff member */
	assert_int_equal(ds_complaint_open(st, &c, "A9", 0, NULL, "conduct", NULL, now, &id, &d),
	                 DS_ENOTFOUND);
	assert_int_equal(ds_complaint_open(st, &c, "A1", 1, "S9", "conduct", NULL, now, &id, &d),
	                 DS_ENOTFOUND);
	assert_non_null(strstr(d.msg, "S9"));
	/* bad arguments */
	assert_int_equal(ds_complaint_open(st, &c, "A1", 0, NULL, "rude", NULL, now, &id, &d),
	                 DS_EINVAL);
	assert_int_equal(ds_complaint_open(st, &c, "", 0, NULL, "fees", NULL, now, &id, &d),
	                 DS_EINVAL);
	assert_int_equal(ds_complaint_open(st, &c, "A1", -1, NULL, "fees", NULL, now, &id, &d),
	                 DS_EINVAL);
	char big[2002];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(ds_complaint_open(st, &c, "A1", 0, NULL, "fees", big, now, &id, &d),
	                 DS_EINVAL);
	assert_int_equal(ds_complaint_open(st, &c, "A1", 0, NULL, "fees", "\xff\xfe", now, &id, &d),
	                 DS_EINVAL);
	assert_same(before, counts_of(st));
	/* a failure after the first writes: all of them rolled back */
	exec_ok(st, "CREATE TRIGGER no_tasks BEFORE INSERT ON tasks"
	            " BEGIN SELECT RAISE(ABORT, 'tasks refused'); END");
	assert_int_not_equal(
	        ds_complaint_open(st, &c, "A1", 1, "S1", "privacy", NULL, now, &id, &d), DS_OK);
	assert_int_equal(id, 0);
	assert_same(before, counts_of(st));
	exec_ok(st, "DROP TRIGGER no_tasks");
	/* and the same open then succeeds */
	assert_int_equal(ds_complaint_open(st, &c, "A1", 1, "S1", "privacy", NULL, now, &id, &d),
	                 DS_OK);
	assert_int_equal(id, 1);
}

static void refused_resolve(void **state)
{
	ds_store *st = *state;
	struct ds_field_config c = settings("");
	struct ds_diag d;
	long id = 0;
	ds_time now = t0();
	assert_int_equal(ds_complaint_open(st, &c, "A1", 0, NULL, "wrong_debt", NULL, now, &id, &d),
	                 DS_OK);
	struct counts before = counts_of(st);
	assert_int_equal(ds_complaint_resolve(st, 5, "done", now + DAY, &d), DS_ENOTFOUND);
	assert_int_equal(ds_complaint_resolve(st, 0, "done", now + DAY, &d), DS_EINVAL);
	assert_int_equal(ds_complaint_resolve(st, id, "", now + DAY, &d), DS_EINVAL);
	assert_int_equal(ds_complaint_resolve(st, id, NULL, now + DAY, &d), DS_EINVAL);
	char big[1002];
	memset(big, 'y', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(ds_complaint_resolve(st, id, big, now + DAY, &d), DS_EINVAL);
	/* before it was opened */
	assert_int_equal(ds_complaint_resolve(st, id, "done", now - 1, &d), DS_EREJECT);
	assert_same(before, counts_of(st));
	assert_int_equal(num(st, "SELECT count(*) FROM complaints WHERE resolved_at IS NULL"), 1);
	/* exactly 1000 bytes is fine */
	big[1000] = '\0';
	assert_int_equal(ds_complaint_resolve(st, id, big, now + DAY, &d), DS_OK);
}

static void listing_open_and_overdue(void **state)
{
	ds_store *st = *state;
	struct ds_field_config c = settings("");
	struct ds_diag d;
	ds_time now = t0();
	long a, b, e;
	assert_int_equal(ds_complaint_open(st, &c, "A1", 1, NULL, "conduct", NULL, now, &a, &d),
	                 DS_OK);
	c.complaint_sla_days = 30;
	assert_int_equal(ds_complaint_open(st, &c, "A2", 2, NULL, "privacy", NULL, now, &b, &d),
	                 DS_OK);
	c.complaint_sla_days = 15;
	assert_int_equal(
	        ds_complaint_open(st, &c, "A2", 0, NULL, "other", NULL, now + 5 * DAY, &e, &d),
	        DS_OK);
	assert_int_equal(ds_complaint_resolve(st, a, "settled", now + 20 * DAY, &d), DS_OK);

	struct ds_complaint_info *v;
	long n;
	/* a day in: the first two exist, both open, none overdue */
	assert_int_equal(ds_complaint_list(st, false, false, now + DAY, &v, &n, &d), DS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].complaint_id, a);
	assert_string_equal(v[0].account_id, "A1");
	assert_string_equal(v[0].borrower_id, "P1");
	assert_string_equal(v[0].kind, "conduct");
	assert_int_equal(v[0].visit_id, 1);
	assert_true(v[0].hold_id > 0);
	assert_int_equal(v[0].due_at, now + 15 * DAY);
	assert_true(v[0].open);
	assert_false(v[0].overdue);
	assert_int_equal(v[1].due_at, now + 30 * DAY);
	ds_free(v);
	/* due exactly now: not yet past due */
	assert_int_equal(ds_complaint_list(st, true, true, now + 15 * DAY, &v, &n, &d), DS_OK);
	assert_int_equal(n, 0);
	assert_null(v);
	/* 16 days in: the first overdue (it was resolved only on day 20) */
	assert_int_equal(ds_complaint_list(st, false, true, now + 16 * DAY, &v, &n, &d), DS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].complaint_id, a);
	assert_true(v[0].overdue);
	assert_int_equal(v[0].resolved_at, now + 20 * DAY);
	ds_free(v);
	/* 25 days in: the first resolved; the third overdue, the second not yet */
	assert_int_equal(ds_complaint_list(st, true, false, now + 25 * DAY, &v, &n, &d), DS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].complaint_id, b);
	assert_false(v[0].overdue);
	assert_int_equal(v[1].complaint_id, e);
	assert_true(v[1].overdue);
	ds_free(v);
	assert_int_equal(ds_complaint_list(st, false, false, now + 25 * DAY, &v, &n, &d), DS_OK);
	assert_int_equal(n, 3);
	assert_false(v[0].open);
	assert_false(v[0].overdue);
	assert_string_equal(v[0].resolved_by, "tester");
	ds_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(open_holds_contact_and_resolve_lifts_it, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(no_followup_named, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_open_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(listing_open_and_overdue, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The field layer's visit state machine, the outbox, promises judged on
 * payment sequences, receipts and their reconciliation, and the follow-up
 * settings (lib/field). The whole visit from the command line:
 * tests/cli/test_visit.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doorstep/field.h"

static char dir[64];
static struct ds_field_config cfg;

static int group_setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/ds-field-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	ds_field_config_from(NULL, &cfg);
	snprintf(cfg.letter_dir, sizeof cfg.letter_dir, "%s/letters", dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static ds_date D(const char *s)
{
	ds_date d;
	assert_int_equal(ds_date_parse(s, &d), DS_OK);
	return d;
}

static ds_time T(const char *s)
{
	ds_time t;
	assert_int_equal(ds_time_parse(s, "Asia/Shanghai", &t), DS_OK);
	return t;
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

/* A bank of one branch, two accounts, a team and a visit checked in. */
static ds_store *bank(void)
{
	struct ds_store_opts o = { .actor = "S1", .for_init = true };
	ds_store *st = NULL;
	struct ds_diag d;
	assert_int_equal(ds_store_open(":memory:", &o, &st, &d), DS_OK);
	assert_int_equal(ds_store_migrate(st, NULL, &d), DS_OK);
	exec(st, "INSERT INTO branches(branch_id, name, timezone) VALUES ('BR1','西湖',"
	         "'Asia/Shanghai');"
	         "INSERT INTO communities(community_id, name, branch_id, centroid_lat,"
	         " centroid_lon, partner_status) VALUES ('C1','文一社区','BR1',30.28,120.1,"
	         "'active');"
	         "INSERT INTO borrowers(borrower_id, name, lat, lon, community_id) VALUES"
	         " ('B1','王小明',30.28,120.10,'C1'), ('B2','李四',30.29,120.11,'C1');"
	         "INSERT INTO accounts(account_id, borrower_id, branch_id, product, open_date,"
	         " principal_fen, balance_fen, overdue_fen) VALUES"
	         " ('A1','B1','BR1','consumer_loan','2025-01-01',1000000,800000,120000),"
	         " ('A2','B2','BR1','consumer_loan','2025-01-01',1000000,500000,50000);"
	         "INSERT INTO staff(staff_id, name, role, branch_id) VALUES"
	         " ('S1','张伟','collector','BR1');"
	         "INSERT INTO teams(team_id, branch_id, work_date) VALUES"
	         " ('T1','BR1','2026-11-12');"
	         "INSERT INTO team_members VALUES ('T1','S1');");
	return st;
}

static void payment(ds_store *st, const char *id, const char *account, const char *day, long fen,
                    const char *channel, const char *ref)
{
	char sql[512];
	snprintf(sql, sizeof sql,
	         "INSERT INTO payments(payment_id, account_id, value_date, amount_fen, channel,"
	         " reference) VALUES ('%s','%s','%s',%ld,'%s',%s%s%s)",
	         id, account, day, fen, channel, ref ? "'" : "", ref ? ref : "NULL",
	         ref ? "'" : "");
	exec(st, sql);
}

/* ------------------------------------------------------- state machine */

static void every_transition(void **state)
{
	(void)state;
	/* expected[event][state]: the state after, -1 refused */
	static const int expected[DS_VEV_COUNT][DS_VISIT_STATE_COUNT] = {
		[DS_VEV_NOTIFY] = { 1, -1, -1, -1, -1, -1, -1 },
		[DS_VEV_SCHEDULE] = { -1, 2, -1, -1, -1, -1, -1 },
		[DS_VEV_RESCHEDULE] = { 0, 2, 2, -1, -1, -1, -1 },
		[DS_VEV_CHECK_IN] = { -1, -1, 3, -1, -1, -1, -1 },
		[DS_VEV_RECORD_OUTCOME] = { -1, -1, -1, 4, -1, -1, -1 },
		[DS_VEV_CLOSE] = { -1, -1, -1, -1, 5, -1, -1 },
		[DS_VEV_CANCEL] = { 6, 6, 6, -1, -1, -1, -1 },
	};
	int allowed = 0;
	for (int e = 0; e < DS_VEV_COUNT; e++)
		for (int s = 0; s < DS_VISIT_STATE_COUNT; s++) {
			ds_visit_state to = DS_VISIT_STATE_COUNT;
			ds_err err = ds_visit_next((ds_visit_state)s, (ds_visit_event)e, &to);
			if (expected[e][s] < 0) {
				assert_int_equal(err, DS_EINVAL);
			} else {
				assert_int_equal(err, DS_OK);
				assert_int_equal(to, expected[e][s]);
				allowed++;
			}
		}
	assert_int_equal(allowed, 11);
	/* names both ways */
	for (int s = 0; s < DS_VISIT_STATE_COUNT; s++) {
		ds_visit_state back;
		assert_int_equal(
		        ds_visit_state_parse(ds_visit_state_name((ds_visit_state)s), &back), DS_OK);
		assert_int_equal(back, s);
	}
	ds_visit_state x;
	assert_int_equal(ds_visit_state_parse("done", &x), DS_EINVAL);
	ds_found f;
	assert_int_equal(ds_found_parse("moved", &f), DS_OK);
	assert_int_equal(f, DS_MOVED);
	assert_int_equal(ds_found_parse("hostile", &f), DS_EINVAL);
}

/* The library refuses out of order, names the state, and changes nothing. */
static void refused_transitions(void **state)
{
	(void)state;
	ds_store *st = bank();
	exec(st, "INSERT INTO visits(visit_id, account_id, team_id, visit_date, state,"
	         " planned_at) VALUES (1,'A1','T1','2026-11-12','planned', 1794448800)");
	struct ds_diag d;
	ds_diag_clear(&d);
	int tasks;
	assert_int_equal(ds_visit_close(st, &cfg, 1, T("2026-11-12T12:00"), NULL, &tasks, &d),
	                 DS_EINVAL);
	assert_non_null(strstr(d.msg, "visit 1 is planned: it cannot close"));
	struct ds_visit_outcome o = { .at = T("2026-11-12T12:00"), .found = DS_MET_BORROWER };
	assert_int_equal(ds_visit_record_outcome(st, 1, &o, NULL, &d), DS_EINVAL);
	assert_int_equal(ds_visit_schedule(st, 1, "T1", D("2026-11-12"), T("2026-11-12T09:00"),
	                                   T("2026-11-12T11:00"), T("2026-11-06T09:00"), NULL, &d),
	                 DS_EINVAL);
	/* a cancellation needs its reason; with it, final */
	assert_int_equal(ds_visit_cancel(st, 1, "", T("2026-11-06T09:00"), NULL, &d), DS_EINVAL);
	assert_int_equal(one(st, "SELECT count(*) FROM visit_events"), 0);
	assert_int_equal(
	        ds_visit_cancel(st, 1, "borrower paid in full", T("2026-11-06T09:00"), NULL, &d),
	        DS_OK);
	char s[32];
	text(st, "SELECT state FROM visits WHERE visit_id = 1", s, sizeof s);
	assert_string_equal(s, "cancelled");
	assert_int_equal(ds_visit_cancel(st, 1, "again", T("2026-11-06T10:00"), NULL, &d),
	                 DS_EINVAL);
	assert_int_equal(one(st, "SELECT count(*) FROM visit_events WHERE event = 'cancel'"), 1);
	assert_int_equal(one(st, "SELECT count(*) FROM audit_log WHERE action = 'visit_event'"), 1);
	assert_int_equal(ds_visit_cancel(st, 99, "x", 0, NULL, &d), DS_ENOTFOUND);
	ds_store_close(st);
}

/* Reschedule: a notice given far enough ahead still counts; too close, the
 * visit goes back to planned for a new one. */
static void reschedule_keeps_or_renews_the_notice(void **state)
{
	(void)state;
	ds_store *st = bank();
	exec(st, "INSERT INTO visits(visit_id, account_id, team_id, visit_date, state)"
	         " VALUES (1,'A1','T1','2026-11-12','scheduled');"
	         "INSERT INTO notices(visit_id, account_id, created_at, created_by)"
	         " VALUES (1,'A1',1794196800,'S1')"); /* 2026-11-05 16:00 +08 */
	struct ds_diag d;
	ds_diag_clear(&d);
	char s[32];
	assert_int_equal(ds_visit_reschedule(st, &cfg, 1, D("2026-11-14"), T("2026-11-14T09:00"),
	                                     T("2026-11-14T11:00"), "borrower at work",
	                                     T("2026-11-11T09:00"), NULL, &d),
	                 DS_OK);
	text(st, "SELECT state || ' ' || visit_date FROM visits WHERE visit_id = 1", s, sizeof s);
	assert_string_equal(s, "scheduled 2026-11-14");
	/* the notice was on the 5th: the 7th at 09:00 is under 3 days after */
	assert_int_equal(ds_visit_reschedule(st, &cfg, 1, D("2026-11-07"), T("2026-11-07T09:00"),
	                                     T("2026-11-07T11:00"), "sooner", T("2026-11-06T09:00"),
	                                     NULL, &d),
	                 DS_OK);
	text(st, "SELECT state FROM visits WHERE visit_id = 1", s, sizeof s);
	assert_string_equal(s, "planned");
	assert_int_equal(ds_visit_reschedule(st, &cfg, 1, D("2026-11-07"), T("2026-11-08T09:00"),
	                                     T("2026-11-08T11:00"), "bad", T("2026-11-06T09:00"),
	                                     NULL, &d),
	                 DS_EINVAL); /* the window is not on the date */
	ds_store_close(st);
}

/* ---------------------------------------------------------------- outbox */

static void outbox_moves(void **state)
{
	(void)state;
	ds_store *st = bank();
	exec(st, "INSERT INTO visits(visit_id, account_id, state) VALUES (1,'A1','notice_sent');"
	         "INSERT INTO outbox(outbox_id, channel, borrower_id, account_id, purpose, body,"
	         " created_at) VALUES (1,'sms','B1','A1','visit_notice','x',100),"
	         " (2,'sms','B1','A1','visit_notice','y',100);"
	         "INSERT INTO notices(visit_id, account_id, created_at, created_by, sms_outbox_id)"
	         " VALUES (1,'A1',100,'S1',1)");
	struct ds_diag d;
	ds_diag_clear(&d);
	assert_int_equal(ds_outbox_mark(st, 1, "sent", NULL, 200, &d), DS_OK);
	assert_int_equal(ds_outbox_mark(st, 1, "queued", NULL, 210, &d), DS_EINVAL);
	assert_int_equal(ds_outbox_mark(st, 1, "delivered", NULL, 300, &d), DS_OK);
	assert_int_equal(ds_outbox_mark(st, 1, "failed", "late", 400, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "message 1 is delivered"));
	assert_int_equal(ds_outbox_mark(st, 1, "bogus", NULL, 400, &d), DS_EINVAL);
	assert_int_equal(ds_outbox_mark(st, 9, "sent", NULL, 400, &d), DS_ENOTFOUND);
	/* delivery dates the visit's notice and is a contact */
	assert_int_equal(one(st, "SELECT notice_sent_at FROM visits WHERE visit_id = 1"), 300);
	assert_int_equal(one(st, "SELECT count(*) FROM contacts WHERE contact_id = 'outbox-1'"
	                         " AND purpose = 'visit_notice' AND outcome = 'delivered'"),
	                 1);
	assert_int_equal(one(st, "SELECT attempts FROM outbox WHERE outbox_id = 1"), 1);
	/* failed, queued again, sent */
	assert_int_equal(ds_outbox_mark(st, 2, "failed", "gateway down", 200, &d), DS_OK);
	assert_int_equal(ds_outbox_mark(st, 2, "queued", NULL, 210, &d), DS_OK);
	assert_int_equal(ds_outbox_mark(st, 2, "sent", NULL, 220, &d), DS_OK);
	assert_int_equal(one(st, "SELECT attempts FROM outbox WHERE outbox_id = 2"), 2);
	assert_int_equal(one(st, "SELECT count(*) FROM audit_log WHERE action = 'outbox_mark'"), 5);
	ds_store_close(st);
}

/* -------------------------------------------------------------- promises */

static void judge_one(ds_store *st, const char *as_of, struct ds_promise_tally *t)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	assert_int_equal(ds_promises_judge(st, &cfg, D(as_of), t, &d), DS_OK);
}

static const char *status_of(ds_store *st, long id)
{
	static char s[32];
	char sql[128];
	snprintf(sql, sizeof sql,
	         "SELECT status || ':' || paid_fen FROM promises WHERE promise_id = %ld", id);
	text(st, sql, s, sizeof s);
	return s;
}

/* Payments early, late within grace, late beyond it, partial, over: each
 * counted once, for the earliest promise it can. */
static void promises_on_payment_sequences(void **state)
{
	(void)state;
	ds_store *st = bank();
	struct ds_diag d;
	ds_diag_clear(&d);
	long p1, p2, p3, p4;
	ds_time made = T("2026-11-01T10:00");
	/* A1: 300 by the 10th and 200 by the 20th; A2: 100 by the 10th, 400 by the 12th */
	assert_int_equal(ds_promise_add(st, "A1", 0, 30000, D("2026-11-10"), made, &p1, &d), DS_OK);
	assert_int_equal(ds_promise_add(st, "A1", 0, 20000, D("2026-11-20"), made, &p2, &d), DS_OK);
	assert_int_equal(ds_promise_add(st, "A2", 0, 10000, D("2026-11-10"), made, &p3, &d), DS_OK);
	assert_int_equal(ds_promise_add(st, "A2", 0, 40000, D("2026-11-12"), made, &p4, &d), DS_OK);
	/* refused: no money, a past date, an unknown account, a visit not its own */
	long x;
	assert_int_equal(ds_promise_add(st, "A1", 0, 0, D("2026-11-10"), made, &x, &d), DS_EINVAL);
	assert_int_equal(ds_promise_add(st, "A1", 0, 100, D("2026-10-01"), made, &x, &d),
	                 DS_EINVAL);
	assert_int_equal(ds_promise_add(st, "A9", 0, 100, D("2026-11-10"), made, &x, &d),
	                 DS_ENOTFOUND);
	exec(st, "INSERT INTO visits(visit_id, account_id, state) VALUES (5,'A2','closed')");
	assert_int_equal(ds_promise_add(st, "A1", 5, 100, D("2026-11-10"), made, &x, &d),
	                 DS_EINVAL);
	/* a payment before the promise does not count; 550 on the 5th covers
	 * 300 then 200 (over-payment spills to the later promise); A2 pays 100
	 * on the 12th (within the 2 days' grace of the 10th) and 200 on the
	 * 13th for the 400 */
	payment(st, "P0", "A1", "2026-10-20", 99900, "transfer", NULL);
	payment(st, "P1", "A1", "2026-11-05", 55000, "transfer", NULL);
	payment(st, "P2", "A2", "2026-11-12", 10000, "app", NULL);
	payment(st, "P3", "A2", "2026-11-13", 20000, "app", NULL);
	struct ds_promise_tally t;
	/* on the 12th nothing is due yet (the 10th + 2 days' grace) */
	judge_one(st, "2026-11-12", &t);
	assert_int_equal(t.judged, 0);
	judge_one(st, "2026-11-13", &t);
	assert_int_equal(t.judged, 2);
	assert_string_equal(status_of(st, p1), "kept:30000");
	assert_string_equal(status_of(st, p3), "kept:10000");
	judge_one(st, "2026-11-15", &t);
	assert_int_equal(t.judged, 1);
	assert_int_equal(t.partly_kept, 1);
	assert_string_equal(status_of(st, p4), "partly_kept:20000");
	judge_one(st, "2026-11-23", &t);
	assert_int_equal(t.kept, 1);
	assert_string_equal(status_of(st, p2), "kept:20000");
	/* judged once: again, nothing */
	judge_one(st, "2026-11-30", &t);
	assert_int_equal(t.judged, 0);
	/* a broken promise writes its follow-up: a call within 2 days */
	long p5;
	assert_int_equal(
	        ds_promise_add(st, "A2", 0, 5000, D("2026-11-25"), T("2026-11-20T10:00"), &p5, &d),
	        DS_OK);
	judge_one(st, "2026-11-28", &t);
	assert_int_equal(t.broken, 1);
	assert_string_equal(status_of(st, p5), "broken:0");
	char task[64];
	text(st, "SELECT kind || ' ' || due_date || ' ' || reason FROM tasks", task, sizeof task);
	assert_string_equal(task, "call 2026-11-30 broken_promise");
	/* tolerance: 96% of a promise is kept, 94% partly */
	long p6, p7;
	assert_int_equal(
	        ds_promise_add(st, "A1", 0, 10000, D("2026-12-01"), T("2026-11-28T10:00"), &p6, &d),
	        DS_OK);
	assert_int_equal(
	        ds_promise_add(st, "A2", 0, 10000, D("2026-12-01"), T("2026-11-28T10:00"), &p7, &d),
	        DS_OK);
	payment(st, "P6", "A1", "2026-11-29", 9600, "transfer", NULL);
	payment(st, "P7", "A2", "2026-11-29", 9400, "transfer", NULL);
	judge_one(st, "2026-12-04", &t);
	assert_string_equal(status_of(st, p6), "kept:9600");
	assert_string_equal(status_of(st, p7), "partly_kept:9400");
	ds_store_close(st);
}

/* -------------------------------------------------------------- receipts */

static void receipts_numbered_and_reconciled(void **state)
{
	(void)state;
	ds_store *st = bank();
	exec(st, "INSERT INTO visits(visit_id, account_id, team_id, visit_date, state) VALUES"
	         " (1,'A1','T1','2026-11-12','checked_in'), (2,'A2','T1','2026-11-12','planned')");
	struct ds_diag d;
	ds_diag_clear(&d);
	char no1[20], no2[20], no3[20];
	ds_time at = T("2026-11-12T10:00");
	assert_int_equal(ds_receipt_issue(st, &cfg, "A1", 1, 20000, "cash", at, no1, &d), DS_OK);
	assert_string_equal(no1, "R2026-000001");
	assert_int_equal(ds_receipt_issue(st, &cfg, "A1", 1, 20000, "card", at + 60, no2, &d),
	                 DS_OK);
	assert_string_equal(no2, "R2026-000002");
	/* refused: not at a checked-in door, too much cash, a bad method;
	 * nothing numbered */
	assert_int_equal(ds_receipt_issue(st, &cfg, "A2", 2, 100, "cash", at, no3, &d), DS_EINVAL);
	assert_int_equal(ds_receipt_issue(st, &cfg, "A1", 1, 5000001, "cash", at, no3, &d),
	                 DS_EINVAL);
	assert_int_equal(ds_receipt_issue(st, &cfg, "A1", 1, 100, "cheque", at, no3, &d),
	                 DS_EINVAL);
	assert_int_equal(ds_receipt_issue(st, &cfg, "A1", 1, 300, "cash", at + 120, no3, &d),
	                 DS_OK);
	assert_string_equal(no3, "R2026-000003");
	/* the PDF on record, its hash the file's */
	char path[256], sha[65], want[65];
	text(st, "SELECT pdf_path FROM receipts WHERE receipt_no = 'R2026-000001'", path,
	     sizeof path);
	text(st, "SELECT pdf_sha256 FROM receipts WHERE receipt_no = 'R2026-000001'", sha,
	     sizeof sha);
	assert_int_equal(ds_file_sha256(path, want, &d), DS_OK);
	assert_string_equal(sha, want);
	/* the feed: two payments of 200 (one quoting the second receipt), a
	 * transfer of 300 (not cash or card: no match) */
	payment(st, "F1", "A1", "2026-11-13", 20000, "cash_at_door", NULL);
	payment(st, "F2", "A1", "2026-11-13", 20000, "card", "R2026-000002");
	payment(st, "F3", "A1", "2026-11-13", 300, "transfer", NULL);
	struct ds_reconcile_tally t;
	assert_int_equal(ds_receipts_reconcile(st, &cfg, D("2026-11-14"), &t, &d), DS_OK);
	assert_int_equal(t.matched, 2);
	assert_int_equal(t.open, 1);
	assert_int_equal(t.alerts, 0);
	char m[32];
	text(st, "SELECT payment_id FROM receipts WHERE receipt_no = 'R2026-000002'", m, sizeof m);
	assert_string_equal(m, "F2"); /* by its reference, though F1 came first */
	text(st, "SELECT payment_id FROM receipts WHERE receipt_no = 'R2026-000001'", m, sizeof m);
	assert_string_equal(m, "F1");
	/* three days on, still unmatched: an alert and one task, once */
	assert_int_equal(ds_receipts_reconcile(st, &cfg, D("2026-11-16"), &t, &d), DS_OK);
	assert_int_equal(t.alerts, 1);
	assert_int_equal(ds_receipts_reconcile(st, &cfg, D("2026-11-17"), &t, &d), DS_OK);
	assert_int_equal(t.alerts, 1);
	assert_int_equal(one(st, "SELECT count(*) FROM tasks WHERE kind = 'reconcile'"
	                         " AND source = 'receipt:R2026-000003'"),
	                 1);
	ds_store_close(st);
}

/* An incident at the door flags the address; closing writes the review
 * it calls for, once. */
static void incident_flags_the_address(void **state)
{
	(void)state;
	ds_store *st = bank();
	exec(st, "INSERT INTO visits(visit_id, account_id, team_id, visit_date, state,"
	         " checked_in_at) VALUES (1,'A1','T1','2026-11-12','checked_in', 1794448800)");
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_visit_outcome o = { .at = 1794448800 + 1200,
		                      .found = DS_MET_BORROWER,
		                      .situation = DS_SIT_UNWILLING,
		                      .attitude = DS_ATT_HOSTILE,
		                      .incident_kind = "threat",
		                      .incident_severity = 3 };
	/* bad evidence, a severity out of range, before the check-in: refused */
	struct ds_visit_outcome bad = o;
	bad.evidence_name = "a.jpg";
	bad.evidence_sha256 = "not-a-hash";
	assert_int_equal(ds_visit_record_outcome(st, 1, &bad, NULL, &d), DS_EINVAL);
	bad = o;
	bad.incident_severity = 9;
	assert_int_equal(ds_visit_record_outcome(st, 1, &bad, NULL, &d), DS_EINVAL);
	bad = o;
	bad.at = 1794448800 - 1;
	assert_int_equal(ds_visit_record_outcome(st, 1, &bad, NULL, &d), DS_EINVAL);
	assert_int_equal(one(st, "SELECT count(*) FROM incidents"), 0);
	assert_int_equal(ds_visit_record_outcome(st, 1, &o, NULL, &d), DS_OK);
	char flags[64];
	text(st, "SELECT flags FROM borrowers WHERE borrower_id = 'B1'", flags, sizeof flags);
	assert_string_equal(flags, "safety_risk");
	assert_int_equal(one(st, "SELECT severity FROM incidents WHERE visit_id = 1"), 3);
	assert_int_equal(one(st, "SELECT duration_s FROM contacts WHERE contact_id = 'visit-1'"),
	                 1200);
	int tasks = -1;
	assert_int_equal(ds_visit_close(st, &cfg, 1, 1794448800 + 3600, NULL, &tasks, &d), DS_OK);
	/* incident: a review today; hostility asks for a review too, the same
	 * one: one task per kind and visit */
	assert_int_equal(tasks, 1);
	char due[64];
	text(st,
	     "SELECT group_concat(reason || '=' || kind || ':' || due_date, ' ') FROM"
	     " (SELECT * FROM tasks ORDER BY task_id)",
	     due, sizeof due);
	assert_string_equal(due, "incident=review:2026-11-12");
	/* hostile with an incident: no visit until the review ends the hold */
	assert_int_equal(one(st, "SELECT count(*) FROM holds WHERE borrower_id = 'B1'"
	                         " AND kind = 'do_not_visit' AND ends_at IS NULL"),
	                 1);
	ds_store_close(st);
}

/* ------------------------------------------------------------- follow-up */

static void followup_settings(void **state)
{
	(void)state;
	struct ds_field_config c;
	ds_field_config_from(NULL, &c);
	char kind[32];
	int days = -1;
	assert_true(ds_followup(&c, "broken_promise", kind, sizeof kind, &days));
	assert_string_equal(kind, "call");
	assert_int_equal(days, 2);
	assert_true(ds_followup(&c, "incident", kind, sizeof kind, &days));
	assert_string_equal(kind, "review");
	assert_int_equal(days, 0);
	assert_false(ds_followup(&c, "promise", kind, sizeof kind, &days));
	assert_false(ds_followup(&c, "broken", kind, sizeof kind, &days));
	ds_strlcpy(c.followup, "x=call:abc,y=:2,z=call:400,w=visit:7", sizeof c.followup);
	assert_false(ds_followup(&c, "x", kind, sizeof kind, &days));
	assert_false(ds_followup(&c, "y", kind, sizeof kind, &days));
	assert_false(ds_followup(&c, "z", kind, sizeof kind, &days));
	assert_true(ds_followup(&c, "w", kind, sizeof kind, &days));
	assert_int_equal(days, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_transition),
		cmocka_unit_test(refused_transitions),
		cmocka_unit_test(reschedule_keeps_or_renews_the_notice),
		cmocka_unit_test(outbox_moves),
		cmocka_unit_test(promises_on_payment_sequences),
		cmocka_unit_test(receipts_numbered_and_reconciled),
		cmocka_unit_test(incident_flags_the_address),
		cmocka_unit_test(followup_settings),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

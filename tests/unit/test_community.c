/* Unit tests of the communities (lib/field/community.c): the cooperation
 * scores on a hand-built store whose counts are known, component by
 * component, and the recording of literacy events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doorstep/field.h"

/* a and b within 1e-9 (cmocka's assert_float_equal works in float) */
#define assert_near(a, b) near_((a), (b), #a, __FILE__, __LINE__)
static void near_(double a, double b, const char *what, const char *file, int line)
{
	if (!(fabs(a - b) <= 1e-9))
		fail_msg("%s:%d: %s = %.12f, expected %.12f", file, line, what, a, b);
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

static ds_date day(const char *s)
{
	ds_date d;
	assert_int_equal(ds_date_parse(s, &d), DS_OK);
	return d;
}

/* An instant from an ISO 8601 text with its offset. */
static int64_t at(const char *s)
{
	ds_time t;
	assert_int_equal(ds_time_parse(s, "UTC", &t), DS_OK);
	return t;
}

static void complaint(ds_store *st, const char *borrower, const char *account, const char *when)
{
	struct ds_diag d;
	ds_stmt *s;
	assert_int_equal(ds_store_prepare(st,
	                                  "INSERT INTO complaints(borrower_id, account_id, kind,"
	                                  " opened_at) VALUES (?,?,'conduct',?)",
	                                  &s, &d),
	                 DS_OK);
	ds_stmt_bind_text(s, 1, borrower);
	ds_stmt_bind_text(s, 2, account);
	ds_stmt_bind_int(s, 3, at(when));
	bool row;
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	ds_stmt_done(s);
}

/*
 * The window is 2026-06-01..2026-06-30 (as_of 2026-06-30, 30 days), in
 * Asia/Shanghai.
 *
 * C1 (active): visits 6 counted (with a worker of C1: 3; met: 4); 5
 *   promises on them, 3 kept; 2 complaints; 2 events, 65 attending.
 * C2 (pilot): 20 visits (15 with its worker, 8 met); 5 promises, 3 kept
 *   (one partly kept does not count); 1 complaint; 1 event, 10 attending.
 * C3 (none) and C5 (inactive): not partners, not scored.
 * C4 (active): nothing at all.
 * C6 (pilot): no visits; 3 events, 90 attending; 1 complaint.
 */
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
	        " partner_status) VALUES ('C1','幸福里','BR1',30.2,120.1,'active'),"
	        " ('C2','阳光','BR1',30.2,120.1,'pilot'), ('C3','和平','BR1',30.2,120.1,'none'),"
	        " ('C4','东河','BR1',30.2,120.1,'active'), "
	        "('C5','西河','BR1',30.2,120.1,'inactive'),"
	        " ('C6','北山','BR1',30.2,120.1,'pilot');"
	        "INSERT INTO borrowers(borrower_id, name, community_id) VALUES ('P1','a','C1'),"
	        " ('P2','b','C1'), ('P3','c','C2'), ('P4','d','C3'), ('P6','f','C6');"
	        "INSERT INTO accounts(account_id, borrower_id, branch_id, product, principal_fen,"
	        " balance_fen, open_date) VALUES"
	        " ('A1','P1','BR1','consumer_loan',1,1,'2025-01-01'),"
	        " ('A2','P2','BR1','consumer_loan',1,1,'2025-01-01'),"
	        " ('A3','P3','BR1','consumer_loan',1,1,'2025-01-01'),"
	        " ('A4','P4','BR1','consumer_loan',1,1,'2025-01-01'),"
	        " ('A6','P6','BR1','consumer_loan',1,1,'2025-01-01');"
	        "INSERT INTO staff(staff_id, name, role, branch_id, community_id) VALUES"
	        " ('K1','k','collector','BR1',NULL), ('W1','w','community_worker',NULL,'C1'),"
	        " ('W2','v','community_worker',NULL,'C2'), ('W3','u','community_worker',NULL,'C3');"
	        "INSERT INTO teams(team_id, branch_id) VALUES ('T1','BR1'), ('T2','BR1'),"
	        " ('T3','BR1'), ('T4','BR1');"
	        /* T1: with C1's worker; T2: a collector alone; T3: with C2's worker;
	         * T4: with C3's worker */
	        "INSERT INTO team_members VALUES ('T1','K1'), ('T1','W1'), ('T2','K1'),"
	        " ('T3','K1'), ('T3','W2'), ('T4','K1'), ('T4','W3');"
	        /* C1: counted visits 1, 2, 3, 4, 9, 10 */
	        "INSERT INTO visits(visit_id, account_id, team_id, visit_date, state, outcome) "
	        "VALUES"
	        " (1,'A1','T1','2026-06-05','closed','met_borrower'),"
	        " (2,'A1','T2','2026-06-10','outcome_recorded','not_home'),"
	        " (3,'A2','T1','2026-06-12','closed','met_borrower'),"
	        " (4,'A2','T3','2026-06-20','outcome_recorded','met_borrower'),"
	        " (5,'A1','T1','2026-06-15','checked_in',NULL),"
	        " (6,'A2','T1','2026-05-31','closed','met_borrower'),"
	        " (7,'A1','T1','2026-07-01','closed','met_borrower'),"
	        " (8,'A2','T1','2026-06-30','cancelled',NULL),"
	        " (9,'A1','T1','2026-06-01','closed','refused'),"
	        " (10,'A2','T2','2026-06-30','closed','met_borrower'),"
	        " (11,'A1',NULL,'2026-06-18','scheduled',NULL),"
	        /* C3 is no partner */
	        " (12,'A4','T4','2026-06-18','closed','met_borrower');"
	        /* C2: twenty visits on 06-01..06-20, T3 for the first 15, met on the
	         * first 8 */
	        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 20)"
	        " INSERT INTO visits(visit_id, account_id, team_id, visit_date, state, outcome)"
	        " SELECT 100 + i, 'A3', CASE WHEN i <= 15 THEN 'T3' ELSE 'T2' END,"
	        " date('2026-06-01', '+' || (i - 1) || ' days'), 'closed',"
	        " CASE WHEN i <= 8 THEN 'met_borrower' ELSE 'not_home' END FROM k;"
	        "INSERT INTO promises(account_id, visit_id, amount_fen, due_date, status,"
	        " created_at, created_by) VALUES"
	        " ('A1',1,100,'2026-06-10','kept',0,'t'), ('A1',1,100,'2026-06-20','broken',0,'t'),"
	        " ('A2',4,100,'2026-06-25','kept',0,'t'), ('A1',2,100,'2026-06-15','kept',0,'t'),"
	        " ('A2',3,100,'2026-07-05','open',0,'t'),"
	        /* not counted: a visit before the window, no visit, a visit not counted */
	        " ('A2',6,100,'2026-06-05','kept',0,'t'), "
	        "('A1',NULL,100,'2026-06-05','kept',0,'t'),"
	        " ('A1',5,100,'2026-06-25','kept',0,'t'),"
	        /* C2 */
	        " ('A3',101,100,'2026-06-10','kept',0,'t'), "
	        "('A3',102,100,'2026-06-10','kept',0,'t'),"
	        " ('A3',103,100,'2026-06-10','kept',0,'t'),"
	        " ('A3',104,100,'2026-06-10','partly_kept',0,'t'),"
	        " ('A3',105,100,'2026-06-10','broken',0,'t');"
	        "INSERT INTO literacy_events(community_id, held_on, topic, attendance, created_by,"
	        " created_at) VALUES ('C1','2026-06-10','防诈骗',40,'t',0),"
	        " ('C1','2026-06-30','征信知识',25,'t',0), ('C1','2026-05-20','x',100,'t',0),"
	        " ('C1','2026-07-01','x',100,'t',0), ('C2','2026-06-15','理财',10,'t',0),"
	        " ('C3','2026-06-15','x',10,'t',0), ('C6','2026-06-02','a',30,'t',0),"
	        " ('C6','2026-06-03','b',30,'t',0), ('C6','2026-06-04','c',30,'t',0);");
	/* complaints by local date in Shanghai: 06-01 07:00 is 05-31 in UTC, and
	 * 07-01 01:00 is 06-30 in UTC */
	complaint(st, "P1", "A1", "2026-06-03T10:00:00+08:00");
	complaint(st, "P2", "A2", "2026-06-01T07:00:00+08:00");
	complaint(st, "P2", "A2", "2026-07-01T01:00:00+08:00");
	complaint(st, "P1", "A1", "2026-05-31T23:59:00+08:00");
	complaint(st, "P3", "A3", "2026-06-15T12:00:00+08:00");
	complaint(st, "P4", "A4", "2026-06-15T12:00:00+08:00");
	complaint(st, "P6", NULL, "2026-06-15T12:00:00+08:00");
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	ds_store_close(*state);
	return 0;
}

static double weighted(double worker, double met, double kept, double calm, double events)
{
	return 0.35 * worker + 0.25 * met + 0.2 * kept + 0.1 * calm + 0.1 * events;
}

static void scores_on_known_counts(void **state)
{
	ds_store *st = *state;
	struct ds_diag d;
	struct ds_community_score *v;
	long n;
	assert_int_equal(ds_community_scores(st, day("2026-06-30"), 30, &v, &n, &d), DS_OK);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].community_id, "C1");
	assert_string_equal(v[1].community_id, "C2");
	assert_string_equal(v[2].community_id, "C4");
	assert_string_equal(v[3].community_id, "C6");

	const struct ds_community_score *c1 = &v[0];
	assert_int_equal(c1->visits, 6);
	assert_int_equal(c1->with_worker, 3);
	assert_int_equal(c1->met, 4);
	assert_int_equal(c1->promises, 5);
	assert_int_equal(c1->kept, 3);
	assert_int_equal(c1->complaints, 2);
	assert_int_equal(c1->events, 2);
	assert_int_equal(c1->attendance, 65);
	/* 3/6 with a worker, 4/6 met, 3/5 kept, 1 - min(1, 2/6*10) = 0, min(1, 2/2) */
	assert_near(c1->score, weighted(0.5, 4.0 / 6, 0.6, 0.0, 1.0));
	assert_near(c1->score, 0.175 + 1.0 / 6 + 0.12 + 0.0 + 0.1);

	const struct ds_community_score *c2 = &v[1];
	assert_int_equal(c2->visits, 20);
	assert_int_equal(c2->with_worker, 15);
	assert_int_equal(c2->met, 8);
	assert_int_equal(c2->promises, 5);
	assert_int_equal(c2->kept, 3);
	assert_int_equal(c2->complaints, 1);
	assert_int_equal(c2->events, 1);
	assert_int_equal(c2->attendance, 10);
	/* 15/20, 8/20, 3/5, 1 - 1/20*10 = 0.5, 1/2 */
	assert_near(c2->score, weighted(0.75, 0.4, 0.6, 0.5, 0.5));
	assert_near(c2->score, 0.5825);

	/* nothing known: every visit component 0.5, no events 0 */
	const struct ds_community_score *c4 = &v[2];
	assert_int_equal(c4->visits + c4->with_worker + c4->met + c4->promises + c4->kept +
	                         c4->complaints + c4->events + c4->attendance,
	                 0);
	assert_near(c4->score, 0.45);

	/* events only: three count as the most (1); a complaint without visits
	 * has no denominator */
	const struct ds_community_score *c6 = &v[3];
	assert_int_equal(c6->visits, 0);
	assert_int_equal(c6->complaints, 1);
	assert_int_equal(c6->events, 3);
	assert_int_equal(c6->attendance, 90);
	assert_near(c6->score, weighted(0.5, 0.5, 0.5, 0.5, 1.0));
	assert_near(c6->score, 0.55);
	ds_free(v);
}

static void window_edges(void **state)
{
	ds_store *st = *state;
	struct ds_diag d;
	struct ds_community_score *v;
	long n;
	/* one day: 2026-06-30 only */
	assert_int_equal(ds_community_scores(st, day("2026-06-30"), 1, &v, &n, &d), DS_OK);
	assert_int_equal(n, 4);
	assert_int_equal(v[0].visits, 1); /* visit 10 */
	assert_int_equal(v[0].with_worker, 0);
	assert_int_equal(v[0].met, 1);
	assert_int_equal(v[0].promises, 0);
	assert_int_equal(v[0].complaints, 0);
	assert_int_equal(v[0].events, 1);
	assert_int_equal(v[0].attendance, 25);
	/* 0/1 worker, 1/1 met, kept unknown, 1 - 0, 1/2 */
	assert_near(v[0].score, weighted(0.0, 1.0, 0.5, 1.0, 0.5));
	assert_int_equal(v[1].visits, 0);
	ds_free(v);
	/* a day later: 07-01 has visit 7 (with W1), an event and a complaint */
	assert_int_equal(ds_community_scores(st, day("2026-07-01"), 1, &v, &n, &d), DS_OK);
	assert_int_equal(v[0].visits, 1);
	assert_int_equal(v[0].with_worker, 1);
	assert_int_equal(v[0].complaints, 1);
	assert_int_equal(v[0].events, 1);
	/* 1, 1, unknown, 1 - min(1, 10), 1/2 */
	assert_near(v[0].score, weighted(1.0, 1.0, 0.5, 0.0, 0.5));
	ds_free(v);
	/* 05-31 local: the complaint at 23:59 and visit 6 */
	assert_int_equal(ds_community_scores(st, day("2026-05-31"), 1, &v, &n, &d), DS_OK);
	assert_int_equal(v[0].visits, 1);
	assert_int_equal(v[0].complaints, 1);
	assert_int_equal(v[0].promises, 1);
	assert_int_equal(v[0].kept, 1);
	ds_free(v);
	/* out of range */
	assert_int_equal(ds_community_scores(st, day("2026-06-30"), 0, &v, &n, &d), DS_EINVAL);
	assert_int_equal(ds_community_scores(st, day("2026-06-30"), 3651, &v, &n, &d), DS_EINVAL);
	assert_null(v);
	assert_int_equal(n, 0);
}

static void no_partners(void **state)
{
	ds_store *st = *state;
	struct ds_diag d;
	exec_ok(st, "UPDATE communities SET partner_status = 'none'");
	struct ds_community_score *v;
	long n = 9;
	assert_int_equal(ds_community_scores(st, day("2026-06-30"), 90, &v, &n, &d), DS_OK);
	assert_int_equal(n, 0);
	assert_null(v);
}

static void literacy_events(void **state)
{
	ds_store *st = *state;
	struct ds_diag d;
	ds_diag_clear(&d);
	int64_t audit = num(st, "SELECT count(*) FROM audit_log");
	int64_t events = num(st, "SELECT count(*) FROM literacy_events");
	long id = 0;
	assert_int_equal(ds_literacy_event_add(st, "C4", day("2026-06-20"), "识别非法集资", 42,
	                                       1781900000, &id, &d),
	                 DS_OK);
	assert_true(id > 0);
	char sql[256];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM literacy_events WHERE event_id = %ld AND community_id ="
	         " 'C4' AND held_on = '2026-06-20' AND topic = '识别非法集资' AND attendance = 42"
	         " AND created_by = 'tester' AND created_at = 1781900000",
	         id);
	assert_int_equal(num(st, sql), 1);
	assert_int_equal(num(st, "SELECT count(*) FROM audit_log") - audit, 1);
	assert_int_equal(num(st, "SELECT count(*) FROM audit_log WHERE action ="
	                         " 'literacy_event_add' AND entity = 'literacy_events'"),
	                 1);
	/* it counts in C4's score: 0.45 - 0.1 * 0 + 0.1 * 1/2 */
	struct ds_community_score *v;
	long n;
	assert_int_equal(ds_community_scores(st, day("2026-06-30"), 30, &v, &n, &d), DS_OK);
	assert_string_equal(v[2].community_id, "C4");
	assert_int_equal(v[2].events, 1);
	assert_int_equal(v[2].attendance, 42);
	assert_near(v[2].score, 0.5);
	ds_free(v);

	/* the edges that are allowed */
	char topic[201];
	memset(topic, 't', 200);
	topic[200] = '\0';
	assert_int_equal(ds_literacy_event_add(st, "C3", day("2026-06-20"), topic, 0, 0, &id, &d),
	                 DS_OK);
	assert_int_equal(
	        ds_literacy_event_add(st, "C3", day("2026-06-20"), "x", 100000, 0, &id, &d), DS_OK);
	events += 3;
	audit += 3;
	/* refusals write nothing */
	assert_int_equal(ds_literacy_event_add(st, "C9", day("2026-06-20"), "x", 1, 0, &id, &d),
	                 DS_ENOTFOUND);
	assert_int_equal(id, 0);
	assert_non_null(strstr(d.msg, "C9"));
	char big[202];
	memset(big, 't', 201);
	big[201] = '\0';
	assert_int_equal(ds_literacy_event_add(st, "C1", day("2026-06-20"), big, 1, 0, &id, &d),
	                 DS_EINVAL);
	assert_int_equal(ds_literacy_event_add(st, "C1", day("2026-06-20"), "", 1, 0, &id, &d),
	                 DS_EINVAL);
	assert_int_equal(ds_literacy_event_add(st, "C1", day("2026-06-20"), NULL, 1, 0, &id, &d),
	                 DS_EINVAL);
	assert_int_equal(ds_literacy_event_add(st, "C1", day("2026-06-20"), "\xc3", 1, 0, &id, &d),
	                 DS_EINVAL);
	assert_int_equal(ds_literacy_event_add(st, "C1", day("2026-06-20"), "x", -1, 0, &id, &d),
	                 DS_EINVAL);
	assert_int_equal(
	        ds_literacy_event_add(st, "C1", day("2026-06-20"), "x", 100001, 0, &id, &d),
	        DS_EINVAL);
	assert_int_equal(
	        ds_literacy_event_add(st, "C1", ds_date_from_ymd(2300, 1, 1), "x", 1, 0, &id, &d),
	        DS_EINVAL);
	assert_int_equal(ds_literacy_event_add(st, "", day("2026-06-20"), "x", 1, 0, &id, &d),
	                 DS_EINVAL);
	assert_int_equal(num(st, "SELECT count(*) FROM literacy_events"), events);
	assert_int_equal(num(st, "SELECT count(*) FROM audit_log"), audit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(scores_on_known_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(window_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(no_partners, setup, teardown),
		cmocka_unit_test_setup_teardown(literacy_events, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of installment plans (field.h "installment plans"): the
 * schedule, affordability, offers by role, maker-checker decisions and
 * adherence tracked from payment sequences.
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
static char db[128];
static int dbs;
static struct ds_field_config cfg;
static ds_time NOW; /* 2026-03-01T10:00:00Z: the day plans are offered */

static int group_setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/ds-plans-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	return ds_time_parse("2026-03-01T10:00:00Z", "UTC", &NOW) ? -1 : 0;
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

static ds_store *as(const char *actor)
{
	struct ds_store_opts o = { .actor = actor };
	ds_store *st = NULL;
	struct ds_diag d;
	assert_int_equal(ds_store_open(db, &o, &st, &d), DS_OK);
	return st;
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

/*
 * A fresh database per test: a branch; borrowers with a high income (B1:
 * 100,000 yuan a month), a modest one (B2: 1,000), none (B3, B4); accounts
 * A01..A09 of B1, A10 of B2, A11 of B3 (scored 0.3 then 0.7), A12 of B4
 * (never scored), A13 closed; staff of every role, X1 no longer active.
 */
static void fresh(void)
{
	snprintf(db, sizeof db, "%s/t%d.db", dir, ++dbs);
	struct ds_store_opts o = { .for_init = true, .actor = "tester" };
	ds_store *st = NULL;
	struct ds_diag d;
	assert_int_equal(ds_store_open(db, &o, &st, &d), DS_OK);
	assert_int_equal(ds_store_migrate(st, NULL, &d), DS_OK);
	exec(st, "INSERT INTO branches(branch_id, name, timezone) VALUES "
	         "('BR1','West','Asia/Shanghai');"
	         "INSERT INTO borrowers(borrower_id, name, monthly_income_fen) VALUES"
	         " ('B1','王芳',10000000), ('B2','李强',100000), ('B3','张伟',NULL),"
	         " ('B4','刘洋',NULL);"
	         "INSERT INTO accounts(account_id, borrower_id, branch_id, product, principal_fen,"
	         " balance_fen, open_date, status) VALUES"
	         " ('A01','B1','BR1','consumer_loan',9000000,300000,'2024-01-01','active'),"
	         " ('A02','B1','BR1','consumer_loan',9000000,300000,'2024-01-01','active'),"
	         " ('A03','B1','BR1','consumer_loan',9000000,300000,'2024-01-01','active'),"
	         " ('A04','B1','BR1','consumer_loan',9000000,300000,'2024-01-01','active'),"
	         " ('A05','B1','BR1','consumer_loan',9000000,300000,'2024-01-01','active'),"
	         " ('A06','B1','BR1','consumer_loan',9000000,300000,'2024-01-01','active'),"
	         " ('A07','B1','BR1','consumer_loan',9000000,300000,'2024-01-01','active'),"
	         " ('A08','B1','BR1','consumer_loan',9000000,300000,'2024-01-01','active'),"
	         " ('A09','B1','BR1','consumer_loan',9000000,300000,'2024-01-01','active'),"
	         " ('A10','B2','BR1','consumer_loan',900000,300000,'2024-01-01','active'),"
	         " ('A11','B3','BR1','consumer_loan',900000,300000,'2024-01-01','active'),"
	         " ('A12','B4','BR1','consumer_loan',900000,300000,'2024-01-01','active'),"
	         " ('A13','B1','BR1','consumer_loan',900000,0,'2024-01-01','closed');"
	         "INSERT INTO scores(account_id, score_date, ability) VALUES"
	         " ('A11','2026-01-01',0.3), ('A11','2026-02-01',0.7);"
	         "INSERT INTO staff(staff_id, name, role, active) VALUES"
	         " ('C1','赵敏','collector',1), ('C2','钱进','collector',1),"
	         " ('W1','孙丽','community_worker',1), ('M1','周经理','manager',1),"
	         " ('M2','吴经理','manager',1), ('N1','郑分析','analyst',1),"
	         " ('X1','王离职','collector',0);"
	         "INSERT INTO visits(visit_id, account_id, state) VALUES (7,'A01','closed');");
	ds_store_close(st);
}

/* The first column of the first row of sql, its '?' (if any) bound to id. */
static int64_t count_of(const char *sql, long id)
{
	ds_store *st = as("tester");
	ds_stmt *s;
	bool row;
	struct ds_diag d;
	assert_int_equal(ds_store_prepare(st, sql, &s, &d), DS_OK);
	if (strchr(sql, '?'))
		ds_stmt_bind_int(s, 1, id);
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	assert_true(row);
	int64_t v = ds_stmt_int(s, 0);
	ds_stmt_done(s);
	ds_store_close(st);
	return v;
}

static int64_t count(const char *sql)
{
	return count_of(sql, 0);
}

/* The text of the first column of the first row of sql ("" when none),
 * its '?' (if any) bound to id. */
static const char *text_of(const char *sql, long id)
{
	static char out[1024];
	ds_store *st = as("tester");
	ds_stmt *s;
	bool row;
	struct ds_diag d;
	assert_int_equal(ds_store_prepare(st, sql, &s, &d), DS_OK);
	if (strchr(sql, '?'))
		ds_stmt_bind_int(s, 1, id);
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	ds_strlcpy(out, row ? ds_stmt_text(s, 0) : "", sizeof out);
	ds_stmt_done(s);
	ds_store_close(st);
	return out;
}

static const char *text(const char *sql)
{
	return text_of(sql, 0);
}

static ds_err offer(const char *actor, const char *account, ds_fen balance, ds_fen waiver,
                    const char *kind, int n, const char *first, bool override, long *id,
                    struct ds_diag *d)
{
	struct ds_plan_terms t = { balance, waiver, kind, n, D(first) };
	ds_store *st = as(actor);
	ds_diag_clear(d);
	ds_err err = ds_plan_offer(st, &cfg, account, 0, &t, override, NOW, id, d);
	ds_store_close(st);
	return err;
}

static ds_err decide(const char *actor, long id, bool approve, const char *note, struct ds_diag *d)
{
	ds_store *st = as(actor);
	ds_diag_clear(d);
	ds_err err = ds_plan_decide(st, id, approve, note, NOW + 3600, d);
	ds_store_close(st);
	return err;
}

static struct ds_plan_tally track(const char *as_of)
{
	ds_store *st = as("system");
	struct ds_plan_tally t;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_plans_track(st, &cfg, D(as_of), &t, &d);
	if (err)
		fprintf(stderr, "%s\n", d.msg);
	assert_int_equal(err, DS_OK);
	ds_store_close(st);
	return t;
}

static void pay(const char *account, const char *id, const char *date, ds_fen fen)
{
	ds_store *st = as("tester");
	ds_stmt *s;
	bool row;
	struct ds_diag d;
	assert_int_equal(ds_store_prepare(st,
	                                  "INSERT INTO payments(payment_id, account_id, value_date,"
	                                  " amount_fen, channel) VALUES (?,?,?,?,'transfer')",
	                                  &s, &d),
	                 DS_OK);
	ds_stmt_bind_text(s, 1, id);
	ds_stmt_bind_text(s, 2, account);
	ds_stmt_bind_text(s, 3, date);
	ds_stmt_bind_int(s, 4, fen);
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	ds_stmt_done(s);
	ds_store_close(st);
}

static const char *status_of(long plan)
{
	return text_of("SELECT status FROM plans WHERE plan_id = ?", plan);
}

/* "status paid_fen" of installment seq of a plan. */
static const char *inst(long plan, int seq)
{
	static char out[64];
	ds_store *st = as("tester");
	ds_stmt *s;
	bool row;
	struct ds_diag d;
	assert_int_equal(ds_store_prepare(st,
	                                  "SELECT status || ' ' || paid_fen FROM plan_installments"
	                                  " WHERE plan_id = ? AND seq = ?",
	                                  &s, &d),
	                 DS_OK);
	ds_stmt_bind_int(s, 1, plan);
	ds_stmt_bind_int(s, 2, seq);
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	ds_strlcpy(out, row ? ds_stmt_text(s, 0) : "", sizeof out);
	ds_stmt_done(s);
	ds_store_close(st);
	return out;
}

/* A collector's plan on account: 3 installments of 1,000 yuan from
 * 2026-04-01 (active at once, approved on 2026-03-01). */
static long plan3(const char *account)
{
	long id = 0;
	struct ds_diag d;
	assert_int_equal(offer("C1", account, 300000, 0, NULL, 3, "2026-04-01", false, &id, &d),
	                 DS_OK);
	assert_string_equal(status_of(id), "active");
	return id;
}

/* ------------------------------------------------------------ schedule */

static void calc(ds_fen balance, ds_fen waiver, const char *kind, int n, const char *first,
                 struct ds_plan_schedule *s)
{
	struct ds_plan_terms t = { balance, waiver, kind, n, D(first) };
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_plan_calculate(&t, s, &d);
	if (err)
		fprintf(stderr, "%s: %s\n", d.field, d.msg);
	assert_int_equal(err, DS_OK);
}

static void due_is(const struct ds_plan_schedule *s, int i, const char *date)
{
	char got[11];
	ds_date_format(s->due[i], got);
	assert_string_equal(got, date);
}

static void schedule_equal_with_remainder(void **state)
{
	(void)state;
	struct ds_plan_schedule s;
	calc(100000, 0, NULL, 3, "2026-01-15", &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.total, 100000);
	assert_int_equal(s.amount[0], 33334);
	assert_int_equal(s.amount[1], 33333);
	assert_int_equal(s.amount[2], 33333);
	due_is(&s, 0, "2026-01-15");
	due_is(&s, 1, "2026-02-15");
	due_is(&s, 2, "2026-03-15");
	/* 1000 fen over 7: 142 rem 6, the first six get one more */
	calc(1000, 0, NULL, 7, "2026-01-15", &s);
	for (int i = 0; i < 6; i++)
		assert_int_equal(s.amount[i], 143);
	assert_int_equal(s.amount[6], 142);
	/* a waiver comes off before dividing */
	calc(100000, 10000, "fees", 4, "2026-01-15", &s);
	assert_int_equal(s.total, 90000);
	for (int i = 0; i < 4; i++)
		assert_int_equal(s.amount[i], 22500);
	calc(100001, 1, "interest", 1, "2026-01-15", &s);
	assert_int_equal(s.amount[0], 100000);
	/* the year turns */
	calc(200, 0, NULL, 2, "2026-12-15", &s);
	due_is(&s, 1, "2027-01-15");
	/* the most installments allowed */
	calc(600000, 0, NULL, DS_PLAN_MAX_INSTALLMENTS, "2026-01-10", &s);
	assert_int_equal(s.n, DS_PLAN_MAX_INSTALLMENTS);
	assert_int_equal(s.amount[59], 10000);
	due_is(&s, 59, "2030-12-10");
}

static void schedule_month_ends(void **state)
{
	(void)state;
	struct ds_plan_schedule s;
	/* the 31st: clamped to short months, back to the 31st after */
	calc(500000, 0, NULL, 5, "2026-01-31", &s);
	due_is(&s, 0, "2026-01-31");
	due_is(&s, 1, "2026-02-28");
	due_is(&s, 2, "2026-03-31");
	due_is(&s, 3, "2026-04-30");
	due_is(&s, 4, "2026-05-31");
	/* a leap year's February */
	calc(300000, 0, NULL, 3, "2024-01-31", &s);
	due_is(&s, 1, "2024-02-29");
	due_is(&s, 2, "2024-03-31");
	calc(1300000, 0, NULL, 13, "2024-02-29", &s);
	due_is(&s, 1, "2024-03-29");
	due_is(&s, 12, "2025-02-28");
	calc(300000, 0, NULL, 3, "2024-01-30", &s);
	due_is(&s, 1, "2024-02-29");
	due_is(&s, 2, "2024-03-30");
}

static void refused(ds_fen balance, ds_fen waiver, const char *kind, int n, const char *first,
                    const char *field)
{
	struct ds_plan_terms t = { balance, waiver, kind, n, D(first) };
	struct ds_plan_schedule s;
	struct ds_diag d;
	ds_diag_clear(&d);
	assert_int_equal(ds_plan_calculate(&t, &s, &d), DS_EINVAL);
	assert_string_equal(d.field, field);
	assert_true(d.msg[0] != '\0');
}

static void schedule_limits(void **state)
{
	(void)state;
	refused(100000, 0, NULL, 0, "2026-01-15", "installments");
	refused(100000, 0, NULL, DS_PLAN_MAX_INSTALLMENTS + 1, "2026-01-15", "installments");
	refused(100000, 0, NULL, -3, "2026-01-15", "installments");
	refused(0, 0, NULL, 3, "2026-01-15", "balance");
	refused(-5, 0, NULL, 3, "2026-01-15", "balance");
	refused(100000, 100000, "fees", 3, "2026-01-15", "waiver");
	refused(100000, 200000, "fees", 3, "2026-01-15", "waiver");
	refused(100000, -1, NULL, 3, "2026-01-15", "waiver");
	refused(100000, 5000, NULL, 3, "2026-01-15", "waiver_kind");
	refused(100000, 5000, "", 3, "2026-01-15", "waiver_kind");
	refused(100000, 5000, "penalty", 3, "2026-01-15", "waiver_kind");
	refused(100000, 0, "fees", 3, "2026-01-15", "waiver_kind");
	/* five fen in six installments: one would be zero */
	refused(5, 0, NULL, 6, "2026-01-15", "installments");
	refused(100000, 0, NULL, 12, "2199-06-01", "first_due");
	struct ds_plan_schedule s;
	struct ds_diag d;
	assert_int_equal(ds_plan_calculate(NULL, &s, &d), DS_EINVAL);
}

/* -------------------------------------------------------- affordability */

static void affordability(void **state)
{
	(void)state;
	struct ds_plan_schedule s;
	struct ds_plan_affordability a;
	/* 30% of 10,000 yuan: 3,000 yuan */
	calc(900000, 0, NULL, 3, "2026-04-01", &s);
	ds_plan_affordability(&cfg, &s, 1000000, -1, &a);
	assert_true(a.affordable);
	assert_int_equal(a.largest, 300000);
	assert_int_equal(a.limit, 300000);
	assert_true(a.ability < 0);
	assert_non_null(strstr(a.why, "within"));
	/* one fen more, on the first installment: above */
	calc(900001, 0, NULL, 3, "2026-04-01", &s);
	ds_plan_affordability(&cfg, &s, 1000000, 0.9, &a);
	assert_false(a.affordable);
	assert_int_equal(a.largest, 300001);
	assert_int_equal(a.limit, 300000);
	assert_non_null(strstr(a.why, "above"));
	/* a declared income decides even against a good score; zero is declared */
	ds_plan_affordability(&cfg, &s, 0, 0.99, &a);
	assert_false(a.affordable);
	assert_int_equal(a.limit, 0);
	/* no income: the score, at least one half */
	ds_plan_affordability(&cfg, &s, -1, 0.5, &a);
	assert_true(a.affordable);
	assert_int_equal(a.limit, 0);
	assert_float_equal(a.ability, 0.5, 1e-12);
	assert_non_null(strstr(a.why, "score"));
	ds_plan_affordability(&cfg, &s, -1, 0.49, &a);
	assert_false(a.affordable);
	/* neither: not affordable, and says why */
	ds_plan_affordability(&cfg, &s, -1, -1, &a);
	assert_false(a.affordable);
	assert_true(a.ability < 0);
	assert_non_null(strstr(a.why, "no declared income and no ability score"));
	ds_plan_affordability(&cfg, &s, -1, 1.5, &a); /* not a score */
	assert_false(a.affordable);
	assert_true(a.ability < 0);
	/* another percentage */
	struct ds_field_config c = cfg;
	c.affordability_pct = 50;
	ds_plan_affordability(&c, &s, 600002, -1, &a);
	assert_true(a.affordable);
	assert_int_equal(a.limit, 300001);
}

/* ---------------------------------------------------------------- offers */

static void offers_by_role(void **state)
{
	(void)state;
	fresh();
	struct ds_diag d;
	long id = 0;
	/* a collector within the limits, no waiver: active at once */
	assert_int_equal(offer("C1", "A01", 120000, 0, NULL, 6, "2026-04-01", false, &id, &d),
	                 DS_OK);
	assert_true(id > 0);
	const char *sql;
	long sql_id;
	sql = "SELECT status||'|'||total_fen||'|'||waiver_fen||'|'||created_by||'|'||"
	      "approved_by||'|'||approved_at||'|'||balance_fen||'|'||installments||'|'||"
	      "first_due||'|'||created_at FROM plans WHERE plan_id = ?";
	sql_id = id;
	char want[256];
	snprintf(want, sizeof want, "active|120000|0|C1|C1|%lld|120000|6|2026-04-01|%lld",
	         (long long)NOW, (long long)NOW);
	assert_string_equal(text_of(sql, sql_id), want);
	assert_int_equal(count("SELECT count(*) FROM plan_installments WHERE amount_fen = 20000"
	                       " AND status = 'due' AND paid_fen = 0"),
	                 6);
	assert_string_equal(text("SELECT group_concat(due_date) FROM (SELECT due_date FROM"
	                         " plan_installments ORDER BY seq)"),
	                    "2026-04-01,2026-05-01,2026-06-01,2026-07-01,2026-08-01,2026-09-01");
	assert_string_equal(text("SELECT json_extract(affordability, '$.affordable')||'|'||"
	                         "json_extract(affordability, '$.basis')||'|'||"
	                         "json_extract(affordability, '$.limit_fen')||'|'||"
	                         "json_extract(affordability, '$.override') FROM plans"),
	                    "1|income|3000000|0");
	assert_string_equal(text("SELECT actor||'|'||action||'|'||entity||'|'||"
	                         "json_extract(detail, '$.status') FROM audit_log"
	                         " WHERE action = 'plan_offer'"),
	                    "C1|plan_offer|plans|active");

	/* above the collector's amount limit (50,000 yuan): pending */
	assert_int_equal(offer("C1", "A02", 5000001, 0, NULL, 12, "2026-04-01", false, &id, &d),
	                 DS_OK);
	assert_string_equal(status_of(id), "pending_approval");
	sql = "SELECT approved_by IS NULL AND approved_at IS NULL FROM plans"
	      " WHERE plan_id = ?";
	sql_id = id;
	assert_int_equal(count_of(sql, sql_id), 1);
	/* exactly the limit, the most installments: active */
	assert_int_equal(offer("C1", "A03", 5000000, 0, NULL, 12, "2026-04-01", false, &id, &d),
	                 DS_OK);
	assert_string_equal(status_of(id), "active");
	/* more installments than a collector may give: pending */
	assert_int_equal(offer("C2", "A04", 240000, 0, NULL, 13, "2026-04-01", false, &id, &d),
	                 DS_OK);
	assert_string_equal(status_of(id), "pending_approval");
	/* a waiver: pending whoever offers it */
	assert_int_equal(offer("C1", "A05", 120000, 2000, "fees", 3, "2026-04-01", false, &id, &d),
	                 DS_OK);
	assert_string_equal(status_of(id), "pending_approval");
	sql = "SELECT total_fen||'|'||waiver_kind FROM plans WHERE plan_id = ?";
	sql_id = id;
	assert_string_equal(text_of(sql, sql_id), "118000|fees");
	assert_int_equal(
	        offer("M1", "A06", 120000, 2000, "interest", 3, "2026-04-01", false, &id, &d),
	        DS_OK);
	assert_string_equal(status_of(id), "pending_approval");
	/* a manager's own offer without a waiver, above the collector's limits: active */
	assert_int_equal(offer("M1", "A07", 8000000, 0, NULL, 24, "2026-04-01", false, &id, &d),
	                 DS_OK);
	assert_string_equal(status_of(id), "active");
	sql = "SELECT approved_by FROM plans WHERE plan_id = ?";
	sql_id = id;
	assert_string_equal(text_of(sql, sql_id), "M1");
	assert_int_equal(count("SELECT count(*) FROM plans"), 7);
	assert_int_equal(count("SELECT count(*) FROM audit_log WHERE action = 'plan_offer'"), 7);
}

static void offers_refused(void **state)
{
	(void)state;
	fresh();
	struct ds_diag d;
	long id = 0;
	int64_t audits = count("SELECT count(*) FROM audit_log");
	/* community workers do not offer plans */
	assert_int_equal(offer("W1", "A01", 120000, 0, NULL, 3, "2026-04-01", false, &id, &d),
	                 DS_EINVAL);
	assert_non_null(strstr(d.msg, "community workers do not offer"));
	assert_int_equal(id, 0);
	/* nor analysts, nor anyone not (or no longer) on the staff */
	assert_int_equal(offer("N1", "A01", 120000, 0, NULL, 3, "2026-04-01", false, &id, &d),
	                 DS_EINVAL);
	assert_non_null(strstr(d.msg, "an analyst"));
	assert_int_equal(offer("nobody", "A01", 120000, 0, NULL, 3, "2026-04-01", false, &id, &d),
	                 DS_EINVAL);
	assert_string_equal(d.field, "actor");
	assert_non_null(strstr(d.msg, "\"nobody\" is not on the staff"));
	assert_int_equal(offer("X1", "A01", 120000, 0, NULL, 3, "2026-04-01", false, &id, &d),
	                 DS_EINVAL);
	assert_non_null(strstr(d.msg, "no longer active"));
	/* bad terms, an unknown or closed account, a first date already past */
	assert_int_equal(offer("C1", "A01", 120000, 0, NULL, 0, "2026-04-01", false, &id, &d),
	                 DS_EINVAL);
	assert_string_equal(d.field, "installments");
	assert_int_equal(offer("C1", "A99", 120000, 0, NULL, 3, "2026-04-01", false, &id, &d),
	                 DS_ENOTFOUND);
	assert_string_equal(d.field, "account");
	assert_int_equal(offer("C1", "A13", 120000, 0, NULL, 3, "2026-04-01", false, &id, &d),
	                 DS_EINVAL);
	assert_non_null(strstr(d.msg, "closed"));
	assert_int_equal(offer("C1", "A01", 120000, 0, NULL, 3, "2026-02-28", false, &id, &d),
	                 DS_EINVAL);
	assert_string_equal(d.field, "first_due");
	/* the day of the offer itself is allowed */
	assert_int_equal(offer("C1", "A01", 120000, 0, NULL, 3, "2026-03-01", false, &id, &d),
	                 DS_OK);
	assert_int_equal(count("SELECT count(*) FROM plans"), 1);
	/* a second plan while one is active, or pending */
	long second = 0;
	assert_int_equal(offer("M1", "A01", 120000, 0, NULL, 3, "2026-04-01", false, &second, &d),
	                 DS_EINVAL);
	assert_non_null(strstr(d.msg, "already has plan"));
	assert_int_equal(second, 0);
	assert_int_equal(offer("C1", "A02", 120000, 100, "fees", 3, "2026-04-01", false, &id, &d),
	                 DS_OK);
	assert_int_equal(offer("C2", "A02", 120000, 0, NULL, 3, "2026-04-01", false, &second, &d),
	                 DS_EINVAL);
	assert_non_null(strstr(d.msg, "pending_approval"));
	/* a visit must be the account's */
	struct ds_plan_terms t = { 120000, 0, NULL, 3, D("2026-04-01") };
	ds_store *st = as("C1");
	ds_diag_clear(&d);
	assert_int_equal(ds_plan_offer(st, &cfg, "A03", 7, &t, false, NOW, &id, &d), DS_EINVAL);
	assert_string_equal(d.field, "visit");
	assert_int_equal(ds_plan_offer(st, &cfg, "A03", 99, &t, false, NOW, &id, &d), DS_EINVAL);
	ds_store_close(st);
	st = as("C1");
	assert_int_equal(ds_plan_offer(st, &cfg, "A01", 0, &t, false, NOW, &id, &d), DS_EINVAL);
	ds_store_close(st);
	/* nothing half-written: only the two accepted plans and their audits */
	assert_int_equal(count("SELECT count(*) FROM plans"), 2);
	assert_int_equal(count("SELECT count(*) FROM plan_installments"), 6);
	assert_int_equal(count("SELECT count(*) FROM audit_log"), audits + 2);
	/* a visit of the account is recorded */
	st = as("C1");
	t.balance_fen = 300000;
	ds_diag_clear(&d);
	assert_int_equal(ds_store_exec(st, "UPDATE visits SET account_id = 'A03'", &d), DS_OK);
	assert_int_equal(ds_plan_offer(st, &cfg, "A03", 7, &t, false, NOW, &id, &d), DS_OK);
	ds_store_close(st);
	assert_int_equal(count("SELECT visit_id FROM plans WHERE account_id = 'A03'"), 7);
}

static void offers_affordability(void **state)
{
	(void)state;
	fresh();
	struct ds_diag d;
	long id = 0;
	/* B2 earns 1,000 yuan: 300 a month is the most */
	assert_int_equal(offer("C1", "A10", 90000, 0, NULL, 3, "2026-04-01", false, &id, &d),
	                 DS_OK);
	assert_string_equal(status_of(id), "active");
	assert_int_equal(decide("M1", id, true, NULL, &d), DS_EINVAL); /* not pending */
	/* A11 has no income: its latest score (0.7) decides */
	assert_int_equal(offer("C1", "A11", 90000, 0, NULL, 3, "2026-04-01", false, &id, &d),
	                 DS_OK);
	const char *sql;
	long sql_id;
	sql = "SELECT json_extract(affordability, '$.basis')||'|'||"
	      "json_extract(affordability, '$.ability')||'|'||"
	      "json_type(affordability, '$.monthly_income_fen') FROM plans WHERE plan_id = ?";
	sql_id = id;
	assert_string_equal(text_of(sql, sql_id), "score|0.7|null");
	/* A12: no income and no score: refused, unless overridden (recorded) */
	int64_t audits = count("SELECT count(*) FROM audit_log");
	assert_int_equal(offer("C1", "A12", 90000, 0, NULL, 3, "2026-04-01", false, &id, &d),
	                 DS_EINVAL);
	assert_string_equal(d.field, "affordability");
	assert_non_null(strstr(d.msg, "no declared income and no ability score"));
	assert_int_equal(count("SELECT count(*) FROM plans WHERE account_id = 'A12'"), 0);
	assert_int_equal(count("SELECT count(*) FROM audit_log"), audits);
	assert_int_equal(offer("C1", "A12", 90000, 0, NULL, 3, "2026-04-01", true, &id, &d), DS_OK);
	sql = "SELECT json_extract(affordability, '$.affordable')||'|'||"
	      "json_extract(affordability, '$.override')||'|'||"
	      "json_extract(affordability, '$.basis') FROM plans WHERE plan_id = ?";
	sql_id = id;
	assert_string_equal(text_of(sql, sql_id), "0|1|none");
	assert_int_equal(count("SELECT json_extract(detail, '$.override_affordability') FROM"
	                       " audit_log WHERE action = 'plan_offer' AND"
	                       " json_extract(detail, '$.account_id') = 'A12'"),
	                 1);
	/* B2 cannot carry 400 yuan a month */
	fresh();
	assert_int_equal(offer("C1", "A10", 120000, 0, NULL, 3, "2026-04-01", false, &id, &d),
	                 DS_EINVAL);
	assert_non_null(strstr(d.msg, "above 30%"));
}

/* -------------------------------------------------------------- decide */

static void decisions(void **state)
{
	(void)state;
	fresh();
	struct ds_diag d;
	long p1 = 0, p2 = 0, p3 = 0;
	assert_int_equal(offer("M1", "A01", 120000, 2000, "fees", 3, "2026-04-01", false, &p1, &d),
	                 DS_OK);
	assert_int_equal(offer("C1", "A02", 6000000, 0, NULL, 6, "2026-04-01", false, &p2, &d),
	                 DS_OK);
	assert_int_equal(
	        offer("C1", "A03", 120000, 500, "interest", 3, "2026-04-01", false, &p3, &d),
	        DS_OK);
	int64_t audits = count("SELECT count(*) FROM audit_log");
	/* the maker cannot approve its own */
	assert_int_equal(decide("M1", p1, true, NULL, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "maker-checker"));
	/* a collector, a community worker, an analyst, a stranger: no */
	assert_int_equal(decide("C2", p2, true, NULL, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "only a manager"));
	assert_int_equal(decide("C1", p2, true, NULL, &d), DS_EINVAL);
	assert_int_equal(decide("W1", p2, true, NULL, &d), DS_EINVAL);
	assert_int_equal(decide("N1", p2, false, NULL, &d), DS_EINVAL);
	assert_int_equal(decide("nobody", p2, true, NULL, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "is not on the staff"));
	assert_int_equal(decide("M1", 999, true, NULL, &d), DS_ENOTFOUND);
	assert_int_equal(decide("M1", 0, true, NULL, &d), DS_EINVAL);
	assert_int_equal(count("SELECT count(*) FROM audit_log"), audits);
	assert_int_equal(count("SELECT count(*) FROM plans WHERE status = 'pending_approval'"), 3);
	/* another manager approves */
	assert_int_equal(decide("M2", p1, true, "hardship documented", &d), DS_OK);
	const char *sql;
	long sql_id;
	char want[128];
	sql = "SELECT status||'|'||approved_by||'|'||approved_at||'|'||status_at FROM plans"
	      " WHERE plan_id = ?";
	sql_id = p1;
	snprintf(want, sizeof want, "active|M2|%lld|%lld", (long long)(NOW + 3600),
	         (long long)(NOW + 3600));
	assert_string_equal(text_of(sql, sql_id), want);
	assert_string_equal(text("SELECT actor||'|'||json_extract(detail, '$.note')||'|'||"
	                         "json_extract(detail, '$.maker') FROM audit_log"
	                         " WHERE action = 'plan_approve'"),
	                    "M2|hardship documented|M1");
	/* decided once only */
	assert_int_equal(decide("M2", p1, false, NULL, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "not pending"));
	/* the collector's large plan approved by M1; the waiver rejected */
	assert_int_equal(decide("M1", p2, true, NULL, &d), DS_OK);
	assert_string_equal(status_of(p2), "active");
	assert_int_equal(decide("M1", p3, false, "waiver not justified", &d), DS_OK);
	sql = "SELECT status||'|'||coalesce(approved_by,'-')||'|'||status_at FROM plans"
	      " WHERE plan_id = ?";
	sql_id = p3;
	snprintf(want, sizeof want, "rejected|-|%lld", (long long)(NOW + 3600));
	assert_string_equal(text_of(sql, sql_id), want);
	assert_string_equal(text("SELECT actor||'|'||json_extract(detail, '$.note') FROM audit_log"
	                         " WHERE action = 'plan_reject'"),
	                    "M1|waiver not justified");
	/* a rejected plan leaves the account open for another */
	long p4 = 0;
	assert_int_equal(offer("C1", "A03", 120000, 0, NULL, 3, "2026-04-01", false, &p4, &d),
	                 DS_OK);
	assert_string_equal(status_of(p4), "active");
}

/* ------------------------------------------------------------- tracking */

static void track_on_time_and_early(void **state)
{
	(void)state;
	fresh();
	long on_time = plan3("A01"), early = plan3("A02"), bits = plan3("A03");
	pay("A01", "P1", "2026-04-01", 100000);
	pay("A01", "P2", "2026-05-01", 100000);
	/* before the plan (not counted), then all of it early */
	pay("A02", "P3", "2026-02-20", 300000);
	pay("A02", "P4", "2026-03-05", 300000);
	/* in small amounts before the date */
	pay("A03", "P5", "2026-03-20", 50000);
	pay("A03", "P6", "2026-03-28", 50000);
	struct ds_plan_tally t = track("2026-05-15");
	assert_int_equal(t.plans, 3);
	assert_int_equal(t.on_track, 2);
	assert_int_equal(t.completed, 1);
	assert_int_equal(t.broken, 0);
	assert_int_equal(t.installments_missed, 1); /* A03's second */
	assert_string_equal(inst(on_time, 1), "paid 100000");
	assert_string_equal(inst(on_time, 2), "paid 100000");
	assert_string_equal(inst(on_time, 3), "due 0");
	assert_string_equal(status_of(on_time), "active");
	assert_string_equal(status_of(early), "completed");
	assert_string_equal(inst(early, 3), "paid 100000");
	assert_string_equal(inst(bits, 1), "paid 100000");
	assert_string_equal(inst(bits, 2), "missed 0");
	assert_string_equal(status_of(bits), "active");
	assert_int_equal(count("SELECT count(*) FROM audit_log WHERE action = 'plan_completed'"),
	                 1);
}

static void track_late(void **state)
{
	(void)state;
	fresh();
	long within = plan3("A01"), beyond = plan3("A02"), partial = plan3("A03");
	/* due 04-01, grace 10 days: 04-11 is the last day that counts as paid */
	pay("A01", "P1", "2026-04-11", 100000);
	pay("A03", "P3", "2026-04-01", 40000);
	struct ds_plan_tally t = track("2026-04-11");
	assert_int_equal(t.installments_missed, 0);
	assert_string_equal(inst(within, 1), "paid 100000");
	assert_string_equal(inst(beyond, 1), "due 0");
	assert_string_equal(inst(partial, 1), "due 40000");
	t = track("2026-04-12");
	assert_int_equal(t.plans, 3);
	assert_int_equal(t.on_track, 3);
	assert_int_equal(t.installments_missed, 2);
	assert_string_equal(inst(beyond, 1), "missed 0");
	assert_string_equal(inst(partial, 1), "partly_paid 40000");
	/* paid after the grace: late_paid, no longer missed */
	pay("A02", "P2", "2026-04-15", 100000);
	pay("A03", "P4", "2026-04-16", 60000);
	t = track("2026-04-20");
	assert_int_equal(t.installments_missed, 0);
	assert_string_equal(inst(beyond, 1), "late_paid 100000");
	assert_string_equal(inst(partial, 1), "late_paid 100000");
	assert_string_equal(inst(within, 1), "paid 100000");
	assert_string_equal(status_of(beyond), "active");
}

static void track_overpayment(void **state)
{
	(void)state;
	fresh();
	long p = plan3("A01");
	pay("A01", "P1", "2026-04-01", 150000);
	track("2026-04-05");
	assert_string_equal(inst(p, 1), "paid 100000");
	assert_string_equal(inst(p, 2), "due 50000");
	assert_string_equal(inst(p, 3), "due 0");
	/* the rest of the second with the third in one go, then more: completed */
	pay("A01", "P2", "2026-05-01", 150000);
	pay("A01", "P3", "2026-05-02", 99999); /* beyond the plan: ignored */
	struct ds_plan_tally t = track("2026-05-05");
	assert_int_equal(t.completed, 1);
	assert_string_equal(inst(p, 2), "paid 100000");
	assert_string_equal(inst(p, 3), "paid 100000");
	assert_string_equal(status_of(p), "completed");
	/* a payment after as_of does not count yet */
	long q = plan3("A02");
	pay("A02", "P4", "2026-04-20", 100000);
	track("2026-04-10");
	assert_string_equal(inst(q, 1), "due 0");
}

static void track_broken_and_idempotent(void **state)
{
	(void)state;
	fresh();
	long b = plan3("A01"), done = plan3("A02"), fine = plan3("A03");
	pay("A02", "P1", "2026-04-01", 100000);
	pay("A02", "P2", "2026-05-01", 100000);
	pay("A02", "P3", "2026-06-01", 100000);
	pay("A03", "P4", "2026-04-02", 100000);
	/* 05-11: the second installment is still within its grace */
	struct ds_plan_tally t = track("2026-05-11");
	assert_int_equal(t.broken, 0);
	assert_string_equal(inst(b, 1), "missed 0");
	assert_string_equal(inst(b, 2), "due 0");
	assert_int_equal(count("SELECT count(*) FROM tasks"), 0);
	/* 05-12: two missed, the plan breaks and its follow-up is written */
	t = track("2026-05-12");
	assert_int_equal(t.plans, 3);
	assert_int_equal(t.broken, 1);
	assert_int_equal(t.on_track, 2);
	assert_int_equal(t.installments_missed, 3); /* A01 two, A03's second */
	assert_string_equal(status_of(b), "broken");
	assert_string_equal(inst(b, 2), "missed 0");
	const char *sql;
	long sql_id;
	sql = "SELECT status_at > 0 FROM plans WHERE plan_id = ?";
	sql_id = b;
	assert_int_equal(count_of(sql, sql_id), 1);
	char want[128];
	snprintf(want, sizeof want, "A01|call|2026-05-14|plan_broken|plan:%ld|open", b);
	assert_string_equal(text("SELECT account_id||'|'||kind||'|'||due_date||'|'||reason||'|'||"
	                         "source||'|'||status FROM tasks"),
	                    want);
	assert_int_equal(count("SELECT count(*) FROM audit_log WHERE action = 'plan_broken'"
	                       " AND json_extract(detail, '$.task') = 1"),
	                 1);
	assert_int_equal(count("SELECT count(*) FROM audit_log WHERE action = 'task_add'"), 1);
	/* the same day again: nothing changes */
	const char *snap = "SELECT (SELECT group_concat(plan_id||status||coalesce(status_at,''))"
	                   " FROM plans)||(SELECT group_concat(plan_id||seq||status||paid_fen)"
	                   " FROM plan_installments)||(SELECT count(*) FROM tasks)||"
	                   "(SELECT count(*) FROM audit_log)";
	char before[1024];
	ds_strlcpy(before, text(snap), sizeof before);
	t = track("2026-05-12");
	assert_int_equal(t.plans, 2);
	assert_int_equal(t.broken, 0);
	assert_string_equal(text(snap), before);
	/* all paid: completed, then no longer tracked */
	t = track("2026-06-05");
	assert_int_equal(t.completed, 1);
	assert_string_equal(status_of(done), "completed");
	assert_string_equal(status_of(fine), "active");
	ds_strlcpy(before, text(snap), sizeof before);
	t = track("2026-06-05");
	assert_int_equal(t.plans, 1);
	assert_int_equal(t.completed, 0);
	assert_string_equal(text(snap), before);
	/* a broken plan lets the account have another */
	long again = 0;
	struct ds_diag d;
	assert_int_equal(offer("C1", "A01", 300000, 0, NULL, 6, "2026-07-01", false, &again, &d),
	                 DS_OK);
}

static void track_settings(void **state)
{
	(void)state;
	fresh();
	long p = plan3("A01");
	struct ds_field_config keep = cfg;
	cfg.plan_missed_to_break = 1;
	cfg.plan_grace_days = 0;
	/* no follow-up configured for a broken plan: none written */
	ds_strlcpy(cfg.followup, "broken_promise=call:2", sizeof cfg.followup);
	struct ds_plan_tally t = track("2026-04-02");
	cfg = keep;
	assert_int_equal(t.broken, 1);
	assert_string_equal(status_of(p), "broken");
	assert_int_equal(count("SELECT count(*) FROM tasks"), 0);
	/* nothing to track */
	t = track("2026-04-03");
	assert_int_equal(t.plans, 0);
}

int main(void)
{
	ds_field_config_from(NULL, &cfg);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(schedule_equal_with_remainder),
		cmocka_unit_test(schedule_month_ends),
		cmocka_unit_test(schedule_limits),
		cmocka_unit_test(affordability),
		cmocka_unit_test(offers_by_role),
		cmocka_unit_test(offers_refused),
		cmocka_unit_test(offers_affordability),
		cmocka_unit_test(decisions),
		cmocka_unit_test(track_on_time_and_early),
		cmocka_unit_test(track_late),
		cmocka_unit_test(track_overpayment),
		cmocka_unit_test(track_broken_and_idempotent),
		cmocka_unit_test(track_settings),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * Features and targets from the store: exact values for hand-computed
 * accounts, no leakage from on or after the as-of date, and the labels of
 * each target case by case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doorstep/model.h"
#include "doorstep/store.h"

#define D(y, m, d) ds_date_from_ymd(y, m, d)
#define SH         "Asia/Shanghai"
#define NY         "America/New_York"

static char dir[64];
static int nstore;

static int setup(void **state)
{
	(void)state;
	ds_strlcpy(dir, "/tmp/ds-features-XXXXXX", sizeof dir);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static ds_store *fresh(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/f%d.db", dir, nstore++);
	struct ds_store_opts o = { .for_init = true, .actor = "tester" };
	ds_store *st = NULL;
	struct ds_diag d;
	assert_int_equal(ds_store_open(path, &o, &st, &d), DS_OK);
	assert_int_equal(ds_store_migrate(st, NULL, &d), DS_OK);
	return st;
}

/*
 * Runs one statement with parameters: `types` has one letter per
 * parameter, s for text (NULL: null) and i for an int64.
 */
static void sql(ds_store *st, const char *q, const char *types, ...)
{
	ds_stmt *s;
	struct ds_diag d;
	if (ds_store_prepare(st, q, &s, &d) != DS_OK)
		fail_msg("%s: %s", q, d.msg);
	va_list ap;
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 's')
			ds_stmt_bind_text(s, i + 1, va_arg(ap, const char *));
		else
			ds_stmt_bind_int(s, i + 1, va_arg(ap, int64_t));
	}
	va_end(ap);
	bool row;
	if (ds_stmt_step(s, &row, &d) != DS_OK)
		fail_msg("%s: %s", q, d.msg);
	ds_stmt_done(s);
}

static ds_time at(const char *zone, int y, int mo, int d, int h, int mi, int s)
{
	ds_time t;
	assert_int_equal(ds_tz_from_local(zone, y, mo, d, h, mi, s, &t), DS_OK);
	return t;
}

static void borrower(ds_store *st, const char *id, const char *community, const char *birth,
                     int64_t income_fen)
{
	ds_stmt *s;
	struct ds_diag d;
	bool row;
	assert_int_equal(ds_store_prepare(st,
	                                  "INSERT INTO borrowers(borrower_id, name, community_id,"
	                                  " birth_date, monthly_income_fen) VALUES (?,?,?,?,?)",
	                                  &s, &d),
	                 DS_OK);
	ds_stmt_bind_text(s, 1, id);
	ds_stmt_bind_text(s, 2, "测试");
	ds_stmt_bind_text(s, 3, community);
	ds_stmt_bind_text(s, 4, birth);
	if (income_fen < 0)
		ds_stmt_bind_null(s, 5);
	else
		ds_stmt_bind_int(s, 5, income_fen);
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	ds_stmt_done(s);
}

static void account(ds_store *st, const char *id, const char *borrower_id, const char *branch,
                    const char *product, int64_t balance, const char *open, const char *status)
{
	sql(st,
	    "INSERT INTO accounts(account_id, borrower_id, branch_id, product, principal_fen,"
	    " balance_fen, rate_bp, open_date, status) VALUES (?,?,?,?,?,?,?,?,?)",
	    "ssssiiiss", id, borrower_id, branch, product, (int64_t)1000000, balance, (int64_t)1200,
	    open, status);
}

static void due(ds_store *st, const char *acct, int64_t seq, const char *date, int64_t fen)
{
	sql(st, "INSERT INTO installments(account_id, seq, due_date, amount_fen) VALUES (?,?,?,?)",
	    "sisi", acct, seq, date, fen);
}

static void pay(ds_store *st, const char *id, const char *acct, const char *date, int64_t fen)
{
	sql(st,
	    "INSERT INTO payments(payment_id, account_id, value_date, amount_fen, channel)"
	    " VALUES (?,?,?,?,'transfer')",
	    "sssi", id, acct, date, fen);
}

static void contact(ds_store *st, const char *id, const char *acct, const char *channel, ds_time t,
                    const char *outcome)
{
	sql(st,
	    "INSERT INTO contacts(contact_id, account_id, channel, started_at, outcome)"
	    " VALUES (?,?,?,?,?)",
	    "sssis", id, acct, channel, (int64_t)t, outcome);
}

static void visit(ds_store *st, const char *acct, ds_time t, const char *situation,
                  const char *attitude)
{
	sql(st,
	    "INSERT INTO visits(account_id, state, checked_in_at, outcome, situation, attitude)"
	    " VALUES (?,'closed',?,'met_borrower',?,?)",
	    "siss", acct, (int64_t)t, situation, attitude);
}

static void promise(ds_store *st, const char *acct, ds_time t, const char *due_date)
{
	sql(st,
	    "INSERT INTO promises(account_id, amount_fen, due_date, created_at, created_by)"
	    " VALUES (?,50000,?,?,'tester')",
	    "ssi", acct, due_date, (int64_t)t);
}

/*
 * The fixture, as of 2025-06-01 (docs/scoring.md walks through A1):
 *   A1  consumer loan, Shanghai, 1000.00 a month from 2025-01-10, partly
 *       paid, with calls, texts, visits and promises
 *   A2  current (not a row)
 *   A3  credit card without a schedule, judged by the reported figures;
 *       branch in New York
 *   A4  closed: never a row, not in its community's share
 *   A5  in legal hands, borrower without a community
 *   A6, A7  two more delinquent loans for the targets
 * and what happens in June, the targets' window.
 */
static ds_store *fixture(void)
{
	ds_store *st = fresh();
	sql(st, "INSERT INTO branches(branch_id, name, timezone) VALUES ('BR1','西湖',?)", "s", SH);
	sql(st, "INSERT INTO branches(branch_id, name, timezone) VALUES ('BR2','NY',?)", "s", NY);
	for (int i = 1; i <= 2; i++) {
		char id[8];
		snprintf(id, sizeof id, "C%d", i);
		sql(st,
		    "INSERT INTO communities(community_id, name, branch_id, centroid_lat,"
		    " centroid_lon) VALUES (?, ?, 'BR1', 30.2, 120.1)",
		    "ss", id, id);
	}
	borrower(st, "B1", "C1", "1985-03-15", 1000000);
	borrower(st, "B2", "C1", NULL, -1);
	borrower(st, "B3", "C1", NULL, -1);
	borrower(st, "B4", "C1", NULL, -1);
	borrower(st, "B5", NULL, "1990-06-01", 0);
	borrower(st, "B6", "C2", NULL, 500000);
	borrower(st, "B7", "C2", NULL, 500000);

	account(st, "A1", "B1", "BR1", "consumer_loan", 450000, "2024-12-10", "active");
	const char *a1_due[] = { "2025-01-10", "2025-02-10", "2025-03-10",
		                 "2025-04-10", "2025-05-10", "2025-06-10" };
	for (int i = 0; i < 6; i++)
		due(st, "A1", i + 1, a1_due[i], 100000);
	pay(st, "P11", "A1", "2025-01-09", 100000);
	pay(st, "P12", "A1", "2025-02-10", 100000);
	pay(st, "P13", "A1", "2025-04-20", 50000);
	pay(st, "P14", "A1", "2025-05-15", 20000);
	contact(st, "K101", "A1", "call", at(SH, 2025, 5, 20, 10, 0, 0), "no_answer");
	contact(st, "K102", "A1", "call", at(SH, 2025, 5, 25, 10, 0, 0), "connected");
	contact(st, "K103", "A1", "call", at(SH, 2025, 5, 28, 10, 0, 0), "promise");
	contact(st, "K104", "A1", "sms", at(SH, 2025, 5, 21, 9, 0, 0), "delivered");
	contact(st, "K105", "A1", "visit", at(SH, 2025, 5, 26, 15, 0, 0), "met_borrower");
	contact(st, "K106", "A1", "visit", at(SH, 2025, 4, 10, 15, 0, 0), "not_home");
	contact(st, "K107", "A1", "call", at(SH, 2025, 2, 1, 10, 0, 0), "refused");
	contact(st, "K108", "A1", "sms", at(SH, 2025, 3, 15, 9, 0, 0), "dispute");
	contact(st, "K109", "A1", "call", at(SH, 2025, 3, 20, 10, 0, 0), "promise");
	/* the edges: the last second before as_of and the first of the 90 days
	 * count; the first second of as_of and the last before the 90 days
	 * do not */
	contact(st, "K110", "A1", "sms", at(SH, 2025, 5, 31, 23, 59, 59), "delivered");
	contact(st, "K111", "A1", "sms", at(SH, 2025, 6, 1, 0, 0, 0), "delivered");
	contact(st, "K112", "A1", "sms", at(SH, 2025, 3, 3, 0, 0, 0), "delivered");
	contact(st, "K113", "A1", "sms", at(SH, 2025, 3, 2, 23, 59, 59), "delivered");
	visit(st, "A1", at(SH, 2025, 4, 10, 15, 0, 0), "employed", "evasive");
	visit(st, "A1", at(SH, 2025, 5, 26, 15, 0, 0), "unemployed", "cooperative");
	promise(st, "A1", at(SH, 2025, 4, 15, 10, 0, 0), "2025-04-20");

	account(st, "A2", "B2", "BR1", "consumer_loan", 50000, "2025-04-10", "active");
	due(st, "A2", 1, "2025-05-10", 50000);
	pay(st, "P21", "A2", "2025-05-09", 50000);

	account(st, "A3", "B3", "BR2", "credit_card", 800000, "2023-01-05", "active");
	sql(st,
	    "UPDATE accounts SET overdue_fen = 300000, overdue_since_date = '2025-04-15',"
	    " reported_date = '2025-05-01', rate_bp = NULL WHERE account_id = 'A3'",
	    "");
	pay(st, "P31", "A3", "2025-05-10", 100000);
	/* 22:00 on 31 May in New York is 10:00 on 1 June in Shanghai: before
	 * as_of for this account */
	contact(st, "K301", "A3", "call", at(NY, 2025, 5, 31, 22, 0, 0), "invalid_number");

	account(st, "A4", "B4", "BR1", "consumer_loan", 90000, "2024-01-10", "closed");
	due(st, "A4", 1, "2025-01-10", 90000);

	account(st, "A5", "B5", "BR1", "small_business_loan", 200000, "2025-02-15", "legal");
	due(st, "A5", 1, "2025-05-15", 50000);

	account(st, "A6", "B6", "BR1", "consumer_loan", 90000, "2025-03-05", "active");
	due(st, "A6", 1, "2025-04-05", 30000);
	due(st, "A6", 2, "2025-05-05", 30000);
	due(st, "A6", 3, "2025-06-05", 30000);

	account(st, "A7", "B7", "BR1", "consumer_loan", 80000, "2025-04-01", "active");
	due(st, "A7", 1, "2025-05-01", 40000);
	due(st, "A7", 2, "2025-06-01", 40000);

	/* June: the window of the targets */
	pay(st, "P15", "A1", "2025-06-03", 100000);
	contact(st, "K120", "A1", "call", at(SH, 2025, 6, 2, 10, 0, 0), "connected");
	pay(st, "P32", "A3", "2025-06-10", 50000);
	contact(st, "K501", "A5", "call", at(SH, 2025, 6, 4, 10, 0, 0), "connected");
	contact(st, "K502", "A5", "call", at(SH, 2025, 6, 5, 10, 0, 0), "refused");
	pay(st, "P51", "A5", "2025-06-06", 10000);
	contact(st, "K601", "A6", "call", at(SH, 2025, 6, 10, 10, 0, 0), "connected");
	pay(st, "P61", "A6", "2025-06-28", 20000);
	contact(st, "K701", "A7", "call", at(SH, 2025, 6, 8, 10, 0, 0), "promise");
	pay(st, "P71", "A7", "2025-06-20", 40000);
	return st;
}

static ds_dataset *build(ds_store *st, ds_date as_of)
{
	ds_dataset *d = NULL;
	struct ds_diag diag;
	ds_diag_clear(&diag);
	if (ds_features_build(st, as_of, 0, &d, &diag) != DS_OK)
		fail_msg("features: %s", diag.msg);
	return d;
}

static int col(const ds_dataset *d, const char *name)
{
	for (int f = 0; f < d->nfeat; f++)
		if (strcmp(d->feat[f].name, name) == 0)
			return f;
	fail_msg("no feature %s", name);
	return -1;
}

static long row(const ds_dataset *d, const char *id)
{
	for (long r = 0; r < d->nrows; r++)
		if (strcmp(d->id[r], id) == 0)
			return r;
	return -1;
}

static float val(const ds_dataset *d, const char *id, const char *feature)
{
	long r = row(d, id);
	assert_true(r >= 0);
	return ds_dataset_at(d, r, col(d, feature));
}

static int cat(const ds_dataset *d, const char *feature, const char *label)
{
	const struct ds_feature *f = &d->feat[col(d, feature)];
	assert_true(f->categorical);
	for (int c = 0; c < f->ncat; c++)
		if (strcmp(f->cats[c], label) == 0)
			return c;
	fail_msg("%s has no category %s", feature, label);
	return -1;
}

#define EQ(d, id, name, want) assert_float_equal(val(d, id, name), (want), 1e-5)
#define IS_NAN(d, id, name)   assert_true(isnan(val(d, id, name)))

static void features_of_a_delinquent_loan(void **state)
{
	(void)state;
	ds_store *st = fixture();
	ds_dataset *d = build(st, D(2025, 6, 1));
	/* delinquent and open only, in account order */
	assert_int_equal(d->nrows, 5);
	const char *ids[] = { "A1", "A3", "A5", "A6", "A7" };
	for (int i = 0; i < 5; i++) {
		assert_string_equal(d->id[i], ids[i]);
		assert_int_equal(d->when[i], D(2025, 6, 1));
	}
	assert_null(d->y);
	/* A1: 270000 paid against 500000 due; installment 3 (2025-03-10) is
	 * the oldest unpaid */
	EQ(d, "A1", "dpd", 83);
	EQ(d, "A1", "overdue_yuan", 2300);
	EQ(d, "A1", "balance_yuan", 4500);
	EQ(d, "A1", "installment_yuan", 1000);
	EQ(d, "A1", "missed_installments", 2.3);
	EQ(d, "A1", "income_yuan", 10000);
	EQ(d, "A1", "debt_burden", 0.1);
	/* 90 days: 2025-03-03 to 05-31; due 3 x 1000.00, paid 500 + 200 */
	EQ(d, "A1", "paid_ratio_90d", 70000.0 / 300000.0);
	EQ(d, "A1", "days_since_payment", 17);
	EQ(d, "A1", "payments_90d", 2);
	EQ(d, "A1", "partial_payments_90d", 2);
	/* 2025-05-02: 250000 paid, installment 3 still the oldest unpaid */
	EQ(d, "A1", "dpd_30d_ago", 53);
	EQ(d, "A1", "dpd_trend", 30);
	/* month ends: 05-31 82, 04-30 51, 03-31 21, 02-28 0 */
	EQ(d, "A1", "max_dpd_365d", 82);
	EQ(d, "A1", "calls_90d", 4);
	EQ(d, "A1", "call_reach_rate_90d", 0.75);
	EQ(d, "A1", "sms_90d", 4);
	EQ(d, "A1", "visits_90d", 2);
	EQ(d, "A1", "visit_met_rate_90d", 0.5);
	/* 03-20 broken, 04-15 (promises table) kept by 04-20, 05-28 not yet
	 * due for judgement */
	EQ(d, "A1", "promises_90d", 3);
	EQ(d, "A1", "promise_kept_rate", 0.5);
	EQ(d, "A1", "refusals_90d", 1);
	EQ(d, "A1", "invalid_number", 0);
	EQ(d, "A1", "days_since_reached", 4);
	EQ(d, "A1", "last_visit_situation", cat(d, "last_visit_situation", "unemployed"));
	EQ(d, "A1", "last_visit_attitude", cat(d, "last_visit_attitude", "cooperative"));
	EQ(d, "A1", "product", cat(d, "product", "consumer_loan"));
	EQ(d, "A1", "months_on_book", 5);
	EQ(d, "A1", "age_years", 40);
	EQ(d, "A1", "rate_pct", 12);
	EQ(d, "A1", "community_delinquency", 2.0 / 3.0);
	/* exactly the documented features, in their order */
	int n;
	const struct ds_feature_doc *doc = ds_features_list(&n);
	assert_int_equal(d->nfeat, n);
	for (int f = 0; f < n; f++) {
		assert_string_equal(d->feat[f].name, doc[f].name);
		assert_true(strlen(doc[f].zh) > 0 && strlen(doc[f].en) > 0);
		if (d->feat[f].categorical)
			assert_int_equal(d->feat[f].monotone, 0);
	}
	assert_string_equal(doc[0].zh, "逾期天数");
	assert_string_equal(doc[0].en, "days past due");
	assert_int_equal(d->feat[col(d, "debt_burden")].monotone, 1);
	assert_int_equal(d->feat[col(d, "income_yuan")].monotone, -1);
	ds_dataset_free(d);
	ds_store_close(st);
}

static void features_of_the_other_cases(void **state)
{
	(void)state;
	ds_store *st = fixture();
	ds_dataset *d = build(st, D(2025, 6, 1));
	/* A3: reported 3000.00 overdue since 04-15 as of 05-01, 1000.00 paid */
	EQ(d, "A3", "dpd", 47);
	EQ(d, "A3", "overdue_yuan", 2000);
	IS_NAN(d, "A3", "installment_yuan");
	IS_NAN(d, "A3", "missed_installments");
	IS_NAN(d, "A3", "paid_ratio_90d");
	IS_NAN(d, "A3", "partial_payments_90d");
	IS_NAN(d, "A3", "income_yuan");
	IS_NAN(d, "A3", "age_years");
	IS_NAN(d, "A3", "rate_pct");
	EQ(d, "A3", "days_since_payment", 22);
	EQ(d, "A3", "dpd_30d_ago", 17);
	/* 05-31: 46; 04-30 is before the reported date: as reported, 15 */
	EQ(d, "A3", "max_dpd_365d", 46);
	/* the call at 22:00 on 31 May New York time counts */
	EQ(d, "A3", "calls_90d", 1);
	EQ(d, "A3", "call_reach_rate_90d", 0);
	EQ(d, "A3", "invalid_number", 1);
	IS_NAN(d, "A3", "days_since_reached");
	IS_NAN(d, "A3", "visit_met_rate_90d");
	IS_NAN(d, "A3", "promise_kept_rate");
	EQ(d, "A3", "last_visit_situation", cat(d, "last_visit_situation", "none"));
	EQ(d, "A3", "last_visit_attitude", cat(d, "last_visit_attitude", "none"));
	EQ(d, "A3", "product", cat(d, "product", "credit_card"));
	EQ(d, "A3", "community_delinquency", 2.0 / 3.0);
	/* A5: no community, income 0 (no burden), never paid */
	IS_NAN(d, "A5", "community_delinquency");
	EQ(d, "A5", "income_yuan", 0);
	IS_NAN(d, "A5", "debt_burden");
	IS_NAN(d, "A5", "days_since_payment");
	EQ(d, "A5", "age_years", 35); /* born on the same day of the year */
	EQ(d, "A5", "dpd", 17);
	EQ(d, "A5", "dpd_30d_ago", 0);
	EQ(d, "A5", "calls_90d", 0);
	/* A7: an installment due on as_of is not yet past due */
	EQ(d, "A7", "dpd", 31);
	EQ(d, "A7", "overdue_yuan", 400);
	EQ(d, "A6", "community_delinquency", 1);
	ds_dataset_free(d);
	ds_store_close(st);
}

static bool same(const ds_dataset *a, const ds_dataset *b)
{
	return a->nrows == b->nrows && a->nfeat == b->nfeat &&
	       memcmp(a->x, b->x, (size_t)a->nrows * (size_t)a->nfeat * sizeof *a->x) == 0 &&
	       memcmp(a->id, b->id, (size_t)a->nrows * sizeof *a->id) == 0 &&
	       memcmp(a->when, b->when, (size_t)a->nrows * sizeof *a->when) == 0 &&
	       memcmp(a->feat, b->feat, (size_t)a->nfeat * sizeof *a->feat) == 0;
}

/* What happens on or after as_of cannot change the features as of it. */
static void no_leakage(void **state)
{
	(void)state;
	ds_store *st = fixture();
	ds_date as_of = D(2025, 6, 1), later = D(2025, 6, 20);
	ds_dataset *before = build(st, as_of), *later_before = build(st, later);
	/* on as_of itself: a payment, a call, a visit and a promise at the
	 * first second of the day, in each account's zone; and later ones */
	pay(st, "P90", "A1", "2025-06-01", 30000);
	pay(st, "P91", "A6", "2025-06-02", 60000);
	contact(st, "K900", "A1", "call", at(SH, 2025, 6, 1, 0, 0, 0), "refused");
	contact(st, "K901", "A3", "visit", at(NY, 2025, 6, 1, 0, 0, 0), "refused");
	contact(st, "K902", "A7", "call", at(SH, 2025, 6, 3, 9, 0, 0), "promise");
	visit(st, "A1", at(SH, 2025, 6, 1, 0, 0, 0), "illness", "hostile");
	promise(st, "A5", at(SH, 2025, 6, 1, 0, 0, 0), "2025-06-05");
	ds_dataset *after = build(st, as_of), *later_after = build(st, later);
	assert_true(same(before, after));
	assert_false(same(later_before, later_after));
	/* and as of the later date they are seen */
	assert_float_equal(val(later_after, "A1", "refusals_90d"),
	                   val(later_before, "A1", "refusals_90d") + 1, 0);
	EQ(later_after, "A3", "visits_90d", 1);
	EQ(later_after, "A1", "last_visit_attitude",
	   cat(later_after, "last_visit_attitude", "hostile"));
	EQ(later_after, "A5", "promises_90d", 1);
	assert_float_equal(val(later_after, "A1", "payments_90d"),
	                   val(later_before, "A1", "payments_90d") + 1, 0);
	/* categories are the same lists on every date */
	assert_int_equal(memcmp(before->feat, later_after->feat,
	                        (size_t)before->nfeat * sizeof *before->feat),
	                 0);
	ds_dataset_free(before);
	ds_dataset_free(after);
	ds_dataset_free(later_before);
	ds_dataset_free(later_after);
	ds_store_close(st);
}

static float label(ds_store *st, ds_dataset *d, enum ds_target t, ds_date observed, const char *id)
{
	struct ds_diag diag;
	if (ds_targets_label(st, t, DS_TARGET_HORIZON_DAYS, observed, d, &diag) != DS_OK)
		fail_msg("label: %s", diag.msg);
	long r = row(d, id);
	assert_true(r >= 0);
	return d->y[r];
}

static void ability_target(void **state)
{
	(void)state;
	ds_store *st = fixture();
	ds_dataset *d = build(st, D(2025, 6, 1));
	ds_date obs = D(2025, 6, 30); /* the window's last day */
	enum ds_target t = DS_TARGET_ABILITY;
	assert_string_equal(ds_target_name(t), "ability");
	/* A1 paid 1000.00 of 2300.00 overdue: willing, short of clearing */
	assert_true(label(st, d, t, obs, "A1") == 1.0f);
	/* A3 has no schedule: 500.00 against 2000.00 overdue */
	assert_true(label(st, d, t, obs, "A3") == 1.0f);
	/* A5 refused: outside the population */
	assert_true(isnan(label(st, d, t, obs, "A5")));
	/* A6 paid 200.00 of its 300.00 overdue */
	assert_true(label(st, d, t, obs, "A6") == 1.0f);
	/* A7 paid exactly its 400.00 overdue: cleared */
	assert_true(label(st, d, t, obs, "A7") == 0.0f);
	/* in the first ten days A6 paid nothing: not paying at all says
	 * nothing of capacity, so it is outside the population */
	struct ds_diag diag;
	assert_int_equal(ds_targets_label(st, t, 10, D(2025, 6, 10), d, &diag), DS_OK);
	assert_true(isnan(d->y[row(d, "A6")]));
	assert_true(d->y[row(d, "A1")] == 1.0f); /* paid 06-03, short */
	/* a day short of the window: nothing is labelled */
	for (long r = 0; r < d->nrows; r++)
		assert_true(isnan(label(st, d, t, obs - 1, d->id[r])));
	ds_dataset_free(d);
	ds_store_close(st);
}

static void willingness_target(void **state)
{
	(void)state;
	ds_store *st = fixture();
	ds_dataset *d = build(st, D(2025, 6, 1));
	ds_date obs = D(2025, 6, 30);
	enum ds_target t = DS_TARGET_WILLINGNESS;
	assert_string_equal(ds_target_name(t), "willingness");
	/* A1 reached on 06-02, paid on 06-03 */
	assert_true(label(st, d, t, obs, "A1") == 0.0f);
	/* A3 was never reached in June: outside the population */
	assert_true(isnan(label(st, d, t, obs, "A3")));
	/* A5 was reached and then refused, whatever it paid */
	assert_true(label(st, d, t, obs, "A5") == 1.0f);
	/* A6 reached on 06-10, first paid 18 days later */
	assert_true(label(st, d, t, obs, "A6") == 1.0f);
	/* A7 promised on 06-08, paid 12 days later: within 14 days of the
	 * reach, but the promise was broken */
	assert_true(label(st, d, t, obs, "A7") == 1.0f);
	for (long r = 0; r < d->nrows; r++)
		assert_true(isnan(label(st, d, t, obs - 1, d->id[r])));
	ds_dataset_free(d);
	ds_store_close(st);
}

static void empty_store(void **state)
{
	(void)state;
	ds_store *st = fresh();
	ds_dataset *d = build(st, D(2025, 6, 1));
	assert_int_equal(d->nrows, 0);
	int n;
	ds_features_list(&n);
	assert_int_equal(d->nfeat, n);
	struct ds_diag diag;
	assert_int_equal(ds_targets_label(st, DS_TARGET_ABILITY, 30, D(2025, 7, 1), d, &diag),
	                 DS_OK);
	assert_int_equal(ds_targets_label(st, DS_TARGET_ABILITY, 0, D(2025, 7, 1), d, &diag),
	                 DS_EINVAL);
	ds_dataset_free(d);
	ds_store_close(st);
}

/* Every allocation may fail: features and labels fail cleanly (the
 * sanitizer build finds what leaks). */
static void allocation_failures(void **state)
{
	(void)state;
	ds_store *st = fixture();
	int ok = 0;
	for (long n = 0; n < 400 && ok < 3; n++) {
		ds_dataset *d = NULL;
		struct ds_diag diag;
		ds_alloc_fail_after(n);
		ds_err e = ds_features_build(st, D(2025, 6, 1), 0, &d, &diag);
		if (e == DS_OK)
			e = ds_targets_label(st, DS_TARGET_WILLINGNESS, 30, D(2025, 6, 30), d,
			                     &diag);
		ds_alloc_fail_after(-1);
		if (e == DS_OK)
			ok++;
		else
			assert_true(e == DS_ENOMEM || e == DS_ESTORE);
		ds_dataset_free(d);
	}
	assert_true(ok > 0);
	ds_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(features_of_a_delinquent_loan),
		cmocka_unit_test(features_of_the_other_cases),
		cmocka_unit_test(no_leakage),
		cmocka_unit_test(ability_target),
		cmocka_unit_test(willingness_target),
		cmocka_unit_test(empty_store),
		cmocka_unit_test(allocation_failures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

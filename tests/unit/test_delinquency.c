/* Unit tests of delinquency: days past due and buckets from schedules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "doorstep/portfolio.h"

#define D(y, m, d) ds_date_from_ymd(y, m, d)

static void buckets(void **state)
{
	(void)state;
	int cases[][2] = { { -3, 0 }, { 0, 0 },   { 1, 1 },   { 30, 1 },  { 31, 2 },  { 60, 2 },
		           { 61, 3 }, { 150, 5 }, { 151, 6 }, { 180, 6 }, { 181, 7 }, { 2000, 7 } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(ds_bucket_of(cases[i][0]), cases[i][1]);
	assert_string_equal(ds_bucket_name(0), "M0");
	assert_string_equal(ds_bucket_name(7), "M7+");
	assert_string_equal(ds_bucket_name(8), "?");
}

/* Monthly schedule on the 31st: due dates clamp to month ends. */
static void month_ends_and_leap_day(void **state)
{
	(void)state;
	struct ds_due s[4];
	ds_date start = D(2024, 1, 31);
	for (int i = 0; i < 4; i++)
		s[i] = (struct ds_due){ ds_date_add_months(start, i), 100000 };
	assert_int_equal(s[1].due, D(2024, 2, 29));
	assert_int_equal(s[2].due, D(2024, 3, 31));
	struct ds_paid p[] = { { D(2024, 1, 30), 100000 } };
	struct ds_dpd r;
	/* due on the as-of day: not yet past due */
	ds_dpd_compute(s, 4, p, 1, D(2024, 2, 29), &r);
	assert_int_equal(r.dpd, 0);
	assert_int_equal(r.overdue_fen, 0);
	ds_dpd_compute(s, 4, p, 1, D(2024, 3, 1), &r);
	assert_int_equal(r.dpd, 1);
	assert_int_equal(r.bucket, 1);
	assert_int_equal(r.oldest_unpaid, D(2024, 2, 29));
	assert_int_equal(r.overdue_fen, 100000);
	ds_dpd_compute(s, 4, p, 1, D(2024, 3, 30), &r);
	assert_int_equal(r.dpd, 30);
	assert_int_equal(r.bucket, 1);
	ds_dpd_compute(s, 4, p, 1, D(2024, 3, 31), &r);
	assert_int_equal(r.dpd, 31);
	assert_int_equal(r.bucket, 2);
	ds_dpd_compute(s, 4, p, 1, D(2024, 4, 1), &r);
	assert_int_equal(r.dpd, 32);
	assert_int_equal(r.overdue_fen, 200000);
}

static void partial_payments(void **state)
{
	(void)state;
	struct ds_due s[] = { { D(2025, 1, 15), 50000 },
		              { D(2025, 2, 15), 50000 },
		              { D(2025, 3, 15), 50000 } };
	/* 70000 paid: the first installment settled, the second partly */
	struct ds_paid p[] = { { D(2025, 1, 10), 30000 }, { D(2025, 2, 20), 40000 } };
	struct ds_dpd r;
	ds_dpd_compute(s, 3, p, 2, D(2025, 2, 16), &r);
	/* on 02-16 only 30000 had come: installment 1 is 20000 short */
	assert_int_equal(r.dpd, 32);
	assert_int_equal(r.overdue_fen, 70000);
	ds_dpd_compute(s, 3, p, 2, D(2025, 2, 21), &r);
	assert_int_equal(r.dpd, 6);
	assert_int_equal(r.oldest_unpaid, D(2025, 2, 15));
	assert_int_equal(r.overdue_fen, 30000);
	/* paying the rest on time clears it; payments after the date are ignored */
	struct ds_paid q[] = { { D(2025, 1, 10), 30000 },
		               { D(2025, 2, 20), 40000 },
		               { D(2025, 2, 25), 30000 } };
	ds_dpd_compute(s, 3, q, 3, D(2025, 2, 26), &r);
	assert_int_equal(r.dpd, 0);
	assert_int_equal(r.bucket, 0);
	ds_dpd_compute(s, 3, q, 3, D(2025, 2, 24), &r);
	assert_int_equal(r.dpd, 9);
}

static void overpayment_and_prepayment(void **state)
{
	(void)state;
	struct ds_due s[] = { { D(2025, 1, 1), 10000 }, { D(2025, 2, 1), 10000 } };
	struct ds_paid p[] = { { D(2024, 12, 1), 25000 } };
	struct ds_dpd r;
	ds_dpd_compute(s, 2, p, 1, D(2025, 6, 1), &r);
	assert_int_equal(r.dpd, 0);
	assert_int_equal(r.overdue_fen, 0);
	ds_dpd_compute(s, 2, NULL, 0, D(2025, 6, 1), &r);
	assert_int_equal(r.dpd, 151); /* 151..180 is M6 */
	assert_int_equal(r.bucket, 6);
	assert_int_equal(r.overdue_fen, 20000);
}

static void from_reported(void **state)
{
	(void)state;
	struct ds_dpd r;
	struct ds_paid p[] = { { D(2025, 5, 2), 3000 }, { D(2025, 5, 20), 7000 } };
	/* reported on 05-01: 10000 overdue since 03-01 */
	ds_dpd_from_reported(10000, D(2025, 3, 1), D(2025, 5, 1), p, 2, D(2025, 5, 10), &r);
	assert_int_equal(r.dpd, D(2025, 5, 10) - D(2025, 3, 1));
	assert_int_equal(r.overdue_fen, 7000);
	ds_dpd_from_reported(10000, D(2025, 3, 1), D(2025, 5, 1), p, 2, D(2025, 5, 21), &r);
	assert_int_equal(r.dpd, 0);
	ds_dpd_from_reported(0, 0, D(2025, 5, 1), NULL, 0, D(2025, 5, 21), &r);
	assert_int_equal(r.dpd, 0);
}

/* The running-total form agrees with the walk on every schedule and sum,
 * zero installments and shared due dates included. */
static void cumulative_matches_walk(void **state)
{
	(void)state;
	unsigned seed = 12345;
	struct ds_due sched[40];
	ds_fen cum[40];
	for (int trial = 0; trial < 20000; trial++) {
		seed = seed * 1103515245u + 12345u;
		size_t n = (seed >> 16) % 40;
		ds_date day = 19000;
		ds_fen total = 0;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			day += (ds_date)((seed >> 16) % 3 == 0 ? 0 : (seed >> 20) % 40);
			sched[i].due = day;
			seed = seed * 1103515245u + 12345u;
			sched[i].amount = (seed >> 16) % 5 == 0 ? 0 : (ds_fen)((seed >> 18) % 1000);
			total += sched[i].amount;
			cum[i] = total;
		}
		seed = seed * 1103515245u + 12345u;
		ds_date as_of = 18990 + (ds_date)((seed >> 16) % (day - 18990 + 30));
		seed = seed * 1103515245u + 12345u;
		ds_fen paid = total ? (ds_fen)((seed >> 12) % (uint64_t)(total + 50)) : 0;
		struct ds_paid p = { as_of - 1, paid };
		struct ds_dpd walk, fast;
		ds_dpd_compute(sched, n, &p, paid > 0, as_of, &walk);
		ds_dpd_cumulative(sched, cum, n, paid, as_of, &fast);
		assert_int_equal(fast.dpd, walk.dpd);
		assert_int_equal(fast.overdue_fen, walk.overdue_fen);
		assert_int_equal(fast.oldest_unpaid, walk.oldest_unpaid);
		assert_int_equal(fast.bucket, walk.bucket);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buckets),          cmocka_unit_test(month_ends_and_leap_day),
		cmocka_unit_test(partial_payments), cmocka_unit_test(overpayment_and_prepayment),
		cmocka_unit_test(from_reported),    cmocka_unit_test(cumulative_matches_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

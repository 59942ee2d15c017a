/* Unit tests of lib/core: money, dates, time zones, UTF-8, buffers, masks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doorstep/core.h"

static void money_parse_valid(void **state)
{
	(void)state;
	struct {
		const char *in;
		ds_fen want;
	} cases[] = {
		{ "0", 0 },
		{ "1", 100 },
		{ "1.5", 150 },
		{ "1.05", 105 },
		{ "-0.75", -75 },
		{ "+12.30", 1230 },
		{ "1234567.89", 123456789 },
		{ "999999999999999.99", 99999999999999999 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ds_fen v = -1;
		assert_int_equal(ds_money_parse(cases[i].in, &v), DS_OK);
		assert_int_equal(v, cases[i].want);
	}
}

static void money_parse_invalid(void **state)
{
	(void)state;
	const char *bad[] = { "",
		              "1,200",
		              "1,2O0",
		              "1.234",
		              "1.",
		              ".5",
		              "1e3",
		              "¥100",
		              " 1",
		              "1 ",
		              "--1",
		              "0x10",
		              "1000000000000000",
		              "NaN",
		              "1.2.3" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ds_fen v;
		assert_int_equal(ds_money_parse(bad[i], &v), DS_EINVAL);
	}
}

static void money_format(void **state)
{
	(void)state;
	char b[32];
	ds_money_format(123456, b, sizeof b);
	assert_string_equal(b, "1234.56");
	ds_money_format(-5, b, sizeof b);
	assert_string_equal(b, "-0.05");
	ds_money_format(0, b, sizeof b);
	assert_string_equal(b, "0.00");
	ds_money_format(INT64_MIN, b, sizeof b);
	assert_string_equal(b, "-92233720368547758.08");
}

static void dates_roundtrip(void **state)
{
	(void)state;
	assert_int_equal(ds_date_from_ymd(1970, 1, 1), 0);
	assert_int_equal(ds_date_from_ymd(2000, 3, 1) - ds_date_from_ymd(2000, 2, 28), 2);
	assert_int_equal(ds_date_from_ymd(1900, 3, 1) - ds_date_from_ymd(1900, 2, 28), 1);
	assert_int_equal(ds_date_from_ymd(2024, 3, 1) - ds_date_from_ymd(2024, 2, 29), 1);
	/* every day of two centuries survives a round trip */
	for (ds_date d = ds_date_from_ymd(1900, 1, 1); d < ds_date_from_ymd(2100, 1, 1); d++) {
		int y, m, dd;
		ds_date_to_ymd(d, &y, &m, &dd);
		assert_true(ds_date_valid_ymd(y, m, dd));
		assert_int_equal(ds_date_from_ymd(y, m, dd), d);
	}
}

static void dates_parse(void **state)
{
	(void)state;
	ds_date d;
	char b[11];
	assert_int_equal(ds_date_parse("2024-02-29", &d), DS_OK);
	ds_date_format(d, b);
	assert_string_equal(b, "2024-02-29");
	const char *bad[] = {
		"2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31",  "24-01-01", "2024/01/01",
		"2024-1-1",   "1899-12-31", "2200-01-01", "2024-01-01x", ""
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(ds_date_parse(bad[i], &d), DS_EINVAL);
}

static void dates_add_months(void **state)
{
	(void)state;
	char b[11];
	ds_date_format(ds_date_add_months(ds_date_from_ymd(2024, 1, 31), 1), b);
	assert_string_equal(b, "2024-02-29");
	ds_date_format(ds_date_add_months(ds_date_from_ymd(2023, 1, 31), 1), b);
	assert_string_equal(b, "2023-02-28");
	ds_date_format(ds_date_add_months(ds_date_from_ymd(2024, 12, 15), 2), b);
	assert_string_equal(b, "2025-02-15");
	ds_date_format(ds_date_add_months(ds_date_from_ymd(2024, 3, 31), -1), b);
	assert_string_equal(b, "2024-02-29");
}

static void time_zones(void **state)
{
	(void)state;
	assert_true(ds_tz_valid("Asia/Shanghai"));
	assert_true(ds_tz_valid("America/New_York"));
	assert_false(ds_tz_valid("Mars/Olympus"));
	assert_false(ds_tz_valid("CST")); /* legacy, ambiguous abbreviation */
	assert_true(ds_tz_valid("UTC"));
	assert_false(ds_tz_valid(""));
	assert_false(ds_tz_valid("Asia/Shanghai\n"));

	ds_time t;
	/* 2026-03-01 08:00 in Shanghai (UTC+8, no DST) = 00:00Z */
	assert_int_equal(ds_time_parse("2026-03-01T08:00", "Asia/Shanghai", &t), DS_OK);
	char b[21];
	ds_time_format_utc(t, b);
	assert_string_equal(b, "2026-03-01T00:00:00Z");
	assert_int_equal(ds_time_parse("2026-03-01T08:00:00+08:00", "UTC", &t), DS_OK);
	ds_time_format_utc(t, b);
	assert_string_equal(b, "2026-03-01T00:00:00Z");
	assert_int_equal(ds_time_parse("2026-03-01 00:00:00Z", "Asia/Shanghai", &t), DS_OK);
	ds_time_format_utc(t, b);
	assert_string_equal(b, "2026-03-01T00:00:00Z");

	/* New York: DST starts 2026-03-08 02:00 -> 03:00 */
	struct ds_civil_time ct;
	assert_int_equal(ds_time_parse("2026-03-08T01:59:00-05:00", "UTC", &t), DS_OK);
	assert_int_equal(ds_tz_to_local("America/New_York", t, &ct), DS_OK);
	assert_int_equal(ct.hour, 1);
	assert_int_equal(ct.utc_offset_s, -5 * 3600);
	assert_int_equal(ds_tz_to_local("America/New_York", t + 60, &ct), DS_OK);
	assert_int_equal(ct.hour, 3);
	assert_int_equal(ct.minute, 0);
	assert_int_equal(ct.utc_offset_s, -4 * 3600);
	/* a skipped wall time resolves forward; an ambiguous one to the earlier */
	assert_int_equal(ds_tz_from_local("America/New_York", 2026, 3, 8, 2, 30, 0, &t), DS_OK);
	assert_int_equal(ds_tz_to_local("America/New_York", t, &ct), DS_OK);
	assert_int_equal(ct.hour, 3);
	assert_int_equal(ds_tz_from_local("America/New_York", 2026, 11, 1, 1, 30, 0, &t), DS_OK);
	assert_int_equal(ds_tz_to_local("America/New_York", t, &ct), DS_OK);
	assert_int_equal(ct.utc_offset_s, -4 * 3600);

	const char *bad[] = { "2026-03-01T24:00",     "2026-03-01T08:60",
		              "2026-03-01T08",        "2026-03-01T08:00+8",
		              "2026-03-01T08:00:61",  "2026-03-01T08:00:00+15:00",
		              "2026-03-01T08:00Zjunk" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(ds_time_parse(bad[i], "Asia/Shanghai", &t), DS_EINVAL);
}

/* The zone cache agrees, hour by hour across two years of DST changes, with
 * an independent reading of the system's tz database (glibc). */
static void zones_agree_with_libc(void **state)
{
	(void)state;
	static const char *const zones[] = { "America/New_York", "Europe/London", "Asia/Shanghai",
		                             "Australia/Lord_Howe", "Asia/Kolkata" };
	for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		setenv("TZ", zones[z], 1);
		tzset();
		ds_time start = (ds_time)ds_date_from_ymd(2025, 1, 1) * 86400;
		for (ds_time t = start; t < start + 2 * 366 * 86400; t += 1800) {
			struct ds_civil_time ct;
			assert_int_equal(ds_tz_to_local(zones[z], t, &ct), DS_OK);
			time_t tt = (time_t)t;
			struct tm tm;
			localtime_r(&tt, &tm);
			if (ct.hour != tm.tm_hour || ct.day != tm.tm_mday ||
			    ct.utc_offset_s != tm.tm_gmtoff)
				print_error(
				        "%s at %lld: %02d:%02d off %d, libc %02d:%02d off %ld\n",
				        zones[z], (long long)t, ct.hour, ct.minute, ct.utc_offset_s,
				        tm.tm_hour, tm.tm_min, (long)tm.tm_gmtoff);
			assert_int_equal(ct.hour, tm.tm_hour);
			assert_int_equal(ct.minute, tm.tm_min);
			assert_int_equal(ct.day, tm.tm_mday);
			assert_int_equal(ct.utc_offset_s, tm.tm_gmtoff);
			/* and back: the same instant, or the earlier of a repeated hour */
			ds_time back;
			assert_int_equal(ds_tz_from_local(zones[z], ct.year, ct.month, ct.day,
			                                  ct.hour, ct.minute, ct.second, &back),
			                 DS_OK);
			if (back != t) {
				struct ds_civil_time again;
				assert_int_equal(ds_tz_to_local(zones[z], back, &again), DS_OK);
				assert_true(back < t);
				assert_int_equal(again.hour, ct.hour);
				assert_int_equal(again.minute, ct.minute);
			}
		}
	}
	unsetenv("TZ");
	tzset();
}

static void utf8(void **state)
{
	(void)state;
	assert_true(ds_utf8_valid("张三 abc", strlen("张三 abc")));
	assert_false(ds_utf8_valid("\xC0\xAF", 2));         /* overlong */
	assert_false(ds_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
	assert_false(ds_utf8_valid("\xF4\x90\x80\x80", 4)); /* over U+10FFFF */
	assert_false(ds_utf8_valid("\xE5\xBC", 2));         /* truncated */
	assert_false(ds_utf8_valid("\xD5\xC5\xC8\xFD", 4)); /* GBK 张三 */
	assert_int_equal(ds_utf8_count("张三ab", strlen("张三ab")), 4);
}

static void buffers_cap(void **state)
{
	(void)state;
	struct ds_buf b;
	ds_buf_init(&b, 8);
	assert_int_equal(ds_buf_adds(&b, "12345"), DS_OK);
	assert_int_equal(ds_buf_adds(&b, "6789"), DS_ETOOBIG);
	assert_string_equal(b.p, "12345");
	assert_int_equal(ds_buf_addf(&b, "%d", 678), DS_OK);
	assert_string_equal(b.p, "12345678");
	assert_int_equal(ds_buf_adds(&b, "9"), DS_ETOOBIG);
	ds_buf_free(&b);
	char small[4];
	assert_int_equal(ds_strlcpy(small, "abcdef", sizeof small), 6);
	assert_string_equal(small, "abc");
}

static void alloc_failure_injection(void **state)
{
	(void)state;
	ds_alloc_fail_after(1);
	void *a = ds_malloc(10);
	void *b = ds_malloc(10);
	ds_alloc_fail_after(-1);
	assert_non_null(a);
	assert_null(b);
	ds_free(a);
	struct ds_buf buf;
	ds_buf_init(&buf, 100);
	ds_alloc_fail_after(0);
	assert_int_equal(ds_buf_adds(&buf, "x"), DS_ENOMEM);
	ds_alloc_fail_after(-1);
	ds_buf_free(&buf);
}

static void national_ids(void **state)
{
	(void)state;
	const char *why;
	assert_int_equal(ds_national_id_check("11010519491231002X", &why), DS_OK);
	assert_int_equal(ds_national_id_check("11010519491231002x", &why), DS_OK);
	assert_int_equal(ds_national_id_check("110105194912310021", &why), DS_EINVAL);
	assert_string_equal(why, "check digit does not match");
	assert_int_equal(ds_national_id_check("110105194902300021", &why), DS_EINVAL);
	assert_int_equal(ds_national_id_check("1101051949123100", &why), DS_EINVAL);
}

static void phones_and_masks(void **state)
{
	(void)state;
	char out[32];
	const char *why;
	assert_int_equal(ds_phone_normalise("+86 138-0013-8000", out, sizeof out, &why), DS_OK);
	assert_string_equal(out, "13800138000");
	assert_int_equal(ds_phone_normalise("0571-86012345", out, sizeof out, &why), DS_OK);
	assert_string_equal(out, "057186012345");
	assert_int_equal(ds_phone_normalise("12345", out, sizeof out, &why), DS_EINVAL);
	assert_int_equal(ds_phone_normalise("1380013800a", out, sizeof out, &why), DS_EINVAL);
	ds_mask_phone("13800138000", out, sizeof out);
	assert_string_equal(out, "138****8000");
	ds_mask_national_id("11010519491231002X", out, sizeof out);
	assert_string_equal(out, "**************002X");
	ds_mask_name("张三丰", out, sizeof out);
	assert_string_equal(out, "张**");
	ds_mask_name("欧阳娜娜", out, sizeof out);
	assert_string_equal(out, "欧***");
	ds_mask_name("", out, sizeof out);
	assert_string_equal(out, "");
}

static void pii_hash_and_seal(void **state)
{
	(void)state;
	struct ds_pii_key k1, k2;
	memset(k1.k, 1, sizeof k1.k);
	memset(k2.k, 2, sizeof k2.k);
	char h1[DS_PII_HASH_HEX], h2[DS_PII_HASH_HEX], h3[DS_PII_HASH_HEX];
	ds_pii_hash(&k1, "13800138000", h1);
	ds_pii_hash(&k1, "13800138000", h2);
	ds_pii_hash(&k2, "13800138000", h3);
	assert_string_equal(h1, h2);
	assert_string_not_equal(h1, h3);
	assert_int_equal(strlen(h1), 64);
	unsigned char *sealed;
	size_t len;
	assert_int_equal(ds_pii_seal(&k1, "11010519491231002X", &sealed, &len), DS_OK);
	for (size_t i = 0; i + 4 <= len; i++)
		assert_false(memcmp(sealed + i, "1949", 4) == 0);
	char *plain;
	assert_int_equal(ds_pii_open(&k1, sealed, len, &plain), DS_OK);
	assert_string_equal(plain, "11010519491231002X");
	ds_free(plain);
	assert_int_equal(ds_pii_open(&k2, sealed, len, &plain), DS_ECRYPTO);
	sealed[len - 1] ^= 1;
	assert_int_equal(ds_pii_open(&k1, sealed, len, &plain), DS_ECRYPTO);
	ds_free(sealed);
}

static void diag_format(void **state)
{
	(void)state;
	struct ds_diag d;
	char out[256];
	ds_diag_set(&d, DS_EINVAL, "accounts.csv", 1042, "overdue_amount", "not an amount: \"%s\"",
	            "1,2O0");
	ds_diag_format(&d, out, sizeof out);
	assert_string_equal(out, "accounts.csv:1042:overdue_amount: not an amount: \"1,2O0\"");
	ds_diag_clear(&d);
	ds_diag_set(&d, DS_EIO, NULL, 0, NULL, "disk full");
	ds_diag_format(&d, out, sizeof out);
	assert_string_equal(out, "disk full");
	for (int e = 0; e < DS_ERR_COUNT_; e++)
		assert_true(strlen(ds_strerror((ds_err)e)) > 1);
	assert_string_equal(ds_strerror((ds_err)999), "unknown error");
}

/* Arrays grow by doubling from `first`; one that cannot grow is kept. */
static void grow_arrays(void **state)
{
	(void)state;
	int *a = NULL;
	long cap = 0;
	struct ds_diag d;
	ds_diag_clear(&d);
	assert_int_equal(ds_grow((void **)&a, &cap, 0, sizeof *a, 4, &d), DS_OK);
	assert_int_equal(cap, 4);
	for (int i = 0; i < 4; i++)
		a[i] = i;
	assert_int_equal(ds_grow((void **)&a, &cap, 3, sizeof *a, 4, &d), DS_OK);
	assert_int_equal(cap, 4); /* room already */
	assert_int_equal(ds_grow((void **)&a, &cap, 4, sizeof *a, 4, &d), DS_OK);
	assert_int_equal(cap, 8);
	assert_int_equal(ds_grow((void **)&a, &cap, 20, sizeof *a, 4, &d), DS_OK);
	assert_int_equal(cap, 21); /* doubling is not enough: what is asked */
	assert_int_equal(a[3], 3);
	ds_alloc_fail_after(0);
	int *before = a;
	assert_int_equal(ds_grow((void **)&a, &cap, 21, sizeof *a, 4, &d), DS_ENOMEM);
	ds_alloc_fail_after(-1);
	assert_ptr_equal(a, before);
	assert_int_equal(cap, 21);
	assert_non_null(strstr(d.msg, "out of memory"));
	ds_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(money_parse_valid),
		cmocka_unit_test(money_parse_invalid),
		cmocka_unit_test(money_format),
		cmocka_unit_test(dates_roundtrip),
		cmocka_unit_test(dates_parse),
		cmocka_unit_test(dates_add_months),
		cmocka_unit_test(time_zones),
		cmocka_unit_test(zones_agree_with_libc),
		cmocka_unit_test(utf8),
		cmocka_unit_test(buffers_cap),
		cmocka_unit_test(alloc_failure_injection),
		cmocka_unit_test(national_ids),
		cmocka_unit_test(phones_and_masks),
		cmocka_unit_test(pii_hash_and_seal),
		cmocka_unit_test(diag_format),
		cmocka_unit_test(grow_arrays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * libFuzzer target: the field parsers of the core, each on a NUL-terminated
 * copy of the input (at most 4 KiB), with round-trip properties:
 *
 *  ds_money_parse     formatted then parsed again: the same fen
 *  ds_date_parse      formatted: the very input; civil <-> days agree;
 *                     adding months stays on a real calendar day
 *  ds_time_parse      (Asia/Shanghai) formatted as UTC then parsed: the same
 *                     instant (when the UTC year is still one it accepts)
 *  ds_national_id_check  accepted: 17 digits, a real birth date, the ISO 7064
 *                     MOD 11-2 check character (computed here independently)
 *  ds_phone_normalise accepted: digits of a mobile or landline shape, and a
 *                     fixed point of normalisation
 *  ds_utf8_valid      agrees with a decoding reference on the raw bytes;
 *                     ds_utf8_count counts its code points
 */
#include "doorstep/core.h"

#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 4096
#define ZONE      "Asia/Shanghai"

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "fuzz_fields: property failed: %s (%s:%d)\n", #cond, \
			        __FILE__, __LINE__);                                         \
			__builtin_trap();                                                    \
		}                                                                            \
	} while (0)

static void money(const char *s)
{
	ds_fen fen, again;
	if (ds_money_parse(s, &fen))
		return;
	/* |value| below 10^15 yuan */
	CHECK(fen > -100000000000000000LL && fen < 100000000000000000LL);
	char buf[64];
	ds_money_format(fen, buf, sizeof buf);
	CHECK(ds_money_parse(buf, &again) == DS_OK);
	CHECK(again == fen);
}

static void date(const char *s)
{
	ds_date dt;
	if (ds_date_parse(s, &dt))
		return;
	char buf[11];
	ds_date_format(dt, buf);
	CHECK(strcmp(buf, s) == 0);
	int y, m, d;
	ds_date_to_ymd(dt, &y, &m, &d);
	CHECK(ds_date_valid_ymd(y, m, d));
	CHECK(ds_date_from_ymd(y, m, d) == dt);
	static const int months[] = { -1200, -13, -12, -1, 1, 11, 12, 13, 1200 };
	for (size_t i = 0; i < sizeof months / sizeof months[0]; i++) {
		int y2, m2, d2;
		ds_date_to_ymd(ds_date_add_months(dt, months[i]), &y2, &m2, &d2);
		CHECK(y2 * 12 + m2 - 1 == y * 12 + m - 1 + months[i]);
		CHECK(d2 >= 1 && d2 <= ds_days_in_month(y2, m2) && d2 <= d);
		CHECK(d2 == d || d2 == ds_days_in_month(y2, m2));
	}
}

static void instant(const char *s)
{
	ds_time t, again;
	if (ds_time_parse(s, ZONE, &t))
		return;
	char buf[21];
	ds_time_format_utc(t, buf);
	int year =
	        (buf[0] - '0') * 1000 + (buf[1] - '0') * 100 + (buf[2] - '0') * 10 + buf[3] - '0';
	if (ds_time_parse(buf, ZONE, &again) == DS_OK)
		CHECK(again == t);
	else
		CHECK(year < 1900 || year > 2199);
	struct ds_civil_time ct;
	CHECK(ds_tz_to_local(ZONE, t, &ct) == DS_OK);
	CHECK(ct.utc_offset_s >= 8 * 3600 && ct.utc_offset_s <= 9 * 3600);
}

static void national_id(const char *s)
{
	static const int weight[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	const char *why = NULL;
	if (ds_national_id_check(s, &why)) {
		CHECK(why != NULL && why[0] != '\0');
		return;
	}
	CHECK(strlen(s) == 18);
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		CHECK(s[i] >= '0' && s[i] <= '9');
		sum += (s[i] - '0') * weight[i];
	}
	char want = "10X98765432"[sum % 11];
	CHECK(s[17] == want || (want == 'X' && s[17] == 'x'));
	int y = (s[6] - '0') * 1000 + (s[7] - '0') * 100 + (s[8] - '0') * 10 + (s[9] - '0');
	int m = (s[10] - '0') * 10 + (s[11] - '0'), d = (s[12] - '0') * 10 + (s[13] - '0');
	CHECK(ds_date_valid_ymd(y, m, d));
	char mask[32];
	ds_mask_national_id(s, mask, sizeof mask);
	CHECK(strlen(mask) == 18 && strcmp(mask + 14, s + 14) == 0);
}

static void phone(const char *s)
{
	char out[32], again[32];
	const char *why = NULL;
	if (ds_phone_normalise(s, out, sizeof out, &why)) {
		CHECK(why != NULL && why[0] != '\0');
		return;
	}
	size_t n = strlen(out);
	for (size_t i = 0; i < n; i++)
		CHECK(out[i] >= '0' && out[i] <= '9');
	CHECK((n == 11 && out[0] == '1') || (n >= 10 && n <= 12 && out[0] == '0'));
	/* A fixed point, except for a landline that itself begins 0086 ("+86 0086..."),
	 * whose prefix a second pass takes for the country code. */
	if (strncmp(out, "0086", 4) != 0) {
		CHECK(ds_phone_normalise(out, again, sizeof again, &why) == DS_OK);
		CHECK(strcmp(out, again) == 0);
	}
	char mask[32];
	ds_mask_phone(out, mask, sizeof mask);
	CHECK(strncmp(mask, out, 3) == 0 && strcmp(mask + strlen(mask) - 4, out + n - 4) == 0);
	/* Too small an output buffer is refused, not overrun. */
	char tiny[8];
	CHECK(ds_phone_normalise(s, tiny, sizeof tiny, &why) != DS_OK);
}

/* A straightforward decoder: RFC 3629 by the value of each code point. */
static bool utf8_reference(const unsigned char *s, size_t n, size_t *count)
{
	*count = 0;
	for (size_t i = 0; i < n; (*count)++) {
		unsigned long c = s[i];
		size_t len;
		unsigned long min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2;
			c &= 0x1F;
			min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3;
			c &= 0x0F;
			min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4;
			c &= 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			c = c << 6 | (s[i + k] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

static void utf8(const uint8_t *data, size_t size)
{
	size_t count;
	bool valid = utf8_reference(data, size, &count);
	CHECK(ds_utf8_valid((const char *)data, size) == valid);
	if (valid)
		CHECK(ds_utf8_count((const char *)data, size) == count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char s[MAX_INPUT + 1];
	size_t n = size < MAX_INPUT ? size : MAX_INPUT;
	memcpy(s, data, n);
	s[n] = '\0';
	money(s);
	date(s);
	instant(s);
	national_id(s);
	phone(s);
	utf8(data, n);
	char out[256];
	ds_mask_name(s, out, sizeof out);
	ds_tz_valid(s);
	return 0;
}

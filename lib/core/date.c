/*
 * Civil dates (days since 1970-01-01, proleptic Gregorian) and instants in
 * IANA time zones. Zone arithmetic is ICU's (its copy of the IANA tz
 * database); the civil-date arithmetic is the usual days-from-civil mapping.
 */
#include "doorstep/core.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

/* ------------------------------------------------------------ civil dates */

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int ds_days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12)
		return 0;
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

bool ds_date_valid_ymd(int y, int m, int d)
{
	return y >= 1900 && y <= 2199 && m >= 1 && m <= 12 && d >= 1 && d <= ds_days_in_month(y, m);
}

ds_date ds_date_from_ymd(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (ds_date)(era * 146097 + doe - 719468);
}

void ds_date_to_ymd(ds_date date, int *y, int *m, int *d)
{
	int z = date + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	int dd = doy - (153 * mp + 2) / 5 + 1;
	int mm = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (mm <= 2);
	*m = mm;
	*d = dd;
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

ds_err ds_date_parse(const char *s, ds_date *out)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return DS_EINVAL;
	int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
	if (y < 0 || m < 0 || d < 0 || !ds_date_valid_ymd(y, m, d))
		return DS_EINVAL;
	*out = ds_date_from_ymd(y, m, d);
	return DS_OK;
}

void ds_date_format(ds_date date, char out[static 11])
{
	/* By hand: this runs for every date of every imported row. */
	int y, m, d;
	ds_date_to_ymd(date, &y, &m, &d);
	if (y < 0 || y > 9999) {
		ds_strlcpy(out, "0000-00-00", 11);
		return;
	}
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

ds_date ds_date_add_months(ds_date date, int months)
{
	int y, m, d;
	ds_date_to_ymd(date, &y, &m, &d);
	int total = y * 12 + (m - 1) + months;
	int ny = total / 12, nm = total % 12 + 1;
	int dim = ds_days_in_month(ny, nm);
	return ds_date_from_ymd(ny, nm, d > dim ? dim : d);
}

/* ------------------------------------------------------------- time zones */

/*
 * Opening an ICU calendar is costly, so a few are kept per zone. A calendar
 * is stateful, hence the lock around each use.
 */
#define TZ_CACHE 32
static struct {
	char zone[64];
	UCalendar *cal;
	/* the offset in force over [from, to): no ICU call inside the span */
	bool span;
	ds_time from, to;
	int offset_s;
} tz_cache[TZ_CACHE];
static int tz_used;
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

static bool zone_to_uchar(const char *zone, UChar *out, int32_t cap)
{
	size_t n = strlen(zone);
	if (n == 0 || n >= (size_t)cap || n >= 64)
		return false;
	/* printable ASCII widens to UTF-16 as it is: no ICU converter, whose
	 * default instance is shared behind a lock */
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)zone[i] < 0x21 || (unsigned char)zone[i] > 0x7e)
			return false;
		out[i] = (UChar)zone[i];
	}
	out[n] = 0;
	return true;
}

bool ds_tz_valid(const char *zone)
{
	UChar z[64], canon[128];
	/* Only IANA Area/Location names (and UTC): ICU also knows legacy
	 * abbreviations such as "CST", whose meaning is ambiguous. */
	if (!strchr(zone, '/') && strcmp(zone, "UTC") != 0)
		return false;
	/* the same zone is asked about again and again: remember the last one */
	static _Thread_local char last_valid[64];
	if (last_valid[0] && strcmp(last_valid, zone) == 0)
		return true;
	if (!zone_to_uchar(zone, z, 64))
		return false;
	UErrorCode st = U_ZERO_ERROR;
	UBool system = 0;
	ucal_getCanonicalTimeZoneID(z, -1, canon, 128, &system, &st);
	bool ok = U_SUCCESS(st) && system;
	if (ok)
		ds_strlcpy(last_valid, zone, sizeof last_valid);
	return ok;
}

/* Called with tz_lock held. */
static int slot_of(const char *zone)
{
	for (int i = 0; i < tz_used; i++)
		if (strcmp(tz_cache[i].zone, zone) == 0)
			return i;
	return -1;
}

/* Called with tz_lock held. */
static UCalendar *calendar_for(const char *zone)
{
	int hit = slot_of(zone);
	if (hit >= 0)
		return tz_cache[hit].cal;
	if (!ds_tz_valid(zone))
		return NULL;
	UChar z[64];
	zone_to_uchar(zone, z, 64);
	UErrorCode st = U_ZERO_ERROR;
	UCalendar *cal = ucal_open(z, -1, "en_US", UCAL_GREGORIAN, &st);
	if (U_FAILURE(st))
		return NULL;
	/* Proleptic Gregorian, so dates agree with ds_date everywhere. */
	ucal_setGregorianChange(cal, -1e300, &st);
	ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
	ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
	int slot = tz_used < TZ_CACHE ? tz_used++ : (int)(strlen(zone) % TZ_CACHE);
	if (tz_cache[slot].cal)
		ucal_close(tz_cache[slot].cal);
	ds_strlcpy(tz_cache[slot].zone, zone, sizeof tz_cache[slot].zone);
	tz_cache[slot].cal = cal;
	tz_cache[slot].span = false;
	return cal;
}

/* The last span this thread used, read without the lock. */
static _Thread_local struct {
	char zone[64];
	ds_time from, to;
	int offset_s;
} tl_span;

static void remember_span(int slot)
{
	ds_strlcpy(tl_span.zone, tz_cache[slot].zone, sizeof tl_span.zone);
	tl_span.from = tz_cache[slot].from;
	tl_span.to = tz_cache[slot].to;
	tl_span.offset_s = tz_cache[slot].offset_s;
}

/* Wall clock of UTC instant t at a fixed offset. */
static void civil_at(ds_time t, int offset_s, struct ds_civil_time *out)
{
	ds_time local = t + offset_s;
	int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int64_t rem = local - days * 86400;
	ds_date_to_ymd((ds_date)days, &out->year, &out->month, &out->day);
	out->hour = (int)(rem / 3600);
	out->minute = (int)(rem / 60 % 60);
	out->second = (int)(rem % 60);
	out->utc_offset_s = offset_s;
}

ds_err ds_tz_to_local(const char *zone, ds_time t, struct ds_civil_time *out)
{
	if (tl_span.from <= t && t < tl_span.to && strcmp(tl_span.zone, zone) == 0) {
		civil_at(t, tl_span.offset_s, out);
		return DS_OK;
	}
	ds_err err = DS_OK;
	pthread_mutex_lock(&tz_lock);
	int slot = slot_of(zone);
	if (slot >= 0 && tz_cache[slot].span && tz_cache[slot].from <= t && t < tz_cache[slot].to) {
		civil_at(t, tz_cache[slot].offset_s, out);
		remember_span(slot);
		goto done;
	}
	UCalendar *cal = calendar_for(zone);
	if (!cal) {
		err = DS_EINVAL;
		goto done;
	}
	slot = slot_of(zone);
	UErrorCode st = U_ZERO_ERROR;
	ucal_setMillis(cal, (UDate)t * 1000.0, &st);
	int offset =
	        (ucal_get(cal, UCAL_ZONE_OFFSET, &st) + ucal_get(cal, UCAL_DST_OFFSET, &st)) / 1000;
	if (U_FAILURE(st)) {
		err = DS_EINVAL;
		goto done;
	}
	/* Remember the span between the zone's transitions around t: the
	 * instants a planner asks about cluster, and most zones change rarely. */
	UDate prev = 0, next = 0;
	UErrorCode s1 = U_ZERO_ERROR, s2 = U_ZERO_ERROR;
	bool has_prev = ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_PREVIOUS_INCLUSIVE,
	                                               &prev, &s1) &&
	                U_SUCCESS(s1);
	bool has_next = ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &next, &s2) &&
	                U_SUCCESS(s2);
	if (slot >= 0) {
		tz_cache[slot].span = true;
		tz_cache[slot].from = has_prev ? (ds_time)(prev / 1000.0) : INT64_MIN / 2;
		tz_cache[slot].to = has_next ? (ds_time)(next / 1000.0) : INT64_MAX / 2;
		tz_cache[slot].offset_s = offset;
		if (t < tz_cache[slot].from || t >= tz_cache[slot].to)
			tz_cache[slot].span = false; /* not trusted: ask ICU each time */
		else
			remember_span(slot);
	}
	civil_at(t, offset, out);
done:
	pthread_mutex_unlock(&tz_lock);
	return err;
}

ds_err ds_tz_from_local(const char *zone, int y, int mo, int d, int h, int mi, int s, ds_time *out)
{
	if (tl_span.zone[0] && strcmp(tl_span.zone, zone) == 0 && ds_date_valid_ymd(y, mo, d) &&
	    h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s < 60) {
		ds_time t = (ds_time)ds_date_from_ymd(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
		            tl_span.offset_s;
		if (t - 86400 >= tl_span.from && t + 86400 < tl_span.to) {
			*out = t;
			return DS_OK;
		}
	}
	ds_err err = DS_OK;
	pthread_mutex_lock(&tz_lock);
	int slot = slot_of(zone);
	if (slot >= 0 && tz_cache[slot].span && ds_date_valid_ymd(y, mo, d) && h >= 0 && h < 24 &&
	    mi >= 0 && mi < 60 && s >= 0 && s < 60) {
		/* inside a span without transitions the offset is fixed, and a
		 * reading at least a day from either edge is neither skipped nor
		 * repeated */
		ds_time local =
		        (ds_time)ds_date_from_ymd(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
		ds_time t = local - tz_cache[slot].offset_s;
		if (t - 86400 >= tz_cache[slot].from && t + 86400 < tz_cache[slot].to) {
			*out = t;
			remember_span(slot);
			goto done;
		}
	}
	UCalendar *cal = calendar_for(zone);
	if (!cal) {
		err = DS_EINVAL;
		goto done;
	}
	UErrorCode st = U_ZERO_ERROR;
	ucal_clear(cal);
	ucal_set(cal, UCAL_EXTENDED_YEAR, y);
	ucal_set(cal, UCAL_MONTH, mo - 1);
	ucal_set(cal, UCAL_DATE, d);
	ucal_set(cal, UCAL_HOUR_OF_DAY, h);
	ucal_set(cal, UCAL_MINUTE, mi);
	ucal_set(cal, UCAL_SECOND, s);
	UDate ms = ucal_getMillis(cal, &st);
	if (U_FAILURE(st))
		err = DS_EINVAL;
	else
		*out = (ds_time)(ms / 1000.0);
done:
	pthread_mutex_unlock(&tz_lock);
	return err;
}

ds_err ds_date_today(const char *zone, ds_date *out)
{
	struct ds_civil_time ct;
	ds_err e = ds_tz_to_local(zone, (ds_time)time(NULL), &ct);
	if (e)
		return e;
	*out = ds_date_from_ymd(ct.year, ct.month, ct.day);
	return DS_OK;
}

ds_err ds_time_parse(const char *s, const char *zone, ds_time *out)
{
	size_t n = strlen(s);
	ds_date date;
	char head[11];
	if (n < 10)
		return DS_EINVAL;
	memcpy(head, s, 10);
	head[10] = '\0';
	if (ds_date_parse(head, &date))
		return DS_EINVAL;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	ds_date_to_ymd(date, &y, &mo, &d);
	const char *p = s + 10;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (strlen(p) < 5 || p[2] != ':')
			return DS_EINVAL;
		h = digits(p, 2);
		mi = digits(p + 3, 2);
		p += 5;
		if (*p == ':') {
			sec = digits(p + 1, 2);
			if (sec < 0)
				return DS_EINVAL;
			p += 3;
			if (sec < 0 || sec > 59)
				return DS_EINVAL;
		}
		if (h < 0 || h > 23 || mi < 0 || mi > 59)
			return DS_EINVAL;
	}
	int64_t local = (int64_t)date * 86400 + h * 3600 + mi * 60 + sec;
	if (*p == '\0')
		return ds_tz_from_local(zone, y, mo, d, h, mi, sec, out);
	if (*p == 'Z' && p[1] == '\0') {
		*out = local;
		return DS_OK;
	}
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int oh = digits(p + 1, 2), om = digits(p + 4, 2);
		if (oh < 0 || oh > 14 || om < 0 || om > 59)
			return DS_EINVAL;
		int off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		*out = local - off;
		return DS_OK;
	}
	return DS_EINVAL;
}

void ds_time_format_utc(ds_time t, char out[static 21])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400;
	int y, m, d;
	ds_date_to_ymd((ds_date)days, &y, &m, &d);
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rem / 3600),
	         (int)(rem / 60 % 60), (int)(rem % 60));
	ds_strlcpy(out, tmp, 21);
}

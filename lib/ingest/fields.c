/*
 * Field checks and conversion from CSV text to store values, one column
 * type at a time. Reasons are short, English, and name what was expected.
 */
#include "ingest-int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ds_field_width(const struct ds_import_col *c)
{
	return c->type == DS_COL_PHONE || c->type == DS_COL_NATID ? 3 : 1;
}

const char *ds_field_dbname(const struct ds_import_col *c, int i, char *buf, size_t bufsz)
{
	static const char *const phone[3] = { "_hash", "_sealed", "_masked" };
	static const char *const natid[3] = { "_hash", "_sealed", "_last4" };
	if (ds_field_width(c) == 1)
		return c->db;
	snprintf(buf, bufsz, "%s%s", c->db, (c->type == DS_COL_PHONE ? phone : natid)[i]);
	return buf;
}

bool ds_field_compared(const struct ds_import_col *c, int i)
{
	return !(ds_field_width(c) == 3 && i == 1);
}

void ds_field_out_clear(struct ds_field_out *out)
{
	ds_free(out->sealed);
	out->sealed = NULL;
	out->nv = 0;
}

static bool parse_int(const char *s, int64_t *out)
{
	if (!*s)
		return false;
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	int64_t v = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	*out = s[0] == '-' ? -v : v;
	return true;
}

static bool parse_degrees(const char *s, double lim, double *out)
{
	char *end;
	if (!*s || strlen(s) > 24)
		return false;
	for (const char *p = s; *p; p++)
		if (!strchr("0123456789.-+", *p))
			return false;
	double v = strtod(s, &end);
	if (*end || !isfinite(v) || v < -lim || v > lim)
		return false;
	*out = v;
	return true;
}

static bool in_enum(const char *values, const char *s)
{
	size_t n = strlen(s);
	const char *p = values;
	while (*p) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, s, n) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

static bool id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == ':' || c == '-';
}

static bool token_list(const char *s)
{
	bool start = true;
	for (const char *p = s; *p; p++) {
		if (*p == ',') {
			if (start)
				return false;
			start = true;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
		start = false;
	}
	return !start;
}

static bool polygon(const char *s)
{
	int points = 0;
	const char *p = s;
	while (*p) {
		char pt[64];
		const char *e = strchr(p, ';');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0 || len >= sizeof pt)
			return false;
		memcpy(pt, p, len);
		pt[len] = '\0';
		char *sp = strchr(pt, ' ');
		if (!sp)
			return false;
		*sp = '\0';
		double lon, lat;
		if (!parse_degrees(pt, 180, &lon) || !parse_degrees(sp + 1, 90, &lat))
			return false;
		points++;
		if (!e)
			break;
		p = e + 1;
	}
	return points >= 3;
}

static void set_text(struct ds_value *v, const char *s)
{
	v->type = DS_V_TEXT;
	v->s = s;
}

static void set_int(struct ds_value *v, int64_t i)
{
	v->type = DS_V_INT;
	v->i = i;
}

ds_err ds_field_convert(const struct ds_import_col *c, const char *raw,
                        const struct ds_import_opts *opts, struct ds_field_out *out,
                        const char **why)
{
	static _Thread_local char reason[160];
	out->nv = 1;
	memset(out->v, 0, sizeof out->v);
	size_t n = strlen(raw);
	switch (c->type) {
	case DS_COL_ID:
		if (n > (size_t)c->max) {
			snprintf(reason, sizeof reason, "longer than %lld characters",
			         (long long)c->max);
			*why = reason;
			return DS_EINVAL;
		}
		for (size_t i = 0; i < n; i++)
			if (!id_char(raw[i])) {
				*why = "identifier may hold only letters, digits and _ . : -";
				return DS_EINVAL;
			}
		set_text(&out->v[0], raw);
		return DS_OK;
	case DS_COL_TEXT:
		if (ds_utf8_count(raw, n) > (size_t)c->max) {
			snprintf(reason, sizeof reason, "longer than %lld characters",
			         (long long)c->max);
			*why = reason;
			return DS_EINVAL;
		}
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)raw[i] < 0x20 && raw[i] != '\n' && raw[i] != '\t') {
				*why = "control character in text";
				return DS_EINVAL;
			}
		set_text(&out->v[0], raw);
		return DS_OK;
	case DS_COL_INT: {
		int64_t v;
		if (!parse_int(raw, &v)) {
			*why = "not a whole number";
			return DS_EINVAL;
		}
		if (v < c->min || v > c->max) {
			snprintf(reason, sizeof reason, "out of range %lld..%lld",
			         (long long)c->min, (long long)c->max);
			*why = reason;
			return DS_EINVAL;
		}
		set_int(&out->v[0], v);
		return DS_OK;
	}
	case DS_COL_MONEY:
	case DS_COL_PERCENT: {
		ds_fen v;
		if (ds_money_parse(raw, &v)) {
			*why = c->type == DS_COL_MONEY ? "not an amount (plain yuan like 1234.56)"
			                               : "not a percentage (like 18.25)";
			return DS_EINVAL;
		}
		if (v < c->min) {
			*why = c->min > 0 ? "must be greater than zero" : "must not be negative";
			return DS_EINVAL;
		}
		if (v > c->max) {
			char lim[32];
			ds_money_format(c->max, lim, sizeof lim);
			snprintf(reason, sizeof reason, "implausibly large (over %s)", lim);
			*why = reason;
			return DS_EINVAL;
		}
		set_int(&out->v[0], v);
		return DS_OK;
	}
	case DS_COL_DATE: {
		ds_date d;
		if (ds_date_parse(raw, &d)) {
			*why = "not a date (YYYY-MM-DD, a real calendar day, 1900-2199)";
			return DS_EINVAL;
		}
		if ((c->flags & DS_COL_PAST) && opts->today && d > opts->today) {
			*why = "date is in the future";
			return DS_EINVAL;
		}
		ds_date_format(d, out->text);
		set_text(&out->v[0], out->text);
		return DS_OK;
	}
	case DS_COL_DATETIME: {
		ds_time t;
		if (n > 40 || ds_time_parse(raw, opts->timezone, &t)) {
			*why = "not a date-time (YYYY-MM-DDTHH:MM[:SS][Z|+08:00])";
			return DS_EINVAL;
		}
		set_int(&out->v[0], t);
		return DS_OK;
	}
	case DS_COL_LAT:
	case DS_COL_LON: {
		double v;
		if (!parse_degrees(raw, c->type == DS_COL_LAT ? 90 : 180, &v)) {
			*why = c->type == DS_COL_LAT ? "not a latitude (-90..90)"
			                             : "not a longitude (-180..180)";
			return DS_EINVAL;
		}
		out->v[0].type = DS_V_REAL;
		out->v[0].r = v;
		return DS_OK;
	}
	case DS_COL_ENUM:
		if (!in_enum(c->values, raw)) {
			snprintf(reason, sizeof reason, "not one of: %s", c->values);
			*why = reason;
			return DS_EINVAL;
		}
		set_text(&out->v[0], raw);
		return DS_OK;
	case DS_COL_LIST:
		if (n > (size_t)c->max || !token_list(raw)) {
			*why = "not a comma-separated list of lower-case words";
			return DS_EINVAL;
		}
		set_text(&out->v[0], raw);
		return DS_OK;
	case DS_COL_TZ:
		if (!ds_tz_valid(raw)) {
			*why = "not an IANA time zone (like Asia/Shanghai)";
			return DS_EINVAL;
		}
		set_text(&out->v[0], raw);
		return DS_OK;
	case DS_COL_BOOL: {
		static const char *const yes[] = { "1", "true", "yes", "y", "是" };
		static const char *const no[] = { "0", "false", "no", "n", "否" };
		for (int i = 0; i < 5; i++) {
			if (strcmp(raw, yes[i]) == 0) {
				set_int(&out->v[0], 1);
				return DS_OK;
			}
			if (strcmp(raw, no[i]) == 0) {
				set_int(&out->v[0], 0);
				return DS_OK;
			}
		}
		*why = "not a yes/no value (1/0, true/false, yes/no, 是/否)";
		return DS_EINVAL;
	}
	case DS_COL_HHMM: {
		if (n != 5 || raw[2] != ':' || raw[0] < '0' || raw[0] > '2' || raw[1] < '0' ||
		    raw[1] > '9' || raw[3] < '0' || raw[3] > '5' || raw[4] < '0' || raw[4] > '9' ||
		    (raw[0] - '0') * 10 + (raw[1] - '0') > 23) {
			*why = "not a time of day (HH:MM)";
			return DS_EINVAL;
		}
		set_text(&out->v[0], raw);
		return DS_OK;
	}
	case DS_COL_POLYGON:
		if (n > (size_t)c->max || !polygon(raw)) {
			*why = "not a boundary ('lon lat;lon lat;...', at least 3 points)";
			return DS_EINVAL;
		}
		set_text(&out->v[0], raw);
		return DS_OK;
	case DS_COL_PHONE:
	case DS_COL_NATID: {
		char norm[32];
		if (c->type == DS_COL_PHONE) {
			if (ds_phone_normalise(raw, norm, sizeof norm, why))
				return DS_EINVAL;
		} else {
			if (ds_national_id_check(raw, why))
				return DS_EINVAL;
			ds_strlcpy(norm, raw, sizeof norm);
			if (norm[17] == 'x')
				norm[17] = 'X';
		}
		if (!opts->key) {
			*why = "no data-protection key to store personal data";
			return DS_EINVAL;
		}
		ds_pii_hash(opts->key, norm, out->text);
		size_t len;
		if (ds_pii_seal(opts->key, norm, &out->sealed, &len)) {
			*why = "cannot seal value";
			return DS_EINVAL;
		}
		if (c->type == DS_COL_PHONE)
			ds_mask_phone(norm, out->text2, sizeof out->text2);
		else
			ds_strlcpy(out->text2, norm + 14, sizeof out->text2);
		out->nv = 3;
		set_text(&out->v[0], out->text);
		out->v[1].type = DS_V_BLOB;
		out->v[1].s = (const char *)out->sealed;
		out->v[1].n = len;
		set_text(&out->v[2], out->text2);
		return DS_OK;
	}
	}
	*why = "unknown column type";
	return DS_EINVAL;
}

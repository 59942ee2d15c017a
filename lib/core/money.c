/* Money: int64 fen, parsed from and formatted as plain decimal yuan. */
#include "doorstep/core.h"

#include <stdio.h>

#define MAX_YUAN 1000000000000000LL /* 10^15 yuan: far above any account */

ds_err ds_money_parse(const char *s, ds_fen *out)
{
	const char *p = s;
	bool neg = false;
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	if (*p < '0' || *p > '9')
		return DS_EINVAL;
	int64_t yuan = 0;
	while (*p >= '0' && *p <= '9') {
		yuan = yuan * 10 + (*p - '0');
		if (yuan >= MAX_YUAN)
			return DS_EINVAL;
		p++;
	}
	int64_t cents = 0;
	if (*p == '.') {
		p++;
		int digits = 0;
		while (*p >= '0' && *p <= '9') {
			if (++digits > 2)
				return DS_EINVAL;
			cents = cents * 10 + (*p - '0');
			p++;
		}
		if (digits == 0)
			return DS_EINVAL;
		if (digits == 1)
			cents *= 10;
	}
	if (*p != '\0')
		return DS_EINVAL;
	int64_t v = yuan * 100 + cents;
	*out = neg ? -v : v;
	return DS_OK;
}

void ds_money_format(ds_fen fen, char *out, size_t outsz)
{
	/* Work in unsigned magnitude so INT64_MIN cannot overflow. */
	uint64_t mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
	snprintf(out, outsz, "%s%llu.%02llu", fen < 0 ? "-" : "", (unsigned long long)(mag / 100),
	         (unsigned long long)(mag % 100));
}

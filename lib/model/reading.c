/*
 * What the features and the targets both need to read the store fast:
 * growing arrays, dates from text columns (with a cache, as millions of
 * rows repeat a few thousand dates), floor division for instants, and the
 * schedule order.
 */
#include "doorstep/portfolio.h"
#include "doorstep/store.h"
#include "model-int.h"

#include <string.h>

void *model_grown(void *p, long *cap, long need, size_t size)
{
	if (need <= *cap)
		return p;
	long n = *cap ? *cap : 256;
	while (n < need)
		n *= 2;
	void *q = ds_realloc(p, (size_t)n * size);
	if (q)
		*cap = n;
	return q;
}

ds_date model_date_or(ds_stmt *s, int col, ds_date dflt)
{
	ds_date d;
	if (ds_stmt_is_null(s, col) || ds_date_parse(ds_stmt_text(s, col), &d))
		return dflt;
	return d;
}

ds_date model_cached_date(struct model_date_cache *c, ds_stmt *s, int col, ds_date dflt)
{
	const char *t = ds_stmt_text(s, col);
	if (strnlen(t, 11) != 10 || t[4] != '-' || t[7] != '-')
		return model_date_or(s, col, dflt);
	/* the key is the eight digits of YYYY-MM-DD; 0 is an empty entry */
	uint64_t key = 0;
	memcpy(&key, t, 4);
	memcpy((char *)&key + 4, t + 5, 2);
	memcpy((char *)&key + 6, t + 8, 2);
	size_t k = (size_t)(ds_mix64(key) & (MODEL_DATE_CACHE - 1));
	if (c->key[k] == key)
		return c->val[k];
	ds_date d;
	if (ds_date_parse(t, &d))
		return dflt;
	c->key[k] = key;
	c->val[k] = d;
	return d;
}

int64_t model_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int model_by_due(const void *p, const void *q)
{
	ds_date x = ((const struct ds_due *)p)->due, y = ((const struct ds_due *)q)->due;
	return (x > y) - (x < y);
}

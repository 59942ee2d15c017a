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

/* ------------------------------------------------------ interned strings */

uint64_t model_hash_str(const char *s, size_t *len)
{
	uint64_t h = 1469598103934665603ull;
	const char *p = s;
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	*len = (size_t)(p - s);
	return ds_mix64(h);
}

const char *model_strmap_at(const struct model_strmap *m, long i)
{
	return m->arena + m->off[i];
}

long model_strmap_find_h(const struct model_strmap *m, const char *s, size_t len, uint64_t h)
{
	if (!m->nslots)
		return -1;
	for (size_t k = h & (m->nslots - 1);; k = (k + 1) & (m->nslots - 1)) {
		const struct model_slot *sl = &m->slot[k];
		if (sl->idx < 0)
			return -1;
		if (sl->spill
		            ? len >= MODEL_KEY_INLINE && strcmp(model_strmap_at(m, sl->idx), s) == 0
		            : len < MODEL_KEY_INLINE && memcmp(sl->key, s, len + 1) == 0)
			return sl->idx;
	}
}

long model_strmap_find(const struct model_strmap *m, const char *s)
{
	size_t len;
	uint64_t h = model_hash_str(s, &len);
	return model_strmap_find_h(m, s, len, h);
}

static void slot_put(struct model_slot *slots, size_t nslots, const char *s, long i)
{
	size_t len;
	size_t k = model_hash_str(s, &len) & (nslots - 1);
	while (slots[k].idx >= 0)
		k = (k + 1) & (nslots - 1);
	struct model_slot *sl = &slots[k];
	sl->idx = (int32_t)i;
	sl->spill = len >= MODEL_KEY_INLINE;
	if (!sl->spill)
		memcpy(sl->key, s, len + 1);
}

static ds_err strmap_rehash(struct model_strmap *m, size_t nslots)
{
	struct model_slot *slot = ds_malloc(nslots * sizeof *slot);
	if (!slot)
		return DS_ENOMEM;
	for (size_t k = 0; k < nslots; k++)
		slot[k].idx = -1;
	for (long i = 0; i < m->n; i++)
		slot_put(slot, nslots, model_strmap_at(m, i), i);
	ds_free(m->slot);
	m->slot = slot;
	m->nslots = nslots;
	return DS_OK;
}

/* Appends s to the arena without indexing it. */
ds_err model_strmap_push(struct model_strmap *m, const char *s, long *idx)
{
	long n = (long)strlen(s) + 1;
	if (m->len + n > (long)UINT32_MAX || m->n >= INT32_MAX / 2)
		return DS_ETOOBIG;
	char *arena = model_grown(m->arena, &m->cap, m->len + n, 1);
	if (!arena)
		return DS_ENOMEM;
	m->arena = arena;
	uint32_t *off = model_grown(m->off, &m->ncap, m->n + 1, sizeof *off);
	if (!off)
		return DS_ENOMEM;
	m->off = off;
	memcpy(m->arena + m->len, s, (size_t)n);
	m->off[m->n] = (uint32_t)m->len;
	m->len += n;
	*idx = m->n++;
	return DS_OK;
}

/*
 * Indexes every string pushed, at the final size: for the ids of a key
 * column (unique), pushed while reading and indexed once, rather than
 * rehashed each time the table doubles.
 */
ds_err model_strmap_index(struct model_strmap *m)
{
	size_t nslots = 1024;
	while (nslots < (size_t)m->n * 2)
		nslots *= 2;
	return strmap_rehash(m, nslots);
}

/* The index of s, added when new. */
ds_err model_strmap_add(struct model_strmap *m, const char *s, long *idx)
{
	long i = model_strmap_find(m, s);
	if (i >= 0) {
		*idx = i;
		return DS_OK;
	}
	/* at most half full: probes stay short */
	if ((size_t)(m->n + 1) * 2 > m->nslots &&
	    strmap_rehash(m, m->nslots ? m->nslots * 2 : 1024))
		return DS_ENOMEM;
	ds_err err = model_strmap_push(m, s, idx);
	if (!err)
		slot_put(m->slot, m->nslots, s, *idx);
	return err;
}

void model_strmap_free(struct model_strmap *m)
{
	ds_free(m->arena);
	ds_free(m->off);
	ds_free(m->slot);
	memset(m, 0, sizeof *m);
}

/* Capped growable buffers. */
#include "doorstep/core.h"

#include <stdio.h>
#include <string.h>

void ds_buf_init(struct ds_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void ds_buf_free(struct ds_buf *b)
{
	ds_free(b->p);
	ds_buf_init(b, b->max);
}

void ds_buf_reset(struct ds_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

static ds_err reserve(struct ds_buf *b, size_t add)
{
	if (add > b->max || b->len > b->max - add)
		return DS_ETOOBIG;
	size_t need = b->len + add + 1;
	if (need <= b->cap)
		return DS_OK;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	char *p = ds_realloc(b->p, cap);
	if (!p)
		return DS_ENOMEM;
	b->p = p;
	b->cap = cap;
	return DS_OK;
}

ds_err ds_buf_add(struct ds_buf *b, const void *data, size_t n)
{
	ds_err e = reserve(b, n);
	if (e)
		return e;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return DS_OK;
}

ds_err ds_buf_adds(struct ds_buf *b, const char *s)
{
	return ds_buf_add(b, s, strlen(s));
}

ds_err ds_buf_vaddf(struct ds_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return DS_EINVAL;
	ds_err e = reserve(b, (size_t)n);
	if (e)
		return e;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return DS_OK;
}

ds_err ds_buf_addf(struct ds_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ds_err e = ds_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return e;
}

size_t ds_strlcpy(char *dst, const char *src, size_t dstsz)
{
	size_t n = strlen(src);
	if (dstsz) {
		size_t c = n < dstsz - 1 ? n : dstsz - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

/*
 * The allocator seam: every allocation of the library goes through here, so
 * tests can make the N-th allocation fail and check that nothing crashes or
 * leaks.
 */
#include "doorstep/core.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown = -1;

void ds_alloc_fail_after(long n)
{
	atomic_store(&fail_countdown, n);
}

static bool injected_failure(void)
{
	long n = atomic_load(&fail_countdown);
	while (n >= 0) {
		if (n == 0)
			return true;
		if (atomic_compare_exchange_weak(&fail_countdown, &n, n - 1))
			return false;
	}
	return false;
}

void *ds_malloc(size_t n)
{
	if (injected_failure())
		return NULL;
	return malloc(n ? n : 1);
}

void *ds_calloc(size_t count, size_t size)
{
	if (injected_failure())
		return NULL;
	return calloc(count ? count : 1, size ? size : 1);
}

void *ds_realloc(void *p, size_t n)
{
	if (injected_failure())
		return NULL;
	return realloc(p, n ? n : 1);
}

void ds_free(void *p)
{
	free(p);
}

char *ds_strndup(const char *s, size_t n)
{
	char *d = ds_malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

ds_err ds_grow(void **p, long *cap, long n, size_t size, long first, struct ds_diag *diag)
{
	if (n < *cap)
		return DS_OK;
	long c = *cap > 0 ? *cap * 2 : first;
	if (c <= n)
		c = n + 1;
	void *q = ds_realloc(*p, (size_t)c * size);
	if (!q)
		return diag ? ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory")
		            : DS_ENOMEM;
	*p = q;
	*cap = c;
	return DS_OK;
}

char *ds_strdup(const char *s)
{
	return ds_strndup(s, strlen(s));
}

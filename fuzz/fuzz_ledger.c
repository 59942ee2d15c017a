/*
 * libFuzzer target: the account ledger's packed lists (store.h), as a
 * damaged database could hand them over (at most 64 KiB). Properties:
 *
 *  - decoding stays inside the bytes (ASan) and ends in an item count, the
 *    end (0) or "damaged" (-1), never anything else;
 *  - a list that decodes to its end has exactly the count it announced, its
 *    days never go backwards after the first, and its amounts are >= 0;
 *  - such a list, written again with the shortest varints (an encoder kept
 *    here, independent of the store's), is no longer than the input and
 *    decodes to the same items.
 */
#include "doorstep/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (64 * 1024)

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "fuzz_ledger: property failed: %s (%s:%d)\n", #cond, \
			        __FILE__, __LINE__);                                         \
			abort();                                                             \
		}                                                                            \
	} while (0)

static size_t put(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	struct ds_ledger_iter it;
	long count = -1;
	if (ds_ledger_begin(&it, data, size, &count) != DS_OK)
		return 0;
	CHECK(count >= 0 && (size_t)count <= size);
	ds_date *day = malloc(((size_t)count + 1) * sizeof *day);
	ds_fen *fen = malloc(((size_t)count + 1) * sizeof *fen);
	uint8_t *again = malloc(10 + (size_t)count * 20);
	CHECK(day && fen && again);
	long n = 0;
	int r;
	while ((r = ds_ledger_next(&it, &day[n], &fen[n])) > 0) {
		CHECK(r == 1 && n < count);
		CHECK(fen[n] >= 0);
		CHECK(n == 0 || day[n] >= day[n - 1]);
		n++;
	}
	CHECK(r == 0 || r == -1);
	if (r == 0) {
		CHECK(n == count);
		size_t len = put(again, (uint64_t)n);
		for (long k = 0; k < n; k++) {
			uint64_t d = k == 0 ? ((uint64_t)(int64_t)day[0] << 1) ^
			                              (uint64_t)((int64_t)day[0] >> 63)
			                    : (uint64_t)((int64_t)day[k] - day[k - 1]);
			len += put(again + len, d);
			len += put(again + len, (uint64_t)fen[k]);
		}
		/* an empty input is the empty list, written as one zero byte */
		CHECK(len <= size || (size == 0 && n == 0));
		struct ds_ledger_iter it2;
		long count2 = -1;
		CHECK(ds_ledger_begin(&it2, again, len, &count2) == DS_OK && count2 == n);
		ds_date d2;
		ds_fen f2;
		for (long k = 0; k < n; k++) {
			CHECK(ds_ledger_next(&it2, &d2, &f2) == 1);
			CHECK(d2 == day[k] && f2 == fen[k]);
		}
		CHECK(ds_ledger_next(&it2, &d2, &f2) == 0);
	}
	free(day);
	free(fen);
	free(again);
	return 0;
}

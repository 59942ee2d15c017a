/*
 * doorstep core: errors, diagnostics, the allocator seam, capped buffers,
 * money (int64 fen), civil dates, instants (UTC) and IANA time zones, UTF-8,
 * and the protection of personal data (keyed hashes, sealing, masking).
 *
 * Every fallible function returns ds_err (0 = DS_OK) and hands results back
 * through out-parameters. The library never aborts on bad input or on
 * out-of-memory.
 */
#ifndef DOORSTEP_CORE_H
#define DOORSTEP_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DS_VERSION "0.1.0"

/* ------------------------------------------------------------------ errors */

typedef enum ds_err {
	DS_OK = 0,
	DS_ENOMEM,    /* out of memory */
	DS_EINVAL,    /* invalid argument or value */
	DS_EIO,       /* file or device error */
	DS_ETOOBIG,   /* input over a hard size cap */
	DS_EENCODING, /* invalid text encoding */
	DS_EREJECT,   /* input rejected (bad rows); details in diagnostics */
	DS_ENOTFOUND, /* no such record */
	DS_ESTORE,    /* storage engine failure */
	DS_EBUSY,     /* storage busy or locked past the timeout */
	DS_ESCHEMA,   /* database schema missing, too old or too new */
	DS_ECONFIG,   /* configuration file or setting invalid */
	DS_ECRYPTO,   /* key missing or cryptographic failure */
	DS_EUSAGE,    /* wrong use of a command */
	DS_ERR_COUNT_
} ds_err;

/* A short English name for the code; never NULL. */
const char *ds_strerror(ds_err err);

/*
 * Context for an error, owned by the caller: where in which input and why.
 * `line` 0 and empty strings mean "not applicable".
 */
struct ds_diag {
	char file[256];
	long line;
	char field[64];
	char msg[512];
};

/* Clears every part of *d. d may be NULL. */
void ds_diag_clear(struct ds_diag *d);
/* Fills *d (if not NULL); file and field may be NULL. Returns err. */
ds_err ds_diag_set(struct ds_diag *d, ds_err err, const char *file, long line, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Writes "file:line:field: msg" (parts present only) into out. */
void ds_diag_format(const struct ds_diag *d, char *out, size_t outsz);

/* ------------------------------------------------------- allocator seam */

void *ds_malloc(size_t n);
void *ds_calloc(size_t count, size_t size);
void *ds_realloc(void *p, size_t n);
void ds_free(void *p);
/* Copy of s (NULL if out of memory); free with ds_free. */
char *ds_strdup(const char *s);
char *ds_strndup(const char *s, size_t n);
/*
 * Room for element n of an array *p of *cap elements of `size` bytes: the
 * array doubled (from `first`) when n is not below *cap. DS_ENOMEM, said
 * in diag (when given), with the array kept as it was when it cannot grow.
 */
ds_err ds_grow(void **p, long *cap, long n, size_t size, long first, struct ds_diag *diag);
/*
 * Fault injection for tests: after `n` more successful allocations every
 * allocation fails. n < 0 switches injection off (the default).
 */
void ds_alloc_fail_after(long n);

/* ----------------------------------------------------- capped text buffer */

/* A growable byte buffer that refuses to grow past `max` (curl's dynbuf). */
struct ds_buf {
	char *p; /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;
};

void ds_buf_init(struct ds_buf *b, size_t max);
void ds_buf_free(struct ds_buf *b);
void ds_buf_reset(struct ds_buf *b);
/* DS_ETOOBIG if the result would exceed max; the buffer is then unchanged. */
ds_err ds_buf_add(struct ds_buf *b, const void *data, size_t n);
ds_err ds_buf_adds(struct ds_buf *b, const char *s);
ds_err ds_buf_addf(struct ds_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
ds_err ds_buf_vaddf(struct ds_buf *b, const char *fmt, va_list ap);

/* Bounded copy; always terminates dst when dstsz > 0. Returns strlen(src). */
size_t ds_strlcpy(char *dst, const char *src, size_t dstsz);

/* ------------------------------------------------------------------ money */

/* Money is int64 fen (0.01 yuan). */
typedef int64_t ds_fen;

/*
 * Parses a plain decimal amount in yuan ("1234", "1234.5", "-0.75") into fen.
 * No thousands separators, currency signs or exponents; at most two decimals;
 * |value| below 10^15 yuan. DS_EINVAL otherwise.
 */
ds_err ds_money_parse(const char *s, ds_fen *out);
/* Formats fen as yuan with two decimals ("1234.56"). */
void ds_money_format(ds_fen fen, char *out, size_t outsz);

/* ------------------------------------------------------------- civil dates */

/* A civil (calendar) date as days since 1970-01-01, proleptic Gregorian. */
typedef int32_t ds_date;

ds_date ds_date_from_ymd(int y, int m, int d);
void ds_date_to_ymd(ds_date date, int *y, int *m, int *d);
bool ds_date_valid_ymd(int y, int m, int d);
int ds_days_in_month(int y, int m);
/* Parses exactly "YYYY-MM-DD" (years 1900..2199). */
ds_err ds_date_parse(const char *s, ds_date *out);
/* Writes "YYYY-MM-DD" (needs 11 bytes). */
void ds_date_format(ds_date date, char out[static 11]);
/* Same day-of-month `months` later, clamped to the month's end. */
ds_date ds_date_add_months(ds_date date, int months);
/* Today's date in the given IANA zone. */
ds_err ds_date_today(const char *zone, ds_date *out);

/* ------------------------------------------------- instants and time zones */

/* Instants are UTC epoch seconds. */
typedef int64_t ds_time;

/* A local wall-clock reading in some zone. */
struct ds_civil_time {
	int year, month, day, hour, minute, second;
	int utc_offset_s; /* offset of this reading from UTC */
};

/* True when `zone` names an IANA zone known to the system's tz database. */
bool ds_tz_valid(const char *zone);
/* UTC instant -> wall clock in zone. */
ds_err ds_tz_to_local(const char *zone, ds_time t, struct ds_civil_time *out);
/*
 * Wall clock in zone -> UTC instant. A time skipped by a DST change is
 * resolved forward; an ambiguous one takes the earlier instant.
 */
ds_err ds_tz_from_local(const char *zone, int y, int mo, int d, int h, int mi, int s, ds_time *out);
/*
 * Parses ISO 8601 "YYYY-MM-DD[T ]HH:MM[:SS][Z|+HH:MM|-HH:MM]" or a bare date
 * (midnight). Without an offset the reading is taken in `zone`.
 */
ds_err ds_time_parse(const char *s, const char *zone, ds_time *out);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (needs 21 bytes). */
void ds_time_format_utc(ds_time t, char out[static 21]);

/* ---------------------------------------------------------------- hashing */

/* A 64-bit finaliser (splitmix64's): spreads every input bit over the
 * output. For stable assignments and reproducible draws, not security. */
static inline uint64_t ds_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* A fast reproducible generator, xoshiro256** seeded through splitmix64:
 * for the simulator and the route solver's searches, never for secrets. */
struct ds_rng {
	uint64_t s[4];
};
void ds_rng_seed(struct ds_rng *r, uint64_t seed);
uint64_t ds_rng_next(struct ds_rng *r);
/* Uniform in [0, 1), 53 bits. */
double ds_rng_uniform(struct ds_rng *r);

/* ------------------------------------------------------------------ UTF-8 */

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool ds_utf8_valid(const char *s, size_t n);
/* Number of code points in well-formed UTF-8. */
size_t ds_utf8_count(const char *s, size_t n);

/* ------------------------------------------------------- personal data */

/*
 * National ID numbers and phone numbers are never stored in the clear:
 *  - a keyed hash (BLAKE2b-256 under the PII key, hex) so equal values match;
 *  - a sealed copy (XChaCha20-Poly1305 under the same key) for the few roles
 *    allowed to see it unmasked;
 *  - a masked form for everyone else.
 * The key lives in a file outside the database (see docs/data-protection.md).
 */
#define DS_PII_KEYBYTES 32
#define DS_PII_HASH_HEX 65 /* 64 hex digits + NUL */

struct ds_pii_key {
	unsigned char k[DS_PII_KEYBYTES];
};

/* Reads a key file; creates it (mode 0600) when absent and `create` holds. */
ds_err ds_pii_key_load(const char *path, bool create, struct ds_pii_key *key, struct ds_diag *diag);
void ds_pii_hash(const struct ds_pii_key *key, const char *value, char out[static DS_PII_HASH_HEX]);
/* Seals value; *out (ds_malloc'd, caller frees) has *outlen bytes. */
ds_err ds_pii_seal(const struct ds_pii_key *key, const char *value, unsigned char **out,
                   size_t *outlen);
/* Opens a sealed value into a new NUL-terminated string (caller frees). */
ds_err ds_pii_open(const struct ds_pii_key *key, const unsigned char *sealed, size_t len,
                   char **out);

/* Validates a PRC resident ID (18 chars, birth date, ISO 7064 check digit). */
ds_err ds_national_id_check(const char *id, const char **why);
/* Normalises a phone number (drops spaces, dashes, +86); checks its shape. */
ds_err ds_phone_normalise(const char *in, char *out, size_t outsz, const char **why);
/* "138****1234"; "****" when too short. */
void ds_mask_phone(const char *phone, char *out, size_t outsz);
/* "**************1234" style: only the last four characters. */
void ds_mask_national_id(const char *id, char *out, size_t outsz);
/* "张*", "欧阳**": the first code point, then one '*' per remaining one. */
void ds_mask_name(const char *name, char *out, size_t outsz);

#endif

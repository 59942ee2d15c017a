/*
 * Line reader for import files: encoding detection and conversion, line
 * caps, and a SHA-256 of the raw bytes for the import record.
 */
#include "ingest-int.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define BLOCK  (256u * 1024u)
#define BUFCAP (DS_INGEST_MAX_LINE + BLOCK)

struct ds_reader {
	FILE *fp;
	char *buf;       /* raw bytes */
	size_t pos, end; /* unread window of buf */
	bool eof;
	long lineno;
	uint64_t done, size;
	bool gb; /* convert from GB18030 */
	char encoding[16];
	iconv_t cd;
	char *conv; /* converted line */
	size_t convcap;
	struct hasher *hash;
	char digest[65]; /* once the hash is final */
};

/* ----------------------------------------------------------- hashing */

/*
 * The file's SHA-256 is computed on another core while this one parses:
 * blocks are copied into a small ring the hashing thread drains. If the
 * thread cannot start, hashing happens inline.
 */
#define RING 4

struct hasher {
	crypto_hash_sha256_state sha;
	pthread_t thread;
	bool threaded, done;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *slot[RING];
	size_t len[RING];
	int head, count;
};

static void *hash_loop(void *arg)
{
	struct hasher *h = arg;
	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (h->count == 0 && !h->done)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->count == 0)
			break;
		int i = h->head;
		pthread_mutex_unlock(&h->mu);
		crypto_hash_sha256_update(&h->sha, h->slot[i], h->len[i]);
		pthread_mutex_lock(&h->mu);
		h->head = (h->head + 1) % RING;
		h->count--;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static struct hasher *hasher_new(void)
{
	struct hasher *h = ds_calloc(1, sizeof *h);
	if (!h)
		return NULL;
	crypto_hash_sha256_init(&h->sha);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	bool ok = true;
	for (int i = 0; i < RING && ok; i++)
		ok = (h->slot[i] = ds_malloc(BLOCK)) != NULL;
	h->threaded = ok && pthread_create(&h->thread, NULL, hash_loop, h) == 0;
	return h;
}

static void hasher_add(struct hasher *h, const void *data, size_t n)
{
	if (!h->threaded) {
		crypto_hash_sha256_update(&h->sha, data, n);
		return;
	}
	pthread_mutex_lock(&h->mu);
	while (h->count == RING)
		pthread_cond_wait(&h->cv, &h->mu);
	int i = (h->head + h->count) % RING;
	memcpy(h->slot[i], data, n);
	h->len[i] = n;
	h->count++;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

/* Waits for the thread and writes the hex digest. */
static void hasher_end(struct hasher *h, char out[65])
{
	if (h->threaded) {
		pthread_mutex_lock(&h->mu);
		h->done = true;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->thread, NULL);
		h->threaded = false;
	}
	unsigned char d[32];
	crypto_hash_sha256_final(&h->sha, d);
	sodium_bin2hex(out, 65, d, sizeof d);
}

static void hasher_free(struct hasher *h)
{
	if (!h)
		return;
	if (h->threaded) {
		char ignore[65];
		hasher_end(h, ignore);
	}
	for (int i = 0; i < RING; i++)
		ds_free(h->slot[i]);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	ds_free(h);
}

static ds_err fill(struct ds_reader *r)
{
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->end -= r->pos;
		r->pos = 0;
	}
	while (!r->eof && BUFCAP - r->end >= BLOCK) {
		size_t n = fread(r->buf + r->end, 1, BLOCK, r->fp);
		if (n == 0) {
			if (ferror(r->fp))
				return DS_EIO;
			r->eof = true;
			break;
		}
		if (!r->digest[0])
			hasher_add(r->hash, r->buf + r->end, n);
		r->end += n;
		if (n < BLOCK && feof(r->fp))
			r->eof = true;
		break;
	}
	return DS_OK;
}

/* UTF-8 unless the first block is not valid UTF-8 (ignoring a character cut
 * at the block's end). */
static bool looks_utf8(const char *p, size_t n)
{
	size_t cut = n;
	for (size_t k = 0; k < 4 && k < n; k++) {
		unsigned char c = (unsigned char)p[n - 1 - k];
		if ((c & 0xC0) == 0x80)
			continue;
		if (c >= 0xC0)
			cut = n - 1 - k; /* a lead byte near the end: check before it */
		break;
	}
	return ds_utf8_valid(p, cut);
}

ds_err ds_reader_open(const char *path, const char *encoding, struct ds_reader **out,
                      struct ds_diag *diag)
{
	struct ds_reader *r = ds_calloc(1, sizeof *r);
	if (!r)
		return ds_diag_set(diag, DS_ENOMEM, path, 0, NULL, "out of memory");
	r->cd = (iconv_t)-1;
	if (sodium_init() < 0) {
		ds_free(r);
		return ds_diag_set(diag, DS_ECRYPTO, path, 0, NULL, "libsodium failed");
	}
	r->fp = fopen(path, "rb");
	if (!r->fp) {
		ds_err e = ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot open: %s",
		                       strerror(errno));
		ds_free(r);
		return e;
	}
	r->hash = hasher_new();
	if (!r->hash) {
		ds_reader_close(r);
		return ds_diag_set(diag, DS_ENOMEM, path, 0, NULL, "out of memory");
	}
	struct stat sb;
	if (fstat(fileno(r->fp), &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			ds_reader_close(r);
			return ds_diag_set(diag, DS_EIO, path, 0, NULL, "is a directory");
		}
		r->size = (uint64_t)sb.st_size;
	}
	r->buf = ds_malloc(BUFCAP);
	if (!r->buf) {
		ds_reader_close(r);
		return ds_diag_set(diag, DS_ENOMEM, path, 0, NULL, "out of memory");
	}
	if (fill(r)) {
		ds_reader_close(r);
		return ds_diag_set(diag, DS_EIO, path, 0, NULL, "read error: %s", strerror(errno));
	}
	bool bom = r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0;
	if (!encoding || strcasecmp(encoding, "auto") == 0) {
		r->gb = !bom && !looks_utf8(r->buf, r->end);
		ds_strlcpy(r->encoding, r->gb ? "gb18030" : "utf-8", sizeof r->encoding);
	} else if (strcasecmp(encoding, "utf-8") == 0 || strcasecmp(encoding, "utf8") == 0) {
		ds_strlcpy(r->encoding, "utf-8", sizeof r->encoding);
	} else if (strcasecmp(encoding, "gbk") == 0 || strcasecmp(encoding, "gb18030") == 0 ||
	           strcasecmp(encoding, "gb2312") == 0) {
		/* GB18030 decodes GBK and GB2312 as well: they are its subsets. */
		r->gb = true;
		ds_strlcpy(r->encoding, encoding, sizeof r->encoding);
	} else {
		ds_reader_close(r);
		return ds_diag_set(diag, DS_EUSAGE, path, 0, NULL,
		                   "unknown encoding '%s' (use auto, utf-8, gbk or gb18030)",
		                   encoding);
	}
	if (bom && !r->gb)
		r->pos = 3;
	if (r->gb) {
		r->cd = iconv_open("UTF-8", "GB18030");
		if (r->cd == (iconv_t)-1) {
			ds_reader_close(r);
			return ds_diag_set(diag, DS_EENCODING, path, 0, NULL,
			                   "this system cannot convert GB18030");
		}
	}
	*out = r;
	return DS_OK;
}

static ds_err convert(struct ds_reader *r, const char *in, size_t n, const char **line, size_t *len)
{
	size_t need = n * 2 + 8; /* GB18030 -> UTF-8 grows at most 1.5x */
	if (need > r->convcap) {
		char *p = ds_realloc(r->conv, need);
		if (!p)
			return DS_ENOMEM;
		r->conv = p;
		r->convcap = need;
	}
	char *src = (char *)in, *dst = r->conv;
	size_t srcleft = n, dstleft = r->convcap;
	iconv(r->cd, NULL, NULL, NULL, NULL);
	if (iconv(r->cd, &src, &srcleft, &dst, &dstleft) == (size_t)-1) {
		/* Report where the bad bytes are, as hex, so they can be found. */
		size_t at = n - srcleft;
		snprintf(r->conv, r->convcap, "invalid GB18030 bytes at byte %zu: %02X%s", at + 1,
		         (unsigned char)in[at], srcleft > 1 ? " ..." : "");
		*line = r->conv;
		*len = strlen(r->conv);
		return DS_EENCODING;
	}
	*line = r->conv;
	*len = r->convcap - dstleft;
	return DS_OK;
}

ds_err ds_reader_next(struct ds_reader *r, const char **line, size_t *len, long *lineno)
{
	for (;;) {
		char *nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
		if (!nl && !r->eof && r->end - r->pos < DS_INGEST_MAX_LINE) {
			if (fill(r))
				return DS_EIO;
			continue;
		}
		size_t avail = r->end - r->pos;
		if (avail == 0 && r->eof)
			return DS_ENOTFOUND;
		size_t n = nl ? (size_t)(nl - (r->buf + r->pos)) + 1 : avail;
		*lineno = ++r->lineno;
		if (n > DS_INGEST_MAX_LINE || (!nl && !r->eof)) {
			/* Too long: skip to the end of this line. */
			if (nl) {
				r->pos += n;
				r->done += n;
				return DS_ETOOBIG;
			}
			for (;;) {
				r->pos = r->end;
				if (fill(r))
					return DS_EIO;
				char *e = memchr(r->buf, '\n', r->end);
				if (e) {
					r->pos = (size_t)(e - r->buf) + 1;
					break;
				}
				if (r->eof) {
					r->pos = r->end;
					break;
				}
			}
			r->done += n;
			return DS_ETOOBIG;
		}
		const char *raw = r->buf + r->pos;
		r->pos += n;
		r->done += n;
		if (r->gb)
			return convert(r, raw, n, line, len);
		if (!ds_utf8_valid(raw, n)) {
			*line = "invalid UTF-8 byte sequence (is the file GBK? try --encoding gbk)";
			*len = strlen(*line);
			return DS_EENCODING;
		}
		*line = raw;
		*len = n;
		return DS_OK;
	}
}

const char *ds_reader_encoding(const struct ds_reader *r)
{
	return r->encoding;
}
uint64_t ds_reader_done(const struct ds_reader *r)
{
	return r->done;
}
uint64_t ds_reader_size(const struct ds_reader *r)
{
	return r->size;
}

void ds_reader_sha256(struct ds_reader *r, char out[65])
{
	/* The first call ends the hash: bytes read later are not covered. */
	if (!r->digest[0])
		hasher_end(r->hash, r->digest);
	memcpy(out, r->digest, 65);
}

void ds_reader_close(struct ds_reader *r)
{
	if (!r)
		return;
	if (r->fp)
		fclose(r->fp);
	if (r->cd != (iconv_t)-1)
		iconv_close(r->cd);
	hasher_free(r->hash);
	ds_free(r->buf);
	ds_free(r->conv);
	ds_free(r);
}

/*
 * The audit log's hash chain: the one function that hashes an entry (used
 * by ds_store_audit to write and by ds_store_audit_verify to check), the
 * chain's head kept in store_meta, and the verification.
 *
 * Each entry's hash covers the previous entry's hash and every field but
 * seq, so an edited entry no longer matches its hash, a removed or added
 * one breaks the links or the numbering, and entries removed at the end
 * leave the log shorter than its recorded head. The chain carries no key:
 * it shows tampering by anyone who does not rewrite it all (and the head)
 * afterwards, which is what an audit log inside the database can promise.
 */
#include "doorstep/store.h"
#include "store-int.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------- hashing */

/* See store-int.h: an entry's hash from the previous hash and its fields. */
void ds_audit_hash(const char *prev, int64_t at, const char *actor, const char *action,
                   const char *entity, const char *entity_id, const char *detail,
                   char out[static 65])
{
	/* Every field is length-prefixed so that no two different entries hash
	 * alike by moving text across a separator. The layout (a native
	 * uint32 length, then the bytes; the time as decimal text; detail
	 * last) is what every database written so far was chained with: it
	 * must not change. */
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	char num[32];
	snprintf(num, sizeof num, "%lld", (long long)at);
	const char *parts[7] = {
		prev, num, actor, action, entity, entity_id ? entity_id : "", detail ? detail : ""
	};
	for (int i = 0; i < 7; i++) {
		uint32_t n = (uint32_t)strlen(parts[i]);
		crypto_hash_sha256_update(&h, (const unsigned char *)&n, sizeof n);
		crypto_hash_sha256_update(&h, (const unsigned char *)parts[i], n);
	}
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, digest);
	sodium_bin2hex(out, 65, digest, sizeof digest);
}

/* -------------------------------------------------------------- head */

static bool is_hex64(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 64;
}

/* See store-int.h: the head recorded in store_meta, if any and readable. */
ds_err ds_audit_head_get(ds_store *st, int64_t *seq, char hash[static 65], bool *found,
                         bool *readable, struct ds_diag *diag)
{
	char v[128];
	*seq = 0;
	hash[0] = '\0';
	*readable = false;
	ds_err err = ds_store_meta_get(st, DS_AUDIT_HEAD, v, sizeof v, found, diag);
	if (err || !*found)
		return err;
	char *colon = strchr(v, ':'), *end = NULL;
	if (!colon)
		return DS_OK;
	*colon = '\0';
	long long n = strtoll(v, &end, 10);
	if (end == v || *end || n < 1 || !is_hex64(colon + 1))
		return DS_OK;
	*seq = (int64_t)n;
	ds_strlcpy(hash, colon + 1, 65);
	*readable = true;
	return DS_OK;
}

/* See store-int.h: records "SEQ:HASH", inside the appending transaction. */
ds_err ds_audit_head_set(ds_store *st, int64_t seq, const char *hash, struct ds_diag *diag)
{
	char v[96];
	snprintf(v, sizeof v, "%lld:%s", (long long)seq, hash);
	return ds_store_meta_set(st, DS_AUDIT_HEAD, v, diag);
}

/* ------------------------------------------------------ verification */

static void broken(struct ds_audit_check *out, long seq, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void broken(struct ds_audit_check *out, long seq, const char *fmt, ...)
{
	out->intact = false;
	out->first_bad_seq = seq;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->problem, sizeof out->problem, fmt, ap);
	va_end(ap);
}

/* Walks the entries in seq order, stopping at the first break. */
static ds_err walk(ds_store *st, struct ds_audit_check *out, long *last, char prev[static 65],
                   struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT seq, at, actor, action, entity, entity_id, detail,"
	                              " prev_hash, hash FROM audit_log ORDER BY seq",
	                              &s, diag);
	if (err)
		return err;
	ds_strlcpy(prev, DS_AUDIT_GENESIS, 65);
	long expect = 1;
	bool row;
	while (out->intact && !(err = ds_stmt_step(s, &row, diag)) && row) {
		long seq = (long)ds_stmt_int(s, 0);
		out->entries++;
		if (seq > expect) {
			if (expect == 1 && seq == 2)
				broken(out, 1, "entry 1 missing (deleted): the log begins at 2");
			else if (expect == 1)
				broken(out, 1,
				       "entries 1 to %ld missing (deleted): the log begins at %ld",
				       seq - 1, seq);
			else if (seq == expect + 1)
				broken(out, expect,
				       "entry %ld missing (deleted): the log goes from %ld to %ld",
				       expect, expect - 1, seq);
			else
				broken(out, expect,
				       "entries %ld to %ld missing (deleted): the log goes from "
				       "%ld to "
				       "%ld",
				       expect, seq - 1, expect - 1, seq);
			break;
		}
		if (seq < expect) {
			broken(out, seq, "entry %ld out of sequence (inserted)", seq);
			break;
		}
		if (strcmp(ds_stmt_text(s, 7), prev) != 0) {
			if (seq == 1)
				broken(out, seq,
				       "entry 1 does not start the chain (an entry inserted before "
				       "it)");
			else
				broken(out, seq,
				       "entry %ld does not link to entry %ld (an entry inserted, "
				       "replaced or reordered)",
				       seq, seq - 1);
			break;
		}
		char hex[65];
		ds_audit_hash(prev, ds_stmt_int(s, 1), ds_stmt_text(s, 2), ds_stmt_text(s, 3),
		              ds_stmt_text(s, 4), ds_stmt_text(s, 5), ds_stmt_text(s, 6), hex);
		if (strcmp(hex, ds_stmt_text(s, 8)) != 0) {
			broken(out, seq, "entry %ld: its hash does not match its contents (edited)",
			       seq);
			break;
		}
		ds_strlcpy(prev, hex, 65);
		*last = seq;
		expect = seq + 1;
	}
	ds_stmt_done(s);
	return err;
}

/*
 * See store.h. Reads only. An error (DS_E*) only when the database cannot
 * be read; a broken chain is DS_OK with out->intact false. When intact,
 * out->problem may still hold a note: the head not recorded yet (a
 * database from before it was kept).
 */
ds_err ds_store_audit_verify(ds_store *st, struct ds_audit_check *out, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	out->intact = true;
	/* One read transaction for the head and the entries: an append made
	 * meanwhile by another connection would otherwise look like entries
	 * deleted at the end. A savepoint works inside a caller's transaction
	 * too. PostgreSQL begins no transaction at a savepoint, and a
	 * snapshot for the whole walk needs REPEATABLE READ: outside a
	 * transaction it opens a read-only one of that level. */
	bool snapshot = DS_ON_PG(st) && !ds_pg_in_txn(st);
	ds_err err = ds_store_exec(st,
	                           snapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	                                    : "SAVEPOINT audit_verify",
	                           diag);
	if (err)
		return err;
	int64_t head_seq = 0;
	char head_hash[65];
	bool head = false, readable = false;
	long last = 0;
	char last_hash[65]; /* the walk checked it: stored and recomputed agree */
	if (!(err = ds_audit_head_get(st, &head_seq, head_hash, &head, &readable, diag)))
		err = walk(st, out, &last, last_hash, diag);
	ds_store_exec(st, snapshot ? "COMMIT" : "RELEASE audit_verify", NULL);
	if (err || !out->intact)
		return err;
	if (!head) {
		/* Databases written before the head was kept: the chain is all
		 * there is to check, and the next entry records the head. */
		snprintf(out->problem, sizeof out->problem,
		         "the chain's head is not recorded yet (a database from before it was "
		         "kept): entries deleted at the end cannot be told until the next entry "
		         "records it");
	} else if (!readable) {
		broken(out, last + 1,
		       "the chain's recorded head is unreadable (store_meta edited)");
	} else if (last < head_seq) {
		if (last == 0)
			broken(out, 1,
			       "the log is empty but its head was %" PRId64 " (entries deleted)",
			       head_seq);
		else
			broken(out, last + 1,
			       "the log ends at %ld but its head was %" PRId64
			       " (entries deleted at the end)",
			       last, head_seq);
	} else if (last > head_seq) {
		broken(out, (long)head_seq + 1,
		       "the log goes on to %ld past its recorded head %" PRId64
		       " (entries added outside doorstep)",
		       last, head_seq);
	} else if (strcmp(last_hash, head_hash) != 0) {
		broken(out, last, "entry %ld differs from the recorded head (replaced)", last);
	}
	return DS_OK;
}

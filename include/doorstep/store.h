/*
 * The store: the only way doorstep touches its data.
 *
 * Callers speak portable SQL with '?' placeholders through prepared
 * statements, and write imported rows through ds_store_put(), which knows how
 * to upsert by a table's natural key. Which engine sits behind (SQLite now,
 * PostgreSQL later) is the backend's business: nothing here names one.
 */
#ifndef DOORSTEP_STORE_H
#define DOORSTEP_STORE_H

#include "doorstep/core.h"

typedef struct ds_store ds_store;
typedef struct ds_stmt ds_stmt;

/* How a store is opened. Zero-initialise, then set what you need. */
struct ds_store_opts {
	int busy_timeout_ms; /* 0: 5000 */
	int cache_mib;       /* page cache; 0: 64 MiB */
	const char *actor;   /* who is acting, for the audit log; NULL: "system" */
	bool for_init;       /* allow a missing or older schema (doorstep init) */
};

/*
 * Opens (creating the file if needed) the database at `location`, a path for
 * SQLite. Unless opts->for_init, the schema must be exactly the one this
 * build knows: a newer one is refused, an older one asks for `doorstep init`.
 * On success *out is owned by the caller (ds_store_close).
 */
ds_err ds_store_open(const char *location, const struct ds_store_opts *opts, ds_store **out,
                     struct ds_diag *diag);
void ds_store_close(ds_store *st);
/*
 * Another connection to the same database file, for reading on a second
 * thread (a connection is never used by two threads at once). DS_EINVAL
 * for a database that lives only in memory. Close it with ds_store_close.
 */
ds_err ds_store_open_reader(ds_store *st, ds_store **out, struct ds_diag *diag);

/* Applies every pending migration, each in its own transaction. */
ds_err ds_store_migrate(ds_store *st, int *applied, struct ds_diag *diag);
/* The schema version of the open database (0: empty). */
int ds_store_schema_version(ds_store *st);
/* The newest schema version this build knows. */
int ds_store_schema_latest(void);
/* The acting user given at open. */
const char *ds_store_actor(const ds_store *st);

/* ------------------------------------------------------------ transactions */

/* Begins a write transaction (taking the write lock at once). */
ds_err ds_store_begin(ds_store *st, struct ds_diag *diag);
ds_err ds_store_commit(ds_store *st, struct ds_diag *diag);
/* Rolls back the open transaction, if any. Never fails visibly. */
void ds_store_rollback(ds_store *st);

/* ---------------------------------------------------------- statements */

/*
 * Prepares `sql` (portable SQL, '?' placeholders). Statements are cached by
 * text: preparing the same SQL again is cheap. Hand it back with
 * ds_stmt_done(); never free it.
 */
ds_err ds_store_prepare(ds_store *st, const char *sql, ds_stmt **out, struct ds_diag *diag);
/*
 * Whether this connection's commits wait for the disk (wait: the default)
 * or are made durable by the next commit that does, or a checkpoint — for
 * records whose loss in a power cut leaves a gap at the tail, never a
 * wrong or half-written record: the audit of reads (docs/storage.md,
 * "Durability"). Every commit stays atomic. SQLite: synchronous FULL or
 * NORMAL (WAL); PostgreSQL: synchronous_commit.
 */
ds_err ds_store_set_synchronous(ds_store *st, bool wait, struct ds_diag *diag);
/* Runs SQL without parameters or results (several statements allowed). */
ds_err ds_store_exec(ds_store *st, const char *sql, struct ds_diag *diag);

/* Binding is 1-based. Text and blobs are copied. */
ds_err ds_stmt_bind_int(ds_stmt *s, int idx, int64_t v);
ds_err ds_stmt_bind_real(ds_stmt *s, int idx, double v);
ds_err ds_stmt_bind_text(ds_stmt *s, int idx, const char *v); /* NULL: null */
ds_err ds_stmt_bind_blob(ds_stmt *s, int idx, const void *v, size_t n);
ds_err ds_stmt_bind_null(ds_stmt *s, int idx);
/* Advances; *row says whether a row is available. */
ds_err ds_stmt_step(ds_stmt *s, bool *row, struct ds_diag *diag);
/* Column access is 0-based and valid until the next step. */
bool ds_stmt_is_null(ds_stmt *s, int col);
int64_t ds_stmt_int(ds_stmt *s, int col);
double ds_stmt_real(ds_stmt *s, int col);
const char *ds_stmt_text(ds_stmt *s, int col); /* "" for null */
/* The bytes of a blob column (*len 0 and a non-NULL pointer for null). */
const void *ds_stmt_blob(ds_stmt *s, int col, size_t *len);
/* The result's columns: how many, and each one's name as the query names
 * it (the type of a value in the current row: ds_stmt_type, below). */
int ds_stmt_columns(ds_stmt *s);
const char *ds_stmt_column_name(ds_stmt *s, int col);
/* Rows changed by the last completed write statement. */
int64_t ds_store_changes(ds_store *st);
int64_t ds_store_last_id(ds_store *st);
/* Resets bindings and hands the statement back to the cache. */
void ds_stmt_done(ds_stmt *s);

/* ------------------------------------------------------ account ledger */

/*
 * Table account_ledger holds, per account that has any, its due schedule
 * (column schedule: due dates and amounts, in due-date then installment
 * order) and its payments (column payments: value dates and amounts, in
 * value-date order), each packed into one blob. The store keeps it: a
 * transaction that writes installments or payments packs the accounts it
 * touched again before it commits, so readers may take it as the tables'
 * exact copy. Walk a blob with an iterator:
 *
 *     struct ds_ledger_iter it;
 *     if (ds_ledger_begin(&it, blob, len, &n)) ... damaged
 *     while ((r = ds_ledger_next(&it, &day, &fen)) > 0) ...
 *     if (r < 0) ... damaged
 */
/*
 * A write made outside a transaction (autocommit) leaves its accounts
 * listed but not yet packed: readers call this first, which packs them
 * (in the open transaction, or in one of its own).
 */
ds_err ds_store_ledger_sync(ds_store *st, struct ds_diag *diag);

struct ds_ledger_iter {
	const unsigned char *p, *end;
	uint64_t left;
	int64_t day;
	bool first;
};
/* DS_EINVAL when the blob is not a packed list; *count (if not NULL) its
 * number of items. */
ds_err ds_ledger_begin(struct ds_ledger_iter *it, const void *blob, size_t len, long *count);
/* 1: an item; 0: the end; -1: the blob is damaged. */
int ds_ledger_next(struct ds_ledger_iter *it, ds_date *day, ds_fen *fen);

/* ---------------------------------------------------- keyed row upsert */

typedef enum ds_vtype { DS_V_NULL = 0, DS_V_INT, DS_V_REAL, DS_V_TEXT, DS_V_BLOB } ds_vtype;
/* The type of a column's value in the current row. */
ds_vtype ds_stmt_type(ds_stmt *s, int col);
/* Steps through every remaining row into *out, a JSON array (jansson's
 * json_t, caller's reference) of objects keyed by column name: integers,
 * reals, text, and null for NULL, blobs and text that is not UTF-8. The
 * statement is left for the caller to finish (its column names stay
 * readable). */
struct json_t;
ds_err ds_stmt_rows_json(ds_stmt *s, struct json_t **out, struct ds_diag *diag);

struct ds_value {
	ds_vtype type;
	int64_t i;
	double r;
	const char *s; /* text (NUL-terminated) or blob bytes */
	size_t n;      /* blob length */
};

/* A table that imported rows are upserted into. */
struct ds_table {
	const char *name;
	const char *const *cols; /* the first nkey columns form the natural key */
	int ncols;
	int nkey;
	/* Columns left out of "did it change?" (sealed values: a fresh nonce
	 * makes every sealing differ; their hash column speaks for them). */
	uint64_t nocompare_mask;
};

typedef enum ds_put_result {
	DS_PUT_INSERTED,
	DS_PUT_UPDATED,
	DS_PUT_UNCHANGED,
	DS_PUT_DUPLICATE /* the key already came earlier in the same batch */
} ds_put_result;

/*
 * Upserts one row (vals has t->ncols values) and stamps it with `batch`. A
 * row equal to the stored one is left untouched. A key seen before in the
 * same batch is not written and reported as DS_PUT_DUPLICATE. Must run inside
 * a transaction. Every table given must have a batch_id column.
 */
ds_err ds_store_put(ds_store *st, const struct ds_table *t, const struct ds_value *vals,
                    int64_t batch, ds_put_result *res, struct ds_diag *diag);
/*
 * Bulk loading into an empty table, for the nightly feed's first load:
 *   ds_store_bulk_prepare  before the transaction: *bulk says the table is
 *                          empty; references are then checked at the end
 *   ds_store_bulk_begin    inside it: secondary indexes and triggers set
 *                          aside (*token, caller frees with ds_free; NULL
 *                          if none)
 *   ds_store_bulk_end      before commit: indexes rebuilt (one sorted build
 *                          beats millions of random inserts) and triggers
 *                          restored, every account of the table listed for
 *                          the ledger (the triggers' work, done once), then
 *                          every reference checked in key order; *orphans
 *                          when a row refers to nothing (the caller rolls
 *                          back)
 *   ds_store_bulk_finish   after commit or rollback
 * Rolling back restores everything, indexes included.
 */
ds_err ds_store_bulk_prepare(ds_store *st, const char *table, bool *bulk, struct ds_diag *diag);
ds_err ds_store_bulk_begin(ds_store *st, const char *table, char **token, struct ds_diag *diag);
ds_err ds_store_bulk_end(ds_store *st, const char *table, const char *token, bool *orphans,
                         struct ds_diag *diag);
void ds_store_bulk_finish(ds_store *st);

/* Whether a row with key value `key` exists in table.keycol. */
ds_err ds_store_exists(ds_store *st, const char *table, const char *keycol, const char *key,
                       bool *found, struct ds_diag *diag);

/* ---------------------------------------------------- backup and restore */

/*
 * Copies the whole database, as it stood at one instant, into a new file
 * at `path` (SQLite's online backup: readers and writers go on meanwhile).
 * An existing file is refused. The copy is written to a temporary file
 * beside it and renamed, so a failed backup leaves nothing at `path`.
 * DS_EINVAL on a backend that has no file copy (PostgreSQL: pg_dump).
 */
ds_err ds_store_backup(ds_store *st, const char *path, struct ds_diag *diag);
/*
 * Replaces the whole content of the database with the backup at `path`,
 * once that has been checked as doorstep's, of the schema this build
 * knows, its migrations this build's, its audit chain intact. Close the
 * store afterwards (it knew the schema of what it replaced); other
 * connections see the restored content from their next transaction.
 */
ds_err ds_store_restore(ds_store *st, const char *path, struct ds_diag *diag);

/* ------------------------------------------------------------ meta data */

/* Small named settings kept in the database itself. */
ds_err ds_store_meta_get(ds_store *st, const char *name, char *out, size_t outsz, bool *found,
                         struct ds_diag *diag);
ds_err ds_store_meta_set(ds_store *st, const char *name, const char *value, struct ds_diag *diag);
/*
 * Binds the data-protection key to the database on first use and refuses,
 * afterwards, any other key: rows sealed under two keys would be lost.
 */
ds_err ds_store_check_key(ds_store *st, const struct ds_pii_key *key, struct ds_diag *diag);
/* Whether a key has been bound to this database. */
bool ds_store_has_key(ds_store *st);

/* ------------------------------------------------------------- audit log */

/*
 * Appends to the hash-chained audit log, inside the caller's transaction if
 * one is open. detail is JSON text or NULL.
 */
ds_err ds_store_audit(ds_store *st, const char *action, const char *entity, const char *entity_id,
                      const char *detail, struct ds_diag *diag);
/*
 * Walks the whole audit log and recomputes its hash chain: an edited
 * entry, one inserted or one deleted (in the middle, or the last ones:
 * the chain's head is kept apart, in store_meta, at every append) breaks
 * it (`doorstep audit verify`). *out: the entries read and the first
 * broken one.
 */
struct ds_audit_check {
	long entries;
	bool intact;
	long first_bad_seq; /* 0 when intact */
	char problem[256];
};
ds_err ds_store_audit_verify(ds_store *st, struct ds_audit_check *out, struct ds_diag *diag);

#endif

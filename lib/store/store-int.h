/* Internals of the store layer. */
#ifndef DOORSTEP_STORE_INT_H
#define DOORSTEP_STORE_INT_H

#include "doorstep/store.h"

#include <sqlite3.h>
#include <stddef.h>

/* Numbered SQL migrations, embedded at build time from migrations/NNNN_*.sql. */
struct ds_migration {
	int version;
	const char *name;
	const char *sql; /* NUL-terminated */
};

extern const struct ds_migration ds_migrations[];
extern const int ds_migrations_count;
/* PostgreSQL's own text of the migrations whose SQLite text does not
 * translate (migrations/pg/NNNN_*.sql; docs/storage.md), by version. */
extern const struct ds_migration ds_pg_migrations[];
extern const int ds_pg_migrations_count;

/* --------------------------------------------------------------- backends */

/*
 * Two backends sit behind store.h: SQLite (sqlite.c) and PostgreSQL (pg.c).
 * Every store and every statement of either begins with a byte naming its
 * backend, SQLite's being 0 (a zeroed allocation), so sqlite.c keeps its
 * own structures and hands a PostgreSQL object to pg.c with one test at
 * the top of each public function.
 */
enum { DS_BACKEND_SQLITE = 0, DS_BACKEND_PG = 1 };
#define DS_ON_PG(obj) (*(const unsigned char *)(obj) == DS_BACKEND_PG)

/* Whether a location names a PostgreSQL database (postgresql:// or
 * postgres://, libpq's connection URIs). */
bool ds_pg_location(const char *location);
/* The schema text a migration has on PostgreSQL (*out: caller frees with
 * ds_free): its own file if it has one, else the SQLite text translated
 * (types and WITHOUT ROWID; docs/storage.md). */
ds_err ds_pg_migration_sql(const struct ds_migration *m, char **out);

/* sqlite.c: the connection of a SQLite store (backup.c). */
sqlite3 *ds_sqlite_db(ds_store *st);

/* pg.c: the store.h functions for a PostgreSQL store or statement. */
ds_err ds_pg_open(const char *location, const struct ds_store_opts *o, ds_store **out,
                  struct ds_diag *diag);
ds_err ds_pg_open_reader(ds_store *st, ds_store **out, struct ds_diag *diag);
void ds_pg_close(ds_store *st);
ds_err ds_pg_migrate(ds_store *st, int *applied, struct ds_diag *diag);
int ds_pg_schema_version(ds_store *st);
const char *ds_pg_actor(const ds_store *st);
ds_err ds_pg_begin(ds_store *st, struct ds_diag *diag);
ds_err ds_pg_commit(ds_store *st, struct ds_diag *diag);
ds_err ds_pg_ledger_sync(ds_store *st, struct ds_diag *diag);
void ds_pg_rollback(ds_store *st);
/* Whether a transaction is open (the audit log's entry joins it). */
bool ds_pg_in_txn(ds_store *st);
ds_err ds_pg_exec(ds_store *st, const char *sql, struct ds_diag *diag);
ds_err ds_pg_prepare(ds_store *st, const char *sql, ds_stmt **out, struct ds_diag *diag);
void ds_pg_done(ds_stmt *s);
ds_err ds_pg_bind_int(ds_stmt *s, int idx, int64_t v);
ds_err ds_pg_bind_real(ds_stmt *s, int idx, double v);
ds_err ds_pg_bind_text(ds_stmt *s, int idx, const char *v);
ds_err ds_pg_bind_blob(ds_stmt *s, int idx, const void *v, size_t n);
ds_err ds_pg_bind_null(ds_stmt *s, int idx);
ds_err ds_pg_step(ds_stmt *s, bool *row, struct ds_diag *diag);
int ds_pg_columns(ds_stmt *s);
const char *ds_pg_column_name(ds_stmt *s, int col);
ds_vtype ds_pg_type(ds_stmt *s, int col);
bool ds_pg_is_null(ds_stmt *s, int col);
int64_t ds_pg_int(ds_stmt *s, int col);
double ds_pg_real(ds_stmt *s, int col);
const char *ds_pg_text(ds_stmt *s, int col);
const void *ds_pg_blob(ds_stmt *s, int col, size_t *len);
int64_t ds_pg_changes(ds_store *st);
int64_t ds_pg_last_id(ds_store *st);
ds_err ds_pg_put(ds_store *st, const struct ds_table *t, const struct ds_value *vals, int64_t batch,
                 ds_put_result *res, struct ds_diag *diag);
ds_err ds_pg_bulk_prepare(ds_store *st, const char *table, bool *bulk, struct ds_diag *diag);
ds_err ds_pg_bulk_begin(ds_store *st, const char *table, char **token, struct ds_diag *diag);
ds_err ds_pg_bulk_end(ds_store *st, const char *table, const char *token, bool *orphans,
                      struct ds_diag *diag);
void ds_pg_bulk_finish(ds_store *st);

/* The schema version that brought the account ledger (ledger.c). */
#define DS_LEDGER_SCHEMA 3
/* Registers the ledger_pack() aggregate on a connection (SQLite result code). */
int ds_ledger_register(sqlite3 *db);
/* Lists every account with rows in `table` (installments, payments; other
 * tables: nothing) to be packed again, for a bulk load whose triggers were
 * set aside. */
ds_err ds_ledger_touch_table(ds_store *st, const char *table, struct ds_diag *diag);
/* Packs again the accounts the open transaction wrote rows of. */
ds_err ds_ledger_refresh(ds_store *st, struct ds_diag *diag);
/* A packed list (the format in store.h) of n items given in the order
 * they were added; *out is the caller's (ds_free), *len its bytes. The
 * items are sorted by day in place (stable: same-day items keep their
 * order). */
struct ds_ledger_item {
	ds_date day;
	long seq;
	ds_fen fen;
};
ds_err ds_ledger_pack(struct ds_ledger_item *v, long n, unsigned char **out, size_t *len);

/* ------------------------------------------------------------ audit log */

/* The previous hash of the log's first entry. */
#define DS_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
/* The store_meta setting that keeps the chain's head, "SEQ:HASH". */
#define DS_AUDIT_HEAD "audit_head"
/*
 * An entry's hash (64 hex digits and NUL into out) from the previous
 * entry's hash and the entry's fields (audit.c). ds_store_audit writes
 * with it and ds_store_audit_verify checks with it, so the two cannot
 * drift apart. entity_id and detail may be NULL (hashed as "").
 */
void ds_audit_hash(const char *prev, int64_t at, const char *actor, const char *action,
                   const char *entity, const char *entity_id, const char *detail,
                   char out[static 65]);
/*
 * The chain's head as recorded in store_meta: *found false when none has
 * been recorded (a database from before the head was kept); *readable
 * false when the setting is there but not "SEQ:HASH".
 */
ds_err ds_audit_head_get(ds_store *st, int64_t *seq, char hash[static 65], bool *found,
                         bool *readable, struct ds_diag *diag);
/* Records the chain's head; inside the transaction that appended it. */
ds_err ds_audit_head_set(ds_store *st, int64_t seq, const char *hash, struct ds_diag *diag);

#endif

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

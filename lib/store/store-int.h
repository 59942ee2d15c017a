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

#endif

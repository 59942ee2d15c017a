/*
 * The SQLite backend of the store: WAL, foreign keys on, a busy timeout,
 * prepared statements only (cached by SQL text), full sync on commit.
 */
#include "doorstep/store.h"
#include "store-int.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define APPLICATION_ID 0x44535450 /* 'DSTP': marks a doorstep database */
#define STMT_SLOTS     256        /* cache slots; more statements still work */
#define PUT_TABLES     32

struct ds_stmt {
	unsigned char backend; /* DS_BACKEND_SQLITE (0); first (store-int.h) */
	ds_store *st;
	sqlite3_stmt *s;
	char *sql;
	bool in_use;
	bool cached;
};

/* The SQL of ds_store_put for one table and column list. The callers' table
 * descriptors may be short-lived, so the list is copied. */
struct put_sql {
	struct ds_table t;
	char *names; /* NUL-separated column names that t.cols point into */
	const char **cols;
	char *select_sql, *insert_sql, *update_sql;
	sqlite3_stmt *select, *insert, *update; /* prepared on first use */
};

struct ds_store {
	unsigned char backend; /* DS_BACKEND_SQLITE (0); first (store-int.h) */
	sqlite3 *db;
	char *actor;
	int schema;
	int migrating; /* the version being applied, 0 outside ds_store_migrate */
	bool seen_ready;
	struct ds_stmt *slots[STMT_SLOTS];
	struct put_sql put[PUT_TABLES];
	int nput;
};

/* --------------------------------------------------------------- errors */

static ds_err map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return DS_OK;
	case SQLITE_NOMEM:
		return DS_ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DS_EBUSY;
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return DS_EIO;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return DS_ESTORE;
	default:
		return DS_ESTORE;
	}
}

/* The database file, for a failure of the file rather than of the SQL (a
 * full disk, a read-only or damaged file): the message names it. */
static const char *failed_file(ds_store *st, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return st && st->db ? sqlite3_db_filename(st->db, "main") : NULL;
	default:
		return NULL;
	}
}

static ds_err fail(ds_store *st, int rc, struct ds_diag *diag, const char *what)
{
	return ds_diag_set(diag, map_rc(rc), failed_file(st, rc), 0, NULL, "%s: %s", what,
	                   st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

/* ----------------------------------------------------------- open/close */

static int query_int(sqlite3 *db, const char *sql, int dflt)
{
	sqlite3_stmt *s = NULL;
	int v = dflt;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void migration_sha256(const struct ds_migration *m, char out[65]);

/*
 * Every migration the database has applied must be the one this build
 * carries, byte for byte: a schema edited after the fact is refused.
 */
static ds_err check_migrations(ds_store *st, const char *location, struct ds_diag *diag)
{
	sqlite3_stmt *s = NULL;
	ds_err err = DS_OK;
	if (sqlite3_prepare_v2(st->db, "SELECT version, name, sha256 FROM schema_migrations", -1,
	                       &s, NULL) != SQLITE_OK)
		return ds_diag_set(diag, DS_ESCHEMA, location, 0, NULL,
		                   "cannot read the schema history: %s", sqlite3_errmsg(st->db));
	while (!err && sqlite3_step(s) == SQLITE_ROW) {
		int v = sqlite3_column_int(s, 0);
		if (v < 1 || v > ds_migrations_count)
			continue;
		char sum[65];
		migration_sha256(&ds_migrations[v - 1], sum);
		const char *have = (const char *)sqlite3_column_text(s, 2);
		if (!have || strcmp(have, sum) != 0)
			err = ds_diag_set(diag, DS_ESCHEMA, location, 0, NULL,
			                  "schema migration %d (%s) in this database differs from "
			                  "the one this doorstep carries",
			                  v, (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	return err;
}

static int read_schema_version(sqlite3 *db)
{
	if (!query_int(db,
	               "SELECT count(*) FROM sqlite_master WHERE "
	               "type='table' AND name='schema_migrations'",
	               0))
		return 0;
	return query_int(db, "SELECT coalesce(max(version),0) FROM schema_migrations", 0);
}

int ds_store_schema_latest(void)
{
	return ds_migrations_count;
}
int ds_store_schema_version(ds_store *st)
{
	if (DS_ON_PG(st))
		return ds_pg_schema_version(st);
	return st->schema;
}
sqlite3 *ds_sqlite_db(ds_store *st)
{
	return st->db;
}
const char *ds_store_actor(const ds_store *st)
{
	if (DS_ON_PG(st))
		return ds_pg_actor(st);
	return st->actor;
}

static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
	/* Allocation statistics cost a global lock on every malloc. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/*
 * Faults for the tests (docs/reliability.md), from DOORSTEP_FAULT:
 * "full:N" lets the database grow by N pages more, after which every write
 * that needs a new page fails with SQLITE_FULL, as on a full disk;
 * "readonly" refuses every write with SQLITE_READONLY, as for a file that
 * cannot be written. Either only ever takes away; the code that meets the
 * failure is the one a real full disk or read-only file would reach.
 */
static ds_err apply_fault(ds_store *st, const char *location, struct ds_diag *diag)
{
	const char *f = getenv("DOORSTEP_FAULT");
	if (!f || !*f)
		return DS_OK;
	char sql[64];
	if (strcmp(f, "readonly") == 0) {
		snprintf(sql, sizeof sql, "PRAGMA query_only=1");
	} else if (strncmp(f, "full:", 5) == 0) {
		char *end;
		errno = 0;
		long n = strtol(f + 5, &end, 10);
		if (end == f + 5 || *end || errno || n < 0 || n > 1000000000L)
			return ds_diag_set(diag, DS_ECONFIG, location, 0, NULL,
			                   "DOORSTEP_FAULT=%s: full:PAGES needs a number of pages",
			                   f);
		long pages = query_int(st->db, "PRAGMA page_count", 0);
		snprintf(sql, sizeof sql, "PRAGMA max_page_count=%ld", pages + n);
	} else {
		return ds_diag_set(diag, DS_ECONFIG, location, 0, NULL,
		                   "DOORSTEP_FAULT=%s: not full:PAGES or readonly", f);
	}
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? DS_OK
	                       : ds_diag_set(diag, map_rc(rc), location, 0, NULL, "%s: %s", sql,
	                                     sqlite3_errmsg(st->db));
}

ds_err ds_store_open_reader(ds_store *st, ds_store **out, struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_pg_open_reader(st, out, diag);
	const char *file = sqlite3_db_filename(st->db, "main");
	if (!file || !*file)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "an in-memory database has no second connection");
	struct ds_store_opts o = { .actor = st->actor };
	return ds_store_open(file, &o, out, diag);
}

ds_err ds_store_open(const char *location, const struct ds_store_opts *opts, ds_store **out,
                     struct ds_diag *diag)
{
	if (location && ds_pg_location(location))
		return ds_pg_open(location, opts, out, diag);
	pthread_once(&sqlite_once, sqlite_setup);
	struct ds_store_opts o = { 0 };
	if (opts)
		o = *opts;
	ds_store *st = ds_calloc(1, sizeof *st);
	if (!st)
		return ds_diag_set(diag, DS_ENOMEM, location, 0, NULL, "out of memory");
	st->actor = ds_strdup(o.actor ? o.actor : "system");
	if (!st->actor) {
		ds_free(st);
		return ds_diag_set(diag, DS_ENOMEM, location, 0, NULL, "out of memory");
	}
	int rc = sqlite3_open_v2(location, &st->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                         NULL);
	ds_err err = DS_OK;
	if (rc != SQLITE_OK) {
		err = ds_diag_set(diag, map_rc(rc), location, 0, NULL, "cannot open database: %s",
		                  st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto bad;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if ((rc = ds_ledger_register(st->db)) != SQLITE_OK) {
		err = ds_diag_set(diag, map_rc(rc), location, 0, NULL, "cannot open database: %s",
		                  sqlite3_errmsg(st->db));
		goto bad;
	}
	sqlite3_busy_timeout(st->db, o.busy_timeout_ms > 0 ? o.busy_timeout_ms : 5000);
	/* Refuse files that are not SQLite or belong to another program. */
	int app = query_int(st->db, "PRAGMA application_id", -1);
	int tables = query_int(st->db, "SELECT count(*) FROM sqlite_master", -1);
	if (app == -1 || tables == -1) {
		err = ds_diag_set(diag, DS_ESTORE, location, 0, NULL,
		                  "not a database file (or it is damaged): %s",
		                  sqlite3_errmsg(st->db));
		goto bad;
	}
	if (tables > 0 && app != APPLICATION_ID) {
		err = ds_diag_set(diag, DS_ESCHEMA, location, 0, NULL,
		                  "not a doorstep database (application id %d)", app);
		goto bad;
	}
	char *emsg = NULL;
	rc = sqlite3_exec(st->db,
	                  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                  "PRAGMA foreign_keys=ON;"
	                  "PRAGMA temp_store=FILE;",
	                  NULL, NULL, &emsg);
	if (rc != SQLITE_OK) {
		err = ds_diag_set(diag, map_rc(rc), location, 0, NULL,
		                  "cannot configure database: %s", emsg ? emsg : "");
		sqlite3_free(emsg);
		goto bad;
	}
	char cache[64];
	snprintf(cache, sizeof cache, "PRAGMA cache_size=-%d",
	         (o.cache_mib > 0 ? o.cache_mib : 64) * 1024);
	sqlite3_exec(st->db, cache, NULL, NULL, NULL);
	if ((err = apply_fault(st, location, diag)))
		goto bad;
	st->schema = read_schema_version(st->db);
	if (st->schema > ds_store_schema_latest()) {
		err = ds_diag_set(diag, DS_ESCHEMA, location, 0, NULL,
		                  "database schema version %d is newer than this "
		                  "doorstep knows (%d); use a newer doorstep",
		                  st->schema, ds_store_schema_latest());
		goto bad;
	}
	if (st->schema > 0 && (err = check_migrations(st, location, diag)))
		goto bad;
	if (!o.for_init && st->schema < ds_store_schema_latest()) {
		err = ds_diag_set(diag, DS_ESCHEMA, location, 0, NULL,
		                  st->schema == 0
		                          ? "database is not initialised; run 'doorstep init'"
		                          : "database schema version %d is older than this "
		                            "doorstep (%d); run 'doorstep init' to upgrade it",
		                  st->schema, ds_store_schema_latest());
		goto bad;
	}
	*out = st;
	return DS_OK;
bad:
	ds_store_close(st);
	return err;
}

static void stmt_free(struct ds_stmt *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->s);
	ds_free(s->sql);
	ds_free(s);
}

void ds_store_close(ds_store *st)
{
	if (!st)
		return;
	if (DS_ON_PG(st)) {
		ds_pg_close(st);
		return;
	}
	for (int i = 0; i < STMT_SLOTS; i++)
		stmt_free(st->slots[i]);
	for (int i = 0; i < st->nput; i++) {
		sqlite3_finalize(st->put[i].select);
		sqlite3_finalize(st->put[i].insert);
		sqlite3_finalize(st->put[i].update);
		ds_free(st->put[i].names);
		ds_free(st->put[i].cols);
		ds_free(st->put[i].select_sql);
		ds_free(st->put[i].insert_sql);
		ds_free(st->put[i].update_sql);
	}
	sqlite3_close(st->db);
	ds_free(st->actor);
	ds_free(st);
}

/* ---------------------------------------------------------- migrations */

static void migration_sha256(const struct ds_migration *m, char out[65])
{
	unsigned char d[32];
	crypto_hash_sha256(d, (const unsigned char *)m->sql, strlen(m->sql));
	sodium_bin2hex(out, 65, d, sizeof d);
}

ds_err ds_store_migrate(ds_store *st, int *applied, struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_pg_migrate(st, applied, diag);
	int done = 0;
	ds_err err = DS_OK;
	if (st->schema == 0) {
		err = ds_store_exec(st,
		                    "PRAGMA application_id=1146311760;"
		                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
		                    " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		                    " sha256 TEXT NOT NULL, applied_at INTEGER NOT NULL)",
		                    diag);
		if (err)
			return err;
	}
	for (int i = 0; i < ds_migrations_count; i++) {
		const struct ds_migration *m = &ds_migrations[i];
		if (m->version <= st->schema)
			continue;
		if ((err = ds_store_begin(st, diag)))
			return err;
		st->migrating = m->version;
		char *emsg = NULL;
		int rc = sqlite3_exec(st->db, m->sql, NULL, NULL, &emsg);
		if (rc != SQLITE_OK) {
			err = ds_diag_set(diag, map_rc(rc), m->name, 0, NULL,
			                  "migration failed: %s", emsg ? emsg : "");
			sqlite3_free(emsg);
			ds_store_rollback(st);
			return err;
		}
		ds_stmt *s;
		if ((err = ds_store_prepare(st,
		                            "INSERT INTO schema_migrations"
		                            "(version,name,sha256,applied_at) VALUES(?,?,?,?)",
		                            &s, diag))) {
			ds_store_rollback(st);
			return err;
		}
		ds_stmt_bind_int(s, 1, m->version);
		ds_stmt_bind_text(s, 2, m->name);
		char sum[65];
		migration_sha256(m, sum);
		ds_stmt_bind_text(s, 3, sum);
		ds_stmt_bind_int(s, 4, (int64_t)time(NULL));
		bool row;
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
		if (!err) {
			char detail[128];
			snprintf(detail, sizeof detail, "{\"version\":%d,\"name\":\"%s\"}",
			         m->version, m->name);
			err = ds_store_audit(st, "migrate", "schema", m->name, detail, diag);
		}
		if (!err)
			err = ds_store_commit(st, diag);
		st->migrating = 0;
		if (err) {
			ds_store_rollback(st);
			return err;
		}
		st->schema = m->version;
		done++;
	}
	if (applied)
		*applied = done;
	return DS_OK;
}

/* -------------------------------------------------------- transactions */

ds_err ds_store_begin(ds_store *st, struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_pg_begin(st, diag);
	return ds_store_exec(st, "BEGIN IMMEDIATE", diag);
}

ds_err ds_store_commit(ds_store *st, struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_pg_commit(st, diag);
	/* the account ledger follows what the transaction wrote (ledger.c) */
	int schema = st->migrating ? st->migrating : st->schema;
	ds_err err = schema >= DS_LEDGER_SCHEMA ? ds_ledger_refresh(st, diag) : DS_OK;
	return err ? err : ds_store_exec(st, "COMMIT", diag);
}

ds_err ds_store_ledger_sync(ds_store *st, struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_pg_ledger_sync(st, diag);
	if (!sqlite3_get_autocommit(st->db))
		return ds_ledger_refresh(st, diag);
	ds_err err = ds_store_begin(st, diag);
	if (!err && (err = ds_store_commit(st, diag)))
		ds_store_rollback(st);
	return err;
}

void ds_store_rollback(ds_store *st)
{
	if (DS_ON_PG(st)) {
		ds_pg_rollback(st);
		return;
	}
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

ds_err ds_store_set_synchronous(ds_store *st, bool wait, struct ds_diag *diag)
{
	/* WAL keeps every commit atomic either way; NORMAL leaves its fsync to
	 * the next FULL commit or checkpoint */
	if (DS_ON_PG(st))
		return ds_pg_exec(
		        st, wait ? "SET synchronous_commit = on" : "SET synchronous_commit = off",
		        diag);
	return ds_store_exec(st, wait ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
	                     diag);
}

ds_err ds_store_exec(ds_store *st, const char *sql, struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_pg_exec(st, sql, diag);
	char *emsg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &emsg);
	if (rc == SQLITE_OK)
		return DS_OK;
	ds_err err = ds_diag_set(diag, map_rc(rc), failed_file(st, rc), 0, NULL, "%s",
	                         emsg ? emsg : sqlite3_errstr(rc));
	sqlite3_free(emsg);
	return err;
}

/* ---------------------------------------------------------- statements */

static unsigned hash_sql(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

ds_err ds_store_prepare(ds_store *st, const char *sql, ds_stmt **out, struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_pg_prepare(st, sql, out, diag);
	unsigned h = hash_sql(sql) % STMT_SLOTS;
	for (unsigned i = 0; i < 8; i++) {
		struct ds_stmt *c = st->slots[(h + i) % STMT_SLOTS];
		if (c && !c->in_use && strcmp(c->sql, sql) == 0) {
			c->in_use = true;
			*out = c;
			return DS_OK;
		}
	}
	struct ds_stmt *s = ds_calloc(1, sizeof *s);
	if (!s || !(s->sql = ds_strdup(sql))) {
		ds_free(s);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->s, NULL);
	if (rc != SQLITE_OK) {
		ds_err err = fail(st, rc, diag, "cannot prepare statement");
		stmt_free(s);
		return err;
	}
	s->st = st;
	s->in_use = true;
	for (unsigned i = 0; i < 8; i++) {
		struct ds_stmt **slot = &st->slots[(h + i) % STMT_SLOTS];
		if (!*slot) {
			*slot = s;
			s->cached = true;
			break;
		}
	}
	*out = s;
	return DS_OK;
}

void ds_stmt_done(ds_stmt *s)
{
	if (!s)
		return;
	if (DS_ON_PG(s)) {
		ds_pg_done(s);
		return;
	}
	sqlite3_reset(s->s);
	sqlite3_clear_bindings(s->s);
	s->in_use = false;
	if (!s->cached)
		stmt_free(s);
}

ds_err ds_stmt_bind_int(ds_stmt *s, int idx, int64_t v)
{
	if (DS_ON_PG(s))
		return ds_pg_bind_int(s, idx, v);
	return map_rc(sqlite3_bind_int64(s->s, idx, v));
}

ds_err ds_stmt_bind_real(ds_stmt *s, int idx, double v)
{
	if (DS_ON_PG(s))
		return ds_pg_bind_real(s, idx, v);
	return map_rc(sqlite3_bind_double(s->s, idx, v));
}

ds_err ds_stmt_bind_text(ds_stmt *s, int idx, const char *v)
{
	if (DS_ON_PG(s))
		return ds_pg_bind_text(s, idx, v);
	if (!v)
		return map_rc(sqlite3_bind_null(s->s, idx));
	return map_rc(sqlite3_bind_text(s->s, idx, v, -1, SQLITE_TRANSIENT));
}

ds_err ds_stmt_bind_blob(ds_stmt *s, int idx, const void *v, size_t n)
{
	if (DS_ON_PG(s))
		return ds_pg_bind_blob(s, idx, v, n);
	return map_rc(sqlite3_bind_blob64(s->s, idx, v, n, SQLITE_TRANSIENT));
}

ds_err ds_stmt_bind_null(ds_stmt *s, int idx)
{
	if (DS_ON_PG(s))
		return ds_pg_bind_null(s, idx);
	return map_rc(sqlite3_bind_null(s->s, idx));
}

ds_err ds_stmt_step(ds_stmt *s, bool *row, struct ds_diag *diag)
{
	if (DS_ON_PG(s))
		return ds_pg_step(s, row, diag);
	int rc = sqlite3_step(s->s);
	*row = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return DS_OK;
	return fail(s->st, rc, diag, "statement failed");
}

int ds_stmt_columns(ds_stmt *s)
{
	if (DS_ON_PG(s))
		return ds_pg_columns(s);
	return sqlite3_column_count(s->s);
}
const char *ds_stmt_column_name(ds_stmt *s, int col)
{
	if (DS_ON_PG(s))
		return ds_pg_column_name(s, col);
	const char *n = sqlite3_column_name(s->s, col);
	return n ? n : "";
}
ds_vtype ds_stmt_type(ds_stmt *s, int col)
{
	if (DS_ON_PG(s))
		return ds_pg_type(s, col);
	switch (sqlite3_column_type(s->s, col)) {
	case SQLITE_INTEGER:
		return DS_V_INT;
	case SQLITE_FLOAT:
		return DS_V_REAL;
	case SQLITE_TEXT:
		return DS_V_TEXT;
	case SQLITE_BLOB:
		return DS_V_BLOB;
	default:
		return DS_V_NULL;
	}
}
bool ds_stmt_is_null(ds_stmt *s, int col)
{
	if (DS_ON_PG(s))
		return ds_pg_is_null(s, col);
	return sqlite3_column_type(s->s, col) == SQLITE_NULL;
}
int64_t ds_stmt_int(ds_stmt *s, int col)
{
	if (DS_ON_PG(s))
		return ds_pg_int(s, col);
	return sqlite3_column_int64(s->s, col);
}
double ds_stmt_real(ds_stmt *s, int col)
{
	if (DS_ON_PG(s))
		return ds_pg_real(s, col);
	return sqlite3_column_double(s->s, col);
}
const char *ds_stmt_text(ds_stmt *s, int col)
{
	if (DS_ON_PG(s))
		return ds_pg_text(s, col);
	const unsigned char *t = sqlite3_column_text(s->s, col);
	return t ? (const char *)t : "";
}
const void *ds_stmt_blob(ds_stmt *s, int col, size_t *len)
{
	if (DS_ON_PG(s))
		return ds_pg_blob(s, col, len);
	const void *p = sqlite3_column_blob(s->s, col);
	*len = p ? (size_t)sqlite3_column_bytes(s->s, col) : 0;
	return p ? p : "";
}
int64_t ds_store_changes(ds_store *st)
{
	if (DS_ON_PG(st))
		return ds_pg_changes(st);
	return sqlite3_changes64(st->db);
}
int64_t ds_store_last_id(ds_store *st)
{
	if (DS_ON_PG(st))
		return ds_pg_last_id(st);
	return sqlite3_last_insert_rowid(st->db);
}

/* ------------------------------------------------------------ put */

static ds_err build_put_sql(const struct ds_table *t, struct put_sql *p)
{
	struct ds_buf sel, ins, upd;
	ds_buf_init(&sel, 1 << 16);
	ds_buf_init(&ins, 1 << 16);
	ds_buf_init(&upd, 1 << 16);
	ds_err e = DS_OK;
	e |= ds_buf_adds(&sel, "SELECT batch_id");
	for (int i = 0; i < t->ncols; i++)
		e |= ds_buf_addf(&sel, ",%s", t->cols[i]);
	e |= ds_buf_addf(&sel, " FROM %s WHERE ", t->name);
	for (int i = 0; i < t->nkey; i++)
		e |= ds_buf_addf(&sel, "%s%s=?", i ? " AND " : "", t->cols[i]);
	e |= ds_buf_addf(&ins, "INSERT INTO %s(batch_id", t->name);
	for (int i = 0; i < t->ncols; i++)
		e |= ds_buf_addf(&ins, ",%s", t->cols[i]);
	e |= ds_buf_adds(&ins, ") VALUES(?");
	for (int i = 0; i < t->ncols; i++)
		e |= ds_buf_adds(&ins, ",?");
	e |= ds_buf_adds(&ins, ") ON CONFLICT(");
	for (int i = 0; i < t->nkey; i++)
		e |= ds_buf_addf(&ins, "%s%s", i ? "," : "", t->cols[i]);
	e |= ds_buf_adds(&ins, ") DO NOTHING");
	e |= ds_buf_addf(&upd, "UPDATE %s SET batch_id=?", t->name);
	for (int i = t->nkey; i < t->ncols; i++)
		e |= ds_buf_addf(&upd, ",%s=?", t->cols[i]);
	e |= ds_buf_adds(&upd, " WHERE ");
	for (int i = 0; i < t->nkey; i++)
		e |= ds_buf_addf(&upd, "%s%s=?", i ? " AND " : "", t->cols[i]);
	if (e) {
		ds_buf_free(&sel);
		ds_buf_free(&ins);
		ds_buf_free(&upd);
		return DS_ENOMEM;
	}
	size_t total = strlen(t->name) + 1;
	for (int i = 0; i < t->ncols; i++)
		total += strlen(t->cols[i]) + 1;
	p->names = ds_malloc(total);
	p->cols = ds_calloc((size_t)t->ncols, sizeof *p->cols);
	if (!p->names || !p->cols) {
		ds_free(p->names);
		ds_free(p->cols);
		ds_buf_free(&sel);
		ds_buf_free(&ins);
		ds_buf_free(&upd);
		return DS_ENOMEM;
	}
	char *w = p->names;
	p->t = *t;
	p->t.name = w;
	w += ds_strlcpy(w, t->name, total) + 1;
	for (int i = 0; i < t->ncols; i++) {
		p->cols[i] = w;
		w += ds_strlcpy(w, t->cols[i], total - (size_t)(w - p->names)) + 1;
	}
	p->t.cols = p->cols;
	p->select_sql = sel.p;
	p->insert_sql = ins.p;
	p->update_sql = upd.p;
	return DS_OK;
}

static bool same_table(const struct ds_table *a, const struct ds_table *b)
{
	if (a->ncols != b->ncols || a->nkey != b->nkey || strcmp(a->name, b->name) != 0)
		return false;
	for (int i = 0; i < a->ncols; i++)
		if (strcmp(a->cols[i], b->cols[i]) != 0)
			return false;
	return true;
}

/* Binds without copying: put's statements run before the values change. */
static int bind_value(sqlite3_stmt *s, int idx, const struct ds_value *v)
{
	switch (v->type) {
	case DS_V_INT:
		return sqlite3_bind_int64(s, idx, v->i);
	case DS_V_REAL:
		return sqlite3_bind_double(s, idx, v->r);
	case DS_V_TEXT:
		return sqlite3_bind_text(s, idx, v->s, -1, SQLITE_STATIC);
	case DS_V_BLOB:
		return sqlite3_bind_blob64(s, idx, v->s, v->n, SQLITE_STATIC);
	case DS_V_NULL:
	default:
		return sqlite3_bind_null(s, idx);
	}
}

static ds_err put_stmt(ds_store *st, sqlite3_stmt **slot, const char *sql, struct ds_diag *diag)
{
	if (*slot)
		return DS_OK;
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
	return rc == SQLITE_OK ? DS_OK : fail(st, rc, diag, "cannot prepare statement");
}

/* Steps a statement that returns no row, then resets it. */
static ds_err put_run(ds_store *st, sqlite3_stmt *s, struct ds_diag *diag)
{
	int rc = sqlite3_step(s);
	ds_err err = rc == SQLITE_DONE || rc == SQLITE_ROW ? DS_OK
	                                                   : fail(st, rc, diag, "statement failed");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return err;
}

static bool same_value(sqlite3_stmt *s, int col, const struct ds_value *v)
{
	int type = sqlite3_column_type(s, col);
	switch (v->type) {
	case DS_V_NULL:
		return type == SQLITE_NULL;
	case DS_V_INT:
		return type == SQLITE_INTEGER && sqlite3_column_int64(s, col) == v->i;
	case DS_V_REAL:
		return type == SQLITE_FLOAT && sqlite3_column_double(s, col) == v->r;
	case DS_V_TEXT:
		return type == SQLITE_TEXT &&
		       strcmp((const char *)sqlite3_column_text(s, col), v->s) == 0;
	case DS_V_BLOB:
		return type == SQLITE_BLOB && (size_t)sqlite3_column_bytes(s, col) == v->n &&
		       (v->n == 0 || memcmp(sqlite3_column_blob(s, col), v->s, v->n) == 0);
	}
	return false;
}

static ds_err key_text(const struct ds_table *t, const struct ds_value *vals, struct ds_buf *k)
{
	ds_err e = ds_buf_adds(k, t->name);
	for (int i = 0; i < t->nkey && !e; i++) {
		e = ds_buf_adds(k, "\x1f");
		if (!e && vals[i].type == DS_V_TEXT)
			e = ds_buf_adds(k, vals[i].s);
		else if (!e)
			e = ds_buf_addf(k, "%lld", (long long)vals[i].i);
	}
	return e;
}

/*
 * Records that a key was met in this batch without writing its row, so a
 * second occurrence is known as a duplicate. (A written row carries the
 * batch id itself.) *dup tells whether it had been recorded already.
 */
static ds_err seen_mark(ds_store *st, const struct ds_table *t, const struct ds_value *vals,
                        int64_t batch, bool insert, bool *dup, struct ds_diag *diag)
{
	ds_err err;
	if (!st->seen_ready) {
		err = ds_store_exec(st,
		                    "CREATE TEMP TABLE IF NOT EXISTS put_seen("
		                    "batch INTEGER, k TEXT, PRIMARY KEY(batch,k))"
		                    " WITHOUT ROWID",
		                    diag);
		if (err)
			return err;
		st->seen_ready = true;
	}
	struct ds_buf k;
	ds_buf_init(&k, 1 << 20);
	if ((err = key_text(t, vals, &k))) {
		ds_buf_free(&k);
		return ds_diag_set(diag, err, NULL, 0, NULL, "key too long");
	}
	ds_stmt *s;
	err = ds_store_prepare(st,
	                       insert ? "INSERT OR IGNORE INTO put_seen VALUES(?,?)"
	                              : "SELECT 1 FROM put_seen WHERE batch=? AND k=?",
	                       &s, diag);
	if (!err) {
		bool row;
		ds_stmt_bind_int(s, 1, batch);
		ds_stmt_bind_text(s, 2, k.p);
		err = ds_stmt_step(s, &row, diag);
		*dup = insert ? ds_store_changes(st) == 0 : row;
		ds_stmt_done(s);
	}
	ds_buf_free(&k);
	return err;
}

ds_err ds_store_put(ds_store *st, const struct ds_table *t, const struct ds_value *vals,
                    int64_t batch, ds_put_result *res, struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_pg_put(st, t, vals, batch, res, diag);
	struct put_sql *p = NULL;
	for (int i = 0; i < st->nput && !p; i++)
		if (same_table(&st->put[i].t, t))
			p = &st->put[i];
	if (!p) {
		if (st->nput == PUT_TABLES)
			return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "too many tables");
		p = &st->put[st->nput];
		if (build_put_sql(t, p))
			return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		st->nput++;
	}
	/* Most rows of a feed are new: try the insert first, and look at the
	 * stored row only when the key is taken. */
	ds_err err;
	if ((err = put_stmt(st, &p->insert, p->insert_sql, diag)) ||
	    (err = put_stmt(st, &p->select, p->select_sql, diag)) ||
	    (err = put_stmt(st, &p->update, p->update_sql, diag)))
		return err;
	sqlite3_bind_int64(p->insert, 1, batch);
	for (int i = 0; i < t->ncols; i++)
		bind_value(p->insert, i + 2, &vals[i]);
	if ((err = put_run(st, p->insert, diag)))
		return err;
	if (sqlite3_changes64(st->db) == 1) {
		*res = DS_PUT_INSERTED;
		return DS_OK;
	}
	sqlite3_stmt *s = p->select;
	for (int i = 0; i < t->nkey; i++)
		bind_value(s, i + 1, &vals[i]);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		err = rc == SQLITE_DONE ? ds_diag_set(diag, DS_ESTORE, NULL, 0, NULL,
		                                      "%s: conflicting row not found", t->name)
		                        : fail(st, rc, diag, "statement failed");
		sqlite3_reset(s);
		return err;
	}
	if (sqlite3_column_int64(s, 0) == batch) {
		/* written by this batch already: the key came before */
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		*res = DS_PUT_DUPLICATE;
		return DS_OK;
	}
	bool same = true;
	for (int i = t->nkey; same && i < t->ncols; i++)
		if (!(t->nocompare_mask & (UINT64_C(1) << i)))
			same = same_value(s, i + 1, &vals[i]);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	/* Untouched by this batch so far: a duplicate only if met before. */
	bool dup = false;
	if ((err = seen_mark(st, t, vals, batch, same, &dup, diag)))
		return err;
	if (dup) {
		*res = DS_PUT_DUPLICATE;
		return DS_OK;
	}
	if (same) {
		*res = DS_PUT_UNCHANGED;
		return DS_OK;
	}
	s = p->update;
	sqlite3_bind_int64(s, 1, batch);
	int idx = 2;
	for (int i = t->nkey; i < t->ncols; i++)
		bind_value(s, idx++, &vals[i]);
	for (int i = 0; i < t->nkey; i++)
		bind_value(s, idx++, &vals[i]);
	*res = DS_PUT_UPDATED;
	return put_run(st, s, diag);
}

ds_err ds_store_exists(ds_store *st, const char *table, const char *keycol, const char *key,
                       bool *found, struct ds_diag *diag)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE %s=?", table, keycol);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st, sql, &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, key);
	err = ds_stmt_step(s, found, diag);
	ds_stmt_done(s);
	return err;
}

/* ------------------------------------------------------------- bulk */

ds_err ds_store_bulk_prepare(ds_store *st, const char *table, bool *bulk, struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_pg_bulk_prepare(st, table, bulk, diag);
	*bulk = false;
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT 1 FROM %s LIMIT 1", table);
	ds_stmt *s;
	bool row;
	ds_err err = ds_store_prepare(st, sql, &s, diag);
	if (err)
		return err;
	err = ds_stmt_step(s, &row, diag);
	ds_stmt_done(s);
	if (err || row)
		return err;
	/* References are checked once, in key order, at the end of the load;
	 * the setting only takes effect outside a transaction. */
	if ((err = ds_store_exec(st, "PRAGMA foreign_keys=OFF", diag)))
		return err;
	*bulk = true;
	return DS_OK;
}

void ds_store_bulk_finish(ds_store *st)
{
	if (DS_ON_PG(st)) {
		ds_pg_bulk_finish(st);
		return;
	}
	ds_store_exec(st, "PRAGMA foreign_keys=ON", NULL);
}

ds_err ds_store_bulk_begin(ds_store *st, const char *table, char **token, struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_pg_bulk_begin(st, table, token, diag);
	*token = NULL;
	/* The CREATE INDEX and CREATE TRIGGER statements to replay, one per
	 * line: a trigger run for each of millions of rows costs more than
	 * doing its work once at the end (the account ledger's, for one). */
	struct ds_buf redo, drop;
	ds_buf_init(&redo, 1 << 16);
	ds_buf_init(&drop, 1 << 16);
	ds_stmt *s;
	bool row;
	ds_err err = ds_store_prepare(st,
	                              "SELECT name, sql, type FROM sqlite_master WHERE"
	                              " type IN ('index','trigger') AND tbl_name=?"
	                              " AND sql IS NOT NULL",
	                              &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, table);
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if (ds_buf_addf(&redo, "%s;\n", ds_stmt_text(s, 1)) ||
		    ds_buf_addf(&drop, "DROP %s \"%s\";",
		                strcmp(ds_stmt_text(s, 2), "index") == 0 ? "INDEX" : "TRIGGER",
		                ds_stmt_text(s, 0))) {
			err = ds_diag_set(diag, DS_ETOOBIG, NULL, 0, NULL, "too many indexes");
			break;
		}
	}
	ds_stmt_done(s);
	if (!err && drop.len)
		err = ds_store_exec(st, drop.p, diag);
	ds_buf_free(&drop);
	if (err || !redo.len) {
		ds_buf_free(&redo);
		return err;
	}
	*token = redo.p;
	return DS_OK;
}

ds_err ds_store_bulk_end(ds_store *st, const char *table, const char *token, bool *orphans,
                         struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_pg_bulk_end(st, table, token, orphans, diag);
	*orphans = false;
	ds_err err = token ? ds_store_exec(st, token, diag) : DS_OK;
	/* what the triggers set aside would have listed */
	if (!err && st->schema >= DS_LEDGER_SCHEMA)
		err = ds_ledger_touch_table(st, table, diag);
	if (err)
		return err;
	/* Every reference the table makes, checked in the order of the child
	 * column (its index, when there is one): the parent's index is then
	 * read in order instead of at random. */
	char sql[512];
	snprintf(sql, sizeof sql,
	         "SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list('%s')", table);
	sqlite3_stmt *fk;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &fk, NULL);
	if (rc != SQLITE_OK)
		return fail(st, rc, diag, "cannot list references");
	while (!err && !*orphans && sqlite3_step(fk) == SQLITE_ROW) {
		const char *from = (const char *)sqlite3_column_text(fk, 0);
		const char *parent = (const char *)sqlite3_column_text(fk, 1);
		const char *to = (const char *)sqlite3_column_text(fk, 2);
		snprintf(sql, sizeof sql,
		         "SELECT 1 FROM %s c WHERE c.%s IS NOT NULL AND NOT EXISTS "
		         "(SELECT 1 FROM %s p WHERE p.%s = c.%s) ORDER BY c.%s LIMIT 1",
		         table, from, parent, to ? to : from, from, from);
		sqlite3_stmt *q;
		if ((rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL)) != SQLITE_OK) {
			err = fail(st, rc, diag, "cannot check references");
			break;
		}
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW)
			*orphans = true;
		else if (rc != SQLITE_DONE)
			err = fail(st, rc, diag, "cannot check references");
		sqlite3_finalize(q);
	}
	sqlite3_finalize(fk);
	return err;
}

/* ------------------------------------------------------------- meta */

ds_err ds_store_meta_get(ds_store *st, const char *name, char *out, size_t outsz, bool *found,
                         struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st, "SELECT value FROM store_meta WHERE name=?", &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, name);
	err = ds_stmt_step(s, found, diag);
	if (!err && *found)
		ds_strlcpy(out, ds_stmt_text(s, 0), outsz);
	ds_stmt_done(s);
	return err;
}

ds_err ds_store_meta_set(ds_store *st, const char *name, const char *value, struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "INSERT INTO store_meta(name,value) VALUES(?,?) "
	                              "ON CONFLICT(name) DO UPDATE SET value=excluded.value",
	                              &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_text(s, 1, name);
	ds_stmt_bind_text(s, 2, value);
	err = ds_stmt_step(s, &row, diag);
	ds_stmt_done(s);
	return err;
}

ds_err ds_store_check_key(ds_store *st, const struct ds_pii_key *key, struct ds_diag *diag)
{
	char mark[DS_PII_HASH_HEX], have[DS_PII_HASH_HEX];
	ds_pii_hash(key, "doorstep data-protection key check", mark);
	bool found;
	ds_err err = ds_store_meta_get(st, "pii_key_check", have, sizeof have, &found, diag);
	if (err)
		return err;
	if (!found) {
		if ((err = ds_store_meta_set(st, "pii_key_check", mark, diag)))
			return err;
		return ds_store_audit(st, "bind_key", "store_meta", "pii_key_check", NULL, diag);
	}
	if (strcmp(have, mark) != 0)
		return ds_diag_set(diag, DS_ECRYPTO, NULL, 0, NULL,
		                   "the data-protection key file does not belong to this "
		                   "database (restore the key file that was made with it)");
	return DS_OK;
}

bool ds_store_has_key(ds_store *st)
{
	char have[DS_PII_HASH_HEX];
	bool found = false;
	if (ds_store_meta_get(st, "pii_key_check", have, sizeof have, &found, NULL))
		return false;
	return found;
}

/* ------------------------------------------------------------ audit */

/*
 * Appends one entry. It continues the chain from the head recorded in
 * store_meta rather than from the last row: entries deleted at the end
 * then stay visible as a gap even after later appends (and a row added
 * behind the store's back as a broken link), where chaining on from the
 * last row would hide them.
 */
static ds_err audit_append(ds_store *st, const char *action, const char *entity,
                           const char *entity_id, const char *detail, struct ds_diag *diag)
{
	ds_stmt *s;
	bool row;
	char prev[65] = DS_AUDIT_GENESIS;
	int64_t last = 0;
	ds_err err = ds_store_prepare(
	        st, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", &s, diag);
	if (err)
		return err;
	if (!(err = ds_stmt_step(s, &row, diag)) && row) {
		last = ds_stmt_int(s, 0);
		ds_strlcpy(prev, ds_stmt_text(s, 1), sizeof prev);
	}
	ds_stmt_done(s);
	if (err)
		return err;
	int64_t head_seq = 0;
	char head_hash[65];
	bool head = false, readable = false;
	if ((err = ds_audit_head_get(st, &head_seq, head_hash, &head, &readable, diag)))
		return err;
	int64_t seq = last + 1;
	if (head && readable) {
		ds_strlcpy(prev, head_hash, sizeof prev);
		seq = (head_seq > last ? head_seq : last) + 1;
	}
	int64_t at = (int64_t)time(NULL);
	char hex[65];
	ds_audit_hash(prev, at, ds_store_actor(st), action, entity, entity_id, detail, hex);
	if ((err = ds_store_prepare(st,
	                            "INSERT INTO audit_log(seq,at,actor,action,entity,"
	                            "entity_id,detail,prev_hash,hash) "
	                            "VALUES(?,?,?,?,?,?,?,?,?)",
	                            &s, diag)))
		return err;
	ds_stmt_bind_int(s, 1, seq);
	ds_stmt_bind_int(s, 2, at);
	ds_stmt_bind_text(s, 3, ds_store_actor(st));
	ds_stmt_bind_text(s, 4, action);
	ds_stmt_bind_text(s, 5, entity);
	ds_stmt_bind_text(s, 6, entity_id);
	ds_stmt_bind_text(s, 7, detail);
	ds_stmt_bind_text(s, 8, prev);
	ds_stmt_bind_text(s, 9, hex);
	err = ds_stmt_step(s, &row, diag);
	ds_stmt_done(s);
	return err ? err : ds_audit_head_set(st, seq, hex, diag);
}

/* See store.h. Also records the chain's head (audit.c), in the same
 * transaction as the entry. */
ds_err ds_store_audit(ds_store *st, const char *action, const char *entity, const char *entity_id,
                      const char *detail, struct ds_diag *diag)
{
	/* The entry and the head go in together, in the caller's transaction
	 * or in one of their own. */
	bool own = DS_ON_PG(st) ? !ds_pg_in_txn(st) : sqlite3_get_autocommit(st->db) != 0;
	ds_err err = own ? ds_store_begin(st, diag) : DS_OK;
	if (err)
		return err;
	err = audit_append(st, action, entity, entity_id, detail, diag);
	if (own) {
		if (!err)
			err = ds_store_commit(st, diag);
		if (err)
			ds_store_rollback(st);
	}
	return err;
}

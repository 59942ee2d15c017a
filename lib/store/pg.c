/*
 * The PostgreSQL backend of the store (libpq), behind the same store.h as
 * SQLite's: a location starting with postgresql:// or postgres:// opens it
 * (docs/storage.md).
 *
 * Callers write SQLite's placeholders ('?', '?N'); each statement is
 * translated to $N once and prepared on the server under a name of its own,
 * cached by its text like SQLite's. The server infers each parameter's type
 * from the statement, and a bound value is sent as that type's text (a blob
 * as bytes), so an integer compared with a text column works as it does in
 * SQLite. A statement whose parameter types cannot be inferred ("? IS
 * NULL") is prepared at its first run with the types of the values bound.
 *
 * Results are read whole at the first step (nested statements on one
 * connection then need no cursor). A write transaction takes, at BEGIN, a
 * transaction-level advisory lock that every doorstep writer takes: the
 * writers of one database follow one another, as SQLite's BEGIN IMMEDIATE
 * makes them, while readers read on (MVCC). Waiting for it is bounded by
 * the busy timeout (lock_timeout); past it the caller gets DS_EBUSY.
 */
#include "doorstep/store.h"
#include "store-int.h"

#include <errno.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STMT_SLOTS 256
#define PUT_TABLES 32
#define ID_TABLES  64
/* The advisory lock every write transaction takes: 'DSTP'. */
#define WRITE_LOCK "1146311760"

/* PostgreSQL's type oids (pg_type.dat) that decide how a value is read. */
enum {
	OID_BOOL = 16,
	OID_BYTEA = 17,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_TEXT = 25,
	OID_OID = 26,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_NUMERIC = 1700,
};

struct pg_stmt;

/* ds_store_put's statements for one table and column list. */
struct pg_put {
	char *key; /* table and columns, NUL-separated, for finding it again */
	size_t keylen;
	char *select_sql, *insert_sql, *update_sql;
};

/* A table's identity column (the SQLite text's INTEGER PRIMARY KEY), for
 * ds_store_last_id: "" when it has none. */
struct pg_ident {
	char table[64];
	char column[64];
};

struct pg_store {
	unsigned char backend; /* DS_BACKEND_PG: first (store-int.h) */
	PGconn *conn;
	char *location;
	char *shown; /* the location without a password, for messages */
	char *actor;
	int schema;
	int migrating;
	int busy_ms;
	int64_t changes;
	int64_t last_id;
	bool seen_ready;
	unsigned next_name;
	struct pg_stmt *slots[STMT_SLOTS];
	struct pg_put put[PUT_TABLES];
	int nput;
	struct pg_ident ident[ID_TABLES];
	int nident;
	struct pg_bulk *bulk; /* a first load under way (ds_store_bulk_begin) */
};

/* A first load into an empty table: its rows gathered as COPY's text and
 * sent in one COPY before commit; the keys met, to tell duplicates. */
struct pg_bulk {
	char *table;
	char *copy_sql; /* COPY table(batch_id, cols...) FROM STDIN */
	struct ds_buf rows;
	char **keys; /* open addressing, NULL: free */
	size_t cap, n;
};

struct pg_stmt {
	unsigned char backend; /* DS_BACKEND_PG: first (store-int.h) */
	struct pg_store *st;
	char *sql;     /* as the caller wrote it: the cache's key */
	char *pg_sql;  /* with $N placeholders (and RETURNING for last_id) */
	char name[24]; /* the server's name for it; "" until prepared */
	bool deferred; /* prepared at the first run, with the bound types */
	bool returning_id;
	int nparams;
	Oid *ptypes; /* as the server inferred them (0: not known) */
	char **vals;
	int *lens, *fmts;
	Oid *btypes;    /* the bound values' own types, for a deferred prepare */
	PGresult *desc; /* the columns, before the first run */
	PGresult *res;
	int row, nrows;
	bool ran, done, in_use, cached;
	/* the current row's decoded bytea (and bool) values, per column */
	unsigned char **cell;
	size_t *cell_len;
	int ncell;
};

static inline struct pg_store *S(ds_store *st)
{
	return (struct pg_store *)(void *)st;
}
static inline struct pg_stmt *T(ds_stmt *s)
{
	return (struct pg_stmt *)(void *)s;
}

bool ds_pg_location(const char *location)
{
	return strncmp(location, "postgresql://", 13) == 0 ||
	       strncmp(location, "postgres://", 11) == 0;
}

/* --------------------------------------------------------------- errors */

static ds_err map_state(const char *state)
{
	if (!state || !*state)
		return DS_EIO; /* no answer: the connection is gone */
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0)
		return DS_EBUSY;
	if (strncmp(state, "53", 2) == 0 || strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "58", 2) == 0 || strcmp(state, "25006") == 0)
		return DS_EIO;
	return DS_ESTORE;
}

/* The message of a failed result (or of the connection), one line. */
static ds_err fail_res(struct pg_store *st, const PGresult *res, struct ds_diag *diag,
                       const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char buf[512];
	if (!msg) {
		ds_strlcpy(buf, st && st->conn ? PQerrorMessage(st->conn) : "no connection",
		           sizeof buf);
		size_t n = strlen(buf);
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			buf[--n] = '\0';
		msg = buf;
	}
	ds_err err = map_state(state);
	return ds_diag_set(diag, err, err == DS_EIO && st ? st->shown : NULL, 0, NULL, "%s: %s",
	                   what, msg);
}

static bool res_ok(const PGresult *res)
{
	ExecStatusType t = PQresultStatus(res);
	return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

/* Runs SQL without parameters (several statements allowed). */
static ds_err run(struct pg_store *st, const char *sql, struct ds_diag *diag)
{
	PGresult *res = PQexec(st->conn, sql);
	ds_err err = res_ok(res) ? DS_OK : fail_res(st, res, diag, "statement failed");
	if (!err) {
		const char *tag = PQcmdStatus(res);
		if (strncmp(tag, "INSERT", 6) == 0 || strncmp(tag, "UPDATE", 6) == 0 ||
		    strncmp(tag, "DELETE", 6) == 0)
			st->changes = strtoll(PQcmdTuples(res), NULL, 10);
	}
	PQclear(res);
	return err;
}

/* One integer from a query without parameters; dflt when there is none. */
static ds_err query_int(struct pg_store *st, const char *sql, int64_t dflt, int64_t *out,
                        struct ds_diag *diag)
{
	PGresult *res = PQexec(st->conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ds_err err = fail_res(st, res, diag, "cannot read the database");
		PQclear(res);
		return err;
	}
	*out = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)
	               ? strtoll(PQgetvalue(res, 0, 0), NULL, 10)
	               : dflt;
	PQclear(res);
	return DS_OK;
}

/* ------------------------------------------------------- SQL translation */

/* Copies a quoted string, identifier or comment starting at p (a quote, a
 * "--" or a slash-star) to b; returns the character after it. */
static const char *skip_quoted(const char *p, struct ds_buf *b, ds_err *e)
{
	const char *start = p;
	if (*p == '\'' || *p == '"') {
		char q = *p++;
		for (; *p; p++)
			if (*p == q) {
				if (p[1] == q)
					p++;
				else {
					p++;
					break;
				}
			}
	} else if (p[0] == '-' && p[1] == '-') {
		while (*p && *p != '\n')
			p++;
	} else if (p[0] == '/' && p[1] == '*') {
		const char *end = strstr(p + 2, "*/");
		p = end ? end + 2 : p + strlen(p);
	}
	if (b && !*e)
		*e = ds_buf_add(b, start, (size_t)(p - start));
	return p;
}

static bool quoted_start(const char *p)
{
	return *p == '\'' || *p == '"' || (p[0] == '-' && p[1] == '-') ||
	       (p[0] == '/' && p[1] == '*');
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Whether the word at p is w (case-insensitive, whole word). */
static bool word_is(const char *p, const char *w)
{
	size_t n = strlen(w);
	return strncasecmp(p, w, n) == 0 && !word_char(p[n]);
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* '?' and '?N' to $N; *nparams the highest number. */
static ds_err to_dollars(const char *sql, char **out, int *nparams)
{
	struct ds_buf b;
	ds_buf_init(&b, 1 << 24);
	ds_err e = DS_OK;
	int next = 0, max = 0;
	const char *p = sql;
	while (*p && !e) {
		if (quoted_start(p)) {
			p = skip_quoted(p, &b, &e);
		} else if (*p == '?') {
			p++;
			int n;
			if (*p >= '0' && *p <= '9') {
				char *end;
				n = (int)strtol(p, &end, 10);
				p = end;
			} else {
				n = ++next;
			}
			if (n > next)
				next = n;
			if (n > max)
				max = n;
			e = ds_buf_addf(&b, "$%d", n);
		} else {
			e = ds_buf_add(&b, p, 1);
			p++;
		}
	}
	if (!e && !b.p)
		e = ds_buf_adds(&b, "");
	if (e) {
		ds_buf_free(&b);
		return e;
	}
	*out = b.p;
	*nparams = max;
	return DS_OK;
}

/* See store-int.h: SQLite's schema text in PostgreSQL's types. */
static ds_err translate_schema(const char *sql, char **out)
{
	struct ds_buf b;
	ds_buf_init(&b, 1 << 24);
	ds_err e = DS_OK;
	const char *p = sql;
	while (*p && !e) {
		if (quoted_start(p)) {
			p = skip_quoted(p, &b, &e);
			continue;
		}
		if (!word_char(*p) || (p > sql && word_char(p[-1]))) {
			e = ds_buf_add(&b, p, 1);
			p++;
			continue;
		}
		const char *q;
		if (word_is(p, "INTEGER") && word_is(q = skip_space(p + 7), "PRIMARY") &&
		    word_is(q = skip_space(q + 7), "KEY")) {
			/* a rowid alias: numbered by the database when not given */
			e = ds_buf_adds(&b, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
			p = q + 3;
		} else if (word_is(p, "INTEGER")) {
			e = ds_buf_adds(&b, "BIGINT"); /* SQLite's integers are 64 bits */
			p += 7;
		} else if (word_is(p, "REAL")) {
			e = ds_buf_adds(&b, "DOUBLE PRECISION");
			p += 4;
		} else if (word_is(p, "BLOB")) {
			e = ds_buf_adds(&b, "BYTEA");
			p += 4;
		} else if (word_is(p, "WITHOUT") && word_is(q = skip_space(p + 7), "ROWID")) {
			p = q + 5; /* a table is one heap and its key's index either way */
		} else {
			const char *w = p;
			while (word_char(*p))
				p++;
			e = ds_buf_add(&b, w, (size_t)(p - w));
		}
	}
	if (!e && !b.p)
		e = ds_buf_adds(&b, "");
	if (e) {
		ds_buf_free(&b);
		return e;
	}
	*out = b.p;
	return DS_OK;
}

ds_err ds_pg_migration_sql(const struct ds_migration *m, char **out)
{
	for (int i = 0; i < ds_pg_migrations_count; i++)
		if (ds_pg_migrations[i].version == m->version) {
			*out = ds_strdup(ds_pg_migrations[i].sql);
			return *out ? DS_OK : DS_ENOMEM;
		}
	return translate_schema(m->sql, out);
}

/* ------------------------------------------------------------ open/close */

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* NOTICEs (IF NOT EXISTS ...) are not the user's business */
}

/* The location without its password: it names the database in messages. */
static char *shown_location(const char *location)
{
	const char *scheme = strstr(location, "://");
	const char *at = strchr(location, '@');
	const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
	if (!scheme || !at || (slash && at > slash))
		return ds_strdup(location);
	const char *colon = memchr(scheme + 3, ':', (size_t)(at - (scheme + 3)));
	if (!colon)
		return ds_strdup(location);
	struct ds_buf b;
	ds_buf_init(&b, 4096);
	ds_err e = ds_buf_add(&b, location, (size_t)(colon - location));
	if (!e)
		e = ds_buf_adds(&b, at);
	if (e) {
		ds_buf_free(&b);
		return NULL;
	}
	return b.p;
}

static void migration_sha256(const char *sql, char out[65])
{
	unsigned char d[32];
	crypto_hash_sha256(d, (const unsigned char *)sql, strlen(sql));
	sodium_bin2hex(out, 65, d, sizeof d);
}

/* Every applied migration must be the text this build would apply. */
static ds_err check_migrations(struct pg_store *st, struct ds_diag *diag)
{
	PGresult *res = PQexec(st->conn, "SELECT version, name, sha256 FROM schema_migrations");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		ds_err err = ds_diag_set(diag, DS_ESCHEMA, st->shown, 0, NULL,
		                         "cannot read the schema history: %s", msg ? msg : "");
		PQclear(res);
		return err;
	}
	ds_err err = DS_OK;
	for (int r = 0; r < PQntuples(res) && !err; r++) {
		int v = (int)strtol(PQgetvalue(res, r, 0), NULL, 10);
		if (v < 1 || v > ds_migrations_count)
			continue;
		char *sql, sum[65];
		if (ds_pg_migration_sql(&ds_migrations[v - 1], &sql)) {
			err = ds_diag_set(diag, DS_ENOMEM, st->shown, 0, NULL, "out of memory");
			break;
		}
		migration_sha256(sql, sum);
		ds_free(sql);
		if (strcmp(PQgetvalue(res, r, 2), sum) != 0)
			err = ds_diag_set(diag, DS_ESCHEMA, st->shown, 0, NULL,
			                  "schema migration %d (%s) in this database differs from "
			                  "the one this doorstep carries",
			                  v, PQgetvalue(res, r, 1));
	}
	PQclear(res);
	return err;
}

ds_err ds_pg_open(const char *location, const struct ds_store_opts *opts, ds_store **out,
                  struct ds_diag *diag)
{
	struct ds_store_opts o = { 0 };
	if (opts)
		o = *opts;
	struct pg_store *st = ds_calloc(1, sizeof *st);
	if (!st)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	st->backend = DS_BACKEND_PG;
	st->busy_ms = o.busy_timeout_ms > 0 ? o.busy_timeout_ms : 5000;
	st->actor = ds_strdup(o.actor ? o.actor : "system");
	st->location = ds_strdup(location);
	st->shown = shown_location(location);
	ds_err err = DS_OK;
	if (!st->actor || !st->location || !st->shown) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto bad;
	}
	st->conn = PQconnectdb(location);
	if (!st->conn || PQstatus(st->conn) != CONNECTION_OK) {
		err = fail_res(st, NULL, diag, "cannot open database");
		goto bad;
	}
	PQsetNoticeProcessor(st->conn, quiet, NULL);
	char set[256];
	snprintf(set, sizeof set,
	         "SET lock_timeout = %d; SET client_min_messages = warning;"
	         " SET client_encoding = 'UTF8'",
	         st->busy_ms);
	if ((err = run(st, set, diag)))
		goto bad;
	int64_t has_history = 0, tables = 0;
	if ((err = query_int(st, "SELECT (to_regclass('schema_migrations') IS NOT NULL)::int", 0,
	                     &has_history, diag)) ||
	    (err = query_int(st,
	                     "SELECT count(*) FROM pg_catalog.pg_tables"
	                     " WHERE schemaname = current_schema()",
	                     0, &tables, diag)))
		goto bad;
	if (!has_history && tables > 0) {
		err = ds_diag_set(diag, DS_ESCHEMA, st->shown, 0, NULL,
		                  "not a doorstep database (it has tables but no schema history)");
		goto bad;
	}
	int64_t v = 0;
	if (has_history &&
	    (err = query_int(st, "SELECT coalesce(max(version),0) FROM schema_migrations", 0, &v,
	                     diag)))
		goto bad;
	st->schema = (int)v;
	if (st->schema > ds_store_schema_latest()) {
		err = ds_diag_set(diag, DS_ESCHEMA, st->shown, 0, NULL,
		                  "database schema version %d is newer than this "
		                  "doorstep knows (%d); use a newer doorstep",
		                  st->schema, ds_store_schema_latest());
		goto bad;
	}
	if (st->schema > 0 && (err = check_migrations(st, diag)))
		goto bad;
	if (!o.for_init && st->schema < ds_store_schema_latest()) {
		err = ds_diag_set(diag, DS_ESCHEMA, st->shown, 0, NULL,
		                  st->schema == 0
		                          ? "database is not initialised; run 'doorstep init'"
		                          : "database schema version %d is older than this "
		                            "doorstep (%d); run 'doorstep init' to upgrade it",
		                  st->schema, ds_store_schema_latest());
		goto bad;
	}
	*out = (ds_store *)(void *)st;
	return DS_OK;
bad:
	ds_pg_close((ds_store *)(void *)st);
	return err;
}

ds_err ds_pg_open_reader(ds_store *store, ds_store **out, struct ds_diag *diag)
{
	struct pg_store *st = S(store);
	struct ds_store_opts o = { .actor = st->actor, .busy_timeout_ms = st->busy_ms };
	return ds_pg_open(st->location, &o, out, diag);
}

static void cells_clear(struct pg_stmt *s)
{
	for (int i = 0; i < s->ncell; i++) {
		ds_free(s->cell[i]);
		s->cell[i] = NULL;
	}
}

static void stmt_free(struct pg_stmt *s)
{
	if (!s)
		return;
	if (!s->cached && s->name[0] && s->st->conn) {
		char sql[64];
		snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
		PQclear(PQexec(s->st->conn, sql));
	}
	for (int i = 0; i < s->nparams; i++)
		ds_free(s->vals[i]);
	cells_clear(s);
	ds_free(s->cell);
	ds_free(s->cell_len);
	ds_free(s->vals);
	ds_free(s->lens);
	ds_free(s->fmts);
	ds_free(s->ptypes);
	ds_free(s->btypes);
	PQclear(s->desc);
	PQclear(s->res);
	ds_free(s->sql);
	ds_free(s->pg_sql);
	ds_free(s);
}

static void bulk_free(struct pg_bulk *b);

void ds_pg_close(ds_store *store)
{
	struct pg_store *st = S(store);
	bulk_free(st->bulk);
	for (int i = 0; i < STMT_SLOTS; i++)
		stmt_free(st->slots[i]);
	for (int i = 0; i < st->nput; i++) {
		ds_free(st->put[i].key);
		ds_free(st->put[i].select_sql);
		ds_free(st->put[i].insert_sql);
		ds_free(st->put[i].update_sql);
	}
	if (st->conn)
		PQfinish(st->conn);
	ds_free(st->actor);
	ds_free(st->location);
	ds_free(st->shown);
	ds_free(st);
}

int ds_pg_schema_version(ds_store *st)
{
	return S(st)->schema;
}

const char *ds_pg_actor(const ds_store *st)
{
	return ((const struct pg_store *)(const void *)st)->actor;
}

/* ---------------------------------------------------------- transactions */

bool ds_pg_in_txn(ds_store *st)
{
	return PQtransactionStatus(S(st)->conn) != PQTRANS_IDLE;
}

ds_err ds_pg_begin(ds_store *store, struct ds_diag *diag)
{
	struct pg_store *st = S(store);
	/* READ COMMITTED: each statement after the lock sees every write
	 * committed before it was granted. */
	ds_err err = run(st, "BEGIN ISOLATION LEVEL READ COMMITTED", diag);
	if (err)
		return err;
	if ((err = run(st, "SELECT pg_advisory_xact_lock(" WRITE_LOCK ")", diag))) {
		PQclear(PQexec(st->conn, "ROLLBACK"));
		if (err == DS_EBUSY && diag)
			ds_diag_set(diag, DS_EBUSY, NULL, 0, NULL,
			            "database is busy: another writer held it for %d ms",
			            st->busy_ms);
	}
	return err;
}

ds_err ds_pg_commit(ds_store *store, struct ds_diag *diag)
{
	struct pg_store *st = S(store);
	if (PQtransactionStatus(st->conn) == PQTRANS_INERROR)
		return ds_diag_set(diag, DS_ESTORE, NULL, 0, NULL,
		                   "cannot commit: a statement of the transaction failed");
	int schema = st->migrating ? st->migrating : st->schema;
	ds_err err = schema >= DS_LEDGER_SCHEMA ? ds_ledger_refresh(store, diag) : DS_OK;
	if (err)
		return err;
	PGresult *res = PQexec(st->conn, "COMMIT");
	if (!res_ok(res))
		err = fail_res(st, res, diag, "cannot commit");
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		err = ds_diag_set(diag, DS_ESTORE, NULL, 0, NULL, "cannot commit: %s",
		                  PQcmdStatus(res));
	PQclear(res);
	return err;
}

ds_err ds_pg_ledger_sync(ds_store *store, struct ds_diag *diag)
{
	if (ds_pg_in_txn(store))
		return ds_ledger_refresh(store, diag);
	ds_err err = ds_pg_begin(store, diag);
	if (!err && (err = ds_pg_commit(store, diag)))
		ds_pg_rollback(store);
	return err;
}

void ds_pg_rollback(ds_store *store)
{
	struct pg_store *st = S(store);
	if (PQtransactionStatus(st->conn) != PQTRANS_IDLE)
		PQclear(PQexec(st->conn, "ROLLBACK"));
	/* a temporary table made in the transaction went with it */
	st->seen_ready = false;
}

ds_err ds_pg_exec(ds_store *store, const char *sql, struct ds_diag *diag)
{
	return run(S(store), sql, diag);
}

/* ------------------------------------------------------------ statements */

static unsigned hash_sql(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The table an INSERT writes, if the statement is one. */
static bool insert_table(const char *sql, char *table, size_t n)
{
	const char *p = skip_space(sql);
	if (!word_is(p, "INSERT"))
		return false;
	p = skip_space(p + 6);
	if (!word_is(p, "INTO"))
		return false;
	p = skip_space(p + 4);
	const char *w = p;
	while (word_char(*p))
		p++;
	if (p == w || (size_t)(p - w) >= n)
		return false;
	memcpy(table, w, (size_t)(p - w));
	table[p - w] = '\0';
	return true;
}

/* Whether the statement (outside its strings) says RETURNING already. */
static bool has_word(const char *sql, const char *w)
{
	for (const char *p = sql; *p;) {
		if (quoted_start(p)) {
			ds_err e = DS_OK;
			p = skip_quoted(p, NULL, &e);
		} else if (word_char(*p) && (p == sql || !word_char(p[-1])) && word_is(p, w)) {
			return true;
		} else {
			p++;
		}
	}
	return false;
}

/* The identity column of a table ("" if none), asked of the catalog once. */
static ds_err identity_of(struct pg_store *st, const char *table, const char **col,
                          struct ds_diag *diag)
{
	for (int i = 0; i < st->nident; i++)
		if (strcmp(st->ident[i].table, table) == 0) {
			*col = st->ident[i].column;
			return DS_OK;
		}
	const char *params[1] = { table };
	PGresult *res = PQexecParams(st->conn,
	                             "SELECT a.attname FROM pg_catalog.pg_attribute a"
	                             " WHERE a.attrelid = to_regclass($1) AND a.attidentity <> ''"
	                             " AND NOT a.attisdropped",
	                             1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ds_err err = fail_res(st, res, diag, "cannot prepare statement");
		PQclear(res);
		return err;
	}
	static const char none[] = "";
	const char *found = PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : none;
	if (st->nident < ID_TABLES && strlen(found) < sizeof st->ident[0].column) {
		struct pg_ident *id = &st->ident[st->nident++];
		ds_strlcpy(id->table, table, sizeof id->table);
		ds_strlcpy(id->column, found, sizeof id->column);
		*col = id->column;
	} else {
		*col = none;
	}
	PQclear(res);
	return DS_OK;
}

/* Allocates the parameter arrays of a statement with n parameters. */
static ds_err params_alloc(struct pg_stmt *s, int n)
{
	s->nparams = n;
	if (n == 0)
		return DS_OK;
	s->vals = ds_calloc((size_t)n, sizeof *s->vals);
	s->lens = ds_calloc((size_t)n, sizeof *s->lens);
	s->fmts = ds_calloc((size_t)n, sizeof *s->fmts);
	s->ptypes = ds_calloc((size_t)n, sizeof *s->ptypes);
	s->btypes = ds_calloc((size_t)n, sizeof *s->btypes);
	return s->vals && s->lens && s->fmts && s->ptypes && s->btypes ? DS_OK : DS_ENOMEM;
}

/* The parameter ($N) at a character position (1-based) of the SQL; 0 if
 * there is none there. */
static int param_at(const char *sql, long pos)
{
	const char *p = sql;
	for (long c = 1; *p && c < pos; c++) /* characters, not bytes: UTF-8 */
		for (p++; (*p & 0xc0) == 0x80; p++)
			;
	if (*p != '$' || p[1] < '1' || p[1] > '9')
		return 0;
	return (int)strtol(p + 1, NULL, 10);
}

/* Prepares s on the server with the given parameter types (0 or NULL:
 * the server infers them), then learns its parameters and columns. On a
 * parameter whose type the server cannot tell, *untyped (if given) is its
 * number (-1 when the server does not say which). */
static ds_err server_prepare(struct pg_stmt *s, const Oid *types, struct ds_diag *diag,
                             int *untyped)
{
	struct pg_store *st = s->st;
	snprintf(s->name, sizeof s->name, "ds%u", ++st->next_name);
	PGresult *res = PQprepare(st->conn, s->name, s->pg_sql, s->nparams, types);
	if (!res_ok(res)) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
		if (untyped) {
			bool unknown = state &&
			               (strcmp(state, "42P18") == 0 || strcmp(state, "42P08") == 0);
			int n = unknown && pos ? param_at(s->pg_sql, strtol(pos, NULL, 10)) : 0;
			*untyped = unknown ? (n > 0 ? n : -1) : 0;
		}
		ds_err err = fail_res(st, res, diag, "cannot prepare statement");
		PQclear(res);
		s->name[0] = '\0';
		return err;
	}
	PQclear(res);
	PGresult *d = PQdescribePrepared(st->conn, s->name);
	if (!res_ok(d)) {
		ds_err err = fail_res(st, d, diag, "cannot prepare statement");
		PQclear(d);
		return err;
	}
	for (int i = 0; i < s->nparams && i < PQnparams(d); i++)
		s->ptypes[i] = PQparamtype(d, i);
	PQclear(s->desc);
	s->desc = d;
	return DS_OK;
}

ds_err ds_pg_prepare(ds_store *store, const char *sql, ds_stmt **out, struct ds_diag *diag)
{
	struct pg_store *st = S(store);
	unsigned h = hash_sql(sql) % STMT_SLOTS;
	for (unsigned i = 0; i < 8; i++) {
		struct pg_stmt *c = st->slots[(h + i) % STMT_SLOTS];
		if (c && !c->in_use && strcmp(c->sql, sql) == 0) {
			c->in_use = true;
			*out = (ds_stmt *)(void *)c;
			return DS_OK;
		}
	}
	struct pg_stmt *s = ds_calloc(1, sizeof *s);
	int n = 0;
	if (!s || !(s->sql = ds_strdup(sql)) || to_dollars(sql, &s->pg_sql, &n) ||
	    params_alloc(s, n)) {
		if (s)
			s->st = st;
		stmt_free(s);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	s->backend = DS_BACKEND_PG;
	s->st = st;
	s->row = -1;
	/* ds_store_last_id: an INSERT into a table with an identity column
	 * hands the new id back (RETURNING), read without another round trip */
	char table[64];
	ds_err err = DS_OK;
	if (insert_table(s->pg_sql, table, sizeof table) && !has_word(s->pg_sql, "RETURNING")) {
		const char *col = "";
		if ((err = identity_of(st, table, &col, diag))) {
			stmt_free(s);
			return err;
		}
		if (*col) {
			struct ds_buf b;
			ds_buf_init(&b, 1 << 24);
			if (ds_buf_adds(&b, s->pg_sql) ||
			    ds_buf_addf(&b, " RETURNING \"%s\"", col)) {
				ds_buf_free(&b);
				stmt_free(s);
				return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			}
			ds_free(s->pg_sql);
			s->pg_sql = b.p;
			s->returning_id = true;
		}
	}
	/* A parameter the server cannot type ("? IS NULL") is taken as text,
	 * one at a time; if the statement still does not prepare, it is typed
	 * by the first values bound (at its first run). */
	int untyped = 0;
	bool guessed = false;
	for (int tries = 0;; tries++) {
		untyped = 0;
		if (!(err = server_prepare(s, s->btypes, diag, &untyped)))
			break;
		if (untyped < 1 || untyped > s->nparams || s->btypes[untyped - 1] ||
		    tries > s->nparams)
			break;
		s->btypes[untyped - 1] = OID_TEXT;
		guessed = true;
		ds_diag_clear(diag);
	}
	for (int i = 0; i < s->nparams; i++)
		s->btypes[i] = 0;
	if (err) {
		if (!guessed && !untyped) {
			stmt_free(s);
			return err;
		}
		s->deferred = true;
		ds_diag_clear(diag);
	}
	s->in_use = true;
	for (unsigned i = 0; i < 8; i++) {
		struct pg_stmt **slot = &st->slots[(h + i) % STMT_SLOTS];
		if (!*slot) {
			*slot = s;
			s->cached = true;
			break;
		}
	}
	*out = (ds_stmt *)(void *)s;
	return DS_OK;
}

static void results_clear(struct pg_stmt *s)
{
	cells_clear(s);
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->nrows = 0;
	s->ran = false;
	s->done = false;
}

void ds_pg_done(ds_stmt *stmt)
{
	struct pg_stmt *s = T(stmt);
	results_clear(s);
	for (int i = 0; i < s->nparams; i++) {
		ds_free(s->vals[i]);
		s->vals[i] = NULL;
		s->lens[i] = s->fmts[i] = 0;
		s->btypes[i] = 0;
	}
	s->in_use = false;
	if (!s->cached)
		stmt_free(s);
}

/* Sets parameter idx (1-based) to n bytes (text: NUL-terminated copy). */
static ds_err bind_bytes(struct pg_stmt *s, int idx, const void *v, size_t n, bool binary, Oid type)
{
	if (idx < 1 || idx > s->nparams)
		return DS_EINVAL;
	if (s->ran || s->done)
		results_clear(s);
	int i = idx - 1;
	ds_free(s->vals[i]);
	s->vals[i] = NULL;
	s->btypes[i] = type;
	s->fmts[i] = binary ? 1 : 0;
	s->lens[i] = 0;
	if (!v)
		return DS_OK;
	if (n > (size_t)1 << 30)
		return DS_ETOOBIG;
	char *c = ds_malloc(n + 1);
	if (!c)
		return DS_ENOMEM;
	if (n)
		memcpy(c, v, n);
	c[n] = '\0';
	s->vals[i] = c;
	s->lens[i] = (int)n;
	return DS_OK;
}

ds_err ds_pg_bind_int(ds_stmt *s, int idx, int64_t v)
{
	char num[32];
	int n = snprintf(num, sizeof num, "%lld", (long long)v);
	return bind_bytes(T(s), idx, num, (size_t)n, false, OID_INT8);
}

ds_err ds_pg_bind_real(ds_stmt *s, int idx, double v)
{
	char num[40];
	int n = snprintf(num, sizeof num, "%.17g", v);
	return bind_bytes(T(s), idx, num, (size_t)n, false, OID_FLOAT8);
}

ds_err ds_pg_bind_text(ds_stmt *s, int idx, const char *v)
{
	return bind_bytes(T(s), idx, v, v ? strlen(v) : 0, false, OID_TEXT);
}

ds_err ds_pg_bind_blob(ds_stmt *s, int idx, const void *v, size_t n)
{
	/* the bytes themselves (binary format), empty rather than NULL */
	return bind_bytes(T(s), idx, v ? v : "", n, true, OID_BYTEA);
}

ds_err ds_pg_bind_null(ds_stmt *s, int idx)
{
	return bind_bytes(T(s), idx, NULL, 0, false, 0);
}

static ds_err execute(struct pg_stmt *s, struct ds_diag *diag)
{
	struct pg_store *st = s->st;
	ds_err err;
	if (s->deferred && !s->name[0]) {
		/* the values' own types; a NULL's is left to the server, then,
		 * if it cannot tell either, taken as text */
		int untyped = 0;
		err = server_prepare(s, s->btypes, diag, &untyped);
		if (err && untyped) {
			Oid *t = ds_malloc((size_t)s->nparams * sizeof *t);
			if (!t)
				return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			for (int i = 0; i < s->nparams; i++)
				t[i] = s->btypes[i] ? s->btypes[i] : OID_TEXT;
			ds_diag_clear(diag);
			err = server_prepare(s, t, diag, NULL);
			ds_free(t);
		}
		if (err)
			return err;
	}
	for (int i = 0; i < s->nparams; i++)
		if (s->fmts[i] == 1 && s->ptypes[i] && s->ptypes[i] != OID_BYTEA &&
		    s->ptypes[i] != OID_TEXT)
			s->fmts[i] = 0; /* bytes for a non-bytea parameter: as text */
	PGresult *res = PQexecPrepared(st->conn, s->name, s->nparams, (const char *const *)s->vals,
	                               s->lens, s->fmts, 0);
	if (!res_ok(res)) {
		err = fail_res(st, res, diag, "statement failed");
		PQclear(res);
		return err;
	}
	const char *tag = PQcmdStatus(res);
	bool write = strncmp(tag, "INSERT", 6) == 0 || strncmp(tag, "UPDATE", 6) == 0 ||
	             strncmp(tag, "DELETE", 6) == 0;
	if (write)
		st->changes = strtoll(PQcmdTuples(res), NULL, 10);
	s->res = res;
	s->ran = true;
	s->row = -1;
	s->nrows = PQntuples(res);
	if (s->returning_id) {
		/* the rows RETURNING added are the store's, not the caller's */
		if (s->nrows > 0 && !PQgetisnull(res, s->nrows - 1, 0))
			st->last_id = strtoll(PQgetvalue(res, s->nrows - 1, 0), NULL, 10);
		s->nrows = 0;
	}
	int nf = PQnfields(res);
	if (nf > s->ncell) {
		unsigned char **c = ds_realloc(s->cell, (size_t)nf * sizeof *c);
		if (c)
			s->cell = c;
		size_t *l = c ? ds_realloc(s->cell_len, (size_t)nf * sizeof *l) : NULL;
		if (l)
			s->cell_len = l;
		if (!c || !l)
			return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		for (int i = s->ncell; i < nf; i++)
			s->cell[i] = NULL;
		s->ncell = nf;
	}
	return DS_OK;
}

ds_err ds_pg_step(ds_stmt *stmt, bool *row, struct ds_diag *diag)
{
	struct pg_stmt *s = T(stmt);
	*row = false;
	if (s->done) /* as SQLite: a finished statement runs again */
		results_clear(s);
	if (!s->ran) {
		ds_err err = execute(s, diag);
		if (err)
			return err;
	}
	cells_clear(s);
	s->row++;
	if (s->row < s->nrows) {
		*row = true;
		return DS_OK;
	}
	s->done = true;
	return DS_OK;
}

/* The result the columns are read from: the rows, or before the first run
 * the statement's description. */
static const PGresult *cols_of(struct pg_stmt *s)
{
	return s->res ? s->res : s->desc;
}

int ds_pg_columns(ds_stmt *stmt)
{
	const PGresult *r = cols_of(T(stmt));
	return r ? PQnfields(r) - (T(stmt)->returning_id ? 1 : 0) : 0;
}

const char *ds_pg_column_name(ds_stmt *stmt, int col)
{
	const PGresult *r = cols_of(T(stmt));
	const char *n = r ? PQfname(r, col) : NULL;
	return n ? n : "";
}

static bool has_row(struct pg_stmt *s, int col)
{
	return s->res && s->row >= 0 && s->row < s->nrows && col >= 0 && col < PQnfields(s->res);
}

bool ds_pg_is_null(ds_stmt *stmt, int col)
{
	struct pg_stmt *s = T(stmt);
	return !has_row(s, col) || PQgetisnull(s->res, s->row, col);
}

/* Whether a numeric value's text is a whole number. */
static bool whole(const char *t)
{
	for (; *t; t++)
		if (*t == '.' || *t == 'e' || *t == 'E' || *t == 'N' || *t == 'I')
			return false;
	return true;
}

ds_vtype ds_pg_type(ds_stmt *stmt, int col)
{
	struct pg_stmt *s = T(stmt);
	if (ds_pg_is_null(stmt, col))
		return DS_V_NULL;
	switch (PQftype(s->res, col)) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return DS_V_INT;
	case OID_FLOAT4:
	case OID_FLOAT8:
		return DS_V_REAL;
	case OID_NUMERIC:
		/* sum() of integers is numeric: whole, it is an integer */
		return whole(PQgetvalue(s->res, s->row, col)) ? DS_V_INT : DS_V_REAL;
	case OID_BYTEA:
		return DS_V_BLOB;
	default:
		return DS_V_TEXT;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A bytea value's bytes (hex output format), decoded once per row. */
static const unsigned char *bytea_cell(struct pg_stmt *s, int col, size_t *len)
{
	if (s->cell[col]) {
		*len = s->cell_len[col];
		return s->cell[col];
	}
	const char *t = PQgetvalue(s->res, s->row, col);
	size_t n = (size_t)PQgetlength(s->res, s->row, col);
	if (n < 2 || t[0] != '\\' || t[1] != 'x') {
		*len = 0;
		return (const unsigned char *)"";
	}
	size_t bytes = (n - 2) / 2;
	unsigned char *b = ds_malloc(bytes + 1);
	if (!b) {
		*len = 0;
		return (const unsigned char *)"";
	}
	for (size_t i = 0; i < bytes; i++) {
		int hi = hexval(t[2 + 2 * i]), lo = hexval(t[3 + 2 * i]);
		b[i] = (unsigned char)(hi < 0 || lo < 0 ? 0 : hi << 4 | lo);
	}
	b[bytes] = '\0';
	s->cell[col] = b;
	s->cell_len[col] = bytes;
	*len = bytes;
	return b;
}

int64_t ds_pg_int(ds_stmt *stmt, int col)
{
	struct pg_stmt *s = T(stmt);
	if (ds_pg_is_null(stmt, col))
		return 0;
	const char *t = PQgetvalue(s->res, s->row, col);
	Oid type = PQftype(s->res, col);
	if (type == OID_BOOL)
		return t[0] == 't';
	if (type == OID_FLOAT4 || type == OID_FLOAT8 || (type == OID_NUMERIC && !whole(t)))
		return (int64_t)strtod(t, NULL);
	return strtoll(t, NULL, 10);
}

double ds_pg_real(ds_stmt *stmt, int col)
{
	struct pg_stmt *s = T(stmt);
	if (ds_pg_is_null(stmt, col))
		return 0;
	const char *t = PQgetvalue(s->res, s->row, col);
	if (PQftype(s->res, col) == OID_BOOL)
		return t[0] == 't';
	return strtod(t, NULL);
}

const char *ds_pg_text(ds_stmt *stmt, int col)
{
	struct pg_stmt *s = T(stmt);
	if (ds_pg_is_null(stmt, col))
		return "";
	Oid type = PQftype(s->res, col);
	if (type == OID_BOOL)
		return PQgetvalue(s->res, s->row, col)[0] == 't' ? "1" : "0";
	if (type == OID_BYTEA) {
		size_t n;
		return (const char *)bytea_cell(s, col, &n);
	}
	return PQgetvalue(s->res, s->row, col);
}

const void *ds_pg_blob(ds_stmt *stmt, int col, size_t *len)
{
	struct pg_stmt *s = T(stmt);
	*len = 0;
	if (ds_pg_is_null(stmt, col))
		return "";
	if (PQftype(s->res, col) == OID_BYTEA)
		return bytea_cell(s, col, len);
	*len = (size_t)PQgetlength(s->res, s->row, col);
	return PQgetvalue(s->res, s->row, col);
}

int64_t ds_pg_changes(ds_store *st)
{
	return S(st)->changes;
}

int64_t ds_pg_last_id(ds_store *st)
{
	return S(st)->last_id;
}

/* ------------------------------------------------------------ migrations */

/*
 * SQLite's functions that library SQL uses and PostgreSQL lacks under the
 * same name, where no form common to both exists: made (again) by every
 * doorstep init, outside the numbered migrations, in the schema of the
 * tables. group_concat(x [, sep]) is string_agg (',' by default);
 * instr(s, t) is strpos; julianday(date text) is the Julian day as SQLite
 * counts it (from noon), so differences of days agree.
 */
static const char compat_sql[] =
        "CREATE OR REPLACE FUNCTION ds_concat_step(acc text, x text, sep text)"
        " RETURNS text LANGUAGE sql IMMUTABLE AS"
        " $$ SELECT CASE WHEN x IS NULL THEN acc WHEN acc IS NULL THEN x"
        " ELSE acc || coalesce(sep, '') || x END $$;"
        "CREATE OR REPLACE FUNCTION ds_concat_step(acc text, x text)"
        " RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT ds_concat_step(acc, x, ',') $$;"
        "CREATE OR REPLACE AGGREGATE group_concat(text, text)"
        " (SFUNC = ds_concat_step, STYPE = text);"
        "CREATE OR REPLACE AGGREGATE group_concat(text) (SFUNC = ds_concat_step, STYPE = text);"
        "CREATE OR REPLACE FUNCTION instr(s text, t text) RETURNS integer"
        " LANGUAGE sql IMMUTABLE AS $$ SELECT strpos(s, t) $$;"
        "CREATE OR REPLACE FUNCTION julianday(d text) RETURNS double precision"
        " LANGUAGE sql IMMUTABLE AS"
        " $$ SELECT extract(julian FROM d::timestamp)::double precision - 0.5 $$;";

ds_err ds_pg_migrate(ds_store *store, int *applied, struct ds_diag *diag)
{
	struct pg_store *st = S(store);
	int done = 0;
	ds_err err = DS_OK;
	if (st->schema == 0 && (err = run(st,
	                                  "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                                  " version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
	                                  " sha256 TEXT NOT NULL, applied_at BIGINT NOT NULL)",
	                                  diag)))
		return err;
	if ((err = run(st, compat_sql, diag)))
		return err;
	for (int i = 0; i < ds_migrations_count; i++) {
		const struct ds_migration *m = &ds_migrations[i];
		if (m->version <= st->schema)
			continue;
		char *sql;
		if (ds_pg_migration_sql(m, &sql))
			return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		if ((err = ds_pg_begin(store, diag))) {
			ds_free(sql);
			return err;
		}
		st->migrating = m->version;
		PGresult *res = PQexec(st->conn, sql);
		if (!res_ok(res)) {
			const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			err = ds_diag_set(diag,
			                  map_state(PQresultErrorField(res, PG_DIAG_SQLSTATE)),
			                  m->name, 0, NULL, "migration failed: %s", msg ? msg : "");
			PQclear(res);
			ds_free(sql);
			st->migrating = 0;
			ds_pg_rollback(store);
			return err;
		}
		PQclear(res);
		char sum[65];
		migration_sha256(sql, sum);
		ds_free(sql);
		ds_stmt *s;
		if (!(err = ds_pg_prepare(store,
		                          "INSERT INTO schema_migrations"
		                          "(version,name,sha256,applied_at) VALUES(?,?,?,?)",
		                          &s, diag))) {
			bool row;
			ds_pg_bind_int(s, 1, m->version);
			ds_pg_bind_text(s, 2, m->name);
			ds_pg_bind_text(s, 3, sum);
			ds_pg_bind_int(s, 4, (int64_t)time(NULL));
			err = ds_pg_step(s, &row, diag);
			ds_pg_done(s);
		}
		if (!err) {
			char detail[128];
			snprintf(detail, sizeof detail, "{\"version\":%d,\"name\":\"%s\"}",
			         m->version, m->name);
			err = ds_store_audit(store, "migrate", "schema", m->name, detail, diag);
		}
		if (!err)
			err = ds_pg_commit(store, diag);
		st->migrating = 0;
		if (err) {
			ds_pg_rollback(store);
			return err;
		}
		st->schema = m->version;
		done++;
	}
	if (applied)
		*applied = done;
	return DS_OK;
}

/* ------------------------------------------------------------------- put */

static ds_err put_key(const struct ds_table *t, struct ds_buf *k)
{
	ds_err e = ds_buf_add(k, t->name, strlen(t->name) + 1);
	for (int i = 0; i < t->ncols && !e; i++)
		e = ds_buf_add(k, t->cols[i], strlen(t->cols[i]) + 1);
	if (!e)
		e = ds_buf_addf(k, "%d", t->nkey);
	return e;
}

static ds_err build_put(const struct ds_table *t, struct pg_put *p, struct ds_buf *key)
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
	p->key = key->p;
	p->keylen = key->len;
	p->select_sql = sel.p;
	p->insert_sql = ins.p;
	p->update_sql = upd.p;
	return DS_OK;
}

static ds_err bind_value(ds_stmt *s, int idx, const struct ds_value *v)
{
	switch (v->type) {
	case DS_V_INT:
		return ds_pg_bind_int(s, idx, v->i);
	case DS_V_REAL:
		return ds_pg_bind_real(s, idx, v->r);
	case DS_V_TEXT:
		return ds_pg_bind_text(s, idx, v->s);
	case DS_V_BLOB:
		return ds_pg_bind_blob(s, idx, v->s, v->n);
	case DS_V_NULL:
	default:
		return ds_pg_bind_null(s, idx);
	}
}

static bool same_value(ds_stmt *s, int col, const struct ds_value *v)
{
	bool null = ds_pg_is_null(s, col);
	if (v->type == DS_V_NULL || null)
		return v->type == DS_V_NULL && null;
	switch (v->type) {
	case DS_V_INT: {
		char num[32];
		snprintf(num, sizeof num, "%lld", (long long)v->i);
		return strcmp(ds_pg_text(s, col), num) == 0;
	}
	case DS_V_REAL:
		return ds_pg_real(s, col) == v->r;
	case DS_V_TEXT:
		return strcmp(ds_pg_text(s, col), v->s) == 0;
	case DS_V_BLOB: {
		size_t n;
		const void *b = ds_pg_blob(s, col, &n);
		return n == v->n && (n == 0 || memcmp(b, v->s, n) == 0);
	}
	default:
		return false;
	}
}

/*
 * Runs a write of ds_store_put. A refused row (a reference to nothing)
 * must leave the transaction usable, as in SQLite, where the importer then
 * finds which reference is missing and goes on: PostgreSQL aborts the whole
 * transaction on an error, so inside one the write gets a savepoint of its
 * own, rolled back to on failure.
 */
static ds_err put_write(struct pg_store *st, ds_stmt *s, struct ds_diag *diag)
{
	bool sub = PQtransactionStatus(st->conn) == PQTRANS_INTRANS;
	bool row;
	ds_err err = sub ? run(st, "SAVEPOINT ds_put", diag) : DS_OK;
	if (err)
		return err;
	err = ds_pg_step(s, &row, diag);
	if (sub)
		PQclear(PQexec(st->conn, err ? "ROLLBACK TO SAVEPOINT ds_put; RELEASE ds_put"
		                             : "RELEASE ds_put"));
	return err;
}

/* A key met in this batch without its row written (see sqlite.c). */
static ds_err seen_mark(struct pg_store *st, const struct ds_table *t, const struct ds_value *vals,
                        int64_t batch, bool insert, bool *dup, struct ds_diag *diag)
{
	ds_store *store = (ds_store *)(void *)st;
	ds_err err;
	if (!st->seen_ready) {
		if ((err = run(st,
		               "CREATE TEMP TABLE IF NOT EXISTS put_seen("
		               "batch BIGINT, k TEXT, PRIMARY KEY(batch,k))",
		               diag)))
			return err;
		st->seen_ready = true;
	}
	struct ds_buf k;
	ds_buf_init(&k, 1 << 20);
	err = ds_buf_adds(&k, t->name);
	for (int i = 0; i < t->nkey && !err; i++) {
		err = ds_buf_adds(&k, "\x1f");
		if (!err && vals[i].type == DS_V_TEXT)
			err = ds_buf_adds(&k, vals[i].s);
		else if (!err)
			err = ds_buf_addf(&k, "%lld", (long long)vals[i].i);
	}
	if (err) {
		ds_buf_free(&k);
		return ds_diag_set(diag, err, NULL, 0, NULL, "key too long");
	}
	ds_stmt *s;
	err = ds_pg_prepare(store,
	                    insert ? "INSERT INTO put_seen VALUES(?,?) ON CONFLICT DO NOTHING"
	                           : "SELECT 1 FROM put_seen WHERE batch=? AND k=?",
	                    &s, diag);
	if (!err) {
		bool row;
		ds_pg_bind_int(s, 1, batch);
		ds_pg_bind_text(s, 2, k.p);
		err = ds_pg_step(s, &row, diag);
		*dup = insert ? st->changes == 0 : row;
		ds_pg_done(s);
	}
	ds_buf_free(&k);
	return err;
}

static ds_err bulk_put(struct pg_bulk *b, const struct ds_table *t, const struct ds_value *vals,
                       int64_t batch, ds_put_result *res, struct ds_diag *diag);

ds_err ds_pg_put(ds_store *store, const struct ds_table *t, const struct ds_value *vals,
                 int64_t batch, ds_put_result *res, struct ds_diag *diag)
{
	struct pg_store *st = S(store);
	if (st->bulk && strcmp(st->bulk->table, t->name) == 0)
		return bulk_put(st->bulk, t, vals, batch, res, diag);
	struct ds_buf key;
	ds_buf_init(&key, 1 << 16);
	if (put_key(t, &key)) {
		ds_buf_free(&key);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	struct pg_put *p = NULL;
	for (int i = 0; i < st->nput && !p; i++)
		if (st->put[i].keylen == key.len && memcmp(st->put[i].key, key.p, key.len) == 0)
			p = &st->put[i];
	if (p) {
		ds_buf_free(&key);
	} else {
		if (st->nput == PUT_TABLES) {
			ds_buf_free(&key);
			return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "too many tables");
		}
		p = &st->put[st->nput];
		if (build_put(t, p, &key)) {
			ds_buf_free(&key);
			return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		}
		st->nput++;
	}
	/* as SQLite's: the insert first, the stored row only on a taken key */
	ds_stmt *s;
	bool row;
	ds_err err = ds_pg_prepare(store, p->insert_sql, &s, diag);
	if (err)
		return err;
	ds_pg_bind_int(s, 1, batch);
	for (int i = 0; i < t->ncols; i++)
		bind_value(s, i + 2, &vals[i]);
	err = put_write(st, s, diag);
	ds_pg_done(s);
	if (err)
		return err;
	if (st->changes == 1) {
		*res = DS_PUT_INSERTED;
		return DS_OK;
	}
	if ((err = ds_pg_prepare(store, p->select_sql, &s, diag)))
		return err;
	for (int i = 0; i < t->nkey; i++)
		bind_value(s, i + 1, &vals[i]);
	if ((err = ds_pg_step(s, &row, diag)) || !row) {
		ds_pg_done(s);
		return err ? err
		           : ds_diag_set(diag, DS_ESTORE, NULL, 0, NULL,
		                         "%s: conflicting row not found", t->name);
	}
	if (ds_pg_int(s, 0) == batch) {
		ds_pg_done(s);
		*res = DS_PUT_DUPLICATE;
		return DS_OK;
	}
	bool same = true;
	for (int i = t->nkey; same && i < t->ncols; i++)
		if (!(t->nocompare_mask & (UINT64_C(1) << i)))
			same = same_value(s, i + 1, &vals[i]);
	ds_pg_done(s);
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
	if ((err = ds_pg_prepare(store, p->update_sql, &s, diag)))
		return err;
	ds_pg_bind_int(s, 1, batch);
	int idx = 2;
	for (int i = t->nkey; i < t->ncols; i++)
		bind_value(s, idx++, &vals[i]);
	for (int i = 0; i < t->nkey; i++)
		bind_value(s, idx++, &vals[i]);
	err = put_write(st, s, diag);
	ds_pg_done(s);
	*res = DS_PUT_UPDATED;
	return err;
}

/* ------------------------------------------------------------------ bulk */

/*
 * The first load of an empty table (the nightly feed's first night) goes
 * by COPY: each row put is kept as COPY's text, a key met before in the
 * load is told a duplicate at once (the table was empty, so nothing else
 * can conflict), and ds_store_bulk_end sends them all in one COPY, in the
 * load's transaction. References are checked by the server as the rows go
 * in; a row that refers to nothing fails the COPY, which the caller hears
 * as orphans: it rolls back and loads again row by row, where each refused
 * row is named. The ledger's triggers run for the copied rows as for any.
 */

#define BULK_MAX ((size_t)1 << 31) /* COPY text kept for one load */

static unsigned long hash_key(const char *k)
{
	unsigned long h = 1469598103934665603UL;
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211UL;
	return h;
}

static void bulk_free(struct pg_bulk *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->cap; i++)
		ds_free(b->keys[i]);
	ds_free(b->keys);
	ds_buf_free(&b->rows);
	ds_free(b->copy_sql);
	ds_free(b->table);
	ds_free(b);
}

/* Adds key (taking it) unless there; *seen whether it was. */
static ds_err key_add(struct pg_bulk *b, char *key, bool *seen)
{
	if (2 * (b->n + 1) > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		char **keys = ds_calloc(cap, sizeof *keys);
		if (!keys)
			return DS_ENOMEM;
		for (size_t i = 0; i < b->cap; i++)
			if (b->keys[i]) {
				size_t j = hash_key(b->keys[i]) & (cap - 1);
				while (keys[j])
					j = (j + 1) & (cap - 1);
				keys[j] = b->keys[i];
			}
		ds_free(b->keys);
		b->keys = keys;
		b->cap = cap;
	}
	size_t j = hash_key(key) & (b->cap - 1);
	for (; b->keys[j]; j = (j + 1) & (b->cap - 1))
		if (strcmp(b->keys[j], key) == 0) {
			*seen = true;
			ds_free(key);
			return DS_OK;
		}
	b->keys[j] = key;
	b->n++;
	*seen = false;
	return DS_OK;
}

/* One value in COPY's text format. */
static ds_err copy_value(struct ds_buf *r, const struct ds_value *v)
{
	static const char hex[] = "0123456789abcdef";
	switch (v->type) {
	case DS_V_INT:
		return ds_buf_addf(r, "%lld", (long long)v->i);
	case DS_V_REAL:
		return ds_buf_addf(r, "%.17g", v->r);
	case DS_V_TEXT: {
		ds_err e = DS_OK;
		const char *p = v->s, *run = p;
		for (; *p && !e; p++) {
			const char *esc = *p == '\\'   ? "\\\\"
			                  : *p == '\t' ? "\\t"
			                  : *p == '\n' ? "\\n"
			                  : *p == '\r' ? "\\r"
			                               : NULL;
			if (!esc)
				continue;
			e = ds_buf_add(r, run, (size_t)(p - run));
			if (!e)
				e = ds_buf_adds(r, esc);
			run = p + 1;
		}
		return e ? e : ds_buf_add(r, run, (size_t)(p - run));
	}
	case DS_V_BLOB: {
		ds_err e = ds_buf_adds(r, "\\\\x");
		const unsigned char *b = (const unsigned char *)v->s;
		for (size_t i = 0; i < v->n && !e; i++) {
			char two[2] = { hex[b[i] >> 4], hex[b[i] & 15] };
			e = ds_buf_add(r, two, 2);
		}
		return e;
	}
	case DS_V_NULL:
	default:
		return ds_buf_adds(r, "\\N");
	}
}

static ds_err bulk_put(struct pg_bulk *b, const struct ds_table *t, const struct ds_value *vals,
                       int64_t batch, ds_put_result *res, struct ds_diag *diag)
{
	if (!b->copy_sql) {
		struct ds_buf c;
		ds_buf_init(&c, 1 << 16);
		ds_err e = ds_buf_addf(&c, "COPY %s(batch_id", t->name);
		for (int i = 0; i < t->ncols && !e; i++)
			e = ds_buf_addf(&c, ",%s", t->cols[i]);
		if (!e)
			e = ds_buf_adds(&c, ") FROM STDIN");
		if (e) {
			ds_buf_free(&c);
			return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		}
		b->copy_sql = c.p;
	}
	struct ds_buf k;
	ds_buf_init(&k, 1 << 20);
	ds_err e = DS_OK;
	for (int i = 0; i < t->nkey && !e; i++) {
		e = i ? ds_buf_adds(&k, "\x1f") : DS_OK;
		if (!e && vals[i].type == DS_V_TEXT)
			e = ds_buf_adds(&k, vals[i].s);
		else if (!e)
			e = ds_buf_addf(&k, "%lld", (long long)vals[i].i);
	}
	if (!e && !k.p)
		e = ds_buf_adds(&k, "");
	bool seen = false;
	if (e || (e = key_add(b, k.p, &seen))) {
		ds_buf_free(&k);
		return ds_diag_set(diag, e, NULL, 0, NULL,
		                   e == DS_ENOMEM ? "out of memory" : "key too long");
	}
	if (seen) {
		*res = DS_PUT_DUPLICATE;
		return DS_OK;
	}
	size_t mark = b->rows.len;
	e = ds_buf_addf(&b->rows, "%lld", (long long)batch);
	for (int i = 0; i < t->ncols && !e; i++) {
		e = ds_buf_add(&b->rows, "\t", 1);
		if (!e)
			e = copy_value(&b->rows, &vals[i]);
	}
	if (!e)
		e = ds_buf_add(&b->rows, "\n", 1);
	if (e) {
		b->rows.len = mark;
		if (b->rows.p)
			b->rows.p[mark] = '\0';
		return ds_diag_set(diag, e, t->name, 0, NULL,
		                   e == DS_ETOOBIG ? "too large for one first load"
		                                   : "out of memory");
	}
	*res = DS_PUT_INSERTED;
	return DS_OK;
}

ds_err ds_pg_bulk_prepare(ds_store *st, const char *table, bool *bulk, struct ds_diag *diag)
{
	*bulk = false;
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT 1 FROM %s LIMIT 1", table);
	int64_t any = 0;
	ds_err err = query_int(S(st), sql, 0, &any, diag);
	if (!err)
		*bulk = any == 0;
	return err;
}

ds_err ds_pg_bulk_begin(ds_store *store, const char *table, char **token, struct ds_diag *diag)
{
	struct pg_store *st = S(store);
	*token = NULL;
	bulk_free(st->bulk);
	st->bulk = ds_calloc(1, sizeof *st->bulk);
	if (!st->bulk || !(st->bulk->table = ds_strdup(table))) {
		bulk_free(st->bulk);
		st->bulk = NULL;
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	ds_buf_init(&st->bulk->rows, BULK_MAX);
	return DS_OK;
}

ds_err ds_pg_bulk_end(ds_store *store, const char *table, const char *token, bool *orphans,
                      struct ds_diag *diag)
{
	(void)table;
	(void)token;
	struct pg_store *st = S(store);
	struct pg_bulk *b = st->bulk;
	*orphans = false;
	st->bulk = NULL; /* from here on, puts write as usual */
	if (!b || !b->rows.len) {
		bulk_free(b);
		return DS_OK;
	}
	ds_err err = DS_OK;
	PGresult *res = PQexec(st->conn, b->copy_sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		err = fail_res(st, res, diag, "cannot load");
		PQclear(res);
		bulk_free(b);
		return err;
	}
	PQclear(res);
	const size_t chunk = (size_t)1 << 20;
	for (size_t off = 0; off < b->rows.len && !err; off += chunk) {
		size_t n = b->rows.len - off < chunk ? b->rows.len - off : chunk;
		if (PQputCopyData(st->conn, b->rows.p + off, (int)n) != 1)
			err = fail_res(st, NULL, diag, "cannot load");
	}
	if (PQputCopyEnd(st->conn, err ? "stopped" : NULL) != 1 && !err)
		err = fail_res(st, NULL, diag, "cannot load");
	while ((res = PQgetResult(st->conn))) {
		if (!err && PQresultStatus(res) != PGRES_COMMAND_OK) {
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			if (state && strcmp(state, "23503") == 0)
				*orphans = true; /* a reference to nothing: the caller rolls back */
			else
				err = fail_res(st, res, diag, "cannot load");
		} else if (!err) {
			st->changes = strtoll(PQcmdTuples(res), NULL, 10);
		}
		PQclear(res);
	}
	bulk_free(b);
	return err;
}

void ds_pg_bulk_finish(ds_store *st)
{
	bulk_free(S(st)->bulk);
	S(st)->bulk = NULL;
}

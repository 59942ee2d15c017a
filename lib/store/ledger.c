/*
 * The account ledger: per account, its due schedule and its payments packed
 * into one row each (table account_ledger), kept by whoever writes
 * installments or payments, in the same transaction.
 *
 * Every daily job that needs delinquency (the portfolio walk, the features,
 * the targets) reads one row per account here instead of tens of rows per
 * account from installments and payments: the tables stay the record, the
 * ledger is their packed copy.
 *
 * Packed list: varint count, then per item a varint day (the first zigzag
 * encoded days since 1970-01-01, the next ones their non-negative distance
 * from the one before) and a varint amount in fen (amounts are >= 0). Items
 * are in day order; items of the same day keep the order they were added
 * in (for a schedule, installment number order).
 */
#include "doorstep/store.h"
#include "store-int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ reading */

static bool get_varint(struct ds_ledger_iter *it, uint64_t *v)
{
	uint64_t x = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (it->p >= it->end)
			return false;
		unsigned char c = *it->p++;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

ds_err ds_ledger_begin(struct ds_ledger_iter *it, const void *blob, size_t len, long *count)
{
	it->p = blob;
	it->end = it->p + len;
	it->left = 0;
	it->day = 0;
	it->first = true;
	uint64_t n = 0;
	/* an empty blob is an empty list */
	if (len > 0 && (!get_varint(it, &n) || n > len))
		return DS_EINVAL;
	it->left = n;
	if (count)
		*count = (long)n;
	return DS_OK;
}

int ds_ledger_next(struct ds_ledger_iter *it, ds_date *day, ds_fen *fen)
{
	if (it->left == 0)
		return it->p == it->end ? 0 : -1;
	uint64_t d, a;
	/* a day's step is below 2^32 (days fit in 32 bits), so adding it
	 * cannot overflow */
	if (!get_varint(it, &d) || !get_varint(it, &a) || a > INT64_MAX ||
	    (!it->first && d > UINT32_MAX))
		return -1;
	int64_t next = it->first ? (int64_t)(d >> 1) ^ -(int64_t)(d & 1) : it->day + (int64_t)d;
	if (next < INT32_MIN || next > INT32_MAX)
		return -1;
	it->first = false;
	it->day = next;
	it->left--;
	*day = (ds_date)next;
	*fen = (ds_fen)a;
	return 1;
}

/* ------------------------------------------------------------ packing */

struct pack {
	struct ds_ledger_item *v;
	long n, cap;
	bool failed;
};

static int by_day(const void *a, const void *b)
{
	const struct ds_ledger_item *x = a, *y = b;
	if (x->day != y->day)
		return (x->day > y->day) - (x->day < y->day);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/* ledger_pack(date 'YYYY-MM-DD', amount_fen): the packed list of a group. */
static void pack_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct pack *pk = sqlite3_aggregate_context(cx, sizeof *pk);
	if (!pk) {
		sqlite3_result_error_nomem(cx);
		return;
	}
	if (pk->failed)
		return;
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	ds_date day;
	if (!text || ds_date_parse(text, &day) != DS_OK ||
	    sqlite3_value_type(argv[1]) != SQLITE_INTEGER || sqlite3_value_int64(argv[1]) < 0) {
		pk->failed = true;
		sqlite3_result_error(cx, "ledger_pack: not a date and a non-negative amount", -1);
		return;
	}
	if (pk->n == pk->cap) {
		long cap = pk->cap ? pk->cap * 2 : 32;
		struct ds_ledger_item *v = ds_realloc(pk->v, (size_t)cap * sizeof *v);
		if (!v) {
			pk->failed = true;
			sqlite3_result_error_nomem(cx);
			return;
		}
		pk->v = v;
		pk->cap = cap;
	}
	pk->v[pk->n] = (struct ds_ledger_item){ day, pk->n, sqlite3_value_int64(argv[1]) };
	pk->n++;
}

/* See store-int.h: the packed list of n items. */
ds_err ds_ledger_pack(struct ds_ledger_item *v, long n, unsigned char **out, size_t *len)
{
	/* at most 10 bytes a varint: the count and two per item */
	unsigned char *p = ds_malloc(10 + (size_t)n * 20);
	if (!p)
		return DS_ENOMEM;
	if (n > 1)
		qsort(v, (size_t)n, sizeof *v, by_day);
	size_t k = put_varint(p, (uint64_t)n);
	for (long i = 0; i < n; i++) {
		const struct ds_ledger_item *it = &v[i];
		uint64_t d = i == 0 ? ((uint64_t)(int64_t)it->day << 1) ^
		                              (uint64_t)((int64_t)it->day >> 63)
		                    : (uint64_t)((int64_t)it->day - v[i - 1].day);
		k += put_varint(p + k, d);
		k += put_varint(p + k, (uint64_t)it->fen);
	}
	*out = p;
	*len = k;
	return DS_OK;
}

static void pack_final(sqlite3_context *cx)
{
	struct pack *pk = sqlite3_aggregate_context(cx, 0);
	if (pk && pk->failed) {
		ds_free(pk->v);
		return;
	}
	unsigned char *out;
	size_t len;
	ds_err err = ds_ledger_pack(pk ? pk->v : NULL, pk ? pk->n : 0, &out, &len);
	if (pk)
		ds_free(pk->v);
	if (err) {
		sqlite3_result_error_nomem(cx);
		return;
	}
	sqlite3_result_blob(cx, out, (int)len, ds_free);
}

int ds_ledger_register(sqlite3 *db)
{
	return sqlite3_create_function_v2(db, "ledger_pack", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
	                                  NULL, NULL, pack_step, pack_final, NULL);
}

/* ----------------------------------------------------------- keeping */

/* One account's list being gathered by refresh_here. */
struct gather {
	struct ds_ledger_item *v;
	long n, cap;
};

static ds_err gather_add(struct gather *g, const char *date, int64_t fen)
{
	ds_date day;
	if (ds_date_parse(date, &day) != DS_OK || fen < 0)
		return DS_EINVAL;
	if (g->n == g->cap) {
		long cap = g->cap ? g->cap * 2 : 32;
		struct ds_ledger_item *v = ds_realloc(g->v, (size_t)cap * sizeof *v);
		if (!v)
			return DS_ENOMEM;
		g->v = v;
		g->cap = cap;
	}
	g->v[g->n] = (struct ds_ledger_item){ day, g->n, fen };
	g->n++;
	return DS_OK;
}

static ds_err write_packed(ds_store *st, const char *account, struct gather *sched,
                           struct gather *pay, struct ds_diag *diag)
{
	unsigned char *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	if (ds_ledger_pack(sched->v, sched->n, &a, &na) ||
	    ds_ledger_pack(pay->v, pay->n, &b, &nb)) {
		ds_free(a);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	/* an empty list is a count of 0, as the aggregate makes it */
	ds_stmt *s;
	bool row;
	ds_err err = ds_store_prepare(st,
	                              "INSERT INTO account_ledger(account_id, schedule, payments)"
	                              " VALUES(?,?,?) ON CONFLICT(account_id) DO UPDATE SET"
	                              " schedule=excluded.schedule, payments=excluded.payments",
	                              &s, diag);
	if (!err) {
		ds_stmt_bind_text(s, 1, account);
		ds_stmt_bind_blob(s, 2, a, na);
		ds_stmt_bind_blob(s, 3, b, nb);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
	}
	ds_free(a);
	ds_free(b);
	sched->n = pay->n = 0;
	return err;
}

/*
 * The packing done here rather than by an aggregate in the engine (a
 * backend without ledger_pack(): PostgreSQL): the touched accounts' rows
 * read in one ordered pass, each account's lists packed and written. The
 * order is the SQLite aggregate's: installments by due date then number,
 * payments by value date then amount (the covering index's order).
 */
static ds_err refresh_here(ds_store *st, struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT account_id, 0, '', 0, 0 FROM ledger_touched"
	        " UNION ALL SELECT i.account_id, 1, i.due_date, i.amount_fen, i.seq"
	        " FROM installments i JOIN ledger_touched t ON t.account_id = i.account_id"
	        " UNION ALL SELECT p.account_id, 2, p.value_date, p.amount_fen, p.amount_fen"
	        " FROM payments p JOIN ledger_touched t ON t.account_id = p.account_id"
	        " ORDER BY 1, 2, 3, 5",
	        &s, diag);
	if (err)
		return err;
	struct gather sched = { 0 }, pay = { 0 };
	char account[256] = "";
	bool row, open = false;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		int kind = (int)ds_stmt_int(s, 1);
		if (kind == 0) {
			if (open && (err = write_packed(st, account, &sched, &pay, diag)))
				break;
			ds_strlcpy(account, ds_stmt_text(s, 0), sizeof account);
			open = true;
			continue;
		}
		ds_err e = gather_add(kind == 1 ? &sched : &pay, ds_stmt_text(s, 2),
		                      ds_stmt_int(s, 3));
		if (e) {
			err = ds_diag_set(diag, e, NULL, 0, NULL,
			                  e == DS_ENOMEM
			                          ? "out of memory"
			                          : "ledger: not a date and a non-negative amount");
			break;
		}
	}
	if (!err && open)
		err = write_packed(st, account, &sched, &pay, diag);
	ds_stmt_done(s);
	ds_free(sched.v);
	ds_free(pay.v);
	return err ? err : ds_store_exec(st, "DELETE FROM ledger_touched", diag);
}

/*
 * Triggers on installments and payments list every account whose rows were
 * written in table ledger_touched (migration 3); before a transaction
 * commits, the packed copy of each is made again from the tables and the
 * list emptied. Nobody who writes those tables can forget it.
 */
ds_err ds_ledger_refresh(ds_store *st, struct ds_diag *diag)
{
	ds_stmt *s;
	bool pending = false;
	ds_err err = ds_store_prepare(st, "SELECT 1 FROM ledger_touched LIMIT 1", &s, diag);
	if (err)
		return err;
	err = ds_stmt_step(s, &pending, diag);
	ds_stmt_done(s);
	if (err || !pending)
		return err;
	if (DS_ON_PG(st))
		return refresh_here(st, diag);
	return ds_store_exec(
	        st,
	        "INSERT OR REPLACE INTO account_ledger(account_id, schedule, payments)"
	        " SELECT t.account_id,"
	        " coalesce((SELECT ledger_pack(i.due_date, i.amount_fen) FROM installments i"
	        "   WHERE i.account_id = t.account_id), x''),"
	        " coalesce((SELECT ledger_pack(p.value_date, p.amount_fen) FROM payments p"
	        "   WHERE p.account_id = t.account_id), x'')"
	        " FROM ledger_touched t;"
	        "DELETE FROM ledger_touched",
	        diag);
}

ds_err ds_ledger_touch_table(ds_store *st, const char *table, struct ds_diag *diag)
{
	if (strcmp(table, "installments") != 0 && strcmp(table, "payments") != 0)
		return DS_OK;
	char sql[128];
	snprintf(sql, sizeof sql,
	         "INSERT INTO ledger_touched SELECT DISTINCT account_id FROM %s WHERE true"
	         " ON CONFLICT DO NOTHING",
	         table);
	return ds_store_exec(st, sql, diag);
}

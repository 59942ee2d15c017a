/* Unit tests of the store: schema checks, keyed upsert, audit chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doorstep/store.h"
#include "store-int.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	ds_strlcpy(dir, "/tmp/ds-store-XXXXXX", sizeof dir);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static ds_store *fresh(const char *name)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct ds_store_opts o = { .for_init = true, .actor = "tester" };
	ds_store *st = NULL;
	struct ds_diag d;
	assert_int_equal(ds_store_open(path, &o, &st, &d), DS_OK);
	int applied = -1;
	assert_int_equal(ds_store_migrate(st, &applied, &d), DS_OK);
	assert_int_equal(applied, ds_store_schema_latest());
	return st;
}

static int64_t count(ds_store *st, const char *sql)
{
	ds_stmt *s;
	bool row;
	struct ds_diag d;
	assert_int_equal(ds_store_prepare(st, sql, &s, &d), DS_OK);
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	assert_true(row);
	int64_t v = ds_stmt_int(s, 0);
	ds_stmt_done(s);
	return v;
}

static void schema_checks(void **state)
{
	(void)state;
	ds_store *st = fresh("schema.db");
	assert_int_equal(ds_store_schema_version(st), ds_store_schema_latest());
	int applied = -1;
	struct ds_diag d;
	assert_int_equal(ds_store_migrate(st, &applied, &d), DS_OK);
	assert_int_equal(applied, 0);
	/* pretend a newer doorstep wrote it */
	assert_int_equal(
	        ds_store_exec(st, "INSERT INTO schema_migrations VALUES(999,'x','',0)", &d), DS_OK);
	ds_store_close(st);
	char path[128];
	snprintf(path, sizeof path, "%s/schema.db", dir);
	ds_diag_clear(&d);
	assert_int_equal(ds_store_open(path, NULL, &st, &d), DS_ESCHEMA);
	assert_non_null(strstr(d.msg, "newer"));
	/* a database whose applied migration differs from this build's */
	snprintf(path, sizeof path, "%s/edited.db", dir);
	struct ds_store_opts init = { .for_init = true };
	assert_int_equal(ds_store_open(path, &init, &st, &d), DS_OK);
	assert_int_equal(ds_store_migrate(st, NULL, &d), DS_OK);
	assert_int_equal(ds_store_exec(st, "UPDATE schema_migrations SET sha256='0'", &d), DS_OK);
	ds_store_close(st);
	assert_int_equal(ds_store_open(path, NULL, &st, &d), DS_ESCHEMA);
	assert_non_null(strstr(d.msg, "differs"));
	/* an empty file is not initialised */
	snprintf(path, sizeof path, "%s/empty.db", dir);
	assert_int_equal(ds_store_open(path, NULL, &st, &d), DS_ESCHEMA);
	assert_non_null(strstr(d.msg, "doorstep init"));
	/* a file that is not a database */
	snprintf(path, sizeof path, "%s/junk.db", dir);
	FILE *f = fopen(path, "w");
	fputs("this is not a database, not at all, definitely not one\n", f);
	fclose(f);
	assert_int_equal(ds_store_open(path, NULL, &st, &d), DS_ESTORE);
	/* a SQLite file of another program */
	snprintf(path, sizeof path, "%s/other.db", dir);
	struct ds_store_opts o = { .for_init = true };
	assert_int_equal(ds_store_open(path, &o, &st, &d), DS_OK);
	assert_int_equal(ds_store_exec(st, "PRAGMA application_id=7; CREATE TABLE t(x)", &d),
	                 DS_OK);
	ds_store_close(st);
	assert_int_equal(ds_store_open(path, &o, &st, &d), DS_ESCHEMA);
	assert_non_null(strstr(d.msg, "not a doorstep database"));
}

static const char *const branch_cols[] = { "branch_id", "name", "timezone", "lat" };
static const struct ds_table branches = { "branches", branch_cols, 4, 1, 0 };

static ds_put_result put(ds_store *st, int64_t batch, const char *id, const char *name, double lat)
{
	struct ds_value v[4] = {
		{ .type = DS_V_TEXT, .s = id },
		{ .type = DS_V_TEXT, .s = name },
		{ .type = DS_V_TEXT, .s = "Asia/Shanghai" },
		{ .type = DS_V_REAL, .r = lat },
	};
	ds_put_result r;
	struct ds_diag d;
	assert_int_equal(ds_store_put(st, &branches, v, batch, &r, &d), DS_OK);
	return r;
}

static void add_batch(ds_store *st, int64_t id)
{
	char sql[256];
	struct ds_diag d;
	snprintf(sql, sizeof sql,
	         "INSERT INTO import_batches(batch_id,kind,file_name,file_sha256,encoding,actor,"
	         "started_at,status) VALUES(%lld,'branches','f','','utf-8','t',0,'running')",
	         (long long)id);
	assert_int_equal(ds_store_exec(st, sql, &d), DS_OK);
}

static void upsert_semantics(void **state)
{
	(void)state;
	ds_store *st = fresh("put.db");
	struct ds_diag d;
	assert_int_equal(ds_store_begin(st, &d), DS_OK);
	add_batch(st, 1);
	assert_int_equal(put(st, 1, "BR1", "一", 30.1), DS_PUT_INSERTED);
	assert_int_equal(put(st, 1, "BR2", "二", 30.2), DS_PUT_INSERTED);
	assert_int_equal(put(st, 1, "BR1", "一", 30.1), DS_PUT_DUPLICATE);
	assert_int_equal(ds_store_commit(st, &d), DS_OK);

	assert_int_equal(ds_store_begin(st, &d), DS_OK);
	add_batch(st, 2);
	assert_int_equal(put(st, 2, "BR1", "一", 30.1), DS_PUT_UNCHANGED);
	/* an unchanged key met again in the same batch is still a duplicate */
	assert_int_equal(put(st, 2, "BR1", "一", 30.1), DS_PUT_DUPLICATE);
	assert_int_equal(put(st, 2, "BR1", "一号", 30.1), DS_PUT_DUPLICATE);
	assert_int_equal(put(st, 2, "BR2", "二号", 30.2), DS_PUT_UPDATED);
	assert_int_equal(put(st, 2, "BR2", "二号", 30.2), DS_PUT_DUPLICATE);
	assert_int_equal(ds_store_commit(st, &d), DS_OK);
	assert_int_equal(count(st, "SELECT count(*) FROM branches"), 2);
	assert_int_equal(count(st, "SELECT batch_id FROM branches WHERE branch_id='BR1'"), 1);
	assert_int_equal(count(st, "SELECT batch_id FROM branches WHERE branch_id='BR2'"), 2);

	/* a rolled-back batch leaves nothing */
	assert_int_equal(ds_store_begin(st, &d), DS_OK);
	add_batch(st, 3);
	assert_int_equal(put(st, 3, "BR3", "三", 30.3), DS_PUT_INSERTED);
	ds_store_rollback(st);
	assert_int_equal(count(st, "SELECT count(*) FROM branches"), 2);

	/* a column list of a different shape for the same table works too */
	static const char *const few[] = { "branch_id", "name", "timezone" };
	const struct ds_table narrow = { "branches", few, 3, 1, 0 };
	struct ds_value v[3] = { { .type = DS_V_TEXT, .s = "BR1" },
		                 { .type = DS_V_TEXT, .s = "一" },
		                 { .type = DS_V_TEXT, .s = "Asia/Shanghai" } };
	ds_put_result r;
	assert_int_equal(ds_store_begin(st, &d), DS_OK);
	add_batch(st, 4);
	assert_int_equal(ds_store_put(st, &narrow, v, 4, &r, &d), DS_OK);
	assert_int_equal(r, DS_PUT_UNCHANGED);
	assert_int_equal(ds_store_commit(st, &d), DS_OK);
	/* the absent column kept its value */
	assert_int_equal(count(st, "SELECT count(*) FROM branches WHERE lat=30.1"), 1);
	ds_store_close(st);
}

static void audit_chain(void **state)
{
	(void)state;
	ds_store *st = fresh("audit.db");
	struct ds_diag d;
	assert_int_equal(ds_store_audit(st, "test", "thing", "1", "{\"a\":1}", &d), DS_OK);
	assert_int_equal(ds_store_audit(st, "test", "thing", "2", NULL, &d), DS_OK);
	/* migrations were audited too; each entry links to the previous hash */
	assert_true(count(st, "SELECT count(*) FROM audit_log") >= 3);
	assert_int_equal(count(st, "SELECT count(*) FROM audit_log a JOIN audit_log b "
	                           "ON b.seq = a.seq + 1 WHERE b.prev_hash <> a.hash"),
	                 0);
	assert_int_equal(count(st, "SELECT count(*) FROM audit_log WHERE actor <> 'tester'"), 0);
	assert_int_equal(count(st, "SELECT count(DISTINCT hash) FROM audit_log"),
	                 count(st, "SELECT count(*) FROM audit_log"));
	ds_store_close(st);
}

static void statements(void **state)
{
	(void)state;
	ds_store *st = fresh("stmt.db");
	struct ds_diag d;
	ds_stmt *s, *s2;
	/* the same SQL prepared twice while in use gives two statements */
	assert_int_equal(ds_store_prepare(st, "SELECT 1", &s, &d), DS_OK);
	assert_int_equal(ds_store_prepare(st, "SELECT 1", &s2, &d), DS_OK);
	assert_ptr_not_equal(s, s2);
	ds_stmt_done(s2);
	ds_stmt_done(s);
	assert_int_equal(ds_store_prepare(st, "SELEC nonsense", &s, &d), DS_ESTORE);
	assert_non_null(strstr(d.msg, "syntax"));
	bool found = true;
	assert_int_equal(ds_store_exists(st, "branches", "branch_id", "nope", &found, &d), DS_OK);
	assert_false(found);
	ds_store_close(st);
}

static void key_binding(void **state)
{
	(void)state;
	ds_store *st = fresh("key.db");
	struct ds_pii_key k1, k2;
	memset(k1.k, 1, sizeof k1.k);
	memset(k2.k, 2, sizeof k2.k);
	struct ds_diag d;
	assert_false(ds_store_has_key(st));
	assert_int_equal(ds_store_check_key(st, &k1, &d), DS_OK);
	assert_true(ds_store_has_key(st));
	assert_int_equal(ds_store_check_key(st, &k1, &d), DS_OK);
	assert_int_equal(ds_store_check_key(st, &k2, &d), DS_ECRYPTO);
	assert_non_null(strstr(d.msg, "does not belong"));
	ds_store_close(st);
}

/* The packed list in a ledger column of an account, as "day:fen ..." with
 * days since 1970-01-01 ("-" when the account has no row). */
static void ledger_of(ds_store *st, const char *account, const char *column, char *out,
                      size_t outsz)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT %s FROM account_ledger WHERE account_id=?", column);
	ds_stmt *s;
	bool row;
	struct ds_diag d;
	assert_int_equal(ds_store_prepare(st, sql, &s, &d), DS_OK);
	ds_stmt_bind_text(s, 1, account);
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	ds_strlcpy(out, "-", outsz);
	if (row) {
		size_t len;
		const void *blob = ds_stmt_blob(s, 0, &len);
		struct ds_ledger_iter it;
		long n = -1;
		assert_int_equal(ds_ledger_begin(&it, blob, len, &n), DS_OK);
		out[0] = 0;
		ds_date day;
		ds_fen fen;
		int r;
		long seen = 0;
		while ((r = ds_ledger_next(&it, &day, &fen)) > 0) {
			size_t used = strlen(out);
			snprintf(out + used, outsz - used, "%s%d:%lld", used ? " " : "", (int)day,
			         (long long)fen);
			seen++;
		}
		assert_int_equal(r, 0);
		assert_int_equal(seen, n);
	}
	ds_stmt_done(s);
}

static void exec_ok(ds_store *st, const char *sql)
{
	struct ds_diag d;
	if (ds_store_exec(st, sql, &d) != DS_OK)
		fail_msg("%s: %s", sql, d.msg);
}

static void account_ledger(void **state)
{
	(void)state;
	ds_store *st = fresh("ledger.db");
	struct ds_diag d;
	char got[256];
	/* 2024-01-31 is day 19753, 2024-02-29 day 19782, 2024-03-31 day 19813 */
	assert_int_equal(ds_store_begin(st, &d), DS_OK);
	exec_ok(st,
	        "INSERT INTO branches(branch_id, name, timezone) VALUES ('B','b','Asia/Shanghai');"
	        "INSERT INTO borrowers(borrower_id, name) VALUES ('P','p');"
	        "INSERT INTO accounts(account_id, borrower_id, branch_id, product, principal_fen,"
	        " balance_fen, open_date) VALUES"
	        " ('A1','P','B','consumer_loan',300,300,'2024-01-01'),"
	        " ('A2','P','B','consumer_loan',300,300,'2024-01-01'),"
	        " ('A3','P','B','consumer_loan',300,300,'2024-01-01');"
	        /* installment numbers against due dates: order by date */
	        "INSERT INTO installments(account_id, seq, due_date, amount_fen) VALUES"
	        " ('A1',1,'2024-02-29',100),('A1',2,'2024-01-31',100),('A1',3,'2024-03-31',100);"
	        "INSERT INTO payments(payment_id, account_id, value_date, amount_fen, channel)"
	        " VALUES ('p1','A1','2024-03-01',70,'app'),('p2','A1','2024-02-01',50,'app'),"
	        " ('p3','A2','1969-12-30',5,'app')");
	/* nothing packed before the transaction commits */
	ledger_of(st, "A1", "schedule", got, sizeof got);
	assert_string_equal(got, "-");
	assert_int_equal(ds_store_commit(st, &d), DS_OK);
	ledger_of(st, "A1", "schedule", got, sizeof got);
	assert_string_equal(got, "19753:100 19782:100 19813:100");
	ledger_of(st, "A1", "payments", got, sizeof got);
	assert_string_equal(got, "19754:50 19783:70");
	/* a day before 1970 */
	ledger_of(st, "A2", "payments", got, sizeof got);
	assert_string_equal(got, "-2:5");
	ledger_of(st, "A2", "schedule", got, sizeof got);
	assert_string_equal(got, "");
	ledger_of(st, "A3", "payments", got, sizeof got);
	assert_string_equal(got, "-");
	assert_int_equal(count(st, "SELECT count(*) FROM ledger_touched"), 0);

	/* a payment moved to another account: both are packed again */
	assert_int_equal(ds_store_begin(st, &d), DS_OK);
	exec_ok(st, "UPDATE payments SET account_id='A3', amount_fen=60 WHERE payment_id='p1'");
	assert_int_equal(ds_store_commit(st, &d), DS_OK);
	ledger_of(st, "A1", "payments", got, sizeof got);
	assert_string_equal(got, "19754:50");
	ledger_of(st, "A3", "payments", got, sizeof got);
	assert_string_equal(got, "19783:60");

	/* a write outside a transaction waits for the readers' sync */
	exec_ok(st, "DELETE FROM installments WHERE account_id='A1' AND seq=1");
	assert_int_equal(count(st, "SELECT count(*) FROM ledger_touched"), 1);
	assert_int_equal(ds_store_ledger_sync(st, &d), DS_OK);
	assert_int_equal(count(st, "SELECT count(*) FROM ledger_touched"), 0);
	ledger_of(st, "A1", "schedule", got, sizeof got);
	assert_string_equal(got, "19753:100 19813:100");

	/* a rolled-back write leaves the ledger as it was */
	assert_int_equal(ds_store_begin(st, &d), DS_OK);
	exec_ok(st, "DELETE FROM payments");
	ds_store_rollback(st);
	ledger_of(st, "A1", "payments", got, sizeof got);
	assert_string_equal(got, "19754:50");
	ds_store_close(st);
}

static void ledger_damage(void **state)
{
	(void)state;
	struct ds_ledger_iter it;
	ds_date day;
	ds_fen fen;
	long n;
	/* empty: an empty list */
	assert_int_equal(ds_ledger_begin(&it, "", 0, &n), DS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(ds_ledger_next(&it, &day, &fen), 0);
	/* a count larger than the bytes could hold */
	assert_int_equal(ds_ledger_begin(&it, "\x05\x02", 2, &n), DS_EINVAL);
	/* a varint that never ends */
	assert_int_equal(ds_ledger_begin(&it, "\xff\xff", 2, &n), DS_EINVAL);
	/* two items promised, one there */
	assert_int_equal(ds_ledger_begin(&it, "\x02\x02\x07", 3, &n), DS_OK);
	assert_int_equal(ds_ledger_next(&it, &day, &fen), 1);
	assert_int_equal(day, 1);
	assert_int_equal(fen, 7);
	assert_int_equal(ds_ledger_next(&it, &day, &fen), -1);
	/* bytes left over after the last item */
	assert_int_equal(ds_ledger_begin(&it, "\x01\x02\x07\x00", 4, &n), DS_OK);
	assert_int_equal(ds_ledger_next(&it, &day, &fen), 1);
	assert_int_equal(ds_ledger_next(&it, &day, &fen), -1);
}

/* Whether word w occurs in sql outside its -- comments. */
static bool has_word_outside_comments(const char *sql, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = sql; *p; p++) {
		if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
			if (!*p)
				break;
		} else if (strncmp(p, w, n) == 0) {
			return true;
		}
	}
	return false;
}

/* PostgreSQL's text of the migrations (docs/storage.md): SQLite's types
 * translated, its own file where there is one. */
static void pg_migrations(void **state)
{
	(void)state;
	char *sql;
	assert_int_equal(ds_pg_migration_sql(&ds_migrations[0], &sql), DS_OK);
	assert_non_null(strstr(sql, "batch_id        BIGINT GENERATED BY DEFAULT AS IDENTITY"
	                            " PRIMARY KEY,"));
	assert_non_null(strstr(sql, "principal_fen       BIGINT NOT NULL"));
	assert_non_null(strstr(sql, "lat         DOUBLE PRECISION,"));
	assert_non_null(strstr(sql, "national_id_sealed  BYTEA,"));
	assert_false(has_word_outside_comments(sql, "INTEGER"));
	assert_false(has_word_outside_comments(sql, "BLOB"));
	assert_false(has_word_outside_comments(sql, "WITHOUT ROWID"));
	/* comments and strings are left as they are */
	assert_non_null(strstr(sql, "-- Conventions"));
	assert_non_null(strstr(sql, "--   * High-volume tables keyed by the bank's ids"));
	ds_free(sql);
	/* migration 3 has a text of its own */
	assert_int_equal(ds_pg_migration_sql(&ds_migrations[2], &sql), DS_OK);
	assert_non_null(strstr(sql, "LANGUAGE plpgsql"));
	assert_false(has_word_outside_comments(sql, "INSERT OR IGNORE"));
	ds_free(sql);
	/* every migration has one */
	for (int i = 0; i < ds_migrations_count; i++) {
		assert_int_equal(ds_pg_migration_sql(&ds_migrations[i], &sql), DS_OK);
		assert_true(strlen(sql) > 0);
		ds_free(sql);
	}
}

/* A connection's commits wait for the disk by default; relaxed for a
 * record that may wait for the next one (the audit of reads), and back. */
static void synchronous_switch(void **state)
{
	(void)state;
	ds_store *st = fresh("sync.db");
	struct ds_diag d;
	ds_diag_clear(&d);
	assert_int_equal(count(st, "PRAGMA synchronous"), 2); /* FULL */
	assert_int_equal(ds_store_set_synchronous(st, false, &d), DS_OK);
	assert_int_equal(count(st, "PRAGMA synchronous"), 1); /* NORMAL */
	assert_int_equal(ds_store_audit(st, "read_pii", "visits", "1", NULL, &d), DS_OK);
	assert_int_equal(ds_store_set_synchronous(st, true, &d), DS_OK);
	assert_int_equal(count(st, "PRAGMA synchronous"), 2);
	assert_int_equal(count(st, "SELECT count(*) FROM audit_log WHERE action = 'read_pii'"), 1);
	ds_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(schema_checks),      cmocka_unit_test(upsert_semantics),
		cmocka_unit_test(audit_chain),        cmocka_unit_test(statements),
		cmocka_unit_test(key_binding),        cmocka_unit_test(account_ledger),
		cmocka_unit_test(ledger_damage),      cmocka_unit_test(pg_migrations),
		cmocka_unit_test(synchronous_switch),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

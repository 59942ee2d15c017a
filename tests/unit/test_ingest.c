/* Unit tests of intake: imports in-process, reasons, atomicity, encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doorstep/ingest.h"

static char dir[64];
static struct ds_pii_key key;

struct problems {
	int n;
	char first[512];
	char all[8192];
};

static void on_problem(void *ctx, const struct ds_diag *d, bool warning)
{
	struct problems *p = ctx;
	if (warning)
		return;
	char line[600];
	ds_diag_format(d, line, sizeof line);
	if (p->n++ == 0)
		ds_strlcpy(p->first, line, sizeof p->first);
	size_t len = strlen(p->all);
	snprintf(p->all + len, sizeof p->all - len, "%s\n", line);
}

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/ds-ingest-XXXXXX", tmp ? tmp : "/tmp");
	memset(key.k, 7, sizeof key.k);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static const char *file(const char *name, const char *content, size_t len)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(content, 1, len, f);
	fclose(f);
	return path;
}

#define FILE_S(name, s) file(name, s, strlen(s))

static ds_store *memory_store(void)
{
	struct ds_store_opts o = { .for_init = true };
	ds_store *st;
	struct ds_diag d;
	assert_int_equal(ds_store_open(":memory:", &o, &st, &d), DS_OK);
	assert_int_equal(ds_store_migrate(st, NULL, &d), DS_OK);
	return st;
}

static ds_err import(ds_store *st, const char *kind, const char *path, const char *rejects,
                     struct ds_import_stats *t, struct problems *p)
{
	memset(p, 0, sizeof *p);
	struct ds_import_opts o = {
		.timezone = "Asia/Shanghai",
		.key = &key,
		.today = ds_date_from_ymd(2026, 11, 29),
		.rejects_path = rejects,
		.on_problem = on_problem,
		.ctx = p,
	};
	struct ds_diag d;
	ds_diag_clear(&d);
	return ds_import_file(st, kind, path, &o, t, &d);
}

static int64_t count(ds_store *st, const char *sql)
{
	ds_stmt *s;
	bool row;
	struct ds_diag d;
	assert_int_equal(ds_store_prepare(st, sql, &s, &d), DS_OK);
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	int64_t v = row ? ds_stmt_int(s, 0) : -1;
	ds_stmt_done(s);
	return v;
}

static const char branches_csv[] = "branch_id,name,city,timezone\n"
                                   "BR01,西湖支行,杭州市,Asia/Shanghai\n"
                                   "BR02,\"上城, 支行\",杭州市,Asia/Shanghai\n";

static void imports_and_reimports(void **state)
{
	(void)state;
	ds_store *st = memory_store();
	struct ds_import_stats t;
	struct problems p;
	const char *path = FILE_S("b.csv", branches_csv);
	assert_int_equal(import(st, "branches", path, NULL, &t, &p), DS_OK);
	assert_int_equal(t.rows_read, 2);
	assert_int_equal(t.inserted, 2);
	assert_true(t.committed);
	assert_string_equal(t.encoding, "utf-8");
	assert_int_equal(count(st, "SELECT count(*) FROM branches WHERE name='上城, 支行'"), 1);
	assert_int_equal(import(st, "branches", path, NULL, &t, &p), DS_OK);
	assert_int_equal(t.unchanged, 2);
	assert_int_equal(t.inserted + t.updated, 0);
	assert_int_equal(count(st, "SELECT count(*) FROM import_batches WHERE status='committed'"),
	                 2);
	ds_store_close(st);
}

static void all_or_nothing(void **state)
{
	(void)state;
	ds_store *st = memory_store();
	struct ds_import_stats t;
	struct problems p;
	const char *path = FILE_S("bad.csv", "branch_id,name,timezone,lat\n"
	                                     "BR01,一,Asia/Shanghai,30.1\n"
	                                     "BR02,二,Mars/Base,30.2\n"
	                                     "BR03,三,Asia/Shanghai,91\n"
	                                     "BR01,一,Asia/Shanghai,30.1\n"
	                                     "BR04,四\n");
	assert_int_equal(import(st, "branches", path, NULL, &t, &p), DS_EREJECT);
	assert_false(t.committed);
	assert_int_equal(t.rejected, 4);
	assert_int_equal(count(st, "SELECT count(*) FROM branches"), 0);
	assert_non_null(strstr(p.all, "bad.csv:3:timezone: not an IANA time zone"));
	assert_non_null(strstr(p.all, "bad.csv:4:lat: not a latitude (-90..90): \"91\""));
	assert_non_null(strstr(p.all, "bad.csv:5:branch_id: duplicate key"));
	assert_non_null(strstr(p.all, "bad.csv:6: expected 4 fields as in the header, found 2"));
	assert_int_equal(count(st, "SELECT count(*) FROM import_batches WHERE status='rejected' "
	                           "AND rows_rejected=4"),
	                 1);
	ds_store_close(st);
}

static void rejects_file(void **state)
{
	(void)state;
	ds_store *st = memory_store();
	struct ds_import_stats t;
	struct problems p;
	const char *path = FILE_S("mixed.csv", "branch_id,name,timezone\r\n"
	                                       "BR01,一,Asia/Shanghai\r\n"
	                                       "BR02,\"two\nlines\",Nowhere\r\n"
	                                       "BR03,三,Asia/Shanghai\r\n");
	char rej[128];
	snprintf(rej, sizeof rej, "%s/rejects.csv", dir);
	assert_int_equal(import(st, "branches", path, rej, &t, &p), DS_OK);
	assert_true(t.committed);
	assert_int_equal(t.inserted, 2);
	assert_int_equal(t.rejected, 1);
	assert_non_null(strstr(p.first, "mixed.csv:3:timezone:"));
	FILE *f = fopen(rej, "r");
	assert_non_null(f);
	char buf[512] = "";
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, "branch_id,name,timezone,reject_reason\n"
	                         "BR02,\"two\nlines\",Nowhere,\"timezone: not an IANA time zone "
	                         "(like Asia/Shanghai): \"\"Nowhere\"\"\"\n");
	ds_store_close(st);
}

static void gbk_detected(void **state)
{
	(void)state;
	ds_store *st = memory_store();
	struct ds_import_stats t;
	struct problems p;
	/* "张三" in GBK is D5C5 C8FD */
	const char *path = FILE_S("gbk.csv", "branch_id,name,timezone\n"
	                                     "BR01,\xD5\xC5\xC8\xFD,Asia/Shanghai\n");
	assert_int_equal(import(st, "branches", path, NULL, &t, &p), DS_OK);
	assert_string_equal(t.encoding, "gb18030");
	assert_int_equal(count(st, "SELECT count(*) FROM branches WHERE name='张三'"), 1);
	/* forced UTF-8 on the same bytes: a clear rejection */
	struct ds_import_opts o = { .encoding = "utf-8",
		                    .timezone = "UTC",
		                    .key = &key,
		                    .on_problem = on_problem,
		                    .ctx = &p };
	memset(&p, 0, sizeof p);
	struct ds_diag d;
	assert_int_equal(ds_import_file(st, "branches", path, &o, &t, &d), DS_EREJECT);
	assert_non_null(strstr(p.first, "gbk.csv:2: invalid UTF-8"));
	ds_store_close(st);
}

static void long_line_capped(void **state)
{
	(void)state;
	ds_store *st = memory_store();
	size_t big = DS_INGEST_MAX_LINE + 100;
	char *content = malloc(big + 200);
	int off = snprintf(content, 200, "branch_id,name,timezone\nBR01,");
	memset(content + off, 'x', big);
	off += (int)big;
	off += snprintf(content + off, 100, ",UTC\nBR02,b,UTC\n");
	const char *path = file("long.csv", content, (size_t)off);
	free(content);
	struct ds_import_stats t;
	struct problems p;
	char rej[128];
	snprintf(rej, sizeof rej, "%s/long-rejects.csv", dir);
	assert_int_equal(import(st, "branches", path, rej, &t, &p), DS_OK);
	assert_non_null(strstr(p.first, "long.csv:2: line longer than"));
	assert_int_equal(t.inserted, 1);
	assert_int_equal(count(st, "SELECT count(*) FROM branches WHERE branch_id='BR02'"), 1);
	ds_store_close(st);
}

static void personal_data_protected(void **state)
{
	(void)state;
	ds_store *st = memory_store();
	struct ds_import_stats t;
	struct problems p;
	const char *path = FILE_S("p.csv", "borrower_id,name,national_id,phone\n"
	                                   "B1,张三,11010519491231002X,+86 138 0013 8000\n"
	                                   "B2,李四,110105194912310021,13800138001\n");
	char rej[128];
	snprintf(rej, sizeof rej, "%s/p-rejects.csv", dir);
	assert_int_equal(import(st, "borrowers", path, rej, &t, &p), DS_OK);
	assert_int_equal(t.inserted, 1);
	/* the bad ID is named by column, never echoed */
	assert_non_null(strstr(p.first, "p.csv:3:national_id: check digit does not match"));
	assert_null(strstr(p.all, "110105194912310021"));
	assert_int_equal(count(st,
	                       "SELECT count(*) FROM borrowers WHERE phone_masked='138****8000' "
	                       "AND national_id_last4='002X' AND length(national_id_hash)=64"),
	                 1);
	ds_stmt *s;
	bool row;
	struct ds_diag d;
	assert_int_equal(ds_store_prepare(st, "SELECT national_id_sealed FROM borrowers", &s, &d),
	                 DS_OK);
	assert_int_equal(ds_stmt_step(s, &row, &d), DS_OK);
	ds_stmt_done(s);
	/* nothing stores the clear value anywhere */
	assert_int_equal(count(st, "SELECT count(*) FROM borrowers WHERE "
	                           "instr(CAST(national_id_sealed AS TEXT),'1949')>0 "
	                           "OR instr(national_id_hash,'1949')>0"),
	                 0);
	ds_store_close(st);
}

static void references_checked(void **state)
{
	(void)state;
	ds_store *st = memory_store();
	struct ds_import_stats t;
	struct problems p;
	const char *path = FILE_S("c.csv", "community_id,name,branch_id,centroid_lat,centroid_lon\n"
	                                   "C1,翠苑一区社区,BR09,30.28,120.12\n");
	assert_int_equal(import(st, "communities", path, NULL, &t, &p), DS_EREJECT);
	assert_non_null(strstr(p.first,
	                       "/c.csv:2:branch_id: unknown branch_id \"BR09\" (not in branches)"));
	/* found by the optimistic load's check, reported once by the checked pass */
	assert_int_equal(p.n, 1);
	assert_int_equal(count(st, "SELECT count(*) FROM communities"), 0);
	assert_int_equal(count(st, "PRAGMA foreign_keys"), 1);
	const char *hdr = FILE_S("h.csv", "name,centroid_lat\nx,1\n");
	assert_int_equal(import(st, "communities", hdr, NULL, &t, &p), DS_EREJECT);
	assert_non_null(strstr(p.all, "h.csv:1:community_id: required column missing"));
	assert_non_null(strstr(p.all, "h.csv:1:centroid_lon: required column missing"));
	ds_store_close(st);
}

static void crlf_quoted_newline_and_rules(void **state)
{
	(void)state;
	ds_store *st = memory_store();
	struct ds_import_stats t;
	struct problems p;
	/* an Excel-style CRLF file with a line break inside a quoted field */
	const char *path =
	        FILE_S("crlf.csv", "branch_id,name,timezone,address\r\n"
	                           "BR01,西湖支行,Asia/Shanghai,\"文三路1号\r\n2楼\"\r\n");
	assert_int_equal(import(st, "branches", path, NULL, &t, &p), DS_OK);
	assert_int_equal(
	        count(st,
	              "SELECT count(*) FROM branches WHERE address='文三路1号'||char(10)||'2楼'"),
	        1);
	/* a bad value with a line break is reported on one line */
	path = FILE_S("ctl.csv", "branch_id,name,timezone\nBR02,\"a\nb\",Nowhere\n");
	assert_int_equal(import(st, "branches", path, NULL, &t, &p), DS_EREJECT);
	assert_null(strchr(p.first, '\n'));
	/* the bank's overdue figure needs its date and start */
	path = FILE_S("bo.csv", "borrower_id,name\nB1,张三\n");
	assert_int_equal(import(st, "borrowers", path, NULL, &t, &p), DS_OK);
	path = FILE_S("acc.csv",
	              "account_id,borrower_id,branch_id,product,principal,balance,"
	              "overdue_amount,overdue_since,open_date\n"
	              "A1,B1,BR01,consumer_loan,1000,500,0,,2024-01-01\n"
	              "A2,B1,BR01,consumer_loan,1000,500,120.50,2024-03-01,2024-01-01\n");
	assert_int_equal(import(st, "accounts", path, NULL, &t, &p), DS_EREJECT);
	assert_int_equal(p.n, 1);
	assert_non_null(strstr(p.first, "acc.csv:3:reported_date: required when overdue_amount"));
	ds_store_close(st);
}

/* Anyone but the borrower or guarantor may only be recorded as asked where
 * the borrower is. */
static void third_parties_only_location(void **state)
{
	(void)state;
	ds_store *st = memory_store();
	struct ds_import_stats t;
	struct problems p;
	assert_int_equal(import(st, "branches", FILE_S("b3.csv", branches_csv), NULL, &t, &p),
	                 DS_OK);
	assert_int_equal(import(st, "borrowers", FILE_S("w3.csv", "borrower_id,name\nB1,张三\n"),
	                        NULL, &t, &p),
	                 DS_OK);
	assert_int_equal(
	        import(st, "accounts",
	               FILE_S("a3.csv", "account_id,borrower_id,branch_id,product,principal,"
	                                "balance,open_date\nA1,B1,BR01,consumer_loan,1000,500,"
	                                "2024-01-01\n"),
	               NULL, &t, &p),
	        DS_OK);
	const char *path = FILE_S(
	        "k3.csv", "contact_id,account_id,channel,started_at,party,outcome,"
	                  "purpose\n"
	                  "K1,A1,call,2024-02-01T10:00,family,connected,location_inquiry\n"
	                  "K2,A1,call,2024-02-02T10:00,family,connected,\n"
	                  "K3,A1,call,2024-02-03T10:00,borrower,connected,debt_details\n"
	                  "K4,A1,call,2024-02-04T10:00,third_party,connected,debt_details\n");
	assert_int_equal(import(st, "contacts", path, NULL, &t, &p), DS_EREJECT);
	assert_int_equal(p.n, 1);
	assert_non_null(strstr(p.first, "k3.csv:5:purpose: must be location_inquiry when party is "
	                                "third_party"));
	ds_store_close(st);
}

/* A load into an empty table rebuilds its indexes once; a refused one keeps them. */
static void bulk_load_keeps_indexes(void **state)
{
	(void)state;
	ds_store *st = memory_store();
	struct ds_import_stats t;
	struct problems p;
	const char *idx = "SELECT count(*) FROM sqlite_master WHERE type='index' AND "
	                  "name='borrowers_community'";
	const char *bad = FILE_S("bb.csv", "borrower_id,name,community_id\nB1,张三,NOPE\n");
	assert_int_equal(import(st, "borrowers", bad, NULL, &t, &p), DS_EREJECT);
	assert_int_equal(count(st, idx), 1);
	const char *good = FILE_S("bg.csv", "borrower_id,name\nB1,张三\nB2,李四\n");
	assert_int_equal(import(st, "borrowers", good, NULL, &t, &p), DS_OK);
	assert_int_equal(count(st, idx), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM borrowers INDEXED BY borrowers_community "
	                           "WHERE community_id IS NULL"),
	                 2);
	ds_store_close(st);
}

/* Every allocation the import makes may fail: it must fail cleanly. */
static void allocation_failures(void **state)
{
	(void)state;
	const char *path = FILE_S("f.csv", branches_csv);
	int ok = 0, failed = 0;
	for (long n = 0; n < 400; n++) {
		ds_store *st = memory_store();
		struct ds_import_stats t;
		struct problems p;
		ds_alloc_fail_after(n);
		ds_err e = import(st, "branches", path, NULL, &t, &p);
		ds_alloc_fail_after(-1);
		int64_t rows = count(st, "SELECT count(*) FROM branches");
		if (e == DS_OK) {
			ok++;
			assert_int_equal(rows, 2);
		} else {
			failed++;
			assert_int_equal(rows, 0);
		}
		ds_store_close(st);
	}
	assert_true(failed > 0);
	assert_true(ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(imports_and_reimports),
		cmocka_unit_test(all_or_nothing),
		cmocka_unit_test(rejects_file),
		cmocka_unit_test(gbk_detected),
		cmocka_unit_test(long_line_capped),
		cmocka_unit_test(personal_data_protected),
		cmocka_unit_test(references_checked),
		cmocka_unit_test(crlf_quoted_newline_and_rules),
		cmocka_unit_test(bulk_load_keeps_indexes),
		cmocka_unit_test(third_parties_only_location),
		cmocka_unit_test(allocation_failures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * libFuzzer target: the whole CSV import path (reader and encoding detection,
 * libcsv, header and field checks, reference checks, upserts, the rejects
 * file, the import record) into one in-memory store per process.
 *
 * The first input byte chooses the run, the rest is the file:
 *   kind    = (byte & ~0x20) % kinds, in ds_import_kinds() order
 *   rejects = byte & 0x20: with a rejects file, else all-or-nothing
 * so seeds start with 'H'..'P' (kinds 0..8, all-or-nothing) or 'h'..'p' (the
 * same kinds with a rejects file). The store is seeded with one branch,
 * community, borrower, staff member and account (BR1, CM1, BW1, ST1, AC1) so
 * references resolve, and is recreated every RESET_EVERY inputs.
 *
 * Besides the sanitizers, these properties of ds_import_file are checked:
 *  - a committed file accounts for every row it read: inserted + updated +
 *    unchanged + rejected == rows_read;
 *  - without a rejects file, a committed file rejected nothing;
 *  - a file not committed changed nothing in its table;
 *  - every problem reported has a reason, and a rejects file is valid UTF-8
 *    (it is meant to be corrected and imported again).
 */
#include "doorstep/ingest.h"
#include "doorstep/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ZONE        "Asia/Shanghai"
#define RESET_EVERY 10000
#define REJECTS_BIT 0x20

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "fuzz_import: property failed: %s (%s:%d)\n", #cond, \
			        __FILE__, __LINE__);                                         \
			__builtin_trap();                                                    \
		}                                                                            \
	} while (0)

static ds_store *store;
static struct ds_pii_key key;
static ds_date today;
static int csv_fd = -1;
static char csv_path[4096], rejects_path[4096], partial_path[4200];
static long runs;

static void die(const char *what, const struct ds_diag *d)
{
	char msg[1024] = "";
	if (d)
		ds_diag_format(d, msg, sizeof msg);
	fprintf(stderr, "fuzz_import: %s: %s\n", what, msg);
	abort();
}

static void temp_file(char *path, size_t pathsz, int *fd_out)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, pathsz, "%s/doorstep-fuzz-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp failed", NULL);
	if (fd_out)
		*fd_out = fd;
	else
		close(fd);
}

static void cleanup(void)
{
	unlink(csv_path);
	unlink(rejects_path);
	unlink(partial_path);
}

static void write_input(const uint8_t *data, size_t size)
{
	if (ftruncate(csv_fd, 0) != 0)
		die("ftruncate failed", NULL);
	size_t off = 0;
	while (off < size) {
		ssize_t n = pwrite(csv_fd, data + off, size - off, (off_t)off);
		if (n <= 0)
			die("pwrite failed", NULL);
		off += (size_t)n;
	}
}

struct seen {
	long problems, warnings;
};

static void on_problem(void *ctx, const struct ds_diag *d, bool warning)
{
	struct seen *s = ctx;
	char msg[1024];
	ds_diag_format(d, msg, sizeof msg);
	CHECK(d->msg[0] != '\0');
	if (warning)
		s->warnings++;
	else
		s->problems++;
}

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	(void)total;
	CHECK(done > 0);
}

static ds_err import(const char *kind, const char *rejects, struct ds_import_stats *stats,
                     struct seen *seen, struct ds_diag *d)
{
	struct ds_import_opts o = {
		.encoding = "auto",
		.rejects_path = rejects,
		.timezone = ZONE,
		.key = &key,
		.today = today,
		.on_problem = on_problem,
		.on_progress = on_progress,
		.ctx = seen,
	};
	ds_diag_clear(d);
	return ds_import_file(store, kind, csv_path, &o, stats, d);
}

static const char *const seed_files[][2] = {
	{ "branches", "branch_id,name,timezone\nBR1,Seed branch,Asia/Shanghai\n" },
	{ "communities", "community_id,name,branch_id,centroid_lat,centroid_lon\n"
	                 "CM1,Seed community,BR1,31.23,121.47\n" },
	{ "borrowers", "borrower_id,name,community_id,phone\nBW1,Seed borrower,CM1,13812345678\n" },
	{ "staff", "staff_id,name,role,branch_id\nST1,Seed collector,collector,BR1\n" },
	{ "accounts", "account_id,borrower_id,branch_id,product,principal,balance,open_date\n"
	              "AC1,BW1,BR1,consumer_loan,10000,5000,2024-01-15\n" },
};

static void open_store(void)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_store_opts so = { .actor = "fuzz", .for_init = true };
	if (ds_store_open(":memory:", &so, &store, &d))
		die("cannot open the in-memory store", &d);
	if (ds_store_migrate(store, NULL, &d))
		die("cannot migrate the in-memory store", &d);
	if (ds_store_check_key(store, &key, &d))
		die("cannot bind the key to the store", &d);
	for (size_t i = 0; i < sizeof seed_files / sizeof seed_files[0]; i++) {
		const char *csv = seed_files[i][1];
		write_input((const uint8_t *)csv, strlen(csv));
		struct ds_import_stats stats;
		struct seen seen = { 0, 0 };
		ds_err err = import(seed_files[i][0], NULL, &stats, &seen, &d);
		if (err || !stats.committed || stats.inserted != 1)
			die("cannot seed the store", &d);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	temp_file(csv_path, sizeof csv_path, &csv_fd);
	temp_file(rejects_path, sizeof rejects_path, NULL);
	snprintf(partial_path, sizeof partial_path, "%s.partial", rejects_path);
	atexit(cleanup);
	memset(key.k, 0x5a, sizeof key.k);
	today = ds_date_from_ymd(2026, 1, 1);
	open_store();
	return 0;
}

/* Rows in the table and the sum of their batch ids: any write changes them. */
static void snapshot(const char *table, int64_t out[2])
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*), coalesce(sum(batch_id),0) FROM %s", table);
	ds_stmt *s;
	bool row = false;
	struct ds_diag d;
	ds_diag_clear(&d);
	if (ds_store_prepare(store, sql, &s, &d))
		die("cannot prepare the snapshot", &d);
	ds_err err = ds_stmt_step(s, &row, &d);
	if (!err && row) {
		out[0] = ds_stmt_int(s, 0);
		out[1] = ds_stmt_int(s, 1);
	}
	ds_stmt_done(s);
	if (err || !row)
		die("cannot take the snapshot", &d);
}

static void check_rejects_file(void)
{
	FILE *fp = fopen(rejects_path, "rb");
	CHECK(fp != NULL);
	static char buf[1 << 22];
	size_t n = fread(buf, 1, sizeof buf, fp);
	fclose(fp);
	CHECK(ds_utf8_valid(buf, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (++runs % RESET_EVERY == 0) {
		ds_store_close(store);
		open_store();
	}
	int nkinds;
	const struct ds_import_kind *kinds = ds_import_kinds(&nkinds);
	const struct ds_import_kind *k = &kinds[(data[0] & ~REJECTS_BIT) % nkinds];
	bool with_rejects = data[0] & REJECTS_BIT;
	write_input(data + 1, size - 1);

	int64_t before[2], after[2];
	snapshot(k->table, before);
	struct ds_import_stats stats;
	struct seen seen = { 0, 0 };
	struct ds_diag d;
	unlink(rejects_path);
	ds_err err = import(k->name, with_rejects ? rejects_path : NULL, &stats, &seen, &d);
	snapshot(k->table, after);

	CHECK(err == DS_OK || d.msg[0] != '\0');
	CHECK(err != DS_OK || stats.committed);
	CHECK(stats.problems == seen.problems);
	CHECK(access(partial_path, F_OK) != 0);
	if (stats.committed) {
		CHECK(stats.inserted + stats.updated + stats.unchanged + stats.rejected ==
		      stats.rows_read);
		CHECK(with_rejects || stats.rejected == 0);
		if (with_rejects && err == DS_OK)
			check_rejects_file();
	} else {
		CHECK(err != DS_OK);
		CHECK(before[0] == after[0] && before[1] == after[1]);
	}
	return 0;
}

/* doorstep import KIND FILE... : the bank's CSV files into the store. */
#include "cli.h"
#include "doorstep/ingest.h"

#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

struct shown {
	struct cli *c;
	long shown, max;
	const char *label;
};

static void on_problem(void *ctx, const struct ds_diag *d, bool warning)
{
	struct shown *s = ctx;
	if (!warning && s->shown++ >= s->max)
		return;
	cli_progress_end(s->c);
	char msg[1024];
	ds_diag_format(d, msg, sizeof msg);
	fprintf(stderr, "%s%s\n", warning ? "warning: " : "", msg);
}

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct shown *s = ctx;
	cli_progress(s->c, s->label, done, total);
}

static void rejects_for(const char *rejects, const char *file, int nfiles, char *out, size_t outsz)
{
	struct stat sb;
	bool dir = stat(rejects, &sb) == 0 && S_ISDIR(sb.st_mode);
	if (nfiles == 1 && !dir) {
		ds_strlcpy(out, rejects, outsz);
		return;
	}
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	snprintf(out, outsz, "%s/%s.rejects.csv", rejects, base);
}

int cli_import(struct cli *c, ds_store *st, const char *kind, char **files, int nfiles,
               const char *rejects, const char *encoding, json_t *report)
{
	struct ds_pii_key key;
	struct ds_diag d;
	ds_diag_clear(&d);
	char keypath[1024];
	cli_key_path(c, keypath, sizeof keypath);
	ds_err err = ds_pii_key_load(keypath, false, &key, &d);
	if (!err)
		err = ds_store_check_key(st, &key, &d);
	if (err)
		return cli_fail(c, err, &d);
	const char *zone = ds_config_str(&c->cfg, DS_CFG_TIMEZONE);
	ds_date today;
	if ((err = ds_date_today(zone, &today))) {
		ds_diag_set(&d, err, NULL, 0, NULL, "cannot read today's date");
		return cli_fail(c, err, &d);
	}
	int rc = EXIT_OK;
	for (int i = 0; i < nfiles; i++) {
		struct shown s = { c, 0, ds_config_int(&c->cfg, DS_CFG_IMPORT_MAX_SHOWN),
			           files[i] };
		char rpath[4096];
		if (rejects)
			rejects_for(rejects, files[i], nfiles, rpath, sizeof rpath);
		struct ds_import_opts o = {
			.encoding = encoding,
			.rejects_path = rejects ? rpath : NULL,
			.timezone = zone,
			.key = &key,
			.today = today,
			.on_problem = on_problem,
			.on_progress = on_progress,
			.ctx = &s,
		};
		struct ds_import_stats t;
		ds_diag_clear(&d);
		err = ds_import_file(st, kind, files[i], &o, &t, &d);
		cli_progress_end(c);
		if (s.shown > s.max)
			fprintf(stderr, "%s: ... and %ld more problems (%ld in all)\n", files[i],
			        s.shown - s.max, s.shown);
		if (err && err != DS_EREJECT) {
			rc = cli_fail(c, err, &d);
			break;
		}
		if (err == DS_EREJECT) {
			char msg[1024];
			ds_diag_format(&d, msg, sizeof msg);
			fprintf(stderr, "doorstep: %s\n", msg);
			rc = EXIT_REJECTED;
		}
		if (report) {
			json_t *o2 = json_pack("{s:s, s:s, s:s, s:b, s:I, s:i, s:i, s:i, s:i, s:i}",
			                       "file", files[i], "kind", kind, "encoding",
			                       t.encoding, "committed", t.committed, "batch_id",
			                       (json_int_t)(t.committed ? t.batch_id : 0), "rows",
			                       (int)t.rows_read, "inserted", (int)t.inserted,
			                       "updated", (int)t.updated, "unchanged",
			                       (int)t.unchanged, "rejected", (int)t.rejected);
			if (o2 && rejects && t.rejected && t.committed)
				json_object_set_new(o2, "rejects_file", json_string(rpath));
			json_array_append_new(report, o2);
		}
		if (!c->json && !c->quiet)
			fprintf(stderr,
			        "%s: %s %ld rows: %ld inserted, %ld updated, %ld unchanged, "
			        "%ld rejected (%s)%s%s\n",
			        files[i], t.committed ? "imported" : "refused", t.rows_read,
			        t.inserted, t.updated, t.unchanged, t.rejected, t.encoding,
			        t.committed && t.rejected ? "; bad rows in " : "",
			        t.committed && t.rejected ? rpath : "");
	}
	return rc;
}

static void kind_help(const struct ds_import_kind *k)
{
	printf("\n%s: %s (header names, any order; * = required)\n", k->name, k->doc);
	for (int i = 0; i < k->ncols; i++) {
		const struct ds_import_col *col = &k->cols[i];
		bool req = col->flags & (DS_COL_KEY | DS_COL_REQUIRED);
		printf("  %-16s%s %s%s%s%s\n", col->name, req ? "*" : " ", col->doc,
		       col->values ? " [" : "", col->values ? col->values : "",
		       col->values ? "]" : "");
	}
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("import");
	static const struct option opts[] = {
		{ "rejects", required_argument, NULL, 'r' },
		{ "encoding", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *rejects = NULL, *encoding = NULL;
	bool help = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			rejects = optarg;
			break;
		case 'e':
			encoding = optarg;
			break;
		case 'h':
			help = true;
			break;
		default:
			return cli_usage(cmd, "bad option");
		}
	}
	int nkinds;
	const struct ds_import_kind *kinds = ds_import_kinds(&nkinds);
	if (help) {
		cli_help(cmd, stdout);
		const struct ds_import_kind *k =
		        optind < argc ? ds_import_kind_find(argv[optind]) : NULL;
		for (int i = 0; i < nkinds; i++)
			if (!k || k == &kinds[i])
				kind_help(&kinds[i]);
		return EXIT_OK;
	}
	if (argc - optind < 2)
		return cli_usage(cmd, "need a kind and at least one file");
	const char *kind = argv[optind];
	if (!ds_import_kind_find(kind))
		return cli_usage(cmd, "unknown kind '%s'", kind);
	int nfiles = argc - optind - 1;
	if (rejects && nfiles > 1) {
		struct stat sb;
		if (stat(rejects, &sb) != 0 || !S_ISDIR(sb.st_mode))
			return cli_usage(cmd,
			                 "with several files, --rejects must name a directory");
	}
	if (!encoding)
		encoding = ds_config_str(&c->cfg, DS_CFG_IMPORT_ENCODING);
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	json_t *report = c->json ? json_array() : NULL;
	rc = cli_import(c, st, kind, argv + optind + 1, nfiles, rejects, encoding, report);
	if (report)
		cli_print_json(report);
	ds_store_close(st);
	return rc;
}

const struct cli_command cli_cmd_import = {
	"import",
	"import the bank's CSV files of one kind (upsert by the bank's ids)",
	"import KIND FILE... [--rejects OUT] [--encoding auto|utf-8|gbk|gb18030]",
	"Each file is imported in one transaction. Columns are matched by header\n"
	"name. Importing the same file again changes nothing.\n\n"
	"Options:\n"
	"  --rejects OUT   import the good rows; write each bad row, verbatim plus a\n"
	"                  reject_reason column, to OUT (a directory with several\n"
	"                  files: OUT/<file>.rejects.csv). Without it a file with\n"
	"                  any bad row is refused whole and nothing is written.\n"
	"  --encoding E    auto (default: UTF-8, else GB18030), utf-8, gbk, gb18030\n\n"
	"Every problem is reported as FILE:LINE:COLUMN: reason. Exit status 1 when\n"
	"a file was refused. 'doorstep import KIND --help' lists that kind's columns;\n"
	"docs/import-format.md describes them all.\n",
	run,
};

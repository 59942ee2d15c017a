/* Helpers shared by the commands. */
#include "cli.h"

#include <time.h>

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

const struct cli_command *cli_find(const char *name)
{
	for (int i = 0; i < cli_command_count; i++)
		if (strcmp(cli_commands[i]->name, name) == 0)
			return cli_commands[i];
	return NULL;
}

int cli_fail(struct cli *c, ds_err err, const struct ds_diag *d)
{
	(void)c;
	char msg[1024];
	ds_diag_format(d, msg, sizeof msg);
	fprintf(stderr, "doorstep: %s\n", msg[0] ? msg : ds_strerror(err));
	switch (err) {
	case DS_OK:
		return EXIT_OK;
	case DS_EREJECT:
		return EXIT_REJECTED;
	case DS_EUSAGE:
		return EXIT_USAGE;
	default:
		return EXIT_FAILURE_;
	}
}

int cli_refused(struct cli *c, ds_err err, const struct ds_diag *d)
{
	int rc = cli_fail(c, err, d);
	return err == DS_EINVAL || err == DS_ENOTFOUND || err == DS_EREJECT ? EXIT_REJECTED : rc;
}

int cli_usage(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("doorstep: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: doorstep %s\n(see 'doorstep %s --help')\n", cmd->usage,
	        cmd->name);
	return EXIT_USAGE;
}

void cli_help(const struct cli_command *cmd, FILE *out)
{
	fprintf(out, "usage: doorstep %s\n\n%s\n", cmd->usage, cmd->summary);
	if (cmd->help && cmd->help[0])
		fprintf(out, "\n%s", cmd->help);
}

bool cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* Whether the database is a server's (a PostgreSQL URL), not a file. */
static bool db_is_url(const char *db)
{
	return strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
}

void cli_key_path(struct cli *c, char *out, size_t outsz)
{
	const char *k = ds_config_str(&c->cfg, DS_CFG_KEY_FILE);
	const char *db = ds_config_str(&c->cfg, DS_CFG_DB_PATH);
	if (k[0]) {
		ds_strlcpy(out, k, outsz);
	} else if (db_is_url(db)) {
		/* a server's database: NAME.key in the working directory, NAME
		 * the database's name in the URL */
		const char *name = strrchr(strstr(db, "://") + 3, '/');
		name = name ? name + 1 : "";
		int n = (int)strcspn(name, "?");
		snprintf(out, outsz, "%.*s.key", n ? n : 8, n ? name : "doorstep");
	} else {
		snprintf(out, outsz, "%s.key", db);
	}
}

int cli_open_store(struct cli *c, bool for_init, ds_store **out)
{
	struct ds_store_opts o = {
		.busy_timeout_ms = (int)ds_config_int(&c->cfg, DS_CFG_DB_BUSY_TIMEOUT_MS),
		.cache_mib = (int)ds_config_int(&c->cfg, DS_CFG_DB_CACHE_MIB),
		.actor = ds_config_str(&c->cfg, DS_CFG_ACTOR),
		.for_init = for_init,
	};
	struct ds_diag d;
	ds_diag_clear(&d);
	const char *path = ds_config_str(&c->cfg, DS_CFG_DB_PATH);
	if (!for_init && !db_is_url(path) && access(path, F_OK) != 0) {
		ds_diag_set(&d, DS_ESCHEMA, path, 0, NULL,
		            "no database here; run 'doorstep init' first");
		return cli_fail(c, DS_ESCHEMA, &d);
	}
	ds_err err = ds_store_open(path, &o, out, &d);
	return err ? cli_fail(c, err, &d) : EXIT_OK;
}

int cli_at(struct cli *c, const struct cli_command *cmd, const char *arg, ds_time *out)
{
	if (!arg) {
		*out = (ds_time)time(NULL);
		return EXIT_OK;
	}
	if (ds_time_parse(arg, ds_config_str(&c->cfg, DS_CFG_TIMEZONE), out))
		return cli_usage(cmd, "--at: not a date or date-time: \"%s\"", arg);
	return EXIT_OK;
}

int cli_as_of(struct cli *c, const char *arg, ds_date *out)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	if (!arg) {
		ds_err e = ds_date_today(ds_config_str(&c->cfg, DS_CFG_TIMEZONE), out);
		if (e) {
			ds_diag_set(&d, e, NULL, 0, NULL, "cannot read today's date");
			return cli_fail(c, e, &d);
		}
		return EXIT_OK;
	}
	if (ds_date_parse(arg, out)) {
		fprintf(stderr, "doorstep: --as-of: not a date (YYYY-MM-DD): \"%s\"\n", arg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int cli_load_rules(struct cli *c, const char *jurisdiction, const char *pack_file,
                   ds_rulepack **out)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	const char *j =
	        jurisdiction ? jurisdiction : ds_config_str(&c->cfg, DS_CFG_RULES_JURISDICTION);
	ds_err err = pack_file ? ds_rules_load_file(pack_file, out, &d) : ds_rules_load(j, out, &d);
	const char *file = ds_config_str(&c->cfg, DS_CFG_RULES_FILE);
	if (!err && file[0] && (err = ds_rules_override(*out, file, &d)))
		ds_rules_free(*out);
	return err ? cli_fail(c, err, &d) : EXIT_OK;
}

void cli_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(v);
}

void cli_progress(struct cli *c, const char *label, uint64_t done, uint64_t total)
{
	if (c->quiet || !isatty(STDERR_FILENO))
		return;
	int pct = total ? (int)(done * 100 / total) : 0;
	int bar = pct * 30 / 100;
	char b[31];
	memset(b, '#', (size_t)bar);
	memset(b + bar, '.', (size_t)(30 - bar));
	b[30] = '\0';
	fprintf(stderr, "\r%-24.24s [%s] %3d%%", label, b, pct);
}

void cli_progress_end(struct cli *c)
{
	if (c->quiet || !isatty(STDERR_FILENO))
		return;
	fputs("\r\033[K", stderr);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n > t && strcmp(s + n - t, tail) == 0;
}

/* A listing's header for a column: money in yuan. */
static void heading(const char *name, char *out, size_t outsz)
{
	if (ends_with(name, "_fen"))
		snprintf(out, outsz, "%.*s_yuan", (int)(strlen(name) - 4), name);
	else
		snprintf(out, outsz, "%s", name);
}

/* The text a listing shows for one value: fen in yuan, instants (*_at) in
 * UTC. */
static void cell(json_t *v, const char *name, char *out, size_t outsz)
{
	if (json_is_integer(v) && ends_with(name, "_fen")) {
		snprintf(out, outsz, "%.2f", (double)json_integer_value(v) / 100);
	} else if (json_is_integer(v) && ends_with(name, "_at")) {
		char t[21];
		ds_time_format_utc(json_integer_value(v), t);
		snprintf(out, outsz, "%s", t);
	} else if (json_is_integer(v)) {
		snprintf(out, outsz, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		snprintf(out, outsz, "%.2f", json_real_value(v));
	} else if (json_is_string(v)) {
		snprintf(out, outsz, "%s", json_string_value(v));
	} else {
		snprintf(out, outsz, "-");
	}
}

/* Display columns of UTF-8 text: CJK and full-width characters take two. */
static int columns_of(const char *s)
{
	int w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			w += *p >= 0xE3 && *p <= 0xEF ? 2 : 1;
	return w;
}

int cli_print_rows(struct cli *c, ds_stmt *s)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	json_t *rows = NULL;
	ds_err err = ds_stmt_rows_json(s, &rows, &d);
	/* after the rows: a statement typed by its first run (PostgreSQL,
	 * "? IS NULL") knows its columns only once it has run */
	int n = ds_stmt_columns(s);
	char names[32][64], heads[32][72];
	for (int k = 0; k < n && k < 32; k++) {
		ds_strlcpy(names[k], ds_stmt_column_name(s, k), sizeof names[k]);
		heading(names[k], heads[k], sizeof heads[k]);
	}
	ds_stmt_done(s);
	if (err)
		return cli_fail(c, err, &d);
	if (c->json) {
		cli_print_json(rows);
		return EXIT_OK;
	}
	if (n > 32)
		n = 32;
	int width[32];
	char text[512];
	for (int k = 0; k < n; k++)
		width[k] = columns_of(heads[k]);
	size_t i;
	json_t *o;
	json_array_foreach(rows, i, o)
	{
		for (int k = 0; k < n; k++) {
			cell(json_object_get(o, names[k]), names[k], text, sizeof text);
			int w = columns_of(text);
			width[k] = w > width[k] ? w : width[k];
		}
	}
	for (int k = 0; k < n; k++)
		printf("%s%*s", heads[k], k + 1 < n ? width[k] - columns_of(heads[k]) + 2 : 0, "");
	putchar('\n');
	json_array_foreach(rows, i, o)
	{
		for (int k = 0; k < n; k++) {
			cell(json_object_get(o, names[k]), names[k], text, sizeof text);
			printf("%s%*s", text, k + 1 < n ? width[k] - columns_of(text) + 2 : 0, "");
		}
		putchar('\n');
	}
	json_decref(rows);
	return EXIT_OK;
}

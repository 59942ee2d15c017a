/*
 * doorstep: collections for banks that visit borrowers with their community
 * partners. This file parses the global options and runs a command from the
 * table; each command lives in its own cmd_*.c file.
 */
#include "cli.h"

#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef DS_BUILD_TYPE
#define DS_BUILD_TYPE "unknown"
#endif

static void print_overview(FILE *out)
{
	fputs("usage: doorstep [--db PATH] [--config FILE] [--json] [--quiet] COMMAND [ARGS]\n"
	      "       doorstep COMMAND --help | doorstep --version\n\n"
	      "Collections with community partners: intake, delinquency, and (as they\n"
	      "land) scoring, strategy, contact rules, routing and field work.\n\n"
	      "Commands:\n",
	      out);
	for (int i = 0; i < cli_command_count; i++)
		fprintf(out, "  %-11s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fputs("\nGlobal options:\n"
	      "  --db PATH       database (default ./doorstep.db, or $DOORSTEP_DB)\n"
	      "  --config FILE   settings file (default ./doorstep.ini if present)\n"
	      "  --json          machine-readable output on stdout\n"
	      "  -q, --quiet     no progress or notes on stderr\n"
	      "  --version       print the version\n\n"
	      "Exit status: 0 ok, 1 input rejected, 2 usage error, 3 runtime failure.\n",
	      out);
}

/* Names where a setting came from, for an error about it. */
static void blame(struct cli *c, ds_cfg_key key, struct ds_diag *d)
{
	const struct ds_cfg_def *def = &ds_config_defs()[key];
	const char *src = c->cfg.source[key];
	if (strcmp(src, "env") == 0)
		ds_strlcpy(d->field, def->env, sizeof d->field);
	else if (strcmp(src, "file") == 0) {
		ds_strlcpy(d->file, c->cfg.file, sizeof d->file);
		snprintf(d->field, sizeof d->field, "[%s] %s", def->section, def->name);
	} else
		ds_strlcpy(d->field, def->name, sizeof d->field);
}

/* Settings whose values only make sense once all sources are merged. */
static ds_err check_settings(struct cli *c, struct ds_diag *d)
{
	const char *zone = ds_config_str(&c->cfg, DS_CFG_TIMEZONE);
	if (!ds_tz_valid(zone)) {
		ds_diag_set(d, DS_ECONFIG, NULL, 0, NULL,
		            "not an IANA time zone (like Asia/Shanghai): \"%s\"", zone);
		blame(c, DS_CFG_TIMEZONE, d);
		return DS_ECONFIG;
	}
	const char *enc = ds_config_str(&c->cfg, DS_CFG_IMPORT_ENCODING);
	static const char *const known[] = { "auto", "utf-8", "utf8", "gbk", "gb18030", "gb2312" };
	bool ok = false;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		ok = ok || strcasecmp(enc, known[i]) == 0;
	if (!ok) {
		ds_diag_set(d, DS_ECONFIG, NULL, 0, NULL,
		            "unknown encoding \"%s\" (use auto, utf-8, gbk or gb18030)", enc);
		blame(c, DS_CFG_IMPORT_ENCODING, d);
		return DS_ECONFIG;
	}
	return DS_OK;
}

int main(int argc, char **argv)
{
	struct cli c;
	memset(&c, 0, sizeof c);
	c.prog = "doorstep";
	const char *db = NULL, *config = NULL;
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	int ch;
	/* '+' stops at the command name: what follows belongs to the command. */
	while ((ch = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 'q':
			c.quiet = true;
			break;
		case 'h':
			print_overview(stdout);
			return EXIT_OK;
		case 'V':
			printf("doorstep %s (%s build, schema %d)\n", DS_VERSION, DS_BUILD_TYPE,
			       ds_store_schema_latest());
			return EXIT_OK;
		default:
			print_overview(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		print_overview(stderr);
		return EXIT_USAGE;
	}
	const struct cli_command *cmd = cli_find(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "doorstep: unknown command '%s' (see 'doorstep --help')\n",
		        argv[optind]);
		return EXIT_USAGE;
	}
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_config_load(&c.cfg, config, &d);
	if (!err && db)
		err = ds_config_set(&c.cfg, DS_CFG_DB_PATH, db, "option", &d);
	if (!err && !ds_config_str(&c.cfg, DS_CFG_ACTOR)[0]) {
		struct passwd *pw = getpwuid(getuid());
		err = ds_config_set(&c.cfg, DS_CFG_ACTOR, pw ? pw->pw_name : "unknown", "default",
		                    &d);
	}
	if (!err)
		err = check_settings(&c, &d);
	if (err) {
		int rc = cli_fail(&c, err, &d);
		ds_config_free(&c.cfg);
		return rc;
	}
	/* getopt state restarts for the command's own options. */
	int cargc = argc - optind;
	char **cargv = argv + optind;
	optind = 0;
	int rc = cmd->run(&c, cargc, cargv);
	ds_config_free(&c.cfg);
	return rc;
}

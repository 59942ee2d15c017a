/* doorstep audit: the audit log: verify its hash chain, list its entries
 * (docs/auth.md). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Exit 0 when the chain is intact, 1 when it is broken: a script (or a
 * cron job) needs nothing but the status. */
static int verify(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	if (argc - optind != 0)
		return cli_usage(cmd, "verify takes no arguments (not \"%s\")", argv[optind]);
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_audit_check chk;
	ds_err err = ds_store_audit_verify(st, &chk, &d);
	/* the head, for keeping a copy away from the database: a log
	 * rewritten whole, head and all, then no longer matches that copy */
	char head[128] = "";
	bool found = false;
	if (!err)
		err = ds_store_meta_get(st, "audit_head", head, sizeof head, &found, &d);
	ds_store_close(st);
	if (err)
		return cli_fail(c, err, &d);
	if (c->json) {
		/* intact: "note" may say the head is not recorded yet */
		json_t *o = json_pack("{s:b, s:I}", "intact", chk.intact, "entries",
		                      (json_int_t)chk.entries);
		json_t *h = found ? json_string(head) : json_null();
		if (chk.intact) {
			json_object_set_new(o, "first_bad_seq", json_null());
			json_object_set_new(o, "problem", json_null());
			json_object_set_new(o, "head", h);
			if (chk.problem[0])
				json_object_set_new(o, "note", json_string(chk.problem));
		} else {
			json_object_set_new(o, "first_bad_seq", json_integer(chk.first_bad_seq));
			json_object_set_new(o, "problem", json_string(chk.problem));
			json_object_set_new(o, "head", h);
		}
		cli_print_json(o);
	} else if (chk.intact) {
		printf("audit log intact: %ld entries checked\n", chk.entries);
		if (found) {
			char *colon = strchr(head, ':');
			if (colon)
				*colon = ' ';
			printf("head: %s\n", head);
		}
		if (chk.problem[0])
			printf("note: %s\n", chk.problem);
	} else {
		printf("audit log BROKEN: %ld entries checked, the first break at entry %ld\n%s\n",
		       chk.entries, chk.first_bad_seq, chk.problem);
	}
	return chk.intact ? EXIT_OK : EXIT_REJECTED;
}

static int list(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "entity", required_argument, NULL, 'e' },
		{ "id", required_argument, NULL, 'i' },
		{ "limit", required_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	const char *entity = NULL, *id = NULL;
	long limit = 50;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *e;
		switch (ch) {
		case 'e':
			entity = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		case 'n':
			errno = 0;
			limit = strtol(optarg, &e, 10);
			if (*e || e == optarg || errno || limit < 1 || limit > 1000000)
				return cli_usage(cmd, "--limit: a number from 1 to 1000000");
			break;
		default:
			return cli_usage(cmd, "bad option");
		}
	}
	if (argc - optind != 0)
		return cli_usage(cmd, "list takes options only");
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT seq, at AS recorded_at, actor, action, entity,"
	                              " entity_id, detail FROM audit_log"
	                              " WHERE (?1 IS NULL OR entity = ?1)"
	                              " AND (?2 IS NULL OR entity_id = ?2)"
	                              " ORDER BY seq DESC LIMIT ?3",
	                              &s, &d);
	if (!err) {
		ds_stmt_bind_text(s, 1, entity);
		ds_stmt_bind_text(s, 2, id);
		ds_stmt_bind_int(s, 3, limit);
		rc = cli_print_rows(c, s);
	}
	ds_store_close(st);
	return err ? cli_fail(c, err, &d) : rc;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("audit");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "need a subcommand: verify or list");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	const char *sub = argv[1];
	optind = 1;
	if (strcmp(sub, "verify") == 0)
		return verify(c, cmd, argc - 1, argv + 1);
	optind = 0; /* getopt_long starts afresh */
	if (strcmp(sub, "list") == 0)
		return list(c, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", sub);
}

const struct cli_command cli_cmd_audit = {
	"audit",
	"the audit log: verify its hash chain, show entries",
	"audit verify\n"
	"       audit list [--entity ENTITY] [--id ENTITY_ID] [--limit N]",
	"Every change doorstep makes is appended to a hash-chained audit log:\n"
	"each entry's SHA-256 covers the one before it and the chain's head is\n"
	"kept apart, so an entry edited, inserted or deleted (the last ones\n"
	"too) breaks it.\n"
	"'verify' walks the whole log: exit 0 when intact, 1 when broken, with\n"
	"the entries checked and the first problem.\n"
	"'list' shows the newest entries first (50 unless --limit), those of\n"
	"one entity (a table: users, api_tokens, holds, ...) or one record of\n"
	"it (--id). See docs/auth.md.\n",
	run,
};

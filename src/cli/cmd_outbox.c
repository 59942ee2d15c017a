/* doorstep outbox: the messages waiting for a delivery adapter, and the
 * adapter's reports on them (docs/field.md "The outbox"). */
#include "cli.h"

#include "doorstep/field.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int list(struct cli *c, ds_store *st, const char *status)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(st,
	                         "SELECT outbox_id, channel, borrower_id, purpose, status,"
	                         " created_at, body FROM outbox WHERE (?1 IS NULL OR status = ?1)"
	                         " ORDER BY outbox_id LIMIT 1000",
	                         &s, &d);
	if (err)
		return cli_fail(c, err, &d);
	ds_stmt_bind_text(s, 1, status);
	return cli_print_rows(c, s);
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("outbox");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "a subcommand is needed: list or mark");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "error", required_argument, NULL, 'e' },
		{ "at", required_argument, NULL, 'a' },
		{ 0, 0, 0, 0 },
	};
	const char *status = NULL, *error = NULL, *at_arg = NULL;
	int ch;
	optind = 0;
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 's')
			status = optarg;
		else if (ch == 'e')
			error = optarg;
		else if (ch == 'a')
			at_arg = optarg;
		else
			return cli_usage(cmd, "unknown option");
	}
	bool mark = strcmp(argv[0], "mark") == 0;
	if (!mark && strcmp(argv[0], "list") != 0)
		return cli_usage(cmd, "unknown subcommand \"%s\"", argv[0]);
	long id = 0;
	if (mark) {
		char *end;
		if (argc - optind != 2 || (id = strtol(argv[optind], &end, 10)) < 1 || *end)
			return cli_usage(cmd, "mark needs a message id and a status");
		status = argv[optind + 1];
	} else if (optind < argc) {
		return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
	}
	ds_time at;
	int rc = cli_at(c, cmd, at_arg, &at);
	ds_store *st;
	if (rc || (rc = cli_open_store(c, false, &st)))
		return rc;
	if (!mark) {
		rc = list(c, st, status);
	} else {
		struct ds_diag d;
		ds_diag_clear(&d);
		ds_err err = ds_outbox_mark(st, id, status, error, at, &d);
		if (err)
			rc = cli_refused(c, err, &d);
		else if (c->json)
			cli_print_json(json_pack("{s:I, s:s}", "outbox_id", (json_int_t)id,
			                         "status", status));
		else if (!c->quiet)
			printf("message %ld: %s\n", id, status);
	}
	ds_store_close(st);
	return rc;
}

const struct cli_command cli_cmd_outbox = {
	"outbox",
	"messages waiting for delivery, and the delivery adapter's reports",
	"outbox list [--status queued|sent|delivered|failed]\n"
	"       outbox mark ID sent|delivered|failed|queued [--error TEXT] [--at T]",
	"The outbox is the contract with a delivery adapter (SMS gateway, post):\n"
	"it takes queued messages in order and reports each sent, delivered or\n"
	"failed (a failed one may be queued again). A delivered visit notice\n"
	"counts as the notice given (a contact the rules read). Messages carry\n"
	"no phone number: the adapter unseals it from the borrower's record.\n",
	run,
};

/* doorstep promise: promises to pay, and their judgement from the
 * payments (docs/field.md "Promises"). */
#include "cli.h"

#include "doorstep/field.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int list(struct cli *c, ds_store *st, const char *account)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT promise_id, account_id, amount_fen, due_date, status,"
	                              " paid_fen, visit_id FROM promises"
	                              " WHERE (?1 IS NULL OR account_id = ?1)"
	                              " ORDER BY due_date, promise_id LIMIT 5000",
	                              &s, &d);
	if (err)
		return cli_fail(c, err, &d);
	ds_stmt_bind_text(s, 1, account);
	return cli_print_rows(c, s);
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("promise");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "a subcommand is needed: add, list or judge");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	static const struct option opts[] = {
		{ "amount", required_argument, NULL, 'm' }, { "due", required_argument, NULL, 'd' },
		{ "visit", required_argument, NULL, 'v' },  { "at", required_argument, NULL, 'a' },
		{ "as-of", required_argument, NULL, 'o' },  { 0, 0, 0, 0 },
	};
	const char *amount = NULL, *due = NULL, *at_arg = NULL, *as_of = NULL;
	long visit = 0;
	int ch;
	optind = 0;
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		switch (ch) {
		case 'm':
			amount = optarg;
			break;
		case 'd':
			due = optarg;
			break;
		case 'v':
			visit = strtol(optarg, &end, 10);
			if (end == optarg || *end || visit < 1)
				return cli_usage(cmd, "--visit: a visit id");
			break;
		case 'a':
			at_arg = optarg;
			break;
		case 'o':
			as_of = optarg;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	const char *sub = argv[0];
	int rc = EXIT_OK;
	ds_store *st;
	struct ds_field_config fc;
	ds_field_config_from(&c->cfg, &fc);
	struct ds_diag d;
	ds_diag_clear(&d);
	if (strcmp(sub, "add") == 0) {
		ds_fen fen;
		ds_date day;
		ds_time at;
		if (argc - optind != 1)
			return cli_usage(cmd, "add needs one account id");
		if (!amount || ds_money_parse(amount, &fen))
			return cli_usage(cmd, "--amount: yuan, e.g. 1200.50");
		if (!due || ds_date_parse(due, &day))
			return cli_usage(cmd, "--due: a date YYYY-MM-DD");
		if ((rc = cli_at(c, cmd, at_arg, &at)) || (rc = cli_open_store(c, false, &st)))
			return rc;
		long id;
		ds_err err = ds_promise_add(st, argv[optind], visit, fen, day, at, &id, &d);
		if (err)
			rc = cli_refused(c, err, &d);
		else if (c->json)
			cli_print_json(json_pack("{s:I}", "promise_id", (json_int_t)id));
		else if (!c->quiet)
			printf("promise %ld: %.2f yuan by %s\n", id, (double)fen / 100, due);
	} else if (strcmp(sub, "list") == 0) {
		if (argc - optind > 1)
			return cli_usage(cmd, "list takes at most an account id");
		if ((rc = cli_open_store(c, false, &st)))
			return rc;
		rc = list(c, st, optind < argc ? argv[optind] : NULL);
	} else if (strcmp(sub, "judge") == 0) {
		ds_date day;
		if (optind < argc)
			return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
		if ((rc = cli_as_of(c, as_of, &day)) || (rc = cli_open_store(c, false, &st)))
			return rc;
		struct ds_promise_tally t;
		ds_err err = ds_promises_judge(st, &fc, day, &t, &d);
		if (err)
			rc = cli_refused(c, err, &d);
		else if (c->json)
			cli_print_json(json_pack("{s:I, s:I, s:I, s:I}", "judged",
			                         (json_int_t)t.judged, "kept", (json_int_t)t.kept,
			                         "partly_kept", (json_int_t)t.partly_kept, "broken",
			                         (json_int_t)t.broken));
		else
			printf("promises judged: %ld (kept %ld, partly kept %ld, broken %ld)\n",
			       t.judged, t.kept, t.partly_kept, t.broken);
	} else {
		return cli_usage(cmd, "unknown subcommand \"%s\"", sub);
	}
	ds_store_close(st);
	return rc;
}

const struct cli_command cli_cmd_promise = {
	"promise",
	"promises to pay: add, list, judge from the payments",
	"promise add ACCOUNT --amount YUAN --due D [--visit ID] [--at T]\n"
	"       promise list [ACCOUNT]\n"
	"       promise judge [--as-of D]",
	"judge: every open promise whose date plus [field] promise_grace_days has\n"
	"passed is kept (paid to within [field] promise_tolerance_pct), partly\n"
	"kept or broken, from the account's payments between the promise and\n"
	"its date plus grace, each payment counted once for the earliest\n"
	"promise; a broken one writes its follow-up task. See docs/field.md.\n",
	run,
};

/* doorstep receipt: money taken at the door, its receipt and its
 * reconciliation with the bank's payment feed (docs/field.md). */
#include "cli.h"

#include "doorstep/field.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int list(struct cli *c, ds_store *st, bool open)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT receipt_no, account_id, amount_fen, method, taken_by,"
	                              " taken_at, payment_id, pdf_path FROM receipts"
	                              " WHERE (?1 = 0 OR payment_id IS NULL)"
	                              " ORDER BY receipt_no LIMIT 5000",
	                              &s, &d);
	if (err)
		return cli_fail(c, err, &d);
	ds_stmt_bind_int(s, 1, open);
	return cli_print_rows(c, s);
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("receipt");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "a subcommand is needed: issue, list or reconcile");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	static const struct option opts[] = {
		{ "amount", required_argument, NULL, 'm' },
		{ "method", required_argument, NULL, 'k' },
		{ "visit", required_argument, NULL, 'v' },
		{ "at", required_argument, NULL, 'a' },
		{ "as-of", required_argument, NULL, 'o' },
		{ "open", no_argument, NULL, 'p' },
		{ 0, 0, 0, 0 },
	};
	const char *amount = NULL, *method = NULL, *at_arg = NULL, *as_of = NULL;
	long visit = 0;
	bool open = false;
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
		case 'k':
			method = optarg;
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
		case 'p':
			open = true;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	const char *sub = argv[0];
	int rc;
	ds_store *st;
	struct ds_field_config fc;
	ds_field_config_from(&c->cfg, &fc);
	struct ds_diag d;
	ds_diag_clear(&d);
	if (strcmp(sub, "issue") == 0) {
		ds_fen fen;
		ds_time at;
		if (argc - optind != 1)
			return cli_usage(cmd, "issue needs one account id");
		if (!amount || ds_money_parse(amount, &fen))
			return cli_usage(cmd, "--amount: yuan, e.g. 500.00");
		if (!method || (strcmp(method, "cash") != 0 && strcmp(method, "card") != 0))
			return cli_usage(cmd, "--method: cash or card");
		if (!visit)
			return cli_usage(cmd,
			                 "--visit: the visit at whose door the money was taken");
		if ((rc = cli_at(c, cmd, at_arg, &at)) || (rc = cli_open_store(c, false, &st)))
			return rc;
		char no[20];
		ds_err err =
		        ds_receipt_issue(st, &fc, argv[optind], visit, fen, method, at, no, &d);
		if (err)
			rc = cli_refused(c, err, &d);
		else if (c->json)
			cli_print_json(json_pack("{s:s}", "receipt_no", no));
		else if (!c->quiet)
			printf("receipt %s: %.2f yuan (%s), written to %s/receipt-%s.pdf\n", no,
			       (double)fen / 100, method, fc.letter_dir, no);
	} else if (strcmp(sub, "list") == 0) {
		if (optind < argc)
			return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
		if ((rc = cli_open_store(c, false, &st)))
			return rc;
		rc = list(c, st, open);
	} else if (strcmp(sub, "reconcile") == 0) {
		ds_date day;
		if (optind < argc)
			return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
		if ((rc = cli_as_of(c, as_of, &day)) || (rc = cli_open_store(c, false, &st)))
			return rc;
		struct ds_reconcile_tally t;
		ds_err err = ds_receipts_reconcile(st, &fc, day, &t, &d);
		if (err)
			rc = cli_refused(c, err, &d);
		else if (c->json)
			cli_print_json(json_pack("{s:I, s:I, s:I}", "matched",
			                         (json_int_t)t.matched, "open", (json_int_t)t.open,
			                         "alerts", (json_int_t)t.alerts));
		else
			printf("receipts: %ld matched to the bank's payments, %ld still open, %ld "
			       "overdue (alerts)\n",
			       t.matched, t.open, t.alerts);
	} else {
		return cli_usage(cmd, "unknown subcommand \"%s\"", sub);
	}
	ds_store_close(st);
	return rc;
}

const struct cli_command cli_cmd_receipt = {
	"receipt",
	"receipts for money taken at the door, and their reconciliation",
	"receipt issue ACCOUNT --visit ID --amount YUAN --method cash|card [--at T]\n"
	"       receipt list [--open]\n"
	"       receipt reconcile [--as-of D]",
	"issue: a receipt numbered RYYYY-NNNNNN without gaps, its PDF in [field]\n"
	"letter_dir, for a visit checked in (cash up to 50,000 yuan).\n"
	"reconcile: each open receipt matched to the bank's payment of the same\n"
	"amount on the account (cash_at_door or card, its reference the receipt's\n"
	"number first) within [field] receipt_reconcile_days; one still open\n"
	"after that is an alert and a reconcile task. See docs/field.md.\n",
	run,
};

/* doorstep task: the follow-up tasks (docs/field.md "Follow-up"). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int list(struct cli *c, ds_store *st, bool open, const char *due)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT task_id, account_id, kind, due_date, reason,"
	                              " coalesce(source, '') AS source, status FROM tasks"
	                              " WHERE (?1 = 0 OR status = 'open')"
	                              " AND (?2 IS NULL OR due_date <= ?2)"
	                              " ORDER BY due_date, task_id LIMIT 5000",
	                              &s, &d);
	if (err)
		return cli_fail(c, err, &d);
	ds_stmt_bind_int(s, 1, open);
	ds_stmt_bind_text(s, 2, due);
	return cli_print_rows(c, s);
}

static int finish(struct cli *c, ds_store *st, long id, const char *status, ds_time at)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_store_begin(st, &d);
	ds_stmt *s;
	if (!err && !(err = ds_store_prepare(st,
	                                     "UPDATE tasks SET status = ?, done_at = ?, done_by = ?"
	                                     " WHERE task_id = ? AND status = 'open'",
	                                     &s, &d))) {
		bool row;
		ds_stmt_bind_text(s, 1, status);
		ds_stmt_bind_int(s, 2, at);
		ds_stmt_bind_text(s, 3, ds_store_actor(st));
		ds_stmt_bind_int(s, 4, id);
		err = ds_stmt_step(s, &row, &d);
		ds_stmt_done(s);
		if (!err && ds_store_changes(st) != 1)
			err = ds_diag_set(&d, DS_ENOTFOUND, NULL, 0, "task", "no open task %ld",
			                  id);
	}
	char key[24], detail[64];
	snprintf(key, sizeof key, "%ld", id);
	snprintf(detail, sizeof detail, "{\"status\":\"%s\"}", status);
	if (!err)
		err = ds_store_audit(st, "task_finish", "tasks", key, detail, &d);
	if (!err)
		err = ds_store_commit(st, &d);
	if (err) {
		ds_store_rollback(st);
		return cli_refused(c, err, &d);
	}
	if (c->json)
		cli_print_json(
		        json_pack("{s:I, s:s}", "task_id", (json_int_t)id, "status", status));
	else if (!c->quiet)
		printf("task %ld: %s\n", id, status);
	return EXIT_OK;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("task");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "a subcommand is needed: list, done or cancel");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'l' },
		{ "due", required_argument, NULL, 'd' },
		{ "at", required_argument, NULL, 'a' },
		{ 0, 0, 0, 0 },
	};
	bool all = false;
	const char *due = NULL, *at_arg = NULL;
	int ch;
	optind = 0;
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'l')
			all = true;
		else if (ch == 'd')
			due = optarg;
		else if (ch == 'a')
			at_arg = optarg;
		else
			return cli_usage(cmd, "unknown option");
	}
	ds_date dd;
	if (due && ds_date_parse(due, &dd))
		return cli_usage(cmd, "--due: a date YYYY-MM-DD");
	const char *sub = argv[0];
	bool listing = strcmp(sub, "list") == 0;
	long id = 0;
	if (!listing) {
		char *end;
		if ((strcmp(sub, "done") != 0 && strcmp(sub, "cancel") != 0))
			return cli_usage(cmd, "unknown subcommand \"%s\"", sub);
		if (argc - optind != 1 || (id = strtol(argv[optind], &end, 10)) < 1 || *end)
			return cli_usage(cmd, "%s needs one task id", sub);
	} else if (optind < argc) {
		return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
	}
	ds_time at;
	int rc = cli_at(c, cmd, at_arg, &at);
	ds_store *st;
	if (rc || (rc = cli_open_store(c, false, &st)))
		return rc;
	rc = listing ? list(c, st, !all, due)
	             : finish(c, st, id, strcmp(sub, "done") == 0 ? "done" : "cancelled", at);
	ds_store_close(st);
	return rc;
}

const struct cli_command cli_cmd_task = {
	"task",
	"follow-up tasks: list, done, cancel",
	"task list [--all] [--due D]\n"
	"       task done ID [--at T]\n"
	"       task cancel ID [--at T]",
	"Tasks are what an event calls for next, by [field] followup (a broken\n"
	"promise: a call within 2 days; an incident: a manager's review; a\n"
	"hardship: a plan offer; ...), and the reconciliation of receipts the\n"
	"bank's feed has not matched. list shows the open ones (--all: every\n"
	"one), --due D those due by D. See docs/field.md.\n",
	run,
};

/* doorstep complaint open|resolve|list: complaints, their holds and their
 * deadlines (docs/complaints.md). */
#include "cli.h"

#include "doorstep/field.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The library's refusals: a bad argument is a usage error, an unknown or
 * refused record is rejected input, anything else a failure. */
static int refused(struct cli *c, const struct cli_command *cmd, ds_err err,
                   const struct ds_diag *d)
{
	if (err == DS_EINVAL)
		return cli_usage(cmd, "%s", d->msg);
	return cli_fail(c, err == DS_ENOTFOUND || err == DS_EREJECT ? DS_EREJECT : err, d);
}

/* --at T: an instant (ISO 8601; a date is its midnight in the configured
 * zone), or now. */
static bool parse_at(struct cli *c, const char *arg, ds_time *out)
{
	if (!arg) {
		*out = (ds_time)time(NULL);
		return true;
	}
	return ds_time_parse(arg, ds_config_str(&c->cfg, DS_CFG_TIMEZONE), out) == DS_OK;
}

static bool parse_id(const char *s, long *out)
{
	char *e;
	long v = strtol(s, &e, 10);
	if (!*s || *e || v <= 0)
		return false;
	*out = v;
	return true;
}

/* What the command reports of complaint id after a change. */
struct shown {
	char borrower[65];
	long hold;
	ds_time due;
};

static ds_err shown_of(ds_store *st, long id, struct shown *out, struct ds_diag *d)
{
	memset(out, 0, sizeof *out);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT borrower_id, coalesce(hold_id, 0),"
	                              " coalesce(due_at, 0) FROM complaints"
	                              " WHERE complaint_id = ?",
	                              &s, d);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_int(s, 1, id);
	if (!(err = ds_stmt_step(s, &row, d)) && row) {
		ds_strlcpy(out->borrower, ds_stmt_text(s, 0), sizeof out->borrower);
		out->hold = (long)ds_stmt_int(s, 1);
		out->due = ds_stmt_int(s, 2);
	}
	ds_stmt_done(s);
	return err;
}

static int open_complaint(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "visit", required_argument, NULL, 'v' },
		{ "staff", required_argument, NULL, 's' },
		{ "detail", required_argument, NULL, 'd' },
		{ "at", required_argument, NULL, 'a' },
		{ 0, 0, 0, 0 },
	};
	const char *kind = NULL, *visit = NULL, *staff = NULL, *detail = NULL, *at = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			kind = optarg;
			break;
		case 'v':
			visit = optarg;
			break;
		case 's':
			staff = optarg;
			break;
		case 'd':
			detail = optarg;
			break;
		case 'a':
			at = optarg;
			break;
		default:
			return cli_usage(cmd, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, "open needs one account id");
	const char *account = argv[optind];
	if (!kind)
		return cli_usage(cmd,
		                 "open needs --kind (conduct, harassment, privacy, third_party,"
		                 " wrong_debt, fees, other)");
	long visit_id = 0;
	if (visit && !parse_id(visit, &visit_id))
		return cli_usage(cmd, "--visit: not a visit id: \"%s\"", visit);
	ds_time now;
	if (!parse_at(c, at, &now))
		return cli_usage(cmd, "--at: not a date or date-time: \"%s\"", at);
	struct ds_field_config fc;
	ds_field_config_from(&c->cfg, &fc);
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	long id = 0;
	ds_err err =
	        ds_complaint_open(st, &fc, account, visit_id, staff, kind, detail, now, &id, &d);
	struct shown r;
	if (!err)
		err = shown_of(st, id, &r, &d);
	ds_store_close(st);
	if (err)
		return refused(c, cmd, err, &d);
	char due[21];
	ds_time_format_utc(r.due, due);
	if (c->json)
		cli_print_json(json_pack("{s:I, s:s, s:s, s:s, s:I, s:s}", "complaint_id",
		                         (json_int_t)id, "account_id", account, "borrower_id",
		                         r.borrower, "kind", kind, "hold_id", (json_int_t)r.hold,
		                         "due_at", due));
	else if (!c->quiet)
		printf("complaint %ld: %s on %s (borrower %s); hold %ld stops all contact; due "
		       "%s\n",
		       id, kind, account, r.borrower, r.hold, due);
	return EXIT_OK;
}

static int resolve(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "resolution", required_argument, NULL, 'r' },
		{ "at", required_argument, NULL, 'a' },
		{ 0, 0, 0, 0 },
	};
	const char *resolution = NULL, *at = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			resolution = optarg;
			break;
		case 'a':
			at = optarg;
			break;
		default:
			return cli_usage(cmd, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, "resolve needs one complaint id");
	long id;
	if (!parse_id(argv[optind], &id))
		return cli_usage(cmd, "not a complaint id: \"%s\"", argv[optind]);
	if (!resolution)
		return cli_usage(cmd, "resolve needs --resolution TEXT");
	ds_time now;
	if (!parse_at(c, at, &now))
		return cli_usage(cmd, "--at: not a date or date-time: \"%s\"", at);
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_complaint_resolve(st, id, resolution, now, &d);
	struct shown r;
	if (!err)
		err = shown_of(st, id, &r, &d);
	ds_store_close(st);
	if (err)
		return refused(c, cmd, err, &d);
	long hold = r.hold;
	bool late = r.due && now > r.due;
	char when[21];
	ds_time_format_utc(now, when);
	if (c->json)
		cli_print_json(json_pack("{s:I, s:s, s:I, s:b}", "complaint_id", (json_int_t)id,
		                         "resolved_at", when, "hold_id", (json_int_t)hold, "late",
		                         late));
	else if (!c->quiet)
		printf("complaint %ld resolved at %s%s; hold %ld ended\n", id, when,
		       late ? " (past its due date)" : "", hold);
	return EXIT_OK;
}

static int list(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "open", no_argument, NULL, 'o' },
		{ "overdue", no_argument, NULL, 'd' },
		{ "as-of", required_argument, NULL, 'a' },
		{ 0, 0, 0, 0 },
	};
	bool open_only = false, overdue = false;
	const char *as_of_arg = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			open_only = true;
			break;
		case 'd':
			overdue = true;
			break;
		case 'a':
			as_of_arg = optarg;
			break;
		default:
			return cli_usage(cmd, "bad option");
		}
	}
	if (argc - optind != 0)
		return cli_usage(cmd, "list takes no arguments");
	/* --as-of D: as the day D ended (its last second) in the configured
	 * zone; else now */
	ds_time as_of = (ds_time)time(NULL);
	if (as_of_arg) {
		ds_date day;
		int rc = cli_as_of(c, as_of_arg, &day);
		if (rc)
			return rc;
		int y, m, dd;
		ds_date_to_ymd(day + 1, &y, &m, &dd);
		if (ds_tz_from_local(ds_config_str(&c->cfg, DS_CFG_TIMEZONE), y, m, dd, 0, 0, 0,
		                     &as_of))
			return cli_usage(cmd, "--as-of: cannot place \"%s\" in time", as_of_arg);
		as_of -= 1;
	}
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_complaint_info *v = NULL;
	long n = 0;
	ds_err err = ds_complaint_list(st, open_only, overdue, as_of, &v, &n, &d);
	ds_store_close(st);
	if (err)
		return refused(c, cmd, err, &d);
	char when[21];
	if (as_of_arg)
		ds_strlcpy(when, as_of_arg, sizeof when);
	else
		ds_time_format_utc(as_of, when);
	long late = 0;
	json_t *arr = c->json ? json_array() : NULL;
	for (long i = 0; i < n; i++) {
		const struct ds_complaint_info *r = &v[i];
		char opened[21], due[21] = "", resolved[21] = "";
		ds_time_format_utc(r->opened_at, opened);
		if (r->due_at)
			ds_time_format_utc(r->due_at, due);
		if (r->resolved_at)
			ds_time_format_utc(r->resolved_at, resolved);
		const char *state = r->overdue ? "overdue" : r->open ? "open" : "resolved";
		late += r->overdue;
		if (arr) {
			json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s*, s:s*, s:b, s:b}",
			                      "complaint_id", (json_int_t)r->complaint_id,
			                      "account_id", r->account_id, "borrower_id",
			                      r->borrower_id, "kind", r->kind, "opened_at", opened,
			                      "due_at", r->due_at ? due : NULL, "resolved_at",
			                      r->resolved_at ? resolved : NULL, "open", r->open,
			                      "overdue", r->overdue);
			if (o && r->visit_id)
				json_object_set_new(o, "visit_id", json_integer(r->visit_id));
			if (o && r->staff_id[0])
				json_object_set_new(o, "staff_id", json_string(r->staff_id));
			if (o && r->hold_id)
				json_object_set_new(o, "hold_id", json_integer(r->hold_id));
			if (o && r->resolved_by[0])
				json_object_set_new(o, "resolved_by", json_string(r->resolved_by));
			json_array_append_new(arr, o);
		} else {
			printf("%-6ld %-12s %-12s %-12s %s  due %-20s %-8s %s\n", r->complaint_id,
			       r->account_id[0] ? r->account_id : "-", r->borrower_id, r->kind,
			       opened, r->due_at ? due : "-", state, resolved);
		}
	}
	ds_free(v);
	if (arr)
		cli_print_json(json_pack("{s:s, s:I, s:I, s:o}", "as_of", when, "count",
		                         (json_int_t)n, "overdue", (json_int_t)late, "complaints",
		                         arr));
	else if (!c->quiet)
		printf("%ld complaint%s as of %s, %ld overdue\n", n, n == 1 ? "" : "s", when, late);
	return EXIT_OK;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("complaint");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "need a subcommand: open, resolve or list");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	const char *sub = argv[1];
	/* the subcommand's own arguments, parsed afresh (argv[0] is its name) */
	optind = 0;
	if (strcmp(sub, "open") == 0)
		return open_complaint(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "resolve") == 0)
		return resolve(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return list(c, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", sub);
}

const struct cli_command cli_cmd_complaint = {
	"complaint",
	"complaints and their holds: open, resolve, list",
	"complaint open ACCOUNT --kind K [--visit ID] [--staff ID] [--detail TEXT] [--at T]\n"
	"       complaint resolve ID --resolution TEXT [--at T]\n"
	"       complaint list [--open] [--overdue] [--as-of D]",
	"A complaint on an account puts a 'complaint' hold on its borrower, which\n"
	"stops all contact under the CN rules (CN-HOLDS) until it is resolved; it\n"
	"is due [field] complaint_sla_days (15) after it was opened, and its\n"
	"follow-up task is written when [field] followup names one for the event\n"
	"'complaint'. Kinds: conduct (态度/行为), harassment (骚扰), privacy (隐私泄露),\n"
	"third_party (联系第三方), wrong_debt (欠款有误), fees (费用), other.\n"
	"--visit and --staff name the visit (of this account) and the staff member\n"
	"it is about; --detail (at most 2000 bytes) what happened.\n"
	"resolve records the resolution (at most 1000 bytes) and who gave it, ends\n"
	"the hold and closes the follow-up task; a resolved complaint cannot be\n"
	"resolved again. Times are ISO 8601 (a date means its midnight, in the\n"
	"configured zone); --at defaults to now.\n"
	"list shows every complaint, or with --open those still open, with\n"
	"--overdue those open past their due date, as the day --as-of D ended\n"
	"(default: now). Every change is in the audit log. See docs/complaints.md.\n",
	run,
};

/* doorstep hold add|list|end: holds and protective flags on borrowers. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The kinds the rule packs read; docs/rules.md says what each stops. */
static const char *const kinds[] = {
	"dispute",         "complaint",        "legal",
	"bereavement",     "illness",          "vulnerable",
	"breathing_space", "do_not_visit",     "quiet_hours_consent",
	"safety_risk",     "family_emergency", "disaster",
	"wedding",         "festival",         "cease",
};

static bool known_kind(const char *k)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i], k) == 0)
			return true;
	return false;
}

static int exists(struct cli *c, ds_store *st, const char *table, const char *col, const char *id,
                  bool *found)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_store_exists(st, table, col, id, found, &d);
	return err ? cli_fail(c, err, &d) : EXIT_OK;
}

static int add(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "account", required_argument, NULL, 'a' },
		{ "reason", required_argument, NULL, 'r' },
		{ 0, 0, 0, 0 },
	};
	const char *from = NULL, *to = NULL, *account = NULL, *reason = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'a':
			account = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		default:
			return cli_usage(cmd, "bad option");
		}
	}
	if (argc - optind != 2)
		return cli_usage(cmd, "add needs a borrower id and a kind");
	const char *borrower = argv[optind], *kind = argv[optind + 1];
	if (!known_kind(kind))
		return cli_usage(cmd, "unknown hold kind '%s' (see 'doorstep hold --help')", kind);
	const char *zone = ds_config_str(&c->cfg, DS_CFG_TIMEZONE);
	ds_time start = (ds_time)time(NULL), end = 0;
	if (from && ds_time_parse(from, zone, &start))
		return cli_usage(cmd, "--from: not a date or date-time: \"%s\"", from);
	if (to && (ds_time_parse(to, zone, &end) || end <= start))
		return cli_usage(cmd, "--to: not a date or date-time after --from: \"%s\"", to);
	if (reason && strlen(reason) > 500)
		return cli_usage(cmd, "--reason: at most 500 bytes");
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	bool found = false;
	if (!(rc = exists(c, st, "borrowers", "borrower_id", borrower, &found)) && !found) {
		fprintf(stderr, "doorstep: unknown borrower \"%s\"\n", borrower);
		rc = EXIT_REJECTED;
	}
	if (!rc && account && !(rc = exists(c, st, "accounts", "account_id", account, &found)) &&
	    !found) {
		fprintf(stderr, "doorstep: unknown account \"%s\"\n", account);
		rc = EXIT_REJECTED;
	}
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = DS_OK;
	int64_t id = 0;
	if (!rc && !(err = ds_store_begin(st, &d))) {
		ds_stmt *s;
		if (!(err = ds_store_prepare(
		              st,
		              "INSERT INTO holds(borrower_id, account_id, kind, starts_at,"
		              " ends_at, set_by, reason) VALUES(?,?,?,?,?,?,?)",
		              &s, &d))) {
			bool row;
			ds_stmt_bind_text(s, 1, borrower);
			ds_stmt_bind_text(s, 2, account);
			ds_stmt_bind_text(s, 3, kind);
			ds_stmt_bind_int(s, 4, start);
			if (end)
				ds_stmt_bind_int(s, 5, end);
			else
				ds_stmt_bind_null(s, 5);
			ds_stmt_bind_text(s, 6, ds_store_actor(st));
			ds_stmt_bind_text(s, 7, reason);
			err = ds_stmt_step(s, &row, &d);
			ds_stmt_done(s);
			id = ds_store_last_id(st);
		}
		if (!err) {
			json_t *detail = json_pack("{s:s, s:s, s:I, s:I}", "borrower_id", borrower,
			                           "kind", kind, "starts_at", (json_int_t)start,
			                           "ends_at", (json_int_t)end);
			char *text = json_dumps(detail, JSON_COMPACT);
			char key[32];
			snprintf(key, sizeof key, "%lld", (long long)id);
			err = ds_store_audit(st, "hold_add", "holds", key, text, &d);
			free(text);
			json_decref(detail);
		}
		if (!err)
			err = ds_store_commit(st, &d);
		if (err)
			ds_store_rollback(st);
	}
	ds_store_close(st);
	if (err)
		return cli_fail(c, err, &d);
	if (rc)
		return rc;
	if (c->json)
		cli_print_json(json_pack("{s:I}", "hold_id", (json_int_t)id));
	else if (!c->quiet)
		printf("hold %lld: %s on %s\n", (long long)id, kind, borrower);
	return EXIT_OK;
}

static int end_hold(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	if (argc - optind != 1)
		return cli_usage(cmd, "end needs a hold id");
	char *e;
	long long id = strtoll(argv[optind], &e, 10);
	if (*e || id <= 0)
		return cli_usage(cmd, "not a hold id: \"%s\"", argv[optind]);
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_store_begin(st, &d);
	int64_t changed = 0;
	ds_time now = (ds_time)time(NULL);
	if (!err) {
		ds_stmt *s;
		if (!(err = ds_store_prepare(st,
		                             "UPDATE holds SET ends_at = ? WHERE hold_id = ?"
		                             " AND (ends_at IS NULL OR ends_at > ?)",
		                             &s, &d))) {
			bool row;
			ds_stmt_bind_int(s, 1, now);
			ds_stmt_bind_int(s, 2, id);
			ds_stmt_bind_int(s, 3, now);
			err = ds_stmt_step(s, &row, &d);
			ds_stmt_done(s);
			changed = ds_store_changes(st);
		}
		if (!err && changed)
			err = ds_store_audit(st, "hold_end", "holds", argv[optind], NULL, &d);
		if (!err)
			err = ds_store_commit(st, &d);
		if (err)
			ds_store_rollback(st);
	}
	ds_store_close(st);
	if (err)
		return cli_fail(c, err, &d);
	if (!changed) {
		fprintf(stderr, "doorstep: no active hold %lld\n", id);
		return EXIT_REJECTED;
	}
	if (!c->quiet && !c->json)
		printf("hold %lld ended\n", id);
	return EXIT_OK;
}

static int list(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	if (argc - optind > 1)
		return cli_usage(cmd, "list takes at most a borrower id");
	const char *borrower = argc - optind == 1 ? argv[optind] : NULL;
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(st,
	                         "SELECT hold_id, borrower_id, coalesce(account_id,''), kind,"
	                         " starts_at, coalesce(ends_at, 0), set_by, coalesce(reason,'')"
	                         " FROM holds WHERE ? IS NULL OR borrower_id = ?"
	                         " ORDER BY borrower_id, starts_at",
	                         &s, &d);
	json_t *arr = c->json ? json_array() : NULL;
	if (!err) {
		ds_stmt_bind_text(s, 1, borrower);
		ds_stmt_bind_text(s, 2, borrower);
		bool row;
		ds_time now = (ds_time)time(NULL);
		while (!(err = ds_stmt_step(s, &row, &d)) && row) {
			char from[21], to[21] = "";
			ds_time end = ds_stmt_int(s, 5);
			ds_time_format_utc(ds_stmt_int(s, 4), from);
			if (end)
				ds_time_format_utc(end, to);
			bool active = ds_stmt_int(s, 4) <= now && (!end || now < end);
			if (arr)
				json_array_append_new(
				        arr,
				        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s*, s:b, s:s, s:s}",
				                  "hold_id", (json_int_t)ds_stmt_int(s, 0),
				                  "borrower_id", ds_stmt_text(s, 1), "account_id",
				                  ds_stmt_text(s, 2), "kind", ds_stmt_text(s, 3),
				                  "from", from, "to", end ? to : NULL, "active",
				                  active, "set_by", ds_stmt_text(s, 6), "reason",
				                  ds_stmt_text(s, 7)));
			else
				printf("%-6lld %-12s %-20s %s .. %-20s %-8s %s\n",
				       (long long)ds_stmt_int(s, 0), ds_stmt_text(s, 1),
				       ds_stmt_text(s, 3), from, end ? to : "(open)",
				       active ? "active" : "ended", ds_stmt_text(s, 6));
		}
		ds_stmt_done(s);
	}
	ds_store_close(st);
	if (err) {
		json_decref(arr);
		return cli_fail(c, err, &d);
	}
	if (arr)
		cli_print_json(arr);
	return EXIT_OK;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("hold");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "need a subcommand: add, list or end");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	const char *sub = argv[1];
	/* the subcommand's own arguments, parsed afresh (argv[0] is its name) */
	optind = 0;
	if (strcmp(sub, "add") == 0)
		return add(c, cmd, argc - 1, argv + 1);
	optind = 1;
	if (strcmp(sub, "list") == 0)
		return list(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "end") == 0)
		return end_hold(c, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", sub);
}

const struct cli_command cli_cmd_hold = {
	"hold",
	"holds and protective flags on borrowers: add, list, end",
	"hold add BORROWER KIND [--account ID] [--from T] [--to T] [--reason TEXT]\n"
	"       hold list [BORROWER]\n"
	"       hold end HOLD_ID",
	"Every contact passes the rules, which read the borrower's holds: a\n"
	"dispute or complaint stops all contact, do_not_visit or vulnerable stops\n"
	"visits, safety_risk needs an experienced two-person team, and so on\n"
	"(docs/rules.md). Kinds: dispute complaint legal bereavement illness\n"
	"vulnerable breathing_space do_not_visit quiet_hours_consent safety_risk\n"
	"family_emergency disaster wedding festival cease.\n"
	"Times are ISO 8601 (a date means its midnight, in the configured zone);\n"
	"--from defaults to now, --to to open-ended. Who set a hold is recorded,\n"
	"and every change is in the audit log. 'end' closes an active hold now.\n",
	run,
};

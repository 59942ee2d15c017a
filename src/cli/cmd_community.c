/* doorstep community score|event|events: how the partner communities
 * cooperate, and their financial-literacy events (docs/complaints.md). */
#include "cli.h"

#include "doorstep/field.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The library's refusals: a bad argument is a usage error, an unknown
 * record rejected input, anything else a failure. */
static int refused(struct cli *c, const struct cli_command *cmd, ds_err err,
                   const struct ds_diag *d)
{
	if (err == DS_EINVAL)
		return cli_usage(cmd, "%s", d->msg);
	return cli_fail(c, err == DS_ENOTFOUND || err == DS_EREJECT ? DS_EREJECT : err, d);
}

/* A whole decimal number in lo..hi. */
static bool parse_num(const char *s, long lo, long hi, long *out)
{
	char *e;
	long v = strtol(s, &e, 10);
	if (!*s || *e || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int score(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "as-of", required_argument, NULL, 'a' },
		{ "days", required_argument, NULL, 'd' },
		{ 0, 0, 0, 0 },
	};
	const char *as_of_arg = NULL, *days_arg = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			as_of_arg = optarg;
			break;
		case 'd':
			days_arg = optarg;
			break;
		default:
			return cli_usage(cmd, "bad option");
		}
	}
	if (argc - optind != 0)
		return cli_usage(cmd, "score takes no arguments");
	long days = 90;
	if (days_arg && !parse_num(days_arg, 1, 3650, &days))
		return cli_usage(cmd, "--days: a number of days from 1 to 3650, not \"%s\"",
		                 days_arg);
	ds_date as_of;
	int rc = cli_as_of(c, as_of_arg, &as_of);
	if (rc)
		return rc;
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st)))
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_community_score *v = NULL;
	long n = 0;
	ds_err err = ds_community_scores(st, as_of, (int)days, &v, &n, &d);
	char day[11], from[11];
	ds_date_format(as_of, day);
	ds_date_format(as_of - (ds_date)days + 1, from);
	json_t *arr = c->json ? json_array() : NULL;
	if (!err && !arr && !c->quiet)
		printf("%-10s %-7s %6s %6s %6s %8s %5s %10s %6s %10s %6s  %s\n", "community",
		       "status", "visits", "worker", "met", "promises", "kept", "complaints",
		       "events", "attendance", "score", "name");
	for (long i = 0; !err && i < n; i++) {
		const struct ds_community_score *r = &v[i];
		bool row = false;
		char name[256] = "", status[16] = "";
		ds_stmt *s;
		if ((err = ds_store_prepare(st,
		                            "SELECT name, partner_status FROM communities"
		                            " WHERE community_id = ?",
		                            &s, &d)))
			break;
		ds_stmt_bind_text(s, 1, r->community_id);
		if (!(err = ds_stmt_step(s, &row, &d)) && row) {
			ds_strlcpy(name, ds_stmt_text(s, 0), sizeof name);
			ds_strlcpy(status, ds_stmt_text(s, 1), sizeof status);
		}
		ds_stmt_done(s);
		if (err)
			break;
		if (arr)
			json_array_append_new(
			        arr,
			        json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			                  "s:I, s:f}",
			                  "community_id", r->community_id, "name", name,
			                  "partner_status", status, "visits", (json_int_t)r->visits,
			                  "with_worker", (json_int_t)r->with_worker, "met",
			                  (json_int_t)r->met, "promises", (json_int_t)r->promises,
			                  "kept", (json_int_t)r->kept, "complaints",
			                  (json_int_t)r->complaints, "events",
			                  (json_int_t)r->events, "attendance",
			                  (json_int_t)r->attendance, "score", r->score));
		else if (!c->quiet)
			printf("%-10s %-7s %6ld %6ld %6ld %8ld %5ld %10ld %6ld %10ld %6.3f  %s\n",
			       r->community_id, status, r->visits, r->with_worker, r->met,
			       r->promises, r->kept, r->complaints, r->events, r->attendance,
			       r->score, name);
	}
	ds_store_close(st);
	ds_free(v);
	if (err) {
		json_decref(arr);
		return refused(c, cmd, err, &d);
	}
	if (arr)
		cli_print_json(json_pack("{s:s, s:s, s:i, s:o}", "as_of", day, "from", from, "days",
		                         (int)days, "communities", arr));
	else if (!c->quiet)
		printf("%ld partner communit%s scored over %s..%s (%ld days)\n", n,
		       n == 1 ? "y" : "ies", from, day, days);
	return EXIT_OK;
}

static int event(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "date", required_argument, NULL, 'd' },
		{ "topic", required_argument, NULL, 't' },
		{ "attendance", required_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	const char *date = NULL, *topic = NULL, *attendance = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			date = optarg;
			break;
		case 't':
			topic = optarg;
			break;
		case 'n':
			attendance = optarg;
			break;
		default:
			return cli_usage(cmd, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, "event needs one community id");
	const char *community = argv[optind];
	if (!date || !topic || !attendance)
		return cli_usage(cmd, "event needs --date, --topic and --attendance");
	ds_date held_on;
	if (ds_date_parse(date, &held_on))
		return cli_usage(cmd, "--date: not a date (YYYY-MM-DD): \"%s\"", date);
	long people;
	if (!parse_num(attendance, 0, 100000, &people))
		return cli_usage(cmd, "--attendance: a number from 0 to 100000, not \"%s\"",
		                 attendance);
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	long id = 0;
	ds_err err = ds_literacy_event_add(st, community, held_on, topic, (int)people,
	                                   (ds_time)time(NULL), &id, &d);
	ds_store_close(st);
	if (err)
		return refused(c, cmd, err, &d);
	if (c->json)
		cli_print_json(json_pack("{s:I, s:s, s:s, s:i}", "event_id", (json_int_t)id,
		                         "community_id", community, "held_on", date, "attendance",
		                         (int)people));
	else if (!c->quiet)
		printf("literacy event %ld: %s on %s, %ld attending\n", id, community, date,
		       people);
	return EXIT_OK;
}

static int events(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	if (argc - optind > 1)
		return cli_usage(cmd, "events takes at most a community id");
	const char *community = argc - optind == 1 ? argv[optind] : NULL;
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	bool found = true;
	ds_err err = community ? ds_store_exists(st, "communities", "community_id", community,
	                                         &found, &d)
	                       : DS_OK;
	if (!err && !found) {
		ds_store_close(st);
		fprintf(stderr, "doorstep: unknown community \"%s\"\n", community);
		return EXIT_REJECTED;
	}
	ds_stmt *s;
	json_t *arr = c->json ? json_array() : NULL;
	long n = 0, people = 0;
	if (!err && !(err = ds_store_prepare(st,
	                                     "SELECT event_id, community_id, held_on, topic,"
	                                     " attendance, created_by FROM literacy_events"
	                                     " WHERE ? IS NULL OR community_id = ?"
	                                     " ORDER BY held_on, event_id",
	                                     &s, &d))) {
		ds_stmt_bind_text(s, 1, community);
		ds_stmt_bind_text(s, 2, community);
		bool row;
		while (!(err = ds_stmt_step(s, &row, &d)) && row) {
			n++;
			people += (long)ds_stmt_int(s, 4);
			if (arr)
				json_array_append_new(
				        arr,
				        json_pack("{s:I, s:s, s:s, s:s, s:I, s:s}", "event_id",
				                  (json_int_t)ds_stmt_int(s, 0), "community_id",
				                  ds_stmt_text(s, 1), "held_on", ds_stmt_text(s, 2),
				                  "topic", ds_stmt_text(s, 3), "attendance",
				                  (json_int_t)ds_stmt_int(s, 4), "created_by",
				                  ds_stmt_text(s, 5)));
			else if (!c->quiet)
				printf("%-6lld %-10s %s %6lld  %s\n", (long long)ds_stmt_int(s, 0),
				       ds_stmt_text(s, 1), ds_stmt_text(s, 2),
				       (long long)ds_stmt_int(s, 4), ds_stmt_text(s, 3));
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
	else if (!c->quiet)
		printf("%ld event%s, %ld attending\n", n, n == 1 ? "" : "s", people);
	return EXIT_OK;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("community");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "need a subcommand: score, event or events");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	const char *sub = argv[1];
	/* the subcommand's own arguments, parsed afresh (argv[0] is its name) */
	optind = 0;
	if (strcmp(sub, "score") == 0)
		return score(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "event") == 0)
		return event(c, cmd, argc - 1, argv + 1);
	optind = 1;
	if (strcmp(sub, "events") == 0)
		return events(c, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", sub);
}

const struct cli_command cli_cmd_community = {
	"community",
	"community cooperation and literacy events: score, event, events",
	"community score [--as-of D] [--days N]\n"
	"       community event COMMUNITY --date D --topic TEXT --attendance N\n"
	"       community events [COMMUNITY]",
	"score rates each partner community (partner_status active or pilot) over\n"
	"the N days (default 90, at most 3650) ending with --as-of (default today):\n"
	"its visits with an outcome, the share a community worker of its own took\n"
	"part in, the share where the borrower was met, the promises made on them\n"
	"and kept, complaints, and literacy events; the score (0..1) is their\n"
	"weighted mean, defined in docs/complaints.md.\n"
	"event records a financial-literacy event held with a community: the date,\n"
	"the topic (1 to 200 bytes) and the attendance (0 to 100000); audited.\n"
	"events lists them, of one community or of all.\n",
	run,
};

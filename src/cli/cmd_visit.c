/* doorstep visit: a visit through its life (docs/field.md). */
#include "cli.h"

#include "doorstep/field.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything a subcommand may be given. */
struct args {
	long id;
	const char *at, *team, *date, *window, *reason, *found, *situation, *attitude;
	const char *incident, *note, *evidence, *state;
	int severity;
	bool where, identity, consent, enter;
	double lat, lon;
};

static int parse(const struct cli_command *cmd, int argc, char **argv, bool need_id, struct args *a)
{
	static const struct option opts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "team", required_argument, NULL, 't' },
		{ "date", required_argument, NULL, 'd' },
		{ "window", required_argument, NULL, 'w' },
		{ "reason", required_argument, NULL, 'r' },
		{ "lat", required_argument, NULL, 'y' },
		{ "lon", required_argument, NULL, 'x' },
		{ "identity-shown", no_argument, NULL, 'i' },
		{ "consent", no_argument, NULL, 'c' },
		{ "enter", no_argument, NULL, 'e' },
		{ "found", required_argument, NULL, 'f' },
		{ "situation", required_argument, NULL, 's' },
		{ "attitude", required_argument, NULL, 'A' },
		{ "incident", required_argument, NULL, 'I' },
		{ "severity", required_argument, NULL, 'S' },
		{ "note", required_argument, NULL, 'n' },
		{ "evidence", required_argument, NULL, 'E' },
		{ "state", required_argument, NULL, 'T' },
		{ 0, 0, 0, 0 },
	};
	memset(a, 0, sizeof *a);
	bool lat = false, lon = false;
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		errno = 0;
		switch (ch) {
		case 'a':
			a->at = optarg;
			break;
		case 't':
			a->team = optarg;
			break;
		case 'd':
			a->date = optarg;
			break;
		case 'w':
			a->window = optarg;
			break;
		case 'r':
			a->reason = optarg;
			break;
		case 'y':
		case 'x': {
			double v = strtod(optarg, &end);
			if (end == optarg || *end || errno)
				return cli_usage(cmd, "--%s: a number of degrees",
				                 ch == 'y' ? "lat" : "lon");
			*(ch == 'y' ? &a->lat : &a->lon) = v;
			*(ch == 'y' ? &lat : &lon) = true;
			break;
		}
		case 'i':
			a->identity = true;
			break;
		case 'c':
			a->consent = true;
			break;
		case 'e':
			a->enter = true;
			break;
		case 'f':
			a->found = optarg;
			break;
		case 's':
			a->situation = optarg;
			break;
		case 'A':
			a->attitude = optarg;
			break;
		case 'I':
			a->incident = optarg;
			break;
		case 'S':
			a->severity = (int)strtol(optarg, &end, 10);
			if (end == optarg || *end || a->severity < 1 || a->severity > 5)
				return cli_usage(cmd, "--severity: 1 (minor) to 5");
			break;
		case 'n':
			a->note = optarg;
			break;
		case 'E':
			a->evidence = optarg;
			break;
		case 'T':
			a->state = optarg;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (lat != lon)
		return cli_usage(cmd, "--lat and --lon go together");
	a->where = lat;
	if (need_id) {
		if (argc - optind != 1)
			return cli_usage(cmd, "%s needs one visit id", argv[0]);
		char *end;
		a->id = strtol(argv[optind], &end, 10);
		if (end == argv[optind] || *end || a->id < 1)
			return cli_usage(cmd, "not a visit id: \"%s\"", argv[optind]);
	} else if (optind < argc) {
		return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
	}
	return EXIT_OK;
}

/* The visit's zone, for its window's clock times. */
static ds_err visit_zone(ds_store *st, long id, char *zone, size_t zonesz, struct ds_diag *d)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT r.timezone FROM visits v JOIN accounts a"
	                              " ON a.account_id = v.account_id JOIN branches r"
	                              " ON r.branch_id = a.branch_id WHERE v.visit_id = ?",
	                              &s, d);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_int(s, 1, id);
	if (!(err = ds_stmt_step(s, &row, d)) && !row)
		err = ds_diag_set(d, DS_ENOTFOUND, NULL, 0, "visit", "no visit %ld", id);
	if (!err)
		ds_strlcpy(zone, ds_stmt_text(s, 0), zonesz);
	ds_stmt_done(s);
	return err;
}

/* --date D --window HH:MM-HH:MM in the visit's zone. */
static int window(struct cli *c, const struct cli_command *cmd, ds_store *st, const struct args *a,
                  ds_date *date, ds_time *from, ds_time *to)
{
	int h1, m1, h2, m2;
	char extra;
	if (!a->date || ds_date_parse(a->date, date))
		return cli_usage(cmd, "--date: a date YYYY-MM-DD is needed");
	if (!a->window || sscanf(a->window, "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &extra) != 4 ||
	    h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59)
		return cli_usage(cmd, "--window: HH:MM-HH:MM is needed");
	char zone[64];
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = visit_zone(st, a->id, zone, sizeof zone, &d);
	int y, mo, dd;
	ds_date_to_ymd(*date, &y, &mo, &dd);
	if (!err && (ds_tz_from_local(zone, y, mo, dd, h1, m1, 0, from) ||
	             ds_tz_from_local(zone, y, mo, dd, h2, m2, 0, to)))
		err = ds_diag_set(&d, DS_EINVAL, NULL, 0, "window", "not a time in %s", zone);
	return err ? cli_refused(c, err, &d) : EXIT_OK;
}

static int done(struct cli *c, ds_err err, struct ds_diag *d, long id, const char *what)
{
	if (err)
		return cli_refused(c, err, d);
	if (c->json)
		cli_print_json(json_pack("{s:I, s:s}", "visit_id", (json_int_t)id, "done", what));
	else if (!c->quiet)
		printf("visit %ld: %s\n", id, what);
	return EXIT_OK;
}

static int list(struct cli *c, ds_store *st, const struct args *a)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT visit_id, account_id, visit_date, state, team_id, route_seq,"
	        " window_start_at, window_end_at FROM visits WHERE (?1 IS NULL OR visit_date = ?1)"
	        " AND (?2 IS NULL OR state = ?2) AND (?3 IS NULL OR team_id = ?3)"
	        " ORDER BY visit_date, team_id, route_seq, visit_id LIMIT 1000",
	        &s, &d);
	if (err)
		return cli_fail(c, err, &d);
	ds_stmt_bind_text(s, 1, a->date);
	ds_stmt_bind_text(s, 2, a->state);
	ds_stmt_bind_text(s, 3, a->team);
	return cli_print_rows(c, s);
}

static int show(struct cli *c, ds_store *st, long id)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT account_id, coalesce(visit_date, ''), state, coalesce(team_id, ''),"
	        " coalesce(outcome, ''), coalesce(situation, ''), coalesce(attitude, ''),"
	        " coalesce(checkin_distance_m, -1), coalesce(cancel_reason, '')"
	        " FROM visits WHERE visit_id = ?",
	        &s, &d);
	if (err)
		return cli_fail(c, err, &d);
	bool row;
	ds_stmt_bind_int(s, 1, id);
	json_t *v = NULL;
	if (!(err = ds_stmt_step(s, &row, &d)) && row)
		v = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:s}", "visit_id",
		              (json_int_t)id, "account_id", ds_stmt_text(s, 0), "visit_date",
		              ds_stmt_text(s, 1), "state", ds_stmt_text(s, 2), "team_id",
		              ds_stmt_text(s, 3), "outcome", ds_stmt_text(s, 4), "situation",
		              ds_stmt_text(s, 5), "attitude", ds_stmt_text(s, 6),
		              "checkin_distance_m", ds_stmt_real(s, 7), "cancel_reason",
		              ds_stmt_text(s, 8));
	else if (!err)
		err = ds_diag_set(&d, DS_ENOTFOUND, NULL, 0, "visit", "no visit %ld", id);
	ds_stmt_done(s);
	json_t *ev = json_array();
	if (!err && !(err = ds_store_prepare(st,
	                                     "SELECT at, actor, event, from_state, to_state,"
	                                     " coalesce(reason, '') FROM visit_events"
	                                     " WHERE visit_id = ? ORDER BY event_id",
	                                     &s, &d))) {
		ds_stmt_bind_int(s, 1, id);
		while (!(err = ds_stmt_step(s, &row, &d)) && row)
			json_array_append_new(
			        ev, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "at",
			                      (json_int_t)ds_stmt_int(s, 0), "actor",
			                      ds_stmt_text(s, 1), "event", ds_stmt_text(s, 2),
			                      "from", ds_stmt_text(s, 3), "to", ds_stmt_text(s, 4),
			                      "reason", ds_stmt_text(s, 5)));
		ds_stmt_done(s);
	}
	if (err || !v) {
		json_decref(v);
		json_decref(ev);
		return cli_refused(c, err, &d);
	}
	json_object_set_new(v, "events", ev);
	if (c->json) {
		cli_print_json(v);
		return EXIT_OK;
	}
	printf("visit %ld: account %s, %s, %s, team %s\n", id,
	       json_string_value(json_object_get(v, "account_id")),
	       json_string_value(json_object_get(v, "visit_date")),
	       json_string_value(json_object_get(v, "state")),
	       json_string_value(json_object_get(v, "team_id")));
	size_t i;
	json_t *e;
	json_array_foreach(ev, i, e)
	{
		char at[21];
		ds_time_format_utc(json_integer_value(json_object_get(e, "at")), at);
		const char *why = json_string_value(json_object_get(e, "reason"));
		printf("  %s  %-18s %s -> %s  by %s%s%s\n", at,
		       json_string_value(json_object_get(e, "event")),
		       json_string_value(json_object_get(e, "from")),
		       json_string_value(json_object_get(e, "to")),
		       json_string_value(json_object_get(e, "actor")), why[0] ? ": " : "", why);
	}
	json_decref(v);
	return EXIT_OK;
}

static int check_in(struct cli *c, const struct cli_command *cmd, ds_store *st,
                    const struct ds_field_config *fc, const struct args *a, ds_time at)
{
	if (!a->where)
		return cli_usage(cmd, "check-in needs the position: --lat and --lon");
	ds_rulepack *rules = NULL;
	int rc = cli_load_rules(c, NULL, NULL, &rules);
	if (rc)
		return rc;
	struct ds_checkin in = { .at = at,
		                 .lat = a->lat,
		                 .lon = a->lon,
		                 .identity_shown = a->identity,
		                 .consent_to_enter = a->consent,
		                 .entering_home = a->enter };
	struct ds_checkin_result r;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_visit_check_in(st, rules, fc, a->id, &in, &r, &d);
	ds_rules_free(rules);
	if (err)
		return cli_refused(c, err, &d);
	if (c->json) {
		json_t *hits = json_array();
		for (int i = 0; i < r.rules.nhits; i++)
			json_array_append_new(hits, json_string(r.rules.hits[i].rule_id));
		cli_print_json(json_pack("{s:I, s:b, s:f, s:o, s:s, s:s}", "visit_id",
		                         (json_int_t)a->id, "allowed", r.allowed, "distance_m",
		                         r.distance_m, "rules", hits, "reason_zh", r.reason_zh,
		                         "reason_en", r.reason_en));
	} else if (r.allowed) {
		printf("visit %ld: checked in, %.0f m from the address\n", a->id, r.distance_m);
	} else {
		printf("visit %ld: check-in refused 签到未通过\n  %s\n  %s\n", a->id, r.reason_zh,
		       r.reason_en);
	}
	return r.allowed ? EXIT_OK : EXIT_REJECTED;
}

static int outcome(struct cli *c, const struct cli_command *cmd, ds_store *st, const struct args *a,
                   ds_time at)
{
	struct ds_visit_outcome o = { .at = at, .note = a->note };
	if (!a->found || ds_found_parse(a->found, &o.found))
		return cli_usage(cmd,
		                 "--found: met_borrower, met_family, not_home, moved or refused");
	if (a->situation && ds_situation_parse(a->situation, &o.situation))
		return cli_usage(cmd, "--situation: unemployment, illness, business_loss, "
		                      "family_event, dispute, fraud_victim or unwilling");
	if (a->attitude && ds_attitude_parse(a->attitude, &o.attitude))
		return cli_usage(cmd, "--attitude: cooperative, neutral or hostile");
	if (!a->incident != !a->severity)
		return cli_usage(cmd, "--incident KIND and --severity N go together");
	o.incident_kind = a->incident;
	o.incident_severity = a->severity;
	char sha[65], name[201];
	struct ds_diag d;
	ds_diag_clear(&d);
	if (a->evidence) {
		/* the photo stays where it is: its name and hash are the record */
		FILE *f = fopen(a->evidence, "rb");
		if (!f) {
			fprintf(stderr, "doorstep: %s: cannot read the evidence file\n",
			        a->evidence);
			return EXIT_REJECTED;
		}
		fclose(f);
		const char *base = strrchr(a->evidence, '/');
		ds_strlcpy(name, base ? base + 1 : a->evidence, sizeof name);
		ds_err err = ds_file_sha256(a->evidence, sha, &d);
		if (err)
			return cli_fail(c, err, &d);
		o.evidence_name = name;
		o.evidence_sha256 = sha;
	}
	struct ds_where w = { a->where, a->lat, a->lon };
	ds_err err = ds_visit_record_outcome(st, a->id, &o, &w, &d);
	return done(c, err, &d, a->id, "outcome recorded");
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("visit");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "a subcommand is needed");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	const char *sub = argv[1];
	bool listing = strcmp(sub, "list") == 0;
	struct args a;
	int rc = parse(cmd, argc - 1, argv + 1, !listing, &a);
	ds_time at = 0;
	if (rc || (rc = cli_at(c, cmd, a.at, &at)))
		return rc;
	struct ds_field_config fc;
	ds_field_config_from(&c->cfg, &fc);
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st)))
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_where w = { a.where, a.lat, a.lon };
	ds_err err = DS_OK;
	if (listing) {
		rc = list(c, st, &a);
	} else if (strcmp(sub, "show") == 0) {
		rc = show(c, st, a.id);
	} else if (strcmp(sub, "notify") == 0) {
		long notice;
		err = ds_visit_notify(st, &fc, a.id, at, &w, &notice, &d);
		rc = done(c, err, &d, a.id, "notice sent (letter written, SMS queued)");
	} else if (strcmp(sub, "schedule") == 0 || strcmp(sub, "reschedule") == 0) {
		ds_date date;
		ds_time from, to;
		bool re = sub[0] == 'r';
		if (!(rc = window(c, cmd, st, &a, &date, &from, &to))) {
			if (!re && !a.team)
				rc = cli_usage(cmd, "schedule needs --team");
			else if (re && !a.reason)
				rc = cli_usage(cmd, "reschedule needs --reason");
			else if (re)
				err = ds_visit_reschedule(st, &fc, a.id, date, from, to, a.reason,
				                          at, &w, &d);
			else
				err = ds_visit_schedule(st, a.id, a.team, date, from, to, at, &w,
				                        &d);
			if (!rc)
				rc = done(c, err, &d, a.id, re ? "rescheduled" : "scheduled");
		}
	} else if (strcmp(sub, "cancel") == 0) {
		if (!a.reason)
			rc = cli_usage(cmd, "cancel needs --reason");
		else
			rc = done(c, ds_visit_cancel(st, a.id, a.reason, at, &w, &d), &d, a.id,
			          "cancelled");
	} else if (strcmp(sub, "check-in") == 0) {
		rc = check_in(c, cmd, st, &fc, &a, at);
	} else if (strcmp(sub, "outcome") == 0) {
		rc = outcome(c, cmd, st, &a, at);
	} else if (strcmp(sub, "close") == 0) {
		int tasks = 0;
		err = ds_visit_close(st, &fc, a.id, at, &w, &tasks, &d);
		char what[64];
		snprintf(what, sizeof what, "closed, %d follow-up task%s written", tasks,
		         tasks == 1 ? "" : "s");
		rc = done(c, err, &d, a.id, what);
	} else {
		rc = cli_usage(cmd, "unknown subcommand \"%s\"", sub);
	}
	ds_store_close(st);
	return rc;
}

const struct cli_command cli_cmd_visit = {
	"visit",
	"a visit through its life: notice, schedule, check-in, outcome, close",
	"visit list [--date D] [--state S] [--team T]\n"
	"       visit show ID\n"
	"       visit notify ID [--at T]\n"
	"       visit schedule ID --team T --date D --window HH:MM-HH:MM [--at T]\n"
	"       visit reschedule ID --date D --window HH:MM-HH:MM --reason TEXT [--at T]\n"
	"       visit cancel ID --reason TEXT [--at T]\n"
	"       visit check-in ID --lat Y --lon X [--identity-shown] [--consent] [--enter]\n"
	"                        [--at T]\n"
	"       visit outcome ID --found F [--situation S] [--attitude A]\n"
	"                        [--incident KIND --severity 1-5] [--note TEXT]\n"
	"                        [--evidence FILE] [--at T]\n"
	"       visit close ID [--at T]",
	"The visit's states: planned -> notice_sent -> scheduled -> checked_in ->\n"
	"outcome_recorded -> closed, and cancelled; reschedule keeps a notice\n"
	"given far enough ahead, else the visit goes back to planned for a new\n"
	"one. Anything else is refused, naming the state. Every step is recorded\n"
	"(visit show) and audited, with --lat/--lon when given.\n"
	"notify: the notice letter (PDF in [field] letter_dir) and the SMS (in\n"
	"the outbox) at least [field] notice_days before the visit.\n"
	"check-in: the contact rules with the team filled in (the notice\n"
	"delivered, the hours, two people, conduct at the door) and the position\n"
	"within [field] checkin_max_m of the address; a refusal exits 1 with its\n"
	"reasons in Chinese and English, and is recorded.\n"
	"outcome: --found met_borrower|met_family|not_home|moved|refused;\n"
	"--situation unemployment|illness|business_loss|family_event|dispute|\n"
	"fraud_victim|unwilling; --attitude cooperative|neutral|hostile; an\n"
	"--incident flags the address safety_risk; --evidence records a file's\n"
	"name and SHA-256.\n"
	"close: writes the follow-up tasks the outcome calls for ([field]\n"
	"followup). Times (--at) are ISO 8601, now by default. See docs/field.md.\n",
	run,
};

/* doorstep route: routing instances checked (and, as it lands, solved). */
#include "cli.h"
#include "doorstep/plan.h"
#include "doorstep/route.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* --travel walk|ebike|car: the mode's defaults into *m; false for another word. */
static bool travel_mode(const char *word, struct ds_travel_model *m)
{
	static const struct {
		const char *word;
		enum ds_travel_mode mode;
	} modes[] = { { "walk", DS_TRAVEL_WALK },
		      { "ebike", DS_TRAVEL_EBIKE },
		      { "car", DS_TRAVEL_CAR } };
	for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++)
		if (strcmp(word, modes[k].word) == 0) {
			ds_travel_model_default(modes[k].mode, m);
			return true;
		}
	return false;
}

/* A file that cannot be read as what it should be is rejected input. */
static int refuse(struct cli *c, ds_err err, const struct ds_diag *d)
{
	return cli_fail(c, err == DS_EINVAL || err == DS_ETOOBIG ? DS_EREJECT : err, d);
}

/*
 * route check INSTANCE SOLUTION: the checker's verdict and cost; when the
 * solution states a cost, whether the recomputed one agrees. Exit 0 when
 * feasible and agreeing, 1 (rejected) otherwise.
 */
static int check(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	if (argc != 3)
		return cli_usage(cmd, "check needs an instance and a solution");
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_vrp *v;
	ds_err err = ds_vrp_read(argv[1], &v, &d);
	if (err)
		return refuse(c, err, &d);
	struct ds_vrp_solution s;
	if ((err = ds_vrp_solution_read(v, argv[2], &s, &d))) {
		ds_vrp_free(v);
		return refuse(c, err, &d);
	}
	struct ds_vrp_check k;
	if ((err = ds_vrp_check(v, &s, &k, &d))) {
		ds_vrp_solution_free(&s);
		ds_vrp_free(v);
		return cli_fail(c, err, &d);
	}
	/* the stated cost against the recomputed, in the file's units */
	bool stated = s.cost >= 0;
	bool agree = !stated || (v->convention == DS_VRP_EXACT
	                                 ? llabs(s.cost - (int64_t)(k.cost_exact * 1000 + 0.5)) <= 5
	                                 : s.cost == k.cost);
	double shown = v->convention == DS_VRP_EXACT ? k.cost_exact : (double)k.cost;
	double stated_cost =
	        v->convention == DS_VRP_EXACT ? (double)s.cost / 1000.0 : (double)s.cost;
	if (c->json) {
		json_t *o =
		        json_pack("{s:s, s:b, s:o, s:i, s:i, s:b}", "instance", v->name, "feasible",
		                  k.feasible, "cost",
		                  v->convention == DS_VRP_EXACT ? json_real(k.cost_exact)
		                                                : json_integer(k.cost),
		                  "routes", k.routes, "visited", k.visited, "cost_agrees", agree);
		if (!k.feasible)
			json_object_set_new(o, "problem", json_string(k.problem));
		if (stated)
			json_object_set_new(o, "stated_cost", json_real(stated_cost));
		cli_print_json(o);
	} else {
		printf("%s: %s; %d routes, %d clients visited, cost %.*f", v->name,
		       k.feasible ? "feasible" : "NOT feasible", k.routes, k.visited,
		       v->convention == DS_VRP_EXACT ? 2 : 0, shown);
		if (stated)
			printf(" (stated %.*f: %s)", v->convention == DS_VRP_EXACT ? 2 : 0,
			       stated_cost, agree ? "agrees" : "DIFFERS");
		printf("\n");
		if (!k.feasible)
			printf("  %s\n", k.problem);
	}
	ds_vrp_solution_free(&s);
	ds_vrp_free(v);
	return k.feasible && agree ? EXIT_OK : EXIT_REJECTED;
}

/*
 * route solve INSTANCE: the solver, the solution on stdout (or --out) in
 * the text format, checked before it is written; what it took on stderr.
 */
static int solve(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "time-limit", required_argument, NULL, 't' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "seed", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 'j' },
		{ "out", required_argument, NULL, 'o' },
		{ "travel", required_argument, NULL, 'm' },
		{ "detour", required_argument, NULL, 'd' },
		{ "matrix", required_argument, NULL, 'x' },
		{ 0, 0, 0, 0 },
	};
	const char *matrix = NULL;
	struct ds_travel_model travel;
	bool by_coordinates = false;
	double detour = 1.3;
	struct ds_vrp_solve_opts o = { .time_limit = 0, .seed = 1, .threads = 2 };
	const char *out_path = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		errno = 0;
		switch (ch) {
		case 't':
			o.time_limit = strtod(optarg, &end);
			if (end == optarg || *end || errno ||
			    !(o.time_limit > 0 && o.time_limit <= 86400))
				return cli_usage(
				        cmd, "--time-limit: seconds, more than 0, at most 86400");
			break;
		case 'i':
			o.iterations = strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || o.iterations < 1)
				return cli_usage(cmd, "--iterations: a count from 1");
			break;
		case 's':
			o.seed = strtoull(optarg, &end, 10);
			if (end == optarg || *end || errno)
				return cli_usage(cmd, "--seed: a whole number");
			break;
		case 'j':
			o.threads = (int)strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || o.threads < 1 || o.threads > 64)
				return cli_usage(cmd, "--threads: 1 to 64");
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'm':
			if (!travel_mode(optarg, &travel))
				return cli_usage(cmd, "--travel: walk, ebike or car");
			by_coordinates = true;
			break;
		case 'd':
			detour = strtod(optarg, &end);
			if (end == optarg || *end || errno || !(detour >= 1 && detour <= 5))
				return cli_usage(cmd, "--detour: a factor from 1 to 5");
			break;
		case 'x':
			matrix = optarg;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, "solve needs one instance");
	if (!(o.time_limit > 0) && o.iterations == 0)
		o.time_limit = 1;
	if (by_coordinates && matrix)
		return cli_usage(cmd, "--travel or --matrix, not both");
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_vrp *v;
	ds_err err = ds_vrp_read(argv[optind], &v, &d);
	if (err)
		return refuse(c, err, &d);
	if (by_coordinates) {
		/* coordinates as longitude and latitude: metres and seconds */
		travel.detour = detour;
		err = ds_vrp_haversine(v, &travel, &d);
	} else if (matrix) {
		err = ds_vrp_matrix_read(v, matrix, &d);
	}
	if (err) {
		ds_vrp_free(v);
		return refuse(c, err, &d);
	}
	struct ds_vrp_solution s;
	struct ds_vrp_solve_stats st;
	struct ds_vrp_check k;
	if ((err = ds_vrp_solve(v, &o, &s, &st, &d)) || (err = ds_vrp_check(v, &s, &k, &d))) {
		ds_vrp_free(v);
		return cli_fail(c, err, &d);
	}
	FILE *f = out_path ? fopen(out_path, "w") : stdout;
	if (!f) {
		ds_diag_set(&d, DS_EIO, out_path, 0, NULL, "cannot create: %s", strerror(errno));
		ds_vrp_solution_free(&s);
		ds_vrp_free(v);
		return cli_fail(c, DS_EIO, &d);
	}
	err = ds_vrp_solution_write(v, &s, f, &d);
	if (out_path && fclose(f) != 0 && !err)
		err = ds_diag_set(&d, DS_EIO, out_path, 0, NULL, "cannot write: %s",
		                  strerror(errno));
	double cost = v->convention == DS_VRP_EXACT ? k.cost_exact : (double)k.cost;
	if (!err && !c->quiet)
		fprintf(stderr,
		        "route: %s: %s, cost %.*f, %d routes, %d of %d clients, %ld iterations "
		        "in %.2f s on %d thread%s\n",
		        v->name, k.feasible ? "feasible" : "NOT feasible",
		        v->convention == DS_VRP_EXACT ? 2 : 0, cost, k.routes, k.visited,
		        v->nnodes - v->ndepots, st.iterations, st.seconds, o.threads,
		        o.threads == 1 ? "" : "s");
	bool feasible = k.feasible;
	ds_vrp_solution_free(&s);
	ds_vrp_free(v);
	if (err)
		return cli_fail(c, err, &d);
	return feasible ? EXIT_OK : EXIT_REJECTED;
}

/* --break: "HH:MM-HH:MM/MINUTES", the break begun within the hours, or
 * "none". */
static bool break_arg(const char *arg, struct ds_route_day_opts *o)
{
	if (strcmp(arg, "none") == 0) {
		o->break_minutes = 0;
		return true;
	}
	int h1, m1, h2, m2, len;
	char extra;
	if (sscanf(arg, "%d:%d-%d:%d/%d%c", &h1, &m1, &h2, &m2, &len, &extra) != 5 || h1 < 0 ||
	    h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 23 || m2 < 0 || m2 > 59 || len < 1 ||
	    len > 240 || h2 * 60 + m2 < h1 * 60 + m1)
		return false;
	o->break_open_s = h1 * 3600 + m1 * 60;
	o->break_close_s = h2 * 3600 + m2 * 60;
	o->break_minutes = len;
	return true;
}

/*
 * route --date D: the day's planned visits routed per branch and written
 * as the date's planned visits.
 */
static int day(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "date", required_argument, NULL, 'd' },
		{ "time-limit", required_argument, NULL, 't' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "travel", required_argument, NULL, 'm' },
		{ "door-minutes", required_argument, NULL, 'w' },
		{ "break", required_argument, NULL, 'b' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	const char *date_arg = NULL;
	struct ds_route_day_opts o;
	ds_route_day_opts_default(&o, 0);
	bool dry = false;
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		errno = 0;
		switch (ch) {
		case 'd':
			date_arg = optarg;
			break;
		case 't':
			o.time_limit = strtod(optarg, &end);
			if (end == optarg || *end || errno ||
			    !(o.time_limit > 0 && o.time_limit <= 3600))
				return cli_usage(cmd,
				                 "--time-limit: seconds per branch, at most 3600");
			break;
		case 'i':
			o.iterations = strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || o.iterations < 1)
				return cli_usage(cmd, "--iterations: a count from 1");
			break;
		case 'm':
			if (!travel_mode(optarg, &o.travel))
				return cli_usage(cmd, "--travel: walk, ebike or car");
			break;
		case 'w':
			o.door_minutes = (int)strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || o.door_minutes < 1 ||
			    o.door_minutes > 480)
				return cli_usage(cmd, "--door-minutes: 1 to 480");
			break;
		case 'b':
			if (!break_arg(optarg, &o))
				return cli_usage(cmd, "--break: HH:MM-HH:MM/MINUTES (e.g. "
				                      "11:30-13:30/60) or none");
			break;
		case 'n':
			dry = true;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	int rc = cli_as_of(c, date_arg, &o.date);
	ds_rulepack *rules = NULL;
	ds_store *st = NULL;
	if (rc || (rc = cli_load_rules(c, NULL, NULL, &rules)))
		return rc;
	if ((rc = cli_open_store(c, false, &st))) {
		ds_rules_free(rules);
		return rc;
	}
	ds_costs_from_config(&c->cfg, &o.costs);
	o.rules = rules;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_route_day_result r;
	ds_err err = ds_route_day(st, &o, !dry, &r, &d);
	ds_store_close(st);
	ds_rules_free(rules);
	if (err)
		return cli_fail(c, err, &d);
	if (c->step)
		return EXIT_OK;
	char day[11];
	ds_date_format(o.date, day);
	if (c->json) {
		cli_print_json(json_pack(
		        "{s:s, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I}, s:i, s:i, s:i, s:I, "
		        "s:I, "
		        "s:I, s:f, s:b}",
		        "date", day, "candidates", (json_int_t)r.candidates, "planned",
		        (json_int_t)r.planned, "left_out", (json_int_t)r.left_out, "why_left_out",
		        "no_allowed_time", (json_int_t)r.no_allowed_time,
		        "not_worth_the_trip_or_no_time", (json_int_t)r.not_routed,
		        "no_skilled_team", (json_int_t)r.no_skilled_team, "no_team_the_rules_allow",
		        (json_int_t)r.no_team_allowed, "other", (json_int_t)r.other, "teams",
		        r.teams, "pairs", r.pairs, "teams_used", r.teams_used, "value_fen",
		        (json_int_t)r.value_fen, "travel_fen", (json_int_t)r.travel_fen, "travel_s",
		        (json_int_t)r.travel_s, "seconds", r.seconds, "written", !dry));
		return EXIT_OK;
	}
	printf("routes for %s: %ld of %ld planned visits routed, %d of %d teams out (%d with a "
	       "community worker)\n"
	       "  value %.2f yuan, travel %.1f hours costing %.2f yuan\n"
	       "  left out: %ld (no allowed time %ld, not worth the trip or no time left %ld, "
	       "no team with the skills %ld, no team the rules allow %ld, other %ld)\n"
	       "  %.2f s%s\n",
	       day, r.planned, r.candidates, r.teams_used, r.teams, r.pairs,
	       (double)r.value_fen / 100, (double)r.travel_s / 3600, (double)r.travel_fen / 100,
	       r.left_out, r.no_allowed_time, r.not_routed, r.no_skilled_team, r.no_team_allowed,
	       r.other, r.seconds, dry ? " (dry run: nothing written)" : "");
	return EXIT_OK;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("route");
	if (argc >= 2 && argv[1][0] == '-' && !cli_wants_help(argc, argv))
		return day(c, cmd, argc, argv);
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "need --date, or a subcommand: solve or check");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "check") == 0)
		return check(c, cmd, argc - 1, argv + 1);
	if (strcmp(argv[1], "solve") == 0)
		return solve(c, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", argv[1]);
}

const struct cli_command cli_cmd_route = {
	"route",
	"visit routes: solve an instance, check a solution against it",
	"route solve INSTANCE [--time-limit SECONDS] [--iterations N] [--seed N]\n"
	"       [--threads N] [--out FILE]\n"
	"       [--travel walk|ebike|car [--detour F] | --matrix FILE]\n"
	"       route check INSTANCE SOLUTION\n"
	"       route --date D [--time-limit S] [--iterations N] [--travel MODE]\n"
	"       [--door-minutes M] [--break HH:MM-HH:MM/MINUTES|none] [--dry-run]",
	"solve: ruin and recreate under simulated annealing, one search per\n"
	"thread (2) from the seed (1), for the time limit (1 s) or N iterations\n"
	"per thread (deterministic for a seed, threads and iterations). The\n"
	"solution goes to stdout or FILE, checked; a summary to stderr.\n"
	"--travel: the coordinates are longitude and latitude; travel is the\n"
	"great-circle distance times the detour factor (1.3) in metres, at the\n"
	"mode's speed (1.25, 4.2, 7 m/s) in seconds (the instance's times are\n"
	"then seconds). --matrix: durations and distances from a CSV file\n"
	"from,to,seconds,metres by the instance's node numbers.\n"
	"check: the independent checker. Reads a Solomon or VRPLIB instance and\n"
	"a solution (\"Route #k: c1 c2 ...\" lines, \"Cost: N\"), checks every\n"
	"client at most once (exactly once unless prizes make it optional),\n"
	"arrivals within windows, shifts, working time and capacity, and\n"
	"recomputes the cost under the instance's convention: Solomon's exact\n"
	"Euclidean distance, the DIMACS tenths of VRPLIB files with time windows\n"
	"(plus the prizes of clients left out), TSPLIB's rounding otherwise.\n"
	"Exit 1 when infeasible or when the stated cost differs.\n"
	"--date D: the day's routes. The visits the plan decided for D (doorstep\n"
	"plan), each worth its expected recovery less its cost, at the times the\n"
	"contact rules allow a visit, served by each branch's teams: an active\n"
	"collector from home with a community worker of the branch's partner\n"
	"communities while there are some, within both shifts, with an hour's\n"
	"break begun between 11:30 and 13:30 (--break); a safety_risk address\n"
	"needs a pair with a collector two years in service, a dialect_X\n"
	"borrower a member with skill dialect_X (e-bike by default, 45 minutes\n"
	"at the door), solved per branch (2 s each); the routes replace D's\n"
	"planned visits, audited. Prints the visits routed, their value, the travel and\n"
	"the visits left out with the reason; --dry-run writes nothing.\n"
	"See docs/routing.md.\n",
	run,
};

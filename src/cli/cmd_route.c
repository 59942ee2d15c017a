/* doorstep route: routing instances checked (and, as it lands, solved). */
#include "cli.h"
#include "doorstep/route.h"

#include <string.h>

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
	double stated_cost = v->convention == DS_VRP_EXACT ? (double)s.cost / 1000.0 : (double)s.cost;
	if (c->json) {
		json_t *o = json_pack("{s:s, s:b, s:o, s:i, s:i, s:b}", "instance", v->name, "feasible",
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

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("route");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "need a subcommand: check");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "check") == 0)
		return check(c, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", argv[1]);
}

const struct cli_command cli_cmd_route = {
	"route",
	"visit routes: check a solution against its instance",
	"route check INSTANCE SOLUTION",
	"check: the independent checker. Reads a Solomon or VRPLIB instance and\n"
	"a solution (\"Route #k: c1 c2 ...\" lines, \"Cost: N\"), checks every\n"
	"client at most once (exactly once unless prizes make it optional),\n"
	"arrivals within windows, shifts, working time and capacity, and\n"
	"recomputes the cost under the instance's convention: Solomon's exact\n"
	"Euclidean distance, the DIMACS tenths of VRPLIB files with time windows\n"
	"(plus the prizes of clients left out), TSPLIB's rounding otherwise.\n"
	"Exit 1 when infeasible or when the stated cost differs.\n"
	"See docs/routing.md.\n",
	run,
};

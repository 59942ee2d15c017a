/* doorstep experiment size|compare|arm: planning and reading experiments. */
#include "cli.h"

#include "doorstep/report.h"
#include "doorstep/plan.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A number in [lo, hi] from an option's text, or a usage error. */
static int number(const struct cli_command *cmd, const char *name, const char *text, double lo,
                  double hi, double *out)
{
	char *end;
	double v = strtod(text, &end);
	if (end == text || *end || !isfinite(v) || v < lo || v > hi)
		return cli_usage(cmd, "--%s must be a number from %g to %g, not '%s'", name, lo, hi,
		                 text);
	*out = v;
	return EXIT_OK;
}

static int size(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "p0", required_argument, NULL, '0' },
		{ "p1", required_argument, NULL, '1' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "power", required_argument, NULL, 'p' },
		{ "ratio", required_argument, NULL, 'r' },
		{ 0, 0, 0, 0 },
	};
	double p0 = NAN, p1 = NAN, alpha = 0.05, power = 0.8, ratio = 1;
	int ch, rc = EXIT_OK;
	while (rc == EXIT_OK && (ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case '0':
			rc = number(cmd, "p0", optarg, 0, 1, &p0);
			break;
		case '1':
			rc = number(cmd, "p1", optarg, 0, 1, &p1);
			break;
		case 'a':
			rc = number(cmd, "alpha", optarg, 0, 1, &alpha);
			break;
		case 'p':
			rc = number(cmd, "power", optarg, 0, 1, &power);
			break;
		case 'r':
			rc = number(cmd, "ratio", optarg, 1e-6, 1e6, &ratio);
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (rc)
		return rc;
	if (isnan(p0) || isnan(p1) || optind != argc)
		return cli_usage(cmd, "size needs --p0 and --p1, and nothing else");
	long n0, n1;
	struct ds_diag d;
	ds_diag_clear(&d);
	if (ds_sample_size(p0, p1, alpha, power, ratio, &n0, &n1, &d))
		return cli_usage(cmd, "%s", d.msg);
	if (c->json)
		cli_print_json(json_pack("{s:f, s:f, s:f, s:f, s:f, s:I, s:I}", "p0", p0, "p1", p1,
		                         "alpha", alpha, "power", power, "ratio", ratio, "n0",
		                         (json_int_t)n0, "n1", (json_int_t)n1));
	else
		printf("to tell %.4g from %.4g (two-sided alpha %.3g, power %.3g): %ld accounts in "
		       "arm 0 and %ld in arm 1, %ld in all\n",
		       p0, p1, alpha, power, n0, n1, n0 + n1);
	return EXIT_OK;
}

/* A count "X/N" from the command line. */
static int count(const struct cli_command *cmd, const char *text, long *x, long *n)
{
	char *end;
	long a = strtol(text, &end, 10);
	if (end == text || *end != '/')
		return cli_usage(cmd, "'%s' is not SUCCESSES/TRIALS", text);
	const char *b = end + 1;
	long m = strtol(b, &end, 10);
	if (end == b || *end)
		return cli_usage(cmd, "'%s' is not SUCCESSES/TRIALS", text);
	*x = a;
	*n = m;
	return EXIT_OK;
}

static int compare(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "confidence", required_argument, NULL, 'c' },
		{ 0, 0, 0, 0 },
	};
	double conf = 0.95;
	int ch, rc = EXIT_OK;
	while (rc == EXIT_OK && (ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'c')
			return cli_usage(cmd, "unknown option");
		rc = number(cmd, "confidence", optarg, 0, 1, &conf);
	}
	if (rc)
		return rc;
	if (argc - optind != 2)
		return cli_usage(cmd, "compare needs two counts: ARM1 ARM0, each SUCCESSES/TRIALS");
	long x1, n1, x0, n0;
	if ((rc = count(cmd, argv[optind], &x1, &n1)) ||
	    (rc = count(cmd, argv[optind + 1], &x0, &n0)))
		return rc;
	struct ds_prop_diff r;
	struct ds_diag d;
	ds_diag_clear(&d);
	if (ds_diff_proportions(x1, n1, x0, n0, conf, &r, &d))
		return cli_usage(cmd, "%s", d.msg);
	if (c->json)
		cli_print_json(json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "p1", r.p1,
		                         "p0", r.p0, "diff", r.diff, "lo", r.lo, "hi", r.hi, "z",
		                         r.z, "p_value", r.p_value, "confidence", conf));
	else
		printf("arm 1 %.4f (%ld/%ld), arm 0 %.4f (%ld/%ld): difference %+.4f, %g%% "
		       "interval %+.4f to %+.4f, z %.3f, p %.4g\n",
		       r.p1, x1, n1, r.p0, x0, n0, r.diff, 100 * conf, r.lo, r.hi, r.z, r.p_value);
	return EXIT_OK;
}

static int arm(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	(void)c;
	if (argc < 4)
		return cli_usage(cmd, "arm needs EXPERIMENT ACCOUNT and the arms' shares");
	double shares[16];
	int n = argc - 3;
	if (n > 16)
		return cli_usage(cmd, "at most 16 arms");
	for (int k = 0; k < n; k++) {
		int rc = number(cmd, "share", argv[3 + k], 0, 1, &shares[k]);
		if (rc)
			return rc;
	}
	printf("%d\n", ds_experiment_arm(argv[1], argv[2], shares, n));
	return EXIT_OK;
}

/*
 * The experiment's arms compared: each account from its first decision in
 * the experiment, over the horizon's days, when those are all observed by
 * the as-of date: the share that paid anything (Newcombe's interval) and
 * the yuan paid (bootstrap).
 */
static int report(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "horizon", required_argument, NULL, 'h' },
		{ "as-of", required_argument, NULL, 'a' },
		{ 0, 0, 0, 0 },
	};
	long horizon = 30;
	const char *as_of_arg = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		if (ch == 'h') {
			horizon = strtol(optarg, &end, 10);
			if (end == optarg || *end || horizon < 1 || horizon > 365)
				return cli_usage(cmd, "--horizon is 1 to 365 days, not '%s'",
				                 optarg);
		} else if (ch == 'a') {
			as_of_arg = optarg;
		} else {
			return cli_usage(cmd, "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, "report needs the experiment's id");
	const char *exp = argv[optind];
	ds_date as_of;
	int rc = cli_as_of(c, as_of_arg, &as_of);
	ds_store *st = NULL;
	if (rc || (rc = cli_open_store(c, false, &st)))
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_entrant *e = NULL;
	long n = 0;
	struct ds_experiment_result r;
	ds_err err = ds_experiment_entrants(st, exp, (int)horizon, as_of, &e, &n, &d);
	if (!err)
		err = ds_experiment_paid(st, e, n, (int)horizon, &d);
	if (!err && (err = ds_experiment_compare(e, n, 0.95, &r, &d)))
		ds_diag_set(&d, err, NULL, 0, NULL,
		            "experiment %s: %ld treated and %ld held-out accounts with %ld days "
		            "observed by the as-of date; both arms are needed",
		            exp, r.treated, r.held_out, horizon);
	const struct ds_prop_diff pd = r.paid_share;
	const struct ds_mean_diff md = r.yuan;
	long n1 = r.treated, n0 = r.held_out;
	if (!err && c->json)
		cli_print_json(ds_experiment_result_json(exp, (int)horizon, &r));
	else if (!err)
		printf("experiment %s, %ld days from each account's first decision:\n"
		       "  accounts:   %ld treated, %ld held out\n"
		       "  paid:       %.4f against %.4f, difference %+.4f (95%% %+.4f to %+.4f, p "
		       "%.4g)\n"
		       "  yuan paid:  %.2f against %.2f, difference %+.2f (95%% %+.2f to %+.2f, "
		       "bootstrap)\n",
		       exp, horizon, n1, n0, pd.p1, pd.p0, pd.diff, pd.lo, pd.hi, pd.p_value, md.m1,
		       md.m0, md.diff, md.lo, md.hi);
	ds_free(e);
	ds_store_close(st);
	return err ? cli_fail(c, err, &d) : EXIT_OK;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("experiment");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "need a subcommand: size, compare, arm or report");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	const char *sub = argv[1];
	optind = 0;
	if (strcmp(sub, "size") == 0)
		return size(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "compare") == 0)
		return compare(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "arm") == 0)
		return arm(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "report") == 0)
		return report(c, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", sub);
}

const struct cli_command cli_cmd_experiment = {
	"experiment",
	"plan and read experiments: sample size, difference of two arms, an account's arm",
	"experiment size --p0 P --p1 P [--alpha A] [--power B] [--ratio K]\n"
	"       experiment compare [--confidence C] X1/N1 X0/N0\n"
	"       experiment arm EXPERIMENT ACCOUNT SHARE...\n"
	"       experiment report [--horizon N] [--as-of D] EXPERIMENT",
	"size: accounts per arm to tell a rate of p0 (arm 0, e.g. the holdout)\n"
	"from p1 (arm 1) with a two-sided test (alpha 0.05, power 0.8; --ratio:\n"
	"arm 1 holds K times as many, 19 for a 5% holdout).\n"
	"compare: arm 1's rate less arm 0's with Newcombe's interval (95%) and\n"
	"the z test's p-value, e.g. 'compare 312/1200 251/1180'.\n"
	"arm: the arm (0, 1, ...) an account falls in, arms taking the shares\n"
	"given in order (the last takes the rest): stable for the pair of ids.\n"
	"report: the stored decisions' arms of an experiment compared, each\n"
	"account from its first decision over N days (30) observed by the as-of\n"
	"date: the share that paid (Newcombe) and the yuan paid (bootstrap).\n"
	"See docs/strategy.md, \"Experiments\".\n",
	run,
};

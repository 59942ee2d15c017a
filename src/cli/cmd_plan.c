/* doorstep plan --date D: the day's decisions, written to the store. */
#include "cli.h"
#include "doorstep/plan.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Open accounts, to scale the day's capacity. */
static ds_err open_accounts(ds_store *st, long *n, struct ds_diag *d)
{
	ds_stmt *s;
	bool row;
	ds_err err = ds_store_prepare(
	        st, "SELECT count(*) FROM accounts WHERE status IN ('active','legal')", &s, d);
	if (!err && !(err = ds_stmt_step(s, &row, d)))
		*n = row ? (long)ds_stmt_int(s, 0) : 0;
	ds_stmt_done(s);
	return err;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("plan");
	static const struct option opts[] = {
		{ "date", required_argument, NULL, 'd' },
		{ "holdout", required_argument, NULL, 'h' },
		{ "snapshots", required_argument, NULL, 's' },
		{ "explore", required_argument, NULL, 'e' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, '?' },
		{ 0, 0, 0, 0 },
	};
	const char *date_arg = NULL;
	double holdout = 0.05, explore = 0;
	long snapshots = 150; /* as the simulator's planner */
	bool dry = false;
	int ch;
	optind = 1;
	if (cli_wants_help(argc, argv)) {
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		switch (ch) {
		case 'd':
			date_arg = optarg;
			break;
		case 'h':
			holdout = strtod(optarg, &end);
			if (end == optarg || *end || !(holdout >= 0 && holdout < 1))
				return cli_usage(cmd,
				                 "--holdout is a share from 0 to below 1, not '%s'",
				                 optarg);
			break;
		case 'e':
			explore = strtod(optarg, &end);
			if (end == optarg || *end || !(explore >= 0 && explore <= 0.2))
				return cli_usage(cmd,
				                 "--explore is a share from 0 to 0.2, not '%s'",
				                 optarg);
			break;
		case 's':
			snapshots = strtol(optarg, &end, 10);
			if (end == optarg || *end || snapshots < 2 || snapshots > 400)
				return cli_usage(cmd, "--snapshots is 2 to 400, not '%s'", optarg);
			break;
		case 'n':
			dry = true;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	ds_date date;
	int rc = cli_as_of(c, date_arg, &date);
	ds_rulepack *pack = NULL;
	ds_store *st = NULL;
	if (rc || (rc = cli_load_rules(c, NULL, NULL, &pack)))
		return rc;
	if ((rc = cli_open_store(c, false, &st))) {
		ds_rules_free(pack);
		return rc;
	}
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_uplift_set set;
	struct ds_uplift *u = NULL;
	struct ds_plan_result r = { 0 };
	long accounts = 0;
	/* the estimates, from the history before the date: daily snapshots */
	ds_err err = open_accounts(st, &accounts, &d);
	if (!err)
		err = ds_uplift_collect(st, date, (int)snapshots, 1, 30, &set, &d);
	if (!err) {
		struct ds_train_opts o;
		ds_train_opts_default(DS_MODEL_TREES, &o);
		set.plan_only = true;
		err = ds_uplift_train(&set, NULL, 0, &o, &u, &d);
		ds_uplift_set_free(&set);
	}
	if (!err) {
		struct ds_plan_opts po;
		ds_plan_opts_default(&po, date);
		ds_costs_from_config(&c->cfg, &po.costs);
		po.uplift = u;
		po.rules = pack;
		po.holdout_share = holdout;
		po.explore_share = explore;
		double k = (double)accounts / 1000.0;
		po.cap.call_minutes *= k;
		po.cap.sms = floor(po.cap.sms * k);
		po.cap.letters = floor(po.cap.letters * k);
		po.cap.legal = floor(po.cap.legal * k);
		po.cap.by_teams = true; /* visits by the teams the routes will form */
		err = ds_plan_day(st, &po, !dry, &r, &d);
	}
	if (!err && !c->step) {
		char day[11];
		ds_date_format(date, day);
		if (c->json) {
			json_t *chosen = json_object();
			for (int t = 0; t < DS_T_COUNT; t++)
				json_object_set_new(chosen, ds_treatment_name((ds_treatment)t),
				                    json_integer(r.chosen[t]));
			json_t *refused = json_object();
			for (int t = 1; t < DS_T_COUNT; t++)
				json_object_set_new(refused, ds_treatment_name((ds_treatment)t),
				                    json_integer(r.refused[t]));
			cli_print_json(json_pack(
			        "{s:s, s:I, s:o, s:o, s:I, s:I, s:i, s:i, s:f, s:f, s:f, s:f, "
			        "s:b}",
			        "date", day, "accounts", (json_int_t)r.accounts, "chosen", chosen,
			        "refused_by_rules", refused, "visit_holdout",
			        (json_int_t)r.held_out, "with_lawyers", (json_int_t)r.with_lawyers,
			        "teams", r.teams, "pairs", r.pairs, "value_fen", r.value_fen,
			        "cost_fen", r.cost_fen, "bound_fen", r.bound_fen, "gap", r.gap,
			        "written", !dry));
		} else {
			printf("plan for %s: %ld delinquent accounts, %ld in the visit holdout, "
			       "%ld "
			       "with the lawyers; visits by %d teams (%d of two collectors)\n",
			       day, r.accounts, r.held_out, r.with_lawyers, r.teams, r.pairs);
			for (int t = 1; t < DS_T_COUNT; t++)
				printf("  %-7s %6ld chosen, %6ld refused by the contact rules\n",
				       ds_treatment_name((ds_treatment)t), r.chosen[t],
				       r.refused[t]);
			printf("  none    %6ld\n", r.chosen[DS_T_NONE]);
			printf("expected recovery over doing nothing, less cost: %.2f yuan (cost "
			       "%.2f "
			       "yuan); bound %.2f, gap %.3f%%%s\n",
			       r.value_fen / 100, r.cost_fen / 100, r.bound_fen / 100, 100 * r.gap,
			       dry ? "; not written (--dry-run)" : "");
		}
	}
	ds_free(r.decisions);
	ds_uplift_free(u);
	ds_store_close(st);
	ds_rules_free(pack);
	return err ? cli_fail(c, err, &d) : EXIT_OK;
}

const struct cli_command cli_cmd_plan = {
	"plan",
	"the day's decisions: one treatment or none per delinquent account",
	"plan [--date D] [--holdout SHARE] [--snapshots N] [--explore SHARE] [--dry-run]",
	"For every account delinquent on D (today by default): the uplift of each\n"
	"treatment over none, learnt from the store's history on N daily\n"
	"snapshots (150) before D (T-learner; each estimate pulled towards its\n"
	"treatment's average as far as the treatment's rows are few), less its\n"
	"cost ([costs] settings);\n"
	"the contact rules' verdict on each at D 10:00 local time; a visit\n"
	"holdout (--holdout, 0.05 of the accounts, stable per account); then the\n"
	"optimiser within the day's capacity (per 1,000 open accounts: 125 call\n"
	"minutes, 200 SMS, 20 letters, 1 legal referral; six visits a team of two,\n"
	"the teams as the day's routes form them: a collector with a worker of a\n"
	"partner community there, two collectors anywhere in their branch).\n"
	"Accounts referred to legal action get nothing more. --explore SHARE\n"
	"(0 by default) gives a treatment the history holds fewer than 150 rows\n"
	"of to that share of the accounts more than 15 days past due, at random,\n"
	"to learn it (experiment explore-<treatment>). The decisions replace that date's in the "
	"store (treatment,\n"
	"expected value, cost, arm, reasons with the estimates and the refusing\n"
	"rules), audited; --dry-run writes nothing. See docs/strategy.md.\n",
	run,
};

/* doorstep generate / simulate: the synthetic city and strategies run in it. */
#include "cli.h"
#include "doorstep/plan.h"
#include "doorstep/ingest.h"
#include "doorstep/sim.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct world_args {
	const char *params, *as_of, *truth, *dir;
	long borrowers;
	uint64_t seed;
};

/* Options shared by generate and simulate; returns 0, or an exit code. */
static int world_from_args(struct cli *c, const struct world_args *wa, ds_world **out,
                           ds_date *as_of)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	int rc = cli_as_of(c, wa->as_of, as_of);
	if (rc)
		return rc;
	struct ds_sim_params params;
	ds_sim_params_default(&params);
	ds_err err;
	if (wa->params && (err = ds_sim_params_load(&params, wa->params, &d)))
		return cli_fail(c, err, &d);
	struct ds_gen_opts g = {
		.seed = wa->seed ? wa->seed : (uint64_t)ds_config_int(&c->cfg, DS_CFG_DEMO_SEED),
		.borrowers = wa->borrowers ? wa->borrowers
		                           : ds_config_int(&c->cfg, DS_CFG_DEMO_BORROWERS),
		.as_of = *as_of,
		.params = &params,
	};
	if ((err = ds_world_generate(&g, out, &d)))
		return cli_fail(c, err, &d);
	if (wa->truth && (err = ds_world_write_truth(*out, wa->truth, &d))) {
		ds_world_free(*out);
		return cli_fail(c, err, &d);
	}
	return EXIT_OK;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

enum {
	O_PARAMS = 1000,
	O_ASOF,
	O_TRUTH,
	O_DIR,
	O_BORROWERS,
	O_SEED,
	O_DAYS,
	O_STRATEGY,
	O_STORE_DIR,
	O_NO_STORE,
	O_NO_RULES,
	O_PLAN_SNAPSHOTS
};

static const struct option world_opts[] = {
	{ "params", required_argument, NULL, O_PARAMS },
	{ "as-of", required_argument, NULL, O_ASOF },
	{ "truth", required_argument, NULL, O_TRUTH },
	{ "dir", required_argument, NULL, O_DIR },
	{ "borrowers", required_argument, NULL, O_BORROWERS },
	{ "seed", required_argument, NULL, O_SEED },
	{ "days", required_argument, NULL, O_DAYS },
	{ "strategy", required_argument, NULL, O_STRATEGY },
	{ "store-dir", required_argument, NULL, O_STORE_DIR },
	{ "no-store", no_argument, NULL, O_NO_STORE },
	{ "no-rules", no_argument, NULL, O_NO_RULES },
	{ "plan-snapshots", required_argument, NULL, O_PLAN_SNAPSHOTS },
	{ "help", no_argument, NULL, 'h' },
	{ 0, 0, 0, 0 },
};

struct all_args {
	struct world_args w;
	long days, plan_snapshots;
	const char *strategies, *store_dir;
	bool no_store, no_rules, help;
};

static int parse(const struct cli_command *cmd, int argc, char **argv, struct all_args *a,
                 bool simulate)
{
	memset(a, 0, sizeof *a);
	a->days = 30;
	a->plan_snapshots = 150;
	a->strategies = "none,sms-only,visit-all,visit-by-balance,random";
	int ch;
	long v;
	while ((ch = getopt_long(argc, argv, "h", world_opts, NULL)) != -1) {
		switch (ch) {
		case O_PARAMS:
			a->w.params = optarg;
			break;
		case O_ASOF:
			a->w.as_of = optarg;
			break;
		case O_TRUTH:
			a->w.truth = optarg;
			break;
		case O_DIR:
			a->w.dir = optarg;
			break;
		case O_BORROWERS:
			if (parse_long(optarg, 1, 5000000, &a->w.borrowers))
				return cli_usage(cmd, "--borrowers: a number from 1 to 5000000");
			break;
		case O_SEED:
			if (parse_long(optarg, 1, 0x7fffffffL, &v))
				return cli_usage(cmd, "--seed: a positive number");
			a->w.seed = (uint64_t)v;
			break;
		case O_DAYS:
			if (!simulate)
				return cli_usage(cmd, "bad option");
			if (parse_long(optarg, 1, 3650, &a->days))
				return cli_usage(cmd, "--days: a number of days from 1 to 3650");
			break;
		case O_STRATEGY:
			if (!simulate)
				return cli_usage(cmd, "bad option");
			a->strategies = optarg;
			break;
		case O_STORE_DIR:
			if (!simulate)
				return cli_usage(cmd, "bad option");
			a->store_dir = optarg;
			break;
		case O_NO_STORE:
			if (!simulate)
				return cli_usage(cmd, "bad option");
			a->no_store = true;
			break;
		case O_NO_RULES:
			if (!simulate)
				return cli_usage(cmd, "bad option");
			a->no_rules = true;
			break;
		case O_PLAN_SNAPSHOTS:
			if (!simulate)
				return cli_usage(cmd, "bad option");
			if (parse_long(optarg, 2, 400, &a->plan_snapshots))
				return cli_usage(cmd, "--plan-snapshots: a number from 2 to 400");
			break;
		case 'h':
			a->help = true;
			break;
		default:
			return cli_usage(cmd, "bad option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

static int make_dir(struct cli *c, const char *dir)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		struct ds_diag d;
		ds_diag_set(&d, DS_EIO, dir, 0, NULL, "cannot create: %s", strerror(errno));
		return cli_fail(c, DS_EIO, &d);
	}
	return EXIT_OK;
}

static int run_generate(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("generate");
	struct all_args a;
	int rc = parse(cmd, argc, argv, &a, false);
	if (rc)
		return rc;
	if (a.help) {
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	const char *dir = a.w.dir ? a.w.dir : ds_config_str(&c->cfg, DS_CFG_DEMO_DIR);
	if ((rc = make_dir(c, dir)))
		return rc;
	ds_world *w;
	ds_date as_of;
	if ((rc = world_from_args(c, &a.w, &w, &as_of)))
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_world_write_csv(w, dir, &d);
	long accounts = ds_world_accounts(w);
	ds_world_free(w);
	if (err)
		return cli_fail(c, err, &d);
	if (c->json)
		cli_print_json(
		        json_pack("{s:s, s:I}", "dir", dir, "accounts", (json_int_t)accounts));
	else if (!c->quiet)
		fprintf(stderr, "generate: %ld accounts written to %s/\n", accounts, dir);
	return EXIT_OK;
}

/* A store for one strategy's run, with the world's history imported. */
static int strategy_store(struct cli *c, const ds_world *w, const char *dir, const char *name,
                          ds_store **out)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.db", dir, name);
	unlink(path);
	char wal[4200];
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(wal);
	ds_config_set(&c->cfg, DS_CFG_DB_PATH, path, "simulate", NULL);
	ds_config_set(&c->cfg, DS_CFG_KEY_FILE, "", "simulate", NULL);
	char key[4200];
	snprintf(key, sizeof key, "%s.key", path);
	unlink(key);
	bool quiet = c->quiet, json = c->json;
	c->quiet = true;
	c->json = false;
	int rc = cli_find("init")->run(c, 1, (char *[]){ "init", NULL });
	c->quiet = quiet;
	c->json = json;
	if (rc)
		return rc;
	if ((rc = cli_open_store(c, false, out)))
		return rc;
	char feed[4096];
	snprintf(feed, sizeof feed, "%s/%s-history", dir, name);
	if ((rc = make_dir(c, feed)))
		goto fail;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_world_write_csv(w, feed, &d);
	if (err) {
		rc = cli_fail(c, err, &d);
		goto fail;
	}
	int nfiles;
	const struct ds_gen_file *files = ds_generate_files(&nfiles);
	c->quiet = true;
	for (int i = 0; i < nfiles && !rc; i++) {
		char file[4200];
		snprintf(file, sizeof file, "%s/%s", feed, files[i].file);
		char *one[1] = { file };
		rc = cli_import(c, *out, files[i].kind, one, 1, NULL, "utf-8", NULL);
	}
	c->quiet = quiet;
	if (!rc)
		return EXIT_OK;
fail:
	ds_store_close(*out);
	*out = NULL;
	return rc ? rc : EXIT_FAILURE_;
}

static json_t *result_json(const struct ds_sim_result *r)
{
	json_t *contacts = json_object();
	for (int t = DS_T_SMS; t < DS_T_COUNT; t++)
		json_object_set_new(contacts, ds_treatment_name((ds_treatment)t),
		                    json_integer(r->contacts[t]));
	return json_pack(
	        "{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I, "
	        "s:I, s:o, s:f}",
	        "strategy", r->strategy, "days", r->days, "accounts", (json_int_t)r->accounts,
	        "delinquent_start", (json_int_t)r->delinquent_start, "overdue_start_fen",
	        (json_int_t)r->overdue_start_fen, "recovered_fen", (json_int_t)r->recovered_fen,
	        "cost_fen", (json_int_t)r->cost_fen, "net_fen", (json_int_t)r->net_fen, "cured",
	        (json_int_t)r->cured, "cure_rate", r->cure_rate, "promises_made",
	        (json_int_t)r->promises_made, "promises_kept", (json_int_t)r->promises_kept,
	        "complaints", (json_int_t)r->complaints, "incidents", (json_int_t)r->incidents,
	        "refused", (json_int_t)r->refused, "contacts", contacts, "seconds", r->seconds);
}

static json_t *result_json_full(const struct ds_sim_result *r)
{
	json_t *o = result_json(r);
	json_object_set_new(o, "refused_by_rules", json_integer(r->refused_rules));
	return o;
}

static int run_simulate(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("simulate");
	struct all_args a;
	int rc = parse(cmd, argc, argv, &a, true);
	if (rc)
		return rc;
	if (a.help) {
		cli_help(cmd, stdout);
		int n;
		const struct ds_strategy *s = ds_strategy_baselines(&n);
		printf("\nStrategies:\n");
		for (int i = 0; i < n; i++)
			printf("  %-18s %s\n", s[i].name, s[i].doc);
		printf("  %-18s %s\n", ds_plan_strategy()->name, ds_plan_strategy()->doc);
		printf("  %-18s %s\n", ds_sim_oracle()->name, ds_sim_oracle()->doc);
		return EXIT_OK;
	}
	/* Check every strategy name before any work. */
	char names[1024];
	if (ds_strlcpy(names, a.strategies, sizeof names) >= sizeof names)
		return cli_usage(cmd, "--strategy: list too long");
	const struct ds_strategy *chosen[32];
	int nchosen = 0;
	char *save = NULL;
	for (char *tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct ds_strategy *s = strcmp(tok, "optimised") == 0 ? ds_plan_strategy()
		                              : strcmp(tok, "oracle") == 0  ? ds_sim_oracle()
		                                                            : ds_strategy_find(tok);
		if (s == ds_plan_strategy() && a.no_store)
			return cli_usage(
			        cmd, "the optimised strategy plans on its store: drop --no-store");
		if (!s)
			return cli_usage(cmd, "unknown strategy '%s' (see --help)", tok);
		if (nchosen == 32)
			return cli_usage(cmd, "at most 32 strategies");
		chosen[nchosen++] = s;
	}
	const char *store_dir = a.store_dir ? a.store_dir : "doorstep-sim";
	if (!a.no_store && (rc = make_dir(c, store_dir)))
		return rc;
	ds_world *w;
	ds_date as_of;
	if ((rc = world_from_args(c, &a.w, &w, &as_of)))
		return rc;
	ds_rulepack *rules = NULL;
	if (!a.no_rules && (rc = cli_load_rules(c, NULL, NULL, &rules))) {
		ds_world_free(w);
		return rc;
	}
	struct ds_sim_result results[32];
	struct ds_pii_key key;
	for (int i = 0; i < nchosen && !rc; i++) {
		ds_store *st = NULL;
		struct ds_sim_opts so = {
			.days = (int)a.days,
			.seed = a.w.seed ? a.w.seed
			                 : (uint64_t)ds_config_int(&c->cfg, DS_CFG_DEMO_SEED),
			.rules = rules,
		};
		char feed[4200];
		struct ds_import_opts io = { .timezone = ds_config_str(&c->cfg, DS_CFG_TIMEZONE) };
		if (!a.no_store) {
			if ((rc = strategy_store(c, w, store_dir, chosen[i]->name, &st)))
				break;
			char keypath[4200];
			cli_key_path(c, keypath, sizeof keypath);
			struct ds_diag d;
			ds_err err = ds_pii_key_load(keypath, false, &key, &d);
			if (err) {
				ds_store_close(st);
				rc = cli_fail(c, err, &d);
				break;
			}
			io.key = &key;
			snprintf(feed, sizeof feed, "%s/%s-feed", store_dir, chosen[i]->name);
			if ((rc = make_dir(c, feed))) {
				ds_store_close(st);
				break;
			}
			so.store = st;
			so.feed_dir = feed;
			so.import = &io;
		}
		if (!c->quiet && !c->json)
			fprintf(stderr, "simulate: %s, %ld days...\n", chosen[i]->name, a.days);
		struct ds_diag d;
		ds_diag_clear(&d);
		struct ds_plan_strategy_ctx pc;
		ds_plan_strategy_init(&pc, st, rules, as_of);
		pc.snapshots = (int)a.plan_snapshots;
		ds_err err = ds_simulate(w, chosen[i], chosen[i] == ds_plan_strategy() ? &pc : NULL,
		                         &so, &results[i], &d);
		ds_plan_strategy_free(&pc);
		ds_store_close(st);
		if (err)
			rc = cli_fail(c, err, &d);
	}
	ds_world_free(w);
	ds_rules_free(rules);
	if (rc)
		return rc;
	if (c->json) {
		json_t *arr = json_array();
		for (int i = 0; i < nchosen; i++)
			json_array_append_new(arr, result_json_full(&results[i]));
		char day[11];
		ds_date_format(as_of, day);
		cli_print_json(json_pack("{s:s, s:i, s:o}", "as_of", day, "days", (int)a.days,
		                         "strategies", arr));
		return EXIT_OK;
	}
	printf("%-17s %13s %11s %13s %6s %9s %10s %7s %6s\n", "strategy", "recovered", "cost",
	       "net", "cure%", "promises", "complaints", "incid.", "ruled");
	for (int i = 0; i < nchosen; i++) {
		const struct ds_sim_result *r = &results[i];
		char rec[32], cost[32], net[32], pk[32];
		ds_money_format(r->recovered_fen, rec, sizeof rec);
		ds_money_format(r->cost_fen, cost, sizeof cost);
		ds_money_format(r->net_fen, net, sizeof net);
		snprintf(pk, sizeof pk, "%ld/%ld", r->promises_kept, r->promises_made);
		printf("%-17s %13s %11s %13s %6.1f %9s %10ld %7ld %6ld\n", r->strategy, rec, cost,
		       net, 100 * r->cure_rate, pk, r->complaints, r->incidents, r->refused_rules);
	}
	if (nchosen)
		printf("\n%ld accounts, %ld overdue at the start (%.2f yuan); %ld days from the "
		       "world's as-of date; money in yuan.\n",
		       results[0].accounts, results[0].delinquent_start,
		       (double)results[0].overdue_start_fen / 100, a.days);
	return EXIT_OK;
}

const struct cli_command cli_cmd_generate = {
	"generate",
	"write a synthetic city's import files (what a bank would observe)",
	"generate [--dir DIR] [--borrowers N] [--seed N] [--as-of D] [--params FILE] "
	"[--truth FILE]",
	"Builds a synthetic city (communities, partner workers, collectors,\n"
	"borrowers with hidden ability and willingness, accounts and a year of\n"
	"history) and writes the bank's import files into DIR ([demo] dir).\n"
	"Deterministic for a seed. --params reads behavioural parameters\n"
	"(docs/simulator.md); --truth writes each overdue account's expected\n"
	"payment under every treatment, for measurement only.\n",
	run_generate,
};

const struct cli_command cli_cmd_simulate = {
	"simulate",
	"run strategies over simulated days and compare what they recover",
	"simulate [--days N] [--strategy A,B,...] [--borrowers N] [--seed N] [--as-of D]\n"
	"       [--params FILE] [--truth FILE] [--store-dir DIR | --no-store] [--no-rules]\n"
	"       [--plan-snapshots N]",
	"Each strategy runs on the same city with the same random draws (common\n"
	"random numbers), so differences are the strategies', not luck. Each day\n"
	"the strategy sees only what the bank observes and plans within the day's\n"
	"capacity; the world answers; the day's payments and contacts are imported\n"
	"into DIR/<strategy>.db (default ./doorstep-sim) through the ordinary\n"
	"intake, unless --no-store. Every planned contact passes the contact rules\n"
	"in force ([rules] jurisdiction) unless --no-rules; 'ruled' counts those\n"
	"refused. Prints recovered amount, cost, net recovery, cure rate, promises\n"
	"kept/made, complaints and incidents per strategy. The strategy optimised\n"
	"learns its estimates on its first day from N daily snapshots (150) of\n"
	"its store's history (--plan-snapshots); oracle plans on the true effects.\n",
	run_simulate,
};

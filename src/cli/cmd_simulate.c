/* doorstep generate / simulate: the synthetic city and strategies run in it. */
#include "cli.h"

#include "doorstep/report.h"
#include "doorstep/plan.h"
#include "doorstep/ingest.h"
#include "doorstep/sim.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
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
	O_PLAN_SNAPSHOTS,
	O_PLAN_EXPLORE,
	O_PLAN_HOLDOUT,
	O_HOLDOUT_TRUTH
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
	{ "plan-explore", required_argument, NULL, O_PLAN_EXPLORE },
	{ "plan-holdout", required_argument, NULL, O_PLAN_HOLDOUT },
	{ "holdout-truth", no_argument, NULL, O_HOLDOUT_TRUTH },
	{ "help", no_argument, NULL, 'h' },
	{ 0, 0, 0, 0 },
};

struct all_args {
	struct world_args w;
	long days, plan_snapshots;
	double plan_explore;
	double plan_holdout; /* the planner's visit holdout share (0.05) */
	const char *strategies, *store_dir;
	bool no_store, no_rules, holdout_truth, help;
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
		case O_PLAN_EXPLORE: {
			char *end;
			if (!simulate)
				return cli_usage(cmd, "bad option");
			a->plan_explore = strtod(optarg, &end);
			if (end == optarg || *end ||
			    !(a->plan_explore >= 0 && a->plan_explore <= 0.2))
				return cli_usage(cmd, "--plan-explore: a share from 0 to 0.2");
			break;
		}
		case O_PLAN_HOLDOUT: {
			char *end;
			if (!simulate)
				return cli_usage(cmd, "bad option");
			a->plan_holdout = strtod(optarg, &end);
			if (end == optarg || *end ||
			    !(a->plan_holdout >= 0.01 && a->plan_holdout <= 0.5))
				return cli_usage(cmd, "--plan-holdout: a share from 0.01 to 0.5");
			break;
		}
		case O_HOLDOUT_TRUTH:
			if (!simulate)
				return cli_usage(cmd, "bad option");
			a->holdout_truth = true;
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

/* The planner's first-day estimates, learnt by its first run: its other
 * runs on the same city (the holdout's truth) start from the same history
 * and would learn the same. */
static struct ds_uplift *first_estimates;

/* One strategy's run, on its own store DIR/<name>.db unless --no-store;
 * the planner's visit holdout takes holdout_share of the accounts. */
static int run_strategy(struct cli *c, const struct all_args *a, const ds_world *w,
                        const ds_rulepack *rules, ds_date as_of, const char *store_dir,
                        const struct ds_strategy *strategy, const char *name, double holdout_share,
                        struct ds_sim_result *out)
{
	ds_store *st = NULL;
	struct ds_pii_key key;
	struct ds_sim_opts so = {
		.days = (int)a->days,
		.seed = a->w.seed ? a->w.seed : (uint64_t)ds_config_int(&c->cfg, DS_CFG_DEMO_SEED),
		.rules = rules,
	};
	char feed[4200];
	struct ds_import_opts io = { .timezone = ds_config_str(&c->cfg, DS_CFG_TIMEZONE) };
	int rc;
	if (!a->no_store) {
		if ((rc = strategy_store(c, w, store_dir, name, &st)))
			return rc;
		char keypath[4200];
		cli_key_path(c, keypath, sizeof keypath);
		struct ds_diag d;
		ds_err err = ds_pii_key_load(keypath, false, &key, &d);
		if (err) {
			ds_store_close(st);
			return cli_fail(c, err, &d);
		}
		io.key = &key;
		snprintf(feed, sizeof feed, "%s/%s-feed", store_dir, name);
		if ((rc = make_dir(c, feed))) {
			ds_store_close(st);
			return rc;
		}
		so.store = st;
		so.feed_dir = feed;
		so.import = &io;
	}
	if (!c->quiet && !c->json)
		fprintf(stderr, "simulate: %s, %ld days...\n", name, a->days);
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_plan_strategy_ctx pc;
	ds_plan_strategy_init(&pc, st, rules, as_of);
	pc.snapshots = (int)a->plan_snapshots;
	pc.explore_share = a->plan_explore;
	pc.holdout_share = holdout_share;
	ds_world_bank_costs(w, &pc.costs); /* the bank knows its own prices */
	pc.costs.complaint = ds_config_int(&c->cfg, DS_CFG_COST_COMPLAINT_FEN);
	pc.first = first_estimates;
	pc.first_given = first_estimates != NULL;
	ds_err err =
	        ds_simulate(w, strategy, strategy == ds_plan_strategy() ? &pc : NULL, &so, out, &d);
	if (!first_estimates && pc.first) {
		first_estimates = pc.first; /* kept for the next runs */
		if (pc.uplift == pc.first)
			pc.uplift = NULL;
		pc.first = NULL;
	}
	ds_plan_strategy_free(&pc);
	ds_store_close(st);
	return err ? cli_fail(c, err, &d) : EXIT_OK;
}

/*
 * The strategy bar (docs/strategy.md, "Measuring the planner"): each
 * strategy's gain over none; the planner's against the oracle's and the
 * best built-in baseline's, complaints and incidents beside that
 * baseline's; and the planner's visit holdout, its estimate and, with
 * --holdout-truth, the true effect from two more runs of the planner on
 * the same draws, one visiting everyone it chooses and one visiting no one.
 */
struct bar {
	bool gains; /* none and optimised ran */
	const struct ds_sim_result *r;
	int n;
	double gain[32];
	int opt, oracle, baseline; /* indices, -1 when absent */
	bool holdout;              /* the holdout's estimate is there */
	struct ds_experiment_result est;
	long entrants;
	bool truth; /* the true effect is there */
	double true_yuan, true_share;
	/* with the truth: the report's reading by bucket at entry beside the
	 * true effect in each (docs/reports.md, "Against the truth") */
	struct seg_truth {
		char name[128];
		long treated, held_out;
		double est, lo, hi, extra, truth;
		ds_visit_verdict verdict;
		bool judged, agrees;
	} seg[DS_BUCKETS + 2];
	int nseg;
};

static bool is_baseline(const struct ds_strategy *s)
{
	int n;
	const struct ds_strategy *b = ds_strategy_baselines(&n);
	for (int i = 0; i < n; i++)
		if (s == &b[i])
			return strcmp(s->name, "none") != 0;
	return false;
}

/* What the holdout's entrants paid in another run's store. */
static int paid_in(struct cli *c, const char *store_dir, const char *name, struct ds_entrant *e,
                   long n, int horizon, double *paid)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s.db", store_dir, name);
	ds_store *st;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_store_open(path, NULL, &st, &d);
	if (!err) {
		err = ds_experiment_paid(st, e, n, horizon, &d);
		ds_store_close(st);
	}
	if (err)
		return cli_fail(c, err, &d);
	for (long k = 0; k < n; k++)
		paid[k] = e[k].paid;
	return EXIT_OK;
}

/*
 * The visit report by bucket (as `doorstep report visits --by bucket`
 * reads the planner's store) set beside the true effect in each bucket:
 * the mean of paid[0] - paid[1] over its entrants. A verdict agrees when
 * the truth is on its side: worth it, above the extra cost; not worth it,
 * below; harm, below zero; unclear, within the interval. "Not enough
 * data" is not judged.
 */
static int segment_truth(struct cli *c, const char *path, const struct ds_entrant *e, long ne,
                         const double *const *paid, int horizon, ds_date end, struct bar *bar)
{
	ds_store *st;
	struct ds_diag d;
	ds_diag_clear(&d);
	char(*seg)[128] = ds_malloc(((size_t)ne + 1) * sizeof *seg);
	struct ds_visit_effect *r = NULL;
	long nr = 0;
	if (!seg)
		return cli_fail(c, ds_diag_set(&d, DS_ENOMEM, NULL, 0, NULL, "out of memory"), &d);
	ds_err err = ds_store_open(path, NULL, &st, &d);
	if (!err) {
		err = ds_report_entrant_segments(st, e, ne, horizon, DS_BY_BUCKET, seg, &d);
		if (!err)
			err = ds_report_visit_effect(st, "visit-holdout", horizon, end,
			                             DS_BY_BUCKET, &r, &nr, &d);
		ds_store_close(st);
	}
	for (long i = 0; !err && i < nr && bar->nseg < (int)(sizeof bar->seg / sizeof bar->seg[0]);
	     i++) {
		struct seg_truth *t = &bar->seg[bar->nseg++];
		const struct ds_visit_effect *x = &r[i];
		double sum = 0;
		long n = 0;
		for (long k = 0; k < ne; k++)
			if (strcmp(seg[k], x->segment) == 0) {
				sum += paid[0][k] - paid[1][k];
				n++;
			}
		ds_strlcpy(t->name, x->segment, sizeof t->name);
		t->treated = x->treated;
		t->held_out = x->held_out;
		t->est = x->effect;
		t->lo = x->lo;
		t->hi = x->hi;
		t->extra = x->extra_cost;
		t->truth = n ? sum / (double)n : 0;
		t->verdict = x->verdict;
		t->judged = x->verdict != DS_VERDICT_NOT_ENOUGH_DATA;
		t->agrees = x->verdict == DS_VERDICT_WORTH_IT       ? t->truth > t->extra
		            : x->verdict == DS_VERDICT_NOT_WORTH_IT ? t->truth < t->extra
		            : x->verdict == DS_VERDICT_HARM
		                    ? t->truth < 0
		                    : t->lo <= t->truth && t->truth <= t->hi;
	}
	ds_free(r);
	ds_free(seg);
	return err ? cli_fail(c, err, &d) : EXIT_OK;
}

static int measure_bar(struct cli *c, const struct all_args *a, const ds_world *w,
                       const ds_rulepack *rules, ds_date as_of, const char *store_dir,
                       const struct ds_strategy *const *chosen, const struct ds_sim_result *r,
                       int n, struct bar *bar)
{
	memset(bar, 0, sizeof *bar);
	bar->opt = bar->oracle = bar->baseline = -1;
	int none = -1;
	for (int i = 0; i < n; i++) {
		if (strcmp(chosen[i]->name, "none") == 0)
			none = i;
		else if (chosen[i] == ds_plan_strategy())
			bar->opt = i;
		else if (chosen[i] == ds_sim_oracle())
			bar->oracle = i;
	}
	if (none < 0 || bar->opt < 0)
		return EXIT_OK;
	bar->gains = true;
	bar->r = r;
	bar->n = n;
	for (int i = 0; i < n; i++) {
		bar->gain[i] = (double)(r[i].net_fen - r[none].net_fen) / 100.0;
		if (is_baseline(chosen[i]) &&
		    (bar->baseline < 0 || bar->gain[i] > bar->gain[bar->baseline]))
			bar->baseline = i;
	}
	/* the holdout, as doorstep experiment report reads it */
	const int horizon = 30;
	char path[4200];
	snprintf(path, sizeof path, "%s/%s.db", store_dir, chosen[bar->opt]->name);
	ds_store *st;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_entrant *e = NULL;
	long ne = 0;
	ds_err err = ds_store_open(path, NULL, &st, &d);
	if (!err) {
		err = ds_experiment_entrants(st, "visit-holdout", horizon, as_of + (ds_date)a->days,
		                             &e, &ne, &d);
		if (!err)
			err = ds_experiment_paid(st, e, ne, horizon, &d);
		ds_store_close(st);
	}
	if (err)
		return cli_fail(c, err, &d);
	bar->entrants = ne;
	bar->holdout = ds_experiment_compare(e, ne, 0.95, &bar->est, &d) == DS_OK;
	int rc = EXIT_OK;
	if (bar->holdout && a->holdout_truth) {
		/* the same draws with every account eligible for visits, and
		 * with none: the true effect of the policy on these accounts */
		static const char *const names[2] = { "optimised-no-holdout",
			                              "optimised-all-held-out" };
		double *paid[2] = { ds_malloc((size_t)ne * sizeof(double) + 1),
			            ds_malloc((size_t)ne * sizeof(double) + 1) };
		if (!paid[0] || !paid[1]) {
			ds_diag_set(&d, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			rc = cli_fail(c, DS_ENOMEM, &d);
		}
		for (int k = 0; k < 2 && !rc; k++) {
			struct ds_sim_result cr;
			if (!(rc = run_strategy(c, a, w, rules, as_of, store_dir,
			                        ds_plan_strategy(), names[k], k == 0 ? 0.0 : 1.0,
			                        &cr)))
				rc = paid_in(c, store_dir, names[k], e, ne, horizon, paid[k]);
		}
		if (!rc && ne > 0) {
			double dy = 0, ds = 0;
			for (long k = 0; k < ne; k++) {
				dy += paid[0][k] - paid[1][k];
				ds += (paid[0][k] > 0) - (paid[1][k] > 0);
			}
			bar->truth = true;
			bar->true_yuan = dy / (double)ne;
			bar->true_share = ds / (double)ne;
			const double *const pp[2] = { paid[0], paid[1] };
			rc = segment_truth(c, path, e, ne, pp, horizon, as_of + (ds_date)a->days,
			                   bar);
		}
		ds_free(paid[0]);
		ds_free(paid[1]);
	}
	ds_free(e);
	return rc;
}

/* The planner's gain as a share of another strategy's, or NAN. */
static double ratio(const struct bar *b, int other)
{
	return other >= 0 && b->gain[other] > 0 ? b->gain[b->opt] / b->gain[other] : NAN;
}

/* Met: 80% of the oracle's gain, 1.10 times the best baseline's, no more
 * complaints or incidents than it; and, when the truth is known, the
 * holdout's interval covering it. */
static bool bar_met(const struct bar *b)
{
	const struct ds_sim_result *o = &b->r[b->opt], *base = &b->r[b->baseline];
	return b->oracle >= 0 && b->baseline >= 0 && ratio(b, b->oracle) >= 0.8 &&
	       ratio(b, b->baseline) >= 1.1 && o->complaints <= base->complaints &&
	       o->incidents <= base->incidents &&
	       (!b->truth || (b->est.yuan.lo <= b->true_yuan && b->true_yuan <= b->est.yuan.hi));
}

static json_t *num_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *bar_json(const struct bar *b)
{
	json_t *gains = json_object();
	for (int i = 0; i < b->n; i++)
		json_object_set_new(gains, b->r[i].strategy, json_real(b->gain[i]));
	json_t *o = json_pack(
	        "{s:o, s:o, s:o, s:o, s:b}", "gain_yuan", gains, "share_of_oracle",
	        num_or_null(ratio(b, b->oracle)), "best_baseline",
	        b->baseline >= 0 ? json_string(b->r[b->baseline].strategy) : json_null(),
	        "times_best_baseline", num_or_null(ratio(b, b->baseline)), "met", bar_met(b));
	if (b->baseline >= 0)
		json_object_set_new(
		        o, "harm",
		        json_pack("{s:I, s:I, s:I, s:I}", "complaints",
		                  (json_int_t)b->r[b->opt].complaints, "baseline_complaints",
		                  (json_int_t)b->r[b->baseline].complaints, "incidents",
		                  (json_int_t)b->r[b->opt].incidents, "baseline_incidents",
		                  (json_int_t)b->r[b->baseline].incidents));
	if (b->holdout) {
		json_t *h = json_pack("{s:I, s:I, s:{s:f, s:f, s:f}, s:{s:f, s:f, s:f}}", "treated",
		                      (json_int_t)b->est.treated, "held_out",
		                      (json_int_t)b->est.held_out, "yuan_paid", "difference",
		                      b->est.yuan.diff, "lo", b->est.yuan.lo, "hi", b->est.yuan.hi,
		                      "paid_share", "difference", b->est.paid_share.diff, "lo",
		                      b->est.paid_share.lo, "hi", b->est.paid_share.hi);
		if (b->truth) {
			json_object_set_new(h, "true_yuan", json_real(b->true_yuan));
			json_object_set_new(h, "true_paid_share", json_real(b->true_share));
			json_object_set_new(h, "covered",
			                    json_boolean(b->est.yuan.lo <= b->true_yuan &&
			                                 b->true_yuan <= b->est.yuan.hi));
			json_t *segs = json_array();
			for (int i = 0; i < b->nseg; i++) {
				const struct seg_truth *t = &b->seg[i];
				json_array_append_new(
				        segs,
				        json_pack("{s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:s, "
				                  "s:o}",
				                  "bucket", t->name, "treated",
				                  (json_int_t)t->treated, "held_out",
				                  (json_int_t)t->held_out, "effect_yuan", t->est,
				                  "lo", t->lo, "hi", t->hi, "extra_cost_yuan",
				                  t->extra, "true_yuan", t->truth, "verdict",
				                  ds_visit_verdict_name(t->verdict), "agrees",
				                  t->judged ? json_boolean(t->agrees)
				                            : json_null()));
			}
			json_object_set_new(h, "segments", segs);
		}
		json_object_set_new(o, "holdout", h);
	}
	return o;
}

static void bar_print(const struct bar *b)
{
	const struct ds_sim_result *o = &b->r[b->opt];
	printf("\nbar: %s gains %.2f yuan over none", o->strategy, b->gain[b->opt]);
	if (b->oracle >= 0)
		printf("; %.1f%% of oracle's (80%% needed)", 100 * ratio(b, b->oracle));
	if (b->baseline >= 0)
		printf("; %.2f x %s's, the best baseline (1.10 needed); complaints %ld against "
		       "%ld, incidents %ld against %ld",
		       ratio(b, b->baseline), b->r[b->baseline].strategy, o->complaints,
		       b->r[b->baseline].complaints, o->incidents, b->r[b->baseline].incidents);
	printf(": %s\n", bar_met(b) ? "met" : "not met");
	if (!b->holdout)
		return;
	printf("holdout: %ld treated, %ld held out; visits add %+.2f yuan per account "
	       "(95%% %+.2f to %+.2f)",
	       b->est.treated, b->est.held_out, b->est.yuan.diff, b->est.yuan.lo, b->est.yuan.hi);
	if (b->truth)
		printf(", true %+.2f: %s", b->true_yuan,
		       b->est.yuan.lo <= b->true_yuan && b->true_yuan <= b->est.yuan.hi
		               ? "covered"
		               : "not covered");
	printf("\n");
	if (!b->nseg)
		return;
	printf("is a visit worth it, by bucket at entry (report visits --by bucket) against the "
	       "truth:\n  %-8s %7s %7s %10s %21s %10s %-15s %10s  %s\n",
	       "bucket", "treated", "held", "effect", "95% interval", "extra", "verdict", "true",
	       "agrees");
	for (int i = 0; i < b->nseg; i++) {
		const struct seg_truth *t = &b->seg[i];
		printf("  %-8s %7ld %7ld %+10.2f %+10.2f..%+-9.2f %10.2f %-15s %+10.2f  %s\n",
		       t->name, t->treated, t->held_out, t->est, t->lo, t->hi, t->extra,
		       ds_visit_verdict_name(t->verdict), t->truth,
		       !t->judged  ? "-"
		       : t->agrees ? "yes"
		                   : "no");
	}
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
	for (int i = 0; i < nchosen && !rc; i++)
		rc = run_strategy(c, &a, w, rules, as_of, store_dir, chosen[i], chosen[i]->name,
		                  a.plan_holdout > 0 ? a.plan_holdout : 0.05, &results[i]);
	struct bar bar = { 0 };
	if (!rc)
		rc = measure_bar(c, &a, w, rules, as_of, store_dir, chosen, results, nchosen, &bar);
	ds_uplift_free(first_estimates);
	first_estimates = NULL;
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
		json_t *o = json_pack("{s:s, s:i, s:o}", "as_of", day, "days", (int)a.days,
		                      "strategies", arr);
		if (bar.gains)
			json_object_set_new(o, "bar", bar_json(&bar));
		cli_print_json(o);
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
	if (bar.gains)
		bar_print(&bar);
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
	"       [--plan-snapshots N] [--plan-explore SHARE] [--plan-holdout SHARE]\n"
	"       [--holdout-truth]",
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
	"its store's history (--plan-snapshots); --plan-holdout SHARE (0.05)\n"
	"holds that share of the accounts out of its visits (a small city needs\n"
	"more to read the holdout by segment); with --plan-explore SHARE it\n"
	"explores, as doorstep plan --explore, and learns again once 75 explored\n"
	"rows have their 30 days observed. oracle plans on the true effects.\n"
	"With none and optimised among the strategies, the bar: each strategy's\n"
	"gain over none, optimised's as a share of oracle's and against the best\n"
	"baseline's, complaints and incidents beside it, and the visit holdout's\n"
	"estimate (30 days from each account's first decision). --holdout-truth\n"
	"runs the planner twice more on the same draws, once with no account held\n"
	"out and once with all, and compares the estimate with the true effect.\n"
	"See docs/strategy.md, \"Measuring the planner\".\n",
	run_simulate,
};

/* doorstep uplift evaluate: what each treatment adds, learnt and checked. */
#include "cli.h"
#include "doorstep/ingest.h"
#include "doorstep/model.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TRUTH_MAX_BYTES (1ull << 30)

/* The truth file: per account, the expected yuan under each treatment. */
struct truth {
	int col[DS_T_COUNT]; /* column of each treatment, -1 absent */
	char (*id)[65];
	double (*v)[DS_T_COUNT];
	long n, cap;
};

static ds_err truth_row(void *ctx, long record, long line, char **f, int n, struct ds_diag *diag)
{
	struct truth *t = ctx;
	if (record == 0) {
		for (int k = 0; k < DS_T_COUNT; k++) {
			t->col[k] = -1;
			for (int j = 0; j < n; j++)
				if (strcmp(f[j], ds_treatment_name((ds_treatment)k)) == 0)
					t->col[k] = j;
		}
		if (n < 1 || strcmp(f[0], "account_id") != 0 || t->col[DS_T_NONE] < 0)
			return ds_diag_set(diag, DS_EREJECT, NULL, line, NULL,
			                   "not a truth file: it needs account_id first and a none "
			                   "column");
		return DS_OK;
	}
	if (t->n == t->cap) {
		long cap = t->cap ? t->cap * 2 : 1024;
		void *a = ds_realloc(t->id, (size_t)cap * sizeof *t->id);
		if (a)
			t->id = a;
		void *b = a ? ds_realloc(t->v, (size_t)cap * sizeof *t->v) : NULL;
		if (!a || !b)
			return ds_diag_set(diag, DS_ENOMEM, NULL, line, NULL, "out of memory");
		t->v = b;
		t->cap = cap;
	}
	ds_strlcpy(t->id[t->n], f[0], sizeof t->id[t->n]);
	for (int k = 0; k < DS_T_COUNT; k++) {
		t->v[t->n][k] = NAN;
		if (t->col[k] < 0 || t->col[k] >= n)
			continue;
		char *end;
		double v = strtod(f[t->col[k]], &end);
		if (end == f[t->col[k]] || *end || !isfinite(v))
			return ds_diag_set(diag, DS_EREJECT, NULL, line,
			                   ds_treatment_name((ds_treatment)k), "not a number: '%s'",
			                   f[t->col[k]]);
		t->v[t->n][k] = v;
	}
	t->n++;
	return DS_OK;
}

/* A truth row by its account id, for sorting and searching. */
struct keyed {
	const char *id;
	long row;
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->id, ((const struct keyed *)b)->id);
}

/* Pearson correlation of two series. */
static double correlation(const double *x, const double *y, long n)
{
	double mx = 0, my = 0;
	for (long k = 0; k < n; k++) {
		mx += x[k];
		my += y[k];
	}
	mx /= (double)n;
	my /= (double)n;
	double sxy = 0, sxx = 0, syy = 0;
	for (long k = 0; k < n; k++) {
		sxy += (x[k] - mx) * (y[k] - my);
		sxx += (x[k] - mx) * (x[k] - mx);
		syy += (y[k] - my) * (y[k] - my);
	}
	return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

struct order {
	double score, truth;
};

static int by_score_desc(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	return (x->score < y->score) - (x->score > y->score);
}

/* Against the truth on as_of: per treatment, how the estimated uplift of
 * each delinquent account correlates with its true one, and the true uplift
 * of the tenth the estimate ranks first against the average. */
static ds_err against_truth(ds_store *st, ds_date as_of, const struct ds_uplift *u,
                            const char *path, json_t *report, bool print, struct ds_diag *diag)
{
	struct truth t = { 0 };
	ds_dataset *d = NULL;
	double *est = NULL, *x = NULL, *y = NULL;
	struct order *o = NULL;
	ds_err err = ds_csv_read(path, NULL, TRUTH_MAX_BYTES, truth_row, &t, diag);
	if (!err)
		err = ds_features_build(st, as_of, 0, &d, diag);
	if (err)
		goto done;
	long n = d->nrows;
	est = ds_malloc((size_t)n * DS_T_COUNT * sizeof *est + 1);
	x = ds_malloc((size_t)n * sizeof *x + 1);
	y = ds_malloc((size_t)n * sizeof *y + 1);
	o = ds_malloc((size_t)n * sizeof *o + 1);
	if (!est || !x || !y || !o) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}

	/* the truth row of each dataset row: ids sorted once, then searched */
	long *match = ds_malloc((size_t)n * sizeof *match + 1);
	struct keyed *byid = ds_malloc((size_t)t.n * sizeof *byid + 1);
	if (!match || !byid) {
		ds_free(match);
		ds_free(byid);
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	for (long k = 0; k < t.n; k++)
		byid[k] = (struct keyed){ t.id[k], k };
	qsort(byid, (size_t)t.n, sizeof *byid, by_id);
	for (long r = 0; r < n; r++) {
		struct keyed key = { d->id[r], -1 };
		const struct keyed *hit =
		        t.n ? bsearch(&key, byid, (size_t)t.n, sizeof *byid, by_id) : NULL;
		match[r] = hit ? hit->row : -1;
	}
	ds_free(byid);
	json_t *arr = json_array();
	for (int lrn = 0; lrn < DS_UPLIFT_LEARNERS && !err; lrn++) {
		enum ds_uplift_learner how = (enum ds_uplift_learner)lrn;
		if ((err = ds_uplift_predict(u, d, NULL, n, how, est, diag)))
			break;
		for (int tr = 1; tr < DS_T_COUNT; tr++) {
			if (t.col[tr] < 0)
				continue;
			long m = 0;
			double all = 0;
			for (long r = 0; r < n; r++) {
				if (match[r] < 0 || isnan(est[r * DS_T_COUNT + tr]))
					continue;
				x[m] = est[r * DS_T_COUNT + tr];
				y[m] = t.v[match[r]][tr] - t.v[match[r]][DS_T_NONE];
				o[m] = (struct order){ x[m], y[m] };
				all += y[m];
				m++;
			}
			if (m < 10)
				continue;
			qsort(o, (size_t)m, sizeof *o, by_score_desc);
			long top = m / 10;
			double topsum = 0, est_all = 0;
			for (long k = 0; k < top; k++)
				topsum += o[k].truth;
			for (long k = 0; k < m; k++)
				est_all += x[k];
			double r = correlation(x, y, m);
			json_array_append_new(
			        arr, json_pack("{s:s, s:s, s:I, s:f, s:f, s:f, s:f}", "learner",
			                       ds_uplift_learner_name(how), "treatment",
			                       ds_treatment_name((ds_treatment)tr), "accounts",
			                       (json_int_t)m, "correlation", r, "estimated_mean",
			                       est_all / (double)m, "true_mean", all / (double)m,
			                       "true_top10", topsum / (double)top));
			if (print)
				printf("  %-19s %-7s %6ld accounts: correlation %+.3f; uplift "
				       "%7.1f "
				       "yuan estimated, %7.1f true; true uplift of the top tenth "
				       "%7.1f\n",
				       ds_uplift_learner_name(how),
				       ds_treatment_name((ds_treatment)tr), m, r,
				       est_all / (double)m, all / (double)m, topsum / (double)top);
		}
	}
	json_object_set_new(report, "truth", arr);
	ds_free(match);
done:
	ds_free(t.id);
	ds_free(t.v);
	ds_dataset_free(d);
	ds_free(est);
	ds_free(x);
	ds_free(y);
	ds_free(o);
	return err;
}

static int evaluate(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "as-of", required_argument, NULL, 'a' },
		{ "snapshots", required_argument, NULL, 's' },
		{ "step-days", required_argument, NULL, 'p' },
		{ "horizon", required_argument, NULL, 'h' },
		{ "truth", required_argument, NULL, 't' },
		{ 0, 0, 0, 0 },
	};
	const char *as_of_arg = NULL, *truth = NULL;
	long snapshots = 24, step = 7, horizon = 30;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end = NULL;
		switch (ch) {
		case 'a':
			as_of_arg = optarg;
			break;
		case 's':
			snapshots = strtol(optarg, &end, 10);
			break;
		case 'p':
			step = strtol(optarg, &end, 10);
			break;
		case 'h':
			horizon = strtol(optarg, &end, 10);
			break;
		case 't':
			truth = optarg;
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
		if (end && (*end || end == optarg))
			return cli_usage(cmd, "'%s' is not a whole number", optarg);
	}
	if (optind != argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (snapshots < 2 || snapshots > 400 || step < 1 || step > 365 || horizon < 1 ||
	    horizon > 365)
		return cli_usage(cmd, "--snapshots 2-400, --step-days 1-365, --horizon 1-365");
	ds_date as_of;
	int rc = cli_as_of(c, as_of_arg, &as_of);
	ds_store *st = NULL;
	if (rc || (rc = cli_open_store(c, false, &st)))
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_uplift_set set;
	struct ds_uplift *u = NULL;
	long *train = NULL, *test = NULL;
	double *est = NULL, *score = NULL;
	float *yy = NULL;
	bool *treated = NULL;
	json_t *report = json_object();
	ds_err err =
	        ds_uplift_collect(st, as_of, (int)snapshots, (int)step, (int)horizon, &set, &d);
	if (err)
		goto out;
	/* out of time: the latest quarter of the snapshots is held out */
	long n = set.d->nrows, ntr = 0, nte = 0;
	ds_date cut = as_of - (ds_date)horizon - (ds_date)((snapshots / 4) * step);
	train = ds_malloc((size_t)n * sizeof *train + 1);
	test = ds_malloc((size_t)n * sizeof *test + 1);
	est = ds_malloc((size_t)n * DS_T_COUNT * sizeof *est + 1);
	score = ds_malloc((size_t)n * sizeof *score + 1);
	yy = ds_malloc((size_t)n * sizeof *yy + 1);
	treated = ds_malloc((size_t)n * sizeof *treated + 1);
	if (!train || !test || !est || !score || !yy || !treated) {
		err = ds_diag_set(&d, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto out;
	}
	for (long r = 0; r < n; r++) {
		if (set.d->when[r] > cut)
			test[nte++] = r;
		else
			train[ntr++] = r;
	}
	struct ds_train_opts o;
	ds_train_opts_default(DS_MODEL_TREES, &o);
	if ((err = ds_uplift_train(&set, train, ntr, &o, &u, &d)))
		goto out;
	json_object_set_new(report, "rows", json_integer(n));
	json_object_set_new(report, "held_out", json_integer(nte));
	json_object_set_new(report, "horizon_days", json_integer(horizon));
	if (!c->json)
		printf("uplift: %ld rows on %ld snapshots (%ld held out, the latest); payments "
		       "within %ld days\n",
		       n, snapshots, nte, horizon);
	json_t *arms = json_array();
	/* the pilot drew accounts more than 15 days past due: there, a
	 * treatment's rows and those of none are comparable */
	int fdpd = ds_dataset_feature(set.d, "dpd");
	for (int lrn = 0; lrn < DS_UPLIFT_LEARNERS && !err; lrn++) {
		enum ds_uplift_learner how = (enum ds_uplift_learner)lrn;
		if ((err = ds_uplift_predict(u, set.d, test, nte, how, est, &d)))
			break;
		for (int t = 1; t < DS_T_COUNT && !err; t++) {
			long m = 0;
			for (long k = 0; k < nte; k++) {
				int tr = set.treatment[test[k]];
				if ((tr != t && tr != DS_T_NONE) ||
				    isnan(est[k * DS_T_COUNT + t]) ||
				    (fdpd >= 0 && ds_dataset_at(set.d, test[k], fdpd) <= 15))
					continue;
				score[m] = est[k * DS_T_COUNT + t];
				yy[m] = set.d->y[test[k]];
				treated[m++] = tr == t;
			}
			struct ds_qini q;
			ds_diag_clear(&d);
			if (m == 0 || ds_uplift_qini(score, yy, treated, m, &q, &d))
				continue; /* no treated or no control rows held out */
			json_array_append_new(
			        arms, json_pack("{s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:f}",
			                        "learner", ds_uplift_learner_name(how), "treatment",
			                        ds_treatment_name((ds_treatment)t), "train_rows",
			                        (json_int_t)u->rows[t], "treated",
			                        (json_int_t)q.treated, "control",
			                        (json_int_t)q.control, "qini", q.qini, "uplift_all",
			                        q.uplift_all, "uplift_top10", q.uplift_top10));
			if (!c->json)
				printf("  %-19s %-7s trained on %6ld; held out %5ld treated, %6ld "
				       "none: "
				       "Qini %+.4f, share recovered %+.4f (top tenth %+.4f)\n",
				       ds_uplift_learner_name(how),
				       ds_treatment_name((ds_treatment)t), u->rows[t], q.treated,
				       q.control, q.qini, q.uplift_all, q.uplift_top10);
		}
	}
	json_object_set_new(report, "held_out_randomised", arms);
	if (!err && truth) {
		if (!c->json)
			printf("against the truth on the as-of date:\n");
		err = against_truth(st, as_of, u, truth, report, !c->json, &d);
	}
out:
	if (!err && c->json)
		cli_print_json(report);
	else
		json_decref(report);
	ds_uplift_free(u);
	ds_uplift_set_free(&set);
	ds_free(train);
	ds_free(test);
	ds_free(est);
	ds_free(score);
	ds_free(yy);
	ds_free(treated);
	ds_store_close(st);
	return err ? cli_fail(c, err, &d) : EXIT_OK;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("uplift");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd, "need a subcommand: evaluate");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	optind = 0;
	if (strcmp(argv[1], "evaluate") == 0)
		return evaluate(c, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", argv[1]);
}

const struct cli_command cli_cmd_uplift = {
	"uplift",
	"what each treatment adds to what accounts pay: learn it and check it",
	"uplift evaluate [--as-of D] [--snapshots N] [--step-days N] [--horizon N]\n"
	"                [--truth FILE]",
	"Learns from the store's history, on N snapshots (24) a week apart, what\n"
	"each treatment adds to what an account pays within the horizon (30 days)\n"
	"over doing nothing: a T-learner on XGBoost weighted by inverse\n"
	"propensity, and the transformed outcome as the baseline. The latest\n"
	"quarter of the snapshots is held out; on it, per treatment against none,\n"
	"the Qini of each learner's ranking and the uplift of its top tenth.\n"
	"--truth: the simulator's ground-truth file (simulate --truth) for the\n"
	"same as-of date; the estimate of every delinquent account is then\n"
	"compared with its true uplift. See docs/strategy.md, \"Uplift\".\n",
	run,
};

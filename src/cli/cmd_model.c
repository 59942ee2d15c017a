/* doorstep model: train, validate and read ability and willingness models. */
#include "cli.h"
#include "doorstep/model.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct cli_command cli_cmd_model;

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *iv_band(double iv)
{
	return isnan(iv)   ? "-"
	       : iv < 0.02 ? "useless"
	       : iv < 0.1  ? "weak"
	       : iv < 0.3  ? "medium"
	       : iv < 0.5  ? "strong"
	                   : "suspicious";
}

static const char *family_label(enum ds_model_family f)
{
	return f == DS_MODEL_TREES ? "trees" : "scorecard";
}

static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *fold_json(const struct ds_fold_metrics *m)
{
	return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o}", "rows", (json_int_t)m->rows, "events",
	                 (json_int_t)m->events, "auc", num(m->auc), "gini", num(m->gini), "ks",
	                 num(m->ks), "brier", num(m->brier));
}

/* One family's validation as JSON (the --json report and the registry). */
static json_t *validation_json(const ds_dataset *d, const struct ds_validation *v)
{
	json_t *calib = json_array(), *iv = json_array();
	for (int i = 0; i < v->ncalib; i++)
		json_array_append_new(calib, json_pack("{s:f, s:f, s:f, s:f, s:I}", "p_lo",
		                                       v->calib[i].p_lo, "p_hi", v->calib[i].p_hi,
		                                       "mean_p", v->calib[i].mean_p, "observed",
		                                       v->calib[i].observed, "n",
		                                       (json_int_t)v->calib[i].n));
	for (int i = 0; i < v->nfeat; i++)
		json_array_append_new(iv,
		                      json_pack("{s:s, s:o, s:s}", "feature", d->feat[i].name, "iv",
		                                num(v->iv[i]), "band", iv_band(v->iv[i])));
	char oot[11] = "";
	if (v->has_oot)
		ds_date_format(v->oot_date, oot);
	return json_pack(
	        "{s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:I}", "family",
	        family_label(v->family), "folds", v->folds, "cv", fold_json(&v->cv), "cv_auc_mean",
	        num(v->cv_auc_mean), "cv_auc_sd", num(v->cv_auc_sd), "out_of_time",
	        v->has_oot ? json_pack("{s:s, s:o}", "date", oot, "metrics", fold_json(&v->oot))
	                   : json_null(),
	        "calibration", calib, "iv", iv, "psi", num(v->psi), "psi_band",
	        isnan(v->psi) ? "-" : ds_metric_psi_band(v->psi), "scoring_rows",
	        (json_int_t)v->scoring_rows);
}

static void print_validation(const struct ds_validation *v)
{
	printf("\n%s: %d-fold cross-validation on %ld rows (%ld events)\n", family_label(v->family),
	       v->folds, v->rows, v->events);
	printf("  AUC %.4f (folds %.4f +/- %.4f)  Gini %.4f  KS %.4f  Brier %.4f\n", v->cv.auc,
	       v->cv_auc_mean, v->cv_auc_sd, v->cv.gini, v->cv.ks, v->cv.brier);
	if (v->has_oot) {
		char day[11];
		ds_date_format(v->oot_date, day);
		printf("  out of time (%s, %ld rows): AUC %.4f  Gini %.4f  KS %.4f  Brier %.4f\n",
		       day, v->oot.rows, v->oot.auc, v->oot.gini, v->oot.ks, v->oot.brier);
	}
	if (!isnan(v->psi))
		printf("  PSI against the scoring population (%ld rows): %.4f (%s)\n",
		       v->scoring_rows, v->psi, ds_metric_psi_band(v->psi));
	printf("  calibration (out of fold):  predicted  observed  rows\n");
	for (int i = 0; i < v->ncalib; i++)
		printf("    %8.4f - %-8.4f  %8.4f  %8.4f  %5ld\n", v->calib[i].p_lo,
		       v->calib[i].p_hi, v->calib[i].mean_p, v->calib[i].observed, v->calib[i].n);
}

static void print_iv(const ds_dataset *d, const struct ds_validation *v)
{
	printf("\ninformation value per feature (development rows):\n");
	int order[DS_MODEL_MAX_FEATURES];
	for (int i = 0; i < v->nfeat; i++)
		order[i] = i;
	for (int i = 1; i < v->nfeat; i++) /* by IV, highest first */
		for (int k = i;
		     k > 0 && (isnan(v->iv[order[k - 1]]) || v->iv[order[k]] > v->iv[order[k - 1]]);
		     k--) {
			int t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	for (int i = 0; i < v->nfeat; i++)
		printf("  %-28s %7.4f  %s\n", d->feat[order[i]].name, v->iv[order[i]],
		       iv_band(v->iv[order[i]]));
}

/* ------------------------------------------------------------------ train */

struct train_args {
	const char *csv, *target, *positive, *categorical, *family, *as_of;
	int folds, snapshots, step_days;
	bool promote;
	bool validate_only; /* report, store nothing: the champion's options */
	bool silent;        /* train and register without printing a report */
	struct ds_train_opts trees, card;
};

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (*s == '\0' || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int train_csv(struct cli *c, struct train_args *a)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_csv_opts co = { a->target, a->positive, a->categorical, NULL };
	ds_dataset *ds;
	ds_err err = ds_dataset_read_csv(a->csv, &co, &ds, &d);
	if (err)
		return cli_fail(c, err, &d);
	long events = 0;
	for (long r = 0; r < ds->nrows; r++)
		events += ds->y[r] > 0.5f;
	bool both = strcmp(a->family, "both") == 0;
	enum ds_model_family fams[2] = { DS_MODEL_TREES, DS_MODEL_SCORECARD };
	int nf = both ? 2 : 1;
	if (!both && strcmp(a->family, "scorecard") == 0)
		fams[0] = DS_MODEL_SCORECARD;
	if (!c->json) {
		int ncat = 0;
		for (int i = 0; i < ds->nfeat; i++)
			ncat += ds->feat[i].categorical;
		printf("%s: %ld rows, %d features (%d categorical); target %s%s%s: %ld events\n",
		       a->csv, ds->nrows, ds->nfeat, ncat, a->target, a->positive ? " = " : "",
		       a->positive ? a->positive : "", events);
	}
	json_t *report = json_array();
	struct ds_validation *v = ds_malloc(sizeof *v);
	int rc = v ? EXIT_OK : EXIT_FAILURE_;
	for (int k = 0; k < nf && rc == EXIT_OK; k++) {
		const struct ds_train_opts *o = fams[k] == DS_MODEL_TREES ? &a->trees : &a->card;
		if ((err = ds_model_validate(ds, o, a->folds, NULL, v, &d))) {
			rc = cli_fail(c, err, &d);
			break;
		}
		if (c->json)
			json_array_append_new(report, validation_json(ds, v));
		else
			print_validation(v);
		if (!c->json && k == nf - 1)
			print_iv(ds, v);
	}
	if (c->json && rc == EXIT_OK) {
		char fp[65];
		ds_dataset_fingerprint(ds, fp);
		cli_print_json(json_pack("{s:s, s:s, s:s*, s:I, s:I, s:s, s:o}", "file", a->csv,
		                         "target", a->target, "positive", a->positive, "rows",
		                         (json_int_t)ds->nrows, "events", (json_int_t)events,
		                         "fingerprint", fp, "families", report));
	} else {
		json_decref(report);
	}
	ds_free(v);
	ds_dataset_free(ds);
	return rc;
}

/* A target from the store: snapshots, validation, the final model, the
 * registry. */
static int train_store(struct cli *c, struct train_args *a)
{
	enum ds_target t;
	if (strcmp(a->target, "ability") == 0)
		t = DS_TARGET_ABILITY;
	else if (strcmp(a->target, "willingness") == 0)
		t = DS_TARGET_WILLINGNESS;
	else
		return cli_usage(&cli_cmd_model,
		                 "--target is ability or willingness (or use --csv)");
	if (strcmp(a->family, "both") == 0)
		a->family = "trees";
	const struct ds_train_opts *o = strcmp(a->family, "trees") == 0 ? &a->trees : &a->card;
	ds_date as_of;
	int rc = cli_as_of(c, a->as_of, &as_of);
	if (rc)
		return rc;
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st)))
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_train_opts champ;
	if (a->validate_only) {
		ds_model *cm;
		struct ds_model_entry ce;
		ds_err e = ds_registry_get(st, 0, ds_target_name(t), &cm, &ce, NULL, &d);
		if (e) {
			ds_store_close(st);
			return cli_fail(c, e, &d);
		}
		champ = *ds_model_options(cm);
		o = &champ;
		if (!c->json && !c->quiet)
			printf("validating the champion %s model %ld (version %d, %s) on today's "
			       "data\n",
			       ce.kind, ce.model_id, ce.version, ce.family);
		ds_model_free(cm);
	}
	ds_dataset *ds = NULL, *today = NULL;
	ds_model *m = NULL;
	struct ds_validation *v = ds_malloc(sizeof *v);
	char *metrics = NULL;
	ds_err err = v ? DS_OK : DS_ENOMEM;
	double t0 = seconds();
	if (!err)
		err = ds_training_set(st, t, as_of, a->snapshots, a->step_days, &ds, &d);
	if (!err)
		err = ds_features_build(st, as_of, 0, &today, &d);
	double t1 = seconds();
	if (!err)
		err = ds_model_validate(ds, o, a->folds, today->nrows ? today : NULL, v, &d);
	double t2 = seconds();
	if (!err && !a->validate_only)
		err = ds_model_train(ds, NULL, 0, o, &m, &d);
	double t3 = seconds();
	struct ds_model_entry e;
	if (!err && !a->validate_only) {
		json_t *j = validation_json(ds, v);
		metrics = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
		char fp[65];
		ds_dataset_fingerprint(ds, fp);
		err = metrics ? ds_registry_add(st, ds_target_name(t), m, fp, metrics, &e, &d)
		              : DS_ENOMEM;
	}
	bool champion = false;
	if (!err && !a->validate_only) {
		struct ds_model_entry ce;
		ds_err has = ds_registry_get(st, 0, ds_target_name(t), NULL, &ce, NULL, &d);
		champion = a->promote || has == DS_ENOTFOUND;
		if (champion)
			err = ds_registry_promote(st, e.model_id, &d);
		else if (has)
			err = has;
	}
	if (err) {
		if (err == DS_ENOMEM && !d.msg[0])
			ds_diag_set(&d, err, NULL, 0, NULL, "out of memory");
		rc = cli_fail(c, err, &d);
	} else if (a->validate_only) {
		if (c->json)
			cli_print_json(validation_json(ds, v));
		else {
			print_validation(v);
			print_iv(ds, v);
		}
	} else if (a->silent) {
		/* the caller speaks */
	} else if (c->json) {
		json_error_t je;
		cli_print_json(json_pack("{s:I, s:s, s:i, s:s, s:b, s:s, s:I, s:o, s:o}",
		                         "model_id", (json_int_t)e.model_id, "kind", e.kind,
		                         "version", e.version, "family", e.family, "champion",
		                         champion, "fingerprint", e.fingerprint, "rows",
		                         (json_int_t)ds->nrows, "seconds",
		                         json_pack("{s:f, s:f, s:f}", "data", t1 - t0, "validation",
		                                   t2 - t1, "training", t3 - t2),
		                         "validation", json_loads(metrics, 0, &je)));
	} else {
		printf("%s: %ld labelled rows from %d snapshots %d days apart, %d features\n",
		       e.kind, ds->nrows, a->snapshots, a->step_days, ds->nfeat);
		print_validation(v);
		print_iv(ds, v);
		printf("\nmodel %ld: %s version %d (%s)%s\n", e.model_id, e.kind, e.version,
		       e.family, champion ? ", now the champion" : "");
	}
	free(metrics);
	ds_free(v);
	ds_model_free(m);
	ds_dataset_free(ds);
	ds_dataset_free(today);
	ds_store_close(st);
	return rc;
}

static int cmd_train(struct cli *c, int argc, char **argv, bool validate_only)
{
	static const struct option opts[] = {
		{ "csv", required_argument, NULL, 'c' },
		{ "target", required_argument, NULL, 't' },
		{ "positive", required_argument, NULL, 'p' },
		{ "categorical", required_argument, NULL, 'C' },
		{ "family", required_argument, NULL, 'f' },
		{ "folds", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "depth", required_argument, NULL, 'd' },
		{ "eta", required_argument, NULL, 'e' },
		{ "min-share", required_argument, NULL, 'm' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "snapshots", required_argument, NULL, 'n' },
		{ "step-days", required_argument, NULL, 'S' },
		{ "promote", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct train_args a = { .family = "both",
		                .folds = 5,
		                .snapshots = 6,
		                .step_days = 30,
		                .validate_only = validate_only };
	ds_train_opts_default(DS_MODEL_TREES, &a.trees);
	ds_train_opts_default(DS_MODEL_SCORECARD, &a.card);
	int ch, n;
	double x;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a.csv = optarg;
			break;
		case 't':
			a.target = optarg;
			break;
		case 'p':
			a.positive = optarg;
			break;
		case 'C':
			a.categorical = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "trees") && strcmp(optarg, "scorecard") &&
			    strcmp(optarg, "both"))
				return cli_usage(&cli_cmd_model,
				                 "--family is trees, scorecard or both");
			a.family = optarg;
			break;
		case 'k':
			if (parse_int(optarg, 2, 20, &a.folds))
				return cli_usage(&cli_cmd_model, "--folds is a whole number 2-20");
			break;
		case 's':
			if (parse_int(optarg, 0, 2147483647, &n))
				return cli_usage(&cli_cmd_model, "--seed is a whole number");
			a.trees.seed = a.card.seed = (uint64_t)n;
			break;
		case 'r':
			if (parse_int(optarg, 1, 10000, &a.trees.rounds))
				return cli_usage(&cli_cmd_model,
				                 "--rounds is a whole number 1-10000");
			break;
		case 'd':
			if (parse_int(optarg, 1, 16, &a.trees.depth))
				return cli_usage(&cli_cmd_model, "--depth is a whole number 1-16");
			break;
		case 'e':
			if (parse_double(optarg, 1e-4, 1, &a.trees.eta))
				return cli_usage(&cli_cmd_model, "--eta is a number in (0, 1]");
			break;
		case 'm':
			if (parse_double(optarg, 0.001, 0.5, &x))
				return cli_usage(&cli_cmd_model,
				                 "--min-share is a number 0.001-0.5");
			a.card.binning.min_share = x;
			break;
		case 'a':
			a.as_of = optarg;
			break;
		case 'n':
			if (parse_int(optarg, 1, 60, &a.snapshots))
				return cli_usage(&cli_cmd_model,
				                 "--snapshots is a whole number 1-60");
			break;
		case 'S':
			if (parse_int(optarg, 1, 365, &a.step_days))
				return cli_usage(&cli_cmd_model,
				                 "--step-days is a whole number 1-365");
			break;
		case 'P':
			a.promote = true;
			break;
		case 'h':
			cli_help(&cli_cmd_model, stdout);
			return EXIT_OK;
		default:
			return cli_usage(&cli_cmd_model, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage(&cli_cmd_model, "unexpected argument: %s", argv[optind]);
	if (!a.target)
		return cli_usage(&cli_cmd_model,
		                 "model train needs --target (ability, willingness, "
		                 "or a column of --csv FILE)");
	return a.csv ? train_csv(c, &a) : train_store(c, &a);
}

/* ------------------------------------------------------ list, promote, score */

static int cmd_list(struct cli *c, ds_store *st)
{
	struct ds_model_entry *e;
	int n;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_registry_list(st, &e, &n, &d);
	if (err)
		return cli_fail(c, err, &d);
	json_t *arr = c->json ? json_array() : NULL;
	if (!arr)
		printf("%-6s %-12s %-8s %-10s %-20s %-9s %s\n", "id", "kind", "version", "family",
		       "trained (UTC)", "champion", "data fingerprint");
	for (int i = 0; i < n; i++) {
		char at[21];
		ds_time_format_utc(e[i].trained_at, at);
		if (arr)
			json_array_append_new(
			        arr, json_pack("{s:I, s:s, s:i, s:s, s:s, s:b, s:s}", "model_id",
			                       (json_int_t)e[i].model_id, "kind", e[i].kind,
			                       "version", e[i].version, "family", e[i].family,
			                       "trained_at", at, "champion", e[i].champion,
			                       "fingerprint", e[i].fingerprint));
		else
			printf("%-6ld %-12s %-8d %-10s %-20s %-9s %.16s\n", e[i].model_id,
			       e[i].kind, e[i].version, e[i].family, at, e[i].champion ? "yes" : "",
			       e[i].fingerprint);
	}
	if (arr)
		cli_print_json(arr);
	ds_free(e);
	return EXIT_OK;
}

static int cmd_promote(struct cli *c, ds_store *st, const char *arg)
{
	int id;
	if (parse_int(arg, 1, 2147483647, &id))
		return cli_usage(&cli_cmd_model, "model promote MODEL_ID");
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_registry_promote(st, id, &d);
	if (err)
		return cli_fail(c, err, &d);
	if (!c->quiet)
		fprintf(stderr, "model %d is now the champion of its kind\n", id);
	return EXIT_OK;
}

/* The quadrants' cut-offs from the settings (percent, 0-100). */
static int cuts(struct cli *c, struct ds_quadrant_cuts *q)
{
	long a = ds_config_int(&c->cfg, DS_CFG_MODEL_ABILITY_CUT);
	long w = ds_config_int(&c->cfg, DS_CFG_MODEL_WILLINGNESS_CUT);
	if (a > 100 || w > 100) {
		struct ds_diag d;
		ds_diag_set(&d, DS_ECONFIG, NULL, 0,
		            a > 100 ? "ability_cut_pct" : "willingness_cut_pct",
		            "a cut-off is a percentage, 0 to 100");
		return cli_fail(c, DS_ECONFIG, &d);
	}
	q->ability = a / 100.0;
	q->willingness = w / 100.0;
	return EXIT_OK;
}

static int cmd_score(struct cli *c, ds_store *st, const char *as_of_arg, bool all)
{
	ds_date as_of;
	int rc = cli_as_of(c, as_of_arg, &as_of);
	if (rc)
		return rc;
	struct ds_quadrant_cuts q;
	if ((rc = cuts(c, &q)))
		return rc;
	struct ds_score_run r;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_score_portfolio(st, as_of, all ? DS_FEATURES_ALL_OPEN : 0, &q, &r, &d);
	if (err)
		return cli_fail(c, err, &d);
	char day[11];
	ds_date_format(as_of, day);
	if (c->json) {
		json_t *quad = json_object();
		for (int i = 0; i < 4; i++)
			json_object_set_new(quad, ds_quadrant_name(i), json_integer(r.quadrant[i]));
		cli_print_json(json_pack("{s:s, s:I, s:I, s:I, s:o, s:f, s:f, s:f, s:f}", "as_of",
		                         day, "accounts", (json_int_t)r.accounts, "ability_model",
		                         (json_int_t)r.ability_model, "willingness_model",
		                         (json_int_t)r.willingness_model, "quadrants", quad,
		                         "seconds_features", r.seconds_features, "seconds_models",
		                         r.seconds_models, "seconds_reasons", r.seconds_reasons,
		                         "seconds_writing", r.seconds_writing));
		return EXIT_OK;
	}
	printf("scored %ld %s accounts on %s with models %ld (ability) and %ld "
	       "(willingness)\n",
	       r.accounts, all ? "open" : "delinquent", day, r.ability_model, r.willingness_model);
	static const char *const zh[4] = { "有能力 有意愿", "有能力 无意愿", "无能力 有意愿",
		                           "无能力 无意愿" };
	for (int i = 0; i < 4; i++)
		printf("  %-18s %-16s %8ld\n", ds_quadrant_name(i), zh[i], r.quadrant[i]);
	printf("  features %.2f s, probabilities %.2f s, reasons %.2f s, writing %.2f s\n",
	       r.seconds_features, r.seconds_models, r.seconds_reasons, r.seconds_writing);
	return EXIT_OK;
}

static const struct ds_feature_doc *doc_of(const char *name)
{
	int n;
	const struct ds_feature_doc *f = ds_features_list(&n);
	for (int i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

static void print_reasons(json_t *arr)
{
	size_t i;
	json_t *r;
	json_array_foreach(arr, i, r)
	{
		const char *name = json_string_value(json_object_get(r, "feature"));
		const struct ds_feature_doc *f = name ? doc_of(name) : NULL;
		printf("    %zu. %s (%s)  [%s, %+.3f]\n", i + 1, f ? f->zh : name, f ? f->en : name,
		       name ? name : "?", json_number_value(json_object_get(r, "weight")));
	}
	if (json_array_size(arr) == 0)
		printf("    (no feature lowers this score)\n");
}

static int cmd_explain(struct cli *c, ds_store *st, const char *account, const char *as_of_arg)
{
	ds_date as_of;
	int rc = cli_as_of(c, as_of_arg, &as_of);
	if (rc)
		return rc;
	char day[11];
	ds_date_format(as_of, day);
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT score_date, ability, willingness, quadrant, reasons,"
	                              " ability_model_id, willingness_model_id FROM scores"
	                              " WHERE account_id=? AND score_date<=?"
	                              " ORDER BY score_date DESC LIMIT 1",
	                              &s, &d);
	if (err)
		return cli_fail(c, err, &d);
	ds_stmt_bind_text(s, 1, account);
	ds_stmt_bind_text(s, 2, day);
	bool row;
	if (!(err = ds_stmt_step(s, &row, &d)) && !row)
		err = ds_diag_set(&d, DS_ENOTFOUND, NULL, 0, account,
		                  "no score for this account on or before %s (run doorstep model "
		                  "score)",
		                  day);
	if (err) {
		ds_stmt_done(s);
		return cli_fail(c, err, &d);
	}
	json_error_t je;
	json_t *reasons = json_loads(ds_stmt_text(s, 4), 0, &je);
	char scored[11];
	ds_strlcpy(scored, ds_stmt_text(s, 0), sizeof scored);
	double ability = ds_stmt_real(s, 1), willingness = ds_stmt_real(s, 2);
	char quadrant[32];
	ds_strlcpy(quadrant, ds_stmt_text(s, 3), sizeof quadrant);
	long ma = (long)ds_stmt_int(s, 5), mw = (long)ds_stmt_int(s, 6);
	ds_stmt_done(s);
	if (c->json) {
		cli_print_json(json_pack(
		        "{s:s, s:s, s:f, s:f, s:s, s:I, s:I, s:o}", "account_id", account,
		        "score_date", scored, "ability", ability, "willingness", willingness,
		        "quadrant", quadrant, "ability_model", (json_int_t)ma, "willingness_model",
		        (json_int_t)mw, "reasons", reasons ? reasons : json_null()));
		return EXIT_OK;
	}
	struct ds_quadrant_cuts q;
	if ((rc = cuts(c, &q))) {
		json_decref(reasons);
		return rc;
	}
	printf("%s, scored %s\n", account, scored);
	printf("  还款能力 ability      %5.1f%%  %s (model %ld)\n", ability * 100,
	       ability >= q.ability ? "高 high" : "低 low", ma);
	printf("  还款意愿 willingness  %5.1f%%  %s (model %ld)\n", willingness * 100,
	       willingness >= q.willingness ? "高 high" : "低 low", mw);
	printf("  quadrant: %s\n", quadrant);
	printf("  能力评分的主要原因 what lowers ability most:\n");
	print_reasons(json_object_get(reasons, "ability"));
	printf("  意愿评分的主要原因 what lowers willingness most:\n");
	print_reasons(json_object_get(reasons, "willingness"));
	json_decref(reasons);
	return EXIT_OK;
}

/* score|explain|list|promote: one store, an optional --as-of */
static int with_store(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "as-of", required_argument, NULL, 'a' },
		{ "all", no_argument, NULL, 'A' },
		{ 0, 0, 0, 0 },
	};
	const char *as_of = NULL;
	bool all = false;
	int ch;
	optind = 0; /* GNU getopt: a full reset, argument permutation included */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'a')
			as_of = optarg;
		else if (ch == 'A' && strcmp(argv[0], "score") == 0)
			all = true;
		else
			return cli_usage(&cli_cmd_model, "unknown option");
	}
	const char *sub = argv[0];
	int rest = argc - optind;
	char **args = argv + optind;
	bool explain = strcmp(sub, "explain") == 0, promote = strcmp(sub, "promote") == 0;
	if (((explain || promote) && rest != 1) || (!explain && !promote && rest != 0))
		return cli_usage(&cli_cmd_model, "wrong arguments for model %s", sub);
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	if (strcmp(sub, "list") == 0)
		rc = cmd_list(c, st);
	else if (promote)
		rc = cmd_promote(c, st, args[0]);
	else if (strcmp(sub, "score") == 0)
		rc = cmd_score(c, st, as_of, all);
	else
		rc = cmd_explain(c, st, args[0], as_of);
	ds_store_close(st);
	return rc;
}

int cli_model_bootstrap(struct cli *c, ds_date as_of)
{
	char day[11];
	ds_date_format(as_of, day);
	const char *targets[2] = { "ability", "willingness" };
	for (int i = 0; i < 2; i++) {
		struct train_args a = { .family = "trees",
			                .target = targets[i],
			                .as_of = day,
			                .folds = 5,
			                .snapshots = 6,
			                .step_days = 30,
			                .silent = true };
		ds_train_opts_default(DS_MODEL_TREES, &a.trees);
		ds_train_opts_default(DS_MODEL_SCORECARD, &a.card);
		int rc = train_store(c, &a);
		if (rc)
			return rc;
	}
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_quadrant_cuts q;
	if ((rc = cuts(c, &q))) {
		ds_store_close(st);
		return rc;
	}
	struct ds_score_run r;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_score_portfolio(st, as_of, 0, &q, &r, &d);
	ds_store_close(st);
	if (err)
		return cli_fail(c, err, &d);
	if (!c->quiet)
		fprintf(stderr,
		        "demo: %ld delinquent accounts scored (ability model %ld, "
		        "willingness model %ld)\n",
		        r.accounts, r.ability_model, r.willingness_model);
	return EXIT_OK;
}

static int run(struct cli *c, int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(&cli_cmd_model, "which model command?");
		cli_help(&cli_cmd_model, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "train") == 0)
		return cmd_train(c, argc - 1, argv + 1, false);
	if (strcmp(argv[1], "validate") == 0)
		return cmd_train(c, argc - 1, argv + 1, true);
	if (strcmp(argv[1], "score") == 0 || strcmp(argv[1], "explain") == 0 ||
	    strcmp(argv[1], "list") == 0 || strcmp(argv[1], "promote") == 0)
		return with_store(c, argc - 1, argv + 1);
	return cli_usage(&cli_cmd_model, "unknown model command: %s", argv[1]);
}

const struct cli_command cli_cmd_model = {
	"model",
	"ability and willingness models: train, validate, score, explain",
	"model train|validate --csv FILE --target COLUMN [--positive VALUE]\n"
	"                   [--categorical A,B] [--family trees|scorecard|both] [--folds K]\n"
	"                   [--seed N] [--rounds N] [--depth N] [--eta X] [--min-share X]\n"
	"       model train --target ability|willingness [--family trees|scorecard]\n"
	"                   [--as-of D] [--snapshots N] [--step-days N] [--promote] [...]\n"
	"       model validate --target ability|willingness [--as-of D] [--json]\n"
	"       model score [--as-of D] [--all]\n"
	"       model explain ACCOUNT [--as-of D]\n"
	"       model list\n"
	"       model promote MODEL_ID",
	"train --csv   trains and cross-validates on any CSV with a header row, through\n"
	"              the same pipeline as the bank's own targets: a row is an event\n"
	"              when COLUMN equals --positive (or is 1). Columns with text are\n"
	"              categorical; --categorical declares more. Prints AUC, Gini, KS,\n"
	"              Brier, calibration and the IV of every feature (--json too).\n"
	"              Trees: XGBoost, hist, depth 2, eta 0.1, 100 rounds, subsample\n"
	"              0.8. Scorecard: monotone WOE bins of at least 5% of rows,\n"
	"              features with IV >= 0.02, logistic regression, 600 points at\n"
	"              odds 1:19, 50 points to double the odds. Folds are by row\n"
	"              position mod K. See docs/scoring.md.\n"
	"train --target ability|willingness  builds the target's training set from the\n"
	"              store (features on --snapshots dates --step-days apart, each\n"
	"              labelled by its observed 30-day outcome), validates it (folds,\n"
	"              the latest date out of time, PSI against today's accounts),\n"
	"              trains on every row and registers the model with its metrics.\n"
	"              The first model of a kind, or one trained with --promote,\n"
	"              becomes the champion.\n"
	"validate      the same report for the champion's settings on today's data\n"
	"              (or for --csv), storing nothing.\n"
	"score         scores every delinquent account (--all: every open account)\n"
	"              with both champions: ability\n"
	"              and willingness (0-1, higher is better), the quadrant by\n"
	"              [model] ability_cut_pct and willingness_cut_pct, and up to four\n"
	"              reasons for each score; written to the store per account per day.\n"
	"explain       both scores, the quadrant and the reasons of one account in\n"
	"              Chinese and English.\n"
	"list          every model in the registry; promote makes one the champion.",
	run,
};

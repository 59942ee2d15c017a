/* doorstep report: the KPIs of a period and the roll rates
 * (docs/reports.md). */
#include "cli.h"

#include "doorstep/report.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum format { F_TABLE, F_JSON, F_CSV, F_XLSX, F_SVG, F_PDF };

/* A text cell of a CSV file a spreadsheet opens: quoted, and a leading
 * = + - @ or control character neutralised so that it is never read as a
 * formula. */
static void csv_text(const char *s)
{
	putchar('"');
	if (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r')
		putchar('\'');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void kpi_print(const struct ds_kpi *r, long n, ds_report_by by, enum format f)
{
	if (f == F_CSV) {
		printf("%s,accounts,overdue_start_yuan,recovered_yuan,recovery_rate,cured,cure_"
		       "rate,"
		       "promises,kept,kept_rate,cost_yuan,net_yuan,cost_to_collect,contacts,"
		       "complaints,incidents,complaints_per_1000,incidents_per_1000\n",
		       ds_report_by_name(by));
		for (long i = 0; i < n; i++) {
			const struct ds_kpi *k = &r[i];
			csv_text(k->group);
			printf(",%ld,%.2f,%.2f,%.4f,%ld,%.4f,%ld,%ld,%.4f,%.2f,%.2f,%.4f,%ld,%ld,%"
			       "ld,%.2f,"
			       "%.2f\n",
			       k->accounts, (double)k->overdue_start / 100,
			       (double)k->recovered / 100, k->recovery_rate, k->cured, k->cure_rate,
			       k->promises, k->kept, k->kept_rate, (double)k->cost / 100,
			       (double)k->net / 100, k->cost_to_collect, k->contacts, k->complaints,
			       k->incidents, k->complaints_per_1000, k->incidents_per_1000);
		}
		return;
	}
	printf("%-22s %8s %14s %14s %7s %7s %8s %12s %14s %7s %8s %8s\n", ds_report_by_name(by),
	       "accounts", "overdue", "recovered", "recov%", "cure%", "kept%", "cost", "net",
	       "c2c%", "cmp/1k", "inc/1k");
	for (long i = 0; i < n; i++) {
		const struct ds_kpi *k = &r[i];
		printf("%-22s %8ld %14.2f %14.2f %7.1f %7.1f %8.1f %12.2f %14.2f %7.2f %8.2f "
		       "%8.2f\n",
		       k->group, k->accounts, (double)k->overdue_start / 100,
		       (double)k->recovered / 100, 100 * k->recovery_rate, 100 * k->cure_rate,
		       100 * k->kept_rate, (double)k->cost / 100, (double)k->net / 100,
		       100 * k->cost_to_collect, k->complaints_per_1000, k->incidents_per_1000);
	}
}

static void roll_print(const struct ds_roll_matrix *m, enum format f)
{
	if (f == F_JSON) {
		cli_print_json(ds_roll_json(m));
		return;
	}
	const char *sep = f == F_CSV ? "," : " ";
	printf(f == F_CSV ? "from" : "%-6s", f == F_CSV ? "" : "from");
	for (int j = 0; j < DS_BUCKETS; j++)
		printf(f == F_CSV ? "%s%s" : "%s%7s", sep, ds_bucket_name(j));
	printf(f == F_CSV ? "\n" : "   rolled%%\n");
	for (int i = 0; i < DS_BUCKETS; i++) {
		long all = 0, worse = 0;
		printf(f == F_CSV ? "%s" : "%-6s", ds_bucket_name(i));
		for (int j = 0; j < DS_BUCKETS; j++) {
			printf(f == F_CSV ? "%s%ld" : "%s%7ld", sep, m->n[i][j]);
			all += m->n[i][j];
			worse += j > i ? m->n[i][j] : 0;
		}
		if (f == F_CSV)
			putchar('\n');
		else
			printf("   %6.1f\n", all ? 100.0 * (double)worse / (double)all : 0.0);
	}
}

static void effect_print(const struct ds_visit_effect *r, long n, ds_report_by by, enum format f)
{
	if (f == F_JSON) {
		json_t *a = json_array();
		for (long i = 0; i < n; i++)
			json_array_append_new(a, ds_visit_effect_json(&r[i]));
		cli_print_json(a);
		return;
	}
	if (f == F_CSV)
		printf("%s,treated,held_out,paid_treated_yuan,paid_held_out_yuan,effect_yuan,lo,hi,"
		       "extra_cost_yuan,cost_per_yuan,verdict\n",
		       ds_report_by_name(by));
	else
		printf("%-16s %8s %8s %10s %10s %10s %21s %10s %8s  %s\n", ds_report_by_name(by),
		       "treated", "held out", "paid (t)", "paid (h)", "effect", "95% interval",
		       "extra cost", "cost/yuan", "verdict");
	for (long i = 0; i < n; i++) {
		const struct ds_visit_effect *x = &r[i];
		if (f == F_CSV) {
			csv_text(x->segment);
			printf(",%ld,%ld,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.4f,%s\n", x->treated,
			       x->held_out, x->paid_treated, x->paid_held_out, x->effect, x->lo,
			       x->hi, x->extra_cost, x->cost_per_yuan,
			       ds_visit_verdict_name(x->verdict));
		} else {
			printf("%-16s %8ld %8ld %10.2f %10.2f %10.2f %10.2f..%-9.2f %10.2f %8.3f  "
			       "%s\n",
			       x->segment, x->treated, x->held_out, x->paid_treated,
			       x->paid_held_out, x->effect, x->lo, x->hi, x->extra_cost,
			       x->cost_per_yuan, ds_visit_verdict_name(x->verdict));
		}
	}
}

static void driver_table(const char *title, const struct ds_driver *c, int k, bool ok,
                         const char *why)
{
	printf("%s\n", title);
	if (!ok) {
		printf("  not estimated: %s\n", why);
		return;
	}
	printf("  %-22s %10s %10s %23s %8s\n", "", "coef", "se", "95% interval", "p");
	for (int i = 0; i < k; i++)
		if (c[i].dropped)
			printf("  %-22s (does not vary among these visits: left out)\n", c[i].name);
		else
			printf("  %-22s %10.4f %10.4f %10.4f..%-11.4f %8.4f\n", c[i].name,
			       c[i].coef, c[i].se, c[i].lo, c[i].hi, c[i].p);
}

static void drivers_print(const struct ds_drivers *r)
{
	printf("visits: %ld, each followed %d days; cured %.1f%%, paid %.2f yuan on average\n",
	       r->n, r->horizon, 100 * r->cure_rate, r->paid_mean);
	driver_table("cured (logistic, log-odds; robust standard errors):", r->cure, r->k,
	             r->cure_ok, r->cure_why);
	driver_table("yuan paid (linear; robust standard errors):", r->paid, r->k, r->paid_ok,
	             r->paid_why);
	printf("observational: the visits were not assigned to attitudes, communities or "
	       "collectors at random; these are associations, not effects\n");
}

/* A chart to --out or stdout. */
static ds_err svg_out(const char *title, const char *const *labels, const double *v, int n,
                      const char *unit, const char *path, struct ds_diag *d)
{
	struct ds_buf b;
	ds_buf_init(&b, 1 << 20);
	ds_err err = ds_report_svg_bars(title, labels, v, n, unit, &b, d);
	if (!err) {
		FILE *f = path ? fopen(path, "wb") : stdout;
		bool bad = !f || fwrite(b.p, 1, b.len, f) != b.len;
		if (path && f && fclose(f) != 0)
			bad = true;
		if (bad)
			err = ds_diag_set(d, DS_EIO, path, 0, NULL, "cannot write the chart");
	}
	ds_buf_free(&b);
	return err;
}

/* The manager's workbook or PDF report: the KPIs, the roll rates, the
 * visit experiment read per quadrant as of --to (and, in the PDF, the
 * literacy events). */
static ds_err pack_out(ds_store *st, const struct ds_kpi *r, long n, ds_date from, ds_date to,
                       ds_report_by by, const char *experiment, int horizon, long window,
                       enum format f, const char *path, struct ds_diag *d)
{
	struct ds_roll_matrix roll;
	struct ds_visit_effect *e = NULL;
	struct ds_literacy_effect lit;
	long ne = 0;
	ds_err err = ds_report_roll_rates(st, from, to, &roll, d);
	if (!err)
		err = ds_report_visit_effect(st, experiment, horizon, to, DS_BY_QUADRANT, &e, &ne,
		                             d);
	if (!err && f == F_PDF)
		err = ds_report_literacy(st, to, (int)window, &lit, d);
	if (!err) {
		struct ds_report_pack p = { .from = from,
			                    .to = to,
			                    .by = by,
			                    .kpi = r,
			                    .nkpi = n,
			                    .roll = &roll,
			                    .effect = e,
			                    .neffect = ne,
			                    .effect_by = DS_BY_QUADRANT,
			                    .literacy = f == F_PDF ? &lit : NULL,
			                    .experiment = experiment,
			                    .horizon = horizon };
		err = f == F_PDF ? ds_report_pdf(&p, to, path, d) : ds_report_xlsx(&p, path, d);
	}
	ds_free(e);
	return err;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("report");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(
			        cmd, "a report is needed: kpi, roll, visits, literacy or drivers");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "by", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'o' },
		{ "experiment", required_argument, NULL, 'e' },
		{ "horizon", required_argument, NULL, 'h' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "window", required_argument, NULL, 'w' },
		{ "out", required_argument, NULL, 'O' },
		{ 0, 0, 0, 0 },
	};
	const char *from_arg = NULL, *to_arg = NULL, *experiment = "visit-holdout";
	long horizon = 30, window = 90;
	const char *out_path = NULL;
	ds_report_by by = DS_BY_ALL;
	enum format f = c->json ? F_JSON : F_TABLE;
	int ch;
	optind = 0;
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			from_arg = optarg;
			break;
		case 't':
			to_arg = optarg;
			break;
		case 'b':
			if (ds_report_by_parse(optarg, &by))
				return cli_usage(cmd, "--by: all, treatment, bucket, quadrant, "
				                      "community, team, collector or arm");
			break;
		case 'e':
			experiment = optarg;
			break;
		case 'h': {
			char *end;
			horizon = strtol(optarg, &end, 10);
			if (end == optarg || *end || horizon < 1 || horizon > 365)
				return cli_usage(cmd, "--horizon: days, 1 to 365");
			break;
		}
		case 'a':
			to_arg = optarg;
			break;
		case 'O':
			out_path = optarg;
			break;
		case 'w': {
			char *end;
			window = strtol(optarg, &end, 10);
			if (end == optarg || *end || window < 7 || window > 365)
				return cli_usage(cmd, "--window: days, 7 to 365");
			break;
		}
		case 'o':
			if (strcmp(optarg, "table") == 0)
				f = F_TABLE;
			else if (strcmp(optarg, "json") == 0)
				f = F_JSON;
			else if (strcmp(optarg, "csv") == 0)
				f = F_CSV;
			else if (strcmp(optarg, "xlsx") == 0)
				f = F_XLSX;
			else if (strcmp(optarg, "pdf") == 0)
				f = F_PDF;
			else if (strcmp(optarg, "svg") == 0)
				f = F_SVG;
			else
				return cli_usage(cmd,
				                 "--format: table, json, csv, xlsx, pdf or svg");
			break;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	const char *name = argv[0];
	bool kpi = strcmp(name, "kpi") == 0, visits = strcmp(name, "visits") == 0,
	     literacy = strcmp(name, "literacy") == 0, drivers = strcmp(name, "drivers") == 0;
	if (!kpi && !visits && !literacy && !drivers && strcmp(name, "roll") != 0)
		return cli_usage(cmd, "unknown report \"%s\"", name);
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
	ds_date from = 0, to;
	if (!visits && !literacy && (!from_arg || ds_date_parse(from_arg, &from)))
		return cli_usage(cmd, "--from: a date YYYY-MM-DD is needed");
	int rc = cli_as_of(c, to_arg, &to);
	if (rc)
		return rc;
	if (!visits && !literacy && to < from)
		return cli_usage(cmd, "--to comes before --from");
	if (visits && by != DS_BY_ALL && by != DS_BY_BUCKET && by != DS_BY_QUADRANT &&
	    by != DS_BY_COMMUNITY)
		return cli_usage(cmd, "--by: all, bucket, quadrant or community for visits");
	if (f == F_XLSX && (!kpi || !out_path))
		return cli_usage(cmd, "--format xlsx: the kpi report, with --out FILE.xlsx");
	if (f == F_PDF && (!kpi || !out_path))
		return cli_usage(cmd, "--format pdf: the kpi report, with --out FILE.pdf");
	if (f == F_SVG && !kpi && !visits)
		return cli_usage(cmd, "--format svg: the kpi or visits report");
	if (drivers && f != F_TABLE && f != F_JSON)
		return cli_usage(cmd, "--format: table or json for drivers");
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st)))
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err;
	if (drivers) {
		struct ds_drivers r;
		if (!(err = ds_report_drivers(st, from, to, (int)horizon, &r, &d))) {
			if (f == F_JSON)
				cli_print_json(ds_drivers_json(&r));
			else
				drivers_print(&r);
		}
	} else if (literacy) {
		struct ds_literacy_effect e;
		if (!(err = ds_report_literacy(st, to, (int)window, &e, &d))) {
			if (f == F_JSON)
				cli_print_json(ds_literacy_json(&e));
			else
				printf("literacy events read: %ld (%ld event communities, %ld "
				       "others)\n"
				       "new delinquency, %ld days before and after:\n"
				       "  event communities  %.4f -> %.4f\n"
				       "  the others         %.4f -> %.4f\n"
				       "  difference in differences %+.4f (95%% interval "
				       "%+.4f..%+.4f; "
				       "observational)\n",
				       e.events, e.treated_units, e.control_units, window,
				       e.before_treated, e.after_treated, e.before_control,
				       e.after_control, e.did, e.lo, e.hi);
		}
	} else if (visits) {
		struct ds_visit_effect *r = NULL;
		long n = 0;
		if (!(err = ds_report_visit_effect(st, experiment, (int)horizon, to, by, &r, &n,
		                                   &d))) {
			if (f == F_SVG) {
				const char **labels = ds_calloc((size_t)n + 1, sizeof *labels);
				double *v = ds_calloc((size_t)n + 1, sizeof *v);
				for (long i = 0; labels && v && i < n; i++) {
					labels[i] = r[i].segment;
					v[i] = r[i].effect;
				}
				err = labels && v
				              ? svg_out("上门效果（元/户）Visit effect per account",
				                        labels, v, (int)n, "yuan", out_path, &d)
				              : ds_diag_set(&d, DS_ENOMEM, NULL, 0, NULL,
				                            "out of memory");
				ds_free(labels);
				ds_free(v);
			} else {
				effect_print(r, n, by, f);
			}
		}
		ds_free(r);
	} else if (kpi) {
		struct ds_kpi *r = NULL;
		long n = 0;
		if (!(err = ds_report_kpis(st, from, to, by, &r, &n, &d))) {
			if (f == F_XLSX || f == F_PDF) {
				err = pack_out(st, r, n, from, to, by, experiment, (int)horizon,
				               window, f, out_path, &d);
			} else if (f == F_SVG) {
				const char **labels = ds_calloc((size_t)n + 1, sizeof *labels);
				double *v = ds_calloc((size_t)n + 1, sizeof *v);
				for (long i = 0; labels && v && i < n; i++) {
					labels[i] = r[i].group;
					v[i] = 100 * r[i].recovery_rate;
				}
				err = labels && v ? svg_out("回收率 Recovery rate", labels, v,
				                            (int)n, "%", out_path, &d)
				                  : ds_diag_set(&d, DS_ENOMEM, NULL, 0, NULL,
				                                "out of memory");
				ds_free(labels);
				ds_free(v);
			} else if (f == F_JSON) {
				json_t *a = json_array();
				for (long i = 0; i < n; i++)
					json_array_append_new(a, ds_kpi_json(&r[i]));
				cli_print_json(a);
			} else {
				kpi_print(r, n, by, f);
			}
		}
		ds_free(r);
	} else {
		struct ds_roll_matrix m;
		if (!(err = ds_report_roll_rates(st, from, to, &m, &d)))
			roll_print(&m, f);
	}
	ds_store_close(st);
	return err ? cli_fail(c, err, &d) : EXIT_OK;
}

const struct cli_command cli_cmd_report = {
	"report",
	"what the work did over a period: KPIs by any grouping, roll rates",
	"report kpi --from D [--to D] [--by G] [--format table|json|csv|svg]\n"
	"       report kpi --from D [--to D] [--by G] --format xlsx|pdf --out FILE\n"
	"       report roll --from D [--to D] [--format table|json|csv]\n"
	"       report visits [--as-of D] [--by all|bucket|quadrant|community]\n"
	"                     [--experiment ID] [--horizon DAYS] [--format table|json|csv|svg]\n"
	"       report literacy [--as-of D] [--window DAYS] [--format table|json]\n"
	"       report drivers --from D [--to D] [--horizon DAYS] [--format table|json]",
	"kpi: over the days after --from through --to (today), the accounts past\n"
	"due as of --from: recovered amount and rate, cure rate, promises made and\n"
	"kept, cost, net recovery, cost to collect, complaints and incidents per\n"
	"1,000 contacts, per group and in total. --by: all (default), treatment,\n"
	"bucket, quadrant, community, team, collector or arm.\n"
	"roll: the open accounts by bucket as of --from (rows) and --to (columns),\n"
	"with the share that rolled to a worse bucket.\n"
	"visits: is door-to-door useful? The visit experiment (visit-holdout) per\n"
	"segment: what the visit policy added to what an account paid within the\n"
	"horizon (30 days) against the held-out accounts, with a 95% interval,\n"
	"the extra cost per account, the cost of an incremental yuan, and a\n"
	"verdict: worth it, not worth it, harm, unclear, or not enough data (an\n"
	"arm under 30 accounts).\n"
	"drivers: what drives results: the visits with an outcome, each followed\n"
	"--horizon days, against the borrower's attitude, the community's\n"
	"cooperation and the collector's training and experience, with controls\n"
	"(logistic for the cure, linear for the yuan paid, robust standard\n"
	"errors); observational.\n"
	"literacy: financial-literacy events against new delinquency: each\n"
	"event's community against those without an event near it, the\n"
	"difference in differences over --window (90) days before and after,\n"
	"with a 95% interval from resampling communities.\n"
	"CSV cells never start as a formula. xlsx: the manager's workbook (the\n"
	"KPIs, the roll rates, the visit experiment by quadrant), text always as\n"
	"text. pdf: the same in a report in Chinese (cairo and pango), with a\n"
	"chart of the recovered amounts and the literacy events. svg: a bar chart (kpi: recovery "
	"rate per group; visits: the effect\n"
	"per segment) to --out or standard output. Definitions: docs/reports.md.\n",
	run,
};

/* doorstep summary / dpd: the portfolio's delinquency as of a date. */
#include "cli.h"
#include "doorstep/portfolio.h"

#include <getopt.h>
#include <string.h>

/* Terminal columns a UTF-8 string takes (wide for CJK). */
static int display_width(const char *s)
{
	int w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80)
			w++;
		else if (*p >= 0xE0)
			w += 2; /* three- and four-byte sequences here are CJK */
		else if (*p >= 0xC0)
			w++;
	}
	return w;
}

static void pad(const char *s, int width)
{
	fputs(s, stdout);
	for (int w = display_width(s); w < width; w++)
		fputc(' ', stdout);
}

static void yuan(char *out, size_t n, ds_fen v)
{
	ds_money_format(v, out, n);
}

static int parse_as_of(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                       ds_date *as_of)
{
	static const struct option opts[] = {
		{ "as-of", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *arg = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'a')
			arg = optarg;
		else if (ch == 'h') {
			cli_help(cmd, stdout);
			return -1;
		} else
			return cli_usage(cmd, "bad option");
	}
	return cli_as_of(c, arg, as_of);
}

static int run_summary(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("summary");
	ds_date as_of;
	int rc = parse_as_of(c, cmd, argc, argv, &as_of);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st)))
		return rc;
	struct ds_summary_row *rows;
	size_t n;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_portfolio_summary(st, as_of, &rows, &n, &d);
	ds_store_close(st);
	if (err)
		return cli_fail(c, err, &d);
	char day[11];
	ds_date_format(as_of, day);
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			json_t *b = json_object();
			for (int k = 0; k < DS_BUCKETS; k++)
				json_object_set_new(
				        b, ds_bucket_name(k),
				        json_pack("{s:i, s:I, s:I}", "accounts",
				                  (int)rows[i].accounts[k], "overdue_fen",
				                  (json_int_t)rows[i].overdue_fen[k], "balance_fen",
				                  (json_int_t)rows[i].balance_fen[k]));
			json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:o}", "community_id",
			                                     rows[i].community_id, "community",
			                                     rows[i].community_name, "total",
			                                     i == n - 1, "buckets", b));
		}
		cli_print_json(json_pack("{s:s, s:o}", "as_of", day, "communities", arr));
		ds_free(rows);
		return EXIT_OK;
	}
	printf("Overdue summary as of %s (open accounts by bucket; overdue in yuan)\n\n", day);
	pad("community", 22);
	for (int k = 0; k < DS_BUCKETS; k++)
		printf("%7s", ds_bucket_name(k));
	printf("%16s\n", "overdue");
	for (size_t i = 0; i < n; i++) {
		if (i == n - 1) {
			for (int k = 0; k < 22 + 7 * DS_BUCKETS + 16; k++)
				fputc('-', stdout);
			fputc('\n', stdout);
		}
		char label[200];
		snprintf(label, sizeof label, "%s%s%s", rows[i].community_id,
		         rows[i].community_id[0] ? " " : "", rows[i].community_name);
		pad(i == n - 1 ? "total" : label, 22);
		ds_fen overdue = 0;
		for (int k = 0; k < DS_BUCKETS; k++) {
			printf("%7ld", rows[i].accounts[k]);
			overdue += rows[i].overdue_fen[k];
		}
		char m[32];
		yuan(m, sizeof m, overdue);
		printf("%16s\n", m);
	}
	ds_free(rows);
	return EXIT_OK;
}

struct dpd_ctx {
	struct cli *c;
	char **only;
	int nonly;
	json_t *arr;
	long shown;
};

static ds_err print_dpd(void *ctx, const struct ds_account_dpd *a)
{
	struct dpd_ctx *x = ctx;
	if (x->nonly) {
		bool want = false;
		for (int i = 0; i < x->nonly && !want; i++)
			want = strcmp(x->only[i], a->account_id) == 0;
		if (!want)
			return DS_OK;
	} else if (a->d.dpd == 0) {
		return DS_OK;
	}
	char day[11] = "";
	if (a->d.dpd)
		ds_date_format(a->d.oldest_unpaid, day);
	char m[32];
	ds_money_format(a->d.overdue_fen, m, sizeof m);
	if (x->arr)
		json_array_append_new(x->arr, json_pack("{s:s, s:i, s:s, s:I, s:s*}", "account_id",
		                                        a->account_id, "dpd", a->d.dpd, "bucket",
		                                        ds_bucket_name(a->d.bucket), "overdue_fen",
		                                        (json_int_t)a->d.overdue_fen,
		                                        "oldest_unpaid", a->d.dpd ? day : NULL));
	else
		printf("%-16s %5d  %-4s %14s  %s\n", a->account_id, a->d.dpd,
		       ds_bucket_name(a->d.bucket), m, day);
	x->shown++;
	return DS_OK;
}

static int run_dpd(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("dpd");
	ds_date as_of;
	int rc = parse_as_of(c, cmd, argc, argv, &as_of);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st)))
		return rc;
	struct dpd_ctx x = { c, argv + optind, argc - optind, c->json ? json_array() : NULL, 0 };
	if (!x.arr)
		printf("%-16s %5s  %-4s %14s  %s\n", "account", "dpd", "bkt", "overdue",
		       "oldest unpaid due");
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_portfolio_each(st, as_of, print_dpd, &x, &d);
	ds_store_close(st);
	if (err) {
		json_decref(x.arr);
		return cli_fail(c, err, &d);
	}
	if (x.arr)
		cli_print_json(x.arr);
	if (x.nonly && x.shown < x.nonly) {
		fprintf(stderr, "doorstep: %ld of %d accounts not found among open accounts\n",
		        x.nonly - x.shown, x.nonly);
		return EXIT_REJECTED;
	}
	return EXIT_OK;
}

const struct cli_command cli_cmd_summary = {
	"summary",
	"overdue summary by community and bucket (M0-M7+)",
	"summary [--as-of YYYY-MM-DD]",
	"Counts open accounts per delinquency bucket for each community, with the\n"
	"overdue amount, as of a date (default: today in the configured zone).\n"
	"Buckets: M0 current, M1 1-30 days past due, M2 31-60, ... M6 151-180,\n"
	"M7+ over 180.\n",
	run_summary,
};

const struct cli_command cli_cmd_dpd = {
	"dpd",
	"days past due per account as of a date",
	"dpd [--as-of YYYY-MM-DD] [ACCOUNT...]",
	"Lists the given accounts, or every delinquent open account, with days past\n"
	"due, bucket, overdue amount and the oldest unpaid due date. Derived from\n"
	"the due schedule and the payments booked on or before the date (oldest\n"
	"installment settled first); accounts without a schedule use the bank's\n"
	"reported overdue figures less later payments.\n",
	run_dpd,
};

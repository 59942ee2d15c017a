/*
 * doorstep installment calc|offer|decide|track|show: installment plans
 * (分期还款), docs/installments.md. The rules (limits by role,
 * maker-checker, affordability, adherence) are the library's
 * (lib/field/plans.c); this file parses, reports and maps refusals to exit
 * codes: a malformed argument is a usage error (2), terms or an action the
 * plan rules refuse are rejected input (1).
 */
#include "cli.h"

#include "doorstep/field.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every option of the subcommands; each subcommand allows some of them. */
enum {
	O_BALANCE = 1 << 0,
	O_INSTALLMENTS = 1 << 1,
	O_FIRST_DUE = 1 << 2,
	O_WAIVER = 1 << 3,
	O_WAIVER_KIND = 1 << 4,
	O_VISIT = 1 << 5,
	O_OVERRIDE = 1 << 6,
	O_NOTE = 1 << 7,
	O_AS_OF = 1 << 8,
	O_AT = 1 << 9,
	O_CONSECUTIVE = 1 << 10,
};

struct args {
	unsigned seen;
	const char *balance, *installments, *first_due, *waiver, *waiver_kind, *visit, *note,
	        *as_of, *at, *consecutive;
	int npos;
	char **pos;
};

static const struct {
	unsigned bit;
	const char *name;
} names[] = {
	{ O_BALANCE, "--balance" },
	{ O_INSTALLMENTS, "--installments" },
	{ O_FIRST_DUE, "--first-due" },
	{ O_WAIVER, "--waiver" },
	{ O_WAIVER_KIND, "--waiver-kind" },
	{ O_VISIT, "--visit" },
	{ O_OVERRIDE, "--override-affordability" },
	{ O_NOTE, "--note" },
	{ O_AS_OF, "--as-of" },
	{ O_CONSECUTIVE, "--consecutive" },
	{ O_AT, "--at" },
};

/* Parses argv (argv[0] the subcommand); returns an exit code, 0: go on. */
static int parse(const struct cli_command *cmd, const char *sub, unsigned allowed, int argc,
                 char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "balance", required_argument, NULL, 'b' },
		{ "installments", required_argument, NULL, 'n' },
		{ "first-due", required_argument, NULL, 'f' },
		{ "waiver", required_argument, NULL, 'w' },
		{ "waiver-kind", required_argument, NULL, 'k' },
		{ "visit", required_argument, NULL, 'v' },
		{ "override-affordability", no_argument, NULL, 'o' },
		{ "note", required_argument, NULL, 'N' },
		{ "as-of", required_argument, NULL, 'A' },
		{ "at", required_argument, NULL, 't' },
		{ "consecutive", required_argument, NULL, 'c' },
		{ 0, 0, 0, 0 },
	};
	memset(a, 0, sizeof *a);
	optind = 0;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		unsigned bit = 0;
		switch (ch) {
		case 'b':
			bit = O_BALANCE;
			a->balance = optarg;
			break;
		case 'n':
			bit = O_INSTALLMENTS;
			a->installments = optarg;
			break;
		case 'f':
			bit = O_FIRST_DUE;
			a->first_due = optarg;
			break;
		case 'w':
			bit = O_WAIVER;
			a->waiver = optarg;
			break;
		case 'k':
			bit = O_WAIVER_KIND;
			a->waiver_kind = optarg;
			break;
		case 'v':
			bit = O_VISIT;
			a->visit = optarg;
			break;
		case 'o':
			bit = O_OVERRIDE;
			break;
		case 'N':
			bit = O_NOTE;
			a->note = optarg;
			break;
		case 'A':
			bit = O_AS_OF;
			a->as_of = optarg;
			break;
		case 't':
			bit = O_AT;
			a->at = optarg;
			break;
		case 'c':
			bit = O_CONSECUTIVE;
			a->consecutive = optarg;
			break;
		default:
			return cli_usage(cmd, "%s: unknown option or missing value: \"%s\"", sub,
			                 argv[optind - 1]);
		}
		if (!(allowed & bit)) {
			const char *n = "";
			for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
				if (names[i].bit == bit)
					n = names[i].name;
			return cli_usage(cmd, "%s takes no %s", sub, n);
		}
		a->seen |= bit;
	}
	a->npos = argc - optind;
	a->pos = argv + optind;
	return EXIT_OK;
}

static bool parse_yuan(const char *s, ds_fen *out)
{
	return s && ds_money_parse(s, out) == DS_OK;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	if (!s || !*s)
		return false;
	char *e;
	long v = strtol(s, &e, 10);
	if (*e || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/*
 * The plan's terms from the options: --installments, --first-due and
 * (unless balance_optional) --balance required; a waiver with its kind.
 * Only the form is checked here; the plan rules check the values.
 */
static int terms_of(const struct cli_command *cmd, const struct args *a, bool balance_optional,
                    struct ds_plan_terms *t, bool *has_balance)
{
	memset(t, 0, sizeof *t);
	*has_balance = a->balance != NULL;
	if (!a->balance && !balance_optional)
		return cli_usage(cmd, "--balance: required (yuan, e.g. 12000.50)");
	if (a->balance && !parse_yuan(a->balance, &t->balance_fen))
		return cli_usage(cmd, "--balance: not an amount in yuan: \"%s\"", a->balance);
	if (!a->installments)
		return cli_usage(cmd, "--installments: required (1 to %d)",
		                 DS_PLAN_MAX_INSTALLMENTS);
	long n;
	if (!parse_long(a->installments, -1000000, 1000000, &n))
		return cli_usage(cmd, "--installments: not a whole number: \"%s\"",
		                 a->installments);
	t->installments = (int)n;
	if (!a->first_due)
		return cli_usage(cmd, "--first-due: required (YYYY-MM-DD)");
	if (ds_date_parse(a->first_due, &t->first_due))
		return cli_usage(cmd, "--first-due: not a date (YYYY-MM-DD): \"%s\"", a->first_due);
	if (a->waiver && !parse_yuan(a->waiver, &t->waiver_fen))
		return cli_usage(cmd, "--waiver: not an amount in yuan: \"%s\"", a->waiver);
	t->waiver_kind = a->waiver_kind;
	return EXIT_OK;
}

/* The library's refusal as the command reports it: the field named as
 * the option it came from; refused terms and actions are rejected input
 * (1), anything else a failure (3). */
static int refused(struct cli *c, ds_err err, struct ds_diag *d)
{
	static const struct {
		const char *field, *option;
	} opt[] = {
		{ "balance", "--balance" },
		{ "waiver", "--waiver" },
		{ "waiver_kind", "--waiver-kind" },
		{ "installments", "--installments" },
		{ "first_due", "--first-due" },
		{ "visit", "--visit" },
		{ "note", "--note" },
	};
	for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
		if (strcmp(d->field, opt[i].field) == 0)
			ds_strlcpy(d->field, opt[i].option, sizeof d->field);
	char *hint = strcmp(d->field, "affordability") == 0 ? strstr(d->msg, "(an override") : NULL;
	if (hint)
		ds_strlcpy(hint, "(--override-affordability offers it anyway, recorded)",
		           sizeof d->msg - (size_t)(hint - d->msg));
	bool rejected = err == DS_EINVAL || err == DS_ENOTFOUND || err == DS_EREJECT;
	return cli_fail(c, rejected ? DS_EREJECT : err, d);
}

static bool parse_at(struct cli *c, const char *arg, ds_time *out)
{
	if (!arg) {
		*out = (ds_time)time(NULL);
		return true;
	}
	return ds_time_parse(arg, ds_config_str(&c->cfg, DS_CFG_TIMEZONE), out) == DS_OK;
}

static void print_schedule(const struct ds_plan_schedule *s, const ds_fen *paid,
                           const char (*status)[16])
{
	if (paid)
		printf("%4s  %-10s  %12s  %12s  %s\n", "seq", "due", "amount", "paid", "status");
	else
		printf("%4s  %-10s  %12s\n", "seq", "due", "amount");
	for (int i = 0; i < s->n; i++) {
		char due[11], amt[32], p[32];
		ds_date_format(s->due[i], due);
		ds_money_format(s->amount[i], amt, sizeof amt);
		if (paid) {
			ds_money_format(paid[i], p, sizeof p);
			printf("%4d  %-10s  %12s  %12s  %s\n", i + 1, due, amt, p, status[i]);
		} else {
			printf("%4d  %-10s  %12s\n", i + 1, due, amt);
		}
	}
}

/* ----------------------------------------------------------------- calc */

static int calc(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	struct args a;
	int rc = parse(cmd, "calc",
	               O_BALANCE | O_INSTALLMENTS | O_FIRST_DUE | O_WAIVER | O_WAIVER_KIND, argc,
	               argv, &a);
	if (rc)
		return rc;
	if (a.npos)
		return cli_usage(cmd, "calc takes no argument, not \"%s\"", a.pos[0]);
	struct ds_plan_terms t;
	bool has_balance;
	if ((rc = terms_of(cmd, &a, false, &t, &has_balance)))
		return rc;
	struct ds_plan_schedule s;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_plan_calculate(&t, &s, &d);
	if (err)
		return refused(c, err, &d);
	if (c->json) {
		json_t *arr = json_array();
		for (int i = 0; i < s.n; i++) {
			char due[11];
			ds_date_format(s.due[i], due);
			json_array_append_new(arr, json_pack("{s:i, s:s, s:I}", "seq", i + 1,
			                                     "due_date", due, "amount_fen",
			                                     (json_int_t)s.amount[i]));
		}
		cli_print_json(
		        json_pack("{s:I, s:I, s:s?, s:I, s:i, s:o}", "balance_fen",
		                  (json_int_t)t.balance_fen, "waiver_fen", (json_int_t)t.waiver_fen,
		                  "waiver_kind", t.waiver_fen ? t.waiver_kind : NULL, "total_fen",
		                  (json_int_t)s.total, "installments", s.n, "schedule", arr));
		return EXIT_OK;
	}
	print_schedule(&s, NULL, NULL);
	char total[32], bal[32], wv[32];
	ds_money_format(s.total, total, sizeof total);
	ds_money_format(t.balance_fen, bal, sizeof bal);
	ds_money_format(t.waiver_fen, wv, sizeof wv);
	if (t.waiver_fen)
		printf("total %s yuan in %d installments (balance %s less %s waived of %s)\n",
		       total, s.n, bal, wv, t.waiver_kind);
	else
		printf("total %s yuan in %d installments\n", total, s.n);
	return EXIT_OK;
}

/* ----------------------------------------------------------------- show */

/* Prints plan `id` (text, or JSON with c->json); DS_ENOTFOUND if none. */
static ds_err show_plan(struct cli *c, ds_store *st, long id, struct ds_diag *d)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT account_id, status, coalesce(balance_fen, total_fen + waiver_fen), "
	        "waiver_fen,"
	        " waiver_kind, total_fen, created_by, created_at, approved_by, approved_at,"
	        " status_at, visit_id, coalesce(affordability, '') FROM plans WHERE plan_id = ?",
	        &s, d);
	if (err)
		return err;
	ds_stmt_bind_int(s, 1, id);
	bool row = false;
	char account[128] = "", status[32] = "", kind[32] = "", maker[128] = "", checker[128] = "";
	char aff[1024] = "";
	ds_fen balance = 0, waiver = 0, total = 0;
	ds_time created = 0, approved = 0, changed = 0;
	long visit = 0;
	if (!(err = ds_stmt_step(s, &row, d)) && row) {
		ds_strlcpy(account, ds_stmt_text(s, 0), sizeof account);
		ds_strlcpy(status, ds_stmt_text(s, 1), sizeof status);
		balance = ds_stmt_int(s, 2);
		waiver = ds_stmt_int(s, 3);
		ds_strlcpy(kind, ds_stmt_text(s, 4), sizeof kind);
		total = ds_stmt_int(s, 5);
		ds_strlcpy(maker, ds_stmt_text(s, 6), sizeof maker);
		created = ds_stmt_int(s, 7);
		ds_strlcpy(checker, ds_stmt_text(s, 8), sizeof checker);
		approved = ds_stmt_int(s, 9);
		changed = ds_stmt_int(s, 10);
		visit = (long)ds_stmt_int(s, 11);
		ds_strlcpy(aff, ds_stmt_text(s, 12), sizeof aff);
	}
	ds_stmt_done(s);
	if (err)
		return err;
	if (!row)
		return ds_diag_set(d, DS_ENOTFOUND, NULL, 0, "plan", "no plan %ld", id);

	struct ds_plan_schedule sch;
	memset(&sch, 0, sizeof sch);
	ds_fen paid[DS_PLAN_MAX_INSTALLMENTS];
	char st_of[DS_PLAN_MAX_INSTALLMENTS][16];
	if ((err = ds_store_prepare(st,
	                            "SELECT due_date, amount_fen, paid_fen, status"
	                            " FROM plan_installments WHERE plan_id = ? ORDER BY seq",
	                            &s, d)))
		return err;
	ds_stmt_bind_int(s, 1, id);
	while (sch.n < DS_PLAN_MAX_INSTALLMENTS && !(err = ds_stmt_step(s, &row, d)) && row) {
		if (ds_date_parse(ds_stmt_text(s, 0), &sch.due[sch.n]))
			sch.due[sch.n] = 0;
		sch.amount[sch.n] = ds_stmt_int(s, 1);
		paid[sch.n] = ds_stmt_int(s, 2);
		ds_strlcpy(st_of[sch.n], ds_stmt_text(s, 3), sizeof st_of[0]);
		sch.n++;
	}
	ds_stmt_done(s);
	if (err)
		return err;

	char created_s[21], approved_s[21] = "", changed_s[21] = "";
	ds_time_format_utc(created, created_s);
	if (approved)
		ds_time_format_utc(approved, approved_s);
	if (changed)
		ds_time_format_utc(changed, changed_s);
	if (c->json) {
		json_t *arr = json_array();
		for (int i = 0; i < sch.n; i++) {
			char due[11];
			ds_date_format(sch.due[i], due);
			json_array_append_new(arr,
			                      json_pack("{s:i, s:s, s:I, s:I, s:s}", "seq", i + 1,
			                                "due_date", due, "amount_fen",
			                                (json_int_t)sch.amount[i], "paid_fen",
			                                (json_int_t)paid[i], "status", st_of[i]));
		}
		json_t *a = aff[0] ? json_loads(aff, 0, NULL) : NULL;
		cli_print_json(json_pack(
		        "{s:I, s:s, s:s, s:I, s:I, s:s?, s:I, s:i, s:s, s:s, s:s?, s:s?, s:s?, s:o,"
		        " s:o, s:o}",
		        "plan_id", (json_int_t)id, "account_id", account, "status", status,
		        "balance_fen", (json_int_t)balance, "waiver_fen", (json_int_t)waiver,
		        "waiver_kind", kind[0] ? kind : NULL, "total_fen", (json_int_t)total,
		        "installments", sch.n, "created_by", maker, "created_at", created_s,
		        "approved_by", checker[0] ? checker : NULL, "approved_at",
		        approved ? approved_s : NULL, "status_at", changed ? changed_s : NULL,
		        "visit_id", visit ? json_integer(visit) : json_null(), "affordability",
		        a ? a : json_null(), "schedule", arr));
		return DS_OK;
	}
	char bal[32], wv[32], tot[32];
	ds_money_format(balance, bal, sizeof bal);
	ds_money_format(waiver, wv, sizeof wv);
	ds_money_format(total, tot, sizeof tot);
	printf("plan %ld on %s: %s\n", id, account, status);
	if (waiver)
		printf("  balance %s, %s %s waived: %s yuan in %d installments\n", bal, kind, wv,
		       tot, sch.n);
	else
		printf("  balance %s yuan in %d installments\n", tot, sch.n);
	printf("  offered by %s at %s", maker, created_s);
	if (checker[0])
		printf("; approved by %s at %s", checker, approved_s);
	if (visit)
		printf("; visit %ld", visit);
	printf("\n");
	json_t *a = aff[0] ? json_loads(aff, 0, NULL) : NULL;
	const char *why = a ? json_string_value(json_object_get(a, "why")) : NULL;
	if (why)
		printf("  affordability: %s%s\n", why,
		       json_is_true(json_object_get(a, "override")) ? " (overridden)" : "");
	json_decref(a);
	print_schedule(&sch, paid, (const char(*)[16])st_of);
	return DS_OK;
}

static bool plan_id_of(const char *s, long *id)
{
	return parse_long(s, 1, 2147483647L, id);
}

static int show(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	struct args a;
	int rc = parse(cmd, "show", 0, argc, argv, &a);
	if (rc)
		return rc;
	long id;
	if (a.npos != 1)
		return cli_usage(cmd, "show needs one plan id");
	if (!plan_id_of(a.pos[0], &id))
		return cli_usage(cmd, "not a plan id: \"%s\"", a.pos[0]);
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st)))
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = show_plan(c, st, id, &d);
	ds_store_close(st);
	return err ? refused(c, err, &d) : EXIT_OK;
}

/* ---------------------------------------------------------------- offer */

/* The account's balance as the bank last reported it (accounts.balance_fen). */
static ds_err account_balance(ds_store *st, const char *account, ds_fen *out, struct ds_diag *d)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st, "SELECT balance_fen FROM accounts WHERE account_id = ?",
	                              &s, d);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, account);
	bool row = false;
	if (!(err = ds_stmt_step(s, &row, d)) && row)
		*out = ds_stmt_int(s, 0);
	ds_stmt_done(s);
	if (!err && !row)
		err = ds_diag_set(d, DS_ENOTFOUND, NULL, 0, "account", "no account \"%.64s\"",
		                  account);
	return err;
}

static int offer(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	struct args a;
	int rc = parse(cmd, "offer",
	               O_BALANCE | O_INSTALLMENTS | O_FIRST_DUE | O_WAIVER | O_WAIVER_KIND |
	                       O_VISIT | O_OVERRIDE | O_AT,
	               argc, argv, &a);
	if (rc)
		return rc;
	if (a.npos != 1)
		return cli_usage(cmd, "offer needs one account id");
	const char *account = a.pos[0];
	struct ds_plan_terms t;
	bool has_balance;
	if ((rc = terms_of(cmd, &a, true, &t, &has_balance)))
		return rc;
	long visit = 0;
	if (a.visit && !parse_long(a.visit, 1, 2147483647L, &visit))
		return cli_usage(cmd, "--visit: not a visit id: \"%s\"", a.visit);
	ds_time now;
	if (!parse_at(c, a.at, &now))
		return cli_usage(cmd, "--at: not a date or date-time: \"%s\"", a.at);
	struct ds_field_config fc;
	ds_field_config_from(&c->cfg, &fc);
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st)))
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = has_balance ? DS_OK : account_balance(st, account, &t.balance_fen, &d);
	if (!err && !has_balance && t.balance_fen <= 0)
		err = ds_diag_set(&d, DS_EINVAL, NULL, 0, "account",
		                  "account \"%.64s\" has no balance outstanding (--balance gives"
		                  " the amount to repay)",
		                  account);
	long id = 0;
	if (!err)
		err = ds_plan_offer(st, &fc, account, visit, &t, a.seen & O_OVERRIDE, now, &id, &d);
	if (!err && !c->json && !c->quiet)
		printf("plan %ld offered\n", id);
	if (!err && !c->quiet)
		err = show_plan(c, st, id, &d);
	ds_store_close(st);
	return err ? refused(c, err, &d) : EXIT_OK;
}

/* --------------------------------------------------------------- decide */

static int decide(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	struct args a;
	int rc = parse(cmd, "decide", O_NOTE | O_AT, argc, argv, &a);
	if (rc)
		return rc;
	if (a.npos != 2)
		return cli_usage(cmd, "decide needs a plan id and approve or reject");
	long id;
	if (!plan_id_of(a.pos[0], &id))
		return cli_usage(cmd, "not a plan id: \"%s\"", a.pos[0]);
	bool approve = strcmp(a.pos[1], "approve") == 0;
	if (!approve && strcmp(a.pos[1], "reject") != 0)
		return cli_usage(cmd, "decide: approve or reject, not \"%s\"", a.pos[1]);
	if (a.note && strlen(a.note) > 500)
		return cli_usage(cmd, "--note: at most 500 bytes");
	ds_time now;
	if (!parse_at(c, a.at, &now))
		return cli_usage(cmd, "--at: not a date or date-time: \"%s\"", a.at);
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st)))
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_plan_decide(st, id, approve, a.note, now, &d);
	ds_store_close(st);
	if (err)
		return refused(c, err, &d);
	const char *status = approve ? "active" : "rejected";
	if (c->json)
		cli_print_json(json_pack("{s:I, s:s, s:s}", "plan_id", (json_int_t)id, "decision",
		                         approve ? "approved" : "rejected", "status", status));
	else if (!c->quiet)
		printf("plan %ld %s: %s\n", id, approve ? "approved" : "rejected", status);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- track */

/*
 * Plans with a sustained record: active or completed plans with at least
 * `run` consecutive installments paid within their grace. Re-ageing them
 * is the bank's decision under its own policy; doorstep only counts them
 * (docs/installments.md "Re-ageing").
 */
static ds_err reage_qualifying(ds_store *st, int run, long *out, struct ds_diag *d)
{
	*out = 0;
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT i.plan_id, i.status FROM plan_installments i"
	                              " JOIN plans p ON p.plan_id = i.plan_id"
	                              " WHERE p.status = 'active' OR p.status = 'completed'"
	                              " ORDER BY i.plan_id, i.seq",
	                              &s, d);
	if (err)
		return err;
	long plan = 0;
	int streak = 0;
	bool counted = false, row;
	while (!(err = ds_stmt_step(s, &row, d)) && row) {
		long id = (long)ds_stmt_int(s, 0);
		if (id != plan) {
			plan = id;
			streak = 0;
			counted = false;
		}
		streak = strcmp(ds_stmt_text(s, 1), "paid") == 0 ? streak + 1 : 0;
		if (streak >= run && !counted) {
			counted = true;
			(*out)++;
		}
	}
	ds_stmt_done(s);
	return err;
}

static int track(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	struct args a;
	int rc = parse(cmd, "track", O_AS_OF | O_CONSECUTIVE, argc, argv, &a);
	if (rc)
		return rc;
	if (a.npos)
		return cli_usage(cmd, "track takes no argument, not \"%s\"", a.pos[0]);
	long run = 3;
	if (a.consecutive && !parse_long(a.consecutive, 1, DS_PLAN_MAX_INSTALLMENTS, &run))
		return cli_usage(cmd,
		                 "--consecutive: a number of installments from 1 to %d, not \"%s\"",
		                 DS_PLAN_MAX_INSTALLMENTS, a.consecutive);
	ds_date as_of;
	if ((rc = cli_as_of(c, a.as_of, &as_of)))
		return rc;
	struct ds_field_config fc;
	ds_field_config_from(&c->cfg, &fc);
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st)))
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_plan_tally t;
	ds_err err = ds_plans_track(st, &fc, as_of, &t, &d);
	long qualifying = 0;
	if (!err)
		err = reage_qualifying(st, (int)run, &qualifying, &d);
	ds_store_close(st);
	if (err)
		return refused(c, err, &d);
	char day[11];
	ds_date_format(as_of, day);
	if (c->json)
		cli_print_json(json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:{s:i, s:I}}", "as_of",
		                         day, "plans", (json_int_t)t.plans, "on_track",
		                         (json_int_t)t.on_track, "completed",
		                         (json_int_t)t.completed, "broken", (json_int_t)t.broken,
		                         "installments_missed", (json_int_t)t.installments_missed,
		                         "reage_qualifying", "consecutive_paid", (int)run, "plans",
		                         (json_int_t)qualifying));
	else if (!c->quiet) {
		printf("as of %s: %ld active plans tracked: %ld on track, %ld completed,"
		       " %ld broken; %ld installments missed\n",
		       day, t.plans, t.on_track, t.completed, t.broken, t.installments_missed);
		printf("%ld plans with %ld consecutive installments paid on time (re-ageing is the"
		       " bank's decision; not applied)\n",
		       qualifying, run);
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------------ run */

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("installment");
	if (argc < 2)
		return cli_usage(cmd, "need a subcommand: calc, offer, decide, track or show");
	if (cli_wants_help(argc, argv)) {
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "calc") == 0)
		return calc(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "offer") == 0)
		return offer(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "decide") == 0)
		return decide(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "track") == 0)
		return track(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "show") == 0)
		return show(c, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", sub);
}

const struct cli_command cli_cmd_installment = {
	"installment",
	"installment plans: calculate, offer, approve or reject, track, show",
	"installment calc --balance YUAN --installments N --first-due D\n"
	"                   [--waiver YUAN --waiver-kind fees|interest]\n"
	"       installment offer ACCOUNT --installments N --first-due D [--balance YUAN]\n"
	"                   [--waiver YUAN --waiver-kind fees|interest] [--visit ID]\n"
	"                   [--override-affordability] [--at T]\n"
	"       installment decide PLAN approve|reject [--note TEXT] [--at T]\n"
	"       installment track [--as-of D] [--consecutive N]\n"
	"       installment show PLAN",
	"A plan repays the balance, less a waiver of fees or interest, in N equal\n"
	"monthly installments (1 to 60) from the first due date, on the same day\n"
	"of each month or the month's last day; the remainder fen go one each to\n"
	"the first installments. 'calc' prints the schedule without a database.\n"
	"\n"
	"'offer' is made by the acting staff member (DOORSTEP_ACTOR or [general]\n"
	"actor); --balance defaults to the account's balance as the bank reported\n"
	"it. The largest installment must be within [field] affordability_pct of\n"
	"the borrower's declared monthly income (without one: an ability score of\n"
	"at least 0.5), unless --override-affordability (recorded). A collector's\n"
	"plan within [field] collector_plan_limit_fen and\n"
	"collector_max_installments, without a waiver, is active at once, as is a\n"
	"manager's without a waiver; anything else waits for a manager's approval\n"
	"('decide'), never by the one who offered it. Community workers do not\n"
	"offer plans. One active or pending plan per account.\n"
	"\n"
	"'track' judges every active plan as of a date from the account's payments\n"
	"since its approval day (UTC): installments filled in order, missed when\n"
	"unpaid [field] plan_grace_days after their date, the plan broken after\n"
	"plan_missed_to_break missed (with its follow-up task), completed when all\n"
	"are paid. Running it again on the same date changes nothing. It also\n"
	"counts the active or completed plans with --consecutive (default 3)\n"
	"installments in a row paid on time: candidates for re-ageing under the\n"
	"bank's own policy, which doorstep reports but never applies.\n"
	"\n"
	"--at T: when the action is taken (ISO 8601; default now). Amounts are\n"
	"yuan (e.g. 1200.50). Exit 1 when the plan rules refuse the terms or the\n"
	"action, 2 for a malformed argument. See docs/installments.md.\n",
	run,
};

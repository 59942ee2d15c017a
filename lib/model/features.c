/*
 * The features of every account delinquent on a date, from what the store
 * had observed before that date (docs/scoring.md, "Features").
 *
 * Each table is read once, by one SELECT, and merged in memory: the cost
 * grows with the size of the tables, never with a query per account. The
 * schedules and payments come packed, one row an account, from the account
 * ledger, walked alongside the sorted accounts. Contacts are keyed by their
 * own ids, so they are read in stored order and each row finds its account
 * through a hash of the ids: reading them through their (account_id, ...)
 * index instead costs a lookup of the table's B-tree per row, four to five
 * times the whole scan.
 */
#include "doorstep/model.h"
#include "doorstep/portfolio.h"
#include "doorstep/store.h"
#include "model-int.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the list */

enum {
	F_DPD,
	F_OVERDUE,
	F_BALANCE,
	F_INSTALLMENT,
	F_MISSED,
	F_INCOME,
	F_BURDEN,
	F_PAID_RATIO,
	F_DAYS_SINCE_PAYMENT,
	F_PAYMENTS,
	F_PARTIAL,
	F_DPD_30D_AGO,
	F_DPD_TREND,
	F_MAX_DPD,
	F_CALLS,
	F_CALL_REACH,
	F_SMS,
	F_VISITS,
	F_VISIT_MET,
	F_PROMISES,
	F_PROMISE_KEPT,
	F_REFUSALS,
	F_INVALID_NUMBER,
	F_DAYS_SINCE_REACHED,
	F_SITUATION,
	F_ATTITUDE,
	F_PRODUCT,
	F_MONTHS_ON_BOOK,
	F_AGE,
	F_RATE,
	F_COMMUNITY,
	NFEAT
};

static const struct ds_feature_doc docs[NFEAT] = {
	[F_DPD] = { "dpd", "逾期天数", "days past due" },
	[F_OVERDUE] = { "overdue_yuan", "逾期金额（元）", "overdue amount (yuan)" },
	[F_BALANCE] = { "balance_yuan", "贷款余额（元）", "outstanding balance (yuan)" },
	[F_INSTALLMENT] = { "installment_yuan", "每期应还金额（元）", "installment amount (yuan)" },
	[F_MISSED] = { "missed_installments", "逾期期数", "installments overdue" },
	[F_INCOME] = { "income_yuan", "月收入（元）", "monthly income (yuan)" },
	[F_BURDEN] = { "debt_burden", "月供占收入比例", "installment as a share of income" },
	[F_PAID_RATIO] = { "paid_ratio_90d", "近90天还款占应还比例",
	                   "share of the amount due paid in the last 90 days" },
	[F_DAYS_SINCE_PAYMENT] = { "days_since_payment", "距上次还款天数",
	                           "days since the last payment" },
	[F_PAYMENTS] = { "payments_90d", "近90天还款笔数", "payments in the last 90 days" },
	[F_PARTIAL] = { "partial_payments_90d", "近90天不足一期的还款笔数",
	                "payments short of an installment in the last 90 days" },
	[F_DPD_30D_AGO] = { "dpd_30d_ago", "30天前逾期天数", "days past due 30 days ago" },
	[F_DPD_TREND] = { "dpd_trend", "逾期天数30天内的变化",
	                  "change in days past due over 30 days" },
	[F_MAX_DPD] = { "max_dpd_365d", "近一年月末最高逾期天数",
	                "highest days past due at a month end in the last year" },
	[F_CALLS] = { "calls_90d", "近90天催收电话次数", "calls in the last 90 days" },
	[F_CALL_REACH] = { "call_reach_rate_90d", "近90天电话接通率",
	                   "share of calls answered in the last 90 days" },
	[F_SMS] = { "sms_90d", "近90天短信次数", "text messages in the last 90 days" },
	[F_VISITS] = { "visits_90d", "近90天上门次数", "visits in the last 90 days" },
	[F_VISIT_MET] = { "visit_met_rate_90d", "近90天上门见到本人比例",
	                  "share of visits that met the borrower in the last 90 days" },
	[F_PROMISES] = { "promises_90d", "近90天承诺还款次数",
	                 "promises to pay in the last 90 days" },
	[F_PROMISE_KEPT] = { "promise_kept_rate", "承诺还款兑现率", "share of promises kept" },
	[F_REFUSALS] = { "refusals_90d", "近90天拒绝还款或提出异议次数",
	                 "refusals and disputes in the last 90 days" },
	[F_INVALID_NUMBER] = { "invalid_number", "电话号码无效", "phone number invalid" },
	[F_DAYS_SINCE_REACHED] = { "days_since_reached", "距上次联系到本人天数",
	                           "days since the borrower was last reached" },
	[F_SITUATION] = { "last_visit_situation", "最近一次上门了解的情况",
	                  "situation found at the last visit" },
	[F_ATTITUDE] = { "last_visit_attitude", "最近一次上门时的态度",
	                 "attitude at the last visit" },
	[F_PRODUCT] = { "product", "贷款产品", "loan product" },
	[F_MONTHS_ON_BOOK] = { "months_on_book", "开户月数", "months since the account opened" },
	[F_AGE] = { "age_years", "年龄", "age" },
	[F_RATE] = { "rate_pct", "年利率（%）", "annual interest rate (%)" },
	[F_COMMUNITY] = { "community_delinquency", "所在社区逾期率",
	                  "share of accounts past due in the community" },
};

/* +1: the failure (unable or unwilling to pay) grows more likely as the
 * value grows; -1: less likely; 0 where the direction is not clear enough
 * to impose on a model. */
static const signed char directions[NFEAT] = {
	[F_INCOME] = -1,    [F_BURDEN] = +1,  [F_PAID_RATIO] = -1, [F_DAYS_SINCE_PAYMENT] = +1,
	[F_DPD_TREND] = +1, [F_MAX_DPD] = +1, [F_CALL_REACH] = -1, [F_PROMISE_KEPT] = -1,
	[F_REFUSALS] = +1,
};

/*
 * Category lists are fixed here, never learnt from the data of one date: a
 * model trained on one date must find the same index for the same category
 * on any other. New categories go at the end.
 */
static const char *const products[] = { "credit_card", "consumer_loan", "small_business_loan",
	                                "mortgage",    "auto_loan",     NULL };
/* "none": no visit yet; "not_recorded": the visit left the column empty;
 * "other": a value outside the list. */
static const char *const situations[] = {
	"none",    "not_recorded",        "employed",        "self_employed",    "unemployed",
	"illness", "business_difficulty", "family_hardship", "not_living_there", "other",
	NULL
};
static const char *const attitudes[] = { "none",    "not_recorded", "cooperative", "neutral",
	                                 "evasive", "hostile",      "other",       NULL };

#define CAT_NONE         0
#define CAT_NOT_RECORDED 1

static const char *const *categories(int f)
{
	switch (f) {
	case F_SITUATION:
		return situations;
	case F_ATTITUDE:
		return attitudes;
	case F_PRODUCT:
		return products;
	default:
		return NULL;
	}
}

const struct ds_feature_doc *ds_features_list(int *count)
{
	if (count)
		*count = NFEAT;
	return docs;
}

/* Index of s in a NULL-terminated list, or -1. */
static int list_index(const char *const *list, const char *s)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

/* The category of a visit's free-text column. */
static int visit_category(const char *const *list, const char *s)
{
	if (!s[0])
		return CAT_NOT_RECORDED;
	int c = list_index(list, s);
	/* "none" and "not_recorded" describe the absence of a value: a column
	 * holding those words is an unknown value like any other */
	return c > CAT_NOT_RECORDED ? c : list_index(list, "other");
}

/* ------------------------------------------------------- small helpers */

#define NO_DATE   INT32_MIN
#define DAY_S     86400
#define WINDOW    90 /* days of the "_90d" features */
#define LOOK_BACK 30 /* days of dpd_30d_ago */
#define MONTHS    12 /* month ends of max_dpd_365d */
#define KEEP_DAYS 7  /* a promise is kept by a payment within this many days */

/* ------------------------------------------------------------ the build */

struct acct {
	int32_t community; /* -1 none */
	int32_t zone;
	int32_t row; /* dataset row, -1 when not delinquent */
	int8_t product;
	ds_date rep_since, rep_date, open, birth;
	int32_t rate_bp; /* -1 unknown */
	ds_fen balance, income /* -1 unknown */, rep_overdue;
};

#define MAX_CUTS (MONTHS + 2)

/* What the payments leave per account: sums between the cut dates, and
 * what the reported figures and days_since_payment need. */
struct paid {
	ds_fen sum[MAX_CUTS]; /* payments in (cuts[j-1], cuts[j]] */
	ds_fen after_rep;     /* payments after the reported date */
	ds_date rep_date;     /* a copy of the account's, at hand */
	ds_date last;         /* the latest value date, NO_DATE: never */
};

/* A payment of the last 90 days. */
struct recent {
	int32_t acct;
	ds_date date;
	ds_fen amount;
};

/* What a delinquent account's row still needs once the schedule is read. */
struct row {
	int32_t acct;
	ds_fen inst;  /* latest installment, 0 when unknown */
	ds_fen due90; /* falling due in the 90 days before as_of */
	int calls, calls_reached, sms, visits, visits_met, promises, refusals;
	ds_time last_call, last_reach, last_visit; /* INT64_MIN: none */
	bool last_call_invalid;
	int8_t situation, attitude;
};

struct promise {
	int32_t row;
	ds_date day; /* local date it was made */
};

struct zone {
	char *name;
	ds_time cut;   /* the first instant of as_of there */
	ds_time start; /* the first instant of as_of - 90 there */
};

struct borrower {
	int32_t community; /* -1 none */
	ds_date birth;
	ds_fen income; /* -1 unknown */
};

struct build {
	ds_store *st;
	ds_date as_of;
	bool all_open; /* a row for every open account, not only the delinquent */
	struct ds_diag *diag;
	struct model_strmap ids; /* account id -> index in acc, in id order */
	struct acct *acc;
	long nacc, acap;
	struct model_strmap comms;
	long *comm_open, *comm_late;
	struct zone *zones;
	long nzones, zcap;
	ds_time max_cut;
	/* payment sums per account between the cut dates */
	ds_date cuts[MAX_CUTS];
	bool month_end[MAX_CUTS];
	int ncuts, cut30;
	struct paid paid; /* of the account being read */
	ds_fen *cum;      /* its schedule's running totals */
	long cumcap;
	struct recent *recent;
	long nrecent, rcap;
	/* the rows */
	struct row *rows;
	float *x;
	long nrows, rowcap, xcap;
	struct promise *prom;
	long nprom, pcap;
	struct model_date_cache dates;
};

static ds_err oom(struct build *b)
{
	return ds_diag_set(b->diag, DS_ENOMEM, NULL, 0, NULL, "out of memory building features");
}

static long zone_of(struct build *b, const char *name)
{
	for (long z = b->nzones - 1; z >= 0; z--)
		if (strcmp(b->zones[z].name, name) == 0)
			return z;
	struct zone *zs = model_grown(b->zones, &b->zcap, b->nzones + 1, sizeof *zs);
	if (!zs)
		return -1;
	b->zones = zs;
	if (!(b->zones[b->nzones].name = ds_strdup(name)))
		return -1;
	return b->nzones++;
}

/* Branches: each one's zone. Few rows; looked up by a linear search. */
struct branches {
	char **id;
	int32_t *zone;
	long n, cap, zcap;
};

static ds_err load_branches(struct build *b, struct branches *br)
{
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(b->st, "SELECT branch_id, timezone FROM branches", &s, b->diag);
	if (err)
		return err;
	bool more;
	while (!(err = ds_stmt_step(s, &more, b->diag)) && more) {
		char **id = model_grown(br->id, &br->cap, br->n + 1, sizeof *id);
		if (id)
			br->id = id;
		int32_t *zone = model_grown(br->zone, &br->zcap, br->n + 1, sizeof *zone);
		if (zone)
			br->zone = zone;
		long z = id && zone ? zone_of(b, ds_stmt_text(s, 1)) : -1;
		if (z < 0 || !(br->id[br->n] = ds_strdup(ds_stmt_text(s, 0)))) {
			err = oom(b);
			break;
		}
		br->zone[br->n++] = (int32_t)z;
	}
	ds_stmt_done(s);
	return err;
}

/* Borrowers: what the features use of them, by id. */
static ds_err load_borrowers(ds_store *st, struct model_strmap *comms, struct model_strmap *ids,
                             struct borrower **out, struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT borrower_id, monthly_income_fen, birth_date,"
	                              " coalesce(community_id, '') FROM borrowers",
	                              &s, diag);
	if (err)
		return err;
	bool more;
	long cap = 0;
	while (!(err = ds_stmt_step(s, &more, diag)) && more) {
		long i, comm = -1;
		const char *cid = ds_stmt_text(s, 3);
		if ((err = model_strmap_push(ids, ds_stmt_text(s, 0), &i)) ||
		    (cid[0] && (err = model_strmap_add(comms, cid, &comm))))
			break;
		struct borrower *bw = model_grown(*out, &cap, i + 1, sizeof *bw);
		if (!bw) {
			err = DS_ENOMEM;
			break;
		}
		*out = bw;
		bw[i] = (struct borrower){ (int32_t)comm, model_date_or(s, 2, NO_DATE),
			                   ds_stmt_is_null(s, 1) ? -1 : ds_stmt_int(s, 1) };
	}
	ds_stmt_done(s);
	if (!err)
		err = model_strmap_index(ids);
	return err == DS_ENOMEM || err == DS_ETOOBIG
	               ? ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL,
	                             "out of memory building features")
	               : err;
}

/*
 * The open accounts, in id order. Borrowers and branches are read on their
 * own and joined here: a join in SQL searches two indexes per account.
 */
/* The borrowers the second thread reads while the accounts are read here
 * (below, "the second thread"). */
struct borrowers {
	struct model_strmap ids;
	struct borrower *v;
};
struct side;
static ds_err wait_borrowers(struct side *sd, const struct borrowers **out);

static ds_err load_accounts(struct build *b, struct side *sd)
{
	struct branches br = { 0 };
	struct model_strmap bkeys = { 0 }; /* each account's borrower id */
	ds_stmt *s = NULL;
	ds_err err;
	if ((err = load_branches(b, &br)) ||
	    (err = ds_store_prepare(
	             b->st,
	             "SELECT account_id, borrower_id, branch_id, product, balance_fen,"
	             " overdue_fen, overdue_since_date, reported_date, rate_bp, open_date"
	             " FROM accounts WHERE status = 'active' OR status = 'legal'"
	             " ORDER BY account_id",
	             &s, b->diag)))
		goto done;
	bool more;
	long branch = -1;
	while (!(err = ds_stmt_step(s, &more, b->diag)) && more) {
		const char *id = ds_stmt_text(s, 0), *bid = ds_stmt_text(s, 2);
		long i, w;
		if (branch < 0 || strcmp(br.id[branch], bid) != 0)
			for (branch = br.n - 1; branch >= 0 && strcmp(br.id[branch], bid) != 0;)
				branch--;
		if (branch < 0) {
			err = ds_diag_set(b->diag, DS_ESTORE, NULL, 0, "branch_id",
			                  "account %s: its branch %s is not in the store", id, bid);
			break;
		}
		if ((err = model_strmap_push(&b->ids, id, &i)) ||
		    (err = model_strmap_push(&bkeys, ds_stmt_text(s, 1), &w)))
			break;
		struct acct *acc = model_grown(b->acc, &b->acap, i + 1, sizeof *acc);
		if (!acc) {
			err = DS_ENOMEM;
			break;
		}
		b->acc = acc;
		struct acct *a = &b->acc[b->nacc++];
		memset(a, 0, sizeof *a);
		a->zone = br.zone[branch];
		a->row = -1;
		a->product = (int8_t)list_index(products, ds_stmt_text(s, 3));
		a->balance = ds_stmt_int(s, 4);
		a->rep_overdue = ds_stmt_int(s, 5);
		/* the reported figures as delinquency.c reads them: a missing
		 * date counts as day 0 */
		a->rep_since = model_date_or(s, 6, 0);
		a->rep_date = model_date_or(s, 7, 0);
		a->rate_bp = ds_stmt_is_null(s, 8) ? -1 : (int32_t)ds_stmt_int(s, 8);
		a->open = model_date_or(s, 9, NO_DATE);
	}
	ds_stmt_done(s);
	s = NULL;
	/* each account's borrower, once the second thread has read them */
	const struct borrowers *bw = NULL;
	if (!err && !(err = wait_borrowers(sd, &bw))) {
		for (long i = 0; i < b->nacc; i++) {
			const char *bid = model_strmap_at(&bkeys, i);
			long w = model_strmap_find(&bw->ids, bid);
			if (w < 0) {
				err = ds_diag_set(b->diag, DS_ESTORE, NULL, 0, "borrower_id",
				                  "account %s: its borrower %s is not in the store",
				                  model_strmap_at(&b->ids, i), bid);
				break;
			}
			struct acct *a = &b->acc[i];
			a->community = bw->v[w].community;
			a->income = bw->v[w].income;
			a->birth = bw->v[w].birth;
		}
	}
	if (!err)
		err = model_strmap_index(&b->ids);
done:
	ds_stmt_done(s);
	for (long k = 0; k < br.n; k++)
		ds_free(br.id[k]);
	ds_free(br.id);
	ds_free(br.zone);
	model_strmap_free(&bkeys);
	if (err == DS_ENOMEM || err == DS_ETOOBIG)
		return oom(b);
	if (err)
		return err;
	/* the cut-off, and the start of the 90 days, in each branch's zone */
	b->max_cut = INT64_MIN;
	int y, m, d;
	for (long z = 0; z < b->nzones; z++) {
		struct zone *zn = &b->zones[z];
		ds_date_to_ymd(b->as_of, &y, &m, &d);
		err = ds_tz_from_local(zn->name, y, m, d, 0, 0, 0, &zn->cut);
		ds_date_to_ymd(b->as_of - WINDOW, &y, &m, &d);
		if (!err)
			err = ds_tz_from_local(zn->name, y, m, d, 0, 0, 0, &zn->start);
		if (err)
			return ds_diag_set(b->diag, err, NULL, 0, "timezone",
			                   "branch time zone %s: cannot find the start of the day",
			                   zn->name);
		if (zn->cut > b->max_cut)
			b->max_cut = zn->cut;
	}
	long nc = b->comms.n;
	b->comm_open = ds_calloc((size_t)nc + 1, sizeof *b->comm_open);
	b->comm_late = ds_calloc((size_t)nc + 1, sizeof *b->comm_late);
	return b->comm_open && b->comm_late ? DS_OK : oom(b);
}

static int by_date(const void *p, const void *q)
{
	ds_date x = *(const ds_date *)p, y = *(const ds_date *)q;
	return (x > y) - (x < y);
}

/*
 * The dates the payments are summed up to: the last 12 month ends before
 * as_of, as_of - 30, and as_of - 1 (every payment the features may see).
 */
static void set_cuts(struct build *b)
{
	int y, m, d, n = 0;
	ds_date_to_ymd(b->as_of, &y, &m, &d);
	ds_date first_of_month = ds_date_from_ymd(y, m, 1);
	for (int k = 1; k <= MONTHS; k++)
		b->cuts[n++] = ds_date_add_months(first_of_month, -(k - 1)) - 1;
	b->cuts[n++] = b->as_of - LOOK_BACK;
	b->cuts[n++] = b->as_of - 1;
	qsort(b->cuts, (size_t)n, sizeof b->cuts[0], by_date);
	int u = 0;
	for (int i = 0; i < n; i++)
		if (u == 0 || b->cuts[u - 1] != b->cuts[i])
			b->cuts[u++] = b->cuts[i];
	b->ncuts = u;
	for (int i = 0; i < u; i++) {
		int yy, mm, dd;
		ds_date_to_ymd(b->cuts[i], &yy, &mm, &dd);
		/* as_of - 30 and as_of - 1 may be month ends too: the same
		 * month ends as those counted back from as_of's month */
		b->month_end[i] = dd == ds_days_in_month(yy, mm);
		if (b->cuts[i] == b->as_of - LOOK_BACK)
			b->cut30 = i;
	}
}

/* The interval a date falls in: the first cut on or after it. */
static int cut_of(const struct build *b, ds_date v)
{
	int lo = 0, hi = b->ncuts - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (b->cuts[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static ds_err add_payment(struct build *b, long i, ds_date v, ds_fen amount)
{
	struct paid *p = &b->paid;
	p->sum[cut_of(b, v)] += amount;
	if (v > p->rep_date)
		p->after_rep += amount;
	if (v > p->last)
		p->last = v;
	if (v >= b->as_of - WINDOW) {
		struct recent *rc = model_grown(b->recent, &b->rcap, b->nrecent + 1, sizeof *rc);
		if (!rc)
			return oom(b);
		b->recent = rc;
		b->recent[b->nrecent++] = (struct recent){ (int32_t)i, v, amount };
	}
	return DS_OK;
}

/*
 * Delinquency on `day` counting the payments up to `last` (a sum; the
 * schedule is settled oldest first whatever the payments' dates, so one
 * payment of the sum is the same) and, for an account without a schedule,
 * those of them after its reported date.
 */
static void dpd_at(const struct acct *a, const struct ds_due *sched, const ds_fen *cum, size_t n,
                   ds_date day, ds_date last, ds_fen paid, ds_fen paid_after_rep,
                   struct ds_dpd *out)
{
	if (n > 0) {
		ds_dpd_cumulative(sched, cum, n, paid, day, out);
	} else {
		struct ds_paid p = { last, paid_after_rep };
		ds_dpd_from_reported(a->rep_overdue, a->rep_since, a->rep_date, &p,
		                     paid_after_rep > 0, day, out);
	}
}

static float yuan(ds_fen fen)
{
	return (float)((double)fen / 100.0);
}

/* Whole months from `from` to `to`, months ending as the schedules do. */
static int months_between(ds_date from, ds_date to)
{
	int y1, m1, d1, y2, m2, d2;
	ds_date_to_ymd(from, &y1, &m1, &d1);
	ds_date_to_ymd(to, &y2, &m2, &d2);
	int n = (y2 - y1) * 12 + (m2 - m1);
	if (ds_date_add_months(from, n) > to)
		n--;
	return n;
}

static int years_between(ds_date from, ds_date to)
{
	int y1, m1, d1, y2, m2, d2;
	ds_date_to_ymd(from, &y1, &m1, &d1);
	ds_date_to_ymd(to, &y2, &m2, &d2);
	return y2 - y1 - (m2 < m1 || (m2 == m1 && d2 < d1));
}

/* One account with its schedule: its delinquency, and a row if past due. */
static ds_err account_done(struct build *b, long i, struct ds_due *sched, size_t n)
{
	struct acct *a = &b->acc[i];
	const struct paid *pd = &b->paid;
	const ds_fen *paid = pd->sum;
	ds_fen total = 0;
	for (int j = 0; j < b->ncuts; j++)
		total += paid[j];
	bool sorted = true;
	for (size_t k = 1; k < n && sorted; k++)
		sorted = sched[k - 1].due <= sched[k].due;
	/* installment numbers normally follow due dates; do not rely on it */
	if (!sorted)
		qsort(sched, n, sizeof *sched, model_by_due);
	ds_fen *cum = model_grown(b->cum, &b->cumcap, (long)n + 1, sizeof *cum);
	if (!cum)
		return oom(b);
	b->cum = cum;
	for (size_t k = 0; k < n; k++)
		cum[k] = (k ? cum[k - 1] : 0) + sched[k].amount;
	struct ds_dpd now;
	dpd_at(a, sched, cum, n, b->as_of, b->as_of - 1, total, pd->after_rep, &now);
	if (a->community >= 0) {
		b->comm_open[a->community]++;
		b->comm_late[a->community] += now.dpd > 0;
	}
	if (now.dpd <= 0 && !b->all_open)
		return DS_OK;
	/* delinquent: the past, from the sums up to each cut */
	int dpd30 = 0, maxdpd = 0;
	ds_fen upto = total, after = pd->after_rep;
	for (int j = b->ncuts - 1; j >= 0; j--) {
		/* upto: payments up to cuts[j]; after: those also after the
		 * reported date */
		if (j < b->ncuts - 1) {
			upto -= paid[j + 1];
			after -= paid[j + 1];
		}
		if (!b->month_end[j] && j != b->cut30)
			continue;
		struct ds_dpd past;
		ds_fen after_j = b->cuts[j] > a->rep_date ? after : 0;
		dpd_at(a, sched, cum, n, b->cuts[j], b->cuts[j], upto, after_j, &past);
		if (j == b->cut30)
			dpd30 = past.dpd;
		if (b->month_end[j] && past.dpd > maxdpd)
			maxdpd = past.dpd;
	}
	ds_fen inst = 0, due90 = 0;
	for (size_t k = 0; k < n; k++) {
		if (sched[k].due >= b->as_of)
			break;
		inst = sched[k].amount;
		if (sched[k].due >= b->as_of - WINDOW)
			due90 += sched[k].amount;
	}
	if (n > 0 && sched[0].due >= b->as_of)
		inst = sched[0].amount; /* nothing has fallen due yet */
	struct row *rows = model_grown(b->rows, &b->rowcap, b->nrows + 1, sizeof *rows);
	if (!rows)
		return oom(b);
	b->rows = rows;
	float *x = model_grown(b->x, &b->xcap, (b->nrows + 1) * NFEAT, sizeof *x);
	if (!x)
		return oom(b);
	b->x = x;
	struct row *r = &b->rows[b->nrows];
	memset(r, 0, sizeof *r);
	r->acct = (int32_t)i;
	r->inst = inst;
	r->due90 = due90;
	r->last_call = r->last_reach = r->last_visit = INT64_MIN;
	r->situation = r->attitude = CAT_NONE;
	float *f = x + b->nrows * NFEAT;
	for (int k = 0; k < NFEAT; k++)
		f[k] = NAN;
	f[F_DPD] = (float)now.dpd;
	f[F_OVERDUE] = yuan(now.overdue_fen);
	f[F_BALANCE] = yuan(a->balance);
	if (inst > 0) {
		f[F_INSTALLMENT] = yuan(inst);
		f[F_MISSED] = (float)((double)now.overdue_fen / (double)inst);
	}
	if (a->income >= 0)
		f[F_INCOME] = yuan(a->income);
	if (a->income > 0 && inst > 0)
		f[F_BURDEN] = (float)((double)inst / (double)a->income);
	if (pd->last != NO_DATE)
		f[F_DAYS_SINCE_PAYMENT] = (float)(b->as_of - pd->last);
	f[F_DPD_30D_AGO] = (float)dpd30;
	f[F_DPD_TREND] = (float)(now.dpd - dpd30);
	f[F_MAX_DPD] = (float)maxdpd;
	if (a->product >= 0)
		f[F_PRODUCT] = (float)a->product;
	if (a->open != NO_DATE)
		f[F_MONTHS_ON_BOOK] = (float)months_between(a->open, b->as_of);
	if (a->birth != NO_DATE)
		f[F_AGE] = (float)years_between(a->birth, b->as_of);
	if (a->rate_bp >= 0)
		f[F_RATE] = (float)((double)a->rate_bp / 100.0);
	a->row = (int32_t)b->nrows++;
	return DS_OK;
}

/* The ledger as the second thread read it: per row its id and two blobs,
 * back to back in one block. */
struct ledger_copy {
	char *mem;
	size_t len, cap;
	struct ledger_at {
		size_t id, sched, pay; /* offsets in mem */
		uint32_t slen, plen;
	} * at;
	long n, ncap;
};

/* The account ledger alongside the sorted accounts: each account's
 * payments before as_of, then its delinquency and row. */
static ds_err load_ledger(struct build *b, const struct ledger_copy *lc)
{
	set_cuts(b);
	struct ds_ledger_rows lr = { 0 };
	ds_err err = DS_OK;
	long j = 0;
	for (long i = 0; !err && i < b->nacc; i++) {
		const char *id = model_strmap_at(&b->ids, i);
		int cmp = -1;
		while (j < lc->n && (cmp = strcmp(lc->mem + lc->at[j].id, id)) < 0)
			j++;
		lr.ndue = lr.npaid = 0;
		if (j < lc->n && cmp == 0) {
			const struct ledger_at *e = &lc->at[j];
			err = ds_ledger_rows_unpack(id, lc->mem + e->sched, e->slen,
			                            lc->mem + e->pay, e->plen, &lr, b->diag);
		}
		struct paid *p = &b->paid;
		memset(p, 0, sizeof *p);
		p->rep_date = b->acc[i].rep_date;
		p->last = NO_DATE;
		for (size_t k = 0; !err && k < lr.npaid && lr.paid[k].date < b->as_of; k++)
			err = add_payment(b, i, lr.paid[k].date, lr.paid[k].amount);
		if (!err)
			err = account_done(b, i, lr.due, lr.ndue);
	}
	ds_ledger_rows_free(&lr);
	return err;
}

/* --------------------------------------------------- contacts and visits */

enum outcome {
	O_OTHER,
	O_CONNECTED,
	O_PROMISE,
	O_MET_BORROWER,
	O_REFUSED,
	O_DISPUTE,
	O_INVALID_NUMBER,
};

static enum outcome outcome_of(const char *s)
{
	switch (s[0]) {
	case 'c':
		return strcmp(s, "connected") == 0 ? O_CONNECTED : O_OTHER;
	case 'p':
		return strcmp(s, "promise") == 0 ? O_PROMISE : O_OTHER;
	case 'm':
		return strcmp(s, "met_borrower") == 0 ? O_MET_BORROWER : O_OTHER;
	case 'r':
		return strcmp(s, "refused") == 0 ? O_REFUSED : O_OTHER;
	case 'd':
		return strcmp(s, "dispute") == 0 ? O_DISPUTE : O_OTHER;
	case 'i':
		return strcmp(s, "invalid_number") == 0 ? O_INVALID_NUMBER : O_OTHER;
	default:
		return O_OTHER;
	}
}

/* The local date of an instant before the cut-off: whole days back from it. */
static ds_date local_day(const struct build *b, const struct zone *z, ds_time t)
{
	return b->as_of + (ds_date)model_floor_div(t - z->cut, DAY_S);
}

static ds_err add_promise(struct build *b, long row, ds_date day)
{
	struct promise *pr = model_grown(b->prom, &b->pcap, b->nprom + 1, sizeof *pr);
	if (!pr)
		return oom(b);
	b->prom = pr;
	b->prom[b->nprom++] = (struct promise){ (int32_t)row, day };
	return DS_OK;
}

/* The row of an account id (*acct its account), or -1 when it is not a
 * delinquent account. */
static long row_of(const struct build *b, const char *id, long *acct)
{
	*acct = model_strmap_find(&b->ids, id);
	return *acct >= 0 ? b->acc[*acct].row : -1;
}

enum channel { CH_OTHER, CH_CALL, CH_SMS, CH_VISIT };

/*
 * A batch of contact rows. Contacts come in the order of their ids, which
 * for a bank is about the order of time, so consecutive rows belong to
 * accounts far apart in memory: the batch lets the slots and rows of many
 * contacts load at once instead of one miss after the other.
 */
#define BATCH 32

struct contact {
	uint64_t h;
	size_t len;
	long acct, row;
	ds_time at;
	enum channel ch;
	enum outcome o;
	char id[MODEL_KEY_INLINE];
};

static ds_err add_contact(struct build *b, const struct contact *c)
{
	struct row *w = &b->rows[c->row];
	const struct zone *z = &b->zones[b->acc[c->acct].zone];
	if (c->at >= z->cut)
		return DS_OK; /* on or after as_of there */
	enum outcome o = c->o;
	bool reached = o == O_CONNECTED || o == O_PROMISE || o == O_MET_BORROWER;
	if (c->ch == CH_CALL && c->at >= w->last_call) {
		w->last_call = c->at;
		w->last_call_invalid = o == O_INVALID_NUMBER;
	}
	if (reached && c->at > w->last_reach)
		w->last_reach = c->at;
	if (c->at < z->start)
		return DS_OK;
	switch (c->ch) {
	case CH_CALL:
		w->calls++;
		w->calls_reached += o == O_CONNECTED || o == O_PROMISE;
		break;
	case CH_SMS:
		w->sms++;
		break;
	case CH_VISIT:
		w->visits++;
		w->visits_met += o == O_MET_BORROWER;
		break;
	case CH_OTHER:
		break;
	}
	w->refusals += o == O_REFUSED || o == O_DISPUTE;
	if (o != O_PROMISE)
		return DS_OK;
	w->promises++;
	return add_promise(b, c->row, local_day(b, z, c->at));
}

static enum channel channel_of(const char *s)
{
	if (strcmp(s, "call") == 0)
		return CH_CALL;
	if (strcmp(s, "sms") == 0)
		return CH_SMS;
	return strcmp(s, "visit") == 0 ? CH_VISIT : CH_OTHER;
}

/* ------------------------------------------------- the second thread */

/*
 * Reading is most of the build, and SQLite reads on one core a connection:
 * a second thread, on a connection of its own, reads the account ledger
 * while this one reads the accounts, then the contacts once the accounts
 * are indexed (it finds each contact's account in the index, read only by
 * then). It reads the store into memory of its own; the build itself stays
 * on this thread. Without a second connection (a database in memory) the
 * same reading runs here, one step after the other.
 */
struct side {
	ds_store *st;
	const struct build *b;
	struct ledger_copy ledger;
	/* the contacts of known accounts, in stored order */
	struct kept_contact {
		int32_t acct;
		uint8_t ch, o;
		ds_time at;
	} * c;
	long nc, ccap;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct borrowers bor;
	struct model_strmap *comms; /* the build's, filled with the borrowers */
	int accounts;               /* 0: being read; 1: indexed; -1: failed */
	bool borrowers_read, ledger_read;
	ds_err borrowers_err, ledger_err;
	struct ds_diag borrowers_diag;
	ds_err err;
	struct ds_diag diag;
};

static ds_err side_oom(struct side *sd)
{
	return ds_diag_set(&sd->diag, DS_ENOMEM, NULL, 0, NULL, "out of memory building features");
}

static ds_err side_append(struct side *sd, const void *p, size_t n, size_t *at)
{
	struct ledger_copy *lc = &sd->ledger;
	if (lc->len + n > lc->cap) {
		size_t cap = lc->cap ? lc->cap : 1 << 20;
		while (cap < lc->len + n)
			cap *= 2;
		char *m = ds_realloc(lc->mem, cap);
		if (!m)
			return side_oom(sd);
		lc->mem = m;
		lc->cap = cap;
	}
	memcpy(lc->mem + lc->len, p, n);
	*at = lc->len;
	lc->len += n;
	return DS_OK;
}

static ds_err side_ledger(struct side *sd)
{
	/* the caller has made the ledger follow the tables */
	ds_stmt *s;
	ds_err err;
	if ((err = ds_store_prepare(sd->st,
	                            "SELECT account_id, schedule, payments FROM"
	                            " account_ledger ORDER BY account_id",
	                            &s, &sd->diag)))
		return err;
	struct ledger_copy *lc = &sd->ledger;
	bool more;
	while (!(err = ds_stmt_step(s, &more, &sd->diag)) && more) {
		struct ledger_at *e = model_grown(lc->at, &lc->ncap, lc->n + 1, sizeof *e);
		if (!e) {
			err = side_oom(sd);
			break;
		}
		lc->at = e;
		e += lc->n;
		const char *id = ds_stmt_text(s, 0);
		size_t slen, plen;
		const void *sched = ds_stmt_blob(s, 1, &slen), *pay = ds_stmt_blob(s, 2, &plen);
		if (slen > UINT32_MAX || plen > UINT32_MAX) {
			err = ds_diag_set(&sd->diag, DS_ESTORE, NULL, 0, NULL,
			                  "account_ledger: the row of account %s is too large", id);
			break;
		}
		e->slen = (uint32_t)slen;
		e->plen = (uint32_t)plen;
		if ((err = side_append(sd, id, strlen(id) + 1, &e->id)) ||
		    (err = side_append(sd, sched, slen, &e->sched)) ||
		    (err = side_append(sd, pay, plen, &e->pay)))
			break;
		lc->n++;
	}
	ds_stmt_done(s);
	return err;
}

/* A contact of a known account, kept. */
static ds_err side_keep(struct side *sd, const struct contact *c)
{
	if (c->acct < 0)
		return DS_OK;
	struct kept_contact *k = model_grown(sd->c, &sd->ccap, sd->nc + 1, sizeof *k);
	if (!k)
		return side_oom(sd);
	sd->c = k;
	sd->c[sd->nc++] =
	        (struct kept_contact){ (int32_t)c->acct, (uint8_t)c->ch, (uint8_t)c->o, c->at };
	return DS_OK;
}

/* A batch of contacts finds its accounts: the slots of many load at once
 * instead of one miss after the other (contacts come in the order of
 * their ids, about the order of time, so accounts far apart in memory). */
static ds_err side_flush(struct side *sd, struct contact *q, int n)
{
	const struct model_strmap *m = &sd->b->ids;
	for (int k = 0; k < n && m->nslots; k++)
		__builtin_prefetch(&m->slot[q[k].h & (m->nslots - 1)]);
	ds_err err = DS_OK;
	for (int k = 0; k < n && !err; k++) {
		q[k].acct = model_strmap_find_h(m, q[k].id, q[k].len, q[k].h);
		err = side_keep(sd, &q[k]);
	}
	return err;
}

static ds_err side_contacts(struct side *sd)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(sd->st,
	                              "SELECT account_id, started_at, channel, outcome"
	                              " FROM contacts WHERE started_at < ?",
	                              &s, &sd->diag);
	if (err)
		return err;
	ds_stmt_bind_int(s, 1, sd->b->max_cut);
	struct contact q[BATCH];
	int n = 0;
	bool more;
	while (!(err = ds_stmt_step(s, &more, &sd->diag)) && more) {
		const char *id = ds_stmt_text(s, 0);
		struct contact *c = &q[n];
		c->h = model_hash_str(id, &c->len);
		c->at = ds_stmt_int(s, 1);
		c->ch = channel_of(ds_stmt_text(s, 2));
		c->o = outcome_of(ds_stmt_text(s, 3));
		c->row = -1;
		if (c->len >= MODEL_KEY_INLINE) {
			/* too long to queue: at once, after those queued */
			c->acct = model_strmap_find_h(&sd->b->ids, id, c->len, c->h);
			struct contact one = *c;
			if ((err = side_flush(sd, q, n)) || (err = side_keep(sd, &one)))
				break;
			n = 0;
			continue;
		}
		memcpy(c->id, id, c->len + 1);
		if (++n == BATCH) {
			if ((err = side_flush(sd, q, n)))
				break;
			n = 0;
		}
	}
	if (!err)
		err = side_flush(sd, q, n);
	ds_stmt_done(s);
	return err;
}

/* Each step says it is done, with how it ended, to the build thread. */
static void side_step_done(struct side *sd, bool *flag, ds_err *at, ds_err err)
{
	pthread_mutex_lock(&sd->mu);
	*flag = true;
	*at = err;
	pthread_cond_broadcast(&sd->cv);
	pthread_mutex_unlock(&sd->mu);
}

static void side_borrowers(struct side *sd)
{
	ds_err err =
	        load_borrowers(sd->st, sd->comms, &sd->bor.ids, &sd->bor.v, &sd->borrowers_diag);
	side_step_done(sd, &sd->borrowers_read, &sd->borrowers_err, err);
}

static ds_err wait_borrowers(struct side *sd, const struct borrowers **out)
{
	pthread_mutex_lock(&sd->mu);
	while (!sd->borrowers_read)
		pthread_cond_wait(&sd->cv, &sd->mu);
	pthread_mutex_unlock(&sd->mu);
	if (sd->borrowers_err) {
		if (sd->b->diag)
			*sd->b->diag = sd->borrowers_diag;
		return sd->borrowers_err;
	}
	*out = &sd->bor;
	return DS_OK;
}

static void *side_main(void *arg)
{
	struct side *sd = arg;
	side_borrowers(sd);
	ds_err err = side_ledger(sd);
	side_step_done(sd, &sd->ledger_read, &sd->ledger_err, err);
	pthread_mutex_lock(&sd->mu);
	while (sd->accounts == 0)
		pthread_cond_wait(&sd->cv, &sd->mu);
	bool go = sd->accounts > 0 && !err;
	pthread_mutex_unlock(&sd->mu);
	sd->err = go ? side_contacts(sd) : err;
	return NULL;
}

/* The contacts the second thread found, applied to the rows. */
static ds_err apply_contacts(struct build *b, const struct side *sd)
{
	ds_err err = DS_OK;
	for (long k = 0; k < sd->nc && !err; k++) {
		const struct kept_contact *kc = &sd->c[k];
		struct contact c = { .acct = kc->acct,
			             .row = b->acc[kc->acct].row,
			             .at = kc->at,
			             .ch = (enum channel)kc->ch,
			             .o = (enum outcome)kc->o };
		if (c.row >= 0)
			err = add_contact(b, &c);
	}
	return err;
}

/*
 * Accounts here while the ledger is read there; then the ledger's rows
 * here while the contacts are read there.
 */
static ds_err load_accounts_ledger_contacts(struct build *b)
{
	/* the ledger follows the tables before anyone reads it */
	ds_err err = ds_store_ledger_sync(b->st, b->diag);
	if (err)
		return err;
	struct side *sd = ds_calloc(1, sizeof *sd);
	if (!sd)
		return oom(b);
	sd->b = b;
	sd->comms = &b->comms;
	pthread_mutex_init(&sd->mu, NULL);
	pthread_cond_init(&sd->cv, NULL);
	ds_store *reader = NULL;
	pthread_t t;
	bool threaded = ds_store_open_reader(b->st, &reader, NULL) == DS_OK;
	sd->st = threaded ? reader : b->st;
	threaded = threaded && pthread_create(&t, NULL, side_main, sd) == 0;
	if (!threaded) {
		/* one step after the other on this connection */
		sd->st = b->st;
		side_borrowers(sd);
	}
	err = load_accounts(b, sd);
	pthread_mutex_lock(&sd->mu);
	sd->accounts = err ? -1 : 1;
	pthread_cond_broadcast(&sd->cv);
	pthread_mutex_unlock(&sd->mu);
	if (!threaded) {
		if (!err) {
			sd->ledger_err = side_ledger(sd);
			sd->err = sd->ledger_err ? sd->ledger_err : side_contacts(sd);
		}
	} else {
		/* the ledger's rows here while the contacts are read there */
		pthread_mutex_lock(&sd->mu);
		while (!sd->ledger_read)
			pthread_cond_wait(&sd->cv, &sd->mu);
		pthread_mutex_unlock(&sd->mu);
	}
	if (!err && sd->ledger_err) {
		if (b->diag)
			*b->diag = sd->diag;
		err = sd->ledger_err;
	}
	if (!err)
		err = load_ledger(b, &sd->ledger);
	if (threaded)
		pthread_join(t, NULL);
	if (!err && sd->err) {
		if (b->diag)
			*b->diag = sd->diag;
		err = sd->err;
	}
	if (!err)
		err = apply_contacts(b, sd);
	ds_store_close(reader);
	pthread_mutex_destroy(&sd->mu);
	pthread_cond_destroy(&sd->cv);
	model_strmap_free(&sd->bor.ids);
	ds_free(sd->bor.v);
	ds_free(sd->ledger.mem);
	ds_free(sd->ledger.at);
	ds_free(sd->c);
	ds_free(sd);
	return err;
}

/* The visits table: what the collector found at the latest visit. */
static ds_err load_visits(struct build *b)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(b->st,
	                              "SELECT account_id, checked_in_at, coalesce(situation, ''),"
	                              " coalesce(attitude, '') FROM visits"
	                              " WHERE checked_in_at IS NOT NULL AND checked_in_at < ?",
	                              &s, b->diag);
	if (err)
		return err;
	ds_stmt_bind_int(s, 1, b->max_cut);
	bool more;
	long last;
	while (!(err = ds_stmt_step(s, &more, b->diag)) && more) {
		long r = row_of(b, ds_stmt_text(s, 0), &last);
		if (r < 0)
			continue;
		struct row *w = &b->rows[r];
		ds_time at = ds_stmt_int(s, 1);
		if (at >= b->zones[b->acc[last].zone].cut || at < w->last_visit)
			continue;
		w->last_visit = at;
		w->situation = (int8_t)visit_category(situations, ds_stmt_text(s, 2));
		w->attitude = (int8_t)visit_category(attitudes, ds_stmt_text(s, 3));
	}
	ds_stmt_done(s);
	return err;
}

/* Promises recorded in the promises table (field work), besides contacts. */
static ds_err load_promises(struct build *b)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(b->st,
	                              "SELECT account_id, created_at FROM promises"
	                              " WHERE created_at < ?",
	                              &s, b->diag);
	if (err)
		return err;
	ds_stmt_bind_int(s, 1, b->max_cut);
	bool more;
	long last;
	while (!(err = ds_stmt_step(s, &more, b->diag)) && more) {
		long r = row_of(b, ds_stmt_text(s, 0), &last);
		if (r < 0)
			continue;
		const struct zone *z = &b->zones[b->acc[last].zone];
		ds_time at = ds_stmt_int(s, 1);
		if (at < z->start || at >= z->cut)
			continue;
		b->rows[r].promises++;
		if ((err = add_promise(b, r, local_day(b, z, at))))
			break;
	}
	ds_stmt_done(s);
	return err;
}

/* ------------------------------------------------------------ the rest */

static int by_row_day(const void *p, const void *q)
{
	const struct promise *x = p, *y = q;
	if (x->row != y->row)
		return (x->row > y->row) - (x->row < y->row);
	return (x->day > y->day) - (x->day < y->day);
}

/* Whether some date of the sorted dates[0..n) is in [from, to]. */
static bool any_between(const ds_date *dates, long n, ds_date from, ds_date to)
{
	for (long k = 0; k < n && dates[k] <= to; k++)
		if (dates[k] >= from)
			return true;
	return false;
}

/* The features from the last 90 days' payments, promises and contacts. */
static ds_err finish_rows(struct build *b)
{
	/* the recent payments of delinquent accounts, grouped by row */
	long *first = ds_calloc((size_t)b->nrows + 2, sizeof *first);
	long n = 0;
	for (long k = 0; first && k < b->nrecent; k++) {
		int32_t r = b->acc[b->recent[k].acct].row;
		if (r >= 0) {
			first[r + 2]++;
			n++;
		}
	}
	ds_date *dates = first ? ds_malloc((size_t)n * sizeof *dates + 1) : NULL;
	ds_fen *amounts = dates ? ds_malloc((size_t)n * sizeof *amounts + 1) : NULL;
	if (!amounts) {
		ds_free(first);
		ds_free(dates);
		return oom(b);
	}
	for (long r = 0; r < b->nrows; r++)
		first[r + 2] += first[r + 1];
	for (long k = 0; k < b->nrecent; k++) {
		int32_t r = b->acc[b->recent[k].acct].row;
		if (r >= 0) {
			long at = first[r + 1]++;
			dates[at] = b->recent[k].date;
			amounts[at] = b->recent[k].amount;
		}
	}
	/* now first[r] .. first[r + 1] is row r's */
	if (b->nprom)
		qsort(b->prom, (size_t)b->nprom, sizeof *b->prom, by_row_day);
	long p = 0;
	for (long r = 0; r < b->nrows; r++) {
		struct row *w = &b->rows[r];
		const struct acct *a = &b->acc[w->acct];
		float *f = b->x + r * NFEAT;
		long lo = first[r], cnt = first[r + 1] - first[r];
		ds_fen sum = 0;
		int partial = 0;
		for (long k = lo; k < lo + cnt; k++) {
			sum += amounts[k];
			partial += amounts[k] < w->inst;
		}
		if (cnt > 1)
			qsort(dates + lo, (size_t)cnt, sizeof *dates, by_date);
		f[F_PAYMENTS] = (float)cnt;
		if (w->inst > 0)
			f[F_PARTIAL] = (float)partial;
		if (w->due90 > 0) {
			double ratio = (double)sum / (double)w->due90;
			f[F_PAID_RATIO] = (float)(ratio > 2 ? 2 : ratio);
		}
		/* promises: kept by a payment within 7 days; one whose 7 days
		 * are not over yet and not kept so far is left out */
		int kept = 0, judged = 0;
		for (; p < b->nprom && b->prom[p].row == r; p++) {
			ds_date day = b->prom[p].day;
			if (any_between(dates + lo, cnt, day, day + KEEP_DAYS)) {
				kept++;
				judged++;
			} else if (day + KEEP_DAYS < b->as_of) {
				judged++;
			}
		}
		f[F_CALLS] = (float)w->calls;
		if (w->calls > 0)
			f[F_CALL_REACH] = (float)w->calls_reached / (float)w->calls;
		f[F_SMS] = (float)w->sms;
		f[F_VISITS] = (float)w->visits;
		if (w->visits > 0)
			f[F_VISIT_MET] = (float)w->visits_met / (float)w->visits;
		f[F_PROMISES] = (float)w->promises;
		if (judged > 0)
			f[F_PROMISE_KEPT] = (float)kept / (float)judged;
		f[F_REFUSALS] = (float)w->refusals;
		f[F_INVALID_NUMBER] = w->last_call_invalid ? 1.0f : 0.0f;
		if (w->last_reach != INT64_MIN)
			f[F_DAYS_SINCE_REACHED] =
			        (float)(b->as_of - local_day(b, &b->zones[a->zone], w->last_reach));
		f[F_SITUATION] = (float)w->situation;
		f[F_ATTITUDE] = (float)w->attitude;
		if (a->community >= 0)
			f[F_COMMUNITY] = (float)((double)b->comm_late[a->community] /
			                         (double)b->comm_open[a->community]);
	}
	ds_free(first);
	ds_free(dates);
	ds_free(amounts);
	return DS_OK;
}

static ds_err make_dataset(struct build *b, ds_dataset **out)
{
	ds_dataset *d;
	if (ds_dataset_new(NFEAT, b->nrows, false, &d))
		return oom(b);
	d->when = ds_calloc((size_t)b->nrows + 1, sizeof *d->when);
	d->id = ds_calloc((size_t)b->nrows + 1, sizeof *d->id);
	if (!d->when || !d->id) {
		ds_dataset_free(d);
		return oom(b);
	}
	for (int k = 0; k < NFEAT; k++) {
		struct ds_feature *ft = &d->feat[k];
		ds_strlcpy(ft->name, docs[k].name, sizeof ft->name);
		const char *const *cats = categories(k);
		ft->categorical = cats != NULL;
		ft->monotone = cats ? 0 : directions[k];
		for (int c = 0; cats && cats[c]; c++)
			ds_strlcpy(ft->cats[ft->ncat++], cats[c], sizeof ft->cats[0]);
	}
	if (b->nrows)
		memcpy(d->x, b->x, (size_t)b->nrows * NFEAT * sizeof *d->x);
	for (long r = 0; r < b->nrows; r++) {
		const char *id = model_strmap_at(&b->ids, b->rows[r].acct);
		if (strlen(id) >= sizeof d->id[r]) {
			ds_dataset_free(d);
			return ds_diag_set(b->diag, DS_ETOOBIG, NULL, 0, "account_id",
			                   "account %s: ids of over %zu characters do not fit a "
			                   "dataset's row key",
			                   id, sizeof d->id[r] - 1);
		}
		ds_strlcpy(d->id[r], id, sizeof d->id[r]);
		d->when[r] = b->as_of;
	}
	*out = d;
	return DS_OK;
}

ds_err ds_features_build(struct ds_store *st, ds_date as_of, unsigned flags, ds_dataset **out,
                         struct ds_diag *diag)
{
	struct build b;
	memset(&b, 0, sizeof b);
	b.st = st;
	b.as_of = as_of;
	b.all_open = flags & DS_FEATURES_ALL_OPEN;
	b.diag = diag;
	ds_err err;
	if (!(err = load_accounts_ledger_contacts(&b)) && !(err = load_visits(&b)) &&
	    !(err = load_promises(&b)) && !(err = finish_rows(&b)))
		err = make_dataset(&b, out);
	model_strmap_free(&b.ids);
	model_strmap_free(&b.comms);
	for (long z = 0; z < b.nzones; z++)
		ds_free(b.zones[z].name);
	ds_free(b.zones);
	ds_free(b.acc);
	ds_free(b.comm_open);
	ds_free(b.comm_late);
	ds_free(b.recent);
	ds_free(b.rows);
	ds_free(b.x);
	ds_free(b.prom);
	ds_free(b.cum);
	return err;
}

/*
 * The targets: what a features row's account did in the days after its date
 * (docs/scoring.md, "Targets"). Like the features, each table is read once
 * and merged in memory by account; rows whose window the store has not yet
 * fully observed, or who are outside a target's population, get NAN.
 */
#include "doorstep/model.h"
#include "doorstep/portfolio.h"
#include "doorstep/store.h"
#include "model-int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *ds_target_name(enum ds_target t)
{
	switch (t) {
	case DS_TARGET_ABILITY:
		return "ability";
	case DS_TARGET_WILLINGNESS:
		return "willingness";
	}
	return "?";
}

#define DAY_S       86400
#define REACH_DAYS  14 /* a reached borrower who is willing pays within this */
#define KEEP_DAYS   7  /* a promise is kept by a payment within this */
#define MAX_HORIZON 366

/* One account of the dataset (several rows may share it, on other dates). */
struct acct {
	int32_t first; /* its first row; rows chain through row.next */
	int32_t zone;  /* -1: the account is not in the store */
	bool sched;
	ds_fen rep_overdue;
	ds_date rep_since, rep_date;
};

struct trow {
	int32_t acct, next;
	bool open;         /* labelled: the window is observed and the account known */
	ds_date when, end; /* the window [when, end) in days */
	ds_time from, to;  /* the same in instants of the account's zone */
	ds_fen paid_before, after_rep, paid_in;
	ds_time first_reach; /* INT64_MAX: not reached */
	bool refused;
	int dpd;
	ds_fen overdue, inst;
};

/* A dated event of a row: a payment's value date or a promise's day. */
struct dated {
	int32_t row;
	ds_date day;
};

struct zone {
	char *name;
};

/* The first instant of a day in a zone, computed once per zone and day. */
struct cutoff {
	int32_t zone;
	ds_date day;
	ds_time at;
};

struct label {
	ds_store *st;
	ds_dataset *d;
	struct ds_diag *diag;
	struct model_date_cache dates; /* millions of rows, a few thousand dates */
	struct acct *acc;
	long nacc;
	struct model_strmap ids; /* the accounts' ids: index into acc */
	struct trow *rows;
	struct zone *zones;
	long nzones, zcap;
	struct cutoff *cuts;
	long ncuts, ccap;
	struct dated *pays, *proms;
	long npays, pcap, nproms, qcap;
};

static ds_err oom(struct label *l)
{
	return ds_diag_set(l->diag, DS_ENOMEM, NULL, 0, NULL, "out of memory labelling targets");
}

/* The account of an id, or -1 when no row of the dataset has it. */
static long acct_of(const struct label *l, const char *id)
{
	return model_strmap_find(&l->ids, id);
}

/* The dataset's accounts and rows; windows not fully observed are left out. */
static ds_err index_rows(struct label *l, int horizon, ds_date observed_until)
{
	const ds_dataset *d = l->d;
	l->acc = ds_malloc((size_t)d->nrows * sizeof *l->acc + 1);
	l->rows = ds_calloc((size_t)d->nrows + 1, sizeof *l->rows);
	if (!l->acc || !l->rows)
		return oom(l);
	for (long r = 0; r < d->nrows; r++) {
		struct trow *w = &l->rows[r];
		w->when = d->when[r];
		w->end = d->when[r] + horizon;
		/* the last day of the window must be one the store has seen whole */
		w->open = w->end - 1 <= observed_until;
		w->first_reach = INT64_MAX;
		w->next = -1;
		long k;
		if (model_strmap_add(&l->ids, d->id[r], &k))
			return oom(l);
		if (k == l->nacc) {
			l->acc[l->nacc] = (struct acct){ .first = (int32_t)r, .zone = -1 };
			w->acct = (int32_t)l->nacc++;
		} else {
			/* chain behind the account's first row */
			struct acct *a = &l->acc[k];
			w->acct = (int32_t)k;
			w->next = l->rows[a->first].next;
			l->rows[a->first].next = (int32_t)r;
		}
	}
	return DS_OK;
}

static long zone_of(struct label *l, const char *name)
{
	for (long z = l->nzones - 1; z >= 0; z--)
		if (strcmp(l->zones[z].name, name) == 0)
			return z;
	struct zone *zs = model_grown(l->zones, &l->zcap, l->nzones + 1, sizeof *zs);
	if (!zs)
		return -1;
	l->zones = zs;
	if (!(zs[l->nzones].name = ds_strdup(name)))
		return -1;
	return l->nzones++;
}

static ds_err cutoff(struct label *l, long zone, ds_date day, ds_time *at)
{
	for (long k = l->ncuts - 1; k >= 0; k--)
		if (l->cuts[k].zone == zone && l->cuts[k].day == day) {
			*at = l->cuts[k].at;
			return DS_OK;
		}
	int y, m, d;
	ds_date_to_ymd(day, &y, &m, &d);
	if (ds_tz_from_local(l->zones[zone].name, y, m, d, 0, 0, 0, at))
		return ds_diag_set(l->diag, DS_EINVAL, NULL, 0, "timezone",
		                   "branch time zone %s: cannot find the start of the day",
		                   l->zones[zone].name);
	struct cutoff *c = model_grown(l->cuts, &l->ccap, l->ncuts + 1, sizeof *c);
	if (!c)
		return oom(l);
	l->cuts = c;
	c[l->ncuts++] = (struct cutoff){ (int32_t)zone, day, *at };
	return DS_OK;
}

/*
 * Accounts: the zone of their branch (for the windows' instants) and the
 * reported figures (for the delinquency of those without a schedule). The
 * few branches are read first and joined here, not by a search per account.
 */
static ds_err load_accounts(struct label *l)
{
	char **bid = NULL;
	int32_t *bzone = NULL;
	long nb = 0, bcap = 0, zcap = 0;
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(l->st, "SELECT branch_id, timezone FROM branches", &s, l->diag);
	if (err)
		return err;
	bool more;
	while (!(err = ds_stmt_step(s, &more, l->diag)) && more) {
		char **ids = model_grown(bid, &bcap, nb + 1, sizeof *ids);
		if (ids)
			bid = ids;
		int32_t *zs = model_grown(bzone, &zcap, nb + 1, sizeof *zs);
		if (zs)
			bzone = zs;
		long z = ids && zs ? zone_of(l, ds_stmt_text(s, 1)) : -1;
		if (z < 0 || !(bid[nb] = ds_strdup(ds_stmt_text(s, 0)))) {
			err = oom(l);
			break;
		}
		bzone[nb++] = (int32_t)z;
	}
	ds_stmt_done(s);
	s = NULL;
	if (!err)
		err = ds_store_prepare(
		        l->st,
		        "SELECT account_id, branch_id, overdue_fen, overdue_since_date,"
		        " reported_date FROM accounts",
		        &s, l->diag);
	while (!err && !(err = ds_stmt_step(s, &more, l->diag)) && more) {
		long k = acct_of(l, ds_stmt_text(s, 0));
		if (k < 0)
			continue;
		struct acct *a = &l->acc[k];
		const char *branch = ds_stmt_text(s, 1);
		for (long i = 0; i < nb; i++)
			if (strcmp(bid[i], branch) == 0)
				a->zone = bzone[i];
		a->rep_overdue = ds_stmt_int(s, 2);
		/* read as delinquency.c reads them: a missing date is day 0 */
		a->rep_since = model_date_or(s, 3, 0);
		a->rep_date = model_date_or(s, 4, 0);
	}
	if (s)
		ds_stmt_done(s);
	for (long i = 0; i < nb; i++)
		ds_free(bid[i]);
	ds_free(bid);
	ds_free(bzone);
	for (long r = 0; !err && r < l->d->nrows; r++) {
		struct trow *w = &l->rows[r];
		const struct acct *a = &l->acc[w->acct];
		w->open = w->open && a->zone >= 0;
		if (w->open && !(err = cutoff(l, a->zone, w->when, &w->from)))
			err = cutoff(l, a->zone, w->end, &w->to);
	}
	return err;
}

static ds_err push(struct label *l, struct dated **v, long *n, long *cap, long row, ds_date day)
{
	struct dated *p = model_grown(*v, cap, *n + 1, sizeof *p);
	if (!p)
		return oom(l);
	*v = p;
	p[(*n)++] = (struct dated){ (int32_t)row, day };
	return DS_OK;
}

/* An account's payment: before each row's date (its delinquency then) or
 * in its window. */
static ds_err add_payment(struct label *l, long k, ds_date v, ds_fen amount)
{
	ds_err err = DS_OK;
	for (long r = l->acc[k].first; r >= 0 && !err; r = l->rows[r].next) {
		struct trow *w = &l->rows[r];
		if (!w->open)
			continue;
		if (v < w->when) {
			w->paid_before += amount;
			w->after_rep += v > l->acc[k].rep_date ? amount : 0;
		} else if (v < w->end) {
			w->paid_in += amount;
			err = push(l, &l->pays, &l->npays, &l->pcap, r, v);
		}
	}
	return err;
}

/* Delinquency on each row's date, as the features saw it: payments before
 * the date, the schedule (or else the reported figures). */
static void delinquency(struct label *l, long k, struct ds_due *sched, size_t n)
{
	struct acct *a = &l->acc[k];
	a->sched = n > 0;
	bool sorted = true;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = sched[i - 1].due <= sched[i].due;
	if (!sorted)
		qsort(sched, n, sizeof *sched, model_by_due);
	for (long r = a->first; r >= 0; r = l->rows[r].next) {
		struct trow *w = &l->rows[r];
		if (!w->open)
			continue;
		struct ds_dpd dq;
		if (n > 0) {
			struct ds_paid p = { w->when - 1, w->paid_before };
			ds_dpd_compute(sched, n, &p, 1, w->when, &dq);
			w->inst = sched[0].amount;
			for (size_t i = 0; i < n && sched[i].due < w->when; i++)
				w->inst = sched[i].amount;
		} else {
			struct ds_paid p = { w->when - 1, w->after_rep };
			ds_dpd_from_reported(a->rep_overdue, a->rep_since, a->rep_date, &p,
			                     w->after_rep > 0, w->when, &dq);
		}
		w->dpd = dq.dpd;
		w->overdue = dq.overdue_fen;
	}
}

/* The account ledger: each dataset account's payments before `until`, then
 * its delinquency on each row's date. */
static ds_err load_ledger(struct label *l, ds_date until)
{
	ds_stmt *s;
	ds_err err = ds_store_ledger_sync(l->st, l->diag);
	if (err)
		return err;
	err = ds_store_prepare(l->st, "SELECT account_id, schedule, payments FROM account_ledger",
	                       &s, l->diag);
	if (err)
		return err;
	struct ds_ledger_rows lr = { 0 };
	bool more;
	while (!(err = ds_stmt_step(s, &more, l->diag)) && more) {
		long k = acct_of(l, ds_stmt_text(s, 0));
		if (k < 0)
			continue;
		if ((err = ds_ledger_rows_read(s, 1, &lr, l->diag)))
			break;
		for (size_t i = 0; !err && i < lr.npaid && lr.paid[i].date < until; i++)
			err = add_payment(l, k, lr.paid[i].date, lr.paid[i].amount);
		if (!err)
			delinquency(l, k, lr.due, lr.ndue);
	}
	ds_stmt_done(s);
	ds_ledger_rows_free(&lr);
	/* the accounts without a schedule: the bank's reported figures */
	for (long a = 0; !err && a < l->nacc; a++)
		if (!l->acc[a].sched)
			delinquency(l, a, NULL, 0);
	return err;
}

enum outcome { O_OTHER, O_REACHED, O_PROMISE, O_REFUSED };

static enum outcome outcome_of(const char *s)
{
	if (strcmp(s, "promise") == 0)
		return O_PROMISE;
	if (strcmp(s, "connected") == 0 || strcmp(s, "met_borrower") == 0)
		return O_REACHED;
	if (strcmp(s, "refused") == 0 || strcmp(s, "dispute") == 0)
		return O_REFUSED;
	return O_OTHER;
}

/* The local date of an instant in a row's window: whole days from its start. */
static ds_date day_in(const struct trow *w, ds_time t)
{
	return w->when + (ds_date)model_floor_div(t - w->from, DAY_S);
}

/* Contacts in each row's window: reached, refused, promised. */
static ds_err load_contacts(struct label *l, ds_time from, ds_time to)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(l->st,
	                              "SELECT account_id, started_at, outcome FROM contacts"
	                              " WHERE started_at >= ? AND started_at < ?",
	                              &s, l->diag);
	if (err)
		return err;
	ds_stmt_bind_int(s, 1, from);
	ds_stmt_bind_int(s, 2, to);
	bool more;
	while (!(err = ds_stmt_step(s, &more, l->diag)) && more) {
		long k = acct_of(l, ds_stmt_text(s, 0));
		if (k < 0)
			continue;
		ds_time at = ds_stmt_int(s, 1);
		enum outcome o = outcome_of(ds_stmt_text(s, 2));
		for (long r = l->acc[k].first; r >= 0 && !err; r = l->rows[r].next) {
			struct trow *w = &l->rows[r];
			if (!w->open || at < w->from || at >= w->to)
				continue;
			if ((o == O_REACHED || o == O_PROMISE) && at < w->first_reach)
				w->first_reach = at;
			w->refused |= o == O_REFUSED;
			if (o == O_PROMISE)
				err = push(l, &l->proms, &l->nproms, &l->qcap, r, day_in(w, at));
		}
	}
	ds_stmt_done(s);
	return err;
}

/* Promises recorded in the field (the promises table), as the features
 * count them besides the contacts. */
static ds_err load_promises(struct label *l, ds_time from, ds_time to)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(l->st,
	                              "SELECT account_id, created_at FROM promises"
	                              " WHERE created_at >= ? AND created_at < ?",
	                              &s, l->diag);
	if (err)
		return err;
	ds_stmt_bind_int(s, 1, from);
	ds_stmt_bind_int(s, 2, to);
	bool more;
	while (!(err = ds_stmt_step(s, &more, l->diag)) && more) {
		long k = acct_of(l, ds_stmt_text(s, 0));
		if (k < 0)
			continue;
		ds_time at = ds_stmt_int(s, 1);
		for (long r = l->acc[k].first; r >= 0 && !err; r = l->rows[r].next) {
			struct trow *w = &l->rows[r];
			if (w->open && at >= w->from && at < w->to)
				err = push(l, &l->proms, &l->nproms, &l->qcap, r, day_in(w, at));
		}
	}
	ds_stmt_done(s);
	return err;
}

static int by_row_day(const void *p, const void *q)
{
	const struct dated *x = p, *y = q;
	if (x->row != y->row)
		return (x->row > y->row) - (x->row < y->row);
	return (x->day > y->day) - (x->day < y->day);
}

/* Whether a payment of the row (pays[0..n), sorted) falls in [from, to]. */
static bool paid_between(const struct dated *pays, long n, ds_date from, ds_date to)
{
	for (long k = 0; k < n && pays[k].day <= to; k++)
		if (pays[k].day >= from)
			return true;
	return false;
}

static void assign(struct label *l, enum ds_target t)
{
	if (l->npays)
		qsort(l->pays, (size_t)l->npays, sizeof *l->pays, by_row_day);
	if (l->nproms)
		qsort(l->proms, (size_t)l->nproms, sizeof *l->proms, by_row_day);
	long p = 0, q = 0;
	for (long r = 0; r < l->d->nrows; r++) {
		const struct trow *w = &l->rows[r];
		long p0 = p, q0 = q;
		while (p < l->npays && l->pays[p].row == r)
			p++;
		while (q < l->nproms && l->proms[q].row == r)
			q++;
		float y = NAN;
		if (!w->open) {
			/* not yet observed, or not in the store */
		} else if (t == DS_TARGET_ABILITY) {
			/* delinquent, and shown willing by paying something
			 * without refusing: how much they paid is then a matter
			 * of capacity; not paying at all says nothing of it */
			if (w->dpd > 0 && !w->refused && w->paid_in > 0)
				y = w->paid_in < w->overdue ? 1.0f : 0.0f;
		} else if (w->first_reach != INT64_MAX) {
			ds_date reach = day_in(w, w->first_reach);
			bool unwilling = w->refused || !paid_between(l->pays + p0, p - p0, reach,
			                                             reach + REACH_DAYS);
			for (long k = q0; k < q && !unwilling; k++)
				unwilling = !paid_between(l->pays + p0, p - p0, l->proms[k].day,
				                          l->proms[k].day + KEEP_DAYS);
			y = unwilling ? 1.0f : 0.0f;
		}
		l->d->y[r] = y;
	}
}

ds_err ds_targets_label(struct ds_store *st, enum ds_target t, int horizon_days,
                        ds_date observed_until, ds_dataset *d, struct ds_diag *diag)
{
	if (t != DS_TARGET_ABILITY && t != DS_TARGET_WILLINGNESS)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "unknown target %d", (int)t);
	if (horizon_days < 1 || horizon_days > MAX_HORIZON)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "a target's horizon is 1 to %d days, not %d", MAX_HORIZON,
		                   horizon_days);
	if (!d->id || !d->when)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "labelling needs the rows' account ids and dates: a features "
		                   "dataset from the store");
	if (!d->y && !(d->y = ds_calloc((size_t)d->nrows + 1, sizeof *d->y)))
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL,
		                   "out of memory labelling targets");
	struct label l;
	memset(&l, 0, sizeof l);
	l.st = st;
	l.d = d;
	l.diag = diag;
	ds_err err = index_rows(&l, horizon_days, observed_until);
	if (!err)
		err = load_accounts(&l);
	/* the span every open row's window lies in */
	ds_date until = INT32_MIN;
	ds_time from = INT64_MAX, to = INT64_MIN;
	for (long r = 0; !err && r < d->nrows; r++) {
		const struct trow *w = &l.rows[r];
		if (!w->open)
			continue;
		until = w->end > until ? w->end : until;
		from = w->from < from ? w->from : from;
		to = w->to > to ? w->to : to;
	}
	if (!err && until != INT32_MIN) {
		if (!(err = load_ledger(&l, until)) && !(err = load_contacts(&l, from, to)))
			err = load_promises(&l, from, to);
	}
	if (!err)
		assign(&l, t);
	else
		for (long r = 0; r < d->nrows; r++)
			d->y[r] = NAN;
	ds_free(l.acc);
	model_strmap_free(&l.ids);
	ds_free(l.rows);
	for (long z = 0; z < l.nzones; z++)
		ds_free(l.zones[z].name);
	ds_free(l.zones);
	ds_free(l.cuts);
	ds_free(l.pays);
	ds_free(l.proms);
	return err;
}

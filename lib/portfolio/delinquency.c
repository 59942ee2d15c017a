/*
 * Days past due from the due schedule and payments, and the walk over every
 * open account of the store that the summaries and later stages use.
 */
#include "doorstep/portfolio.h"

#include <stdlib.h>
#include <string.h>

int ds_bucket_of(int dpd)
{
	if (dpd <= 0)
		return 0;
	if (dpd > 180)
		return 7;
	return (dpd - 1) / 30 + 1;
}

const char *ds_bucket_name(int bucket)
{
	static const char *const names[DS_BUCKETS] = { "M0", "M1", "M2", "M3",
		                                       "M4", "M5", "M6", "M7+" };
	return bucket >= 0 && bucket < DS_BUCKETS ? names[bucket] : "?";
}

static void finish(struct ds_dpd *out, ds_date as_of, ds_date oldest, ds_fen overdue)
{
	out->overdue_fen = overdue;
	out->oldest_unpaid = overdue > 0 ? oldest : 0;
	out->dpd = overdue > 0 ? as_of - oldest : 0;
	out->bucket = ds_bucket_of(out->dpd);
}

void ds_dpd_compute(const struct ds_due *sched, size_t n, const struct ds_paid *pay, size_t m,
                    ds_date as_of, struct ds_dpd *out)
{
	ds_fen paid = 0;
	for (size_t i = 0; i < m; i++)
		if (pay[i].date <= as_of)
			paid += pay[i].amount;
	/* Oldest first: the payments cover a prefix of the schedule. */
	ds_fen overdue = 0;
	ds_date oldest = 0;
	for (size_t i = 0; i < n && sched[i].due < as_of; i++) {
		ds_fen cover = paid < sched[i].amount ? paid : sched[i].amount;
		paid -= cover;
		ds_fen left = sched[i].amount - cover;
		if (left > 0 && overdue == 0)
			oldest = sched[i].due;
		overdue += left;
	}
	finish(out, as_of, oldest, overdue);
}

void ds_dpd_from_reported(ds_fen overdue, ds_date overdue_since, ds_date reported,
                          const struct ds_paid *pay, size_t m, ds_date as_of, struct ds_dpd *out)
{
	for (size_t i = 0; i < m; i++)
		if (pay[i].date > reported && pay[i].date <= as_of)
			overdue -= pay[i].amount;
	/* Without the first unpaid due date there is nothing to count from. */
	if (overdue < 0 || overdue_since == 0 || overdue_since >= as_of)
		overdue = 0;
	finish(out, as_of, overdue_since, overdue);
}

/* ------------------------------------------------------- store walk */

/* A growable array of the current account's rows. */
struct rows {
	void *p;
	size_t n, cap, size;
};

static ds_err push(struct rows *r, const void *item)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		void *p = ds_realloc(r->p, cap * r->size);
		if (!p)
			return DS_ENOMEM;
		r->p = p;
		r->cap = cap;
	}
	memcpy((char *)r->p + r->n * r->size, item, r->size);
	r->n++;
	return DS_OK;
}

/* A cursor over (account_id, date, amount) rows sorted by account. */
struct cursor {
	ds_stmt *s;
	bool row;
};

static ds_err cursor_next(struct cursor *c, struct ds_diag *diag)
{
	return ds_stmt_step(c->s, &c->row, diag);
}

static ds_date date_col(ds_stmt *s, int col)
{
	ds_date d = 0;
	if (!ds_stmt_is_null(s, col))
		ds_date_parse(ds_stmt_text(s, col), &d);
	return d;
}

/* Collects the cursor's rows for `account` (cursor rows sorted by account). */
static ds_err gather(struct cursor *c, const char *account, bool payments, struct rows *out,
                     struct ds_diag *diag)
{
	out->n = 0;
	ds_err err = DS_OK;
	while (c->row && !err) {
		int cmp = strcmp(ds_stmt_text(c->s, 0), account);
		if (cmp > 0)
			break;
		if (cmp == 0) {
			struct ds_due d = { date_col(c->s, 1), ds_stmt_int(c->s, 2) };
			struct ds_paid p = { d.due, d.amount };
			if ((err = push(out, payments ? (void *)&p : (void *)&d)))
				return ds_diag_set(diag, err, NULL, 0, NULL, "out of memory");
		}
		err = cursor_next(c, diag);
	}
	return err;
}

static int by_due(const void *a, const void *b)
{
	ds_date x = ((const struct ds_due *)a)->due, y = ((const struct ds_due *)b)->due;
	return (x > y) - (x < y);
}

ds_err ds_portfolio_each(ds_store *st, ds_date as_of, ds_dpd_visitor fn, void *ctx,
                         struct ds_diag *diag)
{
	/*
	 * Three cursors in account order, merged: no per-account queries. The
	 * ordering relies on byte-wise comparison of ids (SQLite's BINARY
	 * collation, strcmp here).
	 */
	struct cursor acc = { 0 }, ins = { 0 }, pay = { 0 };
	struct rows sched = { .size = sizeof(struct ds_due) };
	struct rows paid = { .size = sizeof(struct ds_paid) };
	char asof[11];
	ds_date_format(as_of, asof);
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT a.account_id, coalesce(b.community_id,''), a.balance_fen,"
	        " a.overdue_fen, a.overdue_since_date, a.reported_date"
	        " FROM accounts a JOIN borrowers b ON b.borrower_id = a.borrower_id"
	        " WHERE a.status IN ('active','legal') ORDER BY a.account_id",
	        &acc.s, diag);
	if (!err)
		err = ds_store_prepare(st,
		                       "SELECT account_id, due_date, amount_fen FROM installments"
		                       " ORDER BY account_id, seq",
		                       &ins.s, diag);
	if (!err)
		err = ds_store_prepare(st,
		                       "SELECT account_id, value_date, amount_fen FROM payments"
		                       " WHERE value_date <= ? ORDER BY account_id",
		                       &pay.s, diag);
	if (err)
		goto out;
	ds_stmt_bind_text(pay.s, 1, asof);
	if ((err = cursor_next(&ins, diag)) || (err = cursor_next(&pay, diag)))
		goto out;
	for (;;) {
		if ((err = cursor_next(&acc, diag)) || !acc.row)
			break;
		const char *id = ds_stmt_text(acc.s, 0);
		if ((err = gather(&ins, id, false, &sched, diag)) ||
		    (err = gather(&pay, id, true, &paid, diag)))
			break;
		struct ds_account_dpd a = {
			.account_id = id,
			.community_id = ds_stmt_text(acc.s, 1),
			.balance_fen = ds_stmt_int(acc.s, 2),
		};
		/* Installment numbers normally follow due dates; do not rely on it. */
		qsort(sched.p, sched.n, sizeof(struct ds_due), by_due);
		if (sched.n > 0)
			ds_dpd_compute(sched.p, sched.n, paid.p, paid.n, as_of, &a.d);
		else
			ds_dpd_from_reported(ds_stmt_int(acc.s, 3), date_col(acc.s, 4),
			                     date_col(acc.s, 5), paid.p, paid.n, as_of, &a.d);
		if ((err = fn(ctx, &a)))
			break;
	}
out:
	ds_stmt_done(acc.s);
	ds_stmt_done(ins.s);
	ds_stmt_done(pay.s);
	ds_free(sched.p);
	ds_free(paid.p);
	return err;
}

/* ------------------------------------------------------------ summary */

struct summary {
	struct ds_summary_row *rows;
	size_t n, cap;
};

static int by_community(const void *a, const void *b)
{
	return strcmp(((const struct ds_summary_row *)a)->community_id,
	              ((const struct ds_summary_row *)b)->community_id);
}

static ds_err add_to_summary(void *ctx, const struct ds_account_dpd *a)
{
	struct summary *s = ctx;
	/* Accounts come in account order, not community order: look up. */
	struct ds_summary_row key, *row = NULL;
	ds_strlcpy(key.community_id, a->community_id, sizeof key.community_id);
	if (s->n)
		row = bsearch(&key, s->rows, s->n, sizeof *row, by_community);
	if (!row) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 32;
			struct ds_summary_row *p = ds_realloc(s->rows, cap * sizeof *p);
			if (!p)
				return DS_ENOMEM;
			s->rows = p;
			s->cap = cap;
		}
		row = &s->rows[s->n++];
		memset(row, 0, sizeof *row);
		ds_strlcpy(row->community_id, a->community_id, sizeof row->community_id);
		qsort(s->rows, s->n, sizeof *row, by_community);
		row = bsearch(&key, s->rows, s->n, sizeof *row, by_community);
	}
	row->accounts[a->d.bucket]++;
	row->overdue_fen[a->d.bucket] += a->d.overdue_fen;
	row->balance_fen[a->d.bucket] += a->balance_fen;
	return DS_OK;
}

ds_err ds_portfolio_summary(ds_store *st, ds_date as_of, struct ds_summary_row **rows,
                            size_t *nrows, struct ds_diag *diag)
{
	struct summary s = { 0 };
	ds_err err = ds_portfolio_each(st, as_of, add_to_summary, &s, diag);
	if (err == DS_ENOMEM)
		ds_diag_set(diag, err, NULL, 0, NULL, "out of memory");
	struct ds_summary_row total;
	memset(&total, 0, sizeof total);
	for (size_t i = 0; !err && i < s.n; i++) {
		struct ds_summary_row *r = &s.rows[i];
		for (int b = 0; b < DS_BUCKETS; b++) {
			total.accounts[b] += r->accounts[b];
			total.overdue_fen[b] += r->overdue_fen[b];
			total.balance_fen[b] += r->balance_fen[b];
		}
		ds_stmt *q;
		if ((err = ds_store_prepare(st, "SELECT name FROM communities WHERE community_id=?",
		                            &q, diag)))
			break;
		bool row;
		ds_stmt_bind_text(q, 1, r->community_id);
		if (!(err = ds_stmt_step(q, &row, diag)) && row)
			ds_strlcpy(r->community_name, ds_stmt_text(q, 0), sizeof r->community_name);
		else if (!err)
			ds_strlcpy(r->community_name, "(no community)", sizeof r->community_name);
		ds_stmt_done(q);
	}
	if (!err && s.n == s.cap) {
		struct ds_summary_row *p = ds_realloc(s.rows, (s.cap + 1) * sizeof *p);
		if (!p)
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		else
			s.rows = p;
	}
	if (err) {
		ds_free(s.rows);
		return err;
	}
	/* The empty community id sorts first; keep "no community" there and put
	 * the total last. */
	ds_strlcpy(total.community_name, "(total)", sizeof total.community_name);
	s.rows[s.n++] = total;
	*rows = s.rows;
	*nrows = s.n;
	return DS_OK;
}

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

void ds_dpd_cumulative(const struct ds_due *sched, const ds_fen *cum, size_t n, ds_fen paid,
                       ds_date as_of, struct ds_dpd *out)
{
	/* m: the installments due before as_of */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sched[mid].due < as_of)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t m = lo;
	ds_fen due = m ? cum[m - 1] : 0;
	if (paid >= due) {
		finish(out, as_of, 0, 0);
		return;
	}
	/* the oldest unpaid: the first whose running total passes what was paid */
	lo = 0;
	hi = m - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cum[mid] > paid)
			hi = mid;
		else
			lo = mid + 1;
	}
	finish(out, as_of, sched[lo].due, due - (paid > 0 ? paid : 0));
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

static ds_date date_col(ds_stmt *s, int col)
{
	ds_date d = 0;
	if (!ds_stmt_is_null(s, col))
		ds_date_parse(ds_stmt_text(s, col), &d);
	return d;
}

ds_err ds_portfolio_each(ds_store *st, ds_date as_of, ds_dpd_visitor fn, void *ctx,
                         struct ds_diag *diag)
{
	/*
	 * The open accounts and the account ledger, both in account order,
	 * merged: no per-account queries. The ordering relies on byte-wise
	 * comparison of ids (SQLite's BINARY collation, strcmp here).
	 */
	ds_stmt *acc = NULL, *led = NULL;
	struct ds_ledger_rows rows = { 0 };
	bool more = false;
	ds_err err = ds_store_ledger_sync(st, diag);
	if (!err)
		err = ds_store_prepare(
		        st,
		        "SELECT a.account_id, coalesce(b.community_id,''), a.balance_fen,"
		        " a.overdue_fen, a.overdue_since_date, a.reported_date"
		        " FROM accounts a JOIN borrowers b ON b.borrower_id = a.borrower_id"
		        " WHERE a.status IN ('active','legal') ORDER BY a.account_id",
		        &acc, diag);
	if (!err)
		err = ds_store_prepare(st,
		                       "SELECT account_id, schedule, payments FROM account_ledger"
		                       " ORDER BY account_id",
		                       &led, diag);
	if (!err)
		err = ds_stmt_step(led, &more, diag);
	for (bool row; !err;) {
		if ((err = ds_stmt_step(acc, &row, diag)) || !row)
			break;
		const char *id = ds_stmt_text(acc, 0);
		int cmp = -1;
		while (more && (cmp = strcmp(ds_stmt_text(led, 0), id)) < 0)
			if ((err = ds_stmt_step(led, &more, diag)))
				break;
		rows.ndue = rows.npaid = 0;
		if (!err && more && cmp == 0)
			err = ds_ledger_rows_read(led, 1, &rows, diag);
		if (err)
			break;
		/* only what was paid by as_of counts */
		while (rows.npaid > 0 && rows.paid[rows.npaid - 1].date > as_of)
			rows.npaid--;
		struct ds_account_dpd a = {
			.account_id = id,
			.community_id = ds_stmt_text(acc, 1),
			.balance_fen = ds_stmt_int(acc, 2),
		};
		if (rows.ndue > 0)
			ds_dpd_compute(rows.due, rows.ndue, rows.paid, rows.npaid, as_of, &a.d);
		else
			ds_dpd_from_reported(ds_stmt_int(acc, 3), date_col(acc, 4),
			                     date_col(acc, 5), rows.paid, rows.npaid, as_of, &a.d);
		if ((err = fn(ctx, &a)))
			break;
	}
	ds_stmt_done(acc);
	ds_stmt_done(led);
	ds_ledger_rows_free(&rows);
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

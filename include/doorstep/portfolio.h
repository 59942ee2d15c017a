/*
 * The portfolio as of a date: delinquency (days past due and buckets)
 * derived from the due schedule and payments, and summaries of it.
 */
#ifndef DOORSTEP_PORTFOLIO_H
#define DOORSTEP_PORTFOLIO_H

#include "doorstep/core.h"
#include "doorstep/store.h"

/* Buckets: M0 current, M1 1-30 days, M2 31-60, ... M6 151-180, M7+ over 180. */
#define DS_BUCKETS 8

int ds_bucket_of(int dpd);
/* "M0" ... "M6", "M7+". */
const char *ds_bucket_name(int bucket);

struct ds_due {
	ds_date due;
	ds_fen amount;
};

struct ds_paid {
	ds_date date; /* value date */
	ds_fen amount;
};

struct ds_dpd {
	int dpd; /* days past due as of the date; 0 when current */
	int bucket;
	ds_fen overdue_fen;    /* unpaid amount of installments due before the date */
	ds_date oldest_unpaid; /* due date of the oldest unpaid installment (if dpd) */
};

/*
 * Delinquency as of `as_of` from a schedule (sorted by due date) and the
 * payments (any order; those dated after as_of are ignored). Payments settle
 * installments oldest first; an installment due on `as_of` itself is not yet
 * past due. A partly paid installment stays unpaid.
 */
void ds_dpd_compute(const struct ds_due *sched, size_t n, const struct ds_paid *pay, size_t m,
                    ds_date as_of, struct ds_dpd *out);

/*
 * The same as ds_dpd_compute with everything paid by as_of summed in
 * `paid`, for a schedule in due-date order and its running totals (cum[k]:
 * installments 0..k): two binary searches, for callers that ask about many
 * dates of one account.
 */
void ds_dpd_cumulative(const struct ds_due *sched, const ds_fen *cum, size_t n, ds_fen paid,
                       ds_date as_of, struct ds_dpd *out);

/*
 * Delinquency without a schedule, from the bank's reported figures (overdue
 * amount, first unpaid due date, as of reported_date) less the payments
 * booked after reported_date and on or before as_of.
 */
void ds_dpd_from_reported(ds_fen overdue, ds_date overdue_since, ds_date reported,
                          const struct ds_paid *pay, size_t m, ds_date as_of, struct ds_dpd *out);

/*
 * One account's row of the account ledger (store.h) unpacked: its schedule
 * in due-date order and its payments in value-date order. The arrays grow
 * as needed and are reused row after row; ds_ledger_rows_free at the end.
 */
struct ds_ledger_rows {
	struct ds_due *due;
	size_t ndue, due_cap;
	struct ds_paid *paid;
	size_t npaid, paid_cap;
};
/* Unpacks columns col (schedule) and col + 1 (payments) of the current row
 * of s, whose column 0 is the account id; DS_ESTORE names a damaged row. */
ds_err ds_ledger_rows_read(ds_stmt *s, int col, struct ds_ledger_rows *r, struct ds_diag *diag);
/* The same from the two blobs themselves (`account` names it in errors). */
ds_err ds_ledger_rows_unpack(const char *account, const void *schedule, size_t schedule_len,
                             const void *payments, size_t payments_len, struct ds_ledger_rows *r,
                             struct ds_diag *diag);
void ds_ledger_rows_free(struct ds_ledger_rows *r);

/* One open account's state, handed to a visitor. */
struct ds_account_dpd {
	const char *account_id;
	const char *community_id; /* "" when unknown */
	ds_fen balance_fen;
	struct ds_dpd d;
};

typedef ds_err (*ds_dpd_visitor)(void *ctx, const struct ds_account_dpd *a);

/* Visits every open (active or legal) account in account-id order. */
ds_err ds_portfolio_each(ds_store *st, ds_date as_of, ds_dpd_visitor fn, void *ctx,
                         struct ds_diag *diag);

struct ds_summary_row {
	char community_id[65];
	char community_name[101];
	long accounts[DS_BUCKETS];
	ds_fen overdue_fen[DS_BUCKETS];
	ds_fen balance_fen[DS_BUCKETS];
};

/*
 * Open accounts by community and bucket as of a date. *rows (caller frees
 * with ds_free) is sorted by community id; the last row, with an empty id,
 * is the total.
 */
ds_err ds_portfolio_summary(ds_store *st, ds_date as_of, struct ds_summary_row **rows,
                            size_t *nrows, struct ds_diag *diag);

#endif

/*
 * Unpacking a row of the account ledger into the schedule and payment
 * arrays that delinquency is computed from.
 */
#include "doorstep/portfolio.h"

#include <stddef.h>
#include <string.h>

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return true;
	size_t c = *cap ? *cap : 32;
	while (c < need)
		c *= 2;
	void *q = ds_realloc(*p, c * size);
	if (!q)
		return false;
	*p = q;
	*cap = c;
	return true;
}

/* One packed list into (date, amount) pairs: struct ds_due and struct
 * ds_paid have that layout alike. */
static ds_err unpack(const void *blob, size_t len, const char *account, const char *what, void **p,
                     size_t *n, size_t *cap, size_t size, struct ds_diag *diag)
{
	struct ds_ledger_iter it;
	long count = 0;
	*n = 0;
	if (ds_ledger_begin(&it, blob, len, &count) != DS_OK)
		goto damaged;
	if (!grow(p, cap, (size_t)count, size))
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	ds_date day;
	ds_fen fen;
	int r;
	while ((r = ds_ledger_next(&it, &day, &fen)) > 0) {
		struct ds_paid *e = (struct ds_paid *)((char *)*p + *n * size);
		e->date = day;
		e->amount = fen;
		(*n)++;
	}
	if (r == 0)
		return DS_OK;
damaged:
	return ds_diag_set(diag, DS_ESTORE, NULL, 0, NULL,
	                   "account_ledger: the %s of account %s are damaged", what, account);
}

ds_err ds_ledger_rows_unpack(const char *account, const void *schedule, size_t schedule_len,
                             const void *payments, size_t payments_len, struct ds_ledger_rows *r,
                             struct ds_diag *diag)
{
	_Static_assert(sizeof(struct ds_due) == sizeof(struct ds_paid) &&
	                       offsetof(struct ds_due, due) == offsetof(struct ds_paid, date) &&
	                       offsetof(struct ds_due, amount) == offsetof(struct ds_paid, amount),
	               "a schedule item and a payment have the same layout");
	ds_err err = unpack(schedule, schedule_len, account, "schedule", (void **)&r->due, &r->ndue,
	                    &r->due_cap, sizeof *r->due, diag);
	return err ? err
	           : unpack(payments, payments_len, account, "payments", (void **)&r->paid,
	                    &r->npaid, &r->paid_cap, sizeof *r->paid, diag);
}

ds_err ds_ledger_rows_read(ds_stmt *s, int col, struct ds_ledger_rows *r, struct ds_diag *diag)
{
	size_t slen, plen;
	const void *sched = ds_stmt_blob(s, col, &slen);
	const void *pay = ds_stmt_blob(s, col + 1, &plen);
	return ds_ledger_rows_unpack(ds_stmt_text(s, 0), sched, slen, pay, plen, r, diag);
}

void ds_ledger_rows_free(struct ds_ledger_rows *r)
{
	ds_free(r->due);
	ds_free(r->paid);
	memset(r, 0, sizeof *r);
}

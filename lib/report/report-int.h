/* What the report layer's files share and nobody else needs. */
#ifndef DOORSTEP_REPORT_INT_H
#define DOORSTEP_REPORT_INT_H

#include "doorstep/report.h"

/* One open account as a walk of the portfolio found it. */
struct report_acc {
	char id[65], community[65];
	int bucket, dpd;
	ds_fen overdue;
};

/* The open accounts as of a day, in account-id order; free a with ds_free. */
struct report_walk {
	struct report_acc *a;
	long n, cap;
	struct ds_diag *diag;
};
ds_err report_walk(ds_store *st, ds_date day, struct report_walk *w, struct ds_diag *diag);

/* The index in w of the account id, merging forward from *j (ids asked in
 * rising order); -1 when w has no such account. */
long report_match(const struct report_walk *w, long *j, const char *id);

#endif

/* The portfolio as of a day, kept for the reports (report-int.h). */
#include "report-int.h"

#include <string.h>

static ds_err keep(void *ctx, const struct ds_account_dpd *x)
{
	struct report_walk *w = ctx;
	ds_err err = ds_grow((void **)&w->a, &w->cap, w->n, sizeof *w->a, 1024, w->diag);
	if (err)
		return err;
	struct report_acc *a = &w->a[w->n++];
	ds_strlcpy(a->id, x->account_id, sizeof a->id);
	ds_strlcpy(a->community, x->community_id, sizeof a->community);
	a->bucket = x->d.bucket;
	a->dpd = x->d.dpd;
	a->overdue = x->d.overdue_fen;
	return DS_OK;
}

ds_err report_walk(ds_store *st, ds_date day, struct report_walk *w, struct ds_diag *diag)
{
	memset(w, 0, sizeof *w);
	w->diag = diag;
	return ds_portfolio_each(st, day, keep, w, diag);
}

long report_match(const struct report_walk *w, long *j, const char *id)
{
	while (*j < w->n && strcmp(w->a[*j].id, id) < 0)
		(*j)++;
	return *j < w->n && strcmp(w->a[*j].id, id) == 0 ? *j : -1;
}

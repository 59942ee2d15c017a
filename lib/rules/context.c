/*
 * What the rules need to know about every borrower, loaded from the store in
 * a few sorted scans: the account's zone and community, the borrower's
 * contacts since a date and holds, and each community's visit times. Built
 * once, it answers for any number of proposals without further queries (the
 * planner's and `rules check --store`'s path).
 */
#include "doorstep/store.h"
#include "rules-int.h"

#include <stdlib.h>
#include <string.h>

struct ds_rules_account {
	char *id;
	int borrower;  /* index into borrowers */
	int community; /* index into communities, -1 none */
	int zone;      /* index into zones */
};

struct group {
	int first, n; /* a range of rows of a sorted array */
};

struct ds_rules_context {
	struct ds_rules_account *acc;
	long nacc;
	char **borrower_ids;
	long nb;
	struct group *hist_of, *holds_of; /* per borrower */
	struct ds_past_contact *hist;
	long nhist;
	struct ds_hold *holds;
	char (*hold_kind)[32];
	long nholds;
	char **community_ids;
	long ncomm;
	struct group *visits_of; /* per community, into visit_at */
	ds_time *visit_at;
	long nvisits;
	char *zones[64];
	int nzones;
};

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static long find_str(char **arr, long n, const char *key)
{
	char **hit = bsearch(&key, arr, (size_t)n, sizeof *arr, by_str);
	return hit ? hit - arr : -1;
}

static int by_time(const void *a, const void *b)
{
	ds_time x = *(const ds_time *)a, y = *(const ds_time *)b;
	return (x > y) - (x < y);
}

static int by_acct(const void *a, const void *b)
{
	return strcmp(((const struct ds_rules_account *)a)->id,
	              ((const struct ds_rules_account *)b)->id);
}

/* Reads one text column of a query into a sorted, de-duplicated array. */
static ds_err id_list(ds_store *st, const char *sql, char ***out, long *n, struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st, sql, &s, diag);
	if (err)
		return err;
	long cap = 1024, k = 0;
	char **arr = ds_malloc((size_t)cap * sizeof *arr);
	bool row;
	while (arr && !(err = ds_stmt_step(s, &row, diag)) && row) {
		if (k == cap) {
			char **p = ds_realloc(arr, (size_t)(cap *= 2) * sizeof *arr);
			if (!p)
				break;
			arr = p;
		}
		if (!(arr[k] = ds_strdup(ds_stmt_text(s, 0))))
			break;
		k++;
	}
	ds_stmt_done(s);
	if (!err && (!arr || row)) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	if (err) {
		for (long i = 0; arr && i < k; i++)
			ds_free(arr[i]);
		ds_free(arr);
		return err;
	}
	/* the queries return sorted ids already (ORDER BY, byte order) */
	*out = arr;
	*n = k;
	return DS_OK;
}

void ds_rules_context_free(ds_rules_context *cx)
{
	if (!cx)
		return;
	for (long i = 0; i < cx->nacc; i++)
		ds_free(cx->acc[i].id);
	for (long i = 0; i < cx->nb; i++)
		ds_free(cx->borrower_ids[i]);
	for (long i = 0; i < cx->ncomm; i++)
		ds_free(cx->community_ids[i]);
	for (int i = 0; i < cx->nzones; i++)
		ds_free(cx->zones[i]);
	ds_free(cx->acc);
	ds_free(cx->borrower_ids);
	ds_free(cx->community_ids);
	ds_free(cx->hist_of);
	ds_free(cx->holds_of);
	ds_free(cx->hist);
	ds_free(cx->holds);
	ds_free(cx->hold_kind);
	ds_free(cx->visits_of);
	ds_free(cx->visit_at);
	ds_free(cx);
}

ds_err ds_rules_context_load(ds_store *st, ds_time since, ds_rules_context **out,
                             struct ds_diag *diag)
{
	ds_rules_context *cx = ds_calloc(1, sizeof *cx);
	if (!cx)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	ds_err err;
	if ((err = id_list(st, "SELECT borrower_id FROM borrowers ORDER BY borrower_id",
	                   &cx->borrower_ids, &cx->nb, diag)) ||
	    (err = id_list(st, "SELECT community_id FROM communities ORDER BY community_id",
	                   &cx->community_ids, &cx->ncomm, diag)))
		goto fail;
	cx->hist_of = ds_calloc((size_t)cx->nb + 1, sizeof *cx->hist_of);
	cx->holds_of = ds_calloc((size_t)cx->nb + 1, sizeof *cx->holds_of);
	cx->visits_of = ds_calloc((size_t)cx->ncomm + 1, sizeof *cx->visits_of);
	if (!cx->hist_of || !cx->holds_of || !cx->visits_of) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto fail;
	}
	/* accounts */
	ds_stmt *s;
	bool row;
	if ((err = ds_store_prepare(
	             st,
	             "SELECT a.account_id, a.borrower_id, coalesce(b.community_id,''),"
	             " r.timezone FROM accounts a"
	             " JOIN borrowers b ON b.borrower_id = a.borrower_id"
	             " JOIN branches r ON r.branch_id = a.branch_id",
	             &s, diag)))
		goto fail;
	long cap = 0;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if (cx->nacc == cap) {
			cap = cap ? cap * 2 : 1024;
			struct ds_rules_account *p = ds_realloc(cx->acc, (size_t)cap * sizeof *p);
			if (!p) {
				err = DS_ENOMEM;
				break;
			}
			cx->acc = p;
		}
		struct ds_rules_account *a = &cx->acc[cx->nacc];
		const char *zone = ds_stmt_text(s, 3);
		int z = -1;
		for (int i = 0; i < cx->nzones && z < 0; i++)
			if (strcmp(cx->zones[i], zone) == 0)
				z = i;
		if (z < 0 && cx->nzones < 64 && (cx->zones[cx->nzones] = ds_strdup(zone)))
			z = cx->nzones++;
		a->id = ds_strdup(ds_stmt_text(s, 0));
		a->borrower = (int)find_str(cx->borrower_ids, cx->nb, ds_stmt_text(s, 1));
		a->community = (int)find_str(cx->community_ids, cx->ncomm, ds_stmt_text(s, 2));
		a->zone = z;
		if (!a->id || z < 0) {
			ds_free(a->id);
			err = DS_ENOMEM;
			break;
		}
		cx->nacc++;
	}
	ds_stmt_done(s);
	if (err) {
		if (err == DS_ENOMEM)
			ds_diag_set(diag, err, NULL, 0, NULL,
			            "out of memory (or over 64 time zones)");
		goto fail;
	}
	qsort(cx->acc, (size_t)cx->nacc, sizeof *cx->acc, by_acct);
	/* contacts since `since`, by borrower then time; community visits */
	if ((err = ds_store_prepare(
	             st,
	             "SELECT a.borrower_id, c.started_at, c.channel, c.party, c.outcome,"
	             " coalesce(b.community_id,'')"
	             " FROM contacts c JOIN accounts a ON a.account_id = c.account_id"
	             " JOIN borrowers b ON b.borrower_id = a.borrower_id"
	             " WHERE c.started_at >= ? ORDER BY a.borrower_id, c.started_at",
	             &s, diag)))
		goto fail;
	ds_stmt_bind_int(s, 1, since);
	long hcap = 0;
	int *vis_comm = NULL;
	long vcap = 0;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if (cx->nhist == hcap) {
			hcap = hcap ? hcap * 2 : 4096;
			struct ds_past_contact *p = ds_realloc(cx->hist, (size_t)hcap * sizeof *p);
			if (!p) {
				err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
				break;
			}
			cx->hist = p;
		}
		long b = find_str(cx->borrower_ids, cx->nb, ds_stmt_text(s, 0));
		struct ds_past_contact *c = &cx->hist[cx->nhist];
		c->at = ds_stmt_int(s, 1);
		c->outcome = rules_outcome_of(ds_stmt_text(s, 4));
		c->number = NULL;
		if (b < 0 || ds_channel_parse(ds_stmt_text(s, 2), &c->channel) ||
		    ds_party_parse(ds_stmt_text(s, 3), &c->party))
			continue;
		if (cx->hist_of[b].n == 0)
			cx->hist_of[b].first = (int)cx->nhist;
		cx->hist_of[b].n++;
		cx->nhist++;
		long cm = c->channel == DS_CH_VISIT
		                  ? find_str(cx->community_ids, cx->ncomm, ds_stmt_text(s, 5))
		                  : -1;
		if (cm >= 0) {
			if (cx->nvisits == vcap) {
				vcap = vcap ? vcap * 2 : 1024;
				ds_time *p = ds_realloc(cx->visit_at, (size_t)vcap * sizeof *p);
				int *q = p ? ds_realloc(vis_comm, (size_t)vcap * sizeof *q) : NULL;
				if (p)
					cx->visit_at = p;
				if (!p || !q) {
					err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL,
					                  "out of memory");
					break;
				}
				vis_comm = q;
			}
			cx->visit_at[cx->nvisits] = c->at;
			vis_comm[cx->nvisits++] = (int)cm;
		}
	}
	ds_stmt_done(s);
	if (!err && cx->nvisits) {
		/* group visit times by community, each group sorted */
		ds_time *sorted = ds_malloc((size_t)cx->nvisits * sizeof *sorted);
		if (!sorted) {
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		} else {
			for (long i = 0; i < cx->nvisits; i++)
				cx->visits_of[vis_comm[i]].n++;
			long at = 0;
			for (long c = 0; c < cx->ncomm; c++) {
				cx->visits_of[c].first = (int)at;
				at += cx->visits_of[c].n;
				cx->visits_of[c].n = 0;
			}
			for (long i = 0; i < cx->nvisits; i++) {
				struct group *g = &cx->visits_of[vis_comm[i]];
				sorted[g->first + g->n++] = cx->visit_at[i];
			}
			/* contacts came in borrower order: sort each community's times */
			for (long c = 0; c < cx->ncomm; c++)
				qsort(sorted + cx->visits_of[c].first, (size_t)cx->visits_of[c].n,
				      sizeof *sorted, by_time);
			ds_free(cx->visit_at);
			cx->visit_at = sorted;
			sorted = NULL;
		}
		ds_free(sorted);
	}
	ds_free(vis_comm);
	if (err)
		goto fail;
	/* holds */
	if ((err = ds_store_prepare(st,
	                            "SELECT borrower_id, kind, starts_at, coalesce(ends_at, 0)"
	                            " FROM holds UNION ALL"
	                            /* an address flagged unsafe is held so */
	                            " SELECT borrower_id, 'safety_risk', 0, 0 FROM borrowers"
	                            " WHERE ',' || replace(flags, ' ', '') || ','"
	                            " LIKE '%,safety_risk,%' ORDER BY 1",
	                            &s, diag)))
		goto fail;
	long kcap = 0;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if (cx->nholds == kcap) {
			kcap = kcap ? kcap * 2 : 256;
			struct ds_hold *p = ds_realloc(cx->holds, (size_t)kcap * sizeof *p);
			char(*k)[32] =
			        p ? ds_realloc(cx->hold_kind, (size_t)kcap * sizeof *k) : NULL;
			if (p)
				cx->holds = p;
			if (!p || !k) {
				err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
				break;
			}
			cx->hold_kind = k;
		}
		long b = find_str(cx->borrower_ids, cx->nb, ds_stmt_text(s, 0));
		if (b < 0)
			continue;
		ds_strlcpy(cx->hold_kind[cx->nholds], ds_stmt_text(s, 1), sizeof cx->hold_kind[0]);
		cx->holds[cx->nholds] =
		        (struct ds_hold){ NULL, ds_stmt_int(s, 2), ds_stmt_int(s, 3) };
		if (cx->holds_of[b].n == 0)
			cx->holds_of[b].first = (int)cx->nholds;
		cx->holds_of[b].n++;
		cx->nholds++;
	}
	ds_stmt_done(s);
	for (long i = 0; i < cx->nholds; i++)
		cx->holds[i].kind = cx->hold_kind[i];
	if (err)
		goto fail;
	*out = cx;
	return DS_OK;
fail:
	ds_rules_context_free(cx);
	return err;
}

static int count_before(const ds_time *t, int n, ds_time x) /* entries < x */
{
	int lo = 0, hi = n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (t[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const ds_rules_account *ds_rules_context_account(const ds_rules_context *cx, const char *account_id)
{
	struct ds_rules_account key = { (char *)account_id, 0, 0, 0 };
	return bsearch(&key, cx->acc, (size_t)cx->nacc, sizeof key, by_acct);
}

const char *ds_rules_account_zone(const ds_rules_context *cx, const ds_rules_account *a)
{
	return cx->zones[a->zone];
}

void ds_rules_context_fill(const ds_rules_context *cx, const ds_rules_account *a,
                           struct ds_proposal *p)
{
	p->zone = cx->zones[a->zone];
	p->community_id = a->community >= 0 ? cx->community_ids[a->community] : NULL;
	/* only the contacts before the proposal count */
	if (a->borrower >= 0) {
		/* an empty store has no arrays at all: no offsets from NULL */
		const struct group *h = &cx->hist_of[a->borrower];
		const struct ds_past_contact *c = h->n ? cx->hist + h->first : NULL;
		int n = 0;
		while (n < h->n && c[n].at < p->start)
			n++;
		p->history = c;
		p->nhistory = n;
		const struct group *g = &cx->holds_of[a->borrower];
		p->holds = g->n ? cx->holds + g->first : NULL;
		p->nholds = g->n;
		p->borrower_unreachable = rules_unreachable(c, n);
	}
	if (a->community >= 0 && p->channel == DS_CH_VISIT) {
		ds_time from;
		const struct group *g = &cx->visits_of[a->community];
		if (g->n && rules_week_start(p->zone, p->start, &from) == DS_OK)
			p->community_visits_week =
			        count_before(cx->visit_at + g->first, g->n, p->start) -
			        count_before(cx->visit_at + g->first, g->n, from);
	}
}

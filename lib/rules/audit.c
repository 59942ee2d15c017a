/*
 * The audit: every contact in the store, re-checked by the same engine in
 * the light of what came before it (the borrower's earlier contacts, holds,
 * the community's visits that week), so that an auditor can show afterwards
 * that nothing broke a rule, or list what did.
 */
#include "doorstep/store.h"
#include "rules-int.h"

#include <string.h>

/* The borrower's contacts so far, growing as the audit walks them. */
struct history {
	struct ds_past_contact *c;
	int n, cap;
};

static ds_err remember(struct history *h, const struct ds_past_contact *c)
{
	if (h->n == h->cap) {
		int cap = h->cap ? h->cap * 2 : 64;
		struct ds_past_contact *p = ds_realloc(h->c, (size_t)cap * sizeof *p);
		if (!p)
			return DS_ENOMEM;
		h->c = p;
		h->cap = cap;
	}
	h->c[h->n++] = *c;
	return DS_OK;
}

struct holds {
	struct ds_hold *h;
	char (*kind)[32];
	int n, cap;
};

static ds_err load_holds(ds_store *st, const char *borrower, struct holds *hs, struct ds_diag *diag)
{
	hs->n = 0;
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st, "SELECT kind, starts_at, coalesce(ends_at, 0) FROM holds WHERE borrower_id = ?",
	        &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, borrower);
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if (hs->n == hs->cap) {
			int cap = hs->cap ? hs->cap * 2 : 8;
			struct ds_hold *p = ds_realloc(hs->h, (size_t)cap * sizeof *p);
			char(*k)[32] = p ? ds_realloc(hs->kind, (size_t)cap * sizeof *k) : NULL;
			if (p)
				hs->h = p;
			if (!p || !k) {
				err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
				break;
			}
			hs->kind = k;
			hs->cap = cap;
		}
		ds_strlcpy(hs->kind[hs->n], ds_stmt_text(s, 0), sizeof hs->kind[0]);
		hs->h[hs->n] = (struct ds_hold){ NULL, ds_stmt_int(s, 1), ds_stmt_int(s, 2) };
		hs->n++;
	}
	ds_stmt_done(s);
	for (int i = 0; i < hs->n; i++)
		hs->h[i].kind = hs->kind[i];
	return err;
}

/* Visits in the community in its week before the contact. */
static ds_err community_visits(ds_store *st, const char *community, const char *zone, ds_time at,
                               int *out, struct ds_diag *diag)
{
	*out = 0;
	ds_time from;
	if (rules_week_start(zone, at, &from))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "timezone", "bad zone \"%s\"", zone);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT count(*) FROM contacts c"
	                              " JOIN accounts a ON a.account_id = c.account_id"
	                              " JOIN borrowers b ON b.borrower_id = a.borrower_id"
	                              " WHERE b.community_id = ? AND c.channel = 'visit'"
	                              " AND c.started_at >= ? AND c.started_at < ?",
	                              &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, community);
	ds_stmt_bind_int(s, 2, from);
	ds_stmt_bind_int(s, 3, at);
	bool row;
	if (!(err = ds_stmt_step(s, &row, diag)) && row)
		*out = (int)ds_stmt_int(s, 0);
	ds_stmt_done(s);
	return err;
}

ds_err ds_rules_audit(ds_store *st, const ds_rulepack *pack, ds_audit_fn fn, void *ctx,
                      long *checked, long *found, struct ds_diag *diag)
{
	*checked = *found = 0;
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT c.contact_id, c.account_id, b.borrower_id, c.channel, c.started_at,"
	        " coalesce(c.duration_s, 0), c.party, c.outcome, coalesce(b.community_id, ''),"
	        " r.timezone"
	        " FROM contacts c JOIN accounts a ON a.account_id = c.account_id"
	        " JOIN borrowers b ON b.borrower_id = a.borrower_id"
	        " JOIN branches r ON r.branch_id = a.branch_id"
	        " ORDER BY b.borrower_id, c.started_at, c.contact_id",
	        &s, diag);
	if (err)
		return err;
	struct history h = { 0 };
	struct holds hs = { 0 };
	char borrower[72] = "";
	bool row;
	while (!err && !(err = ds_stmt_step(s, &row, diag)) && row) {
		const char *b = ds_stmt_text(s, 2);
		if (strcmp(b, borrower) != 0) {
			ds_strlcpy(borrower, b, sizeof borrower);
			h.n = 0;
			if ((err = load_holds(st, borrower, &hs, diag)))
				break;
		}
		struct ds_past_contact now = { .at = ds_stmt_int(s, 4),
			                       .outcome = rules_outcome_of(ds_stmt_text(s, 7)) };
		if (ds_channel_parse(ds_stmt_text(s, 3), &now.channel) ||
		    ds_party_parse(ds_stmt_text(s, 6), &now.party)) {
			err = ds_diag_set(diag, DS_ESTORE, NULL, 0, ds_stmt_text(s, 0),
			                  "contact with an unknown channel or party");
			break;
		}
		const char *zone = ds_stmt_text(s, 9);
		struct ds_proposal p = {
			.stage = DS_STAGE_PLAN, /* conduct at the door is in the visit records */
			.channel = now.channel,
			.party = now.party,
			.content = now.party == DS_PARTY_BORROWER || now.party == DS_PARTY_GUARANTOR
			                   ? DS_CONTENT_REMINDER
			                   : DS_CONTENT_LOCATION_INQUIRY,
			/* a recorded purpose is what the contact was for */
			.start = now.at,
			.duration_s = (int)ds_stmt_int(s, 5),
			.zone = zone,
			.community_id = ds_stmt_text(s, 8),
			.team_unknown = true,
			.borrower_unreachable = rules_unreachable(h.c, h.n),
			.history = h.c,
			.nhistory = h.n,
			.holds = hs.h,
			.nholds = hs.n,
		};
		if (ds_stmt_text(s, 10)[0])
			ds_content_parse(ds_stmt_text(s, 10), &p.content);
		if (p.channel == DS_CH_VISIT && p.community_id[0] &&
		    (err = community_visits(st, p.community_id, zone, now.at,
		                            &p.community_visits_week, diag)))
			break;
		struct ds_verdict v;
		if ((err = ds_rules_check(pack, &p, &v, diag)))
			break;
		(*checked)++;
		if (!v.allow) {
			(*found)++;
			struct ds_audit_finding f = { ds_stmt_text(s, 0), ds_stmt_text(s, 1),
				                      now.at, &v };
			if (fn && (err = fn(ctx, &f)))
				break;
		}
		if (remember(&h, &now))
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	ds_stmt_done(s);
	ds_free(h.c);
	ds_free(hs.h);
	ds_free(hs.kind);
	return err;
}

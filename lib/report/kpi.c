/*
 * The KPIs of a period and the roll rates (report.h, docs/reports.md).
 *
 * The portfolio is walked as of both ends of the period (the delinquency
 * layer decides who is past due and in which bucket); the accounts open at
 * the start go into a temporary table with what the walks found, and one
 * query per report attaches to each its group and what happened to it in
 * the period, from the store's own records, and sums them by group.
 */
#include "report-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const by_names[DS_BY_COUNT] = {
	"all", "treatment", "bucket", "quadrant", "community", "team", "collector", "arm",
};

const char *ds_report_by_name(ds_report_by by)
{
	return (unsigned)by < DS_BY_COUNT ? by_names[by] : "?";
}

ds_err ds_report_by_parse(const char *s, ds_report_by *out)
{
	for (int i = 0; i < DS_BY_COUNT; i++)
		if (strcmp(s, by_names[i]) == 0) {
			*out = (ds_report_by)i;
			return DS_OK;
		}
	return DS_EINVAL;
}

/* ------------------------------------------------------------- the walks */

/* Both walks: the accounts open at each end, in account-id order. */
static ds_err walks(ds_store *st, ds_date from, ds_date to, struct report_walk *a,
                    struct report_walk *b, struct ds_diag *diag)
{
	memset(a, 0, sizeof *a);
	memset(b, 0, sizeof *b);
	if (to < from)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "to",
		                   "the period ends before it starts");
	ds_err err = report_walk(st, from, a, diag);
	if (!err)
		err = report_walk(st, to, b, diag);
	return err;
}

ds_err ds_report_roll_rates(ds_store *st, ds_date from, ds_date to, struct ds_roll_matrix *out,
                            struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	struct report_walk a, b;
	ds_err err = walks(st, from, to, &a, &b, diag);
	long j = 0;
	for (long k = 0; !err && k < a.n; k++) {
		long m = report_match(&b, &j, a.a[k].id);
		if (m >= 0)
			out->n[a.a[k].bucket][b.a[m].bucket]++;
	}
	ds_free(a.a);
	ds_free(b.a);
	return err;
}

/* ------------------------------------------------------------------ KPIs */

/* Each account's group, as SQL over kpi_pop p (?1 from, ?2 to: dates). */
static const char *group_sql(ds_report_by by)
{
	switch (by) {
	case DS_BY_TREATMENT:
		return "coalesce((SELECT CASE max(CASE d.treatment WHEN 'visit' THEN 6"
		       " WHEN 'legal' THEN 5 WHEN 'plan' THEN 4 WHEN 'call' THEN 3"
		       " WHEN 'letter' THEN 2 WHEN 'sms' THEN 1 ELSE 0 END)"
		       " WHEN 6 THEN 'visit' WHEN 5 THEN 'legal' WHEN 4 THEN 'plan'"
		       " WHEN 3 THEN 'call' WHEN 2 THEN 'letter' WHEN 1 THEN 'sms' ELSE 'none' END"
		       " FROM decisions d WHERE d.account_id = p.account_id"
		       " AND d.plan_date > ?1 AND d.plan_date <= ?2), 'none')";
	case DS_BY_BUCKET:
		return "p.bucket_name";
	case DS_BY_QUADRANT:
		return "coalesce((SELECT s.quadrant FROM scores s WHERE s.account_id = p.account_id"
		       " AND s.score_date <= ?1 AND s.quadrant IS NOT NULL"
		       " ORDER BY s.score_date DESC LIMIT 1), '(unscored)')";
	case DS_BY_COMMUNITY:
		return "coalesce((SELECT b.community_id FROM accounts a JOIN borrowers b"
		       " ON b.borrower_id = a.borrower_id WHERE a.account_id = p.account_id),"
		       " '(none)')";
	case DS_BY_TEAM:
		return "coalesce((SELECT group_concat(staff_id, '+') FROM (SELECT m.staff_id"
		       " FROM team_members m WHERE m.team_id = (SELECT v.team_id FROM visits v"
		       " WHERE v.account_id = p.account_id AND v.visit_date > ?1"
		       " AND v.visit_date <= ?2 AND v.team_id IS NOT NULL"
		       " ORDER BY v.visit_date DESC, v.visit_id DESC LIMIT 1)"
		       " ORDER BY m.staff_id) AS members), '(no visit)')";
	case DS_BY_COLLECTOR:
		return "coalesce((SELECT substr(v.team_id, instr(v.team_id, '/') + 1) FROM visits v"
		       " WHERE v.account_id = p.account_id AND v.visit_date > ?1"
		       " AND v.visit_date <= ?2 AND v.team_id IS NOT NULL"
		       " ORDER BY v.visit_date DESC, v.visit_id DESC LIMIT 1), '(no visit)')";
	case DS_BY_ARM:
		return "coalesce((SELECT d.arm FROM decisions d WHERE d.account_id = p.account_id"
		       " AND d.plan_date > ?1 AND d.plan_date <= ?2 AND d.arm IS NOT NULL"
		       " ORDER BY d.plan_date DESC LIMIT 1), '(none)')";
	default:
		return "'all'";
	}
}

static void rates(struct ds_kpi *k)
{
	k->recovery_rate =
	        k->overdue_start > 0 ? (double)k->recovered / (double)k->overdue_start : 0;
	k->cure_rate = k->accounts > 0 ? (double)k->cured / (double)k->accounts : 0;
	k->kept_rate = k->promises_judged > 0 ? (double)k->kept / (double)k->promises_judged : 0;
	k->net = k->recovered - k->cost;
	k->cost_to_collect = k->recovered > 0 ? (double)k->cost / (double)k->recovered : 0;
	k->complaints_per_1000 =
	        k->contacts > 0 ? 1000.0 * (double)k->complaints / (double)k->contacts : 0;
	k->incidents_per_1000 =
	        k->contacts > 0 ? 1000.0 * (double)k->incidents / (double)k->contacts : 0;
}

/* kpi_pop: the accounts past due at the start, what the end found. */
static ds_err fill_population(ds_store *st, const struct report_walk *a,
                              const struct report_walk *b, struct ds_diag *diag)
{
	ds_err err = ds_store_exec(st,
	                           "CREATE TEMP TABLE IF NOT EXISTS kpi_pop(account_id TEXT"
	                           " PRIMARY KEY, bucket_name TEXT NOT NULL, overdue_start"
	                           " INTEGER NOT NULL, cured INTEGER NOT NULL);"
	                           "DELETE FROM kpi_pop",
	                           diag);
	ds_stmt *s;
	if (err || (err = ds_store_prepare(st, "INSERT INTO kpi_pop VALUES (?,?,?,?)", &s, diag)))
		return err;
	ds_stmt_done(s);
	long j = 0;
	for (long k = 0; !err && k < a->n; k++) {
		const struct report_acc *x = &a->a[k];
		if (x->dpd <= 0)
			continue;
		long m = report_match(b, &j, x->id);
		bool cured = m >= 0 && b->a[m].dpd == 0;
		if ((err = ds_store_prepare(st, "INSERT INTO kpi_pop VALUES (?,?,?,?)", &s, diag)))
			break;
		bool row;
		ds_stmt_bind_text(s, 1, x->id);
		ds_stmt_bind_text(s, 2, ds_bucket_name(x->bucket));
		ds_stmt_bind_int(s, 3, x->overdue);
		ds_stmt_bind_int(s, 4, cured);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
	}
	return err;
}

ds_err ds_report_kpis(ds_store *st, ds_date from, ds_date to, ds_report_by by, struct ds_kpi **rows,
                      long *n, struct ds_diag *diag)
{
	*rows = NULL;
	*n = 0;
	if ((unsigned)by >= DS_BY_COUNT)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "by", "unknown grouping");
	struct report_walk a, b;
	ds_err err = walks(st, from, to, &a, &b, diag);
	if (!err)
		err = fill_population(st, &a, &b, diag);
	ds_free(a.a);
	ds_free(b.a);
	if (err)
		return err;
	/* the period: the days after `from` through `to` (UTC instants for
	 * what is timed) */
	char sql[4096];
	snprintf(sql, sizeof sql,
	         "SELECT g, count(*), sum(overdue_start), sum(rec), sum(cured), sum(pm), sum(pk),"
	         " sum(pj), sum(cost), sum(ct), sum(cp), sum(inc) FROM (SELECT %s AS g,"
	         " p.overdue_start, p.cured,"
	         " (SELECT coalesce(sum(y.amount_fen), 0) FROM payments y"
	         "  WHERE y.account_id = p.account_id AND y.value_date > ?1"
	         "  AND y.value_date <= ?2) AS rec,"
	         " (SELECT count(*) FROM promises q WHERE q.account_id = p.account_id"
	         "  AND q.created_at >= ?3 AND q.created_at < ?4) AS pm,"
	         " (SELECT count(*) FROM promises q WHERE q.account_id = p.account_id"
	         "  AND q.created_at >= ?3 AND q.created_at < ?4 AND q.status = 'kept') AS pk,"
	         " (SELECT count(*) FROM promises q WHERE q.account_id = p.account_id"
	         "  AND q.created_at >= ?3 AND q.created_at < ?4"
	         "  AND q.status IN ('kept', 'partly_kept', 'broken')) AS pj,"
	         " (SELECT coalesce(sum(d.cost_fen), 0) FROM decisions d"
	         "  WHERE d.account_id = p.account_id AND d.plan_date > ?1"
	         "  AND d.plan_date <= ?2) AS cost,"
	         " (SELECT count(*) FROM contacts c WHERE c.account_id = p.account_id"
	         "  AND c.started_at >= ?3 AND c.started_at < ?4) AS ct,"
	         " (SELECT count(*) FROM complaints x JOIN accounts w"
	         "  ON w.account_id = p.account_id WHERE (x.account_id = p.account_id"
	         "  OR (x.account_id IS NULL AND x.borrower_id = w.borrower_id))"
	         "  AND x.opened_at >= ?3 AND x.opened_at < ?4) AS cp,"
	         " (SELECT count(*) FROM incidents i JOIN visits v ON v.visit_id = i.visit_id"
	         "  WHERE v.account_id = p.account_id AND i.occurred_at >= ?3"
	         "  AND i.occurred_at < ?4) AS inc"
	         " FROM kpi_pop p) AS per GROUP BY g ORDER BY g",
	         group_sql(by));
	ds_stmt *s;
	if ((err = ds_store_prepare(st, sql, &s, diag)))
		return err;
	char f[11], t[11];
	ds_date_format(from, f);
	ds_date_format(to, t);
	ds_stmt_bind_text(s, 1, f);
	ds_stmt_bind_text(s, 2, t);
	ds_stmt_bind_int(s, 3, (ds_time)(from + 1) * 86400);
	ds_stmt_bind_int(s, 4, (ds_time)(to + 1) * 86400);
	struct ds_kpi *r = NULL, total;
	memset(&total, 0, sizeof total);
	ds_strlcpy(total.group, "total", sizeof total.group);
	long cap = 0, count = 0;
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if ((err = ds_grow((void **)&r, &cap, count + 1, sizeof *r, 16, diag)))
			break;
		struct ds_kpi *k = &r[count++];
		memset(k, 0, sizeof *k);
		ds_strlcpy(k->group, ds_stmt_text(s, 0), sizeof k->group);
		k->accounts = (long)ds_stmt_int(s, 1);
		k->overdue_start = ds_stmt_int(s, 2);
		k->recovered = ds_stmt_int(s, 3);
		k->cured = (long)ds_stmt_int(s, 4);
		k->promises = (long)ds_stmt_int(s, 5);
		k->kept = (long)ds_stmt_int(s, 6);
		k->promises_judged = (long)ds_stmt_int(s, 7);
		k->cost = ds_stmt_int(s, 8);
		k->contacts = (long)ds_stmt_int(s, 9);
		k->complaints = (long)ds_stmt_int(s, 10);
		k->incidents = (long)ds_stmt_int(s, 11);
		rates(k);
		total.accounts += k->accounts;
		total.overdue_start += k->overdue_start;
		total.recovered += k->recovered;
		total.cured += k->cured;
		total.promises += k->promises;
		total.kept += k->kept;
		total.promises_judged += k->promises_judged;
		total.cost += k->cost;
		total.contacts += k->contacts;
		total.complaints += k->complaints;
		total.incidents += k->incidents;
	}
	ds_stmt_done(s);
	if (!err && !r) {
		r = ds_malloc(sizeof *r);
		if (!r)
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	if (err) {
		ds_free(r);
		return err;
	}
	rates(&total);
	r[count++] = total;
	*rows = r;
	*n = count;
	return DS_OK;
}

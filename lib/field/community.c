/*
 * Communities (field.h, docs/complaints.md "Community partnership"): how
 * well each partner community cooperates, scored over a window of days
 * from its visits, the workers of its own who took part in them, the
 * borrowers met, the promises made and kept, the complaints and the
 * financial-literacy events held with it; and the recording of those
 * events.
 */
#include "field-int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAYS_MAX       3650   /* the longest window scored */
#define TOPIC_MAX      200    /* bytes of an event's topic */
#define ATTENDANCE_MAX 100000 /* people at one event */

/* The score's weights (docs/complaints.md); they add up to 1. */
#define W_WORKER    0.35
#define W_MET       0.25
#define W_KEPT      0.20
#define W_COMPLAINT 0.10
#define W_EVENTS    0.10
#define UNKNOWN     0.5 /* a component without a denominator */

/* The visit states past checked_in (ds_visit_state_name's names of
 * DS_VISIT_OUTCOME_RECORDED and DS_VISIT_CLOSED): the visits counted. */
#define COUNTED_VISIT                                           \
	" (v.state = 'outcome_recorded' OR v.state = 'closed')" \
	" AND v.visit_date >= ? AND v.visit_date <= ?"

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* The weighted mean of the components; each without a denominator counts
 * as UNKNOWN. */
static double score_of(const struct ds_community_score *r)
{
	double worker = UNKNOWN, met = UNKNOWN, kept = UNKNOWN, calm = UNKNOWN;
	if (r->visits > 0) {
		worker = (double)r->with_worker / (double)r->visits;
		met = (double)r->met / (double)r->visits;
		double rate = (double)r->complaints / (double)r->visits * 10.0;
		calm = 1.0 - (rate < 1.0 ? rate : 1.0);
	}
	if (r->promises > 0)
		kept = (double)r->kept / (double)r->promises;
	double events = (double)r->events / 2.0;
	events = events < 1.0 ? events : 1.0;
	return clamp01(W_WORKER * worker + W_MET * met + W_KEPT * kept + W_COMPLAINT * calm +
	               W_EVENTS * events);
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct ds_community_score *)a)->community_id,
	              ((const struct ds_community_score *)b)->community_id);
}

/* The row of community id in the sorted rows; NULL when not a partner. */
static struct ds_community_score *find(struct ds_community_score *v, long n, const char *id)
{
	struct ds_community_score key;
	if (ds_strlcpy(key.community_id, id, sizeof key.community_id) >= sizeof key.community_id)
		return NULL;
	return bsearch(&key, v, (size_t)n, sizeof *v, by_id);
}

/* The partner communities (active or pilot), sorted by id. */
static ds_err load_partners(ds_store *st, struct ds_community_score **out, long *n,
                            struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT community_id FROM communities"
	                              " WHERE partner_status = 'active' OR partner_status = 'pilot'"
	                              " ORDER BY community_id",
	                              &s, diag);
	if (err)
		return err;
	struct ds_community_score *v = NULL;
	long cap = 0, k = 0;
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if (k == cap) {
			cap = cap ? cap * 2 : 64;
			struct ds_community_score *p = ds_realloc(v, (size_t)cap * sizeof *p);
			if (!p) {
				err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
				break;
			}
			v = p;
		}
		memset(&v[k], 0, sizeof v[k]);
		ds_strlcpy(v[k].community_id, ds_stmt_text(s, 0), sizeof v[k].community_id);
		k++;
	}
	ds_stmt_done(s);
	if (err) {
		ds_free(v);
		return err;
	}
	/* ids longer than the row holds would be cut: sort as cut */
	if (k > 1)
		qsort(v, (size_t)k, sizeof *v, by_id);
	*out = v;
	*n = k;
	return DS_OK;
}

/* Runs a query grouped by community over the window's dates and hands each
 * partner's row and the columns after the first to fn. */
static ds_err per_community(ds_store *st, const char *sql, const char *from, const char *to,
                            struct ds_community_score *v, long n,
                            void (*fn)(struct ds_community_score *r, ds_stmt *s),
                            struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st, sql, &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, from);
	ds_stmt_bind_text(s, 2, to);
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		struct ds_community_score *r = find(v, n, ds_stmt_text(s, 0));
		if (r)
			fn(r, s);
	}
	ds_stmt_done(s);
	return err;
}

static void take_visits(struct ds_community_score *r, ds_stmt *s)
{
	r->visits += (long)ds_stmt_int(s, 1);
	r->with_worker += (long)ds_stmt_int(s, 2);
	r->met += (long)ds_stmt_int(s, 3);
}

static void take_promises(struct ds_community_score *r, ds_stmt *s)
{
	r->promises += (long)ds_stmt_int(s, 1);
	r->kept += (long)ds_stmt_int(s, 2);
}

static void take_events(struct ds_community_score *r, ds_stmt *s)
{
	r->events += (long)ds_stmt_int(s, 1);
	r->attendance += (long)ds_stmt_int(s, 2);
}

/* Complaints opened on the window's local dates, each in the time zone of
 * its account's branch (else its community's branch, else UTC). */
static ds_err count_complaints(ds_store *st, ds_date first, ds_date last,
                               struct ds_community_score *v, long n, struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT b.community_id, c.opened_at, coalesce(r.timezone, q.timezone, '')"
	        " FROM complaints c JOIN borrowers b ON b.borrower_id = c.borrower_id"
	        " LEFT JOIN accounts a ON a.account_id = c.account_id"
	        " LEFT JOIN branches r ON r.branch_id = a.branch_id"
	        " LEFT JOIN communities m ON m.community_id = b.community_id"
	        " LEFT JOIN branches q ON q.branch_id = m.branch_id"
	        " WHERE c.opened_at >= ? AND c.opened_at < ? AND b.community_id IS NOT NULL",
	        &s, diag);
	if (err)
		return err;
	/* a local date is its UTC date give or take one day */
	ds_stmt_bind_int(s, 1, ((int64_t)first - 1) * 86400);
	ds_stmt_bind_int(s, 2, ((int64_t)last + 2) * 86400);
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		struct ds_community_score *r = find(v, n, ds_stmt_text(s, 0));
		if (!r)
			continue;
		ds_date day = field_local_date(ds_stmt_text(s, 2), ds_stmt_int(s, 1));
		if (day >= first && day <= last)
			r->complaints++;
	}
	ds_stmt_done(s);
	return err;
}

ds_err ds_community_scores(ds_store *st, ds_date as_of, int days, struct ds_community_score **out,
                           long *n, struct ds_diag *diag)
{
	*out = NULL;
	*n = 0;
	if (days < 1 || days > DAYS_MAX)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "days",
		                   "the window must be 1 to %d days, not %d", DAYS_MAX, days);
	ds_date first = as_of - days + 1;
	char from[11], to[11];
	ds_date_format(first, from);
	ds_date_format(as_of, to);
	ds_date check;
	if (ds_date_parse(from, &check) || ds_date_parse(to, &check))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "as_of",
		                   "the window %s..%s is out of range", from, to);
	struct ds_community_score *v;
	long k;
	ds_err err = load_partners(st, &v, &k, diag);
	if (err)
		return err;
	/* the visits of the community's borrowers; a worker of the same community
	 * in the visit's team; the borrower met */
	if (k &&
	    !(err = per_community(
	              st,
	              "SELECT b.community_id, count(*),"
	              " sum(CASE WHEN EXISTS (SELECT 1 FROM team_members t JOIN staff w"
	              " ON w.staff_id = t.staff_id WHERE t.team_id = v.team_id"
	              " AND w.role = 'community_worker' AND w.community_id = b.community_id)"
	              " THEN 1 ELSE 0 END),"
	              " sum(CASE WHEN v.outcome = 'met_borrower' THEN 1 ELSE 0 END)"
	              " FROM visits v JOIN accounts a ON a.account_id = v.account_id"
	              " JOIN borrowers b ON b.borrower_id = a.borrower_id"
	              " WHERE" COUNTED_VISIT " AND b.community_id IS NOT NULL"
	              " GROUP BY b.community_id",
	              from, to, v, k, take_visits, diag)) &&
	    /* the promises made on those visits, and those kept */
	    !(err = per_community(st,
	                          "SELECT b.community_id, count(*),"
	                          " sum(CASE WHEN p.status = 'kept' THEN 1 ELSE 0 END)"
	                          " FROM promises p JOIN visits v ON v.visit_id = p.visit_id"
	                          " JOIN accounts a ON a.account_id = v.account_id"
	                          " JOIN borrowers b ON b.borrower_id = a.borrower_id"
	                          " WHERE" COUNTED_VISIT " AND b.community_id IS NOT NULL"
	                          " GROUP BY b.community_id",
	                          from, to, v, k, take_promises, diag)) &&
	    !(err = per_community(st,
	                          "SELECT community_id, count(*), coalesce(sum(attendance), 0)"
	                          " FROM literacy_events WHERE held_on >= ? AND held_on <= ?"
	                          " GROUP BY community_id",
	                          from, to, v, k, take_events, diag)))
		err = count_complaints(st, first, as_of, v, k, diag);
	if (err) {
		ds_free(v);
		return err;
	}
	for (long i = 0; i < k; i++)
		v[i].score = score_of(&v[i]);
	if (k == 0) {
		ds_free(v);
		v = NULL;
	}
	*out = v;
	*n = k;
	return DS_OK;
}

ds_err ds_literacy_event_add(ds_store *st, const char *community_id, ds_date held_on,
                             const char *topic, int attendance, ds_time now, long *id,
                             struct ds_diag *diag)
{
	*id = 0;
	if (!community_id || !community_id[0])
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "community", "a community is needed");
	size_t tlen = topic ? strlen(topic) : 0;
	if (tlen == 0 || tlen > TOPIC_MAX || !ds_utf8_valid(topic, tlen))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "topic",
		                   "the topic must be UTF-8 text of 1 to %d bytes", TOPIC_MAX);
	if (attendance < 0 || attendance > ATTENDANCE_MAX)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "attendance",
		                   "attendance must be 0 to %d, not %d", ATTENDANCE_MAX,
		                   attendance);
	char day[11];
	ds_date check;
	ds_date_format(held_on, day);
	if (ds_date_parse(day, &check) || check != held_on)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "held_on", "not a valid date");
	ds_err err = ds_store_begin(st, diag);
	if (err)
		return err;
	bool found = false;
	int64_t eid = 0;
	if (!(err = ds_store_exists(st, "communities", "community_id", community_id, &found,
	                            diag)) &&
	    !found)
		err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "community",
		                  "unknown community \"%s\"", community_id);
	ds_stmt *s;
	if (!err && !(err = ds_store_prepare(st,
	                                     "INSERT INTO literacy_events(community_id, held_on,"
	                                     " topic, attendance, created_by, created_at)"
	                                     " VALUES (?,?,?,?,?,?)",
	                                     &s, diag))) {
		bool row;
		ds_stmt_bind_text(s, 1, community_id);
		ds_stmt_bind_text(s, 2, day);
		ds_stmt_bind_text(s, 3, topic);
		ds_stmt_bind_int(s, 4, attendance);
		ds_stmt_bind_text(s, 5, ds_store_actor(st));
		ds_stmt_bind_int(s, 6, now);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
		eid = ds_store_last_id(st);
	}
	if (!err) {
		json_t *v = json_pack("{s:s, s:s, s:s, s:i}", "community_id", community_id,
		                      "held_on", day, "topic", topic, "attendance", attendance);
		char *text = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(v);
		char key[32];
		snprintf(key, sizeof key, "%lld", (long long)eid);
		err = text ? ds_store_audit(st, "literacy_event_add", "literacy_events", key, text,
		                            diag)
		           : ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		free(text);
	}
	if (!err)
		err = ds_store_commit(st, diag);
	if (err) {
		ds_store_rollback(st);
		return err;
	}
	*id = (long)eid;
	return DS_OK;
}

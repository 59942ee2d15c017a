/*
 * GET /api/visits, GET /api/visits/{id}, POST /api/visits/{id}/check-in,
 * POST /api/visits/{id}/outcome. Scoped: a collector sees and acts on the
 * visits of their branch's accounts; a community worker those in their own
 * community made by a team they are on that day (team_members, the team's
 * work_date). A visit out of scope is answered as one that does not exist
 * (404). Transitions go through lib/field, which records and audits them
 * with the caller as the store's actor.
 */
#include "server.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The scope of field data: ?B a collector's branch, ?S and ?C a community
 * worker's staff id and community (srv_scope_bind). */
#define SCOPE(B, S, C)                                                          \
	" AND (?" B " IS NULL OR a.branch_id = ?" B ")"                         \
	" AND (?" S " IS NULL OR (b.community_id = ?" C " AND EXISTS (SELECT 1" \
	" FROM team_members m JOIN teams t ON t.team_id = m.team_id"            \
	" WHERE m.team_id = v.team_id AND m.staff_id = ?" S " AND t.work_date = v.visit_date)))"

#define FROM_VISITS                                                     \
	" FROM visits v JOIN accounts a ON a.account_id = v.account_id" \
	" JOIN borrowers b ON b.borrower_id = a.borrower_id"

static json_t *col_str(ds_stmt *s, int c)
{
	return ds_stmt_is_null(s, c) ? json_null() : json_string(ds_stmt_text(s, c));
}

static json_t *col_int(ds_stmt *s, int c)
{
	return ds_stmt_is_null(s, c) ? json_null() : json_integer(ds_stmt_int(s, c));
}

static json_t *col_real(ds_stmt *s, int c)
{
	return ds_stmt_is_null(s, c) ? json_null() : json_real(ds_stmt_real(s, c));
}

void h_visits(struct srv_req *r)
{
	ds_date day;
	long limit, offset;
	const char *state = srv_query(r, "state");
	ds_visit_state vs;
	if (!srv_query_date(r, "date", false, &day) || !srv_page(r, &limit, &offset))
		return;
	if (state && ds_visit_state_parse(state, &vs)) {
		srv_error(r, 400, "bad_request", "?state: not a visit state");
		return;
	}
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT v.visit_id, v.account_id, v.visit_date, v.state, v.team_id, v.route_seq,"
	        " v.window_start_at, v.window_end_at, v.planned_at, b.name, b.address,"
	        " b.community_id, b.lat, b.lon" FROM_VISITS " WHERE v.visit_date = ?1 AND (?2 IS"
	        " NULL OR"
	        " v.state = ?2)" SCOPE("3", "4", "5") " ORDER BY v.team_id, v.route_seq,"
	                                              " v.visit_id LIMIT ?6 OFFSET ?7",
	        &s, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	char date[11];
	ds_date_format(day, date);
	ds_stmt_bind_text(s, 1, date);
	ds_stmt_bind_text(s, 2, state);
	srv_scope_bind(r, s, 3, 4, 5);
	ds_stmt_bind_int(s, 6, limit + 1);
	ds_stmt_bind_int(s, 7, offset);
	json_t *items = json_array(), *read = json_array();
	bool row, more = false;
	while (!(err = ds_stmt_step(s, &row, &d)) && row) {
		if ((long)json_array_size(items) == limit) {
			more = true;
			break;
		}
		bool whole = false, where = false;
		char name[128], addr[512];
		srv_pii(r, DS_PII_NAME, ds_stmt_text(s, 9), name, sizeof name, &whole);
		srv_pii(r, DS_PII_ADDRESS, ds_stmt_text(s, 10), addr, sizeof addr, &where);
		whole = whole || where;
		/* the door's position only to those who see its address whole:
		 * the team's map */
		bool located = where && !ds_stmt_is_null(s, 12) && !ds_stmt_is_null(s, 13);
		if (whole)
			json_array_append_new(read, json_integer(ds_stmt_int(s, 0)));
		json_t *item = json_pack(
		        "{s:I, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:o}", "visit_id",
		        (json_int_t)ds_stmt_int(s, 0), "account_id", ds_stmt_text(s, 1),
		        "visit_date", col_str(s, 2), "state", ds_stmt_text(s, 3), "team_id",
		        col_str(s, 4), "route_seq", col_int(s, 5), "window_start_at", col_int(s, 6),
		        "window_end_at", col_int(s, 7), "planned_at", col_int(s, 8), "name", name,
		        "address", addr, "community_id", col_str(s, 11));
		json_object_set_new(item, "lat",
		                    located ? json_real(ds_stmt_real(s, 12)) : json_null());
		json_object_set_new(item, "lon",
		                    located ? json_real(ds_stmt_real(s, 13)) : json_null());
		json_array_append_new(items, item);
	}
	ds_stmt_done(s);
	if (!err && json_array_size(read))
		err = srv_audit_read(
		        r, st, "visits", date,
		        json_pack("{s:O, s:[s, s]}", "visits", read, "fields", "name", "address"),
		        &d);
	json_decref(read);
	if (err) {
		json_decref(items);
		srv_fail(r, err, &d);
		return;
	}
	srv_json(r, 200,
	         json_pack("{s:o, s:I, s:I, s:o}", "items", items, "limit", (json_int_t)limit,
	                   "offset", (json_int_t)offset, "next_offset",
	                   more ? json_integer(offset + limit) : json_null()));
}

void h_visit(struct srv_req *r)
{
	long id;
	if (!srv_param_id(r, 0, &id))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT v.account_id, v.visit_date, v.state, v.team_id, b.name, b.address,"
	        " v.outcome, v.situation, v.attitude, v.checkin_distance_m" FROM_VISITS
	        " WHERE v.visit_id = ?1" SCOPE("2", "3", "4"),
	        &s, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	ds_stmt_bind_int(s, 1, id);
	srv_scope_bind(r, s, 2, 3, 4);
	bool row, whole = false;
	json_t *o = NULL;
	if (!(err = ds_stmt_step(s, &row, &d)) && row) {
		char name[128], addr[512];
		srv_pii(r, DS_PII_NAME, ds_stmt_text(s, 4), name, sizeof name, &whole);
		srv_pii(r, DS_PII_ADDRESS, ds_stmt_text(s, 5), addr, sizeof addr, &whole);
		o = json_pack("{s:I, s:s, s:o, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o}", "visit_id",
		              (json_int_t)id, "account_id", ds_stmt_text(s, 0), "visit_date",
		              col_str(s, 1), "state", ds_stmt_text(s, 2), "team_id", col_str(s, 3),
		              "name", name, "address", addr, "outcome", col_str(s, 6), "situation",
		              col_str(s, 7), "attitude", col_str(s, 8), "checkin_distance_m",
		              col_real(s, 9));
	}
	ds_stmt_done(s);
	if (!err && !o) {
		srv_error(r, 404, "not_found", "no visit %ld", id);
		return;
	}
	json_t *ev = json_array();
	if (!err && !(err = ds_store_prepare(st,
	                                     "SELECT at, actor, event, from_state, to_state,"
	                                     " reason FROM visit_events WHERE visit_id = ?"
	                                     " ORDER BY event_id",
	                                     &s, &d))) {
		ds_stmt_bind_int(s, 1, id);
		while (!(err = ds_stmt_step(s, &row, &d)) && row)
			json_array_append_new(
			        ev, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "at",
			                      (json_int_t)ds_stmt_int(s, 0), "actor",
			                      ds_stmt_text(s, 1), "event", ds_stmt_text(s, 2),
			                      "from", ds_stmt_text(s, 3), "to", ds_stmt_text(s, 4),
			                      "reason", col_str(s, 5)));
		ds_stmt_done(s);
	}
	if (!err && whole) {
		char key[24];
		snprintf(key, sizeof key, "%ld", id);
		err = srv_audit_read(r, st, "visits", key,
		                     json_pack("{s:[s, s]}", "fields", "name", "address"), &d);
	}
	if (err) {
		json_decref(o);
		json_decref(ev);
		srv_fail(r, err, &d);
		return;
	}
	json_object_set_new(o, "events", ev);
	srv_json(r, 200, o);
}

/*
 * The visit a field write is about, when the caller may act on it and its
 * state allows the event: true; false after a 404 (unknown or out of
 * scope) or a 409 (the state machine refuses the event from its state).
 */
static bool writable_visit(struct srv_req *r, ds_store *st, long id, ds_visit_event ev)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st, "SELECT v.state" FROM_VISITS " WHERE v.visit_id = ?1" SCOPE("2", "3", "4"), &s,
	        &d);
	if (err) {
		srv_fail(r, err, &d);
		return false;
	}
	ds_stmt_bind_int(s, 1, id);
	srv_scope_bind(r, s, 2, 3, 4);
	bool row;
	char state[32] = "";
	if (!(err = ds_stmt_step(s, &row, &d)) && row)
		ds_strlcpy(state, ds_stmt_text(s, 0), sizeof state);
	ds_stmt_done(s);
	if (err) {
		srv_fail(r, err, &d);
		return false;
	}
	if (!state[0]) {
		srv_error(r, 404, "not_found", "no visit %ld", id);
		return false;
	}
	ds_visit_state from, to;
	if (ds_visit_state_parse(state, &from) || ds_visit_next(from, ev, &to)) {
		srv_error(r, 409, "conflict", "visit %ld is %s: it cannot %s now", id, state,
		          ds_visit_event_name(ev));
		return false;
	}
	return true;
}

void h_visit_check_in(struct srv_req *r)
{
	static const char *const keys[] = {
		"lat", "lon", "identity_shown", "consent_to_enter", "entering_home", NULL
	};
	long id;
	struct ds_checkin in = { .at = (ds_time)time(NULL) };
	if (!srv_param_id(r, 0, &id) || !srv_body_only(r, keys) ||
	    !srv_body_num(r, "lat", true, -90, 90, &in.lat) ||
	    !srv_body_num(r, "lon", true, -180, 180, &in.lon) ||
	    !srv_body_bool(r, "identity_shown", &in.identity_shown) ||
	    !srv_body_bool(r, "consent_to_enter", &in.consent_to_enter) ||
	    !srv_body_bool(r, "entering_home", &in.entering_home))
		return;
	ds_store *st = srv_store(r);
	if (!st || !writable_visit(r, st, id, DS_VEV_CHECK_IN))
		return;
	struct ds_checkin_result res;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err =
	        ds_visit_check_in(st, r->srv->cfg->rules, r->srv->cfg->field, id, &in, &res, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	json_t *hits = json_array();
	for (int i = 0; i < res.rules.nhits; i++)
		json_array_append_new(hits, json_string(res.rules.hits[i].rule_id));
	json_t *o = json_pack("{s:I, s:b, s:f, s:o}", "visit_id", (json_int_t)id, "allowed",
	                      res.allowed, "distance_m", res.distance_m, "rules", hits);
	if (res.allowed) {
		srv_json(r, 200, o);
		return;
	}
	json_t *e =
	        json_pack("{s:s, s:s, s:s, s:s}", "error", "check_in_refused", "message",
	                  res.reason_en, "reason_zh", res.reason_zh, "reason_en", res.reason_en);
	json_object_update(e, o);
	json_decref(o);
	srv_json(r, 422, e);
}

void h_visit_outcome(struct srv_req *r)
{
	static const char *const keys[] = {
		"found", "situation",     "attitude",        "incident_kind", "incident_severity",
		"note",  "evidence_name", "evidence_sha256", "lat",           "lon",
		NULL
	};
	long id;
	const char *found = NULL, *situation = NULL, *attitude = NULL;
	int64_t severity = 0;
	struct ds_visit_outcome o = { .at = (ds_time)time(NULL) };
	struct ds_where w = { 0 };
	bool lat = json_object_get(r->json, "lat") != NULL;
	bool lon = json_object_get(r->json, "lon") != NULL;
	if (!srv_param_id(r, 0, &id) || !srv_body_only(r, keys) ||
	    !srv_body_str(r, "found", true, 32, &found) ||
	    !srv_body_str(r, "situation", false, 32, &situation) ||
	    !srv_body_str(r, "attitude", false, 32, &attitude) ||
	    !srv_body_str(r, "incident_kind", false, 64, &o.incident_kind) ||
	    !srv_body_int(r, "incident_severity", false, 1, 5, &severity) ||
	    !srv_body_str(r, "note", false, 2000, &o.note) ||
	    !srv_body_str(r, "evidence_name", false, 200, &o.evidence_name) ||
	    !srv_body_str(r, "evidence_sha256", false, 64, &o.evidence_sha256) ||
	    !srv_body_num(r, "lat", false, -90, 90, &w.lat) ||
	    !srv_body_num(r, "lon", false, -180, 180, &w.lon))
		return;
	if (ds_found_parse(found, &o.found)) {
		srv_error(r, 400, "bad_request",
		          "\"found\": met_borrower, met_family, not_home, moved or refused");
		return;
	}
	if (situation && ds_situation_parse(situation, &o.situation)) {
		srv_error(r, 400, "bad_request", "\"situation\": not a situation");
		return;
	}
	if (attitude && ds_attitude_parse(attitude, &o.attitude)) {
		srv_error(r, 400, "bad_request", "\"attitude\": cooperative, neutral or hostile");
		return;
	}
	if (!o.incident_kind != !severity || !o.evidence_name != !o.evidence_sha256 || lat != lon) {
		srv_error(r, 400, "bad_request",
		          "incident_kind and incident_severity, evidence_name and evidence_sha256, "
		          "lat and lon go together");
		return;
	}
	if (o.evidence_sha256 && strspn(o.evidence_sha256, "0123456789abcdef") != 64) {
		srv_error(r, 400, "bad_request", "\"evidence_sha256\": 64 lower-case hex digits");
		return;
	}
	o.incident_severity = (int)severity;
	w.known = lat;
	ds_store *st = srv_store(r);
	if (!st || !writable_visit(r, st, id, DS_VEV_RECORD_OUTCOME))
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_visit_record_outcome(st, id, &o, &w, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	srv_json(r, 200,
	         json_pack("{s:I, s:s}", "visit_id", (json_int_t)id, "state",
	                   ds_visit_state_name(DS_VISIT_OUTCOME_RECORDED)));
}

/* ------------------------------------------------ the rest of the lifecycle */

/* Where the caller is, when the body gives lat and lon (both or neither):
 * false after a 400. */
static bool body_where(struct srv_req *r, struct ds_where *w)
{
	bool lat = json_object_get(r->json, "lat") != NULL;
	bool lon = json_object_get(r->json, "lon") != NULL;
	if (!srv_body_num(r, "lat", false, -90, 90, &w->lat) ||
	    !srv_body_num(r, "lon", false, -180, 180, &w->lon))
		return false;
	if (lat != lon) {
		srv_error(r, 400, "bad_request", "lat and lon go together");
		return false;
	}
	w->known = lat;
	return true;
}

/* The visit's window: two instants, the end after the start (the
 * library caps its length). */
static bool body_window(struct srv_req *r, ds_time *start, ds_time *end)
{
	int64_t a = 0, b = 0;
	if (!srv_body_int(r, "window_start_at", true, 0, INT64_C(4102444800), &a) ||
	    !srv_body_int(r, "window_end_at", true, 0, INT64_C(4102444800), &b))
		return false;
	if (b <= a) {
		srv_error(r, 400, "bad_request", "window_end_at must come after window_start_at");
		return false;
	}
	*start = (ds_time)a;
	*end = (ds_time)b;
	return true;
}

static void answer_state(struct srv_req *r, ds_store *st, long id, json_t *extra)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st, "SELECT state FROM visits WHERE visit_id = ?", &s, &d);
	bool row = false;
	char state[32] = "";
	if (!err) {
		ds_stmt_bind_int(s, 1, id);
		if (!(err = ds_stmt_step(s, &row, &d)) && row)
			ds_strlcpy(state, ds_stmt_text(s, 0), sizeof state);
		ds_stmt_done(s);
	}
	if (err) {
		json_decref(extra);
		srv_fail(r, err, &d);
		return;
	}
	json_t *o = json_pack("{s:I, s:s}", "visit_id", (json_int_t)id, "state", state);
	if (extra) {
		json_object_update(o, extra);
		json_decref(extra);
	}
	srv_json(r, 200, o);
}

void h_visit_notify(struct srv_req *r)
{
	static const char *const keys[] = { "lat", "lon", NULL };
	long id;
	struct ds_where w = { 0 };
	if (!srv_param_id(r, 0, &id) || !srv_body_only(r, keys) || !body_where(r, &w))
		return;
	ds_store *st = srv_store(r);
	if (!st || !writable_visit(r, st, id, DS_VEV_NOTIFY))
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	long notice = 0;
	ds_err err =
	        ds_visit_notify(st, r->srv->cfg->field, id, (ds_time)time(NULL), &w, &notice, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	answer_state(r, st, id, json_pack("{s:I}", "notice_id", (json_int_t)notice));
}

void h_visit_schedule(struct srv_req *r)
{
	static const char *const keys[] = {
		"team_id", "date", "window_start_at", "window_end_at", "lat", "lon", NULL
	};
	long id;
	const char *team = NULL;
	ds_date date = 0;
	ds_time a = 0, b = 0;
	struct ds_where w = { 0 };
	if (!srv_param_id(r, 0, &id) || !srv_body_only(r, keys) ||
	    !srv_body_str(r, "team_id", true, 64, &team) ||
	    !srv_body_date(r, "date", true, &date) || !body_window(r, &a, &b) || !body_where(r, &w))
		return;
	ds_store *st = srv_store(r);
	if (!st || !writable_visit(r, st, id, DS_VEV_SCHEDULE))
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_visit_schedule(st, id, team, date, a, b, (ds_time)time(NULL), &w, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	answer_state(r, st, id, NULL);
}

void h_visit_reschedule(struct srv_req *r)
{
	static const char *const keys[] = {
		"date", "window_start_at", "window_end_at", "reason", "lat", "lon", NULL
	};
	long id;
	const char *reason = NULL;
	ds_date date = 0;
	ds_time a = 0, b = 0;
	struct ds_where w = { 0 };
	if (!srv_param_id(r, 0, &id) || !srv_body_only(r, keys) ||
	    !srv_body_date(r, "date", true, &date) || !body_window(r, &a, &b) ||
	    !srv_body_str(r, "reason", true, 500, &reason) || !body_where(r, &w))
		return;
	ds_store *st = srv_store(r);
	if (!st || !writable_visit(r, st, id, DS_VEV_RESCHEDULE))
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_visit_reschedule(st, r->srv->cfg->field, id, date, a, b, reason,
	                                 (ds_time)time(NULL), &w, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	answer_state(r, st, id, NULL);
}

void h_visit_cancel(struct srv_req *r)
{
	static const char *const keys[] = { "reason", "lat", "lon", NULL };
	long id;
	const char *reason = NULL;
	struct ds_where w = { 0 };
	if (!srv_param_id(r, 0, &id) || !srv_body_only(r, keys) ||
	    !srv_body_str(r, "reason", true, 500, &reason) || !body_where(r, &w))
		return;
	ds_store *st = srv_store(r);
	if (!st || !writable_visit(r, st, id, DS_VEV_CANCEL))
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_visit_cancel(st, id, reason, (ds_time)time(NULL), &w, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	answer_state(r, st, id, NULL);
}

void h_visit_close(struct srv_req *r)
{
	static const char *const keys[] = { "lat", "lon", NULL };
	long id;
	struct ds_where w = { 0 };
	if (!srv_param_id(r, 0, &id) || !srv_body_only(r, keys) || !body_where(r, &w))
		return;
	ds_store *st = srv_store(r);
	if (!st || !writable_visit(r, st, id, DS_VEV_CLOSE))
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	int tasks = 0;
	ds_err err =
	        ds_visit_close(st, r->srv->cfg->field, id, (ds_time)time(NULL), &w, &tasks, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	answer_state(r, st, id, json_pack("{s:i}", "tasks", tasks));
}

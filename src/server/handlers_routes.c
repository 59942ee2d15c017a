/*
 * GET /api/routes: the day's teams, their members and their visits in
 * route order, for the manager's map and the team's own. Scoped as the
 * visits: a collector sees their branch's teams, a community worker the
 * teams they are on. The doors' positions are given only to roles that
 * see addresses whole, and that read is audited.
 */
#include "server.h"

#include <string.h>

/* Members of a team, as the map's legend shows them. */
static ds_err members(ds_store *st, const char *team, json_t **out, struct ds_diag *d)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT m.staff_id, s.name, s.role, s.community_id"
	                              " FROM team_members m JOIN staff s ON s.staff_id = m.staff_id"
	                              " WHERE m.team_id = ? ORDER BY s.role, m.staff_id",
	                              &s, d);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, team);
	err = ds_stmt_rows_json(s, out, d);
	ds_stmt_done(s);
	return err;
}

/* The team's visits that day in route order; positions when `located`. */
static ds_err stops(ds_store *st, const char *team, const char *date, bool located, json_t **out,
                    long *npos, struct ds_diag *d)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT v.visit_id, v.route_seq, v.state, v.account_id, b.community_id,"
	        " v.window_start_at, v.window_end_at, b.lat, b.lon FROM visits v"
	        " JOIN accounts a ON a.account_id = v.account_id"
	        " JOIN borrowers b ON b.borrower_id = a.borrower_id"
	        " WHERE v.team_id = ? AND v.visit_date = ? ORDER BY v.route_seq, v.visit_id",
	        &s, d);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, team);
	ds_stmt_bind_text(s, 2, date);
	json_t *arr = json_array();
	bool row;
	while (!(err = ds_stmt_step(s, &row, d)) && row) {
		bool here = located && !ds_stmt_is_null(s, 7) && !ds_stmt_is_null(s, 8);
		*npos += here;
		json_array_append_new(
		        arr, json_pack("{s:I, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "visit_id",
		                       (json_int_t)ds_stmt_int(s, 0), "route_seq",
		                       ds_stmt_is_null(s, 1) ? json_null()
		                                             : json_integer(ds_stmt_int(s, 1)),
		                       "state", ds_stmt_text(s, 2), "account_id",
		                       ds_stmt_text(s, 3), "community_id",
		                       ds_stmt_is_null(s, 4) ? json_null()
		                                             : json_string(ds_stmt_text(s, 4)),
		                       "window_start_at",
		                       ds_stmt_is_null(s, 5) ? json_null()
		                                             : json_integer(ds_stmt_int(s, 5)),
		                       "window_end_at",
		                       ds_stmt_is_null(s, 6) ? json_null()
		                                             : json_integer(ds_stmt_int(s, 6)),
		                       "lat", here ? json_real(ds_stmt_real(s, 7)) : json_null(),
		                       "lon", here ? json_real(ds_stmt_real(s, 8)) : json_null()));
	}
	ds_stmt_done(s);
	if (err) {
		json_decref(arr);
		return err;
	}
	*out = arr;
	return DS_OK;
}

void h_routes(struct srv_req *r)
{
	ds_date day;
	if (!srv_query_date(r, "date", false, &day))
		return;
	const char *only = srv_query(r, "team");
	ds_store *st = srv_store(r);
	if (!st)
		return;
	char date[11];
	ds_date_format(day, date);
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT t.team_id, t.branch_id, t.community_id FROM teams t"
	                              " WHERE t.work_date = ?1 AND (?2 IS NULL OR t.team_id = ?2)"
	                              " AND (?3 IS NULL OR t.branch_id = ?3)"
	                              " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM team_members m"
	                              " WHERE m.team_id = t.team_id AND m.staff_id = ?4))"
	                              " ORDER BY t.team_id",
	                              &s, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	ds_stmt_bind_text(s, 1, date);
	ds_stmt_bind_text(s, 2, only);
	/* the visits' scope, on teams: a collector's branch, a worker's teams */
	const struct ds_user *u = &r->s.user;
	ds_stmt_bind_text(s, 3, u->role == DS_ROLE_COLLECTOR ? u->branch_id : NULL);
	ds_stmt_bind_text(s, 4, u->role == DS_ROLE_COMMUNITY_WORKER ? u->staff_id : NULL);
	json_t *teams = NULL;
	err = ds_stmt_rows_json(s, &teams, &d);
	ds_stmt_done(s);
	bool located = ds_role_sees_unmasked(u->role, DS_PII_ADDRESS);
	long npos = 0, nstops = 0;
	size_t i;
	json_t *t;
	json_array_foreach(teams, i, t)
	{
		if (err)
			break;
		const char *id = json_string_value(json_object_get(t, "team_id"));
		json_t *m = NULL, *v = NULL;
		if (!(err = members(st, id, &m, &d)))
			err = stops(st, id, date, located, &v, &npos, &d);
		if (m)
			json_object_set_new(t, "members", m);
		if (v) {
			nstops += (long)json_array_size(v);
			json_object_set_new(t, "stops", v);
		}
	}
	if (!err && npos)
		err = srv_audit_read(r, st, "routes", date,
		                     json_pack("{s:I, s:[s]}", "positions", (json_int_t)npos,
		                               "fields", "position"),
		                     &d);
	if (err) {
		json_decref(teams);
		srv_fail(r, err, &d);
		return;
	}
	srv_json(r, 200,
	         json_pack("{s:s, s:I, s:b, s:o}", "date", date, "visits", (json_int_t)nstops,
	                   "positions", located, "teams", teams));
}

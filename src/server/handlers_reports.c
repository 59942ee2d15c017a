/*
 * Reports and experiments (docs/reports.md): GET /api/reports/kpi, roll,
 * visits and literacy answer what `doorstep report NAME --format json`
 * prints (lib/report's JSON); GET /api/experiments lists the experiments
 * with their arms' decisions, GET /api/experiments/{id} compares the arms
 * as `doorstep experiment report` does. Aggregates only: no personal data.
 */
#include "server.h"

#include "doorstep/plan.h"
#include "doorstep/report.h"

#include <string.h>

/* ?from (required) and ?to (default today), to not before from. */
static bool period(struct srv_req *r, ds_date *from, ds_date *to)
{
	if (!srv_query_date(r, "from", true, from) || !srv_query_date(r, "to", false, to))
		return false;
	if (*to < *from) {
		srv_error(r, 400, "bad_request", "?to comes before ?from");
		return false;
	}
	return true;
}

/* ?by (default all), among those `allowed` (NULL: any). */
static bool grouping(struct srv_req *r, const ds_report_by *allowed, int nallowed, ds_report_by *by)
{
	const char *v = srv_query(r, "by");
	*by = DS_BY_ALL;
	if (!v)
		return true;
	bool ok = ds_report_by_parse(v, by) == DS_OK;
	if (ok && allowed) {
		ok = false;
		for (int i = 0; i < nallowed; i++)
			ok = ok || allowed[i] == *by;
	}
	if (!ok)
		srv_error(r, 400, "bad_request", "?by: not a grouping this report has");
	return ok;
}

void h_report_kpi(struct srv_req *r)
{
	ds_date from, to;
	ds_report_by by;
	if (!period(r, &from, &to) || !grouping(r, NULL, 0, &by))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_kpi *rows = NULL;
	long n = 0;
	ds_err err = ds_report_kpis(st, from, to, by, &rows, &n, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	json_t *a = json_array();
	for (long i = 0; i < n; i++)
		json_array_append_new(a, ds_kpi_json(&rows[i]));
	ds_free(rows);
	char f[11], t[11];
	ds_date_format(from, f);
	ds_date_format(to, t);
	srv_json(r, 200,
	         json_pack("{s:s, s:s, s:s, s:o}", "from", f, "to", t, "by", ds_report_by_name(by),
	                   "rows", a));
}

void h_report_roll(struct srv_req *r)
{
	ds_date from, to;
	if (!period(r, &from, &to))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_roll_matrix m;
	ds_err err = ds_report_roll_rates(st, from, to, &m, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	char f[11], t[11];
	ds_date_format(from, f);
	ds_date_format(to, t);
	srv_json(r, 200,
	         json_pack("{s:s, s:s, s:o}", "from", f, "to", t, "rows", ds_roll_json(&m)));
}

void h_report_visits(struct srv_req *r)
{
	static const ds_report_by allowed[] = { DS_BY_ALL, DS_BY_BUCKET, DS_BY_QUADRANT,
		                                DS_BY_COMMUNITY };
	ds_date as_of;
	ds_report_by by;
	long horizon;
	const char *exp = srv_query(r, "experiment");
	if (!exp)
		exp = "visit-holdout";
	if (!srv_query_date(r, "as_of", false, &as_of) ||
	    !grouping(r, allowed, (int)(sizeof allowed / sizeof allowed[0]), &by) ||
	    !srv_query_long(r, "horizon", 1, 365, 30, &horizon))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_visit_effect *rows = NULL;
	long n = 0;
	ds_err err = ds_report_visit_effect(st, exp, (int)horizon, as_of, by, &rows, &n, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	json_t *a = json_array();
	for (long i = 0; i < n; i++)
		json_array_append_new(a, ds_visit_effect_json(&rows[i]));
	ds_free(rows);
	char day[11];
	ds_date_format(as_of, day);
	srv_json(r, 200,
	         json_pack("{s:s, s:s, s:i, s:s, s:o}", "experiment", exp, "as_of", day,
	                   "horizon_days", (int)horizon, "by", ds_report_by_name(by), "rows", a));
}

void h_report_literacy(struct srv_req *r)
{
	ds_date as_of;
	long window;
	if (!srv_query_date(r, "as_of", false, &as_of) ||
	    !srv_query_long(r, "window", 7, 365, 90, &window))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_literacy_effect e;
	ds_err err = ds_report_literacy(st, as_of, (int)window, &e, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	json_t *v = ds_literacy_json(&e);
	char day[11];
	ds_date_format(as_of, day);
	json_object_set_new(v, "as_of", json_string(day));
	json_object_set_new(v, "window_days", json_integer(window));
	srv_json(r, 200, v);
}

/* ------------------------------------------------------------ experiments */

void h_experiments(struct srv_req *r)
{
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT e.experiment_id, e.name, e.segment, e.holdout_ppm, e.start_date,"
	        " e.end_date, e.status,"
	        " (SELECT count(DISTINCT account_id) FROM decisions x"
	        "  WHERE x.experiment_id = e.experiment_id AND x.arm = 'treated') AS treated,"
	        " (SELECT count(DISTINCT account_id) FROM decisions x"
	        "  WHERE x.experiment_id = e.experiment_id AND x.arm = 'holdout') AS held_out,"
	        " (SELECT max(plan_date) FROM decisions x"
	        "  WHERE x.experiment_id = e.experiment_id) AS last_plan_date"
	        " FROM experiments e ORDER BY e.start_date DESC, e.experiment_id LIMIT ? OFFSET 0",
	        &s, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	ds_stmt_bind_int(s, 1, SRV_PAGE_MAX + 1);
	srv_rows(r, s, SRV_PAGE_MAX, 0);
}

void h_experiment(struct srv_req *r)
{
	ds_date as_of;
	long horizon;
	if (!srv_query_date(r, "as_of", false, &as_of) ||
	    !srv_query_long(r, "horizon", 1, 365, 30, &horizon))
		return;
	const char *exp = r->param[0];
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(st, "SELECT 1 FROM experiments WHERE experiment_id = ?", &s, &d);
	bool known = false;
	if (!err) {
		ds_stmt_bind_text(s, 1, exp);
		err = ds_stmt_step(s, &known, &d);
		ds_stmt_done(s);
	}
	if (!err && !known) {
		srv_error(r, 404, "not_found", "no experiment %s", exp);
		return;
	}
	struct ds_entrant *e = NULL;
	long n = 0;
	struct ds_experiment_result res;
	memset(&res, 0, sizeof res);
	if (!err)
		err = ds_experiment_entrants(st, exp, (int)horizon, as_of, &e, &n, &d);
	if (!err)
		err = ds_experiment_paid(st, e, n, (int)horizon, &d);
	if (!err && (err = ds_experiment_compare(e, n, 0.95, &res, &d)))
		ds_diag_set(&d, err, NULL, 0, NULL,
		            "experiment %s: %ld treated and %ld held-out accounts with %ld days "
		            "observed by the as-of date; both arms are needed",
		            exp, res.treated, res.held_out, horizon);
	ds_free(e);
	if (err == DS_ENOTFOUND) {
		char msg[300];
		ds_diag_format(&d, msg, sizeof msg);
		srv_error(r, 422, "insufficient_data", "%s", msg);
		return;
	}
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	json_t *v = ds_experiment_result_json(exp, (int)horizon, &res);
	char day[11];
	ds_date_format(as_of, day);
	json_object_set_new(v, "as_of", json_string(day));
	srv_json(r, 200, v);
}

void h_report_drivers(struct srv_req *r)
{
	ds_date from, to;
	long horizon;
	if (!period(r, &from, &to) || !srv_query_long(r, "horizon", 1, 365, 30, &horizon))
		return;
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	struct ds_drivers res;
	ds_err err = ds_report_drivers(st, from, to, (int)horizon, &res, &d);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	json_t *v = ds_drivers_json(&res);
	char f[11], t[11];
	ds_date_format(from, f);
	ds_date_format(to, t);
	json_object_set_new(v, "from", json_string(f));
	json_object_set_new(v, "to", json_string(t));
	srv_json(r, 200, v);
}

/*
 * The reports as JSON: one shape for `doorstep report --format json`,
 * `doorstep experiment report --json` and the server's /api/reports and
 * /api/experiments answers (docs/reports.md, docs/api.md).
 */
#include "doorstep/report.h"

json_t *ds_kpi_json(const struct ds_kpi *k)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:f, s:I, s:f, s:I, s:I, s:I, s:f, s:I, s:I, s:f, "
	                 "s:I, s:I, s:I, s:f, s:f}",
	                 "group", k->group, "accounts", (json_int_t)k->accounts,
	                 "overdue_start_fen", (json_int_t)k->overdue_start, "recovered_fen",
	                 (json_int_t)k->recovered, "recovery_rate", k->recovery_rate, "cured",
	                 (json_int_t)k->cured, "cure_rate", k->cure_rate, "promises",
	                 (json_int_t)k->promises, "promises_judged", (json_int_t)k->promises_judged,
	                 "kept", (json_int_t)k->kept, "kept_rate", k->kept_rate, "cost_fen",
	                 (json_int_t)k->cost, "net_fen", (json_int_t)k->net, "cost_to_collect",
	                 k->cost_to_collect, "contacts", (json_int_t)k->contacts, "complaints",
	                 (json_int_t)k->complaints, "incidents", (json_int_t)k->incidents,
	                 "complaints_per_1000", k->complaints_per_1000, "incidents_per_1000",
	                 k->incidents_per_1000);
}

json_t *ds_roll_json(const struct ds_roll_matrix *m)
{
	json_t *rows = json_array();
	for (int i = 0; i < DS_BUCKETS; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "from", json_string(ds_bucket_name(i)));
		for (int j = 0; j < DS_BUCKETS; j++)
			json_object_set_new(o, ds_bucket_name(j), json_integer(m->n[i][j]));
		json_array_append_new(rows, o);
	}
	return rows;
}

json_t *ds_visit_effect_json(const struct ds_visit_effect *x)
{
	return json_pack(
	        "{s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:s}", "segment",
	        x->segment, "treated", (json_int_t)x->treated, "held_out", (json_int_t)x->held_out,
	        "paid_treated_yuan", x->paid_treated, "paid_held_out_yuan", x->paid_held_out,
	        "effect_yuan", x->effect, "lo", x->lo, "hi", x->hi, "share_effect", x->share_effect,
	        "share_lo", x->share_lo, "share_hi", x->share_hi, "extra_cost_yuan", x->extra_cost,
	        "cost_per_yuan", x->cost_per_yuan, "verdict", ds_visit_verdict_name(x->verdict));
}

json_t *ds_literacy_json(const struct ds_literacy_effect *e)
{
	return json_pack("{s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "events",
	                 (json_int_t)e->events, "treated_units", (json_int_t)e->treated_units,
	                 "control_units", (json_int_t)e->control_units, "before_treated",
	                 e->before_treated, "after_treated", e->after_treated, "before_control",
	                 e->before_control, "after_control", e->after_control, "did", e->did, "lo",
	                 e->lo, "hi", e->hi);
}

json_t *ds_experiment_result_json(const char *experiment, int horizon,
                                  const struct ds_experiment_result *r)
{
	const struct ds_prop_diff *pd = &r->paid_share;
	const struct ds_mean_diff *md = &r->yuan;
	return json_pack("{s:s, s:i, s:I, s:I, s:{s:f, s:f, s:f, s:f, s:f, s:f}, "
	                 "s:{s:f, s:f, s:f, s:f, s:f}}",
	                 "experiment", experiment, "horizon_days", horizon, "treated",
	                 (json_int_t)r->treated, "held_out", (json_int_t)r->held_out, "paid_share",
	                 "treated", pd->p1, "held_out", pd->p0, "difference", pd->diff, "lo",
	                 pd->lo, "hi", pd->hi, "p_value", pd->p_value, "yuan_paid", "treated",
	                 md->m1, "held_out", md->m0, "difference", md->diff, "lo", md->lo, "hi",
	                 md->hi);
}

static json_t *coefs(const struct ds_driver *c, int k)
{
	json_t *a = json_array();
	for (int i = 0; i < k; i++)
		json_array_append_new(
		        a, c[i].dropped ? json_pack("{s:s, s:s, s:b}", "name", c[i].name, "name_zh",
		                                    c[i].name_zh, "dropped", 1)
		                        : json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:f}", "name",
		                                    c[i].name, "name_zh", c[i].name_zh, "coef",
		                                    c[i].coef, "se", c[i].se, "lo", c[i].lo, "hi",
		                                    c[i].hi, "p", c[i].p));
	return a;
}

json_t *ds_drivers_json(const struct ds_drivers *d)
{
	return json_pack("{s:I, s:i, s:f, s:f, s:{s:b, s:s, s:o}, s:{s:b, s:s, s:o}, s:s}",
	                 "visits", (json_int_t)d->n, "horizon_days", d->horizon, "cure_rate",
	                 d->cure_rate, "paid_mean_yuan", d->paid_mean, "cure", "estimated",
	                 d->cure_ok, "why", d->cure_why, "coefficients",
	                 d->cure_ok ? coefs(d->cure, d->k) : json_array(), "paid", "estimated",
	                 d->paid_ok, "why", d->paid_why, "coefficients",
	                 d->paid_ok ? coefs(d->paid, d->k) : json_array(), "note",
	                 "observational: associations, not effects");
}

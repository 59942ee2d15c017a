/*
 * The daily plan (docs/strategy.md, "The daily plan"): features, uplift
 * estimates less costs, the contact rules' verdicts, the visit holdout,
 * the optimiser, and the decisions written back.
 */
#include "doorstep/plan.h"
#include "teams-int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { R_CALL, R_SMS, R_LETTER, R_LEGAL, R_VISITS, R_FIXED }; /* then one per community */

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void ds_plan_opts_default(struct ds_plan_opts *o, ds_date date)
{
	memset(o, 0, sizeof *o);
	o->date = date;
	ds_costs_from_config(NULL, &o->costs);
	/* per 1,000 accounts, as the simulated city's defaults */
	o->cap = (struct ds_plan_capacity){ .visit_minutes = 6 * 90,
		                            .call_minutes = 25 * 5,
		                            .sms = 200,
		                            .letters = 20,
		                            .legal = 1 };
	o->min_spacing_days = 3;
	o->holdout_share = 0.05;
	o->experiment_id = "visit-holdout";
	o->contact_hour = 10;
	o->shrink_rows = 2000;
	o->caution_z = 0;
	o->explore_share = 0;
	o->explore_rows = 150;
	o->explore_min_dpd = 15;
}

/*
 * Estimates from few rows are mostly noise between accounts, and a plan
 * picks the accounts whose noise is high: each estimate, as a share of the
 * overdue amount, keeps n / (n + shrink_rows) of its distance from its
 * treatment's average. The average is noisy too, and a plan spends the
 * budget of the treatment whose average happens to come out high: it is
 * taken caution_z standard errors lower (not below 0), the standard error
 * from the outcome's spread among the treatment's rows and among the rows
 * of none.
 */
static void shrink(const struct ds_plan_opts *o, const ds_dataset *d, double *est)
{
	int fo = ds_dataset_feature(d, "overdue_yuan");
	if (fo < 0 || !(o->shrink_rows > 0))
		return;
	for (int t = 1; t < DS_T_COUNT; t++) {
		double n = (double)o->uplift->rows[t], keep = n / (n + o->shrink_rows), sum = 0;
		long cnt = 0;
		for (long k = 0; k < d->nrows; k++) {
			double ov = ds_dataset_at(d, k, fo), e = est[k * DS_T_COUNT + t];
			if (!isnan(e) && ov > 0) {
				sum += e / ov;
				cnt++;
			}
		}
		if (!cnt)
			continue;
		double mean = sum / (double)cnt, target = mean;
		const struct ds_uplift *u = o->uplift;
		if (o->caution_z > 0 && u->rows[t] > 1 && u->rows[DS_T_NONE] > 1 && mean > 0) {
			double se = sqrt(u->y_var[t] / (double)u->rows[t] +
			                 u->y_var[DS_T_NONE] / (double)u->rows[DS_T_NONE]);
			target = fmax(0, mean - o->caution_z * se);
		}
		for (long k = 0; k < d->nrows; k++) {
			double ov = ds_dataset_at(d, k, fo), *e = &est[k * DS_T_COUNT + t];
			if (!isnan(*e) && ov > 0)
				*e = ov * (target + keep * (*e / ov - mean));
		}
	}
}

/* Active collectors per branch, and each community's branch: the visit
 * pools when visits are counted per collector. */
static ds_err branch_pools(ds_store *st, const char *const *comm, long ncomm, long *branch_of,
                           char (**branches)[65], double **collectors, long *nbranch,
                           struct ds_diag *diag)
{
	ds_stmt *s;
	bool row;
	*nbranch = 0;
	*branches = NULL;
	*collectors = NULL;
	ds_err err = ds_store_prepare(st,
	                              "SELECT b.branch_id, (SELECT count(*) FROM staff s WHERE"
	                              " s.branch_id = b.branch_id AND s.role = 'collector' AND"
	                              " s.active = 1) FROM branches b ORDER BY b.branch_id",
	                              &s, diag);
	long cap = 0;
	while (!err && !(err = ds_stmt_step(s, &row, diag)) && row) {
		if (*nbranch == cap) {
			cap = cap ? cap * 2 : 64;
			void *a = ds_realloc(*branches, (size_t)cap * sizeof **branches);
			if (a)
				*branches = a;
			void *b = a ? ds_realloc(*collectors, (size_t)cap * sizeof **collectors)
			            : NULL;
			if (!a || !b) {
				err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
				break;
			}
			*collectors = b;
		}
		ds_strlcpy((*branches)[*nbranch], ds_stmt_text(s, 0), sizeof **branches);
		(*collectors)[*nbranch] = (double)ds_stmt_int(s, 1);
		(*nbranch)++;
	}
	ds_stmt_done(s);
	for (long c = 0; c < ncomm; c++)
		branch_of[c] = -1;
	if (!err)
		err = ds_store_prepare(st, "SELECT community_id, branch_id FROM communities", &s,
		                       diag);
	while (!err && !(err = ds_stmt_step(s, &row, diag)) && row) {
		const char *cid = ds_stmt_text(s, 0), *bid = ds_stmt_text(s, 1);
		const char *const *hit =
		        ncomm ? bsearch(&cid, comm, (size_t)ncomm, sizeof *comm, by_str) : NULL;
		if (!hit)
			continue;
		for (long k = 0; k < *nbranch; k++)
			if (strcmp((*branches)[k], bid) == 0)
				branch_of[hit - comm] = k;
	}
	if (!err)
		ds_stmt_done(s);
	return err;
}

/* The accounts referred to legal action before the day ends (a legal
 * notice among their contacts), sorted: the bank has handed them to its
 * lawyers and contacts them no more. */
static ds_err with_lawyers(ds_store *st, ds_date date, char ***ids, long *n, struct ds_diag *diag)
{
	*ids = NULL;
	*n = 0;
	ds_stmt *s;
	bool row;
	long cap = 0;
	ds_err err =
	        ds_store_prepare(st,
	                         "SELECT DISTINCT account_id FROM contacts WHERE"
	                         " channel = 'letter' AND note LIKE 'legal%' AND started_at < ?"
	                         " ORDER BY account_id",
	                         &s, diag);
	if (err)
		return err;
	ds_stmt_bind_int(s, 1, ((int64_t)date + 1) * 86400);
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if ((err = ds_grow((void **)ids, &cap, *n, sizeof **ids, 256, diag)))
			break;
		if (!((*ids)[*n] = ds_strdup(ds_stmt_text(s, 0)))) {
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			break;
		}
		(*n)++;
	}
	ds_stmt_done(s);
	return err;
}

static void free_ids(char **ids, long n)
{
	for (long k = 0; k < n; k++)
		ds_free(ids[k]);
	ds_free(ids);
}

/* Per treatment, the exploration decisions before the date. */
static ds_err explored_so_far(ds_store *st, ds_date date, long *count, struct ds_diag *diag)
{
	char day[11];
	ds_date_format(date, day);
	ds_stmt *s;
	bool row;
	ds_err err = ds_store_prepare(st,
	                              "SELECT treatment, count(*) FROM decisions WHERE"
	                              " arm = 'explore' AND plan_date < ? GROUP BY treatment",
	                              &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, day);
	while (!(err = ds_stmt_step(s, &row, diag)) && row)
		for (int t = 1; t < DS_T_COUNT; t++)
			if (strcmp(ds_stmt_text(s, 0), ds_treatment_name((ds_treatment)t)) == 0)
				count[t] = (long)ds_stmt_int(s, 1);
	ds_stmt_done(s);
	return err;
}

/* Whether the account is drawn, on the day, into the exploration of t. */
static bool explore_draw(const struct ds_plan_opts *o, ds_treatment t, const char *account)
{
	char exp[64], key[96], day[11];
	ds_date_format(o->date, day);
	snprintf(exp, sizeof exp, "explore-%s", ds_treatment_name(t));
	snprintf(key, sizeof key, "%s/%s", account, day);
	const double shares[2] = { o->explore_share, 1 - o->explore_share };
	return ds_experiment_arm(exp, key, shares, 2) == 0;
}

static const struct {
	ds_channel channel;
	ds_content content;
} how_contacted[DS_T_COUNT] = {
	[DS_T_SMS] = { DS_CH_SMS, DS_CONTENT_REMINDER },
	[DS_T_CALL] = { DS_CH_CALL, DS_CONTENT_DEBT_DETAILS },
	[DS_T_LETTER] = { DS_CH_LETTER, DS_CONTENT_DEBT_DETAILS },
	[DS_T_VISIT] = { DS_CH_VISIT, DS_CONTENT_DEBT_DETAILS },
	[DS_T_PLAN] = { DS_CH_CALL, DS_CONTENT_DEBT_DETAILS },
	[DS_T_LEGAL] = { DS_CH_LETTER, DS_CONTENT_DEBT_DETAILS },
};

/* An exploration draw that passed the rules: its resource and use. */
struct forced {
	long res; /* -1: none */
	float use;
	uint8_t treatment;
};

struct build {
	const struct ds_plan_opts *o;
	struct ds_opt_option *opt;
	long nopt, cap;
	const char **comm; /* sorted, unique */
	long ncomm;
};

static ds_err add_option(struct build *b, uint32_t account, uint32_t resource, double use,
                         ds_treatment t, double value)
{
	if (b->nopt == b->cap) {
		long cap = b->cap ? b->cap * 2 : 4096;
		struct ds_opt_option *p = ds_realloc(b->opt, (size_t)cap * sizeof *p);
		if (!p)
			return DS_ENOMEM;
		b->opt = p;
		b->cap = cap;
	}
	b->opt[b->nopt++] =
	        (struct ds_opt_option){ account, resource, (float)use, (uint8_t)t, value };
	return DS_OK;
}

static long community_index(const struct build *b, const char *id)
{
	if (!id || !*id)
		return -1;
	const char **hit =
	        b->ncomm ? bsearch(&id, b->comm, (size_t)b->ncomm, sizeof *b->comm, by_str) : NULL;
	return hit ? (long)(hit - b->comm) : -1;
}

/* The decision's reasons: every estimate, the verdicts, the arm. */
static void reasons_json(const struct ds_decision *dc, const double *est, const double *harm,
                         struct ds_buf *out)
{
	out->len = 0;
	if (out->p)
		out->p[0] = 0;
	ds_buf_adds(out, "{\"uplift_yuan\":{");
	bool first = true;
	for (int t = 1; t < DS_T_COUNT; t++)
		if (!isnan(est[t])) {
			ds_buf_addf(out, "%s\"%s\":%.2f", first ? "" : ",",
			            ds_treatment_name((ds_treatment)t), est[t]);
			first = false;
		}
	ds_buf_adds(out, "},\"complaint_chance\":{");
	first = true;
	for (int t = 1; t < DS_T_COUNT; t++)
		if (!isnan(est[t])) {
			ds_buf_addf(out, "%s\"%s\":%.5f", first ? "" : ",",
			            ds_treatment_name((ds_treatment)t), harm[t]);
			first = false;
		}
	ds_buf_adds(out, "},\"refused\":{");
	first = true;
	for (int t = 1; t < DS_T_COUNT; t++)
		if (dc->refused[t]) {
			ds_buf_addf(out, "%s\"%s\":\"%s\"", first ? "" : ",",
			            ds_treatment_name((ds_treatment)t), dc->first_rule[t]);
			first = false;
		}
	ds_buf_addf(out, "},\"visit_holdout\":%s,\"explored\":%s,\"with_lawyers\":%s}",
	            dc->held_out ? "true" : "false", dc->explored ? "true" : "false",
	            dc->with_lawyers ? "true" : "false");
}

static ds_err write_decisions(ds_store *st, const struct ds_plan_opts *o,
                              const struct ds_plan_result *r, const double *est, const double *harm,
                              struct ds_diag *diag)
{
	char day[11];
	ds_date_format(o->date, day);
	ds_err err = ds_store_begin(st, diag);
	if (err)
		return err;
	ds_stmt *s;
	bool row;
	if (!(err = ds_store_prepare(st,
	                             "INSERT INTO experiments(experiment_id, name, "
	                             "holdout_ppm, start_date) VALUES (?,?,?,?)"
	                             " ON CONFLICT DO NOTHING",
	                             &s, diag))) {
		ds_stmt_bind_text(s, 1, o->experiment_id);
		ds_stmt_bind_text(s, 2, "visit holdout: what community visits add");
		ds_stmt_bind_int(s, 3, (int64_t)llround(o->holdout_share * 1e6));
		ds_stmt_bind_text(s, 4, day);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
	}
	for (int t = 1; !err && t < DS_T_COUNT; t++) {
		if (!r->explored[t] ||
		    (err = ds_store_prepare(
		             st,
		             "INSERT INTO experiments(experiment_id, name, "
		             "holdout_ppm, start_date) VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
		             &s, diag)))
			continue;
		char id[64], name[128];
		snprintf(id, sizeof id, "explore-%s", ds_treatment_name((ds_treatment)t));
		snprintf(name, sizeof name,
		         "exploration: %s at random where the history holds too few",
		         ds_treatment_name((ds_treatment)t));
		ds_stmt_bind_text(s, 1, id);
		ds_stmt_bind_text(s, 2, name);
		ds_stmt_bind_int(s, 3, (int64_t)llround((1 - o->explore_share) * 1e6));
		ds_stmt_bind_text(s, 4, day);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
	}
	/* the day's routes belong to the plan replaced: planned visits go
	 * with it; a visit already under way keeps the plan in place */
	if (!err && !(err = ds_store_prepare(st,
	                                     "SELECT count(*) FROM visits v JOIN decisions d"
	                                     " ON d.decision_id = v.decision_id"
	                                     " WHERE d.plan_date = ? AND v.state <> 'planned'",
	                                     &s, diag))) {
		ds_stmt_bind_text(s, 1, day);
		int64_t busy = 0;
		if (!(err = ds_stmt_step(s, &row, diag)) && row)
			busy = ds_stmt_int(s, 0);
		ds_stmt_done(s);
		if (!err && busy > 0)
			err = ds_diag_set(
			        diag, DS_EINVAL, NULL, 0, NULL,
			        "the plan for %s has %lld visits under way (past planned): "
			        "it cannot be replaced",
			        day, (long long)busy);
	}
	if (!err && !(err = ds_store_prepare(st,
	                                     "DELETE FROM visits WHERE state = 'planned' AND"
	                                     " decision_id IN (SELECT decision_id FROM decisions"
	                                     " WHERE plan_date = ?)",
	                                     &s, diag))) {
		ds_stmt_bind_text(s, 1, day);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
	}
	if (!err &&
	    !(err = ds_store_prepare(st, "DELETE FROM decisions WHERE plan_date=?", &s, diag))) {
		ds_stmt_bind_text(s, 1, day);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
	}
	struct ds_buf why;
	ds_buf_init(&why, 1 << 14);
	int64_t now = (int64_t)time(NULL);
	for (long k = 0; !err && k < r->accounts; k++) {
		const struct ds_decision *dc = &r->decisions[k];
		if ((err = ds_store_prepare(
		             st,
		             "INSERT INTO decisions(plan_date, account_id, treatment,"
		             " expected_fen, cost_fen, experiment_id, arm, reasons,"
		             " created_at) VALUES (?,?,?,?,?,?,?,?,?)",
		             &s, diag)))
			break;
		reasons_json(dc, est + k * DS_T_COUNT, harm + k * DS_T_COUNT, &why);
		ds_stmt_bind_text(s, 1, day);
		ds_stmt_bind_text(s, 2, dc->account_id);
		ds_stmt_bind_text(s, 3, ds_treatment_name((ds_treatment)dc->treatment));
		ds_stmt_bind_int(s, 4, (int64_t)llround(dc->expected_fen));
		ds_stmt_bind_int(s, 5, (int64_t)llround(dc->cost_fen));
		char explore_id[64];
		snprintf(explore_id, sizeof explore_id, "explore-%s",
		         ds_treatment_name((ds_treatment)dc->treatment));
		ds_stmt_bind_text(s, 6, dc->explored ? explore_id : o->experiment_id);
		ds_stmt_bind_text(s, 7,
		                  dc->explored   ? "explore"
		                  : dc->held_out ? "holdout"
		                                 : "treated");
		ds_stmt_bind_text(s, 8, why.p ? why.p : "{}");
		ds_stmt_bind_int(s, 9, now);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
	}
	ds_buf_free(&why);
	if (!err) {
		char detail[256];
		snprintf(detail, sizeof detail,
		         "{\"accounts\":%ld,\"visits\":%ld,\"calls\":%ld,\"sms\":%ld,\"held_out\":%"
		         "ld}",
		         r->accounts, r->chosen[DS_T_VISIT], r->chosen[DS_T_CALL],
		         r->chosen[DS_T_SMS], r->held_out);
		err = ds_store_audit(st, "plan", "decisions", day, detail, diag);
	}
	if (!err)
		err = ds_store_commit(st, diag);
	if (err)
		ds_store_rollback(st);
	return err;
}

/*
 * Visit capacities by the day's teams (by_teams): community c's resource
 * R_FIXED + c holds its worker teams' visits, branch k's R_FIXED + ncomm + k
 * its collector pairs'. Without a plan yet (choice NULL), every worker of a
 * partner community out with a collector of their branch while there are
 * collectors, the other collectors in pairs; then the teams as the day's
 * routes would form them for the visits chosen (per community, with their
 * value).
 */
static ds_err team_capacity(struct day_staff *ds, const struct build *b, const long *branch_of,
                            char (*branches)[65], long nbranch, const long *comm_of,
                            const long *choice, long n, int form_per_team, double per_team,
                            double *capacity, int *teams, int *pairs, struct ds_diag *diag)
{
	for (long c = 0; c < b->ncomm; c++)
		capacity[R_FIXED + c] = 0;
	for (long k = 0; k < nbranch; k++)
		capacity[R_FIXED + b->ncomm + k] = 0;
	*teams = *pairs = 0;
	for (long k = 0; k < ds->np; k++)
		ds->p[k].taken = false;
	ds->nt = 0;
	for (long k = 0; k < ds->nc; k++) {
		ds->c[k].visits = ds->c[k].value = 0;
		ds->c[k].teams = 0;
	}
	if (!choice) {
		for (long k = 0; k < nbranch; k++) {
			long collectors = 0, workers = 0;
			for (long i = 0; i < ds->np; i++)
				if (ds->p[i].collector && strcmp(ds->p[i].branch, branches[k]) == 0)
					collectors++;
			for (long c = 0; c < b->ncomm; c++) {
				struct day_community *dc =
				        branch_of[c] == k ? day_community_find(ds, b->comm[c])
				                          : NULL;
				long w = 0;
				for (long i = 0; dc && i < ds->np; i++)
					w += !ds->p[i].collector &&
					     strcmp(ds->p[i].community, dc->id) == 0;
				w = w < collectors - workers ? w : collectors - workers;
				capacity[R_FIXED + c] = per_team * (double)w;
				workers += w;
			}
			capacity[R_FIXED + b->ncomm + k] =
			        per_team * (double)((collectors - workers) / 2);
		}
		return DS_OK;
	}
	for (long i = 0; i < n; i++) {
		if (choice[i] < 0 || b->opt[choice[i]].treatment != DS_T_VISIT || comm_of[i] < 0)
			continue;
		struct day_community *dc = day_community_find(ds, b->comm[comm_of[i]]);
		if (dc) {
			dc->visits++;
			dc->value += (int64_t)llround(b->opt[choice[i]].value);
		}
	}
	for (long k = 0; k < nbranch; k++) {
		long first = ds->nt;
		ds_err err = day_teams_form(ds, branches[k], form_per_team, diag);
		if (err)
			return err;
		for (long t = first; t < ds->nt; t++) {
			const struct day_team *tm = &ds->t[t];
			if (tm->n < 2)
				continue; /* alone: no visit under a pack wanting two */
			(*teams)++;
			if (ds->p[tm->member[1]].collector) {
				(*pairs)++;
				capacity[R_FIXED + b->ncomm + k] += per_team;
			}
		}
	}
	for (long c = 0; c < b->ncomm; c++) {
		struct day_community *dc = day_community_find(ds, b->comm[c]);
		capacity[R_FIXED + c] = dc ? per_team * dc->teams : 0;
	}
	return DS_OK;
}

ds_err ds_plan_day(ds_store *st, const struct ds_plan_opts *o, bool write,
                   struct ds_plan_result *out, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!o->uplift)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "a plan needs uplift estimates");
	ds_dataset *d = NULL;
	ds_rules_context *cx = NULL;
	double *est = NULL, *harm = NULL, *capacity = NULL;
	long *choice = NULL;
	struct forced *forced = NULL;
	struct build b = { .o = o };
	long *branch_of = NULL, nbranch = 0;
	char(*branches)[65] = NULL;
	double *collectors = NULL;
	char **lawyers = NULL;
	long nlawyers = 0;
	long *comm_of = NULL;
	struct day_staff staff = { 0 };
	const bool teams = o->cap.by_teams && !(o->cap.visits_total > 0);
	ds_err err = ds_features_build(st, o->date, 0, &d, diag);
	if (err)
		return err;
	int fdpd = ds_dataset_feature(d, "dpd");
	long n = d->nrows;
	out->accounts = n;
	est = ds_malloc((size_t)n * DS_T_COUNT * sizeof *est + 1);
	harm = ds_malloc((size_t)n * DS_T_COUNT * sizeof *harm + 1);
	out->decisions = ds_calloc((size_t)n + 1, sizeof *out->decisions);
	choice = ds_malloc((size_t)n * sizeof *choice + 1);
	forced = ds_malloc((size_t)n * sizeof *forced + 1);
	comm_of = ds_malloc((size_t)n * sizeof *comm_of + 1);
	b.comm = ds_malloc((size_t)n * sizeof *b.comm + 1);
	if (!est || !harm || !out->decisions || !choice || !forced || !comm_of || !b.comm) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	for (long k = 0; k < n; k++) {
		forced[k].res = -1;
		comm_of[k] = -1;
	}
	if ((err = ds_uplift_predict(o->uplift, d, NULL, n, DS_UPLIFT_T_LEARNER, est, diag)))
		goto done;
	shrink(o, d, est);
	if ((err = ds_uplift_harm(o->uplift, d, NULL, n, harm, diag)))
		goto done;
	ds_time since = (ds_time)(o->date - 40) * 86400;
	if ((err = ds_rules_context_load(st, since, &cx, diag)) ||
	    (err = with_lawyers(st, o->date, &lawyers, &nlawyers, diag)))
		goto done;
	/* the communities of the day's accounts, for their visit capacity */
	struct ds_proposal p;
	for (long k = 0; k < n; k++) {
		const ds_rules_account *a = ds_rules_context_account(cx, d->id[k]);
		memset(&p, 0, sizeof p);
		if (a)
			ds_rules_context_fill(cx, a, &p);
		if (p.community_id && *p.community_id)
			b.comm[b.ncomm++] = p.community_id;
	}
	qsort(b.comm, (size_t)b.ncomm, sizeof *b.comm, by_str);
	long u = 0;
	for (long k = 0; k < b.ncomm; k++)
		if (u == 0 || strcmp(b.comm[u - 1], b.comm[k]) != 0)
			b.comm[u++] = b.comm[k];
	b.ncomm = u;
	if ((o->cap.visits_total > 0 && o->cap.visits_by_branch) || teams) {
		branch_of = ds_malloc((size_t)b.ncomm * sizeof *branch_of + 1);
		if (!branch_of) {
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			goto done;
		}
		if ((err = branch_pools(st, b.comm, b.ncomm, branch_of, &branches, &collectors,
		                        &nbranch, diag)))
			goto done;
	}
	/* what exploration has given so far, outcomes observed or not */
	long explored_before[DS_T_COUNT] = { 0 };
	if ((err = explored_so_far(st, o->date, explored_before, diag)))
		goto done;
	const double shares[2] = { o->holdout_share, 1 - o->holdout_share };
	for (long k = 0; k < n && !err; k++) {
		struct ds_decision *dc = &out->decisions[k];
		ds_strlcpy(dc->account_id, d->id[k], sizeof dc->account_id);
		const ds_rules_account *a = ds_rules_context_account(cx, d->id[k]);
		const char *zone = a ? ds_rules_account_zone(cx, a) : NULL;
		int y, m, dd;
		ds_date_to_ymd(o->date, &y, &m, &dd);
		ds_time start = 0;
		if (!zone || ds_tz_from_local(zone, y, m, dd, o->contact_hour, 0, 0, &start))
			continue; /* no zone: no contact can be placed in time */
		dc->held_out = ds_experiment_arm(o->experiment_id, d->id[k], shares, 2) == 0;
		out->held_out += dc->held_out;
		const char *key = d->id[k];
		if (nlawyers && bsearch(&key, lawyers, (size_t)nlawyers, sizeof *lawyers, by_str)) {
			dc->with_lawyers = true; /* no contact of the bank's any more */
			out->with_lawyers++;
			continue;
		}
		/* a treatment the history barely holds, at random, to learn it */
		int explore = DS_T_NONE;
		double dpd = fdpd >= 0 ? ds_dataset_at(d, k, fdpd) : 0;
		for (int t = 1; t < DS_T_COUNT && explore == DS_T_NONE; t++)
			if (o->explore_share > 0 && o->uplift->rows[t] < o->explore_rows &&
			    explored_before[t] < o->explore_rows && dpd > o->explore_min_dpd &&
			    !(t == DS_T_VISIT && (dc->held_out || teams)) &&
			    explore_draw(o, (ds_treatment)t, d->id[k]))
				explore = t;
		for (int t = 1; t < DS_T_COUNT && !err; t++) {
			double uplift = est[k * DS_T_COUNT + t];
			/* an expected complaint weighs as a cost */
			double cost = (double)ds_treatment_cost(&o->costs, (ds_treatment)t, -1) +
			              harm[k * DS_T_COUNT + t] * (double)o->costs.complaint;
			if (t != explore && (isnan(uplift) || uplift * 100 - cost <= 0))
				continue; /* worth nothing: never chosen, not even checked */
			if (t == DS_T_VISIT && dc->held_out)
				continue;
			memset(&p, 0, sizeof p);
			p.stage = DS_STAGE_PLAN;
			p.channel = how_contacted[t].channel;
			p.content = how_contacted[t].content;
			p.party = DS_PARTY_BORROWER;
			p.start = start;
			p.duration_s = 300;
			p.team_unknown = true;
			ds_rules_context_fill(cx, a, &p);
			bool spaced = true;
			for (int h = 0; h < p.nhistory; h++)
				if (p.history[h].at > start - (ds_time)o->min_spacing_days * 86400)
					spaced = false;
			if (!spaced)
				continue;
			if (o->rules) {
				struct ds_verdict v;
				if ((err = ds_rules_check(o->rules, &p, &v, diag)))
					break;
				if (!v.allow) {
					dc->refused[t] = 1;
					out->refused[t]++;
					if (v.nhits > 0)
						ds_strlcpy(dc->first_rule[t], v.hits[0].rule_id,
						           sizeof dc->first_rule[t]);
					continue;
				}
			}
			long res;
			switch ((ds_treatment)t) {
			case DS_T_VISIT:
				res = comm_of[k] = community_index(&b, p.community_id);
				if (teams) {
					/* a worker team of its community, or a pair of
					 * its branch's collectors */
					if (res < 0 || branch_of[res] < 0) {
						res = -1;
						break;
					}
					if (add_option(&b, (uint32_t)k, (uint32_t)(R_FIXED + res),
					               1, DS_T_VISIT, uplift * 100 - cost))
						err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL,
						                  "out of memory");
					res = R_FIXED + b.ncomm + branch_of[res];
				} else if (branch_of)
					res = res >= 0 && branch_of[res] >= 0
					              ? R_FIXED + b.ncomm + branch_of[res]
					              : -1;
				else
					res = o->cap.visits_total > 0 ? R_VISITS
					      : res < 0               ? -1
					                              : R_FIXED + res;
				break;
			case DS_T_SMS:
				res = R_SMS;
				break;
			case DS_T_LETTER:
				res = R_LETTER;
				break;
			case DS_T_LEGAL:
				res = R_LEGAL;
				break;
			default:
				res = R_CALL;
				break;
			}
			double use = t == DS_T_VISIT && teams ? 1
			             : o->use[t] > 0          ? o->use[t]
			                             : ds_treatment_use(&o->costs, (ds_treatment)t);
			if (t == explore && res >= 0) {
				/* given before the optimiser, while the capacity lasts */
				forced[k] = (struct forced){ res, (float)use, (uint8_t)t };
				continue;
			}
			if (res >= 0 && add_option(&b, (uint32_t)k, (uint32_t)res, use,
			                           (ds_treatment)t, uplift * 100 - cost))
				err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		}
	}
	if (err)
		goto done;
	int nres = R_FIXED + (int)b.ncomm + (int)nbranch;
	capacity = ds_malloc((size_t)nres * sizeof *capacity + 1);
	if (!capacity) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	capacity[R_CALL] = o->cap.call_minutes;
	capacity[R_SMS] = o->cap.sms;
	capacity[R_LETTER] = o->cap.letters;
	capacity[R_LEGAL] = o->cap.legal;
	capacity[R_VISITS] = o->cap.visits_total;
	for (long c = 0; c < b.ncomm; c++)
		capacity[R_FIXED + c] = o->cap.visit_minutes;
	double all = 0;
	for (long k = 0; k < nbranch; k++)
		all += collectors[k];
	for (long k = 0; k < nbranch; k++)
		capacity[R_FIXED + b.ncomm + k] =
		        all > 0 ? floor(o->cap.visits_total * collectors[k] / all) : 0;
	/* the exploration draws first, in account order, while their
	 * resource has room: the optimiser plans the rest around them */
	long kept = 0;
	for (long j = 0, k = 0; k < n; k++) {
		bool fixed = false;
		if (forced[k].res >= 0 && capacity[forced[k].res] >= forced[k].use) {
			capacity[forced[k].res] -= forced[k].use;
			fixed = true;
		} else
			forced[k].res = -1;
		for (; j < b.nopt && b.opt[j].account == (uint32_t)k; j++)
			if (!fixed)
				b.opt[kept++] = b.opt[j];
	}
	b.nopt = kept;
	struct ds_opt_problem prob = { n, b.opt, b.nopt, capacity, nres };
	struct ds_opt_result res;
	if (!teams) {
		if ((err = ds_optimise(&prob, choice, NULL, &res, diag)))
			goto done;
	} else {
		/* the visits within the teams the routes will form: planned
		 * with every worker out, then with the teams the plan's visits
		 * call for, again until the teams stay the same (four plans at
		 * most) */
		struct ds_route_day_opts ro;
		ds_route_day_opts_default(&ro, o->date);
		double per_team = o->costs.visit_minutes > 0
		                          ? floor(o->cap.visit_minutes / o->costs.visit_minutes)
		                          : 0;
		double *last = ds_malloc((size_t)nres * sizeof *last + 1);
		if (!last) {
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			goto done;
		}
		err = day_staff_load(st, o->date, ro.experienced_days, ro.certificate, &staff,
		                     diag);
		for (int round = 0; round < 4 && !err; round++) {
			memcpy(last, capacity, (size_t)nres * sizeof *last);
			err = team_capacity(&staff, &b, branch_of, branches, nbranch, comm_of,
			                    round ? choice : NULL, n, ro.max_visits_per_team,
			                    per_team, capacity, &out->teams, &out->pairs, diag);
			if (err ||
			    (round > 1 && memcmp(last, capacity, (size_t)nres * sizeof *last) == 0))
				break;
			err = ds_optimise(&prob, choice, NULL, &res, diag);
		}
		ds_free(last);
		if (err)
			goto done;
	}
	out->value_fen = res.value;
	out->bound_fen = res.bound;
	out->gap = res.gap;
	for (long k = 0; k < n; k++) {
		struct ds_decision *dc = &out->decisions[k];
		if (forced[k].res >= 0) {
			dc->treatment = forced[k].treatment;
			dc->explored = true;
			dc->cost_fen = (double)ds_treatment_cost(&o->costs,
			                                         (ds_treatment)dc->treatment, -1);
			double e = est[k * DS_T_COUNT + dc->treatment];
			dc->expected_fen = isnan(e) ? 0 : e * 100;
			out->cost_fen += dc->cost_fen;
			out->chosen[dc->treatment]++;
			out->explored[dc->treatment]++;
			continue;
		}
		if (choice[k] < 0) {
			out->chosen[DS_T_NONE]++;
			continue;
		}
		const struct ds_opt_option *op = &b.opt[choice[k]];
		dc->treatment = op->treatment;
		dc->cost_fen =
		        (double)ds_treatment_cost(&o->costs, (ds_treatment)op->treatment, -1);
		dc->expected_fen = est[k * DS_T_COUNT + op->treatment] * 100;
		out->cost_fen += dc->cost_fen;
		out->chosen[op->treatment]++;
	}
	if (write)
		err = write_decisions(st, o, out, est, harm, diag);
done:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ds_dataset_free(d);
	ds_rules_context_free(cx);
	ds_free(est);
	ds_free(harm);
	ds_free(capacity);
	ds_free(choice);
	ds_free(forced);
	ds_free(b.opt);
	ds_free(b.comm);
	ds_free(branch_of);
	ds_free(branches);
	ds_free(collectors);
	free_ids(lawyers, nlawyers);
	ds_free(comm_of);
	day_staff_free(&staff);
	if (err) {
		ds_free(out->decisions);
		out->decisions = NULL;
	}
	return err;
}

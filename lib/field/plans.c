/*
 * Installment plans (field.h "installment plans", docs/installments.md):
 * the schedule of a plan, whether the borrower can carry it, who may
 * offer and approve it (limits by role, maker-checker), and its adherence
 * judged from the account's payments.
 *
 * Every write happens in one transaction with its audit entries, or not
 * at all: on any error the transaction is rolled back.
 */
#include "doorstep/field.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ schedule */

ds_err ds_plan_calculate(const struct ds_plan_terms *t, struct ds_plan_schedule *out,
                         struct ds_diag *diag)
{
	if (!t || !out)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "no plan terms given");
	memset(out, 0, sizeof *out);
	if (t->installments < 1 || t->installments > DS_PLAN_MAX_INSTALLMENTS)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "installments",
		                   "must be from 1 to %d, not %d", DS_PLAN_MAX_INSTALLMENTS,
		                   t->installments);
	if (t->balance_fen <= 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "balance",
		                   "must be more than zero (a plan repays a balance)");
	char bal[32], wv[32];
	ds_money_format(t->balance_fen, bal, sizeof bal);
	ds_money_format(t->waiver_fen, wv, sizeof wv);
	if (t->waiver_fen < 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "waiver", "must not be negative (%s)",
		                   wv);
	if (t->waiver_fen >= t->balance_fen)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "waiver",
		                   "%s yuan must be less than the balance %s yuan", wv, bal);
	bool has_kind = t->waiver_kind && t->waiver_kind[0];
	if (t->waiver_fen > 0 && !has_kind)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "waiver_kind",
		                   "a waiver needs its kind: fees or interest");
	if (has_kind && strcmp(t->waiver_kind, "fees") != 0 &&
	    strcmp(t->waiver_kind, "interest") != 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "waiver_kind",
		                   "must be fees or interest, not \"%.40s\"", t->waiver_kind);
	if (has_kind && t->waiver_fen == 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "waiver_kind",
		                   "given without a waiver amount");
	ds_date lo = ds_date_from_ymd(1900, 1, 1), hi = ds_date_from_ymd(2199, 12, 31);
	if (t->first_due < lo || t->first_due > hi ||
	    ds_date_add_months(t->first_due, t->installments - 1) > hi)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "first_due",
		                   "out of range (the plan must end by 2199-12-31)");
	ds_fen total = t->balance_fen - t->waiver_fen;
	if (total < t->installments) {
		char tot[32];
		ds_money_format(total, tot, sizeof tot);
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "installments",
		                   "%d installments of %s yuan would leave some at zero",
		                   t->installments, tot);
	}
	int n = t->installments;
	ds_fen base = total / n, rem = total % n;
	out->n = n;
	out->total = total;
	for (int i = 0; i < n; i++) {
		out->amount[i] = base + (i < rem ? 1 : 0);
		/* from the first date each time, so Jan 31 gives Feb 28, Mar 31 */
		out->due[i] = ds_date_add_months(t->first_due, i);
	}
	return DS_OK;
}

/* -------------------------------------------------------- affordability */

void ds_plan_affordability(const struct ds_field_config *c, const struct ds_plan_schedule *s,
                           ds_fen monthly_income, double ability, struct ds_plan_affordability *out)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < s->n; i++)
		if (s->amount[i] > out->largest)
			out->largest = s->amount[i];
	out->ability = (isnan(ability) || ability < 0 || ability > 1) ? -1 : ability;
	char largest[32];
	ds_money_format(out->largest, largest, sizeof largest);
	if (monthly_income >= 0) {
		int pct = c->affordability_pct < 0 ? 0 : c->affordability_pct;
		/* income below 10^15 fen: no overflow times a percentage */
		ds_fen inc = monthly_income > INT64_MAX / 1000 ? INT64_MAX / 1000 : monthly_income;
		out->limit = inc * pct / 100;
		out->affordable = out->largest <= out->limit;
		char limit[32], income[32];
		ds_money_format(out->limit, limit, sizeof limit);
		ds_money_format(monthly_income, income, sizeof income);
		snprintf(out->why, sizeof out->why, "installment %s %s %d%% of income %s (%s)",
		         largest, out->affordable ? "within" : "above", pct, income, limit);
	} else if (out->ability >= 0) {
		out->limit = 0;
		out->affordable = out->ability >= 0.5;
		snprintf(out->why, sizeof out->why,
		         "no declared income; ability score %.2f %s 0.50", out->ability,
		         out->affordable ? ">=" : "<");
	} else {
		out->affordable = false;
		snprintf(out->why, sizeof out->why, "no declared income and no ability score");
	}
}

/* ------------------------------------------------------------- helpers */

enum role { ROLE_OTHER, ROLE_COLLECTOR, ROLE_COMMUNITY_WORKER, ROLE_MANAGER };

/* The store's actor's role: a login's (users, as the server acts for
 * one), else a staff member's; DS_EINVAL when neither, or disabled or no
 * longer active. role_name (32 bytes) gets the role as stored. */
static ds_err actor_role(ds_store *st, enum role *role, char role_name[static 32],
                         struct ds_diag *diag)
{
	const char *actor = ds_store_actor(st);
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(st,
	                         "SELECT role, active FROM ("
	                         " SELECT role, 1 - disabled AS active, 0 AS pri FROM users"
	                         " WHERE user_id = ?1 UNION ALL"
	                         " SELECT role, active, 1 FROM staff WHERE staff_id = ?1) AS who"
	                         " ORDER BY pri LIMIT 1",
	                         &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, actor);
	bool row = false;
	bool active = false;
	role_name[0] = '\0';
	if (!(err = ds_stmt_step(s, &row, diag)) && row) {
		ds_strlcpy(role_name, ds_stmt_text(s, 0), 32);
		active = ds_stmt_int(s, 1) != 0;
	}
	ds_stmt_done(s);
	if (err)
		return err;
	if (!row)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "actor",
		                   "\"%.64s\" is not on the staff (set the actor to a staff id)",
		                   actor);
	if (!active)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "actor",
		                   "\"%.64s\" is no longer active on the staff", actor);
	if (strcmp(role_name, "collector") == 0)
		*role = ROLE_COLLECTOR;
	else if (strcmp(role_name, "community_worker") == 0)
		*role = ROLE_COMMUNITY_WORKER;
	else if (strcmp(role_name, "manager") == 0 || strcmp(role_name, "admin") == 0)
		*role = ROLE_MANAGER;
	else
		*role = ROLE_OTHER;
	return DS_OK;
}

/* Appends an audit entry whose detail is the JSON value v (stolen). */
static ds_err audit_json(ds_store *st, const char *action, long plan_id, json_t *v,
                         struct ds_diag *diag)
{
	if (!v)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "cannot build the audit detail");
	char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (!text)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "cannot build the audit detail");
	char id[32];
	snprintf(id, sizeof id, "%ld", plan_id);
	ds_err err = ds_store_audit(st, action, "plans", id, text, diag);
	free(text);
	return err;
}

/* Steps a write statement once and hands it back. */
static ds_err run(ds_stmt *s, struct ds_diag *diag)
{
	bool row;
	ds_err err = ds_stmt_step(s, &row, diag);
	ds_stmt_done(s);
	return err;
}

/* The UTC date of an instant. */
static ds_date utc_day(ds_time t)
{
	ds_time d = t / 86400;
	if (t % 86400 < 0)
		d--;
	return (ds_date)d;
}

/* ---------------------------------------------------------------- offer */

/* What the account offers the plan: its status, the borrower's declared
 * income (-1: none), the latest ability score (-1: none), and a plan
 * already open on it (0: none). */
struct account_facts {
	char status[32];
	ds_fen income;
	double ability;
	long open_plan;
	char open_status[32];
};

static ds_err account_facts(ds_store *st, const char *account_id, struct account_facts *f,
                            struct ds_diag *diag)
{
	memset(f, 0, sizeof *f);
	f->income = -1;
	f->ability = -1;
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT a.status, b.monthly_income_fen FROM accounts a"
	                              " LEFT JOIN borrowers b ON b.borrower_id = a.borrower_id"
	                              " WHERE a.account_id = ?",
	                              &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, account_id);
	bool row = false;
	if (!(err = ds_stmt_step(s, &row, diag)) && row) {
		ds_strlcpy(f->status, ds_stmt_text(s, 0), sizeof f->status);
		if (!ds_stmt_is_null(s, 1))
			f->income = ds_stmt_int(s, 1);
	}
	ds_stmt_done(s);
	if (err)
		return err;
	if (!row)
		return ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "account", "no account \"%.64s\"",
		                   account_id);
	if ((err = ds_store_prepare(st,
	                            "SELECT ability FROM scores WHERE account_id = ?"
	                            " AND ability IS NOT NULL ORDER BY score_date DESC LIMIT 1",
	                            &s, diag)))
		return err;
	ds_stmt_bind_text(s, 1, account_id);
	if (!(err = ds_stmt_step(s, &row, diag)) && row)
		f->ability = ds_stmt_real(s, 0);
	ds_stmt_done(s);
	if (err)
		return err;
	if ((err = ds_store_prepare(st,
	                            "SELECT plan_id, status FROM plans WHERE account_id = ?"
	                            " AND (status = 'active' OR status = 'pending_approval')"
	                            " ORDER BY plan_id LIMIT 1",
	                            &s, diag)))
		return err;
	ds_stmt_bind_text(s, 1, account_id);
	if (!(err = ds_stmt_step(s, &row, diag)) && row) {
		f->open_plan = (long)ds_stmt_int(s, 0);
		ds_strlcpy(f->open_status, ds_stmt_text(s, 1), sizeof f->open_status);
	}
	ds_stmt_done(s);
	return err;
}

static ds_err check_visit(ds_store *st, long visit_id, const char *account_id, struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(st, "SELECT account_id FROM visits WHERE visit_id = ?", &s, diag);
	if (err)
		return err;
	ds_stmt_bind_int(s, 1, visit_id);
	bool row = false, same = false;
	if (!(err = ds_stmt_step(s, &row, diag)) && row)
		same = strcmp(ds_stmt_text(s, 0), account_id) == 0;
	ds_stmt_done(s);
	if (err)
		return err;
	if (!row)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "visit", "no visit %ld", visit_id);
	if (!same)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "visit",
		                   "visit %ld is not on account \"%.64s\"", visit_id, account_id);
	return DS_OK;
}

static ds_err offer_in_tx(ds_store *st, const struct ds_field_config *c, const char *account_id,
                          long visit_id, const struct ds_plan_terms *t,
                          const struct ds_plan_schedule *sched, bool override_affordability,
                          ds_time now, long *plan_id, struct ds_diag *diag)
{
	enum role role;
	char role_name[32];
	ds_err err = actor_role(st, &role, role_name, diag);
	if (err)
		return err;
	const char *actor = ds_store_actor(st);
	if (role == ROLE_COMMUNITY_WORKER)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "actor",
		                   "\"%.64s\" is a community worker: community workers do not offer"
		                   " plans (a collector or a manager does)",
		                   actor);
	if (role == ROLE_OTHER)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "actor",
		                   "\"%.64s\" is %s %s: only collectors and managers offer plans",
		                   actor, role_name[0] == 'a' ? "an" : "a", role_name);
	struct account_facts f;
	if ((err = account_facts(st, account_id, &f, diag)))
		return err;
	if (strcmp(f.status, "closed") == 0 || strcmp(f.status, "settled") == 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "account",
		                   "account \"%.64s\" is %s: nothing to repay in a plan",
		                   account_id, f.status);
	if (f.open_plan)
		return ds_diag_set(
		        diag, DS_EINVAL, NULL, 0, "account",
		        "account \"%.64s\" already has plan %ld (%s): one plan at a time",
		        account_id, f.open_plan, f.open_status);
	if (visit_id > 0 && (err = check_visit(st, visit_id, account_id, diag)))
		return err;

	struct ds_plan_affordability a;
	ds_plan_affordability(c, sched, f.income, f.ability, &a);
	if (!a.affordable && !override_affordability)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "affordability",
		                   "not affordable: %s (an override offers it anyway, recorded)",
		                   a.why);

	/* who decides: maker-checker for a waiver, limits for a collector */
	bool waiver = t->waiver_fen > 0;
	bool within = sched->total <= c->collector_plan_limit_fen &&
	              sched->n <= c->collector_max_installments;
	bool active = !waiver && (role == ROLE_MANAGER || (role == ROLE_COLLECTOR && within));
	const char *status = active ? "active" : "pending_approval";
	const char *why_status = active   ? "within the maker's authority"
	                         : waiver ? "a waiver needs a manager's approval"
	                                  : "above the collector's limits";

	json_t *aff = json_pack("{s:b, s:s, s:I, s:I, s:o, s:o, s:i, s:s, s:b}", "affordable",
	                        a.affordable, "basis",
	                        f.income >= 0    ? "income"
	                        : a.ability >= 0 ? "score"
	                                         : "none",
	                        "largest_fen", (json_int_t)a.largest, "limit_fen",
	                        (json_int_t)a.limit, "monthly_income_fen",
	                        f.income >= 0 ? json_integer(f.income) : json_null(), "ability",
	                        a.ability >= 0 ? json_real(a.ability) : json_null(),
	                        "affordability_pct", c->affordability_pct, "why", a.why, "override",
	                        override_affordability && !a.affordable);
	char *aff_text = aff ? json_dumps(aff, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(aff);
	if (!aff_text)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL,
		                   "cannot build the affordability");

	char first[11];
	ds_date_format(sched->due[0], first);
	const char *kind = t->waiver_kind && t->waiver_kind[0] ? t->waiver_kind : NULL;
	ds_stmt *s;
	if ((err = ds_store_prepare(
	             st,
	             "INSERT INTO plans(account_id, status, total_fen, waiver_fen, created_by,"
	             " approved_by, created_at, balance_fen, installments, first_due, waiver_kind,"
	             " visit_id, affordability, approved_at, status_at)"
	             " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	             &s, diag))) {
		free(aff_text);
		return err;
	}
	ds_stmt_bind_text(s, 1, account_id);
	ds_stmt_bind_text(s, 2, status);
	ds_stmt_bind_int(s, 3, sched->total);
	ds_stmt_bind_int(s, 4, t->waiver_fen);
	ds_stmt_bind_text(s, 5, actor);
	ds_stmt_bind_text(s, 6, active ? actor : NULL);
	ds_stmt_bind_int(s, 7, now);
	ds_stmt_bind_int(s, 8, t->balance_fen);
	ds_stmt_bind_int(s, 9, sched->n);
	ds_stmt_bind_text(s, 10, first);
	ds_stmt_bind_text(s, 11, kind);
	if (visit_id > 0)
		ds_stmt_bind_int(s, 12, visit_id);
	else
		ds_stmt_bind_null(s, 12);
	ds_stmt_bind_text(s, 13, aff_text);
	if (active)
		ds_stmt_bind_int(s, 14, now);
	else
		ds_stmt_bind_null(s, 14);
	ds_stmt_bind_int(s, 15, now);
	free(aff_text);
	if ((err = run(s, diag)))
		return err;
	long id = (long)ds_store_last_id(st);

	for (int i = 0; i < sched->n && !err; i++) {
		if ((err = ds_store_prepare(
		             st,
		             "INSERT INTO plan_installments(plan_id, seq, due_date,"
		             " amount_fen, paid_fen, status) VALUES (?,?,?,?,0,'due')",
		             &s, diag)))
			break;
		char due[11];
		ds_date_format(sched->due[i], due);
		ds_stmt_bind_int(s, 1, id);
		ds_stmt_bind_int(s, 2, i + 1);
		ds_stmt_bind_text(s, 3, due);
		ds_stmt_bind_int(s, 4, sched->amount[i]);
		err = run(s, diag);
	}
	if (err)
		return err;

	json_t *detail =
	        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s?, s:I, s:i, s:s, s:o, s:b, s:s, s:b}",
	                  "account_id", account_id, "status", status, "why", why_status,
	                  "maker_role", role_name, "balance_fen", (json_int_t)t->balance_fen,
	                  "waiver_fen", (json_int_t)t->waiver_fen, "waiver_kind", kind, "total_fen",
	                  (json_int_t)sched->total, "installments", sched->n, "first_due", first,
	                  "visit_id", visit_id > 0 ? json_integer(visit_id) : json_null(),
	                  "affordable", a.affordable, "affordability", a.why,
	                  "override_affordability", override_affordability && !a.affordable);
	if ((err = audit_json(st, "plan_offer", id, detail, diag)))
		return err;
	*plan_id = id;
	return DS_OK;
}

ds_err ds_plan_offer(ds_store *st, const struct ds_field_config *c, const char *account_id,
                     long visit_id, const struct ds_plan_terms *t, bool override_affordability,
                     ds_time now, long *plan_id, struct ds_diag *diag)
{
	if (plan_id)
		*plan_id = 0;
	if (!st || !c || !t || !plan_id)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "missing argument");
	if (!account_id || !account_id[0])
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "account", "no account given");
	struct ds_plan_schedule sched;
	ds_err err = ds_plan_calculate(t, &sched, diag);
	if (err)
		return err;
	if (sched.due[0] < utc_day(now)) {
		char today[11];
		ds_date_format(utc_day(now), today);
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "first_due",
		                   "before the day of the offer (%s)", today);
	}
	if ((err = ds_store_begin(st, diag)))
		return err;
	long id = 0;
	err = offer_in_tx(st, c, account_id, visit_id, t, &sched, override_affordability, now, &id,
	                  diag);
	if (!err)
		err = ds_store_commit(st, diag);
	if (err) {
		ds_store_rollback(st);
		return err;
	}
	*plan_id = id;
	return DS_OK;
}

/* --------------------------------------------------------------- decide */

static ds_err decide_in_tx(ds_store *st, long plan_id, bool approve, const char *note, ds_time now,
                           struct ds_diag *diag)
{
	enum role role;
	char role_name[32];
	ds_err err = actor_role(st, &role, role_name, diag);
	if (err)
		return err;
	const char *actor = ds_store_actor(st);
	if (role != ROLE_MANAGER)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "actor",
		                   "\"%.64s\" is %s %s: only a manager approves or rejects plans",
		                   actor, role_name[0] == 'a' ? "an" : "a", role_name);
	ds_stmt *s;
	if ((err = ds_store_prepare(st,
	                            "SELECT status, created_by, account_id FROM plans"
	                            " WHERE plan_id = ?",
	                            &s, diag)))
		return err;
	ds_stmt_bind_int(s, 1, plan_id);
	bool row = false;
	char status[32] = "", maker[128] = "", account[128] = "";
	if (!(err = ds_stmt_step(s, &row, diag)) && row) {
		ds_strlcpy(status, ds_stmt_text(s, 0), sizeof status);
		ds_strlcpy(maker, ds_stmt_text(s, 1), sizeof maker);
		ds_strlcpy(account, ds_stmt_text(s, 2), sizeof account);
	}
	ds_stmt_done(s);
	if (err)
		return err;
	if (!row)
		return ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "plan", "no plan %ld", plan_id);
	if (strcmp(status, "pending_approval") != 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "plan",
		                   "plan %ld is %s, not pending approval", plan_id, status);
	if (strcmp(maker, actor) == 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "actor",
		                   "\"%.64s\" offered plan %ld and cannot decide it too"
		                   " (maker-checker: another manager decides)",
		                   actor, plan_id);
	if (approve)
		err = ds_store_prepare(st,
		                       "UPDATE plans SET status = 'active', approved_by = ?,"
		                       " approved_at = ?, status_at = ? WHERE plan_id = ?"
		                       " AND status = 'pending_approval'",
		                       &s, diag);
	else
		err = ds_store_prepare(st,
		                       "UPDATE plans SET status = 'rejected', status_at = ?"
		                       " WHERE plan_id = ? AND status = 'pending_approval'",
		                       &s, diag);
	if (err)
		return err;
	if (approve) {
		ds_stmt_bind_text(s, 1, actor);
		ds_stmt_bind_int(s, 2, now);
		ds_stmt_bind_int(s, 3, now);
		ds_stmt_bind_int(s, 4, plan_id);
	} else {
		ds_stmt_bind_int(s, 1, now);
		ds_stmt_bind_int(s, 2, plan_id);
	}
	if ((err = run(s, diag)))
		return err;
	json_t *detail = json_pack("{s:s, s:s, s:s, s:s?}", "account_id", account, "decision",
	                           approve ? "approved" : "rejected", "maker", maker, "note",
	                           note && note[0] ? note : NULL);
	return audit_json(st, approve ? "plan_approve" : "plan_reject", plan_id, detail, diag);
}

ds_err ds_plan_decide(ds_store *st, long plan_id, bool approve, const char *note, ds_time now,
                      struct ds_diag *diag)
{
	if (!st)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "missing argument");
	if (plan_id <= 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "plan", "not a plan id: %ld", plan_id);
	if (note && !ds_utf8_valid(note, strlen(note)))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "note", "not valid UTF-8");
	ds_err err = ds_store_begin(st, diag);
	if (err)
		return err;
	err = decide_in_tx(st, plan_id, approve, note, now, diag);
	if (!err)
		err = ds_store_commit(st, diag);
	if (err)
		ds_store_rollback(st);
	return err;
}

/* ---------------------------------------------------------------- track */

struct tracked {
	long plan_id;
	char account[128];
	ds_time approved_at;
};

struct inst {
	int seq;
	ds_date due;
	ds_fen amount, paid_was, paid;
	char status_was[16];
	const char *status;
	ds_date done_on; /* the value date that completed it; -1: not yet */
};

static ds_err active_plans(ds_store *st, struct tracked **out, long *n, struct ds_diag *diag)
{
	*out = NULL;
	*n = 0;
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(st,
	                         "SELECT plan_id, account_id, coalesce(approved_at, created_at)"
	                         " FROM plans WHERE status = 'active' ORDER BY plan_id",
	                         &s, diag);
	if (err)
		return err;
	long cap = 0;
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if (*n == cap) {
			long ncap = cap ? cap * 2 : 64;
			struct tracked *p = ds_realloc(*out, (size_t)ncap * sizeof *p);
			if (!p) {
				err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
				break;
			}
			*out = p;
			cap = ncap;
		}
		struct tracked *p = &(*out)[(*n)++];
		p->plan_id = (long)ds_stmt_int(s, 0);
		ds_strlcpy(p->account, ds_stmt_text(s, 1), sizeof p->account);
		p->approved_at = ds_stmt_int(s, 2);
	}
	ds_stmt_done(s);
	if (err) {
		ds_free(*out);
		*out = NULL;
		*n = 0;
	}
	return err;
}

static ds_err load_installments(ds_store *st, long plan_id, struct inst *in, int *n,
                                struct ds_diag *diag)
{
	*n = 0;
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT seq, due_date, amount_fen, paid_fen, status"
	                              " FROM plan_installments WHERE plan_id = ? ORDER BY seq",
	                              &s, diag);
	if (err)
		return err;
	ds_stmt_bind_int(s, 1, plan_id);
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if (*n >= DS_PLAN_MAX_INSTALLMENTS) {
			err = ds_diag_set(diag, DS_EINVAL, NULL, 0, "plan",
			                  "plan %ld has more than %d installments", plan_id,
			                  DS_PLAN_MAX_INSTALLMENTS);
			break;
		}
		struct inst *p = &in[(*n)++];
		memset(p, 0, sizeof *p);
		p->seq = (int)ds_stmt_int(s, 0);
		if (ds_date_parse(ds_stmt_text(s, 1), &p->due)) {
			err = ds_diag_set(diag, DS_EINVAL, NULL, 0, "plan",
			                  "plan %ld installment %d: bad due date \"%.20s\"",
			                  plan_id, p->seq, ds_stmt_text(s, 1));
			break;
		}
		p->amount = ds_stmt_int(s, 2);
		p->paid_was = ds_stmt_int(s, 3);
		ds_strlcpy(p->status_was, ds_stmt_text(s, 4), sizeof p->status_was);
		p->done_on = -1;
	}
	ds_stmt_done(s);
	return err;
}

/* Fills the installments in order from the account's payments valued from
 * `from` to as_of; an over-payment flows on to the next ones. */
static ds_err allocate(ds_store *st, const char *account, ds_date from, ds_date as_of,
                       struct inst *in, int n, struct ds_diag *diag)
{
	char lo[11], hi[11];
	ds_date_format(from, lo);
	ds_date_format(as_of, hi);
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(st,
	                         "SELECT value_date, amount_fen FROM payments"
	                         " WHERE account_id = ? AND value_date >= ? AND value_date <= ?"
	                         " ORDER BY value_date, payment_id",
	                         &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, account);
	ds_stmt_bind_text(s, 2, lo);
	ds_stmt_bind_text(s, 3, hi);
	int i = 0;
	bool row;
	while (i < n && !(err = ds_stmt_step(s, &row, diag)) && row) {
		ds_date day;
		if (ds_date_parse(ds_stmt_text(s, 0), &day))
			continue; /* the intake checks value dates; never here */
		ds_fen left = ds_stmt_int(s, 1);
		while (left > 0 && i < n) {
			ds_fen need = in[i].amount - in[i].paid;
			ds_fen take = left < need ? left : need;
			in[i].paid += take;
			left -= take;
			if (in[i].paid >= in[i].amount) {
				in[i].done_on = day;
				i++;
			}
		}
	}
	ds_stmt_done(s);
	return err;
}

/* The outcome of one plan after its installments are judged. */
enum plan_outcome { ON_TRACK, COMPLETED, BROKEN };

static ds_err track_plan(ds_store *st, const struct ds_field_config *c, const struct tracked *p,
                         ds_date as_of, ds_time now, enum plan_outcome *outcome, long *missed,
                         struct ds_diag *diag)
{
	struct inst in[DS_PLAN_MAX_INSTALLMENTS];
	int n;
	ds_err err = load_installments(st, p->plan_id, in, &n, diag);
	if (err)
		return err;
	for (int i = 0; i < n; i++) {
		in[i].paid = 0;
		/* an installment of zero (never written by an offer) is paid */
		if (in[i].amount <= 0)
			in[i].done_on = in[i].due;
	}
	if ((err = allocate(st, p->account, utc_day(p->approved_at), as_of, in, n, diag)))
		return err;
	int grace = c->plan_grace_days < 0 ? 0 : c->plan_grace_days;
	int to_break = c->plan_missed_to_break < 1 ? 1 : c->plan_missed_to_break;
	long nmissed = 0, npaid = 0;
	for (int i = 0; i < n; i++) {
		struct inst *x = &in[i];
		if (x->paid >= x->amount) {
			x->status = x->done_on > x->due + grace ? "late_paid" : "paid";
			npaid++;
		} else if (as_of > x->due + grace) {
			x->status = x->paid > 0 ? "partly_paid" : "missed";
			nmissed++;
		} else {
			x->status = "due";
		}
	}
	*missed = nmissed;
	*outcome = nmissed >= to_break ? BROKEN : n > 0 && npaid == n ? COMPLETED : ON_TRACK;

	/* write what changed, with one audit entry for the plan */
	json_t *changes = json_array();
	if (!changes)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	for (int i = 0; i < n && !err; i++) {
		struct inst *x = &in[i];
		if (x->paid == x->paid_was && strcmp(x->status, x->status_was) == 0)
			continue;
		ds_stmt *s;
		if ((err = ds_store_prepare(st,
		                            "UPDATE plan_installments SET paid_fen = ?, status = ?"
		                            " WHERE plan_id = ? AND seq = ?",
		                            &s, diag)))
			break;
		ds_stmt_bind_int(s, 1, x->paid);
		ds_stmt_bind_text(s, 2, x->status);
		ds_stmt_bind_int(s, 3, p->plan_id);
		ds_stmt_bind_int(s, 4, x->seq);
		if ((err = run(s, diag)))
			break;
		json_array_append_new(changes, json_pack("{s:i, s:I, s:s, s:s}", "seq", x->seq,
		                                         "paid_fen", (json_int_t)x->paid, "from",
		                                         x->status_was, "to", x->status));
	}
	if (err) {
		json_decref(changes);
		return err;
	}
	char as_of_s[11];
	ds_date_format(as_of, as_of_s);
	if (*outcome != ON_TRACK) {
		ds_stmt *s;
		if ((err = ds_store_prepare(st,
		                            "UPDATE plans SET status = ?, status_at = ?"
		                            " WHERE plan_id = ? AND status = 'active'",
		                            &s, diag))) {
			json_decref(changes);
			return err;
		}
		ds_stmt_bind_text(s, 1, *outcome == BROKEN ? "broken" : "completed");
		ds_stmt_bind_int(s, 2, now);
		ds_stmt_bind_int(s, 3, p->plan_id);
		if ((err = run(s, diag))) {
			json_decref(changes);
			return err;
		}
	}
	bool task = false;
	if (*outcome == BROKEN) {
		char source[48];
		snprintf(source, sizeof source, "plan:%ld", p->plan_id);
		if ((err = ds_task_add_for(st, c, p->account, "plan_broken", source, as_of, now,
		                           &task, diag))) {
			json_decref(changes);
			return err;
		}
	}
	if (*outcome == ON_TRACK && json_array_size(changes) == 0) {
		json_decref(changes);
		return DS_OK;
	}
	const char *action = *outcome == BROKEN      ? "plan_broken"
	                     : *outcome == COMPLETED ? "plan_completed"
	                                             : "plan_track";
	json_t *detail =
	        json_pack("{s:s, s:s, s:I, s:o, s:b}", "account_id", p->account, "as_of", as_of_s,
	                  "missed", (json_int_t)nmissed, "installments", changes, "task", task);
	return audit_json(st, action, p->plan_id, detail, diag);
}

ds_err ds_plans_track(ds_store *st, const struct ds_field_config *c, ds_date as_of,
                      struct ds_plan_tally *out, struct ds_diag *diag)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!st || !c || !out)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "missing argument");
	ds_err err = ds_store_begin(st, diag);
	if (err)
		return err;
	struct tracked *plans = NULL;
	long n = 0;
	struct ds_plan_tally t = { 0 };
	ds_time now = (ds_time)time(NULL);
	if (!(err = active_plans(st, &plans, &n, diag))) {
		for (long i = 0; i < n && !err; i++) {
			enum plan_outcome o;
			long missed = 0;
			err = track_plan(st, c, &plans[i], as_of, now, &o, &missed, diag);
			if (err)
				break;
			t.plans++;
			t.installments_missed += missed;
			if (o == BROKEN)
				t.broken++;
			else if (o == COMPLETED)
				t.completed++;
			else
				t.on_track++;
		}
	}
	ds_free(plans);
	if (!err)
		err = ds_store_commit(st, diag);
	if (err) {
		ds_store_rollback(st);
		return err;
	}
	*out = t;
	return DS_OK;
}

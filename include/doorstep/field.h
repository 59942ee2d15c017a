/*
 * Field operations (docs/field.md): what happens between the plan and the
 * money. A visit's life as a state machine with every transition recorded
 * and audited; the advance notice (a letter as PDF and an SMS in the
 * outbox); check-in at the door through the contact rules; the outcome;
 * promises to pay and installment plans judged from the payments; money
 * taken at the door, its receipt and its reconciliation; complaints with
 * their hold; the follow-up each event calls for, written as tasks; the
 * communities' cooperation and literacy events.
 *
 * Every function that writes does so in one transaction with its audit
 * entry (the store's actor is who acts), or not at all.
 */
#ifndef DOORSTEP_FIELD_H
#define DOORSTEP_FIELD_H

#include "doorstep/config.h"
#include "doorstep/core.h"
#include "doorstep/rules.h"
#include "doorstep/store.h"

#include <stdbool.h>
#include <stdint.h>

/* ---------------------------------------------------------------- settings */

struct ds_field_config {
	int notice_days;            /* a visit's notice delivered this many days before */
	double checkin_max_m;       /* check-in no farther than this from the address */
	int promise_grace_days;     /* payments this long after a promise's date count */
	int promise_tolerance_pct;  /* kept when paid to within this percent */
	int receipt_reconcile_days; /* unmatched receipts older than this: alerts */
	int complaint_sla_days;     /* a complaint resolved within this */
	ds_fen collector_plan_limit_fen;
	int collector_max_installments;
	int affordability_pct; /* an installment at most this share of monthly income */
	int plan_grace_days;   /* an installment unpaid this long after its date: missed */
	int plan_missed_to_break;
	char followup[512]; /* event=task:days,... */
	char letter_dir[256];
	char bank_name[128], bank_phone[64], bank_address[256];
};
/* The settings' defaults (cfg NULL) or as configured. */
void ds_field_config_from(const struct ds_config *cfg, struct ds_field_config *c);

/* ------------------------------------------------------------ the letters */

/*
 * The notice of a visit as the CN rules want a collection letter (CN-4:
 * the borrower, the balance, the reason, the legal basis, the borrower's
 * rights, how to dispute, the bank's contact details), in Simplified
 * Chinese, written as a one-page A4 PDF with Noto CJK fonts (cairo +
 * pango).
 */
struct ds_notice_letter {
	const char *bank_name, *bank_phone, *bank_address;
	const char *borrower_name; /* masked as the letter needs: 张* is not enough */
	const char *address;
	const char *account_masked; /* e.g. 6222 **** **** 1234 */
	ds_fen balance_fen, overdue_fen;
	int days_past_due;
	ds_date letter_date, visit_date;
	const char *visit_window; /* "14:00-16:00" */
	const char *team;         /* who comes: "催收员 王* 与 社区工作者 李*" */
	const char *reference;    /* the notice's number */
};
ds_err ds_letter_notice_pdf(const struct ds_notice_letter *l, const char *path,
                            struct ds_diag *diag);

/* A receipt for money taken at the door. */
struct ds_receipt_doc {
	const char *bank_name, *bank_phone;
	const char *receipt_no;
	const char *borrower_name, *account_masked;
	ds_fen amount_fen;
	const char *method; /* "cash" or "card" */
	ds_time taken_at;
	const char *zone; /* the time shown in it */
	const char *taken_by;
};
ds_err ds_letter_receipt_pdf(const struct ds_receipt_doc *r, const char *path,
                             struct ds_diag *diag);

/* The amount in Chinese capital numerals as receipts write it
 * (壹仟贰佰叁拾肆元伍角陆分, 零元整 for 0); DS_ETOOBIG when out does not
 * hold it. */
ds_err ds_money_capitals(ds_fen fen, char *out, size_t outsz);

/* The SHA-256 of a file (a letter, a receipt, a photo), 64 hex digits. */
ds_err ds_file_sha256(const char *path, char hex[static 65], struct ds_diag *diag);

/* ------------------------------------------------------------ the visit */

typedef enum {
	DS_VISIT_PLANNED,
	DS_VISIT_NOTICE_SENT,
	DS_VISIT_SCHEDULED,
	DS_VISIT_CHECKED_IN,
	DS_VISIT_OUTCOME_RECORDED,
	DS_VISIT_CLOSED,
	DS_VISIT_CANCELLED,
	DS_VISIT_STATE_COUNT
} ds_visit_state;

typedef enum {
	DS_VEV_NOTIFY,
	DS_VEV_SCHEDULE,
	DS_VEV_RESCHEDULE,
	DS_VEV_CHECK_IN,
	DS_VEV_RECORD_OUTCOME,
	DS_VEV_CLOSE,
	DS_VEV_CANCEL,
	DS_VEV_COUNT
} ds_visit_event;

const char *ds_visit_state_name(ds_visit_state s);
ds_err ds_visit_state_parse(const char *s, ds_visit_state *out);
const char *ds_visit_event_name(ds_visit_event e);
/* The state machine: the state after e from s; DS_EINVAL when e is not
 * allowed from s. */
ds_err ds_visit_next(ds_visit_state s, ds_visit_event e, ds_visit_state *out);

/* Where an action was taken (the phone's position), when known. */
struct ds_where {
	bool known;
	double lat, lon;
};

/* planned -> notice_sent: the letter (PDF in letter_dir) and the SMS into
 * the outbox; refused when the visit's date is fewer than notice_days
 * away. *notice_id: the notice. */
ds_err ds_visit_notify(ds_store *st, const struct ds_field_config *c, long visit_id, ds_time now,
                       const struct ds_where *w, long *notice_id, struct ds_diag *diag);
/* notice_sent -> scheduled: the team, the date and the window agreed. */
ds_err ds_visit_schedule(ds_store *st, long visit_id, const char *team_id, ds_date date,
                         ds_time window_start, ds_time window_end, ds_time now,
                         const struct ds_where *w, struct ds_diag *diag);
/* notice_sent or scheduled -> scheduled at another date or window, with
 * the reason; a new date too close for the notice sends it back to
 * planned (a new notice is due). */
ds_err ds_visit_reschedule(ds_store *st, const struct ds_field_config *c, long visit_id,
                           ds_date date, ds_time window_start, ds_time window_end,
                           const char *reason, ds_time now, const struct ds_where *w,
                           struct ds_diag *diag);
/* Any state before checked_in -> cancelled, with the reason. */
ds_err ds_visit_cancel(ds_store *st, long visit_id, const char *reason, ds_time now,
                       const struct ds_where *w, struct ds_diag *diag);

struct ds_checkin {
	ds_time at;
	double lat, lon; /* the phone's position */
	bool identity_shown, consent_to_enter, entering_home;
};
struct ds_checkin_result {
	bool allowed;
	double distance_m;                   /* from the borrower's address */
	struct ds_verdict rules;             /* the rules' verdict */
	char reason_zh[512], reason_en[512]; /* why refused, for the team */
};
/*
 * scheduled -> checked_in, when the rules allow the visit now with this
 * team (the notice delivered, the hours, the team, conduct at the door)
 * and the position is within checkin_max_m of the address. A refusal is
 * recorded (an event, not a transition) and returned with its reasons,
 * DS_OK; *out says which.
 */
ds_err ds_visit_check_in(ds_store *st, const ds_rulepack *rules, const struct ds_field_config *c,
                         long visit_id, const struct ds_checkin *in, struct ds_checkin_result *out,
                         struct ds_diag *diag);

/* What was found at the door. */
typedef enum {
	DS_MET_BORROWER,
	DS_MET_FAMILY, /* nothing of the debt disclosed */
	DS_NOT_HOME,
	DS_MOVED,
	DS_REFUSED,
	DS_FOUND_COUNT
} ds_found;
typedef enum {
	DS_SIT_NONE,
	DS_SIT_UNEMPLOYMENT,
	DS_SIT_ILLNESS,
	DS_SIT_BUSINESS_LOSS,
	DS_SIT_FAMILY_EVENT,
	DS_SIT_DISPUTE,
	DS_SIT_FRAUD_VICTIM,
	DS_SIT_UNWILLING,
	DS_SIT_COUNT
} ds_situation;
typedef enum {
	DS_ATT_NONE,
	DS_ATT_COOPERATIVE,
	DS_ATT_NEUTRAL,
	DS_ATT_HOSTILE,
	DS_ATT_COUNT
} ds_attitude;
const char *ds_found_name(ds_found f);
ds_err ds_found_parse(const char *s, ds_found *out);
const char *ds_situation_name(ds_situation s);
ds_err ds_situation_parse(const char *s, ds_situation *out);
const char *ds_attitude_name(ds_attitude a);
ds_err ds_attitude_parse(const char *s, ds_attitude *out);

struct ds_visit_outcome {
	ds_time at;
	ds_found found;
	ds_situation situation;
	ds_attitude attitude;
	const char *incident_kind; /* a safety incident, NULL: none */
	int incident_severity;     /* 1 (minor) .. 5 */
	const char *note;
	const char *evidence_name;   /* a photo, NULL: none */
	const char *evidence_sha256; /* its hash, 64 hex digits */
};
/* checked_in -> outcome_recorded: the outcome, the contact it was (for
 * the rules and the models), an incident with its risk flag on the
 * address (borrowers.flags safety_risk). */
ds_err ds_visit_record_outcome(ds_store *st, long visit_id, const struct ds_visit_outcome *o,
                               const struct ds_where *w, struct ds_diag *diag);
/* outcome_recorded -> closed: the follow-up tasks the outcome calls for
 * (ds_followup) written. *tasks: how many. */
ds_err ds_visit_close(ds_store *st, const struct ds_field_config *c, long visit_id, ds_time now,
                      const struct ds_where *w, int *tasks, struct ds_diag *diag);

/* ------------------------------------------------------------- the outbox */

/* A delivery adapter's report on an outbox message: "sent", "delivered"
 * or "failed" (with the error). A delivered visit notice counts as the
 * notice's delivery (a contact, purpose visit_notice). */
ds_err ds_outbox_mark(ds_store *st, long outbox_id, const char *status, const char *error,
                      ds_time now, struct ds_diag *diag);

/* --------------------------------------------------------------- promises */

/* A promise to pay amount by due. *id: the promise. */
ds_err ds_promise_add(ds_store *st, const char *account_id, long visit_id, ds_fen amount,
                      ds_date due, ds_time now, long *id, struct ds_diag *diag);
/*
 * Judges every open promise whose date plus grace has passed by as_of,
 * from the account's payments from the promise's making to its date plus
 * grace (each payment counted once, for the earliest promise): kept (paid
 * to within the tolerance), partly_kept (something paid), broken
 * (nothing); a broken one writes its follow-up task.
 */
struct ds_promise_tally {
	long judged, kept, partly_kept, broken;
};
ds_err ds_promises_judge(ds_store *st, const struct ds_field_config *c, ds_date as_of,
                         struct ds_promise_tally *out, struct ds_diag *diag);

/* ------------------------------------------------------ installment plans */

#define DS_PLAN_MAX_INSTALLMENTS 60

/* What a plan is made of: the balance to repay, less a waiver (of fees
 * or interest), in n monthly installments from first_due. */
struct ds_plan_terms {
	ds_fen balance_fen;
	ds_fen waiver_fen;
	const char *waiver_kind; /* "fees" or "interest", NULL: none */
	int installments;
	ds_date first_due;
};
struct ds_plan_schedule {
	int n;
	ds_date due[DS_PLAN_MAX_INSTALLMENTS];
	ds_fen amount[DS_PLAN_MAX_INSTALLMENTS];
	ds_fen total; /* balance less waiver */
};
/* Equal installments in whole fen, the remainder spread one fen at a time
 * over the first; each a month after the last (the same day, or the
 * month's last when it has fewer days). */
ds_err ds_plan_calculate(const struct ds_plan_terms *t, struct ds_plan_schedule *out,
                         struct ds_diag *diag);
/* Affordable when the largest installment is at most affordability_pct of
 * the declared monthly income; without a declared income, when the
 * ability score (0..1, the model's) is at least one half. */
struct ds_plan_affordability {
	bool affordable;
	ds_fen largest, limit; /* limit: 0 when judged by the score */
	double ability;        /* -1: no score */
	char why[160];
};
void ds_plan_affordability(const struct ds_field_config *c, const struct ds_plan_schedule *s,
                           ds_fen monthly_income, double ability,
                           struct ds_plan_affordability *out);
/*
 * Offers a plan on an account, by the store's actor (docs/installments.md).
 * A collector within collector_plan_limit_fen and collector_max_installments
 * and without a waiver, or a manager without one, makes it active at once;
 * otherwise it waits for a manager's approval (pending_approval); a
 * community worker, analyst or auditor may not offer one. Refused when not
 * affordable unless `override_affordability` (recorded).
 */
ds_err ds_plan_offer(ds_store *st, const struct ds_field_config *c, const char *account_id,
                     long visit_id, const struct ds_plan_terms *t, bool override_affordability,
                     ds_time now, long *plan_id, struct ds_diag *diag);
/* Approves (active) or rejects a pending plan: a manager, never the one
 * who offered it (maker-checker). */
ds_err ds_plan_decide(ds_store *st, long plan_id, bool approve, const char *note, ds_time now,
                      struct ds_diag *diag);
/* Adherence as of a date: payments on the account from the plan's
 * approval onwards fill its installments in order; an installment unpaid
 * plan_grace_days after its date is missed; plan_missed_to_break missed
 * break the plan (status broken, its follow-up task); all paid: completed. */
struct ds_plan_tally {
	long plans, on_track, completed, broken, installments_missed;
};
ds_err ds_plans_track(ds_store *st, const struct ds_field_config *c, ds_date as_of,
                      struct ds_plan_tally *out, struct ds_diag *diag);

/* ------------------------------------------------------ money at the door */

/* Money taken at the door: a receipt numbered RYYYY-NNNNNN (gapless per
 * year), its PDF in letter_dir. *receipt_no: the number (20 bytes). */
ds_err ds_receipt_issue(ds_store *st, const struct ds_field_config *c, const char *account_id,
                        long visit_id, ds_fen amount, const char *method, ds_time now,
                        char receipt_no[static 20], struct ds_diag *diag);
/*
 * Matches receipts to the bank's payment feed: a payment on the account
 * of the same amount, by cash_at_door or card, valued from the receipt's
 * day to receipt_reconcile_days after, its reference the receipt's number
 * first; each payment matched once. Receipts still unmatched
 * receipt_reconcile_days after they were taken are alerts (a reconcile
 * task each, once).
 */
struct ds_reconcile_tally {
	long matched, open, alerts;
};
ds_err ds_receipts_reconcile(ds_store *st, const struct ds_field_config *c, ds_date as_of,
                             struct ds_reconcile_tally *out, struct ds_diag *diag);

/* ------------------------------------------------------------- complaints */

/* A complaint on an account (and the visit and staff member it is about,
 * when known): a complaint hold stops all contact until it is resolved,
 * due complaint_sla_days later. *id: the complaint. */
ds_err ds_complaint_open(ds_store *st, const struct ds_field_config *c, const char *account_id,
                         long visit_id, const char *staff_id, const char *kind, const char *detail,
                         ds_time now, long *id, struct ds_diag *diag);
/* Resolves it and lifts its hold. */
ds_err ds_complaint_resolve(ds_store *st, long id, const char *resolution, ds_time now,
                            struct ds_diag *diag);

/* --------------------------------------------------------------- follow-up */

/* The task an event calls for under the settings' followup list
 * ("broken_promise=call:2,..."): kind and days; false when none. */
bool ds_followup(const struct ds_field_config *c, const char *event, char *kind, size_t kindsz,
                 int *days);
/* Writes the follow-up task for an event on an account (source: what
 * caused it, e.g. "visit:12"); nothing when the settings name none, or
 * when an open task of that kind and source exists. Inside the caller's
 * transaction. *written: whether one was. */
ds_err ds_task_add_for(ds_store *st, const struct ds_field_config *c, const char *account_id,
                       const char *event, const char *source, ds_date from, ds_time now,
                       bool *written, struct ds_diag *diag);

/* ------------------------------------------------------------- communities */

/* A community's cooperation: the share of its visits a worker of its own
 * took part in, the share where the borrower was met, the promises made
 * and kept there, complaints, and literacy events, over the days before
 * as_of; the score their weighted mean (docs/complaints.md). */
struct ds_community_score {
	char community_id[65];
	long visits, with_worker, met, promises, kept, complaints, events, attendance;
	double score; /* 0..1 */
};
ds_err ds_community_scores(ds_store *st, ds_date as_of, int days, struct ds_community_score **out,
                           long *n, struct ds_diag *diag);
ds_err ds_literacy_event_add(ds_store *st, const char *community_id, ds_date held_on,
                             const char *topic, int attendance, ds_time now, long *id,
                             struct ds_diag *diag);

/* complaints, listing */

/* One complaint as listed (docs/complaints.md); text columns cut to fit. */
struct ds_complaint_info {
	long complaint_id;
	char account_id[65], borrower_id[65], staff_id[65], kind[16], resolved_by[65];
	long visit_id, hold_id;                 /* 0: none */
	ds_time opened_at, due_at, resolved_at; /* resolved_at 0: not resolved */
	bool open;                              /* opened by as_of and not resolved by then */
	bool overdue;                           /* open at as_of and past its due_at */
};
/*
 * The complaints opened by the instant as_of, in complaint_id order, as
 * they stood then: all of them, only those open then (open_only), or only
 * those open and past their due_at then (overdue_only, which implies
 * open_only). *out is allocated with ds_malloc (caller frees with ds_free;
 * NULL when *n is 0).
 */
ds_err ds_complaint_list(ds_store *st, bool open_only, bool overdue_only, ds_time as_of,
                         struct ds_complaint_info **out, long *n, struct ds_diag *diag);

#endif

/*
 * A visit's life (field.h, docs/field.md "The visit"): an explicit state
 * machine, each transition one transaction that checks the state it
 * starts from, changes the visit, appends a visit_events row (what, who,
 * when, from where, why) and an audit entry. A refusal at the door is an
 * event too, with the state unchanged.
 */
#include "field-int.h"

#include "doorstep/route.h"

#include <jansson.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------ the state machine */

static const char *const state_names[DS_VISIT_STATE_COUNT] = {
	"planned",          "notice_sent", "scheduled", "checked_in",
	"outcome_recorded", "closed",      "cancelled",
};
static const char *const event_names[DS_VEV_COUNT] = {
	"notify", "schedule", "reschedule", "check_in", "record_outcome", "close", "cancel",
};

/* next[event][state]: the state after, -1 where the event is refused */
static const signed char next[DS_VEV_COUNT][DS_VISIT_STATE_COUNT] = {
	/*                  planned  notice   sched    in       outcome  closed cancelled */
	[DS_VEV_NOTIFY] = { DS_VISIT_NOTICE_SENT, -1, -1, -1, -1, -1, -1 },
	[DS_VEV_SCHEDULE] = { -1, DS_VISIT_SCHEDULED, -1, -1, -1, -1, -1 },
	[DS_VEV_RESCHEDULE] = { DS_VISIT_PLANNED, DS_VISIT_SCHEDULED, DS_VISIT_SCHEDULED, -1, -1,
	                        -1, -1 },
	[DS_VEV_CHECK_IN] = { -1, -1, DS_VISIT_CHECKED_IN, -1, -1, -1, -1 },
	[DS_VEV_RECORD_OUTCOME] = { -1, -1, -1, DS_VISIT_OUTCOME_RECORDED, -1, -1, -1 },
	[DS_VEV_CLOSE] = { -1, -1, -1, -1, DS_VISIT_CLOSED, -1, -1 },
	[DS_VEV_CANCEL] = { DS_VISIT_CANCELLED, DS_VISIT_CANCELLED, DS_VISIT_CANCELLED, -1, -1, -1,
	                    -1 },
};

const char *ds_visit_state_name(ds_visit_state s)
{
	return (unsigned)s < DS_VISIT_STATE_COUNT ? state_names[s] : "?";
}

const char *ds_visit_event_name(ds_visit_event e)
{
	return (unsigned)e < DS_VEV_COUNT ? event_names[e] : "?";
}

ds_err ds_visit_state_parse(const char *s, ds_visit_state *out)
{
	for (int i = 0; i < DS_VISIT_STATE_COUNT; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (ds_visit_state)i;
			return DS_OK;
		}
	return DS_EINVAL;
}

ds_err ds_visit_next(ds_visit_state s, ds_visit_event e, ds_visit_state *out)
{
	if ((unsigned)s >= DS_VISIT_STATE_COUNT || (unsigned)e >= DS_VEV_COUNT || next[e][s] < 0)
		return DS_EINVAL;
	*out = (ds_visit_state)next[e][s];
	return DS_OK;
}

/* ------------------------------------------------------------ what it is */

struct visit {
	long id;
	char account[65], borrower[65], team[96], date[11], zone[64];
	ds_visit_state state;
	ds_time window_start, window_end, planned_at, checked_in_at;
	bool has_address;
	double lat, lon; /* the borrower's address */
	char outcome[24], situation[24], attitude[24];
};

static ds_err load(ds_store *st, long id, struct visit *v, struct ds_diag *diag)
{
	memset(v, 0, sizeof *v);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT v.account_id, a.borrower_id, coalesce(v.team_id, ''),"
	        " coalesce(v.visit_date, ''), v.state, coalesce(v.window_start_at, 0),"
	        " coalesce(v.window_end_at, 0), coalesce(v.planned_at, 0),"
	        " coalesce(v.checked_in_at, 0), b.lat IS NOT NULL AND b.lon IS NOT NULL,"
	        " coalesce(b.lat, 0), coalesce(b.lon, 0), r.timezone, coalesce(v.outcome, ''),"
	        " coalesce(v.situation, ''), coalesce(v.attitude, '')"
	        " FROM visits v JOIN accounts a ON a.account_id = v.account_id"
	        " JOIN borrowers b ON b.borrower_id = a.borrower_id"
	        " JOIN branches r ON r.branch_id = a.branch_id WHERE v.visit_id = ?",
	        &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_int(s, 1, id);
	if (!(err = ds_stmt_step(s, &row, diag)) && !row)
		err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "visit", "no visit %ld", id);
	if (!err) {
		v->id = id;
		ds_strlcpy(v->account, ds_stmt_text(s, 0), sizeof v->account);
		ds_strlcpy(v->borrower, ds_stmt_text(s, 1), sizeof v->borrower);
		ds_strlcpy(v->team, ds_stmt_text(s, 2), sizeof v->team);
		ds_strlcpy(v->date, ds_stmt_text(s, 3), sizeof v->date);
		if (ds_visit_state_parse(ds_stmt_text(s, 4), &v->state))
			err = ds_diag_set(diag, DS_EINVAL, NULL, 0, "state",
			                  "visit %ld: unknown state \"%s\"", id,
			                  ds_stmt_text(s, 4));
		v->window_start = ds_stmt_int(s, 5);
		v->window_end = ds_stmt_int(s, 6);
		v->planned_at = ds_stmt_int(s, 7);
		v->checked_in_at = ds_stmt_int(s, 8);
		v->has_address = ds_stmt_int(s, 9) != 0;
		v->lat = ds_stmt_real(s, 10);
		v->lon = ds_stmt_real(s, 11);
		ds_strlcpy(v->zone, ds_stmt_text(s, 12), sizeof v->zone);
		ds_strlcpy(v->outcome, ds_stmt_text(s, 13), sizeof v->outcome);
		ds_strlcpy(v->situation, ds_stmt_text(s, 14), sizeof v->situation);
		ds_strlcpy(v->attitude, ds_stmt_text(s, 15), sizeof v->attitude);
	}
	ds_stmt_done(s);
	return err;
}

/* The state an event leads to from the visit's, or a clear refusal. */
static ds_err allowed(const struct visit *v, ds_visit_event e, ds_visit_state *to,
                      struct ds_diag *diag)
{
	if (ds_visit_next(v->state, e, to))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "state",
		                   "visit %ld is %s: it cannot %s (docs/field.md)", v->id,
		                   ds_visit_state_name(v->state), ds_visit_event_name(e));
	return DS_OK;
}

/* JSON string content: quotes, backslashes and control characters escaped. */
static void json_text(char *out, size_t outsz, const char *s)
{
	size_t o = 0;
	for (; s && *s && o + 7 < outsz; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20) {
			o += (size_t)snprintf(out + o, outsz - o, "\\u%04x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
}

/* The event row, the new state and the audit entry: inside the caller's
 * transaction. detail: JSON or NULL. */
static ds_err record(ds_store *st, const struct visit *v, const char *event, ds_visit_state to,
                     ds_time now, const struct ds_where *w, const char *reason, const char *detail,
                     struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "INSERT INTO visit_events(visit_id, at, actor, event,"
	                              " from_state, to_state, lat, lon, reason, detail)"
	                              " VALUES (?,?,?,?,?,?,?,?,?,?)",
	                              &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_int(s, 1, v->id);
	ds_stmt_bind_int(s, 2, now);
	ds_stmt_bind_text(s, 3, ds_store_actor(st));
	ds_stmt_bind_text(s, 4, event);
	ds_stmt_bind_text(s, 5, ds_visit_state_name(v->state));
	ds_stmt_bind_text(s, 6, ds_visit_state_name(to));
	if (w && w->known) {
		ds_stmt_bind_real(s, 7, w->lat);
		ds_stmt_bind_real(s, 8, w->lon);
	} else {
		ds_stmt_bind_null(s, 7);
		ds_stmt_bind_null(s, 8);
	}
	ds_stmt_bind_text(s, 9, reason);
	ds_stmt_bind_text(s, 10, detail);
	err = ds_stmt_step(s, &row, diag);
	ds_stmt_done(s);
	if (!err && to != v->state)
		err = field_exec(st, diag, "UPDATE visits SET state = ? WHERE visit_id = ?", "ti",
		                 ds_visit_state_name(to), (int64_t)v->id);
	if (err)
		return err;
	char id[24];
	snprintf(id, sizeof id, "%ld", v->id);
	json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:b}", "event", event, "from",
	                      ds_visit_state_name(v->state), "to", ds_visit_state_name(to), "at",
	                      (json_int_t)now, "where", w && w->known);
	if (a && reason)
		json_object_set_new(a, "reason", json_string(reason));
	if (a && detail)
		json_object_set_new(a, "detail", json_loads(detail, 0, NULL));
	char *text = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	if (!text)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	err = ds_store_audit(st, "visit_event", "visits", id, text, diag);
	free(text);
	return err;
}

/* Runs body (a transition) in one transaction. */
static ds_err finish(ds_store *st, ds_err err, struct ds_diag *diag)
{
	if (!err)
		err = ds_store_commit(st, diag);
	if (err)
		ds_store_rollback(st);
	return err;
}

/* ------------------------------------------------------------ the notice */

/* When the visit is to start: its planned arrival, else its window's
 * opening, else 08:00 on its day. */
static ds_time visit_start(const struct visit *v)
{
	if (v->planned_at)
		return v->planned_at;
	if (v->window_start)
		return v->window_start;
	int y, m, d;
	ds_date date;
	if (!v->date[0] || ds_date_parse(v->date, &date))
		return 0;
	ds_date_to_ymd(date, &y, &m, &d);
	ds_time t = 0;
	if (ds_tz_from_local(v->zone, y, m, d, 8, 0, 0, &t))
		return 0;
	return t;
}

/* The time the notice gives: two hours from the planned arrival's hour, or
 * the visit's window. */
static void notice_window(const struct visit *v, ds_time *from, ds_time *to)
{
	if (v->planned_at) {
		struct ds_civil_time c;
		*from = v->planned_at;
		if (!ds_tz_to_local(v->zone, v->planned_at, &c))
			*from -= c.minute * 60 + c.second;
		*to = *from + 2 * 3600;
	} else {
		*from = visit_start(v);
		*to = v->window_end > *from ? v->window_end : *from + 2 * 3600;
	}
}

static void clock_text(const char *zone, ds_time t, char *out, size_t outsz)
{
	struct ds_civil_time c;
	if (!t || ds_tz_to_local(zone, t, &c))
		snprintf(out, outsz, "--:--");
	else
		snprintf(out, outsz, "%02d:%02d", c.hour, c.minute);
}

/* Who comes, for the letter: "催收员 王小明、社区工作者 李芳". */
static ds_err team_text(ds_store *st, const char *team, char *out, size_t outsz,
                        struct ds_diag *diag)
{
	out[0] = '\0';
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT s.role, s.name FROM team_members m JOIN staff s"
	                              " ON s.staff_id = m.staff_id WHERE m.team_id = ?"
	                              " ORDER BY s.role, s.staff_id",
	                              &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, team);
	bool row;
	size_t n = 0;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		const char *role = strcmp(ds_stmt_text(s, 0), "collector") == 0 ? "银行催收员"
		                   : strcmp(ds_stmt_text(s, 0), "community_worker") == 0
		                           ? "社区工作者"
		                           : "银行工作人员";
		int k = snprintf(out + n, outsz - n, "%s%s %s", n ? "、" : "", role,
		                 ds_stmt_text(s, 1));
		if (k < 0 || (size_t)k >= outsz - n)
			break;
		n += (size_t)k;
	}
	ds_stmt_done(s);
	return err;
}

struct letter_facts {
	char name[128], address[512], masked[32];
	ds_fen balance, overdue;
	int dpd;
};

static ds_err letter_facts(ds_store *st, const struct visit *v, ds_date today,
                           struct letter_facts *f, struct ds_diag *diag)
{
	memset(f, 0, sizeof *f);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT b.name, coalesce(b.address, ''), a.balance_fen, a.overdue_fen,"
	        " coalesce(a.overdue_since_date, '') FROM accounts a JOIN borrowers b"
	        " ON b.borrower_id = a.borrower_id WHERE a.account_id = ?",
	        &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_text(s, 1, v->account);
	if (!(err = ds_stmt_step(s, &row, diag)) && row) {
		ds_strlcpy(f->name, ds_stmt_text(s, 0), sizeof f->name);
		ds_strlcpy(f->address, ds_stmt_text(s, 1), sizeof f->address);
		f->balance = ds_stmt_int(s, 2);
		f->overdue = ds_stmt_int(s, 3);
		ds_date since;
		if (!ds_date_parse(ds_stmt_text(s, 4), &since) && since < today)
			f->dpd = today - since;
	}
	ds_stmt_done(s);
	size_t len = strlen(v->account);
	snprintf(f->masked, sizeof f->masked, "尾号 %.4s",
	         len > 4 ? v->account + len - 4 : v->account);
	return err;
}

ds_err ds_visit_notify(ds_store *st, const struct ds_field_config *c, long visit_id, ds_time now,
                       const struct ds_where *w, long *notice_id, struct ds_diag *diag)
{
	struct visit v;
	ds_visit_state to;
	ds_err err = load(st, visit_id, &v, diag);
	if (err || (err = allowed(&v, DS_VEV_NOTIFY, &to, diag)))
		return err;
	ds_time start = visit_start(&v);
	if (!start)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "visit_date",
		                   "visit %ld has no date to give notice of", visit_id);
	if (start - now < (ds_time)c->notice_days * 86400) {
		char at[21];
		ds_time_format_utc(start, at);
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "visit_date",
		                   "visit %ld starts at %s, fewer than %d days away: the notice "
		                   "must be delivered %d days before; reschedule it",
		                   visit_id, at, c->notice_days, c->notice_days);
	}
	ds_date today = field_local_date(v.zone, now), vdate = field_local_date(v.zone, start);
	struct letter_facts f;
	char team[512], from[8], to_clock[8], window[24], ref[40], path[512], sha[65];
	if ((err = letter_facts(st, &v, today, &f, diag)) ||
	    (err = team_text(st, v.team, team, sizeof team, diag)))
		return err;
	ds_time wfrom, wto;
	notice_window(&v, &wfrom, &wto);
	clock_text(v.zone, wfrom, from, sizeof from);
	clock_text(v.zone, wto, to_clock, sizeof to_clock);
	snprintf(window, sizeof window, "%s-%s", from, to_clock);
	char vday[11], lday[11];
	ds_date_format(vdate, vday);
	ds_date_format(today, lday);
	snprintf(ref, sizeof ref, "TZ%.4s%.2s%.2s-%06ld", lday, lday + 5, lday + 8, visit_id);
	if ((err = field_make_dir(c->letter_dir, diag)))
		return err;
	snprintf(path, sizeof path, "%s/notice-%06ld.pdf", c->letter_dir, visit_id);
	struct ds_notice_letter l = { .bank_name = c->bank_name,
		                      .bank_phone = c->bank_phone,
		                      .bank_address = c->bank_address,
		                      .borrower_name = f.name,
		                      .address = f.address,
		                      .account_masked = f.masked,
		                      .balance_fen = f.balance,
		                      .overdue_fen = f.overdue,
		                      .days_past_due = f.dpd,
		                      .letter_date = today,
		                      .visit_date = vdate,
		                      .visit_window = window,
		                      .team = team[0] ? team : NULL,
		                      .reference = ref };
	if ((err = ds_letter_notice_pdf(&l, path, diag)) ||
	    (err = ds_file_sha256(path, sha, diag))) {
		unlink(path);
		return err;
	}
	/* the SMS: the name masked, since others may read a phone */
	char masked[64], sms[600];
	ds_mask_name(f.name, masked, sizeof masked);
	int y, m, d;
	ds_date_to_ymd(vdate, &y, &m, &d);
	snprintf(sms, sizeof sms,
	         "【%s】%s您好：您尾号%s的贷款已逾期。我行工作人员将于%d年%d月%d日%s与社区工作人员"
	         "上门拜访，了解情况、商量还款办法。如有疑问或异议，请致电%s（编号%s）。",
	         c->bank_name, masked, f.masked + strlen("尾号 "), y, m, d, window, c->bank_phone,
	         ref);
	if ((err = ds_store_begin(st, diag))) {
		unlink(path);
		return err;
	}
	long sms_id = 0, letter_id = 0;
	err = field_exec(st, diag,
	                 "INSERT INTO outbox(channel, borrower_id, account_id, purpose, body,"
	                 " created_at) VALUES ('sms',?,?,'visit_notice',?,?)",
	                 "ttti", v.borrower, v.account, sms, (int64_t)now);
	sms_id = err ? 0 : (long)ds_store_last_id(st);
	if (!err)
		err = field_exec(
		        st, diag,
		        "INSERT INTO outbox(channel, borrower_id, account_id, purpose, body,"
		        " created_at) VALUES ('letter',?,?,'visit_notice',?,?)",
		        "ttti", v.borrower, v.account, path, (int64_t)now);
	letter_id = err ? 0 : (long)ds_store_last_id(st);
	if (!err)
		err = field_exec(st, diag,
		                 "INSERT INTO notices(visit_id, account_id, created_at, created_by,"
		                 " letter_path, letter_sha256, sms_outbox_id, letter_outbox_id)"
		                 " VALUES (?,?,?,?,?,?,?,?)",
		                 "ititttii", (int64_t)visit_id, v.account, (int64_t)now,
		                 ds_store_actor(st), path, sha, (int64_t)sms_id,
		                 (int64_t)letter_id);
	*notice_id = err ? 0 : (long)ds_store_last_id(st);
	char detail[256];
	snprintf(detail, sizeof detail,
	         "{\"notice_id\":%ld,\"reference\":\"%s\",\"letter_sha256\":\"%s\","
	         "\"sms_outbox_id\":%ld,\"letter_outbox_id\":%ld}",
	         *notice_id, ref, sha, sms_id, letter_id);
	if (!err)
		err = record(st, &v, "notify", to, now, w, NULL, detail, diag);
	err = finish(st, err, diag);
	if (err)
		unlink(path);
	return err;
}

/* ------------------------------------------------------------ scheduling */

static ds_err check_window(const char *field, ds_time start, ds_time end, struct ds_diag *diag)
{
	if (start <= 0 || end <= start || end - start > 12 * 3600)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, field,
		                   "a window is a start before its end, at most 12 hours long");
	return DS_OK;
}

ds_err ds_visit_schedule(ds_store *st, long visit_id, const char *team_id, ds_date date,
                         ds_time window_start, ds_time window_end, ds_time now,
                         const struct ds_where *w, struct ds_diag *diag)
{
	struct visit v;
	ds_visit_state to;
	ds_err err = load(st, visit_id, &v, diag);
	if (err || (err = allowed(&v, DS_VEV_SCHEDULE, &to, diag)) ||
	    (err = check_window("window", window_start, window_end, diag)))
		return err;
	bool found = false;
	if (!team_id || (err = ds_store_exists(st, "teams", "team_id", team_id, &found, diag)) ||
	    !found)
		return err ? err
		           : ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "team", "no team \"%s\"",
		                         team_id ? team_id : "");
	if (field_local_date(v.zone, window_start) != date)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "window",
		                   "the window does not start on the visit's date");
	char day[11], detail[256];
	ds_date_format(date, day);
	snprintf(detail, sizeof detail,
	         "{\"team_id\":\"%s\",\"visit_date\":\"%s\",\"window\":[%lld,%lld]}", team_id, day,
	         (long long)window_start, (long long)window_end);
	if ((err = ds_store_begin(st, diag)))
		return err;
	err = field_exec(st, diag,
	                 "UPDATE visits SET team_id = ?, visit_date = ?, window_start_at = ?,"
	                 " window_end_at = ? WHERE visit_id = ?",
	                 "ttiii", team_id, day, (int64_t)window_start, (int64_t)window_end,
	                 (int64_t)visit_id);
	if (!err)
		err = record(st, &v, "schedule", to, now, w, NULL, detail, diag);
	return finish(st, err, diag);
}

ds_err ds_visit_reschedule(ds_store *st, const struct ds_field_config *c, long visit_id,
                           ds_date date, ds_time window_start, ds_time window_end,
                           const char *reason, ds_time now, const struct ds_where *w,
                           struct ds_diag *diag)
{
	struct visit v;
	ds_visit_state to;
	ds_err err = load(st, visit_id, &v, diag);
	if (err || (err = allowed(&v, DS_VEV_RESCHEDULE, &to, diag)) ||
	    (err = check_window("window", window_start, window_end, diag)))
		return err;
	if (!reason || !reason[0] || strlen(reason) > 500)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "reason",
		                   "a reschedule needs its reason (at most 500 bytes)");
	if (field_local_date(v.zone, window_start) != date)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "window",
		                   "the window does not start on the new date");
	/* the notice given counts when the new start is still far enough
	 * from it; otherwise a new notice is due */
	if (v.state != DS_VISIT_PLANNED) {
		ds_stmt *s;
		ds_time sent = 0;
		if ((err = ds_store_prepare(st,
		                            "SELECT coalesce(min(created_at), 0) FROM notices"
		                            " WHERE visit_id = ?",
		                            &s, diag)))
			return err;
		bool row;
		ds_stmt_bind_int(s, 1, visit_id);
		if (!(err = ds_stmt_step(s, &row, diag)) && row)
			sent = ds_stmt_int(s, 0);
		ds_stmt_done(s);
		if (err)
			return err;
		if (!sent || window_start - sent < (ds_time)c->notice_days * 86400)
			to = DS_VISIT_PLANNED;
	}
	char day[11], detail[256];
	ds_date_format(date, day);
	snprintf(detail, sizeof detail,
	         "{\"visit_date\":\"%s\",\"window\":[%lld,%lld],\"was\":\"%s\",\"new_notice\":%s}",
	         day, (long long)window_start, (long long)window_end, v.date,
	         to == DS_VISIT_PLANNED && v.state != DS_VISIT_PLANNED ? "true" : "false");
	if ((err = ds_store_begin(st, diag)))
		return err;
	err = field_exec(st, diag,
	                 "UPDATE visits SET visit_date = ?, window_start_at = ?, window_end_at = ?,"
	                 " planned_at = NULL WHERE visit_id = ?",
	                 "tiii", day, (int64_t)window_start, (int64_t)window_end,
	                 (int64_t)visit_id);
	if (!err)
		err = record(st, &v, "reschedule", to, now, w, reason, detail, diag);
	return finish(st, err, diag);
}

ds_err ds_visit_cancel(ds_store *st, long visit_id, const char *reason, ds_time now,
                       const struct ds_where *w, struct ds_diag *diag)
{
	struct visit v;
	ds_visit_state to;
	ds_err err = load(st, visit_id, &v, diag);
	if (err || (err = allowed(&v, DS_VEV_CANCEL, &to, diag)))
		return err;
	if (!reason || !reason[0] || strlen(reason) > 500)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "reason",
		                   "a cancellation needs its reason (at most 500 bytes)");
	if ((err = ds_store_begin(st, diag)))
		return err;
	err = field_exec(st, diag,
	                 "UPDATE visits SET cancel_reason = ?, closed_at = ? WHERE visit_id = ?",
	                 "tii", reason, (int64_t)now, (int64_t)visit_id);
	if (!err)
		err = record(st, &v, "cancel", to, now, w, reason, NULL, diag);
	return finish(st, err, diag);
}

/* ------------------------------------------------------------- at the door */

#define MAX_TEAM 8

struct member {
	char staff[65], community[65];
	bool collector, certified, experienced;
	int visits_today;
};

/* The visit's team as the rules see it, on the day of `at`. */
static ds_err load_team(ds_store *st, const struct visit *v, ds_time at, struct member *m, int *n,
                        struct ds_diag *diag)
{
	*n = 0;
	ds_date today = field_local_date(v->zone, at);
	char day[11], since[11];
	ds_date_format(today, day);
	ds_date_format(today - DS_RULES_EXPERIENCED_DAYS, since);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT s.staff_id, s.role = 'collector', coalesce(s.community_id, ''),"
	        " " DS_SQL_STAFF_CERTIFIED ", " DS_SQL_STAFF_EXPERIENCED ","
	        " (SELECT count(*) FROM visits x JOIN team_members y ON y.team_id = x.team_id"
	        "  WHERE y.staff_id = s.staff_id AND x.visit_id <> ? AND x.checked_in_at"
	        "  IS NOT NULL AND x.visit_date = ?)"
	        " FROM team_members m JOIN staff s ON s.staff_id = m.staff_id"
	        " WHERE m.team_id = ? ORDER BY s.staff_id",
	        &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, DS_RULES_CERTIFICATE);
	ds_stmt_bind_text(s, 2, day);
	ds_stmt_bind_text(s, 3, day);
	ds_stmt_bind_text(s, 4, since);
	ds_stmt_bind_int(s, 5, v->id);
	ds_stmt_bind_text(s, 6, day);
	ds_stmt_bind_text(s, 7, v->team);
	bool row;
	while (*n < MAX_TEAM && !(err = ds_stmt_step(s, &row, diag)) && row) {
		struct member *x = &m[(*n)++];
		ds_strlcpy(x->staff, ds_stmt_text(s, 0), sizeof x->staff);
		x->collector = ds_stmt_int(s, 1) != 0;
		ds_strlcpy(x->community, ds_stmt_text(s, 2), sizeof x->community);
		x->certified = ds_stmt_int(s, 3) != 0;
		x->experienced = ds_stmt_int(s, 4) != 0;
		x->visits_today = (int)ds_stmt_int(s, 5);
	}
	ds_stmt_done(s);
	return err;
}

/* When the visit's notice was delivered (0: not yet). */
static ds_err notice_delivered(ds_store *st, long visit_id, ds_time *at, struct ds_diag *diag)
{
	*at = 0;
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT coalesce(min(o.status_at), 0) FROM notices n"
	                              " JOIN outbox o ON o.outbox_id IN (n.sms_outbox_id,"
	                              " n.letter_outbox_id) WHERE n.visit_id = ?"
	                              " AND o.status = 'delivered'",
	                              &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_int(s, 1, visit_id);
	if (!(err = ds_stmt_step(s, &row, diag)) && row)
		*at = ds_stmt_int(s, 0);
	ds_stmt_done(s);
	return err;
}

static void add_reason(struct ds_checkin_result *out, const char *zh, const char *en)
{
	size_t nz = strlen(out->reason_zh), ne = strlen(out->reason_en);
	snprintf(out->reason_zh + nz, sizeof out->reason_zh - nz, "%s%s", nz ? "；" : "", zh);
	snprintf(out->reason_en + ne, sizeof out->reason_en - ne, "%s%s", ne ? "; " : "", en);
}

ds_err ds_visit_check_in(ds_store *st, const ds_rulepack *rules, const struct ds_field_config *c,
                         long visit_id, const struct ds_checkin *in, struct ds_checkin_result *out,
                         struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	out->distance_m = -1;
	struct visit v;
	ds_visit_state to;
	ds_err err = load(st, visit_id, &v, diag);
	if (err || (err = allowed(&v, DS_VEV_CHECK_IN, &to, diag)))
		return err;
	if (!(in->lat >= -90 && in->lat <= 90 && in->lon >= -180 && in->lon <= 180))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "position",
		                   "latitude and longitude out of range");
	struct member m[MAX_TEAM];
	struct ds_team_member tm[MAX_TEAM];
	int n;
	ds_time delivered;
	if ((err = load_team(st, &v, in->at, m, &n, diag)) ||
	    (err = notice_delivered(st, visit_id, &delivered, diag)))
		return err;
	for (int i = 0; i < n; i++)
		tm[i] = (struct ds_team_member){ .staff_id = m[i].staff,
			                         .collector = m[i].collector,
			                         .certified = m[i].certified,
			                         .experienced = m[i].experienced,
			                         .community_id =
			                                 m[i].collector ? NULL : m[i].community,
			                         .visits_today = m[i].visits_today };
	/* the rules, with everything they know of the borrower */
	ds_rules_context *cx = NULL;
	if ((err = ds_rules_context_load(st, in->at - 40 * 86400, &cx, diag)))
		return err;
	const ds_rules_account *ra = ds_rules_context_account(cx, v.account);
	struct ds_proposal p;
	memset(&p, 0, sizeof p);
	p.stage = DS_STAGE_ACT;
	p.channel = DS_CH_VISIT;
	p.content = DS_CONTENT_DEBT_DETAILS;
	p.party = DS_PARTY_BORROWER;
	p.start = in->at;
	p.duration_s = 45 * 60;
	p.team = tm;
	p.nteam = n;
	p.identity_shown = in->identity_shown;
	p.consent_to_enter = in->consent_to_enter;
	p.entering_home = in->entering_home;
	p.notice_sent_at = delivered;
	if (ra)
		ds_rules_context_fill(cx, ra, &p);
	err = ds_rules_check(rules, &p, &out->rules, diag);
	ds_rules_context_free(cx);
	if (err)
		return err;
	out->allowed = out->rules.allow;
	for (int i = 0; i < out->rules.nhits; i++)
		add_reason(out, out->rules.hits[i].reason_zh, out->rules.hits[i].reason_en);
	/* where the team is */
	char zh[256], en[256];
	if (!v.has_address) {
		out->allowed = false;
		add_reason(
		        out, "借款人地址没有坐标，无法核实签到位置",
		        "the borrower's address has no coordinates to check the position against");
	} else {
		out->distance_m = ds_haversine_m(in->lon, in->lat, v.lon, v.lat);
		if (out->distance_m > c->checkin_max_m) {
			out->allowed = false;
			snprintf(zh, sizeof zh, "签到位置距借款人地址 %.0f 米，超过 %.0f 米的限制",
			         out->distance_m, c->checkin_max_m);
			snprintf(en, sizeof en,
			         "the check-in is %.0f m from the address, more than %.0f m",
			         out->distance_m, c->checkin_max_m);
			add_reason(out, zh, en);
		}
	}
	struct ds_where w = { true, in->lat, in->lon };
	char detail[1400], rz[1100];
	json_text(rz, sizeof rz, out->reason_en);
	snprintf(detail, sizeof detail,
	         "{\"distance_m\":%.1f,\"identity_shown\":%s,\"consent_to_enter\":%s,"
	         "\"notice_delivered_at\":%lld,\"team\":%d,\"refused_by\":\"%s\"}",
	         out->distance_m, in->identity_shown ? "true" : "false",
	         in->consent_to_enter ? "true" : "false", (long long)delivered, n, rz);
	if ((err = ds_store_begin(st, diag)))
		return err;
	if (!out->allowed) {
		/* the refusal is on record; the state stays */
		err = record(st, &v, "check_in_refused", v.state, in->at, &w, out->reason_en,
		             detail, diag);
		return finish(st, err, diag);
	}
	err = field_exec(st, diag,
	                 "UPDATE visits SET checked_in_at = ?, checkin_lat = ?, checkin_lon = ?,"
	                 " consent_to_enter = ?, identity_shown = ?, checkin_distance_m = ?,"
	                 " notice_sent_at = coalesce(notice_sent_at, nullif(?, 0))"
	                 " WHERE visit_id = ?",
	                 "irriirii", (int64_t)in->at, in->lat, in->lon,
	                 (int64_t)in->consent_to_enter, (int64_t)in->identity_shown,
	                 out->distance_m, (int64_t)delivered, (int64_t)visit_id);
	if (!err)
		err = record(st, &v, "check_in", to, in->at, &w, NULL, detail, diag);
	return finish(st, err, diag);
}

/* -------------------------------------------------------------- the outcome */

static const char *const found_names[DS_FOUND_COUNT] = {
	"met_borrower", "met_family", "not_home", "moved", "refused",
};
static const char *const situation_names[DS_SIT_COUNT] = {
	"none",         "unemployment", "illness",      "business_loss",
	"family_event", "dispute",      "fraud_victim", "unwilling",
};
static const char *const attitude_names[DS_ATT_COUNT] = {
	"none",
	"cooperative",
	"neutral",
	"hostile",
};

static ds_err parse_name(const char *const *names, int n, const char *s, int *out)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return DS_OK;
		}
	return DS_EINVAL;
}

const char *ds_found_name(ds_found f)
{
	return (unsigned)f < DS_FOUND_COUNT ? found_names[f] : "?";
}
ds_err ds_found_parse(const char *s, ds_found *out)
{
	int i;
	ds_err err = parse_name(found_names, DS_FOUND_COUNT, s, &i);
	if (!err)
		*out = (ds_found)i;
	return err;
}
const char *ds_situation_name(ds_situation s)
{
	return (unsigned)s < DS_SIT_COUNT ? situation_names[s] : "?";
}
ds_err ds_situation_parse(const char *s, ds_situation *out)
{
	int i;
	ds_err err = parse_name(situation_names, DS_SIT_COUNT, s, &i);
	if (!err)
		*out = (ds_situation)i;
	return err;
}
const char *ds_attitude_name(ds_attitude a)
{
	return (unsigned)a < DS_ATT_COUNT ? attitude_names[a] : "?";
}
ds_err ds_attitude_parse(const char *s, ds_attitude *out)
{
	int i;
	ds_err err = parse_name(attitude_names, DS_ATT_COUNT, s, &i);
	if (!err)
		*out = (ds_attitude)i;
	return err;
}

static bool hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

ds_err ds_visit_record_outcome(ds_store *st, long visit_id, const struct ds_visit_outcome *o,
                               const struct ds_where *w, struct ds_diag *diag)
{
	struct visit v;
	ds_visit_state to;
	ds_err err = load(st, visit_id, &v, diag);
	if (err || (err = allowed(&v, DS_VEV_RECORD_OUTCOME, &to, diag)))
		return err;
	if ((unsigned)o->found >= DS_FOUND_COUNT || (unsigned)o->situation >= DS_SIT_COUNT ||
	    (unsigned)o->attitude >= DS_ATT_COUNT)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "outcome", "unknown outcome code");
	if (o->at < v.checked_in_at)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "at",
		                   "the outcome comes before the check-in");
	if (o->incident_kind && (!o->incident_kind[0] || strlen(o->incident_kind) > 64 ||
	                         o->incident_severity < 1 || o->incident_severity > 5))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "incident",
		                   "an incident needs a kind and a severity from 1 to 5");
	if ((o->evidence_name || o->evidence_sha256) &&
	    (!o->evidence_name || !o->evidence_name[0] || strlen(o->evidence_name) > 200 ||
	     !hex64(o->evidence_sha256)))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "evidence",
		                   "evidence needs its file name and its SHA-256 (64 lowercase hex "
		                   "digits)");
	if (o->note && strlen(o->note) > 2000)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "note", "at most 2000 bytes");
	/* the contact it was, as the rules and the models read contacts */
	static const char *const party[DS_FOUND_COUNT] = { "borrower", "family", "borrower",
		                                           "borrower", "borrower" };
	char contact[40], staff[65] = "";
	snprintf(contact, sizeof contact, "visit-%ld", visit_id);
	struct member m[MAX_TEAM];
	int n = 0;
	if ((err = load_team(st, &v, o->at, m, &n, diag)))
		return err;
	for (int i = 0; i < n && !staff[0]; i++)
		if (m[i].collector)
			ds_strlcpy(staff, m[i].staff, sizeof staff);
	char detail[512];
	snprintf(detail, sizeof detail,
	         "{\"found\":\"%s\",\"situation\":\"%s\",\"attitude\":\"%s\",\"incident\":%s%s%s,"
	         "\"evidence\":%s}",
	         ds_found_name(o->found), ds_situation_name(o->situation),
	         ds_attitude_name(o->attitude), o->incident_kind ? "\"" : "null",
	         o->incident_kind ? o->incident_kind : "", o->incident_kind ? "\"" : "",
	         o->evidence_name ? "true" : "false");
	if ((err = ds_store_begin(st, diag)))
		return err;
	err = field_exec(
	        st, diag,
	        "UPDATE visits SET outcome = ?, situation = ?, attitude = ?, outcome_at = ?,"
	        " evidence_name = ?, evidence_sha256 = ? WHERE visit_id = ?",
	        "tttitti", ds_found_name(o->found), ds_situation_name(o->situation),
	        ds_attitude_name(o->attitude), (int64_t)o->at, o->evidence_name, o->evidence_sha256,
	        (int64_t)visit_id);
	if (!err)
		err = field_exec(
		        st, diag,
		        "INSERT INTO contacts(contact_id, account_id, channel,"
		        " direction, started_at, duration_s, staff_id, party, outcome, note,"
		        " purpose) VALUES (?,?,'visit','outbound',?,?,?,?,?,?,?)"
		        " ON CONFLICT(contact_id) DO UPDATE SET account_id = excluded.account_id,"
		        " channel = excluded.channel, direction = excluded.direction,"
		        " started_at = excluded.started_at, duration_s = excluded.duration_s,"
		        " staff_id = excluded.staff_id, party = excluded.party,"
		        " outcome = excluded.outcome, note = excluded.note,"
		        " purpose = excluded.purpose, batch_id = NULL",
		        "ttiittttt", contact, v.account, (int64_t)v.checked_in_at,
		        (int64_t)(o->at - v.checked_in_at), staff[0] ? staff : NULL,
		        party[o->found], ds_found_name(o->found), o->note,
		        o->found == DS_MET_FAMILY ? NULL : "debt_details");
	if (!err && o->incident_kind) {
		err = field_exec(
		        st, diag,
		        "INSERT INTO incidents(visit_id, kind, severity, occurred_at, note)"
		        " VALUES (?,?,?,?,?)",
		        "itiit", (int64_t)visit_id, o->incident_kind, (int64_t)o->incident_severity,
		        (int64_t)o->at, o->note);
		/* the address is flagged: the next team must be fit for it */
		if (!err)
			err = field_exec(
			        st, diag,
			        "UPDATE borrowers SET flags = CASE WHEN coalesce(flags, '') = ''"
			        " THEN 'safety_risk' ELSE flags || ',safety_risk' END"
			        " WHERE borrower_id = ? AND ',' || coalesce(flags, '') || ','"
			        " NOT LIKE '%,safety_risk,%'",
			        "t", v.borrower);
	}
	if (!err)
		err = record(st, &v, "record_outcome", to, o->at, w, NULL, detail, diag);
	return finish(st, err, diag);
}

ds_err ds_visit_close(ds_store *st, const struct ds_field_config *c, long visit_id, ds_time now,
                      const struct ds_where *w, int *tasks, struct ds_diag *diag)
{
	*tasks = 0;
	struct visit v;
	ds_visit_state to;
	ds_err err = load(st, visit_id, &v, diag);
	if (err || (err = allowed(&v, DS_VEV_CLOSE, &to, diag)))
		return err;
	/* the events the outcome is, each naming its follow-up */
	const char *events[6];
	int ne = 0;
	bool incident = false;
	ds_stmt *s;
	if ((err = ds_store_prepare(st, "SELECT count(*) FROM incidents WHERE visit_id = ?", &s,
	                            diag)))
		return err;
	bool row;
	ds_stmt_bind_int(s, 1, visit_id);
	if (!(err = ds_stmt_step(s, &row, diag)) && row)
		incident = ds_stmt_int(s, 0) > 0;
	ds_stmt_done(s);
	if (err)
		return err;
	if (incident)
		events[ne++] = "incident";
	if (strcmp(v.attitude, "hostile") == 0)
		events[ne++] = "hostile";
	if (strcmp(v.situation, "unemployment") == 0 || strcmp(v.situation, "illness") == 0 ||
	    strcmp(v.situation, "business_loss") == 0 || strcmp(v.situation, "family_event") == 0)
		events[ne++] = "hardship";
	if (strcmp(v.situation, "dispute") == 0 || strcmp(v.situation, "fraud_victim") == 0)
		events[ne++] = "dispute";
	if (strcmp(v.outcome, "not_home") == 0)
		events[ne++] = "not_home";
	if (strcmp(v.outcome, "moved") == 0)
		events[ne++] = "moved";
	char source[32];
	snprintf(source, sizeof source, "visit:%ld", visit_id);
	ds_date from = field_local_date(v.zone, now);
	if ((err = ds_store_begin(st, diag)))
		return err;
	for (int i = 0; !err && i < ne; i++) {
		bool written;
		err = ds_task_add_for(st, c, v.account, events[i], source, from, now, &written,
		                      diag);
		*tasks += written;
	}
	/* hostile, with an incident: no more visits until a manager has
	 * reviewed it (and ends the hold) */
	if (!err && incident && strcmp(v.attitude, "hostile") == 0) {
		char why[96];
		snprintf(why, sizeof why, "incident at visit %ld: a manager's review first",
		         visit_id);
		err = field_exec(
		        st, diag,
		        "INSERT INTO holds(borrower_id, account_id, kind, starts_at, set_by,"
		        " reason) VALUES (?,?,'do_not_visit',?,?,?)",
		        "ttitt", v.borrower, v.account, (int64_t)now, ds_store_actor(st), why);
	}
	if (!err)
		err = field_exec(st, diag, "UPDATE visits SET closed_at = ? WHERE visit_id = ?",
		                 "ii", (int64_t)now, (int64_t)visit_id);
	char detail[64];
	snprintf(detail, sizeof detail, "{\"tasks\":%d}", *tasks);
	if (!err)
		err = record(st, &v, "close", to, now, w, NULL, detail, diag);
	return finish(st, err, diag);
}

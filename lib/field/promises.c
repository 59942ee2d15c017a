/*
 * Promises to pay (field.h, docs/field.md "Promises"): made at the door or
 * on a call, judged from the bank's payments once their date and the
 * grace after it have passed.
 */
#include "field-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ds_err ds_promise_add(ds_store *st, const char *account_id, long visit_id, ds_fen amount,
                      ds_date due, ds_time now, long *id, struct ds_diag *diag)
{
	*id = 0;
	char zone[64];
	ds_err err = field_account_zone(st, account_id, zone, sizeof zone, diag);
	if (err)
		return err;
	if (amount <= 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "amount",
		                   "a promise is of some money");
	ds_date today = field_local_date(zone, now);
	if (due < today || due > today + 366)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "due",
		                   "a promise's date is from today to a year ahead");
	if (visit_id > 0) {
		ds_stmt *s;
		if ((err = ds_store_prepare(st, "SELECT account_id FROM visits WHERE visit_id = ?",
		                            &s, diag)))
			return err;
		bool row;
		ds_stmt_bind_int(s, 1, visit_id);
		bool mine = false;
		if (!(err = ds_stmt_step(s, &row, diag)) && row)
			mine = strcmp(ds_stmt_text(s, 0), account_id) == 0;
		ds_stmt_done(s);
		if (err)
			return err;
		if (!mine)
			return ds_diag_set(diag, DS_EINVAL, NULL, 0, "visit",
			                   "visit %ld is not a visit of account %s", visit_id,
			                   account_id);
	}
	char day[11];
	ds_date_format(due, day);
	if ((err = ds_store_begin(st, diag)))
		return err;
	err = field_exec(
	        st, diag,
	        "INSERT INTO promises(account_id, visit_id, amount_fen, due_date, created_at,"
	        " created_by) VALUES (?, nullif(?, 0), ?, ?, ?, ?)",
	        "tiitit", account_id, (int64_t)visit_id, (int64_t)amount, day, (int64_t)now,
	        ds_store_actor(st));
	if (!err) {
		*id = (long)ds_store_last_id(st);
		char key[24], detail[200];
		snprintf(key, sizeof key, "%ld", *id);
		snprintf(detail, sizeof detail,
		         "{\"account_id\":\"%s\",\"amount_fen\":%lld,\"due_date\":\"%s\","
		         "\"visit_id\":%ld}",
		         account_id, (long long)amount, day, visit_id);
		err = ds_store_audit(st, "promise_add", "promises", key, detail, diag);
	}
	if (!err)
		err = ds_store_commit(st, diag);
	if (err)
		ds_store_rollback(st);
	return err;
}

struct promise {
	long id;
	ds_date from, to; /* payments counted: made from..to */
	ds_fen amount, paid;
	bool open, due; /* due: to be judged now */
};

struct payment {
	ds_date day;
	ds_fen left;
};

/* One account: its payments shared among its promises, earliest first,
 * then the open ones that are due judged. */
static ds_err judge_account(ds_store *st, const struct ds_field_config *c, const char *account,
                            ds_date as_of, ds_time now, struct ds_promise_tally *t,
                            struct ds_diag *diag)
{
	char zone[64];
	ds_err err = field_account_zone(st, account, zone, sizeof zone, diag);
	if (err)
		return err;
	struct promise *p = NULL;
	struct payment *y = NULL;
	long np = 0, ny = 0, cp = 0, cy = 0;
	ds_stmt *s;
	if ((err = ds_store_prepare(st,
	                            "SELECT promise_id, created_at, due_date, amount_fen,"
	                            " status = 'open' FROM promises WHERE account_id = ?"
	                            " ORDER BY due_date, promise_id",
	                            &s, diag)))
		return err;
	ds_stmt_bind_text(s, 1, account);
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if ((err = ds_grow((void **)&p, &cp, np, sizeof *p, 8, diag)))
			break;
		struct promise *x = &p[np++];
		memset(x, 0, sizeof *x);
		x->id = (long)ds_stmt_int(s, 0);
		x->from = field_local_date(zone, ds_stmt_int(s, 1));
		ds_date due = 0;
		ds_date_parse(ds_stmt_text(s, 2), &due);
		x->to = due + c->promise_grace_days;
		x->amount = ds_stmt_int(s, 3);
		x->open = ds_stmt_int(s, 4) != 0;
		x->due = x->open && as_of > x->to;
	}
	ds_stmt_done(s);
	if (!err &&
	    !(err = ds_store_prepare(st,
	                             "SELECT value_date, amount_fen FROM payments"
	                             " WHERE account_id = ? ORDER BY value_date, payment_id",
	                             &s, diag))) {
		ds_stmt_bind_text(s, 1, account);
		while (!(err = ds_stmt_step(s, &row, diag)) && row) {
			if ((err = ds_grow((void **)&y, &cy, ny, sizeof *y, 16, diag)))
				break;
			ds_date d = 0;
			ds_date_parse(ds_stmt_text(s, 0), &d);
			y[ny++] = (struct payment){ d, ds_stmt_int(s, 1) };
		}
		ds_stmt_done(s);
	}
	/* each payment to the earliest promise it can count for */
	for (long k = 0; !err && k < ny; k++)
		for (long i = 0; i < np && y[k].left > 0; i++) {
			struct promise *x = &p[i];
			if (y[k].day < x->from || y[k].day > x->to || x->paid >= x->amount)
				continue;
			ds_fen take =
			        x->amount - x->paid < y[k].left ? x->amount - x->paid : y[k].left;
			x->paid += take;
			y[k].left -= take;
		}
	for (long i = 0; !err && i < np; i++) {
		struct promise *x = &p[i];
		if (!x->due)
			continue;
		const char *status = x->paid * 100 >= x->amount * (100 - c->promise_tolerance_pct)
		                             ? "kept"
		                     : x->paid > 0 ? "partly_kept"
		                                   : "broken";
		err = field_exec(st, diag,
		                 "UPDATE promises SET status = ?, paid_fen = ?, decided_at = ?"
		                 " WHERE promise_id = ?",
		                 "tiii", status, (int64_t)x->paid, (int64_t)now, (int64_t)x->id);
		char key[24], detail[160], source[32];
		snprintf(key, sizeof key, "%ld", x->id);
		snprintf(detail, sizeof detail,
		         "{\"status\":\"%s\",\"paid_fen\":%lld,\"amount_fen\":%lld}", status,
		         (long long)x->paid, (long long)x->amount);
		if (!err)
			err = ds_store_audit(st, "promise_judge", "promises", key, detail, diag);
		t->judged++;
		if (strcmp(status, "kept") == 0) {
			t->kept++;
		} else if (strcmp(status, "partly_kept") == 0) {
			t->partly_kept++;
		} else {
			t->broken++;
			bool written;
			snprintf(source, sizeof source, "promise:%ld", x->id);
			if (!err)
				err = ds_task_add_for(st, c, account, "broken_promise", source,
				                      as_of, now, &written, diag);
		}
	}
	ds_free(p);
	ds_free(y);
	return err;
}

ds_err ds_promises_judge(ds_store *st, const struct ds_field_config *c, ds_date as_of,
                         struct ds_promise_tally *out, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	/* the accounts with a promise to judge: a promise is judged once its
	 * date and grace have passed */
	char last[11];
	ds_date_format(as_of - c->promise_grace_days - 1, last);
	ds_stmt *s;
	ds_err err =
	        ds_store_prepare(st,
	                         "SELECT DISTINCT account_id FROM promises WHERE status = 'open'"
	                         " AND due_date <= ? ORDER BY account_id",
	                         &s, diag);
	if (err)
		return err;
	ds_stmt_bind_text(s, 1, last);
	char **acc = NULL;
	long n = 0, cap = 0;
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if ((err = ds_grow((void **)&acc, &cap, n, sizeof *acc, 64, diag)))
			break;
		acc[n] = ds_strdup(ds_stmt_text(s, 0));
		if (!acc[n]) {
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			break;
		}
		n++;
	}
	ds_stmt_done(s);
	/* judged as of the end of as_of's day */
	ds_time now = (ds_time)(as_of + 1) * 86400 - 1;
	if (!err && !(err = ds_store_begin(st, diag))) {
		for (long i = 0; !err && i < n; i++)
			err = judge_account(st, c, acc[i], as_of, now, out, diag);
		if (!err)
			err = ds_store_commit(st, diag);
		if (err)
			ds_store_rollback(st);
	}
	for (long i = 0; i < n; i++)
		ds_free(acc[i]);
	ds_free(acc);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

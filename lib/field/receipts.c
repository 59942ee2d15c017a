/*
 * Money taken at the door (field.h, docs/field.md "Receipts"): a receipt
 * numbered without gaps per year, its PDF, and its reconciliation with
 * the bank's payment feed, which alone says the money arrived.
 */
#include "field-int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_CASH_FEN ((ds_fen)5000000) /* 50,000 yuan: above it, no cash at the door */

ds_err ds_receipt_issue(ds_store *st, const struct ds_field_config *c, const char *account_id,
                        long visit_id, ds_fen amount, const char *method, ds_time now,
                        char receipt_no[static 20], struct ds_diag *diag)
{
	receipt_no[0] = '\0';
	if (!method || (strcmp(method, "cash") != 0 && strcmp(method, "card") != 0))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "method", "cash or card");
	if (amount <= 0 || (strcmp(method, "cash") == 0 && amount > MAX_CASH_FEN))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "amount",
		                   "an amount above zero, and at most 50,000 yuan in cash");
	/* the account, its borrower and the visit at its door */
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT b.name, r.timezone, coalesce((SELECT v.state FROM visits v"
	        " WHERE v.visit_id = ? AND v.account_id = a.account_id), '')"
	        " FROM accounts a JOIN borrowers b ON b.borrower_id = a.borrower_id"
	        " JOIN branches r ON r.branch_id = a.branch_id WHERE a.account_id = ?",
	        &s, diag);
	if (err)
		return err;
	char name[128] = "", zone[64] = "", state[24] = "";
	bool row;
	ds_stmt_bind_int(s, 1, visit_id);
	ds_stmt_bind_text(s, 2, account_id);
	if (!(err = ds_stmt_step(s, &row, diag)) && row) {
		ds_strlcpy(name, ds_stmt_text(s, 0), sizeof name);
		ds_strlcpy(zone, ds_stmt_text(s, 1), sizeof zone);
		ds_strlcpy(state, ds_stmt_text(s, 2), sizeof state);
	}
	ds_stmt_done(s);
	if (err)
		return err;
	if (!row)
		return ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "account", "no account \"%s\"",
		                   account_id);
	if (strcmp(state, "checked_in") != 0 && strcmp(state, "outcome_recorded") != 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "visit",
		                   "money is taken at the door of a visit checked in: visit %ld of "
		                   "account %s is %s",
		                   visit_id, account_id, state[0] ? state : "not found");
	if ((err = field_make_dir(c->letter_dir, diag)))
		return err;
	/* the number: the year's next, under the write lock */
	if ((err = ds_store_begin(st, diag)))
		return err;
	ds_date today = field_local_date(zone, now);
	char day[11], prefix[8], path[512], sha[65];
	ds_date_format(today, day);
	snprintf(prefix, sizeof prefix, "R%.4s-", day);
	long seq = 0;
	if (!(err = ds_store_prepare(
	              st,
	              "SELECT coalesce(max(CAST(substr(receipt_no, 7) AS INTEGER)), 0)"
	              " FROM receipts WHERE substr(receipt_no, 1, 6) = ?",
	              &s, diag))) {
		ds_stmt_bind_text(s, 1, prefix);
		if (!(err = ds_stmt_step(s, &row, diag)) && row)
			seq = (long)ds_stmt_int(s, 0) + 1;
		ds_stmt_done(s);
	}
	if (!err && seq > 999999)
		err = ds_diag_set(diag, DS_ETOOBIG, NULL, 0, "receipt_no",
		                  "a million receipts this year: the numbering is full");
	snprintf(receipt_no, 20, "R%.4s-%06d", day, (int)(seq % 1000000));
	snprintf(path, sizeof path, "%s/receipt-%s.pdf", c->letter_dir, receipt_no);
	char masked[64], acc[16];
	ds_mask_name(name, masked, sizeof masked);
	size_t len = strlen(account_id);
	snprintf(acc, sizeof acc, "尾号%.4s", len > 4 ? account_id + len - 4 : account_id);
	struct ds_receipt_doc r = { .bank_name = c->bank_name,
		                    .bank_phone = c->bank_phone,
		                    .receipt_no = receipt_no,
		                    .borrower_name = masked,
		                    .account_masked = acc,
		                    .amount_fen = amount,
		                    .method = method,
		                    .taken_at = now,
		                    .zone = zone,
		                    .taken_by = ds_store_actor(st) };
	bool file = false;
	if (!err && !(err = ds_letter_receipt_pdf(&r, path, diag))) {
		file = true;
		err = ds_file_sha256(path, sha, diag);
	}
	if (!err)
		err = field_exec(
		        st, diag,
		        "INSERT INTO receipts(receipt_no, account_id, visit_id, amount_fen,"
		        " method, taken_by, taken_at, pdf_path, pdf_sha256)"
		        " VALUES (?,?,?,?,?,?,?,?,?)",
		        "ttiittitt", receipt_no, account_id, (int64_t)visit_id, (int64_t)amount,
		        method, ds_store_actor(st), (int64_t)now, path, sha);
	if (!err) {
		char detail[256];
		snprintf(detail, sizeof detail,
		         "{\"account_id\":\"%s\",\"visit_id\":%ld,\"amount_fen\":%lld,"
		         "\"method\":\"%s\",\"pdf_sha256\":\"%s\"}",
		         account_id, visit_id, (long long)amount, method, sha);
		err = ds_store_audit(st, "receipt_issue", "receipts", receipt_no, detail, diag);
	}
	if (!err)
		err = ds_store_commit(st, diag);
	if (err) {
		ds_store_rollback(st);
		if (file)
			unlink(path);
		receipt_no[0] = '\0';
	}
	return err;
}

struct open_receipt {
	char no[20], account[65];
	ds_fen amount;
	ds_date day;
};

ds_err ds_receipts_reconcile(ds_store *st, const struct ds_field_config *c, ds_date as_of,
                             struct ds_reconcile_tally *out, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT x.receipt_no, x.account_id, x.amount_fen, x.taken_at,"
	                              " r.timezone FROM receipts x JOIN accounts a"
	                              " ON a.account_id = x.account_id JOIN branches r"
	                              " ON r.branch_id = a.branch_id WHERE x.payment_id IS NULL"
	                              " ORDER BY x.taken_at, x.receipt_no",
	                              &s, diag);
	if (err)
		return err;
	struct open_receipt *o = NULL;
	long n = 0, cap = 0;
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if ((err = ds_grow((void **)&o, &cap, n, sizeof *o, 32, diag)))
			break;
		struct open_receipt *x = &o[n++];
		ds_strlcpy(x->no, ds_stmt_text(s, 0), sizeof x->no);
		ds_strlcpy(x->account, ds_stmt_text(s, 1), sizeof x->account);
		x->amount = ds_stmt_int(s, 2);
		x->day = field_local_date(ds_stmt_text(s, 4), ds_stmt_int(s, 3));
	}
	ds_stmt_done(s);
	ds_time now = (ds_time)(as_of + 1) * 86400 - 1;
	if (!err)
		err = ds_store_begin(st, diag);
	for (long i = 0; !err && i < n; i++) {
		const struct open_receipt *x = &o[i];
		char from[11], to[11], payment[128] = "";
		ds_date_format(x->day, from);
		ds_date_format(x->day + c->receipt_reconcile_days, to);
		/* the payment that is this money: its reference first, then the
		 * earliest; each payment matched once */
		if ((err = ds_store_prepare(
		             st,
		             "SELECT p.payment_id FROM payments p WHERE p.account_id = ?"
		             " AND p.amount_fen = ? AND p.channel IN ('cash_at_door', 'card')"
		             " AND p.value_date BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 FROM"
		             " receipts r WHERE r.payment_id = p.payment_id)"
		             " ORDER BY coalesce(p.reference, '') = ? DESC, p.value_date,"
		             " p.payment_id LIMIT 1",
		             &s, diag)))
			break;
		ds_stmt_bind_text(s, 1, x->account);
		ds_stmt_bind_int(s, 2, x->amount);
		ds_stmt_bind_text(s, 3, from);
		ds_stmt_bind_text(s, 4, to);
		ds_stmt_bind_text(s, 5, x->no);
		if (!(err = ds_stmt_step(s, &row, diag)) && row)
			ds_strlcpy(payment, ds_stmt_text(s, 0), sizeof payment);
		ds_stmt_done(s);
		if (err)
			break;
		if (payment[0]) {
			err = field_exec(st, diag,
			                 "UPDATE receipts SET payment_id = ?, reconciled_at = ?"
			                 " WHERE receipt_no = ?",
			                 "tit", payment, (int64_t)now, x->no);
			char detail[200];
			snprintf(detail, sizeof detail, "{\"payment_id\":\"%s\"}", payment);
			if (!err)
				err = ds_store_audit(st, "receipt_reconcile", "receipts", x->no,
				                     detail, diag);
			out->matched++;
			continue;
		}
		out->open++;
		if (as_of > x->day + c->receipt_reconcile_days) {
			char source[32];
			bool written;
			snprintf(source, sizeof source, "receipt:%s", x->no);
			out->alerts++;
			err = field_task_add(st, x->account, "reconcile", as_of,
			                     "receipt_unreconciled", source, now, &written, diag);
		}
	}
	if (!err)
		err = ds_store_commit(st, diag);
	else if (n)
		ds_store_rollback(st);
	ds_free(o);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

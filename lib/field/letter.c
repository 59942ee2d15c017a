/*
 * The field documents (field.h, "the letters"): the notice of a visit and
 * the receipt for money taken at the door, each an A4 PDF (doc.h); and
 * amounts in Chinese capital numerals.
 *
 * Text is laid out by pango and shown with pango_cairo_show_layout, so the
 * PDF carries real text (with ToUnicode maps) that can be searched, copied
 * and read aloud, not outlines.
 */
#include "doorstep/field.h"

#include "doorstep/doc.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------- money in capitals */

static const char *const DIGIT[10] = { "零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖" };
static const char *const PLACE[4] = { "", "拾", "佰", "仟" };

/* A bounded append into a fixed buffer; sets *ok false when it overflows. */
static void cap_add(char *b, size_t bsz, size_t *n, const char *s, bool *ok)
{
	size_t k = strlen(s);
	if (*n + k + 1 > bsz) {
		*ok = false;
		return;
	}
	memcpy(b + *n, s, k + 1);
	*n += k;
}

/*
 * The rules of 《正确填写票据和结算凭证的基本规定》: digits with their place
 * (拾佰仟) inside groups of four, 万 and 亿 after their groups (亿 again for
 * the group above 亿, so INT64_MAX fen reads 玖亿…亿…元零柒分), one 零 for
 * any run of zeros between two non-zero digits — across 万, 亿 and 元 too,
 * where the rules allow it and receipts in practice write it (壹拾万零壹元,
 * 壹佰元零壹角) — 整 after 元 when there are no 角 and 分, and 壹拾 never
 * shortened to 拾 (a 拾 alone can be altered by adding a digit in front).
 */
ds_err ds_money_capitals(ds_fen fen, char *out, size_t outsz)
{
	if (out && outsz > 0)
		out[0] = '\0';
	if (fen < 0)
		return DS_EINVAL;
	if (!out && outsz > 0)
		return DS_EINVAL;
	/* 17 digits of yuan at 6 bytes each, zeros, units: well under this */
	char b[320];
	size_t n = 0;
	bool ok = true;
	int64_t yuan = fen / 100;
	int jiao = (int)(fen / 10 % 10), cents = (int)(fen % 10);
	int d[20], nd = 0;
	for (int64_t v = yuan; v > 0; v /= 10)
		d[nd++] = (int)(v % 10);
	bool seen = false, zero = false;
	for (int p = nd - 1; p >= 0; p--) {
		if (d[p]) {
			if (zero)
				cap_add(b, sizeof b, &n, "零", &ok);
			cap_add(b, sizeof b, &n, DIGIT[d[p]], &ok);
			cap_add(b, sizeof b, &n, PLACE[p % 4], &ok);
			zero = false;
			seen = true;
		} else if (seen) {
			zero = true;
		}
		if (p == 0 || p % 4 != 0)
			continue;
		/* 万 when its own group of four holds a digit; 亿 when anything
		 * of the eight above it does (壹万亿 has an empty 亿 group) */
		int span = p % 8 == 4 ? 4 : 8;
		bool any = false;
		for (int q = p; q < p + span && q < nd; q++)
			any = any || d[q] != 0;
		if (any)
			cap_add(b, sizeof b, &n, span == 4 ? "万" : "亿", &ok);
	}
	if (seen)
		cap_add(b, sizeof b, &n, "元", &ok);
	if (jiao) {
		if (zero)
			cap_add(b, sizeof b, &n, "零", &ok);
		cap_add(b, sizeof b, &n, DIGIT[jiao], &ok);
		cap_add(b, sizeof b, &n, "角", &ok);
		zero = false;
	} else if (seen) {
		zero = true;
	}
	if (cents) {
		if (zero)
			cap_add(b, sizeof b, &n, "零", &ok);
		cap_add(b, sizeof b, &n, DIGIT[cents], &ok);
		cap_add(b, sizeof b, &n, "分", &ok);
	}
	if (!seen && !jiao && !cents)
		cap_add(b, sizeof b, &n, "零元", &ok);
	if (!jiao && !cents)
		cap_add(b, sizeof b, &n, "整", &ok);
	if (!ok)
		return DS_EINVAL; /* cannot happen for an int64: b is sized for it */
	if (n + 1 > outsz)
		return DS_ETOOBIG;
	memcpy(out, b, n + 1);
	return DS_OK;
}

/* ------------------------------------------------------------ the page */

#define TEXT_W   DS_DOC_TEXT_W
#define SEAL_W   DS_DOC_SEAL_W
#define MARGIN_T DS_DOC_MARGIN_T

/* The cap on every text field: a name, an address, a team fit well
 * within it, and a page cannot hold much more. */
#define TEXT_MAX 1000
/* The days a borrower has to dispute the debt after the notice (no
 * setting yet: the CN rules ask for a stated period, not a given one). */
#define DISPUTE_DAYS 15
/* A paragraph: a few fields at their caps and the words around them. */
#define PARA_MAX (16 * 1024)

static bool has(const char *s)
{
	return s && *s;
}

/* ---------------------------------------------------------- the inputs */

struct text_field {
	const char *name, *value;
};

/* Every text within its cap and well-formed UTF-8 (pango would otherwise
 * draw replacement boxes and warn on stderr). */
static ds_err check_texts(const struct text_field *t, size_t n, struct ds_diag *diag)
{
	for (size_t i = 0; i < n; i++) {
		if (!t[i].value)
			continue;
		size_t len = strnlen(t[i].value, TEXT_MAX + 1);
		if (len > TEXT_MAX)
			return ds_diag_set(diag, DS_EINVAL, NULL, 0, t[i].name,
			                   "longer than %d bytes", TEXT_MAX);
		if (!ds_utf8_valid(t[i].value, len))
			return ds_diag_set(diag, DS_EENCODING, NULL, 0, t[i].name,
			                   "not valid UTF-8");
	}
	return DS_OK;
}

static ds_err check_path(const char *path, struct ds_diag *diag)
{
	if (!has(path))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "path", "no path to write to");
	if (strnlen(path, 4097) > 4096)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "path", "longer than 4096 bytes");
	return DS_OK;
}

static void date_zh(ds_date date, char out[32])
{
	int y, m, dd;
	ds_date_to_ymd(date, &y, &m, &dd);
	snprintf(out, 32, "%d年%d月%d日", y, m, dd);
}

/* An amount in figures (yuan, two decimals) and in capitals. */
struct amount {
	char fig[32], cap[320];
};

static void amount_of(ds_fen fen, struct amount *a)
{
	ds_money_format(fen, a->fig, sizeof a->fig);
	/* fen is checked non-negative and cap holds any int64 */
	if (ds_money_capitals(fen, a->cap, sizeof a->cap) != DS_OK)
		a->cap[0] = '\0';
}

/* -------------------------------------------------------- the notice */

/*
 * Layout: letterhead (the bank), title, reference and date; the addressee;
 * the reason with the amounts, the legal basis and the visit; a table of
 * the amounts; the borrower's rights; how to dispute; the contacts; the
 * seal box at the foot, on the right.
 */
static void notice_body(ds_doc *d, const struct ds_notice_letter *l, struct ds_buf *p)
{
	char ld[32], vd[32];
	date_zh(l->letter_date, ld);
	date_zh(l->visit_date, vd);
	struct amount bal, od;
	amount_of(l->balance_fen, &bal);
	amount_of(l->overdue_fen, &od);
	const char *bank = has(l->bank_name) ? l->bank_name : "我行";

	if (has(l->bank_name)) {
		ds_doc_text(d, DS_DOC_BANK, DS_DOC_CENTER, l->bank_name, 4);
		ds_doc_rule(d, 12);
	}
	ds_doc_text(d, DS_DOC_TITLE, DS_DOC_CENTER, "上门拜访提前通知书", 8);
	ds_doc_text(d, DS_DOC_SMALL, DS_DOC_RIGHT,
	            has(l->reference) ? ds_doc_fmt(d, "编号：%s　　日期：%s", l->reference, ld)
	                              : ds_doc_fmt(d, "日期：%s", ld),
	            14);
	ds_doc_text(d, DS_DOC_BODY, DS_DOC_LEFT,
	            has(l->borrower_name) ? ds_doc_fmt(d, "尊敬的%s先生/女士：", l->borrower_name)
	                                  : "尊敬的客户：",
	            6);

	/* the reason and the amounts */
	ds_buf_reset(p);
	ds_doc_add(d, p, "您在%s%s办理的个人贷款", bank,
	           has(l->bank_name) ? "（以下简称“我行”）" : "");
	if (has(l->account_masked))
		ds_doc_add(d, p, "（账号：%s）", l->account_masked);
	ds_doc_add(d, p,
	           "未按借款合同约定按期还款，已逾期 %d 天。截至 %s，您的贷款余额为人民币 %s "
	           "元（%s），"
	           "其中逾期金额为人民币 %s 元（%s），明细见下表。",
	           l->days_past_due, ld, bal.fig, bal.cap, od.fig, od.cap);
	ds_doc_block(d, DS_DOC_BODY, DS_DOC_LEFT, 2, 0, p->p, 4);
	/* the legal basis */
	ds_doc_block(d, DS_DOC_BODY, DS_DOC_LEFT, 2, 0,
	             "根据《中华人民共和国民法典》合同编关于借款合同的规定，借款人应当按照约定的"
	             "期限返还借款并支付利息。我行依据您与我行签订的借款合同，并遵照中国银行业协会"
	             "《金融机构个人消费类贷款催收工作指引（试行）》的要求，依法合规开展催收工作。",
	             4);
	/* the visit: when, who, where */
	ds_buf_reset(p);
	ds_doc_add(d, p, "为与您当面沟通还款安排，我行工作人员");
	if (has(l->team))
		ds_doc_add(d, p, "（%s）", l->team);
	ds_doc_add(d, p, "将于 %s", vd);
	if (has(l->visit_window))
		ds_doc_add(d, p, " %s", l->visit_window);
	ds_doc_add(d, p, " 前往您的住址");
	if (has(l->address))
		ds_doc_add(d, p, "（%s）", l->address);
	ds_doc_add(d, p, "拜访。上门人员将主动出示工作证件。如上述时间不便，请");
	if (has(l->bank_phone))
		ds_doc_add(d, p, "致电 %s ", l->bank_phone);
	else
		ds_doc_add(d, p, "与我行联系");
	ds_doc_add(d, p, "另约时间。");
	ds_doc_block(d, DS_DOC_BODY, DS_DOC_LEFT, 2, 0, p->p, 10);

	/* the amounts */
	char days[32];
	snprintf(days, sizeof days, "%d 天", l->days_past_due);
	const char *cells[] = {
		"项目",     "金额（元）", "大写金额", "贷款余额", bal.fig, bal.cap,
		"逾期金额", od.fig,       od.cap,     "逾期天数", days,    "",
	};
	const double widths[] = { 80, 110, TEXT_W - 190 };
	ds_doc_table(d, 4, 3, widths, cells, true, 0);

	/* the borrower's rights */
	ds_doc_text(d, DS_DOC_HEAD, DS_DOC_LEFT, "您的权利", 4);
	static const char *const rights[][2] = {
		{ "（一）不受骚扰：",
		  "我行及上门人员不得以暴力、威胁、恐吓、侮辱、诽谤等方式催收，不得在不适当的时间"
		  "上门或反复联系打扰您及您的家人。" },
		{ "（二）隐私受保护：",
		  "我行不会向您的家人、邻居、工作单位等无关第三方透露您的欠款信息。" },
		{ "（三）可要求出示证件：",
		  "上门人员应主动出示工作证件；您可要求其出示，并可致电我行核实其身份。" },
		{ "（四）有权拒绝入户：", "未经您同意，上门人员不会进入您的住宅。" },
		{ "（五）可申请分期/协商还款：",
		  "如您还款确有困难，可向我行申请分期还款或协商个性化还款方案。" },
	};
	for (size_t i = 0; i < sizeof rights / sizeof rights[0]; i++)
		ds_doc_block(d, DS_DOC_BODY, DS_DOC_LEFT, 0, strlen(rights[i][0]),
		             ds_doc_fmt(d, "%s%s", rights[i][0], rights[i][1]), 2);
	ds_doc_space(d, 8);

	/* how to dispute: within how long, by which way, quoting what */
	ds_doc_text(d, DS_DOC_HEAD, DS_DOC_LEFT, "异议与协商", 4);
	ds_buf_reset(p);
	ds_doc_add(d, p, "如您对欠款有异议，可在收到本通知之日起 %d 日内", DISPUTE_DAYS);
	if (has(l->bank_phone))
		ds_doc_add(d, p, "致电 %s", l->bank_phone);
	if (has(l->bank_phone) && has(l->bank_address))
		ds_doc_add(d, p, "，或");
	if (has(l->bank_address))
		ds_doc_add(d, p, "致函 %s（%s收）", l->bank_address, bank);
	if (!has(l->bank_phone) && !has(l->bank_address))
		ds_doc_add(d, p, "联系%s", bank);
	ds_doc_add(d, p, "提出");
	if (has(l->reference))
		ds_doc_add(d, p, "，并注明本通知编号 %s", l->reference);
	ds_doc_add(d, p, "。我行将在核实后答复您；如需分期或协商还款，亦可通过上述方式联系我行。");
	ds_doc_block(d, DS_DOC_BODY, DS_DOC_LEFT, 2, 0, p->p, 10);

	/* the contacts and the closing, the seal box beside them at the foot */
	double top = ds_doc_y(d);
	int page = ds_doc_page(d);
	ds_doc_set_width(d, TEXT_W - SEAL_W - 16);
	if (has(l->bank_name) || has(l->bank_phone) || has(l->bank_address)) {
		ds_doc_text(d, DS_DOC_HEAD, DS_DOC_LEFT, "联系方式", 4);
		if (has(l->bank_name))
			ds_doc_text(d, DS_DOC_BODY, DS_DOC_LEFT,
			            ds_doc_fmt(d, "银行：%s", l->bank_name), 1);
		if (has(l->bank_phone))
			ds_doc_text(d, DS_DOC_BODY, DS_DOC_LEFT,
			            ds_doc_fmt(d, "客服电话：%s", l->bank_phone), 1);
		if (has(l->bank_address))
			ds_doc_text(d, DS_DOC_BODY, DS_DOC_LEFT,
			            ds_doc_fmt(d, "地址：%s", l->bank_address), 1);
		ds_doc_space(d, 6);
	}
	ds_doc_text(d, DS_DOC_BODY, DS_DOC_LEFT, "特此通知。", 0);
	ds_doc_set_width(d, TEXT_W);
	if (ds_doc_page(d) != page)
		top = MARGIN_T; /* the contacts ran onto a new page */
	ds_doc_seal(d, l->bank_name, ld, top, true);
}

ds_err ds_letter_notice_pdf(const struct ds_notice_letter *l, const char *path,
                            struct ds_diag *diag)
{
	ds_diag_clear(diag);
	if (!l)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "no letter");
	ds_err err = check_path(path, diag);
	if (err)
		return err;
	const struct text_field texts[] = {
		{ "bank_name", l->bank_name },       { "bank_phone", l->bank_phone },
		{ "bank_address", l->bank_address }, { "borrower_name", l->borrower_name },
		{ "address", l->address },           { "account_masked", l->account_masked },
		{ "visit_window", l->visit_window }, { "team", l->team },
		{ "reference", l->reference },
	};
	err = check_texts(texts, sizeof texts / sizeof texts[0], diag);
	if (err)
		return err;
	if (l->balance_fen < 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "balance_fen", "negative");
	if (l->overdue_fen < 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "overdue_fen", "negative");
	if (l->days_past_due < 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "days_past_due", "negative");

	char created[32], iso[11];
	ds_date_format(l->letter_date, iso);
	snprintf(created, sizeof created, "%sT00:00:00", iso);
	ds_doc *d;
	err = ds_doc_open(path, "上门拜访提前通知书", created, &d, diag);
	if (err)
		return err;
	char foot[TEXT_MAX + 64] = "";
	if (has(l->reference))
		snprintf(foot, sizeof foot, "通知书编号 %s", l->reference);
	ds_doc_set_footer(d, foot);
	struct ds_buf para;
	ds_buf_init(&para, PARA_MAX);
	notice_body(d, l, &para);
	ds_buf_free(&para);
	return ds_doc_close(d, diag);
}

/* -------------------------------------------------------- the receipt */

/*
 * Layout: letterhead, title, the receipt's number; a two-column table
 * (borrower, account, amount in figures and capitals, method, time, taken
 * by); the validity note with the phone to check it; the signatures and
 * the seal box below them, in the top half of the page.
 */
static void receipt_body(ds_doc *d, const struct ds_receipt_doc *r, const char *method,
                         const char *date, const char *when)
{
	struct amount a;
	amount_of(r->amount_fen, &a);
	if (has(r->bank_name)) {
		ds_doc_text(d, DS_DOC_BANK, DS_DOC_CENTER, r->bank_name, 4);
		ds_doc_rule(d, 12);
	}
	ds_doc_text(d, DS_DOC_TITLE, DS_DOC_CENTER, "收款收据", 8);
	ds_doc_text(d, DS_DOC_SMALL, DS_DOC_RIGHT, ds_doc_fmt(d, "收据编号：%s", r->receipt_no),
	            10);

	char fig[64], cap[400];
	snprintf(fig, sizeof fig, "¥%s", a.fig);
	snprintf(cap, sizeof cap, "人民币%s", a.cap);
	const struct {
		const char *label, *value;
	} rows[] = {
		{ "借款人", r->borrower_name }, { "贷款账号", r->account_masked },
		{ "金额（小写）", fig },        { "金额（大写）", cap },
		{ "收款方式", method },         { "收款时间", when },
		{ "收款人", r->taken_by },
	};
	const char *cells[2 * sizeof rows / sizeof rows[0]];
	int n = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		if (!has(rows[i].value))
			continue; /* left out, not printed empty */
		cells[n++] = rows[i].label;
		cells[n++] = rows[i].value;
	}
	const double widths[] = { 110, TEXT_W - 110 };
	ds_doc_table(d, n / 2, 2, widths, cells, false, 0);

	struct ds_buf p;
	ds_buf_init(&p, PARA_MAX);
	ds_doc_add(d, &p, "本收据在款项经%s入账确认后生效，收款金额以银行入账为准。",
	           has(r->bank_name) ? r->bank_name : "本行");
	if (has(r->bank_phone))
		ds_doc_add(d, &p, "如需核实，请致电 %s 并告知收据编号。", r->bank_phone);
	ds_doc_block(d, DS_DOC_BODY, DS_DOC_LEFT, 2, 0, p.p, 18);
	ds_buf_free(&p);
	ds_doc_text(d, DS_DOC_BODY, DS_DOC_LEFT,
	            "付款人签字：＿＿＿＿＿＿＿＿　　　收款人签字：＿＿＿＿＿＿＿＿", 0);
	ds_doc_seal(d, r->bank_name, date, ds_doc_y(d) + 16, false);
}

ds_err ds_letter_receipt_pdf(const struct ds_receipt_doc *r, const char *path, struct ds_diag *diag)
{
	ds_diag_clear(diag);
	if (!r)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "no receipt");
	ds_err err = check_path(path, diag);
	if (err)
		return err;
	const struct text_field texts[] = {
		{ "bank_name", r->bank_name },
		{ "bank_phone", r->bank_phone },
		{ "receipt_no", r->receipt_no },
		{ "borrower_name", r->borrower_name },
		{ "account_masked", r->account_masked },
		{ "method", r->method },
		{ "zone", r->zone },
		{ "taken_by", r->taken_by },
	};
	err = check_texts(texts, sizeof texts / sizeof texts[0], diag);
	if (err)
		return err;
	/* a receipt without its number or its time cannot be checked */
	if (!has(r->receipt_no))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "receipt_no", "missing");
	if (r->amount_fen <= 0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "amount_fen", "not positive");
	const char *method = NULL;
	if (has(r->method)) {
		if (strcmp(r->method, "cash") == 0)
			method = "现金";
		else if (strcmp(r->method, "card") == 0)
			method = "银行卡";
		else
			return ds_diag_set(diag, DS_EINVAL, NULL, 0, "method",
			                   "'%s': not cash or card", r->method);
	}
	struct ds_civil_time ct;
	if (!has(r->zone) || ds_tz_to_local(r->zone, r->taken_at, &ct) != DS_OK)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "zone", "'%s': not an IANA time zone",
		                   r->zone ? r->zone : "");
	char date[32], when[TEXT_MAX + 64];
	snprintf(date, sizeof date, "%d年%d月%d日", ct.year, ct.month, ct.day);
	snprintf(when, sizeof when, "%s %02d:%02d（%s）", date, ct.hour, ct.minute, r->zone);
	char created[40];
	int off = ct.utc_offset_s < 0 ? -ct.utc_offset_s : ct.utc_offset_s;
	snprintf(created, sizeof created, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", ct.year,
	         ct.month, ct.day, ct.hour, ct.minute, ct.second, ct.utc_offset_s < 0 ? '-' : '+',
	         off / 3600, off % 3600 / 60);

	ds_doc *d;
	err = ds_doc_open(path, "收款收据", created, &d, diag);
	if (err)
		return err;
	receipt_body(d, r, method, date, when);
	return ds_doc_close(d, diag);
}

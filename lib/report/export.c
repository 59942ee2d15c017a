/*
 * The reports as files (report.h): an XLSX workbook for managers and bar
 * charts as SVG.
 */
#include "doorstep/report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

/* ------------------------------------------------------------------ XLSX */

struct book {
	lxw_workbook *wb;
	lxw_format *head, *money, *rate, *num;
	lxw_error err;
};

/* Text as text: worksheet_write_string never makes a formula of it. */
static void text(struct book *b, lxw_worksheet *ws, int r, int c, const char *s, lxw_format *f)
{
	lxw_error e = worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)c, s, f);
	if (e && !b->err)
		b->err = e;
}

static void number(struct book *b, lxw_worksheet *ws, int r, int c, double v, lxw_format *f)
{
	lxw_error e =
	        worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)c, isfinite(v) ? v : 0, f);
	if (e && !b->err)
		b->err = e;
}

static void headings(struct book *b, lxw_worksheet *ws, const char *const *h, int n)
{
	for (int c = 0; c < n; c++)
		text(b, ws, 0, c, h[c], b->head);
	worksheet_freeze_panes(ws, 1, 1);
	worksheet_set_column(ws, 0, 0, 22, NULL);
	worksheet_set_column(ws, 1, (lxw_col_t)(n - 1), 14, NULL);
}

static void kpi_sheet(struct book *b, const struct ds_report_pack *p)
{
	lxw_worksheet *ws = workbook_add_worksheet(b->wb, "KPI");
	static const char *const h[] = {
		"分组 group",
		"账户 accounts",
		"期初逾期 overdue (yuan)",
		"回收 recovered (yuan)",
		"回收率 recovery rate",
		"治愈 cured",
		"治愈率 cure rate",
		"承诺 promises",
		"兑现 kept",
		"兑现率 kept rate",
		"成本 cost (yuan)",
		"净回收 net (yuan)",
		"催收成本率 cost to collect",
		"接触 contacts",
		"投诉 complaints",
		"事件 incidents",
		"投诉/千次 per 1,000",
		"事件/千次 per 1,000",
	};
	headings(b, ws, h, (int)(sizeof h / sizeof h[0]));
	for (long i = 0; i < p->nkpi; i++) {
		const struct ds_kpi *k = &p->kpi[i];
		int r = (int)i + 1;
		text(b, ws, r, 0, k->group, NULL);
		number(b, ws, r, 1, (double)k->accounts, b->num);
		number(b, ws, r, 2, (double)k->overdue_start / 100, b->money);
		number(b, ws, r, 3, (double)k->recovered / 100, b->money);
		number(b, ws, r, 4, k->recovery_rate, b->rate);
		number(b, ws, r, 5, (double)k->cured, b->num);
		number(b, ws, r, 6, k->cure_rate, b->rate);
		number(b, ws, r, 7, (double)k->promises, b->num);
		number(b, ws, r, 8, (double)k->kept, b->num);
		number(b, ws, r, 9, k->kept_rate, b->rate);
		number(b, ws, r, 10, (double)k->cost / 100, b->money);
		number(b, ws, r, 11, (double)k->net / 100, b->money);
		number(b, ws, r, 12, k->cost_to_collect, b->rate);
		number(b, ws, r, 13, (double)k->contacts, b->num);
		number(b, ws, r, 14, (double)k->complaints, b->num);
		number(b, ws, r, 15, (double)k->incidents, b->num);
		number(b, ws, r, 16, k->complaints_per_1000, NULL);
		number(b, ws, r, 17, k->incidents_per_1000, NULL);
	}
}

static void roll_sheet(struct book *b, const struct ds_report_pack *p)
{
	lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Roll rates");
	const char *h[DS_BUCKETS + 1];
	h[0] = "期初 \\ 期末 from \\ to";
	for (int j = 0; j < DS_BUCKETS; j++)
		h[j + 1] = ds_bucket_name(j);
	headings(b, ws, h, DS_BUCKETS + 1);
	for (int i = 0; i < DS_BUCKETS; i++) {
		text(b, ws, i + 1, 0, ds_bucket_name(i), b->head);
		for (int j = 0; j < DS_BUCKETS; j++)
			number(b, ws, i + 1, j + 1, (double)p->roll->n[i][j], b->num);
	}
}

static void visits_sheet(struct book *b, const struct ds_report_pack *p)
{
	lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Visits");
	static const char *const h[] = {
		"细分 segment",
		"上门组 treated",
		"对照组 held out",
		"上门组还款 paid (yuan)",
		"对照组还款 paid (yuan)",
		"效果 effect (yuan)",
		"95%下限 low",
		"95%上限 high",
		"额外成本 extra cost (yuan)",
		"每元成本 cost per yuan",
		"结论 verdict",
	};
	headings(b, ws, h, (int)(sizeof h / sizeof h[0]));
	for (long i = 0; i < p->neffect; i++) {
		const struct ds_visit_effect *x = &p->effect[i];
		int r = (int)i + 1;
		char verdict[64];
		snprintf(verdict, sizeof verdict, "%s %s", ds_visit_verdict_zh(x->verdict),
		         ds_visit_verdict_name(x->verdict));
		text(b, ws, r, 0, x->segment, NULL);
		number(b, ws, r, 1, (double)x->treated, b->num);
		number(b, ws, r, 2, (double)x->held_out, b->num);
		number(b, ws, r, 3, x->paid_treated, b->money);
		number(b, ws, r, 4, x->paid_held_out, b->money);
		number(b, ws, r, 5, x->effect, b->money);
		number(b, ws, r, 6, x->lo, b->money);
		number(b, ws, r, 7, x->hi, b->money);
		number(b, ws, r, 8, x->extra_cost, b->money);
		number(b, ws, r, 9, x->cost_per_yuan, NULL);
		text(b, ws, r, 10, verdict, NULL);
	}
}

ds_err ds_report_xlsx(const struct ds_report_pack *p, const char *path, struct ds_diag *diag)
{
	struct book b = { 0 };
	lxw_workbook_options o = { .constant_memory = LXW_FALSE, .tmpdir = NULL };
	b.wb = workbook_new_opt(path, &o);
	if (!b.wb)
		return ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot create the workbook");
	b.head = workbook_add_format(b.wb);
	format_set_bold(b.head);
	format_set_bg_color(b.head, 0xE8EEF7);
	b.money = workbook_add_format(b.wb);
	format_set_num_format(b.money, "#,##0.00");
	b.rate = workbook_add_format(b.wb);
	format_set_num_format(b.rate, "0.00%");
	b.num = workbook_add_format(b.wb);
	format_set_num_format(b.num, "#,##0");
	char title[96], from[11], to[11];
	ds_date_format(p->from, from);
	ds_date_format(p->to, to);
	snprintf(title, sizeof title, "催收工作报告 Collections report %s..%s", from, to);
	lxw_doc_properties props = { .title = title, .author = "doorstep" };
	workbook_set_properties(b.wb, &props);
	kpi_sheet(&b, p);
	if (p->roll)
		roll_sheet(&b, p);
	if (p->effect)
		visits_sheet(&b, p);
	lxw_error e = workbook_close(b.wb);
	if (!b.err)
		b.err = e;
	if (b.err)
		return ds_diag_set(diag, DS_EIO, path, 0, NULL, "the workbook was not written: %s",
		                   lxw_strerror(b.err));
	return DS_OK;
}

/* ------------------------------------------------------------------- SVG */

/* Text for SVG: the five characters XML reserves escaped. */
static ds_err svg_text(struct ds_buf *out, const char *s)
{
	ds_err err = DS_OK;
	for (; *s && !err; s++) {
		switch (*s) {
		case '<':
			err = ds_buf_adds(out, "&lt;");
			break;
		case '>':
			err = ds_buf_adds(out, "&gt;");
			break;
		case '&':
			err = ds_buf_adds(out, "&amp;");
			break;
		case '"':
			err = ds_buf_adds(out, "&quot;");
			break;
		case '\'':
			err = ds_buf_adds(out, "&apos;");
			break;
		default:
			err = ds_buf_add(out, s, 1);
		}
	}
	return err;
}

ds_err ds_report_svg_bars(const char *title, const char *const *labels, const double *values, int n,
                          const char *unit, struct ds_buf *out, struct ds_diag *diag)
{
	if (n < 0 || n > 200)
		return ds_diag_set(diag, DS_ETOOBIG, NULL, 0, "bars", "at most 200 bars, not %d",
		                   n);
	double max = 0;
	for (int i = 0; i < n; i++)
		if (isfinite(values[i]) && fabs(values[i]) > max)
			max = fabs(values[i]);
	const int w = 640, left = 160, right = 90, bar = 22, gap = 8, top = 40;
	int h = top + n * (bar + gap) + 20;
	double span = w - left - right;
	ds_err err =
	        ds_buf_addf(out,
	                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
	                    " viewBox=\"0 0 %d %d\" font-family=\"Noto Sans CJK SC, sans-serif\""
	                    " font-size=\"12\"><title>",
	                    w, h, w, h);
	if (!err)
		err = svg_text(out, title ? title : "");
	if (!err)
		err = ds_buf_addf(
		        out,
		        "</title><text x=\"8\" y=\"22\" font-size=\"15\" font-weight=\"bold\">");
	if (!err)
		err = svg_text(out, title ? title : "");
	if (!err)
		err = ds_buf_adds(out, "</text>");
	for (int i = 0; i < n && !err; i++) {
		double v = isfinite(values[i]) ? values[i] : 0;
		double len = max > 0 ? fabs(v) / max * span : 0;
		int y = top + i * (bar + gap);
		err = ds_buf_addf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 8,
		                  y + bar / 2 + 4);
		if (!err)
			err = svg_text(out, labels[i] ? labels[i] : "");
		if (!err)
			err = ds_buf_addf(
			        out,
			        "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\""
			        " fill=\"%s\"/><text x=\"%.1f\" y=\"%d\">%.2f ",
			        left, y, len, bar, v < 0 ? "#c0392b" : "#2e6db4", left + len + 6,
			        y + bar / 2 + 4, v);
		if (!err)
			err = svg_text(out, unit ? unit : "");
		if (!err)
			err = ds_buf_adds(out, "</text>");
	}
	if (!err)
		err = ds_buf_adds(out, "</svg>\n");
	if (err)
		return ds_diag_set(diag, err, NULL, 0, NULL, "the chart does not fit its buffer");
	return DS_OK;
}

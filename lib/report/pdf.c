/*
 * The manager's report as a PDF in Chinese (report.h, ds_report_pdf;
 * docs/reports.md "PDF"): drawn with the documents' layer (doc.h), its
 * chart the reports' own SVG.
 */
#include "doorstep/doc.h"
#include "doorstep/report.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* What each grouping is called in a heading. */
static const char *by_zh(ds_report_by by)
{
	static const char *const zh[DS_BY_COUNT] = {
		"全部", "处置方式", "逾期阶段", "能力×意愿象限",
		"社区", "小组",     "催收员",   "实验组别",
	};
	return (unsigned)by < DS_BY_COUNT ? zh[by] : "?";
}

/* Whole yuan with thousands separated (tables are narrow; the XLSX
 * workbook keeps the fen). */
static void yuan(ds_fen fen, char *out, size_t n)
{
	long long y = llabs((long long)fen) / 100 + (llabs((long long)fen) % 100 >= 50);
	char digits[32], b[48];
	snprintf(digits, sizeof digits, "%lld", y);
	size_t len = strlen(digits), k = 0;
	if (fen < 0)
		b[k++] = '-';
	for (size_t i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			b[k++] = ',';
		b[k++] = digits[i];
	}
	b[k] = '\0';
	ds_strlcpy(out, b, n);
}

static void pct(double x, char *out, size_t n)
{
	snprintf(out, n, "%.1f%%", 100 * x);
}

/* Cells of one table, kept until it is drawn. */
#define CELL  48
#define CELLS 440 /* 44 rows of 10 */
struct grid {
	char text[CELLS][CELL];
	const char *ptr[CELLS];
	int n;
};

static void put(struct grid *g, const char *s)
{
	if (g->n >= CELLS)
		return;
	ds_strlcpy(g->text[g->n], s, CELL);
	g->ptr[g->n] = g->text[g->n];
	g->n++;
}

static void kpis(ds_doc *d, const struct ds_report_pack *p, struct grid *g)
{
	ds_doc_text(d, DS_DOC_HEAD, DS_DOC_LEFT,
	            ds_doc_fmt(d, "一、关键指标（按%s）  KPIs by %s", by_zh(p->by),
	                       ds_report_by_name(p->by)),
	            6);
	static const char *const h[] = { "分组",         "账户",     "期初逾期（元）", "回收（元）",
		                         "回收率",       "治愈率",   "兑现率",         "成本（元）",
		                         "净回收（元）", "投诉/千次" };
	g->n = 0;
	for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
		put(g, h[i]);
	long rows = p->nkpi < 40 ? p->nkpi : 40;
	for (long i = 0; i < rows; i++) {
		/* the total is the last row: keep it when groups are cut */
		const struct ds_kpi *k = &p->kpi[i == rows - 1 ? p->nkpi - 1 : i];
		char b[CELL];
		put(g, strcmp(k->group, "total") == 0 ? "合计" : k->group);
		snprintf(b, sizeof b, "%ld", k->accounts);
		put(g, b);
		yuan(k->overdue_start, b, sizeof b);
		put(g, b);
		yuan(k->recovered, b, sizeof b);
		put(g, b);
		pct(k->recovery_rate, b, sizeof b);
		put(g, b);
		pct(k->cure_rate, b, sizeof b);
		put(g, b);
		if (k->promises_judged)
			pct(k->kept_rate, b, sizeof b);
		else
			ds_strlcpy(b, "—", sizeof b);
		put(g, b);
		yuan(k->cost, b, sizeof b);
		put(g, b);
		yuan(k->net, b, sizeof b);
		put(g, b);
		snprintf(b, sizeof b, "%.2f", k->complaints_per_1000);
		put(g, b);
	}
	static const double w[] = { 48, 34, 60, 56, 40, 40, 40, 46, 56, 47 };
	ds_doc_table(d, (int)rows + 1, 10, w, g->ptr, true, 0x3FEu);
	if (p->nkpi > 40)
		ds_doc_text(d, DS_DOC_SMALL, DS_DOC_LEFT,
		            ds_doc_fmt(d,
		                       "（共 %ld 组，此处列出前 39 组及合计；全部见 XLSX 工作簿）",
		                       p->nkpi - 1),
		            6);
	/* the recovered amounts as bars, the groups only */
	long n = p->nkpi - 1 < 20 ? p->nkpi - 1 : 20;
	if (n > 0) {
		const char *labels[20];
		double v[20];
		for (long i = 0; i < n; i++) {
			labels[i] = p->kpi[i].group;
			v[i] = (double)p->kpi[i].recovered / 100;
		}
		struct ds_buf svg;
		ds_buf_init(&svg, 1 << 20);
		struct ds_diag dg;
		ds_diag_clear(&dg);
		if (ds_report_svg_bars("回收金额 Recovered", labels, v, (int)n, "元", &svg, &dg) ==
		    DS_OK)
			ds_doc_svg(d, svg.p, svg.len, DS_DOC_TEXT_W * 0.9, 10);
		else
			ds_doc_fail(d, DS_EINVAL);
		ds_buf_free(&svg);
	}
}

static void visits(ds_doc *d, const struct ds_report_pack *p, struct grid *g)
{
	ds_doc_text(d, DS_DOC_HEAD, DS_DOC_LEFT, "二、上门是否有效？  Is door-to-door useful?", 6);
	ds_doc_block(d, DS_DOC_BODY, DS_DOC_LEFT, 2, 0,
	             ds_doc_fmt(d,
	                        "依据随机对照（实验 %s）：每个账户自首次决策起 %d "
	                        "日内的还款，上门策略组与随机留出的对照组相比；区间为 95%% "
	                        "置信区间（自助法）。每组至少 %d 个账户才下结论。",
	                        p->experiment ? p->experiment : "visit-holdout",
	                        p->horizon > 0 ? p->horizon : 30, DS_EFFECT_MIN_ARM),
	             6);
	if (!p->effect || p->neffect == 0) {
		ds_doc_text(d, DS_DOC_BODY, DS_DOC_LEFT, "尚无到期的实验数据。", 10);
		return;
	}
	static const char *const h[] = { "细分",
		                         "上门组",
		                         "对照组",
		                         "效果（元/户）",
		                         "95% 区间",
		                         "额外成本（元/户）",
		                         "每增收 1 元成本",
		                         "结论" };
	g->n = 0;
	for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
		put(g, h[i]);
	long rows = p->neffect < 40 ? p->neffect : 40;
	long harm = 0;
	for (long i = 0; i < rows; i++) {
		const struct ds_visit_effect *x = &p->effect[i];
		char b[CELL];
		put(g, x->segment);
		snprintf(b, sizeof b, "%ld", x->treated);
		put(g, b);
		snprintf(b, sizeof b, "%ld", x->held_out);
		put(g, b);
		snprintf(b, sizeof b, "%+.2f", x->effect);
		put(g, b);
		snprintf(b, sizeof b, "%+.0f ~ %+.0f", x->lo, x->hi);
		put(g, b);
		snprintf(b, sizeof b, "%.2f", x->extra_cost);
		put(g, b);
		if (x->cost_per_yuan > 0)
			snprintf(b, sizeof b, "%.3f", x->cost_per_yuan);
		else
			ds_strlcpy(b, "—", sizeof b);
		put(g, b);
		put(g, ds_visit_verdict_zh(x->verdict));
		harm += x->verdict == DS_VERDICT_HARM;
	}
	static const double w[] = { 80, 40, 40, 56, 70, 62, 62, 57 };
	ds_doc_table(d, (int)rows + 1, 8, w, g->ptr, true, 0x7Eu);
	if (harm)
		ds_doc_block(d, DS_DOC_BODY, DS_DOC_LEFT, 0, strlen("注意："),
		             ds_doc_fmt(d,
		                        "注意：%ld 个细分中上门使还款减少（区间上限低于零），"
		                        "应停止对这些账户上门。",
		                        harm),
		             8);
	ds_doc_text(d, DS_DOC_SMALL, DS_DOC_LEFT,
	            "结论：值得 = 区间下限高于额外成本；不值得 = 区间上限低于额外成本；有害 = "
	            "区间上限低于零；不确定 = 区间包含额外成本；数据不足 = 任一组少于规定户数。",
	            12);
}

static void roll(ds_doc *d, const struct ds_report_pack *p, struct grid *g)
{
	if (!p->roll)
		return;
	ds_doc_text(d, DS_DOC_HEAD, DS_DOC_LEFT, "三、迁徙率（期初 → 期末）  Roll rates", 6);
	g->n = 0;
	put(g, "期初＼期末");
	for (int j = 0; j < DS_BUCKETS; j++)
		put(g, ds_bucket_name(j));
	put(g, "恶化率");
	for (int i = 0; i < DS_BUCKETS; i++) {
		put(g, ds_bucket_name(i));
		long all = 0, worse = 0;
		for (int j = 0; j < DS_BUCKETS; j++) {
			char b[CELL];
			snprintf(b, sizeof b, "%ld", p->roll->n[i][j]);
			put(g, b);
			all += p->roll->n[i][j];
			worse += j > i ? p->roll->n[i][j] : 0;
		}
		char b[CELL];
		if (all)
			pct((double)worse / (double)all, b, sizeof b);
		else
			ds_strlcpy(b, "—", sizeof b);
		put(g, b);
	}
	double w[DS_BUCKETS + 2];
	w[0] = 62;
	for (int j = 1; j <= DS_BUCKETS; j++)
		w[j] = 40;
	w[DS_BUCKETS + 1] = DS_DOC_TEXT_W - 62 - 40 * DS_BUCKETS;
	ds_doc_table(d, DS_BUCKETS + 1, DS_BUCKETS + 2, w, g->ptr, true, ~1u);
}

static void literacy(ds_doc *d, const struct ds_report_pack *p)
{
	const struct ds_literacy_effect *e = p->literacy;
	if (!e)
		return;
	ds_doc_text(d, DS_DOC_HEAD, DS_DOC_LEFT,
	            "四、金融知识宣传与新增逾期  Financial-literacy events", 6);
	if (e->events == 0) {
		ds_doc_text(d, DS_DOC_BODY, DS_DOC_LEFT, "期内没有可评估的宣传活动。", 10);
		return;
	}
	ds_doc_block(
	        d, DS_DOC_BODY, DS_DOC_LEFT, 2, 0,
	        ds_doc_fmt(d,
	                   "%ld 场活动（%ld 个活动社区，%ld 个对照社区）。新增逾期率：活动社区 "
	                   "%.2f%% → %.2f%%，对照社区 %.2f%% → %.2f%%；双重差分 %+.2f "
	                   "个百分点（95%% 区间 %+.2f ~ %+.2f，按社区整群自助法）。%s",
	                   e->events, e->treated_units, e->control_units, 100 * e->before_treated,
	                   100 * e->after_treated, 100 * e->before_control, 100 * e->after_control,
	                   100 * e->did, 100 * e->lo, 100 * e->hi,
	                   e->hi < 0   ? "活动后新增逾期明显下降。"
	                   : e->lo > 0 ? "活动后新增逾期反而上升。"
	                               : "尚不能确定活动的作用。"),
	        12);
}

ds_err ds_report_pdf(const struct ds_report_pack *p, ds_date generated, const char *path,
                     struct ds_diag *diag)
{
	if (!p || !p->kpi || p->nkpi < 1)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "no KPIs to report");
	char f[11], t[11], g[11], created[32];
	ds_date_format(p->from, f);
	ds_date_format(p->to, t);
	ds_date_format(generated, g);
	snprintf(created, sizeof created, "%sT00:00:00", g);
	ds_doc *d;
	ds_err err = ds_doc_open(path, "催收成效报告", created, &d, diag);
	if (err)
		return err;
	ds_doc_set_footer(d, ds_doc_fmt(d, "doorstep 催收成效报告　%s 至 %s", f, t));
	ds_doc_text(d, DS_DOC_TITLE, DS_DOC_CENTER, "催收成效报告", 2);
	ds_doc_text(d, DS_DOC_SMALL, DS_DOC_CENTER, "Collections report", 6);
	ds_doc_text(d, DS_DOC_BODY, DS_DOC_CENTER,
	            ds_doc_fmt(d, "统计期间：%s 至 %s　　生成日期：%s", f, t, g), 10);
	ds_doc_rule(d, 12);
	struct grid *cells = ds_malloc(sizeof *cells);
	if (!cells) {
		ds_doc_abandon(d);
		return ds_diag_set(diag, DS_ENOMEM, path, 0, NULL, "out of memory");
	}
	kpis(d, p, cells);
	visits(d, p, cells);
	roll(d, p, cells);
	literacy(d, p);
	ds_free(cells);
	ds_doc_rule(d, 6);
	ds_doc_text(d, DS_DOC_SMALL, DS_DOC_LEFT,
	            "说明：第二部分来自随机留出的对照组，是因果估计；其余各项为描述性统计，"
	            "组间差异可能来自账户本身的不同，不宜解读为处置方式的效果。金额单位为元。",
	            0);
	return ds_doc_close(d, diag);
}

/* Unit tests of the field documents (lib/field/letter.c): amounts in
 * capitals, the notice and the receipt as PDFs read back with pdftotext. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <ft2build.h>
#include FT_FREETYPE_H

#include "doorstep/field.h"

/*
 * Under the sanitizers (clang build): two leaks that are not ours, and only
 * these, are let through. Both stacks run through system libraries built
 * without frame pointers, so malloc's stacks are unwound the slow way to
 * reach the frames named here.
 *  - cairo 1.16's CFF subsetter leaks an index array for each CID font it
 *    embeds (upstream fc1d6caa8, "Fix memory leak in
 *    cairo_cff_font_read_cid_fontdict"); it is allocated while the PDF
 *    surface is finished, so nothing the library owns is among them.
 *  - fontconfig's configuration, parsed once per process.
 * The hooks are read by ASan/LSan at start-up and are inert without them.
 */
const char *__asan_default_options(void);
const char *__lsan_default_suppressions(void);

const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void)
{
	return "leak:cairo_surface_finish\n"
	       "leak:FcInitLoadConfigAndFonts\n";
}

static char dir[64];

static int setup(void **state)
{
	(void)state;
	ds_strlcpy(dir, "/tmp/ds-letter-XXXXXX", sizeof dir);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

/* ------------------------------------------------------------ capitals */

static void capitals_table(void **state)
{
	(void)state;
	struct {
		ds_fen fen;
		const char *want;
	} cases[] = {
		{ 0, "零元整" },
		{ 5, "伍分" },                            /* 0.05 yuan */
		{ 50, "伍角" },                           /* 0.5 yuan */
		{ 55, "伍角伍分" },                       /* 0.55 yuan */
		{ 100, "壹元整" },                        /* 1 yuan */
		{ 1000, "壹拾元整" },                     /* 10: 壹 never dropped */
		{ 1005, "壹拾元零伍分" },                 /* 10.05 */
		{ 1050, "壹拾元零伍角" },                 /* 10.50 */
		{ 1205, "壹拾贰元零伍分" },               /* 12.05: 角 is 0 */
		{ 10010, "壹佰元零壹角" },                /* 100.10 */
		{ 100500, "壹仟零伍元整" },               /* 1005 */
		{ 100000, "壹仟元整" },                   /* 1000 */
		{ 123456, "壹仟贰佰叁拾肆元伍角陆分" },   /* 1234.56 */
		{ 168032, "壹仟陆佰捌拾元零叁角贰分" },   /* 1680.32 */
		{ 10000000, "壹拾万元整" },               /* 100000 */
		{ 10000100, "壹拾万零壹元整" },           /* 10,0001 */
		{ 10700053, "壹拾万零柒仟元零伍角叁分" }, /* 10,7000.53 */
		{ 100000000, "壹佰万元整" },              /* 1,000,000 */
		{ 100001000, "壹佰万零壹拾元整" },        /* 1,000,010 */
		{ 10000000000, "壹亿元整" },              /* 1,0000,0000 */
		{ 10000500000, "壹亿零伍仟元整" },        /* 1,0000,5000 */
		{ 10100000000, "壹亿零壹佰万元整" },      /* 1,0100,0000 */
		{ 100000000000, "壹拾亿元整" },           /* 10,0000,0000 */
		{ 100000000000000, "壹万亿元整" },        /* 1,0000,0000,0000 */
		{ 100000000000100, "壹万亿零壹元整" },    /* 1,0000,0000,0001 */
		{ INT64_MAX, "玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿"
		             "陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[400];
		assert_int_equal(ds_money_capitals(cases[i].fen, out, sizeof out), DS_OK);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("%lld fen: got %s, want %s", (long long)cases[i].fen, out,
			         cases[i].want);
	}
}

static void capitals_refusals(void **state)
{
	(void)state;
	char out[64] = "x";
	assert_int_equal(ds_money_capitals(-1, out, sizeof out), DS_EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(ds_money_capitals(INT64_MIN, out, sizeof out), DS_EINVAL);
	/* 壹元整 is 9 bytes and its terminator */
	assert_int_equal(ds_money_capitals(100, out, 9), DS_ETOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(ds_money_capitals(100, out, 10), DS_OK);
	assert_string_equal(out, "壹元整");
	assert_int_equal(ds_money_capitals(100, NULL, 0), DS_ETOOBIG);
}

/* ------------------------------------------------------------ reading PDFs */

/* The output of a poppler tool on the file, whitespace removed (pdftotext
 * breaks lines wherever the layout wrapped them). Caller frees. */
static char *tool_output(const char *tool, const char *path, bool squeeze)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "%s '%s' %s 2>/dev/null", tool, path,
	         strncmp(tool, "pdftotext", 9) == 0 ? "-" : "");
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	int c;
	while ((c = fgetc(p)) != EOF) {
		if (squeeze && (c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\r'))
			continue;
		if (n + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	assert_int_equal(pclose(p), 0);
	return buf;
}

static char *pdf_text(const char *path)
{
	return tool_output("pdftotext -enc UTF-8", path, true);
}

static void assert_has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("'%s' not in the PDF's text:\n%s", want, text);
}

/*
 * Every glyph of every embedded font loads. pdftotext reads the text
 * layer, which stays whole even when a glyph's outline is broken (cairo's
 * CFF subsetter can drop subroutines a glyph needs, see letter.c), so the
 * outlines are checked with FreeType itself. FreeType is opened at run
 * time: it is pango's dependency, not on this program's link line.
 */
typedef FT_Error (*ft_init_fn)(FT_Library *);
typedef FT_Error (*ft_face_fn)(FT_Library, const FT_Byte *, FT_Long, FT_Long, FT_Face *);
typedef FT_Error (*ft_load_fn)(FT_Face, FT_UInt, FT_Int32);
typedef FT_Error (*ft_done_face_fn)(FT_Face);
typedef FT_Error (*ft_done_fn)(FT_Library);

static unsigned char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	unsigned char *p = malloc((size_t)len);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

static unsigned char *inflate_all(const unsigned char *in, size_t n, size_t *outn)
{
	size_t cap = 1 << 20;
	unsigned char *out = malloc(cap);
	assert_non_null(out);
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(inflateInit(&z), Z_OK);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)n;
	int st;
	do {
		if (z.total_out == cap) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		z.next_out = out + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		st = inflate(&z, Z_NO_FLUSH);
	} while (st == Z_OK);
	assert_int_equal(st, Z_STREAM_END);
	*outn = z.total_out;
	inflateEnd(&z);
	return out;
}

static const unsigned char *find(const unsigned char *p, const unsigned char *end, const char *s)
{
	size_t k = strlen(s);
	for (; p + k <= end; p++)
		if (memcmp(p, s, k) == 0)
			return p;
	return NULL;
}

static void assert_glyphs_whole(const char *path)
{
	void *ft = dlopen("libfreetype.so.6", RTLD_NOW | RTLD_LOCAL);
	assert_non_null(ft);
	ft_init_fn init = (ft_init_fn)dlsym(ft, "FT_Init_FreeType");
	ft_face_fn face_new = (ft_face_fn)dlsym(ft, "FT_New_Memory_Face");
	ft_load_fn load = (ft_load_fn)dlsym(ft, "FT_Load_Glyph");
	ft_done_face_fn face_done = (ft_done_face_fn)dlsym(ft, "FT_Done_Face");
	ft_done_fn done = (ft_done_fn)dlsym(ft, "FT_Done_FreeType");
	assert_true(init && face_new && load && face_done && done);
	FT_Library lib;
	assert_int_equal(init(&lib), 0);

	size_t n;
	unsigned char *pdf = read_all(path, &n);
	const unsigned char *end = pdf + n, *p = pdf;
	int fonts = 0;
	/* cairo writes each font program as << ... /Subtype /CIDFontType0C >>
	 * stream ... endstream, deflated */
	while ((p = find(p, end, "/CIDFontType0C")) != NULL) {
		const unsigned char *s = find(p, end, "stream");
		assert_non_null(s);
		s += strlen("stream");
		while (*s == '\r' || *s == '\n')
			s++;
		const unsigned char *e = find(s, end, "endstream");
		assert_non_null(e);
		size_t cffn;
		unsigned char *cff = inflate_all(s, (size_t)(e - s), &cffn);
		FT_Face face;
		assert_int_equal(face_new(lib, cff, (FT_Long)cffn, 0, &face), 0);
		for (FT_Long g = 1; g < face->num_glyphs; g++)
			if (load(face, (FT_UInt)g, FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP) != 0)
				fail_msg("%s: font %d: glyph %ld broken", path, fonts, (long)g);
		face_done(face);
		free(cff);
		fonts++;
		p = e;
	}
	assert_true(fonts > 0);
	free(pdf);
	done(lib);
	dlclose(ft);
}

static void assert_pdf(const char *path, int pages)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char head[6] = { 0 };
	assert_int_equal(fread(head, 1, 5, f), 5);
	fclose(f);
	assert_string_equal(head, "%PDF-");
	char *info = tool_output("pdfinfo", path, true);
	char want[32];
	snprintf(want, sizeof want, "Pages:%d", pages);
	assert_has(info, want);
	free(info);
	/* the fonts asked for, embedded; not a fallback */
	char *fonts = tool_output("pdffonts", path, false);
	if (!strstr(fonts, "NotoSerifCJK") || !strstr(fonts, "NotoSansCJK"))
		fail_msg("fonts:\n%s", fonts);
	free(fonts);
	assert_glyphs_whole(path);
}

/* ------------------------------------------------------------ the notice */

static struct ds_notice_letter notice(void)
{
	return (struct ds_notice_letter){
		.bank_name = "示例银行股份有限公司杭州分行",
		.bank_phone = "95500",
		.bank_address = "浙江省杭州市西湖区文三路100号",
		.borrower_name = "张三丰",
		.address = "杭州市拱墅区米市巷街道湖墅南路8号2幢301室",
		.account_masked = "6222 **** **** 1234",
		.balance_fen = 1234567,
		.overdue_fen = 356789,
		.days_past_due = 45,
		.letter_date = ds_date_from_ymd(2024, 7, 1),
		.visit_date = ds_date_from_ymd(2024, 7, 8),
		.visit_window = "14:00-16:00",
		.team = "催收员 王* 与 社区工作者 李*",
		.reference = "N2024-000123",
	};
}

static void notice_letter(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/notice.pdf", dir);
	struct ds_notice_letter l = notice();
	struct ds_diag d;
	assert_int_equal(ds_letter_notice_pdf(&l, path, &d), DS_OK);
	assert_pdf(path, 1);
	char *t = pdf_text(path);
	const char *want[] = {
		"上门拜访提前通知书",
		"张三丰",
		"12345.67",                     /* the balance */
		"3567.89",                      /* the overdue amount */
		"壹万贰仟叁佰肆拾伍元陆角柒分", /* the balance in capitals */
		"叁仟伍佰陆拾柒元捌角玖分",     /* the overdue amount in capitals */
		"逾期45天",
		"民法典",
		"《中华人民共和国民法典》合同编",
		"金融机构个人消费类贷款催收工作指引（试行）",
		"不受骚扰",
		"隐私受保护",
		"可要求出示证件",
		"有权拒绝入户",
		"协商还款",
		"对欠款有异议",
		"收到本通知之日起",
		"95500",
		"浙江省杭州市西湖区文三路100号",
		"2024年7月8日", /* the visit */
		"14:00-16:00",
		"催收员王*与社区工作者李*",
		"2024年7月1日", /* the letter */
		"N2024-000123",
		"6222********1234",
		"银行印章",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		assert_has(t, want[i]);
	assert_null(strstr(t, "(null)"));
	free(t);
	/* the temporary file it was written through is gone */
	char cmd[160];
	snprintf(cmd, sizeof cmd, "test $(ls '%s' | wc -l) -eq 1", dir);
	assert_int_equal(system(cmd), 0);
	unlink(path);
}

/* The same letter twice: the same bytes (the notice's hash is stored). */
static void notice_reproducible(void **state)
{
	(void)state;
	char a[128], b[128], cmd[300];
	snprintf(a, sizeof a, "%s/a.pdf", dir);
	snprintf(b, sizeof b, "%s/b.pdf", dir);
	struct ds_notice_letter l = notice();
	struct ds_diag d;
	assert_int_equal(ds_letter_notice_pdf(&l, a, &d), DS_OK);
	assert_int_equal(ds_letter_notice_pdf(&l, b, &d), DS_OK);
	snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
	assert_int_equal(system(cmd), 0);
	unlink(a);
	unlink(b);
}

static void notice_sparse(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/sparse.pdf", dir);
	struct ds_notice_letter l = {
		.balance_fen = 100000,
		.overdue_fen = 0,
		.days_past_due = 3,
		.letter_date = ds_date_from_ymd(2024, 7, 1),
		.visit_date = ds_date_from_ymd(2024, 7, 8),
		.borrower_name = "",
	};
	struct ds_diag d;
	assert_int_equal(ds_letter_notice_pdf(&l, path, &d), DS_OK);
	assert_pdf(path, 1);
	char *t = pdf_text(path);
	assert_has(t, "尊敬的客户");
	assert_has(t, "壹仟元整");
	assert_has(t, "零元整");
	assert_has(t, "逾期3天");
	assert_has(t, "对欠款有异议");
	assert_null(strstr(t, "(null)"));
	assert_null(strstr(t, "（）"));
	assert_null(strstr(t, "编号"));
	free(t);
	unlink(path);
}

/* Some three hundred different ideographs in the borrower's texts: each
 * one drawn whole (cairo's subsetter breaks glyphs by the company they
 * keep, so a wide sample is the check). */
static void notice_many_glyphs(void **state)
{
	(void)state;
	char path[128], addr[1001], team[1001];
	snprintf(path, sizeof path, "%s/glyphs.pdf", dir);
	size_t na = 0, nt = 0;
	for (int i = 0; i < 300; i++) {
		/* spread over U+4E00..U+9FA5, the URO's ideographs, in UTF-8 */
		unsigned a = 0x4E00 + (unsigned)i * 67, t = 0x4E21 + (unsigned)i * 61;
		if (na + 3 < sizeof addr && i < 200) {
			addr[na++] = (char)(0xE0 | (a >> 12));
			addr[na++] = (char)(0x80 | ((a >> 6) & 0x3F));
			addr[na++] = (char)(0x80 | (a & 0x3F));
		}
		if (nt + 3 < sizeof team && i >= 100) {
			team[nt++] = (char)(0xE0 | (t >> 12));
			team[nt++] = (char)(0x80 | ((t >> 6) & 0x3F));
			team[nt++] = (char)(0x80 | (t & 0x3F));
		}
	}
	addr[na] = '\0';
	team[nt] = '\0';
	struct ds_notice_letter l = notice();
	l.address = addr;
	l.team = team;
	struct ds_diag d;
	assert_int_equal(ds_letter_notice_pdf(&l, path, &d), DS_OK);
	assert_glyphs_whole(path);
	char *t = pdf_text(path);
	assert_has(t, addr);
	free(t);
	unlink(path);
}

/* Texts near their caps push the letter onto a second page, not off it. */
static void notice_long_texts(void **state)
{
	(void)state;
	char path[128], big[1001];
	snprintf(path, sizeof path, "%s/long.pdf", dir);
	/* 333 characters of three bytes: 999 bytes */
	for (int i = 0; i < 333; i++)
		memcpy(big + 3 * i, "路", 3);
	big[999] = '\0';
	struct ds_notice_letter l = notice();
	l.address = big;
	l.team = big;
	l.bank_address = big;
	struct ds_diag d;
	assert_int_equal(ds_letter_notice_pdf(&l, path, &d), DS_OK);
	char *info = tool_output("pdfinfo", path, true);
	assert_has(info, "Pages:2");
	free(info);
	unlink(path);
}

static void notice_refusals(void **state)
{
	(void)state;
	char path[128], big[1002];
	snprintf(path, sizeof path, "%s/refused.pdf", dir);
	memset(big, 'a', 1001);
	big[1001] = '\0';
	struct ds_diag d;

	struct ds_notice_letter l = notice();
	l.team = big;
	assert_int_equal(ds_letter_notice_pdf(&l, path, &d), DS_EINVAL);
	assert_string_equal(d.field, "team");
	big[1000] = '\0'; /* exactly the cap: accepted */
	assert_int_equal(ds_letter_notice_pdf(&l, path, &d), DS_OK);
	unlink(path);

	l = notice();
	l.borrower_name = "\xff\xfe";
	assert_int_equal(ds_letter_notice_pdf(&l, path, &d), DS_EENCODING);
	assert_string_equal(d.field, "borrower_name");

	l = notice();
	l.balance_fen = -1;
	assert_int_equal(ds_letter_notice_pdf(&l, path, &d), DS_EINVAL);
	assert_string_equal(d.field, "balance_fen");

	assert_int_equal(ds_letter_notice_pdf(NULL, path, &d), DS_EINVAL);
	l = notice();
	assert_int_equal(ds_letter_notice_pdf(&l, "", &d), DS_EINVAL);
	assert_int_equal(access(path, F_OK), -1);
}

static void bad_paths(void **state)
{
	(void)state;
	struct ds_notice_letter l = notice();
	struct ds_diag d;
	char msg[1024];

	const char *missing = "/nonexistent-doorstep-dir/notice.pdf";
	assert_int_equal(ds_letter_notice_pdf(&l, missing, &d), DS_EIO);
	assert_string_equal(d.file, missing);
	assert_non_null(strstr(d.msg, missing));
	ds_diag_format(&d, msg, sizeof msg);
	assert_non_null(strstr(msg, missing));

	/* a directory where the file should go: written, then not renamed */
	assert_int_equal(ds_letter_notice_pdf(&l, dir, &d), DS_EIO);
	assert_non_null(strstr(d.msg, dir));
	char cmd[160];
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -d '%s'.* 2>/dev/null)\"", dir);
	assert_int_equal(system(cmd), 0); /* no temporary file left beside it */

	struct ds_receipt_doc r = { .receipt_no = "R2024-000001",
		                    .amount_fen = 100,
		                    .zone = "Asia/Shanghai" };
	assert_int_equal(ds_letter_receipt_pdf(&r, missing, &d), DS_EIO);
	assert_non_null(strstr(d.msg, missing));
}

/* ------------------------------------------------------------ the receipt */

static struct ds_receipt_doc receipt(void)
{
	ds_time at;
	assert_int_equal(ds_time_parse("2024-07-08T06:35:00Z", "UTC", &at), DS_OK);
	return (struct ds_receipt_doc){
		.bank_name = "示例银行股份有限公司杭州分行",
		.bank_phone = "95500",
		.receipt_no = "R2024-000123",
		.borrower_name = "张三丰",
		.account_masked = "6222 **** **** 1234",
		.amount_fen = 10000100,
		.method = "cash",
		.taken_at = at,
		.zone = "Asia/Shanghai",
		.taken_by = "催收员 王*（工号 C0042）",
	};
}

static void receipt_doc(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/receipt.pdf", dir);
	struct ds_receipt_doc r = receipt();
	struct ds_diag d;
	assert_int_equal(ds_letter_receipt_pdf(&r, path, &d), DS_OK);
	assert_pdf(path, 1);
	char *t = pdf_text(path);
	const char *want[] = {
		"收款收据",       "R2024-000123",
		"张三丰",         "6222********1234",
		"100001.00",      "人民币壹拾万零壹元整",
		"现金",           "2024年7月8日14:35", /* 06:35 UTC in Shanghai */
		"Asia/Shanghai",  "催收员王*",
		"以银行入账为准", "95500",
		"银行印章",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		assert_has(t, want[i]);
	assert_null(strstr(t, "(null)"));
	free(t);
	unlink(path);

	/* by card, shown in another zone */
	r.method = "card";
	r.zone = "Europe/London";
	r.taken_by = NULL;
	assert_int_equal(ds_letter_receipt_pdf(&r, path, &d), DS_OK);
	t = pdf_text(path);
	assert_has(t, "银行卡");
	assert_has(t, "2024年7月8日07:35");
	assert_null(strstr(strstr(t, "收款人") + 1, "收款人")); /* only 收款人签字 */
	assert_null(strstr(t, "(null)"));
	free(t);
	unlink(path);
}

static void receipt_refusals(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/refused.pdf", dir);
	struct ds_diag d;
	struct ds_receipt_doc r = receipt();
	r.method = "cheque";
	assert_int_equal(ds_letter_receipt_pdf(&r, path, &d), DS_EINVAL);
	assert_string_equal(d.field, "method");
	r = receipt();
	r.zone = "CST";
	assert_int_equal(ds_letter_receipt_pdf(&r, path, &d), DS_EINVAL);
	assert_string_equal(d.field, "zone");
	r.zone = NULL;
	assert_int_equal(ds_letter_receipt_pdf(&r, path, &d), DS_EINVAL);
	r = receipt();
	r.amount_fen = 0;
	assert_int_equal(ds_letter_receipt_pdf(&r, path, &d), DS_EINVAL);
	r = receipt();
	r.receipt_no = NULL;
	assert_int_equal(ds_letter_receipt_pdf(&r, path, &d), DS_EINVAL);
	assert_string_equal(d.field, "receipt_no");
	assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(capitals_table),    cmocka_unit_test(capitals_refusals),
		cmocka_unit_test(notice_letter),     cmocka_unit_test(notice_reproducible),
		cmocka_unit_test(notice_sparse),     cmocka_unit_test(notice_many_glyphs),
		cmocka_unit_test(notice_long_texts), cmocka_unit_test(notice_refusals),
		cmocka_unit_test(bad_paths),         cmocka_unit_test(receipt_doc),
		cmocka_unit_test(receipt_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

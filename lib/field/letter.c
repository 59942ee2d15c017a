/*
 * The field documents (field.h, "the letters"): the notice of a visit and
 * the receipt for money taken at the door, each an A4 PDF drawn with cairo
 * and pango in Noto CJK; and amounts in Chinese capital numerals.
 *
 * Text is laid out by pango and shown with pango_cairo_show_layout, so the
 * PDF carries real text (with ToUnicode maps) that can be searched, copied
 * and read aloud, not outlines.
 */
#include "doorstep/field.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <errno.h>
#include <pango/pangocairo.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

#define PAGE_W   595.28 /* A4 in points */
#define PAGE_H   841.89
#define MARGIN_X 64.0
#define MARGIN_T 60.0
#define MARGIN_B 64.0
#define TEXT_W   (PAGE_W - 2 * MARGIN_X)

#define SERIF "Noto Serif CJK SC"
#define SANS  "Noto Sans CJK SC"

/* The cap on every text field: a name, an address, a team fit well
 * within it, and a page cannot hold much more. */
#define TEXT_MAX 1000
/* The days a borrower has to dispute the debt after the notice (no
 * setting yet: the CN rules ask for a stated period, not a given one). */
#define DISPUTE_DAYS 15
/* A paragraph: a few fields at their caps and the words around them. */
#define PARA_MAX (16 * 1024)

struct font {
	const char *family;
	double size; /* points */
	bool bold;
};

/*
 * Serif (宋体's part) for the text, sans bold (黑体's) for headings and
 * labels. Noto Sans CJK *Regular* is left out on purpose: cairo's CFF
 * subsetter (1.16, and its later versions parse charstrings the same way)
 * drops subroutines some of its glyphs need when they were first met in
 * another glyph, and the glyph vanishes from the page while the text
 * layer still has it (如 nearly always; about one page in 25 of random
 * text). The other three faces came through thousands of such pages
 * intact; tests/unit/test_letter.c checks every embedded glyph.
 */
static const struct font F_TITLE = { SERIF, 20, true };
static const struct font F_BODY = { SERIF, 10.5, false };
static const struct font F_TABLE = { SERIF, 10, false };
static const struct font F_LABEL = { SANS, 9.5, true }; /* table headings and labels */
static const struct font F_SMALL = { SERIF, 8.5, false };
static const struct font F_HEAD = { SANS, 11, true };
static const struct font F_BANK = { SANS, 12, true };

/* One document being drawn. Errors are sticky: once err is set the rest
 * of the drawing is skipped and doc_close removes the partial file. */
struct doc {
	const char *path;
	char *tmp; /* the file written, renamed to path when complete */
	FILE *f;
	int write_errno; /* the first failed write's */
	cairo_surface_t *surface;
	cairo_t *cr;
	PangoFontMap *fonts;
	PangoContext *pc;
	double y;     /* the top of the next block */
	double width; /* of the blocks: the text's, or less beside the seal */
	int page;
	const char *footer; /* on every page, NULL: none */
	ds_err err;
	struct ds_buf text; /* scratch for the text of one block */
};

static bool has(const char *s)
{
	return s && *s;
}

/* cairo's output: the file, and why a write failed (cairo only says that
 * it did) */
static cairo_status_t write_out(void *closure, const unsigned char *data, unsigned int len)
{
	struct doc *d = closure;
	if (fwrite(data, 1, len, d->f) == len)
		return CAIRO_STATUS_SUCCESS;
	if (!d->write_errno)
		d->write_errno = errno ? errno : EIO;
	return CAIRO_STATUS_WRITE_ERROR;
}

/*
 * Opens a document at path: written into a temporary file beside it and
 * renamed when complete, so a reader (or the notice's hash) never sees half
 * a letter. mkstemp's mode 0600 is kept on purpose: the documents carry
 * personal data. `created` (ISO 8601) is the PDF's creation date, taken
 * from the document rather than the clock so the same letter gives the
 * same bytes.
 */
static ds_err doc_open(struct doc *d, const char *path, const char *title, const char *created,
                       struct ds_diag *diag)
{
	memset(d, 0, sizeof *d);
	d->path = path;
	ds_buf_init(&d->text, PARA_MAX);
	size_t n = strlen(path) + sizeof ".XXXXXX";
	d->tmp = ds_malloc(n);
	if (!d->tmp)
		return ds_diag_set(diag, DS_ENOMEM, path, 0, NULL, "out of memory");
	snprintf(d->tmp, n, "%s.XXXXXX", path);
	int fd = mkstemp(d->tmp);
	if (fd < 0) {
		int e = errno;
		ds_free(d->tmp);
		d->tmp = NULL;
		return ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot write %s: %s", path,
		                   strerror(e));
	}
	d->f = fdopen(fd, "wb");
	if (!d->f) {
		int e = errno;
		close(fd);
		unlink(d->tmp);
		ds_free(d->tmp);
		d->tmp = NULL;
		return ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot write %s: %s", path,
		                   strerror(e));
	}
	d->surface = cairo_pdf_surface_create_for_stream(write_out, d, PAGE_W, PAGE_H);
	cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_TITLE, title);
	cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_CREATOR, "doorstep");
	cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_CREATE_DATE, created);
	d->cr = cairo_create(d->surface);
	/* A font map of our own rather than pango's per-thread default: it
	 * lives exactly as long as the document, whatever thread draws it. */
	d->fonts = pango_cairo_font_map_new();
	d->pc = pango_font_map_create_context(d->fonts);
	/* the PDF's user unit is the point: 72 per inch, not the screen's 96 */
	pango_cairo_context_set_resolution(d->pc, 72);
	/* hinting snaps glyphs to a screen's pixels; on paper it only
	 * distorts the spacing */
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	pango_cairo_context_set_font_options(d->pc, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_round_glyph_positions(d->pc, FALSE);
	pango_cairo_update_context(d->cr, d->pc);
	d->y = MARGIN_T;
	d->width = TEXT_W;
	d->page = 1;
	return DS_OK;
}

/*
 * Both families installed: fontconfig would otherwise quietly substitute
 * another font, and a letter in a font without these glyphs prints boxes.
 */
static ds_err fonts_present(struct doc *d, struct ds_diag *diag)
{
	static const char *const families[] = { SERIF, SANS };
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
		PangoFontDescription *want = pango_font_description_new();
		pango_font_description_set_family(want, families[i]);
		pango_font_description_set_absolute_size(want, 10 * PANGO_SCALE);
		PangoFont *font = pango_font_map_load_font(d->fonts, d->pc, want);
		pango_font_description_free(want);
		bool ok = false;
		if (font) {
			PangoFontDescription *got = pango_font_describe(font);
			const char *family = pango_font_description_get_family(got);
			ok = family && g_ascii_strcasecmp(family, families[i]) == 0;
			pango_font_description_free(got);
			g_object_unref(font);
		}
		if (!ok)
			return ds_diag_set(diag, DS_ECONFIG, NULL, 0, NULL,
			                   "font '%s' is not installed (Debian: fonts-noto-cjk)",
			                   families[i]);
	}
	return DS_OK;
}

/* Releases everything; the temporary file is removed unless it was renamed. */
static void doc_release(struct doc *d)
{
	if (d->pc)
		g_object_unref(d->pc);
	if (d->fonts)
		g_object_unref(d->fonts);
	if (d->cr)
		cairo_destroy(d->cr);
	if (d->surface)
		cairo_surface_destroy(d->surface);
	if (d->f)
		fclose(d->f);
	if (d->tmp) {
		unlink(d->tmp);
		ds_free(d->tmp);
	}
	ds_buf_free(&d->text);
	memset(d, 0, sizeof *d);
}

static PangoLayout *layout_new(struct doc *d, const struct font *f, double width,
                               PangoAlignment align, const char *text)
{
	PangoLayout *l = pango_layout_new(d->pc);
	PangoFontDescription *fd = pango_font_description_new();
	pango_font_description_set_family(fd, f->family);
	pango_font_description_set_absolute_size(fd, f->size * PANGO_SCALE);
	pango_font_description_set_weight(fd, f->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, (int)(width * PANGO_SCALE));
	/* Chinese breaks between any two characters; long Latin runs
	 * (account numbers, addresses in pinyin) break where they must */
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(l, align);
	pango_layout_set_text(l, text, -1);
	return l;
}

static double layout_height(PangoLayout *l)
{
	int w, h;
	pango_layout_get_size(l, &w, &h);
	return (double)h / PANGO_SCALE;
}

static void show(struct doc *d, PangoLayout *l, double x, double y, double gray)
{
	cairo_set_source_rgb(d->cr, gray, gray, gray);
	cairo_move_to(d->cr, x, y);
	pango_cairo_show_layout(d->cr, l);
}

static void footer(struct doc *d)
{
	if (!d->footer)
		return;
	ds_buf_reset(&d->text);
	if (ds_buf_addf(&d->text, "%s　第 %d 页", d->footer, d->page) != DS_OK)
		return; /* a footer too long to write is left off, not an error */
	PangoLayout *l = layout_new(d, &F_SMALL, TEXT_W, PANGO_ALIGN_CENTER, d->text.p);
	show(d, l, MARGIN_X, PAGE_H - MARGIN_B + 20, 0.45);
	g_object_unref(l);
}

/* Room for h more points on this page, or a new page. The letters fit one
 * page; only texts near their caps push them onto a second. */
static void need(struct doc *d, double h)
{
	if (d->y + h <= PAGE_H - MARGIN_B || d->y <= MARGIN_T)
		return;
	footer(d);
	cairo_show_page(d->cr);
	d->page++;
	d->y = MARGIN_T;
}

/* Formats the scratch text; "" and the error kept when it does not fit. */
__attribute__((format(printf, 2, 3))) static const char *fmt(struct doc *d, const char *f, ...)
{
	ds_buf_reset(&d->text);
	va_list ap;
	va_start(ap, f);
	ds_err e = ds_buf_vaddf(&d->text, f, ap);
	va_end(ap);
	if (e != DS_OK) {
		if (!d->err)
			d->err = e;
		return "";
	}
	return d->text.p ? d->text.p : "";
}

/* Appends to a paragraph being built; the first error is kept. */
__attribute__((format(printf, 3, 4))) static void add(struct doc *d, struct ds_buf *b,
                                                      const char *f, ...)
{
	if (d->err)
		return;
	va_list ap;
	va_start(ap, f);
	ds_err e = ds_buf_vaddf(b, f, ap);
	va_end(ap);
	if (e != DS_OK)
		d->err = e;
}

/* A block across the text width, its first line indented by `indent`
 * ems (Chinese paragraphs: two), its first `lead` bytes in bold. */
static void block(struct doc *d, const struct font *f, PangoAlignment align, double indent,
                  size_t lead, const char *text, double after)
{
	if (d->err)
		return;
	PangoLayout *l = layout_new(d, f, d->width, align, text ? text : "");
	if (indent != 0)
		pango_layout_set_indent(l, (int)(indent * f->size * PANGO_SCALE));
	if (lead > 0) {
		PangoAttrList *al = pango_attr_list_new();
		PangoAttribute *a = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
		a->start_index = 0;
		a->end_index = (guint)lead;
		pango_attr_list_insert(al, a);
		pango_layout_set_attributes(l, al);
		pango_attr_list_unref(al);
	}
	double h = layout_height(l);
	need(d, h);
	show(d, l, MARGIN_X, d->y, 0);
	g_object_unref(l);
	d->y += h + after;
}

static void text_block(struct doc *d, const struct font *f, PangoAlignment align, const char *text,
                       double after)
{
	block(d, f, align, 0, 0, text, after);
}

/* A ruled table; row 0 is a heading when `heading`. cells[r * cols + c]. */
static void table(struct doc *d, int rows, int cols, const double *widths, const char *const *cells,
                  bool heading)
{
	const double pad = 5;
	for (int r = 0; r < rows && !d->err; r++) {
		PangoLayout *l[8];
		double h = 0;
		for (int c = 0; c < cols; c++) {
			const struct font *f = &F_TABLE;
			if ((heading && r == 0) || c == 0)
				f = &F_LABEL;
			l[c] = layout_new(d, f, widths[c] - 2 * pad, PANGO_ALIGN_LEFT,
			                  cells[r * cols + c] ? cells[r * cols + c] : "");
			double hc = layout_height(l[c]) + 2 * pad;
			h = hc > h ? hc : h;
		}
		need(d, h);
		double x = MARGIN_X;
		for (int c = 0; c < cols; c++) {
			if (heading && r == 0) {
				cairo_set_source_rgb(d->cr, 0.92, 0.92, 0.92);
				cairo_rectangle(d->cr, x, d->y, widths[c], h);
				cairo_fill(d->cr);
			}
			cairo_set_source_rgb(d->cr, 0.3, 0.3, 0.3);
			cairo_set_line_width(d->cr, 0.6);
			cairo_rectangle(d->cr, x, d->y, widths[c], h);
			cairo_stroke(d->cr);
			show(d, l[c], x + pad, d->y + pad, 0);
			g_object_unref(l[c]);
			x += widths[c];
		}
		d->y += h;
	}
	d->y += 10;
}

static void rule(struct doc *d, double after)
{
	cairo_set_source_rgb(d->cr, 0.55, 0.55, 0.55);
	cairo_set_line_width(d->cr, 0.8);
	cairo_move_to(d->cr, MARGIN_X, d->y);
	cairo_line_to(d->cr, PAGE_W - MARGIN_X, d->y);
	cairo_stroke(d->cr);
	d->y += after;
}

#define SEAL_W 180.0
#define SEAL_H 96.0

/*
 * The place for the bank's seal: a dashed box at the right with the issuer
 * and the date inside, where the stamp goes over them as Chinese letters
 * are sealed. No higher than `top` (text beside it is kept narrower than
 * TEXT_W - SEAL_W), at the page's foot when `at_foot`.
 */
static void seal_box(struct doc *d, const char *issuer, const char *date, double top, bool at_foot)
{
	if (d->err)
		return;
	double y = top;
	if (y + SEAL_H > PAGE_H - MARGIN_B) {
		/* no room beside the text: below it, on a page of its own */
		d->y = PAGE_H;
		need(d, SEAL_H);
		y = d->y;
	}
	if (at_foot && y < PAGE_H - MARGIN_B - SEAL_H)
		y = PAGE_H - MARGIN_B - SEAL_H;
	double x = PAGE_W - MARGIN_X - SEAL_W;
	static const double dash[] = { 4, 3 };
	cairo_set_source_rgb(d->cr, 0.5, 0.5, 0.5);
	cairo_set_line_width(d->cr, 0.8);
	cairo_set_dash(d->cr, dash, 2, 0);
	cairo_rectangle(d->cr, x, y, SEAL_W, SEAL_H);
	cairo_stroke(d->cr);
	cairo_set_dash(d->cr, NULL, 0, 0);
	PangoLayout *l = layout_new(d, &F_SMALL, SEAL_W, PANGO_ALIGN_CENTER, "（银行印章）");
	show(d, l, x, y + 8, 0.55);
	g_object_unref(l);
	const char *t = has(issuer) ? fmt(d, "%s\n%s", issuer, date) : date;
	l = layout_new(d, &F_BODY, SEAL_W - 12, PANGO_ALIGN_CENTER, t);
	show(d, l, x + 6, y + SEAL_H - layout_height(l) - 10, 0);
	g_object_unref(l);
	if (d->y < y + SEAL_H)
		d->y = y + SEAL_H;
}

/*
 * Finishes the document: the last page, cairo's status (a failed write
 * shows only here), the file flushed to disk, then renamed into place.
 */
static ds_err doc_close(struct doc *d, struct ds_diag *diag)
{
	ds_err err = d->err;
	const char *path = d->path;
	if (err) {
		doc_release(d);
		return ds_diag_set(diag, err, path, 0, NULL, "cannot lay out the document");
	}
	footer(d);
	cairo_show_page(d->cr);
	cairo_status_t st = cairo_status(d->cr);
	g_object_unref(d->pc);
	d->pc = NULL;
	g_object_unref(d->fonts);
	d->fonts = NULL;
	cairo_destroy(d->cr);
	d->cr = NULL;
	/* the PDF is written out here, fonts and all: a full disk shows now */
	cairo_surface_finish(d->surface);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(d->surface);
	if (st != CAIRO_STATUS_SUCCESS) {
		const char *why =
		        d->write_errno ? strerror(d->write_errno) : cairo_status_to_string(st);
		err = st == CAIRO_STATUS_NO_MEMORY ? DS_ENOMEM : DS_EIO;
		ds_diag_set(diag, err, path, 0, NULL, "cannot write %s: %s", path, why);
		doc_release(d);
		return err;
	}
	cairo_surface_destroy(d->surface);
	d->surface = NULL;
	/* on disk before it is named: the notice's hash is stored with it */
	int e = 0;
	if (fflush(d->f) != 0 || fsync(fileno(d->f)) != 0)
		e = errno ? errno : EIO;
	if (fclose(d->f) != 0 && !e)
		e = errno ? errno : EIO;
	d->f = NULL;
	if (!e && rename(d->tmp, path) != 0)
		e = errno;
	if (e) {
		ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot write %s: %s", path, strerror(e));
		doc_release(d);
		return DS_EIO;
	}
	ds_free(d->tmp); /* renamed: nothing to remove */
	d->tmp = NULL;
	doc_release(d);
	return DS_OK;
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
static void notice_body(struct doc *d, const struct ds_notice_letter *l, struct ds_buf *p)
{
	char ld[32], vd[32];
	date_zh(l->letter_date, ld);
	date_zh(l->visit_date, vd);
	struct amount bal, od;
	amount_of(l->balance_fen, &bal);
	amount_of(l->overdue_fen, &od);
	const char *bank = has(l->bank_name) ? l->bank_name : "我行";

	if (has(l->bank_name)) {
		text_block(d, &F_BANK, PANGO_ALIGN_CENTER, l->bank_name, 4);
		rule(d, 12);
	}
	text_block(d, &F_TITLE, PANGO_ALIGN_CENTER, "上门拜访提前通知书", 8);
	text_block(d, &F_SMALL, PANGO_ALIGN_RIGHT,
	           has(l->reference) ? fmt(d, "编号：%s　　日期：%s", l->reference, ld)
	                             : fmt(d, "日期：%s", ld),
	           14);
	text_block(d, &F_BODY, PANGO_ALIGN_LEFT,
	           has(l->borrower_name) ? fmt(d, "尊敬的%s先生/女士：", l->borrower_name)
	                                 : "尊敬的客户：",
	           6);

	/* the reason and the amounts */
	ds_buf_reset(p);
	add(d, p, "您在%s%s办理的个人贷款", bank, has(l->bank_name) ? "（以下简称“我行”）" : "");
	if (has(l->account_masked))
		add(d, p, "（账号：%s）", l->account_masked);
	add(d, p,
	    "未按借款合同约定按期还款，已逾期 %d 天。截至 %s，您的贷款余额为人民币 %s 元（%s），"
	    "其中逾期金额为人民币 %s 元（%s），明细见下表。",
	    l->days_past_due, ld, bal.fig, bal.cap, od.fig, od.cap);
	block(d, &F_BODY, PANGO_ALIGN_LEFT, 2, 0, p->p, 4);
	/* the legal basis */
	block(d, &F_BODY, PANGO_ALIGN_LEFT, 2, 0,
	      "根据《中华人民共和国民法典》合同编关于借款合同的规定，借款人应当按照约定的"
	      "期限返还借款并支付利息。我行依据您与我行签订的借款合同，并遵照中国银行业协会"
	      "《金融机构个人消费类贷款催收工作指引（试行）》的要求，依法合规开展催收工作。",
	      4);
	/* the visit: when, who, where */
	ds_buf_reset(p);
	add(d, p, "为与您当面沟通还款安排，我行工作人员");
	if (has(l->team))
		add(d, p, "（%s）", l->team);
	add(d, p, "将于 %s", vd);
	if (has(l->visit_window))
		add(d, p, " %s", l->visit_window);
	add(d, p, " 前往您的住址");
	if (has(l->address))
		add(d, p, "（%s）", l->address);
	add(d, p, "拜访。上门人员将主动出示工作证件。如上述时间不便，请");
	if (has(l->bank_phone))
		add(d, p, "致电 %s ", l->bank_phone);
	else
		add(d, p, "与我行联系");
	add(d, p, "另约时间。");
	block(d, &F_BODY, PANGO_ALIGN_LEFT, 2, 0, p->p, 10);

	/* the amounts */
	char days[32];
	snprintf(days, sizeof days, "%d 天", l->days_past_due);
	const char *cells[] = {
		"项目",     "金额（元）", "大写金额", "贷款余额", bal.fig, bal.cap,
		"逾期金额", od.fig,       od.cap,     "逾期天数", days,    "",
	};
	const double widths[] = { 80, 110, TEXT_W - 190 };
	table(d, 4, 3, widths, cells, true);

	/* the borrower's rights */
	text_block(d, &F_HEAD, PANGO_ALIGN_LEFT, "您的权利", 4);
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
		block(d, &F_BODY, PANGO_ALIGN_LEFT, 0, strlen(rights[i][0]),
		      fmt(d, "%s%s", rights[i][0], rights[i][1]), 2);
	d->y += 8;

	/* how to dispute: within how long, by which way, quoting what */
	text_block(d, &F_HEAD, PANGO_ALIGN_LEFT, "异议与协商", 4);
	ds_buf_reset(p);
	add(d, p, "如您对欠款有异议，可在收到本通知之日起 %d 日内", DISPUTE_DAYS);
	if (has(l->bank_phone))
		add(d, p, "致电 %s", l->bank_phone);
	if (has(l->bank_phone) && has(l->bank_address))
		add(d, p, "，或");
	if (has(l->bank_address))
		add(d, p, "致函 %s（%s收）", l->bank_address, bank);
	if (!has(l->bank_phone) && !has(l->bank_address))
		add(d, p, "联系%s", bank);
	add(d, p, "提出");
	if (has(l->reference))
		add(d, p, "，并注明本通知编号 %s", l->reference);
	add(d, p, "。我行将在核实后答复您；如需分期或协商还款，亦可通过上述方式联系我行。");
	block(d, &F_BODY, PANGO_ALIGN_LEFT, 2, 0, p->p, 10);

	/* the contacts and the closing, the seal box beside them at the foot */
	double top = d->y;
	int page = d->page;
	d->width = TEXT_W - SEAL_W - 16;
	if (has(l->bank_name) || has(l->bank_phone) || has(l->bank_address)) {
		text_block(d, &F_HEAD, PANGO_ALIGN_LEFT, "联系方式", 4);
		if (has(l->bank_name))
			text_block(d, &F_BODY, PANGO_ALIGN_LEFT, fmt(d, "银行：%s", l->bank_name),
			           1);
		if (has(l->bank_phone))
			text_block(d, &F_BODY, PANGO_ALIGN_LEFT,
			           fmt(d, "客服电话：%s", l->bank_phone), 1);
		if (has(l->bank_address))
			text_block(d, &F_BODY, PANGO_ALIGN_LEFT,
			           fmt(d, "地址：%s", l->bank_address), 1);
		d->y += 6;
	}
	text_block(d, &F_BODY, PANGO_ALIGN_LEFT, "特此通知。", 0);
	d->width = TEXT_W;
	if (d->page != page)
		top = MARGIN_T; /* the contacts ran onto a new page */
	seal_box(d, l->bank_name, ld, top, true);
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
	struct doc d;
	err = doc_open(&d, path, "上门拜访提前通知书", created, diag);
	if (err)
		return err;
	err = fonts_present(&d, diag);
	if (err) {
		doc_release(&d);
		return err;
	}
	char foot[TEXT_MAX + 64] = "";
	if (has(l->reference))
		snprintf(foot, sizeof foot, "通知书编号 %s", l->reference);
	d.footer = foot[0] ? foot : NULL;
	struct ds_buf para;
	ds_buf_init(&para, PARA_MAX);
	notice_body(&d, l, &para);
	ds_buf_free(&para);
	return doc_close(&d, diag);
}

/* -------------------------------------------------------- the receipt */

/*
 * Layout: letterhead, title, the receipt's number; a two-column table
 * (borrower, account, amount in figures and capitals, method, time, taken
 * by); the validity note with the phone to check it; the signatures and
 * the seal box below them, in the top half of the page.
 */
static void receipt_body(struct doc *d, const struct ds_receipt_doc *r, const char *method,
                         const char *date, const char *when)
{
	struct amount a;
	amount_of(r->amount_fen, &a);
	if (has(r->bank_name)) {
		text_block(d, &F_BANK, PANGO_ALIGN_CENTER, r->bank_name, 4);
		rule(d, 12);
	}
	text_block(d, &F_TITLE, PANGO_ALIGN_CENTER, "收款收据", 8);
	text_block(d, &F_SMALL, PANGO_ALIGN_RIGHT, fmt(d, "收据编号：%s", r->receipt_no), 10);

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
	table(d, n / 2, 2, widths, cells, false);

	struct ds_buf p;
	ds_buf_init(&p, PARA_MAX);
	add(d, &p, "本收据在款项经%s入账确认后生效，收款金额以银行入账为准。",
	    has(r->bank_name) ? r->bank_name : "本行");
	if (has(r->bank_phone))
		add(d, &p, "如需核实，请致电 %s 并告知收据编号。", r->bank_phone);
	block(d, &F_BODY, PANGO_ALIGN_LEFT, 2, 0, p.p, 18);
	ds_buf_free(&p);
	text_block(d, &F_BODY, PANGO_ALIGN_LEFT,
	           "付款人签字：＿＿＿＿＿＿＿＿　　　收款人签字：＿＿＿＿＿＿＿＿", 0);
	seal_box(d, r->bank_name, date, d->y + 16, false);
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

	struct doc d;
	err = doc_open(&d, path, "收款收据", created, diag);
	if (err)
		return err;
	err = fonts_present(&d, diag);
	if (err) {
		doc_release(&d);
		return err;
	}
	receipt_body(&d, r, method, date, when);
	return doc_close(&d, diag);
}

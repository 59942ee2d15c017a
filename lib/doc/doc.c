/*
 * A4 documents with cairo and pango (doc.h): the page, the fonts, blocks
 * of text, tables, rules, SVG drawings, the seal's box; the file written
 * beside its path and renamed into place when complete.
 */
#include "doorstep/doc.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <errno.h>
#include <librsvg/rsvg.h>
#include <pango/pangocairo.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PAGE_W   DS_DOC_PAGE_W
#define PAGE_H   DS_DOC_PAGE_H
#define MARGIN_X DS_DOC_MARGIN_X
#define MARGIN_T DS_DOC_MARGIN_T
#define MARGIN_B DS_DOC_MARGIN_B
#define TEXT_W   DS_DOC_TEXT_W
#define SEAL_W   DS_DOC_SEAL_W
#define SEAL_H   DS_DOC_SEAL_H

#define SERIF "Noto Serif CJK SC"
#define SANS  "Noto Sans CJK SC"

/* A block's text: a few fields at their caps and the words around them. */
#define PARA_MAX   (16 * 1024)
#define FOOTER_MAX 400
/* An SVG drawing (the reports' charts are a few KiB). */
#define SVG_MAX (1024 * 1024)

struct font {
	const char *family;
	double size; /* points */
	bool bold;
};

/*
 * Noto Sans CJK *Regular* is left out on purpose: cairo's CFF subsetter
 * (1.16, and its later versions parse charstrings the same way) drops
 * subroutines some of its glyphs need when they were first met in another
 * glyph, and the glyph vanishes from the page while the text layer still
 * has it (如 nearly always; about one page in 25 of random text). The
 * other three faces came through thousands of such pages intact;
 * tests/unit/test_letter.c checks every embedded glyph.
 */
static const struct font FONTS[DS_DOC_FONT_COUNT] = {
	[DS_DOC_TITLE] = { SERIF, 20, true },   [DS_DOC_BODY] = { SERIF, 10.5, false },
	[DS_DOC_TABLE] = { SERIF, 10, false },  [DS_DOC_LABEL] = { SANS, 9.5, true },
	[DS_DOC_SMALL] = { SERIF, 8.5, false }, [DS_DOC_HEAD] = { SANS, 11, true },
	[DS_DOC_BANK] = { SANS, 12, true },
};

struct ds_doc {
	char *path;
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
	char footer[FOOTER_MAX]; /* on every page, "": none */
	ds_err err;
	struct ds_buf text; /* scratch for the text of one block */
};

static PangoAlignment pango_align(ds_doc_align a)
{
	return a == DS_DOC_CENTER  ? PANGO_ALIGN_CENTER
	       : a == DS_DOC_RIGHT ? PANGO_ALIGN_RIGHT
	                           : PANGO_ALIGN_LEFT;
}

/* cairo's output: the file, and why a write failed (cairo only says that
 * it did) */
static cairo_status_t write_out(void *closure, const unsigned char *data, unsigned int len)
{
	ds_doc *d = closure;
	if (fwrite(data, 1, len, d->f) == len)
		return CAIRO_STATUS_SUCCESS;
	if (!d->write_errno)
		d->write_errno = errno ? errno : EIO;
	return CAIRO_STATUS_WRITE_ERROR;
}

void ds_doc_abandon(ds_doc *d)
{
	if (!d)
		return;
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
	ds_free(d->path);
	ds_buf_free(&d->text);
	ds_free(d);
}

/* Both families installed, not substitutes. */
static ds_err fonts_present(ds_doc *d, struct ds_diag *diag)
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

ds_err ds_doc_open(const char *path, const char *title, const char *created, ds_doc **out,
                   struct ds_diag *diag)
{
	*out = NULL;
	ds_doc *d = ds_malloc(sizeof *d);
	if (!d)
		return ds_diag_set(diag, DS_ENOMEM, path, 0, NULL, "out of memory");
	memset(d, 0, sizeof *d);
	ds_buf_init(&d->text, PARA_MAX);
	size_t n = strlen(path) + sizeof ".XXXXXX";
	d->path = ds_strdup(path);
	d->tmp = ds_malloc(n);
	if (!d->tmp || !d->path) {
		ds_doc_abandon(d);
		return ds_diag_set(diag, DS_ENOMEM, path, 0, NULL, "out of memory");
	}
	snprintf(d->tmp, n, "%s.XXXXXX", path);
	int fd = mkstemp(d->tmp);
	if (fd < 0) {
		int e = errno;
		ds_free(d->tmp);
		d->tmp = NULL;
		ds_doc_abandon(d);
		return ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot write %s: %s", path,
		                   strerror(e));
	}
	d->f = fdopen(fd, "wb");
	if (!d->f) {
		int e = errno;
		close(fd);
		ds_doc_abandon(d);
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
	ds_err err = fonts_present(d, diag);
	if (err) {
		ds_doc_abandon(d);
		return err;
	}
	*out = d;
	return DS_OK;
}

void ds_doc_fail(ds_doc *d, ds_err err)
{
	if (!d->err)
		d->err = err;
}

void ds_doc_set_footer(ds_doc *d, const char *footer)
{
	ds_strlcpy(d->footer, footer ? footer : "", sizeof d->footer);
}

double ds_doc_y(const ds_doc *d)
{
	return d->y;
}

int ds_doc_page(const ds_doc *d)
{
	return d->page;
}

void ds_doc_set_width(ds_doc *d, double width)
{
	d->width = width;
}

void ds_doc_space(ds_doc *d, double h)
{
	d->y += h;
}

static PangoLayout *layout_new(ds_doc *d, ds_doc_font f, double width, PangoAlignment align,
                               const char *text)
{
	const struct font *ft = &FONTS[f];
	PangoLayout *l = pango_layout_new(d->pc);
	PangoFontDescription *fd = pango_font_description_new();
	pango_font_description_set_family(fd, ft->family);
	pango_font_description_set_absolute_size(fd, ft->size * PANGO_SCALE);
	pango_font_description_set_weight(fd, ft->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
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

static void show(ds_doc *d, PangoLayout *l, double x, double y, double gray)
{
	cairo_set_source_rgb(d->cr, gray, gray, gray);
	cairo_move_to(d->cr, x, y);
	pango_cairo_show_layout(d->cr, l);
}

static void footer(ds_doc *d)
{
	if (!d->footer[0])
		return;
	char text[FOOTER_MAX + 32];
	snprintf(text, sizeof text, "%s　第 %d 页", d->footer, d->page);
	PangoLayout *l = layout_new(d, DS_DOC_SMALL, TEXT_W, PANGO_ALIGN_CENTER, text);
	show(d, l, MARGIN_X, PAGE_H - MARGIN_B + 20, 0.45);
	g_object_unref(l);
}

void ds_doc_need(ds_doc *d, double h)
{
	if (d->y + h <= PAGE_H - MARGIN_B || d->y <= MARGIN_T)
		return;
	footer(d);
	cairo_show_page(d->cr);
	d->page++;
	d->y = MARGIN_T;
}

const char *ds_doc_fmt(ds_doc *d, const char *f, ...)
{
	ds_buf_reset(&d->text);
	va_list ap;
	va_start(ap, f);
	ds_err e = ds_buf_vaddf(&d->text, f, ap);
	va_end(ap);
	if (e != DS_OK) {
		ds_doc_fail(d, e);
		return "";
	}
	return d->text.p ? d->text.p : "";
}

void ds_doc_add(ds_doc *d, struct ds_buf *b, const char *f, ...)
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

void ds_doc_block(ds_doc *d, ds_doc_font f, ds_doc_align a, double indent, size_t lead,
                  const char *text, double after)
{
	if (d->err)
		return;
	PangoLayout *l = layout_new(d, f, d->width, pango_align(a), text ? text : "");
	if (indent != 0)
		pango_layout_set_indent(l, (int)(indent * FONTS[f].size * PANGO_SCALE));
	if (lead > 0) {
		PangoAttrList *al = pango_attr_list_new();
		PangoAttribute *at = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
		at->start_index = 0;
		at->end_index = (guint)lead;
		pango_attr_list_insert(al, at);
		pango_layout_set_attributes(l, al);
		pango_attr_list_unref(al);
	}
	double h = layout_height(l);
	ds_doc_need(d, h);
	show(d, l, MARGIN_X, d->y, 0);
	g_object_unref(l);
	d->y += h + after;
}

void ds_doc_text(ds_doc *d, ds_doc_font f, ds_doc_align a, const char *text, double after)
{
	ds_doc_block(d, f, a, 0, 0, text, after);
}

void ds_doc_table(ds_doc *d, int rows, int cols, const double *widths, const char *const *cells,
                  bool heading, unsigned right_cols)
{
	const double pad = 5;
	if (cols > 10) {
		ds_doc_fail(d, DS_EINVAL);
		return;
	}
	for (int r = 0; r < rows && !d->err; r++) {
		PangoLayout *l[10];
		double h = 0;
		for (int c = 0; c < cols; c++) {
			ds_doc_font f = DS_DOC_TABLE;
			if ((heading && r == 0) || c == 0)
				f = DS_DOC_LABEL;
			bool right = (right_cols >> c) & 1u && !(heading && r == 0);
			l[c] = layout_new(d, f, widths[c] - 2 * pad,
			                  right ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT,
			                  cells[r * cols + c] ? cells[r * cols + c] : "");
			double hc = layout_height(l[c]) + 2 * pad;
			h = hc > h ? hc : h;
		}
		ds_doc_need(d, h);
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

void ds_doc_rule(ds_doc *d, double after)
{
	if (d->err)
		return;
	cairo_set_source_rgb(d->cr, 0.55, 0.55, 0.55);
	cairo_set_line_width(d->cr, 0.8);
	cairo_move_to(d->cr, MARGIN_X, d->y);
	cairo_line_to(d->cr, PAGE_W - MARGIN_X, d->y);
	cairo_stroke(d->cr);
	d->y += after;
}

void ds_doc_svg(ds_doc *d, const char *svg, size_t len, double width, double after)
{
	if (d->err)
		return;
	if (!svg || len == 0 || len > SVG_MAX) {
		ds_doc_fail(d, DS_EINVAL);
		return;
	}
	GError *ge = NULL;
	RsvgHandle *h = rsvg_handle_new_from_data((const guint8 *)svg, len, &ge);
	if (!h) {
		if (ge)
			g_error_free(ge);
		ds_doc_fail(d, DS_EINVAL);
		return;
	}
	gdouble w = 0, ht = 0;
	if (!rsvg_handle_get_intrinsic_size_in_pixels(h, &w, &ht) || w <= 0 || ht <= 0) {
		w = 640;
		ht = 400;
	}
	if (width > d->width)
		width = d->width;
	double height = width * ht / w;
	ds_doc_need(d, height);
	RsvgRectangle vp = { MARGIN_X, d->y, width, height };
	if (!rsvg_handle_render_document(h, d->cr, &vp, &ge)) {
		if (ge)
			g_error_free(ge);
		ds_doc_fail(d, DS_EINVAL);
	}
	g_object_unref(h);
	d->y += height + after;
}

void ds_doc_seal(ds_doc *d, const char *issuer, const char *date, double top, bool at_foot)
{
	if (d->err)
		return;
	double y = top;
	if (y + SEAL_H > PAGE_H - MARGIN_B) {
		/* no room beside the text: below it, on a page of its own */
		d->y = PAGE_H;
		ds_doc_need(d, SEAL_H);
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
	PangoLayout *l = layout_new(d, DS_DOC_SMALL, SEAL_W, PANGO_ALIGN_CENTER, "（银行印章）");
	show(d, l, x, y + 8, 0.55);
	g_object_unref(l);
	const char *t = issuer && *issuer ? ds_doc_fmt(d, "%s\n%s", issuer, date) : date;
	l = layout_new(d, DS_DOC_BODY, SEAL_W - 12, PANGO_ALIGN_CENTER, t);
	show(d, l, x + 6, y + SEAL_H - layout_height(l) - 10, 0);
	g_object_unref(l);
	if (d->y < y + SEAL_H)
		d->y = y + SEAL_H;
}

ds_err ds_doc_close(ds_doc *d, struct ds_diag *diag)
{
	ds_err err = d->err;
	char path[4200];
	ds_strlcpy(path, d->path, sizeof path);
	if (err) {
		ds_doc_abandon(d);
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
		ds_doc_abandon(d);
		return err;
	}
	cairo_surface_destroy(d->surface);
	d->surface = NULL;
	/* on disk before it is named: a notice's hash is stored with it */
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
		ds_doc_abandon(d);
		return DS_EIO;
	}
	ds_free(d->tmp); /* renamed: nothing to remove */
	d->tmp = NULL;
	ds_doc_abandon(d);
	return DS_OK;
}

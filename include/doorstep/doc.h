/*
 * Documents (docs/field.md "the letters", docs/reports.md "PDF"): A4 PDFs
 * drawn with cairo and pango in Noto CJK — the notice of a visit, the
 * receipt, the manager's report. Text is laid out by pango and shown as
 * text (with ToUnicode maps), so a PDF can be searched, copied and read
 * aloud; charts are the reports' own SVG drawn in as vectors (librsvg).
 *
 * Drawing flows down the page: each block goes below the last, onto a new
 * page (with the footer) when it does not fit. Errors are sticky: after
 * the first, the rest of the drawing is skipped and ds_doc_close reports
 * it and removes the partial file. A document is written into a temporary
 * file beside its path and renamed into place when complete (mode 0600:
 * documents carry personal data), flushed to disk first.
 */
#ifndef DOORSTEP_DOC_H
#define DOORSTEP_DOC_H

#include "doorstep/core.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct ds_doc ds_doc;

/* The page, in points (A4). */
#define DS_DOC_PAGE_W   595.28
#define DS_DOC_PAGE_H   841.89
#define DS_DOC_MARGIN_X 64.0
#define DS_DOC_MARGIN_T 60.0
#define DS_DOC_MARGIN_B 64.0
#define DS_DOC_TEXT_W   (DS_DOC_PAGE_W - 2 * DS_DOC_MARGIN_X)
/* The seal's box (ds_doc_seal). */
#define DS_DOC_SEAL_W 180.0
#define DS_DOC_SEAL_H 96.0

/* Serif (宋体's part) for text, sans bold (黑体's) for headings. */
typedef enum {
	DS_DOC_TITLE, /* serif 20 bold */
	DS_DOC_BODY,  /* serif 10.5 */
	DS_DOC_TABLE, /* serif 10 */
	DS_DOC_LABEL, /* sans 9.5 bold: table headings and labels */
	DS_DOC_SMALL, /* serif 8.5 */
	DS_DOC_HEAD,  /* sans 11 bold */
	DS_DOC_BANK,  /* sans 12 bold */
	DS_DOC_FONT_COUNT
} ds_doc_font;

typedef enum { DS_DOC_LEFT, DS_DOC_CENTER, DS_DOC_RIGHT } ds_doc_align;

/*
 * Opens a document at path. `created` (ISO 8601) is the PDF's creation
 * date, taken from the document rather than the clock so that the same
 * document gives the same bytes. DS_ECONFIG when the Noto CJK fonts are
 * not installed (fontconfig would otherwise substitute one without the
 * glyphs, and the page would print boxes).
 */
ds_err ds_doc_open(const char *path, const char *title, const char *created, ds_doc **out,
                   struct ds_diag *diag);
/* Finishes the last page and writes the file into place; frees d. */
ds_err ds_doc_close(ds_doc *d, struct ds_diag *diag);
/* Frees d without writing (the partial file removed). */
void ds_doc_abandon(ds_doc *d);

/* Shown at the foot of every page, with the page's number (copied). */
void ds_doc_set_footer(ds_doc *d, const char *footer);

/* A block across the current width: its first line indented by `indent`
 * ems, its first `bold_lead` bytes in bold; `after` points below it. */
void ds_doc_block(ds_doc *d, ds_doc_font f, ds_doc_align a, double indent, size_t bold_lead,
                  const char *text, double after);
void ds_doc_text(ds_doc *d, ds_doc_font f, ds_doc_align a, const char *text, double after);
/* A ruled table, cells[r * cols + c], at most 10 columns; row 0 a heading
 * when `heading`, column 0 in the label font; columns listed in
 * `right_cols` (a bit per column) aligned right (figures). */
void ds_doc_table(ds_doc *d, int rows, int cols, const double *widths, const char *const *cells,
                  bool heading, unsigned right_cols);
/* A horizontal rule across the text. */
void ds_doc_rule(ds_doc *d, double after);
/* An SVG drawing (the reports' charts), scaled to `width` points across,
 * its height as its aspect says; DS_EINVAL (sticky) when it does not parse. */
void ds_doc_svg(ds_doc *d, const char *svg, size_t len, double width, double after);
/* The place for the bank's seal: a dashed box at the right with the
 * issuer and the date, no higher than `top`, at the page's foot when
 * `at_foot` (text beside it keeps within DS_DOC_TEXT_W - DS_DOC_SEAL_W). */
void ds_doc_seal(ds_doc *d, const char *issuer, const char *date, double top, bool at_foot);
/* Room for h more points on this page, or a new page. */
void ds_doc_need(ds_doc *d, double h);
void ds_doc_space(ds_doc *d, double h);

/* Where the next block goes, the page's number, the blocks' width. */
double ds_doc_y(const ds_doc *d);
int ds_doc_page(const ds_doc *d);
void ds_doc_set_width(ds_doc *d, double width);

/* Text for one block, formatted into the document's scratch buffer (valid
 * until the next call); "" and a sticky error when it does not fit. */
const char *ds_doc_fmt(ds_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends to a paragraph being built; the first error is kept (sticky). */
void ds_doc_add(ds_doc *d, struct ds_buf *b, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Marks the document failed (the first error is kept). */
void ds_doc_fail(ds_doc *d, ds_err err);

#endif

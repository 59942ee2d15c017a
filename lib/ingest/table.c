/*
 * Any CSV table, record by record, through the same reader as the bank's
 * files (encoding, line caps) and the same strict RFC 4180 parser: the
 * analysts' path into the model layer.
 */
#include "ingest-int.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct table {
	const char *path;
	struct csv_parser csv;
	struct ds_buf rec; /* the record's fields, each NUL-terminated */
	size_t off[DS_INGEST_MAX_FIELDS];
	int nf;
	bool over; /* too many fields or bytes */
	long record, line;
	ds_csv_record_fn fn;
	void *ctx;
	ds_err err;
	struct ds_diag *diag;
};

static void on_field(void *data, size_t len, void *ctx)
{
	struct table *t = ctx;
	if (t->nf >= DS_INGEST_MAX_FIELDS) {
		t->over = true;
		return;
	}
	t->off[t->nf++] = t->rec.len;
	if (ds_buf_add(&t->rec, data ? data : "", data ? len : 0) || ds_buf_add(&t->rec, "", 1))
		t->over = true;
}

static void on_record(int term, void *ctx)
{
	(void)term;
	struct table *t = ctx;
	if (t->err)
		return;
	if (t->over) {
		t->err = ds_diag_set(t->diag, DS_EREJECT, t->path, t->line, NULL,
		                     "record over %d fields or %u bytes", DS_INGEST_MAX_FIELDS,
		                     DS_INGEST_MAX_RECORD);
	} else {
		char *fields[DS_INGEST_MAX_FIELDS];
		for (int i = 0; i < t->nf; i++)
			fields[i] = t->rec.p + t->off[i];
		t->err = t->fn(t->ctx, t->record++, t->line, fields, t->nf, t->diag);
	}
	t->nf = 0;
	t->over = false;
	t->rec.len = 0;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

ds_err ds_csv_read(const char *path, const char *encoding, uint64_t max_bytes, ds_csv_record_fn fn,
                   void *ctx, struct ds_diag *diag)
{
	struct stat sb;
	if (stat(path, &sb) == 0 && (uint64_t)sb.st_size > max_bytes)
		return ds_diag_set(diag, DS_ETOOBIG, path, 0, NULL,
		                   "file of %lld bytes is over the cap of %llu",
		                   (long long)sb.st_size, (unsigned long long)max_bytes);
	struct ds_reader *r;
	ds_err err = ds_reader_open(path, encoding ? encoding : "auto", &r, diag);
	if (err)
		return err;
	struct table t = { .path = path, .fn = fn, .ctx = ctx, .diag = diag };
	ds_buf_init(&t.rec, DS_INGEST_MAX_RECORD);
	if (csv_init(&t.csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		ds_reader_close(r);
		return ds_diag_set(diag, DS_ENOMEM, path, 0, NULL, "out of memory");
	}
	bool in_record = false;
	const char *text;
	size_t len;
	long lineno;
	while (!t.err) {
		ds_err e = ds_reader_next(r, &text, &len, &lineno);
		if (e == DS_ENOTFOUND)
			break;
		if (e == DS_EIO) {
			t.err = ds_diag_set(diag, DS_EIO, path, lineno, NULL, "read error");
			break;
		}
		if (e) {
			t.err = ds_diag_set(diag, DS_EREJECT, path, lineno, NULL, "%s",
			                    e == DS_ETOOBIG
			                            ? "line too long"
			                            : "not valid text in the file's encoding");
			break;
		}
		if (!in_record) {
			if (blank(text, len))
				continue;
			in_record = true;
			t.line = lineno;
		}
		if (csv_parse(&t.csv, text, len, on_field, on_record, &t) != len && !t.err)
			t.err = ds_diag_set(diag, DS_EREJECT, path, t.line, NULL,
			                    "malformed quoting (RFC 4180)");
		/* a record ends with its line unless a quote is still open
		 * (libcsv's state 0: no row begun) */
		if (t.csv.pstate == 0)
			in_record = false;
	}
	if (!t.err && csv_fini(&t.csv, on_field, on_record, &t) != 0 && !t.err)
		t.err = ds_diag_set(diag, DS_EREJECT, path, t.line, NULL,
		                    "unclosed quote at end of file");
	csv_free(&t.csv);
	ds_buf_free(&t.rec);
	ds_reader_close(r);
	return t.err;
}

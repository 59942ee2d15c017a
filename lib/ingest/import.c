/*
 * One import: a CSV file of one kind into the store in one transaction.
 *
 * The file is read a physical line at a time (reader.c), fed to libcsv, and
 * every complete record is checked, converted (fields.c), checked against
 * what it refers to, and upserted. Problems are reported as they are found;
 * the transaction is committed only when the file is clean, or when a
 * rejects file takes the bad rows.
 */
#include "ingest-int.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_DBCOLS 64
#define SHOW_VALUE 40                    /* characters of a bad value echoed in a reason */
#define SHOW_BUF   (SHOW_VALUE * 4 + 16) /* room for them, escaped, quoted and cut */

struct colmap {
	int field;         /* index in the record, -1 if absent */
	char last_ref[72]; /* last value found by the reference check */
};

struct imp {
	ds_store *st;
	const struct ds_import_kind *k;
	const struct ds_import_opts *o;
	const char *path;
	struct ds_import_stats *stats;
	struct ds_diag *diag;
	struct csv_parser csv;

	/* the record being assembled */
	struct ds_buf rec;
	size_t off[DS_INGEST_MAX_FIELDS];
	int nf;
	bool too_many;
	struct ds_buf raw;
	long rec_line;
	bool in_record;

	/* the header */
	bool have_header;
	int nheader;
	struct ds_buf header_raw;
	struct colmap cols[MAX_DBCOLS];

	/* the store table, columns in store order */
	struct ds_table table;
	const char *dbcols[MAX_DBCOLS];
	char dbnames[MAX_DBCOLS][64];
	int src_col[MAX_DBCOLS], src_sub[MAX_DBCOLS];

	FILE *rejects;
	char *rejects_tmp;
	ds_err fatal;
	bool any_reject;
	/* The optimistic pass of a load into an empty table stops at the first
	 * problem and asks for a checked pass, which reports every problem. */
	bool optimistic, retry, quiet_warnings;
	long since_progress;
};

/* ------------------------------------------------------------ reporting */

static void problem(struct imp *m, long line, const char *field, bool warning, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static void problem(struct imp *m, long line, const char *field, bool warning, const char *fmt, ...)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_strlcpy(d.file, m->path, sizeof d.file);
	d.line = line;
	ds_strlcpy(d.field, field ? field : "", sizeof d.field);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d.msg, sizeof d.msg, fmt, ap);
	va_end(ap);
	if (!warning && m->optimistic) {
		m->retry = true;
		if (!m->fatal)
			m->fatal = DS_EREJECT;
		return;
	}
	if (warning && m->quiet_warnings)
		return;
	if (!warning)
		m->stats->problems++;
	if (m->o->on_problem)
		m->o->on_problem(m->o->ctx, &d, warning);
}

/* Quotes a value for a reason, cut to a readable length (and, should out
 * be short, at the last whole character that fits). */
static void show(const char *v, char *out, size_t outsz)
{
	/* Control characters are spelled out so a problem stays on one line. */
	struct ds_buf b;
	ds_buf_init(&b, outsz > 8 ? outsz - 8 : 0);
	ds_err e = ds_buf_adds(&b, "\"");
	size_t chars = 0, n = strlen(v), whole = b.len;
	bool cut = false;
	for (size_t i = 0; i < n && !e; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c & 0xC0) != 0x80) {
			whole = b.len;
			if (chars++ == SHOW_VALUE) {
				cut = true;
				break;
			}
		}
		if (c == '\n')
			e = ds_buf_adds(&b, "\\n");
		else if (c == '\r')
			e = ds_buf_adds(&b, "\\r");
		else if (c < 0x20 || c == 0x7F)
			e = ds_buf_addf(&b, "\\x%02X", c);
		else
			e = ds_buf_add(&b, &v[i], 1);
	}
	if (e && b.p) {
		/* out of room: no part of a character, and say it was cut */
		b.len = whole;
		b.p[whole] = '\0';
		cut = true;
	}
	snprintf(out, outsz, "%s%s\"", b.p ? b.p : "\"", cut ? "..." : "");
	ds_buf_free(&b);
}

/* Writes a rejected record, verbatim, plus its reason, to the rejects file. */
static void write_reject(struct imp *m, const char *raw, size_t len, const char *reason)
{
	if (!m->rejects)
		return;
	while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
		len--;
	fwrite(raw, 1, len, m->rejects);
	fputc(',', m->rejects);
	csv_fwrite(m->rejects, reason, strlen(reason));
	fputc('\n', m->rejects);
}

/* ---------------------------------------------------------------- header */

static void lower_trim(char *s)
{
	char *p = s;
	while (*p == ' ' || *p == '\t')
		p++;
	memmove(s, p, strlen(p) + 1);
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	for (p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}

static void take_header(struct imp *m)
{
	const struct ds_import_kind *k = m->k;
	for (int c = 0; c < k->ncols; c++)
		m->cols[c].field = -1;
	m->nheader = m->nf;
	for (int f = 0; f < m->nf; f++) {
		char *name = m->rec.p + m->off[f];
		lower_trim(name);
		int hit = -1;
		for (int c = 0; c < k->ncols; c++)
			if (strcmp(k->cols[c].name, name) == 0)
				hit = c;
		if (hit < 0) {
			if (strcmp(name, "reject_reason") != 0)
				problem(m, m->rec_line, name, true,
				        "unknown column, ignored (known: see 'doorstep import %s "
				        "--help')",
				        k->name);
			continue;
		}
		if (m->cols[hit].field >= 0) {
			problem(m, m->rec_line, name, false, "column appears twice in the header");
			m->fatal = DS_EREJECT;
			return;
		}
		m->cols[hit].field = f;
	}
	bool missing = false;
	for (int c = 0; c < k->ncols; c++)
		if ((k->cols[c].flags & (DS_COL_KEY | DS_COL_REQUIRED)) && m->cols[c].field < 0) {
			problem(m, m->rec_line, k->cols[c].name, false,
			        "required column missing from the header");
			missing = true;
		}
	if (missing) {
		m->fatal = DS_EREJECT;
		return;
	}
	/* Store columns: the key first, then every other column present. */
	int n = 0, nkey = 0;
	for (int pass = 0; pass < 2; pass++)
		for (int c = 0; c < k->ncols; c++) {
			bool key = k->cols[c].flags & DS_COL_KEY;
			if ((pass == 0) != key || m->cols[c].field < 0)
				continue;
			for (int i = 0; i < ds_field_width(&k->cols[c]); i++) {
				ds_strlcpy(m->dbnames[n],
				           ds_field_dbname(&k->cols[c], i, m->dbnames[n], 64), 64);
				m->dbcols[n] = m->dbnames[n];
				m->src_col[n] = c;
				m->src_sub[n] = i;
				if (!ds_field_compared(&k->cols[c], i))
					m->table.nocompare_mask |= UINT64_C(1) << n;
				n++;
			}
			if (key)
				nkey++;
		}
	m->table.name = k->table;
	m->table.cols = m->dbcols;
	m->table.ncols = n;
	m->table.nkey = nkey;
	m->have_header = true;
	ds_buf_add(&m->header_raw, m->raw.p, m->raw.len);
	if (m->rejects) {
		size_t len = m->raw.len;
		while (len > 0 && (m->raw.p[len - 1] == '\n' || m->raw.p[len - 1] == '\r'))
			len--;
		fwrite(m->raw.p, 1, len, m->rejects);
		fputs(",reject_reason\n", m->rejects);
	}
}

/* ------------------------------------------------------------------ rows */

struct row_state {
	struct ds_field_out out[MAX_DBCOLS];
	struct ds_buf reasons; /* "field: reason; ..." for the rejects file */
	bool bad;
};

static void row_reject(struct imp *m, struct row_state *rs, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void row_reject(struct imp *m, struct row_state *rs, const char *field, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	problem(m, m->rec_line, field, false, "%s", msg);
	if (rs->reasons.len)
		ds_buf_adds(&rs->reasons, "; ");
	if (field)
		ds_buf_addf(&rs->reasons, "%s: ", field);
	ds_buf_adds(&rs->reasons, msg);
	rs->bad = true;
}

static ds_err check_ref(struct imp *m, struct row_state *rs, const struct ds_import_col *c,
                        struct colmap *cm, const char *value)
{
	if (strcmp(cm->last_ref, value) == 0)
		return DS_OK;
	char table[64];
	const char *dot = strchr(c->ref, '.');
	snprintf(table, sizeof table, "%.*s", (int)(dot - c->ref), c->ref);
	bool found = false;
	ds_err err = ds_store_exists(m->st, table, dot + 1, value, &found, m->diag);
	if (err)
		return err;
	if (!found) {
		char v[SHOW_BUF];
		show(value, v, sizeof v);
		row_reject(m, rs, c->name, "unknown %s %s (not in %s)", c->name, v, table);
	} else {
		ds_strlcpy(cm->last_ref, strlen(value) < sizeof cm->last_ref ? value : "",
		           sizeof cm->last_ref);
	}
	return DS_OK;
}

static int col_index(const struct ds_import_kind *k, const char *name, size_t len)
{
	for (int c = 0; c < k->ncols; c++)
		if (strlen(k->cols[c].name) == len && memcmp(k->cols[c].name, name, len) == 0)
			return c;
	return -1;
}

/* Whether `word` is one of the space-separated words of `list`. */
static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " ");
		if (len == n && memcmp(p, word, n) == 0)
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

static void apply_rule(struct imp *m, struct row_state *rs, const struct ds_import_rule *r)
{
	const struct ds_import_kind *k = m->k;
	int w = col_index(k, r->when, strlen(r->when));
	if (w < 0 || rs->out[w].nv == 0)
		return;
	const struct ds_value *v = &rs->out[w].v[0];
	if (r->when_values) {
		int c = col_index(k, r->needs, strlen(r->needs));
		if (v->type != DS_V_TEXT || !word_in(r->when_values, v->s) || c < 0 ||
		    rs->out[c].nv == 0 || rs->out[c].v[0].type != DS_V_TEXT ||
		    word_in(r->allowed, rs->out[c].v[0].s))
			return;
		row_reject(m, rs, k->cols[c].name, "must be %s when %s is %s", r->allowed, r->when,
		           v->s);
		return;
	}
	if (v->type == DS_V_NULL || (v->type == DS_V_INT && v->i == 0))
		return;
	for (const char *p = r->needs; *p;) {
		size_t len = strcspn(p, " ");
		int c = col_index(k, p, len);
		if (c >= 0 && (m->cols[c].field < 0 || rs->out[c].nv == 0 ||
		               rs->out[c].v[0].type == DS_V_NULL))
			row_reject(m, rs, k->cols[c].name,
			           "required when %s is filled in and not zero", r->when);
		p += len;
		p += strspn(p, " ");
	}
}

static void take_row(struct imp *m)
{
	const struct ds_import_kind *k = m->k;
	struct row_state rs;
	rs.bad = false;
	for (int c = 0; c < k->ncols; c++) {
		rs.out[c].nv = 0;
		rs.out[c].sealed = NULL;
	}
	ds_buf_init(&rs.reasons, 4096);
	m->stats->rows_read++;

	if (m->too_many || m->nf != m->nheader) {
		row_reject(m, &rs, NULL, "expected %d fields as in the header, found %s%d",
		           m->nheader, m->too_many ? "over " : "", m->nf);
		goto done;
	}
	for (int c = 0; c < k->ncols; c++) {
		const struct ds_import_col *col = &k->cols[c];
		if (m->cols[c].field < 0)
			continue;
		const char *raw = m->rec.p + m->off[m->cols[c].field];
		if (!*raw) {
			if (col->flags & (DS_COL_KEY | DS_COL_REQUIRED)) {
				row_reject(m, &rs, col->name, "required field is empty");
				continue;
			}
			if (!col->dflt) {
				rs.out[c].nv = ds_field_width(col);
				memset(rs.out[c].v, 0, sizeof rs.out[c].v);
				continue;
			}
			raw = col->dflt;
		}
		const char *why = NULL;
		if (ds_field_convert(col, raw, m->o, &rs.out[c], &why)) {
			bool secret = col->type == DS_COL_PHONE || col->type == DS_COL_NATID;
			char v[SHOW_BUF];
			show(raw, v, sizeof v);
			row_reject(m, &rs, col->name, "%s%s%s", why, secret ? "" : ": ",
			           secret ? "" : v);
			continue;
		}
	}
	for (const struct ds_import_rule *r = k->rules; r && r->when && !rs.bad; r++)
		apply_rule(m, &rs, r);
	if (rs.bad)
		goto done;
	struct ds_value vals[MAX_DBCOLS];
	for (int i = 0; i < m->table.ncols; i++)
		vals[i] = rs.out[m->src_col[i]].v[m->src_sub[i]];
	ds_put_result res;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_store_put(m->st, &m->table, vals, m->stats->batch_id, &res, &d);
	if (err == DS_ESTORE) {
		/* The database checks references as it writes; only a refused
		 * row pays for finding out which one is missing. */
		for (int c = 0; c < k->ncols && !m->fatal; c++) {
			const struct ds_import_col *col = &k->cols[c];
			if (col->ref && m->cols[c].field >= 0 && rs.out[c].v[0].type == DS_V_TEXT)
				m->fatal = check_ref(m, &rs, col, &m->cols[c], rs.out[c].v[0].s);
		}
		if (!rs.bad && !m->fatal)
			row_reject(m, &rs, NULL, "refused by the database: %s", d.msg);
		goto done;
	}
	if (err) {
		*m->diag = d;
		m->fatal = err;
		goto done;
	}
	switch (res) {
	case DS_PUT_INSERTED:
		m->stats->inserted++;
		break;
	case DS_PUT_UPDATED:
		m->stats->updated++;
		break;
	case DS_PUT_UNCHANGED:
		m->stats->unchanged++;
		break;
	case DS_PUT_DUPLICATE: {
		const struct ds_import_col *kc = &k->cols[m->src_col[0]];
		row_reject(m, &rs, kc->name, "duplicate key: the same %s came earlier in this file",
		           m->table.nkey > 1 ? "key" : kc->name);
		break;
	}
	}
done:
	if (rs.bad) {
		m->any_reject = true;
		m->stats->rejected++;
		write_reject(m, m->raw.p, m->raw.len, rs.reasons.p ? rs.reasons.p : "");
	}
	for (int c = 0; c < k->ncols; c++)
		ds_field_out_clear(&rs.out[c]);
	ds_buf_free(&rs.reasons);
}

/* ----------------------------------------------------------- CSV events */

static void on_field(void *data, size_t len, void *ctx)
{
	struct imp *m = ctx;
	if (m->nf >= DS_INGEST_MAX_FIELDS) {
		m->too_many = true;
		return;
	}
	m->off[m->nf++] = m->rec.len;
	size_t at = m->rec.len;
	ds_err e = ds_buf_add(&m->rec, data ? data : "", data ? len : 0);
	if (!e) {
		/* A quoted line break from a CRLF file is one line break. */
		char *f = m->rec.p + at, *w = f;
		for (char *r = f; r < m->rec.p + m->rec.len; r++)
			if (!(r[0] == '\r' && r + 1 < m->rec.p + m->rec.len && r[1] == '\n'))
				*w++ = *r;
		m->rec.len = (size_t)(w - m->rec.p);
	}
	if (!e)
		e = ds_buf_add(&m->rec, "", 1);
	if (e == DS_ENOMEM && !m->fatal)
		m->fatal = ds_diag_set(m->diag, DS_ENOMEM, m->path, m->rec_line, NULL,
		                       "out of memory");
	else if (e)
		m->too_many = true; /* over the record cap: reported as a bad row */
}

static void end_record(struct imp *m)
{
	ds_buf_reset(&m->rec);
	ds_buf_reset(&m->raw);
	m->nf = 0;
	m->too_many = false;
	m->in_record = false;
}

static void on_record(int term, void *ctx)
{
	(void)term;
	struct imp *m = ctx;
	if (m->fatal)
		return;
	if (!m->have_header && m->too_many) {
		problem(m, m->rec_line, NULL, false, "header has over %d columns",
		        DS_INGEST_MAX_FIELDS);
		m->fatal = DS_EREJECT;
	} else if (!m->have_header)
		take_header(m);
	else
		take_row(m);
	end_record(m);
}

/* A record that cannot be parsed: report it and start afresh. */
static void broken_record(struct imp *m, long line, const char *why)
{
	problem(m, line, NULL, false, "%s", why);
	m->any_reject = true;
	if (m->have_header) {
		m->stats->rows_read++;
		m->stats->rejected++;
		write_reject(m, m->raw.p ? m->raw.p : "", m->raw.len, why);
	} else {
		m->fatal = DS_EREJECT;
	}
	csv_free(&m->csv);
	csv_init(&m->csv, CSV_STRICT | CSV_STRICT_FINI);
	end_record(m);
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n' && s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* ------------------------------------------------------------ the import */

static ds_err record_attempt(struct imp *m, const char *status, const char *sha,
                             const char *encoding)
{
	ds_err err = ds_store_begin(m->st, NULL);
	if (err)
		return err;
	ds_stmt *s;
	struct ds_diag d;
	if (!(err = ds_store_prepare(m->st,
	                             "INSERT INTO import_batches(kind,file_name,file_sha256,"
	                             "encoding,actor,started_at,finished_at,rows_read,"
	                             "rows_rejected,status) VALUES(?,?,?,?,?,?,?,?,?,?)",
	                             &s, &d))) {
		bool row;
		int64_t now = (int64_t)time(NULL);
		ds_stmt_bind_text(s, 1, m->k->name);
		ds_stmt_bind_text(s, 2, m->path);
		ds_stmt_bind_text(s, 3, sha);
		ds_stmt_bind_text(s, 4, encoding);
		ds_stmt_bind_text(s, 5, ds_store_actor(m->st));
		ds_stmt_bind_int(s, 6, now);
		ds_stmt_bind_int(s, 7, now);
		ds_stmt_bind_int(s, 8, m->stats->rows_read);
		ds_stmt_bind_int(s, 9, m->stats->rejected);
		ds_stmt_bind_text(s, 10, status);
		err = ds_stmt_step(s, &row, &d);
		ds_stmt_done(s);
	}
	if (!err) {
		char detail[160];
		snprintf(detail, sizeof detail,
		         "{\"kind\":\"%s\",\"status\":\"%s\",\"rows_rejected\":%ld}", m->k->name,
		         status, m->stats->rejected);
		err = ds_store_audit(m->st, "import", "import_batches", m->path, detail, &d);
	}
	if (!err)
		err = ds_store_commit(m->st, &d);
	if (err)
		ds_store_rollback(m->st);
	return err;
}

static ds_err open_batch(struct imp *m, const char *encoding)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(m->st,
	                              "INSERT INTO import_batches(kind,file_name,file_sha256,"
	                              "encoding,actor,started_at,status) "
	                              "VALUES(?,?,'',?,?,?,'running')",
	                              &s, m->diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_text(s, 1, m->k->name);
	ds_stmt_bind_text(s, 2, m->path);
	ds_stmt_bind_text(s, 3, encoding);
	ds_stmt_bind_text(s, 4, ds_store_actor(m->st));
	ds_stmt_bind_int(s, 5, (int64_t)time(NULL));
	err = ds_stmt_step(s, &row, m->diag);
	ds_stmt_done(s);
	m->stats->batch_id = ds_store_last_id(m->st);
	return err;
}

static ds_err close_batch(struct imp *m, const char *sha)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(m->st,
	                              "UPDATE import_batches SET file_sha256=?,finished_at=?,"
	                              "rows_read=?,rows_inserted=?,rows_updated=?,"
	                              "rows_unchanged=?,rows_rejected=?,status='committed' "
	                              "WHERE batch_id=?",
	                              &s, m->diag);
	if (err)
		return err;
	bool row;
	const struct ds_import_stats *t = m->stats;
	ds_stmt_bind_text(s, 1, sha);
	ds_stmt_bind_int(s, 2, (int64_t)time(NULL));
	ds_stmt_bind_int(s, 3, t->rows_read);
	ds_stmt_bind_int(s, 4, t->inserted);
	ds_stmt_bind_int(s, 5, t->updated);
	ds_stmt_bind_int(s, 6, t->unchanged);
	ds_stmt_bind_int(s, 7, t->rejected);
	ds_stmt_bind_int(s, 8, t->batch_id);
	err = ds_stmt_step(s, &row, m->diag);
	ds_stmt_done(s);
	if (err)
		return err;
	char detail[256];
	snprintf(detail, sizeof detail,
	         "{\"kind\":\"%s\",\"sha256\":\"%s\",\"inserted\":%ld,\"updated\":%ld,"
	         "\"unchanged\":%ld,\"rejected\":%ld}",
	         m->k->name, sha, t->inserted, t->updated, t->unchanged, t->rejected);
	char id[32];
	snprintf(id, sizeof id, "%lld", (long long)t->batch_id);
	return ds_store_audit(m->st, "import", "import_batches", id, detail, m->diag);
}

static ds_err feed(struct imp *m, struct ds_reader *r)
{
	const char *line;
	size_t len;
	long lineno;
	for (;;) {
		ds_err e = ds_reader_next(r, &line, &len, &lineno);
		if (e == DS_ENOTFOUND)
			break;
		if (e == DS_EIO || e == DS_ENOMEM)
			return ds_diag_set(m->diag, e, m->path, lineno, NULL, "read error: %s",
			                   strerror(errno));
		if (m->o->on_progress && ++m->since_progress >= 65536) {
			m->since_progress = 0;
			m->o->on_progress(m->o->ctx, ds_reader_done(r), ds_reader_size(r));
		}
		if (e == DS_ETOOBIG || e == DS_EENCODING) {
			char why[200];
			if (e == DS_ETOOBIG)
				snprintf(why, sizeof why, "line longer than %u bytes",
				         DS_INGEST_MAX_LINE);
			else
				snprintf(why, sizeof why, "%.*s", (int)len, line);
			m->rec_line = m->in_record ? m->rec_line : lineno;
			broken_record(m, lineno, why);
			if (m->fatal)
				return m->fatal;
			continue;
		}
		if (!m->in_record) {
			if (blank(line, len))
				continue;
			m->in_record = true;
			m->rec_line = lineno;
		}
		ds_err add = ds_buf_add(&m->raw, line, len);
		if (add == DS_ENOMEM)
			return ds_diag_set(m->diag, DS_ENOMEM, m->path, lineno, NULL,
			                   "out of memory");
		if (add) {
			char why[160];
			snprintf(why, sizeof why,
			         "record longer than %u bytes (an unclosed "
			         "quote?)",
			         DS_INGEST_MAX_RECORD);
			broken_record(m, m->rec_line, why);
			if (m->fatal)
				return m->fatal;
			continue;
		}
		if (csv_parse(&m->csv, line, len, on_field, on_record, m) != len) {
			if (m->fatal)
				return m->fatal;
			broken_record(m, m->rec_line,
			              csv_error(&m->csv) == CSV_EPARSE
			                      ? "malformed quoting (RFC 4180)"
			                      : "CSV parser error");
		}
		if (m->fatal)
			return m->fatal;
	}
	if (csv_fini(&m->csv, on_field, on_record, m) != 0 && !m->fatal)
		broken_record(m, m->rec_line, "unclosed quote at end of file");
	if (!m->have_header && !m->fatal) {
		problem(m, 1, NULL, false, "empty file: no header line");
		m->fatal = DS_EREJECT;
	}
	return m->fatal;
}

/* After a rollback the counts of written rows would claim what is not so. */
static void nothing_written(struct ds_import_stats *t)
{
	t->inserted = t->updated = t->unchanged = 0;
}

/* One pass over the file; *retry asks for a checked pass instead. */
static ds_err import_pass(ds_store *st, const struct ds_import_kind *k, const char *path,
                          const struct ds_import_opts *opts, struct ds_import_stats *stats,
                          struct ds_diag *diag, bool optimistic, bool *retry)
{
	memset(stats, 0, sizeof *stats);
	*retry = false;
	bool bulk = false;
	ds_err err;
	if (optimistic && (err = ds_store_bulk_prepare(st, k->table, &bulk, diag)))
		return err;
	struct imp m;
	memset(&m, 0, sizeof m);
	m.optimistic = bulk;
	m.quiet_warnings = !optimistic;
	m.st = st;
	m.k = k;
	m.o = opts;
	m.path = path;
	m.stats = stats;
	m.diag = diag;
	ds_buf_init(&m.rec, DS_INGEST_MAX_RECORD + DS_INGEST_MAX_FIELDS);
	ds_buf_init(&m.raw, DS_INGEST_MAX_RECORD);
	ds_buf_init(&m.header_raw, DS_INGEST_MAX_RECORD);

	struct ds_reader *r = NULL;
	char *token = NULL;
	if ((err = ds_reader_open(path, opts->encoding, &r, diag)))
		goto out;
	ds_strlcpy(stats->encoding, ds_reader_encoding(r), sizeof stats->encoding);
	if (opts->rejects_path) {
		struct ds_buf tmp;
		ds_buf_init(&tmp, 8192);
		if (ds_buf_addf(&tmp, "%s.partial", opts->rejects_path)) {
			err = ds_diag_set(diag, DS_ETOOBIG, opts->rejects_path, 0, NULL,
			                  "path too long");
			goto out;
		}
		m.rejects_tmp = tmp.p;
		/* Bad rows may carry ID and phone numbers: owner-only, like a key. */
		int fd = open(m.rejects_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		m.rejects = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (fd >= 0 && !m.rejects)
			close(fd);
		if (!m.rejects) {
			err = ds_diag_set(diag, DS_EIO, opts->rejects_path, 0, NULL,
			                  "cannot write rejects file: %s", strerror(errno));
			goto out;
		}
	}
	if (csv_init(&m.csv, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		err = ds_diag_set(diag, DS_ENOMEM, path, 0, NULL, "out of memory");
		goto out;
	}
	if ((err = ds_store_begin(st, diag)))
		goto out_csv;
	if ((err = open_batch(&m, ds_reader_encoding(r))))
		goto rollback;
	if (bulk && (err = ds_store_bulk_begin(st, k->table, &token, diag)))
		goto rollback;
	err = feed(&m, r);
	if (bulk && !err && !m.retry) {
		bool orphans = false;
		err = ds_store_bulk_end(st, k->table, token, &orphans, diag);
		m.retry = orphans;
	}
	if (m.retry) {
		/* not an error: the checked pass will say what is wrong */
		ds_store_rollback(st);
		*retry = true;
		err = DS_OK;
		goto out_csv;
	}
	char sha[65];
	ds_reader_sha256(r, sha);
	if (err == DS_EREJECT || (!err && m.any_reject && !m.rejects)) {
		ds_store_rollback(st);
		nothing_written(stats);
		record_attempt(&m, "rejected", sha, ds_reader_encoding(r));
		if (!diag->msg[0] && stats->rejected)
			ds_diag_set(diag, DS_EREJECT, path, 0, NULL,
			            "file rejected: %ld bad row(s); nothing was imported",
			            stats->rejected);
		else if (!diag->msg[0])
			ds_diag_set(diag, DS_EREJECT, path, 0, NULL,
			            "file rejected: see the problems above; nothing was imported");
		err = DS_EREJECT;
		goto out_csv;
	}
	if (err)
		goto rollback;
	if (m.rejects && fflush(m.rejects) != 0) {
		err = ds_diag_set(diag, DS_EIO, opts->rejects_path, 0, NULL,
		                  "cannot write rejects file: %s", strerror(errno));
		goto rollback;
	}
	if ((err = close_batch(&m, sha)) || (err = ds_store_commit(st, diag)))
		goto rollback;
	stats->committed = true;
	if (m.rejects) {
		fclose(m.rejects);
		m.rejects = NULL;
		if (rename(m.rejects_tmp, opts->rejects_path) != 0)
			err = ds_diag_set(diag, DS_EIO, opts->rejects_path, 0, NULL,
			                  "imported, but cannot write rejects file: %s",
			                  strerror(errno));
	}
	goto out_csv;
rollback:
	ds_store_rollback(st);
	nothing_written(stats);
	if (!diag->msg[0]) {
		ds_diag_set(diag, err, path, 0, NULL, "%s", ds_strerror(err));
	} else if (err == DS_EIO || err == DS_ESTORE) {
		/* the store's failure names the database: say what became of the file */
		struct ds_buf b;
		ds_buf_init(&b, sizeof diag->msg - 1);
		ds_buf_addf(&b, "%s; nothing of %s was imported", diag->msg, path);
		if (b.p)
			ds_strlcpy(diag->msg, b.p, sizeof diag->msg);
		ds_buf_free(&b);
	}
	{
		char sha2[65];
		ds_reader_sha256(r, sha2);
		record_attempt(&m, "failed", sha2, ds_reader_encoding(r));
	}
out_csv:
	csv_free(&m.csv);
out:
	if (bulk)
		ds_store_bulk_finish(st);
	if (m.rejects) {
		fclose(m.rejects);
		unlink(m.rejects_tmp);
	}
	ds_free(token);
	ds_free(m.rejects_tmp);
	ds_buf_free(&m.rec);
	ds_buf_free(&m.raw);
	ds_buf_free(&m.header_raw);
	ds_reader_close(r);
	return err;
}

ds_err ds_import_file(ds_store *st, const char *kind, const char *path,
                      const struct ds_import_opts *opts, struct ds_import_stats *stats,
                      struct ds_diag *diag)
{
	memset(stats, 0, sizeof *stats);
	const struct ds_import_kind *k = ds_import_kind_find(kind);
	if (!k)
		return ds_diag_set(diag, DS_EUSAGE, path, 0, NULL, "unknown import kind '%s'",
		                   kind);
	if (!opts->timezone || !ds_tz_valid(opts->timezone))
		return ds_diag_set(diag, DS_ECONFIG, path, 0, NULL,
		                   "import time zone '%s' is not an IANA zone",
		                   opts->timezone ? opts->timezone : "");
	/* A load into an empty table first tries the fast way: references and
	 * indexes once at the end. Any problem sends it back to the checked
	 * way, row by row, which reports each problem with its line. */
	bool retry;
	ds_err err = import_pass(st, k, path, opts, stats, diag, true, &retry);
	if (!err && retry) {
		ds_diag_clear(diag);
		err = import_pass(st, k, path, opts, stats, diag, false, &retry);
	}
	return err;
}

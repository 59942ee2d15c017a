/*
 * Datasets: rows of float features (NAN missing) with an optional 0/1 label,
 * built from the store's features or read from any CSV.
 */
#include "doorstep/ingest.h"
#include "doorstep/model.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_BYTES (256ull << 20)

ds_err ds_dataset_new(int nfeat, long nrows, bool labelled, ds_dataset **out)
{
	if (nfeat < 0 || nfeat > DS_MODEL_MAX_FEATURES || nrows < 0 || nrows > DS_MODEL_MAX_ROWS)
		return DS_EINVAL;
	ds_dataset *d = ds_calloc(1, sizeof *d);
	if (!d)
		return DS_ENOMEM;
	d->nfeat = nfeat;
	d->nrows = nrows;
	d->feat = ds_calloc((size_t)nfeat + 1, sizeof *d->feat);
	d->x = ds_malloc(((size_t)nrows * (size_t)nfeat + 1) * sizeof *d->x);
	d->y = labelled ? ds_calloc((size_t)nrows + 1, sizeof *d->y) : NULL;
	if (!d->feat || !d->x || (labelled && !d->y)) {
		ds_dataset_free(d);
		return DS_ENOMEM;
	}
	for (size_t i = 0; i < (size_t)nrows * (size_t)nfeat; i++)
		d->x[i] = NAN;
	*out = d;
	return DS_OK;
}

void ds_dataset_free(ds_dataset *d)
{
	if (!d)
		return;
	ds_free(d->feat);
	ds_free(d->x);
	ds_free(d->y);
	ds_free(d->when);
	ds_free(d->id);
	ds_free(d);
}

void ds_dataset_fingerprint(const ds_dataset *d, char out[65])
{
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	int32_t shape[2] = { d->nfeat, (int32_t)d->nrows };
	crypto_hash_sha256_update(&h, (const unsigned char *)shape, sizeof shape);
	for (int f = 0; f < d->nfeat; f++) {
		const struct ds_feature *ft = &d->feat[f];
		crypto_hash_sha256_update(&h, (const unsigned char *)ft->name,
		                          strlen(ft->name) + 1);
		for (int c = 0; c < ft->ncat; c++)
			crypto_hash_sha256_update(&h, (const unsigned char *)ft->cats[c],
			                          strlen(ft->cats[c]) + 1);
	}
	crypto_hash_sha256_update(&h, (const unsigned char *)d->x,
	                          (size_t)d->nrows * (size_t)d->nfeat * sizeof *d->x);
	if (d->y)
		crypto_hash_sha256_update(&h, (const unsigned char *)d->y,
		                          (size_t)d->nrows * sizeof *d->y);
	if (d->when)
		crypto_hash_sha256_update(&h, (const unsigned char *)d->when,
		                          (size_t)d->nrows * sizeof *d->when);
	unsigned char dig[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, dig);
	sodium_bin2hex(out, 65, dig, sizeof dig);
}

/* ------------------------------------------------------------- CSV reading */

struct column {
	int feature;    /* index in the dataset, -1 for target and id */
	bool declared;  /* named categorical by the caller */
	bool text_seen; /* a value that is not a number */
	bool overflow;  /* over DS_MODEL_MAX_CATEGORIES distinct values */
	long text_line; /* where the first text value was */
	int ncat;
	char cats[DS_MODEL_MAX_CATEGORIES][48];
};

struct reading {
	const char *path;
	const struct ds_csv_opts *o;
	int ncol, target, idcol;
	struct column *col;
	char names[DS_INGEST_MAX_FIELDS][64];
	int nfeat;
	/* growing per-row storage */
	long nrows, cap;
	float *num;  /* nrows x nfeat: the number, or NAN */
	int8_t *cat; /* nrows x nfeat: the category index, -1 none */
	float *y;
	char (*id)[65];
};

static bool parse_number(const char *s, float *out)
{
	if (!*s)
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	while (*end == ' ')
		end++;
	if (*end || errno == ERANGE || !isfinite(v) || s[0] == ' ')
		return false;
	*out = (float)v;
	return true;
}

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

static ds_err header(struct reading *r, char **fields, int n, struct ds_diag *diag)
{
	r->ncol = n;
	r->target = r->idcol = -1;
	r->col = ds_calloc((size_t)n, sizeof *r->col);
	if (!r->col)
		return ds_diag_set(diag, DS_ENOMEM, r->path, 1, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		const char *name = fields[i];
		if (!*name || strlen(name) >= sizeof r->names[0])
			return ds_diag_set(diag, DS_EREJECT, r->path, 1, NULL,
			                   "column %d: a name of 1-63 bytes is needed", i + 1);
		for (int k = 0; k < i; k++)
			if (strcmp(r->names[k], name) == 0)
				return ds_diag_set(diag, DS_EREJECT, r->path, 1, name,
				                   "column appears twice in the header");
		ds_strlcpy(r->names[i], name, sizeof r->names[i]);
		r->col[i].feature = -1;
		if (strcmp(name, r->o->target) == 0)
			r->target = i;
		else if (r->o->id_column && strcmp(name, r->o->id_column) == 0)
			r->idcol = i;
		else {
			if (r->nfeat == DS_MODEL_MAX_FEATURES)
				return ds_diag_set(diag, DS_ETOOBIG, r->path, 1, name,
				                   "more than %d feature columns",
				                   DS_MODEL_MAX_FEATURES);
			r->col[i].feature = r->nfeat++;
			r->col[i].declared = in_list(r->o->categorical, name);
		}
	}
	if (r->target < 0)
		return ds_diag_set(diag, DS_EREJECT, r->path, 1, r->o->target,
		                   "the target column is not in the header");
	if (r->o->id_column && r->idcol < 0)
		return ds_diag_set(diag, DS_EREJECT, r->path, 1, r->o->id_column,
		                   "the id column is not in the header");
	for (const char *p = r->o->categorical; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		bool found = false;
		for (int i = 0; i < n && !found; i++)
			found = strlen(r->names[i]) == len && strncmp(r->names[i], p, len) == 0;
		if (!found)
			return ds_diag_set(diag, DS_EREJECT, r->path, 1, NULL,
			                   "categorical column \"%.*s\" is not in the header",
			                   (int)len, p);
		p = e ? e + 1 : NULL;
	}
	if (r->nfeat == 0)
		return ds_diag_set(diag, DS_EREJECT, r->path, 1, NULL, "no feature columns");
	return DS_OK;
}

/* The category index of s in column c, adding it; -1 past the cap. */
static int category(struct column *c, const char *s)
{
	for (int k = 0; k < c->ncat; k++)
		if (strcmp(c->cats[k], s) == 0)
			return k;
	if (c->ncat == DS_MODEL_MAX_CATEGORIES || strlen(s) >= sizeof c->cats[0]) {
		c->overflow = true;
		return -1;
	}
	ds_strlcpy(c->cats[c->ncat], s, sizeof c->cats[0]);
	return c->ncat++;
}

static ds_err grow(struct reading *r, struct ds_diag *diag, long line)
{
	if (r->nrows < r->cap)
		return DS_OK;
	if (r->cap >= DS_MODEL_MAX_ROWS)
		return ds_diag_set(diag, DS_ETOOBIG, r->path, line, NULL, "more than %ld rows",
		                   DS_MODEL_MAX_ROWS);
	long cap = r->cap ? r->cap * 2 : 1024;
	size_t cells = (size_t)cap * (size_t)r->nfeat;
	float *num = ds_realloc(r->num, cells * sizeof *num);
	if (num)
		r->num = num;
	int8_t *cat = num ? ds_realloc(r->cat, cells * sizeof *cat) : NULL;
	if (cat)
		r->cat = cat;
	float *y = cat ? ds_realloc(r->y, (size_t)cap * sizeof *y) : NULL;
	if (y)
		r->y = y;
	void *id = y && r->idcol >= 0 ? ds_realloc(r->id, (size_t)cap * sizeof *r->id) : y;
	if (id && r->idcol >= 0)
		r->id = id;
	if (!id)
		return ds_diag_set(diag, DS_ENOMEM, r->path, line, NULL, "out of memory");
	r->cap = cap;
	return DS_OK;
}

static ds_err on_row(void *ctx, long record, long line, char **fields, int n, struct ds_diag *diag)
{
	struct reading *r = ctx;
	if (record == 0)
		return header(r, fields, n, diag);
	if (n != r->ncol)
		return ds_diag_set(diag, DS_EREJECT, r->path, line, NULL,
		                   "%d fields where the header has %d", n, r->ncol);
	ds_err err = grow(r, diag, line);
	if (err)
		return err;
	long row = r->nrows;
	const char *label = fields[r->target];
	float y;
	if (r->o->positive) {
		if (!*label)
			return ds_diag_set(diag, DS_EREJECT, r->path, line, r->o->target,
			                   "the target is empty");
		y = strcmp(label, r->o->positive) == 0 ? 1.0f : 0.0f;
	} else if (strcmp(label, "1") == 0 || strcmp(label, "0") == 0) {
		y = label[0] == '1' ? 1.0f : 0.0f;
	} else {
		return ds_diag_set(diag, DS_EREJECT, r->path, line, r->o->target,
		                   "the target must be 0 or 1 (or name --positive)");
	}
	r->y[row] = y;
	if (r->idcol >= 0)
		ds_strlcpy(r->id[row], fields[r->idcol], sizeof r->id[row]);
	for (int i = 0; i < n; i++) {
		struct column *c = &r->col[i];
		if (c->feature < 0)
			continue;
		size_t cell = (size_t)row * (size_t)r->nfeat + (size_t)c->feature;
		const char *s = fields[i];
		float v = NAN;
		r->num[cell] = NAN;
		r->cat[cell] = -1;
		if (!*s)
			continue;
		if (!c->declared && parse_number(s, &v))
			r->num[cell] = v;
		else if (!c->text_seen) {
			c->text_seen = true;
			c->text_line = line;
		}
		/* every value is a category until the column proves numeric */
		if (!c->overflow)
			r->cat[cell] = (int8_t)category(c, s);
		if (c->overflow && (c->declared || c->text_seen))
			return ds_diag_set(diag, DS_ETOOBIG, r->path, line, r->names[i],
			                   "a categorical column with more than %d values "
			                   "(or a value over 47 bytes)",
			                   DS_MODEL_MAX_CATEGORIES);
	}
	r->nrows++;
	return DS_OK;
}

ds_err ds_dataset_read_csv(const char *path, const struct ds_csv_opts *o, ds_dataset **out,
                           struct ds_diag *diag)
{
	if (!o || !o->target)
		return ds_diag_set(diag, DS_EUSAGE, path, 0, NULL, "no target column named");
	struct reading *r = ds_calloc(1, sizeof *r);
	if (!r)
		return ds_diag_set(diag, DS_ENOMEM, path, 0, NULL, "out of memory");
	r->path = path;
	r->o = o;
	ds_err err = ds_csv_read(path, NULL, CSV_MAX_BYTES, on_row, r, diag);
	if (!err && r->ncol == 0)
		err = ds_diag_set(diag, DS_EREJECT, path, 1, NULL, "empty file: no header line");
	if (!err && r->nrows < 2)
		err = ds_diag_set(diag, DS_EREJECT, path, 0, NULL, "fewer than 2 rows of data");
	ds_dataset *d = NULL;
	if (!err && (err = ds_dataset_new(r->nfeat, r->nrows, true, &d)))
		ds_diag_set(diag, err, path, 0, NULL, "out of memory");
	if (!err) {
		for (int i = 0; i < r->ncol; i++) {
			const struct column *c = &r->col[i];
			if (c->feature < 0)
				continue;
			struct ds_feature *f = &d->feat[c->feature];
			ds_strlcpy(f->name, r->names[i], sizeof f->name);
			f->categorical = c->declared || c->text_seen;
			if (f->categorical) {
				f->ncat = c->ncat;
				memcpy(f->cats, c->cats, sizeof f->cats);
			}
			for (long row = 0; row < r->nrows; row++) {
				size_t cell = (size_t)row * (size_t)r->nfeat + (size_t)c->feature;
				d->x[cell] =
				        f->categorical
				                ? (r->cat[cell] >= 0 ? (float)r->cat[cell] : NAN)
				                : r->num[cell];
			}
		}
		memcpy(d->y, r->y, (size_t)r->nrows * sizeof *d->y);
		if (r->idcol >= 0) {
			d->id = r->id;
			r->id = NULL;
		}
		long pos = 0;
		for (long row = 0; row < r->nrows; row++)
			pos += d->y[row] > 0.5f;
		if (pos == 0 || pos == r->nrows)
			err = ds_diag_set(
			        diag, DS_EREJECT, path, 0, o->target,
			        "the target has a single class (%ld of %ld rows are events)", pos,
			        r->nrows);
	}
	ds_free(r->col);
	ds_free(r->num);
	ds_free(r->cat);
	ds_free(r->y);
	ds_free(r->id);
	ds_free(r);
	if (err) {
		ds_dataset_free(d);
		return err;
	}
	*out = d;
	return DS_OK;
}

int ds_dataset_feature(const ds_dataset *d, const char *name)
{
	for (int f = 0; f < d->nfeat; f++)
		if (strcmp(d->feat[f].name, name) == 0)
			return f;
	return -1;
}

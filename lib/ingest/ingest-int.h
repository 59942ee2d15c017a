/* Internals of the intake layer. */
#ifndef DOORSTEP_INGEST_INT_H
#define DOORSTEP_INGEST_INT_H

#include "doorstep/ingest.h"

/*
 * Reads a file as UTF-8 lines: detects or applies the encoding, converts
 * GBK/GB18030 per line, caps line length, hashes the raw bytes (SHA-256).
 */
struct ds_reader;

ds_err ds_reader_open(const char *path, const char *encoding, struct ds_reader **out,
                      struct ds_diag *diag);
/*
 * The next line (with its terminator, if any) as UTF-8 in *line, *len; valid
 * until the next call; *lineno is its 1-based number. Returns DS_ENOTFOUND
 * at end of file; DS_EENCODING (line skipped; *line holds a printable
 * excerpt) or DS_ETOOBIG (line skipped) for a bad line; DS_EIO on a read
 * error.
 */
ds_err ds_reader_next(struct ds_reader *r, const char **line, size_t *len, long *lineno);
const char *ds_reader_encoding(const struct ds_reader *r);
uint64_t ds_reader_done(const struct ds_reader *r);
uint64_t ds_reader_size(const struct ds_reader *r);
/* SHA-256 of every byte read so far, hex; the first call ends hashing. */
void ds_reader_sha256(struct ds_reader *r, char out[65]);
void ds_reader_close(struct ds_reader *r);

/* A typed field: up to three store values (personal data takes three). */
struct ds_field_out {
	struct ds_value v[3];
	int nv;
	char text[96]; /* storage for hashes, masks, dates */
	char text2[96];
	unsigned char *sealed; /* ds_malloc'd; freed by ds_field_out_clear */
};

/*
 * Checks and converts one non-empty field of column c. On failure returns
 * DS_EINVAL and points *why at a static reason (detail may be filled).
 */
ds_err ds_field_convert(const struct ds_import_col *c, const char *raw,
                        const struct ds_import_opts *opts, struct ds_field_out *out,
                        const char **why);
void ds_field_out_clear(struct ds_field_out *out);
/* Number of store columns that column c fills. */
int ds_field_width(const struct ds_import_col *c);
/* Name of the i-th store column of c (i < width), into buf. */
const char *ds_field_dbname(const struct ds_import_col *c, int i, char *buf, size_t bufsz);
/* Whether the i-th store column takes part in change detection. */
bool ds_field_compared(const struct ds_import_col *c, int i);

#endif

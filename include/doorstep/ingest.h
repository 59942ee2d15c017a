/*
 * Intake: the bank's CSV files (RFC 4180, UTF-8 or GBK/GB18030) into the
 * store, one transaction per file, upserted by the bank's own ids.
 *
 * Every rejected row is reported as FILE:LINE:COLUMN: reason. By default a
 * file with any rejection writes nothing; with a rejects file the good rows
 * are written and each bad row goes, verbatim plus a reason column, to it.
 */
#ifndef DOORSTEP_INGEST_H
#define DOORSTEP_INGEST_H

#include "doorstep/core.h"
#include "doorstep/store.h"

/* Hard caps on input. */
#define DS_INGEST_MAX_LINE   (1u << 20) /* bytes in one physical line */
#define DS_INGEST_MAX_RECORD (1u << 20) /* bytes in one record */
#define DS_INGEST_MAX_FIELDS 256        /* fields in one record */

/* Column value types of the import format. */
typedef enum ds_coltype {
	DS_COL_ID,       /* bank identifier: [A-Za-z0-9_.:-], at most max_len */
	DS_COL_TEXT,     /* UTF-8 text, at most max_len characters */
	DS_COL_INT,      /* integer in [min, max] */
	DS_COL_MONEY,    /* yuan, up to two decimals, stored as fen in [min, max] */
	DS_COL_PERCENT,  /* percent with up to two decimals, stored as basis points */
	DS_COL_DATE,     /* YYYY-MM-DD */
	DS_COL_DATETIME, /* ISO 8601; without offset: the import time zone */
	DS_COL_LAT,      /* degrees, -90..90 */
	DS_COL_LON,      /* degrees, -180..180 */
	DS_COL_ENUM,     /* one of a fixed list */
	DS_COL_LIST,     /* comma-separated tokens [a-z0-9_] */
	DS_COL_PHONE,    /* personal: stored hashed, sealed and masked */
	DS_COL_NATID,    /* personal: PRC resident ID, hashed, sealed, last 4 */
	DS_COL_TZ,       /* IANA time zone name */
	DS_COL_BOOL,     /* 1/0, true/false, yes/no, 是/否 */
	DS_COL_HHMM,     /* HH:MM */
	DS_COL_POLYGON   /* "lon lat;lon lat;..." at least 3 points */
} ds_coltype;

#define DS_COL_REQUIRED 1u /* column must be present and non-empty */
#define DS_COL_KEY      2u /* part of the natural key (also required) */
#define DS_COL_PAST     4u /* date must not be after the import day */

struct ds_import_col {
	const char *name; /* CSV header name */
	const char *db;   /* column name in the store (base for personal) */
	ds_coltype type;
	unsigned flags;
	int64_t min, max;   /* INT, MONEY (fen), PERCENT (bp); max_len in max */
	const char *values; /* ENUM: space-separated allowed values */
	const char *ref;    /* "table.column" that must hold this value */
	const char *dflt;   /* used when the field is empty */
	const char *doc;    /* one line for docs and --help */
};

/*
 * A rule across columns. Without values: when `when` holds a non-zero
 * value, every column named in `needs` (space-separated) must be filled in
 * too. With values: when `when` holds one of `when_values`, the column
 * `needs`, if filled in, must hold one of `allowed` (space-separated).
 */
struct ds_import_rule {
	const char *when;
	const char *needs;
	const char *when_values;
	const char *allowed;
};

struct ds_import_kind {
	const char *name;  /* the CLI's <kind> */
	const char *table; /* store table */
	const char *doc;
	const struct ds_import_col *cols;
	int ncols;
	const struct ds_import_rule *rules; /* NULL-terminated, or NULL */
};

/* The kinds in dependency order (import them in this order). */
const struct ds_import_kind *ds_import_kinds(int *count);
const struct ds_import_kind *ds_import_kind_find(const char *name);

struct ds_import_opts {
	const char *encoding;         /* NULL or "auto", "utf-8", "gbk", "gb18030" */
	const char *rejects_path;     /* NULL: all-or-nothing */
	const char *timezone;         /* zone of datetimes without offset (required) */
	const struct ds_pii_key *key; /* required for personal columns */
	ds_date today;                /* the import day, for DS_COL_PAST checks */
	/* Called once per problem (a rejected field or row, a warning). */
	void (*on_problem)(void *ctx, const struct ds_diag *d, bool warning);
	/* Called now and then with bytes read so far and the file's size. */
	void (*on_progress)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
};

struct ds_import_stats {
	int64_t batch_id;
	char encoding[16];
	long rows_read, inserted, updated, unchanged, rejected;
	long problems; /* rejected fields and rows reported */
	bool committed;
};

/*
 * Imports one file of `kind` in one transaction. Returns DS_OK when the file
 * was committed (with --rejects also when some rows went to the rejects
 * file), DS_EREJECT when it was refused for bad rows (nothing written), and
 * another code when it could not be read or stored (nothing written; *diag
 * says why).
 */
ds_err ds_import_file(ds_store *st, const char *kind, const char *path,
                      const struct ds_import_opts *opts, struct ds_import_stats *stats,
                      struct ds_diag *diag);

/*
 * Any CSV file with a header row (RFC 4180, UTF-8 or GBK/GB18030 as
 * `encoding` says or detects, NULL = "auto"), record by record: `fn` gets
 * the fields of each non-blank record (the header first, record 0) with the
 * line it starts on, and stops the read by returning non-zero (its error is
 * returned). A broken record (quoting, encoding, over the line or record
 * caps) stops the read with DS_EREJECT naming file and line. Files over
 * `max_bytes` are refused with DS_ETOOBIG before anything is read.
 */
typedef ds_err (*ds_csv_record_fn)(void *ctx, long record, long line, char **fields, int n,
                                   struct ds_diag *diag);
ds_err ds_csv_read(const char *path, const char *encoding, uint64_t max_bytes, ds_csv_record_fn fn,
                   void *ctx, struct ds_diag *diag);

#endif

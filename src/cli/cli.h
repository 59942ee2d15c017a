/* The doorstep command line: shared context and helpers of the commands. */
#ifndef DOORSTEP_CLI_H
#define DOORSTEP_CLI_H

#include "doorstep/config.h"
#include "doorstep/core.h"
#include "doorstep/rules.h"
#include "doorstep/store.h"

#include <jansson.h>
#include <stdio.h>

/* Exit codes (docs/cli.md). */
enum {
	EXIT_OK = 0,
	EXIT_REJECTED = 1, /* input rejected */
	EXIT_USAGE = 2,    /* wrong use of a command */
	EXIT_FAILURE_ = 3  /* runtime failure */
};

struct cli {
	struct ds_config cfg;
	bool json;  /* machine-readable output on stdout */
	bool quiet; /* no progress, no chatter on stderr */
	bool step;  /* run as a step of another command (demo): no report on stdout */
	const char *prog;
};

struct cli_command {
	const char *name;
	const char *summary; /* one line for the command list */
	const char *usage;   /* usage line(s), after "doorstep " */
	const char *help;    /* the rest of --help: options and notes */
	int (*run)(struct cli *c, int argc, char **argv);
};

extern const struct cli_command *const cli_commands[];
extern const int cli_command_count;

/* Prints "doorstep: <diag>" to stderr; returns the exit code for err. */
int cli_fail(struct cli *c, ds_err err, const struct ds_diag *d);
/* As cli_fail, for a step the library refused on the data's account (an
 * invalid transition, an unknown record, a rule): EXIT_REJECTED for
 * DS_EINVAL, DS_ENOTFOUND and DS_EREJECT. */
int cli_refused(struct cli *c, ds_err err, const struct ds_diag *d);
/* Prints a usage error for a command and returns EXIT_USAGE. */
int cli_usage(const struct cli_command *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Prints the --help text of a command to stdout. */
void cli_help(const struct cli_command *cmd, FILE *out);
/* Handles -h/--help as the only argument check for simple commands. */
bool cli_wants_help(int argc, char **argv);
const struct cli_command *cli_find(const char *name);

/* Opens the configured database; for_init allows an empty or old schema. */
int cli_open_store(struct cli *c, bool for_init, ds_store **out);
/* The data-protection key file path for the configured database. */
void cli_key_path(struct cli *c, char *out, size_t outsz);
/* Parses --as-of (or today in the configured zone). */
int cli_as_of(struct cli *c, const char *arg, ds_date *out);

/*
 * The contact-rule pack in force: `jurisdiction` (NULL: [rules]
 * jurisdiction) or a whole pack from `pack_file`, then the bank's [rules]
 * override_file. Returns an exit code; *out is the caller's on success.
 */
int cli_load_rules(struct cli *c, const char *jurisdiction, const char *pack_file,
                   ds_rulepack **out);

/* --at: an ISO 8601 time (without an offset, in the configured zone), or
 * now when arg is NULL. Returns an exit code (a usage error for cmd). */
int cli_at(struct cli *c, const struct cli_command *cmd, const char *arg, ds_time *out);

/*
 * Prints the rows of a listing query (stepped to the end, then done): with
 * --json an array of objects named by the query's columns (integers,
 * numbers, strings, null), else a header and aligned columns, a column
 * named *_fen in yuan. Returns an exit code.
 */
int cli_print_rows(struct cli *c, ds_stmt *s);

/* Prints a JSON value to stdout (and frees it). */
void cli_print_json(json_t *v);

/* Progress on stderr when it is a terminal (and not --quiet, not --json). */
void cli_progress(struct cli *c, const char *label, uint64_t done, uint64_t total);
void cli_progress_end(struct cli *c);

/*
 * Trains both targets' models from the store (default settings, the first
 * of each kind becoming champion) and scores the delinquent accounts on
 * as_of, printing no reports (the demo's last step). Returns an exit code.
 */
int cli_model_bootstrap(struct cli *c, ds_date as_of);

#endif

/*
 * Imports files of one kind (shared by `import` and `demo`). rejects: NULL,
 * a file (one input) or a directory (several inputs). Appends one object
 * per file to `report` when not NULL. Returns an exit code.
 */
int cli_import(struct cli *c, ds_store *st, const char *kind, char **files, int nfiles,
               const char *rejects, const char *encoding, json_t *report);

/*
 * Settings: built-in defaults, then the INI file (doorstep.ini), then
 * environment variables, then command-line options. Every key is listed in
 * one table, which `doorstep config` and docs/configuration.md follow.
 */
#ifndef DOORSTEP_CONFIG_H
#define DOORSTEP_CONFIG_H

#include "doorstep/core.h"

#include <stdio.h>

typedef enum ds_cfg_key {
	DS_CFG_DB_PATH,
	DS_CFG_DB_BUSY_TIMEOUT_MS,
	DS_CFG_DB_CACHE_MIB,
	DS_CFG_KEY_FILE,
	DS_CFG_ACTOR,
	DS_CFG_TIMEZONE,
	DS_CFG_IMPORT_ENCODING,
	DS_CFG_IMPORT_MAX_SHOWN,
	DS_CFG_RULES_JURISDICTION,
	DS_CFG_RULES_FILE,
	DS_CFG_DEMO_DIR,
	DS_CFG_DEMO_SEED,
	DS_CFG_DEMO_BORROWERS,
	DS_CFG_MODEL_ABILITY_CUT,
	DS_CFG_MODEL_WILLINGNESS_CUT,
	DS_CFG_COST_SMS_FEN,
	DS_CFG_COST_LETTER_FEN,
	DS_CFG_COST_AGENT_FEN_PER_HOUR,
	DS_CFG_COST_CALL_MINUTES,
	DS_CFG_COST_PLAN_MINUTES,
	DS_CFG_COST_COLLECTOR_FEN_PER_HOUR,
	DS_CFG_COST_WORKER_FEN_PER_HOUR,
	DS_CFG_COST_VISIT_MINUTES,
	DS_CFG_COST_TRAVEL_FEN,
	DS_CFG_COST_LEGAL_FEN,
	DS_CFG_COST_COMPLAINT_FEN,
	DS_CFG_FIELD_NOTICE_DAYS,
	DS_CFG_FIELD_CHECKIN_MAX_M,
	DS_CFG_FIELD_PROMISE_GRACE_DAYS,
	DS_CFG_FIELD_PROMISE_TOLERANCE_PCT,
	DS_CFG_FIELD_RECEIPT_RECONCILE_DAYS,
	DS_CFG_FIELD_COMPLAINT_SLA_DAYS,
	DS_CFG_FIELD_COLLECTOR_PLAN_LIMIT_FEN,
	DS_CFG_FIELD_COLLECTOR_MAX_INSTALLMENTS,
	DS_CFG_FIELD_AFFORDABILITY_PCT,
	DS_CFG_FIELD_PLAN_GRACE_DAYS,
	DS_CFG_FIELD_PLAN_MISSED_TO_BREAK,
	DS_CFG_FIELD_FOLLOWUP,
	DS_CFG_FIELD_LETTER_DIR,
	DS_CFG_BANK_NAME,
	DS_CFG_BANK_PHONE,
	DS_CFG_BANK_ADDRESS,
	DS_CFG_COUNT_
} ds_cfg_key;

struct ds_cfg_def {
	const char *section, *name; /* [section] name = ... */
	const char *env;            /* overriding environment variable */
	const char *dflt;           /* default ("" : derived, see doc) */
	bool integer;
	const char *doc;
};

const struct ds_cfg_def *ds_config_defs(void);

struct ds_config {
	char *value[DS_CFG_COUNT_];
	const char *source[DS_CFG_COUNT_]; /* "default", "file", "env", "option" */
	char file[512];                    /* the file read, "" if none */
};

/*
 * Loads the settings. `path` is the file to read (it must exist); NULL
 * means $DOORSTEP_CONFIG, else ./doorstep.ini when present. Errors name the
 * file, line and key.
 */
ds_err ds_config_load(struct ds_config *cfg, const char *path, struct ds_diag *diag);
/* Sets a key from the command line (source "option"). */
ds_err ds_config_set(struct ds_config *cfg, ds_cfg_key key, const char *value, const char *source,
                     struct ds_diag *diag);
const char *ds_config_str(const struct ds_config *cfg, ds_cfg_key key);
long ds_config_int(const struct ds_config *cfg, ds_cfg_key key);
void ds_config_free(struct ds_config *cfg);

/*
 * Reads an INI file (inih), calling fn for every key; fn returns DS_OK to go
 * on or an error (with *diag filled) to stop. Lines over 199 characters are
 * refused, since Debian's inih would cut them. Errors carry file and line.
 */
typedef ds_err (*ds_ini_fn)(void *user, const char *section, const char *name, const char *value,
                            struct ds_diag *diag);
ds_err ds_ini_parse(FILE *fp, const char *path, ds_ini_fn fn, void *user, struct ds_diag *diag);

#endif

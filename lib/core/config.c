/* Settings from defaults, the INI file (inih), the environment, options. */
#include "doorstep/config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINE 199 /* Debian's inih is built with a 200-byte line buffer */

static const struct ds_cfg_def defs[DS_CFG_COUNT_] = {
	[DS_CFG_DB_PATH] = { "database", "path", "DOORSTEP_DB", "doorstep.db", false,
	                     "SQLite database file" },
	[DS_CFG_DB_BUSY_TIMEOUT_MS] = { "database", "busy_timeout_ms", "DOORSTEP_BUSY_TIMEOUT_MS",
	                                "5000", true,
	                                "how long a writer waits for another one, milliseconds" },
	[DS_CFG_DB_CACHE_MIB] = { "database", "cache_mib", "DOORSTEP_CACHE_MIB", "64", true,
	                          "page cache of one connection, MiB (bulk loads gain from more)" },
	[DS_CFG_KEY_FILE] = { "security", "key_file", "DOORSTEP_KEY_FILE", "", false,
	                      "data-protection key file (default: the database path + .key)" },
	[DS_CFG_ACTOR] = { "general", "actor", "DOORSTEP_ACTOR", "", false,
	                   "name recorded in the audit log (default: the login name)" },
	[DS_CFG_TIMEZONE] = { "general", "timezone", "DOORSTEP_TIMEZONE", "Asia/Shanghai", false,
	                      "IANA zone for dates and for import times without an offset" },
	[DS_CFG_IMPORT_ENCODING] = { "import", "encoding", "DOORSTEP_IMPORT_ENCODING", "auto",
	                             false, "auto, utf-8, gbk or gb18030" },
	[DS_CFG_IMPORT_MAX_SHOWN] = { "import", "max_problems_shown", "DOORSTEP_IMPORT_MAX_SHOWN",
	                              "100", true, "problems listed per file before a count" },
	[DS_CFG_RULES_JURISDICTION] = { "rules", "jurisdiction", "DOORSTEP_RULES", "CN", false,
	                                "rule pack in force: CN, US, IN or UK" },
	[DS_CFG_RULES_FILE] = { "rules", "override_file", "DOORSTEP_RULES_FILE", "", false,
	                        "the bank's own rule file, applied over the pack (JSON)" },
	[DS_CFG_DEMO_DIR] = { "demo", "dir", "DOORSTEP_DEMO_DIR", "doorstep-demo", false,
	                      "where the demo writes its CSV files" },
	[DS_CFG_DEMO_SEED] = { "demo", "seed", "DOORSTEP_DEMO_SEED", "20261129", true,
	                       "random seed of the demo city" },
	[DS_CFG_DEMO_BORROWERS] = { "demo", "borrowers", "DOORSTEP_DEMO_BORROWERS", "2000", true,
	                            "borrowers in the demo city" },
	[DS_CFG_MODEL_ABILITY_CUT] = { "model", "ability_cut_pct", "DOORSTEP_ABILITY_CUT", "50",
	                               true,
	                               "ability score (percent) at or above which it is high" },
	[DS_CFG_MODEL_WILLINGNESS_CUT] = { "model", "willingness_cut_pct",
	                                   "DOORSTEP_WILLINGNESS_CUT", "50", true,
	                                   "willingness score (percent) at or above which it is "
	                                   "high" },
	[DS_CFG_COST_SMS_FEN] = { "costs", "sms_fen", "DOORSTEP_COST_SMS_FEN", "5", true,
	                          "an SMS, fen" },
	[DS_CFG_COST_LETTER_FEN] = { "costs", "letter_fen", "DOORSTEP_COST_LETTER_FEN", "300", true,
	                             "a letter, printed and posted, fen" },
	[DS_CFG_COST_AGENT_FEN_PER_HOUR] = { "costs", "agent_fen_per_hour",
	                                     "DOORSTEP_COST_AGENT_FEN_PER_HOUR", "4800", true,
	                                     "a call-centre agent's hour, fen" },
	[DS_CFG_COST_CALL_MINUTES] = { "costs", "call_minutes", "DOORSTEP_COST_CALL_MINUTES", "5",
	                               true,
	                               "agent minutes a call takes, dialling and notes included" },
	[DS_CFG_COST_PLAN_MINUTES] = { "costs", "plan_minutes", "DOORSTEP_COST_PLAN_MINUTES", "25",
	                               true,
	                               "agent minutes an installment-plan offer takes, paperwork "
	                               "included" },
	[DS_CFG_COST_COLLECTOR_FEN_PER_HOUR] = { "costs", "collector_fen_per_hour",
	                                         "DOORSTEP_COST_COLLECTOR_FEN_PER_HOUR", "6000",
	                                         true, "a bank collector's hour, fen" },
	[DS_CFG_COST_WORKER_FEN_PER_HOUR] = { "costs", "worker_fen_per_hour",
	                                      "DOORSTEP_COST_WORKER_FEN_PER_HOUR", "2000", true,
	                                      "a community worker's hour paid to the community, "
	                                      "fen" },
	[DS_CFG_COST_VISIT_MINUTES] = { "costs", "visit_minutes", "DOORSTEP_COST_VISIT_MINUTES",
	                                "90", true,
	                                "team minutes a visit takes at the door and between "
	                                "doors" },
	[DS_CFG_COST_TRAVEL_FEN] = { "costs", "travel_fen", "DOORSTEP_COST_TRAVEL_FEN", "2500",
	                             true,
	                             "travel per visit, fen, until the route planner estimates "
	                             "it" },
	[DS_CFG_COST_LEGAL_FEN] = { "costs", "legal_fen", "DOORSTEP_COST_LEGAL_FEN", "60000", true,
	                            "a referral to legal action, fen" },
	[DS_CFG_COST_COMPLAINT_FEN] = { "costs", "complaint_fen", "DOORSTEP_COST_COMPLAINT_FEN",
	                                "100000", true,
	                                "what the bank gives to avoid one complaint: handling, "
	                                "the hold it brings, its weight with the regulator, fen" },
	[DS_CFG_FIELD_NOTICE_DAYS] = { "field", "notice_days", "DOORSTEP_NOTICE_DAYS", "3", true,
	                               "days before a visit its notice must be delivered" },
	[DS_CFG_FIELD_CHECKIN_MAX_M] = { "field", "checkin_max_m", "DOORSTEP_CHECKIN_MAX_M", "300",
	                                 true,
	                                 "a check-in farther than this from the address (metres) "
	                                 "is refused" },
	[DS_CFG_FIELD_PROMISE_GRACE_DAYS] = { "field", "promise_grace_days",
	                                      "DOORSTEP_PROMISE_GRACE_DAYS", "2", true,
	                                      "payments this many days after a promise's date "
	                                      "still count for it" },
	[DS_CFG_FIELD_PROMISE_TOLERANCE_PCT] = { "field", "promise_tolerance_pct",
	                                         "DOORSTEP_PROMISE_TOLERANCE_PCT", "5", true,
	                                         "a promise paid to within this percent of its "
	                                         "amount is kept" },
	[DS_CFG_FIELD_RECEIPT_RECONCILE_DAYS] = { "field", "receipt_reconcile_days",
	                                          "DOORSTEP_RECEIPT_RECONCILE_DAYS", "3", true,
	                                          "a receipt the bank's payment feed has not "
	                                          "matched after this many days is an alert" },
	[DS_CFG_FIELD_COMPLAINT_SLA_DAYS] = { "field", "complaint_sla_days",
	                                      "DOORSTEP_COMPLAINT_SLA_DAYS", "15", true,
	                                      "days to resolve a complaint" },
	[DS_CFG_FIELD_COLLECTOR_PLAN_LIMIT_FEN] = { "field", "collector_plan_limit_fen",
	                                            "DOORSTEP_COLLECTOR_PLAN_LIMIT_FEN", "5000000",
	                                            true,
	                                            "the largest plan (total, fen) a collector may "
	                                            "offer alone; above it a manager approves" },
	[DS_CFG_FIELD_COLLECTOR_MAX_INSTALLMENTS] = { "field", "collector_max_installments",
	                                              "DOORSTEP_COLLECTOR_MAX_INSTALLMENTS", "12",
	                                              true,
	                                              "the most installments a collector may offer "
	                                              "alone" },
	[DS_CFG_FIELD_AFFORDABILITY_PCT] = { "field", "affordability_pct",
	                                     "DOORSTEP_AFFORDABILITY_PCT", "30", true,
	                                     "an installment at most this percent of declared "
	                                     "monthly income" },
	[DS_CFG_FIELD_PLAN_GRACE_DAYS] = { "field", "plan_grace_days", "DOORSTEP_PLAN_GRACE_DAYS",
	                                   "10", true,
	                                   "an installment unpaid this many days after its date is "
	                                   "missed" },
	[DS_CFG_FIELD_PLAN_MISSED_TO_BREAK] = { "field", "plan_missed_to_break",
	                                        "DOORSTEP_PLAN_MISSED_TO_BREAK", "2", true,
	                                        "missed installments that break a plan" },
	[DS_CFG_FIELD_FOLLOWUP] = { "field", "followup", "DOORSTEP_FOLLOWUP",
	                            "broken_promise=call:2,incident=review:0,hostile=review:1,"
	                            "hardship=plan:3,not_home=visit:7,dispute="
	                            "review:2,plan_broken=call:2",
	                            false, "follow-up: event=task:days" },
	[DS_CFG_FIELD_LETTER_DIR] = { "field", "letter_dir", "DOORSTEP_LETTER_DIR", "letters",
	                              false,
	                              "where notice letters and receipts (PDF) are written" },
	[DS_CFG_BANK_NAME] = { "bank", "name", "DOORSTEP_BANK_NAME", "示例银行股份有限公司", false,
	                       "the bank's name on letters and receipts" },
	[DS_CFG_BANK_PHONE] = { "bank", "phone", "DOORSTEP_BANK_PHONE", "95500", false,
	                        "the bank's service number on letters and receipts" },
	[DS_CFG_BANK_ADDRESS] = { "bank", "address", "DOORSTEP_BANK_ADDRESS", "", false,
	                          "the bank's address for written disputes, on letters" },
};

const struct ds_cfg_def *ds_config_defs(void)
{
	return defs;
}

static bool valid_int(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	return *s && !*end && errno == 0 && v >= 0;
}

ds_err ds_config_set(struct ds_config *cfg, ds_cfg_key key, const char *value, const char *source,
                     struct ds_diag *diag)
{
	if (defs[key].integer && !valid_int(value))
		return ds_diag_set(diag, DS_ECONFIG, NULL, 0, defs[key].name,
		                   "not a non-negative whole number: \"%s\"", value);
	char *v = ds_strdup(value);
	if (!v)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	ds_free(cfg->value[key]);
	cfg->value[key] = v;
	cfg->source[key] = source;
	return DS_OK;
}

static ds_err on_key(void *user, const char *section, const char *name, const char *value,
                     struct ds_diag *diag)
{
	struct ds_config *cfg = user;
	for (int k = 0; k < DS_CFG_COUNT_; k++)
		if (strcmp(defs[k].section, section) == 0 && strcmp(defs[k].name, name) == 0)
			return ds_config_set(cfg, (ds_cfg_key)k, value, "file", diag);
	return ds_diag_set(diag, DS_ECONFIG, NULL, 0, name, "unknown setting [%s] %s", section,
	                   name);
}

struct ini_run {
	ds_ini_fn fn;
	void *user;
	struct ds_diag *diag;
	ds_err err;
};

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct ini_run *r = user;
	/* inih goes on after a refused key: keep the first error */
	if (r->err)
		return 0;
	r->err = r->fn(r->user, section, name, value, r->diag);
	return r->err == DS_OK;
}

ds_err ds_ini_parse(FILE *fp, const char *path, ds_ini_fn fn, void *user, struct ds_diag *diag)
{
	int c, len = 0, line = 1;
	while ((c = fgetc(fp)) != EOF) {
		if (c == '\n') {
			line++;
			len = 0;
		} else if (++len > MAX_LINE) {
			return ds_diag_set(diag, DS_ECONFIG, path, line, NULL,
			                   "line longer than %d characters", MAX_LINE);
		}
	}
	rewind(fp);
	struct ini_run r = { fn, user, diag, DS_OK };
	int rc = ini_parse_file(fp, on_ini, &r);
	if (r.err) {
		/* inih returns the line of the first error */
		ds_strlcpy(diag->file, path, sizeof diag->file);
		diag->line = rc;
		return r.err;
	}
	if (rc != 0)
		return ds_diag_set(diag, DS_ECONFIG, path, rc > 0 ? rc : 0, NULL,
		                   "not valid INI syntax");
	return DS_OK;
}

ds_err ds_config_load(struct ds_config *cfg, const char *path, struct ds_diag *diag)
{
	memset(cfg, 0, sizeof *cfg);
	for (int k = 0; k < DS_CFG_COUNT_; k++) {
		ds_err e = ds_config_set(cfg, (ds_cfg_key)k, defs[k].dflt, "default", diag);
		if (e)
			return e;
	}
	if (!path)
		path = getenv("DOORSTEP_CONFIG");
	bool required = path != NULL;
	if (!path)
		path = "doorstep.ini";
	FILE *fp = fopen(path, "r");
	if (!fp && required)
		return ds_diag_set(diag, DS_ECONFIG, path, 0, NULL,
		                   "cannot read configuration file: %s", strerror(errno));
	if (fp) {
		ds_strlcpy(cfg->file, path, sizeof cfg->file);
		ds_err e = ds_ini_parse(fp, path, on_key, cfg, diag);
		fclose(fp);
		if (e)
			return e;
	}
	for (int k = 0; k < DS_CFG_COUNT_; k++) {
		const char *v = getenv(defs[k].env);
		if (v) {
			ds_err e = ds_config_set(cfg, (ds_cfg_key)k, v, "env", diag);
			if (e) {
				ds_strlcpy(diag->field, defs[k].env, sizeof diag->field);
				return e;
			}
		}
	}
	return DS_OK;
}

const char *ds_config_str(const struct ds_config *cfg, ds_cfg_key key)
{
	return cfg->value[key] ? cfg->value[key] : "";
}

long ds_config_int(const struct ds_config *cfg, ds_cfg_key key)
{
	return strtol(ds_config_str(cfg, key), NULL, 10);
}

void ds_config_free(struct ds_config *cfg)
{
	for (int k = 0; k < DS_CFG_COUNT_; k++)
		ds_free(cfg->value[k]);
	memset(cfg, 0, sizeof *cfg);
}

/* Field operations' settings (field.h), from the [field] and [bank]
 * sections of the configuration. */
#include "doorstep/field.h"

#include <stdlib.h>
#include <string.h>

static const char *str(const struct ds_config *cfg, ds_cfg_key k)
{
	return cfg ? ds_config_str(cfg, k) : ds_config_defs()[k].dflt;
}

static long num(const struct ds_config *cfg, ds_cfg_key k)
{
	return cfg ? ds_config_int(cfg, k) : strtol(ds_config_defs()[k].dflt, NULL, 10);
}

void ds_field_config_from(const struct ds_config *cfg, struct ds_field_config *c)
{
	memset(c, 0, sizeof *c);
	c->notice_days = (int)num(cfg, DS_CFG_FIELD_NOTICE_DAYS);
	c->checkin_max_m = (double)num(cfg, DS_CFG_FIELD_CHECKIN_MAX_M);
	c->promise_grace_days = (int)num(cfg, DS_CFG_FIELD_PROMISE_GRACE_DAYS);
	c->promise_tolerance_pct = (int)num(cfg, DS_CFG_FIELD_PROMISE_TOLERANCE_PCT);
	c->receipt_reconcile_days = (int)num(cfg, DS_CFG_FIELD_RECEIPT_RECONCILE_DAYS);
	c->complaint_sla_days = (int)num(cfg, DS_CFG_FIELD_COMPLAINT_SLA_DAYS);
	c->collector_plan_limit_fen = num(cfg, DS_CFG_FIELD_COLLECTOR_PLAN_LIMIT_FEN);
	c->collector_max_installments = (int)num(cfg, DS_CFG_FIELD_COLLECTOR_MAX_INSTALLMENTS);
	c->affordability_pct = (int)num(cfg, DS_CFG_FIELD_AFFORDABILITY_PCT);
	c->plan_grace_days = (int)num(cfg, DS_CFG_FIELD_PLAN_GRACE_DAYS);
	c->plan_missed_to_break = (int)num(cfg, DS_CFG_FIELD_PLAN_MISSED_TO_BREAK);
	ds_strlcpy(c->followup, str(cfg, DS_CFG_FIELD_FOLLOWUP), sizeof c->followup);
	ds_strlcpy(c->letter_dir, str(cfg, DS_CFG_FIELD_LETTER_DIR), sizeof c->letter_dir);
	ds_strlcpy(c->bank_name, str(cfg, DS_CFG_BANK_NAME), sizeof c->bank_name);
	ds_strlcpy(c->bank_phone, str(cfg, DS_CFG_BANK_PHONE), sizeof c->bank_phone);
	ds_strlcpy(c->bank_address, str(cfg, DS_CFG_BANK_ADDRESS), sizeof c->bank_address);
}

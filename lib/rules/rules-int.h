/* Internals of the contact-rule engine. */
#ifndef DOORSTEP_RULES_INT_H
#define DOORSTEP_RULES_INT_H

#include "doorstep/rules.h"

#include <jansson.h>

#define DS_RULES_MAX_FILE (1 << 20) /* a rule pack file is at most 1 MiB */

/* The packs compiled in from lib/rules/packs/<name>.json. */
struct ds_builtin_pack {
	const char *jurisdiction;
	const char *json;
};
extern const struct ds_builtin_pack ds_builtin_packs[];
extern const int ds_builtin_pack_count;

typedef enum {
	RK_ALLOWED_HOURS,
	RK_MAX_PER_NUMBER_DAY,
	RK_MAX_PER_DEBTOR_DAY,
	RK_MAX_PER_WINDOW,
	RK_SPACING_AFTER_CONVERSATION,
	RK_VISIT_TEAM,
	RK_VISIT_ENTRY,
	RK_ADVANCE_NOTICE,
	RK_THIRD_PARTY,
	RK_FORBIDDEN_CONTENT,
	RK_HOLDS,
	RK_SAFETY,
	RK_COMMUNITY_PRESSURE,
	RK_RETENTION,
	RK_COUNT
} rule_kind;

struct rule {
	rule_kind kind;
	const char *id, *citation, *reason_zh, *reason_en; /* owned by `node` */
	ds_date from, to;                                  /* in force from..to-1 */
	bool has_to;                                       /* false: open-ended */
	char from_s[11], to_s[11];
	json_t *node;      /* the rule's JSON object */
	json_t *params;    /* borrowed from node */
	char *params_text; /* for listing */
	/* parameters decoded at load time */
	int from_min, to_min; /* allowed hours, minutes of the day */
	int max, days, min_people;
	bool flag_a, flag_b, flag_c;
	unsigned channels, outcomes, contents, parties; /* bit sets */
	const char *hold;                               /* a hold kind named by the rule */
};

struct ds_rulepack {
	char jurisdiction[16];
	json_t *root;
	struct rule *rules;
	int n, cap;
};

const char *ds_rule_kind_name(rule_kind k);

/* A stored contact outcome (contacts.outcome) in the rules' terms. */
ds_outcome rules_outcome_of(const char *stored);
/* Unreachable: the last attempt found an invalid number, or the last three
 * all failed. c holds the contacts before the proposal, oldest first. */
bool rules_unreachable(const struct ds_past_contact *c, int n);
/* Local midnight of the sixth day before `at`: a community's week of visits
 * is [*from, at). */
ds_err rules_week_start(const char *zone, ds_time at, ds_time *from);

#endif

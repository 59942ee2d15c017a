/*
 * Contact rules and borrower protection: one engine that every contact
 * passes, when it is planned and again when it happens.
 *
 * Rules are data (rule packs: JSON files with an id, a jurisdiction, a
 * citation, effective dates and parameters per rule, and the reason shown
 * when it refuses, in Chinese and English); the engine knows a fixed set of
 * rule kinds. A bank's own file can change parameters or add rules.
 */
#ifndef DOORSTEP_RULES_H
#define DOORSTEP_RULES_H

#include "doorstep/core.h"

/*
 * The staff facts the contact rules ask about, worked out one way wherever
 * they are needed (forming the day's teams, checking in at the door,
 * reporting what drives results): a collector is certified when holding
 * DS_RULES_CERTIFICATE valid on the day, experienced when hired at least
 * DS_RULES_EXPERIENCED_DAYS before it. The SQL expressions read a staff
 * row aliased `s`; DS_SQL_STAFF_CERTIFIED binds the certificate and the
 * day twice (YYYY-MM-DD), DS_SQL_STAFF_EXPERIENCED the day
 * DS_RULES_EXPERIENCED_DAYS before.
 */
#define DS_RULES_CERTIFICATE      "collection_basic"
#define DS_RULES_EXPERIENCED_DAYS 730
#define DS_SQL_STAFF_CERTIFIED                                                 \
	"EXISTS (SELECT 1 FROM certifications k WHERE k.staff_id = s.staff_id" \
	" AND k.cert = ? AND k.issued_date <= ? AND (k.expires_date IS NULL"   \
	" OR k.expires_date = '' OR k.expires_date >= ?))"
#define DS_SQL_STAFF_EXPERIENCED "CASE WHEN s.hired_date <= ? THEN 1 ELSE 0 END"

typedef struct ds_rulepack ds_rulepack;

/* Channels, parties, contents and holds, by their names in packs and JSON. */
typedef enum {
	DS_CH_SMS,
	DS_CH_CALL,
	DS_CH_LETTER,
	DS_CH_VISIT,
	DS_CH_APP_PUSH,
	DS_CH_EMAIL,
	DS_CH_COUNT
} ds_channel;
typedef enum {
	DS_PARTY_BORROWER,
	DS_PARTY_GUARANTOR,
	DS_PARTY_FAMILY,
	DS_PARTY_THIRD,
	DS_PARTY_COUNT
} ds_party;
typedef enum {
	DS_CONTENT_REMINDER,
	DS_CONTENT_DEBT_DETAILS,
	DS_CONTENT_LOCATION_INQUIRY,
	DS_CONTENT_PUBLIC_NOTICE,
	DS_CONTENT_VISIT_NOTICE,
	DS_CONTENT_COUNT
} ds_content;
typedef enum { DS_STAGE_PLAN, DS_STAGE_ACT } ds_stage;
typedef enum {
	DS_OUT_NONE,
	DS_OUT_UNANSWERED,
	DS_OUT_CONNECTED,
	DS_OUT_FAILED,
	DS_OUT_INVALID_NUMBER,
	DS_OUT_CONVERSATION,
	DS_OUT_COUNT
} ds_outcome;

const char *ds_channel_name(ds_channel c);
const char *ds_party_name(ds_party p);
const char *ds_content_name(ds_content c);
const char *ds_outcome_name(ds_outcome o);
/* Parse by name; return DS_EINVAL when unknown. */
ds_err ds_channel_parse(const char *s, ds_channel *out);
ds_err ds_party_parse(const char *s, ds_party *out);
ds_err ds_content_parse(const char *s, ds_content *out);
ds_err ds_outcome_parse(const char *s, ds_outcome *out);

/* A contact already made, as the rules need to see it. */
struct ds_past_contact {
	ds_time at;
	ds_channel channel;
	ds_party party;
	ds_outcome outcome;
	const char *number; /* phone number key (hash), NULL when not a call/SMS */
};

/* A hold or flag on the borrower: dispute, complaint, legal, bereavement,
 * illness, vulnerable, breathing_space, do_not_visit, quiet_hours_consent,
 * safety_risk, family_emergency, disaster, wedding, festival, cease. */
struct ds_hold {
	const char *kind;
	ds_time start;
	ds_time end; /* 0: open-ended */
};

/* One member of a visiting team. */
struct ds_team_member {
	const char *staff_id;
	bool collector;           /* bank collector (else community worker) */
	bool certified;           /* a valid, unexpired training certification */
	bool experienced;         /* enough experience for flagged addresses */
	const char *community_id; /* a community worker's own community */
	int visits_today;         /* visits already made or planned today */
};

/* A proposed contact and everything the rules may look at. */
struct ds_proposal {
	ds_stage stage;
	ds_channel channel;
	ds_party party;
	ds_content content;
	ds_time start;
	int duration_s;
	const char *zone;         /* the borrower's IANA time zone */
	const char *number;       /* the number called or texted (hash) */
	const char *community_id; /* the borrower's community */
	const struct ds_team_member *team;
	int nteam;
	bool team_unknown; /* the team was not recorded: team rules are not judged */
	/* at the door */
	bool identity_shown, consent_to_enter, entering_home;
	ds_time notice_sent_at;    /* advance notice delivered (0: none) */
	bool borrower_unreachable; /* number invalid, or consecutive failures */
	const struct ds_past_contact *history;
	int nhistory;
	const struct ds_hold *holds;
	int nholds;
	int community_visits_week; /* visits in the borrower's community in the last 7 days */
};

#define DS_VERDICT_MAX 32

struct ds_rule_hit {
	const char *rule_id;
	const char *reason_zh;
	const char *reason_en;
};

struct ds_verdict {
	bool allow;
	int nhits;    /* refusing rules reported, up to DS_VERDICT_MAX */
	int nrefused; /* refusing rules in all */
	struct ds_rule_hit hits[DS_VERDICT_MAX];
};

/* The packs shipped with doorstep: "CN" (default), "US", "IN", "UK". */
ds_err ds_rules_load(const char *jurisdiction, ds_rulepack **out, struct ds_diag *diag);
/* Reads a pack from a JSON file (the same format). */
ds_err ds_rules_load_file(const char *path, ds_rulepack **out, struct ds_diag *diag);
/*
 * Applies a bank's override file: rules with a known id get the parameters
 * and texts given, new ids are added. Errors name the file and rule.
 */
ds_err ds_rules_override(ds_rulepack *pack, const char *path, struct ds_diag *diag);
void ds_rules_free(ds_rulepack *pack);
const char *ds_rules_jurisdiction(const ds_rulepack *pack);

/* Walks the pack's rules (for `rules list`). */
struct ds_rule_info {
	const char *id, *kind, *citation, *effective_from, *effective_to;
	const char *reason_zh, *reason_en;
	const char *params_json; /* the rule's parameters as JSON text */
};
int ds_rules_count(const ds_rulepack *pack);
/* Complaints in a community within 30 days that raise an alert (the
 * community_pressure rules' complaint_alert); -1 when the pack sets none. */
int ds_rules_complaint_alert(const ds_rulepack *pack);
void ds_rules_info(const ds_rulepack *pack, int i, struct ds_rule_info *out);

/* One contact the audit found against the rules. */
struct ds_audit_finding {
	const char *contact_id;
	const char *account_id;
	ds_time at;
	const struct ds_verdict *verdict;
};

typedef ds_err (*ds_audit_fn)(void *ctx, const struct ds_audit_finding *f);

/*
 * Re-checks every contact in the store against the pack, each in the light
 * of the borrower's earlier contacts, holds and community visits, and calls
 * fn for each one the rules would have refused. Facts the contact records
 * do not hold (the visiting team, conduct at the door, the advance notice,
 * the number dialled) are not judged here; the visit records will carry
 * them. *checked and *found count contacts and violations.
 */
struct ds_store;
ds_err ds_rules_audit(struct ds_store *st, const ds_rulepack *pack, ds_audit_fn fn, void *ctx,
                      long *checked, long *found, struct ds_diag *diag);

/*
 * What the rules need to know of every account, loaded from the store at
 * once (contacts since `since`, holds, zones, communities, visit times), so
 * that many proposals are checked without a query each.
 */
typedef struct ds_rules_context ds_rules_context;
ds_err ds_rules_context_load(struct ds_store *st, ds_time since, ds_rules_context **out,
                             struct ds_diag *diag);
/*
 * One account of the context, found once: its zone reads a proposal's local
 * start; then the fill. NULL for an unknown account.
 */
typedef struct ds_rules_account ds_rules_account;
const ds_rules_account *ds_rules_context_account(const ds_rules_context *cx,
                                                 const char *account_id);
const char *ds_rules_account_zone(const ds_rules_context *cx, const ds_rules_account *a);
/*
 * Fills in the proposal's zone, community, history (the contacts before
 * p->start), holds, unreachability and the community's visits that week for
 * the account. The proposal points into the context, which must outlive it.
 */
void ds_rules_context_fill(const ds_rules_context *cx, const ds_rules_account *a,
                           struct ds_proposal *p);
void ds_rules_context_free(ds_rules_context *cx);

/*
 * Decides one proposed contact: allowed, or refused with every refusing
 * rule's id and reason. Only rules in force at the contact's local date
 * apply.
 */
ds_err ds_rules_check(const ds_rulepack *pack, const struct ds_proposal *p, struct ds_verdict *out,
                      struct ds_diag *diag);

#endif

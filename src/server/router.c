/*
 * The route table and the dispatch (docs/api.md is this table in prose;
 * GET /api/openapi.json is generated from it).
 *
 * A request is matched, checked and answered in MHD's access handler:
 * the first call (headers read) matches the route, refuses a body over the
 * cap by its Content-Length (413) or of the wrong type (415), and
 * authenticates the caller (401), checks the role (403) and, for a cookie
 * session's write, the CSRF header (403) before any of the body is read;
 * the next calls take the body in, capped; the last parses it (400 when
 * malformed or nested deeper than SRV_JSON_DEPTH) and runs the handler.
 */
#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ------------------------------------------------------------- schemas */

#define S_STR  "{\"type\":\"string\"}"
#define S_INT  "{\"type\":\"integer\"}"
#define S_NUM  "{\"type\":\"number\"}"
#define S_BOOL "{\"type\":\"boolean\"}"
#define S_DATE "{\"type\":\"string\",\"format\":\"date\"}"
#define S_NSTR "{\"type\":[\"string\",\"null\"]}"
#define S_NINT "{\"type\":[\"integer\",\"null\"]}"
#define S_ROLE                                                                                     \
	"{\"type\":\"string\",\"enum\":[\"admin\",\"manager\",\"collector\",\"community_worker\"," \
	"\"analyst\",\"auditor\"]}"
#define S_PAGE "\"limit\":" S_INT ",\"offset\":" S_INT ",\"next_offset\":" S_NINT
#define S_LIST(item)                                                                         \
	"{\"type\":\"object\",\"properties\":{\"items\":{\"type\":\"array\",\"items\":" item \
	"}," S_PAGE "}}"
#define S_BUCKET                                                                             \
	"{\"type\":\"object\",\"properties\":{\"accounts\":" S_INT ",\"overdue_fen\":" S_INT \
	",\"balance_fen\":" S_INT "}}"

static const char SCHEMA_HEALTH[] =
        "{\"type\":\"object\",\"properties\":{\"status\":{\"const\":\"ok\"},\"version\":" S_STR
        ",\"schema\":" S_INT "}}";
static const char SCHEMA_METRICS[] = "{\"type\":\"string\",\"description\":\"Prometheus text "
                                     "exposition format 0.0.4\"}";
static const char SCHEMA_OPENAPI[] = "{\"type\":\"object\",\"description\":\"this document\"}";
static const char SCHEMA_LOGIN_IN[] =
        "{\"type\":\"object\",\"required\":[\"user\",\"password\"],\"properties\":{\"user\":" S_STR
        ",\"password\":" S_STR "},\"additionalProperties\":false}";
static const char SCHEMA_LOGIN_OUT[] =
        "{\"type\":\"object\",\"properties\":{\"user\":" S_STR ",\"role\":" S_ROLE
        ",\"csrf\":{\"type\":\"string\",\"description\":\"send it as X-CSRF-Token with every "
        "write made with the cookie\"},\"expires_at\":" S_INT "}}";
static const char SCHEMA_LOGOUT[] =
        "{\"type\":\"object\",\"properties\":{\"logged_out\":" S_BOOL "}}";
static const char SCHEMA_ME[] =
        "{\"type\":\"object\",\"properties\":{\"user\":" S_STR ",\"role\":" S_ROLE
        ",\"staff_id\":" S_NSTR ",\"branch_id\":" S_NSTR ",\"community_id\":" S_NSTR
        ",\"auth\":{\"enum\":[\"cookie\",\"bearer\"]},\"csrf\":" S_STR ",\"expires_at\":" S_NINT
        "}}";
static const char SCHEMA_SUMMARY[] =
        "{\"type\":\"object\",\"properties\":{\"as_of\":" S_DATE
        ",\"communities\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"community_id\":" S_STR ",\"community\":" S_STR ",\"total\":" S_BOOL
        ",\"buckets\":{\"type\":\"object\",\"description\":\"M0 ... M6, M7+\","
        "\"additionalProperties\":" S_BUCKET "}}}}}}";
#define S_ACCOUNT_ROW                                                                              \
	"{\"type\":\"object\",\"properties\":{\"account_id\":" S_STR ",\"borrower_id\":" S_STR     \
	",\"name\":" S_STR ",\"phone\":" S_NSTR ",\"branch_id\":" S_STR                            \
	",\"community_id\":" S_NSTR ",\"product\":" S_STR ",\"status\":" S_STR                     \
	",\"balance_fen\":" S_INT ",\"dpd\":" S_INT ",\"bucket\":" S_STR ",\"overdue_fen\":" S_INT \
	"}}"
static const char SCHEMA_ACCOUNTS[] =
        "{\"type\":\"object\",\"properties\":{\"as_of\":" S_DATE ",\"total\":" S_INT
        ",\"items\":{\"type\":\"array\",\"items\":" S_ACCOUNT_ROW "}," S_PAGE "}}";
static const char SCHEMA_ACCOUNT[] =
        "{\"type\":\"object\",\"properties\":{\"account_id\":" S_STR ",\"as_of\":" S_DATE
        ",\"product\":" S_STR ",\"status\":" S_STR ",\"branch_id\":" S_STR ",\"balance_fen\":" S_INT
        ",\"principal_fen\":" S_INT ",\"dpd\":" S_INT ",\"bucket\":" S_STR ",\"overdue_fen\":" S_INT
        ",\"oldest_unpaid\":" S_NSTR
        ",\"masked\":{\"type\":\"boolean\",\"description\":\"false: personal data shown "
        "whole (the read is audited)\"},\"borrower\":{\"type\":\"object\",\"properties\":{"
        "\"borrower_id\":" S_STR ",\"name\":" S_STR ",\"phone\":" S_NSTR ",\"national_id\":" S_NSTR
        ",\"address\":" S_NSTR ",\"community_id\":" S_NSTR
        "}},\"score\":{\"type\":[\"object\",\"null\"],\"properties\":{\"score_date\":" S_DATE
        ",\"ability\":" S_NUM ",\"willingness\":" S_NUM ",\"quadrant\":" S_NSTR
        ",\"reasons\":{}}}}}";
#define S_APPROVAL                                                                          \
	"{\"type\":\"object\",\"properties\":{\"status\":{\"enum\":[\"none\",\"approved\"," \
	"\"rejected\",\"stale\"]},\"decisions\":" S_INT ",\"digest\":{\"type\":\"string\"," \
	"\"description\":\"SHA-256 of the day's decisions\"},\"made_by\":" S_NSTR           \
	",\"decided_by\":" S_NSTR ",\"decided_at\":" S_NINT ",\"note\":" S_NSTR "}}"
static const char SCHEMA_PLAN[] =
        "{\"type\":\"object\",\"properties\":{\"date\":" S_DATE ",\"accounts\":" S_INT
        ",\"held_out\":" S_INT ",\"expected_fen\":" S_INT ",\"cost_fen\":" S_INT
        ",\"treatments\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"treatment\":" S_STR ",\"accounts\":" S_INT ",\"held_out\":" S_INT
        ",\"expected_fen\":" S_INT ",\"cost_fen\":" S_INT "}}},\"approval\":" S_APPROVAL "}}";
#define S_VISIT_ROW                                                                          \
	"{\"type\":\"object\",\"properties\":{\"visit_id\":" S_INT ",\"account_id\":" S_STR  \
	",\"visit_date\":" S_NSTR ",\"state\":" S_STR ",\"team_id\":" S_NSTR                 \
	",\"route_seq\":" S_NINT ",\"window_start_at\":" S_NINT ",\"window_end_at\":" S_NINT \
	",\"planned_at\":" S_NINT ",\"name\":" S_STR ",\"address\":" S_NSTR                  \
	",\"community_id\":" S_NSTR ",\"lat\":{\"type\":[\"number\",\"null\"]},"             \
	"\"lon\":{\"type\":[\"number\",\"null\"]}}}"
static const char SCHEMA_VISITS[] = S_LIST(S_VISIT_ROW);
static const char SCHEMA_VISIT[] =
        "{\"type\":\"object\",\"properties\":{\"visit_id\":" S_INT ",\"account_id\":" S_STR
        ",\"visit_date\":" S_NSTR ",\"state\":" S_STR ",\"team_id\":" S_NSTR ",\"name\":" S_STR
        ",\"address\":" S_NSTR ",\"outcome\":" S_NSTR ",\"situation\":" S_NSTR
        ",\"attitude\":" S_NSTR ",\"checkin_distance_m\":{\"type\":"
        "[\"number\",\"null\"]},\"events\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
        "\"properties\":{\"at\":" S_INT ",\"actor\":" S_STR ",\"event\":" S_STR ",\"from\":" S_STR
        ",\"to\":" S_STR ",\"reason\":" S_NSTR "}}}}}";
static const char SCHEMA_CHECKIN_IN[] =
        "{\"type\":\"object\",\"required\":[\"lat\",\"lon\"],\"properties\":{\"lat\":" S_NUM
        ",\"lon\":" S_NUM ",\"identity_shown\":" S_BOOL ",\"consent_to_enter\":" S_BOOL
        ",\"entering_home\":" S_BOOL "},\"additionalProperties\":false}";
static const char SCHEMA_CHECKIN_OUT[] =
        "{\"type\":\"object\",\"description\":\"200 when checked in; 422 (error "
        "check_in_refused) with the same members when the rules or the distance refuse "
        "it\",\"properties\":{\"visit_id\":" S_INT ",\"allowed\":" S_BOOL ",\"distance_m\":" S_NUM
        ",\"rules\":{\"type\":\"array\",\"items\":" S_STR "},\"reason_zh\":" S_STR
        ",\"reason_en\":" S_STR "}}";
static const char SCHEMA_OUTCOME_IN[] =
        "{\"type\":\"object\",\"required\":[\"found\"],\"properties\":{\"found\":{\"enum\":["
        "\"met_borrower\",\"met_family\",\"not_home\",\"moved\",\"refused\"]},\"situation\":{"
        "\"enum\":[\"none\",\"unemployment\",\"illness\",\"business_loss\",\"family_event\","
        "\"dispute\",\"fraud_victim\",\"unwilling\"]},\"attitude\":{\"enum\":[\"none\","
        "\"cooperative\",\"neutral\",\"hostile\"]},\"incident_kind\":" S_STR
        ",\"incident_severity\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5},\"note\":" S_STR
        ",\"evidence_name\":" S_STR ",\"evidence_sha256\":" S_STR ",\"lat\":" S_NUM
        ",\"lon\":" S_NUM "},\"additionalProperties\":false}";
static const char SCHEMA_DONE[] =
        "{\"type\":\"object\",\"properties\":{\"visit_id\":" S_INT ",\"state\":" S_STR "}}";
#define S_WHERE ",\"lat\":" S_NUM ",\"lon\":" S_NUM
#define S_WINDOW                                                                             \
	",\"window_start_at\":{\"type\":\"integer\",\"description\":\"UTC epoch seconds\"}," \
	"\"window_end_at\":" S_INT
static const char SCHEMA_WHERE_IN[] = "{\"type\":\"object\",\"properties\":{\"lat\":" S_NUM
                                      ",\"lon\":" S_NUM "},\"additionalProperties\":false}";
static const char SCHEMA_SCHEDULE_IN[] =
        "{\"type\":\"object\",\"required\":[\"team_id\",\"date\",\"window_start_at\",\"window_end_"
        "at\"],\"properties\":{\"team_id\":" S_STR ",\"date\":" S_DATE S_WINDOW S_WHERE
        "},\"additionalProperties\":false}";
static const char SCHEMA_RESCHEDULE_IN[] =
        "{\"type\":\"object\",\"required\":[\"date\",\"window_start_at\",\"window_end_at\","
        "\"reason\"],\"properties\":{\"date\":" S_DATE S_WINDOW ",\"reason\":" S_STR S_WHERE
        "},\"additionalProperties\":false}";
static const char SCHEMA_CANCEL_IN[] =
        "{\"type\":\"object\",\"required\":[\"reason\"],\"properties\":{\"reason\":" S_STR S_WHERE
        "},\"additionalProperties\":false}";
static const char SCHEMA_STEP_OUT[] =
        "{\"type\":\"object\",\"properties\":{\"visit_id\":" S_INT ",\"state\":" S_STR
        ",\"notice_id\":{\"type\":\"integer\",\"description\":\"notify: the notice\"},"
        "\"tasks\":{\"type\":\"integer\",\"description\":\"close: follow-up tasks written\"}}}";
static const char SCHEMA_PROMISE_IN[] =
        "{\"type\":\"object\",\"required\":[\"account_id\",\"amount_fen\",\"due\"],"
        "\"properties\":{\"account_id\":" S_STR ",\"visit_id\":" S_INT
        ",\"amount_fen\":{\"type\":\"integer\",\"minimum\":1},\"due\":" S_DATE
        "},\"additionalProperties\":false}";
static const char SCHEMA_PROMISE_OUT[] =
        "{\"type\":\"object\",\"properties\":{\"promise_id\":" S_INT "}}";
static const char SCHEMA_CALC_IN[] =
        "{\"type\":\"object\",\"required\":[\"balance_fen\",\"installments\",\"first_due\"],"
        "\"properties\":{\"balance_fen\":{\"type\":\"integer\",\"minimum\":1},\"waiver_fen\":"
        "{\"type\":\"integer\",\"minimum\":0},\"waiver_kind\":{\"enum\":[\"fees\",\"interest\"]},"
        "\"installments\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":60},\"first_due\":" S_DATE
        "},\"additionalProperties\":false}";
static const char SCHEMA_CALC_OUT[] =
        "{\"type\":\"object\",\"properties\":{\"total_fen\":" S_INT
        ",\"installments\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"seq\":" S_INT ",\"due_date\":" S_DATE ",\"amount_fen\":" S_INT "}}}}}";
#define S_TASK_ROW                                                                            \
	"{\"type\":\"object\",\"properties\":{\"task_id\":" S_INT ",\"account_id\":" S_STR    \
	",\"kind\":" S_STR ",\"due_date\":" S_DATE ",\"reason\":" S_STR ",\"source\":" S_NSTR \
	",\"status\":" S_STR "}}"
static const char SCHEMA_TASKS[] = S_LIST(S_TASK_ROW);
static const char SCHEMA_RECEIPT_IN[] =
        "{\"type\":\"object\",\"required\":[\"account_id\",\"amount_fen\",\"method\"],"
        "\"properties\":{\"account_id\":" S_STR ",\"visit_id\":" S_INT
        ",\"amount_fen\":{\"type\":\"integer\",\"minimum\":1},\"method\":{\"enum\":[\"cash\","
        "\"card\"]}},\"additionalProperties\":false}";
static const char SCHEMA_RECEIPT_OUT[] =
        "{\"type\":\"object\",\"properties\":{\"receipt_no\":" S_STR "}}";
static const char SCHEMA_APPROVE_IN[] =
        "{\"type\":\"object\",\"required\":[\"date\"],\"properties\":{\"date\":" S_DATE
        ",\"approve\":{\"type\":\"boolean\",\"default\":true},\"note\":" S_STR
        "},\"additionalProperties\":false}";
static const char SCHEMA_APPROVE_OUT[] =
        "{\"type\":\"object\",\"properties\":{\"date\":" S_DATE ",\"approval\":" S_APPROVAL "}}";
#define S_NUMN "{\"type\":[\"number\",\"null\"]}"
static const char SCHEMA_ROUTES[] =
        "{\"type\":\"object\",\"properties\":{\"date\":" S_DATE ",\"visits\":" S_INT
        ",\"positions\":{\"type\":\"boolean\",\"description\":\"whether the doors' positions "
        "are given (roles that see addresses whole; the read is audited)\"},"
        "\"teams\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"team_id\":" S_STR ",\"branch_id\":" S_STR ",\"community_id\":" S_NSTR
        ",\"members\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"staff_id\":" S_STR ",\"name\":" S_STR ",\"role\":" S_STR ",\"community_id\":" S_NSTR
        "}}},\"stops\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
        "\"visit_id\":" S_INT ",\"route_seq\":" S_NINT ",\"state\":" S_STR ",\"account_id\":" S_STR
        ",\"community_id\":" S_NSTR ",\"window_start_at\":" S_NINT ",\"window_end_at\":" S_NINT
        ",\"lat\":" S_NUMN ",\"lon\":" S_NUMN "}}}}}}}}";
#define S_PLAN_ROW                                                                         \
	"{\"type\":\"object\",\"properties\":{\"plan_id\":" S_INT ",\"account_id\":" S_STR \
	",\"status\":{\"enum\":[\"pending_approval\",\"active\",\"rejected\",\"broken\","  \
	"\"completed\"]},\"balance_fen\":" S_NINT ",\"waiver_fen\":" S_INT                 \
	",\"waiver_kind\":" S_NSTR ",\"total_fen\":" S_INT ",\"installments\":" S_NINT     \
	",\"first_due\":" S_NSTR ",\"visit_id\":" S_NINT ",\"created_by\":" S_STR          \
	",\"created_at\":" S_INT ",\"approved_by\":" S_NSTR ",\"approved_at\":" S_NINT "}}"
static const char SCHEMA_PLANS[] = S_LIST(S_PLAN_ROW);
static const char SCHEMA_OFFER_IN[] =
        "{\"type\":\"object\",\"required\":[\"account_id\",\"balance_fen\",\"installments\","
        "\"first_due\"],\"properties\":{\"account_id\":" S_STR ",\"visit_id\":" S_INT
        ",\"balance_fen\":{\"type\":\"integer\",\"minimum\":1},\"waiver_fen\":"
        "{\"type\":\"integer\",\"minimum\":0},\"waiver_kind\":{\"enum\":[\"fees\",\"interest\"]},"
        "\"installments\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":60},\"first_due\":" S_DATE
        ",\"override_affordability\":" S_BOOL "},\"additionalProperties\":false}";
static const char SCHEMA_OFFER_OUT[] = "{\"type\":\"object\",\"properties\":{\"plan_id\":" S_INT
                                       ",\"status\":{\"enum\":[\"pending_approval\",\"active\"]}}}";
static const char SCHEMA_DECIDE_IN[] =
        "{\"type\":\"object\",\"required\":[\"approve\"],\"properties\":{\"approve\":" S_BOOL
        ",\"note\":" S_STR "},\"additionalProperties\":false}";
static const char SCHEMA_DECIDE_OUT[] = "{\"type\":\"object\",\"properties\":{\"plan_id\":" S_INT
                                        ",\"status\":{\"enum\":[\"active\",\"rejected\"]}}}";
#define S_PAYMENT_ROW                                                                          \
	"{\"type\":\"object\",\"properties\":{\"payment_id\":" S_STR ",\"value_date\":" S_DATE \
	",\"paid_at\":" S_NINT ",\"amount_fen\":" S_INT ",\"channel\":" S_STR                  \
	",\"reference\":" S_NSTR "}}"
static const char SCHEMA_PAYMENTS[] = S_LIST(S_PAYMENT_ROW);
static const char SCHEMA_COMPLAINTS[] =
        "{\"type\":\"object\",\"properties\":{\"total\":" S_INT ",\"items\":{\"type\":\"array\","
        "\"items\":{\"type\":\"object\",\"properties\":{\"complaint_id\":" S_INT
        ",\"account_id\":" S_STR ",\"borrower_id\":" S_STR ",\"staff_id\":" S_NSTR
        ",\"kind\":" S_STR ",\"visit_id\":" S_NINT ",\"opened_at\":" S_INT ",\"due_at\":" S_INT
        ",\"resolved_at\":" S_NINT ",\"resolved_by\":" S_NSTR ",\"open\":" S_BOOL
        ",\"overdue\":" S_BOOL "}}}}}";
static const char SCHEMA_COMPLAINT_IN[] =
        "{\"type\":\"object\",\"required\":[\"account_id\",\"kind\"],\"properties\":{"
        "\"account_id\":" S_STR ",\"visit_id\":" S_INT ",\"staff_id\":" S_STR
        ",\"kind\":{\"enum\":[\"conduct\",\"harassment\",\"privacy\",\"third_party\","
        "\"wrong_debt\",\"fees\",\"other\"]},\"detail\":" S_STR "},\"additionalProperties\":false}";
static const char SCHEMA_COMPLAINT_OUT[] =
        "{\"type\":\"object\",\"properties\":{\"complaint_id\":" S_INT "}}";
static const char SCHEMA_RESOLVE_IN[] =
        "{\"type\":\"object\",\"required\":[\"resolution\"],\"properties\":{\"resolution\":" S_STR
        "},\"additionalProperties\":false}";
static const char SCHEMA_RESOLVE_OUT[] =
        "{\"type\":\"object\",\"properties\":{\"complaint_id\":" S_INT ",\"resolved\":" S_BOOL "}}";
#define S_KPI_ROW                                                                               \
	"{\"type\":\"object\",\"properties\":{\"group\":" S_STR ",\"accounts\":" S_INT          \
	",\"overdue_start_fen\":" S_INT ",\"recovered_fen\":" S_INT ",\"recovery_rate\":" S_NUM \
	",\"cured\":" S_INT ",\"cure_rate\":" S_NUM ",\"promises\":" S_INT                      \
	",\"promises_judged\":" S_INT ",\"kept\":" S_INT ",\"kept_rate\":" S_NUM                \
	",\"cost_fen\":" S_INT ",\"net_fen\":" S_INT ",\"cost_to_collect\":" S_NUM              \
	",\"contacts\":" S_INT ",\"complaints\":" S_INT ",\"incidents\":" S_INT                 \
	",\"complaints_per_1000\":" S_NUM ",\"incidents_per_1000\":" S_NUM "}}"
static const char SCHEMA_KPI[] =
        "{\"type\":\"object\",\"properties\":{\"from\":" S_DATE ",\"to\":" S_DATE ",\"by\":" S_STR
        ",\"rows\":{\"type\":\"array\",\"description\":\"one row per group, then the total\","
        "\"items\":" S_KPI_ROW "}}}";
static const char SCHEMA_ROLL[] =
        "{\"type\":\"object\",\"properties\":{\"from\":" S_DATE ",\"to\":" S_DATE
        ",\"rows\":{\"type\":\"array\",\"description\":\"accounts by bucket at the start "
        "(from) and at the end (the members M0 ... M7+)\",\"items\":{\"type\":\"object\"}}}}";
static const char SCHEMA_EFFECT[] =
        "{\"type\":\"object\",\"properties\":{\"experiment\":" S_STR ",\"as_of\":" S_DATE
        ",\"horizon_days\":" S_INT ",\"by\":" S_STR ",\"rows\":{\"type\":\"array\",\"items\":{"
        "\"type\":\"object\",\"properties\":{\"segment\":" S_STR ",\"treated\":" S_INT
        ",\"held_out\":" S_INT ",\"paid_treated_yuan\":" S_NUM ",\"paid_held_out_yuan\":" S_NUM
        ",\"effect_yuan\":" S_NUM ",\"lo\":" S_NUM ",\"hi\":" S_NUM ",\"share_effect\":" S_NUM
        ",\"share_lo\":" S_NUM ",\"share_hi\":" S_NUM ",\"extra_cost_yuan\":" S_NUM
        ",\"cost_per_yuan\":" S_NUM ",\"verdict\":" S_STR "}}}}}";
#define S_COEFS                                                                                 \
	"{\"type\":\"object\",\"properties\":{\"estimated\":" S_BOOL ",\"why\":" S_STR          \
	",\"coefficients\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{" \
	"\"name\":" S_STR ",\"name_zh\":" S_STR ",\"coef\":" S_NUM ",\"se\":" S_NUM             \
	",\"lo\":" S_NUM ",\"hi\":" S_NUM ",\"p\":" S_NUM ",\"dropped\":" S_BOOL "}}}}}"
static const char SCHEMA_DRIVERS[] =
        "{\"type\":\"object\",\"properties\":{\"from\":" S_DATE ",\"to\":" S_DATE
        ",\"visits\":" S_INT ",\"horizon_days\":" S_INT ",\"cure_rate\":" S_NUM
        ",\"paid_mean_yuan\":" S_NUM ",\"cure\":" S_COEFS ",\"paid\":" S_COEFS ",\"note\":" S_STR
        "}}";
static const char SCHEMA_LITERACY[] =
        "{\"type\":\"object\",\"properties\":{\"as_of\":" S_DATE ",\"window_days\":" S_INT
        ",\"events\":" S_INT ",\"treated_units\":" S_INT ",\"control_units\":" S_INT
        ",\"before_treated\":" S_NUM ",\"after_treated\":" S_NUM ",\"before_control\":" S_NUM
        ",\"after_control\":" S_NUM ",\"did\":" S_NUM ",\"lo\":" S_NUM ",\"hi\":" S_NUM "}}";
#define S_EXPERIMENT_ROW                                                                          \
	"{\"type\":\"object\",\"properties\":{\"experiment_id\":" S_STR ",\"name\":" S_STR        \
	",\"segment\":" S_NSTR ",\"holdout_ppm\":" S_INT ",\"start_date\":" S_DATE                \
	",\"end_date\":" S_NSTR ",\"status\":" S_STR ",\"treated\":" S_INT ",\"held_out\":" S_INT \
	",\"last_plan_date\":" S_NSTR "}}"
static const char SCHEMA_EXPERIMENTS[] = S_LIST(S_EXPERIMENT_ROW);
static const char SCHEMA_EXPERIMENT[] =
        "{\"type\":\"object\",\"properties\":{\"experiment\":" S_STR ",\"as_of\":" S_DATE
        ",\"horizon_days\":" S_INT ",\"treated\":" S_INT ",\"held_out\":" S_INT
        ",\"paid_share\":{\"type\":\"object\",\"properties\":{\"treated\":" S_NUM
        ",\"held_out\":" S_NUM ",\"difference\":" S_NUM ",\"lo\":" S_NUM ",\"hi\":" S_NUM
        ",\"p_value\":" S_NUM "}},\"yuan_paid\":{\"type\":\"object\",\"properties\":{"
        "\"treated\":" S_NUM ",\"held_out\":" S_NUM ",\"difference\":" S_NUM ",\"lo\":" S_NUM
        ",\"hi\":" S_NUM "}}}}";

/* ------------------------------------------------------ query parameters */

#define Q_LIMIT                                                              \
	{                                                                    \
		"limit", "integer", NULL, false,                             \
		        "page size, 1 to 500 (default 50; larger is capped)" \
	}
#define Q_OFFSET                                                             \
	{                                                                    \
		"offset", "integer", NULL, false, "rows to skip (default 0)" \
	}
#define Q_AS_OF                                                               \
	{                                                                     \
		"as_of", "string", "date", false,                             \
		        "the day delinquency is counted for (default: today)" \
	}
#define Q_END                                 \
	{                                     \
		NULL, NULL, NULL, false, NULL \
	}

static const struct srv_param Q_SUMMARY[] = { Q_AS_OF, Q_END };
static const struct srv_param Q_ACCOUNTS[] = {
	{ "community", "string", NULL, false, "a community id" },
	{ "bucket", "string", NULL, false, "M0 ... M6, M7+ (or 0 ... 7)" },
	Q_AS_OF,
	Q_LIMIT,
	Q_OFFSET,
	Q_END,
};
static const struct srv_param Q_ACCOUNT[] = { Q_AS_OF, Q_END };
static const struct srv_param Q_PLAN[] = {
	{ "date", "string", "date", true, "the plan's day" },
	Q_END,
};
static const struct srv_param Q_VISITS[] = {
	{ "date", "string", "date", false, "the visits' day (default: today)" },
	{ "state", "string", NULL, false, "only visits in this state" },
	Q_LIMIT,
	Q_OFFSET,
	Q_END,
};
static const struct srv_param Q_ROUTES[] = {
	{ "date", "string", "date", false, "the routes' day (default: today)" },
	{ "team", "string", NULL, false, "one team only" },
	Q_END,
};
static const struct srv_param Q_PLANS[] = {
	{ "status", "string", NULL, false,
	  "pending_approval, active, rejected, broken or completed (default: any)" },
	{ "account_id", "string", NULL, false, "one account's plans" },
	Q_LIMIT,
	Q_OFFSET,
	Q_END,
};
static const struct srv_param Q_PAGE[] = { Q_LIMIT, Q_OFFSET, Q_END };
static const struct srv_param Q_COMPLAINTS[] = {
	{ "status", "string", NULL, false, "open (default), overdue or all" },
	Q_END,
};
static const struct srv_param Q_PERIOD[] = {
	{ "from", "string", "date", true, "the period's first day" },
	{ "to", "string", "date", false, "its last day (default: today)" },
	{ "by", "string", NULL, false,
	  "all (default), treatment, bucket, quadrant, community, team, collector or arm" },
	Q_END,
};
static const struct srv_param Q_ROLL[] = {
	{ "from", "string", "date", true, "the period's first day" },
	{ "to", "string", "date", false, "its last day (default: today)" },
	Q_END,
};
static const struct srv_param Q_EFFECT[] = {
	{ "as_of", "string", "date", false, "the day the report is read on (default: today)" },
	{ "by", "string", NULL, false, "all (default), bucket, quadrant or community" },
	{ "experiment", "string", NULL, false, "the experiment (default visit-holdout)" },
	{ "horizon", "integer", NULL, false, "days followed from each decision, 1 to 365 (30)" },
	Q_END,
};
static const struct srv_param Q_DRIVERS[] = {
	{ "from", "string", "date", true, "the first visit day" },
	{ "to", "string", "date", false, "the day the report is read on (default: today)" },
	{ "horizon", "integer", NULL, false, "days followed from each visit, 1 to 365 (30)" },
	Q_END,
};
static const struct srv_param Q_LITERACY[] = {
	{ "as_of", "string", "date", false, "the day the report is read on (default: today)" },
	{ "window", "integer", NULL, false, "days before and after each event, 7 to 365 (90)" },
	Q_END,
};
static const struct srv_param Q_EXPERIMENT[] = {
	{ "as_of", "string", "date", false, "the day the report is read on (default: today)" },
	{ "horizon", "integer", NULL, false, "days followed from each decision, 1 to 365 (30)" },
	Q_END,
};
static const struct srv_param Q_TASKS[] = {
	{ "status", "string", NULL, false, "open (default) or all" },
	{ "due", "string", "date", false, "only tasks due on or before this day" },
	Q_LIMIT,
	Q_OFFSET,
	Q_END,
};

/* -------------------------------------------------------------- the table */

/* clang-format off */
const struct srv_route srv_routes[] = {
	{ "GET", "/healthz", h_healthz, 0, RF_PUBLIC, "system",
	  "Liveness and the store's readiness", "200 when a store connection answers, 503 otherwise.",
	  NULL, NULL, 200, SCHEMA_HEALTH, "503", NULL },
	{ "GET", "/metrics", h_metrics, R_ADMIN | R_AUDITOR, RF_LOOPBACK, "system",
	  "Prometheus metrics", "Loopback callers without a login; others must be an admin or an auditor.",
	  NULL, NULL, 200, SCHEMA_METRICS, "", NULL },
	{ "GET", "/api/openapi.json", h_openapi, 0, RF_PUBLIC, "system",
	  "This document", "Generated from the server's route table.",
	  NULL, NULL, 200, SCHEMA_OPENAPI, "", NULL },
	{ "POST", "/api/login", h_login, 0, RF_PUBLIC | RF_BODY, "auth",
	  "Log in: a session cookie and its CSRF token",
	  "Sets the HttpOnly, SameSite=Strict cookie ds_session (Secure behind TLS). 401 for an unknown "
	  "user or a wrong password (one message for both), 429 while the user or the address is "
	  "throttled.",
	  NULL, SCHEMA_LOGIN_IN, 200, SCHEMA_LOGIN_OUT, "429", NULL },
	{ "POST", "/api/logout", h_logout, R_ALL, 0, "auth",
	  "Log out: the session revoked, the cookie cleared", "A cookie session only (400 with a token).",
	  NULL, NULL, 200, SCHEMA_LOGOUT, "", NULL },
	{ "GET", "/api/me", h_me, R_ALL, 0, "auth", "Who is calling", NULL,
	  NULL, NULL, 200, SCHEMA_ME, "", NULL },
	{ "GET", "/api/portfolio/summary", h_portfolio_summary, R_ADMIN | R_MANAGER | R_ANALYST | R_AUDITOR, 0,
	  "portfolio", "Open accounts by community and bucket",
	  "The portfolio layer's summary (as `doorstep summary --json`); money in fen.",
	  Q_SUMMARY, NULL, 200, SCHEMA_SUMMARY, "", NULL },
	{ "GET", "/api/accounts", h_accounts, R_ADMIN | R_MANAGER | R_COLLECTOR | R_ANALYST | R_AUDITOR, 0,
	  "portfolio", "Open accounts with their delinquency",
	  "Filtered by community and bucket, in account-id order; a collector sees their branch's. Names "
	  "masked by role, phones always masked here; whole names are an audited read.",
	  Q_ACCOUNTS, NULL, 200, SCHEMA_ACCOUNTS, "", NULL },
	{ "GET", "/api/accounts/{id}", h_account, R_ADMIN | R_MANAGER | R_COLLECTOR | R_ANALYST | R_AUDITOR, 0,
	  "portfolio", "One account: borrower, delinquency, latest scores and reasons",
	  "Personal data masked by role; an unmasked view is audited (read_pii).",
	  Q_ACCOUNT, NULL, 200, SCHEMA_ACCOUNT, "404", NULL },
	{ "GET", "/api/plan", h_plan, R_ADMIN | R_MANAGER | R_ANALYST | R_AUDITOR, 0, "plan",
	  "The day's decisions, summed by treatment", NULL,
	  Q_PLAN, NULL, 200, SCHEMA_PLAN, "", NULL },
	{ "GET", "/api/visits", h_visits, R_ADMIN | R_MANAGER | R_COLLECTOR | R_WORKER | R_AUDITOR, 0,
	  "visits", "The day's visits",
	  "A collector sees their branch's; a community worker the visits in their own community "
	  "of the teams they are on that day.",
	  Q_VISITS, NULL, 200, SCHEMA_VISITS, "", NULL },
	{ "GET", "/api/visits/{id}", h_visit, R_ADMIN | R_MANAGER | R_COLLECTOR | R_WORKER | R_AUDITOR, 0,
	  "visits", "One visit and its events", "Scoped as the list: another's visit is 404.",
	  NULL, NULL, 200, SCHEMA_VISIT, "404", "integer" },
	{ "POST", "/api/visits/{id}/check-in", h_visit_check_in, R_COLLECTOR | R_WORKER, RF_BODY,
	  "visits", "Check in at the door (contact rules, distance)",
	  "422 with reason_zh and reason_en when refused (the refusal is recorded); 409 when the "
	  "visit is not scheduled.",
	  NULL, SCHEMA_CHECKIN_IN, 200, SCHEMA_CHECKIN_OUT, "404 409 422", "integer" },
	{ "POST", "/api/visits/{id}/outcome", h_visit_outcome, R_COLLECTOR | R_WORKER, RF_BODY,
	  "visits", "Record what was found at the door", "409 unless the visit is checked in.",
	  NULL, SCHEMA_OUTCOME_IN, 200, SCHEMA_DONE, "404 409 422", "integer" },
	{ "POST", "/api/visits/{id}/notify", h_visit_notify, R_ADMIN | R_MANAGER, RF_BODY | RF_SERIAL,
	  "visits", "Send the advance notice: the letter (PDF) and the SMS queued",
	  "planned -> notice_sent; 422 when the visit is fewer than [field] notice_days away.",
	  NULL, SCHEMA_WHERE_IN, 200, SCHEMA_STEP_OUT, "404 409 422", "integer" },
	{ "POST", "/api/visits/{id}/schedule", h_visit_schedule, R_ADMIN | R_MANAGER, RF_BODY,
	  "visits", "Schedule a noticed visit: team, date and window", "notice_sent -> scheduled.",
	  NULL, SCHEMA_SCHEDULE_IN, 200, SCHEMA_STEP_OUT, "404 409 422", "integer" },
	{ "POST", "/api/visits/{id}/reschedule", h_visit_reschedule, R_ADMIN | R_MANAGER, RF_BODY,
	  "visits", "Move a visit to another date or window, with the reason",
	  "A date too close for the notice sends it back to planned.",
	  NULL, SCHEMA_RESCHEDULE_IN, 200, SCHEMA_STEP_OUT, "404 409 422", "integer" },
	{ "POST", "/api/visits/{id}/cancel", h_visit_cancel, R_ADMIN | R_MANAGER | R_COLLECTOR, RF_BODY,
	  "visits", "Cancel a visit before its check-in, with the reason", NULL,
	  NULL, SCHEMA_CANCEL_IN, 200, SCHEMA_STEP_OUT, "404 409 422", "integer" },
	{ "POST", "/api/visits/{id}/close", h_visit_close, R_MANAGER | R_COLLECTOR | R_WORKER, RF_BODY,
	  "visits", "Close a visit after its outcome (its follow-up tasks written)",
	  "outcome_recorded -> closed.",
	  NULL, SCHEMA_WHERE_IN, 200, SCHEMA_STEP_OUT, "404 409 422", "integer" },
	{ "POST", "/api/promises", h_promises, R_MANAGER | R_COLLECTOR, RF_BODY, "money",
	  "A promise to pay", "A collector: accounts of their branch.",
	  NULL, SCHEMA_PROMISE_IN, 201, SCHEMA_PROMISE_OUT, "404 422", NULL },
	{ "POST", "/api/installments/calc", h_installments_calc, R_ALL, RF_BODY, "plan",
	  "An installment schedule (nothing stored)", NULL,
	  NULL, SCHEMA_CALC_IN, 200, SCHEMA_CALC_OUT, "422", NULL },
	{ "GET", "/api/tasks", h_tasks, R_ADMIN | R_MANAGER | R_COLLECTOR | R_AUDITOR, 0, "money",
	  "Follow-up tasks", "A collector sees their branch's.",
	  Q_TASKS, NULL, 200, SCHEMA_TASKS, "", NULL },
	{ "POST", "/api/receipts", h_receipts, R_MANAGER | R_COLLECTOR, RF_BODY | RF_SERIAL, "money",
	  "Money taken at the door: a numbered receipt (PDF)", "A collector: accounts of their branch.",
	  NULL, SCHEMA_RECEIPT_IN, 201, SCHEMA_RECEIPT_OUT, "404 422", NULL },
	{ "GET", "/api/accounts/{id}/payments", h_account_payments,
	  R_ADMIN | R_MANAGER | R_COLLECTOR | R_ANALYST | R_AUDITOR, 0, "money",
	  "An account's payments, latest first", "A collector: accounts of their branch.",
	  Q_PAGE, NULL, 200, SCHEMA_PAYMENTS, "404", NULL },
	{ "POST", "/api/plan/approve", h_plan_approve, R_ADMIN | R_MANAGER, RF_BODY, "plan",
	  "Approve or reject the day's plan",
	  "Pins the decisions by their SHA-256 (a plan written again later reads as stale); the "
	  "one who wrote the plan may not decide on it (maker-checker). 404 without a plan, 422 "
	  "when refused.",
	  NULL, SCHEMA_APPROVE_IN, 200, SCHEMA_APPROVE_OUT, "404 422", NULL },
	{ "GET", "/api/routes", h_routes, R_ADMIN | R_MANAGER | R_COLLECTOR | R_WORKER | R_ANALYST | R_AUDITOR,
	  0, "visits", "The day's teams, members and visits in route order",
	  "Scoped as the visits. The doors' positions only for roles that see addresses whole "
	  "(an audited read).",
	  Q_ROUTES, NULL, 200, SCHEMA_ROUTES, "", NULL },
	{ "GET", "/api/installments", h_installments, R_ADMIN | R_MANAGER | R_COLLECTOR | R_ANALYST | R_AUDITOR,
	  0, "plan", "Installment plans, newest first", "A collector sees their branch's.",
	  Q_PLANS, NULL, 200, SCHEMA_PLANS, "", NULL },
	{ "POST", "/api/installments", h_installments_offer, R_MANAGER | R_COLLECTOR, RF_BODY, "plan",
	  "Offer an installment plan",
	  "Active at once within the role's limits, else pending a manager's approval; refused "
	  "(422) when not affordable unless overridden (recorded).",
	  NULL, SCHEMA_OFFER_IN, 201, SCHEMA_OFFER_OUT, "404 422", NULL },
	{ "POST", "/api/installments/{id}/decide", h_installments_decide, R_MANAGER, RF_BODY, "plan",
	  "Approve or reject a pending plan", "Never by the one who offered it (maker-checker).",
	  NULL, SCHEMA_DECIDE_IN, 200, SCHEMA_DECIDE_OUT, "404 422", "integer" },
	{ "GET", "/api/complaints", h_complaints, R_ADMIN | R_MANAGER | R_AUDITOR, 0, "money",
	  "Complaints as they stand now", NULL,
	  Q_COMPLAINTS, NULL, 200, SCHEMA_COMPLAINTS, "", NULL },
	{ "POST", "/api/complaints", h_complaint_open, R_ADMIN | R_MANAGER, RF_BODY, "money",
	  "Record a complaint: a hold stops all contact until it is resolved", NULL,
	  NULL, SCHEMA_COMPLAINT_IN, 201, SCHEMA_COMPLAINT_OUT, "404 422", NULL },
	{ "POST", "/api/complaints/{id}/resolve", h_complaint_resolve, R_ADMIN | R_MANAGER, RF_BODY,
	  "money", "Resolve a complaint and lift its hold", NULL,
	  NULL, SCHEMA_RESOLVE_IN, 200, SCHEMA_RESOLVE_OUT, "404 422", "integer" },
	{ "GET", "/api/reports/kpi", h_report_kpi, R_ADMIN | R_MANAGER | R_ANALYST | R_AUDITOR, 0,
	  "reports", "KPIs of a period by a grouping", "As `doorstep report kpi --format json`.",
	  Q_PERIOD, NULL, 200, SCHEMA_KPI, "", NULL },
	{ "GET", "/api/reports/roll", h_report_roll, R_ADMIN | R_MANAGER | R_ANALYST | R_AUDITOR, 0,
	  "reports", "Roll rates between buckets", "As `doorstep report roll --format json`.",
	  Q_ROLL, NULL, 200, SCHEMA_ROLL, "", NULL },
	{ "GET", "/api/reports/visits", h_report_visits, R_ADMIN | R_MANAGER | R_ANALYST | R_AUDITOR, 0,
	  "reports", "Is door-to-door useful? The visit experiment per segment",
	  "As `doorstep report visits --format json`: effect, 95% interval, cost per yuan and a "
	  "verdict per segment.",
	  Q_EFFECT, NULL, 200, SCHEMA_EFFECT, "", NULL },
	{ "GET", "/api/reports/literacy", h_report_literacy, R_ADMIN | R_MANAGER | R_ANALYST | R_AUDITOR,
	  0, "reports", "Literacy events and new delinquency (difference in differences)", NULL,
	  Q_LITERACY, NULL, 200, SCHEMA_LITERACY, "", NULL },
	{ "GET", "/api/reports/drivers", h_report_drivers, R_ADMIN | R_MANAGER | R_ANALYST | R_AUDITOR, 0,
	  "reports", "What drives results: attitude, community cooperation, collector training",
	  "As `doorstep report drivers --format json`: logistic (cure) and linear (yuan paid) "
	  "regressions with robust standard errors; observational.",
	  Q_DRIVERS, NULL, 200, SCHEMA_DRIVERS, "", NULL },
	{ "GET", "/api/experiments", h_experiments, R_ADMIN | R_MANAGER | R_ANALYST | R_AUDITOR, 0,
	  "reports", "Experiments and their arms' accounts", NULL,
	  NULL, NULL, 200, SCHEMA_EXPERIMENTS, "", NULL },
	{ "GET", "/api/experiments/{id}", h_experiment, R_ADMIN | R_MANAGER | R_ANALYST | R_AUDITOR, 0,
	  "reports", "An experiment's arms compared",
	  "As `doorstep experiment report --json`; 422 (insufficient_data) until both arms have "
	  "accounts observed for the horizon.",
	  Q_EXPERIMENT, NULL, 200, SCHEMA_EXPERIMENT, "404 422", NULL },
};
/* clang-format on */
const int srv_route_count = (int)(sizeof srv_routes / sizeof srv_routes[0]);
_Static_assert(sizeof srv_routes / sizeof srv_routes[0] <= SRV_ROUTES_MAX,
               "raise SRV_ROUTES_MAX (metrics keep a slot per route)");

void srv_roles_text(const struct srv_route *rt, char *out, size_t outsz)
{
	out[0] = '\0';
	size_t n = 0;
	if (rt->flags & RF_PUBLIC) {
		ds_strlcpy(out, "public", outsz);
		return;
	}
	if (rt->flags & RF_LOOPBACK)
		n += (size_t)snprintf(out + n, outsz - n, "loopback,");
	if (rt->roles == R_ALL) {
		snprintf(out + n, outsz - n, "any role");
		return;
	}
	for (int k = 0; k < DS_ROLE_COUNT && n < outsz; k++)
		if (rt->roles & ROLE(k))
			n += (size_t)snprintf(out + n, outsz - n, "%s,", ds_role_name((ds_role)k));
	if (n > 0 && n < outsz)
		out[n - 1] = '\0';
}

ds_err srv_routes_check(struct ds_diag *diag)
{
	for (int i = 0; i < srv_route_count; i++) {
		const struct srv_route *rt = &srv_routes[i];
		const char *texts[2] = { rt->request_schema, rt->response_schema };
		for (int k = 0; k < 2; k++) {
			if (!texts[k])
				continue;
			json_error_t je;
			json_t *v = json_loads(texts[k], 0, &je);
			if (!v)
				return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
				                   "%s %s: schema: %s", rt->method, rt->pattern,
				                   je.text);
			json_decref(v);
		}
		int params = 0;
		for (const char *p = rt->pattern; *p; p++)
			params += *p == '{';
		if (params > SRV_MAX_PARAMS || rt->pattern[0] != '/' ||
		    (!(rt->flags & RF_PUBLIC) && !rt->roles))
			return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "%s %s: bad route",
			                   rt->method, rt->pattern);
		for (int j = 0; j < i; j++)
			if (strcmp(srv_routes[j].pattern, rt->pattern) == 0 &&
			    strcmp(srv_routes[j].method, rt->method) == 0)
				return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "%s %s: twice",
				                   rt->method, rt->pattern);
	}
	return DS_OK;
}

/* ------------------------------------------------------------- matching */

/* Whether path matches pattern, each {name} taking one non-empty segment
 * (copied into r->param, in order). */
static bool match(const char *pattern, const char *path, struct srv_req *r)
{
	const char *p = pattern, *u = path;
	int n = 0;
	while (*p && *u) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			size_t len = strcspn(u, "/");
			if (!close || len == 0 || len >= SRV_PARAM_MAX || n >= SRV_MAX_PARAMS)
				return false;
			if (r) {
				memcpy(r->param[n], u, len);
				r->param[n][len] = '\0';
			}
			n++;
			p = close + 1;
			u += len;
		} else if (*p++ != *u++) {
			return false;
		}
	}
	if (*p || *u)
		return false;
	if (r)
		r->nparams = n;
	return true;
}

/* The route for method and path: its index; SRV_ROUTE_NONE with *other
 * set when the path is a route's with another method. */
static int find_route(const char *method, const char *path, struct srv_req *r, char *allow,
                      size_t allowsz)
{
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	allow[0] = '\0';
	for (int i = 0; i < srv_route_count; i++)
		if (strcmp(srv_routes[i].method, m) == 0 && match(srv_routes[i].pattern, path, r))
			return i;
	size_t n = 0;
	for (int i = 0; i < srv_route_count; i++)
		if (match(srv_routes[i].pattern, path, NULL) && n + 8 < allowsz)
			n += (size_t)snprintf(allow + n, allowsz - n, "%s%s", n ? ", " : "",
			                      srv_routes[i].method);
	return SRV_ROUTE_NONE;
}

/* ------------------------------------------------------------- the caller */

static bool is_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
	}
	return false;
}

/* The peer's address; behind the trusted proxy, the address it forwards
 * (the last of X-Forwarded-For) and whether it took TLS. */
static void caller(struct srv_req *r)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	ds_strlcpy(r->addr, "unknown", sizeof r->addr);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET,
			          &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			          r->addr, sizeof r->addr);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
			          &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			          r->addr, sizeof r->addr);
	}
	const char *proxy = r->srv->cfg->trust_proxy;
	if (proxy && strcmp(proxy, r->addr) == 0) {
		const char *proto =
		        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
		r->tls = proto && strcasecmp(proto, "https") == 0;
		const char *xff =
		        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-For");
		if (xff && *xff) {
			const char *last = strrchr(xff, ',');
			last = last ? last + 1 : xff;
			while (*last == ' ')
				last++;
			char fwd[64];
			ds_strlcpy(fwd, last, sizeof fwd);
			fwd[strcspn(fwd, " ")] = '\0';
			struct in6_addr tmp;
			if (inet_pton(AF_INET, fwd, &tmp) == 1 ||
			    inet_pton(AF_INET6, fwd, &tmp) == 1)
				ds_strlcpy(r->addr, fwd, sizeof r->addr);
			else
				ds_strlcpy(r->addr, "unknown", sizeof r->addr);
		}
	}
	r->loopback = is_loopback(r->addr);
}

/*
 * Who is calling: an API token (Authorization: Bearer) or the session
 * cookie. True when known; false after queueing a 401 (or a 503 when the
 * store cannot be had).
 */
static bool authenticate(struct srv_req *r, bool answer)
{
	const char *authz = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "ds_session");
	const char *token = NULL;
	bool bearer = false;
	if (authz) {
		if (strncasecmp(authz, "Bearer ", 7) == 0) {
			token = authz + 7;
			while (*token == ' ')
				token++;
			bearer = true;
		}
	} else if (cookie) {
		token = cookie;
	}
	if (!token || !*token || strlen(token) >= DS_TOKEN_CHARS) {
		if (answer) {
			srv_header(r, "WWW-Authenticate", "Bearer realm=\"doorstep\"");
			srv_error(r, 401, "unauthenticated",
			          authz ? "the Authorization header must be \"Bearer TOKEN\""
			                : "log in first (POST /api/login) or send an API token");
		}
		return false;
	}
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_store *st;
	ds_err err = srv_pool_acquire(r->srv, SRV_SERVER_ACTOR, &st, &d);
	if (err) {
		if (answer)
			srv_fail(r, err, &d);
		return false;
	}
	ds_time now = (ds_time)time(NULL);
	err = bearer ? ds_auth_api_token(st, token, now, &r->s, &d)
	             : ds_auth_session(st, token, now, &r->s, &d);
	srv_pool_release(r->srv, st);
	if (err == DS_ENOTFOUND || err == DS_EINVAL) {
		if (answer) {
			srv_header(r, "WWW-Authenticate", "Bearer realm=\"doorstep\"");
			if (!bearer)
				srv_header(r, "Set-Cookie",
				           "ds_session=; Path=/; Max-Age=0; HttpOnly; "
				           "SameSite=Strict");
			srv_error(r, 401, "unauthenticated",
			          bearer ? "the API token is unknown or revoked"
			                 : "the session has ended; log in again");
		}
		return false;
	}
	if (err) {
		if (answer)
			srv_fail(r, err, &d);
		return false;
	}
	r->authed = true;
	r->by_cookie = !bearer;
	if (!bearer)
		ds_strlcpy(r->token, token, sizeof r->token);
	return true;
}

static bool unsafe_method(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0;
}

/* The checks made as soon as the headers are in: true when the request
 * goes on to its body, false after an answer was queued. */
static bool admit(struct srv_req *r)
{
	const struct srv_route *rt = &srv_routes[r->route];
	const char *len = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
	if (len) {
		char *end;
		unsigned long long n = strtoull(len, &end, 10);
		if (end == len || *end || n > SRV_BODY_MAX) {
			srv_error(r, 413, "too_large", "a request body is at most %d bytes",
			          SRV_BODY_MAX);
			return false;
		}
	}
	if (rt->flags & RF_BODY) {
		const char *type =
		        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
		size_t n = strlen("application/json");
		if (!type || strncasecmp(type, "application/json", n) != 0 ||
		    (type[n] && type[n] != ';' && type[n] != ' ')) {
			srv_error(r, 415, "unsupported_media_type",
			          "the body must be JSON (Content-Type: application/json)");
			return false;
		}
	}
	if (rt->flags & RF_PUBLIC)
		return true;
	if ((rt->flags & RF_LOOPBACK) && r->loopback) {
		/* a login, when one is sent, still names the caller in the log */
		authenticate(r, false);
		return true;
	}
	if (!authenticate(r, true))
		return false;
	if (!(rt->roles & ROLE(r->s.user.role))) {
		srv_error(r, 403, "forbidden", "the role %s may not %s %s",
		          ds_role_name(r->s.user.role), rt->method, rt->pattern);
		return false;
	}
	if (r->by_cookie && unsafe_method(r->method)) {
		const char *csrf =
		        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
		if (!csrf || !srv_secret_eq(csrf, r->s.csrf)) {
			srv_error(r, 403, "csrf",
			          "a write with the session cookie needs the X-CSRF-Token header "
			          "given at login");
			return false;
		}
	}
	return true;
}

/* Parses the body of an RF_BODY route into r->json; false after a 400. */
static bool parse_body(struct srv_req *r)
{
	char why[256];
	r->json = srv_body_parse(r->body.p, r->body.len, why, sizeof why);
	if (!r->json) {
		srv_error(r, 400, "bad_request", "%s", why);
		return false;
	}
	return true;
}

/* Values of the query string, named (never their values: they may be
 * personal data) for the log. */
static enum MHD_Result note_key(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
	(void)kind;
	(void)value;
	struct srv_req *r = cls;
	size_t n = strlen(r->query_keys);
	if (n + strlen(key) + 2 < sizeof r->query_keys)
		snprintf(r->query_keys + n, sizeof r->query_keys - n, "%s%s", n ? "," : "", key);
	return MHD_YES;
}

/* ------------------------------------------------------------ the handler */

static struct srv_req *begin(struct server *s, struct MHD_Connection *conn, const char *url,
                             const char *method)
{
	struct srv_req *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->srv = s;
	r->conn = conn;
	r->method = method;
	r->t0 = srv_now_mono();
	ds_strlcpy(r->path, url, sizeof r->path);
	ds_buf_init(&r->body, SRV_BODY_MAX);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, note_key, r);
	caller(r);
	srv_metrics_begin();
	return r;
}

static void run_handler(struct srv_req *r)
{
	const struct srv_route *rt = &srv_routes[r->route];
	if ((rt->flags & RF_BODY) && !parse_body(r))
		return;
	/* writes of a known caller may be retried safely with a key */
	bool keyed = r->authed && unsafe_method(r->method) && !(rt->flags & RF_PUBLIC);
	if (keyed && !srv_idem_begin(r))
		return;
	if (rt->flags & RF_SERIAL)
		pthread_mutex_lock(&r->srv->serial);
	rt->handler(r);
	if (rt->flags & RF_SERIAL)
		pthread_mutex_unlock(&r->srv->serial);
	if (!r->queued) {
		ds_strlcpy(r->error, "the handler gave no answer", sizeof r->error);
		srv_error(r, 500, "internal", "the server could not answer");
	}
	if (keyed)
		srv_idem_end(r);
}

enum MHD_Result srv_access(void *cls, struct MHD_Connection *conn, const char *url,
                           const char *method, const char *version, const char *upload,
                           size_t *upload_size, void **con_cls)
{
	(void)version;
	struct server *s = cls;
	struct srv_req *r = *con_cls;
	if (!r) {
		if (!(r = begin(s, conn, url, method)))
			return MHD_NO;
		*con_cls = r;
		char allow[64];
		r->route = find_route(method, r->path, r, allow, sizeof allow);
		if (r->route == SRV_ROUTE_NONE) {
			bool api =
			        strncmp(r->path, "/api/", 5) == 0 || strcmp(r->path, "/api") == 0;
			if (allow[0]) {
				srv_header(r, "Allow", allow);
				srv_error(r, 405, "method_not_allowed",
				          "%s is not allowed here (%s)", method, allow);
			} else if (api ||
			           (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
				srv_error(r, api ? 404 : 405,
				          api ? "not_found" : "method_not_allowed",
				          api ? "no such endpoint (see /api/openapi.json)"
				              : "only GET and HEAD outside /api/");
			} else {
				r->route = SRV_ROUTE_STATIC;
			}
			return r->queued ? r->mhd_rc : MHD_YES;
		}
		if (!admit(r))
			return r->mhd_rc;
		return MHD_YES;
	}
	if (r->queued) {
		/* answered early: whatever body still comes is dropped */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		ds_err e = r->body_too_big ? DS_OK : ds_buf_add(&r->body, upload, *upload_size);
		if (e) {
			/* the rest is dropped; the answer comes when the body has ended */
			r->body_too_big = true;
			if (e != DS_ETOOBIG)
				ds_strlcpy(r->error, "out of memory reading the body",
				           sizeof r->error);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->body_too_big) {
		if (r->error[0])
			srv_error(r, 500, "internal", "the server could not read the body");
		else
			srv_error(r, 413, "too_large", "a request body is at most %d bytes",
			          SRV_BODY_MAX);
		return r->mhd_rc;
	}
	if (r->route == SRV_ROUTE_STATIC)
		srv_static(r);
	else
		run_handler(r);
	return r->queued ? r->mhd_rc : MHD_NO;
}

void srv_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                   enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	struct server *s = cls;
	struct srv_req *r = *con_cls;
	if (!r)
		return;
	*con_cls = NULL;
	double secs = srv_now_mono() - r->t0;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->error[0])
		snprintf(r->error, sizeof r->error, "connection ended early (%d)", (int)toe);
	srv_metrics_end(r->route, r->status, secs);
	srv_log_request(r, secs);
	srv_pool_release(s, r->st);
	json_decref(r->json);
	free(r->answer);
	if (r->body.p)
		sodium_memzero(r->body.p, r->body.cap); /* a password may be in it */
	ds_buf_free(&r->body);
	free(r);
}

/*
 * The HTTP server of `doorstep serve` (docs/server.md, docs/api.md):
 * internal to src/server/ and src/cli/cmd_serve.c.
 *
 *   server.c    the daemon (libmicrohttpd), its limits, the store pool,
 *               signals and the graceful shutdown
 *   router.c    the route table (one const array) and the dispatch:
 *               matching, authentication, roles, CSRF, body caps
 *   openapi.c   the OpenAPI 3.1 document, generated from the table
 *   http.c      request and response helpers: JSON bodies, errors,
 *               cookies, query parameters, the library's errors
 *   static.c    files of the web UI (--static)
 *   metrics.c   Prometheus text: requests, durations, in flight, uptime
 *   log.c       one JSON line per request (and per event) on stderr
 *   handlers_*  the endpoints, one file per area
 */
#ifndef DOORSTEP_SERVER_H
#define DOORSTEP_SERVER_H

#include "doorstep/auth.h"
#include "doorstep/config.h"
#include "doorstep/core.h"
#include "doorstep/field.h"
#include "doorstep/rules.h"
#include "doorstep/store.h"

#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* ----------------------------------------------------------------- limits */

#define SRV_CONNECTION_LIMIT 256         /* open connections in all */
#define SRV_PER_IP_LIMIT     32          /* open connections from one address */
#define SRV_CONN_MEMORY      (32 * 1024) /* a connection's buffer: request line and headers */
#define SRV_IDLE_TIMEOUT_S   30          /* an idle connection is closed after this */
#define SRV_BODY_MAX         (64 * 1024) /* a JSON request body */
#define SRV_JSON_DEPTH       32          /* nesting of arrays and objects in a body */
#define SRV_PAGE_DEFAULT     50          /* ?limit= when not given */
#define SRV_PAGE_MAX         500         /* ?limit= is capped at this */
#define SRV_STATIC_MAX       (16L * 1024 * 1024) /* a file served from --static */
#define SRV_THREADS_MAX      64
#define SRV_GRACE_S          10 /* open connections get this long at shutdown */
#define SRV_MAX_PARAMS       4  /* {params} in a route's path */
#define SRV_PARAM_MAX        128
#define SRV_ROUTES_MAX       64
#define SRV_SERVER_ACTOR     "server" /* the store's actor before anyone is known */
#define SRV_IDEM_KEY_MAX     128      /* bytes of an Idempotency-Key */

/* ------------------------------------------------------------------ roles */

#define ROLE(r)     (1u << (r))
#define R_ADMIN     ROLE(DS_ROLE_ADMIN)
#define R_MANAGER   ROLE(DS_ROLE_MANAGER)
#define R_COLLECTOR ROLE(DS_ROLE_COLLECTOR)
#define R_WORKER    ROLE(DS_ROLE_COMMUNITY_WORKER)
#define R_ANALYST   ROLE(DS_ROLE_ANALYST)
#define R_AUDITOR   ROLE(DS_ROLE_AUDITOR)
#define R_ALL       (ROLE(DS_ROLE_COUNT) - 1u)

/* ---------------------------------------------------------------- servers */

/* What cmd_serve.c hands the server (it keeps ownership). */
struct srv_config {
	const char *db_path;
	struct ds_store_opts store; /* busy timeout and cache; the actor is set per request */
	const char *listen;         /* ADDR:PORT, [V6]:PORT; port 0: any free port */
	const char *static_dir;     /* NULL: no files served */
	int threads;
	const char *trust_proxy; /* the proxy's address whose X-Forwarded-* count; NULL: none */
	int idle_s;              /* an idle connection's timeout; 0: SRV_IDLE_TIMEOUT_S */
	const char *zone;        /* [general] timezone: "today" */
	const ds_rulepack *rules;
	const struct ds_field_config *field;
	const struct ds_pii_key *key; /* NULL: phones are never unsealed */
	ds_store *first;              /* an open store, handed over to the pool */
};

/* The store pool: idle connections by actor (docs/server.md, "Threads
 * and the store"). A connection is used by one request at a time. */
struct srv_pool {
	pthread_mutex_t mu;
	ds_store *idle[2 * SRV_THREADS_MAX + 2];
	int n, max;
	long opened;
};

struct server {
	const struct srv_config *cfg;
	struct srv_pool pool;
	char static_root[PATH_MAX]; /* realpath of --static; "" when none */
	char *openapi;              /* the document, built at start (malloc) */
	size_t openapi_len;
	pthread_mutex_t serial; /* handlers that draw PDFs take turns (cairo, pango) */
};

/* --------------------------------------------------------------- requests */

struct srv_req;
typedef void (*srv_handler)(struct srv_req *r);

enum {
	RF_PUBLIC = 1,   /* no authentication */
	RF_LOOPBACK = 2, /* loopback callers need no authentication */
	RF_BODY = 4,     /* takes a JSON object as its body */
	RF_SERIAL = 8,   /* one at a time (draws a PDF) */
};

/* A query parameter, for the OpenAPI document. */
struct srv_param {
	const char *name;
	const char *type;   /* "string", "integer", "number", "boolean" */
	const char *format; /* "date" or NULL */
	bool required;
	const char *doc;
};

struct srv_route {
	const char *method;  /* GET or POST */
	const char *pattern; /* /api/visits/{id}: a {name} is one path segment */
	srv_handler handler;
	unsigned roles; /* ROLE() bits allowed; 0 with RF_PUBLIC */
	unsigned flags;
	const char *tag, *summary, *doc;
	const struct srv_param *query; /* NULL-name terminated; NULL: none */
	const char *request_schema;    /* JSON text of the body's schema, or NULL */
	int ok_status;                 /* 200 or 201 */
	const char *response_schema;   /* JSON text of the answer's schema */
	const char *errors;            /* further statuses it answers: "404 409 422" */
	const char *path_type;         /* the {params}' JSON type; NULL: "string" */
};

extern const struct srv_route srv_routes[];
extern const int srv_route_count;
/* Indices for requests no route took, in metrics and logs. */
#define SRV_ROUTE_STATIC (srv_route_count)
#define SRV_ROUTE_NONE   (srv_route_count + 1)

struct srv_req {
	struct server *srv;
	struct MHD_Connection *conn;
	const char *method; /* MHD's, valid for the request */
	char path[1024];    /* the path, decoded, no query */
	char query_keys[256];
	int route; /* index into srv_routes, or SRV_ROUTE_* */
	int nparams;
	char param[SRV_MAX_PARAMS][SRV_PARAM_MAX];
	char addr[64]; /* the caller (the forwarded one behind a trusted proxy) */
	bool loopback, tls;
	double t0; /* monotonic seconds at the first call */
	struct ds_buf body;
	bool body_too_big;
	json_t *json; /* the parsed body (RF_BODY) */
	bool authed, by_cookie;
	char token[DS_TOKEN_CHARS]; /* the cookie's session token */
	struct ds_session s;
	ds_store *st; /* acquired by srv_store(), released at the end */
	int status;
	uint64_t bytes;
	bool queued;
	enum MHD_Result mhd_rc;
	char error[256];                     /* for the log: what went wrong inside (500s) */
	char idem_key[SRV_IDEM_KEY_MAX + 1]; /* the Idempotency-Key being served, "" none */
	char *answer;                        /* the JSON answer's copy while one is (malloc) */
	int nhdr;
	char hdr_name[4][32];
	char hdr_value[4][256];
};

/* ---------------------------------------------------------------- server.c */

/* Runs the server until SIGINT or SIGTERM: returns 0 after a graceful
 * stop, 3 when it could not start (reported on stderr). */
int srv_run(const struct srv_config *cfg);
/* A connection to the store with `actor` (a user id or SRV_SERVER_ACTOR),
 * from the pool or newly opened. */
ds_err srv_pool_acquire(struct server *s, const char *actor, ds_store **out, struct ds_diag *diag);
/* Back into the pool (any open transaction rolled back), or closed. */
void srv_pool_release(struct server *s, ds_store *st);
/* Monotonic seconds. */
double srv_now_mono(void);
/* Whether a stop has begun (answers then close their connections). */
bool srv_stopping(void);

/* ---------------------------------------------------------------- router.c */

/* MHD's access handler and its request-completed notification. */
enum MHD_Result srv_access(void *cls, struct MHD_Connection *conn, const char *url,
                           const char *method, const char *version, const char *upload,
                           size_t *upload_size, void **con_cls);
void srv_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                   enum MHD_RequestTerminationCode toe);
/* The roles of a route as text: "admin,manager", "public". */
void srv_roles_text(const struct srv_route *rt, char *out, size_t outsz);
/* Checks the table (patterns, schemas' JSON); a failure is a bug. */
ds_err srv_routes_check(struct ds_diag *diag);

/* --------------------------------------------------------------- openapi.c */

/* The OpenAPI 3.1 document of the route table as JSON text (malloc). */
ds_err srv_openapi_build(char **out, size_t *len, struct ds_diag *diag);

/* ------------------------------------------------------------------ http.c */

/* Adds a header to the response about to be queued (up to four). */
void srv_header(struct srv_req *r, const char *name, const char *value);
/* Queues a JSON answer (v is stolen). */
void srv_json(struct srv_req *r, int status, json_t *v);
/* Queues {error, message, message_zh}. */
void srv_error(struct srv_req *r, int status, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* The Chinese message of an error code ("请求失败" for one not listed). */
const char *srv_error_zh(const char *code);
/* Answers {items, limit, offset, next_offset} from a listing statement,
 * its binds set, that reads at most limit + 1 rows (LIMIT limit+1 OFFSET
 * offset): one object per row keyed by column name; done with it. */
void srv_rows(struct srv_req *r, ds_stmt *s, long limit, long offset);
/* Queues the answer for a library error: DS_ENOTFOUND 404, DS_EINVAL and
 * DS_EREJECT 422, DS_EBUSY and DS_EIO (a full disk, a read-only file) 503,
 * DS_ETOOBIG 413, anything else 500 (the diagnostic only in the log). */
void srv_fail(struct srv_req *r, ds_err err, const struct ds_diag *d);
/* Queues a text answer (copied). */
void srv_text(struct srv_req *r, int status, const char *type, const char *text, size_t len);
/* Queues a response made elsewhere (static files); destroys it. */
void srv_queue(struct srv_req *r, int status, struct MHD_Response *resp, bool api);

/* The store for this request: the caller's user id as its actor (the
 * audit log's "who"), SRV_SERVER_ACTOR before login. Queues a 503 and
 * returns NULL when none can be had. */
ds_store *srv_store(struct srv_req *r);

/* Query parameters: a value, or NULL. */
const char *srv_query(struct srv_req *r, const char *key);
/* An integer parameter in [min, max], dflt when absent; false after a 400. */
bool srv_query_long(struct srv_req *r, const char *key, long min, long max, long dflt, long *out);
/* ?limit= (default SRV_PAGE_DEFAULT, capped at SRV_PAGE_MAX) and ?offset=;
 * false after queueing a 400. */
bool srv_page(struct srv_req *r, long *limit, long *offset);
/* A date parameter (YYYY-MM-DD); today in the configured zone when absent
 * and not required. False after queueing a 400. */
bool srv_query_date(struct srv_req *r, const char *key, bool required, ds_date *out);
/* The path parameter {id} as a positive integer; false after a 404. */
bool srv_param_id(struct srv_req *r, int i, long *out);

/* Members of the JSON body: each false after queueing a 400 naming the
 * member. Absent optional members leave *out untouched. */
bool srv_body_str(struct srv_req *r, const char *key, bool required, size_t maxlen,
                  const char **out);
bool srv_body_int(struct srv_req *r, const char *key, bool required, int64_t min, int64_t max,
                  int64_t *out);
bool srv_body_num(struct srv_req *r, const char *key, bool required, double min, double max,
                  double *out);
bool srv_body_bool(struct srv_req *r, const char *key, bool *out);
bool srv_body_date(struct srv_req *r, const char *key, bool required, ds_date *out);
/* Refuses members not in the NULL-terminated list (400). */
bool srv_body_only(struct srv_req *r, const char *const *keys);

/* Replaces each byte of s that is not part of well-formed UTF-8 by '?'. */
void srv_utf8_clean(char *s);
/* Nesting depth of JSON text (arrays and objects), strings skipped. */
int srv_json_depth(const char *s, size_t n);
/* The body of an RF_BODY route parsed as the router does: the object, or
 * NULL with why set (the 400's message) when the body is empty, nested
 * deeper than SRV_JSON_DEPTH, malformed or not an object. */
json_t *srv_body_parse(const char *p, size_t n, char *why, size_t whysz);
/* Constant-time comparison of two NUL-terminated secrets. */
bool srv_secret_eq(const char *a, const char *b);
/* Today in the configured zone. */
ds_date srv_today(struct srv_req *r);

/* Scoping of field data: the bind values for a query's
 *   (?B IS NULL OR a.branch_id = ?B)                          collectors
 *   (?S IS NULL OR (b.community_id = ?C AND the visit's team,
 *    on its day, has staff member ?S))                        community workers
 * placeholders (NULL binds: not scoped). */
void srv_scope_bind(struct srv_req *r, ds_stmt *s, int branch_idx, int staff_idx, int comm_idx);
/* The personal value as the caller's role may see it; *unmasked set when
 * it was shown whole (a read to audit). */
void srv_pii(struct srv_req *r, ds_pii_kind k, const char *value, char *out, size_t outsz,
             bool *unmasked);
/* Whether the caller may act on the account (a collector: their
 * branch's); false after queueing a 404. */
bool srv_account_in_scope(struct srv_req *r, ds_store *st, const char *account);
/* Audits a read of unmasked personal data (action "read_pii"). */
ds_err srv_audit_read(struct srv_req *r, ds_store *st, const char *entity, const char *entity_id,
                      json_t *detail, struct ds_diag *diag);

/* --------------------------------------------------------- idempotency.c */

/* Before a write's handler: true to run it (a new key recorded as
 * pending, or no key sent); false after queueing the kept answer of the
 * same key (replayed), 409 while it is pending, 422 for a key used on
 * another route, or 400 for a malformed key. */
bool srv_idem_begin(struct srv_req *r);
/* After the handler: keeps the answer for the key (status < 500), or
 * forgets the key so a retry runs. */
void srv_idem_end(struct srv_req *r);

/* ---------------------------------------------------------------- static.c */

/* Serves a file of --static for a GET outside /api/: index.html for /. */
void srv_static(struct srv_req *r);

/* --------------------------------------------------------------- metrics.c */

void srv_metrics_start(void);
void srv_metrics_begin(void);
void srv_metrics_end(int route, int status, double seconds);
long srv_metrics_in_flight(void);
ds_err srv_metrics_text(struct server *s, struct ds_buf *b);

/* ------------------------------------------------------------------- log.c */

/* One JSON line on stderr for a finished request. */
void srv_log_request(const struct srv_req *r, double seconds);
/* One JSON line for an event ("listening", "stopped", "mhd", ...): the
 * object's members after time and event (fields stolen; may be NULL). */
void srv_log_event(const char *event, json_t *fields);

/* --------------------------------------------------------------- handlers */

void h_healthz(struct srv_req *r);
void h_metrics(struct srv_req *r);
void h_openapi(struct srv_req *r);
void h_login(struct srv_req *r);
void h_logout(struct srv_req *r);
void h_me(struct srv_req *r);
void h_portfolio_summary(struct srv_req *r);
void h_accounts(struct srv_req *r);
void h_account(struct srv_req *r);
void h_plan(struct srv_req *r);
void h_installments_calc(struct srv_req *r);
void h_visits(struct srv_req *r);
void h_visit(struct srv_req *r);
void h_visit_check_in(struct srv_req *r);
void h_visit_outcome(struct srv_req *r);
void h_promises(struct srv_req *r);
void h_receipts(struct srv_req *r);
void h_tasks(struct srv_req *r);
void h_plan_approve(struct srv_req *r);
void h_visit_notify(struct srv_req *r);
void h_visit_schedule(struct srv_req *r);
void h_visit_reschedule(struct srv_req *r);
void h_visit_cancel(struct srv_req *r);
void h_visit_close(struct srv_req *r);
void h_routes(struct srv_req *r);
void h_installments(struct srv_req *r);
void h_installments_offer(struct srv_req *r);
void h_installments_decide(struct srv_req *r);
void h_account_payments(struct srv_req *r);
void h_complaints(struct srv_req *r);
void h_complaint_open(struct srv_req *r);
void h_complaint_resolve(struct srv_req *r);
void h_report_kpi(struct srv_req *r);
void h_report_roll(struct srv_req *r);
void h_report_visits(struct srv_req *r);
void h_report_literacy(struct srv_req *r);
void h_report_drivers(struct srv_req *r);
void h_experiments(struct srv_req *r);
void h_experiment(struct srv_req *r);

#endif

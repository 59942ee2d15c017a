/*
 * Request and response helpers: JSON answers and errors, the library's
 * errors as statuses, query and body parameters, the store of a request,
 * scoping and masking of personal data by role.
 */
#include "server.h"

#include <limits.h>

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------- answers */

void srv_header(struct srv_req *r, const char *name, const char *value)
{
	if (r->nhdr >= 4)
		return;
	ds_strlcpy(r->hdr_name[r->nhdr], name, sizeof r->hdr_name[0]);
	ds_strlcpy(r->hdr_value[r->nhdr], value, sizeof r->hdr_value[0]);
	r->nhdr++;
}

void srv_queue(struct srv_req *r, int status, struct MHD_Response *resp, bool api)
{
	if (r->queued || !resp) {
		if (resp)
			MHD_destroy_response(resp);
		if (!r->queued) {
			r->queued = true;
			r->status = 500;
			r->mhd_rc = MHD_NO;
		}
		return;
	}
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
	                        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
	                        "form-action 'self'");
	if (api)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->tls)
		MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
	if (srv_stopping())
		MHD_add_response_header(resp, "Connection", "close");
	r->mhd_rc = MHD_queue_response(r->conn, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	r->queued = true;
	r->status = status;
}

void srv_text(struct srv_req *r, int status, const char *type, const char *text, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)text,
	                                                            MHD_RESPMEM_MUST_COPY);
	if (resp)
		MHD_add_response_header(resp, "Content-Type", type);
	r->bytes = len;
	srv_queue(r, status, resp, true);
}

void srv_json(struct srv_req *r, int status, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))
	               : NULL;
	json_decref(v);
	if (!text) {
		static const char oom[] = "{\"error\":\"internal\",\"message\":\"out of memory\"}";
		ds_strlcpy(r->error, "out of memory building the answer", sizeof r->error);
		srv_text(r, 500, "application/json", oom, sizeof oom - 1);
		return;
	}
	size_t n = strlen(text);
	if (r->idem_key[0] && !r->answer)
		r->answer = strdup(text); /* kept for a retry (idempotency.c) */
	struct MHD_Response *resp =
	        MHD_create_response_from_buffer_with_free_callback(n, text, free);
	if (!resp) {
		free(text);
	} else {
		MHD_add_response_header(resp, "Content-Type", "application/json");
		r->bytes = n;
	}
	srv_queue(r, status, resp, true);
}

void srv_utf8_clean(char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80           ? 1
		             : (c >> 5) == 0x6  ? 2
		             : (c >> 4) == 0xE  ? 3
		             : (c >> 3) == 0x1E ? 4
		                                : 0;
		if (len && i + len <= n && ds_utf8_valid(s + i, len)) {
			i += len;
			continue;
		}
		s[i++] = '?';
	}
}

/* What each error code says in Chinese, for the people at the desk and
 * at the door (the English message carries the details). */
static const struct {
	const char *code, *zh;
} error_zh[] = {
	{ "bad_request", "请求有误" },
	{ "not_a_session", "此操作仅适用于登录会话" },
	{ "login_failed", "用户名或密码错误" },
	{ "unauthenticated", "请先登录" },
	{ "csrf", "缺少或错误的 CSRF 令牌，请刷新页面后重试" },
	{ "forbidden", "您的角色无权进行此操作" },
	{ "not_found", "未找到" },
	{ "method_not_allowed", "不支持此请求方法" },
	{ "conflict", "当前状态不允许此操作" },
	{ "in_progress", "相同的请求正在处理中，请稍后重试" },
	{ "key_reused", "该幂等键已用于另一个请求" },
	{ "too_large", "请求过大" },
	{ "unsupported_media_type", "请求须为 JSON 格式" },
	{ "invalid", "数据无效" },
	{ "insufficient_data", "数据不足，尚无法比较" },
	{ "rejected", "操作被拒绝" },
	{ "throttled", "尝试次数过多，请稍后再试" },
	{ "internal", "服务器内部错误" },
	{ "busy", "数据库繁忙，请稍后重试" },
	{ "unavailable", "服务暂时不可用" },
};

const char *srv_error_zh(const char *code)
{
	for (size_t i = 0; i < sizeof error_zh / sizeof error_zh[0]; i++)
		if (strcmp(error_zh[i].code, code) == 0)
			return error_zh[i].zh;
	return "请求失败";
}

void srv_error(struct srv_req *r, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	srv_utf8_clean(msg); /* it may quote a path: JSON text must be UTF-8 */
	srv_json(r, status,
	         json_pack("{s:s, s:s, s:s}", "error", code, "message", msg, "message_zh",
	                   srv_error_zh(code)));
}

void srv_rows(struct srv_req *r, ds_stmt *s, long limit, long offset)
{
	struct ds_diag d;
	ds_diag_clear(&d);
	json_t *items = NULL;
	ds_err err = ds_stmt_rows_json(s, &items, &d);
	ds_stmt_done(s);
	if (err) {
		srv_fail(r, err, &d);
		return;
	}
	bool more = limit > 0 && (long)json_array_size(items) > limit;
	if (more)
		json_array_remove(items, (size_t)limit);
	srv_json(r, 200,
	         json_pack("{s:o, s:I, s:I, s:o}", "items", items, "limit", (json_int_t)limit,
	                   "offset", (json_int_t)offset, "next_offset",
	                   more ? json_integer(offset + limit) : json_null()));
}

void srv_fail(struct srv_req *r, ds_err err, const struct ds_diag *d)
{
	char msg[600];
	ds_diag_format(d, msg, sizeof msg);
	if (!msg[0])
		ds_strlcpy(msg, ds_strerror(err), sizeof msg);
	switch (err) {
	case DS_ENOTFOUND:
		srv_error(r, 404, "not_found", "%s", msg);
		return;
	case DS_EINVAL:
		srv_error(r, 422, "invalid", "%s", msg);
		return;
	case DS_EREJECT:
		srv_error(r, 422, "rejected", "%s", msg);
		return;
	case DS_ETOOBIG:
		srv_error(r, 413, "too_large", "%s", msg);
		return;
	case DS_EBUSY:
		srv_header(r, "Retry-After", "1");
		srv_error(r, 503, "busy", "the database is busy; try again");
		return;
	case DS_EIO:
		/* a full disk or a file that cannot be written: nothing was kept,
		 * and the same request may be sent again later (the log names the file) */
		ds_strlcpy(r->error, msg, sizeof r->error);
		srv_header(r, "Retry-After", "30");
		srv_error(r, 503, "unavailable",
		          "the server cannot write its data now (a full disk or a read-only "
		          "file); nothing was changed, try again later");
		return;
	default:
		/* the details stay in the log: they may name files of the host */
		ds_strlcpy(r->error, msg, sizeof r->error);
		srv_error(r, 500, "internal", "the server failed (%s)", ds_strerror(err));
		return;
	}
}

ds_store *srv_store(struct srv_req *r)
{
	if (r->st)
		return r->st;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = srv_pool_acquire(r->srv, r->authed ? r->s.user.user_id : SRV_SERVER_ACTOR,
	                              &r->st, &d);
	if (err) {
		r->st = NULL;
		if (err == DS_EBUSY)
			srv_fail(r, err, &d);
		else {
			ds_diag_format(&d, r->error, sizeof r->error);
			srv_header(r, "Retry-After", "5");
			srv_error(r, 503, "unavailable", "the database cannot be opened");
		}
		return NULL;
	}
	return r->st;
}

/* ------------------------------------------------------ query parameters */

const char *srv_query(struct srv_req *r, const char *key)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
	return v && *v ? v : NULL;
}

bool srv_query_long(struct srv_req *r, const char *key, long min, long max, long dflt, long *out)
{
	const char *v = srv_query(r, key);
	if (!v) {
		*out = dflt;
		return true;
	}
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (end == v || *end || errno || n < min || n > max) {
		srv_error(r, 400, "bad_request", "?%s: an integer from %ld to %ld", key, min, max);
		return false;
	}
	*out = n;
	return true;
}

bool srv_page(struct srv_req *r, long *limit, long *offset)
{
	if (!srv_query_long(r, "limit", 1, LONG_MAX, SRV_PAGE_DEFAULT, limit) ||
	    !srv_query_long(r, "offset", 0, 100000000L, 0, offset))
		return false;
	if (*limit > SRV_PAGE_MAX)
		*limit = SRV_PAGE_MAX;
	return true;
}

ds_date srv_today(struct srv_req *r)
{
	ds_date d;
	if (ds_date_today(r->srv->cfg->zone, &d))
		d = (ds_date)(time(NULL) / 86400);
	return d;
}

bool srv_query_date(struct srv_req *r, const char *key, bool required, ds_date *out)
{
	const char *v = srv_query(r, key);
	if (!v) {
		if (required) {
			srv_error(r, 400, "bad_request", "?%s=YYYY-MM-DD is needed", key);
			return false;
		}
		*out = srv_today(r);
		return true;
	}
	if (ds_date_parse(v, out)) {
		srv_error(r, 400, "bad_request", "?%s: not a date (YYYY-MM-DD)", key);
		return false;
	}
	return true;
}

bool srv_param_id(struct srv_req *r, int i, long *out)
{
	const char *v = i < r->nparams ? r->param[i] : "";
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (end == v || *end || errno || n < 1) {
		srv_error(r, 404, "not_found", "no such record: \"%s\"", v);
		return false;
	}
	*out = n;
	return true;
}

/* -------------------------------------------------------- body members */

static bool bad_member(struct srv_req *r, const char *key, const char *what)
{
	srv_error(r, 400, "bad_request", "\"%s\": %s", key, what);
	return false;
}

bool srv_body_only(struct srv_req *r, const char *const *keys)
{
	const char *key;
	json_t *v;
	json_object_foreach(r->json, key, v)
	{
		bool known = false;
		for (int i = 0; keys[i] && !known; i++)
			known = strcmp(keys[i], key) == 0;
		if (!known)
			return bad_member(r, key, "not a member of this request");
	}
	return true;
}

static json_t *member(struct srv_req *r, const char *key, bool required, bool *ok)
{
	json_t *v = json_object_get(r->json, key);
	*ok = true;
	if (v && json_is_null(v))
		v = NULL;
	if (!v && required)
		*ok = bad_member(r, key, "required");
	return v;
}

bool srv_body_str(struct srv_req *r, const char *key, bool required, size_t maxlen,
                  const char **out)
{
	bool ok;
	json_t *v = member(r, key, required, &ok);
	if (!v)
		return ok;
	if (!json_is_string(v))
		return bad_member(r, key, "a string is needed");
	if (json_string_length(v) > maxlen || strlen(json_string_value(v)) != json_string_length(v))
		return bad_member(r, key, "too long, or holds a NUL");
	*out = json_string_value(v);
	return true;
}

bool srv_body_int(struct srv_req *r, const char *key, bool required, int64_t min, int64_t max,
                  int64_t *out)
{
	bool ok;
	json_t *v = member(r, key, required, &ok);
	if (!v)
		return ok;
	if (!json_is_integer(v))
		return bad_member(r, key, "an integer is needed");
	json_int_t n = json_integer_value(v);
	if (n < min || n > max) {
		char msg[96];
		snprintf(msg, sizeof msg, "between %lld and %lld", (long long)min, (long long)max);
		return bad_member(r, key, msg);
	}
	*out = n;
	return true;
}

bool srv_body_num(struct srv_req *r, const char *key, bool required, double min, double max,
                  double *out)
{
	bool ok;
	json_t *v = member(r, key, required, &ok);
	if (!v)
		return ok;
	if (!json_is_number(v))
		return bad_member(r, key, "a number is needed");
	double n = json_number_value(v);
	if (!(n >= min && n <= max)) {
		char msg[96];
		snprintf(msg, sizeof msg, "between %g and %g", min, max);
		return bad_member(r, key, msg);
	}
	*out = n;
	return true;
}

bool srv_body_bool(struct srv_req *r, const char *key, bool *out)
{
	bool ok;
	json_t *v = member(r, key, false, &ok);
	if (!v)
		return ok;
	if (!json_is_boolean(v))
		return bad_member(r, key, "true or false");
	*out = json_is_true(v);
	return true;
}

bool srv_body_date(struct srv_req *r, const char *key, bool required, ds_date *out)
{
	const char *s = NULL;
	if (!srv_body_str(r, key, required, 10, &s))
		return false;
	if (s && ds_date_parse(s, out))
		return bad_member(r, key, "a date YYYY-MM-DD is needed");
	return true;
}

/* ------------------------------------------------------------- helpers */

int srv_json_depth(const char *s, size_t n)
{
	int depth = 0, deepest = 0;
	bool in_string = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > deepest)
				deepest = depth;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return deepest;
}

json_t *srv_body_parse(const char *p, size_t n, char *why, size_t whysz)
{
	if (n == 0) {
		snprintf(why, whysz, "a JSON object is needed as the body");
		return NULL;
	}
	if (srv_json_depth(p, n) > SRV_JSON_DEPTH) {
		snprintf(why, whysz, "the JSON body is nested deeper than %d", SRV_JSON_DEPTH);
		return NULL;
	}
	json_error_t je;
	json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		snprintf(why, whysz, "malformed JSON at line %d, column %d: %s", je.line, je.column,
		         je.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		snprintf(why, whysz, "the body must be a JSON object");
		return NULL;
	}
	return v;
}

bool srv_secret_eq(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (n != strlen(b) || n == 0)
		return false;
	return sodium_memcmp(a, b, n) == 0;
}

void srv_scope_bind(struct srv_req *r, ds_stmt *s, int branch_idx, int staff_idx, int comm_idx)
{
	const struct ds_user *u = &r->s.user;
	ds_stmt_bind_null(s, branch_idx);
	ds_stmt_bind_null(s, staff_idx);
	ds_stmt_bind_null(s, comm_idx);
	/* an empty id binds "" and so matches nothing: no staff, no rows */
	if (u->role == DS_ROLE_COLLECTOR) {
		ds_stmt_bind_text(s, branch_idx, u->branch_id);
	} else if (u->role == DS_ROLE_COMMUNITY_WORKER) {
		ds_stmt_bind_text(s, staff_idx, u->staff_id);
		ds_stmt_bind_text(s, comm_idx, u->community_id);
	}
}

void srv_pii(struct srv_req *r, ds_pii_kind k, const char *value, char *out, size_t outsz,
             bool *unmasked)
{
	ds_pii_for_role(r->s.user.role, k, value, out, outsz);
	if (value && *value && ds_role_sees_unmasked(r->s.user.role, k) && unmasked)
		*unmasked = true;
}

ds_err srv_audit_read(struct srv_req *r, ds_store *st, const char *entity, const char *entity_id,
                      json_t *detail, struct ds_diag *diag)
{
	json_t *v = detail ? detail : json_object();
	json_object_set_new(v, "via", json_string(r->by_cookie ? "session" : "api_token"));
	char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (!text)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	/* a read's record need not wait for the disk on its own: the next
	 * write's commit (or a checkpoint) makes it durable, and hundreds of
	 * reads a second would otherwise queue behind one fsync each */
	ds_err err = ds_store_set_synchronous(st, false, diag);
	if (!err)
		err = ds_store_audit(st, "read_pii", entity, entity_id, text, diag);
	struct ds_diag d2;
	ds_diag_clear(&d2);
	ds_err back = ds_store_set_synchronous(st, true, &d2);
	free(text);
	if (!err && back)
		err = ds_diag_set(diag, back, NULL, 0, NULL, "%s", d2.msg);
	return err;
}

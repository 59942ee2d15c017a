/*
 * The OpenAPI 3.1 document, generated from the route table at start: every
 * route is an operation with its parameters, body and answer schemas, the
 * security it takes (the session cookie, plus the CSRF header for writes,
 * or a bearer API token) and the roles allowed (x-roles).
 */
#include "server.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *error_ref(const char *description)
{
	return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", description, "content",
	                 "application/json", "schema", "$ref", "#/components/schemas/Error");
}

static const struct {
	int status;
	const char *why;
} known_errors[] = {
	{ 400, "bad request: a parameter or the JSON body" },
	{ 401, "not logged in, or the token is unknown" },
	{ 403, "the role may not, or the CSRF header is missing" },
	{ 404, "no such record (or not the caller's to see)" },
	{ 409, "the record's state does not allow it" },
	{ 413, "the body is over the cap" },
	{ 415, "the body is not application/json" },
	{ 422, "refused by the library's rules" },
	{ 429, "too many failed logins: wait" },
	{ 503, "the store is busy or unavailable" },
};

static void add_error(json_t *responses, int status)
{
	char key[8];
	snprintf(key, sizeof key, "%d", status);
	for (size_t i = 0; i < sizeof known_errors / sizeof known_errors[0]; i++)
		if (known_errors[i].status == status && !json_object_get(responses, key))
			json_object_set_new(responses, key, error_ref(known_errors[i].why));
}

/* "get /api/visits/{id}/check-in" -> "get_api_visits_id_check_in" */
static void operation_id(const struct srv_route *rt, char *out, size_t outsz)
{
	size_t n = 0;
	for (const char *m = rt->method; *m && n + 1 < outsz; m++)
		out[n++] = (char)tolower((unsigned char)*m);
	for (const char *p = rt->pattern; *p && n + 1 < outsz; p++) {
		char c = *p;
		if (isalnum((unsigned char)c))
			out[n++] = c;
		else if (c != '{' && c != '}' && n > 0 && out[n - 1] != '_')
			out[n++] = '_';
	}
	while (n > 0 && out[n - 1] == '_')
		n--;
	out[n] = '\0';
}

static json_t *parameters(const struct srv_route *rt)
{
	json_t *a = json_array();
	for (const char *p = strchr(rt->pattern, '{'); p; p = strchr(p + 1, '{')) {
		const char *close = strchr(p, '}');
		json_array_append_new(a, json_pack("{s:s%, s:s, s:b, s:{s:s}}", "name", p + 1,
		                                   (size_t)(close - p - 1), "in", "path",
		                                   "required", 1, "schema", "type",
		                                   rt->path_type ? rt->path_type : "string"));
	}
	for (const struct srv_param *q = rt->query; q && q->name; q++) {
		json_t *schema = json_pack("{s:s}", "type", q->type);
		if (q->format)
			json_object_set_new(schema, "format", json_string(q->format));
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", q->name,
		                                   "in", "query", "required", q->required,
		                                   "description", q->doc, "schema", schema));
	}
	return a;
}

static json_t *operation(const struct srv_route *rt)
{
	char id[96];
	operation_id(rt, id, sizeof id);
	json_t *op = json_pack("{s:s, s:[s], s:s}", "operationId", id, "tags", rt->tag, "summary",
	                       rt->summary);
	if (rt->doc)
		json_object_set_new(op, "description", json_string(rt->doc));
	json_t *params = parameters(rt);
	if (json_array_size(params))
		json_object_set_new(op, "parameters", params);
	else
		json_decref(params);
	if (rt->request_schema)
		json_object_set_new(op, "requestBody",
		                    json_pack("{s:b, s:{s:{s:o}}}", "required", 1, "content",
		                              "application/json", "schema",
		                              json_loads(rt->request_schema, 0, NULL)));
	json_t *responses = json_object();
	char ok[8];
	snprintf(ok, sizeof ok, "%d", rt->ok_status);
	const char *type = rt->handler == h_metrics ? "text/plain" : "application/json";
	json_object_set_new(responses, ok,
	                    json_pack("{s:s, s:{s:{s:o}}}", "description", "success", "content",
	                              type, "schema", json_loads(rt->response_schema, 0, NULL)));
	if (rt->query || rt->request_schema)
		add_error(responses, 400);
	if (!(rt->flags & RF_PUBLIC)) {
		add_error(responses, 401);
		add_error(responses, 403);
	} else if (rt->handler == h_login) {
		add_error(responses, 401);
	}
	if (rt->request_schema) {
		add_error(responses, 413);
		add_error(responses, 415);
	}
	for (const char *e = rt->errors; e && *e;) {
		char *end;
		long st = strtol(e, &end, 10);
		if (end == e)
			break;
		add_error(responses, (int)st);
		e = end;
	}
	json_object_set_new(op, "responses", responses);
	json_t *roles = json_array();
	for (int k = 0; k < DS_ROLE_COUNT; k++)
		if (rt->roles & ROLE(k))
			json_array_append_new(roles, json_string(ds_role_name((ds_role)k)));
	json_object_set_new(op, "x-roles", roles);
	if (rt->flags & RF_PUBLIC) {
		json_object_set_new(op, "security", json_array());
		json_object_set_new(op, "x-public", json_true());
	} else {
		bool write = strcmp(rt->method, "GET") != 0;
		json_t *cookie = write ? json_pack("{s:[], s:[]}", "session", "csrf")
		                       : json_pack("{s:[]}", "session");
		json_t *sec = json_pack("[o, {s:[]}]", cookie, "bearer");
		if (rt->flags & RF_LOOPBACK) {
			json_array_append_new(sec, json_object());
			json_object_set_new(op, "x-loopback", json_true());
		}
		json_object_set_new(op, "security", sec);
	}
	return op;
}

ds_err srv_openapi_build(char **out, size_t *len, struct ds_diag *diag)
{
	json_t *doc = json_pack(
	        "{s:s, s:{s:s, s:s, s:s}, s:[{s:s}]}", "openapi", "3.1.0", "info", "title",
	        "doorstep", "version", DS_VERSION, "description",
	        "The HTTP JSON API of doorstep, a collections platform (docs/api.md). Money is "
	        "integer fen; dates are YYYY-MM-DD; instants are UTC epoch seconds. Every "
	        "operation lists the roles it allows in x-roles.",
	        "servers", "url", "/");
	json_t *paths = json_object();
	for (int i = 0; i < srv_route_count; i++) {
		const struct srv_route *rt = &srv_routes[i];
		json_t *item = json_object_get(paths, rt->pattern);
		if (!item) {
			item = json_object();
			json_object_set_new(paths, rt->pattern, item);
		}
		char m[8];
		size_t k = 0;
		for (; rt->method[k] && k + 1 < sizeof m; k++)
			m[k] = (char)tolower((unsigned char)rt->method[k]);
		m[k] = '\0';
		json_object_set_new(item, m, operation(rt));
	}
	json_object_set_new(doc, "paths", paths);
	json_object_set_new(
	        doc, "components",
	        json_pack("{s:{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}},"
	                  " s:{s:{s:s, s:[s, s], s:{s:{s:s}, s:{s:s}, s:{s:s}}}}}",
	                  "securitySchemes", "session", "type", "apiKey", "in", "cookie", "name",
	                  "ds_session", "description",
	                  "the session cookie set by POST /api/login (HttpOnly, SameSite=Strict)",
	                  "bearer", "type", "http", "scheme", "bearer", "description",
	                  "an API token (doorstep user token): Authorization: Bearer TOKEN", "csrf",
	                  "type", "apiKey", "in", "header", "name", "X-CSRF-Token", "description",
	                  "the csrf value from the login's answer; needed by every write made "
	                  "with the session cookie",
	                  "schemas", "Error", "type", "object", "required", "error", "message",
	                  "properties", "error", "type", "string", "message", "type", "string",
	                  "message_zh", "type", "string"));
	char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "the OpenAPI document");
	*out = text;
	*len = strlen(text);
	return DS_OK;
}

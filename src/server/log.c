/*
 * Structured logs: one JSON object per line on stderr, written with one
 * call so lines of several threads never interleave. A request's line
 * names the time, method, path (query parameters by name only: their
 * values may be personal data), route, status, duration, bytes, the
 * caller's address and user id — never a token, cookie or password.
 */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void now_text(char out[32])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char base[24];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", base, (int)(ts.tv_nsec / 1000000) % 1000);
}

static void emit(json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))
	               : NULL;
	json_decref(o);
	if (!text)
		return;
	size_t n = strlen(text);
	char *line = realloc(text, n + 2);
	if (!line) {
		free(text);
		return;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	fputs(line, stderr);
	free(line);
}

void srv_log_request(const struct srv_req *r, double seconds)
{
	char t[32], path[sizeof r->path], keys[sizeof r->query_keys], error[sizeof r->error];
	now_text(t);
	/* what the client sent need not be UTF-8; JSON text must */
	ds_strlcpy(path, r->path, sizeof path);
	ds_strlcpy(keys, r->query_keys, sizeof keys);
	ds_strlcpy(error, r->error, sizeof error);
	srv_utf8_clean(path);
	srv_utf8_clean(keys);
	srv_utf8_clean(error);
	const char *route = r->route < srv_route_count     ? srv_routes[r->route].pattern
	                    : r->route == SRV_ROUTE_STATIC ? "static"
	                                                   : "unmatched";
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:f, s:I, s:s}", "time", t, "event",
	                      "request", "method", r->method, "path", path, "route", route,
	                      "status", r->status, "ms", seconds * 1000.0, "bytes",
	                      (json_int_t)r->bytes, "addr", r->addr);
	if (!o)
		return;
	if (keys[0])
		json_object_set_new(o, "query", json_string(keys));
	if (r->authed) {
		json_object_set_new(o, "user", json_string(r->s.user.user_id));
		json_object_set_new(o, "role", json_string(ds_role_name(r->s.user.role)));
		json_object_set_new(o, "auth", json_string(r->by_cookie ? "session" : "api_token"));
	}
	if (error[0])
		json_object_set_new(o, "error", json_string(error));
	emit(o);
}

void srv_log_event(const char *event, json_t *fields)
{
	char t[32];
	now_text(t);
	json_t *o = json_pack("{s:s, s:s}", "time", t, "event", event);
	if (o && fields)
		json_object_update(o, fields);
	json_decref(fields);
	emit(o);
}

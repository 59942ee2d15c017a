/*
 * libFuzzer target: a JSON request body as `doorstep serve` takes it in
 * (srv_body_parse, which the router calls for every route with a body:
 * the empty body, the nesting cap SRV_JSON_DEPTH checked before jansson,
 * malformed JSON, duplicate members, anything but an object), then the
 * handlers' member readers (srv_body_only, _str, _int, _num, _bool, _date)
 * on every member of an accepted body, and the 400's message as the
 * server would send it.
 *
 * Inputs over SRV_BODY_MAX are skipped: the router refuses them (413)
 * before any parsing. Checked besides the sanitizers: a refused body says
 * why, and the answer made of that message is valid JSON (the message
 * cleaned to UTF-8); an accepted body is an object whose nesting is the
 * one srv_json_depth counted (so the cap is the real depth) and which
 * survives a dump and a reload; each reader agrees with the member's JSON
 * type and bounds.
 */
#include "server.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "fuzz_http: property failed: %s (%s:%d)\n", #cond, \
			        __FILE__, __LINE__);                                       \
			__builtin_trap();                                                  \
		}                                                                          \
	} while (0)

/* Nesting of arrays and objects in a parsed value. */
static int depth_of(json_t *v)
{
	int deepest = 0;
	if (json_is_object(v)) {
		const char *k;
		json_t *m;
		json_object_foreach(v, k, m)
		{
			int d = depth_of(m);
			if (d > deepest)
				deepest = d;
		}
		return deepest + 1;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m)
		{
			int d = depth_of(m);
			if (d > deepest)
				deepest = d;
		}
		return deepest + 1;
	}
	return 0;
}

/* A request that answers nothing: the readers' 400s are built (the JSON
 * of the answer, cleaned) but dropped as an answer already queued would
 * be; r.error is set only when an answer could not be built. */
static void fake_request(struct srv_req *r, json_t *body)
{
	memset(r, 0, sizeof *r);
	r->json = body;
	r->queued = true;
	r->status = 400;
}

/* Every member name of the routes' bodies (router.c's request schemas). */
static const char *const known[] = { "user",
	                             "password",
	                             "lat",
	                             "lon",
	                             "identity_shown",
	                             "consent_to_enter",
	                             "entering_home",
	                             "found",
	                             "situation",
	                             "attitude",
	                             "incident_kind",
	                             "incident_severity",
	                             "note",
	                             "evidence_name",
	                             "evidence_sha256",
	                             "account_id",
	                             "visit_id",
	                             "amount_fen",
	                             "due",
	                             "method",
	                             "balance_fen",
	                             "waiver_fen",
	                             "waiver_kind",
	                             "installments",
	                             "first_due",
	                             NULL };

static bool is_known(const char *key)
{
	for (int i = 0; known[i]; i++)
		if (strcmp(known[i], key) == 0)
			return true;
	return false;
}

static void readers(json_t *body)
{
	struct srv_req r;
	fake_request(&r, body);
	bool all_known = true;
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v) all_known = all_known && is_known(key);
	CHECK(srv_body_only(&r, known) == all_known);
	CHECK(r.error[0] == '\0');

	int seen = 0;
	json_object_foreach(body, key, v)
	{
		if (++seen > 16)
			break;
		bool absent = json_is_null(v);
		fake_request(&r, body);

		const char *s = NULL;
		bool ok = srv_body_str(&r, key, false, 64, &s);
		bool want = absent || (json_is_string(v) && json_string_length(v) <= 64 &&
		                       strlen(json_string_value(v)) == json_string_length(v));
		CHECK(ok == want);
		CHECK(!ok || absent || s == json_string_value(v));
		CHECK(srv_body_str(&r, key, true, 64, &s) == (want && !absent));

		int64_t n = 0;
		ok = srv_body_int(&r, key, false, -1000, 1000, &n);
		want = absent || (json_is_integer(v) && json_integer_value(v) >= -1000 &&
		                  json_integer_value(v) <= 1000);
		CHECK(ok == want);
		CHECK(!ok || absent || n == json_integer_value(v));

		double x = 0;
		ok = srv_body_num(&r, key, false, -90, 90, &x);
		want = absent || (json_is_number(v) && json_number_value(v) >= -90 &&
		                  json_number_value(v) <= 90);
		CHECK(ok == want);
		CHECK(!ok || absent || (isfinite(x) && x == json_number_value(v)));

		bool b = false;
		CHECK(srv_body_bool(&r, key, &b) == (absent || json_is_boolean(v)));

		ds_date day = 0;
		ok = srv_body_date(&r, key, false, &day);
		if (ok && !absent) {
			ds_date again;
			CHECK(json_is_string(v) && json_string_length(v) <= 10);
			CHECK(ds_date_parse(json_string_value(v), &again) == DS_OK && again == day);
		}
		CHECK(r.error[0] == '\0');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > SRV_BODY_MAX)
		return 0;
	const char *p = (const char *)data;
	char why[256] = "";
	json_t *body = srv_body_parse(p, size, why, sizeof why);
	int counted = srv_json_depth(p, size);
	if (!body) {
		CHECK(why[0] != '\0');
		/* the 400 the router sends: {error, message}, the message cleaned */
		struct srv_req r;
		fake_request(&r, NULL);
		srv_error(&r, 400, "bad_request", "%s", why);
		CHECK(r.error[0] == '\0');
		return 0;
	}
	CHECK(json_is_object(body));
	CHECK(counted <= SRV_JSON_DEPTH);
	CHECK(depth_of(body) == counted);
	char *text = json_dumps(body, JSON_COMPACT);
	CHECK(text != NULL);
	json_t *again = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	CHECK(again != NULL && json_equal(body, again));
	json_decref(again);
	free(text);
	readers(body);
	json_decref(body);
	return 0;
}

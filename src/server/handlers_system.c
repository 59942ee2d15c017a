/* GET /healthz, GET /metrics, GET /api/openapi.json. */
#include "server.h"

#include <string.h>

void h_healthz(struct srv_req *r)
{
	ds_store *st = srv_store(r);
	if (!st)
		return;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	bool row = false;
	ds_err err = ds_store_prepare(st, "SELECT count(*) FROM store_meta", &s, &d);
	if (!err) {
		err = ds_stmt_step(s, &row, &d);
		ds_stmt_done(s);
	}
	if (err || !row) {
		ds_diag_format(&d, r->error, sizeof r->error);
		srv_json(r, 503, json_pack("{s:s}", "status", "unavailable"));
		return;
	}
	srv_json(r, 200,
	         json_pack("{s:s, s:s, s:i}", "status", "ok", "version", DS_VERSION, "schema",
	                   ds_store_schema_version(st)));
}

void h_metrics(struct srv_req *r)
{
	struct ds_buf b;
	ds_buf_init(&b, 4 * 1024 * 1024);
	ds_err err = srv_metrics_text(r->srv, &b);
	if (err) {
		ds_buf_free(&b);
		srv_error(r, 500, "internal", "the metrics could not be written");
		return;
	}
	srv_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.p ? b.p : "", b.len);
	ds_buf_free(&b);
}

void h_openapi(struct srv_req *r)
{
	srv_text(r, 200, "application/json", r->srv->openapi, r->srv->openapi_len);
}

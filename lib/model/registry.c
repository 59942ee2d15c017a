/* The model registry: trained models, versioned per kind, in the store. */
#include "doorstep/store.h"
#include "model-int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *family_name(enum ds_model_family f)
{
	return f == DS_MODEL_TREES ? "trees" : "scorecard";
}

static bool kind_ok(const char *kind)
{
	return kind && (strcmp(kind, "ability") == 0 || strcmp(kind, "willingness") == 0);
}

ds_err ds_registry_add(ds_store *st, const char *kind, const ds_model *m, const char *fingerprint,
                       const char *metrics_json, struct ds_model_entry *out, struct ds_diag *diag)
{
	if (!kind_ok(kind))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "kind",
		                   "a model kind is ability or willingness");
	char *body;
	size_t len;
	ds_err err = ds_model_save(m, &body, &len, diag);
	if (err)
		return err;
	/* the parameters: family and options, read back from the document */
	json_error_t je;
	json_t *doc = json_loadb(body, len, 0, &je);
	json_t *params = doc ? json_pack("{s:s, s:O}", "family", family_name(m->family), "options",
	                                 json_object_get(doc, "options"))
	                     : NULL;
	char *params_text = params ? json_dumps(params, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(params);
	json_decref(doc);
	if (!params_text) {
		ds_free(body);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	memset(out, 0, sizeof *out);
	ds_stmt *s;
	bool row;
	if ((err = ds_store_begin(st, diag)))
		goto done;
	if (!(err = ds_store_prepare(st,
	                             "SELECT coalesce(max(version),0)+1 FROM models WHERE kind=?",
	                             &s, diag))) {
		ds_stmt_bind_text(s, 1, kind);
		if (!(err = ds_stmt_step(s, &row, diag)))
			out->version = (int)ds_stmt_int(s, 0);
		ds_stmt_done(s);
	}
	out->trained_at = (ds_time)time(NULL);
	if (!err && !(err = ds_store_prepare(st,
	                                     "INSERT INTO models(kind,version,trained_at,"
	                                     "data_fingerprint,params,metrics,body,champion)"
	                                     " VALUES (?,?,?,?,?,?,?,0)",
	                                     &s, diag))) {
		ds_stmt_bind_text(s, 1, kind);
		ds_stmt_bind_int(s, 2, out->version);
		ds_stmt_bind_int(s, 3, out->trained_at);
		ds_stmt_bind_text(s, 4, fingerprint);
		ds_stmt_bind_text(s, 5, params_text);
		ds_stmt_bind_text(s, 6, metrics_json);
		ds_stmt_bind_text(s, 7, body);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
		out->model_id = (long)ds_store_last_id(st);
	}
	if (!err) {
		char id[24], detail[256];
		snprintf(id, sizeof id, "%ld", out->model_id);
		snprintf(
		        detail, sizeof detail,
		        "{\"kind\":\"%s\",\"version\":%d,\"family\":\"%s\",\"fingerprint\":\"%s\"}",
		        kind, out->version, family_name(m->family), fingerprint);
		err = ds_store_audit(st, "model.train", "models", id, detail, diag);
	}
	if (!err)
		err = ds_store_commit(st, diag);
	else
		ds_store_rollback(st);
	if (!err) {
		ds_strlcpy(out->kind, kind, sizeof out->kind);
		ds_strlcpy(out->fingerprint, fingerprint, sizeof out->fingerprint);
		ds_strlcpy(out->family, family_name(m->family), sizeof out->family);
	}
done:
	free(params_text);
	ds_free(body);
	return err;
}

ds_err ds_registry_promote(ds_store *st, long model_id, struct ds_diag *diag)
{
	ds_err err = ds_store_begin(st, diag);
	if (err)
		return err;
	ds_stmt *s;
	bool row, found = false;
	char kind[32] = "";
	if (!(err = ds_store_prepare(st, "SELECT kind FROM models WHERE model_id=?", &s, diag))) {
		ds_stmt_bind_int(s, 1, model_id);
		if (!(err = ds_stmt_step(s, &row, diag)) && row) {
			found = true;
			ds_strlcpy(kind, ds_stmt_text(s, 0), sizeof kind);
		}
		ds_stmt_done(s);
	}
	if (!err && !found)
		err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "model", "no model %ld", model_id);
	if (!err && !(err = ds_store_prepare(st,
	                                     "UPDATE models SET champion=CASE WHEN model_id=? THEN "
	                                     "1 ELSE 0 END WHERE kind=?",
	                                     &s, diag))) {
		ds_stmt_bind_int(s, 1, model_id);
		ds_stmt_bind_text(s, 2, kind);
		err = ds_stmt_step(s, &row, diag);
		ds_stmt_done(s);
	}
	if (!err) {
		char id[24], detail[64];
		snprintf(id, sizeof id, "%ld", model_id);
		snprintf(detail, sizeof detail, "{\"kind\":\"%s\"}", kind);
		err = ds_store_audit(st, "model.promote", "models", id, detail, diag);
	}
	if (!err)
		return ds_store_commit(st, diag);
	ds_store_rollback(st);
	return err;
}

static void read_entry(ds_stmt *s, struct ds_model_entry *e)
{
	memset(e, 0, sizeof *e);
	e->model_id = (long)ds_stmt_int(s, 0);
	ds_strlcpy(e->kind, ds_stmt_text(s, 1), sizeof e->kind);
	e->version = (int)ds_stmt_int(s, 2);
	e->trained_at = ds_stmt_int(s, 3);
	ds_strlcpy(e->fingerprint, ds_stmt_text(s, 4), sizeof e->fingerprint);
	json_error_t je;
	json_t *p = json_loads(ds_stmt_text(s, 5), 0, &je);
	const char *fam = json_string_value(json_object_get(p, "family"));
	ds_strlcpy(e->family, fam ? fam : "?", sizeof e->family);
	json_decref(p);
	e->champion = ds_stmt_int(s, 6) != 0;
}

#define ENTRY_COLS "model_id,kind,version,trained_at,data_fingerprint,params,champion"

ds_err ds_registry_get(ds_store *st, long model_id, const char *kind, ds_model **m,
                       struct ds_model_entry *e, char **metrics, struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        model_id ? "SELECT " ENTRY_COLS ",body,metrics FROM models WHERE model_id=?"
	                 : "SELECT " ENTRY_COLS ",body,metrics FROM models"
	                   " WHERE kind=? AND champion=1 ORDER BY version DESC LIMIT 1",
	        &s, diag);
	if (err)
		return err;
	if (model_id)
		ds_stmt_bind_int(s, 1, model_id);
	else
		ds_stmt_bind_text(s, 1, kind);
	bool row;
	if (!(err = ds_stmt_step(s, &row, diag)) && !row)
		err = model_id ? ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "model", "no model %ld",
		                             model_id)
		               : ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "model",
		                             "no champion %s model: train one (doorstep model "
		                             "train --target %s) and promote it",
		                             kind, kind);
	if (!err) {
		read_entry(s, e);
		const char *body = ds_stmt_text(s, 7);
		if (m)
			err = ds_model_load(body, strlen(body), m, diag);
		if (!err && metrics && !(*metrics = ds_strdup(ds_stmt_text(s, 8)))) {
			if (m)
				ds_model_free(*m);
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		}
	}
	ds_stmt_done(s);
	return err;
}

ds_err ds_registry_list(ds_store *st, struct ds_model_entry **out, int *n, struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st, "SELECT " ENTRY_COLS " FROM models ORDER BY kind, version", &s, diag);
	if (err)
		return err;
	int cap = 0, k = 0;
	struct ds_model_entry *arr = NULL;
	bool row;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			struct ds_model_entry *p = ds_realloc(arr, (size_t)cap * sizeof *p);
			if (!p) {
				err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
				break;
			}
			arr = p;
		}
		read_entry(s, &arr[k++]);
	}
	ds_stmt_done(s);
	if (err) {
		ds_free(arr);
		return err;
	}
	*out = arr;
	*n = k;
	return DS_OK;
}

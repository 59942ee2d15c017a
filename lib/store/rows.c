/*
 * A query's rows as JSON: one object per row, keyed by the columns' names
 * (the listing commands and the server's list endpoints answer with it).
 * Written over the store's statement interface, so it serves any backend.
 */
#include "doorstep/store.h"

#include <jansson.h>

ds_err ds_stmt_rows_json(ds_stmt *s, json_t **out, struct ds_diag *diag)
{
	json_t *rows = json_array();
	if (!rows)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	bool row;
	ds_err err;
	while (!(err = ds_stmt_step(s, &row, diag)) && row) {
		/* per row: a statement typed by its first run (PostgreSQL) knows
		 * its columns once it has run */
		int n = ds_stmt_columns(s);
		json_t *o = json_object();
		for (int k = 0; o && k < n; k++) {
			ds_vtype t = ds_stmt_type(s, k);
			json_t *v = t == DS_V_INT    ? json_integer(ds_stmt_int(s, k))
			            : t == DS_V_REAL ? json_real(ds_stmt_real(s, k))
			            : t == DS_V_TEXT ? json_string(ds_stmt_text(s, k))
			                             : json_null();
			/* text that is not UTF-8 (jansson refuses it) answers null */
			json_object_set_new(o, ds_stmt_column_name(s, k), v ? v : json_null());
		}
		if (!o || json_array_append_new(rows, o)) {
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
			break;
		}
	}
	if (err) {
		json_decref(rows);
		return err;
	}
	*out = rows;
	return DS_OK;
}

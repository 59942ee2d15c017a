/* What the field layer's files share and nobody else needs. */
#ifndef DOORSTEP_FIELD_INT_H
#define DOORSTEP_FIELD_INT_H

#include "doorstep/field.h"

/* Makes the directory when missing (one level). */
ds_err field_make_dir(const char *dir, struct ds_diag *diag);
/* The account's branch's time zone into zone; DS_ENOTFOUND for an unknown
 * account. */
ds_err field_account_zone(ds_store *st, const char *account_id, char *zone, size_t zonesz,
                          struct ds_diag *diag);
/* The local date of t in zone. */
ds_date field_local_date(const char *zone, ds_time t);
/* Runs one statement with text and integer parameters: each of `types`
 * 't' (a const char *, NULL: null), 'i' (an int64_t) or 'r' (a double). */
ds_err field_exec(ds_store *st, struct ds_diag *diag, const char *sql, const char *types, ...);

/* Writes a task (audited) unless an open one of that kind and source is
 * there; inside the caller's transaction. */
ds_err field_task_add(ds_store *st, const char *account_id, const char *kind, ds_date due,
                      const char *reason, const char *source, ds_time now, bool *written,
                      struct ds_diag *diag);

#endif

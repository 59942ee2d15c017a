/*
 * Backup and restore of a whole database (doorstep backup, doorstep
 * restore; docs/storage.md).
 *
 * SQLite: the online backup API. A backup reads the database as it stood
 * when the copy began (in WAL mode readers never hold writers off, so the
 * field goes on writing meanwhile) into a temporary file that is renamed
 * into place only when complete. A restore first opens the backup as a
 * store, which checks that it is doorstep's and of this build's schema,
 * and checks its audit chain; then it copies it over the live database
 * in one step, under the write lock.
 */
#include "doorstep/store.h"
#include "store-int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* How long a restore waits for other connections to let go, at most. */
#define RESTORE_WAIT_MS 10000

static ds_err copy_db(sqlite3 *from, sqlite3 *to, const char *what, struct ds_diag *diag)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	if (!b)
		return ds_diag_set(diag, DS_ESTORE, what, 0, NULL, "cannot copy the database: %s",
		                   sqlite3_errmsg(to));
	int rc, waited = 0;
	/* All pages in one step: the copy is of one instant. */
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		if (waited >= RESTORE_WAIT_MS)
			break;
		sqlite3_sleep(20);
		waited += 20;
	}
	int done = sqlite3_backup_finish(b);
	if (rc == SQLITE_DONE && done == SQLITE_OK)
		return DS_OK;
	int bad = rc != SQLITE_DONE ? rc : done;
	ds_err err = (bad & 0xff) == SQLITE_BUSY || (bad & 0xff) == SQLITE_LOCKED ? DS_EBUSY
	             : (bad & 0xff) == SQLITE_NOMEM                               ? DS_ENOMEM
	                                                                          : DS_EIO;
	return ds_diag_set(diag, err, what, 0, NULL, "cannot copy the database: %s",
	                   sqlite3_errstr(bad));
}

ds_err ds_store_backup(ds_store *st, const char *path, struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_diag_set(
		        diag, DS_EINVAL, NULL, 0, NULL,
		        "backup of a PostgreSQL database: use pg_dump (docs/storage.md)");
	if (access(path, F_OK) == 0)
		return ds_diag_set(diag, DS_EINVAL, path, 0, NULL,
		                   "exists already; a backup is never written over a file");
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.doorstep-tmp", path) >= (int)sizeof tmp)
		return ds_diag_set(diag, DS_EINVAL, path, 0, NULL, "path too long");
	unlink(tmp); /* what a failed backup left */
	sqlite3 *to = NULL;
	int rc = sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	ds_err err = DS_OK;
	if (rc != SQLITE_OK)
		err = ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot create: %s",
		                  to ? sqlite3_errmsg(to) : sqlite3_errstr(rc));
	if (!err)
		err = copy_db(ds_sqlite_db(st), to, path, diag);
	if (sqlite3_close(to) != SQLITE_OK && !err)
		err = ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot close the copy");
	if (!err && rename(tmp, path) != 0)
		err = ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot rename the copy: %s",
		                  strerror(errno));
	if (err) {
		unlink(tmp);
		return err;
	}
	return ds_store_audit(st, "backup", "database", path, NULL, diag);
}

ds_err ds_store_restore(ds_store *st, const char *path, struct ds_diag *diag)
{
	if (DS_ON_PG(st))
		return ds_diag_set(
		        diag, DS_EINVAL, NULL, 0, NULL,
		        "restore of a PostgreSQL database: use pg_restore (docs/storage.md)");
	if (access(path, R_OK) != 0)
		return ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot read: %s", strerror(errno));
	/* The backup as a store: doorstep's, this build's schema and its
	 * migrations, or refused with the reason. */
	ds_store *from;
	struct ds_store_opts o = { .actor = ds_store_actor(st) };
	ds_err err = ds_store_open(path, &o, &from, diag);
	if (err)
		return err;
	struct ds_audit_check check;
	if (!(err = ds_store_audit_verify(from, &check, diag)) && !check.intact)
		err = ds_diag_set(diag, DS_ESTORE, path, 0, NULL,
		                  "the backup's audit log is broken at entry %ld: %s",
		                  check.first_bad_seq, check.problem);
	if (!err)
		err = copy_db(ds_sqlite_db(from), ds_sqlite_db(st), path, diag);
	ds_store_close(from);
	if (err)
		return err;
	char detail[64];
	snprintf(detail, sizeof detail, "{\"entries\":%ld}", check.entries);
	return ds_store_audit(st, "restore", "database", path, detail, diag);
}

/* Helpers the field layer's files share (field-int.h). */
#include "field-int.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

ds_err ds_file_sha256(const char *path, char hex[static 65], struct ds_diag *diag)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot read: %s", strerror(errno));
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	unsigned char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		crypto_hash_sha256_update(&h, buf, n);
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad)
		return ds_diag_set(diag, DS_EIO, path, 0, NULL, "read error");
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, d);
	sodium_bin2hex(hex, 65, d, sizeof d);
	return DS_OK;
}

ds_err field_make_dir(const char *dir, struct ds_diag *diag)
{
	struct stat sb;
	if (stat(dir, &sb) == 0)
		return S_ISDIR(sb.st_mode)
		               ? DS_OK
		               : ds_diag_set(diag, DS_EIO, dir, 0, NULL, "not a directory");
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return ds_diag_set(diag, DS_EIO, dir, 0, NULL, "cannot make the directory: %s",
		                   strerror(errno));
	return DS_OK;
}

ds_err field_account_zone(ds_store *st, const char *account_id, char *zone, size_t zonesz,
                          struct ds_diag *diag)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT r.timezone FROM accounts a JOIN branches r"
	                              " ON r.branch_id = a.branch_id WHERE a.account_id = ?",
	                              &s, diag);
	if (err)
		return err;
	bool row;
	ds_stmt_bind_text(s, 1, account_id);
	if (!(err = ds_stmt_step(s, &row, diag))) {
		if (row)
			ds_strlcpy(zone, ds_stmt_text(s, 0), zonesz);
		else
			err = ds_diag_set(diag, DS_ENOTFOUND, NULL, 0, "account",
			                  "no account \"%s\"", account_id);
	}
	ds_stmt_done(s);
	return err;
}

ds_date field_local_date(const char *zone, ds_time t)
{
	struct ds_civil_time c;
	if (ds_tz_to_local(zone, t, &c))
		return (ds_date)(t / 86400);
	ds_date d = 0;
	char text[11];
	snprintf(text, sizeof text, "%04d-%02d-%02d", c.year, c.month, c.day);
	if (ds_date_parse(text, &d))
		return (ds_date)(t / 86400);
	return d;
}

ds_err field_exec(ds_store *st, struct ds_diag *diag, const char *sql, const char *types, ...)
{
	ds_stmt *s;
	ds_err err = ds_store_prepare(st, sql, &s, diag);
	if (err)
		return err;
	va_list ap;
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 't')
			ds_stmt_bind_text(s, i + 1, va_arg(ap, const char *));
		else if (types[i] == 'i')
			ds_stmt_bind_int(s, i + 1, va_arg(ap, int64_t));
		else
			ds_stmt_bind_real(s, i + 1, va_arg(ap, double));
	}
	va_end(ap);
	bool row;
	err = ds_stmt_step(s, &row, diag);
	ds_stmt_done(s);
	return err;
}

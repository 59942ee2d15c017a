/* Error names and diagnostics. */
#include "doorstep/core.h"

#include <stdio.h>
#include <string.h>

static const char *const names[DS_ERR_COUNT_] = {
	[DS_OK] = "ok",
	[DS_ENOMEM] = "out of memory",
	[DS_EINVAL] = "invalid value",
	[DS_EIO] = "input/output error",
	[DS_ETOOBIG] = "input over its size limit",
	[DS_EENCODING] = "invalid text encoding",
	[DS_EREJECT] = "input rejected",
	[DS_ENOTFOUND] = "not found",
	[DS_ESTORE] = "storage error",
	[DS_EBUSY] = "database busy",
	[DS_ESCHEMA] = "database schema mismatch",
	[DS_ECONFIG] = "configuration error",
	[DS_ECRYPTO] = "key or cryptographic error",
	[DS_EUSAGE] = "usage error",
};

const char *ds_strerror(ds_err err)
{
	if ((int)err < 0 || err >= DS_ERR_COUNT_)
		return "unknown error";
	return names[err];
}

void ds_diag_clear(struct ds_diag *d)
{
	if (d)
		memset(d, 0, sizeof *d);
}

ds_err ds_diag_set(struct ds_diag *d, ds_err err, const char *file, long line, const char *field,
                   const char *fmt, ...)
{
	if (!d)
		return err;
	ds_strlcpy(d->file, file ? file : "", sizeof d->file);
	d->line = line;
	ds_strlcpy(d->field, field ? field : "", sizeof d->field);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
	return err;
}

void ds_diag_format(const struct ds_diag *d, char *out, size_t outsz)
{
	struct ds_buf b;
	ds_buf_init(&b, outsz > 0 ? outsz - 1 : 0);
	if (d->file[0])
		ds_buf_addf(&b, "%s:", d->file);
	if (d->line > 0)
		ds_buf_addf(&b, "%ld:", d->line);
	if (d->field[0])
		ds_buf_addf(&b, "%s:", d->field);
	if (b.len)
		ds_buf_adds(&b, " ");
	ds_buf_adds(&b, d->msg);
	ds_strlcpy(out, b.p ? b.p : "", outsz);
	ds_buf_free(&b);
}

/* Unit tests of settings: defaults, file, environment, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doorstep/config.h"

static char path[128];

static void write_ini(const char *content)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(path, sizeof path, "%s/ds-config-XXXXXX", tmp ? tmp : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void defaults_file_env(void **state)
{
	(void)state;
	unsetenv("DOORSTEP_DB");
	unsetenv("DOORSTEP_CONFIG");
	write_ini("; comment\n[database]\npath = from-file.db\n[import]\nencoding=gbk\n");
	struct ds_config c;
	struct ds_diag d;
	assert_int_equal(ds_config_load(&c, path, &d), DS_OK);
	assert_string_equal(ds_config_str(&c, DS_CFG_DB_PATH), "from-file.db");
	assert_string_equal(c.source[DS_CFG_DB_PATH], "file");
	assert_string_equal(ds_config_str(&c, DS_CFG_IMPORT_ENCODING), "gbk");
	assert_string_equal(ds_config_str(&c, DS_CFG_TIMEZONE), "Asia/Shanghai");
	assert_string_equal(c.source[DS_CFG_TIMEZONE], "default");
	assert_int_equal(ds_config_int(&c, DS_CFG_DB_BUSY_TIMEOUT_MS), 5000);
	ds_config_free(&c);
	setenv("DOORSTEP_DB", "from-env.db", 1);
	assert_int_equal(ds_config_load(&c, path, &d), DS_OK);
	assert_string_equal(ds_config_str(&c, DS_CFG_DB_PATH), "from-env.db");
	assert_string_equal(c.source[DS_CFG_DB_PATH], "env");
	assert_int_equal(ds_config_set(&c, DS_CFG_DB_PATH, "opt.db", "option", &d), DS_OK);
	assert_string_equal(ds_config_str(&c, DS_CFG_DB_PATH), "opt.db");
	ds_config_free(&c);
	unsetenv("DOORSTEP_DB");
	unlink(path);
}

static void errors_name_file_and_line(void **state)
{
	(void)state;
	struct ds_config c;
	struct ds_diag d;
	write_ini("[database]\npath = x.db\n\n[database]\nsurprise = 1\n");
	assert_int_equal(ds_config_load(&c, path, &d), DS_ECONFIG);
	assert_int_equal(d.line, 5);
	assert_string_equal(d.field, "surprise");
	assert_string_equal(d.file, path);
	ds_config_free(&c);
	unlink(path);

	write_ini("[database]\nbusy_timeout_ms = soon\n");
	assert_int_equal(ds_config_load(&c, path, &d), DS_ECONFIG);
	assert_int_equal(d.line, 2);
	assert_non_null(strstr(d.msg, "whole number"));
	ds_config_free(&c);
	unlink(path);

	char longline[400];
	memset(longline, 'a', sizeof longline);
	memcpy(longline, "[database]\npath = ", 18);
	longline[sizeof longline - 1] = '\0';
	write_ini(longline);
	assert_int_equal(ds_config_load(&c, path, &d), DS_ECONFIG);
	assert_int_equal(d.line, 2);
	assert_non_null(strstr(d.msg, "longer than"));
	ds_config_free(&c);
	unlink(path);

	/* the first refused key is the one reported, whatever follows */
	write_ini("[x]\ny=1\n[demo]\nseed=5\n");
	assert_int_equal(ds_config_load(&c, path, &d), DS_ECONFIG);
	assert_int_equal(d.line, 2);
	assert_non_null(strstr(d.msg, "unknown setting [x] y"));
	ds_config_free(&c);
	unlink(path);

	assert_int_equal(ds_config_load(&c, "/nonexistent/doorstep.ini", &d), DS_ECONFIG);
	ds_config_free(&c);
	setenv("DOORSTEP_BUSY_TIMEOUT_MS", "-4", 1);
	assert_int_equal(ds_config_load(&c, NULL, &d), DS_ECONFIG);
	assert_string_equal(d.field, "DOORSTEP_BUSY_TIMEOUT_MS");
	unsetenv("DOORSTEP_BUSY_TIMEOUT_MS");
	ds_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_file_env),
		cmocka_unit_test(errors_name_file_and_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

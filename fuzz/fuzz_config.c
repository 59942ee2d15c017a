/*
 * libFuzzer target: ds_config_load on a configuration file holding the input.
 * The environment variables that override settings (and DOORSTEP_CONFIG) are
 * removed once at start, so only the file and the defaults count.
 *
 * Checked besides the sanitizers: a loaded configuration has a value and a
 * source for every key, integer keys hold non-negative whole numbers, and
 * the file is named; a refused one says why. The field settings' follow-up
 * list ([field] followup) is read back for every event name it may hold:
 * a task kind found is non-empty and its days within a year.
 */
#include "doorstep/config.h"
#include "doorstep/field.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "fuzz_config: property failed: %s (%s:%d)\n", #cond, \
			        __FILE__, __LINE__);                                         \
			__builtin_trap();                                                    \
		}                                                                            \
	} while (0)

static char path[4096];
static int fd = -1;

static void cleanup(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const struct ds_cfg_def *defs = ds_config_defs();
	for (int k = 0; k < DS_CFG_COUNT_; k++)
		unsetenv(defs[k].env);
	unsetenv("DOORSTEP_CONFIG");
	const char *dir = getenv("TMPDIR");
	snprintf(path, sizeof path, "%s/doorstep-fuzz-XXXXXX.ini", dir && *dir ? dir : "/tmp");
	fd = mkstemps(path, 4);
	if (fd < 0) {
		perror("fuzz_config: mkstemps");
		abort();
	}
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) {
		perror("fuzz_config: cannot write the input");
		abort();
	}
	const struct ds_cfg_def *defs = ds_config_defs();
	struct ds_config cfg;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_config_load(&cfg, path, &d);
	if (err) {
		CHECK(err == DS_ECONFIG || err == DS_ENOMEM);
		CHECK(d.msg[0] != '\0');
		char msg[1024];
		ds_diag_format(&d, msg, sizeof msg);
	} else {
		CHECK(strcmp(cfg.file, path) == 0);
		for (int k = 0; k < DS_CFG_COUNT_; k++) {
			CHECK(cfg.value[k] != NULL && cfg.source[k] != NULL);
			CHECK(strcmp(cfg.source[k], "default") == 0 ||
			      strcmp(cfg.source[k], "file") == 0);
			if (defs[k].integer) {
				const char *v = ds_config_str(&cfg, (ds_cfg_key)k);
				char *end;
				errno = 0;
				long n = strtol(v, &end, 10);
				CHECK(*v && !*end && errno == 0 && n >= 0);
				CHECK(ds_config_int(&cfg, (ds_cfg_key)k) == n);
			}
		}
		struct ds_field_config fc;
		ds_field_config_from(&cfg, &fc);
		static const char *const events[] = {
			"broken_promise", "incident",    "hostile", "hardship", "not_home", "moved",
			"dispute",        "plan_broken", "",        "=",        "x"
		};
		for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
			char kind[32];
			int days = -1;
			if (ds_followup(&fc, events[i], kind, sizeof kind, &days))
				CHECK(kind[0] != '\0' && days >= 0 && days <= 365);
		}
	}
	ds_config_free(&cfg);
	return 0;
}

/*
 * libFuzzer target: the model layer's two readers.
 *
 *  1. The input as an analyst's CSV (ds_dataset_read_csv, target "y"; with
 *     a first byte that is odd, "y" = "bad" marks the events). A dataset
 *     read must be sound: at least 2 rows, both classes, 0/1 labels, every
 *     categorical value a known category or missing. A small one trains a
 *     scorecard, whose probabilities lie in [0, 1] and survive a save and a
 *     load unchanged.
 *  2. The input as a stored model document (ds_model_load). Documents of
 *     the tree family are skipped: their body is XGBoost's own JSON model,
 *     whose reader is XGBoost's, and the registry only ever holds models
 *     doorstep wrote. A loaded scorecard must save again.
 */
#include "doorstep/model.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "fuzz_model: property failed: %s (%s:%d)\n", #cond, \
			        __FILE__, __LINE__);                                        \
			__builtin_trap();                                                   \
		}                                                                           \
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
	const char *dir = getenv("TMPDIR");
	snprintf(path, sizeof path, "%s/doorstep-fuzz-model-XXXXXX.csv", dir ? dir : "/tmp");
	fd = mkstemps(path, 4);
	if (fd < 0) {
		perror("fuzz_model: mkstemps");
		abort();
	}
	atexit(cleanup);
	return 0;
}

static void check_dataset(const ds_dataset *d)
{
	CHECK(d->nrows >= 2 && d->nfeat >= 1 && d->y);
	long events = 0;
	for (long r = 0; r < d->nrows; r++) {
		CHECK(d->y[r] == 0.0f || d->y[r] == 1.0f);
		events += d->y[r] == 1.0f;
		for (int f = 0; f < d->nfeat; f++) {
			float v = ds_dataset_at(d, r, f);
			if (d->feat[f].categorical && !isnan(v))
				CHECK(v >= 0 && v < d->feat[f].ncat && v == (float)(int)v);
		}
	}
	CHECK(events > 0 && events < d->nrows);
}

static void train_small(const ds_dataset *d)
{
	if (d->nrows > 300 || d->nfeat > 8)
		return;
	struct ds_train_opts o;
	ds_train_opts_default(DS_MODEL_SCORECARD, &o);
	o.min_iv = 0;
	ds_model *m, *back;
	struct ds_diag diag;
	if (ds_model_train(d, NULL, 0, &o, &m, &diag))
		return; /* e.g. no feature with two bins */
	double *p = malloc((size_t)d->nrows * sizeof *p), *q = malloc((size_t)d->nrows * sizeof *q);
	CHECK(p && q);
	CHECK(ds_model_predict(m, d, NULL, d->nrows, p, &diag) == DS_OK);
	for (long r = 0; r < d->nrows; r++)
		CHECK(p[r] >= 0 && p[r] <= 1);
	char *text;
	size_t len;
	CHECK(ds_model_save(m, &text, &len, &diag) == DS_OK);
	CHECK(ds_model_load(text, len, &back, &diag) == DS_OK);
	CHECK(ds_model_predict(back, d, NULL, d->nrows, q, &diag) == DS_OK);
	for (long r = 0; r < d->nrows; r++)
		CHECK(fabs(p[r] - q[r]) < 1e-6);
	ds_free(text);
	ds_model_free(m);
	ds_model_free(back);
	free(p);
	free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1 << 16))
		return 0;
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct ds_csv_opts o = { "y", size && (data[0] & 1) ? "bad" : NULL, NULL, NULL };
	ds_dataset *d;
	struct ds_diag diag;
	ds_diag_clear(&diag);
	if (ds_dataset_read_csv(path, &o, &d, &diag) == DS_OK) {
		check_dataset(d);
		train_small(d);
		ds_dataset_free(d);
	} else {
		CHECK(diag.msg[0] != '\0');
	}
	/* as a model document */
	json_error_t je;
	json_t *doc = json_loadb((const char *)data, size, 0, &je);
	const char *fam = json_string_value(json_object_get(doc, "family"));
	bool trees = fam && strcmp(fam, "trees") == 0;
	json_decref(doc);
	if (trees)
		return 0;
	ds_model *m;
	if (ds_model_load((const char *)data, size, &m, &diag) == DS_OK) {
		char *text;
		size_t len;
		CHECK(ds_model_save(m, &text, &len, &diag) == DS_OK);
		ds_free(text);
		ds_model_free(m);
	} else {
		CHECK(diag.msg[0] != '\0');
	}
	return 0;
}

/*
 * Travel for the field (route.h): great-circle distance times a detour
 * factor at a mode's speed, or a matrix file from the bank's routing
 * server.
 */
#include "route-int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EARTH_M 6371008.8 /* the Earth's mean radius, metres (IUGG) */

void ds_travel_model_default(enum ds_travel_mode mode, struct ds_travel_model *m)
{
	m->mode = mode;
	m->detour = 1.3;
	m->metres_per_s = 0;
}

double ds_travel_speed(const struct ds_travel_model *m)
{
	if (m->metres_per_s > 0)
		return m->metres_per_s;
	switch (m->mode) {
	case DS_TRAVEL_WALK:
		return 1.25;
	case DS_TRAVEL_EBIKE:
		return 4.2;
	case DS_TRAVEL_CAR:
		return 7.0;
	}
	return 1.25;
}

double ds_haversine_m(double lon1, double lat1, double lon2, double lat2)
{
	const double r = M_PI / 180;
	double dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
	double a = sin(dlat / 2) * sin(dlat / 2) +
	           cos(lat1 * r) * cos(lat2 * r) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * EARTH_M * asin(fmin(1.0, sqrt(a)));
}

ds_err ds_vrp_haversine(ds_vrp *v, const struct ds_travel_model *m, struct ds_diag *diag)
{
	double speed = ds_travel_speed(m);
	if (!(m->detour >= 1 && m->detour <= 5) || !(speed > 0 && speed < 100))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "a detour factor from 1 to 5 and a speed above 0 and below "
		                   "100 m/s");
	for (int i = 0; i < v->nnodes; i++)
		if (!(fabs(v->node[i].x) <= 180 && fabs(v->node[i].y) <= 90))
			return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
			                   "node %d: (%g, %g) is not a longitude and a latitude", i,
			                   v->node[i].x, v->node[i].y);
	ds_err err = route_alloc_matrices(v, diag);
	if (err)
		return err;
	v->convention = DS_VRP_UNITS;
	v->unit = 1;
	size_t n = (size_t)v->nnodes;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			double d = i == j ? 0
			                  : m->detour * ds_haversine_m(v->node[i].x, v->node[i].y,
			                                               v->node[j].x, v->node[j].y);
			v->dist[i * n + j] = (int32_t)llround(d);
			v->dur[i * n + j] = (int32_t)ceil(d / speed);
		}
	return DS_OK;
}

/* ----------------------------------------------------------- the matrix */

/* A node by its id, for sorting and searching. */
struct keyed {
	const char *id;
	int node;
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->id, ((const struct keyed *)b)->id);
}

static int find(const struct keyed *ids, size_t n, const char *id)
{
	struct keyed key = { id, -1 };
	const struct keyed *hit = bsearch(&key, ids, n, sizeof *ids, by_id);
	return hit ? hit->node : -1;
}

/* Reads the matrix from a stream, a line at a time. */
static ds_err matrix_stream(ds_vrp *v, const char *name, FILE *in, struct ds_diag *diag)
{
	size_t n = (size_t)v->nnodes;
	struct keyed *ids = ds_malloc(n * sizeof *ids + 1);
	unsigned char *seen = ds_calloc(n * n + 1, 1);
	int32_t *dist = ds_calloc(n * n + 1, sizeof *dist);
	int32_t *dur = ds_calloc(n * n + 1, sizeof *dur);
	ds_err err = DS_OK;
	if (!ids || !seen || !dist || !dur) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	for (int i = 0; i < (int)n; i++) {
		if (!v->node[i].id[0]) {
			err = ds_diag_set(diag, DS_EINVAL, name, 0, NULL,
			                  "node %d of the instance has no id to match", i);
			goto done;
		}
		ids[i] = (struct keyed){ v->node[i].id, i };
	}
	qsort(ids, n, sizeof *ids, by_id);
	for (size_t i = 1; i < n; i++)
		if (strcmp(ids[i - 1].id, ids[i].id) == 0) {
			err = ds_diag_set(diag, DS_EINVAL, name, 0, NULL,
			                  "two nodes of the instance share the id %s", ids[i].id);
			goto done;
		}
	long line = 0;
	size_t rows = 0, bytes = 0;
	char buf[512];
	while (!err && fgets(buf, sizeof buf, in)) {
		line++;
		size_t m = strlen(buf);
		bytes += m;
		if (m == sizeof buf - 1 && buf[m - 1] != '\n') {
			err = ds_diag_set(diag, DS_ETOOBIG, name, line, NULL,
			                  "a line longer than %zu bytes", sizeof buf - 2);
			break;
		}
		if (bytes > (size_t)DS_VRP_MAX_MATRIX_BYTES) {
			err = ds_diag_set(diag, DS_ETOOBIG, name, line, NULL, "larger than %ld MiB",
			                  DS_VRP_MAX_MATRIX_BYTES >> 20);
			break;
		}
		while (m > 0 && (buf[m - 1] == '\n' || buf[m - 1] == '\r'))
			buf[--m] = 0;
		if (memchr(buf, 0, m)) {
			err = ds_diag_set(diag, DS_EINVAL, name, line, NULL,
			                  "a NUL byte: not text");
			break;
		}
		if (line == 1) {
			if (strcmp(buf, "from,to,seconds,metres") != 0)
				err = ds_diag_set(diag, DS_EINVAL, name, line, NULL,
				                  "the header is \"from,to,seconds,metres\"");
			continue;
		}
		if (m == 0)
			continue;
		char *f[4];
		int nf = 0;
		for (char *q = buf; nf < 4;) {
			f[nf++] = q;
			char *comma = strchr(q, ',');
			if (!comma)
				break;
			*comma = 0;
			q = comma + 1;
		}
		if (nf != 4 || strchr(f[3], ',')) {
			err = ds_diag_set(diag, DS_EINVAL, name, line, NULL,
			                  "four columns: from, to, seconds, metres");
			break;
		}
		int a = find(ids, n, f[0]), b = find(ids, n, f[1]);
		if (a < 0 || b < 0) {
			err = ds_diag_set(diag, DS_EINVAL, name, line, a < 0 ? "from" : "to",
			                  "\"%.40s\" is not a node of the instance",
			                  a < 0 ? f[0] : f[1]);
			break;
		}
		long val[2];
		for (int k = 0; k < 2 && !err; k++) {
			char *stop;
			errno = 0;
			val[k] = strtol(f[2 + k], &stop, 10);
			if (stop == f[2 + k] || *stop || errno || val[k] < 0 || val[k] > 2000000000)
				err = ds_diag_set(
				        diag, DS_EINVAL, name, line, k ? "metres" : "seconds",
				        "a whole number from 0 to 2,000,000,000, not \"%.20s\"",
				        f[2 + k]);
		}
		size_t at = (size_t)a * n + (size_t)b;
		if (!err && seen[at])
			err = ds_diag_set(diag, DS_EINVAL, name, line, NULL,
			                  "the pair %s, %s given twice", f[0], f[1]);
		if (err)
			break;
		seen[at] = 1;
		dur[at] = (int32_t)val[0];
		dist[at] = (int32_t)val[1];
		rows++;
	}
	if (!err && ferror(in))
		err = ds_diag_set(diag, DS_EIO, name, line, NULL, "cannot read");
	if (!err && line == 0)
		err = ds_diag_set(diag, DS_EINVAL, name, 0, NULL, "empty: no header");
	for (size_t i = 0; !err && i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (i != j && !seen[i * n + j]) {
				err = ds_diag_set(diag, DS_EINVAL, name, line, NULL,
				                  "no row from %s to %s (%zu rows for %zu nodes)",
				                  v->node[i].id, v->node[j].id, rows, n);
				break;
			}
	if (!err) {
		ds_free(v->dist);
		ds_free(v->dur);
		v->dist = dist;
		v->dur = dur;
		dist = dur = NULL;
		v->convention = DS_VRP_UNITS;
		v->unit = 1;
	}
done:
	ds_free(ids);
	ds_free(seen);
	ds_free(dist);
	ds_free(dur);
	return err;
}

ds_err ds_vrp_matrix_parse(ds_vrp *v, const char *name, const char *text, size_t len,
                           struct ds_diag *diag)
{
	if (len == 0)
		return ds_diag_set(diag, DS_EINVAL, name, 0, NULL, "empty: no header");
	FILE *in = fmemopen((void *)text, len, "r");
	if (!in)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	ds_err err = matrix_stream(v, name, in, diag);
	fclose(in);
	return err;
}

ds_err ds_vrp_matrix_read(ds_vrp *v, const char *path, struct ds_diag *diag)
{
	FILE *in = fopen(path, "rb");
	if (!in)
		return ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot open: %s", strerror(errno));
	ds_err err = matrix_stream(v, path, in, diag);
	fclose(in);
	return err;
}

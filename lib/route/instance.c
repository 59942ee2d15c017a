/*
 * Routing instances from the standard files (route.h): Solomon's text
 * format and VRPLIB, told apart by their content, read line by line with
 * a hard cap on size; every refusal names the file, the line and the
 * field.
 */
#include "route-int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ds_vrp_free(ds_vrp *v)
{
	if (!v)
		return;
	ds_free(v->node);
	ds_free(v->vehicle);
	ds_free(v->dist);
	ds_free(v->dur);
	ds_free(v->allowed);
	ds_free(v);
}

/* ------------------------------------------------------------- the lines */

struct lines {
	const char *name;
	const char *p, *end;
	long no; /* the current line's number, from 1 */
	char buf[4096];
};

/* The next line, without its end, blanks trimmed; false at the end. */
static bool next_line(struct lines *l, ds_err *err, struct ds_diag *diag)
{
	*err = DS_OK;
	if (l->p >= l->end)
		return false;
	const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	const char *e = nl ? nl : l->end;
	l->no++;
	size_t n = (size_t)(e - l->p);
	if (n >= sizeof l->buf) {
		*err = ds_diag_set(diag, DS_ETOOBIG, l->name, l->no, NULL,
		                   "a line longer than %zu bytes", sizeof l->buf - 1);
		return false;
	}
	memcpy(l->buf, l->p, n);
	l->buf[n] = 0;
	l->p = nl ? nl + 1 : l->end;
	/* trim: blanks, tabs, a carriage return */
	char *s = l->buf;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t m = strlen(s);
	while (m > 0 && (s[m - 1] == ' ' || s[m - 1] == '\t' || s[m - 1] == '\r'))
		s[--m] = 0;
	if (s != l->buf)
		memmove(l->buf, s, m + 1);
	for (size_t k = 0; k < m; k++)
		if (l->buf[k] == 0 || (unsigned char)l->buf[k] < 0x09) {
			*err = ds_diag_set(diag, DS_EINVAL, l->name, l->no, NULL,
			                   "a control character: not a text file");
			return false;
		}
	return true;
}

/* Up to `max` numbers from a line; *n how many; false when something else
 * stands on it. */
static bool numbers(const char *s, double *out, int max, int *n)
{
	*n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (*n == max)
			return false;
		char *end;
		errno = 0;
		double v = strtod(s, &end);
		if (end == s || errno || !isfinite(v) || (*end && *end != ' ' && *end != '\t'))
			return false;
		out[(*n)++] = v;
		s = end;
	}
	return true;
}

static bool whole(double v, double lo, double hi)
{
	return v >= lo && v <= hi && v == floor(v);
}

/* ----------------------------------------------------------- allocation */

static ds_err new_vrp(int nnodes, int nvehicles, ds_vrp **out, struct ds_diag *diag)
{
	ds_vrp *v = ds_calloc(1, sizeof *v);
	if (v) {
		v->node = ds_calloc((size_t)nnodes + 1, sizeof *v->node);
		v->vehicle = ds_calloc((size_t)nvehicles + 1, sizeof *v->vehicle);
	}
	if (!v || !v->node || !v->vehicle) {
		ds_vrp_free(v);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	v->nnodes = nnodes;
	v->nvehicles = nvehicles;
	*out = v;
	return DS_OK;
}

ds_err route_alloc_matrices(ds_vrp *v, struct ds_diag *diag)
{
	size_t n = (size_t)v->nnodes;
	ds_free(v->dist);
	ds_free(v->dur);
	v->dist = ds_calloc(n * n + 1, sizeof *v->dist);
	v->dur = ds_calloc(n * n + 1, sizeof *v->dur);
	if (!v->dist || !v->dur)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	return DS_OK;
}

ds_err ds_vrp_euclidean(ds_vrp *v, struct ds_diag *diag)
{
	size_t n = (size_t)v->nnodes;
	ds_err err = route_alloc_matrices(v, diag);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			double d = hypot(v->node[i].x - v->node[j].x, v->node[i].y - v->node[j].y);
			double u = v->convention == DS_VRP_DIMACS ? floor(10 * d)
			           : v->convention == DS_VRP_TSPLIB
			                   ? floor(d + 0.5)
			                   : floor(d * (double)v->unit + 0.5);
			/* exact times rounded up: a route on time in units is on time */
			double t = v->convention == DS_VRP_EXACT ? ceil(d * (double)v->unit - 1e-9)
			                                         : u;
			if (!(u < 2e9) || !(t < 2e9))
				return ds_diag_set(diag, DS_ETOOBIG, NULL, 0, NULL,
				                   "a distance of %g: coordinates too far apart",
				                   d);
			v->dist[i * n + j] = (int32_t)u;
			v->dur[i * n + j] = (int32_t)t;
		}
	return DS_OK;
}

/* Scales the times, demands and prizes read in file units. */
static ds_err scale(ds_vrp *v, struct ds_diag *diag)
{
	for (int i = 0; i < v->nnodes; i++) {
		struct ds_vrp_node *x = &v->node[i];
		x->service *= v->unit;
		x->prize *= v->unit;
		for (int w = 0; w < x->nwin; w++) {
			x->win[w].open *= v->unit;
			x->win[w].close *= v->unit;
		}
	}
	for (int k = 0; k < v->nvehicles; k++) {
		struct ds_vrp_vehicle *h = &v->vehicle[k];
		h->open *= v->unit;
		if (h->close != DS_VRP_NO_END)
			h->close *= v->unit;
	}
	return ds_vrp_euclidean(v, diag);
}

/* ------------------------------------------------------------- Solomon */

/* One customer line of a Solomon file, checked, into *x. */
static ds_err solomon_customer(struct lines *l, long expect, struct ds_vrp_node *x,
                               struct ds_diag *diag)
{
	static const char *const field[7] = { "CUST NO.",   "XCOORD.",  "YCOORD.",     "DEMAND",
		                              "READY TIME", "DUE DATE", "SERVICE TIME" };
	double row[8];
	int n;
	if (!numbers(l->buf, row, 7, &n) || n != 7)
		return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "CUSTOMER",
		                   "a customer line has 7 numbers: number, x, y, demand, ready "
		                   "time, due date, service time");
	for (int k = 0; k < 7; k++)
		if ((k == 0 || k >= 3) && !whole(row[k], 0, 1e12))
			return ds_diag_set(diag, DS_EINVAL, l->name, l->no, field[k],
			                   "not a whole number from 0: %g", row[k]);
	if (fabs(row[1]) > 1e7 || fabs(row[2]) > 1e7)
		return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "XCOORD.",
		                   "coordinates beyond 10,000,000");
	if (row[4] > row[5])
		return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "DUE DATE",
		                   "due %g before ready %g", row[5], row[4]);
	if ((long)row[0] != expect)
		return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "CUST NO.",
		                   "customer %ld where %ld was expected (the depot is 0, then 1, "
		                   "2, ... in order)",
		                   (long)row[0], expect);
	memset(x, 0, sizeof *x);
	x->number = expect;
	snprintf(x->id, sizeof x->id, "%ld", expect);
	x->x = row[1];
	x->y = row[2];
	x->demand = (int64_t)row[3];
	x->nwin = 1;
	x->win[0] = (struct ds_vrp_window){ (int64_t)row[4], (int64_t)row[5] };
	x->service = (int64_t)row[6];
	x->required = true;
	return DS_OK;
}

static ds_err solomon(struct lines *l, ds_vrp **out, struct ds_diag *diag)
{
	ds_err err = DS_OK;
	char name[64] = "";
	long vehicles = -1;
	double capacity = 0;
	/* the name, then the vehicle block, then the customers */
	bool in_vehicle = false, in_customers = false;
	struct ds_vrp_node *node = NULL;
	long count = 0, cap = 0;
	while (!err && next_line(l, &err, diag)) {
		if (!l->buf[0])
			continue;
		if (!name[0]) {
			ds_strlcpy(name, l->buf, sizeof name);
		} else if (strncmp(l->buf, "VEHICLE", 7) == 0 && !in_customers) {
			in_vehicle = true;
		} else if (strncmp(l->buf, "CUSTOMER", 8) == 0 && !in_customers) {
			in_customers = true;
			in_vehicle = false;
		} else if (strncmp(l->buf, "NUMBER", 6) == 0 || strncmp(l->buf, "CUST", 4) == 0) {
			/* the column titles */
		} else if (in_vehicle) {
			double row[3];
			int n;
			if (!numbers(l->buf, row, 2, &n) || n != 2 ||
			    !whole(row[0], 1, DS_VRP_MAX_VEHICLES) || !whole(row[1], 0, 1e12))
				err = ds_diag_set(
				        diag, DS_EINVAL, l->name, l->no, "VEHICLE",
				        "the vehicle line is a count (1-%d) and a capacity, "
				        "whole numbers",
				        DS_VRP_MAX_VEHICLES);
			else {
				vehicles = (long)row[0];
				capacity = row[1];
			}
			in_vehicle = false;
		} else if (!in_customers) {
			err = ds_diag_set(diag, DS_EINVAL, l->name, l->no, NULL,
			                  "expected the VEHICLE or CUSTOMER section, not \"%.40s\"",
			                  l->buf);
		} else if (count == DS_VRP_MAX_NODES) {
			err = ds_diag_set(diag, DS_ETOOBIG, l->name, l->no, NULL,
			                  "more than %d nodes", DS_VRP_MAX_NODES);
		} else {
			if (count == cap) {
				cap = cap ? cap * 2 : 128;
				void *p = ds_realloc(node, (size_t)cap * sizeof *node);
				if (!p) {
					err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL,
					                  "out of memory");
					break;
				}
				node = p;
			}
			if (!(err = solomon_customer(l, count, &node[count], diag)))
				count++;
		}
	}
	if (!err && (vehicles < 0 || count < 2))
		err = ds_diag_set(diag, DS_EINVAL, l->name, l->no, NULL,
		                  "a Solomon file needs its VEHICLE line, a depot and at least one "
		                  "customer");
	ds_vrp *v = NULL;
	if (!err && !(err = new_vrp((int)count, (int)vehicles, &v, diag))) {
		memcpy(v->node, node, (size_t)count * sizeof *node);
		ds_strlcpy(v->name, name, sizeof v->name);
		v->convention = DS_VRP_EXACT;
		v->unit = 1000;
		v->ndepots = 1;
		for (int k = 0; k < v->nvehicles; k++)
			v->vehicle[k] = (struct ds_vrp_vehicle){ .start = 0,
				                                 .end = 0,
				                                 .open = v->node[0].win[0].open,
				                                 .close = v->node[0].win[0].close,
				                                 .capacity = (int64_t)capacity };
		err = scale(v, diag);
	}
	ds_free(node);
	if (err) {
		ds_vrp_free(v);
		return err;
	}
	*out = v;
	return DS_OK;
}

/* -------------------------------------------------------------- VRPLIB */

enum section { S_NONE, S_COORD, S_DEMAND, S_WINDOW, S_SERVICE, S_PRIZE, S_DEPOT, S_WEIGHT, S_SKIP };

struct vrplib {
	long dim, vehicles;
	double capacity, service;
	bool have_service, service_section, explicit_weights, windows, prizes;
	char type[32];
	struct ds_vrp_node *node; /* by file number - 1 */
	bool *seen_coord, *is_depot;
	int32_t *weights; /* explicit FULL_MATRIX, by file numbers */
	long nweights;
};

static ds_err header(struct lines *l, struct vrplib *h, char *name, size_t namesz,
                     struct ds_diag *diag)
{
	char *colon = strchr(l->buf, ':');
	char key[64];
	size_t k = (size_t)(colon - l->buf);
	if (k >= sizeof key)
		k = sizeof key - 1;
	memcpy(key, l->buf, k);
	key[k] = 0;
	while (k > 0 && (key[k - 1] == ' ' || key[k - 1] == '\t'))
		key[--k] = 0;
	const char *val = colon + 1;
	while (*val == ' ' || *val == '\t')
		val++;
	double x[2];
	int n;
	bool num = numbers(val, x, 1, &n) && n == 1;
	if (strcmp(key, "NAME") == 0)
		ds_strlcpy(name, val, namesz);
	else if (strcmp(key, "TYPE") == 0)
		ds_strlcpy(h->type, val, sizeof h->type);
	else if (strcmp(key, "DIMENSION") == 0) {
		if (!num || !whole(x[0], 2, DS_VRP_MAX_NODES))
			return ds_diag_set(diag, num ? DS_ETOOBIG : DS_EINVAL, l->name, l->no,
			                   "DIMENSION", "a node count from 2 to %d, not \"%.40s\"",
			                   DS_VRP_MAX_NODES, val);
		h->dim = (long)x[0];
	} else if (strcmp(key, "VEHICLES") == 0) {
		if (!num || !whole(x[0], 1, DS_VRP_MAX_VEHICLES))
			return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "VEHICLES",
			                   "a vehicle count from 1 to %d, not \"%.40s\"",
			                   DS_VRP_MAX_VEHICLES, val);
		h->vehicles = (long)x[0];
	} else if (strcmp(key, "CAPACITY") == 0) {
		if (!num || !whole(x[0], 0, 1e12))
			return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "CAPACITY",
			                   "a whole number from 0, not \"%.40s\"", val);
		h->capacity = x[0];
	} else if (strcmp(key, "SERVICE_TIME") == 0) {
		if (!num || !whole(x[0], 0, 1e12))
			return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "SERVICE_TIME",
			                   "a whole number from 0, not \"%.40s\"", val);
		h->service = x[0];
		h->have_service = true;
	} else if (strcmp(key, "EDGE_WEIGHT_TYPE") == 0) {
		if (strcmp(val, "EXPLICIT") == 0)
			h->explicit_weights = true;
		else if (strcmp(val, "EUC_2D") != 0)
			return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "EDGE_WEIGHT_TYPE",
			                   "EUC_2D or EXPLICIT, not \"%.40s\"", val);
	} else if (strcmp(key, "EDGE_WEIGHT_FORMAT") == 0) {
		if (strcmp(val, "FULL_MATRIX") != 0)
			return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "EDGE_WEIGHT_FORMAT",
			                   "FULL_MATRIX is the explicit format read, not \"%.40s\"",
			                   val);
	}
	/* other keys (COMMENT, ...) say nothing the routes depend on */
	return DS_OK;
}

static ds_err vrplib_alloc(struct lines *l, struct vrplib *h, struct ds_diag *diag)
{
	if (h->node)
		return DS_OK;
	if (h->dim < 2)
		return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "DIMENSION",
		                   "DIMENSION must come before the sections");
	h->node = ds_calloc((size_t)h->dim, sizeof *h->node);
	h->seen_coord = ds_calloc((size_t)h->dim, sizeof *h->seen_coord);
	h->is_depot = ds_calloc((size_t)h->dim, sizeof *h->is_depot);
	if (!h->node || !h->seen_coord || !h->is_depot)
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	return DS_OK;
}

static ds_err section_line(struct lines *l, struct vrplib *h, enum section sec,
                           struct ds_diag *diag)
{
	static const char *const names[] = { "",
		                             "NODE_COORD_SECTION",
		                             "DEMAND_SECTION",
		                             "TIME_WINDOW_SECTION",
		                             "SERVICE_TIME_SECTION",
		                             "PRIZE_SECTION",
		                             "DEPOT_SECTION",
		                             "EDGE_WEIGHT_SECTION",
		                             "" };
	double x[4096 / 2];
	int n;
	if (!numbers(l->buf, x, (int)(sizeof x / sizeof x[0]), &n))
		return ds_diag_set(diag, DS_EINVAL, l->name, l->no, names[sec],
		                   "numbers only, not \"%.40s\"", l->buf);
	if (sec == S_WEIGHT) {
		for (int k = 0; k < n; k++) {
			if (h->nweights == h->dim * h->dim)
				return ds_diag_set(diag, DS_EINVAL, l->name, l->no, names[sec],
				                   "more than DIMENSION x DIMENSION weights");
			if (!whole(x[k], 0, 2e9))
				return ds_diag_set(
				        diag, DS_EINVAL, l->name, l->no, names[sec],
				        "a weight is a whole number from 0 to 2e9, not %g", x[k]);
			h->weights[h->nweights++] = (int32_t)x[k];
		}
		return DS_OK;
	}
	if (sec == S_DEPOT) {
		if (n != 1 || !(whole(x[0], 1, (double)h->dim) || x[0] == -1))
			return ds_diag_set(diag, DS_EINVAL, l->name, l->no, names[sec],
			                   "a node number from 1 to %ld, or -1 to end", h->dim);
		if (x[0] > 0)
			h->is_depot[(long)x[0] - 1] = true;
		return DS_OK;
	}
	int want = sec == S_COORD ? 3 : sec == S_WINDOW ? 3 : 2;
	if (n != want || !whole(x[0], 1, (double)h->dim))
		return ds_diag_set(diag, DS_EINVAL, l->name, l->no, names[sec],
		                   "a node number from 1 to %ld and %d value%s", h->dim, want - 1,
		                   want == 2 ? "" : "s");
	struct ds_vrp_node *node = &h->node[(long)x[0] - 1];
	switch (sec) {
	case S_COORD:
		if (fabs(x[1]) > 1e7 || fabs(x[2]) > 1e7)
			return ds_diag_set(diag, DS_EINVAL, l->name, l->no, names[sec],
			                   "coordinates beyond 10,000,000");
		node->x = x[1];
		node->y = x[2];
		h->seen_coord[(long)x[0] - 1] = true;
		break;
	case S_WINDOW:
		if (!whole(x[1], 0, 1e12) || !whole(x[2], x[1], 1e12))
			return ds_diag_set(diag, DS_EINVAL, l->name, l->no, names[sec],
			                   "a window is two whole numbers from 0, open <= close");
		node->nwin = 1;
		node->win[0] = (struct ds_vrp_window){ (int64_t)x[1], (int64_t)x[2] };
		h->windows = true;
		break;
	default:
		if (!whole(x[1], 0, 1e12))
			return ds_diag_set(diag, DS_EINVAL, l->name, l->no, names[sec],
			                   "a whole number from 0, not %g", x[1]);
		if (sec == S_DEMAND)
			node->demand = (int64_t)x[1];
		else if (sec == S_SERVICE) {
			node->service = (int64_t)x[1];
			h->service_section = true;
		} else {
			node->prize = (int64_t)x[1];
			h->prizes = true;
		}
	}
	return DS_OK;
}

static void vrplib_free(struct vrplib *h)
{
	ds_free(h->node);
	ds_free(h->seen_coord);
	ds_free(h->is_depot);
	ds_free(h->weights);
}

static ds_err vrplib_build(struct lines *l, struct vrplib *h, const char *name, ds_vrp **out,
                           struct ds_diag *diag)
{
	if (!h->node)
		return ds_diag_set(diag, DS_EINVAL, l->name, l->no, NULL,
		                   "no sections: not a VRPLIB file");
	if (h->explicit_weights && h->nweights != h->dim * h->dim)
		return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "EDGE_WEIGHT_SECTION",
		                   "%ld weights for %ld nodes: a full matrix has %ld", h->nweights,
		                   h->dim, h->dim * h->dim);
	int ndepots = 0;
	for (long i = 0; i < h->dim; i++) {
		ndepots += h->is_depot[i];
		if (!h->explicit_weights && !h->seen_coord[i])
			return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "NODE_COORD_SECTION",
			                   "node %ld has no coordinates", i + 1);
	}
	if (ndepots == 0)
		h->is_depot[0] = true, ndepots = 1; /* VRPLIB's default: node 1 */
	if (ndepots == h->dim)
		return ds_diag_set(diag, DS_EINVAL, l->name, l->no, "DEPOT_SECTION",
		                   "every node a depot: no client");
	long vehicles = h->vehicles > 0 ? h->vehicles : h->dim - ndepots;
	if (vehicles > DS_VRP_MAX_VEHICLES)
		vehicles = DS_VRP_MAX_VEHICLES;
	ds_vrp *v;
	ds_err err = new_vrp((int)h->dim, (int)vehicles, &v, diag);
	if (err)
		return err;
	ds_strlcpy(v->name, name, sizeof v->name);
	v->ndepots = ndepots;
	v->prize_collecting = h->prizes;
	v->convention = h->explicit_weights ? DS_VRP_UNITS
	                : h->windows        ? DS_VRP_DIMACS
	                                    : DS_VRP_TSPLIB;
	v->unit = v->convention == DS_VRP_DIMACS ? 10 : 1;
	/* depots first, then the clients, each in file order */
	int *at = ds_malloc((size_t)h->dim * sizeof *at);
	if (!at) {
		ds_vrp_free(v);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	int k = 0;
	for (int pass = 0; pass < 2; pass++)
		for (long i = 0; i < h->dim; i++)
			if (h->is_depot[i] == (pass == 0)) {
				struct ds_vrp_node *x = &v->node[k];
				*x = h->node[i];
				x->number = i;
				snprintf(x->id, sizeof x->id, "%ld", i + 1);
				if (pass == 1) {
					/* the section's service times, else the header's */
					if (!h->service_section)
						x->service =
						        h->have_service ? (int64_t)h->service : 0;
					x->required = !h->prizes;
				} else {
					x->service = 0;
					x->prize = 0;
				}
				at[i] = k++;
			}
	/* the first depot's window is the vehicles' shift */
	int64_t open = v->node[0].nwin ? v->node[0].win[0].open : 0;
	int64_t close = v->node[0].nwin ? v->node[0].win[0].close : DS_VRP_NO_END;
	for (int j = 0; j < v->nvehicles; j++)
		v->vehicle[j] = (struct ds_vrp_vehicle){ .start = 0,
			                                 .end = 0,
			                                 .open = open,
			                                 .close = close,
			                                 .capacity = (int64_t)h->capacity };
	if (h->explicit_weights) {
		size_t n = (size_t)h->dim;
		v->dist = ds_malloc(n * n * sizeof *v->dist + 1);
		v->dur = ds_malloc(n * n * sizeof *v->dur + 1);
		if (!v->dist || !v->dur)
			err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		for (size_t i = 0; !err && i < n; i++)
			for (size_t j = 0; j < n; j++)
				v->dist[(size_t)at[i] * n + (size_t)at[j]] =
				        v->dur[(size_t)at[i] * n + (size_t)at[j]] =
				                h->weights[i * n + j];
	} else {
		err = scale(v, diag);
	}
	ds_free(at);
	if (err) {
		ds_vrp_free(v);
		return err;
	}
	*out = v;
	return DS_OK;
}

static ds_err vrplib(struct lines *l, ds_vrp **out, struct ds_diag *diag)
{
	struct vrplib h = { 0 };
	char name[64] = "";
	enum section sec = S_NONE;
	ds_err err;
	bool ended = false;
	while (!ended && next_line(l, &err, diag)) {
		const char *s = l->buf;
		if (!*s)
			continue;
		if (strcmp(s, "EOF") == 0) {
			ended = true;
			break;
		}
		static const struct {
			const char *name;
			enum section sec;
		} secs[] = {
			{ "NODE_COORD_SECTION", S_COORD },   { "DEMAND_SECTION", S_DEMAND },
			{ "TIME_WINDOW_SECTION", S_WINDOW }, { "SERVICE_TIME_SECTION", S_SERVICE },
			{ "PRIZE_SECTION", S_PRIZE },        { "DEPOT_SECTION", S_DEPOT },
			{ "EDGE_WEIGHT_SECTION", S_WEIGHT }, { "BACKHAUL_SECTION", S_SKIP },
			{ "RELEASE_TIME_SECTION", S_SKIP }
		};
		bool is_section = false;
		for (size_t k = 0; k < sizeof secs / sizeof secs[0]; k++)
			if (strcmp(s, secs[k].name) == 0) {
				if (secs[k].sec == S_SKIP)
					return vrplib_free(&h),
					       ds_diag_set(diag, DS_EINVAL, l->name, l->no, s,
					                   "not a section doorstep reads");
				sec = secs[k].sec;
				is_section = true;
				if ((err = vrplib_alloc(l, &h, diag))) {
					vrplib_free(&h);
					return err;
				}
				if (sec == S_WEIGHT && !h.weights) {
					h.weights = ds_malloc(
					        (size_t)(h.dim * h.dim) * sizeof *h.weights + 1);
					if (!h.weights) {
						vrplib_free(&h);
						return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL,
						                   "out of memory");
					}
				}
			}
		if (is_section)
			continue;
		if (strchr(s, ':') && (s[0] < '0' || s[0] > '9') && s[0] != '-') {
			if (sec != S_NONE)
				return vrplib_free(&h),
				       ds_diag_set(diag, DS_EINVAL, l->name, l->no, NULL,
				                   "a header line after the sections began");
			if ((err = header(l, &h, name, sizeof name, diag))) {
				vrplib_free(&h);
				return err;
			}
			continue;
		}
		if (sec == S_NONE) {
			vrplib_free(&h);
			return ds_diag_set(
			        diag, DS_EINVAL, l->name, l->no, NULL,
			        "\"%.40s\": neither a header (KEY : value) nor in a section", s);
		}
		if ((err = section_line(l, &h, sec, diag))) {
			vrplib_free(&h);
			return err;
		}
	}
	if (err) {
		vrplib_free(&h);
		return err;
	}
	err = vrplib_build(l, &h, name, out, diag);
	vrplib_free(&h);
	return err;
}

/* ---------------------------------------------------------------- entry */

ds_err ds_vrp_parse(const char *name, const char *text, size_t len, ds_vrp **out,
                    struct ds_diag *diag)
{
	*out = NULL;
	if (len > (size_t)DS_VRP_MAX_FILE_BYTES)
		return ds_diag_set(diag, DS_ETOOBIG, name, 0, NULL, "larger than %ld MiB",
		                   DS_VRP_MAX_FILE_BYTES >> 20);
	struct lines l = { .name = name, .p = text, .end = text + len };
	/* Solomon's files name the VEHICLE block; VRPLIB's are KEY : value */
	bool is_solomon = false;
	struct lines peek = l;
	ds_err err;
	while (next_line(&peek, &err, diag))
		if (peek.buf[0]) {
			if (strncmp(peek.buf, "VEHICLE", 7) == 0) {
				is_solomon = true;
				break;
			}
			if (strchr(peek.buf, ':') || strstr(peek.buf, "_SECTION"))
				break;
		}
	if (err)
		return err;
	return is_solomon ? solomon(&l, out, diag) : vrplib(&l, out, diag);
}

ds_err route_read_file(const char *path, char **buf, size_t *len, struct ds_diag *diag)
{
	*buf = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot open: %s", strerror(errno));
	char *p = NULL;
	size_t n = 0, cap = 0;
	ds_err err = DS_OK;
	for (;;) {
		if (n > (size_t)DS_VRP_MAX_FILE_BYTES) {
			err = ds_diag_set(diag, DS_ETOOBIG, path, 0, NULL, "larger than %ld MiB",
			                  DS_VRP_MAX_FILE_BYTES >> 20);
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			char *q = ds_realloc(p, cap + 1);
			if (!q) {
				err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
				break;
			}
			p = q;
		}
		size_t got = fread(p + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				err = ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot read: %s",
				                  strerror(errno));
			break;
		}
	}
	fclose(f);
	if (err) {
		ds_free(p);
		return err;
	}
	if (!p && !(p = ds_malloc(1)))
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	p[n] = 0;
	*buf = p;
	*len = n;
	return DS_OK;
}

ds_err ds_vrp_read(const char *path, ds_vrp **out, struct ds_diag *diag)
{
	*out = NULL;
	char *buf;
	size_t len;
	ds_err err = route_read_file(path, &buf, &len, diag);
	if (err)
		return err;
	err = ds_vrp_parse(path, buf, len, out, diag);
	ds_free(buf);
	return err;
}

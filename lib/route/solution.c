/*
 * Route solutions as text (route.h): "Route #k: c1 c2 ..." per route, the
 * clients by the numbers solutions give them, then "Cost: N".
 */
#include "route-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void ds_vrp_solution_free(struct ds_vrp_solution *s)
{
	if (!s)
		return;
	ds_free(s->vehicle);
	ds_free(s->first);
	ds_free(s->stop);
	memset(s, 0, sizeof *s);
}

/* node index by solution number, -1 where none; *n its length */
static int *by_number(const ds_vrp *v, long *n)
{
	long max = 0;
	for (int i = 0; i < v->nnodes; i++)
		if (v->node[i].number > max)
			max = v->node[i].number;
	int *at = ds_malloc((size_t)(max + 1) * sizeof *at);
	if (!at)
		return NULL;
	for (long k = 0; k <= max; k++)
		at[k] = -1;
	for (int i = v->ndepots; i < v->nnodes; i++)
		if (v->node[i].number >= 0)
			at[v->node[i].number] = i;
	*n = max + 1;
	return at;
}

ds_err ds_vrp_solution_parse(const ds_vrp *v, const char *name, const char *text, size_t len,
                             struct ds_vrp_solution *out, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	out->cost = -1;
	if (len > (size_t)DS_VRP_MAX_FILE_BYTES)
		return ds_diag_set(diag, DS_ETOOBIG, name, 0, NULL, "larger than %ld MiB",
		                   DS_VRP_MAX_FILE_BYTES >> 20);
	long nnum = 0;
	int *at = by_number(v, &nnum);
	out->first = ds_malloc(((size_t)v->nvehicles + 1) * sizeof *out->first);
	out->vehicle = ds_malloc(((size_t)v->nvehicles + 1) * sizeof *out->vehicle);
	out->stop = ds_malloc((size_t)v->nnodes * sizeof *out->stop + 1);
	ds_err err = DS_OK;
	if (!at || !out->first || !out->vehicle || !out->stop) {
		err = ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
		goto done;
	}
	out->first[0] = 0;
	int nstops = 0;
	long line = 0;
	const char *p = text, *end = text + len;
	char buf[1 << 16];
	while (p < end && !err) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		line++;
		size_t n = (size_t)(e - p);
		if (n >= sizeof buf) {
			err = ds_diag_set(diag, DS_ETOOBIG, name, line, NULL,
			                  "a line longer than %zu bytes", sizeof buf - 1);
			break;
		}
		memcpy(buf, p, n);
		buf[n] = 0;
		p = nl ? nl + 1 : end;
		char *s = buf;
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s)
			continue;
		if (strncmp(s, "Cost", 4) == 0) {
			char *c = strchr(s, ':') ? strchr(s, ':') + 1 : s + 4;
			char *stop;
			errno = 0;
			double cost = strtod(c, &stop);
			while (*stop == ' ' || *stop == '\t' || *stop == '\r')
				stop++;
			if (stop == c || *stop || errno || !(cost >= 0 && cost < 9e18))
				err = ds_diag_set(diag, DS_EINVAL, name, line, "Cost",
				                  "a number from 0, not \"%.40s\"", c);
			else
				out->cost = (int64_t)(cost * (v->convention == DS_VRP_EXACT
				                                      ? (double)v->unit
				                                      : 1.0) +
				                      0.5);
			continue;
		}
		if (strncmp(s, "Route", 5) != 0) {
			/* VRPLIB solutions may carry other lines (Time, comments) */
			continue;
		}
		char *colon = strchr(s, ':');
		if (!colon) {
			err = ds_diag_set(diag, DS_EINVAL, name, line, "Route",
			                  "\"Route #k:\" then the clients");
			break;
		}
		if (out->nroutes == v->nvehicles) {
			err = ds_diag_set(diag, DS_EINVAL, name, line, "Route",
			                  "more routes than the instance's %d vehicles",
			                  v->nvehicles);
			break;
		}
		for (char *q = colon + 1; !err;) {
			while (*q == ' ' || *q == '\t' || *q == '\r')
				q++;
			if (!*q)
				break;
			char *stop;
			errno = 0;
			long num = strtol(q, &stop, 10);
			if (stop == q || errno ||
			    (*stop && *stop != ' ' && *stop != '\t' && *stop != '\r')) {
				err = ds_diag_set(diag, DS_EINVAL, name, line, "Route",
				                  "a client number, not \"%.20s\"", q);
				break;
			}
			if (num < 0 || num >= nnum || at[num] < 0) {
				err = ds_diag_set(diag, DS_EINVAL, name, line, "Route",
				                  "%ld is not a client of %s", num, v->name);
				break;
			}
			if (nstops == v->nnodes) {
				err = ds_diag_set(diag, DS_EINVAL, name, line, "Route",
				                  "more stops than the instance has nodes");
				break;
			}
			out->stop[nstops++] = at[num];
			q = stop;
		}
		out->vehicle[out->nroutes] = out->nroutes;
		out->first[++out->nroutes] = nstops;
	}
done:
	ds_free(at);
	if (err)
		ds_vrp_solution_free(out);
	return err;
}

ds_err ds_vrp_solution_read(const ds_vrp *v, const char *path, struct ds_vrp_solution *out,
                            struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	char *buf;
	size_t len;
	ds_err err = route_read_file(path, &buf, &len, diag);
	if (err)
		return err;
	err = ds_vrp_solution_parse(v, path, buf, len, out, diag);
	ds_free(buf);
	return err;
}

ds_err ds_vrp_solution_write(const ds_vrp *v, const struct ds_vrp_solution *s, FILE *f,
                             struct ds_diag *diag)
{
	struct ds_vrp_check c;
	ds_err err = ds_vrp_check(v, s, &c, diag);
	if (err)
		return err;
	int k = 0;
	for (int r = 0; r < s->nroutes; r++) {
		if (s->first[r] == s->first[r + 1])
			continue; /* an unused vehicle */
		fprintf(f, "Route #%d:", ++k);
		for (int i = s->first[r]; i < s->first[r + 1]; i++)
			fprintf(f, " %ld", v->node[s->stop[i]].number);
		fputc('\n', f);
	}
	if (v->convention == DS_VRP_EXACT)
		fprintf(f, "Cost: %.2f\n", c.cost_exact);
	else
		fprintf(f, "Cost: %lld\n", (long long)c.cost);
	if (fflush(f) != 0 || ferror(f))
		return ds_diag_set(diag, DS_EIO, NULL, 0, NULL, "cannot write the solution");
	return DS_OK;
}

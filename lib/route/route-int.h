/* What the route layer's files share and nobody else needs. */
#ifndef DOORSTEP_ROUTE_INT_H
#define DOORSTEP_ROUTE_INT_H

#include "doorstep/route.h"

/* The earliest service start at node x for an arrival at t: the opening of
 * the first window not yet closed, or t; -1 when every window has closed. */
static inline int64_t route_start_at(const struct ds_vrp_node *x, int64_t t)
{
	if (x->nwin == 0)
		return t;
	for (int w = 0; w < x->nwin; w++)
		if (t <= x->win[w].close)
			return t > x->win[w].open ? t : x->win[w].open;
	return -1;
}

/* Whether vehicle k may serve node c: the skills it needs and, when the
 * instance has them, the vehicle's allowances. */
static inline bool route_may_serve(const ds_vrp *v, int k, int c)
{
	return (v->node[c].skills & ~v->vehicle[k].skills) == 0 &&
	       (!v->allowed || v->allowed[(size_t)k * (size_t)v->nnodes + (size_t)c]);
}

/* The instance's two n x n matrices, fresh and zeroed. */
ds_err route_alloc_matrices(ds_vrp *v, struct ds_diag *diag);

/* A whole file into memory (NUL-terminated, *len without it), refused
 * beyond DS_VRP_MAX_FILE_BYTES; free *buf with ds_free. */
ds_err route_read_file(const char *path, char **buf, size_t *len, struct ds_diag *diag);

#endif

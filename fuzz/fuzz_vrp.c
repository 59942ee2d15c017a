/*
 * libFuzzer target: routing instances (Solomon and VRPLIB, ds_vrp_parse)
 * and solutions (ds_vrp_solution_parse), then the checker.
 *
 * The input is split at its first line "--": an instance before, a
 * solution (then a matrix file, ds_vrp_matrix_parse) after; no "--": the
 * whole input is tried as each. Checked
 * besides the sanitizers: a parsed instance has depots before clients,
 * matrices of its size with no negative entry, windows open before they
 * close; a refused one names why; the checker's counts and cost add up.
 */
#include "doorstep/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "fuzz_vrp: property failed: %s (%s:%d)\n", #cond, \
			        __FILE__, __LINE__);                                      \
			__builtin_trap();                                                 \
		}                                                                         \
	} while (0)

static void check_instance(const ds_vrp *v)
{
	CHECK(v->ndepots >= 1 && v->ndepots < v->nnodes && v->nnodes <= DS_VRP_MAX_NODES);
	CHECK(v->nvehicles >= 1 && v->nvehicles <= DS_VRP_MAX_VEHICLES);
	CHECK(v->dist && v->dur && v->unit >= 1);
	size_t n = (size_t)v->nnodes;
	for (size_t k = 0; k < n * n; k++)
		CHECK(v->dist[k] >= 0 && v->dur[k] >= 0);
	for (int i = 0; i < v->nnodes; i++)
		for (int w = 0; w < v->node[i].nwin; w++)
			CHECK(v->node[i].win[w].open <= v->node[i].win[w].close);
	for (int k = 0; k < v->nvehicles; k++)
		CHECK(v->vehicle[k].start >= 0 && v->vehicle[k].start < v->ndepots &&
		      v->vehicle[k].end >= 0 && v->vehicle[k].end < v->ndepots);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t cut = size, rest = 0;
	for (size_t k = 0; k + 2 <= size; k++)
		if ((k == 0 || text[k - 1] == '\n') && text[k] == '-' && text[k + 1] == '-') {
			cut = k;
			rest = k + 2;
			break;
		}
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_vrp *v;
	ds_err err = ds_vrp_parse("fuzz", text, cut, &v, &d);
	if (err) {
		CHECK(d.msg[0]);
		return 0;
	}
	check_instance(v);
	struct ds_vrp_solution s;
	const char *sol = rest ? text + rest : text;
	size_t len = rest ? size - rest : size;
	ds_diag_clear(&d);
	if ((err = ds_vrp_solution_parse(v, "fuzz.sol", sol, len, &s, &d)) == DS_OK) {
		CHECK(s.nroutes <= v->nvehicles);
		struct ds_vrp_check c;
		CHECK(ds_vrp_check(v, &s, &c, &d) == DS_OK);
		CHECK(c.visited >= 0 && c.visited <= v->nnodes - v->ndepots);
		CHECK(c.routes <= s.nroutes && c.cost == c.distance + c.prize_left);
		CHECK(c.feasible || c.problem[0]);
		ds_vrp_solution_free(&s);
	} else {
		CHECK(d.msg[0]);
	}
	/* the same part as a matrix file of the instance's nodes */
	if (v->nnodes <= 64) {
		ds_diag_clear(&d);
		if (ds_vrp_matrix_parse(v, "fuzz.csv", sol, len, &d) == DS_OK) {
			CHECK(v->convention == DS_VRP_UNITS);
			check_instance(v);
		} else {
			CHECK(d.msg[0]);
		}
	}
	ds_vrp_free(v);
	return 0;
}

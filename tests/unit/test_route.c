/* Unit tests of the route layer: the travel model (great circle, detour,
 * speed), the matrix file, the checker's working time with a late
 * departure and its break, and solved routes always passing the checker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doorstep/route.h"

/* depot (0,0) and three clients, in Solomon's format */
static const char tiny[] = "TINY\n\nVEHICLE\nNUMBER CAPACITY\n 3 10\n\nCUSTOMER\n"
                           "CUST NO. XCOORD. YCOORD. DEMAND READY DUE SERVICE\n"
                           " 0 0 0 0 0 100 0\n"
                           " 1 3 4 4 0 10 1\n"
                           " 2 6 8 4 10 20 1\n"
                           " 3 0 5 5 0 50 1\n";

static ds_vrp *load(const char *text)
{
	ds_vrp *v;
	struct ds_diag d;
	assert_int_equal(ds_vrp_parse("t", text, strlen(text), &v, &d), DS_OK);
	return v;
}

static void great_circle(void **state)
{
	(void)state;
	/* Tiananmen to People's Square, Shanghai: about 1,067 km */
	double m = ds_haversine_m(116.3975, 39.9087, 121.4737, 31.2304);
	assert_true(m > 1060e3 && m < 1075e3);
	/* a degree of latitude: 111.2 km on the mean sphere */
	assert_true(fabs(ds_haversine_m(120, 30, 120, 31) - 111195) < 5);
	assert_true(ds_haversine_m(120.1, 30.2, 120.1, 30.2) == 0);
	struct ds_travel_model w;
	ds_travel_model_default(DS_TRAVEL_EBIKE, &w);
	assert_true(w.detour == 1.3 && ds_travel_speed(&w) == 4.2);
	w.metres_per_s = 5;
	assert_true(ds_travel_speed(&w) == 5);
}

static void haversine_matrix(void **state)
{
	(void)state;
	/* the same shape in Hangzhou: longitude, latitude */
	ds_vrp *v = load("HZ\n\nVEHICLE\nNUMBER CAPACITY\n 2 10\n\nCUSTOMER\nCUST NO.\n"
	                 " 0 120 30 0 0 100 0\n 1 120 31 1 0 100 0\n");
	struct ds_travel_model m;
	ds_travel_model_default(DS_TRAVEL_WALK, &m);
	struct ds_diag d;
	assert_int_equal(ds_vrp_haversine(v, &m, &d), DS_OK);
	assert_int_equal(v->convention, DS_VRP_UNITS);
	/* 111,195 m x 1.3 = 144,553 m; at 1.25 m/s 115,643 s */
	assert_true(labs((long)v->dist[1] - 144553) <= 2);
	assert_true(labs((long)v->dur[1] - 115643) <= 2);
	assert_int_equal(v->dist[0], 0);
	assert_int_equal(v->dist[1], v->dist[2]);
	m.detour = 0.5;
	assert_int_equal(ds_vrp_haversine(v, &m, &d), DS_EINVAL);
	ds_vrp_free(v);
	/* Solomon's plane coordinates are not longitudes and latitudes */
	v = load("FAR\n\nVEHICLE\nNUMBER CAPACITY\n 2 10\n\nCUSTOMER\nCUST NO.\n"
	         " 0 0 0 0 0 100 0\n 1 300 0 1 0 100 0\n");
	m.detour = 1.3;
	assert_int_equal(ds_vrp_haversine(v, &m, &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "not a longitude and a latitude"));
	ds_vrp_free(v);
}

static void matrix_file(void **state)
{
	(void)state;
	ds_vrp *v = load(tiny);
	struct ds_diag d;
	/* ids are Solomon's customer numbers: 0 the depot */
	char text[4096];
	size_t n = 0;
	n += (size_t)snprintf(text + n, sizeof text - n, "from,to,seconds,metres\r\n");
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			if (i != j)
				n += (size_t)snprintf(text + n, sizeof text - n, "%d,%d,%d,%d\n", i,
				                      j, 10 * i + j, 100 * i + j);
	assert_int_equal(ds_vrp_matrix_parse(v, "m.csv", text, n, &d), DS_OK);
	assert_int_equal(v->dur[2 * 4 + 3], 23);
	assert_int_equal(v->dist[3 * 4 + 1], 301);
	assert_int_equal(v->dist[0], 0);
	/* a pair missing: named */
	char *cut = strstr(text, "3,2,");
	assert_non_null(cut);
	*cut = 0;
	assert_int_equal(ds_vrp_matrix_parse(v, "m.csv", text, strlen(text), &d), DS_EINVAL);
	assert_non_null(strstr(d.msg, "no row from 3 to 2"));
	/* bad rows: file, line, column */
	const char *bad[][2] = {
		{ "from,to,secs,metres\n", "the header" },
		{ "from,to,seconds,metres\n0,1,5\n", "four columns" },
		{ "from,to,seconds,metres\n0,9,5,5\n", "\"9\" is not a node" },
		{ "from,to,seconds,metres\n0,1,-5,5\n", "a whole number" },
		{ "from,to,seconds,metres\n0,1,5,5\n0,1,6,6\n", "given twice" },
		{ "", "empty" },
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		ds_diag_clear(&d);
		assert_int_equal(ds_vrp_matrix_parse(v, "m.csv", bad[k][0], strlen(bad[k][0]), &d),
		                 DS_EINVAL);
		assert_non_null(strstr(d.msg, bad[k][1]));
	}
	ds_diag_clear(&d);
	ds_vrp_matrix_parse(v, "m.csv", bad[2][0], strlen(bad[2][0]), &d);
	assert_int_equal(d.line, 2);
	assert_string_equal(d.field, "to");
	/* the matrix was kept as it was */
	assert_int_equal(v->dur[2 * 4 + 3], 23);
	ds_vrp_free(v);
}

/* Working time: the departure moves later to save waiting, never past a
 * window; a break taken on the way. */
static void working_time(void **state)
{
	(void)state;
	/* one client 10 away, open 50-60: leave at 40, back at 61 + 10 */
	ds_vrp *v = load("W\n\nVEHICLE\nNUMBER CAPACITY\n 1 10\n\nCUSTOMER\nCUST NO.\n"
	                 " 0 0 0 0 0 200 0\n 1 6 8 1 50 60 1\n");
	int stop = 1, first[2] = { 0, 1 }, veh = 0;
	struct ds_vrp_solution s = { 1, &veh, first, &stop, -1 };
	struct ds_vrp_check c;
	struct ds_diag d;
	assert_int_equal(ds_vrp_check(v, &s, &c, &d), DS_OK);
	assert_true(c.feasible);
	assert_int_equal(c.duration, 21000); /* 10 + 1 + 10, in x1000 units */
	v->vehicle[0].max_duration = 20000;
	assert_int_equal(ds_vrp_check(v, &s, &c, &d), DS_OK);
	assert_false(c.feasible);
	assert_non_null(strstr(c.problem, "working time"));
	v->vehicle[0].max_duration = 0;
	/* a break of 30 that must start by 20: taken on the way out, the
	 * client still reached in its window */
	v->vehicle[0].break_open = 0;
	v->vehicle[0].break_close = 20000;
	v->vehicle[0].break_length = 30000;
	assert_int_equal(ds_vrp_check(v, &s, &c, &d), DS_OK);
	assert_true(c.feasible);
	/* a break of 55: the client's window has closed by the arrival */
	v->vehicle[0].break_length = 55000;
	assert_int_equal(ds_vrp_check(v, &s, &c, &d), DS_OK);
	assert_false(c.feasible);
	ds_vrp_free(v);
}

/* The break in whichever gap suits: not the first one open, where it
 * would make the next client late; the timetable shows where. */
static void break_placed(void **state)
{
	(void)state;
	/* clients 1 (open 0-100) and 2 (open 11-12), 5 apart on a line, a
	 * break of 10 begun in 0..40: before client 2 it would make it late, so
	 * after it */
	ds_vrp *v = load("B\n\nVEHICLE\nNUMBER CAPACITY\n 1 10\n\nCUSTOMER\nCUST NO.\n"
	                 " 0 0 0 0 0 200 0\n 1 5 0 1 0 100 1\n 2 10 0 1 11 12 1\n");
	v->vehicle[0].break_open = 0;
	v->vehicle[0].break_close = 40000;
	v->vehicle[0].break_length = 10000;
	int stop[2] = { 1, 2 }, first[2] = { 0, 2 }, veh = 0;
	struct ds_vrp_solution s = { 1, &veh, first, stop, -1 };
	struct ds_vrp_check c;
	struct ds_diag d;
	assert_int_equal(ds_vrp_check(v, &s, &c, &d), DS_OK);
	assert_true(c.feasible);
	int64_t start[2], brk;
	assert_int_equal(ds_vrp_schedule(v, &s, 0, start, &brk, &d), DS_OK);
	assert_int_equal(start[0], 5000);
	assert_int_equal(start[1], 11000);
	assert_int_equal(brk, 12000); /* after client 2's service */
	/* the break must begin by 10: nowhere left */
	v->vehicle[0].break_close = 10000;
	assert_int_equal(ds_vrp_check(v, &s, &c, &d), DS_OK);
	assert_false(c.feasible);
	assert_non_null(strstr(c.problem, "fits nowhere"));
	assert_int_equal(ds_vrp_schedule(v, &s, 0, start, &brk, &d), DS_EINVAL);
	/* the solver keeps both clients and the break */
	v->vehicle[0].break_close = 40000;
	struct ds_vrp_solve_opts o = { .iterations = 200, .seed = 3, .threads = 1 };
	struct ds_vrp_solution out;
	struct ds_vrp_solve_stats st;
	assert_int_equal(ds_vrp_solve(v, &o, &out, &st, &d), DS_OK);
	assert_int_equal(ds_vrp_check(v, &out, &c, &d), DS_OK);
	assert_true(c.feasible);
	assert_int_equal(c.visited, 2);
	ds_vrp_solution_free(&out);
	/* a route back before the break opens needs none */
	v->vehicle[0].break_open = 150000;
	v->vehicle[0].break_close = 160000;
	assert_int_equal(ds_vrp_check(v, &s, &c, &d), DS_OK);
	assert_true(c.feasible);
	assert_int_equal(ds_vrp_schedule(v, &s, 0, start, &brk, &d), DS_OK);
	assert_int_equal(brk, -1);
	ds_vrp_free(v);
}

/* Random instances: every solved one passes the checker, with the cost
 * the solver states. */
static void solved_routes_pass(void **state)
{
	(void)state;
	srand(7);
	for (int round = 0; round < 30; round++) {
		char text[1 << 14];
		int n = 5 + rand() % 30;
		size_t len =
		        (size_t)snprintf(text, sizeof text,
		                         "R%d\n\nVEHICLE\nNUMBER CAPACITY\n %d %d\n\nCUSTOMER\n"
		                         "CUST NO.\n 0 50 50 0 0 400 0\n",
		                         round, 1 + rand() % 6, 20 + rand() % 40);
		for (int i = 1; i <= n; i++) {
			int open = rand() % 300, close = open + 10 + rand() % 100;
			len += (size_t)snprintf(text + len, sizeof text - len,
			                        " %d %d %d %d %d %d %d\n", i, rand() % 100,
			                        rand() % 100, 1 + rand() % 9, open, close,
			                        rand() % 10);
		}
		ds_vrp *v = load(text);
		if (round % 3 == 2) {
			/* travel times without the triangle inequality, as a
			 * routing server's matrix can have them */
			size_t nn = (size_t)v->nnodes;
			for (size_t q = 0; q < nn * nn; q++)
				v->dur[q] = (int32_t)((double)v->dur[q] *
				                      (0.3 + 1.4 * rand() / RAND_MAX));
		}
		if (round % 2) {
			/* prize-collecting: optional clients with prizes */
			v->prize_collecting = true;
			for (int i = v->ndepots; i < v->nnodes; i++) {
				v->node[i].required = rand() % 5 == 0;
				v->node[i].prize = (int64_t)(rand() % 60) * 1000;
			}
		}
		if (round % 4 == 1) {
			/* a break of 20 begun between 100 and 200; working time */
			for (int k = 0; k < v->nvehicles; k++) {
				v->vehicle[k].break_open = 100000;
				v->vehicle[k].break_close = 200000;
				v->vehicle[k].break_length = 20000;
				v->vehicle[k].max_duration = round % 8 == 1 ? 300000 : 0;
			}
		}
		struct ds_vrp_solve_opts o = { .iterations = 300,
			                       .seed = (uint64_t)round,
			                       .threads = 1 };
		struct ds_vrp_solution s;
		struct ds_vrp_solve_stats st;
		struct ds_diag d;
		assert_int_equal(ds_vrp_solve(v, &o, &s, &st, &d), DS_OK);
		struct ds_vrp_check c;
		assert_int_equal(ds_vrp_check(v, &s, &c, &d), DS_OK);
		/* every route the solver builds is feasible; only a required
		 * client no route can take may be missing */
		if (!c.feasible)
			assert_non_null(strstr(c.problem, "not visited"));
		else
			assert_int_equal(s.cost, c.cost);
		ds_vrp_solution_free(&s);
		ds_vrp_free(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(great_circle), cmocka_unit_test(haversine_matrix),
		cmocka_unit_test(matrix_file),  cmocka_unit_test(working_time),
		cmocka_unit_test(break_placed), cmocka_unit_test(solved_routes_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The daily field benchmark (bench/route/run.sh day): 2,000 candidate
 * visits and 60 teams in a city of 20 x 20 km, as `doorstep route --date`
 * builds them: e-bike travel from coordinates, the team's time and running
 * cost as the travel cost, visits worth 100 to 1,000 yuan, 45 minutes at
 * the door, windows 08:00-21:00 (a fifth of them a promised two-hour
 * appointment), shifts 09:00-18:00 from home, at most 8 visits a team.
 *
 * The reference in the same run is the solver's own first solution (every
 * visit put at its cheapest place, no search): the benchmark reports the
 * value of the plan at the time limit against it, and the checker's
 * verdict. Output: one JSON object.
 *
 *   bench_day [TIME_LIMIT_S] [SEED]
 */
#include "doorstep/route.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEAMS  60
#define VISITS 2000

static ds_vrp *city(uint64_t seed)
{
	struct ds_rng r;
	ds_rng_seed(&r, seed);
	ds_vrp *v = calloc(1, sizeof *v);
	v->node = calloc(TEAMS + VISITS, sizeof *v->node);
	v->vehicle = calloc(TEAMS, sizeof *v->vehicle);
	if (!v->node || !v->vehicle)
		exit(3);
	snprintf(v->name, sizeof v->name, "day-%d-%d", VISITS, TEAMS);
	v->prize_collecting = true;
	v->ndepots = TEAMS;
	v->nnodes = TEAMS + VISITS;
	v->nvehicles = TEAMS;
	/* Hangzhou, about 20 km across: 0.2 degrees of longitude, 0.18 of latitude */
	for (int i = 0; i < v->nnodes; i++) {
		struct ds_vrp_node *n = &v->node[i];
		n->x = 120.05 + 0.2 * ds_rng_uniform(&r);
		n->y = 30.18 + 0.18 * ds_rng_uniform(&r);
		n->number = i;
		snprintf(n->id, sizeof n->id, "%d", i);
		if (i < TEAMS) {
			/* skills as route --date gives them: two teams in three
			 * with a community worker (1), half with an experienced
			 * collector (2), one in four speaking the dialect (4);
			 * an hour's break begun between 11:30 and 13:30 */
			uint32_t skills =
			        (i % 3 != 2 ? 1u : 0u) | (i % 2 ? 2u : 0u) | (i % 4 == 0 ? 4u : 0u);
			v->vehicle[i] = (struct ds_vrp_vehicle){ .start = i,
				                                 .end = i,
				                                 .open = 9 * 3600,
				                                 .close = 18 * 3600,
				                                 .capacity = 8,
				                                 .skills = skills,
				                                 .break_open = 11 * 3600 + 1800,
				                                 .break_close = 13 * 3600 + 1800,
				                                 .break_length = 3600 };
			continue;
		}
		/* one address in ten flagged (a pair, experienced), one borrower
		 * in twenty speaking only the dialect */
		double u = ds_rng_uniform(&r);
		n->skills = u < 0.1 ? 3u : u < 0.15 ? 4u : 0u;
		n->demand = 1;
		n->service = 45 * 60;
		n->prize = 10000 + (int64_t)(90000 * ds_rng_uniform(&r));
		n->nwin = 1;
		if (ds_rng_uniform(&r) < 0.2) {
			int64_t at = (9 + (int64_t)(7 * ds_rng_uniform(&r))) * 3600;
			n->win[0] = (struct ds_vrp_window){ at, at + 2 * 3600 };
		} else {
			n->win[0] = (struct ds_vrp_window){ 8 * 3600, 21 * 3600 };
		}
	}
	return v;
}

int main(int argc, char **argv)
{
	double limit = argc > 1 ? strtod(argv[1], NULL) : 10;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	struct ds_diag d;
	ds_vrp *v = city(seed);
	struct ds_travel_model m;
	ds_travel_model_default(DS_TRAVEL_EBIKE, &m);
	if (ds_vrp_haversine(v, &m, &d)) {
		fprintf(stderr, "bench_day: %s\n", d.msg);
		return 3;
	}
	/* travel cost: 80 yuan an hour of the team's time, 0.10 yuan a km */
	size_t nn = (size_t)v->nnodes;
	for (size_t q = 0; q < nn * nn; q++)
		v->dist[q] = (int32_t)llround((double)v->dur[q] * 8000.0 / 3600.0 +
		                              (double)v->dist[q] * 10.0 / 1000.0);
	int64_t all = 0;
	for (int i = TEAMS; i < v->nnodes; i++)
		all += v->node[i].prize;
	struct {
		struct ds_vrp_solve_opts o;
		struct ds_vrp_solution s;
		struct ds_vrp_solve_stats st;
		struct ds_vrp_check c;
	} run[2] = { { .o = { .iterations = 1, .seed = seed, .threads = 1 } },
		     { .o = { .time_limit = limit, .seed = seed, .threads = 2 } } };
	for (int k = 0; k < 2; k++)
		if (ds_vrp_solve(v, &run[k].o, &run[k].s, &run[k].st, &d) ||
		    ds_vrp_check(v, &run[k].s, &run[k].c, &d)) {
			fprintf(stderr, "bench_day: %s\n", d.msg);
			return 3;
		}
	/* value: the prizes collected less the travel */
	double first = (double)(all - run[0].c.cost), best = (double)(all - run[1].c.cost);
	printf("{\"visits\": %d, \"teams\": %d, \"time_limit_s\": %.1f, \"seconds\": %.2f,"
	       " \"iterations\": %ld, \"feasible\": %s, \"routed\": %d, \"value_fen\": %.0f,"
	       " \"travel_fen\": %lld, \"reference\": {\"what\": \"first solution\","
	       " \"seconds\": %.2f, \"feasible\": %s, \"routed\": %d, \"value_fen\": %.0f},"
	       " \"ratio_to_reference\": %.4f}\n",
	       VISITS, TEAMS, limit, run[1].st.seconds, run[1].st.iterations,
	       run[1].c.feasible ? "true" : "false", run[1].c.visited, best,
	       (long long)run[1].c.distance, run[0].st.seconds,
	       run[0].c.feasible ? "true" : "false", run[0].c.visited, first,
	       first > 0 ? best / first : 0);
	for (int k = 0; k < 2; k++)
		ds_vrp_solution_free(&run[k].s);
	ds_vrp_free(v);
	return 0;
}

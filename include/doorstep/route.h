/*
 * Visit routes (docs/routing.md): the teams' day as a prize-collecting
 * vehicle routing problem with time windows.
 *
 * An instance: depots (where teams start and end), clients (the visits:
 * where, how long, when, how much each is worth, what team it needs) and
 * vehicles (the teams: shift, start and end, skills), with travel
 * durations and distances between every pair of places in whole units.
 * The standard files (Solomon's text format, VRPLIB) are read into it; the
 * daily plan builds it from the store. A solution: per vehicle the clients
 * in the order visited; the checker recomputes everything from the
 * instance alone.
 */
#ifndef DOORSTEP_ROUTE_H
#define DOORSTEP_ROUTE_H

#include "doorstep/core.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Hard caps: a file larger or a problem bigger is refused. */
#define DS_VRP_MAX_FILE_BYTES   (64L << 20)
#define DS_VRP_MAX_MATRIX_BYTES (2048L << 20) /* a matrix file: n x n rows */
#define DS_VRP_MAX_NODES        5000          /* depots and clients: two n x n matrices */
#define DS_VRP_MAX_VEHICLES     5000
#define DS_VRP_MAX_WINDOWS      4               /* time windows of one client */
#define DS_VRP_NO_END           (INT64_MAX / 4) /* a shift without an end */

/*
 * How a file's numbers become the instance's whole units, and so what its
 * published costs mean:
 *  - DS_VRP_EXACT: Solomon's convention, Euclidean distances and times in
 *    double precision; the solver works on them times 1,000 (distance
 *    rounded, duration rounded up, so a route feasible in units is
 *    feasible exactly), and costs are reported in the file's units;
 *  - DS_VRP_DIMACS: the DIMACS challenge's (and PyVRP's published
 *    solutions'): every arc's Euclidean length times 10 truncated, and
 *    times, service times and prizes times 10; costs in those tenths.
 *  - DS_VRP_TSPLIB: VRPLIB's EUC_2D without time windows, each arc's
 *    length rounded to the nearest whole number;
 *  - DS_VRP_UNITS: the numbers are the units (a matrix file, the daily
 *    plan's seconds and metres).
 */
enum ds_vrp_convention { DS_VRP_EXACT, DS_VRP_DIMACS, DS_VRP_TSPLIB, DS_VRP_UNITS };

struct ds_vrp_window {
	int64_t open, close; /* arrival allowed in [open, close] */
};

struct ds_vrp_node {
	double x, y;     /* coordinates as read (or longitude, latitude) */
	int64_t demand;  /* load it takes of the vehicle's capacity */
	int64_t service; /* time spent there */
	int nwin;        /* 0: always open */
	struct ds_vrp_window win[DS_VRP_MAX_WINDOWS];
	int64_t prize;   /* what visiting it is worth, in cost units */
	bool required;   /* must be visited (a promised appointment) */
	uint32_t skills; /* a team needs every one of them */
	long number;     /* how solutions name it (Solomon's customer number,
	                    VRPLIB's node number less one) */
	char id[32];     /* its name in a matrix file: the file's node number,
	                    or the store's id */
};

struct ds_vrp_vehicle {
	int start, end;       /* depot nodes */
	int64_t open, close;  /* its shift: leaves at or after open, back by close */
	int64_t max_duration; /* working time from leaving to return; 0: none */
	int64_t capacity;     /* 0: unlimited */
	uint32_t skills;
	/* A break, length 0: none. Taken in any gap between two places of
	 * the route (travel before, after or around it), begun between
	 * break_open and break_close; a route back before break_open needs
	 * none. */
	int64_t break_open, break_close, break_length;
	char id[32];
};

typedef struct ds_vrp {
	char name[64];
	enum ds_vrp_convention convention;
	bool prize_collecting; /* clients not required may be left out */
	int ndepots;           /* nodes 0 .. ndepots-1 */
	int nnodes;
	struct ds_vrp_node *node;
	int nvehicles;
	struct ds_vrp_vehicle *vehicle;
	int32_t *dist, *dur; /* nnodes x nnodes, row-major, in units */
	/* nvehicles x nnodes, or NULL: nonzero where the vehicle may serve
	 * the node, beyond skills (the daily plan: what the contact rules
	 * allow each team); freed with the instance */
	unsigned char *allowed;
	int64_t unit; /* units per file unit: 1000, 10 or 1 */
} ds_vrp;

/* Reads a Solomon text file or a VRPLIB file (by content). Errors name
 * the file, the line and the field. */
ds_err ds_vrp_read(const char *path, ds_vrp **out, struct ds_diag *diag);
/* The same from memory (name: for messages). */
ds_err ds_vrp_parse(const char *name, const char *text, size_t len, ds_vrp **out,
                    struct ds_diag *diag);
void ds_vrp_free(ds_vrp *v);

/* Fills the matrices from the coordinates under the instance's convention. */
ds_err ds_vrp_euclidean(ds_vrp *v, struct ds_diag *diag);

/* ---------------------------------------------------------------- travel */

/*
 * The field's travel (docs/routing.md, "Travel"): from coordinates
 * (x = longitude, y = latitude, degrees) the great-circle distance times a
 * detour factor (streets are not straight), in metres, and the time at the
 * mode's speed, in seconds; or a matrix file a bank's own routing server
 * produces. Either fills the instance's matrices (convention
 * DS_VRP_UNITS: metres and seconds).
 */
enum ds_travel_mode { DS_TRAVEL_WALK, DS_TRAVEL_EBIKE, DS_TRAVEL_CAR };
struct ds_travel_model {
	enum ds_travel_mode mode;
	double detour;       /* road distance over great-circle distance, >= 1 */
	double metres_per_s; /* 0: the mode's default */
};
/* The defaults: detour 1.3; walking 1.25 m/s, e-bike 4.2, car 7.0 (a
 * city's average speed, stops included). */
void ds_travel_model_default(enum ds_travel_mode mode, struct ds_travel_model *m);
double ds_travel_speed(const struct ds_travel_model *m);
/* Metres of great circle between two points (degrees), haversine on a
 * sphere of the Earth's mean radius. */
double ds_haversine_m(double lon1, double lat1, double lon2, double lat2);
ds_err ds_vrp_haversine(ds_vrp *v, const struct ds_travel_model *m, struct ds_diag *diag);

/*
 * A matrix file: CSV with the header "from,to,seconds,metres", one row
 * per ordered pair of the instance's node ids (ds_vrp_node.id; a depot's
 * id is its vehicle's start name), every pair present once, whole
 * non-negative numbers; the diagonal may be left out (0). Errors name the
 * file, line and column.
 */
ds_err ds_vrp_matrix_read(ds_vrp *v, const char *path, struct ds_diag *diag);
ds_err ds_vrp_matrix_parse(ds_vrp *v, const char *name, const char *text, size_t len,
                           struct ds_diag *diag);

/* ------------------------------------------------------------- solutions */

/* Routes: route r serves clients stop[first[r] .. first[r+1]-1] in order,
 * node indices; vehicle[r] drives it. */
struct ds_vrp_solution {
	int nroutes;
	int *vehicle;
	int *first; /* nroutes + 1 */
	int *stop;
	int64_t cost; /* as the solver or the file states it; -1: none stated */
};
void ds_vrp_solution_free(struct ds_vrp_solution *s);

/*
 * The text format (docs/routing.md): one line per route,
 * "Route #k: c1 c2 ...", clients numbered as VRPLIB solutions number them
 * (1 is the first client after the depot), then "Cost: N". Routes are
 * given to vehicles in order.
 */
ds_err ds_vrp_solution_read(const ds_vrp *v, const char *path, struct ds_vrp_solution *out,
                            struct ds_diag *diag);
ds_err ds_vrp_solution_parse(const ds_vrp *v, const char *name, const char *text, size_t len,
                             struct ds_vrp_solution *out, struct ds_diag *diag);
/* Writes the solution; its cost line is the checker's. */
ds_err ds_vrp_solution_write(const ds_vrp *v, const struct ds_vrp_solution *s, FILE *f,
                             struct ds_diag *diag);

/* ---------------------------------------------------------------- checker */

/*
 * The independent check of a solution against its instance: every client
 * at most once (exactly once when required or the instance is not
 * prize-collecting), every arrival within a window (waiting allowed),
 * every vehicle back by its shift's end and within its working time
 * (from leaving, as late as keeps the earliest return, to that return),
 * its break taken, loads within capacity, skills matched. The cost: distance travelled
 * plus the prizes of the clients left out, in the instance's units
 * (DS_VRP_EXACT: recomputed in double precision from the coordinates).
 */
struct ds_vrp_check {
	bool feasible;
	char problem[256];  /* the first problem found, when not feasible */
	int64_t cost;       /* in units: distance + prizes left out */
	double cost_exact;  /* in the file's units (DS_VRP_EXACT: exact) */
	int64_t distance;   /* units */
	int64_t prize_left; /* units */
	int64_t duration;   /* sum of the routes' durations, units */
	int visited, routes;
};
ds_err ds_vrp_check(const ds_vrp *v, const struct ds_vrp_solution *s, struct ds_vrp_check *out,
                    struct ds_diag *diag);

/* The timetable of route r as the checker reckons it: the vehicle leaving
 * at its shift's start, its break where it brings the vehicle back
 * earliest. start[i]: the start of service at the route's i-th stop;
 * *break_at: the break's start, -1 when none is taken. DS_EINVAL with the
 * problem when the route cannot be driven. */
ds_err ds_vrp_schedule(const ds_vrp *v, const struct ds_vrp_solution *s, int r, int64_t *start,
                       int64_t *break_at, struct ds_diag *diag);

/* ----------------------------------------------------------------- solver */

/*
 * The solver (docs/routing.md, "The solver"): ruin and recreate in the
 * manner of SISR (Christiaens and Vanden Berghe, 2020) — strings of
 * neighbouring clients removed from a few routes, put back one by one at
 * their cheapest feasible place with a few places skipped at random —
 * under simulated annealing, every route kept feasible; a client worth
 * less than it costs to reach stays out. Each thread runs its own search
 * from its own seed; the best is kept. Deterministic for a seed, a thread
 * count and an iteration limit; with a time limit, as far as the time
 * allows.
 */
struct ds_vrp_solve_opts {
	double time_limit; /* seconds; 0: none (then iterations must be set) */
	long iterations;   /* per thread; 0: none */
	uint64_t seed;
	int threads; /* 1 or more */
};
struct ds_vrp_solve_stats {
	long iterations; /* all threads */
	double seconds;
	int best_thread;
};
ds_err ds_vrp_solve(const ds_vrp *v, const struct ds_vrp_solve_opts *o, struct ds_vrp_solution *out,
                    struct ds_vrp_solve_stats *stats, struct ds_diag *diag);

#endif

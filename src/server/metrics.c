/*
 * Metrics in Prometheus' text format (GET /metrics): requests by route,
 * method and status, a histogram of durations by route, requests in
 * flight, uptime, the store pool. Counters are atomics, one slot per
 * route (and one for static files, one for requests no route took).
 */
#include "server.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The statuses counted by name; anything else counts as "other". */
static const int statuses[] = { 200, 201, 204, 304, 400, 401, 403, 404,
	                        405, 409, 413, 415, 422, 429, 500, 503 };
#define NSTATUS (sizeof statuses / sizeof statuses[0] + 1)
/* Upper bounds of the duration buckets, in seconds. */
static const double bounds[] = { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBOUND (sizeof bounds / sizeof bounds[0])
#define NSLOT  (SRV_ROUTES_MAX + 2)

static atomic_ulong requests[NSLOT][NSTATUS];
static atomic_ulong buckets[NSLOT][NBOUND + 1]; /* the last: over every bound */
static atomic_ulong sum_us[NSLOT];
static atomic_long in_flight;
static time_t started;

void srv_metrics_start(void)
{
	started = time(NULL);
}

void srv_metrics_begin(void)
{
	atomic_fetch_add(&in_flight, 1);
}

long srv_metrics_in_flight(void)
{
	return atomic_load(&in_flight);
}

void srv_metrics_end(int route, int status, double seconds)
{
	atomic_fetch_sub(&in_flight, 1);
	if (route < 0 || route >= NSLOT)
		route = SRV_ROUTE_NONE;
	size_t k = NSTATUS - 1;
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			k = i;
	atomic_fetch_add(&requests[route][k], 1);
	size_t b = NBOUND;
	for (size_t i = 0; i < NBOUND; i++)
		if (seconds <= bounds[i]) {
			b = i;
			break;
		}
	atomic_fetch_add(&buckets[route][b], 1);
	atomic_fetch_add(&sum_us[route], (unsigned long)(seconds * 1e6));
}

static void labels(int route, char *out, size_t outsz)
{
	if (route < srv_route_count)
		snprintf(out, outsz, "route=\"%s\",method=\"%s\"", srv_routes[route].pattern,
		         srv_routes[route].method);
	else
		snprintf(out, outsz, "route=\"%s\",method=\"GET\"",
		         route == SRV_ROUTE_STATIC ? "static" : "unmatched");
}

ds_err srv_metrics_text(struct server *s, struct ds_buf *b)
{
	ds_err err = DS_OK;
	char l[160];
	int slots = srv_route_count + 2;
	err = err ? err
	          : ds_buf_adds(b, "# HELP doorstep_http_requests_total HTTP requests answered, "
	                           "by route, method and status.\n"
	                           "# TYPE doorstep_http_requests_total counter\n");
	for (int r = 0; r < slots && !err; r++) {
		labels(r, l, sizeof l);
		for (size_t k = 0; k < NSTATUS && !err; k++) {
			unsigned long n = atomic_load(&requests[r][k]);
			if (!n)
				continue;
			char st[8];
			if (k < NSTATUS - 1)
				snprintf(st, sizeof st, "%d", statuses[k]);
			else
				ds_strlcpy(st, "other", sizeof st);
			err = ds_buf_addf(b, "doorstep_http_requests_total{%s,status=\"%s\"} %lu\n",
			                  l, st, n);
		}
	}
	err = err ? err
	          : ds_buf_adds(b, "# HELP doorstep_http_request_duration_seconds Time from a "
	                           "request's headers to its answer, by route.\n"
	                           "# TYPE doorstep_http_request_duration_seconds histogram\n");
	for (int r = 0; r < slots && !err; r++) {
		labels(r, l, sizeof l);
		unsigned long cum = 0;
		for (size_t i = 0; i <= NBOUND && !err; i++) {
			cum += atomic_load(&buckets[r][i]);
			if (i < NBOUND)
				err = ds_buf_addf(
				        b,
				        "doorstep_http_request_duration_seconds_bucket{%s,"
				        "le=\"%g\"} %lu\n",
				        l, bounds[i], cum);
			else
				err = ds_buf_addf(
				        b,
				        "doorstep_http_request_duration_seconds_bucket{%s,"
				        "le=\"+Inf\"} %lu\n"
				        "doorstep_http_request_duration_seconds_sum{%s} %.6f\n"
				        "doorstep_http_request_duration_seconds_count{%s} %lu\n",
				        l, cum, l, (double)atomic_load(&sum_us[r]) / 1e6, l, cum);
		}
	}
	pthread_mutex_lock(&s->pool.mu);
	int idle = s->pool.n;
	long opened = s->pool.opened;
	pthread_mutex_unlock(&s->pool.mu);
	if (!err)
		err = ds_buf_addf(
		        b,
		        "# HELP doorstep_http_requests_in_flight Requests being answered now.\n"
		        "# TYPE doorstep_http_requests_in_flight gauge\n"
		        "doorstep_http_requests_in_flight %ld\n"
		        "# HELP doorstep_uptime_seconds Seconds since the server started.\n"
		        "# TYPE doorstep_uptime_seconds gauge\n"
		        "doorstep_uptime_seconds %lld\n"
		        "# HELP doorstep_store_connections_idle Store connections in the pool.\n"
		        "# TYPE doorstep_store_connections_idle gauge\n"
		        "doorstep_store_connections_idle %d\n"
		        "# HELP doorstep_store_connections_opened_total Store connections opened.\n"
		        "# TYPE doorstep_store_connections_opened_total counter\n"
		        "doorstep_store_connections_opened_total %ld\n"
		        "# HELP doorstep_build_info The version serving.\n"
		        "# TYPE doorstep_build_info gauge\n"
		        "doorstep_build_info{version=\"%s\"} 1\n",
		        atomic_load(&in_flight), (long long)(time(NULL) - started), idle, opened,
		        DS_VERSION);
	return err;
}

/*
 * The daemon: libmicrohttpd with its own polling thread (epoll where the
 * library has it, else poll, else select) and a pool of worker threads;
 * the limits; the pool of store connections; the graceful stop on SIGINT
 * or SIGTERM (docs/server.md).
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static atomic_bool stopping;

bool srv_stopping(void)
{
	return atomic_load(&stopping);
}

double srv_now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------- the pool */

/*
 * SQLite connections are opened NOMUTEX: one thread at a time each. A
 * request takes a connection for itself (its actor the caller's user id,
 * so the library's audit entries name who acted), and gives it back at its
 * end. Idle connections are kept by actor, the oldest closed when the pool
 * is full; a caller whose actor has none idle gets a new one.
 */
static void pool_init(struct srv_pool *p, int threads)
{
	memset(p, 0, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	p->max = 2 * threads + 2;
}

static void pool_close(struct srv_pool *p)
{
	for (int i = 0; i < p->n; i++)
		ds_store_close(p->idle[i]);
	p->n = 0;
	pthread_mutex_destroy(&p->mu);
}

ds_err srv_pool_acquire(struct server *s, const char *actor, ds_store **out, struct ds_diag *diag)
{
	struct srv_pool *p = &s->pool;
	*out = NULL;
	pthread_mutex_lock(&p->mu);
	for (int i = p->n - 1; i >= 0; i--) {
		if (strcmp(ds_store_actor(p->idle[i]), actor) == 0) {
			*out = p->idle[i];
			memmove(&p->idle[i], &p->idle[i + 1],
			        (size_t)(p->n - i - 1) * sizeof *p->idle);
			p->n--;
			break;
		}
	}
	if (!*out)
		p->opened++;
	pthread_mutex_unlock(&p->mu);
	if (*out)
		return DS_OK;
	struct ds_store_opts o = s->cfg->store;
	o.actor = actor;
	o.for_init = false;
	return ds_store_open(s->cfg->db_path, &o, out, diag);
}

void srv_pool_release(struct server *s, ds_store *st)
{
	if (!st)
		return;
	ds_store_rollback(st);
	struct srv_pool *p = &s->pool;
	ds_store *victim = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->n == p->max) {
		victim = p->idle[0];
		memmove(&p->idle[0], &p->idle[1], (size_t)(p->n - 1) * sizeof *p->idle);
		p->n--;
	}
	p->idle[p->n++] = st;
	pthread_mutex_unlock(&p->mu);
	ds_store_close(victim);
}

/* ----------------------------------------------------------- the daemon */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	srv_utf8_clean(msg);
	srv_log_event("mhd", json_pack("{s:s}", "message", msg));
}

/* ADDR:PORT or [V6]:PORT into a socket address. */
static bool parse_listen(const char *spec, struct sockaddr_storage *ss, bool *v6)
{
	char host[128];
	const char *colon;
	memset(ss, 0, sizeof *ss);
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof host)
			return false;
		memcpy(host, spec + 1, (size_t)(end - spec - 1));
		host[end - spec - 1] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof host)
			return false;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
	}
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || errno || port < 0 || port > 65535)
		return false;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*v6 = false;
		return true;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*v6 = true;
		return true;
	}
	return false;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* libmicrohttpd's unescaping of the path and the query's values ("%HH"),
 * but "%00" is left as it is: a NUL would cut the path or a value short
 * where it is read as a C string ("/index.html%00.js" served index.html). */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	char *w = s;
	for (const char *p = s; *p;) {
		int hi = p[0] == '%' ? hex_digit(p[1]) : -1;
		int lo = hi >= 0 ? hex_digit(p[2]) : -1;
		if (lo >= 0 && (hi | lo) != 0) {
			*w++ = (char)(hi << 4 | lo);
			p += 3;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static int start_failed(const char *fmt, const char *arg)
{
	fputs("doorstep: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 3;
}

int srv_run(const struct srv_config *cfg)
{
	struct server s;
	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	struct ds_diag d;
	ds_diag_clear(&d);
	int threads = cfg->threads;
	struct sockaddr_storage ss;
	bool v6 = false;
	if (!parse_listen(cfg->listen, &ss, &v6)) {
		ds_store_close(cfg->first);
		return start_failed("--listen: not ADDR:PORT or [ADDR]:PORT: \"%s\"", cfg->listen);
	}
	if (cfg->static_dir && !realpath(cfg->static_dir, s.static_root)) {
		ds_store_close(cfg->first);
		return start_failed("--static: no such directory: %s", cfg->static_dir);
	}
	ds_err err = srv_routes_check(&d);
	if (!err)
		err = srv_openapi_build(&s.openapi, &s.openapi_len, &d);
	if (err) {
		ds_store_close(cfg->first);
		return start_failed("the route table: %s", d.msg);
	}
	pool_init(&s.pool, threads);
	pthread_mutex_init(&s.serial, NULL);
	s.pool.opened = 1; /* the caller's, checked at start */
	srv_pool_release(&s, cfg->first);
	srv_metrics_start();

	/* The workers inherit this mask: the signals come to sigwait below. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	const char *poller = "select";
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES) {
		flags |= MHD_USE_EPOLL;
		poller = "epoll";
	} else if (MHD_is_feature_supported(MHD_FEATURE_POLL) == MHD_YES) {
		flags |= MHD_USE_POLL;
		poller = "poll";
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	struct MHD_Daemon *daemon = MHD_start_daemon(
	        flags, 0, NULL, NULL, srv_access, &s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &s,
	        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_SOCK_ADDR,
	        (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
	        (unsigned int)(threads > 1 ? threads : 0), MHD_OPTION_CONNECTION_LIMIT,
	        (unsigned int)SRV_CONNECTION_LIMIT, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	        (unsigned int)SRV_PER_IP_LIMIT, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	        (size_t)SRV_CONN_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT,
	        (unsigned int)(cfg->idle_s > 0 ? cfg->idle_s : SRV_IDLE_TIMEOUT_S),
	        MHD_OPTION_NOTIFY_COMPLETED, srv_completed, &s, MHD_OPTION_END);
	int rc = 0;
	if (!daemon) {
		rc = start_failed("cannot listen on %s (in use, or not an address of this host)",
		                  cfg->listen);
		goto out;
	}
	const union MHD_DaemonInfo *port = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
	char host[INET6_ADDRSTRLEN + 2], where[INET6_ADDRSTRLEN + 16];
	if (v6) {
		char h[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, h, sizeof h);
		snprintf(host, sizeof host, "[%s]", h);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
	}
	snprintf(where, sizeof where, "%s:%u", host, port ? (unsigned)port->port : 0u);
	srv_log_event("listening", json_pack("{s:s, s:i, s:s, s:s?, s:s, s:i}", "listen", where,
	                                     "threads", threads, "poll", poller, "static",
	                                     s.static_root[0] ? cfg->static_dir : NULL, "version",
	                                     DS_VERSION, "routes", srv_route_count));

	int sig = 0;
	while (sigwait(&stop, &sig) != 0)
		;
	/* Stop accepting, let what is in flight finish, then stop. */
	srv_log_event("stopping",
	              json_pack("{s:s, s:I}", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM",
	                        "in_flight", (json_int_t)srv_metrics_in_flight()));
	atomic_store(&stopping, true);
	MHD_socket lsock = MHD_quiesce_daemon(daemon);
	if (lsock != MHD_INVALID_SOCKET)
		close(lsock);
	/* A connection accepted but still waiting for its worker has no
	 * request begun yet: wait for the connections, not only the requests
	 * (every answer now closes its connection; an idle keep-alive one
	 * holds the stop up to the grace period). */
	double until = srv_now_mono() + SRV_GRACE_S;
	unsigned conns = 0;
	for (;;) {
		const union MHD_DaemonInfo *ci =
		        MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		conns = ci ? ci->num_connections : 0;
		if ((conns == 0 && srv_metrics_in_flight() == 0) || srv_now_mono() >= until)
			break;
		/* a second signal: stop now */
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		if (sigtimedwait(&stop, NULL, &ts) > 0) {
			srv_log_event("stopping", json_pack("{s:s}", "now", "a second signal"));
			break;
		}
	}
	long left = srv_metrics_in_flight();
	MHD_stop_daemon(daemon);
	srv_log_event("stopped", json_pack("{s:I, s:I}", "abandoned", (json_int_t)left,
	                                   "connections_closed", (json_int_t)conns));
out:
	pool_close(&s.pool);
	pthread_mutex_destroy(&s.serial);
	free(s.openapi);
	return rc;
}

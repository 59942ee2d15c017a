/* doorstep serve: the HTTP JSON API and the web UI's files (docs/server.md). */
#include "cli.h"
#include "server.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Prints the route table, one route a line: METHOD PATH ROLES SUMMARY. */
static int print_routes(struct cli *c)
{
	json_t *arr = c->json ? json_array() : NULL;
	for (int i = 0; i < srv_route_count; i++) {
		const struct srv_route *rt = &srv_routes[i];
		char roles[160];
		srv_roles_text(rt, roles, sizeof roles);
		if (arr)
			json_array_append_new(arr,
			                      json_pack("{s:s, s:s, s:s, s:s}", "method",
			                                rt->method, "path", rt->pattern, "roles",
			                                roles, "summary", rt->summary));
		else
			printf("%-5s %-28s %-52s %s\n", rt->method, rt->pattern, roles,
			       rt->summary);
	}
	if (arr)
		cli_print_json(arr);
	return EXIT_OK;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("serve");
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "static", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "trust-proxy", required_argument, NULL, 'p' },
		{ "idle", required_argument, NULL, 'i' },
		{ "routes", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *listen = "127.0.0.1:8080", *static_dir = NULL, *proxy = NULL;
	long threads = 2, idle = SRV_IDLE_TIMEOUT_S;
	bool routes = false;
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		switch (ch) {
		case 'l':
			listen = optarg;
			break;
		case 's':
			static_dir = optarg;
			break;
		case 't':
			errno = 0;
			threads = strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || threads < 1 ||
			    threads > SRV_THREADS_MAX)
				return cli_usage(cmd, "--threads: 1 to %d", SRV_THREADS_MAX);
			break;
		case 'p':
			proxy = optarg;
			break;
		case 'i':
			errno = 0;
			idle = strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || idle < 1 || idle > 3600)
				return cli_usage(cmd, "--idle: 1 to 3600 seconds");
			break;
		case 'r':
			routes = true;
			break;
		case 'h':
			cli_help(cmd, stdout);
			return EXIT_OK;
		default:
			return cli_usage(cmd, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
	if (routes)
		return print_routes(c);
	struct stat sb;
	if (!static_dir && stat("web/dist", &sb) == 0 && S_ISDIR(sb.st_mode))
		static_dir = "web/dist";

	ds_rulepack *rules = NULL;
	int rc = cli_load_rules(c, NULL, NULL, &rules);
	if (rc)
		return rc;
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st))) {
		ds_rules_free(rules);
		return rc;
	}
	/* Phones are unsealed for the roles that see them whole only with the
	 * database's own key; without a key file they stay masked. */
	struct ds_pii_key key;
	bool have_key = false;
	char key_path[1024];
	cli_key_path(c, key_path, sizeof key_path);
	struct ds_diag d;
	ds_diag_clear(&d);
	if (access(key_path, R_OK) == 0) {
		ds_err err = ds_pii_key_load(key_path, false, &key, &d);
		if (!err)
			err = ds_store_check_key(st, &key, &d);
		if (err) {
			ds_store_close(st);
			ds_rules_free(rules);
			return cli_fail(c, err, &d);
		}
		have_key = true;
	} else if (!c->quiet) {
		fprintf(stderr,
		        "doorstep: serve: no key file (%s): phones are shown masked to "
		        "every role\n",
		        key_path);
	}
	struct ds_field_config fc;
	ds_field_config_from(&c->cfg, &fc);
	/* [database] cache_mib is the server's page cache in all, shared by
	 * its pooled connections (at most 2 x threads + 2), so that memory
	 * stays bounded however many are open */
	long cache = ds_config_int(&c->cfg, DS_CFG_DB_CACHE_MIB) / (2 * threads + 2);
	struct srv_config sc = {
		.db_path = ds_config_str(&c->cfg, DS_CFG_DB_PATH),
		.store = { .busy_timeout_ms =
		                   (int)ds_config_int(&c->cfg, DS_CFG_DB_BUSY_TIMEOUT_MS),
		           .cache_mib = (int)(cache > 2 ? cache : 2) },
		.listen = listen,
		.static_dir = static_dir,
		.threads = (int)threads,
		.trust_proxy = proxy,
		.idle_s = (int)idle,
		.zone = ds_config_str(&c->cfg, DS_CFG_TIMEZONE),
		.rules = rules,
		.field = &fc,
		.key = have_key ? &key : NULL,
		.first = st,
	};
	rc = srv_run(&sc);
	ds_rules_free(rules);
	sodium_memzero(&key, sizeof key);
	return rc;
}

const struct cli_command cli_cmd_serve = {
	"serve",
	"the HTTP JSON API and the web UI",
	"serve [--listen ADDR:PORT] [--static DIR] [--threads N] [--trust-proxy ADDR] [--idle S] "
	"| serve --routes",
	"Options:\n"
	"  --listen ADDR:PORT   where to listen (default 127.0.0.1:8080; [::1]:8080 for\n"
	"                       IPv6; port 0: any free port, named in the first log line)\n"
	"  --static DIR         serve the web UI's files from DIR for GETs outside /api/\n"
	"                       (default web/dist when it exists)\n"
	"  --threads N          worker threads, 1 to 64 (default 2)\n"
	"  --trust-proxy ADDR   a reverse proxy at ADDR (e.g. 127.0.0.1): its\n"
	"                       X-Forwarded-Proto and X-Forwarded-For are believed\n"
	"                       (Secure cookies behind TLS, the caller's address)\n"
	"  --idle SECONDS       close a connection idle this long, 1 to 3600 (default 30):\n"
	"                       a client that stalls mid-request is dropped\n"
	"  --routes             print the route table and exit (--json: as JSON)\n\n"
	"Logs one JSON line per request on standard error; stops gracefully on\n"
	"SIGINT or SIGTERM (exit status 0). Endpoints: docs/api.md, or GET\n"
	"/api/openapi.json; running it: docs/server.md.\n",
	run,
};

/* doorstep demo: a synthetic city, imported through the real intake path. */
#include "cli.h"
#include "doorstep/auth.h"
#include "doorstep/sim.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The demo's logins for the web UI and the API: a manager, an analyst, and
 * the collector leading the day's busiest team (the field view then shows
 * a route). A demo's passwords are printed, so they are a demo's only. */
static const struct {
	const char *user, *password;
	ds_role role;
} demo_users[] = {
	{ "demo-manager", "demo-manager-pass", DS_ROLE_MANAGER },
	{ "demo-analyst", "demo-analyst-pass", DS_ROLE_ANALYST },
	{ "demo-collector", "demo-collector-pass", DS_ROLE_COLLECTOR },
};

static int add_demo_users(struct cli *c, const char *day)
{
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	char lead[65] = "";
	ds_stmt *s;
	ds_err err = ds_store_prepare(st,
	                              "SELECT substr(team_id, 12) FROM visits WHERE visit_date = ?"
	                              " GROUP BY team_id ORDER BY count(*) DESC, team_id LIMIT 1",
	                              &s, &d);
	if (!err) {
		bool row;
		ds_stmt_bind_text(s, 1, day);
		if (!(err = ds_stmt_step(s, &row, &d)) && row)
			ds_strlcpy(lead, ds_stmt_text(s, 0), sizeof lead);
		ds_stmt_done(s);
	}
	for (size_t i = 0; !err && i < sizeof demo_users / sizeof demo_users[0]; i++) {
		struct ds_user u;
		struct ds_diag e;
		ds_diag_clear(&e);
		bool collector = demo_users[i].role == DS_ROLE_COLLECTOR;
		if (collector && !lead[0])
			continue; /* no route today: no collector to be */
		if (ds_user_get(st, demo_users[i].user, &u, &e) == DS_OK)
			err = ds_user_passwd(st, demo_users[i].user, demo_users[i].password, &d);
		else
			err = ds_user_add(st, demo_users[i].user, demo_users[i].role,
			                  collector ? lead : NULL, demo_users[i].password, &d);
	}
	ds_store_close(st);
	return err ? cli_fail(c, err, &d) : EXIT_OK;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("demo");
	static const struct option opts[] = {
		{ "as-of", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *as_of_arg = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'a')
			as_of_arg = optarg;
		else if (ch == 'h') {
			cli_help(cmd, stdout);
			return EXIT_OK;
		} else
			return cli_usage(cmd, "bad option");
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	ds_date as_of;
	int rc = cli_as_of(c, as_of_arg, &as_of);
	if (rc)
		return rc;
	const char *dir = ds_config_str(&c->cfg, DS_CFG_DEMO_DIR);
	struct ds_diag d;
	ds_diag_clear(&d);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		ds_diag_set(&d, DS_EIO, dir, 0, NULL, "cannot create: %s", strerror(errno));
		return cli_fail(c, DS_EIO, &d);
	}
	/* The demo keeps its own database unless one was named. */
	char dbpath[4096];
	if (strcmp(c->cfg.source[DS_CFG_DB_PATH], "default") == 0) {
		snprintf(dbpath, sizeof dbpath, "%s/doorstep.db", dir);
		ds_config_set(&c->cfg, DS_CFG_DB_PATH, dbpath, "demo", &d);
	}
	struct ds_gen_opts g = {
		.seed = (uint64_t)ds_config_int(&c->cfg, DS_CFG_DEMO_SEED),
		.borrowers = ds_config_int(&c->cfg, DS_CFG_DEMO_BORROWERS),
		.as_of = as_of,
	};
	if (g.borrowers < 1 || g.borrowers > 5000000) {
		ds_diag_set(&d, DS_ECONFIG, NULL, 0, "demo.borrowers", "must be 1..5000000");
		return cli_fail(c, DS_ECONFIG, &d);
	}
	if (!c->quiet)
		fprintf(stderr, "demo: generating a city of %ld borrowers in %s/ (seed %llu)\n",
		        g.borrowers, dir, (unsigned long long)g.seed);
	ds_err err = ds_generate_csv(&g, dir, &d);
	if (err)
		return cli_fail(c, err, &d);
	/* The steps speak on stderr only; stdout carries the summary. */
	bool was_json = c->json, was_quiet = c->quiet;
	c->json = false;
	c->quiet = true;
	if ((rc = cli_find("init")->run(c, 1, (char *[]){ "init", NULL })))
		return rc;
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st)))
		return rc;
	int nfiles;
	const struct ds_gen_file *files = ds_generate_files(&nfiles);
	for (int i = 0; i < nfiles && !rc; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, files[i].file);
		char *one[1] = { path };
		rc = cli_import(c, st, files[i].kind, one, 1, NULL, "utf-8", NULL);
	}
	ds_store_close(st);
	char day[11];
	ds_date_format(as_of, day);
	/* ability and willingness: both models trained on the city's year,
	 * then every delinquent account scored */
	if (!rc && !was_quiet)
		fprintf(stderr, "demo: training the ability and willingness models, scoring\n");
	if (!rc)
		rc = cli_model_bootstrap(c, as_of);
	/* the day: the plan's decisions, then the visits' routes */
	if (!rc && !was_quiet)
		fprintf(stderr, "demo: planning the day and routing its visits\n");
	c->step = true;
	if (!rc) {
		char *pargv[] = { "plan", "--date", day, NULL };
		optind = 0;
		rc = cli_find("plan")->run(c, 3, pargv);
	}
	if (!rc) {
		char *rargv[] = { "route", "--date", day, "--time-limit", "1", NULL };
		optind = 0;
		rc = cli_find("route")->run(c, 5, rargv);
	}
	c->step = false;
	c->json = was_json;
	c->quiet = was_quiet;
	if (!rc)
		rc = add_demo_users(c, day);
	if (rc)
		return rc;
	char *sargv[] = { "summary", "--as-of", day, NULL };
	optind = 0;
	rc = cli_find("summary")->run(c, 3, sargv);
	if (!rc && !c->quiet && !c->json)
		fprintf(stderr,
		        "\nThe demo database is %s. Try:\n"
		        "  doorstep --db %s dpd --as-of %s | head\n"
		        "  doorstep --db %s model list\n"
		        "  doorstep --db %s route --date %s --dry-run\n"
		        "  doorstep --db %s model validate --target ability --as-of %s\n"
		        "  doorstep --db %s import payments --help\n"
		        "Logins for the web UI and the API (doorstep serve; make demo serves it\n"
		        "at http://127.0.0.1:8080): demo-manager / demo-manager-pass,\n"
		        "demo-analyst / demo-analyst-pass, demo-collector / demo-collector-pass\n"
		        "(the field view: the day's busiest route).\n",
		        ds_config_str(&c->cfg, DS_CFG_DB_PATH),
		        ds_config_str(&c->cfg, DS_CFG_DB_PATH), day,
		        ds_config_str(&c->cfg, DS_CFG_DB_PATH),
		        ds_config_str(&c->cfg, DS_CFG_DB_PATH), day,
		        ds_config_str(&c->cfg, DS_CFG_DB_PATH), day,
		        ds_config_str(&c->cfg, DS_CFG_DB_PATH));
	return rc;
}

const struct cli_command cli_cmd_demo = {
	"demo",
	"generate a demo city, import it, and print the overdue summary",
	"demo [--as-of YYYY-MM-DD]",
	"Writes a synthetic city's import files ([demo] dir, default\n"
	"./doorstep-demo), creates a database there (unless --db is given),\n"
	"imports the files through the same path as 'doorstep import', trains\n"
	"and scores, plans the day and routes its visits (doorstep plan, route\n"
	"--date), adds the demo's logins (printed at the end), and prints the\n"
	"overdue summary by bucket and community.\n"
	"Settings: [demo]\n"
	"seed, borrowers. Running it again re-imports and changes nothing.\n",
	run,
};

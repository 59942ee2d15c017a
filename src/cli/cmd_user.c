/* doorstep user: users of the server and the API: add, passwd, disable,
 * list, and their API tokens (docs/auth.md). */
#include "cli.h"

#include "doorstep/auth.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Room for the longest password the library takes (1024 bytes), its line
 * end, and one byte more to tell a longer one. */
#define PW_BUF 1028

/* One line from stdin without its line end; *got false at end of input.
 * EXIT_REJECTED for a line too long to be a password. */
static int read_line(char *buf, size_t bufsz, bool *got)
{
	*got = false;
	if (!fgets(buf, (int)bufsz, stdin))
		return EXIT_OK;
	*got = true;
	size_t n = strlen(buf);
	bool whole = n > 0 && buf[n - 1] == '\n';
	if (!whole && !feof(stdin)) {
		int ch; /* the rest of the line, so nothing of it is read later */
		while ((ch = getchar()) != EOF && ch != '\n')
			;
		sodium_memzero(buf, bufsz);
		fprintf(stderr, "doorstep: the password is too long: at most 1024 bytes\n");
		return EXIT_REJECTED;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return EXIT_OK;
}

/* A prompt on the terminal with echo off; the terminal restored after. */
static int prompt(const char *text, char *buf, size_t bufsz, bool *got)
{
	struct termios old, quiet;
	bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	fputs(text, stderr);
	fflush(stderr);
	int rc = read_line(buf, bufsz, got);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return rc;
}

/*
 * The new password: the first line of standard input, so that scripts can
 * pipe it (never an argument, which every user of the machine can read in
 * the process list); on a terminal, asked twice without echo.
 */
static int read_password(char pw[static PW_BUF])
{
	bool got = false;
	int rc;
	if (!isatty(STDIN_FILENO)) {
		if ((rc = read_line(pw, PW_BUF, &got)))
			return rc;
	} else {
		char again[PW_BUF];
		if (!(rc = prompt("new password: ", pw, PW_BUF, &got)) && got &&
		    !(rc = prompt("the same again: ", again, sizeof again, &got)) && got &&
		    strcmp(pw, again) != 0) {
			fprintf(stderr, "doorstep: the two passwords differ\n");
			rc = EXIT_REJECTED;
		}
		sodium_memzero(again, sizeof again);
		if (rc)
			sodium_memzero(pw, PW_BUF);
	}
	if (!rc && !got) {
		fprintf(stderr, "doorstep: no password on standard input (its first line)\n");
		rc = EXIT_REJECTED;
	}
	return rc;
}

/* --------------------------------------------------------------- users */

static int add(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "staff", required_argument, NULL, 's' },
		{ 0, 0, 0, 0 },
	};
	const char *role_name = NULL, *staff = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			role_name = optarg;
			break;
		case 's':
			staff = optarg;
			break;
		default:
			return cli_usage(cmd, "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, "add needs one user id");
	const char *user = argv[optind];
	ds_role role;
	if (!role_name)
		return cli_usage(cmd, "add needs --role");
	if (ds_role_parse(role_name, &role))
		return cli_usage(cmd,
		                 "--role: one of admin, manager, collector, community_worker, "
		                 "analyst, auditor (not \"%s\")",
		                 role_name);
	char pw[PW_BUF];
	int rc = read_password(pw);
	if (rc)
		return rc;
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st))) {
		sodium_memzero(pw, sizeof pw);
		return rc;
	}
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_user_add(st, user, role, staff, pw, &d);
	sodium_memzero(pw, sizeof pw);
	ds_store_close(st);
	if (err)
		return cli_refused(c, err, &d);
	if (c->json)
		cli_print_json(json_pack("{s:s, s:s, s:s?}", "user_id", user, "role",
		                         ds_role_name(role), "staff_id", staff));
	else if (!c->quiet)
		printf("user %s added: %s%s%s\n", user, ds_role_name(role), staff ? ", staff " : "",
		       staff ? staff : "");
	return EXIT_OK;
}

static int passwd(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	if (argc - optind != 1)
		return cli_usage(cmd, "passwd needs one user id");
	const char *user = argv[optind];
	char pw[PW_BUF];
	int rc = read_password(pw);
	if (rc)
		return rc;
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st))) {
		sodium_memzero(pw, sizeof pw);
		return rc;
	}
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_user_passwd(st, user, pw, &d);
	sodium_memzero(pw, sizeof pw);
	ds_store_close(st);
	if (err)
		return cli_refused(c, err, &d);
	if (c->json)
		cli_print_json(json_pack("{s:s, s:b}", "user_id", user, "password_changed", 1));
	else if (!c->quiet)
		printf("password of %s changed; their sessions ended\n", user);
	return EXIT_OK;
}

static int disable(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	if (argc - optind != 1)
		return cli_usage(cmd, "disable needs one user id");
	const char *user = argv[optind];
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_user_disable(st, user, &d);
	ds_store_close(st);
	if (err)
		return cli_refused(c, err, &d);
	if (c->json)
		cli_print_json(json_pack("{s:s, s:b}", "user_id", user, "disabled", 1));
	else if (!c->quiet)
		printf("user %s disabled; their sessions and API tokens revoked\n", user);
	return EXIT_OK;
}

/* Runs a listing query: its first n parameters the integers given, then
 * the user id when not NULL. */
static int listing(struct cli *c, const char *sql, const int64_t *ints, int n, const char *user)
{
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_stmt *s;
	ds_err err = ds_store_prepare(st, sql, &s, &d);
	if (!err) {
		for (int i = 0; i < n; i++)
			ds_stmt_bind_int(s, i + 1, ints[i]);
		if (user)
			ds_stmt_bind_text(s, n + 1, user);
		rc = cli_print_rows(c, s);
	}
	ds_store_close(st);
	return err ? cli_fail(c, err, &d) : rc;
}

static int list(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	if (argc - optind != 0)
		return cli_usage(cmd, "list takes no arguments (not \"%s\")", argv[optind]);
	/* sessions still open: not ended, not idle too long, not too old */
	ds_time now = (ds_time)time(NULL);
	const int64_t ints[2] = { now, now - DS_SESSION_ABSOLUTE_S };
	/* never the password hashes */
	return listing(c,
	               "SELECT u.user_id, u.role, u.staff_id,"
	               " coalesce(s.branch_id, m.branch_id) AS branch_id, s.community_id,"
	               " CASE u.disabled WHEN 1 THEN 'disabled' ELSE 'active' END AS status,"
	               " u.created_at, u.password_at,"
	               " (SELECT count(*) FROM sessions x WHERE x.user_id = u.user_id"
	               "  AND x.revoked_at IS NULL AND x.expires_at > ?"
	               "  AND x.created_at > ?) AS sessions,"
	               " (SELECT count(*) FROM api_tokens t WHERE t.user_id = u.user_id"
	               "  AND t.revoked_at IS NULL) AS api_tokens"
	               " FROM users u LEFT JOIN staff s ON s.staff_id = u.staff_id"
	               " LEFT JOIN communities m ON m.community_id = s.community_id"
	               " ORDER BY u.user_id",
	               ints, 2, NULL);
}

/* ---------------------------------------------------------- API tokens */

static int token_add(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	const char *name = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'n')
			return cli_usage(cmd, "bad option");
		name = optarg;
	}
	if (argc - optind != 1)
		return cli_usage(cmd, "token add needs one user id");
	if (!name)
		return cli_usage(cmd, "token add needs --name (what the token is for)");
	const char *user = argv[optind];
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	char token[DS_TOKEN_CHARS];
	long id = 0;
	ds_err err = ds_api_token_add(st, user, name, (ds_time)time(NULL), token, &id, &d);
	ds_store_close(st);
	if (err)
		return cli_refused(c, err, &d);
	/* the only time the token exists outside its holder: the database
	 * keeps its hash */
	if (c->json) {
		cli_print_json(json_pack("{s:I, s:s, s:s, s:s}", "token_id", (json_int_t)id,
		                         "user_id", user, "name", name, "token", token));
	} else {
		printf("%s\n", token);
		if (!c->quiet)
			fprintf(stderr,
			        "API token %ld (%s) for %s: shown once, keep it now (the database "
			        "keeps only its hash)\n",
			        id, name, user);
	}
	sodium_memzero(token, sizeof token);
	return EXIT_OK;
}

static int token_revoke(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	if (argc - optind != 1)
		return cli_usage(cmd, "token revoke needs one token id");
	char *e;
	errno = 0;
	long id = strtol(argv[optind], &e, 10);
	if (*e || e == argv[optind] || errno || id <= 0)
		return cli_usage(cmd, "not a token id: \"%s\"", argv[optind]);
	ds_store *st;
	int rc = cli_open_store(c, false, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_api_token_revoke(st, id, (ds_time)time(NULL), &d);
	ds_store_close(st);
	if (err)
		return cli_refused(c, err, &d);
	if (c->json)
		cli_print_json(json_pack("{s:I, s:b}", "token_id", (json_int_t)id, "revoked", 1));
	else if (!c->quiet)
		printf("API token %ld revoked\n", id);
	return EXIT_OK;
}

static int token_list(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	if (argc - optind > 1)
		return cli_usage(cmd, "token list takes at most a user id");
	/* never the hashes: a listing is not where they belong */
	return listing(c,
	               "SELECT token_id, user_id, name, created_at, last_used_at, revoked_at"
	               " FROM api_tokens WHERE ?1 IS NULL OR user_id = ?1 ORDER BY token_id",
	               NULL, 0, argc - optind == 1 ? argv[optind] : NULL);
}

static int token(struct cli *c, const struct cli_command *cmd, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(cmd, "token needs add, revoke or list");
	const char *sub = argv[1];
	optind = 0;
	if (strcmp(sub, "add") == 0)
		return token_add(c, cmd, argc - 1, argv + 1);
	optind = 1;
	if (strcmp(sub, "revoke") == 0)
		return token_revoke(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return token_list(c, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown token subcommand '%s'", sub);
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("user");
	if (argc < 2 || cli_wants_help(argc, argv)) {
		if (argc < 2)
			return cli_usage(cmd,
			                 "need a subcommand: add, passwd, disable, list or token");
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	const char *sub = argv[1];
	/* the subcommand's own arguments, parsed afresh (argv[0] is its name) */
	optind = 0;
	if (strcmp(sub, "add") == 0)
		return add(c, cmd, argc - 1, argv + 1);
	optind = 1;
	if (strcmp(sub, "passwd") == 0)
		return passwd(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "disable") == 0)
		return disable(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return list(c, cmd, argc - 1, argv + 1);
	if (strcmp(sub, "token") == 0)
		return token(c, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", sub);
}

const struct cli_command cli_cmd_user = {
	"user",
	"users of the server and the API: add, passwd, disable, list, tokens",
	"user add USER --role ROLE [--staff STAFF_ID]   (password: first line of stdin)\n"
	"       user passwd USER                            (password: first line of stdin)\n"
	"       user disable USER\n"
	"       user list\n"
	"       user token add USER --name NAME\n"
	"       user token revoke TOKEN_ID\n"
	"       user token list [USER]",
	"Roles: admin, manager, collector, community_worker, analyst, auditor.\n"
	"Collectors and community workers are staff members of that role\n"
	"(--staff, from the staff import); the others may be staff of an office\n"
	"role or no staff at all.\n"
	"The password is read from the first line of standard input (never from\n"
	"the command line); on a terminal it is asked twice, without echo. At\n"
	"least 10 bytes, at most 1024; stored as an argon2id hash.\n"
	"'passwd' ends the user's sessions; 'disable' ends them and revokes the\n"
	"user's API tokens. 'token add' prints the new token once, on stdout:\n"
	"the database keeps only its SHA-256. Every change is in the audit log,\n"
	"without passwords or tokens. See docs/auth.md.\n",
	run,
};

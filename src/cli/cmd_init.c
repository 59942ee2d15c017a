/* doorstep init: create or upgrade the database and the data-protection key. */
#include "cli.h"

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("init");
	if (cli_wants_help(argc, argv)) {
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	if (argc > 1)
		return cli_usage(cmd, "unexpected argument '%s'", argv[1]);
	struct ds_diag d;
	ds_diag_clear(&d);
	char keypath[1024];
	struct ds_pii_key key;
	cli_key_path(c, keypath, sizeof keypath);
	ds_store *st;
	int rc = cli_open_store(c, true, &st);
	if (rc)
		return rc;
	int before = ds_store_schema_version(st), applied = 0;
	/* A new key for a database that already sealed data under another
	 * would make that data unreadable: only a fresh database gets one. */
	bool bound = before > 0 && ds_store_has_key(st);
	ds_err err = ds_pii_key_load(keypath, !bound, &key, &d);
	if (err == DS_ECRYPTO && bound)
		ds_diag_set(&d, err, keypath, 0, NULL,
		            "key file missing or unreadable, and this database already holds "
		            "data sealed with its key: restore the key file from its backup");
	if (!err)
		err = ds_store_migrate(st, &applied, &d);
	if (!err)
		err = ds_store_check_key(st, &key, &d);
	int after = ds_store_schema_version(st);
	ds_store_close(st);
	if (err)
		return cli_fail(c, err, &d);
	const char *db = ds_config_str(&c->cfg, DS_CFG_DB_PATH);
	if (c->json)
		cli_print_json(json_pack("{s:s, s:s, s:i, s:i, s:i}", "database", db, "key_file",
		                         keypath, "schema_before", before, "schema", after,
		                         "migrations_applied", applied));
	else if (!c->quiet)
		printf("%s: schema version %d (%d migration%s applied); key file %s\n", db, after,
		       applied, applied == 1 ? "" : "s", keypath);
	return EXIT_OK;
}

const struct cli_command cli_cmd_init = {
	"init",
	"create the database, or upgrade it to this version's schema",
	"init",
	"Applies every pending numbered migration, each in its own transaction.\n"
	"A new database also gets its data-protection key file (mode 0600; by\n"
	"default the database path plus '.key', [security] key_file), which is\n"
	"bound to the database: a database that already sealed data with a key\n"
	"never gets a new one, so keep the key file backed up, apart from the\n"
	"database backups. Safe to run again.\n",
	run,
};

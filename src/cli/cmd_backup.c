/* doorstep backup / doorstep restore: the whole database copied to a file
 * and back (docs/storage.md). */
#include "cli.h"

#include <string.h>

static int run_copy(struct cli *c, int argc, char **argv, bool restore)
{
	const struct cli_command *cmd = cli_find(restore ? "restore" : "backup");
	if (cli_wants_help(argc, argv)) {
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(cmd, argc < 2 ? "a FILE is needed" : "one FILE, and no options");
	const char *file = argv[1];
	/* a restore may go into a new or empty database */
	ds_store *st;
	int rc = cli_open_store(c, restore, &st);
	if (rc)
		return rc;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = restore ? ds_store_restore(st, file, &d) : ds_store_backup(st, file, &d);
	ds_store_close(st);
	if (err)
		return cli_fail(c, err, &d);
	const char *db = ds_config_str(&c->cfg, DS_CFG_DB_PATH);
	if (c->json)
		cli_print_json(json_pack("{s:s, s:s, s:s}", "database", db,
		                         restore ? "restored_from" : "backup", file, "action",
		                         restore ? "restore" : "backup"));
	else if (!c->quiet)
		printf(restore ? "%s: restored from %s\n" : "%s: backed up to %s\n", db, file);
	return EXIT_OK;
}

static int run_backup(struct cli *c, int argc, char **argv)
{
	return run_copy(c, argc, argv, false);
}

static int run_restore(struct cli *c, int argc, char **argv)
{
	return run_copy(c, argc, argv, true);
}

const struct cli_command cli_cmd_backup = {
	"backup",
	"copy the whole database to a new file, while it is in use",
	"backup FILE",
	"Copies the database as it stood at one instant into FILE (SQLite's\n"
	"online backup: imports and field users go on writing meanwhile). FILE\n"
	"must not exist; it appears only once complete. The backup is written\n"
	"to the audit log. The data-protection key file is not in it: keep that\n"
	"backed up too, apart. A PostgreSQL database is backed up with pg_dump.\n",
	run_backup,
};

const struct cli_command cli_cmd_restore = {
	"restore",
	"replace the whole database with a backup",
	"restore FILE",
	"Replaces everything in the database (which may be new or empty) with\n"
	"the backup FILE, once FILE is known to be a doorstep database of this\n"
	"version's schema with an intact audit log; the restore is then written\n"
	"to its audit log. It waits for other writers to finish. The key file\n"
	"that belongs to the backup must be restored with it.\n",
	run_restore,
};

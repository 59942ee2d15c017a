/* doorstep audit: the audit log: verify its hash chain, show entries (being written). */
#include "cli.h"

static int run(struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_usage(cli_find("audit"), "not yet available");
}

const struct cli_command cli_cmd_audit = {
	"audit", "the audit log: verify its hash chain, show entries", "audit ...", "See docs/server.md.\n", run,
};

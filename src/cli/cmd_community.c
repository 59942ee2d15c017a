/* doorstep community: community cooperation and literacy events (being written). */
#include "cli.h"

static int run(struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_usage(cli_find("community"), "not yet available");
}

const struct cli_command cli_cmd_community = {
	"community", "community cooperation and literacy events", "community ...", "See docs/field.md.\n", run,
};

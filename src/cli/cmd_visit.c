/* doorstep visit: a visit through its life (being written). */
#include "cli.h"

static int run(struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_usage(cli_find("visit"), "not yet available");
}

const struct cli_command cli_cmd_visit = {
	"visit", "a visit through its life", "visit ...", "See docs/field.md.\n", run,
};

/* doorstep promise: promises to pay (being written). */
#include "cli.h"

static int run(struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_usage(cli_find("promise"), "not yet available");
}

const struct cli_command cli_cmd_promise = {
	"promise", "promises to pay", "promise ...", "See docs/field.md.\n", run,
};

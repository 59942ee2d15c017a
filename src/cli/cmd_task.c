/* doorstep task: follow-up tasks (being written). */
#include "cli.h"

static int run(struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_usage(cli_find("task"), "not yet available");
}

const struct cli_command cli_cmd_task = {
	"task", "follow-up tasks", "task ...", "See docs/field.md.\n", run,
};

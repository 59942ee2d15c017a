/* doorstep outbox: messages waiting for delivery (being written). */
#include "cli.h"

static int run(struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_usage(cli_find("outbox"), "not yet available");
}

const struct cli_command cli_cmd_outbox = {
	"outbox", "messages waiting for delivery", "outbox ...", "See docs/field.md.\n", run,
};

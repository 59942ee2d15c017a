/* doorstep serve: the HTTP JSON API and the web UI (being written). */
#include "cli.h"

static int run(struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_usage(cli_find("serve"), "not yet available");
}

const struct cli_command cli_cmd_serve = {
	"serve", "the HTTP JSON API and the web UI", "serve ...", "See docs/server.md.\n", run,
};

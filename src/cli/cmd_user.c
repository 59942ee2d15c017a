/* doorstep user: users of the server and the API: add, passwd, disable, list, tokens (being written). */
#include "cli.h"

static int run(struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_usage(cli_find("user"), "not yet available");
}

const struct cli_command cli_cmd_user = {
	"user", "users of the server and the API: add, passwd, disable, list, tokens", "user ...", "See docs/server.md.\n", run,
};

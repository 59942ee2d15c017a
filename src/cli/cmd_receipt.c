/* doorstep receipt: receipts for money taken at the door (being written). */
#include "cli.h"

static int run(struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_usage(cli_find("receipt"), "not yet available");
}

const struct cli_command cli_cmd_receipt = {
	"receipt", "receipts for money taken at the door", "receipt ...", "See docs/field.md.\n", run,
};

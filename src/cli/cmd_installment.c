/* doorstep installment: installment plans (being written). */
#include "cli.h"

static int run(struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_usage(cli_find("installment"), "not yet available");
}

const struct cli_command cli_cmd_installment = {
	"installment", "installment plans", "installment ...", "See docs/field.md.\n", run,
};

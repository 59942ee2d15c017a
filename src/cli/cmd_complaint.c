/* doorstep complaint: complaints and their holds (being written). */
#include "cli.h"

static int run(struct cli *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	return cli_usage(cli_find("complaint"), "not yet available");
}

const struct cli_command cli_cmd_complaint = {
	"complaint", "complaints and their holds", "complaint ...", "See docs/field.md.\n", run,
};

/* doorstep config: the effective settings and where each came from. */
#include "cli.h"

#include <string.h>

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("config");
	if (cli_wants_help(argc, argv)) {
		cli_help(cmd, stdout);
		return EXIT_OK;
	}
	if (argc > 1)
		return cli_usage(cmd, "unexpected argument '%s'", argv[1]);
	const struct ds_cfg_def *defs = ds_config_defs();
	json_t *arr = c->json ? json_array() : NULL;
	if (!arr)
		printf("# settings file: %s\n", c->cfg.file[0] ? c->cfg.file : "(none)");
	const char *section = "";
	for (int k = 0; k < DS_CFG_COUNT_; k++) {
		const char *v = ds_config_str(&c->cfg, (ds_cfg_key)k);
		if (arr) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s}", "section",
			                                     defs[k].section, "key", defs[k].name,
			                                     "value", v, "source", c->cfg.source[k],
			                                     "env", defs[k].env));
			continue;
		}
		if (strcmp(section, defs[k].section) != 0) {
			section = defs[k].section;
			printf("\n[%s]\n", section);
		}
		printf("%s = %s\t; %s (%s, $%s)\n", defs[k].name, v, defs[k].doc, c->cfg.source[k],
		       defs[k].env);
	}
	if (arr)
		cli_print_json(json_pack("{s:s, s:o}", "file", c->cfg.file, "settings", arr));
	return EXIT_OK;
}

const struct cli_command cli_cmd_config = {
	"config",
	"print the effective settings and where each comes from",
	"config",
	"Settings come from built-in defaults, then the settings file (--config,\n"
	"$DOORSTEP_CONFIG, or ./doorstep.ini), then environment variables, then\n"
	"command-line options. The output is itself a valid settings file.\n"
	"docs/configuration.md describes every key.\n",
	run,
};

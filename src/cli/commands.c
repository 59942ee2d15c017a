/* The command table: every command, in the order `doorstep --help` lists. */
#include "cli.h"

extern const struct cli_command cli_cmd_init, cli_cmd_import, cli_cmd_summary, cli_cmd_dpd,
        cli_cmd_config, cli_cmd_demo, cli_cmd_generate, cli_cmd_simulate, cli_cmd_rules,
        cli_cmd_hold, cli_cmd_model, cli_cmd_experiment, cli_cmd_uplift, cli_cmd_plan,
        cli_cmd_route, cli_cmd_visit, cli_cmd_outbox, cli_cmd_promise, cli_cmd_installment,
        cli_cmd_receipt, cli_cmd_complaint, cli_cmd_task, cli_cmd_community, cli_cmd_user,
        cli_cmd_audit, cli_cmd_serve, cli_cmd_report, cli_cmd_backup, cli_cmd_restore;

const struct cli_command *const cli_commands[] = {
	&cli_cmd_init,        &cli_cmd_import,   &cli_cmd_summary,   &cli_cmd_dpd,
	&cli_cmd_generate,    &cli_cmd_simulate, &cli_cmd_rules,     &cli_cmd_hold,
	&cli_cmd_model,       &cli_cmd_uplift,   &cli_cmd_plan,      &cli_cmd_experiment,
	&cli_cmd_route,       &cli_cmd_visit,    &cli_cmd_outbox,    &cli_cmd_promise,
	&cli_cmd_installment, &cli_cmd_receipt,  &cli_cmd_complaint, &cli_cmd_task,
	&cli_cmd_community,   &cli_cmd_report,   &cli_cmd_user,      &cli_cmd_audit,
	&cli_cmd_backup,      &cli_cmd_restore,  &cli_cmd_serve,     &cli_cmd_config,
	&cli_cmd_demo,
};
const int cli_command_count = (int)(sizeof cli_commands / sizeof cli_commands[0]);

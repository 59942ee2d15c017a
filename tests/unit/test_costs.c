/* Unit tests of treatment costs: the defaults, settings, and agreement
 * with what the simulator charges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "doorstep/sim.h"
#include "doorstep/strategy.h"

static void defaults(void **state)
{
	(void)state;
	struct ds_costs c;
	ds_costs_from_config(NULL, &c);
	assert_int_equal(ds_treatment_cost(&c, DS_T_NONE, -1), 0);
	assert_int_equal(ds_treatment_cost(&c, DS_T_SMS, -1), 5);
	/* 5 agent minutes at 48 yuan an hour */
	assert_int_equal(ds_treatment_cost(&c, DS_T_CALL, -1), 400);
	assert_int_equal(ds_treatment_cost(&c, DS_T_LETTER, -1), 300);
	/* 90 minutes of a collector (60/h) and a community worker (20/h), and travel */
	assert_int_equal(ds_treatment_cost(&c, DS_T_VISIT, -1), 9000 + 3000 + 2500);
	/* the route planner's travel replaces the configured one */
	assert_int_equal(ds_treatment_cost(&c, DS_T_VISIT, 800), 9000 + 3000 + 800);
	assert_int_equal(ds_treatment_cost(&c, DS_T_PLAN, -1), 2000);
	assert_int_equal(ds_treatment_cost(&c, DS_T_LEGAL, -1), 60000);
	assert_true(ds_treatment_use(&c, DS_T_CALL) == 5);
	assert_true(ds_treatment_use(&c, DS_T_VISIT) == 90);
	assert_true(ds_treatment_use(&c, DS_T_SMS) == 1);
	assert_true(ds_treatment_use(&c, DS_T_NONE) == 0);
}

/* The bank's default costs are what the simulated city charges, so a plan
 * made with the defaults is judged by the same prices. */
static void as_the_simulator_charges(void **state)
{
	(void)state;
	struct ds_costs c;
	ds_costs_from_config(NULL, &c);
	struct ds_sim_params p;
	ds_sim_params_default(&p);
	struct {
		ds_treatment t;
		double yuan;
	} want[] = {
		{ DS_T_SMS, ds_sim_param(&p, "cost.sms") },
		{ DS_T_CALL, ds_sim_param(&p, "cost.call") },
		{ DS_T_LETTER, ds_sim_param(&p, "cost.letter") },
		{ DS_T_VISIT, ds_sim_param(&p, "cost.visit_collector") +
		                      ds_sim_param(&p, "cost.visit_partner") +
		                      ds_sim_param(&p, "cost.visit_travel") },
		{ DS_T_PLAN, ds_sim_param(&p, "cost.plan") },
		{ DS_T_LEGAL, ds_sim_param(&p, "cost.legal") },
	};
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
		assert_false(isnan(want[k].yuan));
		assert_int_equal(ds_treatment_cost(&c, want[k].t, -1), llround(want[k].yuan * 100));
	}
}

static void from_settings(void **state)
{
	(void)state;
	struct ds_config cfg;
	struct ds_diag d;
	memset(&cfg, 0, sizeof cfg);
	assert_int_equal(ds_config_load(&cfg, NULL, &d), DS_OK);
	assert_int_equal(ds_config_set(&cfg, DS_CFG_COST_CALL_MINUTES, "8", "option", &d), DS_OK);
	assert_int_equal(ds_config_set(&cfg, DS_CFG_COST_TRAVEL_FEN, "0", "option", &d), DS_OK);
	assert_int_equal(ds_config_set(&cfg, DS_CFG_COST_SMS_FEN, "-3", "option", &d), DS_ECONFIG);
	struct ds_costs c;
	ds_costs_from_config(NULL, &c);
	assert_int_equal(c.complaint, 100000); /* 1,000 yuan by default */
	assert_int_equal(ds_config_set(&cfg, DS_CFG_COST_COMPLAINT_FEN, "250000", "option", &d),
	                 DS_OK);
	ds_costs_from_config(&cfg, &c);
	assert_int_equal(c.complaint, 250000);
	assert_int_equal(ds_treatment_cost(&c, DS_T_CALL, -1), 640);
	assert_int_equal(ds_treatment_cost(&c, DS_T_VISIT, -1), 12000);
	assert_int_equal(ds_treatment_cost(&c, DS_T_SMS, -1), 5);
	ds_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(as_the_simulator_charges),
		cmocka_unit_test(from_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

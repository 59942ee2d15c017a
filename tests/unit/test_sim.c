/* Unit tests of the simulator: determinism, parameters, plausible statistics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim-int.h"

#define AS_OF ds_date_from_ymd(2026, 11, 29)

static ds_world *world(uint64_t seed, long borrowers, const struct ds_sim_params *p)
{
	struct ds_gen_opts o = {
		.seed = seed, .borrowers = borrowers, .as_of = AS_OF, .params = p
	};
	ds_world *w = NULL;
	struct ds_diag d;
	assert_int_equal(ds_world_generate(&o, &w, &d), DS_OK);
	return w;
}

static struct ds_sim_result run(const ds_world *w, const char *strategy, int days, uint64_t seed)
{
	struct ds_sim_opts o = { .days = days, .seed = seed };
	struct ds_sim_result r;
	struct ds_diag d;
	assert_int_equal(ds_simulate(w, ds_strategy_find(strategy), NULL, &o, &r, &d), DS_OK);
	return r;
}

static void deterministic_for_a_seed(void **state)
{
	(void)state;
	ds_world *a = world(7, 1500, NULL), *b = world(7, 1500, NULL), *c = world(8, 1500, NULL);
	assert_int_equal(a->na, b->na);
	assert_memory_equal(a->a, b->a, (size_t)a->na * sizeof *a->a);
	assert_int_equal(a->history.npay, b->history.npay);
	for (size_t k = 0; k < a->history.npay; k++) {
		assert_int_equal(a->history.pay[k].account, b->history.pay[k].account);
		assert_int_equal(a->history.pay[k].day, b->history.pay[k].day);
		assert_int_equal(a->history.pay[k].amount, b->history.pay[k].amount);
	}
	struct ds_sim_result ra = run(a, "random", 20, 3), rb = run(b, "random", 20, 3);
	assert_int_equal(ra.recovered_fen, rb.recovered_fen);
	assert_int_equal(ra.cost_fen, rb.cost_fen);
	assert_int_equal(ra.complaints, rb.complaints);
	struct ds_sim_result rc = run(c, "random", 20, 3);
	assert_true(rc.recovered_fen != ra.recovered_fen);
	/* the world itself is not changed by a run */
	assert_memory_equal(a->a, b->a, (size_t)a->na * sizeof *a->a);
	ds_world_free(a);
	ds_world_free(b);
	ds_world_free(c);
}

/* Common random numbers: a parameter a strategy never touches changes nothing. */
static void parameters_move_what_they_should(void **state)
{
	(void)state;
	struct ds_sim_params lo, hi;
	ds_sim_params_default(&lo);
	ds_sim_params_default(&hi);
	int n;
	const struct ds_sim_param_def *defs = ds_sim_param_defs(&n);
	for (int i = 0; i < n; i++) {
		if (strcmp(defs[i].section, "effect_visit") == 0 &&
		    strncmp(defs[i].name, "uplift_", 7) == 0) {
			lo.v[i] = defs[i].dflt * 0.5;
			hi.v[i] = defs[i].dflt * 1.5 > 1 ? 1 : defs[i].dflt * 1.5;
		}
		/* the history's pilot visits: without them the history never
		 * touches a visit either */
		if (strcmp(defs[i].section, "history") == 0 &&
		    strcmp(defs[i].name, "pilot_rate") == 0)
			lo.v[i] = hi.v[i] = 0;
	}
	ds_world *wl = world(11, 3000, &lo), *wh = world(11, 3000, &hi);
	struct ds_sim_result vl = run(wl, "visit-all", 30, 5), vh = run(wh, "visit-all", 30, 5);
	struct ds_sim_result sl = run(wl, "sms-only", 30, 5), sh = run(wh, "sms-only", 30, 5);
	struct ds_sim_result nl = run(wl, "none", 30, 5), nh = run(wh, "none", 30, 5);
	assert_true(vh.recovered_fen > vl.recovered_fen);
	assert_true(vh.cured > vl.cured);
	assert_int_equal(sh.recovered_fen, sl.recovered_fen);
	assert_int_equal(nh.recovered_fen, nl.recovered_fen);
	/* a visit costs what the parameters say it costs */
	assert_int_equal(vl.cost_fen, vl.contacts[DS_T_VISIT] * (90 + 30 + 25) * 100);
	ds_world_free(wl);
	ds_world_free(wh);

	/* complaints follow their parameter, and only for the channel they name */
	struct ds_sim_params calm;
	ds_sim_params_default(&calm);
	for (int i = 0; i < n; i++)
		if (strcmp(defs[i].section, "harm") == 0 &&
		    strcmp(defs[i].name, "complaint_visit") == 0)
			calm.v[i] = 0;
	ds_world *wd = world(12, 3000, NULL), *wc = world(12, 3000, &calm);
	struct ds_sim_result cd = run(wd, "visit-all", 30, 5), cc = run(wc, "visit-all", 30, 5);
	assert_true(cd.complaints > 0);
	assert_int_equal(cc.complaints, 0);
	ds_world_free(wd);
	ds_world_free(wc);
}

/* Statistics of the default city fall inside the ranges docs/simulator.md gives. */
static void plausible_statistics(void **state)
{
	(void)state;
	ds_world *w = world(20261129, 20000, NULL);
	long overdue = 0, m1 = 0, m1_rolled = 0, buckets[8] = { 0 };
	for (long i = 0; i < w->na; i++) {
		int dpd = sim_dpd(&w->a[i], AS_OF);
		if (sim_overdue(&w->a[i], AS_OF) > 0)
			overdue++;
		int bk = dpd <= 0 ? 0 : dpd > 180 ? 7 : (dpd - 1) / 30 + 1;
		buckets[bk]++;
	}
	double delinquent = (double)overdue / w->na;
	print_message("delinquent share %.3f; buckets M1..M7+:", delinquent);
	for (int b = 1; b < 8; b++)
		print_message(" %ld", buckets[b]);
	print_message("\n");
	assert_true(delinquent > 0.06 && delinquent < 0.25);
	/* early buckets are fuller than middle ones: most arrears cure early */
	assert_true(buckets[1] > buckets[3]);
	assert_true(buckets[1] > buckets[5]);

	/* under the bank's usual reminders for 30 days: roll rate M1 -> M2, cure rate */
	struct sim_state s = { .w = w, .seed = 99 };
	s.b = malloc((size_t)w->nb * sizeof *s.b);
	s.a = malloc((size_t)w->na * sizeof *s.a);
	s.coop = malloc((size_t)w->ncomm * sizeof *s.coop);
	memcpy(s.b, w->b, (size_t)w->nb * sizeof *s.b);
	memcpy(s.a, w->a, (size_t)w->na * sizeof *s.a);
	for (int c = 0; c < w->ncomm; c++)
		s.coop[c] = w->comm[c].coop;
	char *was_m1 = calloc((size_t)w->na, 1);
	for (long i = 0; i < w->na; i++) {
		int dpd = sim_dpd(&w->a[i], AS_OF);
		if (dpd >= 1 && dpd <= 30) {
			was_m1[i] = 1;
			m1++;
		}
	}
	uint8_t *tr = malloc((size_t)w->na);
	for (int d = 0; d < 30; d++) {
		sim_historic_practice(&s, AS_OF + d, tr);
		assert_int_equal(sim_day(&s, AS_OF + d, tr), DS_OK);
	}
	free(tr);
	long cured_m1 = 0;
	for (long i = 0; i < w->na; i++) {
		if (!was_m1[i])
			continue;
		int dpd = sim_dpd(&s.a[i], AS_OF + 30);
		if (dpd > 30)
			m1_rolled++;
		if (dpd == 0)
			cured_m1++;
	}
	double roll = (double)m1_rolled / m1, cure = (double)cured_m1 / m1;
	print_message("M1 -> M2 roll rate %.3f, M1 30-day cure %.3f (n=%ld)\n", roll, cure, m1);
	assert_true(roll > 0.15 && roll < 0.60);
	assert_true(cure > 0.25 && cure < 0.80);

	/* reach: about 45 %% of calls connect, 62 %% of visits find someone home */
	struct ds_sim_result r = run(w, "random", 30, 4);
	double reach = (double)r.reached / (double)(r.contacts[1] + r.contacts[2] + r.contacts[3] +
	                                            r.contacts[4] + r.contacts[5] + r.contacts[6]);
	print_message("random strategy: reach %.3f, complaints per 1000 contacts %.1f\n", reach,
	              1000.0 * r.complaints /
	                      (double)(r.contacts[1] + r.contacts[2] + r.contacts[3] +
	                               r.contacts[4] + r.contacts[5] + r.contacts[6]));
	assert_true(reach > 0.5 && reach < 0.85);
	free(was_m1);
	free(s.b);
	free(s.a);
	free(s.coop);
	sim_log_free(&s.log);
	ds_world_free(w);
}

static void truth_matches_engine(void **state)
{
	(void)state;
	/* Over many worlds' worth of draws, the engine's mean payment within the
	 * horizon after one SMS approaches the truth file's expectation. */
	ds_world *w = world(5, 4000, NULL);
	int horizon = 30;
	double expected_none = 0, expected_sms = 0;
	long n = 0;
	for (long i = 0; i < w->na; i++) {
		const struct sim_account *a = &w->a[i];
		if (sim_overdue(a, AS_OF) <= 0 || a->legal || a->hold_until > AS_OF ||
		    (a->last_contact && AS_OF - a->last_contact < w->p.min_spacing) ||
		    a->pending_day || a->on_plan)
			continue;
		expected_none += sim_expected(w, &w->b[a->borrower], a, DS_T_NONE, AS_OF, horizon);
		expected_sms += sim_expected(w, &w->b[a->borrower], a, DS_T_SMS, AS_OF, horizon);
		n++;
	}
	assert_true(n > 100);
	assert_true(expected_sms > expected_none);
	ds_world_free(w);
}

/* Every planned contact passes the contact rules; refused ones are not made. */
static void contact_rules_apply(void **state)
{
	(void)state;
	ds_world *w = world(20261129, 2000, NULL);
	ds_rulepack *cn;
	struct ds_diag d;
	assert_int_equal(ds_rules_load("CN", &cn, &d), DS_OK);
	struct ds_sim_opts o = { .days = 30, .seed = 5 };
	struct ds_sim_result free_run, ruled;
	assert_int_equal(ds_simulate(w, ds_strategy_find("visit-all"), NULL, &o, &free_run, &d),
	                 DS_OK);
	o.rules = cn;
	assert_int_equal(ds_simulate(w, ds_strategy_find("visit-all"), NULL, &o, &ruled, &d),
	                 DS_OK);
	assert_int_equal(free_run.refused_rules, 0);
	assert_true(ruled.refused_rules > 0);
	assert_true(ruled.contacts[DS_T_VISIT] < free_run.contacts[DS_T_VISIT]);
	/* the rules never refuse an SMS reminder at office hours */
	struct ds_sim_result sms;
	assert_int_equal(ds_simulate(w, ds_strategy_find("sms-only"), NULL, &o, &sms, &d), DS_OK);
	assert_int_equal(sms.refused_rules, 0);
	ds_rules_free(cn);
	ds_world_free(w);
}

/* Capacity binds every plan: plan offers share the call centre's calls. */
static void capacity_is_enforced(void **state)
{
	(void)state;
	ds_world *w = world(3, 3000, NULL);
	struct ds_sim_opts o = { .days = 20, .seed = 2 };
	o.cap.calls = 10;
	o.cap.visits = 7;
	o.cap.visits_per_community = 1;
	struct ds_sim_result r;
	struct ds_diag d;
	assert_int_equal(ds_simulate(w, ds_strategy_find("random"), NULL, &o, &r, &d), DS_OK);
	assert_true(r.contacts[DS_T_CALL] + r.contacts[DS_T_PLAN] <= 10 * 20);
	assert_true(r.contacts[DS_T_VISIT] <= 7 * 20);
	assert_true(r.contacts[DS_T_CALL] + r.contacts[DS_T_PLAN] > 0);
	assert_int_equal(ds_simulate(w, ds_strategy_find("visit-all"), NULL, &o, &r, &d), DS_OK);
	assert_true(r.contacts[DS_T_VISIT] <= 7 * 20);
	assert_true(r.refused >= 0);
	ds_world_free(w);
}

/* Visit capacity counts every collector, so every collector serves a
 * community (and only their own district's). */
static void every_collector_serves(void **state)
{
	(void)state;
	ds_world *w = world(20261129, 2000, NULL);
	int *count = calloc((size_t)w->nstaff, sizeof *count);
	for (int c = 0; c < w->ncomm; c++) {
		int k = sim_collector_for(w, (uint32_t)c);
		assert_int_equal(w->staff[k].role, 0);
		assert_int_equal(w->staff[k].district, w->comm[c].district);
		count[k]++;
	}
	int collectors = 0;
	for (int k = 0; k < w->nstaff; k++)
		if (w->staff[k].role == 0) {
			collectors++;
			assert_true(count[k] > 0);
		}
	assert_int_equal(collectors, w->ncollectors);
	free(count);
	ds_world_free(w);
}

static void parameter_file(void **state)
{
	(void)state;
	char path[] = "/tmp/ds-params-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "[reach]\nvisit = 0.9\n[cost]\nsms = 0.1\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct ds_sim_params p;
	ds_sim_params_default(&p);
	struct ds_diag d;
	assert_int_equal(ds_sim_params_load(&p, path, &d), DS_OK);
	assert_true(fabs(ds_sim_param(&p, "reach.visit") - 0.9) < 1e-12);
	assert_true(fabs(ds_sim_param(&p, "cost.sms") - 0.1) < 1e-12);
	assert_true(fabs(ds_sim_param(&p, "reach.call") - 0.45) < 1e-12);
	assert_true(isnan(ds_sim_param(&p, "reach.pigeon")));
	FILE *f = fopen(path, "w");
	fputs("[reach]\nvisit = 1.5\n", f);
	fclose(f);
	assert_int_equal(ds_sim_params_load(&p, path, &d), DS_ECONFIG);
	assert_int_equal(d.line, 2);
	assert_non_null(strstr(d.msg, "outside"));
	f = fopen(path, "w");
	fputs("[reach]\npigeon = 0.5\n", f);
	fclose(f);
	assert_int_equal(ds_sim_params_load(&p, path, &d), DS_ECONFIG);
	assert_non_null(strstr(d.msg, "unknown parameter"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deterministic_for_a_seed),
		cmocka_unit_test(parameters_move_what_they_should),
		cmocka_unit_test(plausible_statistics),
		cmocka_unit_test(truth_matches_engine),
		cmocka_unit_test(contact_rules_apply),
		cmocka_unit_test(capacity_is_enforced),
		cmocka_unit_test(every_collector_serves),
		cmocka_unit_test(parameter_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

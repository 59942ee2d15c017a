/* Unit tests of the contact-rule engine: a scenario table per rule of the CN pack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doorstep/rules.h"

static ds_rulepack *cn;

static int setup(void **state)
{
	(void)state;
	struct ds_diag d;
	return ds_rules_load("CN", &cn, &d) == DS_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ds_rules_free(cn);
	return 0;
}

/* A Shanghai local wall-clock time as UTC. */
static ds_time sh(int y, int mo, int d, int h, int mi)
{
	ds_time t;
	assert_int_equal(ds_tz_from_local("Asia/Shanghai", y, mo, d, h, mi, 0, &t), DS_OK);
	return t;
}

static struct ds_team_member collector = { "S1", true, true, true, NULL, 0 };
static struct ds_team_member worker = { "S2", false, false, false, "C1", 0 };

static struct ds_proposal base_call(void)
{
	return (struct ds_proposal){
		.stage = DS_STAGE_PLAN,
		.channel = DS_CH_CALL,
		.party = DS_PARTY_BORROWER,
		.content = DS_CONTENT_REMINDER,
		.start = sh(2026, 6, 10, 10, 0),
		.duration_s = 300,
		.zone = "Asia/Shanghai",
		.number = "n1",
		.community_id = "C1",
	};
}

static struct ds_proposal base_visit(void)
{
	static struct ds_team_member team[2];
	team[0] = collector;
	team[1] = worker;
	struct ds_proposal p = base_call();
	p.channel = DS_CH_VISIT;
	p.duration_s = 1800;
	p.team = team;
	p.nteam = 2;
	return p;
}

/* Expects the verdict: allowed, or refused by exactly the rule `id`. */
static void expect(const struct ds_proposal *p, const char *id)
{
	struct ds_verdict v;
	struct ds_diag d;
	assert_int_equal(ds_rules_check(cn, p, &v, &d), DS_OK);
	if (!id) {
		if (!v.allow)
			print_error("refused by %s: %s\n", v.hits[0].rule_id, v.hits[0].reason_en);
		assert_true(v.allow);
		return;
	}
	assert_false(v.allow);
	bool found = false;
	for (int i = 0; i < v.nhits; i++)
		found |= strcmp(v.hits[i].rule_id, id) == 0;
	if (!found)
		print_error("expected %s, got %s\n", id, v.hits[0].rule_id);
	assert_true(found);
	assert_true(strlen(v.hits[0].reason_zh) > 0 && strlen(v.hits[0].reason_en) > 0);
}

static void hours(void **state)
{
	(void)state;
	struct ds_proposal p = base_call();
	p.duration_s = 0;
	p.start = sh(2026, 6, 10, 8, 0); /* the boundary minute */
	expect(&p, NULL);
	p.start = sh(2026, 6, 10, 7, 59); /* one minute early */
	expect(&p, "CN-HOURS");
	p.duration_s = 300;
	p.start = sh(2026, 6, 10, 21, 55); /* ends at 22:00 exactly */
	expect(&p, NULL);
	p.start = sh(2026, 6, 10, 21, 56); /* ends one minute over */
	expect(&p, "CN-HOURS");
	p.channel = DS_CH_LETTER; /* a letter is not a contact at an hour */
	expect(&p, NULL);
	/* the borrower's consent to quiet hours lifts the rule */
	p.channel = DS_CH_CALL;
	struct ds_hold consent = { "quiet_hours_consent", sh(2026, 1, 1, 0, 0), 0 };
	p.holds = &consent;
	p.nholds = 1;
	expect(&p, NULL);
	/* before the guideline took effect, its hours did not apply */
	p.nholds = 0;
	p.start = sh(2026, 1, 29, 23, 0);
	expect(&p, NULL);
	p.start = sh(2026, 1, 30, 23, 0);
	expect(&p, "CN-HOURS");
}

static void hours_in_the_borrowers_zone(void **state)
{
	(void)state;
	/* 09:00 in Urumqi is 11:00 in Shanghai; 07:30 there is refused */
	struct ds_proposal p = base_call();
	p.zone = "Asia/Urumqi";
	ds_time t;
	assert_int_equal(ds_tz_from_local("Asia/Urumqi", 2026, 6, 10, 7, 30, 0, &t), DS_OK);
	p.start = t;
	expect(&p, "CN-HOURS");
	assert_int_equal(ds_tz_from_local("Asia/Urumqi", 2026, 6, 10, 9, 0, 0, &t), DS_OK);
	p.start = t;
	expect(&p, NULL);
	p.zone = "Mars/Base";
	struct ds_verdict v;
	struct ds_diag d;
	assert_int_equal(ds_rules_check(cn, &p, &v, &d), DS_EINVAL);
}

static void call_caps(void **state)
{
	(void)state;
	struct ds_past_contact h[8];
	struct ds_proposal p = base_call();
	p.history = h;
	/* five unanswered attempts today on this number: a sixth is allowed */
	for (int i = 0; i < 8; i++)
		h[i] = (struct ds_past_contact){ sh(2026, 6, 10, 8, 10 + i), DS_CH_CALL,
			                         DS_PARTY_BORROWER, DS_OUT_UNANSWERED, "n1" };
	p.nhistory = 5;
	expect(&p, NULL);
	p.nhistory = 6; /* at the cap */
	expect(&p, "CN-UNANSWERED-CAP");
	/* another number is counted apart */
	p.number = "n2";
	expect(&p, NULL);
	/* yesterday's attempts do not count */
	p.number = "n1";
	for (int i = 0; i < 6; i++)
		h[i].at = sh(2026, 6, 9, 20, i);
	expect(&p, NULL);
	/* connected calls: three a day per debtor, across numbers */
	for (int i = 0; i < 3; i++)
		h[i] = (struct ds_past_contact){ sh(2026, 6, 10, 9, i), DS_CH_CALL,
			                         DS_PARTY_BORROWER, DS_OUT_CONNECTED,
			                         i ? "n2" : "n1" };
	p.nhistory = 2;
	expect(&p, NULL);
	p.nhistory = 3;
	expect(&p, "CN-CONNECTED-CAP");
	/* SMS are not calls */
	p.channel = DS_CH_SMS;
	expect(&p, NULL);
}

static void visit_team(void **state)
{
	(void)state;
	struct ds_proposal p = base_visit();
	expect(&p, NULL);
	p.nteam = 1; /* alone */
	expect(&p, "CN-VISIT-TEAM");
	struct ds_team_member team[2] = { collector, worker };
	p.team = team;
	p.nteam = 2;
	team[0].certified = false; /* expired certification */
	expect(&p, "CN-VISIT-TEAM");
	team[0].certified = true;
	team[1].community_id = "C9"; /* a worker outside their community */
	expect(&p, "CN-VISIT-TEAM");
	team[1].community_id = "C1";
	team[0].visits_today = 7; /* under the cap of 8 */
	expect(&p, NULL);
	team[0].visits_today = 8;
	expect(&p, "CN-VISIT-TEAM");
}

static void at_the_door(void **state)
{
	(void)state;
	struct ds_proposal p = base_visit();
	p.stage = DS_STAGE_ACT;
	p.notice_sent_at = p.start - 3 * 86400;
	p.identity_shown = true;
	expect(&p, NULL);
	p.identity_shown = false;
	expect(&p, "CN-VISIT-ENTRY");
	p.identity_shown = true;
	p.entering_home = true;
	expect(&p, "CN-VISIT-ENTRY");
	p.consent_to_enter = true;
	expect(&p, NULL);
	/* the advance notice: 3 days, to the second */
	p.notice_sent_at = p.start - 3 * 86400 + 1;
	expect(&p, "CN-VISIT-NOTICE");
	p.notice_sent_at = 0;
	expect(&p, "CN-VISIT-NOTICE");
	/* at plan time the notice is not yet due */
	p.stage = DS_STAGE_PLAN;
	expect(&p, NULL);
}

static void holds_and_flags(void **state)
{
	(void)state;
	static const struct {
		const char *kind;
		ds_channel channel;
		const char *rule;
	} cases[] = {
		{ "dispute", DS_CH_SMS, "CN-HOLDS" },
		{ "complaint", DS_CH_CALL, "CN-HOLDS" },
		{ "bereavement", DS_CH_VISIT, "CN-HOLDS" },
		{ "cease", DS_CH_LETTER, "CN-HOLDS" },
		{ "breathing_space", DS_CH_SMS, "CN-HOLDS" },
		{ "do_not_visit", DS_CH_VISIT, "CN-HOLDS" },
		{ "do_not_visit", DS_CH_CALL, NULL },
		{ "illness", DS_CH_VISIT, "CN-HOLDS" },
		{ "vulnerable", DS_CH_VISIT, "CN-HOLDS" },
		{ "vulnerable", DS_CH_SMS, NULL },
		{ "legal", DS_CH_CALL, "CN-HOLDS" },
		{ "legal", DS_CH_LETTER, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ds_proposal p = cases[i].channel == DS_CH_VISIT ? base_visit() : base_call();
		p.channel = cases[i].channel;
		struct ds_hold h = { cases[i].kind, p.start - 86400, p.start + 86400 };
		p.holds = &h;
		p.nholds = 1;
		expect(&p, cases[i].rule);
		/* a hold that ended, or starts later, does not count */
		h.end = p.start;
		expect(&p, NULL);
		h.start = p.start + 60;
		h.end = 0;
		expect(&p, NULL);
	}
}

static void safety_risk(void **state)
{
	(void)state;
	struct ds_proposal p = base_visit();
	struct ds_hold h = { "safety_risk", 0, 0 };
	p.holds = &h;
	p.nholds = 1;
	expect(&p, NULL); /* two people, an experienced certified collector */
	struct ds_team_member team[2] = { collector, worker };
	team[0].experienced = false;
	p.team = team;
	expect(&p, "CN-SAFETY");
}

static void third_parties_and_content(void **state)
{
	(void)state;
	struct ds_proposal p = base_call();
	p.party = DS_PARTY_THIRD;
	p.content = DS_CONTENT_LOCATION_INQUIRY;
	expect(&p, "CN-THIRD-PARTY"); /* the borrower is reachable */
	p.borrower_unreachable = true;
	expect(&p, NULL);
	p.content = DS_CONTENT_DEBT_DETAILS; /* disclosing the debt */
	expect(&p, "CN-THIRD-PARTY");
	p.party = DS_PARTY_GUARANTOR; /* a guarantor may hear about it */
	expect(&p, NULL);
	p.party = DS_PARTY_BORROWER;
	p.content = DS_CONTENT_PUBLIC_NOTICE;
	expect(&p, "CN-NO-PUBLIC-NOTICE");
}

static void community_pressure(void **state)
{
	(void)state;
	struct ds_proposal p = base_visit();
	p.community_visits_week = 39;
	expect(&p, NULL);
	p.community_visits_week = 40;
	expect(&p, "CN-COMMUNITY-CAP");
}

static void overrides(void **state)
{
	(void)state;
	char path[] = "/tmp/ds-rules-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "{\"rules\": [{\"id\": \"CN-COMMUNITY-CAP\", \"params\": "
	                   "{\"max_visits_per_week\": 10}}, {\"id\": \"BANK-NO-EMAIL\", \"kind\": "
	                   "\"holds\", \"citation\": \"bank policy\", \"effective_from\": "
	                   "\"2020-01-01\", \"params\": {\"all\": [\"no_contact\"]}, "
	                   "\"reason_zh\": \"本行规定\", \"reason_en\": \"bank policy\"}]}";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ds_rulepack *pk;
	struct ds_diag d;
	assert_int_equal(ds_rules_load("CN", &pk, &d), DS_OK);
	int before = ds_rules_count(pk);
	assert_int_equal(ds_rules_override(pk, path, &d), DS_OK);
	assert_int_equal(ds_rules_count(pk), before + 1);
	ds_rulepack *keep = cn;
	cn = pk;
	struct ds_proposal p = base_visit();
	p.community_visits_week = 10;
	expect(&p, "CN-COMMUNITY-CAP");
	struct ds_hold h = { "no_contact", 0, 0 };
	p.community_visits_week = 0;
	p.holds = &h;
	p.nholds = 1;
	expect(&p, "BANK-NO-EMAIL");
	cn = keep;
	ds_rules_free(pk);
	/* a broken override names the file and the rule */
	FILE *f = fopen(path, "w");
	fputs("{\"rules\": [{\"id\": \"X1\", \"kind\": \"teleport\"}]}", f);
	fclose(f);
	assert_int_equal(ds_rules_load("CN", &pk, &d), DS_OK);
	assert_int_equal(ds_rules_override(pk, path, &d), DS_ECONFIG);
	assert_string_equal(d.field, "X1");
	assert_non_null(strstr(d.msg, "teleport"));
	ds_rules_free(pk);
	unlink(path);
	assert_int_equal(ds_rules_load("XX", &pk, &d), DS_ECONFIG);
}

static ds_rulepack *pack(const char *j)
{
	ds_rulepack *pk = NULL;
	struct ds_diag d;
	assert_int_equal(ds_rules_load(j, &pk, &d), DS_OK);
	assert_string_equal(ds_rules_jurisdiction(pk), j);
	return pk;
}

static void with_pack(const char *j, void (*fn)(void))
{
	ds_rulepack *keep = cn;
	cn = pack(j);
	fn();
	ds_rules_free(cn);
	cn = keep;
}

static ds_time ny(int y, int mo, int d, int h, int mi)
{
	ds_time t;
	assert_int_equal(ds_tz_from_local("America/New_York", y, mo, d, h, mi, 0, &t), DS_OK);
	return t;
}

static void us_cases(void)
{
	struct ds_proposal p = base_call();
	p.zone = "America/New_York";
	p.duration_s = 0;
	/* 12:30 UTC is 07:30 EST the day before DST starts, 08:30 EDT on the day */
	ds_time t;
	assert_int_equal(ds_time_parse("2026-03-07T12:30:00Z", "UTC", &t), DS_OK);
	p.start = t;
	expect(&p, "US-HOURS");
	assert_int_equal(ds_time_parse("2026-03-08T12:30:00Z", "UTC", &t), DS_OK);
	p.start = t;
	expect(&p, NULL);
	p.start = ny(2026, 3, 8, 20, 59);
	expect(&p, NULL);
	p.start = ny(2026, 3, 8, 21, 1);
	expect(&p, "US-HOURS");
	/* 7 calls in 7 days: the eighth waits; one older than 7 days is forgotten */
	struct ds_past_contact h[7];
	p.start = ny(2026, 6, 10, 12, 0);
	for (int i = 0; i < 7; i++)
		h[i] = (struct ds_past_contact){ p.start - (ds_time)i * 86400 - 3600, DS_CH_CALL,
			                         DS_PARTY_BORROWER, DS_OUT_UNANSWERED, "n1" };
	p.history = h;
	p.nhistory = 7;
	expect(&p, "US-7-IN-7");
	h[6].at = p.start - 7 * 86400;
	expect(&p, NULL);
	/* a conversation stops calls for 7 days */
	p.nhistory = 1;
	h[0] = (struct ds_past_contact){ p.start - 6 * 86400, DS_CH_CALL, DS_PARTY_BORROWER,
		                         DS_OUT_CONVERSATION, "n1" };
	expect(&p, "US-7-AFTER-CONVERSATION");
	h[0].at = p.start - 7 * 86400;
	expect(&p, NULL);
	/* one location inquiry of a third party, then no more */
	p.nhistory = 0;
	p.party = DS_PARTY_THIRD;
	p.content = DS_CONTENT_LOCATION_INQUIRY;
	expect(&p, NULL);
	h[0] = (struct ds_past_contact){ p.start - 86400 * 30, DS_CH_CALL, DS_PARTY_THIRD,
		                         DS_OUT_CONNECTED, "n9" };
	p.nhistory = 1;
	expect(&p, NULL); /* once per person: n9 is someone else */
	h[0].number = "n1";
	expect(&p, "US-THIRD-PARTY");
}

static void in_cases(void)
{
	struct ds_proposal p = base_visit();
	p.zone = "Asia/Kolkata";
	ds_time t;
	assert_int_equal(ds_tz_from_local("Asia/Kolkata", 2026, 6, 10, 18, 30, 0, &t), DS_OK);
	p.start = t; /* ends 19:00 exactly */
	expect(&p, NULL);
	p.start = t + 60;
	expect(&p, "IN-HOURS");
	p.start = t;
	struct ds_hold fest = { "festival", t - 3600, t + 86400 };
	p.holds = &fest;
	p.nholds = 1;
	expect(&p, "IN-SENSITIVE-OCCASIONS");
	p.nholds = 0;
	struct ds_team_member alone = collector;
	alone.certified = false;
	p.team = &alone;
	p.nteam = 1;
	expect(&p, "IN-AGENT-CERTIFIED");
	alone.certified = true;
	expect(&p, NULL);
	p.stage = DS_STAGE_ACT;
	expect(&p, "IN-AGENT-NAMED");
	p.notice_sent_at = t - 60;
	expect(&p, NULL);
	p.channel = DS_CH_CALL;
	p.party = DS_PARTY_FAMILY;
	p.content = DS_CONTENT_LOCATION_INQUIRY;
	expect(&p, "IN-BORROWER-ONLY");
}

static void uk_cases(void)
{
	struct ds_proposal p = base_visit();
	p.zone = "Europe/London";
	ds_time t;
	assert_int_equal(ds_tz_from_local("Europe/London", 2026, 10, 25, 10, 0, 0, &t), DS_OK);
	p.start = t; /* the day clocks go back */
	p.stage = DS_STAGE_ACT;
	p.identity_shown = true;
	p.notice_sent_at = t - 2 * 86400;
	expect(&p, NULL);
	p.notice_sent_at = t - 86400;
	expect(&p, "UK-VISIT-NOTICE");
	/* the notice is owed before the first visit only */
	struct ds_past_contact before = { t - 30 * 86400, DS_CH_VISIT, DS_PARTY_BORROWER,
		                          DS_OUT_CONVERSATION, NULL };
	p.history = &before;
	p.nhistory = 1;
	expect(&p, NULL);
	p.nhistory = 0;
	p.notice_sent_at = t - 2 * 86400;
	struct ds_hold v = { "vulnerable", 0, 0 };
	p.holds = &v;
	p.nholds = 1;
	expect(&p, "UK-VULNERABLE");
	p.channel = DS_CH_LETTER;
	expect(&p, NULL);
	struct ds_hold b = { "breathing_space", t - 86400, t + 59 * 86400 };
	p.holds = &b;
	expect(&p, "UK-BREATHING-SPACE");
}

/* Packs are checked strictly: a typo or a wrong type is an error. */
static void strict_packs(void **state)
{
	(void)state;
	static const struct {
		const char *rule, *why;
	} bad[] = {
		{ "\"params\": {\"max\": \"6\"}", "whole number" },
		{ "\"params\": {\"max\": -1}", "whole number" },
		{ "\"params\": {\"maxx\": 6}", "unknown parameter params.maxx" },
		{ "\"params\": {\"max\": 6, \"channels\": []}", "must list known channels" },
		{ "\"params\": {\"max\": 6}, \"effective_to\": \"2020-01-01\"",
		  "effective_to must come after" },
	};
	char path[] = "/tmp/ds-rules-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		FILE *f = fopen(path, "w");
		fprintf(f, "{\"rules\": [{\"id\": \"CN-UNANSWERED-CAP\", %s}]}", bad[i].rule);
		fclose(f);
		ds_rulepack *pk;
		struct ds_diag d;
		assert_int_equal(ds_rules_load("CN", &pk, &d), DS_OK);
		assert_int_equal(ds_rules_override(pk, path, &d), DS_ECONFIG);
		if (!strstr(d.msg, bad[i].why))
			print_error("case %zu: %s\n", i, d.msg);
		assert_non_null(strstr(d.msg, bad[i].why));
		assert_string_equal(d.field, "CN-UNANSWERED-CAP");
		ds_rules_free(pk);
	}
	FILE *f = fopen(path, "w");
	fputs("{\"rules\": [{\"id\": \"B1\", \"kind\": \"advance_notice\", \"citation\": \"x\", "
	      "\"reason_zh\": \"x\", \"reason_en\": \"x\", \"effective_from\": \"2020-01-01\", "
	      "\"params\": {\"days\": 1}}]}",
	      f);
	fclose(f);
	ds_rulepack *pk;
	struct ds_diag d;
	assert_int_equal(ds_rules_load("CN", &pk, &d), DS_OK);
	assert_int_equal(ds_rules_override(pk, path, &d), DS_ECONFIG);
	assert_non_null(strstr(d.msg, "params.channels"));
	ds_rules_free(pk);
	/* a whole pack naming a rule twice is refused, and what was read of
	 * the second copy is released (the sanitizer build checks leaks) */
	f = fopen(path, "w");
	for (int i = 0; i < 2; i++)
		fprintf(f,
		        "%s{\"id\": \"A1\", \"kind\": \"retention\", \"citation\": \"x\", "
		        "\"reason_zh\": \"x\", \"reason_en\": \"x\", "
		        "\"effective_from\": \"2020-01-01\", \"params\": {\"years\": 2}}%s",
		        i ? "," : "{\"jurisdiction\": \"XX\", \"rules\": [", i ? "]}" : "");
	fclose(f);
	assert_int_equal(ds_rules_load_file(path, &pk, &d), DS_ECONFIG);
	assert_non_null(strstr(d.msg, "appears twice"));
	assert_string_equal(d.field, "A1");
	unlink(path);
}

/* Seconds count: a call ending 30 s after the last allowed minute is refused,
 * and every refusing rule is counted even past the list's length. */
static void seconds_and_counts(void **state)
{
	(void)state;
	struct ds_proposal p = base_call();
	p.start = sh(2026, 6, 10, 21, 59);
	p.duration_s = 60;
	expect(&p, NULL);
	p.duration_s = 90;
	expect(&p, "CN-HOURS");
	p = base_visit();
	p.start = sh(2026, 6, 10, 23, 0);
	p.nteam = 1;
	p.community_visits_week = 99;
	p.content = DS_CONTENT_PUBLIC_NOTICE;
	struct ds_hold h[2] = { { "dispute", 0, 0 }, { "safety_risk", 0, 0 } };
	p.holds = h;
	p.nholds = 2;
	struct ds_verdict v;
	struct ds_diag d;
	assert_int_equal(ds_rules_check(cn, &p, &v, &d), DS_OK);
	assert_false(v.allow);
	assert_int_equal(v.nrefused, v.nhits);
	assert_true(v.nrefused >= 6);
}

static void other_packs(void **state)
{
	(void)state;
	with_pack("US", us_cases);
	with_pack("IN", in_cases);
	with_pack("UK", uk_cases);
	/* every rule of every pack lists with its citation and both reasons */
	static const char *const all[] = { "CN", "US", "IN", "UK" };
	for (int j = 0; j < 4; j++) {
		ds_rulepack *pk = pack(all[j]);
		assert_true(ds_rules_count(pk) >= 6);
		for (int i = 0; i < ds_rules_count(pk); i++) {
			struct ds_rule_info info;
			ds_rules_info(pk, i, &info);
			assert_true(strlen(info.citation) > 5);
			assert_true(strlen(info.reason_zh) > 3 && strlen(info.reason_en) > 3);
			assert_int_equal(info.params_json[0], '{');
		}
		ds_rules_free(pk);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hours),
		cmocka_unit_test(hours_in_the_borrowers_zone),
		cmocka_unit_test(call_caps),
		cmocka_unit_test(visit_team),
		cmocka_unit_test(at_the_door),
		cmocka_unit_test(holds_and_flags),
		cmocka_unit_test(safety_risk),
		cmocka_unit_test(third_parties_and_content),
		cmocka_unit_test(community_pressure),
		cmocka_unit_test(overrides),
		cmocka_unit_test(other_packs),
		cmocka_unit_test(strict_packs),
		cmocka_unit_test(seconds_and_counts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * libFuzzer target: the contact-rule engine's pack reader and its check.
 * The input is written to a file and read twice:
 *
 *  1. as a whole rule pack (ds_rules_load_file);
 *  2. as a bank's override file over the CN pack (ds_rules_override).
 *
 * Each pack that results, and the CN pack after an override that was refused
 * part-way (the rules before the bad one are already applied), is asked
 * about a fixed set of proposals (calls, SMS, letters, visits at plan and
 * act time, third parties, holds, history) with ds_rules_check.
 *
 * Besides the sanitizers, these properties are checked:
 *  - a refused file says why, names the file, and is refused as a
 *    configuration error (or too big / out of memory);
 *  - every rule of a loaded pack lists with an id of 1-64 characters, unique
 *    in the pack, a kind, a citation, both reasons, a date and JSON params;
 *    an override keeps every rule of the pack and its jurisdiction;
 *  - a verdict refuses exactly when it names a refusing rule, names at most
 *    DS_VERDICT_MAX, and only rules of the pack, each with both reasons;
 *  - the listing is faithful: a pack written back from ds_rules_info (as
 *    `rules list --json` prints it) loads again, with the same rules in the
 *    same order, and gives the same verdicts.
 */
#include "doorstep/rules.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "fuzz_rules: property failed: %s (%s:%d)\n", #cond, \
			        __FILE__, __LINE__);                                        \
			__builtin_trap();                                                   \
		}                                                                           \
	} while (0)

#define NPROP 12

static char in_path[4096], back_path[4096];
static int in_fd = -1, back_fd = -1;
static struct ds_proposal props[NPROP];

static void cleanup(void)
{
	unlink(in_path);
	unlink(back_path);
}

static int temp(char *path, size_t n, const char *dir)
{
	snprintf(path, n, "%s/doorstep-fuzz-XXXXXX.json", dir);
	int fd = mkstemps(path, 5);
	if (fd < 0) {
		perror("fuzz_rules: mkstemps");
		abort();
	}
	return fd;
}

static void put(int fd, const void *data, size_t size)
{
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) {
		perror("fuzz_rules: cannot write a file");
		abort();
	}
}

static ds_time at(const char *zone, int y, int mo, int d, int h, int mi)
{
	ds_time t;
	if (ds_tz_from_local(zone, y, mo, d, h, mi, 0, &t)) {
		fprintf(stderr, "fuzz_rules: no time zone %s\n", zone);
		abort();
	}
	return t;
}

/* The proposals every pack is asked about: one of each shape, with holds
 * and history that the shipped packs' rules look at. */
static void make_proposals(void)
{
	static const char *const sh = "Asia/Shanghai", *const ny = "America/New_York";
	static struct ds_team_member pair[2] = {
		{ "S1", true, true, true, NULL, 3 },
		{ "S2", false, false, false, "C1", 0 },
	};
	static struct ds_team_member lone[1] = { { "S3", true, false, false, NULL, 9 } };
	static struct ds_team_member away[2] = {
		{ "S1", true, true, false, NULL, 0 },
		{ "S4", false, false, false, "C9", 0 },
	};
	static struct ds_hold holds[6];
	holds[0] = (struct ds_hold){ "dispute", 0, 0 };
	holds[1] = (struct ds_hold){ "quiet_hours_consent", 0, 0 };
	holds[2] = (struct ds_hold){ "safety_risk", 0, 0 };
	holds[3] = (struct ds_hold){ "legal", at(sh, 2026, 6, 1, 0, 0), at(sh, 2026, 7, 1, 0, 0) };
	holds[4] = (struct ds_hold){ "vulnerable", at(sh, 2026, 6, 1, 0, 0), 0 };
	holds[5] = (struct ds_hold){ "no_contact", 0, 0 };
	static struct ds_past_contact hist[10];
	for (int i = 0; i < 10; i++)
		hist[i] = (struct ds_past_contact){
			at(sh, 2026, 6, 10 - (i % 8), 8, 5 * i),
			i % 3 == 2 ? DS_CH_SMS : DS_CH_CALL,
			i == 9 ? DS_PARTY_THIRD : DS_PARTY_BORROWER,
			(ds_outcome)(i % DS_OUT_COUNT),
			i % 2 ? "n2" : "n1",
		};
	const struct ds_proposal call = {
		.stage = DS_STAGE_PLAN,
		.channel = DS_CH_CALL,
		.party = DS_PARTY_BORROWER,
		.content = DS_CONTENT_REMINDER,
		.start = at(sh, 2026, 6, 10, 10, 0),
		.duration_s = 300,
		.zone = sh,
		.number = "n1",
		.community_id = "C1",
	};
	for (int i = 0; i < NPROP; i++)
		props[i] = call;
	/* 1: late, with the consent hold and the whole history */
	props[1].start = at(sh, 2026, 6, 10, 22, 30);
	props[1].holds = &holds[1];
	props[1].nholds = 1;
	props[1].history = hist;
	props[1].nhistory = 10;
	/* 2: an SMS under a dispute */
	props[2].channel = DS_CH_SMS;
	props[2].holds = holds;
	props[2].nholds = 1;
	/* 3: a visit of a good pair, planned */
	props[3].channel = DS_CH_VISIT;
	props[3].duration_s = 1800;
	props[3].team = pair;
	props[3].nteam = 2;
	props[3].community_visits_week = 12;
	/* 4: the same at the door, entering without consent, notice 2 days before */
	props[4] = props[3];
	props[4].stage = DS_STAGE_ACT;
	props[4].identity_shown = true;
	props[4].entering_home = true;
	props[4].notice_sent_at = props[4].start - 2 * 86400;
	/* 5: a lone uncertified collector at a risky, vulnerable address */
	props[5] = props[3];
	props[5].team = lone;
	props[5].nteam = 1;
	props[5].holds = &holds[2];
	props[5].nholds = 3;
	/* 6: a worker from another community, over the weekly cap */
	props[6] = props[3];
	props[6].team = away;
	props[6].community_visits_week = 1000;
	/* 7: a third party asked where the borrower is, who cannot be reached */
	props[7].party = DS_PARTY_THIRD;
	props[7].content = DS_CONTENT_LOCATION_INQUIRY;
	props[7].borrower_unreachable = true;
	props[7].history = hist;
	props[7].nhistory = 10;
	/* 8: family told about the debt; a public notice by letter */
	props[8].party = DS_PARTY_FAMILY;
	props[8].content = DS_CONTENT_DEBT_DETAILS;
	props[9].channel = DS_CH_LETTER;
	props[9].content = DS_CONTENT_PUBLIC_NOTICE;
	props[9].holds = &holds[3];
	props[9].nholds = 3;
	/* 10: New York, the day daylight saving time starts, a long call */
	props[10].zone = ny;
	props[10].start = at(ny, 2026, 3, 8, 20, 30);
	props[10].duration_s = 86400;
	props[10].holds = &holds[5];
	props[10].nholds = 1;
	/* 11: an e-mail long ago, before most rules, with a bank's own hold */
	props[11].channel = DS_CH_EMAIL;
	props[11].start = at(sh, 1999, 12, 31, 23, 59);
	props[11].duration_s = 0;
	props[11].holds = &holds[5];
	props[11].nholds = 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("TMPDIR");
	dir = dir && *dir ? dir : "/tmp";
	in_fd = temp(in_path, sizeof in_path, dir);
	back_fd = temp(back_path, sizeof back_path, dir);
	atexit(cleanup);
	make_proposals();
	return 0;
}

/* A refused file: a reason, the file named. */
static void refused(ds_err err, const struct ds_diag *d)
{
	CHECK(err == DS_ECONFIG || err == DS_ETOOBIG || err == DS_ENOMEM || err == DS_EIO);
	CHECK(d->msg[0] != '\0');
	CHECK(strcmp(d->file, in_path) == 0);
	char msg[1024];
	ds_diag_format(d, msg, sizeof msg);
}

static bool has_rule(const ds_rulepack *pk, const char *id)
{
	for (int i = 0; i < ds_rules_count(pk); i++) {
		struct ds_rule_info r;
		ds_rules_info(pk, i, &r);
		if (strcmp(r.id, id) == 0)
			return true;
	}
	return false;
}

/* Every rule lists whole; the listing as a pack (NULL when a rule's params
 * are not a JSON object, which a loaded pack never has). */
static json_t *listing(const ds_rulepack *pk)
{
	json_t *rules = json_array();
	for (int i = 0; i < ds_rules_count(pk); i++) {
		struct ds_rule_info r;
		ds_rules_info(pk, i, &r);
		size_t n = strlen(r.id);
		CHECK(n >= 1 && n <= 64);
		CHECK(r.kind && strcmp(r.kind, "?") != 0);
		CHECK(r.citation && r.reason_zh && r.reason_en);
		CHECK(r.effective_from && strlen(r.effective_from) == 10);
		CHECK(!r.effective_to || strlen(r.effective_to) == 10);
		for (int k = 0; k < i; k++) {
			struct ds_rule_info o;
			ds_rules_info(pk, k, &o);
			CHECK(strcmp(o.id, r.id) != 0);
		}
		ds_rules_info(pk, i, &r); /* the date buffers are shared */
		json_error_t je;
		json_t *params = json_loads(r.params_json, 0, &je);
		CHECK(json_is_object(params));
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "id", r.id, "kind",
		                      r.kind, "citation", r.citation, "effective_from",
		                      r.effective_from, "params", params, "reason_zh", r.reason_zh,
		                      "reason_en", r.reason_en);
		CHECK(o != NULL);
		if (r.effective_to)
			json_object_set_new(o, "effective_to", json_string(r.effective_to));
		json_array_append_new(rules, o);
	}
	CHECK(strlen(ds_rules_jurisdiction(pk)) < 16);
	return json_pack("{s:o}", "rules", rules);
}

/* The verdicts of every proposal, checked, into v[NPROP]. */
static void verdicts(const ds_rulepack *pk, struct ds_verdict *v)
{
	for (int i = 0; i < NPROP; i++) {
		struct ds_diag d;
		ds_diag_clear(&d);
		CHECK(ds_rules_check(pk, &props[i], &v[i], &d) == DS_OK);
		CHECK(v[i].nhits >= 0 && v[i].nhits <= DS_VERDICT_MAX);
		CHECK(v[i].allow == (v[i].nhits == 0));
		for (int h = 0; h < v[i].nhits; h++) {
			CHECK(v[i].hits[h].rule_id && v[i].hits[h].reason_zh &&
			      v[i].hits[h].reason_en);
			CHECK(has_rule(pk, v[i].hits[h].rule_id));
		}
	}
}

static bool same_verdicts(const struct ds_verdict *a, const struct ds_verdict *b)
{
	for (int i = 0; i < NPROP; i++) {
		if (a[i].allow != b[i].allow || a[i].nhits != b[i].nhits)
			return false;
		for (int h = 0; h < a[i].nhits; h++)
			if (strcmp(a[i].hits[h].rule_id, b[i].hits[h].rule_id) != 0)
				return false;
	}
	return true;
}

/* A loaded pack: its listing, its verdicts, and the listing read back. */
static void exercise(const ds_rulepack *pk)
{
	struct ds_verdict v[NPROP], again[NPROP];
	verdicts(pk, v);
	json_t *list = listing(pk);
	CHECK(list != NULL);
	char *text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	CHECK(text != NULL);
	put(back_fd, text, strlen(text));
	size_t len = strlen(text);
	free(text);
	ds_rulepack *back = NULL;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_rules_load_file(back_path, &back, &d);
	if (err == DS_ETOOBIG) { /* the listing can be longer than the input */
		CHECK(len > (1 << 20));
		return;
	}
	if (err)
		fprintf(stderr, "fuzz_rules: the listing does not load again: %s: %s\n", d.field,
		        d.msg);
	CHECK(err == DS_OK);
	CHECK(ds_rules_count(back) == ds_rules_count(pk));
	for (int i = 0; i < ds_rules_count(pk); i++) {
		struct ds_rule_info a, b;
		ds_rules_info(pk, i, &a);
		ds_rules_info(back, i, &b);
		CHECK(strcmp(a.id, b.id) == 0 && strcmp(a.kind, b.kind) == 0);
		CHECK(strcmp(a.params_json, b.params_json) == 0);
	}
	verdicts(back, again);
	CHECK(same_verdicts(v, again));
	ds_rules_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	put(in_fd, data, size);
	struct ds_diag d;

	/* 1. the input as a whole pack */
	ds_rulepack *pk = NULL;
	ds_diag_clear(&d);
	ds_err err = ds_rules_load_file(in_path, &pk, &d);
	if (err) {
		refused(err, &d);
		CHECK(pk == NULL);
	} else {
		exercise(pk);
		ds_rules_free(pk);
	}

	/* 2. the input as an override file over the CN pack */
	ds_diag_clear(&d);
	CHECK(ds_rules_load("CN", &pk, &d) == DS_OK);
	int before = ds_rules_count(pk);
	ds_diag_clear(&d);
	err = ds_rules_override(pk, in_path, &d);
	CHECK(ds_rules_count(pk) >= before);
	CHECK(strcmp(ds_rules_jurisdiction(pk), "CN") == 0);
	CHECK(has_rule(pk, "CN-HOURS") && has_rule(pk, "CN-RECORDS"));
	if (err) {
		refused(err, &d);
		/* what was applied before the refused rule is still a usable pack */
		struct ds_verdict v[NPROP];
		verdicts(pk, v);
	} else {
		exercise(pk);
	}
	ds_rules_free(pk);
	return 0;
}

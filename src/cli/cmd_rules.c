/* doorstep rules list|check: the contact-rule pack in force, and decisions. */
#include "cli.h"
#include "doorstep/rules.h"

#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *pack_file; /* --pack: a whole pack from a file */

/* ------------------------------------------------------------ JSON in */

#define MAX_LINE  (64 * 1024)
#define MAX_ITEMS 1000

struct parsed {
	struct ds_proposal p;
	struct ds_team_member team[16];
	struct ds_past_contact *history;
	struct ds_hold *holds;
};

static bool get_time(json_t *o, const char *k, const char *zone, ds_time *out, const char **why)
{
	json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v)) {
		*out = 0;
		return true;
	}
	if (!json_is_string(v) || ds_time_parse(json_string_value(v), zone, out)) {
		*why = k;
		return false;
	}
	return true;
}

static const char *get_str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool get_bool(json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

/* Fills *x from one JSON object; *why names the bad field. Strings point
 * into `o`, which must outlive the proposal. */
static bool parse_proposal(json_t *o, struct parsed *x, const char **why,
                           const ds_rules_context *cx)
{
	memset(x, 0, sizeof *x);
	struct ds_proposal *p = &x->p;
	const char *s;
	/* with the database, an account's zone, community, history and holds
	 * come from it; what the line gives explicitly still wins */
	const char *account = cx ? get_str(o, "account_id") : NULL;
	const ds_rules_account *a = NULL;
	bool channel_ok = (s = get_str(o, "channel")) && !ds_channel_parse(s, &p->channel);
	if (account) {
		if (!channel_ok)
			return *why = "channel", false;
		if (!(a = ds_rules_context_account(cx, account)))
			return *why = "account_id (not in the database)", false;
	}
	/* the zone reads a start without an offset in it */
	const char *zone = get_str(o, "zone");
	if (!zone && a)
		zone = ds_rules_account_zone(cx, a);
	if (!zone || !ds_tz_valid(zone))
		return *why = "zone", false;
	if (!channel_ok)
		return *why = "channel", false;
	p->party = DS_PARTY_BORROWER;
	if ((s = get_str(o, "party")) && ds_party_parse(s, &p->party))
		return *why = "party", false;
	p->content = DS_CONTENT_REMINDER;
	if ((s = get_str(o, "content")) && ds_content_parse(s, &p->content))
		return *why = "content", false;
	s = get_str(o, "stage");
	if (s && strcmp(s, "act") != 0 && strcmp(s, "plan") != 0)
		return *why = "stage", false;
	p->stage = s && strcmp(s, "act") == 0 ? DS_STAGE_ACT : DS_STAGE_PLAN;
	if (!get_str(o, "start") || !get_time(o, "start", zone, &p->start, why))
		return *why = "start", false;
	/* the history before that start; the fields below override */
	if (a)
		ds_rules_context_fill(cx, a, p);
	p->zone = zone;
	json_t *dur = json_object_get(o, "duration_s");
	if (dur && (!json_is_integer(dur) || json_integer_value(dur) < 0 ||
	            json_integer_value(dur) > 86400))
		return *why = "duration_s", false;
	p->duration_s = dur ? (int)json_integer_value(dur) : 0;
	p->number = get_str(o, "number");
	if (get_str(o, "community_id"))
		p->community_id = get_str(o, "community_id");
	p->identity_shown = get_bool(o, "identity_shown");
	p->consent_to_enter = get_bool(o, "consent_to_enter");
	p->entering_home = get_bool(o, "entering_home");
	if (json_object_get(o, "borrower_unreachable"))
		p->borrower_unreachable = get_bool(o, "borrower_unreachable");
	if (!get_time(o, "notice_sent_at", p->zone, &p->notice_sent_at, why))
		return false;
	json_t *cv = json_object_get(o, "community_visits_week");
	if (cv && (!json_is_integer(cv) || json_integer_value(cv) < 0 ||
	           json_integer_value(cv) > 1000000))
		return *why = "community_visits_week", false;
	if (cv)
		p->community_visits_week = (int)json_integer_value(cv);
	size_t i;
	json_t *v;
	json_t *team = json_object_get(o, "team");
	if (team && (!json_is_array(team) || json_array_size(team) > 16))
		return *why = "team", false;
	json_array_foreach(team, i, v)
	{
		json_t *vt = json_object_get(v, "visits_today");
		if (!json_is_object(v) ||
		    (vt && (!json_is_integer(vt) || json_integer_value(vt) < 0 ||
		            json_integer_value(vt) > 1000)))
			return *why = "team", false;
		x->team[i] = (struct ds_team_member){
			.staff_id = get_str(v, "staff_id"),
			.collector = get_bool(v, "collector"),
			.certified = get_bool(v, "certified"),
			.experienced = get_bool(v, "experienced"),
			.community_id = get_str(v, "community_id"),
			.visits_today = (int)json_integer_value(json_object_get(v, "visits_today")),
		};
	}
	p->team = x->team;
	p->nteam = (int)json_array_size(team);
	json_t *hist = json_object_get(o, "history");
	if (hist && (!json_is_array(hist) || json_array_size(hist) > MAX_ITEMS))
		return *why = "history", false;
	if (json_array_size(hist)) {
		x->history = ds_calloc(json_array_size(hist), sizeof *x->history);
		if (!x->history)
			return *why = "history (out of memory)", false;
	}
	json_array_foreach(hist, i, v)
	{
		struct ds_past_contact *h = &x->history[i];
		h->party = DS_PARTY_BORROWER;
		h->outcome = DS_OUT_NONE;
		if (!json_is_object(v) || !get_str(v, "at") ||
		    !get_time(v, "at", p->zone, &h->at, why) || !(s = get_str(v, "channel")) ||
		    ds_channel_parse(s, &h->channel) ||
		    ((s = get_str(v, "party")) && ds_party_parse(s, &h->party)) ||
		    ((s = get_str(v, "outcome")) && ds_outcome_parse(s, &h->outcome)))
			return *why = "history", false;
		h->number = get_str(v, "number");
	}
	if (hist) {
		p->history = x->history;
		p->nhistory = (int)json_array_size(hist);
	}
	json_t *holds = json_object_get(o, "holds");
	if (holds && (!json_is_array(holds) || json_array_size(holds) > MAX_ITEMS))
		return *why = "holds", false;
	if (json_array_size(holds)) {
		x->holds = ds_calloc(json_array_size(holds), sizeof *x->holds);
		if (!x->holds)
			return *why = "holds (out of memory)", false;
	}
	json_array_foreach(holds, i, v)
	{
		struct ds_hold *h = &x->holds[i];
		if (!json_is_object(v) || !(h->kind = get_str(v, "kind")) ||
		    !get_time(v, "start", p->zone, &h->start, why) ||
		    !get_time(v, "end", p->zone, &h->end, why))
			return *why = "holds", false;
	}
	if (holds) {
		p->holds = x->holds;
		p->nholds = (int)json_array_size(holds);
	}
	return true;
}

/*
 * Checking runs in batches of lines on two threads: each line is parsed,
 * filled from the store, decided and rendered independently (the pack and
 * the store context are read-only), and the main thread writes the results
 * in input order.
 */
#define BATCH 8192

struct rule_json {
	const char *id;
	char *text;
};

struct check_env {
	const ds_rulepack *pack;
	const ds_rules_context *cx;
	struct rule_json *rules; /* each rule's JSON object, made once */
	int nrules;
};

enum { L_BLANK, L_ALLOWED, L_REFUSED, L_BAD };

struct job {
	char *text;
	size_t len;
	long lineno;
	int kind;
	char *out; /* the output line, with its newline */
	char *err; /* a message for stderr, or NULL */
};

static const char *rule_text(const struct check_env *env, const char *id)
{
	for (int i = 0; i < env->nrules; i++)
		if (env->rules[i].id == id)
			return env->rules[i].text;
	return "{}";
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
	struct ds_buf b;
	ds_buf_init(&b, 1 << 20);
	va_list ap;
	va_start(ap, fmt);
	ds_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return b.p;
}

static void decide(const struct check_env *env, struct job *j)
{
	j->out = j->err = NULL;
	if (j->len > MAX_LINE) {
		j->kind = L_BAD;
		j->err = dupf("stdin:%ld: line longer than %d bytes", j->lineno, MAX_LINE);
		j->out = dupf("{\"line\":%ld,\"error\":\"line too long\"}\n", j->lineno);
		return;
	}
	bool blank = true;
	for (size_t k = 0; k < j->len && blank; k++)
		blank = j->text[k] == ' ' || j->text[k] == '\t' || j->text[k] == '\r' ||
		        j->text[k] == '\n';
	if (blank) {
		j->kind = L_BLANK;
		return;
	}
	json_error_t je;
	json_t *o = json_loadb(j->text, j->len, JSON_REJECT_DUPLICATES, &je);
	struct ds_buf b;
	ds_buf_init(&b, 1 << 20);
	ds_buf_addf(&b, "{\"line\":%ld", j->lineno);
	char *id = o && json_is_object(o) && json_object_get(o, "id")
	                   ? json_dumps(json_object_get(o, "id"), JSON_ENCODE_ANY | JSON_COMPACT)
	                   : NULL;
	if (id)
		ds_buf_addf(&b, ",\"id\":%s", id);
	free(id);
	struct parsed x;
	const char *why = NULL;
	struct ds_verdict v;
	struct ds_diag d;
	ds_diag_clear(&d);
	const char *error = NULL;
	char msg[600];
	if (!o || !json_is_object(o)) {
		j->err = dupf("stdin:%ld: not a JSON object%s%s", j->lineno, o ? "" : ": ",
		              o ? "" : je.text);
		error = "not a JSON object";
	} else if (!parse_proposal(o, &x, &why, env->cx)) {
		j->err = dupf("stdin:%ld:%s: missing or invalid", j->lineno, why);
		snprintf(msg, sizeof msg, "%s: missing or invalid", why);
		error = msg;
	} else if (ds_rules_check(env->pack, &x.p, &v, &d)) {
		j->err = dupf("stdin:%ld:%s: %s", j->lineno, d.field, d.msg);
		error = d.msg;
	}
	if (o && json_is_object(o)) {
		ds_free(x.history);
		ds_free(x.holds);
	}
	json_decref(o);
	if (error) {
		j->kind = L_BAD;
		json_t *e = json_string(error);
		char *etext = e ? json_dumps(e, JSON_ENCODE_ANY) : NULL;
		ds_buf_addf(&b, ",\"error\":%s}\n", etext ? etext : "\"\"");
		free(etext);
		json_decref(e);
		j->out = b.p;
		return;
	}
	j->kind = v.allow ? L_ALLOWED : L_REFUSED;
	ds_buf_adds(&b, v.allow ? ",\"allow\":true,\"rules\":[" : ",\"allow\":false,\"rules\":[");
	for (int i = 0; i < v.nhits; i++) {
		if (i)
			ds_buf_adds(&b, ",");
		ds_buf_adds(&b, rule_text(env, v.hits[i].rule_id));
	}
	ds_buf_adds(&b, "]}\n");
	j->out = b.p;
}

struct worker {
	const struct check_env *env;
	struct job *jobs;
	long from, to;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (long i = w->from; i < w->to; i++)
		decide(w->env, &w->jobs[i]);
	return NULL;
}

static int run_check(struct cli *c, const char *jurisdiction, bool use_store, long history_days)
{
	ds_rulepack *pack;
	int rc = cli_load_rules(c, jurisdiction, pack_file, &pack);
	if (rc)
		return rc;
	ds_rules_context *cx = NULL;
	if (use_store) {
		ds_store *st;
		if ((rc = cli_open_store(c, false, &st))) {
			ds_rules_free(pack);
			return rc;
		}
		struct ds_diag d;
		ds_diag_clear(&d);
		ds_err err = ds_rules_context_load(st, (ds_time)time(NULL) - history_days * 86400,
		                                   &cx, &d);
		ds_store_close(st);
		if (err) {
			ds_rules_free(pack);
			return cli_fail(c, err, &d);
		}
	}
	struct check_env env = { pack, cx, NULL, ds_rules_count(pack) };
	env.rules = ds_calloc((size_t)env.nrules + 1, sizeof *env.rules);
	struct job *jobs = ds_calloc(BATCH, sizeof *jobs);
	if (!env.rules || !jobs) {
		ds_free(env.rules);
		ds_free(jobs);
		ds_rules_free(pack);
		ds_rules_context_free(cx);
		fprintf(stderr, "doorstep: out of memory\n");
		return EXIT_FAILURE_;
	}
	for (int i = 0; i < env.nrules; i++) {
		struct ds_rule_info r;
		ds_rules_info(pack, i, &r);
		json_t *o = json_pack("{s:s, s:s, s:s}", "rule", r.id, "reason_zh", r.reason_zh,
		                      "reason_en", r.reason_en);
		env.rules[i] =
		        (struct rule_json){ r.id,
			                    json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) };
		json_decref(o);
	}
	json_object_seed(0); /* before jansson is used on two threads */
	long lineno = 0, bad = 0, refused = 0, allowed = 0;
	bool eof = false;
	while (!eof) {
		long n = 0;
		while (n < BATCH) {
			size_t cap = 0;
			char *text = NULL;
			ssize_t len = getline(&text, &cap, stdin);
			if (len <= 0) {
				free(text);
				eof = true;
				break;
			}
			jobs[n++] = (struct job){ text, (size_t)len, ++lineno, 0, NULL, NULL };
		}
		/* two workers on a full batch, this thread alone on a small one */
		struct worker w[2] = { { &env, jobs, 0, n / 2 }, { &env, jobs, n / 2, n } };
		pthread_t t;
		bool threaded = n >= 256 && pthread_create(&t, NULL, work, &w[1]) == 0;
		if (!threaded)
			w[0].to = n;
		work(&w[0]);
		if (threaded)
			pthread_join(t, NULL);
		for (long i = 0; i < n; i++) {
			struct job *j = &jobs[i];
			if (j->err)
				fprintf(stderr, "%s\n", j->err);
			if (j->out)
				fputs(j->out, stdout);
			bad += j->kind == L_BAD;
			allowed += j->kind == L_ALLOWED;
			refused += j->kind == L_REFUSED;
			free(j->text);
			ds_free(j->out);
			ds_free(j->err);
		}
	}
	for (int i = 0; i < env.nrules; i++)
		free(env.rules[i].text);
	ds_free(env.rules);
	ds_free(jobs);
	ds_rules_free(pack);
	ds_rules_context_free(cx);
	if (!c->quiet)
		fprintf(stderr, "rules check: %ld allowed, %ld refused, %ld bad lines\n", allowed,
		        refused, bad);
	return bad ? EXIT_REJECTED : EXIT_OK;
}

static int run_list(struct cli *c, const char *jurisdiction)
{
	ds_rulepack *pack;
	int rc = cli_load_rules(c, jurisdiction, pack_file, &pack);
	if (rc)
		return rc;
	json_t *arr = c->json ? json_array() : NULL;
	if (!arr)
		printf("Rule pack %s (%d rules)\n", ds_rules_jurisdiction(pack),
		       ds_rules_count(pack));
	for (int i = 0; i < ds_rules_count(pack); i++) {
		struct ds_rule_info r;
		ds_rules_info(pack, i, &r);
		if (arr) {
			json_error_t je;
			json_array_append_new(
			        arr,
			        json_pack("{s:s, s:s, s:s, s:s, s:s*, s:o, s:s, s:s}", "id", r.id,
			                  "kind", r.kind, "citation", r.citation, "effective_from",
			                  r.effective_from, "effective_to", r.effective_to,
			                  "params", json_loads(r.params_json, 0, &je), "reason_zh",
			                  r.reason_zh, "reason_en", r.reason_en));
			continue;
		}
		printf("\n%s  (%s, in force from %s%s%s)\n  %s\n  %s\n  params: %s\n  source: %s\n",
		       r.id, r.kind, r.effective_from, r.effective_to ? " to " : "",
		       r.effective_to ? r.effective_to : "", r.reason_zh, r.reason_en,
		       r.params_json, r.citation);
	}
	if (arr)
		cli_print_json(json_pack("{s:s, s:o}", "jurisdiction", ds_rules_jurisdiction(pack),
		                         "rules", arr));
	ds_rules_free(pack);
	return EXIT_OK;
}

struct audit_out {
	json_t *arr;
};

static ds_err print_finding(void *ctx, const struct ds_audit_finding *f)
{
	struct audit_out *o = ctx;
	char at[21];
	ds_time_format_utc(f->at, at);
	if (o->arr) {
		json_t *rules = json_array();
		for (int i = 0; i < f->verdict->nhits; i++)
			json_array_append_new(rules,
			                      json_pack("{s:s, s:s, s:s}", "rule",
			                                f->verdict->hits[i].rule_id, "reason_zh",
			                                f->verdict->hits[i].reason_zh, "reason_en",
			                                f->verdict->hits[i].reason_en));
		json_array_append_new(o->arr, json_pack("{s:s, s:s, s:s, s:o}", "contact_id",
		                                        f->contact_id, "account_id", f->account_id,
		                                        "at", at, "rules", rules));
		return DS_OK;
	}
	for (int i = 0; i < f->verdict->nhits; i++)
		printf("%s  %s  %s  %s  %s\n", at, f->contact_id, f->account_id,
		       f->verdict->hits[i].rule_id, f->verdict->hits[i].reason_en);
	return DS_OK;
}

static int run_audit(struct cli *c, const char *jurisdiction)
{
	ds_rulepack *pack;
	int rc = cli_load_rules(c, jurisdiction, pack_file, &pack);
	if (rc)
		return rc;
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st))) {
		ds_rules_free(pack);
		return rc;
	}
	struct audit_out o = { c->json ? json_array() : NULL };
	long checked, found;
	struct ds_diag d;
	ds_diag_clear(&d);
	ds_err err = ds_rules_audit(st, pack, print_finding, &o, &checked, &found, &d);
	ds_store_close(st);
	if (err) {
		json_decref(o.arr);
		ds_rules_free(pack);
		return cli_fail(c, err, &d);
	}
	if (o.arr)
		cli_print_json(json_pack("{s:s, s:I, s:I, s:o}", "jurisdiction",
		                         ds_rules_jurisdiction(pack), "checked",
		                         (json_int_t)checked, "violations", (json_int_t)found,
		                         "findings", o.arr));
	else
		printf("rules audit (%s): %ld contacts checked, %ld against the rules\n",
		       ds_rules_jurisdiction(pack), checked, found);
	ds_rules_free(pack);
	return found ? EXIT_REJECTED : EXIT_OK;
}

/* Communities whose complaints and disputes in the 30 days before the date
 * reach the pack's alert level (article 5.2.3: frequent collection can hurt
 * the bank's relationship with a community). */
static int run_alerts(struct cli *c, const char *jurisdiction, const char *as_of_arg)
{
	ds_rulepack *pack;
	int rc = cli_load_rules(c, jurisdiction, pack_file, &pack);
	if (rc)
		return rc;
	int level = ds_rules_complaint_alert(pack);
	ds_date as_of;
	if ((rc = cli_as_of(c, as_of_arg, &as_of)) || level < 0) {
		if (!rc && c->json)
			cli_print_json(json_pack("{s:n, s:[]}", "alert_level", "communities"));
		else if (!rc)
			printf("rules alerts (%s): the pack sets no complaint alert\n",
			       ds_rules_jurisdiction(pack));
		ds_rules_free(pack);
		return rc;
	}
	ds_store *st;
	if ((rc = cli_open_store(c, false, &st))) {
		ds_rules_free(pack);
		return rc;
	}
	const char *zone = ds_config_str(&c->cfg, DS_CFG_TIMEZONE);
	int y, m, d;
	ds_time to, from;
	ds_date_to_ymd(as_of + 1, &y, &m, &d);
	ds_tz_from_local(zone, y, m, d, 0, 0, 0, &to);
	ds_date_to_ymd(as_of - 29, &y, &m, &d);
	ds_tz_from_local(zone, y, m, d, 0, 0, 0, &from);
	struct ds_diag dg;
	ds_diag_clear(&dg);
	ds_stmt *s;
	ds_err err = ds_store_prepare(
	        st,
	        "SELECT b.community_id, coalesce(m.name, ''), count(*) FROM ("
	        " SELECT borrower_id, opened_at AS at FROM complaints"
	        " UNION ALL SELECT a.borrower_id, c.started_at FROM contacts c"
	        " JOIN accounts a ON a.account_id = c.account_id WHERE c.outcome = 'dispute') x"
	        " JOIN borrowers b ON b.borrower_id = x.borrower_id"
	        " LEFT JOIN communities m ON m.community_id = b.community_id"
	        " WHERE x.at >= ? AND x.at < ? AND b.community_id IS NOT NULL"
	        " GROUP BY b.community_id, m.name HAVING count(*) >= ? ORDER BY count(*) DESC, 1",
	        &s, &dg);
	json_t *arr = c->json ? json_array() : NULL;
	long n = 0;
	if (!err) {
		ds_stmt_bind_int(s, 1, from);
		ds_stmt_bind_int(s, 2, to);
		ds_stmt_bind_int(s, 3, level);
		bool row;
		while (!(err = ds_stmt_step(s, &row, &dg)) && row) {
			n++;
			if (arr)
				json_array_append_new(arr,
				                      json_pack("{s:s, s:s, s:I}", "community_id",
				                                ds_stmt_text(s, 0), "community",
				                                ds_stmt_text(s, 1), "complaints",
				                                (json_int_t)ds_stmt_int(s, 2)));
			else
				printf("%-10s %-24s %lld complaints and disputes\n",
				       ds_stmt_text(s, 0), ds_stmt_text(s, 1),
				       (long long)ds_stmt_int(s, 2));
		}
		ds_stmt_done(s);
	}
	ds_store_close(st);
	char day[11];
	ds_date_format(as_of, day);
	if (err) {
		json_decref(arr);
		ds_rules_free(pack);
		return cli_fail(c, err, &dg);
	}
	if (arr)
		cli_print_json(json_pack("{s:s, s:i, s:o}", "as_of", day, "alert_level", level,
		                         "communities", arr));
	else
		printf("rules alerts (%s): %ld communit%s at %d or more complaints in the 30 days "
		       "to %s\n",
		       ds_rules_jurisdiction(pack), n, n == 1 ? "y" : "ies", level, day);
	ds_rules_free(pack);
	return EXIT_OK;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("rules");
	static const struct option opts[] = {
		{ "jurisdiction", required_argument, NULL, 'j' },
		{ "store", no_argument, NULL, 's' },
		{ "as-of", required_argument, NULL, 'o' },
		{ "pack", required_argument, NULL, 'p' },
		{ "history-days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *jurisdiction = NULL;
	bool use_store = false;
	const char *as_of = NULL;
	long history_days = 60;
	int ch;
	while ((ch = getopt_long(argc, argv, "hj:", opts, NULL)) != -1) {
		if (ch == 'j')
			jurisdiction = optarg;
		else if (ch == 's')
			use_store = true;
		else if (ch == 'o')
			as_of = optarg;
		else if (ch == 'p')
			pack_file = optarg;
		else if (ch == 'd') {
			char *end;
			history_days = strtol(optarg, &end, 10);
			if (*end || history_days < 1 || history_days > 3650)
				return cli_usage(cmd, "--history-days: 1 to 3650");
		} else if (ch == 'h') {
			cli_help(cmd, stdout);
			return EXIT_OK;
		} else
			return cli_usage(cmd, "bad option");
	}
	if (optind >= argc)
		return cli_usage(cmd, "need a subcommand: list, check, audit or alerts");
	const char *sub = argv[optind];
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (strcmp(sub, "list") == 0)
		return run_list(c, jurisdiction);
	if (strcmp(sub, "check") == 0)
		return run_check(c, jurisdiction, use_store, history_days);
	if (strcmp(sub, "audit") == 0)
		return run_audit(c, jurisdiction);
	if (strcmp(sub, "alerts") == 0)
		return run_alerts(c, jurisdiction, as_of);
	return cli_usage(cmd, "unknown subcommand '%s'", sub);
}

const struct cli_command cli_cmd_rules = {
	"rules",
	"contact rules: list the pack, check proposed contacts, audit, alerts",
	"rules [--jurisdiction CN|US|IN|UK | --pack FILE] list|audit\n"
	"       rules [--jurisdiction J | --pack FILE] [--as-of D] alerts\n"
	"       rules [--jurisdiction J | --pack FILE] [--store [--history-days N]] check",
	"--pack FILE reads a whole pack from a file instead of a shipped one.\n\n"
	"list   prints every rule of the pack in force ([rules] jurisdiction, plus\n"
	"       the bank's [rules] override_file) with its citation and parameters.\n"
	"check  reads proposed contacts as JSON lines on stdin and writes one\n"
	"       decision per line on stdout: allow, and every refusing rule with\n"
	"       its reason in Chinese and English. The format is in docs/rules.md.\n"
	"       With --store, a line that names an account_id takes the zone,\n"
	"       community, contact history (the last --history-days, 60 by\n"
	"       default) and holds from the database.\n"
	"       Exit status 1 when a line could not be read.\n"
	"audit  re-checks every contact in the database against the pack, each\n"
	"       in the light of the borrower's earlier contacts, holds and the\n"
	"       community's visits that week, and lists those the rules refuse.\n"
	"       Exit status 1 when it finds any.\n"
	"alerts lists the communities whose complaints and disputes in the 30\n"
	"       days to --as-of (default today) reach the pack's complaint_alert.\n",
	run,
};

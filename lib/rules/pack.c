/*
 * Rule packs: JSON files of rules, checked when loaded so that the engine
 * meets only well-formed parameters. A pack names its jurisdiction; each rule
 * has an id, a kind, a citation, effective dates, parameters and its reasons
 * in Chinese and English.
 */
#include "rules-int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[RK_COUNT] = {
	"allowed_hours",
	"max_per_number_day",
	"max_per_debtor_day",
	"max_per_window",
	"spacing_after_conversation",
	"visit_team",
	"visit_entry",
	"advance_notice",
	"third_party",
	"forbidden_content",
	"holds",
	"safety",
	"community_pressure",
	"retention",
};

const char *ds_rule_kind_name(rule_kind k)
{
	return k < RK_COUNT ? kind_names[k] : "?";
}

static ds_err bad(struct ds_diag *diag, const char *src, const char *id, const char *msg)
{
	return ds_diag_set(diag, DS_ECONFIG, src, 0, id, "%s", msg);
}

static ds_err hhmm(const char *s, int *out)
{
	if (!s || strlen(s) != 5 || s[2] != ':')
		return DS_EINVAL;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' || s[3] < '0' || s[3] > '5' ||
	    s[4] < '0' || s[4] > '9' || h > 24 || (h == 24 && m != 0))
		return DS_EINVAL;
	*out = h * 60 + m;
	return DS_OK;
}

/* A JSON array of names as a bit set, by a parser of those names. */
static ds_err name_set(json_t *arr, ds_err (*parse)(const char *, int *), unsigned *out)
{
	*out = 0;
	if (!arr)
		return DS_OK;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return DS_EINVAL; /* an empty list would widen the rule, not narrow it */
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		int k;
		if (!json_is_string(v) || parse(json_string_value(v), &k))
			return DS_EINVAL;
		*out |= 1u << k;
	}
	return DS_OK;
}

static ds_err p_channel(const char *s, int *k)
{
	ds_channel c;
	ds_err e = ds_channel_parse(s, &c);
	*k = (int)c;
	return e;
}
static ds_err p_outcome(const char *s, int *k)
{
	ds_outcome c;
	ds_err e = ds_outcome_parse(s, &c);
	*k = (int)c;
	return e;
}
static ds_err p_content(const char *s, int *k)
{
	ds_content c;
	ds_err e = ds_content_parse(s, &c);
	*k = (int)c;
	return e;
}
static ds_err p_party(const char *s, int *k)
{
	ds_party c;
	ds_err e = ds_party_parse(s, &c);
	*k = (int)c;
	return e;
}

/* Every parameter a rule may carry, with its JSON type: a typo or a wrong
 * type is an error, not a silent default. */
static const struct {
	const char *name;
	json_type type;
} known_params[] = {
	{ "from", JSON_STRING },
	{ "to", JSON_STRING },
	{ "hold", JSON_STRING },
	{ "consent_hold", JSON_STRING },
	{ "channels", JSON_ARRAY },
	{ "outcomes", JSON_ARRAY },
	{ "contents", JSON_ARRAY },
	{ "parties", JSON_ARRAY },
	{ "all", JSON_ARRAY },
	{ "visit", JSON_ARRAY },
	{ "not_letter", JSON_ARRAY },
	{ "max", JSON_INTEGER },
	{ "days", JSON_INTEGER },
	{ "min_people", JSON_INTEGER },
	{ "max_visits_per_person_day", JSON_INTEGER },
	{ "max_visits_per_week", JSON_INTEGER },
	{ "complaint_alert", JSON_INTEGER },
	{ "years", JSON_INTEGER },
	{ "certified_collector", JSON_TRUE },
	{ "worker_own_community", JSON_TRUE },
	{ "identity", JSON_TRUE },
	{ "consent_to_enter", JSON_TRUE },
	{ "require_unreachable", JSON_TRUE },
	{ "forbid", JSON_TRUE },
	{ "experienced", JSON_TRUE },
	{ "no_visit", JSON_TRUE },
	{ "per_person", JSON_TRUE },
	{ "first_only", JSON_TRUE },
};

static ds_err check_params(json_t *params, const char *src, const char *id, struct ds_diag *diag)
{
	const char *key;
	json_t *v;
	json_object_foreach(params, key, v)
	{
		int k = -1;
		for (size_t i = 0; i < sizeof known_params / sizeof known_params[0]; i++)
			if (strcmp(known_params[i].name, key) == 0)
				k = (int)i;
		char msg[200];
		if (k < 0) {
			snprintf(msg, sizeof msg, "unknown parameter params.%.64s", key);
			return bad(diag, src, id, msg);
		}
		json_type want = known_params[k].type;
		bool ok = want == JSON_TRUE ? json_is_boolean(v) : json_typeof(v) == want;
		if (ok && want == JSON_INTEGER)
			ok = json_integer_value(v) >= 0 && json_integer_value(v) <= 1000000;
		if (!ok) {
			snprintf(msg, sizeof msg, "params.%s must be %s", key,
			         want == JSON_TRUE      ? "true or false"
			         : want == JSON_INTEGER ? "a whole number 0..1000000"
			         : want == JSON_ARRAY   ? "a list"
			                                : "a string");
			return bad(diag, src, id, msg);
		}
	}
	return DS_OK;
}

static int int_param(json_t *params, const char *name, int dflt)
{
	json_t *v = json_object_get(params, name);
	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static bool bool_param(json_t *params, const char *name, bool dflt)
{
	json_t *v = json_object_get(params, name);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* Holds lists are arrays of strings; only their shape is checked. */
static bool string_array(json_t *v)
{
	if (!v)
		return true;
	if (!json_is_array(v))
		return false;
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x) if (!json_is_string(x)) return false;
	return true;
}

/* Decodes and checks one rule's parameters for its kind. */
static ds_err decode(struct rule *r, const char *src, struct ds_diag *diag)
{
	json_t *p = r->params;
	const char *id = r->id;
	ds_err perr = check_params(p, src, id, diag);
	if (perr)
		return perr;
	if (name_set(json_object_get(p, "channels"), p_channel, &r->channels))
		return bad(diag, src, id, "params.channels must list known channels (not empty)");
	if (name_set(json_object_get(p, "outcomes"), p_outcome, &r->outcomes))
		return bad(diag, src, id, "params.outcomes must list known outcomes (not empty)");
	if (name_set(json_object_get(p, "contents"), p_content, &r->contents))
		return bad(diag, src, id, "params.contents must list known contents (not empty)");
	if (name_set(json_object_get(p, "parties"), p_party, &r->parties))
		return bad(diag, src, id, "params.parties must list known parties (not empty)");
	if (!r->channels)
		r->channels = (1u << DS_CH_COUNT) - 1;
	r->max = int_param(p, "max", -1);
	r->days = int_param(p, "days", -1);
	r->min_people = int_param(p, "min_people", 0);
	json_t *hold = json_object_get(p, "hold");
	if (!hold)
		hold = json_object_get(p, "consent_hold");
	r->hold = json_is_string(hold) ? json_string_value(hold) : NULL;
	switch (r->kind) {
	case RK_ALLOWED_HOURS:
		if (hhmm(json_string_value(json_object_get(p, "from")), &r->from_min) ||
		    hhmm(json_string_value(json_object_get(p, "to")), &r->to_min) ||
		    r->from_min >= r->to_min)
			return bad(diag, src, id,
			           "params.from and params.to must be HH:MM, from before to");
		break;
	case RK_MAX_PER_NUMBER_DAY:
	case RK_MAX_PER_DEBTOR_DAY:
		if (r->max < 0)
			return bad(diag, src, id, "params.max must be a whole number >= 0");
		if (!r->outcomes)
			r->outcomes = (1u << DS_OUT_COUNT) - 1;
		break;
	case RK_MAX_PER_WINDOW:
		if (r->max < 0 || r->days < 1)
			return bad(diag, src, id, "params.max >= 0 and params.days >= 1 needed");
		if (!r->outcomes)
			r->outcomes = (1u << DS_OUT_COUNT) - 1;
		break;
	case RK_ADVANCE_NOTICE:
		r->flag_c = bool_param(p, "first_only", false);
		if (!json_object_get(p, "channels"))
			return bad(diag, src, id,
			           "params.channels must name the channels that need "
			           "a notice");
		/* fall through */
	case RK_SPACING_AFTER_CONVERSATION:
		if (r->days < 0)
			return bad(diag, src, id, "params.days must be a whole number >= 0");
		if (!r->outcomes)
			r->outcomes = 1u << DS_OUT_CONVERSATION;
		break;
	case RK_VISIT_TEAM:
		r->flag_a = bool_param(p, "certified_collector", false);
		r->flag_b = bool_param(p, "worker_own_community", false);
		r->max = int_param(p, "max_visits_per_person_day", -1);
		break;
	case RK_VISIT_ENTRY:
		r->flag_a = bool_param(p, "identity", false);
		r->flag_b = bool_param(p, "consent_to_enter", false);
		break;
	case RK_THIRD_PARTY:
		r->flag_a = bool_param(p, "require_unreachable", false);
		r->flag_b = bool_param(p, "forbid", false);
		r->flag_c = bool_param(p, "per_person", false);
		if (!r->parties)
			r->parties = (1u << DS_PARTY_THIRD) | (1u << DS_PARTY_FAMILY);
		r->max = int_param(p, "max", -1);
		break;
	case RK_FORBIDDEN_CONTENT:
		if (!r->contents)
			return bad(diag, src, id, "params.contents must name contents");
		break;
	case RK_HOLDS:
		if (!string_array(json_object_get(p, "all")) ||
		    !string_array(json_object_get(p, "visit")) ||
		    !string_array(json_object_get(p, "not_letter")))
			return bad(diag, src, id,
			           "params.all/visit/not_letter must be lists of hold kinds");
		break;
	case RK_SAFETY:
		if (!r->hold)
			return bad(diag, src, id, "params.hold must name the flag");
		r->flag_a = bool_param(p, "experienced", false);
		r->flag_b = bool_param(p, "no_visit", false);
		break;
	case RK_COMMUNITY_PRESSURE:
		r->max = int_param(p, "max_visits_per_week", -1);
		if (r->max < 0)
			return bad(diag, src, id, "params.max_visits_per_week must be >= 0");
		break;
	case RK_RETENTION:
	case RK_COUNT:
		break;
	}
	return DS_OK;
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Fills r from a rule object; defaults come from `base` when it is given. */
static ds_err read_rule(json_t *obj, const struct rule *base, struct rule *r, const char *src,
                        struct ds_diag *diag)
{
	const char *id = str(obj, "id");
	if (!id || !*id || strlen(id) > 64)
		return ds_diag_set(diag, DS_ECONFIG, src, 0, "id",
		                   "a rule needs an id (1-64 chars)");
	memset(r, 0, sizeof *r);
	if (base)
		*r = *base;
	r->node = obj;
	r->id = id;
	const char *kind = str(obj, "kind");
	if (kind) {
		r->kind = RK_COUNT;
		for (int k = 0; k < RK_COUNT; k++)
			if (strcmp(kind, kind_names[k]) == 0)
				r->kind = (rule_kind)k;
		if (r->kind == RK_COUNT) {
			char msg[160];
			snprintf(msg, sizeof msg, "unknown rule kind '%.100s'", kind);
			return bad(diag, src, id, msg);
		}
	} else if (!base) {
		return bad(diag, src, id, "a rule needs a kind");
	}
	const char *v;
	if ((v = str(obj, "citation")))
		r->citation = v;
	if ((v = str(obj, "reason_zh")))
		r->reason_zh = v;
	if ((v = str(obj, "reason_en")))
		r->reason_en = v;
	if (!r->citation || !r->reason_zh || !r->reason_en)
		return bad(diag, src, id, "citation, reason_zh and reason_en are required");
	if ((v = str(obj, "effective_from")) && ds_date_parse(v, &r->from))
		return bad(diag, src, id, "effective_from is not a date (YYYY-MM-DD)");
	if (!base && !v)
		return bad(diag, src, id, "effective_from is required");
	if ((v = str(obj, "effective_to"))) {
		if (ds_date_parse(v, &r->to))
			return bad(diag, src, id, "effective_to is not a date (YYYY-MM-DD)");
		r->has_to = true;
	}
	if (r->has_to && r->to <= r->from)
		return bad(diag, src, id, "effective_to must come after effective_from");
	ds_date_format(r->from, r->from_s);
	if (r->has_to)
		ds_date_format(r->to, r->to_s);
	json_t *params = json_object_get(obj, "params");
	if (params) {
		if (!json_is_object(params))
			return bad(diag, src, id, "params must be an object");
		r->params = params;
	} else if (!base) {
		r->params = json_object_get(obj, "params");
		if (!r->params) {
			json_object_set_new(obj, "params", json_object());
			r->params = json_object_get(obj, "params");
		}
	}
	r->params_text = NULL;
	ds_err err = decode(r, src, diag);
	if (!err && !(r->params_text = json_dumps(r->params, JSON_COMPACT | JSON_SORT_KEYS)))
		err = ds_diag_set(diag, DS_ENOMEM, src, 0, id, "out of memory");
	return err;
}

static ds_err add_rule(ds_rulepack *pk, const struct rule *r)
{
	if (pk->n == pk->cap) {
		int cap = pk->cap ? pk->cap * 2 : 16;
		struct rule *p = ds_realloc(pk->rules, (size_t)cap * sizeof *p);
		if (!p)
			return DS_ENOMEM;
		pk->rules = p;
		pk->cap = cap;
	}
	pk->rules[pk->n++] = *r;
	return DS_OK;
}

static ds_err parse_json(const char *text, size_t len, const char *src, json_t **out,
                         struct ds_diag *diag)
{
	if (len > DS_RULES_MAX_FILE)
		return ds_diag_set(diag, DS_ETOOBIG, src, 0, NULL, "rule pack over %d bytes",
		                   DS_RULES_MAX_FILE);
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return ds_diag_set(diag, DS_ECONFIG, src, je.line, NULL, "not valid JSON: %s",
		                   je.text);
	if (!json_is_object(root) || !json_is_array(json_object_get(root, "rules"))) {
		json_decref(root);
		return ds_diag_set(diag, DS_ECONFIG, src, 0, NULL,
		                   "a rule pack is an object with a \"rules\" array");
	}
	*out = root;
	return DS_OK;
}

static ds_err read_file(const char *path, char **text, size_t *len, struct ds_diag *diag)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return ds_diag_set(diag, DS_ECONFIG, path, 0, NULL, "cannot read: %s",
		                   strerror(errno));
	char *buf = ds_malloc(DS_RULES_MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		return ds_diag_set(diag, DS_ENOMEM, path, 0, NULL, "out of memory");
	}
	size_t n = fread(buf, 1, DS_RULES_MAX_FILE + 1, f);
	bool err = ferror(f);
	fclose(f);
	if (err || n > DS_RULES_MAX_FILE) {
		ds_free(buf);
		return ds_diag_set(diag, err ? DS_EIO : DS_ETOOBIG, path, 0, NULL,
		                   err ? "read error" : "rule pack over 1 MiB");
	}
	*text = buf;
	*len = n;
	return DS_OK;
}

static ds_err load_text(const char *text, size_t len, const char *src, ds_rulepack **out,
                        struct ds_diag *diag)
{
	json_t *root;
	ds_err err = parse_json(text, len, src, &root, diag);
	if (err)
		return err;
	ds_rulepack *pk = ds_calloc(1, sizeof *pk);
	if (!pk) {
		json_decref(root);
		return ds_diag_set(diag, DS_ENOMEM, src, 0, NULL, "out of memory");
	}
	pk->root = root;
	const char *j = str(root, "jurisdiction");
	ds_strlcpy(pk->jurisdiction, j ? j : "?", sizeof pk->jurisdiction);
	size_t i;
	json_t *obj;
	json_array_foreach(json_object_get(root, "rules"), i, obj)
	{
		struct rule r;
		if (!json_is_object(obj)) {
			err = ds_diag_set(diag, DS_ECONFIG, src, 0, NULL,
			                  "rule %zu is not an object", i + 1);
			break;
		}
		if ((err = read_rule(obj, NULL, &r, src, diag)))
			break;
		for (int k = 0; k < pk->n && !err; k++)
			if (strcmp(pk->rules[k].id, r.id) == 0)
				err = bad(diag, src, r.id, "this rule id appears twice");
		if (!err && add_rule(pk, &r))
			err = ds_diag_set(diag, DS_ENOMEM, src, 0, NULL, "out of memory");
		if (err) {
			ds_free(r.params_text); /* not in the pack */
			break;
		}
	}
	if (err) {
		ds_rules_free(pk);
		return err;
	}
	*out = pk;
	return DS_OK;
}

ds_err ds_rules_load(const char *jurisdiction, ds_rulepack **out, struct ds_diag *diag)
{
	for (int i = 0; i < ds_builtin_pack_count; i++)
		if (strcmp(ds_builtin_packs[i].jurisdiction, jurisdiction) == 0)
			return load_text(ds_builtin_packs[i].json, strlen(ds_builtin_packs[i].json),
			                 jurisdiction, out, diag);
	return ds_diag_set(diag, DS_ECONFIG, NULL, 0, NULL, "no rule pack for jurisdiction '%s'",
	                   jurisdiction);
}

ds_err ds_rules_load_file(const char *path, ds_rulepack **out, struct ds_diag *diag)
{
	char *text;
	size_t len;
	ds_err err = read_file(path, &text, &len, diag);
	if (err)
		return err;
	err = load_text(text, len, path, out, diag);
	ds_free(text);
	return err;
}

ds_err ds_rules_override(ds_rulepack *pk, const char *path, struct ds_diag *diag)
{
	char *text;
	size_t len;
	ds_err err = read_file(path, &text, &len, diag);
	if (err)
		return err;
	json_t *root;
	err = parse_json(text, len, path, &root, diag);
	ds_free(text);
	if (err)
		return err;
	/* The override's JSON lives as long as the pack: keep it in the root. */
	json_t *keep = json_object_get(pk->root, "_overrides");
	if (!keep) {
		json_object_set_new(pk->root, "_overrides", json_array());
		keep = json_object_get(pk->root, "_overrides");
	}
	json_array_append_new(keep, root);
	size_t i;
	json_t *obj;
	json_array_foreach(json_object_get(root, "rules"), i, obj)
	{
		if (!json_is_object(obj))
			return ds_diag_set(diag, DS_ECONFIG, path, 0, NULL,
			                   "rule %zu is not an object", i + 1);
		const char *id = str(obj, "id");
		struct rule *base = NULL;
		for (int k = 0; id && k < pk->n; k++)
			if (strcmp(pk->rules[k].id, id) == 0)
				base = &pk->rules[k];
		struct rule r;
		if ((err = read_rule(obj, base, &r, path, diag)))
			return err;
		if (base) {
			ds_free(base->params_text);
			*base = r;
		} else if (add_rule(pk, &r)) {
			ds_free(r.params_text);
			return ds_diag_set(diag, DS_ENOMEM, path, 0, NULL, "out of memory");
		}
	}
	return DS_OK;
}

void ds_rules_free(ds_rulepack *pk)
{
	if (!pk)
		return;
	for (int i = 0; i < pk->n; i++)
		ds_free(pk->rules[i].params_text);
	ds_free(pk->rules);
	json_decref(pk->root);
	ds_free(pk);
}

const char *ds_rules_jurisdiction(const ds_rulepack *pk)
{
	return pk->jurisdiction;
}

int ds_rules_complaint_alert(const ds_rulepack *pk)
{
	int best = -1;
	for (int i = 0; i < pk->n; i++) {
		const struct rule *r = &pk->rules[i];
		if (r->kind != RK_COMMUNITY_PRESSURE)
			continue;
		json_t *v = json_object_get(r->params, "complaint_alert");
		if (json_is_integer(v) && (best < 0 || json_integer_value(v) < best))
			best = (int)json_integer_value(v);
	}
	return best;
}

int ds_rules_count(const ds_rulepack *pk)
{
	return pk->n;
}

void ds_rules_info(const ds_rulepack *pk, int i, struct ds_rule_info *out)
{
	const struct rule *r = &pk->rules[i];
	*out = (struct ds_rule_info){
		.id = r->id,
		.kind = ds_rule_kind_name(r->kind),
		.citation = r->citation,
		.effective_from = r->from_s,
		.effective_to = r->has_to ? r->to_s : NULL,
		.reason_zh = r->reason_zh,
		.reason_en = r->reason_en,
		.params_json = r->params_text ? r->params_text : "{}",
	};
}

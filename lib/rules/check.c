/*
 * The one function every contact passes: each rule in force is asked about
 * the proposal, and any that refuses adds its id and reasons to the verdict.
 * Time windows and "per day" counts are in the borrower's local time zone.
 */
#include "rules-int.h"

#include <string.h>

struct when {
	ds_date day; /* local date of the start */
	int start_s; /* local second of the day at the start */
	int end_s;   /* local second of the day at the end (may pass 86400) */
};

static ds_err local(const char *zone, ds_time t, ds_date *day, int *sec)
{
	struct ds_civil_time ct;
	ds_err e = ds_tz_to_local(zone, t, &ct);
	if (e)
		return e;
	*day = ds_date_from_ymd(ct.year, ct.month, ct.day);
	*sec = ct.hour * 3600 + ct.minute * 60 + ct.second;
	return DS_OK;
}

static bool hold_active(const struct ds_hold *h, ds_time t)
{
	return h->start <= t && (h->end == 0 || t < h->end);
}

static bool has_hold(const struct ds_proposal *p, const char *kind)
{
	for (int i = 0; kind && i < p->nholds; i++)
		if (strcmp(p->holds[i].kind, kind) == 0 && hold_active(&p->holds[i], p->start))
			return true;
	return false;
}

/* Whether any hold named in the JSON list `arr` is active. */
static bool any_hold_in(const struct ds_proposal *p, json_t *arr)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (json_is_string(v) &&
	                                  has_hold(p, json_string_value(v))) return true;
	return false;
}

static bool in(unsigned set, int v)
{
	return (set >> v) & 1u;
}

/* Past contacts on the proposal's local day that match the rule. */
static int count_day(const struct rule *r, const struct ds_proposal *p, const struct when *w,
                     bool same_number)
{
	int n = 0;
	for (int i = 0; i < p->nhistory; i++) {
		const struct ds_past_contact *c = &p->history[i];
		if (!in(r->channels, c->channel) || !in(r->outcomes, c->outcome))
			continue;
		if (same_number && (!c->number || !p->number || strcmp(c->number, p->number) != 0))
			continue;
		ds_date day;
		int min;
		if (c->at > p->start || local(p->zone, c->at, &day, &min) || day != w->day)
			continue;
		n++;
	}
	return n;
}

static int count_since(const struct rule *r, const struct ds_proposal *p, ds_time since)
{
	int n = 0;
	for (int i = 0; i < p->nhistory; i++) {
		const struct ds_past_contact *c = &p->history[i];
		if (in(r->channels, c->channel) && in(r->outcomes, c->outcome) && c->at > since &&
		    c->at <= p->start)
			n++;
	}
	return n;
}

/* True when the rule refuses the proposal. */
static bool refuses(const struct rule *r, const struct ds_proposal *p, const struct when *w)
{
	bool visit = p->channel == DS_CH_VISIT;
	switch (r->kind) {
	case RK_ALLOWED_HOURS:
		if (!in(r->channels, p->channel) || p->channel == DS_CH_LETTER)
			return false;
		if (r->hold && has_hold(p, r->hold))
			return false; /* the borrower agreed to these hours */
		return w->start_s < r->from_min * 60 || w->end_s > r->to_min * 60;
	case RK_MAX_PER_NUMBER_DAY:
		return in(r->channels, p->channel) && count_day(r, p, w, true) >= r->max;
	case RK_MAX_PER_DEBTOR_DAY:
		return in(r->channels, p->channel) && count_day(r, p, w, false) >= r->max;
	case RK_MAX_PER_WINDOW:
		return in(r->channels, p->channel) &&
		       count_since(r, p, p->start - (ds_time)r->days * 86400) >= r->max;
	case RK_SPACING_AFTER_CONVERSATION:
		return in(r->channels, p->channel) &&
		       count_since(r, p, p->start - (ds_time)r->days * 86400) > 0;
	case RK_VISIT_TEAM: {
		if (!visit || p->team_unknown)
			return false;
		if (p->nteam < r->min_people)
			return true;
		bool certified = false;
		for (int i = 0; i < p->nteam; i++) {
			const struct ds_team_member *m = &p->team[i];
			if (m->collector && m->certified)
				certified = true;
			if (r->flag_b && !m->collector &&
			    (!m->community_id || !p->community_id ||
			     strcmp(m->community_id, p->community_id) != 0))
				return true;
			if (r->max >= 0 && m->visits_today >= r->max)
				return true;
		}
		return r->flag_a && !certified;
	}
	case RK_VISIT_ENTRY:
		if (!visit || p->stage != DS_STAGE_ACT)
			return false;
		return (r->flag_a && !p->identity_shown) ||
		       (r->flag_b && p->entering_home && !p->consent_to_enter);
	case RK_ADVANCE_NOTICE:
		if (!in(r->channels, p->channel) || p->stage != DS_STAGE_ACT)
			return false;
		if (r->flag_c) { /* only before the first contact on these channels */
			for (int i = 0; i < p->nhistory; i++)
				if (in(r->channels, p->history[i].channel) &&
				    p->history[i].at < p->start)
					return false;
		}
		return !p->notice_sent_at ||
		       p->start - p->notice_sent_at < (ds_time)r->days * 86400;
	case RK_THIRD_PARTY:
		if (!in(r->parties, p->party))
			return false;
		if (r->flag_b)
			return true; /* nobody but the borrower or guarantor */
		if (r->contents && !in(r->contents, p->content))
			return true;
		if (r->flag_a && !p->borrower_unreachable)
			return true;
		if (r->max >= 0) {
			/* per person when the rule says so and the number is known */
			bool per_person = r->flag_c && p->number;
			int n = 0;
			for (int i = 0; i < p->nhistory; i++) {
				const struct ds_past_contact *c = &p->history[i];
				if (in(r->parties, c->party) &&
				    (!per_person ||
				     (c->number && strcmp(c->number, p->number) == 0)))
					n++;
			}
			return n >= r->max;
		}
		return false;
	case RK_FORBIDDEN_CONTENT:
		return in(r->contents, p->content);
	case RK_HOLDS:
		if (any_hold_in(p, json_object_get(r->params, "all")))
			return true;
		if (visit && any_hold_in(p, json_object_get(r->params, "visit")))
			return true;
		return p->channel != DS_CH_LETTER &&
		       any_hold_in(p, json_object_get(r->params, "not_letter"));
	case RK_SAFETY: {
		if (!visit || !has_hold(p, r->hold) || p->team_unknown)
			return false;
		if (r->flag_b)
			return true;
		bool experienced = false;
		for (int i = 0; i < p->nteam; i++)
			experienced |= p->team[i].collector && p->team[i].experienced;
		return p->nteam < r->min_people || (r->flag_a && !experienced);
	}
	case RK_COMMUNITY_PRESSURE:
		return visit && p->community_visits_week >= r->max;
	case RK_RETENTION:
	case RK_COUNT:
		return false;
	}
	return false;
}

ds_err ds_rules_check(const ds_rulepack *pack, const struct ds_proposal *p, struct ds_verdict *out,
                      struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	out->allow = true;
	if (!p->zone || !ds_tz_valid(p->zone))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "zone",
		                   "not an IANA time zone: \"%s\"", p->zone ? p->zone : "");
	if (p->duration_s < 0 || p->duration_s > 86400)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "duration_s", "must be 0..86400");
	struct when w;
	int end_s;
	ds_date end_day;
	if (local(p->zone, p->start, &w.day, &w.start_s) ||
	    local(p->zone, p->start + p->duration_s, &end_day, &end_s))
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "start", "time out of range");
	w.end_s = end_s + (end_day - w.day) * 86400;
	for (int i = 0; i < pack->n; i++) {
		const struct rule *r = &pack->rules[i];
		if (w.day < r->from || (r->has_to && w.day >= r->to))
			continue;
		if (!refuses(r, p, &w))
			continue;
		out->allow = false;
		out->nrefused++;
		if (out->nhits < DS_VERDICT_MAX)
			out->hits[out->nhits++] =
			        (struct ds_rule_hit){ r->id, r->reason_zh, r->reason_en };
	}
	return DS_OK;
}

/*
 * How the rules read a borrower's past: stored contact outcomes in the
 * rules' terms, when a borrower counts as unreachable, and where a
 * community's week of visits begins. Shared by the audit and the store
 * context, so both judge the past the same way.
 */
#include "rules-int.h"

#include <string.h>

ds_outcome rules_outcome_of(const char *stored)
{
	static const struct {
		const char *stored;
		ds_outcome rule;
	} map[] = {
		{ "no_answer", DS_OUT_UNANSWERED },
		{ "busy", DS_OUT_UNANSWERED },
		{ "failed", DS_OUT_FAILED },
		{ "invalid_number", DS_OUT_INVALID_NUMBER },
		{ "connected", DS_OUT_CONVERSATION },
		{ "promise", DS_OUT_CONVERSATION },
		{ "refused", DS_OUT_CONVERSATION },
		{ "dispute", DS_OUT_CONVERSATION },
		{ "met_borrower", DS_OUT_CONVERSATION },
		{ "met_family", DS_OUT_CONNECTED },
		{ "wrong_party", DS_OUT_CONNECTED },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].stored, stored) == 0)
			return map[i].rule;
	return DS_OUT_NONE; /* delivered, not_home, moved */
}

bool rules_unreachable(const struct ds_past_contact *c, int n)
{
	if (n && c[n - 1].outcome == DS_OUT_INVALID_NUMBER)
		return true;
	int failed = 0;
	for (int i = n - 1; i >= 0 && failed < 3; i--) {
		if (c[i].outcome != DS_OUT_UNANSWERED && c[i].outcome != DS_OUT_FAILED)
			return false;
		failed++;
	}
	return failed >= 3;
}

ds_err rules_week_start(const char *zone, ds_time at, ds_time *from)
{
	struct ds_civil_time ct;
	ds_err err = ds_tz_to_local(zone, at, &ct);
	if (err)
		return err;
	int y, m, d;
	ds_date_to_ymd(ds_date_from_ymd(ct.year, ct.month, ct.day) - 6, &y, &m, &d);
	return ds_tz_from_local(zone, y, m, d, 0, 0, 0, from);
}

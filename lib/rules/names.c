/* Names of channels, parties, contents and outcomes as packs and JSON use them. */
#include "rules-int.h"

#include <string.h>

static const char *const channels[DS_CH_COUNT] = { "sms",   "call",     "letter",
	                                           "visit", "app_push", "email" };
static const char *const parties[DS_PARTY_COUNT] = { "borrower", "guarantor", "family",
	                                             "third_party" };
static const char *const contents[DS_CONTENT_COUNT] = { "reminder", "debt_details",
	                                                "location_inquiry", "public_notice",
	                                                "visit_notice" };
static const char *const outcomes[DS_OUT_COUNT] = { "none",   "unanswered",     "connected",
	                                            "failed", "invalid_number", "conversation" };

static ds_err parse(const char *const *names, int n, const char *s, int *out)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return DS_OK;
		}
	return DS_EINVAL;
}

#define NAMED(type, fn, arr, count)                             \
	const char *ds_##fn##_name(type v)                      \
	{                                                       \
		return (int)v >= 0 && v < count ? arr[v] : "?"; \
	}                                                       \
	ds_err ds_##fn##_parse(const char *s, type *out)        \
	{                                                       \
		int i;                                          \
		ds_err e = parse(arr, count, s, &i);            \
		if (!e)                                         \
			*out = (type)i;                         \
		return e;                                       \
	}

NAMED(ds_channel, channel, channels, DS_CH_COUNT)
NAMED(ds_party, party, parties, DS_PARTY_COUNT)
NAMED(ds_content, content, contents, DS_CONTENT_COUNT)
NAMED(ds_outcome, outcome, outcomes, DS_OUT_COUNT)

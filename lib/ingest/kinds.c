/*
 * The import format: one descriptor per entity kind. docs/import-format.md
 * describes the same columns; `doorstep import KIND --help` prints them.
 */
#include "doorstep/ingest.h"

#include <string.h>

#define YUAN(x) ((int64_t)(x)*100)
#define N(a)    ((int)(sizeof(a) / sizeof((a)[0])))

static const struct ds_import_col branches[] = {
	{ "branch_id", "branch_id", DS_COL_ID, DS_COL_KEY, 0, 64, NULL, NULL, NULL,
	  "bank's branch id" },
	{ "name", "name", DS_COL_TEXT, DS_COL_REQUIRED, 0, 100, NULL, NULL, NULL, "branch name" },
	{ "city", "city", DS_COL_TEXT, 0, 0, 50, NULL, NULL, NULL, "city" },
	{ "timezone", "timezone", DS_COL_TZ, DS_COL_REQUIRED, 0, 64, NULL, NULL, NULL,
	  "IANA time zone, e.g. Asia/Shanghai" },
	{ "address", "address", DS_COL_TEXT, 0, 0, 200, NULL, NULL, NULL, "street address" },
	{ "lat", "lat", DS_COL_LAT, 0, 0, 0, NULL, NULL, NULL, "latitude, WGS-84 degrees" },
	{ "lon", "lon", DS_COL_LON, 0, 0, 0, NULL, NULL, NULL, "longitude, WGS-84 degrees" },
};

static const struct ds_import_col communities[] = {
	{ "community_id", "community_id", DS_COL_ID, DS_COL_KEY, 0, 64, NULL, NULL, NULL,
	  "community (社区) id" },
	{ "name", "name", DS_COL_TEXT, DS_COL_REQUIRED, 0, 100, NULL, NULL, NULL,
	  "community name" },
	{ "city", "city", DS_COL_TEXT, 0, 0, 50, NULL, NULL, NULL, "city" },
	{ "district", "district", DS_COL_TEXT, 0, 0, 50, NULL, NULL, NULL, "district (区)" },
	{ "branch_id", "branch_id", DS_COL_ID, 0, 0, 64, NULL, "branches.branch_id", NULL,
	  "branch that serves it" },
	{ "centroid_lat", "centroid_lat", DS_COL_LAT, DS_COL_REQUIRED, 0, 0, NULL, NULL, NULL,
	  "centre latitude" },
	{ "centroid_lon", "centroid_lon", DS_COL_LON, DS_COL_REQUIRED, 0, 0, NULL, NULL, NULL,
	  "centre longitude" },
	{ "boundary", "boundary", DS_COL_POLYGON, 0, 0, 8192, NULL, NULL, NULL,
	  "boundary ring 'lon lat;lon lat;...'" },
	{ "partner_status", "partner_status", DS_COL_ENUM, 0, 0, 0, "active pilot inactive none",
	  NULL, "none", "community partnership status" },
};

static const struct ds_import_col borrowers[] = {
	{ "borrower_id", "borrower_id", DS_COL_ID, DS_COL_KEY, 0, 64, NULL, NULL, NULL,
	  "bank customer id" },
	{ "name", "name", DS_COL_TEXT, DS_COL_REQUIRED, 0, 50, NULL, NULL, NULL, "full name" },
	{ "national_id", "national_id", DS_COL_NATID, 0, 0, 18, NULL, NULL, NULL,
	  "18-character resident ID (stored hashed and sealed)" },
	{ "phone", "phone", DS_COL_PHONE, 0, 0, 20, NULL, NULL, NULL,
	  "main phone (stored hashed and sealed)" },
	{ "alt_phone", "alt_phone", DS_COL_PHONE, 0, 0, 20, NULL, NULL, NULL, "second phone" },
	{ "address", "address", DS_COL_TEXT, 0, 0, 200, NULL, NULL, NULL, "home address" },
	{ "lat", "lat", DS_COL_LAT, 0, 0, 0, NULL, NULL, NULL, "home latitude" },
	{ "lon", "lon", DS_COL_LON, 0, 0, 0, NULL, NULL, NULL, "home longitude" },
	{ "community_id", "community_id", DS_COL_ID, 0, 0, 64, NULL, "communities.community_id",
	  NULL, "community of residence" },
	{ "birth_date", "birth_date", DS_COL_DATE, DS_COL_PAST, 0, 0, NULL, NULL, NULL,
	  "date of birth" },
	{ "occupation", "occupation", DS_COL_TEXT, 0, 0, 50, NULL, NULL, NULL, "occupation" },
	{ "monthly_income", "monthly_income_fen", DS_COL_MONEY, 0, 0, YUAN(10000000), NULL, NULL,
	  NULL, "declared monthly income, yuan" },
	{ "flags", "flags", DS_COL_LIST, 0, 0, 200, NULL, NULL, NULL,
	  "comma-separated flags, e.g. elderly,safety_risk" },
};

static const struct ds_import_col accounts[] = {
	{ "account_id", "account_id", DS_COL_ID, DS_COL_KEY, 0, 64, NULL, NULL, NULL,
	  "bank account or card id" },
	{ "borrower_id", "borrower_id", DS_COL_ID, DS_COL_REQUIRED, 0, 64, NULL,
	  "borrowers.borrower_id", NULL, "owner" },
	{ "branch_id", "branch_id", DS_COL_ID, DS_COL_REQUIRED, 0, 64, NULL, "branches.branch_id",
	  NULL, "branch holding the account" },
	{ "product", "product", DS_COL_ENUM, DS_COL_REQUIRED, 0, 0,
	  "credit_card consumer_loan small_business_loan mortgage auto_loan", NULL, NULL,
	  "product type" },
	{ "principal", "principal_fen", DS_COL_MONEY, DS_COL_REQUIRED, 0, YUAN(100000000), NULL,
	  NULL, NULL, "original principal or credit limit, yuan" },
	{ "balance", "balance_fen", DS_COL_MONEY, DS_COL_REQUIRED, 0, YUAN(100000000), NULL, NULL,
	  NULL, "outstanding balance, yuan" },
	{ "overdue_amount", "overdue_fen", DS_COL_MONEY, 0, 0, YUAN(100000000), NULL, NULL, "0",
	  "overdue amount reported by the bank, yuan" },
	{ "overdue_since", "overdue_since_date", DS_COL_DATE, 0, 0, 0, NULL, NULL, NULL,
	  "first unpaid due date reported by the bank" },
	{ "reported_date", "reported_date", DS_COL_DATE, 0, 0, 0, NULL, NULL, NULL,
	  "date the reported figures refer to" },
	{ "rate", "rate_bp", DS_COL_PERCENT, 0, 0, 10000, NULL, NULL, NULL,
	  "annual interest rate, percent (18.25)" },
	{ "open_date", "open_date", DS_COL_DATE, DS_COL_REQUIRED | DS_COL_PAST, 0, 0, NULL, NULL,
	  NULL, "opening date" },
	{ "maturity_date", "maturity_date", DS_COL_DATE, 0, 0, 0, NULL, NULL, NULL,
	  "contractual maturity" },
	{ "status", "status", DS_COL_ENUM, 0, 0, 0, "active closed written_off legal settled", NULL,
	  "active", "account status" },
};

static const struct ds_import_col schedules[] = {
	{ "account_id", "account_id", DS_COL_ID, DS_COL_KEY, 0, 64, NULL, "accounts.account_id",
	  NULL, "account" },
	{ "seq", "seq", DS_COL_INT, DS_COL_KEY, 1, 1200, NULL, NULL, NULL,
	  "installment number, from 1" },
	{ "due_date", "due_date", DS_COL_DATE, DS_COL_REQUIRED, 0, 0, NULL, NULL, NULL,
	  "due date" },
	{ "amount", "amount_fen", DS_COL_MONEY, DS_COL_REQUIRED, 0, YUAN(100000000), NULL, NULL,
	  NULL, "amount due, yuan" },
};

static const struct ds_import_col payments[] = {
	{ "payment_id", "payment_id", DS_COL_ID, DS_COL_KEY, 0, 64, NULL, NULL, NULL,
	  "bank transaction id" },
	{ "account_id", "account_id", DS_COL_ID, DS_COL_REQUIRED, 0, 64, NULL,
	  "accounts.account_id", NULL, "account credited" },
	{ "value_date", "value_date", DS_COL_DATE, DS_COL_REQUIRED | DS_COL_PAST, 0, 0, NULL, NULL,
	  NULL, "booking date" },
	{ "paid_at", "paid_at", DS_COL_DATETIME, 0, 0, 0, NULL, NULL, NULL,
	  "time of the transaction (ISO 8601)" },
	{ "amount", "amount_fen", DS_COL_MONEY, DS_COL_REQUIRED, 1, YUAN(100000000), NULL, NULL,
	  NULL, "amount paid, yuan (> 0)" },
	{ "channel", "channel", DS_COL_ENUM, DS_COL_REQUIRED, 0, 0,
	  "transfer auto_debit card cash_at_door branch app other", NULL, NULL, "how it was paid" },
	{ "reference", "reference", DS_COL_TEXT, 0, 0, 64, NULL, NULL, NULL,
	  "bank reference or receipt number" },
};

static const struct ds_import_col staff[] = {
	{ "staff_id", "staff_id", DS_COL_ID, DS_COL_KEY, 0, 64, NULL, NULL, NULL, "staff id" },
	{ "name", "name", DS_COL_TEXT, DS_COL_REQUIRED, 0, 50, NULL, NULL, NULL, "full name" },
	{ "role", "role", DS_COL_ENUM, DS_COL_REQUIRED, 0, 0,
	  "collector community_worker manager analyst auditor admin", NULL, NULL, "role" },
	{ "branch_id", "branch_id", DS_COL_ID, 0, 0, 64, NULL, "branches.branch_id", NULL,
	  "branch (bank staff)" },
	{ "community_id", "community_id", DS_COL_ID, 0, 0, 64, NULL, "communities.community_id",
	  NULL, "community (community workers)" },
	{ "phone", "phone", DS_COL_PHONE, 0, 0, 20, NULL, NULL, NULL, "work phone" },
	{ "skills", "skills", DS_COL_LIST, 0, 0, 200, NULL, NULL, NULL,
	  "comma-separated skills, e.g. dialect_wu,counselling" },
	{ "home_lat", "home_lat", DS_COL_LAT, 0, 0, 0, NULL, NULL, NULL,
	  "home latitude (route start)" },
	{ "home_lon", "home_lon", DS_COL_LON, 0, 0, 0, NULL, NULL, NULL, "home longitude" },
	{ "shift_start", "shift_start", DS_COL_HHMM, 0, 0, 0, NULL, NULL, NULL,
	  "shift start, local HH:MM" },
	{ "shift_end", "shift_end", DS_COL_HHMM, 0, 0, 0, NULL, NULL, NULL,
	  "shift end, local HH:MM" },
	{ "hired_date", "hired_date", DS_COL_DATE, DS_COL_PAST, 0, 0, NULL, NULL, NULL,
	  "hiring date" },
	{ "active", "active", DS_COL_BOOL, 0, 0, 0, NULL, NULL, "1", "still working (1/0)" },
};

static const struct ds_import_col certifications[] = {
	{ "staff_id", "staff_id", DS_COL_ID, DS_COL_KEY, 0, 64, NULL, "staff.staff_id", NULL,
	  "staff member" },
	{ "cert", "cert", DS_COL_ID, DS_COL_KEY, 0, 64, NULL, NULL, NULL,
	  "certification code, e.g. collection_basic" },
	{ "issued_date", "issued_date", DS_COL_DATE, DS_COL_REQUIRED | DS_COL_PAST, 0, 0, NULL,
	  NULL, NULL, "date obtained" },
	{ "expires_date", "expires_date", DS_COL_DATE, 0, 0, 0, NULL, NULL, NULL,
	  "expiry date (empty: none)" },
};

static const struct ds_import_col contacts[] = {
	{ "contact_id", "contact_id", DS_COL_ID, DS_COL_KEY, 0, 64, NULL, NULL, NULL,
	  "contact record id" },
	{ "account_id", "account_id", DS_COL_ID, DS_COL_REQUIRED, 0, 64, NULL,
	  "accounts.account_id", NULL, "account concerned" },
	{ "channel", "channel", DS_COL_ENUM, DS_COL_REQUIRED, 0, 0,
	  "sms call letter visit app_push email", NULL, NULL, "channel" },
	{ "direction", "direction", DS_COL_ENUM, 0, 0, 0, "outbound inbound", NULL, "outbound",
	  "who initiated" },
	{ "started_at", "started_at", DS_COL_DATETIME, DS_COL_REQUIRED, 0, 0, NULL, NULL, NULL,
	  "start time (ISO 8601)" },
	{ "duration_s", "duration_s", DS_COL_INT, 0, 0, 86400, NULL, NULL, NULL,
	  "duration in seconds" },
	{ "staff_id", "staff_id", DS_COL_ID, 0, 0, 64, NULL, "staff.staff_id", NULL,
	  "staff member" },
	{ "party", "party", DS_COL_ENUM, 0, 0, 0, "borrower guarantor family third_party", NULL,
	  "borrower", "who was contacted" },
	{ "outcome", "outcome", DS_COL_ENUM, DS_COL_REQUIRED, 0, 0,
	  "delivered failed no_answer busy invalid_number connected promise refused dispute "
	  "wrong_party met_borrower met_family not_home moved",
	  NULL, NULL, "result" },
	{ "note", "note", DS_COL_TEXT, 0, 0, 500, NULL, NULL, NULL, "free-text note" },
	{ "purpose", "purpose", DS_COL_ENUM, 0, 0, 0,
	  "reminder debt_details location_inquiry visit_notice", NULL, NULL,
	  "what the contact was for (empty: not recorded)" },
};

static const struct ds_import_rule contact_rules[] = {
	/* anyone but the borrower or guarantor may only be asked where they are */
	{ "party", "purpose", "family third_party", "location_inquiry" },
	{ NULL, NULL, NULL, NULL },
};

static const struct ds_import_rule account_rules[] = {
	/* the bank's overdue figure means nothing without its date and start */
	{ "overdue_amount", "overdue_since reported_date", NULL, NULL },
	{ NULL, NULL, NULL, NULL },
};

#define KIND(n, t, d, c, ...)                                                          \
	{                                                                              \
		.name = n, .table = t, .doc = d, .cols = c, .ncols = N(c), __VA_ARGS__ \
	}

static const struct ds_import_kind kinds[] = {
	KIND("branches", "branches", "bank branches and their time zones", branches),
	KIND("communities", "communities", "communities (社区) with centroid and boundary",
	     communities),
	KIND("borrowers", "borrowers", "borrowers (bank customers)", borrowers),
	KIND("staff", "staff", "bank collectors, community workers and other users", staff),
	KIND("certifications", "certifications", "staff training certifications", certifications),
	KIND("accounts", "accounts", "loan and card accounts", accounts, .rules = account_rules),
	KIND("schedules", "installments", "due schedules: installments per account", schedules),
	KIND("payments", "payments", "payments received", payments),
	KIND("contacts", "contacts", "contact history: SMS, calls, letters, visits", contacts,
	     .rules = contact_rules),
};

const struct ds_import_kind *ds_import_kinds(int *count)
{
	*count = N(kinds);
	return kinds;
}

const struct ds_import_kind *ds_import_kind_find(const char *name)
{
	for (int i = 0; i < N(kinds); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

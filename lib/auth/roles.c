/* Roles by name, and personal data as each role may see it. */
#include "auth-int.h"

#include <string.h>

/* The names the users table's CHECK and the staff table's role column use. */
static const char *const role_names[DS_ROLE_COUNT] = {
	[DS_ROLE_ADMIN] = "admin",         [DS_ROLE_MANAGER] = "manager",
	[DS_ROLE_COLLECTOR] = "collector", [DS_ROLE_COMMUNITY_WORKER] = "community_worker",
	[DS_ROLE_ANALYST] = "analyst",     [DS_ROLE_AUDITOR] = "auditor",
};

/* "?" for a value outside the enum, so callers can print it blindly. */
const char *ds_role_name(ds_role r)
{
	return (unsigned)r < DS_ROLE_COUNT ? role_names[r] : "?";
}

/* DS_EINVAL unless s is exactly one of the names. */
ds_err ds_role_parse(const char *s, ds_role *out)
{
	for (int i = 0; s && i < DS_ROLE_COUNT; i++)
		if (strcmp(s, role_names[i]) == 0) {
			*out = (ds_role)i;
			return DS_OK;
		}
	return DS_EINVAL;
}

/* Who sees what whole (auth.h): the table docs/auth.md shows. */
bool ds_role_sees_unmasked(ds_role r, ds_pii_kind k)
{
	if (k == DS_PII_NATIONAL_ID)
		return false; /* the full number is never shown, to anyone */
	switch (r) {
	case DS_ROLE_ADMIN:
	case DS_ROLE_MANAGER:
		return k == DS_PII_NAME || k == DS_PII_PHONE || k == DS_PII_ADDRESS;
	case DS_ROLE_COLLECTOR:
	case DS_ROLE_COMMUNITY_WORKER:
		/* they must find the door and greet the borrower; the phone is
		 * the bank's contact centre's to use */
		return k == DS_PII_NAME || k == DS_PII_ADDRESS;
	default:
		return false; /* analysts, auditors and anything unknown */
	}
}

/* The start of a UTF-8 sequence at p that is a digit: ASCII or full-width. */
static bool digit_at(const unsigned char *p)
{
	if (*p >= '0' && *p <= '9')
		return true;
	/* U+FF10..U+FF19, "０".."９": EF BC 90..99 */
	return p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99;
}

/* The address up to its first digit (the street, not the door), whole
 * code points only, trailing blanks dropped; "***" when nothing is left. */
static void mask_address(const char *value, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t n = 0;
	while (p[n] && !digit_at(p + n))
		n++;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == ','))
		n--;
	if (n == 0) {
		ds_strlcpy(out, "***", outsz);
		return;
	}
	if (n >= outsz) {
		/* cut at a code point's start so the text stays UTF-8 */
		n = outsz - 1;
		while (n > 0 && (p[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, value, n);
	out[n] = '\0';
}

/* The value as the role may see it, into out (always terminated when
 * outsz > 0); NULL is shown as "". */
void ds_pii_for_role(ds_role r, ds_pii_kind k, const char *value, char *out, size_t outsz)
{
	if (outsz == 0)
		return;
	if (!value)
		value = "";
	if (ds_role_sees_unmasked(r, k)) {
		ds_strlcpy(out, value, outsz);
		return;
	}
	switch (k) {
	case DS_PII_NAME:
		ds_mask_name(value, out, outsz);
		break;
	case DS_PII_PHONE:
		ds_mask_phone(value, out, outsz);
		break;
	case DS_PII_NATIONAL_ID:
		ds_mask_national_id(value, out, outsz);
		break;
	case DS_PII_ADDRESS:
	default:
		mask_address(value, out, outsz);
		break;
	}
}

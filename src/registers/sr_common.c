/*
 * sr_common: calendar dates as people type them, Companies House numbers,
 * DSPT years, and JSON bodies turned into form values so the API runs the
 * same validators as the pages. Pure code over base and web.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "registers/suppliers_risks.h"

static const char *const months[12] = { "January", "February", "March", "April", "May", "June", "July",
					"August", "September", "October", "November", "December" };

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* A month typed as a number, a three-letter abbreviation or a full name. */
static int month_of(const char *s, size_t n)
{
	if (n >= 1 && n <= 2 && isdigit((unsigned char)s[0]) && (n == 1 || isdigit((unsigned char)s[1]))) {
		int v = s[0] - '0';
		if (n == 2)
			v = v * 10 + (s[1] - '0');
		return v >= 1 && v <= 12 ? v : 0;
	}
	for (int i = 0; i < 12; i++) {
		size_t full = strlen(months[i]);
		if ((n == 3 || n == full || (i == 8 && n == 4)) && n <= full && strncasecmp(s, months[i], n) == 0)
			return i + 1;
	}
	return 0;
}

/* Splits s into up to 3 tokens on spaces, '/', '-', '.' and ','. */
static size_t tokens(const char *s, const char *tok[3], size_t len[3])
{
	size_t n = 0;
	while (*s) {
		while (*s && strchr(" /-.,", *s))
			s++;
		if (!*s)
			break;
		if (n == 3)
			return 4;
		tok[n] = s;
		while (*s && !strchr(" /-.,", *s))
			s++;
		len[n] = (size_t)(s - tok[n]);
		n++;
	}
	return n;
}

static bool number(const char *s, size_t n, int *out)
{
	if (n == 0 || n > 4)
		return false;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool sr_date_parse(const char *s, char out[11])
{
	if (!s || strlen(s) > 40)
		return false;
	const char *t[3];
	size_t l[3];
	if (tokens(s, t, l) != 3)
		return false;
	int y, m, d;
	if (l[0] == 4) {   /* 2026-03-02 */
		if (!number(t[0], l[0], &y) || !(m = month_of(t[1], l[1])) || !number(t[2], l[2], &d) || l[2] > 2)
			return false;
	} else {           /* 2/3/2026, 2 March 2026 */
		if (!number(t[0], l[0], &d) || l[0] > 2 || !(m = month_of(t[1], l[1])) || l[2] != 4 ||
		    !number(t[2], l[2], &y))
			return false;
	}
	if (y < 1990 || y > 2100 || d < 1 || d > days_in(y, m))
		return false;
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
	return true;
}

static bool split_iso(const char *iso, int *y, int *m, int *d)
{
	return iso && strlen(iso) == 10 && sscanf(iso, "%4d-%2d-%2d", y, m, d) == 3 && *m >= 1 && *m <= 12 &&
	       *d >= 1 && *d <= days_in(*y, *m);
}

void sr_date_show(const char *iso, char out[32])
{
	int y, m, d;
	if (!split_iso(iso, &y, &m, &d)) {
		snprintf(out, 32, "%s", iso ? iso : "");
		return;
	}
	snprintf(out, 32, "%d %.3s %d", d, months[m - 1], y);
}

void sr_today(char out[11])
{
	int64_t t = bw_now();
	time_t tt = (time_t)(t + bw_london_offset(t));
	struct tm tm;
	gmtime_r(&tt, &tm);
	snprintf(out, 11, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void sr_date_add(const char *iso, int days, char out[11])
{
	int y, m, d;
	if (!split_iso(iso, &y, &m, &d)) {
		snprintf(out, 11, "%s", iso ? iso : "");
		return;
	}
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d + days, .tm_hour = 12 };
	time_t t = timegm(&tm);
	gmtime_r(&t, &tm);
	snprintf(out, 11, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

enum bw_err sr_check_date(const struct web_field *f, const char *value, struct bw_error *err)
{
	char iso[11];
	if (sr_date_parse(value, iso))
		return BW_OK;
	return bw_fail(err, BW_EINVAL, f->name, "%s must be a real date, like 31/3/2027", f->label);
}

bool sr_company_number_ok(const char *s, char out[9])
{
	if (!s || strlen(s) != 8)
		return false;
	char up[9];
	for (int i = 0; i < 8; i++)
		up[i] = (char)toupper((unsigned char)s[i]);
	up[8] = 0;
	bool digits = true;
	for (int i = 0; i < 8; i++)
		digits = digits && isdigit((unsigned char)up[i]);
	bool prefixed = isupper((unsigned char)up[0]) && isupper((unsigned char)up[1]);
	for (int i = 2; i < 8; i++)
		prefixed = prefixed && isdigit((unsigned char)up[i]);
	if (!digits && !prefixed)
		return false;
	memcpy(out, up, 9);
	return true;
}

enum bw_err sr_check_company_number(const struct web_field *f, const char *value, struct bw_error *err)
{
	char n[9];
	if (sr_company_number_ok(value, n))
		return BW_OK;
	return bw_fail(err, BW_EINVAL, f->name,
		       "Company number must be 8 characters: 8 digits, or 2 letters and 6 digits, like 01234567 or SC123456");
}

static const struct {
	enum sr_ce v;
	const char *name, *label;
} ces[] = {
	{ SR_CE_NONE, "none", "None" },
	{ SR_CE_BASIC, "ce", "Cyber Essentials" },
	{ SR_CE_PLUS, "ce_plus", "Cyber Essentials Plus" },
};

const char *sr_ce_name(enum sr_ce c)
{
	return ces[c <= SR_CE_PLUS ? c : 0].name;
}

const char *sr_ce_label(enum sr_ce c)
{
	return ces[c <= SR_CE_PLUS ? c : 0].label;
}

enum sr_ce sr_ce_parse(const char *s)
{
	for (size_t i = 0; s && i < BW_NELEM(ces); i++)
		if (strcmp(s, ces[i].name) == 0)
			return ces[i].v;
	return SR_CE_NONE;
}

static const struct {
	enum sr_dspt v;
	const char *name, *label;
} dspts[] = {
	{ SR_DSPT_NONE, "", "Not recorded" },
	{ SR_DSPT_EXCEEDED, "standards_exceeded", "Standards exceeded" },
	{ SR_DSPT_MET, "standards_met", "Standards met" },
	{ SR_DSPT_APPROACHING, "approaching_standards", "Approaching standards" },
	{ SR_DSPT_NOT_MET, "standards_not_met", "Standards not met" },
	{ SR_DSPT_NOT_PUBLISHED, "not_published", "Not published" },
};

const char *sr_dspt_name(enum sr_dspt d)
{
	return dspts[d <= SR_DSPT_NOT_PUBLISHED ? d : 0].name;
}

const char *sr_dspt_label(enum sr_dspt d)
{
	return dspts[d <= SR_DSPT_NOT_PUBLISHED ? d : 0].label;
}

enum sr_dspt sr_dspt_parse(const char *s)
{
	for (size_t i = 1; s && i < BW_NELEM(dspts); i++)
		if (strcmp(s, dspts[i].name) == 0)
			return dspts[i].v;
	return SR_DSPT_NONE;
}

bool sr_dspt_year_ok(const char *s)
{
	int a, b;
	if (!s || strlen(s) != 7 || s[4] != '-' || !number(s, 4, &a) || !number(s + 5, 2, &b))
		return false;
	return a >= 2000 && a <= 2099 && (a + 1) % 100 == b;
}

enum bw_err sr_check_dspt_year(const struct web_field *f, const char *value, struct bw_error *err)
{
	if (sr_dspt_year_ok(value))
		return BW_OK;
	return bw_fail(err, BW_EINVAL, f->name, "DSPT year must be two years in a row, like 2025-26");
}

void sr_dspt_current_year(const char *today, char out[8])
{
	int y = 2000, m = 1, d = 1;
	split_iso(today, &y, &m, &d);
	/* the 2025-26 toolkit is due by 30 June 2026 */
	int end = (m > 6) ? y : y - 1;
	snprintf(out, 8, "%04d-%02d", end - 1, end % 100);
}

enum bw_err sr_json_values(json_t *obj, const struct web_field *fields, size_t n, struct arena *a,
			   const char **values, struct bw_error *err)
{
	if (!json_is_object(obj))
		return bw_fail(err, BW_EINVAL, "body", "The body must be a JSON object");
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(obj, fields[i].name);
		if (!v || json_is_null(v))
			continue;
		if (json_is_string(v)) {
			const char *s = json_string_value(v);
			if (strlen(s) != json_string_length(v))
				return bw_fail(err, BW_EINVAL, fields[i].name, "%s must not contain NUL characters",
					       fields[i].name);
			values[i] = s;
		} else if (json_is_integer(v)) {
			values[i] = arena_printf(a, "%lld", (long long)json_integer_value(v));
		} else if (json_is_boolean(v)) {
			values[i] = json_is_true(v) ? "1" : "";
		} else {
			return bw_fail(err, BW_EINVAL, fields[i].name, "%s must be a string, a whole number or true/false",
				       fields[i].name);
		}
	}
	return BW_OK;
}

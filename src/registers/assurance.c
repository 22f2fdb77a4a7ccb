/*
 * assurance: what a supplier's certificates say about it, and its risk
 * rating. Gaps (missing, expired, not met) and warnings (expiring soon,
 * approaching, out of date) are computed from the recorded assurances and
 * today's date, never typed; the rating combines them with how critical
 * the systems it supplies are, and explains itself in one plain sentence.
 * Pure code: the pages and the API pass in what they read.
 */
#include <stdio.h>
#include <string.h>

#include "registers/suppliers_risks.h"

static size_t add(struct sr_flag *out, size_t n, size_t max, bool gap, int which, const char *tag,
		  const char *fmt, const char *a, const char *b)
{
	if (n >= max)
		return n;
	out[n].gap = gap;
	out[n].which = which;
	snprintf(out[n].tag, sizeof out[n].tag, "%s", tag);
	snprintf(out[n].text, sizeof out[n].text, fmt, a ? a : "", b ? b : "");
	return n + 1;
}

size_t sr_assurance_flags(const struct sr_assurance *a, const char *today, struct sr_flag *out, size_t max)
{
	size_t n = 0;
	char soon[11], shown[32];
	sr_date_add(today, SR_SOON_DAYS, soon);

	/* Cyber Essentials: the baseline every supplier to the NHS is asked for */
	const char *ce = a->ce == SR_CE_PLUS ? "Cyber Essentials Plus" : "Cyber Essentials";
	if (a->ce == SR_CE_NONE)
		n = add(out, n, max, true, 0, "Missing", "it has no Cyber Essentials certificate%s%s", NULL, NULL);
	else if (!a->ce_expiry || !*a->ce_expiry)
		n = add(out, n, max, false, 0, "No expiry date", "its %s certificate has no expiry date recorded%s", ce,
			NULL);
	else {
		sr_date_show(a->ce_expiry, shown);
		if (strcmp(a->ce_expiry, today) < 0)
			n = add(out, n, max, true, 0, "Expired", "its %s certificate expired on %s", ce, shown);
		else if (strcmp(a->ce_expiry, soon) <= 0)
			n = add(out, n, max, false, 0, "Expires soon", "its %s certificate expires on %s", ce, shown);
	}

	/* ISO 27001: not every supplier holds it, so its absence is a warning */
	if (!a->iso_scope || !*a->iso_scope)
		n = add(out, n, max, false, 1, "Not recorded", "it has no ISO 27001 certificate recorded%s%s", NULL, NULL);
	else if (a->iso_expiry && *a->iso_expiry) {
		sr_date_show(a->iso_expiry, shown);
		if (strcmp(a->iso_expiry, today) < 0)
			n = add(out, n, max, true, 1, "Expired", "its ISO 27001 certificate expired on %s%s", shown, NULL);
		else if (strcmp(a->iso_expiry, soon) <= 0)
			n = add(out, n, max, false, 1, "Expires soon", "its ISO 27001 certificate expires on %s%s", shown,
				NULL);
	}

	/* DSPT: published yearly, due by 30 June */
	char current[8];
	sr_dspt_current_year(today, current);
	const char *year = a->dspt_year && *a->dspt_year ? a->dspt_year : NULL;
	switch (a->dspt) {
	case SR_DSPT_NONE:
	case SR_DSPT_NOT_PUBLISHED:
		n = add(out, n, max, true, 2, "Not published", "it has not published a DSPT assessment%s%s", NULL, NULL);
		break;
	case SR_DSPT_NOT_MET:
		n = add(out, n, max, true, 2, "Not met", "its DSPT assessment%s%s says Standards not met",
			year ? " for " : "", year);
		break;
	case SR_DSPT_APPROACHING:
		n = add(out, n, max, false, 2, "Approaching", "its DSPT assessment%s%s says Approaching standards",
			year ? " for " : "", year);
		break;
	case SR_DSPT_MET:
	case SR_DSPT_EXCEEDED:
		if (!year || strcmp(year, current) < 0)
			n = add(out, n, max, false, 2, "Out of date", "its latest DSPT assessment is for %s, not %s",
				year ? year : "an unrecorded year", current);
		break;
	}
	return n;
}

const char *sr_level_label(enum sr_level l)
{
	return l == SR_HIGH ? "High" : l == SR_MEDIUM ? "Medium" : "Low";
}

/* Appends items joined as "a, b and c". */
static void join(char *out, size_t n, const char *const *items, size_t k)
{
	size_t len = strlen(out);
	for (size_t i = 0; i < k && len < n; i++) {
		const char *sep = i == 0 ? "" : i + 1 == k ? " and " : ", ";
		int w = snprintf(out + len, n - len, "%s%s", sep, items[i]);
		if (w < 0)
			return;
		len += (size_t)w;
	}
}

void sr_supplier_rate(const struct sr_assurance *a, const int64_t tiers[4], const char *today,
		      struct sr_rating *out)
{
	struct sr_flag flags[8];
	size_t nf = sr_assurance_flags(a, today, flags, 8);
	size_t gaps = 0, warns = 0;
	for (size_t i = 0; i < nf; i++)
		flags[i].gap ? gaps++ : warns++;
	int crit = tiers[0] > 0 ? 3 : tiers[1] > 0 ? 2 : tiers[2] + tiers[3] > 0 ? 1 : 0;

	bool high = (crit == 3 && gaps >= 1) || (crit == 2 && gaps >= 2);
	bool medium = !high && (crit == 3 || gaps >= 1 || (crit == 2 && warns >= 1));
	out->level = high ? SR_HIGH : medium ? SR_MEDIUM : SR_LOW;

	char sys[160] = "";
	if (crit == 0) {
		snprintf(sys, sizeof sys, "it supplies no systems recorded in these registers");
	} else {
		char parts[4][48];
		const char *items[4];
		size_t k = 0;
		for (int t = 0; t < 4; t++)
			if (tiers[t] > 0) {
				snprintf(parts[k], sizeof parts[k], "%lld tier-%d system%s", (long long)tiers[t], t + 1,
					 tiers[t] == 1 ? "" : "s");
				items[k] = parts[k];
				k++;
			}
		snprintf(sys, sizeof sys, "it supplies ");
		join(sys, sizeof sys, items, k);
	}

	/* gaps first: they are what moves the rating */
	const char *items[8];
	size_t k = 0;
	for (size_t i = 0; i < nf; i++)
		if (flags[i].gap)
			items[k++] = flags[i].text;
	for (size_t i = 0; i < nf; i++)
		if (!flags[i].gap)
			items[k++] = flags[i].text;
	char ass[480] = "";
	if (k == 0)
		snprintf(ass, sizeof ass, "its Cyber Essentials, ISO 27001 and DSPT assurances are all in date");
	else
		join(ass, sizeof ass, items, k);
	snprintf(out->text, sizeof out->text, "%s: %s%s%s.", sr_level_label(out->level), sys,
		 k > 1 ? "; " : " and ", ass);
}

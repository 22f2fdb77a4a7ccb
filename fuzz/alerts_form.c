/* fuzz-alerts_form: an advisory's form checks (alerts_validate: every
 * field's limits and options, CVE IDs, organisation types, the targeting
 * rule) and the deadline date parser on arbitrary input. The input is split
 * on NUL bytes into the form's fields in order. Checks the promises callers
 * rely on: no crash or undefined behaviour, every error names a field of
 * the form, a parsed date lies within the years the parser accepts, and
 * text accepted once is accepted again (the checks are deterministic). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	const char *v[AF_NFIELDS] = { 0 };
	size_t n = 0;
	for (const char *p = copy; n < AF_NFIELDS && p <= copy + size; p += strlen(p) + 1)
		v[n++] = p;
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	enum bw_err rc = alerts_validate(v, &errs);
	if ((rc == BW_OK) != (errs.n == 0))
		abort();
	for (size_t i = 0; i < errs.n; i++) {
		bool known = false;
		for (size_t k = 0; k < AF_NFIELDS && !known; k++)
			known = strcmp(errs.e[i].field, alerts_fields[k].name) == 0;
		if (!known || !errs.e[i].msg[0])
			abort();
	}
	struct web_form_errors again;
	web_form_errors_init(&again);
	if (alerts_validate(v, &again) != rc || again.n != errs.n)
		abort();
	int64_t t;
	/* 2000-01-01 to 2101-01-01 UTC bound every accepted date */
	if (alerts_date_parse(copy, &t) && (t < 946684800 || t > 4133980800))
		abort();
	free(copy);
	return 0;
}

/*
 * Unit tests for detect: loading the whole SigmaHQ rule set (>= 99% of the
 * rules* folders must load; the rest are listed with their reasons) and
 * rules that must be refused with a line and a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detect/detect.h"

static const char *data_dir(void)
{
	const char *d = getenv("BULWARK_DATA");
	return d && *d ? d : "../shared/data";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The reason without the quoted parts, so alike failures count together. */
static void reason_kind(const char *r, char *out, size_t n)
{
	size_t o = 0;
	bool q = false;
	for (size_t i = 0; r[i] && o + 1 < n; i++) {
		if (r[i] == '\'' || r[i] == '%') {
			q = !q;
			if (q)
				out[o++] = '_';
			continue;
		}
		if (!q)
			out[o++] = r[i];
	}
	out[o] = 0;
}

static void sigma_rule_set_loads(void **state)
{
	(void)state;
	static const char *folders[] = { "rules", "rules-emerging-threats", "rules-threat-hunting",
					 "rules-compliance", "rules-placeholder", "rules-dfir" };
	struct bw_error err = { 0 };
	struct detect_engine *e = detect_engine_new(NULL, &err);
	assert_non_null(e);
	size_t loaded = 0;
	for (size_t i = 0; i < sizeof folders / sizeof *folders; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/detect/sigma/%s", data_dir(), folders[i]);
		loaded += detect_engine_add_path(e, path);
	}
	size_t nerr;
	const struct detect_rule_error *errs = detect_engine_errors(e, &nerr);
	/* rules-dfir has only a README upstream; a missing folder is not a rule failure */
	size_t failed = 0;
	char **kinds = calloc(nerr + 1, sizeof *kinds);
	for (size_t i = 0; i < nerr; i++) {
		if (errs[i].line == 0 && strstr(errs[i].path, "rules-dfir"))
			continue;
		char k[300];
		reason_kind(errs[i].reason, k, sizeof k);
		kinds[failed++] = strdup(k);
		print_message("# not loaded: %s:%d: %s\n", errs[i].path, errs[i].line, errs[i].reason);
	}
	qsort(kinds, failed, sizeof *kinds, cmp_str);
	for (size_t i = 0; i < failed;) {
		size_t j = i;
		while (j < failed && !strcmp(kinds[i], kinds[j]))
			j++;
		print_message("# %4zu x %s\n", j - i, kinds[i]);
		i = j;
	}
	for (size_t i = 0; i < failed; i++)
		free(kinds[i]);
	free(kinds);
	size_t total = loaded + failed;
	print_message("# rules loaded: %zu of %zu (%.2f%%)\n", loaded, total,
		      total ? 100.0 * (double)loaded / (double)total : 0.0);
	assert_true(total >= 3700);
	assert_true(loaded * 100 >= total * 99);
	assert_int_equal(detect_engine_compile(e, &err), BW_OK);
	detect_engine_free(e);
}

/* Each bad rule is refused with its line and a reason a rule author can act on. */
static void bad_rules_are_reported(void **state)
{
	(void)state;
	static const struct {
		const char *yaml, *reason;
		int line;
	} cases[] = {
		{ "title: t\nlogsource: {product: windows, category: process_creation}\n"
		  "detection:\n  sel:\n    Image|foo: x\n  condition: sel\n",
		  "unknown modifier 'foo'", 5 },
		{ "title: t\nlogsource: {product: windows, category: process_creation}\n"
		  "detection:\n  sel:\n    Image: x\n  condition: sel | count() > 5\n",
		  "aggregation", 6 },
		{ "title: t\nlogsource: {product: windows, category: process_creation}\n"
		  "detection:\n  sel:\n    Image: x\n  condition: sel and not filter\n",
		  "unknown search identifier 'filter'", 6 },
		{ "title: t\nlogsource: {product: windows, category: process_creation}\n"
		  "detection:\n  sel:\n    Image|re: '(unclosed'\n  condition: sel\n",
		  "regular expression", 5 },
		{ "title: t\nlogsource: {product: windows, category: no_such_thing}\n"
		  "detection:\n  sel:\n    Image: x\n  condition: sel\n",
		  "not in the mapping", 2 },
		{ "title: t\nlogsource: {product: windows, category: process_creation}\n"
		  "detection:\n  sel:\n    CommandLine|contains|expand: '%nope%'\n  condition: sel\n",
		  "placeholder %nope% has no values", 5 },
		{ "title: t\nlogsource: {product: windows, category: process_creation}\n"
		  "detection:\n  sel:\n    Image: [unclosed\n  condition: sel\n",
		  "YAML", 6 },
		{ "title: t\nlogsource: {product: windows, category: process_creation}\n"
		  "detection:\n  sel:\n    DestinationIp|cidr: 10.0.0.0/33\n  condition: sel\n",
		  "cidr", 5 },
		{ "title: t\nlogsource: {product: windows, category: process_creation}\n"
		  "detection:\n  sel:\n    Image: x\n  condition: (sel\n",
		  "missing ')'", 6 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct bw_error err = { 0 };
		struct detect_engine *e = detect_engine_new(NULL, &err);
		assert_non_null(e);
		size_t n = detect_engine_add_text(e, cases[i].yaml, strlen(cases[i].yaml), "case.yml",
						  &err);
		assert_int_equal(n, 0);
		size_t nerr;
		const struct detect_rule_error *errs = detect_engine_errors(e, &nerr);
		assert_int_equal(nerr, 1);
		if (!strstr(errs[0].reason, cases[i].reason) || errs[0].line != cases[i].line)
			fail_msg("case %zu: got line %d '%s', want line %d '%s'", i, errs[0].line,
				 errs[0].reason, cases[i].line, cases[i].reason);
		assert_string_equal(errs[0].path, "case.yml");
		detect_engine_free(e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_rules_are_reported),
		cmocka_unit_test(sigma_rule_set_loads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

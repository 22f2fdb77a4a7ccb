/* Unit tests for base/jtape: every SBOM in the shared data read alike by
 * jtape and jansson (value for value), broken documents refused with the
 * place and the fault, strings unescaped, keys looked up as jansson would. */
#include <dirent.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "base/jtape.h"
#include "../lib/jtape_same.h"

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)len + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

static int walk(const char *dir, int (*each)(const char *path))
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			count += walk(path, each);
		else if (strstr(e->d_name, ".json"))
			count += each(path);
	}
	closedir(d);
	return count;
}

static int compare_file(const char *path)
{
	size_t n;
	char *p = slurp(path, &n);
	json_error_t je;
	json_t *x = json_loadb(p, n, JSON_DECODE_ANY, &je);
	struct jtape j;
	struct bw_error err = { 0 };
	enum bw_err rc = jt_parse(&j, p, n, 64, &err);
	if (!x) {
		if (rc == BW_OK)
			fail_msg("%s: jansson refuses it (%s), jtape read it", path, je.text);
	} else {
		if (rc != BW_OK)
			fail_msg("%s: jtape refuses it: %s", path, err.msg);
		struct arena a;
		arena_init(&a);
		if (!jtape_same(&j, 1, x, &a))
			fail_msg("%s: jtape and jansson read different values", path);
		arena_free(&a);
		json_decref(x);
	}
	jt_free(&j);
	free(p);
	return 1;
}

static void reads_every_sbom_as_jansson_does(void **state)
{
	(void)state;
	const char *d = getenv("BULWARK_DATA");
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/feeds/sbom", d && *d ? d : "../shared/data");
	assert_true(walk(dir, compare_file) >= 30);
}

static void refuses_broken_documents(void **state)
{
	(void)state;
	static const struct {
		const char *doc, *want;
	} cases[] = {
		{ "", "line 1, column 1: the text ends where a value was expected" },
		{ "{\"a\":1,}", "line 1, column 8: expected a key in double quotes" },
		{ "[1 2]", "line 1, column 4: expected ',' or ']'" },
		{ "{\"a\" 1}", "line 1, column 6: expected ':' after a key" },
		{ "{\n  \"a\": tru\n}", "line 2, column 8: unexpected text" },
		{ "[01]", "line 1, column 3: expected ',' or ']'" },
		{ "[1.]", "line 1, column 4: a number's fraction has no digits" },
		{ "[-]", "line 1, column 2: a number has no digits" },
		{ "[1e+]", "line 1, column 5: a number's exponent has no digits" },
		{ "[\"abc", "line 1, column 2: a string is not closed" },
		{ "[\"a\tb\"]", "line 1, column 4: a control character" },
		{ "[\"\\x\"]", "line 1, column 3: an unknown escape" },
		{ "[\"\\u12g4\"]", "line 1, column 3: \\u must be followed by four hex digits" },
		{ "[\"\\u0000\"]", "line 1, column 3: \\u0000 is not allowed" },
		{ "[\"\\ud800\"]", "without its second half" },
		{ "[\"\\udc00\"]", "without its first half" },
		{ "[\"caf\xe9\"]", "line 1, column 6: not valid UTF-8 text" },
		{ "[\"\xed\xa0\x80\"]", "not valid UTF-8 text" },
		{ "{} x", "line 1, column 4: text after the end of the document" },
		{ "[1]]", "text after the end" },
		{ "['a']", "unexpected character" },
		{ "{\"a\":[}", "unexpected character" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct jtape j;
		struct bw_error err = { 0 };
		size_t n = strlen(cases[i].doc);
		if (jt_parse(&j, cases[i].doc, n, 64, &err) != BW_EINVAL || !strstr(err.msg, cases[i].want))
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].doc, err.msg, cases[i].want);
		assert_string_equal(err.field, "file");
		assert_int_equal(j.n, 0);
		json_error_t je;
		json_t *x = json_loadb(cases[i].doc, n, JSON_DECODE_ANY, &je);
		if (x)
			fail_msg("%s: jansson reads it", cases[i].doc);
		jt_free(&j);
	}
}

static void limits_the_depth(void **state)
{
	(void)state;
	char doc[200];
	memset(doc, '[', 65);
	memset(doc + 65, ']', 65);
	struct jtape j;
	struct bw_error err = { 0 };
	assert_int_equal(jt_parse(&j, doc, 130, 64, &err), BW_ELIMIT);
	assert_non_null(strstr(err.msg, "column 65: nested too deep"));
	jt_free(&j);
	assert_int_equal(jt_parse(&j, doc + 1, 128, 64, &err), BW_OK);
	uint32_t first = jt_first(&j, 1);
	assert_int_equal(jt_type(&j, first), JT_ARRAY);
	assert_int_equal(jt_next(&j, 1, first), 0);   /* the one element */
	jt_free(&j);
}

static void unescapes_and_looks_up(void **state)
{
	(void)state;
	const char *doc = " {\"n\\u0061me\": \"caf\\u00e9 \\ud83d\\ude00\\n\\/\\\"\", \"k\": 1, \"k\": [true, false, null, -1.5e3, {}],"
			  " \"e\": \"\", \"plain\": \"\xc3\xa9t\xc3\xa9\"} ";
	struct jtape j;
	struct bw_error err = { 0 };
	assert_int_equal(jt_parse(&j, doc, strlen(doc), 64, &err), BW_OK);
	struct arena a;
	arena_init(&a);
	assert_int_equal(jt_type(&j, 1), JT_OBJECT);
	assert_string_equal(jt_get_str(&j, 1, "name", &a), "caf\xc3\xa9 \xf0\x9f\x98\x80\n/\"");
	assert_string_equal(jt_get_str(&j, 1, "plain", &a), "\xc3\xa9t\xc3\xa9");
	assert_string_equal(jt_get_str(&j, 1, "e", &a), "");
	uint32_t k = jt_get(&j, 1, "k");  /* the last of a key given twice, as jansson keeps it */
	assert_int_equal(jt_type(&j, k), JT_ARRAY);
	enum jt_type want[] = { JT_TRUE, JT_FALSE, JT_NULL, JT_NUMBER, JT_OBJECT };
	size_t i = 0;
	for (uint32_t e = jt_first(&j, k); e; e = jt_next(&j, k, e))
		assert_int_equal(jt_type(&j, e), want[i++]);
	assert_int_equal(i, 5);
	assert_int_equal(jt_get(&j, 1, "missing"), 0);
	assert_null(jt_get_str(&j, 1, "k", &a));       /* not a string */
	assert_int_equal(jt_get(&j, k, "k"), 0);         /* not an object */
	assert_int_equal(jt_first(&j, jt_get(&j, 1, "e")), 0);
	arena_free(&a);
	jt_free(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_every_sbom_as_jansson_does),
		cmocka_unit_test(refuses_broken_documents),
		cmocka_unit_test(limits_the_depth),
		cmocka_unit_test(unescapes_and_looks_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

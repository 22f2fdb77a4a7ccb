/*
 * Unit tests for compiled criteria from CVE JSON 5, OSV and NVD records:
 * the traps of each range form (lessThan "*", "5.15.*", versionType git,
 * unaffected ranges listed before affected ones, changes, defaultStatus,
 * last_affected vs fixed, explicit versions[], GIT ranges), NVD AND
 * configurations with platforms, and every real NVD record compiled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>

#include "match/match.h"
#include "testdata.h"

static struct arena ar;

static struct match_record compile(const char *kind, const char *json)
{
	json_error_t e;
	json_t *j = json_loads(json, 0, &e);
	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	struct match_record r;
	struct bw_error err = { 0 };
	enum bw_err rc = strcmp(kind, "cve5") == 0 ? match_compile_cve5(&ar, j, &r, &err)
			 : strcmp(kind, "osv") == 0 ? match_compile_osv(&ar, j, &r, &err)
						    : match_compile_nvd(&ar, j, &r, &err);
	json_decref(j);
	if (rc != BW_OK)
		fail_msg("compile: %s", err.msg);
	return r;
}

static enum match_answer eval_pv(const struct match_record *r, const char *vendor,
				 const char *product, const char *version, struct match_result *res)
{
	struct match_component c = { .id = "c", .vendor = vendor, .product = product, .version = version };
	return match_record_eval(r, &c, NULL, 0, res);
}

#define EXPECT(rec, v, p, ver, want)                                                       \
	do {                                                                                \
		struct match_result res_;                                                   \
		enum match_answer got_ = eval_pv(&(rec), v, p, ver, &res_);                 \
		if (got_ != (want))                                                         \
			fail_msg("%s %s %s: want %s, got %s: %s", v, p, (ver) ? (const char *)(ver) : "(no version)",               \
				 match_answer_name(want), match_answer_name(got_), res_.evidence); \
	} while (0)

static const char *kernel_cve =
	"{\"cveMetadata\":{\"cveId\":\"CVE-2024-0001\"},\"containers\":{\"cna\":{\"affected\":["
	"{\"vendor\":\"Linux\",\"product\":\"Linux\",\"defaultStatus\":\"unaffected\",\"versions\":["
	"{\"version\":\"1da177e4c3f4\",\"lessThan\":\"8f0b4cce4481\",\"status\":\"affected\",\"versionType\":\"git\"}]},"
	"{\"vendor\":\"Linux\",\"product\":\"Linux\",\"defaultStatus\":\"affected\",\"versions\":["
	"{\"version\":\"5.10\",\"status\":\"affected\"},"
	"{\"version\":\"0\",\"lessThan\":\"5.10\",\"status\":\"unaffected\",\"versionType\":\"semver\"},"
	"{\"version\":\"5.15.50\",\"lessThanOrEqual\":\"5.15.*\",\"status\":\"unaffected\",\"versionType\":\"semver\"},"
	"{\"version\":\"6.1\",\"lessThanOrEqual\":\"*\",\"status\":\"unaffected\",\"versionType\":\"semver\"}]}]}}}";

static void cve5_kernel_pattern(void **state)
{
	(void)state;
	struct match_record r = compile("cve5", kernel_cve);
	assert_int_equal(r.ncrit, 2);
	EXPECT(r, "linux", "linux", "5.15.10", MATCH_AFFECTED);   /* default affected */
	EXPECT(r, "linux", "linux", "5.15.60", MATCH_NOT_AFFECTED); /* 5.15.50 <= v <= 5.15.* */
	EXPECT(r, "linux", "linux", "5.4.1", MATCH_NOT_AFFECTED);   /* 0 <= v < 5.10 */
	EXPECT(r, "linux", "linux", "5.16", MATCH_AFFECTED);        /* past the 5.15.* prefix */
	EXPECT(r, "linux", "linux", "6.5", MATCH_NOT_AFFECTED);    /* 6.1 <= v <= * */
	EXPECT(r, "linux", "linux", "v6.5", MATCH_NOT_AFFECTED);
	EXPECT(r, "linux", "linux", NULL, MATCH_UNKNOWN);
	EXPECT(r, "microsoft", "windows", "10", MATCH_NOT_AFFECTED);
	struct match_result res;
	eval_pv(&r, "linux", "linux", "5.15.60", &res);
	assert_non_null(strstr(res.evidence, "5.15.*"));
}

static void cve5_traps(void **state)
{
	(void)state;
	/* lessThan "*": everything from 2.0 on */
	struct match_record r = compile("cve5",
		"{\"cveMetadata\":{\"cveId\":\"CVE-1\"},\"containers\":{\"cna\":{\"affected\":[{\"vendor\":\"Acme\","
		"\"product\":\"Widget Server\",\"versions\":[{\"version\":\"2.0\",\"lessThan\":\"*\",\"status\":\"affected\","
		"\"versionType\":\"custom\"}]}]}}}");
	EXPECT(r, "ACME", "widget server", "7.1", MATCH_AFFECTED);
	EXPECT(r, "acme", "widget_server", "1.9", MATCH_UNKNOWN); /* defaultStatus absent: unknown */
	/* an unaffected entry listed first wins over the affected range */
	r = compile("cve5",
		"{\"cveMetadata\":{\"cveId\":\"CVE-2\"},\"containers\":{\"cna\":{\"affected\":[{\"vendor\":\"acme\","
		"\"product\":\"w\",\"defaultStatus\":\"unaffected\",\"versions\":["
		"{\"version\":\"1.5\",\"status\":\"unaffected\"},"
		"{\"version\":\"1.0\",\"lessThan\":\"2.0\",\"status\":\"affected\",\"versionType\":\"semver\"}]}]}}}");
	EXPECT(r, "acme", "w", "1.5", MATCH_NOT_AFFECTED);
	EXPECT(r, "acme", "w", "1.6", MATCH_AFFECTED);
	EXPECT(r, "acme", "w", "2.0", MATCH_NOT_AFFECTED);
	/* a build name is not a number: the range cannot say, whatever the default */
	EXPECT(r, "acme", "w", "esp32-c6", MATCH_UNKNOWN);
	EXPECT(r, "acme", "w", "v1.6", MATCH_AFFECTED);
	/* changes: affected from 1.0, fixed in 1.2.4 and 1.3.1 */
	r = compile("cve5",
		"{\"cveMetadata\":{\"cveId\":\"CVE-3\"},\"containers\":{\"cna\":{\"affected\":[{\"vendor\":\"acme\","
		"\"product\":\"w\",\"defaultStatus\":\"unaffected\",\"versions\":[{\"version\":\"1.0\",\"lessThan\":\"*\","
		"\"status\":\"affected\",\"versionType\":\"semver\",\"changes\":["
		"{\"at\":\"1.3.1\",\"status\":\"unaffected\"},{\"at\":\"1.2.4\",\"status\":\"unaffected\"},"
		"{\"at\":\"1.3\",\"status\":\"affected\"}]}]}]}}}");
	EXPECT(r, "acme", "w", "1.1", MATCH_AFFECTED);
	EXPECT(r, "acme", "w", "1.2.5", MATCH_NOT_AFFECTED);
	EXPECT(r, "acme", "w", "1.3.0", MATCH_AFFECTED);
	EXPECT(r, "acme", "w", "1.4", MATCH_NOT_AFFECTED);
	EXPECT(r, "acme", "w", "0.9", MATCH_NOT_AFFECTED);
	/* "unspecified" lower bound with an affected range reads as from the start */
	r = compile("cve5",
		"{\"cveMetadata\":{\"cveId\":\"CVE-4\"},\"containers\":{\"cna\":{\"affected\":[{\"vendor\":\"acme\","
		"\"product\":\"w\",\"versions\":[{\"version\":\"unspecified\",\"lessThan\":\"3.2\",\"status\":\"affected\","
		"\"versionType\":\"custom\"}]}]}}}");
	EXPECT(r, "acme", "w", "3.1.9", MATCH_AFFECTED);
	EXPECT(r, "acme", "w", "3.2", MATCH_UNKNOWN);
	EXPECT(r, "acme", "w", "latest", MATCH_UNKNOWN); /* unorderable version */
	/* only git ranges and nothing else: never "not affected" */
	r = compile("cve5",
		"{\"cveMetadata\":{\"cveId\":\"CVE-5\"},\"containers\":{\"cna\":{\"affected\":[{\"vendor\":\"acme\","
		"\"product\":\"w\",\"defaultStatus\":\"unaffected\",\"versions\":[{\"version\":\"abc123\",\"lessThan\":"
		"\"def456\",\"status\":\"affected\",\"versionType\":\"git\"}]}]}}}");
	EXPECT(r, "acme", "w", "1.0", MATCH_UNKNOWN);
	/* cpes on the entry match a component known only by CPE */
	r = compile("cve5",
		"{\"cveMetadata\":{\"cveId\":\"CVE-6\"},\"containers\":{\"cna\":{\"affected\":[{\"vendor\":\"n/a\","
		"\"product\":\"n/a\",\"cpes\":[\"cpe:2.3:a:acme:w:*:*:*:*:*:*:*:*\"],\"versions\":[{\"version\":\"1.0\","
		"\"lessThanOrEqual\":\"1.4\",\"status\":\"affected\",\"versionType\":\"custom\"}],\"defaultStatus\":\"unaffected\"}]}}}");
	struct match_cpe cpe;
	assert_int_equal(match_cpe_parse(STR("cpe:2.3:a:acme:w:1.4:*:*:*:*:*:*:*"), &cpe, NULL), BW_OK);
	struct match_component c = { .id = "x", .cpe = &cpe };
	struct match_result res;
	assert_int_equal(match_record_eval(&r, &c, NULL, 0, &res), MATCH_AFFECTED);
	assert_int_equal(match_cpe_parse(STR("cpe:2.3:a:acme:w:1.5:*:*:*:*:*:*:*"), &cpe, NULL), BW_OK);
	assert_int_equal(match_record_eval(&r, &c, NULL, 0, &res), MATCH_NOT_AFFECTED);
}

static void osv_ranges(void **state)
{
	(void)state;
	struct match_record r = compile("osv",
		"{\"id\":\"PYSEC-1\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"Django_Thing\"},"
		"\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.2.0\"},"
		"{\"introduced\":\"2.0\"},{\"last_affected\":\"2.1.3\"}]}],\"versions\":[\"3.0rc1\"]}]}");
	struct match_purl p;
	struct match_component c = { .id = "x", .purl = &p };
	struct match_result res;
	struct { const char *purl; enum match_answer want; } cases[] = {
		{ "pkg:pypi/django-thing@1.1.9", MATCH_AFFECTED },
		{ "pkg:pypi/django-thing@1.2.0", MATCH_NOT_AFFECTED },   /* fixed: exclusive */
		{ "pkg:pypi/django-thing@2.1.3", MATCH_AFFECTED },       /* last_affected: inclusive */
		{ "pkg:pypi/django-thing@2.1.4", MATCH_NOT_AFFECTED },
		{ "pkg:pypi/django-thing@3.0rc1", MATCH_AFFECTED },      /* versions[] */
		{ "pkg:pypi/django-thing@3.0", MATCH_NOT_AFFECTED },
		{ "pkg:pypi/django-thing@not-a-version", MATCH_UNKNOWN },
		{ "pkg:pypi/other@1.0", MATCH_NOT_AFFECTED },
	};
	for (size_t i = 0; i < BW_NELEM(cases); i++) {
		assert_int_equal(match_purl_parse(&ar, str_c(cases[i].purl), &p, NULL), BW_OK);
		enum match_answer got = match_record_eval(&r, &c, NULL, 0, &res);
		if (got != cases[i].want)
			fail_msg("%s: want %s got %s: %s", cases[i].purl, match_answer_name(cases[i].want),
				 match_answer_name(got), res.evidence);
	}
	/* a GIT range alone gives no answer for a release version */
	r = compile("osv",
		"{\"id\":\"GO-1\",\"affected\":[{\"package\":{\"ecosystem\":\"Go\",\"name\":\"github.com/a/b\"},"
		"\"ranges\":[{\"type\":\"GIT\",\"repo\":\"https://github.com/a/b\",\"events\":[{\"introduced\":\"0\"},"
		"{\"fixed\":\"abcdef\"}]}]}]}");
	assert_int_equal(match_purl_parse(&ar, STR("pkg:golang/github.com/a/b@v1.2.3"), &p, NULL), BW_OK);
	assert_int_equal(match_record_eval(&r, &c, NULL, 0, &res), MATCH_UNKNOWN);
	/* SEMVER with a Go pseudo-version */
	r = compile("osv",
		"{\"id\":\"GO-2\",\"affected\":[{\"package\":{\"ecosystem\":\"Go\",\"name\":\"golang.org/x/net\"},"
		"\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"0.7.0\"}]}]}]}");
	assert_int_equal(match_purl_parse(&ar, STR("pkg:golang/golang.org/x/net@v0.0.0-20220722155237-a158d28d115b"),
					  &p, NULL), BW_OK);
	p.version = "0.0.0-20220722155237-a158d28d115b";
	assert_int_equal(match_record_eval(&r, &c, NULL, 0, &res), MATCH_AFFECTED);
}

static void nvd_configurations(void **state)
{
	(void)state;
	/* product X running on platform Y (AND of a vulnerable and a platform node) */
	struct match_record r = compile("nvd",
		"{\"cve\":{\"id\":\"CVE-9\",\"configurations\":[{\"operator\":\"AND\",\"nodes\":["
		"{\"operator\":\"OR\",\"negate\":false,\"cpeMatch\":[{\"vulnerable\":true,\"criteria\":"
		"\"cpe:2.3:o:acme:fw:*:*:*:*:*:*:*:*\",\"versionEndExcluding\":\"2.0\"}]},"
		"{\"operator\":\"OR\",\"negate\":false,\"cpeMatch\":[{\"vulnerable\":false,\"criteria\":"
		"\"cpe:2.3:h:acme:box_\\\\(v2\\\\):-:*:*:*:*:*:*:*\"}]}]}]}}");
	struct match_cpe fw, box, other;
	assert_int_equal(match_cpe_parse(STR("cpe:2.3:o:acme:fw:1.5:*:*:*:*:*:*:*"), &fw, NULL), BW_OK);
	assert_int_equal(match_cpe_parse(STR("cpe:2.3:h:acme:box_\\(v2\\):-:*:*:*:*:*:*:*"), &box, NULL), BW_OK);
	assert_int_equal(match_cpe_parse(STR("cpe:2.3:h:acme:box_\\(v3\\):-:*:*:*:*:*:*:*"), &other, NULL), BW_OK);
	struct match_component sys[2] = { { .id = "fw", .cpe = &fw }, { .id = "hw", .cpe = &box } };
	struct match_result res;
	assert_int_equal(match_record_eval(&r, &sys[0], sys, 2, &res), MATCH_AFFECTED);
	assert_int_equal(match_record_eval(&r, &sys[0], NULL, 0, &res), MATCH_UNKNOWN); /* platform unknown */
	sys[1].cpe = &other;
	assert_int_equal(match_record_eval(&r, &sys[0], sys, 2, &res), MATCH_NOT_AFFECTED);
	/* the platform alone is never affected */
	sys[1].cpe = &box;
	assert_int_equal(match_record_eval(&r, &sys[1], sys, 2, &res), MATCH_NOT_AFFECTED);
	assert_int_equal(match_cpe_parse(STR("cpe:2.3:o:acme:fw:2.0:*:*:*:*:*:*:*"), &fw, NULL), BW_OK);
	assert_int_equal(match_record_eval(&r, &sys[0], sys, 2, &res), MATCH_NOT_AFFECTED);
	/* negate: every version except the listed one */
	r = compile("nvd",
		"{\"cve\":{\"id\":\"CVE-10\",\"configurations\":[{\"nodes\":[{\"operator\":\"OR\",\"negate\":true,"
		"\"cpeMatch\":[{\"vulnerable\":true,\"criteria\":\"cpe:2.3:a:acme:w:1.0:*:*:*:*:*:*:*\"}]}]}]}}");
	struct match_cpe w;
	assert_int_equal(match_cpe_parse(STR("cpe:2.3:a:acme:w:1.0:*:*:*:*:*:*:*"), &w, NULL), BW_OK);
	struct match_component wc = { .id = "w", .cpe = &w };
	assert_int_equal(match_record_eval(&r, &wc, NULL, 0, &res), MATCH_NOT_AFFECTED);
}

/* Log4Shell from the real NVD record: ranges by version, and escapes. */
static void nvd_real_records(void **state)
{
	(void)state;
	json_t *j = test_load_json("feeds/nvd/records/CVE-2021-44228.json");
	assert_non_null(j);
	struct match_record r;
	assert_int_equal(match_compile_nvd(&ar, j, &r, NULL), BW_OK);
	json_decref(j);
	assert_true(r.nconfigs > 0);
	struct match_cpe c;
	struct match_component comp = { .id = "log4j", .cpe = &c };
	struct match_result res;
	assert_int_equal(match_cpe_parse(STR("cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"), &c, NULL), BW_OK);
	assert_int_equal(match_record_eval(&r, &comp, NULL, 0, &res), MATCH_AFFECTED);
	print_message("# %s\n", res.evidence);
	assert_non_null(strstr(res.evidence, "2.14.1"));
	assert_int_equal(match_cpe_parse(STR("cpe:2.3:a:apache:log4j:2.17.1:*:*:*:*:*:*:*"), &c, NULL), BW_OK);
	assert_int_equal(match_record_eval(&r, &comp, NULL, 0, &res), MATCH_NOT_AFFECTED);
	assert_int_equal(match_cpe_parse(STR("cpe:2.3:a:apache:http_server:2.4.1:*:*:*:*:*:*:*"), &c, NULL), BW_OK);
	assert_int_equal(match_record_eval(&r, &comp, NULL, 0, &res), MATCH_NOT_AFFECTED);

	/* every record compiles; refused criteria are counted with a reason */
	const char *base = getenv("BULWARK_DATA");
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/feeds/nvd/records", base && *base ? base : "../shared/data");
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int n = 0, configs = 0, skipped = 0;
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, ".json"))
			continue;
		char rel[600];
		snprintf(rel, sizeof rel, "feeds/nvd/records/%s", e->d_name);
		json_t *x = test_load_json(rel);
		assert_non_null(x);
		struct arena a;
		arena_init(&a);
		struct match_record rr;
		struct bw_error err = { 0 };
		if (match_compile_nvd(&a, x, &rr, &err) != BW_OK)
			fail_msg("%s: %s", e->d_name, err.msg);
		if (rr.skipped)
			print_message("# %s: %zu skipped: %s\n", e->d_name, rr.skipped, rr.skip_reason);
		configs += rr.nconfigs > 0;
		skipped += (int)rr.skipped;
		n++;
		arena_free(&a);
		json_decref(x);
	}
	closedir(d);
	print_message("# NVD: %d records compiled, %d with configurations, %d criteria refused\n", n,
		      configs, skipped);
	assert_int_equal(n, 536);
	assert_int_equal(configs, 509);
	assert_int_equal(skipped, 0);
}

static int setup(void **state)
{
	(void)state;
	arena_init(&ar);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	arena_free(&ar);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cve5_kernel_pattern),
		cmocka_unit_test(cve5_traps),
		cmocka_unit_test(osv_ranges),
		cmocka_unit_test(nvd_configurations),
		cmocka_unit_test(nvd_real_records),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * Unit tests for the estate and feed indexes, the three operations and the
 * CSAF compiler: hand-written estates and feeds for every range form and
 * the traps (unaffected ranges inside affected ones, changes, last_affected
 * vs fixed, lessThan "*", versionType git, unorderable and missing
 * component versions, escaped CPE characters, purl qualifiers and
 * namespace case, AND configurations with systems), the three operations
 * and a pair-by-pair evaluation agreeing, determinism, and real CVE 5 and
 * CISA CSAF records read from the shared zips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>
#include <pthread.h>

#include "match/match.h"
#include "testdata.h"

static struct arena ar;

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

static struct match_record *compile(const char *kind, const char *json)
{
	json_error_t e;
	json_t *j = json_loads(json, 0, &e);
	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	struct match_record *r = arena_alloc(&ar, sizeof *r);
	struct bw_error err = { 0 };
	enum bw_err rc = strcmp(kind, "cve5") == 0 ? match_compile_cve5(&ar, j, r, &err)
			 : strcmp(kind, "osv") == 0 ? match_compile_osv(&ar, j, r, &err)
						    : match_compile_nvd(&ar, j, r, &err);
	json_decref(j);
	if (rc != BW_OK)
		fail_msg("compile: %s", err.msg);
	return r;
}

static const struct match_cpe *cpe(const char *s)
{
	struct match_cpe *c = arena_alloc(&ar, sizeof *c);
	struct bw_error err = { 0 };
	if (match_cpe_parse(str_c(s), c, &err) != BW_OK)
		fail_msg("cpe %s: %s", s, err.msg);
	return c;
}

static const struct match_purl *purl(const char *s)
{
	struct match_purl *p = arena_alloc(&ar, sizeof *p);
	struct bw_error err = { 0 };
	if (match_purl_parse(&ar, str_c(s), p, &err) != BW_OK)
		fail_msg("purl %s: %s", s, err.msg);
	return p;
}

/* ---- collecting hits ---- */

struct hit {
	uint32_t rec, comp;
	uint8_t answer, weak;
	uint64_t evh;  /* hash of the evidence, for determinism */
	uint64_t srch; /* hash of the deciding criterion */
};

struct hits {
	struct hit *v;
	size_t n, cap;
	size_t rec_override; /* for match_advisory_estate */
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void on_hit(void *ctx, const struct match_hit *h)
{
	struct hits *x = ctx;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->v = realloc(x->v, x->cap * sizeof *x->v);
		assert_non_null(x->v);
	}
	assert_true(h->answer == MATCH_AFFECTED || h->answer == MATCH_UNKNOWN);
	assert_non_null(h->evidence);
	assert_non_null(h->criterion);
	size_t rec = x->rec_override != SIZE_MAX ? x->rec_override : h->record;
	x->v[x->n++] = (struct hit){ (uint32_t)rec, (uint32_t)h->component, (uint8_t)h->answer,
				     h->weak, fnv(h->evidence), fnv(h->criterion) };
}

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	if (x->rec != y->rec)
		return x->rec < y->rec ? -1 : 1;
	if (x->comp != y->comp)
		return x->comp < y->comp ? -1 : 1;
	return (int)x->answer - (int)y->answer;
}

static void hits_sort(struct hits *h)
{
	qsort(h->v, h->n, sizeof *h->v, cmp_hit);
}

static const struct hit *find_hit(const struct hits *h, size_t rec, size_t comp)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].rec == rec && h->v[i].comp == comp)
			return &h->v[i];
	return NULL;
}

/* All three operations, checked against each other and against the pair
 * evaluation; returns the hits of (a), sorted. */
static struct hits run_all(struct match_estate *e, struct match_feed *f)
{
	struct hits a = { .rec_override = SIZE_MAX };
	size_t na = match_estate_feed(e, f, on_hit, &a);
	assert_int_equal(na, a.n);
	hits_sort(&a);
	struct hits b = { 0 };
	for (size_t r = 0; r < match_feed_count(f); r++) {
		b.rec_override = r;
		match_advisory_estate(e, match_feed_record(f, r), on_hit, &b);
	}
	hits_sort(&b);
	struct hits c = { .rec_override = SIZE_MAX };
	for (size_t i = 0; i < match_estate_count(e); i++)
		match_component_feed(f, e, match_estate_component(e, i), on_hit, &c);
	hits_sort(&c);
	assert_int_equal(a.n, b.n);
	assert_int_equal(a.n, c.n);
	for (size_t i = 0; i < a.n; i++) {
		const struct hit *x[2] = { &b.v[i], &c.v[i] };
		for (int k = 0; k < 2; k++)
			if (a.v[i].rec != x[k]->rec || a.v[i].comp != x[k]->comp ||
			    a.v[i].answer != x[k]->answer || a.v[i].weak != x[k]->weak ||
			    a.v[i].evh != x[k]->evh)
				fail_msg("operation %c differs at hit %zu: record %u component %u", 'b' + k,
					 i, a.v[i].rec, a.v[i].comp);
	}
	/* every pair, asked one by one of the reference evaluation: the same
	 * answer, weak flag, deciding criterion and evidence text */
	for (size_t r = 0; r < match_feed_count(f); r++)
		for (size_t i = 0; i < match_estate_count(e); i++) {
			struct match_result res;
			const char *crit = NULL;
			enum match_answer want = match_feed_pair_eval(f, r, e, match_estate_component(e, i),
								      &res, &crit);
			const struct hit *h = find_hit(&a, r, i);
			if (want == MATCH_NOT_AFFECTED && h)
				fail_msg("record %zu component %zu: index says %s, pair says not affected",
					 r, i, match_answer_name(h->answer));
			if (want != MATCH_NOT_AFFECTED && (!h || h->answer != want))
				fail_msg("record %zu component %zu: pair says %s (%s), index %s", r, i,
					 match_answer_name(want), res.evidence,
					 h ? match_answer_name(h->answer) : "no match");
			if (h && (h->weak != res.weak || h->evh != fnv(res.evidence) ||
				  h->srch != fnv(crit)))
				fail_msg("record %zu component %zu: weak %d/%d, evidence or criterion "
					 "differ from the pair's: %s (%s)", r, i, h->weak, res.weak,
					 res.evidence, crit);
		}
	/* the walk's hits and their order do not depend on the thread count */
	for (size_t t = 1; t <= 3; t++) {
		struct hits w = { .rec_override = SIZE_MAX };
		size_t nw = match_estate_feed_threads(e, f, t, on_hit, &w);
		assert_int_equal(nw, a.n);
		struct hits a1 = { .rec_override = SIZE_MAX };
		match_estate_feed_threads(e, f, 1, on_hit, &a1);
		assert_int_equal(a1.n, w.n);
		for (size_t i = 0; i < w.n; i++)
			if (a1.v[i].rec != w.v[i].rec || a1.v[i].comp != w.v[i].comp ||
			    a1.v[i].answer != w.v[i].answer || a1.v[i].evh != w.v[i].evh)
				fail_msg("%zu threads: hit %zu differs from one thread's", t, i);
		free(w.v);
		free(a1.v);
	}
	free(b.v);
	free(c.v);
	return a;
}

/* ---- the hand-written feed ---- */

static const char *cve_kernel =
	"{\"cveMetadata\":{\"cveId\":\"CVE-2024-0001\"},\"containers\":{\"cna\":{\"affected\":["
	"{\"vendor\":\"Linux\",\"product\":\"Linux\",\"defaultStatus\":\"unaffected\",\"versions\":["
	"{\"version\":\"1da177e4c3f4\",\"lessThan\":\"8f0b4cce4481\",\"status\":\"affected\",\"versionType\":\"git\"}]},"
	"{\"vendor\":\"Linux\",\"product\":\"Linux\",\"defaultStatus\":\"affected\",\"versions\":["
	"{\"version\":\"5.10\",\"status\":\"affected\"},"
	"{\"version\":\"0\",\"lessThan\":\"5.10\",\"status\":\"unaffected\",\"versionType\":\"semver\"},"
	"{\"version\":\"5.15.50\",\"lessThanOrEqual\":\"5.15.*\",\"status\":\"unaffected\",\"versionType\":\"semver\"},"
	"{\"version\":\"6.1\",\"lessThanOrEqual\":\"*\",\"status\":\"unaffected\",\"versionType\":\"semver\"}]}]}}}";

static const char *cve_git_only =
	"{\"cveMetadata\":{\"cveId\":\"CVE-2024-0002\"},\"containers\":{\"cna\":{\"affected\":["
	"{\"vendor\":\"Linux\",\"product\":\"Linux\",\"defaultStatus\":\"unaffected\",\"versions\":["
	"{\"version\":\"1da177e4c3f4\",\"lessThan\":\"8f0b4cce4481\",\"status\":\"affected\",\"versionType\":\"git\"}]}]}}}";

/* lessThan "*"; an unaffected range listed before the affected one it
 * sits in; changes inside an unaffected range */
static const char *cve_widget =
	"{\"cveMetadata\":{\"cveId\":\"CVE-2024-0003\"},\"containers\":{\"cna\":{\"affected\":["
	"{\"vendor\":\"ACME Corp.\",\"product\":\"Widget Server\",\"defaultStatus\":\"unaffected\",\"versions\":["
	"{\"version\":\"2.5\",\"lessThan\":\"2.6\",\"status\":\"unaffected\"},"
	"{\"version\":\"2.0\",\"lessThan\":\"3.0\",\"status\":\"affected\"},"
	"{\"version\":\"4.0\",\"lessThan\":\"*\",\"status\":\"affected\"},"
	"{\"version\":\"1.0\",\"lessThan\":\"2.0\",\"status\":\"unaffected\",\"changes\":["
	"{\"at\":\"1.5\",\"status\":\"affected\"},{\"at\":\"1.7\",\"status\":\"unaffected\"}]}]}]}}}";

/* OSV: fixed is excluded, last_affected included, explicit versions[] */
static const char *osv_pypi =
	"{\"id\":\"PYSEC-2024-1\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"Foo_Bar\"},"
	"\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.2\"},"
	"{\"introduced\":\"2.0\"},{\"last_affected\":\"2.3\"}]}],\"versions\":[\"3.0rc1\"]}]}";

static const char *osv_maven =
	"{\"id\":\"GHSA-test-0001\",\"affected\":[{\"package\":{\"ecosystem\":\"Maven\","
	"\"name\":\"org.apache.logging.log4j:log4j-core\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":["
	"{\"introduced\":\"2.0-beta9\"},{\"fixed\":\"2.15.0\"}]}]}]}";

/* NVD: an escaped CPE, and an AND configuration with a platform */
static const char *nvd_gateway =
	"{\"cve\":{\"id\":\"CVE-2024-0004\",\"configurations\":["
	"{\"nodes\":[{\"operator\":\"OR\",\"negate\":false,\"cpeMatch\":[{\"vulnerable\":true,"
	"\"criteria\":\"cpe:2.3:a:acme:widget\\\\!pro:*:*:*:*:*:*:*:*\",\"versionEndIncluding\":\"1.5\"}]}]},"
	"{\"operator\":\"AND\",\"nodes\":["
	"{\"operator\":\"OR\",\"negate\":false,\"cpeMatch\":[{\"vulnerable\":true,"
	"\"criteria\":\"cpe:2.3:a:acme:gateway:*:*:*:*:*:*:*:*\",\"versionEndExcluding\":\"3.0\"}]},"
	"{\"operator\":\"OR\",\"negate\":false,\"cpeMatch\":[{\"vulnerable\":false,"
	"\"criteria\":\"cpe:2.3:o:acme:rtos:*:*:*:*:*:*:*:*\"}]}]}]}}";

enum { R_KERNEL, R_GIT, R_WIDGET, R_PYPI, R_MAVEN, R_NVD, R_COUNT };

static struct match_feed *hand_feed(void)
{
	struct match_feed *f = match_feed_new();
	assert_int_equal(match_feed_add(f, compile("cve5", cve_kernel)), R_KERNEL);
	assert_int_equal(match_feed_add(f, compile("cve5", cve_git_only)), R_GIT);
	assert_int_equal(match_feed_add(f, compile("cve5", cve_widget)), R_WIDGET);
	assert_int_equal(match_feed_add(f, compile("osv", osv_pypi)), R_PYPI);
	assert_int_equal(match_feed_add(f, compile("osv", osv_maven)), R_MAVEN);
	assert_int_equal(match_feed_add(f, compile("nvd", nvd_gateway)), R_NVD);
	return f;
}

struct want {
	size_t rec;
	enum match_answer a; /* NOT_AFFECTED: no match expected */
	bool weak;
};

struct case_ {
	struct match_component c;
	struct want w[3];
	size_t nw;
};

static void check_cases(const struct case_ *cs, size_t n)
{
	struct match_feed *f = hand_feed();
	struct match_estate *e = match_estate_new();
	for (size_t i = 0; i < n; i++)
		match_estate_add(e, &cs[i].c);
	match_estate_build(e);
	struct hits a = run_all(e, f);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < cs[i].nw; k++) {
			const struct want *w = &cs[i].w[k];
			const struct hit *h = find_hit(&a, w->rec, i);
			struct match_result res;
			match_feed_pair_eval(f, w->rec, e, match_estate_component(e, i), &res, NULL);
			if (w->a == MATCH_NOT_AFFECTED && h)
				fail_msg("%s %s: record %zu should not match, got %s: %s", cs[i].c.id,
					 cs[i].c.version ? cs[i].c.version : "(none)", w->rec,
					 match_answer_name(h->answer), res.evidence);
			if (w->a != MATCH_NOT_AFFECTED && (!h || h->answer != w->a || h->weak != w->weak))
				fail_msg("%s %s: record %zu want %s%s, got %s: %s", cs[i].c.id,
					 cs[i].c.version ? cs[i].c.version : "(none)", w->rec,
					 match_answer_name(w->a), w->weak ? " (weak)" : "",
					 h ? match_answer_name(h->answer) : "no match", res.evidence);
		}
	free(a.v);
	match_estate_free(e);
	match_feed_free(f);
}

#define W(r, ans) { r, MATCH_##ans, false }
#define WEAK(r) { r, MATCH_UNKNOWN, true }

static void cve5_ranges(void **state)
{
	(void)state;
	static const struct case_ cs[] = {
		{ { "k1", .vendor = "linux", .product = "linux", .version = "5.15.10" },
		  { W(R_KERNEL, AFFECTED), W(R_GIT, UNKNOWN) }, 1 },
		{ { "k2", .vendor = "Linux", .product = "Linux", .version = "5.15.60" },
		  { W(R_KERNEL, NOT_AFFECTED) }, 1 },  /* 5.15.50 <= v <= 5.15.* unaffected */
		{ { "k3", .vendor = "linux", .product = "linux", .version = "5.4.1" },
		  { W(R_KERNEL, NOT_AFFECTED) }, 1 },
		{ { "k4", .vendor = "linux", .product = "linux", .version = "6.5" },
		  { W(R_KERNEL, NOT_AFFECTED), WEAK(R_GIT) }, 2 }, /* git only: weak unknown */
		{ { "k5", .vendor = "linux", .product = "linux", .version = NULL },
		  { W(R_KERNEL, UNKNOWN) }, 1 },
		{ { "k6", .vendor = "linux", .product = "linux", .version = "latest" },
		  { W(R_KERNEL, UNKNOWN) }, 1 },        /* unorderable: never "not affected" */
		{ { "w1", .vendor = "ACME Corp", .product = "widget_server", .version = "2.5.1" },
		  { W(R_WIDGET, NOT_AFFECTED) }, 1 },   /* unaffected range listed first */
		{ { "w2", .vendor = "acme corp.", .product = "Widget Server", .version = "2.7" },
		  { W(R_WIDGET, AFFECTED) }, 1 },
		{ { "w3", .vendor = "ACME Corp.", .product = "Widget Server", .version = "3.5" },
		  { W(R_WIDGET, NOT_AFFECTED) }, 1 },
		{ { "w4", .vendor = "ACME Corp.", .product = "Widget Server", .version = "4.0" },
		  { W(R_WIDGET, AFFECTED) }, 1 },       /* lessThan "*": no upper end */
		{ { "w5", .vendor = "ACME Corp.", .product = "Widget Server", .version = "2024.1" },
		  { W(R_WIDGET, AFFECTED) }, 1 },
		{ { "w6", .vendor = "ACME Corp.", .product = "Widget Server", .version = "1.6" },
		  { W(R_WIDGET, AFFECTED) }, 1 },       /* changes: affected from 1.5 */
		{ { "w7", .vendor = "ACME Corp.", .product = "Widget Server", .version = "1.8" },
		  { W(R_WIDGET, NOT_AFFECTED) }, 1 },   /* ... unaffected again from 1.7 */
		{ { "w8", .vendor = "ACME Corp.", .product = "Widget Server", .version = "1.4" },
		  { W(R_WIDGET, NOT_AFFECTED) }, 1 },
		{ { "w9", .vendor = "ACME Corp.", .product = "Widget Server", .version = "n/a" },
		  { W(R_WIDGET, UNKNOWN) }, 1 },
		{ { "w10", .vendor = "", .product = "Widget Server", .version = "2.7" },
		  { W(R_WIDGET, UNKNOWN) }, 1 },        /* vendor unknown: cannot confirm */
		{ { "w11", .vendor = "Other", .product = "Widget Server", .version = "2.7" },
		  { W(R_WIDGET, NOT_AFFECTED) }, 1 },
	};
	check_cases(cs, BW_NELEM(cs));
}

static void osv_ranges_and_purls(void **state)
{
	(void)state;
	struct case_ cs[] = {
		{ { "p1", .purl = purl("pkg:pypi/foo-bar@1.1") }, { W(R_PYPI, AFFECTED) }, 1 },
		{ { "p2", .purl = purl("pkg:pypi/foo-bar@1.2") }, { W(R_PYPI, NOT_AFFECTED) }, 1 },
		{ { "p3", .purl = purl("pkg:pypi/Foo_Bar@2.3?os=linux#sub") }, { W(R_PYPI, AFFECTED) }, 1 },
		{ { "p4", .purl = purl("pkg:pypi/foo.bar@2.3.1") }, { W(R_PYPI, NOT_AFFECTED) }, 1 },
		{ { "p5", .purl = purl("pkg:pypi/foo-bar@3.0rc1") }, { W(R_PYPI, AFFECTED) }, 1 },
		{ { "p6", .purl = purl("pkg:pypi/foo-bar@3.0") }, { W(R_PYPI, NOT_AFFECTED) }, 1 },
		{ { "p7", .purl = purl("pkg:pypi/foo-bar"), .version = "2.0.post1" },
		  { W(R_PYPI, AFFECTED) }, 1 },
		{ { "p8", .purl = purl("pkg:pypi/foo-bar@not.a.version!") }, { W(R_PYPI, UNKNOWN) }, 1 },
		{ { "p9", .purl = purl("pkg:npm/foo-bar@1.1") }, { W(R_PYPI, NOT_AFFECTED) }, 1 },
		/* no purl, named like the package: cannot be sure, so unknown */
		{ { "p10", .vendor = "Foo", .product = "foo-bar", .version = "1.1" },
		  { W(R_PYPI, UNKNOWN) }, 1 },
		{ { "p11", .vendor = "Foo", .product = "foo-bar", .version = "1.5" },
		  { W(R_PYPI, NOT_AFFECTED) }, 1 },
		{ { "m1", .purl = purl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1") },
		  { W(R_MAVEN, AFFECTED) }, 1 },
		{ { "m2", .purl = purl("pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0") },
		  { W(R_MAVEN, NOT_AFFECTED) }, 1 },
		/* Maven namespaces keep their case: another package */
		{ { "m3", .purl = purl("pkg:maven/Org.Apache.Logging.Log4j/log4j-core@2.14.1") },
		  { W(R_MAVEN, NOT_AFFECTED) }, 1 },
	};
	check_cases(cs, BW_NELEM(cs));
}

static void nvd_cpe_and_systems(void **state)
{
	(void)state;
	const struct match_cpe *gw2 = cpe("cpe:2.3:a:acme:gateway:2.0:*:*:*:*:*:*:*");
	const struct match_cpe *gw31 = cpe("cpe:2.3:a:acme:gateway:3.1:*:*:*:*:*:*:*");
	const struct match_cpe *rtos = cpe("cpe:2.3:o:acme:rtos:7.0:*:*:*:*:*:*:*");
	const struct match_cpe *other = cpe("cpe:2.3:o:other:os:1:*:*:*:*:*:*:*");
	struct case_ cs[] = {
		{ { "e1", .cpe = cpe("cpe:2.3:a:acme:widget\\!pro:1.4:*:*:*:*:*:*:*") },
		  { W(R_NVD, AFFECTED) }, 1 },
		{ { "e2", .cpe = cpe("cpe:2.3:a:acme:widget\\!pro:1.6:*:*:*:*:*:*:*") },
		  { W(R_NVD, NOT_AFFECTED) }, 1 },
		/* folds to the same key, but is another product */
		{ { "e3", .cpe = cpe("cpe:2.3:a:acme:widget_pro:1.4:*:*:*:*:*:*:*") },
		  { W(R_NVD, NOT_AFFECTED) }, 1 },
		{ { "g1", .cpe = gw2, .system = "S1" }, { W(R_NVD, AFFECTED) }, 1 },
		{ { "o1", .cpe = rtos, .system = "S1" }, { W(R_NVD, NOT_AFFECTED) }, 1 },
		{ { "g2", .cpe = gw2, .system = "S2" }, { W(R_NVD, NOT_AFFECTED) }, 1 },
		{ { "o2", .cpe = other, .system = "S2" }, { W(R_NVD, NOT_AFFECTED) }, 1 },
		{ { "g3", .cpe = gw2 }, { W(R_NVD, UNKNOWN) }, 1 }, /* platform not known */
		{ { "g4", .cpe = gw31, .system = "S1" }, { W(R_NVD, NOT_AFFECTED) }, 1 },
	};
	check_cases(cs, BW_NELEM(cs));
}

/* The index answers as the engine's own per-record evaluation does, for
 * every pair where both have an identity the index can use. */
static void index_equals_record_eval(void **state)
{
	(void)state;
	struct match_feed *f = hand_feed();
	static const char *vers[] = { NULL, "0.1", "1.1", "1.5", "1.6", "2.0", "2.3", "2.5", "2.7",
				      "3.0rc1", "4.2", "5.10", "5.15.55", "6.0", "latest", "2.14.1" };
	static const char *names[][2] = { { "linux", "linux" }, { "acme corp", "widget server" },
					  { "", "widget_server" }, { "x", "foo-bar" },
					  { "acme", "gateway" } };
	struct match_estate *e = match_estate_new();
	for (size_t n = 0; n < BW_NELEM(names); n++)
		for (size_t v = 0; v < BW_NELEM(vers); v++) {
			struct match_component c = { "c", .vendor = names[n][0], .product = names[n][1],
						     .version = vers[v] };
			match_estate_add(e, &c);
		}
	match_estate_build(e);
	struct hits a = run_all(e, f);
	size_t matched = 0;
	for (size_t r = 0; r < match_feed_count(f); r++)
		for (size_t i = 0; i < match_estate_count(e); i++) {
			struct match_result res;
			enum match_answer want = match_record_eval(match_feed_record(f, r),
								   match_estate_component(e, i), NULL, 0, &res);
			const struct hit *h = find_hit(&a, r, i);
			enum match_answer got = h ? (enum match_answer)h->answer : MATCH_NOT_AFFECTED;
			if (got != want)
				fail_msg("record %zu component %zu: record_eval %s (%s), index %s", r, i,
					 match_answer_name(want), res.evidence, match_answer_name(got));
			matched += h != NULL;
		}
	assert_true(matched > 20);
	free(a.v);
	match_estate_free(e);
	match_feed_free(f);
}

static void determinism(void **state)
{
	(void)state;
	uint64_t sums[2] = { 0, 0 };
	size_t counts[2] = { 0, 0 };
	for (int run = 0; run < 2; run++) {
		struct match_feed *f = hand_feed();
		struct match_estate *e = match_estate_new();
		static const char *v[] = { "1.1", "2.7", "5.15.10", NULL, "latest" };
		for (int k = 0; k < 40; k++) {
			struct match_component c = { "c", .vendor = k % 2 ? "linux" : "ACME Corp.",
						     .product = k % 2 ? "linux" : "widget server",
						     .version = v[k % 5], .system = k % 3 ? "S" : NULL };
			match_estate_add(e, &c);
		}
		struct hits a = { .rec_override = SIZE_MAX };
		match_estate_feed(e, f, on_hit, &a);
		uint64_t h = 0;
		for (size_t i = 0; i < a.n; i++)
			h = h * 31 + (a.v[i].rec * 1000003u + a.v[i].comp) * 7 + a.v[i].answer + a.v[i].evh;
		sums[run] = h;
		counts[run] = a.n;
		free(a.v);
		match_estate_free(e);
		match_feed_free(f);
	}
	assert_true(counts[0] > 10);
	assert_int_equal(counts[0], counts[1]);
	assert_true(sums[0] == sums[1]);
}

static void estate_stats(void **state)
{
	(void)state;
	struct match_estate *e = match_estate_new();
	struct match_component cs[] = {
		{ "a", .vendor = "Microsoft", .product = "Office", .version = "16.0" },
		{ "b", .vendor = "microsoft", .product = "office", .version = "16.0" }, /* same variant */
		{ "c", .vendor = "microsoft", .product = "office", .version = NULL },
		{ "d", .version = "1.0" },                                             /* no identity */
	};
	for (size_t i = 0; i < BW_NELEM(cs); i++)
		match_estate_add(e, &cs[i]);
	match_estate_build(e);
	struct match_index_stats st;
	match_estate_stats(e, &st);
	assert_int_equal(st.components, 4);
	assert_int_equal(st.variants, 3);
	assert_int_equal(st.unidentified, 1);
	assert_int_equal(st.unorderable, 1);
	struct match_feed *f = hand_feed();
	match_feed_stats(f, &st);
	assert_int_equal(st.records, R_COUNT);
	assert_int_equal(st.unindexed, 0);
	struct match_component lin = { "l", .vendor = "Linux", .product = "Linux" };
	assert_true(match_feed_knows(f, &lin));
	assert_false(match_feed_knows(f, &cs[0]));
	match_feed_free(f);
	match_estate_free(e);
}

/* ---- CSAF ---- */

static struct match_record *csaf_compile(const json_t *doc, size_t *n)
{
	struct match_record *recs;
	struct bw_error err = { 0 };
	if (match_compile_csaf(&ar, doc, &recs, n, &err) != BW_OK)
		fail_msg("csaf: %s", err.msg);
	return recs;
}

static enum match_answer csaf_answer(const struct match_record *r, const char *vendor,
				     const char *product, const char *version)
{
	struct match_component c = { "c", .vendor = vendor, .product = product, .version = version };
	struct match_result res;
	return match_record_eval(r, &c, NULL, 0, &res);
}

static void csaf_ranges(void **state)
{
	(void)state;
	static const struct {
		const char *range, *version;
		enum match_answer want;
	} t[] = {
		{ "vers:all/<V2.3", "V2.2.9", MATCH_AFFECTED },
		{ "vers:all/<V2.3", "2.3", MATCH_NOT_AFFECTED },
		{ "vers:all/*", "anything 1", MATCH_AFFECTED },
		{ "All versions", "1.0", MATCH_AFFECTED },
		{ "All versions < V3.1", "V3.0 SP2", MATCH_AFFECTED },
		{ "All versions < V3.1", "V3.1", MATCH_NOT_AFFECTED },
		{ "< V8.2.2", "8.2.1", MATCH_AFFECTED },
		{ "<= 4.2", "4.2", MATCH_AFFECTED },
		{ "<= 4.2", "4.2.1", MATCH_NOT_AFFECTED },
		{ ">= 1.0 | <= 1.4", "1.2", MATCH_AFFECTED },
		{ ">= 1.0 | <= 1.4", "0.9", MATCH_NOT_AFFECTED },
		{ ">= V1.0 < V2.0", "1.5", MATCH_AFFECTED },
		{ "vers:all/>=V1.0<V1.4", "1.4", MATCH_NOT_AFFECTED },
		{ "3.2 and prior", "3.1", MATCH_AFFECTED },
		{ "3.2 and prior", "3.3", MATCH_NOT_AFFECTED },
		{ "prior to 5.0", "5.0", MATCH_NOT_AFFECTED },
		{ "vers:npm/>=1.0.0|<2.0.0|!=1.5.0", "1.5.0", MATCH_NOT_AFFECTED },
		{ "vers:npm/>=1.0.0|<2.0.0|!=1.5.0", "1.6.0", MATCH_AFFECTED },
		{ "vers:pypi/<1.0|>=2.0", "2.5", MATCH_AFFECTED },
		{ "vers:pypi/<1.0|>=2.0", "1.5", MATCH_NOT_AFFECTED },
	};
	for (size_t i = 0; i < BW_NELEM(t); i++) {
		struct match_criterion c = { .source = "t", .kind = MATCH_ID_PRODUCT, .vendor = "v",
					     .product = "p", .vulnerable = true,
					     .dflt = MATCH_NOT_AFFECTED };
		if (!match_csaf_range_rules(&ar, t[i].range, false, MATCH_AFFECTED, &c.rules, &c.nrules))
			fail_msg("%s: not read", t[i].range);
		struct match_result res;
		enum match_answer got = match_rules_eval(&c, t[i].version, &res);
		if (got != t[i].want)
			fail_msg("%s with %s: want %s, got %s: %s", t[i].range, t[i].version,
				 match_answer_name(t[i].want), match_answer_name(got), res.evidence);
	}
	/* what cannot be read is never "not affected" */
	struct match_rule *rules;
	size_t n;
	assert_false(match_csaf_range_rules(&ar, "<=the_first_digits_of_serial", false,
					    MATCH_AFFECTED, &rules, &n));
}

static void csaf_documents(void **state)
{
	(void)state;
	/* a hand-made document: a range, a fixed version inside it, a
	 * relationship and an id that is not in the tree */
	json_t *d = json_loads(
		"{\"document\":{\"tracking\":{\"id\":\"T-1\"}},\"product_tree\":{\"branches\":[{"
		"\"category\":\"vendor\",\"name\":\"Siemens\",\"branches\":[{\"category\":\"product_name\","
		"\"name\":\"SIMATIC S7\",\"branches\":[{\"category\":\"product_version_range\",\"name\":"
		"\"vers:all/<V2.3\",\"product\":{\"product_id\":\"P1\",\"name\":\"x\"}},{\"category\":"
		"\"product_version\",\"name\":\"V2.2.1\",\"product\":{\"product_id\":\"P2\",\"name\":\"y\"}},"
		"{\"category\":\"product_version\",\"name\":\"V3.0\",\"product\":{\"product_id\":\"P4\",\"name\":\"z\"}}]}]}],"
		"\"relationships\":[{\"category\":\"installed_on\",\"product_reference\":\"P4\","
		"\"relates_to_product_reference\":\"P2\",\"full_product_name\":{\"product_id\":\"P3\",\"name\":\"r\"}}]},"
		"\"vulnerabilities\":[{\"cve\":\"CVE-2024-1111\",\"product_status\":{\"known_affected\":[\"P1\",\"P3\"],"
		"\"fixed\":[\"P2\"],\"under_investigation\":[\"P9\"]}},{\"product_status\":{\"known_not_affected\":[\"P1\"]}}]}",
		0, NULL);
	assert_non_null(d);
	size_t n;
	struct match_record *r = csaf_compile(d, &n);
	json_decref(d);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].id, "CVE-2024-1111");
	assert_string_equal(r[1].id, "T-1#2");
	assert_int_equal(r[0].skipped, 1); /* P9 */
	assert_non_null(strstr(r[0].skip_reason, "P9"));
	assert_int_equal(csaf_answer(&r[0], "siemens", "simatic s7", "V2.1"), MATCH_AFFECTED);
	assert_int_equal(csaf_answer(&r[0], "Siemens", "SIMATIC S7", "2.2.1"), MATCH_NOT_AFFECTED);
	assert_int_equal(csaf_answer(&r[0], "Siemens", "SIMATIC S7", "V3.0"), MATCH_AFFECTED);
	assert_int_equal(csaf_answer(&r[0], "Siemens", "SIMATIC S7", "V3.1"), MATCH_NOT_AFFECTED);
	assert_int_equal(csaf_answer(&r[0], "Siemens", "SIMATIC S7", NULL), MATCH_UNKNOWN);
	assert_int_equal(csaf_answer(&r[1], "Siemens", "SIMATIC S7", "V2.1"), MATCH_NOT_AFFECTED);

	/* OASIS example: CPEs with versions, the last release fixed */
	json_t *bsi = test_load_json("feeds/csaf/oasis-examples/csaf/bsi-2022-0001.json");
	assert_non_null(bsi);
	r = csaf_compile(bsi, &n);
	json_decref(bsi);
	assert_int_equal(n, 1);
	const struct match_cpe *rc1 = cpe("cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0-rc1:*:*:*:*:*:*:*");
	const struct match_cpe *rc2 = cpe("cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0-rc2:*:*:*:*:*:*:*");
	struct match_component c1 = { "rc1", .cpe = rc1 }, c2 = { "rc2", .cpe = rc2 };
	struct match_result res;
	assert_int_equal(match_record_eval(&r[0], &c1, NULL, 0, &res), MATCH_AFFECTED);
	assert_int_equal(match_record_eval(&r[0], &c2, NULL, 0, &res), MATCH_NOT_AFFECTED);

	/* every OASIS CSAF example compiles */
	static const char *ex[] = { "cisco-sa-20180328-smi2.json", "rhsa-2019_1862.json",
				    "rhsa-2021_5186.json", "rhsa-2021_5217.json", "rhsa-2022_0011.json",
				    "csaf_vex/2022-evd-uc-01-a-001.json" };
	size_t total = 0;
	for (size_t i = 0; i < BW_NELEM(ex); i++) {
		char rel[256];
		snprintf(rel, sizeof rel, "feeds/csaf/oasis-examples/csaf/%s", ex[i]);
		json_t *j = test_load_json(rel);
		assert_non_null(j);
		r = csaf_compile(j, &n);
		for (size_t k = 0; k < n; k++)
			total += r[k].ncrit;
		json_decref(j);
	}
	assert_true(total > 5);
}

/* A vers range made only of '!=' holds every other version, in the vers
 * reader and in the CSAF reader alike; the two agree on every range here;
 * and a version a range excludes is not thereby "not affected" when
 * another statement about the same product holds it. */
static void ne_ranges_agree(void **state)
{
	(void)state;
	static const char *ranges[] = {
		"vers:npm/!=1.2.0", "vers:npm/!=1.2.0|!=1.4.0", "vers:npm/>=1.0.0|!=1.2.0|<2.0.0",
		"vers:npm/!=0.5.0|>=1.0.0|<2.0.0|!=3.0.0", "vers:npm/<=1.2.0|!=1.2.0",
		"vers:npm/<1.0.0|!=1.5.0|>=2.0.0", "vers:npm/1.1.0|!=1.2.0", "vers:npm/>=1.0.0|!=1.0.0",
		"vers:pypi/!=2.0", "vers:npm/>=1.0.0|!=1.1.0|!=1.3.0|<1.5.0",
	};
	static const char *versions[] = { "0.1.0", "0.5.0", "1.0.0", "1.1.0", "1.2.0", "1.3.0",
					  "1.4.0", "1.5.0", "1.9.9", "2.0.0", "3.0.0", "4.0.0" };
	size_t affected = 0, excluded = 0;
	for (size_t i = 0; i < BW_NELEM(ranges); i++) {
		struct match_vers v;
		struct bw_error err = { 0 };
		if (match_vers_parse(&ar, str_c(ranges[i]), false, &v, &err) != BW_OK)
			fail_msg("%s: %s", ranges[i], err.msg);
		struct match_criterion c = { .source = "t", .kind = MATCH_ID_PRODUCT, .vendor = "v",
					     .product = "p", .vulnerable = true,
					     .dflt = MATCH_NOT_AFFECTED };
		if (!match_csaf_range_rules(&ar, ranges[i], false, MATCH_AFFECTED, &c.rules, &c.nrules))
			fail_msg("%s: not read", ranges[i]);
		for (size_t k = 0; k < BW_NELEM(versions); k++) {
			struct match_result r1, r2;
			r2.evidence[0] = 0;
			enum match_answer in = match_vers_contains(&v, versions[k], &r1);
			enum match_answer got = match_rules_eval(&c, versions[k], &r2);
			if (in != got)
				fail_msg("%s with %s: vers says %s (%s), CSAF %s (%s)", ranges[i],
					 versions[k], match_answer_name(in), r1.evidence,
					 match_answer_name(got), r2.evidence);
			affected += in == MATCH_AFFECTED;
			excluded += in == MATCH_NOT_AFFECTED;
		}
	}
	assert_true(affected > 20 && excluded > 20);
	struct match_vers v;
	struct match_result res;
	assert_int_equal(match_vers_parse(&ar, STR("vers:npm/!=1.2.0"), false, &v, NULL), BW_OK);
	assert_int_equal(match_vers_contains(&v, "1.3.0", &res), MATCH_AFFECTED);
	assert_int_equal(match_vers_contains(&v, "0.9.0", &res), MATCH_AFFECTED);
	assert_int_equal(match_vers_contains(&v, "1.2.0", &res), MATCH_NOT_AFFECTED);

	/* known_affected "every version but V2.0", under investigation below
	 * V3: V2.0 is unknown, not "not affected"; and fixed "every version
	 * but V1.0" leaves V1.0 to the affected statement */
	json_t *d = json_loads(
		"{\"document\":{\"tracking\":{\"id\":\"T-2\"}},\"product_tree\":{\"branches\":[{"
		"\"category\":\"vendor\",\"name\":\"Acme\",\"branches\":[{\"category\":\"product_name\","
		"\"name\":\"Pump\",\"branches\":["
		"{\"category\":\"product_version_range\",\"name\":\"vers:all/!=V2.0\",\"product\":{\"product_id\":\"A\",\"name\":\"a\"}},"
		"{\"category\":\"product_version_range\",\"name\":\"vers:all/<V3\",\"product\":{\"product_id\":\"B\",\"name\":\"b\"}},"
		"{\"category\":\"product_version_range\",\"name\":\"vers:all/!=V1.0\",\"product\":{\"product_id\":\"C\",\"name\":\"c\"}},"
		"{\"category\":\"product_version\",\"name\":\"V1.0\",\"product\":{\"product_id\":\"D\",\"name\":\"d\"}}]}]}]},"
		"\"vulnerabilities\":[{\"cve\":\"CVE-2024-2222\",\"product_status\":{\"known_affected\":[\"A\"],"
		"\"under_investigation\":[\"B\"]}},{\"cve\":\"CVE-2024-3333\",\"product_status\":{"
		"\"fixed\":[\"C\"],\"known_affected\":[\"D\"]}}]}",
		0, NULL);
	assert_non_null(d);
	size_t n;
	struct match_record *r = csaf_compile(d, &n);
	json_decref(d);
	assert_int_equal(n, 2);
	assert_int_equal(csaf_answer(&r[0], "acme", "pump", "V1.5"), MATCH_AFFECTED);
	assert_int_equal(csaf_answer(&r[0], "acme", "pump", "V2.0"), MATCH_UNKNOWN);
	assert_int_equal(csaf_answer(&r[0], "acme", "pump", "V9"), MATCH_AFFECTED);
	assert_int_equal(csaf_answer(&r[1], "acme", "pump", "V1.0"), MATCH_AFFECTED);
	assert_int_equal(csaf_answer(&r[1], "acme", "pump", "V1.1"), MATCH_NOT_AFFECTED);
}

/* CSAF products identified by CPE: flat CPE criteria with and without
 * ranges, against components with CPEs that are equal, narrower (a
 * target_sw), wildcarded or disjoint, and against components known only
 * by vendor and product; every pair answered as the reference does. */
static void cpe_criteria(void **state)
{
	(void)state;
	json_t *d = json_loads(
		"{\"document\":{\"tracking\":{\"id\":\"T-3\"}},\"product_tree\":{\"branches\":[{"
		"\"category\":\"vendor\",\"name\":\"Acme\",\"branches\":[{\"category\":\"product_name\","
		"\"name\":\"Router OS\",\"branches\":["
		"{\"category\":\"product_version_range\",\"name\":\"vers:generic/>=2.0|<2.4\",\"product\":{\"product_id\":\"R1\",\"name\":\"r1\","
		"\"product_identification_helper\":{\"cpe\":\"cpe:2.3:o:acme:router_os:*:*:*:*:*:*:*:*\"}}},"
		"{\"category\":\"product_version\",\"name\":\"2.4\",\"product\":{\"product_id\":\"R2\",\"name\":\"r2\","
		"\"product_identification_helper\":{\"cpe\":\"cpe:2.3:o:acme:router_os:*:*:*:*:*:*:*:*\"}}}]},"
		"{\"category\":\"product_name\",\"name\":\"Console\",\"product\":{\"product_id\":\"C1\",\"name\":\"c1\","
		"\"product_identification_helper\":{\"cpe\":\"cpe:2.3:a:acme:console:3.1:*:*:*:*:windows:*:*\"}}}]}]},"
		"\"vulnerabilities\":[{\"cve\":\"CVE-2024-4444\",\"product_status\":{\"known_affected\":[\"R1\",\"C1\"],"
		"\"fixed\":[\"R2\"]}}]}",
		0, NULL);
	assert_non_null(d);
	size_t n;
	struct match_record *r = csaf_compile(d, &n);
	json_decref(d);
	assert_int_equal(n, 1);
	struct match_feed *f = match_feed_new();
	match_feed_add(f, &r[0]);
	struct match_estate *e = match_estate_new();
	static const char *cpes[] = {
		"cpe:2.3:o:acme:router_os:2.1:*:*:*:*:*:*:*", "cpe:2.3:o:acme:router_os:2.4:*:*:*:*:*:*:*",
		"cpe:2.3:o:acme:router_os:1.9:*:*:*:*:*:*:*", "cpe:2.3:o:acme:router_os:2.*:*:*:*:*:*:*:*",
		"cpe:2.3:o:acme:router_os:-:*:*:*:*:*:*:*", "cpe:2.3:h:acme:router_os:2.1:*:*:*:*:*:*:*",
		"cpe:2.3:a:acme:console:3.1:*:*:*:*:windows:*:*", "cpe:2.3:a:acme:console:3.1:*:*:*:*:linux:*:*",
		"cpe:2.3:a:acme:console:3.1:*:*:*:*:*:*:*", "cpe:2.3:a:acme:console:3.2:*:*:*:*:windows:*:*",
		"cpe:2.3:a:acme:console:*:*:*:*:*:windows:*:*", "cpe:2.3:a:other:console:3.1:*:*:*:*:windows:*:*",
		"cpe:2.3:a:acme:console:3.1:*:*:*:*:win?:*:*",
		"cpe:2.3:o:acme:router_os:2.1:*:*:*:*:*:x86*:*",
	};
	for (size_t i = 0; i < BW_NELEM(cpes); i++) {
		struct match_component c = { "cpe", .cpe = cpe(cpes[i]), .version = i % 4 == 3 ? "2.2" : NULL };
		match_estate_add(e, &c);
	}
	static const char *names[][3] = { { "Acme", "Router OS", "2.2" }, { "acme", "router_os", "2.4" },
					  { NULL, "router os", "2.0" }, { "Acme", "Console", "3.1" },
					  { "", "console", NULL }, { "Acme", "Router OS", "latest" } };
	for (size_t i = 0; i < BW_NELEM(names); i++) {
		struct match_component c = { "name", .vendor = names[i][0], .product = names[i][1],
					     .version = names[i][2] };
		match_estate_add(e, &c);
	}
	match_estate_build(e);
	struct hits a = run_all(e, f);
	/* router 2.1 affected; 2.4 fixed; 1.9 outside; a wildcard CPE with its own version 2.2;
	 * console on windows affected, on linux not; a wildcard target_hw and
	 * name-only ones unknown at best */
	static const struct { size_t comp; enum match_answer a; } want[] = {
		{ 0, MATCH_AFFECTED }, { 1, MATCH_NOT_AFFECTED }, { 2, MATCH_NOT_AFFECTED },
		{ 3, MATCH_AFFECTED }, { 5, MATCH_NOT_AFFECTED }, { 6, MATCH_AFFECTED },
		{ 7, MATCH_NOT_AFFECTED }, { 8, MATCH_UNKNOWN }, { 9, MATCH_NOT_AFFECTED },
		{ 11, MATCH_NOT_AFFECTED }, { 12, MATCH_UNKNOWN }, { 13, MATCH_UNKNOWN },
		{ 14, MATCH_UNKNOWN },
	};
	for (size_t i = 0; i < BW_NELEM(want); i++) {
		const struct hit *h = find_hit(&a, 0, want[i].comp);
		enum match_answer got = h ? (enum match_answer)h->answer : MATCH_NOT_AFFECTED;
		if (got != want[i].a)
			fail_msg("component %zu (%s): want %s, got %s", want[i].comp,
				 want[i].comp < BW_NELEM(cpes) ? cpes[want[i].comp] : "by name",
				 match_answer_name(want[i].a), match_answer_name(got));
	}
	free(a.v);
	match_estate_free(e);
	match_feed_free(f);
}

/* A record shaped like CISA's additions to Cisco's: one entry whose
 * "cpes" repeat the product for each of many versions, and many exact
 * versions (found through the engine's exact-version index), with a
 * range, an unaffected version and a git rule among them; and OSV
 * versions[] lists. Every pair is answered as the reference does. */
static void many_versions(void **state)
{
	(void)state;
	struct buf j;
	buf_init(&j);
	buf_puts(&j, "{\"cveMetadata\":{\"cveId\":\"CVE-2024-5555\"},\"containers\":{\"cna\":{\"affected\":[],"
		     "\"x\":0},\"adp\":[{\"affected\":[{\"vendor\":\"cisco\",\"product\":\"ios_xe\","
		     "\"defaultStatus\":\"unknown\",\"cpes\":[");
	for (int i = 0; i < 30; i++)
		buf_printf(&j, "%s\"cpe:2.3:o:cisco:ios_xe:17.%d.1:*:*:*:*:*:*:*\"", i ? "," : "", i);
	buf_puts(&j, "],\"versions\":[");
	for (int i = 0; i < 30; i++)
		buf_printf(&j, "{\"version\":\"17.%d.1\",\"status\":\"%s\"},", i,
			   i == 7 ? "unaffected" : "affected");
	buf_puts(&j, "{\"version\":\"16.0\",\"lessThan\":\"16.5\",\"status\":\"affected\"},"
		     "{\"version\":\"abc\",\"lessThan\":\"def\",\"status\":\"affected\",\"versionType\":\"git\"},"
		     "{\"version\":\"17.3.1\",\"status\":\"unaffected\"}]}]}]}}");
	json_t *doc = json_loads(buf_cstr(&j), 0, NULL);
	assert_non_null(doc);
	struct match_record *r = arena_alloc(&ar, sizeof *r);
	assert_int_equal(match_compile_cve5(&ar, doc, r, NULL), BW_OK);
	json_decref(doc);
	assert_true(r->ncrit >= 30);
	buf_free(&j);
	struct match_feed *f = match_feed_new();
	match_feed_add(f, r);
	assert_int_equal(match_feed_add(f, compile("osv", "{\"id\":\"GHSA-many\",\"affected\":[{\"package\":"
		"{\"ecosystem\":\"PyPI\",\"name\":\"many\"},\"versions\":[\"1.0\",\"1.1\",\"1.2\",\"1.3\","
		"\"1.4\",\"1.5\",\"1.6\",\"1.7\",\"1.8\",\"1.9\",\"2.0rc1\",\"2.0.0\"],\"ranges\":[{\"type\":"
		"\"ECOSYSTEM\",\"events\":[{\"introduced\":\"3.0\"},{\"fixed\":\"3.2\"}]}]}]}")), 1);
	struct match_estate *e = match_estate_new();
	static const char *vers[] = { "17.0.1", "17.3.1", "17.7.1", "17.29.1", "17.30.1", "16.2",
				      "16.5", "17.03.01", "weird", NULL };
	for (size_t i = 0; i < BW_NELEM(vers); i++) {
		char cs[128];
		snprintf(cs, sizeof cs, "cpe:2.3:o:cisco:ios_xe:%s:*:*:*:*:*:*:*", vers[i] ? vers[i] : "-");
		struct match_component c1 = { "cpe", .cpe = cpe(arena_strdup(&ar, cs)) };
		struct match_component c2 = { "name", .vendor = "Cisco", .product = "IOS XE",
					      .version = vers[i] };
		struct match_component c3 = { "bare", .product = "ios_xe", .version = vers[i] };
		match_estate_add(e, &c1);
		match_estate_add(e, &c2);
		match_estate_add(e, &c3);
	}
	static const char *pv[] = { "1.0", "1.05", "1.9", "2.0", "2.0rc1", "2.0.0", "3.1", "3.2", "x" };
	for (size_t i = 0; i < BW_NELEM(pv); i++) {
		char ps[64];
		snprintf(ps, sizeof ps, "pkg:pypi/many@%s", pv[i]);
		struct match_component c = { "pypi", .purl = purl(arena_strdup(&ar, ps)) };
		match_estate_add(e, &c);
	}
	match_estate_build(e);
	struct hits a = run_all(e, f);
	const struct hit *h = find_hit(&a, 0, 0); /* 17.0.1 by CPE */
	assert_non_null(h);
	assert_int_equal(h->answer, MATCH_AFFECTED);
	assert_null(find_hit(&a, 0, 3 * 2 + 1)); /* 17.7.1 by name: unaffected */
	h = find_hit(&a, 1, 3 * BW_NELEM(vers) + 2); /* pypi 1.9 */
	assert_non_null(h);
	assert_int_equal(h->answer, MATCH_AFFECTED);
	h = find_hit(&a, 1, 3 * BW_NELEM(vers) + 1); /* 1.05 is 1.5 under PEP 440 */
	assert_non_null(h);
	assert_int_equal(h->answer, MATCH_AFFECTED);
	assert_null(find_hit(&a, 1, 3 * BW_NELEM(vers) + 7)); /* 3.2 fixed */
	free(a.v);
	match_estate_free(e);
	match_feed_free(f);
}

/* ---- real records from the shared zips ---- */

typedef void (*zip_fn)(void *ctx, const char *name, const char *data, size_t n);

/* Calls fn for every `every`-th .json entry of a zip, up to max. */
static size_t zip_each(const char *rel, size_t every, size_t max, zip_fn fn, void *ctx)
{
	const char *base = getenv("BULWARK_DATA");
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", base && *base ? base : "../shared/data", rel);
	struct archive *a = archive_read_new();
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK)
		fail_msg("cannot open %s: %s", path, archive_error_string(a));
	struct archive_entry *en;
	size_t seen = 0, used = 0;
	while (used < max && archive_read_next_header(a, &en) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(en);
		size_t len = strlen(name);
		if (len < 5 || strcmp(name + len - 5, ".json") != 0 || seen++ % every)
			continue;
		size_t sz = (size_t)archive_entry_size(en);
		char *buf = malloc(sz + 1);
		assert_non_null(buf);
		la_ssize_t got = archive_read_data(a, buf, sz);
		assert_int_equal((size_t)got, sz);
		buf[sz] = 0;
		fn(ctx, name, buf, sz);
		free(buf);
		used++;
	}
	archive_read_free(a);
	return used;
}

struct real {
	struct match_feed *f;
	struct match_estate *e;
	size_t records, csaf_affected;
};

static void add_cve5(void *ctx, const char *name, const char *data, size_t n)
{
	(void)name;
	struct real *x = ctx;
	json_t *j = json_loadb(data, n, 0, NULL);
	assert_non_null(j);
	struct match_record *r = arena_alloc(&ar, sizeof *r);
	if (match_compile_cve5(&ar, j, r, NULL) == BW_OK) {
		match_feed_add(x->f, r);
		x->records++;
		/* components named after what the record lists, with the
		 * versions it names and their neighbours */
		const json_t *aff = json_object_get(json_object_get(json_object_get(j, "containers"), "cna"),
						    "affected");
		for (size_t i = 0; i < json_array_size(aff) && i < 3; i++) {
			const json_t *en = json_array_get(aff, i);
			const char *v = json_string_value(json_object_get(en, "vendor"));
			const char *p = json_string_value(json_object_get(en, "product"));
			const json_t *vs = json_object_get(en, "versions");
			for (size_t k = 0; k < json_array_size(vs) && k < 3; k++) {
				const json_t *ve = json_array_get(vs, k);
				const char *fields[] = { "version", "lessThan", "lessThanOrEqual" };
				for (size_t q = 0; q < 3; q++) {
					const char *ver = json_string_value(json_object_get(ve, fields[q]));
					if (!ver)
						continue;
					struct match_component c = { "real", .vendor = v ? arena_strdup(&ar, v) : NULL,
								     .product = p ? arena_strdup(&ar, p) : NULL,
								     .version = arena_strdup(&ar, ver),
								     .system = q ? "S" : NULL };
					match_estate_add(x->e, &c);
				}
			}
		}
	}
	json_decref(j);
}

static void real_cve5_agree(void **state)
{
	(void)state;
	struct real x = { match_feed_new(), match_estate_new(), 0, 0 };
	size_t n = zip_each("feeds/cve5/vulnrichment.zip", 97, 150, add_cve5, &x);
	assert_int_equal(n, 150);
	assert_true(x.records > 140);
	match_estate_build(x.e);
	struct hits a = run_all(x.e, x.f);
	assert_true(a.n > 50); /* records match the products they name */
	free(a.v);
	match_estate_free(x.e);
	match_feed_free(x.f);
}

/* The operations read a built estate and a feed only: several threads
 * asking at once get what one thread alone gets. */
struct conc {
	struct match_estate *e;
	struct match_feed *f;
	uint64_t sum;
	size_t n;
};

static void conc_hit(void *ctx, const struct match_hit *h)
{
	struct conc *c = ctx;
	c->sum += (h->record * 1000003u + h->component) * 7 + h->answer + fnv(h->evidence);
	c->n++;
}

static void *conc_run(void *arg)
{
	struct conc *c = arg;
	for (int round = 0; round < 3; round++) {
		for (size_t r = 0; r < match_feed_count(c->f); r++)
			match_advisory_estate(c->e, match_feed_record(c->f, r), conc_hit, c);
		for (size_t i = 0; i < match_estate_count(c->e); i++)
			match_component_feed(c->f, c->e, match_estate_component(c->e, i), conc_hit, c);
	}
	return NULL;
}

static void concurrent_operations(void **state)
{
	(void)state;
	struct real x = { match_feed_new(), match_estate_new(), 0, 0 };
	zip_each("feeds/cve5/vulnrichment.zip", 131, 60, add_cve5, &x);
	match_estate_build(x.e);
	struct conc one = { x.e, x.f, 0, 0 };
	conc_run(&one);
	assert_true(one.n > 50);
	struct conc many[4];
	pthread_t th[4];
	for (int t = 0; t < 4; t++) {
		many[t] = (struct conc){ x.e, x.f, 0, 0 };
		assert_int_equal(pthread_create(&th[t], NULL, conc_run, &many[t]), 0);
	}
	/* and a whole-feed walk with its own threads meanwhile */
	struct hits w = { .rec_override = SIZE_MAX };
	match_estate_feed_threads(x.e, x.f, 2, on_hit, &w);
	for (int t = 0; t < 4; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(many[t].n, one.n);
		assert_true(many[t].sum == one.sum);
	}
	struct hits a = { .rec_override = SIZE_MAX };
	match_estate_feed_threads(x.e, x.f, 1, on_hit, &a);
	assert_int_equal(a.n, w.n);
	free(a.v);
	free(w.v);
	match_estate_free(x.e);
	match_feed_free(x.f);
}

static void add_csaf(void *ctx, const char *name, const char *data, size_t n)
{
	struct real *x = ctx;
	json_t *j = json_loadb(data, n, 0, NULL);
	if (!j)
		fail_msg("%s: not JSON", name);
	size_t nr;
	struct match_record *r = csaf_compile(j, &nr);
	json_decref(j);
	for (size_t i = 0; i < nr; i++) {
		match_feed_add(x->f, &r[i]);
		x->records++;
		for (size_t k = 0; k < r[i].ncrit; k++)
			for (size_t q = 0; q < r[i].crit[k].nrules; q++)
				x->csaf_affected += r[i].crit[k].rules[q].status == MATCH_AFFECTED;
	}
}

static void real_csaf(void **state)
{
	(void)state;
	struct real x = { match_feed_new(), NULL, 0, 0 };
	size_t n = zip_each("feeds/csaf/cisagov-csaf.zip", 60, 40, add_csaf, &x);
	assert_int_equal(n, 40);
	assert_true(x.records >= 40);
	assert_true(x.csaf_affected >= 40);
	/* the IT advisory VA-24-201-01: Adminer, all versions */
	x.e = match_estate_new();
	struct match_component c = { "adm", .vendor = "Adminer", .product = "Adminer", .version = "4.8.1" };
	match_estate_add(x.e, &c);
	match_estate_build(x.e);
	struct real y = { match_feed_new(), NULL, 0, 0 };
	zip_each("feeds/csaf/cisagov-csaf.zip", 1, 1, add_csaf, &y); /* the first entry is VA-24-201-01 */
	struct hits h = { .rec_override = SIZE_MAX };
	match_estate_feed(x.e, y.f, on_hit, &h);
	assert_true(h.n >= 1);
	assert_int_equal(h.v[0].answer, MATCH_AFFECTED);
	free(h.v);
	match_estate_free(x.e);
	match_feed_free(x.f);
	match_feed_free(y.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cve5_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(osv_ranges_and_purls, setup, teardown),
		cmocka_unit_test_setup_teardown(nvd_cpe_and_systems, setup, teardown),
		cmocka_unit_test_setup_teardown(index_equals_record_eval, setup, teardown),
		cmocka_unit_test_setup_teardown(determinism, setup, teardown),
		cmocka_unit_test_setup_teardown(estate_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(csaf_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(csaf_documents, setup, teardown),
		cmocka_unit_test_setup_teardown(ne_ranges_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(cpe_criteria, setup, teardown),
		cmocka_unit_test_setup_teardown(many_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(real_cve5_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_operations, setup, teardown),
		cmocka_unit_test_setup_teardown(real_csaf, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

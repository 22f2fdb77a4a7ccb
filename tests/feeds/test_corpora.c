/*
 * The whole shared corpora, read as every importer reads them, in each
 * `make test`: CISA's KEV catalogue, all CVE JSON 5 records of the
 * vulnrichment zip, every OSV ecosystem zip and all 2,383 CSAF advisories
 * of CISA's archive with their .sha512 files. feeds_check_path runs the
 * importers' own parse-and-validate path (limits, hashes, JSON, required
 * fields, the match engine's compile of every record) without the
 * per-record database writes, which unit-feeds tests on a slice of the same
 * corpora. Each corpus must yield the record count its README states, and
 * every refused record must be listed with a reason that is one of those
 * expected for that corpus: a new kind of refusal fails the test until
 * someone has looked at it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "feeds/feeds.h"

static const char *data_dir(void)
{
	const char *d = getenv("BULWARK_DATA");
	return d && *d ? d : "../shared/data";
}

/* The refusals of one corpus, by expected reason. */
struct expect {
	const char *phrase;       /* a refusal's reason contains it */
	int64_t count;            /* how many such refusals the corpus has */
};

struct seen_refusals {
	const struct expect *want;
	size_t nwant;
	int64_t got[16];
	int64_t unexplained;
};

static void on_refused(void *ctx, const char *entry, const char *reason)
{
	struct seen_refusals *s = ctx;
	for (size_t i = 0; i < s->nwant; i++)
		if (strstr(reason, s->want[i].phrase)) {
			s->got[i]++;
			return;
		}
	s->unexplained++;
	if (s->unexplained <= 20)
		print_message("#   unexpected refusal of %s: %s\n", entry, reason);
}

static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void corpus(enum feeds_kind kind, const char *rel, int64_t records, int64_t withdrawn, const struct expect *want,
		   size_t nwant)
{
	char path[600];
	snprintf(path, sizeof path, "%s/feeds/%s", data_dir(), rel);
	struct seen_refusals s = { want, nwant, { 0 }, 0 };
	struct feeds_check_result r;
	struct bw_error e = { 0 };
	int64_t t0 = bw_now_ms();
	double c0 = cpu_s();
	if (feeds_check_path(kind, path, on_refused, &s, &r, &e) != BW_OK)
		fail_msg("%s: %s", rel, e.msg);
	print_message("# %s: %lld entries, %lld records, %lld withdrawn, %lld refused (%lld ms, %.1f s CPU)\n", rel,
		      (long long)r.seen, (long long)r.records, (long long)r.withdrawn, (long long)r.refused,
		      (long long)(bw_now_ms() - t0), cpu_s() - c0);
	/* every entry is accounted for: taken, withdrawn or refused with a reason */
	assert_int_equal(r.records + r.withdrawn + r.refused, r.seen);
	assert_int_equal(r.seen, records);
	assert_int_equal(r.withdrawn, withdrawn);
	assert_int_equal(s.unexplained, 0);
	for (size_t i = 0; i < nwant; i++) {
		if (s.got[i] != want[i].count)
			fail_msg("%s: %lld refusals \"%s\", expected %lld", rel, (long long)s.got[i], want[i].phrase,
				 (long long)want[i].count);
	}
}

/* The corpora have no refused record today: each expect list is empty,
 * so any refusal fails the test with its entry and reason printed. Withdrawn
 * records are REJECTED CVE records and OSV advisories with "withdrawn". */
static void test_kev(void **state)
{
	(void)state;
	corpus(FEEDS_KEV, "kev/known_exploited_vulnerabilities.json", 1404, 0, NULL, 0);
}

static void test_cve5(void **state)
{
	(void)state;
	corpus(FEEDS_CVE5, "cve5/vulnrichment.zip", 20120, 65, NULL, 0);
}

static void test_osv(void **state)
{
	(void)state;
	corpus(FEEDS_OSV, "osv/Go-all.zip", 4241, 17, NULL, 0);
	corpus(FEEDS_OSV, "osv/crates.io-all.zip", 1176, 13, NULL, 0);
	corpus(FEEDS_OSV, "osv/PyPI-all.zip", 2611, 10, NULL, 0);
	corpus(FEEDS_OSV, "osv/Bitnami-all.zip", 7404, 0, NULL, 0);
	corpus(FEEDS_OSV, "osv/AlmaLinux-all.zip", 5650, 0, NULL, 0);
}

static void test_csaf(void **state)
{
	(void)state;
	corpus(FEEDS_CSAF, "csaf/cisagov-csaf.zip", 2383, 0, NULL, 0);
}

/* Control: folders of the same corpora that hold no records (the JSON
 * schemas) are refused file by file, each with the reason expected, so the
 * refusal listing above is known to see refusals. */
static void test_control(void **state)
{
	(void)state;
	static const struct expect cve[] = { { "not a CVE JSON 5 record: no valid cveMetadata.cveId", 4 } };
	corpus(FEEDS_CVE5, "cve5/schema", 4, 0, cve, BW_NELEM(cve));
	static const struct expect osv[] = { { "not an OSV record: no valid id", 2 } };
	corpus(FEEDS_OSV, "osv/schema", 2, 0, osv, BW_NELEM(osv));
}

/* CORPORA (set by meson) picks the part this executable reads: the whole
 * set is about 40 s of CPU under the sanitizers, so it is split in three
 * executables that the test runner can run side by side. */
int main(void)
{
	const struct CMUnitTest cve5[] = {
		cmocka_unit_test(test_kev),
		cmocka_unit_test(test_cve5),
	};
	const struct CMUnitTest osv[] = {
		cmocka_unit_test(test_osv),
	};
	const struct CMUnitTest csaf[] = {
		cmocka_unit_test(test_csaf),
		cmocka_unit_test(test_control),
	};
	if (!strcmp(CORPORA, "cve5"))
		return cmocka_run_group_tests(cve5, NULL, NULL);
	if (!strcmp(CORPORA, "osv"))
		return cmocka_run_group_tests(osv, NULL, NULL);
	return cmocka_run_group_tests(csaf, NULL, NULL);
}

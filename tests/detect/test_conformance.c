/*
 * Conformance tests for detect, on SigmaHQ's regression cases: with the
 * whole rule set loaded, each case's rule fires on its own .json events and
 * on its own .evtx (SigmaHQ's CI check), at least match_count times where
 * given; the fast path gives exactly the baseline's findings on those events
 * and on a slice of the OTRF events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <cmocka.h>

#include "detect/detect.h"

static struct detect_engine *engine;
static char data[1024];

static int setup(void **state)
{
	(void)state;
	const char *d = getenv("BULWARK_DATA");
	snprintf(data, sizeof data, "%s/detect", d && *d ? d : "../shared/data");
	static const char *folders[] = { "rules", "rules-emerging-threats", "rules-threat-hunting",
					 "rules-compliance", "rules-placeholder" };
	struct bw_error err = { 0 };
	engine = detect_engine_new(NULL, &err);
	if (!engine)
		return -1;
	for (size_t i = 0; i < sizeof folders / sizeof *folders; i++) {
		char path[1200];
		snprintf(path, sizeof path, "%s/sigma/%s", data, folders[i]);
		detect_engine_add_path(engine, path);
	}
	return detect_engine_compile(engine, &err) == BW_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	detect_engine_free(engine);
	return 0;
}

/* findings as text lines, for comparing fast and baseline */
struct collect {
	const char *want_id;
	int want_hits;
	struct buf lines;
};

static void collect(void *ctx, const struct detect_finding *f)
{
	struct collect *c = ctx;
	if (c->want_id && !strcmp(f->rule->id, c->want_id))
		c->want_hits++;
	buf_printf(&c->lines, "%s|%llu|%s|", f->rule->id, (unsigned long long)f->record, f->time);
	for (size_t i = 0; i < f->nfields; i++)
		buf_printf(&c->lines, "%s=%.*s;", f->fields[i].name, (int)f->fields[i].len,
			   f->fields[i].value);
	buf_putc(&c->lines, '\n');
}

static int scan(const char *path, enum detect_mode mode, struct collect *c,
		struct detect_stats *st)
{
	struct detect_scanner *s = detect_scanner_new(engine, mode);
	struct bw_error err = { 0 };
	enum bw_err rc = detect_scan_file(s, path, DETECT_FORMAT_AUTO, collect, c, st, &err);
	detect_scanner_finish(s, collect, c, st);
	detect_scanner_free(s);
	return rc;
}

static void regression_cases(const char *ext)
{
	char idx[1200];
	snprintf(idx, sizeof idx, "%s/sigma-regression/index.tsv", data);
	FILE *f = fopen(idx, "r");
	assert_non_null(f);
	char line[4096];
	int cases = 0, fired = 0, equal = 0;
	assert_non_null(fgets(line, sizeof line, f)); /* header */
	while (fgets(line, sizeof line, f)) {
		char *cols[12] = { 0 };
		int nc = 0;
		/* split on every tab: match_count may be empty */
		for (char *p = line; nc < 12;) {
			cols[nc++] = p;
			char *tab = strchr(p, '\t');
			if (!tab)
				break;
			*tab = 0;
			p = tab + 1;
		}
		if (nc < 8 || strcmp(cols[6], "evtx") != 0)
			continue;
		char path[2048];
		snprintf(path, sizeof path, "%s/sigma-regression/%s/%s.%s", data, cols[0], cols[1], ext);
		struct stat sb;
		if (stat(path, &sb) != 0)
			continue;
		cases++;
		int want = cols[7][0] ? atoi(cols[7]) : 1;
		struct collect fast = { .want_id = cols[1] }, base = { .want_id = cols[1] };
		buf_init(&fast.lines);
		buf_init(&base.lines);
		struct detect_stats st = { 0 }, st2 = { 0 };
		assert_int_equal(scan(path, DETECT_FAST, &fast, &st), BW_OK);
		assert_int_equal(scan(path, DETECT_BASELINE, &base, &st2), BW_OK);
		if (fast.want_hits >= want && want > 0)
			fired++;
		else
			print_message("# %s: rule %s (%s) fired %d times, want %d\n", ext, cols[1], cols[2],
				      fast.want_hits, want);
		if (fast.lines.len == base.lines.len &&
		    (fast.lines.len == 0 || !memcmp(fast.lines.p, base.lines.p, fast.lines.len)))
			equal++;
		else
			print_message("# %s: fast and baseline differ on %s\n", ext, path);
		buf_free(&fast.lines);
		buf_free(&base.lines);
	}
	fclose(f);
	print_message("# %s regression cases: %d, rule fired on its own events: %d, "
		      "fast == baseline: %d\n", ext, cases, fired, equal);
	assert_true(cases >= 160);
	assert_int_equal(fired, cases);
	assert_int_equal(equal, cases);
}

static void regression_json(void **state)
{
	(void)state;
	regression_cases("json");
}

static void regression_evtx(void **state)
{
	(void)state;
	regression_cases("evtx");
}

/* fast == baseline over the first events of several OTRF datasets (all three layouts) */
static void otrf_fast_equals_baseline(void **state)
{
	(void)state;
	static const char *files[] = {
		"atomic/windows/credential_access/host/cmd_lsass_memory_dumpert_syscalls.jsonl.gz",
		"atomic/windows/defense_evasion/host/empire_enable_rdp.jsonl.gz",
		"compound/GoldenSAMLADFSMailAccess/GoldenSAMLADFSMailAccess_WindowsEvents.jsonl.gz",
		"compound/Log4Shell/securityauditing_log4shell_cve2021_44228_java_serialized_object.jsonl.gz",
		"atomic/windows/execution/host/psh_powershell_httplistener.jsonl.gz",
		"atomic/windows/collection/host/msf_record_mic.jsonl.gz",
		"atomic/windows/credential_access/host/cmd_dumping_ntds_dit_file_ntdsutil.jsonl.gz",
	};
	uint64_t events = 0, findings = 0;
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char path[2048];
		snprintf(path, sizeof path, "%s/otrf-events/%s", data, files[i]);
		/* the first 300 lines only: the baseline is slow under the sanitizers */
		gzFile gz = gzopen(path, "rb");
		if (!gz) {
			print_message("# missing %s\n", path);
			continue;
		}
		struct buf in;
		buf_init(&in);
		char line[65536];
		for (int k = 0; k < 300 && gzgets(gz, line, sizeof line); k++)
			buf_puts(&in, line);
		gzclose(gz);
		struct collect fast = { 0 }, base = { 0 };
		buf_init(&fast.lines);
		buf_init(&base.lines);
		struct detect_stats st = { 0 }, st2 = { 0 };
		struct detect_scanner *s = detect_scanner_new(engine, DETECT_FAST);
		detect_scan_json(s, in.p, in.len, files[i], collect, &fast, &st);
		detect_scanner_free(s);
		s = detect_scanner_new(engine, DETECT_BASELINE);
		detect_scan_json(s, in.p, in.len, files[i], collect, &base, &st2);
		detect_scanner_free(s);
		assert_int_equal(st.events, st2.events);
		assert_true(st.events > 0);
		assert_int_equal(fast.lines.len, base.lines.len);
		if (fast.lines.len)
			assert_memory_equal(fast.lines.p, base.lines.p, fast.lines.len);
		events += st.events;
		findings += st.findings;
		print_message("# %s: %llu events, %llu findings, rules evaluated fast %llu vs "
			      "baseline %llu\n", files[i], (unsigned long long)st.events,
			      (unsigned long long)st.findings, (unsigned long long)st.rules_evaluated,
			      (unsigned long long)st2.rules_evaluated);
		buf_free(&fast.lines);
		buf_free(&base.lines);
		buf_free(&in);
	}
	print_message("# OTRF slice: %llu events, %llu findings, fast == baseline\n",
		      (unsigned long long)events, (unsigned long long)findings);
	assert_true(events >= 1000);
	assert_true(findings > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(regression_json),
		cmocka_unit_test(regression_evtx),
		cmocka_unit_test(otrf_fast_equals_baseline),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

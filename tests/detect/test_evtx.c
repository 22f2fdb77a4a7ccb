/*
 * EVTX robustness tests for detect: the damaged and unusual samples of
 * omerbenamram/evtx (bad chunk checksums and magic, zero-size records,
 * incomplete BinXML, dirty files, ...) are decompressed to a temporary
 * folder and read to the end without a crash or a hang, damaged records
 * counted. And the command line: `-j 2` prints exactly what `-j 1` prints,
 * exit codes as documented in detect.h.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "detect/detect.h"

static struct detect_engine *engine;
static char data[1024];

/* A few hundred Windows rules: enough to exercise matching on every record. */
static int setup(void **state)
{
	(void)state;
	const char *d = getenv("BULWARK_DATA");
	snprintf(data, sizeof data, "%s/detect", d && *d ? d : "../shared/data");
	struct bw_error err = { 0 };
	engine = detect_engine_new(NULL, &err);
	if (!engine)
		return -1;
	char path[1200];
	snprintf(path, sizeof path, "%s/sigma/rules/windows/builtin", data);
	if (detect_engine_add_path(engine, path) < 100)
		return -1;
	return detect_engine_compile(engine, &err) == BW_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	detect_engine_free(engine);
	return 0;
}

struct collect {
	struct buf lines;
};

static void collect(void *ctx, const struct detect_finding *f)
{
	struct collect *c = ctx;
	buf_printf(&c->lines, "%s|%llu\n", f->rule->id, (unsigned long long)f->record);
}

static bool gunzip(const char *from, const char *to)
{
	gzFile gz = gzopen(from, "rb");
	if (!gz)
		return false;
	FILE *out = fopen(to, "wb");
	if (!out) {
		gzclose(gz);
		return false;
	}
	char b[65536];
	int n;
	while ((n = gzread(gz, b, sizeof b)) > 0)
		fwrite(b, 1, (size_t)n, out);
	gzclose(gz);
	fclose(out);
	return n == 0;
}

/* The damaged and unusual files of omerbenamram/evtx (and the newer logs an
 * old libevtx cannot read) are read to the end without a crash or a hang. */
static void damaged_evtx_samples(void **state)
{
	(void)state;
	char dir[1200];
	snprintf(dir, sizeof dir, "%s/evtx-samples/omerbenamram-evtx/samples", data);
	DIR *d = opendir(dir);
	assert_non_null(d);
	char tmp[] = "/tmp/bw-detect-evtx-XXXXXX";
	assert_non_null(mkdtemp(tmp));
	struct dirent *de;
	int files = 0;
	uint64_t events = 0, bad = 0;
	time_t t0 = time(NULL);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 8 || strcmp(de->d_name + n - 8, ".evtx.gz") != 0)
			continue;
		char from[2400], to[2400];
		snprintf(from, sizeof from, "%s/%s", dir, de->d_name);
		snprintf(to, sizeof to, "%s/x.evtx", tmp);
		assert_true(gunzip(from, to));
		struct collect c = { 0 };
		buf_init(&c.lines);
		struct detect_stats st = { 0 };
		struct detect_scanner *s = detect_scanner_new(engine, DETECT_FAST);
		struct bw_error err = { 0 };
		detect_scan_file(s, to, DETECT_FORMAT_EVTX, collect, &c, &st, &err);
		detect_scanner_free(s);
		buf_free(&c.lines);
		unlink(to);
		files++;
		events += st.events;
		bad += st.bad_records + st.oversize + st.bad_utf8;
	}
	closedir(d);
	rmdir(tmp);
	print_message("# omerbenamram-evtx samples: %d files, %llu events, %llu damaged records "
		      "skipped, %lds\n", files, (unsigned long long)events, (unsigned long long)bad,
		      (long)(time(NULL) - t0));
	assert_true(files >= 19);
	assert_true(events > 1000);
}

/* Runs detect_cli with stdout captured into out; returns its exit code. */
static int cli(char **argv, int argc, struct buf *out)
{
	char path[] = "/tmp/bw-detect-cli-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	int saved = dup(1);
	dup2(fd, 1);
	int rc = detect_cli(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	char b[65536];
	ssize_t n;
	while ((n = read(fd, b, sizeof b)) > 0)
		buf_add(out, b, (size_t)n);
	close(fd);
	unlink(path);
	return rc;
}

static void cli_threads_give_identical_output(void **state)
{
	(void)state;
	char rules[1200], f1[1200], f2[1200], f3[1200];
	snprintf(rules, sizeof rules, "%s/sigma/rules/windows/process_access", data);
	snprintf(f1, sizeof f1, "%s/otrf-events/atomic/windows/credential_access/host/cmd_lsass_memory_dumpert_syscalls.jsonl.gz", data);
	snprintf(f2, sizeof f2, "%s/otrf-events/compound/Log4Shell/securityauditing_log4shell_cve2021_44228_java_serialized_object.jsonl.gz", data);
	snprintf(f3, sizeof f3, "%s/otrf-events/atomic/windows/execution/host/psh_powershell_httplistener.jsonl.gz", data);
	struct buf a, b, c;
	buf_init(&a);
	buf_init(&b);
	buf_init(&c);
	char *argv1[] = { "detect", "--rules", rules, "--format", "jsonl", "-j", "1", f1, f2, f3, NULL };
	char *argv2[] = { "detect", "--rules", rules, "--format", "jsonl", "-j", "2", f1, f2, f3, NULL };
	char *argv3[] = { "detect", "--rules", rules, "--format", "csv", f1, NULL };
	assert_int_equal(cli(argv1, 10, &a), 1);  /* findings: exit 1 */
	assert_int_equal(cli(argv2, 10, &b), 1);
	assert_true(a.len > 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	/* every finding names the rule's author (the DRL requires it) */
	assert_non_null(strstr(a.p, "\"author\":\""));
	assert_null(strstr(a.p, "\"author\":\"\""));
	assert_int_equal(cli(argv3, 6, &c), 1);
	assert_true(!strncmp(c.p, "time,computer,level,title,id,author,tags,source,record,fields\n", 62));
	char *bad[] = { "detect", "--rules", rules, "/nonexistent/file.jsonl", NULL };
	struct buf d;
	buf_init(&d);
	assert_int_equal(cli(bad, 4, &d), 3);
	char *usage[] = { "detect", "--format", "xml", f1, NULL };
	assert_int_equal(cli(usage, 4, &d), 2);
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
	buf_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(damaged_evtx_samples),
		cmocka_unit_test(cli_threads_give_identical_output),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

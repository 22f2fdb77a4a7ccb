/*
 * cli: `bulwark detect` — load rules, scan files, print findings as
 * JSON-lines, CSV or a table, then a summary by level and rule on stderr.
 * With -j N the inputs are shared among N threads; each file's findings are
 * printed in input order. Correlations span all the inputs: the threads log
 * what each correlation reads, and the logs are replayed in input order
 * once every file is scanned, so the output is the same for any N (their
 * findings follow the files'). `bulwark detect rules check DIR` lists the
 * rules that do not load, with line and reason.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect.h"

enum out_format { OUT_JSONL, OUT_CSV, OUT_TABLE };

struct job {
	const char *path;
	struct buf out;
	struct detect_stats stats;
	struct bw_error err;
	bool failed;
	struct detect_corr_log *corr;  /* base-rule matches correlations read */
};

struct run {
	const struct detect_engine *e;
	struct job *jobs;
	size_t njobs;
	atomic_size_t next;
	atomic_size_t done;
	enum out_format fmt;
	enum detect_mode mode;
	bool progress;
	/* per rule: findings, for the summary */
	atomic_uint_fast64_t *hits;
};

static void json_str(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c < 0x20) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
}

static void csv_str(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_putc(b, '"');
		buf_putc(b, s[i] == '\n' || s[i] == '\r' ? ' ' : s[i]);
	}
	buf_putc(b, '"');
}

struct ctx {
	struct run *run;
	struct job *job;
};

static size_t rule_index(const struct detect_engine *e, const struct detect_rule_info *r)
{
	size_t n = detect_engine_rule_count(e);
	for (size_t lo = 0, hi = n; lo < hi;) { /* rules are stored in order: pointer search */
		size_t mid = (lo + hi) / 2;
		const struct detect_rule_info *m = detect_engine_rule(e, mid);
		if (m == r)
			return mid;
		if (m < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n;
}

static void on_finding(void *vctx, const struct detect_finding *f)
{
	struct ctx *c = vctx;
	struct buf *b = &c->job->out;
	const struct detect_rule_info *r = f->rule;
	size_t ri = rule_index(c->run->e, r);
	if (ri < detect_engine_rule_count(c->run->e))
		atomic_fetch_add(&c->run->hits[ri], 1);
	switch (c->run->fmt) {
	case OUT_JSONL:
		buf_puts(b, "{\"title\":");
		json_str(b, r->title, strlen(r->title));
		buf_puts(b, ",\"id\":");
		json_str(b, r->id, strlen(r->id));
		buf_puts(b, ",\"level\":");
		json_str(b, r->level, strlen(r->level));
		buf_puts(b, ",\"author\":");
		json_str(b, r->author, strlen(r->author));
		buf_puts(b, ",\"tags\":[");
		for (size_t i = 0; r->tags[i]; i++) {
			if (i)
				buf_putc(b, ',');
			json_str(b, r->tags[i], strlen(r->tags[i]));
		}
		buf_puts(b, "],\"source\":");
		json_str(b, f->source, strlen(f->source));
		buf_printf(b, ",\"record\":%llu,\"computer\":", (unsigned long long)f->record);
		json_str(b, f->computer, strlen(f->computer));
		buf_puts(b, ",\"time\":");
		json_str(b, f->time, strlen(f->time));
		buf_puts(b, ",\"fields\":{");
		for (size_t i = 0; i < f->nfields; i++) {
			if (i)
				buf_putc(b, ',');
			json_str(b, f->fields[i].name, strlen(f->fields[i].name));
			buf_putc(b, ':');
			json_str(b, f->fields[i].value, f->fields[i].len);
		}
		buf_puts(b, "}}\n");
		break;
	case OUT_CSV: {
		const char *cols[] = { f->time, f->computer, r->level, r->title, r->id, r->author };
		for (size_t i = 0; i < BW_NELEM(cols); i++) {
			csv_str(b, cols[i], strlen(cols[i]));
			buf_putc(b, ',');
		}
		struct buf t;
		buf_init(&t);
		for (size_t i = 0; r->tags[i]; i++)
			buf_printf(&t, "%s%s", i ? " " : "", r->tags[i]);
		csv_str(b, t.p ? t.p : "", t.len);
		buf_reset(&t);
		buf_putc(b, ',');
		csv_str(b, f->source, strlen(f->source));
		buf_printf(b, ",%llu,", (unsigned long long)f->record);
		for (size_t i = 0; i < f->nfields; i++)
			buf_printf(&t, "%s%s=%.*s", i ? "; " : "", f->fields[i].name,
				   (int)(f->fields[i].len > 500 ? 500 : f->fields[i].len),
				   f->fields[i].value);
		csv_str(b, t.p ? t.p : "", t.len);
		buf_free(&t);
		buf_putc(b, '\n');
		break;
	}
	case OUT_TABLE:
		buf_printf(b, "%-24.24s %-16.16s %-8.8s %-60.60s %s\n", f->time, f->computer, r->level,
			   r->title, r->author);
		for (size_t i = 0; i < f->nfields; i++)
			buf_printf(b, "    %s: %.*s\n", f->fields[i].name,
				   (int)(f->fields[i].len > 200 ? 200 : f->fields[i].len),
				   f->fields[i].value);
		break;
	}
}

static void *worker(void *arg)
{
	struct run *run = arg;
	struct detect_scanner *s = detect_scanner_new(run->e, run->mode);
	for (;;) {
		size_t i = atomic_fetch_add(&run->next, 1);
		if (i >= run->njobs)
			break;
		struct job *j = &run->jobs[i];
		struct ctx c = { run, j };
		detect_scanner_defer_correlations(s, j->corr);
		if (detect_scan_file(s, j->path, DETECT_FORMAT_AUTO, on_finding, &c, &j->stats, &j->err))
			j->failed = true;
		size_t d = atomic_fetch_add(&run->done, 1) + 1;
		if (run->progress)
			fprintf(stderr, "\r[%-40.*s] %zu/%zu files", (int)(40 * d / run->njobs),
				"########################################", d, run->njobs);
	}
	detect_scanner_free(s);
	return NULL;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: bulwark detect --rules DIR [--config MAP] [--format jsonl|csv|table]\n"
		"                      [-j N] [--baseline] FILE...\n"
		"       bulwark detect rules check [--config MAP] DIR...\n");
	return 2;
}

static void print_errors(const struct detect_engine *e, FILE *out)
{
	size_t n;
	const struct detect_rule_error *errs = detect_engine_errors(e, &n);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s:%d: %s\n", errs[i].path, errs[i].line, errs[i].reason);
}

static int rules_check(int argc, char *const *argv, const char *config)
{
	if (argc < 1)
		return usage();
	struct bw_error err = { 0 };
	struct detect_engine *e = detect_engine_new(config, &err);
	if (!e) {
		fprintf(stderr, "detect: %s\n", err.msg);
		return 3;
	}
	size_t loaded = 0;
	for (int i = 0; i < argc; i++)
		loaded += detect_engine_add_path(e, argv[i]);
	if (detect_engine_compile(e, &err)) {
		fprintf(stderr, "detect: %s\n", err.msg);
		detect_engine_free(e);
		return 3;
	}
	size_t nerr;
	detect_engine_errors(e, &nerr);
	print_errors(e, stdout);
	printf("%zu rules loaded, %zu failed\n", loaded, nerr);
	detect_engine_free(e);
	return nerr ? 1 : 0;
}

int detect_cli(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "baseline", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rules[64];
	int nrules = 0;
	const char *config = NULL;
	int fmt = isatty(1) ? OUT_TABLE : OUT_JSONL;
	long jobs = 1;
	bool baseline = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "r:c:f:j:bh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (nrules == (int)BW_NELEM(rules))
				return usage();
			rules[nrules++] = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json"))
				fmt = OUT_JSONL;
			else if (!strcmp(optarg, "csv"))
				fmt = OUT_CSV;
			else if (!strcmp(optarg, "table"))
				fmt = OUT_TABLE;
			else
				return usage();
			break;
		case 'j': {
			char *end;
			jobs = strtol(optarg, &end, 10);
			if (*end || jobs < 1 || jobs > 256)
				return usage();
			break;
		}
		case 'b':
			baseline = true;
			break;
		default:
			return usage();
		}
	}
	/* `rules check` with its options before or after it (getopt moves the
	 * words that are not options to the end) */
	if (argc - optind >= 2 && !strcmp(argv[optind], "rules") && !strcmp(argv[optind + 1], "check")) {
		for (int i = optind + 2; i < argc && nrules < (int)BW_NELEM(rules); i++)
			rules[nrules++] = argv[i];
		return rules_check(nrules, (char **)rules, config);
	}
	if (nrules == 0 || optind >= argc)
		return usage();
	struct bw_error err = { 0 };
	struct detect_engine *e = detect_engine_new(config, &err);
	if (!e) {
		fprintf(stderr, "detect: %s\n", err.msg);
		return 3;
	}
	size_t loaded = 0;
	for (int i = 0; i < nrules; i++)
		loaded += detect_engine_add_path(e, rules[i]);
	size_t nerr;
	detect_engine_errors(e, &nerr);
	if (nerr) {
		print_errors(e, stderr);
		fprintf(stderr, "detect: %zu rules loaded, %zu not loaded (listed above)\n", loaded, nerr);
	}
	if (loaded == 0 || detect_engine_compile(e, &err)) {
		fprintf(stderr, "detect: %s\n", loaded ? err.msg : "no rules loaded");
		detect_engine_free(e);
		return 3;
	}
	struct run run = { .e = e, .fmt = (enum out_format)fmt,
			   .mode = baseline ? DETECT_BASELINE : DETECT_FAST,
			   .progress = isatty(2) };
	run.njobs = (size_t)(argc - optind);
	run.jobs = calloc(run.njobs, sizeof *run.jobs);
	run.hits = calloc(detect_engine_rule_count(e) + 1, sizeof *run.hits);
	if (!run.jobs || !run.hits)
		abort();
	for (size_t i = 0; i < run.njobs; i++) {
		run.jobs[i].path = argv[optind + (int)i];
		buf_init(&run.jobs[i].out);
		run.jobs[i].corr = detect_corr_log_new();
	}
	if (jobs > (long)run.njobs)
		jobs = (long)run.njobs;
	pthread_t th[256];
	for (long i = 1; i < jobs; i++)
		if (pthread_create(&th[i], NULL, worker, &run) != 0)
			abort();
	worker(&run);
	for (long i = 1; i < jobs; i++)
		pthread_join(th[i], NULL);
	if (run.progress)
		fputc('\n', stderr);
	/* correlations over every input, in input order */
	struct job corr = { .path = "" };
	buf_init(&corr.out);
	struct detect_scanner *cs = detect_scanner_new(e, run.mode);
	struct ctx cc = { &run, &corr };
	for (size_t i = 0; i < run.njobs; i++) {
		detect_scanner_replay(cs, run.jobs[i].corr, on_finding, &cc, &corr.stats);
		detect_corr_log_free(run.jobs[i].corr);
	}
	detect_scanner_finish(cs, on_finding, &cc, &corr.stats);
	detect_scanner_free(cs);
	if (fmt == OUT_CSV)
		fputs("time,computer,level,title,id,author,tags,source,record,fields\n", stdout);
	struct detect_stats tot = { 0 };
	int rc = 0;
	for (size_t i = 0; i < run.njobs; i++) {
		struct job *j = &run.jobs[i];
		fwrite(j->out.p ? j->out.p : "", 1, j->out.len, stdout);
		buf_free(&j->out);
		if (j->failed) {
			fprintf(stderr, "detect: %s\n", j->err.msg);
			rc = 3;
		}
		tot.events += j->stats.events;
		tot.findings += j->stats.findings;
		tot.bad_records += j->stats.bad_records;
		tot.oversize += j->stats.oversize;
		tot.bad_utf8 += j->stats.bad_utf8;
		tot.truncated += j->stats.truncated;
	}
	fwrite(corr.out.p ? corr.out.p : "", 1, corr.out.len, stdout);
	buf_free(&corr.out);
	tot.findings += corr.stats.findings;
	fflush(stdout);
	/* summary: by level, then the rules that fired */
	static const char *levels[] = { "critical", "high", "medium", "low", "informational" };
	fprintf(stderr, "detect: %llu events, %llu findings; skipped: %llu damaged, %llu oversize, "
			"%llu bad UTF-8; evaluated cut (a value past %d KiB, a record past %d MiB "
			"or %d fields): %llu\n",
		(unsigned long long)tot.events, (unsigned long long)tot.findings,
		(unsigned long long)tot.bad_records, (unsigned long long)tot.oversize,
		(unsigned long long)tot.bad_utf8, DETECT_LIM_VALUE / 1024,
		DETECT_LIM_RECORD / (1024 * 1024), DETECT_LIM_FIELDS,
		(unsigned long long)tot.truncated);
	for (size_t l = 0; l < BW_NELEM(levels); l++) {
		uint64_t n = 0;
		for (size_t i = 0; i < detect_engine_rule_count(e); i++)
			if (!strcmp(detect_engine_rule(e, i)->level, levels[l]))
				n += run.hits[i];
		if (n)
			fprintf(stderr, "  %-13s %llu\n", levels[l], (unsigned long long)n);
	}
	for (size_t i = 0; i < detect_engine_rule_count(e); i++)
		if (run.hits[i]) {
			const struct detect_rule_info *r = detect_engine_rule(e, i);
			fprintf(stderr, "  %6llu  %-8s %s (%s)\n", (unsigned long long)run.hits[i],
				r->level, r->title, r->author);
		}
	free(run.jobs);
	free(run.hits);
	detect_engine_free(e);
	if (rc)
		return rc;
	return tot.findings ? 1 : 0;
}

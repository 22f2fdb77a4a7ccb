/*
 * bench-detect: the detection engine's speed on the public data, with its
 * baseline in the same run.
 *
 * All rules of DATA/detect/sigma/rules* are loaded (load and compile timed
 * apart). Then, in this order so that peak RSS belongs to the streaming run:
 *   1. end to end: every DATA/detect/otrf-events/ .jsonl.gz file streamed
 *      from disk (gunzip included), one thread; VmHWM read after it;
 *   2. EVTX: every DATA/detect/evtx-samples/ .evtx.gz decompressed into a
 *      temporary folder first, then scanned, one thread;
 *   3. the JSON corpus decompressed into memory, then scanned by the fast
 *      path on one thread and on two, and by DETECT_BASELINE (every rule on
 *      every event, no routing, no prefilter) on one thread.
 * Findings of every run are kept per file as (rule, record, hash of what the
 * finding shows); the fast runs must equal the baseline (and the streaming
 * and two-thread runs the one-thread run), else the exit status is 1.
 *
 *   bench-detect [--data DIR] [--out FILE.md] [--rules-tsv FILE]
 *                [--skip-evtx] [--skip-baseline] [--only-fast [REPEAT]] [--limit-files N]
 * --only-fast (for profiling) runs load + the in-memory fast path only,
 * REPEAT times (default 1).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "detect/detect.h"

#define MAX_FILES 4096
#define MAX_FILE_BYTES ((size_t)1 << 31)   /* one decompressed corpus file */

/* ---- clocks ---- */
struct clk {
	struct timespec wall, cpu;
};

static double ts_sec(struct timespec t)
{
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct clk clk_now(void)
{
	struct clk c;
	clock_gettime(CLOCK_MONOTONIC, &c.wall);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c.cpu);
	return c;
}

/* seconds since a: wall clock and process CPU time */
static void clk_since(struct clk a, double *wall, double *cpu)
{
	struct clk b = clk_now();
	*wall = ts_sec(b.wall) - ts_sec(a.wall);
	*cpu = ts_sec(b.cpu) - ts_sec(a.cpu);
}

static long vm_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long v = -1;
	size_t kn = strlen(key);
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, kn) && line[kn] == ':') {
			v = strtol(line + kn + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static void loadavg(char *out, size_t n)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double a = -1, b = -1, c = -1;
	if (f) {
		if (fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
			a = b = c = -1;
		fclose(f);
	}
	snprintf(out, n, "%.2f %.2f %.2f", a, b, c);
}

/* ---- file lists ---- */
struct flist {
	char **paths;
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *dir, const char *suffix, struct flist *l, int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	size_t sn = strlen(suffix);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		int k = snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		struct stat st;
		if (k <= 0 || (size_t)k >= sizeof path || stat(path, &st) != 0)
			continue;
		size_t nn = strlen(de->d_name);
		if (S_ISDIR(st.st_mode) && depth < 16) {
			walk(path, suffix, l, depth + 1);
		} else if (S_ISREG(st.st_mode) && nn > sn && !strcmp(de->d_name + nn - sn, suffix) &&
			   l->n < MAX_FILES) {
			l->paths = realloc(l->paths, (l->n + 1) * sizeof *l->paths);
			if (!l->paths || !(l->paths[l->n] = strdup(path)))
				abort();
			l->n++;
		}
	}
	closedir(d);
	if (depth == 0)
		qsort(l->paths, l->n, sizeof *l->paths, cmp_str);
}

static void flist_free(struct flist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
}

static bool gunzip(const char *path, struct buf *out)
{
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return false;
	gzbuffer(gz, 256 * 1024);
	for (;;) {
		buf_reserve(out, 1 << 20);
		int got = gzread(gz, out->p + out->len, 1 << 20);
		if (got <= 0) {
			gzclose(gz);
			return got == 0;
		}
		out->len += (size_t)got;
		if (out->len > MAX_FILE_BYTES) {
			gzclose(gz);
			return false;
		}
	}
}

/* ---- findings, kept per input file ---- */
struct fkey {
	uint32_t rule;
	uint32_t pad;
	uint64_t record;
	uint64_t hash;
};

struct fvec {
	struct fkey *v;
	size_t n, cap;
};

struct run_out {
	struct fvec *files;    /* by input index */
	size_t nfiles;
	struct detect_stats st;
	double wall, cpu;
};

/* finding -> rule index: the info pointers, sorted, with their index */
struct rule_ref {
	const struct detect_rule_info *info;
	uint32_t idx;
};
static struct rule_ref *rule_refs;
static size_t nrules;

static int cmp_ref(const void *a, const void *b)
{
	const struct rule_ref *x = a, *y = b;
	return (const void *)x->info < (const void *)y->info ? -1
	     : (const void *)x->info > (const void *)y->info;
}

static uint32_t rule_index(const struct detect_rule_info *r)
{
	size_t lo = 0, hi = nrules;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (rule_refs[mid].info == r)
			return rule_refs[mid].idx;
		if ((const void *)rule_refs[mid].info < (const void *)r)
			lo = mid + 1;
		else
			hi = mid;
	}
	abort(); /* a finding names a rule the engine does not have: a bug */
}

static void rules_index(const struct detect_engine *e)
{
	nrules = detect_engine_rule_count(e);
	rule_refs = calloc(nrules + 1, sizeof *rule_refs);
	if (!rule_refs)
		abort();
	for (size_t i = 0; i < nrules; i++)
		rule_refs[i] = (struct rule_ref){ detect_engine_rule(e, i), (uint32_t)i };
	qsort(rule_refs, nrules, sizeof *rule_refs, cmp_ref);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *u = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ u[i]) * 1099511628211ull;
	return h;
}

static void on_finding(void *ctx, const struct detect_finding *f)
{
	struct fvec *v = ctx;
	uint64_t h = 14695981039346656037ull;
	h = fnv(h, f->time, strlen(f->time) + 1);
	h = fnv(h, f->computer, strlen(f->computer) + 1);
	for (size_t i = 0; i < f->nfields; i++) {
		h = fnv(h, f->fields[i].name, strlen(f->fields[i].name) + 1);
		h = fnv(h, f->fields[i].value, f->fields[i].len);
		h = fnv(h, "", 1);
	}
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->v = realloc(v->v, v->cap * sizeof *v->v);
		if (!v->v)
			abort();
	}
	v->v[v->n++] = (struct fkey){ rule_index(f->rule), 0, f->record, h };
}

static void run_out_init(struct run_out *o, size_t nfiles)
{
	memset(o, 0, sizeof *o);
	o->files = calloc(nfiles + 1, sizeof *o->files);
	if (!o->files)
		abort();
	o->nfiles = nfiles;
}

static void run_out_free(struct run_out *o)
{
	for (size_t i = 0; i < o->nfiles; i++)
		free(o->files[i].v);
	free(o->files);
}

static uint64_t run_findings(const struct run_out *o)
{
	uint64_t n = 0;
	for (size_t i = 0; i < o->nfiles; i++)
		n += o->files[i].n;
	return n;
}

/* Same findings in the same order? Prints the first difference. */
static bool run_equal(const struct run_out *a, const struct run_out *b, const char *what,
		      const struct flist *names, const struct detect_engine *e)
{
	for (size_t i = 0; i < a->nfiles; i++) {
		const struct fvec *x = &a->files[i], *y = &b->files[i];
		size_t k = 0;
		while (k < x->n && k < y->n && !memcmp(&x->v[k], &y->v[k], sizeof x->v[k]))
			k++;
		if (k == x->n && k == y->n)
			continue;
		fprintf(stderr, "bench-detect: %s: findings differ in %s at finding %zu: ", what,
			names->paths[i], k);
		if (k < x->n)
			fprintf(stderr, "[%s record %llu] ", detect_engine_rule(e, x->v[k].rule)->id,
				(unsigned long long)x->v[k].record);
		else
			fprintf(stderr, "[none] ");
		if (k < y->n)
			fprintf(stderr, "vs [%s record %llu]\n", detect_engine_rule(e, y->v[k].rule)->id,
				(unsigned long long)y->v[k].record);
		else
			fprintf(stderr, "vs [none]\n");
		return false;
	}
	return true;
}

/* ---- the runs ---- */
struct mem_file {
	const char *name;
	char *p;
	size_t n;
};

struct job {
	const struct detect_engine *e;
	enum detect_mode mode;
	const struct mem_file *mem;   /* in-memory inputs, or NULL ... */
	const struct flist *paths;    /* ... files scanned from disk */
	enum detect_format fmt;
	const size_t *order;          /* files in the order they are handed out */
	size_t nfiles;
	atomic_size_t next;
	struct run_out *out;
	pthread_mutex_t lock;
	bool failed;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	struct detect_scanner *s = detect_scanner_new(j->e, j->mode);
	struct detect_stats st = { 0 };
	for (;;) {
		size_t k = atomic_fetch_add(&j->next, 1);
		if (k >= j->nfiles)
			break;
		size_t i = j->order[k];
		struct fvec *v = &j->out->files[i];
		if (j->mem) {
			detect_scan_json(s, j->mem[i].p, j->mem[i].n, j->mem[i].name, on_finding, v, &st);
		} else {
			struct bw_error err = { 0 };
			if (detect_scan_file(s, j->paths->paths[i], j->fmt, on_finding, v, &st, &err)) {
				fprintf(stderr, "bench-detect: %s\n", err.msg);
				j->failed = true;
			}
		}
		detect_scanner_finish(s, on_finding, v, &st);
	}
	detect_scanner_free(s);
	pthread_mutex_lock(&j->lock);
	j->out->st.events += st.events;
	j->out->st.findings += st.findings;
	j->out->st.bad_records += st.bad_records;
	j->out->st.oversize += st.oversize;
	j->out->st.bad_utf8 += st.bad_utf8;
	j->out->st.rules_evaluated += st.rules_evaluated;
	j->out->st.truncated += st.truncated;
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

static bool run(const struct detect_engine *e, enum detect_mode mode, int threads,
		const struct mem_file *mem, const struct flist *paths, enum detect_format fmt,
		const size_t *order, size_t nfiles, struct run_out *out)
{
	run_out_init(out, nfiles);
	struct job j = { .e = e, .mode = mode, .mem = mem, .paths = paths, .fmt = fmt,
			 .order = order, .nfiles = nfiles, .out = out };
	atomic_init(&j.next, 0);
	pthread_mutex_init(&j.lock, NULL);
	pthread_t th[8];
	struct clk t0 = clk_now();
	for (int i = 1; i < threads; i++)
		if (pthread_create(&th[i], NULL, worker, &j))
			abort();
	worker(&j);
	for (int i = 1; i < threads; i++)
		pthread_join(th[i], NULL);
	clk_since(t0, &out->wall, &out->cpu);
	pthread_mutex_destroy(&j.lock);
	return !j.failed;
}

/* ---- report ---- */
struct rule_count {
	uint32_t rule;
	uint64_t n;
};

static int cmp_count(const void *a, const void *b)
{
	const struct rule_count *x = a, *y = b;
	return x->n != y->n ? (x->n < y->n ? 1 : -1) : (x->rule > y->rule) - (x->rule < y->rule);
}

static const char *fmt_int(char *b, size_t n, double v)
{
	/* thousands separated, as the README writes numbers */
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%.0f", v);
	size_t len = strlen(tmp), o = 0;
	for (size_t i = 0; i < len && o + 2 < n; i++) {
		if (i && (len - i) % 3 == 0 && tmp[i - 1] != '-')
			b[o++] = ',';
		b[o++] = tmp[i];
	}
	b[o] = 0;
	return b;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench-detect [--data DIR] [--out FILE.md] [--rules-tsv FILE]\n"
			"                    [--skip-evtx] [--skip-baseline] [--only-fast [REPEAT]]\n"
			"                    [--limit-files N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *data = getenv("BULWARK_DATA");
	if (!data || !*data)
		data = "../shared/data";
	const char *out_md = NULL, *rules_tsv = NULL;
	bool skip_evtx = false, skip_base = false, only_fast = false;
	int repeat = 1;
	size_t limit = MAX_FILES;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--data") && i + 1 < argc)
			data = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out_md = argv[++i];
		else if (!strcmp(argv[i], "--rules-tsv") && i + 1 < argc)
			rules_tsv = argv[++i];
		else if (!strcmp(argv[i], "--skip-evtx"))
			skip_evtx = true;
		else if (!strcmp(argv[i], "--skip-baseline"))
			skip_base = true;
		else if (!strcmp(argv[i], "--only-fast")) {
			only_fast = skip_evtx = skip_base = true;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				repeat = atoi(argv[++i]);
		}
		else if (!strcmp(argv[i], "--limit-files") && i + 1 < argc)
			limit = (size_t)strtoul(argv[++i], NULL, 10);
		else
			return usage();
	}
	char la0[64];
	loadavg(la0, sizeof la0);
	char dir[2048];

	/* rules: every rules* folder */
	struct clk t0 = clk_now();
	struct bw_error err = { 0 };
	struct detect_engine *e = detect_engine_new(NULL, &err);
	if (!e) {
		fprintf(stderr, "bench-detect: %s\n", err.msg);
		return 3;
	}
	snprintf(dir, sizeof dir, "%s/detect/sigma", data);
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "bench-detect: %s: %s\n", dir, strerror(errno));
		return 3;
	}
	struct flist folders = { 0 };
	struct dirent *de;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "rules", 5)) {
			folders.paths = realloc(folders.paths, (folders.n + 1) * sizeof *folders.paths);
			if (!folders.paths)
				abort();
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
			if (!(folders.paths[folders.n++] = strdup(p)))
				abort();
		}
	closedir(d);
	qsort(folders.paths, folders.n, sizeof *folders.paths, cmp_str);
	size_t loaded = 0;
	for (size_t i = 0; i < folders.n; i++)
		loaded += detect_engine_add_path(e, folders.paths[i]);
	flist_free(&folders);
	double load_wall, load_cpu, comp_wall, comp_cpu;
	clk_since(t0, &load_wall, &load_cpu);
	struct clk t1 = clk_now();
	if (detect_engine_compile(e, &err)) {
		fprintf(stderr, "bench-detect: compile: %s\n", err.msg);
		return 3;
	}
	clk_since(t1, &comp_wall, &comp_cpu);
	size_t nerr;
	detect_engine_errors(e, &nerr);
	rules_index(e);
	printf("rules: %zu loaded, %zu failed; load %.2f s (%.2f s CPU), compile %.2f s (%.2f s CPU) "
	       "(%s prefilter)\n", loaded, nerr, load_wall, load_cpu, comp_wall, comp_cpu,
	       detect_engine_prefilter_name(e));
	fflush(stdout);

	struct flist json = { 0 };
	snprintf(dir, sizeof dir, "%s/detect/otrf-events", data);
	walk(dir, ".jsonl.gz", &json, 0);
	size_t njson = json.n < limit ? json.n : limit;
	if (njson == 0) {
		fprintf(stderr, "bench-detect: no .jsonl.gz under %s\n", dir);
		return 3;
	}
	size_t *order = calloc(njson + 1, sizeof *order);
	if (!order)
		abort();
	for (size_t i = 0; i < njson; i++)
		order[i] = i;
	bool ok = true;

	/* 1. end to end from the .jsonl.gz files, one thread; peak RSS here */
	struct run_out stream = { 0 };
	long hwm_stream = -1;
	if (!only_fast) {
		ok &= run(e, DETECT_FAST, 1, NULL, &json, DETECT_FORMAT_JSON, order, njson, &stream);
		hwm_stream = vm_kb("VmHWM");
		printf("end to end (.jsonl.gz): %llu events in %.2f s: %.0f events/s; peak RSS %ld MB\n",
		       (unsigned long long)stream.st.events, stream.wall,
		       (double)stream.st.events / stream.wall, hwm_stream / 1024);
		fflush(stdout);
	}

	/* 2. EVTX, decompressed to a temporary folder first */
	struct run_out evtx = { 0 };
	struct flist evtx_files = { 0 };
	size_t nevtx = 0;
	long hwm_evtx = -1;
	if (!skip_evtx) {
		struct flist gz = { 0 };
		snprintf(dir, sizeof dir, "%s/detect/evtx-samples", data);
		walk(dir, ".evtx.gz", &gz, 0);
		char tmpl[] = "/tmp/bench-detect-XXXXXX";
		if (!mkdtemp(tmpl)) {
			fprintf(stderr, "bench-detect: mkdtemp: %s\n", strerror(errno));
			return 3;
		}
		evtx_files.paths = calloc(gz.n + 1, sizeof *evtx_files.paths);
		if (!evtx_files.paths)
			abort();
		for (size_t i = 0; i < gz.n; i++) {
			struct buf b;
			buf_init(&b);
			if (!gunzip(gz.paths[i], &b)) {
				fprintf(stderr, "bench-detect: cannot decompress %s\n", gz.paths[i]);
				ok = false;
				buf_free(&b);
				continue;
			}
			char p[4096];
			snprintf(p, sizeof p, "%s/%05zu.evtx", tmpl, i);
			FILE *f = fopen(p, "wb");
			if (!f || fwrite(b.p, 1, b.len, f) != b.len || fclose(f) != 0) {
				fprintf(stderr, "bench-detect: cannot write %s\n", p);
				return 3;
			}
			buf_free(&b);
			if (!(evtx_files.paths[evtx_files.n++] = strdup(p)))
				abort();
		}
		flist_free(&gz);
		nevtx = evtx_files.n;
		size_t *eorder = calloc(nevtx + 1, sizeof *eorder);
		if (!eorder)
			abort();
		for (size_t i = 0; i < nevtx; i++)
			eorder[i] = i;
		ok &= run(e, DETECT_FAST, 1, NULL, &evtx_files, DETECT_FORMAT_EVTX, eorder, nevtx, &evtx);
		hwm_evtx = vm_kb("VmHWM");
		free(eorder);
		for (size_t i = 0; i < nevtx; i++)
			unlink(evtx_files.paths[i]);
		rmdir(tmpl);
		printf("EVTX: %zu files, %llu records (%llu unreadable) in %.2f s: %.0f records/s\n",
		       nevtx, (unsigned long long)evtx.st.events,
		       (unsigned long long)evtx.st.bad_records, evtx.wall,
		       (double)evtx.st.events / evtx.wall);
		fflush(stdout);
	}

	/* 3. the JSON corpus in memory */
	struct mem_file *mem = calloc(njson + 1, sizeof *mem);
	if (!mem)
		abort();
	size_t bytes = 0;
	for (size_t i = 0; i < njson; i++) {
		struct buf b;
		buf_init(&b);
		if (!gunzip(json.paths[i], &b)) {
			fprintf(stderr, "bench-detect: cannot decompress %s\n", json.paths[i]);
			return 3;
		}
		mem[i] = (struct mem_file){ json.paths[i], b.p, b.len };
		bytes += b.len;
	}
	/* two threads take the largest files first, so neither waits at the end */
	size_t *big = calloc(njson + 1, sizeof *big);
	if (!big)
		abort();
	for (size_t i = 0; i < njson; i++)
		big[i] = i;
	for (size_t i = 1; i < njson; i++)
		for (size_t k = i; k > 0 && mem[big[k]].n > mem[big[k - 1]].n; k--) {
			size_t t = big[k];
			big[k] = big[k - 1];
			big[k - 1] = t;
		}
	struct run_out fast1, fast2 = { 0 }, base = { 0 };
	for (int i = 1; i < repeat; i++) {
		ok &= run(e, DETECT_FAST, 1, mem, NULL, DETECT_FORMAT_JSON, order, njson, &fast1);
		printf("JSON in memory, fast path, 1 thread, pass %d: %.2f s (%.2f s CPU)\n", i,
		       fast1.wall, fast1.cpu);
		run_out_free(&fast1);
	}
	ok &= run(e, DETECT_FAST, 1, mem, NULL, DETECT_FORMAT_JSON, order, njson, &fast1);
	printf("JSON in memory (%.0f MB), fast path, 1 thread: %llu events in %.2f s: %.0f events/s "
	       "(%.0f per CPU-second); %.1f rules evaluated per event\n",
	       (double)bytes / 1e6, (unsigned long long)fast1.st.events, fast1.wall,
	       (double)fast1.st.events / fast1.wall, (double)fast1.st.events / fast1.cpu,
	       (double)fast1.st.rules_evaluated / (double)fast1.st.events);
	fflush(stdout);
	if (!only_fast) {
		ok &= run(e, DETECT_FAST, 2, mem, NULL, DETECT_FORMAT_JSON, big, njson, &fast2);
		printf("JSON in memory, fast path, 2 threads: %.2f s: %.0f events/s\n", fast2.wall,
		       (double)fast2.st.events / fast2.wall);
		fflush(stdout);
	}
	if (!skip_base) {
		ok &= run(e, DETECT_BASELINE, 1, mem, NULL, DETECT_FORMAT_JSON, order, njson, &base);
		printf("JSON in memory, baseline, 1 thread: %.2f s: %.0f events/s (%.0f per "
		       "CPU-second)\n", base.wall,
		       (double)base.st.events / base.wall, (double)base.st.events / base.cpu);
		fflush(stdout);
	}

	/* the assertions */
	bool same = true;
	if (!skip_base && !run_equal(&fast1, &base, "fast vs baseline", &json, e))
		same = false;
	if (!only_fast && !run_equal(&fast1, &fast2, "1 thread vs 2 threads", &json, e))
		same = false;
	if (!only_fast && !run_equal(&fast1, &stream, "in memory vs streamed", &json, e))
		same = false;
	if (!skip_base && fast1.st.events != base.st.events)
		same = false;
	uint64_t nfind = run_findings(&fast1);
	printf("findings: %llu; fast == baseline: %s\n", (unsigned long long)nfind,
	       skip_base ? "not checked" : same ? "yes" : "NO");

	/* findings per rule */
	struct rule_count *rc = calloc(nrules + 1, sizeof *rc);
	if (!rc)
		abort();
	for (size_t i = 0; i < nrules; i++)
		rc[i].rule = (uint32_t)i;
	for (size_t i = 0; i < njson; i++)
		for (size_t k = 0; k < fast1.files[i].n; k++)
			rc[fast1.files[i].v[k].rule].n++;
	qsort(rc, nrules, sizeof *rc, cmp_count);
	size_t fired = 0;
	while (fired < nrules && rc[fired].n)
		fired++;
	if (rules_tsv) {
		FILE *f = fopen(rules_tsv, "w");
		if (!f) {
			fprintf(stderr, "bench-detect: %s: %s\n", rules_tsv, strerror(errno));
			return 3;
		}
		fprintf(f, "findings\tid\tlevel\ttitle\n");
		for (size_t i = 0; i < fired; i++) {
			const struct detect_rule_info *r = detect_engine_rule(e, rc[i].rule);
			fprintf(f, "%llu\t%s\t%s\t%s\n", (unsigned long long)rc[i].n, r->id, r->level,
				r->title);
		}
		fclose(f);
	}

	char la1[64];
	loadavg(la1, sizeof la1);
	if (out_md && !only_fast) {
		FILE *f = fopen(out_md, "w");
		if (!f) {
			fprintf(stderr, "bench-detect: %s: %s\n", out_md, strerror(errno));
			return 3;
		}
		char a[32], b2[32], c[32];
		double ev1 = (double)fast1.st.events / fast1.wall;
		double evb = skip_base ? 0 : (double)base.st.events / base.wall;
		fprintf(f, "| what | figure |\n|---|---|\n");
		fprintf(f, "| rules loaded (of %zu files) | %s (%zu not loaded, each reported with its "
			"reason) |\n", loaded + nerr, fmt_int(a, sizeof a, (double)loaded), nerr);
		fprintf(f, "| rule load + compile | %.2f s + %.2f s = %.2f s (%.2f s + %.2f s CPU, the "
			"prefilters compiled on %ld threads; %s prefilter) |\n",
			load_wall, comp_wall, load_wall + comp_wall, load_cpu, comp_cpu,
			sysconf(_SC_NPROCESSORS_ONLN) < 4 ? sysconf(_SC_NPROCESSORS_ONLN) : 4,
			detect_engine_prefilter_name(e));
		fprintf(f, "| JSON corpus in memory, 1 thread | **%s events/s** (%s per CPU-second; "
			"%s events, %.0f MB, %.2f s; %.1f rules evaluated per event) |\n",
			fmt_int(a, sizeof a, ev1),
			fmt_int(c, sizeof c, (double)fast1.st.events / fast1.cpu),
			fmt_int(b2, sizeof b2, (double)fast1.st.events), (double)bytes / 1e6,
			fast1.wall, (double)fast1.st.rules_evaluated / (double)fast1.st.events);
		fprintf(f, "| JSON corpus in memory, 2 threads | %s events/s (%.2f s) |\n",
			fmt_int(a, sizeof a, (double)fast2.st.events / fast2.wall), fast2.wall);
		if (!skip_base)
			fprintf(f, "| baseline (every rule on every event), 1 thread | %s events/s "
				"(%s per CPU-second; %.1f s; %.0f rules evaluated per event) |\n",
				fmt_int(a, sizeof a, evb),
				fmt_int(c, sizeof c, (double)base.st.events / base.cpu), base.wall,
				(double)base.st.rules_evaluated / (double)base.st.events);
		if (!skip_base)
			fprintf(f, "| fast path / baseline | **%.1f×** wall clock, %.1f× CPU time |\n",
				ev1 / evb, base.cpu / fast1.cpu);
		fprintf(f, "| end to end from the .jsonl.gz files, 1 thread | %s events/s (%.2f s) |\n",
			fmt_int(a, sizeof a, (double)stream.st.events / stream.wall), stream.wall);
		fprintf(f, "| peak RSS (VmHWM) of the streaming run | %ld MB |\n", hwm_stream / 1024);
		if (!skip_evtx)
			fprintf(f, "| EVTX samples (%zu files, decompressed first), 1 thread | %s records/s "
				"(%s records, %s unreadable; %.2f s; peak RSS %ld MB) |\n", nevtx,
				fmt_int(a, sizeof a, (double)evtx.st.events / evtx.wall),
				fmt_int(b2, sizeof b2, (double)evtx.st.events),
				fmt_int(c, sizeof c, (double)evtx.st.bad_records), evtx.wall,
				hwm_evtx / 1024);
		fprintf(f, "| findings on the JSON corpus | %s by %zu rules; fast path == baseline: "
			"%s |\n", fmt_int(a, sizeof a, (double)nfind), fired,
			skip_base ? "not checked" : same ? "identical" : "**DIFFERENT**");
		fprintf(f, "\nMost frequent findings on the JSON corpus (all rules: "
			"`bench/out/detect-rules.tsv`):\n\n| findings | rule | level |\n|---|---|---|\n");
		for (size_t i = 0; i < fired && i < 10; i++) {
			const struct detect_rule_info *r = detect_engine_rule(e, rc[i].rule);
			fprintf(f, "| %s | %s | %s |\n", fmt_int(a, sizeof a, (double)rc[i].n), r->title,
				r->level);
		}
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		fprintf(f, "\n%ld cores; load average %s before the run and %s after (other work on "
			"the machine slows the wall-clock figures). Timing excludes rule loading and, "
			"for the in-memory rows, decompression.\n", cores, la0, la1);
		fclose(f);
	}

	free(rc);
	run_out_free(&fast1);
	if (!only_fast) {
		run_out_free(&fast2);
		run_out_free(&stream);
	}
	if (!skip_base)
		run_out_free(&base);
	if (!skip_evtx)
		run_out_free(&evtx);
	flist_free(&evtx_files);
	for (size_t i = 0; i < njson; i++)
		free(mem[i].p);
	free(mem);
	free(big);
	free(order);
	flist_free(&json);
	free(rule_refs);
	detect_engine_free(e);
	if (!ok) {
		fprintf(stderr, "bench-detect: some input could not be read\n");
		return 1;
	}
	if (!same) {
		fprintf(stderr, "bench-detect: FAILED: findings differ\n");
		return 1;
	}
	return 0;
}

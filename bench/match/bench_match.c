/*
 * bench_match: the matching engine on a national-scale estate against
 * every record of the shared feeds, with the baseline measured in the same
 * run. The baseline is how the best-known open-source analyser works: the
 * criteria in an indexed SQL table (SQLite, in memory) keyed by (vendor,
 * product) and purl; for each component one indexed query, then the same
 * version checks in C (match_feed_pair_eval). The engine and the baseline
 * must yield identical match sets (and, for every 101st component, the
 * same evidence text, deciding criterion and weak flag), or the program
 * exits 1. The whole-feed walk runs three times on match_threads_default()
 * threads (each run checked against the first; the median reported);
 * CPU times are reported beside wall-clock ones, since the machine is
 * shared. BENCH_MATCH_THREADS=N sets the walk's threads,
 * BENCH_MATCH_NO_BASELINE=1 stops before the baseline and
 * BENCH_MATCH_PROFILE=1 lists the slowest records instead (these two are
 * for work on the engine).
 *
 *   bench-match [OUT.md] [COMPONENTS]     (default bench/out/match.md, 2000000)
 *
 * The estate is sampled deterministically (fixed seed) from the inventory
 * lists, keeping the products whose records are in the shipped feeds, as
 * DESIGN.md asks of demo estates; components are grouped into systems of
 * 40 so NVD AND configurations have platforms to look at.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "match/match.h"

static const char *data_dir(void)
{
	const char *d = getenv("BULWARK_DATA");
	return d && *d ? d : "../shared/data";
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of the whole process (every thread): the machine is shared,
 * so wall-clock figures alone say little */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x5eed2026ull;
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct arena A; /* everything that lives for the whole run */

/* ---- feeds ---- */

struct feedset {
	struct match_feed *f;
	size_t by_kind[5], errors;
	char **kev;
	size_t nkev;
	size_t bytes;
};

enum { K_CVE5, K_OSV, K_NVD, K_CSAF };

static void add_json(struct feedset *fs, int kind, const char *data, size_t n)
{
	json_error_t je;
	json_t *j = json_loadb(data, n, 0, &je);
	fs->bytes += n;
	if (!j) {
		fs->errors++;
		return;
	}
	struct bw_error err = { 0 };
	if (kind == K_CSAF) {
		struct match_record *recs;
		size_t nr;
		if (match_compile_csaf(&A, j, &recs, &nr, &err) == BW_OK) {
			for (size_t i = 0; i < nr; i++)
				match_feed_add(fs->f, &recs[i]);
			fs->by_kind[kind] += nr;
		} else {
			fs->errors++;
		}
	} else {
		struct match_record *r = arena_alloc(&A, sizeof *r);
		enum bw_err rc = kind == K_CVE5 ? match_compile_cve5(&A, j, r, &err)
				 : kind == K_OSV ? match_compile_osv(&A, j, r, &err)
						 : match_compile_nvd(&A, j, r, &err);
		if (rc == BW_OK) {
			match_feed_add(fs->f, r);
			fs->by_kind[kind]++;
		} else {
			fs->errors++;
		}
	}
	json_decref(j);
}

static void load_zip(struct feedset *fs, int kind, const char *rel)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", data_dir(), rel);
	struct archive *a = archive_read_new();
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		fprintf(stderr, "bench-match: cannot open %s: %s\n", path, archive_error_string(a));
		exit(2);
	}
	struct archive_entry *en;
	char *buf = NULL;
	size_t cap = 0;
	while (archive_read_next_header(a, &en) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(en);
		size_t len = strlen(name);
		if (len < 5 || strcmp(name + len - 5, ".json") != 0)
			continue;
		if (kind == K_CSAF && strstr(name, "-feed-"))
			continue; /* ROLIE feeds, not advisories */
		la_int64_t sz = archive_entry_size(en);
		if (sz <= 0 || sz > (64 << 20))
			continue;
		if ((size_t)sz + 1 > cap) {
			cap = (size_t)sz + 1;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		if (archive_read_data(a, buf, (size_t)sz) != sz) {
			fs->errors++;
			continue;
		}
		add_json(fs, kind, buf, (size_t)sz);
	}
	free(buf);
	archive_read_free(a);
}

static void load_nvd(struct feedset *fs)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/feeds/nvd/records", data_dir());
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "bench-match: cannot open %s\n", dir);
		exit(2);
	}
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			names = realloc(names, cap * sizeof *names);
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	/* readdir order is not stable: sort for a deterministic feed order */
	qsort(names, n, sizeof *names, (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < n; i++) {
		char path[1400];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		FILE *fp = fopen(path, "rb");
		if (fp) {
			struct buf b;
			buf_init(&b);
			char tmp[65536];
			size_t got;
			while ((got = fread(tmp, 1, sizeof tmp, fp)) > 0)
				buf_add(&b, tmp, got);
			fclose(fp);
			add_json(fs, K_NVD, b.p, b.len);
			buf_free(&b);
		}
		free(names[i]);
	}
	free(names);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_kev(struct feedset *fs)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/feeds/kev/known_exploited_vulnerabilities.json", data_dir());
	json_t *j = json_load_file(path, 0, NULL);
	const json_t *v = json_object_get(j, "vulnerabilities");
	fs->kev = arena_alloc(&A, (json_array_size(v) + 1) * sizeof *fs->kev);
	for (size_t i = 0; i < json_array_size(v); i++) {
		const char *id = json_string_value(json_object_get(json_array_get(v, i), "cveID"));
		if (id)
			fs->kev[fs->nkev++] = arena_strdup(&A, id);
	}
	qsort(fs->kev, fs->nkev, sizeof *fs->kev, cmp_str);
	json_decref(j);
}

static bool is_kev(const struct feedset *fs, const char *id)
{
	return bsearch(&id, fs->kev, fs->nkev, sizeof *fs->kev, cmp_str) != NULL;
}

/* ---- the estate ---- */

struct row {
	const char *vendor, *product, *version;
	const char *cpe_s, *purl_s;
	const struct match_cpe *cpe;
	const struct match_purl *purl;
	bool parsed, ok;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static void row_push(struct rows *r, struct row x)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 4096;
		r->v = realloc(r->v, r->cap * sizeof *r->v);
		if (!r->v)
			abort();
	}
	r->v[r->n++] = x;
}

/* Splits a TSV line in place; returns the number of fields. */
static size_t split(char *line, char **f, size_t max)
{
	size_t n = 0;
	line[strcspn(line, "\r\n")] = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = 0;
			f[n++] = p + 1;
		}
	return n;
}

static const char *dup_or_null(const char *s)
{
	return s && *s ? arena_strdup(&A, s) : NULL;
}

typedef void (*line_fn)(struct rows *r, char **f, size_t n);

static void read_tsv(const char *rel, struct rows *r, line_fn fn)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/feeds/inventory/%s", data_dir(), rel);
	gzFile g = gzopen(path, "rb");
	if (!g) {
		fprintf(stderr, "bench-match: cannot open %s\n", path);
		exit(2);
	}
	char line[8192];
	bool header = true;
	while (gzgets(g, line, sizeof line)) {
		if (header) {
			header = false;
			continue;
		}
		char *f[20];
		size_t n = split(line, f, 20);
		fn(r, f, n);
	}
	gzclose(g);
}

static void cve_row(struct rows *r, char **f, size_t n)
{
	if (n < 4 || !*f[1] || !*f[2])
		return;
	row_push(r, (struct row){ dup_or_null(f[0]), dup_or_null(f[1]), dup_or_null(f[2]),
				  dup_or_null(f[3]), NULL });
}

/* A concrete version from a CSAF product_version_range ("< V8.2.2" gives
 * 8.2.2: the first fixed version, so both outcomes occur). */
static void csaf_row(struct rows *r, char **f, size_t n)
{
	if (n < 4 || !*f[1])
		return;
	const char *v = f[2];
	if (strncmp(v, "vers:", 5) == 0 && strchr(v, '/'))
		v = strchr(v, '/') + 1;
	if (strncasecmp(v, "all versions", 12) == 0)
		v += 12;
	while (*v && strchr(" <>=|*", *v))
		v++;
	char ver[128];
	size_t k = 0;
	while (v[k] && !strchr(" |<>", v[k]) && k + 1 < sizeof ver) {
		ver[k] = v[k];
		k++;
	}
	ver[k] = 0;
	if (!k)
		return;
	row_push(r, (struct row){ dup_or_null(f[0]), dup_or_null(f[1]), dup_or_null(ver), NULL, NULL });
}

static void purl_row_col(struct rows *r, char **f, size_t n, size_t col)
{
	if (n <= col || strncmp(f[col], "pkg:", 4) != 0)
		return;
	row_push(r, (struct row){ NULL, NULL, NULL, NULL, dup_or_null(f[col]) });
}
static void deb_row(struct rows *r, char **f, size_t n) { purl_row_col(r, f, n, 4); }
static void npm_row(struct rows *r, char **f, size_t n) { purl_row_col(r, f, n, 3); }
static void nuget_row(struct rows *r, char **f, size_t n) { purl_row_col(r, f, n, 4); }

static bool row_parse(struct row *x)
{
	if (x->parsed)
		return x->ok;
	x->parsed = true;
	x->ok = true;
	if (x->cpe_s) {
		struct match_cpe *c = arena_alloc(&A, sizeof *c);
		if (match_cpe_parse(str_c(x->cpe_s), c, NULL) == BW_OK)
			x->cpe = c;
	}
	if (x->purl_s) {
		struct match_purl *p = arena_alloc(&A, sizeof *p);
		if (match_purl_parse(&A, str_c(x->purl_s), p, NULL) == BW_OK)
			x->purl = p;
		else
			x->ok = false;
	}
	return x->ok;
}

static struct match_component row_component(struct row *x)
{
	row_parse(x);
	return (struct match_component){ .id = "c", .cpe = x->cpe, .purl = x->purl,
					 .vendor = x->vendor, .product = x->product,
					 .version = x->version };
}

/* Keeps the rows whose product some record of the feed names. */
static void keep_known(struct rows *r, const struct match_feed *f)
{
	size_t w = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct match_component c = row_component(&r->v[i]);
		if (r->v[i].ok && match_feed_knows(f, &c))
			r->v[w++] = r->v[i];
	}
	r->n = w;
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->vendor ? x->vendor : "", y->vendor ? y->vendor : "");
	return c ? c : strcmp(x->product ? x->product : "", y->product ? y->product : "");
}

/* Rows grouped by (vendor, product): an estate holds one product once per
 * system, whatever the number of versions the records name, so products
 * are drawn first and a version of it second. */
struct pgroups {
	size_t *start, n;
};

static void group_rows(struct rows *r, struct pgroups *g)
{
	qsort(r->v, r->n, sizeof *r->v, cmp_row);
	g->start = malloc((r->n + 1) * sizeof *g->start);
	g->n = 0;
	for (size_t i = 0; i < r->n; i++)
		if (i == 0 || cmp_row(&r->v[i - 1], &r->v[i]) != 0)
			g->start[g->n++] = i;
	g->start[g->n] = r->n;
}

static struct row *pick(struct rows *r, const struct pgroups *g)
{
	if (!g || !g->n)
		return &r->v[rng() % r->n];
	size_t k = rng() % g->n;
	size_t lo = g->start[k], hi = g->start[k + 1];
	return &r->v[lo + rng() % (hi - lo)];
}

/* ---- collecting matches ---- */

struct pair {
	uint64_t k; /* component / SAMPLE, record, answer */
	uint64_t h; /* evidence, deciding criterion and weak flag */
};

struct digest {
	uint64_t sum, xr;
	size_t n, affected, unknown, kev;
	/* exact pairs, with their evidence, for the components with index
	 * % SAMPLE == 0 */
	struct pair *pairs;
	size_t np, cap;
	const bool *kevrec; /* per feed record: a KEV-listed CVE */
};
#define SAMPLE 101

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void digest_add(struct digest *d, size_t comp, size_t rec, enum match_answer a,
		       const char *evidence, const char *criterion, bool weak)
{
	uint64_t key = ((uint64_t)comp << 24) ^ ((uint64_t)rec << 2) ^ (uint64_t)a;
	uint64_t h = mix(key + 0x1234567);
	d->sum += h;
	d->xr ^= mix(h);
	d->n++;
	if (a == MATCH_AFFECTED)
		d->affected++;
	else
		d->unknown++;
	if (comp % SAMPLE == 0) {
		if (d->np == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 4096;
			d->pairs = realloc(d->pairs, d->cap * sizeof *d->pairs);
			if (!d->pairs)
				abort();
		}
		d->pairs[d->np++] = (struct pair){
			((uint64_t)(comp / SAMPLE) << 26) | ((uint64_t)rec << 2) | (uint64_t)a,
			fnv(evidence) ^ mix(fnv(criterion)) ^ (uint64_t)weak };
	}
}

static void on_engine_hit(void *ctx, const struct match_hit *h)
{
	struct digest *d = ctx;
	digest_add(d, h->component, h->record, h->answer, h->evidence, h->criterion, h->weak);
	if (d->kevrec && d->kevrec[h->record])
		d->kev++;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return (x->h > y->h) - (x->h < y->h);
}

static void count_hit(void *ctx, const struct match_hit *h)
{
	(void)h;
	(*(size_t *)ctx)++;
}

/* ---- the baseline: SQLite ---- */

struct keyrows {
	sqlite3_stmt *ins;
};

static void insert_key(void *ctx, size_t record, int kind, const char *vendor,
		       const char *product, const char *purl)
{
	struct keyrows *k = ctx;
	sqlite3_bind_int64(k->ins, 1, (sqlite3_int64)record);
	sqlite3_bind_int(k->ins, 2, kind);
	sqlite3_bind_text(k->ins, 3, vendor, -1, SQLITE_STATIC);
	sqlite3_bind_text(k->ins, 4, product, -1, SQLITE_STATIC);
	sqlite3_bind_text(k->ins, 5, purl, -1, SQLITE_STATIC);
	if (sqlite3_step(k->ins) != SQLITE_DONE)
		abort();
	sqlite3_reset(k->ins);
}

static void sql_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bench-match: SQL: %s\n", msg);
		exit(2);
	}
}

static double baseline(const struct match_feed *f, const struct match_estate *e, struct digest *d,
		       double *load_s, double *cpu)
{
	double t0 = now_s();
	sqlite3 *db;
	sqlite3_open(":memory:", &db);
	sql_exec(db, "CREATE TABLE crit(rec INTEGER, kind INTEGER, vendor TEXT, product TEXT, purl TEXT)");
	sql_exec(db, "BEGIN");
	struct keyrows k;
	sqlite3_prepare_v2(db, "INSERT INTO crit VALUES (?1, ?2, ?3, ?4, ?5)", -1, &k.ins, NULL);
	for (size_t i = 0; i < match_feed_count(f); i++)
		match_feed_keys(f, i, insert_key, &k);
	sqlite3_finalize(k.ins);
	sql_exec(db, "COMMIT");
	sql_exec(db, "CREATE INDEX crit_pv ON crit(product, vendor)");
	sql_exec(db, "CREATE INDEX crit_purl ON crit(purl)");
	*load_s = now_s() - t0;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db,
			       "SELECT rec FROM crit WHERE product = ?1 AND kind IN (1, 2)"
			       " AND (vendor = ?2 OR vendor = '' OR ?2 = '') AND (kind = 1 OR ?3)"
			       " UNION SELECT rec FROM crit WHERE purl = ?4 ORDER BY 1",
			       -1, &q, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench-match: %s\n", sqlite3_errmsg(db));
		exit(2);
	}
	double t1 = now_s(), c1 = cpu_s();
	char vendor[256], product[256], purl[MATCH_LIM_PURL];
	for (size_t i = 0; i < match_estate_count(e); i++) {
		const struct match_component *c = match_estate_component(e, i);
		bool has_vp;
		match_component_keys(c, &has_vp, vendor, product, sizeof vendor, purl, sizeof purl);
		if (has_vp) {
			sqlite3_bind_text(q, 1, product, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, vendor, -1, SQLITE_STATIC);
		} else {
			sqlite3_bind_null(q, 1);
			sqlite3_bind_null(q, 2);
		}
		sqlite3_bind_int(q, 3, c->purl == NULL || !*purl);
		if (*purl)
			sqlite3_bind_text(q, 4, purl, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(q, 4);
		while (sqlite3_step(q) == SQLITE_ROW) {
			size_t rec = (size_t)sqlite3_column_int64(q, 0);
			struct match_result res;
			const char *crit;
			enum match_answer a = match_feed_pair_eval(f, rec, e, c, &res, &crit);
			if (a != MATCH_NOT_AFFECTED)
				digest_add(d, i, rec, a, res.evidence, crit, res.weak);
		}
		sqlite3_reset(q);
	}
	double t = now_s() - t1;
	*cpu = cpu_s() - c1;
	sqlite3_finalize(q);
	sqlite3_close(db);
	return t;
}

/* ---- main ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	const char *out_path = argc > 1 ? argv[1] : "bench/out/match.md";
	size_t want = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 2000000;
	arena_init(&A);

	/* feeds */
	struct feedset fs = { .f = match_feed_new() };
	double t0 = now_s(), c0 = cpu_s();
	load_zip(&fs, K_CVE5, "feeds/cve5/vulnrichment.zip");
	static const char *osv[] = { "Go-all.zip", "crates.io-all.zip", "PyPI-all.zip",
				     "Bitnami-all.zip", "AlmaLinux-all.zip" };
	for (size_t i = 0; i < BW_NELEM(osv); i++) {
		char rel[256];
		snprintf(rel, sizeof rel, "feeds/osv/%s", osv[i]);
		load_zip(&fs, K_OSV, rel);
	}
	load_nvd(&fs);
	load_zip(&fs, K_CSAF, "feeds/csaf/cisagov-csaf.zip");
	load_kev(&fs);
	double feed_s = now_s() - t0, feed_cpu = cpu_s() - c0;
	size_t nrec = match_feed_count(fs.f);
	struct match_index_stats fst;
	match_feed_stats(fs.f, &fst);
	fprintf(stderr, "feed: %zu records (%zu CVE5, %zu OSV, %zu NVD, %zu CSAF vulnerabilities), %zu errors, %.2f s\n",
		nrec, fs.by_kind[K_CVE5], fs.by_kind[K_OSV], fs.by_kind[K_NVD], fs.by_kind[K_CSAF],
		fs.errors, feed_s);

	/* estate sources */
	struct rows cve = { 0 }, csaf = { 0 }, deb = { 0 }, npm = { 0 }, pypi = { 0 }, nm = { 0 };
	read_tsv("cve-affected-products.tsv.gz", &cve, cve_row);
	read_tsv("csaf-products.tsv.gz", &csaf, csaf_row);
	read_tsv("packages-installed-images.tsv", &deb, deb_row);
	read_tsv("packages-npm.tsv.gz", &npm, npm_row);
	read_tsv("packages-pypi.tsv.gz", &pypi, npm_row);
	read_tsv("packages-nuget-maven.tsv.gz", &nm, nuget_row);
	size_t cve_all = cve.n, csaf_all = csaf.n;
	keep_known(&cve, fs.f);
	keep_known(&csaf, fs.f);
	for (size_t i = 0; i < deb.n; i++)
		row_parse(&deb.v[i]);
	fprintf(stderr, "estate sources: %zu/%zu CVE product rows and %zu/%zu CSAF rows named by the feeds\n",
		cve.n, cve_all, csaf.n, csaf_all);

	struct pgroups gcve, gcsaf;
	group_rows(&cve, &gcve);
	group_rows(&csaf, &gcsaf);
	/* sample: organisations of systems of 40 components */
	struct { struct rows *r; const struct pgroups *g; unsigned pct; } mixv[] = {
		{ &cve, &gcve, 50 }, { &csaf, &gcsaf, 5 }, { &deb, NULL, 20 }, { &npm, NULL, 10 },
		{ &pypi, NULL, 8 }, { &nm, NULL, 7 },
	};
	struct match_estate *e = match_estate_new();
	const char *sys = NULL;
	for (size_t i = 0; i < want; i++) {
		if (i % 40 == 0)
			sys = arena_printf(&A, "org%zu/system%zu", i / 2000, (i / 40) % 50);
		unsigned p = (unsigned)(rng() % 100), acc = 0;
		struct rows *r = mixv[0].r;
		const struct pgroups *g = mixv[0].g;
		for (size_t k = 0; k < BW_NELEM(mixv); k++) {
			acc += mixv[k].pct;
			if (p < acc) {
				r = mixv[k].r;
				g = mixv[k].g;
				break;
			}
		}
		if (!r->n)
			r = &deb, g = NULL;
		struct row *x = pick(r, g);
		struct match_component c = row_component(x);
		c.system = sys;
		match_estate_add(e, &c);
	}
	double t1 = now_s();
	c0 = cpu_s();
	match_estate_build(e);
	double build_s = now_s() - t1, build_cpu = cpu_s() - c0;
	struct match_index_stats est;
	match_estate_stats(e, &est);
	fprintf(stderr, "estate: %zu components, %zu variants, %zu identities, built in %.2f s\n",
		est.components, est.variants, est.identities, build_s);

	if (getenv("BENCH_MATCH_PROFILE")) {
		/* the 20 slowest records, for finding what the engine spends time on */
		struct slow { double s; size_t ri, hits; } top[20] = { { 0, 0, 0 } };
		for (size_t ri = 0; ri < nrec; ri++) {
			size_t h = 0;
			double s = now_s();
			match_advisory_estate(e, match_feed_record(fs.f, ri), count_hit, &h);
			double d = now_s() - s;
			size_t k = BW_NELEM(top);
			while (k > 0 && top[k - 1].s < d)
				k--;
			if (k < BW_NELEM(top)) {
				memmove(&top[k + 1], &top[k], (BW_NELEM(top) - k - 1) * sizeof *top);
				top[k] = (struct slow){ d, ri, h };
			}
		}
		for (size_t k = 0; k < BW_NELEM(top) && top[k].s > 0; k++) {
			const struct match_record *r = match_feed_record(fs.f, top[k].ri);
			size_t nr = 0;
			for (size_t q = 0; q < r->ncrit; q++)
				nr += r->crit[q].nrules;
			fprintf(stderr, "slow: %s %.4f s, %zu hits, %zu criteria, %zu rules, %zu configurations\n",
				r->id, top[k].s, top[k].hits, r->ncrit, nr, r->nconfigs);
		}
		return 0;
	}
	/* (a) whole estate x whole feed */
	/* which records are KEV-listed, looked up before the clock starts */
	bool *kevrec = calloc(nrec ? nrec : 1, sizeof *kevrec);
	for (size_t i = 0; kevrec && i < nrec; i++)
		kevrec[i] = is_kev(&fs, match_feed_record(fs.f, i)->id);
	size_t nthreads = match_threads_default();
	if (getenv("BENCH_MATCH_THREADS"))
		nthreads = (size_t)strtoul(getenv("BENCH_MATCH_THREADS"), NULL, 10);
	/* three runs, each checked against the first; the median is reported
	 * (a run of a second or two on a shared machine is noisy) */
	struct digest de = { .kevrec = kevrec };
	double runs_s[3], runs_cpu[3];
	bool runs_same = true;
	for (int run = 0; run < 3; run++) {
		struct digest d = { .kevrec = kevrec };
		t1 = now_s();
		double c1 = cpu_s();
		match_estate_feed_threads(e, fs.f, nthreads, on_engine_hit, run ? &d : &de);
		runs_s[run] = now_s() - t1;
		runs_cpu[run] = cpu_s() - c1;
		if (run)
			runs_same &= d.n == de.n && d.sum == de.sum && d.xr == de.xr && d.np == de.np;
		free(d.pairs);
		fprintf(stderr, "engine: %zu matches (%zu affected, %zu unknown) in %.3f s (%.3f CPU s, %zu threads)\n",
			de.n, de.affected, de.unknown, runs_s[run], runs_cpu[run], nthreads);
	}
	qsort(runs_s, 3, sizeof *runs_s, cmp_double);
	qsort(runs_cpu, 3, sizeof *runs_cpu, cmp_double);
	double full_s = runs_s[1], full_cpu = runs_cpu[1];
	if (!runs_same)
		fprintf(stderr, "bench-match: the engine's runs disagree with each other\n");

	/* (b) one advisory against the estate: 1,000 records spread over the feed */
	double adv[1000], adv_cpu[1000];
	size_t nadv = 0, adv_hits = 0;
	for (size_t k = 0; k < 1000 && nrec; k++) {
		size_t ri = (k * nrec) / 1000;
		double s = now_s(), sc = thread_cpu_s();
		match_advisory_estate(e, match_feed_record(fs.f, ri), count_hit, &adv_hits);
		adv_cpu[nadv] = thread_cpu_s() - sc;
		adv[nadv++] = now_s() - s;
	}
	qsort(adv, nadv, sizeof *adv, cmp_double);
	qsort(adv_cpu, nadv, sizeof *adv_cpu, cmp_double);

	/* (c) one component against the feed: 10,000 components */
	static double comp_t[10000], comp_cpu[10000];
	size_t ncomp = 0, comp_hits = 0;
	size_t ne = match_estate_count(e);
	for (size_t k = 0; k < 10000 && ne; k++) {
		const struct match_component *c = match_estate_component(e, (k * ne) / 10000);
		double s = now_s(), sc = thread_cpu_s();
		match_component_feed(fs.f, e, c, count_hit, &comp_hits);
		comp_cpu[ncomp] = thread_cpu_s() - sc;
		comp_t[ncomp++] = now_s() - s;
	}
	qsort(comp_t, ncomp, sizeof *comp_t, cmp_double);
	qsort(comp_cpu, ncomp, sizeof *comp_cpu, cmp_double);
	double comp_sum = 0, comp_cpu_sum = 0;
	for (size_t k = 0; k < ncomp; k++) {
		comp_sum += comp_t[k];
		comp_cpu_sum += comp_cpu[k];
	}

	/* baseline (BENCH_MATCH_NO_BASELINE: skip it while profiling the engine) */
	struct digest db = { 0 };
	double sql_load_s = 0, base_s = 0, base_cpu = 0;
	if (getenv("BENCH_MATCH_NO_BASELINE"))
		return 0;
	base_s = baseline(fs.f, e, &db, &sql_load_s, &base_cpu);
	fprintf(stderr, "baseline: %zu matches in %.3f s (%.3f CPU s)\n", db.n, base_s, base_cpu);
	long rss = peak_rss_kb();

	/* identical match sets? */
	qsort(de.pairs, de.np, sizeof *de.pairs, cmp_pair);
	qsort(db.pairs, db.np, sizeof *db.pairs, cmp_pair);
	bool same_pairs = de.np == db.np, same_evidence = true;
	for (size_t i = 0; same_pairs && i < de.np; i++) {
		same_pairs = de.pairs[i].k == db.pairs[i].k;
		same_evidence &= de.pairs[i].h == db.pairs[i].h;
	}
	bool same = de.n == db.n && de.sum == db.sum && de.xr == db.xr && same_pairs &&
		    de.affected == db.affected && runs_same;
	if (same && !same_evidence)
		fprintf(stderr, "bench-match: same matches, but the evidence of a sampled one differs\n");
	same &= same_evidence;
	if (!same) {
		fprintf(stderr, "bench-match: the engine and the baseline disagree: %zu vs %zu matches\n",
			de.n, db.n);
		size_t shown = 0;
		for (size_t i = 0, j = 0; (i < de.np || j < db.np) && shown < 10;) {
			if (j >= db.np || (i < de.np && de.pairs[i].k < db.pairs[j].k)) {
				fprintf(stderr, "  engine only: component %llu record %llu\n",
					(unsigned long long)(de.pairs[i].k >> 26) * SAMPLE,
					(unsigned long long)((de.pairs[i].k >> 2) & 0xffffff));
				i++, shown++;
			} else if (i >= de.np || db.pairs[j].k < de.pairs[i].k) {
				fprintf(stderr, "  baseline only: component %llu record %llu\n",
					(unsigned long long)(db.pairs[j].k >> 26) * SAMPLE,
					(unsigned long long)((db.pairs[j].k >> 2) & 0xffffff));
				j++, shown++;
			} else {
				i++, j++;
			}
		}
	}

	/* report */
	struct utsname un;
	uname(&un);
	char date[32];
	time_t tt = time(NULL);
	strftime(date, sizeof date, "%Y-%m-%d", gmtime(&tt));
	FILE *o = fopen(out_path, "w");
	if (!o) {
		fprintf(stderr, "bench-match: cannot write %s\n", out_path);
		return 2;
	}
	double ratio = full_s > 0 ? base_s / full_s : 0;
	double ratio_cpu = full_cpu > 0 ? base_cpu / full_cpu : 0;
	double adv_med = nadv ? adv[nadv / 2] : 0, adv_p99 = nadv ? adv[(nadv * 99) / 100] : 0;
	double adv_cmed = nadv ? adv_cpu[nadv / 2] : 0;
	fprintf(o, "| what | figure (wall clock; CPU time) | target |\n|---|---|---|\n");
	fprintf(o, "| feed import and compile | %zu records in %.2f s; %.2f CPU s (%.0f records/s; %.0f per CPU-second; %.0f MB of JSON) | |\n",
		nrec, feed_s, feed_cpu, feed_s > 0 ? (double)nrec / feed_s : 0,
		feed_cpu > 0 ? (double)nrec / feed_cpu : 0, (double)fs.bytes / 1e6);
	fprintf(o, "| estate index build | %zu components (%zu distinct, %zu identities) in %.2f s; %.2f CPU s | |\n",
		est.components, est.variants, est.identities, build_s, build_cpu);
	fprintf(o, "| full estate × full feed (median of 3 runs) | **%.3f s** on %zu threads; %.3f CPU s | ≤ 10 s |\n",
		full_s, nthreads, full_cpu);
	fprintf(o, "| baseline (SQLite query per component + same checks) | %.2f s; %.2f CPU s (+ %.2f s table load) | |\n",
		base_s, base_cpu, sql_load_s);
	fprintf(o, "| engine / baseline speed-up | **%.0f×** wall clock; %.0f× per CPU-second | ≥ 50× |\n", ratio,
		ratio_cpu);
	fprintf(o, "| one advisory × estate (median of %zu; p99; CPU median) | %.3f ms; %.3f ms; %.3f ms | ≤ 50 ms |\n",
		nadv, adv_med * 1e3, adv_p99 * 1e3, adv_cmed * 1e3);
	fprintf(o, "| one component × feed (median of %zu; mean; CPU median) | %.1f µs; %.1f µs; %.1f µs | |\n",
		ncomp, ncomp ? comp_t[ncomp / 2] * 1e6 : 0, ncomp ? comp_sum / (double)ncomp * 1e6 : 0,
		ncomp ? comp_cpu[ncomp / 2] * 1e6 : 0);
	(void)comp_cpu_sum;
	fprintf(o, "| peak RSS | %.0f MB | ≤ 1,536 MB |\n", (double)rss / 1024.0);
	fprintf(o, "| matches | %zu (%zu affected, %zu unknown; %zu on KEV-listed CVEs) | |\n", de.n,
		de.affected, de.unknown, de.kev);
	fprintf(o, "| engine = baseline | %s | identical |\n\n",
		same ? "identical match sets (and identical evidence for every 101st component)"
		     : "**DIFFERENT**");
	fprintf(o, "Feeds: %zu CVE JSON 5, %zu OSV, %zu NVD, %zu CSAF vulnerability records (%zu files refused), "
		"%zu KEV entries; %zu criteria, %zu with no usable identity. Estate: %zu of %zu CVE product rows and "
		"%zu of %zu CSAF product rows are named by the feeds and sampled with Debian, npm, PyPI, NuGet and "
		"Maven packages; %zu components with no identity. The baseline and the one-advisory and "
		"one-component figures use 1 thread; the machine (%s, %ld processors) is shared, so CPU "
		"times are given beside wall-clock ones. %s.\n",
		fs.by_kind[K_CVE5], fs.by_kind[K_OSV], fs.by_kind[K_NVD], fs.by_kind[K_CSAF], fs.errors,
		fs.nkev, fst.criteria, fst.unindexed, cve.n, cve_all, csaf.n, csaf_all, est.unidentified,
		un.machine, sysconf(_SC_NPROCESSORS_ONLN), date);
	fclose(o);
	fprintf(stderr, "full %.3f s, baseline %.2f s (%.0fx), advisory median %.3f ms, component median %.1f us, peak RSS %ld MB, %s\n",
		full_s, base_s, ratio, adv_med * 1e3, ncomp ? comp_t[ncomp / 2] * 1e6 : 0, rss / 1024,
		same ? "identical" : "DIFFERENT");

	free(de.pairs);
	free(db.pairs);
	free(kevrec);
	match_estate_free(e);
	match_feed_free(fs.f);
	free(cve.v);
	free(csaf.v);
	free(gcve.start);
	free(gcsaf.start);
	free(deb.v);
	free(npm.v);
	free(pypi.v);
	free(nm.v);
	arena_free(&A);
	return same ? 0 : 1;
}

/*
 * bench-registers: import speed of the software inventory on a demo
 * database. Builds a 100,000-row CSV inventory and a 5,000-component
 * CycloneDX SBOM from the feeds' real package lists, then times, on one
 * system of a trust:
 *   - the import path (parse, check every CPE/purl, multi-row upserts in one
 *     transaction, one audit record), first import and re-import;
 *   - the baseline: the same checked rows written with one INSERT statement
 *     per row (in one transaction, as a plain importer would).
 * Every run removes what it added, its rows and then the names no row
 * carries any more (as the worker's hourly sweep would), so it can be
 * repeated on the same database and each first import adds its new names. The whole sequence runs --repeat times (5 unless told) and each
 * figure is the median, with the slowest and fastest beside it: on a shared
 * machine one run can be twice as slow as the next. Prints a Markdown table.
 *   bench-registers --db URL [--data DIR] [--rows N] [--sbom N] [--repeat N] [--profile N]
 * --profile N: only the CSV's first import, N times, each with its parse and
 * write CPU time on stderr (to run under perf record).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "registers/components.h"

struct item {
	char *vendor, *product, *version, *cpe, *purl;
};

static struct item *items;
static size_t nitems, capitems;

static void add_item(const char *v, const char *p, const char *ver, const char *cpe, const char *purl)
{
	if (nitems == capitems) {
		capitems = capitems ? capitems * 2 : 65536;
		items = realloc(items, capitems * sizeof *items);
		if (!items)
			abort();
	}
	items[nitems++] = (struct item){ strdup(v), strdup(p), strdup(ver), *cpe ? strdup(cpe) : NULL,
					 *purl ? strdup(purl) : NULL };
}

static void load(const char *path, int kind)
{
	gzFile gz = gzopen(path, "rb");
	if (!gz) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	char line[8192];
	bool header = true;
	while (gzgets(gz, line, sizeof line)) {
		line[strcspn(line, "\r\n")] = 0;
		if (header) {
			header = false;
			continue;
		}
		char *f[16];
		size_t n = 0;
		f[n++] = line;
		for (char *p = line; *p && n < 16; p++)
			if (*p == '\t')
				*p = 0, f[n++] = p + 1;
		if (kind == 0 && n >= 4)          /* npm: name, version, downloads, purl */
			add_item("npm", f[0], f[1], "", f[3]);
		else if (kind == 1 && n >= 4 && *f[3]) /* CVE products with a CPE */
			add_item(f[0], f[1], f[2], f[3], "");
	}
	gzclose(gz);
}

static void csv_cell(struct buf *b, const char *s)
{
	if (!s)
		return;
	if (strpbrk(s, ",\"\r\n")) {
		buf_putc(b, '"');
		for (; *s; s++) {
			if (*s == '"')
				buf_putc(b, '"');
			buf_putc(b, *s);
		}
		buf_putc(b, '"');
	} else {
		buf_puts(b, s);
	}
}

static void json_str(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		if ((unsigned char)*s < 0x20)
			buf_printf(b, "\\u%04x", (unsigned char)*s);
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

/* Process CPU time in ms: on a shared machine, wall time also measures the neighbours. */
static double cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static double last_cpu;
static bool phases;          /* --profile: each import's parse and write CPU on stderr */

static void die(const char *what, const struct bw_error *e)
{
	fprintf(stderr, "bench-registers: %s: %s\n", what, e->msg);
	exit(1);
}

static void clean(struct db *db, int64_t sys)
{
	struct db_stmt *st = db_prep(db, "DELETE FROM components WHERE system_id = ?1 AND source IN ('csv', 'sbom', 'bench')");
	db_bind_i64(st, 1, sys);
	struct bw_error e = { 0 };
	int64_t swept;
	if (db_step(st) == DB_ERR || components_names_sweep(db, &swept, &e) != BW_OK) {
		if (!e.code)
			db_fail(db, &e, "removing the rows");
		die("clean", &e);
	}
}

/* The ordered import: parse, check, upsert in batches, audit. */
static double time_import(struct db *db, const struct actor *by, const struct comp_system *sys, const char *p,
			  size_t n, bool json, struct comp_import_result *res)
{
	struct arena a;
	arena_init(&a);
	struct comp_batch b;
	comp_batch_init(&b, &a);
	struct bw_error e = { 0 };
	int64_t t0 = bw_now_ms();
	double c0 = cpu_ms();
	if ((json ? components_sbom_parse(p, n, &b, &e) : components_csv_parse(p, n, &b, &e)) != BW_OK)
		die("parse", &e);
	double parse_cpu = cpu_ms() - c0;
	if (components_import(db, by, sys, &b, true, json ? "sbom" : "csv", res, &e) != BW_OK)
		die("import", &e);
	double ms = (double)(bw_now_ms() - t0);
	if (phases)
		fprintf(stderr, "%s: %.0f ms wall, %.0f ms CPU parsing, %.0f ms CPU importing\n", json ? "sbom" : "csv", ms,
			parse_cpu, cpu_ms() - c0 - parse_cpu);
	last_cpu = cpu_ms() - c0;
	comp_batch_free(&b);
	arena_free(&a);
	return ms;
}

struct plain {
	const struct comp_system *sys;
	struct comp_batch *b;
	struct arena *a;
};

static enum bw_err plain_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct plain *p = arg;
	int64_t now = bw_now();
	for (size_t i = 0; i < p->b->n; i++) {
		struct comp_ok ok;
		if (components_check(p->a, &p->b->v[i], &ok, NULL) != BW_OK)
			continue;
		/* the same kind of key as the import's (128 random-looking bits) */
		char key[32], ident[33];
		uint8_t h[32];
		snprintf(key, sizeof key, "bench:%zu", i);
		bw_sha256(key, strlen(key), h);
		bw_hex(h, 16, ident);
		int64_t name;
		enum bw_err rc = components_name_id(db, ok.norm_vendor, ok.norm_product, &name, err);
		if (rc != BW_OK)
			return rc;
		struct db_stmt *st = db_prep(db, "INSERT INTO components (org_id, system_id, vendor, product, version, cpe, purl,"
						 " norm_vendor, norm_product, ident, source, created_at, updated_at, name_id)"
						 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'bench', ?11, ?11, ?12)");
		db_bind_i64(st, 1, p->sys->org_id);
		db_bind_i64(st, 2, p->sys->id);
		db_bind_text(st, 3, ok.vendor);
		db_bind_text(st, 4, ok.product);
		db_bind_text(st, 5, ok.version);
		db_bind_text(st, 6, ok.cpe);
		db_bind_text(st, 7, ok.purl);
		db_bind_text(st, 8, ok.norm_vendor);
		db_bind_text(st, 9, ok.norm_product);
		db_bind_text(st, 10, ident);
		db_bind_i64(st, 11, now);
		db_bind_i64(st, 12, name);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "baseline insert");
	}
	return BW_OK;
}

/* The baseline: the same parse and checks, then one INSERT per row. */
static double time_plain(struct db *db, const struct comp_system *sys, const char *p, size_t n, bool json)
{
	struct arena a;
	arena_init(&a);
	struct comp_batch b;
	comp_batch_init(&b, &a);
	struct bw_error e = { 0 };
	int64_t t0 = bw_now_ms();
	double c0 = cpu_ms();
	if ((json ? components_sbom_parse(p, n, &b, &e) : components_csv_parse(p, n, &b, &e)) != BW_OK)
		die("parse", &e);
	struct plain pl = { sys, &b, &a };
	if (db_tx(db, true, plain_tx, &pl, &e) != BW_OK)
		die("baseline", &e);
	double ms = (double)(bw_now_ms() - t0);
	last_cpu = cpu_ms() - c0;
	comp_batch_free(&b);
	arena_free(&a);
	return ms;
}

#define MAX_REPEAT 20

struct run_times {
	double wall[MAX_REPEAT], cpu[MAX_REPEAT];
	int n;
};

static void add_time(struct run_times *t, double wall_ms)
{
	t->wall[t->n] = wall_ms;
	t->cpu[t->n++] = last_cpu;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_REPEAT];
	memcpy(s, v, (size_t)n * sizeof *s);
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double rate(long rows, double ms)
{
	return ms > 0 ? (double)rows * 1000.0 / ms : 0.0;
}

/* "48426 (31002-60643) [52000] | ": rows/s of the median, slowest and
 * fastest run, and per CPU-second of the median */
static void print_rates(const struct run_times *t, long rows)
{
	double lo = t->wall[0], hi = t->wall[0];
	for (int i = 1; i < t->n; i++) {
		lo = t->wall[i] < lo ? t->wall[i] : lo;
		hi = t->wall[i] > hi ? t->wall[i] : hi;
	}
	printf("%.0f (%.0f-%.0f) [%.0f] | ", rate(rows, median(t->wall, t->n)), rate(rows, hi), rate(rows, lo),
	       rate(rows, median(t->cpu, t->n)));
}

int main(int argc, char **argv)
{
	const char *url = NULL, *data = "../shared/data";
	long rows = 100000, sbom_n = 5000, profile = 0, repeat = 5;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--db"))
			url = argv[i + 1];
		else if (!strcmp(argv[i], "--data"))
			data = argv[i + 1];
		else if (!strcmp(argv[i], "--rows"))
			rows = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--sbom"))
			sbom_n = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--profile"))
			profile = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--repeat"))
			repeat = atol(argv[i + 1]);
	}
	if (!url || rows < 1 || sbom_n < 1 || repeat < 1 || repeat > MAX_REPEAT) {
		fprintf(stderr, "usage: bench-registers --db URL [--data DIR] [--rows N] [--sbom N] [--repeat N (1-%d)] [--profile N]\n",
			MAX_REPEAT);
		return 2;
	}
	bw_crypto_init();
	log_set_level(LOG_WARN);
	char path[1024];
	snprintf(path, sizeof path, "%s/feeds/inventory/packages-npm.tsv.gz", data);
	load(path, 0);
	snprintf(path, sizeof path, "%s/feeds/inventory/cve-affected-products.tsv.gz", data);
	load(path, 1);

	struct db *db;
	struct bw_error e = { 0 };
	if (db_open(&db, url, &e) != BW_OK)
		die("open", &e);
	int64_t sid = db_query_i64(db, "SELECT s.id FROM systems s JOIN orgs o ON o.id = s.org_id"
				       " WHERE o.type = 'nhs_trust' ORDER BY s.id LIMIT 1", 0);
	struct comp_system sys;
	if (!sid || components_system_get(db, sid, &sys) != BW_OK) {
		fprintf(stderr, "bench-registers: no system of a trust in the database (run bulwark demo first)\n");
		return 1;
	}
	struct actor by;
	orgs_actor_cli(&by);
	clean(db, sid);

	/* a 100,000-row CSV: npm packages with purls, then products with CPEs */
	struct buf csv;
	buf_init(&csv);
	buf_puts(&csv, "system,vendor,product,version,cpe,purl\r\n");
	for (long i = 0; i < rows; i++) {
		const struct item *it = &items[((size_t)i * 7919u) % nitems];
		buf_putc(&csv, ',');
		csv_cell(&csv, it->vendor);
		buf_putc(&csv, ',');
		csv_cell(&csv, it->product);
		buf_putc(&csv, ',');
		csv_cell(&csv, it->version);
		buf_putc(&csv, ',');
		csv_cell(&csv, it->cpe);
		buf_putc(&csv, ',');
		csv_cell(&csv, it->purl);
		buf_puts(&csv, "\r\n");
	}
	/* a 5,000-component CycloneDX 1.6 SBOM */
	struct buf bom;
	buf_init(&bom);
	buf_puts(&bom, "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"serialNumber\":\"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79\","
		       "\"version\":1,\"metadata\":{\"component\":{\"type\":\"application\",\"name\":\"bench-app\",\"version\":\"1.0\"}},"
		       "\"components\":[");
	size_t npm = 0;
	for (size_t i = 0; i < nitems && (long)npm < sbom_n; i++) {
		const struct item *it = &items[i];
		if (!it->purl)
			continue;
		buf_printf(&bom, "%s{\"type\":\"library\",\"bom-ref\":", npm ? "," : "");
		json_str(&bom, it->purl);
		buf_puts(&bom, ",\"name\":");
		json_str(&bom, it->product);
		buf_puts(&bom, ",\"version\":");
		json_str(&bom, it->version);
		buf_puts(&bom, ",\"purl\":");
		json_str(&bom, it->purl);
		buf_putc(&bom, '}');
		npm++;
	}
	buf_puts(&bom, "]}");

	struct comp_import_result r1, r2, r3, r4;
	if (profile > 0) {
		/* only the CSV's first import, again and again, for perf record */
		phases = true;
		for (long k = 0; k < profile; k++) {
			time_import(db, &by, &sys, csv.p, csv.len, false, &r1);
			clean(db, sid);
		}
		goto out;
	}
	/* wall and CPU ms of each run: CSV first, again, baseline; SBOM the same */
	struct run_times rt[6] = { 0 };
	for (long k = 0; k < repeat; k++) {
		add_time(&rt[0], time_import(db, &by, &sys, csv.p, csv.len, false, &r1));
		add_time(&rt[1], time_import(db, &by, &sys, csv.p, csv.len, false, &r2));
		clean(db, sid);
		add_time(&rt[2], time_plain(db, &sys, csv.p, csv.len, false));
		clean(db, sid);
		add_time(&rt[3], time_import(db, &by, &sys, bom.p, bom.len, true, &r3));
		add_time(&rt[4], time_import(db, &by, &sys, bom.p, bom.len, true, &r4));
		clean(db, sid);
		add_time(&rt[5], time_plain(db, &sys, bom.p, bom.len, true));
		clean(db, sid);
	}

	int64_t total = db_query_i64(db, "SELECT count(*) FROM components", 0);
	printf("| import | rows | written | Bulwark rows/s (slowest-fastest) [per CPU-second] | one INSERT per row, rows/s"
	       " (slowest-fastest) [per CPU-second] | speed-up |\n");
	printf("|---|---|---|---|---|---|\n");
	const char *what[] = { "CSV inventory, first import", "CSV inventory, same file again",
			       "CycloneDX 1.6 SBOM, first import", "CycloneDX 1.6 SBOM, same file again" };
	const struct comp_import_result *res[] = { &r1, &r2, &r3, &r4 };
	for (int i = 0; i < 4; i++) {
		long n = i < 2 ? rows : (long)npm;
		const struct run_times *t = &rt[i < 2 ? i : i + 1], *base = i % 2 ? NULL : &rt[i < 2 ? 2 : 5];
		printf("| %s | %ld | %lld %s | ", what[i], n, (long long)(i % 2 ? res[i]->updated : res[i]->added),
		       i % 2 ? "updated" : "added");
		print_rates(t, n);
		if (base) {
			print_rates(base, n);
			printf("%.2f |\n", median(base->wall, base->n) / median(t->wall, t->n));
		} else {
			printf("| |\n");
		}
	}
	printf("\nMedians of %ld runs, into one system of a trust, on %s with %lld components already stored; each figure "
	       "includes parsing and checking every CPE and purl. The CSV repeats packages, so fewer rows are written than "
	       "read. CPU-seconds are this process's (both its cores while a big file is checked%s).\n",
	       repeat, db_kind(db) == DB_POSTGRES ? "PostgreSQL" : "SQLite", (long long)total,
	       db_kind(db) == DB_POSTGRES ? "; the server's own are not counted" : "");
out:
	buf_free(&csv);
	buf_free(&bom);
	for (size_t i = 0; i < nitems; i++) {
		free(items[i].vendor), free(items[i].product), free(items[i].version);
		free(items[i].cpe), free(items[i].purl);
	}
	free(items);
	db_close(db);
	return 0;
}

/*
 * suggest: the likely CPE vendor:product for a component typed without one.
 * Most organisations have no SBOM and type "Microsoft Ofice 2019"; matching
 * needs cpe:2.3:a:microsoft:office. The dictionary (table cpe_dictionary) maps
 * normalised names — CPE-style and the display names CVE records use — to
 * CPE vendor:product pairs; it is loaded into memory once per process and
 * scored by trigram similarity, so typos still find their product. What the
 * inventory already maps (confirmed CPEs under the same subtree) comes first.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "match/match.h"
#include "orgs/orgs.h"
#include "registers/components.h"

#define MAX_TRI 64

struct tri {
	uint32_t h[MAX_TRI];
	uint8_t n;
};

struct entry {
	char *kv, *kp;          /* normalised names this entry is known by */
	char *cv, *cp;          /* the CPE vendor and product */
	struct tri tv, tp, tvp;
};

static struct {
	pthread_mutex_t mu;
	bool loaded;
	struct entry *e;
	size_t n;
	struct arena a;
} dict = { PTHREAD_MUTEX_INITIALIZER, false, NULL, 0, { 0 } };

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorted distinct trigram hashes of "  s " (the padding weighs the start). */
static void trigrams(const char *s, struct tri *t)
{
	char pad[LIM_COMP_NAME * 2 + 8];
	int n = snprintf(pad, sizeof pad, "  %s ", s);
	if (n < 0 || (size_t)n >= sizeof pad)
		n = (int)sizeof pad - 1;
	t->n = 0;
	for (int i = 0; i + 3 <= n && t->n < MAX_TRI; i++) {
		char c0 = pad[i] == '_' ? ' ' : pad[i], c1 = pad[i + 1] == '_' ? ' ' : pad[i + 1],
		     c2 = pad[i + 2] == '_' ? ' ' : pad[i + 2];
		t->h[t->n++] = ((uint32_t)(unsigned char)c0 << 16) | ((uint32_t)(unsigned char)c1 << 8) |
			       (unsigned char)c2;
	}
	qsort(t->h, t->n, sizeof t->h[0], cmp_u32);
	uint8_t k = 0;
	for (uint8_t i = 0; i < t->n; i++)
		if (k == 0 || t->h[k - 1] != t->h[i])
			t->h[k++] = t->h[i];
	t->n = k;
}

static int dice(const struct tri *a, const struct tri *b)
{
	if (!a->n || !b->n)
		return 0;
	int i = 0, j = 0, common = 0;
	while (i < a->n && j < b->n) {
		if (a->h[i] == b->h[j])
			common++, i++, j++;
		else if (a->h[i] < b->h[j])
			i++;
		else
			j++;
	}
	return 200 * common / (a->n + b->n);
}

int components_similarity(const char *a, const char *b)
{
	struct tri ta, tb;
	trigrams(a, &ta);
	trigrams(b, &tb);
	return dice(&ta, &tb);
}

void components_dictionary_reset(void)
{
	pthread_mutex_lock(&dict.mu);
	free(dict.e);
	arena_free(&dict.a);
	dict.e = NULL;
	dict.n = 0;
	dict.loaded = false;
	pthread_mutex_unlock(&dict.mu);
}

static void dict_load_locked(struct db *db)
{
	arena_init(&dict.a);
	int64_t total = db_query_i64(db, "SELECT count(*) FROM cpe_dictionary", 0);
	dict.loaded = true;
	if (total <= 0)
		return;
	dict.e = calloc((size_t)total, sizeof *dict.e);
	if (!dict.e)
		return;
	struct db_stmt *st = db_prep(db, "SELECT cpe_vendor, cpe_product, name_key FROM cpe_dictionary ORDER BY id");
	while (db_step(st) == DB_ROW && dict.n < (size_t)total) {
		const char *key = db_col_text(st, 2);
		const char *colon = key ? strchr(key, ':') : NULL;
		if (!colon)
			continue;
		struct entry *e = &dict.e[dict.n++];
		e->cv = arena_strdup(&dict.a, db_col_text(st, 0));
		e->cp = arena_strdup(&dict.a, db_col_text(st, 1));
		e->kv = arena_strndup(&dict.a, key, (size_t)(colon - key));
		e->kp = arena_strdup(&dict.a, colon + 1);
		trigrams(e->kv, &e->tv);
		trigrams(e->kp, &e->tp);
		char both[LIM_COMP_NAME * 2 + 2];
		snprintf(both, sizeof both, "%s_%s", e->kv, e->kp);
		trigrams(both, &e->tvp);
	}
	db_reset(st);
}

static void add_suggestion(struct comp_suggestion *out, size_t *n, size_t max, const char *cv, const char *cp,
			   int score, const char *why)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(out[i].vendor, cv) && !strcmp(out[i].product, cp)) {
			if (score > out[i].score) {
				out[i].score = score;
				out[i].why = why;
			}
			return;
		}
	size_t at = *n;
	if (*n == max) {
		/* replace the weakest if this one is better */
		at = 0;
		for (size_t i = 1; i < *n; i++)
			if (out[i].score < out[at].score)
				at = i;
		if (out[at].score >= score)
			return;
	} else {
		(*n)++;
	}
	snprintf(out[at].vendor, sizeof out[at].vendor, "%s", cv);
	snprintf(out[at].product, sizeof out[at].product, "%s", cp);
	out[at].score = score;
	out[at].why = why;
}

static int cmp_sugg(const void *a, const void *b)
{
	const struct comp_suggestion *x = a, *y = b;
	if (x->score != y->score)
		return y->score - x->score;
	int c = strcmp(x->vendor, y->vendor);
	return c ? c : strcmp(x->product, y->product);
}

size_t components_suggest(struct db *db, const char *scope_path, const char *vendor, const char *product,
			  struct comp_suggestion *out, size_t max)
{
	char qv[LIM_COMP_NAME + 1], qp[LIM_COMP_NAME + 1];
	components_norm(vendor ? vendor : "", qv, sizeof qv);
	components_norm(product ? product : "", qp, sizeof qp);
	size_t n = 0;
	if (!*qp || max == 0)
		return 0;

	/* what this part of the estate already maps, confirmed by someone */
	char lo[256], hi[256];
	orgs_subtree_bounds(scope_path, lo, hi);
	struct db_stmt *st = db_prep(db, "SELECT c.cpe FROM component_names n CROSS JOIN components c"
					 " JOIN orgs o ON o.id = c.org_id WHERE n.norm_product = ?1 AND n.norm_vendor = ?2"
					 " AND c.name_id = n.id AND c.cpe IS NOT NULL AND o.path >= ?3 AND o.path < ?4 LIMIT 5");
	db_bind_text(st, 1, qp);
	db_bind_text(st, 2, qv);
	db_bind_text(st, 3, lo);
	db_bind_text(st, 4, hi);
	while (db_step(st) == DB_ROW) {
		struct match_cpe c;
		if (match_cpe_parse(str_c(db_col_text(st, 0)), &c, NULL) != BW_OK)
			continue;
		struct str v = match_cpe_body(&c, MATCH_CPE_VENDOR), p = match_cpe_body(&c, MATCH_CPE_PRODUCT);
		char cv[LIM_COMP_NAME + 1], cp[LIM_COMP_NAME + 1];
		snprintf(cv, sizeof cv, "%.*s", (int)v.n, v.p);
		snprintf(cp, sizeof cp, "%.*s", (int)p.n, p.p);
		if (*cv && *cp)
			add_suggestion(out, &n, max, cv, cp, 100, "already used in your inventory");
	}

	pthread_mutex_lock(&dict.mu);
	if (!dict.loaded)
		dict_load_locked(db);
	struct tri tv, tp;
	trigrams(qv, &tv);
	trigrams(qp, &tp);
	for (size_t i = 0; i < dict.n; i++) {
		const struct entry *e = &dict.e[i];
		int sp = dice(&tp, &e->tp);
		int score;
		const char *why;
		if (*qv) {
			int sv = dice(&tv, &e->tv);
			score = (35 * sv + 65 * sp) / 100;
			why = "similar name";
			if (!strcmp(qp, e->kp) && !strcmp(qv, e->kv))
				score = 99, why = "same name";
			else if (!strcmp(qp, e->kp))
				score = score > 70 + 30 * sv / 100 ? score : 70 + 30 * sv / 100, why = "same product name";
		} else {
			/* no vendor typed: the product may carry it ("Microsoft Office") */
			int svp = dice(&tp, &e->tvp);
			score = sp > svp ? sp : svp;
			why = "similar name";
			if (!strcmp(qp, e->kp))
				score = 90, why = "same product name";
		}
		if (score >= 50)
			add_suggestion(out, &n, max, e->cv, e->cp, score, why);
	}
	pthread_mutex_unlock(&dict.mu);
	qsort(out, n, sizeof *out, cmp_sugg);
	return n;
}

/* WFN quoting: every character other than letters, digits and '_' gets a
 * backslash, so match_cpe_set_wfn reads the value literally. */
static void wfn_quote(const char *s, struct buf *b)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x21 || c > 0x7e)
			continue;   /* CPE names are printable ASCII */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			buf_putc(b, '\\');
		buf_putc(b, (char)c);
	}
}

void components_cpe_for(const char *vendor, const char *product, const char *version, struct buf *out)
{
	struct match_cpe c;
	match_cpe_init(&c);
	struct buf w;
	buf_init(&w);
	const char *vals[] = { "a", vendor, product, version };
	enum match_cpe_attr at[] = { MATCH_CPE_PART, MATCH_CPE_VENDOR, MATCH_CPE_PRODUCT, MATCH_CPE_VERSION };
	for (size_t i = 0; i < 4; i++) {
		buf_reset(&w);
		if (i == 0)
			buf_puts(&w, "a");
		else if (vals[i])
			wfn_quote(vals[i], &w);
		if (w.len && match_cpe_set_wfn(&c, at[i], (struct str){ w.p, w.len }, NULL) != BW_OK)
			match_cpe_set_wfn(&c, at[i], STR("ANY"), NULL);
	}
	buf_free(&w);
	match_cpe_format(&c, out);
}

/* ---- filling the dictionary from the feeds' inventory list ---- */

struct dict_row {
	char *key, *cv, *cp;
};

static int cmp_row(const void *a, const void *b)
{
	const struct dict_row *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (!c)
		c = strcmp(x->cv, y->cv);
	return c ? c : strcmp(x->cp, y->cp);
}

/* Splits a TSV line in place (the lists use no quoting). */
static size_t split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = 0;
			f[n++] = p + 1;
		}
	return n;
}


#define DICT_BATCH 100

enum bw_err components_dictionary_load(struct db *db, const char *data_dir, int64_t *rows, struct bw_error *err)
{
	*rows = 0;
	char path[1024];
	snprintf(path, sizeof path, "%s/feeds/inventory/cve-affected-products.tsv.gz", data_dir);
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return bw_fail(err, BW_EIO, "data", "cannot read %s", path);
	struct arena a;
	arena_init(&a);
	struct dict_row *v = NULL;
	size_t n = 0, cap = 0;
	char line[8192];
	bool header = true;
	while (gzgets(gz, line, sizeof line)) {
		size_t ln = strlen(line);
		while (ln && (line[ln - 1] == '\n' || line[ln - 1] == '\r'))
			line[--ln] = 0;
		if (header) {
			header = false;
			continue;
		}
		char *f[13];
		if (split_tabs(line, f, 13) < 4 || !*f[3])
			continue;
		struct match_cpe c;
		if (match_cpe_parse(str_c(f[3]), &c, NULL) != BW_OK)
			continue;
		struct str sv = match_cpe_body(&c, MATCH_CPE_VENDOR), sp = match_cpe_body(&c, MATCH_CPE_PRODUCT);
		if (!sv.n || !sp.n || sv.n > LIM_COMP_NAME || sp.n > LIM_COMP_NAME)
			continue;
		char cv[LIM_COMP_NAME + 1], cp[LIM_COMP_NAME + 1];
		snprintf(cv, sizeof cv, "%.*s", (int)sv.n, sv.p);
		snprintf(cp, sizeof cp, "%.*s", (int)sp.n, sp.p);
		/* the CPE's own names, and the record's display names, both lead to it */
		const char *names[2][2] = { { cv, cp }, { f[0], f[1] } };
		for (int k = 0; k < 2; k++) {
			char nv[LIM_COMP_NAME + 1], np[LIM_COMP_NAME + 1];
			components_norm(names[k][0], nv, sizeof nv);
			components_norm(names[k][1], np, sizeof np);
			if (!*np)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 4096;
				struct dict_row *nvp = realloc(v, cap * sizeof *v);
				if (!nvp)
					abort();
				v = nvp;
			}
			v[n++] = (struct dict_row){ arena_printf(&a, "%s:%s", nv, np), arena_strdup(&a, cv),
						    arena_strdup(&a, cp) };
		}
	}
	gzclose(gz);
	qsort(v, n, sizeof *v, cmp_row);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || cmp_row(&v[u - 1], &v[i]) != 0)
			v[u++] = v[i];
	enum bw_err rc = BW_OK;
	if (db_exec(db, "DELETE FROM cpe_dictionary", err) != BW_OK) {
		rc = err->code;
		goto out;
	}
	/* multi-row inserts: a few hundred statements instead of tens of thousands */
	struct buf sql;
	buf_init(&sql);
	for (size_t i = 0; i < u; i += DICT_BATCH) {
		size_t k = u - i < DICT_BATCH ? u - i : DICT_BATCH;
		buf_reset(&sql);
		buf_puts(&sql, "INSERT INTO cpe_dictionary (cpe_vendor, cpe_product, name_key) VALUES ");
		for (size_t j = 0; j < k; j++)
			buf_printf(&sql, "%s(?%zu, ?%zu, ?%zu)", j ? ", " : "", 3 * j + 1, 3 * j + 2, 3 * j + 3);
		struct db_stmt *st = db_prep(db, buf_cstr(&sql));
		for (size_t j = 0; j < k; j++) {
			db_bind_text(st, (int)(3 * j + 1), v[i + j].cv);
			db_bind_text(st, (int)(3 * j + 2), v[i + j].cp);
			db_bind_text(st, (int)(3 * j + 3), v[i + j].key);
		}
		if (db_step(st) == DB_ERR) {
			rc = db_fail(db, err, "cpe dictionary");
			break;
		}
	}
	buf_free(&sql);
	*rows = rc == BW_OK ? (int64_t)u : 0;
out:
	free(v);
	arena_free(&a);
	components_dictionary_reset();
	return rc;
}

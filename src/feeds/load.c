/*
 * load: the stored records as the rest of Bulwark uses them — compiled
 * into a match feed (the exposures module), the changes since a marker (so
 * only changed records are matched again), and the CPE vendor:product
 * pairs they name, added to the registers' dictionary that "suggest a CPE"
 * reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feeds/feeds_int.h"
#include "registers/components.h"

#define DICT_CHUNK 1000

bool feeds_root_org(struct db *db, struct org_ref *out)
{
	struct db_stmt *st = db_prep(db, "SELECT id, path FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1");
	if (db_step(st) != DB_ROW)
		return false;
	out->id = db_col_i64(st, 0);
	snprintf(out->path, sizeof out->path, "%s", db_col_text(st, 1));
	db_reset(st);
	return true;
}

static bool compilable(enum feeds_kind k)
{
	return k == FEEDS_CVE5 || k == FEEDS_OSV || k == FEEDS_CSAF || k == FEEDS_NVD;
}

/* Compiles one stored record into records appended to *v (in arena a). */
static size_t compile_raw(struct arena *a, enum feeds_kind kind, const char *raw, size_t n,
			  struct match_record **out)
{
	*out = NULL;
	json_t *j;
	struct bw_error e = { 0 };
	if (feeds_json_load(raw, n, &j, &e) != BW_OK)
		return 0;
	size_t got = 0;
	if (kind == FEEDS_CSAF) {
		if (match_compile_csaf(a, j, out, &got, &e) != BW_OK)
			got = 0;
	} else {
		struct match_record *r = arena_alloc(a, sizeof *r);
		enum bw_err rc = kind == FEEDS_CVE5 ? match_compile_cve5(a, j, r, &e)
			       : kind == FEEDS_OSV ? match_compile_osv(a, j, r, &e)
						   : match_compile_nvd(a, j, r, &e);
		if (rc == BW_OK) {
			*out = r;
			got = 1;
		}
	}
	json_decref(j);
	return got;
}

enum bw_err feeds_feed_load(struct db *db, struct arena *a, struct match_feed **out, struct bw_error *err)
{
	*out = NULL;
	struct match_feed *f = match_feed_new();
	struct db_stmt *st = db_prep(db, "SELECT s.kind, r.raw, r.record_id FROM feed_records r JOIN feed_sources s ON s.id = r.source_id"
					 " WHERE r.withdrawn = 0 AND r.raw IS NOT NULL AND s.kind IN ('cve5', 'osv', 'csaf', 'nvd')"
					 " ORDER BY r.id");
	int rc;
	size_t bad = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		enum feeds_kind k;
		if (!feeds_kind_parse(db_col_text(st, 0), &k))
			continue;
		struct match_record *recs;
		size_t n = compile_raw(a, k, db_col_text(st, 1), db_col_bytes(st, 1), &recs);
		if (!n)
			bad++;
		for (size_t i = 0; i < n; i++)
			match_feed_add(f, &recs[i]);
	}
	if (rc == DB_ERR) {
		match_feed_free(f);
		return db_fail(db, err, "feed records");
	}
	if (bad)
		log_warn("feeds: %zu stored records could not be compiled", bad);
	*out = f;
	return BW_OK;
}

enum bw_err feeds_changes_since(struct db *db, struct arena *a, int64_t marker, size_t max, struct feeds_change **out,
				size_t *n, struct bw_error *err)
{
	*n = 0;
	*out = arena_alloc(a, (max ? max : 1) * sizeof **out);
	struct db_stmt *st = db_prep(db, "SELECT c.id, s.name, s.kind, c.record_id, c.change FROM feed_changes c"
					 " JOIN feed_sources s ON s.id = c.source_id WHERE c.id > ?1 ORDER BY c.id LIMIT ?2");
	db_bind_i64(st, 1, marker);
	db_bind_i64(st, 2, (int64_t)max);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct feeds_change *c = &(*out)[(*n)++];
		c->id = db_col_i64(st, 0);
		c->source = arena_strdup(a, db_col_text(st, 1));
		if (!feeds_kind_parse(db_col_text(st, 2), &c->kind))
			c->kind = FEEDS_KIND_COUNT;
		c->record_id = arena_strdup(a, db_col_text(st, 3));
		c->change = arena_strdup(a, db_col_text(st, 4));
	}
	return rc == DB_ERR ? db_fail(db, err, "feed changes") : BW_OK;
}

/* cpe_only: skip records whose text names no CPE (the dictionary needs
 * only those, and compiling a large CSAF document for nothing is slow). */
static enum bw_err changed_records(struct db *db, struct arena *a, int64_t marker, size_t max, bool cpe_only,
				   struct match_record **out, size_t *n, int64_t *next, struct bw_error *err)
{
	*out = NULL;
	*n = 0;
	*next = marker;
	size_t cap = 0;
	struct db_stmt *st = db_prep(db, "SELECT c.id, s.kind, r.raw FROM feed_changes c JOIN feed_sources s ON s.id = c.source_id"
					 " LEFT JOIN feed_records r ON r.source_id = c.source_id AND r.entry_key = c.entry_key"
					 " AND r.withdrawn = 0 WHERE c.id > ?1 ORDER BY c.id LIMIT ?2");
	db_bind_i64(st, 1, marker);
	db_bind_i64(st, 2, (int64_t)max);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		*next = db_col_i64(st, 0);
		enum feeds_kind k;
		if (db_col_isnull(st, 2) || !feeds_kind_parse(db_col_text(st, 1), &k) || !compilable(k))
			continue;
		if (cpe_only && !strstr(db_col_text(st, 2), "cpe:"))
			continue;
		struct match_record *recs;
		size_t got = compile_raw(a, k, db_col_text(st, 2), db_col_bytes(st, 2), &recs);
		if (*n + got > cap) {
			size_t ncap = (*n + got) * 2;
			struct match_record *nv = arena_alloc(a, ncap * sizeof *nv);
			if (*n)
				memcpy(nv, *out, *n * sizeof *nv);
			*out = nv;
			cap = ncap;
		}
		for (size_t i = 0; i < got; i++)
			(*out)[(*n)++] = recs[i];
	}
	return rc == DB_ERR ? db_fail(db, err, "feed changes") : BW_OK;
}

enum bw_err feeds_changed_records(struct db *db, struct arena *a, int64_t marker, size_t max, struct match_record **out,
				  size_t *n, int64_t *next, struct bw_error *err)
{
	return changed_records(db, a, marker, max, false, out, n, next, err);
}

/* ---- the CPE dictionary ---- */

struct pair {
	char *v, *p;
};

struct pairs {
	struct pair *p;
	size_t n, cap;
	struct arena a;
};

static void add_cpe(struct pairs *ps, const struct match_cpe *c)
{
	if (!c)
		return;
	struct str v = match_cpe_body(c, MATCH_CPE_VENDOR), p = match_cpe_body(c, MATCH_CPE_PRODUCT);
	if (!v.n || !p.n || v.n > LIM_COMP_NAME || p.n > LIM_COMP_NAME)
		return;
	if (c->a[MATCH_CPE_VENDOR].pre_star || c->a[MATCH_CPE_VENDOR].post_star || c->a[MATCH_CPE_PRODUCT].pre_star ||
	    c->a[MATCH_CPE_PRODUCT].post_star || c->a[MATCH_CPE_VENDOR].pre_q || c->a[MATCH_CPE_VENDOR].post_q ||
	    c->a[MATCH_CPE_PRODUCT].pre_q || c->a[MATCH_CPE_PRODUCT].post_q)
		return;   /* patterns name no one product */
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 1024;
		struct pair *np = realloc(ps->p, ps->cap * sizeof *np);
		if (!np)
			abort();
		ps->p = np;
	}
	ps->p[ps->n++] = (struct pair){ arena_strndup(&ps->a, v.p, v.n), arena_strndup(&ps->a, p.p, p.n) };
}

static void add_node(struct pairs *ps, const struct match_node *nd, int depth)
{
	if (depth > 16)
		return;
	for (size_t i = 0; i < nd->ncrit; i++)
		if (nd->crit[i].kind == MATCH_ID_CPE && nd->crit[i].vulnerable)
			add_cpe(ps, nd->crit[i].cpe);
	for (size_t i = 0; i < nd->nchildren; i++)
		add_node(ps, &nd->children[i], depth + 1);
}

static int pair_cmp(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;
	int c = strcmp(a->v, b->v);
	return c ? c : strcmp(a->p, b->p);
}

struct dict_args {
	struct pairs *ps;
	int64_t marker;
	int64_t added;
};

static enum bw_err dict_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct dict_args *d = arg;
	d->added = 0;
	for (size_t i = 0; i < d->ps->n; i++) {
		const struct pair *p = &d->ps->p[i];
		if (i && !pair_cmp(p, &d->ps->p[i - 1]))
			continue;
		char nv[LIM_COMP_NAME + 1], np[LIM_COMP_NAME + 1], key[2 * LIM_COMP_NAME + 2];
		components_norm(p->v, nv, sizeof nv);
		components_norm(p->p, np, sizeof np);
		if (!*nv || !*np)
			continue;
		snprintf(key, sizeof key, "%s:%s", nv, np);
		struct db_stmt *st = db_prep(db, "INSERT INTO cpe_dictionary (cpe_vendor, cpe_product, name_key) VALUES (?1, ?2, ?3)"
						 " ON CONFLICT (name_key, cpe_vendor, cpe_product) DO NOTHING");
		db_bind_text(st, 1, p->v);
		db_bind_text(st, 2, p->p);
		db_bind_text(st, 3, key);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "cpe dictionary");
		d->added += db_changes(db);
	}
	struct db_stmt *st = db_prep(db, "INSERT INTO feeds_state (name, value) VALUES ('dictionary', ?1)"
					 " ON CONFLICT (name) DO UPDATE SET value = excluded.value");
	db_bind_i64(st, 1, d->marker);
	return db_step(st) == DB_ERR ? db_fail(db, err, "feeds state") : BW_OK;
}

enum bw_err feeds_dictionary_refresh(struct db *db, int64_t *added, struct bw_error *err)
{
	if (added)
		*added = 0;
	int64_t marker = db_query_i64(db, "SELECT value FROM feeds_state WHERE name = 'dictionary'", 0);
	enum bw_err rc = BW_OK;
	int64_t total = 0;
	for (;;) {
		struct arena a;
		arena_init(&a);
		struct match_record *recs;
		size_t n;
		int64_t next;
		rc = changed_records(db, &a, marker, DICT_CHUNK, true, &recs, &n, &next, err);
		if (rc != BW_OK || next == marker) {
			arena_free(&a);
			break;
		}
		struct pairs ps = { 0 };
		arena_init(&ps.a);
		for (size_t i = 0; i < n; i++) {
			for (size_t k = 0; k < recs[i].ncrit; k++)
				if (recs[i].crit[k].kind == MATCH_ID_CPE)
					add_cpe(&ps, recs[i].crit[k].cpe);
			for (size_t k = 0; k < recs[i].nconfigs; k++)
				for (size_t m = 0; m < recs[i].configs[k].nnodes; m++)
					add_node(&ps, &recs[i].configs[k].nodes[m], 0);
		}
		if (ps.n)
			qsort(ps.p, ps.n, sizeof *ps.p, pair_cmp);
		struct dict_args d = { &ps, next, 0 };
		rc = db_tx(db, true, dict_tx, &d, err);
		free(ps.p);
		arena_free(&ps.a);
		arena_free(&a);
		if (rc != BW_OK)
			break;
		total += d.added;
		marker = next;
	}
	if (total)
		components_dictionary_reset();
	if (added)
		*added = total;
	return rc;
}

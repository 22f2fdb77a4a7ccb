/*
 * match: the inventory against the feeds, as a job. A full run matches the
 * whole estate against the whole compiled feed (the engine's walk over the
 * feed's criteria); an incremental run matches only the vulnerability ids
 * named by feed changes after the stored marker (each of their records
 * against the whole estate) and the systems whose components changed after
 * the stored high-water mark (each component against the feed's index).
 * Both write the hits in short transactions of multi-row upserts stamped
 * with the run's number, then retire what the run covered but did not hit.
 *
 * The estate lives only inside the run (a job thread), never in a request
 * thread; the compiled feed is kept for the next run (see feed_get).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exposures/exposures_int.h"
#include "feeds/feeds.h"

#define ROWS_PER_STMT 50       /* rows of one multi-row upsert */
#define ROWS_PER_TX   1000     /* rows of one write transaction */
#define NCOLS         15

/* ---- a small string set / map (open addressing) ---- */

struct smap {
	const char **k;
	void **v;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static void smap_free(struct smap *m)
{
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof *m);
}

static void smap_grow(struct smap *m)
{
	struct smap n = { calloc(m->cap ? m->cap * 2 : 64, sizeof(char *)), calloc(m->cap ? m->cap * 2 : 64, sizeof(void *)),
			  m->cap ? m->cap * 2 : 64, 0 };
	if (!n.k || !n.v)
		abort();
	for (size_t i = 0; i < m->cap; i++)
		if (m->k[i]) {
			size_t j = hash_str(m->k[i]) & (n.cap - 1);
			while (n.k[j])
				j = (j + 1) & (n.cap - 1);
			n.k[j] = m->k[i];
			n.v[j] = m->v[i];
			n.n++;
		}
	smap_free(m);
	*m = n;
}

/* The slot of key k (empty when absent). */
static size_t smap_slot(struct smap *m, const char *k)
{
	if ((m->n + 1) * 2 > m->cap)
		smap_grow(m);
	size_t j = hash_str(k) & (m->cap - 1);
	while (m->k[j] && strcmp(m->k[j], k))
		j = (j + 1) & (m->cap - 1);
	return j;
}

static void **smap_get(struct smap *m, const char *k)
{
	if (!m->cap)
		return NULL;
	size_t j = hash_str(k) & (m->cap - 1);
	while (m->k[j] && strcmp(m->k[j], k))
		j = (j + 1) & (m->cap - 1);
	return m->k[j] ? &m->v[j] : NULL;
}

/* Adds k (kept by pointer: it must outlive the map); false if present. */
static bool smap_put(struct smap *m, const char *k, void *v)
{
	size_t j = smap_slot(m, k);
	if (m->k[j])
		return false;
	m->k[j] = k;
	m->v[j] = v;
	m->n++;
	return true;
}

/* ---- one run ---- */

struct comp {
	int64_t id, org_id, system_id;
	const char *norm_vendor, *norm_product, *version;
};

struct hit {
	uint32_t comp;
	uint8_t answer, weak;
	const char *vuln, *criterion, *evidence;
};

struct run {
	struct db *db;
	struct arena a;            /* estate strings, hit strings */
	struct comp *comps;
	size_t ncomps;
	struct match_estate *e;
	struct hit *hits;
	size_t nhits, cap;
	size_t cur;                /* the component match_component_feed is asked about */
	int64_t run, now;
	struct exposures_run *out;
};

static void on_hit(void *ctx, const struct match_hit *h)
{
	struct run *r = ctx;
	if (h->answer == MATCH_NOT_AFFECTED)
		return;
	if (r->nhits == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		struct hit *n = realloc(r->hits, r->cap * sizeof *n);
		if (!n)
			abort();
		r->hits = n;
	}
	size_t ci = h->component == SIZE_MAX ? r->cur : h->component;
	r->hits[r->nhits++] = (struct hit){ (uint32_t)ci, (uint8_t)h->answer, h->weak,
					    arena_strdup(&r->a, h->rec && h->rec->id ? h->rec->id : "?"),
					    arena_strdup(&r->a, h->criterion ? h->criterion : ""),
					    arena_strdup(&r->a, h->evidence ? h->evidence : "") };
}

/* Loads every component of a registered system into the estate. CPE and
 * purl objects are parsed once per distinct string. */
static enum bw_err load_estate(struct run *r, struct bw_error *err)
{
	r->e = match_estate_new();
	size_t cap = 0;
	struct smap cpes = { 0 }, purls = { 0 };
	struct db_stmt *st = db_prep(r->db, "SELECT c.id, c.org_id, c.system_id, c.vendor, c.product, c.version, c.cpe, c.purl,"
					    " c.norm_vendor, c.norm_product FROM components c JOIN systems s ON s.id = c.system_id"
					    " ORDER BY c.id");
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (r->ncomps == cap) {
			cap = cap ? cap * 2 : 1024;
			struct comp *n = realloc(r->comps, cap * sizeof *n);
			if (!n)
				abort();
			r->comps = n;
		}
		struct comp *c = &r->comps[r->ncomps];
		c->id = db_col_i64(st, 0);
		c->org_id = db_col_i64(st, 1);
		c->system_id = db_col_i64(st, 2);
		c->version = arena_strdup(&r->a, db_col_text(st, 5) ? db_col_text(st, 5) : "");
		c->norm_vendor = arena_strdup(&r->a, db_col_text(st, 8) ? db_col_text(st, 8) : "");
		c->norm_product = arena_strdup(&r->a, db_col_text(st, 9) ? db_col_text(st, 9) : "");
		struct match_component mc = { 0 };
		mc.id = arena_printf(&r->a, "component %lld", (long long)c->id);
		mc.vendor = arena_strdup(&r->a, db_col_text(st, 3) ? db_col_text(st, 3) : "");
		mc.product = arena_strdup(&r->a, db_col_text(st, 4) ? db_col_text(st, 4) : "");
		mc.version = *c->version ? c->version : NULL;   /* no version: the engine answers "cannot tell" */
		mc.system = arena_printf(&r->a, "%lld", (long long)c->system_id);
		const char *cpe = db_col_text(st, 6), *purl = db_col_text(st, 7);
		if (cpe && *cpe) {
			void **got = smap_get(&cpes, cpe);
			if (got) {
				mc.cpe = *got;
			} else {
				struct match_cpe *p = arena_alloc(&r->a, sizeof *p);
				struct bw_error e = { 0 };
				if (match_cpe_parse(str_c(cpe), p, &e) != BW_OK)
					p = NULL;   /* stored CPEs were checked on the way in; matched by name instead */
				smap_put(&cpes, arena_strdup(&r->a, cpe), p);
				mc.cpe = p;
			}
		}
		if (purl && *purl) {
			void **got = smap_get(&purls, purl);
			if (got) {
				mc.purl = *got;
			} else {
				struct match_purl *p = arena_alloc(&r->a, sizeof *p);
				struct bw_error e = { 0 };
				if (match_purl_parse(&r->a, str_c(purl), p, &e) != BW_OK)
					p = NULL;
				smap_put(&purls, arena_strdup(&r->a, purl), p);
				mc.purl = p;
			}
		}
		match_estate_add(r->e, &mc);
		r->ncomps++;
	}
	smap_free(&cpes);
	smap_free(&purls);
	if (rc == DB_ERR)
		return db_fail(r->db, err, "components");
	match_estate_build(r->e);
	return BW_OK;
}

/* Affected wins, then a real unknown, then a weak one (match_result_merge's order). */
static int strength(const struct hit *h)
{
	return h->answer == MATCH_AFFECTED ? 2 : h->weak ? 0 : 1;
}

static int hit_cmp(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;
	if (a->comp != b->comp)
		return a->comp < b->comp ? -1 : 1;
	int c = strcmp(a->vuln, b->vuln);
	if (c)
		return c;
	return strength(b) - strength(a);   /* strongest first within a pair */
}

/* Sorts and keeps one hit per (component, vulnerability): the strongest. */
static void merge_hits(struct run *r)
{
	if (!r->nhits)
		return;
	qsort(r->hits, r->nhits, sizeof *r->hits, hit_cmp);
	size_t w = 0;
	for (size_t i = 0; i < r->nhits; i++)
		if (!w || r->hits[w - 1].comp != r->hits[i].comp || strcmp(r->hits[w - 1].vuln, r->hits[i].vuln))
			r->hits[w++] = r->hits[i];
	r->nhits = w;
}

/* ---- writing ---- */

static pthread_once_t sql_once = PTHREAD_ONCE_INIT;
static char sql_multi[ROWS_PER_STMT * 110 + 1200];
static char sql_one[1400];

#define UPSERT_HEAD "INSERT INTO exposures (org_id, system_id, component_id, vuln_id, norm_vendor, norm_product, version," \
	" answer, weak, criterion, evidence, first_seen, last_seen, run, since_run) VALUES "
/* A row back after being gone starts a new "since"; a current one keeps its own. */
#define UPSERT_TAIL " ON CONFLICT (component_id, vuln_id) DO UPDATE SET org_id = excluded.org_id," \
	" system_id = excluded.system_id, norm_vendor = excluded.norm_vendor, norm_product = excluded.norm_product," \
	" version = excluded.version, answer = excluded.answer, weak = excluded.weak, criterion = excluded.criterion," \
	" evidence = excluded.evidence, last_seen = excluded.last_seen, run = excluded.run," \
	" since_run = CASE WHEN exposures.gone_at IS NULL THEN exposures.since_run ELSE excluded.since_run END," \
	" reappeared_at = CASE WHEN exposures.gone_at IS NULL THEN exposures.reappeared_at ELSE excluded.last_seen END," \
	" gone_at = NULL"

/* The statements' text is fixed: only the number of placeholder groups is
 * computed, never a value. */
static void sql_build(void)
{
	struct buf b;
	buf_init(&b);
	for (int pass = 0; pass < 2; pass++) {
		int rows = pass ? 1 : ROWS_PER_STMT;
		buf_reset(&b);
		buf_puts(&b, UPSERT_HEAD);
		for (int i = 0; i < rows; i++) {
			buf_puts(&b, i ? ",(" : "(");
			for (int k = 1; k <= NCOLS; k++)
				buf_printf(&b, "%s?%d", k > 1 ? "," : "", i * NCOLS + k);
			buf_putc(&b, ')');
		}
		buf_puts(&b, UPSERT_TAIL);
		char *dst = pass ? sql_one : sql_multi;
		size_t cap = pass ? sizeof sql_one : sizeof sql_multi;
		if (b.len >= cap)
			abort();   /* the buffers are sized for this text */
		memcpy(dst, b.p, b.len + 1);
	}
	buf_free(&b);
}

static void bind_row(struct db_stmt *st, int base, const struct run *r, const struct hit *h)
{
	const struct comp *c = &r->comps[h->comp];
	db_bind_i64(st, base + 1, c->org_id);
	db_bind_i64(st, base + 2, c->system_id);
	db_bind_i64(st, base + 3, c->id);
	db_bind_text(st, base + 4, h->vuln);
	db_bind_text(st, base + 5, c->norm_vendor);
	db_bind_text(st, base + 6, c->norm_product);
	db_bind_text(st, base + 7, c->version);
	db_bind_text(st, base + 8, h->answer == MATCH_AFFECTED ? "affected" : "unknown");
	db_bind_i64(st, base + 9, h->weak);
	db_bind_text(st, base + 10, h->criterion);
	db_bind_text(st, base + 11, h->evidence);
	db_bind_i64(st, base + 12, r->now);
	db_bind_i64(st, base + 13, r->now);
	db_bind_i64(st, base + 14, r->run);
	db_bind_i64(st, base + 15, r->run);
}

struct write_args {
	struct run *r;
	size_t from, to;
};

static enum bw_err write_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct write_args *w = arg;
	size_t i = w->from;
	while (w->to - i >= ROWS_PER_STMT) {
		struct db_stmt *st = db_prep(db, sql_multi);
		for (int k = 0; k < ROWS_PER_STMT; k++)
			bind_row(st, k * NCOLS, w->r, &w->r->hits[i + (size_t)k]);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "exposures");
		i += ROWS_PER_STMT;
	}
	for (; i < w->to; i++) {
		struct db_stmt *st = db_prep(db, sql_one);
		bind_row(st, 0, w->r, &w->r->hits[i]);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "exposures");
	}
	return BW_OK;
}

static enum bw_err write_hits(struct run *r, struct bw_error *err)
{
	pthread_once(&sql_once, sql_build);
	for (size_t from = 0; from < r->nhits; from += ROWS_PER_TX) {
		struct write_args w = { r, from, from + ROWS_PER_TX < r->nhits ? from + ROWS_PER_TX : r->nhits };
		enum bw_err rc = db_tx(r->db, true, write_tx, &w, err);
		if (rc != BW_OK)
			return rc;
	}
	return BW_OK;
}

/* ---- state ---- */

static int64_t state_get(struct db *db, const char *name, int64_t dflt)
{
	struct db_stmt *st = db_prep(db, "SELECT value FROM exposure_state WHERE name = ?1");
	db_bind_text(st, 1, name);
	int64_t v = dflt;
	if (db_step(st) == DB_ROW) {
		v = db_col_i64(st, 0);
		db_reset(st);
	}
	return v;
}

static enum bw_err state_set(struct db *db, const char *name, int64_t v, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "INSERT INTO exposure_state (name, value) VALUES (?1, ?2)"
					 " ON CONFLICT (name) DO UPDATE SET value = excluded.value");
	db_bind_text(st, 1, name);
	db_bind_i64(st, 2, v);
	return db_step(st) == DB_ERR ? db_fail(db, err, "exposure state") : BW_OK;
}

static enum bw_err next_run_tx(struct db *db, void *arg, struct bw_error *err)
{
	int64_t *run = arg;
	/* past every stamp already written, even if the counter row was lost */
	int64_t last = db_query_i64(db, "SELECT coalesce(max(run), 0) FROM exposures", 0);
	*run = state_get(db, "run", 0);
	*run = (*run > last ? *run : last) + 1;
	return state_set(db, "run", *run, err);
}

/* ---- retiring what was not hit ---- */

struct finish_args {
	struct run *r;
	bool full;
	const char *const *vulns;   /* incremental: the ids re-matched */
	size_t nvulns;
	const int64_t *systems;     /* incremental: the systems re-matched */
	size_t nsystems;
	int64_t marker, hw;
	int64_t gone;
	int64_t ics_applied;
};

static enum bw_err finish_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct finish_args *f = arg;
	f->gone = 0;
	struct db_stmt *st;
	if (f->full) {
		st = db_prep(db, "UPDATE exposures SET gone_at = ?1 WHERE gone_at IS NULL AND run <> ?2");
		db_bind_i64(st, 1, f->r->now);
		db_bind_i64(st, 2, f->r->run);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "exposures");
		f->gone += db_changes(db);
	}
	for (size_t i = 0; i < f->nvulns; i++) {
		st = db_prep(db, "UPDATE exposures SET gone_at = ?1 WHERE gone_at IS NULL AND run <> ?2 AND vuln_id = ?3");
		db_bind_i64(st, 1, f->r->now);
		db_bind_i64(st, 2, f->r->run);
		db_bind_text(st, 3, f->vulns[i]);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "exposures");
		f->gone += db_changes(db);
	}
	for (size_t i = 0; i < f->nsystems; i++) {
		st = db_prep(db, "UPDATE exposures SET gone_at = ?1 WHERE gone_at IS NULL AND run <> ?2 AND system_id = ?3");
		db_bind_i64(st, 1, f->r->now);
		db_bind_i64(st, 2, f->r->run);
		db_bind_i64(st, 3, f->systems[i]);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "exposures");
		f->gone += db_changes(db);
	}
	/* components removed (or whose system was): their exposures are gone */
	st = db_prep(db, "UPDATE exposures SET gone_at = ?1 WHERE gone_at IS NULL AND NOT EXISTS (SELECT 1 FROM components c"
			 " JOIN systems s ON s.id = c.system_id WHERE c.id = exposures.component_id)");
	db_bind_i64(st, 1, f->r->now);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "exposures");
	f->gone += db_changes(db);
	enum bw_err rc = exposures_ics_apply_new(db, f->r->run, &f->ics_applied, err);
	if (rc == BW_OK)
		rc = state_set(db, "marker", f->marker, err);
	if (rc == BW_OK)
		rc = state_set(db, "comp_hw", f->hw, err);
	if (rc == BW_OK)
		rc = state_set(db, "full_done", 1, err);
	return rc;
}

/* ---- the compiled feed, kept between runs ----
 * Compiling the whole feed is most of an incremental run's time (41 s of a
 * national one). feed_changes only grows and every change to the stored
 * records adds a row to it, so (database instance, last change id, its
 * time) names one state of the feed. Runs may overlap (job threads): each
 * holds a reference, and a replaced feed is freed by its last holder. */

struct cached_feed {
	int64_t instance, marker, at;
	struct arena a;            /* the records' strings */
	struct match_feed *feed;
	int refs;
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cached_feed *cache_cur;

static void cached_unref_locked(struct cached_feed *c)
{
	if (c && --c->refs == 0) {
		if (c->feed)
			match_feed_free(c->feed);
		arena_free(&c->a);
		free(c);
	}
}

static void cached_release(struct cached_feed *c)
{
	pthread_mutex_lock(&cache_mu);
	cached_unref_locked(c);
	pthread_mutex_unlock(&cache_mu);
}

void exposures_feed_cache_drop(void)
{
	pthread_mutex_lock(&cache_mu);
	cached_unref_locked(cache_cur);
	cache_cur = NULL;
	pthread_mutex_unlock(&cache_mu);
}

/* A random number kept in the database, so that a cached feed is never
 * taken for another database's with the same change count. */
static int64_t db_instance(struct db *db)
{
	int64_t v = state_get(db, "instance", 0);
	if (v)
		return v;
	uint64_t rnd;
	bw_random(&rnd, sizeof rnd);
	v = (int64_t)(rnd >> 2) + 1;
	struct db_stmt *st = db_prep(db, "INSERT INTO exposure_state (name, value) VALUES ('instance', ?1)"
					 " ON CONFLICT (name) DO NOTHING");
	db_bind_i64(st, 1, v);
	if (db_step(st) == DB_ERR)
		return 0;   /* no caching without it */
	return state_get(db, "instance", 0);
}

/* The compiled feed of the database's current feed state: the cached one
 * when it is that state's, else loaded (and cached). */
static enum bw_err feed_get(struct db *db, struct cached_feed **out, bool *cached, struct bw_error *err)
{
	*out = NULL;
	*cached = false;
	int64_t inst = db_instance(db);
	int64_t marker = -1, at = -1;
	/* read before loading: a sync landing meanwhile only makes the next run reload */
	struct db_stmt *st = db_prep(db, "SELECT coalesce(max(id), 0), coalesce(max(at), 0) FROM feed_changes");
	if (db_step(st) == DB_ROW) {
		marker = db_col_i64(st, 0);
		at = db_col_i64(st, 1);
		db_reset(st);
	}
	pthread_mutex_lock(&cache_mu);
	struct cached_feed *c = cache_cur;
	if (c && inst && c->instance == inst && c->marker == marker && c->at == at) {
		c->refs++;
		pthread_mutex_unlock(&cache_mu);
		*out = c;
		*cached = true;
		return BW_OK;
	}
	pthread_mutex_unlock(&cache_mu);
	c = calloc(1, sizeof *c);
	if (!c)
		abort();
	arena_init(&c->a);
	c->instance = inst;
	c->marker = marker;
	c->at = at;
	c->refs = 1;
	if (feeds_feed_load(db, &c->a, &c->feed, err) != BW_OK) {
		arena_free(&c->a);
		free(c);
		return err->code;
	}
	if (inst && marker >= 0) {
		pthread_mutex_lock(&cache_mu);
		cached_unref_locked(cache_cur);
		cache_cur = c;
		c->refs++;
		pthread_mutex_unlock(&cache_mu);
	}
	*out = c;
	return BW_OK;
}

/* ---- the run ---- */

static int64_t count_removed(struct db *db)
{
	return db_query_i64(db, "SELECT count(*) FROM exposures e WHERE e.gone_at IS NULL AND NOT EXISTS (SELECT 1 FROM"
				" components c JOIN systems s ON s.id = c.system_id WHERE c.id = e.component_id)", 0);
}

/* The systems with a component changed at or after hw (every component of
 * such a system is matched again: NVD platform configurations read a
 * component's neighbours). */
static enum bw_err changed_systems(struct db *db, int64_t hw, int64_t **out, size_t *n, struct bw_error *err)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	struct db_stmt *st = db_prep(db, "SELECT DISTINCT system_id FROM components WHERE updated_at >= ?1 ORDER BY system_id");
	db_bind_i64(st, 1, hw);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			int64_t *v = realloc(*out, cap * sizeof *v);
			if (!v)
				abort();
			*out = v;
		}
		(*out)[(*n)++] = db_col_i64(st, 0);
	}
	return rc == DB_ERR ? db_fail(db, err, "components") : BW_OK;
}

static int i64_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

enum bw_err exposures_match(struct db *db, bool full, struct exposures_run *out, struct bw_error *err)
{
	struct exposures_run dummy;
	if (!out)
		out = &dummy;
	memset(out, 0, sizeof *out);
	int64_t t0 = bw_now_ms();
	struct run r = { .db = db, .out = out };
	arena_init(&r.a);
	struct cached_feed *cf = NULL;
	struct match_feed *feed = NULL;
	int64_t *systems = NULL;
	size_t nsystems = 0;
	const char **vulns = NULL;
	size_t nvulns = 0;
	struct smap vset = { 0 };
	enum bw_err rc = BW_OK;

	r.now = bw_now();
	int64_t feed_max = db_query_i64(db, "SELECT coalesce(max(id), 0) FROM feed_changes", 0);
	int64_t marker = state_get(db, "marker", 0), hw = state_get(db, "comp_hw", 0);
	if (!state_get(db, "full_done", 0))
		full = true;
	int64_t next_marker = feed_max;

	if (!full) {
		rc = changed_systems(db, hw, &systems, &nsystems, err);
		if (rc != BW_OK)
			goto done;
		struct feeds_change *ch = NULL;
		size_t nch = 0;
		if (feed_max > marker) {
			rc = feeds_changes_since(db, &r.a, marker, EXPOSURES_LIM_CHANGES + 1, &ch, &nch, err);
			if (rc != BW_OK)
				goto done;
		}
		if (nch > EXPOSURES_LIM_CHANGES) {
			full = true;
		} else {
			for (size_t i = 0; i < nch && !full; i++) {
				/* a CSAF document names its advisory, not the CVEs inside it: what an
				 * updated or withdrawn one used to say is not known here */
				if (ch[i].kind == FEEDS_CSAF && strcmp(ch[i].change, "added"))
					full = true;
				smap_put(&vset, ch[i].record_id, NULL);
			}
			if (nch)
				next_marker = ch[nch - 1].id;
			if (!full && nch) {
				struct match_record *recs;
				size_t nrec;
				int64_t next;
				rc = feeds_changed_records(db, &r.a, marker, EXPOSURES_LIM_CHANGES + 1, &recs, &nrec, &next, err);
				if (rc != BW_OK)
					goto done;
				for (size_t i = 0; i < nrec; i++)
					if (recs[i].id)
						smap_put(&vset, arena_strdup(&r.a, recs[i].id), NULL);
			}
		}
		if (!full && !nsystems && !vset.n && feed_max == marker && count_removed(db) == 0) {
			out->nothing = true;
			goto done;
		}
	}
	if (full) {
		smap_free(&vset);
		free(systems);
		systems = NULL;
		nsystems = 0;
		next_marker = feed_max;
	}
	out->full = full;

	rc = db_tx(db, true, next_run_tx, &r.run, err);
	if (rc == BW_OK)
		rc = load_estate(&r, err);
	int64_t t_estate = bw_now_ms();
	if (rc == BW_OK && (full || vset.n || nsystems)) {
		rc = feed_get(db, &cf, &out->feed_cached, err);
		feed = cf ? cf->feed : NULL;
	}
	int64_t t_feed = bw_now_ms();
	if (rc != BW_OK)
		goto done;

	if (full) {
		out->records = (int64_t)match_feed_count(feed);
		out->components = (int64_t)r.ncomps;
		match_estate_feed(r.e, feed, on_hit, &r);
	} else {
		size_t nf = feed ? match_feed_count(feed) : 0;
		for (size_t i = 0; i < nf && vset.n; i++) {
			const struct match_record *rec = match_feed_record(feed, i);
			if (rec->id && smap_get(&vset, rec->id)) {
				out->records++;
				match_advisory_estate(r.e, rec, on_hit, &r);
			}
		}
		out->vulns = (int64_t)vset.n;
		vulns = calloc(vset.n ? vset.n : 1, sizeof *vulns);
		if (!vulns)
			abort();
		for (size_t i = 0; i < vset.cap; i++)
			if (vset.k[i])
				vulns[nvulns++] = vset.k[i];
		/* every component of a changed system, through the feed's index */
		if (nsystems)
			qsort(systems, nsystems, sizeof *systems, i64_cmp);
		for (size_t i = 0; i < r.ncomps && feed && nsystems; i++) {
			if (!bsearch(&r.comps[i].system_id, systems, nsystems, sizeof *systems, i64_cmp))
				continue;
			out->components++;
			r.cur = i;
			match_component_feed(feed, r.e, match_estate_component(r.e, i), on_hit, &r);
		}
	}
	merge_hits(&r);
	int64_t t_match = bw_now_ms();
	rc = write_hits(&r, err);
	if (rc != BW_OK)
		goto done;
	struct finish_args f = { &r, full, vulns, nvulns, systems, nsystems, next_marker, r.now - EXPOSURES_HW_OVERLAP_S, 0, 0 };
	rc = db_tx(db, true, finish_tx, &f, err);
	if (rc != BW_OK)
		goto done;
	out->gone = f.gone;
	out->ics_applied = f.ics_applied;
	{
		struct db_stmt *st = db_prep(db, "SELECT count(*) FROM exposures WHERE run = ?1 AND since_run = ?1");
		db_bind_i64(st, 1, r.run);
		if (db_step(st) == DB_ROW) {
			out->added = db_col_i64(st, 0);
			db_reset(st);
		}
	}
	out->hits = (int64_t)r.nhits;
	log_info("exposures: %s run %lld: %lld records, %lld components, %lld hits, %lld new, %lld gone"
		 " (ms: estate %lld, feed %lld%s, match %lld, write %lld)",
		 full ? "full" : "incremental", (long long)r.run, (long long)out->records, (long long)out->components,
		 (long long)out->hits, (long long)out->added, (long long)out->gone, (long long)(t_estate - t0),
		 (long long)(t_feed - t_estate), out->feed_cached ? " cached" : "", (long long)(t_match - t_feed), (long long)(bw_now_ms() - t_match));
done:
	out->duration_ms = bw_now_ms() - t0;
	if (cf)
		cached_release(cf);
	if (r.e)
		match_estate_free(r.e);
	free(r.comps);
	free(r.hits);
	free(systems);
	free(vulns);
	smap_free(&vset);
	arena_free(&r.a);
	return rc;
}

enum bw_err exposures_job_run(struct db *db, const struct db_job *job, struct bw_error *err)
{
	bool full = job && job->payload && !strcmp(job->payload, "full");
	return exposures_match(db, full, NULL, err);
}

/* ---- `bulwark exposures match` ---- */

static int usage(void)
{
	fprintf(stderr, "usage: %s\n", EXPOSURES_USAGE);
	return 2;
}

int exposures_cli(int argc, char **argv)
{
	const char *url = getenv("BULWARK_DB");
	bool full = false, match = false;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--db") && i + 1 < argc)
			url = argv[++i];
		else if (!strncmp(argv[i], "--db=", 5))
			url = argv[i] + 5;
		else if (!strcmp(argv[i], "--full"))
			full = true;
		else if (!strcmp(argv[i], "match") && !match)
			match = true;
		else
			return usage();
	}
	if (!match)
		return usage();
	struct bw_error err = { 0 };
	struct db *db;
	if (db_open(&db, url && *url ? url : "var/bulwark.db", &err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		return 1;
	}
	if (db_query_i64(db, "SELECT count(*) FROM exposure_state", -1) < 0) {
		fprintf(stderr, "bulwark: the database has no exposures tables yet; run bulwark init or serve once first\n");
		db_close(db);
		return 1;
	}
	struct exposures_run res;
	int rc = 0;
	if (exposures_match(db, full, &res, &err) != BW_OK) {
		fprintf(stderr, "bulwark: matching failed: %s\n", err.msg);
		rc = 1;
	} else if (res.nothing) {
		printf("Nothing changed since the last run.\n");
	} else {
		printf("%s run: %lld feed records, %lld components matched; %lld current exposures written,"
		       " %lld new, %lld no longer current (%lld ms)\n",
		       res.full ? "Full" : "Incremental", (long long)res.records, (long long)res.components,
		       (long long)res.hits, (long long)res.added, (long long)res.gone, (long long)res.duration_ms);
	}
	db_close(db);
	return rc;
}

/*
 * target: which organisations run a product an advisory names, for the
 * alerts module's "organisations whose inventory is exposed" targeting. An
 * advisory about a product with no CVE id yet has no row in the exposures
 * table, so its compiled criteria are matched here, once, against the
 * components that could share an identity with them, by the same engine
 * call the matching job makes for one changed record
 * (match_advisory_estate).
 *
 * Only candidate components are read: those whose folded product or
 * vendor is one the criteria name (both columns are indexed), so a
 * national estate of two million components is not loaded to answer for
 * one product. The engine then decides on CPE, purl and version exactly as
 * the matching job does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exposures/exposures.h"
#include "match/match.h"

/* Identity keys of the criteria, folded as components' norm_* columns are. */
struct keys {
	char v[EXPOSURES_TARGET_KEYS][256];
	size_t n;
};

static void key_add(struct keys *k, const char *raw, size_t len)
{
	char in[256], folded[256];
	snprintf(in, sizeof in, "%.*s", (int)(len < 255 ? len : 255), raw);
	match_norm_name(in, folded, sizeof folded);
	if (!*folded || strcmp(folded, "*") == 0)
		return;
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->v[i], folded) == 0)
			return;
	if (k->n < EXPOSURES_TARGET_KEYS)
		snprintf(k->v[k->n++], sizeof k->v[0], "%s", folded);
}

static void criterion_keys(const struct match_criterion *c, struct keys *products, struct keys *vendors)
{
	if (c->kind == MATCH_ID_CPE && c->cpe) {
		struct str v = match_cpe_body(c->cpe, MATCH_CPE_VENDOR), p = match_cpe_body(c->cpe, MATCH_CPE_PRODUCT);
		key_add(vendors, v.p, v.n);
		key_add(products, p.p, p.n);
	} else if (c->kind == MATCH_ID_PURL && c->purl) {
		if (c->purl->namespace_)
			key_add(vendors, c->purl->namespace_, strlen(c->purl->namespace_));
		if (c->purl->name)
			key_add(products, c->purl->name, strlen(c->purl->name));
	} else if (c->kind == MATCH_ID_PRODUCT) {
		if (c->vendor)
			key_add(vendors, c->vendor, strlen(c->vendor));
		if (c->product)
			key_add(products, c->product, strlen(c->product));
	}
}

struct found {
	const int64_t *comp_org;   /* organisation of each estate component */
	int64_t *orgs;
	size_t n, cap;
};

static void on_hit(void *ctx, const struct match_hit *h)
{
	struct found *f = ctx;
	/* affected, or cannot tell (a real unknown, as the exposures list
	 * shows it); a weak unknown is only an unsupported rule type */
	if (h->answer == MATCH_NOT_AFFECTED || (h->answer == MATCH_UNKNOWN && h->weak) || h->component == SIZE_MAX)
		return;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		int64_t *n = realloc(f->orgs, f->cap * sizeof *n);
		if (!n)
			abort();
		f->orgs = n;
	}
	f->orgs[f->n++] = f->comp_org[h->component];
}

static int i64_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

/* One parsed CPE or purl per row: a candidate set is small, so no cache. */
static void component_of(struct arena *a, struct db_stmt *st, struct match_component *mc)
{
	memset(mc, 0, sizeof *mc);
	mc->id = arena_printf(a, "component %lld", (long long)db_col_i64(st, 0));
	mc->vendor = arena_strdup(a, db_col_text(st, 3) ? db_col_text(st, 3) : "");
	mc->product = arena_strdup(a, db_col_text(st, 4) ? db_col_text(st, 4) : "");
	const char *ver = db_col_text(st, 5);
	mc->version = ver && *ver ? arena_strdup(a, ver) : NULL;   /* no version: "cannot tell" */
	mc->system = arena_printf(a, "%lld", (long long)db_col_i64(st, 2));
	const char *cpe = db_col_text(st, 6), *purl = db_col_text(st, 7);
	struct bw_error e = { 0 };
	if (cpe && *cpe) {
		struct match_cpe *p = arena_alloc(a, sizeof *p);
		mc->cpe = match_cpe_parse(str_c(cpe), p, &e) == BW_OK ? p : NULL;
	}
	if (purl && *purl) {
		struct match_purl *p = arena_alloc(a, sizeof *p);
		mc->purl = match_purl_parse(a, str_c(purl), p, &e) == BW_OK ? p : NULL;
	}
}

enum bw_err exposures_orgs_running(struct db *db, const struct match_record *rec, int64_t **orgs, size_t *n,
				   struct bw_error *err)
{
	*orgs = NULL;
	*n = 0;
	struct keys *products = calloc(1, sizeof *products), *vendors = calloc(1, sizeof *vendors);
	if (!products || !vendors)
		abort();
	for (size_t i = 0; i < rec->ncrit; i++)
		criterion_keys(&rec->crit[i], products, vendors);
	enum bw_err rc = BW_OK;
	if (!products->n) {
		free(products);
		free(vendors);
		return BW_OK;   /* nothing with a product name: nothing to find */
	}
	/* ?1..?K products, then vendors; at most 2 * EXPOSURES_TARGET_KEYS numbers */
	struct buf q;
	buf_init(&q);
	buf_puts(&q, "SELECT c.id, c.org_id, c.system_id, c.vendor, c.product, c.version, c.cpe, c.purl"
		     " FROM components c JOIN systems s ON s.id = c.system_id WHERE c.name_id IN"
		     " (SELECT id FROM component_names WHERE norm_product IN (");
	for (size_t i = 0; i < products->n; i++)
		buf_printf(&q, "%s?%zu", i ? ", " : "", i + 1);
	buf_puts(&q, ")");
	if (vendors->n) {
		buf_puts(&q, " OR norm_vendor IN (");
		for (size_t i = 0; i < vendors->n; i++)
			buf_printf(&q, "%s?%zu", i ? ", " : "", products->n + i + 1);
		buf_puts(&q, ")");
	}
	buf_puts(&q, ") ORDER BY c.id");
	struct db_stmt *st = db_prep(db, buf_cstr(&q));
	for (size_t i = 0; i < products->n; i++)
		db_bind_text(st, (int)i + 1, products->v[i]);
	for (size_t i = 0; i < vendors->n; i++)
		db_bind_text(st, (int)(products->n + i + 1), vendors->v[i]);
	struct arena a;
	arena_init(&a);
	struct match_estate *e = match_estate_new();
	int64_t *comp_org = NULL;
	size_t ncomp = 0, cap = 0;
	int step;
	while ((step = db_step(st)) == DB_ROW) {
		if (ncomp == cap) {
			cap = cap ? cap * 2 : 256;
			int64_t *nc = realloc(comp_org, cap * sizeof *nc);
			if (!nc)
				abort();
			comp_org = nc;
		}
		struct match_component mc;
		component_of(&a, st, &mc);
		comp_org[ncomp++] = db_col_i64(st, 1);
		match_estate_add(e, &mc);
	}
	if (step == DB_ERR)
		rc = db_fail(db, err, "reading the inventory");
	if (rc == BW_OK && ncomp) {
		match_estate_build(e);
		struct found f = { .comp_org = comp_org };
		match_advisory_estate(e, rec, on_hit, &f);
		if (f.n) {
			qsort(f.orgs, f.n, sizeof *f.orgs, i64_cmp);
			size_t w = 0;
			for (size_t i = 0; i < f.n; i++)
				if (!w || f.orgs[w - 1] != f.orgs[i])
					f.orgs[w++] = f.orgs[i];
			f.n = w;
		}
		*orgs = f.orgs;
		*n = f.n;
	}
	match_estate_free(e);
	free(comp_org);
	arena_free(&a);
	buf_free(&q);
	free(products);
	free(vendors);
	return rc;
}

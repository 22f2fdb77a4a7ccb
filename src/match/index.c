/*
 * index: the estate and feed indexes and the three matching operations
 * (whole estate x whole feed, one advisory x estate, one component x feed).
 *
 * The answer for a (record, component) pair is always pair_eval(): the
 * record's criteria and configurations whose identity can match the
 * component, evaluated and merged as match_record_eval does. The indexes
 * only choose which pairs to ask, and they may only leave out pairs whose
 * answer would be NOT_AFFECTED:
 *  - identity: a criterion is compared only with components whose identity
 *    keys overlap its own (see match.h for the rules);
 *  - version: when a criterion's default is "not affected", a component can
 *    only be affected or unknown inside one of the rules whose status (or
 *    a change in it) is not "not affected". Those intervals, widened to
 *    inclusive at both ends and to unbounded where a bound has no key, are
 *    looked up by binary search in the identity's variants sorted by key.
 *    Variants whose version cannot be keyed are always candidates.
 * Everything else (rules of a scheme the engine cannot order, a criterion
 * whose default is affected or unknown, a CPE criterion without ranges)
 * makes every variant of the identity a candidate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_int.h"

#define NONE UINT32_MAX
#define NAME_CAP 256

/* ---- small growable vectors and a string-keyed hash map ---- */

struct u32v {
	uint32_t *v;
	size_t n, cap;
};

static void u32_push(struct u32v *x, uint32_t v)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 4;
		x->v = realloc(x->v, x->cap * sizeof *x->v);
		if (!x->v)
			abort();
	}
	x->v[x->n++] = v;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void u32_sort_unique(struct u32v *x)
{
	if (x->n < 2)
		return;
	qsort(x->v, x->n, sizeof *x->v, cmp_u32);
	size_t w = 1;
	for (size_t i = 1; i < x->n; i++)
		if (x->v[i] != x->v[w - 1])
			x->v[w++] = x->v[i];
	x->n = w;
}

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ull;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

struct slot {
	uint64_t h;
	const char *k;
	uint32_t kn, v;
};

struct keymap {
	struct slot *s;
	size_t cap, n;
};

static void keymap_free(struct keymap *m)
{
	free(m->s);
	memset(m, 0, sizeof *m);
}

static void keymap_grow(struct keymap *m)
{
	size_t nc = m->cap ? m->cap * 2 : 256;
	struct slot *ns = calloc(nc, sizeof *ns);
	if (!ns)
		abort();
	for (size_t i = 0; i < nc; i++)
		ns[i].v = NONE;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->s[i].v == NONE)
			continue;
		size_t j = m->s[i].h & (nc - 1);
		while (ns[j].v != NONE)
			j = (j + 1) & (nc - 1);
		ns[j] = m->s[i];
	}
	free(m->s);
	m->s = ns;
	m->cap = nc;
}

/* The value for key k, or NONE; with a != NULL a missing key is added with
 * value *fresh (k copied into a). */
static uint32_t keymap_get(struct keymap *m, const char *k, size_t kn, struct arena *a,
			   uint32_t fresh)
{
	if (a && (m->n + 1) * 4 >= m->cap * 3)
		keymap_grow(m);
	if (!m->cap)
		return NONE;
	uint64_t h = hash_bytes(k, kn);
	size_t j = h & (m->cap - 1);
	while (m->s[j].v != NONE) {
		if (m->s[j].h == h && m->s[j].kn == kn && memcmp(m->s[j].k, k, kn) == 0)
			return m->s[j].v;
		j = (j + 1) & (m->cap - 1);
	}
	if (!a)
		return NONE;
	char *copy = arena_alloc(a, kn + 1);
	memcpy(copy, k, kn);
	m->s[j] = (struct slot){ h, copy, (uint32_t)kn, fresh };
	m->n++;
	return fresh;
}

/* ---- identity keys ---- */

static void norm_body(const struct match_cpe *c, enum match_cpe_attr at, char *out, size_t cap)
{
	char raw[NAME_CAP];
	struct str b = match_cpe_body(c, at);
	snprintf(raw, sizeof raw, "%.*s", (int)b.n, b.p);
	match_norm_name(raw, out, cap);
}

static bool cpe_concrete(const struct match_cpe *c, enum match_cpe_attr at)
{
	const struct match_cpe_value *v = &c->a[at];
	return v->kind == MATCH_CPE_VALUE && !v->pre_star && !v->post_star && !v->pre_q &&
	       !v->post_q && v->len > 0;
}

/* "type\0namespace\0name" ('\1' for no namespace) */
static size_t purl_key(const struct match_purl *p, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s%c%s%c%s", p->type ? p->type : "", 0,
			 p->namespace_ ? p->namespace_ : "\1", 0, p->name ? p->name : "");
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

struct compkey {
	bool vp, purl;
	char vendor[NAME_CAP], product[NAME_CAP];
	char pkey[MATCH_LIM_PURL];
	size_t pkn;
};

static void comp_keys(const struct match_component *c, struct compkey *k)
{
	k->vp = k->purl = false;
	k->vendor[0] = k->product[0] = 0;
	k->pkn = 0;
	if (c->purl && c->purl->type && c->purl->name) {
		k->purl = true;
		k->pkn = purl_key(c->purl, k->pkey, sizeof k->pkey);
	}
	if (c->cpe) {
		if (cpe_concrete(c->cpe, MATCH_CPE_PRODUCT)) {
			norm_body(c->cpe, MATCH_CPE_PRODUCT, k->product, sizeof k->product);
			if (cpe_concrete(c->cpe, MATCH_CPE_VENDOR))
				norm_body(c->cpe, MATCH_CPE_VENDOR, k->vendor, sizeof k->vendor);
		}
	} else if (c->product && *c->product) {
		match_norm_name(c->product, k->product, sizeof k->product);
		match_norm_name(c->vendor, k->vendor, sizeof k->vendor);
	}
	k->vp = k->product[0] != 0;
	if (!k->vp)
		k->vendor[0] = 0;
}

void match_component_keys(const struct match_component *c, bool *has_vp, char *vendor,
			  char *product, size_t cap, char *purl, size_t pcap)
{
	struct compkey *k = malloc(sizeof *k);
	if (!k)
		abort();
	comp_keys(c, k);
	*has_vp = k->vp;
	snprintf(vendor, cap, "%s", k->vendor);
	snprintf(product, cap, "%s", k->product);
	if (pcap) {
		purl[0] = 0;
		if (k->purl && c->purl->namespace_)
			snprintf(purl, pcap, "%s/%s/%s", c->purl->type, c->purl->namespace_, c->purl->name);
		else if (k->purl)
			snprintf(purl, pcap, "%s//%s", c->purl->type, c->purl->name);
	}
	free(k);
}

/* ---- what the feed knows of each criterion ---- */

enum ck_kind { CK_NONE = 0, CK_VP, CK_PURL };

struct cbound {
	enum match_scheme s;
	const uint8_t *lo, *hi; /* NULL: unbounded on that side */
	uint32_t lon, hin;
};

struct critkey {
	uint8_t kind;
	const char *vendor, *product; /* CK_PURL: product is the folded package name */
	const char *pkey;             /* CK_PURL */
	uint32_t pkn;
	const struct match_criterion *c;
	bool select_all;
	struct cbound *b;
	size_t nb;
};

struct cfginfo {
	struct critkey *k; /* its vulnerable criteria */
	size_t n;
	bool platform;     /* has platform criteria: needs the system */
};

struct recinfo {
	struct critkey *ck; /* one per rec->crit */
	struct cfginfo *cfg;
	size_t ncfg;
	bool needs_system;
};

static const uint8_t *key_copy(struct arena *a, const struct buf *k)
{
	uint8_t *p = arena_alloc(a, k->len ? k->len : 1);
	memcpy(p, k->p, k->len);
	return p;
}

/* A rule's candidate interval; false when it cannot narrow anything. */
static bool rule_bounds(struct arena *a, const struct match_rule *r, struct cbound *b)
{
	memset(b, 0, sizeof *b);
	b->s = r->scheme;
	if (!r->scheme_ok || r->all)
		return false;
	if (r->exact) {
		if (!r->lo.key || !r->lo.text)
			return false;
		/* a text-equal version has the plain key, which may differ
		 * from the bound key (RPM): take both */
		struct buf k;
		buf_init(&k);
		bool ok = match_version_key(r->scheme, str_c(r->lo.text), &k, NULL) == BW_OK;
		const uint8_t *plain = ok ? key_copy(a, &k) : NULL;
		uint32_t pn = (uint32_t)k.len;
		buf_free(&k);
		if (!plain)
			return false;
		bool lo_first = match_key_cmp(r->lo.key, r->lo.kn, plain, pn) <= 0;
		b->lo = lo_first ? r->lo.key : plain;
		b->lon = lo_first ? r->lo.kn : pn;
		b->hi = lo_first ? plain : r->lo.key;
		b->hin = lo_first ? pn : r->lo.kn;
		return true;
	}
	if (r->lo.kind != MATCH_UNBOUNDED && r->lo.key) {
		b->lo = r->lo.key;
		b->lon = r->lo.kn;
	}
	if (r->hi.kind != MATCH_UNBOUNDED && r->hi.key) {
		b->hi = r->hi.key;
		b->hin = r->hi.kn;
	}
	return b->lo || b->hi;
}

static bool rule_relevant(const struct match_rule *r)
{
	if (r->status != MATCH_NOT_AFFECTED)
		return true;
	for (size_t i = 0; i < r->nchanges; i++)
		if (r->changes[i].status != MATCH_NOT_AFFECTED || !r->changes[i].at.key)
			return true;
	return false;
}

static void crit_key(struct arena *a, const struct match_criterion *c, struct critkey *k)
{
	memset(k, 0, sizeof *k);
	k->c = c;
	char v[NAME_CAP], p[NAME_CAP];
	switch (c->kind) {
	case MATCH_ID_CPE:
		if (!c->cpe || !cpe_concrete(c->cpe, MATCH_CPE_VENDOR) ||
		    !cpe_concrete(c->cpe, MATCH_CPE_PRODUCT))
			return;
		norm_body(c->cpe, MATCH_CPE_VENDOR, v, sizeof v);
		norm_body(c->cpe, MATCH_CPE_PRODUCT, p, sizeof p);
		if (!*p)
			return;
		k->kind = CK_VP;
		k->vendor = arena_strdup(a, v);
		k->product = arena_strdup(a, p);
		break;
	case MATCH_ID_PRODUCT:
		if (!c->product || !*c->product)
			return;
		k->kind = CK_VP;
		k->vendor = c->vendor ? c->vendor : "";
		k->product = c->product;
		break;
	case MATCH_ID_PURL: {
		if (!c->purl || !c->purl->type || !c->purl->name)
			return;
		char pk[MATCH_LIM_PURL];
		size_t n = purl_key(c->purl, pk, sizeof pk);
		k->kind = CK_PURL;
		k->pkey = arena_strndup(a, pk, n);
		k->pkn = (uint32_t)n;
		match_norm_name(c->purl->name, p, sizeof p);
		k->product = arena_strdup(a, p);
		k->vendor = "";
		break;
	}
	}
	/* which versions can this criterion make a match? */
	if (c->nrules == 0) {
		/* no rules: the default decides (no_versions), or for a CPE
		 * its own version attribute, compared as a string */
		k->select_all = c->kind == MATCH_ID_CPE || c->dflt != MATCH_NOT_AFFECTED;
		return;
	}
	if (c->dflt != MATCH_NOT_AFFECTED) {
		k->select_all = true;
		return;
	}
	k->b = arena_alloc(a, c->nrules * sizeof *k->b);
	for (size_t i = 0; i < c->nrules; i++) {
		const struct match_rule *r = &c->rules[i];
		if (!rule_relevant(r))
			continue;
		if (!rule_bounds(a, r, &k->b[k->nb])) {
			k->select_all = true;
			return;
		}
		k->nb++;
	}
}

static void node_collect(struct arena *a, const struct match_node *n, struct critkey **out,
			 size_t *nout, size_t *cap, bool *platform)
{
	for (size_t i = 0; i < n->ncrit; i++) {
		if (!n->crit[i].vulnerable) {
			*platform = true;
			continue;
		}
		if (*nout == *cap) {
			size_t nc = *cap ? *cap * 2 : 4;
			struct critkey *m = arena_alloc(a, nc * sizeof *m);
			if (*nout)
				memcpy(m, *out, *nout * sizeof *m);
			*out = m;
			*cap = nc;
		}
		crit_key(a, &n->crit[i], &(*out)[(*nout)++]);
	}
	for (size_t i = 0; i < n->nchildren; i++)
		node_collect(a, &n->children[i], out, nout, cap, platform);
}

static void recinfo_build(struct arena *a, const struct match_record *r, struct recinfo *ri)
{
	memset(ri, 0, sizeof *ri);
	ri->ck = arena_alloc(a, (r->ncrit ? r->ncrit : 1) * sizeof *ri->ck);
	for (size_t i = 0; i < r->ncrit; i++)
		crit_key(a, &r->crit[i], &ri->ck[i]);
	ri->ncfg = r->nconfigs;
	ri->cfg = arena_alloc(a, (r->nconfigs ? r->nconfigs : 1) * sizeof *ri->cfg);
	for (size_t i = 0; i < r->nconfigs; i++) {
		size_t cap = 0;
		for (size_t k = 0; k < r->configs[i].nnodes; k++)
			node_collect(a, &r->configs[i].nodes[k], &ri->cfg[i].k, &ri->cfg[i].n, &cap,
				     &ri->cfg[i].platform);
		ri->needs_system |= ri->cfg[i].platform;
	}
}

/* Can criterion key k and component key ck name the same thing? */
static bool overlap(const struct critkey *k, const struct compkey *ck)
{
	if (k->kind == CK_VP)
		return ck->vp && strcmp(k->product, ck->product) == 0 &&
		       (!*k->vendor || !*ck->vendor || strcmp(k->vendor, ck->vendor) == 0);
	if (k->kind == CK_PURL) {
		if (ck->purl)
			return ck->pkn == k->pkn && memcmp(ck->pkey, k->pkey, k->pkn) == 0;
		return ck->vp && strcmp(k->product, ck->product) == 0;
	}
	return false;
}

/* ---- evaluating one pair: match_record_eval over the overlapping part ---- */

static int rank(const struct match_result *r)
{
	switch (r->answer) {
	case MATCH_AFFECTED: return 4;
	case MATCH_UNKNOWN: return r->weak ? 1 : 3;
	case MATCH_NOT_AFFECTED: return 2;
	}
	return 0;
}

static enum match_answer pair_eval(const struct match_record *rec, const struct recinfo *ri,
				   const struct match_component *comp, const struct compkey *ck,
				   const struct match_component *sys, size_t nsys,
				   struct match_result *res, const char **decided)
{
	struct match_result best = { .answer = MATCH_NOT_AFFECTED };
	snprintf(best.evidence, sizeof best.evidence, "%s: no criterion names this component",
		 rec->id);
	const char *src = NULL;
	bool named = false;
	struct match_result r;
	for (size_t i = 0; i < rec->ncrit; i++) {
		if (!overlap(&ri->ck[i], ck))
			continue;
		match_criterion_eval(&rec->crit[i], comp, &r);
		if (match_identity(&rec->crit[i], comp, NULL) == MATCH_NOT_AFFECTED)
			continue;
		if (!named || rank(&r) > rank(&best)) {
			best = r;
			src = rec->crit[i].source;
		}
		named = true;
	}
	for (size_t i = 0; i < ri->ncfg; i++) {
		bool any = false;
		for (size_t k = 0; k < ri->cfg[i].n && !any; k++)
			any = overlap(&ri->cfg[i].k[k], ck);
		if (!any)
			continue;
		enum match_answer a = match_config_eval(&rec->configs[i], comp, sys, nsys, &r);
		if (a == MATCH_NOT_AFFECTED && named)
			continue;
		if (r.answer == MATCH_NOT_AFFECTED && strstr(r.evidence, "no vulnerable"))
			continue;
		if (!named || rank(&r) > rank(&best)) {
			best = r;
			src = ri->cfg[i].n ? ri->cfg[i].k[0].c->source : rec->id;
		}
		named = true;
	}
	if (res)
		*res = best;
	if (decided)
		*decided = src ? src : rec->id;
	return best.answer;
}

/* ---- the feed ---- */

struct cref {
	uint32_t rec;
	const struct critkey *k;
};

struct creflist {
	struct cref *v;
	size_t n, cap;
};

struct match_feed {
	struct arena a;
	const struct match_record **recs;
	struct recinfo *info;
	size_t n, cap;
	struct keymap pmap, nmap; /* purl key / product -> list */
	struct creflist *lists;
	size_t nlists, caplists;
	size_t ncrit, unindexed;
};

struct match_feed *match_feed_new(void)
{
	struct match_feed *f = calloc(1, sizeof *f);
	if (!f)
		abort();
	arena_init(&f->a);
	return f;
}

void match_feed_free(struct match_feed *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nlists; i++)
		free(f->lists[i].v);
	free(f->lists);
	free(f->recs);
	free(f->info);
	keymap_free(&f->pmap);
	keymap_free(&f->nmap);
	arena_free(&f->a);
	free(f);
}

static void feed_ref(struct match_feed *f, struct keymap *m, const char *k, size_t kn,
		     uint32_t rec, const struct critkey *ck)
{
	if (f->nlists == f->caplists) {
		f->caplists = f->caplists ? f->caplists * 2 : 256;
		f->lists = realloc(f->lists, f->caplists * sizeof *f->lists);
		if (!f->lists)
			abort();
	}
	uint32_t id = keymap_get(m, k, kn, &f->a, (uint32_t)f->nlists);
	if (id == f->nlists)
		memset(&f->lists[f->nlists++], 0, sizeof *f->lists);
	struct creflist *l = &f->lists[id];
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		if (!l->v)
			abort();
	}
	l->v[l->n++] = (struct cref){ rec, ck };
}

static void feed_index_key(struct match_feed *f, uint32_t rec, const struct critkey *k)
{
	f->ncrit++;
	if (k->kind == CK_NONE) {
		f->unindexed++;
		return;
	}
	if (k->kind == CK_PURL)
		feed_ref(f, &f->pmap, k->pkey, k->pkn, rec, k);
	feed_ref(f, &f->nmap, k->product, strlen(k->product), rec, k);
}

size_t match_feed_add(struct match_feed *f, const struct match_record *r)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 1024;
		f->recs = realloc(f->recs, f->cap * sizeof *f->recs);
		f->info = realloc(f->info, f->cap * sizeof *f->info);
		if (!f->recs || !f->info)
			abort();
	}
	uint32_t id = (uint32_t)f->n++;
	f->recs[id] = r;
	recinfo_build(&f->a, r, &f->info[id]);
	const struct recinfo *ri = &f->info[id];
	for (size_t i = 0; i < r->ncrit; i++)
		feed_index_key(f, id, &ri->ck[i]);
	for (size_t i = 0; i < ri->ncfg; i++)
		for (size_t k = 0; k < ri->cfg[i].n; k++)
			feed_index_key(f, id, &ri->cfg[i].k[k]);
	return id;
}

size_t match_feed_count(const struct match_feed *f) { return f->n; }

const struct match_record *match_feed_record(const struct match_feed *f, size_t i)
{
	return i < f->n ? f->recs[i] : NULL;
}

void match_feed_stats(const struct match_feed *f, struct match_index_stats *st)
{
	memset(st, 0, sizeof *st);
	st->records = f->n;
	st->criteria = f->ncrit;
	st->unindexed = f->unindexed;
}

static void key_row(const struct critkey *k, size_t rec, match_key_fn fn, void *ctx)
{
	if (k->kind == CK_VP) {
		fn(ctx, rec, 1, k->vendor, k->product, "");
	} else if (k->kind == CK_PURL) {
		/* the key again in "type/namespace/name" form */
		const char *t = k->pkey, *ns = t + strlen(t) + 1, *nm = ns + strlen(ns) + 1;
		char p[MATCH_LIM_PURL];
		snprintf(p, sizeof p, "%s/%s/%s", t, ns[0] == 1 ? "" : ns, nm);
		fn(ctx, rec, 3, "", "", p);
		fn(ctx, rec, 2, "", k->product, "");
	}
}

void match_feed_keys(const struct match_feed *f, size_t i, match_key_fn fn, void *ctx)
{
	if (i >= f->n)
		return;
	const struct recinfo *ri = &f->info[i];
	for (size_t k = 0; k < f->recs[i]->ncrit; k++)
		key_row(&ri->ck[k], i, fn, ctx);
	for (size_t c = 0; c < ri->ncfg; c++)
		for (size_t k = 0; k < ri->cfg[c].n; k++)
			key_row(&ri->cfg[c].k[k], i, fn, ctx);
}

/* Records with a criterion whose identity can match ck, in feed order. */
static void feed_candidates(const struct match_feed *f, const struct compkey *ck,
			    struct u32v *out)
{
	out->n = 0;
	if (ck->purl) {
		uint32_t id = keymap_get((struct keymap *)&f->pmap, ck->pkey, ck->pkn, NULL, 0);
		if (id != NONE)
			for (size_t i = 0; i < f->lists[id].n; i++)
				u32_push(out, f->lists[id].v[i].rec);
	}
	if (ck->vp) {
		uint32_t id = keymap_get((struct keymap *)&f->nmap, ck->product, strlen(ck->product),
					 NULL, 0);
		if (id != NONE)
			for (size_t i = 0; i < f->lists[id].n; i++)
				if (overlap(f->lists[id].v[i].k, ck))
					u32_push(out, f->lists[id].v[i].rec);
	}
	u32_sort_unique(out);
}

bool match_feed_knows(const struct match_feed *f, const struct match_component *c)
{
	struct compkey *ck = malloc(sizeof *ck);
	if (!ck)
		abort();
	comp_keys(c, ck);
	struct u32v v = { 0 };
	feed_candidates(f, ck, &v);
	bool any = v.n > 0;
	free(v.v);
	free(ck);
	return any;
}

/* ---- the estate ---- */

struct skey {
	const uint8_t *k;
	uint32_t kn, var;
};

struct sorted {
	struct skey *e;
	size_t n;
	uint32_t *aside; /* no version, or not keyable under this scheme */
	size_t naside;
};

struct group {
	const char *vendor, *product; /* vendor/product groups; NULL for purl groups */
	enum match_scheme natural;
	struct u32v vars;
	struct u32v nover;     /* variants with no version: UNKNOWN for any range */
	struct sorted *by[MATCH_SCHEME_COUNT];
};

struct variant {
	uint32_t rep, first, n; /* members: e->members[first .. first+n) */
	bool vp, purl, has_system;
	const char *vendor, *product, *pkey;
	uint32_t pkn;
	const char *version;    /* the version criteria compare, NULL if none */
};

struct match_estate {
	struct arena a;
	struct match_component *comps;
	size_t n, cap;
	bool built;
	/* built */
	struct arena ba;
	uint32_t *var_of, *members;
	struct variant *vars;
	size_t nvars;
	struct group *groups;
	size_t ngroups, capgroups;
	struct keymap vmap, gmap, nmap, smap;
	struct u32v *plists;   /* product -> vendor/product groups */
	size_t nplists, capplists;
	struct u32v *systems;  /* system id -> components */
	size_t nsystems, capsystems;
	size_t unidentified, unorderable;
};

struct match_estate *match_estate_new(void)
{
	struct match_estate *e = calloc(1, sizeof *e);
	if (!e)
		abort();
	arena_init(&e->a);
	arena_init(&e->ba);
	return e;
}

static void estate_clear_built(struct match_estate *e)
{
	for (size_t i = 0; i < e->ngroups; i++) {
		free(e->groups[i].vars.v);
		free(e->groups[i].nover.v);
		for (int s = 0; s < MATCH_SCHEME_COUNT; s++)
			if (e->groups[i].by[s]) {
				free(e->groups[i].by[s]->e);
				free(e->groups[i].by[s]->aside);
				free(e->groups[i].by[s]);
			}
	}
	for (size_t i = 0; i < e->nplists; i++)
		free(e->plists[i].v);
	for (size_t i = 0; i < e->nsystems; i++)
		free(e->systems[i].v);
	free(e->groups);
	free(e->plists);
	free(e->systems);
	free(e->var_of);
	free(e->members);
	free(e->vars);
	keymap_free(&e->vmap);
	keymap_free(&e->gmap);
	keymap_free(&e->nmap);
	keymap_free(&e->smap);
	arena_free(&e->ba);
	arena_init(&e->ba);
	e->groups = NULL;
	e->plists = e->systems = NULL;
	e->var_of = e->members = NULL;
	e->vars = NULL;
	e->nvars = e->ngroups = e->capgroups = e->nplists = e->capplists = 0;
	e->nsystems = e->capsystems = 0;
	e->unidentified = e->unorderable = 0;
	e->built = false;
}

void match_estate_free(struct match_estate *e)
{
	if (!e)
		return;
	estate_clear_built(e);
	arena_free(&e->ba);
	arena_free(&e->a);
	free(e->comps);
	free(e);
}

size_t match_estate_add(struct match_estate *e, const struct match_component *c)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 1024;
		e->comps = realloc(e->comps, e->cap * sizeof *e->comps);
		if (!e->comps)
			abort();
	}
	e->comps[e->n] = *c;
	e->built = false;
	return e->n++;
}

size_t match_estate_count(const struct match_estate *e) { return e->n; }

const struct match_component *match_estate_component(const struct match_estate *e, size_t i)
{
	return i < e->n ? &e->comps[i] : NULL;
}

/* The version match_criterion_eval compares for this component. */
static const char *effective_version(struct arena *a, const struct match_component *c)
{
	if (c->version && *c->version)
		return c->version;
	if (c->cpe && c->cpe->a[MATCH_CPE_VERSION].kind == MATCH_CPE_VALUE) {
		struct str v = match_cpe_body(c->cpe, MATCH_CPE_VERSION);
		return arena_strndup(a, v.p, v.n);
	}
	if (c->purl && c->purl->version && *c->purl->version)
		return c->purl->version;
	return NULL;
}

static uint32_t list_id(struct keymap *m, struct arena *a, const char *k, size_t kn,
			struct u32v **lists, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*lists = realloc(*lists, *cap * sizeof **lists);
		if (!*lists)
			abort();
	}
	uint32_t id = keymap_get(m, k, kn, a, (uint32_t)*n);
	if (id == *n)
		memset(&(*lists)[(*n)++], 0, sizeof **lists);
	return id;
}

static uint32_t group_id(struct match_estate *e, const char *k, size_t kn, const char *vendor,
			 const char *product, enum match_scheme natural)
{
	if (e->ngroups == e->capgroups) {
		e->capgroups = e->capgroups ? e->capgroups * 2 : 256;
		e->groups = realloc(e->groups, e->capgroups * sizeof *e->groups);
		if (!e->groups)
			abort();
	}
	uint32_t id = keymap_get(&e->gmap, k, kn, &e->ba, (uint32_t)e->ngroups);
	if (id == e->ngroups) {
		struct group *g = &e->groups[e->ngroups++];
		memset(g, 0, sizeof *g);
		g->vendor = vendor;
		g->product = product;
		g->natural = natural;
		if (product) {
			uint32_t l = list_id(&e->nmap, &e->ba, product, strlen(product), &e->plists,
					     &e->nplists, &e->capplists);
			u32_push(&e->plists[l], id);
		}
	}
	return id;
}

static int cmp_skey(const void *x, const void *y)
{
	const struct skey *a = x, *b = y;
	int c = match_key_cmp(a->k, a->kn, b->k, b->kn);
	return c ? c : (a->var > b->var) - (a->var < b->var);
}

static struct sorted *group_sorted(struct match_estate *e, struct group *g, enum match_scheme s)
{
	if (g->by[s])
		return g->by[s];
	struct sorted *so = calloc(1, sizeof *so);
	if (!so)
		abort();
	so->e = malloc((g->vars.n ? g->vars.n : 1) * sizeof *so->e);
	so->aside = malloc((g->vars.n ? g->vars.n : 1) * sizeof *so->aside);
	if (!so->e || !so->aside)
		abort();
	struct buf k;
	buf_init(&k);
	for (size_t i = 0; i < g->vars.n; i++) {
		const struct variant *v = &e->vars[g->vars.v[i]];
		k.len = 0;
		if (v->version && match_version_key(s, str_c(v->version), &k, NULL) == BW_OK)
			so->e[so->n++] = (struct skey){ key_copy(&e->ba, &k), (uint32_t)k.len,
							g->vars.v[i] };
		else
			so->aside[so->naside++] = g->vars.v[i];
	}
	buf_free(&k);
	qsort(so->e, so->n, sizeof *so->e, cmp_skey);
	g->by[s] = so;
	return so;
}

void match_estate_build(struct match_estate *e)
{
	estate_clear_built(e);
	e->var_of = malloc((e->n ? e->n : 1) * sizeof *e->var_of);
	e->members = malloc((e->n ? e->n : 1) * sizeof *e->members);
	size_t capv = 1024;
	e->vars = malloc(capv * sizeof *e->vars);
	struct compkey *ck = malloc(sizeof *ck);
	struct buf vk;
	buf_init(&vk);
	if (!e->var_of || !e->members || !e->vars || !ck)
		abort();
	for (size_t i = 0; i < e->n; i++) {
		const struct match_component *c = &e->comps[i];
		comp_keys(c, ck);
		/* a variant: same CPE and purl objects, folded names, version */
		vk.len = 0;
		buf_add(&vk, &c->cpe, sizeof c->cpe);
		buf_add(&vk, &c->purl, sizeof c->purl);
		buf_add(&vk, ck->vendor, strlen(ck->vendor) + 1);
		buf_add(&vk, ck->product, strlen(ck->product) + 1);
		if (c->version)
			buf_add(&vk, c->version, strlen(c->version));
		else
			buf_putc(&vk, '\1');
		uint32_t id = keymap_get(&e->vmap, vk.p, vk.len, &e->ba, (uint32_t)e->nvars);
		if (id == e->nvars) {
			if (e->nvars == capv) {
				capv *= 2;
				e->vars = realloc(e->vars, capv * sizeof *e->vars);
				if (!e->vars)
					abort();
			}
			struct variant *v = &e->vars[e->nvars++];
			memset(v, 0, sizeof *v);
			v->rep = (uint32_t)i;
			v->vp = ck->vp;
			v->purl = ck->purl;
			v->vendor = arena_strdup(&e->ba, ck->vendor);
			v->product = arena_strdup(&e->ba, ck->product);
			v->pkey = ck->purl ? arena_strndup(&e->ba, ck->pkey, ck->pkn) : "";
			v->pkn = (uint32_t)ck->pkn;
			v->version = effective_version(&e->ba, c);
			if (!v->version)
				e->unorderable++;
			if (!ck->vp && !ck->purl)
				e->unidentified++;
		}
		e->var_of[i] = id;
		e->vars[id].n++;
		if (c->system && *c->system) {
			e->vars[id].has_system = true;
			uint32_t s = list_id(&e->smap, &e->ba, c->system, strlen(c->system), &e->systems,
					     &e->nsystems, &e->capsystems);
			u32_push(&e->systems[s], (uint32_t)i);
		}
	}
	/* members grouped by variant, in component order */
	uint32_t pos = 0;
	for (size_t v = 0; v < e->nvars; v++) {
		e->vars[v].first = pos;
		pos += e->vars[v].n;
		e->vars[v].n = 0;
	}
	for (size_t i = 0; i < e->n; i++) {
		struct variant *v = &e->vars[e->var_of[i]];
		e->members[v->first + v->n++] = (uint32_t)i;
	}
	/* identities */
	for (size_t vi = 0; vi < e->nvars; vi++) {
		struct variant *v = &e->vars[vi];
		if (v->vp) {
			vk.len = 0;
			buf_putc(&vk, 'V');
			buf_add(&vk, v->vendor, strlen(v->vendor) + 1);
			buf_puts(&vk, v->product);
			uint32_t g = group_id(e, vk.p, vk.len, v->vendor, v->product,
					      MATCH_SCHEME_GENERIC);
			u32_push(&e->groups[g].vars, (uint32_t)vi);
			if (!v->version)
				u32_push(&e->groups[g].nover, (uint32_t)vi);
		}
		if (v->purl) {
			vk.len = 0;
			buf_putc(&vk, 'P');
			buf_add(&vk, v->pkey, v->pkn);
			const struct match_component *c = &e->comps[v->rep];
			uint32_t g = group_id(e, vk.p, vk.len, NULL, NULL,
					      match_purl_scheme(c->purl->type));
			u32_push(&e->groups[g].vars, (uint32_t)vi);
			if (!v->version)
				u32_push(&e->groups[g].nover, (uint32_t)vi);
		}
	}
	/* the usual scheme of each identity is keyed now, others on first use */
	for (size_t g = 0; g < e->ngroups; g++)
		group_sorted(e, &e->groups[g], e->groups[g].natural);
	buf_free(&vk);
	free(ck);
	e->built = true;
}

void match_estate_stats(const struct match_estate *e, struct match_index_stats *st)
{
	memset(st, 0, sizeof *st);
	st->components = e->n;
	st->variants = e->nvars;
	st->identities = e->ngroups;
	st->systems = e->nsystems;
	st->unidentified = e->unidentified;
	st->unorderable = e->unorderable;
}

/* ---- selecting candidates ---- */

/* first entry with key >= k */
static size_t lower(const struct sorted *so, const uint8_t *k, uint32_t kn)
{
	size_t lo = 0, hi = so->n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (match_key_cmp(so->e[m].k, so->e[m].kn, k, kn) < 0)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

/* first entry with key > k */
static size_t upper(const struct sorted *so, const uint8_t *k, uint32_t kn)
{
	size_t lo = 0, hi = so->n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (match_key_cmp(so->e[m].k, so->e[m].kn, k, kn) <= 0)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

static void push_var(const struct match_estate *e, struct u32v *out, uint32_t v, bool no_purl)
{
	if (!no_purl || !e->vars[v].purl)
		u32_push(out, v);
}

static void select_group(struct match_estate *e, struct group *g, const struct critkey *k,
			 bool no_purl, struct u32v *out)
{
	if (k->select_all) {
		for (size_t i = 0; i < g->vars.n; i++)
			push_var(e, out, g->vars.v[i], no_purl);
		return;
	}
	/* a criterion answers UNKNOWN for a component that does not say its
	 * version, whatever its ranges (the aside lists below hold them too) */
	if (k->nb == 0)
		for (size_t i = 0; i < g->nover.n; i++)
			push_var(e, out, g->nover.v[i], no_purl);
	for (size_t b = 0; b < k->nb; b++) {
		const struct cbound *cb = &k->b[b];
		const struct sorted *so = group_sorted(e, g, cb->s);
		size_t lo = cb->lo ? lower(so, cb->lo, cb->lon) : 0;
		size_t hi = cb->hi ? upper(so, cb->hi, cb->hin) : so->n;
		for (size_t i = lo; i < hi; i++)
			push_var(e, out, so->e[i].var, no_purl);
		for (size_t i = 0; i < so->naside; i++)
			push_var(e, out, so->aside[i], no_purl);
	}
}

static void select_crit(struct match_estate *e, const struct critkey *k, struct u32v *out)
{
	if (k->kind == CK_NONE)
		return;
	if (k->kind == CK_PURL) {
		char key[MATCH_LIM_PURL + 1];
		key[0] = 'P';
		memcpy(key + 1, k->pkey, k->pkn);
		uint32_t g = keymap_get(&e->gmap, key, k->pkn + 1, NULL, 0);
		if (g != NONE)
			select_group(e, &e->groups[g], k, false, out);
	}
	uint32_t l = keymap_get(&e->nmap, k->product, strlen(k->product), NULL, 0);
	if (l == NONE)
		return;
	for (size_t i = 0; i < e->plists[l].n; i++) {
		struct group *g = &e->groups[e->plists[l].v[i]];
		if (k->kind == CK_VP && *k->vendor && *g->vendor && strcmp(k->vendor, g->vendor) != 0)
			continue;
		select_group(e, g, k, k->kind == CK_PURL, out);
	}
}

/* ---- emitting ---- */

struct scratch {
	struct u32v cand;
	struct compkey ck;
	struct match_component *sys;
	size_t capsys;
};

/* The members of c's system (c first if it is not one of them). */
static size_t system_of(const struct match_estate *e, const struct match_component *c,
			struct scratch *sc)
{
	if (!e || !c->system || !*c->system || !e->built)
		return 0;
	uint32_t s = keymap_get((struct keymap *)&e->smap, c->system, strlen(c->system), NULL, 0);
	size_t need = (s == NONE ? 0 : e->systems[s].n) + 1;
	if (need > sc->capsys) {
		sc->capsys = need * 2;
		sc->sys = realloc(sc->sys, sc->capsys * sizeof *sc->sys);
		if (!sc->sys)
			abort();
	}
	size_t n = 0;
	bool self = false;
	if (s != NONE)
		for (size_t i = 0; i < e->systems[s].n; i++) {
			const struct match_component *m = &e->comps[e->systems[s].v[i]];
			self |= m == c;
			sc->sys[n++] = *m;
		}
	if (!self)
		sc->sys[n++] = *c;
	return n;
}

static void variant_compkey(const struct variant *v, struct compkey *ck)
{
	ck->vp = v->vp;
	ck->purl = v->purl;
	snprintf(ck->vendor, sizeof ck->vendor, "%s", v->vendor);
	snprintf(ck->product, sizeof ck->product, "%s", v->product);
	ck->pkn = v->pkn;
	memcpy(ck->pkey, v->pkey, v->pkn);
}

/* Evaluates record r (info ri) for the candidate variants in sc->cand. */
static size_t emit_record(struct match_estate *e, size_t ridx, const struct match_record *r,
			  const struct recinfo *ri, struct scratch *sc, match_hit_fn fn, void *ctx)
{
	size_t hits = 0;
	u32_sort_unique(&sc->cand);
	for (size_t i = 0; i < sc->cand.n; i++) {
		const struct variant *v = &e->vars[sc->cand.v[i]];
		variant_compkey(v, &sc->ck);
		struct match_result shared, own;
		const char *shared_src = NULL, *own_src;
		bool have_shared = false;
		for (size_t m = 0; m < v->n; m++) {
			uint32_t ci = e->members[v->first + m];
			const struct match_component *c = &e->comps[ci];
			const struct match_result *res;
			const char *src;
			if (ri->needs_system && c->system && *c->system) {
				size_t ns = system_of(e, c, sc);
				pair_eval(r, ri, c, &sc->ck, sc->sys, ns, &own, &own_src);
				res = &own;
				src = own_src;
			} else {
				if (!have_shared) {
					pair_eval(r, ri, &e->comps[v->rep], &sc->ck, NULL, 0, &shared,
						  &shared_src);
					have_shared = true;
				}
				res = &shared;
				src = shared_src;
			}
			if (res->answer == MATCH_NOT_AFFECTED)
				continue;
			struct match_hit h = { ridx, r, ci, c, src, res->answer, res->weak,
					       res->evidence };
			if (fn)
				fn(ctx, &h);
			hits++;
		}
	}
	return hits;
}

static void scratch_free(struct scratch *sc)
{
	free(sc->cand.v);
	free(sc->sys);
}

static void collect_record(struct match_estate *e, const struct match_record *r,
			   const struct recinfo *ri, struct u32v *cand)
{
	cand->n = 0;
	for (size_t i = 0; i < r->ncrit; i++)
		select_crit(e, &ri->ck[i], cand);
	for (size_t c = 0; c < ri->ncfg; c++)
		for (size_t k = 0; k < ri->cfg[c].n; k++)
			select_crit(e, &ri->cfg[c].k[k], cand);
}

size_t match_estate_feed(struct match_estate *e, const struct match_feed *f, match_hit_fn fn,
			 void *ctx)
{
	if (!e->built)
		match_estate_build(e);
	struct scratch *sc = calloc(1, sizeof *sc);
	if (!sc)
		abort();
	size_t hits = 0;
	for (size_t i = 0; i < f->n; i++) {
		collect_record(e, f->recs[i], &f->info[i], &sc->cand);
		hits += emit_record(e, i, f->recs[i], &f->info[i], sc, fn, ctx);
	}
	scratch_free(sc);
	free(sc);
	return hits;
}

size_t match_advisory_estate(struct match_estate *e, const struct match_record *r,
			     match_hit_fn fn, void *ctx)
{
	if (!e->built)
		match_estate_build(e);
	struct arena a;
	arena_init(&a);
	struct recinfo ri;
	recinfo_build(&a, r, &ri);
	struct scratch *sc = calloc(1, sizeof *sc);
	if (!sc)
		abort();
	collect_record(e, r, &ri, &sc->cand);
	size_t hits = emit_record(e, SIZE_MAX, r, &ri, sc, fn, ctx);
	scratch_free(sc);
	free(sc);
	arena_free(&a);
	return hits;
}

/* The estate index of c when it is one of e's components, else SIZE_MAX. */
static size_t estate_index(const struct match_estate *e, const struct match_component *c)
{
	if (e && e->n && c >= e->comps && c < e->comps + e->n)
		return (size_t)(c - e->comps);
	return SIZE_MAX;
}

size_t match_component_feed(const struct match_feed *f, const struct match_estate *e,
			    const struct match_component *c, match_hit_fn fn, void *ctx)
{
	struct scratch *sc = calloc(1, sizeof *sc);
	if (!sc)
		abort();
	comp_keys(c, &sc->ck);
	feed_candidates(f, &sc->ck, &sc->cand);
	size_t hits = 0;
	size_t ns = 0;
	bool have_sys = false;
	for (size_t i = 0; i < sc->cand.n; i++) {
		uint32_t ri = sc->cand.v[i];
		const struct match_component *sys = NULL;
		if (f->info[ri].needs_system) {
			if (!have_sys) {
				ns = system_of(e, c, sc);
				have_sys = true;
			}
			sys = ns ? sc->sys : NULL;
		}
		struct match_result res;
		const char *src;
		pair_eval(f->recs[ri], &f->info[ri], c, &sc->ck, sys, sys ? ns : 0, &res, &src);
		if (res.answer == MATCH_NOT_AFFECTED)
			continue;
		struct match_hit h = { ri, f->recs[ri], estate_index(e, c), c, src, res.answer,
				       res.weak, res.evidence };
		if (fn)
			fn(ctx, &h);
		hits++;
	}
	scratch_free(sc);
	free(sc);
	return hits;
}

enum match_answer match_feed_pair_eval(const struct match_feed *f, size_t i,
				       const struct match_estate *e,
				       const struct match_component *c, struct match_result *res,
				       const char **criterion)
{
	struct compkey ck;
	comp_keys(c, &ck);
	if (!f->info[i].needs_system)
		return pair_eval(f->recs[i], &f->info[i], c, &ck, NULL, 0, res, criterion);
	struct scratch sc = { 0 };
	size_t ns = system_of(e, c, &sc);
	enum match_answer a = pair_eval(f->recs[i], &f->info[i], c, &ck, ns ? sc.sys : NULL, ns,
					res, criterion);
	scratch_free(&sc);
	return a;
}

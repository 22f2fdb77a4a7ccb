/*
 * index: the estate and feed indexes and the three matching operations
 * (whole estate x whole feed, one advisory x estate, one component x feed).
 *
 * The answer for a (record, component) pair is always pair_eval()'s
 * (pair.c): the record's criteria and configurations whose identity can
 * match the component, evaluated and merged as match_record_eval does.
 * The indexes only choose which pairs to ask, and they may only leave out
 * pairs whose answer would be NOT_AFFECTED:
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
 *
 * Speed. match_estate_build keys every distinct version once under every
 * scheme and sorts each identity's variants under every scheme, so the
 * operations only read the estate and may run in several threads at once.
 * A candidate pair is asked of pair_fast() once per variant (distinct
 * component description) and the answer fanned out to the components
 * sharing it; evidence is written only for matches. The whole-feed walk
 * splits the feed into blocks that worker threads answer while the
 * calling thread hands the hits, block by block in feed order, to the
 * callback.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index_int.h"

#define NONE UINT32_MAX

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
/* The value for key k of hash h, or NONE (read only). */
static uint32_t keymap_find(const struct keymap *m, const char *k, size_t kn, uint64_t h)
{
	if (!m->cap)
		return NONE;
	size_t j = h & (m->cap - 1);
	while (m->s[j].v != NONE) {
		if (m->s[j].h == h && m->s[j].kn == kn && memcmp(m->s[j].k, k, kn) == 0)
			return m->s[j].v;
		j = (j + 1) & (m->cap - 1);
	}
	return NONE;
}

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

static struct idview compkey_view(const struct compkey *k)
{
	return (struct idview){ k->vp, k->purl, k->vendor, k->product, k->pkey, k->pkn,
				strlen(k->product) };
}

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

/* What match_criterion_eval writes before the identity: the source and
 * the criterion's CPE. */
static void crit_prefix(struct arena *a, const struct match_criterion *c, struct critkey *k)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s: ", c->source ? c->source : "criterion");
	if (c->kind == MATCH_ID_CPE && c->cpe) {
		struct buf f;
		buf_init(&f);
		match_cpe_format(c->cpe, &f);
		buf_printf(&b, "%s; ", buf_cstr(&f));
		buf_free(&f);
	}
	k->prefix = arena_strndup(a, b.p ? b.p : "", b.len);
	k->prefixn = (uint32_t)b.len;
	buf_free(&b);
}

static void crit_key_identity(struct arena *a, const struct match_criterion *c,
			      struct critkey *k)
{
	memset(k, 0, sizeof *k);
	k->c = c;
	crit_prefix(a, c, k);
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
	k->productn = (uint32_t)strlen(k->product);
	k->producth = hash_bytes(k->product, k->productn);
	if (k->kind == CK_PURL) {
		/* the key of its identity in the estate: 'P' and the purl key */
		char *g = arena_alloc(a, k->pkn + 1);
		g[0] = 'P';
		memcpy(g + 1, k->pkey, k->pkn);
		k->gkey = g;
		k->gkeyh = hash_bytes(g, k->pkn + 1);
	}
}

/* Which versions can this criterion make a match? */
static void crit_key_versions(struct arena *a, const struct match_criterion *c, struct critkey *k)
{
	if (k->kind == CK_NONE)
		return;
	k->x = exactidx_build(a, c);
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

static void crit_key(struct arena *a, const struct match_criterion *c, struct critkey *k)
{
	crit_key_identity(a, c, k);
	crit_key_versions(a, c, k);
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

/* Everything pair_fast reads of a criterion, as bytes: two criteria with
 * the same signature give the same answer for every component. */
static void crit_signature(const struct match_criterion *c, const struct critkey *k,
			   struct buf *b)
{
	b->len = 0;
	uint8_t head[4] = { (uint8_t)c->kind, c->vulnerable, (uint8_t)c->dflt, c->no_versions };
	buf_add(b, head, sizeof head);
	buf_add(b, &c->rules, sizeof c->rules);
	buf_add(b, &c->nrules, sizeof c->nrules);
	switch (c->kind) {
	case MATCH_ID_CPE:
		for (int i = 0; i < MATCH_CPE_NATTR; i++) {
			const struct match_cpe_value *v = &c->cpe->a[i];
			uint8_t h[5] = { (uint8_t)v->kind, v->pre_star, v->post_star, v->pre_q, v->post_q };
			buf_add(b, h, sizeof h);
			buf_add(b, &v->len, sizeof v->len);
			if (v->kind == MATCH_CPE_VALUE)
				buf_add(b, c->cpe->store + v->off, v->len);
		}
		break;
	case MATCH_ID_PRODUCT:
		buf_add(b, c->vendor ? c->vendor : "", strlen(c->vendor ? c->vendor : "") + 1);
		buf_add(b, c->product, strlen(c->product) + 1);
		break;
	case MATCH_ID_PURL:
		buf_add(b, k->pkey, k->pkn);
		break;
	}
}

struct sigref {
	char *sig;
	size_t n;
	uint32_t idx;
};

static int cmp_sigref(const void *x, const void *y)
{
	const struct sigref *a = x, *b = y;
	int c = memcmp(a->sig, b->sig, a->n < b->n ? a->n : b->n);
	if (!c)
		c = (a->n > b->n) - (a->n < b->n);
	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static int cmp_critref(const void *x, const void *y)
{
	const struct critref *a = x, *b = y;
	int c = memcmp(a->key, b->key, a->kn < b->kn ? a->kn : b->kn);
	if (!c)
		c = (a->kn > b->kn) - (a->kn < b->kn);
	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/* Records with many criteria (a CVE record's "cpes" list repeats one
 * product's versions for each of hundreds of CPEs that differ only in the
 * version attribute the rules replace): criteria equal to an earlier one
 * are marked, since pair_eval keeps the first of equal answers, and the
 * others indexed by identity. */
void recinfo_index(struct arena *a, const struct match_record *r, struct recinfo *ri)
{
	for (size_t i = 0; i < r->ncrit; i++)
		ri->ck[i].orig = (uint32_t)i;
	if (r->ncrit <= CRIT_INDEX_MIN)
		return;
	struct sigref *sr = calloc(r->ncrit, sizeof *sr);
	if (!sr)
		abort();
	size_t n = 0;
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < r->ncrit; i++) {
		if (ri->ck[i].kind == CK_NONE)
			continue;
		crit_signature(&r->crit[i], &ri->ck[i], &b);
		size_t len = b.len;
		sr[n++] = (struct sigref){ buf_steal(&b), len, (uint32_t)i };
	}
	buf_free(&b);
	qsort(sr, n, sizeof *sr, cmp_sigref);
	for (size_t i = 1; i < n; i++)
		if (sr[i].n == sr[i - 1].n && memcmp(sr[i].sig, sr[i - 1].sig, sr[i].n) == 0) {
			ri->ck[sr[i].idx].dup = true;
			ri->ck[sr[i].idx].orig = ri->ck[sr[i - 1].idx].orig;
		}
	for (size_t i = 0; i < n; i++)
		free(sr[i].sig);
	free(sr);
	ri->byname = arena_alloc(a, r->ncrit * sizeof *ri->byname);
	ri->bypurl = arena_alloc(a, r->ncrit * sizeof *ri->bypurl);
	for (size_t i = 0; i < r->ncrit; i++) {
		const struct critkey *k = &ri->ck[i];
		if (k->kind == CK_NONE || k->dup)
			continue;
		ri->byname[ri->nbyname++] = (struct critref){ k->product, k->productn, (uint32_t)i };
		if (k->kind == CK_PURL)
			ri->bypurl[ri->nbypurl++] = (struct critref){ k->pkey, k->pkn, (uint32_t)i };
	}
	qsort(ri->byname, ri->nbyname, sizeof *ri->byname, cmp_critref);
	qsort(ri->bypurl, ri->nbypurl, sizeof *ri->bypurl, cmp_critref);
}

static void recinfo_build(struct arena *a, const struct match_record *r, struct recinfo *ri)
{
	memset(ri, 0, sizeof *ri);
	ri->ck = arena_alloc(a, (r->ncrit ? r->ncrit : 1) * sizeof *ri->ck);
	for (size_t i = 0; i < r->ncrit; i++)
		crit_key_identity(a, &r->crit[i], &ri->ck[i]);
	recinfo_index(a, r, ri);
	for (size_t i = 0; i < r->ncrit; i++) {
		struct critkey *k = &ri->ck[i];
		if (!k->dup) {
			crit_key_versions(a, &r->crit[i], k);
			continue;
		}
		const struct critkey *o = &ri->ck[k->orig];
		k->select_all = o->select_all;
		k->b = o->b;
		k->nb = o->nb;
		k->x = o->x;
	}
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
	/* purl key / product / product and vendor / product, criteria that
	 * name no vendor -> list */
	struct keymap pmap, nmap, vmap, amap;
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
	keymap_free(&f->vmap);
	keymap_free(&f->amap);
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
	if (k->dup)
		return; /* the same as an earlier criterion of the record */
	if (k->kind == CK_PURL)
		feed_ref(f, &f->pmap, k->pkey, k->pkn, rec, k);
	size_t pn = strlen(k->product);
	feed_ref(f, &f->nmap, k->product, pn, rec, k);
	if (k->kind == CK_VP && *k->vendor) {
		char pv[2 * NAME_CAP + 2];
		size_t vn = strlen(k->vendor);
		if (pn + 1 + vn <= sizeof pv) {
			memcpy(pv, k->product, pn + 1);
			memcpy(pv + pn + 1, k->vendor, vn);
			feed_ref(f, &f->vmap, pv, pn + 1 + vn, rec, k);
			return;
		}
	}
	feed_ref(f, &f->amap, k->product, pn, rec, k);
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
	struct idview iv = compkey_view(ck);
	out->n = 0;
	if (ck->purl) {
		uint32_t id = keymap_get((struct keymap *)&f->pmap, ck->pkey, ck->pkn, NULL, 0);
		if (id != NONE)
			for (size_t i = 0; i < f->lists[id].n; i++)
				u32_push(out, f->lists[id].v[i].rec);
	}
	if (ck->vp) {
		/* with a vendor: the criteria of that vendor and those that
		 * name none (a longer vendor than the key holds: all) */
		size_t pn = strlen(ck->product), vn = strlen(ck->vendor);
		char pv[2 * NAME_CAP + 2];
		bool by_vendor = vn && pn + 1 + vn <= sizeof pv;
		uint32_t lists[2] = { NONE, NONE };
		if (by_vendor) {
			memcpy(pv, ck->product, pn + 1);
			memcpy(pv + pn + 1, ck->vendor, vn);
			lists[0] = keymap_get((struct keymap *)&f->vmap, pv, pn + 1 + vn, NULL, 0);
			lists[1] = keymap_get((struct keymap *)&f->amap, ck->product, pn, NULL, 0);
		} else {
			lists[0] = keymap_get((struct keymap *)&f->nmap, ck->product, pn, NULL, 0);
		}
		for (int l = 0; l < 2; l++) {
			if (lists[l] == NONE)
				continue;
			const struct creflist *cl = &f->lists[lists[l]];
			for (size_t i = 0; i < cl->n; i++)
				if (overlap(cl->v[i].k, &iv))
					u32_push(out, cl->v[i].rec);
		}
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

struct group {
	const char *vendor, *product; /* vendor/product groups; NULL for purl groups */
	struct u32v vars;
	struct u32v nover;     /* variants with no version: UNKNOWN for any range */
	uint32_t base;         /* its slots in every scheme's list */
	uint32_t nkeyed[MATCH_SCHEME_COUNT];
};

struct variant {
	uint32_t rep, first, n; /* members: e->members[first .. first+n) */
	bool vp, purl, has_system;
	const char *vendor, *product, *pkey;
	uint32_t pkn, productn;
	const char *cv, *cp;    /* see struct pairview */
	const char *version;    /* the version criteria compare, NULL if none */
	uint32_t ver;           /* its row in the version table, NONE if none */
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
	struct keymap vmap, gmap, nmap, smap, vermap;
	struct u32v *plists;   /* product -> vendor/product groups */
	size_t nplists, capplists;
	struct u32v *systems;  /* system id -> components */
	size_t nsystems, capsystems;
	size_t unidentified, unorderable;
	/* every distinct version keyed under every scheme: vkeys[ver * COUNT + s] */
	struct vkey *vkeys;
	size_t nver;
	/* per scheme, each group's variants from slots[s][base]: those keyed
	 * under s sorted by key, then the others */
	uint32_t *slots[MATCH_SCHEME_COUNT];
	size_t nslots;
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
	}
	for (size_t i = 0; i < e->nplists; i++)
		free(e->plists[i].v);
	for (size_t i = 0; i < e->nsystems; i++)
		free(e->systems[i].v);
	for (int s = 0; s < MATCH_SCHEME_COUNT; s++) {
		free(e->slots[s]);
		e->slots[s] = NULL;
	}
	free(e->groups);
	free(e->plists);
	free(e->systems);
	free(e->var_of);
	free(e->members);
	free(e->vars);
	free(e->vkeys);
	keymap_free(&e->vmap);
	keymap_free(&e->gmap);
	keymap_free(&e->nmap);
	keymap_free(&e->smap);
	keymap_free(&e->vermap);
	arena_free(&e->ba);
	arena_init(&e->ba);
	e->groups = NULL;
	e->plists = e->systems = NULL;
	e->var_of = e->members = NULL;
	e->vars = NULL;
	e->vkeys = NULL;
	e->nvars = e->ngroups = e->capgroups = e->nplists = e->capplists = 0;
	e->nsystems = e->capsystems = e->nver = e->nslots = 0;
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
			 const char *product)
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
		if (product) {
			uint32_t l = list_id(&e->nmap, &e->ba, product, strlen(product), &e->plists,
					     &e->nplists, &e->capplists);
			u32_push(&e->plists[l], id);
		}
	}
	return id;
}

/* The key of variant v under scheme s (only for variants keyed under s). */
static const struct vkey *var_key(const struct match_estate *e, uint32_t v, enum match_scheme s)
{
	return &e->vkeys[(size_t)e->vars[v].ver * MATCH_SCHEME_COUNT + s];
}

struct sortctx {
	const struct match_estate *e;
	enum match_scheme s;
};

static int cmp_slot(const void *x, const void *y, void *ctx)
{
	const struct sortctx *c = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	const struct vkey *ka = var_key(c->e, a, c->s), *kb = var_key(c->e, b, c->s);
	int r = match_key_cmp(ka->k, ka->kn, kb->k, kb->kn);
	return r ? r : (a > b) - (a < b);
}

/* Every distinct version keyed under every scheme, once. */
static void estate_key_versions(struct match_estate *e)
{
	const char **text = malloc((e->nvars ? e->nvars : 1) * sizeof *text);
	if (!text)
		abort();
	for (size_t vi = 0; vi < e->nvars; vi++) {
		struct variant *v = &e->vars[vi];
		v->ver = NONE;
		if (!v->version)
			continue;
		v->ver = keymap_get(&e->vermap, v->version, strlen(v->version), &e->ba,
				    (uint32_t)e->nver);
		if (v->ver == e->nver)
			text[e->nver++] = v->version;
	}
	e->vkeys = calloc((e->nver ? e->nver : 1) * MATCH_SCHEME_COUNT, sizeof *e->vkeys);
	if (!e->vkeys)
		abort();
	struct buf k;
	buf_init(&k);
	for (size_t i = 0; i < e->nver; i++)
		for (int s = 0; s < MATCH_SCHEME_COUNT; s++) {
			struct vkey *x = &e->vkeys[i * MATCH_SCHEME_COUNT + (size_t)s];
			k.len = 0;
			x->ok = match_version_key((enum match_scheme)s, str_c(text[i]), &k, NULL) == BW_OK;
			if (x->ok) {
				x->k = key_copy(&e->ba, &k);
				x->kn = (uint32_t)k.len;
			}
		}
	buf_free(&k);
	free(text);
}

/* Each identity's variants sorted under every scheme. */
static void estate_sort_groups(struct match_estate *e)
{
	e->nslots = 0;
	for (size_t g = 0; g < e->ngroups; g++) {
		e->groups[g].base = (uint32_t)e->nslots;
		e->nslots += e->groups[g].vars.n;
	}
	for (int s = 0; s < MATCH_SCHEME_COUNT; s++) {
		uint32_t *sl = malloc((e->nslots ? e->nslots : 1) * sizeof *sl);
		if (!sl)
			abort();
		struct sortctx ctx = { e, (enum match_scheme)s };
		for (size_t gi = 0; gi < e->ngroups; gi++) {
			struct group *g = &e->groups[gi];
			uint32_t *o = sl + g->base;
			size_t nk = 0, na = g->vars.n;
			for (size_t i = 0; i < g->vars.n; i++) {
				uint32_t v = g->vars.v[i];
				if (e->vars[v].ver != NONE && var_key(e, v, (enum match_scheme)s)->ok)
					o[nk++] = v;
				else
					o[--na] = v;
			}
			/* the aside part back in variant order */
			for (size_t i = nk, j = g->vars.n; i < --j; i++) {
				uint32_t t = o[i];
				o[i] = o[j];
				o[j] = t;
			}
			if (nk > 1)
				qsort_r(o, nk, sizeof *o, cmp_slot, &ctx);
			g->nkeyed[s] = (uint32_t)nk;
		}
		e->slots[s] = sl;
	}
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
	char cv[NAME_CAP], cp[NAME_CAP];
	for (size_t i = 0; i < e->n; i++) {
		const struct match_component *c = &e->comps[i];
		comp_keys(c, ck);
		ident_names(c, cv, cp);
		/* a variant: same CPE and purl objects, folded names, version */
		vk.len = 0;
		buf_add(&vk, &c->cpe, sizeof c->cpe);
		buf_add(&vk, &c->purl, sizeof c->purl);
		buf_add(&vk, ck->vendor, strlen(ck->vendor) + 1);
		buf_add(&vk, ck->product, strlen(ck->product) + 1);
		buf_add(&vk, cv, strlen(cv) + 1);
		buf_add(&vk, cp, strlen(cp) + 1);
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
			v->productn = (uint32_t)strlen(v->product);
			v->pkey = ck->purl ? arena_strndup(&e->ba, ck->pkey, ck->pkn) : "";
			v->pkn = (uint32_t)ck->pkn;
			v->cv = strcmp(cv, v->vendor) == 0 ? v->vendor : arena_strdup(&e->ba, cv);
			v->cp = strcmp(cp, v->product) == 0 ? v->product : arena_strdup(&e->ba, cp);
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
			uint32_t g = group_id(e, vk.p, vk.len, v->vendor, v->product);
			u32_push(&e->groups[g].vars, (uint32_t)vi);
			if (!v->version)
				u32_push(&e->groups[g].nover, (uint32_t)vi);
		}
		if (v->purl) {
			vk.len = 0;
			buf_putc(&vk, 'P');
			buf_add(&vk, v->pkey, v->pkn);
			uint32_t g = group_id(e, vk.p, vk.len, NULL, NULL);
			u32_push(&e->groups[g].vars, (uint32_t)vi);
			if (!v->version)
				u32_push(&e->groups[g].nover, (uint32_t)vi);
		}
	}
	estate_key_versions(e);
	estate_sort_groups(e);
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

/* Candidate variants of one record, each once. */
struct cands {
	struct u32v v;
	uint32_t *seen;  /* per variant: the stamp of the record that took it */
	uint32_t stamp;
};

static void cand_push(const struct match_estate *e, struct cands *c, uint32_t v, bool no_purl)
{
	if (no_purl && e->vars[v].purl)
		return;
	if (c->seen) {
		if (c->seen[v] == c->stamp)
			return;
		c->seen[v] = c->stamp;
	}
	u32_push(&c->v, v);
}

/* first of o[0..n) with key >= k (below == false) or > k (below == true) */
static size_t key_search(const struct match_estate *e, const uint32_t *o, size_t n,
			 enum match_scheme s, const uint8_t *k, uint32_t kn, bool past_equal)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		const struct vkey *x = var_key(e, o[m], s);
		int c = match_key_cmp(x->k, x->kn, k, kn);
		if (c < 0 || (past_equal && c == 0))
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

static void select_group(const struct match_estate *e, const struct group *g,
			 const struct critkey *k, bool no_purl, struct cands *out)
{
	if (k->select_all) {
		for (size_t i = 0; i < g->vars.n; i++)
			cand_push(e, out, g->vars.v[i], no_purl);
		return;
	}
	/* a criterion answers UNKNOWN for a component that does not say its
	 * version, whatever its ranges (the aside parts below hold them too) */
	if (k->nb == 0)
		for (size_t i = 0; i < g->nover.n; i++)
			cand_push(e, out, g->nover.v[i], no_purl);
	for (size_t b = 0; b < k->nb; b++) {
		const struct cbound *cb = &k->b[b];
		const uint32_t *o = e->slots[cb->s] + g->base;
		size_t nk = g->nkeyed[cb->s];
		size_t lo = cb->lo ? key_search(e, o, nk, cb->s, cb->lo, cb->lon, false) : 0;
		size_t hi = cb->hi ? key_search(e, o, nk, cb->s, cb->hi, cb->hin, true) : nk;
		for (size_t i = lo; i < hi; i++)
			cand_push(e, out, o[i], no_purl);
		for (size_t i = nk; i < g->vars.n; i++)
			cand_push(e, out, o[i], no_purl);
	}
}

static void select_crit(const struct match_estate *e, const struct critkey *k, struct cands *out)
{
	if (k->kind == CK_NONE)
		return;
	if (k->kind == CK_PURL) {
		uint32_t g = keymap_find(&e->gmap, k->gkey, k->pkn + 1, k->gkeyh);
		if (g != NONE)
			select_group(e, &e->groups[g], k, false, out);
	}
	uint32_t l = keymap_find(&e->nmap, k->product, k->productn, k->producth);
	if (l == NONE)
		return;
	for (size_t i = 0; i < e->plists[l].n; i++) {
		const struct group *g = &e->groups[e->plists[l].v[i]];
		if (k->kind == CK_VP && *k->vendor && *g->vendor && strcmp(k->vendor, g->vendor) != 0)
			continue;
		select_group(e, g, k, k->kind == CK_PURL, out);
	}
}

static void collect_record(const struct match_estate *e, const struct match_record *r,
			   const struct recinfo *ri, struct cands *c)
{
	c->v.n = 0;
	c->stamp++;
	if (c->seen && c->stamp == 0) {
		memset(c->seen, 0, e->nvars * sizeof *c->seen);
		c->stamp = 1;
	}
	for (size_t i = 0; i < r->ncrit; i++)
		if (!ri->ck[i].dup)
			select_crit(e, &ri->ck[i], c);
	for (size_t k = 0; k < ri->ncfg; k++)
		for (size_t j = 0; j < ri->cfg[k].n; j++)
			select_crit(e, &ri->cfg[k].k[j], c);
	if (c->seen && c->v.n > 1)
		qsort(c->v.v, c->v.n, sizeof *c->v.v, cmp_u32);
	else
		u32_sort_unique(&c->v);
}

/* ---- answering and emitting ---- */

/* A record's answers before they are handed out: one per variant (comp
 * NONE: the same for all its members) or per component. */
struct answer {
	uint32_t rec, var, comp;
	uint8_t answer, weak;
	const char *src;
	size_t ev;         /* evidence: offset in the text buffer */
};

struct answers {
	struct answer *v;
	size_t n, cap;
	struct buf text;
};

struct scratch {
	struct cands cand;
	struct pairscratch ps;
	struct match_component *sys; /* a system's members, */
	uint32_t *sysidx;            /* ... their estate indexes (NONE: not in it) */
	struct pairview *sysv;       /* ... and views */
	size_t capsys;
	struct compkey ck; /* match_component_feed's component */
};

static struct scratch *scratch_new(const struct match_estate *e, bool stamps)
{
	struct scratch *sc = calloc(1, sizeof *sc);
	if (!sc)
		abort();
	if (stamps && e && e->nvars) {
		sc->cand.seen = calloc(e->nvars, sizeof *sc->cand.seen);
		if (!sc->cand.seen)
			abort();
	}
	return sc;
}

static void scratch_free(struct scratch *sc)
{
	free(sc->cand.v.v);
	free(sc->cand.seen);
	free(sc->sys);
	free(sc->sysidx);
	free(sc->sysv);
	free(sc);
}

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
		sc->sysidx = realloc(sc->sysidx, sc->capsys * sizeof *sc->sysidx);
		sc->sysv = realloc(sc->sysv, sc->capsys * sizeof *sc->sysv);
		if (!sc->sys || !sc->sysidx || !sc->sysv)
			abort();
	}
	size_t n = 0;
	bool self = false;
	if (s != NONE)
		for (size_t i = 0; i < e->systems[s].n; i++) {
			const struct match_component *m = &e->comps[e->systems[s].v[i]];
			self |= m == c;
			sc->sysidx[n] = e->systems[s].v[i];
			sc->sys[n++] = *m;
		}
	if (!self) {
		sc->sysidx[n] = NONE;
		sc->sys[n++] = *c;
	}
	return n;
}

static void variant_view(const struct match_estate *e, const struct variant *v,
			 struct pairview *pv);

/* Views of the system system_of found; self stands for a member that is
 * not in the estate. */
static void system_views(const struct match_estate *e, struct scratch *sc, size_t ns,
			 const struct pairview *self)
{
	for (size_t i = 0; i < ns; i++) {
		if (sc->sysidx[i] == NONE)
			sc->sysv[i] = *self;
		else
			variant_view(e, &e->vars[e->var_of[sc->sysidx[i]]], &sc->sysv[i]);
	}
}

static void variant_view(const struct match_estate *e, const struct variant *v,
			 struct pairview *pv)
{
	pv->comp = &e->comps[v->rep];
	pv->id = (struct idview){ v->vp, v->purl, v->vendor, v->product, v->pkey, v->pkn,
				  v->productn };
	pv->cv = v->cv;
	pv->cp = v->cp;
	pv->version = v->version;
	static const struct vkey none[MATCH_SCHEME_COUNT];
	pv->keys = v->ver != NONE ? &e->vkeys[(size_t)v->ver * MATCH_SCHEME_COUNT] : none;
	pv->ka = NULL;
}

static void answers_add(struct answers *out, uint32_t rec, uint32_t var, uint32_t comp,
			const struct match_result *res, const char *src, size_t *ev)
{
	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 256;
		out->v = realloc(out->v, out->cap * sizeof *out->v);
		if (!out->v)
			abort();
	}
	if (*ev == SIZE_MAX) {
		*ev = out->text.len;
		buf_add(&out->text, res->evidence, strlen(res->evidence) + 1);
	}
	out->v[out->n++] = (struct answer){ rec, var, comp, (uint8_t)res->answer, res->weak, src,
					    *ev };
}

/* Answers record r (feed index ridx, info ri) for the candidates in
 * sc->cand into out. */
static void answer_record(const struct match_estate *e, uint32_t ridx,
			  const struct match_record *r, const struct recinfo *ri,
			  struct scratch *sc, struct answers *out)
{
	for (size_t i = 0; i < sc->cand.v.n; i++) {
		uint32_t vi = sc->cand.v.v[i];
		const struct variant *v = &e->vars[vi];
		struct pairview pv;
		variant_view(e, v, &pv);
		struct match_result shared;
		const char *shared_src = NULL;
		bool have_shared = false;
		size_t shared_ev = SIZE_MAX;
		if (!ri->needs_system || !v->has_system) {
			pair_fast(r, ri, &pv, NULL, NULL, 0, &sc->ps, &shared, &shared_src);
			if (shared.answer != MATCH_NOT_AFFECTED)
				answers_add(out, ridx, vi, NONE, &shared, shared_src, &shared_ev);
			continue;
		}
		for (size_t m = 0; m < v->n; m++) {
			uint32_t ci = e->members[v->first + m];
			const struct match_component *c = &e->comps[ci];
			if (c->system && *c->system) {
				/* its own platform: the members of its system */
				struct match_result own;
				const char *own_src;
				size_t own_ev = SIZE_MAX;
				size_t ns = system_of(e, c, sc);
				struct pairview cv = pv;
				cv.comp = c;
				system_views(e, sc, ns, &cv);
				pair_fast(r, ri, &cv, sc->sys, sc->sysv, ns, &sc->ps, &own, &own_src);
				if (own.answer != MATCH_NOT_AFFECTED)
					answers_add(out, ridx, vi, ci, &own, own_src, &own_ev);
				continue;
			}
			if (!have_shared) {
				pair_fast(r, ri, &pv, NULL, NULL, 0, &sc->ps, &shared, &shared_src);
				have_shared = true;
			}
			if (shared.answer != MATCH_NOT_AFFECTED)
				answers_add(out, ridx, vi, ci, &shared, shared_src, &shared_ev);
		}
	}
}

/* Hands the answers to fn, component by component; returns the hits. */
static size_t answers_emit(const struct match_estate *e, const struct answers *a,
			   const struct match_feed *f, const struct match_record *single,
			   match_hit_fn fn, void *ctx)
{
	size_t hits = 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct answer *x = &a->v[i];
		const struct variant *v = &e->vars[x->var];
		const struct match_record *r = single ? single : f->recs[x->rec];
		struct match_hit h = { single ? SIZE_MAX : x->rec, r, 0, NULL, x->src,
				       (enum match_answer)x->answer, x->weak, a->text.p + x->ev };
		if (x->comp != NONE) {
			h.component = x->comp;
			h.comp = &e->comps[x->comp];
			if (fn)
				fn(ctx, &h);
			hits++;
			continue;
		}
		for (size_t m = 0; m < v->n; m++) {
			h.component = e->members[v->first + m];
			h.comp = &e->comps[h.component];
			if (fn)
				fn(ctx, &h);
		}
		hits += v->n;
	}
	return hits;
}

static void answers_free(struct answers *a)
{
	free(a->v);
	buf_free(&a->text);
	memset(a, 0, sizeof *a);
}

/* ---- (a) whole estate x whole feed ---- */

#define BLOCK_RECORDS 32
#define BLOCKS_AHEAD  64  /* blocks answered ahead of the one being emitted */

struct walk {
	const struct match_estate *e;
	const struct match_feed *f;
	size_t nblocks, next, emitted;
	struct answers *out;  /* one per block */
	bool *done;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void walk_block(struct walk *w, size_t b, struct scratch *sc)
{
	size_t from = b * BLOCK_RECORDS, to = from + BLOCK_RECORDS;
	if (to > w->f->n)
		to = w->f->n;
	for (size_t i = from; i < to; i++) {
		collect_record(w->e, w->f->recs[i], &w->f->info[i], &sc->cand);
		answer_record(w->e, (uint32_t)i, w->f->recs[i], &w->f->info[i], sc, &w->out[b]);
	}
}

/* Takes the next block to answer (mu held); false when none may be taken. */
static bool walk_take(struct walk *w, size_t *b)
{
	if (w->next >= w->nblocks || w->next >= w->emitted + BLOCKS_AHEAD)
		return false;
	*b = w->next++;
	return true;
}

static void *walk_worker(void *arg)
{
	struct walk *w = arg;
	struct scratch *sc = scratch_new(w->e, true);
	pthread_mutex_lock(&w->mu);
	while (w->next < w->nblocks) {
		size_t b;
		if (!walk_take(w, &b)) {
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		pthread_mutex_unlock(&w->mu);
		walk_block(w, b, sc);
		pthread_mutex_lock(&w->mu);
		w->done[b] = true;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	scratch_free(sc);
	return NULL;
}

size_t match_threads_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 8 ? 8 : (size_t)n;
}

size_t match_estate_feed_threads(struct match_estate *e, const struct match_feed *f,
				 size_t nthreads, match_hit_fn fn, void *ctx)
{
	if (!e->built)
		match_estate_build(e);
	struct walk w = { .e = e, .f = f };
	w.nblocks = (f->n + BLOCK_RECORDS - 1) / BLOCK_RECORDS;
	w.out = calloc(w.nblocks ? w.nblocks : 1, sizeof *w.out);
	w.done = calloc(w.nblocks ? w.nblocks : 1, sizeof *w.done);
	if (!w.out || !w.done)
		abort();
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;
	pthread_t th[64];
	size_t started = 0;
	for (size_t t = 1; t < nthreads && t < w.nblocks; t++)
		if (pthread_create(&th[started], NULL, walk_worker, &w) == 0)
			started++;
	/* this thread answers blocks too, and alone calls fn, in feed order */
	struct scratch *sc = scratch_new(e, true);
	size_t hits = 0;
	pthread_mutex_lock(&w.mu);
	while (w.emitted < w.nblocks) {
		size_t b;
		if (w.done[w.emitted]) {
			b = w.emitted;
			pthread_mutex_unlock(&w.mu);
			hits += answers_emit(e, &w.out[b], f, NULL, fn, ctx);
			answers_free(&w.out[b]);
			pthread_mutex_lock(&w.mu);
			w.emitted++;
			pthread_cond_broadcast(&w.cv);
		} else if (walk_take(&w, &b)) {
			pthread_mutex_unlock(&w.mu);
			walk_block(&w, b, sc);
			pthread_mutex_lock(&w.mu);
			w.done[b] = true;
		} else {
			pthread_cond_wait(&w.cv, &w.mu);
		}
	}
	pthread_mutex_unlock(&w.mu);
	for (size_t t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	scratch_free(sc);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	free(w.out);
	free(w.done);
	return hits;
}

size_t match_estate_feed(struct match_estate *e, const struct match_feed *f, match_hit_fn fn,
			 void *ctx)
{
	return match_estate_feed_threads(e, f, match_threads_default(), fn, ctx);
}

/* ---- (b) one advisory x estate ---- */

size_t match_advisory_estate(struct match_estate *e, const struct match_record *r,
			     match_hit_fn fn, void *ctx)
{
	if (!e->built)
		match_estate_build(e);
	struct arena a;
	arena_init(&a);
	struct recinfo ri;
	recinfo_build(&a, r, &ri);
	struct scratch *sc = scratch_new(e, false);
	struct answers out = { 0 };
	collect_record(e, r, &ri, &sc->cand);
	answer_record(e, 0, r, &ri, sc, &out);
	size_t hits = answers_emit(e, &out, NULL, r, fn, ctx);
	answers_free(&out);
	scratch_free(sc);
	arena_free(&a);
	return hits;
}

/* ---- (c) one component x feed ---- */

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
	struct scratch *sc = scratch_new(NULL, false);
	struct arena ka;
	arena_init(&ka);
	comp_keys(c, &sc->ck);
	feed_candidates(f, &sc->ck, &sc->cand.v);
	char cv[NAME_CAP], cp[NAME_CAP];
	ident_names(c, cv, cp);
	struct pairview pv;
	memset(&pv, 0, sizeof pv);
	pv.comp = c;
	pv.id = compkey_view(&sc->ck);
	pv.cv = cv;
	pv.cp = cp;
	pv.version = effective_version(&ka, c);
	pv.ka = &ka;
	size_t hits = 0;
	size_t ns = 0;
	bool have_sys = false;
	for (size_t i = 0; i < sc->cand.v.n; i++) {
		uint32_t ri = sc->cand.v.v[i];
		struct match_result res;
		const char *src;
		if (f->info[ri].needs_system && c->system && *c->system) {
			if (!have_sys) {
				ns = system_of(e, c, sc);
				system_views(e, sc, ns, &pv);
				have_sys = true;
			}
			pair_fast(f->recs[ri], &f->info[ri], &pv, ns ? sc->sys : NULL, sc->sysv, ns,
				  &sc->ps, &res, &src);
		} else {
			pair_fast(f->recs[ri], &f->info[ri], &pv, NULL, NULL, 0, &sc->ps, &res, &src);
		}
		if (res.answer == MATCH_NOT_AFFECTED)
			continue;
		struct match_hit h = { ri, f->recs[ri], estate_index(e, c), c, src, res.answer,
				       res.weak, res.evidence };
		if (fn)
			fn(ctx, &h);
		hits++;
	}
	arena_free(&ka);
	scratch_free(sc);
	return hits;
}

enum match_answer match_feed_pair_eval(const struct match_feed *f, size_t i,
				       const struct match_estate *e,
				       const struct match_component *c, struct match_result *res,
				       const char **criterion)
{
	struct compkey ck;
	comp_keys(c, &ck);
	struct idview id = compkey_view(&ck);
	if (!f->info[i].needs_system)
		return pair_eval(f->recs[i], &f->info[i], c, &id, NULL, 0, res, criterion);
	struct scratch sc;
	memset(&sc, 0, sizeof sc);
	size_t ns = system_of(e, c, &sc);
	enum match_answer a = pair_eval(f->recs[i], &f->info[i], c, &id, ns ? sc.sys : NULL, ns,
					res, criterion);
	free(sc.sys);
	free(sc.sysidx);
	free(sc.sysv);
	return a;
}

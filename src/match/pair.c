/*
 * pair: the answer for one record against one component description.
 *
 * pair_eval() is the reference, built from the engine's own criterion and
 * configuration evaluators (criteria.c) with their evidence.
 * pair_fast() reaches the same answer, weak flag and deciding criterion
 * without building any text and without allocating: it reads the
 * component's version keys computed once per scheme, compares keys with
 * memcmp, and mirrors criteria.c's identity and rule logic step by step
 * (the unit tests and bench/match check the two agree on every pair they
 * see, evidence included). Only for a match does it write the evidence of
 * the deciding criterion: directly when the decision took the plain path
 * (identity equal, one rule or the default decided, no doubt noted), else
 * by asking criteria.c, so the text is always the reference's. Records
 * with NVD configurations are answered by pair_eval itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index_int.h"

static int rank_of(enum match_answer a, bool weak)
{
	switch (a) {
	case MATCH_AFFECTED: return 4;
	case MATCH_UNKNOWN: return weak ? 1 : 3;
	case MATCH_NOT_AFFECTED: return 2;
	}
	return 0;
}

/* Can criterion key k and component keys id name the same thing? */
bool overlap(const struct critkey *k, const struct idview *id)
{
	if (k->kind == CK_VP)
		return id->vp && strcmp(k->product, id->product) == 0 &&
		       (!*k->vendor || !*id->vendor || strcmp(k->vendor, id->vendor) == 0);
	if (k->kind == CK_PURL) {
		if (id->purl)
			return id->pkn == k->pkn && memcmp(id->pkey, k->pkey, k->pkn) == 0;
		return id->vp && strcmp(k->product, id->product) == 0;
	}
	return false;
}

static int key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

/* The run of refs whose key is k: [*from, return). */
static size_t critref_run(const struct critref *r, size_t n, const char *k, size_t kn,
			  size_t *from)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (key_cmp(r[m].key, r[m].kn, k, kn) < 0)
			lo = m + 1;
		else
			hi = m;
	}
	*from = lo;
	while (hi < n && key_cmp(r[hi].key, r[hi].kn, k, kn) == 0)
		hi++;
	return hi;
}

/* The vendor and product criteria.c's product identity compares (cv and
 * cp hold NAME_CAP bytes). */
void ident_names(const struct match_component *comp, char *cv, char *cp)
{
	if (comp->cpe) {
		struct str v = match_cpe_body(comp->cpe, MATCH_CPE_VENDOR);
		struct str p = match_cpe_body(comp->cpe, MATCH_CPE_PRODUCT);
		snprintf(cv, NAME_CAP, "%.*s", (int)v.n, v.p);
		snprintf(cp, NAME_CAP, "%.*s", (int)p.n, p.p);
		match_norm_name(cv, cv, NAME_CAP);
		match_norm_name(cp, cp, NAME_CAP);
	} else {
		match_norm_name(comp->vendor, cv, NAME_CAP);
		match_norm_name(comp->product, cp, NAME_CAP);
		if (!*cp && comp->purl && comp->purl->name)
			match_norm_name(comp->purl->name, cp, NAME_CAP);
	}
}

const char *effective_version(struct arena *a, const struct match_component *c)
{
	const char *v = c->version;
	if ((!v || !*v) && c->cpe && c->cpe->a[MATCH_CPE_VERSION].kind == MATCH_CPE_VALUE) {
		struct str b = match_cpe_body(c->cpe, MATCH_CPE_VERSION);
		v = arena_strndup(a, b.p, b.n);
	}
	if ((!v || !*v) && c->purl && c->purl->version)
		v = c->purl->version;
	return v && *v ? v : NULL;
}

/* ---- the reference ---- */

enum match_answer pair_eval(const struct match_record *rec, const struct recinfo *ri,
			    const struct match_component *comp, const struct idview *id,
			    const struct match_component *sys, size_t nsys, struct match_result *res,
			    const char **decided)
{
	struct match_result best = { .answer = MATCH_NOT_AFFECTED };
	snprintf(best.evidence, sizeof best.evidence, "%s: no criterion names this component",
		 rec->id);
	const char *src = NULL;
	bool named = false;
	struct match_result r;
	for (size_t i = 0; i < rec->ncrit; i++) {
		if (!overlap(&ri->ck[i], id))
			continue;
		match_criterion_eval(&rec->crit[i], comp, &r);
		if (match_identity(&rec->crit[i], comp, NULL) == MATCH_NOT_AFFECTED)
			continue;
		if (!named || rank_of(r.answer, r.weak) > rank_of(best.answer, best.weak)) {
			best = r;
			src = rec->crit[i].source;
		}
		named = true;
	}
	for (size_t i = 0; i < ri->ncfg; i++) {
		bool any = false;
		for (size_t k = 0; k < ri->cfg[i].n && !any; k++)
			any = overlap(&ri->cfg[i].k[k], id);
		if (!any)
			continue;
		enum match_answer a = match_config_eval(&rec->configs[i], comp, sys, nsys, &r);
		if (a == MATCH_NOT_AFFECTED && named)
			continue;
		if (r.answer == MATCH_NOT_AFFECTED && strstr(r.evidence, "no vulnerable"))
			continue;
		if (!named || rank_of(r.answer, r.weak) > rank_of(best.answer, best.weak)) {
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

/* ---- the fast path: criteria.c's logic on precomputed keys ---- */

static const struct vkey *view_key(struct pairview *v, enum match_scheme s)
{
	if (v->keys)
		return &v->keys[s];
	if (!v->have[s]) {
		v->have[s] = true;
		struct buf k;
		buf_init(&k);
		v->lazy[s].ok = v->version &&
				match_version_key(s, str_c(v->version), &k, NULL) == BW_OK;
		if (v->lazy[s].ok) {
			uint8_t *p = arena_alloc(v->ka, k.len ? k.len : 1);
			memcpy(p, k.p, k.len);
			v->lazy[s].k = p;
			v->lazy[s].kn = (uint32_t)k.len;
		}
		buf_free(&k);
	}
	return &v->lazy[s];
}

enum contain { C_NO, C_YES, C_UNDECIDED };

/* criteria.c's rule_contains, the exact-version test reordered (key
 * first) without changing its outcome. */
static enum contain contains_fast(const struct match_rule *r, const char *v, const uint8_t *kv,
				  size_t kvn, enum match_answer *status, bool *unsure)
{
	*status = r->status;
	*unsure = false;
	if (r->all)
		goto contained;
	if (r->exact) {
		if (kv && r->lo.key && match_key_cmp(kv, kvn, r->lo.key, r->lo.kn) == 0)
			goto contained;
		if (r->lo.text && strcmp(r->lo.text, v) == 0)
			goto contained;
		if (!kv || !r->lo.key)
			return C_UNDECIDED;
		return C_NO;
	}
	if (!kv)
		return C_UNDECIDED;
	if (r->lo.kind != MATCH_UNBOUNDED) {
		if (!r->lo.key) {
			if (!(r->status == MATCH_AFFECTED && r->hi.kind != MATCH_UNBOUNDED))
				return C_UNDECIDED;
		} else {
			int c = match_key_cmp(kv, kvn, r->lo.key, r->lo.kn);
			if (c < 0 || (c == 0 && r->lo.kind == MATCH_EXCLUSIVE))
				return C_NO;
		}
	}
	if (r->hi.kind != MATCH_UNBOUNDED) {
		if (!r->hi.key)
			return C_UNDECIDED;
		int c = match_key_cmp(kv, kvn, r->hi.key, r->hi.kn);
		if (c > 0 || (c == 0 && r->hi.kind == MATCH_EXCLUSIVE))
			return C_NO;
	}
contained:
	for (size_t i = 0; i < r->nchanges; i++) {
		const struct match_change *ch = &r->changes[i];
		if (!ch->at.key || !kv) {
			*unsure = true;
			break;
		}
		if (match_key_cmp(kv, kvn, ch->at.key, ch->at.kn) >= 0)
			*status = ch->status;
	}
	return C_YES;
}

static int cmp_exactent(const void *x, const void *y)
{
	const struct exactent *a = x, *b = y;
	int c = match_key_cmp(a->k, a->kn, b->k, b->kn);
	return c ? c : (a->rule > b->rule) - (a->rule < b->rule);
}

struct exactidx *exactidx_build(struct arena *a, const struct match_criterion *c)
{
	if (c->nrules <= EXACT_INDEX_MIN)
		return NULL;
	struct exactidx *x = arena_alloc(a, sizeof *x);
	x->e = arena_alloc(a, 2 * c->nrules * sizeof *x->e);
	x->others = arena_alloc(a, c->nrules * sizeof *x->others);
	bool have_scheme = false;
	struct buf k;
	buf_init(&k);
	for (size_t i = 0; i < c->nrules; i++) {
		const struct match_rule *r = &c->rules[i];
		bool in = r->scheme_ok && r->exact && r->lo.key && r->lo.text &&
			  (!have_scheme || r->scheme == x->s);
		if (in) {
			/* a version with the rule's text has the text's plain key */
			k.len = 0;
			in = match_version_key(r->scheme, str_c(r->lo.text), &k, NULL) == BW_OK;
		}
		if (!in) {
			x->others[x->nothers++] = (uint32_t)i;
			continue;
		}
		x->s = r->scheme;
		have_scheme = true;
		x->e[x->n++] = (struct exactent){ r->lo.key, r->lo.kn, (uint32_t)i };
		if (match_key_cmp(k.p, k.len, r->lo.key, r->lo.kn) != 0) {
			uint8_t *p = arena_alloc(a, k.len ? k.len : 1);
			memcpy(p, k.p, k.len);
			x->e[x->n++] = (struct exactent){ p, (uint32_t)k.len, (uint32_t)i };
		}
	}
	buf_free(&k);
	if (x->n < EXACT_INDEX_MIN)
		return NULL; /* not worth it (the arena keeps the little it took) */
	qsort(x->e, x->n, sizeof *x->e, cmp_exactent);
	return x;
}

/* How match_rules_eval decided, enough to write its text. */
enum form { F_NOVER, F_NOVERSIONS, F_NAMES, F_HOLDS, F_DEFAULT };

struct rules_out {
	enum match_answer a, st;
	bool weak;
	bool notes;  /* match_rules_eval wrote a remark before deciding */
	bool suffix; /* " — so it may be affected or not" */
	enum form form;
	size_t rule;
};

struct rules_state {
	unsigned possible;
	bool strong_doubt;
};

/* One step of match_rules_eval's loop: true when rule i decided. */
static bool rule_step(const struct match_criterion *c, size_t i, struct pairview *v,
		      struct rules_state *st, struct rules_out *o)
{
	const struct match_rule *r = &c->rules[i];
	const char *version = v->version;
	if (!r->scheme_ok) {
		st->possible |= 1u << r->status;
		if (r->exact && r->lo.text && strcmp(r->lo.text, version) == 0) {
			o->form = F_NAMES;
			o->rule = i;
			o->st = r->status;
			return true;
		}
		o->notes = true;
		return false;
	}
	const struct vkey *k = view_key(v, r->scheme);
	if (!k->ok)
		o->notes = true;
	enum match_answer s;
	bool unsure;
	enum contain ct = contains_fast(r, version, k->ok ? k->k : NULL, k->ok ? k->kn : 0, &s,
					&unsure);
	if (ct == C_NO)
		return false;
	if (unsure) {
		st->strong_doubt = true;
		st->possible |= 1u << MATCH_UNKNOWN;
	}
	if (ct == C_UNDECIDED) {
		st->strong_doubt = true;
		st->possible |= 1u << s;
		o->notes = true;
		return false;
	}
	st->possible |= 1u << s;
	o->form = F_HOLDS;
	o->rule = i;
	o->st = s;
	return true;
}

/* With an exact index: the rules that may hold the version (those of the
 * index whose key is the version's, the others all) in rule order. An
 * indexed rule with another key has both keys and another text, so
 * rule_step would pass over it without a word. False when the index
 * cannot be used here. */
static bool rules_indexed(const struct match_criterion *c, const struct exactidx *x,
			  struct pairview *v, struct rules_state *st, struct rules_out *o,
			  bool *decided)
{
	const struct vkey *k = view_key(v, x->s);
	if (!k->ok)
		return false;
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (match_key_cmp(x->e[m].k, x->e[m].kn, k->k, k->kn) < 0)
			lo = m + 1;
		else
			hi = m;
	}
	uint32_t hit[64];
	size_t nh = 0;
	for (size_t j = lo; j < x->n && match_key_cmp(x->e[j].k, x->e[j].kn, k->k, k->kn) == 0; j++) {
		if (nh == BW_NELEM(hit))
			return false;
		hit[nh++] = x->e[j].rule;
	}
	/* a rule may be there under both keys: hit is sorted by key then
	 * rule, so sort the few by rule and skip repeats */
	for (size_t i = 1; i < nh; i++)
		for (size_t j = i; j > 0 && hit[j - 1] > hit[j]; j--) {
			uint32_t t = hit[j];
			hit[j] = hit[j - 1];
			hit[j - 1] = t;
		}
	size_t a = 0, b = 0;
	uint32_t last = UINT32_MAX;
	*decided = false;
	while (a < nh || b < x->nothers) {
		uint32_t i;
		if (b >= x->nothers || (a < nh && hit[a] < x->others[b]))
			i = hit[a++];
		else
			i = x->others[b++];
		if (i == last)
			continue;
		last = i;
		if (rule_step(c, i, v, st, o)) {
			*decided = true;
			break;
		}
	}
	return true;
}

/* match_rules_eval without text. */
static void rules_fast(const struct match_criterion *c, const struct exactidx *x,
		       struct pairview *v, struct rules_out *o)
{
	const char *version = v->version;
	memset(o, 0, sizeof *o);
	if (!version || !*version) {
		o->a = MATCH_UNKNOWN;
		o->form = F_NOVER;
		return;
	}
	if (c->nrules == 0 && c->no_versions) {
		o->a = c->dflt;
		o->st = c->dflt;
		o->form = F_NOVERSIONS;
		return;
	}
	struct rules_state st = { 0, false };
	bool decided = false;
	if (!x || !rules_indexed(c, x, v, &st, o, &decided)) {
		st = (struct rules_state){ 0, false };
		o->notes = false;
		for (size_t i = 0; i < c->nrules && !decided; i++)
			decided = rule_step(c, i, v, &st, o);
	}
	if (!decided) {
		st.possible |= 1u << c->dflt;
		o->form = F_DEFAULT;
		o->st = c->dflt;
	}
	unsigned possible = st.possible;
	if (possible == (1u << MATCH_AFFECTED)) {
		o->a = MATCH_AFFECTED;
	} else if (possible == (1u << MATCH_NOT_AFFECTED)) {
		o->a = MATCH_NOT_AFFECTED;
	} else {
		o->a = MATCH_UNKNOWN;
		o->suffix = possible != (1u << MATCH_UNKNOWN);
		o->weak = !st.strong_doubt && possible != (1u << MATCH_UNKNOWN);
	}
}

/* criteria.c's cpe_identity without text. */
static enum match_answer cpe_ident_fast(const struct match_criterion *c, struct pairview *v,
					struct pairscratch *sc)
{
	const struct match_component *comp = v->comp;
	const struct match_cpe *src = c->cpe, *tgt = comp->cpe;
	if (!tgt) {
		if (sc->tmp_for != comp) {
			/* the component's vendor and product stand in, folded:
			 * v->cv and v->cp are, unless cp is the purl's name */
			sc->tmp_for = comp;
			sc->tmp_ok = false;
			if (comp->product) {
				char np[NAME_CAP];
				const char *nv = v->cv, *p = v->cp;
				if (comp->purl) {
					match_norm_name(comp->product, np, sizeof np);
					p = np;
				}
				match_cpe_init(&sc->tmp);
				sc->tmp_ok = *p &&
					     (!*nv || cpe_set_plain(&sc->tmp, MATCH_CPE_VENDOR, nv, NULL) == BW_OK) &&
					     cpe_set_plain(&sc->tmp, MATCH_CPE_PRODUCT, p, NULL) == BW_OK;
			}
		}
		if (!sc->tmp_ok)
			return MATCH_UNKNOWN;
		tgt = &sc->tmp;
	}
	if (src->a[MATCH_CPE_VENDOR].kind != MATCH_CPE_VALUE ||
	    src->a[MATCH_CPE_PRODUCT].kind != MATCH_CPE_VALUE)
		return MATCH_UNKNOWN;
	bool doubt = false;
	for (int i = 0; i < MATCH_CPE_NATTR; i++) {
		enum match_cpe_attr at = (enum match_cpe_attr)i;
		const struct match_cpe_value *sv = &src->a[at], *tv = &tgt->a[at];
		if (sv->kind == MATCH_CPE_ANY) {
			/* ANY is equal to or a superset of anything, and only a
			 * wildcarded value makes it undefined (unless the version
			 * rules decide the version) */
			if (tv->kind == MATCH_CPE_VALUE &&
			    (tv->pre_star || tv->post_star || tv->pre_q || tv->post_q) &&
			    !(at == MATCH_CPE_VERSION && c->nrules > 0))
				doubt = true;
			continue;
		}
		enum match_cpe_rel r = match_cpe_compare_attr(src, tgt, at);
		if (r == MATCH_CPE_DISJOINT)
			return MATCH_NOT_AFFECTED;
		if (r == MATCH_CPE_SUBSET || r == MATCH_CPE_UNDEFINED)
			doubt = true;
	}
	return doubt ? MATCH_UNKNOWN : MATCH_AFFECTED;
}

/* match_identity without text. */
static enum match_answer ident_fast(const struct match_criterion *c, const struct critkey *ck,
				    struct pairview *v, struct pairscratch *sc)
{
	switch (c->kind) {
	case MATCH_ID_CPE:
		return cpe_ident_fast(c, v, sc);
	case MATCH_ID_PRODUCT:
		if (!*v->cp)
			return MATCH_UNKNOWN;
		if (strcmp(v->cp, c->product) != 0)
			return MATCH_NOT_AFFECTED;
		if (!*v->cv || !c->vendor || !*c->vendor)
			return MATCH_UNKNOWN;
		return strcmp(v->cv, c->vendor) == 0 ? MATCH_AFFECTED : MATCH_NOT_AFFECTED;
	case MATCH_ID_PURL:
		if (v->comp->purl)
			return match_purl_same_package(c->purl, v->comp->purl) ? MATCH_AFFECTED
									     : MATCH_NOT_AFFECTED;
		/* a product named like the package may be it (ck->product is
		 * the folded package name; cp has no purl to fall back on) */
		if (!ck) {
			char np[NAME_CAP];
			match_norm_name(c->purl->name, np, sizeof np);
			return *v->cp && strcmp(v->cp, np) == 0 ? MATCH_UNKNOWN : MATCH_NOT_AFFECTED;
		}
		return *v->cp && strcmp(v->cp, ck->product) == 0 ? MATCH_UNKNOWN
								 : MATCH_NOT_AFFECTED;
	}
	return MATCH_UNKNOWN;
}

struct crit_out {
	enum match_answer a;
	bool weak;
	bool skip;    /* identity says another product: the criterion does not count */
	bool simple;  /* evidence can be written here */
	bool cpe_only; /* a CPE criterion without rules: identity decided */
	struct rules_out ro;
};

/* match_criterion_eval without text (ck NULL: a criterion the feed did
 * not key, a platform of a configuration). */
static void crit_fast(const struct match_criterion *c, const struct critkey *ck,
		      struct pairview *v, struct pairscratch *sc, struct crit_out *o)
{
	o->weak = false;
	o->skip = false;
	o->cpe_only = false;
	enum match_answer id = ident_fast(c, ck, v, sc);
	if (id == MATCH_NOT_AFFECTED) {
		o->skip = true;
		o->a = MATCH_NOT_AFFECTED;
		return;
	}
	o->simple = id == MATCH_AFFECTED; /* an unknown identity wrote why */
	if (c->kind == MATCH_ID_CPE && c->nrules == 0) {
		o->cpe_only = true;
		o->a = id;
		return;
	}
	rules_fast(c, ck ? ck->x : NULL, v, &o->ro);
	o->simple &= !o->ro.notes;
	enum match_answer va = o->ro.a;
	if (va == MATCH_NOT_AFFECTED) {
		o->a = MATCH_NOT_AFFECTED;
	} else if (id == MATCH_UNKNOWN || va == MATCH_UNKNOWN) {
		o->a = MATCH_UNKNOWN;
		o->weak = va == MATCH_UNKNOWN && o->ro.weak && id != MATCH_UNKNOWN;
	} else {
		o->a = MATCH_AFFECTED;
	}
}

/* ---- configurations: criteria.c's match_config_eval without text ---- */

static enum match_answer and3(enum match_answer a, enum match_answer b)
{
	if (a == MATCH_NOT_AFFECTED || b == MATCH_NOT_AFFECTED)
		return MATCH_NOT_AFFECTED;
	if (a == MATCH_UNKNOWN || b == MATCH_UNKNOWN)
		return MATCH_UNKNOWN;
	return MATCH_AFFECTED;
}

static enum match_answer or3(enum match_answer a, enum match_answer b)
{
	if (a == MATCH_AFFECTED || b == MATCH_AFFECTED)
		return MATCH_AFFECTED;
	if (a == MATCH_UNKNOWN || b == MATCH_UNKNOWN)
		return MATCH_UNKNOWN;
	return MATCH_NOT_AFFECTED;
}

struct cfgx {
	struct pairview *target, *sys; /* the system's members (target among them) */
	size_t nsys;
	struct pairscratch *sc;
	const struct critkey *keys;    /* the configuration's vulnerable criteria, in order */
	size_t next;
	bool target_hit;
};

static enum match_answer leaf_fast(struct cfgx *x, const struct match_criterion *c)
{
	struct crit_out o;
	if (c->vulnerable) {
		const struct critkey *ck = &x->keys[x->next++];
		crit_fast(c, ck->kind == CK_NONE ? NULL : ck, x->target, x->sc, &o);
		if (o.a != MATCH_NOT_AFFECTED)
			x->target_hit = true;
		return o.a;
	}
	if (x->nsys == 0)
		return MATCH_UNKNOWN;
	enum match_answer best = MATCH_NOT_AFFECTED;
	for (size_t i = 0; i < x->nsys && best != MATCH_AFFECTED; i++) {
		crit_fast(c, NULL, &x->sys[i], x->sc, &o);
		best = or3(best, o.a);
	}
	return best;
}

static enum match_answer node_fast(struct cfgx *x, const struct match_node *n)
{
	enum match_answer acc = n->and_op ? MATCH_AFFECTED : MATCH_NOT_AFFECTED;
	for (size_t i = 0; i < n->ncrit; i++) {
		enum match_answer a = leaf_fast(x, &n->crit[i]);
		acc = n->and_op ? and3(acc, a) : or3(acc, a);
	}
	for (size_t i = 0; i < n->nchildren; i++) {
		enum match_answer a = node_fast(x, &n->children[i]);
		acc = n->and_op ? and3(acc, a) : or3(acc, a);
	}
	if (n->ncrit == 0 && n->nchildren == 0)
		acc = MATCH_UNKNOWN;
	if (!n->negate)
		return acc;
	return acc == MATCH_AFFECTED ? MATCH_NOT_AFFECTED
	       : acc == MATCH_NOT_AFFECTED ? MATCH_AFFECTED : MATCH_UNKNOWN;
}

static enum match_answer config_fast(const struct match_config *cfg, const struct cfginfo *ci,
				     struct pairview *target, struct pairview *sys, size_t nsys,
				     struct pairscratch *sc, bool *target_hit)
{
	struct cfgx x = { target, sys, nsys, sc, ci->k, 0, false };
	enum match_answer acc = cfg->and_op ? MATCH_AFFECTED : MATCH_NOT_AFFECTED;
	for (size_t i = 0; i < cfg->nnodes; i++) {
		enum match_answer a = node_fast(&x, &cfg->nodes[i]);
		acc = cfg->and_op ? and3(acc, a) : or3(acc, a);
	}
	*target_hit = x.target_hit;
	return x.target_hit ? acc : MATCH_NOT_AFFECTED;
}

/* ---- writing the evidence of the plain path ---- */

struct ev {
	char *p;
	size_t n, cap; /* cap includes the NUL */
};

static void ev_add(struct ev *e, const char *s, size_t n)
{
	if (e->n + 1 >= e->cap)
		return;
	size_t room = e->cap - 1 - e->n;
	if (n > room)
		n = room;
	memcpy(e->p + e->n, s, n);
	e->n += n;
	e->p[e->n] = 0;
}

static void ev_str(struct ev *e, const char *s)
{
	ev_add(e, s, strlen(s));
}

static void ev_num(struct ev *e, size_t v)
{
	char d[24];
	size_t n = sizeof d;
	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ev_add(e, d + n, sizeof d - n);
}

static const char *status_word(enum match_answer a)
{
	return a == MATCH_AFFECTED ? "affected" : a == MATCH_NOT_AFFECTED ? "unaffected" : "unknown";
}

/* criteria.c's rule_text */
static void ev_rule(struct ev *e, const struct match_rule *r)
{
	const char *sch = r->scheme_text ? r->scheme_text : match_scheme_name(r->scheme);
	if (r->all) {
		ev_str(e, "all versions");
	} else if (r->exact) {
		ev_str(e, "version ");
		ev_str(e, r->lo.text ? r->lo.text : "?");
	} else {
		if (r->lo.kind != MATCH_UNBOUNDED) {
			ev_str(e, r->lo.text ? r->lo.text : "(null)");
			ev_str(e, r->lo.kind == MATCH_INCLUSIVE ? " <= " : " < ");
		}
		ev_str(e, "v");
		if (r->hi.kind != MATCH_UNBOUNDED) {
			ev_str(e, r->hi.kind == MATCH_INCLUSIVE ? " <= " : " < ");
			ev_str(e, r->hi.text ? r->hi.text : "(null)");
		}
	}
	ev_str(e, " (");
	ev_str(e, sch);
	ev_str(e, ")");
}

/* The text match_criterion_eval writes on the plain path. */
static void ev_plain(struct ev *e, const struct match_criterion *c, const struct critkey *ck,
		     const struct crit_out *o, const char *version)
{
	ev_add(e, ck->prefix, ck->prefixn);
	if (o->cpe_only) {
		ev_str(e, "same product and version");
		return;
	}
	const struct rules_out *r = &o->ro;
	switch (r->form) {
	case F_NOVER:
		ev_str(e, "the component's version is not known");
		return;
	case F_NOVERSIONS:
		ev_str(e, "the record names no versions; default ");
		ev_str(e, status_word(c->dflt));
		return;
	case F_NAMES:
	case F_HOLDS:
		ev_str(e, "rule ");
		ev_num(e, r->rule + 1);
		ev_str(e, ": ");
		ev_rule(e, &c->rules[r->rule]);
		ev_str(e, r->form == F_NAMES ? " names " : " holds for v = ");
		ev_str(e, version);
		ev_str(e, r->form == F_NAMES ? " exactly: " : ": ");
		ev_str(e, status_word(r->st));
		break;
	case F_DEFAULT:
		ev_str(e, version);
		ev_str(e, " is in no listed range: default ");
		ev_str(e, status_word(c->dflt));
		break;
	}
	if (r->suffix)
		ev_str(e, " — so it may be affected or not");
}

/* ---- the text of the other paths, as criteria.c writes it ---- */

/* criteria.c's identity functions' remarks (the answer is known: a match
 * only comes from an identity that is not "not affected"). */
static void ev_identity(struct ev *e, const struct match_criterion *c, const struct critkey *ck,
			struct pairview *v, struct pairscratch *sc)
{
	const struct match_component *comp = v->comp;
	switch (c->kind) {
	case MATCH_ID_CPE: {
		const struct match_cpe *src = c->cpe, *tgt = comp->cpe;
		if (!tgt) {
			cpe_ident_fast(c, v, sc); /* builds sc->tmp */
			if (!sc->tmp_ok) {
				ev_str(e, "the component has no CPE, vendor or product to compare");
				return;
			}
			tgt = &sc->tmp;
		}
		if (src->a[MATCH_CPE_VENDOR].kind != MATCH_CPE_VALUE ||
		    src->a[MATCH_CPE_PRODUCT].kind != MATCH_CPE_VALUE) {
			ev_str(e, "the criterion names no vendor or product");
			return;
		}
		for (int i = 0; i < MATCH_CPE_NATTR; i++) {
			enum match_cpe_attr at = (enum match_cpe_attr)i;
			if (at == MATCH_CPE_VERSION && c->nrules > 0 && src->a[at].kind == MATCH_CPE_ANY)
				continue;
			enum match_cpe_rel r = match_cpe_compare_attr(src, tgt, at);
			if (r == MATCH_CPE_SUBSET || r == MATCH_CPE_UNDEFINED) {
				ev_str(e, match_cpe_attr_name(at));
				ev_str(e, r == MATCH_CPE_SUBSET ? ": the component does not say; "
								: ": undefined (wildcards); ");
				return; /* only the first doubt is written */
			}
		}
		return;
	}
	case MATCH_ID_PRODUCT:
		if (!*v->cp) {
			ev_str(e, "the component names no product");
		} else if (!*v->cv || !c->vendor || !*c->vendor) {
			ev_str(e, "product ");
			ev_str(e, v->cp);
			ev_str(e, " matches but the vendor cannot be compared; ");
		}
		return;
	case MATCH_ID_PURL:
		if (!comp->purl && *v->cp && strcmp(v->cp, ck->product) == 0) {
			ev_str(e, "the component has no package URL; its product is named like package ");
			ev_str(e, c->purl->name);
			ev_str(e, "; ");
		}
		return;
	}
}

/* match_rules_eval's text, every remark included. */
static void ev_rules(struct ev *e, const struct match_criterion *c, struct pairview *v)
{
	const char *version = v->version;
	if (!version || !*version) {
		ev_str(e, "the component's version is not known");
		return;
	}
	if (c->nrules == 0 && c->no_versions) {
		ev_str(e, "the record names no versions; default ");
		ev_str(e, status_word(c->dflt));
		return;
	}
	unsigned possible = 0;
	enum match_scheme keyed = MATCH_SCHEME_COUNT;
	const struct vkey *k = NULL;
	for (size_t i = 0; i < c->nrules; i++) {
		const struct match_rule *r = &c->rules[i];
		if (!r->scheme_ok) {
			possible |= 1u << r->status;
			if (r->exact && r->lo.text && strcmp(r->lo.text, version) == 0) {
				ev_str(e, "rule ");
				ev_num(e, i + 1);
				ev_str(e, ": ");
				ev_rule(e, r);
				ev_str(e, " names ");
				ev_str(e, version);
				ev_str(e, " exactly: ");
				ev_str(e, status_word(r->status));
				goto done;
			}
			ev_str(e, "rule ");
			ev_num(e, i + 1);
			ev_str(e, ": versionType ");
			ev_str(e, r->scheme_text ? r->scheme_text : "?");
			ev_str(e, " cannot be compared with ");
			ev_str(e, version);
			ev_str(e, "; ");
			continue;
		}
		if (keyed != r->scheme) {
			keyed = r->scheme;
			k = view_key(v, r->scheme);
			if (!k->ok) {
				/* the scheme's own words for why */
				struct bw_error kerr = { 0 };
				struct buf tmp;
				buf_init(&tmp);
				match_version_key(r->scheme, str_c(version), &tmp, &kerr);
				buf_free(&tmp);
				ev_str(e, version);
				ev_str(e, " is not orderable as ");
				ev_str(e, match_scheme_name(r->scheme));
				ev_str(e, " (");
				ev_str(e, kerr.msg);
				ev_str(e, "); ");
			}
		}
		enum match_answer st;
		bool unsure;
		enum contain ct = contains_fast(r, version, k->ok ? k->k : NULL, k->ok ? k->kn : 0, &st,
						&unsure);
		if (ct == C_NO)
			continue;
		if (unsure)
			possible |= 1u << MATCH_UNKNOWN;
		if (ct == C_UNDECIDED) {
			possible |= 1u << st;
			ev_str(e, "rule ");
			ev_num(e, i + 1);
			ev_str(e, " (");
			ev_rule(e, r);
			ev_str(e, ") cannot be decided for ");
			ev_str(e, version);
			ev_str(e, "; ");
			continue;
		}
		possible |= 1u << st;
		ev_str(e, "rule ");
		ev_num(e, i + 1);
		ev_str(e, ": ");
		ev_rule(e, r);
		ev_str(e, " holds for v = ");
		ev_str(e, version);
		ev_str(e, ": ");
		ev_str(e, status_word(st));
		goto done;
	}
	possible |= 1u << c->dflt;
	ev_str(e, version);
	ev_str(e, " is in no listed range: default ");
	ev_str(e, status_word(c->dflt));
done:
	if (possible != (1u << MATCH_AFFECTED) && possible != (1u << MATCH_NOT_AFFECTED) &&
	    possible != (1u << MATCH_UNKNOWN))
		ev_str(e, " — so it may be affected or not");
}

/* match_criterion_eval's text for a match. */
static void ev_full(struct ev *e, const struct match_criterion *c, const struct critkey *ck,
		    const struct crit_out *o, struct pairview *v, struct pairscratch *sc)
{
	ev_add(e, ck->prefix, ck->prefixn);
	ev_identity(e, c, ck, v, sc);
	if (o->cpe_only) {
		if (o->a == MATCH_AFFECTED)
			ev_str(e, "same product and version");
		return;
	}
	/* match_rules_eval writes into a buffer of its own, then it is
	 * appended: the same text as writing on, cut at the same length */
	ev_rules(e, c, v);
}

/* pair_eval keeps the first criterion of the highest rank. */
struct pick {
	bool named;
	int rank;
	size_t best;
};

static void pick_crit(const struct match_record *rec, const struct recinfo *ri, size_t i,
		      struct pairview *v, struct pairscratch *sc, struct pick *p,
		      struct crit_out *bo)
{
	if (ri->ck[i].dup || !overlap(&ri->ck[i], &v->id))
		return;
	struct crit_out o;
	crit_fast(&rec->crit[i], &ri->ck[i], v, sc, &o);
	if (o.skip)
		return;
	int rk = rank_of(o.a, o.weak);
	if (!p->named || rk > p->rank || (rk == p->rank && i < p->best)) {
		p->rank = rk;
		p->best = i;
		*bo = o;
	}
	p->named = true;
}

/* match_config_eval's text for configuration i of rec with target v and
 * answer a (views of one description share it whatever their system). */
static const char *config_text(const struct match_record *rec, size_t i, enum match_answer a,
			       struct pairview *v, const struct match_component *sys, size_t nsys,
			       struct pairscratch *sc)
{
	for (unsigned k = 0; k < CFGTEXT_SLOTS; k++) {
		const struct cfgtext *t = &sc->cfgtext[k];
		if (t->rec == rec && t->cfg == i && t->a == a && t->product == v->id.product &&
		    t->cv == v->cv && t->version == v->version)
			return t->evidence;
	}
	struct cfgtext *t = &sc->cfgtext[sc->cfgnext++ % CFGTEXT_SLOTS];
	struct match_result r;
	match_config_eval(&rec->configs[i], v->comp, sys, nsys, &r);
	*t = (struct cfgtext){ rec, i, a, v->id.product, v->cv, v->version, { 0 } };
	memcpy(t->evidence, r.evidence, sizeof t->evidence);
	return t->evidence;
}

enum match_answer pair_fast(const struct match_record *rec, const struct recinfo *ri,
			    struct pairview *v, const struct match_component *sys,
			    struct pairview *sysv, size_t nsys, struct pairscratch *sc,
			    struct match_result *res, const char **decided)
{
	struct pick p = { false, 0, 0 };
	struct crit_out bo;
	memset(&bo, 0, sizeof bo);
	if (!ri->byname) {
		for (size_t i = 0; i < rec->ncrit; i++)
			pick_crit(rec, ri, i, v, sc, &p, &bo);
	} else {
		/* only the criteria that can name this component, in any
		 * order: pick_crit keeps pair_eval's choice */
		size_t from, to;
		if (v->id.vp) {
			to = critref_run(ri->byname, ri->nbyname, v->id.product, v->id.productn,
					 &from);
			for (size_t j = from; j < to; j++)
				if (!v->id.purl || ri->ck[ri->byname[j].idx].kind == CK_VP)
					pick_crit(rec, ri, ri->byname[j].idx, v, sc, &p, &bo);
		}
		if (v->id.purl) {
			to = critref_run(ri->bypurl, ri->nbypurl, v->id.pkey, v->id.pkn, &from);
			for (size_t j = from; j < to; j++)
				pick_crit(rec, ri, ri->bypurl[j].idx, v, sc, &p, &bo);
		}
	}
	/* configurations, after the criteria, as pair_eval reads them */
	size_t bestcfg = SIZE_MAX;
	enum match_answer cfg_answer = MATCH_NOT_AFFECTED;
	for (size_t i = 0; i < ri->ncfg; i++) {
		bool any = false;
		for (size_t k = 0; k < ri->cfg[i].n && !any; k++)
			any = overlap(&ri->cfg[i].k[k], &v->id);
		if (!any)
			continue;
		bool hit;
		enum match_answer a = config_fast(&rec->configs[i], &ri->cfg[i], v, sysv, nsys, sc, &hit);
		if (a == MATCH_NOT_AFFECTED && (p.named || !hit))
			continue;
		if (a == MATCH_NOT_AFFECTED) {
			/* pair_eval also passes over a configuration whose text
			 * says "no vulnerable" */
			if (strstr(config_text(rec, i, a, v, sys, nsys, sc), "no vulnerable"))
				continue;
		}
		int rk = rank_of(a, false);
		if (!p.named || rk > p.rank) {
			p.rank = rk;
			bestcfg = i;
			cfg_answer = a;
		}
		p.named = true;
	}
	res->evidence[0] = 0;
	res->weak = false;
	enum match_answer final = bestcfg != SIZE_MAX ? cfg_answer : bo.a;
	if (!p.named || final == MATCH_NOT_AFFECTED) {
		res->answer = MATCH_NOT_AFFECTED;
		if (decided)
			*decided = rec->id;
		return MATCH_NOT_AFFECTED;
	}
	res->answer = final;
	if (bestcfg != SIZE_MAX) {
		/* the text of the configuration, from criteria.c */
		memcpy(res->evidence, config_text(rec, bestcfg, final, v, sys, nsys, sc),
		       sizeof res->evidence);
		const char *src = ri->cfg[bestcfg].n ? ri->cfg[bestcfg].k[0].c->source : rec->id;
		if (decided)
			*decided = src ? src : rec->id;
		return final;
	}
	const struct match_criterion *c = &rec->crit[p.best];
	res->weak = bo.a == MATCH_UNKNOWN && bo.weak;
	if (decided)
		*decided = c->source ? c->source : rec->id;
	struct ev e = { res->evidence, 0, sizeof res->evidence };
	if (bo.simple)
		ev_plain(&e, c, &ri->ck[p.best], &bo, v->version);
	else
		ev_full(&e, c, &ri->ck[p.best], &bo, v, sc);
	return final;
}

/*
 * plan: the fast path compiled from the loaded rules.
 *
 * Literals: every matcher's longest wildcard-free run (>= DET_MIN_LITERAL
 * bytes) becomes a (text, field) pair; one prefilter pattern per text, and
 * the field is told from where in the event's scan buffer a hit falls, so a
 * pair's bit means "this text occurs in a value of this field".
 *
 * Triggers: a set of pairs at least one of which must be seen for the rule
 * to be possible (AND takes its cheapest child's set, OR the union; `not`,
 * and any matcher without a literal, make the rule always evaluated).
 *
 * Plans: for each kind of event (channel, EventID; channel with another
 * EventID; a channel not in the mapping; no channel) the rules it can meet,
 * the fields they read and a prefilter over their triggers. A rule's
 * trigger pairs are looked for in every plan it is in, so a trigger bit
 * that is not set proves its matcher false there, and a set bit of a plain
 * `contains` proves it true; other matchers are tested in full.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static void push_u32(uint32_t **arr, uint32_t *n, uint32_t v)
{
	if (*n == 0 || (*n & (*n - 1)) == 0) {
		uint32_t cap = *n ? *n * 2 : 4;
		*arr = realloc(*arr, cap * sizeof **arr);
		if (!*arr)
			abort();
	}
	(*arr)[(*n)++] = v;
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *u = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ u[i]) * 1099511628211ull;
	return h;
}

/* ---- texts and pairs ---- */

struct table {               /* open addressing over ids + 1 */
	uint32_t *slots;
	uint32_t nslots;
};

static void table_grow(struct table *t, uint32_t n, uint64_t (*key)(const struct detect_engine *,
								       uint32_t),
		       const struct detect_engine *e)
{
	if ((n + 1) * 2 <= t->nslots)
		return;
	uint32_t ns = t->nslots ? t->nslots * 2 : 4096;
	uint32_t *sl = calloc(ns, sizeof *sl);
	if (!sl)
		abort();
	for (uint32_t i = 0; i < n; i++) {
		uint32_t h = (uint32_t)key(e, i) & (ns - 1);
		while (sl[h])
			h = (h + 1) & (ns - 1);
		sl[h] = i + 1;
	}
	free(t->slots);
	t->slots = sl;
	t->nslots = ns;
}

static uint64_t text_key(const struct detect_engine *e, uint32_t i)
{
	return hash_bytes(14695981039346656037ull, e->texts[i].s, e->texts[i].n);
}

static uint64_t pair_key(const struct detect_engine *e, uint32_t i)
{
	uint64_t h = 14695981039346656037ull ^ e->pairs[i].text;
	return hash_bytes(h * 1099511628211ull, &e->pairs[i].field, sizeof e->pairs[i].field);
}

static uint32_t text_get(struct detect_engine *e, struct table *t, uint32_t *cap, const char *s,
			 uint32_t n)
{
	table_grow(t, e->ntexts, text_key, e);
	uint32_t h = (uint32_t)hash_bytes(14695981039346656037ull, s, n) & (t->nslots - 1);
	for (;; h = (h + 1) & (t->nslots - 1)) {
		uint32_t id = t->slots[h];
		if (!id)
			break;
		const struct det_text *x = &e->texts[id - 1];
		if (x->n == n && !memcmp(x->s, s, n))
			return id - 1;
	}
	if (e->ntexts == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		e->texts = realloc(e->texts, *cap * sizeof *e->texts);
		if (!e->texts)
			abort();
	}
	e->texts[e->ntexts] = (struct det_text){ .s = s, .n = n };
	t->slots[h] = ++e->ntexts;
	return e->ntexts - 1;
}

static uint32_t pair_get(struct detect_engine *e, struct table *t, uint32_t *cap, uint32_t text,
			 uint32_t field)
{
	table_grow(t, e->npairs, pair_key, e);
	struct det_pair probe = { .text = text, .field = field };
	uint64_t h0 = 14695981039346656037ull ^ text;
	uint32_t h = (uint32_t)hash_bytes(h0 * 1099511628211ull, &probe.field, sizeof probe.field) &
		     (t->nslots - 1);
	for (;; h = (h + 1) & (t->nslots - 1)) {
		uint32_t id = t->slots[h];
		if (!id)
			break;
		const struct det_pair *x = &e->pairs[id - 1];
		if (x->text == text && x->field == field)
			return id - 1;
	}
	if (e->npairs == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		e->pairs = realloc(e->pairs, *cap * sizeof *e->pairs);
		if (!e->pairs)
			abort();
	}
	e->pairs[e->npairs] = probe;
	t->slots[h] = ++e->npairs;
	return e->npairs - 1;
}

/* ---- triggers ---- */
struct trig {
	uint32_t *l;
	uint32_t n;
	bool inf;
	double cost;
};

/* longer literals are rarer: cheaper to be triggered by */
static double pair_cost(const struct detect_engine *e, uint32_t pair)
{
	uint32_t n = e->texts[e->pairs[pair].text].n;
	double d = n >= 12 ? 1 : 13 - (double)n;
	return d * d;
}

static struct trig trig_inf(void)
{
	return (struct trig){ NULL, 0, true, 1e300 };
}

static void trig_or(struct trig *a, struct trig b)
{
	if (a->inf || b.inf) {
		free(a->l);
		free(b.l);
		*a = trig_inf();
		return;
	}
	a->l = realloc(a->l, (a->n + b.n + 1) * sizeof *a->l);
	if (!a->l)
		abort();
	memcpy(a->l + a->n, b.l, b.n * sizeof *b.l);
	a->n += b.n;
	a->cost += b.cost;
	free(b.l);
}

static void trig_and(struct trig *a, struct trig b, bool first)
{
	if (first || b.cost < a->cost) {
		free(a->l);
		*a = b;
	} else {
		free(b.l);
	}
}

static struct trig trig_matchers(const struct detect_engine *e, const struct det_rule *r,
				 uint32_t from, uint32_t to)
{
	struct trig t = { calloc(to - from + 1, sizeof(uint32_t)), 0, false, 0 };
	if (!t.l)
		abort();
	for (uint32_t k = from; k < to; k++) {
		int32_t lit = r->matchers[k].lit;
		if (lit < 0) {
			free(t.l);
			return trig_inf();
		}
		t.l[t.n++] = (uint32_t)lit;
		t.cost += pair_cost(e, (uint32_t)lit);
	}
	return t;
}

static struct trig trig_pred(const struct detect_engine *e, const struct det_rule *r,
			     const struct det_pred *p)
{
	uint32_t end = p->first + p->count;
	if (!p->all || p->count == 0)
		return p->count ? trig_matchers(e, r, p->first, end) : trig_inf();
	struct trig best = trig_inf();
	for (uint32_t k = p->first; k < end;) {
		uint32_t g = r->matchers[k].group, j = k;
		while (j < end && r->matchers[j].group == g)
			j++;
		trig_and(&best, trig_matchers(e, r, k, j), k == p->first);
		k = j;
	}
	return best;
}

static struct trig trig_sel(const struct detect_engine *e, const struct det_rule *r, uint32_t s)
{
	const struct det_sel *sel = &r->sels[s];
	if (sel->count == 0)
		return trig_inf();
	struct trig t = { NULL, 0, false, 0 };
	for (uint32_t a = sel->first; a < sel->first + sel->count; a++) {
		const struct det_alt *alt = &r->alts[a];
		struct trig at = trig_inf();
		for (uint32_t i = 0; i < alt->count; i++)
			trig_and(&at, trig_pred(e, r, &r->preds[alt->first + i]), i == 0);
		trig_or(&t, at);
	}
	return t;
}

static struct trig trig_node(const struct detect_engine *e, const struct det_rule *r, uint32_t id)
{
	const struct det_cnode *n = &r->cnodes[id];
	switch (n->type) {
	case CN_SEL:
		return trig_sel(e, r, n->sel);
	case CN_AND: {
		struct trig t = trig_inf();
		for (uint32_t i = 0; i < n->nkids; i++)
			trig_and(&t, trig_node(e, r, r->ckids[n->kid0 + i]), i == 0);
		return t;
	}
	case CN_OR: {
		struct trig t = { NULL, 0, false, 0 };
		for (uint32_t i = 0; i < n->nkids; i++)
			trig_or(&t, trig_node(e, r, r->ckids[n->kid0 + i]));
		return t;
	}
	default:
		return trig_inf();
	}
}

static bool evaluated(const struct det_rule *r)
{
	return det_rule_evaluated(r);
}

/* Pairs for every literal matcher, triggers for every rule; then only the
 * pairs some rule still uses are kept, renumbered so a text's pairs are
 * contiguous. */
static void build_literals(struct detect_engine *e)
{
	struct table tt = { 0 }, pt = { 0 };
	uint32_t ctexts = 0, cpairs = 0;
	for (uint32_t ri = 0; ri < e->nrules; ri++) {
		struct det_rule *r = &e->rules[ri];
		for (uint32_t p = 0; p < r->npreds; p++) {
			const struct det_pred *pd = &r->preds[p];
			for (uint32_t k = pd->first; k < pd->first + pd->count; k++) {
				struct det_matcher *m = &r->matchers[k];
				m->lit = -1;
				/* very short literals occur in nearly every event: they
				 * would only slow the scan, so such a matcher counts as
				 * literal-free (always possible) */
				if (!evaluated(r) || !m->lit_s || m->lit_n < DET_MIN_LITERAL)
					continue;
				uint32_t t = text_get(e, &tt, &ctexts, m->lit_s, m->lit_n);
				uint32_t f = pd->field == DET_FIELD_ANY ? DET_FIELD_KW : pd->field;
				m->lit = (int32_t)pair_get(e, &pt, &cpairs, t, f);
				/* a plain case-insensitive contains: the literal is the
				 * whole test */
				m->exact = m->op == OP_CONTAINS && !m->cased && !m->neq &&
					   m->lit_n == m->n && !memcmp(m->lit_s, m->s, m->n);
			}
		}
	}
	free(tt.slots);
	free(pt.slots);

	/* triggers; a rule always evaluated keeps no pairs (its matchers are
	 * tested in full), so prefilters of plans differing only in such rules
	 * are the same */
	uint8_t *none = calloc(e->npairs / 8 + 1, 1);
	uint32_t *trig_of = calloc(e->npairs + 1, sizeof *trig_of);
	if (!none || !trig_of)
		abort();
	for (uint32_t ri = 0; ri < e->nrules; ri++) {
		struct det_rule *r = &e->rules[ri];
		if (!evaluated(r))
			continue;
		struct trig t = trig_node(e, r, r->croot);
		r->always = t.inf || det_rule_possible(r, none);
		if (r->always) {
			for (uint32_t k = 0; k < r->nmatchers; k++)
				r->matchers[k].lit = -1;
		} else {
			for (uint32_t k = 0; k < t.n; k++) {
				struct det_pair *pr = &e->pairs[t.l[k]];
				if (!pr->nrules || pr->rules[pr->nrules - 1] != ri)
					push_u32(&pr->rules, &pr->nrules, ri);
				trig_of[t.l[k]] = ri + 1;
			}
			/* only the trigger pairs go into the prefilters: fewer
			 * patterns scan faster and compile sooner than all of them,
			 * and the others' matchers are tested in full */
			for (uint32_t k = 0; k < r->nmatchers; k++)
				if (r->matchers[k].lit >= 0 && trig_of[r->matchers[k].lit] != ri + 1)
					r->matchers[k].lit = -1;
		}
		free(t.l);
	}
	free(none);
	free(trig_of);

	/* keep the pairs in use, grouped by text */
	uint32_t *used = calloc(e->npairs + 1, sizeof *used);
	uint32_t *tcount = calloc(e->ntexts + 1, sizeof *tcount);
	if (!used || !tcount)
		abort();
	for (uint32_t ri = 0; ri < e->nrules; ri++)
		for (uint32_t k = 0; k < e->rules[ri].nmatchers; k++)
			if (e->rules[ri].matchers[k].lit >= 0)
				used[e->rules[ri].matchers[k].lit] = 1;
	for (uint32_t i = 0; i < e->npairs; i++)
		if (used[i])
			tcount[e->pairs[i].text]++;
	uint32_t *tmap = calloc(e->ntexts + 1, sizeof *tmap);
	if (!tmap)
		abort();
	uint32_t nt = 0, np = 0;
	for (uint32_t i = 0; i < e->ntexts; i++) {
		tmap[i] = UINT32_MAX;
		if (!tcount[i])
			continue;
		tmap[i] = nt;
		e->texts[nt] = (struct det_text){ e->texts[i].s, e->texts[i].n, np, 0, true };
		np += tcount[i];
		nt++;
	}
	struct det_pair *pairs = calloc(np + 1, sizeof *pairs);
	uint32_t *pmap = calloc(e->npairs + 1, sizeof *pmap);
	if (!pairs || !pmap)
		abort();
	for (uint32_t i = 0; i < e->npairs; i++) {
		if (!used[i]) {
			free(e->pairs[i].rules);
			continue;
		}
		struct det_text *t = &e->texts[tmap[e->pairs[i].text]];
		uint32_t id = t->first_pair + t->npairs++;
		pairs[id] = e->pairs[i];
		pairs[id].text = tmap[e->pairs[i].text];
		if (pairs[id].field != DET_FIELD_KW)
			t->single = false;
		pmap[i] = id;
	}
	for (uint32_t ri = 0; ri < e->nrules; ri++)
		for (uint32_t k = 0; k < e->rules[ri].nmatchers; k++) {
			struct det_matcher *m = &e->rules[ri].matchers[k];
			if (m->lit >= 0)
				m->lit = (int32_t)pmap[m->lit];
		}
	free(e->pairs);
	e->pairs = pairs;
	e->npairs = np;
	e->ntexts = nt;
	free(used);
	free(tcount);
	free(tmap);
	free(pmap);
}

/* ---- plans ---- */

struct key_set {
	uint32_t *eids;
	uint32_t n;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static uint32_t uniq(uint32_t *a, uint32_t n)
{
	if (n == 0)
		return 0;
	qsort(a, n, sizeof *a, cmp_u32);
	uint32_t k = 1;
	for (uint32_t i = 1; i < n; i++)
		if (a[i] != a[k - 1])
			a[k++] = a[i];
	return k;
}

/* The plan for the rules accepting events like ev: an existing one when the
 * rules are the same. */
static uint32_t plan_for(struct detect_engine *e, const struct det_event *ev, uint32_t *buf)
{
	uint32_t n = 0;
	for (uint32_t ri = 0; ri < e->nrules; ri++)
		if (evaluated(&e->rules[ri]) && det_route_accepts(&e->rules[ri], ev))
			buf[n++] = ri;
	uint64_t h = hash_bytes(14695981039346656037ull, buf, n * sizeof *buf);
	for (uint32_t i = 0; i < e->nplans; i++)
		if (e->plans[i].rules_hash == h && e->plans[i].nrules == n &&
		    (n == 0 || !memcmp(e->plans[i].rules, buf, n * sizeof *buf)))
			return i;
	e->plans = realloc(e->plans, (e->nplans + 1) * sizeof *e->plans);
	if (!e->plans)
		abort();
	struct det_plan *p = &e->plans[e->nplans];
	memset(p, 0, sizeof *p);
	p->rules_hash = h;
	p->nrules = n;
	p->rules = malloc((n + 1) * sizeof *p->rules);
	if (!p->rules)
		abort();
	memcpy(p->rules, buf, n * sizeof *buf);
	return e->nplans++;
}

static void mark_field(uint8_t *fields, uint32_t nfields, uint32_t f)
{
	if (f < nfields)
		fields[f] = 1;
}

/* rules' bitmaps, fields, and the texts the rules own */
static void plan_fill(struct detect_engine *e, struct det_plan *p, uint32_t nfields)
{
	p->member = calloc(e->nwords, sizeof *p->member);
	p->always = calloc(e->nwords, sizeof *p->always);
	p->fields = calloc(nfields, 1);
	if (!p->member || !p->always || !p->fields)
		abort();
	if (e->corr_fields)
		memcpy(p->fields, e->corr_fields, nfields);
	for (uint32_t i = 0; i < p->nrules; i++) {
		uint32_t ri = p->rules[i];
		const struct det_rule *r = &e->rules[ri];
		p->member[ri / 64] |= 1ull << (ri % 64);
		if (r->always)
			p->always[ri / 64] |= 1ull << (ri % 64);
		for (uint32_t k = 0; k < r->npreds; k++) {
			if (r->preds[k].field == DET_FIELD_ANY)
				p->all_fields = e->rules[ri].keyword = true;
			else
				mark_field(p->fields, nfields, r->preds[k].field);
		}
		for (uint32_t k = 0; k < r->nmatchers; k++) {
			const struct det_matcher *m = &r->matchers[k];
			if (m->op == OP_FIELDREF)
				mark_field(p->fields, nfields, m->ref_field);
			if (m->lit < 0)
				continue;
			push_u32(&p->texts, &p->ntexts, e->pairs[m->lit].text);
			if (e->pairs[m->lit].field == DET_FIELD_KW)
				push_u32(&p->kw_texts, &p->nkw_texts, e->pairs[m->lit].text);
		}
	}
	p->ntexts = uniq(p->texts, p->ntexts);
	p->nkw_texts = uniq(p->kw_texts, p->nkw_texts);
}

/* |a ∪ b| of two sorted lists, written to out when out is not NULL */
static uint32_t merge(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb,
		      uint32_t *out)
{
	uint32_t i = 0, j = 0, n = 0;
	while (i < na || j < nb) {
		uint32_t v = j >= nb || (i < na && a[i] < b[j]) ? a[i++]
			   : i >= na || b[j] < a[i] ? b[j++] : (j++, a[i++]);
		if (out)
			out[n] = v;
		n++;
	}
	return n;
}

/* one prefilter to compile */
struct pf_job {
	const uint32_t *texts;
	uint32_t n;
	uint32_t idx;            /* position before sorting by size */
	bool caseless;           /* keywords over the values as written */
	struct det_prefilter *pf;
	struct bw_error err;
};

struct pf_jobs {
	const struct detect_engine *e;
	struct pf_job *jobs;
	uint32_t n;
	atomic_uint next;
};

static void *pf_worker(void *arg)
{
	struct pf_jobs *js = arg;
	for (;;) {
		uint32_t i = atomic_fetch_add(&js->next, 1);
		if (i >= js->n)
			return NULL;
		struct pf_job *j = &js->jobs[i];
		j->pf = det_prefilter_build(js->e->texts, j->texts, j->n, j->caseless, &j->err);
	}
}

/* Compiling the prefilters is most of the rule set's compile time, and each
 * is independent: they are compiled on as many threads as there are cores
 * (at most 4), largest first. */
static enum bw_err compile_jobs(struct detect_engine *e, struct pf_job *jobs, uint32_t n,
				struct bw_error *err)
{
	struct pf_jobs js = { .e = e, .jobs = jobs, .n = n };
	atomic_init(&js.next, 0);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t nth = cores < 1 ? 1 : cores > 4 ? 4 : (uint32_t)cores;
	if (nth > n)
		nth = n ? n : 1;
	pthread_t th[4];
	uint32_t started = 0;
	for (uint32_t i = 1; i < nth; i++)
		if (pthread_create(&th[started], NULL, pf_worker, &js) == 0)
			started++;
	pf_worker(&js);
	for (uint32_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	enum bw_err rc = BW_OK;
	for (uint32_t i = 0; i < n; i++) {
		if (!jobs[i].pf) {
			if (!rc) {
				rc = jobs[i].err.code ? jobs[i].err.code : BW_EINTERNAL;
				if (err)
					*err = jobs[i].err;
			}
			continue;
		}
		e->pfs = realloc(e->pfs, (e->npfs + 1) * sizeof *e->pfs);
		if (!e->pfs)
			abort();
		e->pfs[e->npfs++] = jobs[i].pf;
	}
	return rc;
}

static int by_size_desc(const void *a, const void *b)
{
	const struct pf_job *x = a, *y = b;
	return x->n > y->n ? -1 : x->n < y->n;
}

struct cluster {
	uint32_t *texts;
	uint32_t n;
	uint32_t job;
};

static int by_texts_desc(const void *a, const void *b, void *ctx)
{
	const struct det_plan *plans = ctx;
	uint32_t x = plans[*(const uint32_t *)a].ntexts, y = plans[*(const uint32_t *)b].ntexts;
	return x > y ? -1 : x < y;
}

/* A plan whose texts are nearly those of a larger plan uses that plan's
 * prefilter, grown to the union: a superset of texts only sets bits no rule
 * of the plan reads, and one compile fewer keeps rule loading quick (the
 * Sysmon and Security process-creation plans differ by a few rules). */
#define CLUSTER_MIN_SHARE 0.8
#define CLUSTER_MAX_GROWTH 1.1

static enum bw_err build_prefilters(struct detect_engine *e, struct bw_error *err)
{
	uint32_t *order = malloc((e->nplans + 1) * sizeof *order);
	uint32_t *of = malloc((e->nplans + 1) * sizeof *of);
	uint32_t *kw_of = malloc((e->nplans + 1) * sizeof *kw_of);
	struct cluster *cl = calloc(e->nplans + 1, sizeof *cl);
	struct pf_job *jobs = calloc(2 * e->nplans + 1, sizeof *jobs);
	if (!order || !of || !kw_of || !cl || !jobs)
		abort();
	for (uint32_t i = 0; i < e->nplans; i++)
		order[i] = i;
	qsort_r(order, e->nplans, sizeof *order, by_texts_desc, e->plans);
	uint32_t ncl = 0, njobs = 0;
	for (uint32_t k = 0; k < e->nplans; k++) {
		const struct det_plan *p = &e->plans[order[k]];
		of[order[k]] = UINT32_MAX;
		if (!p->ntexts)
			continue;
		uint32_t c = 0;
		for (; c < ncl; c++) {
			uint32_t u = merge(cl[c].texts, cl[c].n, p->texts, p->ntexts, NULL);
			if (p->ntexts >= CLUSTER_MIN_SHARE * cl[c].n && u <= CLUSTER_MAX_GROWTH * cl[c].n)
				break;
		}
		if (c == ncl)
			ncl++;
		uint32_t *t = malloc((cl[c].n + p->ntexts + 1) * sizeof *t);
		if (!t)
			abort();
		cl[c].n = merge(cl[c].texts, cl[c].n, p->texts, p->ntexts, t);
		free(cl[c].texts);
		cl[c].texts = t;
		of[order[k]] = c;
	}
	for (uint32_t c = 0; c < ncl; c++)
		jobs[njobs++] = (struct pf_job){ .texts = cl[c].texts, .n = cl[c].n };
	/* keyword prefilters, over the values no rule names: shared when equal */
	for (uint32_t i = 0; i < e->nplans; i++) {
		const struct det_plan *p = &e->plans[i];
		kw_of[i] = UINT32_MAX;
		if (!p->all_fields || !p->nkw_texts)
			continue;
		for (uint32_t j = ncl; j < njobs && kw_of[i] == UINT32_MAX; j++)
			if (jobs[j].n == p->nkw_texts &&
			    !memcmp(jobs[j].texts, p->kw_texts, p->nkw_texts * sizeof *p->kw_texts))
				kw_of[i] = j;
		if (kw_of[i] == UINT32_MAX) {
			kw_of[i] = njobs;
			jobs[njobs++] = (struct pf_job){ .texts = p->kw_texts, .n = p->nkw_texts,
							 .caseless = true };
		}
	}
	/* compile in size order; remember where each job went */
	uint32_t *pos = malloc((njobs + 1) * sizeof *pos);
	struct pf_job *sorted = malloc((njobs + 1) * sizeof *sorted);
	if (!pos || !sorted)
		abort();
	for (uint32_t i = 0; i < njobs; i++) {
		sorted[i] = jobs[i];
		sorted[i].idx = i;
	}
	qsort(sorted, njobs, sizeof *sorted, by_size_desc);
	for (uint32_t i = 0; i < njobs; i++)
		pos[sorted[i].idx] = i;
	enum bw_err rc = compile_jobs(e, sorted, njobs, err);
	for (uint32_t i = 0; i < e->nplans && !rc; i++) {
		struct det_plan *p = &e->plans[i];
		if (of[i] != UINT32_MAX)
			p->pf = sorted[pos[of[i]]].pf;
		if (kw_of[i] != UINT32_MAX)
			p->pf_kw = sorted[pos[kw_of[i]]].pf;
	}
	for (uint32_t c = 0; c < ncl; c++)
		free(cl[c].texts);
	free(cl);
	free(of);
	free(kw_of);
	free(order);
	free(jobs);
	free(sorted);
	free(pos);
	return rc;
}

enum bw_err det_plans_build(struct detect_engine *e, struct bw_error *err)
{
	e->nwords = (e->nrules + 63) / 64 + 1;
	uint32_t nfields = e->fields.n + 1;
	if (e->has_corr) {
		e->corr_fields = calloc(nfields, 1);
		if (!e->corr_fields)
			abort();
		for (uint32_t ri = 0; ri < e->nrules; ri++) {
			const struct det_rule *r = &e->rules[ri];
			if (!r->corr)
				continue;
			for (uint32_t k = 0; k < r->ngroup_by; k++)
				mark_field(e->corr_fields, nfields, r->group_by[k]);
			mark_field(e->corr_fields, nfields, r->corr_field);
		}
	}
	build_literals(e);

	/* the EventIDs each channel's rules name (channel 0: any channel) */
	uint32_t nch = e->channels.n;
	struct key_set *ks = calloc(nch + 1, sizeof *ks);
	if (!ks)
		abort();
	for (uint32_t ri = 0; ri < e->nrules; ri++) {
		const struct det_rule *r = &e->rules[ri];
		if (!evaluated(r) || r->unrouted)
			continue;
		for (uint32_t s = 0; s < r->nsources; s++) {
			const struct det_source *src = &r->sources[s];
			for (uint32_t c = src->channel ? src->channel : 0;
			     c < (src->channel ? src->channel + 1 : nch); c++)
				for (uint32_t k = 0; k < src->neids; k++)
					push_u32(&ks[c].eids, &ks[c].n, src->eids[k]);
		}
	}
	uint32_t *buf = malloc((e->nrules + 1) * sizeof *buf);
	e->chan_plans = calloc(nch + 1, sizeof *e->chan_plans);
	if (!buf || !e->chan_plans)
		abort();
	struct det_event ev = { 0 };
	e->nochan_plan = plan_for(e, &ev, buf);
	for (uint32_t c = 0; c < nch; c++) {
		struct det_chan_plans *cp = &e->chan_plans[c];
		cp->neids = uniq(ks[c].eids, ks[c].n);
		cp->eids = ks[c].eids;
		cp->eid_plan = calloc(cp->neids + 1, sizeof *cp->eid_plan);
		if (!cp->eid_plan)
			abort();
		ev = (struct det_event){ .has_channel = true, .channel = c };
		cp->other_plan = plan_for(e, &ev, buf);
		ev.has_eid = true;
		for (uint32_t k = 0; k < cp->neids; k++) {
			ev.eid = cp->eids[k];
			cp->eid_plan[k] = plan_for(e, &ev, buf);
		}
	}
	free(ks);
	free(buf);
	for (uint32_t i = 0; i < e->nplans; i++)
		plan_fill(e, &e->plans[i], nfields);
	enum bw_err rc = build_prefilters(e, err);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < e->nplans; i++)
		if (e->plans[i].pf_kw)
			e->plans[i].kw_gate = det_gate_build(e->texts, e->plans[i].kw_texts,
							     e->plans[i].nkw_texts);
	e->pf_proto = det_pf_scratch_new(e->pfs, e->npfs);
	return BW_OK;
}

void det_plans_free(struct detect_engine *e)
{
	for (uint32_t i = 0; i < e->nplans; i++) {
		free(e->plans[i].rules);
		free(e->plans[i].member);
		free(e->plans[i].always);
		free(e->plans[i].fields);
		free(e->plans[i].texts);
		free(e->plans[i].kw_texts);
		det_gate_free(e->plans[i].kw_gate);
	}
	free(e->plans);
	if (e->chan_plans)
		for (uint32_t c = 0; c < e->channels.n; c++) {
			free(e->chan_plans[c].eids);
			free(e->chan_plans[c].eid_plan);
		}
	free(e->chan_plans);
	for (uint32_t i = 0; i < e->npfs; i++)
		det_prefilter_free(e->pfs[i]);
	free(e->pfs);
	det_pf_scratch_free(e->pf_proto);
	for (uint32_t i = 0; i < e->npairs; i++)
		free(e->pairs[i].rules);
	free(e->pairs);
	free(e->texts);
	free(e->corr_fields);
}

const struct det_plan *det_plan_of(const struct detect_engine *e, const struct det_event *ev)
{
	if (!ev->has_channel)
		return &e->plans[e->nochan_plan];
	const struct det_chan_plans *cp = &e->chan_plans[ev->channel];
	if (ev->has_eid) {
		uint32_t lo = 0, hi = cp->neids;
		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;
			if (cp->eids[mid] == ev->eid)
				return &e->plans[cp->eid_plan[mid]];
			if (cp->eids[mid] < ev->eid)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return &e->plans[cp->other_plan];
}

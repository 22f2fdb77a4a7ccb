/*
 * correlation: Sigma correlation rules over the base rules' matches, per
 * group-by key, within a timespan — event_count and value_count (gt, gte,
 * eq), temporal (all named rules within the span, any order) and
 * temporal_ordered (in the order listed); lt/lte (fewer than N) are refused
 * at load, as they can only be decided when a window closes. State is bounded: per group at
 * most `count` timestamps or distinct values are kept, and at most
 * CORR_MAX_GROUPS groups per correlation (the oldest are dropped when full).
 * Events are taken in input order; their time comes from the mapping's
 * time fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanner.h"

#define CORR_MAX_GROUPS 65536
#define CORR_MAX_KEEP 4096

struct group {
	uint64_t key;             /* hash of the group-by values */
	char *label;              /* the group-by values, for the finding */
	int64_t *t;               /* event_count: ring of times; temporal: last time per rule */
	uint64_t *vals;           /* value_count: distinct value hashes ... */
	uint32_t n, cap, head;
	uint32_t step;            /* temporal_ordered */
	int64_t t0;
	uint64_t used;            /* for eviction */
};

struct corr {
	uint32_t rule;
	struct group *g;
	uint32_t ng, capg;
};

struct link {                /* base rule -> correlation using it, at position k */
	uint32_t corr, k;
};

struct det_corr_state {
	struct corr *c;
	uint32_t nc;
	uint8_t *want;                  /* by field id: kept in a deferred log */
	uint32_t nwant;
	uint32_t *link_first, *link_n;  /* by base rule */
	struct link *links;
	uint8_t *generates;
	uint64_t clock;
};

void det_corr_init(struct detect_scanner *s)
{
	const struct detect_engine *e = s->e;
	if (!e->has_corr)
		return;
	struct det_corr_state *cs = calloc(1, sizeof *cs);
	if (!cs)
		abort();
	cs->c = calloc(e->nrules, sizeof *cs->c);
	cs->link_first = calloc(e->nrules + 1, sizeof *cs->link_first);
	cs->link_n = calloc(e->nrules + 1, sizeof *cs->link_n);
	cs->generates = calloc(e->nrules + 1, 1);
	uint32_t total = 0;
	for (uint32_t i = 0; i < e->nrules; i++)
		if (e->rules[i].corr)
			total += e->rules[i].ncorr_rules;
	cs->links = calloc(total + 1, sizeof *cs->links);
	cs->nwant = e->fields.n + 1;
	cs->want = calloc(cs->nwant, 1);
	if (!cs->c || !cs->link_first || !cs->link_n || !cs->generates || !cs->links || !cs->want)
		abort();
	/* what a replay needs of an event: the fields correlations read, its
	 * time and its computer */
	if (e->corr_fields)
		memcpy(cs->want, e->corr_fields, cs->nwant);
	for (uint32_t i = 0; i < e->ntime_ids; i++)
		cs->want[e->time_ids[i]] = 1;
	for (uint32_t i = 0; i < e->ncomputer_ids; i++)
		cs->want[e->computer_ids[i]] = 1;
	for (uint32_t i = 0; i < e->nrules; i++) {
		const struct det_rule *r = &e->rules[i];
		if (!r->corr)
			continue;
		cs->c[cs->nc++].rule = i;
		for (uint32_t k = 0; k < r->ncorr_rules; k++) {
			cs->link_n[r->corr_rules[k]]++;
			if (r->generate)
				cs->generates[r->corr_rules[k]] = 1;
		}
	}
	uint32_t off = 0;
	for (uint32_t i = 0; i < e->nrules; i++) {
		cs->link_first[i] = off;
		off += cs->link_n[i];
		cs->link_n[i] = 0;
	}
	for (uint32_t c = 0; c < cs->nc; c++) {
		const struct det_rule *r = &e->rules[cs->c[c].rule];
		for (uint32_t k = 0; k < r->ncorr_rules; k++) {
			uint32_t b = r->corr_rules[k];
			cs->links[cs->link_first[b] + cs->link_n[b]++] = (struct link){ c, k };
		}
	}
	s->corr = cs;
}

static void group_free(struct group *g)
{
	free(g->label);
	free(g->t);
	free(g->vals);
}

void det_corr_free(struct detect_scanner *s)
{
	struct det_corr_state *cs = s->corr;
	if (!cs)
		return;
	for (uint32_t c = 0; c < cs->nc; c++) {
		for (uint32_t i = 0; i < cs->c[c].ng; i++)
			group_free(&cs->c[c].g[i]);
		free(cs->c[c].g);
	}
	free(cs->c);
	free(cs->link_first);
	free(cs->link_n);
	free(cs->links);
	free(cs->generates);
	free(cs->want);
	free(cs);
	s->corr = NULL;
}

bool det_corr_generates(struct detect_scanner *s, uint32_t rule)
{
	return s->corr && s->corr->generates[rule];
}

static uint64_t hash(const char *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

/* event time in ms from "2024-03-05T10:20:30.123Z" or "2024-03-05 10:20:30" */
static int64_t event_ms(struct detect_scanner *s)
{
	const struct detect_engine *e = s->e;
	for (uint32_t i = 0; i < e->ntime_ids; i++) {
		const struct det_value *v = det_event_get(&s->ev, e->time_ids[i]);
		if (!v || v->null || v->n < 19 || v->n > 40)
			continue;
		char tmp[48];
		memcpy(tmp, v->p, v->n);
		tmp[v->n] = 0;
		struct tm tm = { 0 };
		int frac = 0, fd = 0;
		if (sscanf(tmp, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
			continue;
		if (tmp[19] == '.')
			for (int k = 20; tmp[k] >= '0' && tmp[k] <= '9' && fd < 3; k++, fd++)
				frac = frac * 10 + (tmp[k] - '0');
		while (fd < 3 && fd > 0)
			frac *= 10, fd++;
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		return (int64_t)timegm(&tm) * 1000 + frac;
	}
	return 0;
}

static struct group *group_get(struct det_corr_state *cs, struct corr *c, uint64_t key,
			       const char *label)
{
	for (uint32_t i = 0; i < c->ng; i++)
		if (c->g[i].key == key) {
			c->g[i].used = ++cs->clock;
			return &c->g[i];
		}
	if (c->ng == CORR_MAX_GROUPS) {
		uint32_t old = 0;
		for (uint32_t i = 1; i < c->ng; i++)
			if (c->g[i].used < c->g[old].used)
				old = i;
		group_free(&c->g[old]);
		c->g[old] = c->g[--c->ng];
	}
	if (c->ng == c->capg) {
		c->capg = c->capg ? c->capg * 2 : 16;
		c->g = realloc(c->g, c->capg * sizeof *c->g);
		if (!c->g)
			abort();
	}
	struct group *g = &c->g[c->ng++];
	memset(g, 0, sizeof *g);
	g->key = key;
	g->label = strdup(label);
	g->used = ++cs->clock;
	if (!g->label)
		abort();
	return g;
}

static void fire(struct detect_scanner *s, struct det_reader_sink *k, const struct det_rule *r)
{
	struct detect_field_value fv[16];
	uint32_t nf = 0;
	for (uint32_t i = 0; i < r->ngroup_by && nf < BW_NELEM(fv); i++) {
		const struct det_value *v = det_event_get(&s->ev, r->group_by[i]);
		fv[nf++] = (struct detect_field_value){ s->e->fields.names[r->group_by[i]],
							v && !v->null ? v->p : "", v && !v->null ? v->n : 0 };
	}
	det_scanner_emit(s, k, r, fv, nf);
}

static bool cmp_ok(uint8_t cmp, int64_t have, int64_t want)
{
	switch (cmp) {
	case CMP_GT: return have > want;
	case CMP_GTE: return have >= want;
	case CMP_EQ: return have == want;
	default: return false;  /* lt/lte are refused at load */
	}
}

/* ---- deferred correlation: a log of matches, replayed later ---- */

struct log_val {
	uint32_t id, n;
	const char *p;
	bool null;
};

struct log_item {
	uint32_t rule;
	uint32_t first, nvals;     /* into vals */
	uint64_t record;
	const char *source;
	size_t bytes;              /* of the values: the replayed event's size */
};

struct detect_corr_log {
	struct arena a;
	struct log_item *items;
	size_t n, cap;
	struct log_val *vals;
	size_t nv, capv;
	const char *source;        /* the last source, copied once */
	const char *source_in;
};

struct detect_corr_log *detect_corr_log_new(void)
{
	struct detect_corr_log *l = calloc(1, sizeof *l);
	if (!l)
		abort();
	arena_init(&l->a);
	return l;
}

void detect_corr_log_free(struct detect_corr_log *l)
{
	if (!l)
		return;
	arena_free(&l->a);
	free(l->items);
	free(l->vals);
	free(l);
}

void detect_scanner_defer_correlations(struct detect_scanner *s, struct detect_corr_log *log)
{
	s->defer = log;
}

static void log_append(struct detect_scanner *s, struct det_reader_sink *k, uint32_t rule)
{
	struct detect_corr_log *l = s->defer;
	struct det_corr_state *cs = s->corr;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->items = realloc(l->items, l->cap * sizeof *l->items);
		if (!l->items)
			abort();
	}
	if (!l->source || l->source_in != k->source || strcmp(l->source, k->source)) {
		l->source = arena_strdup(&l->a, k->source);
		l->source_in = k->source;
	}
	struct log_item *it = &l->items[l->n++];
	*it = (struct log_item){ rule, (uint32_t)l->nv, 0, k->record, l->source, 0 };
	for (uint32_t i = 0; i < s->ev.nv; i++) {
		const struct det_value *v = &s->ev.v[i];
		if (!v->id || v->id >= cs->nwant || !cs->want[v->id])
			continue;
		if (l->nv == l->capv) {
			l->capv = l->capv ? l->capv * 2 : 256;
			l->vals = realloc(l->vals, l->capv * sizeof *l->vals);
			if (!l->vals)
				abort();
		}
		char *p = arena_alloc(&l->a, v->n + 1);
		memcpy(p, v->p, v->n);
		p[v->n] = 0;
		l->vals[l->nv++] = (struct log_val){ v->id, v->n, p, v->null };
		it->nvals++;
		it->bytes += v->n + 1;
	}
}

void detect_scanner_replay(struct detect_scanner *s, const struct detect_corr_log *log,
			   detect_finding_fn fn, void *ctx, struct detect_stats *stats)
{
	if (!s->corr || !log)
		return;
	struct detect_corr_log *keep = s->defer;
	s->defer = NULL;
	for (size_t i = 0; i < log->n; i++) {
		const struct log_item *it = &log->items[i];
		det_event_reset(&s->ev, it->bytes);
		for (uint32_t k = 0; k < it->nvals; k++) {
			const struct log_val *v = &log->vals[it->first + k];
			det_event_push(&s->ev, v->id, v->p, v->n, v->null);
		}
		det_event_layout(&s->ev, NULL, false);
		struct det_reader_sink k = { s, it->source, it->record, fn, ctx, stats };
		det_corr_feed(s, &k, it->rule);
	}
	s->defer = keep;
}

bool det_corr_feed(struct detect_scanner *s, struct det_reader_sink *k, uint32_t rule)
{
	struct det_corr_state *cs = s->corr;
	if (!cs || cs->link_n[rule] == 0)
		return false;
	if (s->defer) {
		log_append(s, k, rule);
		return true;
	}
	int64_t t = event_ms(s);
	for (uint32_t li = 0; li < cs->link_n[rule]; li++) {
		struct link lk = cs->links[cs->link_first[rule] + li];
		struct corr *c = &cs->c[lk.corr];
		const struct det_rule *r = &s->e->rules[c->rule];
		char label[512];
		size_t ln = 0;
		uint64_t key = 1469598103934665603ull;
		for (uint32_t i = 0; i < r->ngroup_by; i++) {
			const struct det_value *v = det_event_get(&s->ev, r->group_by[i]);
			const char *p = v && !v->null ? v->lp : "";
			size_t n = v && !v->null ? v->n : 0;
			key = hash(p, n, key) * 31 + 0x1f;
			int w = snprintf(label + ln, sizeof label - ln, "%s%.*s", i ? "|" : "", (int)n, p);
			if (w > 0 && ln + (size_t)w < sizeof label)
				ln += (size_t)w;
		}
		label[ln] = 0;
		struct group *g = group_get(cs, c, key, label);
		int64_t span = r->timespan_ms;
		switch (r->corr) {
		case CORR_EVENT_COUNT: {
			/* keep the last `count` times: the oldest of them within the span
			 * means `count` events in the span */
			uint32_t need = r->corr_count < 1 ? 1 : r->corr_count > CORR_MAX_KEEP
				? CORR_MAX_KEEP : (uint32_t)r->corr_count;
			if (r->corr_cmp == CMP_GT && need < CORR_MAX_KEEP)
				need++;
			if (!g->t) {
				g->cap = need;
				g->t = calloc(need, sizeof *g->t);
				if (!g->t)
					abort();
			}
			g->t[g->head] = t;
			g->head = (g->head + 1) % g->cap;
			if (g->n < g->cap)
				g->n++;
			int64_t oldest = g->t[g->n < g->cap ? 0 : g->head];
			int64_t cnt = 0;
			for (uint32_t i = 0; i < g->n; i++)
				cnt += t - g->t[i] <= span;
			if (g->n == g->cap && t - oldest <= span && cmp_ok(r->corr_cmp, cnt, r->corr_count)) {
				fire(s, k, r);
				g->n = g->head = 0;
			}
			break;
		}
		case CORR_VALUE_COUNT: {
			const struct det_value *v = det_event_get(&s->ev, r->corr_field);
			if (!v || v->null)
				break;
			uint64_t h = hash(v->lp, v->n, 1469598103934665603ull);
			if (!g->vals) {
				g->cap = CORR_MAX_KEEP;
				g->vals = calloc(g->cap, sizeof *g->vals);
				g->t = calloc(g->cap, sizeof *g->t);
				if (!g->vals || !g->t)
					abort();
			}
			uint32_t w = 0;
			bool found = false;
			for (uint32_t i = 0; i < g->n; i++) {
				if (t - g->t[i] > span)
					continue;
				if (g->vals[i] == h) {
					g->t[i] = t;
					found = true;
				}
				g->vals[w] = g->vals[i];
				g->t[w++] = g->t[i];
			}
			g->n = w;
			if (!found && g->n < g->cap) {
				g->vals[g->n] = h;
				g->t[g->n++] = t;
			}
			if (cmp_ok(r->corr_cmp, g->n, r->corr_count)) {
				fire(s, k, r);
				g->n = 0;
			}
			break;
		}
		case CORR_TEMPORAL: {
			if (!g->t) {
				g->cap = r->ncorr_rules;
				g->t = calloc(g->cap, sizeof *g->t);
				g->vals = calloc(g->cap, sizeof *g->vals); /* seen flags */
				if (!g->t || !g->vals)
					abort();
			}
			g->t[lk.k] = t;
			g->vals[lk.k] = 1;
			bool all = true;
			for (uint32_t i = 0; i < g->cap && all; i++)
				all = g->vals[i] && t - g->t[i] <= span;
			if (all) {
				fire(s, k, r);
				memset(g->vals, 0, g->cap * sizeof *g->vals);
			}
			break;
		}
		case CORR_TEMPORAL_ORDERED:
			if (g->step > 0 && t - g->t0 > span)
				g->step = 0;
			if (lk.k == g->step) {
				if (g->step == 0)
					g->t0 = t;
				if (++g->step == r->ncorr_rules) {
					fire(s, k, r);
					g->step = 0;
				}
			} else if (lk.k == 0) {
				g->step = 1;
				g->t0 = t;
			}
			break;
		}
	}
	return true;
}

void detect_scanner_finish(struct detect_scanner *s, detect_finding_fn fn, void *ctx,
			   struct detect_stats *stats)
{
	/* gt/gte/eq and temporal correlations fire as soon as they hold, so
	 * nothing is pending at the end; the groups are simply released. */
	(void)fn;
	(void)ctx;
	(void)stats;
	struct det_corr_state *cs = s->corr;
	if (!cs)
		return;
	for (uint32_t c = 0; c < cs->nc; c++) {
		for (uint32_t i = 0; i < cs->c[c].ng; i++)
			group_free(&cs->c[c].g[i]);
		cs->c[c].ng = 0;
	}
}

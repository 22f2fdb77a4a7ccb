/*
 * engine: a rule set compiled once — the mapping read, rules loaded from
 * files or memory, then routing tables (channel -> EventID -> rules that
 * must always be evaluated) and the literal prefilter built. Read-only
 * after detect_engine_compile, so threads share it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/embedded.h"
#include "internal.h"

extern const struct embedded_file detect_embedded_mapping[];

static char *read_file(const char *path, size_t limit, size_t *n, struct bw_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		bw_fail(err, BW_EIO, path, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct buf b;
	buf_init(&b);
	char tmp[65536];
	size_t k;
	while ((k = fread(tmp, 1, sizeof tmp, f)) > 0) {
		if (b.len + k > limit) {
			fclose(f);
			buf_free(&b);
			bw_fail(err, BW_ELIMIT, path, "%s: larger than %zu bytes", path, limit);
			return NULL;
		}
		buf_add(&b, tmp, k);
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		buf_free(&b);
		bw_fail(err, BW_EIO, path, "%s: read error", path);
		return NULL;
	}
	*n = b.len;
	buf_cstr(&b);
	return buf_steal(&b);
}

struct detect_engine *detect_engine_new(const char *mapping_path, struct bw_error *err)
{
	struct detect_engine *e = calloc(1, sizeof *e);
	if (!e)
		abort();
	arena_init(&e->arena);
	det_intern_init(&e->fields);
	det_intern_init(&e->channels);
	char *text = NULL;
	size_t n;
	const char *name = mapping_path;
	enum bw_err rc;
	if (mapping_path) {
		text = read_file(mapping_path, DETECT_LIM_RULE_FILE, &n, err);
		if (!text) {
			detect_engine_free(e);
			return NULL;
		}
		rc = det_mapping_parse(&e->map, text, n, name, err);
	} else {
		name = "mapping.yaml (built in)";
		rc = det_mapping_parse(&e->map, (const char *)detect_embedded_mapping[0].data,
				       detect_embedded_mapping[0].len, name, err);
	}
	free(text);
	if (rc) {
		detect_engine_free(e);
		return NULL;
	}
	const struct det_mapping *m = &e->map;
	e->f_channel = det_intern_add(&e->fields, "Channel", 7);
	e->f_eid = det_intern_add(&e->fields, "EventID", 7);
	for (uint32_t i = 0; i < m->nfields; i++) {
		det_intern_add(&e->fields, m->field_from[i], strlen(m->field_from[i]));
		det_intern_add(&e->fields, m->field_to[i], strlen(m->field_to[i]));
	}
	e->time_ids = arena_alloc(&e->arena, (m->ntime_fields + 1) * sizeof *e->time_ids);
	for (uint32_t i = 0; i < m->ntime_fields; i++)
		e->time_ids[e->ntime_ids++] =
			det_intern_add(&e->fields, m->time_fields[i], strlen(m->time_fields[i]));
	e->computer_ids = arena_alloc(&e->arena, (m->ncomputer_fields + 1) * sizeof *e->computer_ids);
	for (uint32_t i = 0; i < m->ncomputer_fields; i++)
		e->computer_ids[e->ncomputer_ids++] = det_intern_add(
			&e->fields, m->computer_fields[i], strlen(m->computer_fields[i]));
	/* per-source aliases: one entry per (channel, EventID, field) */
	uint32_t cnt = 0;
	for (uint32_t i = 0; i < m->nlogsources; i++)
		for (uint32_t j = 0; j < m->logsources[i].nsources; j++) {
			const struct det_map_source *s = &m->logsources[i].sources[j];
			cnt += s->naliases * (s->neids ? s->neids : 1);
		}
	e->aliases = arena_alloc(&e->arena, (cnt + 1) * sizeof *e->aliases);
	for (uint32_t i = 0; i < m->nlogsources; i++)
		for (uint32_t j = 0; j < m->logsources[i].nsources; j++) {
			const struct det_map_source *s = &m->logsources[i].sources[j];
			uint32_t ch = strcmp(s->channel, "*")
				? det_intern_add(&e->channels, s->channel, strlen(s->channel)) : 0;
			for (uint32_t a = 0; a < s->naliases; a++)
				for (uint32_t k = 0; k < (s->neids ? s->neids : 1); k++)
					e->aliases[e->naliases++] = (struct det_alias){
						ch, s->neids ? s->eids[k] : UINT32_MAX,
						det_intern_add(&e->fields, s->alias_to[a],
							       strlen(s->alias_to[a])),
						det_intern_add(&e->fields, s->alias_from[a],
							       strlen(s->alias_from[a])) };
		}
	return e;
}

void detect_engine_free(struct detect_engine *e)
{
	if (!e)
		return;
	for (uint32_t i = 0; i < e->nrules; i++)
		for (uint32_t k = 0; k < e->rules[i].nmatchers; k++)
			if (e->rules[i].matchers[k].re)
				pcre2_code_free(e->rules[i].matchers[k].re);
	for (uint32_t i = 0; i < e->nroutes; i++) {
		free(e->routes[i].any_eid);
		for (uint32_t k = 0; k < e->routes[i].neids; k++)
			free(e->routes[i].eid_rules[k]);
		free(e->routes[i].eids);
		free(e->routes[i].eid_rules);
		free(e->routes[i].eid_nrules);
	}
	free(e->routes);
	free(e->any_channel);
	free(e->unrouted);
	for (uint32_t i = 0; i < e->nlits; i++)
		free(e->lits[i].rules);
	free(e->lits);
	det_prefilter_free(e->pf);
	det_prefilter_free(e->pf_kw);
	free(e->rules);
	free(e->errors);
	free(e->field_alias);
	free(e->scanned);
	det_intern_free(&e->fields);
	det_intern_free(&e->channels);
	det_mapping_free(&e->map);
	arena_free(&e->arena);
	free(e);
}

size_t detect_engine_add_text(struct detect_engine *e, const char *text, size_t n,
			      const char *name, struct bw_error *err)
{
	if (err)
		bw_error_clear(err);
	return det_rules_parse(e, text, n, name, err);
}

static bool has_ext(const char *name)
{
	size_t n = strlen(name);
	return (n > 4 && !strcmp(name + n - 4, ".yml")) || (n > 5 && !strcmp(name + n - 5, ".yaml"));
}

static size_t add_file(struct detect_engine *e, const char *path)
{
	struct bw_error err = { 0 };
	size_t n;
	char *text = read_file(path, DETECT_LIM_RULE_FILE, &n, &err);
	if (!text) {
		det_rule_fail(e, path, 0, "%s", err.msg);
		return 0;
	}
	size_t k = det_rules_parse(e, text, n, path, NULL);
	free(text);
	return k;
}

static size_t add_dir(struct detect_engine *e, const char *dir, int depth)
{
	struct dirent **list;
	int cnt = scandir(dir, &list, NULL, alphasort);
	if (cnt < 0) {
		det_rule_fail(e, dir, 0, "cannot read directory: %s", strerror(errno));
		return 0;
	}
	size_t loaded = 0;
	for (int i = 0; i < cnt; i++) {
		const char *nm = list[i]->d_name;
		if (nm[0] != '.') {
			char path[4096];
			int k = snprintf(path, sizeof path, "%s/%s", dir, nm);
			struct stat st;
			if (k > 0 && (size_t)k < sizeof path && stat(path, &st) == 0) {
				if (S_ISDIR(st.st_mode) && depth < 32)
					loaded += add_dir(e, path, depth + 1);
				else if (S_ISREG(st.st_mode) && has_ext(nm))
					loaded += add_file(e, path);
			}
		}
		free(list[i]);
	}
	free(list);
	return loaded;
}

size_t detect_engine_add_path(struct detect_engine *e, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		det_rule_fail(e, path, 0, "%s", strerror(errno));
		return 0;
	}
	return S_ISDIR(st.st_mode) ? add_dir(e, path, 0) : add_file(e, path);
}

const struct detect_rule_error *detect_engine_errors(const struct detect_engine *e, size_t *n)
{
	*n = e->nerrors;
	return e->errors;
}

size_t detect_engine_rule_count(const struct detect_engine *e)
{
	return e->nrules;
}

const struct detect_rule_info *detect_engine_rule(const struct detect_engine *e, size_t i)
{
	return i < e->nrules ? &e->rules[i].info : NULL;
}

const char *detect_engine_prefilter_name(const struct detect_engine *e)
{
	return det_prefilter_name(e->pf);
}

/* ---- compile ---- */

static void push_u32(uint32_t **arr, uint32_t *n, uint32_t v)
{
	if ((*n & (*n - 1)) == 0 || *n == 0) {
		uint32_t cap = *n ? *n * 2 : 4;
		*arr = realloc(*arr, cap * sizeof **arr);
		if (!*arr)
			abort();
	}
	(*arr)[(*n)++] = v;
}

struct lit_index {
	uint32_t *slots;
	uint32_t nslots;
};

static uint32_t lit_hash(const char *s, uint32_t n, uint32_t field)
{
	uint32_t h = 2166136261u ^ field;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int32_t lit_get(struct detect_engine *e, struct lit_index *ix, const char *s, uint32_t n,
		       uint32_t field)
{
	if ((e->nlits + 1) * 2 > ix->nslots) {
		uint32_t ns = ix->nslots ? ix->nslots * 2 : 1024;
		uint32_t *sl = calloc(ns, sizeof *sl);
		if (!sl)
			abort();
		for (uint32_t i = 0; i < e->nlits; i++) {
			uint32_t h = lit_hash(e->lits[i].s, e->lits[i].n, e->lits[i].field) & (ns - 1);
			while (sl[h])
				h = (h + 1) & (ns - 1);
			sl[h] = i + 1;
		}
		free(ix->slots);
		ix->slots = sl;
		ix->nslots = ns;
	}
	uint32_t h = lit_hash(s, n, field) & (ix->nslots - 1);
	for (;; h = (h + 1) & (ix->nslots - 1)) {
		uint32_t id = ix->slots[h];
		if (!id)
			break;
		struct det_literal *l = &e->lits[id - 1];
		if (l->field == field && l->n == n && !memcmp(l->s, s, n))
			return (int32_t)(id - 1);
	}
	if (e->nlits == e->caplits) {
		e->caplits = e->caplits ? e->caplits * 2 : 1024;
		e->lits = realloc(e->lits, e->caplits * sizeof *e->lits);
		if (!e->lits)
			abort();
	}
	e->lits[e->nlits] = (struct det_literal){ s, n, field, NULL, 0 };
	ix->slots[h] = ++e->nlits;
	return (int32_t)(e->nlits - 1);
}

static struct det_route *route_for(struct detect_engine *e, uint32_t channel)
{
	for (uint32_t i = 0; i < e->nroutes; i++)
		if (e->routes[i].channel == channel)
			return &e->routes[i];
	e->routes = realloc(e->routes, (e->nroutes + 1) * sizeof *e->routes);
	if (!e->routes)
		abort();
	struct det_route *r = &e->routes[e->nroutes++];
	memset(r, 0, sizeof *r);
	r->channel = channel;
	return r;
}

static void route_add(struct detect_engine *e, uint32_t ri)
{
	const struct det_rule *r = &e->rules[ri];
	if (r->unrouted) {
		push_u32(&e->unrouted, &e->nunrouted, ri);
		return;
	}
	for (uint32_t s = 0; s < r->nsources; s++) {
		const struct det_source *src = &r->sources[s];
		if (!src->channel) {
			push_u32(&e->any_channel, &e->nany_channel, ri);
			continue;
		}
		struct det_route *rt = route_for(e, src->channel);
		if (!src->neids) {
			push_u32(&rt->any_eid, &rt->nany, ri);
			continue;
		}
		for (uint32_t k = 0; k < src->neids; k++) {
			uint32_t j = 0;
			while (j < rt->neids && rt->eids[j] != src->eids[k])
				j++;
			if (j == rt->neids) {
				rt->eids = realloc(rt->eids, (j + 1) * sizeof *rt->eids);
				rt->eid_rules = realloc(rt->eid_rules, (j + 1) * sizeof *rt->eid_rules);
				rt->eid_nrules = realloc(rt->eid_nrules, (j + 1) * sizeof *rt->eid_nrules);
				if (!rt->eids || !rt->eid_rules || !rt->eid_nrules)
					abort();
				rt->eids[j] = src->eids[k];
				rt->eid_rules[j] = NULL;
				rt->eid_nrules[j] = 0;
				rt->neids++;
			}
			push_u32(&rt->eid_rules[j], &rt->eid_nrules[j], ri);
		}
	}
}

static bool resolve_correlations(struct detect_engine *e)
{
	for (uint32_t i = 0; i < e->nrules; i++) {
		struct det_rule *r = &e->rules[i];
		if (!r->corr)
			continue;
		r->corr_rules = arena_alloc(&e->arena, (r->ncorr_rules + 1) * sizeof *r->corr_rules);
		for (uint32_t k = 0; k < r->ncorr_rules; k++) {
			const char *ref = r->corr_rule_refs[k];
			uint32_t j = 0;
			for (; j < e->nrules; j++)
				if (j != i && ((e->rules[j].name && !strcmp(e->rules[j].name, ref)) ||
					       !strcmp(e->rules[j].info.id, ref)))
					break;
			if (j == e->nrules) {
				det_rule_fail(e, r->info.path, 0,
					      "correlation '%s' names rule '%s', which is not loaded",
					      r->info.title, ref);
				r->corr = CORR_NONE; /* disabled, and reported */
				r->ncode = 0;
				break;
			}
			r->corr_rules[k] = j;
		}
	}
	return true;
}

/* ---- prefilter triggers ----
 * A rule's trigger is a set of literals at least one of which must occur for
 * the rule to be possible; the rule is looked at only when one does. Under
 * AND the cheapest child's set is enough (longer literals are rarer); under
 * OR the sets add up; `not`, and any matcher without a literal, make the
 * rule always evaluated. */
struct trig {
	uint32_t *l;
	uint32_t n;
	bool inf;
	double cost;
};

static double lit_cost(const struct det_literal *l)
{
	double d = l->n >= 12 ? 1 : 13 - (double)l->n;
	return d * d;
}

static const struct detect_engine *trig_engine;

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

static struct trig trig_matchers(const struct det_rule *r, uint32_t from, uint32_t to)
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
		t.cost += lit_cost(&trig_engine->lits[lit]);
	}
	return t;
}

static struct trig trig_pred(const struct det_rule *r, const struct det_pred *p)
{
	uint32_t end = p->first + p->count;
	if (!p->all || p->count == 0)
		return p->count ? trig_matchers(r, p->first, end) : trig_inf();
	struct trig best = trig_inf();
	for (uint32_t k = p->first; k < end;) {
		uint32_t g = r->matchers[k].group, j = k;
		while (j < end && r->matchers[j].group == g)
			j++;
		trig_and(&best, trig_matchers(r, k, j), k == p->first);
		k = j;
	}
	return best;
}

static struct trig trig_sel(const struct det_rule *r, uint32_t s)
{
	const struct det_sel *sel = &r->sels[s];
	struct trig t = { NULL, 0, false, 0 };
	for (uint32_t a = sel->first; a < sel->first + sel->count; a++) {
		const struct det_alt *alt = &r->alts[a];
		struct trig at = trig_inf();
		for (uint32_t i = 0; i < alt->count; i++)
			trig_and(&at, trig_pred(r, &r->preds[alt->first + i]), i == 0);
		trig_or(&t, at);
	}
	if (sel->count == 0)
		return trig_inf();
	return t;
}

static struct trig trig_node(const struct det_rule *r, uint32_t id)
{
	const struct det_cnode *n = &r->cnodes[id];
	switch (n->type) {
	case CN_SEL:
		return trig_sel(r, n->sel);
	case CN_AND: {
		struct trig t = trig_inf();
		for (uint32_t i = 0; i < n->nkids; i++)
			trig_and(&t, trig_node(r, r->ckids[n->kid0 + i]), i == 0);
		return t;
	}
	case CN_OR: {
		struct trig t = { NULL, 0, false, 0 };
		for (uint32_t i = 0; i < n->nkids; i++)
			trig_or(&t, trig_node(r, r->ckids[n->kid0 + i]));
		return t;
	}
	default:
		return trig_inf();
	}
}

/* Only literals some rule is triggered by are worth scanning for; any other
 * literal is dropped and its matcher counts as always possible (a superset,
 * so no rule that could fire is skipped). Fewer patterns: a faster scan and
 * a faster compile. */
static void compact_literals(struct detect_engine *e)
{
	int32_t *map = malloc((e->nlits + 1) * sizeof *map);
	if (!map)
		abort();
	uint32_t n = 0;
	for (uint32_t i = 0; i < e->nlits; i++) {
		if (e->lits[i].nrules) {
			map[i] = (int32_t)n;
			e->lits[n++] = e->lits[i];
		} else {
			map[i] = -1;
			free(e->lits[i].rules);
		}
	}
	e->nlits = n;
	for (uint32_t ri = 0; ri < e->nrules; ri++)
		for (uint32_t k = 0; k < e->rules[ri].nmatchers; k++) {
			struct det_matcher *m = &e->rules[ri].matchers[k];
			if (m->lit >= 0)
				m->lit = map[m->lit];
		}
	free(map);
}

enum bw_err detect_engine_compile(struct detect_engine *e, struct bw_error *err)
{
	if (e->compiled)
		return BW_OK;
	resolve_correlations(e);
	e->field_alias = calloc(e->fields.n + 1, sizeof *e->field_alias);
	if (!e->field_alias)
		abort();
	for (uint32_t i = 0; i < e->map.nfields; i++) {
		uint32_t from = det_intern_find(&e->fields, e->map.field_from[i],
						strlen(e->map.field_from[i]));
		uint32_t to = det_intern_find(&e->fields, e->map.field_to[i],
					      strlen(e->map.field_to[i]));
		if (from && to && from != to)
			e->field_alias[from] = to;
	}
	e->scanned = calloc(e->fields.n + 1, 1);
	if (!e->scanned)
		abort();
	for (uint32_t ri = 0; ri < e->nrules; ri++)
		for (uint32_t p = 0; p < e->rules[ri].npreds; p++)
			if (e->rules[ri].preds[p].field != DET_FIELD_ANY)
				e->scanned[e->rules[ri].preds[p].field] = 1;
	struct lit_index ix = { 0 };
	for (uint32_t ri = 0; ri < e->nrules; ri++) {
		struct det_rule *r = &e->rules[ri];
		for (uint32_t p = 0; p < r->npreds; p++) {
			const struct det_pred *pd = &r->preds[p];
			for (uint32_t k = pd->first; k < pd->first + pd->count; k++) {
				struct det_matcher *m = &r->matchers[k];
				/* very short literals occur in nearly every event: they
				 * would only slow the scan, so such a matcher counts as
				 * literal-free (always possible) */
				if (!m->lit_s || m->lit_n < DET_MIN_LITERAL) {
					m->lit = -1;
					continue;
				}
				/* one pattern per distinct text, whatever the field: the
				 * prefilter answers "occurs somewhere in the event", a
				 * superset of "occurs in that field" */
				m->lit = lit_get(e, &ix, m->lit_s, m->lit_n,
						 pd->field == DET_FIELD_ANY ? DET_FIELD_KW : DET_FIELD_ANY);
			}
		}
	}
	free(ix.slots);
	trig_engine = e;
	uint8_t *none = calloc(e->nlits / 8 + 1, 1);
	if (!none)
		abort();
	for (uint32_t ri = 0; ri < e->nrules; ri++) {
		struct det_rule *r = &e->rules[ri];
		if (r->corr || r->ncode == 0)
			continue;
		struct trig t = trig_node(r, r->croot);
		r->always = t.inf || det_rule_possible(r, none);
		if (r->always) {
			route_add(e, ri);
		} else {
			for (uint32_t k = 0; k < t.n; k++) {
				struct det_literal *l = &e->lits[t.l[k]];
				if (!l->nrules || l->rules[l->nrules - 1] != ri)
					push_u32(&l->rules, &l->nrules, ri);
			}
		}
		free(t.l);
	}
	free(none);
	compact_literals(e);
	e->pf = det_prefilter_build(e->lits, e->nlits, false, err);
	if (!e->pf)
		return err ? err->code : BW_EINTERNAL;
	e->pf_kw = det_prefilter_build(e->lits, e->nlits, true, err);
	if (!e->pf_kw)
		return err ? err->code : BW_EINTERNAL;
	e->compiled = true;
	return BW_OK;
}

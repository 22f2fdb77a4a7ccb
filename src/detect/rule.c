/*
 * rule: Sigma rule documents (YAML, via libyaml) into compiled rules —
 * metadata, logsource route, search identifiers as predicates on interned
 * fields, the condition as bytecode. Correlation documents are kept for
 * engine.c to resolve; meta filters are attached to the rules they name.
 * Anything not understood fails the whole rule with its line and reason.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "internal.h"

#define MAX_MODS 16

struct rb {                          /* a rule being built */
	struct detect_engine *e;
	const char *path;
	yaml_document_t *doc;
	struct det_rule r;
	struct det_matcher *m;
	struct det_pred *preds;
	struct det_alt *alts;
	struct det_sel *sels;
	uint32_t nm, np, na, ns, capm, capp, capa, caps;
	int line;
	char why[300];
};

void det_rule_fail(struct detect_engine *e, const char *path, int line, const char *fmt, ...)
{
	if (e->nerrors == e->caperrors) {
		e->caperrors = e->caperrors ? e->caperrors * 2 : 64;
		e->errors = realloc(e->errors, e->caperrors * sizeof *e->errors);
		if (!e->errors)
			abort();
	}
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	e->errors[e->nerrors++] = (struct detect_rule_error){
		arena_strdup(&e->arena, path), line, arena_strdup(&e->arena, msg) };
}

static bool rfail(struct rb *b, const yaml_node_t *n, const char *fmt, ...) BW_PRINTF(3, 4);
static bool rfail(struct rb *b, const yaml_node_t *n, const char *fmt, ...)
{
	if (n)
		b->line = (int)n->start_mark.line + 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->why, sizeof b->why, fmt, ap);
	va_end(ap);
	return false;
}

static const char *scalar(const yaml_node_t *n, size_t *len)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	if (len)
		*len = n->data.scalar.length;
	return (const char *)n->data.scalar.value;
}

static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)n->data.scalar.value;
	return !strcmp(s, "") || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
	     pr++) {
		const char *k = scalar(yaml_document_get_node(d, pr->key), NULL);
		if (k && !strcmp(k, key))
			return yaml_document_get_node(d, pr->value);
	}
	return NULL;
}

static const char *map_str(struct rb *b, yaml_node_t *map, const char *key)
{
	const char *s = scalar(map_get(b->doc, map, key), NULL);
	return s ? arena_strdup(&b->e->arena, s) : NULL;
}

#define GROW(arr, n, cap)                                                                 \
	do {                                                                              \
		if ((n) == (cap)) {                                                       \
			(cap) = (cap) ? (cap) * 2 : 16;                                   \
			(arr) = realloc((arr), (cap) * sizeof *(arr));                    \
			if (!(arr))                                                       \
				abort();                                                  \
		}                                                                         \
	} while (0)

static void free_regexes(struct det_matcher *m, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (m[i].re)
			pcre2_code_free(m[i].re);
}

/* One `field|mods: value(s)` item into a predicate. */
static bool build_pred(struct rb *b, const char *key, yaml_node_t *val)
{
	char kbuf[512];
	snprintf(kbuf, sizeof kbuf, "%s", key);
	const char *mods[MAX_MODS];
	int nmods = 0;
	char *bar = strchr(kbuf, '|');
	if (bar) {
		*bar = 0;
		char *save = NULL;
		for (char *t = strtok_r(bar + 1, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
			if (nmods == MAX_MODS)
				return rfail(b, val, "too many modifiers on '%s'", key);
			mods[nmods++] = t;
		}
	}
	struct det_value_ctx c = { .e = b->e, .a = &b->e->arena, .keyword = kbuf[0] == 0 };
	yaml_node_t *items[1] = { val };
	yaml_node_t **list = items;
	size_t nlist = 1;
	if (val->type == YAML_SEQUENCE_NODE) {
		list = NULL;
		nlist = (size_t)(val->data.sequence.items.top - val->data.sequence.items.start);
	} else if (val->type == YAML_MAPPING_NODE) {
		return rfail(b, val, "'%s' holds a map; a field takes a value or a list", key);
	}
	for (size_t i = 0; i < nlist; i++) {
		yaml_node_t *v = list ? list[i]
			: yaml_document_get_node(b->doc, val->data.sequence.items.start[i]);
		if (!v || v->type != YAML_SCALAR_NODE)
			return rfail(b, v ? v : val, "'%s': list items must be plain values", key);
		c.why[0] = 0;
		if (!det_value_compile(&c, mods, nmods, (const char *)v->data.scalar.value,
				       v->data.scalar.length, is_null(v))) {
			free_regexes(c.out, c.nout);
			free(c.out);
			return rfail(b, v, "'%s': %s", key, c.why);
		}
	}
	GROW(b->preds, b->np, b->capp);
	struct det_pred *p = &b->preds[b->np++];
	p->all = c.all;
	p->first = b->nm;
	p->count = c.nout;
	p->field = kbuf[0] ? det_intern_add(&b->e->fields, kbuf, strlen(kbuf)) : DET_FIELD_ANY;
	if (p->field == DET_FIELD_ANY)
		b->e->keywords = true;
	for (uint32_t i = 0; i < c.nout; i++) {
		GROW(b->m, b->nm, b->capm);
		b->m[b->nm++] = c.out[i];
	}
	free(c.out);
	return true;
}

static bool build_alt_map(struct rb *b, yaml_node_t *map)
{
	uint32_t first = b->np;
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(b->doc, pr->key);
		const char *ks = scalar(k, NULL);
		if (!ks)
			return rfail(b, k, "field names must be plain strings");
		if (!build_pred(b, ks, yaml_document_get_node(b->doc, pr->value)))
			return false;
	}
	GROW(b->alts, b->na, b->capa);
	b->alts[b->na++] = (struct det_alt){ first, b->np - first };
	return true;
}

/* keywords: values searched in every field */
static bool build_alt_keywords(struct rb *b, yaml_node_t *val)
{
	uint32_t first = b->np;
	if (!build_pred(b, "", val))
		return false;
	GROW(b->alts, b->na, b->capa);
	b->alts[b->na++] = (struct det_alt){ first, b->np - first };
	return true;
}

static bool build_sel(struct rb *b, const char *name, yaml_node_t *n)
{
	uint32_t first = b->na;
	if (n->type == YAML_MAPPING_NODE) {
		if (!build_alt_map(b, n))
			return false;
	} else if (n->type == YAML_SEQUENCE_NODE) {
		bool scalars = false;
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
		     it++) {
			yaml_node_t *v = yaml_document_get_node(b->doc, *it);
			if (v->type == YAML_MAPPING_NODE) {
				if (!build_alt_map(b, v))
					return false;
			} else if (v->type == YAML_SCALAR_NODE) {
				scalars = true;
			} else {
				return rfail(b, v, "'%s': nested lists are not allowed", name);
			}
		}
		if (scalars) {
			/* the scalar items together form one keyword list */
			yaml_node_t tmpseq = *n;
			static _Thread_local yaml_node_item_t items[4096];
			size_t k = 0;
			for (yaml_node_item_t *it = n->data.sequence.items.start;
			     it < n->data.sequence.items.top && k < BW_NELEM(items); it++)
				if (yaml_document_get_node(b->doc, *it)->type == YAML_SCALAR_NODE)
					items[k++] = *it;
			tmpseq.data.sequence.items.start = items;
			tmpseq.data.sequence.items.top = items + k;
			if (!build_alt_keywords(b, &tmpseq))
				return false;
		}
	} else if (n->type == YAML_SCALAR_NODE) {
		if (is_null(n))
			return rfail(b, n, "search identifier '%s' is empty", name);
		if (!build_alt_keywords(b, n))
			return false;
	}
	GROW(b->sels, b->ns, b->caps);
	b->sels[b->ns++] = (struct det_sel){ arena_strdup(&b->e->arena, name), first, b->na - first };
	return true;
}

static bool build_logsource(struct rb *b, yaml_node_t *ls)
{
	if (!ls || ls->type != YAML_MAPPING_NODE)
		return rfail(b, ls, "rule has no logsource");
	const char *product = scalar(map_get(b->doc, ls, "product"), NULL);
	const char *category = scalar(map_get(b->doc, ls, "category"), NULL);
	const char *service = scalar(map_get(b->doc, ls, "service"), NULL);
	b->r.product = product ? arena_strdup(&b->e->arena, product) : NULL;
	b->r.category = category ? arena_strdup(&b->e->arena, category) : NULL;
	b->r.service = service ? arena_strdup(&b->e->arena, service) : NULL;
	if (b->r.info.filter)
		return true;  /* a filter is not routed: it rides on the rules it names */
	const struct det_map_logsource *m = det_mapping_find(&b->e->map, product, category, service);
	if (!m) {
		if (product && !strcasecmp(product, "windows"))
			return rfail(b, ls, "logsource windows/%s/%s is not in the mapping",
				     category ? category : "-", service ? service : "-");
		b->r.unrouted = true;
		return true;
	}
	b->r.nsources = m->nsources;
	b->r.sources = arena_alloc(&b->e->arena, (m->nsources + 1) * sizeof *b->r.sources);
	for (uint32_t i = 0; i < m->nsources; i++) {
		const struct det_map_source *s = &m->sources[i];
		struct det_source *d = &b->r.sources[i];
		if (strcmp(s->channel, "*") != 0)
			d->channel = det_intern_add(&b->e->channels, s->channel, strlen(s->channel));
		d->neids = s->neids;
		d->eids = s->eids;
	}
	return true;
}

static const char *join_author(struct rb *b, yaml_node_t *n)
{
	if (!n)
		return "";
	if (n->type == YAML_SCALAR_NODE)
		return arena_strdup(&b->e->arena, (const char *)n->data.scalar.value);
	struct buf o;
	buf_init(&o);
	if (n->type == YAML_SEQUENCE_NODE)
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			const char *s = scalar(yaml_document_get_node(b->doc, *it), NULL);
			if (s)
				buf_printf(&o, "%s%s", o.len ? ", " : "", s);
		}
	const char *r = arena_strdup(&b->e->arena, buf_cstr(&o));
	buf_free(&o);
	return r;
}

static const char *const *build_tags(struct rb *b, yaml_node_t *n)
{
	size_t cnt = 0;
	if (n && n->type == YAML_SEQUENCE_NODE)
		cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	const char **t = arena_alloc(&b->e->arena, (cnt + 1) * sizeof *t);
	size_t k = 0;
	for (size_t i = 0; i < cnt; i++) {
		const char *s = scalar(yaml_document_get_node(b->doc, n->data.sequence.items.start[i]),
				       NULL);
		if (s)
			t[k++] = arena_strdup(&b->e->arena, s);
	}
	t[k] = NULL;
	return t;
}

/* Fields shown in a finding: those of selections not under `not`. */
static void build_out_fields(struct rb *b)
{
	uint8_t *neg = calloc(b->ns + 1, 1);
	if (!neg)
		abort();
	for (uint32_t i = 0; i < b->r.ncode; i++)
		if (b->r.code[i].code == C_SEL && i + 1 < b->r.ncode && b->r.code[i + 1].code == C_NOT)
			neg[b->r.code[i].arg] = 1;
	uint32_t *out = arena_alloc(&b->e->arena, (b->np + 1) * sizeof *out);
	uint32_t n = 0;
	for (uint32_t s = 0; s < b->ns; s++) {
		if (neg[s])
			continue;
		for (uint32_t a = b->sels[s].first; a < b->sels[s].first + b->sels[s].count; a++)
			for (uint32_t p = b->alts[a].first; p < b->alts[a].first + b->alts[a].count; p++) {
				uint32_t f = b->preds[p].field;
				bool dup = f == DET_FIELD_ANY;
				for (uint32_t k = 0; k < n && !dup; k++)
					dup = out[k] == f;
				if (!dup)
					out[n++] = f;
			}
	}
	free(neg);
	b->r.out_fields = out;
	b->r.nout = n;
}

/* skip: a key that is not a search identifier (a filter's `rules`), or NULL */
static bool build_detection(struct rb *b, yaml_node_t *det, const char *skip)
{
	if (!det || det->type != YAML_MAPPING_NODE)
		return rfail(b, det, "rule has no detection section");
	yaml_node_t *cond = NULL;
	for (yaml_node_pair_t *pr = det->data.mapping.pairs.start; pr < det->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(b->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(b->doc, pr->value);
		const char *ks = scalar(k, NULL);
		if (!ks)
			return rfail(b, k, "detection keys must be names");
		if (!strcmp(ks, "condition")) {
			cond = v;
			continue;
		}
		if (skip && !strcmp(ks, skip))
			continue;
		if (!strcmp(ks, "timeframe"))
			return rfail(b, k, "'timeframe' in detection is not supported: use a correlation rule");
		if (!build_sel(b, ks, v))
			return false;
	}
	if (!cond)
		return rfail(b, det, "%s has no condition", b->r.info.filter ? "filter" : "detection");
	const char *conds[64];
	int nconds = 0;
	if (cond->type == YAML_SCALAR_NODE) {
		conds[nconds++] = (const char *)cond->data.scalar.value;
	} else if (cond->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = cond->data.sequence.items.start;
		     it < cond->data.sequence.items.top; it++) {
			const char *s = scalar(yaml_document_get_node(b->doc, *it), NULL);
			if (!s || nconds == (int)BW_NELEM(conds))
				return rfail(b, cond, "condition list must hold strings");
			conds[nconds++] = s;
		}
	} else {
		return rfail(b, cond, "condition must be a string");
	}
	b->r.sels = b->sels;
	b->r.nsels = b->ns;
	char why[256] = "";
	if (!det_condition_compile(&b->r, &b->e->arena, conds, nconds, why, sizeof why))
		return rfail(b, cond, "%s", why);
	return true;
}

static void *arena_copy(struct arena *a, const void *p, size_t n)
{
	void *d = arena_alloc(a, n ? n : 1);
	if (n)
		memcpy(d, p, n);
	return d;
}

static void rb_free(struct rb *b)
{
	free(b->m);
	free(b->preds);
	free(b->alts);
	free(b->sels);
}

static uint32_t push_rule(struct detect_engine *e, struct det_rule *r)
{
	if (e->nrules == e->caprules) {
		e->caprules = e->caprules ? e->caprules * 2 : 256;
		e->rules = realloc(e->rules, e->caprules * sizeof *e->rules);
		if (!e->rules)
			abort();
	}
	e->rules[e->nrules] = *r;
	return e->nrules++;
}

static int64_t parse_timespan(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || v <= 0)
		return -1;
	int64_t mul = !strcmp(end, "s") ? 1000 : !strcmp(end, "m") ? 60000 : !strcmp(end, "h")
		? 3600000 : !strcmp(end, "d") ? 86400000 : !strcmp(end, "w") ? 604800000 : -1;
	return mul < 0 ? -1 : v * mul;
}

static bool str_list(struct rb *b, yaml_node_t *n, const char ***out, uint32_t *nout)
{
	*nout = 0;
	if (!n)
		return true;
	if (n->type == YAML_SCALAR_NODE) {
		*out = arena_alloc(&b->e->arena, sizeof **out);
		(*out)[0] = arena_strdup(&b->e->arena, (const char *)n->data.scalar.value);
		*nout = 1;
		return true;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return false;
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	*out = arena_alloc(&b->e->arena, (cnt + 1) * sizeof **out);
	for (size_t i = 0; i < cnt; i++) {
		const char *s = scalar(yaml_document_get_node(b->doc, n->data.sequence.items.start[i]),
				       NULL);
		if (!s)
			return false;
		(*out)[(*nout)++] = arena_strdup(&b->e->arena, s);
	}
	return true;
}

static bool build_correlation(struct rb *b, yaml_node_t *c)
{
	if (c->type != YAML_MAPPING_NODE)
		return rfail(b, c, "correlation must be a map");
	const char *type = scalar(map_get(b->doc, c, "type"), NULL);
	if (!type)
		return rfail(b, c, "correlation has no type");
	b->r.corr = !strcmp(type, "event_count") ? CORR_EVENT_COUNT
		  : !strcmp(type, "value_count") ? CORR_VALUE_COUNT
		  : !strcmp(type, "temporal") ? CORR_TEMPORAL
		  : !strcmp(type, "temporal_ordered") ? CORR_TEMPORAL_ORDERED : CORR_NONE;
	if (b->r.corr == CORR_NONE)
		return rfail(b, c, "correlation type '%s' is not supported", type);
	const char **refs = NULL;
	if (!str_list(b, map_get(b->doc, c, "rules"), &refs, &b->r.ncorr_rules) ||
	    b->r.ncorr_rules == 0)
		return rfail(b, c, "correlation needs a list of rules");
	b->r.corr_rule_refs = refs;
	const char **gb = NULL;
	uint32_t ngb = 0;
	if (!str_list(b, map_get(b->doc, c, "group-by"), &gb, &ngb))
		return rfail(b, c, "group-by must be a list of fields");
	b->r.group_by = arena_alloc(&b->e->arena, (ngb + 1) * sizeof *b->r.group_by);
	for (uint32_t i = 0; i < ngb; i++)
		b->r.group_by[i] = det_intern_add(&b->e->fields, gb[i], strlen(gb[i]));
	b->r.ngroup_by = ngb;
	yaml_node_t *ts = map_get(b->doc, c, "timespan");
	if (!ts)
		ts = map_get(b->doc, c, "timeframe");
	const char *tss = scalar(ts, NULL);
	if (!tss || (b->r.timespan_ms = parse_timespan(tss)) < 0)
		return rfail(b, ts ? ts : c, "correlation needs a timespan such as 5m");
	yaml_node_t *cond = map_get(b->doc, c, "condition");
	if (b->r.corr == CORR_EVENT_COUNT || b->r.corr == CORR_VALUE_COUNT) {
		if (!cond || cond->type != YAML_MAPPING_NODE)
			return rfail(b, c, "correlation needs a condition map (gte: N)");
		bool found = false;
		for (yaml_node_pair_t *pr = cond->data.mapping.pairs.start;
		     pr < cond->data.mapping.pairs.top; pr++) {
			const char *k = scalar(yaml_document_get_node(b->doc, pr->key), NULL);
			const char *v = scalar(yaml_document_get_node(b->doc, pr->value), NULL);
			if (!k || !v)
				return rfail(b, cond, "bad correlation condition");
			if (!strcmp(k, "field")) {
				b->r.corr_field = det_intern_add(&b->e->fields, v, strlen(v));
				continue;
			}
			int64_t num;
			if (!str_to_i64(str_c(v), 0, INT64_MAX, &num))
				return rfail(b, cond, "correlation condition '%s' needs a number", k);
			b->r.corr_count = num;
			found = true;
			b->r.corr_cmp = !strcmp(k, "gt") ? CMP_GT : !strcmp(k, "gte") ? CMP_GTE
				      : !strcmp(k, "lt") ? CMP_LT : !strcmp(k, "lte") ? CMP_LTE
				      : !strcmp(k, "eq") ? CMP_EQ : 255;
			if (b->r.corr_cmp == 255 || b->r.corr_cmp == CMP_LT || b->r.corr_cmp == CMP_LTE)
				return rfail(b, cond, "correlation condition '%s' is not supported", k);
		}
		if (!found)
			return rfail(b, cond, "correlation condition has no comparison");
		if (b->r.corr == CORR_VALUE_COUNT && !b->r.corr_field)
			return rfail(b, cond, "value_count needs condition.field");
	}
	yaml_node_t *gen = map_get(b->doc, c, "generate");
	const char *gs = scalar(gen, NULL);
	b->r.generate = gs && !strcasecmp(gs, "true");
	b->r.info.correlation = true;
	b->e->has_corr = true;
	return true;
}

/* ---- meta filters ---- */

static bool names_rule(const struct det_rule *f, const struct det_rule *r)
{
	for (uint32_t i = 0; i < f->nfilter_refs; i++)
		if ((r->info.id[0] && !strcmp(f->filter_refs[i], r->info.id)) ||
		    (r->name && !strcmp(f->filter_refs[i], r->name)))
			return true;
	return false;
}

/* The filter's logsource covers the rule's: each part the filter names is
 * the rule's too (a filter for windows/process_creation does not touch a
 * named rule on another logsource). */
static bool covers(const char *f, const char *r)
{
	return !f || (r && !strcasecmp(f, r));
}

static void *grow_copy(struct arena *a, const void *x, size_t nx, const void *y, size_t ny,
		       size_t extra, size_t size)
{
	char *d = arena_alloc(a, (nx + ny + extra + 1) * size);
	if (nx)
		memcpy(d, x, nx * size);
	if (ny)
		memcpy(d + nx * size, y, ny * size);
	return d;
}

/* r := r and not f, on every compiled form: matchers, predicates,
 * alternatives and selections appended with their indices moved; the
 * bytecode `r; JF end; f; NOT`; the tree AND(r, NOT(f)) for the triggers. */
static void merge_filter(struct detect_engine *e, struct det_rule *r, const struct det_rule *f)
{
	struct arena *a = &e->arena;
	struct det_matcher *m = grow_copy(a, r->matchers, r->nmatchers, f->matchers, f->nmatchers, 0,
					  sizeof *m);
	for (uint32_t i = r->nmatchers; i < r->nmatchers + f->nmatchers; i++)
		if (m[i].re)
			m[i].re_shared = true;
	struct det_pred *p = grow_copy(a, r->preds, r->npreds, f->preds, f->npreds, 0, sizeof *p);
	for (uint32_t i = r->npreds; i < r->npreds + f->npreds; i++)
		p[i].first += r->nmatchers;
	struct det_alt *al = grow_copy(a, r->alts, r->nalts, f->alts, f->nalts, 0, sizeof *al);
	for (uint32_t i = r->nalts; i < r->nalts + f->nalts; i++)
		al[i].first += r->npreds;
	struct det_sel *sl = grow_copy(a, r->sels, r->nsels, f->sels, f->nsels, 0, sizeof *sl);
	for (uint32_t i = r->nsels; i < r->nsels + f->nsels; i++)
		sl[i].first += r->nalts;

	uint32_t base = r->ncode + 1, end = base + f->ncode + 1;
	struct det_insn *c = grow_copy(a, r->code, r->ncode, NULL, 0, f->ncode + 2, sizeof *c);
	c[r->ncode] = (struct det_insn){ C_JF, end };
	for (uint32_t i = 0; i < f->ncode; i++) {
		struct det_insn in = f->code[i];
		if (in.code == C_SEL)
			in.arg += r->nsels;
		else if (in.code == C_JF || in.code == C_JT)
			in.arg += base;
		c[base + i] = in;
	}
	c[base + f->ncode] = (struct det_insn){ C_NOT, 0 };

	uint32_t nk = 0;
	for (uint32_t i = 0; i < r->ncnodes; i++)
		nk = r->cnodes[i].kid0 + r->cnodes[i].nkids > nk ? r->cnodes[i].kid0 + r->cnodes[i].nkids
								 : nk;
	uint32_t fk = 0;
	for (uint32_t i = 0; i < f->ncnodes; i++)
		fk = f->cnodes[i].kid0 + f->cnodes[i].nkids > fk ? f->cnodes[i].kid0 + f->cnodes[i].nkids
								 : fk;
	struct det_cnode *cn = grow_copy(a, r->cnodes, r->ncnodes, f->cnodes, f->ncnodes, 2,
					 sizeof *cn);
	uint32_t *ck = grow_copy(a, r->ckids, nk, NULL, 0, fk + 3, sizeof *ck);
	for (uint32_t i = 0; i < f->ncnodes; i++) {
		struct det_cnode *n = &cn[r->ncnodes + i];
		if (n->type == CN_SEL)
			n->sel += r->nsels;
		n->kid0 += nk;
	}
	for (uint32_t i = 0; i < fk; i++)
		ck[nk + i] = f->ckids[i] + r->ncnodes;
	uint32_t not_id = r->ncnodes + f->ncnodes, and_id = not_id + 1;
	ck[nk + fk] = f->croot + r->ncnodes;
	ck[nk + fk + 1] = r->croot;
	ck[nk + fk + 2] = not_id;
	cn[not_id] = (struct det_cnode){ CN_NOT, 0, nk + fk, 1 };
	cn[and_id] = (struct det_cnode){ CN_AND, 0, nk + fk + 1, 2 };

	r->matchers = m;
	r->preds = p;
	r->alts = al;
	r->sels = sl;
	r->code = c;
	r->cnodes = cn;
	r->ckids = ck;
	r->nmatchers += f->nmatchers;
	r->npreds += f->npreds;
	r->nalts += f->nalts;
	r->nsels += f->nsels;
	r->ncode = end;
	r->ncnodes = and_id + 1;
	r->croot = and_id;
}

uint32_t det_filter_apply(struct detect_engine *e, const struct det_rule *f)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < e->nrules; i++) {
		struct det_rule *r = &e->rules[i];
		if (r == f || !det_rule_evaluated(r) || !names_rule(f, r) ||
		    !covers(f->product, r->product) || !covers(f->category, r->category) ||
		    !covers(f->service, r->service))
			continue;
		/* each filter copies the rule's compiled form: bounded */
		if (r->nfilters == DETECT_LIM_FILTERS) {
			det_rule_fail(e, f->info.path, 0, "filter '%s' not applied to '%s': "
				      "more than %d filters name it", f->info.title, r->info.title,
				      DETECT_LIM_FILTERS);
			continue;
		}
		merge_filter(e, r, f);
		r->nfilters++;
		n++;
	}
	return n;
}

/* One YAML document: a rule, a correlation or a filter. */
static bool build_doc(struct rb *b, yaml_node_t *root)
{
	if (!root || root->type != YAML_MAPPING_NODE)
		return rfail(b, root, "a rule must be a YAML map");
	b->r.info.title = map_str(b, root, "title");
	if (!b->r.info.title)
		return rfail(b, root, "rule has no title");
	b->r.info.id = map_str(b, root, "id");
	if (!b->r.info.id)
		b->r.info.id = "";
	b->r.name = map_str(b, root, "name");
	b->r.info.level = map_str(b, root, "level");
	if (!b->r.info.level)
		b->r.info.level = "";
	b->r.info.status = map_str(b, root, "status");
	if (!b->r.info.status)
		b->r.info.status = "";
	b->r.info.author = join_author(b, map_get(b->doc, root, "author"));
	b->r.info.tags = build_tags(b, map_get(b->doc, root, "tags"));
	b->r.info.path = arena_strdup(&b->e->arena, b->path);
	yaml_node_t *corr = map_get(b->doc, root, "correlation");
	if (corr)
		return build_correlation(b, corr);
	yaml_node_t *action = map_get(b->doc, root, "action");
	if (action)
		return rfail(b, action, "'action' documents (Sigma 1.0 collections) are not supported");
	yaml_node_t *filter = map_get(b->doc, root, "filter");
	if (filter) {
		/* a meta filter: search identifiers and a condition beside the
		 * names of the rules it narrows (Sigma filters specification) */
		b->r.info.filter = true;
		if (filter->type != YAML_MAPPING_NODE)
			return rfail(b, filter, "filter must be a map");
		const char **refs = NULL;
		if (!str_list(b, map_get(b->doc, filter, "rules"), &refs, &b->r.nfilter_refs) ||
		    b->r.nfilter_refs == 0)
			return rfail(b, filter, "filter needs a list of rules (ids or names)");
		b->r.filter_refs = refs;
		if (!map_get(b->doc, root, "logsource"))
			return rfail(b, root, "filter has no logsource");
	}
	if (!build_logsource(b, map_get(b->doc, root, "logsource")))
		return false;
	if (!build_detection(b, filter ? filter : map_get(b->doc, root, "detection"),
			     filter ? "rules" : NULL))
		return false;
	struct arena *a = &b->e->arena;
	b->r.matchers = arena_copy(a, b->m, b->nm * sizeof *b->m);
	b->r.nmatchers = b->nm;
	b->r.preds = arena_copy(a, b->preds, b->np * sizeof *b->preds);
	b->r.npreds = b->np;
	b->r.alts = arena_copy(a, b->alts, b->na * sizeof *b->alts);
	b->r.nalts = b->na;
	b->r.sels = arena_copy(a, b->sels, b->ns * sizeof *b->sels);
	b->r.nsels = b->ns;
	build_out_fields(b);
	return true;
}

size_t det_rules_parse(struct detect_engine *e, const char *text, size_t n, const char *path,
		       struct bw_error *first_err)
{
	if (e->compiled) {
		det_rule_fail(e, path, 0, "rules cannot be added after the engine is compiled");
		bw_fail(first_err, BW_EINVAL, path, "engine already compiled");
		return 0;
	}
	if (n > DETECT_LIM_RULE_FILE) {
		det_rule_fail(e, path, 0, "rule file larger than %d bytes", DETECT_LIM_RULE_FILE);
		bw_fail(first_err, BW_ELIMIT, path, "rule file too large");
		return 0;
	}
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, n);
	size_t loaded = 0;
	for (int docno = 0;; docno++) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			int line = (int)parser.problem_mark.line + 1;
			det_rule_fail(e, path, line, "YAML: %s",
				      parser.problem ? parser.problem : "cannot parse");
			bw_fail(first_err, BW_EINVAL, path, "line %d: YAML: %s", line,
				parser.problem ? parser.problem : "cannot parse");
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		if (e->nrules >= DETECT_LIM_RULES) {
			det_rule_fail(e, path, 0, "more than %d rules", DETECT_LIM_RULES);
			yaml_document_delete(&doc);
			break;
		}
		struct rb b = { .e = e, .path = path, .doc = &doc };
		b.line = (int)root->start_mark.line + 1;
		if (build_doc(&b, root)) {
			push_rule(e, &b.r);
			loaded++;
		} else {
			free_regexes(b.m, b.nm);
			det_rule_fail(e, path, b.line, "%s", b.why);
			if (first_err && first_err->code == BW_OK)
				bw_fail(first_err, BW_EINVAL, path, "line %d: %s", b.line, b.why);
		}
		rb_free(&b);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return loaded;
}

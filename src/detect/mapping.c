/*
 * mapping: reads the field/logsource mapping (mapping.yaml, documented at
 * its head) — which channels and EventIDs a Sigma logsource means, which
 * event field names are other names for Sigma fields, where a finding's
 * time and host come from, and the values of `expand` placeholders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "internal.h"

struct mctx {
	struct det_mapping *m;
	yaml_document_t *doc;
	const char *name;
	struct bw_error *err;
};

static yaml_node_t *node(struct mctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *sval(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static enum bw_err mfail(struct mctx *c, yaml_node_t *n, const char *what)
{
	return bw_fail(c->err, BW_EINVAL, c->name, "%s line %d: %s", c->name,
		       n ? (int)n->start_mark.line + 1 : 0, what);
}

static size_t seq_len(yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE
		? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start) : 0;
}

/* a scalar or a list of scalars into strings */
static enum bw_err strings(struct mctx *c, yaml_node_t *n, char ***out, uint32_t *nout)
{
	*nout = 0;
	size_t cnt = n->type == YAML_SCALAR_NODE ? 1 : seq_len(n);
	if (n->type != YAML_SCALAR_NODE && n->type != YAML_SEQUENCE_NODE)
		return mfail(c, n, "expected a value or a list of values");
	*out = arena_alloc(&c->m->arena, (cnt + 1) * sizeof **out);
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *v = n->type == YAML_SCALAR_NODE ? n
			: node(c, n->data.sequence.items.start[i]);
		if (!sval(v))
			return mfail(c, v, "expected a plain value");
		(*out)[(*nout)++] = arena_strdup(&c->m->arena, sval(v));
	}
	return BW_OK;
}

static enum bw_err pairs(struct mctx *c, yaml_node_t *n, char ***from, char ***to, uint32_t *np)
{
	*np = 0;
	if (n->type != YAML_MAPPING_NODE)
		return mfail(c, n, "expected a map of names");
	size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	*from = arena_alloc(&c->m->arena, (cnt + 1) * sizeof **from);
	*to = arena_alloc(&c->m->arena, (cnt + 1) * sizeof **to);
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
		const char *k = sval(node(c, p->key)), *v = sval(node(c, p->value));
		if (!k || !v)
			return mfail(c, n, "names must be plain values");
		(*from)[*np] = arena_strdup(&c->m->arena, k);
		(*to)[(*np)++] = arena_strdup(&c->m->arena, v);
	}
	return BW_OK;
}

static yaml_node_t *get(struct mctx *c, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = sval(node(c, p->key));
		if (k && !strcmp(k, key))
			return node(c, p->value);
	}
	return NULL;
}

static enum bw_err source(struct mctx *c, yaml_node_t *n, struct det_map_source *s)
{
	const char *ch = sval(get(c, n, "channel"));
	if (!ch)
		return mfail(c, n, "a source needs a channel");
	s->channel = arena_strdup(&c->m->arena, ch);
	yaml_node_t *e = get(c, n, "eventid");
	if (e) {
		char **ids;
		enum bw_err rc = strings(c, e, &ids, &s->neids);
		if (rc)
			return rc;
		s->eids = arena_alloc(&c->m->arena, (s->neids + 1) * sizeof *s->eids);
		for (uint32_t i = 0; i < s->neids; i++) {
			int64_t v;
			if (!str_to_i64(str_c(ids[i]), 0, UINT32_MAX - 1, &v))
				return mfail(c, e, "eventid must be a number");
			s->eids[i] = (uint32_t)v;
		}
	}
	yaml_node_t *f = get(c, n, "fields");
	if (f)
		return pairs(c, f, &s->alias_to, &s->alias_from, &s->naliases);
	return BW_OK;
}

static enum bw_err logsources(struct mctx *c, yaml_node_t *n)
{
	size_t cnt = seq_len(n);
	struct det_mapping *m = c->m;
	m->logsources = arena_alloc(&m->arena, (cnt + 1) * sizeof *m->logsources);
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *ls = node(c, n->data.sequence.items.start[i]);
		struct det_map_logsource *d = &m->logsources[m->nlogsources++];
		const char *p = sval(get(c, ls, "product")), *cat = sval(get(c, ls, "category")),
			   *svc = sval(get(c, ls, "service"));
		d->product = p ? arena_strdup(&m->arena, p) : NULL;
		d->category = cat ? arena_strdup(&m->arena, cat) : NULL;
		d->service = svc ? arena_strdup(&m->arena, svc) : NULL;
		yaml_node_t *srcs = get(c, ls, "sources");
		size_t ns = seq_len(srcs);
		if (ns == 0)
			return mfail(c, ls, "a logsource needs a list of sources");
		d->sources = arena_alloc(&m->arena, ns * sizeof *d->sources);
		for (size_t j = 0; j < ns; j++) {
			enum bw_err rc = source(c, node(c, srcs->data.sequence.items.start[j]),
						&d->sources[d->nsources++]);
			if (rc)
				return rc;
		}
	}
	return BW_OK;
}

static enum bw_err placeholders(struct mctx *c, yaml_node_t *n)
{
	if (n->type != YAML_MAPPING_NODE)
		return mfail(c, n, "placeholders must be a map of name: [values]");
	size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	struct det_mapping *m = c->m;
	m->placeholders = arena_alloc(&m->arena, (cnt + 1) * sizeof *m->placeholders);
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
		const char *k = sval(node(c, p->key));
		if (!k)
			return mfail(c, n, "placeholder names must be plain values");
		struct det_map_placeholder *d = &m->placeholders[m->nplaceholders++];
		d->name = arena_strdup(&m->arena, k);
		enum bw_err rc = strings(c, node(c, p->value), &d->values, &d->nvalues);
		if (rc)
			return rc;
	}
	return BW_OK;
}

enum bw_err det_mapping_parse(struct det_mapping *m, const char *text, size_t n,
			      const char *name, struct bw_error *err)
{
	memset(m, 0, sizeof *m);
	arena_init(&m->arena);
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, n);
	if (!yaml_parser_load(&parser, &doc)) {
		enum bw_err rc = bw_fail(err, BW_EINVAL, name, "%s line %d: YAML: %s", name,
					 (int)parser.problem_mark.line + 1,
					 parser.problem ? parser.problem : "cannot parse");
		yaml_parser_delete(&parser);
		return rc;
	}
	struct mctx c = { m, &doc, name, err };
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	enum bw_err rc = BW_OK;
	if (!root || root->type != YAML_MAPPING_NODE) {
		rc = mfail(&c, root, "the mapping must be a YAML map");
		goto out;
	}
	yaml_node_t *x;
	if ((x = get(&c, root, "fields")) && (rc = pairs(&c, x, &m->field_from, &m->field_to,
							    &m->nfields)))
		goto out;
	if ((x = get(&c, root, "time_fields")) && (rc = strings(&c, x, &m->time_fields,
								  &m->ntime_fields)))
		goto out;
	if ((x = get(&c, root, "computer_fields")) &&
	    (rc = strings(&c, x, &m->computer_fields, &m->ncomputer_fields)))
		goto out;
	if ((x = get(&c, root, "placeholders")) && (rc = placeholders(&c, x)))
		goto out;
	if ((x = get(&c, root, "logsources")) && (rc = logsources(&c, x)))
		goto out;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

void det_mapping_free(struct det_mapping *m)
{
	arena_free(&m->arena);
}

static bool same(const char *a, const char *b)
{
	if (!a || !b)
		return !a && !b;
	return !strcasecmp(a, b);
}

const struct det_map_logsource *det_mapping_find(const struct det_mapping *m,
						 const char *product, const char *category,
						 const char *service)
{
	for (uint32_t i = 0; i < m->nlogsources; i++) {
		const struct det_map_logsource *l = &m->logsources[i];
		if (same(l->category, category) && same(l->service, service) &&
		    (!l->product || same(l->product, product)))
			return l;
	}
	return NULL;
}

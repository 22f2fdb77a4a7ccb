/*
 * engine: a rule set compiled once — the mapping read, rules loaded from
 * files or memory, correlations resolved, then the fast path's plans built
 * (plan.c). Read-only after detect_engine_compile, so threads share it.
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
			if (e->rules[i].matchers[k].re && !e->rules[i].matchers[k].re_shared)
				pcre2_code_free(e->rules[i].matchers[k].re);
	det_plans_free(e);
	free(e->rules);
	free(e->errors);
	free(e->field_alias);
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
	return det_prefilter_name(e->npfs ? e->pfs[0] : NULL);
}

/* ---- compile ---- */

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
				if (j != i && !e->rules[j].info.filter && ((e->rules[j].name && !strcmp(e->rules[j].name, ref)) ||
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

enum bw_err detect_engine_compile(struct detect_engine *e, struct bw_error *err)
{
	if (e->compiled)
		return BW_OK;
	/* filters first: a correlation counts its rules' findings as filtered */
	for (uint32_t i = 0; i < e->nrules; i++)
		if (e->rules[i].info.filter)
			det_filter_apply(e, &e->rules[i]);
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
	enum bw_err rc = det_plans_build(e, err);
	if (rc)
		return rc;
	e->compiled = true;
	return BW_OK;
}

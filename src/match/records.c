/*
 * records: compiling decoded CVE JSON 5, OSV and NVD CVE API 2.0 records
 * (jansson values) into criteria and configurations, and evaluating a whole
 * record for one component. Every entry that cannot be read is counted with
 * its reason; nothing is dropped silently.
 *
 * CVE JSON 5 "semver" and "custom" versionTypes are ordered with the generic
 * scheme: CNAs write "semver" ranges such as "5.10" that are not SemVer, and
 * a strict reading would make them unorderable. versionType "git" (commit
 * ids) cannot be compared with release versions and yields a weak UNKNOWN.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "match_int.h"

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void skip(struct match_record *r, const char *fmt, const char *what)
{
	if (r->skipped++ == 0)
		snprintf(r->skip_reason, sizeof r->skip_reason, fmt, what ? what : "");
}

static enum match_answer status_of(const char *s)
{
	if (s && strcmp(s, "affected") == 0)
		return MATCH_AFFECTED;
	if (s && strcmp(s, "unaffected") == 0)
		return MATCH_NOT_AFFECTED;
	return MATCH_UNKNOWN;
}

/* CVE 5 versionType to a scheme; false for types the engine cannot order. */
static bool cve5_scheme(const char *vt, enum match_scheme *s)
{
	if (!vt || !*vt || strcmp(vt, "custom") == 0 || strcmp(vt, "semver") == 0 ||
	    strcmp(vt, "other") == 0 || strcmp(vt, "string") == 0) {
		*s = MATCH_SCHEME_GENERIC;
		return true;
	}
	if (strcmp(vt, "git") == 0)
		return false;
	if (match_scheme_from_name(str_c(vt), s)) {
		/* schemes named but not ordered (nuget, gem, ...) count as unsupported */
		struct buf k;
		buf_init(&k);
		bool ok = match_version_key(*s, STR("1"), &k, NULL) == BW_OK;
		buf_free(&k);
		return ok;
	}
	return false;
}

static void compile_cve5_rules(struct arena *a, const json_t *entry, struct match_criterion *c)
{
	const json_t *vs = json_object_get(entry, "versions");
	c->dflt = status_of(jstr(entry, "defaultStatus"));
	size_t n = json_array_size(vs);
	c->no_versions = n == 0;
	c->rules = arena_alloc(a, (n ? n : 1) * sizeof *c->rules);
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(vs, i);
		struct match_rule *r = &c->rules[c->nrules];
		const char *vt = jstr(v, "versionType");
		r->scheme_ok = cve5_scheme(vt, &r->scheme);
		r->scheme_text = vt ? arena_strdup(a, vt) : "custom";
		r->status = status_of(jstr(v, "status"));
		const char *ver = jstr(v, "version");
		const char *lt = jstr(v, "lessThan"), *le = jstr(v, "lessThanOrEqual");
		if (!ver)
			continue;
		if (!lt && !le) {
			r->exact = true;
			match_bound_compile(a, r->scheme, ver, MATCH_INCLUSIVE, false, &r->lo);
		} else {
			struct str t = str_trim(str_c(ver));
			bool from_start = (t.n == 1 && (t.p[0] == '0' || t.p[0] == '*'));
			if (!from_start)
				match_bound_compile(a, r->scheme, ver, MATCH_INCLUSIVE, false, &r->lo);
			match_bound_compile(a, r->scheme, lt ? lt : le,
					    lt ? MATCH_EXCLUSIVE : MATCH_INCLUSIVE, true, &r->hi);
			if (from_start && r->hi.kind == MATCH_UNBOUNDED)
				r->all = true;
		}
		const json_t *ch = json_object_get(v, "changes");
		size_t nc = json_array_size(ch);
		if (nc) {
			r->changes = arena_alloc(a, nc * sizeof *r->changes);
			for (size_t k = 0; k < nc; k++) {
				const json_t *x = json_array_get(ch, k);
				const char *at = jstr(x, "at");
				match_bound_compile(a, r->scheme, at ? at : "", MATCH_INCLUSIVE, false,
						    &r->changes[r->nchanges].at);
				r->changes[r->nchanges].status = status_of(jstr(x, "status"));
				r->nchanges++;
			}
			match_rule_sort_changes(r);
		}
		c->nrules++;
	}
}

static bool empty_name(const char *s)
{
	return !s || !*s || strcmp(s, "n/a") == 0 || strcmp(s, "N/A") == 0 ||
	       strcmp(s, "unknown") == 0;
}

/* packageName + collectionURL to a purl identity, for the registries
 * whose URLs are unambiguous. */
static struct match_purl *cve5_purl(struct arena *a, const json_t *e)
{
	const char *pn = jstr(e, "packageName"), *url = jstr(e, "collectionURL");
	if (!pn || !url)
		return NULL;
	static const struct { const char *host, *type; } reg[] = {
		{ "pypi.org", "pypi" },      { "npmjs", "npm" },           { "crates.io", "cargo" },
		{ "rubygems.org", "gem" },   { "nuget.org", "nuget" },     { "packagist.org", "composer" },
		{ "pkg.go.dev", "golang" },  { "repo.maven.apache.org", "maven" },
		{ "repo1.maven.org", "maven" },
	};
	const char *type = NULL;
	for (size_t i = 0; i < BW_NELEM(reg); i++)
		if (strstr(url, reg[i].host))
			type = reg[i].type;
	if (!type)
		return NULL;
	char s[1024];
	if (strcmp(type, "maven") == 0) {
		const char *colon = strchr(pn, ':');
		if (!colon)
			return NULL;
		snprintf(s, sizeof s, "pkg:maven/%.*s/%s", (int)(colon - pn), pn, colon + 1);
	} else {
		snprintf(s, sizeof s, "pkg:%s/%s", type, pn);
	}
	struct match_purl *p = arena_alloc(a, sizeof *p);
	if (match_purl_parse(a, str_c(s), p, NULL) != BW_OK)
		return NULL;
	return p;
}

enum bw_err match_compile_cpematch(struct arena *a, const json_t *m, const char *source,
				   struct match_criterion *out, struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	const char *crit = jstr(m, "criteria");
	if (!crit)
		crit = jstr(m, "cpe23Uri");
	if (!crit)
		return bw_fail(err, BW_EINVAL, "cpe", "cpeMatch has no criteria");
	out->cpe = arena_alloc(a, sizeof *out->cpe);
	enum bw_err rc = match_cpe_parse(str_c(crit), out->cpe, err);
	if (rc != BW_OK)
		return rc;
	out->source = source;
	out->kind = MATCH_ID_CPE;
	const json_t *vul = json_object_get(m, "vulnerable");
	out->vulnerable = vul ? json_is_true(vul) : true;
	out->dflt = MATCH_NOT_AFFECTED;
	const char *si = jstr(m, "versionStartIncluding"), *se = jstr(m, "versionStartExcluding");
	const char *ei = jstr(m, "versionEndIncluding"), *ee = jstr(m, "versionEndExcluding");
	if (si || se || ei || ee) {
		struct match_rule *r = arena_alloc(a, sizeof *r);
		r->scheme = MATCH_SCHEME_GENERIC;
		r->scheme_ok = true;
		r->scheme_text = "cpe";
		r->status = MATCH_AFFECTED;
		if (si || se)
			match_bound_compile(a, r->scheme, si ? si : se,
					    si ? MATCH_INCLUSIVE : MATCH_EXCLUSIVE, false, &r->lo);
		if (ei || ee)
			match_bound_compile(a, r->scheme, ei ? ei : ee,
					    ei ? MATCH_INCLUSIVE : MATCH_EXCLUSIVE, true, &r->hi);
		out->rules = r;
		out->nrules = 1;
	}
	return BW_OK;
}

static bool op_and(const json_t *o)
{
	const char *op = jstr(o, "operator");
	return op && strcmp(op, "AND") == 0;
}

static void compile_configs(struct arena *a, const json_t *configs, const char *id,
			    struct match_record *out)
{
	size_t n = json_array_size(configs);
	out->configs = arena_alloc(a, (n ? n : 1) * sizeof *out->configs);
	for (size_t i = 0; i < n; i++) {
		const json_t *cfg = json_array_get(configs, i);
		struct match_config *mc = &out->configs[out->nconfigs];
		mc->and_op = op_and(cfg);
		const json_t *nodes = json_object_get(cfg, "nodes");
		size_t nn = json_array_size(nodes);
		mc->nodes = arena_alloc(a, (nn ? nn : 1) * sizeof *mc->nodes);
		for (size_t k = 0; k < nn; k++) {
			const json_t *node = json_array_get(nodes, k);
			struct match_node *mn = &mc->nodes[mc->nnodes++];
			mn->and_op = op_and(node);
			mn->negate = json_is_true(json_object_get(node, "negate"));
			const json_t *ms = json_object_get(node, "cpeMatch");
			size_t nm = json_array_size(ms);
			mn->crit = arena_alloc(a, (nm ? nm : 1) * sizeof *mn->crit);
			for (size_t q = 0; q < nm; q++) {
				struct bw_error e = { 0 };
				const char *src = arena_printf(a, "%s configuration %zu node %zu match %zu",
							       id, i + 1, k + 1, q + 1);
				if (match_compile_cpematch(a, json_array_get(ms, q), src,
							   &mn->crit[mn->ncrit], &e) == BW_OK)
					mn->ncrit++;
				else
					skip(out, "cpeMatch refused: %s", e.msg);
			}
		}
		out->nconfigs++;
	}
}

static void cve5_container(struct arena *a, const json_t *cont, const char *who, const char *id,
			   struct match_record *out, size_t *cap)
{
	const json_t *aff = json_object_get(cont, "affected");
	size_t n = json_array_size(aff);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(aff, i);
		const json_t *cpes = json_object_get(e, "cpes");
		size_t need = out->ncrit + 1 + json_array_size(cpes);
		if (need > *cap) {
			size_t nc = need * 2;
			struct match_criterion *m = arena_alloc(a, nc * sizeof *m);
			if (out->ncrit)
				memcpy(m, out->crit, out->ncrit * sizeof *m);
			out->crit = m;
			*cap = nc;
		}
		const char *src = arena_printf(a, "%s %s affected[%zu]", id, who, i);
		struct match_criterion base = { .source = src, .vulnerable = true };
		compile_cve5_rules(a, e, &base);
		const char *vendor = jstr(e, "vendor"), *product = jstr(e, "product");
		struct match_purl *p = cve5_purl(a, e);
		bool any = false;
		if (p) {
			struct match_criterion *c = &out->crit[out->ncrit++];
			*c = base;
			c->kind = MATCH_ID_PURL;
			c->purl = p;
			any = true;
		} else if (!empty_name(product)) {
			char nv[256], np[256];
			match_norm_name(empty_name(vendor) ? "" : vendor, nv, sizeof nv);
			match_norm_name(product, np, sizeof np);
			struct match_criterion *c = &out->crit[out->ncrit++];
			*c = base;
			c->kind = MATCH_ID_PRODUCT;
			c->vendor = arena_strdup(a, nv);
			c->product = arena_strdup(a, np);
			any = true;
		}
		for (size_t k = 0; k < json_array_size(cpes); k++) {
			const char *cs = json_string_value(json_array_get(cpes, k));
			struct match_cpe *cpe = arena_alloc(a, sizeof *cpe);
			struct bw_error err = { 0 };
			if (!cs || match_cpe_parse(str_c(cs), cpe, &err) != BW_OK) {
				skip(out, "cpes entry refused: %s", err.msg);
				continue;
			}
			struct match_criterion *c = &out->crit[out->ncrit++];
			*c = base;
			c->kind = MATCH_ID_CPE;
			c->cpe = cpe;
			c->source = arena_printf(a, "%s cpes[%zu]", src, k);
			if (base.nrules > 0) {
				/* the versions[] rules decide, not the CPE's version */
				cpe->a[MATCH_CPE_VERSION].kind = MATCH_CPE_ANY;
			}
			any = true;
		}
		if (!any)
			skip(out, "affected entry %s names no product", src);
	}
	const json_t *ca = json_object_get(cont, "cpeApplicability");
	if (json_array_size(ca)) {
		struct match_record tmp = { 0 };
		compile_configs(a, ca, id, &tmp);
		size_t total = out->nconfigs + tmp.nconfigs;
		struct match_config *m = arena_alloc(a, (total ? total : 1) * sizeof *m);
		if (out->nconfigs)
			memcpy(m, out->configs, out->nconfigs * sizeof *m);
		memcpy(m + out->nconfigs, tmp.configs, tmp.nconfigs * sizeof *m);
		out->configs = m;
		out->nconfigs = total;
		out->skipped += tmp.skipped;
	}
}

enum bw_err match_compile_cve5(struct arena *a, const json_t *rec, struct match_record *out,
			       struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	const json_t *meta = json_object_get(rec, "cveMetadata");
	const char *id = jstr(meta, "cveId");
	if (!id)
		return bw_fail(err, BW_EINVAL, "cveMetadata.cveId", "CVE record has no cveId");
	out->id = arena_strdup(a, id);
	const json_t *cont = json_object_get(rec, "containers");
	size_t cap = 0;
	cve5_container(a, json_object_get(cont, "cna"), "cna", out->id, out, &cap);
	const json_t *adp = json_object_get(cont, "adp");
	for (size_t i = 0; i < json_array_size(adp); i++) {
		const json_t *c = json_array_get(adp, i);
		const char *who = jstr(json_object_get(c, "providerMetadata"), "shortName");
		cve5_container(a, c, who ? arena_printf(a, "adp %s", who) : "adp", out->id, out, &cap);
	}
	return BW_OK;
}

/* OSV ecosystem to purl type (and namespace for distributions). */
static struct match_purl *osv_purl(struct arena *a, const char *eco, const char *name)
{
	static const struct { const char *eco, *type, *ns; } map[] = {
		{ "PyPI", "pypi", NULL },       { "npm", "npm", NULL },      { "crates.io", "cargo", NULL },
		{ "Go", "golang", NULL },       { "Maven", "maven", NULL },  { "RubyGems", "gem", NULL },
		{ "NuGet", "nuget", NULL },     { "Packagist", "composer", NULL },
		{ "Hex", "hex", NULL },         { "Pub", "pub", NULL },      { "Bitnami", "bitnami", NULL },
		{ "Debian", "deb", "debian" },  { "Ubuntu", "deb", "ubuntu" },
		{ "AlmaLinux", "rpm", "almalinux" }, { "Rocky Linux", "rpm", "rocky-linux" },
		{ "Alpine", "apk", "alpine" },
	};
	size_t el = strcspn(eco, ":");
	for (size_t i = 0; i < BW_NELEM(map); i++) {
		if (strlen(map[i].eco) != el || strncmp(map[i].eco, eco, el) != 0)
			continue;
		char s[1024];
		if (strcmp(map[i].type, "maven") == 0) {
			const char *colon = strchr(name, ':');
			if (!colon)
				return NULL;
			snprintf(s, sizeof s, "pkg:maven/%.*s/%s", (int)(colon - name), name, colon + 1);
		} else if (map[i].ns) {
			snprintf(s, sizeof s, "pkg:%s/%s/%s", map[i].type, map[i].ns, name);
		} else {
			snprintf(s, sizeof s, "pkg:%s/%s", map[i].type, name);
		}
		struct match_purl *p = arena_alloc(a, sizeof *p);
		if (match_purl_parse(a, str_c(s), p, NULL) != BW_OK)
			return NULL;
		p->version = NULL;
		return p;
	}
	return NULL;
}

enum bw_err match_compile_osv(struct arena *a, const json_t *rec, struct match_record *out,
			      struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	const char *id = jstr(rec, "id");
	if (!id)
		return bw_fail(err, BW_EINVAL, "id", "OSV record has no id");
	out->id = arena_strdup(a, id);
	const json_t *aff = json_object_get(rec, "affected");
	size_t n = json_array_size(aff);
	out->crit = arena_alloc(a, (n ? n : 1) * sizeof *out->crit);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(aff, i);
		const json_t *pkg = json_object_get(e, "package");
		const char *eco = jstr(pkg, "ecosystem"), *name = jstr(pkg, "name");
		const char *purl = jstr(pkg, "purl");
		if (!eco || !name) {
			skip(out, "affected entry without package %s", "ecosystem/name");
			continue;
		}
		struct match_criterion *c = &out->crit[out->ncrit];
		memset(c, 0, sizeof *c);
		c->source = arena_printf(a, "%s affected[%zu] %s/%s", out->id, i, eco, name);
		c->vulnerable = true;
		c->dflt = MATCH_NOT_AFFECTED;
		struct match_purl *p = NULL;
		if (purl) {
			p = arena_alloc(a, sizeof *p);
			if (match_purl_parse(a, str_c(purl), p, NULL) != BW_OK)
				p = NULL;
			else
				p->version = NULL;
		}
		if (!p)
			p = osv_purl(a, eco, name);
		if (p) {
			c->kind = MATCH_ID_PURL;
			c->purl = p;
		} else {
			char np[256];
			match_norm_name(name, np, sizeof np);
			c->kind = MATCH_ID_PRODUCT;
			c->product = arena_strdup(a, np);
			c->vendor = "";
		}
		enum match_scheme eco_scheme;
		bool eco_ok = match_scheme_from_name(str_c(eco), &eco_scheme);
		const json_t *ranges = json_object_get(e, "ranges");
		const json_t *vers = json_object_get(e, "versions");
		size_t maxr = json_array_size(vers);
		for (size_t r = 0; r < json_array_size(ranges); r++)
			maxr += json_array_size(json_object_get(json_array_get(ranges, r), "events")) + 1;
		c->rules = arena_alloc(a, (maxr ? maxr : 1) * sizeof *c->rules);
		for (size_t r = 0; r < json_array_size(ranges); r++) {
			const json_t *rg = json_array_get(ranges, r);
			const char *type = jstr(rg, "type");
			enum match_scheme s = eco_scheme;
			bool ok = eco_ok;
			if (type && strcmp(type, "SEMVER") == 0)
				s = MATCH_SCHEME_SEMVER, ok = true;
			else if (!type || strcmp(type, "ECOSYSTEM") != 0)
				ok = false; /* GIT: commits, not versions */
			const json_t *ev = json_object_get(rg, "events");
			const char *limit = NULL;
			for (size_t k = 0; k < json_array_size(ev); k++)
				if (jstr(json_array_get(ev, k), "limit"))
					limit = jstr(json_array_get(ev, k), "limit");
			struct match_rule *open = NULL;
			for (size_t k = 0; k < json_array_size(ev); k++) {
				const json_t *x = json_array_get(ev, k);
				const char *in = jstr(x, "introduced"), *fx = jstr(x, "fixed");
				const char *la = jstr(x, "last_affected");
				if (in) {
					open = &c->rules[c->nrules++];
					memset(open, 0, sizeof *open);
					open->scheme = s;
					open->scheme_ok = ok;
					open->scheme_text = type ? arena_strdup(a, type) : "?";
					open->status = MATCH_AFFECTED;
					if (strcmp(in, "0") != 0)
						match_bound_compile(a, s, in, MATCH_INCLUSIVE, false, &open->lo);
				} else if ((fx || la) && open) {
					match_bound_compile(a, s, fx ? fx : la,
							    fx ? MATCH_EXCLUSIVE : MATCH_INCLUSIVE, true,
							    &open->hi);
					open = NULL;
				}
			}
			if (open) {
				if (limit && strcmp(limit, "*") != 0)
					match_bound_compile(a, s, limit, MATCH_EXCLUSIVE, true, &open->hi);
				else if (open->lo.kind == MATCH_UNBOUNDED)
					open->all = true;
			}
		}
		for (size_t k = 0; k < json_array_size(vers); k++) {
			const char *v = json_string_value(json_array_get(vers, k));
			if (!v)
				continue;
			struct match_rule *x = &c->rules[c->nrules++];
			memset(x, 0, sizeof *x);
			x->scheme = eco_scheme;
			x->scheme_ok = eco_ok;
			x->scheme_text = "versions[]";
			x->exact = true;
			x->status = MATCH_AFFECTED;
			match_bound_compile(a, eco_scheme, v, MATCH_INCLUSIVE, false, &x->lo);
		}
		if (c->nrules == 0) {
			/* no ranges and no versions: OSV says every version */
			c->no_versions = true;
			c->dflt = MATCH_AFFECTED;
		}
		out->ncrit++;
	}
	return BW_OK;
}

enum bw_err match_compile_nvd(struct arena *a, const json_t *rec, struct match_record *out,
			      struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	const json_t *cve = json_object_get(rec, "cve");
	if (!cve)
		cve = rec;
	const char *id = jstr(cve, "id");
	if (!id)
		return bw_fail(err, BW_EINVAL, "cve.id", "NVD record has no id");
	out->id = arena_strdup(a, id);
	compile_configs(a, json_object_get(cve, "configurations"), out->id, out);
	return BW_OK;
}

enum match_answer match_record_eval(const struct match_record *rec,
				    const struct match_component *comp,
				    const struct match_component *system, size_t nsystem,
				    struct match_result *res)
{
	struct match_result best = { .answer = MATCH_NOT_AFFECTED };
	snprintf(best.evidence, sizeof best.evidence, "%s: no criterion names this component",
		 rec->id);
	bool named = false;
	for (size_t i = 0; i < rec->ncrit; i++) {
		struct match_result r;
		match_criterion_eval(&rec->crit[i], comp, &r);
		struct match_result idr = { 0 };
		if (match_identity(&rec->crit[i], comp, &idr) != MATCH_NOT_AFFECTED) {
			if (!named) {
				best = r; /* the first criterion that names the component */
				named = true;
			} else {
				match_result_merge(&best, &r);
			}
		}
	}
	for (size_t i = 0; i < rec->nconfigs; i++) {
		struct match_result r;
		if (match_config_eval(&rec->configs[i], comp, system, nsystem, &r) != MATCH_NOT_AFFECTED ||
		    !named) {
			if (r.answer != MATCH_NOT_AFFECTED || strstr(r.evidence, "no vulnerable") == NULL) {
				if (!named) {
					best = r;
					named = true;
				} else {
					match_result_merge(&best, &r);
				}
			}
		}
	}
	if (res)
		*res = best;
	return best.answer;
}

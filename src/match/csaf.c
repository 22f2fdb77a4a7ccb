/*
 * csaf: compiling a CSAF 2.0 document (product_tree and the product_status
 * of each vulnerability) into match records, one per vulnerability.
 *
 * Version ranges come as vers ("vers:all/>=V1.0|<V1.4", where CISA's
 * scheme "all" is no registered vers type and is read with the generic
 * vendor order) or as the free forms CISA writes ("< V8.2.2",
 * ">= 1.0 | <= 1.4", "All versions < V3.1", "3.2 and prior"). Constraints
 * are read as the vers containment algorithm reads them: '=' versions,
 * then intervals between consecutive lower and upper bounds, each cut at
 * the '!=' versions strictly inside it; a range of only '!=' is every
 * other version (as match_vers_contains reads it). Whatever cannot be
 * read becomes a rule the engine cannot order, so the answer for that
 * product is UNKNOWN, never "not affected".
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_int.h"

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* ---- ranges ---- */

struct cons {
	enum match_vers_op op;
	char v[MATCH_LIM_VERSION];
	struct buf key;
};

static bool ieq_prefix(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "3.2 and prior" and the like to "<= 3.2"; "prior to 3.2" to "< 3.2". */
static bool prose_range(const char *t, char *out, size_t cap)
{
	static const char *const after_le[] = { " and prior", " and earlier", " or earlier",
						 " and older", " and below", " or lower",
						 " and lower", " or prior", " or older" };
	static const char *const before_lt[] = { "prior to ", "before ", "earlier than ",
						  "lower than ", "older than " };
	size_t n = strlen(t);
	for (size_t i = 0; i < BW_NELEM(after_le); i++) {
		size_t k = strlen(after_le[i]);
		if (n > k && strcasecmp(t + n - k, after_le[i]) == 0) {
			snprintf(out, cap, "<=%.*s", (int)(n - k), t);
			return true;
		}
	}
	for (size_t i = 0; i < BW_NELEM(before_lt); i++)
		if (ieq_prefix(t, before_lt[i])) {
			snprintf(out, cap, "<%s", t + strlen(before_lt[i]));
			return true;
		}
	return false;
}

static bool parse_cons(const char *s, struct cons *c, size_t max, size_t *n)
{
	*n = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '|' || *s == ',')
			s++;
		if (!*s)
			return *n > 0;
		if (*n == max)
			return false;
		struct cons *x = &c[*n];
		if (s[0] == '<' && s[1] == '=')
			x->op = MATCH_VERS_LE, s += 2;
		else if (s[0] == '>' && s[1] == '=')
			x->op = MATCH_VERS_GE, s += 2;
		else if (s[0] == '!' && s[1] == '=')
			x->op = MATCH_VERS_NE, s += 2;
		else if (s[0] == '<')
			x->op = MATCH_VERS_LT, s++;
		else if (s[0] == '>')
			x->op = MATCH_VERS_GT, s++;
		else if (s[0] == '=')
			x->op = MATCH_VERS_EQ, s += s[1] == '=' ? 2 : 1;
		else if (*n == 0)
			x->op = MATCH_VERS_EQ; /* a bare version */
		else
			return false;
		s = skip_ws(s);
		size_t k = 0;
		while (*s && !strchr("|,<>=!", *s)) {
			if (k + 1 >= sizeof x->v)
				return false;
			x->v[k++] = *s++;
		}
		while (k && (x->v[k - 1] == ' ' || x->v[k - 1] == '\t'))
			k--;
		x->v[k] = 0;
		if (!k)
			return false;
		/* vers percent-encodes; only the common escapes matter here */
		char *p;
		while ((p = strstr(x->v, "%2B")) || (p = strstr(x->v, "%2b"))) {
			*p = '+';
			memmove(p + 1, p + 3, strlen(p + 3) + 1);
		}
		(*n)++;
	}
}

static int cmp_cons(const void *a, const void *b)
{
	const struct cons *x = a, *y = b;
	return match_key_cmp(x->key.p, x->key.len, y->key.p, y->key.len);
}

static struct match_rule *new_rule(struct arena *a, struct match_rule *rules, size_t *n,
				   enum match_scheme s, const char *stext, enum match_answer st)
{
	struct match_rule *r = &rules[(*n)++];
	memset(r, 0, sizeof *r);
	r->scheme = s;
	r->scheme_ok = true;
	r->scheme_text = stext;
	r->status = st;
	(void)a;
	return r;
}

static bool is_upper(enum match_vers_op op)
{
	return op == MATCH_VERS_LT || op == MATCH_VERS_LE;
}

/* An interval of a range: lower and upper constraint, NULL for unbounded. */
struct span {
	const struct cons *lo, *hi;
};

static bool key_lt(const struct buf *x, const struct buf *y)
{
	return match_key_cmp(x->p, x->len, y->p, y->len) < 0;
}

/* Appends the rules of one interval, cut at the '!=' versions strictly
 * inside it (c sorted by key). */
static void span_rules(struct arena *a, enum match_scheme s, const char *stext,
		       enum match_answer status, const struct span *sp, const struct cons *c,
		       size_t nc, struct match_rule *out, size_t *no)
{
	const struct cons *lo = sp->lo;
	bool lo_excl_ne = false; /* lo is a '!=' cut: exclusive */
	for (size_t i = 0; i <= nc; i++) {
		const struct cons *hi = sp->hi;
		bool cut = false;
		if (i < nc) {
			const struct cons *x = &c[i];
			if (x->op != MATCH_VERS_NE)
				continue;
			if (lo && !key_lt(&lo->key, &x->key))
				continue;
			if (sp->hi && !key_lt(&x->key, &sp->hi->key))
				continue;
			hi = x;
			cut = true;
		}
		struct match_rule *r = new_rule(a, out, no, s, stext, status);
		if (lo)
			match_bound_compile(a, s, lo->v,
					    !lo_excl_ne && (lo->op == MATCH_VERS_GE) ? MATCH_INCLUSIVE
										   : MATCH_EXCLUSIVE,
					    false, &r->lo);
		if (hi)
			match_bound_compile(a, s, hi->v,
					    !cut && hi->op == MATCH_VERS_LE ? MATCH_INCLUSIVE
									     : MATCH_EXCLUSIVE,
					    true, &r->hi);
		r->all = !lo && !hi;
		if (!cut)
			break;
		lo = hi;
		lo_excl_ne = true;
	}
}

bool match_csaf_range_rules(struct arena *a, const char *text, bool exact,
			    enum match_answer status, struct match_rule **rules, size_t *n)
{
	*rules = NULL;
	*n = 0;
	if (!text)
		return false;
	char buf[MATCH_LIM_VERS];
	snprintf(buf, sizeof buf, "%s", text);
	struct str tr = str_trim(str_c(buf));
	char t[MATCH_LIM_VERS];
	snprintf(t, sizeof t, "%.*s", (int)tr.n, tr.p);
	enum match_scheme s = MATCH_SCHEME_GENERIC;
	const char *stext = "csaf";
	if (exact) {
		struct match_rule *r = arena_alloc(a, sizeof *r);
		*r = (struct match_rule){ .scheme = s, .scheme_ok = true, .scheme_text = stext,
					  .exact = true, .status = status };
		match_bound_compile(a, s, t, MATCH_INCLUSIVE, false, &r->lo);
		*rules = r;
		*n = 1;
		return true;
	}
	const char *body = t;
	if (ieq_prefix(t, "vers:")) {
		const char *slash = strchr(t + 5, '/');
		if (!slash)
			return false;
		enum match_scheme vs;
		struct str name = { t + 5, (size_t)(slash - t - 5) };
		struct buf k;
		buf_init(&k);
		if (match_scheme_from_name(name, &vs) &&
		    match_version_key(vs, STR("1"), &k, NULL) == BW_OK)
			s = vs;
		buf_free(&k);
		stext = arena_printf(a, "vers:%.*s", (int)name.n, name.p);
		body = slash + 1;
	}
	body = skip_ws(body);
	if (ieq_prefix(body, "all versions"))
		body = skip_ws(body + 12);
	else if (ieq_prefix(body, "all") && (!body[3] || body[3] == ' '))
		body = skip_ws(body + 3);
	if (!*body || strcmp(body, "*") == 0) {
		struct match_rule *r = arena_alloc(a, sizeof *r);
		*r = (struct match_rule){ .scheme = s, .scheme_ok = true, .scheme_text = stext,
					  .all = true, .status = status };
		*rules = r;
		*n = 1;
		return true;
	}
	char prose[MATCH_LIM_VERS];
	if (prose_range(body, prose, sizeof prose))
		body = prose;
	struct cons *c = calloc(MATCH_LIM_CONSTRAINTS, sizeof *c);
	if (!c)
		abort();
	size_t nc = 0;
	bool ok = parse_cons(body, c, MATCH_LIM_CONSTRAINTS, &nc);
	for (size_t i = 0; ok && i < nc; i++) {
		buf_init(&c[i].key);
		ok = match_version_key(s, str_c(c[i].v), &c[i].key, NULL) == BW_OK;
		if (!ok)
			for (size_t k = 0; k <= i; k++)
				buf_free(&c[k].key);
	}
	if (!ok) {
		free(c);
		return false;
	}
	qsort(c, nc, sizeof *c, cmp_cons);
	/* equalities as exact rules; each interval between consecutive lower
	 * and upper bounds as a rule, cut at every '!=' version strictly
	 * inside it (one at an inclusive end stays in, as vers reads '<=',
	 * '>=' and '=' before '!='). A range of only '!=' is every other
	 * version (see match_vers_contains). Excluded versions are not turned
	 * into "not affected" rules: another statement about the same product
	 * may still hold them. */
	struct match_rule *out = arena_alloc(a, (2 * nc + 2) * sizeof *out);
	size_t no = 0;
	bool only_ne = true;
	for (size_t i = 0; i < nc; i++)
		only_ne &= c[i].op == MATCH_VERS_NE;
	for (size_t i = 0; i < nc; i++)
		if (c[i].op == MATCH_VERS_EQ) {
			struct match_rule *r = new_rule(a, out, &no, s, stext, status);
			r->exact = true;
			match_bound_compile(a, s, c[i].v, MATCH_INCLUSIVE, false, &r->lo);
		}
	const struct cons *iv[MATCH_LIM_CONSTRAINTS];
	size_t ni = 0;
	for (size_t i = 0; i < nc; i++)
		if (c[i].op != MATCH_VERS_EQ && c[i].op != MATCH_VERS_NE)
			iv[ni++] = &c[i];
	struct span sp[MATCH_LIM_CONSTRAINTS + 1];
	size_t nsp = 0;
	if (only_ne)
		sp[nsp++] = (struct span){ NULL, NULL };
	for (size_t i = 0; i < ni; i++) {
		bool up = is_upper(iv[i]->op);
		if (i == 0 && up)
			sp[nsp++] = (struct span){ NULL, iv[i] };
		else if (!up && i + 1 < ni && is_upper(iv[i + 1]->op))
			sp[nsp++] = (struct span){ iv[i], iv[i + 1] };
		else if (!up && i == ni - 1)
			sp[nsp++] = (struct span){ iv[i], NULL };
	}
	for (size_t k = 0; k < nsp; k++)
		span_rules(a, s, stext, status, &sp[k], c, nc, out, &no);
	for (size_t i = 0; i < nc; i++)
		buf_free(&c[i].key);
	free(c);
	*rules = out;
	*n = no;
	return no > 0;
}

/* ---- product tree ---- */

struct prod {
	const char *id, *vendor, *product, *version, *cpe, *purl;
	bool exact;     /* product_version (not a range) */
};

struct tree {
	struct arena *a;
	struct prod *p;
	size_t n, cap;
	bool over;
};

static void add_prod(struct tree *t, const json_t *product, const char *vendor,
		     const char *pname, const char *version, bool exact)
{
	const char *id = jstr(product, "product_id");
	if (!id)
		return;
	if (t->n == t->cap) {
		if (t->cap >= MATCH_LIM_CSAF_PRODUCTS) {
			t->over = true;
			return;
		}
		t->cap = t->cap ? t->cap * 2 : 32;
		struct prod *m = arena_alloc(t->a, t->cap * sizeof *m);
		if (t->n)
			memcpy(m, t->p, t->n * sizeof *m);
		t->p = m;
	}
	const json_t *h = json_object_get(product, "product_identification_helper");
	struct prod *x = &t->p[t->n++];
	*x = (struct prod){ id, vendor, pname, version, jstr(h, "cpe"), jstr(h, "purl"), exact };
	if (!x->product)
		x->product = jstr(product, "name");
}

static void walk(struct tree *t, const json_t *branches, const char *vendor, const char *pname,
		 const char *version, bool exact, int depth)
{
	if (depth > MATCH_LIM_CSAF_DEPTH) {
		t->over = true;
		return;
	}
	for (size_t i = 0; i < json_array_size(branches); i++) {
		const json_t *b = json_array_get(branches, i);
		const char *cat = jstr(b, "category"), *name = jstr(b, "name");
		const char *v = vendor, *p = pname, *ver = version;
		bool ex = exact;
		if (cat && name) {
			if (strcmp(cat, "vendor") == 0)
				v = name;
			else if (strcmp(cat, "product_name") == 0 ||
				 (strcmp(cat, "product_family") == 0 && !pname))
				p = name;
			else if (strcmp(cat, "product_version") == 0)
				ver = name, ex = true;
			else if (strcmp(cat, "product_version_range") == 0)
				ver = name, ex = false;
		}
		const json_t *prod = json_object_get(b, "product");
		if (prod)
			add_prod(t, prod, v, p, ver, ex);
		walk(t, json_object_get(b, "branches"), v, p, ver, ex, depth + 1);
	}
}

static const struct prod *find_prod(const struct tree *t, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->p[i].id, id) == 0)
			return &t->p[i];
	return NULL;
}

/* ---- criteria ---- */

struct pcrit {
	char *key;
	struct match_criterion c;
	struct match_rule *b[4]; /* na exact, affected, unknown, na ranges */
	size_t nb[4], capb[4];
};

static void bucket_add(struct arena *a, struct pcrit *pc, int k, const struct match_rule *r)
{
	if (pc->nb[k] == pc->capb[k]) {
		size_t nc = pc->capb[k] ? pc->capb[k] * 2 : 4;
		struct match_rule *m = arena_alloc(a, nc * sizeof *m);
		if (pc->nb[k])
			memcpy(m, pc->b[k], pc->nb[k] * sizeof *m);
		pc->b[k] = m;
		pc->capb[k] = nc;
	}
	pc->b[k][pc->nb[k]++] = *r;
}

static enum match_answer status_of(const char *key, bool *known)
{
	*known = true;
	if (strcmp(key, "known_affected") == 0 || strcmp(key, "first_affected") == 0 ||
	    strcmp(key, "last_affected") == 0)
		return MATCH_AFFECTED;
	if (strcmp(key, "fixed") == 0 || strcmp(key, "first_fixed") == 0 ||
	    strcmp(key, "known_not_affected") == 0)
		return MATCH_NOT_AFFECTED;
	if (strcmp(key, "under_investigation") == 0)
		return MATCH_UNKNOWN;
	*known = false; /* "recommended" says nothing about being affected */
	return MATCH_UNKNOWN;
}

/* The identity of a product: a CPE, a purl or vendor/product names. */
static bool prod_identity(struct arena *a, const struct prod *p, struct match_criterion *c,
			  char *key, size_t cap, enum match_scheme *scheme)
{
	memset(c, 0, sizeof *c);
	*scheme = MATCH_SCHEME_GENERIC;
	if (p->cpe) {
		struct match_cpe *cpe = arena_alloc(a, sizeof *cpe);
		if (match_cpe_parse(str_c(p->cpe), cpe, NULL) == BW_OK) {
			if (p->version)
				cpe->a[MATCH_CPE_VERSION].kind = MATCH_CPE_ANY;
			struct buf b;
			buf_init(&b);
			match_cpe_format(cpe, &b);
			snprintf(key, cap, "c:%s", buf_cstr(&b));
			buf_free(&b);
			c->kind = MATCH_ID_CPE;
			c->cpe = cpe;
			return true;
		}
	}
	if (p->purl) {
		struct match_purl *pu = arena_alloc(a, sizeof *pu);
		if (match_purl_parse(a, str_c(p->purl), pu, NULL) == BW_OK) {
			snprintf(key, cap, "p:%s/%s/%s", pu->type, pu->namespace_ ? pu->namespace_ : "",
				 pu->name);
			c->kind = MATCH_ID_PURL;
			c->purl = pu;
			*scheme = match_purl_scheme(pu->type);
			return true;
		}
	}
	char nv[256], np[256];
	match_norm_name(p->vendor, nv, sizeof nv);
	match_norm_name(p->product, np, sizeof np);
	if (!*np)
		return false;
	snprintf(key, cap, "v:%s:%s", nv, np);
	c->kind = MATCH_ID_PRODUCT;
	c->vendor = arena_strdup(a, nv);
	c->product = arena_strdup(a, np);
	return true;
}

/* The version a product stands for when no branch gave one: its purl's. */
static const char *prod_version(struct arena *a, const struct prod *p, bool *exact)
{
	*exact = p->exact;
	if (p->version)
		return p->version;
	if (p->purl) {
		struct match_purl pu;
		if (match_purl_parse(a, str_c(p->purl), &pu, NULL) == BW_OK && pu.version) {
			*exact = true;
			return pu.version;
		}
	}
	return NULL;
}

static void vuln_record(struct arena *a, const struct tree *t, const json_t *rels,
			const json_t *vuln, const char *doc_id, size_t vi, struct match_record *out)
{
	memset(out, 0, sizeof *out);
	const char *cve = jstr(vuln, "cve");
	out->id = cve ? arena_strdup(a, cve) : arena_printf(a, "%s#%zu", doc_id, vi + 1);
	const json_t *ps = json_object_get(vuln, "product_status");
	size_t total = 0;
	const char *k;
	const json_t *ids;
	json_object_foreach((json_t *)ps, k, ids)
		total += json_array_size(ids);
	struct pcrit *pc = calloc(total ? total : 1, sizeof *pc);
	if (!pc)
		abort();
	size_t npc = 0;
	json_object_foreach((json_t *)ps, k, ids) {
		bool known;
		enum match_answer st = status_of(k, &known);
		if (!known)
			continue;
		for (size_t i = 0; i < json_array_size(ids); i++) {
			const char *pid = json_string_value(json_array_get(ids, i));
			if (!pid)
				continue;
			const struct prod *p = find_prod(t, pid);
			for (size_t r = 0; !p && r < json_array_size(rels); r++) {
				/* a relationship stands for its product_reference */
				const json_t *rel = json_array_get(rels, r);
				const char *rid = jstr(json_object_get(rel, "full_product_name"),
						       "product_id");
				if (rid && strcmp(rid, pid) == 0) {
					const char *ref = jstr(rel, "product_reference");
					p = ref ? find_prod(t, ref) : NULL;
				}
			}
			if (!p) {
				if (out->skipped++ == 0)
					snprintf(out->skip_reason, sizeof out->skip_reason,
						 "product_id %s is not in the product tree", pid);
				continue;
			}
			struct match_criterion c;
			char key[MATCH_LIM_CPE + 16];
			enum match_scheme scheme;
			if (!prod_identity(a, p, &c, key, sizeof key, &scheme)) {
				if (out->skipped++ == 0)
					snprintf(out->skip_reason, sizeof out->skip_reason,
						 "product %s names no product", pid);
				continue;
			}
			struct pcrit *x = NULL;
			for (size_t q = 0; q < npc && !x; q++)
				if (strcmp(pc[q].key, key) == 0)
					x = &pc[q];
			if (!x) {
				x = &pc[npc++];
				x->key = arena_strdup(a, key);
				x->c = c;
				x->c.source = arena_printf(a, "%s %s product %s", doc_id, out->id, pid);
				x->c.vulnerable = true;
				x->c.dflt = MATCH_NOT_AFFECTED;
			}
			bool exact;
			const char *ver = prod_version(a, p, &exact);
			struct match_rule *rules;
			size_t nr;
			if (!ver) {
				if (x->c.kind == MATCH_ID_CPE &&
				    c.cpe->a[MATCH_CPE_VERSION].kind == MATCH_CPE_VALUE) {
					/* the CPE's own version decides: keep it as an exact rule */
					struct str v = match_cpe_body(c.cpe, MATCH_CPE_VERSION);
					ver = arena_strndup(a, v.p, v.n);
					exact = true;
				} else {
					ver = "*";
					exact = false;
				}
			}
			if (!match_csaf_range_rules(a, ver, exact, st, &rules, &nr)) {
				/* unreadable: a rule nothing can be compared with */
				rules = arena_alloc(a, sizeof *rules);
				*rules = (struct match_rule){ .scheme = scheme, .scheme_ok = false,
							      .scheme_text = arena_printf(a, "csaf range \"%s\"", ver),
							      .status = st };
				nr = 1;
			}
			for (size_t q = 0; q < nr; q++) {
				struct match_rule *r = &rules[q];
				if (x->c.kind == MATCH_ID_PURL && r->scheme == MATCH_SCHEME_GENERIC &&
				    scheme != MATCH_SCHEME_GENERIC && r->scheme_ok) {
					/* a package's own scheme orders its versions */
					struct match_rule rr = *r;
					rr.scheme = scheme;
					if (rr.lo.text)
						match_bound_compile(a, scheme, rr.lo.text, rr.lo.kind,
								    false, &rr.lo);
					if (rr.hi.text)
						match_bound_compile(a, scheme, rr.hi.text, rr.hi.kind,
								    true, &rr.hi);
					*r = rr;
				}
				int bk = r->status == MATCH_AFFECTED ? 1
					 : r->status == MATCH_UNKNOWN ? 2
					 : r->exact ? 0 : 3;
				bucket_add(a, x, bk, r);
			}
		}
	}
	out->crit = arena_alloc(a, (npc ? npc : 1) * sizeof *out->crit);
	for (size_t q = 0; q < npc; q++) {
		struct match_criterion *c = &out->crit[out->ncrit++];
		*c = pc[q].c;
		size_t nr = pc[q].nb[0] + pc[q].nb[1] + pc[q].nb[2] + pc[q].nb[3];
		c->rules = arena_alloc(a, (nr ? nr : 1) * sizeof *c->rules);
		for (int b = 0; b < 4; b++)
			for (size_t i = 0; i < pc[q].nb[b]; i++)
				c->rules[c->nrules++] = pc[q].b[b][i];
		if (c->kind == MATCH_ID_CPE && c->nrules)
			c->cpe->a[MATCH_CPE_VERSION].kind = MATCH_CPE_ANY;
	}
	free(pc);
}

enum bw_err match_compile_csaf(struct arena *a, const json_t *doc, struct match_record **out,
			       size_t *nout, struct bw_error *err)
{
	*out = NULL;
	*nout = 0;
	const json_t *d = json_object_get(doc, "document");
	const char *doc_id = jstr(json_object_get(d, "tracking"), "id");
	if (!doc_id)
		return bw_fail(err, BW_EINVAL, "document.tracking.id", "CSAF document has no tracking id");
	doc_id = arena_strdup(a, doc_id);
	const json_t *pt = json_object_get(doc, "product_tree");
	struct tree t = { .a = a };
	walk(&t, json_object_get(pt, "branches"), NULL, NULL, NULL, false, 0);
	const json_t *fpn = json_object_get(pt, "full_product_names");
	for (size_t i = 0; i < json_array_size(fpn); i++)
		add_prod(&t, json_array_get(fpn, i), NULL, NULL, NULL, false);
	if (t.over)
		return bw_fail(err, BW_ELIMIT, "product_tree",
			       "product tree deeper than %d or with more than %d products",
			       MATCH_LIM_CSAF_DEPTH, MATCH_LIM_CSAF_PRODUCTS);
	const json_t *vulns = json_object_get(doc, "vulnerabilities");
	size_t nv = json_array_size(vulns);
	struct match_record *recs = arena_alloc(a, (nv ? nv : 1) * sizeof *recs);
	for (size_t i = 0; i < nv; i++)
		vuln_record(a, &t, json_object_get(pt, "relationships"), json_array_get(vulns, i),
			    doc_id, i, &recs[i]);
	*out = recs;
	*nout = nv;
	return BW_OK;
}

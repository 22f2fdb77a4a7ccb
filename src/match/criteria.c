/*
 * criteria: evaluating compiled criteria — version rules (first rule that
 * contains the version decides, CVE JSON 5's algorithm), identities (CPE
 * pattern, package URL, vendor/product) and NVD configuration nodes — to
 * AFFECTED / NOT_AFFECTED / UNKNOWN with evidence.
 *
 * Whenever a comparison cannot be made (an unorderable version, a bound the
 * scheme cannot key, an unsupported versionType, a component that does not
 * say its version) the engine follows both possible outcomes and answers
 * UNKNOWN unless they agree: it never guesses "not affected".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_int.h"

static void ev_printf(struct match_result *res, const char *fmt, ...) BW_PRINTF(2, 3);
static void ev_printf(struct match_result *res, const char *fmt, ...)
{
	if (!res)
		return;
	size_t n = strnlen(res->evidence, sizeof res->evidence);
	if (n + 1 >= sizeof res->evidence)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->evidence + n, sizeof res->evidence - n, fmt, ap);
	va_end(ap);
}

static enum match_answer answer(struct match_result *res, enum match_answer a, bool weak)
{
	if (res) {
		res->answer = a;
		res->weak = a == MATCH_UNKNOWN && weak;
	}
	return a;
}

void match_norm_name(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	bool sep = false;
	if (cap == 0)
		return;
	for (const char *p = in ? in : ""; *p && n + 1 < cap; p++) {
		char c = vkey_lower(*p);
		if (vkey_isalnum(c) || c == '.' || c == '-' || (unsigned char)c >= 0x80) {
			if (sep && n > 0 && n + 1 < cap)
				out[n++] = '_';
			sep = false;
			if (n + 1 < cap)
				out[n++] = c;
		} else {
			sep = true; /* spaces, '_', '\\', punctuation: one '_' */
		}
	}
	out[n] = 0;
}

/* ---- bounds ---- */

void match_bound_compile(struct arena *a, enum match_scheme s, const char *text,
			 enum match_bound_kind kind, bool upper, struct match_bound *out)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	if (kind == MATCH_UNBOUNDED || !text)
		return;
	out->text = arena_strdup(a, text);
	struct str t = str_trim(str_c(text));
	if (upper && t.n == 1 && t.p[0] == '*') {
		out->kind = MATCH_UNBOUNDED; /* "lessThan": "*" — no upper limit */
		return;
	}
	struct buf k;
	buf_init(&k);
	enum bw_err rc;
	if (upper && t.n >= 2 && t.p[t.n - 1] == '*' &&
	    (t.p[t.n - 2] == '.' || t.p[t.n - 2] == '-')) {
		out->prefix = true;
		out->kind = MATCH_INCLUSIVE; /* every version under the prefix */
		rc = match_version_key_bound(s, (struct str){ t.p, t.n - 2 }, MATCH_BOUND_PREFIX,
					     &k, NULL);
	} else {
		int side = !upper ? (kind == MATCH_INCLUSIVE ? -1 : 1)
				  : (kind == MATCH_INCLUSIVE ? 1 : -1);
		rc = match_version_key_bound(s, t, side, &k, NULL);
	}
	if (rc == BW_OK) {
		uint8_t *key = arena_alloc(a, k.len ? k.len : 1);
		memcpy(key, k.p, k.len);
		out->key = key;
		out->kn = (uint32_t)k.len;
	}
	buf_free(&k);
}

static int cmp_changes(const void *x, const void *y)
{
	const struct match_change *a = x, *b = y;
	if (!a->at.key || !b->at.key)
		return (a->at.key == NULL) - (b->at.key == NULL);
	return match_key_cmp(a->at.key, a->at.kn, b->at.key, b->at.kn);
}

void match_rule_sort_changes(struct match_rule *r)
{
	if (r->nchanges > 1)
		qsort(r->changes, r->nchanges, sizeof *r->changes, cmp_changes);
}

/* ---- one rule against one version key ---- */

enum contain { C_NO, C_YES, C_UNDECIDED };

static const char *status_word(enum match_answer a)
{
	return a == MATCH_AFFECTED ? "affected" : a == MATCH_NOT_AFFECTED ? "unaffected" : "unknown";
}

static void rule_text(const struct match_rule *r, struct match_result *res)
{
	const char *sch = r->scheme_text ? r->scheme_text : match_scheme_name(r->scheme);
	if (r->all) {
		ev_printf(res, "all versions");
	} else if (r->exact) {
		ev_printf(res, "version %s", r->lo.text ? r->lo.text : "?");
	} else {
		if (r->lo.kind != MATCH_UNBOUNDED)
			ev_printf(res, "%s %s ", r->lo.text, r->lo.kind == MATCH_INCLUSIVE ? "<=" : "<");
		ev_printf(res, "v");
		if (r->hi.kind != MATCH_UNBOUNDED)
			ev_printf(res, " %s %s", r->hi.kind == MATCH_INCLUSIVE ? "<=" : "<", r->hi.text);
	}
	ev_printf(res, " (%s)", sch);
}

static int key_cmp_bound(const uint8_t *k, size_t kn, const struct match_bound *b)
{
	return match_key_cmp(k, kn, b->key, b->kn);
}

/* Does rule r contain version v (keyed kv under r's scheme)? *status gets
 * the status there (changes applied); *status_unsure when changes could
 * not be ordered. */
static enum contain rule_contains(const struct match_rule *r, const char *v, const uint8_t *kv,
				  size_t kvn, enum match_answer *status, bool *status_unsure)
{
	*status = r->status;
	*status_unsure = false;
	if (r->all)
		goto contained;
	if (r->exact) {
		if (r->lo.text && strcmp(r->lo.text, v) == 0)
			goto contained;
		if (!kv || !r->lo.key)
			return C_UNDECIDED;
		if (match_key_cmp(kv, kvn, r->lo.key, r->lo.kn) == 0)
			goto contained;
		return C_NO;
	}
	if (!kv)
		return C_UNDECIDED;
	if (r->lo.kind != MATCH_UNBOUNDED) {
		if (!r->lo.key) {
			/* "unspecified" < v < 2.0 and the like: read as from the
			 * start only where that cannot hide an affected version */
			if (!(r->status == MATCH_AFFECTED && r->hi.kind != MATCH_UNBOUNDED))
				return C_UNDECIDED;
		} else {
			int c = key_cmp_bound(kv, kvn, &r->lo);
			if (c < 0 || (c == 0 && r->lo.kind == MATCH_EXCLUSIVE))
				return C_NO;
		}
	}
	if (r->hi.kind != MATCH_UNBOUNDED) {
		if (!r->hi.key)
			return C_UNDECIDED;
		int c = key_cmp_bound(kv, kvn, &r->hi);
		if (c > 0 || (c == 0 && r->hi.kind == MATCH_EXCLUSIVE))
			return C_NO;
	}
contained:
	for (size_t i = 0; i < r->nchanges; i++) {
		const struct match_change *ch = &r->changes[i];
		if (!ch->at.key || !kv) {
			*status_unsure = true;
			break;
		}
		if (match_key_cmp(kv, kvn, ch->at.key, ch->at.kn) >= 0)
			*status = ch->status;
	}
	return C_YES;
}

enum match_answer match_rules_eval(const struct match_criterion *c, const char *version,
				   struct match_result *res)
{
	if (!version || !*version) {
		ev_printf(res, "the component's version is not known");
		return answer(res, MATCH_UNKNOWN, false);
	}
	if (c->nrules == 0 && c->no_versions) {
		ev_printf(res, "the record names no versions; default %s", status_word(c->dflt));
		return answer(res, c->dflt, false);
	}
	unsigned possible = 0; /* bit per answer reachable */
	bool strong_doubt = false;
	struct buf k;
	buf_init(&k);
	enum match_scheme keyed = MATCH_SCHEME_COUNT;
	bool kv_ok = false;
	for (size_t i = 0; i < c->nrules; i++) {
		const struct match_rule *r = &c->rules[i];
		if (!r->scheme_ok) {
			if (r->exact && r->lo.text && strcmp(r->lo.text, version) == 0) {
				possible |= 1u << r->status;
				ev_printf(res, "rule %zu: ", i + 1);
				rule_text(r, res);
				ev_printf(res, " names %s exactly: %s", version, status_word(r->status));
				goto done;
			}
			possible |= 1u << r->status;
			ev_printf(res, "rule %zu: versionType %s cannot be compared with %s; ", i + 1,
				  r->scheme_text ? r->scheme_text : "?", version);
			continue;
		}
		if (keyed != r->scheme) {
			struct bw_error kerr = { 0 };
			k.len = 0;
			keyed = r->scheme;
			kv_ok = match_version_key(r->scheme, str_c(version), &k, &kerr) == BW_OK;
			if (!kv_ok)
				ev_printf(res, "%s is not orderable as %s (%s); ", version,
					  match_scheme_name(r->scheme), kerr.msg);
		}
		enum match_answer st;
		bool unsure;
		enum contain ct = rule_contains(r, version, kv_ok ? (uint8_t *)k.p : NULL,
						kv_ok ? k.len : 0, &st, &unsure);
		if (ct == C_NO)
			continue;
		if (unsure) {
			strong_doubt = true;
			possible |= 1u << MATCH_UNKNOWN;
		}
		if (ct == C_UNDECIDED) {
			strong_doubt = true;
			possible |= 1u << st;
			ev_printf(res, "rule %zu (", i + 1);
			rule_text(r, res);
			ev_printf(res, ") cannot be decided for %s; ", version);
			continue;
		}
		possible |= 1u << st;
		ev_printf(res, "rule %zu: ", i + 1);
		rule_text(r, res);
		ev_printf(res, " holds for v = %s: %s", version, status_word(st));
		goto done;
	}
	possible |= 1u << c->dflt;
	ev_printf(res, "%s is in no listed range: default %s", version, status_word(c->dflt));
done:
	buf_free(&k);
	if (possible == (1u << MATCH_AFFECTED))
		return answer(res, MATCH_AFFECTED, false);
	if (possible == (1u << MATCH_NOT_AFFECTED))
		return answer(res, MATCH_NOT_AFFECTED, false);
	if (possible != (1u << MATCH_UNKNOWN))
		ev_printf(res, " — so it may be affected or not");
	return answer(res, MATCH_UNKNOWN, !strong_doubt && possible != (1u << MATCH_UNKNOWN));
}

/* ---- identity ---- */

static const char *identity_attr_word(enum match_cpe_rel r)
{
	return r == MATCH_CPE_SUBSET ? "the component does not say" : "undefined (wildcards)";
}

static enum match_answer cpe_identity(const struct match_criterion *c,
				      const struct match_component *comp, struct match_result *res,
				      bool *version_by_cpe)
{
	const struct match_cpe *src = c->cpe;
	struct match_cpe tmp;
	const struct match_cpe *tgt = comp->cpe;
	*version_by_cpe = false;
	if (!tgt) {
		/* no CPE on the component: its vendor and product stand in */
		if (!comp->product)
			goto nothing;
		match_cpe_init(&tmp);
		char nv[256], np[256];
		match_norm_name(comp->vendor, nv, sizeof nv);
		match_norm_name(comp->product, np, sizeof np);
		struct bw_error e;
		if (!*np)
			goto nothing;
		if (*nv && cpe_set_plain(&tmp, MATCH_CPE_VENDOR, nv, &e) != BW_OK)
			goto nothing;
		if (cpe_set_plain(&tmp, MATCH_CPE_PRODUCT, np, &e) != BW_OK)
			goto nothing;
		tgt = &tmp;
	}
	if (src->a[MATCH_CPE_VENDOR].kind != MATCH_CPE_VALUE ||
	    src->a[MATCH_CPE_PRODUCT].kind != MATCH_CPE_VALUE) {
		ev_printf(res, "the criterion names no vendor or product");
		return answer(res, MATCH_UNKNOWN, false);
	}
	bool doubt = false;
	for (int i = 0; i < MATCH_CPE_NATTR; i++) {
		enum match_cpe_attr at = (enum match_cpe_attr)i;
		if (at == MATCH_CPE_VERSION && c->nrules > 0 &&
		    src->a[at].kind == MATCH_CPE_ANY)
			continue; /* the version rules decide */
		enum match_cpe_rel r = match_cpe_compare_attr(src, tgt, at);
		if (r == MATCH_CPE_DISJOINT) {
			struct buf b1, b2;
			buf_init(&b1);
			buf_init(&b2);
			match_cpe_format_attr(src, at, &b1);
			match_cpe_format_attr(tgt, at, &b2);
			ev_printf(res, "%s differs: criterion %s, component %s",
				  match_cpe_attr_name(at), buf_cstr(&b1), buf_cstr(&b2));
			buf_free(&b1);
			buf_free(&b2);
			return answer(res, MATCH_NOT_AFFECTED, false);
		}
		if (r == MATCH_CPE_SUBSET || r == MATCH_CPE_UNDEFINED) {
			if (!doubt)
				ev_printf(res, "%s: %s; ", match_cpe_attr_name(at),
					  identity_attr_word(r));
			doubt = true;
		}
		if (at == MATCH_CPE_VERSION && c->nrules == 0)
			*version_by_cpe = true;
	}
	if (doubt)
		return answer(res, MATCH_UNKNOWN, false);
	return answer(res, MATCH_AFFECTED, false);
nothing:
	ev_printf(res, "the component has no CPE, vendor or product to compare");
	return answer(res, MATCH_UNKNOWN, false);
}

static enum match_answer product_identity(const struct match_criterion *c,
					  const struct match_component *comp,
					  struct match_result *res)
{
	char cv[256], cp[256];
	if (comp->cpe) {
		struct str v = match_cpe_body(comp->cpe, MATCH_CPE_VENDOR);
		struct str p = match_cpe_body(comp->cpe, MATCH_CPE_PRODUCT);
		snprintf(cv, sizeof cv, "%.*s", (int)v.n, v.p);
		snprintf(cp, sizeof cp, "%.*s", (int)p.n, p.p);
		match_norm_name(cv, cv, sizeof cv);
		match_norm_name(cp, cp, sizeof cp);
	} else {
		match_norm_name(comp->vendor, cv, sizeof cv);
		match_norm_name(comp->product, cp, sizeof cp);
		if (!*cp && comp->purl && comp->purl->name)
			match_norm_name(comp->purl->name, cp, sizeof cp);
	}
	if (!*cp) {
		ev_printf(res, "the component names no product");
		return answer(res, MATCH_UNKNOWN, false);
	}
	if (strcmp(cp, c->product) != 0) {
		ev_printf(res, "product differs: %s vs %s", c->product, cp);
		return answer(res, MATCH_NOT_AFFECTED, false);
	}
	if (!*cv || !c->vendor || !*c->vendor) {
		ev_printf(res, "product %s matches but the vendor cannot be compared; ", cp);
		return answer(res, MATCH_UNKNOWN, false);
	}
	if (strcmp(cv, c->vendor) != 0) {
		ev_printf(res, "vendor differs: %s vs %s", c->vendor, cv);
		return answer(res, MATCH_NOT_AFFECTED, false);
	}
	return answer(res, MATCH_AFFECTED, false);
}

static enum match_answer purl_identity(const struct match_criterion *c,
				       const struct match_component *comp,
				       struct match_result *res)
{
	if (comp->purl) {
		if (match_purl_same_package(c->purl, comp->purl))
			return answer(res, MATCH_AFFECTED, false);
		ev_printf(res, "a different package (%s/%s%s%s)", c->purl->type,
			  c->purl->namespace_ ? c->purl->namespace_ : "",
			  c->purl->namespace_ ? "/" : "", c->purl->name);
		return answer(res, MATCH_NOT_AFFECTED, false);
	}
	/* no purl: a product with the package's name may be it */
	char np[256], cp[256];
	match_norm_name(c->purl->name, np, sizeof np);
	if (comp->cpe) {
		struct str p = match_cpe_body(comp->cpe, MATCH_CPE_PRODUCT);
		snprintf(cp, sizeof cp, "%.*s", (int)p.n, p.p);
		match_norm_name(cp, cp, sizeof cp);
	} else {
		match_norm_name(comp->product, cp, sizeof cp);
	}
	if (*cp && strcmp(cp, np) == 0) {
		ev_printf(res, "the component has no package URL; its product is named like package %s; ",
			  c->purl->name);
		return answer(res, MATCH_UNKNOWN, false);
	}
	ev_printf(res, "the component has no package URL and another name");
	return answer(res, MATCH_NOT_AFFECTED, false);
}

enum match_answer match_identity(const struct match_criterion *c,
				 const struct match_component *comp, struct match_result *res)
{
	bool by_cpe;
	switch (c->kind) {
	case MATCH_ID_CPE: return cpe_identity(c, comp, res, &by_cpe);
	case MATCH_ID_PRODUCT: return product_identity(c, comp, res);
	case MATCH_ID_PURL: return purl_identity(c, comp, res);
	}
	return answer(res, MATCH_UNKNOWN, false);
}

enum match_answer match_criterion_eval(const struct match_criterion *c,
				       const struct match_component *comp,
				       struct match_result *res)
{
	if (res) {
		res->evidence[0] = 0;
		res->weak = false;
	}
	ev_printf(res, "%s: ", c->source ? c->source : "criterion");
	if (c->kind == MATCH_ID_CPE && c->cpe) {
		struct buf b;
		buf_init(&b);
		match_cpe_format(c->cpe, &b);
		ev_printf(res, "%s; ", buf_cstr(&b));
		buf_free(&b);
	}
	bool by_cpe = false;
	enum match_answer id = c->kind == MATCH_ID_CPE ? cpe_identity(c, comp, res, &by_cpe)
						       : match_identity(c, comp, res);
	if (id == MATCH_NOT_AFFECTED)
		return answer(res, MATCH_NOT_AFFECTED, false);
	const char *version = comp->version;
	if (c->kind == MATCH_ID_CPE && c->nrules == 0) {
		/* no range: the CPE's own version attribute took part in the
		 * comparison above, which decided */
		if (id == MATCH_AFFECTED)
			ev_printf(res, "same product and version");
		return answer(res, id, false);
	}
	char cpever[MATCH_LIM_CPE];
	if ((!version || !*version) && comp->cpe &&
	    comp->cpe->a[MATCH_CPE_VERSION].kind == MATCH_CPE_VALUE) {
		struct str v = match_cpe_body(comp->cpe, MATCH_CPE_VERSION);
		snprintf(cpever, sizeof cpever, "%.*s", (int)v.n, v.p);
		version = cpever;
	}
	if ((!version || !*version) && comp->purl && comp->purl->version)
		version = comp->purl->version;
	struct match_result vr;
	vr.evidence[0] = 0;
	enum match_answer va = match_rules_eval(c, version, &vr);
	ev_printf(res, "%s", vr.evidence);
	if (va == MATCH_NOT_AFFECTED)
		return answer(res, MATCH_NOT_AFFECTED, false);
	if (id == MATCH_UNKNOWN || va == MATCH_UNKNOWN)
		return answer(res, MATCH_UNKNOWN, va == MATCH_UNKNOWN && vr.weak && id != MATCH_UNKNOWN);
	return answer(res, MATCH_AFFECTED, false);
}

static int rank(const struct match_result *r)
{
	switch (r->answer) {
	case MATCH_AFFECTED: return 4;
	case MATCH_UNKNOWN: return r->weak ? 1 : 3;
	case MATCH_NOT_AFFECTED: return 2;
	}
	return 0;
}

void match_result_merge(struct match_result *into, const struct match_result *r)
{
	if (rank(r) > rank(into)) {
		*into = *r;
	}
}

/* ---- configurations ---- */

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

static enum match_answer not3(enum match_answer a)
{
	return a == MATCH_AFFECTED ? MATCH_NOT_AFFECTED
	       : a == MATCH_NOT_AFFECTED ? MATCH_AFFECTED : MATCH_UNKNOWN;
}

struct cfg_ctx {
	const struct match_component *target, *system;
	size_t nsystem;
	struct match_result *res;
	bool target_hit;  /* a vulnerable criterion matched the target */
};

static enum match_answer leaf_eval(struct cfg_ctx *x, const struct match_criterion *c)
{
	struct match_result r;
	if (c->vulnerable) {
		enum match_answer a = match_criterion_eval(c, x->target, &r);
		if (a != MATCH_NOT_AFFECTED) {
			x->target_hit = true;
			if (x->res && (rank(&r) > rank(x->res) || !x->res->evidence[0])) {
				x->res->answer = r.answer;
				snprintf(x->res->evidence, sizeof x->res->evidence, "%s", r.evidence);
			}
		}
		return a;
	}
	if (x->nsystem == 0)
		return MATCH_UNKNOWN;
	enum match_answer best = MATCH_NOT_AFFECTED;
	for (size_t i = 0; i < x->nsystem; i++)
		best = or3(best, match_criterion_eval(c, &x->system[i], &r));
	return best;
}

static enum match_answer node_eval(struct cfg_ctx *x, const struct match_node *n)
{
	enum match_answer acc = n->and_op ? MATCH_AFFECTED : MATCH_NOT_AFFECTED;
	for (size_t i = 0; i < n->ncrit; i++) {
		enum match_answer a = leaf_eval(x, &n->crit[i]);
		acc = n->and_op ? and3(acc, a) : or3(acc, a);
	}
	for (size_t i = 0; i < n->nchildren; i++) {
		enum match_answer a = node_eval(x, &n->children[i]);
		acc = n->and_op ? and3(acc, a) : or3(acc, a);
	}
	if (n->ncrit == 0 && n->nchildren == 0)
		acc = MATCH_UNKNOWN;
	return n->negate ? not3(acc) : acc;
}

enum match_answer match_config_eval(const struct match_config *cfg,
				    const struct match_component *target,
				    const struct match_component *system, size_t nsystem,
				    struct match_result *res)
{
	struct match_result local = { .answer = MATCH_NOT_AFFECTED };
	struct cfg_ctx x = { target, system, nsystem, res ? res : &local, false };
	x.res->evidence[0] = 0;
	x.res->weak = false;
	enum match_answer acc = cfg->and_op ? MATCH_AFFECTED : MATCH_NOT_AFFECTED;
	for (size_t i = 0; i < cfg->nnodes; i++) {
		enum match_answer a = node_eval(&x, &cfg->nodes[i]);
		acc = cfg->and_op ? and3(acc, a) : or3(acc, a);
	}
	/* the flaw is in the target only if one of its vulnerable criteria
	 * matched; a platform alone makes nothing affected */
	if (!x.target_hit)
		acc = MATCH_NOT_AFFECTED;
	if (acc == MATCH_NOT_AFFECTED && x.target_hit && !x.res->evidence[0])
		ev_printf(x.res, "configuration not satisfied");
	else if (acc == MATCH_NOT_AFFECTED && x.target_hit)
		ev_printf(x.res, "; but the configuration as a whole is not satisfied");
	else if (acc == MATCH_UNKNOWN && x.target_hit)
		ev_printf(x.res, "; the rest of the configuration (platform) cannot be confirmed");
	else if (!x.target_hit)
		snprintf(x.res->evidence, sizeof x.res->evidence, "no vulnerable criterion matches");
	return answer(x.res, acc, false);
}

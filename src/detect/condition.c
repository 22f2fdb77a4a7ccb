/*
 * condition: a Sigma condition (`selection and not 1 of filter_*`) into a
 * small bytecode over the rule's search identifiers. One accumulator; `and`
 * and `or` short-circuit with jumps, so a filter is only evaluated when the
 * selection before it held. `1 of` / `all of` with name wildcards and `them`
 * expand at compile time; the old `| count() by` aggregation is refused
 * (correlation rules replace it).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

enum { N_SEL, N_NOT, N_AND, N_OR, N_TRUE };
#define MAX_NODES 4096
#define MAX_KIDS 8192
#define MAX_TOKENS 2048

struct node {
	int type;
	uint32_t sel;
	uint32_t kid0, nkids;   /* into kids[] */
};

struct cparse {
	struct det_rule *r;
	struct str tok[MAX_TOKENS];
	int ntok, pos;
	struct node nodes[MAX_NODES];
	uint32_t nnodes;
	uint32_t kids[MAX_KIDS];
	uint32_t nkids;
	struct det_insn *code;
	uint32_t ncode, capcode;
	char *why;
	size_t whyn;
	int depth;
};

static bool cfail(struct cparse *p, const char *fmt, struct str s)
{
	snprintf(p->why, p->whyn, fmt, (int)s.n, s.p);
	return false;
}

static bool tokenize(struct cparse *p, const char *s)
{
	for (size_t i = 0; s[i];) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++;
			continue;
		}
		if (p->ntok == MAX_TOKENS)
			return cfail(p, "condition has too many tokens%.*s", STR(""));
		if (s[i] == '(' || s[i] == ')' || s[i] == '|') {
			p->tok[p->ntok++] = (struct str){ s + i, 1 };
			i++;
			continue;
		}
		size_t j = i;
		while (s[j] && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r' &&
		       s[j] != '(' && s[j] != ')' && s[j] != '|')
			j++;
		p->tok[p->ntok++] = (struct str){ s + i, j - i };
		i = j;
	}
	return true;
}

static bool is_kw(struct str t, const char *kw)
{
	return str_case_eq_c(t, kw);
}

static int new_node(struct cparse *p, int type)
{
	if (p->nnodes == MAX_NODES)
		return -1;
	p->nodes[p->nnodes] = (struct node){ .type = type };
	return (int)p->nnodes++;
}

static bool name_match(const char *pat, size_t pn, const char *s)
{
	uint8_t w[256];
	if (pn >= sizeof w)
		return false;
	for (size_t i = 0; i < pn; i++)
		w[i] = pat[i] == '*' || pat[i] == '?';
	return det_glob_match(pat, w, pn, s, strlen(s));
}

static int parse_or(struct cparse *p);

/* list node over the kid indexes collected in tmp */
static int list_node(struct cparse *p, int type, const uint32_t *tmp, uint32_t n)
{
	if (n == 1)
		return (int)tmp[0];
	int id = new_node(p, type);
	if (id < 0 || p->nkids + n > MAX_KIDS)
		return -1;
	p->nodes[id].kid0 = p->nkids;
	p->nodes[id].nkids = n;
	memcpy(p->kids + p->nkids, tmp, n * sizeof *tmp);
	p->nkids += n;
	return id;
}

static int parse_primary(struct cparse *p)
{
	if (p->pos >= p->ntok) {
		cfail(p, "condition ends too early%.*s", STR(""));
		return -1;
	}
	struct str t = p->tok[p->pos++];
	if (t.n == 1 && t.p[0] == '(') {
		if (++p->depth > DETECT_LIM_DEPTH) {
			cfail(p, "condition nested too deeply%.*s", STR(""));
			return -1;
		}
		int id = parse_or(p);
		p->depth--;
		if (id < 0)
			return -1;
		if (p->pos >= p->ntok || !(p->tok[p->pos].n == 1 && p->tok[p->pos].p[0] == ')')) {
			cfail(p, "missing ')' in condition%.*s", STR(""));
			return -1;
		}
		p->pos++;
		return id;
	}
	if ((is_kw(t, "1") || is_kw(t, "any") || is_kw(t, "all")) && p->pos < p->ntok &&
	    is_kw(p->tok[p->pos], "of")) {
		bool all = is_kw(t, "all");
		p->pos++;
		if (p->pos >= p->ntok) {
			cfail(p, "'of' without a name%.*s", STR(""));
			return -1;
		}
		struct str pat = p->tok[p->pos++];
		bool them = is_kw(pat, "them");
		uint32_t tmp[512], n = 0;
		for (uint32_t i = 0; i < p->r->nsels; i++) {
			const char *nm = p->r->sels[i].name;
			if (them ? nm[0] == '_' : !name_match(pat.p, pat.n, nm))
				continue;
			if (n == BW_NELEM(tmp)) {
				cfail(p, "too many selections for '%.*s'", pat);
				return -1;
			}
			int id = new_node(p, N_SEL);
			if (id < 0)
				return -1;
			p->nodes[id].sel = i;
			tmp[n++] = (uint32_t)id;
		}
		if (n == 0) {
			cfail(p, "no search identifier matches '%.*s'", pat);
			return -1;
		}
		return list_node(p, all ? N_AND : N_OR, tmp, n);
	}
	if (is_kw(t, "and") || is_kw(t, "or") || is_kw(t, "of") || (t.n == 1 && t.p[0] == ')')) {
		cfail(p, "unexpected '%.*s' in condition", t);
		return -1;
	}
	if (t.n == 1 && t.p[0] == '|') {
		cfail(p, "aggregation ('|%.*s') is not supported: use a correlation rule", STR(""));
		return -1;
	}
	for (uint32_t i = 0; i < p->r->nsels; i++) {
		if (strlen(p->r->sels[i].name) == t.n && !memcmp(p->r->sels[i].name, t.p, t.n)) {
			int id = new_node(p, N_SEL);
			if (id >= 0)
				p->nodes[id].sel = i;
			return id;
		}
	}
	cfail(p, "unknown search identifier '%.*s'", t);
	return -1;
}

static int parse_not(struct cparse *p)
{
	if (p->pos < p->ntok && is_kw(p->tok[p->pos], "not")) {
		p->pos++;
		if (++p->depth > DETECT_LIM_DEPTH) {
			cfail(p, "condition nested too deeply%.*s", STR(""));
			return -1;
		}
		int k = parse_not(p);
		p->depth--;
		if (k < 0)
			return -1;
		int id = new_node(p, N_NOT);
		if (id < 0 || p->nkids == MAX_KIDS)
			return -1;
		p->nodes[id].kid0 = p->nkids;
		p->nodes[id].nkids = 1;
		p->kids[p->nkids++] = (uint32_t)k;
		return id;
	}
	return parse_primary(p);
}

static int parse_bin(struct cparse *p, const char *op, int (*sub)(struct cparse *), int type)
{
	uint32_t tmp[256], n = 0;
	int k = sub(p);
	if (k < 0)
		return -1;
	tmp[n++] = (uint32_t)k;
	while (p->pos < p->ntok && is_kw(p->tok[p->pos], op)) {
		p->pos++;
		if ((k = sub(p)) < 0)
			return -1;
		if (n == BW_NELEM(tmp)) {
			cfail(p, "too many '%.*s' terms in a row", str_c(op));
			return -1;
		}
		tmp[n++] = (uint32_t)k;
	}
	return list_node(p, type, tmp, n);
}

static int parse_and(struct cparse *p)
{
	return parse_bin(p, "and", parse_not, N_AND);
}

static int parse_or(struct cparse *p)
{
	return parse_bin(p, "or", parse_and, N_OR);
}

static bool put(struct cparse *p, uint8_t code, uint32_t arg)
{
	if (p->ncode == p->capcode) {
		snprintf(p->why, p->whyn, "condition too long");
		return false;
	}
	p->code[p->ncode++] = (struct det_insn){ code, arg };
	return true;
}

static bool emit(struct cparse *p, uint32_t id)
{
	struct node *nd = &p->nodes[id];
	switch (nd->type) {
	case N_SEL:
		return put(p, C_SEL, nd->sel);
	case N_TRUE:
		return put(p, C_TRUE, 0);
	case N_NOT:
		return emit(p, p->kids[nd->kid0]) && put(p, C_NOT, 0);
	default: {
		uint32_t patch[256], np = 0;
		for (uint32_t i = 0; i < nd->nkids; i++) {
			if (!emit(p, p->kids[nd->kid0 + i]))
				return false;
			if (i + 1 < nd->nkids) {
				if (np == BW_NELEM(patch))
					return false;
				patch[np++] = p->ncode;
				if (!put(p, nd->type == N_AND ? C_JF : C_JT, 0))
					return false;
			}
		}
		for (uint32_t i = 0; i < np; i++)
			p->code[patch[i]].arg = p->ncode;
		return true;
	}
	}
}

bool det_condition_compile(struct det_rule *r, struct arena *a, const char *const *conds,
			   int nconds, char *why, size_t whyn)
{
	static _Thread_local struct cparse p;
	memset(&p, 0, offsetof(struct cparse, nodes));
	p.nnodes = 0;
	p.nkids = 0;
	p.ncode = 0;
	p.code = NULL;
	p.r = r;
	p.why = why;
	p.whyn = whyn;
	uint32_t roots[64], nroots = 0;
	if (nconds < 1 || nconds > (int)BW_NELEM(roots)) {
		snprintf(why, whyn, "detection needs a condition");
		return false;
	}
	for (int i = 0; i < nconds; i++) {
		p.ntok = 0;
		p.pos = 0;
		if (!tokenize(&p, conds[i]))
			return false;
		if (p.ntok == 0) {
			snprintf(why, whyn, "empty condition");
			return false;
		}
		int id = parse_or(&p);
		if (id < 0) {
			if (!why[0])
				snprintf(why, whyn, "condition too complex");
			return false;
		}
		if (p.pos < p.ntok) {
			struct str t = p.tok[p.pos];
			if (t.n == 1 && t.p[0] == '|')
				snprintf(why, whyn, "aggregation ('| ...') is not supported: use a correlation rule");
			else
				snprintf(why, whyn, "unexpected '%.*s' in condition", (int)t.n, t.p);
			return false;
		}
		roots[nroots++] = (uint32_t)id;
	}
	/* several conditions in a list: any of them */
	int root = list_node(&p, N_OR, roots, nroots);
	if (root < 0) {
		snprintf(why, whyn, "condition too complex");
		return false;
	}
	p.capcode = 2 * p.nnodes + 2 * p.nkids + 4;
	p.code = arena_alloc(a, p.capcode * sizeof *p.code);
	if (!emit(&p, (uint32_t)root)) {
		if (!why[0])
			snprintf(why, whyn, "condition too complex");
		return false;
	}
	r->code = p.code;
	r->ncode = p.ncode;
	r->cnodes = arena_alloc(a, (p.nnodes + 1) * sizeof *r->cnodes);
	r->ckids = arena_alloc(a, (p.nkids + 1) * sizeof *r->ckids);
	for (uint32_t i = 0; i < p.nnodes; i++)
		r->cnodes[i] = (struct det_cnode){ (uint8_t)p.nodes[i].type, p.nodes[i].sel,
						   p.nodes[i].kid0, p.nodes[i].nkids };
	memcpy(r->ckids, p.kids, p.nkids * sizeof *r->ckids);
	r->ncnodes = p.nnodes;
	r->croot = (uint32_t)root;
	return true;
}

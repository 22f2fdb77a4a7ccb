/*
 * value: one Sigma value and its modifiers (`field|contains|all: ...`) into
 * matchers. String modifiers transform the value in the order written
 * (windash, utf16*, base64, base64offset, then contains/startswith/endswith
 * put wildcards round it); the result is classified as equals / prefix /
 * suffix / contains / glob, folded to lower case unless `cased`, and gives
 * up its longest wildcard-free run as the prefilter literal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct var {
	char *s;
	uint8_t *w;   /* 1 = wildcard */
	size_t n;
};

struct varlist {
	struct var *v;
	size_t n, cap;
};

enum {
	M_CONTAINS = 1u << 0, M_STARTS = 1u << 1, M_ENDS = 1u << 2, M_ALL = 1u << 3,
	M_RE = 1u << 4, M_CIDR = 1u << 5, M_EXISTS = 1u << 6, M_FIELDREF = 1u << 7,
	M_CASED = 1u << 8, M_EXPAND = 1u << 9, M_NEQ = 1u << 10, M_NUM = 1u << 11,
	M_TIME = 1u << 12, M_ENC = 1u << 13, M_WINDASH = 1u << 14,
};

static bool fail(struct det_value_ctx *c, const char *fmt, const char *arg)
{
	snprintf(c->why, sizeof c->why, fmt, arg);
	return false;
}

static bool vl_push(struct det_value_ctx *c, struct varlist *l, char *s, uint8_t *w, size_t n)
{
	if (l->n >= DETECT_LIM_VARIANTS)
		return fail(c, "value expands to more than %s variants", "1024");
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct var *v = arena_alloc(c->a, cap * sizeof *v);
		if (l->n)
			memcpy(v, l->v, l->n * sizeof *v);
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct var){ s, w, n };
	return true;
}

/* Sigma escaping: backslash escapes *, ? and itself; elsewhere it is literal. */
static void parse_plain(struct det_value_ctx *c, const char *p, size_t n, struct var *out)
{
	char *s = arena_alloc(c->a, n + 1);
	uint8_t *w = arena_alloc(c->a, n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n && (p[i + 1] == '*' || p[i + 1] == '?' || p[i + 1] == '\\')) {
			s[k] = p[++i];
			w[k++] = 0;
		} else if (p[i] == '*' || p[i] == '?') {
			s[k] = p[i];
			w[k++] = 1;
		} else {
			s[k] = p[i];
			w[k++] = 0;
		}
	}
	*out = (struct var){ s, w, k };
}

/* %name% placeholders from the mapping's placeholders section. */
static bool expand(struct det_value_ctx *c, const char *p, size_t n, struct varlist *out)
{
	const char *a = memchr(p, '%', n);
	const char *b = a ? memchr(a + 1, '%', (size_t)(p + n - a - 1)) : NULL;
	if (!a || !b) {
		struct var v;
		parse_plain(c, p, n, &v);
		return vl_push(c, out, v.s, v.w, v.n);
	}
	char name[128];
	size_t nn = (size_t)(b - a - 1);
	if (nn == 0 || nn >= sizeof name)
		return fail(c, "bad placeholder in %s", "expand value");
	memcpy(name, a + 1, nn);
	name[nn] = 0;
	const struct det_mapping *m = &c->e->map;
	for (uint32_t i = 0; i < m->nplaceholders; i++) {
		if (strcasecmp(m->placeholders[i].name, name) != 0)
			continue;
		for (uint32_t j = 0; j < m->placeholders[i].nvalues; j++) {
			const char *pv = m->placeholders[i].values[j];
			size_t pn = strlen(pv);
			size_t tn = (size_t)(a - p) + pn + (size_t)(p + n - b - 1);
			char *t = arena_alloc(c->a, tn + 1);
			memcpy(t, p, (size_t)(a - p));
			memcpy(t + (a - p), pv, pn);
			memcpy(t + (a - p) + pn, b + 1, (size_t)(p + n - b - 1));
			if (!expand(c, t, tn, out))
				return false;
		}
		return true;
	}
	return fail(c, "placeholder %%%s%% has no values (set them under placeholders: in the mapping)",
		    name);
}

static bool is_word(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '_';
}

/* windash: a - or / that starts a word (regex \B[-/]\b, as pySigma) may be
 * written as any of - / – — ―. */
static bool windash(struct det_value_ctx *c, struct var v, struct varlist *out)
{
	static const char *const dashes[] = { "-", "/", "\xe2\x80\x93", "\xe2\x80\x94",
					      "\xe2\x80\x95" };
	size_t pos[8];
	size_t np = 0;
	for (size_t i = 0; i < v.n; i++) {
		if (v.w[i] || (v.s[i] != '-' && v.s[i] != '/'))
			continue;
		bool prev_word = i > 0 && !v.w[i - 1] && is_word((unsigned char)v.s[i - 1]);
		bool next_word = i + 1 < v.n && !v.w[i + 1] && is_word((unsigned char)v.s[i + 1]);
		if (!prev_word && next_word) {
			if (np == BW_NELEM(pos))
				return fail(c, "windash: more than %s dashes in one value", "8");
			pos[np++] = i;
		}
	}
	size_t total = 1;
	for (size_t i = 0; i < np; i++)
		total *= 5;
	if (total > DETECT_LIM_VARIANTS)
		return fail(c, "windash: more than %s variants", "1024");
	for (size_t k = 0; k < total; k++) {
		char *s = arena_alloc(c->a, v.n * 3 + 1);
		uint8_t *w = arena_alloc(c->a, v.n * 3 + 1);
		size_t o = 0, pi = 0, kk = k;
		for (size_t i = 0; i < v.n; i++) {
			if (pi < np && pos[pi] == i) {
				const char *d = dashes[kk % 5];
				kk /= 5;
				pi++;
				for (size_t j = 0; d[j]; j++)
					s[o] = d[j], w[o++] = 0;
			} else {
				s[o] = v.s[i], w[o++] = v.w[i];
			}
		}
		if (!vl_push(c, out, s, w, o))
			return false;
	}
	return true;
}

static bool has_wild(struct var v)
{
	for (size_t i = 0; i < v.n; i++)
		if (v.w[i])
			return true;
	return false;
}

/* UTF-8 to UTF-16 (le, be) with an optional byte-order mark. */
static bool utf16(struct det_value_ctx *c, struct var v, int be, bool bom, struct var *out)
{
	if (has_wild(v))
		return fail(c, "%s", "wildcards cannot be combined with utf16 modifiers");
	char *s = arena_alloc(c->a, v.n * 4 + 3);
	size_t o = 0;
	if (bom) {
		s[o++] = be ? (char)0xfe : (char)0xff;
		s[o++] = be ? (char)0xff : (char)0xfe;
	}
	const unsigned char *p = (const unsigned char *)v.s;
	for (size_t i = 0; i < v.n;) {
		uint32_t cp;
		size_t len;
		if (p[i] < 0x80)
			cp = p[i], len = 1;
		else if ((p[i] & 0xe0) == 0xc0 && i + 1 < v.n)
			cp = (uint32_t)(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f), len = 2;
		else if ((p[i] & 0xf0) == 0xe0 && i + 2 < v.n)
			cp = (uint32_t)(p[i] & 0x0f) << 12 | (uint32_t)(p[i + 1] & 0x3f) << 6 |
			     (p[i + 2] & 0x3f), len = 3;
		else if ((p[i] & 0xf8) == 0xf0 && i + 3 < v.n)
			cp = (uint32_t)(p[i] & 0x07) << 18 | (uint32_t)(p[i + 1] & 0x3f) << 12 |
			     (uint32_t)(p[i + 2] & 0x3f) << 6 | (p[i + 3] & 0x3f), len = 4;
		else
			return fail(c, "%s", "value is not valid UTF-8");
		i += len;
		uint16_t u[2];
		int nu = 1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[0] = (uint16_t)(0xd800 | (cp >> 10));
			u[1] = (uint16_t)(0xdc00 | (cp & 0x3ff));
			nu = 2;
		} else {
			u[0] = (uint16_t)cp;
		}
		for (int k = 0; k < nu; k++) {
			s[o++] = (char)(be ? u[k] >> 8 : u[k] & 0xff);
			s[o++] = (char)(be ? u[k] & 0xff : u[k] >> 8);
		}
	}
	*out = (struct var){ s, arena_alloc(c->a, o + 1), o };
	return true;
}

static size_t b64(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t x = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = tab[x >> 18];
		out[o++] = tab[(x >> 12) & 63];
		out[o++] = tab[(x >> 6) & 63];
		out[o++] = tab[x & 63];
	}
	if (n - i == 1) {
		uint32_t x = (uint32_t)in[i] << 16;
		out[o++] = tab[x >> 18];
		out[o++] = tab[(x >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t x = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = tab[x >> 18];
		out[o++] = tab[(x >> 12) & 63];
		out[o++] = tab[(x >> 6) & 63];
		out[o++] = '=';
	}
	return o;
}

/* base64offset as pySigma: the value shifted by 0..2 bytes, encoded, with
 * the characters that depend on the neighbouring bytes cut off. */
static bool base64(struct det_value_ctx *c, struct var v, bool offset, struct varlist *out)
{
	if (has_wild(v))
		return fail(c, "%s", "wildcards cannot be combined with base64 modifiers");
	for (int i = 0; i < (offset ? 3 : 1); i++) {
		unsigned char *in = arena_alloc(c->a, v.n + 3);
		memset(in, ' ', (size_t)i);
		memcpy(in + i, v.s, v.n);
		char *enc = arena_alloc(c->a, (v.n + 3) / 3 * 4 + 8);
		size_t en = b64(in, v.n + (size_t)i, enc);
		size_t start = 0, end = en;
		if (offset) {
			static const size_t starts[3] = { 0, 2, 3 };
			static const size_t ends[3] = { 0, 3, 2 };
			start = starts[i];
			size_t cut = ends[(v.n + (size_t)i) % 3];
			end = en >= cut ? en - cut : 0;
			if (end <= start)
				return fail(c, "%s", "base64offset: value too short");
		}
		if (!vl_push(c, out, enc + start, arena_alloc(c->a, end - start + 1), end - start))
			return false;
	}
	return true;
}

static void add_wild(struct det_value_ctx *c, struct var *v, bool lead, bool trail)
{
	bool has_lead = v->n && v->w[0] && v->s[0] == '*';
	bool has_trail = v->n && v->w[v->n - 1] && v->s[v->n - 1] == '*';
	size_t n = v->n + 2;
	char *s = arena_alloc(c->a, n + 1);
	uint8_t *w = arena_alloc(c->a, n + 1);
	size_t o = 0;
	if (lead && !has_lead)
		s[o] = '*', w[o++] = 1;
	memcpy(s + o, v->s, v->n);
	memcpy(w + o, v->w, v->n);
	o += v->n;
	if (trail && !has_trail)
		s[o] = '*', w[o++] = 1;
	*v = (struct var){ s, w, o };
}

/* Turns a final variant into a matcher. */
static struct det_matcher *slot(struct det_value_ctx *c)
{
	if (c->nout - c->value_start >= DETECT_LIM_VARIANTS || c->nout >= DETECT_LIM_PRED_VALUES)
		return NULL;
	if (c->nout == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->out = realloc(c->out, c->cap * sizeof *c->out);
		if (!c->out)
			abort();
	}
	return &c->out[c->nout++];
}

static bool emit_string(struct det_value_ctx *c, struct var v, bool cased, bool neq, uint32_t group)
{
	struct det_matcher *m = slot(c);
	if (!m)
		return fail(c, "value expands to more than %s variants", "1024");
	memset(m, 0, sizeof *m);
	m->cased = cased;
	m->neq = neq;
	m->group = group;
	m->lit = -1;
	if (!cased)
		det_lower(v.s, v.s, v.n);
	size_t a = 0, b = v.n;
	while (a < b && v.w[a] && v.s[a] == '*')
		a++;
	while (b > a && v.w[b - 1] && v.s[b - 1] == '*')
		b--;
	bool lead = a > 0, trail = b < v.n, inner = false;
	for (size_t i = a; i < b; i++)
		inner |= v.w[i];
	if (inner) {
		m->op = OP_GLOB;
		m->s = v.s;
		m->wild = v.w;
		m->n = (uint32_t)v.n;
	} else {
		m->op = lead && trail ? OP_CONTAINS : lead ? OP_SUFFIX : trail ? OP_PREFIX : OP_EQ;
		m->s = v.s + a;
		m->n = (uint32_t)(b - a);
	}
	/* longest wildcard-free, NUL-free run: what the prefilter looks for */
	size_t best = 0, bestn = 0;
	for (size_t i = a; i < b;) {
		size_t j = i;
		while (j < b && !v.w[j] && v.s[j] != 0)
			j++;
		if (j - i > bestn)
			best = i, bestn = j - i;
		i = j + 1;
	}
	if (bestn > 0 && !neq) {
		char *l = arena_alloc(c->a, bestn + 1);
		det_lower(l, v.s + best, bestn);
		m->lit_s = l;
		m->lit_n = (uint32_t)bestn;
	}
	return true;
}

static struct det_matcher *emit(struct det_value_ctx *c, uint8_t op, bool neq, uint32_t group)
{
	struct det_matcher *m = slot(c);
	if (!m)
		return NULL;
	memset(m, 0, sizeof *m);
	m->op = op;
	m->neq = neq;
	m->group = group;
	m->lit = -1;
	return m;
}

static bool parse_num(const char *p, size_t n, double *out)
{
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return false;
	memcpy(tmp, p, n);
	tmp[n] = 0;
	char *end;
	errno = 0;
	double d = strtod(tmp, &end);
	if (errno || *end || !isfinite(d))
		return false;
	*out = d;
	return true;
}

static bool parse_cidr(const char *p, size_t n, struct det_matcher *m)
{
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return false;
	memcpy(tmp, p, n);
	tmp[n] = 0;
	char *slash = strchr(tmp, '/');
	long bits = -1;
	if (slash) {
		*slash = 0;
		char *end;
		bits = strtol(slash + 1, &end, 10);
		if (*end || slash[1] == 0)
			return false;
	}
	memset(m->cidr_addr, 0, sizeof m->cidr_addr);
	if (inet_pton(AF_INET, tmp, m->cidr_addr) == 1) {
		m->cidr_family = 4;
		if (bits < 0)
			bits = 32;
		if (bits > 32)
			return false;
	} else if (inet_pton(AF_INET6, tmp, m->cidr_addr) == 1) {
		m->cidr_family = 6;
		if (bits < 0)
			bits = 128;
		if (bits > 128)
			return false;
	} else {
		return false;
	}
	m->cidr_bits = (uint8_t)bits;
	return true;
}

static bool compile_re(struct det_value_ctx *c, const char *p, size_t n, uint32_t opts,
		       struct det_matcher *m)
{
	int code;
	PCRE2_SIZE off;
	m->re = pcre2_compile((PCRE2_SPTR)p, n, opts | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code,
			      &off, NULL);
	if (!m->re) {
		char msg[160];
		pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg);
		return fail(c, "regular expression: %s", msg);
	}
	pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	return true;
}

bool det_value_compile(struct det_value_ctx *c, const char *const *mods, int nmods,
		       const char *val, size_t n, bool null)
{
	uint32_t flags = 0, re_opts = 0;
	uint8_t cmp = CMP_EQ, tpart = 0;
	uint32_t group = c->nout ? c->out[c->nout - 1].group + 1 : 0;
	c->value_start = c->nout;
	for (int i = 0; i < nmods; i++) {
		const char *md = mods[i];
		if (!strcmp(md, "contains"))
			flags |= M_CONTAINS;
		else if (!strcmp(md, "startswith"))
			flags |= M_STARTS;
		else if (!strcmp(md, "endswith"))
			flags |= M_ENDS;
		else if (!strcmp(md, "all"))
			flags |= M_ALL;
		else if (!strcmp(md, "re"))
			flags |= M_RE;
		else if (!strcmp(md, "i") || !strcmp(md, "m") || !strcmp(md, "s")) {
			if (!(flags & M_RE))
				return fail(c, "modifier '%s' needs 're' before it", md);
			re_opts |= md[0] == 'i' ? PCRE2_CASELESS : md[0] == 'm' ? PCRE2_MULTILINE
										: PCRE2_DOTALL;
		} else if (!strcmp(md, "cidr"))
			flags |= M_CIDR;
		else if (!strcmp(md, "exists"))
			flags |= M_EXISTS;
		else if (!strcmp(md, "fieldref"))
			flags |= M_FIELDREF;
		else if (!strcmp(md, "cased"))
			flags |= M_CASED;
		else if (!strcmp(md, "expand"))
			flags |= M_EXPAND;
		else if (!strcmp(md, "neq"))
			flags |= M_NEQ;
		else if (!strcmp(md, "lt") || !strcmp(md, "lte") || !strcmp(md, "gt") ||
			 !strcmp(md, "gte")) {
			flags |= M_NUM;
			cmp = md[0] == 'l' ? (md[2] ? CMP_LTE : CMP_LT) : (md[2] ? CMP_GTE : CMP_GT);
		} else if (!strcmp(md, "minute") || !strcmp(md, "hour") || !strcmp(md, "day") ||
			   !strcmp(md, "week") || !strcmp(md, "month") || !strcmp(md, "year")) {
			flags |= M_TIME;
			tpart = md[0] == 'h' ? TP_HOUR : md[0] == 'd' ? TP_DAY : md[0] == 'w' ? TP_WEEK
				: md[0] == 'y' ? TP_YEAR : md[1] == 'i' ? TP_MINUTE : TP_MONTH;
		} else if (!strcmp(md, "windash"))
			flags |= M_WINDASH;
		else if (!strcmp(md, "base64") || !strcmp(md, "base64offset") ||
			 !strcmp(md, "utf16le") || !strcmp(md, "utf16be") || !strcmp(md, "utf16") ||
			 !strcmp(md, "wide"))
			flags |= M_ENC;
		else
			return fail(c, "unknown modifier '%s'", md);
	}
	if (flags & M_ALL)
		c->all = true;
	bool neq = flags & M_NEQ;
	bool cased = flags & M_CASED;

	if (flags & M_EXISTS) {
		struct det_matcher *m = emit(c, OP_EXISTS, false, group);
		if (!m)
			return fail(c, "%s", "too many values");
		if (n == 4 && !strncasecmp(val, "true", 4))
			m->exists = true;
		else if (!(n == 5 && !strncasecmp(val, "false", 5)))
			return fail(c, "%s", "exists takes true or false");
		return true;
	}
	if (null) {
		if (flags & ~(M_NEQ | M_ALL))
			return fail(c, "%s", "null value with a modifier");
		return emit(c, OP_NULL, neq, group) != NULL;
	}
	if (flags & (M_NUM | M_TIME)) {
		struct det_matcher *m = emit(c, (flags & M_TIME) ? OP_TIME : OP_NUM, neq, group);
		if (!m)
			return fail(c, "%s", "too many values");
		m->cmp = cmp;
		m->time_part = tpart;
		if (!parse_num(val, n, &m->num))
			return fail(c, "%s", "numeric modifier on a value that is not a number");
		return true;
	}
	if (flags & M_CIDR) {
		struct det_matcher *m = emit(c, OP_CIDR, neq, group);
		if (!m)
			return fail(c, "%s", "too many values");
		if (!parse_cidr(val, n, m))
			return fail(c, "%s", "cidr value is not an IPv4 or IPv6 network");
		return true;
	}
	if (flags & M_RE) {
		if (flags & (M_CONTAINS | M_STARTS | M_ENDS | M_ENC | M_WINDASH | M_EXPAND))
			return fail(c, "%s", "re cannot be combined with string modifiers");
		struct det_matcher *m = emit(c, OP_RE, neq, group);
		if (!m)
			return fail(c, "%s", "too many values");
		return compile_re(c, val, n, re_opts, m);
	}
	if (flags & M_FIELDREF) {
		struct det_matcher *m = emit(c, OP_FIELDREF, neq, group);
		if (!m)
			return fail(c, "%s", "too many values");
		if ((flags & (M_ENC | M_WINDASH | M_EXPAND)) || n == 0)
			return fail(c, "%s", "fieldref takes a plain field name");
		m->fr_op = (flags & M_CONTAINS) ? OP_CONTAINS : (flags & M_STARTS) ? OP_PREFIX
			 : (flags & M_ENDS) ? OP_SUFFIX : OP_EQ;
		m->cased = cased;
		m->ref_field = det_intern_add(&c->e->fields, val, n);
		return true;
	}

	struct varlist cur = { 0 };
	if (flags & M_EXPAND) {
		if (!expand(c, val, n, &cur))
			return false;
	} else {
		struct var v;
		parse_plain(c, val, n, &v);
		if (!vl_push(c, &cur, v.s, v.w, v.n))
			return false;
	}
	bool lead = false, trail = false;
	for (int i = 0; i < nmods; i++) {
		const char *md = mods[i];
		struct varlist next = { 0 };
		bool changed = true;
		for (size_t k = 0; k < cur.n; k++) {
			struct var v = cur.v[k], o;
			bool ok = true;
			if (!strcmp(md, "windash"))
				ok = windash(c, v, &next);
			else if (!strcmp(md, "utf16le") || !strcmp(md, "wide"))
				ok = utf16(c, v, 0, false, &o) && vl_push(c, &next, o.s, o.w, o.n);
			else if (!strcmp(md, "utf16be"))
				ok = utf16(c, v, 1, false, &o) && vl_push(c, &next, o.s, o.w, o.n);
			else if (!strcmp(md, "utf16"))
				ok = utf16(c, v, 0, true, &o) && vl_push(c, &next, o.s, o.w, o.n);
			else if (!strcmp(md, "base64"))
				ok = base64(c, v, false, &next);
			else if (!strcmp(md, "base64offset"))
				ok = base64(c, v, true, &next);
			else
				changed = false;
			if (!ok)
				return false;
			if (!changed)
				break;
		}
		if (changed)
			cur = next;
		else if (!strcmp(md, "contains"))
			lead = trail = true;
		else if (!strcmp(md, "startswith"))
			trail = true;
		else if (!strcmp(md, "endswith"))
			lead = true;
		if (lead || trail)
			for (size_t k = 0; k < cur.n; k++)
				add_wild(c, &cur.v[k], lead, trail);
		lead = trail = false;
	}
	/* a keyword is a full-text search: contained anywhere in a value */
	if (c->keyword && !(flags & (M_CONTAINS | M_STARTS | M_ENDS)))
		for (size_t k = 0; k < cur.n; k++)
			add_wild(c, &cur.v[k], true, true);
	for (size_t k = 0; k < cur.n; k++)
		if (!emit_string(c, cur.v[k], cased, neq, group))
			return false;
	return true;
}

/* Classic iterative glob with one backtrack point: * any run, ? one byte. */
bool det_glob_match(const char *pat, const uint8_t *wild, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;
	while (si < sn) {
		if (pi < pn && wild[pi] && pat[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && ((wild[pi] && pat[pi] == '?') || (!wild[pi] && pat[pi] == s[si]))) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && wild[pi] && pat[pi] == '*')
		pi++;
	return pi == pn;
}

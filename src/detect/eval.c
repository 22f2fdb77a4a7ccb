/*
 * eval: does a rule match an event? Matchers compare against the event's
 * lower-case copy (or the original bytes for `cased` and `re`) without
 * allocating; the condition bytecode runs with one accumulator. The same
 * bytecode, run over "could this selection hold given the literals the
 * prefilter saw", decides which rules the fast path evaluates: `not x` is
 * always possible there, so the prefilter never drops a rule that could fire.
 * In the fast path a matcher whose literal was not seen in its field is false
 * without a look at the value, and a plain `contains` whose literal was seen
 * there is true: the prefilter's bit already is the answer.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Does t hold s (n >= 2)? Values are short and the needles few: a filter on
 * the first and last byte of s, 16 places at a time, beats glibc's memmem,
 * whose setup cost dominates on strings of a few dozen bytes. */
static bool has_sub(const char *t, size_t tn, const char *s, size_t n)
{
	size_t i = 0;
	const size_t last = tn - n;  /* the last place s can start */
#if defined(__SSE2__)
	const __m128i first = _mm_set1_epi8(s[0]), lastb = _mm_set1_epi8(s[n - 1]);
	for (; i + 16 <= last + 1; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(t + i + n - 1));
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, lastb)));
		for (; m; m &= m - 1) {
			size_t k = i + (unsigned)__builtin_ctz(m);
			if (memcmp(t + k + 1, s + 1, n - 2) == 0)
				return true;
		}
	}
#endif
	for (; i <= last; i++)
		if (t[i] == s[0] && t[i + n - 1] == s[n - 1] && memcmp(t + i + 1, s + 1, n - 2) == 0)
			return true;
	return false;
}

static bool str_test(uint8_t op, const char *s, uint32_t n, const char *t, size_t tn)
{
	switch (op) {
	case OP_EQ:
		return tn == n && (n == 0 || memcmp(t, s, n) == 0);
	case OP_PREFIX:
		return tn >= n && memcmp(t, s, n) == 0;
	case OP_SUFFIX:
		return tn >= n && memcmp(t + tn - n, s, n) == 0;
	case OP_CONTAINS:
		if (n == 0)
			return true;
		if (tn < n)
			return false;
		return n == 1 ? memchr(t, s[0], tn) != NULL : has_sub(t, tn, s, n);
	default:
		return false;
	}
}

static bool parse_double(const char *p, size_t n, double *out)
{
	char tmp[64];
	struct str s = str_trim((struct str){ p, n });
	if (s.n == 0 || s.n >= sizeof tmp)
		return false;
	memcpy(tmp, s.p, s.n);
	tmp[s.n] = 0;
	char *end;
	double d = (s.n > 2 && tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X'))
		? (double)strtoull(tmp + 2, &end, 16) : strtod(tmp, &end);
	if (*end || !isfinite(d))
		return false;
	*out = d;
	return true;
}

static bool cmp_num(uint8_t cmp, double a, double b)
{
	switch (cmp) {
	case CMP_LT: return a < b;
	case CMP_LTE: return a <= b;
	case CMP_GT: return a > b;
	case CMP_GTE: return a >= b;
	default: return a == b;
	}
}

static bool cidr_test(const struct det_matcher *m, const char *p, size_t n)
{
	char tmp[64];
	struct str s = str_trim((struct str){ p, n });
	if (s.n && s.p[0] == '[') /* [v6] */
		s.p++, s.n -= s.n > 1 && s.p[s.n - 2] == ']' ? 2 : 1;
	if (s.n == 0 || s.n >= sizeof tmp)
		return false;
	memcpy(tmp, s.p, s.n);
	tmp[s.n] = 0;
	char *pct = strchr(tmp, '%'); /* zone id */
	if (pct)
		*pct = 0;
	uint8_t a[16];
	const uint8_t *addr = a;
	if (inet_pton(AF_INET, tmp, a) == 1) {
		if (m->cidr_family != 4)
			return false;
	} else if (inet_pton(AF_INET6, tmp, a) == 1) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (m->cidr_family == 4) {
			if (memcmp(a, mapped, 12) != 0)
				return false;
			addr = a + 12;
		}
	} else {
		return false;
	}
	uint32_t bits = m->cidr_bits, full = bits / 8, rest = bits % 8;
	if (memcmp(addr, m->cidr_addr, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		return (addr[full] & mask) == (m->cidr_addr[full] & mask);
	}
	return true;
}

/* "2024-03-05T10:20:30" / "2024-03-05 10:20:30.123": the part asked for */
static bool time_part(const char *p, size_t n, uint8_t part, double *out)
{
	int y, mo, d, h = 0, mi = 0;
	char tmp[40];
	if (n < 10 || n >= sizeof tmp)
		return false;
	memcpy(tmp, p, n);
	tmp[n] = 0;
	int k = sscanf(tmp, "%4d-%2d-%2d%*1[T ]%2d:%2d", &y, &mo, &d, &h, &mi);
	if (k < 3)
		return false;
	switch (part) {
	case TP_MINUTE: *out = mi; break;
	case TP_HOUR: *out = h; break;
	case TP_DAY: *out = d; break;
	case TP_MONTH: *out = mo; break;
	case TP_YEAR: *out = y; break;
	default: {
		/* ISO week number */
		static const int cum[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
		if (mo < 1 || mo > 12)
			return false;
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		int yday = cum[mo - 1] + d + (mo > 2 ? leap : 0);
		int yy = y - 1;
		int jan1 = (1 + 5 * (yy % 4) + 4 * (yy % 100) + 6 * (yy % 400)) % 7; /* 0 = Sunday */
		int wday = (jan1 + yday - 1) % 7;
		int iso_wday = wday ? wday : 7;
		int w = (yday - iso_wday + 10) / 7;
		*out = w < 1 ? 52 : w > 52 ? 1 : w;
	}
	}
	return true;
}

static bool test_one(const struct det_matcher *m, const struct det_event *ev,
		     const struct det_value *v)
{
	if (v->null)
		return false;
	switch (m->op) {
	case OP_EQ:
	case OP_PREFIX:
	case OP_SUFFIX:
	case OP_CONTAINS:
		return str_test(m->op, m->s, m->n, m->cased ? v->p : v->lp, v->n);
	case OP_GLOB:
		return det_glob_match(m->s, m->wild, m->n, m->cased ? v->p : v->lp, v->n);
	case OP_RE:
		return pcre2_match(m->re, (PCRE2_SPTR)v->p, v->n, 0, 0, ev->md, NULL) >= 0;
	case OP_CIDR:
		return cidr_test(m, v->p, v->n);
	case OP_NUM: {
		double d;
		return parse_double(v->p, v->n, &d) && cmp_num(m->cmp, d, m->num);
	}
	case OP_TIME: {
		double d;
		return time_part(v->p, v->n, m->time_part, &d) && cmp_num(m->cmp, d, m->num);
	}
	case OP_FIELDREF: {
		for (const struct det_value *o = det_event_get(ev, m->ref_field); o;
		     o = o->next ? &ev->v[o->next - 1] : NULL) {
			if (o->null)
				continue;
			const char *s = m->cased ? o->p : o->lp;
			if (str_test(m->fr_op, s, o->n, m->cased ? v->p : v->lp, v->n))
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

bool det_matcher_test(const struct det_matcher *m, const struct det_event *ev,
		      const struct det_value *v)
{
	if (m->op == OP_EXISTS)
		return (v != NULL) == m->exists;
	if (m->op == OP_NULL) {
		bool r = !v || v->null || v->n == 0;
		return m->neq ? !r : r;
	}
	bool any = false;
	for (; v && !any; v = v->next ? &ev->v[v->next - 1] : NULL)
		any = test_one(m, ev, v);
	return m->neq ? !any : any;
}

/* keyword search: any value of the event */
static bool test_any(const struct det_matcher *m, const struct det_event *ev)
{
	for (uint32_t i = 0; i < ev->nv; i++)
		if (test_one(m, ev, &ev->v[i]))
			return !m->neq;
	return m->neq;
}

#define SEEN(seen, i) ((seen)[(uint32_t)(i) >> 3] & (1u << ((uint32_t)(i) & 7)))

/* one matcher over the predicate's field (or any field), the prefilter's
 * bits first */
static inline bool matcher_eval(const struct det_matcher *m, const struct det_pred *p,
				const struct det_event *ev, const struct det_value *v,
				const uint8_t *seen)
{
	if (seen && m->lit >= 0) {
		if (!SEEN(seen, m->lit))
			return false;
		if (m->exact)
			return true;
	}
	return p->field == DET_FIELD_ANY ? test_any(m, ev) : det_matcher_test(m, ev, v);
}

static bool pred_match(const struct det_rule *r, const struct det_pred *p,
		       const struct det_event *ev, const uint8_t *seen)
{
	const struct det_value *v = p->field == DET_FIELD_ANY ? NULL : det_event_get(ev, p->field);
	const struct det_matcher *m = r->matchers + p->first, *end = m + p->count;
	if (!p->all) {
		for (; m < end; m++)
			if (matcher_eval(m, p, ev, v, seen))
				return true;
		return false;
	}
	/* |all: every value (group of variants) must hold */
	while (m < end) {
		uint32_t g = m->group;
		bool ok = false;
		for (; m < end && m->group == g; m++)
			if (!ok)
				ok = matcher_eval(m, p, ev, v, seen);
		if (!ok)
			return false;
	}
	return true;
}

static bool sel_match(const struct det_rule *r, uint32_t s, const struct det_event *ev,
		      const uint8_t *seen)
{
	const struct det_sel *sel = &r->sels[s];
	for (uint32_t a = sel->first; a < sel->first + sel->count; a++) {
		const struct det_alt *alt = &r->alts[a];
		uint32_t i = 0;
		while (i < alt->count && pred_match(r, &r->preds[alt->first + i], ev, seen))
			i++;
		if (i == alt->count)
			return true;
	}
	return false;
}

/* may a predicate hold, given the literals seen? */
static bool pred_possible(const struct det_rule *r, const struct det_pred *p, const uint8_t *seen)
{
	const struct det_matcher *m = r->matchers + p->first, *end = m + p->count;
	if (!p->all) {
		for (; m < end; m++)
			if (m->lit < 0 || SEEN(seen, m->lit))
				return true;
		return false;
	}
	while (m < end) {
		uint32_t g = m->group;
		bool ok = false;
		for (; m < end && m->group == g; m++)
			ok |= m->lit < 0 || SEEN(seen, m->lit);
		if (!ok)
			return false;
	}
	return true;
}

static bool sel_possible(const struct det_rule *r, uint32_t s, const uint8_t *seen)
{
	const struct det_sel *sel = &r->sels[s];
	for (uint32_t a = sel->first; a < sel->first + sel->count; a++) {
		const struct det_alt *alt = &r->alts[a];
		uint32_t i = 0;
		while (i < alt->count && pred_possible(r, &r->preds[alt->first + i], seen))
			i++;
		if (i == alt->count)
			return true;
	}
	return false;
}

/* ev NULL: "possible given seen"; else "matches", seen (may be NULL) as hints */
static bool run(const struct det_rule *r, const struct det_event *ev, const uint8_t *seen)
{
	bool acc = false;
	for (uint32_t pc = 0; pc < r->ncode;) {
		const struct det_insn *in = &r->code[pc++];
		switch (in->code) {
		case C_SEL:
			acc = !ev ? sel_possible(r, in->arg, seen) : sel_match(r, in->arg, ev, seen);
			break;
		case C_NOT:
			acc = !ev ? true : !acc;
			break;
		case C_JF:
			if (!acc)
				pc = in->arg;
			break;
		case C_JT:
			if (acc)
				pc = in->arg;
			break;
		case C_TRUE:
			acc = true;
			break;
		case C_FALSE:
			acc = false;
			break;
		}
	}
	return acc;
}

bool det_rule_match(const struct det_rule *r, const struct det_event *ev, const uint8_t *seen)
{
	return run(r, ev, seen);
}

bool det_rule_possible(const struct det_rule *r, const uint8_t *seen)
{
	return run(r, NULL, seen);
}

bool det_route_accepts(const struct det_rule *r, const struct det_event *ev)
{
	if (r->unrouted)
		return !ev->has_channel;
	if (!ev->has_channel)
		return false;
	for (uint32_t i = 0; i < r->nsources; i++) {
		const struct det_source *s = &r->sources[i];
		if (s->channel && s->channel != ev->channel)
			continue;
		if (!s->neids)
			return true;
		if (!ev->has_eid)
			continue;
		for (uint32_t k = 0; k < s->neids; k++)
			if (s->eids[k] == ev->eid)
				return true;
	}
	return false;
}

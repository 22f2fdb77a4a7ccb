/*
 * cpe: CPE 2.3 names (NISTIR 7695) — the formatted-string binding parsed and
 * written, the 2.2 URI binding parsed, and name comparison per attribute as
 * NISTIR 7696 defines it (superset, subset, equal, disjoint, undefined).
 */
#include <string.h>
#include <strings.h>

#include "match_int.h"

static const char *const attr_names[MATCH_CPE_NATTR] = {
	"part", "vendor", "product", "version", "update", "edition", "language",
	"sw_edition", "target_sw", "target_hw", "other",
};

const char *match_cpe_attr_name(enum match_cpe_attr a)
{
	return (unsigned)a < MATCH_CPE_NATTR ? attr_names[a] : "?";
}

const char *match_cpe_rel_name(enum match_cpe_rel r)
{
	switch (r) {
	case MATCH_CPE_DISJOINT: return "disjoint";
	case MATCH_CPE_SUBSET: return "subset";
	case MATCH_CPE_SUPERSET: return "superset";
	case MATCH_CPE_EQUAL: return "equal";
	case MATCH_CPE_UNDEFINED: return "undefined";
	}
	return "?";
}

void match_cpe_init(struct match_cpe *c)
{
	memset(c->a, 0, sizeof c->a);
	c->used = 0;
}

static enum bw_err cpe_fail(struct bw_error *err, enum match_cpe_attr a, const char *what)
{
	return bw_fail(err, BW_EINVAL, "cpe", "CPE %s: %s", match_cpe_attr_name(a), what);
}

/* Reads one attribute value. fs: formatted string ("*" and "-" are the
 * logical values); otherwise WFN ("ANY" and "NA"). Escapes are removed and
 * letters folded; unquoted wildcards are allowed only at either end. */
static enum bw_err set_value(struct match_cpe *c, enum match_cpe_attr a, const char *p,
			     size_t n, bool fs, struct bw_error *err)
{
	struct match_cpe_value *v = &c->a[a];
	memset(v, 0, sizeof *v);
	if (n == 0)
		return cpe_fail(err, a, "is empty (use * for any value)");
	if (fs ? (n == 1 && p[0] == '*') : (n == 3 && memcmp(p, "ANY", 3) == 0)) {
		v->kind = MATCH_CPE_ANY;
		return BW_OK;
	}
	if (fs ? (n == 1 && p[0] == '-') : (n == 2 && memcmp(p, "NA", 2) == 0)) {
		v->kind = MATCH_CPE_NA;
		return BW_OK;
	}
	v->kind = MATCH_CPE_VALUE;
	v->off = c->used;
	size_t i = 0;
	/* leading wildcards */
	if (p[0] == '*') {
		v->pre_star = 1;
		i = 1;
		if (i < n && (p[i] == '*' || p[i] == '?'))
			return cpe_fail(err, a, "'*' may not be followed by another wildcard");
	} else {
		while (i < n && p[i] == '?')
			v->pre_q++, i++;
	}
	bool body_done = false;
	for (; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch <= 0x20 || ch >= 0x7f)
			return cpe_fail(err, a, "has a character outside printable ASCII");
		if (body_done && ch != '?')
			return cpe_fail(err, a, "has a wildcard inside the value (quote it with \\)");
		if (ch == '\\') {
			if (i + 1 == n)
				return cpe_fail(err, a, "ends with a lone backslash");
			ch = (unsigned char)p[++i];
			if (ch <= 0x20 || ch >= 0x7f)
				return cpe_fail(err, a, "has a character outside printable ASCII");
		} else if (ch == '*') {
			if (i + 1 != n)
				return cpe_fail(err, a, "has '*' inside the value (quote it with \\)");
			v->post_star = 1;
			continue;
		} else if (ch == '?') {
			body_done = true;
			v->post_q++;
			continue;
		}
		if (c->used >= sizeof c->store)
			return cpe_fail(err, a, "is too long");
		c->store[c->used++] = vkey_lower((char)ch);
		v->len++;
	}
	if (v->post_q && v->post_star)
		return cpe_fail(err, a, "mixes '?' and '*' at its end");
	if (v->len == 0 && v->pre_star && !v->post_q && !v->post_star)
		return cpe_fail(err, a, "is a lone wildcard");
	return BW_OK;
}

static enum bw_err check_part(const struct match_cpe *c, struct bw_error *err)
{
	const struct match_cpe_value *v = &c->a[MATCH_CPE_PART];
	if (v->kind != MATCH_CPE_VALUE)
		return BW_OK;
	const char *b = c->store + v->off;
	if (v->len != 1 || v->pre_star || v->post_star || v->pre_q || v->post_q ||
	    (b[0] != 'a' && b[0] != 'o' && b[0] != 'h'))
		return cpe_fail(err, MATCH_CPE_PART, "must be a, o, h or *");
	return BW_OK;
}

/* CPE 2.2 URI: "cpe:/" part ":" vendor ":" product ... with percent-escapes
 * and an empty component meaning ANY; "~"-packed editions are not read. */
static enum bw_err parse_uri(struct str s, struct match_cpe *out, struct bw_error *err)
{
	match_cpe_init(out);
	size_t i = 5, a = 0;
	char tmp[MATCH_LIM_CPE * 2];
	while (a < 7) {
		size_t j = i;
		while (j < s.n && s.p[j] != ':')
			j++;
		size_t tn = 0;
		for (size_t k = i; k < j; k++) {
			char ch = s.p[k];
			if (ch == '%') {
				if (k + 2 >= j)
					return cpe_fail(err, (enum match_cpe_attr)a, "has a bad %-escape");
				int hi = (unsigned char)s.p[k + 1], lo = (unsigned char)s.p[k + 2];
				hi = hi <= '9' ? hi - '0' : (hi | 32) - 'a' + 10;
				lo = lo <= '9' ? lo - '0' : (lo | 32) - 'a' + 10;
				if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
					return cpe_fail(err, (enum match_cpe_attr)a, "has a bad %-escape");
				ch = (char)(hi * 16 + lo);
				k += 2;
			}
			if (!vkey_isalnum(ch) && ch != '_') {
				if (tn + 1 >= sizeof tmp)
					return cpe_fail(err, (enum match_cpe_attr)a, "is too long");
				tmp[tn++] = '\\';
			}
			if (tn + 1 >= sizeof tmp)
				return cpe_fail(err, (enum match_cpe_attr)a, "is too long");
			tmp[tn++] = ch;
		}
		enum bw_err rc;
		if (tn == 0)
			out->a[a].kind = MATCH_CPE_ANY, rc = BW_OK;
		else if (tn == 2 && tmp[0] == '\\' && tmp[1] == '-')
			out->a[a].kind = MATCH_CPE_NA, rc = BW_OK;
		else
			rc = set_value(out, (enum match_cpe_attr)a, tmp, tn, true, err);
		if (rc != BW_OK)
			return rc;
		a++;
		if (j >= s.n)
			break;
		i = j + 1;
	}
	if (i < s.n && a == 7)
		return bw_fail(err, BW_EINVAL, "cpe", "CPE URI has more than 7 components");
	return check_part(out, err);
}

enum bw_err match_cpe_parse(struct str s, struct match_cpe *out, struct bw_error *err)
{
	match_cpe_init(out);
	if (s.n > MATCH_LIM_CPE)
		return bw_fail(err, BW_ELIMIT, "cpe", "CPE longer than %d bytes", MATCH_LIM_CPE);
	if (s.n >= 5 && strncasecmp(s.p, "cpe:/", 5) == 0)
		return parse_uri(s, out, err);
	if (s.n < 8 || strncasecmp(s.p, "cpe:2.3:", 8) != 0)
		return bw_fail(err, BW_EINVAL, "cpe", "CPE must start with \"cpe:2.3:\"");
	size_t i = 8;
	int a = 0;
	while (a < MATCH_CPE_NATTR) {
		size_t j = i;
		while (j < s.n && s.p[j] != ':') {
			if (s.p[j] == '\\' && j + 1 < s.n)
				j++;
			j++;
		}
		enum bw_err rc = set_value(out, (enum match_cpe_attr)a, s.p + i, j - i, true, err);
		if (rc != BW_OK)
			return rc;
		a++;
		if (j >= s.n)
			break;
		i = j + 1;
		if (a == MATCH_CPE_NATTR)
			return bw_fail(err, BW_EINVAL, "cpe",
				       "CPE has more than 11 attributes after \"cpe:2.3:\"");
	}
	if (a != MATCH_CPE_NATTR)
		return bw_fail(err, BW_EINVAL, "cpe",
			       "CPE has %d attributes after \"cpe:2.3:\", needs 11", a);
	return check_part(out, err);
}

enum bw_err match_cpe_set_wfn(struct match_cpe *c, enum match_cpe_attr a, struct str wfn,
			      struct bw_error *err)
{
	if ((unsigned)a >= MATCH_CPE_NATTR)
		return bw_fail(err, BW_EINVAL, "cpe", "no such CPE attribute");
	return set_value(c, a, wfn.p, wfn.n, false, err);
}

enum bw_err match_cpe_check(const struct match_cpe *c, struct bw_error *err)
{
	enum bw_err rc = check_part(c, err);
	if (rc != BW_OK)
		return rc;
	const struct match_cpe_value *v = &c->a[MATCH_CPE_LANGUAGE];
	if (v->kind != MATCH_CPE_VALUE || v->pre_star || v->post_star || v->pre_q || v->post_q)
		return BW_OK;
	const char *b = c->store + v->off;
	size_t n = v->len, i = 0;
	while (i < n && vkey_isalpha(b[i]))
		i++;
	bool ok = i >= 2 && i <= 3;
	if (ok && i < n) {
		size_t r = n - i - 1;
		const char *q = b + i + 1;
		ok = b[i] == '-' && ((r == 2 && vkey_isalpha(q[0]) && vkey_isalpha(q[1])) ||
				     (r == 3 && vkey_isdigit(q[0]) && vkey_isdigit(q[1]) &&
				      vkey_isdigit(q[2])));
	}
	if (!ok)
		return cpe_fail(err, MATCH_CPE_LANGUAGE, "is not a language tag such as en or en-gb");
	return BW_OK;
}

struct str match_cpe_body(const struct match_cpe *c, enum match_cpe_attr a)
{
	const struct match_cpe_value *v = &c->a[a];
	if (v->kind != MATCH_CPE_VALUE)
		return (struct str){ "", 0 };
	return (struct str){ c->store + v->off, v->len };
}

void match_cpe_format_attr(const struct match_cpe *c, enum match_cpe_attr a, struct buf *out)
{
	const struct match_cpe_value *v = &c->a[a];
	if (v->kind == MATCH_CPE_ANY) {
		buf_putc(out, '*');
		return;
	}
	if (v->kind == MATCH_CPE_NA) {
		buf_putc(out, '-');
		return;
	}
	if (v->pre_star)
		buf_putc(out, '*');
	for (int k = 0; k < v->pre_q; k++)
		buf_putc(out, '?');
	const char *b = c->store + v->off;
	bool lone = v->len == 1 && !v->pre_star && !v->post_star && !v->pre_q && !v->post_q;
	for (size_t i = 0; i < v->len; i++) {
		char ch = b[i];
		if (!(vkey_isalnum(ch) || ch == '_' || ch == '.' || (ch == '-' && !lone)))
			buf_putc(out, '\\');
		buf_putc(out, ch);
	}
	for (int k = 0; k < v->post_q; k++)
		buf_putc(out, '?');
	if (v->post_star)
		buf_putc(out, '*');
}

void match_cpe_format(const struct match_cpe *c, struct buf *out)
{
	buf_puts(out, "cpe:2.3");
	for (int a = 0; a < MATCH_CPE_NATTR; a++) {
		buf_putc(out, ':');
		match_cpe_format_attr(c, (enum match_cpe_attr)a, out);
	}
}

static bool has_wild(const struct match_cpe_value *v)
{
	return v->pre_star || v->post_star || v->pre_q || v->post_q;
}

/* NISTIR 7696 compareStrings: a source with wildcards against a target
 * without. begins / ends: -1 for '*', else the count of '?'. */
static enum match_cpe_rel compare_strings(const char *src, const struct match_cpe_value *sv,
					  const char *tgt, size_t tn)
{
	int begins = sv->pre_star ? -1 : sv->pre_q;
	int ends = sv->post_star ? -1 : sv->post_q;
	size_t sn = sv->len;
	size_t from = 0;
	for (;;) {
		if (sn > tn || from > tn - sn)
			return MATCH_CPE_DISJOINT;
		size_t idx = from;
		while (idx + sn <= tn && memcmp(tgt + idx, src, sn) != 0)
			idx++;
		if (idx + sn > tn)
			return MATCH_CPE_DISJOINT;
		if (idx > 0 && begins != -1 && (size_t)begins < idx)
			return MATCH_CPE_DISJOINT;
		size_t leftover = tn - idx - sn;
		if (leftover > 0 && ends != -1 && leftover > (size_t)ends) {
			from = idx + 1;
			continue;
		}
		return MATCH_CPE_SUPERSET;
	}
}

enum match_cpe_rel match_cpe_compare_attr(const struct match_cpe *src,
					  const struct match_cpe *tgt, enum match_cpe_attr a)
{
	const struct match_cpe_value *s = &src->a[a], *t = &tgt->a[a];
	if (t->kind == MATCH_CPE_VALUE && has_wild(t))
		return MATCH_CPE_UNDEFINED;
	if (s->kind != MATCH_CPE_VALUE || t->kind != MATCH_CPE_VALUE) {
		if (s->kind == t->kind)
			return MATCH_CPE_EQUAL;
		if (s->kind == MATCH_CPE_ANY)
			return MATCH_CPE_SUPERSET;
		if (t->kind == MATCH_CPE_ANY)
			return MATCH_CPE_SUBSET;
		return MATCH_CPE_DISJOINT; /* NA against a value */
	}
	const char *sb = src->store + s->off, *tb = tgt->store + t->off;
	if (!has_wild(s))
		return (s->len == t->len && memcmp(sb, tb, s->len) == 0) ? MATCH_CPE_EQUAL
									  : MATCH_CPE_DISJOINT;
	return compare_strings(sb, s, tb, t->len);
}

bool match_cpe_disjoint(const struct match_cpe *src, const struct match_cpe *tgt)
{
	for (int a = 0; a < MATCH_CPE_NATTR; a++)
		if (match_cpe_compare_attr(src, tgt, (enum match_cpe_attr)a) == MATCH_CPE_DISJOINT)
			return true;
	return false;
}

static bool all_in(const struct match_cpe *src, const struct match_cpe *tgt,
		   enum match_cpe_rel r1, enum match_cpe_rel r2)
{
	for (int a = 0; a < MATCH_CPE_NATTR; a++) {
		enum match_cpe_rel r = match_cpe_compare_attr(src, tgt, (enum match_cpe_attr)a);
		if (r != r1 && r != r2)
			return false;
	}
	return true;
}

bool match_cpe_equal(const struct match_cpe *src, const struct match_cpe *tgt)
{
	return all_in(src, tgt, MATCH_CPE_EQUAL, MATCH_CPE_EQUAL);
}

bool match_cpe_subset(const struct match_cpe *src, const struct match_cpe *tgt)
{
	return all_in(src, tgt, MATCH_CPE_SUBSET, MATCH_CPE_EQUAL);
}

bool match_cpe_superset(const struct match_cpe *src, const struct match_cpe *tgt)
{
	return all_in(src, tgt, MATCH_CPE_SUPERSET, MATCH_CPE_EQUAL);
}

enum bw_err cpe_set_plain(struct match_cpe *c, enum match_cpe_attr a, const char *s,
			  struct bw_error *err)
{
	struct match_cpe_value *v = &c->a[a];
	size_t n = strlen(s);
	memset(v, 0, sizeof *v);
	if (n == 0) {
		v->kind = MATCH_CPE_ANY;
		return BW_OK;
	}
	if (c->used + n > sizeof c->store)
		return cpe_fail(err, a, "is too long");
	v->kind = MATCH_CPE_VALUE;
	v->off = c->used;
	v->len = (uint16_t)n;
	for (size_t i = 0; i < n; i++)
		c->store[c->used++] = vkey_lower(s[i]);
	return BW_OK;
}

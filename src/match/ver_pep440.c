/*
 * ver_pep440: Python package versions (PEP 440) keyed in the order of
 * packaging.version.Version, accepting the same spellings its regular
 * expression accepts (case, "alpha"/"beta"/"c"/"pre"/"preview", "rev"/"r",
 * "-N" post releases, optional separators and numbers, a leading "v").
 *
 * Key: epoch, release with trailing zeros dropped, then pre, post, dev and
 * local, each with marker bytes that reproduce packaging's sort key (a
 * dev-only release sorts before its pre-releases; no pre sorts after any
 * pre; no dev sorts after any dev; no local sorts before any local; a
 * numeric local part sorts after a lettered one).
 */
#include <string.h>

#include "match_int.h"

struct cur {
	const char *p;
	size_t i, n;
};

static bool at_sep(const struct cur *c)
{
	return c->i < c->n && (c->p[c->i] == '-' || c->p[c->i] == '_' || c->p[c->i] == '.');
}

/* Case-insensitive keyword at position i. */
static bool word_at(const struct cur *c, size_t i, const char *w)
{
	size_t n = strlen(w);
	if (i + n > c->n)
		return false;
	for (size_t k = 0; k < n; k++)
		if (vkey_lower(c->p[i + k]) != w[k])
			return false;
	return true;
}

static size_t digits_at(const struct cur *c, size_t i)
{
	size_t j = i;
	while (j < c->n && vkey_isdigit(c->p[j]))
		j++;
	return j - i;
}

/* Tries the keywords longest first; returns the length matched or 0. */
static size_t keyword(const struct cur *c, size_t i, const char *const *words, int *which)
{
	for (int k = 0; words[k]; k++)
		if (word_at(c, i, words[k])) {
			*which = k;
			return strlen(words[k]);
		}
	return 0;
}

/* [-_.]? WORD [-_.]? N?  — a separator after the word is taken only when it
 * leads somewhere (a number, or the end, which the regex also allows). */
static bool labelled(struct cur *c, const char *const *words, int *which,
		     struct str *num, bool *had)
{
	size_t i = c->i;
	if (at_sep(c))
		i++;
	size_t w = keyword(c, i, words, which);
	if (!w)
		return false;
	i += w;
	*had = true;
	num->p = c->p + i;
	num->n = 0;
	if (i < c->n && (c->p[i] == '-' || c->p[i] == '_' || c->p[i] == '.')) {
		size_t d = digits_at(c, i + 1);
		if (d) {
			num->p = c->p + i + 1;
			num->n = d;
			i += 1 + d;
		} else if (i + 1 == c->n) {
			i++;
		}
	} else {
		size_t d = digits_at(c, i);
		num->n = d;
		i += d;
	}
	c->i = i;
	return true;
}

static const char *const pre_words[] = { "preview", "alpha", "beta", "pre", "rc", "a", "b", "c", NULL };
static const int pre_rank[] = { 3, 1, 2, 3, 3, 1, 2, 3 };
static const char *const post_words[] = { "post", "rev", "r", NULL };
static const char *const dev_words[] = { "dev", NULL };

enum bw_err vkey_pep440(struct str v, int side, struct buf *out, struct bw_error *err)
{
	size_t len = out->len;
	v = str_trim(v);
	struct cur c = { v.p, 0, v.n };
	if (c.i < c.n && (c.p[0] == 'v' || c.p[0] == 'V'))
		c.i++;
	/* epoch */
	struct str epoch = { c.p, 0 };
	size_t d = digits_at(&c, c.i);
	if (d && c.i + d < c.n && c.p[c.i + d] == '!') {
		epoch.p = c.p + c.i;
		epoch.n = d;
		c.i += d + 1;
	}
	/* release: N(.N)* */
	struct str rel[64];
	size_t nrel = 0;
	for (;;) {
		d = digits_at(&c, c.i);
		if (!d)
			return vkey_reject(out, len, err, "PEP 440 version needs a release number");
		if (nrel == BW_NELEM(rel))
			return vkey_reject(out, len, err, "too many release parts");
		rel[nrel++] = (struct str){ c.p + c.i, d };
		c.i += d;
		if (c.i + 1 < c.n && c.p[c.i] == '.' && vkey_isdigit(c.p[c.i + 1]))
			c.i++;
		else
			break;
	}
	/* pre */
	int pre_k = -1;
	bool has_pre = false, has_post = false, has_dev = false;
	struct str pre_n = { 0 }, post_n = { 0 }, dev_n = { 0 };
	labelled(&c, pre_words, &pre_k, &pre_n, &has_pre);
	/* post: "-N" or [-_.]? (post|rev|r) [-_.]? N? */
	if (c.i + 1 < c.n && c.p[c.i] == '-' && vkey_isdigit(c.p[c.i + 1])) {
		has_post = true;
		post_n = (struct str){ c.p + c.i + 1, digits_at(&c, c.i + 1) };
		c.i += 1 + post_n.n;
	} else {
		int k;
		labelled(&c, post_words, &k, &post_n, &has_post);
	}
	int k;
	labelled(&c, dev_words, &k, &dev_n, &has_dev);
	/* local: +[a-z0-9]+([-_.][a-z0-9]+)* */
	struct str local = { 0 };
	bool has_local = false;
	if (c.i < c.n && c.p[c.i] == '+') {
		has_local = true;
		local.p = c.p + c.i + 1;
		size_t j = c.i + 1;
		bool need = true;
		while (j < c.n) {
			char ch = c.p[j];
			if (vkey_isalnum(ch)) {
				need = false;
			} else if ((ch == '-' || ch == '_' || ch == '.') && !need) {
				need = true;
			} else {
				break;
			}
			j++;
		}
		if (need)
			return vkey_reject(out, len, err, "bad local version label");
		local.n = j - c.i - 1;
		c.i = j;
	}
	if (c.i != c.n)
		return vkey_reject(out, len, err, "not a valid PEP 440 version at \"%.*s\"",
				   (int)(c.n - c.i), c.p + c.i);

	bool ok = vkey_num(out, epoch.p, epoch.n);
	if (side == MATCH_BOUND_PREFIX) {
		/* "1.0" of "1.0.*": its release numbers as written, then a
		 * byte above anything that can follow them */
		if (has_pre || has_post || has_dev || has_local)
			return vkey_reject(out, len, err, "a version prefix must be release numbers");
		for (size_t i = 0; i < nrel && ok; i++) {
			buf_putc(out, 0x01);
			ok = vkey_num(out, rel[i].p, rel[i].n);
		}
		buf_putc(out, (char)0xff);
		return ok ? BW_OK : vkey_reject(out, len, err, "number in version has too many digits");
	}
	while (nrel > 0) { /* trailing zeros do not count: 1.0 == 1 */
		struct str r = rel[nrel - 1];
		size_t z = 0;
		while (z < r.n && r.p[z] == '0')
			z++;
		if (z != r.n)
			break;
		nrel--;
	}
	for (size_t i = 0; i < nrel && ok; i++) {
		buf_putc(out, 0x01);
		ok = vkey_num(out, rel[i].p, rel[i].n);
	}
	buf_putc(out, 0x00);
	if (has_pre) {
		buf_putc(out, (char)(0x01 + pre_rank[pre_k]));
		ok = ok && vkey_num(out, pre_n.p, pre_n.n);
	} else if (!has_post && has_dev) {
		buf_putc(out, 0x00); /* 1.0.dev0 sorts before 1.0a0 */
	} else {
		buf_putc(out, 0x05);
	}
	if (has_post) {
		buf_putc(out, 0x01);
		ok = ok && vkey_num(out, post_n.p, post_n.n);
	} else {
		buf_putc(out, 0x00);
	}
	if (has_dev) {
		buf_putc(out, 0x01);
		ok = ok && vkey_num(out, dev_n.p, dev_n.n);
	} else {
		buf_putc(out, 0x02);
	}
	if (has_local) {
		buf_putc(out, 0x01);
		size_t i = 0;
		while (i < local.n && ok) {
			size_t j = i;
			bool num = true;
			while (j < local.n && vkey_isalnum(local.p[j])) {
				if (!vkey_isdigit(local.p[j]))
					num = false;
				j++;
			}
			if (num) {
				buf_putc(out, 0x02);
				ok = vkey_num(out, local.p + i, j - i);
			} else {
				buf_putc(out, 0x01);
				for (size_t q = i; q < j; q++)
					buf_putc(out, vkey_lower(local.p[q]));
				buf_putc(out, 0x00);
			}
			i = j + 1;
		}
		buf_putc(out, 0x00);
	} else {
		buf_putc(out, 0x00);
	}
	if (!ok)
		return vkey_reject(out, len, err, "number in version has too many digits");
	return BW_OK;
}

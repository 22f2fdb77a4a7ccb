/*
 * ver_generic: the fallback order for vendor version strings that follow no
 * published scheme ("10.0.19045.3803", "R2 SP1", "2019 CU12", "8.0 Update 3",
 * "1.0.2k", "5.4(2)"), and for CVE records whose versionType is "custom" or
 * absent. The rules, in full:
 *
 *  - Letters are folded to lower case; a leading "v" before a digit is
 *    dropped ("v1.2" == "1.2").
 *  - The string is cut into tokens: runs of digits (numbers) and runs of
 *    letters (words). Everything else only separates tokens, so "1.2",
 *    "1-2" and "1_2" are equal.
 *  - Tokens compare left to right. A number compares by value. A word
 *    compares by its letters. A pre-release word (alpha, beta, rc, pre,
 *    preview, dev, snapshot, milestone, ea, cr) sorts before the end of the
 *    version ("1.0 beta" < "1.0"); any other word sorts after the end but
 *    before a number ("1.0" < "1.0a" < "1.0 sp1" < "1.0.1").
 *  - Zero numbers at the end, or just before a pre-release word, do not
 *    count: "1.0.0" == "1.0" == "1", "1.0.0-beta" == "1.0-beta".
 *  - A string with no digit at all ("latest", "n/a", "*") is unorderable.
 *  - A version that begins with a word ("esp32-c6", "R2 SP1") is
 *    unorderable: it names a build or an edition, and a range written in
 *    numbers ("1.0.0" to "2.0.0") says nothing about it, so it must answer
 *    "cannot tell", never "not affected". A range bound may begin with a
 *    word (its key still orders versions that begin with a number).
 *  - As a prefix bound ("5.0" of "5.0.*") nothing is dropped and the key
 *    ends above any continuation, so 5.0.x are below it and 5.1 above.
 */
#include <string.h>

#include "match_int.h"

enum {
	GEN_PRE = 0x01,
	GEN_END = 0x02,
	GEN_WORD = 0x03,
	GEN_NUM = 0x04,
};

static const char *const pre_words[] = {
	"alpha", "beta", "rc", "pre", "preview", "dev", "snapshot", "milestone",
	"ea", "cr", NULL
};

struct tok {
	const char *p;
	size_t n;
	char kind;
};

static bool is_pre_word(const char *p, size_t n)
{
	for (int k = 0; pre_words[k]; k++) {
		size_t m = strlen(pre_words[k]);
		if (m != n)
			continue;
		size_t i = 0;
		while (i < n && vkey_lower(p[i]) == pre_words[k][i])
			i++;
		if (i == n)
			return true;
	}
	return false;
}

static bool is_zero(const struct tok *t)
{
	if (t->kind != GEN_NUM)
		return false;
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i] != '0')
			return false;
	return true;
}

enum bw_err vkey_generic(struct str v, int side, struct buf *out, struct bw_error *err)
{
	size_t len = out->len;
	bool prefix = side == MATCH_BOUND_PREFIX;
	struct tok t[128];
	size_t nt = 0, i = 0;
	bool digit = false;
	if (v.n > 1 && (v.p[0] == 'v' || v.p[0] == 'V') && vkey_isdigit(v.p[1]))
		i = 1;
	while (i < v.n) {
		char c = v.p[i];
		size_t j = i;
		if (vkey_isdigit(c)) {
			while (j < v.n && vkey_isdigit(v.p[j]))
				j++;
			digit = true;
		} else if (vkey_isalpha(c)) {
			while (j < v.n && vkey_isalpha(v.p[j]))
				j++;
		} else {
			i++;
			continue;
		}
		if (nt == BW_NELEM(t))
			return vkey_reject(out, len, err, "version has too many parts");
		t[nt].p = v.p + i;
		t[nt].n = j - i;
		t[nt].kind = vkey_isdigit(c) ? GEN_NUM
			     : is_pre_word(v.p + i, j - i) ? GEN_PRE : GEN_WORD;
		nt++;
		i = j;
	}
	if (!digit)
		return vkey_reject(out, len, err, "version \"%.*s\" has no number to order by",
				   (int)(v.n > 64 ? 64 : v.n), v.p);
	if (side == 0 && t[0].kind != GEN_NUM)
		return vkey_reject(out, len, err, "version \"%.*s\" begins with a word, not a number",
				   (int)(v.n > 64 ? 64 : v.n), v.p);
	for (size_t k = 0; k < nt; k++) {
		if (!prefix && is_zero(&t[k])) {
			size_t z = k;
			while (z < nt && is_zero(&t[z]))
				z++;
			if (z == nt || t[z].kind == GEN_PRE) {
				k = z - 1;
				continue;
			}
		}
		buf_putc(out, t[k].kind);
		if (t[k].kind == GEN_NUM) {
			if (!vkey_num(out, t[k].p, t[k].n))
				return vkey_reject(out, len, err,
						   "number in version has too many digits");
		} else {
			for (size_t q = 0; q < t[k].n; q++)
				buf_putc(out, vkey_lower(t[k].p[q]));
			buf_putc(out, 0x00);
		}
	}
	/* a prefix: every continuation sorts below 0xff */
	buf_putc(out, prefix ? (char)0xff : GEN_END);
	return BW_OK;
}

/* Plain byte order: the key is the string itself. */
enum bw_err vkey_lexicographic(struct str v, int side, struct buf *out, struct bw_error *err)
{
	(void)side;
	(void)err;
	buf_add(out, v.p, v.n);
	return BW_OK;
}

/*
 * ver_debian: Debian package versions ([epoch:]upstream[-revision]) keyed in
 * dpkg's order (deb-version(7), dpkg's verrevcmp).
 *
 * dpkg reads each part as alternating runs: non-digits compared character by
 * character ('~' before the end of a run, the end before letters, letters
 * before other characters), then digits compared as numbers. A part is an
 * endless series of (non-digits, number) pairs padded with ("", 0), so the
 * key writes the pairs it has, then an end byte that sorts after '~' and
 * before any other character (what the padding would compare as).
 */
#include "match_int.h"

enum {
	DEB_TILDE = 0x01,
	DEB_END = 0x02,     /* end of the part: padding with ("", 0) pairs */
	DEB_RUN_END = 0x03, /* end of a non-digit run */
};

static char deb_weight(char c)
{
	if (c == '~')
		return DEB_TILDE;
	if (vkey_isalpha(c))
		return c;
	return (char)(0x80 + c); /* punctuation after letters */
}

/* Only the first pair can have an empty non-digit run, so it is always
 * written; later pairs are never ("", 0), so nothing else needs trimming. */
static bool deb_part(struct buf *out, const char *p, size_t n, bool prefix)
{
	size_t i = 0;
	bool first = true;
	while (first || i < n) {
		while (i < n && !vkey_isdigit(p[i]))
			buf_putc(out, deb_weight(p[i++]));
		buf_putc(out, DEB_RUN_END);
		size_t j = i;
		while (j < n && vkey_isdigit(p[j]))
			j++;
		if (!vkey_num(out, p + i, j - i))
			return false;
		i = j;
		first = false;
	}
	buf_putc(out, prefix ? (char)0xff : DEB_END);
	return true;
}

enum bw_err vkey_debian(struct str v, int side, struct buf *out, struct bw_error *err)
{
	size_t len = out->len;
	bool prefix = side == MATCH_BOUND_PREFIX;
	v = str_trim(v);
	size_t colon = v.n, dash = v.n;
	for (size_t i = 0; i < v.n; i++) {
		char c = v.p[i];
		if (c == ':' && colon == v.n)
			colon = i;
		if (c == '-')
			dash = i;
	}
	struct str epoch = { v.p, colon == v.n ? 0 : colon };
	size_t up_start = colon == v.n ? 0 : colon + 1;
	if (dash < up_start)
		dash = v.n;
	struct str up = { v.p + up_start, dash - up_start };
	struct str rev = { dash == v.n ? v.p + v.n : v.p + dash + 1,
			   dash == v.n ? 0 : v.n - dash - 1 };
	if (colon != v.n && epoch.n == 0)
		return vkey_reject(out, len, err, "epoch in version is empty");
	for (size_t i = 0; i < epoch.n; i++)
		if (!vkey_isdigit(epoch.p[i]))
			return vkey_reject(out, len, err, "epoch in version is not a number");
	if (up.n == 0)
		return vkey_reject(out, len, err, "upstream version is empty");
	if (dash != v.n && rev.n == 0)
		return vkey_reject(out, len, err, "revision number is empty");
	for (size_t i = 0; i < up.n; i++) {
		char c = up.p[i];
		if (!vkey_isalnum(c) && c != '.' && c != '+' && c != '~' && c != '-' &&
		    c != ':')
			return vkey_reject(out, len, err,
					   "invalid character '%c' in Debian version", c);
	}
	for (size_t i = 0; i < rev.n; i++) {
		char c = rev.p[i];
		if (!vkey_isalnum(c) && c != '.' && c != '+' && c != '~')
			return vkey_reject(out, len, err,
					   "invalid character '%c' in Debian revision", c);
	}
	if (prefix && dash != v.n)
		return vkey_reject(out, len, err, "a version prefix cannot have a revision");
	if (!vkey_num(out, epoch.p, epoch.n) || !deb_part(out, up.p, up.n, prefix) ||
	    (!prefix && !deb_part(out, rev.p, rev.n, false)))
		return vkey_reject(out, len, err, "number in version has too many digits");
	return BW_OK;
}

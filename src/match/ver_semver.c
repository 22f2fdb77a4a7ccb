/*
 * ver_semver: SemVer 2.0 keyed in npm semver's order (strict parsing: an
 * optional "v", no leading zeros, build metadata ignored), and Go module
 * versions (golang.org/x/mod/semver: the same order, "v1" and "v1.2"
 * shorthands, "v" optional because OSV writes Go versions without it).
 *
 * Key: major, minor, patch as numbers; then 0x02 for a release or 0x01 and
 * the pre-release identifiers (a number 0x01+num sorts before a word
 * 0x02+chars+0x00), closed by 0x00 so a shorter list sorts first.
 */
#include "match_int.h"

static bool is_ident_char(char c)
{
	return vkey_isalnum(c) || c == '-';
}

/* Numeric part without leading zeros. */
static size_t num_at(struct str v, size_t i)
{
	size_t j = i;
	while (j < v.n && vkey_isdigit(v.p[j]))
		j++;
	return j - i;
}

/* "5.15" of "5.15.*": the numbers given, then a byte above anything that
 * can follow them. */
static enum bw_err semver_prefix(struct str v, struct buf *out, struct bw_error *err)
{
	size_t len = out->len, i = 0;
	if (i < v.n && v.p[i] == 'v')
		i++;
	for (int k = 0; k < 3; k++) {
		size_t d = num_at(v, i);
		if (!d || !vkey_num(out, v.p + i, d))
			return vkey_reject(out, len, err, "bad version prefix");
		i += d;
		if (i == v.n)
			break;
		if (v.p[i] != '.' || k == 2)
			return vkey_reject(out, len, err, "bad version prefix");
		i++;
	}
	buf_putc(out, (char)0xff);
	return BW_OK;
}

static enum bw_err semver_key(struct str v, bool go, struct buf *out, struct bw_error *err)
{
	size_t len = out->len;
	size_t i = 0;
	if (!go)
		v = str_trim(v);
	if (i < v.n && (v.p[i] == 'v' || (!go && v.p[i] == 'V')))
		i++;
	struct str part[3] = { { "0", 1 }, { "0", 1 }, { "0", 1 } };
	int nparts = 0;
	for (int k = 0; k < 3; k++) {
		size_t d = num_at(v, i);
		if (!d)
			return vkey_reject(out, len, err, "version part %d is not a number", k + 1);
		if (d > 1 && v.p[i] == '0')
			return vkey_reject(out, len, err, "leading zero in version part %d", k + 1);
		part[k] = (struct str){ v.p + i, d };
		nparts++;
		i += d;
		if (k < 2) {
			if (i < v.n && v.p[i] == '.') {
				i++;
				continue;
			}
			/* Go accepts v1 and v1.2, which mean v1.0.0 and v1.2.0,
			 * but not with a pre-release or build suffix. */
			if (go && i == v.n)
				break;
			return vkey_reject(out, len, err, "version needs major.minor.patch");
		}
	}
	bool ok = true;
	for (int k = 0; k < 3 && ok; k++)
		ok = vkey_num(out, part[k].p, part[k].n);
	if (!ok)
		return vkey_reject(out, len, err, "number in version has too many digits");
	(void)nparts;
	if (i < v.n && v.p[i] == '-') {
		i++;
		buf_putc(out, 0x01);
		for (;;) {
			size_t j = i;
			bool num = true;
			while (j < v.n && is_ident_char(v.p[j])) {
				if (!vkey_isdigit(v.p[j]))
					num = false;
				j++;
			}
			if (j == i)
				return vkey_reject(out, len, err, "empty pre-release identifier");
			if (num && j - i > 1 && v.p[i] == '0')
				return vkey_reject(out, len, err,
						   "leading zero in numeric pre-release identifier");
			if (num) {
				buf_putc(out, 0x01);
				if (!vkey_num(out, v.p + i, j - i))
					return vkey_reject(out, len, err,
							   "number in version has too many digits");
			} else {
				buf_putc(out, 0x02);
				buf_add(out, v.p + i, j - i);
				buf_putc(out, 0x00);
			}
			i = j;
			if (i < v.n && v.p[i] == '.') {
				i++;
				continue;
			}
			break;
		}
		buf_putc(out, 0x00);
	} else {
		buf_putc(out, 0x02);
	}
	if (i < v.n && v.p[i] == '+') {
		i++;
		for (;;) {
			size_t j = i;
			while (j < v.n && is_ident_char(v.p[j]))
				j++;
			if (j == i)
				return vkey_reject(out, len, err, "empty build identifier");
			i = j;
			if (i < v.n && v.p[i] == '.') {
				i++;
				continue;
			}
			break;
		}
	}
	if (i != v.n)
		return vkey_reject(out, len, err, "not a valid semantic version at \"%.*s\"",
				   (int)(v.n - i), v.p + i);
	return BW_OK;
}

enum bw_err vkey_semver(struct str v, int side, struct buf *out, struct bw_error *err)
{
	if (side == MATCH_BOUND_PREFIX)
		return semver_prefix(v, out, err);
	return semver_key(v, false, out, err);
}

enum bw_err vkey_go(struct str v, int side, struct buf *out, struct bw_error *err)
{
	if (side == MATCH_BOUND_PREFIX)
		return semver_prefix(v, out, err);
	return semver_key(v, true, out, err);
}

/*
 * ver_rpm: RPM versions ([epoch:]version[-release]) keyed in rpmvercmp's
 * order (rpm 4.18).
 *
 * rpmvercmp skips separators (anything but letters, digits, '~' and '^') and
 * compares tokens: '~' sorts before everything, even the end; '^' sorts
 * after the end but before any segment; a letter segment sorts before a
 * number segment; numbers by value, letters by strcmp. So each token gets a
 * class byte in that order.
 *
 * rpm treats a missing release as equal to every release ("1.2" == "1.2-3").
 * A total order cannot say that, so a key without release sorts first among
 * its version's releases, while range bounds (match_version_key_bound) take
 * the lowest or highest release as the side asks: "< 1.2" excludes 1.2-3 and
 * "<= 1.2" includes it, as rpm would.
 */
#include "match_int.h"

enum {
	RPM_TILDE = 0x01,
	RPM_END = 0x02,
	RPM_CARET = 0x03,
	RPM_ALPHA = 0x04,
	RPM_NUM = 0x05,
};

enum { REL_MIN = 0x01, REL_PRESENT = 0x02, REL_MAX = 0x03 };

static bool rpm_part(struct buf *out, const char *p, size_t n, bool prefix)
{
	size_t i = 0;
	for (;;) {
		while (i < n && !vkey_isalnum(p[i]) && p[i] != '~' && p[i] != '^')
			i++;
		if (i == n)
			break;
		if (p[i] == '~' || p[i] == '^') {
			buf_putc(out, p[i] == '~' ? RPM_TILDE : RPM_CARET);
			i++;
			continue;
		}
		size_t j = i;
		if (vkey_isdigit(p[i])) {
			while (j < n && vkey_isdigit(p[j]))
				j++;
			buf_putc(out, RPM_NUM);
			if (!vkey_num(out, p + i, j - i))
				return false;
		} else {
			while (j < n && vkey_isalpha(p[j]))
				j++;
			buf_putc(out, RPM_ALPHA);
			buf_add(out, p + i, j - i);
			buf_putc(out, 0);
		}
		i = j;
	}
	buf_putc(out, prefix ? (char)0xff : RPM_END);
	return true;
}

enum bw_err vkey_rpm(struct str v, int side, struct buf *out, struct bw_error *err)
{
	size_t len = out->len;
	v = str_trim(v);
	size_t colon = v.n, dash = v.n;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] == ':' && colon == v.n)
			colon = i;
		if (v.p[i] == '-')
			dash = i;
	}
	size_t vs = colon == v.n ? 0 : colon + 1;
	if (dash < vs)
		dash = v.n;
	for (size_t i = 0; i < (colon == v.n ? 0 : colon); i++)
		if (!vkey_isdigit(v.p[i]))
			return vkey_reject(out, len, err, "epoch in version is not a number");
	if (colon != v.n && colon == 0)
		return vkey_reject(out, len, err, "epoch in version is empty");
	if (dash == vs)
		return vkey_reject(out, len, err, "version part is empty");
	bool prefix = side == MATCH_BOUND_PREFIX;
	if (prefix && dash != v.n)
		return vkey_reject(out, len, err, "a version prefix cannot have a release");
	if (!vkey_num(out, v.p, colon == v.n ? 0 : colon) ||
	    !rpm_part(out, v.p + vs, dash - vs, prefix))
		return vkey_reject(out, len, err, "number in version has too many digits");
	if (prefix)
		return BW_OK;
	if (dash == v.n) {
		buf_putc(out, side > 0 ? REL_MAX : REL_MIN);
		return BW_OK;
	}
	buf_putc(out, REL_PRESENT);
	if (!rpm_part(out, v.p + dash + 1, v.n - dash - 1, false))
		return vkey_reject(out, len, err, "number in version has too many digits");
	return BW_OK;
}

/*
 * version: the scheme table, key comparison and the common helpers that the
 * per-scheme files (ver_*.c) build their keys with.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "match_int.h"

static const struct {
	const char *name;   /* canonical (vers) name */
	vkey_fn fn;
} schemes[MATCH_SCHEME_COUNT] = {
	[MATCH_SCHEME_GENERIC] = { "generic", vkey_generic },
	[MATCH_SCHEME_DEBIAN] = { "deb", vkey_debian },
	[MATCH_SCHEME_RPM] = { "rpm", vkey_rpm },
	[MATCH_SCHEME_PEP440] = { "pypi", vkey_pep440 },
	[MATCH_SCHEME_SEMVER] = { "semver", vkey_semver },
	[MATCH_SCHEME_MAVEN] = { "maven", vkey_maven },
	[MATCH_SCHEME_GO] = { "golang", vkey_go },
	[MATCH_SCHEME_NUGET] = { "nuget", vkey_nuget },
	[MATCH_SCHEME_GEM] = { "gem", vkey_gem },
	[MATCH_SCHEME_APK] = { "apk", vkey_apk },
	[MATCH_SCHEME_ALPM] = { "alpm", vkey_alpm },
	[MATCH_SCHEME_GENTOO] = { "gentoo", vkey_gentoo },
	[MATCH_SCHEME_OPENSSL] = { "openssl", vkey_openssl },
	[MATCH_SCHEME_DATETIME] = { "datetime", vkey_datetime },
	[MATCH_SCHEME_LEXICOGRAPHIC] = { "lexicographic", vkey_lexicographic },
};

/* Other names for the same schemes: vers names, OSV ecosystems, purl types. */
static const struct {
	const char *name;
	enum match_scheme s;
} aliases[] = {
	{ "debian", MATCH_SCHEME_DEBIAN },   { "ubuntu", MATCH_SCHEME_DEBIAN },
	{ "dpkg", MATCH_SCHEME_DEBIAN },     { "almalinux", MATCH_SCHEME_RPM },
	{ "rocky linux", MATCH_SCHEME_RPM }, { "red hat", MATCH_SCHEME_RPM },
	{ "opensuse", MATCH_SCHEME_RPM },    { "suse", MATCH_SCHEME_RPM },
	{ "mageia", MATCH_SCHEME_RPM },      { "python", MATCH_SCHEME_PEP440 },
	{ "pep440", MATCH_SCHEME_PEP440 },   { "npm", MATCH_SCHEME_SEMVER },
	{ "go", MATCH_SCHEME_GO },           { "crates.io", MATCH_SCHEME_SEMVER },
	{ "cargo", MATCH_SCHEME_SEMVER },    { "hex", MATCH_SCHEME_SEMVER },
	{ "pub", MATCH_SCHEME_SEMVER },      { "rubygems", MATCH_SCHEME_GEM },
	{ "alpine", MATCH_SCHEME_APK },      { "arch", MATCH_SCHEME_ALPM },
	{ "ebuild", MATCH_SCHEME_GENTOO },   { "custom", MATCH_SCHEME_GENERIC },
	{ "none", MATCH_SCHEME_GENERIC },
};

bool match_scheme_from_name(struct str name, enum match_scheme *out)
{
	/* OSV ecosystems may carry a release: "AlmaLinux:8", "Debian:12". */
	for (size_t i = 0; i < name.n; i++)
		if (name.p[i] == ':') {
			name.n = i;
			break;
		}
	for (int s = 0; s < MATCH_SCHEME_COUNT; s++)
		if (str_case_eq_c(name, schemes[s].name)) {
			*out = (enum match_scheme)s;
			return true;
		}
	for (size_t i = 0; i < BW_NELEM(aliases); i++)
		if (str_case_eq_c(name, aliases[i].name)) {
			*out = aliases[i].s;
			return true;
		}
	return false;
}

const char *match_scheme_name(enum match_scheme s)
{
	if ((unsigned)s < MATCH_SCHEME_COUNT)
		return schemes[s].name;
	return "unknown";
}

const char *match_answer_name(enum match_answer a)
{
	switch (a) {
	case MATCH_AFFECTED: return "affected";
	case MATCH_NOT_AFFECTED: return "not affected";
	case MATCH_UNKNOWN: return "unknown";
	}
	return "unknown";
}

bool vkey_num(struct buf *out, const char *p, size_t n)
{
	while (n > 0 && *p == '0')
		p++, n--;
	if (n > MATCH_LIM_NUM_DIGITS)
		return false;
	buf_putc(out, (char)n);
	buf_add(out, p, n);
	return true;
}

enum bw_err vkey_reject(struct buf *out, size_t len, struct bw_error *err,
			const char *fmt, ...)
{
	out->len = len;
	if (err) {
		err->code = BW_EINVAL;
		snprintf(err->field, sizeof err->field, "version");
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return BW_EINVAL;
}

static enum bw_err key_common(enum match_scheme s, struct str v, int side,
			      struct buf *out, struct bw_error *err)
{
	size_t len = out->len;
	if ((unsigned)s >= MATCH_SCHEME_COUNT)
		return vkey_reject(out, len, err, "unknown version scheme");
	if (v.n == 0)
		return vkey_reject(out, len, err, "empty version");
	if (v.n > MATCH_LIM_VERSION)
		return vkey_reject(out, len, err, "version longer than %d bytes",
				   MATCH_LIM_VERSION);
	for (size_t i = 0; i < v.n; i++)
		if ((unsigned char)v.p[i] < 0x20 || v.p[i] == 0x7f)
			return vkey_reject(out, len, err,
					   "control character in version");
	enum bw_err rc = schemes[s].fn(v, side, out, err);
	if (rc != BW_OK) {
		out->len = len;
		return rc;
	}
	if (out->len - len > MATCH_LIM_KEY)
		return vkey_reject(out, len, err, "version too complex to order");
	return BW_OK;
}

enum bw_err match_version_key(enum match_scheme s, struct str v, struct buf *out,
			      struct bw_error *err)
{
	return key_common(s, v, 0, out, err);
}

enum bw_err match_version_key_bound(enum match_scheme s, struct str v, int side,
				    struct buf *out, struct bw_error *err)
{
	if (side == MATCH_BOUND_PREFIX) {
		if (s != MATCH_SCHEME_GENERIC && s != MATCH_SCHEME_SEMVER && s != MATCH_SCHEME_GO &&
		    s != MATCH_SCHEME_DEBIAN && s != MATCH_SCHEME_RPM && s != MATCH_SCHEME_PEP440)
			return vkey_reject(out, out->len, err,
					   "version prefixes (\"1.2.*\") are not supported for %s",
					   match_scheme_name(s));
		return key_common(s, v, side, out, err);
	}
	return key_common(s, v, side < 0 ? -1 : side > 0 ? 1 : 0, out, err);
}

int match_key_cmp(const void *a, size_t an, const void *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn ? 1 : 0;
}

enum bw_err match_version_cmp(enum match_scheme s, struct str a, struct str b,
			      int *cmp, struct bw_error *err)
{
	struct buf ka, kb;
	buf_init(&ka);
	buf_init(&kb);
	enum bw_err rc = match_version_key(s, a, &ka, err);
	if (rc == BW_OK)
		rc = match_version_key(s, b, &kb, err);
	if (rc == BW_OK)
		*cmp = match_key_cmp(ka.p, ka.len, kb.p, kb.len);
	buf_free(&ka);
	buf_free(&kb);
	return rc;
}

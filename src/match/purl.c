/*
 * purl: package URLs (ECMA-427 / package-url spec): parse, build, validate
 * and write the canonical form, with the per-type rules of the type
 * definitions (namespace required or prohibited, which parts fold case,
 * pypi's '_' to '-', required qualifiers).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "match_int.h"

enum { NS_OPTIONAL, NS_REQUIRED, NS_PROHIBITED };

struct purl_type {
	const char *type;
	int ns;
	bool ns_lower, name_lower, ver_lower;
	const char *required_qualifier;
	enum match_scheme scheme;
};

/* From the purl-spec type definitions (types/TYPE-definition.json). */
static const struct purl_type types[] = {
	{ "alpm", NS_REQUIRED, true, true, false, NULL, MATCH_SCHEME_ALPM },
	{ "apk", NS_REQUIRED, true, true, false, NULL, MATCH_SCHEME_APK },
	{ "bazel", NS_PROHIBITED, false, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "bitbucket", NS_REQUIRED, true, true, false, NULL, MATCH_SCHEME_GENERIC },
	{ "bitnami", NS_PROHIBITED, false, true, false, NULL, MATCH_SCHEME_SEMVER },
	{ "brew", NS_OPTIONAL, true, true, false, NULL, MATCH_SCHEME_GENERIC },
	{ "cargo", NS_PROHIBITED, false, false, false, NULL, MATCH_SCHEME_SEMVER },
	{ "chrome-extension", NS_PROHIBITED, false, true, false, NULL, MATCH_SCHEME_GENERIC },
	{ "cocoapods", NS_PROHIBITED, false, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "composer", NS_REQUIRED, true, true, false, NULL, MATCH_SCHEME_GENERIC },
	{ "conan", NS_OPTIONAL, false, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "conda", NS_PROHIBITED, false, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "cpan", NS_OPTIONAL, false, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "cran", NS_PROHIBITED, false, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "deb", NS_REQUIRED, true, true, false, NULL, MATCH_SCHEME_DEBIAN },
	{ "docker", NS_OPTIONAL, false, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "gem", NS_PROHIBITED, false, false, false, NULL, MATCH_SCHEME_GEM },
	{ "generic", NS_OPTIONAL, false, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "git", NS_REQUIRED, true, true, false, NULL, MATCH_SCHEME_GENERIC },
	{ "github", NS_REQUIRED, true, true, false, NULL, MATCH_SCHEME_GENERIC },
	{ "golang", NS_REQUIRED, false, false, false, NULL, MATCH_SCHEME_GO },
	{ "hackage", NS_PROHIBITED, false, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "hex", NS_OPTIONAL, true, true, false, NULL, MATCH_SCHEME_SEMVER },
	{ "huggingface", NS_REQUIRED, false, false, true, NULL, MATCH_SCHEME_GENERIC },
	{ "julia", NS_PROHIBITED, false, false, false, "uuid", MATCH_SCHEME_SEMVER },
	{ "luarocks", NS_OPTIONAL, true, true, false, NULL, MATCH_SCHEME_GENERIC },
	{ "maven", NS_REQUIRED, false, false, false, NULL, MATCH_SCHEME_MAVEN },
	{ "mlflow", NS_PROHIBITED, false, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "npm", NS_OPTIONAL, false, false, false, NULL, MATCH_SCHEME_SEMVER },
	{ "nuget", NS_PROHIBITED, false, false, false, NULL, MATCH_SCHEME_NUGET },
	{ "oci", NS_PROHIBITED, false, true, true, NULL, MATCH_SCHEME_GENERIC },
	{ "opam", NS_PROHIBITED, false, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "otp", NS_PROHIBITED, false, true, false, NULL, MATCH_SCHEME_GENERIC },
	{ "pub", NS_PROHIBITED, false, true, false, NULL, MATCH_SCHEME_SEMVER },
	{ "pypi", NS_PROHIBITED, false, true, true, NULL, MATCH_SCHEME_PEP440 },
	{ "qpkg", NS_REQUIRED, true, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "rpm", NS_REQUIRED, true, false, false, NULL, MATCH_SCHEME_RPM },
	{ "swid", NS_OPTIONAL, false, false, false, "tag_id", MATCH_SCHEME_GENERIC },
	{ "swift", NS_REQUIRED, false, false, false, NULL, MATCH_SCHEME_SEMVER },
	{ "vcpkg", NS_PROHIBITED, false, false, false, NULL, MATCH_SCHEME_GENERIC },
	{ "vscode-extension", NS_REQUIRED, true, true, true, NULL, MATCH_SCHEME_SEMVER },
	{ "yocto", NS_OPTIONAL, true, false, false, NULL, MATCH_SCHEME_GENERIC },
};

static const struct purl_type *find_type(const char *t)
{
	for (size_t i = 0; i < BW_NELEM(types); i++)
		if (strcmp(types[i].type, t) == 0)
			return &types[i];
	return NULL;
}

enum match_scheme match_purl_scheme(const char *type)
{
	const struct purl_type *t = type ? find_type(type) : NULL;
	return t ? t->scheme : MATCH_SCHEME_GENERIC;
}

static enum bw_err purl_fail(struct bw_error *err, const char *what)
{
	return bw_fail(err, BW_EINVAL, "purl", "package URL %s", what);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = vkey_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes p[0..n) into the arena; NULL on a bad escape. */
static char *decode(struct arena *a, const char *p, size_t n)
{
	char *out = arena_alloc(a, n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '%') {
			if (i + 2 >= n)
				return NULL;
			int hi = hexval(p[i + 1]), lo = hexval(p[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = p[i];
		}
	}
	out[o] = 0;
	return out;
}

static void lower_in_place(char *s)
{
	for (; s && *s; s++)
		*s = vkey_lower(*s);
}

static bool valid_type(const char *t)
{
	if (!t || !vkey_isalpha(t[0]))
		return false;
	for (const char *p = t; *p; p++)
		if (!vkey_isalnum(*p) && *p != '.' && *p != '-')
			return false;
	return true;
}

static bool valid_key(const char *k)
{
	if (!k || !vkey_isalpha(k[0]))
		return false;
	for (const char *p = k; *p; p++)
		if (!vkey_isalnum(*p) && *p != '.' && *p != '-' && *p != '_')
			return false;
	return true;
}

static int cmp_q(const void *x, const void *y)
{
	const struct match_purl_qualifier *a = x, *b = y;
	return strcmp(a->key, b->key);
}

/* Type rules and checks shared by parse and build. */
static enum bw_err finish(struct arena *a, struct match_purl *p, struct bw_error *err)
{
	(void)a;
	if (!p->type || !*p->type)
		return purl_fail(err, "has no type");
	lower_in_place((char *)p->type);
	if (!valid_type(p->type))
		return purl_fail(err, "type must be letters, digits, '.' or '-', starting with a letter");
	if (!p->name || !*p->name)
		return purl_fail(err, "has no name");
	if (p->namespace_ && !*p->namespace_)
		p->namespace_ = NULL;
	if (p->version && !*p->version)
		p->version = NULL;
	if (p->subpath && !*p->subpath)
		p->subpath = NULL;
	const struct purl_type *t = find_type(p->type);
	if (t) {
		if (t->ns == NS_REQUIRED && !p->namespace_)
			return purl_fail(err, "of this type needs a namespace");
		if (t->ns == NS_PROHIBITED && p->namespace_)
			return purl_fail(err, "of this type cannot have a namespace");
		if (t->ns_lower)
			lower_in_place((char *)p->namespace_);
		if (t->name_lower)
			lower_in_place((char *)p->name);
		if (t->ver_lower)
			lower_in_place((char *)p->version);
		if (strcmp(t->type, "pypi") == 0)
			for (char *c = (char *)p->name; *c; c++)
				if (*c == '_')
					*c = '-';
		if (strcmp(t->type, "cpan") == 0 && strstr(p->name, "::"))
			return purl_fail(err, "cpan name is a distribution name and cannot contain \"::\"");
		if (strcmp(t->type, "chrome-extension") == 0) {
			size_t n = strlen(p->name);
			bool ok = n == 32;
			for (size_t i = 0; ok && i < n; i++)
				ok = p->name[i] >= 'a' && p->name[i] <= 'p';
			if (!ok)
				return purl_fail(err, "chrome-extension name must be 32 letters a to p");
			if (p->version) {
				int segs = 1;
				bool digit = false;
				for (const char *c = p->version; *c && ok; c++) {
					if (*c == '.') {
						ok = digit;
						digit = false;
						segs++;
					} else {
						ok = vkey_isdigit(*c);
						digit = true;
					}
				}
				if (!ok || !digit || segs > 4)
					return purl_fail(err, "chrome-extension version must be 1 to 4 numbers");
			}
		}
		if (strcmp(t->type, "mlflow") == 0)
			for (size_t i = 0; i < p->nq; i++)
				if (strcmp(p->q[i].key, "repository_url") == 0 &&
				    strstr(p->q[i].value, "azuredatabricks.net"))
					lower_in_place((char *)p->name); /* Databricks ignores case */
		if (t->required_qualifier) {
			bool found = false;
			for (size_t i = 0; i < p->nq; i++)
				if (strcmp(p->q[i].key, t->required_qualifier) == 0)
					found = true;
			if (!found)
				return bw_fail(err, BW_EINVAL, "purl",
					       "package URL of type %s needs the %s qualifier", t->type,
					       t->required_qualifier);
		}
	}
	qsort(p->q, p->nq, sizeof p->q[0], cmp_q);
	for (size_t i = 1; i < p->nq; i++)
		if (strcmp(p->q[i - 1].key, p->q[i].key) == 0)
			return bw_fail(err, BW_EINVAL, "purl", "package URL repeats qualifier %s",
				       p->q[i].key);
	return BW_OK;
}

/* Splits segments on '/', dropping empty ones, decoding each; NULL when
 * nothing is left. dots: refuse "." and ".." (subpath) instead of keeping. */
static enum bw_err segments(struct arena *a, const char *p, size_t n, bool subpath,
			    const char **out, struct bw_error *err)
{
	struct buf b;
	buf_init(&b);
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && p[j] != '/')
			j++;
		if (j > i) {
			char *seg = decode(a, p + i, j - i);
			if (!seg) {
				buf_free(&b);
				return purl_fail(err, "has a bad %-escape");
			}
			if (strchr(seg, '/')) {
				buf_free(&b);
				return purl_fail(err, subpath ? "subpath segment contains '/'"
							    : "namespace segment contains '/'");
			}
			bool dots = strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0;
			if (!(subpath && dots)) {
				if (b.len)
					buf_putc(&b, '/');
				buf_puts(&b, seg);
			}
		}
		i = j + 1;
	}
	*out = b.len ? arena_strndup(a, b.p, b.len) : NULL;
	buf_free(&b);
	return BW_OK;
}

enum bw_err match_purl_parse(struct arena *a, struct str s, struct match_purl *out,
			     struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	if (s.n > MATCH_LIM_PURL)
		return bw_fail(err, BW_ELIMIT, "purl", "package URL longer than %d bytes",
			       MATCH_LIM_PURL);
	for (size_t i = 0; i < s.n; i++)
		if ((unsigned char)s.p[i] <= 0x20 && s.p[i] != ' ')
			return purl_fail(err, "contains a control character");
	const char *p = s.p;
	size_t n = s.n;
	/* subpath */
	const char *hash = memchr(p, '#', n);
	if (hash) {
		enum bw_err rc = segments(a, hash + 1, (size_t)(p + n - hash - 1), true,
					  &out->subpath, err);
		if (rc != BW_OK)
			return rc;
		n = (size_t)(hash - p);
	}
	/* qualifiers */
	const char *qm = memchr(p, '?', n);
	if (qm) {
		const char *q = qm + 1, *e = p + n;
		while (q < e) {
			const char *amp = memchr(q, '&', (size_t)(e - q));
			const char *end = amp ? amp : e;
			const char *eq = memchr(q, '=', (size_t)(end - q));
			if (end > q) {
				if (!eq)
					return purl_fail(err, "has a qualifier without '='");
				char *key = arena_strndup(a, q, (size_t)(eq - q));
				lower_in_place(key); /* how-to-parse: "the key is the lowercase left side" */
				if (!valid_key(key))
					return bw_fail(err, BW_EINVAL, "purl",
						       "package URL qualifier key \"%s\" is not valid", key);
				char *val = decode(a, eq + 1, (size_t)(end - eq - 1));
				if (!val)
					return purl_fail(err, "has a bad %-escape in a qualifier");
				if (*val) {
					if (out->nq == MATCH_LIM_QUALIFIERS)
						return purl_fail(err, "has too many qualifiers");
					out->q[out->nq].key = key;
					out->q[out->nq].value = val;
					out->nq++;
				}
			}
			q = end + 1;
		}
		n = (size_t)(qm - p);
	}
	/* scheme */
	const char *colon = memchr(p, ':', n);
	if (!colon || colon - p != 3 || strncasecmp(p, "pkg", 3) != 0)
		return purl_fail(err, "must start with \"pkg:\"");
	const char *r = colon + 1, *e = p + n;
	while (r < e && *r == '/')
		r++;
	/* type */
	const char *slash = memchr(r, '/', (size_t)(e - r));
	if (!slash)
		return purl_fail(err, "has no type or no name");
	out->type = arena_strndup(a, r, (size_t)(slash - r));
	lower_in_place((char *)out->type);
	if (!valid_type(out->type))
		return purl_fail(err, "type must be letters, digits, '.' or '-', starting with a letter");
	r = slash + 1;
	/* version: split once from the right on '@', within the last segment
	 * (an npm scope's '@' may be left unencoded) */
	const char *last = e;
	while (last > r && last[-1] != '/')
		last--;
	const char *at = NULL;
	for (const char *c = e; c > last; c--)
		if (c[-1] == '@') {
			at = c - 1;
			break;
		}
	if (at) {
		out->version = decode(a, at + 1, (size_t)(e - at - 1));
		if (!out->version)
			return purl_fail(err, "has a bad %-escape in the version");
		e = at;
		if (e > r && e[-1] == '/')
			return purl_fail(err, "has no name before its version");
	}
	while (e > r && e[-1] == '/')
		e--;
	const char *ns_end = e;
	while (ns_end > r && ns_end[-1] != '/')
		ns_end--;
	if (strcmp(out->type, "git") == 0) {
		/* git: the host is the namespace, the repository path the name */
		const char *first = r;
		while (first < e && *first == '/')
			first++;
		const char *sl = memchr(first, '/', (size_t)(e - first));
		if (sl) {
			out->namespace_ = decode(a, first, (size_t)(sl - first));
			out->name = decode(a, sl + 1, (size_t)(e - sl - 1));
			if (!out->namespace_ || !out->name)
				return purl_fail(err, "has a bad %-escape");
			return finish(a, out, err);
		}
	}
	out->name = decode(a, ns_end, (size_t)(e - ns_end));
	if (!out->name)
		return purl_fail(err, "has a bad %-escape in the name");
	if (!*out->name)
		return purl_fail(err, "has no name");
	if (ns_end > r) {
		enum bw_err rc = segments(a, r, (size_t)(ns_end - r), false, &out->namespace_, err);
		if (rc != BW_OK)
			return rc;
	}
	return finish(a, out, err);
}

enum bw_err match_purl_build(struct arena *a, const char *type, const char *namespace_,
			     const char *name, const char *version,
			     const struct match_purl_qualifier *q, size_t nq, const char *subpath,
			     struct match_purl *out, struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	if (!type || !*type)
		return purl_fail(err, "has no type");
	out->type = arena_strdup(a, type);
	if (namespace_) {
		/* strip and drop empty segments, as parsing does */
		const char *segs;
		struct buf b;
		buf_init(&b);
		for (const char *c = namespace_; *c; c++)
			if (*c == '%')
				buf_puts(&b, "%25");
			else
				buf_putc(&b, *c);
		enum bw_err rc = segments(a, b.p ? b.p : "", b.len, false, &segs, err);
		buf_free(&b);
		if (rc != BW_OK)
			return rc;
		out->namespace_ = segs;
	}
	if (name) {
		const char *s = name, *e = name + strlen(name);
		while (*s == '/')
			s++;
		while (e > s && e[-1] == '/')
			e--;
		out->name = arena_strndup(a, s, (size_t)(e - s));
	}
	out->version = version ? arena_strdup(a, version) : NULL;
	if (nq > MATCH_LIM_QUALIFIERS)
		return purl_fail(err, "has too many qualifiers");
	for (size_t i = 0; i < nq; i++) {
		char *key = arena_strdup(a, q[i].key);
		lower_in_place(key);
		if (!valid_key(key))
			return bw_fail(err, BW_EINVAL, "purl",
				       "package URL qualifier key \"%s\" is not valid", key);
		if (!q[i].value || !*q[i].value)
			continue;
		out->q[out->nq].key = key;
		out->q[out->nq].value = arena_strdup(a, q[i].value);
		out->nq++;
	}
	if (subpath) {
		struct buf b;
		buf_init(&b);
		for (const char *c = subpath; *c; c++)
			if (*c == '%')
				buf_puts(&b, "%25");
			else
				buf_putc(&b, *c);
		enum bw_err rc = segments(a, b.p ? b.p : "", b.len, true, &out->subpath, err);
		buf_free(&b);
		if (rc != BW_OK)
			return rc;
	}
	return finish(a, out, err);
}

/* Alphanumerics, ".-_~" and ':' stay; everything else is %XX. keep_slash
 * for namespace and subpath joins. */
static void encode(struct buf *out, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (vkey_isalnum((char)c) || c == '.' || c == '-' || c == '_' || c == '~' ||
		    c == ':' || (keep_slash && c == '/')) {
			buf_putc(out, (char)c);
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}

void match_purl_format(const struct match_purl *p, struct buf *out)
{
	buf_puts(out, "pkg:");
	buf_puts(out, p->type);
	buf_putc(out, '/');
	if (p->namespace_) {
		encode(out, p->namespace_, true);
		buf_putc(out, '/');
	}
	encode(out, p->name, strcmp(p->type, "git") == 0);
	if (p->version) {
		buf_putc(out, '@');
		encode(out, p->version, false);
	}
	for (size_t i = 0; i < p->nq; i++) {
		buf_putc(out, i == 0 ? '?' : '&');
		buf_puts(out, p->q[i].key);
		buf_putc(out, '=');
		if (strcmp(p->q[i].key, "checksum") == 0) {
			/* a list of checksums keeps its ',' separators encoded */
			encode(out, p->q[i].value, false);
		} else {
			encode(out, p->q[i].value, false);
		}
	}
	if (p->subpath) {
		buf_putc(out, '#');
		encode(out, p->subpath, true);
	}
}

static bool eq_opt(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool match_purl_same_package(const struct match_purl *a, const struct match_purl *b)
{
	return eq_opt(a->type, b->type) && eq_opt(a->namespace_, b->namespace_) &&
	       eq_opt(a->name, b->name);
}

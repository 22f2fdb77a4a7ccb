/*
 * parse: the Cookie header, urlencoded forms and query strings, and
 * percent-decoding (see parse.h). Written for hostile input: every length is
 * bounded by base/limits.h, nothing is read past the given length, and
 * anything a later C string function could misread (NUL, bad UTF-8) is
 * refused here, once.
 */
#include <string.h>

#include "parse.h"

/* RFC 6265 §4.1.1 cookie-octet: US-ASCII except CTLs, whitespace, DQUOTE,
 * comma, semicolon and backslash. */
static bool cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
	       (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

bool http_cookie_get(const char *header, const char *name, char *out, size_t outlen)
{
	if (!header || !name || !out || outlen == 0)
		return false;
	size_t name_len = strlen(name);
	if (name_len == 0)
		return false;
	const char *p = header;
	/* Browsers separate pairs with "; "; being lenient about the spaces
	 * (RFC 6265 §5.4) costs nothing and matches what they actually send. */
	for (int pairs = 0; *p && pairs < LIM_COOKIES; pairs++) {
		const char *end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		struct str pair = { p, (size_t)(end - p) };
		p = *end ? end + 1 : end;
		while (pair.n && is_ows(pair.p[0]))
			pair.p++, pair.n--;
		while (pair.n && is_ows(pair.p[pair.n - 1]))
			pair.n--;
		const char *eq = memchr(pair.p, '=', pair.n);
		if (!eq)
			continue;
		struct str key = { pair.p, (size_t)(eq - pair.p) };
		while (key.n && is_ows(key.p[key.n - 1]))
			key.n--;
		if (key.n != name_len || memcmp(key.p, name, name_len) != 0)
			continue;
		struct str val = { eq + 1, (size_t)(pair.p + pair.n - (eq + 1)) };
		while (val.n && is_ows(val.p[0]))
			val.p++, val.n--;
		if (val.n >= 2 && val.p[0] == '"' && val.p[val.n - 1] == '"')
			val.p++, val.n -= 2;
		for (size_t i = 0; i < val.n; i++)
			if (!cookie_octet((unsigned char)val.p[i]))
				return false;
		if (val.n >= outlen)
			return false;
		memcpy(out, val.p, val.n);
		out[val.n] = '\0';
		return true;
	}
	return false;
}

static int hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum bw_err http_url_decode(const char *in, size_t n, bool plus_is_space, char *out,
			    size_t *outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '%') {
			if (n - i < 3)   /* both digits must lie inside the input */
				goto bad;
			int hi = hex_val((unsigned char)in[i + 1]);
			int lo = hex_val((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c == '\0')
			goto bad;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (!bw_valid_utf8(out, o))
		goto bad;
	*outlen = o;
	return BW_OK;
bad:
	out[0] = '\0';
	*outlen = 0;
	return BW_EINVAL;
}

/* A field name fit to quote back in an error: printable ASCII, cut short. */
static void printable_name(const char *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)p[i];
		out[o++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
	}
	out[o] = '\0';
}

static bool has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			return true;
	return false;
}

static enum bw_err parse_pairs(struct arena *arena, const char *s, size_t len,
			       struct form_field **fields, size_t *n, struct bw_error *err)
{
	*fields = NULL;
	*n = 0;
	if (!s)
		len = 0;
	/* Count first so the array is one allocation; refusing an over-long
	 * list here also bounds all the work that follows. */
	size_t count = 0;
	for (size_t i = 0; i < len;) {
		const char *amp = memchr(s + i, '&', len - i);
		size_t seg = amp ? (size_t)(amp - (s + i)) : len - i;
		if (seg > 0 && ++count > LIM_FIELDS)
			return bw_fail(err, BW_ELIMIT, "",
				       "The form has more than %d fields.", LIM_FIELDS);
		i += seg + 1;
	}
	struct form_field *f = arena_alloc(arena, sizeof *f * (count ? count : 1));
	size_t k = 0;
	for (size_t i = 0; i < len;) {
		const char *amp = memchr(s + i, '&', len - i);
		size_t seg = amp ? (size_t)(amp - (s + i)) : len - i;
		const char *p = s + i;
		i += seg + 1;
		if (seg == 0)
			continue;
		const char *eq = memchr(p, '=', seg);
		size_t nlen = eq ? (size_t)(eq - p) : seg;
		const char *v = eq ? eq + 1 : p + seg;
		size_t vlen = eq ? seg - nlen - 1 : 0;
		char shown[LIM_FIELD_NAME + 1];
		printable_name(p, nlen, shown, sizeof shown);

		/* Decoding never lengthens, so a raw part within 3x the limit
		 * is all we ever copy; longer cannot decode to within it. */
		if (nlen > 3 * LIM_FIELD_NAME)
			return bw_fail(err, BW_ELIMIT, shown,
				       "A field name is longer than %d characters.", LIM_FIELD_NAME);
		char *name = arena_alloc(arena, nlen + 1);
		size_t dn;
		if (http_url_decode(p, nlen, true, name, &dn) != BW_OK || has_control(name, dn))
			return bw_fail(err, BW_EINVAL, shown,
				       "The field name \"%s\" is not valid: it has a bad %%-encoding, "
				       "a control character or text that is not UTF-8.", shown);
		if (dn == 0)
			return bw_fail(err, BW_EINVAL, "", "A form field has no name.");
		/* errors below quote the decoded name, as printable ASCII so a
		 * cut-short copy in err->field is never broken UTF-8 */
		printable_name(name, dn, shown, sizeof shown);
		if (dn > LIM_FIELD_NAME)
			return bw_fail(err, BW_ELIMIT, shown,
				       "A field name is longer than %d characters.", LIM_FIELD_NAME);
		if (vlen > 3 * (size_t)LIM_FIELD_VALUE)
			return bw_fail(err, BW_ELIMIT, shown,
				       "The field \"%s\" is longer than %d bytes.", shown, LIM_FIELD_VALUE);
		char *value = arena_alloc(arena, vlen + 1);
		size_t dv;
		if (http_url_decode(v, vlen, true, value, &dv) != BW_OK)
			return bw_fail(err, BW_EINVAL, shown,
				       "The field \"%s\" is not valid: it has a bad %%-encoding, a NUL "
				       "byte or text that is not UTF-8.", shown);
		if (dv > LIM_FIELD_VALUE)
			return bw_fail(err, BW_ELIMIT, shown,
				       "The field \"%s\" is longer than %d bytes.", shown, LIM_FIELD_VALUE);
		f[k].name = name;
		f[k].value = value;
		k++;
	}
	*fields = f;
	*n = k;
	return BW_OK;
}

enum bw_err http_form_parse(struct arena *arena, const char *body, size_t len,
			    struct form_field **fields, size_t *n, struct bw_error *err)
{
	return parse_pairs(arena, body, len, fields, n, err);
}

enum bw_err http_query_parse(struct arena *arena, const char *query, size_t len,
			     struct form_field **fields, size_t *n, struct bw_error *err)
{
	if (query && len && query[0] == '?')
		query++, len--;
	return parse_pairs(arena, query, len, fields, n, err);
}

const char *http_form_get(const struct form_field *fields, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fields[i].name, name) == 0)
			return fields[i].value;
	return NULL;
}

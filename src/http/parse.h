/*
 * http/parse: pure parsers for what a client sends — the Cookie header
 * (RFC 6265), application/x-www-form-urlencoded bodies and query strings,
 * and percent-decoding. No I/O and no allocation outside the caller's arena,
 * so each is fuzzed on its own (fuzz/cookie.c, fuzz/form.c). Every limit
 * comes from base/limits.h. Depends on base only.
 */
#ifndef BW_HTTP_PARSE_H
#define BW_HTTP_PARSE_H

#include "base/base.h"

/* One decoded field: both strings are NUL-terminated, valid UTF-8 and free
 * of NUL bytes (a NUL is refused, so C string functions see all of it). */
struct form_field {
	char *name, *value;
};

/*
 * Finds cookie `name` in a Cookie request header ("a=1; b=2") and copies its
 * value (surrounding double quotes removed) into out. Names compare exactly.
 * If a name appears more than once the first wins: browsers send the most
 * specific path first. True only if found, its value is made of RFC 6265
 * cookie-octets and it fits in outlen (with its NUL); only the first
 * LIM_COOKIES pairs are looked at.
 */
bool http_cookie_get(const char *cookie_header, const char *name, char *out, size_t outlen);

/*
 * Parses an application/x-www-form-urlencoded body into an array of fields
 * allocated in arena (*fields; *n of them, in order; duplicates kept).
 * '+' is a space, %XX a byte. Refused with err naming the field:
 * invalid %XX, invalid UTF-8, NUL bytes, control characters in a name, an
 * empty name (BW_EINVAL); more than LIM_FIELDS fields, a name longer than
 * LIM_FIELD_NAME or a value longer than LIM_FIELD_VALUE bytes (BW_ELIMIT).
 * On failure *fields is NULL and *n is 0.
 */
enum bw_err http_form_parse(struct arena *arena, const char *body, size_t len,
			    struct form_field **fields, size_t *n, struct bw_error *err);

/* The same for a URL's query string (a leading '?' is allowed). */
enum bw_err http_query_parse(struct arena *arena, const char *query, size_t len,
			     struct form_field **fields, size_t *n, struct bw_error *err);

/*
 * Percent-decodes in[0..n) into out, which must have room for n + 1 bytes
 * (decoding never grows); *outlen gets the decoded length, out is
 * NUL-terminated. With plus_is_space '+' becomes ' ' (forms, queries; not
 * paths). BW_EINVAL on a bad %XX, a NUL byte or invalid UTF-8.
 */
enum bw_err http_url_decode(const char *in, size_t n, bool plus_is_space, char *out,
			    size_t *outlen);

/* The value of the first field called name, or NULL. */
const char *http_form_get(const struct form_field *fields, size_t n, const char *name);

#endif

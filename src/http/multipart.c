/*
 * multipart: multipart/form-data bodies (RFC 7578 over RFC 2046 framing).
 * Parts are found by searching for CRLF "--" boundary; each part's headers
 * are read up to the blank line, and only Content-Disposition (name,
 * filename) and Content-Type matter. Anything the framing does not allow —
 * a missing closing delimiter, a part without a name, headers without an
 * end — is refused rather than guessed at.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/multipart.h"

static bool bchar_ok(unsigned char c)
{
	/* RFC 2046 bchars, less space (a trailing space is not allowed anyway) */
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       strchr("'()+_,-./:=?", c) != NULL;
}

bool http_multipart_boundary(const char *ct, char *out, size_t cap)
{
	if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0)
		return false;
	const char *p = ct + 19;
	while (*p) {
		while (*p == ';' || *p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) == 0) {
			p += 9;
			bool quoted = *p == '"';
			if (quoted)
				p++;
			size_t n = 0;
			while (p[n] && (quoted ? p[n] != '"' : (p[n] != ';' && p[n] != ' ')))
				n++;
			if (quoted && p[n] != '"')
				return false;
			if (n == 0 || n > LIM_BOUNDARY || n + 1 > cap)
				return false;
			for (size_t i = 0; i < n; i++)
				if (!bchar_ok((unsigned char)p[i]) && !(quoted && p[i] == ' '))
					return false;
			memcpy(out, p, n);
			out[n] = 0;
			return true;
		}
		while (*p && *p != ';')
			p++;
	}
	return false;
}

/* A parameter of a Content-Disposition value: name="x" (quoted or token).
 * Writes an arena copy to *out; false when absent. */
static bool disposition_param(struct arena *a, const char *h, size_t hn, const char *key,
			      char **out)
{
	size_t kl = strlen(key);
	size_t i = 0;
	while (i < hn) {
		/* parameters start after ';' */
		while (i < hn && h[i] != ';')
			i++;
		if (i >= hn)
			return false;
		i++;
		while (i < hn && (h[i] == ' ' || h[i] == '\t'))
			i++;
		if (i + kl + 1 <= hn && strncasecmp(h + i, key, kl) == 0 && h[i + kl] == '=') {
			i += kl + 1;
			if (i < hn && h[i] == '"') {
				size_t s = ++i;
				while (i < hn && h[i] != '"')
					i++;
				if (i >= hn)
					return false;
				*out = arena_strndup(a, h + s, i - s);
			} else {
				size_t s = i;
				while (i < hn && h[i] != ';' && h[i] != ' ')
					i++;
				*out = arena_strndup(a, h + s, i - s);
			}
			return true;
		}
	}
	return false;
}

static const char *basename_of(const char *f)
{
	const char *s = f;
	for (const char *p = f; *p; p++)
		if (*p == '/' || *p == '\\')
			s = p + 1;
	return s;
}

struct part_head {
	char *name, *filename, *ctype;
};

/* Reads the headers of one part from p[0..n); *body_at gets the offset of
 * its content. */
static enum bw_err read_headers(struct arena *a, const char *p, size_t n, struct part_head *h,
				size_t *body_at, struct bw_error *err)
{
	size_t lim = n < LIM_PART_HEADERS ? n : LIM_PART_HEADERS;
	const char *end = memmem(p, lim, "\r\n\r\n", 4);
	size_t hlen;
	if (n >= 2 && p[0] == '\r' && p[1] == '\n') {
		hlen = 0;   /* a part with no headers at all */
		*body_at = 2;
	} else if (!end) {
		return bw_fail(err, n > LIM_PART_HEADERS ? BW_ELIMIT : BW_EINVAL, "body",
			       "A part of the form has headers that are too long or do not end");
	} else {
		hlen = (size_t)(end - p) + 2;
		*body_at = hlen + 2;
	}
	*h = (struct part_head){ 0 };
	size_t i = 0;
	while (i < hlen) {
		const char *line = p + i;
		const char *eol = memmem(line, hlen - i, "\r\n", 2);
		size_t ln = eol ? (size_t)(eol - line) : hlen - i;
		i += ln + 2;
		for (size_t k = 0; k < ln; k++)
			if ((unsigned char)line[k] < 0x20 && line[k] != '\t')
				return bw_fail(err, BW_EINVAL, "body", "A part of the form has a control character in its headers");
		if (ln > 20 && strncasecmp(line, "Content-Disposition:", 20) == 0) {
			const char *v = line + 20;
			size_t vn = ln - 20;
			while (vn && (*v == ' ' || *v == '\t'))
				v++, vn--;
			if (vn < 9 || strncasecmp(v, "form-data", 9) != 0)
				return bw_fail(err, BW_EINVAL, "body", "A part of the form is not form-data");
			if (!disposition_param(a, v, vn, "name", &h->name))
				return bw_fail(err, BW_EINVAL, "body", "A part of the form has no name");
			disposition_param(a, v, vn, "filename", &h->filename);
		} else if (ln > 13 && strncasecmp(line, "Content-Type:", 13) == 0) {
			const char *v = line + 13;
			size_t vn = ln - 13;
			while (vn && (*v == ' ' || *v == '\t'))
				v++, vn--;
			h->ctype = arena_strndup(a, v, vn);
		}
	}
	if (!h->name)
		return bw_fail(err, BW_EINVAL, "body", "A part of the form has no name");
	return BW_OK;
}

enum bw_err http_multipart_parse(struct arena *a, const char *content_type, const char *body,
				 size_t len, struct form_field **fields, size_t *nfields,
				 struct http_upload **uploads, size_t *nuploads, struct bw_error *err)
{
	*fields = NULL, *nfields = 0, *uploads = NULL, *nuploads = 0;
	char boundary[LIM_BOUNDARY + 1];
	if (!http_multipart_boundary(content_type, boundary, sizeof boundary))
		return bw_fail(err, BW_EINVAL, "body", "The form upload has no valid boundary");
	char delim[LIM_BOUNDARY + 5];
	int dn = snprintf(delim, sizeof delim, "\r\n--%s", boundary);
	if (dn < 0 || (size_t)dn >= sizeof delim)
		return bw_fail(err, BW_EINVAL, "body", "The form upload has no valid boundary");
	struct form_field *f = arena_alloc(a, sizeof *f * LIM_FIELDS);
	struct http_upload *u = arena_alloc(a, sizeof *u * LIM_UPLOADS);
	size_t nf = 0, nu = 0;

	/* the first delimiter may come without the CRLF before it */
	size_t pos;
	if (len >= (size_t)dn - 2 && memcmp(body, delim + 2, (size_t)dn - 2) == 0) {
		pos = (size_t)dn - 2;
	} else {
		const char *first = memmem(body, len, delim, (size_t)dn);
		if (!first)
			return bw_fail(err, BW_EINVAL, "body", "The form upload has no parts");
		pos = (size_t)(first - body) + (size_t)dn;
	}
	for (;;) {
		/* after a delimiter: "--" ends the body, CRLF starts a part */
		if (len - pos >= 2 && body[pos] == '-' && body[pos + 1] == '-')
			break;
		if (len - pos < 2 || body[pos] != '\r' || body[pos + 1] != '\n')
			return bw_fail(err, BW_EINVAL, "body", "The form upload is cut short or badly framed");
		pos += 2;
		struct part_head h;
		size_t at = 0;
		if (read_headers(a, body + pos, len - pos, &h, &at, err) != BW_OK)
			return err->code;
		pos += at;
		const char *next = memmem(body + pos, len - pos, delim, (size_t)dn);
		if (!next)
			return bw_fail(err, BW_EINVAL, "body", "The form upload is cut short: its last part does not end");
		size_t plen = (size_t)(next - (body + pos));
		size_t nl = strlen(h.name);
		if (nl == 0 || nl > LIM_FIELD_NAME || !bw_valid_utf8(h.name, nl))
			return bw_fail(err, nl > LIM_FIELD_NAME ? BW_ELIMIT : BW_EINVAL, "body",
				       "A part of the form has a name that is empty, too long or not UTF-8");
		if (nf + nu >= LIM_FIELDS)
			return bw_fail(err, BW_ELIMIT, "body", "The form has more than %d fields", LIM_FIELDS);
		if (h.filename) {
			if (nu >= LIM_UPLOADS)
				return bw_fail(err, BW_ELIMIT, h.name, "Send at most %d files at once", LIM_UPLOADS);
			const char *fn = basename_of(h.filename);
			size_t fl = strlen(fn);
			if (fl > LIM_FILENAME || !bw_valid_utf8(fn, fl))
				return bw_fail(err, BW_EINVAL, h.name, "The file name is too long or not UTF-8");
			u[nu++] = (struct http_upload){ h.name, fn, h.ctype ? h.ctype : "application/octet-stream",
							body + pos, plen };
		} else {
			if (plen > LIM_FIELD_VALUE)
				return bw_fail(err, BW_ELIMIT, h.name, "%s is longer than %d bytes", h.name, LIM_FIELD_VALUE);
			if (memchr(body + pos, 0, plen) || !bw_valid_utf8(body + pos, plen))
				return bw_fail(err, BW_EINVAL, h.name, "%s is not valid text", h.name);
			f[nf++] = (struct form_field){ h.name, arena_strndup(a, body + pos, plen) };
		}
		pos = (size_t)(next - body) + (size_t)dn;
	}
	*fields = f, *nfields = nf, *uploads = u, *nuploads = nu;
	return BW_OK;
}

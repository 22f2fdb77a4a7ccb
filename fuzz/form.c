/* fuzz-form: http_form_parse and http_query_parse on arbitrary bodies.
 * Checks the promises callers rely on: on success every name and value is
 * valid UTF-8 without NUL within the limits, no more than LIM_FIELDS
 * fields; on failure nothing is returned and the error names a code.
 * Also re-encodes the fields and parses them again: same fields back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			buf_putc(b, (char)c);
		} else if (c == ' ') {
			buf_putc(b, '+');
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			buf_add(b, e, 3);
		}
	}
}

static void check(const struct form_field *f, size_t n)
{
	if (n > LIM_FIELDS)
		abort();
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(f[i].name), vl = strlen(f[i].value);
		if (nl == 0 || nl > LIM_FIELD_NAME || vl > LIM_FIELD_VALUE)
			abort();
		if (!bw_valid_utf8(f[i].name, nl) || !bw_valid_utf8(f[i].value, vl))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > LIM_BODY)
		return 0;
	/* exact-size copy, not NUL-terminated: the parser must honour len */
	char *body = malloc(size ? size : 1);
	memcpy(body, data, size);
	struct arena a;
	arena_init(&a);
	struct form_field *f;
	size_t n;
	struct bw_error err = { 0 };
	enum bw_err r = http_form_parse(&a, body, size, &f, &n, &err);
	if (r == BW_OK) {
		check(f, n);
		struct buf b;
		buf_init(&b);
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_putc(&b, '&');
			encode(&b, f[i].name);
			buf_putc(&b, '=');
			encode(&b, f[i].value);
		}
		struct form_field *g;
		size_t m;
		if (http_form_parse(&a, b.p ? b.p : "", b.len, &g, &m, &err) != BW_OK || m != n)
			abort();
		for (size_t i = 0; i < n; i++)
			if (strcmp(f[i].name, g[i].name) || strcmp(f[i].value, g[i].value))
				abort();
		buf_free(&b);
	} else if (f != NULL || n != 0 || (r != BW_EINVAL && r != BW_ELIMIT) || !err.msg[0]) {
		abort();
	}
	if (http_query_parse(&a, body, size, &f, &n, &err) == BW_OK)
		check(f, n);
	arena_free(&a);
	free(body);
	return 0;
}

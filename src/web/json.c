/*
 * json: a small streaming JSON writer for API responses and the two
 * envelopes every API answer uses: {"error":{...}} and {"data":[...],
 * "page":{"next":...}}. The writer places commas and colons itself; strings
 * are escaped so the output is valid JSON and valid UTF-8 whatever the input
 * bytes, and < > & are \u-escaped so a response can never be read as HTML.
 */
#include <stdlib.h>
#include <string.h>

#include "web.h"
#include "web_int.h"

void web_json_quote(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	buf_putc(b, '"');
	if (s) {
		const unsigned char *p = (const unsigned char *)s;
		size_t n = strlen(s);
		for (size_t i = 0; i < n;) {
			size_t len;
			int32_t cp = web_utf8_next(p + i, n - i, &len);
			if (cp < 0) {
				buf_puts(b, "\\ufffd");
			} else if (cp == '"') {
				buf_add(b, "\\\"", 2);
			} else if (cp == '\\') {
				buf_add(b, "\\\\", 2);
			} else if (cp == '\n') {
				buf_add(b, "\\n", 2);
			} else if (cp == '\r') {
				buf_add(b, "\\r", 2);
			} else if (cp == '\t') {
				buf_add(b, "\\t", 2);
			} else if (cp < 0x20 || cp == '<' || cp == '>' || cp == '&' || cp == 0x7F ||
				   cp == 0x2028 || cp == 0x2029) {
				/* U+2028/9 end a line in older JavaScript parsers. */
				char e[6] = { '\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15],
					      hex[(cp >> 4) & 15], hex[cp & 15] };
				buf_add(b, e, 6);
			} else {
				buf_add(b, p + i, len);
			}
			i += len;
		}
	}
	buf_putc(b, '"');
}

void web_json_init(struct web_json *j, struct buf *b)
{
	j->b = b;
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
}

/* Before any value: a comma unless it is the first in its container, and
 * nothing after a key (the key wrote its colon). */
static void json_value_prefix(struct web_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		buf_putc(j->b, ',');
	j->first[j->depth] = false;
}

static void json_open(struct web_json *j, char open, char close)
{
	json_value_prefix(j);
	/* How deeply a response nests is fixed by the code, never by data, so
	 * going past the limit is a programming error caught by any test. */
	if (j->depth >= LIM_JSON_DEPTH)
		abort();
	buf_putc(j->b, open);
	j->depth++;
	j->first[j->depth] = true;
	j->close[j->depth] = close;
}

void web_json_object(struct web_json *j)
{
	json_open(j, '{', '}');
}

void web_json_array(struct web_json *j)
{
	json_open(j, '[', ']');
}

void web_json_end(struct web_json *j)
{
	if (j->depth == 0)
		abort();
	buf_putc(j->b, j->close[j->depth]);
	j->depth--;
	j->after_key = false;
}

void web_json_key(struct web_json *j, const char *key)
{
	json_value_prefix(j);
	web_json_quote(j->b, key);
	buf_putc(j->b, ':');
	j->after_key = true;
}

void web_json_str(struct web_json *j, const char *s)
{
	if (!s) {
		web_json_null(j);
		return;
	}
	json_value_prefix(j);
	web_json_quote(j->b, s);
}

void web_json_int(struct web_json *j, int64_t v)
{
	json_value_prefix(j);
	buf_printf(j->b, "%lld", (long long)v);
}

void web_json_bool(struct web_json *j, bool v)
{
	json_value_prefix(j);
	buf_puts(j->b, v ? "true" : "false");
}

void web_json_null(struct web_json *j)
{
	json_value_prefix(j);
	buf_puts(j->b, "null");
}

void web_json_error(struct buf *b, const struct bw_error *err)
{
	struct web_json j;
	web_json_init(&j, b);
	web_json_object(&j);
	web_json_key(&j, "error");
	web_json_object(&j);
	web_json_key(&j, "code");
	web_json_str(&j, bw_err_name(err->code));
	web_json_key(&j, "message");
	web_json_str(&j, err->msg);
	web_json_key(&j, "field");
	web_json_str(&j, err->field[0] ? err->field : NULL);
	web_json_end(&j);
	web_json_end(&j);
}

void web_json_list_begin(struct web_json *j, struct buf *b)
{
	web_json_init(j, b);
	web_json_object(j);
	web_json_key(j, "data");
	web_json_array(j);
}

void web_json_list_end(struct web_json *j, const char *next)
{
	web_json_end(j);
	web_json_key(j, "page");
	web_json_object(j);
	web_json_key(j, "next");
	web_json_str(j, next);
	web_json_end(j);
	web_json_end(j);
}

/*
 * jtape: one pass over the text, no recursion (an explicit stack of open
 * containers, max_depth deep), one token per value and per key.
 */
#include <stdlib.h>
#include <string.h>

#include "jtape.h"

enum { ST_VALUE, ST_FIRST_KEY, ST_KEY, ST_FIRST_VALUE, ST_AFTER };

struct jparse {
	struct jtape *j;
	const unsigned char *p, *end, *start;
	uint32_t *stack;
	int depth, max_depth;
	struct bw_error *err;
};

static enum bw_err fail_at(struct jparse *ps, const unsigned char *at, enum bw_err code, const char *what)
{
	long line = 1, col = 1;
	for (const unsigned char *q = ps->start; q < at && q < ps->end; q++) {
		if (*q == '\n')
			line++, col = 1;
		else if ((*q & 0xC0) != 0x80)
			col++;
	}
	ps->j->n = 0;
	return bw_fail(ps->err, code, "file", "line %ld, column %ld: %s", line, col, what);
}

static uint32_t push_tok(struct jparse *ps, enum jt_type type, const unsigned char *at, size_t len)
{
	struct jtape *j = ps->j;
	if (j->n == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 1024;
		j->t = realloc(j->t, j->cap * sizeof *j->t);
		if (!j->t)
			abort();
	}
	uint32_t i = (uint32_t)j->n++;
	j->t[i] = (struct jt_tok){ .start = (uint32_t)(at - ps->start), .len = (uint32_t)len, .next = i + 1,
				   .type = (uint8_t)type };
	return i;
}

/* Length of the valid UTF-8 sequence at q (a byte >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *q, const unsigned char *end)
{
	size_t len = (*q & 0xE0) == 0xC0 ? 2 : (*q & 0xF0) == 0xE0 ? 3 : (*q & 0xF8) == 0xF0 ? 4 : 0;
	if (!len || (size_t)(end - q) < len || !bw_valid_utf8((const char *)q, len))
		return 0;
	return len;
}

/* A string whose opening quote is at ps->p; ps->p ends after its closing one. */
static enum bw_err read_string(struct jparse *ps)
{
	const unsigned char *q = ps->p + 1, *end = ps->end;
	bool escaped = false;
	for (;;) {
		while (q < end && *q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\')
			q++;
		if (q >= end)
			return fail_at(ps, ps->p, BW_EINVAL, "a string is not closed");
		unsigned c = *q;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail_at(ps, q, BW_EINVAL, "a control character inside a string (write it as an escape)");
		if (c >= 0x80) {
			size_t len = utf8_seq(q, end);
			if (!len)
				return fail_at(ps, q, BW_EINVAL, "not valid UTF-8 text");
			q += len;
			continue;
		}
		/* a backslash */
		escaped = true;
		if (end - q < 2)
			return fail_at(ps, ps->p, BW_EINVAL, "a string is not closed");
		c = q[1];
		if (c == 'u') {
			const char *h = (const char *)q;
			uint32_t u = 0, lo = 0;
			if (end - q < 6 || !bw_hex4(h + 2, &u))
				return fail_at(ps, q, BW_EINVAL, "\\u must be followed by four hex digits");
			if (u == 0)
				return fail_at(ps, q, BW_EINVAL, "\\u0000 is not allowed in a string");
			if (u >= 0xDC00 && u <= 0xDFFF)
				return fail_at(ps, q, BW_EINVAL, "a \\u escape is half of a surrogate pair without its first half");
			if (u >= 0xD800 && u <= 0xDBFF) {
				if (end - q < 12 || h[6] != '\\' || h[7] != 'u' || !bw_hex4(h + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
					return fail_at(ps, q, BW_EINVAL, "a \\u escape is half of a surrogate pair without its second half");
				q += 6;
			}
			q += 6;
		} else if (c && strchr("\"\\/bfnrt", (int)c)) {
			q += 2;
		} else {
			return fail_at(ps, q, BW_EINVAL, "an unknown escape in a string");
		}
	}
	uint32_t i = push_tok(ps, JT_STRING, ps->p + 1, (size_t)(q - ps->p - 1));
	ps->j->t[i].escaped = escaped;
	ps->p = q + 1;
	return BW_OK;
}

static bool digits(const unsigned char **q, const unsigned char *end)
{
	const unsigned char *s = *q;
	while (*q < end && **q >= '0' && **q <= '9')
		(*q)++;
	return *q > s;
}

static enum bw_err read_number(struct jparse *ps)
{
	const unsigned char *q = ps->p, *end = ps->end;
	if (*q == '-')
		q++;
	if (q < end && *q == '0')
		q++;
	else if (!digits(&q, end))
		return fail_at(ps, ps->p, BW_EINVAL, "a number has no digits");
	if (q < end && *q == '.' && (q++, !digits(&q, end)))
		return fail_at(ps, q, BW_EINVAL, "a number's fraction has no digits");
	if (q < end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (!digits(&q, end))
			return fail_at(ps, q, BW_EINVAL, "a number's exponent has no digits");
	}
	push_tok(ps, JT_NUMBER, ps->p, (size_t)(q - ps->p));
	ps->p = q;
	return BW_OK;
}

static enum bw_err read_word(struct jparse *ps, const char *w, enum jt_type type)
{
	size_t n = strlen(w);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0)
		return fail_at(ps, ps->p, BW_EINVAL, "unexpected text (not a JSON value)");
	push_tok(ps, type, ps->p, n);
	ps->p += n;
	return BW_OK;
}

static void skip_ws(struct jparse *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
		ps->p++;
}

/* A value at ps->p: a scalar is read whole; a container is opened. */
static enum bw_err read_value(struct jparse *ps, int *state)
{
	if (ps->p >= ps->end)
		return fail_at(ps, ps->p, BW_EINVAL, "the text ends where a value was expected");
	unsigned c = *ps->p;
	enum bw_err rc;
	if (c == '{' || c == '[') {
		if (ps->depth >= ps->max_depth)
			return fail_at(ps, ps->p, BW_ELIMIT, "nested too deep");
		ps->stack[ps->depth++] = push_tok(ps, c == '{' ? JT_OBJECT : JT_ARRAY, ps->p, 1);
		ps->p++;
		*state = c == '{' ? ST_FIRST_KEY : ST_FIRST_VALUE;
		return BW_OK;
	}
	if (c == '"')
		rc = read_string(ps);
	else if (c == '-' || (c >= '0' && c <= '9'))
		rc = read_number(ps);
	else if (c == 't')
		rc = read_word(ps, "true", JT_TRUE);
	else if (c == 'f')
		rc = read_word(ps, "false", JT_FALSE);
	else if (c == 'n')
		rc = read_word(ps, "null", JT_NULL);
	else
		rc = fail_at(ps, ps->p, BW_EINVAL, "unexpected character (not a JSON value)");
	*state = ST_AFTER;
	return rc;
}

static void close_container(struct jparse *ps)
{
	struct jt_tok *t = &ps->j->t[ps->stack[--ps->depth]];
	t->next = (uint32_t)ps->j->n;
	t->len = (uint32_t)(ps->p + 1 - ps->start) - t->start;
	ps->p++;
}

static enum bw_err run(struct jparse *ps)
{
	int state = ST_VALUE;
	for (;;) {
		skip_ws(ps);
		enum bw_err rc = BW_OK;
		switch (state) {
		case ST_VALUE:
			rc = read_value(ps, &state);
			break;
		case ST_FIRST_VALUE:
			if (ps->p < ps->end && *ps->p == ']') {
				close_container(ps);
				state = ST_AFTER;
			} else {
				rc = read_value(ps, &state);
			}
			break;
		case ST_FIRST_KEY:
			if (ps->p < ps->end && *ps->p == '}') {
				close_container(ps);
				state = ST_AFTER;
				break;
			}
			/* fall through */
		case ST_KEY:
			if (ps->p >= ps->end || *ps->p != '"')
				return fail_at(ps, ps->p, BW_EINVAL, "expected a key in double quotes");
			if ((rc = read_string(ps)) != BW_OK)
				return rc;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail_at(ps, ps->p, BW_EINVAL, "expected ':' after a key");
			ps->p++;
			state = ST_VALUE;
			break;
		case ST_AFTER:
			if (ps->depth == 0) {
				if (ps->p < ps->end)
					return fail_at(ps, ps->p, BW_EINVAL, "text after the end of the document");
				return BW_OK;
			}
			bool in_obj = ps->j->t[ps->stack[ps->depth - 1]].type == JT_OBJECT;
			if (ps->p < ps->end && *ps->p == ',') {
				ps->p++;
				state = in_obj ? ST_KEY : ST_VALUE;
			} else if (ps->p < ps->end && *ps->p == (in_obj ? '}' : ']')) {
				close_container(ps);
			} else {
				return fail_at(ps, ps->p, BW_EINVAL, in_obj ? "expected ',' or '}'" : "expected ',' or ']'");
			}
			break;
		}
		if (rc != BW_OK)
			return rc;
	}
}

enum bw_err jt_parse(struct jtape *j, const char *p, size_t n, int max_depth, struct bw_error *err)
{
	memset(j, 0, sizeof *j);
	j->src = p;
	if (n >= UINT32_MAX)
		return bw_fail(err, BW_ELIMIT, "file", "the text is larger than 4 GB");
	struct jparse ps = { .j = j, .p = (const unsigned char *)p, .end = (const unsigned char *)p + n,
			     .start = (const unsigned char *)p, .max_depth = max_depth > 0 ? max_depth : 1, .err = err };
	ps.stack = malloc((size_t)ps.max_depth * sizeof *ps.stack);
	if (!ps.stack)
		abort();
	push_tok(&ps, JT_NONE, ps.p, 0);
	enum bw_err rc = run(&ps);
	free(ps.stack);
	return rc;
}

void jt_free(struct jtape *j)
{
	free(j->t);
	memset(j, 0, sizeof *j);
}

/* Writes string token t unescaped to out (room for t->len + 1 bytes: no
 * escape is shorter than what it stands for); returns the length. */
static size_t unescape(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		char c = s[++i];
		if (c != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			out[o++] = to[strchr(from, c) - from];
			continue;
		}
		uint32_t u = 0, lo = 0;   /* checked by read_string */
		bw_hex4(s + i + 1, &u);
		i += 4;
		if (u >= 0xD800 && u <= 0xDBFF) {
			bw_hex4(s + i + 3, &lo);
			u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			i += 6;
		}
		o += bw_utf8_put(out + o, u);
	}
	out[o] = 0;
	return o;
}

static bool key_is(const struct jtape *j, const struct jt_tok *k, const char *key, size_t klen)
{
	const char *s = j->src + k->start;
	if (!k->escaped)
		return k->len == klen && memcmp(s, key, klen) == 0;
	if (k->len < klen)
		return false;
	char small[256], *out = k->len < sizeof small ? small : malloc(k->len + 1);
	if (!out)
		abort();
	bool eq = unescape(s, k->len, out) == klen && memcmp(out, key, klen) == 0;
	if (out != small)
		free(out);
	return eq;
}

uint32_t jt_get(const struct jtape *j, uint32_t o, const char *key)
{
	if (jt_type(j, o) != JT_OBJECT)
		return 0;
	size_t klen = strlen(key);
	uint32_t found = 0;
	for (uint32_t k = o + 1; k < j->t[o].next; k = j->t[k + 1].next)
		if (key_is(j, &j->t[k], key, klen))
			found = k + 1;
	return found;
}

const char *jt_str(const struct jtape *j, uint32_t v, struct arena *a)
{
	if (jt_type(j, v) != JT_STRING)
		return NULL;
	const struct jt_tok *t = &j->t[v];
	if (!t->escaped)
		return arena_strndup(a, j->src + t->start, t->len);
	char *out = arena_alloc(a, (size_t)t->len + 1);
	unescape(j->src + t->start, t->len, out);
	return out;
}

const char *jt_get_str(const struct jtape *j, uint32_t o, const char *key, struct arena *a)
{
	return jt_str(j, jt_get(j, o, key), a);
}

uint32_t jt_first(const struct jtape *j, uint32_t arr)
{
	return jt_type(j, arr) == JT_ARRAY && j->t[arr].next > arr + 1 ? arr + 1 : 0;
}

uint32_t jt_next(const struct jtape *j, uint32_t arr, uint32_t e)
{
	uint32_t n = j->t[e].next;
	return n < j->t[arr].next ? n : 0;
}

/*
 * jtape: a JSON reader that checks a whole document (RFC 8259, UTF-8) in one
 * pass and records its values as a flat tape of tokens pointing into the
 * text: no tree, no allocation per value, no copy until a string is asked
 * for. For the importers of large documents (SBOMs), where building a tree
 * of every value cost more than everything done with the values after.
 * Objects keep their keys in document order; a key given twice reads as its
 * last value. "\u0000" is refused (strings come out as C strings).
 */
#ifndef BW_JTAPE_H
#define BW_JTAPE_H

#include <stdint.h>

#include "base.h"

enum jt_type { JT_NONE = 0, JT_OBJECT, JT_ARRAY, JT_STRING, JT_NUMBER, JT_TRUE, JT_FALSE, JT_NULL };

struct jt_tok {
	uint32_t start, len;  /* the text: a string's without its quotes, a container's from its bracket */
	uint32_t next;        /* the token after this value and everything inside it */
	uint8_t type;
	uint8_t escaped;      /* a string holding backslash escapes */
};

/* Token 0 is unused, so 0 means "no value"; the document's value is token 1.
 * In an object each key (a JT_STRING) is followed by its value. */
struct jtape {
	const char *src;
	struct jt_tok *t;
	size_t n, cap;
};

/* Checks p[0..n) and fills j. On failure err says where ("line 3, column
 * 14: ...") with field "file", and j is left empty; jt_free either way.
 * Containers nest at most max_depth deep. */
enum bw_err jt_parse(struct jtape *j, const char *p, size_t n, int max_depth, struct bw_error *err);
void jt_free(struct jtape *j);

static inline enum jt_type jt_type(const struct jtape *j, uint32_t v)
{
	return v && v < j->n ? (enum jt_type)j->t[v].type : JT_NONE;
}

/* Object o's value under key, or 0 (also when o is not an object). */
uint32_t jt_get(const struct jtape *j, uint32_t o, const char *key);
/* String v unescaped into a, NUL-terminated; NULL when v is not a string. */
const char *jt_str(const struct jtape *j, uint32_t v, struct arena *a);
/* jt_str(jt_get(...)) */
const char *jt_get_str(const struct jtape *j, uint32_t o, const char *key, struct arena *a);

/* Array elements: for (uint32_t e = jt_first(j, arr); e; e = jt_next(j, arr, e)). */
uint32_t jt_first(const struct jtape *j, uint32_t arr);
uint32_t jt_next(const struct jtape *j, uint32_t arr, uint32_t e);

#endif

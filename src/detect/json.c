/*
 * json: one JSON record into an event, without allocating and, where a
 * string has no escapes, without copying. The common Windows shapes flatten
 * onto the same field names:
 *   evtx_dump:   Event.System.X -> X; System element attributes ->
 *                Element_Attr (Provider_Name, TimeCreated_SystemTime);
 *                Event.EventData / UserData leaves -> their own names
 *   NXLog flat:  top-level keys as they are
 *   Winlogbeat:  event_data.X / winlog.event_data.X -> X; other nested
 *                objects -> dotted paths (winlog.channel; renamed by the mapping)
 *   Azure:       EventData holding <Data Name="X">v</Data> XML as a string
 * Arrays of scalars give one value each under the same name.
 */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "internal.h"

enum mode { M_TOP, M_EVENT, M_SYSTEM, M_SYSELEM, M_LEAF, M_PATH };

struct jp {
	const char *p, *end;
	struct det_event *ev;
	const struct detect_engine *e;
	int depth;
	bool eof;      /* the input ended before the record did */
};

/* true (and noted) when the input has ended at p */
static inline bool at_end(struct jp *j, const char *p)
{
	if (p < j->end)
		return false;
	j->eof = true;
	return true;
}

static inline void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

/* The first '"' or backslash in p[0..end), or end: one pass over the bytes,
 * 16 at a time where SSE2 is there (every x86-64). */
static inline const char *special(const char *p, const char *end)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	for (; end - p >= 16; p += 16) {
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)p);
		int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(c, quote),
						       _mm_cmpeq_epi8(c, bslash)));
		if (m)
			return p + __builtin_ctz((unsigned)m);
	}
#endif
	for (; p < end; p++)
		if (*p == '"' || *p == '\\')
			return p;
	return end;
}

/* d[0..n) = s[0..n) for the few dozen bytes before a string's first
 * escape, inline: a memcpy call costs more than the copy at this size.
 * Reads and writes nothing outside the two ranges. */
static inline void copy_short(char *d, const char *s, size_t n)
{
	if (n >= 16) {
#if defined(__SSE2__)
		for (size_t i = 0; i + 16 <= n; i += 16)
			_mm_storeu_si128((__m128i *)(void *)(d + i),
					 _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
		_mm_storeu_si128((__m128i *)(void *)(d + n - 16),
				 _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16)));
#else
		memcpy(d, s, n);
#endif
	} else if (n >= 8) {
		uint64_t a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	}
}

/* what each single-character escape stands for; 0: not one ('u' apart) */
static const char unescaped[256] = {
	['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b', ['f'] = '\f', ['n'] = '\n',
	['r'] = '\r', ['t'] = '\t',
};

/* The string from s on, q at its first backslash: unescaped into scratch,
 * copying the runs between escapes whole. Out of line: most strings (every
 * key, most values) have no escape and take jstring's few instructions. */
__attribute__((noinline))
static bool jstring_escaped(struct jp *j, const char *s, const char *q, const char **out,
			    size_t *n)
{
	struct buf *sc = &j->ev->scratch;
	char *d0 = sc->p + sc->len, *d = d0;
	copy_short(d, s, (size_t)(q - s));
	d += q - s;
	for (;;) {
		/* q is at a backslash */
		if (at_end(j, ++q))
			return false;
		/* a table, not a switch: Windows paths make `\\` most of the
		 * escapes, and an indirect jump per escape mispredicts */
		char esc = unescaped[(unsigned char)*q];
		if (esc) {
			*d++ = esc;
		} else if (*q == 'u') {
			uint32_t cp, lo;
			if (j->end - q < 5) {
				j->eof = true;
				return false;
			}
			if (!bw_hex4(q + 1, &cp))
				return false;
			q += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && j->end - q >= 7 && q[1] == '\\' &&
			    q[2] == 'u' && bw_hex4(q + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				q += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd;  /* lone surrogate */
			}
			d += bw_utf8_put(d, cp);
		} else {
			return false;
		}
		/* copy up to the next quote, backslash or raw control character
		 * (refused after the first escape; the zero-copy path does not
		 * look for them), 16 bytes at a time: each block is stored whole
		 * and the output advanced by what was plain */
		q++;
		/* "\r\n" in messages: an escape right after an escape skips
		 * the block search */
		if (q < j->end && *q == '\\')
			continue;
		for (;;) {
#if defined(__SSE2__)
			if (j->end - q >= 16) {
				__m128i c = _mm_loadu_si128((const __m128i *)(const void *)q);
				_mm_storeu_si128((__m128i *)(void *)d, c);
				__m128i ctl = _mm_andnot_si128(
					_mm_cmpeq_epi8(c, _mm_set1_epi8('\t')),
					_mm_cmpeq_epi8(_mm_min_epu8(c, _mm_set1_epi8(0x1f)), c));
				__m128i sp = _mm_or_si128(_mm_or_si128(
					_mm_cmpeq_epi8(c, _mm_set1_epi8('"')),
					_mm_cmpeq_epi8(c, _mm_set1_epi8('\\'))), ctl);
				unsigned m = (unsigned)_mm_movemask_epi8(sp);
				if (!m) {
					q += 16;
					d += 16;
					continue;
				}
				unsigned k = (unsigned)__builtin_ctz(m);
				q += k;
				d += k;
				break;
			}
#endif
			while (q < j->end && *q != '"' && *q != '\\' &&
			       ((unsigned char)*q >= 0x20 || *q == '\t'))
				*d++ = *q++;
			break;
		}
		if (at_end(j, q) || (*q != '"' && *q != '\\'))
			return false;
		if (*q == '"')
			break;
	}
	*d = 0;
	*out = d0;
	*n = (size_t)(d - d0);
	sc->len += *n + 1;
	j->p = q + 1;
	return true;
}

/* At '"'. Zero-copy when there is no escape. */
static inline bool jstring(struct jp *j, const char **out, size_t *n)
{
	const char *s = ++j->p;
	const char *q = special(s, j->end);
	if (at_end(j, q))
		return false;
	if (*q == '"') {
		*out = s;
		*n = (size_t)(q - s);
		j->p = q + 1;
		return true;
	}
	return jstring_escaped(j, s, q, out, n);
}

/* At a key's '"': the key the event cache expects next (records of one
 * shape repeat their keys in order), taken without a search when the raw
 * bytes are that key and a closing quote. Cached keys hold no '"' or
 * backslash, so jstring would have returned the same bytes. */
static inline bool key_expected(struct jp *j, const char **k, size_t *kn)
{
	const struct det_event *ev = j->ev;
	const struct det_key_slot *ks = &ev->keys[ev->kctx];
	size_t n = ks->n;
	const char *s = j->p + 1;
	if (n > DET_KEY_MAX || (size_t)(j->end - s) <= n || s[n] != '"' || !det_key_eq(ks->key, s, n))
		return false;
	*k = s;
	*kn = n;
	j->p = s + n + 1;
	return true;
}

static bool add(struct jp *j, const char *name, size_t nn, const char *p, size_t n, bool null)
{
	if (!det_event_add(j->ev, j->e, name, nn, p, n, null))
		return !j->ev->oversize ? true : false;
	return true;
}

/* XML entities in Azure's EventData string */
static size_t xml_unescape(const char *s, size_t n, char *d)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '&') {
			d[o++] = s[i];
			continue;
		}
		const char *semi = memchr(s + i, ';', n - i < 12 ? n - i : 12);
		if (!semi) {
			d[o++] = s[i];
			continue;
		}
		size_t len = (size_t)(semi - (s + i));
		const char *ent = s + i + 1;
		char c = 0;
		if (len == 3 && !memcmp(ent, "amp", 3))
			c = '&';
		else if (len == 2 && !memcmp(ent, "lt", 2))
			c = '<';
		else if (len == 2 && !memcmp(ent, "gt", 2))
			c = '>';
		else if (len == 4 && !memcmp(ent, "quot", 4))
			c = '"';
		else if (len == 4 && !memcmp(ent, "apos", 4))
			c = '\'';
		if (c) {
			d[o++] = c;
			i += len;
		} else if (len > 1 && ent[0] == '#') {
			uint32_t cp = 0;
			bool hex = ent[1] == 'x';
			bool ok = true;
			for (size_t k = hex ? 2 : 1; k < len && ok; k++) {
				int h = hex ? bw_hexval(ent[k]) : (ent[k] >= '0' && ent[k] <= '9' ? ent[k] - '0' : -1);
				ok = h >= 0 && cp < 0x110000;
				cp = cp * (hex ? 16 : 10) + (uint32_t)h;
			}
			if (ok && cp < 0x110000 && cp > 0) {
				o += bw_utf8_put(d + o, cp);
				i += len;
			} else {
				d[o++] = s[i];
			}
		} else {
			d[o++] = s[i];
		}
	}
	return o;
}

/* <Data Name="X">value</Data> pairs out of an XML string */
static bool xml_data(struct jp *j, const char *s, size_t n)
{
	const char *end = s + n;
	static const char tag[] = "<Data Name=\"";
	for (const char *p = s; p < end;) {
		const char *t = memmem(p, (size_t)(end - p), tag, sizeof tag - 1);
		if (!t)
			break;
		const char *nm = t + sizeof tag - 1;
		const char *q = memchr(nm, '"', (size_t)(end - nm));
		if (!q)
			break;
		const char *gt = memchr(q, '>', (size_t)(end - q));
		if (!gt)
			break;
		const char *val = gt + 1, *vend = val;
		if (gt[-1] != '/') {
			vend = memmem(val, (size_t)(end - val), "</Data>", 7);
			if (!vend)
				break;
			p = vend + 7;
		} else {
			p = val;
		}
		char *d = j->ev->scratch.p + j->ev->scratch.len;
		size_t dn = xml_unescape(val, (size_t)(vend - val), d);
		d[dn] = 0;
		j->ev->scratch.len += dn + 1;
		if (!add(j, nm, (size_t)(q - nm), d, dn, false))
			return false;
	}
	return true;
}

static bool value(struct jp *j, enum mode m, const char *name, size_t nn, const char *path,
		  size_t pn);

static bool object(struct jp *j, enum mode m, const char *pname, size_t pnn, const char *path,
		   size_t pn)
{
	if (++j->depth > DETECT_LIM_DEPTH)
		return false;
	j->p++; /* { */
	ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		j->depth--;
		return true;
	}
	for (;;) {
		ws(j);
		if (at_end(j, j->p) || *j->p != '"')
			return false;
		const char *k;
		size_t kn;
		if (!key_expected(j, &k, &kn) && !jstring(j, &k, &kn))
			return false;
		ws(j);
		if (at_end(j, j->p) || *j->p != ':')
			return false;
		j->p++;
		ws(j);
		if (at_end(j, j->p))
			return false;
		char c = *j->p;
		enum mode sub = m;
		const char *nm = k;
		size_t nmn = kn;
		char pbuf[256];
		const char *np = path;
		size_t npn = pn;
		bool attrs = kn == 11 && !memcmp(k, "#attributes", 11);
		bool text = kn == 5 && !memcmp(k, "#text", 5);
		switch (m) {
		case M_TOP:
			if (c == '{') {
				if (kn == 5 && !memcmp(k, "Event", 5))
					sub = M_EVENT;
				else if ((kn == 9 && !memcmp(k, "EventData", 9)) ||
					 (kn == 8 && !memcmp(k, "UserData", 8)) ||
					 (kn == 10 && !memcmp(k, "event_data", 10)))
					sub = M_LEAF;
				else
					sub = M_PATH, np = k, npn = kn;
			} else if (c == '"' && kn == 9 && !memcmp(k, "EventData", 9)) {
				const char *s;
				size_t sn;
				if (!jstring(j, &s, &sn))
					return false;
				if (sn && s[0] == '<') {
					if (!xml_data(j, s, sn))
						return false;
				} else if (!add(j, k, kn, s, sn, false)) {
					return false;
				}
				goto next;
			}
			break;
		case M_EVENT:
			if (attrs) {
				sub = M_LEAF; /* xmlns: harmless */
				if (c == '{') {
					nm = NULL;
				}
			} else if (kn == 6 && !memcmp(k, "System", 6)) {
				sub = M_SYSTEM;
			} else {
				sub = M_LEAF;
			}
			break;
		case M_SYSTEM:
			sub = M_SYSELEM;  /* Provider: {#attributes: {Name}} -> Provider_Name */
			break;
		case M_SYSELEM:
			if (attrs) {
				sub = M_SYSELEM;
				nm = pname;
				nmn = pnn;
				np = "#a";
			} else if (text || !strcmp(path ? path : "", "#a")) {
				if (!strcmp(path ? path : "", "#a")) {
					/* attribute of element pname: pname_attr */
					if (pnn + 1 + kn >= sizeof pbuf)
						return false;
					memcpy(pbuf, pname, pnn);
					pbuf[pnn] = '_';
					memcpy(pbuf + pnn + 1, k, kn);
					nm = pbuf;
					nmn = pnn + 1 + kn;
				} else {
					nm = pname;
					nmn = pnn;
				}
			}
			break;
		case M_LEAF:
			if (text) {
				nm = pname;
				nmn = pnn;
			} else if (attrs && c == '{') {
				/* attributes of a leaf element carry no event data */
				sub = M_LEAF;
				nm = NULL;
			}
			break;
		case M_PATH:
			if (c == '{' && kn == 10 && !memcmp(k, "event_data", 10)) {
				sub = M_LEAF;
			} else {
				if (pn + 1 + kn >= sizeof pbuf)
					return false;
				memcpy(pbuf, path, pn);
				pbuf[pn] = '.';
				memcpy(pbuf + pn + 1, k, kn);
				np = pbuf;
				npn = pn + 1 + kn;
				nm = pbuf;
				nmn = npn;
			}
			break;
		}
		if (!value(j, sub, nm, nmn, np, npn))
			return false;
next:
		ws(j);
		if (at_end(j, j->p))
			return false;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == '}') {
			j->p++;
			j->depth--;
			return true;
		}
		return false;
	}
}

static bool skip_literal(struct jp *j, const char *lit, size_t n)
{
	if ((size_t)(j->end - j->p) < n) {
		j->eof = true;
		return false;
	}
	if (memcmp(j->p, lit, n) != 0)
		return false;
	j->p += n;
	return true;
}

static bool value(struct jp *j, enum mode m, const char *name, size_t nn, const char *path,
		  size_t pn)
{
	char c = *j->p;
	if (c == '{')
		return object(j, m, name, nn, path, pn);
	if (c == '[') {
		if (++j->depth > DETECT_LIM_DEPTH)
			return false;
		j->p++;
		ws(j);
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			j->depth--;
			return true;
		}
		for (;;) {
			ws(j);
			if (at_end(j, j->p) || !value(j, m == M_TOP ? M_PATH : m, name, nn, name, nn))
				return false;
			ws(j);
			if (at_end(j, j->p))
				return false;
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p == ']') {
				j->p++;
				j->depth--;
				return true;
			}
			return false;
		}
	}
	const char *s;
	size_t sn;
	bool null = false;
	if (c == '"') {
		if (!jstring(j, &s, &sn))
			return false;
	} else if (c == 't') {
		s = j->p;
		sn = 4;
		if (!skip_literal(j, "true", 4))
			return false;
	} else if (c == 'f') {
		s = j->p;
		sn = 5;
		if (!skip_literal(j, "false", 5))
			return false;
	} else if (c == 'n') {
		s = j->p;
		sn = 0;
		null = true;
		if (!skip_literal(j, "null", 4))
			return false;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		s = j->p;
		while (j->p < j->end && (*j->p == '-' || *j->p == '+' || *j->p == '.' || *j->p == 'e' ||
					 *j->p == 'E' || (*j->p >= '0' && *j->p <= '9')))
			j->p++;
		sn = (size_t)(j->p - s);
	} else {
		return false;
	}
	if (!name)
		return true;
	return add(j, name, nn, s, sn, null);
}

/* Valid UTF-8 (as bw_valid_utf8 defines it: no overlongs, surrogates or
 * code points past U+10FFFF), with ASCII runs passed 16 bytes at a time:
 * one pass over a record that is nearly all ASCII. */
static bool valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e) {
#if defined(__SSE2__)
		/* 64 bytes per test while all of them are ASCII */
		while (e - p >= 64) {
			__m128i c = _mm_or_si128(
				_mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)p),
					     _mm_loadu_si128((const __m128i *)(const void *)(p + 16))),
				_mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + 32)),
					     _mm_loadu_si128((const __m128i *)(const void *)(p + 48))));
			if (_mm_movemask_epi8(c))
				break;
			p += 64;
		}
		while (e - p >= 16) {
			__m128i c = _mm_loadu_si128((const __m128i *)(const void *)p);
			int m = _mm_movemask_epi8(c);
			if (m) {
				p += __builtin_ctz((unsigned)m);
				break;
			}
			p += 16;
		}
		if (p >= e)
			break;
#endif
		unsigned c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		size_t len;
		unsigned min;
		if ((c & 0xE0) == 0xC0)
			len = 2, min = 0x80, c &= 0x1F;
		else if ((c & 0xF0) == 0xE0)
			len = 3, min = 0x800, c &= 0x0F;
		else if ((c & 0xF8) == 0xF0)
			len = 4, min = 0x10000, c &= 0x07;
		else
			return false;
		if ((size_t)(e - p) < len)
			return false;
		for (size_t i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			c = (c << 6) | (p[i] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return false;
		p += len;
	}
	return true;
}

enum det_parse det_json_event(struct det_event *ev, const struct detect_engine *e,
			      const char *p, size_t n)
{
	det_event_reset(ev, n);
	if (!valid_utf8(p, n))
		return PARSE_BAD_UTF8;
	struct jp j = { p, p + n, ev, e, 0, false };
	ws(&j);
	if (j.p >= j.end || *j.p != '{')
		return PARSE_BAD;
	if (!object(&j, M_TOP, NULL, 0, NULL, 0))
		return ev->oversize ? PARSE_OVERSIZE : PARSE_BAD;
	ws(&j);
	if (j.p != j.end)
		return PARSE_BAD;
	if (ev->oversize)
		return PARSE_OVERSIZE;
	det_event_finish(ev, e);
	return PARSE_OK;
}

/* The first n bytes of a record that goes on past DETECT_LIM_RECORD: the
 * values that end within them are evaluated (the event counted as
 * truncated), as a value cut at DETECT_LIM_VALUE is; the cut falls back to
 * a character boundary. Bytes past n must exist. */
enum det_parse det_json_event_cut(struct det_event *ev, const struct detect_engine *e,
				  const char *p, size_t n)
{
	while (n && ((unsigned char)p[n] & 0xc0) == 0x80)
		n--;
	det_event_reset(ev, n);
	if (!valid_utf8(p, n))
		return PARSE_BAD_UTF8;
	struct jp j = { p, p + n, ev, e, 0, false };
	ws(&j);
	if (j.p >= j.end || *j.p != '{')
		return PARSE_BAD;
	if (object(&j, M_TOP, NULL, 0, NULL, 0)) {
		/* it closed before the cut: what follows must be blank */
		ws(&j);
		if (j.p != j.end)
			return PARSE_BAD;
	} else if (!j.eof) {
		return PARSE_BAD;
	}
	ev->truncated = true;
	det_event_finish(ev, e);
	return PARSE_OK;
}

/*
 * html: the escaping writers. Every byte of a page that came from a user or
 * the database passes through html_text_n, which escapes the five characters
 * that matter in HTML and replaces bytes that are not well-formed UTF-8 (and
 * control characters) with U+FFFD, so nothing hostile reaches the browser as
 * markup. html_printf gives the convenience of printf with the same safety:
 * its %s arguments are escaped, and the compiler checks their types.
 */
#include <stdlib.h>
#include <string.h>

#include "web.h"
#include "web_int.h"

int32_t web_utf8_next(const unsigned char *p, size_t n, size_t *len)
{
	unsigned c = p[0];
	*len = 1;
	if (c < 0x80)
		return (int32_t)c;
	size_t need;
	uint32_t cp;
	unsigned lo = 0x80, hi = 0xBF;  /* bounds of the second byte */
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		cp = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;          /* overlong */
		else if (c == 0xED)
			hi = 0x9F;          /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		cp = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;          /* overlong */
		else if (c == 0xF4)
			hi = 0x8F;          /* past U+10FFFF */
	} else {
		return -1;
	}
	if (n < need + 1)
		return -1;
	for (size_t i = 1; i <= need; i++) {
		unsigned d = p[i];
		if (i == 1 ? (d < lo || d > hi) : (d < 0x80 || d > 0xBF))
			return -1;
		cp = (cp << 6) | (d & 0x3F);
	}
	*len = need + 1;
	return (int32_t)cp;
}

/* Characters shown as U+FFFD: C0 controls but tab, LF and CR; DEL; C1. */
static bool html_forbidden(int32_t cp)
{
	if (cp < 0x20)
		return cp != '\t' && cp != '\n' && cp != '\r';
	return cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

void html_text_n(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0;  /* start of bytes not yet written */
	size_t i = 0;
	buf_reserve(b, n);
	while (i < n) {
		unsigned c = p[i];
		const char *rep = NULL;
		size_t len = 1;
		if (c >= 0x20 && c < 0x7F) {
			switch (c) {
			case '&': rep = "&amp;"; break;
			case '<': rep = "&lt;"; break;
			case '>': rep = "&gt;"; break;
			case '"': rep = "&quot;"; break;
			case '\'': rep = "&#39;"; break;
			default: break;
			}
		} else {
			int32_t cp = web_utf8_next(p + i, n - i, &len);
			if (cp < 0 || html_forbidden(cp))
				rep = WEB_REPLACEMENT;
		}
		if (rep) {
			buf_add(b, p + run, i - run);
			buf_puts(b, rep);
			run = i + len;
		}
		i += len;
	}
	buf_add(b, p + run, n - run);
}

void html_text(struct buf *b, const char *s)
{
	if (s)
		html_text_n(b, s, strlen(s));
}

void html_attr(struct buf *b, const char *s)
{
	html_text(b, s);
}

void html_raw(struct buf *b, const char *markup)
{
	buf_puts(b, markup);
}

void html_url_component(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	if (!s)
		return;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf_putc(b, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			buf_add(b, e, 3);
		}
	}
}

static bool html_href_safe(const char *u)
{
	if (u[0] == '/')
		return u[1] != '/' && u[1] != '\\';  /* "//host" leaves the site */
	if (u[0] == '#' || u[0] == '?')
		return true;
	return strncasecmp(u, "https://", 8) == 0 || strncasecmp(u, "http://", 7) == 0 ||
	       strncasecmp(u, "mailto:", 7) == 0;
}

void html_href(struct buf *b, const char *url)
{
	if (!url || !html_href_safe(url)) {
		buf_putc(b, '#');
		return;
	}
	/* Browsers drop tabs and newlines inside URLs, which could rebuild a
	 * scheme the check above did not see; such a URL is refused whole. */
	for (const char *p = url; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7F) {
			buf_putc(b, '#');
			return;
		}
	}
	html_text(b, url);
}

/* The formatter reads the format once, copying markup through unchanged
 * and expanding each conversion. Integer conversions need no escaping. */
static void html_bad_format(struct buf *b, const char *fmt)
{
	log_error("html_printf: unsupported conversion in \"%s\"", fmt);
#ifdef BW_TEST_BUILD
	abort();
#endif
	buf_putc(b, '?');
}

void html_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	const char *p = fmt;
	while (*p) {
		const char *pct = strchr(p, '%');
		if (!pct) {
			buf_puts(b, p);
			return;
		}
		buf_add(b, p, (size_t)(pct - p));
		p = pct + 1;
		if (*p == '%') {
			buf_putc(b, '%');
			p++;
		} else if (*p == 's') {
			html_text(b, va_arg(ap, const char *));
			p++;
		} else if (*p == 'd') {
			buf_put_i64(b, va_arg(ap, int));
			p++;
		} else if (*p == 'u') {
			buf_put_i64(b, va_arg(ap, unsigned));
			p++;
		} else if (p[0] == 'l' && p[1] == 'd') {
			buf_put_i64(b, va_arg(ap, long));
			p += 2;
		} else if (p[0] == 'l' && p[1] == 'l' && p[2] == 'd') {
			buf_put_i64(b, va_arg(ap, long long));
			p += 3;
		} else if (p[0] == 'z' && p[1] == 'u') {
			buf_printf(b, "%zu", va_arg(ap, size_t));
			p += 2;
		} else {
			/* Anything else would leave the va_list out of step. */
			html_bad_format(b, fmt);
			return;
		}
	}
}

void html_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	html_vprintf(b, fmt, ap);
	va_end(ap);
}

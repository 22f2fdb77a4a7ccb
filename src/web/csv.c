/*
 * csv: CSV export (RFC 4180) that is safe to open in a spreadsheet. A cell a
 * spreadsheet would read as a formula (starting = + - @ tab or CR) gets a
 * leading apostrophe, so an organisation name like =HYPERLINK(...) typed by
 * one user cannot run in another user's spreadsheet. Bytes that are not
 * UTF-8 become U+FFFD so the file always opens.
 */
#include <string.h>

#include "web.h"
#include "web_int.h"

void web_csv_init(struct web_csv *c, struct buf *b)
{
	c->b = b;
	c->col = 0;
}

void web_csv_bom(struct web_csv *c)
{
	buf_puts(c->b, "\xEF\xBB\xBF");
}

static void csv_sep(struct web_csv *c)
{
	if (c->col++)
		buf_putc(c->b, ',');
}

void web_csv_cell(struct web_csv *c, const char *text)
{
	const char *s = text ? text : "";
	size_t n = strlen(s);
	bool formula = n && strchr("=+-@\t\r", s[0]);
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	csv_sep(c);
	if (quote)
		buf_putc(c->b, '"');
	if (formula)
		buf_putc(c->b, '\'');
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t len;
		int32_t cp = web_utf8_next(p + i, n - i, &len);
		if (cp < 0)
			buf_puts(c->b, WEB_REPLACEMENT);
		else if (cp == '"')
			buf_add(c->b, "\"\"", 2);
		else
			buf_add(c->b, p + i, len);
		i += len;
	}
	if (quote)
		buf_putc(c->b, '"');
}

void web_csv_cell_int(struct web_csv *c, int64_t v)
{
	csv_sep(c);
	buf_printf(c->b, "%lld", (long long)v);
}

void web_csv_row_end(struct web_csv *c)
{
	buf_add(c->b, "\r\n", 2);
	c->col = 0;
}

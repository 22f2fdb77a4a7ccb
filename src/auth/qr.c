/*
 * qr: a QR code (libqrencode) as inline SVG, for enrolling an authenticator
 * app from the profile page without JavaScript or an image request. One
 * <path> of unit squares scaled by the viewBox: crisp at any size, small,
 * and printable. Colours are fixed black on white because scanners need the
 * contrast whatever the page's theme.
 */
#include <errno.h>
#include <qrencode.h>
#include <string.h>

#include "auth.h"

#define QUIET 4                /* modules of white margin, ISO/IEC 18004 */
#define QR_TEXT_MAX 1024       /* an otpauth URI is ~150 bytes */

static void xml_escape(struct buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '&': buf_puts(out, "&amp;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		default: buf_putc(out, *s);
		}
	}
}

enum bw_err auth_qr_svg(const char *text, const char *title, struct buf *out,
			struct bw_error *err)
{
	size_t n = text ? strnlen(text, QR_TEXT_MAX + 1) : 0;
	if (n == 0 || n > QR_TEXT_MAX)
		return bw_fail(err, BW_EINVAL, "", "The QR code text must be 1 to %d bytes.",
			       QR_TEXT_MAX);
	if (!title || !bw_valid_utf8(title, strnlen(title, LIM_NAME + 1)) ||
	    strnlen(title, LIM_NAME + 1) > LIM_NAME)
		return bw_fail(err, BW_EINVAL, "", "The QR code title is not valid.");
	/* level M (15 % recovery): room for a smudged phone screen or print */
	QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (!qr)
		return bw_fail(err, BW_EINTERNAL, "", "The QR code could not be made (%s).",
			       strerror(errno));
	int size = qr->width + 2 * QUIET;
	buf_printf(out,
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		   "width=\"%d\" height=\"%d\" role=\"img\" shape-rendering=\"crispEdges\">"
		   "<title>",
		   size, size, size * 6, size * 6);
	xml_escape(out, title);
	buf_printf(out, "</title><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
		   "<path fill=\"#000\" d=\"", size, size);
	/* one horizontal run of dark modules per sub-path keeps the path short */
	for (int y = 0; y < qr->width; y++) {
		for (int x = 0; x < qr->width;) {
			if (!(qr->data[y * qr->width + x] & 1)) {
				x++;
				continue;
			}
			int run = 1;
			while (x + run < qr->width && (qr->data[y * qr->width + x + run] & 1))
				run++;
			buf_printf(out, "M%d %dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
			x += run;
		}
	}
	buf_puts(out, "\"/></svg>");
	QRcode_free(qr);
	return BW_OK;
}

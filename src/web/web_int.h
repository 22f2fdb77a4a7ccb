/*
 * web_int: helpers shared by the files of the web module and not part of its
 * public face (web.h is that).
 */
#ifndef BW_WEB_INT_H
#define BW_WEB_INT_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one UTF-8 sequence at p (n > 0 bytes left). Returns the code point
 * and sets *len, or returns -1 with *len = 1 for a byte that does not start a
 * well-formed sequence (overlong forms, surrogates and values past U+10FFFF
 * are not well formed). */
int32_t web_utf8_next(const unsigned char *p, size_t n, size_t *len);

/* U+FFFD, what every bad byte or forbidden character is shown as. */
#define WEB_REPLACEMENT "\xEF\xBF\xBD"

#endif

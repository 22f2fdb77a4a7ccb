/* fuzz-cookie: http_cookie_get on arbitrary Cookie headers. Checks that a
 * found value fits, holds only cookie-octets, and that reading never goes
 * past the header (ASan). The first input line names the cookie sought. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > LIM_HEADER_BYTES)
		return 0;
	/* header strings arrive NUL-terminated: copy to an exact-size buffer so
	 * ASan catches any read past the end */
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	char *nl = strchr(s, '\n');
	const char *name = "bw_session", *header = s;
	if (nl) {
		*nl = '\0';
		name = s;
		header = nl + 1;
	}
	char out[64];
	for (size_t cap = 1; cap <= sizeof out; cap *= 4) {
		if (http_cookie_get(header, name, out, cap)) {
			size_t n = strlen(out);
			if (n >= cap)
				abort();
			for (size_t i = 0; i < n; i++) {
				unsigned char c = (unsigned char)out[i];
				if (c <= 0x20 || c >= 0x7F || c == '"' || c == ',' || c == ';' || c == '\\')
					abort();
			}
		}
	}
	free(s);
	return 0;
}

/* libFuzzer driver: vers parsing (strict and lenient), writing, and
 * containment of a version taken from the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a);
	struct match_vers v;
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	size_t n = nl ? (size_t)(nl - s) : size;
	for (int canonical = 0; canonical < 2; canonical++) {
		if (match_vers_parse(&a, (struct str){ s, n }, canonical, &v, NULL) != BW_OK)
			continue;
		struct buf b;
		buf_init(&b);
		match_vers_format(&v, &b);
		if (nl) {
			char *ver = arena_strndup(&a, nl + 1, size - n - 1);
			struct match_result r;
			(void)match_vers_contains(&v, ver, &r);
		}
		buf_free(&b);
	}
	arena_free(&a);
	return 0;
}

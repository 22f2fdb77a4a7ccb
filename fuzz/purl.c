/* libFuzzer driver: package URL parsing; the canonical form must parse
 * back to the same canonical form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a);
	struct match_purl p, q;
	if (match_purl_parse(&a, (struct str){ (const char *)data, size }, &p, NULL) == BW_OK) {
		struct buf b, b2;
		buf_init(&b);
		buf_init(&b2);
		match_purl_format(&p, &b);
		if (match_purl_parse(&a, (struct str){ b.p, b.len }, &q, NULL) != BW_OK)
			abort();
		match_purl_format(&q, &b2);
		if (b.len != b2.len || memcmp(b.p, b2.p, b.len) != 0)
			abort();
		(void)match_purl_same_package(&p, &q);
		buf_free(&b);
		buf_free(&b2);
	}
	arena_free(&a);
	return 0;
}

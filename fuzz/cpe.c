/* libFuzzer driver: CPE 2.3 parsing, formatting (which must parse back to
 * the same name) and name comparison against itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct match_cpe c, d;
	if (match_cpe_parse((struct str){ (const char *)data, size }, &c, NULL) != BW_OK)
		return 0;
	match_cpe_check(&c, NULL);
	struct buf b;
	buf_init(&b);
	match_cpe_format(&c, &b);
	if (match_cpe_parse((struct str){ b.p, b.len }, &d, NULL) != BW_OK)
		abort(); /* what we write we must read */
	struct buf b2;
	buf_init(&b2);
	match_cpe_format(&d, &b2);
	if (b.len != b2.len || memcmp(b.p, b2.p, b.len) != 0)
		abort();
	(void)match_cpe_superset(&c, &d);
	(void)match_cpe_disjoint(&d, &c);
	buf_free(&b);
	buf_free(&b2);
	return 0;
}

/* libFuzzer driver: every version scheme's key function, plain and as
 * bounds, and the antisymmetry of key comparison. Input: one scheme byte,
 * then two versions separated by '\n'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum match_scheme s = (enum match_scheme)(data[0] % MATCH_SCHEME_COUNT);
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	const char *nl = memchr(p, '\n', n);
	struct str a = { p, nl ? (size_t)(nl - p) : n };
	struct str b = nl ? (struct str){ nl + 1, n - a.n - 1 } : a;
	struct buf ka, kb, kc;
	buf_init(&ka);
	buf_init(&kb);
	buf_init(&kc);
	bool oa = match_version_key(s, a, &ka, NULL) == BW_OK;
	bool ob = match_version_key(s, b, &kb, NULL) == BW_OK;
	if (oa && ob) {
		int x = match_key_cmp(ka.p, ka.len, kb.p, kb.len);
		int y = match_key_cmp(kb.p, kb.len, ka.p, ka.len);
		if (x != -y)
			abort();
	}
	for (int side = -1; side <= 2; side++) {
		kc.len = 0;
		(void)match_version_key_bound(s, a, side, &kc, NULL);
	}
	buf_free(&ka);
	buf_free(&kb);
	buf_free(&kc);
	return 0;
}

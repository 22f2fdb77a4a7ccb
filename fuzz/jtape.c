/* fuzz-jtape: base/jtape held to jansson. A document one reads the other
 * reads too, as the same values; the only documents jtape may read and
 * jansson refuse are those past jansson's own limits (numbers too big for
 * it, nesting past its depth), and jansson may read a document with a NUL
 * byte in it that jtape refuses (it takes "6\0" for the number 6). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/lib/jtape_same.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	json_error_t je;
	json_t *x = json_loadb(p, size, JSON_DECODE_ANY, &je);
	struct jtape j;
	struct bw_error err = { 0 };
	enum bw_err rc = jt_parse(&j, p, size, 4096, &err);
	if (x && rc != BW_OK && !memchr(p, 0, size))
		abort();
	if (!x && rc == BW_OK && !strstr(je.text, "too big") && !strstr(je.text, "overflow") &&
	    !strstr(je.text, "depth"))
		abort();
	if (rc != BW_OK && (j.n != 0 || strcmp(err.field, "file") != 0))
		abort();
	if (x && rc == BW_OK) {
		struct arena a;
		arena_init(&a);
		if (!jtape_same(&j, 1, x, &a))
			abort();
		arena_free(&a);
	}
	json_decref(x);
	jt_free(&j);
	return 0;
}

/* libFuzzer driver: Sigma rule documents (YAML) through the rule parser and compiler. */
#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_error err = { 0 };
	struct detect_engine *e = detect_engine_new(NULL, &err);
	if (!e)
		return 0;
	detect_engine_add_text(e, (const char *)data, size, "fuzz.yml", &err);
	detect_engine_compile(e, &err);
	detect_engine_free(e);
	return 0;
}

/* libFuzzer driver: the CVE JSON 5 record reader of the feeds importer
 * (size, nesting, JSON, fields, the match engine's compile check). */
#include <stdint.h>

#include "feeds/feeds_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a);
	struct feeds_item it;
	(void)feeds_record_read(&a, FEEDS_CVE5, "x.json", (const char *)data, size, &it, NULL);
	arena_free(&a);
	return 0;
}

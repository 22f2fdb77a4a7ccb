/* libFuzzer driver: the zip walker of the feeds importers (entry names,
 * traversal, sizes, the bomb check) over an archive held in memory; each
 * entry is then read as an OSV record. */
#include <stdint.h>

#include "feeds/feeds_int.h"

static enum bw_err entry(void *ctx, const char *name, const char *p, size_t n, struct bw_error *err)
{
	(void)ctx, (void)err;
	struct arena a;
	arena_init(&a);
	struct feeds_item it;
	(void)feeds_record_read(&a, FEEDS_OSV, name, p, n, &it, NULL);
	arena_free(&a);
	return BW_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feeds_walk w = { NULL, NULL, entry, NULL, 1 << 20 };
	(void)feeds_walk_zip_mem(data, size, &w, NULL);
	return 0;
}

/* libFuzzer driver: the KEV catalog entry reader (an entry written back in
 * canonical form, its dates, its flags). The input is one JSON value. */
#include <stdint.h>

#include "feeds/feeds_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!bw_json_depth_ok((const char *)data, size, FEEDS_LIM_DEPTH))
		return 0;
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	if (!j)
		return 0;
	struct arena a;
	arena_init(&a);
	struct feeds_item it;
	(void)feeds_kev_entry(&a, j, &it, NULL);
	(void)feeds_time_parse(json_string_value(json_object_get(j, "dateAdded")));
	arena_free(&a);
	json_decref(j);
	return 0;
}

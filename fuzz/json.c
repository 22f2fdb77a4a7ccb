/* fuzz-json: the API's JSON request-body reader (depth scan + jansson). */
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	struct bw_error err = { 0 };
	if (http_json_parse((const char *)data, size, &j, &err) == BW_OK) {
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v) {
			struct bw_error e2 = { 0 };
			http_json_str(j, k, &e2);
		}
		json_decref(j);
	}
	return 0;
}

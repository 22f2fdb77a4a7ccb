/* fuzz-sbom_spdx: components_sbom_parse on spdx documents whose
 * component list is the fuzzer's input, then components_check on every
 * entry (CPE and purl through the match engine). Checks: success gives
 * entries with a reference and strings that are whole C strings; failure
 * gives no entries and an error naming the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registers/components.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char prefix[] = "{\"spdxVersion\":\"SPDX-2.3\",\"documentNamespace\":\"https://x\",\"packages\":";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	char *doc = malloc(sizeof prefix + size + 1);
	if (!doc)
		return 0;
	memcpy(doc, prefix, sizeof prefix - 1);
	memcpy(doc + sizeof prefix - 1, data, size);
	doc[sizeof prefix - 1 + size] = '}';
	size_t n = sizeof prefix + size;
	struct arena a;
	arena_init(&a);
	struct comp_batch b;
	comp_batch_init(&b, &a);
	struct bw_error err = { 0 };
	if (components_sbom_parse(doc, n, &b, &err) == BW_OK) {
		for (size_t i = 0; i < b.n; i++) {
			if (!b.v[i].ref)
				abort();
			struct comp_ok ok;
			struct bw_error e = { 0 };
			if (components_check(&a, &b.v[i], &ok, &e) == BW_OK && (!ok.product || strlen(ok.norm_product) > LIM_COMP_NAME))
				abort();
		}
	} else if (b.n || strcmp(err.field, "file") != 0) {
		abort();
	}
	comp_batch_free(&b);
	arena_free(&a);
	free(doc);
	return 0;
}

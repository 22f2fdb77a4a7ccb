/* libFuzzer driver: CSAF documents compiled into records (product tree
 * walk, relationships, CISA's free-form and vers ranges), each record then
 * indexed and matched against a small estate, so the compiled form is used
 * as the engine uses it. Also the range reader alone on the raw input. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a);
	if (size < MATCH_LIM_VERS) {
		char *t = arena_strndup(&a, (const char *)data, size);
		struct match_rule *rules;
		size_t n;
		(void)match_csaf_range_rules(&a, t, false, MATCH_AFFECTED, &rules, &n);
	}
	json_error_t je;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (doc) {
		struct match_record *recs;
		size_t n;
		if (match_compile_csaf(&a, doc, &recs, &n, NULL) == BW_OK && n) {
			struct match_feed *f = match_feed_new();
			struct match_estate *e = match_estate_new();
			struct match_component c[2] = {
				{ .id = "a", .vendor = "siemens", .product = "simatic", .version = "V2.1" },
				{ .id = "b", .vendor = "Siemens", .product = "SIMATIC", .version = NULL },
			};
			match_estate_add(e, &c[0]);
			match_estate_add(e, &c[1]);
			for (size_t i = 0; i < n && i < 64; i++)
				match_feed_add(f, &recs[i]);
			(void)match_estate_feed(e, f, NULL, NULL);
			(void)match_component_feed(f, e, &c[0], NULL, NULL);
			match_estate_free(e);
			match_feed_free(f);
		}
		json_decref(doc);
	}
	arena_free(&a);
	return 0;
}

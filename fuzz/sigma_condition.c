/* libFuzzer driver: Sigma conditions through the condition compiler, over a
 * fixed set of search identifiers, then evaluated in prefilter mode. */
#include <stdlib.h>
#include <string.h>

#include "detect/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *cond = malloc(size + 1);
	if (!cond)
		return 0;
	memcpy(cond, data, size);
	cond[size] = 0;
	struct det_sel sels[4] = { { "selection", 0, 0 }, { "filter_a", 0, 0 },
				   { "filter_b", 0, 0 }, { "_hidden", 0, 0 } };
	struct det_rule r = { 0 };
	r.sels = sels;
	r.nsels = 4;
	struct arena a;
	arena_init(&a);
	char why[256] = "";
	const char *conds[1] = { cond };
	if (det_condition_compile(&r, &a, conds, 1, why, sizeof why)) {
		uint8_t seen[1] = { 0 };
		det_rule_possible(&r, seen);  /* empty selections: must not read out of bounds */
	}
	arena_free(&a);
	free(cond);
	return 0;
}

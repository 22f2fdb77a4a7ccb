/* fuzz-inventory_csv: components_csv_parse on arbitrary bytes, then
 * components_check on every row. Checks: success gives at least one row,
 * each with a line number and only valid UTF-8 text; failure gives an
 * error naming the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registers/components.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void utf8_or_die(const char *s)
{
	if (s && !bw_valid_utf8(s, strlen(s)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a);
	struct comp_batch b;
	comp_batch_init(&b, &a);
	struct bw_error err = { 0 };
	if (components_csv_parse((const char *)data, size, &b, &err) == BW_OK) {
		if (!b.n)
			abort();
		for (size_t i = 0; i < b.n; i++) {
			const struct comp_in *c = &b.v[i];
			if (c->row < 2)
				abort();
			utf8_or_die(c->system), utf8_or_die(c->vendor), utf8_or_die(c->product);
			utf8_or_die(c->version), utf8_or_die(c->cpe), utf8_or_die(c->purl);
			struct comp_ok ok;
			components_check(&a, c, &ok, NULL);
		}
	} else if (strcmp(err.field, "file") != 0) {
		abort();
	}
	comp_batch_free(&b);
	arena_free(&a);
	return 0;
}

/* fuzz-alerts_products: an advisory's affected products (one a line: CPE,
 * package URL, or vendor / product with versions in words) compiled into
 * match criteria by alerts_products_compile, on arbitrary input. Checks the
 * promises callers rely on: no crash or undefined behaviour, a refusal
 * names the "products" field and a line, an accepted list has at most
 * ALERTS_TARGET_PRODUCTS_MAX criteria each with a product to look up and at
 * least one version rule, evaluating a version against every criterion is
 * safe, and compiling is deterministic. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"
#include "match/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > ALERTS_LIST_MAX)
		return 0;   /* the form's limit */
	char *copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	struct arena a;
	arena_init(&a);
	struct bw_error err = { 0 };
	struct match_record rec;
	enum bw_err rc = alerts_products_compile(&a, "CC-0001", copy, &rec, &err);
	if (rc != BW_OK) {
		if (strcmp(err.field, "products") != 0 || !err.msg[0])
			abort();
	} else {
		if (rec.ncrit > ALERTS_TARGET_PRODUCTS_MAX)
			abort();
		for (size_t i = 0; i < rec.ncrit; i++) {
			const struct match_criterion *c = &rec.crit[i];
			if (!c->nrules || (c->kind == MATCH_ID_PRODUCT && (!c->product || !*c->product)))
				abort();
			struct match_result res;
			match_rules_eval(c, "1.2.3", &res);
			match_rules_eval(c, "22.6r2.3", &res);
		}
		struct match_record again;
		struct bw_error e2 = { 0 };
		if (alerts_products_compile(&a, "CC-0001", copy, &again, &e2) != BW_OK || again.ncrit != rec.ncrit)
			abort();
	}
	arena_free(&a);
	free(copy);
	return 0;
}

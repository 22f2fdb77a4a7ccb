/* Helpers shared by the match engine's tests: where the shared data lives
 * and loading a JSON file from it (the test fails if it is missing). */
#ifndef BW_TEST_MATCH_DATA_H
#define BW_TEST_MATCH_DATA_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static inline json_t *test_load_json(const char *rel)
{
	const char *base = getenv("BULWARK_DATA");
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", base && *base ? base : "../shared/data", rel);
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j)
		fprintf(stderr, "# cannot load %s: %s (line %d)\n", path, e.text, e.line);
	return j;
}

#endif

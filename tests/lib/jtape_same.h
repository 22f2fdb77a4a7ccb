/* jtape_same: whether a jtape value and a jansson value are the same JSON
 * value (for the tests and the fuzz driver that hold jtape to jansson). */
#ifndef BW_TEST_JTAPE_SAME_H
#define BW_TEST_JTAPE_SAME_H

#include <jansson.h>

#include "base/jtape.h"

bool jtape_same(const struct jtape *j, uint32_t v, json_t *x, struct arena *a);

#endif

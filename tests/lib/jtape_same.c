#include <stdlib.h>
#include <string.h>

#include "jtape_same.h"

bool jtape_same(const struct jtape *j, uint32_t v, json_t *x, struct arena *a)
{
	switch (jt_type(j, v)) {
	case JT_OBJECT: {
		if (!json_is_object(x))
			return false;
		/* every key of each is in the other (a key given twice counts once, as its last value) */
		for (uint32_t k = v + 1; k < j->t[v].next; k = j->t[k + 1].next)
			if (!json_object_get(x, jt_str(j, k, a)))
				return false;
		const char *key;
		json_t *m;
		json_object_foreach(x, key, m)
			if (!jtape_same(j, jt_get(j, v, key), m, a))
				return false;
		return true;
	}
	case JT_ARRAY: {
		size_t i = 0;
		for (uint32_t e = jt_first(j, v); e; e = jt_next(j, v, e), i++)
			if (!jtape_same(j, e, json_array_get(x, i), a))
				return false;
		return json_is_array(x) && i == json_array_size(x);
	}
	case JT_STRING: {
		const char *s = jt_str(j, v, a);
		return json_is_string(x) && strlen(s) == json_string_length(x) && strcmp(s, json_string_value(x)) == 0;
	}
	case JT_NUMBER: {
		char *t = arena_strndup(a, j->src + j->t[v].start, j->t[v].len);
		return json_is_number(x) && strtod(t, NULL) == json_number_value(x);
	}
	case JT_TRUE:
		return json_is_true(x);
	case JT_FALSE:
		return json_is_false(x);
	case JT_NULL:
		return json_is_null(x);
	default:
		return false;
	}
}

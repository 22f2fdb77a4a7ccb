/*
 * json: the request-body JSON reader for the API. jansson parses; before it
 * does, a quick scan refuses nesting deeper than LIM_JSON_DEPTH (jansson's
 * own limit is 2048, far more than any request needs and enough to use a
 * lot of stack and memory).
 */
#include <stdio.h>
#include <string.h>

#include "http/http.h"

enum bw_err http_json_parse(const char *body, size_t len, json_t **out, struct bw_error *err)
{
	*out = NULL;
	if (len == 0)
		return bw_fail(err, BW_EINVAL, "body", "Send a JSON object in the request body");
	if (len > LIM_BODY)
		return bw_fail(err, BW_ELIMIT, "body", "The JSON body is larger than %d bytes", LIM_BODY);
	if (!bw_json_depth_ok(body, len, LIM_JSON_DEPTH))
		return bw_fail(err, BW_ELIMIT, "body", "The JSON body is nested deeper than %d levels", LIM_JSON_DEPTH);
	json_error_t je;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return bw_fail(err, BW_EINVAL, "body", "The JSON body is not valid at line %d, column %d: %s",
			       je.line, je.column, je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return bw_fail(err, BW_EINVAL, "body", "The JSON body must be an object");
	}
	*out = j;
	return BW_OK;
}

const char *http_json_str(json_t *obj, const char *key, struct bw_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		bw_fail(err, BW_EINVAL, key, "%s must be a string", key);
		return NULL;
	}
	const char *s = json_string_value(v);
	/* jansson allows \u0000 inside strings; C strings cannot carry it */
	if (strlen(s) != json_string_length(v)) {
		bw_fail(err, BW_EINVAL, key, "%s must not contain NUL characters", key);
		return NULL;
	}
	return s;
}

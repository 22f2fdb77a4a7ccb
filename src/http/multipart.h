/*
 * http/multipart: a pure parser for multipart/form-data request bodies
 * (RFC 7578), the way browsers send a form with a file in it. Text parts
 * become form fields exactly as the urlencoded parser gives them (so the
 * CSRF token and every other field read the same way); file parts become
 * uploads that point into the body without copying. No I/O; allocations in
 * the caller's arena only; fuzzed by fuzz/multipart.c. Depends on base.
 */
#ifndef BW_HTTP_MULTIPART_H
#define BW_HTTP_MULTIPART_H

#include "base/base.h"
#include "http/parse.h"

#define LIM_UPLOADS          8      /* file parts in one request */
#define LIM_PART_HEADERS     4096   /* bytes of one part's headers */
#define LIM_BOUNDARY         70     /* RFC 2046 */
#define LIM_FILENAME         255    /* bytes of an upload's file name */

/* One file part. data points into the request body (not NUL-terminated). */
struct http_upload {
	const char *field;         /* the form field name: valid UTF-8, no NUL */
	const char *filename;      /* as sent, path stripped to its last part; may be "" */
	const char *content_type;  /* as sent, or "application/octet-stream" */
	const char *data;
	size_t len;
};

/*
 * The boundary parameter of a multipart/form-data Content-Type header,
 * copied into out (quotes removed); false if the header is not
 * multipart/form-data or the boundary is missing or not 1..70 allowed bytes.
 */
bool http_multipart_boundary(const char *content_type, char *out, size_t cap);

/*
 * Parses body[0..len) with the given content type. A part with a filename
 * parameter is an upload (at most LIM_UPLOADS); any other part is a text
 * field held to the same rules as http_form_parse: names 1..LIM_FIELD_NAME
 * bytes, values up to LIM_FIELD_VALUE bytes, valid UTF-8 without NUL, at
 * most LIM_FIELDS parts in all. Refused with BW_EINVAL or BW_ELIMIT and err
 * naming the field (or "body" for a fault in the framing). On failure
 * nothing is returned.
 */
enum bw_err http_multipart_parse(struct arena *a, const char *content_type, const char *body,
				 size_t len, struct form_field **fields, size_t *nfields,
				 struct http_upload **uploads, size_t *nuploads, struct bw_error *err);

#endif

/* fuzz-multipart: http_multipart_parse on arbitrary bodies with a fixed
 * boundary. Checks what callers rely on: on success every field name and
 * value is valid UTF-8 within the limits, every upload lies inside the
 * body, and no more than LIM_FIELDS parts; on failure nothing is returned. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a);
	const char *body = (const char *)data;
	struct form_field *f;
	struct http_upload *u;
	size_t nf, nu;
	struct bw_error err = { 0 };
	enum bw_err rc = http_multipart_parse(&a, "multipart/form-data; boundary=XyZ", body, size, &f, &nf,
					      &u, &nu, &err);
	if (rc == BW_OK) {
		if (nf + nu > LIM_FIELDS || nu > LIM_UPLOADS)
			abort();
		for (size_t i = 0; i < nf; i++) {
			size_t vl = strlen(f[i].value), nl = strlen(f[i].name);
			if (!nl || nl > LIM_FIELD_NAME || vl > LIM_FIELD_VALUE || !bw_valid_utf8(f[i].value, vl))
				abort();
		}
		for (size_t i = 0; i < nu; i++)
			if (u[i].data < body || u[i].data + u[i].len > body + size || !u[i].filename)
				abort();
	} else if (f || u || nf || nu || err.code == BW_OK) {
		abort();
	}
	arena_free(&a);
	return 0;
}

/* err: the one error type (see base.h) and its readable names. */
#include <stdio.h>
#include <string.h>

#include "base.h"

enum bw_err bw_fail(struct bw_error *err, enum bw_err code, const char *field,
		    const char *fmt, ...)
{
	if (!err)
		return code;
	err->code = code;
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return code;
}

void bw_error_clear(struct bw_error *err)
{
	memset(err, 0, sizeof *err);
}

const char *bw_err_name(enum bw_err code)
{
	static const char *names[] = {
		[BW_OK] = "ok",
		[BW_EINVAL] = "invalid",
		[BW_ENOTFOUND] = "not_found",
		[BW_EFORBIDDEN] = "forbidden",
		[BW_ECONFLICT] = "conflict",
		[BW_ELIMIT] = "too_large",
		[BW_EAUTH] = "unauthorised",
		[BW_ELOCKED] = "locked",
		[BW_EDB] = "database",
		[BW_EIO] = "io",
		[BW_EINTERNAL] = "internal",
	};
	if ((unsigned)code < BW_NELEM(names) && names[code])
		return names[code];
	return "internal";
}

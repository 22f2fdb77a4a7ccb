/*
 * ver_other: version schemes the engine names but does not order yet. Each
 * refuses every version with a message saying so, which makes every range
 * test on it UNKNOWN rather than a guess.
 */
#include "match_int.h"

#define UNSUPPORTED(fn, name)                                                         \
	enum bw_err fn(struct str v, int side, struct buf *out, struct bw_error *err) \
	{                                                                             \
		(void)v;                                                              \
		(void)side;                                                           \
		return vkey_reject(out, out->len, err,                                \
				   "the " name " version scheme is not supported");  \
	}

UNSUPPORTED(vkey_nuget, "NuGet")
UNSUPPORTED(vkey_gem, "RubyGems")
UNSUPPORTED(vkey_apk, "Alpine")
UNSUPPORTED(vkey_alpm, "Arch Linux")
UNSUPPORTED(vkey_gentoo, "Gentoo")
UNSUPPORTED(vkey_openssl, "OpenSSL")
UNSUPPORTED(vkey_datetime, "datetime")

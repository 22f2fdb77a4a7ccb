/*
 * cookie: the session cookie — its name, reading it from a Cookie header
 * (through http/parse) and the Set-Cookie value that sets or clears it.
 * HttpOnly keeps it from scripts, SameSite=Strict from other sites' forms.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "http/parse.h"

const char *auth_session_cookie_name(bool tls)
{
	return tls ? AUTH_SESSION_COOKIE_TLS : AUTH_SESSION_COOKIE;
}

bool auth_session_cookie_get(const char *cookie_header, bool tls, char out[AUTH_TOKEN_LEN])
{
	if (http_cookie_get(cookie_header, auth_session_cookie_name(tls), out, AUTH_TOKEN_LEN) &&
	    auth_session_token_valid(out))
		return true;
	out[0] = '\0';
	return false;
}

enum bw_err auth_session_cookie_format(const char *token, int64_t max_age, bool tls,
				       char *out, size_t outlen)
{
	if (token && !auth_session_token_valid(token))
		return BW_EINVAL;
	char age[40] = "";
	if (!token)
		snprintf(age, sizeof age, "; Max-Age=0");
	else if (max_age > 0)
		snprintf(age, sizeof age, "; Max-Age=%lld", (long long)max_age);
	int n = snprintf(out, outlen, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
			 auth_session_cookie_name(tls), token ? token : "", tls ? "; Secure" : "",
			 age);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen)
			out[0] = '\0';
		return BW_ELIMIT;
	}
	return BW_OK;
}

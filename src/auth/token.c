/*
 * token: session tokens, API tokens and CSRF tokens. Session and API tokens
 * are 256 random bits; only their SHA-256 is stored, so a copy of the
 * database does not sign anyone in. (A fast hash is right here, unlike for
 * passwords: 256 random bits cannot be guessed however fast the hash.)
 */
#include <sodium.h>
#include <string.h>

#include "auth.h"

#define TOKEN_BYTES 32
#define TOKEN_CHARS (AUTH_TOKEN_LEN - 1)
#define PREFIX_LEN (sizeof AUTH_API_TOKEN_PREFIX - 1)

static const char CSRF_LABEL[] = "bulwark csrf v1";

void auth_session_token_new(char out[AUTH_TOKEN_LEN])
{
	_Static_assert(sodium_base64_ENCODED_LEN(TOKEN_BYTES,
			sodium_base64_VARIANT_URLSAFE_NO_PADDING) == AUTH_TOKEN_LEN, "token size");
	bw_random_token(TOKEN_BYTES, out);
}

void auth_api_token_new(char out[AUTH_API_TOKEN_LEN])
{
	_Static_assert(PREFIX_LEN + TOKEN_CHARS + 1 == AUTH_API_TOKEN_LEN, "API token size");
	memcpy(out, AUTH_API_TOKEN_PREFIX, PREFIX_LEN);
	bw_random_token(TOKEN_BYTES, out + PREFIX_LEN);
}

static bool b64url_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

bool auth_session_token_valid(const char *s)
{
	return s && strnlen(s, TOKEN_CHARS + 1) == TOKEN_CHARS && b64url_chars(s, TOKEN_CHARS);
}

bool auth_api_token_valid(const char *s)
{
	return s && strnlen(s, AUTH_API_TOKEN_LEN) == AUTH_API_TOKEN_LEN - 1 &&
	       memcmp(s, AUTH_API_TOKEN_PREFIX, PREFIX_LEN) == 0 &&
	       b64url_chars(s + PREFIX_LEN, TOKEN_CHARS);
}

void auth_token_hash(const char *token, char out[AUTH_HASH_HEX_LEN])
{
	uint8_t h[32];
	size_t n = token ? strnlen(token, AUTH_API_TOKEN_LEN) : 0;
	bw_sha256(token ? token : "", n, h);
	bw_hex(h, sizeof h, out);
}

void auth_csrf_token(const char *session_secret, char out[AUTH_CSRF_LEN])
{
	_Static_assert(sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES,
			sodium_base64_VARIANT_URLSAFE_NO_PADDING) == AUTH_CSRF_LEN, "CSRF size");
	/* HMAC keys are fixed length: key with the secret's SHA-256 so any
	 * length of secret works and none is silently cut short */
	uint8_t key[crypto_auth_hmacsha256_KEYBYTES];
	const char *s = session_secret ? session_secret : "";
	bw_sha256(s, strlen(s), key);
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(mac, (const unsigned char *)CSRF_LABEL, sizeof CSRF_LABEL - 1, key);
	sodium_bin2base64(out, AUTH_CSRF_LEN, mac, sizeof mac,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(key, sizeof key);
}

bool auth_csrf_check(const char *session_secret, const char *presented)
{
	if (!session_secret || !session_secret[0] || !presented ||
	    strnlen(presented, AUTH_CSRF_LEN) != AUTH_CSRF_LEN - 1)
		return false;
	char want[AUTH_CSRF_LEN];
	auth_csrf_token(session_secret, want);
	return bw_ct_eq(want, presented, AUTH_CSRF_LEN - 1);
}

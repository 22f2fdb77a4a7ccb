/* crypto: randomness and hashing through libsodium. */
#include <sodium.h>
#include <string.h>

#include "base.h"

int bw_crypto_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void bw_random(void *p, size_t n)
{
	randombytes_buf(p, n);
}

void bw_sha256(const void *p, size_t n, uint8_t out[32])
{
	crypto_hash_sha256(out, p, n);
}

void bw_hex(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, n * 2 + 1, p, n);
}

bool bw_unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t got = 0;
	if (strlen(hex) != n * 2)
		return false;
	return sodium_hex2bin(out, n, hex, n * 2, NULL, &got, NULL) == 0 && got == n;
}

void bw_random_token(size_t nbytes, char *out)
{
	uint8_t raw[64];
	if (nbytes > sizeof raw)
		nbytes = sizeof raw;
	randombytes_buf(raw, nbytes);
	sodium_bin2base64(out, sodium_base64_ENCODED_LEN(nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
			  raw, nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

bool bw_ct_eq(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

/*
 * recovery: one-use codes that stand in for a lost authenticator. Each is
 * twelve characters from an alphabet without look-alikes (no 0/o, 1/l/i),
 * about 59 bits, so a plain SHA-256 of the normalised code is a safe thing
 * to store: unlike a password it cannot be guessed from a dictionary, and
 * tries are limited by the sign-in lock-out.
 */
#include <sodium.h>
#include <string.h>

#include "auth.h"

static const char ALPHABET[] = "abcdefghjkmnpqrstuvwxyz23456789";
#define CODE_CHARS 12
#define GROUP 4

/* Lower-cases and drops spaces and dashes; false unless exactly CODE_CHARS
 * letters of the alphabet remain. */
static bool normalise(const char *in, char out[CODE_CHARS + 1])
{
	size_t n = 0;
	for (size_t i = 0; in && in[i]; i++) {
		if (i >= 64)
			return false;
		char c = in[i];
		if (c == ' ' || c == '-' || c == '\t')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!strchr(ALPHABET, c) || n == CODE_CHARS)
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == CODE_CHARS;
}

bool auth_recovery_hash(const char *input, char out[AUTH_HASH_HEX_LEN])
{
	char norm[CODE_CHARS + 1];
	if (!normalise(input, norm)) {
		out[0] = '\0';
		return false;
	}
	uint8_t h[32];
	bw_sha256(norm, CODE_CHARS, h);
	bw_hex(h, sizeof h, out);
	sodium_memzero(norm, sizeof norm);
	return true;
}

void auth_recovery_generate(char codes[][AUTH_RECOVERY_CODE_LEN],
			    char hashes[][AUTH_HASH_HEX_LEN], size_t n)
{
	_Static_assert(CODE_CHARS + CODE_CHARS / GROUP == AUTH_RECOVERY_CODE_LEN, "code size");
	for (size_t k = 0; k < n; k++) {
		size_t o = 0;
		for (int i = 0; i < CODE_CHARS; i++) {
			if (i > 0 && i % GROUP == 0)
				codes[k][o++] = '-';
			/* uniform, no modulo bias */
			codes[k][o++] = ALPHABET[randombytes_uniform(sizeof ALPHABET - 1)];
		}
		codes[k][o] = '\0';
		auth_recovery_hash(codes[k], hashes[k]);
	}
}

int auth_recovery_match(const char *input, const char *const hashes[], size_t n)
{
	char h[AUTH_HASH_HEX_LEN];
	if (!auth_recovery_hash(input, h))
		return -1;
	int found = -1;
	for (size_t i = 0; i < n; i++) {
		if (!hashes[i] || strnlen(hashes[i], AUTH_HASH_HEX_LEN) != AUTH_HASH_HEX_LEN - 1)
			continue;
		if (bw_ct_eq(h, hashes[i], AUTH_HASH_HEX_LEN - 1) && found < 0)
			found = (int)i;
	}
	return found;
}

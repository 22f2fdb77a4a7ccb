/*
 * totp: time-based one-time codes (RFC 6238: HMAC-SHA-1, 30 s steps, six
 * digits — what every authenticator app expects) through liboath, the
 * base32 secret people type into those apps, and the otpauth:// URI that
 * their QR code carries. Replay is refused by remembering the last step used.
 */
#include <liboath/oath.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "auth.h"

#define SECRET_BYTES 20   /* 160 bits, RFC 4226 §4's recommended length */

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_status = OATH_OK;

static void oath_start(void)
{
	oath_status = oath_init();
}

static bool oath_ready(void)
{
	pthread_once(&oath_once, oath_start);
	return oath_status == OATH_OK;
}

static void base32_encode(const uint8_t *p, size_t n, char *out)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = B32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = B32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

/* Decodes exactly SECRET_BYTES from 32 base32 letters (either case). */
static bool secret_decode(const char *s, uint8_t out[SECRET_BYTES])
{
	if (!s || strnlen(s, AUTH_TOTP_SECRET_LEN) != AUTH_TOTP_SECRET_LEN - 1)
		return false;
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < AUTH_TOTP_SECRET_LEN - 1; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		const char *q = c ? strchr(B32, c) : NULL;
		if (!q)
			return false;
		acc = (acc << 5) | (unsigned)(q - B32);
		bits += 5;
		if (bits >= 8) {
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return o == SECRET_BYTES;
}

void auth_totp_secret_new(char out[AUTH_TOTP_SECRET_LEN])
{
	_Static_assert((SECRET_BYTES * 8 + 4) / 5 == AUTH_TOTP_SECRET_LEN - 1, "secret size");
	uint8_t raw[SECRET_BYTES];
	bw_random(raw, sizeof raw);
	base32_encode(raw, sizeof raw, out);
	sodium_memzero(raw, sizeof raw);
}

void auth_totp_secret_display(const char *secret, char out[AUTH_TOTP_DISPLAY_LEN])
{
	size_t o = 0;
	size_t n = secret ? strnlen(secret, AUTH_TOTP_SECRET_LEN - 1) : 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = secret[i];
	}
	out[o] = '\0';
}

static enum bw_err code_at_step(const uint8_t key[SECRET_BYTES], int64_t step,
				char out[AUTH_TOTP_DIGITS + 1])
{
	if (!oath_ready())
		return BW_EINTERNAL;
	int r = oath_totp_generate((const char *)key, SECRET_BYTES, (time_t)(step * AUTH_TOTP_STEP),
				   AUTH_TOTP_STEP, 0, AUTH_TOTP_DIGITS, out);
	return r == OATH_OK ? BW_OK : BW_EINTERNAL;
}

enum bw_err auth_totp_code(const char *secret, int64_t now, char out[AUTH_TOTP_DIGITS + 1])
{
	uint8_t key[SECRET_BYTES];
	out[0] = '\0';
	if (!secret_decode(secret, key) || now < 0)
		return BW_EINTERNAL;
	enum bw_err r = code_at_step(key, now / AUTH_TOTP_STEP, out);
	sodium_memzero(key, sizeof key);
	return r;
}

enum bw_err auth_totp_verify(const char *secret, const char *code, int64_t now,
			     int64_t last_used_step, int64_t *step)
{
	/* people copy codes as "123 456" or "123-456" */
	char typed[AUTH_TOTP_DIGITS + 1];
	size_t n = 0;
	for (size_t i = 0; code && code[i] && i < 32; i++) {
		char c = code[i];
		if (c == ' ' || c == '-' || c == '\t')
			continue;
		if (c < '0' || c > '9' || n == AUTH_TOTP_DIGITS)
			return BW_EINVAL;
		typed[n++] = c;
	}
	if (n != AUTH_TOTP_DIGITS || (code && strnlen(code, 33) > 32))
		return BW_EINVAL;
	typed[n] = '\0';

	uint8_t key[SECRET_BYTES];
	if (!secret_decode(secret, key) || now < 0)
		return BW_EINTERNAL;
	int64_t cur = now / AUTH_TOTP_STEP;
	bool matched = false;
	int64_t found = -1;
	enum bw_err r = BW_OK;
	/* all three steps are always computed and compared, so the time taken
	 * says nothing about which matched */
	for (int64_t s = cur - 1; s <= cur + 1; s++) {
		char want[AUTH_TOTP_DIGITS + 1];
		if (code_at_step(key, s, want) != BW_OK) {
			r = BW_EINTERNAL;
			break;
		}
		if (bw_ct_eq(want, typed, AUTH_TOTP_DIGITS)) {
			matched = true;
			if (s > last_used_step && found < 0)
				found = s;
		}
	}
	sodium_memzero(key, sizeof key);
	if (r != BW_OK)
		return r;
	if (found >= 0) {
		if (step)
			*step = found;
		return BW_OK;
	}
	return matched ? BW_ECONFLICT : BW_EAUTH;
}

static void url_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf_putc(out, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			buf_add(out, e, 3);
		}
	}
}

enum bw_err auth_totp_uri(const char *secret, const char *email, struct buf *out,
			  struct bw_error *err)
{
	uint8_t key[SECRET_BYTES];
	if (!secret_decode(secret, key))
		return bw_fail(err, BW_EINTERNAL, "", "The authenticator secret is malformed.");
	sodium_memzero(key, sizeof key);
	size_t elen = email ? strnlen(email, LIM_EMAIL + 1) : 0;
	if (elen == 0 || elen > LIM_EMAIL || !bw_valid_utf8(email, elen))
		return bw_fail(err, BW_EINVAL, "email", "The e-mail address is not valid.");
	/* Key Uri Format: label "Issuer:account", and issuer again as a
	 * parameter for apps that read only that */
	buf_puts(out, "otpauth://totp/Bulwark:");
	url_encode(out, email);
	buf_printf(out, "?secret=%s&issuer=Bulwark&algorithm=SHA1&digits=%d&period=%d", secret,
		   AUTH_TOTP_DIGITS, AUTH_TOTP_STEP);
	return BW_OK;
}

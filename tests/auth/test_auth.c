/* Unit tests for auth's primitives and http/parse: passwords, TOTP, QR,
 * recovery codes, tokens, CSRF, the session cookie, cookie and form parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <liboath/oath.h>
#include <sodium.h>

#include "auth/auth.h"
#include "http/parse.h"

/* RFC 6238 appendix B's SHA-1 key, "12345678901234567890", as base32 */
#define RFC_SECRET "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static int setup(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	if (auth_init(&err) != BW_OK) {
		fprintf(stderr, "auth_init: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* ---- passwords ---- */

static void password_common_refused_in_plain_words(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	assert_int_equal(auth_password_check("password1234", NULL, NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "password");
	assert_non_null(strstr(err.msg, "too easy to guess"));

	/* a dictionary word dressed up with digits and symbols */
	bw_error_clear(&err);
	assert_int_equal(auth_password_check("Liverpool2024!", NULL, NULL, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "common word with numbers or symbols"));

	/* and with look-alikes for letters */
	bw_error_clear(&err);
	assert_int_equal(auth_password_check("P@ssw0rd2024!", NULL, NULL, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "too easy to guess"));

	bw_error_clear(&err);
	assert_int_equal(auth_password_check("123456789012", NULL, NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "password");
}

static void password_passphrase_accepted(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	assert_int_equal(auth_password_check("correct horse battery staple 42", "alice@example.nhs.uk",
					     "Alice Smith", &err), BW_OK);
	assert_int_equal(auth_password_check("żółw jeździ po łące nocą", NULL, NULL, &err), BW_OK);
}

static void password_length_counts_characters(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	assert_int_equal(auth_password_check("short", NULL, NULL, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "at least 12 characters"));

	/* eleven 2-byte letters: 22 bytes but 11 characters, so too short */
	bw_error_clear(&err);
	assert_int_equal(auth_password_check("ééééééééééé", NULL, NULL, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "at least 12 characters"));

	char longpw[300];
	for (size_t i = 0; i < 257; i++)
		longpw[i] = "qwxzvkjpgbfmtr"[i % 14];
	longpw[257] = '\0';
	assert_int_equal(auth_password_check(longpw, NULL, NULL, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "256 characters or fewer"));

	/* 256 characters of 4 bytes each: the longest allowed, 1024 bytes */
	char wide[4 * 257 + 1];
	for (int i = 0; i < 257; i++) {
		unsigned cp = 0x1F300 + (unsigned)(i * 37 % 700);
		wide[4 * i] = (char)(0xF0 | (cp >> 18));
		wide[4 * i + 1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		wide[4 * i + 2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		wide[4 * i + 3] = (char)(0x80 | (cp & 0x3F));
	}
	wide[4 * 257] = '\0';
	assert_int_equal(auth_password_check(wide, NULL, NULL, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "256 characters or fewer"));
	wide[4 * 256] = '\0';
	assert_int_equal(auth_password_check(wide, NULL, NULL, &err), BW_OK);

	bw_error_clear(&err);
	assert_int_equal(auth_password_check("valid start \xc3\x28 then more", NULL, NULL, &err),
			 BW_EINVAL);
	assert_string_equal(err.field, "password");
}

static void password_without_email_or_name(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	assert_int_equal(auth_password_check("my Priya.Patel castle tower 9", "priya.patel@nhs.net",
					     NULL, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "e-mail"));
	bw_error_clear(&err);
	assert_int_equal(auth_password_check("tower castle PATEL window 9", "pp@nhs.net",
					     "Priya Patel", &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "your name"));
	/* a short name part is not held against a good password */
	assert_int_equal(auth_password_check("correct horse battery staple 42", "jo@nhs.net",
					     "Jo Li", &err), BW_OK);
}

static void password_hash_verify_rehash(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	char h[AUTH_PASSWORD_HASH_LEN];
	assert_int_equal(auth_password_hash("correct horse battery staple 42", h, &err), BW_OK);
	assert_true(strncmp(h, "$argon2id$", 10) == 0);
	assert_true(auth_password_verify(h, "correct horse battery staple 42"));
	assert_false(auth_password_verify(h, "correct horse battery staple 43"));
	assert_false(auth_password_verify("$argon2id$garbage", "x"));
	assert_false(auth_password_needs_rehash(h));

	/* a hash made with other costs (an older or a test build's) is flagged */
	char other[crypto_pwhash_STRBYTES];
	assert_int_equal(crypto_pwhash_str(other, "pw", 2, crypto_pwhash_OPSLIMIT_MIN + 1,
					   crypto_pwhash_MEMLIMIT_MIN), 0);
	assert_true(auth_password_needs_rehash(other));
	assert_true(auth_password_verify(other, "pw"));
	auth_password_dummy_verify("anything");
}

/* ---- TOTP ---- */

struct vec {
	int64_t t;
	const char *eight;
};
/* RFC 6238 appendix B, SHA-1 rows */
static const struct vec RFC[] = {
	{ 59, "94287082" },         { 1111111109, "07081804" }, { 1111111111, "14050471" },
	{ 1234567890, "89005924" }, { 2000000000, "69279037" }, { 20000000000LL, "65353130" },
};

static void totp_rfc6238_vectors(void **state)
{
	(void)state;
	assert_int_equal(oath_init(), OATH_OK);
	for (size_t i = 0; i < BW_NELEM(RFC); i++) {
		char otp[10];
		assert_int_equal(oath_totp_generate("12345678901234567890", 20, (time_t)RFC[i].t, 30, 0,
						    8, otp), OATH_OK);
		assert_string_equal(otp, RFC[i].eight);
		/* six digits at our API are the last six of the eight */
		char six[AUTH_TOTP_DIGITS + 1];
		assert_int_equal(auth_totp_code(RFC_SECRET, RFC[i].t, six), BW_OK);
		assert_string_equal(six, RFC[i].eight + 2);
		int64_t step = 0;
		assert_int_equal(auth_totp_verify(RFC_SECRET, RFC[i].eight + 2, RFC[i].t, 0, &step), BW_OK);
		assert_true(step == RFC[i].t / 30);
	}
}

static void totp_replay_refused(void **state)
{
	(void)state;
	int64_t now = 1111111111, step = 0;
	assert_int_equal(auth_totp_verify(RFC_SECRET, "050471", now, 0, &step), BW_OK);
	/* the same code again, even seconds later in the same step */
	int64_t again = -1;
	assert_int_equal(auth_totp_verify(RFC_SECRET, "050471", now + 5, step, &again), BW_ECONFLICT);
	assert_true(again == -1);
	/* the next step's code is fine */
	char next[AUTH_TOTP_DIGITS + 1];
	assert_int_equal(auth_totp_code(RFC_SECRET, now + 30, next), BW_OK);
	assert_int_equal(auth_totp_verify(RFC_SECRET, next, now + 30, step, &again), BW_OK);
	assert_true(again == step + 1);
	/* and an older code than the last one used is refused too */
	char prev[AUTH_TOTP_DIGITS + 1];
	assert_int_equal(auth_totp_code(RFC_SECRET, now - 30, prev), BW_OK);
	assert_int_equal(auth_totp_verify(RFC_SECRET, prev, now, step, &again), BW_ECONFLICT);
}

static void totp_window_and_format(void **state)
{
	(void)state;
	int64_t now = 2000000000, step;
	char c[AUTH_TOTP_DIGITS + 1];
	assert_int_equal(auth_totp_code(RFC_SECRET, now - 30, c), BW_OK);
	assert_int_equal(auth_totp_verify(RFC_SECRET, c, now, 0, &step), BW_OK);     /* slow clock */
	assert_int_equal(auth_totp_code(RFC_SECRET, now + 30, c), BW_OK);
	assert_int_equal(auth_totp_verify(RFC_SECRET, c, now, 0, &step), BW_OK);     /* fast clock */
	assert_int_equal(auth_totp_code(RFC_SECRET, now - 90, c), BW_OK);
	assert_int_equal(auth_totp_verify(RFC_SECRET, c, now, 0, &step), BW_EAUTH);  /* too old */
	assert_int_equal(auth_totp_verify(RFC_SECRET, "279 037", now, 0, &step), BW_OK);
	assert_int_equal(auth_totp_verify(RFC_SECRET, "27903", now, 0, &step), BW_EINVAL);
	assert_int_equal(auth_totp_verify(RFC_SECRET, "2790377", now, 0, &step), BW_EINVAL);
	assert_int_equal(auth_totp_verify(RFC_SECRET, "27903a", now, 0, &step), BW_EINVAL);
	assert_int_equal(auth_totp_verify(RFC_SECRET, NULL, now, 0, &step), BW_EINVAL);
	assert_int_equal(auth_totp_verify("NOT-BASE32", "279037", now, 0, &step), BW_EINTERNAL);
}

static void totp_secret_and_uri(void **state)
{
	(void)state;
	char a[AUTH_TOTP_SECRET_LEN], b[AUTH_TOTP_SECRET_LEN];
	auth_totp_secret_new(a);
	auth_totp_secret_new(b);
	assert_int_equal(strlen(a), 32);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
	assert_string_not_equal(a, b);
	/* a fresh secret works end to end */
	char code[AUTH_TOTP_DIGITS + 1];
	int64_t step;
	assert_int_equal(auth_totp_code(a, 1700000000, code), BW_OK);
	assert_int_equal(auth_totp_verify(a, code, 1700000000, 0, &step), BW_OK);

	char shown[AUTH_TOTP_DISPLAY_LEN];
	auth_totp_secret_display(RFC_SECRET, shown);
	assert_string_equal(shown, "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");

	struct buf u;
	buf_init(&u);
	struct bw_error err = { 0 };
	assert_int_equal(auth_totp_uri(RFC_SECRET, "alice+ops@example.nhs.uk", &u, &err), BW_OK);
	assert_string_equal(buf_cstr(&u),
			    "otpauth://totp/Bulwark:alice%2Bops%40example.nhs.uk?secret=" RFC_SECRET
			    "&issuer=Bulwark&algorithm=SHA1&digits=6&period=30");
	buf_reset(&u);
	assert_int_equal(auth_totp_uri(RFC_SECRET, "", &u, &err), BW_EINVAL);
	buf_free(&u);
}

static void qr_svg_has_quiet_zone_and_finders(void **state)
{
	(void)state;
	struct buf s;
	buf_init(&s);
	struct bw_error err = { 0 };
	const char *uri = "otpauth://totp/Bulwark:a%40b.nhs.uk?secret=" RFC_SECRET "&issuer=Bulwark";
	assert_int_equal(auth_qr_svg(uri, "Scan <this> & enrol", &s, &err), BW_OK);
	const char *svg = buf_cstr(&s);
	assert_true(strncmp(svg, "<svg ", 5) == 0);
	assert_non_null(strstr(svg, "role=\"img\""));
	assert_non_null(strstr(svg, "<title>Scan &lt;this&gt; &amp; enrol</title>"));
	/* the top-left finder pattern's top row: 7 dark modules, starting 4
	 * modules in (the quiet zone) */
	assert_non_null(strstr(svg, "d=\"M4 4h7v1h-7z"));
	int w = 0;
	assert_int_equal(sscanf(strstr(svg, "viewBox=\"0 0 "), "viewBox=\"0 0 %d", &w), 1);
	/* version 1..40 symbol plus 2 x 4 quiet modules */
	assert_true(w >= 21 + 8 && w <= 177 + 8 && (w - 8 - 21) % 4 == 0);
	/* the top-right finder starts 7 modules from the right edge of the symbol */
	char tr[32];
	snprintf(tr, sizeof tr, "M%d 4h7v1h-7z", w - 4 - 7);
	assert_non_null(strstr(svg, tr));
	/* no module inside the quiet zone */
	for (const char *p = strstr(svg, " d=\""); (p = strchr(p + 1, 'M'));) {
		int x, y;
		assert_int_equal(sscanf(p, "M%d %d", &x, &y), 2);
		assert_true(x >= 4 && y >= 4 && x < w - 4 && y < w - 4);
	}
	buf_free(&s);
}

/* ---- recovery codes ---- */

static void recovery_codes_normalised(void **state)
{
	(void)state;
	char h1[AUTH_HASH_HEX_LEN], h2[AUTH_HASH_HEX_LEN];
	assert_true(auth_recovery_hash("abcd-efgh-jkmn", h1));
	assert_true(auth_recovery_hash("ABCD EFGH JKMN", h2));
	assert_string_equal(h1, h2);
	assert_true(auth_recovery_hash(" abcdEFGHjkmn ", h2));
	assert_string_equal(h1, h2);
	/* SHA-256 of the normalised form, as documented for storage */
	uint8_t raw[32];
	char hex[AUTH_HASH_HEX_LEN];
	bw_sha256("abcdefghjkmn", 12, raw);
	bw_hex(raw, 32, hex);
	assert_string_equal(h1, hex);
	assert_false(auth_recovery_hash("abcd-efgh-jkm", h2));       /* too short */
	assert_false(auth_recovery_hash("abcd-efgh-jklm", h2));      /* 'l' is not in the alphabet */
	assert_false(auth_recovery_hash("abcd-efgh-jkmnp", h2));     /* too long */
}

static void recovery_codes_generated_and_matched(void **state)
{
	(void)state;
	char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_CODE_LEN];
	char hashes[AUTH_RECOVERY_CODES][AUTH_HASH_HEX_LEN];
	auth_recovery_generate(codes, hashes, AUTH_RECOVERY_CODES);
	const char *hp[AUTH_RECOVERY_CODES];
	for (int i = 0; i < AUTH_RECOVERY_CODES; i++) {
		assert_int_equal(strlen(codes[i]), 14);
		assert_true(codes[i][4] == '-' && codes[i][9] == '-');
		assert_int_equal(strcspn(codes[i], "01ilo"), 14);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(codes[i], codes[j]);
		hp[i] = hashes[i];
	}
	char typed[32];
	snprintf(typed, sizeof typed, "%.4s %.4s %.4s", codes[7], codes[7] + 5, codes[7] + 10);
	for (char *p = typed; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	assert_int_equal(auth_recovery_match(typed, hp, AUTH_RECOVERY_CODES), 7);
	assert_int_equal(auth_recovery_match("aaaa-aaaa-aaaa", hp, AUTH_RECOVERY_CODES), -1);
	assert_int_equal(auth_recovery_match("nonsense", hp, AUTH_RECOVERY_CODES), -1);
}

/* ---- tokens and CSRF ---- */

static void tokens_random_hashed_prefixed(void **state)
{
	(void)state;
	char s1[AUTH_TOKEN_LEN], s2[AUTH_TOKEN_LEN];
	auth_session_token_new(s1);
	auth_session_token_new(s2);
	assert_int_equal(strlen(s1), 43);
	assert_string_not_equal(s1, s2);
	assert_true(auth_session_token_valid(s1));
	assert_false(auth_session_token_valid("short"));

	char h[AUTH_HASH_HEX_LEN], want[AUTH_HASH_HEX_LEN];
	uint8_t raw[32];
	auth_token_hash(s1, h);
	bw_sha256(s1, strlen(s1), raw);
	bw_hex(raw, 32, want);
	assert_string_equal(h, want);
	assert_int_equal(strlen(h), 64);

	char a[AUTH_API_TOKEN_LEN];
	auth_api_token_new(a);
	assert_true(strncmp(a, "bwk_", 4) == 0);
	assert_int_equal(strlen(a), 47);
	assert_true(auth_api_token_valid(a));
	assert_false(auth_api_token_valid(s1));
	assert_false(auth_session_token_valid(a));
	char bad[AUTH_API_TOKEN_LEN];
	memcpy(bad, a, sizeof bad);
	bad[10] = '/';
	assert_false(auth_api_token_valid(bad));
}

static void csrf_per_session(void **state)
{
	(void)state;
	char s1[AUTH_TOKEN_LEN], s2[AUTH_TOKEN_LEN];
	auth_session_token_new(s1);
	auth_session_token_new(s2);
	char c1[AUTH_CSRF_LEN], c1b[AUTH_CSRF_LEN], c2[AUTH_CSRF_LEN];
	auth_csrf_token(s1, c1);
	auth_csrf_token(s1, c1b);
	auth_csrf_token(s2, c2);
	assert_string_equal(c1, c1b);          /* stable for the session */
	assert_string_not_equal(c1, c2);       /* another session's token is no use */
	assert_true(strstr(c1, s1) == NULL);
	assert_true(auth_csrf_check(s1, c1));
	assert_false(auth_csrf_check(s2, c1));
	c1b[5] ^= 1;
	assert_false(auth_csrf_check(s1, c1b));
	assert_false(auth_csrf_check(s1, ""));
	assert_false(auth_csrf_check("", c1));
}

/* ---- cookies ---- */

static void cookie_picks_the_right_one(void **state)
{
	(void)state;
	char v[64];
	assert_true(http_cookie_get("theme=dark; bw_session=abc123; lang=en", "bw_session", v, sizeof v));
	assert_string_equal(v, "abc123");
	assert_true(http_cookie_get("xbw_session=no; bw_session_old=no; bw_session=yes", "bw_session",
				    v, sizeof v));
	assert_string_equal(v, "yes");
	assert_true(http_cookie_get("a=1;b=2;  c = \"quoted\" ", "c", v, sizeof v));
	assert_string_equal(v, "quoted");
	assert_true(http_cookie_get("a=first; a=second", "a", v, sizeof v));
	assert_string_equal(v, "first");
	assert_true(http_cookie_get("a=; b=2", "a", v, sizeof v));
	assert_string_equal(v, "");
	assert_false(http_cookie_get("a=1; b=2", "c", v, sizeof v));
	assert_false(http_cookie_get("", "a", v, sizeof v));
	assert_false(http_cookie_get("a=has space", "a", v, sizeof v));
	assert_false(http_cookie_get("a=back\\slash", "a", v, sizeof v));
	assert_false(http_cookie_get("a=0123456789", "a", v, 10));          /* does not fit */
	assert_true(http_cookie_get("a=012345678", "a", v, 10));

	/* beyond LIM_COOKIES pairs nothing more is read */
	struct buf h;
	buf_init(&h);
	for (int i = 0; i < LIM_COOKIES; i++)
		buf_printf(&h, "c%d=%d; ", i, i);
	buf_puts(&h, "late=1");
	assert_true(http_cookie_get(buf_cstr(&h), "c49", v, sizeof v));
	assert_false(http_cookie_get(buf_cstr(&h), "late", v, sizeof v));
	buf_free(&h);
}

static void session_cookie_round_trip(void **state)
{
	(void)state;
	char tok[AUTH_TOKEN_LEN], got[AUTH_TOKEN_LEN], set[256], hdr[256];
	auth_session_token_new(tok);
	assert_int_equal(auth_session_cookie_format(tok, 3600, false, set, sizeof set), BW_OK);
	char want[256];
	snprintf(want, sizeof want, "bw_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600",
		 tok);
	assert_string_equal(set, want);
	assert_int_equal(auth_session_cookie_format(NULL, 0, true, set, sizeof set), BW_OK);
	assert_string_equal(set, "__Host-bw_session=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0");
	assert_int_equal(auth_session_cookie_format("bad token", 60, false, set, sizeof set), BW_EINVAL);

	snprintf(hdr, sizeof hdr, "other=1; bw_session=%s", tok);
	assert_true(auth_session_cookie_get(hdr, false, got));
	assert_string_equal(got, tok);
	assert_false(auth_session_cookie_get(hdr, true, got));     /* TLS reads only __Host- */
	assert_false(auth_session_cookie_get("bw_session=forged", false, got));
}

/* ---- forms ---- */

static void form_decodes_fields(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct form_field *f;
	size_t n;
	struct bw_error err = { 0 };
	const char *body = "name=Ann+O%27Neil&email=ann%40nhs.net&&note=caf%C3%A9%0D%0Aok&empty=&flag";
	assert_int_equal(http_form_parse(&a, body, strlen(body), &f, &n, &err), BW_OK);
	assert_int_equal(n, 5);
	assert_string_equal(http_form_get(f, n, "name"), "Ann O'Neil");
	assert_string_equal(http_form_get(f, n, "email"), "ann@nhs.net");
	assert_string_equal(http_form_get(f, n, "note"), "café\r\nok");
	assert_string_equal(http_form_get(f, n, "empty"), "");
	assert_string_equal(http_form_get(f, n, "flag"), "");
	assert_null(http_form_get(f, n, "missing"));

	assert_int_equal(http_query_parse(&a, "?q=a+b&page=2", 13, &f, &n, &err), BW_OK);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].value, "a b");
	assert_int_equal(http_query_parse(&a, "", 0, &f, &n, &err), BW_OK);
	assert_int_equal(n, 0);

	char out[32];
	size_t ol;
	assert_int_equal(http_url_decode("/orgs/a+b%20c", 13, false, out, &ol), BW_OK);
	assert_string_equal(out, "/orgs/a+b c");
	assert_int_equal(ol, 11);
	arena_free(&a);
}

static void form_refuses_bad_input_naming_the_field(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct form_field *f;
	size_t n;
	struct bw_error err = { 0 };
	const char *b = "ok=1&name=ab%zzcd";
	assert_int_equal(http_form_parse(&a, b, strlen(b), &f, &n, &err), BW_EINVAL);
	assert_string_equal(err.field, "name");
	assert_non_null(strstr(err.msg, "\"name\""));
	assert_null(f);
	assert_int_equal(n, 0);

	b = "name=abc%2";    /* truncated escape at the very end */
	assert_int_equal(http_form_parse(&a, b, strlen(b), &f, &n, &err), BW_EINVAL);
	assert_string_equal(err.field, "name");
	b = "title=a%00b";
	assert_int_equal(http_form_parse(&a, b, strlen(b), &f, &n, &err), BW_EINVAL);
	assert_string_equal(err.field, "title");
	b = "title=a%C3";
	assert_int_equal(http_form_parse(&a, b, strlen(b), &f, &n, &err), BW_EINVAL);
	assert_string_equal(err.field, "title");
	/* a raw NUL inside the body (the length says it is there) */
	assert_int_equal(http_form_parse(&a, "title=a\0b", 9, &f, &n, &err), BW_EINVAL);
	assert_string_equal(err.field, "title");
	b = "na%0Ame=x";
	assert_int_equal(http_form_parse(&a, b, strlen(b), &f, &n, &err), BW_EINVAL);
	b = "=x";
	assert_int_equal(http_form_parse(&a, b, strlen(b), &f, &n, &err), BW_EINVAL);
	arena_free(&a);
}

static void form_limits(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct form_field *f;
	size_t n;
	struct bw_error err = { 0 };
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < LIM_FIELDS; i++)
		buf_printf(&b, "f%d=%d&", i, i);
	assert_int_equal(http_form_parse(&a, b.p, b.len, &f, &n, &err), BW_OK);
	assert_int_equal(n, LIM_FIELDS);
	buf_puts(&b, "one=more");
	assert_int_equal(http_form_parse(&a, b.p, b.len, &f, &n, &err), BW_ELIMIT);

	buf_reset(&b);
	for (int i = 0; i < LIM_FIELD_NAME + 1; i++)
		buf_putc(&b, 'n');
	buf_puts(&b, "=1");
	assert_int_equal(http_form_parse(&a, b.p, b.len, &f, &n, &err), BW_ELIMIT);

	buf_reset(&b);
	buf_puts(&b, "notes=");
	for (int i = 0; i < LIM_FIELD_VALUE; i++)
		buf_putc(&b, 'v');
	assert_int_equal(http_form_parse(&a, b.p, b.len, &f, &n, &err), BW_OK);
	assert_int_equal(strlen(f[0].value), LIM_FIELD_VALUE);
	buf_putc(&b, 'v');
	assert_int_equal(http_form_parse(&a, b.p, b.len, &f, &n, &err), BW_ELIMIT);
	assert_string_equal(err.field, "notes");
	buf_free(&b);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(password_common_refused_in_plain_words),
		cmocka_unit_test(password_passphrase_accepted),
		cmocka_unit_test(password_length_counts_characters),
		cmocka_unit_test(password_without_email_or_name),
		cmocka_unit_test(password_hash_verify_rehash),
		cmocka_unit_test(totp_rfc6238_vectors),
		cmocka_unit_test(totp_replay_refused),
		cmocka_unit_test(totp_window_and_format),
		cmocka_unit_test(totp_secret_and_uri),
		cmocka_unit_test(qr_svg_has_quiet_zone_and_finders),
		cmocka_unit_test(recovery_codes_normalised),
		cmocka_unit_test(recovery_codes_generated_and_matched),
		cmocka_unit_test(tokens_random_hashed_prefixed),
		cmocka_unit_test(csrf_per_session),
		cmocka_unit_test(cookie_picks_the_right_one),
		cmocka_unit_test(session_cookie_round_trip),
		cmocka_unit_test(form_decodes_fields),
		cmocka_unit_test(form_refuses_bad_input_naming_the_field),
		cmocka_unit_test(form_limits),
	};
	return cmocka_run_group_tests_name("auth", tests, setup, NULL);
}

/*
 * auth: sign-in security. The pure primitives here — argon2id passwords and
 * the password policy, TOTP and its QR code, recovery codes, session / API /
 * CSRF tokens, the session cookie — hold no state and touch no database; the
 * database-backed parts (sessions, lock-out) are built on them in other
 * files of this module. Depends on base, http/parse, libsodium, liboath,
 * libpwquality (with cracklib's dictionary) and libqrencode.
 *
 * Secrets never leave as they came in: passwords are stored as argon2id
 * strings, session and API tokens and recovery codes as SHA-256 hex.
 */
#ifndef BW_AUTH_H
#define BW_AUTH_H

#include "base/base.h"

/* Once at start-up, before any thread uses this module: libsodium, liboath
 * and a self-test that the password dictionary is installed and refuses an
 * obvious password (so a missing cracklib-runtime fails loudly, not open). */
enum bw_err auth_init(struct bw_error *err);

#define AUTH_HASH_HEX_LEN 65            /* SHA-256 as hex + NUL */

/* ---- passwords (password.c) ---- */
#define AUTH_PASSWORD_HASH_LEN 128      /* crypto_pwhash_STRBYTES */

/*
 * The password policy, for a new or changed password: 12..256 characters
 * (Unicode code points), valid UTF-8, not containing the e-mail's local part
 * or the person's name, and not guessable by the dictionary check (also after
 * digits and symbols around a word are taken off: "Summer2024!"). email and
 * name may be NULL. On refusal err has field "password" and a message in
 * plain words the user can act on.
 */
enum bw_err auth_password_check(const char *pw, const char *email, const char *name,
				struct bw_error *err);

/* argon2id string ("$argon2id$v=19$m=...") of pw, with this build's cost. */
enum bw_err auth_password_hash(const char *pw, char out[AUTH_PASSWORD_HASH_LEN],
			       struct bw_error *err);
/* True if pw matches the stored string; false for any malformed input. */
bool auth_password_verify(const char *stored, const char *pw);
/* True if stored was made with other costs than this build's (rehash it
 * on the next successful sign-in). */
bool auth_password_needs_rehash(const char *stored);
/* Spends the time of one verification, for a sign-in naming no account, so
 * a response time does not tell which e-mail addresses exist. */
void auth_password_dummy_verify(const char *pw);

/* ---- TOTP, RFC 6238: SHA-1, 30 s steps, 6 digits (totp.c, qr.c) ---- */
#define AUTH_TOTP_SECRET_LEN 33         /* 20 bytes as base32 (32) + NUL */
#define AUTH_TOTP_DISPLAY_LEN 40        /* "ABCD EFGH ..." 8 groups + NUL */
#define AUTH_TOTP_STEP 30
#define AUTH_TOTP_DIGITS 6

/* A new secret: 20 random bytes as upper-case base32, no padding. */
void auth_totp_secret_new(char out[AUTH_TOTP_SECRET_LEN]);
/* The secret in groups of four, for people typing it into an app. */
void auth_totp_secret_display(const char *secret, char out[AUTH_TOTP_DISPLAY_LEN]);
/* The code for time now (used by tests and by the demo). */
enum bw_err auth_totp_code(const char *secret, int64_t now, char out[AUTH_TOTP_DIGITS + 1]);

/*
 * Checks a code typed at time now. Spaces and dashes in code are ignored.
 * Accepts the current step and one either side (clock drift), but never a
 * step <= last_used_step (pass 0 if none): a code is good once. On success
 * *step is the step matched — store it as the new last_used_step.
 * BW_EINVAL: not 6 digits; BW_EAUTH: wrong code; BW_ECONFLICT: a code
 * already used (replay); BW_EINTERNAL: the stored secret is malformed.
 */
enum bw_err auth_totp_verify(const char *secret, const char *code, int64_t now,
			     int64_t last_used_step, int64_t *step);

/* otpauth://totp/Bulwark:<email>?secret=...&issuer=Bulwark&... with the
 * account URL-encoded; appended to out. */
enum bw_err auth_totp_uri(const char *secret, const char *email, struct buf *out,
			  struct bw_error *err);

/* text as a QR code in inline SVG (with its four-module quiet zone, black on
 * white whatever the page's colours, role="img" and title), appended to out.
 * title is escaped. */
enum bw_err auth_qr_svg(const char *text, const char *title, struct buf *out,
			struct bw_error *err);

/* ---- recovery codes (recovery.c) ---- */
#define AUTH_RECOVERY_CODES 10
#define AUTH_RECOVERY_CODE_LEN 15       /* "abcd-efgh-jkmn" + NUL */

/* n fresh codes to show once, and the hashes to store. The alphabet has no
 * 0/o, 1/l/i, so a code read off paper is typed back right. */
void auth_recovery_generate(char codes[][AUTH_RECOVERY_CODE_LEN],
			    char hashes[][AUTH_HASH_HEX_LEN], size_t n);
/* Hash of what a user typed, after normalising (case, spaces, dashes).
 * False if it cannot be a code (wrong length or letters). */
bool auth_recovery_hash(const char *input, char out[AUTH_HASH_HEX_LEN]);
/* Index of the stored hash that input matches, or -1. Compares every hash
 * in constant time. */
int auth_recovery_match(const char *input, const char *const hashes[], size_t n);

/* ---- tokens (token.c) ---- */
#define AUTH_TOKEN_LEN 44               /* 256 bits URL-safe base64 (43) + NUL */
#define AUTH_API_TOKEN_PREFIX "bwk_"    /* so a leaked token is recognisable */
#define AUTH_API_TOKEN_LEN 48           /* prefix + 43 + NUL */
#define AUTH_CSRF_LEN 44

void auth_session_token_new(char out[AUTH_TOKEN_LEN]);
void auth_api_token_new(char out[AUTH_API_TOKEN_LEN]);
/* True if s has the exact shape of a session / API token (checked before
 * any database look-up, so junk costs nothing). */
bool auth_session_token_valid(const char *s);
bool auth_api_token_valid(const char *s);
/* SHA-256 hex of a token: what is stored and looked up. */
void auth_token_hash(const char *token, char out[AUTH_HASH_HEX_LEN]);

/*
 * The CSRF token of a session: HMAC-SHA256 keyed by a per-session secret
 * over a fixed label, URL-safe base64. The raw session token (which the
 * server sees in the cookie on every request) serves as that secret, so
 * nothing more is stored and the token in a page does not reveal the
 * session. Stable for the session's life.
 */
void auth_csrf_token(const char *session_secret, char out[AUTH_CSRF_LEN]);
/* Constant-time check of a token sent with a form. */
bool auth_csrf_check(const char *session_secret, const char *presented);

/* ---- the session cookie (cookie.c) ---- */
/* Over TLS the "__Host-" prefix makes browsers refuse the cookie unless it
 * is Secure, for path "/" and set by this host (no sibling sub-domain can
 * plant a session). */
#define AUTH_SESSION_COOKIE "bw_session"
#define AUTH_SESSION_COOKIE_TLS "__Host-bw_session"

const char *auth_session_cookie_name(bool tls);
/* The session token from a Cookie header, if one of the right shape is there. */
bool auth_session_cookie_get(const char *cookie_header, bool tls, char out[AUTH_TOKEN_LEN]);
/* A Set-Cookie value: HttpOnly, SameSite=Strict, Path=/, Secure over TLS.
 * token NULL clears the cookie (Max-Age=0); max_age <= 0 otherwise makes a
 * cookie that ends with the browser session. */
enum bw_err auth_session_cookie_format(const char *token, int64_t max_age, bool tls,
				       char *out, size_t outlen);

#endif

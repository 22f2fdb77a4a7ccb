/*
 * password: argon2id hashing (libsodium) and the password policy (length in
 * code points, no e-mail or name inside, libpwquality's dictionary check).
 *
 * Cost: t=3 passes over 64 MiB, one lane — the second recommended setting
 * of RFC 9106 §4, libsodium's MODERATE time with INTERACTIVE memory. It
 * takes about 0.18 s on one core of the build machine: slow enough to make
 * an offline guess expensive, fast enough that a small server signs in a
 * few people a second per core, and 64 MiB per concurrent sign-in keeps a
 * burst of sign-ins within a modest machine's memory. libsodium's MODERATE
 * memory (256 MiB) would not. Test builds use the library minimum so the
 * suites run fast; that choice is made at compile time only, so a
 * production binary cannot be talked into it.
 */
#include <pthread.h>
#include <pwquality.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"

#ifdef BW_TEST_BUILD
#define PW_OPSLIMIT crypto_pwhash_OPSLIMIT_MIN
#define PW_MEMLIMIT crypto_pwhash_MEMLIMIT_MIN
#else
#define PW_OPSLIMIT 3
#define PW_MEMLIMIT (64u * 1024 * 1024)
#endif

/* Most bytes a valid password can have: 256 code points of 4 bytes. */
#define PW_MAX_BYTES (4 * LIM_PASSWORD_MAX)

/* Words cracklib's small dictionary lacks that would make a password easy
 * to guess here; pwquality refuses any password containing one. */
static const char BAD_WORDS[] = "bulwark password passw0rd qwerty iloveyou letmein changeme";

/* cracklib keeps state while it reads its dictionary and libpwquality says
 * nothing of thread safety: one check at a time (they take microseconds). */
static pthread_mutex_t pwq_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t utf8_count(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

/* Runs libpwquality with settings fixed here (never read from
 * /etc/security/pwquality.conf, so a host's file cannot weaken the policy).
 * Returns 0 or a PWQ_ERROR_*, and the reason text in why. */
static int pwq_run(const char *pw, char *why, size_t whylen)
{
	why[0] = '\0';
	pthread_mutex_lock(&pwq_lock);
	pwquality_settings_t *s = pwquality_default_settings();
	if (!s) {
		pthread_mutex_unlock(&pwq_lock);
		snprintf(why, whylen, "out of memory");
		return PWQ_ERROR_MEM_ALLOC;
	}
	/* length is ours to judge (in code points); libpwquality's minimum
	 * only has to let a stripped word through to the dictionary */
	int r = pwquality_set_int_value(s, PWQ_SETTING_MIN_LENGTH, 6);
	if (r == 0)
		r = pwquality_set_int_value(s, PWQ_SETTING_DICT_CHECK, 1);
	if (r == 0)
		r = pwquality_set_str_value(s, PWQ_SETTING_BAD_WORDS, BAD_WORDS);
	void *aux = NULL;
	if (r == 0) {
		r = pwquality_check(s, pw, NULL, NULL, &aux);
		if (r >= 0)
			r = 0;
	}
	if (r < 0) {
		/* pwquality_strerror frees aux where it owns it */
		char buf[PWQ_MAX_ERROR_MESSAGE_LEN];
		const char *m = pwquality_strerror(buf, sizeof buf, r, aux);
		if (r == PWQ_ERROR_CRACKLIB_CHECK) {
			/* "The password fails the dictionary check - <reason>" */
			const char *dash = strstr(m, " - ");
			m = dash ? dash + 3 : m;
		}
		snprintf(why, whylen, "%s", m);
	}
	pwquality_free_settings(s);
	pthread_mutex_unlock(&pwq_lock);
	return r;
}

static const char ADVICE[] =
	"A few unrelated words together make a strong password that is easy to remember.";

enum disguise { PLAIN, STRIPPED, LOOKALIKE };

static enum bw_err refuse_guessable(struct bw_error *err, int r, const char *why,
				    enum disguise how)
{
	if (r == PWQ_ERROR_MEM_ALLOC)
		return bw_fail(err, BW_EINTERNAL, "password", "The password could not be checked.");
	if (r == PWQ_ERROR_BAD_WORDS)
		return bw_fail(err, BW_EINVAL, "password",
			       "This password is too easy to guess: it contains a word that is "
			       "often used in passwords. %s", ADVICE);
	if (r == PWQ_ERROR_PALINDROME)
		return bw_fail(err, BW_EINVAL, "password",
			       "This password is too easy to guess: it reads the same backwards. %s",
			       ADVICE);
	if (how == STRIPPED)
		return bw_fail(err, BW_EINVAL, "password",
			       "This password is too easy to guess: it is a common word with "
			       "numbers or symbols added (%s). %s", why, ADVICE);
	if (how == LOOKALIKE)
		return bw_fail(err, BW_EINVAL, "password",
			       "This password is too easy to guess: it is a common word with some "
			       "letters swapped for numbers or symbols (%s). %s", why, ADVICE);
	return bw_fail(err, BW_EINVAL, "password", "This password is too easy to guess (%s). %s",
		       why, ADVICE);
}

/* Case-insensitive (ASCII) containment, for names and e-mail parts. */
static bool contains_ci(const char *hay, const char *needle, size_t nlen)
{
	size_t hlen = strlen(hay);
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (strncasecmp(hay + i, needle, nlen) == 0)
			return true;
	return false;
}

static bool contains_name(const char *pw, const char *name)
{
	size_t n = strlen(name);
	if (n > LIM_NAME)
		n = LIM_NAME;
	/* the whole name, then each word of four or more letters: a short
	 * word ("Li", "Ann") would refuse too many good passwords */
	if (n >= 4 && contains_ci(pw, name, n))
		return true;
	for (size_t i = 0; i < n;) {
		while (i < n && (name[i] == ' ' || name[i] == '-' || name[i] == '\''))
			i++;
		size_t j = i;
		while (j < n && name[j] != ' ' && name[j] != '-' && name[j] != '\'')
			j++;
		if (j - i >= 4 && contains_ci(pw, name + i, j - i))
			return true;
		i = j;
	}
	return false;
}

static bool is_ascii_nonletter(char c)
{
	unsigned char u = (unsigned char)c;
	return u < 0x80 && !((u | 0x20) >= 'a' && (u | 0x20) <= 'z');
}

/* Undoes the usual look-alike swaps in place; true if anything changed. */
static bool unleet(char *s)
{
	static const char from[] = "@4301!5$7", to[] = "aaeoiisst";
	bool changed = false;
	for (; *s; s++) {
		const char *q = strchr(from, *s);
		if (q) {
			*s = to[q - from];
			changed = true;
		}
	}
	return changed;
}

enum bw_err auth_password_check(const char *pw, const char *email, const char *name,
				struct bw_error *err)
{
	if (!pw)
		return bw_fail(err, BW_EINVAL, "password", "Enter a password.");
	size_t bytes = strnlen(pw, PW_MAX_BYTES + 1);
	if (bytes > PW_MAX_BYTES)
		return bw_fail(err, BW_EINVAL, "password",
			       "Your password must be %d characters or fewer.", LIM_PASSWORD_MAX);
	if (!bw_valid_utf8(pw, bytes))
		return bw_fail(err, BW_EINVAL, "password",
			       "Your password contains characters that cannot be read. Type it again.");
	size_t chars = utf8_count(pw, bytes);
	if (chars == 0)
		return bw_fail(err, BW_EINVAL, "password", "Enter a password.");
	if (chars < LIM_PASSWORD_MIN)
		return bw_fail(err, BW_EINVAL, "password",
			       "Your password must be at least %d characters long.", LIM_PASSWORD_MIN);
	if (chars > LIM_PASSWORD_MAX)
		return bw_fail(err, BW_EINVAL, "password",
			       "Your password must be %d characters or fewer.", LIM_PASSWORD_MAX);

	if (email) {
		const char *at = strchr(email, '@');
		size_t local = at ? (size_t)(at - email) : strnlen(email, LIM_EMAIL);
		if (local >= 3 && local <= LIM_EMAIL && contains_ci(pw, email, local))
			return bw_fail(err, BW_EINVAL, "password",
				       "Your password must not contain your e-mail address.");
	}
	if (name && contains_name(pw, name))
		return bw_fail(err, BW_EINVAL, "password", "Your password must not contain your name.");

	char why[PWQ_MAX_ERROR_MESSAGE_LEN];
	int r = pwq_run(pw, why, sizeof why);
	if (r < 0)
		return refuse_guessable(err, r, why, PLAIN);

	/* cracklib tries a dictionary word with a digit or two added, not
	 * "password1234" or "Summer2024!": check the word inside as well, then
	 * that word with look-alikes undone ("P@ssw0rd" is "password") */
	size_t a = 0, b = bytes;
	while (a < b && is_ascii_nonletter(pw[a]))
		a++;
	while (b > a && is_ascii_nonletter(pw[b - 1]))
		b--;
	if (b - a < 6)
		return BW_OK;
	char base[PW_MAX_BYTES + 1];
	memcpy(base, pw + a, b - a);
	base[b - a] = '\0';
	enum bw_err ret = BW_OK;
	if (a > 0 || b < bytes) {
		r = pwq_run(base, why, sizeof why);
		if (r < 0)
			ret = refuse_guessable(err, r, why, STRIPPED);
	}
	if (ret == BW_OK && unleet(base)) {
		r = pwq_run(base, why, sizeof why);
		if (r < 0)
			ret = refuse_guessable(err, r, why, LOOKALIKE);
	}
	sodium_memzero(base, sizeof base);
	return ret;
}

enum bw_err auth_password_hash(const char *pw, char out[AUTH_PASSWORD_HASH_LEN],
			       struct bw_error *err)
{
	_Static_assert(AUTH_PASSWORD_HASH_LEN == crypto_pwhash_STRBYTES, "hash string size");
	size_t n = pw ? strnlen(pw, PW_MAX_BYTES + 1) : 0;
	if (!pw || n > PW_MAX_BYTES)
		return bw_fail(err, BW_EINVAL, "password",
			       "Your password must be %d characters or fewer.", LIM_PASSWORD_MAX);
	if (crypto_pwhash_str(out, pw, n, PW_OPSLIMIT, PW_MEMLIMIT) != 0)
		return bw_fail(err, BW_EINTERNAL, "password",
			       "The password could not be stored (out of memory). Try again.");
	return BW_OK;
}

bool auth_password_verify(const char *stored, const char *pw)
{
	if (!stored || !pw || strnlen(stored, AUTH_PASSWORD_HASH_LEN) >= AUTH_PASSWORD_HASH_LEN)
		return false;
	size_t n = strnlen(pw, PW_MAX_BYTES + 1);
	if (n > PW_MAX_BYTES)
		return false;
	return crypto_pwhash_str_verify(stored, pw, n) == 0;
}

bool auth_password_needs_rehash(const char *stored)
{
	if (!stored || strnlen(stored, AUTH_PASSWORD_HASH_LEN) >= AUTH_PASSWORD_HASH_LEN)
		return true;
	return crypto_pwhash_str_needs_rehash(stored, PW_OPSLIMIT, PW_MEMLIMIT) != 0;
}

static char dummy_hash[AUTH_PASSWORD_HASH_LEN];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
	char pw[AUTH_TOKEN_LEN];
	bw_random_token(32, pw);
	if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), PW_OPSLIMIT, PW_MEMLIMIT) != 0)
		dummy_hash[0] = '\0';
}

void auth_password_dummy_verify(const char *pw)
{
	pthread_once(&dummy_once, dummy_make);
	(void)auth_password_verify(dummy_hash, pw ? pw : "");
}

/* Start-up, with a self-test of the dictionary: cracklib answers "error loading
 * dictionary" through the same code as a refusal, so a good password must
 * pass and a dictionary word must fail. */
enum bw_err auth_init(struct bw_error *err)
{
	if (sodium_init() < 0)
		return bw_fail(err, BW_EINTERNAL, "", "libsodium could not start.");
	char why[PWQ_MAX_ERROR_MESSAGE_LEN];
	int good = pwq_run("correct horse battery staple", why, sizeof why);
	if (good < 0)
		return bw_fail(err, BW_EINTERNAL, "",
			       "The password dictionary does not work (%s): install cracklib-runtime.",
			       why);
	int bad = pwq_run("liverpool", why, sizeof why);
	if (bad != PWQ_ERROR_CRACKLIB_CHECK)
		return bw_fail(err, BW_EINTERNAL, "",
			       "The password dictionary accepts a dictionary word: install "
			       "cracklib-runtime and its word list.");
	pthread_once(&dummy_once, dummy_make);
	return BW_OK;
}

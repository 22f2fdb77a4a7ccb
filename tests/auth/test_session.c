/*
 * Unit tests for src/auth/session.c: sign-in and its uniform refusals,
 * lock-out and its expiry, session time-outs and token rotation, TOTP
 * enrolment with replay refusal and recovery codes, API tokens and the
 * password policy, on the database. Time moves through the test clock
 * (BULWARK_TEST_CLOCK, read by bw_now() in test builds), never by waiting.
 * The backend comes from BULWARK_TEST_DB: unset or "sqlite" uses a temp
 * file; a postgresql:// URL uses that server, each test in a schema of its
 * own that is dropped and re-made first, so runs can repeat.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <ftw.h>
#include <unistd.h>
#include <cmocka.h>

#include "auth/session.h"

#define PW "Quartz lantern meadow 91"
#define PW2 "Copper kettle harbour 57"
#define WRONG "Not the password 1234"
#define UNIFORM "The email address or password is not correct"

static char tmpdir[256];
static char clock_file[300];

/* ---- harness ---- */

static const char *pg_url(void)
{
	const char *u = getenv("BULWARK_TEST_DB");
	if (u && (!strncmp(u, "postgresql://", 13) || !strncmp(u, "postgres://", 11)))
		return u;
	return NULL;
}

static void set_clock(long offset)
{
	FILE *f = fopen(clock_file, "w");
	assert_non_null(f);
	fprintf(f, "%ld\n", offset);
	fclose(f);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/bw-unit-session-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(clock_file, sizeof clock_file, "%s/clock", tmpdir);
	setenv("BULWARK_TEST_CLOCK", clock_file, 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Each test: the password dictionary must be there, and time starts at now. */
static int setup(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	if (auth_init(&err) != BW_OK) {
		fprintf(stderr, "auth_init: %s\n", err.msg);
		return -1;
	}
	FILE *f = fopen(clock_file, "w");
	if (!f)
		return -1;
	fputs("0\n", f);
	fclose(f);
	return 0;
}

/* A fresh database with an estate: a national team with an administrator
 * and an analyst, and a trust with two staff members, all with passwords. */
struct world {
	struct db *db;
	struct actor cli;
	int64_t admin, analyst, staff, other;
};

static int64_t add_user(struct world *w, const char *org, const char *email, const char *name, enum role role)
{
	struct bw_error err = { 0 };
	int64_t id = 0;
	if (users_add(w->db, &w->cli, org, email, name, role, &id, &err) != BW_OK)
		fail_msg("users_add %s: %s", email, err.msg);
	if (auth_password_set(w->db, &w->cli, id, PW, &err) != BW_OK)
		fail_msg("password for %s: %s (%s)", email, err.msg, err.field);
	return id;
}

static struct world make_world(const char *name)
{
	struct world w = { 0 };
	struct bw_error err = { 0 };
	char url[512];
	const char *pg = pg_url();
	if (pg) {
		struct db *admin;
		if (db_open(&admin, pg, &err) != BW_OK)
			fail_msg("db_open %s: %s", pg, err.msg);
		char sql[256];
		snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS ts_%s CASCADE; CREATE SCHEMA ts_%s", name, name);
		assert_int_equal(db_exec(admin, sql, &err), BW_OK);
		db_close(admin);
		snprintf(url, sizeof url, "%s%soptions=-csearch_path%%3Dts_%s", pg, strchr(pg, '?') ? "&" : "?", name);
	} else {
		snprintf(url, sizeof url, "%s/%s.db", tmpdir, name);
		unlink(url);
	}
	if (db_open(&w.db, url, &err) != BW_OK)
		fail_msg("db_open %s: %s", url, err.msg);
	/* the order of the command line's migrations */
	const struct db_migration *const sets[] = {
		orgs_migrations, audit_migrations, auth_migrations, db_jobs_migrations, NULL,
	};
	if (db_migrate(w.db, sets, &err) != BW_OK)
		fail_msg("migrate: %s", err.msg);
	orgs_actor_cli(&w.cli);
	assert_int_equal(orgs_add(w.db, &w.cli, "NAT", "National team", ORG_NATIONAL, NULL, false, NULL, &err), BW_OK);
	assert_int_equal(orgs_add(w.db, &w.cli, "ICS1", "An ICS", ORG_ICS, "NAT", false, NULL, &err), BW_OK);
	assert_int_equal(orgs_add(w.db, &w.cli, "TR1", "A trust", ORG_NHS_TRUST, "ICS1", false, NULL, &err), BW_OK);
	w.admin = add_user(&w, "NAT", "admin@example.nhs.uk", "Ada Admin", ROLE_ADMIN);
	w.analyst = add_user(&w, "NAT", "analyst@example.nhs.uk", "Ana Analyst", ROLE_ANALYST);
	w.staff = add_user(&w, "TR1", "staff.person@tr1.example.nhs.uk", "Sid Staff", ROLE_STAFF);
	w.other = add_user(&w, "TR1", "other@tr1.example.nhs.uk", "Olu Other", ROLE_STAFF);
	return w;
}

static struct actor actor_of(struct world *w, int64_t user_id)
{
	struct actor a;
	struct bw_error err = { 0 };
	if (orgs_actor_load(w->db, user_id, &a, &err) != BW_OK)
		fail_msg("actor %lld: %s", (long long)user_id, err.msg);
	return a;
}

static int64_t count(struct db *db, const char *sql)
{
	int64_t v = db_query_i64(db, sql, -1);
	if (v < 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return v;
}

static void expect_chain_intact(struct db *db)
{
	struct bw_error err = { 0 };
	int64_t n, bad;
	if (audit_verify(db, &n, &bad, &err) != BW_OK)
		fail_msg("audit chain: %s", err.msg);
}

/* Signs in, expecting success and the given next step. */
static struct auth_session signin_ok(struct world *w, const char *email, const char *pw, enum auth_next want)
{
	struct auth_session s;
	enum auth_next next = (enum auth_next)-1;
	struct bw_error err = { 0 };
	if (auth_signin(w->db, email, pw, "192.0.2.7", &s, &next, &err) != BW_OK)
		fail_msg("sign-in %s: %s", email, err.msg);
	assert_int_equal(next, want);
	assert_true(auth_session_token_valid(s.token));
	assert_int_equal(s.mfa_ok, want == AUTH_NEXT_DONE);
	return s;
}

static enum bw_err signin_rc(struct world *w, const char *email, const char *pw, struct bw_error *err)
{
	struct auth_session s;
	enum auth_next next;
	bw_error_clear(err);
	return auth_signin(w->db, email, pw, "192.0.2.7", &s, &next, err);
}

static enum bw_err find_rc(struct world *w, const char *token, struct auth_session *out, struct bw_error *err)
{
	bw_error_clear(err);
	return auth_session_find(w->db, token, out, err);
}

/* ---- sign-in ---- */

static void signin_refusals_are_uniform(void **state)
{
	(void)state;
	struct world w = make_world("uniform");
	struct bw_error err = { 0 };

	struct auth_session s = signin_ok(&w, "staff.person@tr1.example.nhs.uk", PW, AUTH_NEXT_DONE);
	assert_int_equal(s.user_id, w.staff);
	struct auth_session f;
	assert_int_equal(find_rc(&w, s.token, &f, &err), BW_OK);
	assert_int_equal(f.id, s.id);
	assert_int_equal(f.user_id, w.staff);
	assert_true(f.mfa_ok);
	assert_string_equal(f.csrf, s.csrf);
	/* the address is not case-sensitive */
	signin_ok(&w, "Staff.Person@TR1.example.NHS.uk", PW, AUTH_NEXT_DONE);
	int64_t sessions = count(w.db, "SELECT count(*) FROM sessions");
	assert_int_equal(sessions, 2);

	/* a wrong password, an unknown address, a disabled account and an
	 * account without a password all get the same answer */
	struct bw_error first = { 0 };
	assert_int_equal(signin_rc(&w, "staff.person@tr1.example.nhs.uk", WRONG, &first), BW_EAUTH);
	assert_string_equal(first.msg, UNIFORM);
	assert_string_equal(first.field, "email");
	assert_int_equal(signin_rc(&w, "nobody@tr1.example.nhs.uk", PW, &err), BW_EAUTH);
	assert_string_equal(err.msg, first.msg);
	assert_string_equal(err.field, first.field);
	assert_int_equal(users_set_disabled(w.db, &w.cli, w.other, true, &err), BW_OK);
	assert_int_equal(signin_rc(&w, "other@tr1.example.nhs.uk", PW, &err), BW_EAUTH);
	assert_string_equal(err.msg, first.msg);
	assert_string_equal(err.field, first.field);
	int64_t nopw = 0;
	assert_int_equal(users_add(w.db, &w.cli, "TR1", "nopw@tr1.example.nhs.uk", "No Password", ROLE_STAFF, &nopw, &err),
			 BW_OK);
	assert_int_equal(signin_rc(&w, "nopw@tr1.example.nhs.uk", "", &err), BW_EINVAL);
	assert_string_equal(err.field, "password");
	assert_int_equal(signin_rc(&w, "nopw@tr1.example.nhs.uk", PW, &err), BW_EAUTH);
	assert_string_equal(err.msg, first.msg);
	/* an over-long address is refused the same way, before any look-up */
	char longer[LIM_EMAIL + 20];
	memset(longer, 'a', sizeof longer - 1);
	longer[sizeof longer - 1] = 0;
	assert_int_equal(signin_rc(&w, longer, PW, &err), BW_EAUTH);
	assert_string_equal(err.msg, first.msg);
	/* empty fields are named */
	assert_int_equal(signin_rc(&w, "", PW, &err), BW_EINVAL);
	assert_string_equal(err.field, "email");
	assert_int_equal(signin_rc(&w, "staff.person@tr1.example.nhs.uk", NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "password");

	/* no session came of any refusal; each failure is in the trail */
	assert_int_equal(count(w.db, "SELECT count(*) FROM sessions"), sessions);
	assert_int_equal(count(w.db, "SELECT count(*) FROM audit WHERE action = 'signin.fail'"), 4);
	assert_int_equal(count(w.db, "SELECT count(*) FROM audit WHERE action = 'signin'"), 2);
	expect_chain_intact(w.db);
	db_close(w.db);
}

static void lockout_after_ten_failures(void **state)
{
	(void)state;
	struct world w = make_world("lockout");
	struct bw_error err = { 0 };
	const char *email = "staff.person@tr1.example.nhs.uk";
	for (int i = 1; i < LIM_LOGIN_FAILS; i++) {
		assert_int_equal(signin_rc(&w, email, WRONG, &err), BW_EAUTH);
		assert_string_equal(err.msg, UNIFORM);
	}
	/* the tenth failure locks */
	assert_int_equal(signin_rc(&w, email, WRONG, &err), BW_ELOCKED);
	assert_string_equal(err.field, "email");
	assert_non_null(strstr(err.msg, "too many failed attempts"));
	assert_non_null(strstr(err.msg, "15 minutes"));
	struct bw_error locked = err;
	/* the right password is refused while locked, with any capitalisation */
	assert_int_equal(signin_rc(&w, email, PW, &err), BW_ELOCKED);
	assert_int_equal(signin_rc(&w, "STAFF.PERSON@tr1.example.nhs.uk", PW, &err), BW_ELOCKED);
	assert_int_equal(count(w.db, "SELECT count(*) FROM audit WHERE action = 'signin.lock'"), 1);
	/* other accounts are not affected */
	signin_ok(&w, "other@tr1.example.nhs.uk", PW, AUTH_NEXT_DONE);

	/* an address with no account locks the same way, with the same words */
	for (int i = 1; i < LIM_LOGIN_FAILS; i++) {
		assert_int_equal(signin_rc(&w, "ghost@tr1.example.nhs.uk", PW, &err), BW_EAUTH);
		assert_string_equal(err.msg, UNIFORM);
	}
	assert_int_equal(signin_rc(&w, "ghost@tr1.example.nhs.uk", PW, &err), BW_ELOCKED);
	assert_string_equal(err.msg, locked.msg);
	assert_string_equal(err.field, locked.field);

	/* a minute before the end it is still locked, and says so */
	set_clock(LIM_LOCK_S - 60);
	assert_int_equal(signin_rc(&w, email, PW, &err), BW_ELOCKED);
	assert_non_null(strstr(err.msg, "Try again in 1 minute."));
	/* after LIM_LOCK_S the right password works, and the count starts again */
	set_clock(LIM_LOCK_S + 1);
	signin_ok(&w, email, PW, AUTH_NEXT_DONE);
	assert_int_equal(signin_rc(&w, email, WRONG, &err), BW_EAUTH);
	expect_chain_intact(w.db);
	db_close(w.db);
}

static void lockout_counts_recent_failures(void **state)
{
	(void)state;
	struct world w = make_world("window");
	struct bw_error err = { 0 };
	const char *email = "staff.person@tr1.example.nhs.uk";
	/* failures older than the window do not count */
	for (int i = 1; i < LIM_LOGIN_FAILS; i++)
		assert_int_equal(signin_rc(&w, email, WRONG, &err), BW_EAUTH);
	set_clock(LIM_LOGIN_WINDOW_S + 5);
	for (int i = 1; i < LIM_LOGIN_FAILS; i++)
		assert_int_equal(signin_rc(&w, email, WRONG, &err), BW_EAUTH);
	/* a success clears the count */
	signin_ok(&w, email, PW, AUTH_NEXT_DONE);
	for (int i = 1; i < LIM_LOGIN_FAILS; i++)
		assert_int_equal(signin_rc(&w, email, WRONG, &err), BW_EAUTH);
	assert_int_equal(signin_rc(&w, email, WRONG, &err), BW_ELOCKED);
	db_close(w.db);
}

/* ---- sessions ---- */

static void session_idle_timeout(void **state)
{
	(void)state;
	struct world w = make_world("idle");
	struct bw_error err = { 0 };
	struct auth_session s = signin_ok(&w, "staff.person@tr1.example.nhs.uk", PW, AUTH_NEXT_DONE), f;
	/* in use: each visit keeps it alive */
	set_clock(LIM_SESSION_IDLE_S - 60);
	assert_int_equal(find_rc(&w, s.token, &f, &err), BW_OK);
	set_clock(2 * (LIM_SESSION_IDLE_S - 60));
	assert_int_equal(find_rc(&w, s.token, &f, &err), BW_OK);
	/* left idle for longer than LIM_SESSION_IDLE_S: gone */
	set_clock(3 * (LIM_SESSION_IDLE_S - 60) + 121);
	assert_int_equal(find_rc(&w, s.token, &f, &err), BW_EAUTH);
	assert_non_null(strstr(err.msg, "timed out"));
	/* and gone for good, even if the clock went back */
	set_clock(2 * (LIM_SESSION_IDLE_S - 60));
	assert_int_equal(find_rc(&w, s.token, &f, &err), BW_EAUTH);
	assert_int_equal(count(w.db, "SELECT count(*) FROM sessions"), 0);

	/* a session waiting for its second factor idles out sooner */
	set_clock(0);
	struct auth_session p = signin_ok(&w, "admin@example.nhs.uk", PW, AUTH_NEXT_ENROL);
	set_clock(LIM_MFA_PENDING_S - 60);
	assert_int_equal(find_rc(&w, p.token, &f, &err), BW_OK);
	assert_false(f.mfa_ok);
	set_clock(2 * LIM_MFA_PENDING_S);
	assert_true(2 * LIM_MFA_PENDING_S - (LIM_MFA_PENDING_S - 60) < LIM_SESSION_IDLE_S);
	assert_int_equal(find_rc(&w, p.token, &f, &err), BW_EAUTH);
	assert_non_null(strstr(err.msg, "timed out"));
	db_close(w.db);
}

static void session_absolute_timeout(void **state)
{
	(void)state;
	struct world w = make_world("absolute");
	struct bw_error err = { 0 };
	struct auth_session s = signin_ok(&w, "staff.person@tr1.example.nhs.uk", PW, AUTH_NEXT_DONE), f;
	/* used every 25 minutes, never idle, for almost LIM_SESSION_ABS_S */
	long t = 0;
	while (t + 1500 < LIM_SESSION_ABS_S) {
		t += 1500;
		set_clock(t);
		if (find_rc(&w, s.token, &f, &err) != BW_OK)
			fail_msg("at %ld s: %s", t, err.msg);
	}
	/* a session started later is still good when the first one ends */
	struct auth_session later = signin_ok(&w, "staff.person@tr1.example.nhs.uk", PW, AUTH_NEXT_DONE);
	set_clock(LIM_SESSION_ABS_S + 5);
	assert_int_equal(find_rc(&w, s.token, &f, &err), BW_EAUTH);
	assert_non_null(strstr(err.msg, "timed out"));
	assert_int_equal(find_rc(&w, later.token, &f, &err), BW_OK);
	db_close(w.db);
}

static void session_end_flash_and_everywhere(void **state)
{
	(void)state;
	struct world w = make_world("end");
	struct bw_error err = { 0 };
	struct auth_session a = signin_ok(&w, "staff.person@tr1.example.nhs.uk", PW, AUTH_NEXT_DONE), f;
	struct auth_session b = signin_ok(&w, "staff.person@tr1.example.nhs.uk", PW, AUTH_NEXT_DONE);
	struct auth_session c = signin_ok(&w, "staff.person@tr1.example.nhs.uk", PW, AUTH_NEXT_DONE);
	struct auth_session o = signin_ok(&w, "other@tr1.example.nhs.uk", PW, AUTH_NEXT_DONE);
	assert_string_not_equal(a.token, b.token);
	assert_string_not_equal(a.csrf, b.csrf);

	/* a message shown once, on the next page */
	auth_session_flash(w.db, b.id, "Your changes were saved");
	assert_int_equal(find_rc(&w, b.token, &f, &err), BW_OK);
	assert_string_equal(f.flash, "Your changes were saved");
	assert_int_equal(find_rc(&w, b.token, &f, &err), BW_OK);
	assert_string_equal(f.flash, "");

	/* signing out ends that session only */
	assert_int_equal(auth_session_end(w.db, &a, &err), BW_OK);
	assert_int_equal(find_rc(&w, a.token, &f, &err), BW_EAUTH);
	assert_int_equal(find_rc(&w, b.token, &f, &err), BW_OK);
	/* everywhere: every session of that user, nobody else's */
	assert_int_equal(auth_signout_everywhere(w.db, &w.cli, w.staff, &err), BW_OK);
	assert_int_equal(find_rc(&w, b.token, &f, &err), BW_EAUTH);
	assert_int_equal(find_rc(&w, c.token, &f, &err), BW_EAUTH);
	assert_int_equal(find_rc(&w, o.token, &f, &err), BW_OK);
	assert_int_equal(count(w.db, "SELECT count(*) FROM audit WHERE action = 'signout.all'"), 1);
	/* junk and unknown tokens are simply not signed in */
	assert_int_equal(find_rc(&w, "junk", &f, &err), BW_EAUTH);
	assert_int_equal(find_rc(&w, NULL, &f, &err), BW_EAUTH);
	char fresh[AUTH_TOKEN_LEN];
	auth_session_token_new(fresh);
	assert_int_equal(find_rc(&w, fresh, &f, &err), BW_EAUTH);
	expect_chain_intact(w.db);
	db_close(w.db);
}

static void promote_rotates_token(void **state)
{
	(void)state;
	struct world w = make_world("promote");
	struct bw_error err = { 0 };
	/* the national roles must set up a second factor; staff need not */
	struct auth_session s = signin_ok(&w, "admin@example.nhs.uk", PW, AUTH_NEXT_ENROL), f;
	signin_ok(&w, "analyst@example.nhs.uk", PW, AUTH_NEXT_ENROL);
	signin_ok(&w, "staff.person@tr1.example.nhs.uk", PW, AUTH_NEXT_DONE);
	assert_int_equal(find_rc(&w, s.token, &f, &err), BW_OK);
	assert_false(f.mfa_ok);

	char old_token[AUTH_TOKEN_LEN], old_csrf[AUTH_CSRF_LEN];
	snprintf(old_token, sizeof old_token, "%s", s.token);
	snprintf(old_csrf, sizeof old_csrf, "%s", s.csrf);
	assert_int_equal(auth_session_promote(w.db, &s, &err), BW_OK);
	assert_true(s.mfa_ok);
	assert_string_not_equal(s.token, old_token);
	assert_string_not_equal(s.csrf, old_csrf);
	/* the token from before the second factor no longer finds the session */
	assert_int_equal(find_rc(&w, old_token, &f, &err), BW_EAUTH);
	assert_int_equal(find_rc(&w, s.token, &f, &err), BW_OK);
	assert_int_equal(f.id, s.id);
	assert_true(f.mfa_ok);
	assert_string_equal(f.csrf, s.csrf);
	db_close(w.db);
}

/* ---- second factor ---- */

static void totp_now(const char *secret, char code[AUTH_TOTP_DIGITS + 1])
{
	assert_int_equal(auth_totp_code(secret, bw_now(), code), BW_OK);
}

static bool is_recovery_shape(const char *c)
{
	if (strlen(c) != 14 || c[4] != '-' || c[9] != '-')
		return false;
	for (int i = 0; i < 14; i++)
		if (i != 4 && i != 9 && !islower((unsigned char)c[i]) && !isdigit((unsigned char)c[i]))
			return false;
	return true;
}

static void mfa_enrol_check_and_recovery(void **state)
{
	(void)state;
	struct world w = make_world("mfa");
	struct bw_error err = { 0 };
	struct actor admin = actor_of(&w, w.admin);
	char secret[AUTH_TOTP_SECRET_LEN], pending[AUTH_TOTP_SECRET_LEN];
	char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_CODE_LEN];
	char code[AUTH_TOTP_DIGITS + 1];

	assert_false(auth_mfa_enrolled(w.db, w.admin));
	assert_int_equal(auth_mfa_confirm(w.db, &admin, "123456", codes, &err), BW_EINVAL);
	assert_string_equal(err.field, "code");
	assert_int_equal(auth_mfa_begin(w.db, w.admin, secret, &err), BW_OK);
	assert_int_equal(strlen(secret), 32);
	assert_true(auth_mfa_pending(w.db, w.admin, pending));
	assert_string_equal(pending, secret);

	/* not six digits; a code from another time */
	bw_error_clear(&err);
	assert_int_equal(auth_mfa_confirm(w.db, &admin, "12345", codes, &err), BW_EINVAL);
	assert_string_equal(err.field, "code");
	assert_non_null(strstr(err.msg, "6-digit"));
	assert_int_equal(auth_totp_code(secret, bw_now() + 600, code), BW_OK);
	assert_int_equal(auth_mfa_confirm(w.db, &admin, code, codes, &err), BW_EINVAL);
	assert_string_equal(err.field, "code");
	assert_non_null(strstr(err.msg, "not correct"));
	assert_false(auth_mfa_enrolled(w.db, w.admin));

	/* the right code enrols and gives ten distinct recovery codes */
	char enrol_code[AUTH_TOTP_DIGITS + 1];
	totp_now(secret, enrol_code);
	if (auth_mfa_confirm(w.db, &admin, enrol_code, codes, &err) != BW_OK)
		fail_msg("confirm: %s", err.msg);
	assert_true(auth_mfa_enrolled(w.db, w.admin));
	assert_false(auth_mfa_pending(w.db, w.admin, pending));
	for (int i = 0; i < AUTH_RECOVERY_CODES; i++) {
		if (!is_recovery_shape(codes[i]))
			fail_msg("recovery code %d: \"%s\"", i, codes[i]);
		for (int k = 0; k < i; k++)
			assert_string_not_equal(codes[i], codes[k]);
	}
	assert_int_equal(count(w.db, "SELECT count(*) FROM recovery_codes"), AUTH_RECOVERY_CODES);
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM recovery_codes WHERE code_hash = '%s'", codes[0]);
	assert_int_equal(count(w.db, sql), 0);    /* stored hashed */
	assert_int_equal(count(w.db, "SELECT count(*) FROM audit WHERE action = 'mfa.enrol'"), 1);

	/* an enrolled user is asked for a code after the password */
	struct auth_session s = signin_ok(&w, "admin@example.nhs.uk", PW, AUTH_NEXT_MFA);
	(void)s;
	/* the code used to enrol cannot be used again */
	bw_error_clear(&err);
	assert_int_equal(auth_mfa_check(w.db, &admin, enrol_code, &err), BW_EINVAL);
	assert_string_equal(err.field, "code");
	assert_non_null(strstr(err.msg, "already been used"));
	/* the next step's code works, once */
	set_clock(AUTH_TOTP_STEP);
	totp_now(secret, code);
	if (auth_mfa_check(w.db, &admin, code, &err) != BW_OK)
		fail_msg("check: %s", err.msg);
	assert_int_equal(auth_mfa_check(w.db, &admin, code, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "already been used"));
	/* typed with a space, as apps show it: still the same used code */
	char spaced[16];
	snprintf(spaced, sizeof spaced, "%.3s %s", code, code + 3);
	assert_int_equal(auth_mfa_check(w.db, &admin, spaced, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "already been used"));

	/* a recovery code works once; typed in capitals without dashes, too */
	assert_int_equal(auth_mfa_check(w.db, &admin, codes[0], &err), BW_OK);
	bw_error_clear(&err);
	assert_int_equal(auth_mfa_check(w.db, &admin, codes[0], &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "not correct"));
	char typed[32];
	size_t n = 0;
	for (const char *p = codes[1]; *p; p++)
		if (*p != '-')
			typed[n++] = (char)toupper((unsigned char)*p);
	typed[n] = 0;
	assert_int_equal(auth_mfa_check(w.db, &admin, typed, &err), BW_OK);
	assert_int_equal(auth_mfa_check(w.db, &admin, codes[1], &err), BW_EINVAL);
	assert_int_equal(count(w.db, "SELECT count(*) FROM recovery_codes WHERE used_at IS NOT NULL"), 2);
	assert_int_equal(count(w.db, "SELECT count(*) FROM audit WHERE action = 'mfa.recovery'"), 2);

	/* wrong codes count towards the lock-out like wrong passwords */
	set_clock(2 * AUTH_TOTP_STEP);
	signin_ok(&w, "admin@example.nhs.uk", PW, AUTH_NEXT_MFA);   /* a success clears the count */
	char wrong[AUTH_TOTP_DIGITS + 1];
	int64_t now = bw_now();
	for (int v = 0;; v++) {
		snprintf(wrong, sizeof wrong, "%06d", 111111 * (v % 10) + v / 10);
		bool live = false;
		for (int d = -1; d <= 1; d++) {
			assert_int_equal(auth_totp_code(secret, now + d * AUTH_TOTP_STEP, code), BW_OK);
			live = live || strcmp(code, wrong) == 0;
		}
		if (!live)
			break;
	}
	for (int i = 1; i < LIM_LOGIN_FAILS; i++) {
		bw_error_clear(&err);
		assert_int_equal(auth_mfa_check(w.db, &admin, wrong, &err), BW_EINVAL);
		assert_string_equal(err.msg, "The code is not correct");
	}
	assert_int_equal(auth_mfa_check(w.db, &admin, wrong, &err), BW_ELOCKED);
	totp_now(secret, code);
	assert_int_equal(auth_mfa_check(w.db, &admin, code, &err), BW_ELOCKED);
	assert_int_equal(signin_rc(&w, "admin@example.nhs.uk", PW, &err), BW_ELOCKED);

	/* an administrator removes a lost second factor: enrolment is due again */
	set_clock(LIM_LOCK_S + 2 * AUTH_TOTP_STEP + 1);
	assert_int_equal(auth_mfa_reset(w.db, &w.cli, w.admin, &err), BW_OK);
	assert_false(auth_mfa_enrolled(w.db, w.admin));
	assert_int_equal(count(w.db, "SELECT count(*) FROM recovery_codes"), 0);
	signin_ok(&w, "admin@example.nhs.uk", PW, AUTH_NEXT_ENROL);
	bw_error_clear(&err);
	assert_int_equal(auth_mfa_check(w.db, &admin, codes[2], &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "not set up"));

	/* staff may enrol too, and are then asked for a code */
	struct actor staff = actor_of(&w, w.staff);
	assert_int_equal(auth_mfa_begin(w.db, w.staff, secret, &err), BW_OK);
	totp_now(secret, code);
	assert_int_equal(auth_mfa_confirm(w.db, &staff, code, codes, &err), BW_OK);
	signin_ok(&w, "staff.person@tr1.example.nhs.uk", PW, AUTH_NEXT_MFA);
	expect_chain_intact(w.db);
	db_close(w.db);
}

/* ---- API tokens ---- */

static enum bw_err token_find_rc(struct world *w, const char *raw, int64_t *uid, bool *write, struct bw_error *err)
{
	bw_error_clear(err);
	*uid = -1;
	return auth_token_find(w->db, raw, uid, write, err);
}

static void api_tokens_create_find_revoke(void **state)
{
	(void)state;
	struct world w = make_world("tokens");
	struct bw_error err = { 0 };
	struct actor admin = actor_of(&w, w.admin);
	char ro[AUTH_API_TOKEN_LEN], rw[AUTH_API_TOKEN_LEN], exp[AUTH_API_TOKEN_LEN];
	int64_t ro_id = 0, rw_id = 0, exp_id = 0, uid;
	bool write = true;

	assert_int_equal(auth_token_create(w.db, &admin, w.staff, "Read-only feed", false, 0, ro, &ro_id, &err), BW_OK);
	assert_int_equal(strncmp(ro, AUTH_API_TOKEN_PREFIX, strlen(AUTH_API_TOKEN_PREFIX)), 0);
	assert_true(auth_api_token_valid(ro));
	assert_int_equal(token_find_rc(&w, ro, &uid, &write, &err), BW_OK);
	assert_int_equal(uid, w.staff);
	assert_false(write);
	assert_int_equal(auth_token_create(w.db, &admin, w.staff, "SIEM writer", true, 0, rw, &rw_id, &err), BW_OK);
	assert_int_not_equal(rw_id, ro_id);
	assert_string_not_equal(rw, ro);
	assert_int_equal(token_find_rc(&w, rw, &uid, &write, &err), BW_OK);
	assert_int_equal(uid, w.staff);
	assert_true(write);
	/* the raw token is not what is stored */
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM api_tokens WHERE token_hash = '%s' OR name = '%s'", ro, ro);
	assert_int_equal(count(w.db, sql), 0);
	/* its owner's organisation, for the access check */
	struct org_ref owner;
	assert_int_equal(auth_token_owner(w.db, ro_id, &owner), BW_OK);
	struct org tr1;
	assert_int_equal(orgs_get_by_code(w.db, "TR1", &tr1, &err), BW_OK);
	assert_int_equal(owner.id, tr1.id);
	assert_string_equal(owner.path, tr1.path);

	/* revoked: refused; revoking twice or an unknown token says so */
	assert_int_equal(auth_token_revoke(w.db, &admin, ro_id, &err), BW_OK);
	assert_int_equal(token_find_rc(&w, ro, &uid, &write, &err), BW_EAUTH);
	assert_non_null(strstr(err.msg, "revoked"));
	bw_error_clear(&err);
	assert_int_equal(auth_token_revoke(w.db, &admin, ro_id, &err), BW_ECONFLICT);
	assert_int_equal(auth_token_revoke(w.db, &admin, 99999, &err), BW_ENOTFOUND);
	assert_int_equal(token_find_rc(&w, rw, &uid, &write, &err), BW_OK);   /* the other one is unaffected */

	/* expired: good until its time, refused after */
	assert_int_equal(auth_token_create(w.db, &admin, w.staff, "Short-lived", false, bw_now() + 3600, exp, &exp_id, &err),
			 BW_OK);
	set_clock(3500);
	assert_int_equal(token_find_rc(&w, exp, &uid, &write, &err), BW_OK);
	set_clock(3601);
	assert_int_equal(token_find_rc(&w, exp, &uid, &write, &err), BW_EAUTH);
	assert_non_null(strstr(err.msg, "expired"));
	assert_int_equal(token_find_rc(&w, rw, &uid, &write, &err), BW_OK);   /* no expiry set: still good */

	/* unknown and malformed tokens */
	char unknown[AUTH_API_TOKEN_LEN];
	auth_api_token_new(unknown);
	assert_int_equal(token_find_rc(&w, unknown, &uid, &write, &err), BW_EAUTH);
	assert_int_equal(token_find_rc(&w, "bwk_short", &uid, &write, &err), BW_EAUTH);
	assert_int_equal(token_find_rc(&w, NULL, &uid, &write, &err), BW_EAUTH);

	/* a token needs a name and an existing user */
	char raw[AUTH_API_TOKEN_LEN];
	bw_error_clear(&err);
	assert_int_equal(auth_token_create(w.db, &admin, w.staff, "", false, 0, raw, NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "name");
	assert_int_equal(auth_token_create(w.db, &admin, 99999, "Nobody", false, 0, raw, NULL, &err), BW_ENOTFOUND);
	assert_int_equal(count(w.db, "SELECT count(*) FROM api_tokens"), 3);
	assert_int_equal(count(w.db, "SELECT count(*) FROM audit WHERE action = 'token.create'"), 3);
	assert_int_equal(count(w.db, "SELECT count(*) FROM audit WHERE action = 'token.revoke'"), 1);
	expect_chain_intact(w.db);
	db_close(w.db);
}

/* ---- passwords ---- */

static void password_policy_and_change(void **state)
{
	(void)state;
	struct world w = make_world("password");
	struct bw_error err = { 0 };
	struct actor staff = actor_of(&w, w.staff);
	static const char *const refused[] = {
		"password1234",                 /* guessable */
		"Summer2024!",                  /* too short, and guessable */
		"short",
		"staff.person-Quartz-91",       /* contains the e-mail's local part */
		"Quartz STAFF lantern 91",      /* contains the person's name */
	};
	for (size_t i = 0; i < BW_NELEM(refused); i++) {
		bw_error_clear(&err);
		if (auth_password_set(w.db, &w.cli, w.staff, refused[i], &err) != BW_EINVAL ||
		    strcmp(err.field, "password") != 0)
			fail_msg("\"%s\" was not refused on \"password\": %s (%s)", refused[i], err.msg, err.field);
		/* nothing changed: the refused password does not sign in, the old one does */
		assert_int_equal(signin_rc(&w, "staff.person@tr1.example.nhs.uk", refused[i], &err), BW_EAUTH);
	}
	signin_ok(&w, "staff.person@tr1.example.nhs.uk", PW, AUTH_NEXT_DONE);

	/* changing one's own: the current password first */
	bw_error_clear(&err);
	assert_int_equal(auth_password_change(w.db, &staff, WRONG, PW2, &err), BW_EINVAL);
	assert_string_equal(err.field, "current");
	bw_error_clear(&err);
	assert_int_equal(auth_password_change(w.db, &staff, PW, "password1234", &err), BW_EINVAL);
	assert_string_equal(err.field, "password");
	int64_t before = count(w.db, "SELECT count(*) FROM audit WHERE action = 'user.password'");
	assert_int_equal(auth_password_change(w.db, &staff, PW, PW2, &err), BW_OK);
	assert_int_equal(count(w.db, "SELECT count(*) FROM audit WHERE action = 'user.password'"), before + 1);
	assert_int_equal(signin_rc(&w, "staff.person@tr1.example.nhs.uk", PW, &err), BW_EAUTH);
	signin_ok(&w, "staff.person@tr1.example.nhs.uk", PW2, AUTH_NEXT_DONE);
	/* stored as argon2id, never as typed */
	assert_int_equal(count(w.db, "SELECT count(*) FROM credentials WHERE password_hash LIKE '$argon2id$%'"), 4);
	assert_int_equal(count(w.db, "SELECT count(*) FROM credentials WHERE password_hash LIKE '%Copper%'"), 0);
	expect_chain_intact(w.db);
	db_close(w.db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(signin_refusals_are_uniform, setup),
		cmocka_unit_test_setup(lockout_after_ten_failures, setup),
		cmocka_unit_test_setup(lockout_counts_recent_failures, setup),
		cmocka_unit_test_setup(session_idle_timeout, setup),
		cmocka_unit_test_setup(session_absolute_timeout, setup),
		cmocka_unit_test_setup(session_end_flash_and_everywhere, setup),
		cmocka_unit_test_setup(promote_rotates_token, setup),
		cmocka_unit_test_setup(mfa_enrol_check_and_recovery, setup),
		cmocka_unit_test_setup(api_tokens_create_find_revoke, setup),
		cmocka_unit_test_setup(password_policy_and_change, setup),
	};
	return cmocka_run_group_tests_name(pg_url() ? "session (postgres)" : "session (sqlite)", tests,
					   group_setup, group_teardown);
}

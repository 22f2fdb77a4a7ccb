/*
 * session: sign-in, sessions, the second factor and API tokens in the
 * database (see session.h). Lock-out counts failures per e-mail address as
 * typed (lower-cased), so an address that has no account locks the same
 * way and the answer never tells whether an account exists.
 */
#include <stdio.h>
#include <string.h>
#include <ctype.h>

#include "auth/session.h"

const struct db_migration auth_migrations[] = {
	{ "auth/0001_sessions",
	  "CREATE TABLE credentials ("
	  " user_id {{INT}} PRIMARY KEY REFERENCES users(id),"
	  " password_hash TEXT,"
	  " totp_secret TEXT,"
	  " totp_pending TEXT,"
	  " totp_last_step {{INT}} NOT NULL DEFAULT 0,"
	  " changed_at {{INT}} NOT NULL DEFAULT 0);"
	  "CREATE TABLE recovery_codes ("
	  " id {{ID}},"
	  " user_id {{INT}} NOT NULL REFERENCES users(id),"
	  " code_hash TEXT NOT NULL,"
	  " used_at {{INT}});"
	  "CREATE INDEX recovery_user ON recovery_codes(user_id);"
	  "CREATE TABLE sessions ("
	  " id {{ID}},"
	  " token_hash TEXT NOT NULL UNIQUE,"
	  " user_id {{INT}} NOT NULL REFERENCES users(id),"
	  " created_at {{INT}} NOT NULL,"
	  " last_seen_at {{INT}} NOT NULL,"
	  " mfa_ok {{INT}} NOT NULL DEFAULT 0,"
	  " ip TEXT NOT NULL DEFAULT '',"
	  " flash TEXT);"
	  "CREATE INDEX sessions_user ON sessions(user_id);"
	  "CREATE TABLE login_failures ("
	  " id {{ID}},"
	  " email TEXT NOT NULL,"
	  " at {{INT}} NOT NULL);"
	  "CREATE INDEX login_failures_email ON login_failures(email, at);"
	  "CREATE TABLE lockouts (email TEXT PRIMARY KEY, until_at {{INT}} NOT NULL);"
	  "CREATE TABLE api_tokens ("
	  " id {{ID}},"
	  " user_id {{INT}} NOT NULL REFERENCES users(id),"
	  " name TEXT NOT NULL,"
	  " token_hash TEXT NOT NULL UNIQUE,"
	  " can_write {{INT}} NOT NULL DEFAULT 0,"
	  " created_at {{INT}} NOT NULL,"
	  " expires_at {{INT}},"
	  " last_used_at {{INT}},"
	  " revoked_at {{INT}});"
	  "CREATE INDEX api_tokens_user ON api_tokens(user_id);" },
	{ NULL, NULL },
};

#define SESSION_TOUCH_S 60   /* refresh last_seen at most this often */

static void lower(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = 0;
}

static enum bw_err dberr(struct db *db, struct bw_error *err)
{
	return bw_fail(err, BW_EDB, NULL, "database: %s", db_errmsg(db));
}

static enum bw_err exec1(struct db *db, struct db_stmt *st, struct bw_error *err)
{
	if (!st || db_step(st) == DB_ERR)
		return dberr(db, err);
	db_reset(st);
	return BW_OK;
}

static void audit_quiet(struct db *db, int64_t actor_id, const char *actor, int64_t org_id,
			const char *action, const char *object, const char *summary)
{
	struct audit_rec r = { actor_id, actor, org_id, action, object, summary };
	struct bw_error e = { 0 };
	if (audit_append(db, &r, &e) != BW_OK)
		log_error("audit append failed: %s", e.msg);
}

/* ---- lock-out ---- */

static int64_t locked_until(struct db *db, const char *email)
{
	struct db_stmt *st = db_prep(db, "SELECT until_at FROM lockouts WHERE email = ?1");
	if (!st)
		return 0;
	db_bind_text(st, 1, email);
	int64_t until = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	return until > bw_now() ? until : 0;
}

struct fail_args {
	const char *email;
	int64_t org_id, user_id;
	const char *why;
};

static enum bw_err record_failure_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct fail_args *f = arg;
	int64_t now = bw_now();
	struct db_stmt *st = db_prep(db, "INSERT INTO login_failures (email, at) VALUES (?1, ?2)");
	if (!st)
		return dberr(db, err);
	db_bind_text(st, 1, f->email);
	db_bind_i64(st, 2, now);
	if (exec1(db, st, err))
		return err->code;
	st = db_prep(db, "SELECT count(*) FROM login_failures WHERE email = ?1 AND at > ?2");
	db_bind_text(st, 1, f->email);
	db_bind_i64(st, 2, now - LIM_LOGIN_WINDOW_S);
	int64_t n = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	char summary[400];
	snprintf(summary, sizeof summary, "Failed sign-in for %s (%s)", f->email, f->why);
	audit_quiet(db, f->user_id, f->email, f->org_id, "signin.fail", "session", summary);
	if (n >= LIM_LOGIN_FAILS) {
		st = db_prep(db, "INSERT INTO lockouts (email, until_at) VALUES (?1, ?2)"
				 " ON CONFLICT (email) DO UPDATE SET until_at = excluded.until_at");
		db_bind_text(st, 1, f->email);
		db_bind_i64(st, 2, now + LIM_LOCK_S);
		if (exec1(db, st, err))
			return err->code;
		st = db_prep(db, "DELETE FROM login_failures WHERE email = ?1");
		db_bind_text(st, 1, f->email);
		if (exec1(db, st, err))
			return err->code;
		snprintf(summary, sizeof summary, "Sign-in locked for %s for %d minutes after %d failures",
			 f->email, LIM_LOCK_S / 60, LIM_LOGIN_FAILS);
		audit_quiet(db, f->user_id, f->email, f->org_id, "signin.lock", "session", summary);
	}
	return BW_OK;
}

static void record_failure(struct db *db, const char *email, int64_t user_id, int64_t org_id,
			   const char *why)
{
	struct fail_args f = { email, org_id, user_id, why };
	struct bw_error e = { 0 };
	if (db_tx(db, true, record_failure_tx, &f, &e) != BW_OK)
		log_error("recording a failed sign-in: %s", e.msg);
}

static enum bw_err locked_error(struct bw_error *err, int64_t until)
{
	int64_t mins = (until - bw_now() + 59) / 60;
	return bw_fail(err, BW_ELOCKED, "email",
		       "There have been too many failed attempts to sign in. Try again in %lld minute%s.",
		       (long long)mins, mins == 1 ? "" : "s");
}

/* ---- sessions ---- */

struct new_session_args {
	int64_t user_id, org_id;
	const char *email, *ip;
	bool mfa_ok;
	struct auth_session *out;
	bool clear_failures;
};

static enum bw_err new_session_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct new_session_args *a = arg;
	struct auth_session *s = a->out;
	int64_t now = bw_now();
	auth_session_token_new(s->token);
	char hash[AUTH_HASH_HEX_LEN];
	auth_token_hash(s->token, hash);
	struct db_stmt *st = db_prep(db, "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, mfa_ok, ip)"
					 " VALUES (?1, ?2, ?3, ?3, ?4, ?5) RETURNING id");
	if (!st)
		return dberr(db, err);
	db_bind_text(st, 1, hash);
	db_bind_i64(st, 2, a->user_id);
	db_bind_i64(st, 3, now);
	db_bind_i64(st, 4, a->mfa_ok);
	db_bind_text(st, 5, a->ip ? a->ip : "");
	if (db_step(st) != DB_ROW)
		return dberr(db, err);
	s->id = db_col_i64(st, 0);
	db_reset(st);
	s->user_id = a->user_id;
	s->created_at = s->last_seen_at = now;
	s->mfa_ok = a->mfa_ok;
	s->flash[0] = 0;
	auth_csrf_token(s->token, s->csrf);
	if (a->clear_failures) {
		st = db_prep(db, "DELETE FROM login_failures WHERE email = ?1");
		db_bind_text(st, 1, a->email);
		if (exec1(db, st, err))
			return err->code;
	}
	char summary[400];
	snprintf(summary, sizeof summary, "Signed in%s from %s", a->mfa_ok ? "" : " (second factor due)",
		 a->ip ? a->ip : "-");
	audit_quiet(db, a->user_id, a->email, a->org_id, "signin", "session", summary);
	return BW_OK;
}

enum bw_err auth_signin(struct db *db, const char *email_in, const char *password, const char *ip,
			struct auth_session *out, enum auth_next *next, struct bw_error *err)
{
	char email[LIM_EMAIL + 1];
	if (!email_in || !*email_in)
		return bw_fail(err, BW_EINVAL, "email", "Enter your email address");
	if (!password || !*password)
		return bw_fail(err, BW_EINVAL, "password", "Enter your password");
	if (strlen(email_in) > LIM_EMAIL || strlen(password) > LIM_PASSWORD_MAX)
		return bw_fail(err, BW_EAUTH, "email", "The email address or password is not correct");
	lower(email, sizeof email, email_in);
	int64_t until = locked_until(db, email);
	if (until)
		return locked_error(err, until);

	struct user u;
	char stored[AUTH_PASSWORD_HASH_LEN] = "";
	bool found = users_get_by_email(db, email, &u, NULL) == BW_OK;
	if (found) {
		struct db_stmt *st = db_prep(db, "SELECT password_hash FROM credentials WHERE user_id = ?1");
		db_bind_i64(st, 1, u.id);
		if (db_step(st) == DB_ROW && db_col_text(st, 0))
			snprintf(stored, sizeof stored, "%s", db_col_text(st, 0));
		db_reset(st);
	}
	bool ok = false;
	if (stored[0])
		ok = auth_password_verify(stored, password);
	else
		auth_password_dummy_verify(password);
	if (!ok || u.disabled) {
		record_failure(db, email, found ? u.id : 0, found ? u.org_id : 0,
			       !found ? "no such account" : u.disabled ? "account disabled" : "wrong password");
		until = locked_until(db, email);
		if (until)
			return locked_error(err, until);
		return bw_fail(err, BW_EAUTH, "email", "The email address or password is not correct");
	}
	if (auth_password_needs_rehash(stored)) {
		char fresh[AUTH_PASSWORD_HASH_LEN];
		if (auth_password_hash(password, fresh, NULL) == BW_OK)
			auth_password_set_hash(db, u.id, fresh, NULL);
	}
	bool enrolled = auth_mfa_enrolled(db, u.id);
	*next = enrolled ? AUTH_NEXT_MFA : role_requires_mfa(u.role) ? AUTH_NEXT_ENROL : AUTH_NEXT_DONE;
	memset(out, 0, sizeof *out);
	struct new_session_args a = { u.id, u.org_id, email, ip, *next == AUTH_NEXT_DONE, out, true };
	return db_tx(db, true, new_session_tx, &a, err);
}

enum bw_err auth_session_find(struct db *db, const char *token, struct auth_session *out,
			      struct bw_error *err)
{
	if (!token || !auth_session_token_valid(token))
		return bw_fail(err, BW_EAUTH, NULL, "Not signed in");
	char hash[AUTH_HASH_HEX_LEN];
	auth_token_hash(token, hash);
	struct db_stmt *st = db_prep(db, "SELECT id, user_id, created_at, last_seen_at, mfa_ok, flash"
					 " FROM sessions WHERE token_hash = ?1");
	if (!st)
		return dberr(db, err);
	db_bind_text(st, 1, hash);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_EAUTH, NULL, "Not signed in");
	memset(out, 0, sizeof *out);
	out->id = db_col_i64(st, 0);
	out->user_id = db_col_i64(st, 1);
	out->created_at = db_col_i64(st, 2);
	out->last_seen_at = db_col_i64(st, 3);
	out->mfa_ok = db_col_i64(st, 4) != 0;
	snprintf(out->flash, sizeof out->flash, "%s", db_col_text(st, 5) ? db_col_text(st, 5) : "");
	db_reset(st);
	snprintf(out->token, sizeof out->token, "%s", token);
	auth_csrf_token(token, out->csrf);

	int64_t now = bw_now();
	int64_t idle = out->mfa_ok ? LIM_SESSION_IDLE_S : LIM_MFA_PENDING_S;
	if (now - out->last_seen_at > idle || now - out->created_at > LIM_SESSION_ABS_S) {
		auth_session_end(db, out, NULL);
		return bw_fail(err, BW_EAUTH, NULL, "Your session has timed out");
	}
	if (out->flash[0] || now - out->last_seen_at >= SESSION_TOUCH_S) {
		st = db_prep(db, "UPDATE sessions SET last_seen_at = ?1, flash = NULL WHERE id = ?2");
		db_bind_i64(st, 1, now);
		db_bind_i64(st, 2, out->id);
		exec1(db, st, NULL);
	}
	return BW_OK;
}

enum bw_err auth_session_promote(struct db *db, struct auth_session *s, struct bw_error *err)
{
	auth_session_token_new(s->token);
	char hash[AUTH_HASH_HEX_LEN];
	auth_token_hash(s->token, hash);
	struct db_stmt *st = db_prep(db, "UPDATE sessions SET token_hash = ?1, mfa_ok = 1, last_seen_at = ?2 WHERE id = ?3");
	if (!st)
		return dberr(db, err);
	db_bind_text(st, 1, hash);
	db_bind_i64(st, 2, bw_now());
	db_bind_i64(st, 3, s->id);
	if (exec1(db, st, err))
		return err->code;
	s->mfa_ok = true;
	auth_csrf_token(s->token, s->csrf);
	return BW_OK;
}

enum bw_err auth_session_end(struct db *db, const struct auth_session *s, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "DELETE FROM sessions WHERE id = ?1");
	if (!st)
		return dberr(db, err);
	db_bind_i64(st, 1, s->id);
	return exec1(db, st, err);
}

struct everywhere_args {
	const struct actor *by;
	int64_t user_id;
};

static enum bw_err everywhere_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct everywhere_args *a = arg;
	struct user u;
	if (users_get(db, a->user_id, &u, err) != BW_OK)
		return err->code;
	struct db_stmt *st = db_prep(db, "DELETE FROM sessions WHERE user_id = ?1");
	db_bind_i64(st, 1, a->user_id);
	if (exec1(db, st, err))
		return err->code;
	char obj[64], summary[300];
	snprintf(obj, sizeof obj, "user:%lld", (long long)u.id);
	snprintf(summary, sizeof summary, "Signed %s out of every session", u.email);
	struct audit_rec r = { a->by->user_id, a->by->email, u.org_id, "signout.all", obj, summary };
	return audit_append(db, &r, err);
}

enum bw_err auth_signout_everywhere(struct db *db, const struct actor *by, int64_t user_id,
				    struct bw_error *err)
{
	struct everywhere_args a = { by, user_id };
	return db_tx(db, true, everywhere_tx, &a, err);
}

void auth_session_flash(struct db *db, int64_t session_id, const char *text)
{
	struct db_stmt *st = db_prep(db, "UPDATE sessions SET flash = ?1 WHERE id = ?2");
	if (!st)
		return;
	db_bind_text(st, 1, text);
	db_bind_i64(st, 2, session_id);
	exec1(db, st, NULL);
}

int64_t auth_cleanup(struct db *db)
{
	int64_t now = bw_now(), n = 0;
	struct {
		const char *sql;
		int64_t before;
	} steps[] = {
		{ "DELETE FROM sessions WHERE created_at < ?1", now - LIM_SESSION_ABS_S },
		{ "DELETE FROM sessions WHERE last_seen_at < ?1", now - LIM_SESSION_IDLE_S },
		{ "DELETE FROM login_failures WHERE at < ?1", now - LIM_LOGIN_WINDOW_S },
		{ "DELETE FROM lockouts WHERE until_at < ?1", now },
	};
	for (size_t i = 0; i < BW_NELEM(steps); i++) {
		struct db_stmt *st = db_prep(db, steps[i].sql);
		if (!st)
			return -1;
		db_bind_i64(st, 1, steps[i].before);
		if (db_step(st) == DB_ERR)
			return -1;
		n += db_changes(db);
	}
	return n;
}

/* ---- passwords ---- */

enum bw_err auth_password_set_hash(struct db *db, int64_t user_id, const char *hash,
				   struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "INSERT INTO credentials (user_id, password_hash, changed_at) VALUES (?1, ?2, ?3)"
					 " ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash,"
					 " changed_at = excluded.changed_at");
	if (!st)
		return dberr(db, err);
	db_bind_i64(st, 1, user_id);
	db_bind_text(st, 2, hash);
	db_bind_i64(st, 3, bw_now());
	return exec1(db, st, err);
}

struct pw_args {
	const struct actor *by;
	int64_t user_id;
	const char *hash;
	const char *email;
	int64_t org_id;
};

static enum bw_err pw_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct pw_args *a = arg;
	if (auth_password_set_hash(db, a->user_id, a->hash, err) != BW_OK)
		return err->code;
	char obj[64], summary[300];
	snprintf(obj, sizeof obj, "user:%lld", (long long)a->user_id);
	snprintf(summary, sizeof summary, "Set the password of %s", a->email);
	struct audit_rec r = { a->by->user_id, a->by->email, a->org_id, "user.password", obj, summary };
	return audit_append(db, &r, err);
}

enum bw_err auth_password_set(struct db *db, const struct actor *by, int64_t user_id,
			      const char *password, struct bw_error *err)
{
	struct user u;
	if (users_get(db, user_id, &u, err) != BW_OK)
		return err->code;
	if (auth_password_check(password, u.email, u.name, err) != BW_OK)
		return err->code;
	char hash[AUTH_PASSWORD_HASH_LEN];
	if (auth_password_hash(password, hash, err) != BW_OK)
		return err->code;
	struct pw_args a = { by, user_id, hash, u.email, u.org_id };
	return db_tx(db, true, pw_tx, &a, err);
}

struct create_args {
	const struct actor *by;
	const char *org_code, *email, *name, *hash;
	enum role role;
	int64_t id;
};

static enum bw_err create_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct create_args *a = arg;
	if (users_add(db, a->by, a->org_code, a->email, a->name, a->role, &a->id, err) != BW_OK)
		return err->code;
	if (auth_password_set_hash(db, a->id, a->hash, err) != BW_OK)
		return err->code;
	struct user u;
	if (users_get(db, a->id, &u, err) != BW_OK)
		return err->code;
	char obj[64], summary[300];
	snprintf(obj, sizeof obj, "user:%lld", (long long)a->id);
	snprintf(summary, sizeof summary, "Set the first password of %s", u.email);
	struct audit_rec r = { a->by->user_id, a->by->email, u.org_id, "user.password", obj, summary };
	return audit_append(db, &r, err);
}

enum bw_err auth_user_create(struct db *db, const struct actor *by, const char *org_code,
			     const char *email, const char *name, enum role role, const char *password,
			     int64_t *id, struct bw_error *err)
{
	if (auth_password_check(password, email, name, err) != BW_OK)
		return err->code;
	char hash[AUTH_PASSWORD_HASH_LEN];
	if (auth_password_hash(password, hash, err) != BW_OK)
		return err->code;
	struct create_args a = { by, org_code, email, name, hash, role, 0 };
	enum bw_err rc = db_tx(db, true, create_tx, &a, err);
	if (rc == BW_OK && id)
		*id = a.id;
	return rc;
}

enum bw_err auth_password_change(struct db *db, const struct actor *a, const char *current,
				 const char *next, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "SELECT password_hash FROM credentials WHERE user_id = ?1");
	if (!st)
		return dberr(db, err);
	db_bind_i64(st, 1, a->user_id);
	char stored[AUTH_PASSWORD_HASH_LEN] = "";
	if (db_step(st) == DB_ROW && db_col_text(st, 0))
		snprintf(stored, sizeof stored, "%s", db_col_text(st, 0));
	db_reset(st);
	if (!current || !stored[0] || !auth_password_verify(stored, current))
		return bw_fail(err, BW_EINVAL, "current", "Your current password is not correct");
	return auth_password_set(db, a, a->user_id, next, err);
}

/* ---- second factor ---- */

bool auth_mfa_enrolled(struct db *db, int64_t user_id)
{
	struct db_stmt *st = db_prep(db, "SELECT totp_secret FROM credentials WHERE user_id = ?1");
	if (!st)
		return false;
	db_bind_i64(st, 1, user_id);
	bool yes = db_step(st) == DB_ROW && !db_col_isnull(st, 0);
	db_reset(st);
	return yes;
}

enum bw_err auth_mfa_begin(struct db *db, int64_t user_id, char secret[AUTH_TOTP_SECRET_LEN],
			   struct bw_error *err)
{
	auth_totp_secret_new(secret);
	struct db_stmt *st = db_prep(db, "INSERT INTO credentials (user_id, totp_pending) VALUES (?1, ?2)"
					 " ON CONFLICT (user_id) DO UPDATE SET totp_pending = excluded.totp_pending");
	if (!st)
		return dberr(db, err);
	db_bind_i64(st, 1, user_id);
	db_bind_text(st, 2, secret);
	return exec1(db, st, err);
}

bool auth_mfa_pending(struct db *db, int64_t user_id, char secret[AUTH_TOTP_SECRET_LEN])
{
	struct db_stmt *st = db_prep(db, "SELECT totp_pending FROM credentials WHERE user_id = ?1");
	if (!st)
		return false;
	db_bind_i64(st, 1, user_id);
	bool yes = false;
	if (db_step(st) == DB_ROW && db_col_text(st, 0)) {
		snprintf(secret, AUTH_TOTP_SECRET_LEN, "%s", db_col_text(st, 0));
		yes = true;
	}
	db_reset(st);
	return yes;
}

struct confirm_args {
	const struct actor *a;
	const char *secret;
	int64_t step;
	char (*codes)[AUTH_RECOVERY_CODE_LEN];
};

static enum bw_err confirm_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct confirm_args *c = arg;
	struct db_stmt *st = db_prep(db, "UPDATE credentials SET totp_secret = ?1, totp_pending = NULL,"
					 " totp_last_step = ?2 WHERE user_id = ?3");
	db_bind_text(st, 1, c->secret);
	db_bind_i64(st, 2, c->step);
	db_bind_i64(st, 3, c->a->user_id);
	if (exec1(db, st, err))
		return err->code;
	st = db_prep(db, "DELETE FROM recovery_codes WHERE user_id = ?1");
	db_bind_i64(st, 1, c->a->user_id);
	if (exec1(db, st, err))
		return err->code;
	char hashes[AUTH_RECOVERY_CODES][AUTH_HASH_HEX_LEN];
	auth_recovery_generate(c->codes, hashes, AUTH_RECOVERY_CODES);
	for (int i = 0; i < AUTH_RECOVERY_CODES; i++) {
		st = db_prep(db, "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)");
		db_bind_i64(st, 1, c->a->user_id);
		db_bind_text(st, 2, hashes[i]);
		if (exec1(db, st, err))
			return err->code;
	}
	char obj[64];
	snprintf(obj, sizeof obj, "user:%lld", (long long)c->a->user_id);
	struct audit_rec r = { c->a->user_id, c->a->email, c->a->org_id, "mfa.enrol", obj,
			       "Set up two-factor authentication and new recovery codes" };
	return audit_append(db, &r, err);
}

enum bw_err auth_mfa_confirm(struct db *db, const struct actor *a, const char *code,
			     char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_CODE_LEN],
			     struct bw_error *err)
{
	char secret[AUTH_TOTP_SECRET_LEN];
	if (!auth_mfa_pending(db, a->user_id, secret))
		return bw_fail(err, BW_EINVAL, "code", "Start setting up two-factor authentication again");
	int64_t step = 0;
	enum bw_err rc = auth_totp_verify(secret, code ? code : "", bw_now(), 0, &step);
	if (rc == BW_EINVAL)
		return bw_fail(err, BW_EINVAL, "code", "Enter the 6-digit code from your authenticator app");
	if (rc != BW_OK)
		return bw_fail(err, BW_EINVAL, "code", "The code is not correct. Check the time on your phone and try the newest code");
	struct confirm_args c = { a, secret, step, codes };
	return db_tx(db, true, confirm_tx, &c, err);
}

enum bw_err auth_mfa_check(struct db *db, const struct actor *a, const char *code,
			   struct bw_error *err)
{
	int64_t until = locked_until(db, a->email);
	if (until)
		return locked_error(err, until);
	struct db_stmt *st = db_prep(db, "SELECT totp_secret, totp_last_step FROM credentials WHERE user_id = ?1");
	if (!st)
		return dberr(db, err);
	db_bind_i64(st, 1, a->user_id);
	char secret[AUTH_TOTP_SECRET_LEN] = "";
	int64_t last = 0;
	if (db_step(st) == DB_ROW && db_col_text(st, 0)) {
		snprintf(secret, sizeof secret, "%s", db_col_text(st, 0));
		last = db_col_i64(st, 1);
	}
	db_reset(st);
	if (!secret[0])
		return bw_fail(err, BW_EINVAL, "code", "Two-factor authentication is not set up for this account");
	if (!code || !*code)
		return bw_fail(err, BW_EINVAL, "code", "Enter the 6-digit code from your authenticator app");
	int64_t step = 0;
	enum bw_err rc = auth_totp_verify(secret, code, bw_now(), last, &step);
	if (rc == BW_OK) {
		st = db_prep(db, "UPDATE credentials SET totp_last_step = ?1 WHERE user_id = ?2 AND totp_last_step < ?1");
		db_bind_i64(st, 1, step);
		db_bind_i64(st, 2, a->user_id);
		if (exec1(db, st, err))
			return err->code;
		if (db_changes(db) == 1)
			return BW_OK;
		rc = BW_ECONFLICT;   /* another request used this step first */
	}
	/* not a TOTP code: perhaps a recovery code */
	char h[AUTH_HASH_HEX_LEN];
	if (rc != BW_ECONFLICT && auth_recovery_hash(code, h)) {
		st = db_prep(db, "UPDATE recovery_codes SET used_at = ?1 WHERE user_id = ?2 AND code_hash = ?3 AND used_at IS NULL");
		db_bind_i64(st, 1, bw_now());
		db_bind_i64(st, 2, a->user_id);
		db_bind_text(st, 3, h);
		if (exec1(db, st, err))
			return err->code;
		if (db_changes(db) == 1) {
			char obj[64];
			snprintf(obj, sizeof obj, "user:%lld", (long long)a->user_id);
			audit_quiet(db, a->user_id, a->email, a->org_id, "mfa.recovery", obj,
				    "Signed in with a recovery code");
			return BW_OK;
		}
	}
	record_failure(db, a->email, a->user_id, a->org_id,
		       rc == BW_ECONFLICT ? "code already used" : "wrong second-factor code");
	until = locked_until(db, a->email);
	if (until)
		return locked_error(err, until);
	if (rc == BW_ECONFLICT)
		return bw_fail(err, BW_EINVAL, "code", "That code has already been used. Wait for the next code");
	return bw_fail(err, BW_EINVAL, "code", "The code is not correct");
}

struct reset_args {
	const struct actor *by;
	int64_t user_id;
};

static enum bw_err reset_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct reset_args *a = arg;
	struct user u;
	if (users_get(db, a->user_id, &u, err) != BW_OK)
		return err->code;
	struct db_stmt *st = db_prep(db, "UPDATE credentials SET totp_secret = NULL, totp_pending = NULL,"
					 " totp_last_step = 0 WHERE user_id = ?1");
	db_bind_i64(st, 1, a->user_id);
	if (exec1(db, st, err))
		return err->code;
	st = db_prep(db, "DELETE FROM recovery_codes WHERE user_id = ?1");
	db_bind_i64(st, 1, a->user_id);
	if (exec1(db, st, err))
		return err->code;
	char obj[64], summary[300];
	snprintf(obj, sizeof obj, "user:%lld", (long long)u.id);
	snprintf(summary, sizeof summary, "Removed two-factor authentication of %s", u.email);
	struct audit_rec r = { a->by->user_id, a->by->email, u.org_id, "mfa.reset", obj, summary };
	return audit_append(db, &r, err);
}

enum bw_err auth_mfa_reset(struct db *db, const struct actor *by, int64_t user_id,
			   struct bw_error *err)
{
	struct reset_args a = { by, user_id };
	return db_tx(db, true, reset_tx, &a, err);
}

/* ---- API tokens ---- */

struct token_args {
	const struct actor *by;
	int64_t user_id;
	const char *name;
	bool write;
	int64_t expires_at;
	char *raw;
	int64_t id;
};

static enum bw_err token_create_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct token_args *t = arg;
	struct user u;
	if (users_get(db, t->user_id, &u, err) != BW_OK)
		return err->code;
	auth_api_token_new(t->raw);
	char hash[AUTH_HASH_HEX_LEN];
	auth_token_hash(t->raw, hash);
	struct db_stmt *st = db_prep(db, "INSERT INTO api_tokens (user_id, name, token_hash, can_write, created_at, expires_at)"
					 " VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id");
	if (!st)
		return dberr(db, err);
	db_bind_i64(st, 1, t->user_id);
	db_bind_text(st, 2, t->name);
	db_bind_text(st, 3, hash);
	db_bind_i64(st, 4, t->write);
	db_bind_i64(st, 5, bw_now());
	if (t->expires_at > 0)
		db_bind_i64(st, 6, t->expires_at);
	else
		db_bind_null(st, 6);
	if (db_step(st) != DB_ROW)
		return dberr(db, err);
	t->id = db_col_i64(st, 0);
	db_reset(st);
	char obj[64], summary[400];
	snprintf(obj, sizeof obj, "token:%lld", (long long)t->id);
	snprintf(summary, sizeof summary, "Created %s API token \"%s\" for %s", t->write ? "read-write" : "read-only",
		 t->name, u.email);
	struct audit_rec r = { t->by->user_id, t->by->email, u.org_id, "token.create", obj, summary };
	return audit_append(db, &r, err);
}

enum bw_err auth_token_create(struct db *db, const struct actor *by, int64_t user_id,
			      const char *name, bool write, int64_t expires_at,
			      char raw[AUTH_API_TOKEN_LEN], int64_t *id, struct bw_error *err)
{
	if (orgs_check_name("name", name, err) != BW_OK)
		return err->code;
	struct token_args t = { by, user_id, name, write, expires_at, raw, 0 };
	enum bw_err rc = db_tx(db, true, token_create_tx, &t, err);
	if (rc == BW_OK && id)
		*id = t.id;
	return rc;
}

struct revoke_args {
	const struct actor *by;
	int64_t id;
};

static enum bw_err token_revoke_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct revoke_args *r = arg;
	struct org_ref owner;
	if (auth_token_owner(db, r->id, &owner) != BW_OK)
		return bw_fail(err, BW_ENOTFOUND, "id", "No such API token");
	struct db_stmt *st = db_prep(db, "UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL");
	db_bind_i64(st, 1, bw_now());
	db_bind_i64(st, 2, r->id);
	if (exec1(db, st, err))
		return err->code;
	if (db_changes(db) == 0)
		return bw_fail(err, BW_ECONFLICT, "id", "This API token was already revoked");
	char obj[64];
	snprintf(obj, sizeof obj, "token:%lld", (long long)r->id);
	struct audit_rec a = { r->by->user_id, r->by->email, owner.id, "token.revoke", obj, "Revoked an API token" };
	return audit_append(db, &a, err);
}

enum bw_err auth_token_revoke(struct db *db, const struct actor *by, int64_t token_id,
			      struct bw_error *err)
{
	struct revoke_args r = { by, token_id };
	return db_tx(db, true, token_revoke_tx, &r, err);
}

enum bw_err auth_token_find(struct db *db, const char *raw, int64_t *user_id, bool *write,
			    struct bw_error *err)
{
	if (!raw || !auth_api_token_valid(raw))
		return bw_fail(err, BW_EAUTH, NULL, "The API token is not valid");
	char hash[AUTH_HASH_HEX_LEN];
	auth_token_hash(raw, hash);
	struct db_stmt *st = db_prep(db, "SELECT id, user_id, can_write, expires_at, revoked_at, last_used_at"
					 " FROM api_tokens WHERE token_hash = ?1");
	if (!st)
		return dberr(db, err);
	db_bind_text(st, 1, hash);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_EAUTH, NULL, "The API token is not valid");
	int64_t id = db_col_i64(st, 0);
	*user_id = db_col_i64(st, 1);
	*write = db_col_i64(st, 2) != 0;
	bool expired = !db_col_isnull(st, 3) && db_col_i64(st, 3) <= bw_now();
	bool revoked = !db_col_isnull(st, 4);
	int64_t last = db_col_isnull(st, 5) ? 0 : db_col_i64(st, 5);
	db_reset(st);
	if (revoked)
		return bw_fail(err, BW_EAUTH, NULL, "The API token has been revoked");
	if (expired)
		return bw_fail(err, BW_EAUTH, NULL, "The API token has expired");
	if (bw_now() - last >= 60) {
		st = db_prep(db, "UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2");
		db_bind_i64(st, 1, bw_now());
		db_bind_i64(st, 2, id);
		exec1(db, st, NULL);
	}
	return BW_OK;
}

enum bw_err auth_token_owner(struct db *db, int64_t token_id, struct org_ref *out)
{
	struct db_stmt *st = db_prep(db, "SELECT o.id, o.path FROM api_tokens t JOIN users u ON u.id = t.user_id"
					 " JOIN orgs o ON o.id = u.org_id WHERE t.id = ?1");
	if (!st)
		return BW_EDB;
	db_bind_i64(st, 1, token_id);
	if (db_step(st) != DB_ROW)
		return BW_ENOTFOUND;
	out->id = db_col_i64(st, 0);
	snprintf(out->path, sizeof out->path, "%s", db_col_text(st, 1));
	db_reset(st);
	return BW_OK;
}

/*
 * auth/session: the database-backed half of sign-in — credentials, the
 * sign-in decision with lock-out, sessions (stored only as token hashes,
 * idle and absolute time-outs), the second factor (TOTP enrolment and
 * recovery codes) and API tokens. Built on the primitives of auth.h.
 * Depends on base, db, audit, orgs.
 */
#ifndef BW_AUTH_SESSION_H
#define BW_AUTH_SESSION_H

#include "auth/auth.h"
#include "orgs/orgs.h"

extern const struct db_migration auth_migrations[];

struct auth_session {
	int64_t id, user_id;
	int64_t created_at, last_seen_at;
	bool mfa_ok;                    /* second factor done (or not needed) */
	char token[AUTH_TOKEN_LEN];     /* raw token: only in memory, from the cookie */
	char csrf[AUTH_CSRF_LEN];
	char flash[256];
};

enum auth_next {
	AUTH_NEXT_DONE,   /* signed in */
	AUTH_NEXT_MFA,    /* enter the code from the authenticator app */
	AUTH_NEXT_ENROL,  /* this role needs a second factor: set one up now */
};

/* Password sign-in. On success a new session (mfa_ok unless a second
 * factor is due) and what comes next. Failures are uniform: BW_EAUTH
 * "email address or password is not correct", BW_ELOCKED after
 * LIM_LOGIN_FAILS failures in LIM_LOGIN_WINDOW_S, whether or not the
 * account exists. Audited. */
enum bw_err auth_signin(struct db *db, const char *email, const char *password, const char *ip,
			struct auth_session *out, enum auth_next *next, struct bw_error *err);
/* Looks up a session by its raw token; BW_EAUTH when unknown or timed out. */
enum bw_err auth_session_find(struct db *db, const char *token, struct auth_session *out,
			      struct bw_error *err);
/* After the second factor: new token (no fixation), mfa_ok set. */
enum bw_err auth_session_promote(struct db *db, struct auth_session *s, struct bw_error *err);
enum bw_err auth_session_end(struct db *db, const struct auth_session *s, struct bw_error *err);
/* Signs the user out of every session; audited. */
enum bw_err auth_signout_everywhere(struct db *db, const struct actor *by, int64_t user_id,
				    struct bw_error *err);
void auth_session_flash(struct db *db, int64_t session_id, const char *text);
/* Removes sessions past their time-outs, failures outside the lock-out
 * window and lapsed locks; returns rows removed (or -1). Run periodically. */
int64_t auth_cleanup(struct db *db);

/* Sets a password after the policy check (field "password"); audited. */
enum bw_err auth_password_set(struct db *db, const struct actor *by, int64_t user_id,
			      const char *password, struct bw_error *err);
/* Sets a precomputed argon2id string (the demo hashes its password once). */
enum bw_err auth_password_set_hash(struct db *db, int64_t user_id, const char *hash,
				   struct bw_error *err);
/* Adds a person and sets their first password in one transaction (a crash
 * between the two would leave an account no one can sign in to whose
 * address cannot be added again). The policy check and the hashing happen
 * first, outside the transaction. err names "email", "name", "org", "role"
 * or "password". */
enum bw_err auth_user_create(struct db *db, const struct actor *by, const char *org_code,
			     const char *email, const char *name, enum role role, const char *password,
			     int64_t *id, struct bw_error *err);
/* Changes one's own password: checks the current one first (field "current"). */
enum bw_err auth_password_change(struct db *db, const struct actor *a, const char *current,
				 const char *next, struct bw_error *err);

/* ---- second factor ---- */
bool auth_mfa_enrolled(struct db *db, int64_t user_id);
/* Starts (or restarts) enrolment: a new pending secret. */
enum bw_err auth_mfa_begin(struct db *db, int64_t user_id, char secret[AUTH_TOTP_SECRET_LEN],
			   struct bw_error *err);
/* The pending secret, if enrolment has begun. */
bool auth_mfa_pending(struct db *db, int64_t user_id, char secret[AUTH_TOTP_SECRET_LEN]);
/* Confirms enrolment with a code from the app; returns the recovery codes
 * to show once. Field "code" on a wrong code. Audited. */
enum bw_err auth_mfa_confirm(struct db *db, const struct actor *a, const char *code,
			     char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_CODE_LEN],
			     struct bw_error *err);
/* Checks a TOTP code or an unused recovery code (which is then spent).
 * Failures count towards the lock-out like passwords. Audited. */
enum bw_err auth_mfa_check(struct db *db, const struct actor *a, const char *code,
			   struct bw_error *err);
/* Removes a user's second factor (an admin, for someone who lost theirs). */
enum bw_err auth_mfa_reset(struct db *db, const struct actor *by, int64_t user_id,
			   struct bw_error *err);

/* ---- API tokens ---- */
enum bw_err auth_token_create(struct db *db, const struct actor *by, int64_t user_id,
			      const char *name, bool write, int64_t expires_at,
			      char raw[AUTH_API_TOKEN_LEN], int64_t *id, struct bw_error *err);
enum bw_err auth_token_revoke(struct db *db, const struct actor *by, int64_t token_id,
			      struct bw_error *err);
/* Accepts a bearer token: its user and whether it may write. */
enum bw_err auth_token_find(struct db *db, const char *raw, int64_t *user_id, bool *write,
			    struct bw_error *err);
/* Owner's organisation of a token, for the access check. */
enum bw_err auth_token_owner(struct db *db, int64_t token_id, struct org_ref *out);

#endif

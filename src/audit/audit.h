/*
 * audit: the hash-chained audit trail. Every state change appends a record
 * in the same transaction as the change; each record's hash is SHA-256 over
 * the previous hash and the record's canonical form, built here from typed
 * values (never a backend's text rendering) so the chain verifies the same
 * on SQLite and PostgreSQL and after `migrate`. Depends on base and db.
 */
#ifndef BW_AUDIT_H
#define BW_AUDIT_H

#include "db/db.h"

extern const struct db_migration audit_migrations[];

struct audit_rec {
	int64_t actor_id;       /* 0: the system or the command line */
	const char *actor;      /* e-mail or "cli" / "system" */
	int64_t org_id;         /* organisation the change concerns, 0 if none */
	const char *action;     /* "user.create", "signin.fail", ... */
	const char *object;     /* "user:42" */
	const char *summary;    /* plain words, no secrets */
};

/* Appends one record; call inside the transaction of the change it records.
 * Serialises on the chain head row (an UPDATE takes its lock on both backends). */
enum bw_err audit_append(struct db *db, const struct audit_rec *r, struct bw_error *err);

/* Streams the whole chain. BW_OK when intact; otherwise err names the first
 * broken record (its id) and *bad_id is set. *count receives records checked. */
enum bw_err audit_verify(struct db *db, int64_t *count, int64_t *bad_id, struct bw_error *err);

/* Canonical form for hashing (length-prefixed fields); exposed for tests. */
void audit_canonical(struct buf *out, int64_t id, int64_t at, const struct audit_rec *r);

#endif

/* audit: append to and verify the hash chain (see audit.h). */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"

const struct db_migration audit_migrations[] = {
	{ "audit/0001_chain",
	  "CREATE TABLE audit ("
	  " id {{INT}} PRIMARY KEY,"
	  " at {{INT}} NOT NULL,"
	  " actor_id {{INT}} NOT NULL,"
	  " actor TEXT NOT NULL,"
	  " org_id {{INT}} NOT NULL,"
	  " action TEXT NOT NULL,"
	  " object TEXT NOT NULL,"
	  " summary TEXT NOT NULL,"
	  " prev TEXT NOT NULL,"
	  " hash TEXT NOT NULL);"
	  "CREATE INDEX audit_org ON audit(org_id, id);"
	  "CREATE TABLE audit_head (one {{INT}} PRIMARY KEY, seq {{INT}} NOT NULL, hash TEXT NOT NULL);"
	  "INSERT INTO audit_head (one, seq, hash) VALUES (1, 0, "
	  "'0000000000000000000000000000000000000000000000000000000000000000');" },
	{ NULL, NULL },
};

static void field_str(struct buf *b, const char *s)
{
	if (!s)
		s = "";
	buf_printf(b, "%zu:", strlen(s));
	buf_puts(b, s);
	buf_putc(b, ';');
}

void audit_canonical(struct buf *out, int64_t id, int64_t at, const struct audit_rec *r)
{
	buf_printf(out, "v1;%lld;%lld;%lld;", (long long)id, (long long)at, (long long)r->actor_id);
	field_str(out, r->actor);
	buf_printf(out, "%lld;", (long long)r->org_id);
	field_str(out, r->action);
	field_str(out, r->object);
	field_str(out, r->summary);
}

static void chain_hash(const char *prev, const struct buf *canon, char out[65])
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, prev);
	buf_add(&b, canon->p, canon->len);
	uint8_t h[32];
	bw_sha256(b.p, b.len, h);
	bw_hex(h, 32, out);
	buf_free(&b);
}

enum bw_err audit_append(struct db *db, const struct audit_rec *r, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "UPDATE audit_head SET seq = seq + 1 WHERE one = 1 RETURNING seq, hash");
	if (!st || db_step(st) != DB_ROW)
		return bw_fail(err, BW_EDB, NULL, "audit head: %s", db_errmsg(db));
	int64_t id = db_col_i64(st, 0);
	char prev[65];
	snprintf(prev, sizeof prev, "%s", db_col_text(st, 1) ? db_col_text(st, 1) : "");
	db_reset(st);

	int64_t at = bw_now();
	struct buf canon;
	buf_init(&canon);
	audit_canonical(&canon, id, at, r);
	char hash[65];
	chain_hash(prev, &canon, hash);
	buf_free(&canon);

	st = db_prep(db, "INSERT INTO audit (id, at, actor_id, actor, org_id, action, object, summary, prev, hash)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	if (!st)
		return bw_fail(err, BW_EDB, NULL, "audit insert: %s", db_errmsg(db));
	db_bind_i64(st, 1, id);
	db_bind_i64(st, 2, at);
	db_bind_i64(st, 3, r->actor_id);
	db_bind_text(st, 4, r->actor ? r->actor : "");
	db_bind_i64(st, 5, r->org_id);
	db_bind_text(st, 6, r->action);
	db_bind_text(st, 7, r->object ? r->object : "");
	db_bind_text(st, 8, r->summary ? r->summary : "");
	db_bind_text(st, 9, prev);
	db_bind_text(st, 10, hash);
	if (db_step(st) != DB_DONE)
		return bw_fail(err, BW_EDB, NULL, "audit insert: %s", db_errmsg(db));
	st = db_prep(db, "UPDATE audit_head SET hash = ?1 WHERE one = 1");
	if (!st)
		return bw_fail(err, BW_EDB, NULL, "audit head: %s", db_errmsg(db));
	db_bind_text(st, 1, hash);
	if (db_step(st) != DB_DONE)
		return bw_fail(err, BW_EDB, NULL, "audit head: %s", db_errmsg(db));
	return BW_OK;
}

enum bw_err audit_verify(struct db *db, int64_t *count, int64_t *bad_id, struct bw_error *err)
{
	*count = 0;
	*bad_id = 0;
	char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
	int64_t expect_id = 1;
	struct db_stmt *st = db_prep(db, "SELECT id, at, actor_id, actor, org_id, action, object, summary, prev, hash"
					 " FROM audit ORDER BY id");
	if (!st)
		return bw_fail(err, BW_EDB, NULL, "audit: %s", db_errmsg(db));
	struct buf canon;
	buf_init(&canon);
	enum bw_err rc = BW_OK;
	int s;
	while ((s = db_step(st)) == DB_ROW) {
		int64_t id = db_col_i64(st, 0);
		struct audit_rec r = {
			.actor_id = db_col_i64(st, 2),
			.actor = db_col_text(st, 3),
			.org_id = db_col_i64(st, 4),
			.action = db_col_text(st, 5),
			.object = db_col_text(st, 6),
			.summary = db_col_text(st, 7),
		};
		const char *rprev = db_col_text(st, 8), *rhash = db_col_text(st, 9);
		buf_reset(&canon);
		audit_canonical(&canon, id, db_col_i64(st, 1), &r);
		char hash[65];
		chain_hash(prev, &canon, hash);
		if (id != expect_id) {
			rc = bw_fail(err, BW_ECONFLICT, NULL, "audit record %lld is missing (found %lld next)",
				     (long long)expect_id, (long long)id);
			*bad_id = expect_id;
		} else if (!rprev || strcmp(rprev, prev) != 0) {
			rc = bw_fail(err, BW_ECONFLICT, NULL, "audit record %lld does not follow its predecessor", (long long)id);
			*bad_id = id;
		} else if (!rhash || strcmp(rhash, hash) != 0) {
			rc = bw_fail(err, BW_ECONFLICT, NULL, "audit record %lld has been altered (hash mismatch)", (long long)id);
			*bad_id = id;
		}
		if (rc != BW_OK) {
			db_reset(st);
			break;
		}
		memcpy(prev, hash, sizeof prev);
		expect_id++;
		(*count)++;
	}
	buf_free(&canon);
	if (rc == BW_OK && s == DB_ERR)
		rc = bw_fail(err, BW_EDB, NULL, "audit: %s", db_errmsg(db));
	if (rc == BW_OK) {
		/* the head must agree with the last record, or records were cut off the end */
		struct db_stmt *h = db_prep(db, "SELECT seq, hash FROM audit_head WHERE one = 1");
		if (h && db_step(h) == DB_ROW) {
			int64_t seq = db_col_i64(h, 0);
			bool same = seq == expect_id - 1 && db_col_text(h, 1) && strcmp(db_col_text(h, 1), prev) == 0;
			db_reset(h);
			if (!same) {
				*bad_id = expect_id;
				rc = bw_fail(err, BW_ECONFLICT, NULL,
					     "audit chain ends at record %lld but the head records %lld: records were removed",
					     (long long)(expect_id - 1), (long long)seq);
			}
		}
	}
	return rc;
}

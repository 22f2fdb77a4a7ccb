/*
 * Unit tests for src/audit: the hash chain verifies when intact and names
 * the first broken record when someone edits, deletes or re-orders records;
 * appends follow their transaction; two writers at once keep one chain.
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
#include <ftw.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit/audit.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static char tmpdir[256];

/* ---- harness ---- */

static const char *pg_url(void)
{
	const char *u = getenv("BULWARK_TEST_DB");
	if (u && (!strncmp(u, "postgresql://", 13) || !strncmp(u, "postgres://", 11)))
		return u;
	return NULL;
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
	snprintf(tmpdir, sizeof tmpdir, "/tmp/bw-unit-audit-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* A fresh, migrated database for one test; url receives its URL so a test
 * can open more connections to it. */
static struct db *fresh_db(const char *name, char url[512])
{
	struct bw_error err = { 0 };
	const char *pg = pg_url();
	if (pg) {
		struct db *admin;
		if (db_open(&admin, pg, &err) != BW_OK)
			fail_msg("db_open %s: %s", pg, err.msg);
		char sql[256];
		snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS ta_%s CASCADE; CREATE SCHEMA ta_%s", name, name);
		assert_int_equal(db_exec(admin, sql, &err), BW_OK);
		db_close(admin);
		snprintf(url, 512, "%s%soptions=-csearch_path%%3Dta_%s", pg, strchr(pg, '?') ? "&" : "?", name);
	} else {
		snprintf(url, 512, "%s/%s.db", tmpdir, name);
		unlink(url);
	}
	struct db *db = NULL;
	if (db_open(&db, url, &err) != BW_OK)
		fail_msg("db_open %s: %s", url, err.msg);
	const struct db_migration *const sets[] = { audit_migrations, NULL };
	if (db_migrate(db, sets, &err) != BW_OK)
		fail_msg("migrate: %s", err.msg);
	return db;
}

static void exec_ok(struct db *db, const char *sql)
{
	struct bw_error err = { 0 };
	if (db_exec(db, sql, &err) != BW_OK)
		fail_msg("%s: %s", sql, err.msg);
}

static int64_t count(struct db *db, const char *sql)
{
	int64_t v = db_query_i64(db, sql, -1);
	if (v < 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return v;
}

struct append_args {
	int n;                 /* records to append */
	const char *tag;       /* goes into the summary */
	enum bw_err result;    /* what the transaction returns after appending */
	struct append_args *inner;  /* a nested transaction after the appends */
};

static enum bw_err append_fn(struct db *db, void *arg, struct bw_error *err)
{
	struct append_args *a = arg;
	for (int i = 0; i < a->n; i++) {
		char obj[32], summary[128];
		snprintf(obj, sizeof obj, "user:%d", i + 1);
		snprintf(summary, sizeof summary, "%s record %d", a->tag, i);
		struct audit_rec r = { 7, "lead@example.nhs.uk", 3, "user.add", obj, summary };
		enum bw_err rc = audit_append(db, &r, err);
		if (rc != BW_OK)
			return rc;
	}
	if (a->inner) {
		struct bw_error e = { 0 };
		enum bw_err rc = db_tx(db, false, append_fn, a->inner, &e);
		assert_int_equal(rc, a->inner->result);
	}
	if (a->result != BW_OK)
		return bw_fail(err, a->result, NULL, "refused %s", a->tag);
	return BW_OK;
}

static void append_n(struct db *db, int n)
{
	struct bw_error err = { 0 };
	for (int i = 0; i < n; i++) {
		struct append_args a = { 1, "plain", BW_OK, NULL };
		if (db_tx(db, true, append_fn, &a, &err) != BW_OK)
			fail_msg("append: %s", err.msg);
	}
}

/* Expects verification to fail at record bad with a message containing want. */
static void expect_broken(struct db *db, int64_t bad, const char *want)
{
	struct bw_error err = { 0 };
	int64_t n = -1, bad_id = -1;
	assert_int_equal(audit_verify(db, &n, &bad_id, &err), BW_ECONFLICT);
	if (bad_id != bad || !strstr(err.msg, want))
		fail_msg("expected record %lld (\"%s\"), got %lld: %s", (long long)bad, want,
			 (long long)bad_id, err.msg);
	assert_int_equal(n, bad - 1);   /* the records before it were good */
}

static void expect_intact(struct db *db, int64_t records)
{
	struct bw_error err = { 0 };
	int64_t n = -1, bad_id = -1;
	if (audit_verify(db, &n, &bad_id, &err) != BW_OK)
		fail_msg("chain broken: %s", err.msg);
	assert_int_equal(n, records);
	assert_int_equal(bad_id, 0);
}

/* ---- an intact chain ---- */

static void chain_of_appends_verifies(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("intact", url);
	expect_intact(db, 0);      /* an empty trail is intact */

	append_n(db, 3);
	struct bw_error err = { 0 };
	struct append_args two = { 2, "pair", BW_OK, NULL };
	assert_int_equal(db_tx(db, true, append_fn, &two, &err), BW_OK);
	/* NULL text fields are stored and hashed as empty, and still verify */
	struct audit_rec sparse = { 0, NULL, 0, "system.start", NULL, NULL };
	assert_int_equal(audit_append(db, &sparse, &err), BW_OK);
	/* text beyond ASCII and a long summary hash the same on read-back */
	char longsum[4001];
	memset(longsum, 'x', sizeof longsum - 1);
	longsum[sizeof longsum - 1] = 0;
	memcpy(longsum, "Caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x92 ", 15);
	struct audit_rec wide = { 9, "Zo\xc3\xab@example.nhs.uk", 12, "org.add", "org:X\"'\\", longsum };
	assert_int_equal(audit_append(db, &wide, &err), BW_OK);
	expect_intact(db, 7);

	/* ids are 1..7 in order, each record's prev is the hash before it */
	struct db_stmt *st = db_prep(db, "SELECT id, prev, hash, actor, object, summary FROM audit ORDER BY id");
	assert_non_null(st);
	char prev[65] = ZERO_HASH;
	for (int64_t id = 1; id <= 7; id++) {
		assert_int_equal(db_step(st), DB_ROW);
		assert_int_equal(db_col_i64(st, 0), id);
		assert_string_equal(db_col_text(st, 1), prev);
		assert_int_equal(strlen(db_col_text(st, 2)), 64);
		assert_string_not_equal(db_col_text(st, 2), prev);
		if (id == 6) {
			assert_string_equal(db_col_text(st, 3), "");
			assert_string_equal(db_col_text(st, 4), "");
		}
		if (id == 7)
			assert_string_equal(db_col_text(st, 5), longsum);
		snprintf(prev, sizeof prev, "%s", db_col_text(st, 2));
	}
	assert_int_equal(db_step(st), DB_DONE);
	/* the head records the last hash */
	st = db_prep(db, "SELECT seq, hash FROM audit_head");
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_i64(st, 0), 7);
	assert_string_equal(db_col_text(st, 1), prev);
	db_reset(st);
	db_close(db);
}

/* ---- tampering ---- */

static void edited_record_detected(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("edit", url);
	append_n(db, 5);
	expect_intact(db, 5);

	exec_ok(db, "UPDATE audit SET summary = 'nothing happened here' WHERE id = 3");
	expect_broken(db, 3, "record 3 has been altered");
	exec_ok(db, "UPDATE audit SET summary = 'plain record 0' WHERE id = 3");
	expect_intact(db, 5);

	/* every field is covered, not only the summary */
	static const char *const edits[][2] = {
		{ "UPDATE audit SET at = at + 1 WHERE id = 2", "UPDATE audit SET at = at - 1 WHERE id = 2" },
		{ "UPDATE audit SET actor_id = 8 WHERE id = 2", "UPDATE audit SET actor_id = 7 WHERE id = 2" },
		{ "UPDATE audit SET actor = 'x@example.nhs.uk' WHERE id = 2",
		  "UPDATE audit SET actor = 'lead@example.nhs.uk' WHERE id = 2" },
		{ "UPDATE audit SET org_id = 4 WHERE id = 2", "UPDATE audit SET org_id = 3 WHERE id = 2" },
		{ "UPDATE audit SET action = 'user.del' WHERE id = 2", "UPDATE audit SET action = 'user.add' WHERE id = 2" },
		{ "UPDATE audit SET object = 'user:9' WHERE id = 2", "UPDATE audit SET object = 'user:1' WHERE id = 2" },
	};
	for (size_t i = 0; i < BW_NELEM(edits); i++) {
		exec_ok(db, edits[i][0]);
		expect_broken(db, 2, "record 2 has been altered");
		exec_ok(db, edits[i][1]);
		expect_intact(db, 5);
	}

	/* an editor who also recomputes the record's hash breaks the link to
	 * the next record instead */
	struct db_stmt *st = db_prep(db, "SELECT at, prev FROM audit WHERE id = 3");
	assert_int_equal(db_step(st), DB_ROW);
	int64_t at = db_col_i64(st, 0);
	char prev3[65];
	snprintf(prev3, sizeof prev3, "%s", db_col_text(st, 1));
	db_reset(st);
	struct audit_rec forged = { 7, "lead@example.nhs.uk", 3, "user.add", "user:1", "nothing to see" };
	struct buf b;
	buf_init(&b);
	buf_puts(&b, prev3);
	audit_canonical(&b, 3, at, &forged);
	uint8_t h[32];
	char hex[65];
	bw_sha256(b.p, b.len, h);
	bw_hex(h, 32, hex);
	buf_free(&b);
	st = db_prep(db, "UPDATE audit SET summary = ?1, hash = ?2 WHERE id = 3");
	db_bind_text(st, 1, forged.summary);
	db_bind_text(st, 2, hex);
	assert_int_equal(db_step(st), DB_DONE);
	expect_broken(db, 4, "record 4 does not follow its predecessor");
	db_close(db);
}

static void deleted_record_detected(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("del", url);
	append_n(db, 5);
	exec_ok(db, "DELETE FROM audit WHERE id = 3");
	expect_broken(db, 3, "record 3 is missing");

	/* the first record too */
	struct db *db2 = fresh_db("delfirst", url);
	append_n(db2, 3);
	exec_ok(db2, "DELETE FROM audit WHERE id = 1");
	expect_broken(db2, 1, "record 1 is missing");
	db_close(db2);
	db_close(db);
}

static void deleted_last_record_detected(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("dellast", url);
	append_n(db, 5);
	exec_ok(db, "DELETE FROM audit WHERE id = 5");
	expect_broken(db, 5, "head records 5");
	/* the whole trail emptied: the head still remembers */
	exec_ok(db, "DELETE FROM audit");
	expect_broken(db, 1, "head records 5");
	db_close(db);
}

static void reordered_records_detected(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("order", url);
	append_n(db, 5);
	/* swap records 2 and 3 whole */
	exec_ok(db, "UPDATE audit SET id = 100 WHERE id = 2");
	exec_ok(db, "UPDATE audit SET id = 2 WHERE id = 3");
	exec_ok(db, "UPDATE audit SET id = 3 WHERE id = 100");
	expect_broken(db, 2, "record 2 ");

	/* the same time stamps in another order */
	struct db *db2 = fresh_db("order2", url);
	append_n(db2, 4);
	exec_ok(db2, "UPDATE audit SET at = 5 WHERE id = 3");
	exec_ok(db2, "UPDATE audit SET at = 6 WHERE id = 2");
	expect_broken(db2, 2, "record 2 has been altered");
	db_close(db2);
	db_close(db);
}

/* ---- transactions ---- */

static void rolled_back_appends_leave_no_trace(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("rollback", url);
	struct bw_error err = { 0 };
	append_n(db, 2);

	struct append_args bad = { 3, "doomed", BW_EINVAL, NULL };
	assert_int_equal(db_tx(db, true, append_fn, &bad, &err), BW_EINVAL);
	assert_int_equal(count(db, "SELECT count(*) FROM audit"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE summary LIKE 'doomed%'"), 0);
	assert_int_equal(count(db, "SELECT seq FROM audit_head"), 2);

	/* a failing inner transaction undoes its own appends only */
	struct append_args inner = { 2, "inner", BW_EINVAL, NULL };
	struct append_args outer = { 1, "outer", BW_OK, &inner };
	assert_int_equal(db_tx(db, true, append_fn, &outer, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE summary LIKE 'inner%'"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE summary LIKE 'outer%'"), 1);

	/* the next append takes the next number: no gap */
	append_n(db, 1);
	assert_int_equal(count(db, "SELECT max(id) FROM audit"), 4);
	expect_intact(db, 4);
	db_close(db);
}

struct appender {
	const char *url;
	pthread_barrier_t *start;
	int rounds, ok;
	char msg[256];
};

static void *append_thread(void *p)
{
	struct appender *a = p;
	struct db *db;
	struct bw_error err = { 0 };
	if (db_open(&db, a->url, &err) != BW_OK) {
		snprintf(a->msg, sizeof a->msg, "open: %s", err.msg);
		pthread_barrier_wait(a->start);
		return NULL;
	}
	pthread_barrier_wait(a->start);
	for (int i = 0; i < a->rounds; i++) {
		struct append_args one = { 1, "thread", BW_OK, NULL };
		if (db_tx(db, false, append_fn, &one, &err) == BW_OK)
			a->ok++;
		else
			snprintf(a->msg, sizeof a->msg, "append: %s", err.msg);
	}
	db_close(db);
	return NULL;
}

static void concurrent_appenders_keep_one_chain(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("threads", url);
	enum { T = 2, ROUNDS = 40 };
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, T);
	struct appender a[T];
	pthread_t t[T];
	for (int i = 0; i < T; i++) {
		a[i] = (struct appender){ .url = url, .start = &start, .rounds = ROUNDS };
		assert_int_equal(pthread_create(&t[i], NULL, append_thread, &a[i]), 0);
	}
	for (int i = 0; i < T; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < T; i++)
		if (a[i].ok != ROUNDS)
			fail_msg("appender %d: %d of %d (%s)", i, a[i].ok, ROUNDS, a[i].msg);
	assert_int_equal(count(db, "SELECT count(*) FROM audit"), T * ROUNDS);
	assert_int_equal(count(db, "SELECT count(DISTINCT id) FROM audit"), T * ROUNDS);
	assert_int_equal(count(db, "SELECT count(DISTINCT prev) FROM audit"), T * ROUNDS);
	assert_int_equal(count(db, "SELECT max(id) FROM audit"), T * ROUNDS);
	expect_intact(db, T * ROUNDS);
	db_close(db);
}

/* ---- the canonical form ---- */

static void canonical(struct buf *b, const struct audit_rec *r)
{
	buf_reset(b);
	audit_canonical(b, 5, 1700000000, r);
}

static void canonical_form_distinguishes_fields(void **state)
{
	(void)state;
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);

	/* the format is fixed: a change would break every stored chain */
	struct audit_rec r = { 42, "a@example.nhs.uk", 3, "user.add", "user:9", "Added \xc3\xa9" };
	canonical(&a, &r);
	assert_string_equal(buf_cstr(&a), "v1;5;1700000000;42;16:a@example.nhs.uk;3;8:user.add;6:user:9;8:Added \xc3\xa9;");

	/* text that looks like a separator stays inside its field */
	struct audit_rec r1 = { 1, "a|b", 0, "x", "", "" };
	struct audit_rec r2 = { 1, "a", 0, "b|x", "", "" };
	canonical(&a, &r1);
	canonical(&b, &r2);
	assert_string_not_equal(buf_cstr(&a), buf_cstr(&b));

	struct audit_rec r3 = { 1, "a;1:b", 0, "x", "", "" };
	struct audit_rec r4 = { 1, "a", 0, "b;1:x", "", "" };
	canonical(&a, &r3);
	canonical(&b, &r4);
	assert_string_not_equal(buf_cstr(&a), buf_cstr(&b));

	/* moving text between neighbouring fields */
	struct audit_rec r5 = { 1, "", 0, "user.add", "user:1", "x" };
	struct audit_rec r6 = { 1, "", 0, "user.add", "user:", "1x" };
	canonical(&a, &r5);
	canonical(&b, &r6);
	assert_string_not_equal(buf_cstr(&a), buf_cstr(&b));

	/* numbers cannot run into each other: actor 12 / org 3 vs actor 1 / org 23 */
	struct audit_rec r7 = { 12, "", 3, "", "", "" };
	struct audit_rec r8 = { 1, "", 23, "", "", "" };
	canonical(&a, &r7);
	canonical(&b, &r8);
	assert_string_not_equal(buf_cstr(&a), buf_cstr(&b));

	/* the id and time are covered */
	buf_reset(&a);
	buf_reset(&b);
	audit_canonical(&a, 1, 10, &r7);
	audit_canonical(&b, 11, 0, &r7);
	assert_string_not_equal(buf_cstr(&a), buf_cstr(&b));
	buf_free(&a);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chain_of_appends_verifies),
		cmocka_unit_test(edited_record_detected),
		cmocka_unit_test(deleted_record_detected),
		cmocka_unit_test(deleted_last_record_detected),
		cmocka_unit_test(reordered_records_detected),
		cmocka_unit_test(rolled_back_appends_leave_no_trace),
		cmocka_unit_test(concurrent_appenders_keep_one_chain),
		cmocka_unit_test(canonical_form_distinguishes_fields),
	};
	return cmocka_run_group_tests_name(pg_url() ? "audit (postgres)" : "audit (sqlite)", tests,
					   group_setup, group_teardown);
}

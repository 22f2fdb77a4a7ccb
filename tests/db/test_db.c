/*
 * Unit tests for src/db. The backend comes from BULWARK_TEST_DB: unset or
 * "sqlite" uses temp files; a postgresql:// URL uses that server, each test
 * in a fresh schema of its own (dropped and re-made at the start), so runs
 * can repeat.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "db/db.h"
#include "db/db_int.h"

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

static bool on_pg(void)
{
	return pg_url() != NULL;
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
	snprintf(tmpdir, sizeof tmpdir, "/tmp/bw-unit-db-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(clock_file, sizeof clock_file, "%s/clock", tmpdir);
	set_clock(0);
	setenv("BULWARK_TEST_CLOCK", clock_file, 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* A fresh database for one test; url receives its URL for more connections.
 * sqlite_only: SQLite whatever the backend under test (backup, restore). */
static struct db *fresh_db_on(const char *name, char *url, size_t n, bool sqlite_only)
{
	struct bw_error err = { 0 };
	struct db *db = NULL;
	const char *pg = sqlite_only ? NULL : pg_url();
	if (pg) {
		struct db *admin;
		assert_int_equal(db_open(&admin, pg, &err), BW_OK);
		char sql[256];
		snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS t_%s CASCADE; CREATE SCHEMA t_%s",
			 name, name);
		assert_int_equal(db_exec(admin, sql, &err), BW_OK);
		db_close(admin);
		snprintf(url, n, "%s%soptions=-csearch_path%%3Dt_%s", pg,
			 strchr(pg, '?') ? "&" : "?", name);
	} else {
		snprintf(url, n, "%s/%s.db", tmpdir, name);
		unlink(url);
	}
	enum bw_err rc = db_open(&db, url, &err);
	if (rc != BW_OK)
		fail_msg("db_open %s: %s", url, err.msg);
	return db;
}

static struct db *fresh_db(const char *name, char *url, size_t n)
{
	return fresh_db_on(name, url, n, false);
}

static void migrate1(struct db *db, const char *id, const char *sql)
{
	const struct db_migration set[] = { { id, sql }, { NULL, NULL } };
	const struct db_migration *const sets[] = { set, NULL };
	struct bw_error err = { 0 };
	enum bw_err rc = db_migrate(db, sets, &err);
	if (rc != BW_OK)
		fail_msg("migration %s: %s", id, err.msg);
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

/* ---- values ---- */

static void values_round_trip(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("vals", url, sizeof url);
	migrate1(db, "t/vals", "CREATE TABLE vals (id {{ID}}, i {{INT}}, t text, b {{BLOB}})");

	static const unsigned char odd[] = { 0x00, 0xff, 0xfe, 0x80, 'a', 0x00, 0xc3, 0x28 };
	size_t big_n = 1024 * 1024;
	char *big = malloc(big_n + 1);
	assert_non_null(big);
	for (size_t i = 0; i < big_n; i++)
		big[i] = (char)('a' + i % 26);
	big[big_n] = '\0';
	size_t allb_n = 256 * 1024;
	unsigned char *allb = malloc(allb_n);
	assert_non_null(allb);
	for (size_t i = 0; i < allb_n; i++)
		allb[i] = (unsigned char)(i * 7 + 3);
	const char *uni = "h\xc3\xa9llo \xe2\x9c\x93 \xe6\xbc\xa2\xe5\xad\x97";

	const char *ins = "INSERT INTO vals (id, i, t, b) VALUES (?1, ?2, ?3, ?4)";
	struct db_stmt *st = db_prep(db, ins);
	assert_non_null(st);
	db_bind_i64(st, 1, 1);
	db_bind_i64(st, 2, INT64_MIN);
	db_bind_text(st, 3, "");
	db_bind_blob(st, 4, "", 0);
	assert_int_equal(db_step(st), DB_DONE);

	st = db_prep(db, ins);
	db_bind_i64(st, 1, 2);
	db_bind_i64(st, 2, INT64_MAX);
	db_bind_text(st, 3, NULL);
	db_bind_null(st, 4);
	assert_int_equal(db_step(st), DB_DONE);

	st = db_prep(db, ins);
	db_bind_i64(st, 1, 3);
	db_bind_i64(st, 2, -1);
	db_bind_textn(st, 3, uni, strlen(uni));
	db_bind_blob(st, 4, odd, sizeof odd);
	assert_int_equal(db_step(st), DB_DONE);

	st = db_prep(db, ins);
	db_bind_i64(st, 1, 4);
	db_bind_null(st, 2);
	db_bind_text(st, 3, big);
	db_bind_blob(st, 4, allb, allb_n);
	assert_int_equal(db_step(st), DB_DONE);

	st = db_prep(db, ins);
	db_bind_i64(st, 1, 5);
	db_bind_i64(st, 2, 0);
	db_bind_textn(st, 3, "abcdef", 3);   /* only the first n bytes */
	db_bind_blob(st, 4, NULL, 0);
	assert_int_equal(db_step(st), DB_DONE);

	st = db_prep(db, "SELECT id, i, t, b FROM vals ORDER BY id");
	assert_non_null(st);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_count(st), 4);
	assert_true(db_col_i64(st, 1) == INT64_MIN);
	assert_false(db_col_isnull(st, 2));
	assert_string_equal(db_col_text(st, 2), "");
	assert_int_equal(db_col_bytes(st, 2), 0);
	assert_false(db_col_isnull(st, 3));          /* an empty blob is not NULL */
	assert_non_null(db_col_blob(st, 3));
	assert_int_equal(db_col_bytes(st, 3), 0);

	assert_int_equal(db_step(st), DB_ROW);
	assert_true(db_col_i64(st, 1) == INT64_MAX);
	assert_string_equal(db_col_text(st, 1), "9223372036854775807");
	assert_true(db_col_isnull(st, 2));
	assert_null(db_col_text(st, 2));
	assert_true(db_col_isnull(st, 3));
	assert_null(db_col_blob(st, 3));

	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_i64(st, 1), -1);
	assert_string_equal(db_col_text(st, 2), uni);
	assert_int_equal(db_col_bytes(st, 3), sizeof odd);
	assert_memory_equal(db_col_blob(st, 3), odd, sizeof odd);

	assert_int_equal(db_step(st), DB_ROW);
	assert_true(db_col_isnull(st, 1));
	assert_int_equal(db_col_i64(st, 1), 0);
	assert_int_equal(db_col_bytes(st, 2), big_n);
	assert_string_equal(db_col_text(st, 2), big);
	assert_int_equal(db_col_bytes(st, 3), allb_n);
	assert_memory_equal(db_col_blob(st, 3), allb, allb_n);

	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_col_text(st, 2), "abc");
	assert_false(db_col_isnull(st, 3));
	assert_int_equal(db_col_bytes(st, 3), 0);
	/* out-of-range columns read as NULL, not a crash */
	assert_null(db_col_text(st, 9));
	assert_true(db_col_isnull(st, -1));

	assert_int_equal(db_step(st), DB_DONE);
	assert_int_equal(db_col_count(st), 0);

	/* blob comparison in SQL matches the bytes bound */
	st = db_prep(db, "SELECT id FROM vals WHERE b = ?1");
	db_bind_blob(st, 1, odd, sizeof odd);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_i64(st, 0), 3);
	db_reset(st);

	free(big);
	free(allb);
	db_close(db);
}

/* Integers bound where the server could only guess a narrower type. */
static void integer_parameters_are_64_bit(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("ints", url, sizeof url);
	struct db_stmt *st = db_prep(db, "SELECT ?1 + 60");
	assert_non_null(st);
	db_bind_i64(st, 1, 5000000000LL);
	assert_int_equal(db_step(st), DB_ROW);
	assert_true(db_col_i64(st, 0) == 5000000060LL);
	db_reset(st);

	st = db_prep(db, "SELECT ?1 + ?2");
	assert_non_null(st);
	db_bind_i64(st, 1, 4000000000LL);
	db_bind_i64(st, 2, 4000000000LL);
	assert_int_equal(db_step(st), DB_ROW);
	assert_true(db_col_i64(st, 0) == 8000000000LL);
	db_reset(st);

	assert_int_equal(db_query_i64(db, "SELECT 42", -1), 42);
	assert_int_equal(db_query_i64(db, "SELECT 1 WHERE 1 = 0", -7), -7);
	db_close(db);
}

static void statement_cache_reuses(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("cache", url, sizeof url);
	const char *sql = "SELECT ?1";
	struct db_stmt *a = db_prep(db, sql);
	assert_non_null(a);
	db_bind_text(a, 1, "first");
	assert_int_equal(db_step(a), DB_ROW);
	assert_string_equal(db_col_text(a, 0), "first");
	/* asking again mid-row: same statement, reset and unbound */
	struct db_stmt *b = db_prep(db, sql);
	assert_ptr_equal(a, b);
	assert_int_equal(db_step(b), DB_ROW);
	assert_true(db_col_isnull(b, 0));
	assert_int_equal(db_step(b), DB_DONE);

	/* many distinct texts grow the cache; each keeps its own statement */
	struct db_stmt *first = NULL;
	for (int i = 0; i < 300; i++) {
		char q[64];
		snprintf(q, sizeof q, "SELECT %d", i);
		struct db_stmt *st = db_prep(db, q);
		assert_non_null(st);
		if (i == 0)
			first = st;
		assert_int_equal(db_step(st), DB_ROW);
		assert_int_equal(db_col_i64(st, 0), i);
		assert_int_equal(db_step(st), DB_DONE);
	}
	assert_ptr_equal(db_prep(db, "SELECT 0"), first);
	assert_ptr_equal(db_prep(db, sql), a);

	/* different statements nest: read rows while writing others */
	migrate1(db, "t/cache", "CREATE TABLE src (n {{INT}}); CREATE TABLE dst (n {{INT}});"
				"INSERT INTO src VALUES (1); INSERT INTO src VALUES (2);"
				"INSERT INTO src VALUES (3);");
	struct db_stmt *rd = db_prep(db, "SELECT n FROM src ORDER BY n");
	int rows = 0;
	while (db_step(rd) == DB_ROW) {
		struct db_stmt *wr = db_prep(db, "INSERT INTO dst (n) VALUES (?1 * 10)");
		db_bind_i64(wr, 1, db_col_i64(rd, 0));
		assert_int_equal(db_step(wr), DB_DONE);
		rows++;
	}
	assert_int_equal(rows, 3);
	assert_int_equal(count(db, "SELECT sum(n) FROM dst"), 60);

	/* a bind outside the statement's parameters fails the step */
	struct db_stmt *st = db_prep(db, "SELECT ?1");
	db_bind_i64(st, 3, 1);
	assert_int_equal(db_step(st), DB_ERR);
	assert_true(strlen(db_errmsg(db)) > 0);
	db_close(db);
}

static void placeholders_outside_literals(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("ph", url, sizeof url);
	struct db_stmt *st = db_prep(db,
		"SELECT '?1 stays' AS a, ?2 AS b, 'it''s ?1' AS c, ?1 AS \"q?2\" /* ?9 */ -- ?7\n");
	if (!st)
		fail_msg("prep: %s", db_errmsg(db));
	db_bind_text(st, 1, "one");
	db_bind_text(st, 2, "two");
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_col_text(st, 0), "?1 stays");
	assert_string_equal(db_col_text(st, 1), "two");
	assert_string_equal(db_col_text(st, 2), "it's ?1");
	assert_string_equal(db_col_text(st, 3), "one");
	assert_int_equal(db_step(st), DB_DONE);

	/* the same parameter twice, out of order */
	st = db_prep(db, "SELECT ?2 || ?1 || ?2");
	db_bind_text(st, 1, "-");
	db_bind_text(st, 2, "x");
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_col_text(st, 0), "x-x");
	db_reset(st);

	/* the rewrite itself, including PostgreSQL-only quoting */
	static const struct {
		const char *in, *out;
		int n;
	} cases[] = {
		{ "SELECT ?1, ?12", "SELECT $1, $12", 12 },
		{ "SELECT '?1', ?2", "SELECT '?1', $2", 2 },
		{ "SELECT E'\\'?1', ?1", "SELECT E'\\'?1', $1", 1 },
		{ "SELECT $$ ?1 $$, $tag$ ?2 $$ $tag$, ?3", "SELECT $$ ?1 $$, $tag$ ?2 $$ $tag$, $3", 3 },
		{ "SELECT \"a\"\"?1\" FROM t -- ?2", "SELECT \"a\"\"?1\" FROM t -- ?2", 0 },
		{ "SELECT /* /* ?1 */ ?2 */ ?3", "SELECT /* /* ?1 */ ?2 */ $3", 3 },
		{ "SELECT a$b, ?1 FROM t WHERE j ? 'k'", "SELECT a$b, $1 FROM t WHERE j ? 'k'", 1 },
	};
	for (size_t i = 0; i < BW_NELEM(cases); i++) {
		struct buf out;
		buf_init(&out);
		int n = -1;
		char msg[128];
		assert_true(db_pg_rewrite(cases[i].in, &out, &n, msg, sizeof msg));
		assert_string_equal(buf_cstr(&out), cases[i].out);
		assert_int_equal(n, cases[i].n);
		buf_free(&out);
	}
	struct buf out;
	buf_init(&out);
	int n;
	char msg[128];
	assert_false(db_pg_rewrite("SELECT ?0", &out, &n, msg, sizeof msg));
	assert_false(db_pg_rewrite("SELECT ?99999", &out, &n, msg, sizeof msg));
	buf_free(&out);
	db_close(db);
}

static void returning_ids_and_changes(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("ret", url, sizeof url);
	migrate1(db, "t/ret", "CREATE TABLE people (id {{ID}}, name text NOT NULL)");
	int64_t ids[3];
	for (int i = 0; i < 3; i++) {
		struct db_stmt *st = db_prep(db, "INSERT INTO people (name) VALUES (?1) RETURNING id");
		db_bind_text(st, 1, "n");
		assert_int_equal(db_step(st), DB_ROW);
		ids[i] = db_col_i64(st, 0);
		assert_int_equal(db_step(st), DB_DONE);
	}
	assert_true(ids[0] > 0);
	assert_true(ids[1] > ids[0] && ids[2] > ids[1]);
	struct db_stmt *st = db_prep(db, "UPDATE people SET name = ?1");
	db_bind_text(st, 1, "m");
	assert_int_equal(db_step(st), DB_DONE);
	assert_int_equal(db_changes(db), 3);
	st = db_prep(db, "DELETE FROM people WHERE id = ?1");
	db_bind_i64(st, 1, ids[1]);
	assert_int_equal(db_step(st), DB_DONE);
	assert_int_equal(db_changes(db), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM people"), 2);
	db_close(db);
}

/* ---- transactions ---- */

struct ins {
	const char *name;
	enum bw_err result;
	struct ins *inner;
	int calls;
};

static enum bw_err insert_fn(struct db *db, void *arg, struct bw_error *err)
{
	struct ins *a = arg;
	a->calls++;
	struct db_stmt *st = db_prep(db, "INSERT INTO items (name) VALUES (?1)");
	if (!st)
		return db_fail(db, err, "prep");
	db_bind_text(st, 1, a->name);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "insert");
	if (a->inner) {
		struct bw_error e = { 0 };
		enum bw_err rc = db_tx(db, false, insert_fn, a->inner, &e);
		assert_int_equal(rc, a->inner->result);
	}
	if (a->result != BW_OK)
		return bw_fail(err, a->result, "name", "refused %s", a->name);
	return BW_OK;
}

static int64_t has_item(struct db *db, const char *name)
{
	struct db_stmt *st = db_prep(db, "SELECT count(*) FROM items WHERE name = ?1");
	db_bind_text(st, 1, name);
	assert_int_equal(db_step(st), DB_ROW);
	int64_t n = db_col_i64(st, 0);
	db_reset(st);
	return n;
}

static void tx_commit_rollback_nesting(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("tx", url, sizeof url);
	migrate1(db, "t/tx", "CREATE TABLE items (id {{ID}}, name text UNIQUE)");
	struct bw_error err = { 0 };

	struct ins a = { "a", BW_OK, NULL, 0 };
	assert_int_equal(db_tx(db, false, insert_fn, &a, &err), BW_OK);
	assert_int_equal(has_item(db, "a"), 1);

	struct ins b = { "b", BW_EINVAL, NULL, 0 };
	assert_int_equal(db_tx(db, true, insert_fn, &b, &err), BW_EINVAL);
	assert_string_equal(err.msg, "refused b");
	assert_string_equal(err.field, "name");
	assert_int_equal(b.calls, 1);          /* not a retryable failure */
	assert_int_equal(has_item(db, "b"), 0);

	/* inner failure undoes the inner part only */
	struct ins d = { "d", BW_EINVAL, NULL, 0 };
	struct ins c = { "c", BW_OK, &d, 0 };
	assert_int_equal(db_tx(db, false, insert_fn, &c, &err), BW_OK);
	assert_int_equal(has_item(db, "c"), 1);
	assert_int_equal(has_item(db, "d"), 0);

	/* outer failure undoes both */
	struct ins f = { "f", BW_OK, NULL, 0 };
	struct ins e = { "e", BW_EINVAL, &f, 0 };
	assert_int_equal(db_tx(db, false, insert_fn, &e, &err), BW_EINVAL);
	assert_int_equal(has_item(db, "e"), 0);
	assert_int_equal(has_item(db, "f"), 0);

	/* a unique violation is a conflict, reported and not retried */
	struct ins dup = { "a", BW_OK, NULL, 0 };
	assert_int_equal(db_tx(db, false, insert_fn, &dup, &err), BW_ECONFLICT);
	assert_int_equal(err.code, BW_ECONFLICT);
	assert_int_equal(dup.calls, 1);
	assert_int_equal(has_item(db, "a"), 1);

	/* an inner conflict the outer part tolerates: the rest commits */
	struct ins dup2 = { "a", BW_ECONFLICT, NULL, 0 };
	struct ins g = { "g", BW_OK, &dup2, 0 };
	assert_int_equal(db_tx(db, false, insert_fn, &g, &err), BW_OK);
	assert_int_equal(has_item(db, "g"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM items"), 3);
	db_close(db);
}

static void unique_violation_is_conflict(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("uniq", url, sizeof url);
	migrate1(db, "t/uniq", "CREATE TABLE u (id {{ID}}, name text NOT NULL UNIQUE)");
	struct db_stmt *st = db_prep(db, "INSERT INTO u (name) VALUES (?1)");
	db_bind_text(st, 1, "x");
	assert_int_equal(db_step(st), DB_DONE);
	st = db_prep(db, "INSERT INTO u (name) VALUES (?1)");
	db_bind_text(st, 1, "x");
	assert_int_equal(db_step(st), DB_ERR);
	assert_int_equal(db_errcode(db), BW_ECONFLICT);
	struct bw_error err = { 0 };
	assert_int_equal(db_fail(db, &err, "adding u"), BW_ECONFLICT);
	assert_non_null(strstr(err.msg, "adding u: "));
	/* a different constraint is a plain database error */
	st = db_prep(db, "INSERT INTO u (name) VALUES (?1)");
	db_bind_null(st, 1);
	assert_int_equal(db_step(st), DB_ERR);
	assert_int_equal(db_errcode(db), BW_EDB);
	/* a duplicate primary key is a conflict too */
	st = db_prep(db, "INSERT INTO u (id, name) VALUES (1, 'y')");
	assert_int_equal(db_step(st), DB_ERR);
	assert_int_equal(db_errcode(db), BW_ECONFLICT);
	db_close(db);
}

struct counter_arg {
	const char *url;
	int rounds;
	int calls;
	int ok;
	pthread_barrier_t *start;
};

/* Read, pause, write back: without retries one of two writers loses. */
static enum bw_err bump_fn(struct db *db, void *arg, struct bw_error *err)
{
	struct counter_arg *a = arg;
	a->calls++;
	struct db_stmt *st = db_prep(db, "SELECT v FROM counter WHERE id = 1");
	if (!st || db_step(st) != DB_ROW)
		return db_fail(db, err, "read");
	int64_t v = db_col_i64(st, 0);
	db_reset(st);
	usleep(300);
	st = db_prep(db, "UPDATE counter SET v = ?1 WHERE id = 1");
	db_bind_i64(st, 1, v + 1);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "write");
	return BW_OK;
}

static void *bump_thread(void *p)
{
	struct counter_arg *a = p;
	struct db *db;
	struct bw_error err = { 0 };
	if (db_open(&db, a->url, &err) != BW_OK)
		return NULL;
	pthread_barrier_wait(a->start);
	for (int i = 0; i < a->rounds; i++) {
		if (db_tx(db, false, bump_fn, a, &err) == BW_OK)
			a->ok++;
		else
			fprintf(stderr, "# bump failed: %s\n", err.msg);
	}
	db_close(db);
	return NULL;
}

static void tx_retries_concurrent_writers(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("retry", url, sizeof url);
	migrate1(db, "t/retry", "CREATE TABLE counter (id {{INT}} PRIMARY KEY, v {{INT}} NOT NULL);"
				"INSERT INTO counter VALUES (1, 0);");
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	struct counter_arg a[2];
	pthread_t t[2];
	for (int i = 0; i < 2; i++) {
		a[i] = (struct counter_arg){ .url = url, .rounds = 40, .start = &start };
		assert_int_equal(pthread_create(&t[i], NULL, bump_thread, &a[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	assert_int_equal(a[0].ok + a[1].ok, 80);
	assert_int_equal(count(db, "SELECT v FROM counter WHERE id = 1"), 80);
	fprintf(stderr, "# %d transactions took %d attempts\n", 80, a[0].calls + a[1].calls);
	db_close(db);
}

/* ---- migrations ---- */

static void migrations_apply_once(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("mig", url, sizeof url);
	static const struct db_migration set_a[] = {
		{ "t/0001_m1", "CREATE TABLE m1 (id {{ID}}, path {{TEXT_C}}, data {{BLOB}}, n {{INT}});"
			       "INSERT INTO m1 (path, n) VALUES ('/x/', 1);" },
		{ "t/0002_more", "INSERT INTO m1 (path, n) VALUES ('/y/', 9000000000);" },
		{ NULL, NULL },
	};
	static const struct db_migration set_b[] = {
		{ "u/0001_m2", "CREATE TABLE m2 (id {{ID}}, m1_id {{INT}} REFERENCES m1 (id))" },
		{ NULL, NULL },
	};
	const struct db_migration *const sets[] = { set_a, set_b, NULL };
	struct bw_error err = { 0 };
	for (int round = 0; round < 2; round++) {
		enum bw_err rc = db_migrate(db, sets, &err);
		if (rc != BW_OK)
			fail_msg("migrate: %s", err.msg);
	}
	assert_int_equal(count(db, "SELECT count(*) FROM m1"), 2);
	assert_int_equal(count(db, "SELECT max(n) FROM m1"), 9000000000LL);
	assert_int_equal(count(db, "SELECT count(*) FROM schema_migrations"), 3);
	assert_int_equal(count(db, "SELECT count(*) FROM schema_migrations WHERE applied_at > 1700000000"), 3);

	/* {{ID}} numbers new rows; {{BLOB}} keeps bytes; foreign keys are enforced */
	struct db_stmt *st = db_prep(db, "INSERT INTO m1 (path, data) VALUES ('/z/', ?1) RETURNING id");
	db_bind_blob(st, 1, "\0\1\2", 3);
	assert_int_equal(db_step(st), DB_ROW);
	int64_t id = db_col_i64(st, 0);
	assert_int_equal(db_step(st), DB_DONE);
	assert_true(id > 2);
	st = db_prep(db, "SELECT data FROM m1 WHERE id = ?1");
	db_bind_i64(st, 1, id);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_bytes(st, 0), 3);
	assert_memory_equal(db_col_blob(st, 0), "\0\1\2", 3);
	db_reset(st);
	st = db_prep(db, "INSERT INTO m2 (m1_id) VALUES (?1)");
	db_bind_i64(st, 1, 999999);
	assert_int_equal(db_step(st), DB_ERR);

	/* an unknown macro and a failing statement: nothing applied or recorded */
	static const struct db_migration bad_macro[] = {
		{ "t/0003_macro", "CREATE TABLE m3 (x {{NOPE}})" }, { NULL, NULL } };
	const struct db_migration *const s2[] = { set_a, bad_macro, NULL };
	assert_int_equal(db_migrate(db, s2, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "NOPE"));
	static const struct db_migration bad_sql[] = {
		{ "t/0004_fails", "CREATE TABLE m4 (x {{INT}}); INSERT INTO nowhere VALUES (1);" },
		{ NULL, NULL } };
	const struct db_migration *const s3[] = { bad_sql, NULL };
	assert_int_not_equal(db_migrate(db, s3, &err), BW_OK);
	assert_non_null(strstr(err.msg, "t/0004_fails"));
	assert_int_equal(count(db, "SELECT count(*) FROM schema_migrations"), 3);
	st = db_prep(db, "SELECT count(*) FROM m4");
	assert_true(st == NULL || db_step(st) == DB_ERR);   /* m4 was rolled back */

	/* the same id twice is refused before anything runs */
	const struct db_migration *const s4[] = { set_a, set_a, NULL };
	assert_int_equal(db_migrate(db, s4, &err), BW_EINVAL);
	db_close(db);
}

struct mig_arg {
	const char *url;
	pthread_barrier_t *start;
	enum bw_err rc;
	char msg[512];
};

static const struct db_migration conc_set[] = {
	{ "c/0001", "CREATE TABLE cm (id {{ID}}, v {{INT}}); INSERT INTO cm (v) VALUES (1);" },
	{ "c/0002", "INSERT INTO cm (v) VALUES (2);" },
	{ "c/0003", "CREATE INDEX cm_v ON cm (v); INSERT INTO cm (v) VALUES (3);" },
	{ NULL, NULL },
};

static void *migrate_thread(void *p)
{
	struct mig_arg *a = p;
	struct db *db;
	struct bw_error err = { 0 };
	a->rc = db_open(&db, a->url, &err);
	pthread_barrier_wait(a->start);
	if (a->rc == BW_OK) {
		const struct db_migration *const sets[] = { conc_set, NULL };
		a->rc = db_migrate(db, sets, &err);
		db_close(db);
	}
	snprintf(a->msg, sizeof a->msg, "%s", err.msg);
	return NULL;
}

static void migrations_concurrent_processes(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("migc", url, sizeof url);
	enum { N = 4 };
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, N);
	struct mig_arg a[N];
	pthread_t t[N];
	for (int i = 0; i < N; i++) {
		a[i] = (struct mig_arg){ .url = url, .start = &start };
		assert_int_equal(pthread_create(&t[i], NULL, migrate_thread, &a[i]), 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < N; i++) {
		if (a[i].rc != BW_OK)
			fail_msg("migrator %d: %s", i, a[i].msg);
	}
	assert_int_equal(count(db, "SELECT count(*) FROM cm"), 3);
	assert_int_equal(count(db, "SELECT count(*) FROM schema_migrations"), 3);
	db_close(db);
}

/* ---- tenancy paths ---- */

static int cmp_bytes(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void collate_c_orders_bytewise(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("coll", url, sizeof url);
	migrate1(db, "t/coll", "CREATE TABLE paths (path {{TEXT_C}} PRIMARY KEY)");
	const char *paths[] = {
		"/1/2/", "/1/10/", "/1/", "/10/", "/1/1/", "/1/a/", "/1/B/", "/1/_x/",
		"/1/-x/", "/1/ x/", "/1/.x/", "/1/~/", "/1/\xc3\xa9/", "/1/10/3/", "/1-/", "/2/",
	};
	enum { N = BW_NELEM(paths) };
	for (size_t i = 0; i < N; i++) {
		struct db_stmt *st = db_prep(db, "INSERT INTO paths (path) VALUES (?1)");
		db_bind_text(st, 1, paths[i]);
		assert_int_equal(db_step(st), DB_DONE);
	}
	const char *sorted[N];
	memcpy(sorted, paths, sizeof sorted);
	qsort(sorted, N, sizeof sorted[0], cmp_bytes);
	struct db_stmt *st = db_prep(db, "SELECT path FROM paths ORDER BY path");
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(db_step(st), DB_ROW);
		assert_string_equal(db_col_text(st, 0), sorted[i]);
	}
	assert_int_equal(db_step(st), DB_DONE);

	/* the subtree of /1/ is the range [/1/, /10): never /10/ or /1-/ */
	st = db_prep(db, "SELECT path FROM paths WHERE path >= ?1 AND path < ?2 ORDER BY path");
	db_bind_text(st, 1, "/1/");
	db_bind_text(st, 2, "/10");
	int n = 0;
	while (db_step(st) == DB_ROW) {
		assert_true(!strncmp(db_col_text(st, 0), "/1/", 3));
		n++;
	}
	assert_int_equal(n, 13);

	if (on_pg()) {
		st = db_prep(db, "SELECT collation_name FROM information_schema.columns"
				 " WHERE table_schema = current_schema() AND table_name = 'paths'"
				 " AND column_name = 'path'");
		assert_int_equal(db_step(st), DB_ROW);
		assert_string_equal(db_col_text(st, 0), "C");
		db_reset(st);
	}
	db_close(db);
}

/* ---- job queue ---- */

struct claimer {
	const char *url;
	pthread_barrier_t *start;
	pthread_mutex_t *mu;
	int *seen;             /* claims per job id */
	int nseen;
	int claimed;
	int errors;
};

static void *claim_thread(void *p)
{
	struct claimer *c = p;
	struct db *db;
	struct bw_error err = { 0 };
	if (db_open(&db, c->url, &err) != BW_OK) {
		c->errors++;
		return NULL;
	}
	pthread_barrier_wait(c->start);
	for (;;) {
		struct db_job job;
		enum bw_err rc = db_job_claim(db, NULL, 60, &job, &err);
		if (rc == BW_ENOTFOUND)
			break;
		if (rc != BW_OK) {
			fprintf(stderr, "# claim: %s\n", err.msg);
			c->errors++;
			break;
		}
		pthread_mutex_lock(c->mu);
		if (job.id > 0 && job.id < c->nseen)
			c->seen[job.id]++;
		pthread_mutex_unlock(c->mu);
		c->claimed++;
		if (db_job_finish(db, &job, true, NULL, 0, &err) != BW_OK)
			c->errors++;
		db_job_clear(&job);
	}
	db_close(db);
	return NULL;
}

static void job_queue_claims_once(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("jobs", url, sizeof url);
	const struct db_migration *const sets[] = { db_jobs_migrations, NULL };
	struct bw_error err = { 0 };
	assert_int_equal(db_migrate(db, sets, &err), BW_OK);
	enum { JOBS = 40 };
	for (int i = 0; i < JOBS; i++) {
		char payload[32];
		snprintf(payload, sizeof payload, "{\"n\":%d}", i);
		assert_int_equal(db_job_enqueue(db, i % 2 ? "t.a" : "t.b", payload, 0, &err), BW_OK);
	}
	assert_int_equal(db_job_enqueue(db, "Bad Kind", "", 0, &err), BW_EINVAL);

	int seen[JOBS + 8] = { 0 };
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	struct claimer c[2];
	pthread_t t[2];
	for (int i = 0; i < 2; i++) {
		c[i] = (struct claimer){ .url = url, .start = &start, .mu = &mu, .seen = seen,
					 .nseen = JOBS + 8 };
		assert_int_equal(pthread_create(&t[i], NULL, claim_thread, &c[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	assert_int_equal(c[0].errors + c[1].errors, 0);
	assert_int_equal(c[0].claimed + c[1].claimed, JOBS);
	for (int id = 1; id <= JOBS; id++)
		assert_int_equal(seen[id], 1);
	assert_int_equal(count(db, "SELECT count(*) FROM jobs WHERE state = 'done'"), JOBS);

	/* worker kinds filter what a worker takes */
	assert_int_equal(db_job_enqueue(db, "t.c", "payload c", 0, &err), BW_OK);
	struct db_job job;
	const char *const only_a[] = { "t.a", "t.b", NULL };
	assert_int_equal(db_job_claim(db, only_a, 60, &job, &err), BW_ENOTFOUND);
	const char *const only_c[] = { "t.x", "t.c", NULL };
	assert_int_equal(db_job_claim(db, only_c, 60, &job, &err), BW_OK);
	assert_string_equal(job.kind, "t.c");
	assert_string_equal(job.payload, "payload c");
	assert_int_equal(job.attempts, 1);
	assert_int_equal(db_job_finish(db, &job, true, NULL, 0, &err), BW_OK);
	/* finishing twice: the job is no longer running */
	assert_int_equal(db_job_finish(db, &job, true, NULL, 0, &err), BW_ENOTFOUND);
	db_job_clear(&job);
	db_close(db);
}

static void job_leases_and_retries(void **state)
{
	(void)state;
#ifndef BW_TEST_BUILD
	skip();
#endif
	char url[512];
	struct db *a = fresh_db("lease", url, sizeof url);
	struct db *b;
	struct bw_error err = { 0 };
	assert_int_equal(db_open(&b, url, &err), BW_OK);
	const struct db_migration *const sets[] = { db_jobs_migrations, NULL };
	assert_int_equal(db_migrate(a, sets, &err), BW_OK);
	set_clock(0);
	int64_t now = bw_now();

	/* not before run_at */
	assert_int_equal(db_job_enqueue(a, "later", "", now + 1000, &err), BW_OK);
	struct db_job ja, jb;
	assert_int_equal(db_job_claim(a, NULL, 60, &ja, &err), BW_ENOTFOUND);

	assert_int_equal(db_job_enqueue(a, "lease", "p", 0, &err), BW_OK);
	assert_int_equal(db_job_claim(a, NULL, 60, &ja, &err), BW_OK);
	assert_string_equal(ja.kind, "lease");
	assert_true(ja.lease_until >= now + 60);
	/* held: another worker gets nothing */
	assert_int_equal(db_job_claim(b, NULL, 60, &jb, &err), BW_ENOTFOUND);
	/* the first worker goes quiet past its lease: the second takes over */
	set_clock(61);
	assert_int_equal(db_job_claim(b, NULL, 60, &jb, &err), BW_OK);
	assert_true(jb.id == ja.id);
	assert_int_equal(jb.attempts, 2);
	int64_t jb_id = jb.id;
	/* the worker that went quiet wakes up: its finish is refused, so it
	 * cannot mark the new holder's run done */
	assert_int_equal(db_job_finish(a, &ja, true, NULL, 0, &err), BW_ENOTFOUND);
	db_job_clear(&ja);

	/* a failure with a retry time queues it again, with the error kept */
	assert_int_equal(db_job_finish(b, &jb, false, "boom", bw_now() + 100, &err), BW_OK);
	struct db_stmt *st = db_prep(a, "SELECT state, last_error FROM jobs WHERE id = ?1");
	db_bind_i64(st, 1, jb.id);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_col_text(st, 0), "queued");
	assert_string_equal(db_col_text(st, 1), "boom");
	db_reset(st);
	db_job_clear(&ja);
	db_job_clear(&jb);
	assert_int_equal(db_job_claim(a, NULL, 60, &ja, &err), BW_ENOTFOUND);
	set_clock(61 + 101);
	assert_int_equal(db_job_claim(a, NULL, 60, &ja, &err), BW_OK);
	assert_true(ja.id == jb_id);
	assert_int_equal(ja.attempts, 3);
	/* a failure without a retry time is final */
	assert_int_equal(db_job_finish(a, &ja, false, "final", 0, &err), BW_OK);
	assert_int_equal(db_job_finish(a, &ja, true, NULL, 0, &err), BW_ENOTFOUND);
	assert_int_equal(db_job_claim(a, NULL, 60, &jb, &err), BW_ENOTFOUND);
	st = db_prep(a, "SELECT state, last_error FROM jobs WHERE id = ?1");
	db_bind_i64(st, 1, ja.id);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_col_text(st, 0), "failed");
	assert_string_equal(db_col_text(st, 1), "final");
	db_reset(st);
	db_job_clear(&ja);
	/* the job due later comes when its time does */
	set_clock(1001);
	assert_int_equal(db_job_claim(b, NULL, 60, &jb, &err), BW_OK);
	assert_string_equal(jb.kind, "later");
	int64_t later_id = jb.id;
	db_job_clear(&jb);
	/* a job whose workers keep dying fails after DB_JOB_ATTEMPTS_MAX leases */
	long t = 1001;
	for (int i = 2; i <= DB_JOB_ATTEMPTS_MAX; i++) {
		t += 61;
		set_clock(t);
		assert_int_equal(db_job_claim(a, NULL, 60, &ja, &err), BW_OK);
		assert_true(ja.id == later_id);
		assert_int_equal(ja.attempts, i);
		db_job_clear(&ja);
	}
	set_clock(t + 61);
	assert_int_equal(db_job_claim(a, NULL, 60, &ja, &err), BW_ENOTFOUND);
	st = db_prep(a, "SELECT state FROM jobs WHERE id = ?1");
	db_bind_i64(st, 1, later_id);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_col_text(st, 0), "failed");
	db_reset(st);
	db_close(b);
	db_close(a);
	set_clock(0);
}

/* ---- SQLite backup and restore ---- */

/* A thread committing transactions of fn (pair_fn unless told) until
 * stop; pairs counts the commits. */
struct writer {
	const char *url;
	enum bw_err (*fn)(struct db *db, void *arg, struct bw_error *err);
	bool immediate;
	volatile int stop;
	int pairs;
	int errors;
};

static enum bw_err pair_fn(struct db *db, void *arg, struct bw_error *err)
{
	struct writer *w = arg;
	for (int k = 0; k < 2; k++) {
		struct db_stmt *st = db_prep(db, "INSERT INTO w (pair, pad) VALUES (?1, ?2)");
		db_bind_i64(st, 1, 100000 + w->pairs);
		db_bind_blob(st, 2, "0123456789abcdef0123456789abcdef", 32);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "insert pair");
	}
	return BW_OK;
}

static void *writer_thread(void *p)
{
	struct writer *w = p;
	struct db *db;
	struct bw_error err = { 0 };
	if (db_open(&db, w->url, &err) != BW_OK) {
		w->errors++;
		return NULL;
	}
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		if (db_tx(db, w->immediate, w->fn ? w->fn : pair_fn, w, &err) == BW_OK)
			__atomic_add_fetch(&w->pairs, 1, __ATOMIC_RELEASE);
		else
			w->errors++;
	}
	db_close(db);
	return NULL;
}

/* rows of table w (pair, pad): two to a pair, pad bytes each */
struct fill {
	int rows;
	size_t pad;
};

static enum bw_err fill_fn(struct db *db, void *arg, struct bw_error *err)
{
	const struct fill *f = arg;
	unsigned char pad[1000];
	memset(pad, 0x5a, sizeof pad);
	for (int i = 0; i < f->rows; i++) {
		struct db_stmt *st = db_prep(db, "INSERT INTO w (pair, pad) VALUES (?1, ?2)");
		db_bind_i64(st, 1, i / 2);
		db_bind_blob(st, 2, pad, f->pad < sizeof pad ? f->pad : sizeof pad);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "fill");
	}
	return BW_OK;
}

static void backup_while_writing(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db_on("bk", url, sizeof url, true);
	migrate1(db, "t/bk", "CREATE TABLE w (id {{ID}}, pair {{INT}} NOT NULL, pad {{BLOB}})");
	struct bw_error err = { 0 };
	const struct fill backup_fill = { 3000, 512 };
	assert_int_equal(db_tx(db, false, fill_fn, (void *)&backup_fill, &err), BW_OK);

	struct writer w = { .url = url };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, writer_thread, &w), 0);
	while (__atomic_load_n(&w.pairs, __ATOMIC_ACQUIRE) < 5)
		usleep(1000);
	char out[512];
	snprintf(out, sizeof out, "%s/bk-copy.db", tmpdir);
	int before = __atomic_load_n(&w.pairs, __ATOMIC_ACQUIRE);
	enum bw_err rc = db_backup_sqlite(url, out, &err);
	int after = __atomic_load_n(&w.pairs, __ATOMIC_ACQUIRE);
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	if (rc != BW_OK)
		fail_msg("backup: %s", err.msg);
	assert_int_equal(w.errors, 0);
	fprintf(stderr, "# writer committed %d pairs during the backup\n", after - before);

	/* the copy is one file: no WAL beside it */
	char wal[600];
	snprintf(wal, sizeof wal, "%s-wal", out);
	assert_int_not_equal(access(wal, F_OK), 0);

	struct db *copy;
	assert_int_equal(db_open(&copy, out, &err), BW_OK);
	struct db_stmt *st = db_prep(copy, "PRAGMA integrity_check");
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_col_text(st, 0), "ok");
	db_reset(st);
	int64_t rows = count(copy, "SELECT count(*) FROM w");
	assert_true(rows >= 3000 + 2 * (int64_t)before);
	assert_int_equal(rows % 2, 0);
	/* every transaction is wholly in the copy or wholly out of it */
	assert_int_equal(count(copy, "SELECT count(*) FROM (SELECT pair FROM w GROUP BY pair"
				     " HAVING count(*) <> 2) x"), 0);
	assert_int_equal(count(copy, "SELECT count(*) FROM schema_migrations"), 1);
	db_close(copy);

	/* the live database went on and is larger than the copy */
	assert_true(count(db, "SELECT count(*) FROM w") >= rows);
	/* a backup onto the database itself is refused */
	assert_int_equal(db_backup_sqlite(url, url, &err), BW_EINVAL);
	db_close(db);
}

/* A job writing transaction after transaction (an exposure run, a big
 * import) and a request's writes beside it, in one process: each request
 * write waits for one of the job's transactions, not for the busy timeout
 * while the job takes the lock again and again. */
static enum bw_err job_fn(struct db *db, void *arg, struct bw_error *err)
{
	(void)arg;
	for (int i = 0; i < 5000; i++) {
		struct db_stmt *st = db_prep(db, "INSERT INTO job_rows (n) VALUES (?1)");
		db_bind_i64(st, 1, i);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "job");
	}
	return BW_OK;
}

static enum bw_err touch_fn(struct db *db, void *arg, struct bw_error *err)
{
	(void)arg;
	return db_exec(db, "UPDATE touched SET n = n + 1", err);
}

static void writes_beside_a_busy_job(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("turn", url, sizeof url);
	migrate1(db, "t/turn", "CREATE TABLE job_rows (id {{ID}}, n {{INT}} NOT NULL);"
		 "CREATE TABLE touched (id {{ID}}, n {{INT}} NOT NULL); INSERT INTO touched (n) VALUES (0)");
	struct writer j = { .url = url, .fn = job_fn, .immediate = true };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, writer_thread, &j), 0);
	while (__atomic_load_n(&j.pairs, __ATOMIC_ACQUIRE) < 3 && !j.errors)
		usleep(1000);
	struct bw_error err = { 0 };
	int64_t worst = 0;
	int failed = 0;
	for (int i = 0; i < 20; i++) {
		int64_t t0 = bw_now_ms();
		/* a statement on its own (a session's last sight), and a transaction */
		if (i % 2) {
			struct db_stmt *st = db_prep(db, "UPDATE touched SET n = n + 1");
			failed += db_step(st) != DB_DONE;
		} else {
			failed += db_tx(db, true, touch_fn, NULL, &err) != BW_OK;
		}
		int64_t ms = bw_now_ms() - t0;
		worst = ms > worst ? ms : worst;
	}
	__atomic_store_n(&j.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	fprintf(stderr, "# the job committed %d transactions; the longest a write beside it took: %lld ms\n",
		__atomic_load_n(&j.pairs, __ATOMIC_ACQUIRE), (long long)worst);
	assert_int_equal(j.errors, 0);
	assert_int_equal(failed, 0);
	assert_int_equal(count(db, "SELECT n FROM touched"), 20);
	assert_true(worst < 1000);
	db_close(db);
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* Whether no checkpoint is running and the log is all in the database: a
 * checkpoint of our own, which finds nothing left to copy once the
 * background one has finished, and is refused while it runs. */
static bool log_copied(struct db *db)
{
	struct db_stmt *st = db_prep(db, "PRAGMA wal_checkpoint(PASSIVE)");
	bool done = db_step(st) == DB_ROW && db_col_i64(st, 0) == 0 && db_col_i64(st, 1) == db_col_i64(st, 2);
	db_reset(st);
	return done;
}

/* Big commits (5 MB, past the 1,000-page mark) have their log copied into
 * the database with no other call, and the log starts again once it is:
 * four of them leave it about one commit long, not four. */
static void log_is_checkpointed_after_big_commits(void **state)
{
	(void)state;
	char url[512], wal[600];
	struct db *db = fresh_db_on("ck", url, sizeof url, true);
	snprintf(wal, sizeof wal, "%s-wal", url);
	migrate1(db, "t/ck", "CREATE TABLE w (id {{ID}}, pair {{INT}} NOT NULL, pad {{BLOB}})");
	struct bw_error err = { 0 };
	const struct fill big = { 5000, 1000 };
	const off_t commit = (off_t)big.rows * (off_t)big.pad;
	off_t wal_max = 0;
	for (int round = 1; round <= 4; round++) {
		assert_int_equal(db_tx(db, false, fill_fn, (void *)&big, &err), BW_OK);
		if (file_size(wal) > wal_max)
			wal_max = file_size(wal);
		for (int i = 0; i < 1000 && file_size(url) < round * commit; i++)
			usleep(10000);
		if (file_size(url) < round * commit)
			fail_msg("after %d commits the database file holds %lld bytes", round, (long long)file_size(url));
		for (int i = 0; i < 1000 && !log_copied(db); i++)
			usleep(10000);
	}
	if (wal_max > 2 * commit)
		fail_msg("the log grew to %lld bytes", (long long)wal_max);
	assert_int_equal(count(db, "SELECT count(*) FROM w"), 20000);
	db_close(db);
}

static void restore_refuses_live_database(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db_on("rs", url, sizeof url, true);
	migrate1(db, "t/rs", "CREATE TABLE r (v text)");
	exec_ok(db, "INSERT INTO r VALUES ('v1')");
	struct bw_error err = { 0 };
	char bak[512];
	snprintf(bak, sizeof bak, "%s/rs-backup.db", tmpdir);
	char bak_url[520];
	snprintf(bak_url, sizeof bak_url, "sqlite:%s", bak);   /* db_open's spelling works too */
	assert_int_equal(db_backup_sqlite(url, bak_url, &err), BW_OK);
	exec_ok(db, "UPDATE r SET v = 'v2'");

	/* db is open: the database is live */
	assert_int_equal(db_restore_sqlite(bak, url, false, &err), BW_ECONFLICT);
	assert_non_null(strstr(err.msg, "in use"));
	assert_int_equal(count(db, "SELECT count(*) FROM r WHERE v = 'v2'"), 1);
	db_close(db);

	/* stopped: the restore goes ahead and the old contents come back */
	assert_int_equal(db_restore_sqlite(bak, url, false, &err), BW_OK);
	assert_int_equal(db_open(&db, url, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM r WHERE v = 'v1'"), 1);
	exec_ok(db, "UPDATE r SET v = 'v3'");

	/* forced while live */
	assert_int_equal(db_restore_sqlite(bak, url, true, &err), BW_OK);
	db_close(db);
	assert_int_equal(db_open(&db, url, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM r WHERE v = 'v1'"), 1);
	db_close(db);

	/* not a database, and a database that is not ours */
	char junk[512];
	snprintf(junk, sizeof junk, "%s/junk.db", tmpdir);
	FILE *f = fopen(junk, "w");
	assert_non_null(f);
	for (int i = 0; i < 4096; i++)
		fputc((i * 37) & 0xff, f);
	fclose(f);
	assert_int_equal(db_restore_sqlite(junk, url, true, &err), BW_EINVAL);
	char other[512];
	snprintf(other, sizeof other, "%s/other.db", tmpdir);
	struct db *o;
	assert_int_equal(db_open(&o, other, &err), BW_OK);
	exec_ok(o, "CREATE TABLE x (y int)");
	db_close(o);
	assert_int_equal(db_restore_sqlite(other, url, true, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "schema_migrations"));
	char missing[512];
	snprintf(missing, sizeof missing, "%s/missing.db", tmpdir);
	assert_int_equal(db_restore_sqlite(missing, url, true, &err), BW_ENOTFOUND);
	/* the database is untouched by the refused restores */
	assert_int_equal(db_open(&db, url, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM r WHERE v = 'v1'"), 1);
	db_close(db);
}

/* ---- errors ---- */

static void bad_sql_and_bad_urls(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("bad", url, sizeof url);
	assert_null(db_prep(db, "SELEC 1"));
	assert_true(strlen(db_errmsg(db)) > 0);
	assert_null(db_prep(db, "SELECT 1; SELECT 2"));
	assert_int_equal(db_query_i64(db, "SELECT 3; -- trailing comment", -1), 3);
	/* the connection still works after errors */
	assert_int_equal(db_query_i64(db, "SELECT 7", -1), 7);
	struct bw_error err = { 0 };
	assert_int_not_equal(db_exec(db, "CREATE TABLE", &err), BW_OK);
	assert_int_equal(err.code, BW_EDB);
	db_close(db);

	struct db *x = NULL;
	assert_int_not_equal(db_open(&x, "", &err), BW_OK);
	assert_int_not_equal(db_open(&x, "sqlite:", &err), BW_OK);
	assert_int_equal(db_open(&x, "/nonexistent-dir-bw/x.db", &err), BW_EDB);
	assert_null(x);
	char junk[512];
	snprintf(junk, sizeof junk, "%s/notadb", tmpdir);
	FILE *f = fopen(junk, "w");
	assert_non_null(f);
	fputs("this is plainly not an SQLite database, but long enough to have a header..........\n", f);
	fclose(f);
	assert_int_equal(db_open(&x, junk, &err), BW_EDB);
	assert_int_equal(db_open(&x, "postgresql://bulwark@127.0.0.1:1/none?connect_timeout=2", &err),
			 BW_EDB);
	assert_non_null(strstr(err.msg, "PostgreSQL"));
	assert_null(x);
}

static enum bw_err select_one(struct db *db, void *arg, struct bw_error *err)
{
	int64_t *v = arg;
	struct db_stmt *st = db_prep(db, "SELECT ?1 + 1");
	if (!st)
		return db_fail(db, err, "prep");
	db_bind_i64(st, 1, 41);
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "step");
	*v = db_col_i64(st, 0);
	db_reset(st);
	return BW_OK;
}

/* A server restart between transactions costs nothing: the next one
 * reconnects and prepares its statements again. On SQLite, a second
 * connection's writes are simply seen. */
static void connection_survives_restart(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("conn", url, sizeof url);
	struct db *other;
	struct bw_error err = { 0 };
	assert_int_equal(db_open(&other, url, &err), BW_OK);
	int64_t v = 0;
	assert_int_equal(db_tx(db, false, select_one, &v, &err), BW_OK);
	assert_int_equal(v, 42);
	if (on_pg()) {
		int64_t pid = db_query_i64(db, "SELECT pg_backend_pid()", -1);
		assert_true(pid > 0);
		struct db_stmt *st = db_prep(other, "SELECT pg_terminate_backend(?1)");
		db_bind_i64(st, 1, pid);
		assert_int_equal(db_step(st), DB_ROW);
		assert_int_equal(db_col_i64(st, 0), 1);
		assert_string_equal(db_col_text(st, 0), "1");
		db_reset(st);
		usleep(100 * 1000);
	} else {
		exec_ok(other, "CREATE TABLE seen (x INTEGER)");
	}
	v = 0;
	if (db_tx(db, false, select_one, &v, &err) != BW_OK)
		fail_msg("after the restart: %s", err.msg);
	assert_int_equal(v, 42);
	if (on_pg())
		assert_true(db_query_i64(db, "SELECT pg_backend_pid()", -1) > 0);
	else
		assert_int_equal(count(db, "SELECT count(*) FROM seen"), 0);
	db_close(other);
	db_close(db);
}

static const char *plan_cache_mode(struct db *db)
{
	static char mode[64];
	struct db_stmt *st = db_prep(db, "SELECT current_setting('plan_cache_mode')");
	assert_int_equal(db_step(st), DB_ROW);
	snprintf(mode, sizeof mode, "%s", db_col_text(st, 0));
	db_reset(st);
	return mode;
}

/* runs the generic statement sql, then fails: its transaction rolls back */
static enum bw_err generic_then_fail(struct db *db, void *sql, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, sql);
	db_bind_i64(st, 1, 0);
	db_bind_i64(st, 2, 20);
	assert_int_equal(db_step(st), DB_ROW);
	db_reset(st);
	return bw_fail(err, BW_EINVAL, NULL, "rolled back");
}

static void range_statements_planned_per_run(void **state)
{
	(void)state;
	char url[512];
	struct db *db = fresh_db("plans", url, sizeof url);
	migrate1(db, "t/plans", "CREATE TABLE r (n {{INT}});");
	for (int i = 0; i < 100; i++) {
		struct db_stmt *st = db_prep(db, "INSERT INTO r (n) VALUES (?1)");
		db_bind_i64(st, 1, i);
		assert_int_equal(db_step(st), DB_DONE);
	}
	/* two ranges: one planned for its values at every run, one told to keep
	 * the generic plan; both answer the same */
	const char *sql[] = { "SELECT count(*) FROM r WHERE n >= ?1 AND n < ?2",
			      DB_GENERIC_PLAN "SELECT count(*) FROM r WHERE n > ?1 AND n <= ?2" };
	for (int run = 0; run < 8; run++)
		for (size_t k = 0; k < BW_NELEM(sql); k++) {
			struct db_stmt *st = db_prep(db, sql[k]);
			db_bind_i64(st, 1, run * 10);
			db_bind_i64(st, 2, run * 10 + 20);
			assert_int_equal(db_step(st), DB_ROW);
			assert_int_equal(db_col_i64(st, 0), 20);
			db_reset(st);
		}
	if (on_pg()) {
		/* the patterns are split so that these statements do not match themselves */
		assert_int_equal(count(db, "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements"
					   " WHERE statement LIKE '%n >' || '= _1 AND%'"), 0);
		/* generic from its first run, not only once the server thinks it cheap */
		assert_int_equal(count(db, "SELECT coalesce(sum(generic_plans), 0) FROM pg_prepared_statements"
					   " WHERE statement LIKE '%n >' || ' _1 AND%' AND custom_plans = 0"), 8);
		/* the session's mode follows the statement run, and a rolled-back
		 * transaction that set it is not trusted to have kept it */
		assert_string_equal(plan_cache_mode(db), "force_generic_plan");
		struct db_stmt *st = db_prep(db, "SELECT n FROM r WHERE n = ?1");
		db_bind_i64(st, 1, 7);
		assert_int_equal(db_step(st), DB_ROW);
		db_reset(st);
		assert_string_equal(plan_cache_mode(db), "auto");
		struct bw_error e = { 0 };
		assert_int_equal(db_tx(db, false, generic_then_fail, (void *)sql[1], &e), BW_EINVAL);
		assert_string_equal(plan_cache_mode(db), "auto");
		assert_int_equal(generic_then_fail(db, (void *)sql[1], &e), BW_EINVAL);
		assert_string_equal(plan_cache_mode(db), "force_generic_plan");
	}
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_round_trip),
		cmocka_unit_test(integer_parameters_are_64_bit),
		cmocka_unit_test(statement_cache_reuses),
		cmocka_unit_test(placeholders_outside_literals),
		cmocka_unit_test(returning_ids_and_changes),
		cmocka_unit_test(tx_commit_rollback_nesting),
		cmocka_unit_test(unique_violation_is_conflict),
		cmocka_unit_test(tx_retries_concurrent_writers),
		cmocka_unit_test(migrations_apply_once),
		cmocka_unit_test(migrations_concurrent_processes),
		cmocka_unit_test(collate_c_orders_bytewise),
		cmocka_unit_test(job_queue_claims_once),
		cmocka_unit_test(job_leases_and_retries),
		cmocka_unit_test(backup_while_writing),
		cmocka_unit_test(log_is_checkpointed_after_big_commits),
		cmocka_unit_test(restore_refuses_live_database),
		cmocka_unit_test(bad_sql_and_bad_urls),
		cmocka_unit_test(connection_survives_restart),
		cmocka_unit_test(range_statements_planned_per_run),
		cmocka_unit_test(writes_beside_a_busy_job),
	};
	/* the backend is named by BULWARK_TEST_DB (see the file head) */
	fprintf(stderr, "# backend: %s\n", on_pg() ? "postgresql" : "sqlite");
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * db: the parts of the database API both backends share — picking a backend
 * from the URL, the per-connection statement cache (keyed by SQL text),
 * error recording, and transactions with retry and savepoint nesting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_int.h"

/* every write appends to the one audit chain, so on PostgreSQL concurrent
 * writers conflict and all but one retry each round: a burst of writers
 * needs more rounds than a handful, and the time budget is what bounds it */
#define TX_ATTEMPTS     64
#define TX_BUDGET_MS    15000   /* give up retrying after this long */
#define TX_BACKOFF_MS   2
#define TX_BACKOFF_CAP  250

void db_set_error(struct db *db, enum bw_err code, bool retry, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
	va_end(ap);
	db->errcode = code;
	if (retry)
		db->retryable = true;
}

enum bw_err db_open(struct db **out, const char *url, struct bw_error *err)
{
	*out = NULL;
	if (!url || !*url)
		return bw_fail(err, BW_EINVAL, "db", "no database given");
	if (strlen(url) > 4096)
		return bw_fail(err, BW_ELIMIT, "db", "database URL too long");
	struct db *db = calloc(1, sizeof *db);
	if (!db)
		return bw_fail(err, BW_EINTERNAL, "db", "out of memory");
	db->nbuckets = 64;
	db->buckets = calloc(db->nbuckets, sizeof *db->buckets);
	if (!db->buckets) {
		free(db);
		return bw_fail(err, BW_EINTERNAL, "db", "out of memory");
	}
	enum bw_err rc;
	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
		db->kind = DB_POSTGRES;
		rc = db_pg_open(db, url, err);
	} else {
		db->kind = DB_SQLITE;
		if (!strncmp(url, "sqlite:", 7))
			url += 7;
		if (!*url)
			rc = bw_fail(err, BW_EINVAL, "db", "empty SQLite path");
		else
			rc = db_sqlite_open(db, url, err);
	}
	if (rc != BW_OK) {
		if (db->ops)
			db->ops->close(db);
		free(db->buckets);
		free(db);
		return rc;
	}
	*out = db;
	return BW_OK;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->nbuckets; i++) {
		struct db_stmt *st = db->buckets[i];
		while (st) {
			struct db_stmt *next = st->next;
			char *sql = st->sql;
			db->ops->finalize(st);
			free(sql);
			st = next;
		}
	}
	free(db->buckets);
	db->ops->close(db);
	free(db);
}

enum db_kind db_kind(const struct db *db)
{
	return db->kind;
}

const char *db_errmsg(struct db *db)
{
	return db->errmsg;
}

enum bw_err db_errcode(struct db *db)
{
	return db->errcode == BW_OK ? BW_EDB : db->errcode;
}

enum bw_err db_fail(struct db *db, struct bw_error *err, const char *what)
{
	return bw_fail(err, db_errcode(db), "", "%s: %s", what ? what : "database",
		       db->errmsg[0] ? db->errmsg : "unknown database error");
}

enum bw_err db_exec(struct db *db, const char *sql, struct bw_error *err)
{
	if (db->ops->exec(db, sql) != 0)
		return db_fail(db, err, "exec");
	return BW_OK;
}

/* ---- statement cache ---- */

static size_t sql_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static void cache_grow(struct db *db)
{
	size_t n = db->nbuckets * 2;
	struct db_stmt **b = calloc(n, sizeof *b);
	if (!b)
		return;    /* keep the old table: slower, still correct */
	for (size_t i = 0; i < db->nbuckets; i++) {
		struct db_stmt *st = db->buckets[i];
		while (st) {
			struct db_stmt *next = st->next;
			size_t j = sql_hash(st->sql) & (n - 1);
			st->next = b[j];
			b[j] = st;
			st = next;
		}
	}
	free(db->buckets);
	db->buckets = b;
	db->nbuckets = n;
}

struct db_stmt *db_prep(struct db *db, const char *sql)
{
	if (!sql) {
		db_set_error(db, BW_EDB, false, "no SQL given");
		return NULL;
	}
	size_t slot = sql_hash(sql) & (db->nbuckets - 1);
	for (struct db_stmt *st = db->buckets[slot]; st; st = st->next) {
		if (!strcmp(st->sql, sql)) {
			db->ops->reset(st);
			db->ops->clear(st);
			st->bind_failed = false;
			return st;
		}
	}
	if (strlen(sql) > DB_SQL_MAX) {
		db_set_error(db, BW_EDB, false, "SQL text over %d bytes", DB_SQL_MAX);
		return NULL;
	}
	char *key = strdup(sql);
	if (!key) {
		db_set_error(db, BW_EINTERNAL, false, "out of memory");
		return NULL;
	}
	struct db_stmt *st = db->ops->prepare(db, sql);
	if (!st) {
		free(key);
		return NULL;
	}
	st->db = db;
	st->sql = key;
	if (db->nstmts + 1 > db->nbuckets) {
		cache_grow(db);
		slot = sql_hash(sql) & (db->nbuckets - 1);
	}
	st->next = db->buckets[slot];
	db->buckets[slot] = st;
	db->nstmts++;
	return st;
}

void db_bind_i64(struct db_stmt *st, int idx, int64_t v)
{
	if (!st)
		return;
	st->db->ops->bind_i64(st, idx, v);
}

void db_bind_text(struct db_stmt *st, int idx, const char *s)
{
	if (!st)
		return;
	if (!s)
		st->db->ops->bind_null(st, idx);
	else
		st->db->ops->bind_text(st, idx, s, strlen(s));
}

void db_bind_text_kept(struct db_stmt *st, int idx, const char *s)
{
	if (st && s && st->db->ops->bind_text_kept)
		st->db->ops->bind_text_kept(st, idx, s, strlen(s));
	else
		db_bind_text(st, idx, s);
}

void db_bind_textn(struct db_stmt *st, int idx, const char *s, size_t n)
{
	if (!st)
		return;
	if (!s)
		st->db->ops->bind_null(st, idx);
	else
		st->db->ops->bind_text(st, idx, s, n);
}

void db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n)
{
	if (!st)
		return;
	st->db->ops->bind_blob(st, idx, p ? p : "", p ? n : 0);
}

void db_bind_null(struct db_stmt *st, int idx)
{
	if (!st)
		return;
	st->db->ops->bind_null(st, idx);
}

int db_step(struct db_stmt *st)
{
	if (!st)
		return DB_ERR;     /* db_prep failed and said why in db_errmsg */
	if (st->bind_failed) {
		db_set_error(st->db, BW_EDB, false, "%s", st->bind_msg);
		st->bind_failed = false;
		st->db->ops->reset(st);
		return DB_ERR;
	}
	return st->db->ops->step(st);
}

void db_reset(struct db_stmt *st)
{
	if (!st)
		return;
	st->db->ops->reset(st);
}

int db_col_count(struct db_stmt *st)
{
	if (!st)
		return 0;
	return st->db->ops->col_count(st);
}

static bool col_ok(struct db_stmt *st, int col)
{
	return st && col >= 0 && col < st->db->ops->col_count(st);
}

int64_t db_col_i64(struct db_stmt *st, int col)
{
	return col_ok(st, col) ? st->db->ops->col_i64(st, col) : 0;
}

const char *db_col_text(struct db_stmt *st, int col)
{
	return col_ok(st, col) ? st->db->ops->col_text(st, col) : NULL;
}

size_t db_col_bytes(struct db_stmt *st, int col)
{
	return col_ok(st, col) ? st->db->ops->col_bytes(st, col) : 0;
}

const void *db_col_blob(struct db_stmt *st, int col)
{
	return col_ok(st, col) ? st->db->ops->col_blob(st, col) : NULL;
}

bool db_col_isnull(struct db_stmt *st, int col)
{
	return col_ok(st, col) ? st->db->ops->col_isnull(st, col) : true;
}

int64_t db_changes(struct db *db)
{
	return db->ops->changes(db);
}

int64_t db_query_i64(struct db *db, const char *sql, int64_t dflt)
{
	struct db_stmt *st = db_prep(db, sql);
	if (!st)
		return dflt;
	int64_t v = dflt;
	if (db_step(st) == DB_ROW) {
		if (!db_col_isnull(st, 0))
			v = db_col_i64(st, 0);
		db_reset(st);
	}
	return v;
}

/* ---- transactions ---- */

enum tx_mode { TX_DEFERRED, TX_IMMEDIATE, TX_LOCKING };

static const char *tx_begin_sql(struct db *db, enum tx_mode mode)
{
	if (db->kind == DB_SQLITE)
		return mode == TX_DEFERRED ? "BEGIN" : "BEGIN IMMEDIATE";
	return mode == TX_LOCKING ? "BEGIN ISOLATION LEVEL READ COMMITTED"
				  : "BEGIN ISOLATION LEVEL SERIALIZABLE";
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

uint32_t db_jitter(void)
{
	/* xorshift, per thread: jitter needs no cryptographic randomness */
	static _Thread_local uint64_t x;
	if (x == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)(uintptr_t)&x ^ (uint64_t)ts.tv_sec;
		x |= 1;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (uint32_t)(x >> 16);
}

/* Exponential back-off with jitter, so two colliding writers drift apart. */
static void tx_backoff(int attempt)
{
	int64_t cap = TX_BACKOFF_MS << (attempt < 8 ? attempt : 8);
	if (cap > TX_BACKOFF_CAP)
		cap = TX_BACKOFF_CAP;
	sleep_ms(cap / 2 + (int64_t)(db_jitter() % (uint32_t)(cap / 2 + 1)));
}

static void tx_rollback(struct db *db)
{
	if (db->ops->txstate(db) == DB_TX_IDLE)
		return;
	char keep[sizeof db->errmsg];
	memcpy(keep, db->errmsg, sizeof keep);
	enum bw_err code = db->errcode;
	db->ops->exec(db, "ROLLBACK");
	memcpy(db->errmsg, keep, sizeof keep);  /* report the cause, not the rollback */
	db->errcode = code;
}

typedef enum bw_err (*tx_fn)(struct db *db, void *arg, struct bw_error *err);

/* A nested call joins the outer transaction inside a savepoint, so a failing
 * inner part is undone alone and the outer one decides what happens next. */
static enum bw_err tx_nested(struct db *db, tx_fn fn, void *arg, struct bw_error *err)
{
	char sp[64];
	snprintf(sp, sizeof sp, "SAVEPOINT bw_sp%u", ++db->sp_seq);
	if (db->ops->exec(db, sp) != 0)
		return db_fail(db, err, "savepoint");
	const char *name = sp + strlen("SAVEPOINT ");
	db->tx_depth++;
	enum bw_err rc = fn(db, arg, err);
	db->tx_depth--;
	char sql[96];
	if (rc == BW_OK) {
		snprintf(sql, sizeof sql, "RELEASE %s", name);
		if (db->ops->exec(db, sql) == 0)
			return BW_OK;
		rc = db_fail(db, err, "release savepoint");
	}
	char keep[sizeof db->errmsg];
	memcpy(keep, db->errmsg, sizeof keep);
	enum bw_err code = db->errcode;
	snprintf(sql, sizeof sql, "ROLLBACK TO %s", name);
	db->ops->exec(db, sql);
	snprintf(sql, sizeof sql, "RELEASE %s", name);
	db->ops->exec(db, sql);
	memcpy(db->errmsg, keep, sizeof keep);
	db->errcode = code;
	return rc;
}

/* One try of a transaction: BEGIN, fn, COMMIT, or ROLLBACK on any error. */
static enum bw_err tx_attempt(struct db *db, enum tx_mode mode, tx_fn fn, void *arg, struct bw_error *e)
{
	if (db->ops->exec(db, tx_begin_sql(db, mode)) != 0) {
		enum bw_err rc = db_fail(db, e, "begin");
		tx_rollback(db);
		return rc;
	}
	db->tx_depth = 1;
	db->sp_seq = 0;
	enum bw_err rc = fn(db, arg, e);
	db->tx_depth = 0;
	if (rc == BW_OK && db->ops->txstate(db) == DB_TX_FAILED) {
		/* fn ignored a failed statement: PostgreSQL would turn COMMIT
		 * into a silent rollback */
		rc = bw_fail(e, db_errcode(db), "", "transaction aborted by an earlier error: %s", db->errmsg);
	}
	if (rc == BW_OK) {
		if (db->ops->exec(db, "COMMIT") == 0)
			return BW_OK;
		rc = db_fail(db, e, "commit");
	}
	tx_rollback(db);
	return rc;
}

static enum bw_err tx_run(struct db *db, enum tx_mode mode, tx_fn fn, void *arg,
			  struct bw_error *err)
{
	if (db->tx_depth > 0)
		return tx_nested(db, fn, arg, err);
	/* SQLite: a write transaction waits its turn among this process's
	 * writers (see sqlite.c); a deferred one reads first and meets the
	 * lock only if it writes */
	bool turn = db->kind == DB_SQLITE && mode != TX_DEFERRED;
	int64_t start = bw_now_ms();
	struct bw_error e;
	enum bw_err rc = BW_EDB;
	for (int attempt = 0; attempt < TX_ATTEMPTS; attempt++) {
		if (attempt > 0) {
			if (bw_now_ms() - start > TX_BUDGET_MS)
				break;
			tx_backoff(attempt);
		}
		bw_error_clear(&e);
		db->retryable = false;
		if (turn)
			db_sqlite_turn_take();
		rc = tx_attempt(db, mode, fn, arg, &e);
		if (turn)
			db_sqlite_turn_give();
		if (rc == BW_OK) {
			if (err)
				bw_error_clear(err);
			return BW_OK;
		}
		if (!db->retryable)
			break;
	}
	if (rc != BW_OK && e.msg[0] == '\0') {
		db_fail(db, &e, "transaction");
		e.code = rc;
	}
	if (err)
		*err = e;
	return rc == BW_OK ? BW_EDB : rc;
}

enum bw_err db_tx(struct db *db, bool immediate, tx_fn fn, void *arg, struct bw_error *err)
{
	return tx_run(db, immediate ? TX_IMMEDIATE : TX_DEFERRED, fn, arg, err);
}

enum bw_err db_tx_locking(struct db *db, tx_fn fn, void *arg, struct bw_error *err)
{
	return tx_run(db, TX_LOCKING, fn, arg, err);
}

enum bw_err db_lock(struct db *db, int64_t key, struct bw_error *err)
{
	if (db->kind == DB_SQLITE)
		return BW_OK;
	struct db_stmt *st = db_prep(db, "SELECT pg_advisory_xact_lock(?1)");
	if (!st)
		return db_fail(db, err, "lock");
	db_bind_i64(st, 1, key);
	int r = db_step(st);
	if (r == DB_ERR)
		return db_fail(db, err, "lock");
	db_reset(st);
	return BW_OK;
}

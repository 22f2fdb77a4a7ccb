/*
 * sqlite: the embedded backend (libsqlite3). WAL so readers never wait for
 * the writer, foreign keys on, synchronous=NORMAL (durable at checkpoints,
 * never corrupt), a 5 s busy timeout; statements prepared once per
 * connection as persistent and kept in db.c's cache; the log copied back
 * into the database by a thread of its own, not by the commit that filled it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_int.h"

#define SQLITE_BUSY_MS 5000

/*
 * The writers' turn. SQLite lets one connection write at a time, and one
 * waiting for the lock polls it, sleeping longer and longer between polls:
 * a job writing transaction after transaction (an exposure run, a big
 * import) took the lock again at once after each commit, and a request's
 * write beside it waited out the 5 s busy timeout and failed. Writers of
 * one process take a ticket instead and write in the order they came, so a
 * request waits for one of the job's transactions at most. (Other
 * processes — the CLI, `bulwark worker` — still meet at SQLite's lock.)
 */
static pthread_mutex_t turn_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cv = PTHREAD_COND_INITIALIZER;
static uint64_t turn_next, turn_now;
/* a thread writing through a second connection inside its own turn meets
 * SQLite's lock as before, and does not wait for itself */
static _Thread_local int turn_held;

void db_sqlite_turn_take(void)
{
	if (turn_held++)
		return;
	pthread_mutex_lock(&turn_mu);
	uint64_t mine = turn_next++;
	while (turn_now != mine)
		pthread_cond_wait(&turn_cv, &turn_mu);
	pthread_mutex_unlock(&turn_mu);
}

void db_sqlite_turn_give(void)
{
	if (--turn_held)
		return;
	pthread_mutex_lock(&turn_mu);
	turn_now++;
	pthread_cond_broadcast(&turn_cv);
	pthread_mutex_unlock(&turn_mu);
}

struct sq_stmt {
	struct db_stmt base;    /* first: db.c sees only this */
	sqlite3_stmt *s;
};

static sqlite3 *H(struct db *db)
{
	return db->h;
}

static struct sq_stmt *S(struct db_stmt *st)
{
	return (struct sq_stmt *)st;
}

/* Busy and locked mean "another writer got there first": the transaction is
 * worth running again. A unique or primary-key violation is a conflict the
 * caller can explain to the user. */
static void sq_error(struct db *db, int rc)
{
	int prim = rc & 0xff;
	bool retry = prim == SQLITE_BUSY || prim == SQLITE_LOCKED;
	enum bw_err code = BW_EDB;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		code = BW_ECONFLICT;
	const char *msg = sqlite3_errmsg(H(db));
	if (!msg || !*msg)
		msg = sqlite3_errstr(rc);
	db_set_error(db, code, retry, "%s", msg);
}

/* ---- the checkpointer ----
 * SQLite copies the log back into the database (a checkpoint) in the
 * connection whose commit took the log past 1,000 pages, so a big import's
 * commit paid for copying and syncing everything it wrote again: a fifth of
 * its time. Here that commit only hands the file to one thread per process,
 * which checkpoints it on a connection of its own (PASSIVE: it waits for no
 * reader or writer) while the committer answers its request. The process
 * never forks, so the thread is started once, when first needed. */
#define CKPT_PAGES 1000

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv, idle;
	char *due[8];   /* files waiting for their checkpoint */
	size_t n;
	char *running;  /* the file being checkpointed */
	bool started, no_thread;
} ckpt = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER };

static void checkpoint_file(const char *path)
{
	sqlite3 *h = NULL;
	/* a new connection knows the file is in WAL mode once it has read it */
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    sqlite3_exec(h, "PRAGMA schema_version", NULL, NULL, NULL) == SQLITE_OK)
		sqlite3_wal_checkpoint_v2(h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	sqlite3_close_v2(h);
}

static void *checkpointer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ckpt.mu);
	for (;;) {
		while (ckpt.n == 0)
			pthread_cond_wait(&ckpt.cv, &ckpt.mu);
		char *path = ckpt.running = ckpt.due[--ckpt.n];
		pthread_mutex_unlock(&ckpt.mu);
		checkpoint_file(path);
		pthread_mutex_lock(&ckpt.mu);
		free(path);
		ckpt.running = NULL;
		pthread_cond_broadcast(&ckpt.idle);
	}
	return NULL;
}

/* Whether path is now queued for the checkpointer (false: do it here). */
static bool ckpt_queue(const char *path)
{
	bool queued = false;
	pthread_mutex_lock(&ckpt.mu);
	if (!ckpt.started) {
		ckpt.started = true;
		pthread_t t;
		ckpt.no_thread = pthread_create(&t, NULL, checkpointer, NULL) != 0 || pthread_detach(t) != 0;
	}
	for (size_t i = 0; i < ckpt.n && !queued; i++)
		queued = strcmp(ckpt.due[i], path) == 0;
	if (!queued && !ckpt.no_thread && ckpt.n < BW_NELEM(ckpt.due) && (ckpt.due[ckpt.n] = strdup(path))) {
		ckpt.n++;
		queued = true;
		pthread_cond_signal(&ckpt.cv);
	}
	pthread_mutex_unlock(&ckpt.mu);
	return queued;
}

/* Called after every commit with the log's length in pages. */
static int wal_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
	(void)arg;
	const char *path = sqlite3_db_filename(h, name);
	if (pages >= CKPT_PAGES && !(path && *path && ckpt_queue(path)))
		sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* Before a connection to path closes: its queued checkpoints are dropped
 * and a running one is waited for, so that the last connection's close
 * checkpoints and removes the log itself, as SQLite does, rather than the
 * process exiting in the middle of a checkpoint and leaving the log behind. */
static void ckpt_forget(const char *path)
{
	pthread_mutex_lock(&ckpt.mu);
	for (size_t i = 0; i < ckpt.n;) {
		if (strcmp(ckpt.due[i], path) == 0) {
			free(ckpt.due[i]);
			ckpt.due[i] = ckpt.due[--ckpt.n];
		} else {
			i++;
		}
	}
	while (ckpt.running && strcmp(ckpt.running, path) == 0)
		pthread_cond_wait(&ckpt.idle, &ckpt.mu);
	pthread_mutex_unlock(&ckpt.mu);
}

static void sq_close(struct db *db)
{
	const char *path = db->h ? sqlite3_db_filename(H(db), "main") : NULL;
	if (path && *path)
		ckpt_forget(path);
	if (db->h)
		sqlite3_close_v2(H(db));
	db->h = NULL;
}

static int sq_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(H(db), sql, NULL, NULL, &msg);
	sqlite3_free(msg);
	if (rc != SQLITE_OK) {
		sq_error(db, sqlite3_extended_errcode(H(db)));
		return -1;
	}
	return 0;
}

static struct db_stmt *sq_prepare(struct db *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	const char *tail = NULL;
	int rc = sqlite3_prepare_v3(H(db), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, &tail);
	if (rc != SQLITE_OK) {
		sq_error(db, rc);
		return NULL;
	}
	if (!s) {
		db_set_error(db, BW_EDB, false, "no statement in SQL text");
		return NULL;
	}
	if (tail && *tail) {
		/* whatever follows must be only blanks and comments */
		sqlite3_stmt *more = NULL;
		sqlite3_prepare_v2(H(db), tail, -1, &more, NULL);
		if (more) {
			sqlite3_finalize(more);
			sqlite3_finalize(s);
			db_set_error(db, BW_EDB, false, "db_prep takes one statement only");
			return NULL;
		}
	}
	struct sq_stmt *st = calloc(1, sizeof *st);
	if (!st) {
		sqlite3_finalize(s);
		db_set_error(db, BW_EINTERNAL, false, "out of memory");
		return NULL;
	}
	st->s = s;
	return &st->base;
}

static void sq_finalize(struct db_stmt *st)
{
	sqlite3_finalize(S(st)->s);
	free(st);
}

static void sq_reset(struct db_stmt *st)
{
	sqlite3_reset(S(st)->s);
}

static void sq_clear(struct db_stmt *st)
{
	sqlite3_clear_bindings(S(st)->s);
}

static void sq_bound(struct db_stmt *st, int idx, int rc)
{
	if (rc != SQLITE_OK && !st->bind_failed) {
		st->bind_failed = true;
		snprintf(st->bind_msg, sizeof st->bind_msg, "binding parameter %d: %s",
			 idx, sqlite3_errstr(rc));
	}
}

static void sq_bind_i64(struct db_stmt *st, int idx, int64_t v)
{
	sq_bound(st, idx, sqlite3_bind_int64(S(st)->s, idx, v));
}

static void sq_bind_text(struct db_stmt *st, int idx, const char *s, size_t n)
{
	sq_bound(st, idx, sqlite3_bind_text64(S(st)->s, idx, s, n, SQLITE_TRANSIENT,
					      SQLITE_UTF8));
}

static void sq_bind_text_kept(struct db_stmt *st, int idx, const char *s, size_t n)
{
	sq_bound(st, idx, sqlite3_bind_text64(S(st)->s, idx, s, n, SQLITE_STATIC, SQLITE_UTF8));
}

static void sq_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n)
{
	/* an empty blob, not NULL: sqlite3_bind_blob would bind NULL for n=0 */
	if (n == 0)
		sq_bound(st, idx, sqlite3_bind_zeroblob(S(st)->s, idx, 0));
	else
		sq_bound(st, idx, sqlite3_bind_blob64(S(st)->s, idx, p, n, SQLITE_TRANSIENT));
}

static void sq_bind_null(struct db_stmt *st, int idx)
{
	sq_bound(st, idx, sqlite3_bind_null(S(st)->s, idx));
}

static int sq_step(struct db_stmt *st)
{
	/* a write outside a transaction takes its turn for the statement's
	 * run (one with RETURNING holds the lock until it is reset: a writer
	 * after it waits that moment at SQLite's lock) */
	sqlite3_stmt *s = S(st)->s;
	bool turn = !sqlite3_stmt_busy(s) && sqlite3_get_autocommit(H(st->db)) && !sqlite3_stmt_readonly(s);
	if (turn)
		db_sqlite_turn_take();
	int rc = sqlite3_step(s);
	if (turn)
		db_sqlite_turn_give();
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(S(st)->s);
		return DB_DONE;
	}
	sq_error(st->db, sqlite3_extended_errcode(H(st->db)));
	sqlite3_reset(S(st)->s);
	return DB_ERR;
}

static int sq_col_count(struct db_stmt *st)
{
	return sqlite3_data_count(S(st)->s);
}

static int64_t sq_col_i64(struct db_stmt *st, int col)
{
	return sqlite3_column_int64(S(st)->s, col);
}

static const char *sq_col_text(struct db_stmt *st, int col)
{
	if (sqlite3_column_type(S(st)->s, col) == SQLITE_NULL)
		return NULL;
	const char *t = (const char *)sqlite3_column_text(S(st)->s, col);
	return t ? t : "";
}

static size_t sq_col_bytes(struct db_stmt *st, int col)
{
	return (size_t)sqlite3_column_bytes(S(st)->s, col);
}

static const void *sq_col_blob(struct db_stmt *st, int col)
{
	if (sqlite3_column_type(S(st)->s, col) == SQLITE_NULL)
		return NULL;
	const void *p = sqlite3_column_blob(S(st)->s, col);
	return p ? p : "";     /* SQLite gives NULL for an empty blob */
}

static bool sq_col_isnull(struct db_stmt *st, int col)
{
	return sqlite3_column_type(S(st)->s, col) == SQLITE_NULL;
}

static int64_t sq_changes(struct db *db)
{
	return sqlite3_changes64(H(db));
}

static enum db_txstate sq_txstate(struct db *db)
{
	return sqlite3_get_autocommit(H(db)) ? DB_TX_IDLE : DB_TX_ACTIVE;
}

static const struct db_ops sqlite_ops = {
	.close = sq_close,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.reset = sq_reset,
	.clear = sq_clear,
	.bind_i64 = sq_bind_i64,
	.bind_text = sq_bind_text,
	.bind_text_kept = sq_bind_text_kept,
	.bind_blob = sq_bind_blob,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.col_count = sq_col_count,
	.col_i64 = sq_col_i64,
	.col_text = sq_col_text,
	.col_bytes = sq_col_bytes,
	.col_blob = sq_col_blob,
	.col_isnull = sq_col_isnull,
	.changes = sq_changes,
	.txstate = sq_txstate,
};

enum bw_err db_sqlite_open(struct db *db, const char *path, struct bw_error *err)
{
	sqlite3 *h = NULL;
	/* one connection per thread: SQLite's own mutexes would only cost */
	int rc = sqlite3_open_v2(path, &h,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		enum bw_err r = bw_fail(err, BW_EDB, "db", "cannot open %s: %s", path,
					h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close_v2(h);
		return r;
	}
	db->h = h;
	db->ops = &sqlite_ops;
	sqlite3_extended_result_codes(h, 1);
	sqlite3_busy_timeout(h, SQLITE_BUSY_MS);
	/* journal_mode answers with a row; WAL cannot apply to :memory: */
	if (sq_exec(db, "PRAGMA journal_mode=WAL") != 0 ||
	    sq_exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL") != 0 ||
	    /* pages read through a mapping of the file, not copied by a pread
	     * per page: a national estate's indexes are read all the time */
	    sq_exec(db, "PRAGMA mmap_size=8589934592") != 0)
		return bw_fail(err, BW_EDB, "db", "cannot set up %s: %s", path, db->errmsg);
	sqlite3_wal_hook(h, wal_hook, NULL);  /* in place of SQLite's own checkpoint at commit */
	/* the header is read lazily: check now that this is a database at all */
	if (sq_exec(db, "SELECT count(*) FROM sqlite_schema") != 0)
		return bw_fail(err, BW_EDB, "db", "%s: %s", path, db->errmsg);
	return BW_OK;
}

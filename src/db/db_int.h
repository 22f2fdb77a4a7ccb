/*
 * db_int: what the two backends share inside src/db — the connection and
 * statement headers, the backend operation table, the error recorder and
 * the statement cache. Not for use outside src/db.
 */
#ifndef BW_DB_INT_H
#define BW_DB_INT_H

#include "db.h"

#define DB_SQL_MAX       (1024 * 1024)  /* one statement's text */
#define DB_PARAMS_MAX    65535          /* PostgreSQL's limit on bound values */

enum db_txstate { DB_TX_IDLE, DB_TX_ACTIVE, DB_TX_FAILED };

/* Every backend statement starts with this header. */
struct db_stmt {
	struct db *db;
	char *sql;                 /* the cache key, as the caller wrote it */
	struct db_stmt *next;      /* cache bucket chain */
	bool bind_failed;          /* a bind was refused: the next step fails */
	char bind_msg[128];
};

struct db_ops {
	void (*close)(struct db *db);
	int (*exec)(struct db *db, const char *sql);               /* 0 or -1 */
	struct db_stmt *(*prepare)(struct db *db, const char *sql);
	void (*finalize)(struct db_stmt *st);
	void (*reset)(struct db_stmt *st);         /* drop results, keep bindings */
	void (*clear)(struct db_stmt *st);         /* drop bindings */
	void (*bind_i64)(struct db_stmt *st, int idx, int64_t v);
	void (*bind_text)(struct db_stmt *st, int idx, const char *s, size_t n);
	/* s not copied: it outlives the statement's last step (NULL: copy) */
	void (*bind_text_kept)(struct db_stmt *st, int idx, const char *s, size_t n);
	void (*bind_blob)(struct db_stmt *st, int idx, const void *p, size_t n);
	void (*bind_null)(struct db_stmt *st, int idx);
	int (*step)(struct db_stmt *st);
	int (*col_count)(struct db_stmt *st);
	int64_t (*col_i64)(struct db_stmt *st, int col);
	const char *(*col_text)(struct db_stmt *st, int col);
	size_t (*col_bytes)(struct db_stmt *st, int col);
	const void *(*col_blob)(struct db_stmt *st, int col);
	bool (*col_isnull)(struct db_stmt *st, int col);
	int64_t (*changes)(struct db *db);
	enum db_txstate (*txstate)(struct db *db);
};

struct db {
	enum db_kind kind;
	const struct db_ops *ops;
	void *h;                   /* sqlite3 * or PGconn * */
	void *priv;                /* backend extras */

	/* statement cache: chained hash table keyed by SQL text */
	struct db_stmt **buckets;
	size_t nbuckets, nstmts;

	/* transactions */
	int tx_depth;
	unsigned sp_seq;

	/* the last error, as the backend reported it */
	enum bw_err errcode;
	bool retryable;            /* sticky within one db_tx attempt */
	char errmsg[512];
};

/* Records the last error; retry marks busy/serialisation failures. */
void db_set_error(struct db *db, enum bw_err code, bool retry, const char *fmt, ...)
	BW_PRINTF(4, 5);

/* A cheap per-thread random number for back-off jitter and temp names. */
uint32_t db_jitter(void);

enum bw_err db_sqlite_open(struct db *db, const char *path, struct bw_error *err);
/* SQLite's writers of this process in arrival order: each write transaction
 * (and each write statement outside one) takes its turn first. */
void db_sqlite_turn_take(void);
void db_sqlite_turn_give(void);
enum bw_err db_pg_open(struct db *db, const char *url, struct bw_error *err);

/* The PostgreSQL rewrite of ?N placeholders to $N; exposed for tests. */
bool db_pg_rewrite(const char *sql, struct buf *out, int *nparams, char *msg, size_t msgsz);

#endif

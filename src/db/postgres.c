/*
 * postgres: the scale-out backend (libpq). SQL written for SQLite with ?N
 * placeholders is rewritten to $N (outside literals, quoted names, comments
 * and dollar quotes) and prepared once per connection under a generated
 * name (a statement over a range runs unnamed, planned for its values:
 * needs_custom_plan). Values travel as text, blobs as binary bytea; results
 * come back as text and are parsed (integers) or decoded (bytea) on demand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "db_int.h"

/* type OIDs from pg_type.h, which libpq does not install */
#define OID_BOOL  16
#define OID_BYTEA 17
#define OID_INT8  20
#define OID_INT2  21
#define OID_INT4  23

/* The session's plan_cache_mode, as last set: see plan_mode */
enum plan_mode { PLAN_UNKNOWN, PLAN_AUTO, PLAN_GENERIC };

struct pg_conn {
	unsigned seq;       /* statement names */
	unsigned gen;       /* bumped on reconnect: server forgot our statements */
	int64_t changes;
	enum plan_mode mode;
};

struct pg_blob {
	unsigned char *p;   /* decoded bytes + NUL, or NULL when not decoded yet */
	size_t n;
};

struct pg_stmt {
	struct db_stmt base;    /* first: db.c sees only this */
	char name[32];
	char *pgsql;            /* the rewritten text */
	int nparams;
	const char **vals;
	int *lens, *fmts;
	Oid *types;             /* as bound: what a typed prepare declares */
	Oid *decl;              /* as prepared: 0 lets the server infer */
	struct buf *store;      /* per-parameter copies of bound values */
	bool prepared;
	bool custom;            /* planned for its values at every run: see needs_custom_plan */
	bool generic;           /* begins with DB_GENERIC_PLAN: see plan_mode */
	unsigned gen;
	PGresult *res;
	int next, cur;          /* next row to return; current row or -1 */
	struct pg_blob *blobs;  /* decoded bytea of the current row */
	int nblobs;
};

static PGconn *C(struct db *db)
{
	return db->h;
}

static struct pg_conn *P(struct db *db)
{
	return db->priv;
}

static struct pg_stmt *S(struct db_stmt *st)
{
	return (struct pg_stmt *)st;
}

/* ---- ?N -> $N ---- */

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

/* Copies a quoted run starting at s[i] (the opening quote q) to out; a
 * doubled quote stays inside; backslash escapes only in E'...' strings. */
static size_t copy_quoted(const char *s, size_t i, char q, bool backslash, struct buf *out)
{
	size_t j = i + 1;
	for (;;) {
		if (!s[j])
			break;
		if (backslash && s[j] == '\\' && s[j + 1]) {
			j += 2;
			continue;
		}
		if (s[j] == q) {
			if (s[j + 1] == q) {
				j += 2;
				continue;
			}
			j++;
			break;
		}
		j++;
	}
	buf_add(out, s + i, j - i);
	return j;
}

bool db_pg_rewrite(const char *s, struct buf *out, int *nparams, char *msg, size_t msgsz)
{
	int maxn = 0;
	size_t i = 0;
	while (s[i]) {
		char c = s[i];
		bool word_before = i > 0 && ident_char(s[i - 1]);
		if (c == '\'') {
			bool esc = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
				   !(i > 1 && ident_char(s[i - 2]));
			i = copy_quoted(s, i, '\'', esc, out);
		} else if (c == '"') {
			i = copy_quoted(s, i, '"', false, out);
		} else if (c == '-' && s[i + 1] == '-') {
			size_t j = i;
			while (s[j] && s[j] != '\n')
				j++;
			buf_add(out, s + i, j - i);
			i = j;
		} else if (c == '/' && s[i + 1] == '*') {
			size_t j = i + 2;
			int depth = 1;    /* PostgreSQL comments nest */
			while (s[j] && depth > 0) {
				if (s[j] == '/' && s[j + 1] == '*') {
					depth++;
					j += 2;
				} else if (s[j] == '*' && s[j + 1] == '/') {
					depth--;
					j += 2;
				} else {
					j++;
				}
			}
			buf_add(out, s + i, j - i);
			i = j;
		} else if (c == '$' && !word_before &&
			   !(s[i + 1] >= '0' && s[i + 1] <= '9')) {
			/* $tag$ ... $tag$ */
			size_t t = i + 1;
			while (s[t] && s[t] != '$' && ident_char(s[t]))
				t++;
			if (s[t] != '$') {
				buf_putc(out, c);
				i++;
				continue;
			}
			size_t taglen = t + 1 - i;
			const char *end = s + t + 1;
			for (;;) {
				end = strchr(end, '$');
				if (!end || !strncmp(end, s + i, taglen))
					break;
				end++;
			}
			size_t j = end ? (size_t)(end - s) + taglen : strlen(s);
			buf_add(out, s + i, j - i);
			i = j;
		} else if (c == '?' && s[i + 1] >= '0' && s[i + 1] <= '9') {
			size_t j = i + 1;
			long n = 0;
			while (s[j] >= '0' && s[j] <= '9') {
				n = n * 10 + (s[j] - '0');
				if (n > DB_PARAMS_MAX) {
					snprintf(msg, msgsz, "parameter number over %d", DB_PARAMS_MAX);
					return false;
				}
				j++;
			}
			if (n == 0) {
				snprintf(msg, msgsz, "parameters are numbered from ?1");
				return false;
			}
			if (n > maxn)
				maxn = (int)n;
			buf_printf(out, "$%ld", n);
			i = j;
		} else {
			buf_putc(out, c);
			i++;
		}
	}
	*nparams = maxn;
	return true;
}

/* ---- errors ---- */

static void pg_error(struct db *db, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	if (!primary) {
		primary = PQerrorMessage(C(db));
		if (!primary || !*primary)
			primary = "unknown PostgreSQL error";
	}
	state = state ? state : "";
	bool retry = !strcmp(state, "40001") || !strcmp(state, "40P01");
	enum bw_err code = !strcmp(state, "23505") ? BW_ECONFLICT : BW_EDB;
	/* libpq's connection messages end in a newline */
	size_t n = strlen(primary);
	while (n > 0 && primary[n - 1] == '\n')
		n--;
	db_set_error(db, code, retry, "%.*s%s%s%s%s%s", (int)n, primary,
		     detail ? " (" : "", detail ? detail : "", detail ? ")" : "",
		     *state ? " SQLSTATE " : "", state);
}

static void pg_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;   /* "table already exists, skipping" and the like */
}

static int pg_setup(struct db *db)
{
	PQsetNoticeProcessor(C(db), pg_notice, NULL);
	/* No parallel workers: a page's query that a plan misjudges as big
	 * would otherwise start worker processes on every request, which costs
	 * more than the query and doubles p99 under load. */
	PGresult *res = PQexec(C(db), "SET TIME ZONE 'UTC'; SET client_encoding = 'UTF8';"
				      " SET max_parallel_workers_per_gather = 0");
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc)
		pg_error(db, res);
	PQclear(res);
	return rc;
}

/* A lost connection is re-made between transactions; inside one the
 * failure stands, because what was committed is unknown. */
static void pg_revive(struct db *db)
{
	if (PQstatus(C(db)) != CONNECTION_BAD || db->tx_depth > 0)
		return;
	PQreset(C(db));
	if (PQstatus(C(db)) == CONNECTION_OK) {
		P(db)->gen++;
		P(db)->mode = PLAN_UNKNOWN;
		pg_setup(db);
	}
}

/* ---- connection ---- */

static void pg_close(struct db *db)
{
	if (db->h)
		PQfinish(C(db));
	db->h = NULL;
	free(db->priv);
	db->priv = NULL;
}

static int pg_exec(struct db *db, const char *sql)
{
	pg_revive(db);
	PGresult *res = PQexec(C(db), sql);
	ExecStatusType s = PQresultStatus(res);
	if (s == PGRES_FATAL_ERROR && PQstatus(C(db)) == CONNECTION_BAD &&
	    db->tx_depth == 0 && !strncmp(sql, "BEGIN", 5)) {
		/* the server dropped us while idle (a restart, a fail-over):
		 * nothing was in flight, so connect again and begin afresh */
		PQclear(res);
		pg_revive(db);
		res = PQexec(C(db), sql);
		s = PQresultStatus(res);
	}
	int rc = 0;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY) {
		pg_error(db, res);
		rc = -1;
	}
	PQclear(res);
	/* a transaction that did not commit takes back the SETs made in it */
	if (!strncmp(sql, "ROLLBACK", 8) || (rc && !strncmp(sql, "COMMIT", 6)))
		P(db)->mode = PLAN_UNKNOWN;
	return rc;
}

/* ---- statements ---- */

static void blobs_drop(struct pg_stmt *st)
{
	for (int i = 0; i < st->nblobs; i++) {
		free(st->blobs[i].p);
		st->blobs[i].p = NULL;
	}
}

static void pg_reset(struct db_stmt *bst)
{
	struct pg_stmt *st = S(bst);
	blobs_drop(st);
	PQclear(st->res);
	st->res = NULL;
	st->next = 0;
	st->cur = -1;
}

static void pg_clear(struct db_stmt *bst)
{
	struct pg_stmt *st = S(bst);
	for (int i = 0; i < st->nparams; i++) {
		st->vals[i] = NULL;
		st->lens[i] = 0;
		st->fmts[i] = 0;
		st->types[i] = 0;
	}
}

static void pg_finalize(struct db_stmt *bst)
{
	struct pg_stmt *st = S(bst);
	pg_reset(bst);
	for (int i = 0; i < st->nparams; i++)
		buf_free(&st->store[i]);
	free(st->store);
	free(st->vals);
	free(st->lens);
	free(st->fmts);
	free(st->types);
	free(st->decl);
	free(st->blobs);
	free(st->pgsql);
	free(st);
}

static bool state_is(const PGresult *res, const char *a, const char *b, const char *c)
{
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return s && (!strcmp(s, a) || !strcmp(s, b) || !strcmp(s, c));
}

/*
 * Prepares st on the server. Untyped first, so the server infers each
 * parameter from its context. If it inferred a 32- or 16-bit integer (as
 * for "?1 + 60") the statement is prepared again with bigint there, since
 * every integer we bind is 64-bit. If nothing could be inferred (as for
 * "?1 + ?2") *later is set and the caller prepares it at the first step,
 * declaring the types of the values then bound.
 */
static int pg_do_prepare(struct db *db, struct pg_stmt *st, bool typed, bool *later)
{
	PGconn *c = C(db);
	snprintf(st->name, sizeof st->name, "bw_%u", ++P(db)->seq);
	for (int i = 0; i < st->nparams; i++)
		st->decl[i] = typed ? st->types[i] : 0;
	PGresult *res = PQprepare(c, st->name, st->pgsql, st->nparams, st->decl);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		if (later && state_is(res, "42P18", "42725", "42883")) {
			*later = true;
			PQclear(res);
			return 0;
		}
		pg_error(db, res);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (!typed && st->nparams > 0) {
		res = PQdescribePrepared(c, st->name);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_error(db, res);
			PQclear(res);
			return -1;
		}
		bool narrow = false;
		for (int i = 0; i < st->nparams && i < PQnparams(res); i++) {
			Oid t = PQparamtype(res, i);
			if (t == OID_INT2 || t == OID_INT4) {
				narrow = true;
				t = OID_INT8;
			}
			st->decl[i] = t;
		}
		PQclear(res);
		if (narrow) {
			/* keep the inferred version when a function takes exactly
			 * an int4 (pg_terminate_backend) and bigint will not do */
			char wide[32];
			snprintf(wide, sizeof wide, "bw_%u", ++P(db)->seq);
			res = PQprepare(c, wide, st->pgsql, st->nparams, st->decl);
			bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
			PQclear(res);
			if (ok) {
				char sql[64];
				snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
				if (pg_exec(db, sql) != 0)
					return -1;
				memcpy(st->name, wide, sizeof wide);
			}
		}
	}
	st->prepared = true;
	st->gen = P(db)->gen;
	return 0;
}

/*
 * Whether a statement must be planned for the values it is run with. A
 * prepared statement is planned once for any values from its sixth run (a
 * generic plan), which suits lookups by key, whose plan never changes and
 * whose planning cost more than their running when every run was planned.
 * It does not suit a range: a subtree (path >= ? AND path < ?) is one
 * practice or the whole nation, a name prefix a few rows or half the
 * estate, and a generic plan made for neither turned an alert's roll-up
 * over 60,000 organisations from 0.3 s into more than 1 s of index probes.
 * So a statement comparing with < or > (or LIKE) outside its literals,
 * given parameters, is run unnamed: parsed and planned with its values,
 * unless its text begins with DB_GENERIC_PLAN (the caller checks that).
 */
static bool needs_custom_plan(const char *sql, int nparams)
{
	if (nparams == 0)
		return false;
	char quote = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '<' || *p == '>' || strncasecmp(p, " LIKE ", 6) == 0) {
			return true;
		}
	}
	return false;
}

static struct db_stmt *pg_prepare(struct db *db, const char *sql)
{
	struct buf out;
	buf_init(&out);
	int n = 0;
	char msg[128];
	if (!db_pg_rewrite(sql, &out, &n, msg, sizeof msg)) {
		buf_free(&out);
		db_set_error(db, BW_EDB, false, "%s", msg);
		return NULL;
	}
	struct pg_stmt *st = calloc(1, sizeof *st);
	if (!st) {
		buf_free(&out);
		db_set_error(db, BW_EINTERNAL, false, "out of memory");
		return NULL;
	}
	st->pgsql = buf_steal(&out);
	st->nparams = n;
	st->generic = n > 0 && !strncmp(st->pgsql, DB_GENERIC_PLAN, strlen(DB_GENERIC_PLAN));
	st->custom = !st->generic && needs_custom_plan(st->pgsql, n);
	st->cur = -1;
	size_t k = n > 0 ? (size_t)n : 1;
	st->vals = calloc(k, sizeof *st->vals);
	st->lens = calloc(k, sizeof *st->lens);
	st->fmts = calloc(k, sizeof *st->fmts);
	st->types = calloc(k, sizeof *st->types);
	st->decl = calloc(k, sizeof *st->decl);
	st->store = calloc(k, sizeof *st->store);
	if (!st->vals || !st->lens || !st->fmts || !st->types || !st->decl || !st->store) {
		pg_finalize(&st->base);
		db_set_error(db, BW_EINTERNAL, false, "out of memory");
		return NULL;
	}
	for (int i = 0; i < n; i++)
		buf_init(&st->store[i]);
	pg_revive(db);
	bool later = false;
	if (pg_do_prepare(db, st, false, &later) != 0) {
		pg_finalize(&st->base);
		return NULL;
	}
	return &st->base;
}

static struct pg_stmt *param(struct db_stmt *bst, int idx)
{
	struct pg_stmt *st = S(bst);
	if (idx < 1 || idx > st->nparams) {
		if (!bst->bind_failed) {
			bst->bind_failed = true;
			snprintf(bst->bind_msg, sizeof bst->bind_msg,
				 "binding parameter %d: the statement has %d", idx, st->nparams);
		}
		return NULL;
	}
	return st;
}

static void set_param(struct pg_stmt *st, int idx, const void *p, size_t n, int fmt, Oid type)
{
	struct buf *b = &st->store[idx - 1];
	buf_reset(b);
	buf_add(b, p, n);
	st->vals[idx - 1] = buf_cstr(b);
	st->lens[idx - 1] = (int)n;
	st->fmts[idx - 1] = fmt;
	st->types[idx - 1] = type;
}

static void pg_bind_i64(struct db_stmt *bst, int idx, int64_t v)
{
	struct pg_stmt *st = param(bst, idx);
	if (!st)
		return;
	char num[24];
	int n = snprintf(num, sizeof num, "%lld", (long long)v);
	set_param(st, idx, num, (size_t)n, 0, OID_INT8);
}

static void pg_bind_text(struct db_stmt *bst, int idx, const char *s, size_t n)
{
	struct pg_stmt *st = param(bst, idx);
	if (!st)
		return;
	/* text parameters are NUL-terminated on the wire; PostgreSQL text
	 * cannot hold NUL, so refuse rather than silently truncate */
	if (memchr(s, '\0', n) || n > INT32_MAX) {
		bst->bind_failed = true;
		snprintf(bst->bind_msg, sizeof bst->bind_msg,
			 "binding parameter %d: text holds a NUL byte or is too long", idx);
		return;
	}
	set_param(st, idx, s, n, 0, 0);
}

static void pg_bind_blob(struct db_stmt *bst, int idx, const void *p, size_t n)
{
	struct pg_stmt *st = param(bst, idx);
	if (!st)
		return;
	if (n > INT32_MAX) {
		bst->bind_failed = true;
		snprintf(bst->bind_msg, sizeof bst->bind_msg, "binding parameter %d: too long", idx);
		return;
	}
	set_param(st, idx, p, n, 1, OID_BYTEA);
}

static void pg_bind_null(struct db_stmt *bst, int idx)
{
	struct pg_stmt *st = param(bst, idx);
	if (!st)
		return;
	st->vals[idx - 1] = NULL;
	st->lens[idx - 1] = 0;
	st->fmts[idx - 1] = 0;
	st->types[idx - 1] = 0;
}

static bool counts_changes(const char *status)
{
	return !strncmp(status, "INSERT", 6) || !strncmp(status, "UPDATE", 6) ||
	       !strncmp(status, "DELETE", 6) || !strncmp(status, "MERGE", 5);
}

/*
 * PostgreSQL keeps a prepared statement's generic plan only where it
 * estimates it no dearer than the plans made for the values; with a range
 * in it (a name prefix of unknown width, a LIMIT of unknown size) it
 * estimates the generic plan dear and plans every run, though the plan
 * comes out the same: a millisecond of planning for a millisecond of work.
 * So a DB_GENERIC_PLAN statement runs with the session's plan_cache_mode
 * at force_generic_plan and every other statement with parameters at
 * auto, the SET sent only when the mode must change.
 */
static int plan_mode(struct db *db, const struct pg_stmt *st)
{
	enum plan_mode want = st->generic ? PLAN_GENERIC : PLAN_AUTO;
	if (st->nparams == 0 || P(db)->mode == want)
		return 0;
	PGresult *res = PQexec(C(db), want == PLAN_GENERIC ? "SET plan_cache_mode = force_generic_plan"
							   : "SET plan_cache_mode = auto");
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc)
		pg_error(db, res);
	PQclear(res);
	P(db)->mode = rc ? PLAN_UNKNOWN : want;
	return rc;
}

static int pg_step(struct db_stmt *bst)
{
	struct pg_stmt *st = S(bst);
	struct db *db = bst->db;
	if (!st->res) {
		pg_revive(db);
		if (st->prepared && st->gen != P(db)->gen) {
			/* reconnected: prepare again as db_prep did */
			bool later = false;
			st->prepared = false;
			if (pg_do_prepare(db, st, false, &later) != 0)
				return DB_ERR;
		}
		if (!st->prepared && pg_do_prepare(db, st, true, NULL) != 0)
			return DB_ERR;
		if (plan_mode(db, st) != 0)
			return DB_ERR;
		PGresult *res = st->custom ? PQexecParams(C(db), st->pgsql, st->nparams, st->decl, st->vals,
							  st->lens, st->fmts, 0)
					   : PQexecPrepared(C(db), st->name, st->nparams, st->vals, st->lens, st->fmts, 0);
		ExecStatusType s = PQresultStatus(res);
		if (s == PGRES_COMMAND_OK || s == PGRES_EMPTY_QUERY) {
			if (counts_changes(PQcmdStatus(res)))
				P(db)->changes = strtoll(PQcmdTuples(res), NULL, 10);
			PQclear(res);
			return DB_DONE;
		}
		if (s != PGRES_TUPLES_OK) {
			pg_error(db, res);
			PQclear(res);
			return DB_ERR;
		}
		if (counts_changes(PQcmdStatus(res)))     /* ... RETURNING */
			P(db)->changes = strtoll(PQcmdTuples(res), NULL, 10);
		st->res = res;
		st->next = 0;
		int nf = PQnfields(res);
		if (nf > st->nblobs) {
			struct pg_blob *b = realloc(st->blobs, (size_t)nf * sizeof *b);
			if (!b) {
				pg_reset(bst);
				db_set_error(db, BW_EINTERNAL, false, "out of memory");
				return DB_ERR;
			}
			memset(b + st->nblobs, 0, (size_t)(nf - st->nblobs) * sizeof *b);
			st->blobs = b;
			st->nblobs = nf;
		}
	}
	blobs_drop(st);
	if (st->next < PQntuples(st->res)) {
		st->cur = st->next++;
		return DB_ROW;
	}
	pg_reset(bst);
	return DB_DONE;
}

static int pg_col_count(struct db_stmt *bst)
{
	struct pg_stmt *st = S(bst);
	return st->res && st->cur >= 0 ? PQnfields(st->res) : 0;
}

static bool is_bytea(struct pg_stmt *st, int col)
{
	return PQftype(st->res, col) == OID_BYTEA;
}

static struct pg_blob *blob_get(struct pg_stmt *st, int col)
{
	struct pg_blob *b = &st->blobs[col];
	if (b->p)
		return b;
	size_t n = 0;
	unsigned char *raw = PQunescapeBytea(
		(const unsigned char *)PQgetvalue(st->res, st->cur, col), &n);
	b->p = malloc(n + 1);
	if (!raw || !b->p) {
		PQfreemem(raw);
		free(b->p);
		b->p = NULL;
		return NULL;
	}
	memcpy(b->p, raw, n);
	b->p[n] = '\0';     /* so db_col_text works on a blob too */
	b->n = n;
	PQfreemem(raw);
	return b;
}

static bool pg_col_isnull(struct db_stmt *bst, int col)
{
	struct pg_stmt *st = S(bst);
	return PQgetisnull(st->res, st->cur, col);
}

static int64_t pg_col_i64(struct db_stmt *bst, int col)
{
	struct pg_stmt *st = S(bst);
	if (PQgetisnull(st->res, st->cur, col))
		return 0;
	const char *v = PQgetvalue(st->res, st->cur, col);
	if (PQftype(st->res, col) == OID_BOOL)
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

static const char *pg_col_text(struct db_stmt *bst, int col)
{
	struct pg_stmt *st = S(bst);
	if (PQgetisnull(st->res, st->cur, col))
		return NULL;
	if (is_bytea(st, col)) {
		struct pg_blob *b = blob_get(st, col);
		return b ? (const char *)b->p : NULL;
	}
	const char *v = PQgetvalue(st->res, st->cur, col);
	if (PQftype(st->res, col) == OID_BOOL)
		return v[0] == 't' ? "1" : "0";    /* as SQLite shows a comparison */
	return v;
}

static size_t pg_col_bytes(struct db_stmt *bst, int col)
{
	struct pg_stmt *st = S(bst);
	if (PQgetisnull(st->res, st->cur, col))
		return 0;
	if (is_bytea(st, col)) {
		struct pg_blob *b = blob_get(st, col);
		return b ? b->n : 0;
	}
	return (size_t)PQgetlength(st->res, st->cur, col);
}

static const void *pg_col_blob(struct db_stmt *bst, int col)
{
	struct pg_stmt *st = S(bst);
	if (PQgetisnull(st->res, st->cur, col))
		return NULL;
	if (is_bytea(st, col)) {
		struct pg_blob *b = blob_get(st, col);
		return b ? b->p : NULL;
	}
	return PQgetvalue(st->res, st->cur, col);
}

static int64_t pg_changes(struct db *db)
{
	return P(db)->changes;
}

static enum db_txstate pg_txstate(struct db *db)
{
	switch (PQtransactionStatus(C(db))) {
	case PQTRANS_INTRANS:
	case PQTRANS_ACTIVE:
		return DB_TX_ACTIVE;
	case PQTRANS_INERROR:
		return DB_TX_FAILED;
	default:
		return DB_TX_IDLE;
	}
}

static const struct db_ops pg_ops = {
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.clear = pg_clear,
	.bind_i64 = pg_bind_i64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.col_count = pg_col_count,
	.col_i64 = pg_col_i64,
	.col_text = pg_col_text,
	.col_bytes = pg_col_bytes,
	.col_blob = pg_col_blob,
	.col_isnull = pg_col_isnull,
	.changes = pg_changes,
	.txstate = pg_txstate,
};

enum bw_err db_pg_open(struct db *db, const char *url, struct bw_error *err)
{
	db->priv = calloc(1, sizeof(struct pg_conn));
	if (!db->priv)
		return bw_fail(err, BW_EINTERNAL, "db", "out of memory");
	db->ops = &pg_ops;
	db->h = PQconnectdb(url);
	if (!db->h)
		return bw_fail(err, BW_EINTERNAL, "db", "out of memory");
	if (PQstatus(C(db)) != CONNECTION_OK) {
		pg_error(db, NULL);
		/* the message names host and port, never the password */
		return bw_fail(err, BW_EDB, "db", "cannot connect to PostgreSQL: %s", db->errmsg);
	}
	if (pg_setup(db) != 0)
		return bw_fail(err, BW_EDB, "db", "cannot set up the PostgreSQL session: %s",
			       db->errmsg);
	return BW_OK;
}

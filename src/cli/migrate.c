/*
 * migrate: `bulwark migrate --from sqlite:FILE --to postgresql://...` copies
 * a whole instance from the embedded database to PostgreSQL: the schema is
 * created by the same migrations, then every table is copied, many rows a
 * statement, in one transaction (keeping ids), identity sequences are moved
 * past the copied ids, and the copy is checked: equal row counts in every
 * table and an intact audit chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define MAX_TABLES 128
#define MAX_COLS 64

struct table {
	char name[64];
	char cols[MAX_COLS][64];
	int ncols;
	bool has_path, has_id;
	int64_t rows;
};

struct copy {
	struct db *src;
	struct table *t;
	int nt;
};

static bool ident_ok(const char *s)
{
	if (!*s || strlen(s) >= 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* Tables in creation order (so foreign keys point backwards), from SQLite's catalogue. */
static int list_tables(struct db *src, struct table *t, struct bw_error *err)
{
	int n = 0;
	struct db_stmt *st = db_prep(src, "SELECT name FROM sqlite_master WHERE type = 'table'"
					  " AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY rowid");
	if (!st)
		return -(int)bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(src));
	while (db_step(st) == DB_ROW && n < MAX_TABLES) {
		memset(&t[n], 0, sizeof t[n]);
		snprintf(t[n].name, sizeof t[n].name, "%s", db_col_text(st, 0));
		n++;
	}
	for (int i = 0; i < n; i++) {
		if (!ident_ok(t[i].name))
			return -(int)bw_fail(err, BW_EINVAL, NULL, "unexpected table name %s", t[i].name);
		/* identifiers cannot be bound; they come from the catalogue and are checked above */
		char sql[128];
		snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') ORDER BY cid", t[i].name);
		st = db_prep(src, sql);
		while (st && db_step(st) == DB_ROW && t[i].ncols < MAX_COLS) {
			const char *c = db_col_text(st, 0);
			if (!ident_ok(c))
				return -(int)bw_fail(err, BW_EINVAL, NULL, "unexpected column name %s.%s", t[i].name, c);
			snprintf(t[i].cols[t[i].ncols++], 64, "%s", c);
			if (strcmp(c, "path") == 0)
				t[i].has_path = true;
			if (strcmp(c, "id") == 0)
				t[i].has_id = true;
		}
	}
	return n;
}

/* Rows a statement: a round trip per row took a national estate twelve
 * minutes to copy. At most MAX_COLS columns, so a statement binds 16,384
 * values at most, under PostgreSQL's 65,535. */
#define COPY_ROWS 256

/* INSERT INTO t (...) VALUES of n rows */
static const char *insert_sql(struct buf *b, const struct table *t, int n)
{
	buf_reset(b);
	buf_printf(b, "INSERT INTO %s (", t->name);
	for (int k = 0; k < t->ncols; k++)
		buf_printf(b, "%s%s", k ? ", " : "", t->cols[k]);
	buf_puts(b, ") VALUES ");
	for (int r = 0; r < n; r++) {
		buf_puts(b, r ? ", (" : "(");
		for (int k = 0; k < t->ncols; k++)
			buf_printf(b, "%s?%d", k ? ", " : "", r * t->ncols + k + 1);
		buf_putc(b, ')');
	}
	return buf_cstr(b);
}

/* Writes the n rows held in v (n * ncols values, NULL for null). */
static enum bw_err flush_rows(struct db *dst, struct table *t, struct buf *sql, const char **v, int n,
			      struct bw_error *err)
{
	struct db_stmt *d = db_prep(dst, insert_sql(sql, t, n));
	if (!d)
		return bw_fail(err, BW_EDB, NULL, "%s: %s", t->name, db_errmsg(dst));
	for (int i = 0; i < n * t->ncols; i++)
		db_bind_text_kept(d, i + 1, v[i]);
	if (db_step(d) != DB_DONE)
		return bw_fail(err, BW_EDB, NULL, "copying %s rows %lld-%lld: %s", t->name, (long long)t->rows + 1,
			       (long long)t->rows + n, db_errmsg(dst));
	t->rows += n;
	return BW_OK;
}

static enum bw_err copy_table(struct db *src, struct db *dst, struct table *t, struct bw_error *err)
{
	struct buf sel, ins;
	buf_init(&sel);
	buf_init(&ins);
	buf_puts(&sel, "SELECT ");
	for (int k = 0; k < t->ncols; k++)
		buf_printf(&sel, "%s%s", k ? ", " : "", t->cols[k]);
	/* parents before children: a moved organisation can have a smaller id than its parent */
	buf_printf(&sel, " FROM %s ORDER BY %s", t->name, t->has_path ? "length(path), path" : t->has_id ? "id" : "rowid");
	/* rows some migrations create (the audit head, counters) are
	 * replaced by the source's: the destination holds nothing else */
	char del[128];
	snprintf(del, sizeof del, "DELETE FROM %s", t->name);
	enum bw_err rc = db_exec(dst, del, err);
	struct db_stmt *s = db_prep(src, buf_cstr(&sel));
	if (rc == BW_OK && !s)
		rc = bw_fail(err, BW_EDB, NULL, "%s: %s", t->name, db_errmsg(src));
	t->rows = 0;
	static const char *v[COPY_ROWS * MAX_COLS];
	struct arena a;
	arena_init(&a);
	int n = 0, step = DB_DONE;
	while (rc == BW_OK && (step = db_step(s)) == DB_ROW) {
		for (int k = 0; k < t->ncols; k++)
			v[n * t->ncols + k] = db_col_isnull(s, k) ? NULL : arena_strdup(&a, db_col_text(s, k));
		if (++n == COPY_ROWS) {
			rc = flush_rows(dst, t, &ins, v, n, err);
			n = 0;
			arena_free(&a);
			arena_init(&a);
		}
	}
	if (rc == BW_OK && step == DB_ERR)
		rc = bw_fail(err, BW_EDB, NULL, "reading %s: %s", t->name, db_errmsg(src));
	if (rc == BW_OK && n)
		rc = flush_rows(dst, t, &ins, v, n, err);
	db_reset(s);   /* left part-read when a write failed */
	arena_free(&a);
	buf_free(&sel);
	buf_free(&ins);
	return rc;
}

static enum bw_err copy_tx(struct db *dst, void *arg, struct bw_error *err)
{
	struct copy *c = arg;
	for (int i = 0; i < c->nt; i++) {
		struct table *t = &c->t[i];
		enum bw_err rc = copy_table(c->src, dst, t, err);
		if (rc != BW_OK)
			return rc;
		if (t->has_id) {
			/* identity columns continue after the copied ids (a text id,
			 * like an advisory's, has no sequence) */
			char sql[256];
			snprintf(sql, sizeof sql, "SELECT pg_get_serial_sequence('%s', 'id')", t->name);
			struct db_stmt *q = db_prep(dst, sql);
			if (!q || db_step(q) == DB_ERR)
				return bw_fail(err, BW_EDB, NULL, "%s: %s", t->name, db_errmsg(dst));
			bool serial = !db_col_isnull(q, 0);
			db_reset(q);
			if (serial && t->rows > 0) {
				snprintf(sql, sizeof sql, "SELECT setval(pg_get_serial_sequence('%s', 'id'),"
							  " (SELECT max(id) FROM %s))", t->name, t->name);
				q = db_prep(dst, sql);
				if (!q || db_step(q) == DB_ERR)
					return bw_fail(err, BW_EDB, NULL, "%s: %s", t->name, db_errmsg(dst));
				db_reset(q);
			}
		}
	}
	return BW_OK;
}

int cmd_migrate(int argc, char **argv)
{
	struct cli_opt o[] = { { "from", 1, 0, 0 }, { "to", 1, 0, 0 } };
	size_t np;
	if (!cli_parse(argc, argv, 2, o, 2, NULL, 0, &np))
		return 2;
	const char *from = cli_get(o, 2, "from"), *to = cli_get(o, 2, "to");
	if (!from || !to || strncmp(to, "postgres", 8) != 0 || strncmp(from, "postgres", 8) == 0) {
		fprintf(stderr, "usage: bulwark migrate --from sqlite:FILE --to postgresql://...\n");
		return 2;
	}
	struct db *src = cli_open_db(from), *dst = src ? cli_open_db(to) : NULL;
	if (!src || !dst) {
		if (src)
			db_close(src);
		return 1;
	}
	struct bw_error err = { 0 };
	static struct table tables[MAX_TABLES];
	int status = 1;
	int nt = list_tables(src, tables, &err);
	if (nt < 0) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
	} else if (db_query_i64(dst, "SELECT count(*) FROM orgs", 0) > 0) {
		fprintf(stderr, "bulwark: %s already holds organisations; migrate copies into an empty database only\n", to);
	} else {
		struct copy c = { src, tables, nt };
		if (db_tx(dst, true, copy_tx, &c, &err) != BW_OK) {
			fprintf(stderr, "bulwark: migration failed, nothing was committed: %s\n", err.msg);
		} else {
			status = 0;
			/* the planner's statistics for the tables just filled: without
			 * them PostgreSQL plans a national estate's queries as if empty;
			 * and on PostgreSQL a VACUUM sets the visibility map, without
			 * which an index-only search reads every table row it finds until
			 * autovacuum comes round */
			const char *after = db_kind(dst) == DB_POSTGRES ? "VACUUM ANALYZE" : "ANALYZE";
			if (db_exec(dst, after, &err) != BW_OK)
				fprintf(stderr, "bulwark: %s after the copy failed: %s\n", after, err.msg);
			for (int i = 0; i < nt; i++) {
				char sql[128];
				snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i].name);
				int64_t a = db_query_i64(src, sql, -1), b = db_query_i64(dst, sql, -2);
				printf("%-20s %10lld rows%s\n", tables[i].name, (long long)b, a == b ? "" : "  MISMATCH");
				if (a != b)
					status = 1;
			}
			int64_t count, bad;
			if (audit_verify(dst, &count, &bad, &err) != BW_OK) {
				printf("audit chain on the copy BROKEN at record %lld: %s\n", (long long)bad, err.msg);
				status = 1;
			} else {
				printf("audit chain on the copy intact: %lld records\n", (long long)count);
			}
		}
	}
	db_close(src);
	db_close(dst);
	return status;
}

/*
 * rollup: the tier-1 gap counts of every organisation kept ready, so the
 * ICS and national roll-ups read one row per member instead of summing
 * every system below them (60,000 tier-1 systems nationally).
 *
 * Table gap_rollup holds, per organisation, the counts of its own tier-1
 * systems and the sums over its whole subtree. A write to a system, its
 * backups or its restore tests calls gaps_touch in the same transaction:
 * the organisation's own counts are worked out again and the difference is
 * added to it and to each ancestor named in its path.
 *
 * Two things change the counts without a write. Time: a restore test goes
 * out of date when the cut-off passes it, so each row keeps the oldest
 * still-fresh restore date of its systems (fresh_from), and a read first
 * touches the organisations whose fresh_from the cut-off has passed.
 * Structure: a move of organisations (org_history) or a new restore-test
 * age limit invalidates the sums, and the next read rebuilds them all.
 * Either way a reader sees the same counts as summing the systems would.
 */
#include <stdlib.h>
#include <string.h>

#include "registers/systems_int.h"

#define NCOUNTS (2 + GAP_KINDS)
#define REBUILD_BATCH 200      /* rows per INSERT: 200 x 20 values, under both backends' limits */
#define REBUILD_MAX_ID 50000000 /* organisation ids index a table while rebuilding */
#define DUE_BATCH 500
#define PATH_IDS_MAX 32       /* levels of a path: national, region, ICB, member... */

/* The sums in struct gap_counts order over systems s; ?2 is the cut-off. */
#define GAP_SUMS \
	" count(s.id)," \
	" sum(CASE WHEN s.has_offline = 0 OR s.last_success_on IS NULL" \
	"  OR s.last_success_on < ?2 OR s.downtime_procedure = '' OR s.status = 'unsupported'" \
	"  OR s.last_restore_minutes > s.rto_hours * 60 THEN 1 ELSE 0 END)," \
	" sum(CASE WHEN s.has_offline = 0 THEN 1 ELSE 0 END)," \
	" sum(CASE WHEN s.last_success_on IS NULL THEN 1 ELSE 0 END)," \
	" sum(CASE WHEN s.last_success_on < ?2 THEN 1 ELSE 0 END)," \
	" sum(CASE WHEN s.downtime_procedure = '' THEN 1 ELSE 0 END)," \
	" sum(CASE WHEN s.status = 'unsupported' THEN 1 ELSE 0 END)," \
	" sum(CASE WHEN s.last_restore_minutes > s.rto_hours * 60 THEN 1 ELSE 0 END)," \
	" min(CASE WHEN s.last_success_on >= ?2 THEN s.last_success_on END)"

#define OWN_COLS "own_systems, own_with, own_g0, own_g1, own_g2, own_g3, own_g4, own_g5"
#define SUB_COLS "sub_systems, sub_with, sub_g0, sub_g1, sub_g2, sub_g3, sub_g4, sub_g5"
const char *const gaps_sub_cols = SUB_COLS;

static void counts_read(struct db_stmt *st, int from, int64_t v[NCOUNTS])
{
	for (int i = 0; i < NCOUNTS; i++)
		v[i] = db_col_isnull(st, from + i) ? 0 : db_col_i64(st, from + i);
}

void gaps_counts_read(struct db_stmt *st, int from, struct gap_counts *out)
{
	int64_t v[NCOUNTS];
	counts_read(st, from, v);
	out->systems = v[0];
	out->with_gaps = v[1];
	for (int i = 0; i < GAP_KINDS; i++)
		out->gap[i] = v[2 + i];
}

static int64_t cutoff_now(void)
{
	return systems_restore_cutoff(bw_now(), systems_restore_max_days());
}

/* The ids of path "/1/5/77/" in order, root first; returns how many. */
static size_t path_ids(const char *path, int64_t *ids, size_t cap)
{
	size_t n = 0;
	for (const char *p = path; *p && n < cap;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		ids[n++] = strtoll(p, (char **)&p, 10);
	}
	return n;
}

enum bw_err gaps_touch(struct db *db, int64_t org_id, struct bw_error *err)
{
	int64_t now_v[NCOUNTS], old_v[NCOUNTS] = { 0 }, fresh = 0;
	bool has_fresh;
	struct db_stmt *st = db_prep(db, "SELECT" GAP_SUMS " FROM systems s WHERE s.org_id = ?1 AND s.tier = 1");
	db_bind_i64(st, 1, org_id);
	db_bind_i64(st, 2, cutoff_now());
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "counting gaps");
	counts_read(st, 0, now_v);
	has_fresh = !db_col_isnull(st, NCOUNTS);
	if (has_fresh)
		fresh = db_col_i64(st, NCOUNTS);
	db_reset(st);

	st = db_prep(db, "SELECT o.path, g.org_id, " OWN_COLS " FROM orgs o"
			 " LEFT JOIN gap_rollup g ON g.org_id = o.id WHERE o.id = ?1");
	db_bind_i64(st, 1, org_id);
	if (db_step(st) != DB_ROW) {
		db_reset(st);
		return bw_fail(err, BW_ENOTFOUND, "org", "no such organisation");
	}
	char path[256];
	snprintf(path, sizeof path, "%s", db_col_text(st, 0));
	bool had_row = !db_col_isnull(st, 1);
	if (had_row)
		counts_read(st, 2, old_v);
	db_reset(st);

	int64_t d[NCOUNTS];
	bool changed = false;
	for (int i = 0; i < NCOUNTS; i++)
		changed |= (d[i] = now_v[i] - old_v[i]) != 0;

	int64_t ids[PATH_IDS_MAX];
	size_t n = path_ids(path, ids, BW_NELEM(ids));
	if (changed) {
		for (size_t i = 0; i < n; i++) {
			st = db_prep(db, "INSERT INTO gap_rollup (org_id) VALUES (?1) ON CONFLICT (org_id) DO NOTHING");
			db_bind_i64(st, 1, ids[i]);
			if (db_step(st) != DB_DONE)
				return db_fail(db, err, "gap roll-up");
			st = db_prep(db, "UPDATE gap_rollup SET sub_systems = sub_systems + ?2, sub_with = sub_with + ?3,"
					 " sub_g0 = sub_g0 + ?4, sub_g1 = sub_g1 + ?5, sub_g2 = sub_g2 + ?6,"
					 " sub_g3 = sub_g3 + ?7, sub_g4 = sub_g4 + ?8, sub_g5 = sub_g5 + ?9 WHERE org_id = ?1");
			db_bind_i64(st, 1, ids[i]);
			for (int k = 0; k < NCOUNTS; k++)
				db_bind_i64(st, 2 + k, d[k]);
			if (db_step(st) != DB_DONE)
				return db_fail(db, err, "gap roll-up");
		}
	} else if (!had_row && !has_fresh) {
		return BW_OK;    /* nothing to count and nothing to remember */
	}
	if (!had_row) {
		st = db_prep(db, "INSERT INTO gap_rollup (org_id) VALUES (?1) ON CONFLICT (org_id) DO NOTHING");
		db_bind_i64(st, 1, org_id);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "gap roll-up");
	}
	st = db_prep(db, "UPDATE gap_rollup SET own_systems = ?2, own_with = ?3, own_g0 = ?4, own_g1 = ?5,"
			 " own_g2 = ?6, own_g3 = ?7, own_g4 = ?8, own_g5 = ?9, fresh_from = ?10 WHERE org_id = ?1");
	db_bind_i64(st, 1, org_id);
	for (int k = 0; k < NCOUNTS; k++)
		db_bind_i64(st, 2 + k, now_v[k]);
	if (has_fresh)
		db_bind_i64(st, 10, fresh);
	else
		db_bind_null(st, 10);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "gap roll-up");
	return BW_OK;
}

enum bw_err gaps_touch_system(struct db *db, int64_t system_id, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "SELECT org_id FROM systems WHERE id = ?1");
	db_bind_i64(st, 1, system_id);
	int r = db_step(st);
	int64_t org_id = r == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	if (r == DB_ERR)
		return db_fail(db, err, "gap roll-up");
	return org_id ? gaps_touch(db, org_id, err) : BW_OK;
}

/* ---- rebuilding every row ---- */

struct acc {
	int64_t own[NCOUNTS], sub[NCOUNTS];
	int64_t fresh;
	bool used, has_own, has_fresh;
};

static enum bw_err rebuild_write(struct db *db, const struct acc *acc, int64_t max_id, struct bw_error *err)
{
	struct buf sql;
	buf_init(&sql);
	enum bw_err rc = BW_OK;
	int64_t id = 1;
	while (rc == BW_OK) {
		int64_t ids[REBUILD_BATCH];
		size_t k = 0;
		for (; id <= max_id && k < REBUILD_BATCH; id++)
			if (acc[id].used)
				ids[k++] = id;
		if (k == 0)
			break;
		buf_reset(&sql);
		buf_puts(&sql, "INSERT INTO gap_rollup (org_id, " OWN_COLS ", " SUB_COLS ", fresh_from) VALUES ");
		for (size_t j = 0; j < k; j++) {
			buf_puts(&sql, j ? ", (" : "(");
			for (int c = 0; c < 2 + 2 * NCOUNTS; c++)
				buf_printf(&sql, "%s?%zu", c ? ", " : "", j * (2 + 2 * NCOUNTS) + (size_t)c + 1);
			buf_putc(&sql, ')');
		}
		struct db_stmt *st = db_prep(db, buf_cstr(&sql));
		if (!st) {
			rc = db_fail(db, err, "gap roll-up");
			break;
		}
		for (size_t j = 0; j < k; j++) {
			const struct acc *a = &acc[ids[j]];
			int base = (int)(j * (2 + 2 * NCOUNTS)) + 1;
			db_bind_i64(st, base, ids[j]);
			for (int c = 0; c < NCOUNTS; c++) {
				db_bind_i64(st, base + 1 + c, a->own[c]);
				db_bind_i64(st, base + 1 + NCOUNTS + c, a->sub[c]);
			}
			if (a->has_fresh)
				db_bind_i64(st, base + 1 + 2 * NCOUNTS, a->fresh);
			else
				db_bind_null(st, base + 1 + 2 * NCOUNTS);
		}
		if (db_step(st) != DB_DONE)
			rc = db_fail(db, err, "gap roll-up");
	}
	buf_free(&sql);
	return rc;
}

static enum bw_err rebuild(struct db *db, int64_t history_id, int64_t max_days, struct bw_error *err)
{
	int64_t max_id = db_query_i64(db, "SELECT coalesce(max(id), 0) FROM orgs", -1);
	if (max_id < 0)
		return db_fail(db, err, "gap roll-up");
	if (max_id > REBUILD_MAX_ID)
		return bw_fail(err, BW_ELIMIT, "", "organisation ids above %d", REBUILD_MAX_ID);
	struct acc *acc = calloc((size_t)max_id + 1, sizeof *acc);
	if (!acc)
		return bw_fail(err, BW_EINTERNAL, "", "out of memory");
	enum bw_err rc = BW_OK;
	if (db_exec(db, "DELETE FROM gap_rollup", err) != BW_OK) {
		rc = err->code;
		goto out;
	}
	struct db_stmt *st = db_prep(db, "SELECT o.id, o.path," GAP_SUMS " FROM systems s JOIN orgs o ON o.id = s.org_id"
					 " WHERE s.tier = ?1 GROUP BY o.id, o.path");
	db_bind_i64(st, 1, 1);    /* GAP_SUMS binds ?2: PostgreSQL wants every number before it used */
	db_bind_i64(st, 2, systems_restore_cutoff(bw_now(), max_days));
	int r;
	while ((r = db_step(st)) == DB_ROW) {
		int64_t id = db_col_i64(st, 0), v[NCOUNTS];
		if (id < 1 || id > max_id)
			continue;
		counts_read(st, 2, v);
		struct acc *a = &acc[id];
		a->used = a->has_own = true;
		memcpy(a->own, v, sizeof v);
		if (!db_col_isnull(st, 2 + NCOUNTS)) {
			a->has_fresh = true;
			a->fresh = db_col_i64(st, 2 + NCOUNTS);
		}
		int64_t ids[PATH_IDS_MAX];
		size_t n = path_ids(db_col_text(st, 1), ids, BW_NELEM(ids));
		for (size_t i = 0; i < n; i++) {
			if (ids[i] < 1 || ids[i] > max_id)
				continue;
			acc[ids[i]].used = true;
			for (int c = 0; c < NCOUNTS; c++)
				acc[ids[i]].sub[c] += v[c];
		}
	}
	if (r == DB_ERR) {
		rc = db_fail(db, err, "gap roll-up");
		goto out;
	}
	if ((rc = rebuild_write(db, acc, max_id, err)) != BW_OK)
		goto out;
	st = db_prep(db, "DELETE FROM gap_rollup_state");
	if (db_step(st) != DB_DONE) {
		rc = db_fail(db, err, "gap roll-up");
		goto out;
	}
	st = db_prep(db, "INSERT INTO gap_rollup_state (id, history_id, max_days) VALUES (1, ?1, ?2)");
	db_bind_i64(st, 1, history_id);
	db_bind_i64(st, 2, max_days);
	if (db_step(st) != DB_DONE)
		rc = db_fail(db, err, "gap roll-up");
out:
	free(acc);
	return rc;
}

static int64_t history_now(struct db *db)
{
	return db_query_i64(db, "SELECT coalesce(max(id), 0) FROM org_history", -1);
}

/* Whether the sums were built for today's tree and age limit. */
static bool state_current(struct db *db, int64_t history_id, int64_t max_days)
{
	struct db_stmt *st = db_prep(db, "SELECT history_id, max_days FROM gap_rollup_state WHERE id = 1");
	bool ok = st && db_step(st) == DB_ROW && db_col_i64(st, 0) == history_id && db_col_i64(st, 1) == max_days;
	if (st)
		db_reset(st);
	return ok;
}

/* The oldest fresh_from, compared here rather than "fresh_from < ?1" in the
 * query: PostgreSQL's generic plan for that (used after a statement's fifth
 * run) guesses a third of the rows match and scans all 60,000 rows of a
 * national estate, on every page, to find none; min() reads one index entry
 * whatever the plan. */
static bool any_due(struct db *db, int64_t cutoff)
{
	struct db_stmt *st = db_prep(db, "SELECT min(fresh_from) FROM gap_rollup");
	bool due = db_step(st) == DB_ROW && !db_col_isnull(st, 0) && db_col_i64(st, 0) < cutoff;
	db_reset(st);
	return due;
}

static enum bw_err sync_tx(struct db *db, void *arg, struct bw_error *err)
{
	(void)arg;
	int64_t history_id = history_now(db), max_days = systems_restore_max_days();
	if (history_id < 0)
		return db_fail(db, err, "gap roll-up");
	if (!state_current(db, history_id, max_days))
		return rebuild(db, history_id, max_days, err);
	int64_t cutoff = cutoff_now();
	for (;;) {
		int64_t ids[DUE_BATCH];
		size_t n = 0;
		/* in fresh_from order, so every plan walks the index from its start
		 * and stops at the cut-off (see any_due) */
		struct db_stmt *st = db_prep(db, "SELECT org_id FROM gap_rollup WHERE fresh_from < ?1 ORDER BY fresh_from LIMIT ?2");
		db_bind_i64(st, 1, cutoff);
		db_bind_i64(st, 2, DUE_BATCH);
		while (n < DUE_BATCH && db_step(st) == DB_ROW)
			ids[n++] = db_col_i64(st, 0);
		db_reset(st);
		for (size_t i = 0; i < n; i++)
			if (gaps_touch(db, ids[i], err) != BW_OK)
				return err->code;
		if (n < DUE_BATCH)
			return BW_OK;
	}
}

enum bw_err gaps_sync(struct db *db, struct bw_error *err)
{
	/* the usual case reads two index entries and writes nothing */
	int64_t history_id = history_now(db);
	if (history_id >= 0 && state_current(db, history_id, systems_restore_max_days()) &&
	    !any_due(db, cutoff_now()))
		return BW_OK;
	return db_tx(db, false, sync_tx, NULL, err);
}

static enum bw_err rebuild_tx(struct db *db, void *arg, struct bw_error *err)
{
	(void)arg;
	int64_t history_id = history_now(db);
	if (history_id < 0)
		return db_fail(db, err, "gap roll-up");
	return rebuild(db, history_id, systems_restore_max_days(), err);
}

enum bw_err gaps_rebuild(struct db *db, struct bw_error *err)
{
	return db_tx(db, false, rebuild_tx, NULL, err);
}

enum bw_err gaps_read(struct db *db, int64_t org_id, struct gap_counts *own, struct gap_counts *sub,
		      struct bw_error *err)
{
	memset(own, 0, sizeof *own);
	memset(sub, 0, sizeof *sub);
	struct db_stmt *st = db_prep(db, "SELECT " OWN_COLS ", " SUB_COLS " FROM gap_rollup WHERE org_id = ?1");
	db_bind_i64(st, 1, org_id);
	int r = db_step(st);
	if (r == DB_ERR)
		return db_fail(db, err, "gap roll-up");
	if (r == DB_ROW) {
		gaps_counts_read(st, 0, own);
		gaps_counts_read(st, NCOUNTS, sub);
	}
	db_reset(st);
	return BW_OK;
}

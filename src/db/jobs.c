/*
 * jobs: the background job queue every process shares through the
 * database. A worker claims one due job for a lease; if it dies, the lease
 * expires and another worker claims the job again (at most
 * DB_JOB_ATTEMPTS_MAX times). On PostgreSQL claims skip rows other workers
 * hold (FOR UPDATE SKIP LOCKED); on SQLite they run under BEGIN IMMEDIATE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define JOB_ERROR_MAX 2000

const struct db_migration db_jobs_migrations[] = {
	{ "db/0001_jobs",
	  "CREATE TABLE jobs ("
	  " id {{ID}},"
	  " kind {{TEXT_C}} NOT NULL,"
	  " payload text NOT NULL DEFAULT '',"
	  " state {{TEXT_C}} NOT NULL DEFAULT 'queued'"
	  "  CHECK (state IN ('queued', 'running', 'done', 'failed')),"
	  " attempts {{INT}} NOT NULL DEFAULT 0,"
	  " run_at {{INT}} NOT NULL,"
	  " lease_until {{INT}},"
	  " last_error text,"
	  " created_at {{INT}} NOT NULL);"
	  "CREATE INDEX jobs_due ON jobs (state, run_at);" },
	{ NULL, NULL },
};

static bool kind_ok(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > DB_JOB_KIND_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

enum bw_err db_job_enqueue(struct db *db, const char *kind, const char *payload,
			   int64_t run_at, struct bw_error *err)
{
	if (!kind || !kind_ok(kind))
		return bw_fail(err, BW_EINVAL, "kind",
			       "job kind must be 1-%d characters of a-z 0-9 . _ -", DB_JOB_KIND_MAX);
	if (!payload)
		payload = "";
	if (strlen(payload) > DB_JOB_PAYLOAD_MAX)
		return bw_fail(err, BW_ELIMIT, "payload", "job payload over %d bytes",
			       DB_JOB_PAYLOAD_MAX);
	int64_t now = bw_now();
	struct db_stmt *st = db_prep(db,
		"INSERT INTO jobs (kind, payload, state, attempts, run_at, created_at)"
		" VALUES (?1, ?2, 'queued', 0, ?3, ?4)");
	if (!st)
		return db_fail(db, err, "enqueue job");
	db_bind_text(st, 1, kind);
	db_bind_text(st, 2, payload);
	db_bind_i64(st, 3, run_at > 0 ? run_at : now);
	db_bind_i64(st, 4, now);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "enqueue job");
	return BW_OK;
}

struct claim {
	const char *kinds;     /* ",a,b," or "" for any */
	int lease;
	struct db_job *job;
};

static const char *const claim_sqlite =
	"UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = ?2"
	" WHERE id = (SELECT id FROM jobs"
	"  WHERE ((state = 'queued' AND run_at <= ?1) OR (state = 'running' AND lease_until < ?1))"
	"   AND attempts < ?4 AND (?3 = '' OR instr(?3, ',' || kind || ',') > 0)"
	"  ORDER BY run_at, id LIMIT 1)"
	" RETURNING id, kind, payload, attempts, lease_until";

static const char *const claim_pg =
	"UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = ?2"
	" WHERE id = (SELECT id FROM jobs"
	"  WHERE ((state = 'queued' AND run_at <= ?1) OR (state = 'running' AND lease_until < ?1))"
	"   AND attempts < ?4 AND (?3 = '' OR strpos(?3, ',' || kind || ',') > 0)"
	"  ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
	" RETURNING id, kind, payload, attempts, lease_until";

static enum bw_err claim_run(struct db *db, void *arg, struct bw_error *err)
{
	struct claim *c = arg;
	int64_t now = bw_now();
	db_job_clear(c->job);

	/* a job whose worker keeps dying must not take the queue down with it */
	struct db_stmt *st = db_prep(db,
		"UPDATE jobs SET state = 'failed', lease_until = NULL,"
		" last_error = 'lease expired too many times'"
		" WHERE state = 'running' AND lease_until < ?1 AND attempts >= ?2");
	if (!st)
		return db_fail(db, err, "claim job");
	db_bind_i64(st, 1, now);
	db_bind_i64(st, 2, DB_JOB_ATTEMPTS_MAX);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "claim job");

	st = db_prep(db, db->kind == DB_SQLITE ? claim_sqlite : claim_pg);
	if (!st)
		return db_fail(db, err, "claim job");
	db_bind_i64(st, 1, now);
	db_bind_i64(st, 2, now + c->lease);
	db_bind_text(st, 3, c->kinds);
	db_bind_i64(st, 4, DB_JOB_ATTEMPTS_MAX);
	int r = db_step(st);
	if (r == DB_ERR)
		return db_fail(db, err, "claim job");
	if (r == DB_DONE)
		return BW_OK;
	struct db_job *j = c->job;
	j->id = db_col_i64(st, 0);
	snprintf(j->kind, sizeof j->kind, "%s", db_col_text(st, 1) ? db_col_text(st, 1) : "");
	const char *p = db_col_text(st, 2);
	j->payload = strdup(p ? p : "");
	j->attempts = db_col_i64(st, 3);
	j->lease_until = db_col_i64(st, 4);
	/* finish the statement so the UPDATE completes before COMMIT */
	while ((r = db_step(st)) == DB_ROW)
		;
	if (r == DB_ERR || !j->payload) {
		db_job_clear(j);
		return r == DB_ERR ? db_fail(db, err, "claim job")
				   : bw_fail(err, BW_EINTERNAL, "", "out of memory");
	}
	return BW_OK;
}

enum bw_err db_job_claim(struct db *db, const char *const *worker_kinds,
			 int lease_seconds, struct db_job *job, struct bw_error *err)
{
	memset(job, 0, sizeof *job);
	if (lease_seconds < 1 || lease_seconds > 7 * 24 * 3600)
		return bw_fail(err, BW_EINVAL, "lease_seconds", "lease must be 1 s to 7 days");
	struct buf kinds;
	buf_init(&kinds);
	for (size_t i = 0; worker_kinds && worker_kinds[i]; i++) {
		if (!kind_ok(worker_kinds[i])) {
			buf_free(&kinds);
			return bw_fail(err, BW_EINVAL, "kind", "bad job kind in worker kinds");
		}
		buf_printf(&kinds, "%s%s,", i == 0 ? "," : "", worker_kinds[i]);
	}
	struct claim c = { .kinds = buf_cstr(&kinds), .lease = lease_seconds, .job = job };
	enum bw_err rc;
	if (db->kind == DB_SQLITE)
		rc = db_tx(db, true, claim_run, &c, err);
	else
		/* READ COMMITTED (or the caller's transaction): SKIP LOCKED
		 * passes over rows other claimers hold instead of waiting */
		rc = db->tx_depth > 0 ? claim_run(db, &c, err) : db_tx_locking(db, claim_run, &c, err);
	buf_free(&kinds);
	if (rc != BW_OK)
		return rc;
	if (job->id == 0)
		return bw_fail(err, BW_ENOTFOUND, "", "no job is due");
	return BW_OK;
}

enum bw_err db_job_finish(struct db *db, const struct db_job *job, bool ok, const char *error_text,
			  int64_t retry_at, struct bw_error *err)
{
	struct db_stmt *st;
	if (ok) {
		st = db_prep(db,
			"UPDATE jobs SET state = 'done', lease_until = NULL, last_error = NULL"
			" WHERE id = ?1 AND state = 'running' AND attempts = ?2");
	} else {
		/* a retry past the attempt limit fails for good */
		st = db_prep(db,
			"UPDATE jobs SET lease_until = NULL, last_error = ?2,"
			" state = CASE WHEN ?3 > 0 AND attempts < ?4 THEN 'queued' ELSE 'failed' END,"
			" run_at = CASE WHEN ?3 > 0 THEN ?3 ELSE run_at END"
			" WHERE id = ?1 AND state = 'running' AND attempts = ?5");
	}
	if (!st)
		return db_fail(db, err, "finish job");
	int64_t id = job->id;
	db_bind_i64(st, 1, id);
	/* the claim's attempt number fences a worker whose lease expired: the
	 * job was claimed again, and only the new holder may finish it */
	db_bind_i64(st, ok ? 2 : 5, job->attempts);
	if (!ok) {
		const char *e = error_text ? error_text : "failed";
		size_t n = strlen(e);
		if (n > JOB_ERROR_MAX) {
			n = JOB_ERROR_MAX;
			while (n > 0 && ((unsigned char)e[n] & 0xc0) == 0x80)
				n--;   /* cut on a UTF-8 character boundary */
		}
		db_bind_textn(st, 2, e, n);
		db_bind_i64(st, 3, retry_at);
		db_bind_i64(st, 4, DB_JOB_ATTEMPTS_MAX);
	}
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "finish job");
	if (db_changes(db) == 0)
		return bw_fail(err, BW_ENOTFOUND, "", "job %lld is not running", (long long)id);
	return BW_OK;
}

void db_job_clear(struct db_job *job)
{
	free(job->payload);
	memset(job, 0, sizeof *job);
}

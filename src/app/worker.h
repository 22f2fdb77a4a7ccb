/*
 * worker: runs the job queue's jobs (src/db/jobs.c). A domain module names
 * the kinds of job it handles, and which of them recur, once at start-up;
 * `bulwark serve` runs one embedded worker thread and `bulwark worker` runs
 * more, in other processes or on other machines, against the same database.
 * Every process sees the same queue, so a job enqueued by one process (an
 * advisory published, a feed file uploaded) is run by whichever is free.
 */
#ifndef BW_APP_WORKER_H
#define BW_APP_WORKER_H

#include "db/db.h"

/*
 * Runs one job. BW_OK: done. BW_EIO or BW_EDB: a passing failure (a mail
 * server down, a serialisation conflict): the job is queued again after an
 * exponential back-off. Any other error: the job fails for good, its
 * message kept in jobs.last_error. A job may run twice when a worker dies
 * after finishing its work and before recording it, so handlers are
 * idempotent.
 */
typedef enum bw_err (*worker_fn)(struct db *db, const struct db_job *job, struct bw_error *err);

struct worker_kind {
	const char *kind;         /* "feeds.sync": [a-z0-9._-] */
	worker_fn run;
	int lease_seconds;        /* longer than the job ever takes; 0: 300 */
	int every_seconds;        /* > 0: enqueued again this long after the
				   * last one was queued, when none is queued */
};

/* Before serve/worker start; kinds ends with an entry whose kind is NULL. */
void worker_add_kinds(const struct worker_kind *kinds);

/* Enqueues the periodic kinds that are due, then runs due jobs until none
 * is left or max have run. Returns how many ran (tests and `bulwark worker
 * --once` call this directly). */
int worker_run_due(struct db *db, int max);

struct worker;
/* threads worker threads, each with its own connection to db_url, polling
 * every poll_ms when idle. */
enum bw_err worker_start(struct worker **out, const char *db_url, int threads, int poll_ms,
			 struct bw_error *err);
/* Lets running jobs finish, then joins the threads. */
void worker_stop(struct worker *w);

#endif

/*
 * worker: the job runner. Kinds are registered once before any thread
 * starts and never change after, so threads read the table without a lock.
 * Periodic kinds are enqueued by whichever worker looks first: the check
 * and the insert run in one transaction (SQLite: under the write lock;
 * PostgreSQL: SERIALIZABLE, a racing second insert is retried and then
 * sees the first), so two workers never queue the same periodic job twice.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/worker.h"
#include "base/base.h"

#define WORKER_KINDS_MAX  64
#define WORKER_LEASE_DFLT 300
#define WORKER_BACKOFF_CAP 3600
#define WORKER_KEEP_DONE  (24 * 3600)   /* finished jobs kept this long */

static struct worker_kind kinds[WORKER_KINDS_MAX];
static size_t nkinds;

void worker_add_kinds(const struct worker_kind *k)
{
	for (; k->kind; k++) {
		if (nkinds == WORKER_KINDS_MAX) {
			/* a fixed table: a programming error, found at start-up */
			log_error("worker: more than %d job kinds", WORKER_KINDS_MAX);
			abort();
		}
		kinds[nkinds++] = *k;
	}
}

static const struct worker_kind *kind_find(const char *name)
{
	for (size_t i = 0; i < nkinds; i++)
		if (strcmp(kinds[i].kind, name) == 0)
			return &kinds[i];
	return NULL;
}

static enum bw_err periodic_enqueue(struct db *db, void *arg, struct bw_error *err)
{
	const struct worker_kind *k = arg;
	struct db_stmt *st = db_prep(db,
		"SELECT count(*) FILTER (WHERE state IN ('queued', 'running')), max(run_at)"
		" FROM jobs WHERE kind = ?1");
	if (!st)
		return db_fail(db, err, "periodic job");
	db_bind_text(st, 1, k->kind);
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "periodic job");
	int64_t pending = db_col_i64(st, 0);
	int64_t last = db_col_isnull(st, 1) ? 0 : db_col_i64(st, 1);
	db_reset(st);
	if (pending > 0)
		return BW_OK;
	int64_t now = bw_now();
	int64_t at = last + k->every_seconds > now ? last + k->every_seconds : now;
	return db_job_enqueue(db, k->kind, "", at, err);
}

/* Old finished rows of every kind go, so a job that recurs every few
 * seconds does not grow the table without end. */
static void jobs_prune(struct db *db)
{
	struct db_stmt *st = db_prep(db, "DELETE FROM jobs WHERE state = 'done' AND run_at < ?1");
	if (!st)
		return;
	db_bind_i64(st, 1, bw_now() - WORKER_KEEP_DONE);
	if (db_step(st) != DB_DONE)
		log_warn("worker: pruning finished jobs: %s", db_errmsg(db));
	db_reset(st);
}

static void periodic_all(struct db *db)
{
	for (size_t i = 0; i < nkinds; i++) {
		if (kinds[i].every_seconds <= 0)
			continue;
		struct bw_error err = { 0 };
		if (db_tx(db, true, periodic_enqueue, (void *)&kinds[i], &err) != BW_OK)
			log_warn("worker: queueing %s: %s", kinds[i].kind, err.msg);
	}
}

/* 2^attempts seconds, capped, with up to a quarter of jitter so workers
 * that failed together do not retry together. */
static int64_t backoff(int64_t attempts)
{
	int64_t d = attempts >= 12 ? WORKER_BACKOFF_CAP : (int64_t)1 << attempts;
	if (d > WORKER_BACKOFF_CAP)
		d = WORKER_BACKOFF_CAP;
	uint32_t r;
	bw_random(&r, sizeof r);
	return d + (int64_t)(r % (uint32_t)(d / 4 + 1));
}

/* Kinds grouped by lease: a claim holds its job for its own kind's lease,
 * so a worker that dies holding a short job frees it soon. Built once, on
 * the first run, from the table registered before any thread started. */
struct lease_group {
	int lease;
	const char *names[WORKER_KINDS_MAX + 1];
};
static struct lease_group groups[WORKER_KINDS_MAX];
static size_t ngroups;
static pthread_once_t groups_once = PTHREAD_ONCE_INIT;

static void groups_build(void)
{
	for (size_t i = 0; i < nkinds; i++) {
		int lease = kinds[i].lease_seconds > 0 ? kinds[i].lease_seconds : WORKER_LEASE_DFLT;
		size_t g = 0;
		while (g < ngroups && groups[g].lease != lease)
			g++;
		if (g == ngroups)
			groups[ngroups++].lease = lease;
		size_t n = 0;
		while (groups[g].names[n])
			n++;
		groups[g].names[n] = kinds[i].kind;
	}
}

/* Claims and runs one due job of one lease group. 1: ran one; 0: none
 * due; -1: error. */
static int run_one(struct db *db, const struct lease_group *g)
{
	struct db_job job;
	struct bw_error err = { 0 };
	enum bw_err rc = db_job_claim(db, g->names, g->lease, &job, &err);
	if (rc == BW_ENOTFOUND)
		return 0;
	if (rc != BW_OK) {
		log_warn("worker: claiming a job: %s", err.msg);
		return -1;
	}
	const struct worker_kind *k = kind_find(job.kind);
	struct bw_error jerr = { 0 };
	enum bw_err jr = k ? k->run(db, &job, &jerr)
			   : bw_fail(&jerr, BW_EINVAL, "kind", "no worker runs jobs of kind %s", job.kind);
	bool ok = jr == BW_OK;
	bool passing = jr == BW_EIO || jr == BW_EDB;
	if (!ok)
		log_warn("worker: job %lld (%s) %s: %s", (long long)job.id, job.kind,
			 passing ? "will be retried" : "failed", jerr.msg);
	if (db_job_finish(db, &job, ok, ok ? NULL : jerr.msg,
			  passing ? bw_now() + backoff(job.attempts) : 0, &err) != BW_OK)
		log_warn("worker: recording job %lld: %s", (long long)job.id, err.msg);
	db_job_clear(&job);
	return 1;
}

int worker_run_due(struct db *db, int max)
{
	if (nkinds == 0)
		return 0;
	periodic_all(db);
	pthread_once(&groups_once, groups_build);
	/* round the groups until none has a due job, so one busy kind cannot
	 * starve the others */
	int n = 0;
	bool any = true;
	while (n < max && any) {
		any = false;
		for (size_t g = 0; g < ngroups && n < max; g++) {
			if (run_one(db, &groups[g]) <= 0)
				continue;
			any = true;
			n++;
		}
	}
	return n;
}

struct worker {
	pthread_t *threads;
	int nthreads;
	int poll_ms;
	char *db_url;
	atomic_bool stop;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct db *db = NULL;
	int64_t last_prune = 0;
	while (!atomic_load(&w->stop)) {
		if (!db) {
			struct bw_error err = { 0 };
			if (db_open(&db, w->db_url, &err) != BW_OK) {
				log_warn("worker: opening the database: %s", err.msg);
				db = NULL;
				sleep_ms(1000);
				continue;
			}
		}
		/* a few jobs at a time, then look at the stop flag again */
		int ran = worker_run_due(db, 16);
		if (bw_now() - last_prune >= 3600) {
			last_prune = bw_now();
			jobs_prune(db);
		}
		if (ran == 0)
			for (int t = 0; t < w->poll_ms && !atomic_load(&w->stop); t += 50)
				sleep_ms(50);
	}
	if (db)
		db_close(db);
	return NULL;
}

enum bw_err worker_start(struct worker **out, const char *db_url, int threads, int poll_ms,
			 struct bw_error *err)
{
	*out = NULL;
	if (threads < 0 || threads > 64)
		return bw_fail(err, BW_EINVAL, "workers", "workers must be 0 to 64");
	struct worker *w = calloc(1, sizeof *w);
	if (!w || !(w->db_url = strdup(db_url)) ||
	    !(w->threads = calloc((size_t)(threads ? threads : 1), sizeof *w->threads))) {
		if (w)
			free(w->db_url);
		free(w);
		return bw_fail(err, BW_EINTERNAL, "", "out of memory");
	}
	w->poll_ms = poll_ms > 0 ? poll_ms : 1000;
	atomic_init(&w->stop, false);
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&w->threads[i], NULL, worker_main, w) != 0) {
			w->nthreads = i;
			worker_stop(w);
			return bw_fail(err, BW_EINTERNAL, "", "cannot start worker threads");
		}
	}
	w->nthreads = threads;
	*out = w;
	return BW_OK;
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
	for (int i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	free(w->threads);
	free(w->db_url);
	free(w);
}

/*
 * test_worker: the job runner as a module sees it — a periodic kind is
 * queued once however many workers look, a passing failure comes back
 * after a back-off, a hard failure stays failed with its message, and a
 * job of a kind nobody runs fails rather than looping. Runs on SQLite, and
 * on PostgreSQL when BULWARK_TEST_DB names one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/worker.h"
#include "../lib/testdb.h"

static int ran_tick, ran_flaky, ran_bad;
static int64_t flaky_lease;   /* seconds the claim holds a test.flaky job */

static enum bw_err run_tick(struct db *db, const struct db_job *job, struct bw_error *err)
{
	(void)db, (void)job, (void)err;
	ran_tick++;
	return BW_OK;
}

static enum bw_err run_flaky(struct db *db, const struct db_job *job, struct bw_error *err)
{
	(void)db;
	ran_flaky++;
	flaky_lease = job->lease_until - bw_now();
	if (job->attempts == 1)
		return bw_fail(err, BW_EIO, "", "mail server down");
	return BW_OK;
}

static enum bw_err run_bad(struct db *db, const struct db_job *job, struct bw_error *err)
{
	(void)db, (void)job;
	ran_bad++;
	return bw_fail(err, BW_EINVAL, "payload", "payload is not a feed name");
}

static const struct worker_kind kinds[] = {
	{ "test.tick", run_tick, 30, 60 },
	{ "test.flaky", run_flaky, 30, 0 },
	{ "test.bad", run_bad, 900, 0 },
	{ NULL, NULL, 0, 0 },
};

static const struct db_migration *const sets[] = { db_jobs_migrations, NULL };

static void set_clock(long offset)
{
	const char *f = getenv("BULWARK_TEST_CLOCK");
	assert_non_null(f);
	FILE *fp = fopen(f, "w");
	assert_non_null(fp);
	fprintf(fp, "%ld\n", offset);
	fclose(fp);
}

static const char *job_state(struct db *db, const char *kind, char *out, size_t n)
{
	struct db_stmt *st = db_prep(db, "SELECT state || ':' || coalesce(last_error, '')"
					 " FROM jobs WHERE kind = ?1 ORDER BY id DESC LIMIT 1");
	db_bind_text(st, 1, kind);
	assert_int_equal(db_step(st), DB_ROW);
	snprintf(out, n, "%s", db_col_text(st, 0));
	db_reset(st);
	return out;
}

static void periodic_once_and_failures(void **state)
{
	(void)state;
	set_clock(0);
	struct db *a = testdb_fresh("worker_a", sets);
	char s[200];
	struct bw_error err = { 0 };

	/* the periodic kind runs at once, then not again until its period is up */
	assert_int_equal(worker_run_due(a, 100), 1);
	assert_int_equal(ran_tick, 1);
	assert_int_equal(worker_run_due(a, 100), 0);
	assert_int_equal(db_query_i64(a, "SELECT count(*) FROM jobs WHERE kind = 'test.tick' AND state = 'queued'", -1), 1);
	set_clock(61);
	assert_int_equal(worker_run_due(a, 100), 1);
	assert_int_equal(ran_tick, 2);

	/* a passing failure is retried after a back-off, then succeeds */
	assert_int_equal(db_job_enqueue(a, "test.flaky", "", 0, &err), BW_OK);
	assert_int_equal(worker_run_due(a, 100), 1);
	assert_string_equal(job_state(a, "test.flaky", s, sizeof s), "queued:mail server down");
	/* held for its own kind's lease, not the longest of all kinds: a
	 * worker that dies holding it frees it in half a minute */
	assert_true(flaky_lease >= 29 && flaky_lease <= 30);
	assert_int_equal(worker_run_due(a, 100), 0);   /* not before its back-off */
	set_clock(61 + 5);
	assert_int_equal(worker_run_due(a, 100), 1);
	assert_int_equal(ran_flaky, 2);
	assert_string_equal(job_state(a, "test.flaky", s, sizeof s), "done:");

	/* a hard failure stays failed, with the handler's message */
	assert_int_equal(db_job_enqueue(a, "test.bad", "x", 0, &err), BW_OK);
	assert_int_equal(worker_run_due(a, 100), 1);
	assert_string_equal(job_state(a, "test.bad", s, sizeof s), "failed:payload is not a feed name");
	set_clock(10000);
	worker_run_due(a, 100);
	assert_int_equal(ran_bad, 1);
	db_close(a);
	set_clock(0);
}

int main(void)
{
	/* BULWARK_TEST_DB: a PostgreSQL URL runs this suite there too */
	worker_add_kinds(kinds);
	static char clock_file[] = "/tmp/bulwark-worker-clock-XXXXXX";
	int fd = mkstemp(clock_file);
	if (fd < 0)
		return 1;
	close(fd);
	setenv("BULWARK_TEST_CLOCK", clock_file, 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(periodic_once_and_failures),
	};
	int rc = cmocka_run_group_tests(tests, testdb_group_setup, testdb_group_teardown);
	unlink(clock_file);
	return rc;
}

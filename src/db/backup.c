/*
 * backup: consistent online copies of a SQLite database and putting one
 * back. The copy holds one read transaction on the source for its whole
 * run, so under WAL it sees one snapshot while other processes keep
 * writing; it is written to a temp file and renamed into place, so a crash
 * never leaves half a backup (or half a restored database) under the name.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db_int.h"

#define BACKUP_PAGES      256       /* pages per step */
#define BACKUP_BUSY_MS    20        /* wait when the destination is busy */
#define BACKUP_BUDGET_MS  600000    /* give up on a copy that cannot proceed */
#define INUSE_TIMEOUT_MS  200

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static bool path_ok(const char *p)
{
	return p && *p && strlen(p) < PATH_MAX - 32;
}

/* dst's sibling "<dst>.tmp-<pid>-<random>", so the rename stays on one
 * file system. */
static void temp_name(const char *dst, char *out, size_t n)
{
	snprintf(out, n, "%s.tmp-%ld-%08x", dst, (long)getpid(), db_jitter());
}

static void unlink_db_files(const char *path)
{
	char p[PATH_MAX];
	static const char *const sfx[] = { "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < BW_NELEM(sfx); i++) {
		if (snprintf(p, sizeof p, "%s%s", path, sfx[i]) < (int)sizeof p)
			unlink(p);
	}
}

static int fsync_path(const char *path, bool dir)
{
	int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Puts tmp in dst's place: stale -wal/-shm files beside dst would be
 * replayed into the new file, so they go first. */
static enum bw_err swap_into_place(const char *tmp, const char *dst, struct bw_error *err)
{
	if (fsync_path(tmp, false) != 0)
		return bw_fail(err, BW_EIO, "", "syncing %s: %s", tmp, strerror(errno));
	unlink_db_files(dst);
	if (rename(tmp, dst) != 0)
		return bw_fail(err, BW_EIO, "", "renaming %s to %s: %s", tmp, dst, strerror(errno));
	char d[PATH_MAX];
	snprintf(d, sizeof d, "%s", dst);
	fsync_path(dirname(d), true);   /* best effort: some file systems refuse */
	return BW_OK;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int open_db(const char *path, int flags, sqlite3 **out)
{
	*out = NULL;
	int rc = sqlite3_open_v2(path, out, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (*out)
		sqlite3_extended_result_codes(*out, 1);
	return rc;
}

/* One row "ok" from PRAGMA integrity_check (or quick_check). */
static bool check_ok(sqlite3 *h, const char *pragma, char *msg, size_t n)
{
	sqlite3_stmt *s = NULL;
	bool ok = false;
	if (sqlite3_prepare_v2(h, pragma, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(s, 0);
		ok = r && !strcmp(r, "ok");
		snprintf(msg, n, "%s", r ? r : "no answer");
	} else {
		snprintf(msg, n, "%s", sqlite3_errmsg(h));
	}
	sqlite3_finalize(s);
	return ok;
}

/* Copies src (a live connection, inside a read transaction) into a new
 * database at tmp, converted to a self-contained rollback-journal file. */
static enum bw_err copy_to(sqlite3 *src, const char *tmp, struct bw_error *err)
{
	sqlite3 *dst;
	int rc = open_db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst);
	if (rc != SQLITE_OK) {
		enum bw_err r = bw_fail(err, BW_EIO, "", "creating %s: %s", tmp,
					dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		sqlite3_close_v2(dst);
		return r;
	}
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		enum bw_err r = bw_fail(err, BW_EDB, "", "starting the copy: %s",
					sqlite3_errmsg(dst));
		sqlite3_close_v2(dst);
		return r;
	}
	int64_t start = bw_now_ms();
	for (;;) {
		rc = sqlite3_backup_step(b, BACKUP_PAGES);
		if (rc == SQLITE_DONE)
			break;
		if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
			if (bw_now_ms() - start > BACKUP_BUDGET_MS)
				break;
			sleep_ms(BACKUP_BUSY_MS);
			continue;
		}
		if (rc != SQLITE_OK)
			break;
	}
	int frc = sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE || frc != SQLITE_OK) {
		enum bw_err r = bw_fail(err, BW_EDB, "", "copying: %s",
					sqlite3_errstr(rc != SQLITE_DONE ? rc : frc));
		sqlite3_close_v2(dst);
		return r;
	}
	char msg[256];
	char *emsg = NULL;
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, &emsg) != SQLITE_OK) {
		enum bw_err r = bw_fail(err, BW_EDB, "", "finishing the copy: %s",
					emsg ? emsg : sqlite3_errmsg(dst));
		sqlite3_free(emsg);
		sqlite3_close_v2(dst);
		return r;
	}
	if (!check_ok(dst, "PRAGMA quick_check", msg, sizeof msg)) {
		sqlite3_close_v2(dst);
		return bw_fail(err, BW_EDB, "", "the copy fails its check: %s", msg);
	}
	if (sqlite3_close(dst) != SQLITE_OK)
		return bw_fail(err, BW_EIO, "", "closing the copy");
	return BW_OK;
}

/* Paths may be written as db_open takes them. */
static const char *plain_path(const char *p)
{
	return p && !strncmp(p, "sqlite:", 7) ? p + 7 : p;
}

enum bw_err db_backup_sqlite(const char *src_path, const char *dst_path,
			     struct bw_error *err)
{
	src_path = plain_path(src_path);
	dst_path = plain_path(dst_path);
	if (!path_ok(src_path) || !path_ok(dst_path))
		return bw_fail(err, BW_EINVAL, "path", "backup needs a source and a destination path");
	if (same_file(src_path, dst_path))
		return bw_fail(err, BW_EINVAL, "out", "the backup would overwrite the database");
	sqlite3 *src;
	int rc = open_db(src_path, SQLITE_OPEN_READWRITE, &src);
	if (rc != SQLITE_OK) {
		enum bw_err r = bw_fail(err, BW_EIO, "db", "opening %s: %s", src_path,
					src ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
		sqlite3_close_v2(src);
		return r;
	}
	sqlite3_busy_timeout(src, 5000);
	/* the read transaction pins one snapshot for every step of the copy */
	char *emsg = NULL;
	if (sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, &emsg) !=
	    SQLITE_OK) {
		enum bw_err r = bw_fail(err, BW_EDB, "db", "%s: %s", src_path,
					emsg ? emsg : sqlite3_errmsg(src));
		sqlite3_free(emsg);
		sqlite3_close_v2(src);
		return r;
	}
	char tmp[PATH_MAX];
	temp_name(dst_path, tmp, sizeof tmp);
	enum bw_err r = copy_to(src, tmp, err);
	sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
	sqlite3_close_v2(src);
	if (r == BW_OK)
		r = swap_into_place(tmp, dst_path, err);
	if (r != BW_OK) {
		unlink(tmp);
		unlink_db_files(tmp);
	}
	return r;
}

/* Whether another connection has path open: an exclusive lock cannot be had
 * while any other connection (in any process) holds even a read lock, and in
 * WAL mode an idle connection keeps one. */
static bool in_use(const char *path)
{
	sqlite3 *h;
	if (open_db(path, SQLITE_OPEN_READWRITE, &h) != SQLITE_OK) {
		sqlite3_close_v2(h);
		return false;
	}
	sqlite3_busy_timeout(h, INUSE_TIMEOUT_MS);
	int rc = sqlite3_exec(h, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;"
			      " SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	int prim = sqlite3_extended_errcode(h) & 0xff;
	bool busy = rc != SQLITE_OK && (prim == SQLITE_BUSY || prim == SQLITE_LOCKED);
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close_v2(h);
	return busy;
}

enum bw_err db_restore_sqlite(const char *backup_path, const char *dst_path,
			      bool force, struct bw_error *err)
{
	backup_path = plain_path(backup_path);
	dst_path = plain_path(dst_path);
	if (!path_ok(backup_path) || !path_ok(dst_path))
		return bw_fail(err, BW_EINVAL, "path", "restore needs a backup and a database path");
	if (access(backup_path, R_OK) != 0)
		return bw_fail(err, BW_ENOTFOUND, "backup", "cannot read %s: %s", backup_path,
			       strerror(errno));
	if (same_file(backup_path, dst_path))
		return bw_fail(err, BW_EINVAL, "backup", "the backup is the database itself");

	sqlite3 *b;
	int rc = open_db(backup_path, SQLITE_OPEN_READONLY, &b);
	if (rc != SQLITE_OK) {
		enum bw_err r = bw_fail(err, BW_EINVAL, "backup", "opening %s: %s", backup_path,
					b ? sqlite3_errmsg(b) : sqlite3_errstr(rc));
		sqlite3_close_v2(b);
		return r;
	}
	char msg[256];
	if (!check_ok(b, "PRAGMA integrity_check", msg, sizeof msg)) {
		sqlite3_close_v2(b);
		return bw_fail(err, BW_EINVAL, "backup",
			       "%s is not an intact SQLite database: %s", backup_path, msg);
	}
	sqlite3_stmt *s = NULL;
	bool has_schema = false;
	if (sqlite3_prepare_v2(b, "SELECT 1 FROM sqlite_schema WHERE type = 'table'"
			       " AND name = 'schema_migrations'", -1, &s, NULL) == SQLITE_OK)
		has_schema = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	if (!has_schema) {
		sqlite3_close_v2(b);
		return bw_fail(err, BW_EINVAL, "backup",
			       "%s is not a Bulwark database (no schema_migrations)", backup_path);
	}

	if (!force && access(dst_path, F_OK) == 0 && in_use(dst_path)) {
		sqlite3_close_v2(b);
		return bw_fail(err, BW_ECONFLICT, "db",
			       "%s is in use: stop the server first, or force the restore",
			       dst_path);
	}

	char tmp[PATH_MAX];
	temp_name(dst_path, tmp, sizeof tmp);
	sqlite3_exec(b, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	enum bw_err r = copy_to(b, tmp, err);
	sqlite3_exec(b, "COMMIT", NULL, NULL, NULL);
	sqlite3_close_v2(b);
	if (r == BW_OK)
		r = swap_into_place(tmp, dst_path, err);
	if (r != BW_OK) {
		unlink(tmp);
		unlink_db_files(tmp);
	}
	return r;
}

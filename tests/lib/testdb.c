/* testdb: see testdb.h. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testdb.h"

static char tmpdir[256];

const char *testdb_pg_url(void)
{
	const char *u = getenv("BULWARK_TEST_DB");
	if (u && (!strncmp(u, "postgresql://", 13) || !strncmp(u, "postgres://", 11)))
		return u;
	return NULL;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

int testdb_group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/bw-unit-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

int testdb_group_teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

struct db *testdb_fresh(const char *name, const struct db_migration *const *sets)
{
	struct bw_error err = { 0 };
	char url[512];
	const char *pg = testdb_pg_url();
	if (pg) {
		struct db *admin;
		if (db_open(&admin, pg, &err) != BW_OK)
			fail_msg("db_open %s: %s", pg, err.msg);
		char sql[256];
		snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", name, name);
		assert_int_equal(db_exec(admin, sql, &err), BW_OK);
		db_close(admin);
		snprintf(url, sizeof url, "%s%soptions=-csearch_path%%3D%s", pg, strchr(pg, '?') ? "&" : "?", name);
	} else {
		snprintf(url, sizeof url, "%s/%s.db", tmpdir, name);
		unlink(url);
	}
	struct db *db = NULL;
	if (db_open(&db, url, &err) != BW_OK)
		fail_msg("db_open %s: %s", url, err.msg);
	if (db_migrate(db, sets, &err) != BW_OK)
		fail_msg("migrate: %s", err.msg);
	return db;
}

/*
 * testdb: the database harness shared by the cmocka suites. The backend is
 * the one BULWARK_TEST_DB names: a postgresql:// URL (each fresh database is
 * a schema of that server, dropped and made again, so reruns work), or SQLite
 * files in a temporary folder made by the group set-up.
 */
#ifndef BW_TESTDB_H
#define BW_TESTDB_H

#include "db/db.h"

/* The PostgreSQL URL of this run, or NULL on SQLite. */
const char *testdb_pg_url(void);
/* cmocka group set-up and tear-down: the temporary folder for SQLite files. */
int testdb_group_setup(void **state);
int testdb_group_teardown(void **state);
/* A new, empty database called name (a schema name on PostgreSQL: letters,
 * digits and '_'), with the migration sets applied. Fails the test on error. */
struct db *testdb_fresh(const char *name, const struct db_migration *const *sets);

#endif

/*
 * cli: `bulwark findings ...`, the rule library from the command line.
 *   bulwark findings rules import DIR [--db DB]   every .yml under DIR (a SigmaHQ release)
 *   bulwark findings rules list [--db DB]         id, state, hits, title, load error
 * The database must exist (serve, init or demo create it); it is not
 * migrated here, so this command never races a server's migrations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/findings_int.h"

static int usage(void)
{
	fprintf(stderr, "usage: bulwark findings rules import DIR [--db DB]\n"
			"       bulwark findings rules list [--db DB]\n");
	return 2;
}

int findings_cli(int argc, char **argv)
{
	const char *url = getenv("BULWARK_DB"), *pos[3] = { 0 };
	size_t npos = 0;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--db") && i + 1 < argc)
			url = argv[++i];
		else if (!strncmp(argv[i], "--db=", 5))
			url = argv[i] + 5;
		else if (argv[i][0] == '-' || npos == 3)
			return usage();
		else
			pos[npos++] = argv[i];
	}
	if (npos < 2 || strcmp(pos[0], "rules") || (strcmp(pos[1], "import") && strcmp(pos[1], "list")) ||
	    (!strcmp(pos[1], "import") && npos != 3) || (!strcmp(pos[1], "list") && npos != 2))
		return usage();
	struct bw_error err = { 0 };
	struct db *db;
	if (db_open(&db, url && *url ? url : "var/bulwark.db", &err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		return 1;
	}
	if (db_query_i64(db, "SELECT count(*) FROM detect_library", -1) < 0) {
		fprintf(stderr, "bulwark: the database has no rule library yet; run bulwark init or serve once first\n");
		db_close(db);
		return 1;
	}
	int rc = 0;
	if (!strcmp(pos[1], "import")) {
		struct actor cli;
		orgs_actor_cli(&cli);
		struct findings_import im;
		if (findings_rules_import_dir(db, &cli, pos[2], &im, &err) != BW_OK) {
			fprintf(stderr, "bulwark: %s\n", err.msg);
			rc = 1;
		} else {
			printf("%lld rule files: %lld loaded, %lld refused by the engine (see `bulwark findings rules list`),"
			       " %lld new, %lld updated\n", (long long)im.files, (long long)im.loaded, (long long)im.failed,
			       (long long)im.added, (long long)im.updated);
		}
	} else {
		struct db_stmt *st = db_prep(db, "SELECT uuid, enabled, hits, title, load_error FROM detect_rules ORDER BY id");
		int r;
		while ((r = db_step(st)) == DB_ROW)
			printf("%s\t%s\t%lld\t%s\t%s\n", db_col_text(st, 0),
			       db_col_text(st, 4) ? "refused" : db_col_i64(st, 1) ? "enabled" : "disabled",
			       (long long)db_col_i64(st, 2), db_col_text(st, 3), db_col_text(st, 4) ? db_col_text(st, 4) : "");
		if (r == DB_ERR) {
			fprintf(stderr, "bulwark: %s\n", db_errmsg(db));
			rc = 1;
		}
	}
	db_close(db);
	findings_engine_drop();
	return rc;
}

/*
 * cli: `bulwark feeds add|sync|status|list|enable|disable`. The exit codes
 * are part of the usage (FEEDS_USAGE) so scripts can tell a failed sync
 * (previous state kept) from one that finished with refused records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "feeds/feeds_int.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_NOSOURCE = 3, EXIT_REFUSED = 4 };

static int usage(void)
{
	fprintf(stderr, "usage:\n%s\n", FEEDS_USAGE);
	return EXIT_USAGE;
}

static void print_status(struct db *db, const struct feeds_source *s, bool examples)
{
	char ok[48] = "never";
	if (s->last_ok)
		bw_time_london(s->last_ok, ok);
	printf("%-20s %-5s %-24s %9lld records %6lld refused %8.1f s  %s\n", s->name, feeds_kind_name(s->kind), ok,
	       (long long)s->records, (long long)s->errors, (double)s->duration_ms / 1000.0,
	       !s->last_finished ? "not synced" : s->last_failed ? "LAST SYNC FAILED" : s->enabled ? "ok" : "ok (disabled)");
	if (s->last_failed)
		printf("    failed: %s\n", s->last_error);
	if (!examples)
		return;
	struct feeds_error ex[10];
	size_t n = feeds_errors_get(db, s->id, ex, 10);
	for (size_t i = 0; i < n; i++)
		printf("    refused %s: %s\n", ex[i].entry, ex[i].reason);
	if (s->errors > (int64_t)n)
		printf("    ... and %lld more (see the feed's page)\n", (long long)(s->errors - (int64_t)n));
}

static int cmd_add(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", true, "database", NULL }, { "kind", true, "kev|cve5|osv|csaf", NULL },
			       { "url", true, "http(s) URL", NULL }, { "path", true, "local file or folder", NULL },
			       { "key", true, "armoured OpenPGP key file (CSAF)", NULL } };
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, 3, o, 5, pos, 1, &np) || np != 1)
		return usage();
	const char *url = cli_get(o, 5, "url"), *path = cli_get(o, 5, "path"), *keyf = cli_get(o, 5, "key");
	enum feeds_kind kind;
	if (!feeds_kind_parse(cli_get(o, 5, "kind"), &kind) || kind == FEEDS_NVD || (!url == !path)) {
		fprintf(stderr, "bulwark: give --kind kev|cve5|osv|csaf and one of --url or --path\n");
		return EXIT_USAGE;
	}
	if (url && !feeds_is_url(url)) {
		fprintf(stderr, "bulwark: --url must be an http:// or https:// address\n");
		return EXIT_USAGE;
	}
	struct buf key;
	buf_init(&key);
	struct bw_error err = { 0 };
	if (keyf && feeds_read_file(keyf, FEEDS_LIM_KEY, &key, &err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		buf_free(&key);
		return EXIT_USAGE;
	}
	struct db *db = cli_open_db(cli_get(o, 5, "db"));
	if (!db) {
		buf_free(&key);
		return EXIT_FAILED;
	}
	struct actor cli;
	orgs_actor_cli(&cli);
	int rc = EXIT_OK;
	if (feeds_source_add(db, &cli, pos[0], kind, url ? url : path, keyf ? buf_cstr(&key) : NULL, NULL, &err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		rc = err.code == BW_ECONFLICT || err.code == BW_EINVAL ? EXIT_USAGE : EXIT_FAILED;
	} else {
		printf("added %s (%s)\n", pos[0], feeds_kind_name(kind));
	}
	buf_free(&key);
	db_close(db);
	return rc;
}

static int cmd_sync(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", true, "database", NULL } };
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, 3, o, 1, pos, 1, &np))
		return usage();
	struct db *db = cli_open_db(cli_get(o, 1, "db"));
	if (!db)
		return EXIT_FAILED;
	struct actor cli;
	orgs_actor_cli(&cli);
	struct feeds_source *s = NULL;
	size_t n = 0;
	struct bw_error err = { 0 };
	int rc = EXIT_OK;
	if (np == 1) {
		s = calloc(1, sizeof *s);
		if (!s)
			abort();
		if (feeds_source_get(db, pos[0], s, &err) != BW_OK) {
			fprintf(stderr, "bulwark: %s\n", err.msg);
			free(s);
			db_close(db);
			return err.code == BW_ENOTFOUND ? EXIT_NOSOURCE : EXIT_FAILED;
		}
		n = 1;
	} else if (feeds_source_list(db, &s, &n, &err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		db_close(db);
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < n; i++) {
		if (np == 0 && !s[i].enabled)
			continue;
		struct feeds_sync_result r;
		bw_error_clear(&err);
		if (feeds_sync(db, &cli, s[i].name, &r, &err) != BW_OK) {
			fprintf(stderr, "bulwark: sync of %s failed, previous state kept: %s\n", s[i].name, err.msg);
			rc = EXIT_FAILED;
			continue;
		}
		double secs = (double)r.duration_ms / 1000.0;
		printf("%s: %s%lld seen, %lld added, %lld updated, %lld withdrawn, %lld unchanged, %lld refused in %.1f s"
		       " (%.0f records/s)\n",
		       s[i].name, r.not_modified ? "not modified; " : "", (long long)r.seen, (long long)r.added,
		       (long long)r.updated, (long long)r.withdrawn, (long long)r.unchanged, (long long)r.errors, secs,
		       secs > 0 ? (double)r.seen / secs : 0.0);
		if (r.errors && rc == EXIT_OK)
			rc = EXIT_REFUSED;
	}
	free(s);
	db_close(db);
	return rc;
}

static int cmd_status(int argc, char **argv, bool examples)
{
	struct cli_opt o[] = { { "db", true, "database", NULL } };
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, 3, o, 1, pos, 1, &np))
		return usage();
	struct db *db = cli_open_db(cli_get(o, 1, "db"));
	if (!db)
		return EXIT_FAILED;
	struct feeds_source *s;
	size_t n;
	struct bw_error err = { 0 };
	if (feeds_source_list(db, &s, &n, &err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		db_close(db);
		return EXIT_FAILED;
	}
	int rc = np == 1 ? EXIT_NOSOURCE : EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		if (np == 1 && strcmp(s[i].name, pos[0]) != 0)
			continue;
		if (np == 1)
			rc = EXIT_OK;
		if (examples)
			print_status(db, &s[i], true);
		else
			printf("%s\t%s\t%s\t%s\n", s[i].name, feeds_kind_name(s[i].kind), s[i].enabled ? "enabled" : "disabled",
			       s[i].location);
	}
	if (rc == EXIT_NOSOURCE)
		fprintf(stderr, "bulwark: there is no feed source called %s\n", pos[0]);
	if (!n && examples)
		printf("no feed sources (add one with 'bulwark feeds add')\n");
	free(s);
	db_close(db);
	return rc;
}

static int cmd_enable(int argc, char **argv, bool on)
{
	struct cli_opt o[] = { { "db", true, "database", NULL } };
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, 3, o, 1, pos, 1, &np) || np != 1)
		return usage();
	struct db *db = cli_open_db(cli_get(o, 1, "db"));
	if (!db)
		return EXIT_FAILED;
	struct db_stmt *st = db_prep(db, "UPDATE feed_sources SET enabled = ?2 WHERE name = ?1");
	db_bind_text(st, 1, pos[0]);
	db_bind_i64(st, 2, on);
	int rc = EXIT_OK;
	if (db_step(st) == DB_ERR) {
		fprintf(stderr, "bulwark: %s\n", db_errmsg(db));
		rc = EXIT_FAILED;
	} else if (db_changes(db) == 0) {
		fprintf(stderr, "bulwark: there is no feed source called %s\n", pos[0]);
		rc = EXIT_NOSOURCE;
	}
	db_close(db);
	return rc;
}

int feeds_cli(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	const char *sub = argv[2];
	if (!strcmp(sub, "add"))
		return cmd_add(argc, argv);
	if (!strcmp(sub, "sync"))
		return cmd_sync(argc, argv);
	if (!strcmp(sub, "status"))
		return cmd_status(argc, argv, true);
	if (!strcmp(sub, "list"))
		return cmd_status(argc, argv, false);
	if (!strcmp(sub, "enable") || !strcmp(sub, "disable"))
		return cmd_enable(argc, argv, !strcmp(sub, "enable"));
	return usage();
}

/*
 * demo: the shared data's feeds registered as local sources for a demo
 * instance, not synced (the full corpora take minutes) and not on the
 * schedule; an analyst syncs one from its page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "feeds/feeds_int.h"

static const struct {
	const char *name;
	enum feeds_kind kind;
	const char *rel;
} demo_sources[] = {
	{ "cisa-kev", FEEDS_KEV, "feeds/kev/known_exploited_vulnerabilities.json" },
	{ "cve-vulnrichment", FEEDS_CVE5, "feeds/cve5/vulnrichment.zip" },
	{ "osv-go", FEEDS_OSV, "feeds/osv/Go-all.zip" },
	{ "osv-pypi", FEEDS_OSV, "feeds/osv/PyPI-all.zip" },
	{ "osv-crates-io", FEEDS_OSV, "feeds/osv/crates.io-all.zip" },
	{ "osv-bitnami", FEEDS_OSV, "feeds/osv/Bitnami-all.zip" },
	{ "osv-almalinux", FEEDS_OSV, "feeds/osv/AlmaLinux-all.zip" },
	{ "cisa-csaf", FEEDS_CSAF, "feeds/csaf/cisagov-csaf.zip" },
};

enum bw_err feeds_demo_seed(struct db *db, const char *data_dir, struct bw_error *err)
{
	struct actor cli;
	orgs_actor_cli(&cli);
	char *real = realpath(data_dir, NULL);
	for (size_t i = 0; i < BW_NELEM(demo_sources); i++) {
		char path[FEEDS_LIM_LOCATION];
		snprintf(path, sizeof path, "%s/%s", real ? real : data_dir, demo_sources[i].rel);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;   /* a data folder without this corpus */
		struct bw_error e = { 0 };
		enum bw_err rc = feeds_source_add(db, &cli, demo_sources[i].name, demo_sources[i].kind, path, NULL, NULL, &e);
		if (rc == BW_ECONFLICT)
			continue;
		if (rc != BW_OK) {
			free(real);
			*err = e;
			return rc;
		}
		struct db_stmt *s = db_prep(db, "UPDATE feed_sources SET enabled = 0 WHERE name = ?1");
		db_bind_text(s, 1, demo_sources[i].name);
		if (db_step(s) == DB_ERR) {
			free(real);
			return db_fail(db, err, "feed source");
		}
	}
	free(real);
	return BW_OK;
}

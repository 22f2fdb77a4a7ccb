/*
 * demo: real exposures for the demo estate without importing whole
 * corpora (the CVE 5 zip takes minutes). The shared data's feed sources are
 * registered (not on the schedule), CISA's KEV catalogue is synced (small),
 * and a slice of CVE records is synced from the CVE 5 zip: the ids below
 * were chosen against the demo inventory so that the known exploited ones
 * hitting most organisations are there, every organisation with software
 * has at least one exposure, and some answers are "cannot tell". Then one
 * full match. `bulwark feeds sync cve-vulnrichment` and the next match job
 * bring in the rest.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exposures/exposures_int.h"
#include "feeds/feeds.h"

#define SLICE_SOURCE "demo-cve-slice"

static const char *const slice[] = {
	"CVE-2024-20481", "CVE-2024-20353", "CVE-2024-20359", "CVE-2024-20399", "CVE-2024-36971", "CVE-2024-34102",
	"CVE-2024-43461", "CVE-2024-35250", "CVE-2024-38014", "CVE-2024-38193", "CVE-2024-43572", "CVE-2024-38217",
	"CVE-2024-38107", "CVE-2024-38112", "CVE-2024-38213", "CVE-2024-4671", "CVE-2024-4947", "CVE-2024-7965",
	"CVE-2024-7971", "CVE-2024-5274", "CVE-2024-7784", "CVE-2024-20465", "CVE-2024-20414", "CVE-2024-20494",
	"CVE-2024-20426", "CVE-2024-20464", "CVE-2024-20370",
};

/* The slice's id for an entry name ".../CVE-2024-4671.json", or NULL. */
static const char *wanted(const char *name)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	size_t n = strlen(base);
	if (n < 6 || strcmp(base + n - 5, ".json"))
		return NULL;
	for (size_t i = 0; i < BW_NELEM(slice); i++)
		if (strlen(slice[i]) == n - 5 && !strncmp(base, slice[i], n - 5))
			return slice[i];
	return NULL;
}

/* Copies the slice's entries of zip into folder dir; returns how many. */
static size_t extract(const char *zip, const char *dir, char (*made)[600], struct bw_error *err)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_zip(a);
	size_t got = 0;
	if (archive_read_open_filename(a, zip, 1 << 16) != ARCHIVE_OK) {
		bw_fail(err, BW_EIO, "", "cannot open %s: %s", zip, archive_error_string(a));
		archive_read_free(a);
		return 0;
	}
	struct archive_entry *en;
	while (got < BW_NELEM(slice) && archive_read_next_header(a, &en) == ARCHIVE_OK) {
		const char *id = wanted(archive_entry_pathname(en));
		int64_t size = archive_entry_size(en);
		if (!id || size <= 0 || size > FEEDS_LIM_RECORD)
			continue;
		char *buf = malloc((size_t)size);
		if (!buf)
			break;
		la_ssize_t n = archive_read_data(a, buf, (size_t)size);
		if (n == size) {
			snprintf(made[got], sizeof made[got], "%s/%s.json", dir, id);
			FILE *f = fopen(made[got], "wb");
			if (f) {
				if (fwrite(buf, 1, (size_t)n, f) == (size_t)n)
					got++;
				fclose(f);
			}
		}
		free(buf);
	}
	archive_read_free(a);
	return got;
}

enum bw_err exposures_demo_seed(struct db *db, const char *data_dir, struct bw_error *err)
{
	enum bw_err rc = feeds_demo_seed(db, data_dir, err);
	if (rc != BW_OK)
		return rc;
	struct feeds_source s;
	struct feeds_sync_result r;
	struct bw_error e = { 0 };
	if (feeds_source_get(db, "cisa-kev", &s, &e) == BW_OK && feeds_sync(db, NULL, "cisa-kev", &r, &e) != BW_OK)
		log_warn("exposures demo: the KEV catalogue did not sync: %s", e.msg);

	char zip[4096], dir[] = "/tmp/bulwark-demo-cve-XXXXXX";
	snprintf(zip, sizeof zip, "%s/feeds/cve5/vulnrichment.zip", data_dir);
	struct stat st;
	if (stat(zip, &st) == 0 && mkdtemp(dir)) {
		char (*made)[600] = calloc(BW_NELEM(slice), sizeof *made);
		size_t n = made ? extract(zip, dir, made, &e) : 0;
		struct actor cli;
		orgs_actor_cli(&cli);
		if (n && feeds_source_add(db, &cli, SLICE_SOURCE, FEEDS_CVE5, dir, NULL, NULL, &e) == BW_OK &&
		    feeds_sync(db, NULL, SLICE_SOURCE, &r, &e) == BW_OK) {
			/* its folder is removed below: off the schedule, like the demo's other sources */
			struct db_stmt *u = db_prep(db, "UPDATE feed_sources SET enabled = 0 WHERE name = ?1");
			db_bind_text(u, 1, SLICE_SOURCE);
			if (db_step(u) == DB_ERR)
				log_warn("exposures demo: %s", db_errmsg(db));
		} else if (n) {
			log_warn("exposures demo: the CVE slice did not sync: %s", e.msg);
		}
		for (size_t i = 0; i < n; i++)
			unlink(made[i]);
		rmdir(dir);
		free(made);
	} else {
		log_warn("exposures demo: no %s; the demo has no CVE records", zip);
	}
	struct exposures_run run;
	return exposures_match(db, true, &run, err);
}

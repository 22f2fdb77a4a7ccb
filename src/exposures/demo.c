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
#include <string.h>

#include "exposures/exposures_int.h"
#include "feeds/feeds.h"

#define CVE_SOURCE "cve-vulnrichment"   /* feeds_demo_seed registers it */

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

static bool slice_only(void *ctx, const char *name)
{
	(void)ctx;
	return wanted(name) != NULL;
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

	/* the slice is synced from the CVE list's own source, so its records are
	 * that source's (a later whole sync finds them unchanged) and nothing
	 * the demo registers points at a file that goes away */
	if (feeds_source_get(db, CVE_SOURCE, &s, &e) == BW_OK) {
		if (feeds_sync_only(db, NULL, CVE_SOURCE, slice_only, NULL, &r, &e) != BW_OK)
			log_warn("exposures demo: the CVE slice did not sync: %s", e.msg);
	} else {
		log_warn("exposures demo: no %s source (no CVE 5 zip in %s); the demo has no CVE records", CVE_SOURCE, data_dir);
	}
	struct exposures_run run;
	return exposures_match(db, true, &run, err);
}

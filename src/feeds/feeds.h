/*
 * feeds: the public vulnerability feeds — CISA KEV, CVE JSON 5 records, OSV
 * advisories and CSAF 2.0 providers — imported, stored, kept in sync and
 * shown to analysts. Depends on base, db, web, app, orgs, audit, the match
 * engine (to compile stored records) and registers (the CPE dictionary the
 * inventory's "suggest a CPE" reads).
 *
 * Tables: feed_sources (one row per configured source), feed_syncs (one
 * row per sync run), feed_records (every record as received, with its
 * SHA-256, so unchanged records are never re-parsed), vulnerabilities (one
 * row per CVE or advisory id: title, scores, KEV flags), feed_errors (the
 * reasons records were refused, with examples), feed_changes (what each
 * sync added, changed or withdrew: the exposures module re-matches only
 * those), feed_staging* (rows of a sync in progress).
 *
 * Atomicity: a sync of one source is all or nothing. Records are parsed
 * and written to staging tables in short transactions (so the server's own
 * writes are never held up for long), then one transaction applies the
 * staged rows, the counts and the error examples together. A sync that
 * fails part-way (a refused archive, a network error, a database error)
 * drops its staging rows and changes nothing but its own failure record;
 * the previous sync's state stays as it was. A bad record is not a failure
 * of the sync: it is skipped, counted and its reason kept.
 */
#ifndef BW_FEEDS_H
#define BW_FEEDS_H

#include "app/app.h"
#include "match/match.h"

/* ---- limits on what comes in (all importers) ---- */
#define FEEDS_LIM_FILE          (256LL * 1024 * 1024) /* one downloaded file */
#define FEEDS_LIM_RECORD        (8 * 1024 * 1024)     /* one record's JSON */
#define FEEDS_LIM_DEPTH         64                    /* JSON nesting of a record */
#define FEEDS_LIM_ENTRIES       200000                /* entries in one archive or folder */
#define FEEDS_LIM_TOTAL         (2LL * 1024 * 1024 * 1024) /* uncompressed bytes of one archive */
#define FEEDS_LIM_RATIO         200                   /* uncompressed/compressed of one entry */
#define FEEDS_LIM_ERROR_EXAMPLES 100                  /* refused records kept per sync */
#define FEEDS_LIM_CSAF_FEEDS    32                    /* ROLIE feeds of one provider */
#define FEEDS_LIM_NAME          64                    /* a source's name */
#define FEEDS_LIM_LOCATION      2048                  /* a URL or path */
#define FEEDS_LIM_KEY           (256 * 1024)          /* an armoured OpenPGP key */
#define FEEDS_FETCH_TIMEOUT_S   600                   /* one download, whole */
#define FEEDS_FETCH_CONNECT_S   30
#define FEEDS_SYNC_EVERY_S      (6 * 3600)            /* the periodic job */

extern const struct db_migration feeds_migrations[];

enum feeds_kind { FEEDS_KEV, FEEDS_CVE5, FEEDS_OSV, FEEDS_CSAF, FEEDS_NVD, FEEDS_KIND_COUNT };
const char *feeds_kind_name(enum feeds_kind k);            /* "kev", "cve5", ... */
bool feeds_kind_parse(const char *s, enum feeds_kind *out);

/* ---- sources ---- */
struct feeds_source {
	int64_t id;
	char name[FEEDS_LIM_NAME + 1];
	enum feeds_kind kind;
	char location[FEEDS_LIM_LOCATION + 1];  /* http(s) URL or local path */
	bool enabled;
	char key_fpr[64];                       /* CSAF signing key fingerprint, or "" */
	int64_t last_started, last_finished, last_ok;   /* unix seconds; 0: never */
	bool last_failed;
	int64_t records, withdrawn, errors;     /* errors of the last sync */
	int64_t duration_ms;                    /* of the last sync */
	char last_error[512];
};

/* Adds a source (audited). name: [a-z0-9._-], 1..FEEDS_LIM_NAME; location a
 * http(s) URL or a path; key_armoured (CSAF only, may be NULL) the
 * provider's public OpenPGP key: its fingerprint is stored beside it and
 * every advisory's .asc must then verify against it. BW_ECONFLICT if the
 * name is taken. */
enum bw_err feeds_source_add(struct db *db, const struct actor *by, const char *name,
			     enum feeds_kind kind, const char *location, const char *key_armoured,
			     int64_t *id_out, struct bw_error *err);
enum bw_err feeds_source_get(struct db *db, const char *name, struct feeds_source *out,
			     struct bw_error *err);
/* Every source, by name; *out is malloc'd (free it). */
enum bw_err feeds_source_list(struct db *db, struct feeds_source **out, size_t *n,
			      struct bw_error *err);

/* ---- sync ---- */
struct feeds_sync_result {
	int64_t sync_id;
	bool not_modified;        /* HTTP 304: nothing to do */
	int64_t seen, added, updated, unchanged, withdrawn, errors;
	int64_t duration_ms;
};

/* Fetches and imports one source (see the atomicity note above), then
 * refreshes the CPE dictionary. by may be NULL (the periodic job). BW_OK
 * also when some records were refused (result->errors counts them). */
enum bw_err feeds_sync(struct db *db, const struct actor *by, const char *name,
		       struct feeds_sync_result *result, struct bw_error *err);
/* The same for the entries of a CVE 5 or OSV source that only accepts
 * (by entry name), e.g. the demo's slice of the CVE list; nothing is taken
 * as withdrawn, and a later whole sync finds these entries unchanged. */
enum bw_err feeds_sync_only(struct db *db, const struct actor *by, const char *name,
			    bool (*only)(void *ctx, const char *name), void *ctx, struct feeds_sync_result *res,
			    struct bw_error *err);
/* Reads a local file, zip or folder as a sync of a kind source would
 * (limits, hashes, JSON, required fields, the engine's compile of each
 * record) without a database: every refused record goes to on_refused
 * (may be NULL) with its reason. For tests and checks of a corpus. */
struct feeds_check_result {
	int64_t seen, records, withdrawn, refused;
};
enum bw_err feeds_check_path(enum feeds_kind kind, const char *path,
			     void (*on_refused)(void *ctx, const char *entry, const char *reason), void *ctx,
			     struct feeds_check_result *out, struct bw_error *err);
/* Every enabled source in turn; the first failure is returned after all
 * were tried. */
enum bw_err feeds_sync_all(struct db *db, const struct actor *by, struct bw_error *err);

/* One refused record, as the status page and `feeds status` show it. */
struct feeds_error {
	char entry[256];          /* record id or archive entry name */
	char reason[512];
};
/* The examples kept for a source's last sync (at most max). */
size_t feeds_errors_get(struct db *db, int64_t source_id, struct feeds_error *out, size_t max);

/* ---- for the exposures module ---- */
/* Compiles every stored, not withdrawn record (CVE 5, OSV, CSAF, NVD) into
 * a new match feed; records and their strings live in arena a, which must
 * outlive the feed (free the feed with match_feed_free first). Records the
 * engine cannot read are skipped and logged, as the importers already
 * refused the unreadable ones. */
enum bw_err feeds_feed_load(struct db *db, struct arena *a, struct match_feed **out,
			    struct bw_error *err);

/* What changed after a marker: a marker is a feed_changes id; 0 is the
 * beginning. */
struct feeds_change {
	int64_t id;               /* the marker after this change */
	const char *source;       /* source name */
	enum feeds_kind kind;
	const char *record_id;    /* CVE-..., GHSA-..., tracking id */
	const char *change;       /* "added", "updated", "withdrawn" */
};
/* At most max changes after marker, oldest first, strings in arena a. *n
 * gets the count; the last one's id is the next marker. */
enum bw_err feeds_changes_since(struct db *db, struct arena *a, int64_t marker, size_t max,
				struct feeds_change **out, size_t *n, struct bw_error *err);
/* The changed records themselves, compiled: the records (not withdrawn)
 * named by changes after marker, at most max changes read. *next gets the
 * marker to pass next time (== marker when nothing changed). */
enum bw_err feeds_changed_records(struct db *db, struct arena *a, int64_t marker, size_t max,
				  struct match_record **out, size_t *n, int64_t *next,
				  struct bw_error *err);

/* Adds the CPE vendor:product pairs of records changed since the last
 * refresh to the registers' cpe_dictionary (each under its normalised
 * name), then drops the in-memory dictionary so suggestions see them. Run
 * after each sync. *added (may be NULL) gets the number of new rows. */
enum bw_err feeds_dictionary_refresh(struct db *db, int64_t *added, struct bw_error *err);

/* ---- the module as main sees it ---- */
/* Routes (/feeds, /feeds/{feed}, /api/v1/feeds), the {feed} parameter, the
 * analysts' navigation entry and the periodic job kind "feeds.sync". */
void feeds_register(void);
/* The job: payload "" (every enabled source) or a source name. */
enum bw_err feeds_job_run(struct db *db, const struct db_job *job, struct bw_error *err);
/* Registers the shared data's local sources (KEV, the CVE 5 zip, the OSV
 * zips, the CISA CSAF zip) without syncing them, and disabled so that the
 * periodic job does not import the whole corpora behind every demo server
 * ("Sync now" or `bulwark feeds sync NAME` imports one; `feeds enable`
 * puts it on the schedule). Existing names are kept. */
enum bw_err feeds_demo_seed(struct db *db, const char *data_dir, struct bw_error *err);
/* `bulwark feeds ...` (argv[0] is "feeds"'s caller; argv[1] "feeds"). */
int feeds_cli(int argc, char **argv);
#define FEEDS_USAGE \
	"bulwark feeds add NAME --kind kev|cve5|osv|csaf --url URL|--path PATH [--key FILE] [--db DB]\n" \
	"bulwark feeds sync [NAME] [--db DB]\n" \
	"bulwark feeds status [NAME] [--db DB]\n" \
	"bulwark feeds list [--db DB]\n" \
	"bulwark feeds enable|disable NAME [--db DB]   (the periodic sync takes enabled sources)\n" \
	"  exit 0: done; 1: a sync failed (the previous state is kept); 2: usage;\n" \
	"  3: no such source; 4: done, but some records were refused (see status)"

#endif

/*
 * feeds_int: what the feeds module's files share and nothing outside uses:
 * the record readers (pure: bytes in, an item out; fuzzed), the archive
 * and folder walker with its limits, fetching, OpenPGP verification and
 * the sync in progress that importers hand their items to.
 */
#ifndef BW_FEEDS_INT_H
#define BW_FEEDS_INT_H

#include <jansson.h>

#include "feeds/feeds.h"

/* ---- what one record contributes to the vulnerabilities table ---- */
struct feeds_vuln {
	const char *id;             /* CVE id, else the record's own id */
	const char *aliases;        /* comma-separated, or NULL */
	const char *title, *description;
	int64_t published, modified; /* 0: not given */
	int cvss10;                 /* base score x 10; -1: none */
	const char *cvss_version, *cvss_vector, *severity, *cwe;
	bool is_kev;
	int64_t kev_added, kev_due;
	int kev_ransomware;         /* -1 unknown, 0, 1 */
	const char *kev_name;
};

/* One record read and checked, ready to stage. */
struct feeds_item {
	const char *entry_key;      /* unique within the source */
	const char *record_id;
	const char *raw;            /* the bytes as received (NUL-terminated) */
	size_t raw_n;
	char sha_hex[65];
	int64_t modified;
	bool withdrawn;
	struct feeds_vuln *vulns;
	size_t nvulns;
};

/* ---- records.c: the record readers ----
 * Each checks size, nesting depth, JSON syntax, the fields it needs and
 * that the match engine can compile the record; a refusal says why in err
 * (never a crash on any input). Strings go to arena a. */
/* Parses with the limits above; refusals name the fault. */
enum bw_err feeds_json_load(const char *p, size_t n, json_t **out, struct bw_error *err);
/* CVE JSON 5, OSV, or a CSAF document, from its raw bytes. */
enum bw_err feeds_record_read(struct arena *a, enum feeds_kind kind, const char *entry_key,
			      const char *p, size_t n, struct feeds_item *out, struct bw_error *err);
/* One KEV catalog entry (a vulnerabilities[] element): raw is its compact
 * form with sorted keys, so the same entry always hashes the same. */
enum bw_err feeds_kev_entry(struct arena *a, const json_t *v, struct feeds_item *out,
			    struct bw_error *err);
/* "2024-10-24T18:54:12Z", "...12.345Z", "...+01:00", "2024-10-24": unix
 * seconds, 0 when it cannot be read. */
int64_t feeds_time_parse(const char *s);
void feeds_sha256_hex(const void *p, size_t n, char out[65]);

/* ---- archive.c: zip archives and folders, entry by entry ----
 * Refuses the whole input (BW_ELIMIT / BW_EINVAL naming the entry) for a
 * path leaving the archive (absolute or ".."), more than FEEDS_LIM_ENTRIES
 * entries, more than FEEDS_LIM_TOTAL bytes uncompressed, or an entry that
 * inflates beyond FEEDS_LIM_RATIO times its compressed size (a zip bomb).
 * An entry merely larger than max_entry is skipped with its reason. */
struct feeds_walk {
	void *ctx;
	/* which entries to read (by name); others are passed over unread */
	bool (*want)(void *ctx, const char *name);
	/* an entry's bytes (NUL-terminated); a non-OK return stops the walk */
	enum bw_err (*entry)(void *ctx, const char *name, const char *p, size_t n, struct bw_error *err);
	/* an entry skipped, with its reason */
	void (*skip)(void *ctx, const char *name, const char *reason);
	size_t max_entry;           /* 0: FEEDS_LIM_RECORD */
};
/* A zip file, a folder (walked in name order, symbolic links not
 * followed), or a single file (one entry named by its base name). */
enum bw_err feeds_walk_path(const char *path, const struct feeds_walk *w, struct bw_error *err);
/* The same over a zip held in memory (tests, fuzzing). */
enum bw_err feeds_walk_zip_mem(const void *p, size_t n, const struct feeds_walk *w,
			       struct bw_error *err);

/* ---- fetch.c: http(s) with libcurl, or local files ---- */
struct feeds_http;
struct feeds_http *feeds_http_new(void);
void feeds_http_free(struct feeds_http *h);
/* Downloads url into a new temporary file (path filled, caller unlinks)
 * with If-None-Match / If-Modified-Since from etag_in / lm_in (may be
 * NULL or ""); *not_modified on 304 (no file then). etag_out and lm_out
 * get the response's validators. Bounded by FEEDS_LIM_FILE and the
 * time-outs. */
enum bw_err feeds_http_download(struct feeds_http *h, const char *url, const char *etag_in,
				const char *lm_in, char path[512], bool *not_modified,
				char etag_out[256], char lm_out[128], struct bw_error *err);
/* A small document into out (at most max bytes): http(s) through h, or,
 * when allow_local, a file:// URL or a plain path. */
enum bw_err feeds_get(struct feeds_http *h, const char *url, bool allow_local, size_t max,
		      struct buf *out, struct bw_error *err);
bool feeds_is_url(const char *s);     /* http:// or https:// */
/* Resolves ref (absolute URL, or relative to base's folder) into out. */
void feeds_url_resolve(const char *base, const char *ref, char *out, size_t n);
/* Reads a whole local file (at most max bytes). */
enum bw_err feeds_read_file(const char *path, size_t max, struct buf *out, struct bw_error *err);

/* ---- gpg.c: OpenPGP detached signatures with GPGME ---- */
struct feeds_gpg;
/* A private GNUPGHOME in a temporary folder holding only this key. */
enum bw_err feeds_gpg_open(struct feeds_gpg **out, const char *armoured_key, struct bw_error *err);
/* The fingerprint of the (first) imported key. */
const char *feeds_gpg_fpr(const struct feeds_gpg *g);
/* BW_OK when sig is a good signature of data by the imported key. */
enum bw_err feeds_gpg_verify(struct feeds_gpg *g, const char *data, size_t n, const char *sig,
			     size_t sn, struct bw_error *err);
void feeds_gpg_close(struct feeds_gpg *g);
/* The fingerprint of an armoured key, without keeping it. */
enum bw_err feeds_gpg_key_fpr(const char *armoured_key, char fpr[64], struct bw_error *err);

/* ---- sync.c: the sync in progress, as importers see it ---- */
struct feeds_run;
/* Marks entry_key as present in this sync; true when it is stored with
 * this sha256 already (nothing to do). */
bool feeds_run_unchanged(struct feeds_run *r, const char *entry_key, const char *sha_hex);
/* Counts one record (or entry) read from the source. */
void feeds_run_seen(struct feeds_run *r);
/* The same, by modification time (CSAF ROLIE entries, before fetching). */
bool feeds_run_same_modified(struct feeds_run *r, const char *entry_key, int64_t modified);
/* Stages an item (written with the sync's other rows when it completes). */
enum bw_err feeds_run_stage(struct feeds_run *r, const struct feeds_item *it, struct bw_error *err);
/* A refused record: counted, and kept as an example (the first ones). */
void feeds_run_refuse(struct feeds_run *r, const char *entry, const char *fmt, ...) BW_PRINTF(3, 4);
/* Entries whose identity could not be known were refused: no record may
 * then be taken as removed from the source. */
void feeds_run_unsure(struct feeds_run *r);
/* A per-record scratch arena the run empties after each stage. */
struct arena *feeds_run_arena(struct feeds_run *r);
const struct feeds_source *feeds_run_source(const struct feeds_run *r);

/* ---- csaf.c: CSAF providers and archives ---- */
enum bw_err feeds_csaf_import(struct feeds_run *r, struct feeds_http *h, struct feeds_gpg *g,
			      const char *location, struct bw_error *err);

/* ---- load.c ---- */
/* Root organisation (the national team) for audit records and ownership. */
bool feeds_root_org(struct db *db, struct org_ref *out);

#endif

/*
 * sync: one source brought up to date, all or nothing (see feeds.h).
 *
 * The stored entries of the source (entry key -> SHA-256) are read into a
 * hash table first, so an unchanged record costs one hash of its bytes and
 * no parse. Changed records are read, checked and buffered, then written to
 * the staging tables in batches, each batch its own short transaction. At
 * the end one transaction applies the staging rows with a few set-based
 * statements: records, changes, vulnerabilities, KEV flags, error examples,
 * counts. Entries the source no longer has are marked withdrawn (unless a
 * refused entry's identity was unknown: then nothing is assumed removed).
 * The same run, without a database, is feeds_check_path: every record read
 * and checked as a sync would, each refusal reported, nothing written.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feeds/feeds_int.h"

#define BATCH_ITEMS 256
#define BATCH_BYTES (32 * 1024 * 1024)
#define KEV_MAX_FILE (64 * 1024 * 1024)
#define RUNNING_STALE_S (4 * 3600)   /* a sync "running" longer than this died */

struct known {
	const char *key;
	char sha[65];
	int64_t modified;
	bool existed, was_withdrawn, seen;
	bool staged;              /* written in this sync: a second one is a duplicate */
};

struct staged {
	struct feeds_item it;
	const char *change;       /* "added", "updated", "withdrawn", "gone" */
};

struct feeds_run {
	struct db *db;
	struct feeds_source src;
	int64_t sync_id, started_ms;
	struct arena keep;        /* the table's keys */
	struct known *tab;
	size_t cap, used;
	struct arena scratch;     /* one record at a time */
	struct arena batch;       /* staged items until flushed */
	struct staged *pend;
	size_t npend, pend_bytes;
	int64_t seen, added, updated, unchanged, withdrawn, errors;
	bool unsure;
	struct feeds_error *ex;   /* examples, FEEDS_LIM_ERROR_EXAMPLES at most */
	size_t nex;
	/* a check (feeds_check_path): no database, every refusal reported */
	bool check;
	void (*on_refused)(void *ctx, const char *entry, const char *reason);
	void *refused_ctx;
	/* a partial sync (feeds_sync_only): the entries it takes */
	bool (*only)(void *ctx, const char *name);
	void *only_ctx;
};

/* ---- the table of stored entries ---- */

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct known *tab_find(struct feeds_run *r, const char *key, bool add)
{
	if (add && (r->used + 1) * 10 > r->cap * 7) {
		size_t ncap = r->cap ? r->cap * 2 : 1024;
		struct known *nt = calloc(ncap, sizeof *nt);
		if (!nt)
			abort();
		for (size_t i = 0; i < r->cap; i++)
			if (r->tab[i].key) {
				size_t j = hash_key(r->tab[i].key) & (ncap - 1);
				while (nt[j].key)
					j = (j + 1) & (ncap - 1);
				nt[j] = r->tab[i];
			}
		free(r->tab);
		r->tab = nt;
		r->cap = ncap;
	}
	if (!r->cap)
		return NULL;
	size_t j = hash_key(key) & (r->cap - 1);
	while (r->tab[j].key) {
		if (!strcmp(r->tab[j].key, key))
			return &r->tab[j];
		j = (j + 1) & (r->cap - 1);
	}
	if (!add)
		return NULL;
	r->tab[j].key = arena_strdup(&r->keep, key);
	r->used++;
	return &r->tab[j];
}

bool feeds_run_unchanged(struct feeds_run *r, const char *entry_key, const char *sha_hex)
{
	struct known *k = tab_find(r, entry_key, false);
	if (!k)
		return false;
	bool again = k->seen;
	k->seen = true;
	if (again || !k->existed || strcmp(k->sha, sha_hex) != 0)
		return false;
	r->unchanged++;
	return true;
}

void feeds_run_seen(struct feeds_run *r)
{
	r->seen++;
}

bool feeds_run_same_modified(struct feeds_run *r, const char *entry_key, int64_t modified)
{
	struct known *k = tab_find(r, entry_key, false);
	if (!k || !k->existed || k->seen || k->modified != modified || !modified)
		return false;
	k->seen = true;
	r->unchanged++;
	return true;
}

struct arena *feeds_run_arena(struct feeds_run *r)
{
	return &r->scratch;
}

const struct feeds_source *feeds_run_source(const struct feeds_run *r)
{
	return &r->src;
}

void feeds_run_unsure(struct feeds_run *r)
{
	r->unsure = true;
}

void feeds_run_refuse(struct feeds_run *r, const char *entry, const char *fmt, ...)
{
	r->errors++;
	if (entry) {
		/* a refused entry still exists in the source: its stored version stays */
		struct known *k = tab_find(r, entry, false);
		if (k)
			k->seen = true;
	}
	if (r->on_refused) {
		char why[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, sizeof why, fmt, ap);
		va_end(ap);
		r->on_refused(r->refused_ctx, entry ? entry : "", why);
	}
	if (r->nex >= FEEDS_LIM_ERROR_EXAMPLES)
		return;
	struct feeds_error *e = &r->ex[r->nex++];
	snprintf(e->entry, sizeof e->entry, "%s", entry ? entry : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof e->reason, fmt, ap);
	va_end(ap);
}

/* ---- staging ---- */

static void bind_opt_text(struct db_stmt *st, int i, const char *s)
{
	if (s && *s)
		db_bind_text(st, i, s);
	else
		db_bind_null(st, i);
}

static void bind_opt_i64(struct db_stmt *st, int i, int64_t v, bool present)
{
	if (present)
		db_bind_i64(st, i, v);
	else
		db_bind_null(st, i);
}

static enum bw_err flush_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct feeds_run *r = arg;
	for (size_t i = 0; i < r->npend; i++) {
		const struct staged *s = &r->pend[i];
		const struct feeds_item *it = &s->it;
		struct db_stmt *st = db_prep(db, "INSERT INTO feed_staging (sync_id, source_id, entry_key, record_id, sha256,"
						 " raw, modified, withdrawn, change) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
		db_bind_i64(st, 1, r->sync_id);
		db_bind_i64(st, 2, r->src.id);
		db_bind_text(st, 3, it->entry_key);
		db_bind_text(st, 4, it->record_id);
		db_bind_text(st, 5, it->sha_hex);
		if (it->raw)
			db_bind_textn(st, 6, it->raw, it->raw_n);
		else
			db_bind_null(st, 6);
		db_bind_i64(st, 7, it->modified);
		db_bind_i64(st, 8, it->withdrawn || !strcmp(s->change, "gone"));
		db_bind_text(st, 9, s->change);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "feed staging");
		for (size_t k = 0; k < it->nvulns; k++) {
			const struct feeds_vuln *v = &it->vulns[k];
			st = db_prep(db, "INSERT INTO feed_staging_vulns (sync_id, vuln_id, is_kev, aliases, title, description,"
					 " published, modified, cvss10, cvss_version, cvss_vector, severity, cwe, kev_added, kev_due,"
					 " kev_ransomware, kev_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
					 " ?14, ?15, ?16, ?17)");
			db_bind_i64(st, 1, r->sync_id);
			db_bind_text(st, 2, v->id);
			db_bind_i64(st, 3, v->is_kev);
			bind_opt_text(st, 4, v->aliases);
			bind_opt_text(st, 5, v->title);
			bind_opt_text(st, 6, v->description);
			bind_opt_i64(st, 7, v->published, v->published != 0);
			bind_opt_i64(st, 8, v->modified, v->modified != 0);
			bind_opt_i64(st, 9, v->cvss10, v->cvss10 >= 0);
			bind_opt_text(st, 10, v->cvss_version);
			bind_opt_text(st, 11, v->cvss_vector);
			bind_opt_text(st, 12, v->severity);
			bind_opt_text(st, 13, v->cwe);
			bind_opt_i64(st, 14, v->kev_added, v->is_kev && v->kev_added);
			bind_opt_i64(st, 15, v->kev_due, v->is_kev && v->kev_due);
			bind_opt_i64(st, 16, v->kev_ransomware, v->kev_ransomware >= 0);
			bind_opt_text(st, 17, v->kev_name);
			if (db_step(st) == DB_ERR)
				return db_fail(db, err, "feed staging");
		}
	}
	return BW_OK;
}

static enum bw_err flush(struct feeds_run *r, struct bw_error *err)
{
	if (!r->npend)
		return BW_OK;
	enum bw_err rc = db_tx(r->db, true, flush_tx, r, err);
	r->npend = 0;
	r->pend_bytes = 0;
	arena_free(&r->batch);
	arena_init(&r->batch);
	return rc;
}

static const char *dup_opt(struct arena *a, const char *s)
{
	return s ? arena_strdup(a, s) : NULL;
}

/* Copies an item (its strings live in the scratch arena) into the batch. */
static void keep_item(struct feeds_run *r, const struct feeds_item *in, const char *change)
{
	if (!r->pend) {
		r->pend = calloc(BATCH_ITEMS, sizeof *r->pend);
		if (!r->pend)
			abort();
	}
	struct arena *a = &r->batch;
	struct staged *s = &r->pend[r->npend++];
	s->change = change;
	struct feeds_item *it = &s->it;
	*it = *in;
	it->entry_key = arena_strdup(a, in->entry_key);
	it->record_id = arena_strdup(a, in->record_id);
	it->raw = in->raw ? arena_strndup(a, in->raw, in->raw_n) : NULL;
	it->vulns = in->nvulns ? arena_alloc(a, in->nvulns * sizeof *it->vulns) : NULL;
	for (size_t i = 0; i < in->nvulns; i++) {
		struct feeds_vuln *v = &it->vulns[i];
		*v = in->vulns[i];
		v->id = dup_opt(a, v->id);
		v->aliases = dup_opt(a, v->aliases);
		v->title = dup_opt(a, v->title);
		v->description = dup_opt(a, v->description);
		v->cvss_version = dup_opt(a, v->cvss_version);
		v->cvss_vector = dup_opt(a, v->cvss_vector);
		v->severity = dup_opt(a, v->severity);
		v->cwe = dup_opt(a, v->cwe);
		v->kev_name = dup_opt(a, v->kev_name);
	}
	r->pend_bytes += in->raw_n;
}

enum bw_err feeds_run_stage(struct feeds_run *r, const struct feeds_item *it, struct bw_error *err)
{
	struct known *k = tab_find(r, it->entry_key, true);
	if (k->staged) {
		feeds_run_refuse(r, it->entry_key, "appears more than once in the source; the first one was kept");
		arena_free(&r->scratch);
		arena_init(&r->scratch);
		return BW_OK;
	}
	k->seen = k->staged = true;
	const char *change;
	if (it->withdrawn)
		change = "withdrawn", r->withdrawn++;
	else if (k->existed)
		change = "updated", r->updated++;
	else
		change = "added", r->added++;
	if (!k->existed)
		snprintf(k->sha, sizeof k->sha, "%s", it->sha_hex);
	if (r->check) {
		/* read and checked is all a check does */
		arena_free(&r->scratch);
		arena_init(&r->scratch);
		return BW_OK;
	}
	keep_item(r, it, change);
	arena_free(&r->scratch);
	arena_init(&r->scratch);
	if (r->npend == BATCH_ITEMS || r->pend_bytes > BATCH_BYTES)
		return flush(r, err);
	return BW_OK;
}

/* ---- the importers of single files and archives ---- */

static bool want_json(void *ctx, const char *name)
{
	struct feeds_run *r = ctx;
	size_t n = strlen(name);
	return n > 5 && !strcmp(name + n - 5, ".json") && (!r->only || r->only(r->only_ctx, name));
}

static enum bw_err record_entry(void *ctx, const char *name, const char *p, size_t n, struct bw_error *err)
{
	struct feeds_run *r = ctx;
	r->seen++;
	char sha[65];
	feeds_sha256_hex(p, n, sha);
	if (feeds_run_unchanged(r, name, sha))
		return BW_OK;
	struct feeds_item it;
	struct bw_error e = { 0 };
	if (feeds_record_read(&r->scratch, r->src.kind, name, p, n, &it, &e) != BW_OK) {
		feeds_run_refuse(r, name, "%s", e.msg);
		arena_free(&r->scratch);
		arena_init(&r->scratch);
		return BW_OK;
	}
	return feeds_run_stage(r, &it, err);
}

static void record_skip(void *ctx, const char *name, const char *reason)
{
	struct feeds_run *r = ctx;
	r->seen++;
	feeds_run_refuse(r, name, "%s", reason);
}

static enum bw_err import_kev(struct feeds_run *r, const char *path, struct bw_error *err)
{
	struct buf b;
	buf_init(&b);
	enum bw_err rc = feeds_read_file(path, KEV_MAX_FILE, &b, err);
	json_t *j = NULL;
	if (rc == BW_OK && !bw_json_depth_ok(b.p, b.len, FEEDS_LIM_DEPTH))
		rc = bw_fail(err, BW_ELIMIT, "kev", "the KEV catalog is nested deeper than %d levels", FEEDS_LIM_DEPTH);
	if (rc == BW_OK) {
		json_error_t je;
		j = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, &je);
		if (!j)
			rc = bw_fail(err, BW_EINVAL, "kev", "the KEV catalog is not valid JSON: %s (line %d)", je.text, je.line);
	}
	buf_free(&b);
	const json_t *vs = json_object_get(j, "vulnerabilities");
	if (rc == BW_OK && !json_is_array(vs))
		rc = bw_fail(err, BW_EINVAL, "kev", "not a KEV catalog: no vulnerabilities list");
	size_t i;
	const json_t *v;
	if (rc == BW_OK)
		json_array_foreach(vs, i, v) {
			r->seen++;
			struct feeds_item it;
			struct bw_error e = { 0 };
			if (feeds_kev_entry(&r->scratch, v, &it, &e) != BW_OK) {
				const char *id = json_string_value(json_object_get(v, "cveID"));
				char where[64];
				snprintf(where, sizeof where, "vulnerabilities[%zu]", i);
				feeds_run_refuse(r, id && strlen(id) < 40 ? id : where, "%s", e.msg);
				if (!id)
					feeds_run_unsure(r);
				arena_free(&r->scratch);
				arena_init(&r->scratch);
				continue;
			}
			if (feeds_run_unchanged(r, it.entry_key, it.sha_hex)) {
				arena_free(&r->scratch);
				arena_init(&r->scratch);
				continue;
			}
			if ((rc = feeds_run_stage(r, &it, err)) != BW_OK)
				break;
		}
	json_decref(j);
	return rc;
}

static enum bw_err import_source(struct feeds_run *r, struct feeds_http *h, struct feeds_gpg *g, char *etag,
				 char *lm, bool *not_modified, struct bw_error *err)
{
	const char *loc = r->src.location;
	if (r->src.kind == FEEDS_CSAF) {
		size_t n = strlen(loc);
		bool zip = n > 4 && !strcmp(loc + n - 4, ".zip");
		if (!feeds_is_url(loc) || !zip)
			return feeds_csaf_import(r, h, g, loc, err);
	}
	char tmp[512] = "";
	const char *path = loc;
	if (feeds_is_url(loc)) {
		char e_in[256] = "", lm_in[128] = "";
		struct db_stmt *st = db_prep(r->db, "SELECT COALESCE(etag, ''), COALESCE(last_modified, '') FROM feed_sources WHERE id = ?1");
		db_bind_i64(st, 1, r->src.id);
		if (db_step(st) == DB_ROW) {
			snprintf(e_in, sizeof e_in, "%s", db_col_text(st, 0));
			snprintf(lm_in, sizeof lm_in, "%s", db_col_text(st, 1));
			db_reset(st);
		}
		if (feeds_http_download(h, loc, e_in, lm_in, tmp, not_modified, etag, lm, err) != BW_OK)
			return err->code;
		if (*not_modified)
			return BW_OK;
		path = tmp;
	}
	enum bw_err rc;
	if (r->src.kind == FEEDS_KEV) {
		rc = import_kev(r, path, err);
	} else if (r->src.kind == FEEDS_CVE5 || r->src.kind == FEEDS_OSV || r->src.kind == FEEDS_CSAF) {
		if (r->src.kind == FEEDS_CSAF)
			rc = feeds_csaf_import(r, h, g, path, err);
		else {
			struct feeds_walk w = { r, want_json, record_entry, record_skip, 0 };
			rc = feeds_walk_path(path, &w, err);
		}
	} else {
		rc = bw_fail(err, BW_EINVAL, "kind", "%s feeds cannot be synced yet", feeds_kind_name(r->src.kind));
	}
	if (tmp[0])
		unlink(tmp);
	return rc;
}

/* ---- start, apply, fail ---- */

static enum bw_err start_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct feeds_run *r = arg;
	int64_t now = bw_now();
	struct db_stmt *st = db_prep(db, "SELECT count(*) FROM feed_syncs WHERE source_id = ?1 AND ok IS NULL AND started > ?2");
	db_bind_i64(st, 1, r->src.id);
	db_bind_i64(st, 2, now - RUNNING_STALE_S);
	int64_t running = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	if (running)
		return bw_fail(err, BW_ECONFLICT, "name", "%s is being synced already", r->src.name);
	st = db_prep(db, "UPDATE feed_syncs SET ok = 0, finished = ?2, message = 'interrupted' WHERE source_id = ?1 AND ok IS NULL");
	db_bind_i64(st, 1, r->src.id);
	db_bind_i64(st, 2, now);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "feed sync");
	st = db_prep(db, "DELETE FROM feed_staging_vulns WHERE sync_id IN (SELECT id FROM feed_syncs WHERE source_id = ?1)");
	db_bind_i64(st, 1, r->src.id);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "feed staging");
	st = db_prep(db, "DELETE FROM feed_staging WHERE source_id = ?1");
	db_bind_i64(st, 1, r->src.id);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "feed staging");
	st = db_prep(db, "INSERT INTO feed_syncs (source_id, started) VALUES (?1, ?2) RETURNING id");
	db_bind_i64(st, 1, r->src.id);
	db_bind_i64(st, 2, now);
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "feed sync");
	r->sync_id = db_col_i64(st, 0);
	db_reset(st);
	st = db_prep(db, "UPDATE feed_sources SET last_started = ?2 WHERE id = ?1");
	db_bind_i64(st, 1, r->src.id);
	db_bind_i64(st, 2, now);
	return db_step(st) == DB_ERR ? db_fail(db, err, "feed source") : BW_OK;
}

static enum bw_err load_known(struct feeds_run *r, struct bw_error *err)
{
	struct db_stmt *st = db_prep(r->db, "SELECT entry_key, sha256, modified, withdrawn FROM feed_records WHERE source_id = ?1");
	db_bind_i64(st, 1, r->src.id);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct known *k = tab_find(r, db_col_text(st, 0), true);
		snprintf(k->sha, sizeof k->sha, "%s", db_col_text(st, 1));
		k->modified = db_col_i64(st, 2);
		k->was_withdrawn = db_col_i64(st, 3) != 0;
		k->existed = true;
	}
	return rc == DB_ERR ? db_fail(r->db, err, "feed records") : BW_OK;
}

/* Entries stored before and absent now: staged as gone. */
static enum bw_err stage_gone(struct feeds_run *r, struct bw_error *err)
{
	if (r->unsure)
		return flush(r, err);   /* the last batch still goes in */
	for (size_t i = 0; i < r->cap; i++) {
		struct known *k = &r->tab[i];
		if (!k->key || !k->existed || k->seen || k->was_withdrawn)
			continue;
		struct db_stmt *st = db_prep(r->db, "SELECT record_id FROM feed_records WHERE source_id = ?1 AND entry_key = ?2");
		db_bind_i64(st, 1, r->src.id);
		db_bind_text(st, 2, k->key);
		if (db_step(st) != DB_ROW)
			continue;
		struct feeds_item it = { .entry_key = k->key, .modified = k->modified };
		it.record_id = arena_strdup(&r->scratch, db_col_text(st, 0));
		db_reset(st);
		snprintf(it.sha_hex, sizeof it.sha_hex, "%s", k->sha);
		keep_item(r, &it, "gone");
		r->withdrawn++;
		arena_free(&r->scratch);
		arena_init(&r->scratch);
		if (r->npend == BATCH_ITEMS && flush(r, err) != BW_OK)
			return err->code;
	}
	return flush(r, err);
}

struct apply_args {
	struct feeds_run *r;
	bool not_modified;
	const char *etag, *lm;
	bool ok;
	const char *message;
};

static enum bw_err exec1(struct db *db, const char *sql, int64_t a, int64_t b, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, sql);
	db_bind_i64(st, 1, a);
	db_bind_i64(st, 2, b);
	return db_step(st) == DB_ERR ? db_fail(db, err, "feed apply") : BW_OK;
}

#define VULN_COLS "id, aliases, title, description, published, modified, cvss10, cvss_version, cvss_vector," \
	" severity, cwe, updated_at"
#define VULN_SELECT "SELECT vuln_id, aliases, title, description, published, modified, cvss10, cvss_version," \
	" cvss_vector, severity, cwe, CAST(?2 AS BIGINT) FROM feed_staging_vulns WHERE id IN (SELECT max(id) FROM feed_staging_vulns" \
	" WHERE sync_id = ?1 AND is_kev = 0 GROUP BY vuln_id)"

/* The CVE list is the authority on a CVE's own text and scores; other
 * sources only fill what it left empty. */
static const char sql_vuln_cve5[] =
	"INSERT INTO vulnerabilities (" VULN_COLS ") " VULN_SELECT " ON CONFLICT (id) DO UPDATE SET"
	" aliases = COALESCE(excluded.aliases, vulnerabilities.aliases), title = COALESCE(excluded.title, vulnerabilities.title),"
	" description = COALESCE(excluded.description, vulnerabilities.description),"
	" published = COALESCE(excluded.published, vulnerabilities.published),"
	" modified = COALESCE(excluded.modified, vulnerabilities.modified),"
	" cvss10 = COALESCE(excluded.cvss10, vulnerabilities.cvss10),"
	" cvss_version = CASE WHEN excluded.cvss10 IS NULL THEN vulnerabilities.cvss_version ELSE excluded.cvss_version END,"
	" cvss_vector = CASE WHEN excluded.cvss10 IS NULL THEN vulnerabilities.cvss_vector ELSE excluded.cvss_vector END,"
	" severity = CASE WHEN excluded.cvss10 IS NULL THEN vulnerabilities.severity ELSE excluded.severity END,"
	" cwe = COALESCE(excluded.cwe, vulnerabilities.cwe), updated_at = excluded.updated_at";
static const char sql_vuln_fill[] =
	"INSERT INTO vulnerabilities (" VULN_COLS ") " VULN_SELECT " ON CONFLICT (id) DO UPDATE SET"
	" aliases = COALESCE(vulnerabilities.aliases, excluded.aliases), title = COALESCE(vulnerabilities.title, excluded.title),"
	" description = COALESCE(vulnerabilities.description, excluded.description),"
	" published = COALESCE(vulnerabilities.published, excluded.published),"
	" modified = COALESCE(vulnerabilities.modified, excluded.modified),"
	" cvss10 = COALESCE(vulnerabilities.cvss10, excluded.cvss10),"
	" cvss_version = CASE WHEN vulnerabilities.cvss10 IS NULL THEN excluded.cvss_version ELSE vulnerabilities.cvss_version END,"
	" cvss_vector = COALESCE(vulnerabilities.cvss_vector, excluded.cvss_vector),"
	" severity = COALESCE(vulnerabilities.severity, excluded.severity),"
	" cwe = COALESCE(vulnerabilities.cwe, excluded.cwe), updated_at = excluded.updated_at";
static const char sql_vuln_kev[] =
	"INSERT INTO vulnerabilities (id, title, description, cwe, kev, kev_added, kev_due, kev_ransomware, kev_name, updated_at)"
	" SELECT vuln_id, title, description, cwe, 1, kev_added, kev_due, kev_ransomware, kev_name, CAST(?2 AS BIGINT) FROM feed_staging_vulns"
	" WHERE id IN (SELECT max(id) FROM feed_staging_vulns WHERE sync_id = ?1 AND is_kev = 1 GROUP BY vuln_id)"
	" ON CONFLICT (id) DO UPDATE SET kev = 1, kev_added = excluded.kev_added, kev_due = excluded.kev_due,"
	" kev_ransomware = excluded.kev_ransomware, kev_name = excluded.kev_name,"
	" title = COALESCE(vulnerabilities.title, excluded.title),"
	" description = COALESCE(vulnerabilities.description, excluded.description),"
	" cwe = COALESCE(vulnerabilities.cwe, excluded.cwe), updated_at = excluded.updated_at";

static enum bw_err finish_rows(struct db *db, struct apply_args *a, struct bw_error *err)
{
	struct feeds_run *r = a->r;
	int64_t now = bw_now(), dur = bw_now_ms() - r->started_ms;
	struct db_stmt *st;
	if (!a->not_modified) {
		/* a 304 reads no record: the last sync's refusals still stand */
		st = db_prep(db, "DELETE FROM feed_errors WHERE source_id = ?1");
		db_bind_i64(st, 1, r->src.id);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "feed errors");
	}
	for (size_t i = 0; i < r->nex; i++) {
		st = db_prep(db, "INSERT INTO feed_errors (source_id, sync_id, entry, reason, at) VALUES (?1, ?2, ?3, ?4, ?5)");
		db_bind_i64(st, 1, r->src.id);
		db_bind_i64(st, 2, r->sync_id);
		db_bind_text(st, 3, r->ex[i].entry);
		db_bind_text(st, 4, r->ex[i].reason);
		db_bind_i64(st, 5, now);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "feed errors");
	}
	st = db_prep(db, "UPDATE feed_syncs SET finished = ?2, ok = ?3, not_modified = ?4, seen = ?5, added = ?6, updated = ?7,"
			 " unchanged = ?8, withdrawn = ?9, errors = ?10, duration_ms = ?11, message = ?12 WHERE id = ?1");
	db_bind_i64(st, 1, r->sync_id);
	db_bind_i64(st, 2, now);
	db_bind_i64(st, 3, a->ok);
	db_bind_i64(st, 4, a->not_modified);
	db_bind_i64(st, 5, r->seen);
	db_bind_i64(st, 6, a->ok ? r->added : 0);
	db_bind_i64(st, 7, a->ok ? r->updated : 0);
	db_bind_i64(st, 8, r->unchanged);
	db_bind_i64(st, 9, a->ok ? r->withdrawn : 0);
	db_bind_i64(st, 10, r->errors);
	db_bind_i64(st, 11, dur);
	bind_opt_text(st, 12, a->message);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "feed sync");
	if (a->ok) {
		st = db_prep(db, "UPDATE feed_sources SET last_finished = ?2, last_ok = ?2, last_failed = 0,"
				 " errors = CASE WHEN ?8 = 1 THEN errors ELSE ?3 END,"
				 " duration_ms = ?4, last_error = NULL, last_sync_id = ?5,"
				 " etag = CASE WHEN ?6 = '' THEN etag ELSE ?6 END,"
				 " last_modified = CASE WHEN ?7 = '' THEN last_modified ELSE ?7 END,"
				 " records = (SELECT count(*) FROM feed_records WHERE source_id = ?1 AND withdrawn = 0),"
				 " withdrawn = (SELECT count(*) FROM feed_records WHERE source_id = ?1 AND withdrawn = 1)"
				 " WHERE id = ?1");
		db_bind_text(st, 6, a->etag ? a->etag : "");
		db_bind_text(st, 7, a->lm ? a->lm : "");
		db_bind_i64(st, 8, a->not_modified);
	} else {
		st = db_prep(db, "UPDATE feed_sources SET last_finished = ?2, last_failed = 1, errors = ?3, duration_ms = ?4,"
				 " last_error = ?6, last_sync_id = ?5 WHERE id = ?1");
		db_bind_text(st, 6, a->message ? a->message : "failed");
	}
	db_bind_i64(st, 1, r->src.id);
	db_bind_i64(st, 2, now);
	db_bind_i64(st, 3, r->errors);
	db_bind_i64(st, 4, dur);
	db_bind_i64(st, 5, r->sync_id);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "feed source");
	st = db_prep(db, "DELETE FROM feed_staging_vulns WHERE sync_id = ?1");
	db_bind_i64(st, 1, r->sync_id);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "feed staging");
	st = db_prep(db, "DELETE FROM feed_staging WHERE sync_id = ?1");
	db_bind_i64(st, 1, r->sync_id);
	return db_step(st) == DB_ERR ? db_fail(db, err, "feed staging") : BW_OK;
}

static enum bw_err apply_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct apply_args *a = arg;
	struct feeds_run *r = a->r;
	int64_t now = bw_now();
	struct db_stmt *st = db_prep(db,
		"INSERT INTO feed_records (source_id, entry_key, record_id, sha256, raw, modified, withdrawn, updated_at)"
		" SELECT source_id, entry_key, record_id, sha256, raw, modified, withdrawn, CAST(?2 AS BIGINT) FROM feed_staging"
		" WHERE sync_id = ?1 AND change <> 'gone' ORDER BY id"
		" ON CONFLICT (source_id, entry_key) DO UPDATE SET record_id = excluded.record_id, sha256 = excluded.sha256,"
		" raw = excluded.raw, modified = excluded.modified, withdrawn = excluded.withdrawn, updated_at = excluded.updated_at");
	db_bind_i64(st, 1, r->sync_id);
	db_bind_i64(st, 2, now);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "feed records");
	st = db_prep(db, "UPDATE feed_records SET withdrawn = 1, updated_at = ?3 WHERE source_id = ?2 AND entry_key IN"
			 " (SELECT entry_key FROM feed_staging WHERE sync_id = ?1 AND change = 'gone')");
	db_bind_i64(st, 1, r->sync_id);
	db_bind_i64(st, 2, r->src.id);
	db_bind_i64(st, 3, now);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "feed records");
	st = db_prep(db, "INSERT INTO feed_changes (source_id, sync_id, entry_key, record_id, change, at)"
			 " SELECT source_id, sync_id, entry_key, record_id,"
			 " CASE WHEN change = 'gone' THEN 'withdrawn' ELSE change END, CAST(?2 AS BIGINT) FROM feed_staging WHERE sync_id = ?1 ORDER BY id");
	db_bind_i64(st, 1, r->sync_id);
	db_bind_i64(st, 2, now);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "feed changes");
	const char *vsql = r->src.kind == FEEDS_CVE5 ? sql_vuln_cve5 : sql_vuln_fill;
	if (exec1(db, vsql, r->sync_id, now, err) != BW_OK || exec1(db, sql_vuln_kev, r->sync_id, now, err) != BW_OK)
		return err->code;
	if (r->src.kind == FEEDS_KEV) {
		/* a CVE taken off the catalog loses its flag */
		st = db_prep(db, "UPDATE vulnerabilities SET kev = 0, updated_at = ?2 WHERE id IN"
				 " (SELECT record_id FROM feed_staging WHERE sync_id = ?1 AND (change = 'gone' OR withdrawn = 1))");
		db_bind_i64(st, 1, r->sync_id);
		db_bind_i64(st, 2, now);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "vulnerabilities");
	}
	return finish_rows(db, a, err);
}

static enum bw_err fail_tx(struct db *db, void *arg, struct bw_error *err)
{
	return finish_rows(db, arg, err);
}

/* A run's memory: the arenas, the error examples and its tables. */
static struct feeds_run *run_new(void)
{
	struct feeds_run *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	arena_init(&r->keep);
	arena_init(&r->scratch);
	arena_init(&r->batch);
	r->ex = calloc(FEEDS_LIM_ERROR_EXAMPLES, sizeof *r->ex);
	if (!r->ex)
		abort();
	return r;
}

static void run_free(struct feeds_run *r)
{
	free(r->tab);
	free(r->pend);
	free(r->ex);
	arena_free(&r->keep);
	arena_free(&r->scratch);
	arena_free(&r->batch);
	free(r);
}

struct audit_args {
	const struct actor *by;
	const struct feeds_run *r;
	const char *summary;
};

static enum bw_err audit_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct audit_args *a = arg;
	struct org_ref root = { 0 };
	feeds_root_org(db, &root);
	char obj[96];
	snprintf(obj, sizeof obj, "feed:%s", a->r->src.name);
	struct audit_rec rec = { a->by ? a->by->user_id : 0, a->by ? a->by->email : "system", root.id, "feeds.sync", obj,
				 a->summary };
	return audit_append(db, &rec, err);
}

static enum bw_err sync_run(struct db *db, const struct actor *by, const char *name,
			    bool (*only)(void *ctx, const char *name), void *only_ctx, struct feeds_sync_result *res,
			    struct bw_error *err)
{
	struct feeds_sync_result dummy;
	if (!res)
		res = &dummy;
	memset(res, 0, sizeof *res);
	struct feeds_run *r = run_new();
	r->db = db;
	r->only = only;
	r->only_ctx = only_ctx;
	/* a partial sync reads part of the source: nothing in it may be taken as removed */
	r->unsure = only != NULL;
	r->started_ms = bw_now_ms();
	struct feeds_http *h = NULL;
	struct feeds_gpg *g = NULL;
	char etag[256] = "", lm[128] = "";
	bool not_modified = false;
	enum bw_err rc = feeds_source_get(db, name, &r->src, err);
	if (rc == BW_OK && (unsigned)r->src.kind >= FEEDS_KIND_COUNT)
		rc = bw_fail(err, BW_EINVAL, "kind", "%s has an unknown kind", name);
	if (rc == BW_OK)
		rc = db_tx(db, true, start_tx, r, err);
	if (rc != BW_OK)
		goto out;
	log_info("feeds: sync of %s (%s) from %s", r->src.name, feeds_kind_name(r->src.kind), r->src.location);
	rc = load_known(r, err);
	if (rc == BW_OK && r->src.key_fpr[0]) {
		struct db_stmt *st = db_prep(db, "SELECT key_armoured FROM feed_sources WHERE id = ?1");
		db_bind_i64(st, 1, r->src.id);
		if (db_step(st) == DB_ROW) {
			char *key = strdup(db_col_text(st, 0) ? db_col_text(st, 0) : "");
			db_reset(st);
			rc = feeds_gpg_open(&g, key, err);
			free(key);
			if (rc == BW_OK && strcmp(feeds_gpg_fpr(g), r->src.key_fpr) != 0)
				rc = bw_fail(err, BW_EINVAL, "key", "the stored key's fingerprint changed");
		}
	}
	if (rc == BW_OK) {
		h = feeds_http_new();
		rc = import_source(r, h, g, etag, lm, &not_modified, err);
	}
	if (rc == BW_OK && !not_modified)
		rc = stage_gone(r, err);
	else if (rc == BW_OK)
		rc = flush(r, err);

	struct apply_args a = { r, not_modified, etag, lm, rc == BW_OK, NULL };
	char msg[600];
	if (rc == BW_OK) {
		if (not_modified)
			a.message = "not modified since the last sync";
		rc = db_tx(db, true, apply_tx, &a, err);
	}
	if (rc != BW_OK) {
		/* nothing of this sync reaches the records; its failure is recorded */
		snprintf(msg, sizeof msg, "%s", err->msg);
		a.ok = false;
		a.message = msg;
		struct bw_error e2 = { 0 };
		if (db_tx(db, true, fail_tx, &a, &e2) != BW_OK)
			log_error("feeds: recording the failure of %s: %s", r->src.name, e2.msg);
	}
	res->sync_id = r->sync_id;
	res->not_modified = not_modified;
	res->seen = r->seen;
	res->added = a.ok ? r->added : 0;
	res->updated = a.ok ? r->updated : 0;
	res->unchanged = r->unchanged;
	res->withdrawn = a.ok ? r->withdrawn : 0;
	res->errors = r->errors;
	res->duration_ms = bw_now_ms() - r->started_ms;
	char sum[512];
	if (a.ok)
		snprintf(sum, sizeof sum, "Synced %s%s: %lld added, %lld updated, %lld withdrawn, %lld unchanged, %lld refused%s",
			 r->src.name, r->only ? " (some entries only)" : "", (long long)res->added, (long long)res->updated,
			 (long long)res->withdrawn, (long long)res->unchanged, (long long)res->errors,
			 not_modified ? " (not modified)" : "");
	else
		snprintf(sum, sizeof sum, "Sync of %s failed, previous state kept: %.400s", r->src.name, msg);
	log_info("feeds: %s (%lld ms)", sum, (long long)res->duration_ms);
	struct audit_args aa = { by, r, sum };
	struct bw_error e3 = { 0 };
	if (db_tx(db, true, audit_tx, &aa, &e3) != BW_OK)
		log_error("feeds: audit: %s", e3.msg);
	if (a.ok && (res->added || res->updated || res->withdrawn)) {
		int64_t added = 0;
		if (feeds_dictionary_refresh(db, &added, &e3) != BW_OK)
			log_warn("feeds: CPE dictionary not refreshed: %s", e3.msg);
	}
out:
	feeds_http_free(h);
	feeds_gpg_close(g);
	run_free(r);
	return rc;
}

enum bw_err feeds_sync(struct db *db, const struct actor *by, const char *name, struct feeds_sync_result *res,
		       struct bw_error *err)
{
	return sync_run(db, by, name, NULL, NULL, res, err);
}

enum bw_err feeds_sync_only(struct db *db, const struct actor *by, const char *name,
			    bool (*only)(void *ctx, const char *name), void *ctx, struct feeds_sync_result *res,
			    struct bw_error *err)
{
	struct feeds_source s;
	if (feeds_source_get(db, name, &s, err) != BW_OK)
		return err->code;
	if (s.kind != FEEDS_CVE5 && s.kind != FEEDS_OSV)
		return bw_fail(err, BW_EINVAL, "kind", "only CVE 5 and OSV sources can be synced in part");
	return sync_run(db, by, name, only, ctx, res, err);
}

enum bw_err feeds_check_path(enum feeds_kind kind, const char *path,
			     void (*on_refused)(void *ctx, const char *entry, const char *reason), void *ctx,
			     struct feeds_check_result *out, struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	if (kind != FEEDS_KEV && kind != FEEDS_CVE5 && kind != FEEDS_OSV && kind != FEEDS_CSAF)
		return bw_fail(err, BW_EINVAL, "kind", "%s feeds cannot be read yet", feeds_kind_name(kind));
	if (feeds_is_url(path))
		return bw_fail(err, BW_EINVAL, "path", "a check reads local files only");
	struct feeds_run *r = run_new();
	r->check = true;
	r->on_refused = on_refused;
	r->refused_ctx = ctx;
	r->src.kind = kind;
	snprintf(r->src.name, sizeof r->src.name, "check");
	snprintf(r->src.location, sizeof r->src.location, "%s", path);
	struct feeds_http *h = feeds_http_new();
	char etag[256] = "", lm[128] = "";
	bool not_modified = false;
	enum bw_err rc = import_source(r, h, NULL, etag, lm, &not_modified, err);
	out->seen = r->seen;
	out->records = r->added;
	out->withdrawn = r->withdrawn;
	out->refused = r->errors;
	feeds_http_free(h);
	run_free(r);
	return rc;
}

enum bw_err feeds_sync_all(struct db *db, const struct actor *by, struct bw_error *err)
{
	struct feeds_source *s;
	size_t n;
	if (feeds_source_list(db, &s, &n, err) != BW_OK)
		return err->code;
	enum bw_err first = BW_OK;
	for (size_t i = 0; i < n; i++) {
		if (!s[i].enabled)
			continue;
		struct bw_error e = { 0 };
		if (feeds_sync(db, by, s[i].name, NULL, &e) != BW_OK && first == BW_OK) {
			first = e.code;
			*err = e;
		}
	}
	free(s);
	return first;
}

enum bw_err feeds_job_run(struct db *db, const struct db_job *job, struct bw_error *err)
{
	const char *p = job && job->payload ? job->payload : "";
	if (*p)
		return feeds_sync(db, NULL, p, NULL, err);
	return feeds_sync_all(db, NULL, err);
}

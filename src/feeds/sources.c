/*
 * sources: the configured feed sources — a name, a kind and where the feed
 * comes from (a URL or a local path), with the CSAF provider's OpenPGP key
 * when one is configured — and the status each sync leaves on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feeds/feeds_int.h"

static const char *const kind_names[FEEDS_KIND_COUNT] = { "kev", "cve5", "osv", "csaf", "nvd" };

const char *feeds_kind_name(enum feeds_kind k)
{
	return (unsigned)k < FEEDS_KIND_COUNT ? kind_names[k] : "unknown";
}

bool feeds_kind_parse(const char *s, enum feeds_kind *out)
{
	for (int i = 0; s && i < FEEDS_KIND_COUNT; i++)
		if (!strcmp(s, kind_names[i])) {
			*out = (enum feeds_kind)i;
			return true;
		}
	return false;
}

static enum bw_err check_name(const char *name, struct bw_error *err)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > FEEDS_LIM_NAME)
		return bw_fail(err, BW_EINVAL, "name", "Enter a source name of 1 to %d characters", FEEDS_LIM_NAME);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return bw_fail(err, BW_EINVAL, "name",
				       "A source name may only use lower-case letters, digits, '.', '_' and '-'");
	return BW_OK;
}

struct add_args {
	const struct actor *by;
	const char *name, *location, *key, *fpr;
	enum feeds_kind kind;
	int64_t id;
};

static enum bw_err add_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct add_args *a = arg;
	struct db_stmt *st = db_prep(db, "INSERT INTO feed_sources (name, kind, location, key_armoured, key_fpr, created_at)"
					 " VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id");
	db_bind_text(st, 1, a->name);
	db_bind_text(st, 2, feeds_kind_name(a->kind));
	db_bind_text(st, 3, a->location);
	db_bind_text(st, 4, a->key);
	db_bind_text(st, 5, a->fpr);
	db_bind_i64(st, 6, bw_now());
	if (db_step(st) != DB_ROW) {
		if (db_errcode(db) == BW_ECONFLICT)
			return bw_fail(err, BW_ECONFLICT, "name", "A feed source called %s already exists", a->name);
		return db_fail(db, err, "feed source");
	}
	a->id = db_col_i64(st, 0);
	db_reset(st);
	struct org_ref root = { 0 };
	feeds_root_org(db, &root);
	char obj[96], sum[512];
	snprintf(obj, sizeof obj, "feed:%s", a->name);
	snprintf(sum, sizeof sum, "Added %s feed source %s (%.300s)%s", feeds_kind_name(a->kind), a->name, a->location,
		 a->fpr ? ", signatures checked" : "");
	struct audit_rec r = { a->by ? a->by->user_id : 0, a->by ? a->by->email : "system", root.id, "feeds.add", obj, sum };
	return audit_append(db, &r, err);
}

enum bw_err feeds_source_add(struct db *db, const struct actor *by, const char *name, enum feeds_kind kind,
			     const char *location, const char *key_armoured, int64_t *id_out, struct bw_error *err)
{
	if (check_name(name, err) != BW_OK)
		return err->code;
	if ((unsigned)kind >= FEEDS_KIND_COUNT)
		return bw_fail(err, BW_EINVAL, "kind", "Choose a kind: kev, cve5, osv or csaf");
	if (!location || !*location || strlen(location) > FEEDS_LIM_LOCATION)
		return bw_fail(err, BW_EINVAL, "location", "Give a URL or a path of at most %d characters", FEEDS_LIM_LOCATION);
	if (!strncmp(location, "ftp:", 4) || (strstr(location, "://") && !feeds_is_url(location)))
		return bw_fail(err, BW_EINVAL, "location", "Only http and https URLs, or local paths, can be fetched");
	char fpr[64] = "";
	if (key_armoured && *key_armoured) {
		if (kind != FEEDS_CSAF)
			return bw_fail(err, BW_EINVAL, "key", "Only CSAF providers sign their files");
		if (feeds_gpg_key_fpr(key_armoured, fpr, err) != BW_OK)
			return err->code;
	}
	struct add_args a = { by, name, location, key_armoured && *key_armoured ? key_armoured : NULL,
			      fpr[0] ? fpr : NULL, kind, 0 };
	if (db_tx(db, true, add_tx, &a, err) != BW_OK)
		return err->code;
	if (id_out)
		*id_out = a.id;
	return BW_OK;
}

#define SOURCE_COLS \
	"id, name, kind, location, enabled, COALESCE(key_fpr, ''), last_started, last_finished, last_ok, last_failed," \
	" records, withdrawn, errors, duration_ms, COALESCE(last_error, '')"

static void source_row(struct db_stmt *st, struct feeds_source *s)
{
	memset(s, 0, sizeof *s);
	s->id = db_col_i64(st, 0);
	snprintf(s->name, sizeof s->name, "%s", db_col_text(st, 1));
	if (!feeds_kind_parse(db_col_text(st, 2), &s->kind))
		s->kind = FEEDS_KIND_COUNT;
	snprintf(s->location, sizeof s->location, "%s", db_col_text(st, 3));
	s->enabled = db_col_i64(st, 4) != 0;
	snprintf(s->key_fpr, sizeof s->key_fpr, "%s", db_col_text(st, 5));
	s->last_started = db_col_i64(st, 6);
	s->last_finished = db_col_i64(st, 7);
	s->last_ok = db_col_i64(st, 8);
	s->last_failed = db_col_i64(st, 9) != 0;
	s->records = db_col_i64(st, 10);
	s->withdrawn = db_col_i64(st, 11);
	s->errors = db_col_i64(st, 12);
	s->duration_ms = db_col_i64(st, 13);
	snprintf(s->last_error, sizeof s->last_error, "%s", db_col_text(st, 14));
}

enum bw_err feeds_source_get(struct db *db, const char *name, struct feeds_source *out, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "SELECT " SOURCE_COLS " FROM feed_sources WHERE name = ?1");
	db_bind_text(st, 1, name);
	int rc = db_step(st);
	if (rc == DB_ERR)
		return db_fail(db, err, "feed source");
	if (rc != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, "name", "There is no feed source called %.100s", name ? name : "");
	source_row(st, out);
	db_reset(st);
	return BW_OK;
}

enum bw_err feeds_source_list(struct db *db, struct feeds_source **out, size_t *n, struct bw_error *err)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	struct db_stmt *st = db_prep(db, "SELECT " SOURCE_COLS " FROM feed_sources ORDER BY name");
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct feeds_source *p = realloc(*out, cap * sizeof *p);
			if (!p)
				abort();
			*out = p;
		}
		source_row(st, &(*out)[(*n)++]);
	}
	if (rc == DB_ERR) {
		free(*out);
		*out = NULL;
		*n = 0;
		return db_fail(db, err, "feed sources");
	}
	return BW_OK;
}

size_t feeds_errors_get(struct db *db, int64_t source_id, struct feeds_error *out, size_t max)
{
	struct db_stmt *st = db_prep(db, "SELECT entry, reason FROM feed_errors WHERE source_id = ?1 ORDER BY id LIMIT ?2");
	db_bind_i64(st, 1, source_id);
	db_bind_i64(st, 2, (int64_t)max);
	size_t n = 0;
	while (n < max && db_step(st) == DB_ROW) {
		snprintf(out[n].entry, sizeof out[n].entry, "%s", db_col_text(st, 0));
		snprintf(out[n].reason, sizeof out[n].reason, "%s", db_col_text(st, 1));
		n++;
	}
	if (n == max)
		db_reset(st);
	return n;
}

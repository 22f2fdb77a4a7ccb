/*
 * scan: events in, findings out. The engine's findings are collected in
 * memory while the events stream past (bounded by FINDINGS_LIM_PER_SCAN),
 * then written in short transactions; a finding whose rule-and-event hash
 * is already stored for the organisation is counted as a duplicate, not
 * stored again. Uploads wait in the database as chunks until the job
 * runner scans them, so any worker process can take the job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "findings/findings_int.h"

#define SCAN_BATCH 500   /* findings per write transaction */

struct hit {
	int64_t rule_id;
	const char *level, *tags, *host, *time, *channel, *fields;
	int64_t event_id;     /* -1 when the matched fields do not name it */
	char dedupe[65];
};

struct collect {
	const struct findings_engine *fe;
	struct arena arena;
	struct hit *hits;
	size_t n, cap;
	int64_t dropped;
};

static void json_escaped(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c < 0x20) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
}

static void on_finding(void *vctx, const struct detect_finding *f)
{
	struct collect *c = vctx;
	if (c->n >= FINDINGS_LIM_PER_SCAN) {
		c->dropped++;
		return;
	}
	int64_t rule_id = findings_engine_rule_id(c->fe, f->rule);
	if (!rule_id)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct hit *g = realloc(c->hits, cap * sizeof *g);
		if (!g) {
			c->dropped++;
			return;
		}
		c->hits = g;
		c->cap = cap;
	}
	struct hit *h = &c->hits[c->n];
	memset(h, 0, sizeof *h);
	h->rule_id = rule_id;
	h->event_id = -1;
	h->level = f->rule->level ? f->rule->level : "";
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; f->rule->tags && f->rule->tags[i]; i++) {
		if (i)
			buf_putc(&b, ' ');
		buf_puts(&b, f->rule->tags[i]);
	}
	h->tags = arena_strdup(&c->arena, buf_cstr(&b));
	h->host = arena_strdup(&c->arena, f->computer ? f->computer : "");
	h->time = arena_strdup(&c->arena, f->time ? f->time : "");
	h->channel = "";
	/* the matched fields as a JSON array of [name, value], and the hash of
	 * rule and event that makes a re-sent event a duplicate */
	buf_reset(&b);
	struct buf key;
	buf_init(&key);
	buf_puts(&key, f->rule->id ? f->rule->id : "");
	buf_putc(&key, 0);
	buf_puts(&key, h->host);
	buf_putc(&key, 0);
	buf_puts(&key, h->time);
	buf_putc(&key, 0);
	buf_putc(&b, '[');
	for (size_t i = 0; i < f->nfields; i++) {
		const struct detect_field_value *v = &f->fields[i];
		size_t vl = v->len;
		if (!bw_valid_utf8(v->value, vl))
			continue;
		buf_add(&key, v->name, strlen(v->name));
		buf_putc(&key, '=');
		buf_add(&key, v->value, vl);
		buf_putc(&key, 0);
		if (b.len + vl + strlen(v->name) > FINDINGS_LIM_FIELDS_JSON)
			continue;   /* kept in the hash, left out of what is shown */
		if (b.len > 1)
			buf_putc(&b, ',');
		buf_putc(&b, '[');
		json_escaped(&b, v->name, strlen(v->name));
		buf_putc(&b, ',');
		json_escaped(&b, v->value, vl);
		buf_putc(&b, ']');
		if (strcmp(v->name, "Channel") == 0 && !*h->channel)
			h->channel = arena_strndup(&c->arena, v->value, vl < 200 ? vl : 200);
		if (strcmp(v->name, "EventID") == 0 && h->event_id < 0) {
			int64_t id;
			if (str_to_i64((struct str){ v->value, vl }, 0, 1000000, &id))
				h->event_id = id;
		}
	}
	buf_putc(&b, ']');
	h->fields = arena_strdup(&c->arena, buf_cstr(&b));
	uint8_t dig[32];
	bw_sha256(key.p ? key.p : "", key.len, dig);
	bw_hex(dig, sizeof dig, h->dedupe);
	buf_free(&key);
	buf_free(&b);
	c->n++;
}

bool findings_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	if (!s || sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) < 3)
		return false;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return false;
	/* days from civil (Howard Hinnant's algorithm) */
	int64_t yy = mo <= 2 ? y - 1 : y;
	int64_t era = yy / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	*out = days * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

struct store {
	int64_t org_id, upload_id;
	const char *source;
	const struct hit *hits;
	size_t from, to;
	int64_t added, dups;
};

static enum bw_err store_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct store *s = arg;
	s->added = s->dups = 0;
	int64_t now = bw_now();
	for (size_t i = s->from; i < s->to; i++) {
		const struct hit *h = &s->hits[i];
		struct db_stmt *st = db_prep(db,
			"INSERT INTO findings (org_id, rule_id, level, tags, host, event_time, event_at, channel, event_id,"
			" fields, source, upload_id, dedupe, state, created_at)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'new', ?14)"
			" ON CONFLICT (org_id, dedupe) DO NOTHING");
		db_bind_i64(st, 1, s->org_id);
		db_bind_i64(st, 2, h->rule_id);
		db_bind_text(st, 3, h->level);
		db_bind_text(st, 4, h->tags);
		db_bind_text(st, 5, h->host);
		db_bind_text(st, 6, h->time);
		int64_t at;
		if (findings_parse_time(h->time, &at))
			db_bind_i64(st, 7, at);
		else
			db_bind_null(st, 7);
		db_bind_text(st, 8, h->channel);
		if (h->event_id >= 0)
			db_bind_i64(st, 9, h->event_id);
		else
			db_bind_null(st, 9);
		db_bind_text(st, 10, h->fields);
		db_bind_text(st, 11, s->source);
		if (s->upload_id)
			db_bind_i64(st, 12, s->upload_id);
		else
			db_bind_null(st, 12);
		db_bind_text(st, 13, h->dedupe);
		db_bind_i64(st, 14, now);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "store finding");
		if (db_changes(db) == 0) {
			s->dups++;
			continue;
		}
		s->added++;
		st = db_prep(db, "UPDATE detect_rules SET hits = hits + 1 WHERE id = ?1");
		db_bind_i64(st, 1, h->rule_id);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "rule hits");
	}
	return BW_OK;
}

static enum bw_err store_all(struct db *db, int64_t org_id, const char *source, int64_t upload_id,
			     const struct collect *c, struct findings_scan *out, struct bw_error *err)
{
	for (size_t from = 0; from < c->n; from += SCAN_BATCH) {
		struct store s = { org_id, upload_id, source, c->hits, from,
				   from + SCAN_BATCH < c->n ? from + SCAN_BATCH : c->n, 0, 0 };
		enum bw_err rc = db_tx(db, true, store_tx, &s, err);
		if (rc != BW_OK)
			return rc;
		out->findings += s.added;
		out->duplicates += s.dups;
	}
	out->dropped += c->dropped;
	return BW_OK;
}

static void collect_free(struct collect *c)
{
	free(c->hits);
	arena_free(&c->arena);
}

static void stats_into(const struct detect_stats *st, struct findings_scan *out)
{
	out->events += (int64_t)st->events;
	out->damaged += (int64_t)(st->bad_records + st->oversize + st->bad_utf8);
}

enum bw_err findings_scan_json(struct db *db, int64_t org_id, const char *text, size_t n,
			       const char *source, int64_t upload_id, struct findings_scan *out,
			       struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	struct findings_engine *fe;
	enum bw_err rc = findings_engine_acquire(db, &fe, err);
	if (rc != BW_OK)
		return rc;
	struct detect_scanner *sc = detect_scanner_new(fe->e, DETECT_FAST);
	if (!sc) {
		findings_engine_release(fe);
		return bw_fail(err, BW_EINTERNAL, "", "out of memory");
	}
	struct collect c = { .fe = fe };
	arena_init(&c.arena);
	struct detect_stats st = { 0 };
	detect_scan_json(sc, text, n, source, on_finding, &c, &st);
	detect_scanner_finish(sc, on_finding, &c, &st);
	detect_scanner_free(sc);
	stats_into(&st, out);
	rc = store_all(db, org_id, source, upload_id, &c, out, err);
	collect_free(&c);
	findings_engine_release(fe);
	return rc;
}

enum bw_err findings_scan_file(struct db *db, int64_t org_id, const char *path, const char *source,
			       int64_t upload_id, struct findings_scan *out, struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	struct findings_engine *fe;
	enum bw_err rc = findings_engine_acquire(db, &fe, err);
	if (rc != BW_OK)
		return rc;
	struct detect_scanner *sc = detect_scanner_new(fe->e, DETECT_FAST);
	if (!sc) {
		findings_engine_release(fe);
		return bw_fail(err, BW_EINTERNAL, "", "out of memory");
	}
	struct collect c = { .fe = fe };
	arena_init(&c.arena);
	struct detect_stats st = { 0 };
	rc = detect_scan_file(sc, path, DETECT_FORMAT_AUTO, on_finding, &c, &st, err);
	if (rc == BW_OK)
		detect_scanner_finish(sc, on_finding, &c, &st);
	detect_scanner_free(sc);
	stats_into(&st, out);
	if (rc == BW_OK)
		rc = store_all(db, org_id, source, upload_id, &c, out, err);
	collect_free(&c);
	findings_engine_release(fe);
	return rc;
}

/* ---- uploads ---- */

struct upload {
	const struct actor *by;
	int64_t org_id;
	const char *name;
	const char *data;
	size_t n;
	int64_t id;
};

static enum bw_err upload_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct upload *u = arg;
	struct db_stmt *st = db_prep(db, "INSERT INTO event_uploads (org_id, user_id, file_name, size, state, created_at)"
					 " VALUES (?1, ?2, ?3, ?4, 'queued', ?5) RETURNING id");
	db_bind_i64(st, 1, u->org_id);
	db_bind_i64(st, 2, u->by->user_id);
	db_bind_text(st, 3, u->name);
	db_bind_i64(st, 4, (int64_t)u->n);
	db_bind_i64(st, 5, bw_now());
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "upload");
	u->id = db_col_i64(st, 0);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "upload");
	int64_t seq = 0;
	for (size_t off = 0; off < u->n || seq == 0; off += FINDINGS_UPLOAD_CHUNK, seq++) {
		size_t k = u->n - off < FINDINGS_UPLOAD_CHUNK ? u->n - off : FINDINGS_UPLOAD_CHUNK;
		st = db_prep(db, "INSERT INTO event_upload_chunks (upload_id, seq, data) VALUES (?1, ?2, ?3)");
		db_bind_i64(st, 1, u->id);
		db_bind_i64(st, 2, seq);
		db_bind_blob(st, 3, u->data + off, k);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "upload");
		if (u->n == 0)
			break;
	}
	char payload[32];
	snprintf(payload, sizeof payload, "%lld", (long long)u->id);
	enum bw_err rc = db_job_enqueue(db, "findings.scan", payload, 0, err);
	if (rc != BW_OK)
		return rc;
	char obj[48], sum[400];
	snprintf(obj, sizeof obj, "event_upload:%lld", (long long)u->id);
	snprintf(sum, sizeof sum, "Event log uploaded for scanning: %.200s (%zu bytes)", u->name, u->n);
	struct audit_rec a = { u->by->user_id, u->by->email, u->org_id, "findings.upload", obj, sum };
	return audit_append(db, &a, err);
}

enum bw_err findings_upload_add(struct db *db, const struct actor *by, int64_t org_id,
				const char *file_name, const char *data, size_t n, int64_t *id_out,
				struct bw_error *err)
{
	if (n == 0)
		return bw_fail(err, BW_EINVAL, "file", "The file is empty");
	if (n > LIM_UPLOAD)
		return bw_fail(err, BW_ELIMIT, "file", "The file must be %d MiB or smaller", LIM_UPLOAD / (1024 * 1024));
	const char *name = file_name && *file_name ? file_name : "upload";
	if (strlen(name) > LIM_NAME || !bw_valid_utf8(name, strlen(name)))
		return bw_fail(err, BW_EINVAL, "file", "The file name must be at most %d characters of text", LIM_NAME);
	struct upload u = { by, org_id, name, data, n, 0 };
	enum bw_err rc = db_tx(db, true, upload_tx, &u, err);
	if (rc == BW_OK && id_out)
		*id_out = u.id;
	return rc;
}

static enum bw_err upload_state(struct db *db, int64_t id, const char *state, const struct findings_scan *s,
				const char *error, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "UPDATE event_uploads SET state = ?2, events = ?3, damaged = ?4, findings = ?5,"
					 " duplicates = ?6, error = ?7, finished_at = ?8 WHERE id = ?1");
	db_bind_i64(st, 1, id);
	db_bind_text(st, 2, state);
	db_bind_i64(st, 3, s ? s->events : 0);
	db_bind_i64(st, 4, s ? s->damaged : 0);
	db_bind_i64(st, 5, s ? s->findings : 0);
	db_bind_i64(st, 6, s ? s->duplicates : 0);
	db_bind_text(st, 7, error);
	if (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0)
		db_bind_i64(st, 8, bw_now());
	else
		db_bind_null(st, 8);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "upload state");
	return BW_OK;
}

struct finish {
	int64_t id, org_id;
	const char *name;
	const struct findings_scan *s;
};

static enum bw_err finish_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct finish *f = arg;
	enum bw_err rc = upload_state(db, f->id, "done", f->s, NULL, err);
	if (rc != BW_OK)
		return rc;
	struct db_stmt *st = db_prep(db, "DELETE FROM event_upload_chunks WHERE upload_id = ?1");
	db_bind_i64(st, 1, f->id);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "upload");
	char obj[48], sum[400];
	snprintf(obj, sizeof obj, "event_upload:%lld", (long long)f->id);
	snprintf(sum, sizeof sum, "Event log scanned: %.200s: %lld events, %lld damaged, %lld new findings",
		 f->name, (long long)f->s->events, (long long)f->s->damaged, (long long)f->s->findings);
	struct audit_rec a = { 0, "system", f->org_id, "findings.scan", obj, sum };
	return audit_append(db, &a, err);
}

enum bw_err findings_job_scan(struct db *db, const struct db_job *job, struct bw_error *err)
{
	int64_t id;
	if (!str_to_i64(str_c(job->payload), 1, INT64_MAX, &id))
		return bw_fail(err, BW_EINVAL, "payload", "findings.scan needs an upload id");
	struct db_stmt *st = db_prep(db, "SELECT org_id, file_name, state FROM event_uploads WHERE id = ?1");
	db_bind_i64(st, 1, id);
	int r = db_step(st);
	if (r == DB_ERR)
		return db_fail(db, err, "upload");
	if (r != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, "", "upload %lld is gone", (long long)id);
	int64_t org_id = db_col_i64(st, 0);
	char name[LIM_NAME + 1], state[16];
	snprintf(name, sizeof name, "%s", db_col_text(st, 1));
	snprintf(state, sizeof state, "%s", db_col_text(st, 2));
	db_reset(st);
	if (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0)
		return BW_OK;   /* run twice after a crash: the first run finished */
	if (upload_state(db, id, "running", NULL, NULL, err) != BW_OK)
		return err->code;

	/* the engine reads files (EVTX needs one): a private temporary copy */
	char tmp[] = "/tmp/bulwark-upload-XXXXXX";
	int fd = mkstemp(tmp);
	if (fd < 0)
		return bw_fail(err, BW_EIO, "", "temporary file: %s", strerror(errno));
	FILE *f = fdopen(fd, "wb");
	bool ok = f != NULL;
	st = db_prep(db, "SELECT data FROM event_upload_chunks WHERE upload_id = ?1 ORDER BY seq");
	db_bind_i64(st, 1, id);
	while ((r = db_step(st)) == DB_ROW)
		if (ok && fwrite(db_col_blob(st, 0), 1, db_col_bytes(st, 0), f) != db_col_bytes(st, 0))
			ok = false;
	if (f && fclose(f) != 0)
		ok = false;
	if (!f)
		close(fd);
	if (r == DB_ERR || !ok) {
		unlink(tmp);
		return r == DB_ERR ? db_fail(db, err, "upload") : bw_fail(err, BW_EIO, "", "temporary file could not be written");
	}
	struct findings_scan s;
	struct bw_error se = { 0 };
	enum bw_err rc = findings_scan_file(db, org_id, tmp, name, id, &s, &se);
	unlink(tmp);
	if (rc == BW_EDB || rc == BW_EIO)
		return bw_fail(err, rc, se.field, "%s", se.msg);   /* retried */
	if (rc != BW_OK) {
		upload_state(db, id, "failed", &s, se.msg, err);
		return bw_fail(err, rc, se.field, "%s", se.msg);
	}
	struct finish fin = { id, org_id, name, &s };
	return db_tx(db, true, finish_tx, &fin, err);
}

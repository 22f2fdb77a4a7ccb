/*
 * library: the rule library in the database and the engine compiled from
 * it. Importing checks each rule file with the detect engine and keeps the
 * engine's refusal beside the rule (shown on the library page, never
 * dropped). The compiled engine is cached per process and rebuilt when the
 * library's version row moves.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "findings/findings_int.h"

#define LIB_MAX_DEPTH 16

bool findings_is_analyst(const struct actor *a)
{
	return a->role == ROLE_ANALYST || a->role == ROLE_ADMIN;
}

/* ---- a little reading of YAML text for what the engine cannot tell: the
 * id and title of a rule it refused, and the logsource block ---- */

/* Value of a top-level "key:" line, trimmed and unquoted, into out. */
static bool yaml_top_value(const char *text, size_t n, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && text[e] != '\n')
			e++;
		if (e - i > kl && memcmp(text + i, key, kl) == 0 && text[i + kl] == ':') {
			size_t a = i + kl + 1, b = e;
			while (a < b && (text[a] == ' ' || text[a] == '\t'))
				a++;
			while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\r' || text[b - 1] == '\t'))
				b--;
			if (b - a >= 2 && (text[a] == '\'' || text[a] == '"') && text[b - 1] == text[a])
				a++, b--;
			if (b == a)
				return false;
			snprintf(out, cap, "%.*s", (int)(b - a), text + a);
			return bw_valid_utf8(out, strlen(out));
		}
		i = e + 1;
	}
	return false;
}

/* "product: windows, category: process_creation" from the logsource block. */
static void yaml_logsource(const char *text, size_t n, struct buf *out)
{
	bool in = false;
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && text[e] != '\n')
			e++;
		if (!in) {
			in = e - i >= 10 && memcmp(text + i, "logsource:", 10) == 0;
		} else if (i < e && (text[i] == ' ' || text[i] == '\t')) {
			size_t a = i, b = e;
			while (a < b && (text[a] == ' ' || text[a] == '\t'))
				a++;
			while (b > a && (text[b - 1] == '\r' || text[b - 1] == ' '))
				b--;
			if (b > a && text[a] != '#' && b - a < 200) {
				if (out->len)
					buf_puts(out, ", ");
				buf_add(out, text + a, b - a);
			}
		} else if (i < e && text[i] != '#') {
			break;
		}
		i = e + 1;
	}
	if (!bw_valid_utf8(out->p ? out->p : "", out->len))
		buf_reset(out);
}

/* ---- import ---- */

struct import_one {
	const struct actor *by;
	const char *name;          /* file name, relative to the import root */
	const char *text;
	size_t n;
	struct detect_engine *check;   /* scratch engine the rules are tried on */
	struct findings_import *out;
	bool audit;                    /* one record per call (single-file import) */
	const char *read_error;        /* the file could not be read: kept as refused */
};

static enum bw_err upsert_rule(struct db *db, const struct import_one *o, const char *uuid, const char *title,
			       const char *level, const char *status, const char *author, const char *tags,
			       const char *logsource, const char *load_error, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "SELECT id FROM detect_rules WHERE uuid = ?1");
	db_bind_text(st, 1, uuid);
	int r = db_step(st);
	if (r == DB_ERR)
		return db_fail(db, err, "rule library");
	bool exists = r == DB_ROW;
	if (exists)
		db_reset(st);
	st = db_prep(db,
		"INSERT INTO detect_rules (uuid, title, level, status, author, tags, logsource, path, yaml,"
		" enabled, load_error, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11)"
		" ON CONFLICT (uuid) DO UPDATE SET title = excluded.title, level = excluded.level,"
		" status = excluded.status, author = excluded.author, tags = excluded.tags,"
		" logsource = excluded.logsource, path = excluded.path, yaml = excluded.yaml,"
		" load_error = excluded.load_error, imported_at = excluded.imported_at");
	db_bind_text(st, 1, uuid);
	db_bind_text(st, 2, title);
	db_bind_text(st, 3, level);
	db_bind_text(st, 4, status);
	db_bind_text(st, 5, author);
	db_bind_text(st, 6, tags);
	db_bind_text(st, 7, logsource);
	db_bind_text(st, 8, o->name);
	db_bind_textn(st, 9, o->text, o->n);
	db_bind_text(st, 10, load_error);
	db_bind_i64(st, 11, bw_now());
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "rule library");
	if (exists)
		o->out->updated++;
	else
		o->out->added++;
	return BW_OK;
}

static enum bw_err import_one_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct import_one *o = arg;
	/* db_tx may run this again: count only the attempt that commits */
	memset(o->out, 0, sizeof *o->out);
	o->out->files++;
	if (o->read_error || !bw_valid_utf8(o->text, o->n) || memchr(o->text, 0, o->n)) {
		o->out->failed++;
		char uuid[128];
		snprintf(uuid, sizeof uuid, "file:%.120s", o->name);
		/* the text cannot be stored as text: keep a note of the refusal only */
		struct import_one copy = *o;
		copy.text = "";
		copy.n = 0;
		enum bw_err rc = upsert_rule(db, &copy, uuid, o->name, "", "", "", "", "",
					     o->read_error ? o->read_error : "the file is not valid UTF-8 text", err);
		return rc != BW_OK ? rc : findings_library_bump(db, err);
	}
	size_t before = detect_engine_rule_count(o->check);
	struct bw_error le = { 0 };
	size_t k = detect_engine_add_text(o->check, o->text, o->n, o->name, &le);
	struct buf ls;
	buf_init(&ls);
	yaml_logsource(o->text, o->n, &ls);
	enum bw_err rc;
	if (k == 0) {
		o->out->failed++;
		char uuid[128], title[LIM_NAME + 1];
		if (!yaml_top_value(o->text, o->n, "id", uuid, sizeof uuid))
			snprintf(uuid, sizeof uuid, "file:%.120s", o->name);
		if (!yaml_top_value(o->text, o->n, "title", title, sizeof title))
			snprintf(title, sizeof title, "%s", o->name);
		char level[32] = "", author[LIM_NAME + 1] = "", status[32] = "";
		yaml_top_value(o->text, o->n, "level", level, sizeof level);
		yaml_top_value(o->text, o->n, "author", author, sizeof author);
		yaml_top_value(o->text, o->n, "status", status, sizeof status);
		rc = upsert_rule(db, o, uuid, title, level, status, author, "", buf_cstr(&ls),
				 le.msg[0] ? le.msg : "the engine did not load this rule", err);
	} else {
		o->out->loaded++;
		/* a file of several documents is kept whole, under its first rule */
		const struct detect_rule_info *ri = detect_engine_rule(o->check, before);
		struct buf tags;
		buf_init(&tags);
		for (size_t i = 0; ri->tags && ri->tags[i]; i++) {
			if (i)
				buf_putc(&tags, ' ');
			buf_puts(&tags, ri->tags[i]);
		}
		char uuid[128];
		if (ri->id && *ri->id)
			snprintf(uuid, sizeof uuid, "%s", ri->id);
		else
			snprintf(uuid, sizeof uuid, "file:%.120s", o->name);
		rc = upsert_rule(db, o, uuid, ri->title && *ri->title ? ri->title : o->name, ri->level ? ri->level : "",
				 ri->status ? ri->status : "", ri->author ? ri->author : "", buf_cstr(&tags),
				 buf_cstr(&ls), NULL, err);
		buf_free(&tags);
	}
	buf_free(&ls);
	if (rc != BW_OK)
		return rc;
	if ((rc = findings_library_bump(db, err)) != BW_OK)
		return rc;
	if (o->audit) {
		char sum[400];
		snprintf(sum, sizeof sum, "Rule file %.200s imported (%s)", o->name, k ? "loaded" : "refused by the engine");
		struct audit_rec a = { o->by->user_id, o->by->email, o->by->org_id, "detect.rules.import", "detect_rules", sum };
		return audit_append(db, &a, err);
	}
	return BW_OK;
}

static struct detect_engine *scratch_engine(struct bw_error *err)
{
	return detect_engine_new(getenv("BULWARK_DETECT_MAPPING"), err);
}

enum bw_err findings_rules_import_text(struct db *db, const struct actor *by, const char *name,
				       const char *text, size_t n, struct findings_import *out,
				       struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	if (n > DETECT_LIM_RULE_FILE)
		return bw_fail(err, BW_ELIMIT, "file", "A rule file must be %d KiB or smaller", DETECT_LIM_RULE_FILE / 1024);
	if (n == 0)
		return bw_fail(err, BW_EINVAL, "file", "The rule file is empty");
	struct detect_engine *check = scratch_engine(err);
	if (!check)
		return err->code ? err->code : BW_EINTERNAL;
	struct import_one o = { by, name, text, n, check, out, true, NULL };
	enum bw_err rc = db_tx(db, true, import_one_tx, &o, err);
	detect_engine_free(check);
	return rc;
}

static bool has_rule_ext(const char *nm)
{
	size_t n = strlen(nm);
	return (n > 4 && strcmp(nm + n - 4, ".yml") == 0) || (n > 5 && strcmp(nm + n - 5, ".yaml") == 0);
}

struct walk {
	struct db *db;
	const struct actor *by;
	struct detect_engine *check;
	struct findings_import *out;
	size_t root_len;
	struct bw_error *err;
};

static enum bw_err read_small(const char *path, char **text, size_t *n, struct bw_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return bw_fail(err, BW_EIO, "path", "cannot open %s: %s", path, strerror(errno));
	struct buf b;
	buf_init(&b);
	char tmp[16384];
	size_t k;
	while ((k = fread(tmp, 1, sizeof tmp, f)) > 0) {
		if (b.len + k > DETECT_LIM_RULE_FILE) {
			fclose(f);
			buf_free(&b);
			return bw_fail(err, BW_ELIMIT, "path", "%s is larger than %d KiB", path, DETECT_LIM_RULE_FILE / 1024);
		}
		buf_add(&b, tmp, k);
	}
	fclose(f);
	*n = b.len;
	buf_putc(&b, 0);
	*text = buf_steal(&b);
	return BW_OK;
}

static enum bw_err walk_dir(struct walk *w, const char *dir, int depth)
{
	if (depth > LIB_MAX_DEPTH)
		return BW_OK;
	struct dirent **list;
	int cnt = scandir(dir, &list, NULL, alphasort);
	if (cnt < 0)
		return bw_fail(w->err, BW_EIO, "dir", "cannot read %s: %s", dir, strerror(errno));
	enum bw_err rc = BW_OK;
	for (int i = 0; i < cnt; i++) {
		const char *nm = list[i]->d_name;
		if (rc == BW_OK && nm[0] != '.') {
			char path[4096];
			if (snprintf(path, sizeof path, "%s/%s", dir, nm) < (int)sizeof path) {
				struct stat sb;
				if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
					rc = walk_dir(w, path, depth + 1);
				} else if (S_ISREG(sb.st_mode) && has_rule_ext(nm)) {
					char *text = NULL;
					size_t n = 0;
					struct bw_error fe = { 0 };
					const char *rel = path + w->root_len;
					while (*rel == '/')
						rel++;
					/* too large or unreadable: kept as a refused rule */
					bool bad = read_small(path, &text, &n, &fe) != BW_OK;
					struct findings_import one = { 0 };
					struct import_one o = { w->by, rel, bad ? "" : text, bad ? 0 : n, w->check, &one, false,
								bad ? fe.msg : NULL };
					rc = db_tx(w->db, true, import_one_tx, &o, w->err);
					free(text);
					w->out->files += one.files;
					w->out->loaded += one.loaded;
					w->out->failed += one.failed;
					w->out->added += one.added;
					w->out->updated += one.updated;
				}
			}
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

static enum bw_err import_summary_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct walk *w = arg;
	char sum[300];
	snprintf(sum, sizeof sum, "Rule library import: %lld files, %lld loaded, %lld refused by the engine, %lld new, %lld updated",
		 (long long)w->out->files, (long long)w->out->loaded, (long long)w->out->failed,
		 (long long)w->out->added, (long long)w->out->updated);
	struct audit_rec a = { w->by->user_id, w->by->email, w->by->org_id, "detect.rules.import", "detect_rules", sum };
	return audit_append(db, &a, err);
}

enum bw_err findings_rules_import_paths(struct db *db, const struct actor *by, const char *root,
					const char *const *paths, size_t n, struct findings_import *out,
					struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	struct detect_engine *check = scratch_engine(err);
	if (!check)
		return err->code ? err->code : BW_EINTERNAL;
	struct walk w = { db, by, check, out, strlen(root), err };
	enum bw_err rc = BW_OK;
	for (size_t i = 0; i < n && rc == BW_OK; i++) {
		char path[4096];
		if (snprintf(path, sizeof path, "%s/%s", root, paths[i]) >= (int)sizeof path)
			continue;
		char *text = NULL;
		size_t len = 0;
		struct bw_error fe = { 0 };
		bool bad = read_small(path, &text, &len, &fe) != BW_OK;
		struct findings_import one = { 0 };
		struct import_one o = { by, paths[i], bad ? "" : text, bad ? 0 : len, check, &one, false, bad ? fe.msg : NULL };
		rc = db_tx(db, true, import_one_tx, &o, err);
		free(text);
		out->files += one.files;
		out->loaded += one.loaded;
		out->failed += one.failed;
		out->added += one.added;
		out->updated += one.updated;
	}
	detect_engine_free(check);
	if (rc == BW_OK)
		rc = db_tx(db, true, import_summary_tx, &w, err);
	return rc;
}

enum bw_err findings_rules_import_dir(struct db *db, const struct actor *by, const char *dir,
				      struct findings_import *out, struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	struct stat sb;
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return bw_fail(err, BW_EIO, "dir", "%s is not a readable folder", dir);
	struct detect_engine *check = scratch_engine(err);
	if (!check)
		return err->code ? err->code : BW_EINTERNAL;
	struct walk w = { db, by, check, out, strlen(dir), err };
	/* one short transaction per file, then one summary record: a long
	 * import never holds the audit chain's head */
	enum bw_err rc = walk_dir(&w, dir, 0);
	detect_engine_free(check);
	if (rc == BW_OK)
		rc = db_tx(db, true, import_summary_tx, &w, err);
	return rc;
}

struct enable {
	const struct actor *by;
	int64_t id;
	bool on;
};

static enum bw_err enable_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct enable *e = arg;
	struct db_stmt *st = db_prep(db, "SELECT title, enabled FROM detect_rules WHERE id = ?1");
	db_bind_i64(st, 1, e->id);
	int r = db_step(st);
	if (r == DB_ERR)
		return db_fail(db, err, "rule");
	if (r != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, "", "No such rule");
	char title[LIM_NAME + 1];
	snprintf(title, sizeof title, "%s", db_col_text(st, 0));
	bool was = db_col_i64(st, 1) != 0;
	db_reset(st);
	if (was == e->on)
		return BW_OK;
	st = db_prep(db, "UPDATE detect_rules SET enabled = ?2 WHERE id = ?1");
	db_bind_i64(st, 1, e->id);
	db_bind_i64(st, 2, e->on);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "rule");
	enum bw_err rc = findings_library_bump(db, err);
	if (rc != BW_OK)
		return rc;
	char obj[48], sum[300];
	snprintf(obj, sizeof obj, "detect_rule:%lld", (long long)e->id);
	snprintf(sum, sizeof sum, "Rule %s: %s", e->on ? "enabled" : "disabled", title);
	struct audit_rec a = { e->by->user_id, e->by->email, e->by->org_id,
			       e->on ? "detect.rule.enable" : "detect.rule.disable", obj, sum };
	return audit_append(db, &a, err);
}

enum bw_err findings_rule_set_enabled(struct db *db, const struct actor *by, int64_t rule_id,
				      bool enabled, struct bw_error *err)
{
	struct enable e = { by, rule_id, enabled };
	return db_tx(db, true, enable_tx, &e, err);
}

/* ---- the compiled engine, cached per process ---- */

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct findings_engine *cache;

static void fe_free(struct findings_engine *fe)
{
	if (!fe)
		return;
	detect_engine_free(fe->e);
	free(fe->rules);
	free(fe);
}

static int ref_cmp(const void *a, const void *b)
{
	const struct findings_rule_ref *x = a, *y = b;
	return x->info < y->info ? -1 : x->info > y->info;
}

static enum bw_err fe_build(struct db *db, int64_t version, struct findings_engine **out, struct bw_error *err)
{
	struct findings_engine *fe = calloc(1, sizeof *fe);
	if (!fe)
		return bw_fail(err, BW_EINTERNAL, "", "out of memory");
	fe->version = version;
	fe->e = detect_engine_new(getenv("BULWARK_DETECT_MAPPING"), err);
	if (!fe->e) {
		free(fe);
		return err->code ? err->code : BW_EINTERNAL;
	}
	/* engine rule index -> library row, recorded as the rules are added */
	size_t cap = 64, n = 0;
	int64_t *ids = malloc(cap * sizeof *ids);
	struct db_stmt *st = db_prep(db, "SELECT id, yaml, uuid FROM detect_rules WHERE enabled = 1 AND load_error IS NULL"
					 " ORDER BY id");
	int r;
	while (ids && (r = db_step(st)) == DB_ROW) {
		const char *y = db_col_text(st, 1);
		struct bw_error le = { 0 };
		size_t k = detect_engine_add_text(fe->e, y ? y : "", y ? strlen(y) : 0, db_col_text(st, 2), &le);
		if (k == 0)
			log_warn("findings: rule %s no longer loads: %s", db_col_text(st, 2), le.msg);
		for (size_t i = 0; i < k; i++) {
			if (n == cap) {
				int64_t *g = realloc(ids, 2 * cap * sizeof *ids);
				if (!g) {
					free(ids);
					ids = NULL;
					db_reset(st);
					break;
				}
				ids = g;
				cap *= 2;
			}
			ids[n++] = db_col_i64(st, 0);
		}
	}
	if (!ids) {
		fe_free(fe);
		return bw_fail(err, BW_EINTERNAL, "", "out of memory");
	}
	if (r == DB_ERR) {
		free(ids);
		fe_free(fe);
		return db_fail(db, err, "rule library");
	}
	enum bw_err rc = detect_engine_compile(fe->e, err);
	if (rc != BW_OK) {
		free(ids);
		fe_free(fe);
		return rc;
	}
	fe->nrules = detect_engine_rule_count(fe->e);
	if (fe->nrules > n)
		fe->nrules = n;
	fe->rules = calloc(fe->nrules ? fe->nrules : 1, sizeof *fe->rules);
	if (!fe->rules) {
		free(ids);
		fe_free(fe);
		return bw_fail(err, BW_EINTERNAL, "", "out of memory");
	}
	for (size_t i = 0; i < fe->nrules; i++) {
		fe->rules[i].info = detect_engine_rule(fe->e, i);
		fe->rules[i].id = ids[i];
	}
	free(ids);
	qsort(fe->rules, fe->nrules, sizeof *fe->rules, ref_cmp);
	*out = fe;
	return BW_OK;
}

enum bw_err findings_engine_acquire(struct db *db, struct findings_engine **out, struct bw_error *err)
{
	int64_t v = findings_library_version(db);
	pthread_mutex_lock(&cache_mu);
	if (cache && cache->version == v) {
		cache->refs++;
		*out = cache;
		pthread_mutex_unlock(&cache_mu);
		return BW_OK;
	}
	pthread_mutex_unlock(&cache_mu);
	/* built outside the lock: scans on the old engine carry on meanwhile */
	struct findings_engine *fe;
	enum bw_err rc = fe_build(db, v, &fe, err);
	if (rc != BW_OK)
		return rc;
	pthread_mutex_lock(&cache_mu);
	if (cache && cache->version >= v) {
		/* another thread got there first */
		fe_free(fe);
		fe = cache;
	} else {
		if (cache && cache->refs == 0)
			fe_free(cache);
		else if (cache)
			cache->refs = -cache->refs;   /* retired: freed by its last holder */
		cache = fe;
	}
	fe->refs++;
	*out = fe;
	pthread_mutex_unlock(&cache_mu);
	return BW_OK;
}

void findings_engine_release(struct findings_engine *fe)
{
	if (!fe)
		return;
	pthread_mutex_lock(&cache_mu);
	if (fe == cache) {
		fe->refs--;
	} else {
		/* retired engines count their holders as negative numbers */
		fe->refs++;
		if (fe->refs == 0)
			fe_free(fe);
	}
	pthread_mutex_unlock(&cache_mu);
}

void findings_engine_drop(void)
{
	pthread_mutex_lock(&cache_mu);
	if (cache && cache->refs == 0)
		fe_free(cache);
	else if (cache)
		cache->refs = -cache->refs;
	cache = NULL;
	pthread_mutex_unlock(&cache_mu);
}

int64_t findings_engine_rule_id(const struct findings_engine *fe, const struct detect_rule_info *info)
{
	struct findings_rule_ref key = { info, 0 };
	const struct findings_rule_ref *r = bsearch(&key, fe->rules, fe->nrules, sizeof *fe->rules, ref_cmp);
	return r ? r->id : 0;
}

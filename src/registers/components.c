/*
 * components: the software inventory's storage — its migration, the
 * {component} path parameter, adding, changing and removing components,
 * imports written in batches, and the demo estate's software drawn from the
 * feeds' real vendor/product/version lists. Pages and API are in
 * components_pages.c; file parsing in components_parse.c; CPE suggestions
 * in suggest.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "registers/components.h"

const struct db_migration components_migrations[] = {
	{ "registers/0003_components",
	  "CREATE TABLE components ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " system_id {{INT}} NOT NULL,"   /* systems.id: another area's table, checked in code */
	  " vendor TEXT NOT NULL,"
	  " product TEXT NOT NULL,"
	  " version TEXT NOT NULL,"
	  " cpe TEXT,"
	  " purl TEXT,"
	  " norm_vendor {{TEXT_C}} NOT NULL,"
	  " norm_product {{TEXT_C}} NOT NULL,"
	  " ident TEXT NOT NULL,"
	  " source TEXT NOT NULL,"
	  " cpe_confirmed {{INT}} NOT NULL DEFAULT 0,"
	  " cpe_guess TEXT,"
	  " created_at {{INT}} NOT NULL,"
	  " updated_at {{INT}} NOT NULL);"
	  "CREATE UNIQUE INDEX components_ident ON components (system_id, ident);"
	  "CREATE INDEX components_by_org ON components (org_id, norm_product);"
	  "CREATE INDEX components_by_product ON components (norm_product, id);"
	  "CREATE INDEX components_by_vendor ON components (norm_vendor, id);"
	  "CREATE TABLE cpe_dictionary ("
	  " id {{ID}},"
	  " cpe_vendor TEXT NOT NULL,"
	  " cpe_product TEXT NOT NULL,"
	  " name_key {{TEXT_C}} NOT NULL);"
	  "CREATE UNIQUE INDEX cpe_dictionary_key ON cpe_dictionary (name_key, cpe_vendor, cpe_product);" },
	/* the estate-wide search reads org_id from the name index itself, so
	 * counting a thousand matches touches no table row */
	{ "registers/0003_components_search",
	  "DROP INDEX components_by_product;"
	  "DROP INDEX components_by_vendor;"
	  "CREATE INDEX components_by_product ON components (norm_product, org_id, id);"
	  "CREATE INDEX components_by_vendor ON components (norm_vendor, org_id, id);" },
	/* The estate holds a few thousand distinct (vendor, product) names over
	 * millions of rows: the search walks the names, then each name's rows
	 * by a small number. One index of small keys in place of two of text:
	 * an import adds to it at one place per name, not at every page of two
	 * national indexes. */
	{ "registers/0003_components_names",
	  "CREATE TABLE component_names ("
	  " id {{ID}},"
	  " norm_vendor {{TEXT_C}} NOT NULL,"
	  " norm_product {{TEXT_C}} NOT NULL);"
	  "CREATE UNIQUE INDEX component_names_product ON component_names (norm_product, norm_vendor);"
	  "CREATE UNIQUE INDEX component_names_vendor ON component_names (norm_vendor, norm_product);"
	  "INSERT INTO component_names (norm_vendor, norm_product)"
	  " SELECT DISTINCT norm_vendor, norm_product FROM components ORDER BY norm_product, norm_vendor;"
	  "ALTER TABLE components ADD COLUMN name_id {{INT}} NOT NULL DEFAULT 0;"  /* component_names.id */
	  "UPDATE components SET name_id = (SELECT n.id FROM component_names n"
	  " WHERE n.norm_product = components.norm_product AND n.norm_vendor = components.norm_vendor);"
	  "DROP INDEX components_by_product;"
	  "DROP INDEX components_by_vendor;"
	  "CREATE INDEX components_by_name ON components (name_id, org_id, id);" },
	{ NULL, NULL },
};

/* ---- the {component} parameter ---- */

static enum bw_err component_owner(struct db *db, const char *v, struct org_ref *out)
{
	/* through its system: a component of a removed system is gone too */
	return route_owner_by_id(db, "SELECT o.id, o.path FROM components c JOIN systems s ON s.id = c.system_id"
				     " JOIN orgs o ON o.id = c.org_id WHERE c.id = ?1", v, out);
}

static bool component_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT c.id FROM components c JOIN orgs o ON o.id = c.org_id"
				    " JOIN systems s ON s.id = c.system_id"
				    " WHERE o.path >= ?1 AND o.path < ?2 ORDER BY o.path DESC, c.id LIMIT 1", path, out, n);
}

const struct route_param components_params[] = {
	{ "component", component_owner, component_example },
	{ NULL, NULL, NULL },
};

/* ---- systems (another area's table: read through its agreed columns) ---- */

enum bw_err components_system_get(struct db *db, int64_t id, struct comp_system *out)
{
	struct db_stmt *st = db_prep(db, "SELECT s.id, s.org_id, s.name, o.code, o.name, o.path FROM systems s"
					 " JOIN orgs o ON o.id = s.org_id WHERE s.id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return BW_ENOTFOUND;
	out->id = db_col_i64(st, 0);
	out->org_id = db_col_i64(st, 1);
	snprintf(out->name, sizeof out->name, "%s", db_col_text(st, 2));
	snprintf(out->org_code, sizeof out->org_code, "%s", db_col_text(st, 3));
	snprintf(out->org_name, sizeof out->org_name, "%s", db_col_text(st, 4));
	snprintf(out->org_path, sizeof out->org_path, "%s", db_col_text(st, 5));
	db_reset(st);
	return BW_OK;
}

/* ---- names ---- */

/* One element of a PostgreSQL array literal: NULL, or quoted with \\ and "
 * escaped (nothing else is special inside the quotes). */
static void array_add(struct buf *b, const char *s)
{
	buf_putc(b, b->len ? ',' : '{');
	if (!s) {
		buf_puts(b, "NULL");
		return;
	}
	buf_putc(b, '"');
	for (const char *e; (e = strpbrk(s, "\\\"")); s = e + 1) {
		buf_add(b, s, (size_t)(e - s));
		buf_putc(b, '\\');
		buf_putc(b, *e);
	}
	buf_puts(b, s);
	buf_putc(b, '"');
}

struct name_ref {
	const char *vendor, *product;   /* folded */
	int64_t *id;
};

static int name_ref_cmp(const void *x, const void *y)
{
	const struct name_ref *a = x, *b = y;
	int c = strcmp(a->product, b->product);
	return c ? c : strcmp(a->vendor, b->vendor);
}

/* SQLite: gives the names without one (id 0) their ids, walking
 * component_names in its (product, vendor) order beside v, which is in the
 * same order: a step a name where they lie close together, a new seek
 * where the next is further on than a seek costs. */
static enum bw_err names_walk(struct db *db, struct name_ref *v, size_t n, size_t *missing, struct bw_error *err)
{
	enum { SEEK_AFTER = 16 };
	struct db_stmt *st = db_prep(db, "SELECT id, norm_product, norm_vendor FROM component_names"
					 " WHERE norm_product >= ?1 ORDER BY norm_product, norm_vendor");
	int step = DB_DONE, since = SEEK_AFTER;
	*missing = 0;
	for (size_t i = 0; i < n; i++) {
		if (*v[i].id)
			continue;
		if (i && !name_ref_cmp(&v[i - 1], &v[i])) {
			*v[i].id = *v[i - 1].id;
			*missing += !*v[i].id;
			continue;
		}
		for (;;) {
			if (since >= SEEK_AFTER) {
				db_reset(st);
				db_bind_text(st, 1, v[i].product);
				step = db_step(st);
				since = 0;
			}
			if (step != DB_ROW)
				break;
			int c = strcmp(db_col_text(st, 1), v[i].product);
			if (!c)
				c = strcmp(db_col_text(st, 2), v[i].vendor);
			if (c >= 0) {
				if (!c)
					*v[i].id = db_col_i64(st, 0);
				break;
			}
			step = db_step(st);
			since++;
		}
		if (step == DB_ERR)
			return db_fail(db, err, "naming components");
		*missing += !*v[i].id;
	}
	db_reset(st);
	return BW_OK;
}

static int name_ref_pcmp(const void *x, const void *y)
{
	return name_ref_cmp(*(const struct name_ref *const *)x, *(const struct name_ref *const *)y);
}

/* SQLite: the names not there yet, 50 a statement, each given the id it
 * was stored under (so the walk after finds nothing left to look up) */
static enum bw_err names_add_sqlite(struct db *db, struct name_ref *v, size_t n, struct bw_error *err)
{
	enum { PER = 50 };
	struct name_ref *pend[PER];
	size_t k = 0;
	struct buf sql;
	buf_init(&sql);
	enum bw_err rc = BW_OK;
	for (size_t i = 0; i <= n && rc == BW_OK; i++) {
		if (i < n && (*v[i].id || (k && !name_ref_cmp(pend[k - 1], &v[i]))))
			continue;
		if (i < n)
			pend[k++] = &v[i];
		if (k == PER || (i == n && k)) {
			buf_reset(&sql);
			buf_puts(&sql, "INSERT INTO component_names (norm_vendor, norm_product) VALUES ");
			for (size_t j = 0; j < k; j++)
				buf_printf(&sql, "%s(?%zu, ?%zu)", j ? ", " : "", 2 * j + 1, 2 * j + 2);
			buf_puts(&sql, " ON CONFLICT DO NOTHING RETURNING id, norm_product, norm_vendor");
			struct db_stmt *st = db_prep(db, buf_cstr(&sql));
			for (size_t j = 0; j < k; j++) {
				db_bind_text_kept(st, (int)(2 * j + 1), pend[j]->vendor);
				db_bind_text_kept(st, (int)(2 * j + 2), pend[j]->product);
			}
			int step;
			while ((step = db_step(st)) == DB_ROW) {
				struct name_ref key = { db_col_text(st, 2), db_col_text(st, 1), NULL }, *kp = &key;
				struct name_ref **at = bsearch(&kp, pend, k, sizeof *pend, name_ref_pcmp);
				if (at)
					*(*at)->id = db_col_i64(st, 0);
			}
			if (step == DB_ERR)
				rc = db_fail(db, err, "naming components");
			k = 0;
		}
	}
	buf_free(&sql);
	return rc;
}

/* PostgreSQL: IMPORT_PG_ROWS names a round trip, added where new, then
 * their ids by position */
static enum bw_err names_pg(struct db *db, struct name_ref *v, size_t n, struct bw_error *err)
{
	enum { PER = 5000 };
	struct buf vendors, products;
	buf_init(&vendors);
	buf_init(&products);
	enum bw_err rc = BW_OK;
	for (size_t i = 0; i < n && rc == BW_OK; i += PER) {
		size_t k = n - i < PER ? n - i : PER;
		buf_reset(&vendors);
		buf_reset(&products);
		for (size_t j = 0; j < k; j++) {
			array_add(&vendors, v[i + j].vendor);
			array_add(&products, v[i + j].product);
		}
		buf_putc(&vendors, '}');
		buf_putc(&products, '}');
		struct db_stmt *st = db_prep(db, "INSERT INTO component_names (norm_vendor, norm_product)"
						 " SELECT DISTINCT t.v, t.p FROM unnest(?1::text[], ?2::text[]) AS t(v, p)"
						 " WHERE NOT EXISTS (SELECT 1 FROM component_names n"
						 " WHERE n.norm_product = t.p AND n.norm_vendor = t.v) ON CONFLICT DO NOTHING");
		db_bind_textn(st, 1, vendors.p, vendors.len);
		db_bind_textn(st, 2, products.p, products.len);
		if (db_step(st) == DB_ERR) {
			rc = db_fail(db, err, "naming components");
			break;
		}
		st = db_prep(db, "SELECT t.i, n.id FROM unnest(?1::text[], ?2::text[]) WITH ORDINALITY AS t(v, p, i)"
				 " JOIN component_names n ON n.norm_product = t.p AND n.norm_vendor = t.v");
		db_bind_textn(st, 1, vendors.p, vendors.len);
		db_bind_textn(st, 2, products.p, products.len);
		int step;
		while ((step = db_step(st)) == DB_ROW) {
			int64_t at = db_col_i64(st, 0);
			if (at >= 1 && (size_t)at <= k)
				*v[i + (size_t)at - 1].id = db_col_i64(st, 1);
		}
		if (step == DB_ERR)
			rc = db_fail(db, err, "naming components");
	}
	buf_free(&vendors);
	buf_free(&products);
	return rc;
}

/* Sets *v[i].id for every name of v, which is in (product, vendor) order,
 * adding the names not yet known. A file of 100,000 rows names tens of
 * thousands of products: a look-up each cost more than writing the rows. */
static enum bw_err names_resolve(struct db *db, struct name_ref *v, size_t n, struct bw_error *err)
{
	for (size_t i = 0; i < n; i++)
		*v[i].id = 0;
	if (db_kind(db) == DB_POSTGRES)
		return names_pg(db, v, n, err);
	size_t missing;
	enum bw_err rc = names_walk(db, v, n, &missing, err);
	if (rc == BW_OK && missing) {
		rc = names_add_sqlite(db, v, n, err);
		if (rc == BW_OK)
			rc = names_walk(db, v, n, &missing, err);
	}
	if (rc == BW_OK && missing)
		rc = bw_fail(err, BW_EDB, "", "naming components: %zu names were not stored", missing);
	return rc;
}

enum bw_err components_name_id(struct db *db, const char *norm_vendor, const char *norm_product, int64_t *id,
			       struct bw_error *err)
{
	struct name_ref r = { norm_vendor, norm_product, id };
	return names_resolve(db, &r, 1, err);
}

static enum bw_err names_sweep_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "DELETE FROM component_names WHERE NOT EXISTS"
					 " (SELECT 1 FROM components c WHERE c.name_id = component_names.id)");
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "removing unused component names");
	*(int64_t *)arg = db_changes(db);
	return BW_OK;
}

/* Serializable, like every writer of components: an import that picked up
 * a name this removes is made to run again, and adds it back. */
enum bw_err components_names_sweep(struct db *db, int64_t *removed, struct bw_error *err)
{
	*removed = 0;
	return db_tx(db, true, names_sweep_tx, removed, err);
}

/* ---- identity within a system ---- */

/* SBOM entries are known by document and reference; anything else by what
 * it is, so the same product and version is never listed twice. Hashed to
 * keep the unique index small whatever the lengths. */
static void ident_of(const char *ns, const char *ref, const struct comp_ok *ok, char out[65])
{
	const char *by_ref[] = { "sbom", ns, ref, NULL };
	const char *by_name[] = { "name", ok->norm_vendor, ok->norm_product, ok->version };
	const char *const *parts = ns && ref ? by_ref : by_name;
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < BW_NELEM(by_name) && parts[i]; i++) {
		if (i)
			buf_putc(&b, '\x1f');
		buf_puts(&b, parts[i]);
	}
	uint8_t h[32];
	bw_sha256(b.p, b.len, h);
	bw_hex(h, 16, out);   /* 128 bits: no collision in any estate, half the index */
	buf_free(&b);
}

static const char *object_of(struct arena *a, int64_t id)
{
	return arena_printf(a, "component:%lld", (long long)id);
}

/* ---- one component ---- */

struct one {
	const struct actor *by;
	const struct comp_system *sys;
	int64_t id;
	struct comp_ok ok;
	const char *guess;
	const char *cpe;          /* confirm */
	char ident[65];
	struct arena *a;
};

static enum bw_err add_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct one *o = arg;
	int64_t now = bw_now(), name;
	enum bw_err rc = components_name_id(db, o->ok.norm_vendor, o->ok.norm_product, &name, err);
	if (rc != BW_OK)
		return rc;
	struct db_stmt *st = db_prep(db, "INSERT INTO components (org_id, system_id, vendor, product, version, cpe, purl,"
					 " norm_vendor, norm_product, ident, source, cpe_confirmed, cpe_guess, created_at, updated_at,"
					 " name_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'typed', 0, ?11, ?12, ?12, ?13)"
					 " RETURNING id");
	db_bind_i64(st, 1, o->sys->org_id);
	db_bind_i64(st, 2, o->sys->id);
	db_bind_text(st, 3, o->ok.vendor);
	db_bind_text(st, 4, o->ok.product);
	db_bind_text(st, 5, o->ok.version);
	db_bind_text(st, 6, o->ok.cpe);
	db_bind_text(st, 7, o->ok.purl);
	db_bind_text(st, 8, o->ok.norm_vendor);
	db_bind_text(st, 9, o->ok.norm_product);
	db_bind_text(st, 10, o->ident);
	db_bind_text(st, 11, o->guess);
	db_bind_i64(st, 12, now);
	db_bind_i64(st, 13, name);
	if (db_step(st) != DB_ROW) {
		if (db_errcode(db) == BW_ECONFLICT)
			return bw_fail(err, BW_ECONFLICT, "product", "%s already lists %s%s%s", o->sys->name, o->ok.product,
				       *o->ok.version ? " version " : "", o->ok.version);
		return db_fail(db, err, "adding a component");
	}
	o->id = db_col_i64(st, 0);
	db_reset(st);
	struct audit_rec r = { o->by->user_id, o->by->email, o->sys->org_id, "component.create",
			       object_of(o->a, o->id),
			       arena_printf(o->a, "Added %s %s to %s", o->ok.product, o->ok.version, o->sys->name) };
	return audit_append(db, &r, err);
}

/* The best unconfirmed guess for a component typed without a CPE. */
static const char *guess_for(struct db *db, struct arena *a, const char *scope, const struct comp_ok *ok)
{
	if (ok->cpe)
		return NULL;
	struct comp_suggestion s[1];
	if (components_suggest(db, scope, ok->vendor, ok->product, s, 1) == 0 || s[0].score < 60)
		return NULL;
	return arena_printf(a, "%s:%s", s[0].vendor, s[0].product);
}

enum bw_err components_add(struct db *db, const struct actor *by, const struct comp_system *sys,
			   const struct comp_in *in, int64_t *id_out, struct bw_error *err)
{
	struct arena a;
	arena_init(&a);
	struct one o = { .by = by, .sys = sys, .a = &a };
	enum bw_err rc = components_check(&a, in, &o.ok, err);
	if (rc == BW_OK) {
		ident_of(NULL, NULL, &o.ok, o.ident);
		o.guess = guess_for(db, &a, sys->org_path, &o.ok);
		rc = db_tx(db, true, add_tx, &o, err);
	}
	if (rc == BW_OK && id_out)
		*id_out = o.id;
	arena_free(&a);
	return rc;
}

static enum bw_err update_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct one *o = arg;
	struct db_stmt *st = db_prep(db, "SELECT c.org_id, c.cpe, c.cpe_confirmed, c.source, c.ident, s.name FROM components c"
					 " JOIN systems s ON s.id = c.system_id WHERE c.id = ?1");
	db_bind_i64(st, 1, o->id);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such component");
	int64_t org_id = db_col_i64(st, 0);
	const char *old_cpe = db_col_text(st, 1) ? arena_strdup(o->a, db_col_text(st, 1)) : NULL;
	bool confirmed = db_col_i64(st, 2) != 0;
	bool sbom = !strcmp(db_col_text(st, 3), "sbom");
	const char *ident = sbom ? arena_strdup(o->a, db_col_text(st, 4)) : o->ident;
	const char *sys_name = arena_strdup(o->a, db_col_text(st, 5));
	db_reset(st);
	/* a confirmed mapping stays confirmed only while the CPE is unchanged */
	bool keep = confirmed && old_cpe && o->ok.cpe && !strcmp(old_cpe, o->ok.cpe);
	int64_t name;
	enum bw_err rc = components_name_id(db, o->ok.norm_vendor, o->ok.norm_product, &name, err);
	if (rc != BW_OK)
		return rc;
	st = db_prep(db, "UPDATE components SET vendor = ?2, product = ?3, version = ?4, cpe = ?5, purl = ?6,"
			 " norm_vendor = ?7, norm_product = ?8, ident = ?9, cpe_confirmed = ?10, cpe_guess = ?11,"
			 " updated_at = ?12, name_id = ?13 WHERE id = ?1");
	db_bind_i64(st, 1, o->id);
	db_bind_text(st, 2, o->ok.vendor);
	db_bind_text(st, 3, o->ok.product);
	db_bind_text(st, 4, o->ok.version);
	db_bind_text(st, 5, o->ok.cpe);
	db_bind_text(st, 6, o->ok.purl);
	db_bind_text(st, 7, o->ok.norm_vendor);
	db_bind_text(st, 8, o->ok.norm_product);
	db_bind_text(st, 9, ident);
	db_bind_i64(st, 10, keep);
	db_bind_text(st, 11, o->guess);
	db_bind_i64(st, 12, bw_now());
	db_bind_i64(st, 13, name);
	if (db_step(st) == DB_ERR) {
		if (db_errcode(db) == BW_ECONFLICT)
			return bw_fail(err, BW_ECONFLICT, "product", "%s already lists %s%s%s", sys_name, o->ok.product,
				       *o->ok.version ? " version " : "", o->ok.version);
		return db_fail(db, err, "changing a component");
	}
	struct audit_rec r = { o->by->user_id, o->by->email, org_id, "component.update", object_of(o->a, o->id),
			       arena_printf(o->a, "Changed %s %s in %s", o->ok.product, o->ok.version, sys_name) };
	return audit_append(db, &r, err);
}

enum bw_err components_update(struct db *db, const struct actor *by, int64_t id, const struct comp_in *in,
			      struct bw_error *err)
{
	struct arena a;
	arena_init(&a);
	struct one o = { .by = by, .id = id, .a = &a };
	enum bw_err rc = components_check(&a, in, &o.ok, err);
	if (rc == BW_OK) {
		ident_of(NULL, NULL, &o.ok, o.ident);
		struct org_ref r;
		char idt[24];
		snprintf(idt, sizeof idt, "%lld", (long long)id);
		if (component_owner(db, idt, &r) != BW_OK)
			rc = bw_fail(err, BW_ENOTFOUND, NULL, "No such component");
		else {
			o.guess = guess_for(db, &a, r.path, &o.ok);
			rc = db_tx(db, true, update_tx, &o, err);
		}
	}
	arena_free(&a);
	return rc;
}

static enum bw_err delete_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct one *o = arg;
	struct db_stmt *st = db_prep(db, "SELECT org_id, product, version FROM components WHERE id = ?1");
	db_bind_i64(st, 1, o->id);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such component");
	int64_t org_id = db_col_i64(st, 0);
	const char *what = arena_printf(o->a, "Removed %s %s", db_col_text(st, 1), db_col_text(st, 2));
	db_reset(st);
	st = db_prep(db, "DELETE FROM components WHERE id = ?1");
	db_bind_i64(st, 1, o->id);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "removing a component");
	struct audit_rec r = { o->by->user_id, o->by->email, org_id, "component.delete", object_of(o->a, o->id), what };
	return audit_append(db, &r, err);
}

enum bw_err components_delete(struct db *db, const struct actor *by, int64_t id, struct bw_error *err)
{
	struct arena a;
	arena_init(&a);
	struct one o = { .by = by, .id = id, .a = &a };
	enum bw_err rc = db_tx(db, true, delete_tx, &o, err);
	arena_free(&a);
	return rc;
}

static enum bw_err confirm_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct one *o = arg;
	struct db_stmt *st = db_prep(db, "SELECT org_id, product FROM components WHERE id = ?1");
	db_bind_i64(st, 1, o->id);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such component");
	int64_t org_id = db_col_i64(st, 0);
	const char *what = arena_printf(o->a, "Confirmed CPE %s for %s", o->cpe, db_col_text(st, 1));
	db_reset(st);
	st = db_prep(db, "UPDATE components SET cpe = ?2, cpe_confirmed = 1, cpe_guess = NULL, updated_at = ?3 WHERE id = ?1");
	db_bind_i64(st, 1, o->id);
	db_bind_text(st, 2, o->cpe);
	db_bind_i64(st, 3, bw_now());
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "confirming a CPE");
	struct audit_rec r = { o->by->user_id, o->by->email, org_id, "component.cpe", object_of(o->a, o->id), what };
	return audit_append(db, &r, err);
}

enum bw_err components_confirm_cpe(struct db *db, const struct actor *by, int64_t id, const char *cpe,
				   struct bw_error *err)
{
	struct arena a;
	arena_init(&a);
	struct comp_in in = { .product = "x", .cpe = cpe };
	struct comp_ok ok;
	struct one o = { .by = by, .id = id, .a = &a };
	enum bw_err rc = cpe && *cpe ? components_check(&a, &in, &ok, err)
				     : bw_fail(err, BW_EINVAL, "cpe", "Choose a CPE name");
	if (rc == BW_OK) {
		o.cpe = ok.cpe;
		rc = db_tx(db, true, confirm_tx, &o, err);
	}
	arena_free(&a);
	return rc;
}

/* ---- imports ---- */

struct imp_row {
	size_t idx;               /* in the batch */
	int64_t system_id;
	uint64_t head;            /* norm_product's first 8 bytes, big-endian: most comparisons end here */
	int64_t name_id;
	const struct bw_error *bad;   /* what components_check found wrong, or NULL */
	struct comp_ok ok;
	char ident[65];
};

struct sys_cache {
	char name[LIM_COMP_SYSTEM + 1];
	int64_t id;               /* 0: no such system */
};

#define SYS_CACHE 64
#define IMPORT_BATCH 50
#define IMPORT_PG_ROWS 5000
#define IMPORT_COLS 13
#define SEED_COLS 12      /* the demo's rows: source is a literal */

struct imp {
	const struct actor *by;
	const struct comp_system *sys;
	struct comp_batch *b;
	struct imp_row **rows;
	size_t n;
	const char *source;
	int64_t sys_ids[SYS_CACHE + 1];
	size_t nsys;
	struct comp_import_result *res;
	struct arena *a;
};

static int cmp_imp(const void *x, const void *y)
{
	const struct imp_row *a = *(const struct imp_row *const *)x, *b = *(const struct imp_row *const *)y;
	if (a->system_id != b->system_id)
		return a->system_id < b->system_id ? -1 : 1;
	int c = strcmp(a->ident, b->ident);
	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int cmp_name(const void *x, const void *y)
{
	const struct imp_row *a = *(const struct imp_row *const *)x, *b = *(const struct imp_row *const *)y;
	if (a->head != b->head)
		return a->head < b->head ? -1 : 1;
	int c = strcmp(a->ok.norm_product, b->ok.norm_product);
	return c ? c : strcmp(a->ok.norm_vendor, b->ok.norm_vendor);
}

/* Name order, then identity: a row known by its name has an identity made
 * from that name, so its repeats sit next to each other and one sort both
 * orders the rows and finds the repeats. */
static int cmp_name_imp(const void *x, const void *y)
{
	int c = cmp_name(x, y);
	return c ? c : cmp_imp(x, y);
}

static int64_t system_named(struct db *db, const struct comp_system *sys, const char *name, struct sys_cache *cache,
			    size_t *ncache)
{
	if (!strcasecmp(name, sys->name))
		return sys->id;
	for (size_t i = 0; i < *ncache; i++)
		if (!strcasecmp(cache[i].name, name))
			return cache[i].id;
	struct db_stmt *st = db_prep(db, "SELECT id FROM systems WHERE org_id = ?1 AND lower(name) = lower(?2) ORDER BY id LIMIT 1");
	db_bind_i64(st, 1, sys->org_id);
	db_bind_text(st, 2, name);
	int64_t id = 0;
	if (db_step(st) == DB_ROW) {
		id = db_col_i64(st, 0);
		db_reset(st);
	}
	size_t at = *ncache < SYS_CACHE ? (*ncache)++ : (size_t)(id % SYS_CACHE);
	snprintf(cache[at].name, sizeof cache[at].name, "%s", name);
	cache[at].id = id;
	return id;
}

static int64_t count_in(struct db *db, const int64_t *ids, size_t n)
{
	int64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		struct db_stmt *st = db_prep(db, "SELECT count(*) FROM components WHERE system_id = ?1");
		db_bind_i64(st, 1, ids[i]);
		if (db_step(st) == DB_ROW) {
			total += db_col_i64(st, 0);
			db_reset(st);
		}
	}
	return total;
}

#define INSERT_COLS " INTO components (org_id, system_id, vendor, product, version, cpe, purl, norm_vendor," \
		    " norm_product, ident, source, created_at, updated_at, name_id) "

/* A later import keeps a confirmed CPE unless the file gives one. */
#define IMPORT_UPSERT \
	" ON CONFLICT (system_id, ident) DO UPDATE SET vendor = excluded.vendor," \
	" product = excluded.product, version = excluded.version," \
	" cpe = COALESCE(excluded.cpe, components.cpe), purl = COALESCE(excluded.purl, components.purl)," \
	" cpe_confirmed = CASE WHEN excluded.cpe IS NULL THEN components.cpe_confirmed ELSE 0 END," \
	" norm_vendor = excluded.norm_vendor, norm_product = excluded.norm_product, name_id = excluded.name_id," \
	" source = excluded.source, updated_at = excluded.updated_at"

/* PostgreSQL: the rows as ten arrays beside the org, source and time */
static const char import_pg_sql[] =
	"INSERT" INSERT_COLS "SELECT ?1, t.s, t.v, t.p, t.ver, t.c, t.u, t.nv, t.np, t.i, ?2, ?3, ?3, t.nm FROM unnest(?4::bigint[],"
		    " ?5::text[], ?6::text[], ?7::text[], ?8::text[], ?9::text[], ?10::text[], ?11::text[],"
		    " ?12::text[], ?13::bigint[]) WITH ORDINALITY AS t(s, v, p, ver, c, u, nv, np, i, nm, n)"
		    " ORDER BY t.n" IMPORT_UPSERT;

/* SQLite: k rows of IMPORT_COLS parameters each; with k > 1 a row already
 * there is left alone (import_sqlite changes it by itself after) */
static const char *insert_sql(struct buf *sql, size_t k)
{
	buf_reset(sql);
	buf_puts(sql, "INSERT OR FAIL" INSERT_COLS "VALUES ");
	for (size_t j = 0; j < k; j++) {
		size_t p = j * IMPORT_COLS;
		buf_printf(sql, "%s(?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu)",
			   j ? ", " : "", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8, p + 9, p + 10,
			   p + 11, p + 12, p + 12, p + 13);
	}
	buf_puts(sql, k > 1 ? " ON CONFLICT (system_id, ident) DO NOTHING" : IMPORT_UPSERT);
	return buf_cstr(sql);
}

/* PostgreSQL: the rows go as ten arrays, IMPORT_PG_ROWS a statement, so
 * the server parses and plans once for thousands of rows; a VALUES list
 * planned again for every 50 rows spent more time planning than writing. */
static enum bw_err import_pg(struct db *db, const struct imp *im, int64_t now, struct bw_error *err)
{
	struct buf col[10];
	for (size_t c = 0; c < BW_NELEM(col); c++)
		buf_init(&col[c]);
	enum bw_err rc = BW_OK;
	for (size_t i = 0; i < im->n && rc == BW_OK; i += IMPORT_PG_ROWS) {
		for (size_t c = 0; c < BW_NELEM(col); c++)
			buf_reset(&col[c]);
		for (size_t j = i; j < im->n && j < i + IMPORT_PG_ROWS; j++) {
			const struct imp_row *r = im->rows[j];
			buf_printf(&col[0], "%c%lld", col[0].len ? ',' : '{', (long long)r->system_id);
			const char *text[] = { r->ok.vendor, r->ok.product, r->ok.version, r->ok.cpe, r->ok.purl,
					       r->ok.norm_vendor, r->ok.norm_product, r->ident };
			for (size_t c = 0; c < BW_NELEM(text); c++)
				array_add(&col[c + 1], text[c]);
			buf_printf(&col[9], "%c%lld", col[9].len ? ',' : '{', (long long)r->name_id);
		}
		for (size_t c = 0; c < BW_NELEM(col); c++)
			buf_putc(&col[c], '}');
		struct db_stmt *st = db_prep(db, import_pg_sql);
		db_bind_i64(st, 1, im->sys->org_id);
		db_bind_text(st, 2, im->source);
		db_bind_i64(st, 3, now);
		for (size_t c = 0; c < BW_NELEM(col); c++)
			db_bind_textn(st, (int)c + 4, col[c].p, col[c].len);
		if (db_step(st) == DB_ERR)
			rc = db_fail(db, err, "importing components");
	}
	for (size_t c = 0; c < BW_NELEM(col); c++)
		buf_free(&col[c]);
	return rc;
}

/* SQLite: row r's values as parameters p + 1 ... p + IMPORT_COLS */
static void bind_row(struct db_stmt *st, int p, const struct imp *im, const struct imp_row *r, int64_t now)
{
	db_bind_i64(st, p + 1, im->sys->org_id);
	db_bind_i64(st, p + 2, r->system_id);
	db_bind_text_kept(st, p + 3, r->ok.vendor);
	db_bind_text_kept(st, p + 4, r->ok.product);
	db_bind_text_kept(st, p + 5, r->ok.version);
	db_bind_text_kept(st, p + 6, r->ok.cpe);
	db_bind_text_kept(st, p + 7, r->ok.purl);
	db_bind_text_kept(st, p + 8, r->ok.norm_vendor);
	db_bind_text_kept(st, p + 9, r->ok.norm_product);
	db_bind_text_kept(st, p + 10, r->ident);
	db_bind_text_kept(st, p + 11, im->source);
	db_bind_i64(st, p + 12, now);
	db_bind_i64(st, p + 13, r->name_id);
}

/* SQLite: new rows IMPORT_BATCH a statement, the rows' text bound where it
 * lies (many rows a statement: six cursors opened and closed once per
 * batch, not once per row). A batch that found rows already there writes
 * each of its rows again as an upsert of its own (the rows it has just
 * added get the same values again). Not an upsert of many rows: a
 * statement of many rows that can stop half done (an upsert's update can,
 * and so can a foreign key check, which components_import turns off for a
 * big import) makes SQLite copy each page the statement changes aside
 * first, in case it must undo the statement alone — 600 MB for a
 * 100,000-row file — while this transaction is undone whole on any error. */
static enum bw_err import_sqlite(struct db *db, const struct imp *im, int64_t now, struct bw_error *err)
{
	struct buf sql, one_sql;
	buf_init(&sql);
	buf_init(&one_sql);
	insert_sql(&one_sql, 1);
	size_t batch = IMPORT_BATCH, sql_k = 0;
	struct db_stmt *st = NULL;
	enum bw_err rc = BW_OK;
	for (size_t i = 0; i < im->n && rc == BW_OK; i += batch) {
		size_t k = im->n - i < batch ? im->n - i : batch;
		/* the text is the same for every full batch: looked up once, not
		 * hashed and compared again for each of 100,000 rows (a step
		 * leaves the statement reset, ready for the next values) */
		if (k != sql_k) {
			insert_sql(&sql, sql_k = k);
			st = db_prep(db, buf_cstr(&sql));
		}
		for (size_t j = 0; j < k; j++)
			bind_row(st, (int)(j * IMPORT_COLS), im, im->rows[i + j], now);
		if (db_step(st) == DB_ERR)
			rc = db_fail(db, err, "importing components");
		else if (db_changes(db) < (int64_t)k)
			for (size_t j = 0; j < k && rc == BW_OK; j++) {
				struct db_stmt *one = db_prep(db, buf_cstr(&one_sql));
				bind_row(one, 0, im, im->rows[i + j], now);
				if (db_step(one) == DB_ERR)
					rc = db_fail(db, err, "importing components");
			}
	}
	buf_free(&sql);
	buf_free(&one_sql);
	return rc;
}

static enum bw_err import_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct imp *im = arg;
	int64_t before = count_in(db, im->sys_ids, im->nsys);
	int64_t now = bw_now();
	/* the rows are in name order already */
	struct name_ref *refs = calloc(im->n ? im->n : 1, sizeof *refs);
	if (!refs)
		abort();
	for (size_t i = 0; i < im->n; i++)
		refs[i] = (struct name_ref){ im->rows[i]->ok.norm_vendor, im->rows[i]->ok.norm_product, &im->rows[i]->name_id };
	enum bw_err rc = names_resolve(db, refs, im->n, err);
	free(refs);
	if (rc == BW_OK)
		rc = db_kind(db) == DB_POSTGRES ? import_pg(db, im, now, err) : import_sqlite(db, im, now, err);
	if (rc != BW_OK)
		return rc;
	int64_t after = count_in(db, im->sys_ids, im->nsys);
	im->res->added = after - before;
	im->res->updated = (int64_t)im->n - im->res->added;
	im->res->skipped = (int64_t)im->b->nerrs;
	const char *summary = arena_printf(im->a, "Imported %s into %s: %lld added, %lld updated, %lld rows skipped",
					   im->b->format, im->sys->name, (long long)im->res->added,
					   (long long)im->res->updated, (long long)im->res->skipped);
	struct audit_rec r = { im->by->user_id, im->by->email, im->sys->org_id, "component.import",
			       arena_printf(im->a, "system:%lld", (long long)im->sys->id), summary };
	return audit_append(db, &r, err);
}

/* The checks that need no database (CPE and purl through the match engine,
 * the identity's hash, the sort key) for rows [from, to), into arena a. */
struct check_part {
	const struct comp_batch *b;
	struct imp_row *rows;
	size_t from, to;
	struct arena *a;
};

static void *check_rows(void *arg)
{
	const struct check_part *c = arg;
	for (size_t i = c->from; i < c->to; i++) {
		const struct comp_in *in = &c->b->v[i];
		struct imp_row *r = &c->rows[i];
		struct bw_error e;    /* filled on failure only: not zeroed for every row */
		e.field[0] = e.msg[0] = '\0';
		r->idx = i;
		if (components_check(c->a, in, &r->ok, &e) != BW_OK) {
			struct bw_error *keep = arena_alloc(c->a, sizeof *keep);
			*keep = e;
			r->bad = keep;
			continue;
		}
		ident_of(c->b->ns, c->b->ns ? in->ref : NULL, &r->ok, r->ident);
		r->head = 0;
		for (size_t k = 0; k < 8 && r->ok.norm_product[k]; k++)
			r->head |= (uint64_t)(unsigned char)r->ok.norm_product[k] << (56 - 8 * k);
	}
	return NULL;
}

/* A big file's second half is checked on another core meanwhile: the
 * checks are a quarter of an import's time. */
#define CHECK_SPLIT 2048

static void check_all(struct comp_batch *b, struct imp_row *rows, struct arena *second)
{
	struct check_part one = { b, rows, 0, b->n, b->arena }, two = one;
	pthread_t th;
	bool split = b->n >= CHECK_SPLIT;
	if (split) {
		one.to = two.from = b->n / 2;
		two.a = second;
		split = pthread_create(&th, NULL, check_rows, &two) == 0;
		if (!split)
			one.to = b->n;
	}
	check_rows(&one);
	if (split)
		pthread_join(th, NULL);
}

enum bw_err components_import(struct db *db, const struct actor *by, const struct comp_system *sys,
			      struct comp_batch *b, bool partial, const char *source,
			      struct comp_import_result *res, struct bw_error *err)
{
	*res = (struct comp_import_result){ 0 };
	struct imp_row *rows = calloc(b->n ? b->n : 1, sizeof *rows);
	struct imp_row **ptrs = calloc(b->n ? b->n : 1, sizeof *ptrs);
	struct sys_cache *cache = calloc(SYS_CACHE, sizeof *cache);
	if (!rows || !ptrs || !cache)
		abort();
	struct arena second;
	arena_init(&second);
	check_all(b, rows, &second);
	size_t ncache = 0, n = 0;
	struct imp im = { .by = by, .sys = sys, .b = b, .source = source, .res = res, .a = b->arena };
	im.sys_ids[im.nsys++] = sys->id;
	for (size_t i = 0; i < b->n; i++) {
		const struct comp_in *in = &b->v[i];
		struct imp_row *r = &rows[i];
		r->system_id = sys->id;
		const char *label = b->ns && in->product ? in->product : NULL;
		if (in->system && *in->system) {
			if (strlen(in->system) > LIM_COMP_SYSTEM) {
				comp_batch_error(b, in->row, "system", "The system name is longer than %d characters", LIM_COMP_SYSTEM);
				continue;
			}
			r->system_id = system_named(db, sys, in->system, cache, &ncache);
			if (!r->system_id) {
				comp_batch_error(b, in->row, "system", "%s has no system called \"%s\"", sys->org_name, in->system);
				continue;
			}
		}
		if (r->bad) {
			comp_batch_error(b, in->row, r->bad->field, "%s%s%s", label ? label : "", label ? ": " : "",
					 r->bad->msg);
			continue;
		}
		bool seen = false;
		for (size_t k = 0; k < im.nsys; k++)
			seen = seen || im.sys_ids[k] == r->system_id;
		if (!seen && im.nsys < SYS_CACHE + 1)
			im.sys_ids[im.nsys++] = r->system_id;
		ptrs[n] = r;
		n++;
	}
	/* the same component twice in one file: the later row wins. Written in
	 * name order: the name indexes then grow at one place at a time instead
	 * of at random pages all over a national table. An SBOM's rows are known
	 * by reference, so its repeats are found in identity order first. */
	qsort(ptrs, n, sizeof *ptrs, b->ns ? cmp_imp : cmp_name_imp);
	size_t u = 0;
	for (size_t i = 0; i < n; i++) {
		if (u && ptrs[u - 1]->system_id == ptrs[i]->system_id && !strcmp(ptrs[u - 1]->ident, ptrs[i]->ident))
			ptrs[u - 1] = ptrs[i];
		else
			ptrs[u++] = ptrs[i];
	}
	if (b->ns)
		qsort(ptrs, u, sizeof *ptrs, cmp_name);
	im.rows = ptrs;
	im.n = u;
	enum bw_err rc;
	if (b->nerrs && !partial)
		rc = bw_fail(err, BW_EINVAL, "file", "%zu row%s of the file %s problems, so nothing was imported", b->nerrs,
			     b->nerrs == 1 ? "" : "s", b->nerrs == 1 ? "has" : "have");
	else if (u == 0)
		rc = bw_fail(err, BW_EINVAL, "file", "No row of the file could be imported");
	else {
		/* a big import touches index pages all over: give SQLite room to keep
		 * them (the default 2 MB cache spills to the log over and over). Its
		 * rows' organisation is the system's, read through this connection:
		 * no row needs its foreign key checked (see import_sqlite). */
		int64_t cache = 0;
		if (db_kind(db) == DB_SQLITE && u > 1000) {
			cache = db_query_i64(db, "PRAGMA cache_size", 0);
			db_exec(db, "PRAGMA cache_size = -524288; PRAGMA foreign_keys = OFF", NULL);
		}
		rc = db_tx(db, true, import_tx, &im, err);
		if (cache) {
			char sql[80];
			snprintf(sql, sizeof sql, "PRAGMA cache_size = %lld; PRAGMA foreign_keys = ON", (long long)cache);
			db_exec(db, sql, NULL);
		}
	}
	free(rows);
	free(ptrs);
	free(cache);
	arena_free(&second);
	return rc;
}

/* ---- demo estate ---- */

struct pool_item {
	struct comp_ok ok;
	char ident[65];
	int64_t name_id;
};

struct pool {
	struct pool_item *v;
	size_t n, cap;
};

static void pool_add(struct pool *p, struct arena *a, const struct comp_in *in)
{
	struct comp_ok ok;
	if (components_check(a, in, &ok, NULL) != BW_OK)
		return;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4096;
		struct pool_item *v = realloc(p->v, p->cap * sizeof *v);
		if (!v)
			abort();
		p->v = v;
	}
	struct pool_item *it = &p->v[p->n++];
	it->ok = ok;
	ident_of(NULL, NULL, &ok, it->ident);
}

/* Rows of a TSV list (optionally gzip), split on tabs; fn sees each. */
static bool read_tsv(const char *path, void (*fn)(char **f, size_t nf, void *arg), void *arg)
{
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return false;
	char line[8192];
	bool header = true;
	while (gzgets(gz, line, sizeof line)) {
		size_t ln = strlen(line);
		while (ln && (line[ln - 1] == '\n' || line[ln - 1] == '\r'))
			line[--ln] = 0;
		if (header) {
			header = false;
			continue;
		}
		char *f[16];
		size_t nf = 0;
		f[nf++] = line;
		for (char *p = line; *p && nf < 16; p++)
			if (*p == '\t') {
				*p = 0;
				f[nf++] = p + 1;
			}
		fn(f, nf, arg);
	}
	gzclose(gz);
	return true;
}

struct pool_fill {
	struct pool *apps, *pkgs;
	struct arena *a;
	unsigned stride, seen;   /* the small estate needs only every stride-th product */
};

/* Applications: CVE records' products with a CPE, so exposures are real;
 * products many records mention (and clinical ones) always, others sampled. */
static void app_row(char **f, size_t nf, void *arg)
{
	struct pool_fill *pf = arg;
	if (nf < 13 || !*f[3] || !strstr(f[5], ":affected"))
		return;
	bool popular = atoi(f[8]) >= 3 || !strcmp(f[12], "healthcare");
	if (!popular && pf->seen++ % pf->stride)
		return;
	/* the version as the CPE holds it, unescaped ("12.2(33)sre6", not "12.2\\(33\\)sre6") */
	struct comp_in in = { .vendor = f[0], .product = f[1], .cpe = f[3] };
	struct comp_ok ok;
	if (components_check(pf->a, &in, &ok, NULL) != BW_OK)
		return;
	if (!*ok.version)
		in.version = f[2];
	pool_add(pf->apps, pf->a, &in);
}

/* Server packages: Debian packages with their purls. */
static void pkg_row(char **f, size_t nf, void *arg)
{
	struct pool_fill *pf = arg;
	if (nf < 5 || strcmp(f[0], "deb") != 0 || !*f[4])
		return;
	struct comp_in in = { .vendor = "Debian", .product = f[1], .version = f[2], .purl = f[4] };
	pool_add(pf->pkgs, pf->a, &in);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

struct seed {
	struct pool apps, pkgs;
	bool national;
	int64_t nsystems;
	int64_t added;
};

static enum bw_err seed_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct seed *s = arg;
	s->added = 0;
	/* a reasonable spread: 2 million components nationally, a few dozen a system in the small estate */
	int64_t avg = s->national ? 2000000 / (s->nsystems ? s->nsystems : 1) : 24;
	if (avg < 4)
		avg = 4;
	if (avg > 1500)
		avg = 1500;
	int64_t now = bw_now();
	size_t nrefs = 0;
	struct name_ref *refs = calloc(s->apps.n + s->pkgs.n + 1, sizeof *refs);
	if (!refs)
		abort();
	struct pool *pools[] = { &s->apps, &s->pkgs };
	for (size_t k = 0; k < BW_NELEM(pools); k++)
		for (size_t i = 0; i < pools[k]->n; i++) {
			struct pool_item *it = &pools[k]->v[i];
			refs[nrefs++] = (struct name_ref){ it->ok.norm_vendor, it->ok.norm_product, &it->name_id };
		}
	qsort(refs, nrefs, sizeof *refs, name_ref_cmp);
	enum bw_err rc = names_resolve(db, refs, nrefs, err);
	free(refs);
	struct buf sql;
	buf_init(&sql);
	buf_puts(&sql, "INSERT INTO components (org_id, system_id, vendor, product, version, cpe, purl, norm_vendor,"
		       " norm_product, ident, source, created_at, updated_at, name_id) VALUES ");
	for (size_t j = 0; j < IMPORT_BATCH; j++) {
		size_t p = j * SEED_COLS;
		buf_printf(&sql, "%s(?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, ?%zu, 'demo', ?%zu, ?%zu, ?%zu)",
			   j ? ", " : "", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8, p + 9, p + 10,
			   p + 11, p + 11, p + 12);
	}
	buf_puts(&sql, " ON CONFLICT (system_id, ident) DO NOTHING");
	const char *batch_sql = buf_cstr(&sql);
	struct db_stmt *sys = db_prep(db, "SELECT id, org_id FROM systems ORDER BY id");
	/* rows pending for the batch statement */
	struct { int64_t org, sysid; const struct pool_item *it; } pend[IMPORT_BATCH];
	size_t npend = 0;
	int64_t (*ids)[2] = NULL;
	size_t nids = 0, cap = 0;
	int step;
	while ((step = db_step(sys)) == DB_ROW) {
		if (nids == cap) {
			cap = cap ? cap * 2 : 1024;
			int64_t (*v)[2] = realloc(ids, cap * sizeof *ids);
			if (!v)
				abort();
			ids = v;
		}
		ids[nids][0] = db_col_i64(sys, 0);
		ids[nids][1] = db_col_i64(sys, 1);
		nids++;
	}
	if (step == DB_ERR)
		rc = db_fail(db, err, "demo components: systems");
	for (size_t si = 0; si < nids && rc == BW_OK; si++) {
		uint64_t h = mix((uint64_t)ids[si][0] * 0x9e3779b97f4a7c15ull);
		int64_t count = avg / 2 + (int64_t)(h % (uint64_t)avg);
		/* one system in three is a server estate of packages, the rest applications */
		const struct pool *p = (h >> 20) % 3 == 0 && s->pkgs.n ? &s->pkgs : &s->apps;
		if (!p->n)
			p = &s->pkgs;
		if (!p->n)
			break;
		if ((size_t)count > p->n)
			count = (int64_t)p->n;
		/* distinct items: a stride coprime with the pool size */
		size_t start = (size_t)(h % p->n), step = 1 + (size_t)((h >> 32) % 7919);
		while (p->n % step == 0 && step > 1)
			step--;
		for (int64_t k = 0; k < count && rc == BW_OK; k++) {
			pend[npend].org = ids[si][1];
			pend[npend].sysid = ids[si][0];
			pend[npend].it = &p->v[(start + (size_t)k * step) % p->n];
			npend++;
			if (npend == IMPORT_BATCH) {
				struct db_stmt *st = db_prep(db, batch_sql);
				for (size_t j = 0; j < npend; j++) {
					int q = (int)(j * SEED_COLS);
					const struct comp_ok *ok = &pend[j].it->ok;
					db_bind_i64(st, q + 1, pend[j].org);
					db_bind_i64(st, q + 2, pend[j].sysid);
					db_bind_text(st, q + 3, ok->vendor);
					db_bind_text(st, q + 4, ok->product);
					db_bind_text(st, q + 5, ok->version);
					db_bind_text(st, q + 6, ok->cpe);
					db_bind_text(st, q + 7, ok->purl);
					db_bind_text(st, q + 8, ok->norm_vendor);
					db_bind_text(st, q + 9, ok->norm_product);
					db_bind_text(st, q + 10, pend[j].it->ident);
					db_bind_i64(st, q + 11, now);
					db_bind_i64(st, q + 12, pend[j].it->name_id);
				}
				if (db_step(st) == DB_ERR)
					rc = db_fail(db, err, "demo components");
				s->added += (int64_t)npend;
				npend = 0;
			}
		}
	}
	/* the remainder, one row at a time (at most a batch) */
	for (size_t j = 0; j < npend && rc == BW_OK; j++) {
		struct db_stmt *st = db_prep(db, "INSERT INTO components (org_id, system_id, vendor, product, version, cpe, purl,"
						 " norm_vendor, norm_product, ident, source, created_at, updated_at, name_id)"
						 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'demo', ?11, ?11, ?12)"
						 " ON CONFLICT (system_id, ident) DO NOTHING");
		const struct comp_ok *ok = &pend[j].it->ok;
		db_bind_i64(st, 1, pend[j].org);
		db_bind_i64(st, 2, pend[j].sysid);
		db_bind_text(st, 3, ok->vendor);
		db_bind_text(st, 4, ok->product);
		db_bind_text(st, 5, ok->version);
		db_bind_text(st, 6, ok->cpe);
		db_bind_text(st, 7, ok->purl);
		db_bind_text(st, 8, ok->norm_vendor);
		db_bind_text(st, 9, ok->norm_product);
		db_bind_text(st, 10, pend[j].it->ident);
		db_bind_i64(st, 11, now);
		db_bind_i64(st, 12, pend[j].it->name_id);
		if (db_step(st) == DB_ERR)
			rc = db_fail(db, err, "demo components");
		s->added++;
	}
	free(ids);
	buf_free(&sql);
	/* every name of the pools was stored; only those the systems drew stay */
	int64_t unused;
	return rc == BW_OK ? names_sweep_tx(db, &unused, err) : rc;
}

enum bw_err components_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err)
{
	int64_t t0 = bw_now_ms();
	int64_t dict_rows = 0;
	struct bw_error e = { 0 };
	if (components_dictionary_load(db, data_dir, &dict_rows, &e) != BW_OK)
		log_warn("components: no CPE dictionary (%s); suggestions use the inventory only", e.msg);
	struct arena a;
	arena_init(&a);
	struct seed s = { .national = national };
	struct pool_fill pf = { &s.apps, &s.pkgs, &a, national ? 2 : 8, 0 };
	char path[1024];
	snprintf(path, sizeof path, "%s/feeds/inventory/cve-affected-products.tsv.gz", data_dir);
	read_tsv(path, app_row, &pf);
	snprintf(path, sizeof path, "%s/feeds/inventory/packages-installed-images.tsv", data_dir);
	read_tsv(path, pkg_row, &pf);
	s.nsystems = db_query_i64(db, "SELECT count(*) FROM systems", 0);
	enum bw_err rc = BW_OK;
	if (s.nsystems > 0 && (s.apps.n || s.pkgs.n))
		rc = db_tx(db, true, seed_tx, &s, err);
	if (rc == BW_OK)
		log_info("components: demo seeded %lld components over %lld systems, %lld dictionary names in %lld ms",
			 (long long)s.added, (long long)s.nsystems, (long long)dict_rows, (long long)(bw_now_ms() - t0));
	free(s.apps.v);
	free(s.pkgs.v);
	arena_free(&a);
	return rc;
}

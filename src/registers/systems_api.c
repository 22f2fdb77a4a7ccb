/*
 * systems_api: /api/v1 for the critical systems register — an
 * organisation's systems (GET list with the page's filters, POST), one
 * system (GET with its backups, restore tests, dependencies and gaps; PUT
 * changes the fields it names; DELETE), and its backups, restore tests and
 * dependencies as sub-resources (GET, POST, DELETE; PUT changes the fields
 * a backup or restore test body names). Bodies are checked
 * against the same field tables as the pages; every refusal names its
 * field, and an unknown member is refused rather than ignored.
 */
#include <stdio.h>
#include <string.h>

#include "registers/systems_int.h"

/* ---- reading bodies ---- */

/* The body's members as form values: strings as they are, integers in
 * decimal, true as "1", false and null as "". Unknown members and other
 * types are refused, naming the member. */
static bool body_values(struct ctx *c, const struct web_field *f, size_t n, const char **v, bool *given)
{
	json_t *j;
	struct bw_error e = { 0 };
	if (http_json_parse(c->req->body, c->req->body_len, &j, &e) != BW_OK) {
		ctx_error(c, web_err_status(e.code), &e);
		return false;
	}
	const char *key;
	json_t *val;
	json_object_foreach(j, key, val) {
		size_t i = 0;
		while (i < n && strcmp(f[i].name, key))
			i++;
		if (i == n) {
			bw_fail(&e, BW_EINVAL, key, "%s is not a field of this record", key);
			break;
		}
		given[i] = true;
		if (json_is_string(val)) {
			if (strlen(json_string_value(val)) != json_string_length(val)) {
				bw_fail(&e, BW_EINVAL, key, "%s must not contain a NUL character", key);
				break;
			}
			v[i] = arena_strdup(c->arena, json_string_value(val));
		} else if (json_is_integer(val)) {
			v[i] = arena_printf(c->arena, "%lld", (long long)json_integer_value(val));
		} else if (json_is_true(val)) {
			v[i] = "1";
		} else if (json_is_false(val) || json_is_null(val)) {
			v[i] = "";
		} else {
			bw_fail(&e, BW_EINVAL, key, "%s must be a string or a whole number", key);
			break;
		}
	}
	json_decref(j);
	if (e.code != BW_OK) {
		ctx_error(c, 400, &e);
		return false;
	}
	return true;
}

static bool path_id(struct ctx *c, const char *param, int64_t *id)
{
	if (!str_to_i64(str_c(ctx_param(c, param)), 1, INT64_MAX, id)) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "No such record");
		return false;
	}
	return true;
}

static bool load(struct ctx *c, struct reg_system *s)
{
	int64_t id;
	if (!path_id(c, "system", &id))
		return false;
	if (systems_get(c->db, c->arena, id, s) != BW_OK) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "No such system");
		return false;
	}
	return true;
}

static void fail_with(struct ctx *c, const struct bw_error *e)
{
	ctx_error(c, web_err_status(e->code), e);
}

/* ---- writing JSON ---- */

static void key_opt(struct web_json *j, const char *k, int64_t v)
{
	web_json_key(j, k);
	if (v < 0)
		web_json_null(j);
	else
		web_json_int(j, v);
}

static void system_json(struct ctx *c, struct web_json *j, const struct reg_system *s, int64_t now, int64_t days)
{
	web_json_object(j);
	web_json_key(j, "id");
	web_json_int(j, s->id);
	web_json_key(j, "org");
	web_json_str(j, s->org_code);
	web_json_key(j, "name");
	web_json_str(j, s->name);
	web_json_key(j, "essential_function");
	web_json_str(j, s->function);
	web_json_key(j, "tier");
	web_json_int(j, s->tier);
	web_json_key(j, "owner");
	web_json_str(j, s->owner);
	web_json_key(j, "hosting");
	web_json_str(j, s->hosting);
	char sup[LIM_NAME + 1];
	bool has_sup = s->supplier_id && systems_supplier_name(c->db, s->org_id, s->supplier_id, sup, sizeof sup);
	key_opt(j, "supplier", has_sup ? s->supplier_id : -1);
	web_json_key(j, "supplier_name");
	web_json_str(j, has_sup ? sup : NULL);
	key_opt(j, "rto_hours", s->rto_hours);
	key_opt(j, "rpo_hours", s->rpo_hours);
	web_json_key(j, "downtime_procedure");
	web_json_str(j, s->downtime);
	web_json_key(j, "status");
	web_json_str(j, s->status);
	web_json_key(j, "offline_backup");
	web_json_bool(j, s->has_offline);
	web_json_key(j, "last_successful_restore_test");
	char d[16];
	if (s->last_success_on)
		systems_date_iso(s->last_success_on, d);
	web_json_str(j, s->last_success_on ? d : NULL);
	web_json_key(j, "gaps");
	web_json_array(j);
	unsigned g = systems_gaps(s, now, days);
	for (unsigned i = 0; i < GAP_KINDS; i++)
		if (g & (1u << i))
			web_json_str(j, systems_gap_name(i));
	web_json_end(j);
	char at[32];
	bw_time_iso(s->updated_at, at);
	web_json_key(j, "updated_at");
	web_json_str(j, at);
	web_json_end(j);
}

/* The system's backups as objects (item: only that one; 0: all). */
static void backup_objects(struct ctx *c, struct web_json *j, int64_t system_id, int64_t item)
{
	struct db_stmt *st = db_prep(c->db, "SELECT id, method, frequency, offline, immutable, location FROM system_backups"
					    " WHERE system_id = ?1 AND (?2 = 0 OR id = ?2) ORDER BY id");
	db_bind_i64(st, 1, system_id);
	db_bind_i64(st, 2, item);
	while (db_step(st) == DB_ROW) {
		web_json_object(j);
		web_json_key(j, "id");
		web_json_int(j, db_col_i64(st, 0));
		web_json_key(j, "method");
		web_json_str(j, db_col_text(st, 1));
		web_json_key(j, "frequency");
		web_json_str(j, db_col_text(st, 2));
		web_json_key(j, "offline");
		web_json_bool(j, db_col_i64(st, 3) != 0);
		web_json_key(j, "immutable");
		web_json_bool(j, db_col_i64(st, 4) != 0);
		web_json_key(j, "location");
		web_json_str(j, db_col_text(st, 5));
		web_json_end(j);
	}
}

static void backups_json(struct ctx *c, struct web_json *j, int64_t system_id)
{
	web_json_array(j);
	backup_objects(c, j, system_id, 0);
	web_json_end(j);
}

static void restore_objects(struct ctx *c, struct web_json *j, int64_t system_id, int64_t item)
{
	struct db_stmt *st = db_prep(c->db, "SELECT id, tested_on, result, minutes, backup_id, notes FROM restore_tests"
					    " WHERE system_id = ?1 AND (?2 = 0 OR id = ?2) ORDER BY tested_on DESC, id DESC");
	db_bind_i64(st, 1, system_id);
	db_bind_i64(st, 2, item);
	while (db_step(st) == DB_ROW) {
		char d[16];
		systems_date_iso(db_col_i64(st, 1), d);
		web_json_object(j);
		web_json_key(j, "id");
		web_json_int(j, db_col_i64(st, 0));
		web_json_key(j, "tested_on");
		web_json_str(j, d);
		web_json_key(j, "result");
		web_json_str(j, db_col_text(st, 2));
		key_opt(j, "minutes", db_col_isnull(st, 3) ? -1 : db_col_i64(st, 3));
		key_opt(j, "backup", db_col_isnull(st, 4) ? -1 : db_col_i64(st, 4));
		web_json_key(j, "notes");
		web_json_str(j, db_col_text(st, 5));
		web_json_end(j);
	}
}

static void restores_json(struct ctx *c, struct web_json *j, int64_t system_id)
{
	web_json_array(j);
	restore_objects(c, j, system_id, 0);
	web_json_end(j);
}

static void deps_json(struct ctx *c, struct web_json *j, int64_t system_id)
{
	struct db_stmt *st = db_prep(c->db, "SELECT id, kind, on_system_id, on_supplier_id, location, note FROM system_deps"
					    " WHERE system_id = ?1 ORDER BY id");
	db_bind_i64(st, 1, system_id);
	web_json_array(j);
	while (db_step(st) == DB_ROW) {
		web_json_object(j);
		web_json_key(j, "id");
		web_json_int(j, db_col_i64(st, 0));
		web_json_key(j, "kind");
		web_json_str(j, db_col_text(st, 1));
		key_opt(j, "on_system", db_col_isnull(st, 2) ? -1 : db_col_i64(st, 2));
		key_opt(j, "on_supplier", db_col_isnull(st, 3) ? -1 : db_col_i64(st, 3));
		web_json_key(j, "location");
		web_json_str(j, db_col_text(st, 4));
		web_json_key(j, "note");
		web_json_str(j, db_col_text(st, 5));
		web_json_end(j);
	}
	web_json_end(j);
}

/* {"data": <system with its parts>} */
static void answer_system(struct ctx *c, int64_t id, int status)
{
	struct reg_system s;
	if (systems_get(c->db, c->arena, id, &s) != BW_OK)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "No such system");
	struct web_json j;
	ctx_json_begin(c, &j);
	c->resp->status = status;
	web_json_object(&j);
	web_json_key(&j, "data");
	system_json(c, &j, &s, bw_now(), systems_restore_max_days());
	web_json_key(&j, "backups");
	backups_json(c, &j, s.id);
	web_json_key(&j, "restore_tests");
	restores_json(c, &j, s.id);
	web_json_key(&j, "dependencies");
	deps_json(c, &j, s.id);
	web_json_end(&j);
}

/* ---- systems ---- */

void systems_api_list(struct ctx *c)
{
	struct org o;
	if (!systems_load_org(c, &o))
		return;
	int64_t limit, offset;
	if (!ctx_page_args(c, &limit, &offset))
		return;
	struct systems_filter f;
	if (!systems_filter_read(c, &f, true))
		return;
	int64_t now = bw_now(), days = systems_restore_max_days();
	struct db_stmt *st = db_prep(c->db, "SELECT " SYSTEMS_COLS " FROM systems s JOIN orgs o ON o.id = s.org_id"
					    SYSTEMS_LIST_WHERE " ORDER BY s.tier, lower(s.name), s.id LIMIT ?7 OFFSET ?8");
	systems_filter_bind(st, o.id, &f, systems_restore_cutoff(now, days));
	db_bind_i64(st, 7, limit + 1);
	db_bind_i64(st, 8, offset);
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_list_begin(&j, &c->resp->body);
	int64_t n = 0;
	bool more = false;
	int rc;
	/* rows are read whole first: a supplier's name is a second statement */
	struct reg_system *rows = arena_alloc(c->arena, (size_t)(limit + 1) * sizeof *rows);
	while ((rc = db_step(st)) == DB_ROW) {
		if (n == limit) {
			more = true;
			db_reset(st);
			break;
		}
		systems_row(st, c->arena, &rows[n++]);
	}
	for (int64_t i = 0; i < n; i++)
		system_json(c, &j, &rows[i], now, days);
	web_json_list_end(&j, more ? arena_printf(c->arena, "%lld", (long long)(offset + limit)) : NULL);
}

void systems_api_create(struct ctx *c)
{
	struct org o;
	if (!systems_load_org(c, &o))
		return;
	const char *v[SF_COUNT] = { 0 };
	bool given[SF_COUNT] = { 0 };
	if (!body_values(c, systems_fields, SF_COUNT, v, given))
		return;
	struct bw_error e = { 0 };
	int64_t id;
	if (systems_save(c->db, &c->actor, o.id, 0, v, &id, &e) != BW_OK)
		return fail_with(c, &e);
	answer_system(c, id, 201);
}

void systems_api_get(struct ctx *c)
{
	struct reg_system s;
	if (load(c, &s))
		answer_system(c, s.id, 200);
}

void systems_api_put(struct ctx *c)
{
	struct reg_system s;
	if (!load(c, &s))
		return;
	/* members left out keep their values */
	const char *v[SF_COUNT] = {
		[SF_NAME] = s.name, [SF_FUNCTION] = s.function, [SF_TIER] = arena_printf(c->arena, "%d", s.tier),
		[SF_OWNER] = s.owner, [SF_HOSTING] = s.hosting,
		[SF_SUPPLIER] = s.supplier_id ? arena_printf(c->arena, "%lld", (long long)s.supplier_id) : "",
		[SF_RTO] = s.rto_hours >= 0 ? arena_printf(c->arena, "%lld", (long long)s.rto_hours) : "",
		[SF_RPO] = s.rpo_hours >= 0 ? arena_printf(c->arena, "%lld", (long long)s.rpo_hours) : "",
		[SF_DOWNTIME] = s.downtime, [SF_STATUS] = s.status,
	};
	bool given[SF_COUNT] = { 0 };
	if (!body_values(c, systems_fields, SF_COUNT, v, given))
		return;
	struct bw_error e = { 0 };
	if (systems_save(c->db, &c->actor, s.org_id, s.id, v, NULL, &e) != BW_OK)
		return fail_with(c, &e);
	answer_system(c, s.id, 200);
}

static void answer_deleted(struct ctx *c, int64_t id)
{
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	web_json_key(&j, "id");
	web_json_int(&j, id);
	web_json_key(&j, "deleted");
	web_json_bool(&j, true);
	web_json_end(&j);
	web_json_end(&j);
}

void systems_api_delete(struct ctx *c)
{
	struct reg_system s;
	struct bw_error e = { 0 };
	if (!load(c, &s))
		return;
	if (systems_delete(c->db, &c->actor, s.id, &e) != BW_OK)
		return fail_with(c, &e);
	answer_deleted(c, s.id);
}

/* ---- sub-resources ---- */

static void list_part(struct ctx *c, void (*fn)(struct ctx *, struct web_json *, int64_t))
{
	struct reg_system s;
	if (!load(c, &s))
		return;
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "data");
	fn(c, &j, s.id);
	web_json_end(&j);
}

void systems_api_backups(struct ctx *c)
{
	list_part(c, backups_json);
}

void systems_api_restores(struct ctx *c)
{
	list_part(c, restores_json);
}

void systems_api_deps(struct ctx *c)
{
	list_part(c, deps_json);
}

typedef enum bw_err (*add_fn)(struct db *, const struct actor *, int64_t, const char *const *, int64_t *,
			      struct bw_error *);

static void add_part(struct ctx *c, const struct web_field *f, size_t n, add_fn add)
{
	struct reg_system s;
	if (!load(c, &s))
		return;
	const char **v = arena_alloc(c->arena, n * sizeof *v);
	bool *given = arena_alloc(c->arena, n * sizeof *given);
	if (!body_values(c, f, n, v, given))
		return;
	struct bw_error e = { 0 };
	int64_t id;
	if (add(c->db, &c->actor, s.id, v, &id, &e) != BW_OK)
		return fail_with(c, &e);
	struct web_json j;
	ctx_json_begin(c, &j);
	c->resp->status = 201;
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	web_json_key(&j, "id");
	web_json_int(&j, id);
	web_json_key(&j, "system");
	web_json_int(&j, s.id);
	web_json_end(&j);
	web_json_end(&j);
}

void systems_api_backup_add(struct ctx *c)
{
	add_part(c, backup_fields, BF_COUNT, systems_backup_add);
}

void systems_api_restore_add(struct ctx *c)
{
	add_part(c, restore_fields, RF_COUNT, systems_restore_add);
}

void systems_api_dep_add(struct ctx *c)
{
	add_part(c, dep_fields, DF_COUNT, systems_dep_add);
}

/* ---- changing a backup or restore test: members left out keep their values ---- */

typedef enum bw_err (*update_fn)(struct db *, const struct actor *, int64_t, int64_t, const char *const *,
				 struct bw_error *);

/* v holds the item's current values; the body's members replace them. */
static void put_part(struct ctx *c, const struct web_field *f, size_t n, const char **v, int64_t system_id,
		     int64_t id, update_fn update, void (*objects)(struct ctx *, struct web_json *, int64_t, int64_t))
{
	bool *given = arena_alloc(c->arena, n * sizeof *given);
	if (!body_values(c, f, n, v, given))
		return;
	struct bw_error e = { 0 };
	if (update(c->db, &c->actor, system_id, id, v, &e) != BW_OK)
		return fail_with(c, &e);
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "data");
	objects(c, &j, system_id, id);
	web_json_end(&j);
}

void systems_api_backup_put(struct ctx *c)
{
	struct reg_system s;
	int64_t id;
	if (!load(c, &s) || !path_id(c, "backup", &id))
		return;
	struct db_stmt *st = db_prep(c->db, "SELECT method, frequency, offline, immutable, location FROM system_backups"
					    " WHERE id = ?1 AND system_id = ?2");
	db_bind_i64(st, 1, id);
	db_bind_i64(st, 2, s.id);
	if (db_step(st) != DB_ROW)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "This system has no such backup");
	const char **v = arena_alloc(c->arena, BF_COUNT * sizeof *v);
	v[BF_METHOD] = arena_strdup(c->arena, db_col_text(st, 0));
	v[BF_FREQUENCY] = arena_strdup(c->arena, db_col_text(st, 1));
	v[BF_OFFLINE] = db_col_i64(st, 2) ? "1" : "";
	v[BF_IMMUTABLE] = db_col_i64(st, 3) ? "1" : "";
	v[BF_LOCATION] = arena_strdup(c->arena, db_col_text(st, 4));
	db_reset(st);
	put_part(c, backup_fields, BF_COUNT, v, s.id, id, systems_backup_update, backup_objects);
}

void systems_api_restore_put(struct ctx *c)
{
	struct reg_system s;
	int64_t id;
	if (!load(c, &s) || !path_id(c, "restore", &id))
		return;
	struct db_stmt *st = db_prep(c->db, "SELECT tested_on, result, minutes, backup_id, notes FROM restore_tests"
					    " WHERE id = ?1 AND system_id = ?2");
	db_bind_i64(st, 1, id);
	db_bind_i64(st, 2, s.id);
	if (db_step(st) != DB_ROW)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "This system has no such restore test");
	const char **v = arena_alloc(c->arena, RF_COUNT * sizeof *v);
	char d[16];
	systems_date_iso(db_col_i64(st, 0), d);
	v[RF_DATE] = arena_strdup(c->arena, d);
	v[RF_RESULT] = arena_strdup(c->arena, db_col_text(st, 1));
	v[RF_MINUTES] = db_col_isnull(st, 2) ? "" : arena_printf(c->arena, "%lld", (long long)db_col_i64(st, 2));
	v[RF_BACKUP] = db_col_isnull(st, 3) ? "" : arena_printf(c->arena, "%lld", (long long)db_col_i64(st, 3));
	v[RF_NOTES] = arena_strdup(c->arena, db_col_text(st, 4) ? db_col_text(st, 4) : "");
	db_reset(st);
	put_part(c, restore_fields, RF_COUNT, v, s.id, id, systems_restore_update, restore_objects);
}

typedef enum bw_err (*del_fn)(struct db *, const struct actor *, int64_t, int64_t, struct bw_error *);

static void delete_part(struct ctx *c, const char *param, del_fn del)
{
	struct reg_system s;
	int64_t id;
	struct bw_error e = { 0 };
	if (!load(c, &s) || !path_id(c, param, &id))
		return;
	if (del(c->db, &c->actor, s.id, id, &e) != BW_OK)
		return fail_with(c, &e);
	answer_deleted(c, id);
}

void systems_api_backup_delete(struct ctx *c)
{
	delete_part(c, "backup", systems_backup_delete);
}

void systems_api_restore_delete(struct ctx *c)
{
	delete_part(c, "restore", systems_restore_delete);
}

void systems_api_dep_delete(struct ctx *c)
{
	delete_part(c, "dependency", systems_dep_delete);
}

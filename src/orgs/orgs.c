/*
 * orgs: organisations and users in the database — creation, look-up,
 * re-parenting a subtree (an ICB merge) and the validation of what people
 * type. Every change appends an audit record in its own transaction.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "orgs/orgs.h"

const struct db_migration orgs_migrations[] = {
	{ "orgs/0001_hierarchy",
	  "CREATE TABLE orgs ("
	  " id {{ID}},"
	  " code TEXT NOT NULL UNIQUE,"
	  " name TEXT NOT NULL,"
	  " type TEXT NOT NULL,"
	  " parent_id {{INT}} REFERENCES orgs(id),"
	  " path {{TEXT_C}} NOT NULL UNIQUE,"
	  " synthetic {{INT}} NOT NULL DEFAULT 0,"
	  " postcode TEXT,"
	  " created_at {{INT}} NOT NULL);"
	  "CREATE INDEX orgs_parent ON orgs(parent_id, name);"
	  "CREATE TABLE org_history ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " at {{INT}} NOT NULL,"
	  " old_parent_id {{INT}},"
	  " new_parent_id {{INT}},"
	  " reason TEXT NOT NULL,"
	  " actor_id {{INT}} NOT NULL);"
	  "CREATE TABLE users ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " email TEXT NOT NULL UNIQUE,"
	  " name TEXT NOT NULL,"
	  " role TEXT NOT NULL,"
	  " disabled {{INT}} NOT NULL DEFAULT 0,"
	  " created_at {{INT}} NOT NULL);"
	  "CREATE INDEX users_org ON users(org_id, name);" },
	/* lists of organisations across a subtree in name order (an alert's
	 * drill-down over 60,000 responses) walk this instead of sorting */
	{ "orgs/0002_name_index", "CREATE INDEX orgs_name ON orgs(name, code);" },
	{ NULL, NULL },
};

static const struct {
	const char *name, *label;
} types[ORG_TYPE_COUNT] = {
	[ORG_NATIONAL] = { "national", "National team" },
	[ORG_REGION] = { "region", "Region" },
	[ORG_ICS] = { "ics", "Integrated care system" },
	[ORG_NHS_TRUST] = { "nhs_trust", "NHS trust" },
	[ORG_GP_PRACTICE] = { "gp_practice", "GP practice" },
	[ORG_CARE_PROVIDER] = { "care_provider", "Care provider" },
	[ORG_PHARMACY] = { "pharmacy", "Pharmacy" },
	[ORG_DENTAL_PRACTICE] = { "dental_practice", "Dental practice" },
	[ORG_SUPPLIER] = { "supplier", "Supplier" },
	[ORG_OTHER] = { "other", "Other" },
};

const char *org_type_name(enum org_type t)
{
	return (unsigned)t < ORG_TYPE_COUNT ? types[t].name : "other";
}

const char *org_type_label(enum org_type t)
{
	return (unsigned)t < ORG_TYPE_COUNT ? types[t].label : "Other";
}

bool org_type_parse(const char *s, enum org_type *out)
{
	for (int i = 0; s && i < ORG_TYPE_COUNT; i++)
		if (strcmp(types[i].name, s) == 0) {
			*out = (enum org_type)i;
			return true;
		}
	return false;
}

/* ---- validation ---- */

enum bw_err orgs_check_code(const char *code, struct bw_error *err)
{
	size_t n = code ? strlen(code) : 0;
	if (n == 0)
		return bw_fail(err, BW_EINVAL, "code", "Enter the organisation code");
	if (n > LIM_ORG_CODE)
		return bw_fail(err, BW_EINVAL, "code", "Organisation code must be %d characters or fewer", LIM_ORG_CODE);
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)code[i]) && !isdigit((unsigned char)code[i]) && code[i] != '-')
			return bw_fail(err, BW_EINVAL, "code",
				       "Organisation code must use only capital letters, digits and hyphens");
	return BW_OK;
}

enum bw_err orgs_check_name(const char *field, const char *name, struct bw_error *err)
{
	size_t n = name ? strlen(name) : 0;
	struct str t = str_trim((struct str){ name ? name : "", n });
	if (t.n == 0)
		return bw_fail(err, BW_EINVAL, field, "Enter a name");
	if (n > LIM_NAME)
		return bw_fail(err, BW_EINVAL, field, "Name must be %d characters or fewer", LIM_NAME);
	if (!bw_valid_utf8(name, n))
		return bw_fail(err, BW_EINVAL, field, "Name contains characters that are not valid text");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return bw_fail(err, BW_EINVAL, field, "Name must not contain control characters");
	return BW_OK;
}

enum bw_err orgs_check_email(const char *email, struct bw_error *err)
{
	size_t n = email ? strlen(email) : 0;
	if (n == 0)
		return bw_fail(err, BW_EINVAL, "email", "Enter an email address");
	if (n > LIM_EMAIL)
		return bw_fail(err, BW_EINVAL, "email", "Email address must be %d characters or fewer", LIM_EMAIL);
	const char *at = strchr(email, '@');
	if (!at || at == email || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
	    email[n - 1] == '.')
		return bw_fail(err, BW_EINVAL, "email", "Enter an email address in the correct format, like name@example.nhs.uk");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)email[i];
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"", c))
			return bw_fail(err, BW_EINVAL, "email", "Email address contains a character that is not allowed");
	}
	return BW_OK;
}

static void lower_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = 0;
}

/* ---- organisations ---- */

static void org_from_row(struct db_stmt *st, struct org *o)
{
	memset(o, 0, sizeof *o);
	o->id = db_col_i64(st, 0);
	snprintf(o->code, sizeof o->code, "%s", db_col_text(st, 1));
	snprintf(o->name, sizeof o->name, "%s", db_col_text(st, 2));
	org_type_parse(db_col_text(st, 3), &o->type);
	o->parent_id = db_col_i64(st, 4);
	snprintf(o->path, sizeof o->path, "%s", db_col_text(st, 5));
	o->synthetic = db_col_i64(st, 6) != 0;
	snprintf(o->postcode, sizeof o->postcode, "%s", db_col_text(st, 7) ? db_col_text(st, 7) : "");
}

#define ORG_COLS "id, code, name, type, parent_id, path, synthetic, postcode"

enum bw_err orgs_get_by_code(struct db *db, const char *code, struct org *out, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "SELECT " ORG_COLS " FROM orgs WHERE code = ?1");
	if (!st)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	db_bind_text(st, 1, code);
	int s = db_step(st);
	if (s == DB_ROW) {
		org_from_row(st, out);
		db_reset(st);
		return BW_OK;
	}
	if (s == DB_ERR)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	return bw_fail(err, BW_ENOTFOUND, "code", "No organisation has the code %s", code);
}

enum bw_err orgs_get(struct db *db, int64_t id, struct org *out, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "SELECT " ORG_COLS " FROM orgs WHERE id = ?1");
	if (!st)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	db_bind_i64(st, 1, id);
	int s = db_step(st);
	if (s == DB_ROW) {
		org_from_row(st, out);
		db_reset(st);
		return BW_OK;
	}
	if (s == DB_ERR)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	return bw_fail(err, BW_ENOTFOUND, "id", "No such organisation");
}

int64_t orgs_count_subtree(struct db *db, const char *path)
{
	char lo[256], hi[256];
	orgs_subtree_bounds(path, lo, hi);
	struct db_stmt *st = db_prep(db, "SELECT count(*) FROM orgs WHERE path >= ?1 AND path < ?2");
	if (!st)
		return -1;
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	int64_t n = db_step(st) == DB_ROW ? db_col_i64(st, 0) : -1;
	db_reset(st);
	return n;
}

struct add_args {
	const struct actor *by;
	const char *code, *name, *parent_code;
	enum org_type type;
	bool synthetic;
	int64_t id;
};

static enum bw_err add_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct add_args *a = arg;
	struct org parent = { 0 };
	if (a->parent_code && *a->parent_code) {
		if (orgs_get_by_code(db, a->parent_code, &parent, err) != BW_OK) {
			if (err && err->code == BW_ENOTFOUND)
				snprintf(err->field, sizeof err->field, "parent");
			return err ? err->code : BW_ENOTFOUND;
		}
	} else if (db_query_i64(db, "SELECT count(*) FROM orgs", 0) > 0) {
		return bw_fail(err, BW_EINVAL, "parent", "Choose the parent organisation");
	}
	struct org existing;
	if (orgs_get_by_code(db, a->code, &existing, NULL) == BW_OK)
		return bw_fail(err, BW_ECONFLICT, "code", "An organisation with the code %s already exists", a->code);
	struct db_stmt *st = db_prep(db, "INSERT INTO orgs (code, name, type, parent_id, path, synthetic, created_at)"
					 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id");
	if (!st)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	/* the path needs the new id: insert with a unique placeholder, then set it */
	char tmp[64];
	snprintf(tmp, sizeof tmp, "#new:%s", a->code);
	db_bind_text(st, 1, a->code);
	db_bind_text(st, 2, a->name);
	db_bind_text(st, 3, org_type_name(a->type));
	if (parent.id)
		db_bind_i64(st, 4, parent.id);
	else
		db_bind_null(st, 4);
	db_bind_text(st, 5, tmp);
	db_bind_i64(st, 6, a->synthetic);
	db_bind_i64(st, 7, bw_now());
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	a->id = db_col_i64(st, 0);
	db_reset(st);
	char path[256];
	snprintf(path, sizeof path, "%s%lld/", parent.id ? parent.path : "/", (long long)a->id);
	st = db_prep(db, "UPDATE orgs SET path = ?1 WHERE id = ?2");
	if (!st)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	db_bind_text(st, 1, path);
	db_bind_i64(st, 2, a->id);
	if (db_step(st) != DB_DONE)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	char obj[64], summary[512];
	snprintf(obj, sizeof obj, "org:%s", a->code);
	snprintf(summary, sizeof summary, "Added %s %s (%s)%s%s", org_type_label(a->type), a->name, a->code,
		 parent.id ? " under " : "", parent.id ? parent.code : "");
	struct audit_rec r = { a->by->user_id, a->by->email, a->id, "org.add", obj, summary };
	return audit_append(db, &r, err);
}

enum bw_err orgs_add(struct db *db, const struct actor *by, const char *code, const char *name,
		     enum org_type type, const char *parent_code, bool synthetic,
		     int64_t *id_out, struct bw_error *err)
{
	if (orgs_check_code(code, err) || orgs_check_name("name", name, err))
		return err ? err->code : BW_EINVAL;
	if (parent_code && *parent_code && orgs_check_code(parent_code, err) != BW_OK) {
		if (err)
			snprintf(err->field, sizeof err->field, "parent");
		return BW_EINVAL;
	}
	struct add_args a = { by, code, name, parent_code, type, synthetic, 0 };
	enum bw_err rc = db_tx(db, true, add_tx, &a, err);
	if (rc == BW_OK && id_out)
		*id_out = a.id;
	return rc;
}

struct move_args {
	const struct actor *by;
	const char *code, *new_parent, *reason;
};

static enum bw_err move_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct move_args *m = arg;
	return orgs_move_in_tx(db, m->by, m->code, m->new_parent, m->reason, err);
}

enum bw_err orgs_move_in_tx(struct db *db, const struct actor *by, const char *code,
			    const char *new_parent_code, const char *reason, struct bw_error *err)
{
	struct org o, np, old;
	if (orgs_get_by_code(db, code, &o, err) != BW_OK)
		return err ? err->code : BW_ENOTFOUND;
	if (orgs_get_by_code(db, new_parent_code, &np, err) != BW_OK) {
		if (err)
			snprintf(err->field, sizeof err->field, "parent");
		return err ? err->code : BW_ENOTFOUND;
	}
	if (strncmp(np.path, o.path, strlen(o.path)) == 0)
		return bw_fail(err, BW_EINVAL, "parent", "Cannot move %s under itself or one of its own members", code);
	if (o.parent_id == np.id)
		return BW_OK;
	memset(&old, 0, sizeof old);
	if (o.parent_id)
		orgs_get(db, o.parent_id, &old, NULL);
	char newpath[256], lo[256], hi[256];
	snprintf(newpath, sizeof newpath, "%s%lld/", np.path, (long long)o.id);
	orgs_subtree_bounds(o.path, lo, hi);
	/* rewrite the prefix of every path in the subtree in one statement;
	 * the cast: PostgreSQL's substr takes int4, not the int8 we bind */
	struct db_stmt *st = db_prep(db, "UPDATE orgs SET path = ?1 || substr(path, CAST(?2 AS integer))"
					 " WHERE path >= ?3 AND path < ?4");
	if (!st)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	db_bind_text(st, 1, newpath);
	db_bind_i64(st, 2, (int64_t)strlen(o.path) + 1);
	db_bind_text(st, 3, lo);
	db_bind_text(st, 4, hi);
	if (db_step(st) != DB_DONE)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	st = db_prep(db, "UPDATE orgs SET parent_id = ?1 WHERE id = ?2");
	db_bind_i64(st, 1, np.id);
	db_bind_i64(st, 2, o.id);
	if (db_step(st) != DB_DONE)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	st = db_prep(db, "INSERT INTO org_history (org_id, at, old_parent_id, new_parent_id, reason, actor_id)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	db_bind_i64(st, 1, o.id);
	db_bind_i64(st, 2, bw_now());
	if (o.parent_id)
		db_bind_i64(st, 3, o.parent_id);
	else
		db_bind_null(st, 3);
	db_bind_i64(st, 4, np.id);
	db_bind_text(st, 5, reason ? reason : "");
	db_bind_i64(st, 6, by->user_id);
	if (db_step(st) != DB_DONE)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	char obj[64], summary[512];
	snprintf(obj, sizeof obj, "org:%s", code);
	snprintf(summary, sizeof summary, "Moved %s from %s to %s%s%s", code, old.id ? old.code : "(none)",
		 np.code, reason && *reason ? ": " : "", reason ? reason : "");
	struct audit_rec r = { by->user_id, by->email, o.id, "org.move", obj, summary };
	return audit_append(db, &r, err);
}

enum bw_err orgs_move(struct db *db, const struct actor *by, const char *code,
		      const char *new_parent_code, const char *reason, struct bw_error *err)
{
	struct move_args m = { by, code, new_parent_code, reason };
	return db_tx(db, true, move_tx, &m, err);
}

/* ---- users ---- */

#define USER_COLS "u.id, u.org_id, u.email, u.name, u.role, u.disabled, o.code, o.path"

static void user_from_row(struct db_stmt *st, struct user *u)
{
	memset(u, 0, sizeof *u);
	u->id = db_col_i64(st, 0);
	u->org_id = db_col_i64(st, 1);
	snprintf(u->email, sizeof u->email, "%s", db_col_text(st, 2));
	snprintf(u->name, sizeof u->name, "%s", db_col_text(st, 3));
	u->role = role_parse(db_col_text(st, 4));
	u->disabled = db_col_i64(st, 5) != 0;
	snprintf(u->org_code, sizeof u->org_code, "%s", db_col_text(st, 6));
	snprintf(u->org_path, sizeof u->org_path, "%s", db_col_text(st, 7));
}

static enum bw_err user_query(struct db *db, const char *sql, int64_t id, const char *email,
			      struct user *out, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, sql);
	if (!st)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	if (email)
		db_bind_text(st, 1, email);
	else
		db_bind_i64(st, 1, id);
	int s = db_step(st);
	if (s == DB_ROW) {
		user_from_row(st, out);
		db_reset(st);
		return BW_OK;
	}
	if (s == DB_ERR)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	return bw_fail(err, BW_ENOTFOUND, email ? "email" : "id", "No such user");
}

enum bw_err users_get(struct db *db, int64_t id, struct user *out, struct bw_error *err)
{
	return user_query(db, "SELECT " USER_COLS " FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?1",
			  id, NULL, out, err);
}

enum bw_err users_get_by_email(struct db *db, const char *email, struct user *out, struct bw_error *err)
{
	char lower[LIM_EMAIL + 1];
	lower_copy(lower, sizeof lower, email ? email : "");
	return user_query(db, "SELECT " USER_COLS " FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.email = ?1",
			  0, lower, out, err);
}

struct user_add_args {
	const struct actor *by;
	const char *org_code, *email, *name;
	enum role role;
	int64_t id;
};

static enum bw_err user_add_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct user_add_args *a = arg;
	struct org o;
	if (orgs_get_by_code(db, a->org_code, &o, err) != BW_OK) {
		if (err)
			snprintf(err->field, sizeof err->field, "org");
		return err ? err->code : BW_ENOTFOUND;
	}
	struct db_stmt *st = db_prep(db, "SELECT 1 FROM users WHERE email = ?1");
	db_bind_text(st, 1, a->email);
	int s = db_step(st);
	db_reset(st);
	if (s == DB_ROW)
		return bw_fail(err, BW_ECONFLICT, "email", "A user with this email address already exists");
	st = db_prep(db, "INSERT INTO users (org_id, email, name, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id");
	if (!st)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	db_bind_i64(st, 1, o.id);
	db_bind_text(st, 2, a->email);
	db_bind_text(st, 3, a->name);
	db_bind_text(st, 4, role_name(a->role));
	db_bind_i64(st, 5, bw_now());
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	a->id = db_col_i64(st, 0);
	db_reset(st);
	char obj[64], summary[512];
	snprintf(obj, sizeof obj, "user:%lld", (long long)a->id);
	snprintf(summary, sizeof summary, "Added user %s (%s) as %s in %s", a->name, a->email, role_label(a->role),
		 o.code);
	struct audit_rec r = { a->by->user_id, a->by->email, o.id, "user.add", obj, summary };
	return audit_append(db, &r, err);
}

enum bw_err users_add(struct db *db, const struct actor *by, const char *org_code, const char *email,
		      const char *name, enum role role, int64_t *id_out, struct bw_error *err)
{
	if (orgs_check_email(email, err) || orgs_check_name("name", name, err))
		return err ? err->code : BW_EINVAL;
	if (role == ROLE_NONE)
		return bw_fail(err, BW_EINVAL, "role", "Choose a role");
	char lower[LIM_EMAIL + 1];
	lower_copy(lower, sizeof lower, email);
	struct user_add_args a = { by, org_code, lower, name, role, 0 };
	enum bw_err rc = db_tx(db, true, user_add_tx, &a, err);
	if (rc == BW_OK && id_out)
		*id_out = a.id;
	return rc;
}

struct user_set_args {
	const struct actor *by;
	int64_t id;
	enum role role;
	int disabled;   /* -1: leave */
};

static enum bw_err user_set_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct user_set_args *a = arg;
	struct user u;
	if (users_get(db, a->id, &u, err) != BW_OK)
		return err ? err->code : BW_ENOTFOUND;
	struct db_stmt *st;
	char summary[512];
	const char *action;
	if (a->disabled >= 0) {
		st = db_prep(db, "UPDATE users SET disabled = ?1 WHERE id = ?2");
		db_bind_i64(st, 1, a->disabled);
		snprintf(summary, sizeof summary, "%s user %s", a->disabled ? "Disabled" : "Enabled", u.email);
		action = a->disabled ? "user.disable" : "user.enable";
	} else {
		st = db_prep(db, "UPDATE users SET role = ?1 WHERE id = ?2");
		db_bind_text(st, 1, role_name(a->role));
		snprintf(summary, sizeof summary, "Changed role of %s from %s to %s", u.email, role_label(u.role),
			 role_label(a->role));
		action = "user.role";
	}
	db_bind_i64(st, 2, a->id);
	if (db_step(st) != DB_DONE)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	char obj[64];
	snprintf(obj, sizeof obj, "user:%lld", (long long)a->id);
	struct audit_rec r = { a->by->user_id, a->by->email, u.org_id, action, obj, summary };
	return audit_append(db, &r, err);
}

enum bw_err users_set_role(struct db *db, const struct actor *by, int64_t id, enum role role,
			   struct bw_error *err)
{
	if (role == ROLE_NONE)
		return bw_fail(err, BW_EINVAL, "role", "Choose a role");
	struct user_set_args a = { by, id, role, -1 };
	return db_tx(db, true, user_set_tx, &a, err);
}

enum bw_err users_set_disabled(struct db *db, const struct actor *by, int64_t id, bool disabled,
			       struct bw_error *err)
{
	struct user_set_args a = { by, id, ROLE_NONE, disabled ? 1 : 0 };
	return db_tx(db, true, user_set_tx, &a, err);
}

enum bw_err orgs_actor_load(struct db *db, int64_t user_id, struct actor *out, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "SELECT u.id, u.org_id, u.role, u.email, u.name, o.code, o.name, o.path, u.disabled"
					 " FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?1");
	if (!st)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	db_bind_i64(st, 1, user_id);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_EAUTH, NULL, "No such user");
	memset(out, 0, sizeof *out);
	bool disabled = db_col_i64(st, 8) != 0;
	out->user_id = db_col_i64(st, 0);
	out->org_id = db_col_i64(st, 1);
	out->role = role_parse(db_col_text(st, 2));
	snprintf(out->email, sizeof out->email, "%s", db_col_text(st, 3));
	snprintf(out->name, sizeof out->name, "%s", db_col_text(st, 4));
	snprintf(out->org_code, sizeof out->org_code, "%s", db_col_text(st, 5));
	snprintf(out->org_name, sizeof out->org_name, "%s", db_col_text(st, 6));
	snprintf(out->org_path, sizeof out->org_path, "%s", db_col_text(st, 7));
	db_reset(st);
	if (disabled)
		return bw_fail(err, BW_EAUTH, NULL, "This account is disabled");
	return BW_OK;
}

void orgs_actor_cli(struct actor *out)
{
	memset(out, 0, sizeof *out);
	out->role = ROLE_ADMIN;
	snprintf(out->email, sizeof out->email, "cli");
	snprintf(out->name, sizeof out->name, "Command line");
	snprintf(out->org_path, sizeof out->org_path, "/");
}

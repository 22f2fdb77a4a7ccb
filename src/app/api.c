/*
 * api: /api/v1 for the foundation — who am I, organisations, users and the
 * audit trail. JSON through web_json; lists paginate with ?limit= and an
 * opaque ?cursor=; errors are {"error":{"code","message","field"}}.
 */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/routes.h"

static void org_json(struct web_json *j, struct db_stmt *st, int from)
{
	enum org_type t = ORG_OTHER;
	org_type_parse(db_col_text(st, from + 2), &t);
	web_json_object(j);
	web_json_key(j, "code");
	web_json_str(j, db_col_text(st, from));
	web_json_key(j, "name");
	web_json_str(j, db_col_text(st, from + 1));
	web_json_key(j, "type");
	web_json_str(j, org_type_name(t));
	web_json_key(j, "synthetic");
	web_json_bool(j, db_col_i64(st, from + 3) != 0);
	web_json_end(j);
}

static void get_me(struct ctx *c)
{
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	web_json_key(&j, "id");
	web_json_int(&j, c->actor.user_id);
	web_json_key(&j, "email");
	web_json_str(&j, c->actor.email);
	web_json_key(&j, "name");
	web_json_str(&j, c->actor.name);
	web_json_key(&j, "role");
	web_json_str(&j, role_name(c->actor.role));
	web_json_key(&j, "org");
	web_json_str(&j, c->actor.org_code);
	web_json_end(&j);
	web_json_end(&j);
}

/* Lists ask for one row more than the page holds: only if it comes is there
 * a next page, so the last page says next: null even when it is full. */
static void org_row(struct web_json *j, struct db_stmt *st)
{
	org_json(j, st, 0);
}

static void get_orgs(struct ctx *c)
{
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	const char *parent = ctx_query(c, "parent");
	/* ?parent=CODE lists one level; without it, the whole subtree in path order */
	struct db_stmt *st = db_prep(c->db, "SELECT o.code, o.name, o.type, o.synthetic FROM orgs o"
					    " LEFT JOIN orgs p ON p.id = o.parent_id"
					    " WHERE (CAST(?1 AS TEXT) IS NULL OR p.code = ?1) AND o.path >= ?2 AND o.path < ?3"
					    " ORDER BY o.path LIMIT ?4 OFFSET ?5");
	if (parent)
		db_bind_text(st, 1, parent);
	else
		db_bind_null(st, 1);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	ctx_api_list(c, st, 4, org_row);
}

static void get_org(struct ctx *c)
{
	struct db_stmt *st = db_prep(c->db, "SELECT o.code, o.name, o.type, o.synthetic, p.code FROM orgs o"
					    " LEFT JOIN orgs p ON p.id = o.parent_id WHERE o.code = ?1");
	db_bind_text(st, 1, ctx_param(c, "org"));
	if (db_step(st) != DB_ROW)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "No such organisation");
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "data");
	org_json(&j, st, 0);
	web_json_key(&j, "parent");
	/* the parent is named only if the caller can see it */
	struct org p;
	const char *pc = db_col_text(st, 4);
	bool show = false;
	if (pc && orgs_get_by_code(c->db, pc, &p, NULL) == BW_OK) {
		struct org_ref r = { p.id, "" };
		snprintf(r.path, sizeof r.path, "%s", p.path);
		show = orgs_can(&c->actor, ACT_VIEW, &r);
	}
	web_json_str(&j, show ? pc : NULL);
	db_reset(st);
	web_json_end(&j);
}

static void user_row(struct web_json *j, struct db_stmt *st)
{
	web_json_object(j);
	web_json_key(j, "id");
	web_json_int(j, db_col_i64(st, 0));
	web_json_key(j, "email");
	web_json_str(j, db_col_text(st, 1));
	web_json_key(j, "name");
	web_json_str(j, db_col_text(st, 2));
	web_json_key(j, "role");
	web_json_str(j, db_col_text(st, 3));
	web_json_key(j, "disabled");
	web_json_bool(j, db_col_i64(st, 4) != 0);
	web_json_key(j, "org");
	web_json_str(j, db_col_text(st, 5));
	web_json_end(j);
}

static void users_list(struct ctx *c, const char *lo, const char *hi)
{
	struct db_stmt *st = db_prep(c->db, "SELECT u.id, u.email, u.name, u.role, u.disabled, o.code FROM users u"
					    " JOIN orgs o ON o.id = u.org_id WHERE o.path >= ?1 AND o.path < ?2"
					    " ORDER BY u.id LIMIT ?3 OFFSET ?4");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	ctx_api_list(c, st, 3, user_row);
}

static void get_users(struct ctx *c)
{
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	users_list(c, lo, hi);
}

static void get_org_users(struct ctx *c)
{
	char lo[256], hi[256];
	orgs_subtree_bounds(c->target.path, lo, hi);
	users_list(c, lo, hi);
}

static void audit_row(struct web_json *j, struct db_stmt *st)
{
	char at[32];
	bw_time_iso(db_col_i64(st, 1), at);
	web_json_object(j);
	web_json_key(j, "id");
	web_json_int(j, db_col_i64(st, 0));
	web_json_key(j, "at");
	web_json_str(j, at);
	web_json_key(j, "actor");
	web_json_str(j, db_col_text(st, 2));
	web_json_key(j, "org");
	web_json_str(j, db_col_text(st, 3));
	web_json_key(j, "action");
	web_json_str(j, db_col_text(st, 4));
	web_json_key(j, "object");
	web_json_str(j, db_col_text(st, 5));
	web_json_key(j, "summary");
	web_json_str(j, db_col_text(st, 6));
	web_json_key(j, "hash");
	web_json_str(j, db_col_text(st, 7));
	web_json_end(j);
}

static void get_audit(struct ctx *c)
{
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	struct db_stmt *st = db_prep(c->db, "SELECT a.id, a.at, a.actor, o.code, a.action, a.object, a.summary, a.hash"
					    " FROM audit a JOIN orgs o ON o.id = a.org_id WHERE o.path >= ?1 AND o.path < ?2"
					    " ORDER BY a.id DESC LIMIT ?3 OFFSET ?4");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	ctx_api_list(c, st, 3, audit_row);
}

/* POST /api/v1/users {"email","name","org","role","password"}: the same
 * checks as the page, every refusal naming its field. */
static void post_user(struct ctx *c)
{
	json_t *j;
	struct bw_error e = { 0 };
	if (http_json_parse(c->req->body, c->req->body_len, &j, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	const char *email = http_json_str(j, "email", &e), *name = http_json_str(j, "name", &e);
	const char *code = http_json_str(j, "org", &e), *role_s = http_json_str(j, "role", &e);
	const char *pw = http_json_str(j, "password", &e);
	enum role role = role_parse(role_s);
	struct org o;
	int64_t id = 0;
	if (e.code == BW_OK) {
		if (orgs_check_email(email, &e) == BW_OK && orgs_check_name("name", name, &e) == BW_OK) {
			if (!code || orgs_get_by_code(c->db, code, &o, NULL) != BW_OK)
				bw_fail(&e, BW_EINVAL, "org", "org must be the code of an organisation you manage");
			else {
				struct org_ref r = { o.id, "" };
				snprintf(r.path, sizeof r.path, "%s", o.path);
				if (!orgs_can(&c->actor, ACT_MANAGE_USERS, &r))
					bw_fail(&e, BW_EINVAL, "org", "org must be the code of an organisation you manage");
				else if (!orgs_may_grant(&c->actor, role))
					bw_fail(&e, BW_EINVAL, "role", "role must be one you are allowed to give");
				else
					auth_user_create(c->db, &c->actor, code, email, name, role, pw, &id, &e);
			}
		}
	}
	if (e.code != BW_OK) {
		json_decref(j);
		return ctx_error(c, web_err_status(e.code), &e);
	}
	struct web_json w;
	ctx_json_begin(c, &w);
	c->resp->status = 201;
	web_json_object(&w);
	web_json_key(&w, "data");
	web_json_object(&w);
	web_json_key(&w, "id");
	web_json_int(&w, id);
	web_json_key(&w, "email");
	web_json_str(&w, email);
	web_json_end(&w);
	web_json_end(&w);
	json_decref(j);
}

const struct route api_routes[] = {
	{ "GET", "/api/v1/me", get_me, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/api/v1/orgs", get_orgs, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/api/v1/orgs/{org}", get_org, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/api/v1/orgs/{org}/users", get_org_users, ROUTE_API, AUTH_SIGNED_IN, ACT_MANAGE_USERS, "org" },
	{ "GET", "/api/v1/users", get_users, ROUTE_API, AUTH_SIGNED_IN, ACT_MANAGE_USERS, NULL },
	{ "POST", "/api/v1/users", post_user, ROUTE_API, AUTH_SIGNED_IN, ACT_MANAGE_USERS, NULL },
	{ "GET", "/api/v1/audit", get_audit, ROUTE_API, AUTH_SIGNED_IN, ACT_AUDIT, NULL },
	{ NULL },
};

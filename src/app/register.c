/* register: the foundation's path parameters, navigation and route tables. */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/routes.h"

static enum bw_err org_owner(struct db *db, const char *code, struct org_ref *out)
{
	struct org o;
	if (orgs_check_code(code, NULL) != BW_OK || orgs_get_by_code(db, code, &o, NULL) != BW_OK)
		return BW_ENOTFOUND;
	out->id = o.id;
	snprintf(out->path, sizeof out->path, "%s", o.path);
	return BW_OK;
}

static enum bw_err user_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT o.id, o.path FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?1",
				 v, out);
}

static enum bw_err token_owner(struct db *db, const char *v, struct org_ref *out)
{
	int64_t id;
	if (!str_to_i64(str_c(v), 1, INT64_MAX, &id))
		return BW_ENOTFOUND;
	return auth_token_owner(db, id, out);
}

static bool org_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT code FROM orgs WHERE path >= ?1 AND path < ?2 ORDER BY path DESC LIMIT 1",
		       path, out, n);
}

static bool user_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT CAST(u.id AS TEXT) FROM users u JOIN orgs o ON o.id = u.org_id"
			   " WHERE o.path >= ?1 AND o.path < ?2 ORDER BY o.path DESC, u.id LIMIT 1", path, out, n);
}

static bool token_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT CAST(t.id AS TEXT) FROM api_tokens t JOIN users u ON u.id = t.user_id"
			   " JOIN orgs o ON o.id = u.org_id WHERE o.path >= ?1 AND o.path < ?2 ORDER BY t.id LIMIT 1",
		       path, out, n);
}

const struct route_param foundation_params[] = {
	{ "org", org_owner, org_example },
	{ "user", user_owner, user_example },
	{ "token", token_owner, token_example },
	{ NULL, NULL, NULL },
};

const struct web_nav_entry foundation_nav[] = {
	{ "Home", "/", 0xFF },
	{ "Organisations", "/orgs", 0xFF },
	{ "Users", "/users", ROLE_ADMIN | ROLE_ICS_LEAD | ROLE_ORG_LEAD },
	{ "Audit log", "/audit", ROLE_ADMIN | ROLE_ANALYST | ROLE_ICS_LEAD | ROLE_ORG_LEAD | ROLE_AUDITOR },
	{ "Profile", "/profile", 0xFF },
	{ NULL, NULL, 0 },
};

void routes_register_foundation(void)
{
	app_add_params(foundation_params);
	app_add_nav(foundation_nav);
	app_add_routes(signin_routes);
	app_add_routes(home_routes);
	app_add_routes(orgs_routes);
	app_add_routes(users_routes);
	app_add_routes(profile_routes);
	app_add_routes(audit_routes);
	app_add_routes(api_routes);
}

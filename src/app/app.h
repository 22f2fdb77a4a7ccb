/*
 * app: the request pipeline every route goes through, and what handlers are
 * given. listener -> limits (http) -> session or bearer token -> CSRF and
 * Origin -> route match -> access check (orgs_can) -> handler -> html/json
 * -> security headers -> log line and metrics.
 *
 * Each domain module declares one route table; each entry says its method,
 * pattern, handler, whether it is a page or API, the action it needs and
 * which path parameter finds the organisation it touches. The pipeline
 * checks access before the handler runs; the tenant-isolation test walks
 * the same tables. Depends on base, db, http, web, orgs, auth.
 */
#ifndef BW_APP_H
#define BW_APP_H

#include "auth/session.h"
#include "db/db.h"
#include "http/http.h"
#include "orgs/orgs.h"
#include "web/web.h"

enum route_kind { ROUTE_PAGE, ROUTE_API };

enum route_auth {
	AUTH_SIGNED_IN,   /* a full session (or API token) */
	AUTH_PUBLIC,      /* anyone: sign-in page, health */
	AUTH_MFA,         /* password accepted, second factor still due */
};

struct ctx;
typedef void (*route_fn)(struct ctx *c);

struct route {
	const char *method;       /* "GET", "POST", "DELETE" */
	const char *pattern;      /* "/orgs/{org}/users"; {name} matches one segment */
	route_fn handler;
	enum route_kind kind;
	enum route_auth auth;
	enum action action;       /* what the actor must be allowed to do */
	const char *target;       /* the parameter naming the object whose
				   * organisation is checked, or NULL: the
				   * handler scopes by the actor's subtree */
};

/* A kind of path parameter: how to find the organisation that owns the
 * object it names, and (for the isolation test) an example object owned by
 * a given organisation's subtree. */
struct route_param {
	const char *name;         /* "org", "user", "token" */
	enum bw_err (*owner)(struct db *db, const char *value, struct org_ref *out);
	bool (*example)(struct db *db, const char *org_path, char *out, size_t n);
};

/* For route_param functions. owner: sql selects (organisation id, path)
 * of the object whose numeric id is bound to ?1. example: sql selects one
 * row, first column the example value, with ?1 and ?2 bound to the bounds
 * of the subtree at org_path. */
enum bw_err route_owner_by_id(struct db *db, const char *sql, const char *value, struct org_ref *out);
bool route_example_in(struct db *db, const char *sql, const char *org_path, char *out, size_t n);

struct ctx {
	struct http_req *req;
	struct http_resp *resp;
	struct arena *arena;
	struct db *db;
	const struct route *route;
	const char *param_names[LIM_PATH_PARAMS];
	const char *param_values[LIM_PATH_PARAMS];
	size_t nparams;
	struct org_ref target;    /* the owner of the route's target object */

	bool signed_in;
	struct actor actor;
	struct auth_session session;   /* when signed in through the browser */
	bool via_token;
	bool token_write;
	char flash[256];               /* shown once on the next page */
	char auth_error[128];          /* why a bearer token was refused */
};

struct app_config {
	const char *db_url;
	bool tls;
};

/* Module registration: called by main before serving. */
void app_add_routes(const struct route *routes);          /* ended by {NULL} */
void app_add_params(const struct route_param *params);    /* ended by {NULL} */
void app_add_nav(const struct web_nav_entry *entries);    /* ended by {NULL} */
/* A card on the home page: title, the link, and a line of text the module
 * writes for the signed-in actor (fill text, at most n bytes; false hides
 * the card, e.g. for a role the module has nothing for). */
struct home_card {
	const char *title;
	const char *href;
	bool (*text)(struct ctx *c, char *text, size_t n);
};
void app_add_home_card(const struct home_card *card);

/* The http handler and its per-thread database connection. */
void app_init(const struct app_config *cfg);
void app_handle(struct http_req *req, struct http_resp *resp, void *udata);
bool app_has_credentials(struct http_req *req);
bool app_offload(struct http_req *req);

/* Route tables, for `bulwark routes` and the isolation test. */
size_t app_route_count(void);
/* The home page's cards, in the order the modules added them. */
size_t app_home_cards(const struct home_card *const **out);
const struct route *app_route_at(size_t i);
const struct route_param *app_param_find(const char *name);

/* ---- for handlers ---- */
const char *ctx_param(struct ctx *c, const char *name);
const char *ctx_form(struct ctx *c, const char *name);
const char *ctx_query(struct ctx *c, const char *name);
/* Page shell with this user's navigation. */
void ctx_page_begin(struct ctx *c, const char *title, const struct web_link *crumbs, size_t ncrumbs,
		    const struct bw_error *errors, size_t nerrors);
void ctx_page_end(struct ctx *c);
/* 303 to location, with a one-time message for the next page. */
void ctx_redirect(struct ctx *c, const char *location, const char *flash);
/* An error page (ROUTE_PAGE) or JSON error (ROUTE_API) for err. */
void ctx_error(struct ctx *c, int status, const struct bw_error *err);
void ctx_fail(struct ctx *c, enum bw_err code, const char *field, const char *msg);
/* JSON response helpers for API handlers. */
void ctx_json_begin(struct ctx *c, struct web_json *j);
/* Page size and offset from ?limit= and ?cursor= (offset-based cursor);
 * false after answering 400 naming the bad parameter. */
bool ctx_page_args(struct ctx *c, int64_t *limit, int64_t *offset);
/* Answers a paginated JSON list ({"data":[...],"page":{"next":...}}). st is
 * prepared and bound but for its LIMIT (parameter limit_idx) and OFFSET
 * (limit_idx + 1), which come from ?limit= and ?cursor=; row writes one item. */
void ctx_api_list(struct ctx *c, struct db_stmt *st, int limit_idx,
		  void (*row)(struct web_json *j, struct db_stmt *st));
/* Percent-free helper: "lo"/"hi" bounds of the actor's own subtree. */
void ctx_scope(struct ctx *c, char lo[256], char hi[256]);
/* Appends an audit record in its own transaction (actions with no other write). */
void ctx_audit(struct ctx *c, const char *action, const char *object, const char *summary);

#endif

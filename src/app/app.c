/*
 * app: the request pipeline (see app.h). Every request passes through
 * app_handle in this order: assets and health, route match, credentials,
 * second-factor gate, CSRF and Origin, access check, handler, security
 * headers, log line and metrics.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "app/metrics.h"

#define MAX_ROUTES 512
#define MAX_PARAMS 64
#define MAX_NAV 32
#define MAX_CARDS 32

static const struct route *routes[MAX_ROUTES];
static size_t nroutes;
static const struct route_param *params[MAX_PARAMS];
static size_t nparams;
static struct web_nav_entry nav[MAX_NAV];
static size_t nnav;
static struct app_config config;

void app_add_routes(const struct route *t)
{
	for (; t->method; t++)
		if (nroutes < MAX_ROUTES)
			routes[nroutes++] = t;
}

void app_add_params(const struct route_param *p)
{
	for (; p->name; p++)
		if (nparams < MAX_PARAMS)
			params[nparams++] = p;
}

void app_add_nav(const struct web_nav_entry *e)
{
	for (; e->label; e++)
		if (nnav < MAX_NAV)
			nav[nnav++] = *e;
}

#define MAX_HOME_CARDS 16
static const struct home_card *home_cards[MAX_HOME_CARDS];
static size_t nhome_cards;

void app_add_home_card(const struct home_card *card)
{
	if (nhome_cards < MAX_HOME_CARDS)
		home_cards[nhome_cards++] = card;
}

size_t app_home_cards(const struct home_card *const **out)
{
	*out = home_cards;
	return nhome_cards;
}

size_t app_route_count(void)
{
	return nroutes;
}

const struct route *app_route_at(size_t i)
{
	return i < nroutes ? routes[i] : NULL;
}

enum bw_err route_owner_by_id(struct db *db, const char *sql, const char *value, struct org_ref *out)
{
	int64_t id;
	if (!value || !str_to_i64(str_c(value), 1, INT64_MAX, &id))
		return BW_ENOTFOUND;
	struct db_stmt *st = db_prep(db, sql);
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return BW_ENOTFOUND;
	out->id = db_col_i64(st, 0);
	snprintf(out->path, sizeof out->path, "%s", db_col_text(st, 1));
	db_reset(st);
	return BW_OK;
}

bool route_example_in(struct db *db, const char *sql, const char *org_path, char *out, size_t n)
{
	char lo[256], hi[256];
	orgs_subtree_bounds(org_path, lo, hi);
	struct db_stmt *st = db_prep(db, sql);
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	bool ok = db_step(st) == DB_ROW && db_col_text(st, 0);
	if (ok) {
		snprintf(out, n, "%s", db_col_text(st, 0));
		db_reset(st);
	}
	return ok;
}

const struct route_param *app_param_find(const char *name)
{
	for (size_t i = 0; i < nparams; i++)
		if (strcmp(params[i]->name, name) == 0)
			return params[i];
	return NULL;
}

void app_init(const struct app_config *cfg)
{
	config = *cfg;
	metrics_init(nroutes);
}

/* ---- the per-thread database connection ---- */

static _Thread_local struct db *thread_db;

/* Closes a worker thread's connection when the thread ends (the server
 * stopping), so nothing is left open or leaked at shutdown. */
static pthread_key_t thread_db_key;
static pthread_once_t thread_db_once = PTHREAD_ONCE_INIT;

static void thread_db_close(void *db)
{
	db_close(db);
}

static void thread_db_key_make(void)
{
	pthread_key_create(&thread_db_key, thread_db_close);
}

static struct db *app_db(void)
{
	if (!thread_db) {
		struct bw_error err = { 0 };
		if (db_open(&thread_db, config.db_url, &err) != BW_OK) {
			log_error("database: %s", err.msg);
			thread_db = NULL;
		} else {
			metrics_db_opened();
			pthread_once(&thread_db_once, thread_db_key_make);
			pthread_setspecific(thread_db_key, thread_db);
		}
	}
	return thread_db;
}

/* ---- route matching ---- */

/* Matches path against pattern; {name} takes one non-empty segment. */
static bool match_pattern(struct ctx *c, const char *pattern, const char *path)
{
	c->nparams = 0;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			const char *end = strchr(s, '/');
			size_t n = end ? (size_t)(end - s) : strlen(s);
			if (!close || n == 0 || c->nparams >= LIM_PATH_PARAMS)
				return false;
			c->param_names[c->nparams] = arena_strndup(c->arena, p + 1, (size_t)(close - p - 1));
			c->param_values[c->nparams] = arena_strndup(c->arena, s, n);
			c->nparams++;
			p = close + 1;
			s += n;
			continue;
		}
		if (*p != *s)
			return false;
		p++, s++;
	}
	return *p == 0 && *s == 0;
}

const char *ctx_param(struct ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nparams; i++)
		if (strcmp(c->param_names[i], name) == 0)
			return c->param_values[i];
	return NULL;
}

const char *ctx_form(struct ctx *c, const char *name)
{
	return http_form(c->req, name);
}

const char *ctx_query(struct ctx *c, const char *name)
{
	return http_query(c->req, name);
}

/* ---- responses ---- */

static void security_headers(struct ctx *c)
{
	struct http_resp *r = c->resp;
	http_resp_header(r, "Content-Security-Policy",
			 "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
			 "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
			 "base-uri 'none'; object-src 'none'");
	http_resp_header(r, "X-Content-Type-Options", "nosniff");
	http_resp_header(r, "Referrer-Policy", "same-origin");
	http_resp_header(r, "X-Frame-Options", "DENY");
	http_resp_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	http_resp_header(r, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
	if (config.tls)
		http_resp_header(r, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
	if (!r->static_body && r->status != 304)
		http_resp_header(r, "Cache-Control", "no-store");
}

static struct web_page base_page(struct ctx *c, struct web_nav_item *items, size_t *nitems,
				 struct web_user *user)
{
	struct web_page pg = { 0 };
	if (c->signed_in && c->session.mfa_ok) {
		*nitems = web_nav_filter(nav, nnav, (unsigned)c->actor.role, c->req->path, items, MAX_NAV);
		user->name = c->actor.name;
		user->org_name = c->actor.org_name;
		user->profile_href = "/profile";
		pg.user = user;
		pg.csrf_token = c->session.csrf;
		pg.nav = items;
		pg.nav_n = *nitems;
	}
	return pg;
}

void ctx_page_begin(struct ctx *c, const char *title, const struct web_link *crumbs, size_t ncrumbs,
		    const struct bw_error *errors, size_t nerrors)
{
	struct web_nav_item items[MAX_NAV];
	size_t n = 0;
	struct web_user user;
	struct web_page pg = base_page(c, items, &n, &user);
	pg.title = title;
	pg.breadcrumbs = crumbs;
	pg.breadcrumbs_n = ncrumbs;
	pg.errors = errors;
	pg.errors_n = nerrors;
	if (c->flash[0]) {
		pg.flash = WEB_FLASH_SUCCESS;
		pg.flash_text = c->flash;
	}
	c->resp->content_type = "text/html; charset=utf-8";
	web_page_begin(&c->resp->body, &pg);
}

void ctx_page_end(struct ctx *c)
{
	struct web_page pg = { 0 };
	web_page_end(&c->resp->body, &pg);
}

void ctx_redirect(struct ctx *c, const char *location, const char *flash)
{
	if (flash && c->signed_in && c->session.id)
		auth_session_flash(c->db, c->session.id, flash);
	http_resp_redirect(c->resp, location);
}

void ctx_json_begin(struct ctx *c, struct web_json *j)
{
	c->resp->content_type = "application/json";
	web_json_init(j, &c->resp->body);
}

void ctx_error(struct ctx *c, int status, const struct bw_error *err)
{
	struct http_resp *r = c->resp;
	buf_reset(&r->body);
	r->status = status;
	if (c->route && c->route->kind == ROUTE_API) {
		r->content_type = "application/json";
		web_json_error(&r->body, err);
		return;
	}
	r->content_type = "text/html; charset=utf-8";
	struct web_nav_item items[MAX_NAV];
	size_t n = 0;
	struct web_user user;
	struct web_page pg = base_page(c, items, &n, &user);
	/* a refusal that says what was wrong shows it in the error summary */
	if (err && err->msg[0] && status != 404 && status < 500) {
		pg.title = web_error_title(status);
		pg.errors = err;
		pg.errors_n = 1;
		web_page_begin(&r->body, &pg);
		web_error_content(&r->body, status);
		web_page_end(&r->body, &pg);
		return;
	}
	web_error_page(&r->body, status, &pg);
}

void ctx_fail(struct ctx *c, enum bw_err code, const char *field, const char *msg)
{
	struct bw_error e = { 0 };
	bw_fail(&e, code, field, "%s", msg);
	ctx_error(c, web_err_status(code), &e);
}

bool ctx_page_args(struct ctx *c, int64_t *limit, int64_t *offset)
{
	*limit = 50;
	*offset = 0;
	const char *l = ctx_query(c, "limit"), *o = ctx_query(c, "cursor");
	if (l && !str_to_i64(str_c(l), 1, LIM_PAGE_SIZE, limit)) {
		char msg[80];
		snprintf(msg, sizeof msg, "limit must be a whole number from 1 to %d", LIM_PAGE_SIZE);
		ctx_fail(c, BW_EINVAL, "limit", msg);
		return false;
	}
	if (o && !str_to_i64(str_c(o), 0, INT64_MAX / 2, offset)) {
		ctx_fail(c, BW_EINVAL, "cursor", "cursor must be a value given as page.next by the previous page");
		return false;
	}
	return true;
}

void ctx_api_list(struct ctx *c, struct db_stmt *st, int limit_idx,
		  void (*row)(struct web_json *j, struct db_stmt *st))
{
	int64_t limit, offset;
	if (!ctx_page_args(c, &limit, &offset)) {
		db_reset(st);
		return;
	}
	/* one row more than a page tells whether there is a next page */
	db_bind_i64(st, limit_idx, limit + 1);
	db_bind_i64(st, limit_idx + 1, offset);
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_list_begin(&j, &c->resp->body);
	int64_t n = 0;
	int s = DB_DONE;
	while (n < limit && (s = db_step(st)) == DB_ROW) {
		row(&j, st);
		n++;
	}
	bool more = n == limit && db_step(st) == DB_ROW;
	db_reset(st);
	if (s == DB_ERR) {
		ctx_fail(c, BW_EDB, NULL, "The list could not be read");
		return;
	}
	web_json_list_end(&j, more ? arena_printf(c->arena, "%lld", (long long)(offset + limit)) : NULL);
}

void ctx_scope(struct ctx *c, char lo[256], char hi[256])
{
	orgs_subtree_bounds(c->actor.org_path, lo, hi);
}

static enum bw_err audit_one_tx(struct db *db, void *arg, struct bw_error *err)
{
	return audit_append(db, arg, err);
}

void ctx_audit(struct ctx *c, const char *action, const char *object, const char *summary)
{
	struct audit_rec r = { c->actor.user_id, c->actor.email, c->actor.org_id, action, object, summary };
	struct bw_error e = { 0 };
	if (db_tx(c->db, true, audit_one_tx, &r, &e) != BW_OK)
		log_error("audit: %s", e.msg);
}

/* ---- credentials ---- */

bool app_has_credentials(struct http_req *req)
{
	const char *cookie = http_header(req, "Cookie");
	char tok[AUTH_TOKEN_LEN];
	if (cookie && auth_session_cookie_get(cookie, config.tls, tok))
		return true;
	const char *authz = http_header(req, "Authorization");
	return authz && strncasecmp(authz, "Bearer ", 7) == 0;
}

static bool load_credentials(struct ctx *c)
{
	struct bw_error e = { 0 };
	const char *authz = http_header(c->req, "Authorization");
	if (c->route->kind == ROUTE_API && authz && strncasecmp(authz, "Bearer ", 7) == 0) {
		int64_t uid;
		bool write;
		if (auth_token_find(c->db, authz + 7, &uid, &write, &e) != BW_OK) {
			snprintf(c->auth_error, sizeof c->auth_error, "%s", e.msg);
			return false;
		}
		if (orgs_actor_load(c->db, uid, &c->actor, &e) != BW_OK)
			return false;
		c->via_token = true;
		c->token_write = write;
		c->session.mfa_ok = true;
		return true;
	}
	const char *cookie = http_header(c->req, "Cookie");
	char tok[AUTH_TOKEN_LEN];
	if (!cookie || !auth_session_cookie_get(cookie, config.tls, tok))
		return false;
	if (auth_session_find(c->db, tok, &c->session, &e) != BW_OK)
		return false;
	if (orgs_actor_load(c->db, c->session.user_id, &c->actor, &e) != BW_OK)
		return false;
	snprintf(c->flash, sizeof c->flash, "%s", c->session.flash);
	return true;
}

/* Requests that hash a password (argon2id, ~0.2 s of one core) run on the
 * server's worker pool rather than a request thread. */
bool app_offload(struct http_req *req)
{
	if (strcmp(req->method, "POST") != 0)
		return false;
	const char *p = req->path;
	size_t n = strlen(p);
	return strcmp(p, "/sign-in") == 0 || strcmp(p, "/users") == 0 || strcmp(p, "/api/v1/users") == 0 ||
	       (n > 9 && strcmp(p + n - 9, "/password") == 0);
}

/* Same-origin check for state-changing requests made with a cookie. */
static bool origin_ok(struct ctx *c)
{
	const char *host = http_header(c->req, "Host");
	const char *origin = http_header(c->req, "Origin");
	const char *src = origin ? origin : http_header(c->req, "Referer");
	if (!src)
		return true;   /* non-browser clients; the CSRF token still applies */
	if (!host)
		return false;
	const char *p = strstr(src, "://");
	if (!p)
		return false;
	p += 3;
	size_t hl = strlen(host);
	return strncmp(p, host, hl) == 0 && (p[hl] == 0 || p[hl] == '/');
}

static bool csrf_ok(struct ctx *c)
{
	const char *t = http_form(c->req, WEB_CSRF_FIELD);
	if (!t)
		t = http_header(c->req, "X-CSRF-Token");
	return t && auth_csrf_check(c->session.token, t) && origin_ok(c);
}

/* ---- assets and the pipeline ---- */

static bool serve_asset(struct http_req *req, struct http_resp *resp)
{
	if (strncmp(req->path, "/assets/", 8) != 0 && strcmp(req->path, "/favicon.ico") != 0)
		return false;
	const struct embedded_file *f = web_asset_find(strcmp(req->path, "/favicon.ico") == 0
							       ? "favicon.ico" : req->path + 8);
	if (!f) {
		resp->status = 404;
		resp->content_type = "text/plain; charset=utf-8";
		buf_puts(&resp->body, "Not found\n");
		return true;
	}
	const char *etag = web_asset_etag(f);
	http_resp_header(resp, "ETag", etag);
	http_resp_header(resp, "Cache-Control", "public, max-age=3600");
	const char *inm = http_header(req, "If-None-Match");
	if (inm && strcmp(inm, etag) == 0) {
		resp->status = 304;
		return true;
	}
	resp->status = 200;
	resp->content_type = web_asset_type(f);
	resp->static_body = f->data;
	resp->static_len = f->len;
	return true;
}

static void log_request(struct ctx *c, const char *route_name)
{
	int64_t ms = bw_now_ms() - c->req->started_ms;
	log_info("request method=%s route=%s status=%d ms=%lld user=%lld ip=%s", c->req->method,
		 route_name, c->resp->status, (long long)ms, (long long)c->actor.user_id, c->req->client_ip);
}

static bool is_safe_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

static void sign_in_redirect(struct ctx *c)
{
	struct buf loc;
	buf_init(&loc);
	buf_puts(&loc, "/sign-in");
	if (is_safe_method(c->req->method) && strcmp(c->req->path, "/") != 0) {
		buf_puts(&loc, "?next=");
		html_url_component(&loc, c->req->path);
	}
	http_resp_redirect(c->resp, buf_cstr(&loc));
	buf_free(&loc);
}

static void run_route(struct ctx *c)
{
	const struct route *rt = c->route;
	if (rt->auth != AUTH_PUBLIC) {
		c->signed_in = load_credentials(c);
		if (!c->signed_in) {
			if (rt->kind == ROUTE_API)
				return ctx_fail(c, BW_EAUTH, NULL,
						c->auth_error[0] ? c->auth_error : "Sign in, or send a valid API token");
			return sign_in_redirect(c);
		}
		if (rt->auth == AUTH_SIGNED_IN && !c->session.mfa_ok) {
			if (rt->kind == ROUTE_API)
				return ctx_fail(c, BW_EAUTH, NULL, "Finish signing in with your second factor");
			http_resp_redirect(c->resp, "/mfa");
			return;
		}
	} else {
		c->signed_in = load_credentials(c);
	}
	if (!is_safe_method(c->req->method)) {
		/* first, so a field the parser refused is named (its CSRF token
		 * may be unreadable); nothing has changed either way */
		if (!c->req->form_ok)
			return ctx_error(c, 400, &c->req->form_err);
		if (c->via_token) {
			if (!c->token_write)
				return ctx_fail(c, BW_EFORBIDDEN, NULL, "This API token is read-only");
		} else if (c->signed_in ? !csrf_ok(c) : !origin_ok(c)) {
			return ctx_fail(c, BW_EFORBIDDEN, WEB_CSRF_FIELD,
					"This form has expired or did not come from this site. Go back, reload the page and try again");
		}
	}
	if (rt->auth == AUTH_SIGNED_IN) {
		if (!orgs_role_allows(c->actor.role, rt->action))
			return ctx_fail(c, BW_EFORBIDDEN, NULL, "Your role does not allow this");
		if (rt->target) {
			const struct route_param *p = app_param_find(rt->target);
			const char *v = ctx_param(c, rt->target);
			/* out-of-scope objects answer as missing: no one learns what exists elsewhere */
			if (!p || !v || p->owner(c->db, v, &c->target) != BW_OK ||
			    !orgs_can(&c->actor, rt->action, &c->target))
				return ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		}
	}
	rt->handler(c);
}

void app_handle(struct http_req *req, struct http_resp *resp, void *udata)
{
	(void)udata;
	struct ctx c = { .req = req, .resp = resp, .arena = req->arena };
	if (serve_asset(req, resp)) {
		security_headers(&c);
		metrics_observe(-1, resp->status, bw_now_ms() - req->started_ms);
		return;
	}
	c.db = app_db();
	if (strcmp(req->path, "/healthz") == 0) {
		bool up = c.db && db_query_i64(c.db, "SELECT 1", 0) == 1;
		resp->status = up ? 200 : 503;
		resp->content_type = "text/plain; charset=utf-8";
		buf_puts(&resp->body, up ? "ok\n" : "database unavailable\n");
		security_headers(&c);
		return;
	}
	if (strcmp(req->path, "/metrics") == 0) {
		resp->content_type = "text/plain; version=0.0.4";
		metrics_write(&resp->body, routes, nroutes);
		security_headers(&c);
		return;
	}
	int idx = -1;
	bool path_matched = false;
	for (size_t i = 0; i < nroutes; i++) {
		if (!match_pattern(&c, routes[i]->pattern, req->path))
			continue;
		path_matched = true;
		if (strcmp(routes[i]->method, req->method) == 0 ||
		    (strcmp(req->method, "HEAD") == 0 && strcmp(routes[i]->method, "GET") == 0)) {
			idx = (int)i;
			break;
		}
	}
	const char *api_prefix = "/api/";
	bool api = strncmp(req->path, api_prefix, strlen(api_prefix)) == 0;
	static const struct route api_none = { .kind = ROUTE_API }, page_none = { .kind = ROUTE_PAGE };
	if (idx < 0) {
		c.route = api ? &api_none : &page_none;
		if (!api && c.db)
			c.signed_in = load_credentials(&c) && c.session.mfa_ok;
		if (path_matched)
			ctx_fail(&c, BW_EINVAL, NULL, "This address does not accept that method");
		else
			ctx_fail(&c, BW_ENOTFOUND, NULL, "Page not found");
		if (path_matched)
			resp->status = 405;
	} else if (!c.db) {
		c.route = routes[idx];
		ctx_fail(&c, BW_EINTERNAL, NULL, "The database is not available");
		resp->status = 503;
	} else {
		c.route = routes[idx];
		run_route(&c);
	}
	security_headers(&c);
	int64_t ms = bw_now_ms() - req->started_ms;
	metrics_observe(idx, resp->status, ms);
	log_request(&c, idx >= 0 ? routes[idx]->pattern : "-");
}

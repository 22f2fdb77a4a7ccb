/*
 * users_pages: /users — the people in one's subtree, adding someone, and
 * changing a person's role, password, second factor and sessions. Lead
 * roles manage their own subtree; only administrators grant the national
 * roles (admin, analyst).
 */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/routes.h"

#define PAGE_SIZE 50

static const struct web_option all_roles[] = {
	{ "admin", "Administrator" }, { "analyst", "Analyst" }, { "ics_lead", "ICS cyber lead" },
	{ "org_lead", "Organisation lead" }, { "contributor", "Contributor" }, { "board", "Board member" },
	{ "staff", "Staff" }, { "auditor", "Auditor" },
};

static size_t grantable(const struct actor *a, struct web_option *out)
{
	size_t n = 0;
	for (size_t i = 0; i < BW_NELEM(all_roles); i++)
		if (orgs_may_grant(a, role_parse(all_roles[i].value)))
			out[n++] = all_roles[i];
	return n;
}

static void get_users(struct ctx *c)
{
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	const char *q = ctx_query(c, "q");
	char *like = arena_printf(c->arena, "%%%s%%", q ? q : "");
	int64_t page = pages_page_number(c);
	struct db_stmt *st = db_prep(c->db, "SELECT count(*) FROM users u JOIN orgs o ON o.id = u.org_id"
					    " WHERE o.path >= ?1 AND o.path < ?2 AND (lower(u.name) LIKE lower(?3) OR u.email LIKE lower(?3))");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_text(st, 3, like);
	int64_t total = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	struct web_link crumbs[] = { { "Home", "/" } };
	ctx_page_begin(c, "Users", crumbs, 1, NULL, 0);
	struct buf *b = &c->resp->body;
	html_raw(b, "<h1>Users</h1>");
	web_button_link(b, "Add a user", "/users/new", WEB_BUTTON_PRIMARY);
	html_raw(b, "<form class=\"bw-search\" action=\"/users\" method=\"get\" role=\"search\">"
		    "<div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"q\">Search by name or email"
		    "</label><input class=\"nhsuk-input nhsuk-u-width-one-half\" id=\"q\" name=\"q\" type=\"search\" "
		    "maxlength=\"200\" value=\"");
	html_attr(b, q ? q : "");
	html_raw(b, "\"></div>");
	web_button(b, "Search", WEB_BUTTON_SECONDARY);
	html_raw(b, "</form>");
	st = db_prep(c->db, "SELECT u.id, u.name, u.email, u.role, u.disabled, o.code, o.name FROM users u"
			    " JOIN orgs o ON o.id = u.org_id WHERE o.path >= ?1 AND o.path < ?2"
			    " AND (lower(u.name) LIKE lower(?3) OR u.email LIKE lower(?3))"
			    " ORDER BY u.name, u.id LIMIT ?4 OFFSET ?5");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_text(st, 3, like);
	db_bind_i64(st, 4, PAGE_SIZE);
	db_bind_i64(st, 5, (page - 1) * PAGE_SIZE);
	struct web_column cols[] = { { "Name", false }, { "Email", false }, { "Organisation", false },
				     { "Role", false }, { "Status", false } };
	char caption[64];
	snprintf(caption, sizeof caption, "%lld user%s", (long long)total, total == 1 ? "" : "s");
	struct web_table t;
	web_table_begin(&t, b, caption, cols, 5);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell_link(&t, db_col_text(st, 1), arena_printf(c->arena, "/users/%lld", (long long)db_col_i64(st, 0)));
		web_table_cell(&t, db_col_text(st, 2));
		web_table_cell_open(&t);
		pages_org_link(b, db_col_text(st, 5), db_col_text(st, 6));
		web_table_cell_close(&t);
		web_table_cell(&t, role_label(role_parse(db_col_text(st, 3))));
		web_table_cell_open(&t);
		if (db_col_i64(st, 4))
			web_tag(b, "Disabled", WEB_TAG_GREY);
		else
			web_tag(b, "Active", WEB_TAG_GREEN);
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 5, "No users match");
	web_table_end(&t);
	struct buf base;
	buf_init(&base);
	buf_puts(&base, "/users?q=");
	html_url_component(&base, q ? q : "");
	web_pagination(b, buf_cstr(&base), page, (total + PAGE_SIZE - 1) / PAGE_SIZE);
	buf_free(&base);
	ctx_page_end(c);
}

static void new_user_form(struct ctx *c, const char *const *values, const struct web_form_errors *errs)
{
	struct web_option roles[BW_NELEM(all_roles)];
	size_t nroles = grantable(&c->actor, roles);
	struct web_field f[] = {
		{ .name = "name", .label = "Full name", .type = WEB_FIELD_TEXT, .required = true, .max_len = LIM_NAME,
		  .autocomplete = "off" },
		{ .name = "email", .label = "Email address", .type = WEB_FIELD_EMAIL, .required = true,
		  .max_len = LIM_EMAIL, .autocomplete = "off" },
		{ .name = "org", .label = "Organisation code", .hint = "The ODS code of the organisation they work for",
		  .type = WEB_FIELD_TEXT, .required = true, .max_len = LIM_ORG_CODE, .width = "10" },
		{ .name = "role", .label = "Role", .type = WEB_FIELD_SELECT, .required = true, .options = roles,
		  .options_n = nroles },
		{ .name = "password", .label = "Initial password",
		  .hint = "At least 12 characters. Give it to them in person or by phone; they can change it.",
		  .type = WEB_FIELD_PASSWORD, .required = true, .max_len = LIM_PASSWORD_MAX,
		  .autocomplete = "new-password" },
	};
	struct web_form form = { .action = "/users", .fields = f, .fields_n = BW_NELEM(f), .submit = "Add user" };
	struct web_link crumbs[] = { { "Home", "/" }, { "Users", "/users" } };
	ctx_page_begin(c, "Add a user", crumbs, 2, errs ? errs->e : NULL, errs ? errs->n : 0);
	html_raw(&c->resp->body, "<h1>Add a user</h1>");
	web_form_render(&c->resp->body, &form, values, errs, c->session.csrf);
	ctx_page_end(c);
}

static void get_new_user(struct ctx *c)
{
	const char *values[] = { NULL, NULL, c->actor.org_code, "staff", NULL };
	new_user_form(c, values, NULL);
}

static void post_user(struct ctx *c)
{
	const char *name = ctx_form(c, "name"), *email = ctx_form(c, "email"), *code = ctx_form(c, "org");
	const char *role_s = ctx_form(c, "role"), *pw = ctx_form(c, "password");
	const char *values[] = { name, email, code, role_s, NULL };
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	enum role role = role_parse(role_s);
	struct org o;
	if (orgs_check_name("name", name, &e) != BW_OK)
		web_form_errors_add(&errs, "name", e.msg);
	if (orgs_check_email(email, &e) != BW_OK)
		web_form_errors_add(&errs, "email", e.msg);
	bool org_ok = orgs_check_code(code, &e) == BW_OK && orgs_get_by_code(c->db, code, &o, &e) == BW_OK;
	if (org_ok) {
		struct org_ref r = { o.id, "" };
		snprintf(r.path, sizeof r.path, "%s", o.path);
		org_ok = orgs_can(&c->actor, ACT_MANAGE_USERS, &r);
	}
	if (!org_ok)
		web_form_errors_add(&errs, "org", "Enter the code of an organisation you manage");
	if (role == ROLE_NONE || !orgs_may_grant(&c->actor, role))
		web_form_errors_add(&errs, "role", "Select a role you are allowed to give");
	int64_t id = 0;
	if (!errs.n && auth_user_create(c->db, &c->actor, code, email, name, role, pw, &id, &e) != BW_OK)
		web_form_errors_add(&errs, e.field[0] ? e.field : "email", e.msg);
	if (errs.n) {
		new_user_form(c, values, &errs);
		c->resp->status = 400;
		return;
	}
	ctx_redirect(c, arena_printf(c->arena, "/users/%lld", (long long)id), "User added");
}

static bool load_user(struct ctx *c, struct user *u)
{
	int64_t id;
	if (!str_to_i64(str_c(ctx_param(c, "user")), 1, INT64_MAX, &id) || users_get(c->db, id, u, NULL) != BW_OK) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return false;
	}
	return true;
}

static void action_form(struct ctx *c, const struct user *u, const char *what, const char *label,
			enum web_button_kind kind)
{
	web_form_begin(&c->resp->body, arena_printf(c->arena, "/users/%lld/%s", (long long)u->id, what), "post",
		       c->session.csrf);
	web_button(&c->resp->body, label, kind);
	web_form_end(&c->resp->body);
}

static void get_user(struct ctx *c)
{
	struct user u;
	if (!load_user(c, &u))
		return;
	struct web_link crumbs[] = { { "Home", "/" }, { "Users", "/users" } };
	ctx_page_begin(c, u.name, crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<h1>%s</h1>", u.name);
	web_summary_begin(b);
	web_summary_row(b, "Email address", u.email, NULL);
	web_summary_row(b, "Organisation", u.org_code, NULL);
	web_summary_row(b, "Role", role_label(u.role), NULL);
	web_summary_row(b, "Status", u.disabled ? "Disabled" : "Active", NULL);
	web_summary_row(b, "Two-factor authentication", auth_mfa_enrolled(c->db, u.id) ? "Set up" : "Not set up", NULL);
	web_summary_end(b);

	struct web_option roles[BW_NELEM(all_roles)];
	size_t nroles = grantable(&c->actor, roles);
	if (orgs_may_grant(&c->actor, u.role) && u.id != c->actor.user_id) {
		struct web_field rf[] = { { .name = "role", .label = "Role", .type = WEB_FIELD_SELECT, .required = true,
					    .options = roles, .options_n = nroles } };
		const char *rv[] = { role_name(u.role) };
		struct web_form rform = { .action = arena_printf(c->arena, "/users/%lld/role", (long long)u.id),
					  .fields = rf, .fields_n = 1, .submit = "Change role" };
		html_raw(b, "<h2>Change role</h2>");
		web_form_render(b, &rform, rv, NULL, c->session.csrf);

		struct web_field pf[] = { { .name = "password", .label = "New password", .type = WEB_FIELD_PASSWORD,
					    .required = true, .max_len = LIM_PASSWORD_MAX, .autocomplete = "new-password",
					    .hint = "At least 12 characters" } };
		struct web_form pform = { .action = arena_printf(c->arena, "/users/%lld/password", (long long)u.id),
					  .fields = pf, .fields_n = 1, .submit = "Set password" };
		html_raw(b, "<h2>Set a new password</h2>");
		web_form_render(b, &pform, NULL, NULL, c->session.csrf);

		html_raw(b, "<h2>Access</h2>");
		action_form(c, &u, "signout", "Sign out of every session", WEB_BUTTON_SECONDARY);
		action_form(c, &u, "mfa-reset", "Remove two-factor authentication", WEB_BUTTON_SECONDARY);
		action_form(c, &u, u.disabled ? "enable" : "disable", u.disabled ? "Enable account" : "Disable account",
			    u.disabled ? WEB_BUTTON_PRIMARY : WEB_BUTTON_WARNING);
	}
	ctx_page_end(c);
}

/* The POST actions share their checks: the user exists in scope (the
 * pipeline checked), the actor may manage people of that role, and not
 * themselves. */
static bool may_change(struct ctx *c, struct user *u)
{
	if (!load_user(c, u))
		return false;
	if (u->id == c->actor.user_id || !orgs_may_grant(&c->actor, u->role)) {
		ctx_fail(c, BW_EFORBIDDEN, NULL, "You cannot change this person's account");
		return false;
	}
	return true;
}

static void finish(struct ctx *c, const struct user *u, enum bw_err rc, const struct bw_error *e, const char *msg)
{
	if (rc != BW_OK)
		return ctx_error(c, web_err_status(rc), e);
	ctx_redirect(c, arena_printf(c->arena, "/users/%lld", (long long)u->id), msg);
}

static void post_role(struct ctx *c)
{
	struct user u;
	struct bw_error e = { 0 };
	if (!may_change(c, &u))
		return;
	enum role r = role_parse(ctx_form(c, "role"));
	if (r == ROLE_NONE || !orgs_may_grant(&c->actor, r))
		return ctx_fail(c, BW_EINVAL, "role", "Select a role you are allowed to give");
	finish(c, &u, users_set_role(c->db, &c->actor, u.id, r, &e), &e, "Role changed");
}

static void post_password(struct ctx *c)
{
	struct user u;
	struct bw_error e = { 0 };
	if (!may_change(c, &u))
		return;
	finish(c, &u, auth_password_set(c->db, &c->actor, u.id, ctx_form(c, "password"), &e), &e, "Password set");
}

static void post_disable(struct ctx *c)
{
	struct user u;
	struct bw_error e = { 0 };
	if (!may_change(c, &u))
		return;
	enum bw_err rc = users_set_disabled(c->db, &c->actor, u.id, true, &e);
	if (rc == BW_OK)
		rc = auth_signout_everywhere(c->db, &c->actor, u.id, &e);
	finish(c, &u, rc, &e, "Account disabled and signed out everywhere");
}

static void post_enable(struct ctx *c)
{
	struct user u;
	struct bw_error e = { 0 };
	if (!may_change(c, &u))
		return;
	finish(c, &u, users_set_disabled(c->db, &c->actor, u.id, false, &e), &e, "Account enabled");
}

static void post_signout(struct ctx *c)
{
	struct user u;
	struct bw_error e = { 0 };
	if (!may_change(c, &u))
		return;
	finish(c, &u, auth_signout_everywhere(c->db, &c->actor, u.id, &e), &e, "Signed out of every session");
}

static void post_mfa_reset(struct ctx *c)
{
	struct user u;
	struct bw_error e = { 0 };
	if (!may_change(c, &u))
		return;
	finish(c, &u, auth_mfa_reset(c->db, &c->actor, u.id, &e), &e, "Two-factor authentication removed");
}

const struct route users_routes[] = {
	{ "GET", "/users", get_users, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_USERS, NULL },
	{ "GET", "/users/new", get_new_user, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_USERS, NULL },
	{ "POST", "/users", post_user, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_USERS, NULL },
	{ "GET", "/users/{user}", get_user, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_USERS, "user" },
	{ "POST", "/users/{user}/role", post_role, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_USERS, "user" },
	{ "POST", "/users/{user}/password", post_password, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_USERS, "user" },
	{ "POST", "/users/{user}/disable", post_disable, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_USERS, "user" },
	{ "POST", "/users/{user}/enable", post_enable, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_USERS, "user" },
	{ "POST", "/users/{user}/signout", post_signout, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_USERS, "user" },
	{ "POST", "/users/{user}/mfa-reset", post_mfa_reset, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_USERS, "user" },
	{ NULL },
};

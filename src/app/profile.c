/* profile: /profile — one's own password, second factor, API tokens and
 * sessions. */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/routes.h"

static const struct web_field pw_fields[] = {
	{ .name = "current", .label = "Current password", .type = WEB_FIELD_PASSWORD, .required = true,
	  .max_len = LIM_PASSWORD_MAX, .autocomplete = "current-password" },
	{ .name = "password", .label = "New password", .type = WEB_FIELD_PASSWORD, .required = true,
	  .max_len = LIM_PASSWORD_MAX, .autocomplete = "new-password",
	  .hint = "At least 12 characters. A few unrelated words make a good password." },
};

static const struct web_option scopes[] = { { "read", "Read only" }, { "write", "Read and write" } };

static const struct web_field token_fields[] = {
	{ .name = "name", .label = "Token name", .hint = "What will use it, for example: log forwarder",
	  .type = WEB_FIELD_TEXT, .required = true, .max_len = 100 },
	{ .name = "scope", .label = "Access", .type = WEB_FIELD_SELECT, .required = true, .options = scopes,
	  .options_n = 2 },
};

static void profile_page(struct ctx *c, const struct web_form_errors *errs, const char *new_token)
{
	struct web_link crumbs[] = { { "Home", "/" } };
	ctx_page_begin(c, "Your profile", crumbs, 1, errs ? errs->e : NULL, errs ? errs->n : 0);
	struct buf *b = &c->resp->body;
	html_raw(b, "<h1>Your profile</h1>");
	web_summary_begin(b);
	web_summary_row(b, "Name", c->actor.name, NULL);
	web_summary_row(b, "Email address", c->actor.email, NULL);
	web_summary_row(b, "Organisation", c->actor.org_name, NULL);
	web_summary_row(b, "Role", role_label(c->actor.role), NULL);
	web_summary_end(b);

	if (new_token) {
		html_raw(b, "<div class=\"nhsuk-inset-text\"><p>Your new API token is shown once. Copy it now:</p>"
			    "<p><code class=\"bw-secret\">");
		html_text(b, new_token);
		html_raw(b, "</code></p></div>");
	}

	html_raw(b, "<h2>Change your password</h2>");
	struct web_form pform = { .action = "/profile/password", .fields = pw_fields, .fields_n = 2,
				  .submit = "Change password" };
	web_form_render(b, &pform, NULL, errs, c->session.csrf);

	html_raw(b, "<h2>Two-factor authentication</h2>");
	if (auth_mfa_enrolled(c->db, c->actor.user_id)) {
		html_raw(b, "<p>Two-factor authentication is set up. To move it to a new phone, set it up again.</p>");
	} else {
		html_raw(b, "<p>Two-factor authentication is not set up. It stops someone who learns your password "
			    "from signing in as you.</p>");
	}
	web_button_link(b, "Set up two-factor authentication", "/profile/mfa", WEB_BUTTON_SECONDARY);

	html_raw(b, "<h2>API tokens</h2><p>Programs such as log forwarders use a token instead of your password. "
		    "A token acts as you, with your organisation and role.</p>");
	struct db_stmt *st = db_prep(c->db, "SELECT id, name, can_write, created_at, last_used_at FROM api_tokens"
					    " WHERE user_id = ?1 AND revoked_at IS NULL ORDER BY id");
	db_bind_i64(st, 1, c->actor.user_id);
	struct web_column cols[] = { { "Name", false }, { "Access", false }, { "Created", false },
				     { "Last used", false }, { "Action", false } };
	struct web_table t;
	web_table_begin(&t, b, "Your API tokens", cols, 5);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		char created[48], used[48] = "Never";
		bw_time_london(db_col_i64(st, 3), created);
		if (!db_col_isnull(st, 4))
			bw_time_london(db_col_i64(st, 4), used);
		web_table_row_begin(&t);
		web_table_cell(&t, db_col_text(st, 1));
		web_table_cell(&t, db_col_i64(st, 2) ? "Read and write" : "Read only");
		web_table_cell(&t, created);
		web_table_cell(&t, used);
		web_table_cell_open(&t);
		web_form_begin(b, arena_printf(c->arena, "/profile/tokens/%lld/revoke", (long long)db_col_i64(st, 0)),
			       "post", c->session.csrf);
		web_button(b, "Revoke", WEB_BUTTON_WARNING);
		web_form_end(b);
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 5, "You have no API tokens");
	web_table_end(&t);
	struct web_form tform = { .action = "/profile/tokens", .fields = token_fields, .fields_n = 2,
				  .submit = "Create token" };
	web_form_render(b, &tform, NULL, NULL, c->session.csrf);

	html_raw(b, "<h2>Sessions</h2><p>If you think someone else is signed in as you, sign out everywhere "
		    "and change your password.</p>");
	web_form_begin(b, "/profile/signout-everywhere", "post", c->session.csrf);
	web_button(b, "Sign out everywhere", WEB_BUTTON_WARNING);
	web_form_end(b);
	ctx_page_end(c);
}

static void get_profile(struct ctx *c)
{
	profile_page(c, NULL, NULL);
}

static void post_password(struct ctx *c)
{
	struct bw_error e = { 0 };
	if (auth_password_change(c->db, &c->actor, ctx_form(c, "current"), ctx_form(c, "password"), &e) != BW_OK) {
		struct web_form_errors errs;
		web_form_errors_init(&errs);
		web_form_errors_add(&errs, e.field[0] ? e.field : "password", e.msg);
		profile_page(c, &errs, NULL);
		c->resp->status = 400;
		return;
	}
	ctx_redirect(c, "/profile", "Your password has been changed");
}

static void get_mfa(struct ctx *c)
{
	signin_mfa_setup_page(c, "/profile/mfa", NULL);
}

static void post_mfa(struct ctx *c)
{
	char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_CODE_LEN];
	struct bw_error e = { 0 };
	if (auth_mfa_confirm(c->db, &c->actor, ctx_form(c, "code"), codes, &e) != BW_OK) {
		struct web_form_errors errs;
		web_form_errors_init(&errs);
		web_form_errors_add(&errs, "code", e.msg);
		signin_mfa_setup_page(c, "/profile/mfa", &errs);
		c->resp->status = 400;
		return;
	}
	signin_recovery_codes_page(c, codes);
}

static void post_token(struct ctx *c)
{
	const char *name = ctx_form(c, "name"), *scope = ctx_form(c, "scope");
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	bool write = scope && strcmp(scope, "write") == 0;
	if (!scope || (!write && strcmp(scope, "read") != 0))
		web_form_errors_add(&errs, "scope", "Select the access the token needs");
	char raw[AUTH_API_TOKEN_LEN];
	struct bw_error e = { 0 };
	if (!errs.n && auth_token_create(c->db, &c->actor, c->actor.user_id, name, write, 0, raw, NULL, &e) != BW_OK)
		web_form_errors_add(&errs, "name", e.msg);
	if (errs.n) {
		profile_page(c, &errs, NULL);
		c->resp->status = 400;
		return;
	}
	profile_page(c, NULL, raw);
}

static void post_revoke(struct ctx *c)
{
	int64_t id;
	struct bw_error e = { 0 };
	struct org_ref owner;
	/* only one's own tokens from this page */
	if (!str_to_i64(str_c(ctx_param(c, "token")), 1, INT64_MAX, &id))
		return ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
	struct db_stmt *st = db_prep(c->db, "SELECT 1 FROM api_tokens WHERE id = ?1 AND user_id = ?2");
	db_bind_i64(st, 1, id);
	db_bind_i64(st, 2, c->actor.user_id);
	bool mine = db_step(st) == DB_ROW;
	db_reset(st);
	if (!mine || auth_token_owner(c->db, id, &owner) != BW_OK)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
	if (auth_token_revoke(c->db, &c->actor, id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, "/profile", "API token revoked");
}

static void post_everywhere(struct ctx *c)
{
	struct bw_error e = { 0 };
	if (auth_signout_everywhere(c->db, &c->actor, c->actor.user_id, &e) != BW_OK)
		return ctx_error(c, 500, &e);
	char v[256];
	if (auth_session_cookie_format(NULL, 0, c->req->tls, v, sizeof v) == BW_OK)
		http_resp_header(c->resp, "Set-Cookie", v);
	http_resp_redirect(c->resp, "/sign-in");
}

const struct route profile_routes[] = {
	{ "GET", "/profile", get_profile, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "POST", "/profile/password", post_password, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/profile/mfa", get_mfa, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "POST", "/profile/mfa", post_mfa, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "POST", "/profile/tokens", post_token, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "POST", "/profile/tokens/{token}/revoke", post_revoke, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "token" },
	{ "POST", "/profile/signout-everywhere", post_everywhere, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ NULL },
};

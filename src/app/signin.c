/*
 * signin: /sign-in, /mfa (the second factor), /mfa/setup (enrolment for the
 * roles that must have one), /sign-out. Before sign-in the CSRF defence is
 * SameSite=Strict plus the Origin check; after it, the session's token.
 */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/routes.h"

static bool tls(struct ctx *c)
{
	return c->req->tls;
}

static void set_session_cookie(struct ctx *c, const char *token)
{
	char v[256];
	if (auth_session_cookie_format(token, 0, tls(c), v, sizeof v) == BW_OK)
		http_resp_header(c->resp, "Set-Cookie", v);
}

/* Only same-site paths are followed after sign-in. */
static const char *safe_next(const char *next)
{
	if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strpbrk(next, "\r\n"))
		return "/";
	return next;
}

static const struct web_field signin_fields[] = {
	{ .name = "email", .label = "Email address", .type = WEB_FIELD_EMAIL, .required = true,
	  .max_len = LIM_EMAIL, .autocomplete = "username", .required_msg = "Enter your email address" },
	{ .name = "password", .label = "Password", .type = WEB_FIELD_PASSWORD, .required = true,
	  .max_len = LIM_PASSWORD_MAX, .autocomplete = "current-password", .required_msg = "Enter your password" },
	{ .name = "next", .label = "next", .type = WEB_FIELD_HIDDEN, .max_len = 1000 },
};

static void signin_page(struct ctx *c, const char *email, const char *next, const struct web_form_errors *errs)
{
	const char *values[] = { email, NULL, next };
	struct web_form form = { .action = "/sign-in", .fields = signin_fields,
				 .fields_n = BW_NELEM(signin_fields), .submit = "Sign in" };
	ctx_page_begin(c, "Sign in", NULL, 0, errs ? errs->e : NULL, errs ? errs->n : 0);
	html_raw(&c->resp->body, "<div class=\"nhsuk-grid-row\"><div class=\"nhsuk-grid-column-two-thirds\">"
				 "<h1>Sign in to Bulwark</h1>"
				 "<p>Bulwark keeps your organisation's cyber security registers, tells you about "
				 "vulnerabilities that affect your systems, and tracks alerts to closure.</p>");
	web_form_render(&c->resp->body, &form, values, errs, NULL);
	html_raw(&c->resp->body, "<p>If you have forgotten your password, ask your organisation lead or "
				 "the service administrator to set a new one.</p></div></div>");
	ctx_page_end(c);
}

static void get_signin(struct ctx *c)
{
	if (c->signed_in && c->session.mfa_ok) {
		http_resp_redirect(c->resp, "/");
		return;
	}
	signin_page(c, NULL, ctx_query(c, "next"), NULL);
}

static void post_signin(struct ctx *c)
{
	const char *email = ctx_form(c, "email"), *pw = ctx_form(c, "password");
	const char *next = safe_next(ctx_form(c, "next"));
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	struct auth_session s;
	enum auth_next nx;
	if (auth_signin(c->db, email, pw, c->req->client_ip, &s, &nx, &e) != BW_OK) {
		web_form_errors_add(&errs, e.field[0] ? e.field : "email", e.msg);
		c->resp->status = e.code == BW_ELOCKED ? 429 : e.code == BW_EINVAL ? 400 : 401;
		int status = c->resp->status;
		signin_page(c, email, next, &errs);
		c->resp->status = status;
		return;
	}
	set_session_cookie(c, s.token);
	if (nx == AUTH_NEXT_MFA)
		http_resp_redirect(c->resp, "/mfa");
	else if (nx == AUTH_NEXT_ENROL)
		http_resp_redirect(c->resp, "/mfa/setup");
	else
		http_resp_redirect(c->resp, next);
}

static const struct web_field code_fields[] = {
	{ .name = "code", .label = "Security code", .type = WEB_FIELD_TEXT, .required = true, .max_len = 20,
	  .hint = "The 6-digit code from your authenticator app, or one of your recovery codes",
	  .autocomplete = "one-time-code", .width = "10", .required_msg = "Enter the code from your authenticator app" },
};

static const struct web_field enrol_fields[] = {
	{ .name = "code", .label = "Security code", .type = WEB_FIELD_TEXT, .required = true, .max_len = 20,
	  .hint = "The 6-digit code your authenticator app shows", .autocomplete = "one-time-code",
	  .width = "10", .required_msg = "Enter the code from your authenticator app" },
};

/* While the second factor is due the header has no sign-out button: offer it here. */
static void cancel_form(struct ctx *c)
{
	web_form_begin(&c->resp->body, WEB_SIGN_OUT_PATH, "post", c->session.csrf);
	web_button(&c->resp->body, "Cancel and sign out", WEB_BUTTON_SECONDARY);
	web_form_end(&c->resp->body);
}

static void mfa_page(struct ctx *c, const struct web_form_errors *errs)
{
	struct web_form form = { .action = "/mfa", .fields = code_fields, .fields_n = 1, .submit = "Continue" };
	ctx_page_begin(c, "Enter your security code", NULL, 0, errs ? errs->e : NULL, errs ? errs->n : 0);
	html_raw(&c->resp->body, "<h1>Enter your security code</h1>");
	web_form_render(&c->resp->body, &form, NULL, errs, c->session.csrf);
	cancel_form(c);
	ctx_page_end(c);
}

static void get_mfa(struct ctx *c)
{
	if (c->session.mfa_ok)
		return http_resp_redirect(c->resp, "/");
	if (!auth_mfa_enrolled(c->db, c->actor.user_id))
		return http_resp_redirect(c->resp, "/mfa/setup");
	mfa_page(c, NULL);
}

static void post_mfa(struct ctx *c)
{
	if (c->session.mfa_ok)
		return http_resp_redirect(c->resp, "/");
	struct bw_error e = { 0 };
	if (auth_mfa_check(c->db, &c->actor, ctx_form(c, "code"), &e) != BW_OK) {
		struct web_form_errors errs;
		web_form_errors_init(&errs);
		web_form_errors_add(&errs, "code", e.msg);
		mfa_page(c, &errs);
		c->resp->status = e.code == BW_ELOCKED ? 429 : 400;
		return;
	}
	if (auth_session_promote(c->db, &c->session, &e) != BW_OK)
		return ctx_error(c, 500, &e);
	set_session_cookie(c, c->session.token);
	http_resp_redirect(c->resp, "/");
}

/* Enrolment page: QR code, the secret as text, and the confirmation form.
 * Used both at first sign-in and from the profile page. */
void signin_mfa_setup_page(struct ctx *c, const char *action, const struct web_form_errors *errs)
{
	char secret[AUTH_TOTP_SECRET_LEN];
	struct bw_error e = { 0 };
	if (!auth_mfa_pending(c->db, c->actor.user_id, secret) &&
	    auth_mfa_begin(c->db, c->actor.user_id, secret, &e) != BW_OK)
		return ctx_error(c, 500, &e);
	struct buf uri, svg;
	buf_init(&uri);
	buf_init(&svg);
	auth_totp_uri(secret, c->actor.email, &uri, &e);
	auth_qr_svg(buf_cstr(&uri), "QR code to scan with your authenticator app", &svg, &e);
	char display[AUTH_TOTP_DISPLAY_LEN];
	auth_totp_secret_display(secret, display);
	struct web_form form = { .action = action, .fields = enrol_fields, .fields_n = 1, .submit = "Confirm" };
	ctx_page_begin(c, "Set up two-factor authentication", NULL, 0, errs ? errs->e : NULL, errs ? errs->n : 0);
	struct buf *b = &c->resp->body;
	html_raw(b, "<h1>Set up two-factor authentication</h1>");
	if (role_requires_mfa(c->actor.role))
		html_printf(b, "<p>Your role (%s) must use a second factor to sign in.</p>", role_label(c->actor.role));
	html_raw(b, "<ol class=\"nhsuk-list nhsuk-list--number\"><li>Open an authenticator app on your phone "
		    "(for example Microsoft Authenticator or Google Authenticator).</li>"
		    "<li>Scan this QR code, or type the key below into the app.</li>"
		    "<li>Enter the 6-digit code the app shows.</li></ol><div class=\"bw-qr\">");
	buf_add(b, svg.p, svg.len);
	html_printf(b, "</div><p>Key: <code class=\"bw-secret\">%s</code></p>", display);
	web_form_render(b, &form, NULL, errs, c->session.csrf);
	if (!c->session.mfa_ok)
		cancel_form(c);
	ctx_page_end(c);
	buf_free(&uri);
	buf_free(&svg);
}

void signin_recovery_codes_page(struct ctx *c, char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_CODE_LEN])
{
	ctx_page_begin(c, "Your recovery codes", NULL, 0, NULL, 0);
	struct buf *b = &c->resp->body;
	html_raw(b, "<h1>Two-factor authentication is set up</h1>"
		    "<p>Keep these recovery codes somewhere safe, such as printed on paper. Each one signs you in "
		    "once if you lose your phone. You will not see them again.</p><ul class=\"bw-codes\">");
	for (int i = 0; i < AUTH_RECOVERY_CODES; i++)
		html_printf(b, "<li><code>%s</code></li>", codes[i]);
	html_raw(b, "</ul>");
	web_button_link(b, "Continue", "/", WEB_BUTTON_PRIMARY);
	ctx_page_end(c);
}

static void get_setup(struct ctx *c)
{
	if (c->session.mfa_ok || auth_mfa_enrolled(c->db, c->actor.user_id))
		return http_resp_redirect(c->resp, c->session.mfa_ok ? "/profile" : "/mfa");
	signin_mfa_setup_page(c, "/mfa/setup", NULL);
}

static void post_setup(struct ctx *c)
{
	if (c->session.mfa_ok || auth_mfa_enrolled(c->db, c->actor.user_id))
		return http_resp_redirect(c->resp, "/");
	char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_CODE_LEN];
	struct bw_error e = { 0 };
	if (auth_mfa_confirm(c->db, &c->actor, ctx_form(c, "code"), codes, &e) != BW_OK) {
		struct web_form_errors errs;
		web_form_errors_init(&errs);
		web_form_errors_add(&errs, "code", e.msg);
		signin_mfa_setup_page(c, "/mfa/setup", &errs);
		c->resp->status = 400;
		return;
	}
	if (auth_session_promote(c->db, &c->session, &e) != BW_OK)
		return ctx_error(c, 500, &e);
	set_session_cookie(c, c->session.token);
	signin_recovery_codes_page(c, codes);
}

static void post_signout(struct ctx *c)
{
	auth_session_end(c->db, &c->session, NULL);
	ctx_audit(c, "signout", "session", "Signed out");
	set_session_cookie(c, NULL);
	http_resp_redirect(c->resp, "/sign-in");
}

const struct route signin_routes[] = {
	{ "GET", "/sign-in", get_signin, ROUTE_PAGE, AUTH_PUBLIC, ACT_VIEW, NULL },
	{ "POST", "/sign-in", post_signin, ROUTE_PAGE, AUTH_PUBLIC, ACT_VIEW, NULL },
	{ "GET", "/mfa", get_mfa, ROUTE_PAGE, AUTH_MFA, ACT_VIEW, NULL },
	{ "POST", "/mfa", post_mfa, ROUTE_PAGE, AUTH_MFA, ACT_VIEW, NULL },
	{ "GET", "/mfa/setup", get_setup, ROUTE_PAGE, AUTH_MFA, ACT_VIEW, NULL },
	{ "POST", "/mfa/setup", post_setup, ROUTE_PAGE, AUTH_MFA, ACT_VIEW, NULL },
	{ "POST", "/sign-out", post_signout, ROUTE_PAGE, AUTH_MFA, ACT_VIEW, NULL },
	{ NULL },
};

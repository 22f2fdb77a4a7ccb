/*
 * contacts_pages: the alert contacts pages and API.
 *   /orgs/{org}/alert-contacts            the list, recent deliveries, add form
 *   /alert-contacts/{contact}/delete      remove one
 *   /api/v1/orgs/{org}/alert-contacts     list (GET) and add (POST)
 *   /api/v1/alert-contacts/{contact}      remove (DELETE)
 * Seeing the list needs the edit right; changing it is for organisation
 * leads (the users-management right). A webhook's secret is shown once,
 * on the answer to the request that created it, and never again.
 */
#include <stdio.h>
#include <string.h>

#include "alerts/outbox.h"
#include "app/routes.h"

static const struct web_option kinds[] = {
	{ "email", "E-mail" }, { "sms", "Text message (high-severity alerts only)" }, { "webhook", "Webhook (signed JSON POST)" },
};
static const struct web_option roles[] = {
	{ "alerts", "Every advisory" }, { "siro", "Escalations only (SIRO)" },
};

enum { F_KIND, F_ADDRESS, F_ROLE, F_NAME, F_N };
static const struct web_field fields[F_N] = {
	[F_KIND] = { .name = "kind", .label = "How to reach them", .type = WEB_FIELD_SELECT, .required = true,
		     .options = kinds, .options_n = BW_NELEM(kinds) },
	[F_ADDRESS] = { .name = "address", .label = "Address",
			.hint = "An e-mail address, a mobile number like +447700900123, or a webhook URL starting https://",
			.type = WEB_FIELD_TEXT, .required = true, .max_len = OUTBOX_ADDRESS_MAX, .width = "30",
			.required_msg = "Enter the address" },
	[F_ROLE] = { .name = "role", .label = "What they receive", .type = WEB_FIELD_SELECT, .required = true,
		     .options = roles, .options_n = BW_NELEM(roles) },
	[F_NAME] = { .name = "name", .label = "Name (optional)", .hint = "Who or what this is, like 'IT service desk'",
		     .type = WEB_FIELD_TEXT, .max_len = LIM_NAME, .width = "20" },
};

static const char *label_of(const struct web_option *o, size_t n, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (v && strcmp(o[i].value, v) == 0)
			return o[i].label;
	return v ? v : "";
}

static bool load_org(struct ctx *c, struct org *o)
{
	if (orgs_get_by_code(c->db, ctx_param(c, "org"), o, NULL) != BW_OK) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return false;
	}
	return true;
}

static bool may_change(struct ctx *c, const struct org *o)
{
	struct org_ref r = { o->id, "" };
	snprintf(r.path, sizeof r.path, "%s", o->path);
	return orgs_can(&c->actor, ACT_MANAGE_USERS, &r);
}

static const char *state_label(const char *s, enum web_tag_colour *col)
{
	if (strcmp(s, "sent") == 0)
		return *col = WEB_TAG_GREEN, "Sent";
	if (strcmp(s, "failed") == 0)
		return *col = WEB_TAG_RED, "Failed";
	if (strcmp(s, "sending") == 0)
		return *col = WEB_TAG_BLUE, "Sending";
	return *col = WEB_TAG_GREY, "Waiting";
}

static void contacts_page(struct ctx *c, const struct org *o, const char *const *v, const struct web_form_errors *errs,
			  const char *new_secret, const char *new_address)
{
	const char *self = arena_printf(c->arena, "/orgs/%s/alert-contacts", o->code);
	struct web_link crumbs[] = { { "Home", "/" }, { o->name, arena_printf(c->arena, "/orgs/%s", o->code) } };
	ctx_page_begin(c, arena_printf(c->arena, "Alert contacts - %s", o->name), crumbs, 2, errs ? errs->e : NULL,
		       errs ? errs->n : 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Alert contacts</h1>", o->name);
	html_raw(b, "<p>Advisories from the national team go to these people and systems as well as to this "
		    "organisation's alerts page. Text messages are sent only for high-severity alerts. Contacts marked "
		    "SIRO hear only about alerts that were not answered in time.</p>");
	if (new_secret) {
		html_raw(b, "<div class=\"nhsuk-inset-text\"><span class=\"nhsuk-u-visually-hidden\">Information: </span>"
			    "<h2>Signing secret for the new webhook</h2>");
		html_printf(b, "<p>Copy this secret now into the system behind <strong>%s</strong>: "
			       "it is not shown again.</p><p><code id=\"webhook-secret\">%s</code></p>",
			    new_address, new_secret);
		html_raw(b, "<p>Each delivery is a JSON POST with the header <code>X-Bulwark-Signature: sha256=</code> "
			    "followed by the HMAC-SHA256 of the body under this secret, in hex, and an "
			    "<code>Idempotency-Key</code> header that is the same if a delivery is ever repeated.</p></div>");
	}
	struct db_stmt *st = db_prep(c->db, "SELECT id, kind, address, role, name, created_at FROM alert_contacts"
					    " WHERE org_id = ?1 ORDER BY role, kind, address");
	db_bind_i64(st, 1, o->id);
	bool change = may_change(c, o);
	struct web_column cols[] = { { "Address", false }, { "How", false }, { "Receives", false }, { "Name", false },
				     { "Added", false }, { "Action", false } };
	size_t ncols = change ? 6 : 5;
	struct web_table t;
	web_table_begin(&t, b, "Contacts", cols, ncols);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell_head(&t, db_col_text(st, 2));
		web_table_cell(&t, strcmp(db_col_text(st, 1), "sms") == 0 ? "Text message" :
				   strcmp(db_col_text(st, 1), "webhook") == 0 ? "Webhook" : "E-mail");
		web_table_cell(&t, label_of(roles, BW_NELEM(roles), db_col_text(st, 3)));
		web_table_cell(&t, db_col_text(st, 4));
		char when[48];
		bw_time_london(db_col_i64(st, 5), when);
		web_table_cell(&t, when);
		if (change) {
			web_table_cell_open(&t);
			web_form_begin(b, arena_printf(c->arena, "/alert-contacts/%lld/delete", (long long)db_col_i64(st, 0)),
				       "post", c->session.csrf);
			html_printf(b, "<button class=\"nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0\" "
				       "type=\"submit\">Remove<span class=\"nhsuk-u-visually-hidden\"> %s</span></button>",
				    db_col_text(st, 2));
			web_form_end(b);
			web_table_cell_close(&t);
		}
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, ncols, "No alert contacts yet: advisories reach this organisation only in Bulwark");
	web_table_end(&t);

	if (change) {
		html_raw(b, "<h2>Add a contact</h2>");
		struct web_form form = { .action = self, .fields = fields, .fields_n = F_N, .submit = "Add contact" };
		web_form_render(b, &form, v, errs, c->session.csrf);
	}

	html_raw(b, "<h2>Recent deliveries</h2>");
	st = db_prep(c->db, "SELECT advisory_id, revision, channel, recipient, state, attempts, last_error, created_at"
			    " FROM deliveries WHERE org_id = ?1 ORDER BY id DESC LIMIT 20");
	db_bind_i64(st, 1, o->id);
	struct web_column dcols[] = { { "Advisory", false }, { "To", false }, { "State", false },
				      { "Attempts", true }, { "Queued", false } };
	web_table_begin(&t, b, "The last 20 messages to this organisation's contacts", dcols, 5);
	rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell(&t, arena_printf(c->arena, "%s revision %lld", db_col_text(st, 0),
						(long long)db_col_i64(st, 1)));
		web_table_cell(&t, db_col_text(st, 3));
		web_table_cell_open(&t);
		enum web_tag_colour col;
		const char *lbl = state_label(db_col_text(st, 4), &col);
		web_tag(b, lbl, col);
		if (db_col_text(st, 6) && strcmp(db_col_text(st, 4), "sent") != 0)
			html_printf(b, " <span class=\"nhsuk-body-s\">%s</span>", db_col_text(st, 6));
		web_table_cell_close(&t);
		web_table_cell_num(&t, db_col_i64(st, 5));
		char when[48];
		bw_time_london(db_col_i64(st, 7), when);
		web_table_cell(&t, when);
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 5, "Nothing sent yet");
	web_table_end(&t);
	ctx_page_end(c);
	if (errs && errs->n)
		c->resp->status = errs->e[0].code == BW_ECONFLICT ? 409 : 400;
}

static void get_contacts(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	const char *v[F_N] = { "email", NULL, "alerts", NULL };
	contacts_page(c, &o, v, NULL, NULL, NULL);
}

static void post_contact(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	if (!may_change(c, &o))
		return ctx_fail(c, BW_EFORBIDDEN, NULL, "Only an organisation lead can change the alert contacts");
	const char *v[F_N];
	for (size_t i = 0; i < F_N; i++)
		v[i] = ctx_form(c, fields[i].name);
	struct web_form form = { .fields = fields, .fields_n = F_N };
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	char secret[65] = "";
	if (web_form_validate(&form, v, &errs) == BW_OK &&
	    outbox_contact_add(c->db, &c->actor, o.id, v[F_KIND], v[F_ADDRESS], v[F_ROLE], v[F_NAME], NULL, secret,
			       &e) != BW_OK) {
		web_form_errors_add(&errs, e.field[0] ? e.field : "address", e.msg);
		errs.e[errs.n - 1].code = e.code;
	}
	if (errs.n)
		return contacts_page(c, &o, v, &errs, NULL, NULL);
	if (secret[0]) {
		/* shown once: answer with the page itself rather than a redirect */
		const char *blank[F_N] = { "email", NULL, "alerts", NULL };
		snprintf(c->flash, sizeof c->flash, "Webhook added");
		http_resp_header(c->resp, "Cache-Control", "no-store");
		return contacts_page(c, &o, blank, NULL, secret, v[F_ADDRESS]);
	}
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s/alert-contacts", o.code), "Contact added");
}

static bool contact_id(struct ctx *c, int64_t *id)
{
	const char *v = ctx_param(c, "contact");
	if (!v || !str_to_i64(str_c(v), 1, INT64_MAX, id)) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return false;
	}
	return true;
}

static void post_delete(struct ctx *c)
{
	int64_t id;
	if (!contact_id(c, &id))
		return;
	struct org o;
	struct bw_error e = { 0 };
	if (orgs_get(c->db, c->target.id, &o, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	if (outbox_contact_remove(c->db, &c->actor, id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s/alert-contacts", o.code), "Contact removed");
}

/* ---- API ---- */

static void contact_row(struct web_json *j, struct db_stmt *st)
{
	web_json_object(j);
	web_json_key(j, "id");
	web_json_int(j, db_col_i64(st, 0));
	web_json_key(j, "kind");
	web_json_str(j, db_col_text(st, 1));
	web_json_key(j, "address");
	web_json_str(j, db_col_text(st, 2));
	web_json_key(j, "role");
	web_json_str(j, db_col_text(st, 3));
	web_json_key(j, "name");
	web_json_str(j, db_col_text(st, 4));
	char iso[32];
	bw_time_iso(db_col_i64(st, 5), iso);
	web_json_key(j, "created_at");
	web_json_str(j, iso);
	web_json_end(j);
}

static void api_list(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	struct db_stmt *st = db_prep(c->db, "SELECT id, kind, address, role, name, created_at FROM alert_contacts"
					    " WHERE org_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3");
	db_bind_i64(st, 1, o.id);
	ctx_api_list(c, st, 2, contact_row);
}

static void api_post(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	if (!may_change(c, &o))
		return ctx_fail(c, BW_EFORBIDDEN, NULL, "Only an organisation lead can change the alert contacts");
	json_t *body;
	struct bw_error e = { 0 };
	if (http_json_parse(c->req->body, c->req->body_len, &body, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	const char *v[F_N];
	for (size_t i = 0; i < F_N && e.code == BW_OK; i++) {
		const char *s = http_json_str(body, fields[i].name, &e);
		v[i] = s ? arena_strdup(c->arena, s) : NULL;
	}
	json_decref(body);
	if (e.code != BW_OK)
		return ctx_error(c, 400, &e);
	if (v[F_NAME] && strlen(v[F_NAME]) > LIM_NAME * 4)
		return ctx_fail(c, BW_ELIMIT, "name", "Name is too long");
	int64_t id = 0;
	char secret[65] = "";
	if (outbox_contact_add(c->db, &c->actor, o.id, v[F_KIND], v[F_ADDRESS], v[F_ROLE], v[F_NAME], &id, secret,
			       &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	struct db_stmt *st = db_prep(c->db, "SELECT id, kind, address, role, name, created_at FROM alert_contacts"
					    " WHERE id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return ctx_fail(c, BW_EINTERNAL, NULL, "The contact was added but cannot be read back");
	struct web_json j;
	ctx_json_begin(c, &j);
	c->resp->status = 201;
	http_resp_header(c->resp, "Cache-Control", "no-store");
	web_json_object(&j);
	web_json_key(&j, "data");
	contact_row(&j, st);
	db_reset(st);
	if (secret[0]) {
		/* the only time it is shown */
		web_json_key(&j, "secret");
		web_json_str(&j, secret);
	}
	web_json_end(&j);
}

static void api_delete(struct ctx *c)
{
	int64_t id;
	if (!contact_id(c, &id))
		return;
	struct bw_error e = { 0 };
	if (outbox_contact_remove(c->db, &c->actor, id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
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

const struct route contacts_routes[] = {
	{ "GET", "/orgs/{org}/alert-contacts", get_contacts, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "POST", "/orgs/{org}/alert-contacts", post_contact, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_USERS, "org" },
	{ "POST", "/alert-contacts/{contact}/delete", post_delete, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_USERS, "contact" },
	{ "GET", "/api/v1/orgs/{org}/alert-contacts", api_list, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "POST", "/api/v1/orgs/{org}/alert-contacts", api_post, ROUTE_API, AUTH_SIGNED_IN, ACT_MANAGE_USERS, "org" },
	{ "DELETE", "/api/v1/alert-contacts/{contact}", api_delete, ROUTE_API, AUTH_SIGNED_IN, ACT_MANAGE_USERS, "contact" },
	{ NULL },
};

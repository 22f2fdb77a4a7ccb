/*
 * orgs_pages: /orgs — browse the organisation tree one level at a time
 * (national scale has 60,000 organisations), search within one's subtree,
 * an organisation's page with its members, and, for administrators, adding
 * and moving organisations.
 */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/routes.h"

#define PAGE_SIZE 50

int64_t pages_page_number(struct ctx *c)
{
	int64_t p = 1;
	const char *s = ctx_query(c, "page");
	if (s && !str_to_i64(str_c(s), 1, 1000000, &p))
		p = 1;
	return p;
}

void pages_org_link(struct buf *b, const char *code, const char *name)
{
	html_raw(b, "<a href=\"/orgs/");
	html_url_component(b, code);
	html_raw(b, "\">");
	html_text(b, name);
	html_raw(b, "</a>");
}

static void get_orgs(struct ctx *c)
{
	const char *q = ctx_query(c, "q");
	if (!q || !*q) {
		struct buf loc;
		buf_init(&loc);
		buf_puts(&loc, "/orgs/");
		html_url_component(&loc, c->actor.org_code);
		http_resp_redirect(c->resp, buf_cstr(&loc));
		buf_free(&loc);
		return;
	}
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	int64_t page = pages_page_number(c);
	char *like = arena_printf(c->arena, "%%%s%%", q);
	struct db_stmt *st = db_prep(c->db, "SELECT count(*) FROM orgs WHERE path >= ?1 AND path < ?2"
					    " AND (lower(name) LIKE lower(?3) OR code = upper(?4))");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_text(st, 3, like);
	db_bind_text(st, 4, q);
	int64_t total = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	struct web_link crumbs[] = { { "Home", "/" }, { "Organisations", "/orgs" } };
	ctx_page_begin(c, "Search organisations", crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<h1>Organisations matching \"%s\"</h1>", q);
	st = db_prep(c->db, "SELECT code, name, type FROM orgs WHERE path >= ?1 AND path < ?2"
			    " AND (lower(name) LIKE lower(?3) OR code = upper(?4)) ORDER BY name, code LIMIT ?5 OFFSET ?6");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_text(st, 3, like);
	db_bind_text(st, 4, q);
	db_bind_i64(st, 5, PAGE_SIZE);
	db_bind_i64(st, 6, (page - 1) * PAGE_SIZE);
	struct web_column cols[] = { { "Name", false }, { "Code", false }, { "Type", false } };
	char caption[64];
	snprintf(caption, sizeof caption, "%lld found", (long long)total);
	struct web_table t;
	web_table_begin(&t, b, caption, cols, 3);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		enum org_type ty = ORG_OTHER;
		org_type_parse(db_col_text(st, 2), &ty);
		web_table_row_begin(&t);
		web_table_cell_open(&t);
		pages_org_link(b, db_col_text(st, 0), db_col_text(st, 1));
		web_table_cell_close(&t);
		web_table_cell(&t, db_col_text(st, 0));
		web_table_cell(&t, org_type_label(ty));
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 3, "No organisations match your search");
	web_table_end(&t);
	struct buf base;
	buf_init(&base);
	buf_puts(&base, "/orgs?q=");
	html_url_component(&base, q);
	web_pagination(b, buf_cstr(&base), page, (total + PAGE_SIZE - 1) / PAGE_SIZE);
	buf_free(&base);
	ctx_page_end(c);
}

/* Breadcrumbs: the ancestors the actor may see, top first. */
static size_t org_crumbs(struct ctx *c, const struct org *o, struct web_link *out, size_t max)
{
	size_t n = 0;
	out[n++] = (struct web_link){ "Home", "/" };
	/* every ancestor id is in the path; keep those inside the actor's subtree */
	const char *p = o->path + 1;
	while (*p && n < max) {
		const char *slash = strchr(p, '/');
		if (!slash)
			break;
		int64_t id;
		if (!str_to_i64((struct str){ p, (size_t)(slash - p) }, 1, INT64_MAX, &id))
			break;
		p = slash + 1;
		if (id == o->id)
			break;
		struct org a;
		if (orgs_get(c->db, id, &a, NULL) != BW_OK)
			continue;
		struct org_ref r = { a.id, "" };
		snprintf(r.path, sizeof r.path, "%s", a.path);
		if (!orgs_can(&c->actor, ACT_VIEW, &r))
			continue;
		out[n].label = arena_strdup(c->arena, a.name);
		out[n].href = arena_printf(c->arena, "/orgs/%s", a.code);
		n++;
	}
	return n;
}

static void get_org(struct ctx *c)
{
	struct org o;
	struct bw_error e = { 0 };
	if (orgs_get_by_code(c->db, ctx_param(c, "org"), &o, &e) != BW_OK)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
	struct web_link crumbs[16];
	size_t ncrumbs = org_crumbs(c, &o, crumbs, 16);
	ctx_page_begin(c, o.name, crumbs, ncrumbs, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>%s</h1>", org_type_label(o.type), o.name);
	web_summary_begin(b);
	web_summary_row(b, "Code", o.code, NULL);
	web_summary_row(b, "Type", org_type_label(o.type), NULL);
	int64_t below = orgs_count_subtree(c->db, o.path) - 1;
	char n[32];
	snprintf(n, sizeof n, "%lld", (long long)below);
	web_summary_row(b, "Organisations below", n, NULL);
	if (o.synthetic)
		web_summary_row(b, "Source", "Synthetic demonstration record (not a real organisation)", NULL);
	else
		web_summary_row(b, "Source", "NHS Organisation Data Service", NULL);
	web_summary_end(b);

	/* members */
	struct db_stmt *st = db_prep(c->db, "SELECT id, name, email, role, disabled FROM users WHERE org_id = ?1"
					    " ORDER BY name LIMIT 100");
	db_bind_i64(st, 1, o.id);
	struct web_column ucols[] = { { "Name", false }, { "Email", false }, { "Role", false } };
	struct web_table t;
	web_table_begin(&t, b, "People in this organisation", ucols, 3);
	int rows = 0;
	bool manage = orgs_role_allows(c->actor.role, ACT_MANAGE_USERS);
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		if (manage)
			web_table_cell_link(&t, db_col_text(st, 1),
					    arena_printf(c->arena, "/users/%lld", (long long)db_col_i64(st, 0)));
		else
			web_table_cell(&t, db_col_text(st, 1));
		web_table_cell(&t, db_col_text(st, 2));
		web_table_cell(&t, role_label(role_parse(db_col_text(st, 3))));
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 3, "No one in this organisation has an account yet");
	web_table_end(&t);

	/* children, one page at a time */
	int64_t page = pages_page_number(c);
	int64_t nchildren = 0;
	st = db_prep(c->db, "SELECT count(*) FROM orgs WHERE parent_id = ?1");
	db_bind_i64(st, 1, o.id);
	if (db_step(st) == DB_ROW)
		nchildren = db_col_i64(st, 0);
	db_reset(st);
	if (nchildren) {
		html_raw(b, "<h2>Organisations in ");
		html_text(b, o.name);
		html_raw(b, "</h2>");
		st = db_prep(c->db, "SELECT code, name, type, synthetic FROM orgs WHERE parent_id = ?1"
				    " ORDER BY name, code LIMIT ?2 OFFSET ?3");
		db_bind_i64(st, 1, o.id);
		db_bind_i64(st, 2, PAGE_SIZE);
		db_bind_i64(st, 3, (page - 1) * PAGE_SIZE);
		struct web_column cols[] = { { "Name", false }, { "Code", false }, { "Type", false } };
		char caption[64];
		snprintf(caption, sizeof caption, "%lld organisation%s", (long long)nchildren, nchildren == 1 ? "" : "s");
		struct web_table t;
		web_table_begin(&t, b, caption, cols, 3);
		while (db_step(st) == DB_ROW) {
			enum org_type ty = ORG_OTHER;
			org_type_parse(db_col_text(st, 2), &ty);
			web_table_row_begin(&t);
			web_table_cell_open(&t);
			pages_org_link(b, db_col_text(st, 0), db_col_text(st, 1));
			if (db_col_i64(st, 3))
				html_raw(b, " <span class=\"nhsuk-u-secondary-text-color\">(synthetic)</span>");
			web_table_cell_close(&t);
			web_table_cell(&t, db_col_text(st, 0));
			web_table_cell(&t, org_type_label(ty));
			web_table_row_end(&t);
		}
		web_table_end(&t);
		web_pagination(b, arena_printf(c->arena, "/orgs/%s", o.code), page,
			       (nchildren + PAGE_SIZE - 1) / PAGE_SIZE);
	}
	html_raw(b, "<form class=\"bw-search\" action=\"/orgs\" method=\"get\" role=\"search\">"
		    "<div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"q\">Search organisations "
		    "by name or code</label><input class=\"nhsuk-input nhsuk-u-width-one-half\" id=\"q\" name=\"q\" "
		    "type=\"search\" maxlength=\"200\"></div>");
	web_button(b, "Search", WEB_BUTTON_SECONDARY);
	html_raw(b, "</form>");

	if (orgs_role_allows(c->actor.role, ACT_MANAGE_ORGS)) {
		html_raw(b, "<h2>Add an organisation here</h2>");
		static const struct web_option types[] = {
			{ "region", "Region" }, { "ics", "Integrated care system" }, { "nhs_trust", "NHS trust" },
			{ "gp_practice", "GP practice" }, { "care_provider", "Care provider" },
			{ "pharmacy", "Pharmacy" }, { "dental_practice", "Dental practice" },
			{ "supplier", "Supplier" }, { "other", "Other" },
		};
		struct web_field f[] = {
			{ .name = "code", .label = "Code", .hint = "The ODS code, for example RXX or Y01234",
			  .type = WEB_FIELD_TEXT, .required = true, .max_len = LIM_ORG_CODE, .width = "10" },
			{ .name = "name", .label = "Name", .type = WEB_FIELD_TEXT, .required = true, .max_len = LIM_NAME },
			{ .name = "type", .label = "Type", .type = WEB_FIELD_SELECT, .required = true,
			  .options = types, .options_n = BW_NELEM(types) },
		};
		struct web_form form = { .action = arena_printf(c->arena, "/orgs/%s/children", o.code),
					 .fields = f, .fields_n = 3, .submit = "Add organisation" };
		/* the usual kind of member for this level of the tree */
		const char *child_type = o.type == ORG_NATIONAL ? "region" : o.type == ORG_REGION ? "ics"
				       : o.type == ORG_ICS ? "nhs_trust" : "other";
		const char *values[] = { NULL, NULL, child_type };
		web_form_render(b, &form, values, NULL, c->session.csrf);
		if (o.parent_id) {
			html_raw(b, "<h2>Move this organisation</h2>");
			struct web_field mf[] = {
				{ .name = "parent", .label = "New parent organisation code", .type = WEB_FIELD_TEXT,
				  .required = true, .max_len = LIM_ORG_CODE, .width = "10" },
				{ .name = "reason", .label = "Reason", .hint = "For example: ICB merger, 1 April 2026",
				  .type = WEB_FIELD_TEXT, .required = true, .max_len = LIM_NAME },
			};
			struct web_form mform = { .action = arena_printf(c->arena, "/orgs/%s/move", o.code),
						  .fields = mf, .fields_n = 2, .submit = "Move organisation" };
			web_form_render(b, &mform, NULL, NULL, c->session.csrf);
		}
	}
	ctx_page_end(c);
}

static void post_child(struct ctx *c)
{
	const char *code = ctx_form(c, "code"), *name = ctx_form(c, "name"), *type = ctx_form(c, "type");
	enum org_type t;
	struct bw_error e = { 0 };
	if (!org_type_parse(type, &t))
		return ctx_fail(c, BW_EINVAL, "type", "Select the type of organisation");
	if (orgs_add(c->db, &c->actor, code, name, t, ctx_param(c, "org"), false, NULL, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s", code), "Organisation added");
}

static void post_move(struct ctx *c)
{
	const char *parent = ctx_form(c, "parent"), *reason = ctx_form(c, "reason");
	struct bw_error e = { 0 };
	struct org np;
	if (orgs_check_code(parent, &e) != BW_OK || orgs_get_by_code(c->db, parent, &np, &e) != BW_OK) {
		snprintf(e.field, sizeof e.field, "parent");
		return ctx_error(c, web_err_status(e.code), &e);
	}
	struct org_ref r = { np.id, "" };
	snprintf(r.path, sizeof r.path, "%s", np.path);
	if (!orgs_can(&c->actor, ACT_MANAGE_ORGS, &r))
		return ctx_fail(c, BW_ENOTFOUND, "parent", "No organisation has that code");
	if (orgs_check_name("reason", reason, &e) != BW_OK ||
	    orgs_move(c->db, &c->actor, ctx_param(c, "org"), parent, reason, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s", ctx_param(c, "org")), "Organisation moved");
}

const struct route orgs_routes[] = {
	{ "GET", "/orgs", get_orgs, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/orgs/{org}", get_org, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "POST", "/orgs/{org}/children", post_child, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_ORGS, "org" },
	{ "POST", "/orgs/{org}/move", post_move, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_MANAGE_ORGS, "org" },
	{ NULL },
};

/*
 * components_pages: the software inventory as people and programs see it —
 * a system's components (search, filter, pages, CSV), one component with
 * its CPE suggestions, add and edit forms, the import page with its row by
 * row report, the organisation-wide search, and /api/v1 for the same.
 * Route table at the bottom.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app/routes.h"
#include "registers/components.h"

#define PAGE_SIZE 50
#define SEARCH_COUNT_CAP 1000       /* "1,000 or more" beyond this */
#define LIM_EXPORT_ROWS 100000      /* rows in one CSV export */
#define SMALL_SCOPE_ORGS 200        /* below this, search walks the organisations */
#define SUGGESTIONS 5

/* ---- shared bits ---- */

static bool load_system(struct ctx *c, struct comp_system *s)
{
	int64_t id;
	if (!str_to_i64(str_c(ctx_param(c, "system")), 1, INT64_MAX, &id) || components_system_get(c->db, id, s) != BW_OK) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return false;
	}
	return true;
}

struct comp_view {
	int64_t id, system_id, updated_at;
	const char *vendor, *product, *version, *cpe, *purl, *source, *guess, *system_name;
	const char *org_code, *org_name;
	bool confirmed;
};

#define COMP_COLS "c.id, c.system_id, c.vendor, c.product, c.version, c.cpe, c.purl, c.source, c.cpe_guess," \
	" c.cpe_confirmed, c.updated_at, s.name, o.code, o.name"

static void comp_row(struct ctx *c, struct db_stmt *st, struct comp_view *v)
{
	const char *t;
#define DUP(col) ((t = db_col_text(st, col)) ? arena_strdup(c->arena, t) : NULL)
	v->id = db_col_i64(st, 0);
	v->system_id = db_col_i64(st, 1);
	v->vendor = DUP(2);
	v->product = DUP(3);
	v->version = DUP(4);
	v->cpe = DUP(5);
	v->purl = DUP(6);
	v->source = DUP(7);
	v->guess = DUP(8);
	v->confirmed = db_col_i64(st, 9) != 0;
	v->updated_at = db_col_i64(st, 10);
	v->system_name = DUP(11);
	v->org_code = DUP(12);
	v->org_name = DUP(13);
#undef DUP
}

static bool load_component(struct ctx *c, struct comp_view *v)
{
	int64_t id;
	if (!str_to_i64(str_c(ctx_param(c, "component")), 1, INT64_MAX, &id))
		goto missing;
	struct db_stmt *st = db_prep(c->db, "SELECT " COMP_COLS " FROM components c JOIN systems s ON s.id = c.system_id"
					    " JOIN orgs o ON o.id = c.org_id WHERE c.id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		goto missing;
	comp_row(c, st, v);
	db_reset(st);
	return true;
missing:
	ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
	return false;
}

static const char *source_label(const char *s)
{
	if (!s)
		return "";
	if (!strcmp(s, "typed"))
		return "Typed in";
	if (!strcmp(s, "csv"))
		return "CSV import";
	if (!strcmp(s, "sbom"))
		return "SBOM import";
	if (!strcmp(s, "api"))
		return "API";
	if (!strcmp(s, "demo"))
		return "Demonstration data";
	return s;
}

static void date_text(int64_t t, char out[24])
{
	char l[48];
	bw_time_london(t, l);   /* "29 Nov 2026 22:40 GMT": the date is the first three words */
	int d = 0, y = 0;
	char m[4] = "";
	if (sscanf(l, "%d %3s %d", &d, m, &y) == 3)
		snprintf(out, 24, "%d %s %d", d, m, y);
	else
		snprintf(out, 24, "%s", l);
}

static const char *system_href(struct ctx *c, int64_t id, const char *tail)
{
	return arena_printf(c->arena, "/systems/%lld%s", (long long)id, tail);
}

static const char *comp_href(struct ctx *c, int64_t id, const char *tail)
{
	return arena_printf(c->arena, "/components/%lld%s", (long long)id, tail);
}

static void system_crumbs(struct ctx *c, const struct comp_system *s, struct web_link *cr, size_t *n)
{
	cr[0] = (struct web_link){ "Home", "/" };
	cr[1] = (struct web_link){ s->org_name, arena_printf(c->arena, "/orgs/%s/registers", s->org_code) };
	cr[2] = (struct web_link){ "Systems", arena_printf(c->arena, "/orgs/%s/systems", s->org_code) };
	cr[3] = (struct web_link){ s->name, system_href(c, s->id, "") };
	*n = 4;
}

static void identity_cell(struct buf *b, const struct comp_view *v)
{
	if (v->cpe && v->confirmed)
		web_tag(b, "CPE confirmed", WEB_TAG_GREEN);
	else if (v->cpe)
		web_tag(b, "CPE", WEB_TAG_BLUE);
	if (v->purl) {
		html_raw(b, " ");
		web_tag(b, "Package URL", WEB_TAG_BLUE);
	}
	if (!v->cpe && !v->purl)
		web_tag(b, v->guess ? "Suggestion not confirmed" : "Not identified", v->guess ? WEB_TAG_YELLOW : WEB_TAG_GREY);
}

/* ---- a system's components ---- */

static const char *filter_like(struct ctx *c, const char *q)
{
	/* LIKE with the user's text taken literally */
	struct buf b;
	buf_init(&b);
	buf_putc(&b, '%');
	for (const char *p = q; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, (char)tolower((unsigned char)*p));
	}
	buf_putc(&b, '%');
	char *s = arena_strdup(c->arena, buf_cstr(&b));
	buf_free(&b);
	return s;
}

#define SYS_FILTER " FROM components c JOIN systems s ON s.id = c.system_id JOIN orgs o ON o.id = c.org_id" \
	" WHERE c.system_id = ?1 AND (lower(c.product) LIKE ?2 ESCAPE '\\' OR lower(c.vendor) LIKE ?2 ESCAPE '\\')" \
	" AND (?3 = 'all' OR (?3 = 'identified' AND (c.cpe IS NOT NULL OR c.purl IS NOT NULL))" \
	" OR (?3 = 'unidentified' AND c.cpe IS NULL AND c.purl IS NULL))"

static const char *ident_filter(struct ctx *c)
{
	const char *f = ctx_query(c, "identified");
	if (f && (!strcmp(f, "identified") || !strcmp(f, "unidentified")))
		return f;
	return "all";
}

static void get_list(struct ctx *c)
{
	struct comp_system s;
	if (!load_system(c, &s))
		return;
	const char *q = ctx_query(c, "q");
	if (!q)
		q = "";
	const char *filt = ident_filter(c);
	const char *like = filter_like(c, q);
	int64_t page = pages_page_number(c);
	struct db_stmt *st = db_prep(c->db, "SELECT count(*)" SYS_FILTER);
	db_bind_i64(st, 1, s.id);
	db_bind_text(st, 2, like);
	db_bind_text(st, 3, filt);
	int64_t total = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	struct web_link cr[4];
	size_t ncr;
	system_crumbs(c, &s, cr, &ncr);
	ctx_page_begin(c, arena_printf(c->arena, "Software in %s", s.name), cr, ncr, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Software in %s</h1>", s.org_name, s.name);
	html_raw(b, "<p>The software this system runs. Bulwark checks it against published vulnerabilities, "
		    "so give a CPE name or package URL where you can: Bulwark suggests one when you leave it empty.</p>");
	bool edit = orgs_role_allows(c->actor.role, ACT_EDIT);
	html_raw(b, "<div class=\"nhsuk-button-group\">");
	if (edit) {
		web_button_link(b, "Add a component", system_href(c, s.id, "/components/new"), WEB_BUTTON_PRIMARY);
		web_button_link(b, "Import a file", system_href(c, s.id, "/import"), WEB_BUTTON_SECONDARY);
	}
	struct buf csv;
	buf_init(&csv);
	buf_printf(&csv, "/systems/%lld/components.csv?q=", (long long)s.id);
	html_url_component(&csv, q);
	buf_printf(&csv, "&identified=%s", filt);
	web_button_link(b, "Download CSV", buf_cstr(&csv), WEB_BUTTON_SECONDARY);
	buf_free(&csv);
	html_raw(b, "</div>");

	html_printf(b, "<form class=\"bw-search\" action=\"/systems/%lld/components\" method=\"get\" role=\"search\">",
		    (long long)s.id);
	html_raw(b, "<div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"q\">Search by product or vendor</label>"
		    "<input class=\"nhsuk-input nhsuk-u-width-one-half\" id=\"q\" name=\"q\" type=\"search\" maxlength=\"200\" value=\"");
	html_attr(b, q);
	html_raw(b, "\"></div><div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"identified\">Show</label>"
		    "<select class=\"nhsuk-select\" id=\"identified\" name=\"identified\">");
	static const struct web_option shows[] = { { "all", "All components" },
						   { "identified", "With a CPE name or package URL" },
						   { "unidentified", "Without a CPE name or package URL" } };
	for (size_t i = 0; i < BW_NELEM(shows); i++)
		html_printf(b, "<option value=\"%s\"%s>%s</option>", shows[i].value,
			    !strcmp(filt, shows[i].value) ? " selected" : "", shows[i].label);
	html_raw(b, "</select></div>");
	web_button(b, "Search", WEB_BUTTON_SECONDARY);
	html_raw(b, "</form>");

	st = db_prep(c->db, "SELECT " COMP_COLS SYS_FILTER " ORDER BY c.norm_product, c.version, c.id LIMIT ?4 OFFSET ?5");
	db_bind_i64(st, 1, s.id);
	db_bind_text(st, 2, like);
	db_bind_text(st, 3, filt);
	db_bind_i64(st, 4, PAGE_SIZE);
	db_bind_i64(st, 5, (page - 1) * PAGE_SIZE);
	struct web_column cols[] = { { "Product", false }, { "Vendor", false }, { "Version", false }, { "Identified by", false } };
	char caption[64];
	snprintf(caption, sizeof caption, "%lld component%s", (long long)total, total == 1 ? "" : "s");
	struct web_table t;
	web_table_begin(&t, b, caption, cols, 4);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		struct comp_view v;
		comp_row(c, st, &v);
		rows++;
		web_table_row_begin(&t);
		web_table_cell_link(&t, v.product, comp_href(c, v.id, ""));
		web_table_cell(&t, v.vendor);
		web_table_cell(&t, v.version);
		web_table_cell_open(&t);
		identity_cell(b, &v);
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 4, *q ? "No components match your search" : "No software recorded for this system yet");
	web_table_end(&t);
	struct buf base;
	buf_init(&base);
	buf_printf(&base, "/systems/%lld/components?q=", (long long)s.id);
	html_url_component(&base, q);
	buf_printf(&base, "&identified=%s", filt);
	web_pagination(b, buf_cstr(&base), page, (total + PAGE_SIZE - 1) / PAGE_SIZE);
	buf_free(&base);
	ctx_page_end(c);
}

static void csv_header(struct web_csv *w, bool with_org)
{
	web_csv_bom(w);
	if (with_org)
		web_csv_cell(w, "organisation");
	const char *h[] = { "system", "vendor", "product", "version", "cpe", "purl" };
	for (size_t i = 0; i < BW_NELEM(h); i++)
		web_csv_cell(w, h[i]);
	web_csv_row_end(w);
}

static void csv_row(struct web_csv *w, const struct comp_view *v, bool with_org)
{
	if (with_org)
		web_csv_cell(w, v->org_code);
	web_csv_cell(w, v->system_name);
	web_csv_cell(w, v->vendor);
	web_csv_cell(w, v->product);
	web_csv_cell(w, v->version);
	web_csv_cell(w, v->cpe ? v->cpe : "");
	web_csv_cell(w, v->purl ? v->purl : "");
	web_csv_row_end(w);
}

static void csv_begin(struct ctx *c, const char *name)
{
	c->resp->content_type = "text/csv; charset=utf-8";
	char disp[160];
	snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", name);
	http_resp_header(c->resp, "Content-Disposition", disp);
}

static void get_list_csv(struct ctx *c)
{
	struct comp_system s;
	if (!load_system(c, &s))
		return;
	const char *q = ctx_query(c, "q");
	struct db_stmt *st = db_prep(c->db, "SELECT " COMP_COLS SYS_FILTER " ORDER BY c.norm_product, c.version, c.id LIMIT ?4");
	db_bind_i64(st, 1, s.id);
	db_bind_text(st, 2, filter_like(c, q ? q : ""));
	db_bind_text(st, 3, ident_filter(c));
	db_bind_i64(st, 4, LIM_EXPORT_ROWS);
	csv_begin(c, arena_printf(c->arena, "system-%lld-components.csv", (long long)s.id));
	struct web_csv w;
	web_csv_init(&w, &c->resp->body);
	csv_header(&w, false);
	while (db_step(st) == DB_ROW) {
		struct comp_view v;
		comp_row(c, st, &v);
		csv_row(&w, &v, false);
	}
}

/* ---- add and edit ---- */

enum { CF_VENDOR, CF_PRODUCT, CF_VERSION, CF_CPE, CF_PURL, CF_COUNT };

static const struct web_field comp_fields[CF_COUNT] = {
	{ .name = "vendor", .label = "Vendor", .hint = "The company or project that makes it, for example Microsoft",
	  .type = WEB_FIELD_TEXT, .max_len = LIM_COMP_NAME },
	{ .name = "product", .label = "Product", .hint = "For example Office 2019, EMIS Web or OpenSSL",
	  .type = WEB_FIELD_TEXT, .required = false, .max_len = LIM_COMP_NAME },
	{ .name = "version", .label = "Version", .hint = "As the software shows it, for example 16.0.10417",
	  .type = WEB_FIELD_TEXT, .max_len = LIM_COMP_VERSION, .width = "20" },
	{ .name = "cpe", .label = "CPE name (optional)",
	  .hint = "For example cpe:2.3:a:microsoft:office:2019:*:*:*:*:*:*:*. Leave it empty if you do not know it: "
		  "Bulwark will suggest one",
	  .type = WEB_FIELD_TEXT, .max_len = LIM_COMP_CPE },
	{ .name = "purl", .label = "Package URL (optional)", .hint = "For example pkg:npm/lodash@4.17.21",
	  .type = WEB_FIELD_TEXT, .max_len = LIM_COMP_PURL },
};

static void comp_in_from(struct comp_in *in, const char *const *v)
{
	*in = (struct comp_in){ .vendor = v[CF_VENDOR], .product = v[CF_PRODUCT], .version = v[CF_VERSION],
				.cpe = v[CF_CPE], .purl = v[CF_PURL] };
}

/* Every field's problem at once: the built-in checks, then the component
 * check again with each faulty field left out, so a bad CPE does not hide
 * a bad package URL. */
static void check_all(struct ctx *c, const char **v, struct web_form_errors *errs)
{
	struct web_form form = { .fields = comp_fields, .fields_n = CF_COUNT };
	web_form_validate(&form, v, errs);
	if (errs->n)
		return;
	const char *vals[CF_COUNT];
	memcpy(vals, v, sizeof vals);
	for (int round = 0; round < CF_COUNT; round++) {
		struct comp_in in;
		comp_in_from(&in, vals);
		struct comp_ok ok;
		struct bw_error e = { 0 };
		if (components_check(c->arena, &in, &ok, &e) == BW_OK)
			return;
		web_form_errors_add(errs, e.field, e.msg);
		size_t k = 0;
		for (; k < CF_COUNT; k++)
			if (!strcmp(comp_fields[k].name, e.field))
				break;
		if (k == CF_COUNT || k == CF_PRODUCT)
			return;
		vals[k] = NULL;
	}
}

static void comp_form(struct ctx *c, const char *title, const char *action, const struct web_link *cr, size_t ncr,
		      const char *const *values, const struct web_form_errors *errs, const char *submit)
{
	ctx_page_begin(c, title, cr, ncr, errs ? errs->e : NULL, errs ? errs->n : 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<h1>%s</h1>", title);
	struct web_form form = { .action = action, .fields = comp_fields, .fields_n = CF_COUNT, .submit = submit };
	web_form_render(b, &form, values, errs, c->session.csrf);
	ctx_page_end(c);
}

static void get_new(struct ctx *c)
{
	struct comp_system s;
	if (!load_system(c, &s))
		return;
	struct web_link cr[5];
	size_t ncr;
	system_crumbs(c, &s, cr, &ncr);
	cr[ncr++] = (struct web_link){ "Software", system_href(c, s.id, "/components") };
	comp_form(c, "Add a component", system_href(c, s.id, "/components"), cr, ncr, NULL, NULL, "Add component");
}

static void read_form(struct ctx *c, const char **v)
{
	for (size_t i = 0; i < CF_COUNT; i++)
		v[i] = ctx_form(c, comp_fields[i].name);
}

static void post_new(struct ctx *c)
{
	struct comp_system s;
	if (!load_system(c, &s))
		return;
	const char *v[CF_COUNT];
	read_form(c, v);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	check_all(c, v, &errs);
	int64_t id = 0;
	if (!errs.n) {
		struct comp_in in;
		comp_in_from(&in, v);
		struct bw_error e = { 0 };
		if (components_add(c->db, &c->actor, &s, &in, &id, &e) != BW_OK)
			web_form_errors_add(&errs, e.field[0] ? e.field : "product", e.msg);
	}
	if (errs.n) {
		struct web_link cr[5];
		size_t ncr;
		system_crumbs(c, &s, cr, &ncr);
		cr[ncr++] = (struct web_link){ "Software", system_href(c, s.id, "/components") };
		comp_form(c, "Add a component", system_href(c, s.id, "/components"), cr, ncr, v, &errs, "Add component");
		c->resp->status = 400;
		return;
	}
	ctx_redirect(c, comp_href(c, id, ""), "Component added");
}

static void comp_crumbs(struct ctx *c, const struct comp_view *v, struct web_link *cr, size_t *n)
{
	cr[0] = (struct web_link){ "Home", "/" };
	cr[1] = (struct web_link){ v->org_name, arena_printf(c->arena, "/orgs/%s/registers", v->org_code) };
	cr[2] = (struct web_link){ v->system_name, system_href(c, v->system_id, "") };
	cr[3] = (struct web_link){ "Software", system_href(c, v->system_id, "/components") };
	*n = 4;
}

static void get_edit(struct ctx *c)
{
	struct comp_view v;
	if (!load_component(c, &v))
		return;
	struct web_link cr[5];
	size_t ncr;
	comp_crumbs(c, &v, cr, &ncr);
	const char *vals[CF_COUNT] = { v.vendor, v.product, v.version, v.cpe, v.purl };
	comp_form(c, arena_printf(c->arena, "Change %s", v.product), comp_href(c, v.id, ""), cr, ncr, vals, NULL,
		  "Save changes");
}

static void post_edit(struct ctx *c)
{
	struct comp_view v;
	if (!load_component(c, &v))
		return;
	const char *vals[CF_COUNT];
	read_form(c, vals);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	check_all(c, vals, &errs);
	if (!errs.n) {
		struct comp_in in;
		comp_in_from(&in, vals);
		struct bw_error e = { 0 };
		if (components_update(c->db, &c->actor, v.id, &in, &e) != BW_OK)
			web_form_errors_add(&errs, e.field[0] ? e.field : "product", e.msg);
	}
	if (errs.n) {
		struct web_link cr[5];
		size_t ncr;
		comp_crumbs(c, &v, cr, &ncr);
		comp_form(c, arena_printf(c->arena, "Change %s", v.product), comp_href(c, v.id, ""), cr, ncr, vals, &errs,
			  "Save changes");
		c->resp->status = 400;
		return;
	}
	ctx_redirect(c, comp_href(c, v.id, ""), "Component changed");
}

static void post_delete(struct ctx *c)
{
	struct comp_view v;
	if (!load_component(c, &v))
		return;
	struct bw_error e = { 0 };
	if (components_delete(c->db, &c->actor, v.id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, system_href(c, v.system_id, "/components"), "Component removed");
}

static void post_cpe(struct ctx *c)
{
	struct comp_view v;
	if (!load_component(c, &v))
		return;
	struct bw_error e = { 0 };
	if (components_confirm_cpe(c->db, &c->actor, v.id, ctx_form(c, "cpe"), &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, comp_href(c, v.id, ""), "CPE name confirmed");
}

/* ---- one component ---- */

static void get_component(struct ctx *c)
{
	struct comp_view v;
	if (!load_component(c, &v))
		return;
	struct web_link cr[5];
	size_t ncr;
	comp_crumbs(c, &v, cr, &ncr);
	ctx_page_begin(c, v.product, cr, ncr, NULL, 0);
	struct buf *b = &c->resp->body;
	bool edit = orgs_role_allows(c->actor.role, ACT_EDIT);
	html_printf(b, "<span class=\"nhsuk-caption-l\">Software in %s</span><h1>%s</h1>", v.system_name, v.product);
	web_summary_begin(b);
	web_summary_row(b, "Vendor", v.vendor, edit ? comp_href(c, v.id, "/edit") : NULL);
	web_summary_row(b, "Product", v.product, edit ? comp_href(c, v.id, "/edit") : NULL);
	web_summary_row(b, "Version", v.version, edit ? comp_href(c, v.id, "/edit") : NULL);
	const char *cpe_text = v.cpe ? arena_printf(c->arena, "%s%s", v.cpe, v.confirmed ? " (confirmed)" : "") : NULL;
	web_summary_row(b, "CPE name", cpe_text, edit ? comp_href(c, v.id, "/edit") : NULL);
	web_summary_row(b, "Package URL", v.purl, edit ? comp_href(c, v.id, "/edit") : NULL);
	web_summary_row(b, "Recorded by", source_label(v.source), NULL);
	char d[24];
	date_text(v.updated_at, d);
	web_summary_row(b, "Last changed", d, NULL);
	web_summary_end(b);

	if (!v.cpe) {
		html_raw(b, "<h2>Suggested CPE names</h2>");
		html_raw(b, "<p>A CPE name lets Bulwark match this software against published vulnerabilities. "
			    "These are guesses from the names you typed: check the vendor and product before you use one.</p>");
		if (v.guess)
			html_printf(b, "<p>Best guess, <strong>not confirmed</strong>: %s</p>", v.guess);
		struct comp_suggestion sg[SUGGESTIONS];
		char lo_path[256];
		snprintf(lo_path, sizeof lo_path, "%s", c->target.path);
		size_t n = components_suggest(c->db, lo_path, v.vendor, v.product, sg, SUGGESTIONS);
		struct web_column cols[] = { { "CPE vendor", false }, { "CPE product", false }, { "Why", false },
					     { edit ? "Action" : "Match", false } };
		struct web_table t;
		web_table_begin(&t, b, "Suggestions", cols, 4);
		for (size_t i = 0; i < n; i++) {
			struct buf cpe;
			buf_init(&cpe);
			components_cpe_for(sg[i].vendor, sg[i].product, v.version, &cpe);
			web_table_row_begin(&t);
			web_table_cell(&t, sg[i].vendor);
			web_table_cell(&t, sg[i].product);
			web_table_cell(&t, arena_printf(c->arena, "%s (%d%%)", sg[i].why, sg[i].score));
			web_table_cell_open(&t);
			if (edit) {
				web_form_begin(b, comp_href(c, v.id, "/cpe"), "post", c->session.csrf);
				html_raw(b, "<input type=\"hidden\" name=\"cpe\" value=\"");
				html_attr(b, buf_cstr(&cpe));
				html_raw(b, "\"><button class=\"nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0\" type=\"submit\">"
					    "Use this<span class=\"nhsuk-u-visually-hidden\"> for ");
				html_printf(b, "%s %s", sg[i].vendor, sg[i].product);
				html_raw(b, "</span></button>");
				web_form_end(b);
			} else {
				html_text(b, buf_cstr(&cpe));
			}
			web_table_cell_close(&t);
			web_table_row_end(&t);
			buf_free(&cpe);
		}
		if (!n)
			web_table_empty(&t, 4, "No likely CPE name found. Check the spelling of the vendor and product, "
					       "or type the CPE name yourself");
		web_table_end(&t);
	}
	if (edit) {
		html_raw(b, "<div class=\"nhsuk-button-group\">");
		web_button_link(b, "Change", comp_href(c, v.id, "/edit"), WEB_BUTTON_SECONDARY);
		html_raw(b, "</div>");
		web_form_begin(b, comp_href(c, v.id, "/delete"), "post", c->session.csrf);
		web_button(b, "Remove this component", WEB_BUTTON_WARNING);
		web_form_end(b);
	}
	ctx_page_end(c);
}

/* ---- import ---- */

static bool looks_like_json(const char *p, size_t n)
{
	size_t i = 0;
	if (n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i < n && (p[i] == '{' || p[i] == '[');
}

static const struct web_field partial_field = {
	.name = "partial", .label = "Import the valid rows and skip the others",
	.hint = "Otherwise nothing is imported while any row has a problem", .type = WEB_FIELD_CHECKBOX,
};

static void import_form(struct ctx *c, const struct comp_system *s, const struct comp_batch *b,
			const struct bw_error *err, const struct comp_import_result *res)
{
	struct web_link cr[5];
	size_t ncr;
	system_crumbs(c, s, cr, &ncr);
	cr[ncr++] = (struct web_link){ "Software", system_href(c, s->id, "/components") };
	ctx_page_begin(c, arena_printf(c->arena, "Import software into %s", s->name), cr, ncr, err, err ? 1 : 0);
	struct buf *o = &c->resp->body;
	if (res) {
		html_raw(o, "<div class=\"nhsuk-card nhsuk-card--feature\"><div class=\"nhsuk-card__content nhsuk-card__content--feature\">"
			    "<h2 class=\"nhsuk-card__heading nhsuk-card__heading--feature\">Import finished</h2>");
		html_printf(o, "<p>%s: %lld added, %lld updated, %lld row%s skipped.</p>", b->format, (long long)res->added,
			    (long long)res->updated, (long long)res->skipped, res->skipped == 1 ? "" : "s");
		html_printf(o, "<p><a href=\"/systems/%lld/components\">See the software in %s</a></p></div></div>",
			    (long long)s->id, s->name);
	}
	html_printf(o, "<span class=\"nhsuk-caption-l\">%s</span><h1>Import software into %s</h1>", s->org_name, s->name);
	if (b && b->nerrs) {
		html_printf(o, "<h2>%zu row%s with problems</h2>", b->nerrs, b->nerrs == 1 ? "" : "s");
		if (b->nerrs > LIM_IMPORT_ERRORS)
			html_printf(o, "<p>The first %d are listed.</p>", LIM_IMPORT_ERRORS);
		struct web_column cols[] = { { b->ns ? "Entry" : "Line", true }, { "Field", false }, { "Problem", false } };
		struct web_table t;
		web_table_begin(&t, o, "Rows that were not imported", cols, 3);
		size_t shown = b->nerrs < LIM_IMPORT_ERRORS ? b->nerrs : LIM_IMPORT_ERRORS;
		for (size_t i = 0; i < shown; i++) {
			web_table_row_begin(&t);
			web_table_cell_num(&t, b->errs[i].row);
			web_table_cell(&t, b->errs[i].field);
			web_table_cell(&t, b->errs[i].msg);
			web_table_row_end(&t);
		}
		web_table_end(&t);
	}
	html_raw(o, "<p>Import a CycloneDX (1.2 to 1.7) or SPDX (2.2, 2.3) SBOM in JSON, or a CSV file. Importing the same "
		    "SBOM again updates its components rather than adding them twice.</p>");
	html_raw(o, "<details class=\"nhsuk-details\"><summary class=\"nhsuk-details__summary\"><span class=\"nhsuk-details__summary-text\">"
		    "CSV columns</span></summary><div class=\"nhsuk-details__text\"><p>The first row names the columns, in any "
		    "order. Only product (or cpe or purl) is needed.</p><ul>"
		    "<li><strong>system</strong>: a system of this organisation by name; empty means this system</li>"
		    "<li><strong>vendor</strong>, <strong>product</strong>, <strong>version</strong>: as the software shows them</li>"
		    "<li><strong>cpe</strong>: a CPE 2.3 name, for example cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*</li>"
		    "<li><strong>purl</strong>: a package URL, for example pkg:deb/debian/openssl@3.0.13-1</li></ul>"
		    "<p>Save spreadsheets as CSV UTF-8.</p></div></details>");
	html_printf(o, "<form action=\"/systems/%lld/import\" method=\"post\" enctype=\"multipart/form-data\" novalidate>",
		    (long long)s->id);
	web_csrf_input(o, c->session.csrf);
	const char *ferr = err && !strcmp(err->field, "file") ? err->msg : NULL;
	html_printf(o, "<div class=\"nhsuk-form-group%s\"><label class=\"nhsuk-label\" for=\"file\">File to import</label>",
		    ferr ? " nhsuk-form-group--error" : "");
	html_raw(o, "<div class=\"nhsuk-hint\" id=\"file-hint\">A .json SBOM (up to 32 MB) or a .csv file (up to 200,000 rows)</div>");
	if (ferr)
		html_printf(o, "<span class=\"nhsuk-error-message\" id=\"file-error\"><span class=\"nhsuk-u-visually-hidden\">"
			       "Error:</span> %s</span>", ferr);
	html_printf(o, "<input class=\"nhsuk-input%s\" id=\"file\" name=\"file\" type=\"file\" accept=\".json,.csv,application/json,text/csv\""
		       " aria-describedby=\"file-hint%s\"></div>", ferr ? " nhsuk-input--error" : "", ferr ? " file-error" : "");
	web_field_render(o, &partial_field, NULL, NULL);
	web_button(o, "Import", WEB_BUTTON_PRIMARY);
	html_raw(o, "</form>");
	ctx_page_end(c);
}

static void get_import(struct ctx *c)
{
	struct comp_system s;
	if (!load_system(c, &s))
		return;
	import_form(c, &s, NULL, NULL, NULL);
}

static bool form_checked(const char *v)
{
	return v && (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes"));
}

/* Parses and imports one file; the batch keeps the row errors. */
static enum bw_err import_data(struct ctx *c, const struct comp_system *s, const char *p, size_t n, bool json,
			       bool partial, struct comp_batch *b, struct comp_import_result *res, struct bw_error *e)
{
	enum bw_err rc = json ? components_sbom_parse(p, n, b, e) : components_csv_parse(p, n, b, e);
	if (rc != BW_OK)
		return rc;
	return components_import(c->db, &c->actor, s, b, partial, json ? "sbom" : "csv", res, e);
}

static void post_import(struct ctx *c)
{
	struct comp_system s;
	if (!load_system(c, &s))
		return;
	const struct http_upload *u = http_upload_get(c->req, "file");
	struct bw_error e = { 0 };
	struct comp_batch b;
	comp_batch_init(&b, c->arena);
	struct comp_import_result res = { 0 };
	enum bw_err rc;
	if (!u || u->len == 0)
		rc = bw_fail(&e, BW_EINVAL, "file", "Choose a file to import");
	else
		rc = import_data(c, &s, u->data, u->len, looks_like_json(u->data, u->len),
				 form_checked(ctx_form(c, "partial")), &b, &res, &e);
	if (rc != BW_OK) {
		if (!e.field[0] || !strcmp(e.field, "body"))
			snprintf(e.field, sizeof e.field, "file");
		import_form(c, &s, &b, &e, NULL);
		/* 413 only for size: a nesting or row limit is a fault of the file like any other */
		c->resp->status = rc == BW_ELIMIT && strstr(e.msg, "larger") ? 413 : 400;
	} else {
		import_form(c, &s, &b, NULL, &res);
	}
	comp_batch_free(&b);
}

/* ---- organisation-wide search ---- */

struct search {
	const char *q, *by;
	char lo[256], hi[256];
	char from[LIM_COMP_NAME + 1], to[LIM_COMP_NAME + 8];
	bool small;
	bool single;     /* one organisation, nothing below it: a trust's own search */
	bool whole;      /* the whole estate: no organisation to check per row */
	int64_t org_id;
};

static void search_args(struct ctx *c, struct search *s)
{
	s->q = ctx_query(c, "q");
	if (!s->q)
		s->q = "";
	s->by = ctx_query(c, "by");
	if (!s->by || strcmp(s->by, "vendor"))
		s->by = "product";
	orgs_subtree_bounds(c->target.path, s->lo, s->hi);
	components_norm(s->q, s->from, sizeof s->from);
	/* the prefix range: every name starting with the folded text */
	snprintf(s->to, sizeof s->to, "%s\xf4\x8f\xbf\xbf", s->from);
	/* the root's subtree is everything: its path has one segment */
	const char *p = c->target.path;
	s->whole = p[0] == '/' && strchr(p + 1, '/') && !strchr(p + 1, '/')[1];
	/* counted only as far as the threshold: a national count would cost more than the search */
	struct db_stmt *st = db_prep(c->db, DB_GENERIC_PLAN "SELECT count(*) FROM (SELECT 1 FROM orgs WHERE path >= ?1"
					    " AND path < ?2 LIMIT ?3) t");
	db_bind_text(st, 1, s->lo);
	db_bind_text(st, 2, s->hi);
	db_bind_i64(st, 3, SMALL_SCOPE_ORGS + 1);
	int64_t norgs = db_step(st) == DB_ROW ? db_col_i64(st, 0) : SMALL_SCOPE_ORGS + 1;
	db_reset(st);
	s->small = norgs <= SMALL_SCOPE_ORGS;
	s->single = norgs == 1 && strcmp(s->by, "vendor") != 0;
	s->org_id = c->target.id;
}

/* Shapes of one query:
 *  - one organisation alone: its own rows (index on org_id, norm_product);
 *  - a small subtree: its organisations' rows, by the same index;
 *  - a large subtree, or the whole estate: the names that match (a few
 *    thousand names hold the estate's millions of rows), then each name's
 *    rows by its number, keeping those inside the subtree and stopping at
 *    the page's end (the whole estate checks no organisation: its count
 *    reads no table row).
 * Every shape orders by name (product then vendor, or vendor then
 * product), organisation and id. On PostgreSQL every shape but a large
 * subtree keeps one plan whatever the prefix: the first two the same
 * nested loop by organisation, the whole estate its walk of the names in
 * their order, each name's rows from the index, stopping once the page is
 * full. A large subtree's plan depends on how much of the estate it holds,
 * so it is planned for its values.
 * Parameters: ?1 ?2 the name range, ?3 ?4 the path range (where no shape
 * needs it, compared as text so every number is used), ?5 ?6 limit and
 * offset, ?7 the organisation. */
static const char *search_sql(struct ctx *c, const struct search *s, bool count)
{
	bool vendor = !strcmp(s->by, "vendor");
	const char *key = vendor ? "norm_vendor" : "norm_product", *then = vendor ? "norm_product" : "norm_vendor";
	bool names = !s->single && !s->small;
	bool in_path = s->small || (names && !s->whole);
	const char *n = names ? "n" : "c";
	struct buf q;
	buf_init(&q);
	/* a subtree through the names is planned for its size; see above */
	if (!names || !in_path)
		buf_puts(&q, DB_GENERIC_PLAN);
	if (names && !count && db_kind(c->db) == DB_POSTGRES) {
		/* PostgreSQL keeps a nested loop in its outer side's order only, and
		 * would sort every row of a name (Cisco's IOS XE has 158,000 in the
		 * national demo): each name's rows come from the index alone, cut at
		 * the page's end, and only the page's rows are read and joined */
		buf_printf(&q, "SELECT " COMP_COLS " FROM (SELECT n.%s AS k1, n.%s AS k2, x.org_id, x.id"
			       " FROM component_names n CROSS JOIN LATERAL (SELECT c.org_id, c.id FROM components c%s"
			       " WHERE c.name_id = n.id%s ORDER BY c.org_id, c.id LIMIT CAST(?5 AS BIGINT) + ?6) x"
			       " WHERE n.%s >= ?1 AND n.%s < ?2%s ORDER BY 1, 2, 3, 4 LIMIT ?5 OFFSET ?6) p"
			       " JOIN components c ON c.id = p.id JOIN orgs o ON o.id = c.org_id"
			       " JOIN systems s ON s.id = c.system_id ORDER BY p.k1, p.k2, p.org_id, p.id",
			   key, then, in_path ? " JOIN orgs w ON w.id = c.org_id" : "",
			   in_path ? " AND w.path >= ?3 AND w.path < ?4" : "", key, key,
			   in_path ? "" : " AND CAST(?3 AS TEXT) <= CAST(?4 AS TEXT)");
	} else {
		buf_puts(&q, count ? "SELECT count(*) FROM (SELECT 1 FROM " : "SELECT " COMP_COLS " FROM ");
		if (s->small)
			buf_puts(&q, "orgs o CROSS JOIN components c");
		else if (s->single)
			buf_puts(&q, count ? "components c" : "components c JOIN orgs o ON o.id = c.org_id");
		else if (in_path)
			buf_puts(&q, "component_names n CROSS JOIN components c CROSS JOIN orgs o");
		else
			buf_puts(&q, count ? "component_names n CROSS JOIN components c"
					   : "component_names n CROSS JOIN components c JOIN orgs o ON o.id = c.org_id");
		if (!count)
			buf_puts(&q, " JOIN systems s ON s.id = c.system_id");
		buf_printf(&q, " WHERE %s.%s >= ?1 AND %s.%s < ?2", n, key, n, key);
		if (names)
			buf_puts(&q, " AND c.name_id = n.id");
		buf_puts(&q, in_path ? " AND o.id = c.org_id AND o.path >= ?3 AND o.path < ?4"
				     : " AND CAST(?3 AS TEXT) <= CAST(?4 AS TEXT)");
		if (s->single)
			buf_puts(&q, " AND c.org_id = ?7");
		if (count)
			buf_puts(&q, " LIMIT ?5 OFFSET ?6) t");
		else
			buf_printf(&q, " ORDER BY %s.%s, %s.%s, c.org_id, c.id LIMIT ?5 OFFSET ?6", n, key, n, then);
	}
	const char *sql = arena_strdup(c->arena, buf_cstr(&q));
	buf_free(&q);
	return sql;
}

static struct db_stmt *search_prep(struct ctx *c, const struct search *s, bool count, int64_t limit, int64_t offset)
{
	struct db_stmt *st = db_prep(c->db, search_sql(c, s, count));
	db_bind_text(st, 1, s->from);
	db_bind_text(st, 2, s->to);
	db_bind_text(st, 3, s->lo);
	db_bind_text(st, 4, s->hi);
	db_bind_i64(st, 5, limit);
	db_bind_i64(st, 6, offset);
	if (s->single)
		db_bind_i64(st, 7, s->org_id);
	return st;
}

static void get_search(struct ctx *c)
{
	struct org o;
	if (orgs_get_by_code(c->db, ctx_param(c, "org"), &o, NULL) != BW_OK)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
	struct search s;
	search_args(c, &s);
	int64_t page = pages_page_number(c);
	if (page > SEARCH_COUNT_CAP / PAGE_SIZE)
		page = SEARCH_COUNT_CAP / PAGE_SIZE;
	struct web_link cr[] = { { "Home", "/" }, { o.name, arena_printf(c->arena, "/orgs/%s/registers", o.code) } };
	ctx_page_begin(c, arena_printf(c->arena, "Software across %s", o.name), cr, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Find software</h1>", o.name);
	html_raw(b, "<p>Search every system's software in this organisation and the organisations below it. "
		    "Names match from their start, ignoring case and punctuation.</p>");
	html_printf(b, "<form class=\"bw-search\" action=\"/orgs/%s/components\" method=\"get\" role=\"search\">", o.code);
	html_raw(b, "<div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"q\">Name starts with</label>"
		    "<input class=\"nhsuk-input nhsuk-u-width-one-half\" id=\"q\" name=\"q\" type=\"search\" maxlength=\"200\" value=\"");
	html_attr(b, s.q);
	html_raw(b, "\"></div><div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"by\">Search in</label>"
		    "<select class=\"nhsuk-select\" id=\"by\" name=\"by\">");
	html_printf(b, "<option value=\"product\"%s>Product names</option><option value=\"vendor\"%s>Vendor names</option>",
		    strcmp(s.by, "vendor") ? " selected" : "", strcmp(s.by, "vendor") ? "" : " selected");
	html_raw(b, "</select></div>");
	web_button(b, "Search", WEB_BUTTON_SECONDARY);
	html_raw(b, "</form>");
	if (!*s.from) {
		if (*s.q)
			html_raw(b, "<p>Type letters or digits to search for.</p>");
		ctx_page_end(c);
		return;
	}
	struct db_stmt *st = search_prep(c, &s, true, SEARCH_COUNT_CAP + 1, 0);
	int64_t total = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	struct buf csv;
	buf_init(&csv);
	buf_printf(&csv, "/orgs/%s/components.csv?by=%s&q=", o.code, s.by);
	html_url_component(&csv, s.q);
	web_button_link(b, "Download CSV", buf_cstr(&csv), WEB_BUTTON_SECONDARY);
	buf_free(&csv);
	st = search_prep(c, &s, false, PAGE_SIZE, (page - 1) * PAGE_SIZE);
	struct web_column cols[] = { { "Product", false }, { "Vendor", false }, { "Version", false },
				     { "System", false }, { "Organisation", false } };
	char caption[64];
	if (total > SEARCH_COUNT_CAP)
		snprintf(caption, sizeof caption, "More than %d found: add letters to narrow the search", SEARCH_COUNT_CAP);
	else
		snprintf(caption, sizeof caption, "%lld found", (long long)total);
	struct web_table t;
	web_table_begin(&t, b, caption, cols, 5);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		struct comp_view v;
		comp_row(c, st, &v);
		rows++;
		web_table_row_begin(&t);
		web_table_cell_link(&t, v.product, comp_href(c, v.id, ""));
		web_table_cell(&t, v.vendor);
		web_table_cell(&t, v.version);
		web_table_cell_link(&t, v.system_name, system_href(c, v.system_id, "/components"));
		web_table_cell_link(&t, v.org_name, arena_printf(c->arena, "/orgs/%s/registers", v.org_code));
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 5, "No software matches your search");
	web_table_end(&t);
	struct buf base;
	buf_init(&base);
	buf_printf(&base, "/orgs/%s/components?by=%s&q=", o.code, s.by);
	html_url_component(&base, s.q);
	int64_t shown = total > SEARCH_COUNT_CAP ? SEARCH_COUNT_CAP : total;
	web_pagination(b, buf_cstr(&base), page, (shown + PAGE_SIZE - 1) / PAGE_SIZE);
	buf_free(&base);
	ctx_page_end(c);
}

static void get_search_csv(struct ctx *c)
{
	struct search s;
	search_args(c, &s);
	csv_begin(c, arena_printf(c->arena, "%s-components.csv", ctx_param(c, "org")));
	struct web_csv w;
	web_csv_init(&w, &c->resp->body);
	csv_header(&w, true);
	if (!*s.from)
		return;
	struct db_stmt *st = search_prep(c, &s, false, LIM_EXPORT_ROWS, 0);
	while (db_step(st) == DB_ROW) {
		struct comp_view v;
		comp_row(c, st, &v);
		csv_row(&w, &v, true);
	}
}

/* ---- API ---- */

/* One component as the API gives it, from a row of COMP_COLS. */
static void comp_json(struct web_json *j, struct db_stmt *st)
{
	web_json_object(j);
	web_json_key(j, "id");
	web_json_int(j, db_col_i64(st, 0));
	web_json_key(j, "system");
	web_json_int(j, db_col_i64(st, 1));
	static const struct { const char *key; int col; } text[] = {
		{ "vendor", 2 }, { "product", 3 }, { "version", 4 }, { "cpe", 5 }, { "purl", 6 },
		{ "source", 7 }, { "cpe_suggestion", 8 },
	};
	for (size_t i = 0; i < BW_NELEM(text); i++) {
		web_json_key(j, text[i].key);
		web_json_str(j, db_col_text(st, text[i].col));
	}
	web_json_key(j, "cpe_confirmed");
	web_json_bool(j, db_col_i64(st, 9) != 0);
	char at[32];
	bw_time_iso(db_col_i64(st, 10), at);
	web_json_key(j, "updated_at");
	web_json_str(j, at);
	web_json_end(j);
}

static void api_list(struct ctx *c)
{
	struct comp_system s;
	if (!load_system(c, &s))
		return;
	const char *q = ctx_query(c, "q");
	struct db_stmt *st = db_prep(c->db, "SELECT " COMP_COLS SYS_FILTER " ORDER BY c.id LIMIT ?4 OFFSET ?5");
	db_bind_i64(st, 1, s.id);
	db_bind_text(st, 2, filter_like(c, q ? q : ""));
	db_bind_text(st, 3, ident_filter(c));
	ctx_api_list(c, st, 4, comp_json);
}

static void api_one(struct ctx *c, int64_t id, int status)
{
	struct db_stmt *st = db_prep(c->db, "SELECT " COMP_COLS " FROM components c JOIN systems s ON s.id = c.system_id"
					    " JOIN orgs o ON o.id = c.org_id WHERE c.id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "No such component");
	struct web_json j;
	ctx_json_begin(c, &j);
	c->resp->status = status;
	web_json_object(&j);
	web_json_key(&j, "data");
	comp_json(&j, st);
	web_json_end(&j);
	db_reset(st);
}

/* The body's fields; false after answering 400 naming the bad one. */
static bool api_body(struct ctx *c, json_t **root, struct comp_in *in)
{
	struct bw_error e = { 0 };
	if (http_json_parse(c->req->body, c->req->body_len, root, &e) != BW_OK) {
		ctx_error(c, web_err_status(e.code), &e);
		return false;
	}
	static const char *const known[] = { "vendor", "product", "version", "cpe", "purl" };
	const char *key;
	json_t *val;
	json_object_foreach(*root, key, val) {
		size_t k = 0;
		while (k < BW_NELEM(known) && strcmp(known[k], key))
			k++;
		if (k == BW_NELEM(known)) {
			bw_fail(&e, BW_EINVAL, NULL, "Unknown field; send vendor, product, version, cpe and purl");
			snprintf(e.field, sizeof e.field, "%.63s", key);
			ctx_error(c, 400, &e);
			json_decref(*root);
			return false;
		}
	}
	*in = (struct comp_in){ .vendor = http_json_str(*root, "vendor", &e), .product = http_json_str(*root, "product", &e),
				.version = http_json_str(*root, "version", &e), .cpe = http_json_str(*root, "cpe", &e),
				.purl = http_json_str(*root, "purl", &e) };
	if (e.code != BW_OK) {
		ctx_error(c, 400, &e);
		json_decref(*root);
		return false;
	}
	return true;
}

static void api_post(struct ctx *c)
{
	struct comp_system s;
	if (!load_system(c, &s))
		return;
	json_t *root;
	struct comp_in in;
	if (!api_body(c, &root, &in))
		return;
	struct bw_error e = { 0 };
	int64_t id = 0;
	enum bw_err rc = components_add(c->db, &c->actor, &s, &in, &id, &e);
	json_decref(root);
	if (rc != BW_OK)
		return ctx_error(c, web_err_status(rc), &e);
	api_one(c, id, 201);
}

static void api_get(struct ctx *c)
{
	int64_t id;
	str_to_i64(str_c(ctx_param(c, "component")), 1, INT64_MAX, &id);
	api_one(c, id, 200);
}

static void api_put(struct ctx *c)
{
	int64_t id;
	str_to_i64(str_c(ctx_param(c, "component")), 1, INT64_MAX, &id);
	json_t *root;
	struct comp_in in;
	if (!api_body(c, &root, &in))
		return;
	struct bw_error e = { 0 };
	enum bw_err rc = components_update(c->db, &c->actor, id, &in, &e);
	json_decref(root);
	if (rc != BW_OK)
		return ctx_error(c, web_err_status(rc), &e);
	api_one(c, id, 200);
}

static void api_delete(struct ctx *c)
{
	int64_t id;
	str_to_i64(str_c(ctx_param(c, "component")), 1, INT64_MAX, &id);
	struct bw_error e = { 0 };
	if (components_delete(c->db, &c->actor, id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	c->resp->status = 204;
}

/* POST an SBOM (or, with Content-Type text/csv, a CSV inventory) as the
 * body; ?partial=true imports the good rows when some are bad. */
static void api_sbom(struct ctx *c)
{
	struct comp_system s;
	if (!load_system(c, &s))
		return;
	const char *ct = http_header(c->req, "Content-Type");
	bool csv = ct && !strncasecmp(ct, "text/csv", 8);
	const char *pq = ctx_query(c, "partial");
	if (pq && !form_checked(pq) && strcmp(pq, "false") && strcmp(pq, "0"))
		return ctx_fail(c, BW_EINVAL, "partial", "partial must be true or false");
	struct comp_batch b;
	comp_batch_init(&b, c->arena);
	struct comp_import_result res = { 0 };
	struct bw_error e = { 0 };
	enum bw_err rc;
	if (!c->req->body_len)
		rc = bw_fail(&e, BW_EINVAL, "body", "Send the SBOM as the request body");
	else
		rc = import_data(c, &s, c->req->body, c->req->body_len, !csv, form_checked(pq), &b, &res, &e);
	struct web_json j;
	if (rc != BW_OK) {
		buf_reset(&c->resp->body);
		c->resp->status = rc == BW_ELIMIT ? (strstr(e.msg, "larger") ? 413 : 400) : web_err_status(rc);
		ctx_json_begin(c, &j);
		web_json_object(&j);
		web_json_key(&j, "error");
		web_json_object(&j);
		web_json_key(&j, "code");
		web_json_str(&j, bw_err_name(rc));
		web_json_key(&j, "message");
		web_json_str(&j, e.msg);
		web_json_key(&j, "field");
		web_json_str(&j, !strcmp(e.field, "file") ? "body" : e.field[0] ? e.field : NULL);
	} else {
		ctx_json_begin(c, &j);
		web_json_object(&j);
		web_json_key(&j, "data");
		web_json_object(&j);
		web_json_key(&j, "format");
		web_json_str(&j, b.format);
		web_json_key(&j, "added");
		web_json_int(&j, res.added);
		web_json_key(&j, "updated");
		web_json_int(&j, res.updated);
		web_json_key(&j, "skipped");
		web_json_int(&j, res.skipped);
	}
	web_json_key(&j, "rows");
	web_json_array(&j);
	size_t shown = b.nerrs < LIM_IMPORT_ERRORS ? b.nerrs : LIM_IMPORT_ERRORS;
	for (size_t i = 0; i < shown; i++) {
		web_json_object(&j);
		web_json_key(&j, "row");
		web_json_int(&j, b.errs[i].row);
		web_json_key(&j, "field");
		web_json_str(&j, b.errs[i].field);
		web_json_key(&j, "message");
		web_json_str(&j, b.errs[i].msg);
		web_json_end(&j);
	}
	web_json_end(&j);
	web_json_end(&j);
	web_json_end(&j);
	comp_batch_free(&b);
}

const struct route components_routes[] = {
	{ "GET", "/systems/{system}/components", get_list, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "system" },
	{ "GET", "/systems/{system}/components.csv", get_list_csv, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "system" },
	{ "GET", "/systems/{system}/components/new", get_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "POST", "/systems/{system}/components", post_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "GET", "/systems/{system}/import", get_import, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "POST", "/systems/{system}/import", post_import, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "GET", "/components/{component}", get_component, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "component" },
	{ "GET", "/components/{component}/edit", get_edit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "component" },
	{ "POST", "/components/{component}", post_edit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "component" },
	{ "POST", "/components/{component}/delete", post_delete, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "component" },
	{ "POST", "/components/{component}/cpe", post_cpe, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "component" },
	{ "GET", "/orgs/{org}/components", get_search, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/components.csv", get_search_csv, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/api/v1/systems/{system}/components", api_list, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "system" },
	{ "POST", "/api/v1/systems/{system}/components", api_post, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "POST", "/api/v1/systems/{system}/sbom", api_sbom, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "GET", "/api/v1/components/{component}", api_get, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "component" },
	{ "PUT", "/api/v1/components/{component}", api_put, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "component" },
	{ "DELETE", "/api/v1/components/{component}", api_delete, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "component" },
	{ NULL },
};

/*
 * systems: the critical systems register's pages — an organisation's
 * systems (search, filters, pagination, CSV), one system with its computed
 * gaps, backups, restore tests and dependencies, the forms that add,
 * change and delete them, and the organisation's dependency graph with its single points of
 * failure. The path parameters {system}, {backup}, {restore} and
 * {dependency} are registered here with how to find their owner. The API
 * is in systems_api.c; storage in systems_data.c.
 */
#include <stdio.h>
#include <string.h>

#include "app/routes.h"
#include "registers/systems_int.h"

#define PAGE_SIZE 50
#define SUPPLIER_OPTIONS 500

/* ---- path parameters ---- */

static enum bw_err system_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT o.id, o.path FROM systems s JOIN orgs o ON o.id = s.org_id WHERE s.id = ?1", v, out);
}

static enum bw_err backup_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT o.id, o.path FROM system_backups b JOIN systems s ON s.id = b.system_id"
			    " JOIN orgs o ON o.id = s.org_id WHERE b.id = ?1", v, out);
}

static enum bw_err restore_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT o.id, o.path FROM restore_tests r JOIN systems s ON s.id = r.system_id"
			    " JOIN orgs o ON o.id = s.org_id WHERE r.id = ?1", v, out);
}

static enum bw_err dep_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT o.id, o.path FROM system_deps d JOIN systems s ON s.id = d.system_id"
			    " JOIN orgs o ON o.id = s.org_id WHERE d.id = ?1", v, out);
}

/* The example system is one that has a backup, a restore test and a
 * dependency when there is one, so that the other examples (of that same
 * system) make routes with two parameters that fit together. */
#define EXAMPLE_SYSTEM \
	"(SELECT s.id FROM systems s JOIN orgs o ON o.id = s.org_id WHERE o.path >= ?1 AND o.path < ?2" \
	" ORDER BY CASE WHEN EXISTS (SELECT 1 FROM system_backups b WHERE b.system_id = s.id)" \
	" AND EXISTS (SELECT 1 FROM restore_tests r WHERE r.system_id = s.id)" \
	" AND EXISTS (SELECT 1 FROM system_deps d WHERE d.system_id = s.id) THEN 0 ELSE 1 END, s.id LIMIT 1)"

static bool system_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT " EXAMPLE_SYSTEM, path, out, n);
}

static bool backup_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT min(id) FROM system_backups WHERE system_id = " EXAMPLE_SYSTEM
			   " HAVING min(id) IS NOT NULL", path, out, n);
}

static bool restore_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT min(id) FROM restore_tests WHERE system_id = " EXAMPLE_SYSTEM
			   " HAVING min(id) IS NOT NULL", path, out, n);
}

static bool dep_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT min(id) FROM system_deps WHERE system_id = " EXAMPLE_SYSTEM
			   " HAVING min(id) IS NOT NULL", path, out, n);
}

const struct route_param systems_params[] = {
	{ "system", system_owner, system_example },
	{ "backup", backup_owner, backup_example },
	{ "restore", restore_owner, restore_example },
	{ "dependency", dep_owner, dep_example },
	{ NULL, NULL, NULL },
};

/* ---- shared bits ---- */

bool systems_load_org(struct ctx *c, struct org *o)
{
	if (orgs_get_by_code(c->db, ctx_param(c, "org"), o, NULL) != BW_OK) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return false;
	}
	return true;
}

void systems_gap_tags(struct buf *b, unsigned gaps)
{
	if (!gaps) {
		web_tag(b, "No gaps", WEB_TAG_GREEN);
		return;
	}
	bool first = true;
	for (unsigned i = 0; i < GAP_KINDS; i++) {
		if (!(gaps & (1u << i)))
			continue;
		if (!first)
			html_raw(b, " ");
		web_tag(b, systems_gap_label(i), i == 4 || i == 0 ? WEB_TAG_RED : WEB_TAG_ORANGE);
		first = false;
	}
}

static bool load_system(struct ctx *c, struct reg_system *s)
{
	int64_t id;
	if (!str_to_i64(str_c(ctx_param(c, "system")), 1, INT64_MAX, &id) ||
	    systems_get(c->db, c->arena, id, s) != BW_OK) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return false;
	}
	return true;
}

static bool may_edit(struct ctx *c)
{
	return orgs_role_allows(c->actor.role, ACT_EDIT);
}

static const char *sys_href(struct ctx *c, int64_t id, const char *rest)
{
	return arena_printf(c->arena, "/systems/%lld%s", (long long)id, rest ? rest : "");
}

static void crumbs_org(struct ctx *c, struct web_link *cr, size_t *n, const char *code, const char *name)
{
	cr[(*n)++] = (struct web_link){ "Home", "/" };
	cr[(*n)++] = (struct web_link){ "Registers", arena_printf(c->arena, "/orgs/%s/registers", code) };
	cr[(*n)++] = (struct web_link){ arena_printf(c->arena, "Systems of %s", name),
					 arena_printf(c->arena, "/orgs/%s/systems", code) };
}

static const char *hours_text(struct ctx *c, int64_t h)
{
	if (h < 0)
		return NULL;
	return arena_printf(c->arena, "%lld hour%s", (long long)h, h == 1 ? "" : "s");
}

/* Multi-line text as paragraphs (each line its own, escaped). */
static void paragraphs(struct buf *b, const char *s)
{
	const char *p = s;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		struct str line = str_trim((struct str){ p, n });
		if (line.n) {
			html_raw(b, "<p class=\"nhsuk-u-margin-bottom-2\">");
			html_text_n(b, line.p, line.n);
			html_raw(b, "</p>");
		}
		p += n + (nl != NULL);
	}
}

/* A summary row whose value is written by the caller; close it with the
 * same key and change link (NULL for none). */
static void summary_open(struct buf *b, const char *key, const char *change)
{
	html_printf(b, "<div class=\"nhsuk-summary-list__row%s\">\n"
		       "<dt class=\"nhsuk-summary-list__key\">%s</dt>\n<dd class=\"nhsuk-summary-list__value\">",
		    change ? "" : " nhsuk-summary-list__row--no-actions", key);
}

static void summary_close(struct buf *b, const char *key, const char *change)
{
	html_raw(b, "</dd>\n");
	if (change) {
		html_raw(b, "<dd class=\"nhsuk-summary-list__actions\"><a href=\"");
		html_href(b, change);
		html_printf(b, "\">Change<span class=\"nhsuk-u-visually-hidden\"> %s</span></a></dd>\n", key);
	}
	html_raw(b, "</div>\n");
}

/* A small form with one button, for deletions inside tables. */
static void delete_button(struct ctx *c, const char *action, const char *what)
{
	struct buf *b = &c->resp->body;
	web_form_begin(b, action, "post", c->session.csrf);
	html_printf(b, "<button class=\"nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0\" "
		       "data-module=\"nhsuk-button\" type=\"submit\">Delete<span class=\"nhsuk-u-visually-hidden\"> %s"
		       "</span></button>\n", what);
	web_form_end(b);
}

/* A link to an item's edit page, beside its delete button. */
static void edit_link(struct ctx *c, const char *href, const char *what)
{
	struct buf *b = &c->resp->body;
	html_raw(b, "<p class=\"nhsuk-u-margin-bottom-2\"><a href=\"");
	html_href(b, href);
	html_printf(b, "\">Edit<span class=\"nhsuk-u-visually-hidden\"> %s</span></a></p>\n", what);
}

/* ---- list ---- */

bool systems_filter_read(struct ctx *c, struct systems_filter *f, bool strict)
{
	memset(f, 0, sizeof *f);
	f->q = ctx_query(c, "q");
	if (f->q && web_utf8_len(f->q) > LIM_NAME) {
		if (strict) {
			ctx_fail(c, BW_EINVAL, "q", "q must be 200 characters or fewer");
			return false;
		}
		f->q = NULL;
	}
	if (f->q && !*f->q)
		f->q = NULL;
	f->like = f->q ? arena_printf(c->arena, "%%%s%%", f->q) : NULL;
	const char *t = ctx_query(c, "tier");
	if (t && *t && !str_to_i64(str_c(t), 1, 4, &f->tier)) {
		if (strict) {
			ctx_fail(c, BW_EINVAL, "tier", "tier must be 1, 2, 3 or 4");
			return false;
		}
		f->tier = 0;
	}
	f->status = ctx_query(c, "status");
	if (f->status && !*f->status)
		f->status = NULL;
	if (f->status && !systems_status_label(f->status)) {
		if (strict) {
			ctx_fail(c, BW_EINVAL, "status", "status must be in_service, being_replaced or unsupported");
			return false;
		}
		f->status = NULL;
	}
	const char *g = ctx_query(c, "gap");
	for (unsigned i = 0; g && i < GAP_KINDS; i++)
		if (!strcmp(g, systems_gap_name(i)))
			f->gap = i + 1;
	if (g && !strcmp(g, "any"))
		f->gap = GAP_KINDS + 1;
	if (g && *g && !f->gap && strict) {
		ctx_fail(c, BW_EINVAL, "gap", "gap must be any, or the name of a gap such as no_offline_backup");
		return false;
	}
	return true;
}

void systems_filter_bind(struct db_stmt *st, int64_t org_id, const struct systems_filter *f, int64_t cutoff)
{
	db_bind_i64(st, 1, org_id);
	db_bind_text(st, 2, f->like);
	db_bind_i64(st, 3, f->tier);
	db_bind_text(st, 4, f->status);
	db_bind_i64(st, 5, f->gap);
	db_bind_i64(st, 6, cutoff);
}

static void filter_query(struct buf *q, const struct systems_filter *f)
{
	buf_puts(q, "?q=");
	html_url_component(q, f->q ? f->q : "");
	if (f->tier)
		buf_printf(q, "&tier=%lld", (long long)f->tier);
	if (f->status) {
		buf_puts(q, "&status=");
		html_url_component(q, f->status);
	}
	if (f->gap)
		buf_printf(q, "&gap=%s", f->gap > GAP_KINDS ? "any" : systems_gap_name((unsigned)f->gap - 1));
}

static void select_html(struct buf *b, const char *name, const char *label, const struct web_option *o, size_t n,
			const char *current)
{
	html_printf(b, "<div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"%s\">%s</label>"
		       "<select class=\"nhsuk-select\" id=\"%s\" name=\"%s\">", name, label, name, name);
	for (size_t i = 0; i < n; i++)
		html_printf(b, "<option value=\"%s\"%s>%s</option>", o[i].value,
			    current && !strcmp(current, o[i].value) ? " selected" : "", o[i].label);
	html_raw(b, "</select></div>");
}

static void get_list(struct ctx *c)
{
	struct org o;
	if (!systems_load_org(c, &o))
		return;
	struct systems_filter f;
	systems_filter_read(c, &f, false);
	int64_t now = bw_now(), cutoff = systems_restore_cutoff(now, systems_restore_max_days());
	int64_t page = pages_page_number(c);
	struct db_stmt *st = db_prep(c->db, "SELECT count(*) FROM systems s" SYSTEMS_LIST_WHERE);
	systems_filter_bind(st, o.id, &f, cutoff);
	int64_t total = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);

	struct web_link cr[4];
	size_t ncr = 0;
	cr[ncr++] = (struct web_link){ "Home", "/" };
	cr[ncr++] = (struct web_link){ "Registers", arena_printf(c->arena, "/orgs/%s/registers", o.code) };
	ctx_page_begin(c, arena_printf(c->arena, "Critical systems of %s", o.name), cr, ncr, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Critical systems</h1>", o.name);
	html_raw(b, "<p>The systems patients depend on, how they are backed up, and what staff do when they stop. "
		    "Gaps are worked out from what is recorded here.</p>");
	if (may_edit(c))
		web_button_link(b, "Add a system", arena_printf(c->arena, "/orgs/%s/systems/new", o.code),
				WEB_BUTTON_PRIMARY);
	html_raw(b, "<p><a href=\"");
	html_href(b, arena_printf(c->arena, "/orgs/%s/systems/dependencies", o.code));
	html_raw(b, "\">Dependencies and single points of failure</a></p>");

	/* filters: a GET form, usable without JavaScript */
	html_raw(b, "<form class=\"bw-search\" method=\"get\" role=\"search\" aria-label=\"Filter systems\" action=\"");
	html_href(b, arena_printf(c->arena, "/orgs/%s/systems", o.code));
	html_raw(b, "\"><div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"q\">Name contains</label>"
		    "<input class=\"nhsuk-input nhsuk-u-width-one-half\" id=\"q\" name=\"q\" type=\"search\" "
		    "maxlength=\"200\" value=\"");
	html_attr(b, f.q ? f.q : "");
	html_raw(b, "\"></div>");
	static const struct web_option tiers[] = { { "", "Any" }, { "1", "Tier 1" }, { "2", "Tier 2" },
						   { "3", "Tier 3" }, { "4", "Tier 4" } };
	static const struct web_option statuses[] = { { "", "Any" }, { "in_service", "In service" },
						      { "being_replaced", "Being replaced" },
						      { "unsupported", "Unsupported" } };
	struct web_option gaps[GAP_KINDS + 2] = { { "", "Any, or none" }, { "any", "Has any gap" } };
	for (unsigned i = 0; i < GAP_KINDS; i++)
		gaps[i + 2] = (struct web_option){ systems_gap_name(i), systems_gap_label(i) };
	select_html(b, "tier", "Criticality", tiers, BW_NELEM(tiers), f.tier ? arena_printf(c->arena, "%lld",
		    (long long)f.tier) : "");
	select_html(b, "status", "Status", statuses, BW_NELEM(statuses), f.status ? f.status : "");
	select_html(b, "gap", "Gap", gaps, BW_NELEM(gaps), ctx_query(c, "gap"));
	web_button(b, "Show systems", WEB_BUTTON_SECONDARY);
	html_raw(b, "</form>");

	st = db_prep(c->db, "SELECT " SYSTEMS_COLS " FROM systems s JOIN orgs o ON o.id = s.org_id" SYSTEMS_LIST_WHERE
			    " ORDER BY s.tier, lower(s.name), s.id LIMIT ?7 OFFSET ?8");
	systems_filter_bind(st, o.id, &f, cutoff);
	db_bind_i64(st, 7, PAGE_SIZE);
	db_bind_i64(st, 8, (page - 1) * PAGE_SIZE);
	struct web_column cols[] = { { "Name", false }, { "Criticality", false }, { "Where it runs", false },
				     { "Status", false }, { "Gaps", false } };
	char caption[64];
	snprintf(caption, sizeof caption, "%lld system%s", (long long)total, total == 1 ? "" : "s");
	struct web_table t;
	web_table_begin(&t, b, caption, cols, BW_NELEM(cols));
	int rows = 0;
	int64_t max_days = systems_restore_max_days();
	while (db_step(st) == DB_ROW) {
		struct reg_system s;
		systems_row(st, c->arena, &s);
		rows++;
		web_table_row_begin(&t);
		web_table_cell_link(&t, s.name, sys_href(c, s.id, NULL));
		web_table_cell(&t, arena_printf(c->arena, "Tier %d", s.tier));
		web_table_cell(&t, systems_hosting_label(s.hosting));
		web_table_cell(&t, systems_status_label(s.status));
		web_table_cell_open(&t);
		systems_gap_tags(b, systems_gaps(&s, now, max_days));
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, BW_NELEM(cols), total || f.q || f.tier || f.status || f.gap
				? "No systems match these filters" : "No systems recorded yet");
	web_table_end(&t);
	struct buf base;
	buf_init(&base);
	buf_printf(&base, "/orgs/%s/systems", o.code);
	filter_query(&base, &f);
	web_pagination(b, buf_cstr(&base), page, (total + PAGE_SIZE - 1) / PAGE_SIZE);
	buf_reset(&base);
	buf_printf(&base, "/orgs/%s/systems.csv", o.code);
	filter_query(&base, &f);
	web_button_link(b, "Download as CSV", buf_cstr(&base), WEB_BUTTON_SECONDARY);
	buf_free(&base);
	ctx_page_end(c);
}

static void get_csv(struct ctx *c)
{
	struct org o;
	if (!systems_load_org(c, &o))
		return;
	struct systems_filter f;
	systems_filter_read(c, &f, false);
	int64_t now = bw_now(), max_days = systems_restore_max_days();
	struct db_stmt *st = db_prep(c->db, "SELECT " SYSTEMS_COLS " FROM systems s JOIN orgs o ON o.id = s.org_id"
					    SYSTEMS_LIST_WHERE " ORDER BY s.tier, lower(s.name), s.id LIMIT 100000");
	systems_filter_bind(st, o.id, &f, systems_restore_cutoff(now, max_days));
	c->resp->content_type = "text/csv; charset=utf-8";
	http_resp_header(c->resp, "Content-Disposition",
			 arena_printf(c->arena, "attachment; filename=\"systems-%s.csv\"", o.code));
	struct web_csv w;
	web_csv_init(&w, &c->resp->body);
	web_csv_bom(&w);
	static const char *const head[] = { "id", "organisation", "name", "essential_function", "tier", "owner",
					    "hosting", "supplier", "rto_hours", "rpo_hours", "downtime_procedure",
					    "status", "offline_backup", "last_successful_restore_test", "gaps" };
	for (size_t i = 0; i < BW_NELEM(head); i++)
		web_csv_cell(&w, head[i]);
	web_csv_row_end(&w);
	while (db_step(st) == DB_ROW) {
		struct reg_system s;
		systems_row(st, c->arena, &s);
		char sup[LIM_NAME + 1] = "", date[16] = "";
		if (s.supplier_id)
			systems_supplier_name(c->db, s.org_id, s.supplier_id, sup, sizeof sup);
		if (s.last_success_on)
			systems_date_iso(s.last_success_on, date);
		struct buf gl;
		buf_init(&gl);
		unsigned g = systems_gaps(&s, now, max_days);
		for (unsigned i = 0; i < GAP_KINDS; i++)
			if (g & (1u << i))
				buf_printf(&gl, "%s%s", gl.len ? "; " : "", systems_gap_label(i));
		web_csv_cell_int(&w, s.id);
		web_csv_cell(&w, s.org_code);
		web_csv_cell(&w, s.name);
		web_csv_cell(&w, s.function);
		web_csv_cell_int(&w, s.tier);
		web_csv_cell(&w, s.owner);
		web_csv_cell(&w, s.hosting);
		web_csv_cell(&w, sup);
		if (s.rto_hours >= 0)
			web_csv_cell_int(&w, s.rto_hours);
		else
			web_csv_cell(&w, "");
		if (s.rpo_hours >= 0)
			web_csv_cell_int(&w, s.rpo_hours);
		else
			web_csv_cell(&w, "");
		web_csv_cell(&w, s.downtime);
		web_csv_cell(&w, s.status);
		web_csv_cell(&w, s.has_offline ? "yes" : "no");
		web_csv_cell(&w, date);
		web_csv_cell(&w, buf_cstr(&gl));
		web_csv_row_end(&w);
		buf_free(&gl);
	}
}

/* ---- create and edit ---- */

/* The field table as shown: supplier becomes a list of the organisation's
 * suppliers (when the suppliers register has any). */
static void system_form(struct ctx *c, const char *title, const char *caption, const char *action,
			int64_t org_id, const char *const *values, const struct web_form_errors *errs,
			const struct web_link *cr, size_t ncr)
{
	struct web_field f[SF_COUNT];
	memcpy(f, systems_fields, sizeof f);
	struct web_option *opts = arena_alloc(c->arena, (SUPPLIER_OPTIONS + 1) * sizeof *opts);
	opts[0] = (struct web_option){ "", "None recorded" };
	size_t n = systems_supplier_options(c->db, c->arena, org_id, opts + 1, SUPPLIER_OPTIONS);
	f[SF_SUPPLIER].type = WEB_FIELD_SELECT;
	f[SF_SUPPLIER].options = opts;
	f[SF_SUPPLIER].options_n = n + 1;
	f[SF_SUPPLIER].hint = n ? "Suppliers are added in the suppliers register"
				: "None yet: add suppliers in the suppliers register, then choose one here";
	struct web_form form = { .action = action, .fields = f, .fields_n = SF_COUNT, .submit = "Save system" };
	ctx_page_begin(c, title, cr, ncr, errs ? errs->e : NULL, errs ? errs->n : 0);
	html_printf(&c->resp->body, "<span class=\"nhsuk-caption-l\">%s</span><h1>%s</h1>", caption, title);
	web_form_render(&c->resp->body, &form, values, errs, c->session.csrf);
	ctx_page_end(c);
}

static void form_values(struct ctx *c, const struct web_field *f, size_t n, const char **v)
{
	for (size_t i = 0; i < n; i++)
		v[i] = ctx_form(c, f[i].name);
}

static void get_new(struct ctx *c)
{
	struct org o;
	if (!systems_load_org(c, &o))
		return;
	struct web_link cr[4];
	size_t ncr = 0;
	crumbs_org(c, cr, &ncr, o.code, o.name);
	const char *v[SF_COUNT] = { [SF_TIER] = "2", [SF_HOSTING] = "on_premises", [SF_STATUS] = "in_service" };
	system_form(c, "Add a system", o.name, arena_printf(c->arena, "/orgs/%s/systems", o.code), o.id, v, NULL,
		    cr, ncr);
}

/* Validates and saves; on a problem shows the form again with every error. */
static void save_system(struct ctx *c, int64_t org_id, const char *org_code, const char *org_name, int64_t id)
{
	const char *v[SF_COUNT];
	form_values(c, systems_fields, SF_COUNT, v);
	struct web_form form = { .fields = systems_fields, .fields_n = SF_COUNT };
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	int64_t new_id = 0;
	if (web_form_validate(&form, v, &errs) == BW_OK &&
	    systems_save(c->db, &c->actor, org_id, id, v, &new_id, &e) != BW_OK) {
		if (e.code == BW_EDB || e.code == BW_EINTERNAL)
			return ctx_error(c, 500, &e);
		web_form_errors_add(&errs, e.field[0] ? e.field : "name", e.msg);
	}
	if (errs.n) {
		struct web_link cr[4];
		size_t ncr = 0;
		crumbs_org(c, cr, &ncr, org_code, org_name);
		if (id)
			system_form(c, "Change system", org_name, sys_href(c, id, "/edit"), org_id, v, &errs, cr, ncr);
		else
			system_form(c, "Add a system", org_name, arena_printf(c->arena, "/orgs/%s/systems", org_code),
				    org_id, v, &errs, cr, ncr);
		c->resp->status = 400;
		return;
	}
	ctx_redirect(c, sys_href(c, new_id, NULL), id ? "System changed" : "System added");
}

static void post_new(struct ctx *c)
{
	struct org o;
	if (!systems_load_org(c, &o))
		return;
	save_system(c, o.id, o.code, o.name, 0);
}

static void get_edit(struct ctx *c)
{
	struct reg_system s;
	if (!load_system(c, &s))
		return;
	const char *v[SF_COUNT] = {
		[SF_NAME] = s.name, [SF_FUNCTION] = s.function, [SF_TIER] = arena_printf(c->arena, "%d", s.tier),
		[SF_OWNER] = s.owner, [SF_HOSTING] = s.hosting,
		[SF_SUPPLIER] = s.supplier_id ? arena_printf(c->arena, "%lld", (long long)s.supplier_id) : "",
		[SF_RTO] = s.rto_hours >= 0 ? arena_printf(c->arena, "%lld", (long long)s.rto_hours) : "",
		[SF_RPO] = s.rpo_hours >= 0 ? arena_printf(c->arena, "%lld", (long long)s.rpo_hours) : "",
		[SF_DOWNTIME] = s.downtime, [SF_STATUS] = s.status,
	};
	struct web_link cr[5];
	size_t ncr = 0;
	crumbs_org(c, cr, &ncr, s.org_code, s.org_name);
	cr[ncr++] = (struct web_link){ s.name, sys_href(c, s.id, NULL) };
	system_form(c, "Change system", s.name, sys_href(c, s.id, "/edit"), s.org_id, v, NULL, cr, ncr);
}

static void post_edit(struct ctx *c)
{
	struct reg_system s;
	if (!load_system(c, &s))
		return;
	save_system(c, s.org_id, s.org_code, s.org_name, s.id);
}

static void get_delete(struct ctx *c)
{
	struct reg_system s;
	if (!load_system(c, &s))
		return;
	struct web_link cr[5];
	size_t ncr = 0;
	crumbs_org(c, cr, &ncr, s.org_code, s.org_name);
	cr[ncr++] = (struct web_link){ s.name, sys_href(c, s.id, NULL) };
	ctx_page_begin(c, "Delete system", cr, ncr, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Delete %s?</h1>"
		       "<p>Its backups, restore tests and dependencies will be deleted with it. The audit log keeps "
		       "a record that it was deleted.</p>", s.org_name, s.name);
	web_form_begin(b, sys_href(c, s.id, "/delete"), "post", c->session.csrf);
	web_button(b, "Delete system", WEB_BUTTON_WARNING);
	web_form_end(b);
	html_raw(b, "<p><a href=\"");
	html_href(b, sys_href(c, s.id, NULL));
	html_raw(b, "\">Cancel</a></p>");
	ctx_page_end(c);
}

static void post_delete(struct ctx *c)
{
	struct reg_system s;
	struct bw_error e = { 0 };
	if (!load_system(c, &s))
		return;
	if (systems_delete(c->db, &c->actor, s.id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s/systems", s.org_code), "System deleted");
}

/* ---- one system ---- */

static const char *const gap_advice[GAP_KINDS] = {
	"No backup copy is kept off-line. Ransomware can encrypt every copy it can reach over the network.",
	"It has never been restored successfully from a backup, so no one knows the backups work.",
	"The last successful restore test is too old. Test a restore at least once a year.",
	"There is no downtime procedure: staff will not know what to do on paper when it stops.",
	"It is unsupported: its supplier no longer fixes security problems in it.",
	"The last restore took longer than its recovery time objective.",
};

static void gaps_panel(struct ctx *c, const struct reg_system *s, unsigned g)
{
	struct buf *b = &c->resp->body;
	if (!g) {
		html_raw(b, "<div class=\"nhsuk-inset-text\"><span class=\"nhsuk-u-visually-hidden\">Information: </span>"
			    "<p>No gaps found: it has an off-line backup, a recent successful restore test and a "
			    "downtime procedure.</p></div>");
		return;
	}
	html_raw(b, "<div class=\"nhsuk-warning-callout\"><h2 class=\"nhsuk-warning-callout__label\">"
		    "<span role=\"text\"><span class=\"nhsuk-u-visually-hidden\">Important: </span>Gaps</span></h2><ul>");
	for (unsigned i = 0; i < GAP_KINDS; i++) {
		if (!(g & (1u << i)))
			continue;
		html_printf(b, "<li><strong>%s.</strong> %s", systems_gap_label(i), gap_advice[i]);
		if (i == 5)
			html_printf(b, " (took %lld minutes; objective %lld hours)", (long long)s->last_restore_minutes,
				    (long long)s->rto_hours);
		if (i == 2) {
			char d[24];
			systems_date_format(s->last_success_on, d);
			html_printf(b, " (last successful: %s)", d);
		}
		html_raw(b, "</li>");
	}
	html_raw(b, "</ul></div>");
}

/* "2 backups": how many rows of table belong to the system. */
static const char *count_caption(struct ctx *c, const char *table, int64_t id, const char *one, const char *many)
{
	const char *sql = !strcmp(table, "system_backups") ? "SELECT count(*) FROM system_backups WHERE system_id = ?1"
			: !strcmp(table, "restore_tests") ? "SELECT count(*) FROM restore_tests WHERE system_id = ?1"
			: "SELECT count(*) FROM system_deps WHERE system_id = ?1";
	struct db_stmt *st = db_prep(c->db, sql);
	db_bind_i64(st, 1, id);
	int64_t n = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	return arena_printf(c->arena, "%lld %s", (long long)n, n == 1 ? one : many);
}

static void backups_section(struct ctx *c, const struct reg_system *s, bool edit)
{
	struct buf *b = &c->resp->body;
	html_raw(b, "<h2 id=\"backups\">Backups</h2>");
	struct db_stmt *st = db_prep(c->db, "SELECT id, method, frequency, offline, immutable, location FROM system_backups"
					    " WHERE system_id = ?1 ORDER BY id");
	db_bind_i64(st, 1, s->id);
	struct web_column cols[] = { { "How it is backed up", false }, { "How often", false }, { "Off-line copy", false },
				     { "Immutable copy", false }, { "Where it is kept", false }, { "Actions", false } };
	size_t ncols = edit ? 6 : 5;
	struct web_table t;
	web_table_begin(&t, b, count_caption(c, "system_backups", s->id, "backup", "backups"), cols, ncols);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell(&t, db_col_text(st, 1));
		web_table_cell(&t, systems_frequency_label(db_col_text(st, 2)));
		web_table_cell(&t, db_col_i64(st, 3) ? "Yes" : "No");
		web_table_cell(&t, db_col_i64(st, 4) ? "Yes" : "No");
		web_table_cell(&t, db_col_text(st, 5));
		if (edit) {
			const char *what = arena_printf(c->arena, "backup: %s", db_col_text(st, 1));
			web_table_cell_open(&t);
			edit_link(c, sys_href(c, s->id, arena_printf(c->arena, "/backups/%lld/edit",
								     (long long)db_col_i64(st, 0))), what);
			delete_button(c, sys_href(c, s->id, arena_printf(c->arena, "/backups/%lld/delete",
									 (long long)db_col_i64(st, 0))), what);
			web_table_cell_close(&t);
		}
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, ncols, "No backups recorded");
	web_table_end(&t);
	if (edit)
		web_button_link(b, "Add a backup", sys_href(c, s->id, "/backups/new"), WEB_BUTTON_SECONDARY);
}

static void restores_section(struct ctx *c, const struct reg_system *s, bool edit)
{
	struct buf *b = &c->resp->body;
	html_raw(b, "<h2 id=\"restore-tests\">Restore tests</h2>");
	html_printf(b, "<p>A successful restore test counts for %lld days.</p>", (long long)systems_restore_max_days());
	struct db_stmt *st = db_prep(c->db, "SELECT r.id, r.tested_on, r.result, r.minutes, b.method, r.notes"
					    " FROM restore_tests r LEFT JOIN system_backups b ON b.id = r.backup_id"
					    " WHERE r.system_id = ?1 ORDER BY r.tested_on DESC, r.id DESC LIMIT 100");
	db_bind_i64(st, 1, s->id);
	struct web_column cols[] = { { "Date", false }, { "Result", false }, { "Time taken", false },
				     { "Backup restored", false }, { "Notes", false }, { "Actions", false } };
	size_t ncols = edit ? 6 : 5;
	struct web_table t;
	web_table_begin(&t, b, count_caption(c, "restore_tests", s->id, "restore test, newest first",
						"restore tests, newest first"), cols, ncols);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		char d[24];
		systems_date_format(db_col_i64(st, 1), d);
		const char *res = db_col_text(st, 2);
		web_table_row_begin(&t);
		web_table_cell(&t, d);
		web_table_cell_open(&t);
		web_tag(b, !strcmp(res, "success") ? "Succeeded" : !strcmp(res, "partial") ? "Partly succeeded" : "Failed",
			!strcmp(res, "success") ? WEB_TAG_GREEN : !strcmp(res, "partial") ? WEB_TAG_YELLOW : WEB_TAG_RED);
		web_table_cell_close(&t);
		web_table_cell(&t, db_col_isnull(st, 3) ? "Not recorded"
							 : arena_printf(c->arena, "%lld minutes", (long long)db_col_i64(st, 3)));
		web_table_cell(&t, db_col_text(st, 4) ? db_col_text(st, 4) : "Not recorded");
		web_table_cell(&t, db_col_text(st, 5));
		if (edit) {
			const char *what = arena_printf(c->arena, "restore test of %s", d);
			web_table_cell_open(&t);
			edit_link(c, sys_href(c, s->id, arena_printf(c->arena, "/restore-tests/%lld/edit",
								     (long long)db_col_i64(st, 0))), what);
			delete_button(c, sys_href(c, s->id, arena_printf(c->arena, "/restore-tests/%lld/delete",
									 (long long)db_col_i64(st, 0))), what);
			web_table_cell_close(&t);
		}
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, ncols, "No restore tests recorded");
	web_table_end(&t);
	if (edit)
		web_button_link(b, "Record a restore test", sys_href(c, s->id, "/restore-tests/new"), WEB_BUTTON_SECONDARY);
}

static void deps_section(struct ctx *c, const struct reg_system *s, bool edit)
{
	struct buf *b = &c->resp->body;
	html_raw(b, "<h2 id=\"dependencies\">Dependencies</h2>");
	struct db_stmt *st = db_prep(c->db, "SELECT d.id, d.kind, d.on_system_id, t.name, d.on_supplier_id, d.location,"
					    " d.note FROM system_deps d LEFT JOIN systems t ON t.id = d.on_system_id"
					    " WHERE d.system_id = ?1 ORDER BY d.kind, d.id");
	db_bind_i64(st, 1, s->id);
	struct web_column cols[] = { { "It depends on", false }, { "Kind", false }, { "Note", false }, { "Action", false } };
	size_t ncols = edit ? 4 : 3;
	struct web_table t;
	web_table_begin(&t, b, count_caption(c, "system_deps", s->id, "thing it depends on", "things it depends on"),
			cols, ncols);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		const char *kind = db_col_text(st, 1);
		const char *label;
		web_table_row_begin(&t);
		if (!strcmp(kind, "system")) {
			label = arena_strdup(c->arena, db_col_text(st, 3) ? db_col_text(st, 3) : "");
			web_table_cell_link(&t, label, sys_href(c, db_col_i64(st, 2), NULL));
		} else if (!strcmp(kind, "supplier")) {
			char name[LIM_NAME + 1];
			label = systems_supplier_name(c->db, s->org_id, db_col_i64(st, 4), name, sizeof name)
				? arena_strdup(c->arena, name) : "A supplier no longer listed";
			web_table_cell(&t, label);
		} else {
			label = arena_strdup(c->arena, db_col_text(st, 5) ? db_col_text(st, 5) : "");
			web_table_cell(&t, label);
		}
		web_table_cell(&t, !strcmp(kind, "system") ? "System" : !strcmp(kind, "supplier") ? "Supplier"
											   : "Location or network");
		web_table_cell(&t, db_col_text(st, 6));
		if (edit) {
			web_table_cell_open(&t);
			delete_button(c, sys_href(c, s->id, arena_printf(c->arena, "/dependencies/%lld/delete",
									 (long long)db_col_i64(st, 0))),
				      arena_printf(c->arena, "dependency on %s", label));
			web_table_cell_close(&t);
		}
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, ncols, "No dependencies recorded");
	web_table_end(&t);
	if (edit)
		web_button_link(b, "Add a dependency", sys_href(c, s->id, "/dependencies/new"), WEB_BUTTON_SECONDARY);
	st = db_prep(c->db, "SELECT s.id, s.name, s.tier FROM system_deps d JOIN systems s ON s.id = d.system_id"
			    " WHERE d.on_system_id = ?1 ORDER BY s.tier, s.name LIMIT 200");
	db_bind_i64(st, 1, s->id);
	bool any = false;
	while (db_step(st) == DB_ROW) {
		if (!any)
			html_raw(b, "<h3>Systems that depend on it</h3><ul>");
		any = true;
		html_raw(b, "<li><a href=\"");
		html_href(b, sys_href(c, db_col_i64(st, 0), NULL));
		html_printf(b, "\">%s</a> (tier %lld)</li>", db_col_text(st, 1), (long long)db_col_i64(st, 2));
	}
	if (any)
		html_raw(b, "</ul>");
}

static void get_system(struct ctx *c)
{
	struct reg_system s;
	if (!load_system(c, &s))
		return;
	bool edit = may_edit(c);
	struct web_link cr[4];
	size_t ncr = 0;
	crumbs_org(c, cr, &ncr, s.org_code, s.org_name);
	ctx_page_begin(c, s.name, cr, ncr, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>%s</h1>", s.org_name, s.name);
	unsigned g = systems_gaps(&s, bw_now(), systems_restore_max_days());
	gaps_panel(c, &s, g);
	const char *change = edit ? sys_href(c, s.id, "/edit") : NULL;
	web_summary_begin(b);
	summary_open(b, "What it does for patients", change);
	paragraphs(b, s.function);
	summary_close(b, "What it does for patients", change);
	web_summary_row(b, "Criticality", systems_tier_label(s.tier), change);
	web_summary_row(b, "Owner", s.owner, change);
	web_summary_row(b, "Where it runs", systems_hosting_label(s.hosting), change);
	char sup[LIM_NAME + 1] = "";
	if (s.supplier_id && systems_supplier_name(c->db, s.org_id, s.supplier_id, sup, sizeof sup)) {
		summary_open(b, "Supplier", change);
		html_raw(b, "<a href=\"");
		html_href(b, arena_printf(c->arena, "/suppliers/%lld", (long long)s.supplier_id));
		html_printf(b, "\">%s</a>", sup);
		summary_close(b, "Supplier", change);
	} else {
		web_summary_row(b, "Supplier", NULL, change);
	}
	web_summary_row(b, "Recovery time objective", hours_text(c, s.rto_hours), change);
	web_summary_row(b, "Recovery point objective", hours_text(c, s.rpo_hours), change);
	summary_open(b, "Downtime (paper) procedure", change);
	if (*s.downtime)
		paragraphs(b, s.downtime);
	else
		html_raw(b, "Not recorded");
	summary_close(b, "Downtime (paper) procedure", change);
	web_summary_row(b, "Status", systems_status_label(s.status), change);
	web_summary_end(b);
	if (edit) {
		web_button_link(b, "Change system", sys_href(c, s.id, "/edit"), WEB_BUTTON_SECONDARY);
		web_button_link(b, "Delete system", sys_href(c, s.id, "/delete"), WEB_BUTTON_WARNING);
	}
	backups_section(c, &s, edit);
	restores_section(c, &s, edit);
	deps_section(c, &s, edit);
	html_raw(b, "<h2>Software</h2><p><a href=\"");
	html_href(b, sys_href(c, s.id, "/components"));
	html_raw(b, "\">Software components of this system</a></p>");
	ctx_page_end(c);
}

/* ---- backups, restore tests and dependencies: forms ---- */

static void item_form(struct ctx *c, const struct reg_system *s, const char *title, const char *action,
		      const struct web_field *f, size_t n, const char *const *values,
		      const struct web_form_errors *errs, const char *submit)
{
	struct web_link cr[5];
	size_t ncr = 0;
	crumbs_org(c, cr, &ncr, s->org_code, s->org_name);
	cr[ncr++] = (struct web_link){ s->name, sys_href(c, s->id, NULL) };
	ctx_page_begin(c, title, cr, ncr, errs ? errs->e : NULL, errs ? errs->n : 0);
	html_printf(&c->resp->body, "<span class=\"nhsuk-caption-l\">%s</span><h1>%s</h1>", s->name, title);
	struct web_form form = { .action = action, .fields = f, .fields_n = n, .submit = submit };
	web_form_render(&c->resp->body, &form, values, errs, c->session.csrf);
	ctx_page_end(c);
}

static void backup_page(struct ctx *c, const struct reg_system *s, const char *const *v,
			const struct web_form_errors *errs)
{
	item_form(c, s, "Add a backup", sys_href(c, s->id, "/backups"), backup_fields, BF_COUNT, v, errs, "Add backup");
}

static void get_backup_new(struct ctx *c)
{
	struct reg_system s;
	if (!load_system(c, &s))
		return;
	const char *v[BF_COUNT] = { [BF_FREQUENCY] = "daily" };
	backup_page(c, &s, v, NULL);
}

/* The restore form: "which backup" lists this system's backups. */
static void restore_form(struct ctx *c, const struct reg_system *s, const char *title, const char *action,
			 const char *submit, const char *const *v, const struct web_form_errors *errs)
{
	struct web_field f[RF_COUNT];
	memcpy(f, restore_fields, sizeof f);
	struct web_option *opts = arena_alloc(c->arena, (LIM_DEPS_PER_SYSTEM + 1) * sizeof *opts);
	size_t n = 0;
	opts[n++] = (struct web_option){ "", "Not recorded" };
	struct db_stmt *st = db_prep(c->db, "SELECT id, method, location FROM system_backups WHERE system_id = ?1"
					    " ORDER BY id LIMIT ?2");
	db_bind_i64(st, 1, s->id);
	db_bind_i64(st, 2, LIM_DEPS_PER_SYSTEM);
	while (db_step(st) == DB_ROW)
		opts[n++] = (struct web_option){ arena_printf(c->arena, "%lld", (long long)db_col_i64(st, 0)),
						 arena_printf(c->arena, "%s (%s)", db_col_text(st, 1), db_col_text(st, 2)) };
	f[RF_BACKUP].type = WEB_FIELD_SELECT;
	f[RF_BACKUP].options = opts;
	f[RF_BACKUP].options_n = n;
	item_form(c, s, title, action, f, RF_COUNT, v, errs, submit);
}

static void restore_page(struct ctx *c, const struct reg_system *s, const char *const *v,
			 const struct web_form_errors *errs)
{
	restore_form(c, s, "Record a restore test", sys_href(c, s->id, "/restore-tests"), "Save restore test", v, errs);
}

static void get_restore_new(struct ctx *c)
{
	struct reg_system s;
	if (!load_system(c, &s))
		return;
	char today[24];
	systems_date_format(systems_today(bw_now()), today);
	const char *v[RF_COUNT] = { [RF_DATE] = today, [RF_RESULT] = "success" };
	restore_page(c, &s, v, NULL);
}

/* Three short forms, one per kind of dependency, each with the kind as a
 * hidden field: clearer than one form whose fields depend on a choice. */
static void dep_page(struct ctx *c, const struct reg_system *s, const char *const *v,
		     const struct web_form_errors *errs)
{
	struct web_link cr[5];
	size_t ncr = 0;
	crumbs_org(c, cr, &ncr, s->org_code, s->org_name);
	cr[ncr++] = (struct web_link){ s->name, sys_href(c, s->id, NULL) };
	ctx_page_begin(c, "Add a dependency", cr, ncr, errs ? errs->e : NULL, errs ? errs->n : 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Add a dependency</h1>"
		       "<p>What does %s need in order to work?</p>", s->name, s->name);
	const char *kind = v ? v[DF_KIND] : NULL;
	const char *action = sys_href(c, s->id, "/dependencies");

	struct web_option *sys = arena_alloc(c->arena, (LIM_SYSTEMS_GRAPH + 1) * sizeof *sys);
	size_t nsys = 0;
	sys[nsys++] = (struct web_option){ "", "Choose a system" };
	struct db_stmt *st = db_prep(c->db, "SELECT id, name FROM systems WHERE org_id = ?1 AND id <> ?2"
					    " ORDER BY lower(name), id LIMIT ?3");
	db_bind_i64(st, 1, s->org_id);
	db_bind_i64(st, 2, s->id);
	db_bind_i64(st, 3, LIM_SYSTEMS_GRAPH);
	while (db_step(st) == DB_ROW)
		sys[nsys++] = (struct web_option){ arena_printf(c->arena, "%lld", (long long)db_col_i64(st, 0)),
						   arena_strdup(c->arena, db_col_text(st, 1)) };
	struct web_option *sup = arena_alloc(c->arena, (SUPPLIER_OPTIONS + 1) * sizeof *sup);
	sup[0] = (struct web_option){ "", "Choose a supplier" };
	size_t nsup = 1 + systems_supplier_options(c->db, c->arena, s->org_id, sup + 1, SUPPLIER_OPTIONS);

	struct web_field hidden = { .name = "kind", .type = WEB_FIELD_HIDDEN };
	struct web_field fs = dep_fields[DF_SYSTEM], fp = dep_fields[DF_SUPPLIER];
	fs.type = fp.type = WEB_FIELD_SELECT;
	fs.options = sys, fs.options_n = nsys;
	fp.options = sup, fp.options_n = nsup;
	struct web_field note = dep_fields[DF_NOTE];
	const char *note_v = v ? v[DF_NOTE] : NULL;

	html_raw(b, "<h2>Another system</h2>");
	if (nsys > 1) {
		web_form_begin(b, action, "post", c->session.csrf);
		web_field_render(b, &hidden, "system", NULL);
		web_field_render(b, &fs, kind && !strcmp(kind, "system") ? v[DF_SYSTEM] : NULL,
				 web_form_error_for(errs, "on_system"));
		web_field_render(b, &note, kind && !strcmp(kind, "system") ? note_v : NULL, NULL);
		web_button(b, "Add system dependency", WEB_BUTTON_SECONDARY);
		web_form_end(b);
	} else {
		html_raw(b, "<p>This organisation has no other systems recorded yet.</p>");
	}
	html_raw(b, "<h2>A supplier</h2>");
	if (nsup > 1) {
		web_form_begin(b, action, "post", c->session.csrf);
		web_field_render(b, &hidden, "supplier", NULL);
		web_field_render(b, &fp, kind && !strcmp(kind, "supplier") ? v[DF_SUPPLIER] : NULL,
				 web_form_error_for(errs, "on_supplier"));
		web_button(b, "Add supplier dependency", WEB_BUTTON_SECONDARY);
		web_form_end(b);
	} else {
		html_raw(b, "<p>No suppliers are recorded for this organisation yet.</p>");
	}
	html_raw(b, "<h2>A hosting location or network</h2>");
	web_form_begin(b, action, "post", c->session.csrf);
	web_field_render(b, &hidden, "location", NULL);
	web_field_render(b, &dep_fields[DF_LOCATION], kind && !strcmp(kind, "location") ? v[DF_LOCATION] : NULL,
			 web_form_error_for(errs, "location"));
	web_button(b, "Add location dependency", WEB_BUTTON_SECONDARY);
	web_form_end(b);
	ctx_page_end(c);
}

static void get_dep_new(struct ctx *c)
{
	struct reg_system s;
	if (!load_system(c, &s))
		return;
	dep_page(c, &s, NULL, NULL);
}

typedef enum bw_err (*add_fn)(struct db *, const struct actor *, int64_t, const char *const *, int64_t *,
			      struct bw_error *);
typedef void (*page_fn)(struct ctx *, const struct reg_system *, const char *const *, const struct web_form_errors *);

static void post_item(struct ctx *c, const struct web_field *f, size_t n, add_fn add, page_fn page,
		      const char *anchor, const char *flash)
{
	struct reg_system s;
	if (!load_system(c, &s))
		return;
	const char **v = arena_alloc(c->arena, n * sizeof *v);
	form_values(c, f, n, v);
	struct web_form form = { .fields = f, .fields_n = n };
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	if (web_form_validate(&form, v, &errs) == BW_OK && add(c->db, &c->actor, s.id, v, NULL, &e) != BW_OK) {
		if (e.code == BW_EDB || e.code == BW_EINTERNAL)
			return ctx_error(c, 500, &e);
		web_form_errors_add(&errs, e.field[0] ? e.field : f[0].name, e.msg);
	}
	if (errs.n) {
		page(c, &s, v, &errs);
		c->resp->status = 400;
		return;
	}
	ctx_redirect(c, sys_href(c, s.id, anchor), flash);
}

static void post_backup(struct ctx *c)
{
	post_item(c, backup_fields, BF_COUNT, systems_backup_add, backup_page, "#backups", "Backup added");
}

static void post_restore(struct ctx *c)
{
	post_item(c, restore_fields, RF_COUNT, systems_restore_add, restore_page, "#restore-tests",
		  "Restore test recorded");
}

static void post_dep(struct ctx *c)
{
	post_item(c, dep_fields, DF_COUNT, systems_dep_add, dep_page, "#dependencies", "Dependency added");
}

/* ---- changing a backup or restore test ---- */

/* The route's backup of s as form values, or a 404 answered when it is not
 * one of this system's. */
static bool load_backup(struct ctx *c, const struct reg_system *s, int64_t *id, const char **v)
{
	if (!str_to_i64(str_c(ctx_param(c, "backup")), 1, INT64_MAX, id)) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return false;
	}
	struct db_stmt *st = db_prep(c->db, "SELECT method, frequency, offline, immutable, location FROM system_backups"
					    " WHERE id = ?1 AND system_id = ?2");
	db_bind_i64(st, 1, *id);
	db_bind_i64(st, 2, s->id);
	if (db_step(st) != DB_ROW) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return false;
	}
	v[BF_METHOD] = arena_strdup(c->arena, db_col_text(st, 0));
	v[BF_FREQUENCY] = arena_strdup(c->arena, db_col_text(st, 1));
	v[BF_OFFLINE] = db_col_i64(st, 2) ? "1" : "";
	v[BF_IMMUTABLE] = db_col_i64(st, 3) ? "1" : "";
	v[BF_LOCATION] = arena_strdup(c->arena, db_col_text(st, 4));
	db_reset(st);
	return true;
}

static bool load_restore(struct ctx *c, const struct reg_system *s, int64_t *id, const char **v)
{
	if (!str_to_i64(str_c(ctx_param(c, "restore")), 1, INT64_MAX, id)) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return false;
	}
	struct db_stmt *st = db_prep(c->db, "SELECT tested_on, result, minutes, backup_id, notes FROM restore_tests"
					    " WHERE id = ?1 AND system_id = ?2");
	db_bind_i64(st, 1, *id);
	db_bind_i64(st, 2, s->id);
	if (db_step(st) != DB_ROW) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return false;
	}
	char d[24];
	systems_date_format(db_col_i64(st, 0), d);
	v[RF_DATE] = arena_strdup(c->arena, d);
	v[RF_RESULT] = arena_strdup(c->arena, db_col_text(st, 1));
	v[RF_MINUTES] = db_col_isnull(st, 2) ? "" : arena_printf(c->arena, "%lld", (long long)db_col_i64(st, 2));
	v[RF_BACKUP] = db_col_isnull(st, 3) ? "" : arena_printf(c->arena, "%lld", (long long)db_col_i64(st, 3));
	v[RF_NOTES] = arena_strdup(c->arena, db_col_text(st, 4) ? db_col_text(st, 4) : "");
	db_reset(st);
	return true;
}

static void backup_edit_page(struct ctx *c, const struct reg_system *s, int64_t id, const char *const *v,
			     const struct web_form_errors *errs)
{
	item_form(c, s, "Change backup", sys_href(c, s->id, arena_printf(c->arena, "/backups/%lld/edit", (long long)id)),
		  backup_fields, BF_COUNT, v, errs, "Save backup");
}

static void restore_edit_page(struct ctx *c, const struct reg_system *s, int64_t id, const char *const *v,
			      const struct web_form_errors *errs)
{
	restore_form(c, s, "Change restore test",
		     sys_href(c, s->id, arena_printf(c->arena, "/restore-tests/%lld/edit", (long long)id)),
		     "Save restore test", v, errs);
}

typedef bool (*load_item_fn)(struct ctx *, const struct reg_system *, int64_t *, const char **);
typedef void (*edit_page_fn)(struct ctx *, const struct reg_system *, int64_t, const char *const *,
			     const struct web_form_errors *);
typedef enum bw_err (*update_fn)(struct db *, const struct actor *, int64_t, int64_t, const char *const *,
				 struct bw_error *);

static void get_item_edit(struct ctx *c, size_t n, load_item_fn load, edit_page_fn page)
{
	struct reg_system s;
	int64_t id;
	const char **v = arena_alloc(c->arena, n * sizeof *v);
	if (!load_system(c, &s) || !load(c, &s, &id, v))
		return;
	page(c, &s, id, v, NULL);
}

static void post_item_edit(struct ctx *c, const struct web_field *f, size_t n, load_item_fn load, update_fn update,
			   edit_page_fn page, const char *anchor, const char *flash)
{
	struct reg_system s;
	int64_t id;
	const char **v = arena_alloc(c->arena, n * sizeof *v);
	if (!load_system(c, &s) || !load(c, &s, &id, v))
		return;
	form_values(c, f, n, v);
	struct web_form form = { .fields = f, .fields_n = n };
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	if (web_form_validate(&form, v, &errs) == BW_OK && update(c->db, &c->actor, s.id, id, v, &e) != BW_OK) {
		if (e.code == BW_ENOTFOUND)
			return ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		if (e.code == BW_EDB || e.code == BW_EINTERNAL)
			return ctx_error(c, 500, &e);
		web_form_errors_add(&errs, e.field[0] ? e.field : f[0].name, e.msg);
	}
	if (errs.n) {
		page(c, &s, id, v, &errs);
		c->resp->status = 400;
		return;
	}
	ctx_redirect(c, sys_href(c, s.id, anchor), flash);
}

static void get_backup_edit(struct ctx *c)
{
	get_item_edit(c, BF_COUNT, load_backup, backup_edit_page);
}

static void post_backup_edit(struct ctx *c)
{
	post_item_edit(c, backup_fields, BF_COUNT, load_backup, systems_backup_update, backup_edit_page, "#backups",
		       "Backup changed");
}

static void get_restore_edit(struct ctx *c)
{
	get_item_edit(c, RF_COUNT, load_restore, restore_edit_page);
}

static void post_restore_edit(struct ctx *c)
{
	post_item_edit(c, restore_fields, RF_COUNT, load_restore, systems_restore_update, restore_edit_page,
		       "#restore-tests", "Restore test changed");
}

typedef enum bw_err (*del_fn)(struct db *, const struct actor *, int64_t, int64_t, struct bw_error *);

static void post_item_delete(struct ctx *c, const char *param, del_fn del, const char *anchor, const char *flash)
{
	struct reg_system s;
	int64_t id;
	struct bw_error e = { 0 };
	if (!load_system(c, &s))
		return;
	if (!str_to_i64(str_c(ctx_param(c, param)), 1, INT64_MAX, &id))
		return ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
	if (del(c->db, &c->actor, s.id, id, &e) != BW_OK) {
		if (e.code == BW_ENOTFOUND)
			return ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return ctx_error(c, web_err_status(e.code), &e);
	}
	ctx_redirect(c, sys_href(c, s.id, anchor), flash);
}

static void post_backup_delete(struct ctx *c)
{
	post_item_delete(c, "backup", systems_backup_delete, "#backups", "Backup deleted");
}

static void post_restore_delete(struct ctx *c)
{
	post_item_delete(c, "restore", systems_restore_delete, "#restore-tests", "Restore test deleted");
}

static void post_dep_delete(struct ctx *c)
{
	post_item_delete(c, "dependency", systems_dep_delete, "#dependencies", "Dependency removed");
}

/* ---- the dependency graph ---- */

static void get_graph(struct ctx *c)
{
	struct org o;
	if (!systems_load_org(c, &o))
		return;
	struct graph g;
	struct bw_error e = { 0 };
	if (graph_load(c->db, c->arena, o.id, &g, &e) != BW_OK)
		return ctx_error(c, 500, &e);
	struct web_link cr[4];
	size_t ncr = 0;
	crumbs_org(c, cr, &ncr, o.code, o.name);
	ctx_page_begin(c, arena_printf(c->arena, "Dependencies of %s", o.name), cr, ncr, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Dependencies and single points of failure</h1>",
		    o.name);
	html_raw(b, "<p>A single point of failure is a system, supplier, hosting location or network on which two or "
		    "more tier 1 systems depend, directly or through other systems. If it stops, they all stop: "
		    "split them where you can, and plan for it.</p>");
	size_t nspof = 0;
	for (size_t i = 0; i < g.n; i++)
		nspof += graph_is_spof(&g.nodes[i]);
	html_raw(b, "<h2>Single points of failure</h2>");
	if (!nspof) {
		html_raw(b, "<p>None found in what is recorded.</p>");
	} else {
		struct web_column cols[] = { { "What", false }, { "Kind", false }, { "Tier 1 systems that depend on it", true } };
		struct web_table t;
		web_table_begin(&t, b, "What two or more tier 1 systems depend on", cols, 3);
		for (size_t i = 0; i < g.n; i++) {
			const struct graph_node *n = &g.nodes[i];
			if (!graph_is_spof(n))
				continue;
			web_table_row_begin(&t);
			if (n->kind == GRAPH_SYSTEM)
				web_table_cell_link(&t, n->label, sys_href(c, n->id, NULL));
			else
				web_table_cell(&t, n->label);
			web_table_cell(&t, n->kind == GRAPH_SYSTEM ? "System" : n->kind == GRAPH_SUPPLIER ? "Supplier"
													  : "Location or network");
			web_table_cell_num(&t, n->dependents_tier1);
			web_table_row_end(&t);
		}
		web_table_end(&t);
	}
	html_raw(b, "<h2>Dependency graph</h2>");
	if (!g.n) {
		html_raw(b, "<p>No systems recorded yet.</p>");
	} else {
		if (g.truncated)
			html_printf(b, "<p>Only the first %d systems are drawn.</p>", LIM_SYSTEMS_GRAPH);
		html_raw(b, "<p>Each arrow points from a system to what it depends on. Red borders mark single "
			    "points of failure.</p><div class=\"nhsuk-table-container\" tabindex=\"0\" role=\"region\" "
			    "aria-label=\"Dependency graph (scrolls sideways)\">");
		graph_svg(b, &g, arena_printf(c->arena, "Dependency graph of %s", o.name));
		html_raw(b, "</div>");
		struct web_column cols[] = { { "System", false }, { "Depends on", false }, { "Kind", false } };
		struct web_table t;
		web_table_begin(&t, b, "The same dependencies as a table", cols, 3);
		for (size_t e2 = 0; e2 < g.ne; e2++) {
			const struct graph_node *f = &g.nodes[g.edges[e2].from], *to = &g.nodes[g.edges[e2].to];
			web_table_row_begin(&t);
			web_table_cell_link(&t, f->label, sys_href(c, f->id, NULL));
			web_table_cell(&t, graph_is_spof(to) ? arena_printf(c->arena, "%s (single point of failure)", to->label)
							     : to->label);
			web_table_cell(&t, to->kind == GRAPH_SYSTEM ? "System" : to->kind == GRAPH_SUPPLIER ? "Supplier"
													   : "Location or network");
			web_table_row_end(&t);
		}
		if (!g.ne)
			web_table_empty(&t, 3, "No dependencies recorded");
		web_table_end(&t);
	}
	ctx_page_end(c);
}

const struct route systems_routes[] = {
	{ "GET", "/orgs/{org}/systems", get_list, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/systems.csv", get_csv, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/systems/new", get_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "POST", "/orgs/{org}/systems", post_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "GET", "/orgs/{org}/systems/dependencies", get_graph, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/systems/{system}", get_system, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "system" },
	{ "GET", "/systems/{system}/edit", get_edit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "POST", "/systems/{system}/edit", post_edit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "GET", "/systems/{system}/delete", get_delete, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "POST", "/systems/{system}/delete", post_delete, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "GET", "/systems/{system}/backups/new", get_backup_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "POST", "/systems/{system}/backups", post_backup, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "GET", "/systems/{system}/backups/{backup}/edit", get_backup_edit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT,
	  "backup" },
	{ "POST", "/systems/{system}/backups/{backup}/edit", post_backup_edit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT,
	  "backup" },
	{ "POST", "/systems/{system}/backups/{backup}/delete", post_backup_delete, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT,
	  "backup" },
	{ "GET", "/systems/{system}/restore-tests/new", get_restore_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "POST", "/systems/{system}/restore-tests", post_restore, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "GET", "/systems/{system}/restore-tests/{restore}/edit", get_restore_edit, ROUTE_PAGE, AUTH_SIGNED_IN,
	  ACT_EDIT, "restore" },
	{ "POST", "/systems/{system}/restore-tests/{restore}/edit", post_restore_edit, ROUTE_PAGE, AUTH_SIGNED_IN,
	  ACT_EDIT, "restore" },
	{ "POST", "/systems/{system}/restore-tests/{restore}/delete", post_restore_delete, ROUTE_PAGE, AUTH_SIGNED_IN,
	  ACT_EDIT, "restore" },
	{ "GET", "/systems/{system}/dependencies/new", get_dep_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "POST", "/systems/{system}/dependencies", post_dep, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "system" },
	{ "POST", "/systems/{system}/dependencies/{dependency}/delete", post_dep_delete, ROUTE_PAGE, AUTH_SIGNED_IN,
	  ACT_EDIT, "dependency" },
	SYSTEMS_API_ROUTES
	{ NULL },
};

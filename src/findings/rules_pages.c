/*
 * rules_pages: the rule library, for analysts and administrators.
 *   /detect/rules                 search, filter (enabled, disabled, refused),
 *                                 hit counts, load errors; import a rule file
 *   /detect/rules/{rule}          one rule: its YAML, its load error, enable or disable
 * Rules belong to the instance, not to an organisation, so these routes
 * have no target organisation; the handlers admit analysts and
 * administrators only.
 */
#include <stdio.h>
#include <string.h>

#include "app/routes.h"
#include "findings/findings_int.h"

#define PAGE_SIZE 50

static bool analyst_only(struct ctx *c)
{
	if (findings_is_analyst(&c->actor))
		return true;
	ctx_fail(c, BW_EFORBIDDEN, NULL, "Only analysts and administrators manage the detection rules");
	return false;
}

#define RULE_WHERE " WHERE (CAST(?1 AS TEXT) IS NULL OR lower(title) LIKE lower(?1) OR uuid = ?2 OR lower(author) LIKE lower(?1)" \
	" OR lower(tags) LIKE lower(?1))" \
	" AND (?3 = '' OR (?3 = 'enabled' AND enabled = 1 AND load_error IS NULL) OR (?3 = 'disabled' AND enabled = 0)" \
	" OR (?3 = 'refused' AND load_error IS NOT NULL) OR (?3 = 'fired' AND hits > 0))"

struct rule_query {
	const char *q, *like, *show;
};

static void rule_args(struct ctx *c, struct rule_query *rq)
{
	rq->q = ctx_query(c, "q");
	if (rq->q && !*rq->q)
		rq->q = NULL;
	if (rq->q && strlen(rq->q) > LIM_NAME)
		rq->q = arena_strndup(c->arena, rq->q, LIM_NAME);
	rq->like = rq->q ? arena_printf(c->arena, "%%%s%%", rq->q) : NULL;
	const char *s = ctx_query(c, "show");
	rq->show = "";
	static const char *const shows[] = { "enabled", "disabled", "refused", "fired" };
	for (size_t i = 0; s && i < BW_NELEM(shows); i++)
		if (!strcmp(s, shows[i]))
			rq->show = shows[i];
}

static void rule_bind(struct db_stmt *st, const struct rule_query *rq)
{
	db_bind_text(st, 1, rq->like);
	db_bind_text(st, 2, rq->q);
	db_bind_text(st, 3, rq->show);
}

static void rules_page(struct ctx *c, const struct bw_error *err, const struct findings_import *im)
{
	struct rule_query rq;
	rule_args(c, &rq);
	int64_t page = pages_page_number(c);
	struct db_stmt *st = db_prep(c->db, "SELECT count(*), coalesce(sum(CASE WHEN load_error IS NOT NULL THEN 1 ELSE 0 END), 0),"
					    " coalesce(sum(CASE WHEN enabled = 1 AND load_error IS NULL THEN 1 ELSE 0 END), 0)"
					    " FROM detect_rules");
	int64_t all = 0, refused = 0, enabled = 0;
	if (db_step(st) == DB_ROW) {
		all = db_col_i64(st, 0);
		refused = db_col_i64(st, 1);
		enabled = db_col_i64(st, 2);
		db_reset(st);
	}
	st = db_prep(c->db, "SELECT count(*) FROM detect_rules" RULE_WHERE);
	rule_bind(st, &rq);
	int64_t total = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);

	struct web_link crumbs[] = { { "Home", "/" } };
	ctx_page_begin(c, "Detection rules", crumbs, 1, err, err ? 1 : 0);
	struct buf *b = &c->resp->body;
	html_raw(b, "<h1>Detection rules</h1>");
	html_printf(b, "<p>%lld rules in the library: %lld enabled, %lld refused by the engine (each with its reason). "
		       "Findings are made by the enabled rules only.</p>",
		    (long long)all, (long long)enabled, (long long)refused);
	if (im)
		html_printf(b, "<div class=\"nhsuk-inset-text\"><p>Imported %lld file: %lld loaded, %lld refused by the engine, "
			       "%lld new, %lld updated.</p></div>", (long long)im->files, (long long)im->loaded,
			    (long long)im->failed, (long long)im->added, (long long)im->updated);

	html_raw(b, "<form class=\"bw-search\" action=\"/detect/rules\" method=\"get\" role=\"search\" aria-label=\"Search rules\">"
		    "<div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"q\">Search by title, author, tag or id</label>"
		    "<input class=\"nhsuk-input nhsuk-u-width-one-half\" id=\"q\" name=\"q\" type=\"search\" maxlength=\"200\" value=\"");
	html_attr(b, rq.q ? rq.q : "");
	html_raw(b, "\"></div><div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"show\">Show</label>"
		    "<select class=\"nhsuk-select\" id=\"show\" name=\"show\">");
	static const struct web_option shows[] = { { "", "All rules" }, { "enabled", "Enabled" }, { "disabled", "Disabled" },
						   { "refused", "Refused by the engine" }, { "fired", "Have fired" } };
	for (size_t i = 0; i < BW_NELEM(shows); i++)
		html_printf(b, "<option value=\"%s\"%s>%s</option>", shows[i].value,
			    !strcmp(rq.show, shows[i].value) ? " selected" : "", shows[i].label);
	html_raw(b, "</select></div>");
	web_button(b, "Search", WEB_BUTTON_SECONDARY);
	html_raw(b, "</form>");

	st = db_prep(c->db, "SELECT id, title, author, level, status, enabled, hits, load_error FROM detect_rules" RULE_WHERE
			    " ORDER BY hits DESC, title, id LIMIT ?4 OFFSET ?5");
	rule_bind(st, &rq);
	db_bind_i64(st, 4, PAGE_SIZE);
	db_bind_i64(st, 5, (page - 1) * PAGE_SIZE);
	struct web_column cols[] = { { "Rule and author", false }, { "Level", false }, { "Status", false },
				     { "In use", false }, { "Findings", true } };
	char caption[64];
	snprintf(caption, sizeof caption, "%lld rule%s", (long long)total, total == 1 ? "" : "s");
	struct web_table t;
	web_table_begin(&t, b, caption, cols, 5);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell_open(&t);
		html_printf(b, "<a href=\"/detect/rules/%lld\">%s</a><br><span class=\"nhsuk-body-s\">By %s</span>",
			    (long long)db_col_i64(st, 0), db_col_text(st, 1),
			    *db_col_text(st, 2) ? db_col_text(st, 2) : "an unnamed author");
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		web_tag(b, *db_col_text(st, 3) ? db_col_text(st, 3) : "none", findings_level_colour(db_col_text(st, 3)));
		web_table_cell_close(&t);
		web_table_cell(&t, db_col_text(st, 4));
		web_table_cell_open(&t);
		if (db_col_text(st, 7)) {
			web_tag(b, "Refused", WEB_TAG_RED);
			html_raw(b, "<br><span class=\"nhsuk-body-s\">");
			html_text(b, db_col_text(st, 7));
			html_raw(b, "</span>");
		} else if (db_col_i64(st, 5)) {
			web_tag(b, "Enabled", WEB_TAG_GREEN);
		} else {
			web_tag(b, "Disabled", WEB_TAG_GREY);
		}
		web_table_cell_close(&t);
		web_table_cell_num(&t, db_col_i64(st, 6));
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 5, "No rules match");
	web_table_end(&t);
	struct buf qs;
	buf_init(&qs);
	buf_puts(&qs, "/detect/rules?show=");
	buf_puts(&qs, rq.show);
	buf_puts(&qs, "&q=");
	html_url_component(&qs, rq.q ? rq.q : "");
	web_pagination(b, arena_strdup(c->arena, buf_cstr(&qs)), page, (total + PAGE_SIZE - 1) / PAGE_SIZE);
	buf_free(&qs);

	html_raw(b, "<h2>Import a rule</h2><p>A Sigma rule file (.yml). A rule with the same id is updated in place; it "
		    "keeps whether it is enabled and its findings. A whole SigmaHQ release is imported with "
		    "<code>bulwark findings rules import DIR</code>.</p>");
	html_raw(b, "<form action=\"/detect/rules/import\" method=\"post\" enctype=\"multipart/form-data\" novalidate>");
	web_csrf_input(b, c->session.csrf);
	const char *ferr = err && !strcmp(err->field, "file") ? err->msg : NULL;
	html_printf(b, "<div class=\"nhsuk-form-group%s\"><label class=\"nhsuk-label\" for=\"file\">Rule file</label>",
		    ferr ? " nhsuk-form-group--error" : "");
	if (ferr)
		html_printf(b, "<span class=\"nhsuk-error-message\" id=\"file-error\"><span class=\"nhsuk-u-visually-hidden\">"
			       "Error:</span> %s</span>", ferr);
	html_printf(b, "<input class=\"nhsuk-input%s\" id=\"file\" name=\"file\" type=\"file\" accept=\".yml,.yaml\"%s></div>",
		    ferr ? " nhsuk-input--error" : "", ferr ? " aria-describedby=\"file-error\"" : "");
	web_button(b, "Import", WEB_BUTTON_PRIMARY);
	html_raw(b, "</form>");
	ctx_page_end(c);
}

static void get_rules(struct ctx *c)
{
	if (!analyst_only(c))
		return;
	rules_page(c, NULL, NULL);
}

static void post_import(struct ctx *c)
{
	if (!analyst_only(c))
		return;
	const struct http_upload *u = http_upload_get(c->req, "file");
	struct bw_error e = { 0 };
	struct findings_import im = { 0 };
	enum bw_err rc;
	if (!u || u->len == 0)
		rc = bw_fail(&e, BW_EINVAL, "file", "Choose a rule file to import");
	else
		rc = findings_rules_import_text(c->db, &c->actor, *u->filename ? u->filename : "rule.yml", u->data, u->len,
						&im, &e);
	if (rc != BW_OK) {
		if (!e.field[0])
			snprintf(e.field, sizeof e.field, "file");
		rules_page(c, &e, NULL);
		c->resp->status = rc == BW_ELIMIT ? 413 : web_err_status(rc);
		return;
	}
	rules_page(c, NULL, &im);
}

static bool load_rule_id(struct ctx *c, int64_t *id)
{
	bool ok = str_to_i64(str_c(ctx_param(c, "rule")), 1, INT64_MAX, id);
	if (ok) {
		struct db_stmt *st = db_prep(c->db, "SELECT 1 FROM detect_rules WHERE id = ?1");
		db_bind_i64(st, 1, *id);
		ok = db_step(st) == DB_ROW;
		if (ok)
			db_reset(st);
	}
	if (!ok) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return false;
	}
	return true;
}

static void get_rule(struct ctx *c)
{
	int64_t id;
	if (!analyst_only(c) || !load_rule_id(c, &id))
		return;
	struct db_stmt *st = db_prep(c->db, "SELECT title, uuid, level, status, author, tags, logsource, path, yaml, enabled,"
					    " load_error, imported_at, hits FROM detect_rules WHERE id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
	const char *v[13];
	for (int i = 0; i < 13; i++)
		v[i] = db_col_text(st, i) ? arena_strdup(c->arena, db_col_text(st, i)) : NULL;
	bool enabled = db_col_i64(st, 9) != 0;
	int64_t imported = db_col_i64(st, 11);
	db_reset(st);
	struct web_link crumbs[] = { { "Home", "/" }, { "Detection rules", "/detect/rules" } };
	ctx_page_begin(c, arena_printf(c->arena, "Rule: %s", v[0]), crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">Detection rule</span><h1>%s</h1>", v[0]);
	if (v[10]) {
		html_raw(b, "<div class=\"nhsuk-warning-callout\"><h2 class=\"nhsuk-warning-callout__label\">"
			    "<span role=\"text\"><span class=\"nhsuk-u-visually-hidden\">Important: </span>Refused by the engine"
			    "</span></h2><p>");
		html_text(b, v[10]);
		html_raw(b, "</p></div>");
	}
	web_summary_begin(b);
	web_summary_row(b, "Rule id", v[1], NULL);
	web_summary_row(b, "Author", v[4], NULL);
	web_summary_row(b, "Level", v[2], NULL);
	web_summary_row(b, "Status", v[3], NULL);
	web_summary_row(b, "Tags", v[5], NULL);
	web_summary_row(b, "Log source", v[6], NULL);
	web_summary_row(b, "File", v[7], NULL);
	char when[48];
	bw_time_london(imported, when);
	web_summary_row(b, "Imported", when, NULL);
	web_summary_row(b, "Findings made", v[12], NULL);
	web_summary_row(b, "In use", v[10] ? "No: refused by the engine" : enabled ? "Enabled" : "Disabled", NULL);
	web_summary_end(b);
	html_printf(b, "<p><a href=\"/findings/rollup?rule=%lld\">Where this rule fires</a></p>", (long long)id);
	if (!v[10]) {
		html_printf(b, "<form action=\"/detect/rules/%lld/enabled\" method=\"post\">", (long long)id);
		web_csrf_input(b, c->session.csrf);
		html_printf(b, "<input type=\"hidden\" name=\"enabled\" value=\"%s\">", enabled ? "0" : "1");
		web_button(b, enabled ? "Disable this rule" : "Enable this rule", enabled ? WEB_BUTTON_WARNING : WEB_BUTTON_PRIMARY);
		html_raw(b, "</form>");
	}
	html_raw(b, "<h2>Rule text</h2><pre class=\"bw-pre\" tabindex=\"0\"><code>");
	html_text(b, v[8]);
	html_raw(b, "</code></pre>");
	ctx_page_end(c);
}

static void post_enabled(struct ctx *c)
{
	int64_t id;
	if (!analyst_only(c) || !load_rule_id(c, &id))
		return;
	const char *v = ctx_form(c, "enabled");
	if (!v || (strcmp(v, "0") && strcmp(v, "1")))
		return ctx_fail(c, BW_EINVAL, "enabled", "enabled must be 0 or 1");
	struct bw_error e = { 0 };
	if (findings_rule_set_enabled(c->db, &c->actor, id, v[0] == '1', &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/detect/rules/%lld", (long long)id),
		     v[0] == '1' ? "Rule enabled" : "Rule disabled");
}

/* GET /api/v1/detect/rules: the library with hit counts and load errors. */
static void json_rule(struct web_json *j, struct db_stmt *st)
{
	web_json_object(j);
	web_json_key(j, "id");
	web_json_int(j, db_col_i64(st, 0));
	web_json_key(j, "rule_id");
	web_json_str(j, db_col_text(st, 1));
	web_json_key(j, "title");
	web_json_str(j, db_col_text(st, 2));
	web_json_key(j, "author");
	web_json_str(j, db_col_text(st, 3));
	web_json_key(j, "level");
	web_json_str(j, db_col_text(st, 4));
	web_json_key(j, "status");
	web_json_str(j, db_col_text(st, 5));
	web_json_key(j, "enabled");
	web_json_bool(j, db_col_i64(st, 6) != 0);
	web_json_key(j, "hits");
	web_json_int(j, db_col_i64(st, 7));
	web_json_key(j, "load_error");
	web_json_str(j, db_col_text(st, 8));
	web_json_end(j);
}

static void api_rules(struct ctx *c)
{
	if (!analyst_only(c))
		return;
	struct rule_query rq;
	rule_args(c, &rq);
	struct db_stmt *st = db_prep(c->db, "SELECT id, uuid, title, author, level, status, enabled, hits, load_error"
					    " FROM detect_rules" RULE_WHERE " ORDER BY id LIMIT ?4 OFFSET ?5");
	rule_bind(st, &rq);
	ctx_api_list(c, st, 4, json_rule);
}

const struct route findings_rules_routes[] = {
	{ "GET", "/detect/rules", get_rules, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "POST", "/detect/rules/import", post_import, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ "GET", "/detect/rules/{rule}", get_rule, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "POST", "/detect/rules/{rule}/enabled", post_enabled, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ "GET", "/api/v1/detect/rules", api_rules, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ NULL },
};

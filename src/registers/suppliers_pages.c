/*
 * suppliers_pages: the supplier register's pages, CSV export and JSON API.
 *   /orgs/{org}/suppliers        the suppliers an organisation uses (owned in
 *                                its subtree or linked by it), search, filter,
 *                                CSV, add one, link a shared record
 *   /suppliers/{supplier}        one record: its rating explained, assurances,
 *                                the systems it supplies, contracts, contacts
 *   /api/v1/orgs/{org}/suppliers and /api/v1/suppliers/{supplier}
 * Reading a supplier record declares no route target: a linking organisation
 * may read a record owned outside its subtree, which the pipeline's subtree
 * check would refuse, so those handlers call sr_supplier_access() first and
 * answer 404 when it says no. Every change declares a target (the supplier,
 * the contract or the organisation) and the pipeline checks it. What a page
 * shows about other organisations (contracts, links, systems) is limited to
 * the reader's own subtree.
 */
#include <stdio.h>
#include <string.h>

#include "app/routes.h"
#include "registers/suppliers_risks.h"

static bool id_param(struct ctx *c, const char *name, int64_t *id)
{
	const char *v = ctx_param(c, name);
	return v && str_to_i64(str_c(v), 1, INT64_MAX, id);
}

static void not_found(struct ctx *c)
{
	ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
}

static bool load_org(struct ctx *c, struct org *o)
{
	if (orgs_get_by_code(c->db, ctx_param(c, "org"), o, NULL) != BW_OK) {
		not_found(c);
		return false;
	}
	return true;
}

static struct org_ref org_ref_of(const struct org *o)
{
	struct org_ref r = { o->id, "" };
	snprintf(r.path, sizeof r.path, "%s", o->path);
	return r;
}

/* The supplier of the route, if the actor may take act on it. */
static bool load_supplier(struct ctx *c, enum action act, struct sr_supplier *s)
{
	int64_t id;
	if (!id_param(c, "supplier", &id) || sr_supplier_access(c->db, &c->actor, act, id, NULL) != BW_OK ||
	    sr_supplier_get(c->db, c->arena, id, s) != BW_OK) {
		not_found(c);
		return false;
	}
	return true;
}

static bool can_edit_owner(struct ctx *c, const struct sr_supplier *s)
{
	struct org_ref r = { s->org_id, "" };
	snprintf(r.path, sizeof r.path, "%s", s->owner_path);
	return orgs_can(&c->actor, ACT_EDIT, &r);
}

/* The owner's name where the reader may know it: in their subtree, or one of
 * their ancestors (who offered the record). */
static const char *owner_shown(struct ctx *c, const struct sr_supplier *s)
{
	struct org_ref r = { s->org_id, "" };
	snprintf(r.path, sizeof r.path, "%s", s->owner_path);
	size_t n = strlen(s->owner_path);
	if (orgs_can(&c->actor, ACT_VIEW, &r) || (n && strncmp(c->actor.org_path, s->owner_path, n) == 0))
		return s->owner_name;
	return NULL;
}

static void rate(struct ctx *c, const struct sr_supplier *s, const char *lo, const char *hi, struct sr_rating *out)
{
	struct sr_assurance a;
	sr_supplier_assurance(s, &a);
	int64_t tiers[4];
	sr_supplier_tiers(c->db, s->id, lo, hi, tiers);
	char today[11];
	sr_today(today);
	sr_supplier_rate(&a, tiers, today, out);
}

static enum web_tag_colour level_colour(enum sr_level l)
{
	return l == SR_HIGH ? WEB_TAG_RED : l == SR_MEDIUM ? WEB_TAG_YELLOW : WEB_TAG_GREEN;
}

static void show_date(struct buf *b, const char *iso)
{
	char d[32];
	sr_date_show(iso, d);
	html_text(b, d);
}

/* ---- the list ---- */

/* Suppliers an organisation uses: owned in its subtree or linked from it. */
#define IN_SCOPE "s.id IN (SELECT s2.id FROM suppliers s2 JOIN orgs o2 ON o2.id = s2.org_id" \
	" WHERE o2.path >= ?1 AND o2.path < ?2 UNION SELECT l.supplier_id FROM supplier_links l" \
	" JOIN orgs o3 ON o3.id = l.org_id WHERE o3.path >= ?1 AND o3.path < ?2)"
#define FILTERS " AND (CAST(?3 AS TEXT) IS NULL OR lower(s.name) LIKE lower(?3) OR lower(s.services) LIKE lower(?3)" \
	" OR s.company_number = upper(?4)) AND (?5 = 0 OR s.ce_level = 'none' OR s.ce_expiry < ?6" \
	" OR s.iso_expiry < ?6 OR s.dspt_status IN ('not_published', 'standards_not_met'))"

struct list_query {
	const char *q, *like;
	bool gaps;
	char today[11];
	char lo[256], hi[256];
};

static void list_args(struct ctx *c, const struct org *o, struct list_query *lq)
{
	lq->q = ctx_query(c, "q");
	if (lq->q && !*lq->q)
		lq->q = NULL;
	if (lq->q && strlen(lq->q) > LIM_NAME)
		lq->q = arena_strndup(c->arena, lq->q, LIM_NAME);
	lq->like = lq->q ? arena_printf(c->arena, "%%%s%%", lq->q) : NULL;
	const char *f = ctx_query(c, "assurance");
	lq->gaps = f && strcmp(f, "gaps") == 0;
	sr_today(lq->today);
	orgs_subtree_bounds(o->path, lq->lo, lq->hi);
}

static void list_bind(struct db_stmt *st, const struct list_query *lq)
{
	db_bind_text(st, 1, lq->lo);
	db_bind_text(st, 2, lq->hi);
	db_bind_text(st, 3, lq->like);
	db_bind_text(st, 4, lq->q);
	db_bind_i64(st, 5, lq->gaps);
	db_bind_text(st, 6, lq->today);
}

static void ce_status(struct buf *b, const struct sr_supplier *s, const char *today)
{
	struct sr_assurance a;
	sr_supplier_assurance(s, &a);
	struct sr_flag f[6];
	size_t n = sr_assurance_flags(&a, today, f, 6);
	for (size_t i = 0; i < n; i++)
		if (f[i].which == 0) {
			web_tag(b, f[i].tag, f[i].gap ? WEB_TAG_RED : WEB_TAG_YELLOW);
			return;
		}
	web_tag(b, sr_ce_label(a.ce), WEB_TAG_GREEN);
}

static void get_suppliers(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	struct list_query lq;
	list_args(c, &o, &lq);
	int64_t page = pages_page_number(c);
	struct db_stmt *st = db_prep(c->db, "SELECT count(*) FROM suppliers s WHERE " IN_SCOPE FILTERS);
	list_bind(st, &lq);
	int64_t total = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);

	struct web_link crumbs[] = { { "Home", "/" }, { o.name, arena_printf(c->arena, "/orgs/%s", o.code) },
				     { "Registers", arena_printf(c->arena, "/orgs/%s/registers", o.code) } };
	ctx_page_begin(c, arena_printf(c->arena, "Suppliers - %s", o.name), crumbs, 3, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Suppliers</h1>", o.name);
	html_raw(b, "<p>The companies this organisation relies on, what their security certificates say, and how "
		    "much risk they bring. A supplier used by many organisations is recorded once and linked by each.</p>");
	struct org_ref oref = org_ref_of(&o);
	if (orgs_can(&c->actor, ACT_EDIT, &oref))
		web_button_link(b, "Add a supplier", arena_printf(c->arena, "/orgs/%s/suppliers/new", o.code),
				WEB_BUTTON_PRIMARY);

	/* search and filter, one GET form */
	html_printf(b, "<form class=\"bw-search\" action=\"/orgs/%s/suppliers\" method=\"get\" role=\"search\">", o.code);
	html_raw(b, "<div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"q\">Search by name, service or "
		    "company number</label><input class=\"nhsuk-input nhsuk-u-width-one-half\" id=\"q\" name=\"q\" "
		    "type=\"search\" maxlength=\"200\" value=\"");
	html_attr(b, lq.q ? lq.q : "");
	html_raw(b, "\"></div><div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"assurance\">Show"
		    "</label><select class=\"nhsuk-select\" id=\"assurance\" name=\"assurance\">");
	html_printf(b, "<option value=\"\"%s>All suppliers</option>", lq.gaps ? "" : " selected");
	html_printf(b, "<option value=\"gaps\"%s>Only those with missing, expired or failed assurances</option>",
		    lq.gaps ? " selected" : "");
	html_raw(b, "</select></div>");
	web_button(b, "Search", WEB_BUTTON_SECONDARY);
	html_raw(b, "</form>");

	st = db_prep(c->db, "SELECT s.id FROM suppliers s WHERE " IN_SCOPE FILTERS " ORDER BY s.name, s.id LIMIT ?7 OFFSET ?8");
	list_bind(st, &lq);
	db_bind_i64(st, 7, SR_PAGE_SIZE);
	db_bind_i64(st, 8, (page - 1) * SR_PAGE_SIZE);
	int64_t ids[SR_PAGE_SIZE];
	size_t n = 0;
	while (n < SR_PAGE_SIZE && db_step(st) == DB_ROW)
		ids[n++] = db_col_i64(st, 0);
	if (n == SR_PAGE_SIZE)
		db_reset(st);
	struct web_column cols[] = { { "Supplier", false }, { "Held by", false }, { "Cyber Essentials", false },
				     { "DSPT", false }, { "Risk rating", false } };
	char caption[64];
	snprintf(caption, sizeof caption, "%lld supplier%s", (long long)total, total == 1 ? "" : "s");
	struct web_table t;
	web_table_begin(&t, b, caption, cols, 5);
	for (size_t i = 0; i < n; i++) {
		struct sr_supplier s;
		if (sr_supplier_get(c->db, c->arena, ids[i], &s) != BW_OK)
			continue;
		struct sr_rating r;
		rate(c, &s, lq.lo, lq.hi, &r);
		web_table_row_begin(&t);
		web_table_cell_link(&t, s.v[SUP_NAME], arena_printf(c->arena, "/suppliers/%lld", (long long)s.id));
		const char *owner = s.org_id == o.id ? "This organisation" : owner_shown(c, &s);
		web_table_cell(&t, owner ? owner : "Another organisation");
		web_table_cell_open(&t);
		ce_status(b, &s, lq.today);
		web_table_cell_close(&t);
		web_table_cell(&t, sr_dspt_label(sr_dspt_parse(s.v[SUP_DSPT])));
		web_table_cell_open(&t);
		web_tag(b, sr_level_label(r.level), level_colour(r.level));
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!n)
		web_table_empty(&t, 5, lq.q || lq.gaps ? "No suppliers match" : "No suppliers recorded yet");
	web_table_end(&t);
	struct buf base;
	buf_init(&base);
	buf_printf(&base, "/orgs/%s/suppliers?assurance=%s&q=", o.code, lq.gaps ? "gaps" : "");
	html_url_component(&base, lq.q ? lq.q : "");
	web_pagination(b, buf_cstr(&base), page, (total + SR_PAGE_SIZE - 1) / SR_PAGE_SIZE);
	buf_reset(&base);
	buf_printf(&base, "/orgs/%s/suppliers.csv?assurance=%s&q=", o.code, lq.gaps ? "gaps" : "");
	html_url_component(&base, lq.q ? lq.q : "");
	web_button_link(b, "Download as CSV", buf_cstr(&base), WEB_BUTTON_SECONDARY);
	buf_free(&base);

	/* shared records offered from above that this organisation does not link yet */
	if (orgs_can(&c->actor, ACT_EDIT, &oref)) {
		st = db_prep(c->db, "SELECT s.id, s.name FROM suppliers s JOIN orgs w ON w.id = s.org_id"
				    " WHERE s.shared = 1 AND w.id <> ?2 AND substr(?1, 1, length(w.path)) = w.path"
				    " AND NOT EXISTS (SELECT 1 FROM supplier_links l WHERE l.org_id = ?2 AND l.supplier_id = s.id)"
				    " ORDER BY s.name, s.id LIMIT 200");
		db_bind_text(st, 1, o.path);
		db_bind_i64(st, 2, o.id);
		struct web_option opts[200];
		size_t k = 0;
		while (k < 200 && db_step(st) == DB_ROW) {
			opts[k].value = arena_printf(c->arena, "%lld", (long long)db_col_i64(st, 0));
			opts[k].label = arena_strdup(c->arena, db_col_text(st, 1));
			k++;
		}
		if (k == 200)
			db_reset(st);
		if (k) {
			html_raw(b, "<h2>Use a supplier already assessed</h2><p>These records are kept by your integrated "
				    "care system or the national team. Link one to use its assessment; your contracts "
				    "stay your own.</p>");
			struct web_field f[] = { { .name = "supplier", .label = "Shared supplier record",
						   .type = WEB_FIELD_SELECT, .required = true, .options = opts, .options_n = k } };
			struct web_form form = { .action = arena_printf(c->arena, "/orgs/%s/suppliers/link", o.code),
						 .fields = f, .fields_n = 1, .submit = "Link supplier" };
			web_form_render(b, &form, NULL, NULL, c->session.csrf);
		}
	}
	ctx_page_end(c);
}

static void get_suppliers_csv(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	struct list_query lq;
	list_args(c, &o, &lq);
	struct db_stmt *st = db_prep(c->db, "SELECT s.id FROM suppliers s WHERE " IN_SCOPE FILTERS " ORDER BY s.name, s.id");
	list_bind(st, &lq);
	/* ids first: the rows below run their own queries */
	size_t n = 0, cap = 256;
	int64_t *ids = arena_alloc(c->arena, cap * sizeof *ids);
	while (db_step(st) == DB_ROW) {
		if (n == cap) {
			int64_t *more = arena_alloc(c->arena, 2 * cap * sizeof *ids);
			memcpy(more, ids, n * sizeof *ids);
			ids = more;
			cap *= 2;
		}
		ids[n++] = db_col_i64(st, 0);
	}
	c->resp->content_type = "text/csv; charset=utf-8";
	http_resp_header(c->resp, "Content-Disposition",
			 arena_printf(c->arena, "attachment; filename=\"suppliers-%s.csv\"", o.code));
	struct web_csv w;
	web_csv_init(&w, &c->resp->body);
	web_csv_bom(&w);
	static const char *const head[] = { "id", "name", "company_number", "services", "held_by", "shared",
					    "cyber_essentials", "ce_certificate", "ce_expiry", "iso27001_scope",
					    "iso27001_expiry", "dspt_status", "dspt_year", "risk_rating", "risk_reason" };
	for (size_t i = 0; i < BW_NELEM(head); i++)
		web_csv_cell(&w, head[i]);
	web_csv_row_end(&w);
	for (size_t i = 0; i < n; i++) {
		struct sr_supplier s;
		if (sr_supplier_get(c->db, c->arena, ids[i], &s) != BW_OK)
			continue;
		struct sr_rating r;
		rate(c, &s, lq.lo, lq.hi, &r);
		const char *owner = owner_shown(c, &s);
		web_csv_cell_int(&w, s.id);
		web_csv_cell(&w, s.v[SUP_NAME]);
		web_csv_cell(&w, s.v[SUP_COMPANY]);
		web_csv_cell(&w, s.v[SUP_SERVICES]);
		web_csv_cell(&w, owner ? owner : "Another organisation");
		web_csv_cell(&w, *s.v[SUP_SHARED] ? "yes" : "no");
		web_csv_cell(&w, sr_ce_label(sr_ce_parse(s.v[SUP_CE])));
		web_csv_cell(&w, s.v[SUP_CE_CERT]);
		web_csv_cell(&w, s.v[SUP_CE_EXPIRY]);
		web_csv_cell(&w, s.v[SUP_ISO_SCOPE]);
		web_csv_cell(&w, s.v[SUP_ISO_EXPIRY]);
		web_csv_cell(&w, sr_dspt_label(sr_dspt_parse(s.v[SUP_DSPT])));
		web_csv_cell(&w, s.v[SUP_DSPT_YEAR]);
		web_csv_cell(&w, sr_level_label(r.level));
		web_csv_cell(&w, r.text);
		web_csv_row_end(&w);
	}
}

/* ---- adding and changing a supplier ---- */

static void supplier_form(struct ctx *c, const char *title, const char *action, const char *const *values,
			  const struct web_form_errors *errs, const struct web_link *crumbs, size_t ncrumbs)
{
	ctx_page_begin(c, title, crumbs, ncrumbs, errs ? errs->e : NULL, errs ? errs->n : 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<h1>%s</h1>", title);
	struct web_form form = { .action = action, .fields = sr_supplier_fields, .fields_n = SUP_NFIELDS,
				 .submit = "Save supplier" };
	web_form_render(b, &form, values, errs, c->session.csrf);
	ctx_page_end(c);
	if (errs && errs->n)
		c->resp->status = 400;
}

static void form_values(struct ctx *c, const struct web_field *f, size_t n, const char **v)
{
	for (size_t i = 0; i < n; i++)
		v[i] = ctx_form(c, f[i].name);
}

static void get_supplier_new(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	const char *v[SUP_NFIELDS] = { 0 };
	v[SUP_CE] = "none";
	v[SUP_DSPT] = "not_published";
	/* records kept above a single provider are usually meant for reuse */
	v[SUP_SHARED] = o.type == ORG_NATIONAL || o.type == ORG_REGION || o.type == ORG_ICS ? "1" : "";
	struct web_link crumbs[] = { { "Home", "/" },
				     { "Suppliers", arena_printf(c->arena, "/orgs/%s/suppliers", o.code) } };
	supplier_form(c, "Add a supplier", arena_printf(c->arena, "/orgs/%s/suppliers", o.code), v, NULL, crumbs, 2);
}

static void post_supplier_new(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	const char *v[SUP_NFIELDS];
	form_values(c, sr_supplier_fields, SUP_NFIELDS, v);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	int64_t id = 0;
	if (sr_supplier_validate(v, &errs) == BW_OK && sr_supplier_save(c->db, &c->actor, o.id, 0, v, &id, &e) != BW_OK)
		web_form_errors_add(&errs, e.field, e.msg);
	if (errs.n) {
		struct web_link crumbs[] = { { "Home", "/" },
					     { "Suppliers", arena_printf(c->arena, "/orgs/%s/suppliers", o.code) } };
		return supplier_form(c, "Add a supplier", arena_printf(c->arena, "/orgs/%s/suppliers", o.code), v, &errs,
				     crumbs, 2);
	}
	ctx_redirect(c, arena_printf(c->arena, "/suppliers/%lld", (long long)id), "Supplier added");
}

static void get_supplier_edit(struct ctx *c)
{
	struct sr_supplier s;
	if (!load_supplier(c, ACT_EDIT, &s))
		return;
	struct web_link crumbs[] = { { "Home", "/" },
				     { s.v[SUP_NAME], arena_printf(c->arena, "/suppliers/%lld", (long long)s.id) } };
	supplier_form(c, "Change supplier details", arena_printf(c->arena, "/suppliers/%lld", (long long)s.id), s.v,
		      NULL, crumbs, 2);
}

static void post_supplier_edit(struct ctx *c)
{
	struct sr_supplier s;
	if (!load_supplier(c, ACT_EDIT, &s))
		return;
	const char *v[SUP_NFIELDS];
	form_values(c, sr_supplier_fields, SUP_NFIELDS, v);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	if (sr_supplier_validate(v, &errs) == BW_OK &&
	    sr_supplier_save(c->db, &c->actor, s.org_id, s.id, v, NULL, &e) != BW_OK)
		web_form_errors_add(&errs, e.field, e.msg);
	if (errs.n) {
		struct web_link crumbs[] = { { "Home", "/" },
					     { s.v[SUP_NAME], arena_printf(c->arena, "/suppliers/%lld", (long long)s.id) } };
		return supplier_form(c, "Change supplier details", arena_printf(c->arena, "/suppliers/%lld", (long long)s.id),
				     v, &errs, crumbs, 2);
	}
	ctx_redirect(c, arena_printf(c->arena, "/suppliers/%lld", (long long)s.id), "Supplier details saved");
}

/* ---- one supplier ---- */

static void assurance_row(struct buf *b, const char *name, const char *detail, const struct sr_flag *f, size_t nf,
			  int which, const char *ok_label)
{
	html_printf(b, "<tr class=\"nhsuk-table__row\"><th scope=\"row\" class=\"nhsuk-table__header\">%s</th>"
		       "<td class=\"nhsuk-table__cell\">%s</td><td class=\"nhsuk-table__cell\">",
		    name, detail);
	bool flagged = false;
	for (size_t i = 0; i < nf; i++)
		if (f[i].which == which) {
			web_tag(b, f[i].tag, f[i].gap ? WEB_TAG_RED : WEB_TAG_YELLOW);
			flagged = true;
		}
	if (!flagged)
		web_tag(b, ok_label, WEB_TAG_GREEN);
	html_raw(b, "</td></tr>\n");
}

static void contract_cells(struct ctx *c, struct web_table *t, struct db_stmt *st, int from, const char *today)
{
	struct buf *b = t->b;
	char soon[11];
	sr_date_add(today, SR_SOON_DAYS, soon);
	web_table_cell(t, db_col_text(st, from));
	web_table_cell_open(t);
	show_date(b, db_col_text(st, from + 1));
	web_table_cell_close(t);
	web_table_cell_open(t);
	const char *end = db_col_text(st, from + 2);
	if (!end)
		html_raw(b, "No end date");
	else {
		show_date(b, end);
		if (strcmp(end, today) < 0) {
			html_raw(b, " ");
			web_tag(b, "Ended", WEB_TAG_GREY);
		} else if (strcmp(end, soon) <= 0) {
			html_raw(b, " ");
			web_tag(b, "Ends soon", WEB_TAG_YELLOW);
		}
	}
	web_table_cell_close(t);
	web_table_cell_open(t);
	if (db_col_i64(st, from + 3))
		web_tag(b, "Yes", WEB_TAG_GREEN);
	else
		web_tag(b, "No security clauses", WEB_TAG_RED);
	web_table_cell_close(t);
	web_table_cell_open(t);
	if (db_col_i64(st, from + 4))
		html_printf(b, "Within %lld hours", (long long)db_col_i64(st, from + 5));
	else
		web_tag(b, "No duty to tell you", WEB_TAG_RED);
	web_table_cell_close(t);
	(void)c;
}

static void get_supplier(struct ctx *c)
{
	struct sr_supplier s;
	if (!load_supplier(c, ACT_VIEW, &s))
		return;
	char lo[256], hi[256], today[11];
	ctx_scope(c, lo, hi);
	sr_today(today);
	struct sr_rating r;
	rate(c, &s, lo, hi, &r);
	bool edit = can_edit_owner(c, &s);
	const char *self = arena_printf(c->arena, "/suppliers/%lld", (long long)s.id);

	struct web_link crumbs[] = { { "Home", "/" },
				     { "Suppliers", arena_printf(c->arena, "/orgs/%s/suppliers", c->actor.org_code) } };
	ctx_page_begin(c, s.v[SUP_NAME], crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">Supplier</span><h1>%s</h1>", s.v[SUP_NAME]);
	html_raw(b, r.level == SR_HIGH ? "<div class=\"nhsuk-warning-callout\"><h2 class=\"nhsuk-warning-callout__label\">"
					 "<span role=\"text\"><span class=\"nhsuk-u-visually-hidden\">Important: </span>"
				       : "<div class=\"nhsuk-inset-text\"><h2 class=\"nhsuk-heading-s\"><span>");
	html_raw(b, "Risk rating</span></h2><p>");
	web_tag(b, sr_level_label(r.level), level_colour(r.level));
	html_raw(b, " ");
	/* the sentence starts with the level, already shown as the tag */
	const char *why = strchr(r.text, ':');
	html_text(b, why ? why + 2 : r.text);
	html_raw(b, "</p></div>");

	web_summary_begin(b);
	web_summary_row(b, "Company number", s.v[SUP_COMPANY], edit ? arena_printf(c->arena, "%s/edit", self) : NULL);
	web_summary_row(b, "Services supplied", s.v[SUP_SERVICES], NULL);
	const char *owner = owner_shown(c, &s);
	web_summary_row(b, "Record kept by", owner ? owner : "Another organisation", NULL);
	web_summary_row(b, "Offered to organisations below", *s.v[SUP_SHARED] ? "Yes" : "No", NULL);
	if (s.synthetic)
		web_summary_row(b, "Source", "Synthetic demonstration record (not a real company)", NULL);
	web_summary_end(b);
	if (edit)
		web_button_link(b, "Change supplier details", arena_printf(c->arena, "%s/edit", self), WEB_BUTTON_SECONDARY);

	/* assurances */
	struct sr_assurance a;
	sr_supplier_assurance(&s, &a);
	struct sr_flag f[8];
	size_t nf = sr_assurance_flags(&a, today, f, 8);
	html_raw(b, "<h2>Assurances</h2>");
	struct web_column acols[] = { { "Assurance", false }, { "Details", false }, { "Status", false } };
	struct web_table t;
	web_table_begin(&t, b, "Certificates and assessments", acols, 3);
	char d1[32], d2[32];
	sr_date_show(a.ce_expiry, d1);
	const char *ce_detail = a.ce == SR_CE_NONE ? "No certificate recorded"
				: arena_printf(c->arena, "%s, certificate %s, expires %s", sr_ce_label(a.ce),
					       *s.v[SUP_CE_CERT] ? s.v[SUP_CE_CERT] : "number not recorded", d1);
	assurance_row(b, "Cyber Essentials", ce_detail, f, nf, 0, "In date");
	sr_date_show(a.iso_expiry, d2);
	const char *iso_detail = !*a.iso_scope ? "No certificate recorded"
				 : arena_printf(c->arena, "Scope: %s; expires %s", a.iso_scope, d2);
	assurance_row(b, "ISO 27001", iso_detail, f, nf, 1, "In date");
	const char *dspt_detail = *a.dspt_year ? arena_printf(c->arena, "%s (%s)", sr_dspt_label(a.dspt), a.dspt_year)
					       : sr_dspt_label(a.dspt);
	assurance_row(b, "Data Security and Protection Toolkit", dspt_detail, f, nf, 2, "Met");
	web_table_end(&t);

	/* systems it supplies, within the reader's subtree */
	html_raw(b, "<h2>Systems it supplies</h2>");
	struct db_stmt *st = db_prep(c->db, "SELECT y.id, y.name, y.tier, o.name FROM systems y JOIN orgs o ON o.id = y.org_id"
					    " WHERE y.supplier_id = ?1 AND o.path >= ?2 AND o.path < ?3"
					    " ORDER BY y.tier, y.name, y.id LIMIT 100");
	db_bind_i64(st, 1, s.id);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	struct web_column scols[] = { { "System", false }, { "Organisation", false }, { "Criticality tier", true } };
	web_table_begin(&t, b, "Systems in your organisations that it supplies", scols, 3);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell_link(&t, db_col_text(st, 1), arena_printf(c->arena, "/systems/%lld", (long long)db_col_i64(st, 0)));
		web_table_cell(&t, db_col_text(st, 3));
		web_table_cell_num(&t, db_col_i64(st, 2));
		web_table_row_end(&t);
		if (rows == 100) {
			db_reset(st);
			break;
		}
	}
	if (!rows)
		web_table_empty(&t, 3, "No systems in your registers name this supplier");
	web_table_end(&t);

	/* contracts held in the reader's subtree */
	html_raw(b, "<h2>Contracts</h2>");
	st = db_prep(c->db, "SELECT c.id, o.code, o.name, c.reference, c.start_date, c.end_date, c.security_clauses,"
			    " c.incident_duty, c.notify_hours, o.path FROM supplier_contracts c JOIN orgs o ON o.id = c.org_id"
			    " WHERE c.supplier_id = ?1 AND o.path >= ?2 AND o.path < ?3 ORDER BY o.name, c.start_date, c.id LIMIT 200");
	db_bind_i64(st, 1, s.id);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	struct web_column ccols[] = { { "Organisation", false }, { "Contract", false }, { "Start", false }, { "End", false },
				      { "Security clauses", false }, { "Incident notification", false }, { "Action", false } };
	web_table_begin(&t, b, "Contracts held by your organisations", ccols, 7);
	rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell(&t, db_col_text(st, 2));
		contract_cells(c, &t, st, 3, today);
		struct org_ref cr = { 0, "" };
		snprintf(cr.path, sizeof cr.path, "%s", db_col_text(st, 9));
		if (orgs_can(&c->actor, ACT_EDIT, &cr)) {
			web_table_cell_open(&t);
			html_printf(b, "<a href=\"/suppliers/%lld/contracts/%lld\">Change<span class=\"nhsuk-u-visually-hidden\"> "
				       "contract %s</span></a>",
				    (long long)s.id, (long long)db_col_i64(st, 0), db_col_text(st, 3));
			web_table_cell_close(&t);
		} else {
			web_table_cell(&t, "");
		}
		web_table_row_end(&t);
		if (rows == 200) {
			db_reset(st);
			break;
		}
	}
	if (!rows)
		web_table_empty(&t, 7, "No contracts recorded");
	web_table_end(&t);
	if (orgs_role_allows(c->actor.role, ACT_EDIT))
		web_button_link(b, "Add a contract", arena_printf(c->arena, "%s/contracts/new", self), WEB_BUTTON_SECONDARY);

	/* organisations in the reader's subtree that link it */
	st = db_prep(c->db, "SELECT o.code, o.name, o.path FROM supplier_links l JOIN orgs o ON o.id = l.org_id"
			    " WHERE l.supplier_id = ?1 AND o.path >= ?2 AND o.path < ?3 ORDER BY o.name LIMIT 200");
	db_bind_i64(st, 1, s.id);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	struct web_column lcols[] = { { "Organisation", false }, { "Action", false } };
	html_raw(b, "<h2>Organisations using this record</h2>");
	web_table_begin(&t, b, "Your organisations that link this supplier", lcols, 2);
	rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell_open(&t);
		pages_org_link(b, db_col_text(st, 0), db_col_text(st, 1));
		web_table_cell_close(&t);
		struct org_ref lr = { 0, "" };
		snprintf(lr.path, sizeof lr.path, "%s", db_col_text(st, 2));
		web_table_cell_open(&t);
		if (orgs_can(&c->actor, ACT_EDIT, &lr)) {
			web_form_begin(b, arena_printf(c->arena, "/orgs/%s/suppliers/unlink", db_col_text(st, 0)), "post",
				       c->session.csrf);
			html_printf(b, "<input type=\"hidden\" name=\"supplier\" value=\"%lld\">", (long long)s.id);
			html_printf(b, "<button class=\"nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0\" "
				       "type=\"submit\">Stop using<span class=\"nhsuk-u-visually-hidden\"> for %s</span></button>",
				    db_col_text(st, 1));
			web_form_end(b);
		}
		web_table_cell_close(&t);
		web_table_row_end(&t);
		if (rows == 200) {
			db_reset(st);
			break;
		}
	}
	if (!rows)
		web_table_empty(&t, 2, "None of your organisations links this record");
	web_table_end(&t);

	/* contacts */
	html_raw(b, "<h2>Contacts</h2>");
	st = db_prep(c->db, "SELECT id, name, role, email, phone FROM supplier_contacts WHERE supplier_id = ?1"
			    " ORDER BY name, id LIMIT 100");
	db_bind_i64(st, 1, s.id);
	struct web_column tcols[] = { { "Name", false }, { "Role", false }, { "Email", false }, { "Phone", false },
				      { "Action", false } };
	web_table_begin(&t, b, "Who to contact", tcols, 5);
	rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell(&t, db_col_text(st, 1));
		web_table_cell(&t, db_col_text(st, 2));
		web_table_cell(&t, db_col_text(st, 3));
		web_table_cell(&t, db_col_text(st, 4));
		web_table_cell_open(&t);
		if (edit) {
			web_form_begin(b, arena_printf(c->arena, "%s/contacts/delete", self), "post", c->session.csrf);
			html_printf(b, "<input type=\"hidden\" name=\"contact\" value=\"%lld\">", (long long)db_col_i64(st, 0));
			html_printf(b, "<button class=\"nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0\" "
				       "type=\"submit\">Remove<span class=\"nhsuk-u-visually-hidden\"> %s</span></button>",
				    db_col_text(st, 1));
			web_form_end(b);
		}
		web_table_cell_close(&t);
		web_table_row_end(&t);
		if (rows == 100) {
			db_reset(st);
			break;
		}
	}
	if (!rows)
		web_table_empty(&t, 5, "No contacts recorded");
	web_table_end(&t);
	if (edit) {
		html_raw(b, "<h3>Add a contact</h3>");
		struct web_form form = { .action = arena_printf(c->arena, "%s/contacts", self), .fields = sr_contact_fields,
					 .fields_n = CT_NFIELDS, .submit = "Add contact" };
		web_form_render(b, &form, NULL, NULL, c->session.csrf);
	}
	ctx_page_end(c);
}

/* ---- contacts ---- */

static void post_contact(struct ctx *c)
{
	struct sr_supplier s;
	if (!load_supplier(c, ACT_EDIT, &s))
		return;
	const char *v[CT_NFIELDS];
	form_values(c, sr_contact_fields, CT_NFIELDS, v);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	if (sr_contact_validate(v, &errs) == BW_OK && sr_contact_add(c->db, &c->actor, s.id, v, NULL, &e) != BW_OK)
		web_form_errors_add(&errs, e.field, e.msg);
	const char *self = arena_printf(c->arena, "/suppliers/%lld", (long long)s.id);
	if (errs.n) {
		struct web_link crumbs[] = { { "Home", "/" }, { s.v[SUP_NAME], self } };
		ctx_page_begin(c, "Add a contact", crumbs, 2, errs.e, errs.n);
		html_printf(&c->resp->body, "<span class=\"nhsuk-caption-l\">%s</span><h1>Add a contact</h1>", s.v[SUP_NAME]);
		struct web_form form = { .action = arena_printf(c->arena, "%s/contacts", self), .fields = sr_contact_fields,
					 .fields_n = CT_NFIELDS, .submit = "Add contact" };
		web_form_render(&c->resp->body, &form, v, &errs, c->session.csrf);
		ctx_page_end(c);
		c->resp->status = 400;
		return;
	}
	ctx_redirect(c, self, "Contact added");
}

static void post_contact_delete(struct ctx *c)
{
	struct sr_supplier s;
	if (!load_supplier(c, ACT_EDIT, &s))
		return;
	int64_t id;
	struct bw_error e = { 0 };
	const char *v = ctx_form(c, "contact");
	if (!v || !str_to_i64(str_c(v), 1, INT64_MAX, &id))
		return ctx_fail(c, BW_EINVAL, "contact", "Choose a contact to remove");
	if (sr_contact_delete(c->db, &c->actor, s.id, id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/suppliers/%lld", (long long)s.id), "Contact removed");
}

/* ---- linking ---- */

static bool form_supplier_id(struct ctx *c, int64_t *id)
{
	const char *v = ctx_form(c, "supplier");
	return v && str_to_i64(str_c(v), 1, INT64_MAX, id);
}

static void post_link(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	int64_t id;
	struct bw_error e = { 0 };
	if (!form_supplier_id(c, &id) || !sr_supplier_linkable(c->db, id, o.path))
		return ctx_fail(c, BW_EINVAL, "supplier", "Select a shared supplier record from the list");
	if (sr_supplier_link(c->db, &c->actor, o.id, id, true, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/suppliers/%lld", (long long)id), "Supplier linked");
}

static void post_unlink(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	int64_t id;
	struct bw_error e = { 0 };
	if (!form_supplier_id(c, &id))
		return ctx_fail(c, BW_EINVAL, "supplier", "Select a supplier");
	if (sr_supplier_link(c->db, &c->actor, o.id, id, false, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s/suppliers", o.code), "Supplier no longer linked");
}

/* ---- contracts ---- */

/* The organisation a contract form names: one the actor may edit, and one
 * that may use this supplier (it can see the record from its own place, or
 * links it already). */
static bool contract_org(struct ctx *c, int64_t supplier_id, const char *code, struct org *o,
			 struct web_form_errors *errs)
{
	if (web_form_error_for(errs, "org"))
		return false;
	bool ok = code && orgs_get_by_code(c->db, code, o, NULL) == BW_OK;
	if (ok) {
		struct org_ref r = org_ref_of(o);
		ok = orgs_can(&c->actor, ACT_EDIT, &r);
	}
	if (!ok) {
		web_form_errors_add(errs, "org", "Enter the code of an organisation whose registers you can change");
		return false;
	}
	struct db_stmt *st = db_prep(c->db, "SELECT 1 FROM supplier_links WHERE org_id = ?1 AND supplier_id = ?2");
	db_bind_i64(st, 1, o->id);
	db_bind_i64(st, 2, supplier_id);
	bool linked = db_step(st) == DB_ROW;
	if (linked)
		db_reset(st);
	if (!linked && !sr_supplier_linkable(c->db, supplier_id, o->path)) {
		web_form_errors_add(errs, "org", "That organisation cannot use this supplier record: it is kept "
						 "elsewhere and not offered to it");
		return false;
	}
	return true;
}

static void contract_form(struct ctx *c, const struct sr_supplier *s, const char *title, const char *action,
			  const char *const *v, const struct web_form_errors *errs, int64_t contract_id)
{
	const char *self = arena_printf(c->arena, "/suppliers/%lld", (long long)s->id);
	struct web_link crumbs[] = { { "Home", "/" }, { s->v[SUP_NAME], self } };
	ctx_page_begin(c, title, crumbs, 2, errs ? errs->e : NULL, errs ? errs->n : 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>%s</h1>", s->v[SUP_NAME], title);
	struct web_form form = { .action = action, .fields = sr_contract_fields, .fields_n = CON_NFIELDS,
				 .submit = "Save contract" };
	web_form_render(b, &form, v, errs, c->session.csrf);
	if (contract_id) {
		html_raw(b, "<h2>Remove this contract</h2>");
		web_form_begin(b, arena_printf(c->arena, "%s/contracts/%lld/delete", self, (long long)contract_id), "post",
			       c->session.csrf);
		web_button(b, "Remove contract", WEB_BUTTON_WARNING);
		web_form_end(b);
	}
	ctx_page_end(c);
	if (errs && errs->n)
		c->resp->status = 400;
}

static void get_contract_new(struct ctx *c)
{
	struct sr_supplier s;
	if (!load_supplier(c, ACT_VIEW, &s))
		return;
	const char *v[CON_NFIELDS] = { 0 };
	v[CON_ORG] = c->actor.org_code;
	v[CON_SECURITY] = "1";
	v[CON_DUTY] = "1";
	contract_form(c, &s, "Add a contract", arena_printf(c->arena, "/suppliers/%lld/contracts", (long long)s.id), v,
		      NULL, 0);
}

static void post_contract_new(struct ctx *c)
{
	struct sr_supplier s;
	if (!load_supplier(c, ACT_VIEW, &s))
		return;
	const char *v[CON_NFIELDS];
	form_values(c, sr_contract_fields, CON_NFIELDS, v);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	sr_contract_validate(v, &errs);
	struct org o;
	bool org_ok = contract_org(c, s.id, v[CON_ORG], &o, &errs);
	struct bw_error e = { 0 };
	int64_t id = 0;
	if (!errs.n && org_ok && sr_contract_save(c->db, &c->actor, s.id, o.id, 0, v, &id, &e) != BW_OK)
		web_form_errors_add(&errs, e.field, e.msg);
	if (errs.n)
		return contract_form(c, &s, "Add a contract",
				     arena_printf(c->arena, "/suppliers/%lld/contracts", (long long)s.id), v, &errs, 0);
	ctx_redirect(c, arena_printf(c->arena, "/suppliers/%lld", (long long)s.id), "Contract added");
}

/* The route's contract, which must belong to the route's supplier. */
static bool load_contract(struct ctx *c, struct sr_supplier *s, int64_t *cid, const char **v)
{
	int64_t sid;
	if (!id_param(c, "supplier", &sid) || !id_param(c, "contract", cid)) {
		not_found(c);
		return false;
	}
	struct db_stmt *st = db_prep(c->db, "SELECT o.code, c.reference, c.start_date, c.end_date, c.security_clauses,"
					    " c.incident_duty, c.notify_hours FROM supplier_contracts c JOIN orgs o ON o.id = c.org_id"
					    " WHERE c.id = ?1 AND c.supplier_id = ?2");
	db_bind_i64(st, 1, *cid);
	db_bind_i64(st, 2, sid);
	if (db_step(st) != DB_ROW) {
		not_found(c);
		return false;
	}
	v[CON_ORG] = arena_strdup(c->arena, db_col_text(st, 0));
	v[CON_REF] = arena_strdup(c->arena, db_col_text(st, 1));
	v[CON_START] = arena_strdup(c->arena, db_col_text(st, 2));
	v[CON_END] = db_col_text(st, 3) ? arena_strdup(c->arena, db_col_text(st, 3)) : "";
	v[CON_SECURITY] = db_col_i64(st, 4) ? "1" : "";
	v[CON_DUTY] = db_col_i64(st, 5) ? "1" : "";
	v[CON_HOURS] = db_col_isnull(st, 6) ? "" : arena_printf(c->arena, "%lld", (long long)db_col_i64(st, 6));
	db_reset(st);
	if (sr_supplier_get(c->db, c->arena, sid, s) != BW_OK) {
		not_found(c);
		return false;
	}
	return true;
}

static void get_contract(struct ctx *c)
{
	struct sr_supplier s;
	int64_t cid;
	const char *v[CON_NFIELDS];
	if (!load_contract(c, &s, &cid, v))
		return;
	contract_form(c, &s, "Change contract",
		      arena_printf(c->arena, "/suppliers/%lld/contracts/%lld", (long long)s.id, (long long)cid), v, NULL, cid);
}

static void post_contract(struct ctx *c)
{
	struct sr_supplier s;
	int64_t cid;
	const char *old[CON_NFIELDS];
	if (!load_contract(c, &s, &cid, old))
		return;
	const char *v[CON_NFIELDS];
	form_values(c, sr_contract_fields, CON_NFIELDS, v);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	sr_contract_validate(v, &errs);
	struct org o;
	bool org_ok = contract_org(c, s.id, v[CON_ORG], &o, &errs);
	struct bw_error e = { 0 };
	if (!errs.n && org_ok && sr_contract_save(c->db, &c->actor, s.id, o.id, cid, v, NULL, &e) != BW_OK)
		web_form_errors_add(&errs, e.field, e.msg);
	if (errs.n)
		return contract_form(c, &s, "Change contract",
				     arena_printf(c->arena, "/suppliers/%lld/contracts/%lld", (long long)s.id, (long long)cid),
				     v, &errs, cid);
	ctx_redirect(c, arena_printf(c->arena, "/suppliers/%lld", (long long)s.id), "Contract saved");
}

static void post_contract_delete(struct ctx *c)
{
	struct sr_supplier s;
	int64_t cid;
	const char *v[CON_NFIELDS];
	if (!load_contract(c, &s, &cid, v))
		return;
	struct bw_error e = { 0 };
	if (sr_contract_delete(c->db, &c->actor, cid, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/suppliers/%lld", (long long)s.id), "Contract removed");
}

/* ---- API ---- */

static void json_supplier(struct ctx *c, struct web_json *j, const struct sr_supplier *s, const char *lo,
			  const char *hi)
{
	char today[11];
	sr_today(today);
	struct sr_rating r;
	rate(c, s, lo, hi, &r);
	struct sr_assurance a;
	sr_supplier_assurance(s, &a);
	struct sr_flag f[8];
	size_t nf = sr_assurance_flags(&a, today, f, 8);
	const char *owner = owner_shown(c, s);
	web_json_key(j, "id");
	web_json_int(j, s->id);
	web_json_key(j, "name");
	web_json_str(j, s->v[SUP_NAME]);
	web_json_key(j, "company_number");
	web_json_str(j, *s->v[SUP_COMPANY] ? s->v[SUP_COMPANY] : NULL);
	web_json_key(j, "services");
	web_json_str(j, s->v[SUP_SERVICES]);
	web_json_key(j, "owner");
	web_json_str(j, owner ? s->owner_code : NULL);
	web_json_key(j, "shared");
	web_json_bool(j, *s->v[SUP_SHARED] != 0);
	web_json_key(j, "synthetic");
	web_json_bool(j, s->synthetic);
	web_json_key(j, "ce_level");
	web_json_str(j, sr_ce_name(a.ce));
	web_json_key(j, "ce_cert");
	web_json_str(j, s->v[SUP_CE_CERT]);
	web_json_key(j, "ce_expiry");
	web_json_str(j, *a.ce_expiry ? a.ce_expiry : NULL);
	web_json_key(j, "iso_scope");
	web_json_str(j, a.iso_scope);
	web_json_key(j, "iso_expiry");
	web_json_str(j, *a.iso_expiry ? a.iso_expiry : NULL);
	web_json_key(j, "dspt_status");
	web_json_str(j, sr_dspt_name(a.dspt));
	web_json_key(j, "dspt_year");
	web_json_str(j, *a.dspt_year ? a.dspt_year : NULL);
	web_json_key(j, "flags");
	web_json_array(j);
	static const char *const which[] = { "cyber_essentials", "iso27001", "dspt" };
	for (size_t i = 0; i < nf; i++) {
		web_json_object(j);
		web_json_key(j, "assurance");
		web_json_str(j, which[f[i].which]);
		web_json_key(j, "gap");
		web_json_bool(j, f[i].gap);
		web_json_key(j, "tag");
		web_json_str(j, f[i].tag);
		web_json_key(j, "text");
		web_json_str(j, f[i].text);
		web_json_end(j);
	}
	web_json_end(j);
	web_json_key(j, "rating");
	web_json_object(j);
	web_json_key(j, "level");
	web_json_str(j, sr_level_label(r.level));
	web_json_key(j, "reason");
	web_json_str(j, r.text);
	web_json_end(j);
}

static void api_list(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	int64_t limit, offset;
	if (!ctx_page_args(c, &limit, &offset))
		return;
	struct list_query lq;
	list_args(c, &o, &lq);
	struct db_stmt *st = db_prep(c->db, "SELECT s.id FROM suppliers s WHERE " IN_SCOPE FILTERS
					    " ORDER BY s.name, s.id LIMIT ?7 OFFSET ?8");
	list_bind(st, &lq);
	db_bind_i64(st, 7, limit + 1);
	db_bind_i64(st, 8, offset);
	int64_t *ids = arena_alloc(c->arena, (size_t)(limit + 1) * sizeof *ids);
	int64_t n = 0;
	while (n < limit + 1 && db_step(st) == DB_ROW)
		ids[n++] = db_col_i64(st, 0);
	bool more = n > limit;
	if (more) {
		db_reset(st);   /* stopped before the end: release the statement */
		n = limit;
	}
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_list_begin(&j, &c->resp->body);
	for (int64_t i = 0; i < n; i++) {
		struct sr_supplier s;
		if (sr_supplier_get(c->db, c->arena, ids[i], &s) != BW_OK)
			continue;
		web_json_object(&j);
		json_supplier(c, &j, &s, lq.lo, lq.hi);
		web_json_end(&j);
	}
	web_json_list_end(&j, more ? arena_printf(c->arena, "%lld", (long long)(offset + limit)) : NULL);
}

static void api_invalid(struct ctx *c, const struct web_form_errors *errs)
{
	ctx_fail(c, BW_EINVAL, errs->e[0].field, errs->e[0].msg);
}

static void api_one(struct ctx *c, int64_t id, int status)
{
	struct sr_supplier s;
	if (sr_supplier_get(c->db, c->arena, id, &s) != BW_OK)
		return not_found(c);
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	struct web_json j;
	ctx_json_begin(c, &j);
	c->resp->status = status;
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	json_supplier(c, &j, &s, lo, hi);
	web_json_key(&j, "contracts");
	web_json_array(&j);
	struct db_stmt *st = db_prep(c->db, "SELECT c.id, o.code, c.reference, c.start_date, c.end_date, c.security_clauses,"
					    " c.incident_duty, c.notify_hours FROM supplier_contracts c JOIN orgs o ON o.id = c.org_id"
					    " WHERE c.supplier_id = ?1 AND o.path >= ?2 AND o.path < ?3 ORDER BY c.id LIMIT 500");
	db_bind_i64(st, 1, s.id);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	while (db_step(st) == DB_ROW) {
		web_json_object(&j);
		web_json_key(&j, "id");
		web_json_int(&j, db_col_i64(st, 0));
		web_json_key(&j, "org");
		web_json_str(&j, db_col_text(st, 1));
		web_json_key(&j, "reference");
		web_json_str(&j, db_col_text(st, 2));
		web_json_key(&j, "start_date");
		web_json_str(&j, db_col_text(st, 3));
		web_json_key(&j, "end_date");
		web_json_str(&j, db_col_text(st, 4));
		web_json_key(&j, "security_clauses");
		web_json_bool(&j, db_col_i64(st, 5) != 0);
		web_json_key(&j, "incident_duty");
		web_json_bool(&j, db_col_i64(st, 6) != 0);
		web_json_key(&j, "notify_hours");
		if (db_col_isnull(st, 7))
			web_json_null(&j);
		else
			web_json_int(&j, db_col_i64(st, 7));
		web_json_end(&j);
	}
	web_json_end(&j);
	web_json_key(&j, "contacts");
	web_json_array(&j);
	st = db_prep(c->db, "SELECT name, role, email, phone FROM supplier_contacts WHERE supplier_id = ?1 ORDER BY id LIMIT 100");
	db_bind_i64(st, 1, s.id);
	while (db_step(st) == DB_ROW) {
		web_json_object(&j);
		web_json_key(&j, "name");
		web_json_str(&j, db_col_text(st, 0));
		web_json_key(&j, "role");
		web_json_str(&j, db_col_text(st, 1));
		web_json_key(&j, "email");
		web_json_str(&j, db_col_text(st, 2));
		web_json_key(&j, "phone");
		web_json_str(&j, db_col_text(st, 3));
		web_json_end(&j);
	}
	web_json_end(&j);
	web_json_key(&j, "linked_by");
	web_json_array(&j);
	st = db_prep(c->db, "SELECT o.code FROM supplier_links l JOIN orgs o ON o.id = l.org_id"
			    " WHERE l.supplier_id = ?1 AND o.path >= ?2 AND o.path < ?3 ORDER BY o.code LIMIT 500");
	db_bind_i64(st, 1, s.id);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	while (db_step(st) == DB_ROW)
		web_json_str(&j, db_col_text(st, 0));
	web_json_end(&j);
	web_json_end(&j);
	web_json_end(&j);
}

static void api_get(struct ctx *c)
{
	struct sr_supplier s;
	if (!load_supplier(c, ACT_VIEW, &s))
		return;
	api_one(c, s.id, 200);
}

/* POST creates (missing fields take the new-supplier defaults); PUT changes
 * only the members it sends, the rest keep their stored values. */
static void api_save(struct ctx *c, struct sr_supplier *old, int64_t org_id)
{
	json_t *body;
	struct bw_error e = { 0 };
	if (http_json_parse(c->req->body, c->req->body_len, &body, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	const char *v[SUP_NFIELDS] = { 0 };
	if (old)
		memcpy(v, old->v, sizeof v);
	else {
		v[SUP_CE] = "none";
		v[SUP_DSPT] = "not_published";
	}
	if (sr_json_values(body, sr_supplier_fields, SUP_NFIELDS, c->arena, v, &e) != BW_OK) {
		json_decref(body);
		return ctx_error(c, 400, &e);
	}
	/* the values may point into the body: keep copies for after it is freed */
	for (size_t i = 0; i < SUP_NFIELDS; i++)
		if (v[i])
			v[i] = arena_strdup(c->arena, v[i]);
	json_decref(body);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	if (sr_supplier_validate(v, &errs) != BW_OK)
		return api_invalid(c, &errs);
	int64_t id = 0;
	if (sr_supplier_save(c->db, &c->actor, org_id, old ? old->id : 0, v, &id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	api_one(c, old ? old->id : id, old ? 200 : 201);
}

static void api_post(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	api_save(c, NULL, o.id);
}

static void api_put(struct ctx *c)
{
	struct sr_supplier s;
	if (!load_supplier(c, ACT_EDIT, &s))
		return;
	api_save(c, &s, s.org_id);
}

const struct route suppliers_routes[] = {
	{ "GET", "/orgs/{org}/suppliers", get_suppliers, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/suppliers.csv", get_suppliers_csv, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/suppliers/new", get_supplier_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "POST", "/orgs/{org}/suppliers", post_supplier_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "POST", "/orgs/{org}/suppliers/link", post_link, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "POST", "/orgs/{org}/suppliers/unlink", post_unlink, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	/* readable by linking organisations: access checked in the handler */
	{ "GET", "/suppliers/{supplier}", get_supplier, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/suppliers/{supplier}/contracts/new", get_contract_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ "POST", "/suppliers/{supplier}/contracts", post_contract_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	/* changes to the record itself: its owner's subtree only */
	{ "GET", "/suppliers/{supplier}/edit", get_supplier_edit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "supplier" },
	{ "POST", "/suppliers/{supplier}", post_supplier_edit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "supplier" },
	{ "POST", "/suppliers/{supplier}/contacts", post_contact, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "supplier" },
	{ "POST", "/suppliers/{supplier}/contacts/delete", post_contact_delete, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT,
	  "supplier" },
	/* a contract: the organisation that holds it */
	{ "GET", "/suppliers/{supplier}/contracts/{contract}", get_contract, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT,
	  "contract" },
	{ "POST", "/suppliers/{supplier}/contracts/{contract}", post_contract, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT,
	  "contract" },
	{ "POST", "/suppliers/{supplier}/contracts/{contract}/delete", post_contract_delete, ROUTE_PAGE, AUTH_SIGNED_IN,
	  ACT_EDIT, "contract" },
	{ "GET", "/api/v1/orgs/{org}/suppliers", api_list, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "POST", "/api/v1/orgs/{org}/suppliers", api_post, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "GET", "/api/v1/suppliers/{supplier}", api_get, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "PUT", "/api/v1/suppliers/{supplier}", api_put, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "supplier" },
	{ NULL },
};

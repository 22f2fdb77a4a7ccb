/*
 * risks_pages: the risk register's pages, CSV export and JSON API.
 *   /orgs/{org}/risks            risks of an organisation and those below it:
 *                                search, filter, pagination, CSV, raise one
 *   /orgs/{org}/risks/heatmap    where they sit before controls and now
 *   /risks/{risk}                one risk: scores, acceptance, actions, links
 *                                to systems and suppliers, history
 *   /api/v1/orgs/{org}/risks and /api/v1/risks/{risk}
 * Every route names its target ({org}, {risk} or {action}) so the pipeline
 * checks the subtree before these handlers run.
 */
#include <stdio.h>
#include <string.h>

#include "app/routes.h"
#include "registers/suppliers_risks.h"

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

static bool load_risk(struct ctx *c, struct sr_risk *r)
{
	int64_t id;
	const char *v = ctx_param(c, "risk");
	if (!v || !str_to_i64(str_c(v), 1, INT64_MAX, &id) || sr_risk_get(c->db, c->arena, id, r) != BW_OK) {
		not_found(c);
		return false;
	}
	return true;
}

static void form_values(struct ctx *c, const struct web_field *f, size_t n, const char **v)
{
	for (size_t i = 0; i < n; i++)
		v[i] = ctx_form(c, f[i].name);
}

static void score_tag(struct buf *b, int l, int i)
{
	enum sr_band band = sr_band_of(l * i);
	char t[48];
	snprintf(t, sizeof t, "%d %s", l * i, sr_band_label(band));
	web_tag(b, t, sr_band_tag(band));
}

static void show_date(struct buf *b, const char *iso)
{
	char d[32];
	sr_date_show(iso, d);
	html_text(b, d);
}

/* ---- the list ---- */

#define RISK_FILTERS " o.path >= ?1 AND o.path < ?2" \
	" AND (CAST(?3 AS TEXT) IS NULL OR lower(r.title) LIKE lower(?3) OR lower(r.owner) LIKE lower(?3))" \
	" AND (CAST(?4 AS TEXT) IS NULL OR r.category = ?4) AND (CAST(?5 AS TEXT) IS NULL OR r.status = ?5)" \
	" AND (?6 = 0 OR (r.status = 'open' AND (r.review_date < ?7 OR EXISTS (SELECT 1 FROM risk_actions a" \
	" WHERE a.risk_id = r.id AND a.done_on IS NULL AND a.due_date < ?7))))"

struct risk_query {
	const char *q, *like, *category, *status;
	bool overdue;
	char today[11], lo[256], hi[256];
};

static void risk_args(struct ctx *c, const struct org *o, struct risk_query *rq)
{
	rq->q = ctx_query(c, "q");
	if (rq->q && !*rq->q)
		rq->q = NULL;
	if (rq->q && strlen(rq->q) > LIM_NAME)
		rq->q = arena_strndup(c->arena, rq->q, LIM_NAME);
	rq->like = rq->q ? arena_printf(c->arena, "%%%s%%", rq->q) : NULL;
	rq->category = ctx_query(c, "category");
	if (rq->category && !*sr_category_label(rq->category))
		rq->category = NULL;
	if (rq->category && strcmp(sr_category_label(rq->category), rq->category) == 0)
		rq->category = NULL;   /* not one of ours */
	const char *s = ctx_query(c, "status");
	rq->status = !s ? "open" : strcmp(s, "closed") == 0 ? "closed" : strcmp(s, "all") == 0 ? NULL : "open";
	const char *ov = ctx_query(c, "overdue");
	rq->overdue = ov && strcmp(ov, "1") == 0;
	sr_today(rq->today);
	orgs_subtree_bounds(o->path, rq->lo, rq->hi);
}

static void risk_bind(struct db_stmt *st, const struct risk_query *rq)
{
	db_bind_text(st, 1, rq->lo);
	db_bind_text(st, 2, rq->hi);
	db_bind_text(st, 3, rq->like);
	db_bind_text(st, 4, rq->category);
	db_bind_text(st, 5, rq->status);
	db_bind_i64(st, 6, rq->overdue);
	db_bind_text(st, 7, rq->today);
}

static const char *query_string(struct ctx *c, const struct risk_query *rq)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "status=");
	buf_puts(&b, rq->status ? rq->status : "all");
	if (rq->category) {
		buf_puts(&b, "&category=");
		html_url_component(&b, rq->category);
	}
	if (rq->overdue)
		buf_puts(&b, "&overdue=1");
	buf_puts(&b, "&q=");
	html_url_component(&b, rq->q ? rq->q : "");
	char *s = arena_strdup(c->arena, buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void select_html(struct buf *b, const char *id, const char *label, const struct web_option *o, size_t n,
			const char *cur)
{
	html_printf(b, "<div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"%s\">%s</label>"
		       "<select class=\"nhsuk-select\" id=\"%s\" name=\"%s\">", id, label, id, id);
	for (size_t i = 0; i < n; i++)
		html_printf(b, "<option value=\"%s\"%s>%s</option>", o[i].value,
			    (cur ? strcmp(cur, o[i].value) == 0 : !*o[i].value) ? " selected" : "", o[i].label);
	html_raw(b, "</select></div>");
}

static void get_risks(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	struct risk_query rq;
	risk_args(c, &o, &rq);
	int64_t page = pages_page_number(c);
	struct db_stmt *st = db_prep(c->db, "SELECT count(*) FROM risks r JOIN orgs o ON o.id = r.org_id WHERE" RISK_FILTERS);
	risk_bind(st, &rq);
	int64_t total = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);

	struct web_link crumbs[] = { { "Home", "/" }, { o.name, arena_printf(c->arena, "/orgs/%s", o.code) },
				     { "Registers", arena_printf(c->arena, "/orgs/%s/registers", o.code) } };
	ctx_page_begin(c, arena_printf(c->arena, "Risks - %s", o.name), crumbs, 3, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Risk register</h1>", o.name);
	struct org_ref oref = { o.id, "" };
	snprintf(oref.path, sizeof oref.path, "%s", o.path);
	if (orgs_can(&c->actor, ACT_EDIT, &oref))
		web_button_link(b, "Raise a risk", arena_printf(c->arena, "/orgs/%s/risks/new", o.code), WEB_BUTTON_PRIMARY);
	html_printf(b, "<p><a href=\"/orgs/%s/risks/heatmap\">See the heat map</a></p>", o.code);

	html_printf(b, "<form class=\"bw-search\" action=\"/orgs/%s/risks\" method=\"get\" role=\"search\">", o.code);
	html_raw(b, "<div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"q\">Search by title or owner</label>"
		    "<input class=\"nhsuk-input nhsuk-u-width-one-half\" id=\"q\" name=\"q\" type=\"search\" maxlength=\"200\" value=\"");
	html_attr(b, rq.q ? rq.q : "");
	html_raw(b, "\"></div>");
	struct web_option cats[16] = { { "", "All categories" } };
	size_t ncats = 1;
	for (size_t i = 0; i < RK_NFIELDS; i++)
		if (sr_risk_fields[i].options && strcmp(sr_risk_fields[i].name, "category") == 0)
			for (size_t k = 0; k < sr_risk_fields[i].options_n && ncats < 16; k++)
				cats[ncats++] = sr_risk_fields[i].options[k];
	select_html(b, "category", "Category", cats, ncats, rq.category);
	static const struct web_option sts[] = { { "open", "Open" }, { "closed", "Closed" }, { "all", "All" } };
	select_html(b, "status", "Status", sts, 3, rq.status ? rq.status : "all");
	static const struct web_option ovs[] = { { "", "All" }, { "1", "Only overdue reviews or actions" } };
	select_html(b, "overdue", "Overdue", ovs, 2, rq.overdue ? "1" : NULL);
	web_button(b, "Filter", WEB_BUTTON_SECONDARY);
	html_raw(b, "</form>");

	st = db_prep(c->db, "SELECT r.id, r.title, o.name, r.category, r.residual_likelihood, r.residual_impact, r.treatment,"
			    " r.review_date, r.owner, r.status, (SELECT count(*) FROM risk_actions a WHERE a.risk_id = r.id"
			    " AND a.done_on IS NULL AND a.due_date < ?7) FROM risks r JOIN orgs o ON o.id = r.org_id WHERE" RISK_FILTERS
			    " ORDER BY r.residual_likelihood * r.residual_impact DESC, r.review_date, r.id LIMIT ?8 OFFSET ?9");
	risk_bind(st, &rq);
	db_bind_i64(st, 8, SR_PAGE_SIZE);
	db_bind_i64(st, 9, (page - 1) * SR_PAGE_SIZE);
	struct web_column cols[] = { { "Risk", false }, { "Organisation", false }, { "Category", false },
				     { "Score now", false }, { "Treatment", false }, { "Next review", false }, { "Owner", false } };
	char caption[64];
	snprintf(caption, sizeof caption, "%lld risk%s", (long long)total, total == 1 ? "" : "s");
	struct web_table t;
	web_table_begin(&t, b, caption, cols, 7);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell_open(&t);
		html_printf(b, "<a href=\"/risks/%lld\">%s</a>", (long long)db_col_i64(st, 0), db_col_text(st, 1));
		if (db_col_i64(st, 10) > 0) {
			html_raw(b, " ");
			web_tag(b, "Action overdue", WEB_TAG_RED);
		}
		web_table_cell_close(&t);
		web_table_cell(&t, db_col_text(st, 2));
		web_table_cell(&t, sr_category_label(db_col_text(st, 3)));
		web_table_cell_open(&t);
		score_tag(b, (int)db_col_i64(st, 4), (int)db_col_i64(st, 5));
		web_table_cell_close(&t);
		web_table_cell(&t, sr_treatment_label(db_col_text(st, 6)));
		web_table_cell_open(&t);
		show_date(b, db_col_text(st, 7));
		if (strcmp(db_col_text(st, 9), "open") == 0 && strcmp(db_col_text(st, 7), rq.today) < 0) {
			html_raw(b, " ");
			web_tag(b, "Review overdue", WEB_TAG_RED);
		}
		web_table_cell_close(&t);
		web_table_cell(&t, db_col_text(st, 8));
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 7, "No risks match");
	web_table_end(&t);
	const char *qs = query_string(c, &rq);
	web_pagination(b, arena_printf(c->arena, "/orgs/%s/risks?%s", o.code, qs), page,
		       (total + SR_PAGE_SIZE - 1) / SR_PAGE_SIZE);
	web_button_link(b, "Download as CSV", arena_printf(c->arena, "/orgs/%s/risks.csv?%s", o.code, qs),
			WEB_BUTTON_SECONDARY);
	ctx_page_end(c);
}

static void get_risks_csv(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	struct risk_query rq;
	risk_args(c, &o, &rq);
	struct db_stmt *st = db_prep(c->db, "SELECT r.id, o.code, r.title, r.category, r.owner, r.likelihood, r.impact,"
					    " r.residual_likelihood, r.residual_impact, r.treatment, r.accepted_by, r.accepted_until,"
					    " r.review_date, r.status, r.description,"
					    " (SELECT count(*) FROM risk_actions a WHERE a.risk_id = r.id AND a.done_on IS NULL),"
					    " (SELECT count(*) FROM risk_actions a WHERE a.risk_id = r.id AND a.done_on IS NULL"
					    " AND a.due_date < ?7) FROM risks r JOIN orgs o ON o.id = r.org_id WHERE" RISK_FILTERS
					    " ORDER BY o.code, r.id");
	risk_bind(st, &rq);
	c->resp->content_type = "text/csv; charset=utf-8";
	http_resp_header(c->resp, "Content-Disposition", arena_printf(c->arena, "attachment; filename=\"risks-%s.csv\"", o.code));
	struct web_csv w;
	web_csv_init(&w, &c->resp->body);
	web_csv_bom(&w);
	static const char *const head[] = { "id", "organisation", "title", "category", "owner", "likelihood", "impact",
					    "inherent_score", "residual_likelihood", "residual_impact", "residual_score",
					    "rating", "treatment", "accepted_by", "accepted_until", "review_date",
					    "review_overdue", "open_actions", "overdue_actions", "status", "description" };
	for (size_t i = 0; i < BW_NELEM(head); i++)
		web_csv_cell(&w, head[i]);
	web_csv_row_end(&w);
	while (db_step(st) == DB_ROW) {
		int64_t l = db_col_i64(st, 5), i = db_col_i64(st, 6), rl = db_col_i64(st, 7), ri = db_col_i64(st, 8);
		web_csv_cell_int(&w, db_col_i64(st, 0));
		web_csv_cell(&w, db_col_text(st, 1));
		web_csv_cell(&w, db_col_text(st, 2));
		web_csv_cell(&w, db_col_text(st, 3));
		web_csv_cell(&w, db_col_text(st, 4));
		web_csv_cell_int(&w, l);
		web_csv_cell_int(&w, i);
		web_csv_cell_int(&w, l * i);
		web_csv_cell_int(&w, rl);
		web_csv_cell_int(&w, ri);
		web_csv_cell_int(&w, rl * ri);
		web_csv_cell(&w, sr_band_label(sr_band_of((int)(rl * ri))));
		web_csv_cell(&w, db_col_text(st, 9));
		web_csv_cell(&w, db_col_text(st, 10));
		web_csv_cell(&w, db_col_text(st, 11));
		web_csv_cell(&w, db_col_text(st, 12));
		bool overdue = strcmp(db_col_text(st, 13), "open") == 0 && strcmp(db_col_text(st, 12), rq.today) < 0;
		web_csv_cell(&w, overdue ? "yes" : "no");
		web_csv_cell_int(&w, db_col_i64(st, 15));
		web_csv_cell_int(&w, db_col_i64(st, 16));
		web_csv_cell(&w, db_col_text(st, 13));
		web_csv_cell(&w, db_col_text(st, 14));
		web_csv_row_end(&w);
	}
}

/* ---- heat map ---- */

static void counts(struct ctx *c, const char *sql, const char *lo, const char *hi, int64_t out[5][5])
{
	memset(out, 0, 25 * sizeof out[0][0]);
	struct db_stmt *st = db_prep(c->db, sql);
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	while (db_step(st) == DB_ROW) {
		int64_t l = db_col_i64(st, 0), i = db_col_i64(st, 1);
		if (l >= 1 && l <= 5 && i >= 1 && i <= 5)
			out[l - 1][i - 1] = db_col_i64(st, 2);
	}
}

static void get_heatmap(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	char lo[256], hi[256], today[11];
	orgs_subtree_bounds(o.path, lo, hi);
	sr_today(today);
	int64_t inh[5][5], res[5][5];
	counts(c, "SELECT r.likelihood, r.impact, count(*) FROM risks r JOIN orgs o ON o.id = r.org_id"
		  " WHERE o.path >= ?1 AND o.path < ?2 AND r.status = 'open' GROUP BY r.likelihood, r.impact", lo, hi, inh);
	counts(c, "SELECT r.residual_likelihood, r.residual_impact, count(*) FROM risks r JOIN orgs o ON o.id = r.org_id"
		  " WHERE o.path >= ?1 AND o.path < ?2 AND r.status = 'open' GROUP BY r.residual_likelihood, r.residual_impact",
	       lo, hi, res);
	struct db_stmt *st = db_prep(c->db, "SELECT count(*), coalesce(sum(CASE WHEN r.review_date < ?3 THEN 1 ELSE 0 END), 0)"
					    " FROM risks r JOIN orgs o ON o.id = r.org_id WHERE o.path >= ?1 AND o.path < ?2"
					    " AND r.status = 'open'");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_text(st, 3, today);
	int64_t open = 0, overdue = 0;
	if (db_step(st) == DB_ROW) {
		open = db_col_i64(st, 0);
		overdue = db_col_i64(st, 1);
		db_reset(st);
	}
	struct web_link crumbs[] = { { "Home", "/" }, { "Risk register", arena_printf(c->arena, "/orgs/%s/risks", o.code) } };
	ctx_page_begin(c, arena_printf(c->arena, "Risk heat map - %s", o.name), crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Risk heat map</h1>", o.name);
	html_printf(b, "<p>%lld open risks. Each square counts the risks at that likelihood and impact. The first map "
		       "shows them before controls, the second as they are now.</p>",
		    (long long)open);
	if (overdue)
		html_printf(b, "<p><a href=\"/orgs/%s/risks?overdue=1\">%lld open risks are overdue for review</a></p>",
			    o.code, (long long)overdue);
	html_raw(b, "<div class=\"nhsuk-grid-row\"><div class=\"nhsuk-grid-column-one-half\"><h2>Before controls</h2>");
	sr_heatmap_svg(b, "heat-inherent", "Risks before controls", inh);
	html_raw(b, "</div><div class=\"nhsuk-grid-column-one-half\"><h2>Now</h2>");
	sr_heatmap_svg(b, "heat-residual", "Risks now, with controls", res);
	html_raw(b, "</div></div><h2>The same counts as a table</h2>");
	sr_heatmap_table(b, "Open risks by likelihood and impact", inh, res);
	ctx_page_end(c);
}

/* ---- raising and changing a risk ---- */

static void risk_form(struct ctx *c, const char *title, const char *caption, const char *action, const char *const *v,
		      const struct web_form_errors *errs, const struct web_link *crumbs, size_t ncrumbs)
{
	ctx_page_begin(c, title, crumbs, ncrumbs, errs ? errs->e : NULL, errs ? errs->n : 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>%s</h1>", caption, title);
	html_raw(b, "<details class=\"nhsuk-details\"><summary class=\"nhsuk-details__summary\"><span class=\"nhsuk-details__summary-text\">"
		    "How to score a risk</span></summary><div class=\"nhsuk-details__text\"><p>Likelihood: 1 rare, 2 unlikely, "
		    "3 possible, 4 likely, 5 almost certain. Impact: 1 negligible, 2 minor, 3 moderate, 4 major, 5 catastrophic. "
		    "The score is likelihood times impact: 1 to 3 low, 4 to 6 moderate, 8 to 12 high, 15 to 25 extreme.</p>"
		    "</div></details>");
	struct web_form form = { .action = action, .fields = sr_risk_fields, .fields_n = RK_NFIELDS, .submit = "Save risk" };
	web_form_render(b, &form, v, errs, c->session.csrf);
	ctx_page_end(c);
	if (errs && errs->n)
		c->resp->status = 400;
}

static void get_risk_new(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	char today[11], review[11];
	sr_today(today);
	sr_date_add(today, 90, review);
	const char *v[RK_NFIELDS] = { 0 };
	v[RK_TREATMENT] = "mitigate";
	v[RK_STATUS] = "open";
	v[RK_L] = v[RK_I] = v[RK_RL] = v[RK_RI] = "3";
	char shown[32];
	sr_date_show(review, shown);
	v[RK_REVIEW] = arena_strdup(c->arena, shown);
	const char *list = arena_printf(c->arena, "/orgs/%s/risks", o.code);
	struct web_link crumbs[] = { { "Home", "/" }, { "Risk register", list } };
	risk_form(c, "Raise a risk", o.name, list, v, NULL, crumbs, 2);
}

static void post_risk_new(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	const char *v[RK_NFIELDS];
	form_values(c, sr_risk_fields, RK_NFIELDS, v);
	if (!v[RK_STATUS])
		v[RK_STATUS] = "open";
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	int64_t id = 0;
	if (sr_risk_validate(v, false, &errs) == BW_OK && sr_risk_save(c->db, &c->actor, o.id, 0, v, &id, &e) != BW_OK)
		web_form_errors_add(&errs, e.field, e.msg);
	if (errs.n) {
		const char *list = arena_printf(c->arena, "/orgs/%s/risks", o.code);
		struct web_link crumbs[] = { { "Home", "/" }, { "Risk register", list } };
		return risk_form(c, "Raise a risk", o.name, list, v, &errs, crumbs, 2);
	}
	ctx_redirect(c, arena_printf(c->arena, "/risks/%lld", (long long)id), "Risk raised");
}

static void get_risk_edit(struct ctx *c)
{
	struct sr_risk r;
	if (!load_risk(c, &r))
		return;
	const char *self = arena_printf(c->arena, "/risks/%lld", (long long)r.id);
	struct web_link crumbs[] = { { "Home", "/" }, { r.v[RK_TITLE], self } };
	const char *v[RK_NFIELDS];
	memcpy(v, r.v, sizeof v);
	char shown[32];
	sr_date_show(r.v[RK_REVIEW], shown);
	v[RK_REVIEW] = shown;
	risk_form(c, "Change risk", r.org_name, self, v, NULL, crumbs, 2);
}

static void post_risk_edit(struct ctx *c)
{
	struct sr_risk r;
	if (!load_risk(c, &r))
		return;
	const char *v[RK_NFIELDS];
	form_values(c, sr_risk_fields, RK_NFIELDS, v);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	bool accepted = strcmp(r.v[RK_TREATMENT], "accept") == 0;
	if (sr_risk_validate(v, accepted, &errs) == BW_OK &&
	    sr_risk_save(c->db, &c->actor, r.org_id, r.id, v, NULL, &e) != BW_OK)
		web_form_errors_add(&errs, e.field, e.msg);
	const char *self = arena_printf(c->arena, "/risks/%lld", (long long)r.id);
	if (errs.n) {
		struct web_link crumbs[] = { { "Home", "/" }, { r.v[RK_TITLE], self } };
		return risk_form(c, "Change risk", r.org_name, self, v, &errs, crumbs, 2);
	}
	ctx_redirect(c, self, "Risk saved");
}

/* ---- one risk ---- */

static void risk_page(struct ctx *c, const struct sr_risk *r, const struct web_form_errors *errs, const char *const *accept_v,
		      const char *const *action_v)
{
	char today[11];
	sr_today(today);
	const char *self = arena_printf(c->arena, "/risks/%lld", (long long)r->id);
	struct org_ref ref = { r->org_id, "" };
	snprintf(ref.path, sizeof ref.path, "%s", r->org_path);
	bool edit = orgs_can(&c->actor, ACT_EDIT, &ref);
	struct web_link crumbs[] = { { "Home", "/" },
				     { "Risk register", arena_printf(c->arena, "/orgs/%s/risks", r->org_code) } };
	ctx_page_begin(c, r->v[RK_TITLE], crumbs, 2, errs ? errs->e : NULL, errs ? errs->n : 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>%s</h1>", r->org_name, r->v[RK_TITLE]);
	html_raw(b, "<p>");
	score_tag(b, r->rl, r->ri);
	html_printf(b, " score now. %s.</p>", strcmp(r->v[RK_STATUS], "open") == 0 ? "Open" : "Closed");

	html_raw(b, "<dl class=\"nhsuk-summary-list\">");
	const char *change = edit ? arena_printf(c->arena, "%s/edit", self) : NULL;
	web_summary_row(b, "Description", r->v[RK_DESC], change);
	web_summary_row(b, "Category", sr_category_label(r->v[RK_CATEGORY]), change);
	web_summary_row(b, "Risk owner", r->v[RK_OWNER], change);
	web_summary_row(b, "Before controls",
			arena_printf(c->arena, "Likelihood %d (%s) x impact %d (%s) = %d, %s", r->l, sr_likelihood_label(r->l),
				     r->i, sr_impact_label(r->i), r->l * r->i, sr_band_label(sr_band_of(r->l * r->i))),
			change);
	web_summary_row(b, "Now, with controls",
			arena_printf(c->arena, "Likelihood %d (%s) x impact %d (%s) = %d, %s", r->rl, sr_likelihood_label(r->rl),
				     r->ri, sr_impact_label(r->ri), r->rl * r->ri, sr_band_label(sr_band_of(r->rl * r->ri))),
			change);
	web_summary_row(b, "Treatment", sr_treatment_label(r->v[RK_TREATMENT]), change);
	if (*r->accepted_until) {
		char until[32], at[48];
		sr_date_show(r->accepted_until, until);
		bw_time_london(r->accepted_at, at);
		html_raw(b, "<div class=\"nhsuk-summary-list__row nhsuk-summary-list__row--no-actions\">"
			    "<dt class=\"nhsuk-summary-list__key\">Accepted</dt><dd class=\"nhsuk-summary-list__value\">");
		html_printf(b, "By %s on %s, until %s ", r->accepted_by, at, until);
		if (strcmp(r->accepted_until, today) < 0)
			web_tag(b, "Acceptance ended", WEB_TAG_RED);
		html_raw(b, "</dd></div>");
	}
	html_raw(b, "<div class=\"nhsuk-summary-list__row\"><dt class=\"nhsuk-summary-list__key\">Next review</dt>"
		    "<dd class=\"nhsuk-summary-list__value\">");
	show_date(b, r->v[RK_REVIEW]);
	if (strcmp(r->v[RK_STATUS], "open") == 0 && strcmp(r->v[RK_REVIEW], today) < 0) {
		html_raw(b, " ");
		web_tag(b, "Review overdue", WEB_TAG_RED);
	}
	html_raw(b, "</dd><dd class=\"nhsuk-summary-list__actions\">");
	if (change)
		html_printf(b, "<a href=\"%s\">Change<span class=\"nhsuk-u-visually-hidden\"> next review</span></a>", change);
	html_raw(b, "</dd></div></dl>");
	if (edit)
		web_button_link(b, "Change risk", change, WEB_BUTTON_SECONDARY);

	/* actions */
	html_raw(b, "<h2>Actions</h2>");
	struct db_stmt *st = db_prep(c->db, "SELECT id, title, owner, due_date, done_on FROM risk_actions WHERE risk_id = ?1"
					    " ORDER BY done_on IS NOT NULL, due_date, id LIMIT 200");
	db_bind_i64(st, 1, r->id);
	struct web_column acols[] = { { "Action", false }, { "Who", false }, { "Due", false }, { "Status", false } };
	struct web_table t;
	web_table_begin(&t, b, "What is being done about it", acols, 4);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell(&t, db_col_text(st, 1));
		web_table_cell(&t, db_col_text(st, 2));
		web_table_cell_open(&t);
		show_date(b, db_col_text(st, 3));
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		if (db_col_text(st, 4)) {
			html_raw(b, "Done on ");
			show_date(b, db_col_text(st, 4));
		} else {
			if (strcmp(db_col_text(st, 3), today) < 0)
				web_tag(b, "Overdue", WEB_TAG_RED);
			else
				web_tag(b, "Open", WEB_TAG_BLUE);
			if (edit) {
				web_form_begin(b, arena_printf(c->arena, "%s/actions/%lld/done", self, (long long)db_col_i64(st, 0)),
					       "post", c->session.csrf);
				html_printf(b, "<button class=\"nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0\" "
					       "type=\"submit\">Mark as done<span class=\"nhsuk-u-visually-hidden\">: %s</span></button>",
					    db_col_text(st, 1));
				web_form_end(b);
			}
		}
		web_table_cell_close(&t);
		web_table_row_end(&t);
		if (rows == 200) {
			db_reset(st);
			break;
		}
	}
	if (!rows)
		web_table_empty(&t, 4, "No actions yet");
	web_table_end(&t);
	if (edit) {
		html_raw(b, "<h3>Add an action</h3>");
		struct web_form form = { .action = arena_printf(c->arena, "%s/actions", self), .fields = sr_action_fields,
					 .fields_n = AC_NFIELDS, .submit = "Add action" };
		web_form_render(b, &form, action_v, errs && action_v ? errs : NULL, c->session.csrf);
	}

	/* links to systems and suppliers */
	html_raw(b, "<h2>Linked systems and suppliers</h2>");
	st = db_prep(c->db, "SELECT kind, target_id FROM risk_links WHERE risk_id = ?1 ORDER BY kind, target_id LIMIT 100");
	db_bind_i64(st, 1, r->id);
	struct { char kind[16]; int64_t id; } links[100];
	size_t nl = 0;
	while (nl < 100 && db_step(st) == DB_ROW) {
		snprintf(links[nl].kind, sizeof links[nl].kind, "%s", db_col_text(st, 0));
		links[nl].id = db_col_i64(st, 1);
		nl++;
	}
	if (nl == 100)
		db_reset(st);
	struct web_column lcols[] = { { "Kind", false }, { "Name", false }, { "Action", false } };
	web_table_begin(&t, b, "What this risk concerns", lcols, 3);
	size_t shown = 0;
	for (size_t k = 0; k < nl; k++) {
		char name[LIM_NAME + 1] = "";
		const char *href = NULL;
		if (strcmp(links[k].kind, "supplier") == 0) {
			if (sr_supplier_access(c->db, &c->actor, ACT_VIEW, links[k].id, NULL) != BW_OK ||
			    !sr_supplier_name(c->db, links[k].id, name, sizeof name))
				continue;
			href = arena_printf(c->arena, "/suppliers/%lld", (long long)links[k].id);
		} else {
			/* a system of the risk's own organisation (another area's table) */
			st = db_prep(c->db, "SELECT name FROM systems WHERE id = ?1 AND org_id = ?2");
			db_bind_i64(st, 1, links[k].id);
			db_bind_i64(st, 2, r->org_id);
			if (db_step(st) != DB_ROW)
				continue;
			snprintf(name, sizeof name, "%s", db_col_text(st, 0));
			db_reset(st);
			href = arena_printf(c->arena, "/systems/%lld", (long long)links[k].id);
		}
		shown++;
		web_table_row_begin(&t);
		web_table_cell(&t, strcmp(links[k].kind, "supplier") == 0 ? "Supplier" : "System");
		web_table_cell_link(&t, name, href);
		web_table_cell_open(&t);
		if (edit) {
			web_form_begin(b, arena_printf(c->arena, "%s/links/delete", self), "post", c->session.csrf);
			html_printf(b, "<input type=\"hidden\" name=\"link\" value=\"%s:%lld\">", links[k].kind, (long long)links[k].id);
			html_printf(b, "<button class=\"nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0\" "
				       "type=\"submit\">Remove<span class=\"nhsuk-u-visually-hidden\"> %s</span></button>", name);
			web_form_end(b);
		}
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!shown)
		web_table_empty(&t, 3, "Not linked to any system or supplier");
	web_table_end(&t);
	if (edit) {
		/* what the risk's organisation has: its systems, the suppliers it uses */
		struct web_option opts[200];
		size_t no = 0;
		st = db_prep(c->db, "SELECT id, name FROM systems WHERE org_id = ?1 ORDER BY name, id LIMIT 100");
		db_bind_i64(st, 1, r->org_id);
		while (no < 100 && db_step(st) == DB_ROW) {
			opts[no].value = arena_printf(c->arena, "system:%lld", (long long)db_col_i64(st, 0));
			opts[no].label = arena_printf(c->arena, "System: %s", db_col_text(st, 1));
			no++;
		}
		if (no == 100)
			db_reset(st);
		size_t from = no;
		st = db_prep(c->db, "SELECT s.id, s.name FROM suppliers s WHERE s.org_id = ?1 OR s.id IN"
				    " (SELECT supplier_id FROM supplier_links WHERE org_id = ?1) ORDER BY s.name, s.id LIMIT 100");
		db_bind_i64(st, 1, r->org_id);
		while (no < from + 100 && db_step(st) == DB_ROW) {
			opts[no].value = arena_printf(c->arena, "supplier:%lld", (long long)db_col_i64(st, 0));
			opts[no].label = arena_printf(c->arena, "Supplier: %s", db_col_text(st, 1));
			no++;
		}
		if (no == from + 100)
			db_reset(st);
		if (no) {
			struct web_field f[] = { { .name = "link", .label = "System or supplier", .type = WEB_FIELD_SELECT,
						   .required = true, .options = opts, .options_n = no } };
			struct web_form form = { .action = arena_printf(c->arena, "%s/links", self), .fields = f, .fields_n = 1,
						 .submit = "Link" };
			web_form_render(b, &form, NULL, NULL, c->session.csrf);
		}
	}

	/* acceptance */
	if (edit && sr_may_accept(c->actor.role) && strcmp(r->v[RK_STATUS], "open") == 0) {
		html_raw(b, "<h2>Accept this risk</h2><p>Accepting a risk means deciding to live with it as it is now, for a "
			    "set time. Your name and the date are recorded.</p>");
		struct web_form form = { .action = arena_printf(c->arena, "%s/accept", self), .fields = sr_accept_fields,
					 .fields_n = 2, .submit = "Accept this risk" };
		web_form_render(b, &form, accept_v, errs && accept_v ? errs : NULL, c->session.csrf);
	}

	/* history */
	html_raw(b, "<h2>History of scores</h2>");
	st = db_prep(c->db, "SELECT at, actor, likelihood, impact, residual_likelihood, residual_impact, note FROM risk_history"
			    " WHERE risk_id = ?1 ORDER BY at DESC, id DESC LIMIT 100");
	db_bind_i64(st, 1, r->id);
	struct web_column hcols[] = { { "When", false }, { "Who", false }, { "Before controls", true }, { "Now", true },
				      { "What happened", false } };
	web_table_begin(&t, b, "Changes to this risk's scores", hcols, 5);
	rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		char at[48];
		bw_time_london(db_col_i64(st, 0), at);
		web_table_row_begin(&t);
		web_table_cell(&t, at);
		web_table_cell(&t, db_col_text(st, 1));
		web_table_cell_num(&t, db_col_i64(st, 2) * db_col_i64(st, 3));
		web_table_cell_num(&t, db_col_i64(st, 4) * db_col_i64(st, 5));
		web_table_cell(&t, db_col_text(st, 6));
		web_table_row_end(&t);
		if (rows == 100) {
			db_reset(st);
			break;
		}
	}
	web_table_end(&t);

	if (edit) {
		html_raw(b, "<h2>Delete this risk</h2><p>Only for a risk raised by mistake. To record that a risk no longer "
			    "applies, change its status to closed.</p>");
		web_form_begin(b, arena_printf(c->arena, "%s/delete", self), "post", c->session.csrf);
		web_button(b, "Delete risk", WEB_BUTTON_WARNING);
		web_form_end(b);
	}
	ctx_page_end(c);
	if (errs && errs->n)
		c->resp->status = 400;
}

static void get_risk(struct ctx *c)
{
	struct sr_risk r;
	if (!load_risk(c, &r))
		return;
	risk_page(c, &r, NULL, NULL, NULL);
}

static void post_accept(struct ctx *c)
{
	struct sr_risk r;
	if (!load_risk(c, &r))
		return;
	if (!sr_may_accept(c->actor.role))
		return ctx_fail(c, BW_EFORBIDDEN, NULL, "Only an organisation lead, ICS lead or administrator can accept a risk");
	const char *v[2];
	form_values(c, sr_accept_fields, 2, v);
	char today[11];
	sr_today(today);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	if (sr_accept_validate(v, today, &errs) == BW_OK && sr_risk_accept(c->db, &c->actor, r.id, v[0], v[1], &e) != BW_OK)
		web_form_errors_add(&errs, e.field, e.msg);
	if (errs.n)
		return risk_page(c, &r, &errs, v, NULL);
	ctx_redirect(c, arena_printf(c->arena, "/risks/%lld", (long long)r.id), "Risk accepted");
}

static void post_action(struct ctx *c)
{
	struct sr_risk r;
	if (!load_risk(c, &r))
		return;
	const char *v[AC_NFIELDS];
	form_values(c, sr_action_fields, AC_NFIELDS, v);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	if (sr_action_validate(v, &errs) == BW_OK && sr_action_add(c->db, &c->actor, r.id, v, NULL, &e) != BW_OK)
		web_form_errors_add(&errs, e.field, e.msg);
	if (errs.n)
		return risk_page(c, &r, &errs, NULL, v);
	ctx_redirect(c, arena_printf(c->arena, "/risks/%lld", (long long)r.id), "Action added");
}

static void post_action_done(struct ctx *c)
{
	struct sr_risk r;
	if (!load_risk(c, &r))
		return;
	int64_t id;
	struct bw_error e = { 0 };
	const char *v = ctx_param(c, "action");
	if (!v || !str_to_i64(str_c(v), 1, INT64_MAX, &id))
		return not_found(c);
	if (sr_action_done(c->db, &c->actor, r.id, id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/risks/%lld", (long long)r.id), "Action marked as done");
}

/* "system:12" or "supplier:7", and the target must be one the risk's
 * organisation has: its own system, or a supplier it owns or links. */
static bool link_target(struct ctx *c, const struct sr_risk *r, const char *v, const char **kind, int64_t *id)
{
	if (!v)
		return false;
	const char *colon = strchr(v, ':');
	if (!colon || !str_to_i64(str_c(colon + 1), 1, INT64_MAX, id))
		return false;
	size_t n = (size_t)(colon - v);
	const char *sql;
	if (n == 6 && strncmp(v, "system", 6) == 0) {
		*kind = "system";
		sql = "SELECT 1 FROM systems WHERE id = ?1 AND org_id = ?2";
	} else if (n == 8 && strncmp(v, "supplier", 8) == 0) {
		*kind = "supplier";
		sql = "SELECT 1 FROM suppliers s WHERE s.id = ?1 AND (s.org_id = ?2 OR EXISTS (SELECT 1 FROM supplier_links l"
		      " WHERE l.org_id = ?2 AND l.supplier_id = s.id))";
	} else {
		return false;
	}
	struct db_stmt *st = db_prep(c->db, sql);
	db_bind_i64(st, 1, *id);
	db_bind_i64(st, 2, r->org_id);
	bool ok = db_step(st) == DB_ROW;
	if (ok)
		db_reset(st);
	return ok;
}

static void post_link(struct ctx *c)
{
	struct sr_risk r;
	if (!load_risk(c, &r))
		return;
	const char *kind;
	int64_t id;
	struct bw_error e = { 0 };
	if (!link_target(c, &r, ctx_form(c, "link"), &kind, &id))
		return ctx_fail(c, BW_EINVAL, "link", "Select a system or supplier from the list");
	if (sr_risk_link(c->db, &c->actor, r.id, kind, id, true, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/risks/%lld", (long long)r.id), "Link added");
}

static void post_unlink(struct ctx *c)
{
	struct sr_risk r;
	if (!load_risk(c, &r))
		return;
	const char *v = ctx_form(c, "link"), *colon = v ? strchr(v, ':') : NULL;
	int64_t id;
	struct bw_error e = { 0 };
	if (!colon || !str_to_i64(str_c(colon + 1), 1, INT64_MAX, &id))
		return ctx_fail(c, BW_EINVAL, "link", "Select a link to remove");
	const char *kind = strncmp(v, "system:", 7) == 0 ? "system" : strncmp(v, "supplier:", 9) == 0 ? "supplier" : "";
	if (sr_risk_link(c->db, &c->actor, r.id, kind, id, false, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/risks/%lld", (long long)r.id), "Link removed");
}

static void post_delete(struct ctx *c)
{
	struct sr_risk r;
	if (!load_risk(c, &r))
		return;
	struct bw_error e = { 0 };
	if (sr_risk_delete(c->db, &c->actor, r.id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s/risks", r.org_code), "Risk deleted");
}

/* ---- API ---- */

static void json_risk(struct ctx *c, struct web_json *j, const struct sr_risk *r, bool full)
{
	char today[11];
	sr_today(today);
	web_json_key(j, "id");
	web_json_int(j, r->id);
	web_json_key(j, "org");
	web_json_str(j, r->org_code);
	static const int keys[] = { RK_TITLE, RK_DESC, RK_CATEGORY, RK_OWNER, RK_TREATMENT, RK_REVIEW, RK_STATUS };
	for (size_t k = 0; k < BW_NELEM(keys); k++) {
		web_json_key(j, sr_risk_fields[keys[k]].name);
		web_json_str(j, r->v[keys[k]]);
	}
	web_json_key(j, "likelihood");
	web_json_int(j, r->l);
	web_json_key(j, "impact");
	web_json_int(j, r->i);
	web_json_key(j, "residual_likelihood");
	web_json_int(j, r->rl);
	web_json_key(j, "residual_impact");
	web_json_int(j, r->ri);
	web_json_key(j, "inherent_score");
	web_json_int(j, r->l * r->i);
	web_json_key(j, "residual_score");
	web_json_int(j, r->rl * r->ri);
	web_json_key(j, "rating");
	web_json_str(j, sr_band_label(sr_band_of(r->rl * r->ri)));
	web_json_key(j, "review_overdue");
	web_json_bool(j, strcmp(r->v[RK_STATUS], "open") == 0 && strcmp(r->v[RK_REVIEW], today) < 0);
	web_json_key(j, "accepted_by");
	web_json_str(j, *r->accepted_by ? r->accepted_by : NULL);
	web_json_key(j, "accepted_until");
	web_json_str(j, *r->accepted_until ? r->accepted_until : NULL);
	if (!full)
		return;
	web_json_key(j, "actions");
	web_json_array(j);
	struct db_stmt *st = db_prep(c->db, "SELECT id, title, owner, due_date, done_on FROM risk_actions WHERE risk_id = ?1"
					    " ORDER BY id LIMIT 500");
	db_bind_i64(st, 1, r->id);
	while (db_step(st) == DB_ROW) {
		web_json_object(j);
		web_json_key(j, "id");
		web_json_int(j, db_col_i64(st, 0));
		web_json_key(j, "action");
		web_json_str(j, db_col_text(st, 1));
		web_json_key(j, "owner");
		web_json_str(j, db_col_text(st, 2));
		web_json_key(j, "due_date");
		web_json_str(j, db_col_text(st, 3));
		web_json_key(j, "done_on");
		web_json_str(j, db_col_text(st, 4));
		web_json_key(j, "overdue");
		web_json_bool(j, !db_col_text(st, 4) && strcmp(db_col_text(st, 3), today) < 0);
		web_json_end(j);
	}
	web_json_end(j);
	web_json_key(j, "links");
	web_json_array(j);
	st = db_prep(c->db, "SELECT kind, target_id FROM risk_links WHERE risk_id = ?1 ORDER BY kind, target_id LIMIT 500");
	db_bind_i64(st, 1, r->id);
	while (db_step(st) == DB_ROW) {
		web_json_object(j);
		web_json_key(j, "kind");
		web_json_str(j, db_col_text(st, 0));
		web_json_key(j, "id");
		web_json_int(j, db_col_i64(st, 1));
		web_json_end(j);
	}
	web_json_end(j);
	web_json_key(j, "history");
	web_json_array(j);
	st = db_prep(c->db, "SELECT at, actor, likelihood, impact, residual_likelihood, residual_impact, note FROM risk_history"
			    " WHERE risk_id = ?1 ORDER BY at, id LIMIT 500");
	db_bind_i64(st, 1, r->id);
	while (db_step(st) == DB_ROW) {
		char at[32];
		bw_time_iso(db_col_i64(st, 0), at);
		web_json_object(j);
		web_json_key(j, "at");
		web_json_str(j, at);
		web_json_key(j, "actor");
		web_json_str(j, db_col_text(st, 1));
		web_json_key(j, "inherent_score");
		web_json_int(j, db_col_i64(st, 2) * db_col_i64(st, 3));
		web_json_key(j, "residual_score");
		web_json_int(j, db_col_i64(st, 4) * db_col_i64(st, 5));
		web_json_key(j, "note");
		web_json_str(j, db_col_text(st, 6));
		web_json_end(j);
	}
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
	struct risk_query rq;
	risk_args(c, &o, &rq);
	struct db_stmt *st = db_prep(c->db, "SELECT r.id FROM risks r JOIN orgs o ON o.id = r.org_id WHERE" RISK_FILTERS
					    " ORDER BY r.id LIMIT ?8 OFFSET ?9");
	risk_bind(st, &rq);
	db_bind_i64(st, 8, limit + 1);
	db_bind_i64(st, 9, offset);
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
		struct sr_risk r;
		if (sr_risk_get(c->db, c->arena, ids[i], &r) != BW_OK)
			continue;
		web_json_object(&j);
		json_risk(c, &j, &r, false);
		web_json_end(&j);
	}
	web_json_list_end(&j, more ? arena_printf(c->arena, "%lld", (long long)(offset + limit)) : NULL);
}

static void api_one(struct ctx *c, int64_t id, int status)
{
	struct sr_risk r;
	if (sr_risk_get(c->db, c->arena, id, &r) != BW_OK)
		return not_found(c);
	struct web_json j;
	ctx_json_begin(c, &j);
	c->resp->status = status;
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	json_risk(c, &j, &r, true);
	web_json_end(&j);
	web_json_end(&j);
}

static void api_get(struct ctx *c)
{
	struct sr_risk r;
	if (!load_risk(c, &r))
		return;
	api_one(c, r.id, 200);
}

/* POST raises a risk; PUT changes the members it sends. Treatment "accept"
 * with accepted_until records the acceptance by the caller (a lead). */
static void api_save(struct ctx *c, struct sr_risk *old, int64_t org_id)
{
	json_t *body;
	struct bw_error e = { 0 };
	if (http_json_parse(c->req->body, c->req->body_len, &body, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	const char *v[RK_NFIELDS] = { 0 };
	if (old)
		memcpy(v, old->v, sizeof v);
	else {
		v[RK_TREATMENT] = "mitigate";
		v[RK_STATUS] = "open";
	}
	const char *acc[2] = { NULL, NULL };
	if (sr_json_values(body, sr_risk_fields, RK_NFIELDS, c->arena, v, &e) != BW_OK ||
	    sr_json_values(body, sr_accept_fields, 2, c->arena, acc, &e) != BW_OK) {
		json_decref(body);
		return ctx_error(c, 400, &e);
	}
	for (size_t i = 0; i < RK_NFIELDS; i++)
		if (v[i])
			v[i] = arena_strdup(c->arena, v[i]);
	for (size_t i = 0; i < 2; i++)
		if (acc[i])
			acc[i] = arena_strdup(c->arena, acc[i]);
	json_decref(body);
	bool was = old && strcmp(old->v[RK_TREATMENT], "accept") == 0;
	bool accepting = old && !was && v[RK_TREATMENT] && strcmp(v[RK_TREATMENT], "accept") == 0 && acc[0];
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	if (accepting) {
		char today[11];
		sr_today(today);
		if (!sr_may_accept(c->actor.role))
			return ctx_fail(c, BW_EFORBIDDEN, "treatment",
					"Only an organisation lead, ICS lead or administrator can accept a risk");
		if (sr_accept_validate(acc, today, &errs) != BW_OK)
			return ctx_fail(c, BW_EINVAL, errs.e[0].field, errs.e[0].msg);
		/* save the other changes with the treatment unchanged, then accept */
		v[RK_TREATMENT] = old->v[RK_TREATMENT];
	}
	if (sr_risk_validate(v, was, &errs) != BW_OK)
		return ctx_fail(c, BW_EINVAL, errs.e[0].field, errs.e[0].msg);
	int64_t id = old ? old->id : 0;
	bool changed = !old;
	for (size_t i = 0; old && i < RK_NFIELDS; i++)
		changed = changed || strcmp(v[i] ? v[i] : "", old->v[i]) != 0;
	/* an acceptance alone is recorded once, as the acceptance */
	if (changed && sr_risk_save(c->db, &c->actor, org_id, id, v, &id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	if (accepting && sr_risk_accept(c->db, &c->actor, id, acc[0], acc[1], &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	api_one(c, id, old ? 200 : 201);
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
	struct sr_risk r;
	if (!load_risk(c, &r))
		return;
	api_save(c, &r, r.org_id);
}

static void api_delete(struct ctx *c)
{
	struct sr_risk r;
	if (!load_risk(c, &r))
		return;
	struct bw_error e = { 0 };
	if (sr_risk_delete(c->db, &c->actor, r.id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	web_json_key(&j, "id");
	web_json_int(&j, r.id);
	web_json_key(&j, "deleted");
	web_json_bool(&j, true);
	web_json_end(&j);
	web_json_end(&j);
}

const struct route risks_routes[] = {
	{ "GET", "/orgs/{org}/risks", get_risks, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/risks.csv", get_risks_csv, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/risks/heatmap", get_heatmap, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/risks/new", get_risk_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "POST", "/orgs/{org}/risks", post_risk_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "GET", "/risks/{risk}", get_risk, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "risk" },
	{ "GET", "/risks/{risk}/edit", get_risk_edit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "risk" },
	{ "POST", "/risks/{risk}", post_risk_edit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "risk" },
	{ "POST", "/risks/{risk}/accept", post_accept, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "risk" },
	{ "POST", "/risks/{risk}/actions", post_action, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "risk" },
	{ "POST", "/risks/{risk}/actions/{action}/done", post_action_done, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "action" },
	{ "POST", "/risks/{risk}/links", post_link, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "risk" },
	{ "POST", "/risks/{risk}/links/delete", post_unlink, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "risk" },
	{ "POST", "/risks/{risk}/delete", post_delete, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "risk" },
	{ "GET", "/api/v1/orgs/{org}/risks", api_list, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "POST", "/api/v1/orgs/{org}/risks", api_post, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "GET", "/api/v1/risks/{risk}", api_get, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "risk" },
	{ "PUT", "/api/v1/risks/{risk}", api_put, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "risk" },
	{ "DELETE", "/api/v1/risks/{risk}", api_delete, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "risk" },
	{ NULL },
};

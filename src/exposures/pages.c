/*
 * pages: the exposures pages and the module's route table.
 *   /exposures                          your organisation's exposures (redirect)
 *   /orgs/{org}/exposures[.csv]         current exposures of an organisation and its members,
 *                                       KEV and critical first; filters system, severity,
 *                                       state, KEV, answer; CSV
 *   /orgs/{org}/exposures/top           the vulnerabilities hitting most organisations there
 *   /exposures/{exposure}               one exposure: evidence, decision, history, triage
 *   /vulnerabilities/{vuln}             one vulnerability across the feeds, and who is
 *                                       exposed to it inside the viewer's subtree (per ICS)
 * "Cannot tell" (the engine's unknown) is shown beside "affected", never hidden.
 */
#include <stdio.h>
#include <string.h>

#include "app/routes.h"
#include "exposures/exposures_int.h"

#define PAGE_SIZE 50

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

static void show_time(struct buf *b, int64_t t)
{
	char s[48];
	bw_time_london(t, s);
	html_text(b, s);
}

static void show_date(struct buf *b, int64_t t)
{
	char s[32];
	bw_time_iso(t, s);
	s[10] = 0;
	html_text(b, s);
}

/* ---- the filters, shared by the list, the CSV and the API ---- */

static const char *const sev_names[] = { "none", "low", "medium", "high", "critical" };

static const char *qval(struct ctx *c, const char *name, size_t max)
{
	const char *v = ctx_query(c, name);
	if (!v || !*v || strlen(v) > max)
		return NULL;
	return v;
}

void exposures_query_args(struct ctx *c, const char *path, struct exp_query *q)
{
	memset(q, 0, sizeof *q);
	orgs_subtree_bounds(path, q->lo, q->hi);
	q->severity = -1;
	const char *v = qval(c, "system", 20);
	if (v && str_to_i64(str_c(v), 1, INT64_MAX, &q->system))
		q->system_s = v;
	v = qval(c, "severity", 16);
	for (int i = 0; v && i < 5; i++)
		if (!strcmp(v, sev_names[i])) {
			q->severity = i;
			q->severity_s = sev_names[i];
		}
	enum exposures_state s;
	v = qval(c, "state", 32);
	q->state = v && exposures_state_parse(v, &s) ? exposures_state_name(s) : NULL;
	v = qval(c, "answer", 16);
	q->answer = v && !strcmp(v, "affected") ? "affected" : v && !strcmp(v, "unknown") ? "unknown" : NULL;
	v = qval(c, "kev", 4);
	q->kev = v && (!strcmp(v, "1") || !strcmp(v, "yes"));
	q->kev_s = q->kev ? "1" : NULL;
}

void exposures_query_bind(struct db_stmt *st, const struct exp_query *q)
{
	db_bind_text(st, 1, q->lo);
	db_bind_text(st, 2, q->hi);
	db_bind_i64(st, 3, q->system);
	db_bind_i64(st, 4, q->severity);
	db_bind_text(st, 5, q->state);
	db_bind_i64(st, 6, q->kev);
	db_bind_text(st, 7, q->answer);
}

static const char *query_string(struct ctx *c, const struct exp_query *q)
{
	struct buf b;
	buf_init(&b);
	const char *keys[] = { "system", "severity", "state", "kev", "answer" };
	const char *vals[] = { q->system_s, q->severity_s, q->state, q->kev_s, q->answer };
	for (size_t i = 0; i < BW_NELEM(keys); i++) {
		if (!vals[i])
			continue;
		if (b.len)
			buf_putc(&b, '&');
		buf_puts(&b, keys[i]);
		buf_putc(&b, '=');
		html_url_component(&b, vals[i]);
	}
	char *s = arena_strdup(c->arena, b.len ? buf_cstr(&b) : "");
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

static void vuln_href(struct buf *b, const char *id)
{
	html_raw(b, "/vulnerabilities/");
	html_url_component(b, id);
}

static void severity_tag(struct buf *b, int rank, bool has_score, int64_t cvss10)
{
	web_tag(b, exposures_severity_name(rank), exposures_severity_colour(rank));
	if (has_score)
		html_printf(b, " <span class=\"nhsuk-body-s\">CVSS %lld.%lld</span>", (long long)(cvss10 / 10),
			    (long long)(cvss10 % 10));
}

static void answer_tag(struct buf *b, const char *answer)
{
	if (!strcmp(answer, "affected"))
		web_tag(b, "Affected version", WEB_TAG_RED);
	else
		web_tag(b, "Cannot tell", WEB_TAG_PURPLE);
}

static void get_home(struct ctx *c)
{
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s/exposures", c->actor.org_code), NULL);
}

/* ---- an organisation's exposures ---- */

static void get_list(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	struct exp_query q;
	exposures_query_args(c, o.path, &q);
	int64_t page = pages_page_number(c);
	struct db_stmt *st = db_prep(c->db, "SELECT count(*), sum(CASE WHEN e.answer = 'unknown' THEN 1 ELSE 0 END)"
					    EXP_FROM EXP_WHERE);
	exposures_query_bind(st, &q);
	int64_t total = 0, unknown = 0;
	if (db_step(st) == DB_ROW) {
		total = db_col_i64(st, 0);
		unknown = db_col_isnull(st, 1) ? 0 : db_col_i64(st, 1);
		db_reset(st);
	}
	struct arena *a = c->arena;
	struct web_link crumbs[] = { { "Home", "/" }, { o.name, arena_printf(a, "/orgs/%s", o.code) } };
	ctx_page_begin(c, arena_printf(a, "Exposures - %s", o.name), crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Exposures</h1>", o.name);
	html_raw(b, "<p>Known vulnerabilities that hit the software in your systems' inventory, matched against the "
		    "public feeds. Known exploited vulnerabilities (KEV) and critical ones come first. \"Cannot tell\" "
		    "means the version could not be compared with the advisory: check it by hand.</p>");
	html_printf(b, "<p><a href=\"/orgs/%s/exposures/top\">Top vulnerabilities across %s</a></p>", o.code, o.name);

	html_printf(b, "<form class=\"bw-search\" action=\"/orgs/%s/exposures\" method=\"get\" role=\"search\""
		       " aria-label=\"Filter exposures\">", o.code);
	/* the systems that have exposures here */
	struct web_option sys[51] = { { "", "All systems" } };
	size_t nsys = 1;
	struct db_stmt *ss = db_prep(c->db, "SELECT DISTINCT e.system_id, s.name, o.code FROM exposures e JOIN orgs o ON o.id = e.org_id"
					    " JOIN systems s ON s.id = e.system_id WHERE e.gone_at IS NULL AND o.path >= ?1"
					    " AND o.path < ?2 ORDER BY s.name, e.system_id LIMIT 50");
	db_bind_text(ss, 1, q.lo);
	db_bind_text(ss, 2, q.hi);
	while (db_step(ss) == DB_ROW && nsys < BW_NELEM(sys)) {
		sys[nsys].value = arena_printf(a, "%lld", (long long)db_col_i64(ss, 0));
		sys[nsys].label = arena_printf(a, "%s (%s)", db_col_text(ss, 1), db_col_text(ss, 2));
		nsys++;
	}
	select_html(b, "system", "System", sys, nsys, q.system_s);
	static const struct web_option sevs[] = { { "", "All severities" }, { "critical", "Critical" }, { "high", "High" },
						  { "medium", "Medium" }, { "low", "Low" }, { "none", "No score" } };
	select_html(b, "severity", "Severity", sevs, BW_NELEM(sevs), q.severity_s);
	static const struct web_option states[] = { { "", "All states" }, { "new", "New" },
						    { "investigating", "Under investigation" }, { "affected", "Affected" },
						    { "not_affected", "Not affected" }, { "fixed", "Fixed" } };
	select_html(b, "state", "State", states, BW_NELEM(states), q.state);
	static const struct web_option answers[] = { { "", "Affected and cannot tell" }, { "affected", "Affected version" },
						     { "unknown", "Cannot tell" } };
	select_html(b, "answer", "Match", answers, BW_NELEM(answers), q.answer);
	static const struct web_option kevs[] = { { "", "All" }, { "1", "Known exploited only" } };
	select_html(b, "kev", "Known exploited (KEV)", kevs, BW_NELEM(kevs), q.kev_s);
	web_button(b, "Filter", WEB_BUTTON_SECONDARY);
	html_raw(b, "</form>");

	st = db_prep(c->db, EXP_COLS EXP_FROM EXP_WHERE EXP_ORDER " LIMIT ?8 OFFSET ?9");
	exposures_query_bind(st, &q);
	db_bind_i64(st, 8, PAGE_SIZE);
	db_bind_i64(st, 9, (page - 1) * PAGE_SIZE);
	struct web_column cols[] = { { "Vulnerability", false }, { "Severity", false }, { "Software", false },
				     { "System and organisation", false }, { "Match", false }, { "State", false } };
	char caption[128];
	snprintf(caption, sizeof caption, "%lld current exposure%s (%lld cannot tell)", (long long)total, total == 1 ? "" : "s",
		 (long long)unknown);
	struct web_table t;
	web_table_begin(&t, b, caption, cols, 6);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell_open(&t);
		html_printf(b, "<a href=\"/exposures/%lld\">%s</a>", (long long)db_col_i64(st, 0), db_col_text(st, 1));
		if (db_col_text(st, 2))
			html_printf(b, "<br><span class=\"nhsuk-body-s\">%s</span>", db_col_text(st, 2));
		if (db_col_i64(st, 5)) {
			html_raw(b, "<br>");
			web_tag(b, "Known exploited", WEB_TAG_RED);
			if (!db_col_isnull(st, 6)) {
				html_raw(b, " <span class=\"nhsuk-body-s\">due ");
				show_date(b, db_col_i64(st, 6));
				html_raw(b, "</span>");
			}
		}
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		severity_tag(b, (int)db_col_i64(st, 3), !db_col_isnull(st, 4), db_col_i64(st, 4));
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		html_printf(b, "%s %s %s", db_col_text(st, 7) ? db_col_text(st, 7) : "", db_col_text(st, 8) ? db_col_text(st, 8) : "",
			    *db_col_text(st, 9) ? db_col_text(st, 9) : "(no version)");
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		html_printf(b, "%s<br><span class=\"nhsuk-body-s\">%s</span>", db_col_text(st, 10) ? db_col_text(st, 10) : "",
			    db_col_text(st, 12));
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		answer_tag(b, db_col_text(st, 13));
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		web_tag(b, exposures_state_label_of(db_col_text(st, 14)), exposures_state_colour(db_col_text(st, 14)));
		if (db_col_i64(st, 19)) {
			html_raw(b, "<br>");
			web_tag(b, "Fixed, but still in the inventory", WEB_TAG_ORANGE);
		}
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 6, "No current exposures match");
	web_table_end(&t);
	const char *qs = query_string(c, &q);
	web_pagination(b, arena_printf(a, "/orgs/%s/exposures%s%s", o.code, *qs ? "?" : "", qs), page,
		       (total + PAGE_SIZE - 1) / PAGE_SIZE);
	web_button_link(b, "Download as CSV", arena_printf(a, "/orgs/%s/exposures.csv%s%s", o.code, *qs ? "?" : "", qs),
			WEB_BUTTON_SECONDARY);
	html_printf(b, "<p>Download the VEX document: <a href=\"/api/v1/orgs/%s/vex\">CycloneDX 1.6 JSON</a> or"
		    " <a href=\"/api/v1/orgs/%s/vex/csaf\">CSAF 2.0 JSON</a></p>", o.code, o.code);
	ctx_page_end(c);
}

static void get_csv(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	struct exp_query q;
	exposures_query_args(c, o.path, &q);
	struct db_stmt *st = db_prep(c->db, EXP_COLS EXP_FROM EXP_WHERE EXP_ORDER " LIMIT ?8 OFFSET ?9");
	exposures_query_bind(st, &q);
	db_bind_i64(st, 8, EXPOSURES_LIM_EXPORT);
	db_bind_i64(st, 9, 0);
	c->resp->content_type = "text/csv; charset=utf-8";
	http_resp_header(c->resp, "Content-Disposition", arena_printf(c->arena, "attachment; filename=\"exposures-%s.csv\"", o.code));
	struct web_csv w;
	web_csv_init(&w, &c->resp->body);
	web_csv_bom(&w);
	static const char *const head[] = { "id", "vulnerability", "title", "severity", "cvss", "kev", "kev_due", "vendor",
					    "product", "version", "system", "organisation", "match", "state", "justification",
					    "decided_by", "first_seen", "fixed_but_present", "evidence" };
	for (size_t i = 0; i < BW_NELEM(head); i++)
		web_csv_cell(&w, head[i]);
	web_csv_row_end(&w);
	while (db_step(st) == DB_ROW) {
		char cv[16], at[32], due[32] = "";
		web_csv_cell_int(&w, db_col_i64(st, 0));
		web_csv_cell(&w, db_col_text(st, 1));
		web_csv_cell(&w, db_col_text(st, 2) ? db_col_text(st, 2) : "");
		web_csv_cell(&w, exposures_severity_name((int)db_col_i64(st, 3)));
		if (db_col_isnull(st, 4))
			cv[0] = 0;
		else
			snprintf(cv, sizeof cv, "%lld.%lld", (long long)(db_col_i64(st, 4) / 10), (long long)(db_col_i64(st, 4) % 10));
		web_csv_cell(&w, cv);
		web_csv_cell(&w, db_col_i64(st, 5) ? "yes" : "no");
		if (!db_col_isnull(st, 6)) {
			bw_time_iso(db_col_i64(st, 6), due);
			due[10] = 0;
		}
		web_csv_cell(&w, due);
		for (int k = 7; k <= 12; k++)
			if (k != 11)
				web_csv_cell(&w, db_col_text(st, k) ? db_col_text(st, k) : "");
		web_csv_cell(&w, db_col_text(st, 11));
		web_csv_cell(&w, !strcmp(db_col_text(st, 13), "affected") ? "affected" : "cannot tell");
		web_csv_cell(&w, db_col_text(st, 14));
		web_csv_cell(&w, db_col_text(st, 15) ? db_col_text(st, 15) : "");
		web_csv_cell(&w, db_col_text(st, 16) ? db_col_text(st, 16) : "");
		bw_time_iso(db_col_i64(st, 17), at);
		web_csv_cell(&w, at);
		web_csv_cell(&w, db_col_i64(st, 19) ? "yes" : "no");
		web_csv_cell(&w, db_col_text(st, 20));
		web_csv_row_end(&w);
	}
}

/* ---- top vulnerabilities across a subtree ---- */

static void get_top(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	char lo[256], hi[256];
	orgs_subtree_bounds(o.path, lo, hi);
	struct arena *a = c->arena;
	struct web_link crumbs[] = { { "Home", "/" }, { "Exposures", arena_printf(a, "/orgs/%s/exposures", o.code) } };
	ctx_page_begin(c, arena_printf(a, "Top exposures - %s", o.name), crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Top exposures</h1>", o.name);
	html_raw(b, "<p>The vulnerabilities that hit the most organisations here, known exploited ones first. "
		    "Follow one to see who is exposed.</p>");
	struct db_stmt *st = db_prep(c->db, "SELECT e.vuln_id, max(v.title), max(" EXPOSURES_SEV_RANK "), max(v.cvss10),"
					    " max(coalesce(v.kev, 0)), count(DISTINCT e.org_id), count(*),"
					    " sum(CASE WHEN d.state IS NULL OR d.state = 'new' THEN 1 ELSE 0 END),"
					    " sum(CASE WHEN e.answer = 'unknown' THEN 1 ELSE 0 END)"
					    " FROM exposures e JOIN orgs o ON o.id = e.org_id LEFT JOIN vulnerabilities v ON v.id = e.vuln_id"
					    EXPOSURES_JOIN_DECISION
					    " WHERE e.gone_at IS NULL AND o.path >= ?1 AND o.path < ?2 GROUP BY e.vuln_id"
					    " ORDER BY max(coalesce(v.kev, 0)) DESC, count(DISTINCT e.org_id) DESC,"
					    " max(" EXPOSURES_SEV_RANK ") DESC, e.vuln_id LIMIT 100");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	struct web_column cols[] = { { "Vulnerability", false }, { "Severity", false }, { "Organisations", true },
				     { "Exposures", true }, { "Not yet triaged", true }, { "Cannot tell", true } };
	struct web_table t;
	web_table_begin(&t, b, "The 100 vulnerabilities hitting most organisations", cols, 6);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell_open(&t);
		html_raw(b, "<a href=\"");
		vuln_href(b, db_col_text(st, 0));
		html_raw(b, "\">");
		html_text(b, db_col_text(st, 0));
		html_raw(b, "</a>");
		if (db_col_text(st, 1))
			html_printf(b, "<br><span class=\"nhsuk-body-s\">%s</span>", db_col_text(st, 1));
		if (db_col_i64(st, 4)) {
			html_raw(b, "<br>");
			web_tag(b, "Known exploited", WEB_TAG_RED);
		}
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		severity_tag(b, (int)db_col_i64(st, 2), !db_col_isnull(st, 3), db_col_i64(st, 3));
		web_table_cell_close(&t);
		for (int k = 5; k <= 8; k++)
			web_table_cell_num(&t, db_col_isnull(st, k) ? 0 : db_col_i64(st, k));
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 6, "No current exposures");
	web_table_end(&t);
	ctx_page_end(c);
}

/* ---- one exposure ---- */


/* Radio buttons in a fieldset with a hint and, after a refusal, an error
 * linked from the summary (whose link names the first radio's id). */
static void radios(struct buf *b, const char *name, const char *legend, const char *hint, const char *const *values,
		   const char *const *labels, size_t n, const char *cur, const char *error)
{
	html_printf(b, "<div class=\"nhsuk-form-group%s\"><fieldset class=\"nhsuk-fieldset\" aria-describedby=\"%s-hint",
		    error ? " nhsuk-form-group--error" : "", name);
	if (error)
		html_printf(b, " %s-error", name);
	html_printf(b, "\"><legend class=\"nhsuk-fieldset__legend nhsuk-fieldset__legend--s\">%s</legend>"
		       "<div class=\"nhsuk-hint\" id=\"%s-hint\">%s</div>", legend, name, hint);
	if (error)
		html_printf(b, "<span class=\"nhsuk-error-message\" id=\"%s-error\"><span class=\"nhsuk-u-visually-hidden\">"
			       "Error:</span> %s</span>", name, error);
	html_raw(b, "<div class=\"nhsuk-radios\">");
	for (size_t i = 0; i < n; i++)
		html_printf(b, "<div class=\"nhsuk-radios__item\"><input class=\"nhsuk-radios__input\" id=\"%s-%s\" name=\"%s\""
			       " type=\"radio\" value=\"%s\"%s><label class=\"nhsuk-label nhsuk-radios__label\" for=\"%s-%s\">%s</label></div>",
			    name, values[i], name, values[i], cur && !strcmp(cur, values[i]) ? " checked" : "", name, values[i],
			    labels[i]);
	html_raw(b, "</div></fieldset></div>");
}

static void note_field(struct buf *b, const char *id, const char *value, const char *error)
{
	html_printf(b, "<div class=\"nhsuk-form-group%s\"><label class=\"nhsuk-label\" for=\"%s\">Note</label>"
		       "<div class=\"nhsuk-hint\" id=\"%s-hint\">What you checked, or what was done</div>",
		    error ? " nhsuk-form-group--error" : "", id, id);
	if (error)
		html_printf(b, "<span class=\"nhsuk-error-message\" id=\"%s-error\"><span class=\"nhsuk-u-visually-hidden\">"
			       "Error:</span> %s</span>", id, error);
	html_printf(b, "<textarea class=\"nhsuk-textarea%s\" id=\"%s\" name=\"note\" rows=\"3\" maxlength=\"2000\""
		       " aria-describedby=\"%s-hint", error ? " nhsuk-textarea--error" : "", id, id);
	if (error)
		html_printf(b, " %s-error", id);
	html_raw(b, "\">");
	html_text(b, value ? value : "");
	html_raw(b, "</textarea></div>");
}

/* The decision fields of both forms; prefix keeps the two forms' ids apart. */
static void decision_fields(struct ctx *c, struct buf *b, const char *prefix, const char *cur_state, const char *cur_just,
			    const char *note, const struct bw_error *err)
{
	const char *sv[EXPOSURE_STATE_COUNT], *sl[EXPOSURE_STATE_COUNT];
	for (int i = 0; i < EXPOSURE_STATE_COUNT; i++) {
		sv[i] = exposures_state_name((enum exposures_state)i);
		sl[i] = exposures_state_label((enum exposures_state)i);
	}
	const char *jv[EXPOSURE_JUST_COUNT - 1], *jl[EXPOSURE_JUST_COUNT - 1];
	for (int i = 1; i < EXPOSURE_JUST_COUNT; i++) {
		jv[i - 1] = exposures_just_name((enum exposures_just)i);
		jl[i - 1] = exposures_just_label((enum exposures_just)i);
	}
	const char *state_name = arena_printf(c->arena, "%sstate", prefix);
	const char *just_name = arena_printf(c->arena, "%sjustification", prefix);
	bool mine = err && !strncmp(err->field, prefix, strlen(prefix)) && (*prefix || strncmp(err->field, "ics-", 4));
	radios(b, state_name, "What is the state of this exposure?", "New, then under investigation, then affected or "
	       "not affected, then fixed", sv, sl, EXPOSURE_STATE_COUNT, cur_state,
	       mine && strstr(err->field, "state") ? err->msg : NULL);
	radios(b, just_name, "Why not affected? (VEX justification)", "Needed for \"not affected\" and only for it", jv, jl,
	       EXPOSURE_JUST_COUNT - 1, cur_just, mine && strstr(err->field, "justification") ? err->msg : NULL);
	note_field(b, arena_printf(c->arena, "%snote", prefix), note, mine && strstr(err->field, "note") ? err->msg : NULL);
}

static bool under(const char *path, const char *ancestor, bool strictly)
{
	size_t n = strlen(ancestor);
	return !strncmp(path, ancestor, n) && (!strictly || strlen(path) > n);
}

static void exposure_page(struct ctx *c, int64_t id, const struct bw_error *err)
{
	struct db_stmt *st = db_prep(c->db,
		"SELECT e.vuln_id, v.title, " EXPOSURES_SEV_RANK ", v.cvss10, coalesce(v.kev, 0), v.kev_due, c.vendor, c.product,"
		" e.version, s.name, o.code, o.name, e.answer, coalesce(d.state, 'new'), d.justification, d.decided_by,"
		" e.first_seen, e.system_id, CASE WHEN d.state = 'fixed' AND c.updated_at > d.decided_at THEN 1 ELSE 0 END,"
		" e.evidence, e.criterion, e.weak, e.last_seen, d.note, d.decided_at, dor.code, dor.name, o.path, e.gone_at,"
		" d.id, c.cpe, c.purl, v.cvss_vector, e.reappeared_at"
		" FROM exposures e JOIN orgs o ON o.id = e.org_id LEFT JOIN components c ON c.id = e.component_id"
		" LEFT JOIN systems s ON s.id = e.system_id LEFT JOIN vulnerabilities v ON v.id = e.vuln_id"
		EXPOSURES_JOIN_DECISION " LEFT JOIN orgs dor ON dor.id = d.decided_by_org WHERE e.id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return not_found(c);
	struct arena *a = c->arena;
	enum { NV = 34 };
	const char *v[NV];
	for (int i = 0; i < NV; i++)
		v[i] = db_col_text(st, i) ? arena_strdup(a, db_col_text(st, i)) : NULL;
	int sev = (int)db_col_i64(st, 2);
	bool has_cvss = !db_col_isnull(st, 3), kev = db_col_i64(st, 4) != 0, fixed_present = db_col_i64(st, 18) != 0;
	int64_t cvss = db_col_i64(st, 3), due = db_col_isnull(st, 5) ? 0 : db_col_i64(st, 5), first = db_col_i64(st, 16);
	int64_t last = db_col_i64(st, 22), decided = db_col_isnull(st, 24) ? 0 : db_col_i64(st, 24);
	int64_t gone = db_col_isnull(st, 28) ? 0 : db_col_i64(st, 28), decision = db_col_isnull(st, 29) ? 0 : db_col_i64(st, 29);
	int64_t back = db_col_isnull(st, 33) ? 0 : db_col_i64(st, 33);
	bool weak = db_col_i64(st, 21) != 0;
	db_reset(st);

	struct web_link crumbs[] = { { "Home", "/" }, { "Exposures", arena_printf(a, "/orgs/%s/exposures", v[10]) } };
	ctx_page_begin(c, arena_printf(a, "%s in %s %s", v[0], v[7] ? v[7] : "", v[8]), crumbs, 2, err, err ? 1 : 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>%s in %s %s</h1>", v[11], v[0], v[7] ? v[7] : "",
		    *v[8] ? v[8] : "(no version)");
	html_raw(b, "<p>");
	answer_tag(b, v[12]);
	html_raw(b, " ");
	severity_tag(b, sev, has_cvss, cvss);
	html_raw(b, " ");
	web_tag(b, exposures_state_label_of(v[13]), exposures_state_colour(v[13]));
	if (kev) {
		html_raw(b, " ");
		web_tag(b, "Known exploited", WEB_TAG_RED);
	}
	html_raw(b, "</p>");
	if (gone) {
		html_raw(b, "<div class=\"nhsuk-warning-callout\"><h2 class=\"nhsuk-warning-callout__label\">"
			    "<span role=\"text\"><span class=\"nhsuk-u-visually-hidden\">Important: </span>No longer current</span></h2>"
			    "<p>The inventory or the feeds changed and this software is no longer matched to this vulnerability (since ");
		show_time(b, gone);
		html_raw(b, ").</p></div>");
	}
	if (fixed_present)
		html_raw(b, "<div class=\"nhsuk-warning-callout\"><h2 class=\"nhsuk-warning-callout__label\"><span role=\"text\">"
			    "<span class=\"nhsuk-u-visually-hidden\">Important: </span>Marked fixed, still in the inventory</span></h2>"
			    "<p>This was marked fixed, but the inventory was imported again since and still lists this version. "
			    "Check the fix, or correct the inventory.</p></div>");
	if (!strcmp(v[12], "unknown"))
		html_printf(b, "<div class=\"nhsuk-inset-text\"><span class=\"nhsuk-u-visually-hidden\">Information: </span>"
			       "<p>Cannot tell: %s Check the version by hand before deciding.</p></div>",
			    weak ? "the advisory describes its versions in a way the matcher does not read (for example, git commits)."
				 : "the version could not be compared with the advisory's ranges, or the software has no version.");

	web_summary_begin(b);
	web_summary_row(b, "Vulnerability", v[0], NULL);
	web_summary_row(b, "Title", v[1], NULL);
	if (has_cvss)
		web_summary_row(b, "CVSS", arena_printf(a, "%lld.%lld %s", (long long)(cvss / 10), (long long)(cvss % 10),
							    v[32] ? v[32] : ""), NULL);
	if (kev) {
		char d[32] = "not given";
		if (due) {
			bw_time_iso(due, d);
			d[10] = 0;
		}
		web_summary_row(b, "Known exploited (CISA KEV)", arena_printf(a, "Yes: remediate by %s", d), NULL);
	}
	web_summary_row(b, "Software", arena_printf(a, "%s %s %s", v[6] ? v[6] : "", v[7] ? v[7] : "", v[8]), NULL);
	web_summary_row(b, "CPE", v[30], NULL);
	web_summary_row(b, "Package URL", v[31], NULL);
	web_summary_row(b, "System", v[9], NULL);
	web_summary_row(b, "Organisation", v[11], NULL);
	char when[48];
	bw_time_london(first, when);
	web_summary_row(b, "First matched", when, NULL);
	bw_time_london(last, when);
	web_summary_row(b, "Last matched", when, NULL);
	if (back) {
		bw_time_london(back, when);
		web_summary_row(b, "Came back", when, NULL);
	}
	web_summary_end(b);
	html_raw(b, "<p><a href=\"");
	vuln_href(b, v[0]);
	html_raw(b, "\">Everything we know about ");
	html_text(b, v[0]);
	html_raw(b, "</a></p>");

	html_raw(b, "<h2>Why it matched</h2><p>The criterion that decided:</p><pre class=\"bw-pre\"><code>");
	html_text(b, v[20]);
	html_raw(b, "</code></pre><p>The comparison made:</p><pre class=\"bw-pre\"><code>");
	html_text(b, v[19]);
	html_raw(b, "</code></pre>");

	html_raw(b, "<h2>Decision</h2>");
	if (decided) {
		web_summary_begin(b);
		web_summary_row(b, "State", exposures_state_label_of(v[13]), NULL);
		web_summary_row(b, "Justification", v[14] ? exposures_just_label_of(v[14]) : NULL, NULL);
		web_summary_row(b, "Note", v[23], NULL);
		bw_time_london(decided, when);
		bool for_them = v[25] && strcmp(v[25], v[10]);
		web_summary_row(b, "Decided", arena_printf(a, "%s by %s%s%s%s", when, v[15] ? v[15] : "someone",
							   for_them ? " for " : "", for_them ? v[26] : "", for_them ? ", on this organisation's behalf" : ""),
				NULL);
		web_summary_end(b);
	} else {
		html_raw(b, "<p>Nobody has triaged this exposure yet.</p>");
	}

	struct org_ref ref = { 0, "" };
	snprintf(ref.path, sizeof ref.path, "%s", v[27]);
	struct db_stmt *os = db_prep(c->db, "SELECT id FROM orgs WHERE path = ?1");
	db_bind_text(os, 1, v[27]);
	if (db_step(os) == DB_ROW) {
		ref.id = db_col_i64(os, 0);
		db_reset(os);
	}
	const char *posted_state = err ? ctx_form(c, err->field[0] == 'i' ? "ics-state" : "state") : NULL;
	const char *posted_just = err ? ctx_form(c, err->field[0] == 'i' ? "ics-justification" : "justification") : NULL;
	const char *posted_note = err ? ctx_form(c, "note") : NULL;
	if (!gone && orgs_can(&c->actor, ACT_EDIT, &ref)) {
		html_raw(b, "<h2>Triage</h2>");
		html_printf(b, "<form action=\"/exposures/%lld/triage\" method=\"post\" novalidate>", (long long)id);
		web_csrf_input(b, c->session.csrf);
		bool own = err && err->field[0] != 'i';
		decision_fields(c, b, "", own ? posted_state : v[13], own ? posted_just : v[14], own ? posted_note : v[23],
				own ? err : NULL);
		web_button(b, "Save decision", WEB_BUTTON_PRIMARY);
		html_raw(b, "</form>");
	}
	if (!gone && (c->actor.role == ROLE_ICS_LEAD || c->actor.role == ROLE_ADMIN) &&
	    under(v[27], c->actor.org_path, true)) {
		html_printf(b, "<h2>Decide for every member of %s</h2><p>Applies to each organisation under %s that runs %s %s "
			       "and is matched to %s. Each record shows that %s decided.</p>",
			    c->actor.org_name, c->actor.org_name, v[7] ? v[7] : "", v[8], v[0], c->actor.org_name);
		html_printf(b, "<form action=\"/exposures/%lld/ics-decision\" method=\"post\" novalidate>", (long long)id);
		web_csrf_input(b, c->session.csrf);
		bool ics = err && err->field[0] == 'i';
		decision_fields(c, b, "ics-", ics ? posted_state : NULL, ics ? posted_just : NULL, ics ? posted_note : NULL,
				ics ? err : NULL);
		html_raw(b, "<div class=\"nhsuk-form-group\"><div class=\"nhsuk-checkboxes\"><div class=\"nhsuk-checkboxes__item\">"
			    "<input class=\"nhsuk-checkboxes__input\" id=\"override\" name=\"override\" type=\"checkbox\" value=\"1\">"
			    "<label class=\"nhsuk-label nhsuk-checkboxes__label\" for=\"override\">Also replace decisions members "
			    "took themselves</label></div></div></div>");
		web_button(b, "Apply to members", WEB_BUTTON_SECONDARY);
		html_raw(b, "</form>");
	}

	if (decision) {
		html_raw(b, "<h2>History</h2>");
		st = db_prep(c->db, "SELECT h.state, h.justification, h.note, h.decided_by, o.name, h.decided_at"
				    " FROM exposure_decision_history h JOIN orgs o ON o.id = h.decided_by_org"
				    " WHERE h.decision_id = ?1 ORDER BY h.id DESC LIMIT 50");
		db_bind_i64(st, 1, decision);
		struct web_column cols[] = { { "When", false }, { "State", false }, { "Justification", false },
					     { "Note", false }, { "Decided by", false } };
		struct web_table t;
		web_table_begin(&t, b, "Decisions, latest first", cols, 5);
		while (db_step(st) == DB_ROW) {
			web_table_row_begin(&t);
			web_table_cell_open(&t);
			show_time(b, db_col_i64(st, 5));
			web_table_cell_close(&t);
			web_table_cell(&t, exposures_state_label_of(db_col_text(st, 0)));
			web_table_cell(&t, db_col_text(st, 1) ? exposures_just_label_of(db_col_text(st, 1)) : "");
			web_table_cell(&t, db_col_text(st, 2) ? db_col_text(st, 2) : "");
			web_table_cell(&t, arena_printf(a, "%s (%s)", db_col_text(st, 3), db_col_text(st, 4)));
			web_table_row_end(&t);
		}
		web_table_end(&t);
	}
	ctx_page_end(c);
}

static bool exposure_id(struct ctx *c, int64_t *id)
{
	if (str_to_i64(str_c(ctx_param(c, "exposure")), 1, INT64_MAX, id))
		return true;
	not_found(c);
	return false;
}

static void get_exposure(struct ctx *c)
{
	int64_t id;
	if (exposure_id(c, &id))
		exposure_page(c, id, NULL);
}

/* Reads the decision fields of a form (names prefixed). */
static enum bw_err read_decision(struct ctx *c, const char *prefix, enum exposures_state *s, enum exposures_just *j,
				 struct bw_error *e)
{
	*j = EXPOSURE_JUST_NONE;
	if (!exposures_state_parse(ctx_form(c, arena_printf(c->arena, "%sstate", prefix)), s))
		return bw_fail(e, BW_EINVAL, arena_printf(c->arena, "%sstate", prefix), "Select the state of this exposure");
	const char *jv = ctx_form(c, arena_printf(c->arena, "%sjustification", prefix));
	if (jv && *jv && !exposures_just_parse(jv, j))
		return bw_fail(e, BW_EINVAL, arena_printf(c->arena, "%sjustification", prefix), "Select a justification from the list");
	return BW_OK;
}

/* Field names in errors point at the first radio of their group (the summary links there). */
static void error_anchor(struct ctx *c, const char *prefix, struct bw_error *e)
{
	char f[64];
	if (!strcmp(e->field, "state") || !strcmp(e->field, "ics-state"))
		snprintf(f, sizeof f, "%sstate-new", prefix);
	else if (!strcmp(e->field, "justification") || !strcmp(e->field, "ics-justification"))
		snprintf(f, sizeof f, "%sjustification-component_not_present", prefix);
	else if (!strcmp(e->field, "note"))
		snprintf(f, sizeof f, "%snote", prefix);
	else
		return;
	(void)c;
	snprintf(e->field, sizeof e->field, "%s", f);
}

static void post_triage(struct ctx *c)
{
	int64_t id;
	if (!exposure_id(c, &id))
		return;
	enum exposures_state s;
	enum exposures_just j;
	struct bw_error e = { 0 };
	enum bw_err rc = read_decision(c, "", &s, &j, &e);
	if (rc == BW_OK)
		rc = exposures_triage(c->db, &c->actor, id, s, j, ctx_form(c, "note"), &e);
	if (rc == BW_ENOTFOUND)
		return not_found(c);
	if (rc != BW_OK) {
		error_anchor(c, "", &e);
		exposure_page(c, id, &e);
		c->resp->status = web_err_status(rc);
		return;
	}
	ctx_redirect(c, arena_printf(c->arena, "/exposures/%lld", (long long)id),
		     arena_printf(c->arena, "Decision saved: %s", exposures_state_label(s)));
}

static void post_ics(struct ctx *c)
{
	int64_t id;
	if (!exposure_id(c, &id))
		return;
	enum exposures_state s;
	enum exposures_just j;
	struct bw_error e = { 0 };
	struct exposures_ics_result res;
	const char *ov = ctx_form(c, "override");
	enum bw_err rc = read_decision(c, "ics-", &s, &j, &e);
	if (rc == BW_OK) {
		rc = exposures_ics_decide(c->db, &c->actor, c->actor.org_code, id, s, j, ctx_form(c, "note"),
					  ov && !strcmp(ov, "1"), &res, &e);
		if (rc != BW_OK && e.field[0] && strncmp(e.field, "ics-", 4)) {
			char f[64];
			snprintf(f, sizeof f, "ics-%s", e.field);
			snprintf(e.field, sizeof e.field, "%s", f);
		}
	}
	if (rc == BW_ENOTFOUND)
		return not_found(c);
	if (rc == BW_EFORBIDDEN)
		return ctx_fail(c, rc, NULL, e.msg);
	if (rc != BW_OK) {
		error_anchor(c, "ics-", &e);
		exposure_page(c, id, &e);
		c->resp->status = web_err_status(rc);
		return;
	}
	ctx_redirect(c, arena_printf(c->arena, "/exposures/%lld", (long long)id),
		     arena_printf(c->arena, "Applied to %lld member organisations; %lld kept their own decision",
				  (long long)res.applied, (long long)res.kept));
}

/* ---- one vulnerability ---- */

static void get_vuln(struct ctx *c)
{
	const char *id = ctx_param(c, "vuln");
	if (!id || !*id || strlen(id) > 128)
		return not_found(c);
	struct arena *a = c->arena;
	struct db_stmt *st = db_prep(c->db, "SELECT v.title, v.description, " EXPOSURES_SEV_RANK ", v.cvss10, v.cvss_vector,"
					    " v.kev, v.kev_added, v.kev_due, v.kev_ransomware, v.kev_name, v.aliases, v.cwe,"
					    " v.published FROM vulnerabilities v WHERE v.id = ?1");
	db_bind_text(st, 1, id);
	bool known = db_step(st) == DB_ROW;
	const char *vv[13] = { 0 };
	int64_t iv[13] = { 0 };
	bool nv[13] = { 0 };
	for (int i = 0; known && i < 13; i++) {
		vv[i] = db_col_text(st, i) ? arena_strdup(a, db_col_text(st, i)) : NULL;
		iv[i] = db_col_i64(st, i);
		nv[i] = db_col_isnull(st, i);
	}
	if (known)
		db_reset(st);
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	int64_t exposed = 0;
	st = db_prep(c->db, "SELECT count(DISTINCT e.org_id) FROM exposures e JOIN orgs o ON o.id = e.org_id"
			    " WHERE e.vuln_id = ?1 AND e.gone_at IS NULL AND o.path >= ?2 AND o.path < ?3");
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	if (db_step(st) == DB_ROW) {
		exposed = db_col_i64(st, 0);
		db_reset(st);
	}
	int64_t records = 0;
	st = db_prep(c->db, "SELECT count(*) FROM feed_records WHERE record_id = ?1");
	db_bind_text(st, 1, id);
	if (db_step(st) == DB_ROW) {
		records = db_col_i64(st, 0);
		db_reset(st);
	}
	if (!known && !records && !exposed)
		return not_found(c);

	struct web_link crumbs[] = { { "Home", "/" }, { "Exposures", "/exposures" } };
	ctx_page_begin(c, id, crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">Vulnerability</span><h1>%s</h1>", id);
	if (known) {
		html_raw(b, "<p>");
		severity_tag(b, (int)iv[2], !nv[3], iv[3]);
		if (iv[5]) {
			html_raw(b, " ");
			web_tag(b, "Known exploited", WEB_TAG_RED);
		}
		html_raw(b, "</p>");
		web_summary_begin(b);
		web_summary_row(b, "Title", vv[0], NULL);
		web_summary_row(b, "Description", vv[1], NULL);
		web_summary_row(b, "CVSS vector", vv[4], NULL);
		web_summary_row(b, "Weakness (CWE)", vv[11], NULL);
		web_summary_row(b, "Also known as", vv[10], NULL);
		if (iv[5]) {
			char d1[32] = "", d2[32] = "";
			if (!nv[6]) {
				bw_time_iso(iv[6], d1);
				d1[10] = 0;
			}
			if (!nv[7]) {
				bw_time_iso(iv[7], d2);
				d2[10] = 0;
			}
			web_summary_row(b, "In CISA's KEV catalogue", arena_printf(a, "Added %s, remediate by %s%s", d1, d2,
										   !nv[8] && iv[8] ? "; used in ransomware campaigns" : ""), NULL);
		}
		web_summary_end(b);
	} else {
		html_raw(b, "<p>No feed gives a title or score for this id.</p>");
	}
	if (known && (c->actor.role == ROLE_ANALYST || c->actor.role == ROLE_ADMIN)) {
		struct buf href;
		buf_init(&href);
		buf_puts(&href, "/advisories/new?cve=");
		html_url_component(&href, id);
		web_button_link(b, "Draft an advisory about it", buf_cstr(&href), WEB_BUTTON_SECONDARY);
		buf_free(&href);
	}

	html_raw(b, "<h2>Records in the feeds</h2>");
	st = db_prep(c->db, "SELECT s.name, s.kind, r.updated_at, r.withdrawn, r.entry_key FROM feed_records r"
			    " JOIN feed_sources s ON s.id = r.source_id WHERE r.record_id = ?1 ORDER BY s.name, r.id LIMIT 100");
	db_bind_text(st, 1, id);
	struct web_column rc[] = { { "Feed", false }, { "Kind", false }, { "Entry", false }, { "Last changed", false } };
	struct web_table t;
	web_table_begin(&t, b, "The records that mention it, per feed", rc, 4);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell(&t, db_col_text(st, 0));
		web_table_cell(&t, db_col_text(st, 1));
		web_table_cell_open(&t);
		html_text(b, db_col_text(st, 4));
		if (db_col_i64(st, 3)) {
			html_raw(b, " ");
			web_tag(b, "Withdrawn", WEB_TAG_GREY);
		}
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		show_time(b, db_col_i64(st, 2));
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 4, "No stored record has this id (a CSAF advisory names it inside its own document)");
	web_table_end(&t);

	html_printf(b, "<h2>Who is exposed</h2><p>%lld organisation%s in %s %s current exposures to it.</p>",
		    (long long)exposed, exposed == 1 ? "" : "s", c->actor.org_name, exposed == 1 ? "has" : "have");
	/* analysts and ICS leads: counts per ICS, then the organisations of one */
	const char *ics = ctx_query(c, "ics");
	if (exposures_is_analyst(&c->actor) && !(ics && *ics)) {
		st = db_prep(c->db, "SELECT i.code, i.name, count(DISTINCT e.org_id), count(*),"
				    " sum(CASE WHEN d.state IS NULL OR d.state = 'new' THEN 1 ELSE 0 END)"
				    " FROM exposures e JOIN orgs o ON o.id = e.org_id JOIN orgs i ON i.type = 'ics'"
				    " AND substr(o.path, 1, length(i.path)) = i.path" EXPOSURES_JOIN_DECISION
				    " WHERE e.vuln_id = ?1 AND e.gone_at IS NULL AND o.path >= ?2 AND o.path < ?3"
				    " GROUP BY i.code, i.name ORDER BY count(DISTINCT e.org_id) DESC, i.code LIMIT 200");
		db_bind_text(st, 1, id);
		db_bind_text(st, 2, lo);
		db_bind_text(st, 3, hi);
		struct web_column ic[] = { { "Integrated care system", false }, { "Organisations", true }, { "Exposures", true },
					   { "Not yet triaged", true } };
		web_table_begin(&t, b, "Exposed organisations per ICS", ic, 4);
		rows = 0;
		while (db_step(st) == DB_ROW) {
			rows++;
			web_table_row_begin(&t);
			web_table_cell_open(&t);
			html_raw(b, "<a href=\"");
			vuln_href(b, id);
			html_raw(b, "?ics=");
			html_url_component(b, db_col_text(st, 0));
			html_raw(b, "\">");
			html_text(b, db_col_text(st, 1));
			html_raw(b, "</a>");
			web_table_cell_close(&t);
			web_table_cell_num(&t, db_col_i64(st, 2));
			web_table_cell_num(&t, db_col_i64(st, 3));
			web_table_cell_num(&t, db_col_isnull(st, 4) ? 0 : db_col_i64(st, 4));
			web_table_row_end(&t);
		}
		if (!rows)
			web_table_empty(&t, 4, "No organisation in an ICS is exposed");
		web_table_end(&t);
	} else {
		/* the organisations themselves: inside one ICS (drill-down) or the viewer's own subtree */
		struct org io;
		if (ics && *ics) {
			struct org_ref r = { 0, "" };
			if (orgs_get_by_code(c->db, ics, &io, NULL) != BW_OK)
				return ctx_page_end(c);
			r.id = io.id;
			snprintf(r.path, sizeof r.path, "%s", io.path);
			if (!orgs_can(&c->actor, ACT_VIEW, &r)) {
				html_raw(b, "<p>That ICS is outside what you can see.</p>");
				return ctx_page_end(c);
			}
			orgs_subtree_bounds(io.path, lo, hi);
			html_printf(b, "<h3>In %s</h3>", io.name);
		}
		st = db_prep(c->db, "SELECT o.code, o.name, count(*), sum(CASE WHEN e.answer = 'unknown' THEN 1 ELSE 0 END),"
				    " min(e.id), max(coalesce(d.state, 'new'))"
				    " FROM exposures e JOIN orgs o ON o.id = e.org_id" EXPOSURES_JOIN_DECISION
				    " WHERE e.vuln_id = ?1 AND e.gone_at IS NULL AND o.path >= ?2 AND o.path < ?3"
				    " GROUP BY o.code, o.name ORDER BY o.name LIMIT 500");
		db_bind_text(st, 1, id);
		db_bind_text(st, 2, lo);
		db_bind_text(st, 3, hi);
		struct web_column oc[] = { { "Organisation", false }, { "Exposures", true }, { "Cannot tell", true } };
		web_table_begin(&t, b, "Exposed organisations", oc, 3);
		rows = 0;
		while (db_step(st) == DB_ROW) {
			rows++;
			web_table_row_begin(&t);
			web_table_cell_open(&t);
			html_printf(b, "<a href=\"/exposures/%lld\">%s</a>", (long long)db_col_i64(st, 4), db_col_text(st, 1));
			web_table_cell_close(&t);
			web_table_cell_num(&t, db_col_i64(st, 2));
			web_table_cell_num(&t, db_col_isnull(st, 3) ? 0 : db_col_i64(st, 3));
			web_table_row_end(&t);
		}
		if (!rows)
			web_table_empty(&t, 3, "No organisation you can see is exposed");
		web_table_end(&t);
	}
	ctx_page_end(c);
}

/* ---- route parameters ---- */

static enum bw_err exposure_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT o.id, o.path FROM exposures e JOIN orgs o ON o.id = e.org_id WHERE e.id = ?1", v, out);
}

static bool exposure_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT CAST(e.id AS TEXT) FROM exposures e JOIN orgs o ON o.id = e.org_id"
				    " WHERE o.path >= ?1 AND o.path < ?2 ORDER BY o.path DESC, e.id LIMIT 1", path, out, n);
}

/* A vulnerability is public knowledge, not an organisation's: its routes
 * have no target (anyone signed in may read one) and scope the exposed
 * organisations to the viewer's own subtree. The owner is the root, for
 * any route that ever names one as its target. */
static enum bw_err vuln_owner(struct db *db, const char *v, struct org_ref *out)
{
	(void)v;
	struct db_stmt *st = db_prep(db, "SELECT id, path FROM orgs WHERE parent_id IS NULL ORDER BY path LIMIT 1");
	if (db_step(st) != DB_ROW)
		return BW_ENOTFOUND;
	out->id = db_col_i64(st, 0);
	snprintf(out->path, sizeof out->path, "%s", db_col_text(st, 1));
	db_reset(st);
	return BW_OK;
}

static bool vuln_example(struct db *db, const char *path, char *out, size_t n)
{
	(void)path;
	return route_example_in(db, "SELECT id FROM vulnerabilities WHERE CAST(?1 AS TEXT) IS NOT NULL"
				    " AND CAST(?2 AS TEXT) IS NOT NULL ORDER BY id LIMIT 1", "/", out, n);
}

const struct route_param exposures_params[] = {
	{ "exposure", exposure_owner, exposure_example },
	{ "vuln", vuln_owner, vuln_example },
	{ NULL, NULL, NULL },
};

const struct route exposures_routes[] = {
	{ "GET", "/exposures", get_home, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/orgs/{org}/exposures", get_list, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/exposures.csv", get_csv, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/exposures/top", get_top, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/exposures/{exposure}", get_exposure, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "exposure" },
	{ "POST", "/exposures/{exposure}/triage", post_triage, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "exposure" },
	{ "POST", "/exposures/{exposure}/ics-decision", post_ics, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "exposure" },
	{ "GET", "/vulnerabilities/{vuln}", get_vuln, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ NULL },
};

/*
 * pages: the findings pages and the module's route table.
 *   /findings                          your organisation's findings (redirect)
 *   /orgs/{org}/findings[.csv]         an organisation's and its members' findings:
 *                                      filters (level, rule, state, host, dates), CSV
 *   /orgs/{org}/findings/upload        upload an EVTX or JSON-lines file; its scans
 *   /findings/{finding}                one finding: rule with author, matched fields, triage
 *   /findings/rollup                   analysts: which rules fire where across the estate
 * Every finding shown names its rule's title, id, level and author: the
 * Detection Rule License of the SigmaHQ rules asks for the author wherever
 * matches are shown.
 */
#include <stdio.h>
#include <string.h>

#include "app/routes.h"
#include "findings/findings_int.h"

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

enum web_tag_colour findings_level_colour(const char *level)
{
	if (!level)
		return WEB_TAG_GREY;
	if (!strcmp(level, "critical"))
		return WEB_TAG_RED;
	if (!strcmp(level, "high"))
		return WEB_TAG_ORANGE;
	if (!strcmp(level, "medium"))
		return WEB_TAG_YELLOW;
	if (!strcmp(level, "low"))
		return WEB_TAG_BLUE;
	return WEB_TAG_GREY;
}

static enum web_tag_colour state_colour(const char *s)
{
	return !strcmp(s, "escalated") ? WEB_TAG_RED : !strcmp(s, "false_positive") ? WEB_TAG_GREY : WEB_TAG_BLUE;
}

static void show_time(struct buf *b, int64_t t)
{
	char s[48];
	bw_time_london(t, s);
	html_text(b, s);
}

/* ---- the filters, shared by the list, the CSV and the API ---- */

static const char *trimmed(struct ctx *c, const char *name, size_t max)
{
	const char *v = ctx_query(c, name);
	if (!v || !*v)
		return NULL;
	if (strlen(v) > max)
		v = arena_strndup(c->arena, v, max);
	return v;
}

static int64_t day_of(const char *v)
{
	int64_t t;
	return v && findings_parse_time(v, &t) ? t : 0;
}

void findings_query_args(struct ctx *c, const char *path, struct findings_query *q)
{
	memset(q, 0, sizeof *q);
	orgs_subtree_bounds(path, q->lo, q->hi);
	static const char *const levels[] = { "informational", "low", "medium", "high", "critical" };
	const char *l = ctx_query(c, "level");
	for (size_t i = 0; l && i < BW_NELEM(levels); i++)
		if (!strcmp(l, levels[i]))
			q->level = levels[i];
	q->rule = trimmed(c, "rule", LIM_NAME);
	q->rule_like = q->rule ? arena_printf(c->arena, "%%%s%%", q->rule) : NULL;
	enum findings_state s;
	const char *st = ctx_query(c, "state");
	q->state = st && findings_state_parse(st, &s) ? findings_state_name(s) : NULL;
	q->host = trimmed(c, "host", LIM_NAME);
	q->host_like = q->host ? arena_printf(c->arena, "%%%s%%", q->host) : NULL;
	q->from = trimmed(c, "from", 10);
	q->to = trimmed(c, "to", 10);
	q->from_t = day_of(q->from);
	q->to_t = day_of(q->to);
	if (!q->from_t)
		q->from = NULL;
	if (!q->to_t)
		q->to = NULL;
	else
		q->to_t += 86400;   /* "to" is the whole of that day */
}

void findings_query_bind(struct db_stmt *st, const struct findings_query *q)
{
	db_bind_text(st, 1, q->lo);
	db_bind_text(st, 2, q->hi);
	db_bind_text(st, 3, q->level);
	db_bind_text(st, 4, q->rule_like);
	db_bind_text(st, 5, q->rule);
	db_bind_text(st, 6, q->state);
	db_bind_text(st, 7, q->host_like);
	db_bind_i64(st, 8, q->from_t);
	db_bind_i64(st, 9, q->to_t);
}

static const char *query_string(struct ctx *c, const struct findings_query *q)
{
	struct buf b;
	buf_init(&b);
	const char *keys[] = { "level", "rule", "state", "host", "from", "to" };
	const char *vals[] = { q->level, q->rule, q->state, q->host, q->from, q->to };
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

static void input_html(struct buf *b, const char *id, const char *label, const char *hint, const char *type,
		       const char *value)
{
	html_printf(b, "<div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"%s\">%s</label>", id, label);
	if (hint)
		html_printf(b, "<div class=\"nhsuk-hint\" id=\"%s-hint\">%s</div>", id, hint);
	html_printf(b, "<input class=\"nhsuk-input nhsuk-u-width-one-third\" id=\"%s\" name=\"%s\" type=\"%s\" maxlength=\"200\"",
		    id, id, type);
	if (hint)
		html_printf(b, " aria-describedby=\"%s-hint\"", id);
	html_raw(b, " value=\"");
	html_attr(b, value ? value : "");
	html_raw(b, "\"></div>");
}

static void get_findings_home(struct ctx *c)
{
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s/findings", c->actor.org_code), NULL);
}

static bool can_edit(struct ctx *c, const struct org *o)
{
	struct org_ref r = { o->id, "" };
	snprintf(r.path, sizeof r.path, "%s", o->path);
	return orgs_can(&c->actor, ACT_EDIT, &r);
}

static void get_findings(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	struct findings_query q;
	findings_query_args(c, o.path, &q);
	int64_t page = pages_page_number(c);
	struct db_stmt *st = db_prep(c->db, "SELECT count(*)" FINDINGS_FROM FINDINGS_WHERE);
	findings_query_bind(st, &q);
	int64_t total = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);

	struct web_link crumbs[] = { { "Home", "/" }, { o.name, arena_printf(c->arena, "/orgs/%s", o.code) } };
	ctx_page_begin(c, arena_printf(c->arena, "Findings - %s", o.name), crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Findings</h1>", o.name);
	html_raw(b, "<p>Unusual activity in your event logs, found by the public Sigma rules. Each finding names the rule "
		    "that fired and the rule's author.</p>");
	if (can_edit(c, &o))
		web_button_link(b, "Upload an event log", arena_printf(c->arena, "/orgs/%s/findings/upload", o.code),
				WEB_BUTTON_PRIMARY);
	html_printf(b, "<p><a href=\"/orgs/%s/findings/upload\">Uploaded event logs and their scans</a></p>", o.code);

	html_printf(b, "<form class=\"bw-search\" action=\"/orgs/%s/findings\" method=\"get\" role=\"search\""
		       " aria-label=\"Filter findings\">", o.code);
	static const struct web_option levels[] = { { "", "All levels" }, { "critical", "Critical" }, { "high", "High" },
						    { "medium", "Medium" }, { "low", "Low" }, { "informational", "Informational" } };
	select_html(b, "level", "Level", levels, BW_NELEM(levels), q.level);
	static const struct web_option states[] = { { "", "All states" }, { "new", "New" },
						    { "false_positive", "False positive" }, { "escalated", "Escalated" } };
	select_html(b, "state", "State", states, BW_NELEM(states), q.state);
	input_html(b, "rule", "Rule", "Part of its title, or its id", "search", q.rule);
	input_html(b, "host", "Host", NULL, "search", q.host);
	input_html(b, "from", "Events from", "For example, 2026-11-01", "text", q.from);
	input_html(b, "to", "Events to", "For example, 2026-11-30", "text", q.to);
	web_button(b, "Filter", WEB_BUTTON_SECONDARY);
	html_raw(b, "</form>");

	st = db_prep(c->db, "SELECT f.id, r.title, r.author, f.level, f.host, f.event_time, o.name, f.state, r.uuid"
			    FINDINGS_FROM FINDINGS_WHERE " ORDER BY f.id DESC LIMIT ?10 OFFSET ?11");
	findings_query_bind(st, &q);
	db_bind_i64(st, 10, PAGE_SIZE);
	db_bind_i64(st, 11, (page - 1) * PAGE_SIZE);
	struct web_column cols[] = { { "Rule and author", false }, { "Level", false }, { "Host", false },
				     { "Event time", false }, { "Organisation", false }, { "State", false } };
	char caption[64];
	snprintf(caption, sizeof caption, "%lld finding%s", (long long)total, total == 1 ? "" : "s");
	struct web_table t;
	web_table_begin(&t, b, caption, cols, 6);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell_open(&t);
		html_printf(b, "<a href=\"/findings/%lld\">%s</a><br><span class=\"nhsuk-body-s\">Rule by %s</span>",
			    (long long)db_col_i64(st, 0), db_col_text(st, 1), *db_col_text(st, 2) ? db_col_text(st, 2) : "an unnamed author");
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		web_tag(b, db_col_text(st, 3), findings_level_colour(db_col_text(st, 3)));
		web_table_cell_close(&t);
		web_table_cell(&t, db_col_text(st, 4));
		web_table_cell(&t, db_col_text(st, 5));
		web_table_cell(&t, db_col_text(st, 6));
		web_table_cell_open(&t);
		web_tag(b, findings_state_label_of(db_col_text(st, 7)), state_colour(db_col_text(st, 7)));
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 6, "No findings match");
	web_table_end(&t);
	const char *qs = query_string(c, &q);
	web_pagination(b, arena_printf(c->arena, "/orgs/%s/findings%s%s", o.code, *qs ? "?" : "", qs), page,
		       (total + PAGE_SIZE - 1) / PAGE_SIZE);
	web_button_link(b, "Download as CSV", arena_printf(c->arena, "/orgs/%s/findings.csv%s%s", o.code, *qs ? "?" : "", qs),
			WEB_BUTTON_SECONDARY);
	html_raw(b, "<p class=\"nhsuk-body-s\">Sigma rules are the work of their authors, shared under the Detection Rule "
		    "License 1.1.</p>");
	ctx_page_end(c);
}

static void get_findings_csv(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	struct findings_query q;
	findings_query_args(c, o.path, &q);
	struct db_stmt *st = db_prep(c->db, "SELECT f.id, o.code, r.title, r.uuid, r.author, f.level, f.tags, f.host,"
					    " f.event_time, f.channel, f.event_id, f.source, f.state, f.state_by, f.state_note,"
					    " f.created_at" FINDINGS_FROM FINDINGS_WHERE " ORDER BY f.id LIMIT ?10 OFFSET ?11");
	findings_query_bind(st, &q);
	db_bind_i64(st, 10, FINDINGS_LIM_PER_SCAN);
	db_bind_i64(st, 11, 0);
	c->resp->content_type = "text/csv; charset=utf-8";
	http_resp_header(c->resp, "Content-Disposition", arena_printf(c->arena, "attachment; filename=\"findings-%s.csv\"", o.code));
	struct web_csv w;
	web_csv_init(&w, &c->resp->body);
	web_csv_bom(&w);
	static const char *const head[] = { "id", "organisation", "rule_title", "rule_id", "rule_author", "level", "tags",
					    "host", "event_time", "channel", "event_id", "source", "state", "state_by",
					    "state_note", "found_at" };
	for (size_t i = 0; i < BW_NELEM(head); i++)
		web_csv_cell(&w, head[i]);
	web_csv_row_end(&w);
	while (db_step(st) == DB_ROW) {
		web_csv_cell_int(&w, db_col_i64(st, 0));
		for (int k = 1; k <= 9; k++)
			web_csv_cell(&w, db_col_text(st, k));
		if (db_col_isnull(st, 10))
			web_csv_cell(&w, "");
		else
			web_csv_cell_int(&w, db_col_i64(st, 10));
		for (int k = 11; k <= 14; k++)
			web_csv_cell(&w, db_col_text(st, k) ? db_col_text(st, k) : "");
		char at[32];
		bw_time_iso(db_col_i64(st, 15), at);
		web_csv_cell(&w, at);
		web_csv_row_end(&w);
	}
}

/* ---- upload ---- */

static void upload_page(struct ctx *c, const struct org *o, const struct bw_error *err)
{
	struct web_link crumbs[] = { { "Home", "/" }, { "Findings", arena_printf(c->arena, "/orgs/%s/findings", o->code) } };
	ctx_page_begin(c, arena_printf(c->arena, "Upload an event log - %s", o->name), crumbs, 2, err, err ? 1 : 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Upload an event log</h1>", o->name);
	if (can_edit(c, o)) {
		html_raw(b, "<p>Upload a Windows event log (.evtx) or events as JSON lines (.json, .jsonl, optionally .gz), "
			    "for example from Winlogbeat, NXLog or Fluent Bit. It is scanned with the enabled Sigma rules in the "
			    "background; its findings appear on the findings page. Sending the same events again does not "
			    "duplicate findings.</p>");
		html_printf(b, "<form action=\"/orgs/%s/findings/upload\" method=\"post\" enctype=\"multipart/form-data\" novalidate>",
			    o->code);
		web_csrf_input(b, c->session.csrf);
		const char *ferr = err && !strcmp(err->field, "file") ? err->msg : NULL;
		html_printf(b, "<div class=\"nhsuk-form-group%s\"><label class=\"nhsuk-label\" for=\"file\">Event log file</label>",
			    ferr ? " nhsuk-form-group--error" : "");
		html_printf(b, "<div class=\"nhsuk-hint\" id=\"file-hint\">Up to %d MB</div>", LIM_UPLOAD / (1024 * 1024));
		if (ferr)
			html_printf(b, "<span class=\"nhsuk-error-message\" id=\"file-error\"><span class=\"nhsuk-u-visually-hidden\">"
				       "Error:</span> %s</span>", ferr);
		html_printf(b, "<input class=\"nhsuk-input%s\" id=\"file\" name=\"file\" type=\"file\""
			       " accept=\".evtx,.json,.jsonl,.gz,application/json\" aria-describedby=\"file-hint%s\"></div>",
			    ferr ? " nhsuk-input--error" : "", ferr ? " file-error" : "");
		web_button(b, "Upload and scan", WEB_BUTTON_PRIMARY);
		html_raw(b, "</form>");
	}
	html_raw(b, "<h2>Uploaded event logs</h2>");
	char lo[256], hi[256];
	orgs_subtree_bounds(o->path, lo, hi);
	struct db_stmt *st = db_prep(c->db, "SELECT u.id, u.file_name, o2.name, u.size, u.state, u.events, u.damaged,"
					    " u.findings, u.duplicates, u.created_at, u.error FROM event_uploads u"
					    " JOIN orgs o2 ON o2.id = u.org_id WHERE o2.path >= ?1 AND o2.path < ?2"
					    " ORDER BY u.id DESC LIMIT 50");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	struct web_column cols[] = { { "File", false }, { "Organisation", false }, { "Uploaded", false },
				     { "Scan", false }, { "Events", true }, { "Damaged records", true },
				     { "New findings", true } };
	struct web_table t;
	web_table_begin(&t, b, "The last 50 uploads", cols, 7);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell_open(&t);
		html_text(b, db_col_text(st, 1));
		html_printf(b, "<br><span class=\"nhsuk-body-s\">%lld bytes</span>", (long long)db_col_i64(st, 3));
		web_table_cell_close(&t);
		web_table_cell(&t, db_col_text(st, 2));
		web_table_cell_open(&t);
		show_time(b, db_col_i64(st, 9));
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		const char *s = db_col_text(st, 4);
		static const struct { const char *state, *label; enum web_tag_colour col; } tags[] = {
			{ "queued", "Waiting", WEB_TAG_GREY }, { "running", "Scanning", WEB_TAG_BLUE },
			{ "done", "Scanned", WEB_TAG_GREEN }, { "failed", "Failed", WEB_TAG_RED } };
		for (size_t i = 0; i < BW_NELEM(tags); i++)
			if (!strcmp(s, tags[i].state))
				web_tag(b, tags[i].label, tags[i].col);
		if (db_col_text(st, 10))
			html_printf(b, "<br>%s", db_col_text(st, 10));
		web_table_cell_close(&t);
		web_table_cell_num(&t, db_col_i64(st, 5));
		web_table_cell_num(&t, db_col_i64(st, 6));
		web_table_cell_num(&t, db_col_i64(st, 7));
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 7, "Nothing uploaded yet");
	web_table_end(&t);
	ctx_page_end(c);
}

static void get_upload(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	upload_page(c, &o, NULL);
}

static void post_upload(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	const struct http_upload *u = http_upload_get(c->req, "file");
	struct bw_error e = { 0 };
	int64_t id;
	enum bw_err rc;
	if (!u || u->len == 0)
		rc = bw_fail(&e, BW_EINVAL, "file", "Choose an event log file to upload");
	else
		rc = findings_upload_add(c->db, &c->actor, o.id, u->filename, u->data, u->len, &id, &e);
	if (rc != BW_OK) {
		if (!e.field[0])
			snprintf(e.field, sizeof e.field, "file");
		upload_page(c, &o, &e);
		c->resp->status = rc == BW_ELIMIT ? 413 : web_err_status(rc);
		return;
	}
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s/findings/upload", o.code),
		     "Uploaded. The scan runs in the background: this page shows when it is done");
}

/* ---- one finding ---- */

static void finding_page(struct ctx *c, int64_t id, const struct bw_error *err)
{
	struct db_stmt *st = db_prep(c->db,
		"SELECT r.title, r.uuid, f.level, r.author, f.tags, o.code, o.name, f.host, f.event_time, f.channel,"
		" f.event_id, f.source, f.state, f.state_by, f.state_at, f.state_note, f.created_at, f.fields, r.id,"
		" r.status, o.path, o.id FROM findings f JOIN orgs o ON o.id = f.org_id JOIN detect_rules r ON r.id = f.rule_id"
		" WHERE f.id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return not_found(c);
	struct arena *a = c->arena;
	const char *v[22];
	for (int i = 0; i < 22; i++)
		v[i] = db_col_text(st, i) ? arena_strdup(a, db_col_text(st, i)) : NULL;
	int64_t state_at = db_col_isnull(st, 14) ? 0 : db_col_i64(st, 14), created = db_col_i64(st, 16);
	int64_t rule_row = db_col_i64(st, 18), org_id = db_col_i64(st, 21);
	db_reset(st);

	struct web_link crumbs[] = { { "Home", "/" }, { "Findings", arena_printf(a, "/orgs/%s/findings", v[5]) } };
	ctx_page_begin(c, arena_printf(a, "Finding: %s", v[0]), crumbs, 2, err, err ? 1 : 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>%s</h1>", v[6], v[0]);
	html_raw(b, "<p>");
	web_tag(b, v[2], findings_level_colour(v[2]));
	html_raw(b, " ");
	web_tag(b, findings_state_label_of(v[12]), state_colour(v[12]));
	html_raw(b, "</p>");
	web_summary_begin(b);
	web_summary_row(b, "Rule", v[0], NULL);
	web_summary_row(b, "Rule id", v[1], NULL);
	web_summary_row(b, "Rule author", v[3], NULL);
	web_summary_row(b, "Level", v[2], NULL);
	web_summary_row(b, "ATT&CK and other tags", v[4], NULL);
	web_summary_row(b, "Host", v[7], NULL);
	web_summary_row(b, "Event time (as written in the log)", v[8], NULL);
	web_summary_row(b, "Channel", v[9], NULL);
	web_summary_row(b, "Event ID", v[10], NULL);
	web_summary_row(b, "Source", v[11], NULL);
	char when[48];
	bw_time_london(created, when);
	web_summary_row(b, "Found", when, NULL);
	if (state_at) {
		bw_time_london(state_at, when);
		web_summary_row(b, "Triaged", arena_printf(a, "%s by %s", when, v[13] ? v[13] : "someone"), NULL);
		web_summary_row(b, "Triage note", v[15], NULL);
	}
	web_summary_end(b);
	if (findings_is_analyst(&c->actor))
		html_printf(b, "<p><a href=\"/detect/rules/%lld\">See the rule</a></p>", (long long)rule_row);

	html_raw(b, "<h2>Matched fields</h2>");
	struct web_column cols[] = { { "Field", false }, { "Value", false } };
	struct web_table t;
	web_table_begin(&t, b, "The event's fields the rule matched", cols, 2);
	json_error_t je;
	json_t *arr = json_loads(v[17] ? v[17] : "[]", 0, &je);
	size_t shown = 0;
	for (size_t i = 0; arr && json_is_array(arr) && i < json_array_size(arr); i++) {
		json_t *p = json_array_get(arr, i);
		if (!json_is_array(p) || json_array_size(p) != 2)
			continue;
		web_table_row_begin(&t);
		web_table_cell_head(&t, json_string_value(json_array_get(p, 0)));
		web_table_cell_open(&t);
		html_raw(b, "<code>");
		html_text(b, json_string_value(json_array_get(p, 1)));
		html_raw(b, "</code>");
		web_table_cell_close(&t);
		web_table_row_end(&t);
		shown++;
	}
	json_decref(arr);
	if (!shown)
		web_table_empty(&t, 2, "The rule matched without naming fields");
	web_table_end(&t);

	struct org_ref ref = { org_id, "" };
	snprintf(ref.path, sizeof ref.path, "%s", v[20]);
	if (orgs_can(&c->actor, ACT_EDIT, &ref)) {
		html_raw(b, "<h2>Triage</h2>");
		html_printf(b, "<form action=\"/findings/%lld/triage\" method=\"post\" novalidate>", (long long)id);
		web_csrf_input(b, c->session.csrf);
		html_raw(b, "<div class=\"nhsuk-form-group\"><fieldset class=\"nhsuk-fieldset\" aria-describedby=\"state-hint\">"
			    "<legend class=\"nhsuk-fieldset__legend nhsuk-fieldset__legend--s\">What is this finding?</legend>"
			    "<div class=\"nhsuk-hint\" id=\"state-hint\">Escalated findings will become incidents when incident "
			    "response arrives; for now the state is kept.</div><div class=\"nhsuk-radios\">");
		/* after a refusal, the choice just made stays chosen */
		enum findings_state posted;
		const char *cur = err && findings_state_parse(ctx_form(c, "state"), &posted) ? findings_state_name(posted) : v[12];
		for (int s = FINDING_NEW; s <= FINDING_ESCALATED; s++) {
			const char *nm = findings_state_name((enum findings_state)s);
			html_printf(b, "<div class=\"nhsuk-radios__item\"><input class=\"nhsuk-radios__input\" id=\"state-%s\""
				       " name=\"state\" type=\"radio\" value=\"%s\"%s><label class=\"nhsuk-label nhsuk-radios__label\""
				       " for=\"state-%s\">%s</label></div>", nm, nm, !strcmp(nm, cur) ? " checked" : "", nm,
				    findings_state_label((enum findings_state)s));
		}
		html_raw(b, "</div></fieldset></div>");
		const char *nerr = err && !strcmp(err->field, "note") ? err->msg : NULL;
		html_printf(b, "<div class=\"nhsuk-form-group%s\"><label class=\"nhsuk-label\" for=\"note\">Note</label>"
			       "<div class=\"nhsuk-hint\" id=\"note-hint\">Needed for a false positive: say why</div>",
			    nerr ? " nhsuk-form-group--error" : "");
		if (nerr)
			html_printf(b, "<span class=\"nhsuk-error-message\" id=\"note-error\"><span class=\"nhsuk-u-visually-hidden\">"
				       "Error:</span> %s</span>", nerr);
		html_printf(b, "<textarea class=\"nhsuk-textarea%s\" id=\"note\" name=\"note\" rows=\"3\" maxlength=\"2000\""
			       " aria-describedby=\"note-hint%s\">", nerr ? " nhsuk-textarea--error" : "", nerr ? " note-error" : "");
		const char *nv = err ? ctx_form(c, "note") : v[15];
		html_text(b, nv ? nv : "");
		html_raw(b, "</textarea></div>");
		web_button(b, "Save", WEB_BUTTON_PRIMARY);
		html_raw(b, "</form>");
	}
	html_raw(b, "<p class=\"nhsuk-body-s\">Sigma rules are the work of their authors, shared under the Detection Rule "
		    "License 1.1.</p>");
	ctx_page_end(c);
}

static void get_finding(struct ctx *c)
{
	int64_t id;
	if (!str_to_i64(str_c(ctx_param(c, "finding")), 1, INT64_MAX, &id))
		return not_found(c);
	finding_page(c, id, NULL);
}

static void post_triage(struct ctx *c)
{
	int64_t id;
	if (!str_to_i64(str_c(ctx_param(c, "finding")), 1, INT64_MAX, &id))
		return not_found(c);
	enum findings_state s;
	struct bw_error e = { 0 };
	enum bw_err rc;
	if (!findings_state_parse(ctx_form(c, "state"), &s))
		rc = bw_fail(&e, BW_EINVAL, "state-new", "Select what this finding is");
	else
		rc = findings_triage(c->db, &c->actor, id, s, ctx_form(c, "note"), &e);
	if (rc == BW_ENOTFOUND)
		return not_found(c);
	if (rc != BW_OK) {
		/* the page again, with the error in its summary and beside the field */
		finding_page(c, id, &e);
		c->resp->status = 400;
		return;
	}
	ctx_redirect(c, arena_printf(c->arena, "/findings/%lld", (long long)id),
		     arena_printf(c->arena, "Finding marked: %s", findings_state_label(s)));
}

/* ---- the analysts' roll-up ---- */

static void get_rollup(struct ctx *c)
{
	if (!findings_is_analyst(&c->actor))
		return ctx_fail(c, BW_EFORBIDDEN, NULL, "Only analysts and administrators see the estate-wide roll-up");
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	int64_t rule;
	const char *rv = ctx_query(c, "rule");
	bool drill = rv && str_to_i64(str_c(rv), 1, INT64_MAX, &rule);
	struct web_link crumbs[] = { { "Home", "/" }, { "Findings roll-up", "/findings/rollup" } };
	struct buf *b = &c->resp->body;
	if (drill) {
		struct db_stmt *st = db_prep(c->db, "SELECT title, uuid, author, level FROM detect_rules WHERE id = ?1");
		db_bind_i64(st, 1, rule);
		if (db_step(st) != DB_ROW)
			return not_found(c);
		const char *title = arena_strdup(c->arena, db_col_text(st, 0)), *uuid = arena_strdup(c->arena, db_col_text(st, 1));
		const char *author = arena_strdup(c->arena, db_col_text(st, 2)), *level = arena_strdup(c->arena, db_col_text(st, 3));
		db_reset(st);
		ctx_page_begin(c, arena_printf(c->arena, "Where %s fires", title), crumbs, 2, NULL, 0);
		html_printf(b, "<span class=\"nhsuk-caption-l\">Findings roll-up</span><h1>%s</h1>", title);
		html_printf(b, "<p>Rule %s by %s, level %s.</p>", uuid, *author ? author : "an unnamed author", level);
		st = db_prep(c->db, "SELECT o.code, o.name, count(*), sum(CASE WHEN f.state = 'new' THEN 1 ELSE 0 END),"
				    " max(f.created_at) FROM findings f JOIN orgs o ON o.id = f.org_id"
				    " WHERE f.rule_id = ?3 AND o.path >= ?1 AND o.path < ?2"
				    " GROUP BY o.code, o.name ORDER BY count(*) DESC, o.code LIMIT 500");
		db_bind_text(st, 1, lo);
		db_bind_text(st, 2, hi);
		db_bind_i64(st, 3, rule);
		struct web_column cols[] = { { "Organisation", false }, { "Findings", true }, { "New", true }, { "Last found", false } };
		struct web_table t;
		web_table_begin(&t, b, "Organisations where this rule fired", cols, 4);
		int rows = 0;
		while (db_step(st) == DB_ROW) {
			rows++;
			web_table_row_begin(&t);
			web_table_cell_open(&t);
			html_printf(b, "<a href=\"/orgs/%s/findings?rule=%s\">%s</a>", db_col_text(st, 0), uuid, db_col_text(st, 1));
			web_table_cell_close(&t);
			web_table_cell_num(&t, db_col_i64(st, 2));
			web_table_cell_num(&t, db_col_i64(st, 3));
			web_table_cell_open(&t);
			show_time(b, db_col_i64(st, 4));
			web_table_cell_close(&t);
			web_table_row_end(&t);
		}
		if (!rows)
			web_table_empty(&t, 4, "This rule has not fired");
		web_table_end(&t);
		ctx_page_end(c);
		return;
	}
	ctx_page_begin(c, "Findings roll-up", crumbs, 1, NULL, 0);
	html_raw(b, "<h1>Findings roll-up</h1><p>Which rules fire where across the estate: for each rule, how many "
		    "organisations it fired in and how many findings are still new.</p>");
	struct db_stmt *st = db_prep(c->db, "SELECT r.id, r.title, r.author, r.level, count(DISTINCT f.org_id), count(*),"
					    " sum(CASE WHEN f.state = 'new' THEN 1 ELSE 0 END)"
					    " FROM findings f JOIN orgs o ON o.id = f.org_id JOIN detect_rules r ON r.id = f.rule_id"
					    " WHERE o.path >= ?1 AND o.path < ?2 GROUP BY r.id, r.title, r.author, r.level"
					    " ORDER BY count(DISTINCT f.org_id) DESC, count(*) DESC, r.id LIMIT 500");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	struct web_column cols[] = { { "Rule and author", false }, { "Level", false }, { "Organisations", true },
				     { "Findings", true }, { "New", true } };
	struct web_table t;
	web_table_begin(&t, b, "Rules that fired", cols, 5);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell_open(&t);
		html_printf(b, "<a href=\"/findings/rollup?rule=%lld\">%s</a><br><span class=\"nhsuk-body-s\">Rule by %s</span>",
			    (long long)db_col_i64(st, 0), db_col_text(st, 1),
			    *db_col_text(st, 2) ? db_col_text(st, 2) : "an unnamed author");
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		web_tag(b, db_col_text(st, 3), findings_level_colour(db_col_text(st, 3)));
		web_table_cell_close(&t);
		web_table_cell_num(&t, db_col_i64(st, 4));
		web_table_cell_num(&t, db_col_i64(st, 5));
		web_table_cell_num(&t, db_col_i64(st, 6));
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 5, "No rule has fired yet");
	web_table_end(&t);
	ctx_page_end(c);
}

/* ---- route parameters ---- */

static enum bw_err finding_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT o.id, o.path FROM findings f JOIN orgs o ON o.id = f.org_id WHERE f.id = ?1", v, out);
}

static bool finding_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT CAST(f.id AS TEXT) FROM findings f JOIN orgs o ON o.id = f.org_id"
				    " WHERE o.path >= ?1 AND o.path < ?2 ORDER BY f.id LIMIT 1", path, out, n);
}

/* Rules are the instance's, not an organisation's: owned by the root. */
static enum bw_err rule_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT o.id, o.path FROM orgs o, detect_rules r WHERE r.id = ?1"
				     " AND o.parent_id IS NULL ORDER BY o.path LIMIT 1", v, out);
}

static bool rule_example(struct db *db, const char *path, char *out, size_t n)
{
	(void)path;
	return route_example_in(db, "SELECT CAST(id AS TEXT) FROM detect_rules WHERE CAST(?1 AS TEXT) IS NOT NULL"
				    " AND CAST(?2 AS TEXT) IS NOT NULL ORDER BY id LIMIT 1", "/", out, n);
}

const struct route_param findings_params[] = {
	{ "finding", finding_owner, finding_example },
	{ "rule", rule_owner, rule_example },
	{ NULL, NULL, NULL },
};

const struct route findings_routes[] = {
	{ "GET", "/findings", get_findings_home, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/findings/rollup", get_rollup, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/orgs/{org}/findings", get_findings, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/findings.csv", get_findings_csv, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/findings/upload", get_upload, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "POST", "/orgs/{org}/findings/upload", post_upload, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "GET", "/findings/{finding}", get_finding, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "finding" },
	{ "POST", "/findings/{finding}/triage", post_triage, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "finding" },
	{ NULL },
};

/*
 * alerts_pages: the alerts pages.
 *   /alerts                         where "Alerts" in the menu leads
 *   /advisories                     advisories this user may see; the authors'
 *                                   list of drafts, reviews and publications
 *   /advisories/new, /{id}/edit     the editor (NHS.UK error summary)
 *   /advisories/{id}                an advisory as its reader may see it, or
 *                                   as its authors work on it (printable)
 *   /advisories/{id}/targets        who it would reach, before publishing
 *   /orgs/{org}/alerts              an organisation's (or ICS's) alerts: open
 *                                   responses, deadlines, what is overdue
 *   /orgs/{org}/alerts/{id}         the advisory with the organisation's
 *                                   response form; an ICS lead's bulk form
 *   /orgs/{org}/advisories/{id}/responses   roll-up with chart and drill-down
 *   /orgs/{org}/alerts/league       response times by ICS; CSV of both
 * Reading an advisory always goes through alerts_visible(); pages under
 * /orgs/{org} have their organisation checked by the pipeline first.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"
#include "app/routes.h"

static void not_found(struct ctx *c)
{
	ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
}

static bool load_adv(struct ctx *c, struct alerts_advisory *adv)
{
	if (alerts_get(c->db, c->arena, ctx_param(c, "advisory"), adv) != BW_OK) {
		not_found(c);
		return false;
	}
	return true;
}

/* An advisory its reader may see (as the actor's own organisation). */
static bool load_visible(struct ctx *c, struct alerts_advisory *adv, int64_t as_org)
{
	if (!load_adv(c, adv))
		return false;
	if (!alerts_visible(c->db, &c->actor, adv, as_org)) {
		not_found(c);
		return false;
	}
	return true;
}

static bool load_org(struct ctx *c, struct org *o)
{
	if (orgs_get_by_code(c->db, ctx_param(c, "org"), o, NULL) != BW_OK) {
		not_found(c);
		return false;
	}
	return true;
}

static bool is_author_role(const struct ctx *c)
{
	return c->actor.role == ROLE_ANALYST || c->actor.role == ROLE_ADMIN;
}

static void show_time(struct buf *b, int64_t t)
{
	if (!t) {
		html_raw(b, "Not set");
		return;
	}
	char s[48];
	bw_time_london(t, s);
	html_text(b, s);
}

static const char *time_str(struct ctx *c, int64_t t)
{
	if (!t)
		return "";
	char s[48];
	bw_time_london(t, s);
	return arena_strdup(c->arena, s);
}

static enum web_tag_colour tlp_colour(enum alerts_tlp t)
{
	static const enum web_tag_colour col[] = { WEB_TAG_WHITE, WEB_TAG_GREEN, WEB_TAG_ORANGE, WEB_TAG_ORANGE, WEB_TAG_RED };
	return (unsigned)t < TLP_COUNT ? col[t] : WEB_TAG_RED;
}

static void state_tag(struct buf *b, const struct alerts_advisory *adv)
{
	static const enum web_tag_colour col[] = { WEB_TAG_GREY, WEB_TAG_YELLOW, WEB_TAG_GREEN, WEB_TAG_RED };
	if (adv->revision > 0 && (adv->state == ADV_DRAFT || adv->state == ADV_IN_REVIEW)) {
		web_tag(b, "Published", WEB_TAG_GREEN);
		html_raw(b, " ");
		web_tag(b, adv->state == ADV_DRAFT ? "Revision in draft" : "Revision in review", col[adv->state]);
		return;
	}
	web_tag(b, alerts_state_label(adv->state), col[adv->state]);
}

static void rstate_tag(struct buf *b, enum alerts_rstate s, bool overdue, const char *closure)
{
	static const enum web_tag_colour col[] = { WEB_TAG_GREY, WEB_TAG_BLUE, WEB_TAG_YELLOW, WEB_TAG_GREEN };
	if (s == RS_CLOSED && closure && strcmp(closure, "not_applicable") == 0)
		web_tag(b, "Not applicable", WEB_TAG_GREEN);
	else if (s == RS_CLOSED && closure && strcmp(closure, "withdrawn") == 0)
		web_tag(b, "Withdrawn", WEB_TAG_GREY);
	else
		web_tag(b, alerts_rstate_label(s), col[s]);
	if (overdue) {
		html_raw(b, " ");
		web_tag(b, "Overdue", WEB_TAG_RED);
	}
}

static const char *closure_label(const char *k)
{
	return !k ? "" : strcmp(k, "remediated") == 0 ? "Remediated" : strcmp(k, "mitigated") == 0 ? "Mitigated"
		: strcmp(k, "risk_accepted") == 0 ? "Risk accepted" : strcmp(k, "not_applicable") == 0 ? "Not applicable"
		: strcmp(k, "withdrawn") == 0 ? "Alert withdrawn" : k;
}

static const char *severity_label(const char *s)
{
	return !s ? "" : strcmp(s, "critical") == 0 ? "Critical" : strcmp(s, "high") == 0 ? "High"
		: strcmp(s, "medium") == 0 ? "Medium" : strcmp(s, "low") == 0 ? "Low" : s;
}

/* A history entry's kind in plain words. */
static const char *event_label(const char *k)
{
	static const struct { const char *kind, *label; } l[] = {
		{ "issued", "Alert sent" }, { "acknowledge", "Acknowledged" }, { "applicable", "It applies" },
		{ "not_applicable", "It does not apply" }, { "update", "Update" }, { "remediated", "Closed: remediated" },
		{ "mitigated", "Closed: mitigated" }, { "risk_accepted", "Closed: risk accepted" },
		{ "withdrawn", "Alert withdrawn" }, { "escalation_1", "Overdue: alert contacts reminded" },
		{ "escalation_2", "Overdue: escalated to the SIRO and ICS lead" },
	};
	for (size_t i = 0; k && i < BW_NELEM(l); i++)
		if (strcmp(k, l[i].kind) == 0)
			return l[i].label;
	return k ? k : "";
}

/* Text as typed: each line its own paragraph (no inline style to keep
 * line breaks: the CSP forbids it). */
static void multiline(struct buf *b, const char *s)
{
	while (s && *s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		struct str t = str_trim((struct str){ s, n });
		if (t.n) {
			html_raw(b, "<p>");
			html_text_n(b, t.p, t.n);
			html_raw(b, "</p>");
		}
		s = e ? e + 1 : s + n;
	}
}

/* One line per item, web addresses as links (html_href keeps only safe ones). */
static void lines_list(struct buf *b, const char *s, bool links)
{
	html_raw(b, "<ul>");
	while (s && *s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		struct str t = str_trim((struct str){ s, n });
		if (t.n) {
			char *item = strndup(t.p, t.n);
			html_raw(b, "<li>");
			if (links && (strncmp(item, "https://", 8) == 0 || strncmp(item, "http://", 7) == 0)) {
				html_raw(b, "<a href=\"");
				html_href(b, item);
				html_raw(b, "\">");
				html_text(b, item);
				html_raw(b, "</a>");
			} else {
				html_text(b, item);
			}
			html_raw(b, "</li>");
			free(item);
		}
		s = e ? e + 1 : s + n;
	}
	html_raw(b, "</ul>");
}

/* What an advisory says (a revision's content or the working copy). */
static void content(struct ctx *c, const char *id, const char *const *v, int rev, int64_t published_at)
{
	struct buf *b = &c->resp->body;
	enum alerts_tlp t = TLP_RED;
	alerts_tlp_parse(v[AF_TLP], &t);
	html_raw(b, "<p>");
	web_tag(b, alerts_tlp_label(t), tlp_colour(t));
	html_raw(b, " ");
	web_tag(b, alerts_type_label(v[AF_TYPE]), strstr(v[AF_TYPE], "high") ? WEB_TAG_RED : WEB_TAG_BLUE);
	html_raw(b, "</p>");
	web_summary_begin(b);
	web_summary_row(b, "Reference", arena_printf(c->arena, "%s%s", id, rev ? arena_printf(c->arena, " revision %d", rev) : ""), NULL);
	if (published_at)
		web_summary_row(b, "Published", time_str(c, published_at), NULL);
	web_summary_row(b, "Severity", severity_label(v[AF_SEVERITY]), NULL);
	web_summary_row(b, "Threat type", v[AF_THREAT], NULL);
	web_summary_row(b, "CVE IDs", v[AF_CVES], NULL);
	int64_t hours = atoi(v[AF_ACK_HOURS]);
	web_summary_row(b, "Acknowledge within", hours ? arena_printf(c->arena, "%lld hours", (long long)hours)
							 : "No acknowledgement needed", NULL);
	web_summary_row(b, "Updates", arena_printf(c->arena, "Every %s days until closed", v[AF_UPDATE_DAYS]), NULL);
	int64_t due;
	if (*v[AF_REMEDIATION_DUE] && alerts_date_parse(v[AF_REMEDIATION_DUE], &due))
		web_summary_row(b, "Remediate by", time_str(c, due), NULL);
	web_summary_end(b);
	html_raw(b, "<h2>Summary</h2>");
	multiline(b, v[AF_SUMMARY]);
	if (*v[AF_DETAILS]) {
		html_raw(b, "<h2>Threat details</h2>");
		multiline(b, v[AF_DETAILS]);
	}
	if (*v[AF_PRODUCTS]) {
		html_raw(b, "<h2>Affected products</h2>");
		lines_list(b, v[AF_PRODUCTS], false);
	}
	html_raw(b, "<h2>Remediation</h2>");
	multiline(b, v[AF_REMEDIATION]);
	if (*v[AF_IOCS]) {
		html_raw(b, "<h2>Indicators of compromise</h2>");
		lines_list(b, v[AF_IOCS], false);
	}
	if (*v[AF_REFS]) {
		html_raw(b, "<h2>References</h2>");
		lines_list(b, v[AF_REFS], true);
	}
}

/* ---- /alerts and /advisories ---- */

static void get_alerts_home(struct ctx *c)
{
	if (is_author_role(c))
		return ctx_redirect(c, "/advisories", NULL);
	struct buf u;
	buf_init(&u);
	buf_puts(&u, "/orgs/");
	html_url_component(&u, c->actor.org_code);
	buf_puts(&u, "/alerts");
	ctx_redirect(c, arena_strdup(c->arena, buf_cstr(&u)), NULL);
	buf_free(&u);
}

#define LIST_MAX 2000

static void get_advisories(struct ctx *c)
{
	int64_t page = pages_page_number(c);
	struct web_link crumbs[] = { { "Home", "/" } };
	ctx_page_begin(c, "Advisories", crumbs, 1, NULL, 0);
	struct buf *b = &c->resp->body;
	html_raw(b, "<h1>Advisories</h1>");
	if (is_author_role(c))
		web_button_link(b, "Write an advisory", "/advisories/new", WEB_BUTTON_PRIMARY);
	html_printf(b, "<p><a href=\"/orgs/%s/alerts\">Alerts for %s and the responses to them</a></p>", c->actor.org_code,
		    c->actor.org_name);
	struct db_stmt *st = db_prep(c->db, "SELECT id FROM advisories ORDER BY seq DESC, id LIMIT ?1");
	db_bind_i64(st, 1, LIST_MAX);
	char (*ids)[ALERTS_ID_MAX + 1] = arena_alloc(c->arena, LIST_MAX * sizeof *ids);
	size_t n = 0;
	while (db_step(st) == DB_ROW && n < LIST_MAX)
		snprintf(ids[n++], sizeof ids[0], "%s", db_col_text(st, 0));
	struct web_column cols[] = { { "Reference", false }, { "Title", false }, { "Type", false }, { "TLP", false },
				     { "State", false }, { "Published", false } };
	struct web_table t;
	size_t shown = 0, visible = 0;
	int64_t from = (page - 1) * ALERTS_PAGE_SIZE;
	web_table_begin(&t, b, "Advisories you can see", cols, 6);
	for (size_t i = 0; i < n; i++) {
		struct alerts_advisory adv;
		if (alerts_get(c->db, c->arena, ids[i], &adv) != BW_OK || !alerts_visible(c->db, &c->actor, &adv, 0))
			continue;
		visible++;
		if ((int64_t)visible <= from || shown >= ALERTS_PAGE_SIZE)
			continue;
		shown++;
		web_table_row_begin(&t);
		web_table_cell_link(&t, adv.id, arena_printf(c->arena, "/advisories/%s", adv.id));
		web_table_cell(&t, adv.v[AF_TITLE]);
		web_table_cell(&t, alerts_type_label(adv.v[AF_TYPE]));
		web_table_cell_open(&t);
		web_tag(b, alerts_tlp_label(adv.tlp), tlp_colour(adv.tlp));
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		state_tag(b, &adv);
		web_table_cell_close(&t);
		web_table_cell(&t, time_str(c, adv.published_at));
		web_table_row_end(&t);
	}
	if (!shown)
		web_table_empty(&t, 6, "No advisories");
	web_table_end(&t);
	web_pagination(b, "/advisories", page, ((int64_t)visible + ALERTS_PAGE_SIZE - 1) / ALERTS_PAGE_SIZE);
	ctx_page_end(c);
}

/* ---- the editor ---- */

static void editor(struct ctx *c, const char *title, const char *action, const char *const *v,
		   const struct web_form_errors *errs, const struct web_link *crumbs, size_t ncrumbs)
{
	ctx_page_begin(c, title, crumbs, ncrumbs, errs ? errs->e : NULL, errs ? errs->n : 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<h1>%s</h1>", title);
	html_raw(b, "<p>Nothing is sent until the advisory has been reviewed and published. You will see the list of "
		    "organisations it reaches before you publish it.</p>");
	struct web_form f = { .action = action, .fields = alerts_fields, .fields_n = AF_NFIELDS, .submit = "Save" };
	web_form_render(b, &f, v, errs, c->session.csrf);
	ctx_page_end(c);
	if (errs && errs->n)
		c->resp->status = 400;
}

static void form_values(struct ctx *c, const char **v)
{
	for (size_t i = 0; i < AF_NFIELDS; i++)
		v[i] = ctx_form(c, alerts_fields[i].name);
}

static void get_new(struct ctx *c)
{
	if (!is_author_role(c))
		return ctx_fail(c, BW_EFORBIDDEN, NULL, "Only analysts write advisories");
	const char *v[AF_NFIELDS] = { 0 };
	v[AF_TYPE] = "high_severity_alert";
	v[AF_SEVERITY] = "high";
	v[AF_TLP] = "AMBER";
	v[AF_ACK_HOURS] = "48";
	v[AF_UPDATE_DAYS] = "3";
	v[AF_TARGET_KIND] = "all";
	/* drafted from a vulnerability in one click (?cve=, from its page):
	 * what the feeds know fills the form, aimed at the exposed */
	const char *cve = ctx_query(c, "cve");
	if (cve && *cve && strlen(cve) <= 64) {
		struct db_stmt *st = db_prep(c->db, "SELECT id, coalesce(kev_name, title, ''), coalesce(description, ''),"
						    " coalesce(severity, ''), kev FROM vulnerabilities WHERE id = ?1");
		db_bind_text(st, 1, cve);
		if (st && db_step(st) == DB_ROW) {
			char sev[16];
			snprintf(sev, sizeof sev, "%s", db_col_text(st, 3));
			for (char *q = sev; *q; q++)
				*q = (char)tolower((unsigned char)*q);
			v[AF_CVES] = arena_strdup(c->arena, db_col_text(st, 0));
			v[AF_TITLE] = arena_printf(c->arena, "%s: %s", db_col_text(st, 0), db_col_text(st, 1));
			v[AF_SUMMARY] = arena_strdup(c->arena, db_col_text(st, 2));
			if (!strcmp(sev, "critical") || !strcmp(sev, "high") || !strcmp(sev, "medium") || !strcmp(sev, "low"))
				v[AF_SEVERITY] = arena_strdup(c->arena, sev);
			if (!db_col_i64(st, 4))
				v[AF_TYPE] = "alert";   /* high-severity alerts are for exploitation seen */
			v[AF_TARGET_KIND] = "exposed";
			db_reset(st);
		}
	}
	struct web_link crumbs[] = { { "Home", "/" }, { "Advisories", "/advisories" } };
	editor(c, "Write an advisory", "/advisories", v, NULL, crumbs, 2);
}

/* Checks and the targeting; false after showing the form again. */
static bool checked(struct ctx *c, const char **v, struct web_form_errors *errs)
{
	web_form_errors_init(errs);
	struct bw_error e = { 0 };
	if (alerts_validate(v, errs) == BW_OK &&
	    alerts_targets_check(c->db, (const char *const *)v, &e) != BW_OK)
		web_form_errors_add(errs, e.field, e.msg);
	return errs->n == 0;
}

static void post_new(struct ctx *c)
{
	if (!is_author_role(c))
		return ctx_fail(c, BW_EFORBIDDEN, NULL, "Only analysts write advisories");
	const char *v[AF_NFIELDS];
	form_values(c, v);
	struct web_form_errors errs;
	struct web_link crumbs[] = { { "Home", "/" }, { "Advisories", "/advisories" } };
	char id[ALERTS_ID_MAX + 1];
	struct bw_error e = { 0 };
	if (checked(c, v, &errs) && alerts_create(c->db, &c->actor, v, id, &e) != BW_OK)
		web_form_errors_add(&errs, e.field, e.msg);
	if (errs.n)
		return editor(c, "Write an advisory", "/advisories", v, &errs, crumbs, 2);
	ctx_redirect(c, arena_printf(c->arena, "/advisories/%s", id), "Draft saved");
}

static bool load_authored(struct ctx *c, struct alerts_advisory *adv)
{
	if (!load_adv(c, adv))
		return false;
	if (!alerts_is_author(&c->actor, adv)) {
		/* readers learn nothing of the editing side */
		if (alerts_visible(c->db, &c->actor, adv, 0))
			ctx_fail(c, BW_EFORBIDDEN, NULL, "Only the analysts who own this advisory can change it");
		else
			not_found(c);
		return false;
	}
	return true;
}

static void get_edit(struct ctx *c)
{
	struct alerts_advisory adv;
	if (!load_authored(c, &adv))
		return;
	struct web_link crumbs[] = { { "Advisories", "/advisories" }, { adv.id, arena_printf(c->arena, "/advisories/%s", adv.id) } };
	editor(c, arena_printf(c->arena, "Change %s", adv.id), arena_printf(c->arena, "/advisories/%s", adv.id), adv.v, NULL,
	       crumbs, 2);
}

static void post_edit(struct ctx *c)
{
	struct alerts_advisory adv;
	if (!load_authored(c, &adv))
		return;
	const char *v[AF_NFIELDS];
	form_values(c, v);
	struct web_form_errors errs;
	struct bw_error e = { 0 };
	if (checked(c, v, &errs) && alerts_update(c->db, &c->actor, adv.id, v, &e) != BW_OK)
		web_form_errors_add(&errs, e.field, e.msg);
	if (errs.n) {
		struct web_link crumbs[] = { { "Advisories", "/advisories" },
					     { adv.id, arena_printf(c->arena, "/advisories/%s", adv.id) } };
		return editor(c, arena_printf(c->arena, "Change %s", adv.id), arena_printf(c->arena, "/advisories/%s", adv.id),
			      v, &errs, crumbs, 2);
	}
	ctx_redirect(c, arena_printf(c->arena, "/advisories/%s", adv.id), "Changes saved");
}

/* ---- one advisory ---- */

static void action_button(struct ctx *c, const char *id, const char *what, const char *label, enum web_button_kind k,
			  bool reason)
{
	struct buf *b = &c->resp->body;
	web_form_begin(b, arena_printf(c->arena, "/advisories/%s/%s", id, what), "post", c->session.csrf);
	if (reason) {
		struct web_field f = { .name = "reason", .label = "Reason", .type = WEB_FIELD_TEXTAREA,
				       .max_len = ALERTS_NOTE_MAX };
		web_field_render(b, &f, NULL, NULL);
	}
	web_button(b, label, k);
	web_form_end(b);
}

static void revisions(struct ctx *c, const char *id)
{
	struct buf *b = &c->resp->body;
	struct db_stmt *st = db_prep(c->db, "SELECT revision, published_at, published_by, change_note FROM advisory_revisions"
					    " WHERE advisory_id = ?1 ORDER BY revision DESC LIMIT 100");
	db_bind_text(st, 1, id);
	struct web_column cols[] = { { "Revision", true }, { "Published", false }, { "By", false }, { "What changed", false } };
	struct web_table t;
	html_raw(b, "<h2>Revisions</h2>");
	web_table_begin(&t, b, "Each published revision", cols, 4);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		web_table_row_begin(&t);
		web_table_cell_num(&t, db_col_i64(st, 0));
		web_table_cell(&t, time_str(c, db_col_i64(st, 1)));
		web_table_cell(&t, db_col_text(st, 2));
		web_table_cell(&t, db_col_text(st, 3));
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 4, "Not published yet");
	web_table_end(&t);
}

static void get_advisory(struct ctx *c)
{
	struct alerts_advisory adv;
	if (!load_visible(c, &adv, 0))
		return;
	bool author = alerts_is_author(&c->actor, &adv);
	/* the link in every e-mail and notice: an organisation asked to respond
	 * lands on its own copy, where the response form is */
	struct alerts_response own;
	if (!author && alerts_response_get(c->db, adv.id, c->actor.org_id, &own) == BW_OK)
		return ctx_redirect(c, arena_printf(c->arena, "/orgs/%s/alerts/%s", c->actor.org_code, adv.id), NULL);
	const char *v[AF_NFIELDS];
	int64_t pub = 0;
	struct bw_error e = { 0 };
	/* readers see what was published; the authors their working copy */
	bool working = author || adv.revision == 0;
	if (working)
		memcpy(v, adv.v, sizeof v);
	else if (alerts_revision_get(c->db, c->arena, adv.id, 0, v, &pub, &e) != BW_OK)
		return not_found(c);
	struct web_link crumbs[] = { { "Home", "/" }, { "Advisories", "/advisories" } };
	ctx_page_begin(c, arena_printf(c->arena, "%s: %s", adv.id, v[AF_TITLE]), crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>%s</h1>", adv.id, v[AF_TITLE]);
	if (adv.state == ADV_WITHDRAWN)
		html_printf(b, "<div class=\"nhsuk-warning-callout\"><h2 class=\"nhsuk-warning-callout__label\">"
			       "<span role=\"text\"><span class=\"nhsuk-u-visually-hidden\">Important: </span>Withdrawn</span></h2>"
			       "<p>This advisory was withdrawn on %s: %s</p></div>", time_str(c, adv.withdrawn_at),
			    adv.withdrawn_reason);
	if (author) {
		html_raw(b, "<p>");
		state_tag(b, &adv);
		html_raw(b, "</p>");
		if (adv.state != ADV_WITHDRAWN) {
			web_button_link(b, adv.revision ? "Prepare a revision" : "Change the draft",
					arena_printf(c->arena, "/advisories/%s/edit", adv.id), WEB_BUTTON_SECONDARY);
			html_printf(b, " <a href=\"/advisories/%s/targets\">See who it reaches</a>", adv.id);
		}
		if (adv.revision)
			html_printf(b, "<p><a href=\"/orgs/%s/advisories/%s/responses\">Responses to %s</a></p>", c->actor.org_code,
				    adv.id, adv.id);
		if (adv.state == ADV_DRAFT)
			action_button(c, adv.id, "submit", "Send for review", WEB_BUTTON_PRIMARY, false);
		if (adv.state == ADV_IN_REVIEW) {
			html_raw(b, "<p>This advisory is waiting for review. Check who it reaches, then publish it.</p>");
			web_button_link(b, "Review and publish", arena_printf(c->arena, "/advisories/%s/targets", adv.id),
					WEB_BUTTON_PRIMARY);
			action_button(c, adv.id, "return", "Return to draft", WEB_BUTTON_SECONDARY, true);
		}
	}
	content(c, adv.id, v, working ? 0 : adv.revision, pub);
	if (adv.revision > 0)
		html_printf(b, "<p>For security tools: <a href=\"/advisories/%s/csaf.json\">CSAF 2.0</a> | "
			       "<a href=\"/advisories/%s/stix.json\">STIX 2.1</a> (the latest published revision)</p>", adv.id, adv.id);
	if (author && adv.revision > 0 && *v[AF_CHANGE_NOTE]) {
		html_raw(b, "<h2>What changes in the next revision</h2>");
		multiline(b, v[AF_CHANGE_NOTE]);
	}
	revisions(c, adv.id);
	if (author && adv.state != ADV_WITHDRAWN && adv.revision > 0) {
		html_raw(b, "<h2>Withdraw this advisory</h2><p>Every open response is closed and nothing more is asked of "
			    "anyone. This cannot be undone.</p>");
		action_button(c, adv.id, "withdraw", "Withdraw advisory", WEB_BUTTON_WARNING, true);
	}
	ctx_page_end(c);
}

static void get_targets(struct ctx *c)
{
	struct alerts_advisory adv;
	if (!load_authored(c, &adv))
		return;
	struct alerts_preview *p = arena_alloc(c->arena, sizeof *p);
	struct bw_error e = { 0 };
	bool ok = alerts_targets_preview(c->db, adv.id, p, &e) == BW_OK;
	struct web_link crumbs[] = { { "Advisories", "/advisories" }, { adv.id, arena_printf(c->arena, "/advisories/%s", adv.id) } };
	ctx_page_begin(c, arena_printf(c->arena, "Who %s reaches", adv.id), crumbs, 2, ok ? NULL : &e, ok ? 0 : 1);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Who it reaches</h1>", adv.id);
	if (!ok) {
		html_printf(b, "<p>%s</p>", e.msg);
		web_button_link(b, "Change the targeting", arena_printf(c->arena, "/advisories/%s/edit", adv.id),
				WEB_BUTTON_SECONDARY);
		ctx_page_end(c);
		return;
	}
	html_printf(b, "<p class=\"nhsuk-body-l\" id=\"target-count\">%lld organisations", (long long)p->total);
	if (adv.revision > 0)
		html_printf(b, ", of which %lld are new with this revision", (long long)p->added);
	html_raw(b, "</p>");
	if (adv.v[AF_TARGET_KIND] && strcmp(adv.v[AF_TARGET_KIND], "exposed") == 0)
		html_raw(b, "<p>The organisations exposed to its CVE IDs (as the feeds matched them) and those whose "
			    "inventory runs a version of its affected products, matched against every inventory now.</p>");
	struct web_column cols[] = { { "Kind of organisation", false }, { "Organisations", true } };
	struct web_table t;
	web_table_begin(&t, b, "By kind of organisation", cols, 2);
	for (int i = 0; i < ORG_TYPE_COUNT; i++) {
		if (!p->by_type[i])
			continue;
		web_table_row_begin(&t);
		web_table_cell(&t, org_type_label((enum org_type)i));
		web_table_cell_num(&t, p->by_type[i]);
		web_table_row_end(&t);
	}
	web_table_end(&t);
	struct web_column cols2[] = { { "Code", false }, { "Organisation", false }, { "Kind", false } };
	web_table_begin(&t, b, p->total > (int64_t)p->nfirst ? "The first 100, new ones first" : "Every organisation", cols2, 3);
	for (size_t i = 0; i < p->nfirst; i++) {
		enum org_type ty = ORG_OTHER;
		org_type_parse(p->first[i].type, &ty);
		web_table_row_begin(&t);
		web_table_cell(&t, p->first[i].code);
		web_table_cell(&t, p->first[i].name);
		web_table_cell(&t, org_type_label(ty));
		web_table_row_end(&t);
	}
	web_table_end(&t);
	if (adv.state == ADV_IN_REVIEW) {
		html_raw(b, "<h2>Publish</h2><p>Publishing sends it at once to the alert contacts of every organisation "
			    "above and starts their deadlines.</p>");
		action_button(c, adv.id, "publish", adv.revision ? "Publish revision" : "Publish advisory", WEB_BUTTON_PRIMARY,
			      false);
	} else if (adv.state == ADV_DRAFT) {
		html_raw(b, "<p>Send the advisory for review before publishing it.</p>");
	}
	ctx_page_end(c);
}

static void post_action(struct ctx *c, const char *what)
{
	struct alerts_advisory adv;
	if (!load_authored(c, &adv))
		return;
	struct bw_error e = { 0 };
	enum bw_err rc;
	const char *flash;
	int64_t n = 0;
	if (strcmp(what, "submit") == 0) {
		rc = alerts_submit(c->db, &c->actor, adv.id, &e);
		flash = "Sent for review";
	} else if (strcmp(what, "return") == 0) {
		rc = alerts_return_to_draft(c->db, &c->actor, adv.id, ctx_form(c, "reason"), &e);
		flash = "Returned to draft";
	} else if (strcmp(what, "publish") == 0) {
		rc = alerts_publish(c->db, &c->actor, adv.id, &n, &e);
		flash = arena_printf(c->arena, "Published to %lld organisations", (long long)n);
	} else {
		rc = alerts_withdraw(c->db, &c->actor, adv.id, ctx_form(c, "reason"), &e);
		flash = "Advisory withdrawn";
	}
	if (rc != BW_OK)
		return ctx_error(c, web_err_status(rc), &e);
	ctx_redirect(c, arena_printf(c->arena, "/advisories/%s", adv.id), flash);
}

static void post_submit(struct ctx *c)
{
	post_action(c, "submit");
}

static void post_return(struct ctx *c)
{
	post_action(c, "return");
}

static void post_publish(struct ctx *c)
{
	post_action(c, "publish");
}

static void post_withdraw(struct ctx *c)
{
	post_action(c, "withdraw");
}

/* ---- an organisation's alerts ---- */

static struct org_ref ref_of(const struct org *o)
{
	struct org_ref r = { o->id, "" };
	snprintf(r.path, sizeof r.path, "%s", o->path);
	return r;
}

/* Responses of the subtree, newest advisories first; a response to an
 * advisory limited to its target organisation is listed only to that
 * organisation's own people (and re-checked by alerts_visible). */
#define INBOX_FROM " FROM advisory_responses r JOIN orgs o ON o.id = r.org_id JOIN advisories a ON a.id = r.advisory_id" \
	" WHERE o.path >= ?1 AND o.path < ?2 AND (a.tlp NOT IN ('AMBER+STRICT', 'RED') OR r.org_id = ?3)" \
	" AND (?4 = 0 OR r.state <> 'closed')"

/* ---- the in-app inbox: notices of new, revised and withdrawn alerts and of
 * escalations, each read or unread for the person looking (outbox.c writes
 * them). The same TLP rule as the responses below: a notice of a strictly
 * limited advisory is shown only to the organisation's own people. */
#define NOTICES_SHOWN 20
#define NOTICE_FROM " FROM inbox i JOIN advisories a ON a.id = i.advisory_id" \
	" WHERE i.org_id = ?1 AND (a.tlp NOT IN ('AMBER+STRICT', 'RED') OR i.org_id = ?3)"

static const char *notice_label(struct ctx *c, const char *reason, int64_t revision)
{
	if (strcmp(reason, "published") == 0)
		return "New alert";
	if (strcmp(reason, "revised") == 0)
		return arena_printf(c->arena, "Revised (version %lld)", (long long)revision);
	if (strcmp(reason, "withdrawn") == 0)
		return "Withdrawn";
	if (strncmp(reason, "esc1", 4) == 0)
		return "Reminder: a response is overdue";
	if (strncmp(reason, "esc2", 4) == 0)
		return "Escalated: overdue, sent to your SIRO or ICS lead";
	return reason;
}

static void notices(struct ctx *c, const struct org *o)
{
	struct buf *b = &c->resp->body;
	int64_t uid = c->actor.user_id;
	struct db_stmt *st = db_prep(c->db, "SELECT count(*)" NOTICE_FROM
					    " AND NOT EXISTS (SELECT 1 FROM inbox_reads r WHERE r.inbox_id = i.id AND r.user_id = ?2)");
	db_bind_i64(st, 1, o->id);
	db_bind_i64(st, 2, uid);
	db_bind_i64(st, 3, c->actor.org_id);
	int64_t unread = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	html_printf(b, "<h2 id=\"notices\">Notices</h2><p>%lld unread notice%s.</p>", (long long)unread,
		    unread == 1 ? "" : "s");
	st = db_prep(c->db, "SELECT i.id, i.advisory_id, i.revision, i.reason, i.created_at, a.title,"
			    " EXISTS (SELECT 1 FROM inbox_reads r WHERE r.inbox_id = i.id AND r.user_id = ?2)" NOTICE_FROM
			    " ORDER BY i.created_at DESC, i.id DESC LIMIT ?4");
	db_bind_i64(st, 1, o->id);
	db_bind_i64(st, 2, uid);
	db_bind_i64(st, 3, c->actor.org_id);
	db_bind_i64(st, 4, NOTICES_SHOWN);
	struct web_column cols[] = { { "Notice", false }, { "Alert", false }, { "Received", false }, { "Status", false },
				     { "Action", false } };
	struct web_table t;
	web_table_begin(&t, b, arena_printf(c->arena, "The newest %d notices", NOTICES_SHOWN), cols, 5);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		bool read = db_col_i64(st, 6) != 0;
		web_table_row_begin(&t);
		web_table_cell(&t, notice_label(c, db_col_text(st, 3), db_col_i64(st, 2)));
		web_table_cell_open(&t);
		html_printf(b, "<a href=\"/orgs/%s/alerts/%s\">%s</a> %s", o->code, db_col_text(st, 1), db_col_text(st, 1),
			    db_col_text(st, 5));
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		show_time(b, db_col_i64(st, 4));
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		web_tag(b, read ? "Read" : "Unread", read ? WEB_TAG_GREY : WEB_TAG_BLUE);
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		if (!read && uid) {
			web_form_begin(b, arena_printf(c->arena, "/orgs/%s/alerts/notices", o->code), "post", c->session.csrf);
			html_printf(b, "<input type=\"hidden\" name=\"notice\" value=\"%lld\">", (long long)db_col_i64(st, 0));
			web_button(b, arena_printf(c->arena, "Mark as read (%s)", db_col_text(st, 1)), WEB_BUTTON_SECONDARY);
			web_form_end(b);
		}
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 5, "No notices");
	web_table_end(&t);
	if (unread > 1 && uid) {
		web_form_begin(b, arena_printf(c->arena, "/orgs/%s/alerts/notices", o->code), "post", c->session.csrf);
		html_raw(b, "<input type=\"hidden\" name=\"notice\" value=\"all\">");
		web_button(b, "Mark all notices as read", WEB_BUTTON_SECONDARY);
		web_form_end(b);
	}
}

/* Marks one notice of the organisation ("notice" = its id), or all of them
 * ("all"), read for the person signed in. A notice of another organisation
 * or one they may not see changes nothing. */
static void post_notices(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	const char *which = ctx_form(c, "notice");
	int64_t id = 0;
	bool all = which && strcmp(which, "all") == 0;
	struct bw_error e = { 0 };
	if (!all && (!which || !str_to_i64(str_c(which), 1, INT64_MAX, &id)))
		return ctx_error(c, 400, (bw_fail(&e, BW_EINVAL, "notice", "Choose the notice to mark as read"), &e));
	if (!c->actor.user_id)
		return ctx_error(c, 400, (bw_fail(&e, BW_EINVAL, NULL, "Only a person signed in can mark notices as read"), &e));
	struct db_stmt *st = db_prep(c->db, "INSERT INTO inbox_reads (inbox_id, user_id, read_at)"
					    " SELECT i.id, ?2, ?4" NOTICE_FROM " AND (?5 = 0 OR i.id = ?5)"
					    " ON CONFLICT (inbox_id, user_id) DO NOTHING");
	db_bind_i64(st, 1, o.id);
	db_bind_i64(st, 2, c->actor.user_id);
	db_bind_i64(st, 3, c->actor.org_id);
	db_bind_i64(st, 4, bw_now());
	db_bind_i64(st, 5, all ? 0 : id);
	if (db_step(st) == DB_ERR) {
		db_fail(c->db, &e, "marking notices read");
		return ctx_error(c, 500, &e);
	}
	if (!all && db_changes(c->db) == 0) {
		/* nothing changed: already read, or not a notice this person may see here */
		st = db_prep(c->db, "SELECT count(*)" NOTICE_FROM " AND i.id = ?2");
		db_bind_i64(st, 1, o.id);
		db_bind_i64(st, 2, id);
		db_bind_i64(st, 3, c->actor.org_id);
		int64_t there = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
		db_reset(st);
		if (!there)
			return not_found(c);
	}
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s/alerts#notices", o.code),
		     all ? "Notices marked as read" : "Notice marked as read");
}

static void get_inbox(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	char lo[256], hi[256];
	orgs_subtree_bounds(o.path, lo, hi);
	const char *sv = ctx_query(c, "show");
	bool open_only = !sv || strcmp(sv, "all") != 0;
	int64_t page = pages_page_number(c);
	struct db_stmt *st = db_prep(c->db, "SELECT count(*)" INBOX_FROM);
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_i64(st, 3, c->actor.org_id);
	db_bind_i64(st, 4, open_only);
	int64_t total = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	struct web_link crumbs[] = { { "Home", "/" }, { o.name, arena_printf(c->arena, "/orgs/%s", o.code) } };
	ctx_page_begin(c, arena_printf(c->arena, "Alerts - %s", o.name), crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Cyber alerts</h1>", o.name);
	int64_t now = bw_now();
	html_printf(b, "<p><a href=\"/orgs/%s/alerts?show=%s\">%s</a> | <a href=\"/orgs/%s/alerts/league\">Response times by ICS</a>"
		       " | <a href=\"/advisories\">All advisories you can see</a></p>",
		    o.code, open_only ? "all" : "open", open_only ? "Show closed responses too" : "Show open responses only", o.code);
	notices(c, &o);
	html_raw(b, "<h2>Responses</h2>");
	st = db_prep(c->db, "SELECT r.advisory_id, a.title, a.type, o.code, o.name, r.state, coalesce(r.ack_due, 0),"
			    " coalesce(r.next_update_due, 0), r.closure, r.org_id" INBOX_FROM
			    " ORDER BY CASE WHEN r.state = 'closed' THEN 1 ELSE 0 END, a.seq DESC, o.name LIMIT ?5 OFFSET ?6");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_i64(st, 3, c->actor.org_id);
	db_bind_i64(st, 4, open_only);
	db_bind_i64(st, 5, ALERTS_PAGE_SIZE);
	db_bind_i64(st, 6, (page - 1) * ALERTS_PAGE_SIZE);
	struct web_column cols[] = { { "Alert", false }, { "Organisation", false }, { "Status", false }, { "Next deadline", false } };
	struct web_table t;
	char caption[64];
	snprintf(caption, sizeof caption, "%lld %sresponse%s", (long long)total, open_only ? "open " : "", total == 1 ? "" : "s");
	web_table_begin(&t, b, caption, cols, 4);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		enum alerts_rstate rs = RS_ISSUED;
		alerts_rstate_parse(db_col_text(st, 5), &rs);
		struct alerts_response r = { .state = rs, .ack_due = db_col_i64(st, 6), .next_update_due = db_col_i64(st, 7) };
		bool overdue = alerts_response_overdue(&r, now);
		web_table_row_begin(&t);
		web_table_cell_open(&t);
		html_printf(b, "<a href=\"/orgs/%s/alerts/%s\">%s</a> %s", db_col_text(st, 3), db_col_text(st, 0),
			    db_col_text(st, 0), db_col_text(st, 1));
		web_table_cell_close(&t);
		web_table_cell(&t, db_col_text(st, 4));
		web_table_cell_open(&t);
		rstate_tag(b, rs, overdue, db_col_text(st, 8));
		web_table_cell_close(&t);
		web_table_cell_open(&t);
		if (rs == RS_ISSUED && r.ack_due) {
			html_raw(b, "Acknowledge by ");
			show_time(b, r.ack_due);
		} else if ((rs == RS_ACKNOWLEDGED || rs == RS_APPLICABLE) && r.next_update_due) {
			html_raw(b, "Update by ");
			show_time(b, r.next_update_due);
		}
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 4, open_only ? "No open alerts" : "No alerts");
	web_table_end(&t);
	web_pagination(b, arena_printf(c->arena, "/orgs/%s/alerts?show=%s", o.code, open_only ? "open" : "all"), page,
		       (total + ALERTS_PAGE_SIZE - 1) / ALERTS_PAGE_SIZE);
	ctx_page_end(c);
}

/* ---- the advisory as an organisation sees it, with its response ---- */

static const struct web_option applicability_opts[] = {
	{ "applicable", "Yes, it applies to us" }, { "not_applicable", "No, it does not apply to us" },
};
static const struct web_option closure_opts[] = {
	{ "remediated", "Remediated: the fix is in place" },
	{ "mitigated", "Mitigated: the risk is reduced by other means" },
	{ "risk_accepted", "Risk accepted: recorded in the risk register" },
};
static const struct web_field ap_fields[] = {
	{ .name = "step", .label = "Does this alert apply to your organisation?", .type = WEB_FIELD_SELECT, .required = true,
	  .options = applicability_opts, .options_n = 2 },
	{ .name = "reason", .label = "Why", .hint = "Needed if it does not apply: for example, we do not use this product",
	  .type = WEB_FIELD_TEXTAREA, .max_len = ALERTS_NOTE_MAX },
};
static const struct web_field up_fields[] = {
	{ .name = "update_note", .label = "What has been done since the last update", .type = WEB_FIELD_TEXTAREA,
	  .required = true, .max_len = ALERTS_NOTE_MAX },
	{ .name = "next_update_due", .label = "Next update due (optional)",
	  .hint = "Leave empty for the usual interval. For example, 27/10/2026", .type = WEB_FIELD_TEXT, .width = "10",
	  .max_len = 40 },
};
static const struct web_field close_fields[] = {
	{ .name = "closure", .label = "How was it dealt with?", .type = WEB_FIELD_SELECT, .required = true,
	  .options = closure_opts, .options_n = 3 },
	{ .name = "close_note", .label = "Notes", .hint = "Needed when accepting the risk: say why",
	  .type = WEB_FIELD_TEXTAREA, .max_len = ALERTS_NOTE_MAX },
	{ .name = "accepted_until", .label = "Risk accepted until (optional)", .hint = "For example, 31/3/2027",
	  .type = WEB_FIELD_TEXT, .width = "10", .max_len = 40 },
};

static void step_form(struct ctx *c, const char *action, const char *step, const char *heading, const char *text,
		      const struct web_field *f, size_t nf, const struct web_form_errors *errs, const char *button)
{
	struct buf *b = &c->resp->body;
	html_printf(b, "<h3>%s</h3>", heading);
	if (text)
		html_printf(b, "<p>%s</p>", text);
	web_form_begin(b, action, "post", c->session.csrf);
	if (step)
		html_printf(b, "<input type=\"hidden\" name=\"step\" value=\"%s\">", step);
	for (size_t i = 0; i < nf; i++)
		web_field_render(b, &f[i], ctx_form(c, f[i].name), errs ? web_form_error_for(errs, f[i].name) : NULL);
	web_button(b, button, WEB_BUTTON_PRIMARY);
	web_form_end(b);
}

static void history(struct ctx *c, const char *id, int64_t org_id)
{
	struct buf *b = &c->resp->body;
	struct db_stmt *st = db_prep(c->db, "SELECT at, kind, actor, actor_org, on_behalf, note FROM response_events"
					    " WHERE advisory_id = ?1 AND org_id = ?2 ORDER BY at, id LIMIT 200");
	db_bind_text(st, 1, id);
	db_bind_i64(st, 2, org_id);
	struct web_column cols[] = { { "When", false }, { "What", false }, { "Who", false }, { "Notes", false } };
	struct web_table t;
	html_raw(b, "<h2>History</h2>");
	web_table_begin(&t, b, "Every step of this response", cols, 4);
	while (db_step(st) == DB_ROW) {
		web_table_row_begin(&t);
		web_table_cell(&t, time_str(c, db_col_i64(st, 0)));
		web_table_cell(&t, event_label(db_col_text(st, 1)));
		web_table_cell_open(&t);
		html_text(b, db_col_text(st, 2));
		if (db_col_i64(st, 4))
			html_printf(b, " (on behalf of this organisation, for %s)", db_col_text(st, 3));
		web_table_cell_close(&t);
		web_table_cell(&t, db_col_text(st, 5));
		web_table_row_end(&t);
	}
	web_table_end(&t);
}

/* Members of an ICS (below o) with a response to this advisory: the bulk form. */
static void bulk_form(struct ctx *c, const struct org *o, const struct alerts_advisory *adv)
{
	if (adv->tlp == TLP_AMBER_STRICT || adv->tlp == TLP_RED || !orgs_role_allows(c->actor.role, ACT_EDIT))
		return;
	char lo[256], hi[256];
	orgs_subtree_bounds(o->path, lo, hi);
	struct db_stmt *st = db_prep(c->db, "SELECT o.code, o.name, r.state, r.closure, coalesce(r.ack_due, 0),"
					    " coalesce(r.next_update_due, 0), coalesce(r.on_behalf_of, '') FROM advisory_responses r"
					    " JOIN orgs o ON o.id = r.org_id WHERE r.advisory_id = ?1 AND o.path > ?2 AND o.path < ?3"
					    " ORDER BY o.name LIMIT 500");
	db_bind_text(st, 1, adv->id);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	struct buf *b = &c->resp->body;
	int rows = 0;
	int64_t now = bw_now();
	while (db_step(st) == DB_ROW) {
		if (!rows++) {
			html_raw(b, "<h2>Respond for member organisations</h2><p>Choose the organisations and the step. Each "
				    "organisation's record shows that you answered on its behalf.</p>");
			web_form_begin(b, arena_printf(c->arena, "/orgs/%s/alerts/%s/bulk", o->code, adv->id), "post", c->session.csrf);
			html_raw(b, "<fieldset class=\"nhsuk-fieldset\"><legend class=\"nhsuk-fieldset__legend nhsuk-fieldset__legend--s\">"
				    "Member organisations</legend><div class=\"nhsuk-checkboxes\">");
		}
		enum alerts_rstate rs = RS_ISSUED;
		alerts_rstate_parse(db_col_text(st, 2), &rs);
		struct alerts_response r = { .state = rs, .ack_due = db_col_i64(st, 4), .next_update_due = db_col_i64(st, 5) };
		const char *code = db_col_text(st, 0);
		html_printf(b, "<div class=\"nhsuk-checkboxes__item\"><input class=\"nhsuk-checkboxes__input\" id=\"member-%s\""
			       " name=\"member_%s\" type=\"checkbox\" value=\"1\"%s><label class=\"nhsuk-label nhsuk-checkboxes__label\""
			       " for=\"member-%s\">%s (%s) ", code, code, rs == RS_CLOSED ? " disabled" : "", code, db_col_text(st, 1),
			    code);
		rstate_tag(b, rs, alerts_response_overdue(&r, now), db_col_text(st, 3));
		if (*db_col_text(st, 6))
			html_printf(b, " <span class=\"nhsuk-u-font-size-16\">answered for it by %s</span>", db_col_text(st, 6));
		html_raw(b, "</label></div>");
	}
	if (!rows)
		return;
	html_raw(b, "</div></fieldset>");
	static const struct web_option steps[] = {
		{ "acknowledge", "Acknowledge" }, { "applicable", "It applies" }, { "not_applicable", "It does not apply" },
		{ "update", "Add an update" },
	};
	struct web_field f[] = {
		{ .name = "bulk_step", .label = "Step", .type = WEB_FIELD_SELECT, .required = true, .options = steps, .options_n = 4 },
		{ .name = "bulk_note", .label = "Reason or update", .hint = "Needed for does not apply and for an update",
		  .type = WEB_FIELD_TEXTAREA, .max_len = ALERTS_NOTE_MAX },
	};
	web_field_render(b, &f[0], NULL, NULL);
	web_field_render(b, &f[1], NULL, NULL);
	web_button(b, "Respond for the chosen organisations", WEB_BUTTON_PRIMARY);
	web_form_end(b);
}

static void org_advisory_page(struct ctx *c, const struct org *o, struct alerts_advisory *adv,
			      const struct web_form_errors *errs)
{
	const char *v[AF_NFIELDS];
	int64_t pub = 0;
	struct bw_error e = { 0 };
	if (alerts_revision_get(c->db, c->arena, adv->id, 0, v, &pub, &e) != BW_OK)
		return not_found(c);
	struct web_link crumbs[] = { { o->name, arena_printf(c->arena, "/orgs/%s", o->code) },
				     { "Cyber alerts", arena_printf(c->arena, "/orgs/%s/alerts", o->code) } };
	ctx_page_begin(c, arena_printf(c->arena, "%s: %s", adv->id, v[AF_TITLE]), crumbs, 2, errs ? errs->e : NULL,
		       errs ? errs->n : 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s - %s</span><h1>%s</h1>", adv->id, o->name, v[AF_TITLE]);
	if (adv->state == ADV_WITHDRAWN)
		html_printf(b, "<div class=\"nhsuk-warning-callout\"><h2 class=\"nhsuk-warning-callout__label\">"
			       "<span role=\"text\"><span class=\"nhsuk-u-visually-hidden\">Important: </span>Withdrawn</span></h2>"
			       "<p>This alert was withdrawn: %s</p></div>", adv->withdrawn_reason);
	struct alerts_response r;
	bool has = alerts_response_get(c->db, adv->id, o->id, &r) == BW_OK;
	html_raw(b, "<div class=\"nhsuk-card\"><div class=\"nhsuk-card__content\"><h2 class=\"nhsuk-card__heading\">"
		    "Your response</h2>");
	const char *self = arena_printf(c->arena, "/orgs/%s/alerts/%s/respond", o->code, adv->id);
	struct org_ref oref = ref_of(o);
	bool edit = orgs_can(&c->actor, ACT_EDIT, &oref);
	if (!has) {
		html_printf(b, "<p>This advisory was not sent to %s, so no response is needed.</p>", o->name);
	} else {
		int64_t now = bw_now();
		web_summary_begin(b);
		web_summary_row(b, "Status", closure_label(r.closure)[0] ? closure_label(r.closure) : alerts_rstate_label(r.state), NULL);
		web_summary_row(b, "Sent", time_str(c, r.issued_at), NULL);
		if (r.ack_due)
			web_summary_row(b, "Acknowledge by", time_str(c, r.ack_due), NULL);
		if (r.acknowledged_at)
			web_summary_row(b, "Acknowledged", time_str(c, r.acknowledged_at), NULL);
		if (r.applicability[0])
			web_summary_row(b, "Applies", strcmp(r.applicability, "applicable") == 0 ? "Yes" : "No", NULL);
		if (r.next_update_due && r.state != RS_CLOSED)
			web_summary_row(b, "Next update due", time_str(c, r.next_update_due), NULL);
		if (r.closed_at)
			web_summary_row(b, "Closed", time_str(c, r.closed_at), NULL);
		web_summary_end(b);
		if (alerts_response_overdue(&r, now)) {
			web_tag(b, "Overdue", WEB_TAG_RED);
			html_raw(b, r.state == RS_ISSUED ? " <strong>The acknowledgement is late.</strong>"
							  : " <strong>An update is late.</strong>");
		}
		if (r.risk_id)
			html_printf(b, "<p><a href=\"/risks/%lld\">The accepted risk in the risk register</a></p>", (long long)r.risk_id);
		if (edit && adv->state != ADV_WITHDRAWN) {
			switch (r.state) {
			case RS_ISSUED:
				step_form(c, self, "acknowledge", "Acknowledge", "Tell the national team you have received this "
					  "alert and are looking at it.", NULL, 0, errs, "Acknowledge alert");
				break;
			case RS_ACKNOWLEDGED:
				step_form(c, self, NULL, "Does it apply?", NULL, ap_fields, 2, errs, "Save answer");
				step_form(c, self, "update", "Add an update", NULL, up_fields, 2, errs, "Save update");
				break;
			case RS_APPLICABLE:
				step_form(c, self, "update", "Add an update", NULL, up_fields, 2, errs, "Save update");
				step_form(c, self, "close", "Close the response", "When the remediation is complete.", close_fields, 3,
					  errs, "Close response");
				break;
			default:
				break;
			}
		}
	}
	html_raw(b, "</div></div>");
	if (edit && adv->state != ADV_WITHDRAWN)
		bulk_form(c, o, adv);
	content(c, adv->id, v, adv->revision, pub);
	if (adv->revision > 1)
		revisions(c, adv->id);   /* what each later revision changed */
	if (has)
		history(c, adv->id, o->id);
	html_printf(b, "<p class=\"nhsuk-u-font-size-16\">Printed from %s on ", WEB_SERVICE_NAME);
	show_time(b, bw_now());
	html_raw(b, ". Keep a paper copy with your incident plans.</p>");
	ctx_page_end(c);
	if (errs && errs->n)
		c->resp->status = 400;
}

static bool load_org_adv(struct ctx *c, struct org *o, struct alerts_advisory *adv)
{
	return load_org(c, o) && load_visible(c, adv, o->id);
}

static void get_org_advisory(struct ctx *c)
{
	struct org o;
	struct alerts_advisory adv;
	if (!load_org_adv(c, &o, &adv))
		return;
	if (adv.revision == 0)
		return not_found(c);
	org_advisory_page(c, &o, &adv, NULL);
}

/* The step and its arguments from a form; field names as the page uses them. */
static bool step_of(const char *s, enum alerts_step *out)
{
	for (int i = 0; s && i < STEP_COUNT; i++)
		if (strcmp(s, alerts_step_name((enum alerts_step)i)) == 0) {
			*out = (enum alerts_step)i;
			return true;
		}
	return false;
}

static void post_respond(struct ctx *c)
{
	struct org o;
	struct alerts_advisory adv;
	if (!load_org_adv(c, &o, &adv))
		return;
	struct alerts_step_args s = { 0 };
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	if (!step_of(ctx_form(c, "step"), &s.step)) {
		web_form_errors_add(&errs, "step", "Select whether the alert applies to your organisation");
		return org_advisory_page(c, &o, &adv, &errs);
	}
	const char *note_field = s.step == STEP_UPDATE ? "update_note" : s.step == STEP_CLOSE ? "close_note" : "reason";
	s.note = ctx_form(c, note_field);
	s.closure = ctx_form(c, "closure");
	s.accepted_until = ctx_form(c, "accepted_until");
	const char *due = ctx_form(c, "next_update_due");
	if (s.step == STEP_UPDATE && due && *due && !alerts_date_parse(due, &s.next_due)) {
		web_form_errors_add(&errs, "next_update_due", "Next update due must be a real date, like 27/10/2026");
		return org_advisory_page(c, &o, &adv, &errs);
	}
	if (alerts_respond(c->db, &c->actor, adv.id, o.id, &s, &e) != BW_OK) {
		if (e.code == BW_ENOTFOUND)
			return not_found(c);
		if (e.code == BW_EFORBIDDEN)
			return ctx_error(c, 403, &e);
		const char *field = strcmp(e.field, "note") == 0 || strcmp(e.field, "reason") == 0 ? note_field : e.field;
		web_form_errors_add(&errs, field, e.msg);
		return org_advisory_page(c, &o, &adv, &errs);
	}
	static const char *const done[] = { "Alert acknowledged", "Answer saved: the alert applies",
					    "Answer saved: the alert does not apply", "Update saved", "Response closed" };
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s/alerts/%s", o.code, adv.id), done[s.step]);
}

static void post_bulk(struct ctx *c)
{
	struct org o;
	struct alerts_advisory adv;
	if (!load_org_adv(c, &o, &adv))
		return;
	struct alerts_step_args s = { 0 };
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	struct bw_error e = { 0 };
	if (!step_of(ctx_form(c, "bulk_step"), &s.step) || s.step == STEP_CLOSE) {
		web_form_errors_add(&errs, "bulk_step", "Select the step to record");
		return org_advisory_page(c, &o, &adv, &errs);
	}
	s.note = ctx_form(c, "bulk_note");
	int64_t *ids = arena_alloc(c->arena, LIM_FIELDS * sizeof *ids);
	size_t n = 0;
	for (size_t i = 0; i < c->req->nform && n < LIM_FIELDS; i++) {
		const char *name = c->req->form[i].name;
		if (strncmp(name, "member_", 7) != 0)
			continue;
		struct org m;
		if (orgs_get_by_code(c->db, name + 7, &m, NULL) != BW_OK)
			return not_found(c);
		ids[n++] = m.id;
	}
	int64_t done = 0;
	if (n == 0)
		web_form_errors_add(&errs, "bulk_step", "Select at least one member organisation");
	else if (alerts_respond_bulk(c->db, &c->actor, adv.id, ids, n, &s, &done, &e) != BW_OK) {
		if (e.code == BW_ENOTFOUND)
			return not_found(c);
		web_form_errors_add(&errs, strcmp(e.field, "note") == 0 || strcmp(e.field, "reason") == 0 ? "bulk_note" : "bulk_step",
				    e.msg);
	}
	if (errs.n)
		return org_advisory_page(c, &o, &adv, &errs);
	ctx_redirect(c, arena_printf(c->arena, "/orgs/%s/alerts/%s", o.code, adv.id),
		     arena_printf(c->arena, "Recorded for %lld organisation%s", (long long)done, done == 1 ? "" : "s"));
}

/* ---- roll-up, drill-down, chart, league table, CSV ---- */

#define CHART_DAYS 30
#define CW 640
#define CH 260
#define CL 56
#define CB 40

/* The counts and the chart's day-by-day figures, in one pass. */
struct rollup {
	int64_t total, ack_on_time, ack_late, ack_overdue, ack_waiting, applicable, not_applicable, remediated, mitigated,
		accepted, update_overdue, closed;
	int days;                             /* since publication, at most CHART_DAYS */
	int64_t ack[CHART_DAYS + 1], closed_by[CHART_DAYS + 1];   /* cumulative */
};

static bool text_is(struct db_stmt *st, int col, const char *v)
{
	const char *t = db_col_text(st, col);
	return t && strcmp(t, v) == 0;
}

/* One read of the responses in the subtree, counted here rather than with
 * a dozen CASE sums in SQL (which cost SQLite three times as much) and
 * shared by the counts and the chart: a national advisory has one row per
 * organisation, ~60,000. */
static void rollup_counts(struct ctx *c, const char *id, int64_t published, const char *lo, const char *hi,
			  bool whole, struct rollup *r)
{
	memset(r, 0, sizeof *r);
	int64_t now = bw_now();
	r->days = published && now > published ? (int)((now - published) / 86400) : 0;
	if (r->days > CHART_DAYS)
		r->days = CHART_DAYS;
	/* the whole tree holds every response: no organisation to look up per row
	 * (a tenth of the time on PostgreSQL for a national alert) */
	struct db_stmt *st = db_prep(c->db, whole ? "SELECT r.acknowledged_at, r.ack_due, r.state, r.applicability, r.closure,"
						    " r.next_update_due, r.closed_at FROM advisory_responses r"
						    " WHERE r.advisory_id = ?1"
						  : "SELECT r.acknowledged_at, r.ack_due, r.state, r.applicability, r.closure,"
						    " r.next_update_due, r.closed_at"
						    " FROM advisory_responses r JOIN orgs o ON o.id = r.org_id"
						    " WHERE r.advisory_id = ?1 AND o.path >= ?2 AND o.path < ?3");
	db_bind_text(st, 1, id);
	if (!whole) {
		db_bind_text(st, 2, lo);
		db_bind_text(st, 3, hi);
	}
	while (db_step(st) == DB_ROW) {
		r->total++;
		bool acked = !db_col_isnull(st, 0), has_due = !db_col_isnull(st, 1);
		int64_t ack = acked ? db_col_i64(st, 0) : 0, due = has_due ? db_col_i64(st, 1) : 0;
		bool issued = text_is(st, 2, "issued"), closed = text_is(st, 2, "closed");
		bool open = text_is(st, 2, "acknowledged") || text_is(st, 2, "applicable");
		if (acked && (!has_due || ack <= due))
			r->ack_on_time++;
		if (acked && has_due && ack > due)
			r->ack_late++;
		if (!acked && issued && has_due && due < now)
			r->ack_overdue++;
		if (!acked && issued && (!has_due || due >= now))
			r->ack_waiting++;
		r->applicable += text_is(st, 3, "applicable");
		r->not_applicable += text_is(st, 3, "not_applicable");
		r->remediated += text_is(st, 4, "remediated");
		r->mitigated += text_is(st, 4, "mitigated");
		r->accepted += text_is(st, 4, "risk_accepted");
		if (open && !db_col_isnull(st, 5) && db_col_i64(st, 5) < now)
			r->update_overdue++;
		r->closed += closed;
		int64_t z = db_col_isnull(st, 6) ? 0 : db_col_i64(st, 6);
		if (ack) {
			int64_t d = ack < published ? 0 : (ack - published) / 86400;
			r->ack[d > r->days ? r->days : d]++;
		}
		if (z) {
			int64_t d = z < published ? 0 : (z - published) / 86400;
			r->closed_by[d > r->days ? r->days : d]++;
		}
	}
	for (int d = 1; d <= r->days; d++) {
		r->ack[d] += r->ack[d - 1];
		r->closed_by[d] += r->closed_by[d - 1];
	}
}

/* Acknowledged and closed responses, day by day since publication, as an
 * inline SVG line chart (presentation attributes only: the CSP forbids
 * inline style) with the same figures in a table after it. */
static void rollup_chart(struct ctx *c, const struct rollup *r)
{
	const int64_t *ack = r->ack, *closed = r->closed_by;
	int days = r->days;
	int64_t total = r->total;
	struct buf *b = &c->resp->body;
	int64_t top = total > 0 ? total : 1;
	int pw = CW - CL - 16, ph = CH - CB - 16;
	html_printf(b, "<svg class=\"bw-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"100%%\""
		       " role=\"img\" aria-labelledby=\"chart-title chart-desc\" focusable=\"false\">", CW, CH);
	html_printf(b, "<title id=\"chart-title\">Responses over time</title><desc id=\"chart-desc\">Of %lld organisations, "
		       "%lld had acknowledged and %lld had closed their response by day %d. The table after the chart "
		       "gives each day's figures.</desc>", (long long)total, (long long)ack[days], (long long)closed[days], days);
	html_printf(b, "<line x1=\"%d\" y1=\"16\" x2=\"%d\" y2=\"%d\" stroke=\"#4c6272\"/>", CL, CL, 16 + ph);
	html_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#4c6272\"/>", CL, 16 + ph, CL + pw, 16 + ph);
	html_printf(b, "<text x=\"%d\" y=\"20\" text-anchor=\"end\" font-size=\"12\" fill=\"#212b32\">%lld</text>", CL - 6,
		    (long long)total);
	html_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"12\" fill=\"#212b32\">0</text>", CL - 6, 16 + ph);
	html_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#212b32\">Day 0</text>", CL, CH - 12);
	html_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"12\" fill=\"#212b32\">Day %d</text>", CL + pw,
		    CH - 12, days < 1 ? 1 : days);
	const int64_t *series[] = { ack, closed };
	static const char *const colour[] = { "#005eb8", "#007f3b" };
	static const char *const name[] = { "Acknowledged", "Closed" };
	/* at least one day wide, so a line shows on the day of publication */
	int span = days < 1 ? 1 : days;
	for (int s = 0; s < 2; s++) {
		html_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"3\" points=\"", colour[s]);
		for (int d = 0; d <= span; d++) {
			int x = CL + d * pw / span;
			int y = 16 + ph - (int)(series[s][d > days ? days : d] * ph / top);
			html_printf(b, "%s%d,%d", d ? " " : "", x, y);
		}
		html_raw(b, "\"/>");
		html_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\""
			       " font-size=\"12\" fill=\"#212b32\">%s</text>", CL + 140 + s * 140, CH - 17, colour[s],
			    CL + 160 + s * 140, CH - 12, name[s]);
	}
	html_raw(b, "</svg>");
	struct web_column cols[] = { { "Day", true }, { "Acknowledged", true }, { "Closed", true } };
	struct web_table t;
	html_raw(b, "<details class=\"nhsuk-details\"><summary class=\"nhsuk-details__summary\"><span class=\"nhsuk-details__summary-text\">"
		    "The chart's figures as a table</span></summary><div class=\"nhsuk-details__text\">");
	web_table_begin(&t, b, "Responses by day since publication", cols, 3);
	for (int d = 0; d <= days; d++) {
		web_table_row_begin(&t);
		web_table_cell_num(&t, d);
		web_table_cell_num(&t, ack[d]);
		web_table_cell_num(&t, closed[d]);
		web_table_row_end(&t);
	}
	web_table_end(&t);
	html_raw(b, "</div></details>");
}

#define DRILL_FROM " FROM advisory_responses r JOIN orgs o ON o.id = r.org_id WHERE r.advisory_id = ?3" \
	" AND o.path >= ?1 AND o.path < ?2 AND (?4 = '' OR (?4 = 'overdue' AND ((r.state = 'issued' AND r.ack_due < ?5)" \
	" OR (r.state IN ('acknowledged', 'applicable') AND r.next_update_due < ?5))) OR r.state = ?4)"

static const char *drill_filter(struct ctx *c)
{
	const char *f = ctx_query(c, "state");
	enum alerts_rstate s;
	if (f && (strcmp(f, "overdue") == 0 || alerts_rstate_parse(f, &s)))
		return f;
	return "";
}

static void drill_bind(struct db_stmt *st, const char *lo, const char *hi, const char *id, const char *filter)
{
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_text(st, 3, id);
	db_bind_text(st, 4, filter);
	db_bind_i64(st, 5, bw_now());
}

static void get_rollup(struct ctx *c)
{
	struct org o;
	struct alerts_advisory adv;
	if (!load_org_adv(c, &o, &adv))
		return;
	if (adv.revision == 0)
		return not_found(c);
	char lo[256], hi[256];
	orgs_subtree_bounds(o.path, lo, hi);
	struct rollup r;
	rollup_counts(c, adv.id, adv.published_at, lo, hi, o.parent_id == 0, &r);
	struct web_link crumbs[] = { { "Advisories", "/advisories" }, { adv.id, arena_printf(c->arena, "/advisories/%s", adv.id) } };
	ctx_page_begin(c, arena_printf(c->arena, "Responses to %s - %s", adv.id, o.name), crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s - %s</span><h1>Responses to %s</h1>", adv.id, o.name, adv.id);
	struct web_column cols[] = { { "Measure", false }, { "Organisations", true } };
	struct web_table t;
	web_table_begin(&t, b, "Where the responses stand", cols, 2);
	const struct { const char *label; int64_t v; const char *filter; } rows[] = {
		{ "Sent to", r.total, "" },
		{ "Acknowledged within the deadline", r.ack_on_time, NULL },
		{ "Acknowledged late", r.ack_late, NULL },
		{ "Not acknowledged, deadline passed", r.ack_overdue, "overdue" },
		{ "Not acknowledged yet, still in time", r.ack_waiting, "issued" },
		{ "It applies", r.applicable, "applicable" },
		{ "It does not apply", r.not_applicable, NULL },
		{ "Updates overdue", r.update_overdue, NULL },
		{ "Closed: remediated", r.remediated, NULL },
		{ "Closed: mitigated", r.mitigated, NULL },
		{ "Closed: risk accepted", r.accepted, NULL },
		{ "Closed in all", r.closed, "closed" },
	};
	for (size_t i = 0; i < BW_NELEM(rows); i++) {
		web_table_row_begin(&t);
		if (rows[i].filter)
			web_table_cell_link(&t, rows[i].label, arena_printf(c->arena, "/orgs/%s/advisories/%s/responses?state=%s#drill",
									   o.code, adv.id, rows[i].filter));
		else
			web_table_cell(&t, rows[i].label);
		web_table_cell_num(&t, rows[i].v);
		web_table_row_end(&t);
	}
	web_table_end(&t);
	html_raw(b, "<h2>Over time</h2>");
	rollup_chart(c, &r);

	const char *filter = drill_filter(c);
	int64_t page = pages_page_number(c);
	/* unfiltered, the drill-down lists every response counted above */
	int64_t total = r.total;
	struct db_stmt *st;
	if (*filter) {
		st = db_prep(c->db, "SELECT count(*)" DRILL_FROM);
		drill_bind(st, lo, hi, adv.id, filter);
		total = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
		db_reset(st);
	}
	html_raw(b, "<h2 id=\"drill\">Organisations</h2>");
	st = db_prep(c->db, "SELECT o.code, o.name, r.state, r.closure, coalesce(r.ack_due, 0), coalesce(r.acknowledged_at, 0),"
			    " coalesce(r.next_update_due, 0), coalesce(r.on_behalf_of, ''), r.escalation" DRILL_FROM
			    " ORDER BY o.name, o.code LIMIT ?6 OFFSET ?7");
	drill_bind(st, lo, hi, adv.id, filter);
	db_bind_i64(st, 6, ALERTS_PAGE_SIZE);
	db_bind_i64(st, 7, (page - 1) * ALERTS_PAGE_SIZE);
	struct web_column dc[] = { { "Organisation", false }, { "Status", false }, { "Acknowledged", false },
				   { "Answered for it by", false }, { "Escalated", false } };
	web_table_begin(&t, b, arena_printf(c->arena, "%lld organisations%s%s", (long long)total, *filter ? ": " : "", filter),
			dc, 5);
	int64_t now = bw_now();
	int n = 0;
	while (db_step(st) == DB_ROW) {
		n++;
		enum alerts_rstate rs = RS_ISSUED;
		alerts_rstate_parse(db_col_text(st, 2), &rs);
		struct alerts_response rr = { .state = rs, .ack_due = db_col_i64(st, 4), .next_update_due = db_col_i64(st, 6) };
		web_table_row_begin(&t);
		web_table_cell_link(&t, arena_printf(c->arena, "%s (%s)", db_col_text(st, 1), db_col_text(st, 0)),
				    arena_printf(c->arena, "/orgs/%s/alerts/%s", db_col_text(st, 0), adv.id));
		web_table_cell_open(&t);
		rstate_tag(b, rs, alerts_response_overdue(&rr, now), db_col_text(st, 3));
		web_table_cell_close(&t);
		int64_t ack = db_col_i64(st, 5);
		web_table_cell(&t, ack ? arena_printf(c->arena, "%s%s", time_str(c, ack),
						      rr.ack_due && ack > rr.ack_due ? " (late)" : "") : "");
		web_table_cell(&t, db_col_text(st, 7));
		int64_t esc = db_col_i64(st, 8);
		web_table_cell(&t, esc == 2 ? "To the SIRO and ICS lead" : esc == 1 ? "Contacts reminded" : "");
		web_table_row_end(&t);
	}
	if (!n)
		web_table_empty(&t, 5, "No organisations");
	web_table_end(&t);
	web_pagination(b, arena_printf(c->arena, "/orgs/%s/advisories/%s/responses?state=%s", o.code, adv.id, filter), page,
		       (total + ALERTS_PAGE_SIZE - 1) / ALERTS_PAGE_SIZE);
	web_button_link(b, "Download as CSV", arena_printf(c->arena, "/orgs/%s/advisories/%s/responses.csv", o.code, adv.id),
			WEB_BUTTON_SECONDARY);
	ctx_page_end(c);
}

static void csv_time(struct web_csv *w, int64_t t)
{
	char s[32] = "";
	if (t)
		bw_time_iso(t, s);
	web_csv_cell(w, s);
}

static void get_rollup_csv(struct ctx *c)
{
	struct org o;
	struct alerts_advisory adv;
	if (!load_org_adv(c, &o, &adv))
		return;
	char lo[256], hi[256];
	orgs_subtree_bounds(o.path, lo, hi);
	struct db_stmt *st = db_prep(c->db, "SELECT o.code, o.name, o.type, r.state, r.issued_at, coalesce(r.ack_due, 0),"
					    " coalesce(r.acknowledged_at, 0), r.applicability, r.reason, coalesce(r.next_update_due, 0),"
					    " coalesce(r.last_update_at, 0), coalesce(r.closed_at, 0), r.closure,"
					    " coalesce(r.on_behalf_of, ''), r.escalation FROM advisory_responses r JOIN orgs o ON o.id = r.org_id"
					    " WHERE r.advisory_id = ?3 AND o.path >= ?1 AND o.path < ?2 ORDER BY o.code");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_text(st, 3, adv.id);
	c->resp->content_type = "text/csv; charset=utf-8";
	http_resp_header(c->resp, "Content-Disposition",
			 arena_printf(c->arena, "attachment; filename=\"responses-%s-%s.csv\"", adv.id, o.code));
	struct web_csv w;
	web_csv_init(&w, &c->resp->body);
	web_csv_bom(&w);
	static const char *const head[] = { "organisation", "name", "type", "state", "issued_at", "ack_due", "acknowledged_at",
					    "acknowledged_late", "applicability", "reason", "next_update_due", "last_update_at",
					    "closed_at", "closure", "answered_on_behalf_by", "escalation" };
	for (size_t i = 0; i < BW_NELEM(head); i++)
		web_csv_cell(&w, head[i]);
	web_csv_row_end(&w);
	while (db_step(st) == DB_ROW) {
		web_csv_cell(&w, db_col_text(st, 0));
		web_csv_cell(&w, db_col_text(st, 1));
		web_csv_cell(&w, db_col_text(st, 2));
		web_csv_cell(&w, db_col_text(st, 3));
		csv_time(&w, db_col_i64(st, 4));
		csv_time(&w, db_col_i64(st, 5));
		csv_time(&w, db_col_i64(st, 6));
		web_csv_cell(&w, db_col_i64(st, 6) && db_col_i64(st, 5) && db_col_i64(st, 6) > db_col_i64(st, 5) ? "yes" : "no");
		web_csv_cell(&w, db_col_text(st, 7));
		web_csv_cell(&w, db_col_text(st, 8));
		csv_time(&w, db_col_i64(st, 9));
		csv_time(&w, db_col_i64(st, 10));
		csv_time(&w, db_col_i64(st, 11));
		web_csv_cell(&w, db_col_text(st, 12));
		web_csv_cell(&w, db_col_text(st, 13));
		web_csv_cell_int(&w, db_col_i64(st, 14));
		web_csv_row_end(&w);
	}
}

/* Response times by ICS below the organisation, over every published advisory. */
#define LEAGUE_SQL "SELECT i.code, i.name, count(*)," \
	" coalesce(sum(CASE WHEN r.acknowledged_at IS NOT NULL THEN 1 ELSE 0 END), 0)," \
	" coalesce(sum(CASE WHEN r.acknowledged_at IS NOT NULL AND (r.ack_due IS NULL OR r.acknowledged_at <= r.ack_due) THEN 1 ELSE 0 END), 0)," \
	" coalesce(CAST(avg(r.acknowledged_at - r.issued_at) AS BIGINT), 0)," \
	" coalesce(sum(CASE WHEN (r.state = 'issued' AND r.ack_due < ?3) OR (r.state IN ('acknowledged', 'applicable')" \
	" AND r.next_update_due < ?3) THEN 1 ELSE 0 END), 0)" \
	" FROM orgs i JOIN orgs o ON o.path >= i.path AND o.path < substr(i.path, 1, length(i.path) - 1) || '0'" \
	" JOIN advisory_responses r ON r.org_id = o.id JOIN advisories a ON a.id = r.advisory_id AND a.revision > 0" \
	" WHERE i.type = 'ics' AND i.path >= ?1 AND i.path < ?2 GROUP BY i.id, i.code, i.name" \
	" ORDER BY 5 * 1000000 / count(*) DESC, 6, i.name LIMIT 500"

static void get_league(struct ctx *c)
{
	struct org o;
	if (!load_org(c, &o))
		return;
	char lo[256], hi[256];
	orgs_subtree_bounds(o.path, lo, hi);
	bool csv = strstr(c->req->path, ".csv") != NULL;
	struct db_stmt *st = db_prep(c->db, LEAGUE_SQL);
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_i64(st, 3, bw_now());
	if (csv) {
		c->resp->content_type = "text/csv; charset=utf-8";
		http_resp_header(c->resp, "Content-Disposition",
				 arena_printf(c->arena, "attachment; filename=\"alert-league-%s.csv\"", o.code));
		struct web_csv w;
		web_csv_init(&w, &c->resp->body);
		web_csv_bom(&w);
		static const char *const head[] = { "ics", "name", "responses", "acknowledged", "acknowledged_on_time",
						    "mean_hours_to_acknowledge", "overdue_now" };
		for (size_t i = 0; i < BW_NELEM(head); i++)
			web_csv_cell(&w, head[i]);
		web_csv_row_end(&w);
		while (db_step(st) == DB_ROW) {
			web_csv_cell(&w, db_col_text(st, 0));
			web_csv_cell(&w, db_col_text(st, 1));
			for (int k = 2; k <= 4; k++)
				web_csv_cell_int(&w, db_col_i64(st, k));
			web_csv_cell_int(&w, db_col_i64(st, 5) / 3600);
			web_csv_cell_int(&w, db_col_i64(st, 6));
			web_csv_row_end(&w);
		}
		return;
	}
	struct web_link crumbs[] = { { o.name, arena_printf(c->arena, "/orgs/%s", o.code) },
				     { "Cyber alerts", arena_printf(c->arena, "/orgs/%s/alerts", o.code) } };
	ctx_page_begin(c, arena_printf(c->arena, "Alert response times by ICS - %s", o.name), crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Alert response times by ICS</h1>", o.name);
	html_raw(b, "<p>Every published alert sent to organisations in each integrated care system, best first by the "
		    "share acknowledged within the deadline.</p>");
	struct web_column cols[] = { { "Rank", true }, { "ICS", false }, { "Responses", true }, { "Acknowledged on time", true },
				     { "Mean time to acknowledge", true }, { "Overdue now", true } };
	struct web_table t;
	web_table_begin(&t, b, "Integrated care systems", cols, 6);
	int rank = 0;
	while (db_step(st) == DB_ROW) {
		rank++;
		int64_t n = db_col_i64(st, 2), on = db_col_i64(st, 4), mean = db_col_i64(st, 5);
		web_table_row_begin(&t);
		web_table_cell_num(&t, rank);
		web_table_cell(&t, arena_printf(c->arena, "%s (%s)", db_col_text(st, 1), db_col_text(st, 0)));
		web_table_cell_num(&t, n);
		web_table_cell(&t, arena_printf(c->arena, "%lld%%", (long long)(n ? on * 100 / n : 0)));
		web_table_cell(&t, db_col_i64(st, 3) ? arena_printf(c->arena, "%lld h %02lld min", (long long)(mean / 3600),
								    (long long)(mean % 3600 / 60)) : "None yet");
		web_table_cell_num(&t, db_col_i64(st, 6));
		web_table_row_end(&t);
	}
	if (!rank)
		web_table_empty(&t, 6, "No integrated care system here has been sent an alert");
	web_table_end(&t);
	web_button_link(b, "Download as CSV", arena_printf(c->arena, "/orgs/%s/alerts/league.csv", o.code), WEB_BUTTON_SECONDARY);
	ctx_page_end(c);
}

const struct route alerts_routes[] = {
	{ "GET", "/alerts", get_alerts_home, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/advisories", get_advisories, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/advisories/new", get_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ "POST", "/advisories", post_new, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ "GET", "/advisories/{advisory}", get_advisory, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/advisories/{advisory}/edit", get_edit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ "GET", "/advisories/{advisory}/targets", get_targets, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ "POST", "/advisories/{advisory}", post_edit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "advisory" },
	{ "POST", "/advisories/{advisory}/submit", post_submit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "advisory" },
	{ "POST", "/advisories/{advisory}/return", post_return, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "advisory" },
	{ "POST", "/advisories/{advisory}/publish", post_publish, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "advisory" },
	{ "POST", "/advisories/{advisory}/withdraw", post_withdraw, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "advisory" },
	{ "GET", "/orgs/{org}/alerts", get_inbox, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "POST", "/orgs/{org}/alerts/notices", post_notices, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/alerts/league", get_league, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/alerts/league.csv", get_league, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/alerts/{advisory}", get_org_advisory, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "POST", "/orgs/{org}/alerts/{advisory}/respond", post_respond, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "POST", "/orgs/{org}/alerts/{advisory}/bulk", post_bulk, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "GET", "/orgs/{org}/advisories/{advisory}/responses", get_rollup, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/advisories/{advisory}/responses.csv", get_rollup_csv, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ NULL },
};

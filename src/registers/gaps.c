/*
 * gaps: the registers hub (/registers, /orgs/{org}/registers: counts, the
 * organisation's own gaps, links to every register) and the gaps roll-up
 * (/orgs/{org}/gaps, with CSV and API): for each direct member of an
 * organisation, how many tier-1 systems in that member's whole subtree
 * have each gap. An ICS lead sees each member; an analyst at national sees
 * the regions and drills down. The counts come ready from the roll-up
 * table (rollup.c): a page reads one row per member.
 */
#include <stdio.h>
#include <string.h>

#include "app/routes.h"
#include "registers/systems_int.h"

#define ROLLUP_PAGE 100

/* One row per direct member: code, name, type, members below it, sums.
 * The members in name order from the index on (parent_id, name) whether
 * there are 7 or 1,700 of them: PostgreSQL keeps that one plan, where it
 * had planned every run for the member count. */
static const char *children_sql(void)
{
	static char sql[512];
	if (!sql[0])
		snprintf(sql, sizeof sql,
			 DB_GENERIC_PLAN "SELECT ch.code, ch.name, ch.type, (SELECT count(*) FROM orgs k WHERE k.parent_id = ch.id), %s"
			 " FROM orgs ch LEFT JOIN gap_rollup g ON g.org_id = ch.id"
			 " WHERE ch.parent_id = ?1 ORDER BY ch.name, ch.code LIMIT ?2 OFFSET ?3", gaps_sub_cols);
	return sql;
}

static struct db_stmt *children_query(struct db *db, int64_t org_id, int64_t limit, int64_t offset)
{
	struct db_stmt *st = db_prep(db, children_sql());
	db_bind_i64(st, 1, org_id);
	db_bind_i64(st, 2, limit);
	db_bind_i64(st, 3, offset);
	return st;
}

/* The organisation's own and whole-subtree counts, brought up to date. */
static bool counts_load(struct ctx *c, int64_t org_id, struct gap_counts *own, struct gap_counts *sub)
{
	struct bw_error e = { 0 };
	if (gaps_sync(c->db, &e) != BW_OK || gaps_read(c->db, org_id, own, sub, &e) != BW_OK) {
		ctx_error(c, 500, &e);
		return false;
	}
	return true;
}

static int64_t children_count(struct db *db, int64_t org_id)
{
	struct db_stmt *st = db_prep(db, "SELECT count(*) FROM orgs WHERE parent_id = ?1");
	db_bind_i64(st, 1, org_id);
	int64_t n = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	return n;
}

/* ---- pages ---- */

static void get_registers(struct ctx *c)
{
	struct buf loc;
	buf_init(&loc);
	buf_puts(&loc, "/orgs/");
	html_url_component(&loc, c->actor.org_code);
	buf_puts(&loc, "/registers");
	http_resp_redirect(c->resp, buf_cstr(&loc));
	buf_free(&loc);
}

static void counts_cells(struct web_table *t, const struct gap_counts *g)
{
	web_table_cell_num(t, g->systems);
	web_table_cell_num(t, g->with_gaps);
	for (int i = 0; i < GAP_KINDS; i++)
		web_table_cell_num(t, g->gap[i]);
}

static const struct web_column rollup_cols[] = {
	{ "Organisation", false }, { "Tier 1 systems", true }, { "With any gap", true },
	{ "No off-line backup", true }, { "Never restored", true }, { "Restore test out of date", true },
	{ "No downtime procedure", true }, { "Unsupported", true }, { "Restore slower than RTO", true },
};

/* Where a member's row leads: its own roll-up when it has members of its
 * own, otherwise its registers hub. */
static const char *drill_href(struct ctx *c, const char *code, int64_t nkids)
{
	return nkids ? arena_printf(c->arena, "/orgs/%s/gaps", code) : arena_printf(c->arena, "/orgs/%s/registers", code);
}

static void get_hub(struct ctx *c)
{
	struct org o;
	if (!systems_load_org(c, &o))
		return;
	int64_t now = bw_now();
	struct db_stmt *st = db_prep(c->db, "SELECT tier, count(*) FROM systems WHERE org_id = ?1 GROUP BY tier ORDER BY tier");
	db_bind_i64(st, 1, o.id);
	int64_t by_tier[5] = { 0 }, total = 0;
	while (db_step(st) == DB_ROW) {
		int64_t t = db_col_i64(st, 0);
		if (t >= 1 && t <= 4)
			by_tier[t] = db_col_i64(st, 1);
		total += db_col_i64(st, 1);
	}
	struct gap_counts own, sub;
	int64_t nkids = children_count(c->db, o.id);
	if (!counts_load(c, o.id, &own, &sub))
		return;

	struct web_link cr[] = { { "Home", "/" } };
	ctx_page_begin(c, arena_printf(c->arena, "Registers of %s", o.name), cr, 1, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Registers</h1>", o.name);
	html_raw(b, "<p class=\"nhsuk-lede-text\">What this organisation depends on, how it would recover, and what "
		    "needs attention. Gaps are worked out from the registers, not typed in.</p>");

	html_raw(b, "<h2>Critical systems</h2>");
	web_summary_begin(b);
	web_summary_row(b, "Systems recorded", arena_printf(c->arena, "%lld", (long long)total), NULL);
	for (int t = 1; t <= 4; t++)
		web_summary_row(b, systems_tier_label(t), arena_printf(c->arena, "%lld", (long long)by_tier[t]), NULL);
	web_summary_row(b, "Tier 1 systems with a gap",
			arena_printf(c->arena, "%lld of %lld", (long long)own.with_gaps, (long long)own.systems), NULL);
	web_summary_end(b);

	/* this organisation's systems that have gaps, most critical first */
	st = db_prep(c->db, "SELECT " SYSTEMS_COLS " FROM systems s JOIN orgs o ON o.id = s.org_id"
			    " WHERE s.org_id = ?1 ORDER BY s.tier, lower(s.name), s.id LIMIT 500");
	db_bind_i64(st, 1, o.id);
	struct web_column cols[] = { { "System", false }, { "Criticality", false }, { "Gaps", false } };
	struct web_table t;
	web_table_begin(&t, b, "Systems with gaps", cols, 3);
	int rows = 0;
	int64_t days = systems_restore_max_days();
	while (db_step(st) == DB_ROW) {
		struct reg_system s;
		systems_row(st, c->arena, &s);
		unsigned g = systems_gaps(&s, now, days);
		if (!g)
			continue;
		rows++;
		web_table_row_begin(&t);
		web_table_cell_link(&t, s.name, arena_printf(c->arena, "/systems/%lld", (long long)s.id));
		web_table_cell(&t, arena_printf(c->arena, "Tier %d", s.tier));
		web_table_cell_open(&t);
		systems_gap_tags(b, g);
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 3, total ? "None of its systems has a gap" : "No systems recorded yet");
	web_table_end(&t);

	html_raw(b, "<ul class=\"nhsuk-grid-row nhsuk-card-group\">");
	const char *cards[][3] = {
		{ "Critical systems", "Systems, backups, restore tests and downtime procedures",
		  arena_printf(c->arena, "/orgs/%s/systems", o.code) },
		{ "Dependencies", "What depends on what, and single points of failure",
		  arena_printf(c->arena, "/orgs/%s/systems/dependencies", o.code) },
		{ "Software", "The software in each system, for matching against vulnerabilities",
		  arena_printf(c->arena, "/orgs/%s/components", o.code) },
		{ "Suppliers", "Suppliers, contracts and their security assurances",
		  arena_printf(c->arena, "/orgs/%s/suppliers", o.code) },
		{ "Risks", "The risk register and its heat map", arena_printf(c->arena, "/orgs/%s/risks", o.code) },
	};
	for (size_t i = 0; i < BW_NELEM(cards); i++) {
		html_raw(b, "<li class=\"nhsuk-grid-column-one-third nhsuk-card-group__item\">");
		web_card_link(b, cards[i][0], cards[i][1], cards[i][2]);
		html_raw(b, "</li>");
	}
	html_raw(b, "</ul>");

	if (nkids) {
		html_raw(b, "<h2>Organisations below</h2>");
		int64_t below = orgs_count_subtree(c->db, o.path) - 1;
		html_printf(b, "<p>Across the %lld organisation%s below %s, %lld of %lld tier 1 systems have a gap.</p>",
			    (long long)below, below == 1 ? "" : "s", o.name, (long long)sub.with_gaps,
			    (long long)sub.systems);
		web_button_link(b, "Gaps by organisation", arena_printf(c->arena, "/orgs/%s/gaps", o.code),
				WEB_BUTTON_SECONDARY);
	}
	ctx_page_end(c);
}

static void get_rollup(struct ctx *c)
{
	struct org o;
	if (!systems_load_org(c, &o))
		return;
	int64_t page = pages_page_number(c);
	int64_t nkids = children_count(c->db, o.id);
	struct gap_counts own, sub;
	if (!counts_load(c, o.id, &own, &sub))
		return;
	struct web_link cr[] = { { "Home", "/" }, { "Registers", arena_printf(c->arena, "/orgs/%s/registers", o.code) } };
	ctx_page_begin(c, arena_printf(c->arena, "Gaps across %s", o.name), cr, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<span class=\"nhsuk-caption-l\">%s</span><h1>Gaps in tier 1 systems</h1>", o.name);
	html_printf(b, "<p>For each organisation directly below %s: how many of the tier 1 systems in it, and in the "
		       "organisations below it, have each gap. A successful restore test counts for %lld days.</p>",
		    o.name, (long long)systems_restore_max_days());
	struct web_table t;
	char caption[96];
	snprintf(caption, sizeof caption, "%lld organisation%s below", (long long)nkids, nkids == 1 ? "" : "s");
	web_table_begin(&t, b, caption, rollup_cols, BW_NELEM(rollup_cols));
	if (page == 1) {
		web_table_row_begin(&t);
		web_table_cell_head(&t, arena_printf(c->arena, "All of %s", o.name));
		counts_cells(&t, &sub);
		web_table_row_end(&t);
		if (own.systems) {
			web_table_row_begin(&t);
			web_table_cell_open(&t);
			html_raw(b, "<a href=\"");
			html_href(b, arena_printf(c->arena, "/orgs/%s/registers", o.code));
			html_printf(b, "\">%s itself</a>", o.name);
			web_table_cell_close(&t);
			counts_cells(&t, &own);
			web_table_row_end(&t);
		}
	}
	struct db_stmt *st = children_query(c->db, o.id, ROLLUP_PAGE, (page - 1) * ROLLUP_PAGE);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		struct gap_counts g;
		gaps_counts_read(st, 4, &g);
		web_table_row_begin(&t);
		web_table_cell_link(&t, db_col_text(st, 1), drill_href(c, db_col_text(st, 0), db_col_i64(st, 3)));
		counts_cells(&t, &g);
		web_table_row_end(&t);
	}
	if (!rows && !nkids)
		web_table_empty(&t, BW_NELEM(rollup_cols), "No organisations below this one");
	web_table_end(&t);
	web_pagination(b, arena_printf(c->arena, "/orgs/%s/gaps", o.code), page, (nkids + ROLLUP_PAGE - 1) / ROLLUP_PAGE);
	web_button_link(b, "Download as CSV", arena_printf(c->arena, "/orgs/%s/gaps.csv", o.code), WEB_BUTTON_SECONDARY);
	ctx_page_end(c);
}

static void csv_counts(struct web_csv *w, const struct gap_counts *g)
{
	web_csv_cell_int(w, g->systems);
	web_csv_cell_int(w, g->with_gaps);
	for (int i = 0; i < GAP_KINDS; i++)
		web_csv_cell_int(w, g->gap[i]);
	web_csv_row_end(w);
}

static void get_rollup_csv(struct ctx *c)
{
	struct org o;
	if (!systems_load_org(c, &o))
		return;
	struct gap_counts own, sub;
	if (!counts_load(c, o.id, &own, &sub))
		return;
	c->resp->content_type = "text/csv; charset=utf-8";
	http_resp_header(c->resp, "Content-Disposition", arena_printf(c->arena, "attachment; filename=\"gaps-%s.csv\"", o.code));
	struct web_csv w;
	web_csv_init(&w, &c->resp->body);
	web_csv_bom(&w);
	static const char *const head[] = { "code", "name", "scope", "tier1_systems", "with_any_gap" };
	for (size_t i = 0; i < BW_NELEM(head); i++)
		web_csv_cell(&w, head[i]);
	for (unsigned i = 0; i < GAP_KINDS; i++)
		web_csv_cell(&w, systems_gap_name(i));
	web_csv_row_end(&w);
	web_csv_cell(&w, o.code);
	web_csv_cell(&w, o.name);
	web_csv_cell(&w, "whole subtree");
	csv_counts(&w, &sub);
	web_csv_cell(&w, o.code);
	web_csv_cell(&w, o.name);
	web_csv_cell(&w, "itself");
	csv_counts(&w, &own);
	struct db_stmt *st = children_query(c->db, o.id, 1000000, 0);
	while (db_step(st) == DB_ROW) {
		struct gap_counts g;
		gaps_counts_read(st, 4, &g);
		web_csv_cell(&w, db_col_text(st, 0));
		web_csv_cell(&w, db_col_text(st, 1));
		web_csv_cell(&w, "member and below");
		csv_counts(&w, &g);
	}
}

static void json_counts(struct web_json *j, const struct gap_counts *g)
{
	web_json_object(j);
	web_json_key(j, "tier1_systems");
	web_json_int(j, g->systems);
	web_json_key(j, "with_any_gap");
	web_json_int(j, g->with_gaps);
	for (unsigned i = 0; i < GAP_KINDS; i++) {
		web_json_key(j, systems_gap_name(i));
		web_json_int(j, g->gap[i]);
	}
	web_json_end(j);
}

/* {"data":{"org","name","itself":{...},"subtree":{...},"members":[...]},"page":{"next"}} */
static void api_rollup(struct ctx *c)
{
	struct org o;
	if (!systems_load_org(c, &o))
		return;
	int64_t limit, offset;
	if (!ctx_page_args(c, &limit, &offset))
		return;
	struct gap_counts own, sub;
	if (!counts_load(c, o.id, &own, &sub))
		return;
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	web_json_key(&j, "org");
	web_json_str(&j, o.code);
	web_json_key(&j, "name");
	web_json_str(&j, o.name);
	web_json_key(&j, "restore_test_max_days");
	web_json_int(&j, systems_restore_max_days());
	web_json_key(&j, "itself");
	json_counts(&j, &own);
	web_json_key(&j, "subtree");
	json_counts(&j, &sub);
	web_json_key(&j, "members");
	web_json_array(&j);
	struct db_stmt *st = children_query(c->db, o.id, limit + 1, offset);
	int64_t n = 0;
	bool more = false;
	while (db_step(st) == DB_ROW) {
		if (n == limit) {
			more = true;
			db_reset(st);
			break;
		}
		n++;
		struct gap_counts g;
		gaps_counts_read(st, 4, &g);
		web_json_object(&j);
		web_json_key(&j, "org");
		web_json_str(&j, db_col_text(st, 0));
		web_json_key(&j, "name");
		web_json_str(&j, db_col_text(st, 1));
		web_json_key(&j, "members_below");
		web_json_int(&j, db_col_i64(st, 3));
		web_json_key(&j, "gaps");
		json_counts(&j, &g);
		web_json_end(&j);
	}
	web_json_end(&j);
	web_json_end(&j);
	web_json_key(&j, "page");
	web_json_object(&j);
	web_json_key(&j, "next");
	web_json_str(&j, more ? arena_printf(c->arena, "%lld", (long long)(offset + limit)) : NULL);
	web_json_end(&j);
	web_json_end(&j);
}

/* The home page's card: the tier-1 systems in view and how many have a gap. */
static bool home_text(struct ctx *c, char *text, size_t n)
{
	struct gap_counts own, sub;
	struct bw_error e = { 0 };
	if (gaps_sync(c->db, &e) != BW_OK || gaps_read(c->db, c->actor.org_id, &own, &sub, &e) != BW_OK)
		snprintf(text, n, "Critical systems, backups, software, suppliers and risks");
	else
		snprintf(text, n, "%lld tier 1 system%s in view; %lld with a gap to close", (long long)sub.systems,
			 sub.systems == 1 ? "" : "s", (long long)sub.with_gaps);
	return true;
}

const struct home_card registers_home_card = { "Registers", "/registers", home_text };

const struct route registers_routes[] = {
	{ "GET", "/registers", get_registers, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/orgs/{org}/registers", get_hub, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/gaps", get_rollup, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/gaps.csv", get_rollup_csv, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/api/v1/orgs/{org}/gaps", api_rollup, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ NULL },
};

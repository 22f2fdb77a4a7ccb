/*
 * gaps: the registers hub (/registers, /orgs/{org}/registers: counts, the
 * organisation's own gaps, links to every register) and the gaps roll-up
 * (/orgs/{org}/gaps, with CSV and API): for each direct member of an
 * organisation, how many tier-1 systems in that member's whole subtree
 * have each gap. An ICS lead sees each member; an analyst at national sees
 * the regions and drills down. One grouped query over the subtree's path
 * range answers a page, never one query per organisation: a child's
 * subtree is the range [path, path || '~') since paths hold only digits
 * and '/', which sort before '~'.
 */
#include <stdio.h>
#include <string.h>

#include "app/routes.h"
#include "registers/systems_int.h"

#define ROLLUP_PAGE 100

/* The sums every roll-up reads, in struct gap_counts order; ?2 is the
 * restore-test cutoff. s may be NULL (a LEFT JOIN with no system). */
#define GAP_SUMS \
	" count(s.id)," \
	" sum(CASE WHEN s.id IS NOT NULL AND (s.has_offline = 0 OR s.last_success_on IS NULL" \
	"  OR s.last_success_on < ?2 OR s.downtime_procedure = '' OR s.status = 'unsupported'" \
	"  OR s.last_restore_minutes > s.rto_hours * 60) THEN 1 ELSE 0 END)," \
	" sum(CASE WHEN s.has_offline = 0 THEN 1 ELSE 0 END)," \
	" sum(CASE WHEN s.id IS NOT NULL AND s.last_success_on IS NULL THEN 1 ELSE 0 END)," \
	" sum(CASE WHEN s.last_success_on < ?2 THEN 1 ELSE 0 END)," \
	" sum(CASE WHEN s.downtime_procedure = '' THEN 1 ELSE 0 END)," \
	" sum(CASE WHEN s.status = 'unsupported' THEN 1 ELSE 0 END)," \
	" sum(CASE WHEN s.last_restore_minutes > s.rto_hours * 60 THEN 1 ELSE 0 END)"

static void read_counts(struct db_stmt *st, int from, struct gap_counts *out)
{
	out->systems = db_col_i64(st, from);
	out->with_gaps = db_col_i64(st, from + 1);
	for (int i = 0; i < GAP_KINDS; i++)
		out->gap[i] = db_col_i64(st, from + 2 + i);
}

enum bw_err gaps_own(struct db *db, int64_t org_id, int64_t now, struct gap_counts *out, struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_prep(db, "SELECT" GAP_SUMS " FROM systems s WHERE s.org_id = ?1 AND s.tier = 1");
	db_bind_i64(st, 1, org_id);
	db_bind_i64(st, 2, systems_restore_cutoff(now, systems_restore_max_days()));
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "counting gaps");
	read_counts(st, 0, out);
	db_reset(st);
	return BW_OK;
}

enum bw_err gaps_subtree(struct db *db, const char *path, int64_t now, struct gap_counts *out, struct bw_error *err)
{
	char lo[256], hi[256];
	orgs_subtree_bounds(path, lo, hi);
	memset(out, 0, sizeof *out);
	struct db_stmt *st = db_prep(db, "SELECT" GAP_SUMS " FROM orgs o JOIN systems s ON s.org_id = o.id AND s.tier = 1"
					 " WHERE o.path >= ?1 AND o.path < ?3");
	db_bind_text(st, 1, lo);
	db_bind_i64(st, 2, systems_restore_cutoff(now, systems_restore_max_days()));
	db_bind_text(st, 3, hi);
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "counting gaps");
	read_counts(st, 0, out);
	db_reset(st);
	return BW_OK;
}

/* One row per direct member: code, name, type, members below it, sums. */
#define CHILDREN_SQL \
	"SELECT ch.code, ch.name, ch.type, (SELECT count(*) FROM orgs k WHERE k.parent_id = ch.id)," GAP_SUMS \
	" FROM orgs ch LEFT JOIN orgs o ON o.path >= ch.path AND o.path < ch.path || '~'" \
	" LEFT JOIN systems s ON s.org_id = o.id AND s.tier = 1" \
	" WHERE ch.parent_id = ?1 GROUP BY ch.id, ch.code, ch.name, ch.type ORDER BY ch.name, ch.code LIMIT ?3 OFFSET ?4"

static struct db_stmt *children_query(struct db *db, int64_t org_id, int64_t now, int64_t limit, int64_t offset)
{
	struct db_stmt *st = db_prep(db, CHILDREN_SQL);
	db_bind_i64(st, 1, org_id);
	db_bind_i64(st, 2, systems_restore_cutoff(now, systems_restore_max_days()));
	db_bind_i64(st, 3, limit);
	db_bind_i64(st, 4, offset);
	return st;
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
	struct bw_error e = { 0 };
	int64_t nkids = children_count(c->db, o.id);
	if (gaps_own(c->db, o.id, now, &own, &e) != BW_OK ||
	    (nkids && gaps_subtree(c->db, o.path, now, &sub, &e) != BW_OK))
		return ctx_error(c, 500, &e);

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
	int64_t now = bw_now(), page = pages_page_number(c);
	int64_t nkids = children_count(c->db, o.id);
	struct gap_counts own, sub;
	struct bw_error e = { 0 };
	if (gaps_own(c->db, o.id, now, &own, &e) != BW_OK || gaps_subtree(c->db, o.path, now, &sub, &e) != BW_OK)
		return ctx_error(c, 500, &e);
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
	struct db_stmt *st = children_query(c->db, o.id, now, ROLLUP_PAGE, (page - 1) * ROLLUP_PAGE);
	int rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		struct gap_counts g;
		read_counts(st, 4, &g);
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
	int64_t now = bw_now();
	struct gap_counts own, sub;
	struct bw_error e = { 0 };
	if (gaps_own(c->db, o.id, now, &own, &e) != BW_OK || gaps_subtree(c->db, o.path, now, &sub, &e) != BW_OK)
		return ctx_error(c, 500, &e);
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
	struct db_stmt *st = children_query(c->db, o.id, now, 1000000, 0);
	while (db_step(st) == DB_ROW) {
		struct gap_counts g;
		read_counts(st, 4, &g);
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
	int64_t now = bw_now();
	struct gap_counts own, sub;
	struct bw_error e = { 0 };
	if (gaps_own(c->db, o.id, now, &own, &e) != BW_OK || gaps_subtree(c->db, o.path, now, &sub, &e) != BW_OK)
		return ctx_error(c, 500, &e);
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
	struct db_stmt *st = children_query(c->db, o.id, now, limit + 1, offset);
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
		read_counts(st, 4, &g);
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

const struct route registers_routes[] = {
	{ "GET", "/registers", get_registers, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/orgs/{org}/registers", get_hub, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/gaps", get_rollup, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/orgs/{org}/gaps.csv", get_rollup_csv, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/api/v1/orgs/{org}/gaps", api_rollup, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ NULL },
};

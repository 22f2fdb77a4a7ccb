/* audit_pages: /audit — the audit trail of one's subtree, newest first. */
#include <stdio.h>
#include "app/app.h"
#include "app/routes.h"

#define PAGE_SIZE 50

/* Records about no organisation (org_id 0: instance-wide events) are shown
 * only to those whose subtree is the whole instance. */
static const char *scope_sql =
	" FROM audit a LEFT JOIN orgs o ON o.id = a.org_id"
	" WHERE ((o.path >= ?1 AND o.path < ?2) OR (a.org_id = 0 AND ?3 = 1))";

static void get_audit(struct ctx *c)
{
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	int64_t whole = c->actor.role == ROLE_ADMIN || orgs_count_subtree(c->db, c->actor.org_path) ==
						       db_query_i64(c->db, "SELECT count(*) FROM orgs", -1);
	int64_t page = pages_page_number(c);
	char *sql = arena_printf(c->arena, "SELECT count(*)%s", scope_sql);
	struct db_stmt *st = db_prep(c->db, sql);
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_i64(st, 3, whole);
	int64_t total = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	struct web_link crumbs[] = { { "Home", "/" } };
	ctx_page_begin(c, "Audit log", crumbs, 1, NULL, 0);
	struct buf *b = &c->resp->body;
	html_raw(b, "<h1>Audit log</h1><p>Every change and every sign-in, in order. Each record is chained to "
		    "the one before it, so a change to the log itself is detected.</p>");
	sql = arena_printf(c->arena, "SELECT a.id, a.at, a.actor, o.code, a.action, a.summary%s"
				     " ORDER BY a.id DESC LIMIT ?4 OFFSET ?5", scope_sql);
	st = db_prep(c->db, sql);
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_i64(st, 3, whole);
	db_bind_i64(st, 4, PAGE_SIZE);
	db_bind_i64(st, 5, (page - 1) * PAGE_SIZE);
	struct web_column cols[] = { { "Record", true }, { "Time", false }, { "Who", false },
				     { "What happened", false } };
	char caption[64];
	snprintf(caption, sizeof caption, "%lld record%s", (long long)total, total == 1 ? "" : "s");
	struct web_table t;
	web_table_begin(&t, b, caption, cols, 4);
	while (db_step(st) == DB_ROW) {
		char when[48];
		bw_time_london(db_col_i64(st, 1), when);
		web_table_row_begin(&t);
		web_table_cell_num(&t, db_col_i64(st, 0));
		web_table_cell_open(&t);
		html_printf(b, "<span class=\"bw-nowrap\">%s</span>", when);
		web_table_cell_close(&t);
		web_table_cell(&t, db_col_text(st, 2));
		web_table_cell_open(&t);
		html_text(b, db_col_text(st, 5));
		html_printf(b, "<br><span class=\"nhsuk-u-secondary-text-color nhsuk-u-font-size-16\">%s%s%s</span>",
			    db_col_text(st, 4), db_col_text(st, 3) ? " · " : "", db_col_text(st, 3) ? db_col_text(st, 3) : "");
		web_table_cell_close(&t);
		web_table_row_end(&t);
	}
	if (!total)
		web_table_empty(&t, 4, "Nothing has been recorded yet");
	web_table_end(&t);
	web_pagination(b, "/audit", page, (total + PAGE_SIZE - 1) / PAGE_SIZE);
	ctx_page_end(c);
}

const struct route audit_routes[] = {
	{ "GET", "/audit", get_audit, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_AUDIT, NULL },
	{ NULL },
};

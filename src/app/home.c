/* home: the dashboard — who you are, what you can reach, and the parts of
 * the service still to come (clearly marked). */
#include <stdio.h>
#include "app/app.h"
#include "app/routes.h"

static void get_home(struct ctx *c)
{
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	struct db_stmt *st = db_prep(c->db, "SELECT (SELECT count(*) FROM orgs WHERE path >= ?1 AND path < ?2),"
					    " (SELECT count(*) FROM users u JOIN orgs o ON o.id = u.org_id"
					    "  WHERE o.path >= ?1 AND o.path < ?2 AND u.disabled = 0)");
	int64_t norgs = 0, nusers = 0;
	if (st) {
		db_bind_text(st, 1, lo);
		db_bind_text(st, 2, hi);
		if (db_step(st) == DB_ROW) {
			norgs = db_col_i64(st, 0);
			nusers = db_col_i64(st, 1);
		}
		db_reset(st);
	}
	ctx_page_begin(c, "Home", NULL, 0, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<h1>%s</h1><p class=\"nhsuk-lede-text\">You are signed in as %s, %s.</p>",
		    c->actor.org_name, c->actor.name, role_label(c->actor.role));
	html_raw(b, "<ul class=\"nhsuk-grid-row nhsuk-card-group\">");
	char text[200];
	snprintf(text, sizeof text, "%lld organisation%s in your view", (long long)norgs, norgs == 1 ? "" : "s");
	html_raw(b, "<li class=\"nhsuk-grid-column-one-third nhsuk-card-group__item\">");
	web_card_link(b, "Organisations", text, "/orgs");
	html_raw(b, "</li><li class=\"nhsuk-grid-column-one-third nhsuk-card-group__item\">");
	snprintf(text, sizeof text, "%lld active user%s", (long long)nusers, nusers == 1 ? "" : "s");
	web_card_link(b, "Users", text, orgs_role_allows(c->actor.role, ACT_MANAGE_USERS) ? "/users" : "/profile");
	html_raw(b, "</li><li class=\"nhsuk-grid-column-one-third nhsuk-card-group__item\">");
	web_card_link(b, "Your profile", "Password, two-factor authentication and API tokens", "/profile");
	/* the registers (src/registers): critical systems in view, and the
	 * tier-1 ones with no off-line backup (a gap that needs no clock) */
	int64_t nsys = 0, nexposed = 0;
	st = db_prep(c->db, "SELECT count(*), sum(CASE WHEN s.tier = 1 AND s.has_offline = 0 THEN 1 ELSE 0 END)"
			    " FROM systems s JOIN orgs o ON o.id = s.org_id WHERE o.path >= ?1 AND o.path < ?2");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	if (db_step(st) == DB_ROW) {
		nsys = db_col_i64(st, 0);
		nexposed = db_col_i64(st, 1);
		db_reset(st);
	}
	html_raw(b, "</li><li class=\"nhsuk-grid-column-one-third nhsuk-card-group__item\">");
	snprintf(text, sizeof text, "%lld critical system%s recorded; %lld tier 1 system%s with no off-line backup",
		 (long long)nsys, nsys == 1 ? "" : "s", (long long)nexposed, nexposed == 1 ? "" : "s");
	web_card_link(b, "Registers", text, "/registers");
	html_raw(b, "</li></ul><h2>Coming later</h2><ul class=\"nhsuk-grid-row nhsuk-card-group\">");
	static const char *const later[][2] = {
		{ "Exposures", "Known vulnerabilities matched against your organisation's software." },
		{ "Alerts", "Cyber alerts from the national team, and your response to each one." },
		{ "Findings", "Unusual activity found in your event logs by the public Sigma rules." },
	};
	for (size_t i = 0; i < BW_NELEM(later); i++) {
		html_raw(b, "<li class=\"nhsuk-grid-column-one-half nhsuk-card-group__item\">");
		web_placeholder_card(b, later[i][0], later[i][1]);
		html_raw(b, "</li>");
	}
	html_raw(b, "</ul>");
	ctx_page_end(c);
}

const struct route home_routes[] = {
	{ "GET", "/", get_home, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ NULL },
};

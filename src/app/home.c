/* home: the dashboard — who you are, what you can reach, and a card from
 * each domain module with what needs attention there. */
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
	/* the domain modules' own cards (registers, findings, ...) */
	const struct home_card *const *cards;
	size_t ncards = app_home_cards(&cards);
	for (size_t i = 0; i < ncards; i++) {
		if (!cards[i]->text(c, text, sizeof text))
			continue;
		html_raw(b, "</li><li class=\"nhsuk-grid-column-one-third nhsuk-card-group__item\">");
		web_card_link(b, cards[i]->title, text, cards[i]->href);
	}
	html_raw(b, "</li></ul>");
	ctx_page_end(c);
}

const struct route home_routes[] = {
	{ "GET", "/", get_home, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ NULL },
};

/*
 * layout: the page shell every HTML page shares, following the NHS.UK design
 * system (nhsuk-frontend 9.6.4): skip link, header with the service name, the
 * signed-in user and a sign-out button, primary navigation, breadcrumbs, a
 * flash banner, the error summary, <main>, and the footer.
 * The Content-Security-Policy forbids inline script and style, so the shell
 * has neither: scripts and styles are files under /assets/. The layout knows
 * nothing of roles; the caller passes the navigation it may show.
 */
#include <string.h>

#include "web.h"

/* "/orgs" is current on "/orgs/X123/systems" but not on "/orgsx";
 * "/" is current only on the home page itself. */
static bool layout_nav_matches(const char *href, const char *path)
{
	size_t hl = strlen(href);
	if (!hl || !path)
		return false;
	if (hl == 1 && href[0] == '/')
		return path[0] == '/' && (path[1] == 0 || path[1] == '?');
	if (strncmp(path, href, hl) != 0)
		return false;
	char c = path[hl];
	return c == 0 || c == '/' || c == '?' || href[hl - 1] == '/';
}

/* The entry of out[0..got) that is the longest prefix of path, or 0;
 * the "/" entry counts only for "/" itself. */
static size_t nav_best(const struct web_nav_item *out, size_t got, const char *path)
{
	size_t best = 0, best_len = 0;
	for (size_t i = 0; i < got; i++) {
		size_t hl = strlen(out[i].href);
		if (layout_nav_matches(out[i].href, path) && hl > best_len) {
			best = i + 1;
			best_len = hl;
		}
	}
	return best;
}

size_t web_nav_filter(const struct web_nav_entry *all, size_t n, unsigned role_mask,
		      const char *current_path, struct web_nav_item *out, size_t max)
{
	size_t got = 0;
	for (size_t i = 0; i < n && got < max; i++) {
		if (all[i].roles && !(all[i].roles & role_mask))
			continue;
		out[got++] = (struct web_nav_item){ all[i].label, all[i].href, false };
	}
	/* an organisation's page of a section (/orgs/RAL/alerts) belongs to
	 * that section (/alerts) when one is in the navigation */
	size_t best = 0;
	if (!strncmp(current_path, "/orgs/", 6)) {
		const char *rest = strchr(current_path + 6, '/');
		if (rest && rest[1])
			best = nav_best(out, got, rest);
	}
	if (!best)
		best = nav_best(out, got, current_path);
	if (best)
		out[best - 1].current = true;
	return got;
}

/* The NHS logo from nhsuk-frontend's header template; hidden from assistive
 * technology because the link around it carries the name. */
static const char layout_logo[] =
	"<svg class=\"nhsuk-logo\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 40 16\" "
	"height=\"40\" width=\"100\" aria-hidden=\"true\" focusable=\"false\">"
	"<path class=\"nhsuk-logo__background\" fill=\"#005eb8\" d=\"M0 0h40v16H0z\"></path>"
	"<path class=\"nhsuk-logo__text\" fill=\"#fff\" d=\"M3.9 1.5h4.4l2.6 9h.1l1.8-9h3.3l-2.8 "
	"13H9l-2.7-9h-.1l-1.8 9H1.1M17.3 1.5h3.6l-1 4.9h4L25 1.5h3.5l-2.7 13h-3.5l1.1-5.6h-4.1l-1.2 "
	"5.6h-3.4M37.7 4.4c-.7-.3-1.6-.6-2.9-.6-1.4 0-2.5.2-2.5 1.3 0 1.8 5.1 1.2 5.1 5.1 0 "
	"3.6-3.3 4.5-6.4 4.5-1.3 0-2.9-.3-4-.7l.8-2.7c.7.4 2.1.7 3.2.7s2.8-.2 2.8-1.5c0-2.1-5.1-1.3-5.1-5 "
	"0-3.4 2.9-4.4 5.8-4.4 1.6 0 3.1.2 4 .6\"></path></svg>";

static void layout_head(struct buf *b, const struct web_page *pg)
{
	html_raw(b, "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n");
	html_printf(b, "<title>%s%s - %s</title>\n", pg->errors_n ? "Error: " : "",
		    pg->title ? pg->title : WEB_SERVICE_NAME, WEB_SERVICE_NAME);
	html_raw(b,
		 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		 "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
		 "<link rel=\"stylesheet\" href=\"" WEB_ASSET_CSS "\">\n"
		 "<link rel=\"stylesheet\" href=\"" WEB_ASSET_OUR_CSS "\">\n"
		 "<link rel=\"icon\" href=\"/assets/favicons/favicon.ico\" sizes=\"48x48\">\n"
		 "<link rel=\"icon\" href=\"/assets/favicons/favicon.svg\" type=\"image/svg+xml\">\n"
		 "<link rel=\"apple-touch-icon\" href=\"/assets/favicons/apple-touch-icon-180x180.png\">\n"
		 /* bulwark.js marks the page as scripted before it is drawn, as
		  * nhsuk-frontend's template does with an inline script. */
		 "<script src=\"" WEB_ASSET_OUR_JS "\"></script>\n"
		 "<script src=\"" WEB_ASSET_JS "\" defer></script>\n"
		 "</head>\n<body>\n"
		 "<a class=\"nhsuk-skip-link\" href=\"#maincontent\">Skip to main content</a>\n");
}

static void layout_account(struct buf *b, const struct web_page *pg)
{
	const struct web_user *u = pg->user;
	html_raw(b, "<div class=\"bw-account\">\n<p class=\"bw-account__user\">"
		    "<span class=\"nhsuk-u-visually-hidden\">Signed in as </span>");
	if (u->profile_href) {
		html_raw(b, "<a class=\"bw-account__link\" href=\"");
		html_href(b, u->profile_href);
		html_printf(b, "\">%s</a>", u->name);
	} else {
		html_printf(b, "<span class=\"bw-account__name\">%s</span>", u->name);
	}
	if (u->org_name && *u->org_name)
		html_printf(b, "<span class=\"nhsuk-u-visually-hidden\">, </span>"
			       "<span class=\"bw-account__org\">%s</span>", u->org_name);
	html_raw(b, "</p>\n<form class=\"bw-account__form\" method=\"post\" action=\""
		    WEB_SIGN_OUT_PATH "\" novalidate>\n");
	web_csrf_input(b, pg->csrf_token);
	html_raw(b, "<button class=\"bw-account__signout\" type=\"submit\">Sign out</button>\n"
		    "</form>\n</div>\n");
}

static void layout_nav(struct buf *b, const struct web_page *pg)
{
	html_printf(b, "<div class=\"nhsuk-navigation-container\">\n"
		       "<nav class=\"nhsuk-navigation\" id=\"header-navigation\" "
		       "aria-label=\"Primary navigation\">\n"
		       "<ul class=\"nhsuk-header__navigation-list%s\">\n",
		    pg->nav_n < 4 ? " nhsuk-header__navigation-list--left-aligned" : "");
	for (size_t i = 0; i < pg->nav_n; i++) {
		const struct web_nav_item *it = &pg->nav[i];
		html_raw(b, "<li class=\"nhsuk-header__navigation-item\">"
			    "<a class=\"nhsuk-header__navigation-link\" href=\"");
		html_href(b, it->href);
		html_raw(b, it->current ? "\" aria-current=\"page\">" : "\">");
		html_printf(b, "%s</a></li>\n", it->label);
	}
	/* The "More" button is nhsuk-frontend's: its script moves the links that
	 * do not fit into a drop-down list. */
	html_raw(b,
		 "<li class=\"nhsuk-mobile-menu-container\">\n"
		 "<button class=\"nhsuk-header__menu-toggle nhsuk-header__navigation-link\" "
		 "id=\"toggle-menu\" aria-expanded=\"false\">"
		 "<span class=\"nhsuk-u-visually-hidden\">Browse</span> More "
		 "<svg class=\"nhsuk-icon nhsuk-icon__chevron-down\" xmlns=\"http://www.w3.org/2000/svg\" "
		 "viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\">"
		 "<path d=\"M15.5 12a1 1 0 0 1-.29.71l-5 5a1 1 0 0 1-1.42-1.42l4.3-4.29-4.3-4.29a1 1 0 "
		 "0 1 1.42-1.42l5 5a1 1 0 0 1 .29.71z\"></path></svg></button>\n"
		 "</li>\n</ul>\n</nav>\n</div>\n");
}

static void layout_header(struct buf *b, const struct web_page *pg)
{
	bool nav = pg->user && pg->nav_n > 0;
	html_raw(b, "<header class=\"nhsuk-header\" role=\"banner\">\n"
		    "<div class=\"nhsuk-header__container\">\n");
	html_printf(b, "<div class=\"nhsuk-header__logo%s\">", pg->user ? "" : " nhsuk-header__logo--only");
	html_raw(b, "<a class=\"nhsuk-header__link nhsuk-header__link--service\" href=\"/\" "
		    "aria-label=\"" WEB_SERVICE_NAME " home page\">");
	html_raw(b, layout_logo);
	html_raw(b, "<span class=\"nhsuk-header__service-name\">" WEB_SERVICE_NAME "</span></a></div>\n");
	if (pg->user)
		layout_account(b, pg);
	html_raw(b, "</div>\n");
	if (nav)
		layout_nav(b, pg);
	html_raw(b, "</header>\n");
}

static void layout_breadcrumbs(struct buf *b, const struct web_page *pg)
{
	if (!pg->breadcrumbs_n)
		return;
	html_raw(b, "<nav class=\"nhsuk-breadcrumb\" aria-label=\"Breadcrumb\">\n"
		    "<ol class=\"nhsuk-breadcrumb__list\">\n");
	for (size_t i = 0; i < pg->breadcrumbs_n; i++) {
		html_raw(b, "<li class=\"nhsuk-breadcrumb__item\"><a class=\"nhsuk-breadcrumb__link\" href=\"");
		html_href(b, pg->breadcrumbs[i].href);
		html_printf(b, "\">%s</a></li>\n", pg->breadcrumbs[i].label);
	}
	/* On narrow screens NHS.UK shows only a link back to the parent. */
	const struct web_link *up = &pg->breadcrumbs[pg->breadcrumbs_n - 1];
	html_raw(b, "</ol>\n<p class=\"nhsuk-breadcrumb__back\"><a class=\"nhsuk-breadcrumb__backlink\" href=\"");
	html_href(b, up->href);
	html_printf(b, "\"><span class=\"nhsuk-u-visually-hidden\">Back to&nbsp;</span>%s</a></p>\n"
		       "</nav>\n", up->label);
}

static void layout_flash(struct buf *b, const struct web_page *pg)
{
	if (pg->flash == WEB_FLASH_NONE || !pg->flash_text)
		return;
	bool ok = pg->flash == WEB_FLASH_SUCCESS;
	/* A success message is announced at once (role alert); an important
	 * one is a labelled region the reader can find. */
	html_raw(b, ok ? "<div class=\"bw-notification bw-notification--success\" role=\"alert\""
		       : "<div class=\"bw-notification\" role=\"region\"");
	html_printf(b, " aria-labelledby=\"bw-notification-title\">\n"
		       "<div class=\"bw-notification__header\"><h2 class=\"bw-notification__title\" "
		       "id=\"bw-notification-title\">%s</h2></div>\n"
		       "<div class=\"bw-notification__content\"><p class=\"bw-notification__heading\">%s</p>"
		       "</div>\n</div>\n",
		    ok ? "Success" : "Important", pg->flash_text);
}

void web_page_begin(struct buf *b, const struct web_page *pg)
{
	layout_head(b, pg);
	layout_header(b, pg);
	html_raw(b, "<div class=\"nhsuk-width-container\">\n");
	layout_breadcrumbs(b, pg);
	html_raw(b, "<main class=\"nhsuk-main-wrapper\" id=\"maincontent\">\n");
	layout_flash(b, pg);
	if (pg->errors_n)
		web_error_summary(b, pg->errors, pg->errors_n);
}

void web_page_end(struct buf *b, const struct web_page *pg)
{
	html_raw(b, "</main>\n</div>\n"
		    "<footer role=\"contentinfo\">\n<div class=\"nhsuk-footer-container\">\n"
		    "<div class=\"nhsuk-width-container\">\n"
		    "<h2 class=\"nhsuk-u-visually-hidden\">Support links</h2>\n"
		    "<div class=\"nhsuk-footer\">\n");
	if (pg->footer_links_n) {
		html_raw(b, "<ul class=\"nhsuk-footer__list\">\n");
		for (size_t i = 0; i < pg->footer_links_n; i++) {
			html_raw(b, "<li class=\"nhsuk-footer__list-item nhsuk-footer-default__list-item\">"
				    "<a class=\"nhsuk-footer__list-item-link\" href=\"");
			html_href(b, pg->footer_links[i].href);
			html_printf(b, "\">%s</a></li>\n", pg->footer_links[i].label);
		}
		html_raw(b, "</ul>\n");
	}
	html_raw(b, "<div><p class=\"nhsuk-footer__copyright\">" WEB_SERVICE_NAME
		    ": cyber security for health and care</p></div>\n"
		    "</div>\n</div>\n</div>\n</footer>\n</body>\n</html>\n");
}

/*
 * errors: the pages shown when something goes wrong, in plain words that say
 * what happened and what to do next, and the mapping from the one error type
 * to an HTTP status.
 */
#include "web.h"

struct errors_text {
	int status;
	const char *title;
	const char *body;   /* trusted markup */
};

static const struct errors_text errors_table[] = {
	{ 400, "There is a problem with what was sent",
	  "<p>Bulwark could not use what your browser sent. Go back and try again.</p>\n"
	  "<p>If you followed a link, the link may be wrong.</p>\n" },
	{ 401, "You need to sign in",
	  "<p>You have been signed out, or you have not signed in yet.</p>\n"
	  "<p><a href=\"/sign-in\">Sign in to Bulwark</a></p>\n" },
	{ 403, "You do not have access to this page",
	  "<p>Your account does not let you see this page or this organisation's information.</p>\n"
	  "<p>If you think you should have access, ask your organisation's lead or the person who "
	  "runs Bulwark for you.</p>\n" },
	{ 404, "Page not found",
	  "<p>If you typed the web address, check it is correct.</p>\n"
	  "<p>If you pasted the web address, check you copied the entire address.</p>\n"
	  "<p>If the web address is correct or you selected a link or button, the page may have "
	  "moved or been removed.</p>\n" },
	{ 405, "That cannot be done here",
	  "<p>This page does not accept that kind of request. Go back and try again.</p>\n" },
	{ 409, "Someone else changed this",
	  "<p>The information changed while you were working on it, so your change was not "
	  "saved.</p>\n<p>Go back, reload the page to see the latest version, and make your change "
	  "again.</p>\n" },
	{ 413, "What you sent is too large",
	  "<p>The file or text you sent is bigger than Bulwark accepts. Send a smaller file or less "
	  "text.</p>\n" },
	{ 423, "This account is locked for now",
	  NULL /* written by web_error_content: it names the wait */ },
	{ 429, "Too many requests",
	  "<p>Bulwark has had too many requests from you in a short time. Wait a minute, then try "
	  "again.</p>\n" },
	{ 500, "Sorry, there is a problem with the service",
	  "<p>Try again later.</p>\n"
	  "<p>If you were changing something, check whether your change was saved before you try "
	  "again.</p>\n"
	  "<p>If you need help now, contact the person who runs Bulwark for you.</p>\n" },
};

static const struct errors_text *errors_find(int status)
{
	const struct errors_text *fallback = NULL;
	for (size_t i = 0; i < BW_NELEM(errors_table); i++) {
		if (errors_table[i].status == status)
			return &errors_table[i];
		if (errors_table[i].status == 500)
			fallback = &errors_table[i];
	}
	return fallback;
}

const char *web_error_title(int status)
{
	return errors_find(status)->title;
}

void web_error_content(struct buf *b, int status)
{
	const struct errors_text *t = errors_find(status);
	html_printf(b, "<h1>%s</h1>\n", t->title);
	if (t->body)
		html_raw(b, t->body);
	else
		html_printf(b, "<p>There have been too many attempts to sign in. Wait %d minutes, "
			       "then try again.</p>\n", LIM_LOCK_S / 60);
	if (status != 401)
		html_raw(b, "<p><a href=\"/\">Go to the Bulwark home page</a></p>\n");
}

void web_error_page(struct buf *b, int status, const struct web_page *base)
{
	struct web_page pg = { 0 };
	if (base) {
		pg.user = base->user;
		pg.csrf_token = base->csrf_token;
		pg.nav = base->nav;
		pg.nav_n = base->nav_n;
		pg.footer_links = base->footer_links;
		pg.footer_links_n = base->footer_links_n;
	}
	pg.title = web_error_title(status);
	web_page_begin(b, &pg);
	html_raw(b, "<div class=\"nhsuk-grid-row\">\n<div class=\"nhsuk-grid-column-two-thirds\">\n");
	web_error_content(b, status);
	html_raw(b, "</div>\n</div>\n");
	web_page_end(b, &pg);
}

int web_err_status(enum bw_err code)
{
	switch (code) {
	case BW_OK: return 200;
	case BW_EINVAL: return 400;
	case BW_ENOTFOUND: return 404;
	case BW_EFORBIDDEN: return 403;
	case BW_ECONFLICT: return 409;
	case BW_ELIMIT: return 413;
	case BW_EAUTH: return 401;
	case BW_ELOCKED: return 423;
	default: return 500;
	}
}

/*
 * Unit tests for web: escaping of every special character and of hostile
 * input, the page shell (language, skip link, no inline script or style),
 * forms and their error summary, validators, tables and pagination, error
 * pages, CSV formula injection, the JSON envelopes, and the embedded assets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "web/web.h"

/* Renders with a fresh buffer and returns it NUL-terminated; the caller
 * frees with buf_free. */
#define RENDER(b, call) do { buf_init(&(b)); call; buf_cstr(&(b)); } while (0)

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* ---- escaping ---- */

static void text_escapes_every_special_char(void **state)
{
	(void)state;
	struct buf b;
	RENDER(b, html_text(&b, "a&b<c>d\"e'f"));
	assert_string_equal(b.p, "a&amp;b&lt;c&gt;d&quot;e&#39;f");
	buf_free(&b);
	RENDER(b, html_attr(&b, "\" onmouseover=\"alert(1)"));
	assert_string_equal(b.p, "&quot; onmouseover=&quot;alert(1)");
	buf_free(&b);
	RENDER(b, html_text(&b, "<script>alert('x')</script>"));
	assert_null(strchr(b.p, '<'));
	assert_null(strchr(b.p, '\''));
	assert_string_equal(b.p, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	buf_free(&b);
	RENDER(b, html_text(&b, NULL));
	assert_string_equal(b.p, "");
	buf_free(&b);
}

static void text_replaces_bad_utf8_and_controls(void **state)
{
	(void)state;
	struct buf b;
	/* Accents survive; a stray byte, an overlong '/', a surrogate and a
	 * truncated sequence each become U+FFFD. */
	RENDER(b, html_text(&b, "caf\xc3\xa9 \xff|\xc0\xaf|\xed\xa0\x80|\xe2\x82"));
	assert_string_equal(b.p, "caf\xc3\xa9 \xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|"
			    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD");
	buf_free(&b);
	/* NUL, escape and C1 controls are replaced; tab and newlines stay. */
	RENDER(b, html_text_n(&b, "a\0b\x1b[31m\tc\r\n\xc2\x85", 13));
	assert_string_equal(b.p, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD[31m\tc\r\n\xEF\xBF\xBD");
	buf_free(&b);
	/* Four-byte characters (emoji) pass; past U+10FFFF does not. */
	RENDER(b, html_text(&b, "\xf0\x9f\x98\x80 \xf4\x90\x80\x80"));
	assert_string_equal(b.p, "\xf0\x9f\x98\x80 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	buf_free(&b);
}

static void printf_escapes_strings_only(void **state)
{
	(void)state;
	struct buf b;
	RENDER(b, html_printf(&b, "<p class=\"x\">%s has %d of %lld (%zu) 100%% %u %ld</p>",
			      "<b>Tom & \"Jerry\"</b>", -3, 9000000000LL, (size_t)7, 5u, -6L));
	assert_string_equal(b.p, "<p class=\"x\">&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt; has -3 "
			    "of 9000000000 (7) 100% 5 -6</p>");
	buf_free(&b);
	const char *volatile none = NULL;  /* hidden from the format checker */
	RENDER(b, html_printf(&b, "[%s]", none));
	assert_string_equal(b.p, "[]");
	buf_free(&b);
}

static void url_component_and_href(void **state)
{
	(void)state;
	struct buf b;
	RENDER(b, html_url_component(&b, "a b/c?d=e&f#\"<caf\xc3\xa9>~._-"));
	assert_string_equal(b.p, "a%20b%2Fc%3Fd%3De%26f%23%22%3Ccaf%C3%A9%3E~._-");
	buf_free(&b);

	const char *blocked[] = { "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:x",
				  "data:text/html,<script>", "//evil.example/", "/\\evil.example",
				  "vbscript:x", "/a\tb", "https://x\n", "orgs", NULL };
	for (size_t i = 0; i < BW_NELEM(blocked); i++) {
		RENDER(b, html_href(&b, blocked[i]));
		assert_string_equal(b.p, "#");
		buf_free(&b);
	}
	RENDER(b, html_href(&b, "/orgs?q=a&page=2\"><script>"));
	assert_string_equal(b.p, "/orgs?q=a&amp;page=2&quot;&gt;&lt;script&gt;");
	buf_free(&b);
	RENDER(b, html_href(&b, "https://www.cisa.gov/kev"));
	assert_string_equal(b.p, "https://www.cisa.gov/kev");
	buf_free(&b);
}

/* ---- the page shell ---- */

static const struct web_nav_entry nav_table[] = {
	{ "Home", "/", 0 },
	{ "Organisations", "/orgs", 0 },
	{ "Users", "/users", 1u << 0 },
	{ "Audit log", "/audit", 1u << 0 | 1u << 7 },
	{ "Organisations export", "/orgs/export", 1u << 1 },
};

static void nav_filters_roles_and_marks_current(void **state)
{
	(void)state;
	struct web_nav_item out[8];
	size_t n = web_nav_filter(nav_table, BW_NELEM(nav_table), 1u << 7, "/orgs/RX1/systems",
				  out, BW_NELEM(out));
	assert_int_equal(n, 3);   /* Home, Organisations, Audit log */
	assert_string_equal(out[2].label, "Audit log");
	assert_false(out[0].current);
	assert_true(out[1].current);
	/* The longest matching entry wins; "/" is current only on the home page. */
	n = web_nav_filter(nav_table, BW_NELEM(nav_table), 1u << 1, "/orgs/export", out, 8);
	assert_int_equal(n, 3);
	assert_false(out[1].current);
	assert_true(out[2].current);
	n = web_nav_filter(nav_table, BW_NELEM(nav_table), 0, "/", out, 8);
	assert_int_equal(n, 2);
	assert_true(out[0].current);
	n = web_nav_filter(nav_table, BW_NELEM(nav_table), 0, "/orgsx", out, 8);
	assert_false(out[0].current || out[1].current);
	/* an organisation's page of a section is that section's, not Organisations' */
	n = web_nav_filter(nav_table, BW_NELEM(nav_table), 1u << 0, "/orgs/RX1/audit?page=2", out, 8);
	assert_string_equal(out[3].label, "Audit log");
	assert_true(out[3].current);
	assert_false(out[1].current);
	n = web_nav_filter(nav_table, BW_NELEM(nav_table), 1u << 0, "/orgs/RX1", out, 8);
	assert_true(out[1].current);
	/* max is respected */
	assert_int_equal(web_nav_filter(nav_table, BW_NELEM(nav_table), ~0u, "/", out, 2), 2);
}

/* Every <script> must load a file and have no body: the CSP forbids inline
 * script, so one would be silently blocked (or, without the CSP, run). */
static void assert_no_inline_script_or_style(const char *html)
{
	for (const char *p = html; (p = strstr(p, "<script")) != NULL; p++) {
		const char *gt = strchr(p, '>');
		assert_non_null(gt);
		const char *src = strstr(p, " src=\"");
		assert_true(src && src < gt);
		assert_memory_equal(gt + 1, "</script>", 9);
	}
	assert_null(strstr(html, "<style"));
	assert_null(strstr(html, " style="));
	assert_null(strstr(html, " onclick="));
	assert_null(strstr(html, " onload="));
	assert_null(strstr(html, "javascript:"));
}

static void page_has_lang_skip_link_and_no_inline_code(void **state)
{
	(void)state;
	struct web_nav_item nav[8];
	size_t nav_n = web_nav_filter(nav_table, BW_NELEM(nav_table), 1u << 0, "/orgs", nav, 8);
	struct web_user user = { "Ann <script>alert(1)</script>", "St Elsewhere & Co", "/profile" };
	struct web_link crumbs[] = { { "Home", "/" }, { "Organisations", "/orgs" } };
	struct bw_error errs[1] = { { BW_EINVAL, "name", "Enter a name" } };
	struct web_page pg = {
		.title = "Add <an> organisation", .user = &user, .csrf_token = "TOKEN\"x",
		.nav = nav, .nav_n = nav_n, .breadcrumbs = crumbs, .breadcrumbs_n = 2,
		.flash = WEB_FLASH_SUCCESS, .flash_text = "Saved <b>", .errors = errs, .errors_n = 1,
	};
	struct buf b;
	buf_init(&b);
	web_page_begin(&b, &pg);
	html_raw(&b, "<h1>Content</h1>\n");
	web_page_end(&b, &pg);
	const char *h = buf_cstr(&b);

	assert_memory_equal(h, "<!DOCTYPE html>\n<html lang=\"en-GB\">", 35);
	assert_non_null(strstr(h, "<title>Error: Add &lt;an&gt; organisation - Bulwark</title>"));
	assert_non_null(strstr(h, "<a class=\"nhsuk-skip-link\" href=\"#maincontent\">Skip to main content</a>"));
	assert_non_null(strstr(h, "<main class=\"nhsuk-main-wrapper\" id=\"maincontent\""));
	/* The skip link comes before the header, the header before main. */
	assert_true(strstr(h, "nhsuk-skip-link") < strstr(h, "<header"));
	assert_true(strstr(h, "<header") < strstr(h, "<main"));
	assert_no_inline_script_or_style(h);
	assert_int_equal(count(h, "<script"), 2);
	assert_non_null(strstr(h, "<link rel=\"stylesheet\" href=\"" WEB_ASSET_CSS "\">"));
	assert_non_null(strstr(h, "<span class=\"nhsuk-header__service-name\">Bulwark</span>"));
	/* The user's name is escaped, their organisation shown. */
	assert_null(strstr(h, "<script>alert"));
	assert_non_null(strstr(h, "Ann &lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(h, "St Elsewhere &amp; Co"));
	/* Sign out is a POST carrying the CSRF token. */
	const char *form = strstr(h, "action=\"" WEB_SIGN_OUT_PATH "\"");
	assert_non_null(form);
	assert_non_null(strstr(h, "method=\"post\" action=\"/sign-out\""));
	assert_non_null(strstr(form, "<input type=\"hidden\" name=\"csrf_token\" value=\"TOKEN&quot;x\">"));
	assert_true(strstr(form, "csrf_token") < strstr(form, "</form>"));
	/* Navigation with the current page marked for screen readers. */
	assert_non_null(strstr(h, "aria-label=\"Primary navigation\""));
	assert_non_null(strstr(h, "href=\"/orgs\" aria-current=\"page\">Organisations</a>"));
	assert_non_null(strstr(h, ">Users</a>"));
	assert_int_equal(count(h, "aria-current=\"page\""), 1);
	/* Breadcrumbs, flash, error summary before the content. */
	assert_non_null(strstr(h, "<nav class=\"nhsuk-breadcrumb\" aria-label=\"Breadcrumb\">"));
	assert_non_null(strstr(h, "Saved &lt;b&gt;"));
	const char *summary = strstr(h, "nhsuk-error-summary");
	assert_non_null(summary);
	assert_true(summary < strstr(h, "<h1>Content</h1>"));
	assert_non_null(strstr(h, "<li><a href=\"#name\">Enter a name</a></li>"));
	assert_non_null(strstr(h, "<footer role=\"contentinfo\">"));
	assert_memory_equal(h + b.len - 16, "</body>\n</html>\n", 16);
	buf_free(&b);
}

static void signed_out_page_has_no_account_or_nav(void **state)
{
	(void)state;
	struct web_page pg = { .title = "Sign in" };
	struct buf b;
	buf_init(&b);
	web_page_begin(&b, &pg);
	web_page_end(&b, &pg);
	const char *h = buf_cstr(&b);
	assert_non_null(strstr(h, "<title>Sign in - Bulwark</title>"));
	assert_null(strstr(h, "Sign out"));
	assert_null(strstr(h, "Primary navigation"));
	assert_null(strstr(h, "nhsuk-error-summary"));
	assert_null(strstr(h, "bw-notification"));
	assert_no_inline_script_or_style(h);
	buf_free(&b);
}

/* ---- forms ---- */

static const struct web_option org_types[] = {
	{ "trust", "NHS trust" }, { "gp", "GP practice" },
};

static const struct web_field org_fields[] = {
	{ .name = "name", .label = "Organisation name", .type = WEB_FIELD_TEXT, .required = true,
	  .max_len = 20 },
	{ .name = "code", .label = "ODS code", .hint = "Like RX1", .type = WEB_FIELD_TEXT,
	  .required = true, .check = web_check_code },
	{ .name = "type", .label = "Type", .type = WEB_FIELD_SELECT, .required = true,
	  .options = org_types, .options_n = 2 },
	{ .name = "email", .label = "Email address", .type = WEB_FIELD_EMAIL },
	{ .name = "password", .label = "Password", .type = WEB_FIELD_PASSWORD },
	{ .name = "staff", .label = "Number of staff", .type = WEB_FIELD_NUMBER, .min = 1, .max = 500000 },
	{ .name = "notes", .label = "Notes", .type = WEB_FIELD_TEXTAREA, .max_len = 50 },
	{ .name = "agree", .label = "I agree", .type = WEB_FIELD_CHECKBOX, .required = true },
};
static const struct web_form org_form = { "/orgs/new", NULL, org_fields, BW_NELEM(org_fields), "Save" };

static void form_validation_reports_each_bad_field(void **state)
{
	(void)state;
	struct web_form_errors errs;
	const char *bad[] = { "   ", "rx1", "hospital", "a@b", "secret", "12a", "line1\nline2", NULL };
	web_form_errors_init(&errs);
	assert_int_equal(web_form_validate(&org_form, bad, &errs), BW_EINVAL);
	assert_int_equal(errs.n, 6);
	assert_string_equal(errs.e[0].field, "name");
	assert_string_equal(errs.e[0].msg, "Enter organisation name");
	assert_string_equal(errs.e[1].field, "code");
	assert_string_equal(errs.e[1].msg, "ODS code must contain only capital letters A to Z and "
			    "numbers 0 to 9, like RX1 or B82005");
	assert_string_equal(errs.e[2].msg, "Select type from the list");
	assert_string_equal(errs.e[3].msg, "Enter an email address in the correct format, like "
			    "name@example.nhs.uk");
	assert_string_equal(errs.e[4].msg, "Number of staff must be a whole number, like 12");
	assert_string_equal(errs.e[5].field, "agree");
	assert_string_equal(errs.e[5].msg, "Select I agree");
	assert_string_equal(web_form_error_for(&errs, "staff"), errs.e[4].msg);
	assert_null(web_form_error_for(&errs, "notes"));

	const char *good[] = { "Leeds", "RR8", "gp", "it.lead@nhs.net", "", "250", "a\r\nb", "on" };
	web_form_errors_init(&errs);
	assert_int_equal(web_form_validate(&org_form, good, &errs), BW_OK);
	assert_int_equal(errs.n, 0);

	const char *edge[] = { "Twenty-one characters", "RR8", "gp", NULL, NULL, "0", "ok\x01", "1" };
	web_form_errors_init(&errs);
	assert_int_equal(web_form_validate(&org_form, edge, &errs), BW_EINVAL);
	assert_int_equal(errs.n, 3);
	assert_string_equal(errs.e[0].msg, "Organisation name must be 20 characters or fewer");
	assert_string_equal(errs.e[1].msg, "Number of staff must be between 1 and 500000");
	assert_string_equal(errs.e[2].msg, "Notes must not contain invisible control characters");
}

static void form_renders_error_pattern(void **state)
{
	(void)state;
	struct web_form_errors errs;
	const char *vals[] = { "<x>", "rx1", "gp", "a\"b", "hunter2-secret", "", "<script>", "1" };
	web_form_errors_init(&errs);
	web_form_validate(&org_form, vals, &errs);
	struct buf b;
	buf_init(&b);
	web_error_summary(&b, errs.e, errs.n);
	web_form_render(&b, &org_form, vals, &errs, "tok");
	const char *h = buf_cstr(&b);

	/* The summary links to the bad fields by id. */
	assert_non_null(strstr(h, "<h2 class=\"nhsuk-error-summary__title\" id=\"error-summary-title\">"
				  "There is a problem</h2>"));
	assert_non_null(strstr(h, "<a href=\"#code\">ODS code must contain"));
	assert_non_null(strstr(h, "<a href=\"#email\">Enter an email address"));
	assert_non_null(strstr(h, " id=\"code\" name=\"code\""));
	assert_non_null(strstr(h, " id=\"email\" name=\"email\""));
	/* The field is marked and its message tied to it. */
	const char *code = strstr(h, "<label class=\"nhsuk-label\" for=\"code\">ODS code</label>");
	assert_non_null(code);
	assert_non_null(strstr(h, "<div class=\"nhsuk-form-group nhsuk-form-group--error\">\n"
				  "<label class=\"nhsuk-label\" for=\"code\">"));
	assert_non_null(strstr(code, "<span class=\"nhsuk-error-message\" id=\"code-error\">"
				     "<span class=\"nhsuk-u-visually-hidden\">Error:</span> ODS code"));
	assert_non_null(strstr(code, "aria-describedby=\"code-hint code-error\""));
	assert_non_null(strstr(h, "nhsuk-input--error\" id=\"code\""));
	/* Values come back escaped; a password never comes back. */
	assert_non_null(strstr(h, "value=\"&lt;x&gt;\""));
	assert_non_null(strstr(h, "value=\"a&quot;b\""));
	assert_null(strstr(h, "hunter2"));
	assert_non_null(strstr(h, "autocomplete=\"current-password\""));
	assert_non_null(strstr(h, ">\n&lt;script&gt;</textarea>"));
	assert_non_null(strstr(h, "<option value=\"gp\" selected>GP practice</option>"));
	assert_non_null(strstr(h, "type=\"checkbox\" value=\"1\" checked"));
	assert_non_null(strstr(h, "inputmode=\"numeric\""));
	/* A POST form carries the CSRF token and opts out of browser pop-ups. */
	assert_non_null(strstr(h, "<form action=\"/orgs/new\" method=\"post\" novalidate>\n"
				  "<input type=\"hidden\" name=\"csrf_token\" value=\"tok\">"));
	assert_non_null(strstr(h, "<button class=\"nhsuk-button\" data-module=\"nhsuk-button\" "
				  "type=\"submit\">Save</button>"));
	/* Fields without errors are not marked. */
	assert_int_equal(count(h, "nhsuk-form-group--error"), errs.n);
	assert_no_inline_script_or_style(h);
	buf_free(&b);
}

static void validators_speak_plainly(void **state)
{
	(void)state;
	struct bw_error e;
	int64_t v;
	assert_int_equal(web_valid_text("n", "Name", "Zo\xc3\xab", 1, 3, &e), BW_OK);
	assert_int_equal(web_valid_text("n", "Name", "", 1, 3, &e), BW_EINVAL);
	assert_string_equal(e.msg, "Enter name");
	assert_string_equal(e.field, "n");
	assert_int_equal(web_valid_text("n", "Name", "ab", 3, 9, &e), BW_EINVAL);
	assert_string_equal(e.msg, "Name must be 3 characters or more");
	assert_int_equal(web_valid_text("n", "Name", "a\tb", 0, 9, &e), BW_EINVAL);
	assert_string_equal(e.msg, "Name must not contain line breaks, tabs or other invisible characters");
	assert_int_equal(web_valid_text("n", "Name", "a\xc2\x9b" "b", 0, 9, &e), BW_EINVAL);
	assert_int_equal(web_valid_text("n", "Name", "bad \xff byte", 0, 99, &e), BW_EINVAL);
	assert_string_equal(e.msg, "Name contains characters that could not be read: type it again");

	const char *emails_ok[] = { "a@b.nhs.uk", "first.last+tag@nhs.net", "x@sub-domain.example.org" };
	for (size_t i = 0; i < BW_NELEM(emails_ok); i++)
		assert_int_equal(web_valid_email("e", "Email", emails_ok[i], &e), BW_OK);
	const char *emails_bad[] = { "plain", "@nhs.net", "a@", "a@b", "a@@b.uk", "a b@c.uk",
				     ".a@b.uk", "a..b@c.uk", "a@-b.uk", "a@b-.uk", "a@b..uk",
				     "a@b.uk\n", "<a>@b.uk", "a@b_c.uk" };
	for (size_t i = 0; i < BW_NELEM(emails_bad); i++)
		assert_int_equal(web_valid_email("e", "Email", emails_bad[i], &e), BW_EINVAL);

	assert_int_equal(web_valid_int("k", "Count", "42", 0, 100, &v, &e), BW_OK);
	assert_int_equal(v, 42);
	assert_int_equal(web_valid_int("k", "Count", " -1 ", INT64_MIN, 100, &v, &e), BW_OK);
	assert_int_equal(v, -1);
	assert_int_equal(web_valid_int("k", "Count", "-1", 0, INT64_MAX, &v, &e), BW_EINVAL);
	assert_string_equal(e.msg, "Count must be 0 or more");
	assert_int_equal(web_valid_int("k", "Count", "101", 0, 100, NULL, &e), BW_EINVAL);
	assert_string_equal(e.msg, "Count must be between 0 and 100");
	assert_int_equal(web_valid_int("k", "Count", "1e3", 0, 100, NULL, &e), BW_EINVAL);
	assert_string_equal(e.msg, "Count must be a whole number, like 12");
	assert_int_equal(web_valid_int("k", "Count", "99999999999999999999", INT64_MIN, INT64_MAX, NULL, &e),
			 BW_EINVAL);

	assert_int_equal(web_valid_code("c", "ODS code", "B82005", &e), BW_OK);
	assert_int_equal(web_valid_code("c", "ODS code", "b82005", &e), BW_EINVAL);
	assert_int_equal(web_valid_code("c", "ODS code", "RX1 ", &e), BW_EINVAL);
	assert_int_equal(web_valid_code("c", "ODS code", "ABCDEFGHIJKLMNOPQ", &e), BW_EINVAL);
	assert_string_equal(e.msg, "ODS code must be 16 characters or fewer");
	assert_int_equal(web_valid_code("c", "ODS code", "", &e), BW_EINVAL);
	assert_string_equal(e.msg, "Enter ODS code");
}

/* ---- tables, lists, tags, pagination ---- */

static void table_and_summary_markup(void **state)
{
	(void)state;
	static const struct web_column cols[] = { { "Name", false }, { "Systems", true } };
	struct web_table t;
	struct buf b;
	buf_init(&b);
	web_table_begin(&t, &b, "Members <all>", cols, 2);
	web_table_row_begin(&t);
	web_table_cell_head(&t, "A&B");
	web_table_cell_num(&t, -12);
	web_table_row_end(&t);
	web_table_row_begin(&t);
	web_table_cell_link(&t, "<i>", "javascript:alert(1)");
	web_table_cell(&t, "7");
	web_table_row_end(&t);
	web_table_empty(&t, 2, "No more");
	web_table_end(&t);
	web_summary_begin(&b);
	web_summary_row(&b, "Name", "Leeds", "/orgs/RR8/edit");
	web_summary_row(&b, "Parent", NULL, NULL);
	web_summary_end(&b);
	web_tag(&b, "Overdue", WEB_TAG_RED);
	web_tag(&b, "Done", WEB_TAG_GREEN);
	const char *h = buf_cstr(&b);
	assert_non_null(strstr(h, "<caption class=\"nhsuk-table__caption nhsuk-table__caption--m\">"
				  "Members &lt;all&gt;</caption>"));
	assert_non_null(strstr(h, "<th scope=\"col\" class=\"nhsuk-table__header nhsuk-table__header--numeric\">"
				  "Systems</th>"));
	assert_non_null(strstr(h, "<th scope=\"row\" class=\"nhsuk-table__header\">A&amp;B</th>\n"
				  "<td class=\"nhsuk-table__cell nhsuk-table__cell--numeric\">-12</td>"));
	assert_non_null(strstr(h, "<td class=\"nhsuk-table__cell\"><a href=\"#\">&lt;i&gt;</a></td>\n"
				  "<td class=\"nhsuk-table__cell nhsuk-table__cell--numeric\">7</td>"));
	assert_non_null(strstr(h, "colspan=\"2\">No more</td>"));
	assert_non_null(strstr(h, "<a href=\"/orgs/RR8/edit\">Change<span class=\"nhsuk-u-visually-hidden\"> "
				  "Name</span></a>"));
	assert_non_null(strstr(h, "nhsuk-summary-list__row--no-actions"));
	assert_non_null(strstr(h, ">Not recorded</dd>"));
	assert_non_null(strstr(h, "<strong class=\"nhsuk-tag nhsuk-tag--red\">Overdue</strong>"));
	assert_non_null(strstr(h, "<strong class=\"nhsuk-tag nhsuk-tag--green\">Done</strong>"));
	buf_free(&b);
}

static void pagination_links_pages(void **state)
{
	(void)state;
	struct buf b;
	RENDER(b, web_pagination(&b, "/orgs?q=a b", 5, 20));
	const char *h = b.p;
	assert_non_null(strstr(h, "aria-label=\"Pagination\""));
	assert_non_null(strstr(h, "rel=\"prev\" href=\"/orgs?q=a b&amp;page=4\""));
	assert_non_null(strstr(h, "rel=\"next\" href=\"/orgs?q=a b&amp;page=6\""));
	assert_non_null(strstr(h, "Page 4 of 20"));
	assert_non_null(strstr(h, "<span aria-current=\"page\"><span class=\"nhsuk-u-visually-hidden\">"
				  "Page </span>5</span>"));
	assert_non_null(strstr(h, "page=1\">"));
	assert_non_null(strstr(h, "page=20\">"));
	assert_null(strstr(h, "page=3\""));
	assert_null(strstr(h, "page=7\""));
	assert_int_equal(count(h, "&hellip;"), 2);
	buf_free(&b);

	RENDER(b, web_pagination(&b, "/orgs", 1, 2));
	assert_null(strstr(b.p, "rel=\"prev\""));
	assert_non_null(strstr(b.p, "rel=\"next\" href=\"/orgs?page=2\""));
	assert_null(strstr(b.p, "&hellip;"));
	buf_free(&b);

	RENDER(b, web_pagination(&b, "/orgs", 1, 1));
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void placeholder_card_is_marked(void **state)
{
	(void)state;
	struct buf b;
	RENDER(b, web_placeholder_card(&b, "Alerts", "Advisories & responses"));
	assert_non_null(strstr(b.p, ">Alerts</h2>"));
	assert_non_null(strstr(b.p, "<strong class=\"nhsuk-tag nhsuk-tag--grey\">Coming later</strong>"));
	assert_non_null(strstr(b.p, "Advisories &amp; responses"));
	assert_non_null(strstr(b.p, "not built yet"));
	buf_free(&b);
}

/* ---- error pages ---- */

static void error_pages_in_plain_words(void **state)
{
	(void)state;
	struct buf b;
	RENDER(b, web_error_page(&b, 404, NULL));
	assert_non_null(strstr(b.p, "<title>Page not found - Bulwark</title>"));
	assert_non_null(strstr(b.p, "<h1>Page not found</h1>"));
	assert_non_null(strstr(b.p, "check it is correct"));
	assert_non_null(strstr(b.p, "lang=\"en-GB\""));
	assert_no_inline_script_or_style(b.p);
	buf_free(&b);
	RENDER(b, web_error_content(&b, 403));
	assert_non_null(strstr(b.p, "<h1>You do not have access to this page</h1>"));
	buf_free(&b);
	RENDER(b, web_error_content(&b, 400));
	assert_non_null(strstr(b.p, "Go back and try again"));
	buf_free(&b);
	RENDER(b, web_error_content(&b, 423));
	assert_non_null(strstr(b.p, "Wait 15 minutes"));
	buf_free(&b);
	assert_string_equal(web_error_title(500), "Sorry, there is a problem with the service");
	assert_string_equal(web_error_title(502), web_error_title(500));
	assert_int_equal(web_err_status(BW_EINVAL), 400);
	assert_int_equal(web_err_status(BW_ENOTFOUND), 404);
	assert_int_equal(web_err_status(BW_EFORBIDDEN), 403);
	assert_int_equal(web_err_status(BW_EAUTH), 401);
	assert_int_equal(web_err_status(BW_ELIMIT), 413);
	assert_int_equal(web_err_status(BW_EDB), 500);
}

/* ---- CSV ---- */

static void csv_quotes_and_neutralises_formulas(void **state)
{
	(void)state;
	struct buf b;
	struct web_csv c;
	buf_init(&b);
	web_csv_init(&c, &b);
	web_csv_cell(&c, "Name");
	web_csv_cell(&c, "Note");
	web_csv_cell(&c, "Count");
	web_csv_row_end(&c);
	web_csv_cell(&c, "=HYPERLINK(\"http://x\",\"y\")");
	web_csv_cell(&c, "a,b\nc");
	web_csv_cell_int(&c, -5);
	web_csv_row_end(&c);
	web_csv_cell(&c, "+1");
	web_csv_cell(&c, "-2+3");
	web_csv_cell(&c, "@SUM(A1)");
	web_csv_row_end(&c);
	web_csv_cell(&c, "\tcmd");
	web_csv_cell(&c, "\r=1");
	web_csv_cell(&c, "plain \xff");
	web_csv_row_end(&c);
	web_csv_cell(&c, NULL);
	web_csv_cell(&c, "");
	web_csv_cell(&c, "caf\xc3\xa9 a=b");
	web_csv_row_end(&c);
	assert_string_equal(buf_cstr(&b),
			    "Name,Note,Count\r\n"
			    "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",\"a,b\nc\",-5\r\n"
			    "'+1,'-2+3,'@SUM(A1)\r\n"
			    "'\tcmd,\"'\r=1\",plain \xEF\xBF\xBD\r\n"
			    ",,caf\xc3\xa9 a=b\r\n");
	buf_reset(&b);
	web_csv_init(&c, &b);
	web_csv_bom(&c);
	web_csv_cell(&c, "x");
	assert_string_equal(buf_cstr(&b), "\xEF\xBB\xBFx");
	buf_free(&b);
}

/* ---- JSON ---- */

static void json_error_envelope_exact(void **state)
{
	(void)state;
	struct buf b;
	struct bw_error e = { 0 };
	bw_fail(&e, BW_EINVAL, "name", "Enter a name");
	RENDER(b, web_json_error(&b, &e));
	assert_string_equal(b.p, "{\"error\":{\"code\":\"invalid\",\"message\":\"Enter a name\","
			    "\"field\":\"name\"}}");
	buf_free(&b);
	bw_fail(&e, BW_ENOTFOUND, NULL, "No such \"org\" <here>\n");
	RENDER(b, web_json_error(&b, &e));
	assert_string_equal(b.p, "{\"error\":{\"code\":\"not_found\",\"message\":\"No such \\\"org\\\" "
			    "\\u003chere\\u003e\\n\",\"field\":null}}");
	buf_free(&b);
}

static void json_strings_and_list_envelope(void **state)
{
	(void)state;
	struct buf b;
	RENDER(b, web_json_quote(&b, "a\\b\"c\x01\x1f\t&\xff\xe2\x80\xa8 caf\xc3\xa9"));
	assert_string_equal(b.p, "\"a\\\\b\\\"c\\u0001\\u001f\\t\\u0026\\ufffd\\u2028 caf\xc3\xa9\"");
	buf_free(&b);

	struct web_json j;
	buf_init(&b);
	web_json_list_begin(&j, &b);
	for (int i = 1; i <= 2; i++) {
		web_json_object(&j);
		web_json_key(&j, "id");
		web_json_int(&j, i);
		web_json_key(&j, "code");
		web_json_str(&j, i == 1 ? "RR8" : NULL);
		web_json_key(&j, "tags");
		web_json_array(&j);
		web_json_bool(&j, true);
		web_json_null(&j);
		web_json_end(&j);
		web_json_end(&j);
	}
	web_json_list_end(&j, "c2");
	assert_string_equal(buf_cstr(&b),
			    "{\"data\":[{\"id\":1,\"code\":\"RR8\",\"tags\":[true,null]},"
			    "{\"id\":2,\"code\":null,\"tags\":[true,null]}],\"page\":{\"next\":\"c2\"}}");
	buf_reset(&b);
	web_json_list_begin(&j, &b);
	web_json_list_end(&j, NULL);
	assert_string_equal(buf_cstr(&b), "{\"data\":[],\"page\":{\"next\":null}}");
	buf_free(&b);
}

/* ---- assets ---- */

static void assets_found_typed_and_tagged(void **state)
{
	(void)state;
	const struct embedded_file *css = web_asset_find("nhsuk-9.6.4.min.css");
	assert_non_null(css);
	assert_ptr_equal(web_asset_find(WEB_ASSET_CSS), css);
	assert_string_equal(web_asset_type(css), "text/css; charset=utf-8");
	assert_true(css->len > 100000);
	assert_int_equal(strlen((const char *)css->data), css->len);
	assert_non_null(strstr((const char *)css->data, ".nhsuk-header"));
	/* Nothing in the CSS reaches outside the site. */
	assert_null(strstr((const char *)css->data, "assets.nhs.uk"));
	assert_null(strstr((const char *)css->data, "@font-face"));
	assert_null(strstr((const char *)css->data, "sourceMappingURL"));

	const char *etag = web_asset_etag(css);
	assert_int_equal(strlen(etag), 18);
	assert_true(etag[0] == '"' && etag[17] == '"');
	uint8_t h[32];
	char hex[65];
	bw_sha256(css->data, css->len, h);
	bw_hex(h, 32, hex);
	assert_memory_equal(etag + 1, hex, 16);
	assert_ptr_equal(web_asset_etag(css), etag);   /* computed once */
	const struct embedded_file *js = web_asset_find(WEB_ASSET_OUR_JS);
	assert_non_null(js);
	assert_string_equal(web_asset_type(js), "text/javascript; charset=utf-8");
	assert_string_not_equal(web_asset_etag(js), etag);
	assert_string_equal(web_asset_type(web_asset_find("favicons/favicon.ico")), "image/x-icon");
	assert_string_equal(web_asset_type(web_asset_find("favicons/favicon.svg")), "image/svg+xml");
	assert_null(web_asset_find("../web.h"));
	assert_null(web_asset_find("nhsuk.min.css"));
	assert_null(web_asset_find(NULL));
}

/* Every /assets/ file the shell links to must be compiled in. */
static void layout_links_only_embedded_assets(void **state)
{
	(void)state;
	struct web_user user = { "A", "B", NULL };
	struct web_page pg = { .title = "T", .user = &user, .csrf_token = "t" };
	struct buf b;
	buf_init(&b);
	web_page_begin(&b, &pg);
	web_page_end(&b, &pg);
	size_t seen = 0;
	for (const char *p = buf_cstr(&b); (p = strstr(p, "\"/assets/")) != NULL; p++) {
		const char *end = strchr(p + 1, '"');
		char name[128];
		assert_true(end && (size_t)(end - p) < sizeof name);
		memcpy(name, p + 1, (size_t)(end - p - 1));
		name[end - p - 1] = 0;
		if (!web_asset_find(name))
			fail_msg("layout links %s, which is not embedded", name);
		seen++;
	}
	assert_true(seen >= 7);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_escapes_every_special_char),
		cmocka_unit_test(text_replaces_bad_utf8_and_controls),
		cmocka_unit_test(printf_escapes_strings_only),
		cmocka_unit_test(url_component_and_href),
		cmocka_unit_test(nav_filters_roles_and_marks_current),
		cmocka_unit_test(page_has_lang_skip_link_and_no_inline_code),
		cmocka_unit_test(signed_out_page_has_no_account_or_nav),
		cmocka_unit_test(form_validation_reports_each_bad_field),
		cmocka_unit_test(form_renders_error_pattern),
		cmocka_unit_test(validators_speak_plainly),
		cmocka_unit_test(table_and_summary_markup),
		cmocka_unit_test(pagination_links_pages),
		cmocka_unit_test(placeholder_card_is_marked),
		cmocka_unit_test(error_pages_in_plain_words),
		cmocka_unit_test(csv_quotes_and_neutralises_formulas),
		cmocka_unit_test(json_error_envelope_exact),
		cmocka_unit_test(json_strings_and_list_envelope),
		cmocka_unit_test(assets_found_typed_and_tagged),
		cmocka_unit_test(layout_links_only_embedded_assets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

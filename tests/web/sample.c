/*
 * web-sample: renders a page that uses most of the web module (navigation,
 * breadcrumbs, a flash message, an error summary with a form, a table, a
 * summary list, tags, pagination, placeholder cards) and writes the embedded
 * assets beside it, so the shell can be looked at in a browser by hand:
 *   web-sample DIR   then serve DIR over HTTP and open /sample.html
 * Not a test: a person judges what it looks like.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "web/web.h"

static int sample_write(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

static const struct web_nav_entry sample_nav[] = {
	{ "Home", "/", 0 },
	{ "Organisations", "/orgs", 0 },
	{ "Users", "/users", 1u << 0 },
	{ "Audit log", "/audit", 1u << 0 | 1u << 7 },
	{ "Profile", "/profile", 0 },
};

static const struct web_option sample_types[] = {
	{ "", "Choose a type" },
	{ "trust", "NHS trust" },
	{ "gp", "GP practice" },
	{ "care", "Care provider" },
};

static const struct web_field sample_fields[] = {
	{ .name = "name", .label = "Organisation name", .type = WEB_FIELD_TEXT, .required = true,
	  .max_len = LIM_NAME },
	{ .name = "code", .label = "ODS code", .hint = "Capital letters and numbers, like RX1 or B82005",
	  .type = WEB_FIELD_TEXT, .required = true, .width = "10", .check = web_check_code },
	{ .name = "type", .label = "Type of organisation", .type = WEB_FIELD_SELECT, .required = true,
	  .options = sample_types, .options_n = BW_NELEM(sample_types) },
	{ .name = "email", .label = "Contact email address", .type = WEB_FIELD_EMAIL },
	{ .name = "notes", .label = "Notes", .type = WEB_FIELD_TEXTAREA },
	{ .name = "active", .label = "This organisation is active", .type = WEB_FIELD_CHECKBOX },
};

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: web-sample DIR\n");
		return 2;
	}
	char path[4096];
	const char *dir = argv[1];
	snprintf(path, sizeof path, "%s/assets", dir);
	mkdir(dir, 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/assets/favicons", dir);
	mkdir(path, 0755);
	for (size_t i = 0; web_assets[i].name; i++) {
		snprintf(path, sizeof path, "%s/assets/%s", dir, web_assets[i].name);
		if (sample_write(path, web_assets[i].data, web_assets[i].len))
			return 1;
	}

	struct web_nav_item nav[8];
	size_t nav_n = web_nav_filter(sample_nav, BW_NELEM(sample_nav), 1u << 0, "/orgs/RX1", nav,
				      BW_NELEM(nav));
	struct web_user user = { "Priya Shah <admin>", "Leeds Teaching Hospitals NHS Trust", "/profile" };
	struct web_link crumbs[] = { { "Home", "/" }, { "Organisations", "/orgs" } };
	struct web_link footer[] = { { "Accessibility statement", "/accessibility" },
				     { "Help", "/help" } };
	struct web_form form = { "/orgs/new", NULL, sample_fields, BW_NELEM(sample_fields), "Save organisation" };
	const char *values[] = { "", "rx1", "trust", "not-an-email", "<script>alert(1)</script>", "1" };
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	web_form_validate(&form, values, &errs);

	struct web_page pg = {
		.title = "Add an organisation", .user = &user, .csrf_token = "tok-123",
		.nav = nav, .nav_n = nav_n, .breadcrumbs = crumbs, .breadcrumbs_n = 2,
		.flash = WEB_FLASH_SUCCESS, .flash_text = "Leeds Teaching Hospitals NHS Trust was saved",
		.errors = errs.e, .errors_n = errs.n, .footer_links = footer, .footer_links_n = 2,
	};
	struct buf b;
	buf_init(&b);
	web_page_begin(&b, &pg);
	html_raw(&b, "<div class=\"nhsuk-grid-row\">\n<div class=\"nhsuk-grid-column-two-thirds\">\n");
	html_printf(&b, "<h1>%s</h1>\n", pg.title);
	web_form_render(&b, &form, values, &errs, pg.csrf_token);
	html_raw(&b, "</div>\n</div>\n");

	static const struct web_column cols[] = { { "Organisation", false }, { "Code", false },
						   { "Status", false }, { "Systems", true } };
	struct web_table t;
	web_table_begin(&t, &b, "Member organisations", cols, BW_NELEM(cols));
	const char *rows[][2] = { { "Leeds Teaching Hospitals NHS Trust", "RR8" },
				  { "Bradford Teaching Hospitals NHS Foundation Trust", "RAE" },
				  { "=HYPERLINK(\"x\") Care Home", "VNX01" } };
	for (size_t i = 0; i < BW_NELEM(rows); i++) {
		web_table_row_begin(&t);
		char href[64];
		snprintf(href, sizeof href, "/orgs/%s", rows[i][1]);
		web_table_cell_link(&t, rows[i][0], href);
		web_table_cell(&t, rows[i][1]);
		web_table_cell_open(&t);
		web_tag(t.b, i == 1 ? "Overdue" : "Up to date", i == 1 ? WEB_TAG_RED : WEB_TAG_GREEN);
		web_table_cell_close(&t);
		web_table_cell_num(&t, (int64_t)(12 * i + 3));
		web_table_row_end(&t);
	}
	web_table_end(&t);
	web_pagination(&b, "/orgs?q=leeds", 3, 9);

	html_raw(&b, "<h2>Leeds Teaching Hospitals NHS Trust</h2>\n");
	web_summary_begin(&b);
	web_summary_row(&b, "ODS code", "RR8", NULL);
	web_summary_row(&b, "Type", "NHS trust", "/orgs/RR8/edit");
	web_summary_row(&b, "Parent", "", "/orgs/RR8/move");
	web_summary_end(&b);

	html_raw(&b, "<ul class=\"nhsuk-grid-row nhsuk-card-group\">\n");
	const char *cards[][2] = {
		{ "Critical systems and backups", "Record the systems patients depend on and test restoring them." },
		{ "Vulnerabilities", "See which of your software has known, exploited weaknesses." },
		{ "Alerts", "Read advisories from the national team and say what you did." },
	};
	for (size_t i = 0; i < BW_NELEM(cards); i++) {
		html_raw(&b, "<li class=\"nhsuk-grid-column-one-third nhsuk-card-group__item\">\n");
		web_placeholder_card(&b, cards[i][0], cards[i][1]);
		html_raw(&b, "</li>\n");
	}
	html_raw(&b, "</ul>\n");
	web_button_link(&b, "Download as CSV", "/orgs.csv", WEB_BUTTON_SECONDARY);
	web_page_end(&b, &pg);

	snprintf(path, sizeof path, "%s/sample.html", dir);
	int rc = sample_write(path, b.p, b.len);
	buf_reset(&b);
	web_error_page(&b, 404, &pg);
	snprintf(path, sizeof path, "%s/404.html", dir);
	rc |= sample_write(path, b.p, b.len);
	buf_free(&b);
	return rc ? 1 : 0;
}

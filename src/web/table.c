/*
 * table: NHS.UK tables (with captions, so a screen reader user knows which
 * table they are in), summary lists, tags, pagination and cards, including
 * the "coming later" card that stands in for a module not built yet.
 * Written as begin/cell/end calls so a page streams rows straight from a
 * query without building them in memory first.
 */
#include <string.h>

#include "web.h"

void web_table_begin(struct web_table *t, struct buf *b, const char *caption,
		     const struct web_column *cols, size_t n)
{
	t->b = b;
	t->numeric = 0;
	t->col = 0;
	/* the container scrolls sideways on narrow screens: keyboard users must be
	 * able to reach it, so it is focusable and named by the caption */
	html_printf(b, "<div class=\"nhsuk-table-container\" tabindex=\"0\" role=\"region\" aria-label=\"%s\">\n"
		       "<table class=\"nhsuk-table\">\n", caption ? caption : "Table");
	if (caption)
		html_printf(b, "<caption class=\"nhsuk-table__caption nhsuk-table__caption--m\">%s</caption>\n",
			    caption);
	html_raw(b, "<thead class=\"nhsuk-table__head\">\n<tr class=\"nhsuk-table__row\">\n");
	for (size_t i = 0; i < n; i++) {
		if (cols[i].numeric && i < 64)
			t->numeric |= 1ull << i;
		html_printf(b, "<th scope=\"col\" class=\"nhsuk-table__header%s\">%s</th>\n",
			    cols[i].numeric ? " nhsuk-table__header--numeric" : "", cols[i].heading);
	}
	html_raw(b, "</tr>\n</thead>\n<tbody class=\"nhsuk-table__body\">\n");
}

void web_table_row_begin(struct web_table *t)
{
	t->col = 0;
	html_raw(t->b, "<tr class=\"nhsuk-table__row\">\n");
}

void web_table_row_end(struct web_table *t)
{
	html_raw(t->b, "</tr>\n");
}

void web_table_cell_open(struct web_table *t)
{
	bool num = t->col < 64 && (t->numeric >> t->col) & 1;
	html_raw(t->b, num ? "<td class=\"nhsuk-table__cell nhsuk-table__cell--numeric\">" : "<td class=\"nhsuk-table__cell\">");
	t->col++;
}

void web_table_cell_close(struct web_table *t)
{
	html_raw(t->b, "</td>\n");
}

void web_table_cell(struct web_table *t, const char *text)
{
	web_table_cell_open(t);
	html_text(t->b, text);
	web_table_cell_close(t);
}

void web_table_cell_num(struct web_table *t, int64_t v)
{
	web_table_cell_open(t);
	buf_put_i64(t->b, v);
	web_table_cell_close(t);
}

void web_table_cell_link(struct web_table *t, const char *text, const char *href)
{
	web_table_cell_open(t);
	html_raw(t->b, "<a href=\"");
	html_href(t->b, href);
	html_printf(t->b, "\">%s</a>", text);
	web_table_cell_close(t);
}

void web_table_cell_head(struct web_table *t, const char *text)
{
	html_printf(t->b, "<th scope=\"row\" class=\"nhsuk-table__header\">%s</th>\n", text);
	t->col++;
}

void web_table_empty(struct web_table *t, size_t ncols, const char *text)
{
	html_printf(t->b, "<tr class=\"nhsuk-table__row\"><td class=\"nhsuk-table__cell\" "
			  "colspan=\"%zu\">%s</td></tr>\n", ncols ? ncols : 1, text);
}

void web_table_end(struct web_table *t)
{
	html_raw(t->b, "</tbody>\n</table>\n</div>\n");
}

/* ---- summary list ---- */

void web_summary_begin(struct buf *b)
{
	html_raw(b, "<dl class=\"nhsuk-summary-list\">\n");
}

void web_summary_row(struct buf *b, const char *key, const char *value,
		     const char *action_href)
{
	html_printf(b, "<div class=\"nhsuk-summary-list__row%s\">\n"
		       "<dt class=\"nhsuk-summary-list__key\">%s</dt>\n"
		       "<dd class=\"nhsuk-summary-list__value\">%s</dd>\n",
		    action_href ? "" : " nhsuk-summary-list__row--no-actions", key,
		    value && *value ? value : "Not recorded");
	if (action_href) {
		html_raw(b, "<dd class=\"nhsuk-summary-list__actions\"><a href=\"");
		html_href(b, action_href);
		html_printf(b, "\">Change<span class=\"nhsuk-u-visually-hidden\"> %s</span></a></dd>\n",
			    key);
	}
	html_raw(b, "</div>\n");
}

void web_summary_end(struct buf *b)
{
	html_raw(b, "</dl>\n");
}

/* ---- tags ---- */

void web_tag(struct buf *b, const char *text, enum web_tag_colour colour)
{
	static const char *const mod[] = {
		[WEB_TAG_BLUE] = "", [WEB_TAG_GREY] = " nhsuk-tag--grey",
		[WEB_TAG_GREEN] = " nhsuk-tag--green", [WEB_TAG_AQUA_GREEN] = " nhsuk-tag--aqua-green",
		[WEB_TAG_ORANGE] = " nhsuk-tag--orange", [WEB_TAG_PINK] = " nhsuk-tag--pink",
		[WEB_TAG_PURPLE] = " nhsuk-tag--purple", [WEB_TAG_RED] = " nhsuk-tag--red",
		[WEB_TAG_WHITE] = " nhsuk-tag--white", [WEB_TAG_YELLOW] = " nhsuk-tag--yellow",
	};
	const char *m = (unsigned)colour < BW_NELEM(mod) ? mod[colour] : "";
	html_printf(b, "<strong class=\"nhsuk-tag%s\">%s</strong>", m, text);
}

/* ---- pagination ---- */

static void table_page_href(struct buf *b, const char *base, int64_t page)
{
	html_href(b, base);
	html_raw(b, strchr(base, '?') ? "&amp;" : "?");
	html_printf(b, "page=%lld", (long long)page);
}

static void table_page_arrow(struct buf *b, const char *base, int64_t page, int64_t pages,
			     bool next)
{
	html_printf(b, "<li class=\"nhsuk-pagination-item--%s\">"
		       "<a class=\"nhsuk-pagination__link nhsuk-pagination__link--%s\" rel=\"%s\" href=\"",
		    next ? "next" : "previous", next ? "next" : "prev", next ? "next" : "prev");
	table_page_href(b, base, page);
	html_printf(b, "\"><span class=\"nhsuk-pagination__title\">%s</span>"
		       "<span class=\"nhsuk-u-visually-hidden\">:</span> "
		       "<span class=\"nhsuk-pagination__page\">Page %lld of %lld</span>",
		    next ? "Next" : "Previous", (long long)page, (long long)pages);
	if (next)
		html_raw(b, "<svg class=\"nhsuk-icon nhsuk-icon__arrow-right\" xmlns=\"http://www.w3.org/2000/svg\" "
			    "viewBox=\"0 0 24 24\" aria-hidden=\"true\" width=\"34\" height=\"34\">"
			    "<path d=\"M19.6 11.66l-2.73-3A.51.51 0 0 0 16 9v2H5a1 1 0 0 0 0 2h11v2a.5.5 0 0 0 "
			    ".32.46.39.39 0 0 0 .18 0 .52.52 0 0 0 .37-.16l2.73-3a.5.5 0 0 0 0-.64z\"></path></svg>");
	else
		html_raw(b, "<svg class=\"nhsuk-icon nhsuk-icon__arrow-left\" xmlns=\"http://www.w3.org/2000/svg\" "
			    "viewBox=\"0 0 24 24\" aria-hidden=\"true\" width=\"34\" height=\"34\">"
			    "<path d=\"M4.1 12.3l2.7 3c.2.2.5.2.7 0 .1-.1.1-.2.1-.3v-2h11c.6 0 1-.4 1-1s-.4-1-1-1h-11V9"
			    "c0-.2-.1-.4-.3-.5h-.2c-.1 0-.3.1-.4.2l-2.7 3c0 .2 0 .4.1.6z\"></path></svg>");
	html_raw(b, "</a></li>\n");
}

void web_pagination(struct buf *b, const char *href_base, int64_t page, int64_t pages)
{
	if (pages <= 1 || !href_base)
		return;
	if (page < 1)
		page = 1;
	if (page > pages)
		page = pages;
	html_raw(b, "<nav class=\"nhsuk-pagination bw-pagination\" role=\"navigation\" "
		    "aria-label=\"Pagination\">\n<ul class=\"nhsuk-list nhsuk-pagination__list\">\n");
	if (page > 1)
		table_page_arrow(b, href_base, page - 1, pages, false);
	if (page < pages)
		table_page_arrow(b, href_base, page + 1, pages, true);
	html_raw(b, "</ul>\n<ul class=\"bw-pagination__numbers\">\n");
	/* First, last, and the current page with its neighbours; a gap in the
	 * run is shown as an ellipsis. */
	int64_t last = 0;
	for (int64_t p = 1; p <= pages; p++) {
		if (p != 1 && p != pages && (p < page - 1 || p > page + 1))
			continue;
		if (last && p > last + 1)
			html_raw(b, "<li class=\"bw-pagination__gap\" aria-hidden=\"true\">&hellip;</li>\n");
		if (p == page) {
			html_printf(b, "<li class=\"bw-pagination__item bw-pagination__item--current\">"
				       "<span aria-current=\"page\"><span class=\"nhsuk-u-visually-hidden\">"
				       "Page </span>%lld</span></li>\n", (long long)p);
		} else {
			html_raw(b, "<li class=\"bw-pagination__item\"><a class=\"bw-pagination__link\" href=\"");
			table_page_href(b, href_base, p);
			html_printf(b, "\"><span class=\"nhsuk-u-visually-hidden\">Page </span>%lld</a></li>\n",
				    (long long)p);
		}
		last = p;
	}
	html_raw(b, "</ul>\n</nav>\n");
}

/* ---- cards ---- */

void web_placeholder_card(struct buf *b, const char *title, const char *text)
{
	html_printf(b, "<div class=\"nhsuk-card bw-card--placeholder\">\n<div class=\"nhsuk-card__content\">\n"
		       "<h2 class=\"nhsuk-card__heading nhsuk-heading-m\">%s</h2>\n", title);
	html_raw(b, "<p class=\"bw-card__status\">");
	web_tag(b, "Coming later", WEB_TAG_GREY);
	html_printf(b, "</p>\n<p class=\"nhsuk-card__description\">%s</p>\n"
		       "<p class=\"nhsuk-card__description bw-card__note\">This part of Bulwark is not built yet. "
		       "Nothing here is live.</p>\n</div>\n</div>\n", text);
}

void web_card_link(struct buf *b, const char *title, const char *text, const char *href)
{
	html_raw(b, "<div class=\"nhsuk-card nhsuk-card--clickable\">\n<div class=\"nhsuk-card__content\">\n"
		    "<h2 class=\"nhsuk-card__heading nhsuk-heading-m\"><a class=\"nhsuk-card__link\" href=\"");
	html_href(b, href);
	html_printf(b, "\">%s</a></h2>\n<p class=\"nhsuk-card__description\">%s</p>\n</div>\n</div>\n",
		    title, text);
}

/*
 * heatmap: the risk register's 5 x 5 scales in plain words (the NHS's usual
 * likelihood and consequence matrix), the score bands, and the heat map as
 * inline SVG with a text table beside it. No inline style (the CSP forbids
 * it): colours are SVG presentation attributes, which it allows. Text on
 * each cell colour meets AA contrast (white on green and red, black on
 * yellow and orange).
 */
#include <stdio.h>

#include "registers/suppliers_risks.h"

const char *sr_likelihood_label(int v)
{
	static const char *const l[] = { "Rare", "Unlikely", "Possible", "Likely", "Almost certain" };
	return v >= 1 && v <= 5 ? l[v - 1] : "Not set";
}

const char *sr_impact_label(int v)
{
	static const char *const l[] = { "Negligible", "Minor", "Moderate", "Major", "Catastrophic" };
	return v >= 1 && v <= 5 ? l[v - 1] : "Not set";
}

enum sr_band sr_band_of(int score)
{
	return score >= 15 ? SR_BAND_EXTREME : score >= 8 ? SR_BAND_HIGH : score >= 4 ? SR_BAND_MODERATE : SR_BAND_LOW;
}

const char *sr_band_label(enum sr_band b)
{
	static const char *const l[] = { "Low", "Moderate", "High", "Extreme" };
	return l[b <= SR_BAND_EXTREME ? b : 0];
}

enum web_tag_colour sr_band_tag(enum sr_band b)
{
	static const enum web_tag_colour c[] = { WEB_TAG_GREEN, WEB_TAG_YELLOW, WEB_TAG_ORANGE, WEB_TAG_RED };
	return c[b <= SR_BAND_EXTREME ? b : 0];
}

/* NHS.UK palette: green, warm yellow, orange, red; and the text on each. */
static const char *const band_fill[] = { "#007f3b", "#ffeb3b", "#ed8b00", "#d5281b" };
static const char *const band_ink[] = { "#ffffff", "#212b32", "#212b32", "#ffffff" };

#define CELL 64
#define LEFT 150
#define TOP 16
#define BOTTOM 96

void sr_heatmap_svg(struct buf *b, const char *id, const char *title, const int64_t counts[5][5])
{
	int64_t total = 0;
	for (int l = 0; l < 5; l++)
		for (int i = 0; i < 5; i++)
			total += counts[l][i];
	int w = LEFT + 5 * CELL + 8, h = TOP + 5 * CELL + BOTTOM;
	html_printf(b, "<svg class=\"bw-heatmap\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		       "width=\"100%%\" role=\"img\" aria-labelledby=\"%s-title %s-desc\" focusable=\"false\">",
		    w, h, id, id);
	html_printf(b, "<title id=\"%s-title\">%s</title>", id, title);
	html_printf(b, "<desc id=\"%s-desc\">%lld risks placed by likelihood (rows, rare at the bottom) and impact "
		       "(columns, negligible on the left). The table that follows gives the same counts.</desc>",
		    id, (long long)total);
	for (int l = 5; l >= 1; l--) {
		int y = TOP + (5 - l) * CELL;
		html_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"13\" fill=\"#212b32\">%d %s</text>",
			    LEFT - 8, y + CELL / 2 + 5, l, sr_likelihood_label(l));
		for (int i = 1; i <= 5; i++) {
			int x = LEFT + (i - 1) * CELL;
			enum sr_band band = sr_band_of(l * i);
			int64_t n = counts[l - 1][i - 1];
			html_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#ffffff\" "
				       "stroke-width=\"2\"/>",
				    x, y, CELL, CELL, band_fill[band]);
			if (n > 0)
				html_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"22\" "
					       "font-weight=\"bold\" fill=\"%s\">%lld</text>",
					    x + CELL / 2, y + CELL / 2 + 8, band_ink[band], (long long)n);
		}
	}
	for (int i = 1; i <= 5; i++) {
		int x = LEFT + (i - 1) * CELL + CELL / 2, y = TOP + 5 * CELL + 18;
		html_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\" fill=\"#212b32\">%d</text>",
			    x, y, i);
		html_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" fill=\"#212b32\">%s</text>",
			    x, y + 16, sr_impact_label(i));
	}
	html_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" fill=\"#212b32\">Impact</text>",
		    LEFT + 5 * CELL / 2, TOP + 5 * CELL + 62);
	html_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" fill=\"#212b32\" "
		       "transform=\"rotate(-90 14 %d)\">Likelihood</text>",
		    14, TOP + 5 * CELL / 2, TOP + 5 * CELL / 2);
	html_raw(b, "</svg>");
}

void sr_heatmap_table(struct buf *b, const char *caption, const int64_t inherent[5][5],
		      const int64_t residual[5][5])
{
	struct web_column cols[6] = { { "Likelihood", false } };
	char heads[5][48];
	for (int i = 1; i <= 5; i++) {
		snprintf(heads[i - 1], sizeof heads[i - 1], "Impact %d: %s", i, sr_impact_label(i));
		cols[i] = (struct web_column){ heads[i - 1], true };
	}
	struct web_table t;
	web_table_begin(&t, b, caption, cols, 6);
	for (int l = 5; l >= 1; l--) {
		char head[48];
		snprintf(head, sizeof head, "%d: %s", l, sr_likelihood_label(l));
		web_table_row_begin(&t);
		web_table_cell_head(&t, head);
		for (int i = 1; i <= 5; i++) {
			char cell[96];
			snprintf(cell, sizeof cell, "%lld before controls, %lld now (%s)", (long long)inherent[l - 1][i - 1],
				 (long long)residual[l - 1][i - 1], sr_band_label(sr_band_of(l * i)));
			web_table_cell(&t, cell);
		}
		web_table_row_end(&t);
	}
	web_table_end(&t);
}

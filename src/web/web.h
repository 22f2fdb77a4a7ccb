/*
 * web: everything that turns data into pages and responses, and nothing that
 * talks HTTP. Escaping writers (the only way HTML is produced), the NHS.UK
 * page shell, forms with the error-summary pattern and field validators,
 * tables, summary lists, tags, pagination, error pages, CSV export, JSON API
 * envelopes and the static assets compiled into the binary.
 * Depends on base only; the server and the routes call it.
 *
 * Output always goes into a struct buf. Text from users or the database goes
 * through html_text/html_attr/html_printf("%s"), which escape it; html_raw is
 * for markup written in this source tree, never for data.
 */
#ifndef BW_WEB_H
#define BW_WEB_H

#include "../base/base.h"
#include "../base/embedded.h"

/* Name of the hidden field carrying the per-session CSRF token. */
#define WEB_CSRF_FIELD "csrf_token"
/* Where the header's sign-out button posts. */
#define WEB_SIGN_OUT_PATH "/sign-out"
#define WEB_SERVICE_NAME "Bulwark"
/* Errors a form can report at once (more are dropped: the first ones show). */
#define WEB_FORM_MAX_ERRORS 32

/* ---- html.c: escaping writers ---- */

/* Escapes & < > " ' so the text is safe in element content and in quoted
 * attribute values. Invalid UTF-8 and control characters other than tab, LF
 * and CR become U+FFFD, so hostile bytes cannot reach the browser. */
void html_text(struct buf *b, const char *s);
void html_text_n(struct buf *b, const char *s, size_t n);
/* The same escaping, named for attribute values so call sites read clearly. */
void html_attr(struct buf *b, const char *s);
/* Trusted markup written in this source tree. Never pass data to it. */
void html_raw(struct buf *b, const char *markup);
/* printf for markup: the format is trusted markup; every %s argument is
 * escaped (NULL prints nothing). Only %s %d %u %ld %lld %zu %% are allowed;
 * anything else is a programming error (abort in test builds). */
void html_printf(struct buf *b, const char *fmt, ...) BW_PRINTF(2, 3);
void html_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Percent-encodes everything but A-Z a-z 0-9 - . _ ~ (for a path segment or
 * a query value inside an href; the result needs no further escaping). */
void html_url_component(struct buf *b, const char *s);
/* A link target: same-site paths ("/x", not "//x"), fragments ("#x"),
 * http: and https: URLs pass (escaped); anything else (javascript:, data:,
 * a bare word) becomes "#", so a stored value can never run script. */
void html_href(struct buf *b, const char *url);

/* ---- layout.c: the NHS.UK page shell ---- */

/* One primary navigation link as shown; the caller has already chosen which
 * entries this user may see (see web_nav_filter). */
struct web_nav_item {
	const char *label;
	const char *href;
	bool current;
};

/* The navigation table: modules add one entry each. roles is a bitmask the
 * caller defines (1u << role); 0 means everyone signed in. */
struct web_nav_entry {
	const char *label;
	const char *href;
	unsigned roles;
};

/* Copies the entries whose roles include any bit of role_mask into out
 * (at most max), marking the one that is a prefix of current_path (the
 * longest) as current. Returns how many were copied. */
size_t web_nav_filter(const struct web_nav_entry *all, size_t n, unsigned role_mask,
		      const char *current_path, struct web_nav_item *out, size_t max);

struct web_link {
	const char *label;
	const char *href;
};

enum web_flash {
	WEB_FLASH_NONE = 0,
	WEB_FLASH_SUCCESS,    /* "Success": something the user did worked */
	WEB_FLASH_IMPORTANT,  /* "Important": something they should know */
};

struct web_user {
	const char *name;
	const char *org_name;
	const char *profile_href;   /* optional: the name links here */
};

struct web_page {
	const char *title;              /* "<title> - Bulwark" in the tab */
	const struct web_user *user;    /* NULL: signed out, no navigation */
	const char *csrf_token;         /* for the sign-out form when user is set */
	const struct web_nav_item *nav;
	size_t nav_n;
	const struct web_link *breadcrumbs;  /* ancestors of this page, top first */
	size_t breadcrumbs_n;
	enum web_flash flash;
	const char *flash_text;
	/* Errors from a failed form post: shown in the error summary at the top
	 * of the page and "Error: " is put before the title. */
	const struct bw_error *errors;
	size_t errors_n;
	const struct web_link *footer_links;
	size_t footer_links_n;
};

/* Everything up to and including the opening of <main>; the caller then
 * writes the page content and calls web_page_end. */
void web_page_begin(struct buf *b, const struct web_page *page);
void web_page_end(struct buf *b, const struct web_page *page);

/* ---- form.c: forms, the error-summary pattern, validators ---- */

enum web_field_type {
	WEB_FIELD_TEXT,
	WEB_FIELD_EMAIL,
	WEB_FIELD_PASSWORD,   /* its value is never written back into the page */
	WEB_FIELD_NUMBER,
	WEB_FIELD_SELECT,
	WEB_FIELD_CHECKBOX,   /* checked when its value is "1", "on" or "true" */
	WEB_FIELD_TEXTAREA,
	WEB_FIELD_HIDDEN,
};

struct web_option {
	const char *value;
	const char *label;
};

struct web_field;
/* An extra check run after the built-in ones when the value is not empty;
 * returns BW_OK or fills err (field and message). */
typedef enum bw_err (*web_check_fn)(const struct web_field *f, const char *value,
				    struct bw_error *err);

struct web_field {
	const char *name;          /* form field name, also the element id */
	const char *label;
	const char *hint;          /* optional help under the label */
	enum web_field_type type;
	bool required;
	size_t max_len;            /* characters (code points); 0: LIM_NAME */
	int64_t min, max;          /* WEB_FIELD_NUMBER bounds (both 0: any int) */
	const char *autocomplete;  /* "email", "current-password", "one-time-code" */
	const char *width;         /* NHS.UK input width: "2", "4", "10", "20", "30" */
	const struct web_option *options;  /* WEB_FIELD_SELECT */
	size_t options_n;
	web_check_fn check;
	const char *required_msg;  /* default "Enter <label>" / "Select <label>" */
};

struct web_form {
	const char *action;
	const char *method;        /* NULL: "post" */
	const struct web_field *fields;
	size_t fields_n;
	const char *submit;        /* button label; NULL: "Continue" */
};

struct web_form_errors {
	struct bw_error e[WEB_FORM_MAX_ERRORS];
	size_t n;
};

void web_form_errors_init(struct web_form_errors *errs);
/* Adds an error (also for problems not tied to one field: field ""). */
void web_form_errors_add(struct web_form_errors *errs, const char *field, const char *msg);
const char *web_form_error_for(const struct web_form_errors *errs, const char *field);

/* Checks values[i] (NULL when absent) against fields[i]: required, length,
 * type, options, then the field's own check. Returns BW_OK or BW_EINVAL with
 * one error per bad field in errs, in form order. */
enum bw_err web_form_validate(const struct web_form *form, const char *const *values,
			      struct web_form_errors *errs);

/* The NHS.UK error summary: a heading and one link per error to #field. */
void web_error_summary(struct buf *b, const struct bw_error *errors, size_t n);
/* One field with label, hint, error message and aria-describedby. */
void web_field_render(struct buf *b, const struct web_field *f, const char *value,
		      const char *error);
/* The whole form: <form>, CSRF field, every field, the submit button.
 * values and errs may be NULL. */
void web_form_render(struct buf *b, const struct web_form *form, const char *const *values,
		     const struct web_form_errors *errs, const char *csrf_token);
void web_form_begin(struct buf *b, const char *action, const char *method,
		    const char *csrf_token);
void web_form_end(struct buf *b);
void web_csrf_input(struct buf *b, const char *token);

enum web_button_kind { WEB_BUTTON_PRIMARY, WEB_BUTTON_SECONDARY, WEB_BUTTON_WARNING };
void web_button(struct buf *b, const char *label, enum web_button_kind kind);
/* A link styled as a button (for "Download CSV", "Cancel"). */
void web_button_link(struct buf *b, const char *label, const char *href,
		     enum web_button_kind kind);

/* Validators: BW_OK, or BW_EINVAL with err->field = field and a message in
 * plain words that names the field by its label. value may be NULL (empty). */
enum bw_err web_valid_text(const char *field, const char *label, const char *value,
			   size_t min, size_t max, struct bw_error *err);
enum bw_err web_valid_email(const char *field, const char *label, const char *value,
			    struct bw_error *err);
enum bw_err web_valid_int(const char *field, const char *label, const char *value,
			  int64_t min, int64_t max, int64_t *out, struct bw_error *err);
/* ODS-style codes: A-Z and 0-9 only, 1 to LIM_ORG_CODE characters. */
enum bw_err web_valid_code(const char *field, const char *label, const char *value,
			   struct bw_error *err);
/* web_check_fn adapter for a code field. */
enum bw_err web_check_code(const struct web_field *f, const char *value, struct bw_error *err);
/* Number of code points in valid UTF-8 s. */
size_t web_utf8_len(const char *s);

/* ---- table.c: tables, summary lists, tags, pagination, cards ---- */

struct web_column {
	const char *heading;
	bool numeric;              /* right-aligned */
};

/* One table being written: cells are right-aligned where their column is
 * numeric (the first 64 columns). */
struct web_table {
	struct buf *b;
	unsigned long long numeric;
	size_t col;
};

void web_table_begin(struct web_table *t, struct buf *b, const char *caption,
		     const struct web_column *cols, size_t n);
void web_table_row_begin(struct web_table *t);
void web_table_row_end(struct web_table *t);
void web_table_cell(struct web_table *t, const char *text);
void web_table_cell_num(struct web_table *t, int64_t v);
void web_table_cell_link(struct web_table *t, const char *text, const char *href);
/* Row header (<th scope="row">) for the first cell of a row. */
void web_table_cell_head(struct web_table *t, const char *text);
/* For cells with mixed content: open, write to t->b with html_*, close. */
void web_table_cell_open(struct web_table *t);
void web_table_cell_close(struct web_table *t);
/* A single row spanning all columns, e.g. "No organisations match". */
void web_table_empty(struct web_table *t, size_t ncols, const char *text);
void web_table_end(struct web_table *t);

void web_summary_begin(struct buf *b);
/* An empty or NULL value shows "Not recorded". action_href may be NULL; the
 * action's link text is "Change" followed by a visually hidden key so screen
 * readers hear "Change name". */
void web_summary_row(struct buf *b, const char *key, const char *value,
		     const char *action_href);
void web_summary_end(struct buf *b);

enum web_tag_colour {
	WEB_TAG_BLUE = 0, WEB_TAG_GREY, WEB_TAG_GREEN, WEB_TAG_AQUA_GREEN, WEB_TAG_ORANGE,
	WEB_TAG_PINK, WEB_TAG_PURPLE, WEB_TAG_RED, WEB_TAG_WHITE, WEB_TAG_YELLOW,
};
void web_tag(struct buf *b, const char *text, enum web_tag_colour colour);

/* Previous/next links and page numbers. href_base is the page's URL with its
 * query so far ("/orgs" or "/orgs?q=x"); "page=N" is appended. page is
 * 1-based; nothing is written when pages <= 1. */
void web_pagination(struct buf *b, const char *href_base, int64_t page, int64_t pages);

/* A card for a module that is not built yet, clearly marked "Coming later". */
void web_placeholder_card(struct buf *b, const char *title, const char *text);
/* A card linking to a part of the service. */
void web_card_link(struct buf *b, const char *title, const char *text, const char *href);

/* ---- errors.c: error pages in plain words ---- */

/* Title for 400, 401, 403, 404, 405, 409, 413, 423, 429, 500 (others: 500's). */
const char *web_error_title(int status);
/* The heading and paragraphs for that status. */
void web_error_content(struct buf *b, int status);
/* A complete page: base supplies the user, nav and token (may be NULL). */
void web_error_page(struct buf *b, int status, const struct web_page *base);
/* The HTTP status for an error code: 400, 404, 403, 409, 413, 401, 423, 500. */
int web_err_status(enum bw_err code);

/* ---- csv.c: CSV export ---- */

/* RFC 4180: cells separated by commas, rows by CRLF, quoted when they hold
 * a comma, quote, CR or LF. A text cell starting with = + - @ tab or CR gets
 * a leading ' so a spreadsheet shows it rather than running it. */
struct web_csv {
	struct buf *b;
	size_t col;
};
void web_csv_init(struct web_csv *c, struct buf *b);
/* A UTF-8 byte-order mark, so spreadsheet programs read accents correctly. */
void web_csv_bom(struct web_csv *c);
void web_csv_cell(struct web_csv *c, const char *text);
void web_csv_cell_int(struct web_csv *c, int64_t v);
void web_csv_row_end(struct web_csv *c);

/* ---- json.c: JSON writer and the API envelopes ---- */

/* A streaming writer that places commas and colons itself, so the output is
 * well formed whenever begin/end calls pair up. Strings are escaped; invalid
 * UTF-8 becomes U+FFFD; < > & are written as \u escapes. */
struct web_json {
	struct buf *b;
	int depth;
	bool first[LIM_JSON_DEPTH + 1];   /* no value yet at this depth */
	char close[LIM_JSON_DEPTH + 1];   /* '}' or ']' for each open container */
	bool after_key;
};
void web_json_init(struct web_json *j, struct buf *b);
void web_json_object(struct web_json *j);
void web_json_array(struct web_json *j);
void web_json_end(struct web_json *j);       /* closes the innermost object/array */
/* Nesting deeper than LIM_JSON_DEPTH, or an end without a begin, aborts:
 * the shape of a response is fixed by code, so that is a programming error. */
void web_json_key(struct web_json *j, const char *key);
void web_json_str(struct web_json *j, const char *s);  /* NULL writes null */
void web_json_int(struct web_json *j, int64_t v);
void web_json_bool(struct web_json *j, bool v);
void web_json_null(struct web_json *j);
/* A JSON string literal with quotes, for callers that build JSON otherwise. */
void web_json_quote(struct buf *b, const char *s);

/* {"error":{"code":"invalid","message":"...","field":"name"}}; field is
 * null when the error names none. */
void web_json_error(struct buf *b, const struct bw_error *err);
/* {"data":[ ... then items written by the caller through j ... */
void web_json_list_begin(struct web_json *j, struct buf *b);
/* ... ],"page":{"next":"cursor"}} (next NULL: null, the last page). */
void web_json_list_end(struct web_json *j, const char *next);

/* ---- assets.c: static files compiled into the binary ---- */

/* name is the path under /assets/ ("bulwark.css", "favicons/favicon.ico");
 * a leading "/assets/" is accepted too. NULL when there is no such file. */
const struct embedded_file *web_asset_find(const char *name);
const char *web_asset_type(const struct embedded_file *f);  /* Content-Type */
/* Strong ETag, quotes included: "\"<16 hex of sha256>\"". Computed once. */
const char *web_asset_etag(const struct embedded_file *f);
/* All assets, ended by a {NULL} entry. */
extern const struct embedded_file web_assets[];

/* Asset paths the layout links to (stable names; the ETag handles caching). */
#define WEB_ASSET_CSS "/assets/nhsuk-9.6.4.min.css"
#define WEB_ASSET_JS "/assets/nhsuk-9.6.4.min.js"
#define WEB_ASSET_OUR_CSS "/assets/bulwark.css"
#define WEB_ASSET_OUR_JS "/assets/bulwark.js"

#endif

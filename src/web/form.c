/*
 * form: forms declared up front as tables of fields (as kcgi declares its
 * keys), each field validated before application code sees its value, and
 * rendered in the NHS.UK error pattern: an error summary at the top linking
 * to each bad field, the field's group marked, its message next to it and
 * tied to the input with aria-describedby.
 * Validators speak plain English and name the field by its label.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "web.h"
#include "web_int.h"

#define FORM_TEXTAREA_MAX 10000

/* ---- errors ---- */

void web_form_errors_init(struct web_form_errors *errs)
{
	errs->n = 0;
}

void web_form_errors_add(struct web_form_errors *errs, const char *field, const char *msg)
{
	if (errs->n >= WEB_FORM_MAX_ERRORS)
		return;
	struct bw_error *e = &errs->e[errs->n++];
	e->code = BW_EINVAL;
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	snprintf(e->msg, sizeof e->msg, "%s", msg ? msg : "");
}

const char *web_form_error_for(const struct web_form_errors *errs, const char *field)
{
	if (!errs || !field)
		return NULL;
	for (size_t i = 0; i < errs->n; i++)
		if (strcmp(errs->e[i].field, field) == 0)
			return errs->e[i].msg;
	return NULL;
}

/* ---- validators ---- */

size_t web_utf8_len(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xC0) != 0x80;
	return n;
}

/* "Email address" reads "email address" inside a sentence, but "ODS code"
 * keeps its capitals. */
static void form_label_lower(const char *label, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s", label ? label : "this field");
	if (isupper((unsigned char)out[0]) && islower((unsigned char)out[1]))
		out[0] = (char)tolower((unsigned char)out[0]);
}

static enum bw_err form_valid_chars(const char *field, const char *label, const char *v,
				    size_t min, size_t max, bool multiline, struct bw_error *err)
{
	const char *lab = label ? label : "This field";
	size_t n = v ? strlen(v) : 0;
	if (n && !bw_valid_utf8(v, n))
		return bw_fail(err, BW_EINVAL, field,
			       "%s contains characters that could not be read: type it again", lab);
	const unsigned char *p = (const unsigned char *)(v ? v : "");
	for (size_t i = 0; i < n;) {
		size_t len;
		int32_t cp = web_utf8_next(p + i, n - i, &len);
		bool ctl = cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
		if (ctl && !(multiline && (cp == '\n' || cp == '\r' || cp == '\t')))
			return bw_fail(err, BW_EINVAL, field, multiline
				       ? "%s must not contain invisible control characters"
				       : "%s must not contain line breaks, tabs or other invisible characters",
				       lab);
		i += len;
	}
	size_t chars = v ? web_utf8_len(v) : 0;
	if (chars < min) {
		if (min == 1 || chars == 0) {
			char lower[128];
			form_label_lower(label, lower, sizeof lower);
			return bw_fail(err, BW_EINVAL, field, "Enter %s", lower);
		}
		return bw_fail(err, BW_EINVAL, field, "%s must be %zu characters or more", lab, min);
	}
	if (chars > max)
		return bw_fail(err, BW_EINVAL, field, "%s must be %zu characters or fewer", lab, max);
	return BW_OK;
}

enum bw_err web_valid_text(const char *field, const char *label, const char *value,
			   size_t min, size_t max, struct bw_error *err)
{
	return form_valid_chars(field, label, value, min, max, false, err);
}

static bool form_domain_ok(const char *d)
{
	size_t label = 0, labels = 0;
	char prev = '.';
	for (const char *p = d; ; p++) {
		char c = *p;
		if (c == '.' || c == 0) {
			if (label == 0 || label > 63 || prev == '-')
				return false;
			labels++;
			label = 0;
			if (c == 0)
				break;
		} else if (isalnum((unsigned char)c) || c == '-') {
			if (label == 0 && c == '-')
				return false;
			label++;
		} else {
			return false;
		}
		prev = c;
	}
	return labels >= 2;
}

enum bw_err web_valid_email(const char *field, const char *label, const char *value,
			    struct bw_error *err)
{
	static const char msg[] = "Enter an email address in the correct format, like "
				  "name@example.nhs.uk";
	(void)label;
	if (!value || !*value)
		return bw_fail(err, BW_EINVAL, field, "Enter an email address");
	size_t n = strlen(value);
	if (n > LIM_EMAIL)
		return bw_fail(err, BW_EINVAL, field,
			       "Email address must be %d characters or fewer", LIM_EMAIL);
	const char *at = strchr(value, '@');
	if (!at || strchr(at + 1, '@') || at == value || at - value > 64)
		return bw_fail(err, BW_EINVAL, field, "%s", msg);
	/* The local part: the printable ASCII RFC 5322 allows unquoted, with no
	 * leading, trailing or doubled dot. */
	for (const char *p = value; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (!isalnum(c) && !strchr("!#$%&'*+/=?^_`{|}~.-", c))
			return bw_fail(err, BW_EINVAL, field, "%s", msg);
		if (c == '.' && (p == value || p + 1 == at || p[1] == '.'))
			return bw_fail(err, BW_EINVAL, field, "%s", msg);
	}
	if (!form_domain_ok(at + 1))
		return bw_fail(err, BW_EINVAL, field, "%s", msg);
	return BW_OK;
}

enum bw_err web_valid_int(const char *field, const char *label, const char *value,
			  int64_t min, int64_t max, int64_t *out, struct bw_error *err)
{
	const char *lab = label ? label : "This field";
	int64_t v;
	if (!value || !*value) {
		char lower[128];
		form_label_lower(label, lower, sizeof lower);
		return bw_fail(err, BW_EINVAL, field, "Enter %s", lower);
	}
	if (!str_to_i64(str_trim(str_c(value)), INT64_MIN, INT64_MAX, &v))
		return bw_fail(err, BW_EINVAL, field, "%s must be a whole number, like 12", lab);
	if (v < min || v > max) {
		if (min == INT64_MIN)
			return bw_fail(err, BW_EINVAL, field, "%s must be %lld or less", lab,
				       (long long)max);
		if (max == INT64_MAX)
			return bw_fail(err, BW_EINVAL, field, "%s must be %lld or more", lab,
				       (long long)min);
		return bw_fail(err, BW_EINVAL, field, "%s must be between %lld and %lld", lab,
			       (long long)min, (long long)max);
	}
	if (out)
		*out = v;
	return BW_OK;
}

enum bw_err web_valid_code(const char *field, const char *label, const char *value,
			   struct bw_error *err)
{
	const char *lab = label ? label : "Code";
	if (!value || !*value) {
		char lower[128];
		form_label_lower(lab, lower, sizeof lower);
		return bw_fail(err, BW_EINVAL, field, "Enter %s", lower);
	}
	size_t n = strlen(value);
	if (n > LIM_ORG_CODE)
		return bw_fail(err, BW_EINVAL, field, "%s must be %d characters or fewer", lab,
			       LIM_ORG_CODE);
	for (size_t i = 0; i < n; i++) {
		char c = value[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return bw_fail(err, BW_EINVAL, field,
				       "%s must contain only capital letters A to Z and numbers 0 to 9, "
				       "like RX1 or B82005", lab);
	}
	return BW_OK;
}

enum bw_err web_check_code(const struct web_field *f, const char *value, struct bw_error *err)
{
	return web_valid_code(f->name, f->label, value, err);
}

static bool form_checked(const char *v)
{
	return v && (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true"));
}

static bool form_blank(const char *v)
{
	if (!v)
		return true;
	for (; *v; v++)
		if (*v != ' ')
			return false;
	return true;
}

static size_t form_max_len(const struct web_field *f)
{
	if (f->max_len)
		return f->max_len;
	if (f->type == WEB_FIELD_TEXTAREA)
		return FORM_TEXTAREA_MAX;
	if (f->type == WEB_FIELD_PASSWORD)
		return LIM_PASSWORD_MAX;
	if (f->type == WEB_FIELD_EMAIL)
		return LIM_EMAIL;
	return LIM_NAME;
}

static enum bw_err form_check_field(const struct web_field *f, const char *v,
				    struct bw_error *err)
{
	bool choice = f->type == WEB_FIELD_SELECT || f->type == WEB_FIELD_CHECKBOX;
	bool missing = f->type == WEB_FIELD_CHECKBOX ? !form_checked(v) : form_blank(v);
	if (missing) {
		if (!f->required)
			return BW_OK;
		if (f->required_msg)
			return bw_fail(err, BW_EINVAL, f->name, "%s", f->required_msg);
		char lower[128];
		form_label_lower(f->label, lower, sizeof lower);
		return bw_fail(err, BW_EINVAL, f->name, "%s %s", choice ? "Select" : "Enter", lower);
	}
	enum bw_err rc = BW_OK;
	switch (f->type) {
	case WEB_FIELD_EMAIL:
		rc = web_valid_email(f->name, f->label, v, err);
		break;
	case WEB_FIELD_NUMBER: {
		bool any = f->min == 0 && f->max == 0;
		rc = web_valid_int(f->name, f->label, v, any ? INT64_MIN : f->min,
				   any ? INT64_MAX : f->max, NULL, err);
		break;
	}
	case WEB_FIELD_SELECT: {
		size_t i = 0;
		while (i < f->options_n && strcmp(v, f->options[i].value) != 0)
			i++;
		if (i == f->options_n) {
			char lower[128];
			form_label_lower(f->label, lower, sizeof lower);
			rc = bw_fail(err, BW_EINVAL, f->name, "Select %s from the list", lower);
		}
		break;
	}
	case WEB_FIELD_CHECKBOX:
		break;
	case WEB_FIELD_TEXTAREA:
		rc = form_valid_chars(f->name, f->label, v, 0, form_max_len(f), true, err);
		break;
	default:
		rc = web_valid_text(f->name, f->label, v, 0, form_max_len(f), err);
		break;
	}
	if (rc == BW_OK && f->check)
		rc = f->check(f, v, err);
	return rc;
}

enum bw_err web_form_validate(const struct web_form *form, const char *const *values,
			      struct web_form_errors *errs)
{
	enum bw_err rc = BW_OK;
	for (size_t i = 0; i < form->fields_n; i++) {
		struct bw_error e = { 0 };
		if (form_check_field(&form->fields[i], values ? values[i] : NULL, &e) != BW_OK) {
			web_form_errors_add(errs, e.field[0] ? e.field : form->fields[i].name, e.msg);
			rc = BW_EINVAL;
		}
	}
	return rc;
}

/* ---- rendering ---- */

void web_error_summary(struct buf *b, const struct bw_error *errors, size_t n)
{
	if (!n)
		return;
	/* role="alert" and the focus nhsuk-frontend gives it on load make a
	 * screen reader announce the problems first. */
	html_raw(b, "<div class=\"nhsuk-error-summary\" aria-labelledby=\"error-summary-title\" "
		    "role=\"alert\" tabindex=\"-1\">\n"
		    "<h2 class=\"nhsuk-error-summary__title\" id=\"error-summary-title\">There is a problem</h2>\n"
		    "<div class=\"nhsuk-error-summary__body\">\n"
		    "<ul class=\"nhsuk-list nhsuk-error-summary__list\" role=\"list\">\n");
	for (size_t i = 0; i < n; i++) {
		if (errors[i].field[0])
			html_printf(b, "<li><a href=\"#%s\">%s</a></li>\n", errors[i].field, errors[i].msg);
		else
			html_printf(b, "<li>%s</li>\n", errors[i].msg);
	}
	html_raw(b, "</ul>\n</div>\n</div>\n");
}

void web_csrf_input(struct buf *b, const char *token)
{
	if (token)
		html_printf(b, "<input type=\"hidden\" name=\"" WEB_CSRF_FIELD "\" value=\"%s\">\n", token);
}

static void form_label_hint_error(struct buf *b, const struct web_field *f, const char *error,
				  bool label)
{
	if (label)
		html_printf(b, "<label class=\"nhsuk-label\" for=\"%s\">%s</label>\n", f->name, f->label);
	if (f->hint)
		html_printf(b, "<div class=\"nhsuk-hint\" id=\"%s-hint\">%s</div>\n", f->name, f->hint);
	if (error)
		html_printf(b, "<span class=\"nhsuk-error-message\" id=\"%s-error\">"
			       "<span class=\"nhsuk-u-visually-hidden\">Error:</span> %s</span>\n",
			    f->name, error);
}

static void form_describedby(struct buf *b, const struct web_field *f, const char *error)
{
	if (!f->hint && !error)
		return;
	html_raw(b, " aria-describedby=\"");
	if (f->hint)
		html_printf(b, "%s-hint", f->name);
	if (error)
		html_printf(b, "%s%s-error", f->hint ? " " : "", f->name);
	html_raw(b, "\"");
}

static void form_input(struct buf *b, const struct web_field *f, const char *value,
		       const char *error)
{
	const char *type = "text", *ac = f->autocomplete, *extra = "";
	switch (f->type) {
	case WEB_FIELD_EMAIL:
		type = "email";
		ac = ac ? ac : "email";
		extra = " spellcheck=\"false\"";
		break;
	case WEB_FIELD_PASSWORD:
		type = "password";
		ac = ac ? ac : "current-password";
		value = NULL;  /* a password is never sent back to the browser */
		break;
	case WEB_FIELD_NUMBER:
		/* GOV.UK's advice: type=number rounds and scrolls; a text input
		 * with the numeric keyboard does neither. */
		extra = " inputmode=\"numeric\"";
		break;
	default:
		break;
	}
	html_printf(b, "<input class=\"nhsuk-input%s%s%s\" id=\"%s\" name=\"%s\" type=\"%s\"",
		    f->width ? " nhsuk-input--width-" : "", f->width ? f->width : "",
		    error ? " nhsuk-input--error" : "", f->name, f->name, type);
	if (value && *value)
		html_printf(b, " value=\"%s\"", value);
	form_describedby(b, f, error);
	if (ac)
		html_printf(b, " autocomplete=\"%s\"", ac);
	html_raw(b, extra);
	html_raw(b, ">\n");
}

void web_field_render(struct buf *b, const struct web_field *f, const char *value,
		      const char *error)
{
	if (f->type == WEB_FIELD_HIDDEN) {
		html_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"%s\">\n", f->name,
			    value ? value : "");
		return;
	}
	html_printf(b, "<div class=\"nhsuk-form-group%s\">\n", error ? " nhsuk-form-group--error" : "");
	switch (f->type) {
	case WEB_FIELD_SELECT:
		form_label_hint_error(b, f, error, true);
		html_printf(b, "<select class=\"nhsuk-select%s\" id=\"%s\" name=\"%s\"",
			    error ? " nhsuk-select--error" : "", f->name, f->name);
		form_describedby(b, f, error);
		html_raw(b, ">\n");
		for (size_t i = 0; i < f->options_n; i++)
			html_printf(b, "<option value=\"%s\"%s>%s</option>\n", f->options[i].value,
				    value && !strcmp(value, f->options[i].value) ? " selected" : "",
				    f->options[i].label);
		html_raw(b, "</select>\n");
		break;
	case WEB_FIELD_TEXTAREA:
		form_label_hint_error(b, f, error, true);
		html_printf(b, "<textarea class=\"nhsuk-textarea%s\" id=\"%s\" name=\"%s\" rows=\"5\"",
			    error ? " nhsuk-textarea--error" : "", f->name, f->name);
		form_describedby(b, f, error);
		if (f->autocomplete)
			html_printf(b, " autocomplete=\"%s\"", f->autocomplete);
		/* A newline straight after <textarea> is dropped by the parser, so
		 * one is written first to keep a value's own leading newline. */
		html_printf(b, ">\n%s</textarea>\n", value);
		break;
	case WEB_FIELD_CHECKBOX:
		/* The hint sits under the label inside the item, as NHS.UK does. */
		if (error)
			html_printf(b, "<span class=\"nhsuk-error-message\" id=\"%s-error\">"
				       "<span class=\"nhsuk-u-visually-hidden\">Error:</span> %s</span>\n",
				    f->name, error);
		html_printf(b, "<div class=\"nhsuk-checkboxes\">\n<div class=\"nhsuk-checkboxes__item\">\n"
			       "<input class=\"nhsuk-checkboxes__input\" id=\"%s\" name=\"%s\" "
			       "type=\"checkbox\" value=\"1\"%s",
			    f->name, f->name, form_checked(value) ? " checked" : "");
		form_describedby(b, f, error);
		html_printf(b, ">\n<label class=\"nhsuk-label nhsuk-checkboxes__label\" for=\"%s\">%s</label>\n",
			    f->name, f->label);
		if (f->hint)
			html_printf(b, "<div class=\"nhsuk-hint nhsuk-checkboxes__hint\" id=\"%s-hint\">%s</div>\n",
				    f->name, f->hint);
		html_raw(b, "</div>\n</div>\n");
		break;
	default:
		form_label_hint_error(b, f, error, true);
		form_input(b, f, value, error);
		break;
	}
	html_raw(b, "</div>\n");
}

void web_form_begin(struct buf *b, const char *action, const char *method,
		    const char *csrf_token)
{
	/* novalidate: the server's messages follow the NHS.UK pattern; the
	 * browser's own pop-ups do not and are not read out consistently. */
	html_raw(b, "<form action=\"");
	html_href(b, action);
	html_printf(b, "\" method=\"%s\" novalidate>\n", method ? method : "post");
	if (!method || strcmp(method, "get") != 0)
		web_csrf_input(b, csrf_token);
}

void web_form_end(struct buf *b)
{
	html_raw(b, "</form>\n");
}

void web_form_render(struct buf *b, const struct web_form *form, const char *const *values,
		     const struct web_form_errors *errs, const char *csrf_token)
{
	web_form_begin(b, form->action, form->method, csrf_token);
	for (size_t i = 0; i < form->fields_n; i++) {
		const struct web_field *f = &form->fields[i];
		web_field_render(b, f, values ? values[i] : NULL, web_form_error_for(errs, f->name));
	}
	web_button(b, form->submit ? form->submit : "Continue", WEB_BUTTON_PRIMARY);
	web_form_end(b);
}

static const char *form_button_class(enum web_button_kind kind)
{
	switch (kind) {
	case WEB_BUTTON_SECONDARY: return " nhsuk-button--secondary";
	case WEB_BUTTON_WARNING: return " nhsuk-button--warning";
	default: return "";
	}
}

void web_button(struct buf *b, const char *label, enum web_button_kind kind)
{
	html_printf(b, "<button class=\"nhsuk-button%s\" data-module=\"nhsuk-button\" "
		       "type=\"submit\">%s</button>\n", form_button_class(kind), label);
}

void web_button_link(struct buf *b, const char *label, const char *href,
		     enum web_button_kind kind)
{
	html_printf(b, "<a class=\"nhsuk-button%s\" data-module=\"nhsuk-button\" "
		       "draggable=\"false\" href=\"", form_button_class(kind));
	html_href(b, href);
	html_printf(b, "\">%s</a>\n", label);
}

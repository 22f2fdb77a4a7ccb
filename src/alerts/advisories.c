/*
 * advisories: the alerts module's tables, an advisory's fields and checks,
 * its life (draft -> in review -> published -> revised ... -> withdrawn),
 * each change audited in its own transaction, and the one visibility rule
 * (TLP 2.0) every read path goes through.
 *
 * The working copy lives as JSON in advisories.draft; each published
 * revision's full content is kept in advisory_revisions, so what an
 * organisation was told, and what changed, is never lost. The columns title,
 * type, severity, tlp, ack_hours and update_days hold the latest published
 * revision's values (the draft's before the first publication): they drive
 * deadlines and visibility.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"
#include "alerts/outbox.h"

const struct db_migration alerts_migrations[] = {
	{ "alerts/0001_advisories",
	  "CREATE TABLE advisories ("
	  " id TEXT PRIMARY KEY,"
	  " prefix TEXT NOT NULL,"
	  " seq {{INT}} NOT NULL,"
	  " owner_org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " state TEXT NOT NULL,"
	  " revision {{INT}} NOT NULL DEFAULT 0,"
	  " title TEXT NOT NULL,"
	  " type TEXT NOT NULL,"
	  " severity TEXT NOT NULL,"
	  " tlp TEXT NOT NULL,"
	  " ack_hours {{INT}} NOT NULL,"
	  " update_days {{INT}} NOT NULL,"
	  " draft TEXT NOT NULL,"
	  " created_by TEXT NOT NULL,"
	  " created_at {{INT}} NOT NULL,"
	  " updated_at {{INT}} NOT NULL,"
	  " submitted_by TEXT,"
	  " published_at {{INT}},"
	  " published_by TEXT,"
	  " withdrawn_at {{INT}},"
	  " withdrawn_reason TEXT,"
	  " UNIQUE (prefix, seq));"
	  "CREATE TABLE advisory_revisions ("
	  " advisory_id TEXT NOT NULL REFERENCES advisories(id),"
	  " revision {{INT}} NOT NULL,"
	  " published_at {{INT}} NOT NULL,"
	  " published_by TEXT NOT NULL,"
	  " reviewed_by TEXT,"
	  " tlp TEXT NOT NULL,"
	  " change_note TEXT NOT NULL DEFAULT '',"
	  " content TEXT NOT NULL,"
	  " PRIMARY KEY (advisory_id, revision));"
	  "CREATE TABLE advisory_targets ("
	  " advisory_id TEXT NOT NULL REFERENCES advisories(id),"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " revision {{INT}} NOT NULL,"
	  " PRIMARY KEY (advisory_id, org_id));"
	  "CREATE INDEX advisory_targets_org ON advisory_targets(org_id);"
	  "CREATE TABLE advisory_responses ("
	  " advisory_id TEXT NOT NULL REFERENCES advisories(id),"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " state TEXT NOT NULL,"
	  " issued_at {{INT}} NOT NULL,"
	  " ack_due {{INT}},"
	  " acknowledged_at {{INT}},"
	  " acknowledged_by TEXT,"
	  " answered_at {{INT}},"
	  " answered_by TEXT,"
	  " applicability TEXT NOT NULL DEFAULT '',"
	  " reason TEXT NOT NULL DEFAULT '',"
	  " next_update_due {{INT}},"
	  " last_update_at {{INT}},"
	  " closed_at {{INT}},"
	  " closed_by TEXT,"
	  " closure TEXT NOT NULL DEFAULT '',"
	  " closure_note TEXT NOT NULL DEFAULT '',"
	  " risk_id {{INT}},"
	  " on_behalf_of TEXT,"
	  " escalation {{INT}} NOT NULL DEFAULT 0,"
	  " escalated_at {{INT}},"
	  " updated_at {{INT}} NOT NULL,"
	  " PRIMARY KEY (advisory_id, org_id));"
	  "CREATE INDEX advisory_responses_org ON advisory_responses(org_id, state);"
	  "CREATE INDEX advisory_responses_due ON advisory_responses(state, escalation);"
	  "CREATE TABLE response_events ("
	  " id {{ID}},"
	  " advisory_id TEXT NOT NULL REFERENCES advisories(id),"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " at {{INT}} NOT NULL,"
	  " kind TEXT NOT NULL,"
	  " actor TEXT NOT NULL,"
	  " actor_org TEXT NOT NULL DEFAULT '',"
	  " on_behalf {{INT}} NOT NULL DEFAULT 0,"
	  " note TEXT NOT NULL DEFAULT '',"
	  " next_due {{INT}});"
	  "CREATE INDEX response_events_resp ON response_events(advisory_id, org_id, at);" },
	{ NULL, NULL },
};

/* ---- fields ---- */

static const struct web_option types[] = {
	{ "high_severity_alert", "High severity alert" },
	{ "alert", "Alert" },
	{ "bulletin", "Bulletin" },
};
static const struct web_option severities[] = {
	{ "critical", "Critical" }, { "high", "High" }, { "medium", "Medium" }, { "low", "Low" },
};
static const struct web_option tlps[] = {
	{ "CLEAR", "TLP:CLEAR - anyone may see it" },
	{ "GREEN", "TLP:GREEN - every organisation in the service" },
	{ "AMBER", "TLP:AMBER - the target organisations, their members and their ICS" },
	{ "AMBER+STRICT", "TLP:AMBER+STRICT - the target organisations only" },
	{ "RED", "TLP:RED - named target organisations only" },
};
static const struct web_option target_kinds[] = {
	{ "all", "Every organisation" },
	{ "areas", "Organisations in chosen regions or ICSs" },
	{ "list", "A list of organisations I choose" },
	{ "exposed", "Organisations whose software is exposed (from the vulnerability feeds)" },
};

static enum bw_err check_hours(const struct web_field *f, const char *v, struct bw_error *err)
{
	int64_t n;
	return web_valid_int(f->name, f->label, v, 0, ALERTS_ACK_HOURS_MAX, &n, err);
}

static enum bw_err check_days(const struct web_field *f, const char *v, struct bw_error *err)
{
	int64_t n;
	return web_valid_int(f->name, f->label, v, 1, ALERTS_UPDATE_DAYS_MAX, &n, err);
}

static enum bw_err check_date(const struct web_field *f, const char *v, struct bw_error *err)
{
	int64_t t;
	if (alerts_date_parse(v, &t))
		return BW_OK;
	return bw_fail(err, BW_EINVAL, f->name, "%s must be a real date, like 27/10/2026", f->label);
}

const struct web_field alerts_fields[AF_NFIELDS] = {
	[AF_TITLE] = { .name = "title", .label = "Title", .hint = "What is affected and what the risk is, like: Critical vulnerability in Citrix NetScaler ADC",
		       .type = WEB_FIELD_TEXT, .required = true, .max_len = ALERTS_TITLE_MAX },
	[AF_TYPE] = { .name = "type", .label = "Type", .type = WEB_FIELD_SELECT, .required = true,
		      .options = types, .options_n = BW_NELEM(types) },
	[AF_SEVERITY] = { .name = "severity", .label = "Severity", .type = WEB_FIELD_SELECT, .required = true,
			  .options = severities, .options_n = BW_NELEM(severities) },
	[AF_THREAT] = { .name = "threat_type", .label = "Threat type", .hint = "For example: remote code execution, ransomware, phishing",
			.type = WEB_FIELD_TEXT, .max_len = LIM_NAME },
	[AF_TLP] = { .name = "tlp", .label = "Traffic Light Protocol label", .hint = "Who may see this advisory",
		     .type = WEB_FIELD_SELECT, .required = true, .options = tlps, .options_n = BW_NELEM(tlps) },
	[AF_SUMMARY] = { .name = "summary", .label = "Summary", .hint = "Two or three sentences a non-specialist can act on",
			 .type = WEB_FIELD_TEXTAREA, .required = true, .max_len = ALERTS_TEXT_MAX },
	[AF_DETAILS] = { .name = "details", .label = "Threat details", .type = WEB_FIELD_TEXTAREA, .max_len = ALERTS_TEXT_MAX },
	[AF_CVES] = { .name = "cves", .label = "CVE IDs", .hint = "Separated by commas or spaces, like CVE-2023-4966",
		      .type = WEB_FIELD_TEXT, .max_len = ALERTS_LIST_MAX },
	[AF_PRODUCTS] = { .name = "products", .label = "Affected products",
			  .hint = "One per line: vendor, product and versions, or a CPE or purl with a version range",
			  .type = WEB_FIELD_TEXTAREA, .max_len = ALERTS_LIST_MAX },
	[AF_REMEDIATION] = { .name = "remediation", .label = "Remediation steps", .type = WEB_FIELD_TEXTAREA,
			     .required = true, .max_len = ALERTS_TEXT_MAX },
	[AF_IOCS] = { .name = "iocs", .label = "Indicators of compromise", .hint = "One per line: addresses, domains, file hashes",
		      .type = WEB_FIELD_TEXTAREA, .max_len = ALERTS_TEXT_MAX },
	[AF_REFS] = { .name = "references", .label = "References", .hint = "One web address per line",
		      .type = WEB_FIELD_TEXTAREA, .max_len = ALERTS_LIST_MAX },
	[AF_ACK_HOURS] = { .name = "ack_hours", .label = "Hours to acknowledge",
			   .hint = "48 for a high severity alert; 0 if no acknowledgement is needed",
			   .type = WEB_FIELD_NUMBER, .width = "4", .max_len = 4, .check = check_hours },
	[AF_UPDATE_DAYS] = { .name = "update_days", .label = "Days between updates", .hint = "Usually 3",
			     .type = WEB_FIELD_NUMBER, .width = "4", .max_len = 3, .check = check_days },
	[AF_REMEDIATION_DUE] = { .name = "remediation_due", .label = "Remediation due date (optional)",
				 .hint = "For example, 27/10/2026", .type = WEB_FIELD_TEXT, .width = "10", .max_len = 40,
				 .check = check_date },
	[AF_TARGET_KIND] = { .name = "target_kind", .label = "Who should receive it", .type = WEB_FIELD_SELECT,
			     .required = true, .options = target_kinds, .options_n = BW_NELEM(target_kinds) },
	[AF_TARGET_TYPES] = { .name = "target_types", .label = "Only these kinds of organisation (optional)",
			      .hint = "Separated by commas, like: nhs_trust, gp_practice. Empty: every kind",
			      .type = WEB_FIELD_TEXT, .max_len = 400 },
	[AF_TARGET_CODES] = { .name = "target_codes", .label = "Organisation, region or ICS codes",
			      .hint = "For chosen areas or a list: ODS codes separated by commas or spaces",
			      .type = WEB_FIELD_TEXTAREA, .max_len = ALERTS_LIST_MAX },
	[AF_CHANGE_NOTE] = { .name = "change_note", .label = "What changed in this revision",
			     .hint = "Needed when revising a published advisory", .type = WEB_FIELD_TEXTAREA,
			     .max_len = ALERTS_NOTE_MAX },
};

static const char *label_of(const struct web_option *o, size_t n, const char *v)
{
	for (size_t i = 0; v && i < n; i++)
		if (strcmp(o[i].value, v) == 0)
			return o[i].label;
	return v ? v : "";
}

const char *alerts_type_label(const char *type)
{
	return label_of(types, BW_NELEM(types), type);
}

static const char *const tlp_labels[TLP_COUNT] = { "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED" };

const char *alerts_tlp_label(enum alerts_tlp t)
{
	return (unsigned)t < TLP_COUNT ? tlp_labels[t] : "TLP:RED";
}

bool alerts_tlp_parse(const char *s, enum alerts_tlp *out)
{
	if (!s)
		return false;
	if (strncmp(s, "TLP:", 4) == 0)
		s += 4;
	for (int i = 0; i < TLP_COUNT; i++)
		if (strcmp(s, tlp_labels[i] + 4) == 0) {
			*out = (enum alerts_tlp)i;
			return true;
		}
	return false;
}

static const char *const state_names[] = { "draft", "in_review", "published", "withdrawn" };
static const char *const state_labels[] = { "Draft", "In review", "Published", "Withdrawn" };

const char *alerts_state_name(enum alerts_state s)
{
	return state_names[s];
}

const char *alerts_state_label(enum alerts_state s)
{
	return state_labels[s];
}

static enum alerts_state state_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && strcmp(s, state_names[i]) == 0)
			return (enum alerts_state)i;
	return ADV_DRAFT;
}

/* ---- checks ---- */

static bool is_code_char(char ch)
{
	return isupper((unsigned char)ch) || isdigit((unsigned char)ch);
}

/* Every CVE ID looks like CVE-YYYY-NNNN+; separators are commas and spaces. */
static bool cves_ok(const char *s, char *bad, size_t badn)
{
	while (s && *s) {
		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		const char *b = s;
		while (*s && *s != ',' && !isspace((unsigned char)*s))
			s++;
		size_t n = (size_t)(s - b);
		bool ok = n >= 13 && n <= 24 && strncmp(b, "CVE-", 4) == 0 && b[8] == '-';
		for (size_t i = 4; ok && i < n; i++)
			ok = i == 8 || isdigit((unsigned char)b[i]);
		if (!ok) {
			snprintf(bad, badn, "%.*s", (int)(n > 40 ? 40 : n), b);
			return false;
		}
	}
	return true;
}

static bool types_ok(const char *s, char *bad, size_t badn)
{
	while (s && *s) {
		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		const char *b = s;
		while (*s && *s != ',' && !isspace((unsigned char)*s))
			s++;
		char name[32];
		snprintf(name, sizeof name, "%.*s", (int)((size_t)(s - b) > 31 ? 31 : (size_t)(s - b)), b);
		enum org_type t;
		if (!org_type_parse(name, &t) || t == ORG_NATIONAL || t == ORG_REGION || t == ORG_SUPPLIER) {
			snprintf(bad, badn, "%s", name);
			return false;
		}
	}
	return true;
}

enum bw_err alerts_validate(const char *const *v, struct web_form_errors *errs)
{
	struct web_form f = { .fields = alerts_fields, .fields_n = AF_NFIELDS };
	web_form_validate(&f, v, errs);
	char bad[64];
	if (v[AF_CVES] && !web_form_error_for(errs, "cves") && !cves_ok(v[AF_CVES], bad, sizeof bad)) {
		char m[160];
		snprintf(m, sizeof m, "CVE IDs must look like CVE-2023-4966: %s does not", bad);
		web_form_errors_add(errs, "cves", m);
	}
	if (v[AF_TARGET_TYPES] && !web_form_error_for(errs, "target_types") && !types_ok(v[AF_TARGET_TYPES], bad, sizeof bad)) {
		char m[200];
		snprintf(m, sizeof m, "%s is not a kind of organisation that receives alerts: use nhs_trust, gp_practice, "
				      "care_provider, pharmacy, dental_practice, ics or other", bad);
		web_form_errors_add(errs, "target_types", m);
	}
	const char *k = v[AF_TARGET_KIND];
	if (k && (strcmp(k, "areas") == 0 || strcmp(k, "list") == 0) &&
	    (!v[AF_TARGET_CODES] || !str_trim(str_c(v[AF_TARGET_CODES])).n) && !web_form_error_for(errs, "target_codes"))
		web_form_errors_add(errs, "target_codes", strcmp(k, "areas") == 0
				    ? "Enter the codes of the regions or ICSs to send it to"
				    : "Enter the codes of the organisations to send it to");
	return errs->n ? BW_EINVAL : BW_OK;
}

/* ---- JSON form of the content ---- */

static char *content_json(const char *const *v)
{
	json_t *o = json_object();
	for (size_t i = 0; i < AF_NFIELDS; i++)
		json_object_set_new(o, alerts_fields[i].name, json_string(v[i] ? v[i] : ""));
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

static void content_read(const char *json, struct arena *a, const char **v)
{
	json_error_t je;
	json_t *o = json ? json_loads(json, 0, &je) : NULL;
	for (size_t i = 0; i < AF_NFIELDS; i++) {
		json_t *s = o ? json_object_get(o, alerts_fields[i].name) : NULL;
		v[i] = arena_strdup(a, s && json_is_string(s) ? json_string_value(s) : "");
	}
	json_decref(o);
}

/* ---- reading ---- */

static const char *dup0(struct arena *a, const char *s)
{
	return arena_strdup(a, s ? s : "");
}

enum bw_err alerts_get(struct db *db, struct arena *a, const char *id, struct alerts_advisory *out)
{
	if (!id || strlen(id) > ALERTS_ID_MAX)
		return BW_ENOTFOUND;
	struct db_stmt *st = db_prep(db, "SELECT a.id, a.owner_org_id, o.path, a.state, a.revision, a.tlp, a.draft,"
					 " a.created_at, a.updated_at, coalesce(a.published_at, 0), coalesce(a.withdrawn_at, 0),"
					 " a.created_by, a.published_by, a.withdrawn_reason"
					 " FROM advisories a JOIN orgs o ON o.id = a.owner_org_id WHERE a.id = ?1");
	db_bind_text(st, 1, id);
	if (db_step(st) != DB_ROW)
		return BW_ENOTFOUND;
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", db_col_text(st, 0));
	out->owner_org_id = db_col_i64(st, 1);
	snprintf(out->owner_path, sizeof out->owner_path, "%s", db_col_text(st, 2));
	out->state = state_parse(db_col_text(st, 3));
	out->revision = (int)db_col_i64(st, 4);
	if (!alerts_tlp_parse(db_col_text(st, 5), &out->tlp))
		out->tlp = TLP_RED;   /* unreadable: the most restrictive */
	content_read(db_col_text(st, 6), a, out->v);
	out->created_at = db_col_i64(st, 7);
	out->updated_at = db_col_i64(st, 8);
	out->published_at = db_col_i64(st, 9);
	out->withdrawn_at = db_col_i64(st, 10);
	out->created_by = dup0(a, db_col_text(st, 11));
	out->published_by = dup0(a, db_col_text(st, 12));
	out->withdrawn_reason = dup0(a, db_col_text(st, 13));
	db_reset(st);
	return BW_OK;
}

enum bw_err alerts_revision_get(struct db *db, struct arena *a, const char *id, int rev, const char **v,
				int64_t *published_at, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "SELECT content, published_at, change_note FROM advisory_revisions"
					 " WHERE advisory_id = ?1 AND (revision = ?2 OR (?2 = 0 AND revision ="
					 " (SELECT max(revision) FROM advisory_revisions WHERE advisory_id = ?1)))");
	db_bind_text(st, 1, id);
	db_bind_i64(st, 2, rev);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such revision of %s", id);
	content_read(db_col_text(st, 0), a, v);
	v[AF_CHANGE_NOTE] = dup0(a, db_col_text(st, 2));
	if (published_at)
		*published_at = db_col_i64(st, 1);
	db_reset(st);
	return BW_OK;
}

/* ---- visibility ---- */

bool alerts_is_author(const struct actor *a, const struct alerts_advisory *adv)
{
	if (!a || a->user_id <= 0 || (a->role != ROLE_ANALYST && a->role != ROLE_ADMIN))
		return false;
	size_t n = strlen(a->org_path);
	return n > 0 && strncmp(adv->owner_path, a->org_path, n) == 0;
}

/* The organisation ids along path "/1/3/7/" (the organisation and its
 * ancestors), at most max. */
static size_t path_ids(const char *path, int64_t *ids, size_t max)
{
	size_t n = 0;
	const char *p = path;
	while (*p == '/' && n < max) {
		char *end;
		long long v = strtoll(p + 1, &end, 10);
		if (end == p + 1 || *end != '/')
			break;
		ids[n++] = v;
		p = end;
	}
	return n;
}

static bool targeted(struct db *db, const char *adv, int64_t org_id)
{
	struct db_stmt *st = db_prep(db, "SELECT 1 FROM advisory_targets WHERE advisory_id = ?1 AND org_id = ?2");
	db_bind_text(st, 1, adv);
	db_bind_i64(st, 2, org_id);
	bool ok = db_step(st) == DB_ROW;
	if (ok)
		db_reset(st);
	return ok;
}

bool alerts_visible(struct db *db, const struct actor *a, const struct alerts_advisory *adv, int64_t as_org)
{
	if (!a || a->user_id <= 0)
		return false;
	if (alerts_is_author(a, adv))
		return true;
	if (adv->revision <= 0)
		return false;   /* never published: the authors only */
	struct org o;
	if (as_org == 0 || as_org == a->org_id) {
		as_org = a->org_id;
		snprintf(o.path, sizeof o.path, "%s", a->org_path);
	} else {
		if (orgs_get(db, as_org, &o, NULL) != BW_OK)
			return false;
		struct org_ref ref = { o.id, "" };
		snprintf(ref.path, sizeof ref.path, "%s", o.path);
		if (!orgs_can(a, ACT_VIEW, &ref))
			return false;
	}
	switch (adv->tlp) {
	case TLP_CLEAR:
	case TLP_GREEN:
		return true;
	case TLP_AMBER: {
		/* targeted itself, or below a target (the organisation and its clients) */
		int64_t ids[16];
		size_t n = path_ids(o.path, ids, 16);
		for (size_t i = 0; i < n; i++)
			if (targeted(db, adv->id, ids[i]))
				return true;
		/* or above a target: the ICS that oversees a member */
		char lo[256], hi[256];
		orgs_subtree_bounds(o.path, lo, hi);
		struct db_stmt *st = db_prep(db, "SELECT 1 FROM orgs o JOIN advisory_targets t ON t.org_id = o.id"
						 " AND t.advisory_id = ?3 WHERE o.path >= ?1 AND o.path < ?2 LIMIT 1");
		db_bind_text(st, 1, lo);
		db_bind_text(st, 2, hi);
		db_bind_text(st, 3, adv->id);
		bool ok = db_step(st) == DB_ROW;
		if (ok)
			db_reset(st);
		return ok;
	}
	case TLP_AMBER_STRICT:
	case TLP_RED:
	default:
		/* the target organisations only: nobody reads it on their behalf */
		return as_org == a->org_id && targeted(db, adv->id, as_org);
	}
}

/* ---- changes ---- */

struct change {
	const struct actor *by;
	const char *id;
	const char *const *v;
	const char *reason;
	char *id_out;
	int64_t targets;
};

static const char *who(const struct actor *a)
{
	return a->user_id ? a->email : "cli";
}

static enum bw_err audit_adv(struct db *db, const struct actor *by, int64_t org_id, const char *id,
			     const char *action, const char *summary, struct bw_error *err)
{
	char object[48];
	snprintf(object, sizeof object, "advisory:%s", id);
	struct audit_rec r = { by->user_id, who(by), org_id, action, object, summary };
	return audit_append(db, &r, err);
}

static int64_t num(const char *s, int64_t dflt)
{
	int64_t n;
	return s && *s && str_to_i64(str_trim(str_c(s)), 0, 1000000, &n) ? n : dflt;
}

/* The deadlines a type implies when the author leaves them empty: 48 hours
 * to acknowledge a high severity alert, 5 days for an alert, none for a
 * bulletin; updates every 3 days. */
static int64_t ack_hours_of(const char *const *v)
{
	int64_t dflt = v[AF_TYPE] && strcmp(v[AF_TYPE], "high_severity_alert") == 0 ? 48
		       : v[AF_TYPE] && strcmp(v[AF_TYPE], "alert") == 0 ? 120 : 0;
	return num(v[AF_ACK_HOURS], dflt);
}

static int64_t update_days_of(const char *const *v)
{
	return num(v[AF_UPDATE_DAYS], 3);
}

static const char *prefix_of(void)
{
	const char *p = getenv("BULWARK_ALERT_PREFIX");
	if (!p || !*p || strlen(p) > 8)
		return "CC";
	for (const char *q = p; *q; q++)
		if (!is_code_char(*q))
			return "CC";
	return p;
}

/* The working copy with defaults written in, so what is stored says what applies. */
static void with_defaults(const char *const *v, const char **out, char hours[24], char days[24])
{
	for (size_t i = 0; i < AF_NFIELDS; i++)
		out[i] = v[i] ? v[i] : "";
	snprintf(hours, 24, "%lld", (long long)ack_hours_of(v));
	snprintf(days, 24, "%lld", (long long)update_days_of(v));
	out[AF_ACK_HOURS] = hours;
	out[AF_UPDATE_DAYS] = days;
}

static enum bw_err create_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct change *c = arg;
	const char *prefix = prefix_of();
	struct db_stmt *st = db_prep(db, "SELECT coalesce(max(seq), 0) + 1 FROM advisories WHERE prefix = ?1");
	db_bind_text(st, 1, prefix);
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "numbering the advisory");
	int64_t seq = db_col_i64(st, 0);
	db_reset(st);
	snprintf(c->id_out, ALERTS_ID_MAX + 1, "%s-%04lld", prefix, (long long)seq);
	const char *v[AF_NFIELDS];
	char hours[24], days[24];
	with_defaults(c->v, v, hours, days);
	char *json = content_json(v);
	int64_t now = bw_now();
	st = db_prep(db, "INSERT INTO advisories (id, prefix, seq, owner_org_id, state, revision, title, type, severity,"
			 " tlp, ack_hours, update_days, draft, created_by, created_at, updated_at)"
			 " VALUES (?1, ?2, ?3, ?4, 'draft', 0, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)");
	db_bind_text(st, 1, c->id_out);
	db_bind_text(st, 2, prefix);
	db_bind_i64(st, 3, seq);
	int64_t owner = c->by->org_id ? c->by->org_id
		      : db_query_i64(db, "SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1", 0);
	db_bind_i64(st, 4, owner);
	db_bind_text(st, 5, v[AF_TITLE]);
	db_bind_text(st, 6, v[AF_TYPE]);
	db_bind_text(st, 7, v[AF_SEVERITY]);
	db_bind_text(st, 8, v[AF_TLP]);
	db_bind_i64(st, 9, ack_hours_of(v));
	db_bind_i64(st, 10, update_days_of(v));
	db_bind_text(st, 11, json);
	db_bind_text(st, 12, c->by->user_id ? c->by->name : "Demo data");
	db_bind_i64(st, 13, now);
	int rc = db_step(st);
	free(json);
	if (rc == DB_ERR)
		return db_fail(db, err, "adding the advisory");
	char summary[ALERTS_TITLE_MAX + 64];
	snprintf(summary, sizeof summary, "Drafted %s: %s", c->id_out, v[AF_TITLE]);
	return audit_adv(db, c->by, owner, c->id_out, "advisory.create", summary, err);
}

static enum bw_err first_error(const struct web_form_errors *errs, struct bw_error *err)
{
	return bw_fail(err, BW_EINVAL, errs->e[0].field, "%s", errs->e[0].msg);
}

enum bw_err alerts_create(struct db *db, const struct actor *by, const char *const *v, char id_out[ALERTS_ID_MAX + 1],
			  struct bw_error *err)
{
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	if (alerts_validate(v, &errs) != BW_OK)
		return first_error(&errs, err);
	if (alerts_targets_check(db, (const char *const *)v, err) != BW_OK)
		return err->code;
	struct change c = { .by = by, .v = v, .id_out = id_out };
	return db_tx(db, true, create_tx, &c, err);
}

/* The advisory's row inside a transaction. */
static enum bw_err row(struct db *db, const char *id, int64_t *owner, enum alerts_state *state, int *rev,
		       struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "SELECT owner_org_id, state, revision FROM advisories WHERE id = ?1");
	db_bind_text(st, 1, id);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such advisory");
	*owner = db_col_i64(st, 0);
	*state = state_parse(db_col_text(st, 1));
	*rev = (int)db_col_i64(st, 2);
	db_reset(st);
	return BW_OK;
}

static enum bw_err update_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct change *c = arg;
	int64_t owner;
	enum alerts_state state;
	int rev;
	if (row(db, c->id, &owner, &state, &rev, err) != BW_OK)
		return err->code;
	if (state == ADV_WITHDRAWN)
		return bw_fail(err, BW_ECONFLICT, NULL, "%s has been withdrawn and cannot be changed", c->id);
	const char *v[AF_NFIELDS];
	char hours[24], days[24];
	with_defaults(c->v, v, hours, days);
	char *json = content_json(v);
	/* before the first publication the columns follow the draft; after it
	 * they keep the published revision's values until the next one */
	struct db_stmt *st = db_prep(db, "UPDATE advisories SET draft = ?2, updated_at = ?3, state = 'draft',"
					 " title = CASE WHEN revision = 0 THEN ?4 ELSE title END,"
					 " type = CASE WHEN revision = 0 THEN ?5 ELSE type END,"
					 " severity = CASE WHEN revision = 0 THEN ?6 ELSE severity END,"
					 " tlp = CASE WHEN revision = 0 THEN ?7 ELSE tlp END,"
					 " ack_hours = CASE WHEN revision = 0 THEN ?8 ELSE ack_hours END,"
					 " update_days = CASE WHEN revision = 0 THEN ?9 ELSE update_days END WHERE id = ?1");
	db_bind_text(st, 1, c->id);
	db_bind_text(st, 2, json);
	db_bind_i64(st, 3, bw_now());
	db_bind_text(st, 4, v[AF_TITLE]);
	db_bind_text(st, 5, v[AF_TYPE]);
	db_bind_text(st, 6, v[AF_SEVERITY]);
	db_bind_text(st, 7, v[AF_TLP]);
	db_bind_i64(st, 8, ack_hours_of(v));
	db_bind_i64(st, 9, update_days_of(v));
	int rc = db_step(st);
	free(json);
	if (rc == DB_ERR)
		return db_fail(db, err, "saving the advisory");
	char summary[ALERTS_TITLE_MAX + 64];
	snprintf(summary, sizeof summary, "%s %s: %s", rev ? "Revision drafted for" : "Draft changed", c->id, v[AF_TITLE]);
	return audit_adv(db, c->by, owner, c->id, "advisory.update", summary, err);
}

enum bw_err alerts_update(struct db *db, const struct actor *by, const char *id, const char *const *v,
			  struct bw_error *err)
{
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	if (alerts_validate(v, &errs) != BW_OK)
		return first_error(&errs, err);
	if (alerts_targets_check(db, (const char *const *)v, err) != BW_OK)
		return err->code;
	struct change c = { .by = by, .id = id, .v = v };
	return db_tx(db, true, update_tx, &c, err);
}

static enum bw_err submit_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct change *c = arg;
	int64_t owner;
	enum alerts_state state;
	int rev;
	if (row(db, c->id, &owner, &state, &rev, err) != BW_OK)
		return err->code;
	if (state != ADV_DRAFT)
		return bw_fail(err, BW_ECONFLICT, NULL, "Only a draft can be sent for review: %s is %s", c->id,
			       alerts_state_label(state));
	struct db_stmt *st = db_prep(db, "UPDATE advisories SET state = 'in_review', submitted_by = ?2, updated_at = ?3"
					 " WHERE id = ?1");
	db_bind_text(st, 1, c->id);
	db_bind_text(st, 2, c->by->user_id ? c->by->name : "Demo data");
	db_bind_i64(st, 3, bw_now());
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "sending the advisory for review");
	return audit_adv(db, c->by, owner, c->id, "advisory.submit", "Sent for review", err);
}

enum bw_err alerts_submit(struct db *db, const struct actor *by, const char *id, struct bw_error *err)
{
	struct change c = { .by = by, .id = id };
	return db_tx(db, true, submit_tx, &c, err);
}

static enum bw_err return_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct change *c = arg;
	int64_t owner;
	enum alerts_state state;
	int rev;
	if (row(db, c->id, &owner, &state, &rev, err) != BW_OK)
		return err->code;
	if (state != ADV_IN_REVIEW)
		return bw_fail(err, BW_ECONFLICT, NULL, "%s is not in review", c->id);
	struct db_stmt *st = db_prep(db, "UPDATE advisories SET state = 'draft', updated_at = ?2 WHERE id = ?1");
	db_bind_text(st, 1, c->id);
	db_bind_i64(st, 2, bw_now());
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "returning the advisory to draft");
	char summary[ALERTS_NOTE_MAX + 32];
	snprintf(summary, sizeof summary, "Returned to draft: %s", c->reason && *c->reason ? c->reason : "no reason given");
	return audit_adv(db, c->by, owner, c->id, "advisory.return", summary, err);
}

enum bw_err alerts_return_to_draft(struct db *db, const struct actor *by, const char *id, const char *reason,
				   struct bw_error *err)
{
	if (reason && strlen(reason) > ALERTS_NOTE_MAX)
		return bw_fail(err, BW_ELIMIT, "reason", "The reason must be %d characters or fewer", ALERTS_NOTE_MAX);
	struct change c = { .by = by, .id = id, .reason = reason };
	return db_tx(db, true, return_tx, &c, err);
}

static enum bw_err publish_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct change *c = arg;
	int64_t owner;
	enum alerts_state state;
	int rev;
	if (row(db, c->id, &owner, &state, &rev, err) != BW_OK)
		return err->code;
	if (state != ADV_IN_REVIEW)
		return bw_fail(err, BW_ECONFLICT, NULL, state == ADV_PUBLISHED ? "%s is already published: change it to "
				       "prepare a revision" : "Send %s for review before publishing it", c->id);
	struct arena a;
	arena_init(&a);
	const char *v[AF_NFIELDS];
	struct db_stmt *st = db_prep(db, "SELECT draft FROM advisories WHERE id = ?1");
	db_bind_text(st, 1, c->id);
	if (db_step(st) != DB_ROW) {
		arena_free(&a);
		return db_fail(db, err, "reading the advisory");
	}
	content_read(db_col_text(st, 0), &a, v);
	db_reset(st);
	enum bw_err rc = BW_OK;
	if (rev > 0 && !str_trim(str_c(v[AF_CHANGE_NOTE])).n) {
		rc = bw_fail(err, BW_EINVAL, "change_note", "Say what changed in this revision");
		goto out;
	}
	int next = rev + 1;
	int64_t now = bw_now();
	char *json = content_json(v);
	st = db_prep(db, "INSERT INTO advisory_revisions (advisory_id, revision, published_at, published_by, reviewed_by,"
			 " tlp, change_note, content) VALUES (?1, ?2, ?3, ?4, (SELECT submitted_by FROM advisories"
			 " WHERE id = ?1), ?5, ?6, ?7)");
	db_bind_text(st, 1, c->id);
	db_bind_i64(st, 2, next);
	db_bind_i64(st, 3, now);
	db_bind_text(st, 4, c->by->user_id ? c->by->name : "Demo data");
	db_bind_text(st, 5, v[AF_TLP]);
	db_bind_text(st, 6, rev > 0 ? v[AF_CHANGE_NOTE] : "First published");
	db_bind_text(st, 7, json);
	int s = db_step(st);
	free(json);
	if (s == DB_ERR) {
		rc = db_fail(db, err, "recording the revision");
		goto out;
	}
	/* the clear note is kept with its revision; the next one starts empty */
	v[AF_CHANGE_NOTE] = "";
	json = content_json(v);
	st = db_prep(db, "UPDATE advisories SET state = 'published', revision = ?2, title = ?3, type = ?4, severity = ?5,"
			 " tlp = ?6, ack_hours = ?7, update_days = ?8, published_at = coalesce(published_at, ?9),"
			 " published_by = coalesce(published_by, ?10), updated_at = ?9, draft = ?11 WHERE id = ?1");
	db_bind_text(st, 1, c->id);
	db_bind_i64(st, 2, next);
	db_bind_text(st, 3, v[AF_TITLE]);
	db_bind_text(st, 4, v[AF_TYPE]);
	db_bind_text(st, 5, v[AF_SEVERITY]);
	db_bind_text(st, 6, v[AF_TLP]);
	db_bind_i64(st, 7, ack_hours_of(v));
	db_bind_i64(st, 8, update_days_of(v));
	db_bind_i64(st, 9, now);
	db_bind_text(st, 10, c->by->user_id ? c->by->name : "Demo data");
	db_bind_text(st, 11, json);
	s = db_step(st);
	free(json);
	if (s == DB_ERR) {
		rc = db_fail(db, err, "publishing the advisory");
		goto out;
	}
	int64_t added = 0;
	if ((rc = alerts_targets_fill(db, c->id, next, &added, err)) != BW_OK)
		goto out;
	st = db_prep(db, "SELECT count(*) FROM advisory_targets WHERE advisory_id = ?1");
	db_bind_text(st, 1, c->id);
	if (db_step(st) == DB_ROW) {
		c->targets = db_col_i64(st, 0);
		db_reset(st);
	}
	if (c->targets == 0) {
		rc = bw_fail(err, BW_EINVAL, "target_kind", "No organisation matches who should receive it: change the "
			     "targeting");
		goto out;
	}
	/* a response for every new target, with its deadlines from now */
	int64_t hours = ack_hours_of(v);
	st = db_prep(db, "INSERT INTO advisory_responses (advisory_id, org_id, state, issued_at, ack_due, updated_at)"
			 " SELECT ?1, org_id, 'issued', ?3, CAST(?4 AS BIGINT), ?3 FROM advisory_targets"
			 " WHERE advisory_id = ?1 AND revision = ?2");
	db_bind_text(st, 1, c->id);
	db_bind_i64(st, 2, next);
	db_bind_i64(st, 3, now);
	if (hours > 0)
		db_bind_i64(st, 4, alerts_ack_due(now, (int)hours));
	else
		db_bind_null(st, 4);
	if (db_step(st) == DB_ERR) {
		rc = db_fail(db, err, "issuing the responses");
		goto out;
	}
	st = db_prep(db, "INSERT INTO response_events (advisory_id, org_id, at, kind, actor, note)"
			 " SELECT ?1, org_id, ?3, 'issued', ?4, ?5 FROM advisory_targets WHERE advisory_id = ?1 AND revision = ?2");
	db_bind_text(st, 1, c->id);
	db_bind_i64(st, 2, next);
	db_bind_i64(st, 3, now);
	db_bind_text(st, 4, c->by->user_id ? c->by->name : "Demo data");
	db_bind_text(st, 5, next == 1 ? "Issued" : "Issued with revision");
	if (db_step(st) == DB_ERR) {
		rc = db_fail(db, err, "recording the responses");
		goto out;
	}
	if ((rc = outbox_enqueue_advisory(db, c->id, next, next == 1 ? "published" : "revised", err)) != BW_OK)
		goto out;
	char summary[ALERTS_TITLE_MAX + 128];
	snprintf(summary, sizeof summary, "Published revision %d of %s to %lld organisations (%lld new): %s", next, c->id,
		 (long long)c->targets, (long long)added, v[AF_TITLE]);
	rc = audit_adv(db, c->by, owner, c->id, next == 1 ? "advisory.publish" : "advisory.revise", summary, err);
out:
	arena_free(&a);
	return rc;
}

enum bw_err alerts_publish(struct db *db, const struct actor *by, const char *id, int64_t *targets_out,
			   struct bw_error *err)
{
	struct change c = { .by = by, .id = id };
	enum bw_err rc = db_tx(db, true, publish_tx, &c, err);
	if (rc == BW_OK && targets_out)
		*targets_out = c.targets;
	/* A national alert adds tens of thousands of responses at once. Until
	 * autovacuum next looks (up to a minute), PostgreSQL would plan the
	 * roll-up as if they were not there: 0.3 s a page instead of 0.09 s,
	 * just when the analyst opens it. The statistics are taken now instead
	 * (a sample: tens of milliseconds); a failure only costs speed. */
	if (rc == BW_OK && c.targets >= ALERTS_ANALYZE_AFTER && db_kind(db) == DB_POSTGRES) {
		struct bw_error e = { 0 };
		if (db_exec(db, "ANALYZE advisory_responses, advisory_targets", &e) != BW_OK)
			log_warn("alerts: statistics after publishing %s: %s", id, e.msg);
	}
	return rc;
}

static enum bw_err withdraw_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct change *c = arg;
	int64_t owner;
	enum alerts_state state;
	int rev;
	if (row(db, c->id, &owner, &state, &rev, err) != BW_OK)
		return err->code;
	if (state == ADV_WITHDRAWN)
		return bw_fail(err, BW_ECONFLICT, NULL, "%s has already been withdrawn", c->id);
	int64_t now = bw_now();
	struct db_stmt *st = db_prep(db, "UPDATE advisories SET state = 'withdrawn', withdrawn_at = ?2, withdrawn_reason = ?3,"
					 " updated_at = ?2 WHERE id = ?1");
	db_bind_text(st, 1, c->id);
	db_bind_i64(st, 2, now);
	db_bind_text(st, 3, c->reason);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "withdrawing the advisory");
	/* open responses end: nothing is asked of anyone any more */
	st = db_prep(db, "INSERT INTO response_events (advisory_id, org_id, at, kind, actor, note)"
			 " SELECT advisory_id, org_id, ?2, 'withdrawn', ?3, ?4 FROM advisory_responses"
			 " WHERE advisory_id = ?1 AND state <> 'closed'");
	db_bind_text(st, 1, c->id);
	db_bind_i64(st, 2, now);
	db_bind_text(st, 3, c->by->user_id ? c->by->name : "Demo data");
	db_bind_text(st, 4, c->reason);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "recording the withdrawal");
	st = db_prep(db, "UPDATE advisory_responses SET state = 'closed', closure = 'withdrawn', closed_at = ?2, updated_at = ?2"
			 " WHERE advisory_id = ?1 AND state <> 'closed'");
	db_bind_text(st, 1, c->id);
	db_bind_i64(st, 2, now);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "closing the responses");
	if (rev > 0 && outbox_enqueue_advisory(db, c->id, rev, "withdrawn", err) != BW_OK)
		return err->code;
	char summary[ALERTS_NOTE_MAX + 64];
	snprintf(summary, sizeof summary, "Withdrawn: %s", c->reason);
	return audit_adv(db, c->by, owner, c->id, "advisory.withdraw", summary, err);
}

enum bw_err alerts_withdraw(struct db *db, const struct actor *by, const char *id, const char *reason,
			    struct bw_error *err)
{
	if (!reason || !str_trim(str_c(reason)).n)
		return bw_fail(err, BW_EINVAL, "reason", "Say why the advisory is withdrawn");
	if (strlen(reason) > ALERTS_NOTE_MAX)
		return bw_fail(err, BW_ELIMIT, "reason", "The reason must be %d characters or fewer", ALERTS_NOTE_MAX);
	struct change c = { .by = by, .id = id, .reason = reason };
	return db_tx(db, true, withdraw_tx, &c, err);
}

/*
 * suppliers: the supplier register's tables, its access rule, the changes
 * people make (each audited in its own transaction) and the demo seed.
 *
 * One supplier used by many organisations is ONE record, owned where it is
 * assessed (an ICS or the national team), and LINKED by each organisation
 * that uses it (supplier_links): assess once, reuse. Each organisation keeps
 * its own contracts (supplier_contracts.org_id). Who may see a record is
 * sr_supplier_access() (see suppliers_risks.h): the owner's subtree, the
 * organisations linking it and their ancestors, and — when the owner offers
 * it — the organisations below the owner. The pipeline's check covers the
 * owner's subtree only, so the pages that a linking organisation may read
 * declare no target and call sr_supplier_access() first (suppliers_pages.c);
 * every change declares the supplier (or contract) as its target, so only the
 * owner's subtree can edit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registers/suppliers_risks.h"

const struct db_migration suppliers_migrations[] = {
	{ "registers/0001_suppliers",
	  "CREATE TABLE suppliers ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " name TEXT NOT NULL,"
	  " company_number TEXT,"
	  " services TEXT NOT NULL DEFAULT '',"
	  " shared {{INT}} NOT NULL DEFAULT 0,"
	  " ce_level TEXT NOT NULL DEFAULT 'none',"
	  " ce_cert TEXT NOT NULL DEFAULT '',"
	  " ce_expiry TEXT,"
	  " iso_scope TEXT NOT NULL DEFAULT '',"
	  " iso_expiry TEXT,"
	  " dspt_status TEXT NOT NULL DEFAULT 'not_published',"
	  " dspt_year TEXT NOT NULL DEFAULT '',"
	  " synthetic {{INT}} NOT NULL DEFAULT 0,"
	  " created_at {{INT}} NOT NULL,"
	  " updated_at {{INT}} NOT NULL);"
	  "CREATE INDEX suppliers_org ON suppliers(org_id, name);"
	  "CREATE TABLE supplier_links ("
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " supplier_id {{INT}} NOT NULL REFERENCES suppliers(id),"
	  " linked_at {{INT}} NOT NULL,"
	  " PRIMARY KEY (org_id, supplier_id));"
	  "CREATE INDEX supplier_links_supplier ON supplier_links(supplier_id, org_id);"
	  "CREATE TABLE supplier_contracts ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " supplier_id {{INT}} NOT NULL REFERENCES suppliers(id),"
	  " reference TEXT NOT NULL,"
	  " start_date TEXT NOT NULL,"
	  " end_date TEXT,"
	  " security_clauses {{INT}} NOT NULL DEFAULT 0,"
	  " incident_duty {{INT}} NOT NULL DEFAULT 0,"
	  " notify_hours {{INT}},"
	  " created_at {{INT}} NOT NULL,"
	  " updated_at {{INT}} NOT NULL);"
	  "CREATE INDEX supplier_contracts_supplier ON supplier_contracts(supplier_id, org_id);"
	  "CREATE INDEX supplier_contracts_org ON supplier_contracts(org_id);"
	  "CREATE TABLE supplier_contacts ("
	  " id {{ID}},"
	  " supplier_id {{INT}} NOT NULL REFERENCES suppliers(id),"
	  " name TEXT NOT NULL,"
	  " role TEXT NOT NULL DEFAULT '',"
	  " email TEXT NOT NULL DEFAULT '',"
	  " phone TEXT NOT NULL DEFAULT '',"
	  " created_at {{INT}} NOT NULL);"
	  "CREATE INDEX supplier_contacts_supplier ON supplier_contacts(supplier_id);" },
	{ NULL, NULL },
};

/* ---- fields ---- */

static const struct web_option ce_options[] = {
	{ "none", "None" }, { "ce", "Cyber Essentials" }, { "ce_plus", "Cyber Essentials Plus" },
};
static const struct web_option dspt_options[] = {
	{ "not_published", "Not published" }, { "standards_exceeded", "Standards exceeded" },
	{ "standards_met", "Standards met" }, { "approaching_standards", "Approaching standards" },
	{ "standards_not_met", "Standards not met" },
};

static enum bw_err check_phone(const struct web_field *f, const char *v, struct bw_error *err)
{
	for (const char *p = v; *p; p++)
		if (!strchr("0123456789 +()-", *p))
			return bw_fail(err, BW_EINVAL, f->name, "Phone number must contain only digits, spaces, + ( ) and -");
	return BW_OK;
}

const struct web_field sr_supplier_fields[SUP_NFIELDS] = {
	[SUP_NAME] = { .name = "name", .label = "Supplier name", .type = WEB_FIELD_TEXT, .required = true,
		       .max_len = LIM_NAME },
	[SUP_COMPANY] = { .name = "company_number", .label = "Company number",
			  .hint = "From Companies House: 8 characters, like 01234567 or SC123456. Leave empty if it "
				  "has none (for example, an NHS body).",
			  .type = WEB_FIELD_TEXT, .max_len = 8, .width = "10", .check = sr_check_company_number },
	[SUP_SERVICES] = { .name = "services", .label = "Services supplied",
			   .hint = "What they do for you, for example: electronic patient record, telephony, IT support",
			   .type = WEB_FIELD_TEXTAREA, .max_len = SR_TEXT_MAX },
	[SUP_SHARED] = { .name = "shared",
			 .label = "Offer this record to the organisations below yours, so they can link it instead "
				  "of assessing the supplier again",
			 .type = WEB_FIELD_CHECKBOX },
	[SUP_CE] = { .name = "ce_level", .label = "Cyber Essentials", .type = WEB_FIELD_SELECT, .required = true,
		     .options = ce_options, .options_n = BW_NELEM(ce_options) },
	[SUP_CE_CERT] = { .name = "ce_cert", .label = "Cyber Essentials certificate number", .type = WEB_FIELD_TEXT,
			  .max_len = SR_SHORT_MAX, .width = "20" },
	[SUP_CE_EXPIRY] = { .name = "ce_expiry", .label = "Cyber Essentials expiry date",
			    .hint = "For example, 31/3/2027", .type = WEB_FIELD_TEXT, .max_len = 40, .width = "10",
			    .check = sr_check_date },
	[SUP_ISO_SCOPE] = { .name = "iso_scope", .label = "ISO 27001 scope",
			    .hint = "What the certificate covers. Leave empty if it has no ISO 27001 certificate.",
			    .type = WEB_FIELD_TEXT, .max_len = 500 },
	[SUP_ISO_EXPIRY] = { .name = "iso_expiry", .label = "ISO 27001 expiry date", .hint = "For example, 31/3/2027",
			     .type = WEB_FIELD_TEXT, .max_len = 40, .width = "10", .check = sr_check_date },
	[SUP_DSPT] = { .name = "dspt_status", .label = "DSPT status",
		       .hint = "Its latest Data Security and Protection Toolkit publication", .type = WEB_FIELD_SELECT,
		       .required = true, .options = dspt_options, .options_n = BW_NELEM(dspt_options) },
	[SUP_DSPT_YEAR] = { .name = "dspt_year", .label = "DSPT year", .hint = "For example, 2025-26",
			    .type = WEB_FIELD_TEXT, .max_len = 7, .width = "10", .check = sr_check_dspt_year },
};

const struct web_field sr_contract_fields[CON_NFIELDS] = {
	[CON_ORG] = { .name = "org", .label = "Organisation code",
		      .hint = "The ODS code of the organisation that holds this contract", .type = WEB_FIELD_TEXT,
		      .required = true, .max_len = LIM_ORG_CODE, .width = "10", .check = web_check_code },
	[CON_REF] = { .name = "reference", .label = "Contract name or reference", .type = WEB_FIELD_TEXT,
		      .required = true, .max_len = SR_SHORT_MAX },
	[CON_START] = { .name = "start_date", .label = "Start date", .hint = "For example, 1/4/2024",
			.type = WEB_FIELD_TEXT, .required = true, .max_len = 40, .width = "10", .check = sr_check_date },
	[CON_END] = { .name = "end_date", .label = "End date", .hint = "Leave empty if it runs until it is ended",
		      .type = WEB_FIELD_TEXT, .max_len = 40, .width = "10", .check = sr_check_date },
	[CON_SECURITY] = { .name = "security_clauses",
			   .label = "The contract has security clauses (for example: Cyber Essentials, data protection, "
				    "right to audit)",
			   .type = WEB_FIELD_CHECKBOX },
	[CON_DUTY] = { .name = "incident_duty", .label = "The supplier must tell you about security incidents",
		       .type = WEB_FIELD_CHECKBOX },
	[CON_HOURS] = { .name = "notify_hours", .label = "Time limit for telling you, in hours",
			.hint = "For example, 24", .type = WEB_FIELD_NUMBER, .min = 1, .max = SR_NOTIFY_HOURS_MAX,
			.width = "4" },
};

const struct web_field sr_contact_fields[CT_NFIELDS] = {
	[CT_NAME] = { .name = "contact_name", .label = "Contact name", .hint = "A person or a team, like Service desk",
		      .type = WEB_FIELD_TEXT, .required = true, .max_len = LIM_NAME },
	[CT_ROLE] = { .name = "contact_role", .label = "Role", .hint = "For example: account manager, security contact",
		      .type = WEB_FIELD_TEXT, .max_len = SR_SHORT_MAX },
	[CT_EMAIL] = { .name = "contact_email", .label = "Email address", .type = WEB_FIELD_EMAIL },
	[CT_PHONE] = { .name = "contact_phone", .label = "Phone number", .type = WEB_FIELD_TEXT,
		       .max_len = SR_PHONE_MAX, .width = "20", .check = check_phone },
};

static bool blank(const char *s)
{
	if (!s)
		return true;
	for (; *s; s++)
		if (*s != ' ')
			return false;
	return true;
}

static bool checked(const char *v)
{
	return v && (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true"));
}

enum bw_err sr_supplier_validate(const char **v, struct web_form_errors *errs)
{
	struct web_form f = { .fields = sr_supplier_fields, .fields_n = SUP_NFIELDS };
	web_form_validate(&f, v, errs);
	enum sr_ce ce = sr_ce_parse(v[SUP_CE]);
	if (ce != SR_CE_NONE && blank(v[SUP_CE_EXPIRY]) && !web_form_error_for(errs, "ce_expiry"))
		web_form_errors_add(errs, "ce_expiry", "Enter the date the Cyber Essentials certificate expires");
	if (!blank(v[SUP_ISO_SCOPE]) && blank(v[SUP_ISO_EXPIRY]) && !web_form_error_for(errs, "iso_expiry"))
		web_form_errors_add(errs, "iso_expiry", "Enter the date the ISO 27001 certificate expires");
	if (blank(v[SUP_ISO_SCOPE]) && !blank(v[SUP_ISO_EXPIRY]) && !web_form_error_for(errs, "iso_scope"))
		web_form_errors_add(errs, "iso_scope", "Enter what the ISO 27001 certificate covers, or leave the expiry "
						      "date empty");
	enum sr_dspt d = sr_dspt_parse(v[SUP_DSPT]);
	if (d != SR_DSPT_NONE && d != SR_DSPT_NOT_PUBLISHED && blank(v[SUP_DSPT_YEAR]) &&
	    !web_form_error_for(errs, "dspt_year"))
		web_form_errors_add(errs, "dspt_year", "Enter the DSPT year of that status, like 2025-26");
	return errs->n ? BW_EINVAL : BW_OK;
}

enum bw_err sr_contract_validate(const char **v, struct web_form_errors *errs)
{
	struct web_form f = { .fields = sr_contract_fields, .fields_n = CON_NFIELDS };
	web_form_validate(&f, v, errs);
	char a[11], b[11];
	if (sr_date_parse(v[CON_START], a) && sr_date_parse(v[CON_END], b) && strcmp(b, a) < 0)
		web_form_errors_add(errs, "end_date", "End date must be the same as or after the start date");
	if (checked(v[CON_DUTY]) && blank(v[CON_HOURS]) && !web_form_error_for(errs, "notify_hours"))
		web_form_errors_add(errs, "notify_hours", "Enter the time limit for telling you, in hours");
	if (!checked(v[CON_DUTY]) && !blank(v[CON_HOURS]) && !web_form_error_for(errs, "notify_hours"))
		web_form_errors_add(errs, "notify_hours",
				    "Tick that the supplier must tell you about security incidents, or leave the time "
				    "limit empty");
	return errs->n ? BW_EINVAL : BW_OK;
}

enum bw_err sr_contact_validate(const char **v, struct web_form_errors *errs)
{
	struct web_form f = { .fields = sr_contact_fields, .fields_n = CT_NFIELDS };
	return web_form_validate(&f, v, errs);
}

/* ---- reading ---- */

static const char *dup_or_empty(struct arena *a, const char *s)
{
	return arena_strdup(a, s ? s : "");
}

enum bw_err sr_supplier_get(struct db *db, struct arena *a, int64_t id, struct sr_supplier *out)
{
	struct db_stmt *st = db_prep(db, "SELECT s.id, s.org_id, o.path, o.code, o.name, s.name, s.company_number,"
					 " s.services, s.shared, s.ce_level, s.ce_cert, s.ce_expiry, s.iso_scope, s.iso_expiry,"
					 " s.dspt_status, s.dspt_year, s.synthetic, s.updated_at"
					 " FROM suppliers s JOIN orgs o ON o.id = s.org_id WHERE s.id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return BW_ENOTFOUND;
	memset(out, 0, sizeof *out);
	out->id = db_col_i64(st, 0);
	out->org_id = db_col_i64(st, 1);
	out->owner_path = dup_or_empty(a, db_col_text(st, 2));
	out->owner_code = dup_or_empty(a, db_col_text(st, 3));
	out->owner_name = dup_or_empty(a, db_col_text(st, 4));
	out->v[SUP_NAME] = dup_or_empty(a, db_col_text(st, 5));
	out->v[SUP_COMPANY] = dup_or_empty(a, db_col_text(st, 6));
	out->v[SUP_SERVICES] = dup_or_empty(a, db_col_text(st, 7));
	out->v[SUP_SHARED] = db_col_i64(st, 8) ? "1" : "";
	out->v[SUP_CE] = dup_or_empty(a, db_col_text(st, 9));
	out->v[SUP_CE_CERT] = dup_or_empty(a, db_col_text(st, 10));
	out->v[SUP_CE_EXPIRY] = dup_or_empty(a, db_col_text(st, 11));
	out->v[SUP_ISO_SCOPE] = dup_or_empty(a, db_col_text(st, 12));
	out->v[SUP_ISO_EXPIRY] = dup_or_empty(a, db_col_text(st, 13));
	out->v[SUP_DSPT] = dup_or_empty(a, db_col_text(st, 14));
	out->v[SUP_DSPT_YEAR] = dup_or_empty(a, db_col_text(st, 15));
	out->synthetic = db_col_i64(st, 16) != 0;
	out->updated_at = db_col_i64(st, 17);
	db_reset(st);
	return BW_OK;
}

void sr_supplier_assurance(const struct sr_supplier *s, struct sr_assurance *out)
{
	out->ce = sr_ce_parse(s->v[SUP_CE]);
	out->ce_expiry = s->v[SUP_CE_EXPIRY];
	out->iso_scope = s->v[SUP_ISO_SCOPE];
	out->iso_expiry = s->v[SUP_ISO_EXPIRY];
	out->dspt = sr_dspt_parse(s->v[SUP_DSPT]);
	out->dspt_year = s->v[SUP_DSPT_YEAR];
}

bool sr_supplier_name(struct db *db, int64_t id, char *out, size_t n)
{
	struct db_stmt *st = db_prep(db, "SELECT name FROM suppliers WHERE id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return false;
	snprintf(out, n, "%s", db_col_text(st, 0));
	db_reset(st);
	return true;
}

void sr_supplier_tiers(struct db *db, int64_t supplier_id, const char *lo, const char *hi, int64_t tiers[4])
{
	memset(tiers, 0, 4 * sizeof tiers[0]);
	/* the systems register is another area's: a missing table reads as none */
	struct db_stmt *st = db_prep(db, "SELECT s.tier, count(*) FROM systems s JOIN orgs o ON o.id = s.org_id"
					 " WHERE s.supplier_id = ?1 AND o.path >= ?2 AND o.path < ?3 GROUP BY s.tier");
	db_bind_i64(st, 1, supplier_id);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	while (db_step(st) == DB_ROW) {
		int64_t t = db_col_i64(st, 0);
		if (t >= 1 && t <= 4)
			tiers[t - 1] += db_col_i64(st, 1);
	}
}

/* ---- access ---- */

static bool path_within(const char *path, const char *ancestor)
{
	size_t n = strlen(ancestor);
	return n > 0 && strncmp(path, ancestor, n) == 0;
}

enum bw_err sr_supplier_access(struct db *db, const struct actor *a, enum action act, int64_t supplier_id,
			       struct org_ref *owner)
{
	struct db_stmt *st = db_prep(db, "SELECT s.org_id, o.path, s.shared FROM suppliers s"
					 " JOIN orgs o ON o.id = s.org_id WHERE s.id = ?1");
	db_bind_i64(st, 1, supplier_id);
	if (db_step(st) != DB_ROW)
		return BW_ENOTFOUND;
	struct org_ref ref = { db_col_i64(st, 0), "" };
	snprintf(ref.path, sizeof ref.path, "%s", db_col_text(st, 1));
	bool shared = db_col_i64(st, 2) != 0;
	db_reset(st);
	if (owner)
		*owner = ref;
	if (orgs_can(a, act, &ref))
		return BW_OK;                          /* rule 1: the owner's subtree */
	if (act != ACT_VIEW || !orgs_role_allows(a->role, ACT_VIEW))
		return BW_ENOTFOUND;
	if (shared && path_within(a->org_path, ref.path))
		return BW_OK;                          /* rule 3: offered to those below */
	char lo[256], hi[256];
	orgs_subtree_bounds(a->org_path, lo, hi);
	st = db_prep(db, "SELECT 1 FROM supplier_links l JOIN orgs o ON o.id = l.org_id"
			 " WHERE l.supplier_id = ?1 AND o.path >= ?2 AND o.path < ?3 LIMIT 1");
	db_bind_i64(st, 1, supplier_id);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	bool linked = db_step(st) == DB_ROW;
	if (linked)
		db_reset(st);
	return linked ? BW_OK : BW_ENOTFOUND;   /* rule 2: the audience of links */
}

bool sr_supplier_linkable(struct db *db, int64_t supplier_id, const char *org_path)
{
	struct db_stmt *st = db_prep(db, "SELECT o.path, s.shared FROM suppliers s JOIN orgs o ON o.id = s.org_id"
					 " WHERE s.id = ?1");
	db_bind_i64(st, 1, supplier_id);
	if (db_step(st) != DB_ROW)
		return false;
	const char *owner = db_col_text(st, 0);
	bool ok = path_within(owner, org_path) || (db_col_i64(st, 1) && path_within(org_path, owner));
	db_reset(st);
	return ok;
}

/* ---- changes ---- */

static enum bw_err audit_change(struct db *db, const struct actor *by, int64_t org_id, const char *action,
				const char *object, const char *summary, struct bw_error *err)
{
	struct audit_rec r = { by->user_id, by->user_id ? by->email : "cli", org_id, action, object, summary };
	return audit_append(db, &r, err);
}

struct save_args {
	const struct actor *by;
	int64_t org_id, id, supplier_id;
	const char *const *v;
	int64_t *id_out;
	bool link;
};

static const char *opt(const char *s)
{
	return blank(s) ? NULL : s;
}

static enum bw_err supplier_save_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct save_args *s = arg;
	const char *const *v = s->v;
	char company[9] = "", ce_exp[11] = "", iso_exp[11] = "";
	bool has_company = sr_company_number_ok(v[SUP_COMPANY], company);
	bool has_ce = sr_date_parse(v[SUP_CE_EXPIRY], ce_exp), has_iso = sr_date_parse(v[SUP_ISO_EXPIRY], iso_exp);
	int64_t now = bw_now();
	struct db_stmt *st;
	if (s->id == 0)
		st = db_prep(db, "INSERT INTO suppliers (org_id, name, company_number, services, shared, ce_level, ce_cert,"
				 " ce_expiry, iso_scope, iso_expiry, dspt_status, dspt_year, created_at, updated_at)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13) RETURNING id");
	else
		st = db_prep(db, "UPDATE suppliers SET name = ?2, company_number = ?3, services = ?4, shared = ?5,"
				 " ce_level = ?6, ce_cert = ?7, ce_expiry = ?8, iso_scope = ?9, iso_expiry = ?10,"
				 " dspt_status = ?11, dspt_year = ?12, updated_at = ?13 WHERE id = ?1");
	db_bind_i64(st, 1, s->id ? s->id : s->org_id);
	db_bind_text(st, 2, v[SUP_NAME]);
	db_bind_text(st, 3, has_company ? company : NULL);
	db_bind_text(st, 4, v[SUP_SERVICES] ? v[SUP_SERVICES] : "");
	db_bind_i64(st, 5, checked(v[SUP_SHARED]));
	enum sr_ce ce = sr_ce_parse(v[SUP_CE]);
	db_bind_text(st, 6, sr_ce_name(ce));
	db_bind_text(st, 7, ce != SR_CE_NONE && v[SUP_CE_CERT] ? v[SUP_CE_CERT] : "");
	db_bind_text(st, 8, ce != SR_CE_NONE && has_ce ? ce_exp : NULL);
	db_bind_text(st, 9, v[SUP_ISO_SCOPE] ? v[SUP_ISO_SCOPE] : "");
	db_bind_text(st, 10, has_iso ? iso_exp : NULL);
	enum sr_dspt d = sr_dspt_parse(v[SUP_DSPT]);
	db_bind_text(st, 11, sr_dspt_name(d == SR_DSPT_NONE ? SR_DSPT_NOT_PUBLISHED : d));
	db_bind_text(st, 12, opt(v[SUP_DSPT_YEAR]) ? v[SUP_DSPT_YEAR] : "");
	db_bind_i64(st, 13, now);
	int64_t id = s->id;
	if (s->id == 0) {
		if (db_step(st) != DB_ROW)
			return db_fail(db, err, "adding the supplier");
		id = db_col_i64(st, 0);
		db_reset(st);
	} else if (db_step(st) == DB_ERR) {
		return db_fail(db, err, "saving the supplier");
	}
	char object[48], summary[LIM_NAME + 64];
	snprintf(object, sizeof object, "supplier:%lld", (long long)id);
	snprintf(summary, sizeof summary, "%s supplier %s", s->id ? "Changed" : "Added", v[SUP_NAME]);
	if (s->id_out)
		*s->id_out = id;
	return audit_change(db, s->by, s->org_id, s->id ? "supplier.update" : "supplier.create", object, summary, err);
}

enum bw_err sr_supplier_save(struct db *db, const struct actor *by, int64_t org_id, int64_t id,
			     const char *const *v, int64_t *id_out, struct bw_error *err)
{
	struct save_args a = { by, org_id, id, 0, v, id_out, false };
	return db_tx(db, true, supplier_save_tx, &a, err);
}

static enum bw_err link_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct save_args *s = arg;
	struct db_stmt *st;
	if (s->link) {
		st = db_prep(db, "INSERT INTO supplier_links (org_id, supplier_id, linked_at) VALUES (?1, ?2, ?3)"
				 " ON CONFLICT (org_id, supplier_id) DO NOTHING");
		db_bind_i64(st, 3, bw_now());
	} else {
		st = db_prep(db, "DELETE FROM supplier_links WHERE org_id = ?1 AND supplier_id = ?2");
	}
	db_bind_i64(st, 1, s->org_id);
	db_bind_i64(st, 2, s->supplier_id);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "linking the supplier");
	if (db_changes(db) == 0)
		return BW_OK;   /* already so: nothing changed, nothing to record */
	char object[48], name[LIM_NAME + 1] = "", summary[LIM_NAME + 64];
	sr_supplier_name(db, s->supplier_id, name, sizeof name);
	snprintf(object, sizeof object, "supplier:%lld", (long long)s->supplier_id);
	snprintf(summary, sizeof summary, "%s supplier %s", s->link ? "Linked" : "Unlinked", name);
	return audit_change(db, s->by, s->org_id, s->link ? "supplier.link" : "supplier.unlink", object, summary, err);
}

enum bw_err sr_supplier_link(struct db *db, const struct actor *by, int64_t org_id, int64_t supplier_id,
			     bool link, struct bw_error *err)
{
	struct save_args a = { .by = by, .org_id = org_id, .supplier_id = supplier_id, .link = link };
	return db_tx(db, true, link_tx, &a, err);
}

static enum bw_err contract_save_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct save_args *s = arg;
	const char *const *v = s->v;
	char start[11] = "", end[11] = "";
	sr_date_parse(v[CON_START], start);
	bool has_end = sr_date_parse(v[CON_END], end);
	int64_t hours = 0;
	bool duty = checked(v[CON_DUTY]);
	if (duty && !str_to_i64(str_c(v[CON_HOURS]), 1, SR_NOTIFY_HOURS_MAX, &hours))
		return bw_fail(err, BW_EINVAL, "notify_hours", "Enter the time limit for telling you, in hours");
	int64_t now = bw_now();
	struct db_stmt *st;
	if (s->id == 0)
		st = db_prep(db, "INSERT INTO supplier_contracts (org_id, supplier_id, reference, start_date, end_date,"
				 " security_clauses, incident_duty, notify_hours, created_at, updated_at)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) RETURNING id");
	else
		st = db_prep(db, "UPDATE supplier_contracts SET org_id = ?1, reference = ?3, start_date = ?4,"
				 " end_date = ?5, security_clauses = ?6, incident_duty = ?7, notify_hours = ?8,"
				 " updated_at = ?9 WHERE id = ?10 AND supplier_id = ?2");
	db_bind_i64(st, 1, s->org_id);
	db_bind_i64(st, 2, s->supplier_id);
	db_bind_text(st, 3, v[CON_REF]);
	db_bind_text(st, 4, start);
	db_bind_text(st, 5, has_end ? end : NULL);
	db_bind_i64(st, 6, checked(v[CON_SECURITY]));
	db_bind_i64(st, 7, duty);
	if (duty)
		db_bind_i64(st, 8, hours);
	else
		db_bind_null(st, 8);
	db_bind_i64(st, 9, now);
	int64_t id = s->id;
	if (s->id == 0) {
		if (db_step(st) != DB_ROW)
			return db_fail(db, err, "adding the contract");
		id = db_col_i64(st, 0);
		db_reset(st);
	} else {
		db_bind_i64(st, 10, s->id);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "saving the contract");
	}
	/* a contract means the organisation uses the supplier */
	st = db_prep(db, "INSERT INTO supplier_links (org_id, supplier_id, linked_at) VALUES (?1, ?2, ?3)"
			 " ON CONFLICT (org_id, supplier_id) DO NOTHING");
	db_bind_i64(st, 1, s->org_id);
	db_bind_i64(st, 2, s->supplier_id);
	db_bind_i64(st, 3, now);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "linking the supplier");
	char object[48], summary[SR_SHORT_MAX + LIM_NAME + 64], name[LIM_NAME + 1] = "";
	sr_supplier_name(db, s->supplier_id, name, sizeof name);
	snprintf(object, sizeof object, "contract:%lld", (long long)id);
	snprintf(summary, sizeof summary, "%s contract %s with %s", s->id ? "Changed" : "Added", v[CON_REF], name);
	if (s->id_out)
		*s->id_out = id;
	return audit_change(db, s->by, s->org_id, s->id ? "contract.update" : "contract.create", object, summary, err);
}

enum bw_err sr_contract_save(struct db *db, const struct actor *by, int64_t supplier_id, int64_t org_id,
			     int64_t id, const char *const *v, int64_t *id_out, struct bw_error *err)
{
	struct save_args a = { by, org_id, id, supplier_id, v, id_out, false };
	return db_tx(db, true, contract_save_tx, &a, err);
}

static enum bw_err contract_delete_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct save_args *s = arg;
	struct db_stmt *st = db_prep(db, "SELECT org_id, reference FROM supplier_contracts WHERE id = ?1");
	db_bind_i64(st, 1, s->id);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such contract");
	int64_t org = db_col_i64(st, 0);
	char summary[SR_SHORT_MAX + 32];
	snprintf(summary, sizeof summary, "Removed contract %s", db_col_text(st, 1));
	db_reset(st);
	st = db_prep(db, "DELETE FROM supplier_contracts WHERE id = ?1");
	db_bind_i64(st, 1, s->id);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "removing the contract");
	char object[48];
	snprintf(object, sizeof object, "contract:%lld", (long long)s->id);
	return audit_change(db, s->by, org, "contract.delete", object, summary, err);
}

enum bw_err sr_contract_delete(struct db *db, const struct actor *by, int64_t id, struct bw_error *err)
{
	struct save_args a = { .by = by, .id = id };
	return db_tx(db, true, contract_delete_tx, &a, err);
}

static enum bw_err contact_add_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct save_args *s = arg;
	const char *const *v = s->v;
	struct db_stmt *st = db_prep(db, "INSERT INTO supplier_contacts (supplier_id, name, role, email, phone, created_at)"
					 " VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id");
	db_bind_i64(st, 1, s->supplier_id);
	db_bind_text(st, 2, v[CT_NAME]);
	db_bind_text(st, 3, v[CT_ROLE] ? v[CT_ROLE] : "");
	db_bind_text(st, 4, v[CT_EMAIL] ? v[CT_EMAIL] : "");
	db_bind_text(st, 5, v[CT_PHONE] ? v[CT_PHONE] : "");
	db_bind_i64(st, 6, bw_now());
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "adding the contact");
	int64_t id = db_col_i64(st, 0);
	db_reset(st);
	if (s->id_out)
		*s->id_out = id;
	char object[48], summary[LIM_NAME + 64];
	snprintf(object, sizeof object, "supplier:%lld", (long long)s->supplier_id);
	snprintf(summary, sizeof summary, "Added supplier contact %s", v[CT_NAME]);
	return audit_change(db, s->by, s->org_id, "supplier.contact.create", object, summary, err);
}

enum bw_err sr_contact_add(struct db *db, const struct actor *by, int64_t supplier_id, const char *const *v,
			   int64_t *id_out, struct bw_error *err)
{
	struct save_args a = { .by = by, .supplier_id = supplier_id, .v = v, .id_out = id_out };
	struct db_stmt *st = db_prep(db, "SELECT org_id FROM suppliers WHERE id = ?1");
	db_bind_i64(st, 1, supplier_id);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such supplier");
	a.org_id = db_col_i64(st, 0);
	db_reset(st);
	return db_tx(db, true, contact_add_tx, &a, err);
}

static enum bw_err contact_delete_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct save_args *s = arg;
	struct db_stmt *st = db_prep(db, "SELECT c.name, s.org_id FROM supplier_contacts c"
					 " JOIN suppliers s ON s.id = c.supplier_id WHERE c.id = ?1 AND c.supplier_id = ?2");
	db_bind_i64(st, 1, s->id);
	db_bind_i64(st, 2, s->supplier_id);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, "contact", "No such contact for this supplier");
	char summary[LIM_NAME + 64];
	snprintf(summary, sizeof summary, "Removed supplier contact %s", db_col_text(st, 0));
	int64_t org = db_col_i64(st, 1);
	db_reset(st);
	st = db_prep(db, "DELETE FROM supplier_contacts WHERE id = ?1");
	db_bind_i64(st, 1, s->id);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "removing the contact");
	char object[48];
	snprintf(object, sizeof object, "supplier:%lld", (long long)s->supplier_id);
	return audit_change(db, s->by, org, "supplier.contact.delete", object, summary, err);
}

enum bw_err sr_contact_delete(struct db *db, const struct actor *by, int64_t supplier_id, int64_t id,
			      struct bw_error *err)
{
	struct save_args a = { .by = by, .supplier_id = supplier_id, .id = id };
	return db_tx(db, true, contact_delete_tx, &a, err);
}

/* ---- path parameters ---- */

static enum bw_err supplier_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT s.org_id, o.path FROM suppliers s JOIN orgs o ON o.id = s.org_id"
				     " WHERE s.id = ?1", v, out);
}

static enum bw_err contract_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT c.org_id, o.path FROM supplier_contracts c JOIN orgs o ON o.id = c.org_id"
				     " WHERE c.id = ?1", v, out);
}

/* The first supplier owned inside the subtree; its first contract there, so
 * a route naming both names a matching pair. */
#define FIRST_SUPPLIER "SELECT s.id FROM suppliers s JOIN orgs o ON o.id = s.org_id" \
	" WHERE o.path >= ?1 AND o.path < ?2 ORDER BY s.id LIMIT 1"

static bool supplier_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT CAST(id AS TEXT) FROM (" FIRST_SUPPLIER ") x", path, out, n);
}

static bool contract_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT CAST(c.id AS TEXT) FROM supplier_contracts c JOIN orgs o ON o.id = c.org_id"
			   " WHERE o.path >= ?1 AND o.path < ?2"
			   " ORDER BY CASE WHEN c.supplier_id = (" FIRST_SUPPLIER ") THEN 0 ELSE 1 END, c.id LIMIT 1",
		       path, out, n);
}

const struct route_param suppliers_params[] = {
	{ "supplier", supplier_owner, supplier_example },
	{ "contract", contract_owner, contract_example },
	{ NULL, NULL, NULL },
};

/* ---- demo ---- */

struct seed_supplier {
	const char *name, *number, *services;
	const char *ce;        /* none, ce, ce_plus */
	int ce_days;           /* expiry relative to today */
	const char *iso;       /* scope or NULL */
	int iso_days;
	const char *dspt;
	int dspt_age;          /* 0: this year's, 1: last year's */
	const char *contact, *role, *email;
};

/* Shared national records, marked synthetic: invented companies, so no real
 * firm is shown with made-up certificates. */
static const struct seed_supplier national[] = {
	{ "Meridian Health Records Ltd (synthetic)", "ZZ000101", "Electronic patient record (EPR) and patient administration system",
	  "ce_plus", 210, "EPR hosting, development and support", 400, "standards_exceeded", 0,
	  "Security operations team", "Security contact", "security@meridian-records.example" },
	{ "Northgate Clinical Systems Ltd (synthetic)", "ZZ000102", "GP clinical system, appointments and online services",
	  "ce_plus", 300, "Clinical system service delivery", 500, "standards_met", 0,
	  "Customer service desk", "Service desk", "support@northgate-clinical.example" },
	{ "Willowbrook Primary Care Software Ltd (synthetic)", "ZZ000103", "GP clinical system and document management",
	  "ce", -90, "Software development and hosting", 30, "standards_met", 1,
	  "Account management", "Account manager", "accounts@willowbrook-pcs.example" },
	{ "Brightwater Telephony Ltd (synthetic)", "ZZ000104", "Cloud telephony and call recording",
	  "none", 0, NULL, 0, "not_published", 0,
	  "Brightwater support", "Service desk", "help@brightwater-tel.example" },
	{ "Kestrel Pathology Software Ltd (synthetic)", "ZZ000105", "Laboratory information management system (LIMS)",
	  "ce_plus", -20, "LIMS software and support", 250, "approaching_standards", 0,
	  "Kestrel service management", "Security contact", "servicemanagement@kestrel-path.example" },
	{ "Harbour Cloud Hosting Ltd (synthetic)", "ZZ000106", "Cloud hosting, off-site and immutable backups",
	  "ce_plus", 150, "Data centre and managed backup services", 320, "standards_met", 0,
	  "Harbour security desk", "Security contact", "soc@harbour-cloud.example" },
	{ "Lindenfield Pharmacy Systems Ltd (synthetic)", "ZZ000107", "Pharmacy patient medication record (PMR) and EPS",
	  "ce", 25, NULL, 0, "standards_met", 0,
	  "Lindenfield helpdesk", "Service desk", "helpdesk@lindenfield-ps.example" },
	{ "CarePath Digital Ltd (synthetic)", "ZZ000108", "Digital care planning and medication records for care homes",
	  "none", 0, NULL, 0, "standards_not_met", 0,
	  "CarePath support", "Service desk", "support@carepath-digital.example" },
	{ "Molar Practice Systems Ltd (synthetic)", "ZZ000109", "Dental practice management and imaging software",
	  "ce", 180, NULL, 0, "standards_met", 0,
	  "Molar support", "Service desk", "support@molar-ps.example" },
};

/* Which shared national record each kind of organisation links (by index). */
static const struct {
	const char *type;
	int supplier;
	int mod, rem;      /* only organisations whose id % mod == rem */
} national_links[] = {
	{ "nhs_trust", 0, 1, 0 }, { "nhs_trust", 4, 1, 0 }, { "nhs_trust", 5, 1, 0 }, { "nhs_trust", 3, 2, 0 },
	{ "gp_practice", 1, 2, 0 }, { "gp_practice", 2, 2, 1 }, { "gp_practice", 3, 3, 1 }, { "gp_practice", 5, 4, 0 },
	{ "pharmacy", 6, 1, 0 }, { "pharmacy", 3, 2, 1 },
	{ "care_provider", 7, 1, 0 }, { "care_provider", 3, 2, 0 },
	{ "dental_practice", 8, 1, 0 },
};

static const char *const ics_names[] = {
	"Chiltern Shared Care Record Ltd (synthetic)", "Thames Integrated Records Ltd (synthetic)",
	"Pennine Care Connect Ltd (synthetic)", "Fenland Health Exchange Ltd (synthetic)",
	"Solent Records Link Ltd (synthetic)", "Severn Care Record Services Ltd (synthetic)",
};

/* Each organisation's own local supplier, by type. */
static const struct {
	const char *type, *name, *services;
} local[] = {
	{ "nhs_trust", "Sterling Biomedical Engineering Ltd (synthetic)", "Maintenance of networked medical devices" },
	{ "nhs_trust", "Riverside Facilities IT Ltd (synthetic)", "Building management and door access systems" },
	{ "nhs_trust", "Aldgate Print and Post Ltd (synthetic)", "Hybrid mail for patient letters" },
	{ "gp_practice", "Practice Network Support Ltd (synthetic)", "Local IT support and Wi-Fi" },
	{ "gp_practice", "Surgery Telecoms Direct Ltd (synthetic)", "Phone lines and broadband" },
	{ "pharmacy", "Dispensary Robotics Ltd (synthetic)", "Dispensing robot and its remote support" },
	{ "pharmacy", "Counter Card Payments Ltd (synthetic)", "Card payment terminals" },
	{ "care_provider", "Rota Planner Ltd (synthetic)", "Staff rostering and call monitoring" },
	{ "care_provider", "Careline Alarms Ltd (synthetic)", "Resident call alarms" },
	{ "dental_practice", "Dental Imaging Services Ltd (synthetic)", "X-ray imaging equipment and software" },
	{ "dental_practice", "Chairside Booking Ltd (synthetic)", "Online booking and reminders" },
};

struct seed {
	bool national;
	int64_t count;
	char today[11];
};

static enum bw_err step(struct db *db, struct db_stmt *st, struct bw_error *err, const char *what)
{
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, what);
	return BW_OK;
}

static enum bw_err seed_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct seed *s = arg;
	int64_t now = bw_now();
	char this_year[8], last_year[8];
	sr_dspt_current_year(s->today, this_year);
	snprintf(last_year, sizeof last_year, "%04d-%02d", atoi(this_year) - 1, atoi(this_year) % 100);
	int64_t nat = db_query_i64(db, "SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1", 0);
	if (!nat)
		return BW_OK;
	int64_t ids[BW_NELEM(national)];
	for (size_t i = 0; i < BW_NELEM(national); i++) {
		const struct seed_supplier *n = &national[i];
		char ce_exp[11], iso_exp[11];
		sr_date_add(s->today, n->ce_days, ce_exp);
		sr_date_add(s->today, n->iso_days, iso_exp);
		struct db_stmt *st = db_prep(db, "INSERT INTO suppliers (org_id, name, company_number, services, shared,"
						 " ce_level, ce_cert, ce_expiry, iso_scope, iso_expiry, dspt_status, dspt_year,"
						 " synthetic, created_at, updated_at)"
						 " VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1, ?12, ?12) RETURNING id");
		db_bind_i64(st, 1, nat);
		db_bind_text(st, 2, n->name);
		db_bind_text(st, 3, n->number);
		db_bind_text(st, 4, n->services);
		db_bind_text(st, 5, n->ce);
		char cert[32];
		snprintf(cert, sizeof cert, "IASME-CE-%06zu", 410200 + i * 37);
		bool has_ce = strcmp(n->ce, "none") != 0;
		db_bind_text(st, 6, has_ce ? cert : "");
		db_bind_text(st, 7, has_ce ? ce_exp : NULL);
		db_bind_text(st, 8, n->iso ? n->iso : "");
		db_bind_text(st, 9, n->iso ? iso_exp : NULL);
		db_bind_text(st, 10, n->dspt);
		db_bind_text(st, 11, strcmp(n->dspt, "not_published") == 0 ? "" : n->dspt_age ? last_year : this_year);
		db_bind_i64(st, 12, now);
		if (db_step(st) != DB_ROW)
			return db_fail(db, err, "seeding national suppliers");
		ids[i] = db_col_i64(st, 0);
		db_reset(st);
		st = db_prep(db, "INSERT INTO supplier_contacts (supplier_id, name, role, email, phone, created_at)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
		db_bind_i64(st, 1, ids[i]);
		db_bind_text(st, 2, n->contact);
		db_bind_text(st, 3, n->role);
		db_bind_text(st, 4, n->email);
		char phone[24];
		snprintf(phone, sizeof phone, "0300 555 0%03zu", 100 + i);
		db_bind_text(st, 5, phone);
		db_bind_i64(st, 6, now);
		if (step(db, st, err, "seeding supplier contacts") != BW_OK)
			return err->code;
	}
	/* one shared record per ICS, offered to its members */
	for (size_t k = 0; k < BW_NELEM(ics_names); k++) {
		char ce_exp[11];
		sr_date_add(s->today, k % 2 ? -45 : 240, ce_exp);
		struct db_stmt *st = db_prep(db, "INSERT INTO suppliers (org_id, name, company_number, services, shared,"
						 " ce_level, ce_cert, ce_expiry, dspt_status, dspt_year, synthetic, created_at, updated_at)"
						 " SELECT id, ?1, 'ZZ' || CAST(200000 + id AS TEXT), ?2, 1, 'ce_plus', 'IASME-CEP-' ||"
						 " CAST(500000 + id AS TEXT), ?3, 'standards_met', ?4, 1, CAST(?5 AS BIGINT), CAST(?5 AS BIGINT) FROM orgs"
						 " WHERE type = 'ics' AND id % ?6 = ?7");
		db_bind_text(st, 1, ics_names[k]);
		db_bind_text(st, 2, "Shared care record across the integrated care system");
		db_bind_text(st, 3, ce_exp);
		db_bind_text(st, 4, this_year);
		db_bind_i64(st, 5, now);
		db_bind_i64(st, 6, (int64_t)BW_NELEM(ics_names));
		db_bind_i64(st, 7, (int64_t)k);
		if (step(db, st, err, "seeding ICS suppliers") != BW_OK)
			return err->code;
	}
	/* each provider's own local supplier */
	for (size_t k = 0; k < BW_NELEM(local); k++) {
		size_t of = 0, at = 0;
		for (size_t j = 0; j < BW_NELEM(local); j++)
			if (strcmp(local[j].type, local[k].type) == 0) {
				if (j == k)
					at = of;
				of++;
			}
		struct db_stmt *st = db_prep(db, "INSERT INTO suppliers (org_id, name, company_number, services, shared,"
						 " synthetic, created_at, updated_at)"
						 " SELECT id, ?1, 'ZZ' || CAST(300000 + id AS TEXT), ?2, 0, 1, CAST(?3 AS BIGINT), CAST(?3 AS BIGINT) FROM orgs"
						 " WHERE type = ?4 AND id % ?5 = ?6");
		db_bind_text(st, 1, local[k].name);
		db_bind_text(st, 2, local[k].services);
		db_bind_i64(st, 3, now);
		db_bind_text(st, 4, local[k].type);
		db_bind_i64(st, 5, (int64_t)of);
		db_bind_i64(st, 6, (int64_t)at);
		if (step(db, st, err, "seeding local suppliers") != BW_OK)
			return err->code;
	}
	/* local assurances vary: some valid, some expired, some missing */
	static const struct {
		const char *ce;
		int days;
		const char *dspt;
	} mix[] = { { "ce", 200, "standards_met" }, { "ce", -60, "not_published" }, { "none", 0, "approaching_standards" },
		    { "ce_plus", 35, "standards_met" } };
	for (size_t k = 0; k < BW_NELEM(mix); k++) {
		char exp[11];
		sr_date_add(s->today, mix[k].days, exp);
		bool has = strcmp(mix[k].ce, "none") != 0;
		struct db_stmt *st = db_prep(db, "UPDATE suppliers SET ce_level = ?1, ce_expiry = ?2, ce_cert = ?3,"
						 " dspt_status = ?4, dspt_year = ?5 WHERE shared = 0 AND synthetic = 1 AND id % 4 = ?6");
		db_bind_text(st, 1, mix[k].ce);
		db_bind_text(st, 2, has ? exp : NULL);
		db_bind_text(st, 3, has ? "IASME-CE-LOCAL" : "");
		db_bind_text(st, 4, mix[k].dspt);
		db_bind_text(st, 5, strcmp(mix[k].dspt, "not_published") == 0 ? "" : this_year);
		db_bind_i64(st, 6, (int64_t)k);
		if (step(db, st, err, "seeding local assurances") != BW_OK)
			return err->code;
	}
	/* links: national records by type, and the ICS record for trusts and practices */
	for (size_t k = 0; k < BW_NELEM(national_links); k++) {
		struct db_stmt *st = db_prep(db, "INSERT INTO supplier_links (org_id, supplier_id, linked_at)"
						 " SELECT id, CAST(?1 AS BIGINT), CAST(?2 AS BIGINT) FROM orgs WHERE type = ?3 AND id % ?4 = ?5");
		db_bind_i64(st, 1, ids[national_links[k].supplier]);
		db_bind_i64(st, 2, now);
		db_bind_text(st, 3, national_links[k].type);
		db_bind_i64(st, 4, national_links[k].mod);
		db_bind_i64(st, 5, national_links[k].rem);
		if (step(db, st, err, "seeding supplier links") != BW_OK)
			return err->code;
	}
	struct db_stmt *st = db_prep(db, "INSERT INTO supplier_links (org_id, supplier_id, linked_at)"
					 " SELECT o.id, s.id, CAST(?1 AS BIGINT) FROM orgs o JOIN suppliers s ON s.org_id = o.parent_id AND s.shared = 1"
					 " JOIN orgs p ON p.id = o.parent_id WHERE p.type = 'ics'"
					 " AND o.type IN ('nhs_trust', 'gp_practice')");
	db_bind_i64(st, 1, now);
	if (step(db, st, err, "seeding ICS supplier links") != BW_OK)
		return err->code;
	/* a contract for every link and every local supplier: some ended, some
	 * ending soon, some without security clauses or an incident duty */
	char ended[11], soon[11], later[11];
	sr_date_add(s->today, -40, ended);
	sr_date_add(s->today, 45, soon);
	sr_date_add(s->today, 700, later);
	static const char *const contract_sql[] = {
		"INSERT INTO supplier_contracts (org_id, supplier_id, reference, start_date, end_date, security_clauses,"
		" incident_duty, notify_hours, created_at, updated_at)"
		" SELECT l.org_id, l.supplier_id,"
		" CASE (l.org_id + l.supplier_id) % 3 WHEN 0 THEN 'Framework call-off contract'"
		"  WHEN 1 THEN 'Support and maintenance agreement' ELSE 'Licence and hosting agreement' END,"
		" CASE l.org_id % 4 WHEN 0 THEN '2021-04-01' WHEN 1 THEN '2022-10-01' WHEN 2 THEN '2023-04-01' ELSE '2024-07-01' END,"
		" CASE (l.org_id + l.supplier_id) % 5 WHEN 0 THEN ?1 WHEN 1 THEN ?2 WHEN 2 THEN NULL ELSE ?3 END,"
		" CASE WHEN l.org_id % 4 = 0 THEN 0 ELSE 1 END,"
		" CASE WHEN (l.org_id + l.supplier_id) % 3 = 0 THEN 0 ELSE 1 END,"
		" CASE WHEN (l.org_id + l.supplier_id) % 3 = 0 THEN NULL WHEN l.org_id % 2 = 0 THEN 24 ELSE 72 END,"
		" CAST(?4 AS BIGINT), CAST(?4 AS BIGINT) FROM supplier_links l",
		"INSERT INTO supplier_contracts (org_id, supplier_id, reference, start_date, end_date, security_clauses,"
		" incident_duty, notify_hours, created_at, updated_at)"
		" SELECT s.org_id, s.id, 'Local service agreement', '2023-01-01',"
		" CASE s.id % 3 WHEN 0 THEN ?1 WHEN 1 THEN ?2 ELSE ?3 END,"
		" CASE WHEN s.id % 2 = 0 THEN 1 ELSE 0 END, CASE WHEN s.id % 3 = 1 THEN 1 ELSE 0 END,"
		" CASE WHEN s.id % 3 = 1 THEN 48 ELSE NULL END, CAST(?4 AS BIGINT), CAST(?4 AS BIGINT) FROM suppliers s WHERE s.shared = 0",
	};
	for (size_t k = 0; k < BW_NELEM(contract_sql); k++) {
		st = db_prep(db, contract_sql[k]);
		db_bind_text(st, 1, ended);
		db_bind_text(st, 2, soon);
		db_bind_text(st, 3, later);
		db_bind_i64(st, 4, now);
		if (step(db, st, err, "seeding contracts") != BW_OK)
			return err->code;
	}
	st = db_prep(db, "INSERT INTO supplier_contacts (supplier_id, name, role, email, phone, created_at)"
			 " SELECT id, 'Service desk', 'Support', 'support@supplier-' || CAST(id AS TEXT) || '.example', '',"
			 " CAST(?1 AS BIGINT) FROM suppliers WHERE shared = 0 OR org_id <> ?2");
	db_bind_i64(st, 1, now);
	db_bind_i64(st, 2, nat);
	if (step(db, st, err, "seeding contacts") != BW_OK)
		return err->code;
	s->count = db_query_i64(db, "SELECT count(*) FROM suppliers", 0);
	char summary[160];
	snprintf(summary, sizeof summary, "Seeded the demo supplier register: %lld suppliers, %lld links, %lld contracts",
		 (long long)s->count, (long long)db_query_i64(db, "SELECT count(*) FROM supplier_links", 0),
		 (long long)db_query_i64(db, "SELECT count(*) FROM supplier_contracts", 0));
	struct audit_rec r = { 0, "cli", nat, "demo.seed.suppliers", "suppliers", summary };
	return audit_append(db, &r, err);
}

enum bw_err suppliers_demo_seed(struct db *db, bool national_scale, const char *data_dir, struct bw_error *err)
{
	(void)data_dir;
	struct seed s = { .national = national_scale };
	sr_today(s.today);
	return db_tx(db, true, seed_tx, &s, err);
}

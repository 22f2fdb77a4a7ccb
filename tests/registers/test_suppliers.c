/*
 * Unit tests for the supplier register (src/registers/suppliers.c,
 * assurance.c, sr_common.c): dates as people type them, Companies House
 * numbers, DSPT years, assurance gaps and the rating sentence; then, on a
 * database, the access rule for shared and linked records, changes and their
 * audit records, field errors, and the demo seed. The backend comes from
 * BULWARK_TEST_DB: unset or "sqlite" uses a temp file; a postgresql:// URL
 * uses that server, each test in a schema of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/testdb.h"

#include "registers/suppliers_risks.h"

static struct db *fresh_db(const char *name)
{
	char schema[128];
	snprintf(schema, sizeof schema, "ts_%s", name);
	const struct db_migration *const sets[] = { orgs_migrations, audit_migrations, suppliers_migrations, NULL };
	return testdb_fresh(schema, sets);
}

static int64_t add_org(struct db *db, const char *code, enum org_type type, const char *parent)
{
	struct actor cli;
	orgs_actor_cli(&cli);
	struct bw_error err = { 0 };
	int64_t id = 0;
	char name[64];
	snprintf(name, sizeof name, "Organisation %s", code);
	if (orgs_add(db, &cli, code, name, type, parent, false, &id, &err) != BW_OK)
		fail_msg("orgs_add %s: %s", code, err.msg);
	return id;
}

/* NAT /1/ ; ICA /1/2/ ; TA /1/2/3/ ; GA /1/2/4/ ; ICB /1/5/ ; TB /1/5/6/ */
static void build_estate(struct db *db)
{
	assert_int_equal(add_org(db, "NAT", ORG_NATIONAL, NULL), 1);
	assert_int_equal(add_org(db, "ICA", ORG_ICS, "NAT"), 2);
	assert_int_equal(add_org(db, "TA", ORG_NHS_TRUST, "ICA"), 3);
	assert_int_equal(add_org(db, "GA", ORG_GP_PRACTICE, "ICA"), 4);
	assert_int_equal(add_org(db, "ICB", ORG_ICS, "NAT"), 5);
	assert_int_equal(add_org(db, "TB", ORG_NHS_TRUST, "ICB"), 6);
}

static struct actor actor_at(struct db *db, const char *code, enum role role, int64_t uid)
{
	struct org o;
	assert_int_equal(orgs_get_by_code(db, code, &o, NULL), BW_OK);
	struct actor a = { .user_id = uid, .org_id = o.id, .role = role };
	snprintf(a.email, sizeof a.email, "lead@%s.example", code);
	snprintf(a.name, sizeof a.name, "Lead of %s", code);
	snprintf(a.org_code, sizeof a.org_code, "%s", code);
	snprintf(a.org_path, sizeof a.org_path, "%s", o.path);
	return a;
}

static int64_t count(struct db *db, const char *sql)
{
	int64_t v = db_query_i64(db, sql, -1);
	if (v < 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return v;
}

/* ---- pure ---- */

static void company_numbers(void **state)
{
	(void)state;
	char out[9];
	assert_true(sr_company_number_ok("01234567", out));
	assert_string_equal(out, "01234567");
	assert_true(sr_company_number_ok("sc123456", out));
	assert_string_equal(out, "SC123456");
	assert_true(sr_company_number_ok("NI000123", out));
	const char *bad[] = { "1234567", "012345678", "S1234567", "SC12345A", "12AB3456", "", "SC 12345" };
	for (size_t i = 0; i < BW_NELEM(bad); i++)
		assert_false(sr_company_number_ok(bad[i], out));
	struct web_field f = { .name = "company_number", .label = "Company number" };
	struct bw_error e = { 0 };
	assert_int_equal(sr_check_company_number(&f, "ABC", &e), BW_EINVAL);
	assert_string_equal(e.field, "company_number");
	assert_non_null(strstr(e.msg, "8 characters"));
}

static void dates_as_typed(void **state)
{
	(void)state;
	char out[11], shown[32];
	const char *ok[][2] = { { "2026-03-02", "2026-03-02" }, { "2/3/2026", "2026-03-02" }, { "02 03 2026", "2026-03-02" },
				{ "2 Mar 2026", "2026-03-02" }, { "2 march 2026", "2026-03-02" }, { "29/2/2028", "2028-02-29" },
				{ "1 Sept 2026", "2026-09-01" } };
	for (size_t i = 0; i < BW_NELEM(ok); i++) {
		assert_true(sr_date_parse(ok[i][0], out));
		assert_string_equal(out, ok[i][1]);
	}
	const char *bad[] = { "31/2/2026", "29/2/2027", "2026-13-01", "2/3/26", "yesterday", "1/1/1899", "", "2 Marc 2026",
			      "1/2/3/2026" };
	for (size_t i = 0; i < BW_NELEM(bad); i++)
		assert_false(sr_date_parse(bad[i], out));
	sr_date_show("2026-03-02", shown);
	assert_string_equal(shown, "2 Mar 2026");
	sr_date_add("2026-02-27", 3, out);
	assert_string_equal(out, "2026-03-02");
	sr_date_add("2026-01-01", -1, out);
	assert_string_equal(out, "2025-12-31");
}

static void dspt_years(void **state)
{
	(void)state;
	assert_true(sr_dspt_year_ok("2025-26"));
	assert_true(sr_dspt_year_ok("2099-00"));
	assert_false(sr_dspt_year_ok("2025-27"));
	assert_false(sr_dspt_year_ok("2025/26"));
	assert_false(sr_dspt_year_ok("25-26"));
	char y[8];
	sr_dspt_current_year("2026-11-29", y);
	assert_string_equal(y, "2025-26");   /* the 2025-26 toolkit was due by 30 June 2026 */
	sr_dspt_current_year("2026-06-30", y);
	assert_string_equal(y, "2024-25");
	assert_int_equal(sr_dspt_parse("standards_met"), SR_DSPT_MET);
	assert_string_equal(sr_dspt_label(SR_DSPT_APPROACHING), "Approaching standards");
	assert_int_equal(sr_ce_parse("ce_plus"), SR_CE_PLUS);
}

static void assurance_flags_and_rating(void **state)
{
	(void)state;
	const char *today = "2026-11-29";
	struct sr_assurance a = { SR_CE_BASIC, "2026-03-02", "Hosting", "2027-06-01", SR_DSPT_MET, "2025-26" };
	struct sr_flag f[8];
	size_t n = sr_assurance_flags(&a, today, f, 8);
	assert_int_equal(n, 1);
	assert_true(f[0].gap);
	assert_string_equal(f[0].tag, "Expired");
	assert_string_equal(f[0].text, "its Cyber Essentials certificate expired on 2 Mar 2026");

	/* the sentence the issue asks for */
	int64_t tiers[4] = { 3, 0, 0, 0 };
	struct sr_rating r;
	sr_supplier_rate(&a, tiers, today, &r);
	assert_int_equal(r.level, SR_HIGH);
	assert_string_equal(r.text, "High: it supplies 3 tier-1 systems and its Cyber Essentials certificate expired on "
				    "2 Mar 2026.");

	/* everything in date: a tier-1 supplier is still worth watching */
	a.ce_expiry = "2027-03-02";
	sr_supplier_rate(&a, tiers, today, &r);
	assert_int_equal(r.level, SR_MEDIUM);
	assert_non_null(strstr(r.text, "all in date"));
	int64_t none[4] = { 0 };
	sr_supplier_rate(&a, none, today, &r);
	assert_int_equal(r.level, SR_LOW);
	assert_non_null(strstr(r.text, "no systems recorded"));

	/* missing Cyber Essentials and an unpublished DSPT on a tier-2 supplier */
	struct sr_assurance m = { SR_CE_NONE, NULL, NULL, NULL, SR_DSPT_NOT_PUBLISHED, NULL };
	int64_t t2[4] = { 0, 2, 1, 0 };
	sr_supplier_rate(&m, t2, today, &r);
	assert_int_equal(r.level, SR_HIGH);
	assert_non_null(strstr(r.text, "2 tier-2 systems and 1 tier-3 system"));
	assert_non_null(strstr(r.text, "no Cyber Essentials certificate"));
	assert_non_null(strstr(r.text, "not published a DSPT"));
	n = sr_assurance_flags(&m, today, f, 8);
	assert_int_equal(n, 3);   /* CE missing, ISO not recorded (warning), DSPT not published */
	assert_false(f[1].gap);

	/* warnings: expiring soon, approaching, out-of-date DSPT year */
	struct sr_assurance w = { SR_CE_PLUS, "2026-12-20", "All", "2030-01-01", SR_DSPT_MET, "2023-24" };
	n = sr_assurance_flags(&w, today, f, 8);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].tag, "Expires soon");
	assert_non_null(strstr(f[0].text, "Cyber Essentials Plus"));
	assert_string_equal(f[1].tag, "Out of date");
	assert_false(f[0].gap || f[1].gap);
}

/* ---- database ---- */

static const char *good_supplier[SUP_NFIELDS] = {
	[SUP_NAME] = "Acme Clinical Systems Ltd", [SUP_COMPANY] = "sc123456", [SUP_SERVICES] = "EPR",
	[SUP_SHARED] = "1", [SUP_CE] = "ce", [SUP_CE_CERT] = "CE-1", [SUP_CE_EXPIRY] = "31/3/2027",
	[SUP_ISO_SCOPE] = "", [SUP_ISO_EXPIRY] = "", [SUP_DSPT] = "standards_met", [SUP_DSPT_YEAR] = "2025-26",
};

static void validation_names_fields(void **state)
{
	(void)state;
	const char *v[SUP_NFIELDS];
	memcpy(v, good_supplier, sizeof v);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	assert_int_equal(sr_supplier_validate(v, &errs), BW_OK);
	v[SUP_NAME] = "";
	v[SUP_COMPANY] = "12345";
	v[SUP_CE_EXPIRY] = "";
	v[SUP_DSPT_YEAR] = "2025";
	v[SUP_ISO_EXPIRY] = "1/1/2027";
	web_form_errors_init(&errs);
	assert_int_equal(sr_supplier_validate(v, &errs), BW_EINVAL);
	assert_non_null(web_form_error_for(&errs, "name"));
	assert_non_null(web_form_error_for(&errs, "company_number"));
	assert_string_equal(web_form_error_for(&errs, "ce_expiry"), "Enter the date the Cyber Essentials certificate expires");
	assert_non_null(web_form_error_for(&errs, "dspt_year"));
	assert_non_null(web_form_error_for(&errs, "iso_scope"));

	const char *cv[CON_NFIELDS] = { "TA", "Support", "1/4/2026", "1/4/2025", "1", "1", "" };
	web_form_errors_init(&errs);
	assert_int_equal(sr_contract_validate(cv, &errs), BW_EINVAL);
	assert_non_null(web_form_error_for(&errs, "end_date"));
	assert_string_equal(web_form_error_for(&errs, "notify_hours"), "Enter the time limit for telling you, in hours");
	cv[CON_END] = "";
	cv[CON_HOURS] = "9999";
	web_form_errors_init(&errs);
	assert_int_equal(sr_contract_validate(cv, &errs), BW_EINVAL);
	assert_non_null(web_form_error_for(&errs, "notify_hours"));
	cv[CON_HOURS] = "24";
	web_form_errors_init(&errs);
	assert_int_equal(sr_contract_validate(cv, &errs), BW_OK);
}

static void shared_and_linked_access(void **state)
{
	(void)state;
	struct db *db = fresh_db("access");
	build_estate(db);
	struct actor ics = actor_at(db, "ICA", ROLE_ICS_LEAD, 1), ta = actor_at(db, "TA", ROLE_ORG_LEAD, 2),
		     ga = actor_at(db, "GA", ROLE_ORG_LEAD, 3), tb = actor_at(db, "TB", ROLE_ORG_LEAD, 4);
	struct bw_error err = { 0 };
	int64_t shared = 0, local = 0;
	/* the ICS keeps a shared record; trust A keeps a local one */
	assert_int_equal(sr_supplier_save(db, &ics, ics.org_id, 0, good_supplier, &shared, &err), BW_OK);
	const char *v[SUP_NFIELDS];
	memcpy(v, good_supplier, sizeof v);
	v[SUP_SHARED] = "";
	v[SUP_NAME] = "Local Facilities Ltd";
	assert_int_equal(sr_supplier_save(db, &ta, ta.org_id, 0, v, &local, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action = 'supplier.create'"), 2);
	struct sr_supplier s;
	struct arena a;
	arena_init(&a);
	assert_int_equal(sr_supplier_get(db, &a, shared, &s), BW_OK);
	assert_string_equal(s.v[SUP_COMPANY], "SC123456");        /* stored upper-cased */
	assert_string_equal(s.v[SUP_CE_EXPIRY], "2027-03-31");     /* stored canonical */

	/* rule 1: the owner's subtree views and edits; rule 3: members view the shared record */
	assert_int_equal(sr_supplier_access(db, &ics, ACT_EDIT, shared, NULL), BW_OK);
	assert_int_equal(sr_supplier_access(db, &ta, ACT_VIEW, shared, NULL), BW_OK);
	assert_int_equal(sr_supplier_access(db, &ta, ACT_EDIT, shared, NULL), BW_ENOTFOUND);
	/* another ICS's trust sees neither */
	assert_int_equal(sr_supplier_access(db, &tb, ACT_VIEW, shared, NULL), BW_ENOTFOUND);
	assert_int_equal(sr_supplier_access(db, &tb, ACT_VIEW, local, NULL), BW_ENOTFOUND);
	/* a sibling does not see trust A's local record, the ICS above does */
	assert_int_equal(sr_supplier_access(db, &ga, ACT_VIEW, local, NULL), BW_ENOTFOUND);
	assert_int_equal(sr_supplier_access(db, &ics, ACT_VIEW, local, NULL), BW_OK);
	assert_int_equal(sr_supplier_access(db, &ics, ACT_VIEW, 9999, NULL), BW_ENOTFOUND);

	/* linking: only what the organisation may see from its own place */
	assert_true(sr_supplier_linkable(db, shared, ta.org_path));
	assert_false(sr_supplier_linkable(db, shared, tb.org_path));
	assert_false(sr_supplier_linkable(db, local, ga.org_path));
	/* rule 2: a link is an audience, even after the record stops being offered */
	assert_int_equal(sr_supplier_link(db, &ga, ga.org_id, shared, true, &err), BW_OK);
	assert_int_equal(sr_supplier_link(db, &ga, ga.org_id, shared, true, &err), BW_OK);   /* again: no change */
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action = 'supplier.link'"), 1);
	v[SUP_NAME] = good_supplier[SUP_NAME];
	v[SUP_SHARED] = "";
	assert_int_equal(sr_supplier_save(db, &ics, ics.org_id, shared, v, NULL, &err), BW_OK);
	assert_int_equal(sr_supplier_access(db, &ga, ACT_VIEW, shared, NULL), BW_OK);
	assert_int_equal(sr_supplier_access(db, &ta, ACT_VIEW, shared, NULL), BW_ENOTFOUND);
	assert_int_equal(sr_supplier_link(db, &ga, ga.org_id, shared, false, &err), BW_OK);
	assert_int_equal(sr_supplier_access(db, &ga, ACT_VIEW, shared, NULL), BW_ENOTFOUND);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action = 'supplier.unlink'"), 1);

	/* a contract is the organisation's own and links it */
	const char *cv[CON_NFIELDS] = { "GA", "Clinical system licence", "1/4/2024", "", "1", "1", "24" };
	int64_t cid = 0;
	assert_int_equal(sr_contract_save(db, &ga, shared, ga.org_id, 0, cv, &cid, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM supplier_links WHERE org_id = 4"), 1);
	assert_int_equal(count(db, "SELECT notify_hours FROM supplier_contracts"), 24);
	assert_int_equal(count(db, "SELECT count(*) FROM supplier_contracts WHERE end_date IS NULL AND start_date = '2024-04-01'"), 1);
	assert_int_equal(sr_contract_delete(db, &ga, cid, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM supplier_contracts"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action LIKE 'contract.%'"), 2);

	const char *ct[CT_NFIELDS] = { "Service desk", "Support", "desk@acme.example", "0300 555 0100" };
	int64_t ctid = 0;
	assert_int_equal(sr_contact_add(db, &ics, shared, ct, &ctid, &err), BW_OK);
	assert_int_equal(sr_contact_delete(db, &ics, local, ctid, &err), BW_ENOTFOUND);   /* not that supplier's */
	assert_int_equal(sr_contact_delete(db, &ics, shared, ctid, &err), BW_OK);

	int64_t n = 0, bad = 0;
	assert_int_equal(audit_verify(db, &n, &bad, &err), BW_OK);
	arena_free(&a);
	db_close(db);
}

/* The seed, twice on identical estates: the same rows, and gaps to show. */
static void demo_seed_is_deterministic(void **state)
{
	(void)state;
	char digest[2][4096];
	for (int k = 0; k < 2; k++) {
		char name[16];
		snprintf(name, sizeof name, "seed%d", k);
		struct db *db = fresh_db(name);
		build_estate(db);
		struct bw_error err = { 0 };
		assert_int_equal(suppliers_demo_seed(db, false, NULL, &err), BW_OK);
		/* nine national records, one per ICS, one local per provider */
		assert_int_equal(count(db, "SELECT count(*) FROM suppliers WHERE org_id = 1 AND shared = 1"), 9);
		assert_int_equal(count(db, "SELECT count(*) FROM suppliers WHERE org_id IN (2, 5) AND shared = 1"), 2);
		assert_int_equal(count(db, "SELECT count(*) FROM suppliers WHERE shared = 0"), 3);
		assert_true(count(db, "SELECT count(*) FROM supplier_links") >= 6);
		assert_true(count(db, "SELECT count(*) FROM supplier_contracts") >= 6);
		assert_true(count(db, "SELECT count(*) FROM suppliers WHERE ce_level = 'none'") >= 1);
		assert_true(count(db, "SELECT count(*) FROM suppliers WHERE name LIKE '%(synthetic)'") ==
			    count(db, "SELECT count(*) FROM suppliers"));
		struct db_stmt *st = db_prep(db, "SELECT s.name, s.ce_level, o.code FROM suppliers s JOIN orgs o ON o.id = s.org_id"
						 " ORDER BY s.id");
		size_t len = 0;
		while (db_step(st) == DB_ROW) {
			int w = snprintf(digest[k] + len, sizeof digest[k] - len, "%s|%s|%s;", db_col_text(st, 0),
					 db_col_text(st, 1), db_col_text(st, 2));
			if (w > 0 && (size_t)w < sizeof digest[k] - len)
				len += (size_t)w;
		}
		db_close(db);
	}
	assert_string_equal(digest[0], digest[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(company_numbers),
		cmocka_unit_test(dates_as_typed),
		cmocka_unit_test(dspt_years),
		cmocka_unit_test(assurance_flags_and_rating),
		cmocka_unit_test(validation_names_fields),
		cmocka_unit_test(shared_and_linked_access),
		cmocka_unit_test(demo_seed_is_deterministic),
	};
	return cmocka_run_group_tests_name(testdb_pg_url() ? "suppliers (postgres)" : "suppliers (sqlite)", tests, testdb_group_setup,
					   testdb_group_teardown);
}

/*
 * systems_demo: the demo estate's critical systems, backups, restore tests
 * and dependencies — what a trust, a GP practice, a pharmacy, a care
 * provider, a dental practice or an ICB would really record, varied per
 * organisation so that gaps and single points of failure appear. Written
 * set-wise (templates in a temporary table, then INSERT ... SELECT over
 * the organisations) in one transaction with one summary audit record, so
 * the national estate (60,000 organisations) takes seconds, not hours.
 * Deterministic: the same estate gives the same rows.
 */
#include <stdio.h>
#include <string.h>

#include "registers/systems_int.h"

/* variant: 0 every organisation of the type, 1 those with an even id, 2 odd */
struct tmpl {
	const char *type, *name, *function;
	int variant, tier;
	const char *hosting;
	int rto, rpo;
	const char *downtime, *supplier;
};

static const char paper_ward[] =
	"Use the downtime packs on every ward (the blue folders): paper admission, observation, prescription and "
	"request forms.\nThe business continuity PC on each ward prints the latest patient lists every four hours.\n"
	"Enter everything written on paper into the system within 48 hours of it coming back.";
static const char paper_gp[] =
	"Print tomorrow's appointment lists and the repeat prescription list at 5pm each day.\n"
	"Write consultations on the paper templates in the reception safe; issue FP10 paper prescriptions.\n"
	"Enter the paper notes into the clinical system when it is back.";
static const char paper_phone[] =
	"Divert the main number to the duty manager's mobile (instructions on the wall by reception).\n"
	"Crash calls and bleeps: use the standby radio handsets kept in switchboard.";
static const char paper_pharmacy[] =
	"Dispense from paper prescriptions only; record each item in the paper dispensing book.\n"
	"Ask patients with electronic prescriptions to come back or phone their GP for a paper FP10.";
static const char paper_care[] =
	"Use the printed care plans and MAR charts in the red folder in each unit, updated every Monday.\n"
	"Phone the on-call manager; record care on paper and enter it when the system is back.";
static const char paper_generic[] = "Carry on with paper forms kept at reception; enter them afterwards.";

static const struct tmpl tmpls[] = {
	/* NHS trusts */
	{ "nhs_trust", "Electronic patient record", "Patients' records, observations, results and care plans on every ward "
	  "and in every clinic", 0, 1, "on_premises", 4, 1, paper_ward, "Meridian Health Records" },
	{ "nhs_trust", "Patient administration system (PAS)", "Appointments, admissions, discharges and referral "
	  "tracking", 0, 1, "on_premises", 8, 1, paper_ward, "Meridian Health Records" },
	{ "nhs_trust", "PACS imaging (Sectra)", "X-ray, CT and MRI images that doctors need to diagnose and treat", 0, 1,
	  "on_premises", 4, 4, "", NULL },
	{ "nhs_trust", "Pathology LIMS (WinPath)", "Blood test and other laboratory results", 0, 1, "on_premises", 4, 1,
	  "Use the paper request forms in the downtime packs; the lab phones urgent results to the ward.", "Kestrel Pathology Software" },
	{ "nhs_trust", "E-prescribing and medicines administration (JAC)", "Prescribing and giving medicines on the "
	  "wards", 0, 1, "on_premises", 2, 1, paper_ward, NULL },
	{ "nhs_trust", "Active Directory", "Staff sign-in to every computer and system", 0, 1, "on_premises", 2, 24, "",
	  NULL },
	{ "nhs_trust", "Switchboard and bleeps (Mitel)", "Crash calls, bleeps and the switchboard", 0, 1, "on_premises", 1,
	  24, paper_phone, "Brightwater Telephony" },
	{ "nhs_trust", "Order communications (ICE)", "Requests for tests and the results going back to clinicians", 0, 2,
	  "on_premises", 12, 4, paper_ward, "Kestrel Pathology Software" },
	{ "nhs_trust", "Theatre management", "Theatre lists and scheduling of operations", 0, 2, "on_premises", 24, 4, "",
	  NULL },
	{ "nhs_trust", "NHSmail", "Email with GPs, other trusts and partners", 0, 3, "supplier_hosted", 24, 24,
	  "Use the phone; urgent letters by fax from the switchboard office.", NULL },
	/* GP practices */
	{ "gp_practice", "Clinical system (EMIS Web)", "Patient records, prescribing, referrals and test results", 1, 1,
	  "supplier_hosted", 4, 1, paper_gp, "Northgate Clinical Systems" },
	{ "gp_practice", "Clinical system (SystmOne)", "Patient records, prescribing, referrals and test results", 2, 1,
	  "supplier_hosted", 4, 1, paper_gp, "Willowbrook Primary Care Software" },
	{ "gp_practice", "Cloud telephony", "Patients phoning for appointments and advice", 0, 1, "cloud", 1, 24,
	  paper_phone, "Brightwater Telephony" },
	{ "gp_practice", "Practice network and HSCN connection", "Every computer in the practice reaching the clinical "
	  "system", 0, 1, "on_premises", 8, 24, "", "Practice Network Support" },
	{ "gp_practice", "Online appointment booking", "Patients booking and cancelling appointments online", 0, 2,
	  "cloud", 24, 24, "Book by phone; reception keeps the paper list.", NULL },
	{ "gp_practice", "Docman document management", "Hospital letters and results filed to patient records", 0, 2,
	  "cloud", 48, 24, "", "Willowbrook Primary Care Software" },
	{ "gp_practice", "NHSmail", "Email with hospitals, pharmacies and the ICB", 0, 3, "supplier_hosted", 48, 24,
	  paper_generic, NULL },
	/* pharmacies */
	{ "pharmacy", "Pharmacy PMR (ProScript Connect)", "Dispensing records and labels for every prescription", 0, 1,
	  "on_premises", 4, 1, paper_pharmacy, "Lindenfield Pharmacy Systems" },
	{ "pharmacy", "NHS Spine connection (Smartcard)", "Receiving electronic prescriptions and checking exemptions",
	  0, 1, "supplier_hosted", 4, 24, paper_pharmacy, NULL },
	{ "pharmacy", "Shop network and broadband", "The PMR and card terminals reaching the internet and HSCN", 0, 1,
	  "on_premises", 8, 24, "", NULL },
	{ "pharmacy", "NHSmail", "Email with GP practices and the ICB", 0, 3, "supplier_hosted", 48, 24, paper_generic,
	  NULL },
	/* care providers */
	{ "care_provider", "Digital care planning (Nourish)", "Residents' care plans, notes and risk assessments", 0, 1,
	  "cloud", 4, 1, paper_care, "CarePath Digital" },
	{ "care_provider", "Electronic medicines record (eMAR)", "Giving residents the right medicines at the right time",
	  0, 1, "cloud", 2, 1, paper_care, "CarePath Digital" },
	{ "care_provider", "Office Wi-Fi and broadband", "Tablets and computers reaching the care systems", 0, 1,
	  "on_premises", 8, 24, "", NULL },
	{ "care_provider", "Staff rostering", "Planning shifts so every resident is cared for", 0, 3, "cloud", 72, 24,
	  "Print next week's rota every Friday.", "Rota Planner" },
	{ "care_provider", "NHSmail", "Email with GP practices and the hospital discharge team", 0, 3,
	  "supplier_hosted", 48, 24, paper_generic, NULL },
	/* dental practices */
	{ "dental_practice", "Dental practice system (Software of Excellence)", "Patient records, charts and "
	  "appointments", 0, 2, "supplier_hosted", 24, 4, paper_generic, "Molar Practice Systems" },
	{ "dental_practice", "Dental X-ray imaging", "X-ray images for diagnosis and treatment", 0, 2, "on_premises",
	  48, 24, "", "Dental Imaging Services" },
	{ "dental_practice", "NHSmail", "Email with referral services", 0, 3, "supplier_hosted", 72, 24, paper_generic,
	  NULL },
	/* integrated care boards */
	{ "ics", "Shared care record", "Clinicians across the ICS seeing a patient's records from other services", 0, 2,
	  "cloud", 24, 4, "Phone the patient's GP practice or the hospital ward directly.", NULL },
	{ "ics", "Population health management", "Finding patients at risk for proactive care", 0, 4, "cloud", 168, 24,
	  "", NULL },
	{ "ics", "NHSmail", "Email with member organisations", 0, 3, "supplier_hosted", 48, 24, paper_generic,
	  NULL },
};

/* system -> system (to), -> location (loc) or -> supplier (sup: the start of
 * a name the suppliers register seeds), by the templates' names */
struct dtmpl {
	const char *type, *from, *to, *loc, *sup;
};

static const struct dtmpl dtmpls[] = {
	{ "nhs_trust", "Electronic patient record", "Active Directory", NULL },
	{ "nhs_trust", "Electronic patient record", "Patient administration system (PAS)", NULL },
	{ "nhs_trust", "Patient administration system (PAS)", "Active Directory", NULL },
	{ "nhs_trust", "PACS imaging (Sectra)", "Active Directory", NULL },
	{ "nhs_trust", "Pathology LIMS (WinPath)", "Active Directory", NULL },
	{ "nhs_trust", "E-prescribing and medicines administration (JAC)", "Electronic patient record", NULL },
	{ "nhs_trust", "Order communications (ICE)", "Electronic patient record", NULL },
	{ "nhs_trust", "Order communications (ICE)", "Pathology LIMS (WinPath)", NULL },
	{ "nhs_trust", "Theatre management", "Patient administration system (PAS)", NULL },
	{ "nhs_trust", "Electronic patient record", NULL, "Main data centre" },
	{ "nhs_trust", "Patient administration system (PAS)", NULL, "Main data centre" },
	{ "nhs_trust", "Pathology LIMS (WinPath)", NULL, "Main data centre" },
	{ "nhs_trust", "Active Directory", NULL, "Main data centre" },
	{ "nhs_trust", "PACS imaging (Sectra)", NULL, "Second data centre" },
	{ "nhs_trust", "Switchboard and bleeps (Mitel)", NULL, "Switchboard equipment room" },
	{ "nhs_trust", "NHSmail", NULL, "HSCN connection" },
	{ "gp_practice", "Clinical system (EMIS Web)", "Practice network and HSCN connection", NULL },
	{ "gp_practice", "Clinical system (SystmOne)", "Practice network and HSCN connection", NULL },
	{ "gp_practice", "Cloud telephony", "Practice network and HSCN connection", NULL },
	{ "gp_practice", "Online appointment booking", "Clinical system (EMIS Web)", NULL },
	{ "gp_practice", "Online appointment booking", "Clinical system (SystmOne)", NULL },
	{ "gp_practice", "Docman document management", "Clinical system (EMIS Web)", NULL },
	{ "gp_practice", "Docman document management", "Clinical system (SystmOne)", NULL },
	{ "gp_practice", "Practice network and HSCN connection", NULL, "Comms cabinet behind reception" },
	{ "pharmacy", "Pharmacy PMR (ProScript Connect)", "NHS Spine connection (Smartcard)", NULL },
	{ "pharmacy", "Pharmacy PMR (ProScript Connect)", "Shop network and broadband", NULL },
	{ "pharmacy", "NHS Spine connection (Smartcard)", "Shop network and broadband", NULL },
	{ "care_provider", "Digital care planning (Nourish)", "Office Wi-Fi and broadband", NULL },
	{ "care_provider", "Electronic medicines record (eMAR)", "Office Wi-Fi and broadband", NULL },
	{ "care_provider", "Office Wi-Fi and broadband", NULL, "Office broadband line" },
	{ "dental_practice", "Dental practice system (Software of Excellence)", NULL, "Practice broadband line" },
	{ "ics", "Shared care record", NULL, "Supplier's cloud (UK South)" },
	{ "nhs_trust", "Electronic patient record", NULL, NULL, "Harbour Cloud Hosting" },
	{ "nhs_trust", "PACS imaging (Sectra)", NULL, NULL, "Harbour Cloud Hosting" },
	{ "nhs_trust", "Pathology LIMS (WinPath)", NULL, NULL, "Harbour Cloud Hosting" },
	{ "gp_practice", "Cloud telephony", NULL, NULL, "Surgery Telecoms Direct" },
	{ "gp_practice", "Practice network and HSCN connection", NULL, NULL, "Surgery Telecoms Direct" },
};

/* The first supplier whose name starts with prefix that org may choose
 * (SYSTEMS_SUPPLIER_VISIBLE, written as three index look-ups). */
#define DEMO_PICK(org, prefix) \
	"COALESCE((SELECT min(sp.id) FROM suppliers sp WHERE sp.org_id = " org \
	"  AND lower(sp.name) LIKE lower(" prefix ") || '%'), (SELECT min(sp.id) FROM supplier_links l" \
	"  JOIN suppliers sp ON sp.id = l.supplier_id WHERE l.org_id = " org " AND lower(sp.name) LIKE lower(" prefix ") || '%')," \
	" (SELECT min(sp.id) FROM demo_shared sp JOIN orgs op ON op.id = sp.org_id JOIN orgs me ON me.id = " org \
	"  WHERE substr(me.path, 1, length(op.path)) = op.path AND lower(sp.name) LIKE lower(" prefix ") || '%'))"

struct demo {
	int64_t now, today, systems;
	bool suppliers;
};

static enum bw_err step_done(struct db *db, struct db_stmt *st, const char *what, struct bw_error *err)
{
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, what);
	return BW_OK;
}

static enum bw_err exec(struct db *db, const char *sql, int64_t a, int64_t b, const char *what, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, sql);
	db_bind_i64(st, 1, a);
	if (strstr(sql, "?2"))
		db_bind_i64(st, 2, b);
	return step_done(db, st, what, err);
}

static enum bw_err demo_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct demo *d = arg;
	if (db_exec(db, "DROP TABLE IF EXISTS demo_systems; DROP TABLE IF EXISTS demo_deps;"
			"CREATE TEMP TABLE demo_systems (org_type TEXT, k INTEGER, variant INTEGER, name TEXT, fn TEXT,"
			" tier INTEGER, hosting TEXT, rto INTEGER, rpo INTEGER, downtime TEXT, supplier TEXT);"
			"CREATE TEMP TABLE demo_deps (org_type TEXT, from_name TEXT, to_name TEXT, loc TEXT, sup TEXT)", err) != BW_OK)
		return err->code;
	for (size_t i = 0; i < BW_NELEM(tmpls); i++) {
		const struct tmpl *t = &tmpls[i];
		struct db_stmt *st = db_prep(db, "INSERT INTO demo_systems VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
		db_bind_text(st, 1, t->type);
		db_bind_i64(st, 2, (int64_t)i);
		db_bind_i64(st, 3, t->variant);
		db_bind_text(st, 4, t->name);
		db_bind_text(st, 5, t->function);
		db_bind_i64(st, 6, t->tier);
		db_bind_text(st, 7, t->hosting);
		db_bind_i64(st, 8, t->rto);
		db_bind_i64(st, 9, t->rpo);
		db_bind_text(st, 10, t->downtime);
		db_bind_text(st, 11, t->supplier);
		if (step_done(db, st, "demo templates", err) != BW_OK)
			return err->code;
	}
	for (size_t i = 0; i < BW_NELEM(dtmpls); i++) {
		struct db_stmt *st = db_prep(db, "INSERT INTO demo_deps VALUES (?1, ?2, ?3, ?4, ?5)");
		db_bind_text(st, 1, dtmpls[i].type);
		db_bind_text(st, 2, dtmpls[i].from);
		db_bind_text(st, 3, dtmpls[i].to);
		db_bind_text(st, 4, dtmpls[i].loc);
		db_bind_text(st, 5, dtmpls[i].sup);
		if (step_done(db, st, "demo templates", err) != BW_OK)
			return err->code;
	}
	/* systems: every 5th organisation-and-template pair has no downtime
	 * procedure, every 13th runs unsupported software, every 17th is being
	 * replaced; some have no RTO recorded */
	if (exec(db, "INSERT INTO systems (org_id, name, essential_function, tier, owner, hosting, supplier_id, rto_hours,"
		     " rpo_hours, downtime_procedure, status, created_at, updated_at)"
		     " SELECT o.id, t.name, t.fn, t.tier, CASE WHEN t.tier = 1 THEN 'Head of IT' ELSE 'Service manager' END,"
		     " t.hosting, NULL, CASE WHEN (o.id + t.k) % 9 = 0 THEN NULL ELSE t.rto END, t.rpo,"
		     " CASE WHEN (o.id + t.k) % 5 = 0 THEN '' ELSE t.downtime END,"
		     " CASE WHEN (o.id + t.k) % 13 = 0 THEN 'unsupported' WHEN (o.id + t.k) % 17 = 0 THEN 'being_replaced'"
		     "  ELSE 'in_service' END, ?1, ?1"
		     " FROM orgs o JOIN demo_systems t ON t.org_type = o.type"
		     " WHERE t.variant = 0 OR (t.variant = 1 AND o.id % 2 = 0) OR (t.variant = 2 AND o.id % 2 = 1)"
		     " ORDER BY o.id, t.k", d->now, 0, "adding demo systems", err) != BW_OK)
		return err->code;
	d->systems = db_changes(db);
	/* backups: none for every 9th system; the copy is off-line for three in four */
	if (exec(db, "INSERT INTO system_backups (system_id, method, frequency, offline, immutable, location, created_at)"
		     " SELECT s.id, CASE s.hosting WHEN 'on_premises' THEN 'Nightly Veeam image backup'"
		     "  ELSE 'Snapshots managed by the supplier' END,"
		     " CASE WHEN s.tier = 1 THEN 'daily' ELSE 'weekly' END,"
		     " CASE WHEN s.id % 4 = 0 THEN 0 ELSE 1 END, CASE WHEN s.id % 3 = 0 THEN 1 ELSE 0 END,"
		     " CASE s.hosting WHEN 'on_premises' THEN 'Tape safe in the estates building'"
		     "  ELSE 'The supplier''s second data centre' END, ?1"
		     " FROM systems s WHERE s.created_at = ?1 AND s.id % 9 <> 0 ORDER BY s.id",
		     d->now, 0, "adding demo backups", err) != BW_OK)
		return err->code;
	/* restore tests of varied age (up to two years) and result */
	if (exec(db, "INSERT INTO restore_tests (system_id, backup_id, tested_on, result, minutes, notes, created_at)"
		     " SELECT s.id, (SELECT min(b.id) FROM system_backups b WHERE b.system_id = s.id),"
		     " ?2 - ((s.id * 37) % 480) * 86400,"
		     " CASE s.id % 7 WHEN 0 THEN 'failed' WHEN 1 THEN 'partial' ELSE 'success' END,"
		     " 30 + (s.id * 13) % 600,"
		     " CASE s.id % 7 WHEN 0 THEN 'The restored database would not start; supplier ticket raised.'"
		     "  WHEN 1 THEN 'Restored, but the last day of documents was missing.' ELSE '' END, ?1"
		     " FROM systems s WHERE s.created_at = ?1 AND s.id % 6 <> 0 ORDER BY s.id",
		     d->now, d->today, "adding demo restore tests", err) != BW_OK)
		return err->code;
	if (exec(db, "INSERT INTO system_deps (system_id, kind, on_system_id, on_supplier_id, location, note, created_at)"
		     " SELECT a.id, 'system', b.id, NULL, NULL, '', ?1 FROM orgs o JOIN systems a ON a.org_id = o.id"
		     " JOIN demo_deps d ON d.org_type = o.type AND d.from_name = a.name"
		     " JOIN systems b ON b.org_id = a.org_id AND b.name = d.to_name"
		     " WHERE a.created_at = ?1 ORDER BY a.id, b.id", d->now, 0, "adding demo dependencies", err) != BW_OK)
		return err->code;
	if (exec(db, "INSERT INTO system_deps (system_id, kind, on_system_id, on_supplier_id, location, note, created_at)"
		     " SELECT a.id, 'location', NULL, NULL, d.loc, '', ?1 FROM orgs o JOIN systems a ON a.org_id = o.id"
		     " JOIN demo_deps d ON d.org_type = o.type AND d.from_name = a.name AND d.loc IS NOT NULL"
		     " WHERE a.created_at = ?1 ORDER BY a.id, d.loc", d->now, 0, "adding demo dependencies", err) != BW_OK)
		return err->code;
	/* suppliers the suppliers register seeded and the organisation can see:
	 * its own, those it linked, those shared from above (index look-ups per
	 * system; the shared ones are few and copied aside first) */
	if (d->suppliers &&
	    (db_exec(db, "DROP TABLE IF EXISTS demo_shared;"
			 "CREATE TEMP TABLE demo_shared AS SELECT id, org_id, name FROM suppliers WHERE shared = 1", err) != BW_OK ||
	     exec(db, "UPDATE systems SET supplier_id = (SELECT " DEMO_PICK("systems.org_id", "t.supplier")
		      " FROM demo_systems t WHERE t.name = systems.name AND t.supplier IS NOT NULL)"
		      " WHERE created_at = ?1", d->now, 0, "linking demo suppliers", err) != BW_OK))
		return err->code;
	if (d->suppliers &&
	    exec(db, "INSERT INTO system_deps (system_id, kind, on_system_id, on_supplier_id, location, note, created_at)"
		     " SELECT x.id, 'supplier', NULL, x.sup, NULL, 'Hosting and off-site backups', ?1 FROM"
		     " (SELECT a.id, " DEMO_PICK("a.org_id", "d.sup") " AS sup FROM orgs o JOIN systems a ON a.org_id = o.id"
		     "  JOIN demo_deps d ON d.org_type = o.type AND d.from_name = a.name AND d.sup IS NOT NULL"
		     "  WHERE a.created_at = ?1) x WHERE x.sup IS NOT NULL ORDER BY x.id", d->now, 0,
		     "adding demo supplier dependencies", err) != BW_OK)
		return err->code;
	if (systems_refresh_facts(db, 0, err) != BW_OK)
		return err->code;
	if (db_exec(db, "DROP TABLE demo_systems; DROP TABLE demo_deps; DROP TABLE IF EXISTS demo_shared", err) != BW_OK)
		return err->code;
	int64_t root = db_query_i64(db, "SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1", 0);
	char summary[128];
	snprintf(summary, sizeof summary, "Demo: %lld critical systems with backups, restore tests and dependencies",
		 (long long)d->systems);
	struct audit_rec r = { 0, "cli", root, "systems.demo_seed", "systems", summary };
	return audit_append(db, &r, err);
}

enum bw_err systems_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err)
{
	(void)national, (void)data_dir;
	struct demo d = { .now = bw_now() };
	d.today = systems_today(d.now);
	d.suppliers = systems_suppliers_ready(db);
	int64_t t0 = bw_now_ms();
	enum bw_err rc = db_tx(db, true, demo_tx, &d, err);
	if (rc == BW_OK)
		log_info("demo: %lld critical systems in %lld ms", (long long)d.systems, (long long)(bw_now_ms() - t0));
	return rc;
}

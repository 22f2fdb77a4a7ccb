/*
 * Unit tests for the exposures module (src/exposures): a tiny CVE JSON 5
 * feed written to a temporary folder and synced through the feeds module,
 * a few hand-made components in two ICSs, then the full match (expected
 * exposures with their evidence; an unorderable version answers "cannot
 * tell"), incremental runs (a changed record re-matches that record only;
 * a KEV update re-matches its three CVEs only; a changed component
 * re-matches its system only; a removed component's exposures are gone),
 * triage (decisions survive full re-matches and re-imports, refusals) and
 * the ICS decision applied to members, also to a member that starts
 * running the product later; the compiled feed kept between runs until the
 * feed changes; the demo's feed sources, each of which syncs on a fresh
 * demo. The backend comes from BULWARK_TEST_DB (see tests/lib/testdb.h).
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/testdb.h"

#include <archive.h>
#include <archive_entry.h>

#include "exposures/exposures.h"
#include "feeds/feeds_int.h"
#include "registers/components.h"

static char dir[256];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static int group_setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/bw-exposures-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return testdb_group_setup(state);
}

static int group_teardown(void **state)
{
	components_dictionary_reset();
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return testdb_group_teardown(state);
}

/* The systems area owns `systems`; only its agreed columns are needed. */
static const struct db_migration test_systems[] = {
	{ "test/systems", "CREATE TABLE systems (id {{ID}}, org_id {{INT}} NOT NULL REFERENCES orgs(id), name TEXT NOT NULL)" },
	{ NULL, NULL },
};

struct fx {
	struct db *db;
	char folder[512];
	int64_t national, ics, trust_a, trust_b, other_ics, trust_z;
	int64_t sys_a, sys_b, sys_z;
	int64_t c_hit, c_newer, c_odd, c_gizmo, c_b, c_z;
};

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
}

/* A CVE JSON 5 record: vendor/product, versions from `from` below `below` (semver). */
static void put_cve(struct fx *f, int num, const char *vendor, const char *product, const char *from, const char *below,
		    const char *score)
{
	char p[700], *s = NULL;
	snprintf(p, sizeof p, "%s/CVE-2024-%d.json", f->folder, num);
	int n = asprintf(&s,
		"{\"dataType\":\"CVE_RECORD\",\"dataVersion\":\"5.1\",\"cveMetadata\":{\"cveId\":\"CVE-2024-%d\",\"state\":\"PUBLISHED\","
		"\"assignerOrgId\":\"a\",\"datePublished\":\"2024-05-01T10:00:00Z\",\"dateUpdated\":\"2024-05-02T10:00:00.000Z\"},"
		"\"containers\":{\"cna\":{\"providerMetadata\":{\"orgId\":\"a\"},\"title\":\"Flaw in %s %s\","
		"\"descriptions\":[{\"lang\":\"en\",\"value\":\"A flaw.\"}],"
		"\"affected\":[{\"vendor\":\"%s\",\"product\":\"%s\","
		"\"versions\":[{\"version\":\"%s\",\"lessThan\":\"%s\",\"status\":\"affected\",\"versionType\":\"semver\"}],"
		"\"defaultStatus\":\"unaffected\"}],"
		"\"metrics\":[{\"cvssV3_1\":{\"version\":\"3.1\",\"baseScore\":%s,\"baseSeverity\":\"HIGH\","
		"\"vectorString\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}}]}}}",
		num, vendor, product, vendor, product, from, below, score);
	assert_true(n > 0);
	write_text(p, s);
	free(s);
}

static void sync_ok(struct db *db, const char *name)
{
	struct feeds_sync_result r;
	struct bw_error e = { 0 };
	if (feeds_sync(db, NULL, name, &r, &e) != BW_OK)
		fail_msg("sync %s: %s", name, e.msg);
}

static int64_t add_system(struct db *db, int64_t org_id, const char *name)
{
	struct db_stmt *st = db_prep(db, "INSERT INTO systems (org_id, name) VALUES (?1, ?2) RETURNING id");
	db_bind_i64(st, 1, org_id);
	db_bind_text(st, 2, name);
	assert_int_equal(db_step(st), DB_ROW);
	int64_t id = db_col_i64(st, 0);
	db_reset(st);
	return id;
}

/* A component written as the registers store it, last changed an hour ago
 * (so only what a test touches counts as changed). */
static int64_t add_comp(struct db *db, int64_t org, int64_t sys, const char *vendor, const char *product, const char *version)
{
	char nv[256], np[256], ident[800];
	components_norm(vendor, nv, sizeof nv);
	components_norm(product, np, sizeof np);
	snprintf(ident, sizeof ident, "%s|%s|%s", nv, np, version);
	int64_t name;
	assert_int_equal(components_name_id(db, nv, np, &name, NULL), BW_OK);
	struct db_stmt *st = db_prep(db, "INSERT INTO components (org_id, system_id, vendor, product, version, norm_vendor,"
					 " norm_product, ident, source, created_at, updated_at, name_id) VALUES (?1, ?2, ?3, ?4, ?5,"
					 " ?6, ?7, ?8, 'test', ?9, ?9, ?10) RETURNING id");
	db_bind_i64(st, 1, org);
	db_bind_i64(st, 2, sys);
	db_bind_text(st, 3, vendor);
	db_bind_text(st, 4, product);
	db_bind_text(st, 5, version);
	db_bind_text(st, 6, nv);
	db_bind_text(st, 7, np);
	db_bind_text(st, 8, ident);
	db_bind_i64(st, 9, bw_now() - 3600);
	db_bind_i64(st, 10, name);
	assert_int_equal(db_step(st), DB_ROW);
	int64_t id = db_col_i64(st, 0);
	db_reset(st);
	return id;
}

static int64_t q(struct db *db, const char *sql)
{
	return db_query_i64(db, sql, -1);
}

static int64_t qi(struct db *db, const char *sql, int64_t a)
{
	struct db_stmt *st = db_prep(db, sql);
	db_bind_i64(st, 1, a);
	int64_t v = -1;
	if (db_step(st) == DB_ROW) {
		v = db_col_i64(st, 0);
		db_reset(st);
	}
	return v;
}

/* The text of the first column of sql with ?1 bound to a (copied; "" if no row). */
static char *qt(struct db *db, const char *sql, int64_t a)
{
	struct db_stmt *st = db_prep(db, sql);
	db_bind_i64(st, 1, a);
	char *s = strdup("");
	if (db_step(st) == DB_ROW) {
		free(s);
		s = strdup(db_col_text(st, 0) ? db_col_text(st, 0) : "");
		db_reset(st);
	}
	return s;
}

static struct actor actor_of(struct db *db, int64_t org, enum role role, const char *email)
{
	struct actor a;
	memset(&a, 0, sizeof a);
	struct org o;
	assert_int_equal(orgs_get(db, org, &o, NULL), BW_OK);
	a.user_id = 1000 + org;
	a.org_id = org;
	a.role = role;
	snprintf(a.email, sizeof a.email, "%s", email);
	snprintf(a.name, sizeof a.name, "%s", email);
	snprintf(a.org_code, sizeof a.org_code, "%s", o.code);
	snprintf(a.org_name, sizeof a.org_name, "%s", o.name);
	snprintf(a.org_path, sizeof a.org_path, "%s", o.path);
	return a;
}

static void setup(struct fx *f, const char *name)
{
	memset(f, 0, sizeof *f);
	const struct db_migration *const sets[] = { orgs_migrations, audit_migrations, test_systems, components_migrations,
						    feeds_migrations, exposures_migrations, NULL };
	f->db = testdb_fresh(name, sets);
	struct bw_error e = { 0 };
	struct actor cli;
	orgs_actor_cli(&cli);
	assert_int_equal(orgs_add(f->db, &cli, "X26", "NHS England", ORG_NATIONAL, NULL, false, &f->national, &e), BW_OK);
	assert_int_equal(orgs_add(f->db, &cli, "QXX", "North ICS", ORG_ICS, "X26", false, &f->ics, &e), BW_OK);
	assert_int_equal(orgs_add(f->db, &cli, "RXA", "Alpha Trust", ORG_NHS_TRUST, "QXX", false, &f->trust_a, &e), BW_OK);
	assert_int_equal(orgs_add(f->db, &cli, "RXB", "Beta Trust", ORG_NHS_TRUST, "QXX", false, &f->trust_b, &e), BW_OK);
	assert_int_equal(orgs_add(f->db, &cli, "QYY", "South ICS", ORG_ICS, "X26", false, &f->other_ics, &e), BW_OK);
	assert_int_equal(orgs_add(f->db, &cli, "RZZ", "Zeta Trust", ORG_NHS_TRUST, "QYY", false, &f->trust_z, &e), BW_OK);
	f->sys_a = add_system(f->db, f->trust_a, "Patient records");
	f->sys_b = add_system(f->db, f->trust_b, "Pathology");
	f->sys_z = add_system(f->db, f->trust_z, "Radiology");
	f->c_hit = add_comp(f->db, f->trust_a, f->sys_a, "Acme", "Widget", "1.2.0");
	f->c_newer = add_comp(f->db, f->trust_a, f->sys_a, "Acme", "Widget", "1.6.0");
	f->c_odd = add_comp(f->db, f->trust_a, f->sys_a, "Acme", "Widget", "nightly build");
	f->c_gizmo = add_comp(f->db, f->trust_a, f->sys_a, "Globex", "Gizmo", "2.5.0");
	f->c_b = add_comp(f->db, f->trust_b, f->sys_b, "Acme", "Widget", "1.2.0");
	f->c_z = add_comp(f->db, f->trust_z, f->sys_z, "Acme", "Widget", "1.2.0");

	snprintf(f->folder, sizeof f->folder, "%s/%s", dir, name);
	mkdir(f->folder, 0700);
	put_cve(f, 1001, "Acme", "Widget", "1.0.0", "1.5.0", "9.8");
	put_cve(f, 1002, "Globex", "Gizmo", "0", "2.0.0", "5.3");
	assert_int_equal(feeds_source_add(f->db, &cli, "cve", FEEDS_CVE5, f->folder, NULL, NULL, &e), BW_OK);
	sync_ok(f->db, "cve");
}

static struct exposures_run match_ok(struct db *db, bool full)
{
	struct exposures_run r;
	struct bw_error e = { 0 };
	if (exposures_match(db, full, &r, &e) != BW_OK)
		fail_msg("match: %s", e.msg);
	return r;
}

#define CURRENT "SELECT count(*) FROM exposures WHERE gone_at IS NULL"

static int64_t exposure_of(struct db *db, int64_t comp, const char *vuln)
{
	struct db_stmt *st = db_prep(db, "SELECT id FROM exposures WHERE component_id = ?1 AND vuln_id = ?2 AND gone_at IS NULL");
	db_bind_i64(st, 1, comp);
	db_bind_text(st, 2, vuln);
	int64_t id = 0;
	if (db_step(st) == DB_ROW) {
		id = db_col_i64(st, 0);
		db_reset(st);
	}
	return id;
}

/* The decision state an exposure shows ("new" without one). */
static char *state_of(struct db *db, int64_t exposure)
{
	return qt(db, "SELECT coalesce(d.state, 'new') FROM exposures e LEFT JOIN exposure_decisions d ON d.org_id = e.org_id"
		      " AND d.norm_vendor = e.norm_vendor AND d.norm_product = e.norm_product AND d.version = e.version"
		      " AND d.vuln_id = e.vuln_id WHERE e.id = ?1", exposure);
}

static void test_full_match(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, "exp_full");
	struct exposures_run r = match_ok(f.db, false);   /* no state yet: a full run */
	assert_true(r.full);
	assert_int_equal(r.records, 2);
	assert_int_equal(r.components, 6);
	/* widget 1.2 in three trusts (affected), the nightly build (cannot tell) */
	assert_int_equal(q(f.db, CURRENT), 4);
	assert_int_equal(r.added, 4);
	int64_t hit = exposure_of(f.db, f.c_hit, "CVE-2024-1001");
	assert_true(hit > 0);
	char *s = qt(f.db, "SELECT answer || '|' || evidence FROM exposures WHERE id = ?1", hit);
	assert_non_null(strstr(s, "affected|"));
	assert_non_null(strstr(s, "1.2.0"));
	free(s);
	/* the version the scheme cannot order is shown as "cannot tell", never dropped */
	int64_t odd = exposure_of(f.db, f.c_odd, "CVE-2024-1001");
	assert_true(odd > 0);
	s = qt(f.db, "SELECT answer FROM exposures WHERE id = ?1", odd);
	assert_string_equal(s, "unknown");
	free(s);
	/* 1.6 is past the fix; gizmo 2.5 is past its range */
	assert_int_equal(exposure_of(f.db, f.c_newer, "CVE-2024-1001"), 0);
	assert_int_equal(exposure_of(f.db, f.c_gizmo, "CVE-2024-1002"), 0);
	/* the organisation and system are copied for scoped reads */
	assert_int_equal(qi(f.db, "SELECT org_id FROM exposures WHERE id = ?1", hit), f.trust_a);
	assert_int_equal(qi(f.db, "SELECT system_id FROM exposures WHERE id = ?1", hit), f.sys_a);

	/* nothing changed: the next run does nothing */
	r = match_ok(f.db, false);
	assert_true(r.nothing);
	/* a forced full run writes the same, adds nothing, retires nothing */
	r = match_ok(f.db, true);
	assert_int_equal(r.added, 0);
	assert_int_equal(r.gone, 0);
	assert_int_equal(q(f.db, CURRENT), 4);
	assert_int_equal(exposure_of(f.db, f.c_hit, "CVE-2024-1001"), hit);
	db_close(f.db);
}

static void test_incremental(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, "exp_incr");
	match_ok(f.db, false);

	/* one record changed: that record alone is matched again */
	put_cve(&f, 1002, "Globex", "Gizmo", "0", "3.0.0", "5.3");
	sync_ok(f.db, "cve");
	struct exposures_run r = match_ok(f.db, false);
	assert_false(r.full);
	assert_int_equal(r.vulns, 1);
	assert_int_equal(r.records, 1);
	assert_int_equal(r.components, 0);
	assert_int_equal(r.added, 1);
	assert_true(exposure_of(f.db, f.c_gizmo, "CVE-2024-1002") > 0);

	/* a KEV update adding three CVEs re-matches those three ids only */
	char kev[600];
	snprintf(kev, sizeof kev, "%s-kev.json", f.folder);
	write_text(kev, "{\"title\":\"KEV\",\"catalogVersion\":\"x\",\"vulnerabilities\":["
			"{\"cveID\":\"CVE-2024-1001\",\"vendorProject\":\"Acme\",\"product\":\"Widget\",\"vulnerabilityName\":\"x\","
			"\"dateAdded\":\"2024-06-01\",\"shortDescription\":\"x\",\"requiredAction\":\"Patch.\",\"dueDate\":\"2024-06-22\","
			"\"knownRansomwareCampaignUse\":\"Unknown\",\"notes\":\"\"},"
			"{\"cveID\":\"CVE-2024-7001\",\"vendorProject\":\"A\",\"product\":\"B\",\"vulnerabilityName\":\"x\","
			"\"dateAdded\":\"2024-06-01\",\"shortDescription\":\"x\",\"requiredAction\":\"Patch.\",\"dueDate\":\"2024-06-22\","
			"\"knownRansomwareCampaignUse\":\"Unknown\",\"notes\":\"\"},"
			"{\"cveID\":\"CVE-2024-7002\",\"vendorProject\":\"A\",\"product\":\"C\",\"vulnerabilityName\":\"x\","
			"\"dateAdded\":\"2024-06-01\",\"shortDescription\":\"x\",\"requiredAction\":\"Patch.\",\"dueDate\":\"2024-06-22\","
			"\"knownRansomwareCampaignUse\":\"Unknown\",\"notes\":\"\"}]}");
	struct actor cli;
	orgs_actor_cli(&cli);
	struct bw_error e = { 0 };
	assert_int_equal(feeds_source_add(f.db, &cli, "kev", FEEDS_KEV, kev, NULL, NULL, &e), BW_OK);
	sync_ok(f.db, "kev");
	r = match_ok(f.db, false);
	assert_false(r.full);
	assert_int_equal(r.vulns, 3);
	assert_int_equal(r.records, 1);   /* only CVE-2024-1001 has a record the engine reads */
	assert_int_equal(r.components, 0);
	assert_int_equal(r.added, 0);
	assert_int_equal(r.gone, 0);
	/* the KEV flag is read beside the exposure */
	assert_int_equal(q(f.db, "SELECT count(*) FROM exposures e JOIN vulnerabilities v ON v.id = e.vuln_id"
				 " WHERE v.kev = 1 AND e.gone_at IS NULL"), 4);

	/* a changed component: its system alone is matched again */
	struct db_stmt *st = db_prep(f.db, "UPDATE components SET version = '1.3.0', updated_at = ?2 WHERE id = ?1");
	db_bind_i64(st, 1, f.c_newer);
	db_bind_i64(st, 2, bw_now());
	assert_int_equal(db_step(st), DB_DONE);
	r = match_ok(f.db, false);
	assert_false(r.full);
	assert_int_equal(r.records, 0);
	assert_int_equal(r.components, 4);   /* the four of the Alpha Trust's system */
	assert_int_equal(r.added, 1);
	assert_true(exposure_of(f.db, f.c_newer, "CVE-2024-1001") > 0);

	/* a version raised past the fix: that exposure is gone */
	st = db_prep(f.db, "UPDATE components SET version = '1.5.0', updated_at = ?2 WHERE id = ?1");
	db_bind_i64(st, 1, f.c_newer);
	db_bind_i64(st, 2, bw_now());
	assert_int_equal(db_step(st), DB_DONE);
	r = match_ok(f.db, false);
	assert_int_equal(r.gone, 1);
	assert_int_equal(exposure_of(f.db, f.c_newer, "CVE-2024-1001"), 0);

	/* a component removed: its exposures are gone, the others stay */
	int64_t before = q(f.db, CURRENT);
	st = db_prep(f.db, "DELETE FROM components WHERE id = ?1");
	db_bind_i64(st, 1, f.c_b);
	assert_int_equal(db_step(st), DB_DONE);
	r = match_ok(f.db, false);
	assert_int_equal(r.gone, 1);
	assert_int_equal(q(f.db, CURRENT), before - 1);
	assert_true(qi(f.db, "SELECT count(*) FROM exposures WHERE component_id = ?1 AND gone_at IS NOT NULL", f.c_b) == 1);
	db_close(f.db);
}

static void test_triage(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, "exp_triage");
	match_ok(f.db, false);
	int64_t hit = exposure_of(f.db, f.c_hit, "CVE-2024-1001");
	struct actor lead = actor_of(f.db, f.trust_a, ROLE_ORG_LEAD, "lead@rxa.example");
	struct actor other = actor_of(f.db, f.trust_b, ROLE_ORG_LEAD, "lead@rxb.example");
	struct bw_error e = { 0 };

	/* refusals change nothing */
	assert_int_equal(exposures_triage(f.db, &lead, hit, EXPOSURE_NOT_AFFECTED, EXPOSURE_JUST_NONE, NULL, &e), BW_EINVAL);
	assert_string_equal(e.field, "justification");
	assert_int_equal(exposures_triage(f.db, &lead, hit, EXPOSURE_AFFECTED, EXPOSURE_JUST_CODE_NOT_PRESENT, NULL, &e),
			 BW_EINVAL);
	assert_int_equal(exposures_triage(f.db, &other, hit, EXPOSURE_FIXED, EXPOSURE_JUST_NONE, NULL, &e), BW_ENOTFOUND);
	char *s = state_of(f.db, hit);
	assert_string_equal(s, "new");
	free(s);
	assert_int_equal(q(f.db, "SELECT count(*) FROM exposure_decisions"), 0);

	/* a decision, audited, with its history */
	assert_int_equal(exposures_triage(f.db, &lead, hit, EXPOSURE_INVESTIGATING, EXPOSURE_JUST_NONE, "looking", &e), BW_OK);
	assert_int_equal(exposures_triage(f.db, &lead, hit, EXPOSURE_NOT_AFFECTED, EXPOSURE_JUST_NOT_IN_EXECUTE_PATH,
					  "module disabled", &e), BW_OK);
	s = state_of(f.db, hit);
	assert_string_equal(s, "not_affected");
	free(s);
	assert_int_equal(q(f.db, "SELECT count(*) FROM exposure_decision_history"), 2);
	assert_int_equal(q(f.db, "SELECT count(*) FROM audit WHERE action = 'exposure.triage'"), 2);

	/* it survives a full re-match ... */
	match_ok(f.db, true);
	assert_int_equal(exposure_of(f.db, f.c_hit, "CVE-2024-1001"), hit);
	s = state_of(f.db, hit);
	assert_string_equal(s, "not_affected");
	free(s);
	/* ... and a re-import that made a new component row at the same version */
	struct db_stmt *st = db_prep(f.db, "DELETE FROM components WHERE id = ?1");
	db_bind_i64(st, 1, f.c_hit);
	assert_int_equal(db_step(st), DB_DONE);
	int64_t again = add_comp(f.db, f.trust_a, f.sys_a, "ACME", "widget", "1.2.0");
	match_ok(f.db, true);
	int64_t hit2 = exposure_of(f.db, again, "CVE-2024-1001");
	assert_true(hit2 > 0 && hit2 != hit);
	s = state_of(f.db, hit2);
	assert_string_equal(s, "not_affected");
	free(s);
	/* the same product at another version is not covered by that decision */
	int64_t other_version = add_comp(f.db, f.trust_a, f.sys_a, "Acme", "Widget", "1.1.0");
	match_ok(f.db, true);
	s = state_of(f.db, exposure_of(f.db, other_version, "CVE-2024-1001"));
	assert_string_equal(s, "new");
	free(s);

	/* a gone exposure cannot be triaged */
	assert_int_equal(exposures_triage(f.db, &lead, hit, EXPOSURE_FIXED, EXPOSURE_JUST_NONE, NULL, &e), BW_ECONFLICT);
	db_close(f.db);
}

static void test_ics_decision(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, "exp_ics");
	match_ok(f.db, false);
	int64_t a = exposure_of(f.db, f.c_hit, "CVE-2024-1001");
	int64_t b = exposure_of(f.db, f.c_b, "CVE-2024-1001");
	int64_t z = exposure_of(f.db, f.c_z, "CVE-2024-1001");
	struct actor ics = actor_of(f.db, f.ics, ROLE_ICS_LEAD, "lead@qxx.example");
	struct actor lead_b = actor_of(f.db, f.trust_b, ROLE_ORG_LEAD, "lead@rxb.example");
	struct bw_error e = { 0 };
	struct exposures_ics_result res;

	/* an organisation lead may not decide for an ICS; another ICS's exposure is not reachable */
	assert_int_equal(exposures_ics_decide(f.db, &lead_b, "QXX", b, EXPOSURE_AFFECTED, EXPOSURE_JUST_NONE, NULL, false,
					      &res, &e), BW_EFORBIDDEN);
	assert_int_equal(exposures_ics_decide(f.db, &ics, "QYY", z, EXPOSURE_AFFECTED, EXPOSURE_JUST_NONE, NULL, false,
					      &res, &e), BW_ENOTFOUND);
	assert_int_equal(exposures_ics_decide(f.db, &ics, "QXX", z, EXPOSURE_AFFECTED, EXPOSURE_JUST_NONE, NULL, false,
					      &res, &e), BW_ENOTFOUND);

	/* Beta decided for itself first: the ICS decision leaves it as it was */
	assert_int_equal(exposures_triage(f.db, &lead_b, b, EXPOSURE_AFFECTED, EXPOSURE_JUST_NONE, "we run it", &e), BW_OK);
	assert_int_equal(exposures_ics_decide(f.db, &ics, "QXX", a, EXPOSURE_NOT_AFFECTED, EXPOSURE_JUST_MITIGATIONS_EXIST,
					      "WAF rule at the ICS edge", false, &res, &e), BW_OK);
	assert_int_equal(res.applied, 1);
	assert_int_equal(res.kept, 1);
	char *s = state_of(f.db, a);
	assert_string_equal(s, "not_affected");
	free(s);
	s = state_of(f.db, b);
	assert_string_equal(s, "affected");
	free(s);
	/* each record shows who decided: the ICS, by its lead */
	s = qt(f.db, "SELECT d.decided_by || '|' || o.code FROM exposure_decisions d JOIN orgs o ON o.id = d.decided_by_org"
		     " WHERE d.org_id = ?1", f.trust_a);
	assert_string_equal(s, "lead@qxx.example|QXX");
	free(s);
	/* the other ICS's trust is untouched */
	s = state_of(f.db, z);
	assert_string_equal(s, "new");
	free(s);
	/* asked to, it overrides the member's own decision */
	assert_int_equal(exposures_ics_decide(f.db, &ics, "QXX", a, EXPOSURE_FIXED, EXPOSURE_JUST_NONE, NULL, true, &res, &e),
			 BW_OK);
	assert_int_equal(res.applied, 2);
	s = state_of(f.db, b);
	assert_string_equal(s, "fixed");
	free(s);
	assert_int_equal(q(f.db, "SELECT count(*) FROM audit WHERE action = 'exposure.ics_decision'"), 2);

	/* a member that starts running the product later gets the standing
	 * decision on the run that finds its exposure; another ICS's trust does not */
	struct bw_error e2 = { 0 };
	struct actor cli;
	orgs_actor_cli(&cli);
	int64_t trust_c, trust_y;
	assert_int_equal(orgs_add(f.db, &cli, "RXC", "Gamma Trust", ORG_NHS_TRUST, "QXX", false, &trust_c, &e2), BW_OK);
	assert_int_equal(orgs_add(f.db, &cli, "RZY", "Eta Trust", ORG_NHS_TRUST, "QYY", false, &trust_y, &e2), BW_OK);
	int64_t c_c = add_comp(f.db, trust_c, add_system(f.db, trust_c, "Theatres"), "Acme", "Widget", "1.2.0");
	int64_t c_y = add_comp(f.db, trust_y, add_system(f.db, trust_y, "Theatres"), "Acme", "Widget", "1.2.0");
	struct db_stmt *st = db_prep(f.db, "UPDATE components SET updated_at = ?1 WHERE id IN (?2, ?3)");
	db_bind_i64(st, 1, bw_now());
	db_bind_i64(st, 2, c_c);
	db_bind_i64(st, 3, c_y);
	assert_int_equal(db_step(st), DB_DONE);
	struct exposures_run r = match_ok(f.db, false);
	assert_false(r.full);
	assert_int_equal(r.added, 2);
	assert_int_equal(r.ics_applied, 1);
	int64_t later = exposure_of(f.db, c_c, "CVE-2024-1001");
	assert_true(later > 0);
	s = state_of(f.db, later);
	assert_string_equal(s, "fixed");
	free(s);
	s = qt(f.db, "SELECT d.decided_by || '|' || o.code FROM exposure_decisions d JOIN orgs o ON o.id = d.decided_by_org"
		     " WHERE d.org_id = ?1", trust_c);
	assert_string_equal(s, "lead@qxx.example|QXX");
	free(s);
	assert_int_equal(qi(f.db, "SELECT count(*) FROM exposure_decision_history WHERE org_id = ?1", trust_c), 1);
	s = state_of(f.db, exposure_of(f.db, c_y, "CVE-2024-1001"));
	assert_string_equal(s, "new");
	free(s);
	assert_int_equal(q(f.db, "SELECT count(*) FROM audit WHERE action = 'exposure.ics_decision_applied'"), 1);
	/* a member's own later decision is its own; a re-match does not undo it */
	struct actor lead_c = actor_of(f.db, trust_c, ROLE_ORG_LEAD, "lead@rxc.example");
	assert_int_equal(exposures_triage(f.db, &lead_c, later, EXPOSURE_AFFECTED, EXPOSURE_JUST_NONE, NULL, &e2), BW_OK);
	r = match_ok(f.db, true);
	assert_int_equal(r.ics_applied, 0);
	s = state_of(f.db, later);
	assert_string_equal(s, "affected");
	free(s);
	db_close(f.db);
}

static void test_feed_cache(void **state)
{
	(void)state;
	struct fx f;
	exposures_feed_cache_drop();
	setup(&f, "exp_cache");
	struct exposures_run r = match_ok(f.db, false);
	assert_true(r.full);
	assert_false(r.feed_cached);
	/* an inventory change alone: the feed compiled by the last run is reused */
	struct db_stmt *st = db_prep(f.db, "UPDATE components SET version = '1.3.0', updated_at = ?2 WHERE id = ?1");
	db_bind_i64(st, 1, f.c_newer);
	db_bind_i64(st, 2, bw_now());
	assert_int_equal(db_step(st), DB_DONE);
	r = match_ok(f.db, false);
	assert_true(r.feed_cached);
	assert_int_equal(r.added, 1);
	assert_true(exposure_of(f.db, f.c_newer, "CVE-2024-1001") > 0);
	/* a feed change: compiled again, and the new range is what matches */
	put_cve(&f, 1002, "Globex", "Gizmo", "0", "3.0.0", "5.3");
	sync_ok(f.db, "cve");
	r = match_ok(f.db, false);
	assert_false(r.feed_cached);
	assert_true(exposure_of(f.db, f.c_gizmo, "CVE-2024-1002") > 0);
	st = db_prep(f.db, "UPDATE components SET version = '2.9.0', updated_at = ?2 WHERE id = ?1");
	db_bind_i64(st, 1, f.c_gizmo);
	db_bind_i64(st, 2, bw_now());
	assert_int_equal(db_step(st), DB_DONE);
	r = match_ok(f.db, false);
	assert_true(r.feed_cached);
	assert_true(exposure_of(f.db, f.c_gizmo, "CVE-2024-1002") > 0);   /* 2.9 < 3.0: the new record's range */
	db_close(f.db);

	/* another database with the same number of feed changes is not mistaken for this one */
	setup(&f, "exp_cache2");
	put_cve(&f, 1002, "Globex", "Gizmo", "0", "3.0.0", "5.3");
	sync_ok(f.db, "cve");
	r = match_ok(f.db, false);
	assert_false(r.feed_cached);
	assert_true(exposure_of(f.db, f.c_gizmo, "CVE-2024-1002") > 0);
	db_close(f.db);
	exposures_feed_cache_drop();
}

/* ---- the demo's feed sources ---- */

struct zip_copy {
	struct archive *out;
	int n;
};

static bool slice_want(void *ctx, const char *name)
{
	(void)ctx;
	return strstr(name, "/CVE-2024-4671.json") || strstr(name, "/CVE-2024-20481.json") ||
	       strstr(name, "/CVE-2024-4672.json");
}

static enum bw_err slice_copy(void *ctx, const char *name, const char *p, size_t n, struct bw_error *err)
{
	(void)err;
	struct zip_copy *z = ctx;
	struct archive_entry *en = archive_entry_new();
	archive_entry_set_pathname(en, name);
	archive_entry_set_size(en, (la_int64_t)n);
	archive_entry_set_filetype(en, AE_IFREG);
	archive_entry_set_perm(en, 0644);
	assert_int_equal(archive_write_header(z->out, en), ARCHIVE_OK);
	assert_int_equal(archive_write_data(z->out, p, n), (la_ssize_t)n);
	archive_entry_free(en);
	z->n++;
	return BW_OK;
}

static const char *real_data(void)
{
	const char *d = getenv("BULWARK_DATA");
	return d && *d ? d : "../shared/data";
}

/* A fresh demo on a small copy of the shared data's layout (the real KEV
 * catalogue; a CVE 5 zip of three real records, two of them in the demo's
 * slice): every source the demo registers points at something that stays,
 * and `bulwark feeds sync` of each succeeds. */
static void test_demo_sources(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, "exp_demo");
	char data[600], p[700], real[700];
	snprintf(data, sizeof data, "%s/demo-data", dir);
	const char *const made[] = { "", "/feeds", "/feeds/kev", "/feeds/cve5" };
	for (size_t i = 0; i < BW_NELEM(made); i++) {
		snprintf(p, sizeof p, "%s%s", data, made[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	snprintf(p, sizeof p, "%s/feeds/kev/known_exploited_vulnerabilities.json", data);
	snprintf(real, sizeof real, "%s/feeds/kev/known_exploited_vulnerabilities.json", real_data());
	char *abs = realpath(real, NULL);
	assert_non_null(abs);
	assert_int_equal(symlink(abs, p), 0);
	free(abs);
	snprintf(p, sizeof p, "%s/feeds/cve5/vulnrichment.zip", data);
	snprintf(real, sizeof real, "%s/feeds/cve5/vulnrichment.zip", real_data());
	struct zip_copy z = { archive_write_new(), 0 };
	archive_write_set_format_zip(z.out);
	assert_int_equal(archive_write_open_filename(z.out, p), ARCHIVE_OK);
	struct feeds_walk w = { &z, slice_want, slice_copy, NULL, 0 };
	struct bw_error e = { 0 };
	if (feeds_walk_path(real, &w, &e) != BW_OK)
		fail_msg("%s: %s", real, e.msg);
	archive_write_close(z.out);
	archive_write_free(z.out);
	assert_int_equal(z.n, 3);

	if (exposures_demo_seed(f.db, data, &e) != BW_OK)
		fail_msg("demo seed: %s", e.msg);
	/* the slice went into the CVE list's own source, and only the slice */
	assert_int_equal(q(f.db, "SELECT count(*) FROM feed_records r JOIN feed_sources s ON s.id = r.source_id"
				 " WHERE s.name = 'cve-vulnrichment'"), 2);
	struct feeds_source *src;
	size_t n;
	assert_int_equal(feeds_source_list(f.db, &src, &n, &e), BW_OK);
	assert_int_equal(n, 3);   /* cisa-kev, cve-vulnrichment, and the test's own "cve" */
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		if (stat(src[i].location, &sb) != 0)
			fail_msg("source %s points at %s, which does not exist", src[i].name, src[i].location);
		struct feeds_sync_result r;
		if (feeds_sync(f.db, NULL, src[i].name, &r, &e) != BW_OK)
			fail_msg("feeds sync %s: %s", src[i].name, e.msg);
		if (!strcmp(src[i].name, "cve-vulnrichment")) {
			/* the whole source now: the slice unchanged, the third record added */
			assert_int_equal(r.unchanged, 2);
			assert_int_equal(r.added, 1);
			assert_int_equal(r.withdrawn, 0);
		}
	}
	free(src);
	db_close(f.db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_match),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_triage),
		cmocka_unit_test(test_ics_decision),
		cmocka_unit_test(test_feed_cache),
		cmocka_unit_test(test_demo_sources),
	};
	return cmocka_run_group_tests_name("exposures", tests, group_setup, group_teardown);
}

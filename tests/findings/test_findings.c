/*
 * Unit tests for the findings module (src/findings) on a database: the rule
 * library (import keeps the engine's refusals, re-import updates in place,
 * enable/disable changes what fires), scanning events into findings (stored
 * with rule, level, host, time, matched fields; the same event sent again is
 * a duplicate, not a second finding; a bad JSON line is counted as damaged),
 * triage transitions (a false positive needs a reason; audited), and an
 * uploaded EVTX file scanned by the `findings.scan` job. The backend is the
 * one BULWARK_TEST_DB names (SQLite by default).
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

#include "findings/findings.h"

static const char *data_dir(void)
{
	const char *d = getenv("BULWARK_DATA");
	return d && *d ? d : "../shared/data";
}

static struct db *fresh_db(const char *name)
{
	char schema[128];
	snprintf(schema, sizeof schema, "tf_%s", name);
	const struct db_migration *const sets[] = { orgs_migrations, audit_migrations, db_jobs_migrations,
						    findings_migrations, NULL };
	findings_engine_drop();   /* each database starts its own library */
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

static struct actor actor_at(struct db *db, const char *code, enum role role)
{
	struct org o;
	assert_int_equal(orgs_get_by_code(db, code, &o, NULL), BW_OK);
	struct actor a = { .user_id = 7, .org_id = o.id, .role = role };
	snprintf(a.email, sizeof a.email, "lead@%s.example", code);
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

static char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	struct buf b;
	buf_init(&b);
	char tmp[8192];
	size_t k;
	while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_add(&b, tmp, k);
	fclose(f);
	*n = b.len;
	buf_putc(&b, 0);
	return buf_steal(&b);
}

#define GRIXBA_RULE "/detect/sigma/rules-emerging-threats/2025/Malware/Grixba/proc_creation_win_malware_grixba_recon.yml"
#define GRIXBA_CASE "/detect/sigma-regression/regression_data/rules-emerging-threats/2025/Malware/Grixba/" \
	"proc_creation_win_malware_grixba_recon/af688c76-4ce4-4309-bfdd-e896f01acf27"

static const char whoami_rule[] =
	"title: Whoami run (test)\n"
	"id: 11111111-2222-3333-4444-555555555555\n"
	"status: test\n"
	"author: Test Author\n"
	"tags:\n  - attack.discovery\n  - attack.t1033\n"
	"logsource:\n  category: process_creation\n  product: windows\n"
	"detection:\n  selection:\n    Image|endswith: '\\whoami.exe'\n  condition: selection\n"
	"level: medium\n";

#define EVENT(host, time, image, cmd) \
	"{\"Event\":{\"System\":{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\"," \
	"\"Computer\":\"" host "\",\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"" time "\"}}}," \
	"\"EventData\":{\"Image\":\"" image "\",\"CommandLine\":\"" cmd "\"}}}\n"

static const char grixba_event[] =
	EVENT("ward-pc-7", "2025-11-26T05:11:27.927693Z", "C:\\\\Users\\\\x\\\\GRB_NET.exe",
	      "GRB_NET.exe  -m:scan -i:f -d:list.txt");
static const char whoami_event[] =
	EVENT("ward-pc-8", "2025-11-27T09:00:00Z", "C:\\\\Windows\\\\System32\\\\whoami.exe", "whoami /all");

static void import_rules(struct db *db, const struct actor *a)
{
	char path[1024];
	snprintf(path, sizeof path, "%s" GRIXBA_RULE, data_dir());
	size_t n;
	char *text = read_all(path, &n);
	struct findings_import im;
	struct bw_error err = { 0 };
	if (findings_rules_import_text(db, a, "proc_creation_win_malware_grixba_recon.yml", text, n, &im, &err) != BW_OK)
		fail_msg("import: %s", err.msg);
	free(text);
	assert_int_equal(im.loaded, 1);
	assert_int_equal(im.added, 1);
	assert_int_equal(findings_rules_import_text(db, a, "whoami.yml", whoami_rule, strlen(whoami_rule), &im, &err), BW_OK);
	assert_int_equal(im.loaded, 1);
}

static void library_keeps_refusals_and_updates_in_place(void **state)
{
	(void)state;
	struct db *db = fresh_db("library");
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	struct actor an = actor_at(db, "NAT", ROLE_ANALYST);
	int64_t v0 = findings_library_version(db);
	import_rules(db, &an);
	assert_true(findings_library_version(db) > v0);
	assert_int_equal(count(db, "SELECT count(*) FROM detect_rules WHERE load_error IS NULL AND enabled = 1"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM detect_rules WHERE uuid = 'af688c76-4ce4-4309-bfdd-e896f01acf27'"
				   " AND level = 'high' AND author LIKE '%Swachchhanda%' AND tags LIKE '%attack.t1046%'"
				   " AND logsource LIKE '%process_creation%'"), 1);

	/* a rule the engine refuses is kept with its reason, never dropped */
	static const char bad[] = "title: Broken rule\nid: 99999999-0000-0000-0000-000000000001\nauthor: Someone\n"
				  "logsource:\n  product: windows\ndetection:\n  selection:\n    Image: x\n"
				  "  condition: selection and nothing_called_this\nlevel: low\n";
	struct findings_import im;
	struct bw_error err = { 0 };
	assert_int_equal(findings_rules_import_text(db, &an, "broken.yml", bad, strlen(bad), &im, &err), BW_OK);
	assert_int_equal(im.failed, 1);
	assert_int_equal(im.loaded, 0);
	assert_int_equal(count(db, "SELECT count(*) FROM detect_rules WHERE uuid = '99999999-0000-0000-0000-000000000001'"
				   " AND title = 'Broken rule' AND load_error IS NOT NULL AND load_error <> ''"), 1);

	/* importing the same rule again updates it, keeps enabled and hits */
	assert_int_equal(findings_rules_import_text(db, &an, "whoami.yml", whoami_rule, strlen(whoami_rule), &im, &err), BW_OK);
	assert_int_equal(im.updated, 1);
	assert_int_equal(im.added, 0);
	assert_int_equal(count(db, "SELECT count(*) FROM detect_rules"), 3);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action = 'detect.rules.import'"), 4);

	/* a whole folder: every rule file, each refusal reported */
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/detect/sigma/rules-emerging-threats/2025/Malware", data_dir());
	assert_int_equal(findings_rules_import_dir(db, &an, dir, &im, &err), BW_OK);
	assert_true(im.files >= 5);
	assert_int_equal(im.files, im.loaded + im.failed);
	assert_int_equal(count(db, "SELECT count(*) FROM detect_rules"), 3 + im.added);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action = 'detect.rules.import'"), 5);
	db_close(db);
}

static void scan_stores_dedupes_and_counts_damage(void **state)
{
	(void)state;
	struct db *db = fresh_db("scan");
	int64_t nat = add_org(db, "NAT", ORG_NATIONAL, NULL);
	int64_t t1 = add_org(db, "T1", ORG_NHS_TRUST, "NAT");
	int64_t t2 = add_org(db, "T2", ORG_NHS_TRUST, "NAT");
	(void)nat;
	struct actor an = actor_at(db, "NAT", ROLE_ANALYST);
	import_rules(db, &an);

	struct buf body;
	buf_init(&body);
	buf_puts(&body, grixba_event);
	buf_puts(&body, "{\"this is\": not json}\n");
	buf_puts(&body, whoami_event);
	struct findings_scan s;
	struct bw_error err = { 0 };
	assert_int_equal(findings_scan_json(db, t1, body.p, body.len, "api", 0, &s, &err), BW_OK);
	assert_int_equal(s.events, 2);
	assert_int_equal(s.damaged, 1);
	assert_int_equal(s.findings, 2);
	assert_int_equal(s.duplicates, 0);
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM findings f JOIN detect_rules r ON r.id = f.rule_id WHERE f.org_id = %lld"
		 " AND r.uuid = 'af688c76-4ce4-4309-bfdd-e896f01acf27' AND f.level = 'high' AND f.host = 'ward-pc-7'"
		 " AND f.event_time = '2025-11-26T05:11:27.927693Z' AND f.event_at = 1764133887 AND f.state = 'new'"
		 " AND f.fields LIKE '%%CommandLine%%' AND f.tags LIKE '%%attack.t1046%%' AND f.source = 'api'",
		 (long long)t1);
	assert_int_equal(count(db, sql), 1);

	/* the same events again: no new finding */
	assert_int_equal(findings_scan_json(db, t1, body.p, body.len, "api", 0, &s, &err), BW_OK);
	assert_int_equal(s.findings, 0);
	assert_int_equal(s.duplicates, 2);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM findings WHERE org_id = %lld", (long long)t1);
	assert_int_equal(count(db, sql), 2);
	/* ... but another organisation's copy is its own finding */
	assert_int_equal(findings_scan_json(db, t2, body.p, body.len, "api", 0, &s, &err), BW_OK);
	assert_int_equal(s.findings, 2);
	assert_int_equal(count(db, "SELECT hits FROM detect_rules WHERE uuid = '11111111-2222-3333-4444-555555555555'"), 2);
	buf_free(&body);
	db_close(db);
}

static void disabling_a_rule_stops_it_firing(void **state)
{
	(void)state;
	struct db *db = fresh_db("enable");
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	int64_t t1 = add_org(db, "T1", ORG_NHS_TRUST, "NAT");
	struct actor an = actor_at(db, "NAT", ROLE_ANALYST);
	import_rules(db, &an);
	int64_t rid = count(db, "SELECT id FROM detect_rules WHERE uuid = '11111111-2222-3333-4444-555555555555'");
	struct bw_error err = { 0 };
	int64_t v = findings_library_version(db);
	assert_int_equal(findings_rule_set_enabled(db, &an, rid, false, &err), BW_OK);
	assert_true(findings_library_version(db) > v);
	struct findings_scan s;
	assert_int_equal(findings_scan_json(db, t1, whoami_event, strlen(whoami_event), "api", 0, &s, &err), BW_OK);
	assert_int_equal(s.events, 1);
	assert_int_equal(s.findings, 0);
	assert_int_equal(findings_rule_set_enabled(db, &an, rid, true, &err), BW_OK);
	assert_int_equal(findings_scan_json(db, t1, whoami_event, strlen(whoami_event), "api", 0, &s, &err), BW_OK);
	assert_int_equal(s.findings, 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action IN ('detect.rule.enable', 'detect.rule.disable')"), 2);
	assert_int_equal(findings_rule_set_enabled(db, &an, 424242, true, &err), BW_ENOTFOUND);
	db_close(db);
}

static void triage_transitions(void **state)
{
	(void)state;
	struct db *db = fresh_db("triage");
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	int64_t t1 = add_org(db, "T1", ORG_NHS_TRUST, "NAT");
	struct actor an = actor_at(db, "NAT", ROLE_ANALYST);
	struct actor lead = actor_at(db, "T1", ROLE_ORG_LEAD);
	import_rules(db, &an);
	struct findings_scan s;
	struct bw_error err = { 0 };
	assert_int_equal(findings_scan_json(db, t1, whoami_event, strlen(whoami_event), "api", 0, &s, &err), BW_OK);
	int64_t fid = count(db, "SELECT id FROM findings");
	int64_t audits = count(db, "SELECT count(*) FROM audit");

	assert_int_equal(findings_triage(db, &lead, fid, FINDING_FALSE_POSITIVE, "", &err), BW_EINVAL);
	assert_string_equal(err.field, "note");
	assert_int_equal(count(db, "SELECT count(*) FROM findings WHERE state = 'new'"), 1);
	assert_int_equal(findings_triage(db, &lead, fid, FINDING_FALSE_POSITIVE, "Our admin's inventory script", &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM findings WHERE state = 'false_positive'"
				   " AND state_by = 'lead@T1.example' AND state_note = 'Our admin''s inventory script'"
				   " AND state_at IS NOT NULL"), 1);
	assert_int_equal(findings_triage(db, &lead, fid, FINDING_ESCALATED, NULL, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM findings WHERE state = 'escalated' AND state_note IS NULL"), 1);
	assert_int_equal(findings_triage(db, &lead, fid, FINDING_NEW, "reopened", &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM findings WHERE state = 'new'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit") - audits, 3);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action = 'finding.triage'"
				   " AND summary LIKE '%false_positive -> escalated%'"), 1);
	assert_int_equal(findings_triage(db, &lead, fid + 1000, FINDING_ESCALATED, NULL, &err), BW_ENOTFOUND);
	enum findings_state st;
	assert_true(findings_state_parse("escalated", &st));
	assert_int_equal(st, FINDING_ESCALATED);
	assert_false(findings_state_parse("closed", &st));
	db_close(db);
}

static void upload_is_scanned_by_the_job(void **state)
{
	(void)state;
	struct db *db = fresh_db("upload");
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	int64_t t1 = add_org(db, "T1", ORG_NHS_TRUST, "NAT");
	struct actor an = actor_at(db, "NAT", ROLE_ANALYST);
	struct actor lead = actor_at(db, "T1", ROLE_ORG_LEAD);
	import_rules(db, &an);
	char path[1024];
	snprintf(path, sizeof path, "%s" GRIXBA_CASE ".evtx", data_dir());
	size_t n;
	char *evtx = read_all(path, &n);
	struct bw_error err = { 0 };
	int64_t up;
	assert_int_equal(findings_upload_add(db, &lead, t1, "sysmon.evtx", evtx, n, &up, &err), BW_OK);
	free(evtx);
	assert_int_equal(count(db, "SELECT count(*) FROM event_uploads WHERE state = 'queued'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM jobs WHERE kind = 'findings.scan' AND state = 'queued'"), 1);
	assert_int_equal(findings_upload_add(db, &lead, t1, "empty.evtx", "", 0, NULL, &err), BW_EINVAL);

	const char *kinds[] = { "findings.scan", NULL };
	struct db_job job;
	assert_int_equal(db_job_claim(db, kinds, 60, &job, &err), BW_OK);
	if (findings_job_scan(db, &job, &err) != BW_OK)
		fail_msg("scan job: %s", err.msg);
	/* run twice (a worker died before recording it): nothing changes */
	assert_int_equal(findings_job_scan(db, &job, &err), BW_OK);
	db_job_clear(&job);
	char sql[400];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM event_uploads WHERE id = %lld AND state = 'done' AND events >= 1"
		 " AND findings = 1 AND finished_at IS NOT NULL", (long long)up);
	assert_int_equal(count(db, sql), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM event_upload_chunks"), 0);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM findings f JOIN detect_rules r ON r.id = f.rule_id WHERE f.upload_id = %lld"
		 " AND r.uuid = 'af688c76-4ce4-4309-bfdd-e896f01acf27' AND f.source = 'sysmon.evtx' AND f.host = 'swachchhanda'",
		 (long long)up);
	assert_int_equal(count(db, sql), 1);

	/* the same event as JSON (the regression case's .json) is the same finding */
	snprintf(path, sizeof path, "%s" GRIXBA_CASE ".json", data_dir());
	struct findings_scan s;
	assert_int_equal(findings_scan_file(db, t1, path, "case.json", 0, &s, &err), BW_OK);
	assert_int_equal(s.events, 1);
	assert_int_equal(s.findings + s.duplicates, 1);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(library_keeps_refusals_and_updates_in_place),
		cmocka_unit_test(scan_stores_dedupes_and_counts_damage),
		cmocka_unit_test(disabling_a_rule_stops_it_firing),
		cmocka_unit_test(triage_transitions),
		cmocka_unit_test(upload_is_scanned_by_the_job),
	};
	/* BULWARK_TEST_DB names the backend (tests/run runs this on PostgreSQL too) */
	int rc = cmocka_run_group_tests_name(testdb_pg_url() ? "findings (postgres)" : "findings (sqlite)", tests,
					     testdb_group_setup, testdb_group_teardown);
	findings_engine_drop();
	return rc;
}

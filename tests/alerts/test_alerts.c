/*
 * Unit tests for the alerts module's advisories, targeting and responses
 * (src/alerts/advisories.c, targeting.c, responses.c): the response state
 * machine, deadline arithmetic across the clock changes of British Summer
 * Time, the TLP visibility rule, an advisory's life (review, publish,
 * revise, withdraw) with its targets and responses, bulk responses by an ICS
 * lead, closure with an accepted risk, and escalation of overdue responses.
 * The database tests run on SQLite, or on PostgreSQL when BULWARK_TEST_DB
 * names a postgresql:// URL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/testdb.h"

#include "alerts/alerts.h"
#include "alerts/outbox.h"
#include "match/match.h"
#include "registers/components.h"
#include "registers/registers.h"

/* ---- the state machine ---- */

static void state_machine(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	enum alerts_rstate to;
	assert_int_equal(alerts_transition(RS_ISSUED, STEP_ACKNOWLEDGE, &to, &err), BW_OK);
	assert_int_equal(to, RS_ACKNOWLEDGED);
	assert_int_equal(alerts_transition(RS_ACKNOWLEDGED, STEP_APPLICABLE, &to, &err), BW_OK);
	assert_int_equal(to, RS_APPLICABLE);
	assert_int_equal(alerts_transition(RS_APPLICABLE, STEP_UPDATE, &to, &err), BW_OK);
	assert_int_equal(to, RS_APPLICABLE);
	assert_int_equal(alerts_transition(RS_ACKNOWLEDGED, STEP_UPDATE, &to, &err), BW_OK);
	assert_int_equal(to, RS_ACKNOWLEDGED);
	assert_int_equal(alerts_transition(RS_APPLICABLE, STEP_CLOSE, &to, &err), BW_OK);
	assert_int_equal(to, RS_CLOSED);
	assert_int_equal(alerts_transition(RS_ACKNOWLEDGED, STEP_NOT_APPLICABLE, &to, &err), BW_OK);
	assert_int_equal(to, RS_CLOSED);
	assert_int_equal(alerts_transition(RS_APPLICABLE, STEP_NOT_APPLICABLE, &to, &err), BW_OK);
	assert_int_equal(to, RS_CLOSED);

	/* refusals say what to do first */
	assert_int_equal(alerts_transition(RS_ISSUED, STEP_APPLICABLE, &to, &err), BW_ECONFLICT);
	assert_non_null(strstr(err.msg, "Acknowledge"));
	assert_int_equal(alerts_transition(RS_ISSUED, STEP_UPDATE, &to, &err), BW_ECONFLICT);
	assert_int_equal(alerts_transition(RS_ISSUED, STEP_CLOSE, &to, &err), BW_ECONFLICT);
	assert_int_equal(alerts_transition(RS_ACKNOWLEDGED, STEP_CLOSE, &to, &err), BW_ECONFLICT);
	assert_non_null(strstr(err.msg, "applies"));
	assert_int_equal(alerts_transition(RS_ACKNOWLEDGED, STEP_ACKNOWLEDGE, &to, &err), BW_ECONFLICT);
	assert_int_equal(alerts_transition(RS_APPLICABLE, STEP_APPLICABLE, &to, &err), BW_ECONFLICT);
	for (int s = 0; s < STEP_COUNT; s++) {
		assert_int_equal(alerts_transition(RS_CLOSED, (enum alerts_step)s, &to, &err), BW_ECONFLICT);
		assert_non_null(strstr(err.msg, "closed"));
	}
	enum alerts_rstate p;
	assert_true(alerts_rstate_parse("applicable", &p));
	assert_int_equal(p, RS_APPLICABLE);
	assert_false(alerts_rstate_parse("open", &p));
}

/* ---- deadlines ---- */

static void deadlines_and_summer_time(void **state)
{
	(void)state;
	char shown[48];
	/* British Summer Time 2026 ends at 01:00 UTC on Sunday 25 October */
	int64_t sat = alerts_london_to_utc(2026, 10, 24, 10, 0);   /* 10:00 BST */
	assert_int_equal(sat, 1792832400);                         /* 09:00 UTC */
	/* 48 hours to acknowledge are 48 hours: the London clock shows an hour earlier */
	int64_t due = alerts_ack_due(sat, 48);
	assert_int_equal(due - sat, 48 * 3600);
	bw_time_london(due, shown);
	assert_string_equal(shown, "26 Oct 2026 09:00 GMT");
	/* three days of updates keep the clock time: 73 hours across the change */
	int64_t next = alerts_add_london_days(sat, 3);
	assert_int_equal(next - sat, 73 * 3600);
	bw_time_london(next, shown);
	assert_string_equal(shown, "27 Oct 2026 10:00 GMT");
	/* and 71 hours across its start (29 March 2026) */
	int64_t mar = alerts_london_to_utc(2026, 3, 27, 16, 30);
	assert_int_equal(alerts_add_london_days(mar, 3) - mar, 71 * 3600);
	bw_time_london(alerts_add_london_days(mar, 3), shown);
	assert_string_equal(shown, "30 Mar 2026 16:30 BST");
	/* within one season a day is 24 hours */
	int64_t jun = alerts_london_to_utc(2026, 6, 1, 9, 0);
	assert_int_equal(alerts_add_london_days(jun, 1) - jun, 86400);
	/* the autumn fold: 01:30 happens twice; the first (BST) is taken */
	assert_int_equal(alerts_london_to_utc(2026, 10, 25, 1, 30), 1792888200);   /* 00:30 UTC */
	/* the spring gap: 01:30 does not exist; the instant is 02:30 BST */
	int64_t gap = alerts_london_to_utc(2026, 3, 29, 1, 30);
	bw_time_london(gap, shown);
	assert_string_equal(shown, "29 Mar 2026 02:30 BST");

	int64_t t;
	assert_true(alerts_date_parse("2026-10-27", &t));
	bw_time_london(t, shown);
	assert_string_equal(shown, "27 Oct 2026 17:00 GMT");
	assert_true(alerts_date_parse("1/7/2026", &t));
	bw_time_london(t, shown);
	assert_string_equal(shown, "01 Jul 2026 17:00 BST");
	assert_false(alerts_date_parse("2026-02-30", &t));
	assert_false(alerts_date_parse("31/4/2026", &t));
	assert_false(alerts_date_parse("tomorrow", &t));
	assert_false(alerts_date_parse("2026-10-27x", &t));
	assert_true(alerts_date_parse("29/2/2028", &t));

	struct alerts_response r = { .state = RS_ISSUED, .ack_due = 1000 };
	assert_false(alerts_response_overdue(&r, 1000));
	assert_true(alerts_response_overdue(&r, 1001));
	r.state = RS_APPLICABLE;
	r.next_update_due = 5000;
	assert_false(alerts_response_overdue(&r, 4000));
	assert_true(alerts_response_overdue(&r, 5001));
	r.state = RS_CLOSED;
	assert_false(alerts_response_overdue(&r, 99999));
	r.state = RS_ISSUED;
	r.ack_due = 0;   /* a bulletin: no acknowledgement asked */
	assert_false(alerts_response_overdue(&r, 99999));
}

static void tlp_labels(void **state)
{
	(void)state;
	enum alerts_tlp t;
	assert_true(alerts_tlp_parse("AMBER+STRICT", &t));
	assert_int_equal(t, TLP_AMBER_STRICT);
	assert_string_equal(alerts_tlp_label(t), "TLP:AMBER+STRICT");
	assert_true(alerts_tlp_parse("TLP:CLEAR", &t));
	assert_int_equal(t, TLP_CLEAR);
	assert_false(alerts_tlp_parse("WHITE", &t));
	assert_false(alerts_tlp_parse("amber", &t));
}

static void field_checks(void **state)
{
	(void)state;
	const char *v[AF_NFIELDS] = { 0 };
	v[AF_TITLE] = "Citrix Bleed";
	v[AF_TYPE] = "high_severity_alert";
	v[AF_SEVERITY] = "critical";
	v[AF_TLP] = "AMBER";
	v[AF_SUMMARY] = "Patch now.";
	v[AF_REMEDIATION] = "Upgrade.";
	v[AF_TARGET_KIND] = "all";
	v[AF_CVES] = "CVE-2023-4966, CVE-2023-4967";
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	assert_int_equal(alerts_validate(v, &errs), BW_OK);
	v[AF_CVES] = "CVE-2023-4966 bogus";
	v[AF_TLP] = "WHITE";
	v[AF_TARGET_KIND] = "list";
	v[AF_TARGET_TYPES] = "nhs_trust, national";
	v[AF_ACK_HOURS] = "9999";
	web_form_errors_init(&errs);
	assert_int_equal(alerts_validate(v, &errs), BW_EINVAL);
	assert_non_null(web_form_error_for(&errs, "tlp"));
	assert_non_null(strstr(web_form_error_for(&errs, "cves"), "bogus"));
	assert_non_null(strstr(web_form_error_for(&errs, "target_types"), "national"));
	assert_non_null(web_form_error_for(&errs, "target_codes"));
	assert_non_null(web_form_error_for(&errs, "ack_hours"));
	assert_null(web_form_error_for(&errs, "title"));
}

/* ---- on a database ---- */

static struct db *fresh_db(const char *name)
{
	char schema[128];
	snprintf(schema, sizeof schema, "ta_%s", name);
	const struct db_migration *const sets[] = { orgs_migrations, audit_migrations, db_jobs_migrations,
						    suppliers_migrations, risks_migrations, outbox_migrations,
						    alerts_migrations, NULL };
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

static struct actor actor_at(struct db *db, const char *code, enum role role, int64_t uid)
{
	struct org o;
	assert_int_equal(orgs_get_by_code(db, code, &o, NULL), BW_OK);
	struct actor a = { .user_id = uid, .org_id = o.id, .role = role };
	snprintf(a.email, sizeof a.email, "person%lld@%s.example", (long long)uid, code);
	snprintf(a.name, sizeof a.name, "Person %lld", (long long)uid);
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

static int64_t org_id(struct db *db, const char *code)
{
	struct org o;
	assert_int_equal(orgs_get_by_code(db, code, &o, NULL), BW_OK);
	return o.id;
}

/* NAT (national) > REG (region) > ICS1 > TR1 > GP1, ICS1 > TR2, ICS1 > GP2;
 * REG > ICS2 > TR3, ICS2 > PH3 (pharmacy); SUP (a supplier record). */
static struct db *estate(const char *name)
{
	struct db *db = fresh_db(name);
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	add_org(db, "REG", ORG_REGION, "NAT");
	add_org(db, "ICS1", ORG_ICS, "REG");
	add_org(db, "TR1", ORG_NHS_TRUST, "ICS1");
	add_org(db, "GP1", ORG_GP_PRACTICE, "TR1");
	add_org(db, "TR2", ORG_NHS_TRUST, "ICS1");
	add_org(db, "GP2", ORG_GP_PRACTICE, "ICS1");
	add_org(db, "ICS2", ORG_ICS, "REG");
	add_org(db, "TR3", ORG_NHS_TRUST, "ICS2");
	add_org(db, "PH3", ORG_PHARMACY, "ICS2");
	add_org(db, "SUP", ORG_SUPPLIER, "NAT");
	return db;
}

static void draft_values(const char **v, const char *tlp, const char *kind, const char *codes)
{
	memset(v, 0, AF_NFIELDS * sizeof *v);
	v[AF_TITLE] = "Critical vulnerability in Citrix NetScaler ADC";
	v[AF_TYPE] = "high_severity_alert";
	v[AF_SEVERITY] = "critical";
	v[AF_THREAT] = "Information disclosure";
	v[AF_TLP] = tlp;
	v[AF_SUMMARY] = "Session tokens leak from unpatched appliances.";
	v[AF_REMEDIATION] = "Upgrade to 14.1-8.50 and kill all sessions.";
	v[AF_CVES] = "CVE-2023-4966";
	v[AF_TARGET_KIND] = kind;
	v[AF_TARGET_CODES] = codes;
}

static void publish(struct db *db, const struct actor *an, const char *id, int64_t expect_targets)
{
	struct bw_error err = { 0 };
	int64_t n = -1;
	if (alerts_submit(db, an, id, &err) != BW_OK)
		fail_msg("submit: %s", err.msg);
	if (alerts_publish(db, an, id, &n, &err) != BW_OK)
		fail_msg("publish: %s", err.msg);
	assert_int_equal(n, expect_targets);
}

static void new_advisory(struct db *db, const struct actor *an, const char *tlp, const char *kind, const char *codes,
			 char id[ALERTS_ID_MAX + 1])
{
	const char *v[AF_NFIELDS];
	draft_values(v, tlp, kind, codes);
	struct bw_error err = { 0 };
	if (alerts_create(db, an, v, id, &err) != BW_OK)
		fail_msg("create: %s (%s)", err.msg, err.field);
}

static bool sees(struct db *db, const struct actor *a, const char *id, int64_t as_org)
{
	struct arena ar;
	arena_init(&ar);
	struct alerts_advisory adv;
	assert_int_equal(alerts_get(db, &ar, id, &adv), BW_OK);
	bool ok = alerts_visible(db, a, &adv, as_org);
	arena_free(&ar);
	return ok;
}

static void lifecycle(void **state)
{
	(void)state;
	struct db *db = estate("lifecycle");
	struct actor an = actor_at(db, "NAT", ROLE_ANALYST, 1);
	struct bw_error err = { 0 };
	char id[ALERTS_ID_MAX + 1];
	new_advisory(db, &an, "GREEN", "all", "", id);
	assert_string_equal(id, "CC-0001");
	char id2[ALERTS_ID_MAX + 1];
	new_advisory(db, &an, "GREEN", "all", "", id2);
	assert_string_equal(id2, "CC-0002");

	/* not without review */
	assert_int_equal(alerts_publish(db, &an, id, NULL, &err), BW_ECONFLICT);
	assert_non_null(strstr(err.msg, "review"));
	assert_int_equal(alerts_submit(db, &an, id, &err), BW_OK);
	assert_int_equal(alerts_submit(db, &an, id, &err), BW_ECONFLICT);
	assert_int_equal(alerts_return_to_draft(db, &an, id, "Fix the title", &err), BW_OK);
	publish(db, &an, id, 8);   /* every responding organisation: not NAT, REG or SUP */
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_targets t JOIN orgs o ON o.id = t.org_id"
				   " WHERE o.code IN ('NAT', 'REG', 'SUP')"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_responses WHERE advisory_id = 'CC-0001' AND state = 'issued'"
				   " AND ack_due = issued_at + 48 * 3600"), 8);
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_revisions WHERE advisory_id = 'CC-0001'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action = 'advisory.publish' AND object = 'advisory:CC-0001'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM jobs WHERE kind = 'outbox.send'"), 1);

	/* an organisation answers; a revision narrows nothing and keeps answers */
	struct actor lead = actor_at(db, "TR1", ROLE_ORG_LEAD, 2);
	struct alerts_step_args ack = { .step = STEP_ACKNOWLEDGE };
	if (alerts_respond(db, &lead, id, org_id(db, "TR1"), &ack, &err) != BW_OK) fail_msg("%s", err.msg);
	const char *v[AF_NFIELDS];
	draft_values(v, "GREEN", "list", "TR1");
	v[AF_TITLE] = "Critical vulnerability in Citrix NetScaler ADC and Gateway";
	assert_int_equal(alerts_update(db, &an, id, v, &err), BW_OK);
	/* the published title stays until the revision is published */
	assert_int_equal(count(db, "SELECT count(*) FROM advisories WHERE id = 'CC-0001' AND title NOT LIKE '%Gateway'"
				   " AND state = 'draft' AND revision = 1"), 1);
	assert_true(sees(db, &lead, id, 0));
	assert_int_equal(alerts_submit(db, &an, id, &err), BW_OK);
	assert_int_equal(alerts_publish(db, &an, id, NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "change_note");
	v[AF_CHANGE_NOTE] = "Gateway is affected too";
	assert_int_equal(alerts_update(db, &an, id, v, &err), BW_OK);
	publish(db, &an, id, 8);
	assert_int_equal(count(db, "SELECT revision FROM advisories WHERE id = 'CC-0001' AND title LIKE '%Gateway'"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_revisions WHERE advisory_id = 'CC-0001' AND revision = 2"
				   " AND change_note = 'Gateway is affected too'"), 1);
	struct alerts_response r;
	assert_int_equal(alerts_response_get(db, id, org_id(db, "TR1"), &r), BW_OK);
	assert_int_equal(r.state, RS_ACKNOWLEDGED);
	struct arena ar;
	arena_init(&ar);
	const char *rv[AF_NFIELDS];
	assert_int_equal(alerts_revision_get(db, &ar, id, 1, rv, NULL, &err), BW_OK);
	assert_string_equal(rv[AF_TITLE], "Critical vulnerability in Citrix NetScaler ADC");
	assert_int_equal(alerts_revision_get(db, &ar, id, 0, rv, NULL, &err), BW_OK);
	assert_string_equal(rv[AF_CHANGE_NOTE], "Gateway is affected too");
	arena_free(&ar);

	/* withdrawal closes what is open and refuses further answers */
	assert_int_equal(alerts_withdraw(db, &an, id, "", &err), BW_EINVAL);
	assert_int_equal(alerts_withdraw(db, &an, id, "Issued in error", &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_responses WHERE advisory_id = 'CC-0001' AND state <> 'closed'"), 0);
	struct alerts_step_args upd = { .step = STEP_UPDATE, .note = "Patched half" };
	assert_int_equal(alerts_respond(db, &lead, id, org_id(db, "TR1"), &upd, &err), BW_ECONFLICT);
	assert_non_null(strstr(err.msg, "withdrawn"));
	assert_int_equal(alerts_update(db, &an, id, v, &err), BW_ECONFLICT);
	assert_int_equal(audit_verify(db, &(int64_t){ 0 }, &(int64_t){ 0 }, &err), BW_OK);
	db_close(db);
}

static enum bw_err check_targets(struct db *db, const char *kind, const char *types, const char *codes,
				 const char *cves, struct bw_error *err)
{
	const char *v[AF_NFIELDS] = { 0 };
	v[AF_TARGET_KIND] = kind;
	v[AF_TARGET_TYPES] = types;
	v[AF_TARGET_CODES] = codes;
	v[AF_CVES] = cves;
	return alerts_targets_check(db, v, err);
}

static void targeting(void **state)
{
	(void)state;
	struct db *db = estate("targeting");
	struct actor an = actor_at(db, "NAT", ROLE_ANALYST, 1);
	struct bw_error err = { 0 };
	assert_int_equal(check_targets(db, "areas", "", "TR1", "", &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "not a region or ICS"));
	assert_int_equal(check_targets(db, "list", "", "TR1, NOPE", "", &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "NOPE"));
	assert_int_equal(check_targets(db, "list", "", "TR1'--", "", &err), BW_EINVAL);
	/* the exposed organisations are found through the advisory's CVEs */
	assert_int_equal(check_targets(db, "exposed", "", "", "", &err), BW_EINVAL);
	assert_string_equal(err.field, "cves");
	assert_int_equal(check_targets(db, "exposed", "", "", "CVE-2023-4966, CVE-24-1", &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "CVE-24-1"));
	assert_int_equal(check_targets(db, "exposed", "", "", "cve-2023-4966 CVE-2024-3400", &err), BW_OK);
	assert_int_equal(check_targets(db, "list", "", "tr1 gp2", "", &err), BW_OK);

	/* an ICS area, trusts only */
	const char *v[AF_NFIELDS];
	draft_values(v, "AMBER", "areas", "ICS1");
	v[AF_TARGET_TYPES] = "nhs_trust";
	char id[ALERTS_ID_MAX + 1];
	assert_int_equal(alerts_create(db, &an, v, id, &err), BW_OK);
	struct alerts_preview p;
	assert_int_equal(alerts_targets_preview(db, id, &p, &err), BW_OK);
	assert_int_equal(p.total, 2);
	assert_int_equal(p.added, 2);
	assert_int_equal(p.by_type[ORG_NHS_TRUST], 2);
	assert_int_equal(p.nfirst, 2);
	assert_string_equal(p.first[0].code, "TR1");
	/* the preview wrote nothing */
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_targets"), 0);
	publish(db, &an, id, 2);

	/* a revision widens to a hand-picked list; the earlier targets stay */
	draft_values(v, "AMBER", "list", "PH3 tr3");
	v[AF_CHANGE_NOTE] = "Pharmacies in ICS2 too";
	assert_int_equal(alerts_update(db, &an, id, v, &err), BW_OK);
	assert_int_equal(alerts_targets_preview(db, id, &p, &err), BW_OK);
	assert_int_equal(p.total, 4);
	assert_int_equal(p.added, 2);
	publish(db, &an, id, 4);
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_targets WHERE revision = 2"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_responses"), 4);

	/* several areas, overlapping: each organisation once */
	draft_values(v, "GREEN", "areas", "ICS1,REG");
	assert_int_equal(alerts_create(db, &an, v, id, &err), BW_OK);
	assert_int_equal(alerts_targets_preview(db, id, &p, &err), BW_OK);
	assert_int_equal(p.total, 8);
	assert_int_equal(p.by_type[ORG_ICS], 2);
	db_close(db);
}

/* ---- targeting by affected products ---- */

static void products_parse(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct bw_error err = { 0 };
	struct match_record rec;
	assert_int_equal(alerts_products_compile(&a, "CC-0009",
						 "Fortinet FortiOS 7.4.0 to 7.4.2\n\n"
						 "Progress, MOVEit Transfer, before 2023.0.1\r\n"
						 "cpe:2.3:a:citrix:netscaler_application_delivery_controller:*:*:*:*:*:*:*:* < 13.1-49.15\n"
						 "pkg:npm/lodash vers:npm/>=4.0.0|<4.17.21\n"
						 "pkg:pypi/django@4.2.1\n"
						 "Microsoft Exchange Server\n"
						 "Ivanti Connect Secure 22.x\n",
						 &rec, &err), BW_OK);
	assert_int_equal(rec.ncrit, 7);
	assert_int_equal(rec.crit[0].kind, MATCH_ID_PRODUCT);
	assert_string_equal(rec.crit[0].vendor, "fortinet");
	assert_string_equal(rec.crit[0].product, "fortios");
	assert_string_equal(rec.crit[1].product, "moveit_transfer");
	assert_int_equal(rec.crit[2].kind, MATCH_ID_CPE);
	assert_int_equal(rec.crit[3].kind, MATCH_ID_PURL);
	assert_int_equal(rec.crit[3].rules[0].scheme, MATCH_SCHEME_SEMVER);
	assert_string_equal(rec.crit[5].product, "exchange_server");
	/* versions are the engine's to decide: in and out of each range */
	struct match_result res;
	assert_int_equal(match_rules_eval(&rec.crit[0], "7.4.1", &res), MATCH_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[0], "7.4.3", &res), MATCH_NOT_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[1], "2023.0.0", &res), MATCH_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[1], "2023.0.1", &res), MATCH_NOT_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[2], "13.1-37.38", &res), MATCH_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[2], "13.1-49.15", &res), MATCH_NOT_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[3], "4.17.20", &res), MATCH_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[3], "4.17.21", &res), MATCH_NOT_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[4], "4.2.1", &res), MATCH_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[4], "4.2.2", &res), MATCH_NOT_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[5], "15.2", &res), MATCH_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[6], "22.6r2.3", &res), MATCH_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[6], "22", &res), MATCH_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[6], "9.1r14.6", &res), MATCH_NOT_AFFECTED);
	assert_int_equal(match_rules_eval(&rec.crit[6], "23.1", &res), MATCH_NOT_AFFECTED);

	/* refusals name the line */
	assert_int_equal(alerts_products_compile(&a, "CC-0009", "Fortinet FortiOS 7.4.0 to 7.4.2\ncpe:2.3:a:broken", &rec, &err),
			 BW_EINVAL);
	assert_string_equal(err.field, "products");
	assert_non_null(strstr(err.msg, "Line 2"));
	assert_int_equal(alerts_products_compile(&a, "CC-0009", "cpe:2.3:a:*:*:*:*:*:*:*:*:*:*", &rec, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "vendor and product"));
	assert_int_equal(alerts_products_compile(&a, "CC-0009", "Fortinet 7.4.0", &rec, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "Line 1"));
	assert_int_equal(alerts_products_compile(&a, "CC-0009", "Fortinet FortiOS >= to", &rec, &err), BW_EINVAL);
	assert_int_equal(alerts_products_compile(&a, "CC-0009", "Fortinet FortiOS 7.0.0 to", &rec, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "cannot be read"));
	arena_free(&a);
}

static void add_component(struct db *db, const char *code, const char *vendor, const char *product, const char *version,
			  const char *cpe)
{
	int64_t org = org_id(db, code);
	struct db_stmt *st = db_prep(db, "INSERT INTO systems (org_id, name, essential_function, tier, hosting, status,"
					 " created_at, updated_at) VALUES (?1, 'Firewall', 'Network', 1, 'on_premises', 'in_service', 1, 1)"
					 " RETURNING id");
	db_bind_i64(st, 1, org);
	assert_int_equal(db_step(st), DB_ROW);
	int64_t sys = db_col_i64(st, 0);
	db_reset(st);
	char nv[256], np[256], ident[600];
	match_norm_name(vendor, nv, sizeof nv);
	match_norm_name(product, np, sizeof np);
	snprintf(ident, sizeof ident, "%s|%s|%s", nv, np, version);
	int64_t name;
	assert_int_equal(components_name_id(db, nv, np, &name, NULL), BW_OK);
	st = db_prep(db, "INSERT INTO components (org_id, system_id, vendor, product, version, cpe, norm_vendor, norm_product,"
			 " ident, source, created_at, updated_at, name_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'typed', 1, 1,"
			 " ?10)");
	db_bind_i64(st, 1, org);
	db_bind_i64(st, 2, sys);
	db_bind_text(st, 3, vendor);
	db_bind_text(st, 4, product);
	db_bind_text(st, 5, version);
	if (cpe)
		db_bind_text(st, 6, cpe);
	db_bind_text(st, 7, nv);
	db_bind_text(st, 8, np);
	db_bind_text(st, 9, ident);
	db_bind_i64(st, 10, name);
	if (db_step(st) != DB_DONE)
		fail_msg("component: %s", db_errmsg(db));
}

static void targeting_products(void **state)
{
	(void)state;
	const struct db_migration *const sets[] = { orgs_migrations, audit_migrations, db_jobs_migrations,
						    suppliers_migrations, systems_migrations, components_migrations,
						    risks_migrations, outbox_migrations, alerts_migrations, NULL };
	struct db *db = testdb_fresh("ta_products", sets);
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	add_org(db, "REG", ORG_REGION, "NAT");
	add_org(db, "ICS1", ORG_ICS, "REG");
	add_org(db, "TR1", ORG_NHS_TRUST, "ICS1");
	add_org(db, "GP1", ORG_GP_PRACTICE, "TR1");
	add_org(db, "TR2", ORG_NHS_TRUST, "ICS1");
	add_org(db, "ICS2", ORG_ICS, "REG");
	add_org(db, "TR3", ORG_NHS_TRUST, "ICS2");
	add_org(db, "PH3", ORG_PHARMACY, "ICS2");
	add_org(db, "SUP", ORG_SUPPLIER, "NAT");
	add_component(db, "TR1", "Fortinet", "FortiOS", "7.4.1", NULL);                        /* in 7.4.0 to 7.4.2 */
	add_component(db, "TR2", "Fortinet", "FortiOS", "7.4.3", NULL);                        /* fixed */
	add_component(db, "GP1", "Fortinet", "FortiGate firmware", "7.2.5",
		      "cpe:2.3:o:fortinet:fortios:7.2.5:*:*:*:*:*:*:*");                          /* by its CPE */
	add_component(db, "TR3", "Citrix", "NetScaler ADC", "13.1-49.15",
		      "cpe:2.3:a:citrix:netscaler_application_delivery_controller:13.1-49.15:*:*:*:*:*:*:*");
	add_component(db, "PH3", "Citrix", "NetScaler ADC", "13.1-37.38",
		      "cpe:2.3:a:citrix:netscaler_application_delivery_controller:13.1-37.38:*:*:*:*:*:*:*");
	add_component(db, "SUP", "Fortinet", "FortiOS", "7.4.1", NULL);                        /* sends, never receives */
	add_component(db, "TR2", "Fortinet", "FortiClient", "7.4.1", NULL);                    /* another product */

	struct actor an = actor_at(db, "NAT", ROLE_ANALYST, 1);
	struct bw_error err = { 0 };
	const char *v[AF_NFIELDS];
	draft_values(v, "AMBER", "exposed", "");
	v[AF_CVES] = "";   /* no CVE id yet: the products alone decide */
	v[AF_PRODUCTS] = "Fortinet FortiOS 7.4.0 to 7.4.2\nFortinet, FortiOS, 7.2.0 to 7.2.6\n"
			 "cpe:2.3:a:citrix:netscaler_application_delivery_controller:*:*:*:*:*:*:*:* before 13.1-49.15";
	char id[ALERTS_ID_MAX + 1];
	if (alerts_create(db, &an, v, id, &err) != BW_OK)
		fail_msg("create: %s (%s)", err.msg, err.field);
	struct alerts_preview p;
	if (alerts_targets_preview(db, id, &p, &err) != BW_OK)
		fail_msg("preview: %s", err.msg);
	assert_int_equal(p.total, 3);
	assert_int_equal(p.nfirst, 3);
	assert_string_equal(p.first[0].code, "GP1");
	assert_string_equal(p.first[1].code, "PH3");
	assert_string_equal(p.first[2].code, "TR1");
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_targets"), 0);

	/* narrowed to trusts, then published: exactly TR1 */
	v[AF_TARGET_TYPES] = "nhs_trust";
	assert_int_equal(alerts_update(db, &an, id, v, &err), BW_OK);
	publish(db, &an, id, 1);
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_targets t JOIN orgs o ON o.id = t.org_id WHERE o.code = 'TR1'"), 1);

	/* a product no one runs reaches no one; nothing to match is refused */
	draft_values(v, "GREEN", "exposed", "");
	v[AF_CVES] = "";
	v[AF_PRODUCTS] = "Fortinet FortiOS 6.0 to 6.4";
	assert_int_equal(alerts_create(db, &an, v, id, &err), BW_OK);
	assert_int_equal(alerts_targets_preview(db, id, &p, &err), BW_OK);
	assert_int_equal(p.total, 0);
	v[AF_PRODUCTS] = "";
	assert_int_equal(alerts_update(db, &an, id, v, &err), BW_EINVAL);
	db_close(db);
}

static void visibility(void **state)
{
	(void)state;
	struct db *db = estate("visibility");
	struct actor an = actor_at(db, "NAT", ROLE_ANALYST, 1);
	struct actor tr1 = actor_at(db, "TR1", ROLE_ORG_LEAD, 2);
	struct actor tr2 = actor_at(db, "TR2", ROLE_ORG_LEAD, 3);
	struct actor gp1 = actor_at(db, "GP1", ROLE_STAFF, 4);
	struct actor ics1 = actor_at(db, "ICS1", ROLE_ICS_LEAD, 5);
	struct actor ics2 = actor_at(db, "ICS2", ROLE_ICS_LEAD, 6);
	struct actor regan = actor_at(db, "REG", ROLE_ANALYST, 7);
	struct actor natadm = actor_at(db, "NAT", ROLE_AUDITOR, 8);
	char strict[ALERTS_ID_MAX + 1], amber[ALERTS_ID_MAX + 1], green[ALERTS_ID_MAX + 1];
	new_advisory(db, &an, "AMBER+STRICT", "list", "TR1", strict);
	new_advisory(db, &an, "AMBER", "list", "TR1", amber);
	new_advisory(db, &an, "GREEN", "list", "TR1", green);

	/* drafts: the authors only — not a regional analyst outside the owner's subtree */
	assert_true(sees(db, &an, strict, 0));
	assert_false(sees(db, &tr1, green, 0));
	assert_false(sees(db, &regan, green, 0));
	assert_false(sees(db, &natadm, green, 0));
	publish(db, &an, strict, 1);
	publish(db, &an, amber, 1);
	publish(db, &an, green, 1);

	/* TLP:AMBER+STRICT: the target organisation only */
	assert_true(sees(db, &tr1, strict, 0));
	assert_false(sees(db, &tr2, strict, 0));
	assert_false(sees(db, &gp1, strict, 0));
	assert_false(sees(db, &ics1, strict, 0));
	assert_false(sees(db, &ics1, strict, org_id(db, "TR1")));   /* not even on its behalf */
	assert_false(sees(db, &natadm, strict, 0));
	assert_true(sees(db, &an, strict, 0));

	/* TLP:AMBER: the target, those below it and the ICS above it */
	assert_true(sees(db, &tr1, amber, 0));
	assert_true(sees(db, &gp1, amber, 0));
	assert_true(sees(db, &ics1, amber, 0));
	assert_true(sees(db, &ics1, amber, org_id(db, "TR1")));
	assert_false(sees(db, &tr2, amber, 0));
	assert_false(sees(db, &ics2, amber, 0));
	/* asking as an organisation outside one's subtree never works */
	assert_false(sees(db, &tr2, amber, org_id(db, "TR1")));
	assert_false(sees(db, &ics2, green, org_id(db, "TR1")));

	/* TLP:GREEN: everyone in the service */
	assert_true(sees(db, &tr2, green, 0));
	assert_true(sees(db, &ics2, green, 0));
	assert_true(sees(db, &regan, green, 0));

	/* a signed-out caller sees nothing */
	struct actor nobody = { 0 };
	assert_false(sees(db, &nobody, green, 0));

	/* responding goes through the same rule: the ICS lead cannot answer a
	 * strictly limited advisory for its member, nor a sibling for another */
	struct bw_error err = { 0 };
	struct alerts_step_args ack = { .step = STEP_ACKNOWLEDGE };
	assert_int_equal(alerts_respond(db, &ics1, strict, org_id(db, "TR1"), &ack, &err), BW_ENOTFOUND);
	assert_int_equal(alerts_respond(db, &tr2, green, org_id(db, "TR1"), &ack, &err), BW_ENOTFOUND);
	assert_int_equal(alerts_respond(db, &tr1, strict, org_id(db, "TR1"), &ack, &err), BW_OK);
	db_close(db);
}

static void responses(void **state)
{
	(void)state;
	struct db *db = estate("responses");
	struct actor an = actor_at(db, "NAT", ROLE_ANALYST, 1);
	struct actor lead = actor_at(db, "TR1", ROLE_ORG_LEAD, 2);
	struct actor contrib = actor_at(db, "TR1", ROLE_CONTRIBUTOR, 3);
	struct bw_error err = { 0 };
	char id[ALERTS_ID_MAX + 1];
	new_advisory(db, &an, "AMBER", "list", "TR1,TR2", id);
	publish(db, &an, id, 2);
	int64_t tr1 = org_id(db, "TR1");

	struct alerts_step_args s = { .step = STEP_APPLICABLE, .note = "We run NetScaler" };
	assert_int_equal(alerts_respond(db, &lead, id, tr1, &s, &err), BW_ECONFLICT);
	s = (struct alerts_step_args){ .step = STEP_ACKNOWLEDGE };
	int64_t before = bw_now();
	assert_int_equal(alerts_respond(db, &contrib, id, tr1, &s, &err), BW_OK);
	struct alerts_response r;
	assert_int_equal(alerts_response_get(db, id, tr1, &r), BW_OK);
	assert_int_equal(r.state, RS_ACKNOWLEDGED);
	assert_true(r.acknowledged_at >= before);
	assert_int_equal(r.next_update_due, alerts_add_london_days(r.acknowledged_at, 3));

	/* not applicable needs a reason; an update needs text and a future date */
	s = (struct alerts_step_args){ .step = STEP_NOT_APPLICABLE, .note = "  " };
	assert_int_equal(alerts_respond(db, &lead, id, tr1, &s, &err), BW_EINVAL);
	assert_string_equal(err.field, "reason");
	s = (struct alerts_step_args){ .step = STEP_APPLICABLE, .note = "Two appliances" };
	assert_int_equal(alerts_respond(db, &lead, id, tr1, &s, &err), BW_OK);
	s = (struct alerts_step_args){ .step = STEP_UPDATE, .note = "One patched", .next_due = bw_now() - 10 };
	assert_int_equal(alerts_respond(db, &lead, id, tr1, &s, &err), BW_EINVAL);
	assert_string_equal(err.field, "next_update_due");
	int64_t chosen = bw_now() + 10 * 86400;
	s.next_due = chosen;
	assert_int_equal(alerts_respond(db, &lead, id, tr1, &s, &err), BW_OK);
	assert_int_equal(alerts_response_get(db, id, tr1, &r), BW_OK);
	assert_int_equal(r.next_update_due, chosen);
	assert_true(r.last_update_at > 0);

	/* accepting a risk is for leads, and opens an accepted risk */
	s = (struct alerts_step_args){ .step = STEP_CLOSE, .closure = "risk_accepted", .note = "Appliance retires in March" };
	assert_int_equal(alerts_respond(db, &contrib, id, tr1, &s, &err), BW_EFORBIDDEN);
	s.closure = "fixed";
	assert_int_equal(alerts_respond(db, &lead, id, tr1, &s, &err), BW_EINVAL);
	assert_string_equal(err.field, "closure");
	s.closure = "risk_accepted";
	assert_int_equal(alerts_respond(db, &lead, id, tr1, &s, &err), BW_OK);
	assert_int_equal(alerts_response_get(db, id, tr1, &r), BW_OK);
	assert_int_equal(r.state, RS_CLOSED);
	assert_string_equal(r.closure, "risk_accepted");
	assert_true(r.risk_id > 0);
	assert_int_equal(count(db, "SELECT count(*) FROM risks r JOIN advisory_responses a ON a.risk_id = r.id"
				   " WHERE r.treatment = 'accept' AND r.accepted_by LIKE 'Person 2%' AND r.title LIKE 'Alert CC-0001%'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM response_events WHERE org_id = (SELECT id FROM orgs WHERE code = 'TR1')"
				   " AND kind IN ('issued', 'acknowledge', 'applicable', 'update', 'risk_accepted')"), 5);
	assert_int_equal(alerts_respond(db, &lead, id, tr1, &s, &err), BW_ECONFLICT);
	db_close(db);
}

static void bulk(void **state)
{
	(void)state;
	struct db *db = estate("bulk");
	struct actor an = actor_at(db, "NAT", ROLE_ANALYST, 1);
	struct actor ics = actor_at(db, "ICS1", ROLE_ICS_LEAD, 2);
	struct actor lead = actor_at(db, "TR1", ROLE_ORG_LEAD, 3);
	struct bw_error err = { 0 };
	char id[ALERTS_ID_MAX + 1];
	new_advisory(db, &an, "GREEN", "all", "", id);
	publish(db, &an, id, 8);
	struct alerts_step_args ack = { .step = STEP_ACKNOWLEDGE };
	assert_int_equal(alerts_respond(db, &lead, id, org_id(db, "TR1"), &ack, &err), BW_OK);

	/* a member outside the lead's ICS: nothing happens to anyone */
	int64_t bad[] = { org_id(db, "TR2"), org_id(db, "TR3") };
	int64_t done = -1;
	assert_int_equal(alerts_respond_bulk(db, &ics, id, bad, 2, &ack, &done, &err), BW_ENOTFOUND);
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_responses WHERE state = 'acknowledged'"), 1);

	/* its own members: TR1 had already acknowledged and is left as it was */
	int64_t mine[] = { org_id(db, "TR1"), org_id(db, "TR2"), org_id(db, "GP2") };
	assert_int_equal(alerts_respond_bulk(db, &ics, id, mine, 3, &ack, &done, &err), BW_OK);
	assert_int_equal(done, 2);
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_responses r JOIN orgs o ON o.id = r.org_id"
				   " WHERE r.state = 'acknowledged' AND r.on_behalf_of = 'ICS1' AND o.code IN ('TR2', 'GP2')"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_responses r JOIN orgs o ON o.id = r.org_id"
				   " WHERE o.code = 'TR1' AND r.on_behalf_of IS NULL"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM response_events WHERE on_behalf = 1 AND actor_org = 'ICS1'"
				   " AND kind = 'acknowledge'"), 2);
	struct alerts_step_args na = { .step = STEP_NOT_APPLICABLE, .note = "No NetScaler in primary care" };
	int64_t gp[] = { org_id(db, "GP2") };
	assert_int_equal(alerts_respond_bulk(db, &ics, id, gp, 1, &na, &done, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_responses r JOIN orgs o ON o.id = r.org_id"
				   " WHERE o.code = 'GP2' AND r.state = 'closed' AND r.closure = 'not_applicable'"), 1);
	/* a trust lead is no ICS lead: it cannot answer for its sibling */
	int64_t sib[] = { org_id(db, "TR2") };
	assert_int_equal(alerts_respond_bulk(db, &lead, id, sib, 1, &na, &done, &err), BW_ENOTFOUND);
	assert_int_equal(alerts_respond_bulk(db, &ics, id, NULL, 0, &na, &done, &err), BW_EINVAL);
	db_close(db);
}

static void escalation(void **state)
{
	(void)state;
	struct db *db = estate("escalation");
	struct actor an = actor_at(db, "NAT", ROLE_ANALYST, 1);
	struct actor lead = actor_at(db, "TR1", ROLE_ORG_LEAD, 2);
	struct bw_error err = { 0 };
	char id[ALERTS_ID_MAX + 1];
	new_advisory(db, &an, "GREEN", "list", "TR1,TR2,TR3", id);
	publish(db, &an, id, 3);
	struct alerts_step_args ack = { .step = STEP_ACKNOWLEDGE };
	assert_int_equal(alerts_respond(db, &lead, id, org_id(db, "TR1"), &ack, &err), BW_OK);
	int64_t now = bw_now(), n = -1;
	assert_int_equal(alerts_escalate(db, now + 47 * 3600, &n, &err), BW_OK);
	assert_int_equal(n, 0);
	/* 49 hours on: the two that never acknowledged go to level 1, once */
	assert_int_equal(alerts_escalate(db, now + 49 * 3600, &n, &err), BW_OK);
	assert_int_equal(n, 2);
	assert_int_equal(alerts_escalate(db, now + 49 * 3600, &n, &err), BW_OK);
	assert_int_equal(n, 0);
	assert_int_equal(count(db, "SELECT count(*) FROM response_events WHERE kind = 'escalation_1'"), 2);
	/* TR2 acknowledges: its escalation ends */
	struct actor tr2 = actor_at(db, "TR2", ROLE_ORG_LEAD, 3);
	assert_int_equal(alerts_respond(db, &tr2, id, org_id(db, "TR2"), &ack, &err), BW_OK);
	/* a day later TR3 goes to its SIRO and ICS, and the updates TR1 and TR2
	 * owed three days after acknowledging are late: their contacts hear */
	assert_int_equal(alerts_escalate(db, now + 74 * 3600, &n, &err), BW_OK);
	assert_int_equal(n, 3);
	assert_int_equal(count(db, "SELECT count(*) FROM advisory_responses r JOIN orgs o ON o.id = r.org_id"
				   " WHERE (o.code = 'TR3' AND r.escalation = 2) OR (o.code IN ('TR1', 'TR2') AND r.escalation = 1)"), 3);
	assert_int_equal(count(db, "SELECT count(*) FROM response_events e JOIN orgs o ON o.id = e.org_id"
				   " WHERE o.code = 'TR1' AND e.kind = 'escalation_1'"), 1);
	/* an update ends it (the next is due in 10 days); nothing more until a
	 * day after the last level */
	struct alerts_step_args upd = { .step = STEP_UPDATE, .note = "Patching tonight", .next_due = now + 10 * 86400 };
	assert_int_equal(alerts_respond(db, &lead, id, org_id(db, "TR1"), &upd, &err), BW_OK);
	assert_int_equal(alerts_escalate(db, now + 96 * 3600, &n, &err), BW_OK);
	assert_int_equal(n, 0);
	assert_int_equal(alerts_escalate(db, now + 99 * 3600, &n, &err), BW_OK);
	assert_int_equal(n, 1);   /* TR2 to level 2; TR1's next update is not due */
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action = 'advisory.escalate'"), 3);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(state_machine),
		cmocka_unit_test(deadlines_and_summer_time),
		cmocka_unit_test(tlp_labels),
		cmocka_unit_test(field_checks),
		cmocka_unit_test(lifecycle),
		cmocka_unit_test(targeting),
		cmocka_unit_test(products_parse),
		cmocka_unit_test(targeting_products),
		cmocka_unit_test(visibility),
		cmocka_unit_test(responses),
		cmocka_unit_test(bulk),
		cmocka_unit_test(escalation),
	};
	/* BULWARK_TEST_DB may name a PostgreSQL server for the database tests */
	return cmocka_run_group_tests(tests, testdb_group_setup, testdb_group_teardown);
}

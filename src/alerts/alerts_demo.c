/*
 * alerts_demo: advisories for the demo estate, published through the same
 * functions an analyst uses, then moved back in time so the demo shows
 * deadlines met, missed and still running:
 *   CC-0001  high severity alert (TLP:GREEN) to everyone, four days old, with
 *            responses in every state (some late, some overdue, one ICS
 *            answering for members);
 *   CC-0002  alert (TLP:AMBER+STRICT) to NHS trusts, just published;
 *   CC-0003  bulletin (TLP:CLEAR) to primary care, ten days old;
 *   CC-0004  a draft still being written.
 * Responses are set with a few set-based statements so the national estate
 * (60,000 organisations) seeds in seconds. Deterministic: states follow the
 * organisation id.
 */
#include <stdio.h>
#include <string.h>

#include "alerts/alerts.h"

struct demo {
	const char *title, *type, *severity, *threat, *tlp, *summary, *details, *cves, *products, *remediation, *iocs,
		*refs, *kind, *types;
	int64_t age;       /* seconds since publication */
	bool publish;
};

static const struct demo demos[] = {
	{ "Critical vulnerability in Citrix NetScaler ADC and Gateway (Citrix Bleed)", "high_severity_alert", "critical",
	  "Information disclosure leading to session hijacking", "GREEN",
	  "A flaw in NetScaler ADC and Gateway appliances lets an attacker read session tokens from memory and take over "
	  "signed-in sessions, bypassing passwords and two-factor sign-in. It is being exploited against health "
	  "organisations.",
	  "Sending a crafted request to an appliance configured as a Gateway or AAA virtual server returns memory that "
	  "holds valid session tokens. Ransomware groups have used stolen sessions to enter networks.",
	  "CVE-2023-4966",
	  "Citrix NetScaler ADC 13.1 before 13.1-49.15\nCitrix NetScaler Gateway 14.1 before 14.1-8.50\n"
	  "cpe:2.3:a:citrix:netscaler_application_delivery_controller:*:*:*:*:*:*:*:*",
	  "1. Upgrade every NetScaler appliance to a fixed build.\n2. After upgrading, end every active and persistent "
	  "session (kill icaconnection -all; kill aaa session -all).\n3. Check the appliance logs for the indicators below.",
	  "Requests to /oauth/idp/.well-known/openid-configuration with an oversized Host header",
	  "https://www.cisa.gov/known-exploited-vulnerabilities-catalog\nhttps://nvd.nist.gov/vuln/detail/CVE-2023-4966",
	  "all", "", 4 * 86400, true },
	{ "Active exploitation of Fortinet FortiOS SSL-VPN", "alert", "high", "Remote code execution", "AMBER+STRICT",
	  "A heap overflow in the FortiOS SSL-VPN lets an unauthenticated attacker run code on the firewall. Trusts "
	  "with FortiGate firewalls should patch within days.",
	  "Exploitation has been seen against NHS suppliers. Details of the attacker infrastructure are shared with "
	  "trusts only.",
	  "CVE-2024-21762", "Fortinet FortiOS 7.4.0 to 7.4.2\nFortinet FortiOS 7.2.0 to 7.2.6",
	  "Upgrade FortiOS to 7.4.3 or 7.2.7 or later. If you cannot, disable the SSL-VPN.",
	  "203.0.113.45\nvpn-update.example.net", "", "all", "nhs_trust", 2 * 3600, true },
	{ "Phishing campaign impersonating NHS Jobs", "bulletin", "medium", "Phishing", "CLEAR",
	  "Staff are receiving emails that look like NHS Jobs interview invitations and ask them to sign in on a fake "
	  "page. Remind staff not to enter NHSmail passwords from links in emails.",
	  "", "", "", "Share the attached awareness note with all staff. Report suspicious emails to spamreports@nhs.net.",
	  "nhs-jobs-interview.example.com", "", "all", "gp_practice,pharmacy,dental_practice", 10 * 86400, true },
	{ "SQL injection in Progress MOVEit Transfer", "high_severity_alert", "critical", "Data theft", "AMBER",
	  "Draft: a SQL injection in MOVEit Transfer lets attackers steal files. Being checked with suppliers before it "
	  "is published.",
	  "", "CVE-2023-34362", "Progress MOVEit Transfer before 2023.0.1", "Apply the vendor's patch.", "", "", "all", "",
	  0, false },
};

static enum bw_err step(struct db *db, struct db_stmt *st, struct bw_error *err, const char *what)
{
	return db_step(st) == DB_ERR ? db_fail(db, err, what) : BW_OK;
}

/* Moves a published advisory's times back by age seconds. */
static enum bw_err age_tx(struct db *db, void *arg, struct bw_error *err)
{
	const struct { const char *id; int64_t age; } *a = arg;
	static const char *const sql[] = {
		"UPDATE advisories SET published_at = published_at - ?2, created_at = created_at - ?2,"
		" updated_at = updated_at - ?2 WHERE id = ?1",
		"UPDATE advisory_revisions SET published_at = published_at - ?2 WHERE advisory_id = ?1",
		"UPDATE advisory_responses SET issued_at = issued_at - ?2, ack_due = ack_due - ?2,"
		" updated_at = updated_at - ?2 WHERE advisory_id = ?1",
		"UPDATE response_events SET at = at - ?2 WHERE advisory_id = ?1",
	};
	for (size_t i = 0; i < BW_NELEM(sql); i++) {
		struct db_stmt *st = db_prep(db, sql[i]);
		db_bind_text(st, 1, a->id);
		db_bind_i64(st, 2, a->age);
		if (step(db, st, err, "ageing the demo advisory") != BW_OK)
			return err->code;
	}
	return BW_OK;
}

/* Responses to CC-0001 by organisation id mod 10: 0-1 remediated, 2 not
 * applicable, 3 applicable with an update overdue, 4 applicable, 5
 * acknowledged late, 6-7 not acknowledged (overdue), 8-9 acknowledged in
 * time. Every third ICS answered for its members ("on behalf"). */
static enum bw_err responses_tx(struct db *db, void *arg, struct bw_error *err)
{
	const char *id = arg;
	static const char *const sql[] = {
		"UPDATE advisory_responses SET state = CASE WHEN org_id % 10 IN (0, 1, 2) THEN 'closed'"
		" WHEN org_id % 10 IN (3, 4) THEN 'applicable' ELSE 'acknowledged' END,"
		" acknowledged_at = issued_at + CASE WHEN org_id % 10 = 5 THEN 60 ELSE 2 + org_id % 30 END * 3600,"
		" acknowledged_by = 'Demo data',"
		" next_update_due = CASE WHEN org_id % 10 = 3 THEN issued_at + 2 * 86400 ELSE issued_at + 7 * 86400 END,"
		" answered_at = CASE WHEN org_id % 10 IN (0, 1, 2, 3, 4) THEN issued_at + 40 * 3600 END,"
		" answered_by = CASE WHEN org_id % 10 IN (0, 1, 2, 3, 4) THEN 'Demo data' END,"
		" applicability = CASE WHEN org_id % 10 = 2 THEN 'not_applicable' WHEN org_id % 10 IN (0, 1, 3, 4)"
		" THEN 'applicable' ELSE '' END,"
		" reason = CASE WHEN org_id % 10 = 2 THEN 'We do not use NetScaler appliances' ELSE '' END,"
		" closed_at = CASE WHEN org_id % 10 IN (0, 1) THEN issued_at + 3 * 86400 WHEN org_id % 10 = 2"
		" THEN issued_at + 40 * 3600 END,"
		" closed_by = CASE WHEN org_id % 10 IN (0, 1, 2) THEN 'Demo data' END,"
		" closure = CASE WHEN org_id % 10 IN (0, 1) THEN 'remediated' WHEN org_id % 10 = 2 THEN 'not_applicable'"
		" ELSE '' END"
		" WHERE advisory_id = ?1 AND org_id % 10 NOT IN (6, 7)",
		"UPDATE advisory_responses SET on_behalf_of = (SELECT i.code FROM orgs o JOIN orgs i ON i.id = o.parent_id"
		" WHERE o.id = advisory_responses.org_id AND i.type = 'ics')"
		" WHERE advisory_id = ?1 AND acknowledged_at IS NOT NULL AND EXISTS (SELECT 1 FROM orgs o"
		" JOIN orgs i ON i.id = o.parent_id WHERE o.id = advisory_responses.org_id AND i.type = 'ics' AND i.id % 3 = 0)",
		"INSERT INTO response_events (advisory_id, org_id, at, kind, actor, actor_org, on_behalf, note)"
		" SELECT advisory_id, org_id, acknowledged_at, 'acknowledge', 'Demo data', coalesce(on_behalf_of, ''),"
		" CASE WHEN on_behalf_of IS NULL THEN 0 ELSE 1 END, '' FROM advisory_responses"
		" WHERE advisory_id = ?1 AND acknowledged_at IS NOT NULL",
		"INSERT INTO response_events (advisory_id, org_id, at, kind, actor, note)"
		" SELECT advisory_id, org_id, answered_at, applicability, 'Demo data', reason FROM advisory_responses"
		" WHERE advisory_id = ?1 AND answered_at IS NOT NULL",
		"INSERT INTO response_events (advisory_id, org_id, at, kind, actor, note)"
		" SELECT advisory_id, org_id, closed_at, closure, 'Demo data', 'All appliances upgraded and sessions ended'"
		" FROM advisory_responses WHERE advisory_id = ?1 AND closure = 'remediated'",
	};
	for (size_t i = 0; i < BW_NELEM(sql); i++) {
		struct db_stmt *st = db_prep(db, sql[i]);
		db_bind_text(st, 1, id);
		if (step(db, st, err, "seeding demo responses") != BW_OK)
			return err->code;
	}
	char summary[128];
	snprintf(summary, sizeof summary, "Seeded demo responses to %s", id);
	int64_t nat = db_query_i64(db, "SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1", 0);
	struct audit_rec r = { 0, "cli", nat, "demo.seed.alerts", "advisories", summary };
	return audit_append(db, &r, err);
}

enum bw_err alerts_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err)
{
	(void)national, (void)data_dir;
	struct actor cli;
	orgs_actor_cli(&cli);
	for (size_t i = 0; i < BW_NELEM(demos); i++) {
		const struct demo *d = &demos[i];
		const char *v[AF_NFIELDS] = {
			[AF_TITLE] = d->title, [AF_TYPE] = d->type, [AF_SEVERITY] = d->severity, [AF_THREAT] = d->threat,
			[AF_TLP] = d->tlp, [AF_SUMMARY] = d->summary, [AF_DETAILS] = d->details, [AF_CVES] = d->cves,
			[AF_PRODUCTS] = d->products, [AF_REMEDIATION] = d->remediation, [AF_IOCS] = d->iocs,
			[AF_REFS] = d->refs, [AF_TARGET_KIND] = d->kind, [AF_TARGET_TYPES] = d->types,
		};
		char id[ALERTS_ID_MAX + 1];
		if (alerts_create(db, &cli, v, id, err) != BW_OK)
			return err->code;
		if (!d->publish)
			continue;
		if (alerts_submit(db, &cli, id, err) != BW_OK || alerts_publish(db, &cli, id, NULL, err) != BW_OK)
			return err->code;
		struct { const char *id; int64_t age; } a = { id, d->age };
		if (db_tx(db, true, age_tx, &a, err) != BW_OK)
			return err->code;
		if (i == 0 && db_tx(db, true, responses_tx, id, err) != BW_OK)
			return err->code;
	}
	return BW_OK;
}

/*
 * Unit tests for the alerts delivery side (src/alerts/outbox.c, contacts.c,
 * deliver_*.c): back-off arithmetic, address checks, the e-mail, webhook
 * signature and Notify token formats, and on a database (SQLite, or the
 * PostgreSQL that BULWARK_TEST_DB names): the publish fan-out and its
 * idempotency keys, escalations, claiming under a lease, permanent and
 * passing failures, real SMTP to a small in-process server (a few kept-open
 * connections per batch, the turn that lets one message at a time be
 * accepted, a 5xx refusal, a server that is down), the inbox, contacts and
 * the demo seed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "../lib/testdb.h"

#include "alerts/alerts.h"
#include "alerts/outbox.h"

/* ---- helpers ---- */

static char clock_path[256];

static void clock_set(int64_t offset)
{
	FILE *f = fopen(clock_path, "w");
	assert_non_null(f);
	fprintf(f, "%lld\n", (long long)offset);
	fclose(f);
}

static struct db *fresh_db(const char *name)
{
	char schema[128];
	snprintf(schema, sizeof schema, "to_%s", name);
	const struct db_migration *const sets[] = { orgs_migrations, audit_migrations, db_jobs_migrations,
						    outbox_migrations, alerts_migrations, NULL };
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

static int64_t add_contact(struct db *db, int64_t org, const char *kind, const char *address, const char *role)
{
	struct actor cli;
	orgs_actor_cli(&cli);
	struct bw_error err = { 0 };
	int64_t id = 0;
	if (outbox_contact_add(db, &cli, org, kind, address, role, NULL, &id, NULL, &err) != BW_OK)
		fail_msg("contact %s: %s", address, err.msg);
	return id;
}

static int64_t count(struct db *db, const char *sql)
{
	int64_t v = db_query_i64(db, sql, -1);
	if (v < 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return v;
}

/* An advisory as core's tables hold it once published, targeting orgs. */
static void add_advisory(struct db *db, const char *id, int seq, int64_t owner, const char *type, int rev,
			 const int64_t *targets, size_t n)
{
	struct db_stmt *st = db_prep(db,
		"INSERT INTO advisories (id, prefix, seq, owner_org_id, state, revision, title, type, severity, tlp,"
		" ack_hours, update_days, draft, created_by, created_at, updated_at)"
		" VALUES (?1, 'CC', ?2, ?3, 'published', ?4, 'Test advisory', ?5, 'high', 'TLP:CLEAR', 48, 3, '{}',"
		" 'test', 0, 0) ON CONFLICT (id) DO UPDATE SET revision = ?4");
	db_bind_text(st, 1, id);
	db_bind_i64(st, 2, seq);
	db_bind_i64(st, 3, owner);
	db_bind_i64(st, 4, rev);
	db_bind_text(st, 5, type);
	if (db_step(st) != DB_DONE)
		fail_msg("advisory: %s", db_errmsg(db));
	char content[512];
	snprintf(content, sizeof content,
		 "{\"title\":\"Exploited flaw in Example VPN \\u00e9dition\",\"summary\":\"Patch the gateway today.\","
		 "\"type\":\"%s\",\"severity\":\"critical\"}", type);
	st = db_prep(db, "INSERT INTO advisory_revisions (advisory_id, revision, published_at, published_by, tlp, content)"
			 " VALUES (?1, ?2, 0, 'test', 'TLP:CLEAR', ?3)");
	db_bind_text(st, 1, id);
	db_bind_i64(st, 2, rev);
	db_bind_text(st, 3, content);
	if (db_step(st) != DB_DONE)
		fail_msg("revision: %s", db_errmsg(db));
	for (size_t i = 0; i < n; i++) {
		st = db_prep(db, "INSERT INTO advisory_targets (advisory_id, org_id, revision) VALUES (?1, ?2, ?3)"
				 " ON CONFLICT (advisory_id, org_id) DO NOTHING");
		db_bind_text(st, 1, id);
		db_bind_i64(st, 2, targets[i]);
		db_bind_i64(st, 3, rev);
		if (db_step(st) != DB_DONE)
			fail_msg("target: %s", db_errmsg(db));
	}
}

/* The estate every database test uses. */
struct estate {
	int64_t nat, reg, ics, tr1, tr2, gp;
	int64_t tr1_webhook;
};

static void estate_make(struct db *db, struct estate *e)
{
	e->nat = add_org(db, "NAT", ORG_NATIONAL, NULL);
	e->reg = add_org(db, "REG", ORG_REGION, "NAT");
	e->ics = add_org(db, "ICB1", ORG_ICS, "REG");
	e->tr1 = add_org(db, "TR1", ORG_NHS_TRUST, "ICB1");
	e->tr2 = add_org(db, "TR2", ORG_NHS_TRUST, "ICB1");
	e->gp = add_org(db, "GP1", ORG_GP_PRACTICE, "ICB1");
	add_contact(db, e->tr1, "email", "alerts@tr1.example.nhs.uk", "alerts");
	add_contact(db, e->tr1, "email", "it@tr1.example.nhs.uk", "alerts");
	add_contact(db, e->tr1, "sms", "+447700900001", "alerts");
	e->tr1_webhook = add_contact(db, e->tr1, "webhook", "https://soc.tr1.example.nhs.uk/hook", "alerts");
	add_contact(db, e->tr1, "email", "siro@tr1.example.nhs.uk", "siro");
	add_contact(db, e->tr2, "email", "alerts@tr2.example.nhs.uk", "alerts");
	add_contact(db, e->ics, "email", "cyber@icb1.example.nhs.uk", "alerts");
}

/* ---- pure ---- */

static void backoff_arithmetic(void **state)
{
	(void)state;
	/* first retry: 5-10 s; each attempt doubles; jitter keeps the upper half */
	assert_int_equal(outbox_backoff(1, 0), 5);
	assert_int_equal(outbox_backoff(1, 5), 10);
	assert_int_equal(outbox_backoff(1, 6), 5);          /* rnd wraps within the jitter */
	assert_int_equal(outbox_backoff(2, 0), 10);
	assert_int_equal(outbox_backoff(2, 10), 20);
	assert_int_equal(outbox_backoff(4, 40), 80);
	/* capped, and never past the cap whatever the attempt count */
	for (int64_t a = 1; a < 200; a++) {
		int64_t lo = outbox_backoff(a, 0), hi = outbox_backoff(a, UINT32_MAX);
		assert_true(lo >= OUTBOX_BACKOFF_BASE / 2 && hi <= OUTBOX_BACKOFF_CAP && lo <= hi);
	}
	assert_int_equal(outbox_backoff(100, 0), OUTBOX_BACKOFF_CAP / 2);
	assert_int_equal(outbox_backoff(100, OUTBOX_BACKOFF_CAP / 2), OUTBOX_BACKOFF_CAP);
	/* from a day of attempts, the wait is the cap: ~OUTBOX_ATTEMPTS_MAX gives about a day */
	int64_t total = 0;
	for (int64_t a = 1; a < OUTBOX_ATTEMPTS_MAX; a++)
		total += outbox_backoff(a, 0);
	assert_true(total >= 12 * 3600);
}

static void contact_checks(void **state)
{
	(void)state;
	struct bw_error e = { 0 };
	assert_int_equal(outbox_contact_check("email", "alerts@trust.nhs.uk", &e), BW_OK);
	assert_int_equal(outbox_contact_check("email", "not an address", &e), BW_EINVAL);
	assert_string_equal(e.field, "address");
	assert_int_equal(outbox_contact_check("sms", "+447700900123", &e), BW_OK);
	assert_int_equal(outbox_contact_check("sms", "07700900123", &e), BW_EINVAL);
	assert_non_null(strstr(e.msg, "international format"));
	assert_int_equal(outbox_contact_check("sms", "+0447700900123", &e), BW_EINVAL);
	assert_int_equal(outbox_contact_check("sms", "+4477009001234567", &e), BW_EINVAL);
	assert_int_equal(outbox_contact_check("webhook", "https://soc.example.nhs.uk/hook?x=1", &e), BW_OK);
	assert_int_equal(outbox_contact_check("webhook", "http://soc.example.nhs.uk/hook", &e), BW_EINVAL);
	assert_int_equal(outbox_contact_check("webhook", "http://127.0.0.1:8080/hook", &e), BW_OK);   /* test build */
	assert_int_equal(outbox_contact_check("webhook", "http://127.0.0.1.evil.example/", &e), BW_EINVAL);
	assert_int_equal(outbox_contact_check("webhook", "javascript:alert(1)", &e), BW_EINVAL);
	assert_int_equal(outbox_contact_check("webhook", "https://a.example/x y", &e), BW_EINVAL);
	assert_int_equal(outbox_contact_check("webhook", "https://", &e), BW_EINVAL);
	assert_int_equal(outbox_contact_check("pigeon", "x", &e), BW_EINVAL);
	assert_string_equal(e.field, "kind");
	assert_int_equal(outbox_contact_check("email", "", &e), BW_EINVAL);
	assert_string_equal(e.msg, "Enter the e-mail address");
}

static struct outbox_item sample_item(void)
{
	struct outbox_item it = { 0 };
	it.id = 7;
	it.org_id = 4;
	it.revision = 2;
	it.attempts = 1;
	it.channel = OUTBOX_EMAIL;
	it.key = "CC-0007.r2.revised.4.9";
	it.recipient = "alerts@tr1.example.nhs.uk";
	it.advisory_id = "CC-0007";
	it.reason = "revised";
	it.org_code = "TR1";
	it.org_name = "Organisation TR1";
	it.title = "Flaw in Example VPN\r\nBcc: everyone@example.com";
	it.summary = "Patch the gateway today.";
	it.type = "high_severity_alert";
	it.severity = "critical";
	it.link = "https://bulwark.example/advisories/CC-0007";
	return it;
}

static void mail_and_signatures(void **state)
{
	(void)state;
	struct outbox_config cfg;
	outbox_config_from_env(&cfg);
	snprintf(cfg.mail_from, sizeof cfg.mail_from, "alerts@bulwark.example");
	snprintf(cfg.mail_host, sizeof cfg.mail_host, "bulwark.example");
	struct outbox_item it = sample_item();
	struct buf m;
	buf_init(&m);
	outbox_mail_render(&cfg, &it, 1796000000, &m);
	const char *s = buf_cstr(&m);
	assert_non_null(strstr(s, "Message-ID: <CC-0007.r2.revised.4.9@bulwark.example>\r\n"));
	assert_non_null(strstr(s, "From: Bulwark alerts <alerts@bulwark.example>\r\n"));
	assert_non_null(strstr(s, "To: <alerts@tr1.example.nhs.uk>\r\n"));
	assert_non_null(strstr(s, "Subject: Updated: High-severity alert CC-0007: Flaw in Example VPN  Bcc:"));
	assert_non_null(strstr(s, "Date: Mon, 30 Nov 2026 00:53:20 +0000\r\n"));
	assert_non_null(strstr(s, "https://bulwark.example/advisories/CC-0007\r\n"));
	/* headers end once, and the injected header stayed inside the subject */
	char *end = strstr(s, "\r\n\r\n");
	assert_non_null(end);
	char *bcc = strstr(s, "\r\nBcc:");
	assert_true(bcc == NULL || bcc > end);
	/* every line ends CRLF */
	for (const char *p = s; *p; p++)
		if (*p == '\n')
			assert_true(p > s && p[-1] == '\r');
	buf_reset(&m);
	it.title = "Faille critique: \xc3\xa9l\xc3\xa9ment";   /* non-ASCII: an RFC 2047 word */
	outbox_mail_render(&cfg, &it, 1796000000, &m);
	assert_non_null(strstr(buf_cstr(&m), "Subject: =?UTF-8?B?"));
	buf_free(&m);

	/* RFC 4231 test case 2 */
	char sig[72];
	outbox_webhook_signature("Jefe", "what do ya want for nothing?", 28, sig);
	assert_string_equal(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

	struct buf body;
	buf_init(&body);
	it.title = "Flaw";
	outbox_webhook_body(&it, &body);
	assert_non_null(strstr(buf_cstr(&body), "\"id\":\"CC-0007.r2.revised.4.9\""));
	assert_non_null(strstr(buf_cstr(&body), "\"organisation\":{\"code\":\"TR1\""));
	buf_free(&body);

	/* Notify: name-serviceid-secret; HS256 over header.claims with the secret */
	const char *key = "bulwark_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";
	struct buf jwt;
	buf_init(&jwt);
	assert_true(outbox_notify_jwt(key, 1796000000, &jwt));
	const char *t = buf_cstr(&jwt);
	const char *d1 = strchr(t, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	assert_non_null(d2);
	unsigned char dec[256];
	size_t dn;
	assert_int_equal(sodium_base642bin(dec, sizeof dec, t, (size_t)(d1 - t), NULL, &dn, NULL,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	assert_memory_equal(dec, "{\"typ\":\"JWT\",\"alg\":\"HS256\"}", dn);
	assert_int_equal(sodium_base642bin(dec, sizeof dec, d1 + 1, (size_t)(d2 - d1 - 1), NULL, &dn, NULL,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	dec[dn] = 0;
	assert_string_equal((char *)dec, "{\"iss\":\"26785a09-ab16-4eb0-8407-a37497a57506\",\"iat\":1796000000}");
	unsigned char mac[32], want[32];
	crypto_auth_hmacsha256_state hs;
	crypto_auth_hmacsha256_init(&hs, (const unsigned char *)"3d844edf-8d35-48ac-975b-e847b4f122b0", 36);
	crypto_auth_hmacsha256_update(&hs, (const unsigned char *)t, (size_t)(d2 - t));
	crypto_auth_hmacsha256_final(&hs, want);
	assert_int_equal(sodium_base642bin(mac, sizeof mac, d2 + 1, strlen(d2 + 1), NULL, &dn, NULL,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	assert_int_equal(dn, 32);
	assert_memory_equal(mac, want, 32);
	buf_reset(&jwt);
	assert_false(outbox_notify_jwt("not-a-key", 0, &jwt));
	assert_false(outbox_notify_jwt("x-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122bZ", 0, &jwt));
	buf_free(&jwt);

	/* HTTP answers: 2xx sent; 408, 429, 5xx retried; other 4xx refused for good */
	struct outbox_item o = { 0 };
	outbox_http_outcome(&o, 201);
	assert_true(o.ok);
	outbox_http_outcome(&o, 503);
	assert_false(o.ok);
	assert_false(o.permanent);
	outbox_http_outcome(&o, 429);
	assert_false(o.permanent);
	outbox_http_outcome(&o, 400);
	assert_true(o.permanent);
	assert_string_equal(o.error, "HTTP 400 (refused)");
}

/* ---- database ---- */

static void enqueue_fan_out(void **state)
{
	(void)state;
	struct db *db = fresh_db("fanout");
	struct estate e;
	estate_make(db, &e);
	int64_t targets[] = { e.tr1, e.tr2, e.gp };
	add_advisory(db, "CC-0001", 1, e.nat, "high_severity_alert", 1, targets, 3);
	struct bw_error err = { 0 };
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0001", 1, "published", &err), BW_OK);
	/* TR1: two e-mails, a text and a webhook (not the SIRO); TR2: one; GP1: none; ICB1 not targeted */
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries"), 5);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE channel = 'sms'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE recipient LIKE 'siro@%'"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE state = 'queued' AND attempts = 0"), 5);
	assert_int_equal(count(db, "SELECT count(DISTINCT idem_key) FROM deliveries"), 5);
	/* every organisation targeted gets its in-app notice, contacts or not */
	assert_int_equal(count(db, "SELECT count(*) FROM inbox"), 3);
	assert_int_equal(count(db, "SELECT count(*) FROM jobs WHERE kind = 'outbox.send' AND state = 'queued'"), 1);
	char want[64];
	snprintf(want, sizeof want, "CC-0001.r1.published.%lld.%lld", (long long)e.tr1, (long long)e.tr1_webhook);
	struct db_stmt *st = db_prep(db, "SELECT count(*) FROM deliveries WHERE idem_key = ?1 AND channel = 'webhook'");
	db_bind_text(st, 1, want);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_i64(st, 0), 1);
	db_reset(st);

	/* the same revision again (a retried transaction, a double click): nothing new */
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0001", 1, "published", &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries"), 5);
	assert_int_equal(count(db, "SELECT count(*) FROM inbox"), 3);
	/* a revision is a new message to everyone, with new keys */
	add_advisory(db, "CC-0001", 1, e.nat, "high_severity_alert", 2, targets, 3);
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0001", 2, "revised", &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries"), 10);
	assert_int_equal(count(db, "SELECT count(DISTINCT idem_key) FROM deliveries"), 10);
	assert_int_equal(count(db, "SELECT count(*) FROM inbox"), 6);
	/* the key is unique in the table itself */
	st = db_prep(db, "INSERT INTO deliveries (idem_key, advisory_id, revision, reason, org_id, channel, recipient,"
			 " next_at, created_at) SELECT idem_key, advisory_id, revision, reason, org_id, channel, recipient,"
			 " next_at, created_at FROM deliveries LIMIT 1");
	assert_int_equal(db_step(st), DB_ERR);
	assert_int_equal(db_errcode(db), BW_ECONFLICT);

	/* an ordinary alert is not sent by text */
	add_advisory(db, "CC-0002", 2, e.nat, "alert", 1, targets, 3);
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0002", 1, "published", &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-0002'"), 4);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-0002' AND channel = 'sms'"), 0);

	/* what goes into keys is checked */
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0001>\r\nBcc: x", 1, "published", &err), BW_EINVAL);
	assert_string_equal(err.field, "advisory_id");
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0001", 1, "a.b", &err), BW_EINVAL);
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0001", 0, "published", &err), BW_EINVAL);
	db_close(db);
}

static void escalations(void **state)
{
	(void)state;
	struct db *db = fresh_db("escalate");
	struct estate e;
	estate_make(db, &e);
	int64_t targets[] = { e.tr1, e.tr2 };
	add_advisory(db, "CC-0003", 3, e.nat, "high_severity_alert", 1, targets, 2);
	struct bw_error err = { 0 };
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0003", 1, "published", &err), BW_OK);
	int64_t before = count(db, "SELECT count(*) FROM deliveries");
	/* level 1: TR1's alert contacts again */
	assert_int_equal(outbox_enqueue_escalation(db, "CC-0003", e.tr1, 1, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries") - before, 4);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE reason LIKE 'esc1-d%'"), 4);
	/* the escalation job running twice the same day sends once */
	assert_int_equal(outbox_enqueue_escalation(db, "CC-0003", e.tr1, 1, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries") - before, 4);
	/* level 2: TR1's SIRO and its ICS's alert contacts, about TR1 */
	assert_int_equal(outbox_enqueue_escalation(db, "CC-0003", e.tr1, 2, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE reason LIKE 'esc2-d%'"), 2);
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM deliveries WHERE reason LIKE 'esc2-d%%' AND org_id = %lld"
		 " AND recipient IN ('siro@tr1.example.nhs.uk', 'cyber@icb1.example.nhs.uk')", (long long)e.tr1);
	assert_int_equal(count(db, sql), 2);
	/* TR2 has no SIRO: only the ICS hears, and the key tells TR1's and TR2's apart */
	assert_int_equal(outbox_enqueue_escalation(db, "CC-0003", e.tr2, 2, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE reason LIKE 'esc2-d%'"), 3);
	/* the next day's escalation is a new message */
	clock_set(86400);
	assert_int_equal(outbox_enqueue_escalation(db, "CC-0003", e.tr1, 1, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE reason LIKE 'esc1-d%'"), 8);
	clock_set(0);
	assert_int_equal(count(db, "SELECT count(*) FROM inbox WHERE reason LIKE 'esc%'"), 4);
	assert_int_equal(outbox_enqueue_escalation(db, "CC-0003", e.tr1, 3, &err), BW_EINVAL);
	db_close(db);
}

static void claim_lease_finish(void **state)
{
	(void)state;
	struct db *db = fresh_db("claim");
	struct estate e;
	estate_make(db, &e);
	int64_t targets[] = { e.tr1, e.tr2 };
	add_advisory(db, "CC-0004", 4, e.nat, "high_severity_alert", 1, targets, 2);
	struct bw_error err = { 0 };
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0004", 1, "published", &err), BW_OK);
	struct arena a;
	arena_init(&a);
	struct outbox_item *it, *it2;
	size_t n, n2;
	/* only the channels asked for */
	assert_int_equal(outbox_claim(db, 10, 60, OUTBOX_EMAIL, &a, &it, &n, &err), BW_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(it[i].channel, OUTBOX_EMAIL);
		assert_int_equal(it[i].attempts, 1);
	}
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE state = 'sending'"), 3);
	/* held rows are not claimed twice */
	assert_int_equal(outbox_claim(db, 10, 60, OUTBOX_EMAIL | OUTBOX_SMS | OUTBOX_WEBHOOK, &a, &it2, &n2, &err), BW_OK);
	assert_int_equal(n2, 2);
	for (size_t i = 0; i < n2; i++)
		assert_int_not_equal(it2[i].channel, OUTBOX_EMAIL);
	assert_int_equal(outbox_claim(db, 10, 60, OUTBOX_EMAIL, &a, &it2, &n2, &err), BW_OK);
	assert_int_equal(n2, 0);

	/* a sent one, a refused one (permanent), a passing failure (back-off) */
	it[0].ok = true;
	assert_int_equal(outbox_finish(db, &it[0], &err), BW_OK);
	it[1].permanent = true;
	snprintf(it[1].error, sizeof it[1].error, "SMTP: 550 no such user");
	assert_int_equal(outbox_finish(db, &it[1], &err), BW_OK);
	snprintf(it[2].error, sizeof it[2].error, "SMTP: 451 try later");
	int64_t now = bw_now();
	assert_int_equal(outbox_finish(db, &it[2], &err), BW_OK);
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT state || ':' || CAST(attempts AS TEXT) FROM deliveries WHERE id = %lld",
		 (long long)it[0].id);
	struct db_stmt *st = db_prep(db, sql);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_col_text(st, 0), "sent:1");
	db_reset(st);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM deliveries WHERE id = %lld AND state = 'failed'"
		 " AND last_error = 'SMTP: 550 no such user'", (long long)it[1].id);
	assert_int_equal(count(db, sql), 1);
	snprintf(sql, sizeof sql, "SELECT next_at FROM deliveries WHERE id = %lld AND state = 'queued'", (long long)it[2].id);
	int64_t next = count(db, sql);
	assert_true(next >= now + 5 && next <= now + 11);
	/* not due yet; due after the back-off, with the attempt counted */
	assert_int_equal(outbox_claim(db, 10, 60, OUTBOX_EMAIL, &a, &it2, &n2, &err), BW_OK);
	assert_int_equal(n2, 0);
	clock_set(12);
	assert_int_equal(outbox_claim(db, 10, 60, OUTBOX_EMAIL, &a, &it2, &n2, &err), BW_OK);
	assert_int_equal(n2, 1);
	assert_int_equal(it2[0].id, it[2].id);
	assert_int_equal(it2[0].attempts, 2);

	/* a worker that died: its lease runs out and another claims the rows */
	struct outbox_item *it3;
	size_t n3;
	clock_set(12 + 61);
	assert_int_equal(outbox_claim(db, 10, 60, OUTBOX_EMAIL | OUTBOX_SMS | OUTBOX_WEBHOOK, &a, &it3, &n3, &err), BW_OK);
	assert_int_equal(n3, 3);   /* the SMS, the webhook and the e-mail retried above */
	/* the first claimant comes back late: its outcome no longer counts */
	it2[0].ok = true;
	assert_int_equal(outbox_finish(db, &it2[0], &err), BW_OK);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM deliveries WHERE id = %lld AND state = 'sending' AND attempts = 3",
		 (long long)it[2].id);
	assert_int_equal(count(db, sql), 1);
	/* out of attempts: failed for good even on a passing error */
	for (size_t i = 0; i < n3; i++) {
		it3[i].attempts = it3[i].attempts;   /* as claimed */
		snprintf(it3[i].error, sizeof it3[i].error, "HTTP 503");
	}
	st = db_prep(db, "UPDATE deliveries SET attempts = ?1 WHERE state = 'sending'");
	db_bind_i64(st, 1, OUTBOX_ATTEMPTS_MAX);
	assert_int_equal(db_step(st), DB_DONE);
	for (size_t i = 0; i < n3; i++) {
		it3[i].attempts = OUTBOX_ATTEMPTS_MAX;
		assert_int_equal(outbox_finish(db, &it3[i], &err), BW_OK);
	}
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE state = 'failed'"), 4);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE state IN ('queued', 'sending')"), 0);

	/* a delivery whose workers died on every attempt is failed by the next
	 * claim rather than sent again; one with an attempt left is claimed */
	st = db_prep(db, "UPDATE deliveries SET state = 'sending', next_at = 0, last_error = NULL,"
			 " attempts = CASE WHEN id = ?1 THEN ?2 ELSE ?2 - 1 END WHERE id IN (?1, ?3)");
	db_bind_i64(st, 1, it[0].id);
	db_bind_i64(st, 2, OUTBOX_ATTEMPTS_MAX);
	db_bind_i64(st, 3, it[1].id);
	assert_int_equal(db_step(st), DB_DONE);
	struct outbox_item *it4;
	size_t n4;
	assert_int_equal(outbox_claim(db, 10, 60, OUTBOX_EMAIL | OUTBOX_SMS | OUTBOX_WEBHOOK, &a, &it4, &n4, &err), BW_OK);
	assert_int_equal(n4, 1);
	assert_int_equal(it4[0].id, it[1].id);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM deliveries WHERE id = %lld AND state = 'failed'"
		 " AND last_error = 'lease expired too many times'", (long long)it[0].id);
	assert_int_equal(count(db, sql), 1);
	clock_set(0);
	arena_free(&a);
	db_close(db);
}

/* ---- a small SMTP server: accepts on 127.0.0.1, one thread per
 * connection (the outbox uses a few at once), says 550 to recipients
 * starting "reject", records each message and connection, and checks at
 * each end of data that every message it accepted before has been
 * recorded by the sender (counted by the test's own record callback) ---- */

#define SINK_CONNS 16

struct sink {
	int fd;
	int port;
	pthread_t th;
	pthread_t conn_th[SINK_CONNS];
	int conn_fd[SINK_CONNS];
	pthread_mutex_t mu;
	int connections;
	int open_now, open_max;   /* connections open at once */
	int messages;
	char ids[16][128];        /* Message-IDs, in order */
	char rcpts[16][128];
	int reply_delay_us;       /* before the 250 that accepts a message */
	int recorded_ok;          /* accepted messages the sender has recorded */
	int unrecorded_max;       /* most accepted-but-unrecorded seen at an acceptance */
	bool stop;
};

struct sink_conn {
	struct sink *s;
	int fd;
};

static bool read_line(int fd, char *out, size_t n)
{
	size_t k = 0;
	while (k + 1 < n) {
		char c;
		ssize_t r = recv(fd, &c, 1, 0);
		if (r <= 0)
			return false;
		out[k++] = c;
		if (c == '\n')
			break;
	}
	out[k] = 0;
	return true;
}

static void say(int fd, const char *s)
{
	ssize_t r = send(fd, s, strlen(s), MSG_NOSIGNAL);
	(void)r;
}

static void *sink_serve(void *arg)
{
	struct sink_conn *sc = arg;
	struct sink *s = sc->s;
	int c = sc->fd;
	free(sc);
	say(c, "220 sink ESMTP\r\n");
	char line[2048], rcpt[128] = "", id[128] = "";
	bool data = false;
	while (read_line(c, line, sizeof line)) {
		if (data) {
			if (strcmp(line, ".\r\n") == 0) {
				data = false;
				pthread_mutex_lock(&s->mu);
				/* this one is accepted now: how many accepted before are not yet recorded? */
				int unrecorded = s->messages - s->recorded_ok;
				if (unrecorded > s->unrecorded_max)
					s->unrecorded_max = unrecorded;
				if (s->messages < 16) {
					snprintf(s->rcpts[s->messages], sizeof s->rcpts[0], "%s", rcpt);
					snprintf(s->ids[s->messages], sizeof s->ids[0], "%s", id);
				}
				s->messages++;
				pthread_mutex_unlock(&s->mu);
				if (s->reply_delay_us)
					usleep((useconds_t)s->reply_delay_us);
				say(c, "250 queued\r\n");
			} else if (strncasecmp(line, "Message-ID: ", 12) == 0) {
				snprintf(id, sizeof id, "%.*s", (int)strcspn(line + 12, "\r\n"), line + 12);
			}
			continue;
		}
		if (strncasecmp(line, "EHLO", 4) == 0)
			say(c, "250-sink\r\n250 8BITMIME\r\n");
		else if (strncasecmp(line, "MAIL FROM:", 10) == 0)
			say(c, "250 ok\r\n");
		else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
			snprintf(rcpt, sizeof rcpt, "%.*s", (int)strcspn(line + 8, "\r\n"), line + 8);
			say(c, strstr(line, "<reject") ? "550 no such mailbox\r\n" : "250 ok\r\n");
		} else if (strncasecmp(line, "DATA", 4) == 0) {
			data = true;
			id[0] = '\0';
			say(c, "354 go on\r\n");
		} else if (strncasecmp(line, "RSET", 4) == 0 || strncasecmp(line, "NOOP", 4) == 0)
			say(c, "250 ok\r\n");
		else if (strncasecmp(line, "QUIT", 4) == 0) {
			say(c, "221 bye\r\n");
			break;
		} else
			say(c, "502 no\r\n");
	}
	pthread_mutex_lock(&s->mu);
	s->open_now--;
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void *sink_run(void *arg)
{
	struct sink *s = arg;
	for (;;) {
		int c = accept(s->fd, NULL, NULL);
		if (c < 0 || s->stop || s->connections == SINK_CONNS) {
			if (c >= 0)
				close(c);
			if (c < 0 || s->stop)
				return NULL;
			continue;
		}
		struct sink_conn *sc = malloc(sizeof *sc);
		assert_non_null(sc);
		sc->s = s;
		sc->fd = c;
		pthread_mutex_lock(&s->mu);
		int k = s->connections++;
		s->conn_fd[k] = c;
		if (++s->open_now > s->open_max)
			s->open_max = s->open_now;
		pthread_mutex_unlock(&s->mu);
		assert_int_equal(pthread_create(&s->conn_th[k], NULL, sink_serve, sc), 0);
	}
}

static void sink_start(struct sink *s)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->fd, 8), 0);
	socklen_t al = sizeof a;
	getsockname(s->fd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, sink_run, s), 0);
}

static void sink_stop(struct sink *s)
{
	s->stop = true;
	/* wake accept() */
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(c, (struct sockaddr *)&a, sizeof a) != 0)
		shutdown(s->fd, SHUT_RDWR);
	close(c);
	pthread_join(s->th, NULL);
	/* the sender has closed its connections (or left them idle): end them */
	for (int i = 0; i < s->connections; i++) {
		shutdown(s->conn_fd[i], SHUT_RDWR);
		pthread_join(s->conn_th[i], NULL);
		close(s->conn_fd[i]);
	}
	close(s->fd);
	pthread_mutex_destroy(&s->mu);
}

/* The record callback of smtp_turns: a slow commit, counted by the sink. */
static bool slow_record(struct outbox_item *it, void *arg)
{
	struct sink *s = arg;
	usleep(3000);
	if (it->ok) {
		pthread_mutex_lock(&s->mu);
		s->recorded_ok++;
		pthread_mutex_unlock(&s->mu);
	}
	return true;
}

/* Several connections at once, yet a message is accepted only after every
 * message accepted before it was recorded: what bounds resending after a
 * crash to the one message in flight. */
static void smtp_turns(void **state)
{
	(void)state;
	struct sink s;
	sink_start(&s);
	s.reply_delay_us = 2000;
	struct outbox_config cfg;
	outbox_config_from_env(&cfg);
	snprintf(cfg.smtp_url, sizeof cfg.smtp_url, "smtp://127.0.0.1:%d", s.port);
	snprintf(cfg.mail_from, sizeof cfg.mail_from, "alerts@bulwark.test");
	snprintf(cfg.mail_host, sizeof cfg.mail_host, "bulwark.test");
	enum { N = 24 };
	struct outbox_item items[N];
	struct outbox_item *p[N];
	char keys[N][48], rcpts[N][64];
	for (int i = 0; i < N; i++) {
		memset(&items[i], 0, sizeof items[i]);
		snprintf(keys[i], sizeof keys[i], "CC-0009.r1.published.%d.%d", 100 + i, i + 1);
		/* one refused recipient: it fails before its data, and does not stall the others */
		snprintf(rcpts[i], sizeof rcpts[i], "%s%d@org.example.nhs.uk", i == 7 ? "reject" : "lead", i);
		items[i] = (struct outbox_item){ .id = i + 1, .org_id = 100 + i, .revision = 1, .attempts = 1,
						 .channel = OUTBOX_EMAIL, .key = keys[i], .recipient = rcpts[i],
						 .advisory_id = "CC-0009", .reason = "published", .org_code = "X1",
						 .org_name = "Org", .title = "Turns", .summary = "", .type = "alert",
						 .severity = "", .link = "http://localhost/advisories/CC-0009" };
		p[i] = &items[i];
	}
	struct outbox_smtp *smtp = outbox_smtp_open(&cfg);
	assert_true(outbox_smtp_send_batch(smtp, p, N, slow_record, &s));
	outbox_smtp_close(smtp);
	sink_stop(&s);
	assert_int_equal(s.messages, N - 1);
	assert_int_equal(s.recorded_ok, N - 1);
	assert_false(items[7].ok);
	assert_true(items[7].permanent);
	for (int i = 0; i < N; i++)
		if (i != 7)
			assert_true(items[i].ok);
	/* it did use several connections at once (a refusal may cost one) ... */
	assert_true(s.open_max > 1 && s.open_max <= OUTBOX_SMTP_CONNS);
	assert_true(s.connections <= OUTBOX_SMTP_CONNS + 1);
	/* ... and never let a message be accepted while another accepted one was unrecorded */
	assert_int_equal(s.unrecorded_max, 0);
}

static void send_over_smtp(void **state)
{
	(void)state;
	struct db *db = fresh_db("smtp");
	struct estate e;
	estate_make(db, &e);
	int64_t targets[] = { e.tr1, e.tr2 };
	add_advisory(db, "CC-0005", 5, e.nat, "alert", 1, targets, 2);
	struct bw_error err = { 0 };
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0005", 1, "published", &err), BW_OK);
	/* a webhook would go out too: leave it to its own test */
	assert_int_equal(count(db, "DELETE FROM deliveries WHERE channel = 'webhook' RETURNING 1"), 1);

	struct sink s;
	sink_start(&s);
	struct outbox_config cfg;
	outbox_config_from_env(&cfg);
	snprintf(cfg.smtp_url, sizeof cfg.smtp_url, "smtp://127.0.0.1:%d/bulwark.test", s.port);
	snprintf(cfg.mail_from, sizeof cfg.mail_from, "alerts@bulwark.test");
	snprintf(cfg.mail_host, sizeof cfg.mail_host, "bulwark.test");
	cfg.notify_key[0] = '\0';
	outbox_config_set(&cfg);
	assert_int_equal(outbox_send_due(db, 100, &err), 3);
	/* three delivered over a few kept-open connections, each with its key as Message-ID */
	assert_int_equal(s.messages, 3);
	assert_true(s.connections >= 1 && s.connections <= OUTBOX_SMTP_CONNS);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE state = 'sent'"), 3);
	for (int i = 0; i < 3; i++) {
		char sql[512];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM deliveries WHERE '<' || idem_key || '@bulwark.test>' = '%s'"
			 " AND '<' || recipient || '>' = '%s' AND state = 'sent'", s.ids[i], s.rcpts[i]);
		assert_int_equal(count(db, sql), 1);
	}
	/* nothing left to do */
	assert_int_equal(outbox_send_due(db, 100, &err), 0);
	sink_stop(&s);

	/* the mail server is down: the next advisory stays queued, retried later */
	add_contact(db, e.tr2, "email", "reject-me@tr2.example.nhs.uk", "alerts");
	add_advisory(db, "CC-0006", 6, e.nat, "alert", 1, targets, 2);
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0006", 1, "published", &err), BW_OK);
	assert_int_equal(count(db, "DELETE FROM deliveries WHERE channel = 'webhook' RETURNING 1"), 1);
	assert_int_equal(outbox_send_due(db, 100, &err), 4);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-0006' AND state = 'queued'"
				   " AND attempts = 1 AND last_error IS NOT NULL"), 4);
	assert_int_equal(outbox_send_due(db, 100, &err), 0);   /* backing off */
	/* back up (on a new port) and past the back-off: all four arrive, once */
	sink_start(&s);
	snprintf(cfg.smtp_url, sizeof cfg.smtp_url, "smtp://127.0.0.1:%d", s.port);
	outbox_config_set(&cfg);
	clock_set(OUTBOX_BACKOFF_BASE + 1);
	assert_int_equal(outbox_send_due(db, 100, &err), 4);
	/* the refused address failed for good on its 550 */
	assert_int_equal(s.messages, 3);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE state = 'failed'"
				   " AND recipient = 'reject-me@tr2.example.nhs.uk' AND last_error LIKE '%550%'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-0006' AND state = 'sent'"), 3);
	assert_int_equal(outbox_send_due(db, 100, &err), 0);
	sink_stop(&s);
	clock_set(0);

	/* unconfigured e-mail stays queued rather than failing */
	add_advisory(db, "CC-0008", 8, e.nat, "alert", 1, targets, 2);
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0008", 1, "published", &err), BW_OK);
	cfg.smtp_url[0] = '\0';
	outbox_config_set(&cfg);
	assert_int_equal(count(db, "DELETE FROM deliveries WHERE channel = 'webhook' RETURNING 1"), 1);
	assert_int_equal(outbox_send_due(db, 100, &err), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-0008' AND state = 'queued'"
				   " AND attempts = 0"), 4);
	db_close(db);
}

static void webhook_unreachable(void **state)
{
	(void)state;
	struct db *db = fresh_db("webhook");
	struct estate e;
	estate_make(db, &e);
	/* a port nobody listens on */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t al = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &al);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", ntohs(a.sin_port));
	add_contact(db, e.gp, "webhook", url, "alerts");
	int64_t targets[] = { e.gp };
	add_advisory(db, "CC-0009", 9, e.nat, "alert", 1, targets, 1);
	struct bw_error err = { 0 };
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0009", 1, "published", &err), BW_OK);
	struct outbox_config cfg;
	outbox_config_from_env(&cfg);
	cfg.smtp_url[0] = '\0';
	outbox_config_set(&cfg);
	assert_int_equal(outbox_send_due(db, 100, &err), 1);
	close(fd);
	assert_int_equal(count(db, "SELECT count(*) FROM deliveries WHERE state = 'queued' AND attempts = 1"
				   " AND last_error LIKE '%connect%'"), 1);
	db_close(db);
}

static void inbox_and_contacts(void **state)
{
	(void)state;
	struct db *db = fresh_db("inbox");
	struct estate e;
	estate_make(db, &e);
	int64_t uid = 0;
	struct actor cli;
	orgs_actor_cli(&cli);
	struct bw_error err = { 0 };
	assert_int_equal(users_add(db, &cli, "TR1", "lead@tr1.example.nhs.uk", "Tess Lead", ROLE_ORG_LEAD, &uid, &err), BW_OK);
	int64_t targets[] = { e.tr1 };
	add_advisory(db, "CC-0010", 10, e.nat, "alert", 1, targets, 1);
	add_advisory(db, "CC-0011", 11, e.nat, "bulletin", 1, targets, 1);
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0010", 1, "published", &err), BW_OK);
	assert_int_equal(outbox_enqueue_advisory(db, "CC-0011", 1, "published", &err), BW_OK);
	assert_int_equal(outbox_inbox_unread(db, e.tr1, uid), 2);
	assert_int_equal(outbox_inbox_unread(db, e.tr2, uid), 0);
	struct arena a;
	arena_init(&a);
	struct outbox_notice *v;
	size_t n;
	assert_int_equal(outbox_inbox_list(db, e.tr1, uid, 10, &a, &v, &n, &err), BW_OK);
	assert_int_equal(n, 2);
	assert_false(v[0].read);
	assert_int_equal(outbox_inbox_mark_read(db, v[0].id, uid, &err), BW_OK);
	assert_int_equal(outbox_inbox_mark_read(db, v[0].id, uid, &err), BW_OK);   /* twice is fine */
	assert_int_equal(outbox_inbox_unread(db, e.tr1, uid), 1);
	assert_int_equal(outbox_inbox_list(db, e.tr1, uid, 10, &a, &v, &n, &err), BW_OK);
	assert_int_equal(v[0].read + v[1].read, 1);
	arena_free(&a);

	/* contacts: audited, unique, webhook secret once, bounded per organisation */
	struct actor lead;
	assert_int_equal(orgs_actor_load(db, uid, &lead, &err), BW_OK);
	int64_t before = count(db, "SELECT count(*) FROM audit");
	char secret[65] = "x";
	int64_t id = 0;
	assert_int_equal(outbox_contact_add(db, &lead, e.tr1, "webhook", "https://siem.tr1.example.nhs.uk/in", "alerts",
					    "SIEM", &id, secret, &err), BW_OK);
	assert_int_equal(strlen(secret), 64);
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM alert_contacts WHERE id = %lld AND secret = '%s' AND created_by = %lld",
		 (long long)id, secret, (long long)uid);
	assert_int_equal(count(db, sql), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM audit") - before, 1);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM audit WHERE action = 'alert_contact.add' AND object = 'alert_contact:%lld'"
		 " AND summary NOT LIKE '%%%s%%'", (long long)id, secret);
	assert_int_equal(count(db, sql), 1);
	assert_int_equal(outbox_contact_add(db, &lead, e.tr1, "webhook", "https://siem.tr1.example.nhs.uk/in", "alerts",
					    NULL, NULL, NULL, &err), BW_ECONFLICT);
	assert_int_equal(outbox_contact_add(db, &lead, e.tr1, "email", "x@y.example", "boss", NULL, NULL, NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "role");
	assert_int_equal(outbox_contact_remove(db, &lead, id, &err), BW_OK);
	assert_int_equal(outbox_contact_remove(db, &lead, id, &err), BW_ENOTFOUND);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action = 'alert_contact.remove'"), 1);
	int have = (int)count(db, "SELECT count(*) FROM alert_contacts WHERE org_id = (SELECT id FROM orgs WHERE code = 'TR2')");
	for (int i = have; i < OUTBOX_CONTACTS_MAX; i++) {
		char addr[64];
		snprintf(addr, sizeof addr, "person%d@tr2.example.nhs.uk", i);
		assert_int_equal(outbox_contact_add(db, &lead, e.tr2, "email", addr, "alerts", NULL, NULL, NULL, &err), BW_OK);
	}
	assert_int_equal(outbox_contact_add(db, &lead, e.tr2, "email", "one-more@tr2.example.nhs.uk", "alerts", NULL, NULL,
					    NULL, &err), BW_ELIMIT);
	db_close(db);
}

static void demo_seed(void **state)
{
	(void)state;
	struct db *db = fresh_db("demo");
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	add_org(db, "REG", ORG_REGION, "NAT");
	add_org(db, "ICB1", ORG_ICS, "REG");
	for (int i = 0; i < 30; i++) {
		char code[16];
		snprintf(code, sizeof code, "P%02d", i);
		add_org(db, code, i < 3 ? ORG_NHS_TRUST : ORG_GP_PRACTICE, "ICB1");
	}
	struct bw_error err = { 0 };
	assert_int_equal(outbox_demo_seed(db, &err), BW_OK);
	/* one mailbox per organisation below the national team, more for two in three,
	 * SIRO and mobile for trusts and the ICS */
	assert_int_equal(count(db, "SELECT count(*) FROM alert_contacts WHERE address LIKE 'cyber-alerts@%'"), 32);
	assert_int_equal(count(db, "SELECT count(*) FROM alert_contacts WHERE role = 'siro'"), 4);
	assert_int_equal(count(db, "SELECT count(*) FROM alert_contacts WHERE kind = 'sms'"), 4);
	int64_t total = count(db, "SELECT count(*) FROM alert_contacts");
	assert_true(total > 32 + 8 + 15 && total < 32 + 8 + 25);
	assert_int_equal(count(db, "SELECT count(*) FROM alert_contacts WHERE kind = 'sms' AND address NOT LIKE '+447700900___'"), 0);
	/* every seeded address passes the checks a person's input would */
	struct db_stmt *st = db_prep(db, "SELECT kind, address FROM alert_contacts");
	while (db_step(st) == DB_ROW)
		assert_int_equal(outbox_contact_check(db_col_text(st, 0), db_col_text(st, 1), &err), BW_OK);
	db_close(db);
}

int main(void)
{
	bw_crypto_init();
	snprintf(clock_path, sizeof clock_path, "/tmp/bw-outbox-clock-%d", (int)getpid());
	setenv("BULWARK_TEST_CLOCK", clock_path, 1);
	clock_set(0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backoff_arithmetic),
		cmocka_unit_test(contact_checks),
		cmocka_unit_test(mail_and_signatures),
		cmocka_unit_test(enqueue_fan_out),
		cmocka_unit_test(escalations),
		cmocka_unit_test(claim_lease_finish),
		cmocka_unit_test(send_over_smtp),
		cmocka_unit_test(smtp_turns),
		cmocka_unit_test(webhook_unreachable),
		cmocka_unit_test(inbox_and_contacts),
		cmocka_unit_test(demo_seed),
	};
	int rc = cmocka_run_group_tests_name(testdb_pg_url() ? "outbox (postgres)" : "outbox (sqlite)", tests,
					     testdb_group_setup, testdb_group_teardown);
	unlink(clock_path);
	return rc;
}

/*
 * bench-alerts: one high-severity alert published to a national estate
 * (60,000 organisations, ~100,000 alert contacts, seeded here the way the
 * demo seeds them). Measures, in one run:
 *   1. the time until every delivery and inbox notice is queued by
 *      outbox_enqueue_advisory (two INSERT ... SELECT statements), against
 *      the baseline of inserting the same rows with one plain prepared
 *      INSERT per row in one transaction;
 *   2. e-mails per second through outbox_send_due into a local SMTP sink
 *      (bench/alerts/run starts one), wall-clock and per CPU second of this
 *      process.
 * It leaves the database with responses to CC-0001 from every organisation
 * (most acknowledged, some applicable, some closed) for the roll-up page
 * that bench/alerts/rollup.mjs times.
 * Prints Markdown table rows on stdout.
 *   bench-alerts --db FILE|postgresql://... [--orgs N] [--smtp URL] [--mails N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "alerts/outbox.h"

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* The CPU time of this connection's PostgreSQL backend, when the server
 * runs on this machine and /proc shows it (the work of a publish happens
 * there, not here); 0 otherwise. */
static int64_t pg_pid;

static double server_cpu_s(void)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pg_pid);
	FILE *f = pg_pid > 0 ? fopen(path, "r") : NULL;
	if (!f)
		return 0;
	char line[1024];
	size_t n = fread(line, 1, sizeof line - 1, f);
	fclose(f);
	line[n] = '\0';
	const char *p = strrchr(line, ')');
	unsigned long long ut = 0, st = 0;
	/* after the name: state, then fields 4 to 13, then utime and stime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* " + 1.23 in PostgreSQL" when the server's share is known */
static const char *server_part(char *out, size_t n, double cpu)
{
	if (pg_pid > 0 && cpu > 0)
		snprintf(out, n, " + %.2f in PostgreSQL", cpu);
	else
		out[0] = '\0';
	return out;
}

static void die(const char *what, const struct bw_error *err)
{
	fprintf(stderr, "bench-alerts: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

struct seed {
	int orgs;
};

/* national (1), 7 regions, 42 ICSs, then organisations spread over the ICSs
 * in the proportions of the real estate */
static enum bw_err seed_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct seed *s = arg;
	struct db_stmt *st;
	int64_t now = bw_now();
	char code[16], name[64], path[64];
	const char *sql = "INSERT INTO orgs (id, code, name, type, parent_id, path, synthetic, created_at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)";
	for (int id = 1; id <= s->orgs; id++) {
		const char *type;
		int64_t parent;
		if (id == 1) {
			type = "national", parent = 0;
			snprintf(path, sizeof path, "/1/");
		} else if (id <= 8) {
			type = "region", parent = 1;
			snprintf(path, sizeof path, "/1/%d/", id);
		} else if (id <= 50) {
			type = "ics", parent = 2 + (id - 9) % 7;
			snprintf(path, sizeof path, "/1/%lld/%d/", (long long)parent, id);
		} else {
			int k = id % 240;
			type = k < 1 ? "nhs_trust" : k < 26 ? "gp_practice" : k < 70 ? "pharmacy" : k < 110 ? "dental_practice"
									     : "care_provider";
			parent = 9 + id % 42;
			snprintf(path, sizeof path, "/1/%lld/%lld/%d/", (long long)(2 + (parent - 9) % 7), (long long)parent, id);
		}
		snprintf(code, sizeof code, "B%06d", id);
		snprintf(name, sizeof name, "Bench organisation %d", id);
		st = db_prep(db, sql);
		db_bind_i64(st, 1, id);
		db_bind_text(st, 2, code);
		db_bind_text(st, 3, name);
		db_bind_text(st, 4, type);
		if (parent)
			db_bind_i64(st, 5, parent);
		else
			db_bind_null(st, 5);
		db_bind_text(st, 6, path);
		db_bind_i64(st, 7, now);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "seed orgs");
	}
	return outbox_demo_seed(db, err);
}

static void advisory(struct db *db, const char *id, int seq)
{
	struct bw_error err = { 0 };
	struct db_stmt *st = db_prep(db,
		"INSERT INTO advisories (id, prefix, seq, owner_org_id, state, revision, title, type, severity, tlp,"
		" ack_hours, update_days, draft, created_by, created_at, updated_at) VALUES (?1, 'CC', ?2, 1, 'published',"
		" 1, 'Bench alert', 'high_severity_alert', 'critical', 'TLP:CLEAR', 48, 3, '{}', 'bench', 0, 0)");
	db_bind_text(st, 1, id);
	db_bind_i64(st, 2, seq);
	if (db_step(st) != DB_DONE)
		die("advisory", NULL);
	st = db_prep(db, "INSERT INTO advisory_revisions (advisory_id, revision, published_at, published_by, tlp, content)"
			 " VALUES (?1, 1, 0, 'bench', 'TLP:CLEAR', ?2)");
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, "{\"title\":\"Exploited vulnerability in Example VPN gateways\",\"summary\":\"Patch the "
			    "gateway today and look for signs of compromise.\",\"type\":\"high_severity_alert\","
			    "\"severity\":\"critical\"}");
	if (db_step(st) != DB_DONE)
		die("revision", NULL);
	st = db_prep(db, "INSERT INTO advisory_targets (advisory_id, org_id, revision)"
			 " SELECT ?1, id, 1 FROM orgs WHERE type NOT IN ('national', 'region')");
	db_bind_text(st, 1, id);
	if (db_step(st) != DB_DONE)
		die("targets", &err);
}

/* What an analyst's roll-up reads six days after publication: a response
 * per organisation, most acknowledged (some late), some found applicable,
 * some closed; deterministic by organisation id. */
static enum bw_err responses_tx(struct db *db, void *arg, struct bw_error *err)
{
	const char *id = arg;
	int64_t pub = bw_now() - 6 * 86400;
	struct db_stmt *st = db_prep(db, "UPDATE advisories SET published_at = ?2, published_by = 'bench' WHERE id = ?1");
	db_bind_text(st, 1, id);
	db_bind_i64(st, 2, pub);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "responses");
	st = db_prep(db, "INSERT INTO advisory_responses (advisory_id, org_id, state, issued_at, ack_due, updated_at)"
			 " SELECT ?1, org_id, 'issued', ?2, ?3, ?2 FROM advisory_targets WHERE advisory_id = ?1");
	db_bind_text(st, 1, id);
	db_bind_i64(st, 2, pub);
	db_bind_i64(st, 3, pub + 48 * 3600);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "responses");
	/* 60% acknowledged, up to four days in (so some late); half of those
	 * found it applies; one in ten closed as remediated */
	st = db_prep(db, "UPDATE advisory_responses SET state = 'acknowledged', acknowledged_at = ?2 + (org_id % 97) * 3600,"
			 " acknowledged_by = 'bench', next_update_due = ?2 + 3 * 86400 WHERE advisory_id = ?1 AND org_id % 10 < 6");
	db_bind_text(st, 1, id);
	db_bind_i64(st, 2, pub);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "responses");
	st = db_prep(db, "UPDATE advisory_responses SET state = 'applicable', applicability = 'applicable',"
			 " answered_at = acknowledged_at, answered_by = 'bench' WHERE advisory_id = ?1 AND org_id % 10 < 3");
	db_bind_text(st, 1, id);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "responses");
	st = db_prep(db, "UPDATE advisory_responses SET state = 'closed', closure = 'remediated', closed_at = ?2 + 4 * 86400,"
			 " closed_by = 'bench' WHERE advisory_id = ?1 AND org_id % 10 = 0");
	db_bind_text(st, 1, id);
	db_bind_i64(st, 2, pub);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "responses");
	return BW_OK;
}

static enum bw_err enqueue_tx(struct db *db, void *arg, struct bw_error *err)
{
	return outbox_enqueue_advisory(db, arg, 1, "published", err);
}

struct pair {
	int64_t org, contact;
	char kind[8];
	char address[OUTBOX_ADDRESS_MAX + 1];
};
struct base {
	struct pair *p;
	size_t n;
	int64_t *orgs;
	size_t norgs;
};

/* the baseline: the same rows, one prepared INSERT each, one transaction */
static enum bw_err baseline_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct base *b = arg;
	int64_t now = bw_now();
	char key[160];
	for (size_t i = 0; i < b->n; i++) {
		struct db_stmt *st = db_prep(db,
			"INSERT INTO deliveries (idem_key, advisory_id, revision, reason, org_id, contact_id, channel,"
			" recipient, state, attempts, next_at, created_at)"
			" VALUES (?1, 'CC-0002', 1, 'published', ?2, ?3, ?4, ?5, 'queued', 0, ?6, ?6)");
		snprintf(key, sizeof key, "CC-0002.r1.published.%lld.%lld", (long long)b->p[i].org, (long long)b->p[i].contact);
		db_bind_text(st, 1, key);
		db_bind_i64(st, 2, b->p[i].org);
		db_bind_i64(st, 3, b->p[i].contact);
		db_bind_text(st, 4, b->p[i].kind);
		db_bind_text(st, 5, b->p[i].address);
		db_bind_i64(st, 6, now);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "baseline delivery");
	}
	for (size_t i = 0; i < b->norgs; i++) {
		struct db_stmt *st = db_prep(db, "INSERT INTO inbox (org_id, advisory_id, revision, reason, created_at)"
						 " VALUES (?1, 'CC-0002', 1, 'published', ?2)");
		db_bind_i64(st, 1, b->orgs[i]);
		db_bind_i64(st, 2, now);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "baseline inbox");
	}
	return BW_OK;
}

int main(int argc, char **argv)
{
	const char *url = NULL, *smtp = NULL;
	int orgs = 60000, mails = 20000;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--db"))
			url = argv[i + 1];
		else if (!strcmp(argv[i], "--orgs"))
			orgs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--smtp"))
			smtp = argv[i + 1];
		else if (!strcmp(argv[i], "--mails"))
			mails = atoi(argv[i + 1]);
	}
	if (!url || orgs < 100) {
		fprintf(stderr, "usage: bench-alerts --db FILE|postgresql://... [--orgs N] [--smtp URL] [--mails N]\n");
		return 2;
	}
	bw_crypto_init();
	log_set_level(LOG_WARN);
	struct bw_error err = { 0 };
	struct db *db;
	if (db_open(&db, url, &err) != BW_OK)
		die("open", &err);
	const struct db_migration *const sets[] = { orgs_migrations, audit_migrations, db_jobs_migrations,
						    outbox_migrations, alerts_migrations, NULL };
	if (db_migrate(db, sets, &err) != BW_OK)
		die("migrate", &err);
	if (db_query_i64(db, "SELECT count(*) FROM orgs", 0) > 0) {
		fprintf(stderr, "bench-alerts: the database must be empty\n");
		return 1;
	}
	struct seed s = { orgs };
	int64_t t0 = bw_now_ms();
	if (db_tx(db, true, seed_tx, &s, &err) != BW_OK)
		die("seed", &err);
	int64_t contacts = db_query_i64(db, "SELECT count(*) FROM alert_contacts", 0);
	fprintf(stderr, "seeded %d organisations and %lld contacts in %.1f s\n", orgs, (long long)contacts,
		(double)(bw_now_ms() - t0) / 1000);
	if (db_kind(db) == DB_POSTGRES)
		db_exec(db, "ANALYZE", &err);
	advisory(db, "CC-0001", 1);
	advisory(db, "CC-0002", 2);

	/* the baseline's input, read before its clock starts */
	struct base b = { 0 };
	size_t cap = 0;
	struct db_stmt *st = db_prep(db,
		"SELECT t.org_id, c.id, c.kind, c.address FROM advisory_targets t JOIN alert_contacts c"
		" ON c.org_id = t.org_id AND c.role = 'alerts' WHERE t.advisory_id = 'CC-0002'");
	while (db_step(st) == DB_ROW) {
		if (b.n == cap) {
			cap = cap ? cap * 2 : 4096;
			b.p = realloc(b.p, cap * sizeof *b.p);
			if (!b.p)
				die("memory", NULL);
		}
		b.p[b.n].org = db_col_i64(st, 0);
		b.p[b.n].contact = db_col_i64(st, 1);
		snprintf(b.p[b.n].kind, sizeof b.p[b.n].kind, "%s", db_col_text(st, 2));
		snprintf(b.p[b.n].address, sizeof b.p[b.n].address, "%s", db_col_text(st, 3));
		b.n++;
	}
	b.orgs = calloc((size_t)orgs, sizeof *b.orgs);
	st = db_prep(db, "SELECT org_id FROM advisory_targets WHERE advisory_id = 'CC-0002'");
	while (db_step(st) == DB_ROW && b.norgs < (size_t)orgs)
		b.orgs[b.norgs++] = db_col_i64(st, 0);

	if (db_kind(db) == DB_POSTGRES)
		pg_pid = db_query_i64(db, "SELECT pg_backend_pid()", 0);
	char sp[2][64];
	double c0 = cpu_s(), s0 = server_cpu_s();
	t0 = bw_now_ms();
	if (db_tx(db, true, enqueue_tx, "CC-0001", &err) != BW_OK)
		die("enqueue", &err);
	int64_t ours_ms = bw_now_ms() - t0;
	double ours_cpu = cpu_s() - c0, ours_srv = server_cpu_s() - s0;
	int64_t queued = db_query_i64(db, "SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-0001'", 0);
	int64_t notices = db_query_i64(db, "SELECT count(*) FROM inbox WHERE advisory_id = 'CC-0001'", 0);

	c0 = cpu_s(), s0 = server_cpu_s();
	t0 = bw_now_ms();
	if (db_tx(db, true, baseline_tx, &b, &err) != BW_OK)
		die("baseline", &err);
	int64_t base_ms = bw_now_ms() - t0;
	double base_cpu = cpu_s() - c0, base_srv = server_cpu_s() - s0;
	int64_t base_rows = db_query_i64(db, "SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-0002'", 0);
	if (base_rows != queued) {
		fprintf(stderr, "bench-alerts: the baseline queued %lld rows, the outbox %lld\n", (long long)base_rows,
			(long long)queued);
		return 1;
	}
	const char *backend = db_kind(db) == DB_POSTGRES ? "PostgreSQL" : "SQLite";
	printf("| Publish to %d organisations (%s): %lld deliveries + %lld inbox notices queued | %lld ms"
	       " (%.2f CPU s here%s) | %lld ms (%.2f CPU s%s) | %.1f× |\n",
	       orgs, backend, (long long)queued, (long long)notices, (long long)ours_ms, ours_cpu,
	       server_part(sp[0], sizeof sp[0], ours_srv), (long long)base_ms, base_cpu,
	       server_part(sp[1], sizeof sp[1], base_srv), ours_ms > 0 ? (double)base_ms / (double)ours_ms : 0.0);
	free(b.p);
	free(b.orgs);

	/* the analyst's roll-up needs responses to read (bench/alerts/run
	 * times the page through a running server afterwards) */
	if (db_tx(db, true, responses_tx, "CC-0001", &err) != BW_OK)
		die("responses", &err);
	/* six days on, autovacuum has long since taken PostgreSQL's statistics
	 * of the responses (alerts_publish takes them itself for a wide alert) */
	if (db_kind(db) == DB_POSTGRES)
		db_exec(db, "ANALYZE advisory_responses", &err);

	if (smtp && mails > 0) {
		/* only the outbox's e-mails: the baseline's rows stay out of the way */
		db_exec(db, "UPDATE deliveries SET state = 'sent' WHERE advisory_id = 'CC-0002'", &err);
		struct outbox_config cfg;
		outbox_config_from_env(&cfg);
		snprintf(cfg.smtp_url, sizeof cfg.smtp_url, "%s", smtp);
		snprintf(cfg.mail_from, sizeof cfg.mail_from, "alerts@bulwark.bench");
		snprintf(cfg.mail_host, sizeof cfg.mail_host, "bulwark.bench");
		cfg.notify_key[0] = '\0';
		outbox_config_set(&cfg);
		c0 = cpu_s(), s0 = server_cpu_s();
		t0 = bw_now_ms();
		int done = 0;
		while (done < mails) {
			int n = outbox_send_due(db, mails - done < OUTBOX_BATCH ? mails - done : OUTBOX_BATCH, &err);
			if (n < 0)
				die("send", &err);
			if (n == 0)
				break;
			done += n;
		}
		int64_t ms = bw_now_ms() - t0;
		double cpu = cpu_s() - c0, srv = server_cpu_s() - s0;
		int64_t sent = db_query_i64(db, "SELECT count(*) FROM deliveries WHERE advisory_id = 'CC-0001' AND state = 'sent'", 0);
		printf("| E-mails into a local SMTP sink (%s, %d connections, each marked sent"
		       " before the next is accepted) | %.0f/s"
		       " (%lld in %lld ms; %.0f per CPU second here; %.2f CPU s here%s) | | |\n",
		       backend, OUTBOX_SMTP_CONNS, ms > 0 ? (double)sent * 1000.0 / (double)ms : 0.0, (long long)sent, (long long)ms,
		       cpu > 0 ? (double)sent / cpu : 0.0, cpu, server_part(sp[0], sizeof sp[0], srv));
		/* a sink that refused or was not there is a failed run, not a slow one */
		if (sent < mails) {
			fprintf(stderr, "bench-alerts: only %lld of %d e-mails were accepted by %s\n", (long long)sent, mails, smtp);
			db_close(db);
			return 1;
		}
	}
	db_close(db);
	return 0;
}

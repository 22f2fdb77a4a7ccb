/*
 * outbox: the delivery tables, enqueueing an advisory (one INSERT ... SELECT
 * for every targeted organisation's contacts, one for the inbox), claiming
 * due deliveries with a lease, recording each outcome at once, back-off,
 * and the "outbox.send" job that drives the channels (deliver_*.c).
 *
 * While a row is 'sending', next_at is the end of its lease: one partial
 * index on next_at then serves both "queued and due" and "lease ran out".
 * deliveries and inbox name their organisation without a foreign key: their
 * rows are copied from advisory_targets and alert_contacts, which have one,
 * and a per-row key check would be most of a national publish's time on
 * PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"
#include "alerts/outbox.h"

const struct db_migration outbox_migrations[] = {
	{ "alerts/0101_outbox",
	  "CREATE TABLE alert_contacts ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " kind {{TEXT_C}} NOT NULL CHECK (kind IN ('email', 'sms', 'webhook')),"
	  " address {{TEXT_C}} NOT NULL,"
	  " secret text,"
	  " role {{TEXT_C}} NOT NULL DEFAULT 'alerts' CHECK (role IN ('alerts', 'siro')),"
	  " name text NOT NULL DEFAULT '',"
	  " created_by {{INT}},"
	  " created_at {{INT}} NOT NULL,"
	  " UNIQUE (org_id, role, kind, address));"
	  "CREATE TABLE deliveries ("
	  " id {{ID}},"
	  " idem_key {{TEXT_C}} NOT NULL UNIQUE,"
	  " advisory_id {{TEXT_C}} NOT NULL,"
	  " revision {{INT}} NOT NULL,"
	  " reason {{TEXT_C}} NOT NULL,"
	  " org_id {{INT}} NOT NULL,"
	  " contact_id {{INT}},"
	  " channel {{TEXT_C}} NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),"
	  " recipient text NOT NULL,"
	  " state {{TEXT_C}} NOT NULL DEFAULT 'queued'"
	  "  CHECK (state IN ('queued', 'sending', 'sent', 'failed')),"
	  " attempts {{INT}} NOT NULL DEFAULT 0,"
	  " next_at {{INT}} NOT NULL,"
	  " last_error text,"
	  " created_at {{INT}} NOT NULL,"
	  " sent_at {{INT}});"
	  "CREATE INDEX deliveries_due ON deliveries (next_at) WHERE state IN ('queued', 'sending');"
	  "CREATE INDEX deliveries_org ON deliveries (org_id, id);"
	  "CREATE TABLE inbox ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL,"
	  " advisory_id {{TEXT_C}} NOT NULL,"
	  " revision {{INT}} NOT NULL,"
	  " reason {{TEXT_C}} NOT NULL,"
	  " created_at {{INT}} NOT NULL,"
	  " UNIQUE (org_id, advisory_id, revision, reason));"
	  "CREATE TABLE inbox_reads ("
	  " inbox_id {{INT}} NOT NULL REFERENCES inbox(id) ON DELETE CASCADE,"
	  " user_id {{INT}} NOT NULL REFERENCES users(id),"
	  " read_at {{INT}} NOT NULL,"
	  " PRIMARY KEY (inbox_id, user_id));" },
	/* the claim reads due rows in (next_at, id) order: with next_at alone
	 * PostgreSQL sorted every due row of a national publish on each claim */
	{ "alerts/0102_outbox_due",
	  "DROP INDEX deliveries_due;"
	  "CREATE INDEX deliveries_due ON deliveries (next_at, id) WHERE state IN ('queued', 'sending');" },
	/* one row per advisory revision and reason queued: the first enqueue
	 * of one inserts its rows without ON CONFLICT (a third of the cost on
	 * PostgreSQL), a repeat falls back to it */
	{ "alerts/0103_outbox_enqueued",
	  "CREATE TABLE outbox_enqueued ("
	  " advisory_id {{TEXT_C}} NOT NULL,"
	  " revision {{INT}} NOT NULL,"
	  " reason {{TEXT_C}} NOT NULL,"
	  " at {{INT}} NOT NULL,"
	  " PRIMARY KEY (advisory_id, revision, reason));"
	  "INSERT INTO outbox_enqueued (advisory_id, revision, reason, at)"
	  " SELECT advisory_id, revision, reason, min(created_at) FROM inbox GROUP BY advisory_id, revision, reason;"
	  "INSERT INTO outbox_enqueued (advisory_id, revision, reason, at)"
	  " SELECT advisory_id, revision, reason, min(created_at) FROM deliveries WHERE 1 = 1 GROUP BY advisory_id, revision, reason"
	  " ON CONFLICT (advisory_id, revision, reason) DO NOTHING;" },
	/* the claim's sweep of deliveries whose worker kept dying: an index
	 * that is nearly always empty, instead of a scan of every delivery
	 * ever made on each claim (60 is OUTBOX_ATTEMPTS_MAX, and the sweep's
	 * SQL says 60 too, so that both databases can use the index) */
	{ "alerts/0104_outbox_stuck",
	  "CREATE INDEX deliveries_stuck ON deliveries (next_at) WHERE state = 'sending' AND attempts >= 60;" },
	{ NULL, NULL },
};

/* ---- enqueueing ---- */

/* Advisory ids and reasons go into idempotency keys and Message-IDs, so
 * they are held to the characters a dot-atom allows without quoting. */
static bool key_part_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

/* Whether the advisory is a high-severity alert (the only kind sent by SMS). */
static enum bw_err advisory_is_high(struct db *db, const char *advisory_id, bool *high, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "SELECT type FROM advisories WHERE id = ?1");
	db_bind_text(st, 1, advisory_id);
	int r = db_step(st);
	if (r == DB_ERR)
		return db_fail(db, err, "read advisory");
	*high = r == DB_ROW && db_col_text(st, 0) && strcmp(db_col_text(st, 0), "high_severity_alert") == 0;
	if (r == DB_ROW)
		db_reset(st);
	return BW_OK;
}

/* The key is <advisory>.r<revision>.<reason>.<organisation>.<contact>: the
 * contact fixes channel and recipient; the organisation is there because an
 * ICS contact hears about each of its members. */
#define ENQUEUE_SQL \
	"INSERT INTO deliveries (idem_key, advisory_id, revision, reason, org_id, contact_id, channel," \
	" recipient, state, attempts, next_at, created_at)" \
	" SELECT CAST(?2 AS TEXT) || '.r' || CAST(?3 AS TEXT) || '.' || CAST(?4 AS TEXT) || '.'" \
	"  || CAST(t.org_id AS TEXT) || '.' || CAST(c.id AS TEXT)," \
	"  ?2, ?5, ?4, t.org_id, c.id, c.kind, c.address, 'queued', 0, ?6, ?6" \
	" FROM advisory_targets t JOIN alert_contacts c ON c.org_id = t.org_id AND c.role = 'alerts'" \
	" WHERE t.advisory_id = ?1 AND (c.kind <> 'sms' OR ?7 = 1)"
#define INBOX_SQL \
	"INSERT INTO inbox (org_id, advisory_id, revision, reason, created_at)" \
	" SELECT t.org_id, ?2, ?3, ?4, ?5 FROM advisory_targets t WHERE t.advisory_id = ?1"

/* [first enqueue of this revision and reason][statement] */
static const char *const enqueue_sql[2] = { ENQUEUE_SQL " ON CONFLICT (idem_key) DO NOTHING", ENQUEUE_SQL };
static const char *const inbox_sql[2] = {
	INBOX_SQL " ON CONFLICT (org_id, advisory_id, revision, reason) DO NOTHING", INBOX_SQL
};

/* Whether this is the first time the revision is queued for this reason.
 * On PostgreSQL a concurrent enqueue of the same waits here for the first
 * to commit or roll back, so two never take the plain path together. */
static enum bw_err enqueue_first(struct db *db, const char *advisory_id, int revision, const char *reason,
				 int64_t now, bool *first, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "INSERT INTO outbox_enqueued (advisory_id, revision, reason, at)"
					 " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (advisory_id, revision, reason) DO NOTHING"
					 " RETURNING revision");
	db_bind_text(st, 1, advisory_id);
	db_bind_i64(st, 2, revision);
	db_bind_text(st, 3, reason);
	db_bind_i64(st, 4, now);
	int r = db_step(st);
	if (r == DB_ERR)
		return db_fail(db, err, "queue deliveries");
	*first = r == DB_ROW;
	if (r == DB_ROW && db_step(st) != DB_DONE)
		return db_fail(db, err, "queue deliveries");
	return BW_OK;
}

enum bw_err outbox_enqueue_advisory(struct db *db, const char *advisory_id, int revision,
				    const char *reason, struct bw_error *err)
{
	if (!key_part_ok(advisory_id, 64))
		return bw_fail(err, BW_EINVAL, "advisory_id", "advisory id must be 1-64 of A-Z a-z 0-9 - _");
	if (!key_part_ok(reason, 32))
		return bw_fail(err, BW_EINVAL, "reason", "reason must be 1-32 of A-Z a-z 0-9 - _");
	if (revision < 1)
		return bw_fail(err, BW_EINVAL, "revision", "revision must be 1 or more");
	bool high = false;
	if (advisory_is_high(db, advisory_id, &high, err) != BW_OK)
		return err->code;
	int64_t now = bw_now();
	char rev[24];
	snprintf(rev, sizeof rev, "%d", revision);
	/* the value is bound once per use: PostgreSQL types each parameter
	 * once, and a key part is text while the target column may not be */
	bool first = false;
	if (enqueue_first(db, advisory_id, revision, reason, now, &first, err) != BW_OK)
		return err->code;
	struct db_stmt *st = db_prep(db, enqueue_sql[first]);
	db_bind_text(st, 1, advisory_id);
	db_bind_text(st, 2, advisory_id);
	db_bind_text(st, 3, rev);
	db_bind_text(st, 4, reason);
	db_bind_i64(st, 5, revision);
	db_bind_i64(st, 6, now);
	db_bind_i64(st, 7, high);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "queue deliveries");
	st = db_prep(db, inbox_sql[first]);
	db_bind_text(st, 1, advisory_id);
	db_bind_text(st, 2, advisory_id);
	db_bind_i64(st, 3, revision);
	db_bind_text(st, 4, reason);
	db_bind_i64(st, 5, now);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "queue inbox notices");
	return db_job_enqueue(db, "outbox.send", "", 0, err);
}

static const char *const escalate_sql =
	"INSERT INTO deliveries (idem_key, advisory_id, revision, reason, org_id, contact_id, channel,"
	" recipient, state, attempts, next_at, created_at)"
	" SELECT CAST(?1 AS TEXT) || '.r' || CAST(?2 AS TEXT) || '.' || CAST(?3 AS TEXT) || '.'"
	"  || CAST(?4 AS TEXT) || '.' || CAST(c.id AS TEXT),"
	"  ?1, ?5, ?3, ?6, c.id, c.kind, c.address, 'queued', 0, ?7, ?7"
	" FROM alert_contacts c"
	" WHERE ((c.org_id = ?6 AND c.role = ?8) OR (c.org_id = ?9 AND c.role = 'alerts'))"
	"  AND (c.kind <> 'sms' OR ?10 = 1)"
	" ON CONFLICT (idem_key) DO NOTHING";

enum bw_err outbox_enqueue_escalation(struct db *db, const char *advisory_id, int64_t org_id,
				      int level, struct bw_error *err)
{
	if (!key_part_ok(advisory_id, 64))
		return bw_fail(err, BW_EINVAL, "advisory_id", "advisory id must be 1-64 of A-Z a-z 0-9 - _");
	if (level != 1 && level != 2)
		return bw_fail(err, BW_EINVAL, "level", "escalation level must be 1 or 2");
	bool high = false;
	if (advisory_is_high(db, advisory_id, &high, err) != BW_OK)
		return err->code;
	/* the revision the organisation was last told about */
	struct db_stmt *st = db_prep(db, "SELECT max(revision) FROM inbox WHERE advisory_id = ?1 AND org_id = ?2");
	db_bind_text(st, 1, advisory_id);
	db_bind_i64(st, 2, org_id);
	int r = db_step(st);
	if (r == DB_ERR)
		return db_fail(db, err, "escalate");
	int64_t revision = db_col_isnull(st, 0) ? 1 : db_col_i64(st, 0);
	db_reset(st);

	/* level 2 also tells the ICS: the nearest ancestor of type ics */
	int64_t ics = 0;
	if (level == 2) {
		int64_t cur = org_id;
		for (int depth = 0; depth < 16 && cur; depth++) {
			st = db_prep(db, "SELECT parent_id, type FROM orgs WHERE id = ?1");
			db_bind_i64(st, 1, cur);
			if ((r = db_step(st)) == DB_ERR)
				return db_fail(db, err, "escalate");
			if (r == DB_DONE)
				break;
			bool is_ics = depth > 0 && db_col_text(st, 1) && strcmp(db_col_text(st, 1), "ics") == 0;
			int64_t parent = db_col_isnull(st, 0) ? 0 : db_col_i64(st, 0);
			db_reset(st);
			if (is_ics) {
				ics = cur;
				break;
			}
			cur = parent;
		}
	}
	int64_t now = bw_now();
	char rev[24], reason[32], org[24];
	snprintf(rev, sizeof rev, "%lld", (long long)revision);
	snprintf(reason, sizeof reason, "esc%d-d%lld", level, (long long)(now / 86400));
	snprintf(org, sizeof org, "%lld", (long long)org_id);
	st = db_prep(db, escalate_sql);
	db_bind_text(st, 1, advisory_id);
	db_bind_text(st, 2, rev);
	db_bind_text(st, 3, reason);
	db_bind_text(st, 4, org);
	db_bind_i64(st, 5, revision);
	db_bind_i64(st, 6, org_id);
	db_bind_i64(st, 7, now);
	db_bind_text(st, 8, level == 1 ? "alerts" : "siro");
	db_bind_i64(st, 9, ics);
	db_bind_i64(st, 10, high);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "queue escalation");
	st = db_prep(db, "INSERT INTO inbox (org_id, advisory_id, revision, reason, created_at)"
			 " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (org_id, advisory_id, revision, reason) DO NOTHING");
	db_bind_i64(st, 1, org_id);
	db_bind_text(st, 2, advisory_id);
	db_bind_i64(st, 3, revision);
	db_bind_text(st, 4, reason);
	db_bind_i64(st, 5, now);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "queue escalation notice");
	return db_job_enqueue(db, "outbox.send", "", 0, err);
}

/* ---- claiming and finishing ---- */

int64_t outbox_backoff(int64_t attempts, uint32_t rnd)
{
	int64_t d = OUTBOX_BACKOFF_BASE;
	for (int64_t i = 1; i < attempts && d < OUTBOX_BACKOFF_CAP; i++)
		d *= 2;
	if (d > OUTBOX_BACKOFF_CAP)
		d = OUTBOX_BACKOFF_CAP;
	int64_t half = d / 2;
	return d - half + (int64_t)(rnd % (uint32_t)(half + 1));
}

#define CLAIM_WHERE \
	" state IN ('queued', 'sending') AND next_at <= ?1" \
	" AND ((channel = 'email' AND ?3 = 1) OR (channel = 'sms' AND ?4 = 1) OR (channel = 'webhook' AND ?5 = 1))"

static const char *const claim_sqlite =
	"UPDATE deliveries SET state = 'sending', attempts = attempts + 1, next_at = ?2"
	" WHERE id IN (SELECT id FROM deliveries WHERE" CLAIM_WHERE " ORDER BY next_at, id LIMIT ?6)"
	" RETURNING id, idem_key, channel, recipient, advisory_id, revision, reason, org_id, contact_id, attempts";

/* PostgreSQL can join the claimed rows to their organisation in the same
 * statement (one round trip instead of one per delivery); SQLite cannot
 * use RETURNING in a WITH clause, and reads each organisation after. */
static const char *const claim_pg =
	"WITH c AS (UPDATE deliveries SET state = 'sending', attempts = attempts + 1, next_at = ?2"
	" WHERE id IN (SELECT id FROM deliveries WHERE" CLAIM_WHERE " ORDER BY next_at, id LIMIT ?6"
	"  FOR UPDATE SKIP LOCKED)"
	" RETURNING id, idem_key, channel, recipient, advisory_id, revision, reason, org_id, contact_id, attempts)"
	" SELECT c.id, c.idem_key, c.channel, c.recipient, c.advisory_id, c.revision, c.reason, c.org_id, c.contact_id,"
	"  c.attempts, coalesce(o.code, ''), coalesce(o.name, '')"
	" FROM c LEFT JOIN orgs o ON o.id = c.org_id ORDER BY c.id";

struct claim {
	int max, lease;
	unsigned channels;
	struct arena *arena;
	struct outbox_item *items;
	size_t n;
};

static enum outbox_channel channel_of(const char *s)
{
	if (s && strcmp(s, "sms") == 0)
		return OUTBOX_SMS;
	if (s && strcmp(s, "webhook") == 0)
		return OUTBOX_WEBHOOK;
	return OUTBOX_EMAIL;
}

static const char *dup(struct arena *a, const char *s)
{
	return arena_strdup(a, s ? s : "");
}

static enum bw_err claim_run(struct db *db, void *arg, struct bw_error *err)
{
	struct claim *c = arg;
	int64_t now = bw_now();
	c->n = 0;
	/* a delivery whose worker keeps dying must not stay in the queue
	 * forever; the condition is written as deliveries_stuck's, literally */
	_Static_assert(OUTBOX_ATTEMPTS_MAX == 60, "deliveries_stuck and the sweep below say 60");
	struct db_stmt *st = db_prep(db,
		"UPDATE deliveries SET state = 'failed', last_error = 'lease expired too many times'"
		" WHERE state = 'sending' AND attempts >= 60 AND next_at <= ?1");
	db_bind_i64(st, 1, now);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "claim deliveries");
	st = db_prep(db, db_kind(db) == DB_SQLITE ? claim_sqlite : claim_pg);
	db_bind_i64(st, 1, now);
	db_bind_i64(st, 2, now + c->lease);
	db_bind_i64(st, 3, (c->channels & OUTBOX_EMAIL) != 0);
	db_bind_i64(st, 4, (c->channels & OUTBOX_SMS) != 0);
	db_bind_i64(st, 5, (c->channels & OUTBOX_WEBHOOK) != 0);
	db_bind_i64(st, 6, c->max);
	int r;
	while ((r = db_step(st)) == DB_ROW) {
		if (c->n == (size_t)c->max)
			continue;   /* cannot happen (LIMIT); finish the statement anyway */
		struct outbox_item *it = &c->items[c->n++];
		memset(it, 0, sizeof *it);
		it->id = db_col_i64(st, 0);
		it->key = dup(c->arena, db_col_text(st, 1));
		it->channel = channel_of(db_col_text(st, 2));
		it->recipient = dup(c->arena, db_col_text(st, 3));
		it->advisory_id = dup(c->arena, db_col_text(st, 4));
		it->revision = db_col_i64(st, 5);
		it->reason = dup(c->arena, db_col_text(st, 6));
		it->org_id = db_col_i64(st, 7);
		it->contact_id = db_col_isnull(st, 8) ? 0 : db_col_i64(st, 8);
		it->attempts = db_col_i64(st, 9);
		if (db_kind(db) == DB_POSTGRES) {
			it->org_code = dup(c->arena, db_col_text(st, 10));
			it->org_name = dup(c->arena, db_col_text(st, 11));
		}
	}
	if (r == DB_ERR)
		return db_fail(db, err, "claim deliveries");
	return BW_OK;
}

enum bw_err outbox_claim(struct db *db, int max, int lease_s, unsigned channels, struct arena *arena,
			 struct outbox_item **items, size_t *n, struct bw_error *err)
{
	*items = NULL;
	*n = 0;
	if (max < 1 || max > 10000)
		return bw_fail(err, BW_EINVAL, "max", "claim 1 to 10000 deliveries at a time");
	if (lease_s < 1)
		return bw_fail(err, BW_EINVAL, "lease", "lease must be at least 1 s");
	struct claim c = { max, lease_s, channels, arena, arena_alloc(arena, (size_t)max * sizeof(struct outbox_item)), 0 };
	enum bw_err rc = db_kind(db) == DB_SQLITE ? db_tx(db, true, claim_run, &c, err)
						  : db_tx_locking(db, claim_run, &c, err);
	if (rc != BW_OK)
		return rc;
	*items = c.items;
	*n = c.n;
	return BW_OK;
}

enum bw_err outbox_finish(struct db *db, const struct outbox_item *it, struct bw_error *err)
{
	int64_t now = bw_now();
	struct db_stmt *st;
	/* attempts = ?: only the claim that still holds the row may finish it */
	if (it->ok) {
		st = db_prep(db, "UPDATE deliveries SET state = 'sent', sent_at = ?2, last_error = NULL"
				 " WHERE id = ?1 AND state = 'sending' AND attempts = ?3");
		db_bind_i64(st, 1, it->id);
		db_bind_i64(st, 2, now);
		db_bind_i64(st, 3, it->attempts);
	} else {
		bool final = it->permanent || it->attempts >= OUTBOX_ATTEMPTS_MAX;
		uint32_t rnd;
		bw_random(&rnd, sizeof rnd);
		st = db_prep(db, "UPDATE deliveries SET state = ?2, next_at = ?3, last_error = ?4"
				 " WHERE id = ?1 AND state = 'sending' AND attempts = ?5");
		db_bind_i64(st, 1, it->id);
		db_bind_text(st, 2, final ? "failed" : "queued");
		db_bind_i64(st, 3, final ? now : now + outbox_backoff(it->attempts, rnd));
		db_bind_text(st, 4, it->error[0] ? it->error : "failed");
		db_bind_i64(st, 5, it->attempts);
	}
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "record delivery");
	return BW_OK;
}

/* ---- the message each item carries ---- */

struct msg_cache {
	const char *advisory_id;
	int64_t revision;
	const char *title, *summary, *type, *severity;
};

/* Reads the advisory revision's words once per batch (deliveries of one
 * publish arrive together). An advisory that cannot be read still goes out
 * with its id as the title: people must hear that something was issued. */
static void load_message(struct db *db, struct arena *a, struct msg_cache *mc, struct outbox_item *it)
{
	if (!mc->advisory_id || strcmp(mc->advisory_id, it->advisory_id) != 0 || mc->revision != it->revision) {
		mc->advisory_id = it->advisory_id;
		mc->revision = it->revision;
		mc->title = it->advisory_id;
		mc->summary = "";
		mc->type = "alert";
		mc->severity = "";
		const char *v[AF_NFIELDS];
		if (alerts_revision_get(db, a, it->advisory_id, (int)it->revision, v, NULL, NULL) == BW_OK) {
			mc->title = v[AF_TITLE];
			mc->summary = v[AF_SUMMARY];
			mc->type = v[AF_TYPE];
			mc->severity = v[AF_SEVERITY];
		}
	}
	it->title = mc->title;
	it->summary = mc->summary;
	it->type = mc->type;
	it->severity = mc->severity;
	const struct outbox_config *cfg = outbox_config();
	it->link = arena_printf(a, "%s/advisories/%s", cfg->public_url, it->advisory_id);

	struct db_stmt *st;
	if (!it->org_code) {   /* not read with the claim (SQLite) */
		st = db_prep(db, "SELECT code, name FROM orgs WHERE id = ?1");
		db_bind_i64(st, 1, it->org_id);
		if (db_step(st) == DB_ROW) {
			it->org_code = dup(a, db_col_text(st, 0));
			it->org_name = dup(a, db_col_text(st, 1));
			db_reset(st);
		} else {
			it->org_code = it->org_name = "";
		}
	}
	it->secret = NULL;
	if (it->channel == OUTBOX_WEBHOOK && it->contact_id) {
		st = db_prep(db, "SELECT secret FROM alert_contacts WHERE id = ?1");
		db_bind_i64(st, 1, it->contact_id);
		if (db_step(st) == DB_ROW) {
			it->secret = db_col_text(st, 0) ? dup(a, db_col_text(st, 0)) : NULL;
			db_reset(st);
		}
	}
}

/* ---- sending ---- */

struct record_ctx {
	struct db *db;
	struct bw_error *err;
	int done;
	bool failed;
};

/* The outcome of one e-mail, committed before the next may be accepted. */
static bool record_one(struct outbox_item *it, void *arg)
{
	struct record_ctx *r = arg;
	if (outbox_finish(r->db, it, r->err) != BW_OK) {
		r->failed = true;
		return false;
	}
	r->done++;
	return true;
}

static int send_batch(struct db *db, int max, unsigned channels, struct bw_error *err);

int outbox_send_due(struct db *db, int max, struct bw_error *err)
{
	const struct outbox_config *cfg = outbox_config();
	unsigned channels = OUTBOX_WEBHOOK;
	if (cfg->smtp_url[0])
		channels |= OUTBOX_EMAIL;
	if (cfg->notify_key[0] && cfg->notify_template[0])
		channels |= OUTBOX_SMS;
	if (max < 1)
		return 0;
	/* On PostgreSQL the claims and outcomes of this batch do not wait for
	 * the server's disk: a crash of this process loses none of them (the
	 * server has them), and a crash of the server can lose only the last
	 * few hundred milliseconds of them, which brings those rows back to an
	 * earlier state: sent again under the same key, never lost. Waiting for
	 * the disk on every mark would cap delivery at the disk's flush rate. */
	bool pg = db_kind(db) == DB_POSTGRES;
	if (pg && db_exec(db, "SET synchronous_commit = off", err) != BW_OK)
		return -1;
	int rc = send_batch(db, max, channels, err);
	if (pg) {
		struct bw_error e2 = { 0 };
		if (db_exec(db, "RESET synchronous_commit", &e2) != BW_OK && rc >= 0) {
			*err = e2;
			rc = -1;
		}
	}
	return rc;
}

/* One claimed batch: webhooks and texts one by one, e-mails together. */
static int send_batch(struct db *db, int max, unsigned channels, struct bw_error *err)
{
	const struct outbox_config *cfg = outbox_config();
	struct arena a;
	arena_init(&a);
	struct outbox_item *items;
	size_t n;
	if (outbox_claim(db, max < OUTBOX_BATCH ? max : OUTBOX_BATCH, OUTBOX_LEASE_S, channels, &a, &items, &n,
			 err) != BW_OK) {
		arena_free(&a);
		return -1;
	}
	struct outbox_http *http = NULL;
	struct msg_cache mc = { 0 };
	struct record_ctx rec = { db, err, 0, false };
	struct outbox_item **mail = arena_alloc(&a, (n ? n : 1) * sizeof *mail);
	size_t nmail = 0;
	for (size_t i = 0; i < n && !rec.failed; i++) {
		struct outbox_item *it = &items[i];
		load_message(db, &a, &mc, it);
		switch (it->channel) {
		case OUTBOX_EMAIL:
			mail[nmail++] = it;   /* sent together below */
			continue;
		case OUTBOX_WEBHOOK:
			if (!it->secret) {
				it->permanent = true;
				snprintf(it->error, sizeof it->error, "the webhook contact was removed");
				break;
			}
			if (!http)
				http = outbox_http_open();
			outbox_webhook_send(http, it);
			break;
		case OUTBOX_SMS:
			if (!http)
				http = outbox_http_open();
			outbox_notify_send(http, cfg, it);
			break;
		}
		/* the lease brings the rest back after a failure; nothing is lost */
		record_one(it, &rec);
	}
	if (http)
		outbox_http_close(http);
	if (nmail && !rec.failed) {
		struct outbox_smtp *smtp = outbox_smtp_open(cfg);
		outbox_smtp_send_batch(smtp, mail, nmail, record_one, &rec);
		outbox_smtp_close(smtp);
	}
	arena_free(&a);
	return rec.failed ? -1 : rec.done;
}

/* The job: batches until nothing is due or a time budget is spent (so a
 * stopping worker is not held up long), then, if work is left, queues its
 * own successor so sending goes on at once, in whichever worker is free.
 * Two runs at once are harmless: each delivery is claimed under its own
 * lease. A database failure is passing: retried later. */
static enum bw_err job_send(struct db *db, const struct db_job *job, struct bw_error *err)
{
	(void)job;
	int64_t start = bw_now_ms();
	for (;;) {
		int n = outbox_send_due(db, OUTBOX_BATCH, err);
		if (n < 0)
			return BW_EDB;
		if (n == 0)
			return BW_OK;
		if (bw_now_ms() - start > 10000)
			return db_job_enqueue(db, "outbox.send", "", 0, err) == BW_OK ? BW_OK : BW_EDB;
	}
}

const struct worker_kind outbox_worker_kinds[] = {
	{ "outbox.send", job_send, 60, 5 },
	{ NULL, NULL, 0, 0 },
};

/* ---- configuration, read in one place ---- */

static struct outbox_config config;
static bool config_loaded;

static void env_copy(char *out, size_t n, const char *name, const char *dflt)
{
	const char *v = getenv(name);
	snprintf(out, n, "%s", v && *v ? v : dflt);
}

void outbox_config_from_env(struct outbox_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	env_copy(cfg->smtp_url, sizeof cfg->smtp_url, "BULWARK_SMTP_URL", "");
	env_copy(cfg->mail_from, sizeof cfg->mail_from, "BULWARK_MAIL_FROM", "alerts@bulwark.invalid");
	env_copy(cfg->public_url, sizeof cfg->public_url, "BULWARK_PUBLIC_URL", "http://localhost:8080");
	env_copy(cfg->notify_url, sizeof cfg->notify_url, "BULWARK_NOTIFY_URL",
		 "https://api.notifications.service.gov.uk");
	env_copy(cfg->notify_key, sizeof cfg->notify_key, "BULWARK_NOTIFY_KEY", "");
	env_copy(cfg->notify_template, sizeof cfg->notify_template, "BULWARK_NOTIFY_TEMPLATE", "");
	size_t n = strlen(cfg->public_url);
	while (n > 0 && cfg->public_url[n - 1] == '/')
		cfg->public_url[--n] = '\0';
	/* Message-IDs end in the sender's domain */
	const char *at = strrchr(cfg->mail_from, '@');
	snprintf(cfg->mail_host, sizeof cfg->mail_host, "%s", at && at[1] ? at + 1 : "bulwark.invalid");
	for (char *p = cfg->mail_host; *p; p++)
		if (*p == '>' || *p == ' ')
			*p = '\0';
}

const struct outbox_config *outbox_config(void)
{
	/* set before worker threads start (serve, worker, tests) */
	if (!config_loaded) {
		outbox_config_from_env(&config);
		config_loaded = true;
	}
	return &config;
}

void outbox_config_set(const struct outbox_config *cfg)
{
	config = *cfg;
	config_loaded = true;
}

/* ---- inbox ---- */

enum bw_err outbox_inbox_list(struct db *db, int64_t org_id, int64_t user_id, int max, struct arena *arena,
			      struct outbox_notice **out, size_t *n, struct bw_error *err)
{
	*out = NULL;
	*n = 0;
	if (max < 1 || max > LIM_PAGE_SIZE)
		max = LIM_PAGE_SIZE;
	struct outbox_notice *v = arena_alloc(arena, (size_t)max * sizeof *v);
	struct db_stmt *st = db_prep(db,
		"SELECT i.id, i.advisory_id, i.revision, i.reason, i.created_at,"
		" EXISTS (SELECT 1 FROM inbox_reads r WHERE r.inbox_id = i.id AND r.user_id = ?2)"
		" FROM inbox i WHERE i.org_id = ?1 ORDER BY i.created_at DESC, i.id DESC LIMIT ?3");
	db_bind_i64(st, 1, org_id);
	db_bind_i64(st, 2, user_id);
	db_bind_i64(st, 3, max);
	int r;
	size_t k = 0;
	while ((r = db_step(st)) == DB_ROW && k < (size_t)max) {
		v[k].id = db_col_i64(st, 0);
		v[k].advisory_id = dup(arena, db_col_text(st, 1));
		v[k].revision = db_col_i64(st, 2);
		v[k].reason = dup(arena, db_col_text(st, 3));
		v[k].created_at = db_col_i64(st, 4);
		v[k].read = db_col_i64(st, 5) != 0;
		k++;
	}
	if (r == DB_ERR)
		return db_fail(db, err, "read inbox");
	*out = v;
	*n = k;
	return BW_OK;
}

enum bw_err outbox_inbox_mark_read(struct db *db, int64_t notice_id, int64_t user_id, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "INSERT INTO inbox_reads (inbox_id, user_id, read_at) VALUES (?1, ?2, ?3)"
					 " ON CONFLICT (inbox_id, user_id) DO NOTHING");
	db_bind_i64(st, 1, notice_id);
	db_bind_i64(st, 2, user_id);
	db_bind_i64(st, 3, bw_now());
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "mark notice read");
	return BW_OK;
}

int64_t outbox_inbox_unread(struct db *db, int64_t org_id, int64_t user_id)
{
	struct db_stmt *st = db_prep(db,
		"SELECT count(*) FROM inbox i WHERE i.org_id = ?1"
		" AND NOT EXISTS (SELECT 1 FROM inbox_reads r WHERE r.inbox_id = i.id AND r.user_id = ?2)");
	db_bind_i64(st, 1, org_id);
	db_bind_i64(st, 2, user_id);
	if (db_step(st) != DB_ROW)
		return 0;
	int64_t v = db_col_i64(st, 0);
	db_reset(st);
	return v;
}

void outbox_register(void)
{
	/* read before any worker thread starts */
	outbox_config();
	outbox_curl_init();
	app_add_params(contacts_params);
	app_add_routes(contacts_routes);
	worker_add_kinds(outbox_worker_kinds);
}

/*
 * outbox: how advisories reach people. Each organisation's alert contacts
 * (e-mail, SMS, webhook; role 'alerts' or 'siro'), the persistent outbox of
 * deliveries with idempotency keys, leases, retries and back-off, the three
 * channels (SMTP with libcurl, signed JSON webhooks, GOV.UK Notify SMS) and
 * the in-app inbox. Part of the alerts module; depends on base, db, web,
 * orgs, audit and app (pages, worker kinds).
 *
 * Exactly once, nothing lost: publishing inserts one delivery row per
 * (advisory revision, organisation, channel, recipient) in the publisher's
 * transaction with INSERT ... SELECT; a worker claims due rows with a lease,
 * sends each with its idempotency key (Message-ID, Idempotency-Key header,
 * Notify reference) and marks it sent at once (e-mails go over a few
 * connections at once, but only one at a time may pass the point where the
 * server accepts it before the previous one is marked). The one window no
 * sender can close is a crash after the receiver accepted and before the
 * mark: the message is sent again with the same key, so the receiver can
 * drop it.
 */
#ifndef BW_ALERTS_OUTBOX_H
#define BW_ALERTS_OUTBOX_H

#include "app/app.h"
#include "app/worker.h"

/* alert_contacts, deliveries, inbox, inbox_reads (after orgs_migrations) */
extern const struct db_migration outbox_migrations[];
/* /orgs/{org}/alert-contacts pages and /api/v1/orgs/{org}/alert-contacts */
extern const struct route contacts_routes[];
extern const struct route_param contacts_params[];
/* "outbox.send": every few seconds, and at once after a publish */
extern const struct worker_kind outbox_worker_kinds[];
/* Adds the routes, parameters and worker kinds above. */
void outbox_register(void);

#define OUTBOX_ADDRESS_MAX   254      /* e-mail, E.164 number or URL */
#define OUTBOX_URL_MAX       2000
#define OUTBOX_CONTACTS_MAX  50       /* per organisation */
#define OUTBOX_ATTEMPTS_MAX  60       /* about a day at the back-off cap */
#define OUTBOX_BACKOFF_BASE  10       /* seconds before the first retry */
#define OUTBOX_BACKOFF_CAP   1800
#define OUTBOX_LEASE_S       120      /* a claimed batch must be sent within */
#define OUTBOX_BATCH         200
#define OUTBOX_SMTP_CONNS    4        /* connections a batch of e-mails uses at once */

/* ---- enqueueing (inside the caller's transaction) ---- */

/*
 * Queues the advisory revision for every targeted organisation: one
 * delivery per alert contact of role 'alerts' (SMS only when advisories.type
 * is 'high_severity_alert') and one inbox notice per organisation, both
 * with INSERT ... SELECT from advisory_targets. reason: "publish",
 * "revision", ... ([a-z0-9_-], at most 32). Running it again for the same
 * revision and reason adds nothing. Also queues an "outbox.send" job.
 */
enum bw_err outbox_enqueue_advisory(struct db *db, const char *advisory_id, int revision,
				    const char *reason, struct bw_error *err);
/*
 * An overdue organisation: level 1 queues its 'alerts' contacts again;
 * level 2 its 'siro' contacts and the alert contacts of its ICS (the
 * nearest ancestor of type ics). The key carries the UTC day, so a job that
 * runs twice sends once while a later escalation is sent again.
 */
enum bw_err outbox_enqueue_escalation(struct db *db, const char *advisory_id, int64_t org_id,
				      int level, struct bw_error *err);

/* ---- sending ---- */

/* Where deliveries go; read once from the environment (outbox_config). */
struct outbox_config {
	char smtp_url[OUTBOX_URL_MAX + 1];    /* BULWARK_SMTP_URL  smtp://host:port */
	char mail_from[LIM_EMAIL + 1];        /* BULWARK_MAIL_FROM */
	char mail_host[256];                  /* right of the @ in Message-IDs */
	char public_url[OUTBOX_URL_MAX + 1];  /* BULWARK_PUBLIC_URL for links */
	char notify_url[OUTBOX_URL_MAX + 1];  /* BULWARK_NOTIFY_URL (API base) */
	char notify_key[256];                 /* BULWARK_NOTIFY_KEY name-service-secret */
	char notify_template[64];             /* BULWARK_NOTIFY_TEMPLATE (uuid) */
};
/* The configuration, read from the environment on first use. */
const struct outbox_config *outbox_config(void);
/* Replaces it (tests, and `serve` options). */
void outbox_config_set(const struct outbox_config *cfg);
/* Fills cfg from the environment (defaults for what is unset). */
void outbox_config_from_env(struct outbox_config *cfg);

enum outbox_channel { OUTBOX_EMAIL = 1, OUTBOX_SMS = 2, OUTBOX_WEBHOOK = 4 };

/* One claimed delivery, with the message it carries. */
struct outbox_item {
	int64_t id, org_id, revision, attempts, contact_id;
	enum outbox_channel channel;
	const char *key, *recipient, *secret, *advisory_id, *reason;
	const char *org_code, *org_name;
	/* the message, from the advisory (fallbacks when it has gone) */
	const char *title, *summary, *type, *severity, *link;
	/* the outcome the sender sets */
	bool ok, permanent;
	char error[256];
};

/*
 * Claims up to max due deliveries of the given channels (a mask) for
 * lease_s seconds: queued rows whose next_at has come, and sending rows
 * whose lease ran out (their worker died). PostgreSQL: FOR UPDATE SKIP
 * LOCKED; SQLite: under the write lock. Items live in arena.
 */
enum bw_err outbox_claim(struct db *db, int max, int lease_s, unsigned channels, struct arena *arena,
			 struct outbox_item **items, size_t *n, struct bw_error *err);
/* Records one outcome at once (so a crash re-sends at most the message in
 * flight): sent; or a retry after outbox_backoff(); or failed for good when
 * permanent or out of attempts. */
enum bw_err outbox_finish(struct db *db, const struct outbox_item *it, struct bw_error *err);
/* Seconds to wait after the attempts-th failed attempt: exponential from
 * OUTBOX_BACKOFF_BASE, capped at OUTBOX_BACKOFF_CAP, with "equal jitter"
 * (half fixed, half drawn from rnd) so a fleet of retries spreads out. */
int64_t outbox_backoff(int64_t attempts, uint32_t rnd);

/* Claims and sends due deliveries, at most max; returns how many were
 * attempted, or -1 with err filled when the database failed. Channels that
 * are not configured stay queued. */
int outbox_send_due(struct db *db, int max, struct bw_error *err);

/* ---- channels (deliver_*.c): each sets it->ok / permanent / error ---- */
/* libcurl's global set-up, once per process (thread-safe). */
void outbox_curl_init(void);
struct outbox_smtp;       /* a few SMTP connections kept across a batch */
struct outbox_smtp *outbox_smtp_open(const struct outbox_config *cfg);
void outbox_smtp_close(struct outbox_smtp *s);
/*
 * Sends the e-mail items over up to OUTBOX_SMTP_CONNS connections at once
 * and calls record(it, arg) with each outcome as it is known. A message is
 * let past the end of its body (where the server accepts it) only after the
 * previous accepted message's record() has returned, so record() must make
 * the outcome durable: then at most one accepted message is ever unrecorded.
 * Stops when record() returns false (the rest stay claimed); false then.
 */
bool outbox_smtp_send_batch(struct outbox_smtp *s, struct outbox_item **items, size_t n,
			    bool (*record)(struct outbox_item *it, void *arg), void *arg);
/* The RFC 5322 message for an item (exposed for tests). */
void outbox_mail_render(const struct outbox_config *cfg, const struct outbox_item *it, int64_t now,
			struct buf *out);

struct outbox_http;       /* one HTTP handle (keep-alive) across a batch */
struct outbox_http *outbox_http_open(void);
void outbox_http_close(struct outbox_http *h);
struct curl_slist;
/* POSTs body with headers and sets it's outcome from the answer; false when
 * no answer came (connection refused, time-out): retried. */
bool outbox_http_post(struct outbox_http *h, const char *url, struct curl_slist *headers, const char *body,
		      size_t n, struct outbox_item *it);
void outbox_webhook_send(struct outbox_http *h, struct outbox_item *it);
void outbox_notify_send(struct outbox_http *h, const struct outbox_config *cfg, struct outbox_item *it);
/* "sha256=<hex>" of HMAC-SHA256(body) under the secret. */
void outbox_webhook_signature(const char *secret, const char *body, size_t n, char out[72]);
/* The JSON body of a webhook delivery. */
void outbox_webhook_body(const struct outbox_item *it, struct buf *out);
/* The Notify bearer token for key at time now; false for a malformed key. */
bool outbox_notify_jwt(const char *key, int64_t now, struct buf *out);
/* How a channel's HTTP status is taken: 2xx ok; 408, 429 and 5xx retried;
 * other 4xx permanent. */
void outbox_http_outcome(struct outbox_item *it, long status);

/* ---- alert contacts (contacts.c) ---- */
/* Checks an address for its kind ("email", "sms": E.164, "webhook": https,
 * or http to 127.0.0.1 / localhost in test builds); field names the input. */
enum bw_err outbox_contact_check(const char *kind, const char *address, struct bw_error *err);
/* Adds a contact (audited). A webhook gets a new secret, copied into
 * secret_out (65 bytes) to be shown once. */
enum bw_err outbox_contact_add(struct db *db, const struct actor *by, int64_t org_id, const char *kind,
			       const char *address, const char *role, const char *name, int64_t *id_out,
			       char *secret_out, struct bw_error *err);
enum bw_err outbox_contact_remove(struct db *db, const struct actor *by, int64_t contact_id,
				  struct bw_error *err);
/* Alert contacts for the demo estate already in the database (inside the
 * caller's transaction or not; deterministic). */
enum bw_err outbox_demo_seed(struct db *db, struct bw_error *err);

/* ---- inbox ---- */
struct outbox_notice {
	int64_t id, revision, created_at;
	const char *advisory_id, *reason;
	bool read;
};
/* The newest notices of an organisation (at most max), with the user's read
 * marker; items live in arena. */
enum bw_err outbox_inbox_list(struct db *db, int64_t org_id, int64_t user_id, int max, struct arena *arena,
			      struct outbox_notice **out, size_t *n, struct bw_error *err);
enum bw_err outbox_inbox_mark_read(struct db *db, int64_t notice_id, int64_t user_id, struct bw_error *err);
int64_t outbox_inbox_unread(struct db *db, int64_t org_id, int64_t user_id);

#endif

/*
 * contacts: an organisation's alert contacts — who hears about advisories
 * and how: e-mail addresses, mobile numbers (E.164, for high-severity
 * alerts by SMS) and webhook URLs (each with its own signing secret, shown
 * once). Role 'alerts' receives every advisory; role 'siro' receives the
 * second escalation. Every change is audited in its own transaction. Also
 * the route parameter {contact} and the demo seed.
 */
#include <stdio.h>
#include <string.h>

#include "alerts/outbox.h"

static bool webhook_url_ok(const char *u)
{
	if (strncmp(u, "https://", 8) == 0)
		return u[8] && u[8] != '/' && u[8] != ':' && u[8] != '@';
#ifdef BW_TEST_BUILD
	/* the tests' local receivers; a production build never posts to
	 * plain http (nor, this way, to services on its own loopback) */
	static const char *const local[] = { "http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:",
					     "http://localhost/" };
	for (size_t i = 0; i < BW_NELEM(local); i++)
		if (strncmp(u, local[i], strlen(local[i])) == 0)
			return true;
#endif
	return false;
}

enum bw_err outbox_contact_check(const char *kind, const char *address, struct bw_error *err)
{
	if (!kind || (strcmp(kind, "email") != 0 && strcmp(kind, "sms") != 0 && strcmp(kind, "webhook") != 0))
		return bw_fail(err, BW_EINVAL, "kind", "Select how the contact is reached");
	if (!address || !*address)
		return bw_fail(err, BW_EINVAL, "address", "Enter the %s",
			       strcmp(kind, "email") == 0 ? "e-mail address" :
			       strcmp(kind, "sms") == 0 ? "mobile phone number" : "webhook URL");
	size_t n = strlen(address);
	if (strcmp(kind, "email") == 0) {
		if (orgs_check_email(address, err) != BW_OK) {
			snprintf(err->field, sizeof err->field, "address");
			return BW_EINVAL;
		}
		return BW_OK;
	}
	if (strcmp(kind, "sms") == 0) {
		/* E.164: + then up to 15 digits, the first not 0 */
		bool ok = n >= 9 && n <= 16 && address[0] == '+' && address[1] >= '1' && address[1] <= '9';
		for (size_t i = 1; ok && i < n; i++)
			ok = address[i] >= '0' && address[i] <= '9';
		if (!ok)
			return bw_fail(err, BW_EINVAL, "address",
				       "Enter the mobile phone number in international format, like +447700900123");
		return BW_OK;
	}
	bool ok = n <= OUTBOX_ADDRESS_MAX;
	for (size_t i = 0; ok && i < n; i++)
		ok = address[i] > ' ' && address[i] < 0x7f;
	if (!ok || !webhook_url_ok(address))
		return bw_fail(err, BW_EINVAL, "address",
			       "Enter a webhook URL that starts with https://, without spaces, at most %d characters",
			       OUTBOX_ADDRESS_MAX);
	return BW_OK;
}

static const char *who(const struct actor *a)
{
	return a->user_id ? a->email : "cli";
}

struct add {
	const struct actor *by;
	int64_t org_id;
	const char *kind, *address, *role, *name;
	char secret[65];
	int64_t id;
};

static enum bw_err add_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct add *a = arg;
	struct db_stmt *st = db_prep(db, "SELECT count(*) FROM alert_contacts WHERE org_id = ?1");
	db_bind_i64(st, 1, a->org_id);
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "add contact");
	int64_t have = db_col_i64(st, 0);
	db_reset(st);
	if (have >= OUTBOX_CONTACTS_MAX)
		return bw_fail(err, BW_ELIMIT, "address", "An organisation can have at most %d alert contacts",
			       OUTBOX_CONTACTS_MAX);
	st = db_prep(db, "INSERT INTO alert_contacts (org_id, kind, address, secret, role, name, created_by, created_at)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id");
	db_bind_i64(st, 1, a->org_id);
	db_bind_text(st, 2, a->kind);
	db_bind_text(st, 3, a->address);
	db_bind_text(st, 4, a->secret[0] ? a->secret : NULL);
	db_bind_text(st, 5, a->role);
	db_bind_text(st, 6, a->name);
	db_bind_i64(st, 7, a->by->user_id);
	db_bind_i64(st, 8, bw_now());
	if (db_step(st) != DB_ROW) {
		if (db_errcode(db) == BW_ECONFLICT)
			return bw_fail(err, BW_ECONFLICT, "address", "This contact is already on the list");
		return db_fail(db, err, "add contact");
	}
	a->id = db_col_i64(st, 0);
	db_reset(st);
	char object[48], summary[OUTBOX_ADDRESS_MAX + 96];
	snprintf(object, sizeof object, "alert_contact:%lld", (long long)a->id);
	snprintf(summary, sizeof summary, "Added %s alert contact (%s) %s", a->kind, a->role, a->address);
	struct audit_rec r = { a->by->user_id, who(a->by), a->org_id, "alert_contact.add", object, summary };
	return audit_append(db, &r, err);
}

enum bw_err outbox_contact_add(struct db *db, const struct actor *by, int64_t org_id, const char *kind,
			       const char *address, const char *role, const char *name, int64_t *id_out,
			       char *secret_out, struct bw_error *err)
{
	if (outbox_contact_check(kind, address, err) != BW_OK)
		return err->code;
	if (!role || !*role)
		role = "alerts";
	if (strcmp(role, "alerts") != 0 && strcmp(role, "siro") != 0)
		return bw_fail(err, BW_EINVAL, "role", "Select what the contact receives");
	if (name && web_valid_text("name", "Name", name, 0, LIM_NAME, err) != BW_OK)
		return err->code;
	struct add a = { by, org_id, kind, address, role, name ? name : "", "", 0 };
	if (strcmp(kind, "webhook") == 0) {
		uint8_t raw[32];
		bw_random(raw, sizeof raw);
		bw_hex(raw, sizeof raw, a.secret);
	}
	if (db_tx(db, false, add_tx, &a, err) != BW_OK)
		return err->code;
	if (id_out)
		*id_out = a.id;
	if (secret_out)
		memcpy(secret_out, a.secret, sizeof a.secret);
	return BW_OK;
}

struct del {
	const struct actor *by;
	int64_t id;
};

static enum bw_err del_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct del *d = arg;
	struct db_stmt *st = db_prep(db, "DELETE FROM alert_contacts WHERE id = ?1 RETURNING org_id, kind, role, address");
	db_bind_i64(st, 1, d->id);
	int r = db_step(st);
	if (r == DB_ERR)
		return db_fail(db, err, "remove contact");
	if (r == DB_DONE)
		return bw_fail(err, BW_ENOTFOUND, "", "No such alert contact");
	int64_t org = db_col_i64(st, 0);
	char summary[OUTBOX_ADDRESS_MAX + 96];
	snprintf(summary, sizeof summary, "Removed %s alert contact (%s) %s", db_col_text(st, 1), db_col_text(st, 2),
		 db_col_text(st, 3));
	db_reset(st);
	char object[48];
	snprintf(object, sizeof object, "alert_contact:%lld", (long long)d->id);
	struct audit_rec rec = { d->by->user_id, who(d->by), org, "alert_contact.remove", object, summary };
	return audit_append(db, &rec, err);
}

enum bw_err outbox_contact_remove(struct db *db, const struct actor *by, int64_t contact_id, struct bw_error *err)
{
	struct del d = { by, contact_id };
	return db_tx(db, false, del_tx, &d, err);
}

/* ---- the {contact} route parameter ---- */

static enum bw_err contact_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT c.org_id, o.path FROM alert_contacts c JOIN orgs o ON o.id = c.org_id"
				     " WHERE c.id = ?1", v, out);
}

static bool contact_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT CAST(c.id AS TEXT) FROM alert_contacts c JOIN orgs o ON o.id = c.org_id"
				    " WHERE o.path >= ?1 AND o.path < ?2 ORDER BY o.path DESC, c.id LIMIT 1", path, out, n);
}

const struct route_param contacts_params[] = {
	{ "contact", contact_owner, contact_example },
	{ NULL, NULL, NULL },
};

/* ---- demo ---- */

/*
 * Every organisation below the national one gets a shared alerts mailbox;
 * two in three also its IT lead's address; trusts and ICSs a SIRO and an
 * on-call mobile (Ofcom's drama range, 07700 900xxx, reaches nobody). At
 * national scale that is about 100,000 contacts: each kind is one
 * INSERT ... SELECT from orgs, not a round trip per row.
 */
enum bw_err outbox_demo_seed(struct db *db, struct bw_error *err)
{
	static const char *const sql[] = {
		"INSERT INTO alert_contacts (org_id, kind, address, role, name, created_at)"
		" SELECT id, 'email', 'cyber-alerts@' || lower(code) || '.demo.bulwark.example', 'alerts',"
		" 'Cyber alerts mailbox', ?1 FROM orgs WHERE parent_id IS NOT NULL",
		"INSERT INTO alert_contacts (org_id, kind, address, role, name, created_at)"
		" SELECT id, 'email', 'it-lead@' || lower(code) || '.demo.bulwark.example', 'alerts',"
		" 'IT lead', ?1 FROM orgs WHERE parent_id IS NOT NULL AND id % 3 <> 0",
		"INSERT INTO alert_contacts (org_id, kind, address, role, name, created_at)"
		" SELECT id, 'email', 'siro@' || lower(code) || '.demo.bulwark.example', 'siro',"
		" 'Senior information risk owner', ?1 FROM orgs WHERE type IN ('nhs_trust', 'ics')",
		"INSERT INTO alert_contacts (org_id, kind, address, role, name, created_at)"
		" SELECT id, 'sms', '+447700' || CAST(900000 + id % 1000 AS TEXT), 'alerts',"
		" 'On-call mobile', ?1 FROM orgs WHERE type IN ('nhs_trust', 'ics')",
	};
	int64_t now = bw_now();
	for (size_t i = 0; i < BW_NELEM(sql); i++) {
		struct db_stmt *st = db_prep(db, sql[i]);
		db_bind_i64(st, 1, now);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "seed alert contacts");
	}
	return BW_OK;
}

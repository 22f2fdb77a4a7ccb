/*
 * alerts: puts the module together — its path parameter, route tables,
 * navigation and the escalation job. The delivery side (outbox.h) registers
 * its own contacts pages and sending job with outbox_register().
 */
#include <stdio.h>
#include <string.h>

#include "alerts/alerts.h"
#include "app/worker.h"

/* An advisory is owned by the team that wrote it (its organisation). */
static enum bw_err advisory_owner(struct db *db, const char *v, struct org_ref *out)
{
	if (!v || strlen(v) > ALERTS_ID_MAX)
		return BW_ENOTFOUND;
	struct db_stmt *st = db_prep(db, "SELECT a.owner_org_id, o.path FROM advisories a JOIN orgs o ON o.id = a.owner_org_id"
					 " WHERE a.id = ?1");
	db_bind_text(st, 1, v);
	if (db_step(st) != DB_ROW)
		return BW_ENOTFOUND;
	out->id = db_col_i64(st, 0);
	snprintf(out->path, sizeof out->path, "%s", db_col_text(st, 1));
	db_reset(st);
	return BW_OK;
}

/* For the isolation walk: a published advisory sent to the subtree's own
 * organisation if there is one (else to one below it), the least
 * restricted first, so the organisation's own pages answer with it. */
static bool advisory_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT a.id FROM advisory_targets t JOIN orgs o ON o.id = t.org_id"
				" JOIN advisories a ON a.id = t.advisory_id WHERE o.path >= ?1 AND o.path < ?2"
				" AND a.revision > 0 ORDER BY length(o.path),"
				" CASE a.tlp WHEN 'CLEAR' THEN 0 WHEN 'GREEN' THEN 1 WHEN 'AMBER' THEN 2 ELSE 3 END, a.id LIMIT 1",
				path, out, n);
}

/* TAXII collections are the service's own (the national root's); what
 * each holds is filtered per caller. */
static enum bw_err collection_owner(struct db *db, const char *v, struct org_ref *out)
{
	(void)v;
	struct db_stmt *st = db_prep(db, "SELECT id, path FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1");
	if (db_step(st) != DB_ROW)
		return BW_ENOTFOUND;
	out->id = db_col_i64(st, 0);
	snprintf(out->path, sizeof out->path, "%s", db_col_text(st, 1));
	db_reset(st);
	return BW_OK;
}

static bool collection_example(struct db *db, const char *path, char *out, size_t n)
{
	(void)db, (void)path;
	snprintf(out, n, "%s", "7d4c9e62-2f0b-4c1e-9a55-3b8e1f6d0a01");
	return true;
}

/* A TAXII object id (STIX "type--uuid") and a status id: they belong to
 * the collections, which are the service's own; what a caller can reach
 * through them is filtered by alerts_visible(). */
static bool object_example(struct db *db, const char *path, char *out, size_t n)
{
	(void)db, (void)path;
	snprintf(out, n, "%s", "report--7d4c9e62-2f0b-5c1e-9a55-3b8e1f6d0a01");
	return true;
}

static bool status_example(struct db *db, const char *path, char *out, size_t n)
{
	(void)db, (void)path;
	snprintf(out, n, "%s", "2d086da7-4bdc-4f91-900e-d77486753710");
	return true;
}

const struct route_param alerts_params[] = {
	{ "advisory", advisory_owner, advisory_example },
	{ "collection", collection_owner, collection_example },
	{ "object", collection_owner, object_example },
	{ "status", collection_owner, status_example },
	{ NULL, NULL, NULL },
};

static const struct web_nav_entry nav[] = {
	{ "Alerts", "/alerts", 0xFF },
	{ NULL, NULL, 0 },
};

static enum bw_err escalate_job(struct db *db, const struct db_job *job, struct bw_error *err)
{
	(void)job;
	int64_t n = 0;
	if (alerts_escalate(db, bw_now(), &n, err) != BW_OK)
		return err->code == BW_EDB ? BW_EDB : err->code;
	if (n)
		log_info("alerts: escalated %lld overdue responses", (long long)n);
	return BW_OK;
}

static const struct worker_kind kinds[] = {
	{ "alerts.escalate", escalate_job, 600, 300 },
	{ NULL, NULL, 0, 0 },
};

/* The home page's card: responses still open in view, and the overdue. */
static bool home_text(struct ctx *c, char *text, size_t n)
{
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	struct db_stmt *st = db_prep(c->db,
		"SELECT count(*), coalesce(sum(CASE WHEN (r.acknowledged_at IS NULL AND r.ack_due < ?3)"
		"  OR (r.acknowledged_at IS NOT NULL AND r.next_update_due < ?3) THEN 1 ELSE 0 END), 0)"
		" FROM orgs o JOIN advisory_responses r ON r.org_id = o.id AND r.closed_at IS NULL"
		" WHERE o.path >= ?1 AND o.path < ?2");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_i64(st, 3, bw_now());
	int64_t open = 0, late = 0;
	if (db_step(st) == DB_ROW) {
		open = db_col_i64(st, 0);
		late = db_col_i64(st, 1);
	}
	db_reset(st);
	snprintf(text, n, "%lld alert%s waiting for a response; %lld overdue", (long long)open, open == 1 ? "" : "s",
		 (long long)late);
	return true;
}

static const struct home_card home_card = { "Alerts", "/alerts", home_text };

void alerts_register(void)
{
	app_add_home_card(&home_card);
	app_add_params(alerts_params);
	app_add_nav(nav);
	app_add_routes(alerts_routes);
	app_add_routes(alerts_api_routes);
	app_add_routes(alerts_export_routes);
	worker_add_kinds(kinds);
}

/*
 * alerts_api: the JSON API of advisories and responses.
 *   GET  /api/v1/advisories                       those the caller may see
 *   POST /api/v1/advisories                       a new draft (analysts)
 *   GET  /api/v1/advisories/{id}                  one, as the caller may see it
 *   POST /api/v1/advisories/{id}/submit|publish|withdraw
 *   GET  /api/v1/advisories/{id}/responses        responses in the caller's subtree
 *   GET  /api/v1/advisories/{id}/responses/{org}  one response with its history
 *   POST /api/v1/advisories/{id}/responses/{org}/acknowledge | applicability |
 *        updates | close                           the response steps
 *   POST /api/v1/advisories/{id}/bulk             a lead answers for members
 * The same functions as the pages do the work, so the same checks, the same
 * visibility rule and the same audit records apply.
 */
#include <stdio.h>
#include <string.h>

#include "alerts/alerts.h"
#include "app/routes.h"

static void not_found(struct ctx *c)
{
	ctx_fail(c, BW_ENOTFOUND, NULL, "No such advisory");
}

static bool load_visible(struct ctx *c, struct alerts_advisory *adv, int64_t as_org)
{
	if (alerts_get(c->db, c->arena, ctx_param(c, "advisory"), adv) != BW_OK ||
	    !alerts_visible(c->db, &c->actor, adv, as_org)) {
		not_found(c);
		return false;
	}
	return true;
}

static void iso(struct web_json *j, const char *key, int64_t t)
{
	web_json_key(j, key);
	if (!t) {
		web_json_null(j);
		return;
	}
	char s[32];
	bw_time_iso(t, s);
	web_json_str(j, s);
}

static void json_advisory(struct ctx *c, struct web_json *j, const struct alerts_advisory *adv, bool full)
{
	bool author = alerts_is_author(&c->actor, adv);
	const char *v[AF_NFIELDS];
	int64_t pub = 0;
	struct bw_error e = { 0 };
	if (author || adv->revision == 0 || alerts_revision_get(c->db, c->arena, adv->id, 0, v, &pub, &e) != BW_OK)
		memcpy(v, adv->v, sizeof v);
	web_json_key(j, "id");
	web_json_str(j, adv->id);
	web_json_key(j, "revision");
	web_json_int(j, adv->revision);
	web_json_key(j, "state");
	web_json_str(j, alerts_state_name(adv->state));
	web_json_key(j, "tlp");
	web_json_str(j, alerts_tlp_label(adv->tlp));
	iso(j, "published_at", adv->published_at);
	iso(j, "withdrawn_at", adv->withdrawn_at);
	for (size_t i = 0; i < AF_NFIELDS; i++) {
		if (i == AF_TLP || (!full && i != AF_TITLE && i != AF_TYPE && i != AF_SEVERITY))
			continue;
		/* targeting and the next revision's note are the authors' business */
		if (!author && (i == AF_TARGET_KIND || i == AF_TARGET_TYPES || i == AF_TARGET_CODES || i == AF_CHANGE_NOTE))
			continue;
		web_json_key(j, alerts_fields[i].name);
		web_json_str(j, v[i]);
	}
	if (!full)
		return;
	web_json_key(j, "revisions");
	web_json_array(j);
	struct db_stmt *st = db_prep(c->db, "SELECT revision, published_at, change_note FROM advisory_revisions"
					    " WHERE advisory_id = ?1 ORDER BY revision LIMIT 200");
	db_bind_text(st, 1, adv->id);
	while (db_step(st) == DB_ROW) {
		web_json_object(j);
		web_json_key(j, "revision");
		web_json_int(j, db_col_i64(st, 0));
		iso(j, "published_at", db_col_i64(st, 1));
		web_json_key(j, "change_note");
		web_json_str(j, db_col_text(st, 2));
		web_json_end(j);
	}
	web_json_end(j);
}

static void one(struct ctx *c, const struct alerts_advisory *adv, int status)
{
	struct web_json j;
	ctx_json_begin(c, &j);
	c->resp->status = status;
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	json_advisory(c, &j, adv, true);
	web_json_end(&j);
	web_json_end(&j);
}

#define API_LIST_MAX 2000

static void api_list(struct ctx *c)
{
	int64_t limit, offset;
	if (!ctx_page_args(c, &limit, &offset))
		return;
	struct db_stmt *st = db_prep(c->db, "SELECT id FROM advisories ORDER BY seq DESC, id LIMIT ?1");
	db_bind_i64(st, 1, API_LIST_MAX);
	char (*ids)[ALERTS_ID_MAX + 1] = arena_alloc(c->arena, API_LIST_MAX * sizeof *ids);
	size_t n = 0;
	while (db_step(st) == DB_ROW && n < API_LIST_MAX)
		snprintf(ids[n++], sizeof ids[0], "%s", db_col_text(st, 0));
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_list_begin(&j, &c->resp->body);
	int64_t seen = 0, written = 0;
	bool more = false;
	for (size_t i = 0; i < n; i++) {
		struct alerts_advisory adv;
		if (alerts_get(c->db, c->arena, ids[i], &adv) != BW_OK || !alerts_visible(c->db, &c->actor, &adv, 0))
			continue;
		if (seen++ < offset)
			continue;
		if (written == limit) {
			more = true;
			break;
		}
		written++;
		web_json_object(&j);
		json_advisory(c, &j, &adv, false);
		web_json_end(&j);
	}
	web_json_list_end(&j, more ? arena_printf(c->arena, "%lld", (long long)(offset + limit)) : NULL);
}

static bool author_role(struct ctx *c)
{
	if (c->actor.role == ROLE_ANALYST || c->actor.role == ROLE_ADMIN)
		return true;
	ctx_fail(c, BW_EFORBIDDEN, NULL, "Only analysts write advisories");
	return false;
}

static void api_create(struct ctx *c)
{
	if (!author_role(c))
		return;
	json_t *body;
	struct bw_error e = { 0 };
	if (http_json_parse(c->req->body, c->req->body_len, &body, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	const char *v[AF_NFIELDS] = { 0 };
	for (size_t i = 0; i < AF_NFIELDS && e.code == BW_OK; i++) {
		v[i] = http_json_str(body, alerts_fields[i].name, &e);
		if (v[i])
			v[i] = arena_strdup(c->arena, v[i]);
	}
	json_decref(body);
	if (e.code != BW_OK)
		return ctx_error(c, 400, &e);
	if (!v[AF_TARGET_KIND])
		v[AF_TARGET_KIND] = "all";
	char id[ALERTS_ID_MAX + 1];
	if (alerts_create(c->db, &c->actor, v, id, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	struct alerts_advisory adv;
	if (alerts_get(c->db, c->arena, id, &adv) != BW_OK)
		return not_found(c);
	one(c, &adv, 201);
}

static void api_get(struct ctx *c)
{
	struct alerts_advisory adv;
	if (!load_visible(c, &adv, 0))
		return;
	one(c, &adv, 200);
}

static void api_action(struct ctx *c, const char *what)
{
	struct alerts_advisory adv;
	if (!load_visible(c, &adv, 0))
		return;
	if (!alerts_is_author(&c->actor, &adv))
		return ctx_fail(c, BW_EFORBIDDEN, NULL, "Only the analysts who own this advisory can change it");
	struct bw_error e = { 0 };
	const char *reason = NULL;
	if (strcmp(what, "withdraw") == 0) {
		json_t *body;
		if (http_json_parse(c->req->body, c->req->body_len, &body, &e) != BW_OK)
			return ctx_error(c, web_err_status(e.code), &e);
		reason = http_json_str(body, "reason", &e);
		reason = reason ? arena_strdup(c->arena, reason) : NULL;
		json_decref(body);
		if (e.code != BW_OK)
			return ctx_error(c, 400, &e);
	}
	enum bw_err rc = strcmp(what, "submit") == 0 ? alerts_submit(c->db, &c->actor, adv.id, &e)
		       : strcmp(what, "publish") == 0 ? alerts_publish(c->db, &c->actor, adv.id, NULL, &e)
						       : alerts_withdraw(c->db, &c->actor, adv.id, reason, &e);
	if (rc != BW_OK)
		return ctx_error(c, web_err_status(rc), &e);
	if (alerts_get(c->db, c->arena, adv.id, &adv) != BW_OK)
		return not_found(c);
	one(c, &adv, 200);
}

static void api_submit(struct ctx *c)
{
	api_action(c, "submit");
}

static void api_publish(struct ctx *c)
{
	api_action(c, "publish");
}

static void api_withdraw(struct ctx *c)
{
	api_action(c, "withdraw");
}

/* ---- responses ---- */

#define RESP_COLS "o.code, o.name, r.state, r.issued_at, coalesce(r.ack_due, 0), coalesce(r.acknowledged_at, 0)," \
	" r.applicability, r.reason, coalesce(r.next_update_due, 0), coalesce(r.last_update_at, 0)," \
	" coalesce(r.closed_at, 0), r.closure, r.on_behalf_of, r.escalation, coalesce(r.risk_id, 0)"

static void json_response(struct web_json *j, struct db_stmt *st)
{
	web_json_key(j, "org");
	web_json_str(j, db_col_text(st, 0));
	web_json_key(j, "org_name");
	web_json_str(j, db_col_text(st, 1));
	web_json_key(j, "state");
	web_json_str(j, db_col_text(st, 2));
	iso(j, "issued_at", db_col_i64(st, 3));
	iso(j, "ack_due", db_col_i64(st, 4));
	iso(j, "acknowledged_at", db_col_i64(st, 5));
	web_json_key(j, "applicability");
	web_json_str(j, *db_col_text(st, 6) ? db_col_text(st, 6) : NULL);
	web_json_key(j, "reason");
	web_json_str(j, db_col_text(st, 7));
	iso(j, "next_update_due", db_col_i64(st, 8));
	iso(j, "last_update_at", db_col_i64(st, 9));
	iso(j, "closed_at", db_col_i64(st, 10));
	web_json_key(j, "closure");
	web_json_str(j, *db_col_text(st, 11) ? db_col_text(st, 11) : NULL);
	web_json_key(j, "on_behalf_of");
	web_json_str(j, db_col_text(st, 12));
	web_json_key(j, "escalation");
	web_json_int(j, db_col_i64(st, 13));
	struct alerts_response r = { .ack_due = db_col_i64(st, 4), .next_update_due = db_col_i64(st, 8) };
	alerts_rstate_parse(db_col_text(st, 2), &r.state);
	web_json_key(j, "overdue");
	web_json_bool(j, alerts_response_overdue(&r, bw_now()));
	web_json_key(j, "risk_id");
	if (db_col_i64(st, 14))
		web_json_int(j, db_col_i64(st, 14));
	else
		web_json_null(j);
}

static void response_row(struct web_json *j, struct db_stmt *st)
{
	web_json_object(j);
	json_response(j, st);
	web_json_end(j);
}

static void api_responses(struct ctx *c)
{
	struct alerts_advisory adv;
	if (!load_visible(c, &adv, 0))
		return;
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	/* members' responses to a strictly limited advisory stay theirs */
	struct db_stmt *st = db_prep(c->db, "SELECT " RESP_COLS " FROM advisory_responses r JOIN orgs o ON o.id = r.org_id"
					    " JOIN advisories a ON a.id = r.advisory_id WHERE r.advisory_id = ?1"
					    " AND o.path >= ?2 AND o.path < ?3 AND (?4 = 1 OR a.tlp NOT IN ('AMBER+STRICT', 'RED')"
					    " OR r.org_id = ?5) ORDER BY o.code LIMIT ?6 OFFSET ?7");
	db_bind_text(st, 1, adv.id);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	db_bind_i64(st, 4, alerts_is_author(&c->actor, &adv));
	db_bind_i64(st, 5, c->actor.org_id);
	ctx_api_list(c, st, 6, response_row);
}

static bool load_org(struct ctx *c, struct org *o)
{
	if (orgs_get_by_code(c->db, ctx_param(c, "org"), o, NULL) != BW_OK) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "No such organisation");
		return false;
	}
	return true;
}

static void response_out(struct ctx *c, const char *id, const struct org *o, int status)
{
	struct db_stmt *st = db_prep(c->db, "SELECT " RESP_COLS " FROM advisory_responses r JOIN orgs o ON o.id = r.org_id"
					    " WHERE r.advisory_id = ?1 AND r.org_id = ?2");
	db_bind_text(st, 1, id);
	db_bind_i64(st, 2, o->id);
	if (db_step(st) != DB_ROW)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "This advisory was not sent to that organisation");
	struct web_json j;
	ctx_json_begin(c, &j);
	c->resp->status = status;
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	web_json_key(&j, "advisory");
	web_json_str(&j, id);
	json_response(&j, st);
	db_reset(st);
	web_json_key(&j, "history");
	web_json_array(&j);
	st = db_prep(c->db, "SELECT at, kind, actor, actor_org, on_behalf, note FROM response_events"
			    " WHERE advisory_id = ?1 AND org_id = ?2 ORDER BY at, id LIMIT 500");
	db_bind_text(st, 1, id);
	db_bind_i64(st, 2, o->id);
	while (db_step(st) == DB_ROW) {
		web_json_object(&j);
		iso(&j, "at", db_col_i64(st, 0));
		web_json_key(&j, "kind");
		web_json_str(&j, db_col_text(st, 1));
		web_json_key(&j, "actor");
		web_json_str(&j, db_col_text(st, 2));
		web_json_key(&j, "on_behalf_of");
		web_json_str(&j, db_col_i64(st, 4) ? db_col_text(st, 3) : NULL);
		web_json_key(&j, "note");
		web_json_str(&j, db_col_text(st, 5));
		web_json_end(&j);
	}
	web_json_end(&j);
	web_json_end(&j);
	web_json_end(&j);
}

static void api_response(struct ctx *c)
{
	struct org o;
	struct alerts_advisory adv;
	if (!load_org(c, &o) || !load_visible(c, &adv, o.id))
		return;
	response_out(c, adv.id, &o, 200);
}

/* A step from a JSON body: note/reason, next_update_due, closure,
 * accepted_until, applicable (true/false). */
static void api_step(struct ctx *c, enum alerts_step step)
{
	struct org o;
	struct alerts_advisory adv;
	if (!load_org(c, &o) || !load_visible(c, &adv, o.id))
		return;
	json_t *body = NULL;
	struct bw_error e = { 0 };
	struct alerts_step_args s = { .step = step };
	if (c->req->body_len && http_json_parse(c->req->body, c->req->body_len, &body, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	if (body) {
		if (step == STEP_APPLICABLE) {
			json_t *a = json_object_get(body, "applicable");
			if (!a || !json_is_boolean(a)) {
				json_decref(body);
				return ctx_fail(c, BW_EINVAL, "applicable", "applicable must be true or false");
			}
			s.step = json_is_true(a) ? STEP_APPLICABLE : STEP_NOT_APPLICABLE;
		}
		const char *note = http_json_str(body, step == STEP_APPLICABLE ? "reason" : "note", &e);
		const char *closure = http_json_str(body, "closure", &e);
		const char *until = http_json_str(body, "accepted_until", &e);
		const char *due = http_json_str(body, "next_update_due", &e);
		s.note = note ? arena_strdup(c->arena, note) : NULL;
		s.closure = closure ? arena_strdup(c->arena, closure) : NULL;
		s.accepted_until = until ? arena_strdup(c->arena, until) : NULL;
		if (due && e.code == BW_OK && !alerts_date_parse(due, &s.next_due))
			bw_fail(&e, BW_EINVAL, "next_update_due", "next_update_due must be a date like 2026-10-27");
		json_decref(body);
		if (e.code != BW_OK)
			return ctx_error(c, 400, &e);
	} else if (step == STEP_APPLICABLE) {
		return ctx_fail(c, BW_EINVAL, "applicable", "applicable must be true or false");
	}
	if (alerts_respond(c->db, &c->actor, adv.id, o.id, &s, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	response_out(c, adv.id, &o, 200);
}

static void api_acknowledge(struct ctx *c)
{
	api_step(c, STEP_ACKNOWLEDGE);
}

static void api_applicability(struct ctx *c)
{
	api_step(c, STEP_APPLICABLE);
}

static void api_update(struct ctx *c)
{
	api_step(c, STEP_UPDATE);
}

static void api_close(struct ctx *c)
{
	api_step(c, STEP_CLOSE);
}

/* {"step": "acknowledge", "orgs": ["RX1", ...], "note": "..."} */
static void api_bulk(struct ctx *c)
{
	struct alerts_advisory adv;
	if (!load_visible(c, &adv, 0))
		return;
	json_t *body;
	struct bw_error e = { 0 };
	if (http_json_parse(c->req->body, c->req->body_len, &body, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	struct alerts_step_args s = { 0 };
	const char *step = http_json_str(body, "step", &e);
	const char *note = http_json_str(body, "note", &e);
	bool found = false;
	for (int i = 0; step && i < STEP_CLOSE; i++)
		if (strcmp(step, alerts_step_name((enum alerts_step)i)) == 0) {
			s.step = (enum alerts_step)i;
			found = true;
		}
	s.note = note ? arena_strdup(c->arena, note) : NULL;
	json_t *orgs = json_object_get(body, "orgs");
	size_t n = json_is_array(orgs) ? json_array_size(orgs) : 0;
	if (e.code == BW_OK && !found)
		bw_fail(&e, BW_EINVAL, "step", "step must be acknowledge, applicable, not_applicable or update");
	if (e.code == BW_OK && (n == 0 || n > 5000))
		bw_fail(&e, BW_EINVAL, "orgs", "orgs must list between 1 and 5000 organisation codes");
	int64_t *ids = e.code == BW_OK ? arena_alloc(c->arena, n * sizeof *ids) : NULL;
	for (size_t i = 0; e.code == BW_OK && i < n; i++) {
		json_t *v = json_array_get(orgs, i);
		struct org o;
		if (!json_is_string(v) || orgs_get_by_code(c->db, json_string_value(v), &o, NULL) != BW_OK)
			bw_fail(&e, BW_ENOTFOUND, "orgs", "No such organisation: item %zu", i + 1);
		else
			ids[i] = o.id;
	}
	json_decref(body);
	if (e.code != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	int64_t done = 0;
	if (alerts_respond_bulk(c->db, &c->actor, adv.id, ids, n, &s, &done, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	web_json_key(&j, "advisory");
	web_json_str(&j, adv.id);
	web_json_key(&j, "changed");
	web_json_int(&j, done);
	web_json_end(&j);
	web_json_end(&j);
}

const struct route alerts_api_routes[] = {
	{ "GET", "/api/v1/advisories", api_list, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "POST", "/api/v1/advisories", api_create, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ "GET", "/api/v1/advisories/{advisory}", api_get, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "POST", "/api/v1/advisories/{advisory}/submit", api_submit, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "advisory" },
	{ "POST", "/api/v1/advisories/{advisory}/publish", api_publish, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "advisory" },
	{ "POST", "/api/v1/advisories/{advisory}/withdraw", api_withdraw, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "advisory" },
	{ "POST", "/api/v1/advisories/{advisory}/bulk", api_bulk, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ "GET", "/api/v1/advisories/{advisory}/responses", api_responses, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/api/v1/advisories/{advisory}/responses/{org}", api_response, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "POST", "/api/v1/advisories/{advisory}/responses/{org}/acknowledge", api_acknowledge, ROUTE_API, AUTH_SIGNED_IN,
	  ACT_EDIT, "org" },
	{ "POST", "/api/v1/advisories/{advisory}/responses/{org}/applicability", api_applicability, ROUTE_API,
	  AUTH_SIGNED_IN, ACT_EDIT, "org" },
	{ "POST", "/api/v1/advisories/{advisory}/responses/{org}/updates", api_update, ROUTE_API, AUTH_SIGNED_IN,
	  ACT_EDIT, "org" },
	{ "POST", "/api/v1/advisories/{advisory}/responses/{org}/close", api_close, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT,
	  "org" },
	{ NULL },
};

/*
 * api: the findings JSON API and event ingestion.
 *   GET  /api/v1/findings                   findings in the caller's subtree (filters as the page)
 *   GET  /api/v1/orgs/{org}/findings        one organisation's and its members'
 *   GET  /api/v1/findings/{finding}         one, with its matched fields
 *   POST /api/v1/findings/{finding}/triage  {"state": "false_positive", "note": "..."}
 *   POST /api/v1/events[?org=CODE]          JSON lines from a log forwarder
 * Events are scanned while the request waits (the body is at most LIM_BODY
 * and FINDINGS_LIM_EVENT_LINES lines) and go to the token owner's own
 * organisation, or to ?org=CODE inside their subtree where they may edit.
 * A line that is not JSON is counted as damaged; the rest are still read.
 */
#include <stdio.h>
#include <string.h>

#include "app/routes.h"
#include "findings/findings_int.h"

#define ROW_COLS "SELECT f.id, o.code, r.uuid, r.title, r.author, f.level, f.tags, f.host, f.event_time, f.channel," \
	" f.event_id, f.source, f.state, f.state_by, f.state_note, f.created_at, f.fields, f.state_at"

static void json_tags(struct web_json *j, const char *tags)
{
	web_json_array(j);
	const char *p = tags ? tags : "";
	while (*p) {
		const char *e = strchr(p, ' ');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n) {
			char t[256];
			snprintf(t, sizeof t, "%.*s", (int)(n < 255 ? n : 255), p);
			web_json_str(j, t);
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	web_json_end(j);
}

static void json_finding(struct web_json *j, struct db_stmt *st, bool full)
{
	web_json_object(j);
	web_json_key(j, "id");
	web_json_int(j, db_col_i64(st, 0));
	web_json_key(j, "org");
	web_json_str(j, db_col_text(st, 1));
	web_json_key(j, "rule");
	web_json_object(j);
	web_json_key(j, "id");
	web_json_str(j, db_col_text(st, 2));
	web_json_key(j, "title");
	web_json_str(j, db_col_text(st, 3));
	web_json_key(j, "author");
	web_json_str(j, db_col_text(st, 4));
	web_json_key(j, "level");
	web_json_str(j, db_col_text(st, 5));
	web_json_end(j);
	web_json_key(j, "level");
	web_json_str(j, db_col_text(st, 5));
	web_json_key(j, "tags");
	json_tags(j, db_col_text(st, 6));
	web_json_key(j, "host");
	web_json_str(j, db_col_text(st, 7));
	web_json_key(j, "event_time");
	web_json_str(j, db_col_text(st, 8));
	web_json_key(j, "channel");
	web_json_str(j, *db_col_text(st, 9) ? db_col_text(st, 9) : NULL);
	web_json_key(j, "event_id");
	if (db_col_isnull(st, 10))
		web_json_null(j);
	else
		web_json_int(j, db_col_i64(st, 10));
	web_json_key(j, "source");
	web_json_str(j, db_col_text(st, 11));
	web_json_key(j, "state");
	web_json_str(j, db_col_text(st, 12));
	web_json_key(j, "state_by");
	web_json_str(j, db_col_text(st, 13));
	web_json_key(j, "state_note");
	web_json_str(j, db_col_text(st, 14));
	char at[32];
	bw_time_iso(db_col_i64(st, 15), at);
	web_json_key(j, "found_at");
	web_json_str(j, at);
	if (full) {
		web_json_key(j, "state_at");
		if (db_col_isnull(st, 17)) {
			web_json_null(j);
		} else {
			bw_time_iso(db_col_i64(st, 17), at);
			web_json_str(j, at);
		}
		web_json_key(j, "fields");
		web_json_array(j);
		json_error_t je;
		json_t *arr = json_loads(db_col_text(st, 16) ? db_col_text(st, 16) : "[]", 0, &je);
		for (size_t i = 0; arr && json_is_array(arr) && i < json_array_size(arr); i++) {
			json_t *p = json_array_get(arr, i);
			if (!json_is_array(p) || json_array_size(p) != 2)
				continue;
			web_json_object(j);
			web_json_key(j, "name");
			web_json_str(j, json_string_value(json_array_get(p, 0)));
			web_json_key(j, "value");
			web_json_str(j, json_string_value(json_array_get(p, 1)));
			web_json_end(j);
		}
		json_decref(arr);
		web_json_end(j);
	}
	web_json_end(j);
}

static void json_row(struct web_json *j, struct db_stmt *st)
{
	json_finding(j, st, false);
}

static void list_under(struct ctx *c, const char *path)
{
	struct findings_query q;
	findings_query_args(c, path, &q);
	struct db_stmt *st = db_prep(c->db, ROW_COLS FINDINGS_FROM FINDINGS_WHERE " ORDER BY f.id DESC LIMIT ?10 OFFSET ?11");
	findings_query_bind(st, &q);
	ctx_api_list(c, st, 10, json_row);
}

static void api_list(struct ctx *c)
{
	list_under(c, c->actor.org_path);
}

static void api_org_list(struct ctx *c)
{
	struct org o;
	if (orgs_get_by_code(c->db, ctx_param(c, "org"), &o, NULL) != BW_OK)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "No such organisation");
	list_under(c, o.path);
}

static void api_one(struct ctx *c, int64_t id)
{
	struct db_stmt *st = db_prep(c->db, ROW_COLS FINDINGS_FROM " WHERE f.id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "No such finding");
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "data");
	json_finding(&j, st, true);
	web_json_end(&j);
	db_reset(st);
}

static bool finding_id(struct ctx *c, int64_t *id)
{
	if (str_to_i64(str_c(ctx_param(c, "finding")), 1, INT64_MAX, id))
		return true;
	ctx_fail(c, BW_ENOTFOUND, NULL, "No such finding");
	return false;
}

static void api_get(struct ctx *c)
{
	int64_t id;
	if (finding_id(c, &id))
		api_one(c, id);
}

static void api_triage(struct ctx *c)
{
	int64_t id;
	if (!finding_id(c, &id))
		return;
	json_t *body;
	struct bw_error e = { 0 };
	if (http_json_parse(c->req->body, c->req->body_len, &body, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	const char *state = http_json_str(body, "state", &e);
	const char *note = e.code ? NULL : http_json_str(body, "note", &e);
	enum findings_state s = FINDING_NEW;
	if (!e.code && !findings_state_parse(state, &s))
		bw_fail(&e, BW_EINVAL, "state", "state must be new, false_positive or escalated");
	if (!e.code)
		findings_triage(c->db, &c->actor, id, s, note, &e);
	json_decref(body);
	if (e.code)
		return ctx_error(c, web_err_status(e.code), &e);
	api_one(c, id);
}

static void api_events(struct ctx *c)
{
	struct bw_error e = { 0 };
	struct org o;
	const char *code = ctx_query(c, "org");
	if (orgs_get_by_code(c->db, code ? code : c->actor.org_code, &o, NULL) != BW_OK)
		return ctx_fail(c, BW_ENOTFOUND, "org", "No such organisation");
	struct org_ref ref = { o.id, "" };
	snprintf(ref.path, sizeof ref.path, "%s", o.path);
	/* outside the caller's subtree answers as missing, as the pipeline does */
	if (!orgs_can(&c->actor, ACT_EDIT, &ref))
		return ctx_fail(c, BW_ENOTFOUND, "org", "No such organisation");
	size_t n = c->req->body_len, lines = 0;
	const char *p = c->req->body;
	if (n == 0)
		return ctx_fail(c, BW_EINVAL, "body", "Send events as JSON lines in the request body");
	for (size_t i = 0; i < n; i++)
		lines += p[i] == '\n';
	lines += p[n - 1] != '\n';
	if (lines > FINDINGS_LIM_EVENT_LINES) {
		char msg[96];
		snprintf(msg, sizeof msg, "Send at most %d lines of events in one request", FINDINGS_LIM_EVENT_LINES);
		return ctx_fail(c, BW_ELIMIT, "body", msg);
	}
	struct findings_scan s;
	if (findings_scan_json(c->db, o.id, p, n, "api", 0, &s, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	if (s.findings > 0) {
		char sum[200];
		snprintf(sum, sizeof sum, "Events received for %s: %lld events, %lld damaged, %lld new findings", o.code,
			 (long long)s.events, (long long)s.damaged, (long long)s.findings);
		c->actor.org_id = o.id;   /* the record concerns the organisation the events are for */
		ctx_audit(c, "findings.events", arena_printf(c->arena, "org:%s", o.code), sum);
	}
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	web_json_key(&j, "org");
	web_json_str(&j, o.code);
	web_json_key(&j, "accepted");
	web_json_int(&j, s.events);
	web_json_key(&j, "damaged");
	web_json_int(&j, s.damaged);
	web_json_key(&j, "findings");
	web_json_int(&j, s.findings);
	web_json_key(&j, "duplicates");
	web_json_int(&j, s.duplicates);
	web_json_end(&j);
	web_json_end(&j);
}

const struct route findings_api_routes[] = {
	{ "GET", "/api/v1/findings", api_list, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/api/v1/orgs/{org}/findings", api_org_list, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/api/v1/findings/{finding}", api_get, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "finding" },
	{ "POST", "/api/v1/findings/{finding}/triage", api_triage, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "finding" },
	{ "POST", "/api/v1/events", api_events, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ NULL },
};

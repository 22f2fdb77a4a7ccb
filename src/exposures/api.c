/*
 * api: the exposures JSON API and the VEX export.
 *   GET  /api/v1/exposures[?org=CODE]            current exposures in the caller's subtree
 *                                                (or CODE's, inside it), filters as the page
 *   GET  /api/v1/orgs/{org}/exposures            the same for one organisation's subtree
 *   GET  /api/v1/exposures/{exposure}            one, with its evidence and decision
 *   POST /api/v1/exposures/{exposure}/triage     {"state": "not_affected",
 *                                                 "justification": "...", "note": "..."}
 *   GET  /api/v1/vulnerabilities/{vuln}          one vulnerability across the feeds; the
 *                                                exposed counts are the caller's subtree's
 *   GET  /api/v1/orgs/{org}/vex                  CycloneDX 1.6 VEX of the organisation's
 *                                                current exposures and their decisions
 * CVSS scores are written as strings ("9.8"): the JSON writer has no
 * fractions, and a score is read, not computed with.
 */
#include <stdio.h>
#include <string.h>

#include "exposures/exposures_int.h"

static void cvss_str(char out[16], bool null, int64_t v)
{
	if (null)
		out[0] = 0;
	else
		snprintf(out, 16, "%lld.%lld", (long long)(v / 10), (long long)(v % 10));
}

static void json_iso(struct web_json *j, bool null, int64_t t)
{
	if (null) {
		web_json_null(j);
		return;
	}
	char at[32];
	bw_time_iso(t, at);
	web_json_str(j, at);
}

static void json_date(struct web_json *j, bool null, int64_t t)
{
	if (null) {
		web_json_null(j);
		return;
	}
	char at[32];
	bw_time_iso(t, at);
	at[10] = 0;
	web_json_str(j, at);
}

/* The members of one exposure from a row of EXP_COLS (the object is the caller's). */
static void exposure_members(struct web_json *j, struct db_stmt *st)
{
	char cv[16];
	web_json_key(j, "id");
	web_json_int(j, db_col_i64(st, 0));
	web_json_key(j, "org");
	web_json_str(j, db_col_text(st, 11));
	web_json_key(j, "vulnerability");
	web_json_object(j);
	web_json_key(j, "id");
	web_json_str(j, db_col_text(st, 1));
	web_json_key(j, "title");
	web_json_str(j, db_col_text(st, 2));
	web_json_key(j, "severity");
	web_json_str(j, exposures_severity_name((int)db_col_i64(st, 3)));
	web_json_key(j, "cvss");
	cvss_str(cv, db_col_isnull(st, 4), db_col_i64(st, 4));
	web_json_str(j, cv[0] ? cv : NULL);
	web_json_key(j, "kev");
	web_json_bool(j, db_col_i64(st, 5) != 0);
	web_json_key(j, "kev_due");
	json_date(j, db_col_isnull(st, 6), db_col_i64(st, 6));
	web_json_end(j);
	web_json_key(j, "component");
	web_json_object(j);
	web_json_key(j, "vendor");
	web_json_str(j, db_col_text(st, 7));
	web_json_key(j, "product");
	web_json_str(j, db_col_text(st, 8));
	web_json_key(j, "version");
	web_json_str(j, db_col_text(st, 9));
	web_json_end(j);
	web_json_key(j, "system");
	web_json_object(j);
	web_json_key(j, "id");
	web_json_int(j, db_col_i64(st, 18));
	web_json_key(j, "name");
	web_json_str(j, db_col_text(st, 10));
	web_json_end(j);
	web_json_key(j, "answer");
	web_json_str(j, db_col_text(st, 13));
	web_json_key(j, "cannot_tell");
	web_json_bool(j, !strcmp(db_col_text(st, 13), "unknown"));
	web_json_key(j, "state");
	web_json_str(j, db_col_text(st, 14));
	web_json_key(j, "justification");
	web_json_str(j, db_col_text(st, 15));
	web_json_key(j, "decided_by");
	web_json_str(j, db_col_text(st, 16));
	web_json_key(j, "first_seen");
	json_iso(j, false, db_col_i64(st, 17));
	web_json_key(j, "fixed_but_present");
	web_json_bool(j, db_col_i64(st, 19) != 0);
	web_json_key(j, "evidence");
	web_json_str(j, db_col_text(st, 20));
}

static void json_exposure(struct web_json *j, struct db_stmt *st)
{
	web_json_object(j);
	exposure_members(j, st);
	web_json_end(j);
}

static void list_under(struct ctx *c, const char *path)
{
	struct exp_query q;
	exposures_query_args(c, path, &q);
	struct db_stmt *st = db_prep(c->db, EXP_COLS EXP_FROM EXP_WHERE EXP_ORDER " LIMIT ?8 OFFSET ?9");
	exposures_query_bind(st, &q);
	ctx_api_list(c, st, 8, json_exposure);
}

static bool org_in_reach(struct ctx *c, const char *code, struct org *o)
{
	if (orgs_get_by_code(c->db, code, o, NULL) != BW_OK)
		return false;
	struct org_ref r = { o->id, "" };
	snprintf(r.path, sizeof r.path, "%s", o->path);
	return orgs_can(&c->actor, ACT_VIEW, &r);
}

static void api_list(struct ctx *c)
{
	const char *code = ctx_query(c, "org");
	if (!code || !*code)
		return list_under(c, c->actor.org_path);
	struct org o;
	/* outside the caller's subtree answers as missing, as the pipeline does */
	if (!org_in_reach(c, code, &o))
		return ctx_fail(c, BW_ENOTFOUND, "org", "No such organisation");
	list_under(c, o.path);
}

static void api_org_list(struct ctx *c)
{
	list_under(c, c->target.path);
}

static bool exposure_id(struct ctx *c, int64_t *id)
{
	if (str_to_i64(str_c(ctx_param(c, "exposure")), 1, INT64_MAX, id))
		return true;
	ctx_fail(c, BW_ENOTFOUND, NULL, "No such exposure");
	return false;
}

static void api_one(struct ctx *c, int64_t id)
{
	struct db_stmt *st = db_prep(c->db, EXP_COLS ", e.criterion, e.gone_at, d.note, d.decided_at, dor.code, e.weak"
					    EXP_FROM " LEFT JOIN orgs dor ON dor.id = d.decided_by_org WHERE e.id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "No such exposure");
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	exposure_members(&j, st);
	web_json_key(&j, "criterion");
	web_json_str(&j, db_col_text(st, 21));
	web_json_key(&j, "current");
	web_json_bool(&j, db_col_isnull(st, 22));
	web_json_key(&j, "gone_at");
	json_iso(&j, db_col_isnull(st, 22), db_col_i64(st, 22));
	web_json_key(&j, "note");
	web_json_str(&j, db_col_text(st, 23));
	web_json_key(&j, "decided_at");
	json_iso(&j, db_col_isnull(st, 24), db_col_i64(st, 24));
	web_json_key(&j, "decided_for_by");
	web_json_str(&j, db_col_text(st, 25));
	web_json_key(&j, "unsupported_range");
	web_json_bool(&j, db_col_i64(st, 26) != 0);
	web_json_end(&j);
	web_json_end(&j);
	db_reset(st);
}

static void api_get(struct ctx *c)
{
	int64_t id;
	if (exposure_id(c, &id))
		api_one(c, id);
}

static void api_triage(struct ctx *c)
{
	int64_t id;
	if (!exposure_id(c, &id))
		return;
	json_t *body;
	struct bw_error e = { 0 };
	if (http_json_parse(c->req->body, c->req->body_len, &body, &e) != BW_OK)
		return ctx_error(c, web_err_status(e.code), &e);
	const char *state = http_json_str(body, "state", &e);
	const char *just = e.code ? NULL : http_json_str(body, "justification", &e);
	const char *note = e.code ? NULL : http_json_str(body, "note", &e);
	enum exposures_state s = EXPOSURE_NEW;
	enum exposures_just jv = EXPOSURE_JUST_NONE;
	if (!e.code && !exposures_state_parse(state, &s))
		bw_fail(&e, BW_EINVAL, "state", "state must be new, investigating, affected, not_affected or fixed");
	if (!e.code && just && *just && !exposures_just_parse(just, &jv))
		bw_fail(&e, BW_EINVAL, "justification", "justification must be one of component_not_present,"
			" vulnerable_code_not_present, vulnerable_code_not_in_execute_path,"
			" vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist");
	if (!e.code)
		exposures_triage(c->db, &c->actor, id, s, jv, note, &e);
	json_decref(body);
	if (e.code)
		return ctx_error(c, web_err_status(e.code), &e);
	api_one(c, id);
}

/* ---- one vulnerability ---- */

static void api_vuln(struct ctx *c)
{
	const char *id = ctx_param(c, "vuln");
	if (!id || !*id || strlen(id) > 128)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "No such vulnerability");
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	struct db_stmt *st = db_prep(c->db, "SELECT count(DISTINCT e.org_id), count(*) FROM exposures e JOIN orgs o ON o.id = e.org_id"
					    " WHERE e.vuln_id = ?1 AND e.gone_at IS NULL AND o.path >= ?2 AND o.path < ?3");
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	int64_t orgs = 0, exposures = 0;
	if (db_step(st) == DB_ROW) {
		orgs = db_col_i64(st, 0);
		exposures = db_col_i64(st, 1);
		db_reset(st);
	}
	int64_t records = 0;
	st = db_prep(c->db, "SELECT count(*) FROM feed_records WHERE record_id = ?1");
	db_bind_text(st, 1, id);
	if (db_step(st) == DB_ROW) {
		records = db_col_i64(st, 0);
		db_reset(st);
	}
	st = db_prep(c->db, "SELECT v.title, v.description, " EXPOSURES_SEV_RANK ", v.cvss10, v.cvss_version, v.cvss_vector,"
			    " v.kev, v.kev_added, v.kev_due, v.kev_ransomware, v.aliases, v.cwe, v.published, v.modified"
			    " FROM vulnerabilities v WHERE v.id = ?1");
	db_bind_text(st, 1, id);
	bool known = db_step(st) == DB_ROW;
	if (!known && !records && !exposures)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "No such vulnerability");
	struct web_json j;
	ctx_json_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "data");
	web_json_object(&j);
	web_json_key(&j, "id");
	web_json_str(&j, id);
	if (known) {
		char cv[16];
		web_json_key(&j, "title");
		web_json_str(&j, db_col_text(st, 0));
		web_json_key(&j, "description");
		web_json_str(&j, db_col_text(st, 1));
		web_json_key(&j, "severity");
		web_json_str(&j, exposures_severity_name((int)db_col_i64(st, 2)));
		web_json_key(&j, "cvss");
		cvss_str(cv, db_col_isnull(st, 3), db_col_i64(st, 3));
		web_json_str(&j, cv[0] ? cv : NULL);
		web_json_key(&j, "cvss_version");
		web_json_str(&j, db_col_text(st, 4));
		web_json_key(&j, "cvss_vector");
		web_json_str(&j, db_col_text(st, 5));
		web_json_key(&j, "kev");
		web_json_bool(&j, db_col_i64(st, 6) != 0);
		web_json_key(&j, "kev_added");
		json_date(&j, db_col_isnull(st, 7), db_col_i64(st, 7));
		web_json_key(&j, "kev_due");
		json_date(&j, db_col_isnull(st, 8), db_col_i64(st, 8));
		web_json_key(&j, "kev_ransomware");
		web_json_bool(&j, !db_col_isnull(st, 9) && db_col_i64(st, 9) != 0);
		web_json_key(&j, "aliases");
		web_json_str(&j, db_col_text(st, 10));
		web_json_key(&j, "cwe");
		web_json_str(&j, db_col_text(st, 11));
		web_json_key(&j, "published");
		json_iso(&j, db_col_isnull(st, 12), db_col_i64(st, 12));
		web_json_key(&j, "modified");
		json_iso(&j, db_col_isnull(st, 13), db_col_i64(st, 13));
		db_reset(st);
	}
	web_json_key(&j, "records");
	web_json_array(&j);
	st = db_prep(c->db, "SELECT s.name, s.kind, r.entry_key, r.withdrawn, r.updated_at FROM feed_records r"
			    " JOIN feed_sources s ON s.id = r.source_id WHERE r.record_id = ?1 ORDER BY s.name, r.id LIMIT 100");
	db_bind_text(st, 1, id);
	while (db_step(st) == DB_ROW) {
		web_json_object(&j);
		web_json_key(&j, "feed");
		web_json_str(&j, db_col_text(st, 0));
		web_json_key(&j, "kind");
		web_json_str(&j, db_col_text(st, 1));
		web_json_key(&j, "entry");
		web_json_str(&j, db_col_text(st, 2));
		web_json_key(&j, "withdrawn");
		web_json_bool(&j, db_col_i64(st, 3) != 0);
		web_json_key(&j, "updated_at");
		json_iso(&j, false, db_col_i64(st, 4));
		web_json_end(&j);
	}
	web_json_end(&j);
	web_json_key(&j, "exposed");
	web_json_object(&j);
	web_json_key(&j, "scope");
	web_json_str(&j, c->actor.org_code);
	web_json_key(&j, "organisations");
	web_json_int(&j, orgs);
	web_json_key(&j, "exposures");
	web_json_int(&j, exposures);
	web_json_end(&j);
	web_json_end(&j);
	web_json_end(&j);
}

/* ---- CycloneDX 1.6 VEX ---- */

static const char *cdx_state(const char *state)
{
	if (!strcmp(state, "affected"))
		return "exploitable";
	if (!strcmp(state, "not_affected"))
		return "not_affected";
	if (!strcmp(state, "fixed"))
		return "resolved";
	return "in_triage";   /* new, under investigation */
}

static void uuid_v4(char out[37])
{
	uint8_t r[16];
	bw_random(r, sizeof r);
	r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
	r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
	char hex[33];
	bw_hex(r, 16, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* Rows: one per current exposure, grouped by (vulnerability, decision). */
#define VEX_SQL "SELECT e.vuln_id, coalesce(d.id, 0), coalesce(d.state, 'new'), d.justification, d.note, d.decided_at," \
	" e.component_id, e.answer, v.cvss10, v.cvss_vector, " EXPOSURES_SEV_RANK ", v.title, e.first_seen, v.cvss_version" \
	" FROM exposures e JOIN orgs o ON o.id = e.org_id LEFT JOIN vulnerabilities v ON v.id = e.vuln_id" \
	EXPOSURES_JOIN_DECISION " WHERE e.gone_at IS NULL AND o.path >= ?1 AND o.path < ?2" \
	" ORDER BY e.vuln_id, coalesce(d.id, 0), e.component_id LIMIT ?3"

static void api_vex(struct ctx *c)
{
	struct org o;
	if (orgs_get_by_code(c->db, ctx_param(c, "org"), &o, NULL) != BW_OK)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "No such organisation");
	char lo[256], hi[256];
	orgs_subtree_bounds(o.path, lo, hi);
	struct web_json j;
	ctx_json_begin(c, &j);
	c->resp->content_type = "application/vnd.cyclonedx+json; version=1.6";
	http_resp_header(c->resp, "Content-Disposition", arena_printf(c->arena, "attachment; filename=\"vex-%s.cdx.json\"", o.code));
	char uuid[37], now[32];
	uuid_v4(uuid);
	bw_time_iso(bw_now(), now);
	web_json_object(&j);
	web_json_key(&j, "bomFormat");
	web_json_str(&j, "CycloneDX");
	web_json_key(&j, "specVersion");
	web_json_str(&j, "1.6");
	web_json_key(&j, "serialNumber");
	web_json_str(&j, arena_printf(c->arena, "urn:uuid:%s", uuid));
	web_json_key(&j, "version");
	web_json_int(&j, 1);
	web_json_key(&j, "metadata");
	web_json_object(&j);
	web_json_key(&j, "timestamp");
	web_json_str(&j, now);
	web_json_key(&j, "tools");
	web_json_object(&j);
	web_json_key(&j, "components");
	web_json_array(&j);
	web_json_object(&j);
	web_json_key(&j, "type");
	web_json_str(&j, "application");
	web_json_key(&j, "name");
	web_json_str(&j, WEB_SERVICE_NAME);
	web_json_end(&j);
	web_json_end(&j);
	web_json_end(&j);
	web_json_key(&j, "component");
	web_json_object(&j);
	web_json_key(&j, "type");
	web_json_str(&j, "platform");
	web_json_key(&j, "bom-ref");
	web_json_str(&j, arena_printf(c->arena, "org:%s", o.code));
	web_json_key(&j, "name");
	web_json_str(&j, arena_printf(c->arena, "%s (%s) systems", o.name, o.code));
	web_json_end(&j);
	web_json_end(&j);

	/* the components that have current exposures, each once */
	web_json_key(&j, "components");
	web_json_array(&j);
	struct db_stmt *st = db_prep(c->db, "SELECT DISTINCT c.id, c.vendor, c.product, c.version, c.cpe, c.purl, s.name"
					    " FROM exposures e JOIN orgs o ON o.id = e.org_id JOIN components c ON c.id = e.component_id"
					    " LEFT JOIN systems s ON s.id = c.system_id"
					    " WHERE e.gone_at IS NULL AND o.path >= ?1 AND o.path < ?2 ORDER BY c.id LIMIT ?3");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_i64(st, 3, EXPOSURES_LIM_EXPORT);
	while (db_step(st) == DB_ROW) {
		web_json_object(&j);
		web_json_key(&j, "type");
		web_json_str(&j, "application");
		web_json_key(&j, "bom-ref");
		web_json_str(&j, arena_printf(c->arena, "component-%lld", (long long)db_col_i64(st, 0)));
		if (db_col_text(st, 1) && *db_col_text(st, 1)) {
			web_json_key(&j, "publisher");
			web_json_str(&j, db_col_text(st, 1));
		}
		web_json_key(&j, "name");
		web_json_str(&j, db_col_text(st, 2));
		if (db_col_text(st, 3) && *db_col_text(st, 3)) {
			web_json_key(&j, "version");
			web_json_str(&j, db_col_text(st, 3));
		}
		if (db_col_text(st, 4) && *db_col_text(st, 4)) {
			web_json_key(&j, "cpe");
			web_json_str(&j, db_col_text(st, 4));
		}
		if (db_col_text(st, 5) && *db_col_text(st, 5)) {
			web_json_key(&j, "purl");
			web_json_str(&j, db_col_text(st, 5));
		}
		web_json_key(&j, "properties");
		web_json_array(&j);
		web_json_object(&j);
		web_json_key(&j, "name");
		web_json_str(&j, "bulwark:system");
		web_json_key(&j, "value");
		web_json_str(&j, db_col_text(st, 6) ? db_col_text(st, 6) : "");
		web_json_end(&j);
		web_json_end(&j);
		web_json_end(&j);
	}
	web_json_end(&j);

	web_json_key(&j, "vulnerabilities");
	web_json_array(&j);
	st = db_prep(c->db, VEX_SQL);
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_i64(st, 3, EXPOSURES_LIM_EXPORT);
	char cur_vuln[256] = "";
	int64_t cur_dec = -1;
	bool open = false, any_unknown = false;
	while (db_step(st) == DB_ROW) {
		const char *vid = db_col_text(st, 0);
		int64_t dec = db_col_i64(st, 1);
		if (!open || strcmp(vid, cur_vuln) || dec != cur_dec) {
			if (open) {
				web_json_end(&j);   /* affects */
				web_json_end(&j);   /* the vulnerability */
			}
			open = true;
			any_unknown = false;
			snprintf(cur_vuln, sizeof cur_vuln, "%s", vid);
			cur_dec = dec;
			web_json_object(&j);
			web_json_key(&j, "bom-ref");
			web_json_str(&j, arena_printf(c->arena, "%s/%lld", vid, (long long)dec));
			web_json_key(&j, "id");
			web_json_str(&j, vid);
			if (db_col_text(st, 11)) {
				web_json_key(&j, "description");
				web_json_str(&j, db_col_text(st, 11));
			}
			if (!db_col_isnull(st, 8) || (int)db_col_i64(st, 10) > 0) {
				web_json_key(&j, "ratings");
				web_json_array(&j);
				web_json_object(&j);
				web_json_key(&j, "severity");
				web_json_str(&j, exposures_severity_name((int)db_col_i64(st, 10)));
				const char *ver = db_col_text(st, 13);
				if (ver && *ver) {
					web_json_key(&j, "method");
					web_json_str(&j, !strcmp(ver, "4.0") ? "CVSSv4" : !strcmp(ver, "2.0") ? "CVSSv2"
							 : !strcmp(ver, "3.0") ? "CVSSv3" : "CVSSv31");
				}
				if (db_col_text(st, 9)) {
					web_json_key(&j, "vector");
					web_json_str(&j, db_col_text(st, 9));
				}
				web_json_end(&j);
				web_json_end(&j);
			}
			const char *state = db_col_text(st, 2), *just = db_col_text(st, 3);
			web_json_key(&j, "analysis");
			web_json_object(&j);
			web_json_key(&j, "state");
			web_json_str(&j, cdx_state(state));
			enum exposures_just jv;
			if (!strcmp(state, "not_affected") && just && exposures_just_parse(just, &jv)) {
				web_json_key(&j, "justification");
				web_json_str(&j, exposures_just_cyclonedx(jv));
			}
			any_unknown = !strcmp(db_col_text(st, 7), "unknown");
			struct buf d;
			buf_init(&d);
			buf_printf(&d, "Bulwark triage state: %s", state);
			if (just)
				buf_printf(&d, "; CSAF justification: %s", just);
			if (db_col_text(st, 4))
				buf_printf(&d, "; note: %s", db_col_text(st, 4));
			if (any_unknown && !strcmp(state, "new"))
				buf_puts(&d, "; the version could not be compared with the advisory (cannot tell)");
			web_json_key(&j, "detail");
			web_json_str(&j, buf_cstr(&d));
			buf_free(&d);
			if (!db_col_isnull(st, 5)) {
				web_json_key(&j, "lastUpdated");
				json_iso(&j, false, db_col_i64(st, 5));
			}
			web_json_end(&j);
			web_json_key(&j, "affects");
			web_json_array(&j);
		}
		web_json_object(&j);
		web_json_key(&j, "ref");
		web_json_str(&j, arena_printf(c->arena, "component-%lld", (long long)db_col_i64(st, 6)));
		web_json_end(&j);
	}
	if (open) {
		web_json_end(&j);
		web_json_end(&j);
	}
	web_json_end(&j);
	web_json_end(&j);
}

const struct route exposures_api_routes[] = {
	{ "GET", "/api/v1/exposures", api_list, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/api/v1/orgs/{org}/exposures", api_org_list, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ "GET", "/api/v1/exposures/{exposure}", api_get, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "exposure" },
	{ "POST", "/api/v1/exposures/{exposure}/triage", api_triage, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, "exposure" },
	{ "GET", "/api/v1/vulnerabilities/{vuln}", api_vuln, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/api/v1/orgs/{org}/vex", api_vex, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ NULL },
};

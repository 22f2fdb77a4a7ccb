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
 *   GET  /api/v1/orgs/{org}/vex/csaf             the same as a CSAF 2.0 VEX document
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

/* ---- CSAF 2.0 VEX (profile csaf_vex) ---- */

static void kv(struct web_json *j, const char *k, const char *v)
{
	web_json_key(j, k);
	web_json_str(j, v);
}

/* CSAF's cve field takes CVE ids only; others go to ids[] under their
 * system's prefix ("GHSA", "RUSTSEC", "ALSA"...). */
static bool is_cve(const char *id)
{
	if (strncmp(id, "CVE-", 4) || strlen(id) < 13)
		return false;
	for (int i = 4; i < 8; i++)
		if (id[i] < '0' || id[i] > '9')
			return false;
	if (id[8] != '-')
		return false;
	for (const char *p = id + 9; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* The product_status bucket of a triage state. */
static int csaf_bucket(const char *state)
{
	if (!strcmp(state, "affected"))
		return 0;
	if (!strcmp(state, "not_affected"))
		return 1;
	if (!strcmp(state, "fixed"))
		return 2;
	return 3;   /* new, under investigation */
}

static const char *const csaf_buckets[] = { "known_affected", "known_not_affected", "fixed", "under_investigation" };

struct csaf_prod {
	int64_t component;
	int bucket;
	const char *just;          /* a CSAF flag label, or NULL */
	bool unknown;              /* the engine could not tell */
};

static void product_ids(struct web_json *j, const struct csaf_prod *p, size_t n, int bucket, const char *just)
{
	web_json_key(j, "product_ids");
	web_json_array(j);
	for (size_t i = 0; i < n; i++)
		if (p[i].bucket == bucket && (!just || (p[i].just && !strcmp(p[i].just, just)))) {
			char id[40];
			snprintf(id, sizeof id, "CSAFPID-%lld", (long long)p[i].component);
			web_json_str(j, id);
		}
	web_json_end(j);
}

/* One vulnerabilities[] element: the statuses, an impact statement for
 * every product not affected (a flag where the justification is one of
 * CSAF's labels) and an action statement for every one affected, as the
 * VEX profile requires (mandatory tests 6.1.27.9 and 6.1.27.10). */
static void csaf_vuln(struct ctx *c, struct web_json *j, const char *vid, const char *title, const struct csaf_prod *p,
		      size_t n)
{
	web_json_object(j);
	if (is_cve(vid)) {
		kv(j, "cve", vid);
	} else {
		const char *dash = strchr(vid, '-');
		web_json_key(j, "ids");
		web_json_array(j);
		web_json_object(j);
		kv(j, "system_name", dash && dash > vid ? arena_strndup(c->arena, vid, (size_t)(dash - vid)) : "Bulwark");
		kv(j, "text", vid);
		web_json_end(j);
		web_json_end(j);
	}
	web_json_key(j, "notes");
	web_json_array(j);
	web_json_object(j);
	kv(j, "category", "description");
	kv(j, "text", title && *title ? title : vid);
	kv(j, "title", "Vulnerability");
	web_json_end(j);
	web_json_end(j);
	bool has[4] = { false }, unjustified = false, unknown = false;
	for (size_t i = 0; i < n; i++) {
		has[p[i].bucket] = true;
		if (p[i].bucket == 1 && !p[i].just)
			unjustified = true;
		if (p[i].bucket == 3 && p[i].unknown)
			unknown = true;
	}
	web_json_key(j, "product_status");
	web_json_object(j);
	for (int b = 0; b < 4; b++)
		if (has[b]) {
			web_json_key(j, csaf_buckets[b]);
			web_json_array(j);
			for (size_t i = 0; i < n; i++)
				if (p[i].bucket == b)
					web_json_str(j, arena_printf(c->arena, "CSAFPID-%lld", (long long)p[i].component));
			web_json_end(j);
		}
	web_json_end(j);
	if (has[1]) {
		/* one flag per justification used */
		const char *labels[EXPOSURE_JUST_COUNT];
		size_t nl = 0;
		for (size_t i = 0; i < n; i++) {
			if (p[i].bucket != 1 || !p[i].just)
				continue;
			bool seen = false;
			for (size_t k = 0; k < nl && !seen; k++)
				seen = !strcmp(labels[k], p[i].just);
			if (!seen && nl < BW_NELEM(labels))
				labels[nl++] = p[i].just;
		}
		if (nl) {
			web_json_key(j, "flags");
			web_json_array(j);
			for (size_t k = 0; k < nl; k++) {
				web_json_object(j);
				kv(j, "label", labels[k]);
				product_ids(j, p, n, 1, labels[k]);
				web_json_end(j);
			}
			web_json_end(j);
		}
	}
	if (unjustified) {
		web_json_key(j, "threats");
		web_json_array(j);
		web_json_object(j);
		kv(j, "category", "impact");
		kv(j, "details", "Assessed as not affected by the organisation.");
		web_json_key(j, "product_ids");
		web_json_array(j);
		for (size_t i = 0; i < n; i++)
			if (p[i].bucket == 1 && !p[i].just)
				web_json_str(j, arena_printf(c->arena, "CSAFPID-%lld", (long long)p[i].component));
		web_json_end(j);
		web_json_end(j);
		web_json_end(j);
	}
	if (has[0]) {
		web_json_key(j, "remediations");
		web_json_array(j);
		web_json_object(j);
		kv(j, "category", "mitigation");
		kv(j, "details", "Affected: apply the supplier's fix or the mitigation the advisory gives, then record it as fixed.");
		product_ids(j, p, n, 0, NULL);
		web_json_end(j);
		web_json_end(j);
	}
	if (unknown) {
		web_json_key(j, "involvements");
		web_json_array(j);
		web_json_object(j);
		kv(j, "party", "user");
		kv(j, "status", "in_progress");
		kv(j, "summary", "Some versions could not be compared with the advisory's ranges (cannot tell): they are under investigation.");
		web_json_end(j);
		web_json_end(j);
	}
	web_json_end(j);
}

#define CSAF_VEX_SQL "SELECT e.vuln_id, coalesce(d.state, 'new'), d.justification, e.component_id, e.answer, v.title" \
	" FROM exposures e JOIN orgs o ON o.id = e.org_id LEFT JOIN vulnerabilities v ON v.id = e.vuln_id" \
	EXPOSURES_JOIN_DECISION " WHERE e.gone_at IS NULL AND o.path >= ?1 AND o.path < ?2" \
	" ORDER BY e.vuln_id, e.component_id LIMIT ?3"

static void api_csaf_vex(struct ctx *c)
{
	struct org o;
	if (orgs_get_by_code(c->db, ctx_param(c, "org"), &o, NULL) != BW_OK)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "No such organisation");
	char lo[256], hi[256];
	orgs_subtree_bounds(o.path, lo, hi);
	int64_t now = bw_now();
	char when[32];
	bw_time_iso(now, when);
	struct web_json j;
	ctx_json_begin(c, &j);
	http_resp_header(c->resp, "Content-Disposition", arena_printf(c->arena, "attachment; filename=\"vex-%s.csaf.json\"", o.code));
	web_json_object(&j);
	web_json_key(&j, "document");
	web_json_object(&j);
	kv(&j, "category", "csaf_vex");
	kv(&j, "csaf_version", "2.0");
	/* an organisation's exposures tell an attacker where to look */
	web_json_key(&j, "distribution");
	web_json_object(&j);
	kv(&j, "text", "TLP:AMBER: the organisation's own and its suppliers' use only");
	web_json_key(&j, "tlp");
	web_json_object(&j);
	kv(&j, "label", "AMBER");
	kv(&j, "url", "https://www.first.org/tlp/");
	web_json_end(&j);
	web_json_end(&j);
	web_json_key(&j, "notes");
	web_json_array(&j);
	web_json_object(&j);
	kv(&j, "category", "summary");
	kv(&j, "text", arena_printf(c->arena, "Whether the known vulnerabilities that %s (%s) runs affect it: found by %s's"
				    " matching of its inventory against the public feeds, with the organisation's triage"
				    " decisions.", o.name, o.code, WEB_SERVICE_NAME));
	kv(&j, "title", "About this document");
	web_json_end(&j);
	web_json_end(&j);
	web_json_key(&j, "publisher");
	web_json_object(&j);
	kv(&j, "category", "user");
	kv(&j, "name", arena_printf(c->arena, "%s (%s)", o.name, o.code));
	kv(&j, "namespace", "https://bulwark.example/");
	web_json_end(&j);
	kv(&j, "title", arena_printf(c->arena, "VEX for the systems of %s", o.name));
	web_json_key(&j, "tracking");
	web_json_object(&j);
	kv(&j, "current_release_date", when);
	web_json_key(&j, "generator");
	web_json_object(&j);
	kv(&j, "date", when);
	web_json_key(&j, "engine");
	web_json_object(&j);
	kv(&j, "name", WEB_SERVICE_NAME);
	web_json_end(&j);
	web_json_end(&j);
	/* a snapshot: each export is its own document, named by org and time */
	kv(&j, "id", arena_printf(c->arena, "BULWARK-VEX-%s-%lld", o.code, (long long)now));
	kv(&j, "initial_release_date", when);
	web_json_key(&j, "revision_history");
	web_json_array(&j);
	web_json_object(&j);
	kv(&j, "date", when);
	kv(&j, "number", "1");
	kv(&j, "summary", "Exported from the current exposures.");
	web_json_end(&j);
	web_json_end(&j);
	kv(&j, "status", "final");
	kv(&j, "version", "1");
	web_json_end(&j);
	web_json_end(&j);   /* document */

	/* the components with current exposures, each a product */
	web_json_key(&j, "product_tree");
	web_json_object(&j);
	web_json_key(&j, "full_product_names");
	web_json_array(&j);
	struct db_stmt *st = db_prep(c->db, "SELECT DISTINCT c.id, c.vendor, c.product, c.version, c.cpe, c.purl, s.name"
					    " FROM exposures e JOIN orgs o ON o.id = e.org_id JOIN components c ON c.id = e.component_id"
					    " LEFT JOIN systems s ON s.id = c.system_id"
					    " WHERE e.gone_at IS NULL AND o.path >= ?1 AND o.path < ?2 ORDER BY c.id LIMIT ?3");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_i64(st, 3, EXPOSURES_LIM_EXPORT);
	while (db_step(st) == DB_ROW) {
		const char *vendor = db_col_text(st, 1), *version = db_col_text(st, 3), *sys = db_col_text(st, 6);
		const char *cpe = db_col_text(st, 4), *purl = db_col_text(st, 5);
		web_json_object(&j);
		kv(&j, "name", arena_printf(c->arena, "%s%s%s%s%s%s%s", vendor && *vendor ? vendor : "",
					    vendor && *vendor ? " " : "", db_col_text(st, 2), version && *version ? " " : "",
					    version && *version ? version : "", sys ? " in " : "", sys ? sys : ""));
		kv(&j, "product_id", arena_printf(c->arena, "CSAFPID-%lld", (long long)db_col_i64(st, 0)));
		bool has_cpe = cpe && !strncmp(cpe, "cpe:2.3:", 8), has_purl = purl && !strncmp(purl, "pkg:", 4);
		if (has_cpe || has_purl) {
			web_json_key(&j, "product_identification_helper");
			web_json_object(&j);
			if (has_cpe)
				kv(&j, "cpe", cpe);
			if (has_purl)
				kv(&j, "purl", purl);
			web_json_end(&j);
		}
		web_json_end(&j);
	}
	web_json_end(&j);
	web_json_end(&j);

	web_json_key(&j, "vulnerabilities");
	web_json_array(&j);
	st = db_prep(c->db, CSAF_VEX_SQL);
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_i64(st, 3, EXPOSURES_LIM_EXPORT);
	const char *cur = NULL, *title = NULL;
	struct csaf_prod *p = NULL;
	size_t n = 0, cap = 0;
	while (db_step(st) == DB_ROW) {
		const char *vid = db_col_text(st, 0);
		if (cur && strcmp(cur, vid)) {
			csaf_vuln(c, &j, cur, title, p, n);
			n = 0;
		}
		if (!cur || strcmp(cur, vid)) {
			cur = arena_strdup(c->arena, vid);
			title = db_col_text(st, 5) ? arena_strdup(c->arena, db_col_text(st, 5)) : NULL;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct csaf_prod *np = arena_alloc(c->arena, cap * sizeof *np);
			if (n)
				memcpy(np, p, n * sizeof *np);
			p = np;
		}
		const char *just = db_col_text(st, 2);
		enum exposures_just jv;
		p[n].component = db_col_i64(st, 3);
		p[n].bucket = csaf_bucket(db_col_text(st, 1));
		p[n].just = p[n].bucket == 1 && just && exposures_just_parse(just, &jv) ? exposures_just_name(jv) : NULL;
		p[n].unknown = !strcmp(db_col_text(st, 4), "unknown");
		n++;
	}
	if (cur)
		csaf_vuln(c, &j, cur, title, p, n);
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
	{ "GET", "/api/v1/orgs/{org}/vex/csaf", api_csaf_vex, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, "org" },
	{ NULL },
};

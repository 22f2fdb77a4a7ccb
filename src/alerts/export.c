/*
 * export: an advisory's latest published revision as a CSAF 2.0 document
 * (profile csaf_security_advisory) and as a STIX 2.1 bundle (vulnerability,
 * course-of-action, indicator, relationship and report objects), for the
 * pages and the API, and the same STIX objects through a read-only TAXII
 * 2.1 server. All go through alerts_visible() like every other read path.
 *
 * CSAF 2.0 and STIX 2.1 carry TLP 1.0 labels: TLP:CLEAR is written as WHITE
 * and TLP:AMBER+STRICT as AMBER with the exact TLP 2.0 label stated beside
 * it (CSAF distribution text, a STIX note in the report's description), so
 * nothing is shared more widely than the advisory allows.
 *
 * Identifiers are derived from the advisory, revision and item, so the same
 * revision always exports byte-identical documents.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/alerts.h"
#include "app/routes.h"

/* "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx" from SHA-256 of the parts. */
static void uuid_of(const char *a, const char *b, const char *c, char out[37])
{
	struct buf in;
	buf_init(&in);
	buf_printf(&in, "%s\n%s\n%s", a, b, c);
	uint8_t h[32];
	bw_sha256(in.p, in.len, h);
	buf_free(&in);
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x50);
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
	char hex[33];
	bw_hex(h, 16, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* Items separated by new lines (and, for CVE IDs, commas and spaces). */
static const char *next_item(const char *s, bool by_space, char *out, size_t n)
{
	while (*s && (*s == '\n' || *s == '\r' || (by_space && (*s == ',' || isspace((unsigned char)*s)))))
		s++;
	if (!*s)
		return NULL;
	const char *b = s;
	while (*s && *s != '\n' && !(by_space && (*s == ',' || isspace((unsigned char)*s))))
		s++;
	struct str t = str_trim((struct str){ b, (size_t)(s - b) });
	snprintf(out, n, "%.*s", (int)(t.n < n ? t.n : n - 1), t.p);
	return s;
}

static const char *tlp1(enum alerts_tlp t)
{
	static const char *const l[] = { "WHITE", "GREEN", "AMBER", "AMBER", "RED" };
	return (unsigned)t < TLP_COUNT ? l[t] : "RED";
}

struct exp {
	struct ctx *c;
	struct alerts_advisory adv;
	const char *v[AF_NFIELDS];
	int64_t published;     /* this revision */
	int64_t first;         /* the first revision */
	enum alerts_tlp tlp;
};

/* The latest published revision of advisory id, if the caller may see it. */
static bool load_id(struct ctx *c, const char *id, struct exp *e)
{
	memset(e, 0, sizeof *e);
	e->c = c;
	struct bw_error err = { 0 };
	if (alerts_get(c->db, c->arena, id, &e->adv) != BW_OK || !alerts_visible(c->db, &c->actor, &e->adv, 0) ||
	    e->adv.revision == 0 || alerts_revision_get(c->db, c->arena, e->adv.id, 0, e->v, &e->published, &err) != BW_OK)
		return false;
	e->first = e->adv.published_at;
	if (!alerts_tlp_parse(e->v[AF_TLP], &e->tlp))
		e->tlp = TLP_RED;
	return true;
}

static bool load(struct ctx *c, struct exp *e)
{
	if (load_id(c, ctx_param(c, "advisory"), e))
		return true;
	ctx_fail(c, BW_ENOTFOUND, NULL, "No such advisory");
	return false;
}

static void iso(struct web_json *j, const char *key, int64_t t)
{
	char s[32];
	bw_time_iso(t, s);
	web_json_key(j, key);
	web_json_str(j, s);
}

static void kv(struct web_json *j, const char *k, const char *v)
{
	web_json_key(j, k);
	web_json_str(j, v);
}

static void note(struct web_json *j, const char *category, const char *title, const char *text)
{
	web_json_object(j);
	kv(j, "category", category);
	kv(j, "text", text);
	kv(j, "title", title);
	web_json_end(j);
}

/* ---- CSAF 2.0 ---- */

static void get_csaf(struct ctx *c)
{
	struct exp e;
	if (!load(c, &e))
		return;
	const char *id = e.adv.id;
	struct web_json j;
	ctx_json_begin(c, &j);
	http_resp_header(c->resp, "Content-Disposition",
			 arena_printf(c->arena, "attachment; filename=\"%s.json\"", id));
	web_json_object(&j);
	web_json_key(&j, "document");
	web_json_object(&j);
	kv(&j, "category", "csaf_security_advisory");
	kv(&j, "csaf_version", "2.0");
	web_json_key(&j, "distribution");
	web_json_object(&j);
	kv(&j, "text", arena_printf(c->arena, "%s: share only as this label allows", alerts_tlp_label(e.tlp)));
	web_json_key(&j, "tlp");
	web_json_object(&j);
	kv(&j, "label", tlp1(e.tlp));
	kv(&j, "url", "https://www.first.org/tlp/");
	web_json_end(&j);
	web_json_end(&j);
	kv(&j, "lang", "en-GB");
	web_json_key(&j, "notes");
	web_json_array(&j);
	note(&j, "summary", "Summary", e.v[AF_SUMMARY]);
	if (*e.v[AF_DETAILS])
		note(&j, "details", "Threat details", e.v[AF_DETAILS]);
	if (*e.v[AF_THREAT])
		note(&j, "general", "Threat type", e.v[AF_THREAT]);
	note(&j, "general", "Type and severity",
	     arena_printf(c->arena, "%s, severity %s", alerts_type_label(e.v[AF_TYPE]), e.v[AF_SEVERITY]));
	web_json_end(&j);
	web_json_key(&j, "publisher");
	web_json_object(&j);
	kv(&j, "category", "coordinator");
	kv(&j, "name", "Bulwark national cyber security team");
	kv(&j, "namespace", "https://bulwark.example/");
	web_json_end(&j);
	/* web addresses only; the schema wants the list absent rather than empty */
	char item[ALERTS_LIST_MAX + 1];
	int nref = 0;
	for (const char *p = e.v[AF_REFS]; (p = next_item(p, false, item, sizeof item)) != NULL;) {
		if (strncmp(item, "https://", 8) != 0 && strncmp(item, "http://", 7) != 0)
			continue;
		if (!nref++) {
			web_json_key(&j, "references");
			web_json_array(&j);
		}
		web_json_object(&j);
		kv(&j, "category", "external");
		kv(&j, "summary", "Reference");
		kv(&j, "url", item);
		web_json_end(&j);
	}
	if (nref)
		web_json_end(&j);
	kv(&j, "title", e.v[AF_TITLE]);
	web_json_key(&j, "tracking");
	web_json_object(&j);
	iso(&j, "current_release_date", e.published);
	kv(&j, "id", id);
	iso(&j, "initial_release_date", e.first);
	web_json_key(&j, "revision_history");
	web_json_array(&j);
	struct db_stmt *st = db_prep(c->db, "SELECT revision, published_at, change_note FROM advisory_revisions"
					    " WHERE advisory_id = ?1 ORDER BY revision LIMIT 500");
	db_bind_text(st, 1, id);
	while (db_step(st) == DB_ROW) {
		web_json_object(&j);
		iso(&j, "date", db_col_i64(st, 1));
		kv(&j, "number", arena_printf(c->arena, "%lld", (long long)db_col_i64(st, 0)));
		kv(&j, "summary", *db_col_text(st, 2) ? db_col_text(st, 2) : "Published");
		web_json_end(&j);
	}
	web_json_end(&j);
	kv(&j, "status", "final");
	kv(&j, "version", arena_printf(c->arena, "%d", e.adv.revision));
	web_json_end(&j);
	web_json_end(&j);

	/* products: one per line; a CPE or purl becomes its identification helper */
	web_json_key(&j, "product_tree");
	web_json_object(&j);
	web_json_key(&j, "full_product_names");
	web_json_array(&j);
	int np = 0;
	for (const char *p = e.v[AF_PRODUCTS]; (p = next_item(p, false, item, sizeof item)) != NULL;) {
		np++;
		web_json_object(&j);
		kv(&j, "name", item);
		kv(&j, "product_id", arena_printf(c->arena, "CSAFPID-%04d", np));
		if (strncmp(item, "cpe:2.3:", 8) == 0 || strncmp(item, "pkg:", 4) == 0) {
			web_json_key(&j, "product_identification_helper");
			web_json_object(&j);
			kv(&j, strncmp(item, "pkg:", 4) == 0 ? "purl" : "cpe", item);
			web_json_end(&j);
		}
		web_json_end(&j);
	}
	if (!np) {
		np = 1;
		web_json_object(&j);
		kv(&j, "name", arena_printf(c->arena, "Products named in %s", id));
		kv(&j, "product_id", "CSAFPID-0001");
		web_json_end(&j);
	}
	web_json_end(&j);
	web_json_end(&j);

	/* one vulnerability per CVE ID (one without a CVE when none is given) */
	web_json_key(&j, "vulnerabilities");
	web_json_array(&j);
	const char *cp = e.v[AF_CVES];
	char cve[64];
	bool any = false;
	for (;;) {
		cp = cp ? next_item(cp, true, cve, sizeof cve) : NULL;
		if (!cp && any)
			break;
		any = true;
		web_json_object(&j);
		if (cp)
			kv(&j, "cve", cve);
		web_json_key(&j, "notes");
		web_json_array(&j);
		note(&j, "description", "Summary", e.v[AF_SUMMARY]);
		web_json_end(&j);
		web_json_key(&j, "product_status");
		web_json_object(&j);
		web_json_key(&j, "known_affected");
		web_json_array(&j);
		for (int k = 1; k <= np; k++)
			web_json_str(&j, arena_printf(c->arena, "CSAFPID-%04d", k));
		web_json_end(&j);
		web_json_end(&j);
		web_json_key(&j, "remediations");
		web_json_array(&j);
		web_json_object(&j);
		kv(&j, "category", "mitigation");
		kv(&j, "details", e.v[AF_REMEDIATION]);
		web_json_key(&j, "product_ids");
		web_json_array(&j);
		for (int k = 1; k <= np; k++)
			web_json_str(&j, arena_printf(c->arena, "CSAFPID-%04d", k));
		web_json_end(&j);
		web_json_end(&j);
		web_json_end(&j);
		web_json_end(&j);
		if (!cp)
			break;
	}
	web_json_end(&j);
	web_json_end(&j);
}

/* ---- STIX 2.1 ---- */

static const char *tlp_marking(enum alerts_tlp t)
{
	/* the TLP 1.0 marking definitions STIX 2.1 predefines */
	static const char *const m[] = {
		"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
		"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
		"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
	};
	return (unsigned)t < TLP_COUNT ? m[t] : m[TLP_RED];
}

/* A STIX pattern for an indicator of compromise, or false when it is none
 * of the kinds recognised (IPv4 address, SHA-256 / SHA-1 / MD5, domain). */
static bool ioc_pattern(const char *v, struct buf *out)
{
	size_t n = strlen(v), digits = 0, dots = 0, hex = 0;
	bool domain = n > 0 && n <= 253;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		digits += isdigit(ch) != 0;
		dots += ch == '.';
		hex += isxdigit(ch) != 0;
		if (!isalnum(ch) && ch != '.' && ch != '-')
			domain = false;
	}
	if (digits + dots == n && dots == 3) {
		buf_printf(out, "[ipv4-addr:value = '%s']", v);
		return true;
	}
	if (hex == n && (n == 64 || n == 40 || n == 32)) {
		buf_printf(out, "[file:hashes.'%s' = '%s']", n == 64 ? "SHA-256" : n == 40 ? "SHA-1" : "MD5", v);
		return true;
	}
	if (domain && dots >= 1 && !isdigit((unsigned char)v[n - 1])) {
		buf_printf(out, "[domain-name:value = '%s']", v);
		return true;
	}
	return false;
}

static void common(struct web_json *j, const struct exp *e, const char *type, const char *uuid)
{
	kv(j, "type", type);
	kv(j, "spec_version", "2.1");
	web_json_key(j, "id");
	web_json_str(j, arena_printf(e->c->arena, "%s--%s", type, uuid));
	iso(j, "created", e->first);
	iso(j, "modified", e->published);
	web_json_key(j, "object_marking_refs");
	web_json_array(j);
	web_json_str(j, tlp_marking(e->tlp));
	web_json_end(j);
}

/* Writes the advisory's STIX objects into the array open in j. */
static void stix_objects(struct web_json *j, const struct exp *e)
{
	struct ctx *c = e->c;
	const char *id = e->adv.id;
	const char **refs = arena_alloc(c->arena, 1024 * sizeof *refs);
	size_t nrefs = 0;
	char coa[37];
	uuid_of(id, "", "course-of-action", coa);
	web_json_object(j);
	common(j, e, "course-of-action", coa);
	kv(j, "name", arena_printf(c->arena, "Remediation for %s", id));
	kv(j, "description", e->v[AF_REMEDIATION]);
	web_json_end(j);
	refs[nrefs++] = arena_printf(c->arena, "course-of-action--%s", coa);

	char item[ALERTS_LIST_MAX + 1];
	for (const char *p = e->v[AF_CVES]; nrefs < 1000 && (p = next_item(p, true, item, sizeof item)) != NULL;) {
		char vu[37], ru[37];
		uuid_of(id, item, "vulnerability", vu);
		web_json_object(j);
		common(j, e, "vulnerability", vu);
		kv(j, "name", item);
		web_json_key(j, "external_references");
		web_json_array(j);
		web_json_object(j);
		kv(j, "source_name", "cve");
		kv(j, "external_id", item);
		web_json_end(j);
		web_json_end(j);
		web_json_end(j);
		refs[nrefs++] = arena_printf(c->arena, "vulnerability--%s", vu);
		uuid_of(id, item, "mitigates", ru);
		web_json_object(j);
		common(j, e, "relationship", ru);
		kv(j, "relationship_type", "mitigates");
		web_json_key(j, "source_ref");
		web_json_str(j, arena_printf(c->arena, "course-of-action--%s", coa));
		web_json_key(j, "target_ref");
		web_json_str(j, arena_printf(c->arena, "vulnerability--%s", vu));
		web_json_end(j);
		refs[nrefs++] = arena_printf(c->arena, "relationship--%s", ru);
	}
	for (const char *p = e->v[AF_IOCS]; nrefs < 1000 && (p = next_item(p, false, item, sizeof item)) != NULL;) {
		struct buf pat;
		buf_init(&pat);
		if (ioc_pattern(item, &pat)) {
			char iu[37];
			uuid_of(id, item, "indicator", iu);
			web_json_object(j);
			common(j, e, "indicator", iu);
			kv(j, "name", arena_printf(c->arena, "%s indicator: %s", id, item));
			kv(j, "pattern", buf_cstr(&pat));
			kv(j, "pattern_type", "stix");
			iso(j, "valid_from", e->published);
			web_json_key(j, "indicator_types");
			web_json_array(j);
			web_json_str(j, "malicious-activity");
			web_json_end(j);
			web_json_end(j);
			refs[nrefs++] = arena_printf(c->arena, "indicator--%s", iu);
		}
		buf_free(&pat);
	}
	/* the advisory itself, pointing at everything above */
	char ru[37];
	uuid_of(id, "", "report", ru);
	web_json_object(j);
	common(j, e, "report", ru);
	kv(j, "name", arena_printf(c->arena, "%s: %s", id, e->v[AF_TITLE]));
	kv(j, "description", arena_printf(c->arena, "%s\n\nDistribution: %s.", e->v[AF_SUMMARY], alerts_tlp_label(e->tlp)));
	iso(j, "published", e->published);
	web_json_key(j, "report_types");
	web_json_array(j);
	web_json_str(j, "vulnerability");
	web_json_end(j);
	web_json_key(j, "object_refs");
	web_json_array(j);
	for (size_t i = 0; i < nrefs; i++)
		web_json_str(j, refs[i]);
	web_json_end(j);
	web_json_end(j);
}

static void get_stix(struct ctx *c)
{
	struct exp e;
	if (!load(c, &e))
		return;
	char rev[16], u[37];
	snprintf(rev, sizeof rev, "%d", e.adv.revision);
	uuid_of(e.adv.id, rev, "bundle", u);
	struct web_json j;
	ctx_json_begin(c, &j);
	http_resp_header(c->resp, "Content-Disposition",
			 arena_printf(c->arena, "attachment; filename=\"%s.stix.json\"", e.adv.id));
	web_json_object(&j);
	kv(&j, "type", "bundle");
	web_json_key(&j, "id");
	web_json_str(&j, arena_printf(c->arena, "bundle--%s", u));
	web_json_key(&j, "objects");
	web_json_array(&j);
	stix_objects(&j, &e);
	web_json_end(&j);
	web_json_end(&j);
}

/* ---- TAXII 2.1, read-only ----
 * One API root, /taxii2/alerts/, with two collections: every advisory the
 * caller may see, and the high severity alerts among them. A collection is
 * the same for everyone; what it holds is filtered per caller by
 * alerts_visible(), so TLP is enforced exactly as on the pages. Callers
 * authenticate as for the rest of the API (a bearer token). */

#define TAXII_TYPE "application/taxii+json;version=2.1"
#define TAXII_PAGE 20
#define TAXII_PAGE_MAX 100

static const struct {
	const char *id, *title, *description;
	bool high_only;
} collections[] = {
	{ "7d4c9e62-2f0b-4c1e-9a55-3b8e1f6d0a01", "Cyber alerts",
	  "Every published advisory you may see, as STIX 2.1 objects", false },
	{ "7d4c9e62-2f0b-4c1e-9a55-3b8e1f6d0a02", "High severity alerts",
	  "High severity alerts only (acknowledge within 48 hours)", true },
};

static void taxii_begin(struct ctx *c, struct web_json *j)
{
	ctx_json_begin(c, j);
	c->resp->content_type = TAXII_TYPE;
}

static void get_discovery(struct ctx *c)
{
	struct web_json j;
	taxii_begin(c, &j);
	web_json_object(&j);
	kv(&j, "title", "Bulwark TAXII server");
	kv(&j, "description", "Cyber alerts for health and care organisations (read-only)");
	kv(&j, "default", "/taxii2/alerts/");
	web_json_key(&j, "api_roots");
	web_json_array(&j);
	web_json_str(&j, "/taxii2/alerts/");
	web_json_end(&j);
	web_json_end(&j);
}

static void get_api_root(struct ctx *c)
{
	struct web_json j;
	taxii_begin(c, &j);
	web_json_object(&j);
	kv(&j, "title", "Cyber alerts");
	web_json_key(&j, "versions");
	web_json_array(&j);
	web_json_str(&j, TAXII_TYPE);
	web_json_end(&j);
	web_json_key(&j, "max_content_length");
	web_json_int(&j, LIM_BODY);
	web_json_end(&j);
}

static void collection_json(struct web_json *j, size_t i)
{
	web_json_object(j);
	kv(j, "id", collections[i].id);
	kv(j, "title", collections[i].title);
	kv(j, "description", collections[i].description);
	web_json_key(j, "can_read");
	web_json_bool(j, true);
	web_json_key(j, "can_write");
	web_json_bool(j, false);
	web_json_key(j, "media_types");
	web_json_array(j);
	web_json_str(j, "application/stix+json;version=2.1");
	web_json_end(j);
	web_json_end(j);
}

static void get_collections(struct ctx *c)
{
	struct web_json j;
	taxii_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "collections");
	web_json_array(&j);
	for (size_t i = 0; i < BW_NELEM(collections); i++)
		collection_json(&j, i);
	web_json_end(&j);
	web_json_end(&j);
}

static bool find_collection(struct ctx *c, size_t *out)
{
	const char *v = ctx_param(c, "collection");
	for (size_t i = 0; v && i < BW_NELEM(collections); i++)
		if (strcmp(v, collections[i].id) == 0) {
			*out = i;
			return true;
		}
	ctx_fail(c, BW_ENOTFOUND, NULL, "No such collection");
	return false;
}

static void get_collection(struct ctx *c)
{
	size_t i;
	if (!find_collection(c, &i))
		return;
	struct web_json j;
	taxii_begin(c, &j);
	collection_json(&j, i);
}

/* The STIX ids of one revision's objects, in the order stix_objects
 * writes them (the same items, the same derived identifiers). */
static size_t stix_ids(struct ctx *c, const char *id, const char *const *v, const char ***out)
{
	const char **ids = arena_alloc(c->arena, 1024 * sizeof *ids);
	size_t n = 0;
	char u[37], item[ALERTS_LIST_MAX + 1];
	uuid_of(id, "", "course-of-action", u);
	ids[n++] = arena_printf(c->arena, "course-of-action--%s", u);
	for (const char *p = v[AF_CVES]; n < 1000 && (p = next_item(p, true, item, sizeof item)) != NULL;) {
		uuid_of(id, item, "vulnerability", u);
		ids[n++] = arena_printf(c->arena, "vulnerability--%s", u);
		uuid_of(id, item, "mitigates", u);
		ids[n++] = arena_printf(c->arena, "relationship--%s", u);
	}
	for (const char *p = v[AF_IOCS]; n < 1000 && (p = next_item(p, false, item, sizeof item)) != NULL;) {
		struct buf pat;
		buf_init(&pat);
		if (ioc_pattern(item, &pat)) {
			uuid_of(id, item, "indicator", u);
			ids[n++] = arena_printf(c->arena, "indicator--%s", u);
		}
		buf_free(&pat);
	}
	uuid_of(id, "", "report", u);
	ids[n++] = arena_printf(c->arena, "report--%s", u);
	*out = ids;
	return n;
}

/* The advisories of collection ci the caller may see, oldest first (at
 * most TAXII_SCAN). */
#define TAXII_SCAN 5000
static size_t taxii_advisories(struct ctx *c, size_t ci, char (**out)[ALERTS_ID_MAX + 1])
{
	struct db_stmt *st = db_prep(c->db, "SELECT id FROM advisories WHERE revision > 0 AND (?1 = 0 OR type = 'high_severity_alert')"
					    " ORDER BY seq, id LIMIT ?2");
	db_bind_i64(st, 1, collections[ci].high_only);
	db_bind_i64(st, 2, TAXII_SCAN);
	char (*ids)[ALERTS_ID_MAX + 1] = arena_alloc(c->arena, TAXII_SCAN * sizeof *ids);
	size_t n = 0;
	while (db_step(st) == DB_ROW && n < TAXII_SCAN)
		snprintf(ids[n++], sizeof ids[0], "%s", db_col_text(st, 0));
	*out = ids;
	return n;
}

/* ?limit= and ?next= as the objects endpoint reads them. */
static bool taxii_paging(struct ctx *c, int64_t *limit, int64_t *next)
{
	struct bw_error err = { 0 };
	*limit = TAXII_PAGE;
	*next = 0;
	const char *l = ctx_query(c, "limit"), *n = ctx_query(c, "next");
	if ((l && web_valid_int("limit", "limit", l, 1, TAXII_PAGE_MAX, limit, &err) != BW_OK) ||
	    (n && web_valid_int("next", "next", n, 0, 1000000, next, &err) != BW_OK)) {
		ctx_error(c, 400, &err);
		return false;
	}
	return true;
}

static void iso_str(int64_t t, char out[32])
{
	bw_time_iso(t, out);
}

/* An RFC 3339 UTC timestamp, as TAXII writes them ("2026-11-30T06:00:00Z",
 * optionally with a fraction), in milliseconds. */
static bool taxii_time_parse(const char *s, int64_t *ms)
{
	struct tm tm = { 0 };
	int n = 0;
	if (strlen(s) > 40 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
				     &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return false;
	const char *p = s + n;
	int64_t frac = 0, scale = 1000;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	}
	if (strcmp(p, "Z") != 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*ms = (int64_t)t * 1000 + frac;
	return true;
}

/* One page of a collection: ?limit= advisories (their objects together),
 * ?next= from the previous page's envelope, ?added_after= (what a polling
 * client such as OpenCTI sends: only what was added since its last pull).
 * An object's latest version was added when the revision that carries it
 * was published, so a revised advisory is added again. The objects
 * endpoint writes the objects; the manifest one entry per object (id,
 * date_added, version, media_type). Both send the TAXII date headers. */
static void taxii_page(struct ctx *c, bool manifest)
{
	size_t ci;
	if (!find_collection(c, &ci))
		return;
	int64_t limit, next, after = -1;
	if (!taxii_paging(c, &limit, &next))
		return;
	const char *aa = ctx_query(c, "added_after");
	if (aa && !taxii_time_parse(aa, &after)) {
		struct bw_error err = { 0 };
		bw_fail(&err, BW_EINVAL, "added_after", "added_after must be a UTC timestamp like 2026-11-30T06:00:00Z");
		return ctx_error(c, 400, &err);
	}
	char (*ids)[ALERTS_ID_MAX + 1];
	size_t nids = taxii_advisories(c, ci, &ids);
	struct web_json j;
	taxii_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "objects");
	web_json_array(&j);
	int64_t seen = 0, written = 0, first = 0, last = 0;
	bool more = false;
	for (size_t i = 0; i < nids; i++) {
		struct exp e;
		if (!load_id(c, ids[i], &e) || e.published * 1000 <= after)
			continue;
		if (seen++ < next)
			continue;
		if (written == limit) {
			more = true;
			break;
		}
		written++;
		if (!first || e.published < first)
			first = e.published;
		if (e.published > last)
			last = e.published;
		if (!manifest) {
			stix_objects(&j, &e);
			continue;
		}
		const char **oids;
		size_t n = stix_ids(c, e.adv.id, e.v, &oids);
		for (size_t k = 0; k < n; k++) {
			web_json_object(&j);
			kv(&j, "id", oids[k]);
			iso(&j, "date_added", e.published);
			iso(&j, "version", e.published);
			kv(&j, "media_type", "application/stix+json;version=2.1");
			web_json_end(&j);
		}
	}
	web_json_end(&j);
	web_json_key(&j, "more");
	web_json_bool(&j, more);
	if (more)
		kv(&j, "next", arena_printf(c->arena, "%lld", (long long)(next + limit)));
	web_json_end(&j);
	if (written) {
		char t[32];
		iso_str(first, t);
		http_resp_header(c->resp, "X-TAXII-Date-Added-First", t);
		iso_str(last, t);
		http_resp_header(c->resp, "X-TAXII-Date-Added-Last", t);
	}
}

static void get_objects(struct ctx *c)
{
	taxii_page(c, false);
}

static void get_manifest(struct ctx *c)
{
	taxii_page(c, true);
}

static bool has_id(const char **ids, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return true;
	return false;
}

/* The versions of one object: the publication time of each revision of
 * its advisory that carried it (its "modified" in that revision), oldest
 * first. An object of an advisory the caller may not see is not found. */
static void get_versions(struct ctx *c)
{
	size_t ci;
	if (!find_collection(c, &ci))
		return;
	int64_t limit, next;
	if (!taxii_paging(c, &limit, &next))
		return;
	const char *oid = ctx_param(c, "object");
	if (!oid || strlen(oid) > 128 || !strstr(oid, "--"))
		return ctx_fail(c, BW_ENOTFOUND, NULL, "No such object");
	char (*ids)[ALERTS_ID_MAX + 1];
	size_t nids = taxii_advisories(c, ci, &ids);
	struct exp e;
	bool found = false;
	for (size_t i = 0; i < nids && !found; i++) {
		if (!load_id(c, ids[i], &e))
			continue;
		const char **oids;
		size_t n = stix_ids(c, e.adv.id, e.v, &oids);
		found = has_id(oids, n, oid);
	}
	if (!found)
		return ctx_fail(c, BW_ENOTFOUND, NULL, "No such object in this collection");
	int64_t *times = arena_alloc(c->arena, (size_t)(e.adv.revision + 1) * sizeof *times);
	size_t nt = 0;
	for (int rev = 1; rev <= e.adv.revision; rev++) {
		const char *v[AF_NFIELDS];
		int64_t at = 0;
		struct bw_error err = { 0 };
		if (alerts_revision_get(c->db, c->arena, e.adv.id, rev, v, &at, &err) != BW_OK)
			continue;
		const char **oids;
		size_t n = stix_ids(c, e.adv.id, v, &oids);
		if (has_id(oids, n, oid))
			times[nt++] = at;
	}
	struct web_json j;
	taxii_begin(c, &j);
	web_json_object(&j);
	web_json_key(&j, "versions");
	web_json_array(&j);
	int64_t written = 0;
	for (size_t i = (size_t)next; i < nt && written < limit; i++, written++) {
		char t[32];
		iso_str(times[i], t);
		web_json_str(&j, t);
	}
	web_json_end(&j);
	bool more = (size_t)next + (size_t)written < nt;
	web_json_key(&j, "more");
	web_json_bool(&j, more);
	if (more)
		kv(&j, "next", arena_printf(c->arena, "%lld", (long long)(next + limit)));
	web_json_end(&j);
	if (nt) {
		char t[32];
		iso_str(e.first, t);
		http_resp_header(c->resp, "X-TAXII-Date-Added-First", t);
		http_resp_header(c->resp, "X-TAXII-Date-Added-Last", t);
	}
}

/* The status of an add-objects request. This server is read-only and
 * accepts no objects, so no status ever exists: every id is not found (as
 * TAXII 2.1 answers for an unknown status). */
static void get_status(struct ctx *c)
{
	ctx_fail(c, BW_ENOTFOUND, NULL, "No such status: this TAXII server is read-only and accepts no objects");
}

const struct route alerts_export_routes[] = {
	{ "GET", "/advisories/{advisory}/csaf.json", get_csaf, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/advisories/{advisory}/stix.json", get_stix, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/api/v1/advisories/{advisory}/csaf", get_csaf, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/api/v1/advisories/{advisory}/stix", get_stix, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/taxii2/", get_discovery, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/taxii2/alerts/", get_api_root, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/taxii2/alerts/collections/", get_collections, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/taxii2/alerts/collections/{collection}/", get_collection, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/taxii2/alerts/collections/{collection}/objects/", get_objects, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/taxii2/alerts/collections/{collection}/manifest/", get_manifest, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ "GET", "/taxii2/alerts/collections/{collection}/objects/{object}/versions/", get_versions, ROUTE_API, AUTH_SIGNED_IN,
	  ACT_VIEW, NULL },
	{ "GET", "/taxii2/alerts/status/{status}/", get_status, ROUTE_API, AUTH_SIGNED_IN, ACT_VIEW, NULL },
	{ NULL },
};

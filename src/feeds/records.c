/*
 * records: the record readers. Bytes in, a checked item out: size, nesting
 * depth and JSON syntax first (jansson's own depth limit is 2048, enough to
 * use a lot of memory), then the fields the record kind needs, then the
 * match engine must be able to compile it — a record that would never
 * match anything is refused here, with its reason, rather than stored and
 * silently ignored later. Pure code with no database: the fuzzers call it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feeds/feeds_int.h"

#define DESC_MAX 1000   /* description excerpt kept in vulnerabilities */

enum bw_err feeds_json_load(const char *p, size_t n, json_t **out, struct bw_error *err)
{
	*out = NULL;
	if (n > FEEDS_LIM_RECORD)
		return bw_fail(err, BW_ELIMIT, "record", "record is %zu bytes, more than the limit of %d", n,
			       FEEDS_LIM_RECORD);
	if (!bw_json_depth_ok(p, n, FEEDS_LIM_DEPTH))
		return bw_fail(err, BW_ELIMIT, "record", "JSON nested deeper than %d levels", FEEDS_LIM_DEPTH);
	json_error_t je;
	json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return bw_fail(err, BW_EINVAL, "record", "not valid JSON: %s (line %d, column %d)", je.text, je.line,
			       je.column);
	if (!json_is_object(j)) {
		json_decref(j);
		return bw_fail(err, BW_EINVAL, "record", "not a JSON object");
	}
	*out = j;
	return BW_OK;
}

void feeds_sha256_hex(const void *p, size_t n, char out[65])
{
	uint8_t h[32];
	bw_sha256(p, n, h);
	bw_hex(h, 32, out);
}

static bool digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* the number written by two digits (checked by the caller) */
static int two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Every field is read by its fixed width: an offset of "+4354342" is
 * refused, not multiplied out. */
int64_t feeds_time_parse(const char *s)
{
	if (!s || strlen(s) < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2))
		return 0;
	struct tm tm = { 0 };
	tm.tm_year = two(s) * 100 + two(s + 2) - 1900;
	tm.tm_mon = two(s + 5) - 1;
	tm.tm_mday = two(s + 8);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return 0;
	const char *p = s + 10;
	int64_t off = 0;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (strlen(p) < 5 || !digits(p, 2) || p[2] != ':' || !digits(p + 3, 2))
			return 0;
		tm.tm_hour = two(p);
		tm.tm_min = two(p + 3);
		p += 5;
		if (*p == ':' && digits(p + 1, 2)) {
			tm.tm_sec = two(p + 1);
			p += 3;
		}
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
		if ((*p == '+' || *p == '-') && digits(p + 1, 2)) {
			int h = two(p + 1), m = 0;
			if (p[3] == ':' && digits(p + 4, 2))
				m = two(p + 4);
			else if (digits(p + 3, 2))
				m = two(p + 3);
			if (h > 23 || m > 59)
				return 0;
			off = (int64_t)(h * 3600 + m * 60) * (*p == '+' ? 1 : -1);
		}
	}
	if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return 0;
	time_t t = timegm(&tm);
	return t == (time_t)-1 ? 0 : (int64_t)t - off;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A copy of s cut to at most max bytes on a UTF-8 character boundary. */
static const char *excerpt(struct arena *a, const char *s, size_t max)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	if (n <= max)
		return arena_strdup(a, s);
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return arena_printf(a, "%.*s…", (int)max, s);
}

static int score10(const json_t *v)
{
	if (!json_is_number(v))
		return -1;
	double d = json_number_value(v);
	if (!(d >= 0.0 && d <= 10.0))
		return -1;
	return (int)(d * 10.0 + 0.5);
}

static bool id_ok(const char *id, size_t max)
{
	if (!id || !*id || strlen(id) > max)
		return false;
	for (const char *p = id; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return false;
	return true;
}

static bool is_cve_id(const char *s)
{
	if (!s || strncmp(s, "CVE-", 4) != 0 || strlen(s) < 13 || !digits(s + 4, 4) || s[8] != '-')
		return false;
	size_t k = strlen(s + 9);
	return k >= 4 && k <= 19 && digits(s + 9, (int)k);
}

/* ---- CVE JSON 5 ---- */

/* The first score of a metrics[] array, in the order NVD shows them. */
static bool cve5_metrics(struct arena *a, const json_t *metrics, struct feeds_vuln *v)
{
	static const struct {
		const char *key, *version;
	} order[] = { { "cvssV3_1", "3.1" }, { "cvssV3_0", "3.0" }, { "cvssV4_0", "4.0" }, { "cvssV2_0", "2.0" } };
	for (size_t k = 0; k < BW_NELEM(order); k++) {
		size_t i;
		const json_t *m;
		json_array_foreach(metrics, i, m) {
			const json_t *c = json_object_get(m, order[k].key);
			int s = score10(json_object_get(c, "baseScore"));
			if (s < 0)
				continue;
			v->cvss10 = s;
			v->cvss_version = order[k].version;
			v->cvss_vector = excerpt(a, jstr(c, "vectorString"), 200);
			v->severity = excerpt(a, jstr(c, "baseSeverity"), 20);
			return true;
		}
	}
	return false;
}

static const char *cve5_cwe(struct arena *a, const json_t *container)
{
	size_t i, k;
	const json_t *pt, *d;
	json_array_foreach(json_object_get(container, "problemTypes"), i, pt)
		json_array_foreach(json_object_get(pt, "descriptions"), k, d) {
			const char *c = jstr(d, "cweId");
			if (c && !strncmp(c, "CWE-", 4))
				return excerpt(a, c, 20);
		}
	return NULL;
}

static enum bw_err read_cve5(struct arena *a, const json_t *j, struct feeds_item *it, struct bw_error *err)
{
	const json_t *meta = json_object_get(j, "cveMetadata");
	const char *id = jstr(meta, "cveId"), *state = jstr(meta, "state");
	if (!json_is_object(meta) || !is_cve_id(id))
		return bw_fail(err, BW_EINVAL, "cveMetadata.cveId", "not a CVE JSON 5 record: no valid cveMetadata.cveId");
	if (!state || (strcmp(state, "PUBLISHED") != 0 && strcmp(state, "REJECTED") != 0))
		return bw_fail(err, BW_EINVAL, "cveMetadata.state", "%s: state is neither PUBLISHED nor REJECTED", id);
	it->record_id = arena_strdup(a, id);
	it->withdrawn = !strcmp(state, "REJECTED");
	int64_t pub = feeds_time_parse(jstr(meta, "datePublished"));
	int64_t upd = feeds_time_parse(jstr(meta, "dateUpdated"));
	it->modified = upd ? upd : pub;

	struct feeds_vuln *v = arena_alloc(a, sizeof *v);
	v->id = it->record_id;
	v->cvss10 = -1;
	v->kev_ransomware = -1;
	v->published = pub;
	v->modified = it->modified;
	const json_t *cna = json_object_get(json_object_get(j, "containers"), "cna");
	v->title = excerpt(a, jstr(cna, "title"), 300);
	size_t i;
	const json_t *d;
	json_array_foreach(json_object_get(cna, "descriptions"), i, d) {
		const char *lang = jstr(d, "lang");
		if (lang && !strncmp(lang, "en", 2)) {
			v->description = excerpt(a, jstr(d, "value"), DESC_MAX);
			break;
		}
	}
	if (!v->description)
		v->description = excerpt(a, jstr(json_array_get(json_object_get(cna, "descriptions"), 0), "value"), DESC_MAX);
	bool scored = cve5_metrics(a, json_object_get(cna, "metrics"), v);
	v->cwe = cve5_cwe(a, cna);
	const json_t *adp;
	json_array_foreach(json_object_get(json_object_get(j, "containers"), "adp"), i, adp) {
		if (!scored)
			scored = cve5_metrics(a, json_object_get(adp, "metrics"), v);
		if (!v->cwe)
			v->cwe = cve5_cwe(a, adp);
	}
	it->vulns = v;
	it->nvulns = 1;
	if (it->withdrawn)
		return BW_OK;
	if (!json_is_object(cna))
		return bw_fail(err, BW_EINVAL, "containers.cna", "%s: published record without a CNA container", id);
	struct match_record rec;
	struct bw_error e = { 0 };
	if (match_compile_cve5(a, j, &rec, &e) != BW_OK)
		return bw_fail(err, BW_EINVAL, e.field, "%s: %s", id, e.msg);
	return BW_OK;
}

/* ---- OSV ---- */

static enum bw_err read_osv(struct arena *a, const json_t *j, struct feeds_item *it, struct bw_error *err)
{
	const char *id = jstr(j, "id");
	if (!id_ok(id, 128))
		return bw_fail(err, BW_EINVAL, "id", "not an OSV record: no valid id");
	const char *mod = jstr(j, "modified");
	if (!mod || !feeds_time_parse(mod))
		return bw_fail(err, BW_EINVAL, "modified", "%s: modified is missing or not a date", id);
	it->record_id = arena_strdup(a, id);
	it->modified = feeds_time_parse(mod);
	it->withdrawn = jstr(j, "withdrawn") != NULL;

	struct feeds_vuln *v = arena_alloc(a, sizeof *v);
	v->cvss10 = -1;
	v->kev_ransomware = -1;
	v->id = it->record_id;
	struct buf al;
	buf_init(&al);
	buf_puts(&al, id);
	size_t i;
	const json_t *x;
	json_array_foreach(json_object_get(j, "aliases"), i, x) {
		const char *s = json_string_value(x);
		if (!id_ok(s, 128))
			continue;
		if (is_cve_id(s) && v->id == it->record_id)
			v->id = arena_strdup(a, s);
		if (al.len < 1000)
			buf_printf(&al, ",%s", s);
	}
	v->aliases = arena_strdup(a, buf_cstr(&al));
	buf_free(&al);
	v->title = excerpt(a, jstr(j, "summary"), 300);
	v->description = excerpt(a, jstr(j, "details"), DESC_MAX);
	v->published = feeds_time_parse(jstr(j, "published"));
	v->modified = it->modified;
	json_array_foreach(json_object_get(j, "severity"), i, x) {
		const char *t = jstr(x, "type"), *s = jstr(x, "score");
		if (t && s && !strncmp(t, "CVSS_V", 6)) {
			v->cvss_vector = excerpt(a, s, 200);
			v->cvss_version = !strcmp(t, "CVSS_V4") ? "4.0" : !strcmp(t, "CVSS_V2") ? "2.0" : "3.x";
			break;
		}
	}
	const json_t *ds = json_object_get(j, "database_specific");
	v->severity = excerpt(a, jstr(ds, "severity"), 20);
	v->cwe = excerpt(a, json_string_value(json_array_get(json_object_get(ds, "cwe_ids"), 0)), 20);
	it->vulns = v;
	it->nvulns = 1;
	if (it->withdrawn)
		return BW_OK;
	struct match_record rec;
	struct bw_error e = { 0 };
	if (match_compile_osv(a, j, &rec, &e) != BW_OK)
		return bw_fail(err, BW_EINVAL, e.field, "%s: %s", id, e.msg);
	return BW_OK;
}

/* ---- CSAF 2.0 ---- */

static enum bw_err read_csaf(struct arena *a, const json_t *j, struct feeds_item *it, struct bw_error *err)
{
	const json_t *doc = json_object_get(j, "document");
	const json_t *tr = json_object_get(doc, "tracking");
	const char *id = jstr(tr, "id"), *ver = jstr(doc, "csaf_version");
	if (!json_is_object(doc) || !id_ok(id, 200))
		return bw_fail(err, BW_EINVAL, "document.tracking.id", "not a CSAF document: no document.tracking.id");
	if (!ver || strcmp(ver, "2.0") != 0)
		return bw_fail(err, BW_EINVAL, "document.csaf_version", "%s: csaf_version is not 2.0", id);
	it->record_id = arena_strdup(a, id);
	int64_t cur = feeds_time_parse(jstr(tr, "current_release_date"));
	int64_t init = feeds_time_parse(jstr(tr, "initial_release_date"));
	it->modified = cur ? cur : init;
	const char *title = jstr(doc, "title");

	const json_t *vulns = json_object_get(j, "vulnerabilities");
	size_t nv = json_array_size(vulns), k = 0;
	it->vulns = arena_alloc(a, (nv ? nv : 1) * sizeof *it->vulns);
	size_t i;
	const json_t *x;
	json_array_foreach(vulns, i, x) {
		const char *cve = jstr(x, "cve");
		if (!is_cve_id(cve))
			continue;
		struct feeds_vuln *v = &it->vulns[k++];
		v->id = arena_strdup(a, cve);
		v->aliases = it->record_id;
		v->cvss10 = -1;
		v->kev_ransomware = -1;
		v->title = excerpt(a, jstr(x, "title") ? jstr(x, "title") : title, 300);
		v->modified = it->modified;
		v->published = init;
		const json_t *n;
		size_t m;
		json_array_foreach(json_object_get(x, "notes"), m, n) {
			const char *cat = jstr(n, "category");
			if (cat && !strcmp(cat, "summary")) {
				v->description = excerpt(a, jstr(n, "text"), DESC_MAX);
				break;
			}
		}
		json_array_foreach(json_object_get(x, "scores"), m, n) {
			const json_t *c = json_object_get(n, "cvss_v3");
			int s = score10(json_object_get(c, "baseScore"));
			if (s >= 0) {
				v->cvss10 = s;
				v->cvss_version = excerpt(a, jstr(c, "version"), 8);
				v->cvss_vector = excerpt(a, jstr(c, "vectorString"), 200);
				v->severity = excerpt(a, jstr(c, "baseSeverity"), 20);
				break;
			}
		}
		v->cwe = excerpt(a, jstr(json_object_get(x, "cwe"), "id"), 20);
	}
	it->nvulns = k;
	struct match_record *recs;
	size_t nrec;
	struct bw_error e = { 0 };
	if (match_compile_csaf(a, j, &recs, &nrec, &e) != BW_OK)
		return bw_fail(err, BW_EINVAL, e.field, "%s: %s", id, e.msg);
	return BW_OK;
}

enum bw_err feeds_record_read(struct arena *a, enum feeds_kind kind, const char *entry_key, const char *p,
			      size_t n, struct feeds_item *out, struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	json_t *j;
	enum bw_err rc = feeds_json_load(p, n, &j, err);
	if (rc != BW_OK)
		return rc;
	switch (kind) {
	case FEEDS_CVE5:
		rc = read_cve5(a, j, out, err);
		break;
	case FEEDS_OSV:
		rc = read_osv(a, j, out, err);
		break;
	case FEEDS_CSAF:
		rc = read_csaf(a, j, out, err);
		break;
	default:
		rc = bw_fail(err, BW_EINVAL, "kind", "no record reader for this kind of feed (%d)", (int)kind);
	}
	json_decref(j);
	if (rc != BW_OK)
		return rc;
	out->entry_key = arena_strdup(a, entry_key ? entry_key : out->record_id);
	out->raw = p;
	out->raw_n = n;
	feeds_sha256_hex(p, n, out->sha_hex);
	return BW_OK;
}

/* ---- CISA KEV ---- */

enum bw_err feeds_kev_entry(struct arena *a, const json_t *v, struct feeds_item *out, struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	const char *id = jstr(v, "cveID");
	if (!json_is_object(v) || !is_cve_id(id))
		return bw_fail(err, BW_EINVAL, "cveID", "KEV entry without a valid cveID");
	int64_t added = feeds_time_parse(jstr(v, "dateAdded"));
	if (!added)
		return bw_fail(err, BW_EINVAL, "dateAdded", "%s: dateAdded is missing or not a date", id);
	char *raw = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	if (!raw)
		return bw_fail(err, BW_EINVAL, "record", "%s: cannot be written back as JSON", id);
	size_t rn = strlen(raw);
	if (rn > FEEDS_LIM_RECORD) {
		free(raw);
		return bw_fail(err, BW_ELIMIT, "record", "%s: entry larger than the record limit", id);
	}
	out->raw = arena_strndup(a, raw, rn);
	out->raw_n = rn;
	free(raw);
	feeds_sha256_hex(out->raw, out->raw_n, out->sha_hex);
	out->record_id = arena_strdup(a, id);
	out->entry_key = out->record_id;
	out->modified = added;
	struct feeds_vuln *k = arena_alloc(a, sizeof *k);
	k->id = out->record_id;
	k->is_kev = true;
	k->cvss10 = -1;
	k->kev_added = added;
	k->kev_due = feeds_time_parse(jstr(v, "dueDate"));
	const char *rw = jstr(v, "knownRansomwareCampaignUse");
	k->kev_ransomware = !rw ? -1 : !strcmp(rw, "Known") ? 1 : !strcmp(rw, "Unknown") ? 0 : -1;
	k->kev_name = excerpt(a, jstr(v, "vulnerabilityName"), 300);
	k->title = k->kev_name;
	k->description = excerpt(a, jstr(v, "shortDescription"), DESC_MAX);
	k->cwe = excerpt(a, json_string_value(json_array_get(json_object_get(v, "cwes"), 0)), 20);
	out->vulns = k;
	out->nvulns = 1;
	return BW_OK;
}

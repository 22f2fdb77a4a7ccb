/*
 * targeting: which organisations an advisory reaches. One INSERT ... SELECT
 * per publication writes advisory_targets (60,000 organisations in one
 * statement, not 60,000 round trips); the preview the analyst sees before
 * publishing runs that same statement inside a transaction that is rolled
 * back, so what is shown is exactly what publishing would do.
 *
 * Codes and types are passed as one bound text ",A,B," and matched with
 * LIKE: codes are checked to be [A-Z0-9] and types to be known names first,
 * so no wildcard can reach the pattern. An area (region or ICS) reaches
 * every responding organisation in its subtree through the path index.
 * "Exposed" reaches the organisations with a current exposure (affected or
 * cannot tell) to one of the advisory's CVEs, as the exposures module
 * last matched them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"

/* Organisations that receive alerts: not the national or regional teams
 * (they send them) and not supplier records. */
#define RESPONDERS " o.type NOT IN ('national', 'region', 'supplier')"
#define TYPE_FILTER " AND (?3 = ',,' OR ?3 LIKE '%,' || o.type || ',%')"

/* Normalises a list separated by commas, spaces or new lines into ",A,B,"
 * (upper-cased for codes); false when an item has other characters. */
static bool norm_list(const char *s, bool codes, struct buf *out, char *bad, size_t badn)
{
	buf_puts(out, ",");
	while (s && *s) {
		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		const char *b = s;
		while (*s && *s != ',' && !isspace((unsigned char)*s))
			s++;
		size_t n = (size_t)(s - b);
		bool ok = n > 0 && n <= (codes ? LIM_ORG_CODE : 31);
		for (size_t i = 0; ok && i < n; i++)
			ok = codes ? isalnum((unsigned char)b[i]) : (islower((unsigned char)b[i]) || b[i] == '_');
		if (!ok) {
			snprintf(bad, badn, "%.*s", (int)(n > 40 ? 40 : n), b);
			return false;
		}
		for (size_t i = 0; i < n; i++)
			buf_putc(out, codes ? (char)toupper((unsigned char)b[i]) : b[i]);
		buf_puts(out, ",");
	}
	if (out->len == 1)
		buf_puts(out, ",");   /* empty: ",," */
	return true;
}

/* The advisory's CVE ids as ",CVE-2023-4966,CVE-...," (upper case); false
 * with the offending item in bad when one is not a CVE id. */
static bool norm_cves(const char *s, struct buf *out, size_t *n, char *bad, size_t badn)
{
	*n = 0;
	buf_puts(out, ",");
	while (s && *s) {
		while (*s == ',' || *s == ';' || isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		const char *b = s;
		while (*s && *s != ',' && *s != ';' && !isspace((unsigned char)*s))
			s++;
		size_t len = (size_t)(s - b), i = 4, digits = 0;
		bool ok = len >= 13 && len <= 24 && strncasecmp(b, "CVE-", 4) == 0;
		for (; ok && i < 8; i++)
			ok = isdigit((unsigned char)b[i]);
		ok = ok && b[8] == '-';
		for (i = 9; ok && i < len; i++, digits++)
			ok = isdigit((unsigned char)b[i]);
		if (!ok || digits < 4 || *n >= ALERTS_TARGET_CVES_MAX) {
			snprintf(bad, badn, "%.*s", (int)(len > 40 ? 40 : len), b);
			return false;
		}
		for (i = 0; i < len; i++)
			buf_putc(out, (char)toupper((unsigned char)b[i]));
		buf_puts(out, ",");
		(*n)++;
	}
	return true;
}

enum bw_err alerts_targets_check(struct db *db, const char *const *v, struct bw_error *err)
{
	const char *kind = v[AF_TARGET_KIND], *types = v[AF_TARGET_TYPES], *codes = v[AF_TARGET_CODES];
	if (!kind || (strcmp(kind, "all") != 0 && strcmp(kind, "areas") != 0 && strcmp(kind, "list") != 0 &&
		      strcmp(kind, "exposed") != 0))
		return bw_fail(err, BW_EINVAL, "target_kind", "Select who should receive it");
	if (strcmp(kind, "exposed") == 0) {
		/* the organisations whose inventory the exposures module found
		 * exposed to the advisory's CVEs */
		struct buf cv;
		buf_init(&cv);
		size_t n;
		char bad[48];
		bool ok = norm_cves(v[AF_CVES], &cv, &n, bad, sizeof bad);
		buf_free(&cv);
		if (!ok)
			return bw_fail(err, BW_EINVAL, "cves", "%s is not a CVE id (at most %d of them)", bad,
				       ALERTS_TARGET_CVES_MAX);
		if (n == 0)
			return bw_fail(err, BW_EINVAL, "cves", "Enter the CVE IDs the advisory is about: the organisations "
				       "exposed to them are the ones it reaches");
	}
	struct buf t, c;
	buf_init(&t);
	buf_init(&c);
	char bad[48];
	enum bw_err rc = BW_OK;
	if (!norm_list(types, false, &t, bad, sizeof bad)) {
		rc = bw_fail(err, BW_EINVAL, "target_types", "%s is not a kind of organisation", bad);
		goto out;
	}
	if (strcmp(kind, "all") == 0 || strcmp(kind, "exposed") == 0)
		goto out;
	if (!norm_list(codes, true, &c, bad, sizeof bad)) {
		rc = bw_fail(err, BW_EINVAL, "target_codes", "%s is not an organisation code: codes are letters and digits", bad);
		goto out;
	}
	if (strcmp(buf_cstr(&c), ",,") == 0) {
		rc = bw_fail(err, BW_EINVAL, "target_codes", "Enter at least one organisation code");
		goto out;
	}
	/* every code must name an organisation, and an area a region or ICS */
	const char *p = buf_cstr(&c) + 1;
	while (*p) {
		const char *e = strchr(p, ',');
		char code[LIM_ORG_CODE + 1];
		snprintf(code, sizeof code, "%.*s", (int)(e - p), p);
		struct org o;
		if (orgs_get_by_code(db, code, &o, NULL) != BW_OK) {
			rc = bw_fail(err, BW_EINVAL, "target_codes", "There is no organisation with the code %s", code);
			goto out;
		}
		if (strcmp(kind, "areas") == 0 && o.type != ORG_REGION && o.type != ORG_ICS && o.type != ORG_NATIONAL) {
			rc = bw_fail(err, BW_EINVAL, "target_codes", "%s is not a region or ICS: to send to it alone, choose "
				     "a list of organisations", code);
			goto out;
		}
		p = e + 1;
	}
out:
	buf_free(&t);
	buf_free(&c);
	return rc;
}

/* The targeting of the working copy, normalised. */
struct spec {
	char kind[16];
	struct buf types, codes, cves;
	size_t ncves;
};

static enum bw_err spec_read(struct db *db, const char *id, struct spec *s, struct bw_error *err)
{
	buf_init(&s->types);
	buf_init(&s->codes);
	buf_init(&s->cves);
	s->ncves = 0;
	struct arena a;
	arena_init(&a);
	struct alerts_advisory adv;
	enum bw_err rc = BW_OK;
	char bad[48];
	if (alerts_get(db, &a, id, &adv) != BW_OK)
		rc = bw_fail(err, BW_ENOTFOUND, NULL, "No such advisory");
	else if (alerts_targets_check(db, (const char *const *)adv.v, err) != BW_OK)
		rc = err->code;
	else if (!norm_list(adv.v[AF_TARGET_TYPES], false, &s->types, bad, sizeof bad) ||
		 !norm_list(adv.v[AF_TARGET_CODES], true, &s->codes, bad, sizeof bad) ||
		 !norm_cves(adv.v[AF_CVES], &s->cves, &s->ncves, bad, sizeof bad))
		rc = bw_fail(err, BW_EINVAL, "target_codes", "%s is not valid here", bad);
	else
		snprintf(s->kind, sizeof s->kind, "%s", adv.v[AF_TARGET_KIND]);
	arena_free(&a);
	return rc;
}

static void spec_free(struct spec *s)
{
	buf_free(&s->types);
	buf_free(&s->codes);
	buf_free(&s->cves);
}

enum bw_err alerts_targets_fill(struct db *db, const char *id, int rev, int64_t *added, struct bw_error *err)
{
	struct spec s;
	enum bw_err rc = spec_read(db, id, &s, err);
	if (rc != BW_OK) {
		spec_free(&s);
		return rc;
	}
	const char *sql;
	struct buf q;
	buf_init(&q);
	if (strcmp(s.kind, "exposed") == 0) {
		/* through the exposures' index on vuln_id: one probe per CVE
		 * (?4 is the CVE list itself, kept so every number is used) */
		buf_puts(&q, "INSERT INTO advisory_targets (advisory_id, org_id, revision)"
			     " SELECT DISTINCT CAST(?1 AS TEXT), o.id, CAST(?2 AS BIGINT) FROM exposures x"
			     " JOIN orgs o ON o.id = x.org_id WHERE x.gone_at IS NULL AND length(?4) >= 0 AND x.vuln_id IN (");
		for (size_t i = 0; i < s.ncves; i++)
			buf_printf(&q, "%s?%zu", i ? ", " : "", i + 5);
		buf_puts(&q, ") AND" RESPONDERS TYPE_FILTER " ON CONFLICT (advisory_id, org_id) DO NOTHING");
		sql = buf_cstr(&q);
	} else if (strcmp(s.kind, "areas") == 0)
		sql = "INSERT INTO advisory_targets (advisory_id, org_id, revision)"
		      " SELECT DISTINCT CAST(?1 AS TEXT), o.id, CAST(?2 AS BIGINT) FROM orgs a JOIN orgs o ON o.path >= a.path"
		      " AND o.path < substr(a.path, 1, length(a.path) - 1) || '0'"
		      " WHERE ?4 LIKE '%,' || a.code || ',%' AND" RESPONDERS TYPE_FILTER
		      " ON CONFLICT (advisory_id, org_id) DO NOTHING";
	else if (strcmp(s.kind, "list") == 0)
		sql = "INSERT INTO advisory_targets (advisory_id, org_id, revision)"
		      " SELECT CAST(?1 AS TEXT), o.id, CAST(?2 AS BIGINT) FROM orgs o WHERE ?4 LIKE '%,' || o.code || ',%' AND" RESPONDERS
		      TYPE_FILTER " ON CONFLICT (advisory_id, org_id) DO NOTHING";
	else
		sql = "INSERT INTO advisory_targets (advisory_id, org_id, revision)"
		      " SELECT CAST(?1 AS TEXT), o.id, CAST(?2 AS BIGINT) FROM orgs o WHERE length(?4) >= 0 AND" RESPONDERS TYPE_FILTER
		      " ON CONFLICT (advisory_id, org_id) DO NOTHING";
	struct db_stmt *st = db_prep(db, sql);
	db_bind_text(st, 1, id);
	db_bind_i64(st, 2, rev);
	db_bind_text(st, 3, buf_cstr(&s.types));
	db_bind_text(st, 4, strcmp(s.kind, "exposed") == 0 ? buf_cstr(&s.cves) : buf_cstr(&s.codes));
	/* the CVE ids, one a parameter, cut from ",A,B," */
	const char *p = buf_cstr(&s.cves) + 1;
	for (size_t i = 0; strcmp(s.kind, "exposed") == 0 && i < s.ncves; i++) {
		const char *e = strchr(p, ',');
		db_bind_textn(st, (int)i + 5, p, (size_t)(e - p));
		p = e + 1;
	}
	if (db_step(st) == DB_ERR)
		rc = db_fail(db, err, "choosing the organisations");
	else if (added)
		*added = db_changes(db);
	buf_free(&q);
	spec_free(&s);
	return rc;
}

struct preview_arg {
	const char *id;
	struct alerts_preview *out;
	bool done;
};

/* A revision number no publication uses, so the preview's rows are told
 * apart from those already there (all are rolled back anyway). */
#define PREVIEW_REV (-1)

static enum bw_err preview_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct preview_arg *p = arg;
	struct alerts_preview *out = p->out;
	p->done = false;
	memset(out, 0, sizeof *out);
	if (alerts_targets_fill(db, p->id, PREVIEW_REV, &out->added, err) != BW_OK)
		return err->code;
	struct db_stmt *st = db_prep(db, "SELECT o.type, count(*) FROM advisory_targets t JOIN orgs o ON o.id = t.org_id"
					 " WHERE t.advisory_id = ?1 GROUP BY o.type");
	db_bind_text(st, 1, p->id);
	while (db_step(st) == DB_ROW) {
		enum org_type ty;
		int64_t n = db_col_i64(st, 1);
		if (org_type_parse(db_col_text(st, 0), &ty))
			out->by_type[ty] += n;
		out->total += n;
	}
	st = db_prep(db, "SELECT o.code, o.name, o.type FROM advisory_targets t JOIN orgs o ON o.id = t.org_id"
			 " WHERE t.advisory_id = ?1 ORDER BY CASE WHEN t.revision = ?2 THEN 0 ELSE 1 END, o.name, o.code LIMIT 100");
	db_bind_text(st, 1, p->id);
	db_bind_i64(st, 2, PREVIEW_REV);
	while (db_step(st) == DB_ROW && out->nfirst < BW_NELEM(out->first)) {
		snprintf(out->first[out->nfirst].code, sizeof out->first[0].code, "%s", db_col_text(st, 0));
		snprintf(out->first[out->nfirst].name, sizeof out->first[0].name, "%s", db_col_text(st, 1));
		snprintf(out->first[out->nfirst].type, sizeof out->first[0].type, "%s", db_col_text(st, 2));
		out->nfirst++;
	}
	if (out->nfirst == BW_NELEM(out->first))
		db_reset(st);
	p->done = true;
	/* not an error: roll the preview's rows back */
	return bw_fail(err, BW_ECONFLICT, NULL, "preview");
}

enum bw_err alerts_targets_preview(struct db *db, const char *id, struct alerts_preview *out, struct bw_error *err)
{
	struct preview_arg p = { .id = id, .out = out };
	enum bw_err rc = db_tx(db, false, preview_tx, &p, err);
	if (p.done && rc == BW_ECONFLICT) {
		bw_error_clear(err);
		return BW_OK;
	}
	return rc == BW_OK ? bw_fail(err, BW_EINTERNAL, NULL, "preview was not rolled back") : rc;
}

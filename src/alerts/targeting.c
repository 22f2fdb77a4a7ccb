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
#include "exposures/exposures.h"
#include "match/match.h"

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

/* ---- affected products as match criteria ---- */

/* Is this word where the versions start in "Vendor Product words versions"? */
static bool range_word(const char *w, size_t n)
{
	static const char *const words[] = { "before", "prior", "from", "all", "versions", "version", "up",
					     "earlier", "through", "to", "every", "any" };
	if (n && (isdigit((unsigned char)w[0]) || strchr("<>=!*", w[0])))
		return true;
	if (n > 1 && (w[0] == 'v' || w[0] == 'V') && isdigit((unsigned char)w[1]))
		return true;
	if (n > 5 && strncasecmp(w, "vers:", 5) == 0)
		return true;
	for (size_t i = 0; i < BW_NELEM(words); i++)
		if (strlen(words[i]) == n && strncasecmp(w, words[i], n) == 0)
			return true;
	return false;
}

/* The first occurrence of word (space-delimited, any case) in s, or NULL. */
static const char *find_word(const char *s, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = s; (p = strcasestr(p, word)) != NULL; p++)
		if ((p == s || p[-1] == ' ') && p[n] == ' ')
			return p;
	return NULL;
}

/* "9.x" or "13.1.*" (a release line) into ">=9|<10", ">=13.1|<13.2";
 * false when t is not one. */
static bool line_range(const char *t, char *out, size_t cap)
{
	size_t n = strlen(t);
	if (n < 3 || n > 60 || t[n - 2] != '.' || (t[n - 1] != 'x' && t[n - 1] != 'X' && t[n - 1] != '*'))
		return false;
	for (size_t i = 0; i < n - 2; i++)
		if (!isdigit((unsigned char)t[i]) && !(t[i] == '.' && i > 0 && t[i - 1] != '.'))
			return false;
	if (!isdigit((unsigned char)t[n - 3]))
		return false;
	size_t last = n - 2;   /* the last number is t[b, last) */
	size_t b = last;
	while (b > 0 && t[b - 1] != '.')
		b--;
	if (last - b > 9)
		return false;
	long next = strtol(t + b, NULL, 10) + 1;
	snprintf(out, cap, ">=%.*s|<%.*s%ld", (int)last, t, (int)b, t, next);
	return true;
}

/* An advisory's range in words into the form the engine's CSAF range
 * reader takes: "A to B" is ">=A|<=B", "A before B" ">=A|<B", "from A" and
 * "A and later" ">=A", "9.x" ">=9|<10"; "before B", "B and earlier",
 * "< B", vers and the rest are read by it as they are. */
static bool range_text(const char *in, char *out, size_t cap)
{
	char t[MATCH_LIM_VERS];
	struct str tr = str_trim(str_c(in));
	snprintf(t, sizeof t, "%.*s", (int)(tr.n < sizeof t - 1 ? tr.n : sizeof t - 1), tr.p);
	const char *w;
	size_t n = strlen(t);
	/* a range cut short ("7.0.0 to") would otherwise read as a version */
	static const char *const open_ends[] = { " to", " through", " before", " from", "<", ">", "=", "|" };
	for (size_t i = 0; i < BW_NELEM(open_ends); i++) {
		size_t k = strlen(open_ends[i]);
		if (n >= k && strcasecmp(t + n - k, open_ends[i]) == 0)
			return false;
	}
	if (strncasecmp(t, "vers:", 5) == 0 || !*t) {
		snprintf(out, cap, "%s", t);
	} else if (line_range(t, out, cap)) {
		return true;
	} else if (strncasecmp(t, "from ", 5) == 0) {
		snprintf(out, cap, ">=%s", t + 5);
	} else if (n > 10 && (strcasecmp(t + n - 10, " and later") == 0 || strcasecmp(t + n - 10, " and above") == 0 ||
			      strcasecmp(t + n - 9, " or later") == 0)) {
		snprintf(out, cap, ">=%.*s", (int)(n - (strcasecmp(t + n - 9, " or later") == 0 ? 9 : 10)), t);
	} else if ((w = find_word(t, "to")) != NULL && w > t) {
		snprintf(out, cap, ">=%.*s|<=%s", (int)(w - t), t, w + 3);
	} else if ((w = find_word(t, "through")) != NULL && w > t) {
		snprintf(out, cap, ">=%.*s|<=%s", (int)(w - t), t, w + 8);
	} else if ((w = find_word(t, "before")) != NULL && w > t) {
		snprintf(out, cap, ">=%.*s|<%s", (int)(w - t), t, w + 7);
	} else {
		snprintf(out, cap, "%s", t);
	}
	return true;
}

/* One line into criterion c; false with why. */
static bool product_line(struct arena *a, const char *id, int lineno, const char *line, struct match_criterion *c,
			 char *why, size_t whyn)
{
	memset(c, 0, sizeof *c);
	c->source = arena_printf(a, "%s affected products line %d", id, lineno);
	c->vulnerable = true;
	c->dflt = MATCH_NOT_AFFECTED;
	const char *range = "";
	enum match_scheme scheme = MATCH_SCHEME_GENERIC;
	const char *exact = NULL;   /* a version named by the CPE or purl itself */
	size_t first = strcspn(line, " \t");
	struct bw_error e = { 0 };
	if (strncasecmp(line, "cpe:", 4) == 0) {
		c->kind = MATCH_ID_CPE;
		c->cpe = arena_alloc(a, sizeof *c->cpe);
		if (match_cpe_parse((struct str){ line, first }, c->cpe, &e) != BW_OK) {
			snprintf(why, whyn, "%s", e.msg);
			return false;
		}
		struct str v = match_cpe_body(c->cpe, MATCH_CPE_VENDOR), p = match_cpe_body(c->cpe, MATCH_CPE_PRODUCT);
		if (!v.n || !p.n) {
			snprintf(why, whyn, "the CPE name must give the vendor and product");
			return false;
		}
		if (c->cpe->a[MATCH_CPE_VERSION].kind == MATCH_CPE_VALUE) {
			struct str ver = match_cpe_body(c->cpe, MATCH_CPE_VERSION);
			exact = arena_strndup(a, ver.p, ver.n);
		}
		/* the rules decide the version, as for a CSAF product with a CPE */
		c->cpe->a[MATCH_CPE_VERSION].kind = MATCH_CPE_ANY;
		range = line + first;
	} else if (strncasecmp(line, "pkg:", 4) == 0) {
		c->kind = MATCH_ID_PURL;
		c->purl = arena_alloc(a, sizeof *c->purl);
		if (match_purl_parse(a, (struct str){ line, first }, c->purl, &e) != BW_OK) {
			snprintf(why, whyn, "%s", e.msg);
			return false;
		}
		scheme = match_purl_scheme(c->purl->type);
		exact = c->purl->version;
		range = line + first;
	} else {
		char vendor[256], product[256];
		const char *comma = strchr(line, ',');
		if (comma) {   /* "vendor, product[, versions]" */
			const char *p = comma + 1, *c2 = strchr(p, ',');
			snprintf(vendor, sizeof vendor, "%.*s", (int)(comma - line), line);
			snprintf(product, sizeof product, "%.*s", (int)(c2 ? (size_t)(c2 - p) : strlen(p)), p);
			range = c2 ? c2 + 1 : "";
		} else {       /* "Vendor Product words versions" */
			snprintf(vendor, sizeof vendor, "%.*s", (int)first, line);
			const char *p = line + first, *start = NULL, *end = NULL;
			while (*p) {
				while (*p == ' ' || *p == '\t')
					p++;
				size_t n = strcspn(p, " \t");
				if (!n || range_word(p, n))
					break;
				if (!start)
					start = p;
				end = p + n;
				p += n;
			}
			if (!start) {
				snprintf(why, whyn, "name the vendor and the product, like: Citrix NetScaler ADC 13.1 before "
					 "13.1-49.15 (or write vendor, product, versions)");
				return false;
			}
			snprintf(product, sizeof product, "%.*s", (int)(end - start), start);
			range = p;
		}
		char nv[256], np[256];
		match_norm_name(vendor, nv, sizeof nv);
		match_norm_name(product, np, sizeof np);
		if (!*np) {
			snprintf(why, whyn, "name the product");
			return false;
		}
		c->kind = MATCH_ID_PRODUCT;
		c->vendor = arena_strdup(a, nv);
		c->product = arena_strdup(a, np);
	}
	char rt[MATCH_LIM_VERS];
	bool ok = range_text(range, rt, sizeof rt);
	if (ok && !*rt && exact)
		ok = match_csaf_range_rules(a, exact, true, MATCH_AFFECTED, &c->rules, &c->nrules);
	else if (ok)
		ok = match_csaf_range_rules(a, rt, false, MATCH_AFFECTED, &c->rules, &c->nrules);
	if (!ok) {
		snprintf(why, whyn, "the versions \"%.60s\" cannot be read: write them like 7.4.0 to 7.4.2, before 2023.0.1 "
			 "or >= 1.0 < 2.0", str_trim(str_c(range)).p);
		return false;
	}
	for (size_t i = 0; i < c->nrules; i++) {
		struct match_rule *r = &c->rules[i];
		if (scheme == MATCH_SCHEME_GENERIC || r->scheme != MATCH_SCHEME_GENERIC || !r->scheme_ok)
			continue;
		/* a package's own scheme orders its versions */
		r->scheme = scheme;
		if (r->lo.text)
			match_bound_compile(a, scheme, r->lo.text, r->lo.kind, false, &r->lo);
		if (r->hi.text)
			match_bound_compile(a, scheme, r->hi.text, r->hi.kind, true, &r->hi);
	}
	return true;
}

enum bw_err alerts_products_compile(struct arena *a, const char *id, const char *products, struct match_record *out,
				    struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	out->id = arena_strdup(a, id ? id : "advisory");
	out->crit = arena_alloc(a, ALERTS_TARGET_PRODUCTS_MAX * sizeof *out->crit);
	int lineno = 0;
	for (const char *p = products ? products : ""; *p;) {
		size_t n = strcspn(p, "\r\n");
		lineno++;
		struct str line = str_trim((struct str){ p, n });
		p += n;
		while (*p == '\r' || *p == '\n')
			p++;
		if (!line.n)
			continue;
		if (out->ncrit == ALERTS_TARGET_PRODUCTS_MAX)
			return bw_fail(err, BW_ELIMIT, "products", "At most %d affected products", ALERTS_TARGET_PRODUCTS_MAX);
		char why[300];
		const char *text = arena_strndup(a, line.p, line.n);
		if (!product_line(a, out->id, lineno, text, &out->crit[out->ncrit], why, sizeof why))
			return bw_fail(err, BW_EINVAL, "products", "Line %d of the affected products: %s", lineno, why);
		out->ncrit++;
	}
	return BW_OK;
}

enum bw_err alerts_targets_check(struct db *db, const char *const *v, struct bw_error *err)
{
	const char *kind = v[AF_TARGET_KIND], *types = v[AF_TARGET_TYPES], *codes = v[AF_TARGET_CODES];
	if (!kind || (strcmp(kind, "all") != 0 && strcmp(kind, "areas") != 0 && strcmp(kind, "list") != 0 &&
		      strcmp(kind, "exposed") != 0))
		return bw_fail(err, BW_EINVAL, "target_kind", "Select who should receive it");
	if (strcmp(kind, "exposed") == 0) {
		/* the organisations whose inventory the exposures module found
		 * exposed to the advisory's CVEs, and those running one of its
		 * affected products */
		struct buf cv;
		buf_init(&cv);
		size_t n;
		char bad[48];
		bool ok = norm_cves(v[AF_CVES], &cv, &n, bad, sizeof bad);
		buf_free(&cv);
		if (!ok)
			return bw_fail(err, BW_EINVAL, "cves", "%s is not a CVE id (at most %d of them)", bad,
				       ALERTS_TARGET_CVES_MAX);
		struct arena a;
		arena_init(&a);
		struct match_record rec;
		enum bw_err prc = alerts_products_compile(&a, "advisory", v[AF_PRODUCTS], &rec, err);
		size_t nprod = rec.ncrit;
		arena_free(&a);
		if (prc != BW_OK)
			return prc;
		if (n == 0 && nprod == 0)
			return bw_fail(err, BW_EINVAL, "cves", "Enter the CVE IDs or the affected products the advisory is "
				       "about: the organisations exposed to them are the ones it reaches");
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
	struct buf types, codes, cves, products;
	size_t ncves;
};

static enum bw_err spec_read(struct db *db, const char *id, struct spec *s, struct bw_error *err)
{
	buf_init(&s->types);
	buf_init(&s->codes);
	buf_init(&s->cves);
	buf_init(&s->products);
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
	else {
		snprintf(s->kind, sizeof s->kind, "%s", adv.v[AF_TARGET_KIND]);
		buf_puts(&s->products, adv.v[AF_PRODUCTS] ? adv.v[AF_PRODUCTS] : "");
	}
	arena_free(&a);
	return rc;
}

static void spec_free(struct spec *s)
{
	buf_free(&s->types);
	buf_free(&s->codes);
	buf_free(&s->cves);
	buf_free(&s->products);
}

/* The organisations running one of the advisory's affected products (the
 * match engine over their inventories), inserted a batch of ids at a time
 * through the same responder and type filters as every other kind. */
#define PRODUCT_BATCH 100

static enum bw_err fill_products(struct db *db, const char *id, int rev, struct spec *s, int64_t *added,
				 struct bw_error *err)
{
	struct arena a;
	arena_init(&a);
	struct match_record rec;
	int64_t *orgs = NULL;
	size_t n = 0;
	enum bw_err rc = alerts_products_compile(&a, id, buf_cstr(&s->products), &rec, err);
	if (rc == BW_OK && rec.ncrit)
		rc = exposures_orgs_running(db, &rec, &orgs, &n, err);
	struct buf q;
	buf_init(&q);
	for (size_t at = 0; rc == BW_OK && at < n; at += PRODUCT_BATCH) {
		size_t k = n - at < PRODUCT_BATCH ? n - at : PRODUCT_BATCH;
		buf_reset(&q);
		buf_puts(&q, "INSERT INTO advisory_targets (advisory_id, org_id, revision)"
			     " SELECT CAST(?1 AS TEXT), o.id, CAST(?2 AS BIGINT) FROM orgs o WHERE o.id IN (");
		for (size_t i = 0; i < k; i++)
			buf_printf(&q, "%s?%zu", i ? ", " : "", i + 4);
		buf_puts(&q, ") AND" RESPONDERS TYPE_FILTER " ON CONFLICT (advisory_id, org_id) DO NOTHING");
		struct db_stmt *st = db_prep(db, buf_cstr(&q));
		db_bind_text(st, 1, id);
		db_bind_i64(st, 2, rev);
		db_bind_text(st, 3, buf_cstr(&s->types));
		for (size_t i = 0; i < k; i++)
			db_bind_i64(st, (int)i + 4, orgs[at + i]);
		if (db_step(st) == DB_ERR)
			rc = db_fail(db, err, "choosing the organisations running the affected products");
		else if (added)
			*added += db_changes(db);
	}
	buf_free(&q);
	free(orgs);
	arena_free(&a);
	return rc;
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
	if (added)
		*added = 0;
	if (strcmp(s.kind, "exposed") == 0 && s.ncves == 0) {
		/* affected products only */
		rc = fill_products(db, id, rev, &s, added, err);
		spec_free(&s);
		return rc;
	}
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
	if (rc == BW_OK && strcmp(s.kind, "exposed") == 0)
		rc = fill_products(db, id, rev, &s, added, err);
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

/*
 * components_parse: checking one component, and reading the files an
 * inventory arrives in — CSV with documented columns, CycloneDX and SPDX
 * JSON SBOMs. Pure: no database. CPE and purl strings go through the match
 * engine's parsers (written once, there); JSON through base/jtape (no tree
 * of values: building jansson's was half an SBOM's import); CSV through
 * base/csv. Every row's fault is collected with its row number and field so
 * the user sees all of them at once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/csv.h"
#include "base/jtape.h"
#include "match/match.h"
#include "registers/components.h"

/* ---- one component ---- */

void components_norm(const char *in, char *out, size_t cap)
{
	match_norm_name(in, out, cap);
	size_t n = strlen(out);
	while (n && !bw_valid_utf8(out, n))
		out[--n] = 0;
}

/* Trimmed arena copy, or NULL when empty. */
static const char *trimmed(struct arena *a, const char *s)
{
	if (!s)
		return NULL;
	struct str t = str_trim(str_c(s));
	return t.n ? arena_strndup(a, t.p, t.n) : NULL;
}

static enum bw_err check_text(const char *field, const char *label, const char *v, size_t max,
			      struct bw_error *err)
{
	if (!v)
		return BW_OK;
	size_t n = strlen(v);
	if (!bw_valid_utf8(v, n))
		return bw_fail(err, BW_EINVAL, field, "%s is not valid text (UTF-8)", label);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return bw_fail(err, BW_EINVAL, field, "%s must not contain control characters or line breaks", label);
	if (web_utf8_len(v) > max)
		return bw_fail(err, BW_ELIMIT, field, "%s must be %zu characters or fewer", label, max);
	return BW_OK;
}

static const char *body_of(struct arena *a, const struct match_cpe *c, enum match_cpe_attr at)
{
	struct str s = match_cpe_body(c, at);
	return s.n ? arena_strndup(a, s.p, s.n) : NULL;
}

enum bw_err components_check(struct arena *a, const struct comp_in *in, struct comp_ok *out,
			     struct bw_error *err)
{
	struct bw_error local;
	if (!err)
		err = &local;
	*out = (struct comp_ok){ 0 };
	const char *vendor = trimmed(a, in->vendor), *product = trimmed(a, in->product);
	const char *version = trimmed(a, in->version), *cpe = trimmed(a, in->cpe), *purl = trimmed(a, in->purl);
	if (check_text("vendor", "Vendor", vendor, LIM_COMP_NAME, err) != BW_OK ||
	    check_text("product", "Product", product, LIM_COMP_NAME, err) != BW_OK ||
	    check_text("version", "Version", version, LIM_COMP_VERSION, err) != BW_OK)
		return err->code;
	if (cpe) {
		if (strlen(cpe) > LIM_COMP_CPE)
			return bw_fail(err, BW_ELIMIT, "cpe", "CPE name must be %d characters or fewer", LIM_COMP_CPE);
		struct match_cpe *c = arena_alloc(a, sizeof *c);
		struct bw_error e = { 0 };
		if (match_cpe_parse(str_c(cpe), c, &e) != BW_OK || match_cpe_check(c, &e) != BW_OK)
			return bw_fail(err, BW_EINVAL, "cpe", "CPE name is not valid: %s", e.msg);
		if (c->a[MATCH_CPE_VENDOR].kind != MATCH_CPE_VALUE || c->a[MATCH_CPE_PRODUCT].kind != MATCH_CPE_VALUE ||
		    c->a[MATCH_CPE_VENDOR].pre_star || c->a[MATCH_CPE_VENDOR].post_star ||
		    c->a[MATCH_CPE_PRODUCT].pre_star || c->a[MATCH_CPE_PRODUCT].post_star)
			return bw_fail(err, BW_EINVAL, "cpe",
				       "CPE name must name one vendor and one product (no * or - in those parts)");
		struct buf b;
		buf_init(&b);
		match_cpe_format(c, &b);
		out->cpe = arena_strdup(a, buf_cstr(&b));
		buf_free(&b);
		if (!vendor)
			vendor = body_of(a, c, MATCH_CPE_VENDOR);
		if (!product)
			product = body_of(a, c, MATCH_CPE_PRODUCT);
		if (!version && c->a[MATCH_CPE_VERSION].kind == MATCH_CPE_VALUE)
			version = body_of(a, c, MATCH_CPE_VERSION);
	}
	if (purl) {
		if (strlen(purl) > LIM_COMP_PURL)
			return bw_fail(err, BW_ELIMIT, "purl", "Package URL must be %d characters or fewer", LIM_COMP_PURL);
		struct match_purl p;
		struct bw_error e = { 0 };
		if (match_purl_parse(a, str_c(purl), &p, &e) != BW_OK)
			return bw_fail(err, BW_EINVAL, "purl", "Package URL is not valid: %s", e.msg);
		struct buf b;
		buf_init(&b);
		match_purl_format(&p, &b);
		out->purl = arena_strdup(a, buf_cstr(&b));
		buf_free(&b);
		if (!product)
			product = p.name;
		if (!vendor)
			vendor = p.namespace_ ? p.namespace_ : NULL;
		if (!version)
			version = p.version;
	}
	if (!product)
		return bw_fail(err, BW_EINVAL, "product", "Enter the product name (or a CPE name or package URL)");
	/* names taken from a CPE or purl are held to the same limits */
	if (check_text("vendor", "Vendor", vendor, LIM_COMP_NAME, err) != BW_OK ||
	    check_text("product", "Product", product, LIM_COMP_NAME, err) != BW_OK ||
	    check_text("version", "Version", version, LIM_COMP_VERSION, err) != BW_OK)
		return err->code;
	out->vendor = vendor ? vendor : "";
	out->product = product;
	out->version = version ? version : "";
	char nv[LIM_COMP_NAME + 1], np[LIM_COMP_NAME + 1];
	components_norm(out->vendor, nv, sizeof nv);
	components_norm(out->product, np, sizeof np);
	out->norm_vendor = arena_strdup(a, nv);
	out->norm_product = arena_strdup(a, np);
	return BW_OK;
}

/* ---- batches ---- */

void comp_batch_init(struct comp_batch *b, struct arena *a)
{
	*b = (struct comp_batch){ .arena = a };
}

void comp_batch_free(struct comp_batch *b)
{
	free(b->v);
	free(b->errs);
	b->v = NULL;
	b->errs = NULL;
	b->n = b->cap = b->nerrs = 0;
}

static struct comp_in *batch_add(struct comp_batch *b)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		struct comp_in *v = realloc(b->v, cap * sizeof *v);
		if (!v)
			abort();
		b->v = v;
		b->cap = cap;
	}
	struct comp_in *c = &b->v[b->n++];
	*c = (struct comp_in){ 0 };
	return c;
}

void comp_batch_error(struct comp_batch *b, long row, const char *field, const char *fmt, ...)
{
	if (b->nerrs < LIM_IMPORT_ERRORS) {
		if (!b->errs) {
			b->errs = calloc(LIM_IMPORT_ERRORS, sizeof *b->errs);
			if (!b->errs)
				abort();
		}
		struct comp_row_error *e = &b->errs[b->nerrs];
		e->row = row;
		snprintf(e->field, sizeof e->field, "%s", field ? field : "");
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
	}
	b->nerrs++;
}

/* What a file that is not the expected text looks like, in words. */
static const char *encoding_fault(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	if (n >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff)))
		return "The file is UTF-16 text. Save it as UTF-8 (in Excel: CSV UTF-8) and try again";
	if (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
		return "The file is a spreadsheet workbook or a zip archive, not text. Save it as CSV (UTF-8) and try again";
	if (memchr(p, 0, n < 4096 ? n : 4096))
		return "The file holds binary data (zero bytes), not text. Save it as CSV or JSON in UTF-8 and try again";
	return NULL;
}

/* ---- CSV ---- */

static const char *const csv_cols[] = { "system", "vendor", "product", "version", "cpe", "purl" };

enum bw_err components_csv_parse(const char *p, size_t n, struct comp_batch *b, struct bw_error *err)
{
	b->format = "CSV";
	if (n == 0)
		return bw_fail(err, BW_EINVAL, "file", "The file is empty");
	const char *enc = encoding_fault(p, n);
	if (enc)
		return bw_fail(err, BW_EINVAL, "file", "%s", enc);
	struct csv_limits lim = { 32, 4096 };
	struct csv_reader *r;
	if (csv_open_mem(&r, p, n, "file", &lim, err) != BW_OK)
		return err->code;
	int col[BW_NELEM(csv_cols)];
	for (size_t i = 0; i < BW_NELEM(csv_cols); i++)
		col[i] = -1;
	struct buf tmp;
	buf_init(&tmp);
	enum bw_err rc = BW_OK;
	int got = csv_next(r, err);
	if (got != CSV_ROW) {
		rc = got == CSV_EOF ? bw_fail(err, BW_EINVAL, "file", "The file is empty") : BW_EINVAL;
		goto out;
	}
	for (size_t i = 0; i < csv_nfields(r); i++) {
		buf_reset(&tmp);
		struct str h = str_trim(str_c(csv_field_utf8(r, i, &tmp)));
		size_t k = 0;
		for (; k < BW_NELEM(csv_cols); k++)
			if (h.n == strlen(csv_cols[k]) && strncasecmp(h.p, csv_cols[k], h.n) == 0)
				break;
		if (h.n == 0)
			continue;
		if (k == BW_NELEM(csv_cols)) {
			rc = bw_fail(err, BW_EINVAL, "file",
				     "Column %zu of the first row is \"%.*s\": the columns are system, vendor, product, "
				     "version, cpe and purl (the first row must name them)", i + 1, (int)(h.n > 60 ? 60 : h.n), h.p);
			goto out;
		}
		if (col[k] >= 0) {
			rc = bw_fail(err, BW_EINVAL, "file", "The column %s appears twice in the first row", csv_cols[k]);
			goto out;
		}
		col[k] = (int)i;
	}
	if (col[2] < 0 && col[4] < 0 && col[5] < 0) {
		rc = bw_fail(err, BW_EINVAL, "file",
			     "The first row must name the columns, including product (or cpe or purl): "
			     "system,vendor,product,version,cpe,purl");
		goto out;
	}
	while ((got = csv_next(r, err)) == CSV_ROW) {
		if (b->n >= LIM_IMPORT_ROWS) {
			rc = bw_fail(err, BW_ELIMIT, "file", "The file has more than %d rows; split it into smaller files",
				     LIM_IMPORT_ROWS);
			goto out;
		}
		struct comp_in *c = batch_add(b);
		c->row = csv_line(r);
		const char **dst[] = { &c->system, &c->vendor, &c->product, &c->version, &c->cpe, &c->purl };
		for (size_t k = 0; k < BW_NELEM(csv_cols); k++) {
			if (col[k] < 0)
				continue;
			buf_reset(&tmp);
			const char *v = csv_field_utf8(r, (size_t)col[k], &tmp);
			*dst[k] = *v ? arena_strdup(b->arena, v) : NULL;
		}
	}
	if (got == CSV_ERR)
		rc = err->code ? err->code : BW_EINVAL;
	else if (b->n == 0)
		rc = bw_fail(err, BW_EINVAL, "file", "The file has a header row but no components");
out:
	if (rc != BW_OK)
		snprintf(err->field, sizeof err->field, "file");
	buf_free(&tmp);
	csv_close(r);
	return rc;
}

/* ---- SBOMs ---- */

struct sbom {
	struct jtape j;
	struct comp_batch *b;
};

/* A non-empty string member copied into the batch's arena, or NULL. */
static const char *jstr(struct sbom *d, uint32_t o, const char *key)
{
	const char *s = jt_get_str(&d->j, o, key, d->b->arena);
	return s && *s ? s : NULL;
}

static void sha_ns(struct comp_batch *b, const char *p, size_t n)
{
	uint8_t h[32];
	char hex[65];
	bw_sha256(p, n, h);
	bw_hex(h, 32, hex);
	b->ns = arena_printf(b->arena, "sha256:%s", hex);
}

struct cdx_walk {
	struct sbom *d;
	long pos;
	bool too_many;
};

static void cdx_components(struct cdx_walk *w, uint32_t arr)
{
	const struct jtape *j = &w->d->j;
	struct comp_batch *b = w->d->b;
	for (uint32_t c = jt_first(j, arr); c && !w->too_many; c = jt_next(j, arr, c)) {
		if (jt_type(j, c) != JT_OBJECT)
			continue;
		w->pos++;
		if (b->n >= LIM_IMPORT_ROWS) {
			w->too_many = true;
			return;
		}
		struct comp_in *in = batch_add(b);
		in->row = w->pos;
		in->product = jstr(w->d, c, "name");
		in->version = jstr(w->d, c, "version");
		in->cpe = jstr(w->d, c, "cpe");
		in->purl = jstr(w->d, c, "purl");
		in->vendor = jstr(w->d, jt_get(j, c, "supplier"), "name");
		if (!in->vendor)
			in->vendor = jstr(w->d, jt_get(j, c, "manufacturer"), "name");
		if (!in->vendor)
			in->vendor = jstr(w->d, c, "publisher");
		if (!in->vendor)
			in->vendor = jstr(w->d, c, "group");
		in->ref = jstr(w->d, c, "bom-ref");
		if (!in->ref)
			in->ref = in->purl;
		if (!in->ref)
			in->ref = arena_printf(b->arena, "%s@%s", in->product ? in->product : "",
					       in->version ? in->version : "");
		cdx_components(w, jt_get(j, c, "components"));
	}
}

static enum bw_err parse_cyclonedx(struct sbom *d, const char *p, size_t n, struct bw_error *err)
{
	const struct jtape *j = &d->j;
	struct comp_batch *b = d->b;
	const char *spec = jstr(d, 1, "specVersion");
	int minor = -1;
	if (spec && strncmp(spec, "1.", 2) == 0 && spec[2] >= '0' && spec[2] <= '9' && !spec[3])
		minor = spec[2] - '0';
	if (minor < 2 || minor > 7)
		return bw_fail(err, BW_EINVAL, "file",
			       "This CycloneDX file has specVersion \"%s\"; Bulwark reads CycloneDX 1.2 to 1.7 JSON",
			       spec ? spec : "(none)");
	b->format = arena_printf(b->arena, "CycloneDX %s", spec);
	const char *serial = jstr(d, 1, "serialNumber");
	uint32_t mc = jt_get(j, jt_get(j, 1, "metadata"), "component");
	const char *name = jstr(d, mc, "name"), *ver = jstr(d, mc, "version"), *purl = jstr(d, mc, "purl");
	if (name)
		b->name = arena_printf(b->arena, "%s%s%s", name, ver ? " " : "", ver ? ver : "");
	if (serial && strlen(serial) <= LIM_COMP_REF)
		b->ns = serial;
	else if (purl || name)
		/* no serial number: the same described software is the same SBOM */
		b->ns = arena_printf(b->arena, "component:%s", purl ? purl : name);
	else
		sha_ns(b, p, n);
	struct cdx_walk w = { d, 0, false };
	cdx_components(&w, jt_get(j, 1, "components"));
	if (w.too_many)
		return bw_fail(err, BW_ELIMIT, "file", "The SBOM lists more than %d components", LIM_IMPORT_ROWS);
	if (b->n == 0) {
		if (jt_first(j, jt_get(j, 1, "vulnerabilities")))
			return bw_fail(err, BW_EINVAL, "file",
				       "This is a VEX document (statements about vulnerabilities): it lists no components to import");
		return bw_fail(err, BW_EINVAL, "file", "This SBOM lists no components");
	}
	return BW_OK;
}

/* "Organization: Acme Ltd (x@y)" -> "Acme Ltd"; NOASSERTION -> NULL. */
static const char *spdx_party(struct arena *a, const char *s)
{
	if (!s || strcmp(s, "NOASSERTION") == 0 || strcmp(s, "NONE") == 0)
		return NULL;
	const char *colon = strchr(s, ':');
	if (colon && (!strncmp(s, "Organization", 12) || !strncmp(s, "Person", 6) || !strncmp(s, "Tool", 4)))
		s = colon + 1;
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	const char *paren = strchr(s, '(');
	if (paren)
		n = (size_t)(paren - s);
	while (n && s[n - 1] == ' ')
		n--;
	return n ? arena_strndup(a, s, n) : NULL;
}

static enum bw_err parse_spdx(struct sbom *d, const char *p, size_t n, struct bw_error *err)
{
	const struct jtape *j = &d->j;
	struct comp_batch *b = d->b;
	const char *ver = jstr(d, 1, "spdxVersion");
	if (strcmp(ver, "SPDX-2.2") != 0 && strcmp(ver, "SPDX-2.3") != 0)
		return bw_fail(err, BW_EINVAL, "file", "This SPDX file is version \"%s\"; Bulwark reads SPDX 2.2 and 2.3 JSON", ver);
	b->format = arena_printf(b->arena, "SPDX %s", ver + 5);
	const char *ns = jstr(d, 1, "documentNamespace");
	if (ns && strlen(ns) <= LIM_COMP_REF)
		b->ns = ns;
	else
		sha_ns(b, p, n);
	b->name = jstr(d, 1, "name");
	uint32_t pkgs = jt_get(j, 1, "packages");
	long pos = 0;
	for (uint32_t pk = jt_first(j, pkgs); pk; pk = jt_next(j, pkgs, pk)) {
		if (jt_type(j, pk) != JT_OBJECT)
			continue;
		pos++;
		if (b->n >= LIM_IMPORT_ROWS)
			return bw_fail(err, BW_ELIMIT, "file", "The SBOM lists more than %d packages", LIM_IMPORT_ROWS);
		struct comp_in *in = batch_add(b);
		in->row = pos;
		in->product = jstr(d, pk, "name");
		in->version = jstr(d, pk, "versionInfo");
		in->vendor = spdx_party(b->arena, jstr(d, pk, "supplier"));
		if (!in->vendor)
			in->vendor = spdx_party(b->arena, jstr(d, pk, "originator"));
		in->ref = jstr(d, pk, "SPDXID");
		const char *cpe22 = NULL;
		uint32_t refs = jt_get(j, pk, "externalRefs");
		for (uint32_t ref = jt_first(j, refs); ref; ref = jt_next(j, refs, ref)) {
			const char *type = jstr(d, ref, "referenceType"), *loc = jstr(d, ref, "referenceLocator");
			if (!type || !loc)
				continue;
			if (!strcmp(type, "cpe23Type") && !in->cpe)
				in->cpe = loc;
			else if (!strcmp(type, "cpe22Type") && !cpe22)
				cpe22 = loc;
			else if (!strcmp(type, "purl") && !in->purl)
				in->purl = loc;
		}
		if (!in->cpe)
			in->cpe = cpe22;
		if (!in->ref)
			in->ref = arena_printf(b->arena, "%s@%s", in->product ? in->product : "",
					       in->version ? in->version : "");
	}
	if (b->n == 0)
		return bw_fail(err, BW_EINVAL, "file", "This SPDX document lists no packages");
	return BW_OK;
}

enum bw_err components_sbom_parse(const char *p, size_t n, struct comp_batch *b, struct bw_error *err)
{
	b->format = "SBOM";
	if (n == 0)
		return bw_fail(err, BW_EINVAL, "file", "The file is empty");
	if (n > LIM_SBOM_BYTES)
		return bw_fail(err, BW_ELIMIT, "file", "The file is larger than %d MB", LIM_SBOM_BYTES / (1024 * 1024));
	const char *enc = encoding_fault(p, n);
	if (enc)
		return bw_fail(err, BW_EINVAL, "file", "%s", enc);
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3, n -= 3;
	struct sbom d = { .b = b };
	struct bw_error je = { 0 };
	enum bw_err rc = jt_parse(&d.j, p, n, LIM_SBOM_DEPTH, &je);
	if (rc == BW_ELIMIT) {
		rc = bw_fail(err, BW_ELIMIT, "file", "The file is nested deeper than %d levels", LIM_SBOM_DEPTH);
	} else if (rc != BW_OK) {
		rc = bw_fail(err, BW_EINVAL, "file", "The file is not valid JSON (%s)", je.msg);
	} else {
		const char *format = jstr(&d, 1, "bomFormat");
		if (jt_type(&d.j, 1) != JT_OBJECT)
			rc = bw_fail(err, BW_EINVAL, "file", "The file is JSON but not an SBOM (it is not an object)");
		else if (format && strcmp(format, "CycloneDX") == 0)
			rc = parse_cyclonedx(&d, p, n, err);
		else if (jstr(&d, 1, "spdxVersion"))
			rc = parse_spdx(&d, p, n, err);
		else if (jt_get(&d.j, 1, "artifacts") && jt_get(&d.j, 1, "descriptor"))
			rc = bw_fail(err, BW_EINVAL, "file",
				     "This is Syft's own JSON format, not CycloneDX or SPDX. Run syft with "
				     "-o cyclonedx-json (or -o spdx-json) and import that file");
		else
			rc = bw_fail(err, BW_EINVAL, "file",
				     "This JSON file is not a CycloneDX or SPDX SBOM (it has no bomFormat or spdxVersion)");
	}
	jt_free(&d.j);
	if (rc != BW_OK)
		b->n = 0;
	return rc;
}

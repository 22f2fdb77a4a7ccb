/*
 * ods: reading the ODS files and lookups into the source tables of
 * ods_data.h, placing each real organisation under the ICB it belonged to
 * before 1 April 2026 (the joins are those of data/orgs/README.md), and the
 * small helpers both the estate and the reorganisation use.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "ods_data.h"

/* ODS rows have 27 fields; lookups fewer. Names are under 100 bytes. */
static const struct csv_limits ODS_CSV_LIMITS = { 40, 512 };

const char *ods_type_name(enum ods_type t)
{
	static const char *names[] = {
		[ODS_NATIONAL] = "national",
		[ODS_REGION] = "region",
		[ODS_ICB] = "icb",
		[ODS_NHS_TRUST] = "nhs_trust",
		[ODS_GP_PRACTICE] = "gp_practice",
		[ODS_PHARMACY] = "pharmacy",
		[ODS_CARE_PROVIDER] = "care_provider",
		[ODS_DENTAL_PRACTICE] = "dental_practice",
		[ODS_SUPPLIER] = "supplier",
		[ODS_OTHER] = "other",
	};
	if ((unsigned)t < BW_NELEM(names) && names[t])
		return names[t];
	return "other";
}

bool ods_scale_parse(const char *s, enum ods_scale *out)
{
	if (!s)
		return false;
	if (strcmp(s, "small") == 0)
		*out = ODS_SCALE_SMALL;
	else if (strcmp(s, "national") == 0)
		*out = ODS_SCALE_NATIONAL;
	else
		return false;
	return true;
}

bool ods_code_valid(const char *s, size_t n)
{
	if (n == 0 || n > ODS_CODE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

bool ods_code_copy(char out[ODS_CODE_MAX + 1], struct str s)
{
	out[0] = 0;
	if (!ods_code_valid(s.p, s.n))
		return false;
	memcpy(out, s.p, s.n);
	out[s.n] = 0;
	return true;
}

enum bw_err ods_path(char *out, size_t n, const char *data_dir, const char *rel,
		     struct bw_error *err)
{
	int k = snprintf(out, n, "%s/%s", data_dir, rel);
	if (k < 0 || (size_t)k >= n)
		return bw_fail(err, BW_ELIMIT, "data_dir", "data directory path is too long");
	return BW_OK;
}

/* Upper-cases and trims a postcode; "" if it does not look like one. */
static void postcode_copy(char out[ODS_POSTCODE_MAX + 1], struct str s)
{
	s = str_trim(s);
	out[0] = 0;
	if (s.n < 5 || s.n > ODS_POSTCODE_MAX)
		return;
	for (size_t i = 0; i < s.n; i++) {
		char c = (char)toupper((unsigned char)s.p[i]);
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' '))
			return;
		out[i] = c;
	}
	out[s.n] = 0;
}

void ods_postcode_district(const char *pc, char out[ODS_POSTCODE_MAX + 1])
{
	size_t n = strlen(pc);
	const char *sp = strchr(pc, ' ');
	/* Without a space the inward code is always the last three characters. */
	size_t k = sp ? (size_t)(sp - pc) : (n > 3 ? n - 3 : 0);
	if (k > ODS_POSTCODE_MAX)
		k = 0;
	memcpy(out, pc, k);
	out[k] = 0;
}

void ods_postcode_area(const char *pc, char out[ODS_POSTCODE_MAX + 1])
{
	size_t k = 0;
	while (k < 2 && pc[k] >= 'A' && pc[k] <= 'Z')
		k++;
	memcpy(out, pc, k);
	out[k] = 0;
}

/* ---- votes ---- */

void ods_votes_add(struct ods_votes *v, const char *key, const char *value)
{
	if (!key[0] || !value[0])
		return;
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 1024;
		v->v = realloc(v->v, v->cap * sizeof *v->v);
		if (!v->v)
			abort();
	}
	struct ods_vote *x = &v->v[v->n++];
	snprintf(x->key, sizeof x->key, "%s", key);
	snprintf(x->value, sizeof x->value, "%s", value);
	x->count = 1;
}

static int vote_cmp(const void *a, const void *b)
{
	const struct ods_vote *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

void ods_votes_finish(struct ods_votes *v)
{
	if (v->n == 0)
		return;
	qsort(v->v, v->n, sizeof *v->v, vote_cmp);
	size_t w = 0;
	for (size_t i = 1; i < v->n; i++) {
		if (vote_cmp(&v->v[w], &v->v[i]) == 0)
			v->v[w].count += v->v[i].count;
		else
			v->v[++w] = v->v[i];
	}
	v->n = w + 1;
}

const char *ods_votes_best(const struct ods_votes *v, const char *key,
			   const char *const *cands, size_t ncand)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(v->v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct ods_vote *best = NULL;
	for (size_t i = lo; i < v->n && strcmp(v->v[i].key, key) == 0; i++) {
		bool ok = ncand == 0;
		for (size_t c = 0; c < ncand && !ok; c++)
			ok = strcmp(cands[c], v->v[i].value) == 0;
		/* Values are sorted, so strict > keeps the smaller one on a tie. */
		if (ok && (!best || v->v[i].count > best->count))
			best = &v->v[i];
	}
	return best ? best->value : NULL;
}

void ods_votes_free(struct ods_votes *v)
{
	free(v->v);
	memset(v, 0, sizeof *v);
}

/* ---- reading ---- */

const struct ods_src_icb *ods_data_icb(const struct ods_data *d, const char *code)
{
	for (size_t i = 0; i < d->nicbs; i++)
		if (strcmp(d->icbs[i].code, code) == 0)
			return &d->icbs[i];
	return NULL;
}

const struct ods_src_region *ods_data_region(const struct ods_data *d, const char *code)
{
	for (size_t i = 0; i < d->nregions; i++)
		if (strcmp(d->regions[i].code, code) == 0)
			return &d->regions[i];
	return NULL;
}

static const struct ods_src_sub *data_sub(const struct ods_data *d, const char *code)
{
	for (size_t i = 0; i < d->nsubs; i++)
		if (strcmp(d->subs[i].code, code) == 0)
			return &d->subs[i];
	return NULL;
}

static bool old_icb(const struct ods_data *d, const char *code)
{
	const struct ods_src_icb *icb = ods_data_icb(d, code);
	return icb && icb->old;
}

/* Grows an array of elements of size sz by one; returns the new element. */
static void *grow(void **arr, size_t *n, size_t *cap, size_t sz)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*arr = realloc(*arr, *cap * sz);
		if (!*arr)
			abort();
	}
	void *p = (char *)*arr + (*n)++ * sz;
	memset(p, 0, sz);
	return p;
}

static enum bw_err open_data(struct csv_reader **r, const char *data_dir, const char *rel,
			     struct bw_error *err)
{
	char path[4096];
	enum bw_err e = ods_path(path, sizeof path, data_dir, rel, err);
	if (e)
		return e;
	return csv_open_path(r, path, &ODS_CSV_LIMITS, err);
}

static const char *name_dup(struct ods_data *d, struct csv_reader *r, size_t i)
{
	struct buf b;
	buf_init(&b);
	csv_field_utf8(r, i, &b);
	struct str s = str_trim((struct str){ b.p ? b.p : "", b.len });
	if (s.n > LIM_NAME)
		s.n = 0;
	const char *out = s.n ? arena_strndup(&d->arena, s.p, s.n) : NULL;
	buf_free(&b);
	return out;
}

static bool is_header(struct csv_reader *r, const char *first)
{
	return strcmp(csv_field_c(r, 0), first) == 0;
}

static enum bw_err read_regions(struct ods_data *d, const char *dir, struct bw_error *err)
{
	struct csv_reader *r;
	enum bw_err e = open_data(&r, dir, "orgs/lookups/nhs_england_regions.csv", err);
	if (e)
		return e;
	size_t cap = 0;
	int rc;
	while ((rc = csv_next(r, err)) == CSV_ROW) {
		if (is_header(r, "region_ods_code"))
			continue;
		struct ods_src_region *g = grow((void **)&d->regions, &d->nregions, &cap, sizeof *g);
		g->name = name_dup(d, r, 2);
		if (!ods_code_copy(g->code, csv_field(r, 0)) || !g->name) {
			e = bw_fail(err, BW_EINVAL, "region_ods_code",
				    "nhs_england_regions.csv line %ld: bad region row", csv_line(r));
			break;
		}
	}
	csv_close(r);
	if (e)
		return e;
	return rc == CSV_ERR ? err->code : BW_OK;
}

static enum bw_err read_icbs(struct ods_data *d, const char *dir, struct bw_error *err)
{
	struct csv_reader *r;
	enum bw_err e = open_data(&r, dir, "orgs/lookups/icbs.csv", err);
	if (e)
		return e;
	size_t cap = 0;
	int rc;
	while ((rc = csv_next(r, err)) == CSV_ROW) {
		if (is_header(r, "icb_ods_code"))
			continue;
		struct ods_src_icb *icb = grow((void **)&d->icbs, &d->nicbs, &cap, sizeof *icb);
		icb->name = name_dup(d, r, 2);
		icb->successors = arena_strdup(&d->arena, csv_field_c(r, 6));
		const char *from = csv_field_c(r, 4), *to = csv_field_c(r, 5);
		/* ISO dates compare as strings. */
		icb->old = strcmp(from, ODS_ESTATE_DAY) <= 0 &&
			   (!to[0] || strcmp(to, ODS_ESTATE_DAY) >= 0);
		icb->created = strcmp(from, ODS_REORG_DATE) == 0;
		if (!ods_code_copy(icb->code, csv_field(r, 0)) ||
		    !ods_code_copy(icb->region, csv_field(r, 3)) || !icb->name) {
			e = bw_fail(err, BW_EINVAL, "icb_ods_code", "icbs.csv line %ld: bad ICB row",
				    csv_line(r));
			break;
		}
	}
	csv_close(r);
	if (e)
		return e;
	return rc == CSV_ERR ? err->code : BW_OK;
}

static enum bw_err read_subs(struct ods_data *d, const char *dir, struct bw_error *err)
{
	struct csv_reader *r;
	enum bw_err e = open_data(&r, dir, "orgs/lookups/sub_icb_locations_derived.csv", err);
	if (e)
		return e;
	size_t cap = 0;
	int rc;
	while ((rc = csv_next(r, err)) == CSV_ROW) {
		if (is_header(r, "commissioner_ods_code") || !str_eq_c(csv_field(r, 1), "England"))
			continue;
		struct ods_src_sub *s = grow((void **)&d->subs, &d->nsubs, &cap, sizeof *s);
		if (!ods_code_copy(s->code, csv_field(r, 0)) || !ods_code_copy(s->icb, csv_field(r, 2))) {
			e = bw_fail(err, BW_EINVAL, "commissioner_ods_code",
				    "sub_icb_locations_derived.csv line %ld: bad row", csv_line(r));
			break;
		}
	}
	csv_close(r);
	if (e)
		return e;
	return rc == CSV_ERR ? err->code : BW_OK;
}

/* English rows carry a region code "Y.."; Welsh ones are empty or "W00". */
static bool english(struct csv_reader *r)
{
	struct str g = csv_field(r, 2);
	return g.n == 3 && g.p[0] == 'Y';
}

static struct ods_src_org *org_from_row(struct ods_data *d, size_t *cap, struct csv_reader *r,
				       enum ods_type type)
{
	struct ods_src_org o = { .type = type };
	o.name = name_dup(d, r, 1);
	if (!o.name || !ods_code_copy(o.code, csv_field(r, 0))) {
		d->skipped++;
		return NULL;
	}
	ods_code_copy(o.file_icb, csv_field(r, 3));
	postcode_copy(o.postcode, csv_field(r, 9));
	struct ods_src_org *p = grow((void **)&d->orgs, &d->norgs, cap, sizeof *p);
	*p = o;
	return p;
}

/* GP practices: ACTIVE, role RO76 (older files: status A, setting 4). */
static enum bw_err read_practices(struct ods_data *d, const char *dir, size_t *cap,
				  struct bw_error *err)
{
	struct csv_reader *r;
	enum bw_err e = open_data(&r, dir, "orgs/ods/epraccur.csv.gz", err);
	if (e)
		return e;
	int rc;
	while ((rc = csv_next(r, err)) == CSV_ROW) {
		struct str st = csv_field(r, 12), role = csv_field(r, 25);
		if (!(str_eq_c(st, "ACTIVE") || str_eq_c(st, "A")) ||
		    !(str_eq_c(role, "RO76") || str_eq_c(role, "4")) || !english(r))
			continue;
		struct ods_src_org *o = org_from_row(d, cap, r, ODS_GP_PRACTICE);
		if (!o)
			continue;
		ods_code_copy(o->commissioner, csv_field(r, 14));
		/* The commissioning ICB (via the sub-ICB location) is the one
		 * that answers for the practice; column 4 is only geography. */
		const struct ods_src_sub *s = data_sub(d, o->commissioner);
		if (s && old_icb(d, s->icb))
			memcpy(o->icb, s->icb, sizeof o->icb);
		else if (old_icb(d, o->file_icb))
			memcpy(o->icb, o->file_icb, sizeof o->icb);
		else {
			d->norgs--;
			d->skipped++;
			continue;
		}
		char k[ODS_POSTCODE_MAX + 1];
		ods_postcode_district(o->postcode, k);
		ods_votes_add(&d->district, k, o->icb);
		ods_postcode_area(o->postcode, k);
		ods_votes_add(&d->area, k, o->icb);
	}
	csv_close(r);
	return rc == CSV_ERR ? err->code : BW_OK;
}

/* The old ICB for an organisation the file places under a 2026 ICB: among
 * the new ICB's predecessors, the one most practices near it belonged to. */
static bool place_by_location(struct ods_data *d, struct ods_src_org *o)
{
	const char *cands[16];
	size_t nc = 0;
	for (size_t i = 0; i < d->nicbs && nc < BW_NELEM(cands); i++) {
		const struct ods_src_icb *icb = &d->icbs[i];
		if (!icb->old || !icb->successors[0])
			continue;
		const char *p = icb->successors;
		size_t n = strlen(o->file_icb);
		while ((p = strstr(p, o->file_icb)) != NULL) {
			bool start = p == icb->successors || p[-1] == ';';
			bool end = p[n] == 0 || p[n] == ';';
			if (start && end) {
				cands[nc++] = icb->code;
				break;
			}
			p += n;
		}
	}
	if (nc == 0)
		return false;
	char k[ODS_POSTCODE_MAX + 1];
	ods_postcode_district(o->postcode, k);
	const char *best = ods_votes_best(&d->district, k, cands, nc);
	if (!best) {
		ods_postcode_area(o->postcode, k);
		best = ods_votes_best(&d->area, k, cands, nc);
	}
	if (!best) {
		best = cands[0];
		for (size_t i = 1; i < nc; i++)
			if (strcmp(cands[i], best) < 0)
				best = cands[i];
	}
	snprintf(o->icb, sizeof o->icb, "%s", best);
	return true;
}

static void place(struct ods_data *d, struct ods_src_org *o)
{
	if (old_icb(d, o->file_icb))
		memcpy(o->icb, o->file_icb, sizeof o->icb);
	else if (!place_by_location(d, o)) {
		d->norgs--;
		d->skipped++;
	}
}

/* NHS trusts: no close date, English (region "Y..", country letter not W). */
static enum bw_err read_trusts(struct ods_data *d, const char *dir, size_t *cap,
			       struct bw_error *err)
{
	struct csv_reader *r;
	enum bw_err e = open_data(&r, dir, "orgs/ods/etr.csv", err);
	if (e)
		return e;
	int rc;
	while ((rc = csv_next(r, err)) == CSV_ROW) {
		if (csv_field(r, 11).n || !english(r) || str_eq_c(csv_field(r, 23), "W"))
			continue;
		struct ods_src_org *o = org_from_row(d, cap, r, ODS_NHS_TRUST);
		if (o)
			place(d, o);
	}
	csv_close(r);
	return rc == CSV_ERR ? err->code : BW_OK;
}

/* Pharmacies: status A, English. */
static enum bw_err read_pharmacies(struct ods_data *d, const char *dir, size_t *cap,
				   struct bw_error *err)
{
	struct csv_reader *r;
	enum bw_err e = open_data(&r, dir, "orgs/ods/edispensary.csv.gz", err);
	if (e)
		return e;
	int rc;
	while ((rc = csv_next(r, err)) == CSV_ROW) {
		if (!str_eq_c(csv_field(r, 12), "A") || !english(r))
			continue;
		struct ods_src_org *o = org_from_row(d, cap, r, ODS_PHARMACY);
		if (o)
			place(d, o);
	}
	csv_close(r);
	return rc == CSV_ERR ? err->code : BW_OK;
}

static int org_code_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ods_src_org *)a)->code, ((const struct ods_src_org *)b)->code);
}

static int org_place_cmp(const void *a, const void *b)
{
	const struct ods_src_org *x = a, *y = b;
	int c = strcmp(x->icb, y->icb);
	if (c)
		return c;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return strcmp(x->code, y->code);
}

enum bw_err ods_data_read(const char *data_dir, struct ods_data *d, struct bw_error *err)
{
	memset(d, 0, sizeof *d);
	arena_init(&d->arena);
	size_t cap = 0;
	enum bw_err e = read_regions(d, data_dir, err);
	if (!e)
		e = read_icbs(d, data_dir, err);
	if (!e)
		e = read_subs(d, data_dir, err);
	if (!e)
		e = read_practices(d, data_dir, &cap, err);
	if (!e) {
		ods_votes_finish(&d->district);
		ods_votes_finish(&d->area);
		e = read_trusts(d, data_dir, &cap, err);
	}
	if (!e)
		e = read_pharmacies(d, data_dir, &cap, err);
	if (e) {
		ods_data_free(d);
		return e;
	}
	for (size_t i = 0; i < d->nicbs; i++)
		if (!ods_data_region(d, d->icbs[i].region)) {
			e = bw_fail(err, BW_EINVAL, "region_ods_code",
				    "icbs.csv: ICB %s names unknown region %s", d->icbs[i].code,
				    d->icbs[i].region);
			ods_data_free(d);
			return e;
		}
	/* A code listed twice (in one file or two) is kept once. */
	if (d->norgs) {
		qsort(d->orgs, d->norgs, sizeof *d->orgs, org_code_cmp);
		size_t w = 0;
		for (size_t i = 1; i < d->norgs; i++) {
			if (strcmp(d->orgs[w].code, d->orgs[i].code) == 0)
				d->skipped++;
			else
				d->orgs[++w] = d->orgs[i];
		}
		d->norgs = w + 1;
		qsort(d->orgs, d->norgs, sizeof *d->orgs, org_place_cmp);
	}
	return BW_OK;
}

void ods_data_free(struct ods_data *d)
{
	free(d->regions);
	free(d->icbs);
	free(d->subs);
	free(d->orgs);
	ods_votes_free(&d->district);
	ods_votes_free(&d->area);
	arena_free(&d->arena);
	memset(d, 0, sizeof *d);
}

/* ---- the estate ---- */

const struct ods_org *ods_estate_find(const struct ods_estate *e, const char *code)
{
	size_t lo = 0, hi = e->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(e->orgs[e->by_code[mid]].code, code);
		if (c == 0)
			return &e->orgs[e->by_code[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void ods_estate_free(struct ods_estate *e)
{
	free(e->orgs);
	free(e->by_code);
	arena_free(&e->arena);
	memset(e, 0, sizeof *e);
}

/* ODS names are in capitals: show them as people write them, keeping the
 * initialisms readers expect. */
void ods_name_display(const char *in, char *out, size_t n)
{
	static const char *const keep[] = { "NHS", "ICB", "GP", "UK", "PCN", "CIC", "LLP", "PLC", "CCG",
					    "ICS", "II", "III", "(SYNTHETIC)" };
	size_t o = 0;
	const char *p = in;
	while (*p && o + 1 < n) {
		size_t w = 0;
		while (p[w] && p[w] != ' ')
			w++;
		bool kept = false;
		for (size_t k = 0; k < BW_NELEM(keep); k++)
			if (strlen(keep[k]) == w && strncmp(p, keep[k], w) == 0)
				kept = true;
		bool small = (w == 2 && (strncmp(p, "OF", 2) == 0 || strncmp(p, "AT", 2) == 0)) ||
			     (w == 3 && (strncmp(p, "AND", 3) == 0 || strncmp(p, "THE", 3) == 0)) ;
		for (size_t i = 0; i < w && o + 1 < n; i++) {
			char c = p[i];
			if (kept && strncmp(p, "(SYNTHETIC)", 11) == 0)
				c = (char)tolower((unsigned char)c);
			else if (!kept && (i > 0 || (small && p != in)) && isalpha((unsigned char)p[i]) &&
				 !(i > 0 && !isalpha((unsigned char)p[i - 1]) && p[i - 1] != '\''))
				c = (char)tolower((unsigned char)c);
			out[o++] = c;
		}
		p += w;
		if (*p == ' ' && o + 1 < n)
			out[o++] = *p++;
	}
	out[o] = 0;
}


/*
 * demo_estate: ods_load() builds the deterministic demo estate (see ods.h
 * for its shape) from the source tables: the real organisations, then the
 * synthetic ones drawn from a seeded splitmix64 stream, never rand(), so the
 * same data always gives the same estate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods_data.h"

#define NSUPPLIERS_NATIONAL 20
#define NSUPPLIERS_SMALL    2
#define SMALL_TRUSTS        3
#define SMALL_PRACTICES     3
#define SMALL_PHARMACIES    2
#define SEED                0x20260331u

/* The small estate: two merging London ICBs and one that splits, so that
 * `org merge` on the demo shows both kinds of change. */
static const char *const small_icbs[] = { "QMJ", "QRV", "QM7" };

static const char *const words[] = {
	"ALDER", "ASH", "BEECH", "BIRCH", "BRAMBLE", "BROOK", "CEDAR", "CHESTNUT",
	"CLOVER", "ELM", "FERN", "FIELD", "GLEN", "HAWTHORN", "HAZEL", "HEATHER",
	"HOLLY", "IVY", "JUNIPER", "LARCH", "LAUREL", "LIME", "MAPLE", "MEADOW",
	"MILL", "OAK", "ORCHARD", "PINE", "POPLAR", "RIVER", "ROWAN", "SORREL",
	"SPRING", "SYCAMORE", "THISTLE", "VALE", "WILLOW", "WOOD", "YEW", "HEATH",
};
static const char *const places[] = {
	"HOUSE", "LODGE", "COURT", "MANOR", "GRANGE", "VIEW", "GARDENS", "HALL",
	"PARK", "MEWS",
};
static const char *const care_kinds[] = {
	"CARE HOME", "NURSING HOME", "HOME CARE", "SUPPORTED LIVING",
};
static const char *const dental_kinds[] = { "DENTAL PRACTICE", "DENTAL CARE" };
static const char *const supplier_kinds[] = {
	"DIGITAL", "HEALTH SYSTEMS", "NETWORKS", "CLOUD SERVICES", "DATA",
};

struct builder {
	struct ods_estate *e;
	size_t cap;
	uint64_t rng;
	unsigned ncare, ndental, nsupplier;
};

/* splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and fully specified. */
static uint64_t next_rand(struct builder *b)
{
	uint64_t z = (b->rng += 0x9E3779B97F4A7C15u);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

static size_t pick(struct builder *b, size_t n)
{
	return n ? (size_t)(next_rand(b) % n) : 0;
}

static struct ods_org *add(struct builder *b, const char *code, const char *name,
			   enum ods_type type, const char *parent, bool synthetic)
{
	struct ods_estate *e = b->e;
	if (e->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 256;
		e->orgs = realloc(e->orgs, b->cap * sizeof *e->orgs);
		if (!e->orgs)
			abort();
	}
	struct ods_org *o = &e->orgs[e->n++];
	memset(o, 0, sizeof *o);
	snprintf(o->code, sizeof o->code, "%s", code);
	snprintf(o->parent_code, sizeof o->parent_code, "%s", parent);
	o->name = name;
	o->type = type;
	o->synthetic = synthetic;
	o->parent = SIZE_MAX;
	return o;
}

static void add_real(struct builder *b, const struct ods_src_org *s)
{
	struct ods_org *o = add(b, s->code, s->name, s->type, s->icb, false);
	memcpy(o->postcode, s->postcode, sizeof o->postcode);
	memcpy(o->commissioner, s->commissioner, sizeof o->commissioner);
}

/* A synthetic organisation under icb, at the postcode of one of its real
 * practices or pharmacies (pool), so location rules apply to it too. */
static void add_synthetic(struct builder *b, enum ods_type type, const char *icb,
			  const struct ods_src_org *const *pool, size_t npool)
{
	char code[ODS_CODE_MAX + 1];
	const char *name;
	struct arena *a = &b->e->arena;
	if (type == ODS_CARE_PROVIDER) {
		snprintf(code, sizeof code, "ZC%06u", ++b->ncare);
		const char *w = words[pick(b, BW_NELEM(words))];
		const char *p = places[pick(b, BW_NELEM(places))];
		const char *k = care_kinds[pick(b, BW_NELEM(care_kinds))];
		name = arena_printf(a, "%s %s %s (SYNTHETIC)", w, p, k);
	} else {
		snprintf(code, sizeof code, "ZD%06u", ++b->ndental);
		const char *w = words[pick(b, BW_NELEM(words))];
		const char *k = dental_kinds[pick(b, BW_NELEM(dental_kinds))];
		name = arena_printf(a, "%s %s (SYNTHETIC)", w, k);
	}
	struct ods_org *o = add(b, code, name, type, icb, true);
	if (npool)
		memcpy(o->postcode, pool[pick(b, npool)]->postcode, sizeof o->postcode);
}

static void add_supplier(struct builder *b)
{
	char code[ODS_CODE_MAX + 1];
	snprintf(code, sizeof code, "ZS%04u", ++b->nsupplier);
	const char *w = words[pick(b, BW_NELEM(words))];
	const char *k = supplier_kinds[pick(b, BW_NELEM(supplier_kinds))];
	add(b, code, arena_printf(&b->e->arena, "%s %s LTD (SYNTHETIC)", w, k), ODS_SUPPLIER,
	    ODS_NATIONAL_CODE, true);
}

/* Largest-remainder shares of total in proportion to w[0..n), n <= 64. */
static void shares(size_t total, const size_t *w, size_t n, size_t *out)
{
	uint64_t sum = 0;
	size_t given = 0;
	bool extra[64] = { false };
	for (size_t i = 0; i < n; i++)
		sum += w[i];
	for (size_t i = 0; i < n; i++) {
		out[i] = sum ? (size_t)((uint64_t)total * w[i] / sum) : 0;
		given += out[i];
	}
	/* Fewer than n units are left; each goes to the largest remainder not
	 * yet served, the lower index first on a tie. */
	while (sum && given < total) {
		size_t best = n;
		uint64_t br = 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t rem = (uint64_t)total * w[i] % sum;
			if (!extra[i] && w[i] && (best == n || rem > br)) {
				best = i;
				br = rem;
			}
		}
		if (best == n)
			break;
		extra[best] = true;
		out[best]++;
		given++;
	}
}

/* The k members spread evenly over src[0..n) (all of them if n <= k). */
static size_t spread(size_t n, size_t k, size_t j)
{
	return n <= k ? j : (2 * j + 1) * n / (2 * k);
}

struct icb_range {
	const struct ods_src_icb *icb;
	size_t lo, hi;      /* its organisations in d->orgs */
	size_t weight;      /* practices + pharmacies */
};

static int icb_range_cmp(const void *a, const void *b)
{
	const struct icb_range *x = a, *y = b;
	int c = strcmp(x->icb->region, y->icb->region);
	return c ? c : strcmp(x->icb->code, y->icb->code);
}

static int by_code_cmp(const void *a, const void *b, void *arg)
{
	const struct ods_org *orgs = arg;
	return strcmp(orgs[*(const size_t *)a].code, orgs[*(const size_t *)b].code);
}

/* Indexes codes, links parents, counts types; checks the estate's shape. */
enum bw_err ods_estate_index(struct ods_estate *e, struct bw_error *err)
{
	e->by_code = malloc((e->n ? e->n : 1) * sizeof *e->by_code);
	if (!e->by_code)
		abort();
	for (size_t i = 0; i < e->n; i++)
		e->by_code[i] = i;
	qsort_r(e->by_code, e->n, sizeof *e->by_code, by_code_cmp, e->orgs);
	for (size_t i = 1; i < e->n; i++)
		if (strcmp(e->orgs[e->by_code[i - 1]].code, e->orgs[e->by_code[i]].code) == 0)
			return bw_fail(err, BW_ECONFLICT, "code", "organisation code %s occurs twice",
				       e->orgs[e->by_code[i]].code);
	for (size_t i = 0; i < e->n; i++) {
		struct ods_org *o = &e->orgs[i];
		e->count[o->type]++;
		if (!o->parent_code[0])
			continue;
		const struct ods_org *p = ods_estate_find(e, o->parent_code);
		if (!p || (size_t)(p - e->orgs) >= i)
			return bw_fail(err, BW_EINTERNAL, "parent_code",
				       "%s: parent %s missing or after its child", o->code,
				       o->parent_code);
		o->parent = (size_t)(p - e->orgs);
	}
	return BW_OK;
}

static enum bw_err build(struct builder *b, const struct ods_data *d, enum ods_scale scale,
			 struct bw_error *err)
{
	struct icb_range r[64];
	size_t nr = 0;
	for (size_t i = 0; i < d->nicbs; i++) {
		const struct ods_src_icb *icb = &d->icbs[i];
		if (!icb->old)
			continue;
		bool want = scale == ODS_SCALE_NATIONAL;
		for (size_t k = 0; k < BW_NELEM(small_icbs) && !want; k++)
			want = strcmp(small_icbs[k], icb->code) == 0;
		if (!want)
			continue;
		if (nr == BW_NELEM(r))
			return bw_fail(err, BW_ELIMIT, "icb_ods_code", "more than %zu ICBs",
				       BW_NELEM(r));
		r[nr++] = (struct icb_range){ .icb = icb };
	}
	if (scale == ODS_SCALE_SMALL && nr != BW_NELEM(small_icbs))
		return bw_fail(err, BW_ENOTFOUND, "icb_ods_code",
			       "icbs.csv lacks one of the small estate's ICBs (QMJ, QRV, QM7)");
	qsort(r, nr, sizeof *r, icb_range_cmp);
	for (size_t k = 0; k < nr; k++) {
		size_t lo = 0;
		while (lo < d->norgs && strcmp(d->orgs[lo].icb, r[k].icb->code) < 0)
			lo++;
		size_t hi = lo;
		while (hi < d->norgs && strcmp(d->orgs[hi].icb, r[k].icb->code) == 0) {
			if (d->orgs[hi].type != ODS_NHS_TRUST)
				r[k].weight++;
			hi++;
		}
		r[k].lo = lo;
		r[k].hi = hi;
	}

	add(b, ODS_NATIONAL_CODE, "NATIONAL CYBER SECURITY TEAM (SYNTHETIC)", ODS_NATIONAL, "",
	    true);
	for (size_t g = 0; g < d->nregions; g++) {
		bool want = false;
		for (size_t k = 0; k < nr && !want; k++)
			want = strcmp(r[k].icb->region, d->regions[g].code) == 0;
		if (want)
			add(b, d->regions[g].code, d->regions[g].name, ODS_REGION, ODS_NATIONAL_CODE,
			    false);
	}
	for (size_t k = 0; k < nr; k++)
		add(b, r[k].icb->code, r[k].icb->name, ODS_ICB, r[k].icb->region, false);

	/* How many synthetic organisations each ICB gets. */
	size_t care[64] = { 0 }, dental[64] = { 0 }, w[64];
	size_t nsup = NSUPPLIERS_SMALL;
	if (scale == ODS_SCALE_NATIONAL) {
		size_t real = b->e->n, synth = 0;
		for (size_t k = 0; k < nr; k++) {
			real += r[k].hi - r[k].lo;
			w[k] = r[k].weight;
		}
		nsup = NSUPPLIERS_NATIONAL;
		if (real + nsup < ODS_NATIONAL_TOTAL)
			synth = ODS_NATIONAL_TOTAL - real - nsup;
		shares(synth / 4, w, nr, dental);
		shares(synth - synth / 4, w, nr, care);
	} else {
		for (size_t k = 0; k < nr; k++)
			care[k] = dental[k] = 1;
	}

	const struct ods_src_org **pool = NULL;
	size_t poolcap = 0;
	for (size_t k = 0; k < nr; k++) {
		size_t npool = 0;
		for (enum ods_type t = ODS_NHS_TRUST; t <= ODS_PHARMACY; t++) {
			size_t lo = r[k].lo, hi;
			while (lo < r[k].hi && d->orgs[lo].type != t)
				lo++;
			for (hi = lo; hi < r[k].hi && d->orgs[hi].type == t; hi++)
				;
			size_t n = hi - lo, want = n;
			if (scale == ODS_SCALE_SMALL)
				want = t == ODS_NHS_TRUST ? SMALL_TRUSTS
				     : t == ODS_GP_PRACTICE ? SMALL_PRACTICES : SMALL_PHARMACIES;
			if (want > n)
				want = n;
			for (size_t j = 0; j < want; j++)
				add_real(b, &d->orgs[lo + spread(n, want, j)]);
			if (t == ODS_NHS_TRUST)
				continue;
			for (size_t j = lo; j < hi; j++) {
				if (!d->orgs[j].postcode[0])
					continue;
				if (npool == poolcap) {
					poolcap = poolcap ? 2 * poolcap : 256;
					pool = realloc(pool, poolcap * sizeof *pool);
					if (!pool)
						abort();
				}
				pool[npool++] = &d->orgs[j];
			}
		}
		for (size_t j = 0; j < care[k]; j++)
			add_synthetic(b, ODS_CARE_PROVIDER, r[k].icb->code, pool, npool);
		for (size_t j = 0; j < dental[k]; j++)
			add_synthetic(b, ODS_DENTAL_PRACTICE, r[k].icb->code, pool, npool);
	}
	free(pool);
	for (size_t j = 0; j < nsup; j++)
		add_supplier(b);
	return BW_OK;
}

enum bw_err ods_load(const char *data_dir, enum ods_scale scale, struct ods_estate *out,
		     struct bw_error *err)
{
	struct bw_error local;
	if (!err)
		err = &local;
	memset(out, 0, sizeof *out);
	arena_init(&out->arena);
	struct ods_data d;
	enum bw_err e = ods_data_read(data_dir, &d, err);
	if (e)
		return e;
	/* Names move from the data's arena to the estate's. */
	struct builder b = { .e = out, .rng = SEED ^ (uint64_t)scale };
	e = build(&b, &d, scale, err);
	if (!e) {
		for (size_t i = 0; i < out->n; i++)
			if (!out->orgs[i].synthetic || out->orgs[i].type == ODS_NATIONAL)
				out->orgs[i].name = arena_strdup(&out->arena, out->orgs[i].name);
		out->skipped = d.skipped;
		e = ods_estate_index(out, err);
	}
	ods_data_free(&d);
	if (e)
		ods_estate_free(out);
	return e;
}

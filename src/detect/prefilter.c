/*
 * prefilter: every literal of every rule in one multi-pattern matcher, run
 * once over an event's lower-case values. Hyperscan (block mode, literal
 * API) when built with it; otherwise a portable matcher that buckets the
 * literals by their first two bytes. Either reports every occurrence with
 * its end offset so the caller can tell which field it fell in.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifdef BW_HAVE_HYPERSCAN
#include <hs.h>
#endif

struct det_prefilter {
#ifdef BW_HAVE_HYPERSCAN
	hs_database_t *db;
#endif
	const struct det_literal *lits;
	uint32_t n;
	/* portable: literal ids by first two bytes; 1-byte literals apart */
	uint32_t *bucket_start;   /* 65537 entries */
	uint32_t *bucket;
	uint32_t *short_lits;
	uint32_t nshort;
	uint32_t nwanted;
	bool keywords;
	bool portable;
};

struct det_pf_scratch {
#ifdef BW_HAVE_HYPERSCAN
	hs_scratch_t *hs;
#endif
	int unused;
};

static bool wanted(const struct det_literal *l, bool keywords)
{
	return (l->field == DET_FIELD_KW) == keywords;
}

static bool build_portable(struct det_prefilter *pf)
{
	pf->portable = true;
	pf->bucket_start = calloc(65537, sizeof *pf->bucket_start);
	pf->bucket = calloc(pf->n + 1, sizeof *pf->bucket);
	pf->short_lits = calloc(pf->n + 1, sizeof *pf->short_lits);
	if (!pf->bucket_start || !pf->bucket || !pf->short_lits)
		return false;
	for (uint32_t i = 0; i < pf->n; i++) {
		const unsigned char *s = (const unsigned char *)pf->lits[i].s;
		if (!wanted(&pf->lits[i], pf->keywords))
			continue;
		if (pf->lits[i].n < 2)
			pf->short_lits[pf->nshort++] = i;
		else
			pf->bucket_start[(s[0] << 8 | s[1]) + 1]++;
	}
	for (uint32_t b = 1; b <= 65536; b++)
		pf->bucket_start[b] += pf->bucket_start[b - 1];
	uint32_t *fill = calloc(65536, sizeof *fill);
	if (!fill)
		return false;
	for (uint32_t i = 0; i < pf->n; i++) {
		const unsigned char *s = (const unsigned char *)pf->lits[i].s;
		if (wanted(&pf->lits[i], pf->keywords) && pf->lits[i].n >= 2) {
			uint32_t b = (uint32_t)(s[0] << 8 | s[1]);
			pf->bucket[pf->bucket_start[b] + fill[b]++] = i;
		}
	}
	free(fill);
	return true;
}

struct det_prefilter *det_prefilter_build(const struct det_literal *lits, uint32_t n,
					  bool keywords, struct bw_error *err)
{
	struct det_prefilter *pf = calloc(1, sizeof *pf);
	if (!pf)
		abort();
	pf->lits = lits;
	pf->n = n;
	pf->keywords = keywords;
	uint32_t want = 0;
	for (uint32_t i = 0; i < n; i++)
		want += wanted(&lits[i], keywords);
	pf->nwanted = want;
#ifdef BW_HAVE_HYPERSCAN
	if (want > 0 && !getenv("BULWARK_DETECT_PORTABLE")) {
		const char **exprs = calloc(n, sizeof *exprs);
		unsigned *flags = calloc(n, sizeof *flags), *ids = calloc(n, sizeof *ids);
		size_t *lens = calloc(n, sizeof *lens);
		if (!exprs || !flags || !ids || !lens)
			abort();
		uint32_t k = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (!wanted(&lits[i], keywords))
				continue;
			exprs[k] = lits[i].s;
			lens[k] = lits[i].n;
			ids[k] = i;
			/* the text is already lower case; one report per literal is enough */
			flags[k++] = HS_FLAG_SINGLEMATCH;
		}
		hs_compile_error_t *ce = NULL;
		hs_error_t rc = hs_compile_lit_multi(exprs, flags, ids, lens, k, HS_MODE_BLOCK, NULL,
						     &pf->db, &ce);
		free(exprs);
		free(flags);
		free(ids);
		free(lens);
		if (rc != HS_SUCCESS) {
			bw_fail(err, BW_EINTERNAL, "prefilter", "hyperscan: %s",
				ce && ce->message ? ce->message : "compile failed");
			if (ce)
				hs_free_compile_error(ce);
			free(pf);
			return NULL;
		}
		return pf;
	}
#endif
	(void)err;
	if (!build_portable(pf)) {
		det_prefilter_free(pf);
		abort();
	}
	return pf;
}

void det_prefilter_free(struct det_prefilter *pf)
{
	if (!pf)
		return;
#ifdef BW_HAVE_HYPERSCAN
	if (pf->db)
		hs_free_database(pf->db);
#endif
	free(pf->bucket_start);
	free(pf->bucket);
	free(pf->short_lits);
	free(pf);
}

const char *det_prefilter_name(const struct det_prefilter *pf)
{
	return pf && !pf->portable ? "hyperscan" : "portable";
}

struct det_pf_scratch *det_pf_scratch_new(const struct det_prefilter *pf)
{
	struct det_pf_scratch *s = calloc(1, sizeof *s);
	if (!s)
		abort();
#ifdef BW_HAVE_HYPERSCAN
	if (pf && pf->db && hs_alloc_scratch(pf->db, &s->hs) != HS_SUCCESS)
		abort();
#else
	(void)pf;
#endif
	return s;
}

void det_pf_scratch_free(struct det_pf_scratch *s)
{
	if (!s)
		return;
#ifdef BW_HAVE_HYPERSCAN
	if (s->hs)
		hs_free_scratch(s->hs);
#endif
	free(s);
}

#ifdef BW_HAVE_HYPERSCAN
struct hs_ctx {
	det_pf_hit_fn fn;
	void *ctx;
};

static int on_hs(unsigned int id, unsigned long long from, unsigned long long to,
		 unsigned int flags, void *ctx)
{
	(void)from;
	(void)flags;
	struct hs_ctx *c = ctx;
	c->fn(c->ctx, id, (size_t)to);
	return 0;
}
#endif

void det_prefilter_scan(const struct det_prefilter *pf, struct det_pf_scratch *s,
			const char *p, size_t n, det_pf_hit_fn fn, void *ctx)
{
	if (!pf || pf->nwanted == 0 || n == 0)
		return;
#ifdef BW_HAVE_HYPERSCAN
	if (pf->db) {
		struct hs_ctx c = { fn, ctx };
		hs_scan(pf->db, p, (unsigned)n, 0, s->hs, on_hs, &c);
		return;
	}
#else
	(void)s;
#endif
	const unsigned char *u = (const unsigned char *)p;
	for (size_t i = 0; i < n; i++) {
		for (uint32_t k = 0; k < pf->nshort; k++) {
			const struct det_literal *l = &pf->lits[pf->short_lits[k]];
			if (l->n == 1 && (unsigned char)l->s[0] == u[i])
				fn(ctx, pf->short_lits[k], i + 1);
		}
		if (i + 1 >= n)
			break;
		uint32_t b = (uint32_t)(u[i] << 8 | u[i + 1]);
		for (uint32_t k = pf->bucket_start[b]; k < pf->bucket_start[b + 1]; k++) {
			const struct det_literal *l = &pf->lits[pf->bucket[k]];
			if (l->n <= n - i && memcmp(p + i, l->s, l->n) == 0)
				fn(ctx, pf->bucket[k], i + l->n);
		}
	}
}

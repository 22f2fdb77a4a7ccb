/*
 * prefilter: the literals of one plan's rules in one multi-pattern matcher,
 * run once over an event's lower-case values. Hyperscan (block mode, literal
 * API) when built with it; otherwise a portable matcher that buckets the
 * literals by their first two bytes. Either reports every occurrence with
 * its end offset, so the caller can tell which field it fell in; a literal
 * only keyword rules use is reported once. A caseless prefilter reads text
 * that was not lower-cased (the values only keyword rules read).
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
	const struct det_text *texts;
	uint32_t n;
	/* portable: text ids by first two bytes */
	uint32_t *bucket_start;   /* 65537 entries */
	uint32_t *bucket;
	bool portable;
	bool caseless;
};

struct det_pf_scratch {
#ifdef BW_HAVE_HYPERSCAN
	hs_scratch_t *hs;
#endif
	int unused;
};

static bool build_portable(struct det_prefilter *pf, const uint32_t *ids)
{
	pf->portable = true;
	pf->bucket_start = calloc(65537, sizeof *pf->bucket_start);
	pf->bucket = calloc(pf->n + 1, sizeof *pf->bucket);
	uint32_t *fill = calloc(65536, sizeof *fill);
	if (!pf->bucket_start || !pf->bucket || !fill) {
		free(fill);
		return false;
	}
	/* texts are at least DET_MIN_LITERAL (>= 2) bytes long */
	for (uint32_t i = 0; i < pf->n; i++) {
		const unsigned char *s = (const unsigned char *)pf->texts[ids[i]].s;
		pf->bucket_start[(s[0] << 8 | s[1]) + 1]++;
	}
	for (uint32_t b = 1; b <= 65536; b++)
		pf->bucket_start[b] += pf->bucket_start[b - 1];
	for (uint32_t i = 0; i < pf->n; i++) {
		const unsigned char *s = (const unsigned char *)pf->texts[ids[i]].s;
		uint32_t b = (uint32_t)(s[0] << 8 | s[1]);
		pf->bucket[pf->bucket_start[b] + fill[b]++] = ids[i];
	}
	free(fill);
	return true;
}

struct det_prefilter *det_prefilter_build(const struct det_text *texts, const uint32_t *ids,
					  uint32_t n, bool caseless, struct bw_error *err)
{
	struct det_prefilter *pf = calloc(1, sizeof *pf);
	if (!pf)
		abort();
	pf->texts = texts;
	pf->n = n;
	pf->caseless = caseless;
#ifdef BW_HAVE_HYPERSCAN
	if (n > 0 && !getenv("BULWARK_DETECT_PORTABLE")) {
		const char **exprs = calloc(n, sizeof *exprs);
		unsigned *flags = calloc(n, sizeof *flags);
		size_t *lens = calloc(n, sizeof *lens);
		if (!exprs || !flags || !lens)
			abort();
		for (uint32_t k = 0; k < n; k++) {
			exprs[k] = texts[ids[k]].s;
			lens[k] = texts[ids[k]].n;
			/* the text is already lower case; a literal of no particular
			 * field needs reporting once, the others at each occurrence */
			flags[k] = (texts[ids[k]].single ? HS_FLAG_SINGLEMATCH : 0) |
				   (caseless ? HS_FLAG_CASELESS : 0);
		}
		hs_compile_error_t *ce = NULL;
		hs_error_t rc = hs_compile_lit_multi(exprs, flags, ids, lens, n, HS_MODE_BLOCK, NULL,
						     &pf->db, &ce);
		free(exprs);
		free(flags);
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
	if (!build_portable(pf, ids)) {
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
	free(pf);
}

const char *det_prefilter_name(const struct det_prefilter *pf)
{
#ifdef BW_HAVE_HYPERSCAN
	if (!pf || !pf->portable)
		return getenv("BULWARK_DETECT_PORTABLE") ? "portable" : "hyperscan";
#endif
	(void)pf;
	return "portable";
}

struct det_pf_scratch *det_pf_scratch_new(struct det_prefilter *const *pfs, uint32_t n)
{
	struct det_pf_scratch *s = calloc(1, sizeof *s);
	if (!s)
		abort();
#ifdef BW_HAVE_HYPERSCAN
	/* one scratch grown to fit every database */
	for (uint32_t i = 0; i < n; i++)
		if (pfs[i] && pfs[i]->db && hs_alloc_scratch(pfs[i]->db, &s->hs) != HS_SUCCESS)
			abort();
#else
	(void)pfs;
	(void)n;
#endif
	return s;
}

struct det_pf_scratch *det_pf_scratch_clone(const struct det_pf_scratch *src)
{
	struct det_pf_scratch *s = calloc(1, sizeof *s);
	if (!s)
		abort();
#ifdef BW_HAVE_HYPERSCAN
	if (src && src->hs && hs_clone_scratch(src->hs, &s->hs) != HS_SUCCESS)
		abort();
#else
	(void)src;
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

static inline unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* p (any case) equals the lower-case text t */
static bool same_folded(const char *p, const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fold((unsigned char)p[i]) != (unsigned char)t[i])
			return false;
	return true;
}

void det_prefilter_scan(const struct det_prefilter *pf, struct det_pf_scratch *s,
			const char *p, size_t n, det_pf_hit_fn fn, void *ctx)
{
	if (!pf || pf->n == 0 || n == 0)
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
	for (size_t i = 0; i + 1 < n; i++) {
		uint32_t b = pf->caseless ? (uint32_t)(fold(u[i]) << 8 | fold(u[i + 1]))
					  : (uint32_t)(u[i] << 8 | u[i + 1]);
		for (uint32_t k = pf->bucket_start[b]; k < pf->bucket_start[b + 1]; k++) {
			const struct det_text *t = &pf->texts[pf->bucket[k]];
			if (t->n <= n - i && (pf->caseless ? same_folded(p + i, t->s, t->n)
							   : memcmp(p + i, t->s, t->n) == 0))
				fn(ctx, pf->bucket[k], i + t->n);
		}
	}
}

/*
 * gate: the keyword literals of a plan (Sigma `keywords`: no field, any
 * value) found in the values no other rule reads, when they are few. Such a
 * literal set is small and rare (SigmaHQ's "Mimikatz Use" applies to every
 * Windows event with twenty), yet those values are most of an event's
 * bytes: a general multi-literal matcher costs per call and per byte far
 * more than this needs.
 *
 * Every literal contains one of a few two-byte anchors (a greedy cover
 * preferring pairs rare in logs); a SIMD pass marks where an anchor occurs,
 * and the literals owning that anchor are compared there, without case.
 * Like the prefilter, it reports every occurrence with its end offset.
 */
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define GATE_AVX2 1
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "internal.h"

#define GATE_MAX_ANCHORS 4
#define GATE_MAX_LIT 256
#define GATE_MAX_LITS 64           /* more than a few rare literals: no gate */

struct gate_lit {
	char *s;                   /* folded */
	uint32_t n;
	uint32_t at;               /* offset of its anchor in s */
	uint32_t text;             /* what a hit reports */
};

struct det_gate {
	uint32_t nanchors;
	unsigned char a0[GATE_MAX_ANCHORS], a1[GATE_MAX_ANCHORS];   /* |0x20 */
	uint32_t first[GATE_MAX_ANCHORS + 1];   /* into lits, by anchor */
	struct gate_lit *lits;
	uint32_t nlits;
};

/* Rough frequency of a byte (|0x20) in Windows log JSON, per mille: the
 * anchors are the rarest pairs that cover every literal. */
static unsigned freq(unsigned char c)
{
	static const unsigned char letters[26] = {
		82, 15, 28, 43, 127, 22, 20, 61, 70, 2, 8, 40, 24,
		67, 75, 19, 1, 60, 63, 91, 28, 10, 24, 2, 20, 1,
	};
	if (c >= 'a' && c <= 'z')
		return letters[c - 'a'];
	if (c >= '0' && c <= '9')
		return 30;
	switch (c) {
	case ' ': case '"': return 100;
	case '|': return 50;   /* backslash, folded */
	case '.': case '-': case ',': case ':': return 30;
	case '/': case '{': case '}': case 0x7f: return 20;   /* 0x7f: '_' folded */
	default: return 5;
	}
}

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

void det_gate_free(struct det_gate *g)
{
	if (!g)
		return;
	for (uint32_t i = 0; i < g->nlits; i++)
		free(g->lits[i].s);
	free(g->lits);
	free(g);
}

/* does lit contain the anchor pair? its offset, or -1 */
static int find_pair(const struct gate_lit *l, unsigned char a, unsigned char b)
{
	for (uint32_t i = 0; i + 1 < l->n; i++)
		if (((unsigned char)l->s[i] | 0x20) == a && ((unsigned char)l->s[i + 1] | 0x20) == b)
			return (int)i;
	return -1;
}

/* A greedy cover of the literals by at most GATE_MAX_ANCHORS pairs: the pair
 * in most uncovered literals per unit of frequency (shared: most uncovered
 * literals, the rarer on a tie). anchor[i]: the pair literal i is found by. */
static bool cover(struct det_gate *g, const struct gate_lit *tmp, uint32_t n, int *anchor,
		  bool shared)
{
	uint32_t left = n;
	g->nanchors = 0;
	for (uint32_t i = 0; i < n; i++)
		anchor[i] = -1;
	while (left) {
		if (g->nanchors == GATE_MAX_ANCHORS)
			return false;
		double best = 0;
		unsigned char ba = 0, bb = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (anchor[i] >= 0)
				continue;
			for (uint32_t j = 0; j + 1 < tmp[i].n; j++) {
				unsigned char a = (unsigned char)tmp[i].s[j] | 0x20;
				unsigned char b = (unsigned char)tmp[i].s[j + 1] | 0x20;
				uint32_t cnt = 0;
				for (uint32_t o = 0; o < n; o++)
					cnt += anchor[o] < 0 && find_pair(&tmp[o], a, b) >= 0;
				double rare = 1.0 / (double)(freq(a) * freq(b));
				double score = shared ? cnt + rare : cnt * rare;
				if (score > best)
					best = score, ba = a, bb = b;
			}
		}
		int ai = (int)g->nanchors++;
		g->a0[ai] = ba;
		g->a1[ai] = bb;
		for (uint32_t i = 0; i < n; i++)
			if (anchor[i] < 0 && find_pair(&tmp[i], ba, bb) >= 0) {
				anchor[i] = ai;
				left--;
			}
	}
	return true;
}

struct det_gate *det_gate_build(const struct det_text *texts, const uint32_t *ids, uint32_t n)
{
	if (n == 0 || n > GATE_MAX_LITS)
		return NULL;
	struct det_gate *g = calloc(1, sizeof *g);
	struct gate_lit *tmp = calloc(n, sizeof *tmp);
	if (!g || !tmp)
		abort();
	g->lits = calloc(n, sizeof *g->lits);
	if (!g->lits)
		abort();
	bool ok = true;
	for (uint32_t i = 0; i < n && ok; i++) {
		const struct det_text *t = &texts[ids[i]];
		if (t->n > GATE_MAX_LIT) {
			ok = false;
			break;
		}
		char *s = malloc(t->n + 1);
		if (!s)
			abort();
		for (uint32_t j = 0; j < t->n; j++)
			s[j] = (char)fold((unsigned char)t->s[j]);
		s[t->n] = 0;
		tmp[i] = (struct gate_lit){ s, t->n, 0, ids[i] };
		if (t->n < 2)
			ok = false;
	}
	/* anchors: rare pairs first; if that needs too many, most-shared first */
	int *anchor = calloc(n, sizeof *anchor);
	if (!anchor)
		abort();
	ok = ok && (cover(g, tmp, n, anchor, false) || cover(g, tmp, n, anchor, true));
	for (uint32_t a = 0; ok && a < g->nanchors; a++) {
		g->first[a] = g->nlits;
		for (uint32_t i = 0; i < n; i++) {
			if (anchor[i] != (int)a)
				continue;
			g->lits[g->nlits] = tmp[i];
			g->lits[g->nlits++].at =
				(uint32_t)find_pair(&tmp[i], g->a0[a], g->a1[a]);
			tmp[i].s = NULL;
		}
	}
	free(anchor);
	g->first[g->nanchors] = g->nlits;
	for (uint32_t i = 0; i < n; i++)
		free(tmp[i].s);
	free(tmp);
	if (!ok) {
		det_gate_free(g);
		return NULL;
	}
	return g;
}

/* the literals of anchor a placed so that their anchor is at p[i] */
static void verify(const struct det_gate *g, uint32_t a, const char *p, size_t n, size_t i,
		   det_pf_hit_fn fn, void *ctx)
{
	for (uint32_t k = g->first[a]; k < g->first[a + 1]; k++) {
		const struct gate_lit *l = &g->lits[k];
		if (i < l->at || i - l->at + l->n > n)
			continue;
		const unsigned char *s = (const unsigned char *)p + i - l->at;
		uint32_t j = 0;
		while (j < l->n && fold(s[j]) == (unsigned char)l->s[j])
			j++;
		if (j == l->n)
			fn(ctx, l->text, i - l->at + l->n);
	}
}

static void at_pair(const struct det_gate *g, const char *p, size_t n, size_t i,
		    det_pf_hit_fn fn, void *ctx)
{
	unsigned char c0 = (unsigned char)p[i] | 0x20, c1 = (unsigned char)p[i + 1] | 0x20;
	for (uint32_t a = 0; a < g->nanchors; a++)
		if (c0 == g->a0[a] && c1 == g->a1[a])
			verify(g, a, p, n, i, fn, ctx);
}

#ifdef GATE_AVX2
/* the same over 32 bytes at a time, where the CPU has AVX2 */
__attribute__((target("avx2")))
static size_t scan_avx2(const struct det_gate *g, const char *p, size_t n, det_pf_hit_fn fn,
			void *ctx)
{
	size_t i = 0;
	const __m256i lower = _mm256_set1_epi8(0x20);
	__m256i a0[GATE_MAX_ANCHORS], a1[GATE_MAX_ANCHORS];
	for (uint32_t a = 0; a < GATE_MAX_ANCHORS; a++) {
		a0[a] = _mm256_set1_epi8(a < g->nanchors ? (char)g->a0[a] : 0);
		a1[a] = _mm256_set1_epi8(a < g->nanchors ? (char)g->a1[a] : 0);
	}
	for (; i + 33 <= n; i += 32) {
		__m256i x0 = _mm256_or_si256(
			_mm256_loadu_si256((const __m256i *)(const void *)(p + i)), lower);
		__m256i x1 = _mm256_or_si256(
			_mm256_loadu_si256((const __m256i *)(const void *)(p + i + 1)), lower);
		__m256i m = _mm256_setzero_si256();
		for (uint32_t a = 0; a < GATE_MAX_ANCHORS; a++)
			m = _mm256_or_si256(m, _mm256_and_si256(_mm256_cmpeq_epi8(x0, a0[a]),
								_mm256_cmpeq_epi8(x1, a1[a])));
		for (unsigned bits = (unsigned)_mm256_movemask_epi8(m); bits; bits &= bits - 1)
			at_pair(g, p, n, i + (unsigned)__builtin_ctz(bits), fn, ctx);
	}
	return i;
}
#endif

void det_gate_scan(const struct det_gate *g, const char *p, size_t n, det_pf_hit_fn fn,
		   void *ctx)
{
	size_t i = 0;
#ifdef GATE_AVX2
	if (__builtin_cpu_supports("avx2"))
		i = scan_avx2(g, p, n, fn, ctx);
#endif
#if defined(__SSE2__)
	const __m128i lower = _mm_set1_epi8(0x20);
	/* a fixed number of anchors, unused ones 0 (never equal to a byte
	 * with 0x20 set): a loop the compiler unrolls into registers */
	__m128i a0[GATE_MAX_ANCHORS], a1[GATE_MAX_ANCHORS];
	for (uint32_t a = 0; a < GATE_MAX_ANCHORS; a++) {
		a0[a] = _mm_set1_epi8(a < g->nanchors ? (char)g->a0[a] : 0);
		a1[a] = _mm_set1_epi8(a < g->nanchors ? (char)g->a1[a] : 0);
	}
	for (; i + 17 <= n; i += 16) {
		__m128i x0 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), lower);
		__m128i x1 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + i + 1)),
					  lower);
		__m128i m = _mm_setzero_si128();
		for (uint32_t a = 0; a < GATE_MAX_ANCHORS; a++)
			m = _mm_or_si128(m, _mm_and_si128(_mm_cmpeq_epi8(x0, a0[a]),
							  _mm_cmpeq_epi8(x1, a1[a])));
		for (unsigned bits = (unsigned)_mm_movemask_epi8(m); bits; bits &= bits - 1)
			at_pair(g, p, n, i + (unsigned)__builtin_ctz(bits), fn, ctx);
	}
#endif
	for (; i + 1 < n; i++)
		at_pair(g, p, n, i, fn, ctx);
}

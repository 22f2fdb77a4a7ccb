/*
 * intern: field and channel names to small integer ids, compared without
 * case (events spell `ProcessID` and `ProcessId`, `Security` and `security`).
 * Filled while rules load; read-only (and so shared by threads) afterwards.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "internal.h"

static inline unsigned char fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* 16 bytes at a time where SSE2 is there: every value a rule reads is
 * folded once per event. dst may be src. */
void det_lower(char *dst, const char *src, size_t n)
{
	size_t i = 0;
#if defined(__SSE2__)
	/* c - 'A' + 0x80 is below -128 + 26 (signed) exactly for 'A'..'Z' */
	const __m128i shift = _mm_set1_epi8((char)(0x80 - 'A')), top = _mm_set1_epi8(-128 + 26),
		      bit = _mm_set1_epi8(0x20);
	for (; i + 16 <= n; i += 16) {
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
		__m128i up = _mm_cmplt_epi8(_mm_add_epi8(c, shift), top);
		_mm_storeu_si128((__m128i *)(void *)(dst + i),
				 _mm_add_epi8(c, _mm_and_si128(up, bit)));
	}
#endif
	for (; i < n; i++)
		dst[i] = (char)fold((unsigned char)src[i]);
}

bool det_has_case(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			return true;
	return false;
}

/* Eight bytes at a time; |0x20 folds ASCII letters (and maps a few
 * punctuation marks together, which only costs a comparison). */
static uint32_t hash_fold(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ (w | 0x2020202020202020ull)) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, p, n);
		h = (h ^ (w | (0x2020202020202020ull & ((1ull << (n * 8)) - 1)))) *
		    0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	return (uint32_t)(h ^ (h >> 32));
}

void det_intern_init(struct det_intern *t)
{
	memset(t, 0, sizeof *t);
	t->nslots = 256;
	t->slots = calloc(t->nslots, sizeof *t->slots);
	t->cap = 64;
	t->names = calloc(t->cap, sizeof *t->names);
	t->lens = calloc(t->cap, sizeof *t->lens);
	if (!t->slots || !t->names || !t->lens)
		abort();
	t->n = 1;
}

void det_intern_free(struct det_intern *t)
{
	for (uint32_t i = 1; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->lens);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

static bool same(const struct det_intern *t, uint32_t id, const char *p, size_t n)
{
	return t->lens[id] == n && (memcmp(t->names[id], p, n) == 0 ||
				    strncasecmp(t->names[id], p, n) == 0);
}

/* A slot holds the name's hash above its id: a probe that meets another
 * name is settled without reading that name (most names an event carries
 * are not interned, and each is looked up on every event). */
uint32_t det_intern_find(const struct det_intern *t, const char *name, size_t n)
{
	uint32_t mask = t->nslots - 1, h = hash_fold(name, n);
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		uint64_t sl = t->slots[i];
		if (!sl)
			return 0;
		uint32_t id = (uint32_t)sl;
		if ((uint32_t)(sl >> 32) == h && same(t, id, name, n))
			return id;
	}
}

static void rehash(struct det_intern *t)
{
	uint32_t nslots = t->nslots * 2;
	uint64_t *slots = calloc(nslots, sizeof *slots);
	if (!slots)
		abort();
	for (uint32_t id = 1; id < t->n; id++) {
		uint32_t h = hash_fold(t->names[id], t->lens[id]), i = h & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = (uint64_t)h << 32 | id;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
}

uint32_t det_intern_add(struct det_intern *t, const char *name, size_t n)
{
	uint32_t id = det_intern_find(t, name, n);
	if (id)
		return id;
	if ((t->n + 1) * 2 > t->nslots)
		rehash(t);
	if (t->n == t->cap) {
		t->cap *= 2;
		t->names = realloc(t->names, t->cap * sizeof *t->names);
		t->lens = realloc(t->lens, t->cap * sizeof *t->lens);
		if (!t->names || !t->lens)
			abort();
	}
	id = t->n++;
	t->names[id] = malloc(n + 1);   /* n bytes even if a NUL is among them */
	if (!t->names[id])
		abort();
	memcpy(t->names[id], name, n);
	t->names[id][n] = 0;
	t->lens[id] = (uint32_t)n;
	uint32_t mask = t->nslots - 1, h = hash_fold(name, n), i = h & mask;
	while (t->slots[i])
		i = (i + 1) & mask;
	t->slots[i] = (uint64_t)h << 32 | id;
	return id;
}

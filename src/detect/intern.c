/*
 * intern: field and channel names to small integer ids, compared without
 * case (events spell `ProcessID` and `ProcessId`, `Security` and `security`).
 * Filled while rules load; read-only (and so shared by threads) afterwards.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static inline unsigned char fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

void det_lower(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)fold((unsigned char)src[i]);
}

bool det_has_case(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			return true;
	return false;
}

static uint32_t hash_fold(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ fold((unsigned char)p[i])) * 16777619u;
	return h;
}

void det_intern_init(struct det_intern *t)
{
	memset(t, 0, sizeof *t);
	t->nslots = 256;
	t->slots = calloc(t->nslots, sizeof *t->slots);
	t->cap = 64;
	t->names = calloc(t->cap, sizeof *t->names);
	if (!t->slots || !t->names)
		abort();
	t->n = 1;
}

void det_intern_free(struct det_intern *t)
{
	for (uint32_t i = 1; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

static bool same(const char *a, const char *p, size_t n)
{
	return strlen(a) == n && strncasecmp(a, p, n) == 0;
}

uint32_t det_intern_find(const struct det_intern *t, const char *name, size_t n)
{
	uint32_t mask = t->nslots - 1;
	for (uint32_t i = hash_fold(name, n) & mask;; i = (i + 1) & mask) {
		uint32_t id = t->slots[i];
		if (!id)
			return 0;
		if (same(t->names[id], name, n))
			return id;
	}
}

static void rehash(struct det_intern *t)
{
	uint32_t nslots = t->nslots * 2;
	uint32_t *slots = calloc(nslots, sizeof *slots);
	if (!slots)
		abort();
	for (uint32_t id = 1; id < t->n; id++) {
		uint32_t i = hash_fold(t->names[id], strlen(t->names[id])) & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = id;
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
		if (!t->names)
			abort();
	}
	id = t->n++;
	t->names[id] = strndup(name, n);
	if (!t->names[id])
		abort();
	uint32_t mask = t->nslots - 1;
	uint32_t i = hash_fold(name, n) & mask;
	while (t->slots[i])
		i = (i + 1) & mask;
	t->slots[i] = id;
	return id;
}

/*
 * event: one event as the readers leave it — values by interned field id,
 * found in O(1) through a generation-stamped slot table (no clearing between
 * events), the routing keys (channel, EventID), and a lower-case copy of the
 * values some rule of the event's plan reads, laid end to end and
 * NUL-separated: what case-insensitive matching and the prefilter scan read.
 * Values no rule reads are never copied.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

void det_event_init(struct det_event *ev, uint32_t nfields)
{
	memset(ev, 0, sizeof *ev);
	ev->v = calloc(DETECT_LIM_FIELDS, sizeof *ev->v);
	ev->nslots = nfields + 1;
	ev->slot = calloc(ev->nslots, sizeof *ev->slot);
	ev->slot_gen = calloc(ev->nslots, sizeof *ev->slot_gen);
	ev->lay_end = calloc(DETECT_LIM_FIELDS, sizeof *ev->lay_end);
	ev->lay_field = calloc(DETECT_LIM_FIELDS, sizeof *ev->lay_field);
	ev->keys = calloc(DET_KEY_CACHE + DET_KEY_BY_NAME, sizeof *ev->keys);
	if (!ev->v || !ev->slot || !ev->slot_gen || !ev->lay_end || !ev->lay_field || !ev->keys)
		abort();
	for (uint32_t i = 0; i < DET_KEY_CACHE + DET_KEY_BY_NAME; i++)
		ev->keys[i].n = UINT32_MAX;
	buf_init(&ev->scratch);
	buf_init(&ev->low);
	ev->md = pcre2_match_data_create(1, NULL);
	if (!ev->md)
		abort();
}

void det_event_free(struct det_event *ev)
{
	free(ev->v);
	free(ev->slot);
	free(ev->slot_gen);
	free(ev->lay_end);
	free(ev->lay_field);
	free(ev->keys);
	buf_free(&ev->scratch);
	buf_free(&ev->low);
	pcre2_match_data_free(ev->md);
	memset(ev, 0, sizeof *ev);
}

void det_event_reset(struct det_event *ev, size_t record_len)
{
	ev->nv = 0;
	if (++ev->gen == 0) {
		memset(ev->slot_gen, 0, ev->nslots * sizeof *ev->slot_gen);
		ev->gen = 1;
	}
	buf_reset(&ev->scratch);
	/* unescaped text is never longer than the record it comes from */
	buf_reserve(&ev->scratch, record_len * 2 + 256);
	ev->channel = 0;
	ev->has_channel = ev->has_eid = false;
	ev->eid = 0;
	ev->oversize = false;
	ev->truncated = false;
	ev->nlay = 0;
	ev->rest_laid = false;
	ev->kctx = 0;
	buf_reset(&ev->low);
}

char *det_event_copy(struct det_event *ev, const char *p, size_t n)
{
	if (ev->scratch.len + n + 1 > ev->scratch.cap)
		abort(); /* the reservation in det_event_reset is a bound; this is a bug */
	char *d = ev->scratch.p + ev->scratch.len;
	if (n)
		memcpy(d, p, n);
	d[n] = 0;
	ev->scratch.len += n + 1;
	return d;
}

const struct det_value *det_event_get(const struct det_event *ev, uint32_t id)
{
	if (id >= ev->nslots || ev->slot_gen[id] != ev->gen)
		return NULL;
	return &ev->v[ev->slot[id] - 1];
}

static bool push(struct det_event *ev, uint32_t id, const char *p, size_t n, bool null)
{
	if (ev->nv == DETECT_LIM_FIELDS) {
		/* evaluated with the fields that fit, like a value cut at its
		 * limit: a flood of fields must not hide the event */
		ev->truncated = true;
		return false;
	}
	uint32_t i = ev->nv++;
	ev->v[i] = (struct det_value){ .id = id, .p = p, .n = (uint32_t)n, .null = null };
	if (id && id < ev->nslots) {
		if (ev->slot_gen[id] != ev->gen) {
			ev->slot_gen[id] = ev->gen;
			ev->slot[id] = i + 1;
		} else {
			struct det_value *v = &ev->v[ev->slot[id] - 1];
			while (v->next)
				v = &ev->v[v->next - 1];
			v->next = i + 1;
		}
	}
	return true;
}

bool det_event_push(struct det_event *ev, uint32_t id, const char *p, size_t n, bool null)
{
	return push(ev, id, p, n, null);
}

static uint32_t field_id(const struct detect_engine *e, const char *name, size_t name_n)
{
	/* Defender and others write "Source Name"; Sigma says SourceName */
	char nospace[256] = { 0 };
	if (name_n < sizeof nospace && memchr(name, ' ', name_n)) {
		size_t k = 0;
		for (size_t i = 0; i < name_n; i++)
			if (name[i] != ' ')
				nospace[k++] = name[i];
		name = nospace;
		name_n = k;
	}
	return det_intern_find(&e->fields, name, name_n);
}

/* no '"' or backslash in key[0..n): read whole (the slot is DET_KEY_MAX
 * bytes), 16 at a time where SSE2 is there */
static inline bool key_plain(const char *key, size_t n)
{
#if defined(__SSE2__) && DET_KEY_MAX == 48
	const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\');
	uint64_t m = 0;
	for (int i = 0; i < 3; i++) {
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)(key + 16 * i));
		m |= (uint64_t)(unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(c, q), _mm_cmpeq_epi8(c, b))) << (16 * i);
	}
	return (m & ((1ull << n) - 1)) == 0;
#else
	return !memchr(key, '"', n) && !memchr(key, '\\', n);
#endif
}

bool det_event_add(struct det_event *ev, const struct detect_engine *e, const char *name,
		   size_t name_n, const char *p, size_t n, bool null)
{
	if (n > DETECT_LIM_VALUE) {
		/* evaluated cut at the limit, not skipped: padding one field must
		 * not hide the whole event; cut at a character boundary */
		n = DETECT_LIM_VALUE;
		while (n && ((unsigned char)p[n] & 0xc0) == 0x80)
			n--;
		ev->truncated = true;
	}
	/* the name expected here: the one that followed the previous name
	 * last time (event kinds of one source share most of their order,
	 * but each inserts or drops a few names, which a guess by position
	 * would not survive) */
	struct det_key_slot *ks = &ev->keys[ev->kctx];
	uint32_t hn = 0;   /* the name's slot in the by-name table (names of 1..48 bytes) */
	if (name_n && name_n <= DET_KEY_MAX) {
		unsigned char a = (unsigned char)name[0], b = (unsigned char)name[name_n - 1],
			      c = (unsigned char)name[name_n / 2];
		uint32_t h = ((uint32_t)name_n * 0x9e3779b1u) ^ a ^ (uint32_t)b << 3 ^
			     (uint32_t)c << 6;
		h ^= h >> 8;
		hn = h & (DET_KEY_BY_NAME - 1);
		ev->kctx = (h * 0x9e3779b1u) >> 22 & (DET_KEY_CACHE - 1);
	} else {
		ev->kctx = 0;
	}
	uint32_t id;
	if (ks->n == name_n && det_key_eq(ks->key, name, name_n)) {
		id = ks->id;
	} else {
		/* events of another shape: by the name's length and a few bytes */
		struct det_key_slot *kn = NULL;
		if (name_n && name_n <= DET_KEY_MAX)
			kn = &ev->keys[DET_KEY_CACHE + hn];
		bool plain = true;  /* no '"' or backslash: see key_expected in json.c */
		if (kn && kn->n == name_n && det_key_eq(kn->key, name, name_n)) {
			id = kn->id;
			plain = kn->plain;
		} else {
			id = field_id(e, name, name_n);
			if (kn) {
				memcpy(kn->key, name, name_n);
				kn->n = (uint32_t)name_n;
				kn->id = id;
				kn->plain = plain = key_plain(kn->key, name_n);
			}
		}
		/* only names the JSON reader can take as they stand: a slot is
		 * also its guess at the next raw key */
		if (name_n <= DET_KEY_MAX) {
			memcpy(ks->key, name, name_n);
			ks->n = plain ? (uint32_t)name_n : UINT32_MAX;
			ks->id = id;
		}
	}
	if (!id && !e->keywords)
		return true;
	if (!push(ev, id, p, n, null))
		return false;
	/* another name for a Sigma field (log_name is Channel): both answer */
	if (id && e->field_alias[id])
		return push(ev, e->field_alias[id], p, n, null);
	return true;
}

static bool parse_u32(const struct det_value *v, uint32_t *out)
{
	int64_t x;
	if (!v || v->null || !str_to_i64(str_trim((struct str){ v->p, v->n }), 0, UINT32_MAX, &x))
		return false;
	*out = (uint32_t)x;
	return true;
}

void det_event_finish(struct det_event *ev, const struct detect_engine *e)
{
	const struct det_value *ch = det_event_get(ev, e->f_channel);
	if (ch && !ch->null && ch->n) {
		ev->has_channel = true;
		ev->channel = det_intern_find(&e->channels, ch->p, ch->n);
	}
	ev->has_eid = parse_u32(det_event_get(ev, e->f_eid), &ev->eid);
	for (uint32_t i = 0; i < e->naliases; i++) {
		const struct det_alias *a = &e->aliases[i];
		if ((a->channel && a->channel != ev->channel) ||
		    (a->eid != UINT32_MAX && (!ev->has_eid || a->eid != ev->eid)))
			continue;
		if (det_event_get(ev, a->to))
			continue;
		const struct det_value *f = det_event_get(ev, a->from);
		if (f)
			push(ev, a->to, f->p, f->n, f->null);
	}
}

/* the values in (pass 0) or out of (pass 1) ev->lay_fields, from d on */
static char *lay(struct det_event *ev, char *d, int pass)
{
	const uint8_t *fields = ev->lay_fields;
	uint32_t k = ev->nlay;
	for (uint32_t i = 0; i < ev->nv; i++) {
		struct det_value *v = &ev->v[i];
		if (fields && (fields[v->id] != 0) != (pass == 0)) {
			if (pass == 0)
				v->lp = NULL;
			continue;
		}
		if (pass == 0) {
			v->lp = d;
			det_lower(d, v->p, v->n);
		} else if (v->n) {
			memcpy(d, v->p, v->n);
		}
		d += v->n;
		ev->lay_end[k] = (uint32_t)(d - ev->low.p);
		ev->lay_field[k++] = v->id;
		*d++ = 0;
	}
	ev->nlay = k;
	ev->low.len = (size_t)(d - ev->low.p);
	return d;
}

void det_event_layout(struct det_event *ev, const uint8_t *fields, bool rest)
{
	size_t total = 1;
	for (uint32_t i = 0; i < ev->nv; i++)
		total += ev->v[i].n + 1;
	buf_reset(&ev->low);
	/* room for the rest too, so that laying it out later moves nothing */
	buf_reserve(&ev->low, total);
	ev->nlay = 0;
	ev->lay_fields = fields;
	ev->rest_raw = false;
	ev->rest_laid = !fields;
	lay(ev, ev->low.p, 0);
	ev->lay_split = ev->low.len;
	if (fields && rest)
		det_event_layout_rest(ev);
}

void det_event_layout_rest(struct det_event *ev)
{
	if (ev->rest_laid)
		return;
	ev->rest_laid = true;
	ev->rest_raw = true;
	lay(ev, ev->low.p + ev->low.len, 1);
}

void det_event_lower_rest(struct det_event *ev)
{
	det_event_layout_rest(ev);
	if (!ev->rest_raw)
		return;
	ev->rest_raw = false;
	char *d = ev->low.p + ev->lay_split;
	det_lower(d, d, ev->low.len - ev->lay_split);
	for (uint32_t i = 0; i < ev->nv; i++) {
		struct det_value *v = &ev->v[i];
		if (ev->lay_fields[v->id])
			continue;
		v->lp = d;
		d += v->n + 1;
	}
}

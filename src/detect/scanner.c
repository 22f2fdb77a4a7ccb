/*
 * scanner: one thread's view of a compiled engine — reads inputs in bounded
 * buffers, splits JSON records (JSON-lines or objects written back to back),
 * and evaluates each event either the baseline way (every rule) or the fast
 * way (the event's plan: its always-evaluated rules, plus the rules whose
 * literals the prefilter saw in the fields they read). Both report a rule's
 * findings in rule order, so their output is identical.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "internal.h"
#include "scanner.h"

struct detect_scanner *detect_scanner_new(const struct detect_engine *e, enum detect_mode mode)
{
	struct detect_scanner *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->e = e;
	s->mode = mode;
	det_event_init(&s->ev, e->fields.n);
	s->pfs = det_pf_scratch_clone(e->pf_proto);
	s->seen = calloc(e->npairs / 8 + 1, 1);
	s->seen_list = calloc(e->npairs + 1, sizeof *s->seen_list);
	s->cand = calloc(e->nwords + 1, sizeof *s->cand);
	s->out = calloc(e->nrules + 1, sizeof *s->out);
	if (!s->seen || !s->seen_list || !s->cand || !s->out)
		abort();
	det_corr_init(s);
	return s;
}

void detect_scanner_free(struct detect_scanner *s)
{
	if (!s)
		return;
	det_corr_free(s);
	det_event_free(&s->ev);
	det_pf_scratch_free(s->pfs);
	if (s->xml)
		det_xml_parser_free(s->xml);
	free(s->seen);
	free(s->seen_list);
	free(s->cand);
	free(s->out);
	free(s);
}

struct det_event *det_scanner_ev(struct detect_scanner *s)
{
	return &s->ev;
}

void *det_scanner_xml(struct detect_scanner *s)
{
	if (!s->xml)
		s->xml = det_xml_parser_new();
	return s->xml;
}

/* ---- evaluation ---- */

/* A text occurred, ending at `end` in the scan buffer: set the bits of its
 * pairs for the field it fell in (and its keyword pair). */
static void on_hit(void *ctx, uint32_t text, size_t end)
{
	struct detect_scanner *s = ctx;
	const struct detect_engine *e = s->e;
	const struct det_event *ev = &s->ev;
	const struct det_text *t = &e->texts[text];
	uint32_t lo = 0, hi = ev->nlay;
	while (lo < hi) {    /* the first value ending at or after `end` */
		uint32_t mid = (lo + hi) / 2;
		if (ev->lay_end[mid] < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint32_t field = lo < ev->nlay ? ev->lay_field[lo] : 0;
	for (uint32_t p = t->first_pair; p < t->first_pair + t->npairs; p++) {
		uint32_t f = e->pairs[p].field;
		if ((f == field || f == DET_FIELD_KW) && !(s->seen[p >> 3] & (1u << (p & 7)))) {
			s->seen[p >> 3] |= (uint8_t)(1u << (p & 7));
			s->seen_list[s->nseen++] = p;
		}
	}
}

/* A keyword text in the values no rule names: only its keyword pair. */
static void on_hit_kw(void *ctx, uint32_t text, size_t end)
{
	struct detect_scanner *s = ctx;
	const struct det_text *t = &s->e->texts[text];
	(void)end;
	for (uint32_t p = t->first_pair; p < t->first_pair + t->npairs; p++)
		if (s->e->pairs[p].field == DET_FIELD_KW && !(s->seen[p >> 3] & (1u << (p & 7)))) {
			s->seen[p >> 3] |= (uint8_t)(1u << (p & 7));
			s->seen_list[s->nseen++] = p;
		}
}

/* Rules that fire on the current event, in rule order, into s->out. */
static uint32_t evaluate(struct detect_scanner *s, struct detect_stats *st)
{
	const struct detect_engine *e = s->e;
	struct det_event *ev = &s->ev;
	uint32_t nout = 0;
	/* an engine never compiled has no plans: every rule is tried */
	if (s->mode == DETECT_BASELINE || !e->compiled) {
		det_event_layout(ev, NULL, false);
		for (uint32_t i = 0; i < e->nrules; i++) {
			const struct det_rule *r = &e->rules[i];
			if (!det_rule_evaluated(r))
				continue;
			st->rules_evaluated++;
			if (det_route_accepts(r, ev) && det_rule_match(r, ev, NULL))
				s->out[nout++] = i;
		}
		return nout;
	}
	const struct det_plan *pl = det_plan_of(e, ev);
	if (pl->nrules == 0)
		return 0;
	det_event_layout(ev, pl->fields, false);
	s->nseen = 0;
	det_prefilter_scan(pl->pf, s->pfs, ev->low.p, ev->lay_split, on_hit, s);
	/* the other values only matter to keyword literals */
	if (pl->pf_kw) {
		det_event_layout_rest(ev);
		if (pl->kw_gate)
			det_gate_scan(pl->kw_gate, ev->low.p + ev->lay_split,
				      ev->low.len - ev->lay_split, on_hit_kw, s);
		else
			det_prefilter_scan(pl->pf_kw, s->pfs, ev->low.p + ev->lay_split,
					   ev->low.len - ev->lay_split, on_hit_kw, s);
	}
	uint64_t *cand = s->cand;
	memcpy(cand, pl->always, e->nwords * sizeof *cand);
	for (uint32_t i = 0; i < s->nseen; i++) {
		const struct det_pair *p = &e->pairs[s->seen_list[i]];
		for (uint32_t k = 0; k < p->nrules; k++) {
			uint32_t r = p->rules[k];
			cand[r / 64] |= pl->member[r / 64] & (1ull << (r % 64));
		}
	}
	for (uint32_t w = 0; w < e->nwords; w++) {
		for (uint64_t bits = cand[w]; bits; bits &= bits - 1) {
			uint32_t ri = w * 64 + (uint32_t)__builtin_ctzll(bits);
			const struct det_rule *r = &e->rules[ri];
			if (!r->always && !det_rule_possible(r, s->seen))
				continue;
			if (r->keyword)
				det_event_lower_rest(ev);
			st->rules_evaluated++;
			if (det_rule_match(r, ev, s->seen))
				s->out[nout++] = ri;
		}
	}
	for (uint32_t i = 0; i < s->nseen; i++)
		s->seen[s->seen_list[i] >> 3] = 0;
	return nout;
}

static const char *first_value(struct detect_scanner *s, const uint32_t *ids, uint32_t n,
			       char *buf, size_t cap)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct det_value *v = det_event_get(&s->ev, ids[i]);
		if (v && !v->null && v->n) {
			size_t k = v->n < cap - 1 ? v->n : cap - 1;
			memcpy(buf, v->p, k);
			buf[k] = 0;
			return buf;
		}
	}
	return "";
}

void det_scanner_emit(struct detect_scanner *s, struct det_reader_sink *k,
		      const struct det_rule *r, const struct detect_field_value *fields,
		      uint32_t nf)
{
	struct detect_finding f = {
		.rule = &r->info,
		.source = k->source,
		.record = k->record,
		.computer = first_value(s, s->e->computer_ids, s->e->ncomputer_ids, s->computer,
					sizeof s->computer),
		.time = first_value(s, s->e->time_ids, s->e->ntime_ids, s->time, sizeof s->time),
		.fields = fields,
		.nfields = nf,
	};
	k->stats->findings++;
	if (k->fn)
		k->fn(k->ctx, &f);
}

void det_scanner_event(struct det_reader_sink *k, enum det_parse st)
{
	struct detect_scanner *s = k->s;
	k->record++;
	switch (st) {
	case PARSE_OK:
		break;
	case PARSE_BAD:
		k->stats->bad_records++;
		return;
	case PARSE_OVERSIZE:
		k->stats->oversize++;
		return;
	case PARSE_BAD_UTF8:
		k->stats->bad_utf8++;
		return;
	}
	k->stats->events++;
	if (s->ev.truncated)
		k->stats->truncated++;
	uint32_t n = evaluate(s, k->stats);
	const struct detect_engine *e = s->e;
	for (uint32_t i = 0; i < n; i++) {
		const struct det_rule *r = &e->rules[s->out[i]];
		if (e->has_corr && det_corr_feed(s, k, s->out[i]) && !det_corr_generates(s, s->out[i]))
			continue;
		uint32_t nf = 0;
		for (uint32_t f = 0; f < r->nout && nf < BW_NELEM(s->fv); f++) {
			const struct det_value *v = det_event_get(&s->ev, r->out_fields[f]);
			if (!v || v->null)
				continue;
			s->fv[nf++] = (struct detect_field_value){ e->fields.names[r->out_fields[f]],
								    v->p, v->n };
		}
		det_scanner_emit(s, k, r, s->fv, nf);
	}
}

/* ---- JSON streams ---- */

/* Splits a stream into records. Keeps brace depth and string state across
 * refills, so each byte is looked at once. A JSON-lines file is recognised
 * by its first record holding no raw newline; from then on a newline inside
 * a record marks it damaged and the next line starts afresh. */
struct splitter {
	size_t pos;       /* scan position, relative to record start */
	int depth;
	bool in_str, esc, started, skipping, jsonl, known;
	bool reported;    /* a skipped record's first DETECT_LIM_RECORD bytes were evaluated */
};

static void split_reset(struct splitter *sp)
{
	bool jsonl = sp->jsonl, known = sp->known;
	memset(sp, 0, sizeof *sp);
	sp->jsonl = jsonl;
	sp->known = known;
}

/* Processes as many whole records of p[0..n) as it can; returns bytes consumed.
 * eof: no more input follows. */
static size_t split_feed(struct det_reader_sink *k, struct splitter *sp, const char *p, size_t n,
			 bool eof)
{
	size_t start = 0;
	for (;;) {
		if (!sp->started) {
			while (start < n && (p[start] == ' ' || p[start] == '\n' || p[start] == '\r' ||
					     p[start] == '\t' || p[start] == ','))
				start++;
			if (start + 3 <= n && (unsigned char)p[start] == 0xef &&
			    (unsigned char)p[start + 1] == 0xbb && (unsigned char)p[start + 2] == 0xbf)
				start += 3;
			if (start >= n)
				return n;
			if (p[start] == '[' && !sp->known) { /* a JSON array of records */
				start++;
				continue;
			}
			if (p[start] == ']') {
				start++;
				continue;
			}
			if (p[start] != '{') {
				/* not a record: count the line once and go to the next */
				const char *nl = memchr(p + start, '\n', n - start);
				if (!nl && !eof) {
					if (n - start <= DETECT_LIM_RECORD)
						return start;
					det_scanner_event(k, PARSE_BAD);
					return n;
				}
				det_scanner_event(k, PARSE_BAD);
				start = nl ? (size_t)(nl - p) + 1 : n;
				continue;
			}
			sp->started = true;
			sp->pos = 0;
		}
		const char *r = p + start;
		size_t avail = n - start;
		if (sp->jsonl && !sp->skipping) {
			/* JSON-lines: the record is the line; the parser checks its shape */
			const char *nl = memchr(r, '\n', avail);
			if (!nl && !eof) {
				if (avail > DETECT_LIM_RECORD) {
					det_scanner_event(k, det_json_event_cut(&k->s->ev, k->s->e, r,
										DETECT_LIM_RECORD));
					sp->reported = true;
					sp->skipping = true;
					sp->pos = 0;
					return n;
				}
				return start;
			}
			size_t len = nl ? (size_t)(nl - r) : avail;
			while (len && (r[len - 1] == '\r' || r[len - 1] == ' ' || r[len - 1] == '\t'))
				len--;
			if (len > DETECT_LIM_RECORD)
				det_scanner_event(k, det_json_event_cut(&k->s->ev, k->s->e, r,
									DETECT_LIM_RECORD));
			else
				det_scanner_event(k, det_json_event(&k->s->ev, k->s->e, r, len));
			start += nl ? (size_t)(nl - r) + 1 : avail;
			split_reset(sp);
			continue;
		}
		size_t i = sp->pos;
		bool done = false, broken = false, newline = false;
		for (; i < avail; i++) {
			char c = r[i];
			if (sp->in_str) {
				if (sp->esc)
					sp->esc = false;
				else if (c == '\\')
					sp->esc = true;
				else if (c == '"')
					sp->in_str = false;
				else if (c == '\n') {
					newline = true;
					if (sp->jsonl) {
						broken = true;
						break;
					}
				}
				continue;
			}
			if (c == '"')
				sp->in_str = true;
			else if (c == '{' || c == '[')
				sp->depth++;
			else if (c == '}' || c == ']') {
				if (--sp->depth == 0) {
					i++;
					done = true;
					break;
				}
			} else if (c == '\n') {
				newline = true;
				if (sp->jsonl) {
					broken = true;
					break;
				}
			}
		}
		if (sp->skipping) {
			/* an oversized record: drop what we have seen */
			if (done || broken) {
				if (!sp->reported)
					det_scanner_event(k, PARSE_OVERSIZE);
				start += broken ? i + 1 : i;
				split_reset(sp);
				continue;
			}
			sp->pos = 0;
			if (eof) {
				if (!sp->reported)
					det_scanner_event(k, PARSE_OVERSIZE);
				split_reset(sp);
			}
			return n;
		}
		if (broken) {
			det_scanner_event(k, PARSE_BAD);
			start += i + 1;
			split_reset(sp);
			continue;
		}
		if (!done) {
			if (avail > DETECT_LIM_RECORD) {
				det_scanner_event(k, det_json_event_cut(&k->s->ev, k->s->e, r,
									DETECT_LIM_RECORD));
				sp->reported = true;
				sp->skipping = true;
				sp->pos = 0;
				return n;
			}
			if (eof) {
				det_scanner_event(k, PARSE_BAD);
				split_reset(sp);
				return n;
			}
			sp->pos = i;
			return start;
		}
		if (!sp->known) {
			sp->known = true;
			sp->jsonl = !newline;
		}
		if (i > DETECT_LIM_RECORD)
			det_scanner_event(k, det_json_event_cut(&k->s->ev, k->s->e, r,
								DETECT_LIM_RECORD));
		else
			det_scanner_event(k, det_json_event(&k->s->ev, k->s->e, r, i));
		start += i;
		split_reset(sp);
	}
}

void detect_scan_json(struct detect_scanner *s, const char *p, size_t n, const char *source,
		      detect_finding_fn fn, void *ctx, struct detect_stats *stats)
{
	struct det_reader_sink k = { s, source ? source : "", 0, fn, ctx, stats };
	struct splitter sp = { 0 };
	split_feed(&k, &sp, p, n, true);
}

#define CHUNK (1024 * 1024)

static enum bw_err scan_json_file(struct detect_scanner *s, const char *path,
				  struct det_reader_sink *k, struct bw_error *err)
{
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return bw_fail(err, BW_EIO, path, "%s: %s", path, strerror(errno));
	gzbuffer(gz, 256 * 1024);
	struct buf b;
	buf_init(&b);
	buf_reserve(&b, 2 * CHUNK);
	struct splitter sp = { 0 };
	bool eof = false;
	while (!eof) {
		buf_reserve(&b, CHUNK);
		int got = gzread(gz, b.p + b.len, CHUNK);
		if (got < 0) {
			/* damaged compressed stream: treat what we have as the end */
			k->stats->bad_records++;
			got = 0;
		}
		if (got == 0)
			eof = true;
		b.len += (size_t)got;
		size_t used = split_feed(k, &sp, b.p, b.len, eof);
		if (used) {
			memmove(b.p, b.p + used, b.len - used);
			b.len -= used;
		}
	}
	(void)s;
	gzclose(gz);
	buf_free(&b);
	return BW_OK;
}

static enum detect_format sniff(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return DETECT_FORMAT_JSON;
	char magic[8] = { 0 };
	size_t n = fread(magic, 1, sizeof magic, f);
	fclose(f);
	if (n == 8 && !memcmp(magic, "ElfFile", 8))
		return DETECT_FORMAT_EVTX;
	return DETECT_FORMAT_JSON;
}

enum bw_err detect_scan_file(struct detect_scanner *s, const char *path, enum detect_format fmt,
			     detect_finding_fn fn, void *ctx, struct detect_stats *stats,
			     struct bw_error *err)
{
	struct det_reader_sink k = { s, path, 0, fn, ctx, stats };
	if (fmt == DETECT_FORMAT_AUTO)
		fmt = sniff(path);
	if (fmt == DETECT_FORMAT_EVTX)
		return det_evtx_scan(s, path, &k, err);
	return scan_json_file(s, path, &k, err);
}

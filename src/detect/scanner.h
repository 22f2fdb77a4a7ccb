/*
 * scanner.h: the scanner's state, shared by scanner.c, evtx.c and
 * correlation.c (internal to src/detect).
 */
#ifndef BW_DETECT_SCANNER_H
#define BW_DETECT_SCANNER_H

#include "internal.h"

struct det_corr_state;

struct detect_scanner {
	const struct detect_engine *e;
	enum detect_mode mode;
	struct det_event ev;
	struct det_pf_scratch *pfs;
	uint8_t *seen;            /* pair bitset, cleared through seen_list */
	uint32_t *seen_list;
	uint32_t nseen;
	uint64_t *cand;           /* bitmap by rule: evaluated on this event */
	uint32_t *out;            /* rules that fired on the current event */
	struct detect_field_value fv[64];
	char computer[256], time[64];
	void *xml;
	struct det_corr_state *corr;
	struct detect_corr_log *defer;   /* correlations deferred to this log */
};

void det_scanner_emit(struct detect_scanner *s, struct det_reader_sink *k,
		      const struct det_rule *r, const struct detect_field_value *fields,
		      uint32_t nf);

/* correlation.c */
void det_corr_init(struct detect_scanner *s);
void det_corr_free(struct detect_scanner *s);
/* A base rule fired: feeds every correlation that counts it. True if some
 * correlation counts it. */
bool det_corr_feed(struct detect_scanner *s, struct det_reader_sink *k, uint32_t rule);
/* Does the base rule still report on its own (some correlation says generate)? */
bool det_corr_generates(struct detect_scanner *s, uint32_t rule);

#endif

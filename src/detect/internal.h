/*
 * internal: the detect module's shared structures — compiled rules, the
 * event as the readers leave it, and the engine. Not part of the public face
 * (detect.h); only the detect sources and their tests include it.
 */
#ifndef BW_DETECT_INTERNAL_H
#define BW_DETECT_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "detect.h"

/* ---- interned field names (case-insensitive); id 0 = not interned ---- */
struct det_intern {
	char **names;          /* by id; names[0] unused */
	uint32_t *lens;        /* by id */
	uint32_t n, cap;
	uint64_t *slots;       /* open addressing: hash << 32 | id, or 0 */
	uint32_t nslots;
};
void det_intern_init(struct det_intern *t);
void det_intern_free(struct det_intern *t);
uint32_t det_intern_add(struct det_intern *t, const char *name, size_t n);
uint32_t det_intern_find(const struct det_intern *t, const char *name, size_t n);

/* ---- one value test after modifiers ---- */
enum det_op {
	OP_EQ, OP_CONTAINS, OP_PREFIX, OP_SUFFIX, OP_GLOB, /* string forms */
	OP_RE, OP_CIDR, OP_NUM, OP_EXISTS, OP_NULL, OP_FIELDREF, OP_TIME,
};
enum det_cmp { CMP_EQ, CMP_LT, CMP_LTE, CMP_GT, CMP_GTE };
enum det_time_part { TP_MINUTE, TP_HOUR, TP_DAY, TP_WEEK, TP_MONTH, TP_YEAR };

struct det_matcher {
	uint8_t op;
	bool cased;          /* compare bytes as they are (else ASCII-folded) */
	bool neq;            /* `neq`: true when the value differs (or is absent) */
	bool exists;         /* OP_EXISTS: expected presence */
	uint8_t cmp;         /* OP_NUM / OP_TIME */
	uint8_t time_part;
	uint8_t fr_op;       /* OP_FIELDREF: the string form applied to the other field */
	uint8_t cidr_family; /* 4 or 6 */
	uint8_t cidr_bits;
	uint8_t cidr_addr[16];
	const char *s;       /* literal or glob pattern (folded unless cased) */
	const uint8_t *wild; /* OP_GLOB: 1 where s[i] is a wildcard (* or ?) */
	uint32_t n;
	double num;
	uint32_t ref_field;  /* OP_FIELDREF */
	pcre2_code *re;
	bool re_shared;      /* re belongs to a meta filter's own matcher */
	uint32_t group;      /* matchers from one Sigma value share a group (|all) */
	const char *lit_s;   /* prefilter literal (folded, no NUL), or NULL */
	uint32_t lit_n;
	int32_t lit;         /* (literal, field) pair the prefilter reports, -1 if none */
	bool exact;          /* the pair's bit alone answers the test (plain contains) */
};

/* field|modifiers: values — true if any (or with |all every) matcher holds */
#define DET_FIELD_ANY UINT32_MAX  /* keyword search: any field of the event */
#define DET_FIELD_KW (UINT32_MAX - 1)  /* a keyword literal: scanned over every value */
#define DET_MIN_LITERAL 3         /* shorter literals are not worth prefiltering on */
struct det_pred {
	uint32_t field;
	bool all;
	uint32_t first, count;     /* into rule->matchers */
};

/* a search identifier: OR over alternatives, each an AND over predicates */
struct det_alt {
	uint32_t first, count;     /* into rule->preds */
};
struct det_sel {
	const char *name;
	uint32_t first, count;     /* into rule->alts */
};

/* condition bytecode: a single accumulator; AND/OR short-circuit by jumps */
enum det_code { C_SEL, C_NOT, C_JF, C_JT, C_TRUE, C_FALSE };
struct det_insn {
	uint8_t code;
	uint32_t arg;              /* selection index or jump target */
};

/* the condition as a tree too: the engine derives prefilter triggers from it */
enum det_cnode_type { CN_SEL, CN_NOT, CN_AND, CN_OR, CN_TRUE };
struct det_cnode {
	uint8_t type;
	uint32_t sel;
	uint32_t kid0, nkids;      /* into rule->ckids */
};

/* where a rule's events come from: a channel (interned lower-case id, 0 =
 * any channel) and EventIDs (none = any) */
struct det_source {
	uint32_t channel;
	uint32_t neids;
	uint32_t *eids;
};

enum det_corr_type { CORR_NONE, CORR_EVENT_COUNT, CORR_VALUE_COUNT, CORR_TEMPORAL,
		     CORR_TEMPORAL_ORDERED };

struct det_rule {
	struct detect_rule_info info;
	const char *name;          /* the `name` field, for correlations */
	struct det_matcher *matchers;
	struct det_pred *preds;
	struct det_alt *alts;
	struct det_sel *sels;
	struct det_insn *code;
	uint32_t nmatchers, npreds, nalts, nsels, ncode;
	struct det_cnode *cnodes;
	uint32_t *ckids;
	uint32_t ncnodes, croot;
	struct det_source *sources;
	uint32_t nsources;
	bool unrouted;             /* logsource not mapped to channels: events without a channel */
	bool always;               /* may fire without any literal: always evaluated */
	bool keyword;              /* searches every value of the event */
	uint32_t *out_fields;      /* fields shown in a finding */
	uint32_t nout;
	/* correlation */
	uint8_t corr;
	uint32_t *corr_rules;      /* indices of the rules it counts */
	uint32_t ncorr_rules;
	const char **corr_rule_refs;
	uint32_t *group_by;
	uint32_t ngroup_by;
	int64_t timespan_ms;
	uint8_t corr_cmp;
	int64_t corr_count;
	uint32_t corr_field;       /* value_count */
	bool generate;             /* the counted rules also report on their own */
	/* the logsource as written (meta filters match rules by it) */
	const char *product, *category, *service;
	/* a meta filter: its condition excludes events from the rules it names */
	const char **filter_refs;
	uint32_t nfilter_refs;
	uint32_t nfilters;         /* filters applied to this rule */
};

/* Tried on events: not a correlation, not a meta filter, not disabled. */
static inline bool det_rule_evaluated(const struct det_rule *r)
{
	return !r->corr && !r->info.filter && r->ncode > 0;
}

/* ---- the event, as the readers leave it ---- */
struct det_value {
	uint32_t id;               /* interned field id, 0 if none */
	uint32_t next;             /* next value with the same id, +1; 0 = none */
	const char *name;          /* for keyword matches and output */
	uint32_t name_n;
	const char *p;             /* the value as written (unescaped) */
	const char *lp;            /* ASCII-lower-case copy in the scan buffer; NULL
				    * when no rule of the event's plan reads it */
	uint32_t n;
	bool null;
};

/* the field id of the name that followed a given name in earlier events:
 * events of one source name their fields in nearly the same order, so most
 * names are found by one short compare instead of a hash probe (and the JSON
 * reader takes the expected key without searching for its end) */
#define DET_KEY_CACHE 1024
#define DET_KEY_MAX 48
#define DET_KEY_BY_NAME 256        /* second chance, by a cheap hash of the name */
struct det_key_slot {
	uint32_t n;                /* UINT32_MAX: empty */
	uint32_t id;
	bool plain;                /* by name: key holds no '"' or backslash */
	char key[DET_KEY_MAX];     /* by the name before: never holding them */
};

/* a name against a cached one: inline, eight bytes at a time (a memcmp
 * call per value cost more than the compare on names this short) */
static inline bool det_key_eq(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	if (n < 8) {
		for (size_t i = 0; i < n; i++)
			if (a[i] != b[i])
				return false;
		return true;
	}
	for (size_t i = 0; i + 8 < n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return false;
	}
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	return x == y;
}

struct det_event {
	struct det_value *v;
	uint32_t nv;
	uint32_t *slot;            /* by field id: first value index + 1 (valid if gen matches) */
	uint32_t *slot_gen;
	uint32_t gen;
	uint32_t nslots;
	struct buf scratch;        /* unescaped strings; reserved before parsing, never moved */
	struct buf low;            /* lower-case values, separated by NUL: the scan buffer */
	uint32_t *lay_end;         /* per value laid out in low: where it ends ... */
	uint32_t *lay_field;       /* ... and its field id */
	uint32_t nlay;
	size_t lay_split;          /* low[0..lay_split): the fields asked for; then the rest */
	const uint8_t *lay_fields; /* the fields asked for */
	bool rest_raw;             /* the rest is copied as written: lp unset there */
	uint32_t channel;          /* interned lower-case channel id; 0 none */
	bool has_channel;
	bool has_eid;
	uint32_t eid;
	bool oversize;
	bool truncated;            /* a value cut at DETECT_LIM_VALUE, or fields dropped */
	bool rest_laid;            /* the values outside lay_fields are in low too */
	struct det_key_slot *keys; /* DET_KEY_CACHE slots, by the name before (kctx),
				    * then DET_KEY_BY_NAME by its length and bytes */
	uint32_t kctx;             /* slot of the name expected next: by a hash
				    * of the previous name (0 first) */
	pcre2_match_data *md;
};

void det_event_init(struct det_event *ev, uint32_t nfields);
void det_event_free(struct det_event *ev);
void det_event_reset(struct det_event *ev, size_t record_len);
/* Adds a value; name need not be interned. Returns false when over
 * DETECT_LIM_FIELDS (the value is dropped, the event marked truncated). */
bool det_event_add(struct det_event *ev, const struct detect_engine *e, const char *name,
		   size_t name_n, const char *p, size_t n, bool null);
/* After all values: aliases, channel/EventID routing keys. */
void det_event_finish(struct det_event *ev, const struct detect_engine *e);
/* Lower-case copies of the values of the fields marked in `fields` (by field
 * id; NULL = every value) laid end to end in ev->low, NUL-separated: what
 * matching and the prefilter read. With `rest`, the other values follow
 * from ev->lay_split on, as written (only keyword rules read them: a
 * caseless prefilter scans them, det_event_lower_rest folds them when such
 * a rule is evaluated). */
void det_event_layout(struct det_event *ev, const uint8_t *fields, bool rest);
/* The rest, after a layout without it: laid out as written. */
void det_event_layout_rest(struct det_event *ev);
/* The rest folded (laid out first if need be): before a keyword rule runs. */
void det_event_lower_rest(struct det_event *ev);
const struct det_value *det_event_get(const struct det_event *ev, uint32_t id);
/* Adds a value under an interned id (rebuilding a logged event). */
bool det_event_push(struct det_event *ev, uint32_t id, const char *p, size_t n, bool null);
/* Copies n bytes into the event's scratch space (never moves). */
char *det_event_copy(struct det_event *ev, const char *p, size_t n);

/* ---- the mapping (mapping.yaml) ---- */
struct det_map_source {
	char *channel;             /* "*" = any */
	uint32_t *eids;
	uint32_t neids;
	char **alias_to, **alias_from;   /* Sigma field <- event field, for this source */
	uint32_t naliases;
};
struct det_map_logsource {
	char *product, *category, *service;
	struct det_map_source *sources;
	uint32_t nsources;
};
struct det_map_placeholder {
	char *name;
	char **values;
	uint32_t nvalues;
};
struct det_mapping {
	struct arena arena;
	struct det_map_logsource *logsources;
	uint32_t nlogsources;
	char **field_from, **field_to;   /* event field names -> Sigma names, always */
	uint32_t nfields;
	char **time_fields, **computer_fields;
	uint32_t ntime_fields, ncomputer_fields;
	struct det_map_placeholder *placeholders;
	uint32_t nplaceholders;
};
enum bw_err det_mapping_parse(struct det_mapping *m, const char *text, size_t n,
			      const char *name, struct bw_error *err);
void det_mapping_free(struct det_mapping *m);
const struct det_map_logsource *det_mapping_find(const struct det_mapping *m,
						 const char *product, const char *category,
						 const char *service);

/* ---- per (channel, EventID) aliases an event gets ---- */
struct det_alias {
	uint32_t channel;          /* 0 = any */
	uint32_t eid;              /* UINT32_MAX = any */
	uint32_t to, from;         /* field ids */
};

struct det_prefilter;
struct det_pf_scratch;
struct det_gate;

/* A literal text (folded, >= DET_MIN_LITERAL bytes, no NUL): one prefilter
 * pattern, reported by its index. Its pairs are contiguous. */
struct det_text {
	const char *s;
	uint32_t n;
	uint32_t first_pair, npairs;
	bool single;               /* only keyword pairs: one report is enough */
};

/* A literal in one field (DET_FIELD_KW: in any value): one bit per event,
 * set when the text occurs in a value of that field. */
struct det_pair {
	uint32_t text;
	uint32_t field;
	uint32_t *rules;           /* rules it triggers (its rule needs one of its triggers) */
	uint32_t nrules;
};

/* The rules one kind of event (channel, EventID) can meet, compiled for it:
 * the rules in rule order, which of them are evaluated whatever the
 * literals, the fields they read (only those are lower-cased and scanned)
 * and a prefilter over the literals they own. Plans with the same rules are
 * one plan; plans with the same literals share one prefilter. */
struct det_plan {
	uint32_t *rules;
	uint32_t nrules;
	uint64_t *member;          /* bitmap by rule index */
	uint64_t *always;          /* bitmap: evaluated without a literal */
	uint8_t *fields;           /* by field id: laid out and scanned */
	bool all_fields;           /* a keyword rule: the other values too */
	struct det_prefilter *pf;  /* over the fields: NULL when no literals */
	struct det_prefilter *pf_kw;   /* keyword literals, over the other values */
	uint32_t *texts;           /* what pf looks for, sorted */
	uint32_t ntexts;
	uint32_t *kw_texts;        /* what pf_kw looks for, sorted */
	uint32_t nkw_texts;
	struct det_gate *kw_gate;  /* pf_kw's texts, matched faster (gate.c), or NULL */
	uint64_t rules_hash;
};

/* plans of one channel (index = channel id; 0 = a channel not in the mapping) */
struct det_chan_plans {
	uint32_t *eids;            /* sorted */
	uint32_t *eid_plan;
	uint32_t neids;
	uint32_t other_plan;       /* any other EventID, or none */
};

struct detect_engine {
	struct arena arena;
	struct det_mapping map;
	struct det_intern fields;
	struct det_intern channels;    /* lower-case channel names */
	struct det_rule *rules;
	uint32_t nrules, caprules;
	struct detect_rule_error *errors;
	uint32_t nerrors, caperrors;
	uint32_t *field_alias;         /* by event field id: Sigma field id it also is, 0 none */
	struct det_alias *aliases;
	uint32_t naliases;
	uint32_t f_channel, f_eid;     /* interned ids of Channel and EventID */
	uint32_t *time_ids, *computer_ids;
	uint32_t ntime_ids, ncomputer_ids;
	bool keywords;                 /* some rule searches every field */
	bool compiled;
	/* fast path */
	uint32_t nwords;               /* 64-bit words of a rule bitmap */
	struct det_text *texts;
	uint32_t ntexts;
	struct det_pair *pairs;
	uint32_t npairs;
	struct det_plan *plans;
	uint32_t nplans;
	struct det_chan_plans *chan_plans;   /* by channel id, channels.n entries */
	uint32_t nochan_plan;          /* events without a channel */
	struct det_prefilter **pfs;    /* distinct prefilters, owned */
	uint32_t npfs;
	struct det_pf_scratch *pf_proto;   /* scratch big enough for all; scanners clone it */
	uint8_t *corr_fields;          /* by field id: read by correlations, always laid out */
	bool has_corr;
};

/* rule.c */
/* Narrows every rule a meta filter names (and whose logsource it covers) to
 * `its condition and not the filter's`. Returns how many rules it applied to. */
uint32_t det_filter_apply(struct detect_engine *e, const struct det_rule *f);
size_t det_rules_parse(struct detect_engine *e, const char *text, size_t n, const char *path,
		       struct bw_error *first_err);
void det_rule_fail(struct detect_engine *e, const char *path, int line, const char *fmt, ...)
	BW_PRINTF(4, 5);

/* value.c: compiles one Sigma value with its modifiers into matchers */
struct det_value_ctx {
	struct detect_engine *e;
	struct arena *a;
	struct det_matcher *out;   /* grown with realloc; the caller frees */
	uint32_t nout, cap;
	uint32_t value_start;      /* nout when the current value began */
	bool all;                  /* the |all modifier was present */
	bool keyword;              /* no field: plain values are searched for anywhere */
	char why[256];
};
/* mods: the modifiers after the field name, e.g. {"contains", "all"} */
bool det_value_compile(struct det_value_ctx *c, const char *const *mods, int nmods,
		       const char *val, size_t n, bool null);
/* Literal-free text compare used by evaluation and tests. */
bool det_glob_match(const char *pat, const uint8_t *wild, size_t pn, const char *s, size_t sn);

/* condition.c */
bool det_condition_compile(struct det_rule *r, struct arena *a, const char *const *conds,
			   int nconds, char *why, size_t whyn);

/* eval.c */
bool det_matcher_test(const struct det_matcher *m, const struct det_event *ev,
		      const struct det_value *v);
/* seen: the event's pair bits, or NULL to test every matcher in full */
bool det_rule_match(const struct det_rule *r, const struct det_event *ev, const uint8_t *seen);
/* prefilter view: may the rule match given the literals seen (bitset)? */
bool det_rule_possible(const struct det_rule *r, const uint8_t *seen);
bool det_route_accepts(const struct det_rule *r, const struct det_event *ev);

/* plan.c */
enum bw_err det_plans_build(struct detect_engine *e, struct bw_error *err);
void det_plans_free(struct detect_engine *e);
const struct det_plan *det_plan_of(const struct detect_engine *e, const struct det_event *ev);

/* prefilter.c */
/* Builds a matcher over texts[ids[0..n)]; a hit reports the text's index.
 * caseless: the scanned text is not lower-cased. NULL with err set on failure. */
struct det_prefilter *det_prefilter_build(const struct det_text *texts, const uint32_t *ids,
					  uint32_t n, bool caseless, struct bw_error *err);
void det_prefilter_free(struct det_prefilter *pf);
const char *det_prefilter_name(const struct det_prefilter *pf);
/* scratch space usable with every prefilter in pfs; _clone for another thread */
struct det_pf_scratch *det_pf_scratch_new(struct det_prefilter *const *pfs, uint32_t n);
struct det_pf_scratch *det_pf_scratch_clone(const struct det_pf_scratch *s);
void det_pf_scratch_free(struct det_pf_scratch *s);
/* Calls fn(ctx, text, end offset) for each occurrence. */
typedef void (*det_pf_hit_fn)(void *ctx, uint32_t text, size_t end);
void det_prefilter_scan(const struct det_prefilter *pf, struct det_pf_scratch *s,
			const char *p, size_t n, det_pf_hit_fn fn, void *ctx);

/* gate.c: a plan's few keyword literals over the values no rule names */
/* NULL when the texts do not suit (too many, too short, no cheap anchors) */
struct det_gate *det_gate_build(const struct det_text *texts, const uint32_t *ids, uint32_t n);
void det_gate_free(struct det_gate *g);
/* like det_prefilter_scan over text of any case: fn(ctx, text, end) per occurrence */
void det_gate_scan(const struct det_gate *g, const char *p, size_t n, det_pf_hit_fn fn,
		   void *ctx);

/* json.c / evtx.c: readers; each record is handed to det_scanner_event() */
struct det_reader_sink {
	struct detect_scanner *s;
	const char *source;
	uint64_t record;
	detect_finding_fn fn;
	void *ctx;
	struct detect_stats *stats;
};
/* Parses one JSON object into ev; false if damaged. */
enum det_parse { PARSE_OK, PARSE_BAD, PARSE_OVERSIZE, PARSE_BAD_UTF8 };
enum det_parse det_json_event(struct det_event *ev, const struct detect_engine *e,
			      const char *p, size_t n);
/* A record longer than DETECT_LIM_RECORD, its first n bytes: parsed as far
 * as they go and marked truncated. */
enum det_parse det_json_event_cut(struct det_event *ev, const struct detect_engine *e,
				  const char *p, size_t n);
enum det_parse det_xml_event(struct det_event *ev, const struct detect_engine *e,
			     const char *xml, size_t n, void *xml_parser);
void *det_xml_parser_new(void);
void det_xml_parser_free(void *p);
enum bw_err det_evtx_scan(struct detect_scanner *s, const char *path,
			  struct det_reader_sink *sink, struct bw_error *err);

/* scanner.c */
struct det_event *det_scanner_ev(struct detect_scanner *s);
void det_scanner_event(struct det_reader_sink *sink, enum det_parse st);
void *det_scanner_xml(struct detect_scanner *s);

/* helpers (util.c) */
void det_lower(char *dst, const char *src, size_t n);
bool det_has_case(const char *p, size_t n);

#endif

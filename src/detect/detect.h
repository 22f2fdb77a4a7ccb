/*
 * detect: Sigma rules over Windows event logs and JSON log streams.
 *
 * Owns the rule parser (libyaml), the field/logsource mapping (a YAML file,
 * built in or loaded by path), the event readers (zero-copy JSON, EVTX via
 * libevtx + expat), and the evaluator: a baseline interpreter that tries
 * every rule on every event, and the fast path that routes by channel and
 * EventID and prefilters on literals (Hyperscan, or a portable matcher).
 * Both yield identical findings. Depends on src/base only: no web, no database.
 *
 * Typical use:
 *   struct detect_engine *e = detect_engine_new(NULL, &err);   built-in mapping
 *   detect_engine_add_path(e, "rules/");                       rules load
 *   detect_engine_compile(e, &err);                            prefilter built
 *   struct detect_scanner *s = detect_scanner_new(e, DETECT_FAST);
 *   detect_scan_file(s, "events.jsonl.gz", on_finding, ctx, &stats, &err);
 * An engine is read-only once compiled and may be shared by threads; a
 * scanner belongs to one thread.
 */
#ifndef BW_DETECT_H
#define BW_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* Limits on what the engine reads. */
#define DETECT_LIM_RULE_FILE   (1024 * 1024)     /* one rule file */
#define DETECT_LIM_RECORD      (4 * 1024 * 1024) /* one JSON record or EVTX XML */
#define DETECT_LIM_VALUE       (256 * 1024)      /* one field value (longer: cut) */
#define DETECT_LIM_FIELDS      1024              /* fields in one event */
#define DETECT_LIM_DEPTH       32                /* JSON/XML nesting */
#define DETECT_LIM_VARIANTS    1024              /* values one Sigma value expands to */
#define DETECT_LIM_PRED_VALUES 65536             /* values of one field in one selection */
#define DETECT_LIM_RULES       100000
#define DETECT_LIM_FILTERS     64                /* meta filters applied to one rule */

struct detect_engine;
struct detect_scanner;

/* A rule that could not be loaded: never silently skipped. */
struct detect_rule_error {
	const char *path;
	int line;              /* 1-based; 0 if not known */
	const char *reason;
};

/* What a finding names about its rule (the DRL requires the author). */
struct detect_rule_info {
	const char *title, *id, *level, *author, *status, *path;
	const char *const *tags;   /* NULL-terminated */
	bool correlation;
	bool filter;               /* a meta filter: never fires, narrows the rules it names */
};

struct detect_field_value {
	const char *name;
	const char *value;
	size_t len;
};

struct detect_finding {
	const struct detect_rule_info *rule;
	const char *source;        /* input file name as given */
	uint64_t record;           /* 1-based record number within the source */
	const char *computer;      /* "" if the event has none */
	const char *time;          /* event time as written, "" if none */
	const struct detect_field_value *fields; /* the matched fields */
	size_t nfields;
};

typedef void (*detect_finding_fn)(void *ctx, const struct detect_finding *f);

struct detect_stats {
	uint64_t events;         /* records evaluated */
	uint64_t findings;
	uint64_t bad_records;    /* invalid JSON, unreadable EVTX records, bad XML */
	uint64_t oversize;       /* records over the size or depth limits, skipped */
	uint64_t bad_utf8;       /* records with invalid UTF-8, skipped */
	uint64_t rules_evaluated;/* rule evaluations (fast path: after the prefilter) */
	uint64_t truncated;      /* damaged but evaluated: a value over DETECT_LIM_VALUE,
				  * matched on its first DETECT_LIM_VALUE bytes, or more
				  * than DETECT_LIM_FIELDS fields, the first ones kept */
};

enum detect_mode {
	DETECT_FAST,      /* route + literal prefilter */
	DETECT_BASELINE,  /* every rule on every event, no routing, no prefilter */
};

enum detect_format { DETECT_FORMAT_AUTO, DETECT_FORMAT_JSON, DETECT_FORMAT_EVTX };

/* ---- engine: mapping + rules, compiled once ---- */

/* mapping_path NULL uses the built-in src/detect/mapping.yaml. */
struct detect_engine *detect_engine_new(const char *mapping_path, struct bw_error *err);
void detect_engine_free(struct detect_engine *e);

/* Loads one rule file, or every .yml/.yaml file under a directory (recursively).
 * Returns the number of rule documents loaded; failures are recorded (see
 * detect_engine_errors) and do not stop the walk. */
size_t detect_engine_add_path(struct detect_engine *e, const char *path);
/* Loads rule documents from memory; name is used in messages. Returns the
 * number loaded, and fills err with the first failure. */
size_t detect_engine_add_text(struct detect_engine *e, const char *text, size_t n,
			      const char *name, struct bw_error *err);
/* Rules that failed to load, in load order. */
const struct detect_rule_error *detect_engine_errors(const struct detect_engine *e, size_t *n);
size_t detect_engine_rule_count(const struct detect_engine *e);
const struct detect_rule_info *detect_engine_rule(const struct detect_engine *e, size_t i);
/* Builds the routing tables and the prefilter; no rule may be added after. */
enum bw_err detect_engine_compile(struct detect_engine *e, struct bw_error *err);
/* "hyperscan" or "portable": what the prefilter runs on. */
const char *detect_engine_prefilter_name(const struct detect_engine *e);

/* ---- scanning: one scanner per thread ---- */
struct detect_scanner *detect_scanner_new(const struct detect_engine *e, enum detect_mode mode);
void detect_scanner_free(struct detect_scanner *s);

/* Scans a file (JSON-lines / concatenated JSON, optionally gzip-compressed,
 * or EVTX), streaming in bounded buffers. Damaged records are counted in
 * stats and skipped. Fails only if the file cannot be opened at all. */
enum bw_err detect_scan_file(struct detect_scanner *s, const char *path, enum detect_format fmt,
			     detect_finding_fn fn, void *ctx, struct detect_stats *stats,
			     struct bw_error *err);
/* Scans JSON records held in memory (JSON-lines or back-to-back objects). */
void detect_scan_json(struct detect_scanner *s, const char *p, size_t n, const char *source,
		      detect_finding_fn fn, void *ctx, struct detect_stats *stats);

/* Correlation rules keep state across events: call after the last input to
 * emit correlations still pending (temporal windows close here). */
void detect_scanner_finish(struct detect_scanner *s, detect_finding_fn fn, void *ctx,
			   struct detect_stats *stats);

/* Correlations across several inputs (and threads): a scanner told to defer
 * them appends what each correlation would read (rule, record, group-by,
 * counted and time fields) to a log instead of correlating at once; the
 * logs are then replayed, in the order the inputs were given, through one
 * scanner, so the correlations span every input and do not depend on how
 * the inputs were shared among threads. Base rules that a correlation
 * counts report (or not, per `generate`) as they would without deferral. */
struct detect_corr_log;
struct detect_corr_log *detect_corr_log_new(void);
void detect_corr_log_free(struct detect_corr_log *log);
/* log NULL: correlate at once again (the default). */
void detect_scanner_defer_correlations(struct detect_scanner *s, struct detect_corr_log *log);
/* Feeds a log's matches into the scanner's correlation state, in order. */
void detect_scanner_replay(struct detect_scanner *s, const struct detect_corr_log *log,
			   detect_finding_fn fn, void *ctx, struct detect_stats *stats);

/* ---- the command line: `bulwark detect ...` ----
 *   bulwark detect --rules DIR [--config MAP] [--format jsonl|csv|table]
 *                  [-j N] [--baseline] FILE...
 *   bulwark detect rules check [--config MAP] DIR...
 * argv[0] is "detect". Correlations span all the inputs of one run (their
 * findings follow the per-file output), the same for any -j. Exit codes:
 *   0  ran; no findings (scan) / every rule loaded (rules check)
 *   1  ran; at least one finding (scan) / some rules failed to load (check)
 *   2  usage error
 *   3  a rule directory, mapping or input file could not be read
 */
int detect_cli(int argc, char **argv);

#endif

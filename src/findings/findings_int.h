/* findings_int: what the findings module's files share and nothing else sees. */
#ifndef BW_FINDINGS_INT_H
#define BW_FINDINGS_INT_H

#include "detect/detect.h"
#include "findings/findings.h"

/* Inside a transaction: marks the library changed. */
enum bw_err findings_library_bump(struct db *db, struct bw_error *err);
/* The same in a transaction of its own. */
enum bw_err findings_library_touch(struct db *db, struct bw_error *err);
const char *findings_state_label_of(const char *name);
/* Imports the rule files root/paths[i]; one summary audit record. */
enum bw_err findings_rules_import_paths(struct db *db, const struct actor *by, const char *root,
					const char *const *paths, size_t n, struct findings_import *out,
					struct bw_error *err);

/* A compiled engine shared by the threads of this process; each holder
 * keeps it alive until released, even when a newer one replaces it. */
struct findings_engine {
	struct detect_engine *e;
	int64_t version;
	int refs;
	size_t nrules;
	struct findings_rule_ref {
		const struct detect_rule_info *info;
		int64_t id;            /* detect_rules.id */
	} *rules;                      /* sorted by info pointer */
};
enum bw_err findings_engine_acquire(struct db *db, struct findings_engine **out, struct bw_error *err);
void findings_engine_release(struct findings_engine *fe);
/* The library row of a rule the engine reports; 0 if unknown. */
int64_t findings_engine_rule_id(const struct findings_engine *fe, const struct detect_rule_info *info);

/* Analysts and administrators manage the rule library and see the roll-up. */
bool findings_is_analyst(const struct actor *a);
/* "2025-11-26T05:11:27Z", "2025-11-26 05:11:27.9" or "2025-11-26" -> unix seconds (UTC). */
bool findings_parse_time(const char *s, int64_t *out);
enum web_tag_colour findings_level_colour(const char *level);

extern const struct route findings_rules_routes[];
extern const struct route findings_api_routes[];

/* The filters of the findings list, its CSV and the API: ?level= ?rule=
 * (title words or rule id) ?state= ?host= ?from= ?to= (YYYY-MM-DD).
 * Bound as ?1..?9; statements add LIMIT ?10 OFFSET ?11. */
struct findings_query {
	char lo[256], hi[256];
	const char *level, *rule, *rule_like, *state, *host, *host_like, *from, *to;
	int64_t from_t, to_t;
};
#define FINDINGS_FROM " FROM findings f JOIN orgs o ON o.id = f.org_id JOIN detect_rules r ON r.id = f.rule_id"
#define FINDINGS_WHERE " WHERE o.path >= ?1 AND o.path < ?2" \
	" AND (CAST(?3 AS TEXT) IS NULL OR f.level = ?3)" \
	" AND (CAST(?4 AS TEXT) IS NULL OR r.uuid = ?5 OR lower(r.title) LIKE lower(?4))" \
	" AND (CAST(?6 AS TEXT) IS NULL OR f.state = ?6)" \
	" AND (CAST(?7 AS TEXT) IS NULL OR lower(f.host) LIKE lower(?7))" \
	" AND (?8 = 0 OR f.event_at >= ?8) AND (?9 = 0 OR f.event_at < ?9)"
void findings_query_args(struct ctx *c, const char *org_path, struct findings_query *q);
void findings_query_bind(struct db_stmt *st, const struct findings_query *q);

#endif

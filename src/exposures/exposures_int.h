/* exposures_int: what the exposures module's files share and nothing else sees. */
#ifndef BW_EXPOSURES_INT_H
#define BW_EXPOSURES_INT_H

#include "exposures/exposures.h"

extern const struct route exposures_routes[];
extern const struct route exposures_api_routes[];
extern const struct route_param exposures_params[];

/* Severity rank of a vulnerabilities row (alias v): 4 critical .. 1 low,
 * 0 none given. From the CVSS score where there is one, else the text. */
#define EXPOSURES_SEV_RANK \
	"(CASE WHEN v.cvss10 IS NOT NULL THEN (CASE WHEN v.cvss10 >= 90 THEN 4 WHEN v.cvss10 >= 70 THEN 3" \
	" WHEN v.cvss10 >= 40 THEN 2 WHEN v.cvss10 > 0 THEN 1 ELSE 0 END)" \
	" WHEN upper(v.severity) = 'CRITICAL' THEN 4 WHEN upper(v.severity) = 'HIGH' THEN 3" \
	" WHEN upper(v.severity) IN ('MEDIUM', 'MODERATE') THEN 2 WHEN upper(v.severity) = 'LOW' THEN 1 ELSE 0 END)"

/* The decision that applies to an exposure (alias e) is the row of
 * exposure_decisions (alias d) with the same organisation and identity. */
#define EXPOSURES_JOIN_DECISION \
	" LEFT JOIN exposure_decisions d ON d.org_id = e.org_id AND d.norm_vendor = e.norm_vendor" \
	" AND d.norm_product = e.norm_product AND d.version = e.version AND d.vuln_id = e.vuln_id"

/* The filters of the exposures list, its CSV and the API: ?system= ?severity=
 * ?state= ?kev=1 ?answer=, bound as ?1..?7; statements add LIMIT ?8 OFFSET ?9. */
struct exp_query {
	char lo[256], hi[256];
	int64_t system;
	int severity;              /* -1: any */
	const char *state, *answer;
	bool kev;
	const char *system_s, *severity_s, *kev_s;
};

#define EXP_FROM " FROM exposures e JOIN orgs o ON o.id = e.org_id LEFT JOIN components c ON c.id = e.component_id" \
	" LEFT JOIN systems s ON s.id = e.system_id LEFT JOIN vulnerabilities v ON v.id = e.vuln_id" EXPOSURES_JOIN_DECISION
#define EXP_WHERE " WHERE e.gone_at IS NULL AND o.path >= ?1 AND o.path < ?2" \
	" AND (?3 = 0 OR e.system_id = ?3)" \
	" AND (?4 < 0 OR " EXPOSURES_SEV_RANK " = ?4)" \
	" AND (CAST(?5 AS TEXT) IS NULL OR coalesce(d.state, 'new') = ?5)" \
	" AND (?6 = 0 OR coalesce(v.kev, 0) = 1)" \
	" AND (CAST(?7 AS TEXT) IS NULL OR e.answer = ?7)"
#define EXP_ORDER " ORDER BY coalesce(v.kev, 0) DESC, " EXPOSURES_SEV_RANK " DESC, coalesce(v.cvss10, -1) DESC," \
	" e.vuln_id, o.code, e.id"
/* Columns every list reads (0..20). */
#define EXP_COLS "SELECT e.id, e.vuln_id, v.title, " EXPOSURES_SEV_RANK ", v.cvss10, coalesce(v.kev, 0), v.kev_due," \
	" c.vendor, c.product, e.version, s.name, o.code, o.name, e.answer, coalesce(d.state, 'new'), d.justification," \
	" d.decided_by, e.first_seen, e.system_id," \
	" CASE WHEN d.state = 'fixed' AND c.updated_at > d.decided_at THEN 1 ELSE 0 END, e.evidence"

void exposures_query_args(struct ctx *c, const char *org_path, struct exp_query *q);
void exposures_query_bind(struct db_stmt *st, const struct exp_query *q);

const char *exposures_severity_name(int rank);    /* "critical" .. "low", "none" */
enum web_tag_colour exposures_severity_colour(int rank);
enum web_tag_colour exposures_state_colour(const char *state);
const char *exposures_state_label_of(const char *name);
const char *exposures_just_label_of(const char *name);
/* Inside the match run's last transaction: the standing ICS decisions
 * (exposure_ics_decisions) given to the exposures that became current in
 * run at members without a decision of their own. */
enum bw_err exposures_ics_apply_new(struct db *db, int64_t run, int64_t *applied, struct bw_error *err);

/* Analysts, administrators and ICS leads see the estate-wide views. */
bool exposures_is_analyst(const struct actor *a);

#endif

/*
 * systems_int: what the systems area's files share (systems.c pages,
 * systems_data.c storage, systems_api.c, graph.c, gaps.c, systems_demo.c)
 * and what its unit tests reach. Not part of the registers module's public
 * face (registers.h).
 *
 * Dates (restore tests) are stored as unix seconds at 00:00 UTC of the day
 * and shown as "29 Nov 2026". Gaps are computed, never typed: from the
 * system row and three facts kept on it (has_offline, last_success_on,
 * last_restore_minutes), which systems_refresh_facts() recomputes from the
 * backups and restore tests inside every transaction that changes them, so
 * a roll-up over 60,000 organisations reads one table.
 *
 * Staleness: a restore test counts for SYSTEMS_RESTORE_TEST_MAX_DAYS days
 * (365); the environment variable BULWARK_RESTORE_TEST_MAX_DAYS (1 to 3650)
 * overrides it, read once when first needed.
 */
#ifndef BW_SYSTEMS_INT_H
#define BW_SYSTEMS_INT_H

#include "registers/registers.h"

#define SYSTEMS_RESTORE_TEST_MAX_DAYS 365

/* limits on what comes in */
#define LIM_SYSTEM_FUNCTION   1000   /* essential function, characters */
#define LIM_SYSTEM_TEXT       4000   /* downtime procedure, notes */
#define LIM_SYSTEM_HOURS      8760   /* RTO/RPO: at most a year */
#define LIM_RESTORE_MINUTES   100000 /* about ten weeks */
#define LIM_SYSTEMS_GRAPH     400    /* systems drawn in one organisation's graph */
#define LIM_DEPS_GRAPH        2000   /* dependencies read for one graph */
#define LIM_DEPS_PER_SYSTEM   50

enum sys_gap {
	GAP_NO_OFFLINE = 1 << 0,      /* no backup copy kept off-line */
	GAP_RESTORE_MISSING = 1 << 1, /* never a successful restore test */
	GAP_RESTORE_STALE = 1 << 2,   /* last successful one too old */
	GAP_NO_DOWNTIME = 1 << 3,     /* no downtime (paper) procedure */
	GAP_UNSUPPORTED = 1 << 4,     /* status unsupported */
	GAP_RTO_EXCEEDED = 1 << 5,    /* last restore took longer than the RTO */
};
#define GAP_KINDS 6

/* Name (API, CSV) and plain-words label of gap bit i (0..GAP_KINDS-1). */
const char *systems_gap_name(unsigned bit);
const char *systems_gap_label(unsigned bit);

/* A system as read from the database; strings live in the caller's arena. */
struct reg_system {
	int64_t id, org_id;
	const char *org_code, *org_name;
	const char *name, *function, *owner, *hosting, *status, *downtime;
	int tier;
	int64_t supplier_id;          /* 0: none */
	int64_t rto_hours, rpo_hours; /* -1: not recorded */
	bool has_offline;
	int64_t last_success_on;      /* 0: never */
	int64_t last_restore_minutes; /* -1: none recorded */
	int64_t updated_at;
};

/* ---- pure logic (systems_data.c) ---- */
int64_t systems_restore_max_days(void);
/* The gaps of s at time now (unix seconds), with restore tests valid for
 * max_days days. */
unsigned systems_gaps(const struct reg_system *s, int64_t now, int64_t max_days);
/* First day (unix, 00:00 UTC) on which a successful test still counts. */
int64_t systems_restore_cutoff(int64_t now, int64_t max_days);
const char *systems_tier_label(int tier);          /* "Tier 1: ..." */
const char *systems_hosting_label(const char *v);  /* NULL if unknown */
const char *systems_status_label(const char *v);
const char *systems_frequency_label(const char *v);
const char *systems_result_label(const char *v);

/* Dates: "2026-03-15", "15/3/2026", "15 3 2026", "15 March 2026",
 * "15 Mar 2026" -> unix seconds at 00:00 UTC; false if not a real date. */
bool systems_date_parse(const char *s, int64_t *out);
/* "15 Mar 2026" */
void systems_date_format(int64_t t, char out[24]);
/* "2026-03-15" */
void systems_date_iso(int64_t t, char out[16]);
/* Today (London) at 00:00 UTC. */
int64_t systems_today(int64_t now);

/* ---- form fields, shared by pages and API (systems_data.c) ---- */
enum { SF_NAME, SF_FUNCTION, SF_TIER, SF_OWNER, SF_HOSTING, SF_SUPPLIER, SF_RTO, SF_RPO,
       SF_DOWNTIME, SF_STATUS, SF_COUNT };
enum { BF_METHOD, BF_FREQUENCY, BF_OFFLINE, BF_IMMUTABLE, BF_LOCATION, BF_COUNT };
enum { RF_DATE, RF_RESULT, RF_MINUTES, RF_BACKUP, RF_NOTES, RF_COUNT };
enum { DF_KIND, DF_SYSTEM, DF_SUPPLIER, DF_LOCATION, DF_NOTE, DF_COUNT };
extern const struct web_field systems_fields[SF_COUNT];
extern const struct web_field backup_fields[BF_COUNT];
extern const struct web_field restore_fields[RF_COUNT];
extern const struct web_field dep_fields[DF_COUNT];

/* ---- storage (systems_data.c); every change is audited in its transaction ---- */
enum bw_err systems_get(struct db *db, struct arena *a, int64_t id, struct reg_system *out);
/* The row's columns in the order systems_row() reads them. */
#define SYSTEMS_COLS "s.id, s.org_id, o.code, o.name, s.name, s.essential_function, s.owner, s.hosting," \
	" s.status, s.downtime_procedure, s.tier, s.supplier_id, s.rto_hours, s.rpo_hours, s.has_offline," \
	" s.last_success_on, s.last_restore_minutes, s.updated_at"
void systems_row(struct db_stmt *st, struct arena *a, struct reg_system *out);

/* Validated values (v[SF_*] as strings) -> a new or changed system. The
 * supplier (when given) must be one visible to the organisation. */
enum bw_err systems_save(struct db *db, const struct actor *by, int64_t org_id, int64_t id,
			 const char *const v[SF_COUNT], int64_t *id_out, struct bw_error *err);
enum bw_err systems_delete(struct db *db, const struct actor *by, int64_t id, struct bw_error *err);
enum bw_err systems_backup_add(struct db *db, const struct actor *by, int64_t system_id,
			       const char *const v[BF_COUNT], int64_t *id_out, struct bw_error *err);
enum bw_err systems_backup_delete(struct db *db, const struct actor *by, int64_t system_id,
				  int64_t backup_id, struct bw_error *err);
enum bw_err systems_restore_add(struct db *db, const struct actor *by, int64_t system_id,
				const char *const v[RF_COUNT], int64_t *id_out, struct bw_error *err);
/* Change one backup or restore test of system_id (BW_ENOTFOUND if it is not
 * one of that system's), validated as when added; the gap facts are
 * recomputed and the audit summary lists each change as old -> new. */
enum bw_err systems_backup_update(struct db *db, const struct actor *by, int64_t system_id, int64_t backup_id,
				  const char *const v[BF_COUNT], struct bw_error *err);
enum bw_err systems_restore_update(struct db *db, const struct actor *by, int64_t system_id, int64_t test_id,
				   const char *const v[RF_COUNT], struct bw_error *err);
enum bw_err systems_restore_delete(struct db *db, const struct actor *by, int64_t system_id,
				   int64_t test_id, struct bw_error *err);
enum bw_err systems_dep_add(struct db *db, const struct actor *by, int64_t system_id,
			    const char *const v[DF_COUNT], int64_t *id_out, struct bw_error *err);
enum bw_err systems_dep_delete(struct db *db, const struct actor *by, int64_t system_id,
			       int64_t dep_id, struct bw_error *err);
/* Recomputes a system's gap facts from its backups and restore tests
 * (id 0: every system; used by the demo). Call inside the transaction. */
enum bw_err systems_refresh_facts(struct db *db, int64_t id, struct bw_error *err);

/* Suppliers belong to the suppliers area (tables suppliers, supplier_links;
 * see suppliers.c). A supplier an organisation (SQL expression org) may
 * choose for its systems: one it owns, one it has linked (assess once,
 * reuse), or one an organisation above it (or itself) owns and shares with
 * those below. sp is the suppliers row. */
#define SYSTEMS_SUPPLIER_VISIBLE(org) \
	" (sp.org_id = " org " OR EXISTS (SELECT 1 FROM supplier_links l WHERE l.supplier_id = sp.id" \
	" AND l.org_id = " org ") OR (sp.shared = 1 AND EXISTS (SELECT 1 FROM orgs me JOIN orgs op ON op.id = sp.org_id" \
	" WHERE me.id = " org " AND substr(me.path, 1, length(op.path)) = op.path)))"
/* Suppliers belong to the suppliers area (tables suppliers, supplier_links).
 * Whether they exist yet, a supplier's name if org may see it. */
bool systems_suppliers_ready(struct db *db);
bool systems_supplier_name(struct db *db, int64_t org_id, int64_t supplier_id, char *out, size_t n);
/* The suppliers org may choose (id as text, name), at most max. */
size_t systems_supplier_options(struct db *db, struct arena *a, int64_t org_id,
				struct web_option *out, size_t max);

/* ---- the dependency graph (graph.c) ---- */
enum graph_kind { GRAPH_SYSTEM, GRAPH_SUPPLIER, GRAPH_LOCATION };
struct graph_node {
	enum graph_kind kind;
	int64_t id;             /* system or supplier id; 0 for a location */
	const char *label;
	int tier;               /* systems only */
	int dependents_tier1;   /* tier-1 systems that depend on it, directly or not */
	int layer, row;         /* layout */
};
struct graph_edge {
	size_t from, to;        /* node indexes: from depends on to */
};
struct graph {
	struct graph_node *nodes;
	size_t n, cap;
	struct graph_edge *edges;
	size_t ne, ecap;
	bool truncated;         /* more than the limits: not all is drawn */
};
/* Adds a node (deduplicated by kind+id, locations by label ignoring case);
 * returns its index. */
size_t graph_node_add(struct graph *g, struct arena *a, enum graph_kind kind, int64_t id,
		      const char *label, int tier);
void graph_edge_add(struct graph *g, struct arena *a, size_t from, size_t to);
/* Counts tier-1 dependents (transitively) and lays out the nodes in layers. */
void graph_analyse(struct graph *g, struct arena *a);
/* Single points of failure: nodes with >= 2 tier-1 dependents. */
bool graph_is_spof(const struct graph_node *n);
/* Inline SVG (role="img", title, desc) of the laid-out graph. */
void graph_svg(struct buf *b, const struct graph *g, const char *title);
/* Reads one organisation's graph from the database. */
enum bw_err graph_load(struct db *db, struct arena *a, int64_t org_id, struct graph *g,
		       struct bw_error *err);

/* ---- gaps roll-up (gaps.c) ---- */
struct gap_counts {
	int64_t systems;        /* tier-1 systems */
	int64_t with_gaps;      /* tier-1 systems with any gap */
	int64_t gap[GAP_KINDS]; /* by kind; missing and stale restore tests are two kinds */
};
/* ---- the counts kept ready per organisation (rollup.c) ---- */
/* Inside the transaction of any write to a system, its backups or its
 * restore tests: the organisation's counts and its ancestors' sums. */
enum bw_err gaps_touch(struct db *db, int64_t org_id, struct bw_error *err);
enum bw_err gaps_touch_system(struct db *db, int64_t system_id, struct bw_error *err);
/* Before reading: rows whose restore tests went out of date since, and a
 * full rebuild after organisations moved or the age limit changed. */
enum bw_err gaps_sync(struct db *db, struct bw_error *err);
enum bw_err gaps_rebuild(struct db *db, struct bw_error *err);
/* Tier-1 gap counts of org_id itself and of its whole subtree. */
enum bw_err gaps_read(struct db *db, int64_t org_id, struct gap_counts *own, struct gap_counts *sub,
		      struct bw_error *err);
/* The subtree columns, in struct gap_counts order, and a reader for them. */
extern const char *const gaps_sub_cols;
void gaps_counts_read(struct db_stmt *st, int from, struct gap_counts *out);

/* ---- the API (systems_api.c), listed in systems_routes ---- */
void systems_api_list(struct ctx *c);
void systems_api_create(struct ctx *c);
void systems_api_get(struct ctx *c);
void systems_api_put(struct ctx *c);
void systems_api_delete(struct ctx *c);
void systems_api_backups(struct ctx *c);
void systems_api_backup_add(struct ctx *c);
void systems_api_backup_put(struct ctx *c);
void systems_api_backup_delete(struct ctx *c);
void systems_api_restores(struct ctx *c);
void systems_api_restore_add(struct ctx *c);
void systems_api_restore_put(struct ctx *c);
void systems_api_restore_delete(struct ctx *c);
void systems_api_deps(struct ctx *c);
void systems_api_dep_add(struct ctx *c);
void systems_api_dep_delete(struct ctx *c);
#define SYSTEMS_API_ROUTE(m, p, fn, act, target) { m, p, fn, ROUTE_API, AUTH_SIGNED_IN, act, target },
#define SYSTEMS_API_ROUTES \
	SYSTEMS_API_ROUTE("GET", "/api/v1/orgs/{org}/systems", systems_api_list, ACT_VIEW, "org") \
	SYSTEMS_API_ROUTE("POST", "/api/v1/orgs/{org}/systems", systems_api_create, ACT_EDIT, "org") \
	SYSTEMS_API_ROUTE("GET", "/api/v1/systems/{system}", systems_api_get, ACT_VIEW, "system") \
	SYSTEMS_API_ROUTE("PUT", "/api/v1/systems/{system}", systems_api_put, ACT_EDIT, "system") \
	SYSTEMS_API_ROUTE("DELETE", "/api/v1/systems/{system}", systems_api_delete, ACT_EDIT, "system") \
	SYSTEMS_API_ROUTE("GET", "/api/v1/systems/{system}/backups", systems_api_backups, ACT_VIEW, "system") \
	SYSTEMS_API_ROUTE("POST", "/api/v1/systems/{system}/backups", systems_api_backup_add, ACT_EDIT, "system") \
	SYSTEMS_API_ROUTE("PUT", "/api/v1/systems/{system}/backups/{backup}", systems_api_backup_put, \
			  ACT_EDIT, "backup") \
	SYSTEMS_API_ROUTE("DELETE", "/api/v1/systems/{system}/backups/{backup}", systems_api_backup_delete, \
			  ACT_EDIT, "backup") \
	SYSTEMS_API_ROUTE("GET", "/api/v1/systems/{system}/restore-tests", systems_api_restores, ACT_VIEW, "system") \
	SYSTEMS_API_ROUTE("POST", "/api/v1/systems/{system}/restore-tests", systems_api_restore_add, ACT_EDIT, \
			  "system") \
	SYSTEMS_API_ROUTE("PUT", "/api/v1/systems/{system}/restore-tests/{restore}", systems_api_restore_put, \
			  ACT_EDIT, "restore") \
	SYSTEMS_API_ROUTE("DELETE", "/api/v1/systems/{system}/restore-tests/{restore}", systems_api_restore_delete, \
			  ACT_EDIT, "restore") \
	SYSTEMS_API_ROUTE("GET", "/api/v1/systems/{system}/dependencies", systems_api_deps, ACT_VIEW, "system") \
	SYSTEMS_API_ROUTE("POST", "/api/v1/systems/{system}/dependencies", systems_api_dep_add, ACT_EDIT, "system") \
	SYSTEMS_API_ROUTE("DELETE", "/api/v1/systems/{system}/dependencies/{dependency}", systems_api_dep_delete, \
			  ACT_EDIT, "dependency")

/* ---- list filters, shared by the page, CSV and API (systems.c) ---- */
/* ?q= name contains, ?tier=1..4, ?status=, ?gap=<gap name> or "any" */
struct systems_filter {
	const char *q, *status;
	int64_t tier, gap;   /* gap: 0 none, 1..GAP_KINDS one kind, GAP_KINDS+1 any */
	char *like;
};
/* strict (the API): a bad value answers 400 naming it and gives false;
 * otherwise bad values are ignored. */
bool systems_filter_read(struct ctx *c, struct systems_filter *f, bool strict);
void systems_filter_bind(struct db_stmt *st, int64_t org_id, const struct systems_filter *f, int64_t cutoff);
#define SYSTEMS_LIST_WHERE \
	" WHERE s.org_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR lower(s.name) LIKE lower(?2))" \
	" AND (?3 = 0 OR s.tier = ?3) AND (CAST(?4 AS TEXT) IS NULL OR s.status = ?4)" \
	" AND (?5 = 0 OR (?5 = 1 AND s.has_offline = 0) OR (?5 = 2 AND s.last_success_on IS NULL)" \
	"  OR (?5 = 3 AND s.last_success_on < ?6) OR (?5 = 4 AND s.downtime_procedure = '')" \
	"  OR (?5 = 5 AND s.status = 'unsupported') OR (?5 = 6 AND s.last_restore_minutes > s.rto_hours * 60)" \
	"  OR (?5 = 7 AND (s.has_offline = 0 OR s.last_success_on IS NULL OR s.last_success_on < ?6" \
	"   OR s.downtime_procedure = '' OR s.status = 'unsupported' OR s.last_restore_minutes > s.rto_hours * 60)))"

/* ---- shared page bits (systems.c) ---- */
/* The org of the route's {org} parameter, or a 404 answered. */
bool systems_load_org(struct ctx *c, struct org *o);
void systems_gap_tags(struct buf *b, unsigned gaps);

#endif

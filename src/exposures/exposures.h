/*
 * exposures: which known vulnerabilities hit each organisation's own
 * systems. An exposure is (organisation, system, component, vulnerability)
 * with the match engine's answer (affected, or unknown = "cannot tell"),
 * its evidence and the criterion that decided; the KEV flag, due date and
 * CVSS severity are read from the feeds' `vulnerabilities` table when
 * shown, so a KEV update needs no rewrite here.
 *
 * Triage decisions are kept apart from the matches, keyed by (organisation,
 * normalised vendor, product, version, vulnerability), so they survive
 * re-imports and re-matches: a component imported again at the same
 * version finds its decision again; a new version needs a new one (a
 * "not affected" never carries over to a version nobody looked at). An ICS
 * lead's decision is written to each member organisation that runs the
 * product and has no decision of its own, naming the ICS as the decider;
 * it stands: a member that starts running the product later gets it on the
 * match run that finds the new exposure.
 *
 * Matching runs as the job kind "exposures.match" (periodic, and
 * `bulwark exposures match [--full]`): the first run (or --full) matches
 * the whole estate against the whole feed; later runs match only the feed
 * records changed since the stored feed marker and the components changed
 * since the stored high-water mark, and retire exposures of components
 * that were removed.
 *
 * Depends on base, db, web, orgs, audit, app, the match engine and the
 * feeds module (feeds.h only); reads the registers' components and
 * systems tables through their agreed columns.
 */
#ifndef BW_EXPOSURES_H
#define BW_EXPOSURES_H

#include "app/app.h"
#include "app/worker.h"

#define EXPOSURES_LIM_NOTE        2000     /* triage note, characters */
#define EXPOSURES_LIM_CHANGES     20000    /* feed changes taken incrementally; more: a full run */
#define EXPOSURES_LIM_EXPORT      100000   /* rows in one CSV or VEX export */
#define EXPOSURES_MATCH_EVERY_S   300      /* the periodic job */
#define EXPOSURES_HW_OVERLAP_S    60       /* components re-read behind the high-water mark */

extern const struct db_migration exposures_migrations[];

/* Routes, parameters ("exposure", "vuln"), navigation and the job kind. */
void exposures_register(void);

/* Registers the shared data's feed sources, syncs the KEV catalogue and a
 * small slice of CVE records chosen for the demo inventory, then matches. */
enum bw_err exposures_demo_seed(struct db *db, const char *data_dir, struct bw_error *err);

/* ---- matching ---- */
struct exposures_run {
	bool full;                 /* whole estate x whole feed */
	bool nothing;              /* nothing changed: no feed was loaded */
	int64_t records;           /* feed records matched (full: all) */
	int64_t vulns;             /* vulnerability ids re-matched (incremental) */
	int64_t components;        /* components matched (full: all) */
	int64_t hits;              /* exposures current after merging */
	int64_t added;             /* new or back after being gone */
	int64_t gone;              /* no longer hit, or the component was removed */
	int64_t ics_applied;       /* standing ICS decisions given to new exposures */
	bool feed_cached;          /* the compiled feed of an earlier run was reused */
	int64_t duration_ms;
};

/* Runs the matching (see the file head). full forces a whole rematch.
 * The compiled feed is kept in the process between runs, keyed by the
 * database's instance number and its last feed change, so a run after an
 * inventory change alone does not compile the feed again. */
enum bw_err exposures_match(struct db *db, bool full, struct exposures_run *out, struct bw_error *err);
/* Drops the process's compiled feed (tests; memory). */
void exposures_feed_cache_drop(void);
/* The job: payload "full" forces a full run. */
enum bw_err exposures_job_run(struct db *db, const struct db_job *job, struct bw_error *err);
/* `bulwark exposures match [--full] [--db DB]` (argv[1] is "exposures"). */
int exposures_cli(int argc, char **argv);
#define EXPOSURES_USAGE \
	"bulwark exposures match [--full] [--db DB]\n" \
	"  matches the inventory against the stored feeds (first run, or --full: everything;\n" \
	"  then only what changed). exit 0: done; 1: failed; 2: usage"

/* ---- targeting (target.c) ----
 * The organisations (sorted, distinct; *orgs malloc'd, the caller frees)
 * with a component of a registered system that the record says is
 * affected, or cannot tell, as the matching job would: the alerts module
 * targets an advisory's affected products with it. Components are read by
 * the criteria's identities (at most EXPOSURES_TARGET_KEYS vendor and
 * product names each), never the whole estate. */
#define EXPOSURES_TARGET_KEYS 50
struct match_record;
enum bw_err exposures_orgs_running(struct db *db, const struct match_record *rec, int64_t **orgs, size_t *n,
				   struct bw_error *err);

/* ---- triage ---- */
enum exposures_state {
	EXPOSURE_NEW = 0, EXPOSURE_INVESTIGATING, EXPOSURE_AFFECTED, EXPOSURE_NOT_AFFECTED, EXPOSURE_FIXED,
	EXPOSURE_STATE_COUNT
};
const char *exposures_state_name(enum exposures_state s);   /* "not_affected" */
const char *exposures_state_label(enum exposures_state s);  /* "Not affected" */
bool exposures_state_parse(const char *s, enum exposures_state *out);

/* The VEX justifications (CSAF flag labels; CycloneDX has its own names). */
enum exposures_just {
	EXPOSURE_JUST_NONE = 0,
	EXPOSURE_JUST_COMPONENT_NOT_PRESENT,
	EXPOSURE_JUST_CODE_NOT_PRESENT,
	EXPOSURE_JUST_NOT_IN_EXECUTE_PATH,
	EXPOSURE_JUST_NOT_CONTROLLABLE,
	EXPOSURE_JUST_MITIGATIONS_EXIST,
	EXPOSURE_JUST_COUNT
};
const char *exposures_just_name(enum exposures_just j);     /* "vulnerable_code_not_present" */
const char *exposures_just_label(enum exposures_just j);
const char *exposures_just_cyclonedx(enum exposures_just j); /* "code_not_present" */
bool exposures_just_parse(const char *s, enum exposures_just *out);

/* Sets the decision for one exposure's (organisation, product, version,
 * vulnerability). "Not affected" needs a justification; a justification is
 * refused with any other state. The exposure must be current. Audited. */
enum bw_err exposures_triage(struct db *db, const struct actor *by, int64_t exposure_id,
			     enum exposures_state state, enum exposures_just just, const char *note,
			     struct bw_error *err);

struct exposures_ics_result {
	int64_t applied;           /* member organisations given the decision */
	int64_t kept;              /* members with a decision of their own, left as they were */
};
/* An ICS lead's (or administrator's) decision for the product, version and
 * vulnerability of exposure_id, written to every organisation under
 * ics_code that has that exposure current; members with their own decision
 * keep it unless override. by must be an ICS lead or administrator able to
 * edit ics_code, and the exposure must be under it. Audited. */
enum bw_err exposures_ics_decide(struct db *db, const struct actor *by, const char *ics_code,
				 int64_t exposure_id, enum exposures_state state, enum exposures_just just,
				 const char *note, bool override, struct exposures_ics_result *out,
				 struct bw_error *err);

#endif

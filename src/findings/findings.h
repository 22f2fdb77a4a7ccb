/*
 * findings: the detection engine inside the platform. Owns the rule library
 * (SigmaHQ rules imported into `detect_rules`, enabled or disabled one by
 * one, each load error kept and shown), the findings of each organisation
 * (rule, level, ATT&CK tags, host, event time, matched fields; triaged new /
 * false positive / escalated), event uploads scanned by the job runner
 * (kind `findings.scan`) and the ingestion endpoint POST /api/v1/events.
 * Depends on base, db, web, orgs, auth, audit, app and the detect engine
 * (through detect.h only).
 *
 * Which organisation ingested events belong to: an API token belongs to a
 * user, so events go to that user's own organisation, or to `?org=CODE`
 * when CODE is inside the user's subtree and the user may edit it there
 * (orgs_can with ACT_EDIT) — an ICS lead's forwarder can send for a member.
 *
 * The engine is compiled from the enabled rules in the database and cached
 * per process; every change to the library bumps a version counter row, and
 * the next scan in any process rebuilds. The field mapping is the engine's
 * built-in src/detect/mapping.yaml, or the file BULWARK_DETECT_MAPPING names.
 *
 * The same event sent twice makes one finding: each finding carries a hash
 * of its rule and event (host, event time and the matched fields), unique
 * per organisation.
 */
#ifndef BW_FINDINGS_H
#define BW_FINDINGS_H

#include "app/app.h"
#include "app/worker.h"

#define FINDINGS_LIM_EVENT_LINES   10000          /* lines in one POST /api/v1/events */
#define FINDINGS_LIM_PER_SCAN      100000         /* findings kept from one scan */
#define FINDINGS_LIM_NOTE          2000           /* triage note */
#define FINDINGS_LIM_FIELDS_JSON   (64 * 1024)    /* matched fields stored per finding */
#define FINDINGS_UPLOAD_CHUNK      (1024 * 1024)  /* upload bytes held per database row */

extern const struct db_migration findings_migrations[];
extern const struct route findings_routes[];
extern const struct route_param findings_params[];
extern const struct worker_kind findings_kinds[];

/* Routes, parameters, navigation and the job kind. */
void findings_register(void);
/* Imports the rules of data_dir/detect/sigma that have regression cases and
 * scans a few regression events for each trust (deterministic). */
enum bw_err findings_demo_seed(struct db *db, const char *data_dir, struct bw_error *err);
/* `bulwark findings rules import DIR | rules list`; argv as main passes it (argv[1] is "findings"). */
int findings_cli(int argc, char **argv);

/* ---- the rule library ---- */
struct findings_import {
	int64_t files, loaded, failed, added, updated;
};
/* Imports every .yml/.yaml file under dir (rules are keyed by their id;
 * a re-import updates them and keeps enabled and hit counts). Rules the
 * engine refuses are stored with their load error. One audit record. */
enum bw_err findings_rules_import_dir(struct db *db, const struct actor *by, const char *dir,
				      struct findings_import *out, struct bw_error *err);
/* One rule file's text (name: its file name, for messages and the row). */
enum bw_err findings_rules_import_text(struct db *db, const struct actor *by, const char *name,
				       const char *text, size_t n, struct findings_import *out,
				       struct bw_error *err);
/* Enables or disables a rule by its row id. Audited. */
enum bw_err findings_rule_set_enabled(struct db *db, const struct actor *by, int64_t rule_id,
				      bool enabled, struct bw_error *err);
int64_t findings_library_version(struct db *db);

/* ---- scanning into findings ---- */
struct findings_scan {
	int64_t events;      /* records read */
	int64_t damaged;     /* records that could not be read (bad JSON, bad EVTX record, too large) */
	int64_t findings;    /* new findings stored */
	int64_t duplicates;  /* findings already stored for this organisation */
	int64_t dropped;     /* over FINDINGS_LIM_PER_SCAN */
};
/* JSON-lines (or back-to-back JSON objects) held in memory. */
enum bw_err findings_scan_json(struct db *db, int64_t org_id, const char *text, size_t n,
			       const char *source, int64_t upload_id, struct findings_scan *out,
			       struct bw_error *err);
/* An EVTX or JSON-lines file (gzip allowed). */
enum bw_err findings_scan_file(struct db *db, int64_t org_id, const char *path, const char *source,
			       int64_t upload_id, struct findings_scan *out, struct bw_error *err);

/* ---- uploads ---- */
/* Stores an uploaded file for org_id and queues its scan. */
enum bw_err findings_upload_add(struct db *db, const struct actor *by, int64_t org_id,
				const char *file_name, const char *data, size_t n, int64_t *id_out,
				struct bw_error *err);
/* The `findings.scan` job: payload is the upload id. */
enum bw_err findings_job_scan(struct db *db, const struct db_job *job, struct bw_error *err);

/* ---- triage ---- */
enum findings_state { FINDING_NEW, FINDING_FALSE_POSITIVE, FINDING_ESCALATED };
const char *findings_state_name(enum findings_state s);   /* "false_positive" */
const char *findings_state_label(enum findings_state s);  /* "False positive" */
bool findings_state_parse(const char *s, enum findings_state *out);
/* Sets a finding's state (with who, when and a note). A note is required
 * to mark a false positive. Audited. */
enum bw_err findings_triage(struct db *db, const struct actor *by, int64_t finding_id,
			    enum findings_state state, const char *note, struct bw_error *err);

/* Frees the cached engine (tests and tools call it before exiting). */
void findings_engine_drop(void);

#endif

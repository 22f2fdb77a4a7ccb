/*
 * findings: the module's tables, its registration with the platform (routes,
 * path parameters, navigation, the scan job) and the triage states.
 */
#include <stdio.h>
#include <string.h>

#include "findings/findings_int.h"

const struct db_migration findings_migrations[] = {
	{ "findings/0001_library_findings_uploads",
	  /* the rule library: rows are never deleted, so findings keep their rule */
	  "CREATE TABLE detect_rules ("
	  " id {{ID}},"
	  " uuid {{TEXT_C}} NOT NULL UNIQUE,"
	  " title text NOT NULL,"
	  " level {{TEXT_C}} NOT NULL DEFAULT '',"
	  " status text NOT NULL DEFAULT '',"
	  " author text NOT NULL DEFAULT '',"
	  " tags text NOT NULL DEFAULT '',"
	  " logsource text NOT NULL DEFAULT '',"
	  " path text NOT NULL DEFAULT '',"
	  " yaml text NOT NULL,"
	  " enabled {{INT}} NOT NULL DEFAULT 1,"
	  " load_error text,"
	  " imported_at {{INT}} NOT NULL,"
	  " hits {{INT}} NOT NULL DEFAULT 0);"
	  "CREATE INDEX detect_rules_title ON detect_rules (title);"
	  /* one row: bumped on every library change, so each process knows when
	   * its compiled engine is stale */
	  "CREATE TABLE detect_library (id {{INT}} PRIMARY KEY, version {{INT}} NOT NULL);"
	  "INSERT INTO detect_library (id, version) VALUES (1, 1);"
	  "CREATE TABLE event_uploads ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " user_id {{INT}},"
	  " file_name text NOT NULL,"
	  " size {{INT}} NOT NULL,"
	  " state {{TEXT_C}} NOT NULL DEFAULT 'queued'"
	  "  CHECK (state IN ('queued', 'running', 'done', 'failed')),"
	  " events {{INT}} NOT NULL DEFAULT 0,"
	  " damaged {{INT}} NOT NULL DEFAULT 0,"
	  " findings {{INT}} NOT NULL DEFAULT 0,"
	  " duplicates {{INT}} NOT NULL DEFAULT 0,"
	  " error text,"
	  " created_at {{INT}} NOT NULL,"
	  " finished_at {{INT}});"
	  "CREATE INDEX event_uploads_org ON event_uploads (org_id, id);"
	  /* the file itself until it is scanned, in rows of at most 1 MiB, so any
	   * worker on any machine can scan it */
	  "CREATE TABLE event_upload_chunks ("
	  " upload_id {{INT}} NOT NULL REFERENCES event_uploads(id),"
	  " seq {{INT}} NOT NULL,"
	  " data {{BLOB}} NOT NULL,"
	  " PRIMARY KEY (upload_id, seq));"
	  "CREATE TABLE findings ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " rule_id {{INT}} NOT NULL REFERENCES detect_rules(id),"
	  " level {{TEXT_C}} NOT NULL,"
	  " tags text NOT NULL DEFAULT '',"
	  " host text NOT NULL DEFAULT '',"
	  " event_time text NOT NULL DEFAULT '',"
	  " event_at {{INT}},"
	  " channel text NOT NULL DEFAULT '',"
	  " event_id {{INT}},"
	  " fields text NOT NULL DEFAULT '[]',"
	  " source text NOT NULL,"
	  " upload_id {{INT}},"
	  " dedupe {{TEXT_C}} NOT NULL,"
	  " state {{TEXT_C}} NOT NULL DEFAULT 'new'"
	  "  CHECK (state IN ('new', 'false_positive', 'escalated')),"
	  " state_by text,"
	  " state_at {{INT}},"
	  " state_note text,"
	  " created_at {{INT}} NOT NULL,"
	  " UNIQUE (org_id, dedupe));"
	  "CREATE INDEX findings_org ON findings (org_id, created_at);"
	  "CREATE INDEX findings_rule ON findings (rule_id, org_id);" },
	{ NULL, NULL },
};

static const struct web_nav_entry nav[] = {
	{ "Findings", "/findings", 0xFF },
	{ "Detection rules", "/detect/rules", ROLE_ADMIN | ROLE_ANALYST },
	{ NULL, NULL, 0 },
};

const struct worker_kind findings_kinds[] = {
	/* an EVTX of LIM_UPLOAD bytes scans in well under a minute */
	{ "findings.scan", findings_job_scan, 900, 0 },
	{ NULL, NULL, 0, 0 },
};

/* The home page's card: new findings in view, counted only so far. */
static bool home_text(struct ctx *c, char *text, size_t n)
{
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	struct db_stmt *st = db_prep(c->db, "SELECT count(*) FROM (SELECT 1 FROM orgs o JOIN findings f ON f.org_id = o.id"
					    " WHERE o.path >= ?1 AND o.path < ?2 AND f.state = 'new' LIMIT 10000) t");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	int64_t k = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	snprintf(text, n, "%s%lld new finding%s from your event logs, by the public Sigma rules", k >= 10000 ? "over " : "",
		 (long long)k, k == 1 ? "" : "s");
	return true;
}

static const struct home_card home_card = { "Findings", "/findings", home_text };

void findings_register(void)
{
	app_add_home_card(&home_card);
	app_add_params(findings_params);
	app_add_nav(nav);
	app_add_routes(findings_routes);
	app_add_routes(findings_rules_routes);
	app_add_routes(findings_api_routes);
	worker_add_kinds(findings_kinds);
}

static const struct {
	const char *name, *label;
} states[] = {
	[FINDING_NEW] = { "new", "New" },
	[FINDING_FALSE_POSITIVE] = { "false_positive", "False positive" },
	[FINDING_ESCALATED] = { "escalated", "Escalated to an incident" },
};

const char *findings_state_name(enum findings_state s)
{
	return (unsigned)s < BW_NELEM(states) ? states[s].name : "new";
}

const char *findings_state_label(enum findings_state s)
{
	return (unsigned)s < BW_NELEM(states) ? states[s].label : "New";
}

bool findings_state_parse(const char *s, enum findings_state *out)
{
	for (size_t i = 0; s && i < BW_NELEM(states); i++)
		if (strcmp(states[i].name, s) == 0) {
			*out = (enum findings_state)i;
			return true;
		}
	return false;
}

const char *findings_state_label_of(const char *name)
{
	enum findings_state s;
	return findings_state_parse(name, &s) ? findings_state_label(s) : "New";
}

static enum bw_err bump_tx(struct db *db, void *arg, struct bw_error *err)
{
	(void)arg;
	return findings_library_bump(db, err);
}

enum bw_err findings_library_bump(struct db *db, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "UPDATE detect_library SET version = version + 1 WHERE id = 1");
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "rule library version");
	return BW_OK;
}

enum bw_err findings_library_touch(struct db *db, struct bw_error *err)
{
	return db_tx(db, true, bump_tx, NULL, err);
}

int64_t findings_library_version(struct db *db)
{
	return db_query_i64(db, "SELECT version FROM detect_library WHERE id = 1", 0);
}

struct triage {
	const struct actor *by;
	int64_t id;
	enum findings_state state;
	const char *note;
};

static enum bw_err triage_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct triage *t = arg;
	struct db_stmt *st = db_prep(db, "SELECT org_id, state FROM findings WHERE id = ?1");
	db_bind_i64(st, 1, t->id);
	int r = db_step(st);
	if (r == DB_ERR)
		return db_fail(db, err, "finding");
	if (r != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, "", "No such finding");
	int64_t org_id = db_col_i64(st, 0);
	char old[32];
	snprintf(old, sizeof old, "%s", db_col_text(st, 1));
	db_reset(st);
	st = db_prep(db, "UPDATE findings SET state = ?2, state_by = ?3, state_at = ?4, state_note = ?5 WHERE id = ?1");
	db_bind_i64(st, 1, t->id);
	db_bind_text(st, 2, findings_state_name(t->state));
	db_bind_text(st, 3, t->by->email);
	db_bind_i64(st, 4, bw_now());
	db_bind_text(st, 5, t->note && *t->note ? t->note : NULL);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "triage");
	char obj[48], sum[160];
	snprintf(obj, sizeof obj, "finding:%lld", (long long)t->id);
	snprintf(sum, sizeof sum, "Finding %lld: %s -> %s", (long long)t->id, old, findings_state_name(t->state));
	struct audit_rec a = { t->by->user_id, t->by->email, org_id, "finding.triage", obj, sum };
	return audit_append(db, &a, err);
}

enum bw_err findings_triage(struct db *db, const struct actor *by, int64_t finding_id,
			    enum findings_state state, const char *note, struct bw_error *err)
{
	if ((unsigned)state >= BW_NELEM(states))
		return bw_fail(err, BW_EINVAL, "state", "Choose new, false positive or escalated");
	if (note && strlen(note) > FINDINGS_LIM_NOTE)
		return bw_fail(err, BW_ELIMIT, "note", "The note must be %d characters or fewer", FINDINGS_LIM_NOTE);
	if (note && !bw_valid_utf8(note, strlen(note)))
		return bw_fail(err, BW_EINVAL, "note", "The note is not valid text");
	if (state == FINDING_FALSE_POSITIVE && (!note || !*note))
		return bw_fail(err, BW_EINVAL, "note", "Say why this is a false positive");
	struct triage t = { by, finding_id, state, note };
	return db_tx(db, true, triage_tx, &t, err);
}

/*
 * schema: the exposures module's tables, its registration with the
 * platform (routes, path parameters, navigation, the match job) and the
 * names of the triage states and VEX justifications.
 */
#include <stdio.h>
#include <string.h>

#include "exposures/exposures_int.h"

const struct db_migration exposures_migrations[] = {
	{ "exposures/0001_exposures",
	  /* One row per (component, vulnerability) ever hit: a row that stops
	   * being hit gets gone_at rather than being deleted, so history and
	   * "it came back" can be told. The identity columns are copied from
	   * the component so decisions join without the components table. */
	  "CREATE TABLE exposures ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " system_id {{INT}} NOT NULL,"
	  " component_id {{INT}} NOT NULL,"
	  " vuln_id {{TEXT_C}} NOT NULL,"
	  " norm_vendor {{TEXT_C}} NOT NULL,"
	  " norm_product {{TEXT_C}} NOT NULL,"
	  " version {{TEXT_C}} NOT NULL,"
	  " answer {{TEXT_C}} NOT NULL CHECK (answer IN ('affected', 'unknown')),"
	  " weak {{INT}} NOT NULL DEFAULT 0,"
	  " criterion TEXT NOT NULL,"
	  " evidence TEXT NOT NULL,"
	  " first_seen {{INT}} NOT NULL,"
	  " last_seen {{INT}} NOT NULL,"
	  " reappeared_at {{INT}},"
	  " gone_at {{INT}},"
	  " run {{INT}} NOT NULL,"          /* the last run that hit it */
	  " since_run {{INT}} NOT NULL,"    /* the run it became current in */
	  " UNIQUE (component_id, vuln_id));"
	  "CREATE INDEX exposures_org ON exposures (org_id, gone_at);"
	  "CREATE INDEX exposures_vuln ON exposures (vuln_id, org_id);"
	  "CREATE INDEX exposures_ident ON exposures (org_id, norm_vendor, norm_product, version, vuln_id);"
	  /* Triage, keyed so it survives re-imports and re-matches. */
	  "CREATE TABLE exposure_decisions ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " norm_vendor {{TEXT_C}} NOT NULL,"
	  " norm_product {{TEXT_C}} NOT NULL,"
	  " version {{TEXT_C}} NOT NULL,"
	  " vuln_id {{TEXT_C}} NOT NULL,"
	  " state {{TEXT_C}} NOT NULL CHECK (state IN ('new', 'investigating', 'affected', 'not_affected', 'fixed')),"
	  " justification TEXT,"
	  " note TEXT,"
	  " decided_by TEXT NOT NULL,"
	  " decided_by_user {{INT}} NOT NULL DEFAULT 0,"
	  " decided_by_org {{INT}} NOT NULL,"   /* the decider's organisation: the ICS for an ICS decision */
	  " decided_at {{INT}} NOT NULL,"
	  " UNIQUE (org_id, norm_vendor, norm_product, version, vuln_id));"
	  "CREATE TABLE exposure_decision_history ("
	  " id {{ID}},"
	  " decision_id {{INT}} NOT NULL,"
	  " org_id {{INT}} NOT NULL,"
	  " state {{TEXT_C}} NOT NULL,"
	  " justification TEXT,"
	  " note TEXT,"
	  " decided_by TEXT NOT NULL,"
	  " decided_by_org {{INT}} NOT NULL,"
	  " decided_at {{INT}} NOT NULL);"
	  "CREATE INDEX exposure_decision_history_by ON exposure_decision_history (decision_id, id);"
	  /* feed marker, components high-water mark, run counter */
	  "CREATE TABLE exposure_state ("
	  " name {{TEXT_C}} PRIMARY KEY,"
	  " value {{INT}} NOT NULL);" },
	{ "exposures/0002_ics_standing",
	  /* An ICS decision stands for the product, version and vulnerability:
	   * a member that starts running it later gets it on the match run
	   * that finds the new exposure (unless it decided for itself). */
	  "CREATE TABLE exposure_ics_decisions ("
	  " id {{ID}},"
	  " ics_org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " norm_vendor {{TEXT_C}} NOT NULL,"
	  " norm_product {{TEXT_C}} NOT NULL,"
	  " version {{TEXT_C}} NOT NULL,"
	  " vuln_id {{TEXT_C}} NOT NULL,"
	  " state {{TEXT_C}} NOT NULL CHECK (state IN ('new', 'investigating', 'affected', 'not_affected', 'fixed')),"
	  " justification TEXT,"
	  " note TEXT,"
	  " decided_by TEXT NOT NULL,"
	  " decided_by_user {{INT}} NOT NULL DEFAULT 0,"
	  " decided_at {{INT}} NOT NULL,"
	  " UNIQUE (ics_org_id, norm_vendor, norm_product, version, vuln_id));"
	  "CREATE INDEX exposure_ics_decisions_ident ON exposure_ics_decisions (norm_vendor, norm_product, version, vuln_id);"
	  /* each run looks up the exposures it made current */
	  "CREATE INDEX exposures_since_run ON exposures (since_run);"
	  /* the incremental match asks for components changed since its mark */
	  "CREATE INDEX components_by_updated_at ON components (updated_at);" },
	{ NULL, NULL },
};

static const struct web_nav_entry nav[] = {
	{ "Exposures", "/exposures", 0xFF },
	{ NULL, NULL, 0 },
};

static const struct worker_kind kinds[] = {
	/* a full run over the demo corpora takes well under the lease */
	{ "exposures.match", exposures_job_run, 1800, EXPOSURES_MATCH_EVERY_S },
	{ NULL, NULL, 0, 0 },
};

/* The home page's card: what is exposed in view, known-exploited first. */
static bool home_text(struct ctx *c, char *text, size_t n)
{
	char lo[256], hi[256];
	ctx_scope(c, lo, hi);
	struct db_stmt *st = db_prep(c->db,
		"SELECT count(*), coalesce(sum(CASE WHEN v.kev = 1 THEN 1 ELSE 0 END), 0)"
		" FROM orgs o JOIN exposures x ON x.org_id = o.id AND x.gone_at IS NULL"
		" LEFT JOIN vulnerabilities v ON v.id = x.vuln_id WHERE o.path >= ?1 AND o.path < ?2");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	int64_t all = 0, kev = 0;
	if (db_step(st) == DB_ROW) {
		all = db_col_i64(st, 0);
		kev = db_col_i64(st, 1);
	}
	db_reset(st);
	snprintf(text, n, "%lld known vulnerabilit%s in your software; %lld known to be exploited", (long long)all,
		 all == 1 ? "y" : "ies", (long long)kev);
	return true;
}

static const struct home_card home_card = { "Exposures", "/exposures", home_text };

void exposures_register(void)
{
	app_add_home_card(&home_card);
	app_add_params(exposures_params);
	app_add_nav(nav);
	app_add_routes(exposures_routes);
	app_add_routes(exposures_api_routes);
	worker_add_kinds(kinds);
}

/* ---- names ---- */

static const struct {
	const char *name, *label;
} states[] = {
	[EXPOSURE_NEW] = { "new", "New" },
	[EXPOSURE_INVESTIGATING] = { "investigating", "Under investigation" },
	[EXPOSURE_AFFECTED] = { "affected", "Affected" },
	[EXPOSURE_NOT_AFFECTED] = { "not_affected", "Not affected" },
	[EXPOSURE_FIXED] = { "fixed", "Fixed" },
};

const char *exposures_state_name(enum exposures_state s)
{
	return (unsigned)s < BW_NELEM(states) ? states[s].name : "new";
}

const char *exposures_state_label(enum exposures_state s)
{
	return (unsigned)s < BW_NELEM(states) ? states[s].label : "New";
}

bool exposures_state_parse(const char *s, enum exposures_state *out)
{
	for (size_t i = 0; s && i < BW_NELEM(states); i++)
		if (!strcmp(states[i].name, s)) {
			*out = (enum exposures_state)i;
			return true;
		}
	return false;
}

const char *exposures_state_label_of(const char *name)
{
	enum exposures_state s;
	return exposures_state_parse(name, &s) ? exposures_state_label(s) : "New";
}

enum web_tag_colour exposures_state_colour(const char *s)
{
	if (!s || !strcmp(s, "new"))
		return WEB_TAG_BLUE;
	if (!strcmp(s, "affected"))
		return WEB_TAG_RED;
	if (!strcmp(s, "investigating"))
		return WEB_TAG_YELLOW;
	if (!strcmp(s, "fixed"))
		return WEB_TAG_GREEN;
	return WEB_TAG_GREY;
}

/* CSAF's flag labels; CycloneDX 1.6 names the same ideas differently. */
static const struct {
	const char *name, *label, *cdx;
} justs[] = {
	[EXPOSURE_JUST_NONE] = { "", "None", NULL },
	[EXPOSURE_JUST_COMPONENT_NOT_PRESENT] = { "component_not_present", "The component is not present", "code_not_present" },
	[EXPOSURE_JUST_CODE_NOT_PRESENT] = { "vulnerable_code_not_present", "The vulnerable code is not present",
					     "code_not_present" },
	[EXPOSURE_JUST_NOT_IN_EXECUTE_PATH] = { "vulnerable_code_not_in_execute_path",
						"The vulnerable code is never run", "code_not_reachable" },
	[EXPOSURE_JUST_NOT_CONTROLLABLE] = { "vulnerable_code_cannot_be_controlled_by_adversary",
					     "An attacker cannot reach or control the vulnerable code", "requires_environment" },
	[EXPOSURE_JUST_MITIGATIONS_EXIST] = { "inline_mitigations_already_exist", "Mitigations already in place stop it",
					      "protected_by_mitigating_control" },
};

const char *exposures_just_name(enum exposures_just j)
{
	return (unsigned)j < BW_NELEM(justs) ? justs[j].name : "";
}

const char *exposures_just_label(enum exposures_just j)
{
	return (unsigned)j < BW_NELEM(justs) ? justs[j].label : "None";
}

const char *exposures_just_cyclonedx(enum exposures_just j)
{
	return (unsigned)j < BW_NELEM(justs) ? justs[j].cdx : NULL;
}

bool exposures_just_parse(const char *s, enum exposures_just *out)
{
	for (size_t i = 1; s && i < BW_NELEM(justs); i++)
		if (!strcmp(justs[i].name, s)) {
			*out = (enum exposures_just)i;
			return true;
		}
	return false;
}

const char *exposures_just_label_of(const char *name)
{
	enum exposures_just j;
	return exposures_just_parse(name, &j) ? exposures_just_label(j) : NULL;
}

const char *exposures_severity_name(int rank)
{
	static const char *const n[] = { "none", "low", "medium", "high", "critical" };
	return rank >= 0 && rank < 5 ? n[rank] : "none";
}

enum web_tag_colour exposures_severity_colour(int rank)
{
	static const enum web_tag_colour c[] = { WEB_TAG_GREY, WEB_TAG_BLUE, WEB_TAG_YELLOW, WEB_TAG_ORANGE, WEB_TAG_RED };
	return rank >= 0 && rank < 5 ? c[rank] : WEB_TAG_GREY;
}

bool exposures_is_analyst(const struct actor *a)
{
	return a->role == ROLE_ADMIN || a->role == ROLE_ANALYST || a->role == ROLE_ICS_LEAD;
}

/*
 * alerts: advisories broadcast by a national (or regional) team, who they
 * target, and every organisation's response to them (issue 6). Owns the
 * tables advisories, advisory_revisions, advisory_targets,
 * advisory_responses and response_events; the delivery side (outbox.h:
 * contacts, the outbox, the in-app inbox) is called at publish, revision and
 * escalation. Depends on base, db, web, orgs, audit, app, the registers
 * module (a risk accepted at closure) and the exposures module and match
 * engine (targeting the organisations that run an affected product).
 *
 * Times are UTC seconds everywhere and shown in Europe/London time. An
 * advisory's TLP label is enforced in one function, alerts_visible(), which
 * every read path (pages, API, exports) goes through.
 */
#ifndef BW_ALERTS_H
#define BW_ALERTS_H

#include "app/app.h"

/* ---- limits of this module's inputs ---- */
#define ALERTS_TITLE_MAX     200
#define ALERTS_TEXT_MAX      20000   /* summary, details, remediation, indicators */
#define ALERTS_LIST_MAX      4000    /* CVE IDs, references, products, codes */
#define ALERTS_NOTE_MAX      4000    /* response notes, reasons, change notes */
#define ALERTS_ID_MAX        23      /* "CC-0001": prefix (<= 8) '-' number */
#define ALERTS_ACK_HOURS_MAX (30 * 24)
#define ALERTS_UPDATE_DAYS_MAX 90
#define ALERTS_PAGE_SIZE     50

extern const struct db_migration alerts_migrations[];

/* ---- what an advisory says (the editable content, and each revision) ---- */
enum { AF_TITLE, AF_TYPE, AF_SEVERITY, AF_THREAT, AF_TLP, AF_SUMMARY, AF_DETAILS, AF_CVES, AF_PRODUCTS,
       AF_REMEDIATION, AF_IOCS, AF_REFS, AF_ACK_HOURS, AF_UPDATE_DAYS, AF_REMEDIATION_DUE,
       AF_TARGET_KIND, AF_TARGET_TYPES, AF_TARGET_CODES, AF_CHANGE_NOTE, AF_NFIELDS };
extern const struct web_field alerts_fields[AF_NFIELDS];

/* TLP 2.0 labels, written exactly as FIRST writes them. */
enum alerts_tlp { TLP_CLEAR, TLP_GREEN, TLP_AMBER, TLP_AMBER_STRICT, TLP_RED, TLP_COUNT };
const char *alerts_tlp_label(enum alerts_tlp t);        /* "TLP:AMBER+STRICT" */
bool alerts_tlp_parse(const char *s, enum alerts_tlp *out);  /* accepts "AMBER+STRICT" too */

enum alerts_state { ADV_DRAFT, ADV_IN_REVIEW, ADV_PUBLISHED, ADV_WITHDRAWN };
const char *alerts_state_name(enum alerts_state s);    /* "in_review" */
const char *alerts_state_label(enum alerts_state s);   /* "In review" */
const char *alerts_type_label(const char *type);       /* "High severity alert" */

struct alerts_advisory {
	char id[ALERTS_ID_MAX + 1];
	int64_t owner_org_id;
	char owner_path[256];
	enum alerts_state state;
	int revision;                 /* latest published revision; 0: never published */
	enum alerts_tlp tlp;          /* of the latest published revision (else the draft's) */
	const char *v[AF_NFIELDS];    /* the working copy, as form values (arena) */
	int64_t created_at, updated_at, published_at, withdrawn_at;
	const char *created_by, *published_by, *withdrawn_reason;
};

/* Reads an advisory's working copy (the draft, or the content as last
 * published when no change is pending). BW_ENOTFOUND if there is none. */
enum bw_err alerts_get(struct db *db, struct arena *a, const char *id, struct alerts_advisory *out);
/* The content of published revision rev (0: the latest) into v[] (arena);
 * *published_at when not NULL. */
enum bw_err alerts_revision_get(struct db *db, struct arena *a, const char *id, int rev, const char **v,
				int64_t *published_at, struct bw_error *err);

/* ---- the one visibility rule ----
 * The authors (analysts and administrators whose subtree holds the owning
 * organisation) see everything, drafts included. Anyone else sees only a
 * published advisory (withdrawn ones stay readable, marked), and by its TLP:
 *   CLEAR, GREEN   every signed-in organisation of the service;
 *   AMBER          target organisations, those below them, and those above
 *                  them (the ICS that oversees a member);
 *   AMBER+STRICT   the target organisations only;
 *   RED            the target organisations only.
 * as_org is the organisation whose view is asked for (0: the actor's own):
 * it must be in the actor's subtree, and under AMBER+STRICT and RED it must
 * be the actor's own organisation, so an ICS lead cannot read a member's
 * strictly limited advisory. */
bool alerts_is_author(const struct actor *a, const struct alerts_advisory *adv);
bool alerts_visible(struct db *db, const struct actor *a, const struct alerts_advisory *adv, int64_t as_org);

/* ---- the life of an advisory (each change audited in its transaction) ---- */
/* Validates v (form order) and the checks between fields; errors name fields. */
enum bw_err alerts_validate(const char *const *v, struct web_form_errors *errs);
/* Creates a draft; the ID is the next of the configured prefix
 * (BULWARK_ALERT_PREFIX, default "CC"): CC-0001, CC-0002 ... */
enum bw_err alerts_create(struct db *db, const struct actor *by, const char *const *v, char id_out[ALERTS_ID_MAX + 1],
			  struct bw_error *err);
/* Changes the working copy. A published advisory keeps its published
 * revision; the change goes out when the next revision is published. A
 * revision may only widen the targeting. */
enum bw_err alerts_update(struct db *db, const struct actor *by, const char *id, const char *const *v,
			  struct bw_error *err);
enum bw_err alerts_submit(struct db *db, const struct actor *by, const char *id, struct bw_error *err);
enum bw_err alerts_return_to_draft(struct db *db, const struct actor *by, const char *id, const char *reason,
				   struct bw_error *err);
/* Publishes the reviewed working copy as the next revision: snapshots it,
 * writes advisory_targets (widened, never narrowed), issues a response to
 * each new target, and queues the deliveries (outbox_enqueue_advisory) —
 * all in one transaction. *targets_out: organisations now targeted. */
enum bw_err alerts_publish(struct db *db, const struct actor *by, const char *id, int64_t *targets_out,
			   struct bw_error *err);
enum bw_err alerts_withdraw(struct db *db, const struct actor *by, const char *id, const char *reason,
			    struct bw_error *err);

/* ---- targeting (targeting.c) ----
 * kind "all": every responding organisation (not national, regional or
 * supplier records); "areas": every responding organisation in the subtrees
 * of the given region or ICS codes; "list": the given organisation codes;
 * "exposed": organisations with a current exposure (src/exposures) to one
 * of the advisory's CVE ids (at most ALERTS_TARGET_CVES_MAX), and those
 * running one of its affected products (below).
 * types (comma-separated org type names, may be empty) narrows any kind. */
#define ALERTS_TARGET_CVES_MAX 50
/* a publication this wide refreshes PostgreSQL's statistics (advisories.c) */
#define ALERTS_ANALYZE_AFTER 10000
struct alerts_preview {
	int64_t total;       /* organisations the advisory would reach */
	int64_t added;       /* of which not yet targeted (a revision widens) */
	int64_t by_type[ORG_TYPE_COUNT];
	struct {
		char code[LIM_ORG_CODE + 1];
		char name[LIM_NAME + 1];
		char type[32];
	} first[100];        /* the first organisations by name */
	size_t nfirst;
};
/* "exposed" also reaches the organisations whose inventory runs one of the
 * advisory's affected products, matched by the engine (src/match) through
 * exposures_orgs_running, so an advisory about a product with no CVE id yet
 * still finds them. One product a line: a CPE 2.3 name, a package URL, or
 * "vendor, product" / "Vendor Product", each optionally followed by its
 * versions ("13.1 before 13.1-49.15", "7.4.0 to 7.4.2", "before 2023.0.1",
 * ">= 1.0 < 2.0", "vers:npm/>=1.0.0|<2.0.0", one version; none: every
 * version). A CPE's or purl's own version is the one affected. Compiled
 * into out (arena; id names its criteria); BW_EINVAL names field
 * "products" and the line at fault. */
#define ALERTS_TARGET_PRODUCTS_MAX 50
struct match_record;
enum bw_err alerts_products_compile(struct arena *a, const char *id, const char *products, struct match_record *out,
				    struct bw_error *err);
/* v: the advisory's fields (target kind, types, codes, CVEs, products). */
enum bw_err alerts_targets_check(struct db *db, const char *const *v, struct bw_error *err);
/* Inside a transaction: adds the targets of the working copy with
 * revision rev; *added: how many were new. */
enum bw_err alerts_targets_fill(struct db *db, const char *id, int rev, int64_t *added, struct bw_error *err);
/* What alerts_targets_fill would do now, computed by the same statement in
 * a transaction that is then rolled back. */
enum bw_err alerts_targets_preview(struct db *db, const char *id, struct alerts_preview *out, struct bw_error *err);

/* ---- responses (responses.c) ----
 * Per (advisory, organisation): issued -> acknowledged (in progress) ->
 * applicability answered: not applicable (closes it) or applicable ->
 * remediation updates (next one due every N days; the organisation may set
 * the date) -> closed as remediated, mitigated or risk accepted (which opens
 * an accepted risk in the risk register). */
enum alerts_rstate { RS_ISSUED, RS_ACKNOWLEDGED, RS_APPLICABLE, RS_CLOSED, RS_COUNT };
const char *alerts_rstate_name(enum alerts_rstate s);   /* "acknowledged" */
const char *alerts_rstate_label(enum alerts_rstate s);  /* "In progress" */
bool alerts_rstate_parse(const char *s, enum alerts_rstate *out);

enum alerts_step { STEP_ACKNOWLEDGE, STEP_APPLICABLE, STEP_NOT_APPLICABLE, STEP_UPDATE, STEP_CLOSE, STEP_COUNT };
const char *alerts_step_name(enum alerts_step s);       /* "acknowledge" */
/* The state machine, pure: the state after step from `from`, or
 * BW_ECONFLICT with a message in plain words saying what to do first. */
enum bw_err alerts_transition(enum alerts_rstate from, enum alerts_step step, enum alerts_rstate *to,
			      struct bw_error *err);

/* ---- deadlines (UTC seconds; calendar days counted in Europe/London) ---- */
/* Acknowledgement: hours after issue, elapsed time (48 h is 48 h even across
 * a clock change, so its London clock time moves by the change). */
int64_t alerts_ack_due(int64_t issued_at, int ack_hours);
/* Next update: days later at the same Europe/London clock time (3 days
 * across the end of British Summer Time are 73 hours). */
int64_t alerts_add_london_days(int64_t t, int days);
/* UTC seconds of a Europe/London wall-clock time; for a time that does not
 * exist (the spring gap) the instant an hour later, for one that happens
 * twice (the autumn fold) the first. */
int64_t alerts_london_to_utc(int y, int mo, int d, int h, int mi);
/* "2026-10-27" or "27/10/2026" -> that day's end of the working day
 * (17:00 Europe/London) in UTC; false if not a real date. */
bool alerts_date_parse(const char *s, int64_t *out);

struct alerts_response {
	char advisory_id[ALERTS_ID_MAX + 1];
	int64_t org_id;
	char org_code[LIM_ORG_CODE + 1];
	enum alerts_rstate state;
	int64_t issued_at, ack_due, acknowledged_at, answered_at, next_update_due, last_update_at, closed_at;
	char applicability[16];   /* "", "applicable", "not_applicable" */
	char closure[16];         /* "", "remediated", "mitigated", "risk_accepted", "not_applicable" */
	int escalation;           /* 0 none, 1 contacts again, 2 SIRO / ICS lead */
	int64_t risk_id;
};
enum bw_err alerts_response_get(struct db *db, const char *advisory_id, int64_t org_id, struct alerts_response *out);
/* Overdue now: not acknowledged by its deadline, or an update late. */
bool alerts_response_overdue(const struct alerts_response *r, int64_t now);

/* One step on one organisation's response, by `by` (on_behalf: the step is
 * part of a bulk response by a lead of a parent organisation, recorded on
 * the organisation's record). note: applicability reason, update text or
 * closure note (or the accepted risk's reason); next_due: an update's next date (0: the interval); closure:
 * "remediated", "mitigated" or "risk_accepted". Audited. */
struct alerts_step_args {
	enum alerts_step step;
	const char *note;
	int64_t next_due;
	const char *closure;
	const char *accepted_until;   /* risk_accepted: review date (default 6 months) */
	bool on_behalf;
};
enum bw_err alerts_respond(struct db *db, const struct actor *by, const char *advisory_id, int64_t org_id,
			   const struct alerts_step_args *s, struct bw_error *err);
/* The same step for several member organisations in one transaction: each
 * must be in the actor's subtree and targeted; all or nothing. *done: how
 * many records changed (a member already past the step is skipped). */
enum bw_err alerts_respond_bulk(struct db *db, const struct actor *by, const char *advisory_id,
				const int64_t *org_ids, size_t n, const struct alerts_step_args *s, int64_t *done,
				struct bw_error *err);

/* Escalation (a job of kind "alerts.escalate"): responses overdue at now get
 * level 1 (the organisation's alert contacts again), and those still overdue
 * a day after that level 2 (its SIRO / ICS lead); each recorded in
 * response_events and queued through outbox_enqueue_escalation. */
enum bw_err alerts_escalate(struct db *db, int64_t now, int64_t *escalated, struct bw_error *err);

/* ---- the module as main sees it ---- */
void alerts_register(void);
enum bw_err alerts_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err);

extern const struct route alerts_routes[];
extern const struct route alerts_api_routes[];
extern const struct route alerts_export_routes[];   /* CSAF 2.0 and STIX 2.1 (export.c) */
extern const struct route_param alerts_params[];

#endif

/*
 * responses: each targeted organisation's response to an advisory — the
 * state machine (pure, so every transition and refusal is unit-tested), the
 * deadline arithmetic in UTC with calendar days counted in Europe/London,
 * one step by an organisation or a bulk step by the lead of a parent
 * organisation (recorded on each member's record as done on its behalf),
 * closure with an accepted risk opened in the risk register, and the
 * escalation of overdue responses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/alerts.h"
#include "alerts/outbox.h"
#include "registers/registers.h"

static const char *const rs_names[RS_COUNT] = { "issued", "acknowledged", "applicable", "closed" };
static const char *const rs_labels[RS_COUNT] = { "Not acknowledged", "In progress", "Applicable: remediating",
						 "Closed" };
static const char *const step_names[STEP_COUNT] = { "acknowledge", "applicable", "not_applicable", "update", "close" };

const char *alerts_rstate_name(enum alerts_rstate s)
{
	return (unsigned)s < RS_COUNT ? rs_names[s] : "issued";
}

const char *alerts_rstate_label(enum alerts_rstate s)
{
	return (unsigned)s < RS_COUNT ? rs_labels[s] : rs_labels[0];
}

bool alerts_rstate_parse(const char *s, enum alerts_rstate *out)
{
	for (int i = 0; s && i < RS_COUNT; i++)
		if (strcmp(s, rs_names[i]) == 0) {
			*out = (enum alerts_rstate)i;
			return true;
		}
	return false;
}

const char *alerts_step_name(enum alerts_step s)
{
	return (unsigned)s < STEP_COUNT ? step_names[s] : "";
}

enum bw_err alerts_transition(enum alerts_rstate from, enum alerts_step step, enum alerts_rstate *to,
			      struct bw_error *err)
{
	if (from == RS_CLOSED)
		return bw_fail(err, BW_ECONFLICT, NULL, "This response is closed: nothing more can be recorded on it");
	switch (step) {
	case STEP_ACKNOWLEDGE:
		if (from != RS_ISSUED)
			return bw_fail(err, BW_ECONFLICT, NULL, "This alert has already been acknowledged");
		*to = RS_ACKNOWLEDGED;
		return BW_OK;
	case STEP_APPLICABLE:
		if (from == RS_ISSUED)
			return bw_fail(err, BW_ECONFLICT, NULL, "Acknowledge the alert before saying whether it applies");
		if (from == RS_APPLICABLE)
			return bw_fail(err, BW_ECONFLICT, NULL, "You have already said that this alert applies");
		*to = RS_APPLICABLE;
		return BW_OK;
	case STEP_NOT_APPLICABLE:
		if (from == RS_ISSUED)
			return bw_fail(err, BW_ECONFLICT, NULL, "Acknowledge the alert before saying whether it applies");
		/* also after "applicable": investigation may show it does not */
		*to = RS_CLOSED;
		return BW_OK;
	case STEP_UPDATE:
		if (from == RS_ISSUED)
			return bw_fail(err, BW_ECONFLICT, NULL, "Acknowledge the alert before adding an update");
		*to = from;
		return BW_OK;
	case STEP_CLOSE:
		if (from != RS_APPLICABLE)
			return bw_fail(err, BW_ECONFLICT, NULL, from == RS_ISSUED
				       ? "Acknowledge the alert and say whether it applies before closing it"
				       : "Say whether the alert applies before closing it");
		*to = RS_CLOSED;
		return BW_OK;
	default:
		return bw_fail(err, BW_EINVAL, "step", "Unknown step");
	}
}

/* ---- deadlines ---- */

int64_t alerts_ack_due(int64_t issued_at, int ack_hours)
{
	return issued_at + (int64_t)ack_hours * 3600;
}

/* The UTC instant of a Europe/London wall-clock time given as seconds since
 * the epoch read as if local were UTC. */
static int64_t local_to_utc(int64_t local)
{
	if (bw_london_offset(local - 3600) == 3600)
		return local - 3600;   /* summer time (and the first of an autumn fold) */
	return local;               /* winter time, or a spring-gap time taken an hour on */
}

int64_t alerts_london_to_utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
	return local_to_utc((int64_t)timegm(&tm));
}

int64_t alerts_add_london_days(int64_t t, int days)
{
	int64_t local = t + bw_london_offset(t) + (int64_t)days * 86400;
	return local_to_utc(local);
}

bool alerts_date_parse(const char *s, int64_t *out)
{
	if (!s || strlen(s) > 40)
		return false;
	int y, m, d;
	char tail;
	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 ||
	    (sscanf(s, "%2d/%2d/%4d%c", &d, &m, &y, &tail) == 3 && y >= 1000)) {
		static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		if (y < 2000 || y > 2100 || m < 1 || m > 12 || d < 1 || d > dim[m - 1] + (m == 2 && leap))
			return false;
		/* the end of that working day */
		*out = alerts_london_to_utc(y, m, d, 17, 0);
		return true;
	}
	return false;
}

/* ---- reading ---- */

#define RESPONSE_COLS "r.advisory_id, r.org_id, o.code, r.state, r.issued_at, coalesce(r.ack_due, 0)," \
	" coalesce(r.acknowledged_at, 0), coalesce(r.answered_at, 0), coalesce(r.next_update_due, 0)," \
	" coalesce(r.last_update_at, 0), coalesce(r.closed_at, 0), r.applicability, r.closure, r.escalation," \
	" coalesce(r.risk_id, 0)"

static void response_row(struct db_stmt *st, struct alerts_response *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->advisory_id, sizeof out->advisory_id, "%s", db_col_text(st, 0));
	out->org_id = db_col_i64(st, 1);
	snprintf(out->org_code, sizeof out->org_code, "%s", db_col_text(st, 2));
	if (!alerts_rstate_parse(db_col_text(st, 3), &out->state))
		out->state = RS_ISSUED;
	out->issued_at = db_col_i64(st, 4);
	out->ack_due = db_col_i64(st, 5);
	out->acknowledged_at = db_col_i64(st, 6);
	out->answered_at = db_col_i64(st, 7);
	out->next_update_due = db_col_i64(st, 8);
	out->last_update_at = db_col_i64(st, 9);
	out->closed_at = db_col_i64(st, 10);
	snprintf(out->applicability, sizeof out->applicability, "%s", db_col_text(st, 11));
	snprintf(out->closure, sizeof out->closure, "%s", db_col_text(st, 12));
	out->escalation = (int)db_col_i64(st, 13);
	out->risk_id = db_col_i64(st, 14);
}

enum bw_err alerts_response_get(struct db *db, const char *advisory_id, int64_t org_id, struct alerts_response *out)
{
	struct db_stmt *st = db_prep(db, "SELECT " RESPONSE_COLS " FROM advisory_responses r JOIN orgs o ON o.id = r.org_id"
					 " WHERE r.advisory_id = ?1 AND r.org_id = ?2");
	db_bind_text(st, 1, advisory_id);
	db_bind_i64(st, 2, org_id);
	if (db_step(st) != DB_ROW)
		return BW_ENOTFOUND;
	response_row(st, out);
	db_reset(st);
	return BW_OK;
}

bool alerts_response_overdue(const struct alerts_response *r, int64_t now)
{
	if (r->state == RS_ISSUED)
		return r->ack_due > 0 && now > r->ack_due;
	if (r->state == RS_ACKNOWLEDGED || r->state == RS_APPLICABLE)
		return r->next_update_due > 0 && now > r->next_update_due;
	return false;
}

/* ---- one step ---- */

struct step_ctx {
	const struct actor *by;
	const char *id;
	const int64_t *orgs;
	size_t n;
	const struct alerts_step_args *s;
	int64_t done;
	bool bulk;
};

static const char *who_name(const struct actor *a)
{
	return a->user_id ? a->name : "Demo data";
}

/* Opens the accepted risk the closure records, in the risk register of the
 * responding organisation (inside the caller's transaction). */
static enum bw_err open_risk(struct db *db, const struct actor *by, const char *id, int64_t org_id, const char *title,
			     const char *reason, const char *until, int64_t *risk_id, struct bw_error *err)
{
	char rtitle[LIM_NAME + 1];
	snprintf(rtitle, sizeof rtitle, "Alert %s not fully remediated: %s", id, title);
	char desc[ALERTS_NOTE_MAX + 200];
	snprintf(desc, sizeof desc, "The organisation accepted the risk of not fully remediating cyber alert %s. %s", id,
		 reason && *reason ? reason : "");
	return registers_risk_accepted(db, by, org_id, rtitle, desc, who_name(by), until, reason, risk_id, err);
}

static enum bw_err step_one(struct db *db, struct step_ctx *c, int64_t org_id, const char *title, int update_days,
			    struct bw_error *err)
{
	const struct alerts_step_args *s = c->s;
	struct alerts_response r;
	if (alerts_response_get(db, c->id, org_id, &r) != BW_OK)
		return bw_fail(err, BW_ENOTFOUND, NULL, "This alert was not sent to that organisation");
	enum alerts_rstate to;
	if (alerts_transition(r.state, s->step, &to, err) != BW_OK) {
		/* in a bulk response a member already past this step is left as it is */
		if (c->bulk && err->code == BW_ECONFLICT)
			return BW_OK;
		return err->code;
	}
	int64_t now = bw_now();
	int64_t next = 0;
	const char *closure = "";
	int64_t risk_id = 0;
	if (s->step == STEP_ACKNOWLEDGE || s->step == STEP_UPDATE)
		next = s->step == STEP_UPDATE && s->next_due ? s->next_due : alerts_add_london_days(now, update_days);
	if (s->step == STEP_NOT_APPLICABLE)
		closure = "not_applicable";
	if (s->step == STEP_CLOSE) {
		closure = s->closure;
		if (strcmp(closure, "risk_accepted") == 0 &&
		    open_risk(db, c->by, c->id, org_id, title, s->note, s->accepted_until, &risk_id, err) != BW_OK)
			return err->code;
	}
	/* one statement for every step; the state it started from is checked
	 * again, so two answers racing cannot both apply */
	struct db_stmt *st = db_prep(db, "UPDATE advisory_responses SET state = ?4,"
		" acknowledged_at = CASE WHEN ?9 = 'acknowledge' THEN ?3 ELSE acknowledged_at END,"
		" acknowledged_by = CASE WHEN ?9 = 'acknowledge' THEN ?5 ELSE acknowledged_by END,"
		" next_update_due = CASE WHEN ?9 IN ('acknowledge', 'update') THEN CAST(?6 AS BIGINT) ELSE next_update_due END,"
		" escalation = CASE WHEN ?9 IN ('acknowledge', 'update') THEN 0 ELSE escalation END,"
		" answered_at = CASE WHEN ?9 IN ('applicable', 'not_applicable') THEN ?3 ELSE answered_at END,"
		" answered_by = CASE WHEN ?9 IN ('applicable', 'not_applicable') THEN ?5 ELSE answered_by END,"
		" applicability = CASE WHEN ?9 IN ('applicable', 'not_applicable') THEN ?9 ELSE applicability END,"
		" reason = CASE WHEN ?9 IN ('applicable', 'not_applicable') THEN ?7 ELSE reason END,"
		" last_update_at = CASE WHEN ?9 = 'update' THEN ?3 ELSE last_update_at END,"
		" closed_at = CASE WHEN ?4 = 'closed' THEN ?3 ELSE closed_at END,"
		" closed_by = CASE WHEN ?4 = 'closed' THEN ?5 ELSE closed_by END,"
		" closure = CASE WHEN ?4 = 'closed' THEN ?8 ELSE closure END,"
		" closure_note = CASE WHEN ?9 = 'close' THEN ?7 ELSE closure_note END,"
		" risk_id = CASE WHEN ?10 > 0 THEN ?10 ELSE risk_id END,"
		" on_behalf_of = CASE WHEN ?11 = 1 THEN ?12 ELSE on_behalf_of END,"
		" updated_at = ?3 WHERE advisory_id = ?1 AND org_id = ?2 AND state = ?13");
	db_bind_text(st, 1, c->id);
	db_bind_i64(st, 2, org_id);
	db_bind_i64(st, 3, now);
	db_bind_text(st, 4, alerts_rstate_name(to));
	db_bind_text(st, 5, who_name(c->by));
	db_bind_i64(st, 6, next);
	db_bind_text(st, 7, s->note ? s->note : "");
	db_bind_text(st, 8, closure);
	db_bind_text(st, 9, alerts_step_name(s->step));
	db_bind_i64(st, 10, risk_id);
	db_bind_i64(st, 11, s->on_behalf);
	db_bind_text(st, 12, c->by->org_code);
	db_bind_text(st, 13, alerts_rstate_name(r.state));
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "recording the response");
	if (db_changes(db) != 1)
		return bw_fail(err, BW_ECONFLICT, NULL, "The response changed while you were answering: look again");
	const char *kind = s->step == STEP_CLOSE ? closure : alerts_step_name(s->step);
	st = db_prep(db, "INSERT INTO response_events (advisory_id, org_id, at, kind, actor, actor_org, on_behalf, note, next_due)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, CAST(?9 AS BIGINT))");
	db_bind_text(st, 1, c->id);
	db_bind_i64(st, 2, org_id);
	db_bind_i64(st, 3, now);
	db_bind_text(st, 4, kind);
	db_bind_text(st, 5, who_name(c->by));
	db_bind_text(st, 6, c->by->org_code);
	db_bind_i64(st, 7, s->on_behalf);
	db_bind_text(st, 8, s->note ? s->note : "");
	if (next)
		db_bind_i64(st, 9, next);
	else
		db_bind_null(st, 9);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "recording the response's history");
	char object[64], summary[160];
	snprintf(object, sizeof object, "advisory:%s", c->id);
	snprintf(summary, sizeof summary, "Response to %s by %s: %s%s%s%s", c->id, r.org_code,
		 s->step == STEP_CLOSE ? "closed as " : "", kind, s->on_behalf ? ", on its behalf by " : "",
		 s->on_behalf ? c->by->org_code : "");
	struct audit_rec ar = { c->by->user_id, c->by->user_id ? c->by->email : "cli", org_id, "advisory.respond",
				object, summary };
	if (audit_append(db, &ar, err) != BW_OK)
		return err->code;
	c->done++;
	return BW_OK;
}

static enum bw_err args_check(const struct actor *by, const struct alerts_step_args *s, struct bw_error *err)
{
	if ((unsigned)s->step >= STEP_COUNT)
		return bw_fail(err, BW_EINVAL, "step", "Unknown step");
	if (s->note && strlen(s->note) > ALERTS_NOTE_MAX)
		return bw_fail(err, BW_ELIMIT, "note", "The text must be %d characters or fewer", ALERTS_NOTE_MAX);
	bool blank = !s->note || !str_trim(str_c(s->note)).n;
	if (s->step == STEP_NOT_APPLICABLE && blank)
		return bw_fail(err, BW_EINVAL, "reason", "Say why the alert does not apply to your organisation");
	if (s->step == STEP_UPDATE) {
		if (blank)
			return bw_fail(err, BW_EINVAL, "note", "Describe what has been done since the last update");
		int64_t now = bw_now();
		if (s->next_due && s->next_due <= now)
			return bw_fail(err, BW_EINVAL, "next_update_due", "The next update date must be in the future");
		if (s->next_due > now + (int64_t)ALERTS_UPDATE_DAYS_MAX * 86400)
			return bw_fail(err, BW_EINVAL, "next_update_due", "The next update must be within %d days",
				       ALERTS_UPDATE_DAYS_MAX);
	}
	if (s->step == STEP_CLOSE) {
		const char *k = s->closure ? s->closure : "";
		if (strcmp(k, "remediated") != 0 && strcmp(k, "mitigated") != 0 && strcmp(k, "risk_accepted") != 0)
			return bw_fail(err, BW_EINVAL, "closure", "Select how the alert was dealt with");
		if (strcmp(k, "risk_accepted") == 0 && by->user_id && !registers_may_accept_risk(by->role))
			return bw_fail(err, BW_EFORBIDDEN, "closure", "Only an organisation lead, ICS lead or administrator "
				       "can accept a risk on the organisation's behalf");
		if (strcmp(k, "risk_accepted") == 0 && blank)
			return bw_fail(err, BW_EINVAL, "note", "Say why the risk is accepted");
		int64_t until;
		if (s->accepted_until && *s->accepted_until && !alerts_date_parse(s->accepted_until, &until))
			return bw_fail(err, BW_EINVAL, "accepted_until", "Accepted until must be a real date, like 31/3/2027");
	}
	return BW_OK;
}

static enum bw_err steps_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct step_ctx *c = arg;
	c->done = 0;
	struct db_stmt *st = db_prep(db, "SELECT state, title, update_days, revision FROM advisories WHERE id = ?1");
	db_bind_text(st, 1, c->id);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such advisory");
	char state[16], title[ALERTS_TITLE_MAX + 1];
	snprintf(state, sizeof state, "%s", db_col_text(st, 0));
	snprintf(title, sizeof title, "%s", db_col_text(st, 1));
	int days = (int)db_col_i64(st, 2);
	int64_t rev = db_col_i64(st, 3);
	db_reset(st);
	if (strcmp(state, "withdrawn") == 0)
		return bw_fail(err, BW_ECONFLICT, NULL, "%s has been withdrawn: no response is needed", c->id);
	if (rev <= 0)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such advisory");
	for (size_t i = 0; i < c->n; i++)
		if (step_one(db, c, c->orgs[i], title, days, err) != BW_OK)
			return err->code;
	return BW_OK;
}

/* The actor may act for org_id on this advisory: it is in their subtree, their
 * role may edit, and they may see the advisory as that organisation. The
 * command line (user 0) acts with the instance's authority. */
static enum bw_err may_act(struct db *db, const struct actor *by, const struct alerts_advisory *adv, int64_t org_id,
			   struct bw_error *err)
{
	if (!by->user_id)
		return BW_OK;
	struct org o;
	if (orgs_get(db, org_id, &o, NULL) != BW_OK)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such organisation");
	struct org_ref ref = { o.id, "" };
	snprintf(ref.path, sizeof ref.path, "%s", o.path);
	if (!orgs_can(by, ACT_EDIT, &ref) || !alerts_visible(db, by, adv, org_id))
		return bw_fail(err, BW_ENOTFOUND, NULL, "This alert was not sent to %s, or you cannot respond for it", o.code);
	return BW_OK;
}

static enum bw_err respond(struct db *db, const struct actor *by, const char *advisory_id, const int64_t *orgs,
			   size_t n, bool bulk, const struct alerts_step_args *s, int64_t *done, struct bw_error *err)
{
	if (args_check(by, s, err) != BW_OK)
		return err->code;
	struct arena a;
	arena_init(&a);
	struct alerts_advisory adv;
	enum bw_err rc = BW_OK;
	if (alerts_get(db, &a, advisory_id, &adv) != BW_OK)
		rc = bw_fail(err, BW_ENOTFOUND, NULL, "No such advisory");
	for (size_t i = 0; rc == BW_OK && i < n; i++)
		rc = may_act(db, by, &adv, orgs[i], err);
	arena_free(&a);
	if (rc != BW_OK)
		return rc;
	struct step_ctx c = { .by = by, .id = advisory_id, .orgs = orgs, .n = n, .s = s, .bulk = bulk };
	rc = db_tx(db, true, steps_tx, &c, err);
	if (rc == BW_OK && done)
		*done = c.done;
	return rc;
}

enum bw_err alerts_respond(struct db *db, const struct actor *by, const char *advisory_id, int64_t org_id,
			   const struct alerts_step_args *s, struct bw_error *err)
{
	return respond(db, by, advisory_id, &org_id, 1, false, s, NULL, err);
}

enum bw_err alerts_respond_bulk(struct db *db, const struct actor *by, const char *advisory_id,
				const int64_t *org_ids, size_t n, const struct alerts_step_args *s, int64_t *done,
				struct bw_error *err)
{
	if (n == 0)
		return bw_fail(err, BW_EINVAL, "orgs", "Select at least one organisation");
	if (n > 5000)
		return bw_fail(err, BW_ELIMIT, "orgs", "Respond for at most 5000 organisations at once");
	struct alerts_step_args b = *s;
	b.on_behalf = true;
	return respond(db, by, advisory_id, org_ids, n, true, &b, done, err);
}

/* ---- escalation ---- */

#define ESCALATE_BATCH 500
/* A day after the organisation's contacts were reminded, its SIRO and ICS hear. */
#define ESCALATE_LEVEL2_AFTER 86400

struct esc {
	int64_t now;
	char ids[ESCALATE_BATCH][ALERTS_ID_MAX + 1];
	int64_t orgs[ESCALATE_BATCH];
	int levels[ESCALATE_BATCH];
	size_t n;
	int64_t done, last;
};

static enum bw_err escalate_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct esc *e = arg;
	int64_t done = 0;
	e->last = 0;
	for (size_t i = 0; i < e->n; i++) {
		/* only if it is still where it was when picked: a run that repeats
		 * (two workers, a retried job) escalates once */
		struct db_stmt *st = db_prep(db, "UPDATE advisory_responses SET escalation = ?3, escalated_at = ?4"
						 " WHERE advisory_id = ?1 AND org_id = ?2 AND escalation = ?3 - 1");
		db_bind_text(st, 1, e->ids[i]);
		db_bind_i64(st, 2, e->orgs[i]);
		db_bind_i64(st, 3, e->levels[i]);
		db_bind_i64(st, 4, e->now);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "escalating");
		if (db_changes(db) == 0)
			continue;
		st = db_prep(db, "INSERT INTO response_events (advisory_id, org_id, at, kind, actor, note)"
				 " VALUES (?1, ?2, ?3, ?4, 'Bulwark', ?5)");
		db_bind_text(st, 1, e->ids[i]);
		db_bind_i64(st, 2, e->orgs[i]);
		db_bind_i64(st, 3, e->now);
		db_bind_text(st, 4, e->levels[i] == 1 ? "escalation_1" : "escalation_2");
		db_bind_text(st, 5, e->levels[i] == 1 ? "Overdue: the organisation's alert contacts were reminded"
						      : "Still overdue: escalated to the SIRO and the ICS lead");
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "recording the escalation");
		if (outbox_enqueue_escalation(db, e->ids[i], e->orgs[i], e->levels[i], err) != BW_OK)
			return err->code;
		done++;
	}
	if (done) {
		char summary[96];
		snprintf(summary, sizeof summary, "Escalated %lld overdue responses", (long long)done);
		int64_t nat = db_query_i64(db, "SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1", 0);
		struct audit_rec r = { 0, "system", nat, "advisory.escalate", "responses", summary };
		if (audit_append(db, &r, err) != BW_OK)
			return err->code;
	}
	e->last = done;
	return BW_OK;
}

enum bw_err alerts_escalate(struct db *db, int64_t now, int64_t *escalated, struct bw_error *err)
{
	struct esc *e = calloc(1, sizeof *e);
	if (!e)
		return bw_fail(err, BW_EINTERNAL, NULL, "out of memory");
	e->now = now;
	enum bw_err rc = BW_OK;
	for (int round = 0; round < 1000; round++) {
		struct db_stmt *st = db_prep(db, "SELECT r.advisory_id, r.org_id, r.escalation + 1 FROM advisory_responses r"
						 " JOIN advisories a ON a.id = r.advisory_id AND a.state <> 'withdrawn'"
						 " WHERE r.state <> 'closed' AND r.escalation < 2"
						 " AND ((r.state = 'issued' AND r.ack_due IS NOT NULL AND r.ack_due < ?1)"
						 " OR (r.state IN ('acknowledged', 'applicable') AND r.next_update_due < ?1))"
						 " AND (r.escalation = 0 OR r.escalated_at <= ?2)"
						 " ORDER BY r.advisory_id, r.org_id LIMIT ?3");
		db_bind_i64(st, 1, now);
		db_bind_i64(st, 2, now - ESCALATE_LEVEL2_AFTER);
		db_bind_i64(st, 3, ESCALATE_BATCH);
		e->n = 0;
		int s;
		while ((s = db_step(st)) == DB_ROW) {
			snprintf(e->ids[e->n], sizeof e->ids[0], "%s", db_col_text(st, 0));
			e->orgs[e->n] = db_col_i64(st, 1);
			e->levels[e->n] = (int)db_col_i64(st, 2);
			e->n++;
		}
		if (s == DB_ERR) {
			rc = db_fail(db, err, "finding overdue responses");
			break;
		}
		if (e->n == 0)
			break;
		if ((rc = db_tx(db, true, escalate_tx, e, err)) != BW_OK)
			break;
		e->done += e->last;
		if (e->last == 0)
			break;   /* nothing changed: another worker is on it */
	}
	if (escalated)
		*escalated = e->done;
	free(e);
	return rc;
}

/*
 * triage: decisions on exposures. A decision belongs to (organisation,
 * normalised vendor, product, version, vulnerability), not to an exposure
 * row, so it outlives re-matching and re-imports; every change is kept in
 * exposure_decision_history and the audit trail. An ICS lead's decision is
 * copied to each member organisation that runs the product, recording the
 * ICS as the decider, and stands for members that start running it later
 * (given on the match run that finds them); a member's own decision is not overwritten unless
 * asked, since a wrong "not affected" is the worst mistake this module can
 * make.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exposures/exposures_int.h"

struct ident {
	int64_t id, org_id;
	char org_path[256], org_code[LIM_ORG_CODE + 1];
	char vendor[256], product[256], version[256], vuln[128];
	bool gone;
};

/* Reads the exposure's identity; ENOTFOUND when it does not exist. */
static enum bw_err ident_load(struct db *db, int64_t id, struct ident *x, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "SELECT e.org_id, o.path, e.norm_vendor, e.norm_product, e.version, e.vuln_id,"
					 " e.gone_at, o.code FROM exposures e JOIN orgs o ON o.id = e.org_id WHERE e.id = ?1");
	db_bind_i64(st, 1, id);
	int r = db_step(st);
	if (r == DB_ERR)
		return db_fail(db, err, "exposure");
	if (r != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, "", "No such exposure");
	x->id = id;
	x->org_id = db_col_i64(st, 0);
	snprintf(x->org_path, sizeof x->org_path, "%s", db_col_text(st, 1));
	snprintf(x->vendor, sizeof x->vendor, "%s", db_col_text(st, 2));
	snprintf(x->product, sizeof x->product, "%s", db_col_text(st, 3));
	snprintf(x->version, sizeof x->version, "%s", db_col_text(st, 4));
	snprintf(x->vuln, sizeof x->vuln, "%s", db_col_text(st, 5));
	x->gone = !db_col_isnull(st, 6);
	snprintf(x->org_code, sizeof x->org_code, "%s", db_col_text(st, 7));
	db_reset(st);
	return BW_OK;
}

static enum bw_err check_decision(enum exposures_state state, enum exposures_just just, const char *note,
				  struct bw_error *err)
{
	if ((unsigned)state >= EXPOSURE_STATE_COUNT)
		return bw_fail(err, BW_EINVAL, "state", "Choose new, under investigation, affected, not affected or fixed");
	if ((unsigned)just >= EXPOSURE_JUST_COUNT)
		return bw_fail(err, BW_EINVAL, "justification", "Choose a justification from the list");
	if (state == EXPOSURE_NOT_AFFECTED && just == EXPOSURE_JUST_NONE)
		return bw_fail(err, BW_EINVAL, "justification", "Say why you are not affected: choose a justification");
	if (state != EXPOSURE_NOT_AFFECTED && just != EXPOSURE_JUST_NONE)
		return bw_fail(err, BW_EINVAL, "justification", "A justification is only given for \"not affected\"");
	if (note && !bw_valid_utf8(note, strlen(note)))
		return bw_fail(err, BW_EINVAL, "note", "The note is not valid text");
	if (note && web_utf8_len(note) > EXPOSURES_LIM_NOTE)
		return bw_fail(err, BW_ELIMIT, "note", "The note must be %d characters or fewer", EXPOSURES_LIM_NOTE);
	return BW_OK;
}

struct decision {
	const struct actor *by;
	const struct ident *x;
	int64_t org_id;            /* whose decision it is */
	int64_t decider_org;       /* who took it */
	enum exposures_state state;
	enum exposures_just just;
	const char *note;
};

/* Inside a transaction: the upsert and its history row. */
static enum bw_err decision_write(struct db *db, const struct decision *d, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "INSERT INTO exposure_decisions (org_id, norm_vendor, norm_product, version, vuln_id,"
					 " state, justification, note, decided_by, decided_by_user, decided_by_org, decided_at)"
					 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
					 " ON CONFLICT (org_id, norm_vendor, norm_product, version, vuln_id) DO UPDATE SET"
					 " state = excluded.state, justification = excluded.justification, note = excluded.note,"
					 " decided_by = excluded.decided_by, decided_by_user = excluded.decided_by_user,"
					 " decided_by_org = excluded.decided_by_org, decided_at = excluded.decided_at RETURNING id");
	const char *just = d->just != EXPOSURE_JUST_NONE ? exposures_just_name(d->just) : NULL;
	const char *note = d->note && *d->note ? d->note : NULL;
	int64_t now = bw_now();
	db_bind_i64(st, 1, d->org_id);
	db_bind_text(st, 2, d->x->vendor);
	db_bind_text(st, 3, d->x->product);
	db_bind_text(st, 4, d->x->version);
	db_bind_text(st, 5, d->x->vuln);
	db_bind_text(st, 6, exposures_state_name(d->state));
	db_bind_text(st, 7, just);
	db_bind_text(st, 8, note);
	db_bind_text(st, 9, d->by->email);
	db_bind_i64(st, 10, d->by->user_id);
	db_bind_i64(st, 11, d->decider_org);
	db_bind_i64(st, 12, now);
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "decision");
	int64_t id = db_col_i64(st, 0);
	db_reset(st);
	st = db_prep(db, "INSERT INTO exposure_decision_history (decision_id, org_id, state, justification, note, decided_by,"
			 " decided_by_org, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	db_bind_i64(st, 1, id);
	db_bind_i64(st, 2, d->org_id);
	db_bind_text(st, 3, exposures_state_name(d->state));
	db_bind_text(st, 4, just);
	db_bind_text(st, 5, note);
	db_bind_text(st, 6, d->by->email);
	db_bind_i64(st, 7, d->decider_org);
	db_bind_i64(st, 8, now);
	return db_step(st) == DB_ERR ? db_fail(db, err, "decision history") : BW_OK;
}

struct triage_args {
	const struct actor *by;
	int64_t id;
	enum exposures_state state;
	enum exposures_just just;
	const char *note;
};

static enum bw_err triage_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct triage_args *t = arg;
	struct ident x;
	enum bw_err rc = ident_load(db, t->id, &x, err);
	if (rc != BW_OK)
		return rc;
	struct org_ref ref = { x.org_id, "" };
	snprintf(ref.path, sizeof ref.path, "%s", x.org_path);
	/* outside the actor's reach answers as missing, as the pipeline does */
	if (!orgs_can(t->by, ACT_EDIT, &ref))
		return bw_fail(err, BW_ENOTFOUND, "", "No such exposure");
	if (x.gone)
		return bw_fail(err, BW_ECONFLICT, "state", "This exposure is no longer current: the inventory or the feeds changed");
	struct decision d = { t->by, &x, x.org_id, t->by->org_id, t->state, t->just, t->note };
	rc = decision_write(db, &d, err);
	if (rc != BW_OK)
		return rc;
	char obj[48], sum[600];
	snprintf(obj, sizeof obj, "exposure:%lld", (long long)t->id);
	snprintf(sum, sizeof sum, "%s in %s %s %s at %s: %s%s%s", x.vuln, x.vendor, x.product, x.version, x.org_code,
		 exposures_state_name(t->state), t->just ? " (" : "", t->just ? exposures_just_name(t->just) : "");
	if (t->just)
		snprintf(sum + strlen(sum), sizeof sum - strlen(sum), ")");
	struct audit_rec a = { t->by->user_id, t->by->email, x.org_id, "exposure.triage", obj, sum };
	return audit_append(db, &a, err);
}

enum bw_err exposures_triage(struct db *db, const struct actor *by, int64_t exposure_id, enum exposures_state state,
			     enum exposures_just just, const char *note, struct bw_error *err)
{
	enum bw_err rc = check_decision(state, just, note, err);
	if (rc != BW_OK)
		return rc;
	struct triage_args t = { by, exposure_id, state, just, note };
	return db_tx(db, true, triage_tx, &t, err);
}

/* ---- an ICS lead's decision for its members ---- */

struct ics_args {
	const struct actor *by;
	const struct org *ics;
	int64_t id;
	enum exposures_state state;
	enum exposures_just just;
	const char *note;
	bool override;
	struct exposures_ics_result *out;
};

static enum bw_err ics_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct ics_args *a = arg;
	a->out->applied = a->out->kept = 0;
	struct ident x;
	enum bw_err rc = ident_load(db, a->id, &x, err);
	if (rc != BW_OK)
		return rc;
	char lo[256], hi[256];
	orgs_subtree_bounds(a->ics->path, lo, hi);
	if (strcmp(x.org_path, lo) < 0 || strcmp(x.org_path, hi) >= 0)
		return bw_fail(err, BW_ENOTFOUND, "", "No such exposure");
	/* the members running this product and version, with what they decided */
	struct db_stmt *st = db_prep(db, "SELECT DISTINCT e.org_id, d.decided_by_org FROM exposures e JOIN orgs o ON o.id = e.org_id"
					 EXPOSURES_JOIN_DECISION
					 " WHERE o.path >= ?1 AND o.path < ?2 AND e.gone_at IS NULL AND e.norm_vendor = ?3"
					 " AND e.norm_product = ?4 AND e.version = ?5 AND e.vuln_id = ?6 ORDER BY e.org_id");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	db_bind_text(st, 3, x.vendor);
	db_bind_text(st, 4, x.product);
	db_bind_text(st, 5, x.version);
	db_bind_text(st, 6, x.vuln);
	size_t n = 0, cap = 0;
	int64_t *orgs = NULL;
	int r;
	while ((r = db_step(st)) == DB_ROW) {
		int64_t org = db_col_i64(st, 0);
		bool own = !db_col_isnull(st, 1) && db_col_i64(st, 1) != a->ics->id;
		if (own && !a->override) {
			a->out->kept++;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			int64_t *v = realloc(orgs, cap * sizeof *v);
			if (!v)
				abort();
			orgs = v;
		}
		orgs[n++] = org;
	}
	if (r == DB_ERR) {
		free(orgs);
		return db_fail(db, err, "exposures");
	}
	for (size_t i = 0; i < n && rc == BW_OK; i++) {
		struct decision d = { a->by, &x, orgs[i], a->ics->id, a->state, a->just, a->note };
		rc = decision_write(db, &d, err);
		if (rc == BW_OK)
			a->out->applied++;
	}
	free(orgs);
	if (rc != BW_OK)
		return rc;
	/* the decision stands for members that start running the product later */
	st = db_prep(db, "INSERT INTO exposure_ics_decisions (ics_org_id, norm_vendor, norm_product, version, vuln_id, state,"
			 " justification, note, decided_by, decided_by_user, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
			 " ?9, ?10, ?11) ON CONFLICT (ics_org_id, norm_vendor, norm_product, version, vuln_id) DO UPDATE SET"
			 " state = excluded.state, justification = excluded.justification, note = excluded.note,"
			 " decided_by = excluded.decided_by, decided_by_user = excluded.decided_by_user,"
			 " decided_at = excluded.decided_at");
	db_bind_i64(st, 1, a->ics->id);
	db_bind_text(st, 2, x.vendor);
	db_bind_text(st, 3, x.product);
	db_bind_text(st, 4, x.version);
	db_bind_text(st, 5, x.vuln);
	db_bind_text(st, 6, exposures_state_name(a->state));
	db_bind_text(st, 7, a->just != EXPOSURE_JUST_NONE ? exposures_just_name(a->just) : NULL);
	db_bind_text(st, 8, a->note && *a->note ? a->note : NULL);
	db_bind_text(st, 9, a->by->email);
	db_bind_i64(st, 10, a->by->user_id);
	db_bind_i64(st, 11, bw_now());
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "ICS decision");
	char obj[48], sum[700];
	snprintf(obj, sizeof obj, "exposure:%lld", (long long)a->id);
	snprintf(sum, sizeof sum, "ICS decision by %s for %s in %s %s %s: %s%s%s; applied to %lld members, %lld kept their own",
		 a->ics->code, x.vuln, x.vendor, x.product, x.version, exposures_state_name(a->state),
		 a->just ? " " : "", a->just ? exposures_just_name(a->just) : "", (long long)a->out->applied,
		 (long long)a->out->kept);
	struct audit_rec rec = { a->by->user_id, a->by->email, a->ics->id, "exposure.ics_decision", obj, sum };
	return audit_append(db, &rec, err);
}

enum bw_err exposures_ics_decide(struct db *db, const struct actor *by, const char *ics_code, int64_t exposure_id,
				 enum exposures_state state, enum exposures_just just, const char *note, bool override,
				 struct exposures_ics_result *out, struct bw_error *err)
{
	struct exposures_ics_result dummy;
	if (!out)
		out = &dummy;
	memset(out, 0, sizeof *out);
	if (by->role != ROLE_ICS_LEAD && by->role != ROLE_ADMIN)
		return bw_fail(err, BW_EFORBIDDEN, "", "Only an ICS lead or an administrator decides for member organisations");
	enum bw_err rc = check_decision(state, just, note, err);
	if (rc != BW_OK)
		return rc;
	struct org ics;
	if (!ics_code || orgs_get_by_code(db, ics_code, &ics, NULL) != BW_OK)
		return bw_fail(err, BW_ENOTFOUND, "ics", "No such organisation");
	struct org_ref ref = { ics.id, "" };
	snprintf(ref.path, sizeof ref.path, "%s", ics.path);
	if (!orgs_can(by, ACT_EDIT, &ref))
		return bw_fail(err, BW_ENOTFOUND, "ics", "No such organisation");
	struct ics_args a = { by, &ics, exposure_id, state, just, note, override, out };
	return db_tx(db, true, ics_tx, &a, err);
}

/* ---- standing ICS decisions, for exposures found later ---- */

enum bw_err exposures_ics_apply_new(struct db *db, int64_t run, int64_t *applied, struct bw_error *err)
{
	*applied = 0;
	if (db_query_i64(db, "SELECT count(*) FROM (SELECT 1 FROM exposure_ics_decisions LIMIT 1) x", 0) == 0)
		return BW_OK;
	int64_t now = bw_now();
	/* exposures that became current in this run, at a member of an ICS with a
	 * standing decision for them, and no decision of the member's own; the
	 * innermost ICS's decision wins when two enclose the member */
	struct db_stmt *st = db_prep(db,
		"INSERT INTO exposure_decisions (org_id, norm_vendor, norm_product, version, vuln_id, state, justification,"
		" note, decided_by, decided_by_user, decided_by_org, decided_at)"
		" SELECT DISTINCT e.org_id, e.norm_vendor, e.norm_product, e.version, e.vuln_id, i.state, i.justification,"
		" i.note, i.decided_by, i.decided_by_user, i.ics_org_id, CAST(?2 AS BIGINT)"
		" FROM exposures e JOIN orgs o ON o.id = e.org_id JOIN exposure_ics_decisions i ON i.norm_vendor = e.norm_vendor"
		" AND i.norm_product = e.norm_product AND i.version = e.version AND i.vuln_id = e.vuln_id"
		" JOIN orgs io ON io.id = i.ics_org_id"
		" WHERE e.run = ?1 AND e.since_run = ?1 AND e.gone_at IS NULL"
		" AND substr(o.path, 1, length(io.path)) = io.path"
		" AND NOT EXISTS (SELECT 1 FROM exposure_ics_decisions i2 JOIN orgs io2 ON io2.id = i2.ics_org_id"
		" WHERE i2.norm_vendor = e.norm_vendor AND i2.norm_product = e.norm_product AND i2.version = e.version"
		" AND i2.vuln_id = e.vuln_id AND length(io2.path) > length(io.path)"
		" AND substr(o.path, 1, length(io2.path)) = io2.path)"
		" AND NOT EXISTS (SELECT 1 FROM exposure_decisions d WHERE d.org_id = e.org_id AND d.norm_vendor = e.norm_vendor"
		" AND d.norm_product = e.norm_product AND d.version = e.version AND d.vuln_id = e.vuln_id)"
		" ON CONFLICT (org_id, norm_vendor, norm_product, version, vuln_id) DO NOTHING"
		" RETURNING id, org_id, vuln_id, decided_by_org");
	db_bind_i64(st, 1, run);
	db_bind_i64(st, 2, now);
	size_t n = 0, cap = 0;
	struct made { int64_t id, org, ics; char vuln[128]; } *made = NULL;
	int r;
	while ((r = db_step(st)) == DB_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct made *v = realloc(made, cap * sizeof *v);
			if (!v)
				abort();
			made = v;
		}
		made[n].id = db_col_i64(st, 0);
		made[n].org = db_col_i64(st, 1);
		snprintf(made[n].vuln, sizeof made[n].vuln, "%s", db_col_text(st, 2));
		made[n].ics = db_col_i64(st, 3);
		n++;
	}
	enum bw_err rc = r == DB_ERR ? db_fail(db, err, "ICS decisions") : BW_OK;
	for (size_t i = 0; i < n && rc == BW_OK; i++) {
		st = db_prep(db, "INSERT INTO exposure_decision_history (decision_id, org_id, state, justification, note,"
				 " decided_by, decided_by_org, decided_at) SELECT id, org_id, state, justification, note, decided_by,"
				 " decided_by_org, decided_at FROM exposure_decisions WHERE id = ?1");
		db_bind_i64(st, 1, made[i].id);
		if (db_step(st) == DB_ERR) {
			rc = db_fail(db, err, "decision history");
			break;
		}
		char obj[48], sum[300];
		snprintf(obj, sizeof obj, "decision:%lld", (long long)made[i].id);
		snprintf(sum, sizeof sum, "Standing ICS decision applied to a new exposure to %s", made[i].vuln);
		struct audit_rec a = { 0, "system", made[i].org, "exposure.ics_decision_applied", obj, sum };
		rc = audit_append(db, &a, err);
	}
	*applied = rc == BW_OK ? (int64_t)n : 0;
	free(made);
	return rc;
}

/*
 * risks: the risk register's tables, its changes (each audited in its own
 * transaction, every score change kept in risk_history) and the demo seed.
 * A risk belongs to one organisation; an ICS records its ICS-wide risks as
 * its own. Likelihood and impact use the usual NHS 5 x 5 scales; the score
 * before controls (inherent) and now (residual) are likelihood x impact.
 * Accepting a risk records who accepted it and until when, and only a lead
 * may do it. Links to systems (another area's table: checked in code) and to
 * suppliers (a record the risk's organisation may see) live in risk_links.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registers/suppliers_risks.h"

const struct db_migration risks_migrations[] = {
	{ "registers/0004_risks",
	  "CREATE TABLE risks ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " title TEXT NOT NULL,"
	  " description TEXT NOT NULL DEFAULT '',"
	  " category TEXT NOT NULL,"
	  " owner TEXT NOT NULL,"
	  " likelihood {{INT}} NOT NULL,"
	  " impact {{INT}} NOT NULL,"
	  " residual_likelihood {{INT}} NOT NULL,"
	  " residual_impact {{INT}} NOT NULL,"
	  " treatment TEXT NOT NULL,"
	  " status TEXT NOT NULL DEFAULT 'open',"
	  " review_date TEXT NOT NULL,"
	  " accepted_by TEXT,"
	  " accepted_by_id {{INT}},"
	  " accepted_at {{INT}},"
	  " accepted_until TEXT,"
	  " created_at {{INT}} NOT NULL,"
	  " updated_at {{INT}} NOT NULL);"
	  "CREATE INDEX risks_org ON risks(org_id, status);"
	  "CREATE TABLE risk_actions ("
	  " id {{ID}},"
	  " risk_id {{INT}} NOT NULL REFERENCES risks(id),"
	  " title TEXT NOT NULL,"
	  " owner TEXT NOT NULL,"
	  " due_date TEXT NOT NULL,"
	  " done_on TEXT,"
	  " created_at {{INT}} NOT NULL);"
	  "CREATE INDEX risk_actions_risk ON risk_actions(risk_id, due_date);"
	  "CREATE TABLE risk_links ("
	  " risk_id {{INT}} NOT NULL REFERENCES risks(id),"
	  " kind TEXT NOT NULL,"
	  " target_id {{INT}} NOT NULL,"
	  " PRIMARY KEY (risk_id, kind, target_id));"
	  "CREATE TABLE risk_history ("
	  " id {{ID}},"
	  " risk_id {{INT}} NOT NULL REFERENCES risks(id),"
	  " at {{INT}} NOT NULL,"
	  " actor TEXT NOT NULL,"
	  " likelihood {{INT}} NOT NULL,"
	  " impact {{INT}} NOT NULL,"
	  " residual_likelihood {{INT}} NOT NULL,"
	  " residual_impact {{INT}} NOT NULL,"
	  " note TEXT NOT NULL DEFAULT '');"
	  "CREATE INDEX risk_history_risk ON risk_history(risk_id, at);" },
	{ NULL, NULL },
};

/* ---- fields ---- */

static const struct web_option categories[] = {
	{ "supplier", "Supplier" },
	{ "legacy_system", "Legacy or unsupported system" },
	{ "people", "People and training" },
	{ "third_party", "Third party or partner" },
	{ "cyber_attack", "Cyber attack (for example ransomware)" },
	{ "data", "Data loss or breach" },
	{ "infrastructure", "Infrastructure and networks" },
	{ "continuity", "Business continuity" },
	{ "other", "Other" },
};
static const struct web_option likelihoods[] = {
	{ "1", "1 - Rare" }, { "2", "2 - Unlikely" }, { "3", "3 - Possible" }, { "4", "4 - Likely" },
	{ "5", "5 - Almost certain" },
};
static const struct web_option impacts[] = {
	{ "1", "1 - Negligible" }, { "2", "2 - Minor" }, { "3", "3 - Moderate" }, { "4", "4 - Major" },
	{ "5", "5 - Catastrophic" },
};
static const struct web_option treatments[] = {
	{ "mitigate", "Reduce it (mitigate)" },
	{ "accept", "Accept it" },
	{ "transfer", "Transfer it (for example to an insurer or by contract)" },
	{ "avoid", "Avoid it (stop the activity)" },
};
static const struct web_option statuses[] = { { "open", "Open" }, { "closed", "Closed" } };

const struct web_field sr_risk_fields[RK_NFIELDS] = {
	[RK_TITLE] = { .name = "title", .label = "Risk title", .hint = "A short name, like: Unsupported server runs the pathology interface",
		       .type = WEB_FIELD_TEXT, .required = true, .max_len = LIM_NAME },
	[RK_DESC] = { .name = "description", .label = "Description", .hint = "What could happen, and what would follow",
		      .type = WEB_FIELD_TEXTAREA, .max_len = SR_TEXT_MAX },
	[RK_CATEGORY] = { .name = "category", .label = "Category", .type = WEB_FIELD_SELECT, .required = true,
			  .options = categories, .options_n = BW_NELEM(categories) },
	[RK_OWNER] = { .name = "owner", .label = "Risk owner", .hint = "The person or role accountable, like Head of IT",
		       .type = WEB_FIELD_TEXT, .required = true, .max_len = LIM_NAME },
	[RK_L] = { .name = "likelihood", .label = "Likelihood before controls", .type = WEB_FIELD_SELECT,
		   .required = true, .options = likelihoods, .options_n = 5 },
	[RK_I] = { .name = "impact", .label = "Impact before controls", .type = WEB_FIELD_SELECT, .required = true,
		   .options = impacts, .options_n = 5 },
	[RK_RL] = { .name = "residual_likelihood", .label = "Likelihood now", .hint = "With the controls you have in place",
		    .type = WEB_FIELD_SELECT, .required = true, .options = likelihoods, .options_n = 5 },
	[RK_RI] = { .name = "residual_impact", .label = "Impact now", .hint = "With the controls you have in place",
		    .type = WEB_FIELD_SELECT, .required = true, .options = impacts, .options_n = 5 },
	[RK_TREATMENT] = { .name = "treatment", .label = "Treatment", .type = WEB_FIELD_SELECT, .required = true,
			   .options = treatments, .options_n = BW_NELEM(treatments) },
	[RK_REVIEW] = { .name = "review_date", .label = "Next review date", .hint = "For example, 31/3/2027",
			.type = WEB_FIELD_TEXT, .required = true, .max_len = 40, .width = "10", .check = sr_check_date },
	[RK_STATUS] = { .name = "status", .label = "Status", .type = WEB_FIELD_SELECT, .required = true,
			.options = statuses, .options_n = BW_NELEM(statuses) },
};

const struct web_field sr_action_fields[AC_NFIELDS] = {
	[AC_TITLE] = { .name = "action", .label = "What will be done", .type = WEB_FIELD_TEXT, .required = true,
		       .max_len = LIM_NAME },
	[AC_OWNER] = { .name = "action_owner", .label = "Who will do it", .type = WEB_FIELD_TEXT, .required = true,
		       .max_len = LIM_NAME },
	[AC_DUE] = { .name = "due_date", .label = "Due date", .hint = "For example, 31/3/2027", .type = WEB_FIELD_TEXT,
		     .required = true, .max_len = 40, .width = "10", .check = sr_check_date },
};

const struct web_field sr_accept_fields[2] = {
	{ .name = "accepted_until", .label = "Accepted until", .hint = "When it must be looked at again. At most 3 years ahead, for example 31/3/2027",
	  .type = WEB_FIELD_TEXT, .required = true, .max_len = 40, .width = "10", .check = sr_check_date },
	{ .name = "reason", .label = "Why it is accepted", .type = WEB_FIELD_TEXTAREA, .max_len = SR_TEXT_MAX },
};

static const char *label_of(const struct web_option *o, size_t n, const char *v)
{
	for (size_t i = 0; v && i < n; i++)
		if (strcmp(o[i].value, v) == 0)
			return o[i].label;
	return v ? v : "";
}

const char *sr_category_label(const char *name)
{
	return label_of(categories, BW_NELEM(categories), name);
}

const char *sr_treatment_label(const char *name)
{
	return label_of(treatments, BW_NELEM(treatments), name);
}

bool sr_may_accept(enum role r)
{
	return r == ROLE_ADMIN || r == ROLE_ANALYST || r == ROLE_ICS_LEAD || r == ROLE_ORG_LEAD;
}

static int score_of(const char *v)
{
	int64_t n;
	return v && str_to_i64(str_c(v), 1, 5, &n) ? (int)n : 0;
}

enum bw_err sr_risk_validate(const char **v, bool was_accepted, struct web_form_errors *errs)
{
	struct web_form f = { .fields = sr_risk_fields, .fields_n = RK_NFIELDS };
	web_form_validate(&f, v, errs);
	int l = score_of(v[RK_L]), i = score_of(v[RK_I]), rl = score_of(v[RK_RL]), ri = score_of(v[RK_RI]);
	if (l && i && rl && ri && rl * ri > l * i)
		web_form_errors_add(errs, "residual_likelihood",
				    "The score now cannot be higher than the score before controls: raise the likelihood "
				    "or impact before controls too");
	if (v[RK_TREATMENT] && strcmp(v[RK_TREATMENT], "accept") == 0 && !was_accepted &&
	    !web_form_error_for(errs, "treatment"))
		web_form_errors_add(errs, "treatment",
				    "To accept a risk, use Accept this risk on its page, so who accepted it and until when "
				    "are recorded");
	return errs->n ? BW_EINVAL : BW_OK;
}

enum bw_err sr_accept_validate(const char **v, const char *today, struct web_form_errors *errs)
{
	struct web_form f = { .fields = sr_accept_fields, .fields_n = 2 };
	web_form_validate(&f, v, errs);
	char until[11], last[11];
	if (sr_date_parse(v[0], until)) {
		sr_date_add(today, SR_ACCEPT_MAX_DAYS, last);
		if (strcmp(until, today) <= 0)
			web_form_errors_add(errs, "accepted_until", "Accepted until must be a date in the future");
		else if (strcmp(until, last) > 0)
			web_form_errors_add(errs, "accepted_until", "Accepted until must be within 3 years from today");
	}
	return errs->n ? BW_EINVAL : BW_OK;
}

enum bw_err sr_action_validate(const char **v, struct web_form_errors *errs)
{
	struct web_form f = { .fields = sr_action_fields, .fields_n = AC_NFIELDS };
	return web_form_validate(&f, v, errs);
}

/* ---- reading ---- */

static const char *dup0(struct arena *a, const char *s)
{
	return arena_strdup(a, s ? s : "");
}

enum bw_err sr_risk_get(struct db *db, struct arena *a, int64_t id, struct sr_risk *out)
{
	struct db_stmt *st = db_prep(db, "SELECT r.id, r.org_id, o.code, o.name, o.path, r.title, r.description, r.category,"
					 " r.owner, r.likelihood, r.impact, r.residual_likelihood, r.residual_impact, r.treatment,"
					 " r.review_date, r.status, r.accepted_by, r.accepted_until, r.accepted_at, r.created_at,"
					 " r.updated_at FROM risks r JOIN orgs o ON o.id = r.org_id WHERE r.id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return BW_ENOTFOUND;
	memset(out, 0, sizeof *out);
	out->id = db_col_i64(st, 0);
	out->org_id = db_col_i64(st, 1);
	out->org_code = dup0(a, db_col_text(st, 2));
	out->org_name = dup0(a, db_col_text(st, 3));
	out->org_path = dup0(a, db_col_text(st, 4));
	out->v[RK_TITLE] = dup0(a, db_col_text(st, 5));
	out->v[RK_DESC] = dup0(a, db_col_text(st, 6));
	out->v[RK_CATEGORY] = dup0(a, db_col_text(st, 7));
	out->v[RK_OWNER] = dup0(a, db_col_text(st, 8));
	out->l = (int)db_col_i64(st, 9);
	out->i = (int)db_col_i64(st, 10);
	out->rl = (int)db_col_i64(st, 11);
	out->ri = (int)db_col_i64(st, 12);
	out->v[RK_L] = arena_printf(a, "%d", out->l);
	out->v[RK_I] = arena_printf(a, "%d", out->i);
	out->v[RK_RL] = arena_printf(a, "%d", out->rl);
	out->v[RK_RI] = arena_printf(a, "%d", out->ri);
	out->v[RK_TREATMENT] = dup0(a, db_col_text(st, 13));
	out->v[RK_REVIEW] = dup0(a, db_col_text(st, 14));
	out->v[RK_STATUS] = dup0(a, db_col_text(st, 15));
	out->accepted_by = dup0(a, db_col_text(st, 16));
	out->accepted_until = dup0(a, db_col_text(st, 17));
	out->accepted_at = db_col_i64(st, 18);
	out->created_at = db_col_i64(st, 19);
	out->updated_at = db_col_i64(st, 20);
	db_reset(st);
	return BW_OK;
}

/* ---- changes ---- */

struct change {
	const struct actor *by;
	int64_t org_id, id, target;
	const char *const *v;
	const char *kind, *until, *reason;
	int64_t *id_out;
	bool link;
};

static const char *who(const struct actor *a)
{
	return a->user_id ? a->email : "cli";
}

static enum bw_err audit_risk(struct db *db, const struct actor *by, int64_t org_id, int64_t risk_id,
			      const char *action, const char *summary, struct bw_error *err)
{
	char object[48];
	snprintf(object, sizeof object, "risk:%lld", (long long)risk_id);
	struct audit_rec r = { by->user_id, who(by), org_id, action, object, summary };
	return audit_append(db, &r, err);
}

static enum bw_err history(struct db *db, const struct actor *by, int64_t risk_id, int l, int i, int rl, int ri,
			   const char *note, struct bw_error *err)
{
	struct db_stmt *st = db_prep(db, "INSERT INTO risk_history (risk_id, at, actor, likelihood, impact,"
					 " residual_likelihood, residual_impact, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	db_bind_i64(st, 1, risk_id);
	db_bind_i64(st, 2, bw_now());
	db_bind_text(st, 3, by->user_id ? by->name : "Demo data");
	db_bind_i64(st, 4, l);
	db_bind_i64(st, 5, i);
	db_bind_i64(st, 6, rl);
	db_bind_i64(st, 7, ri);
	db_bind_text(st, 8, note);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "recording the risk's history");
	return BW_OK;
}

/* The org id and scores of a risk, read inside a transaction. */
static bool risk_row(struct db *db, int64_t id, int64_t *org, int sc[4], char *treatment, size_t tn, char *status,
		     size_t sn)
{
	struct db_stmt *st = db_prep(db, "SELECT org_id, likelihood, impact, residual_likelihood, residual_impact,"
					 " treatment, status FROM risks WHERE id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return false;
	*org = db_col_i64(st, 0);
	for (int k = 0; k < 4; k++)
		sc[k] = (int)db_col_i64(st, 1 + k);
	snprintf(treatment, tn, "%s", db_col_text(st, 5));
	snprintf(status, sn, "%s", db_col_text(st, 6));
	db_reset(st);
	return true;
}

static enum bw_err risk_save_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct change *c = arg;
	const char *const *v = c->v;
	char review[11] = "";
	sr_date_parse(v[RK_REVIEW], review);
	int sc[4] = { score_of(v[RK_L]), score_of(v[RK_I]), score_of(v[RK_RL]), score_of(v[RK_RI]) };
	int old[4] = { 0 };
	int64_t org = c->org_id;
	char old_treatment[32] = "", old_status[16] = "";
	if (c->id && !risk_row(db, c->id, &org, old, old_treatment, sizeof old_treatment, old_status, sizeof old_status))
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such risk");
	int64_t now = bw_now();
	struct db_stmt *st;
	if (!c->id)
		st = db_prep(db, "INSERT INTO risks (org_id, title, description, category, owner, likelihood, impact,"
				 " residual_likelihood, residual_impact, treatment, review_date, status, created_at, updated_at)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13) RETURNING id");
	else
		/* leaving "accept" ends the acceptance: who and until no longer hold */
		st = db_prep(db, "UPDATE risks SET title = ?2, description = ?3, category = ?4, owner = ?5, likelihood = ?6,"
				 " impact = ?7, residual_likelihood = ?8, residual_impact = ?9, treatment = ?10, review_date = ?11,"
				 " status = ?12, updated_at = ?13,"
				 " accepted_by = CASE WHEN ?10 = 'accept' THEN accepted_by ELSE NULL END,"
				 " accepted_by_id = CASE WHEN ?10 = 'accept' THEN accepted_by_id ELSE NULL END,"
				 " accepted_at = CASE WHEN ?10 = 'accept' THEN accepted_at ELSE NULL END,"
				 " accepted_until = CASE WHEN ?10 = 'accept' THEN accepted_until ELSE NULL END WHERE id = ?1");
	db_bind_i64(st, 1, c->id ? c->id : c->org_id);
	db_bind_text(st, 2, v[RK_TITLE]);
	db_bind_text(st, 3, v[RK_DESC] ? v[RK_DESC] : "");
	db_bind_text(st, 4, v[RK_CATEGORY]);
	db_bind_text(st, 5, v[RK_OWNER]);
	for (int k = 0; k < 4; k++)
		db_bind_i64(st, 6 + k, sc[k]);
	db_bind_text(st, 10, v[RK_TREATMENT]);
	db_bind_text(st, 11, review);
	db_bind_text(st, 12, v[RK_STATUS] && *v[RK_STATUS] ? v[RK_STATUS] : "open");
	db_bind_i64(st, 13, now);
	int64_t id = c->id;
	if (!c->id) {
		if (db_step(st) != DB_ROW)
			return db_fail(db, err, "adding the risk");
		id = db_col_i64(st, 0);
		db_reset(st);
	} else if (db_step(st) == DB_ERR) {
		return db_fail(db, err, "saving the risk");
	}
	bool rescored = memcmp(sc, old, sizeof sc) != 0;
	bool closed = c->id && strcmp(old_status, "closed") != 0 && v[RK_STATUS] && strcmp(v[RK_STATUS], "closed") == 0;
	if (!c->id || rescored || closed) {
		const char *note = !c->id ? "Raised" : closed && !rescored ? "Closed" : closed ? "Scores changed and closed"
											: "Scores changed";
		if (history(db, c->by, id, sc[0], sc[1], sc[2], sc[3], note, err) != BW_OK)
			return err->code;
	}
	char summary[LIM_NAME + 128];
	if (!c->id)
		snprintf(summary, sizeof summary, "Raised risk %s (score now %d)", v[RK_TITLE], sc[2] * sc[3]);
	else if (rescored)
		snprintf(summary, sizeof summary, "Changed risk %s: score before controls %d -> %d, now %d -> %d",
			 v[RK_TITLE], old[0] * old[1], sc[0] * sc[1], old[2] * old[3], sc[2] * sc[3]);
	else
		snprintf(summary, sizeof summary, "Changed risk %s", v[RK_TITLE]);
	if (c->id_out)
		*c->id_out = id;
	return audit_risk(db, c->by, org, id, c->id ? "risk.update" : "risk.create", summary, err);
}

enum bw_err sr_risk_save(struct db *db, const struct actor *by, int64_t org_id, int64_t id, const char *const *v,
			 int64_t *id_out, struct bw_error *err)
{
	struct change c = { .by = by, .org_id = org_id, .id = id, .v = v, .id_out = id_out };
	return db_tx(db, true, risk_save_tx, &c, err);
}

static enum bw_err accept_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct change *c = arg;
	int64_t org;
	int sc[4];
	char t[32], s[16];
	if (!risk_row(db, c->id, &org, sc, t, sizeof t, s, sizeof s))
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such risk");
	char until[11];
	if (!sr_date_parse(c->until, until))
		return bw_fail(err, BW_EINVAL, "accepted_until", "Accepted until must be a real date, like 31/3/2027");
	char by[LIM_NAME + LIM_EMAIL + 8];
	snprintf(by, sizeof by, "%s (%s)", c->by->name, c->by->email);
	struct db_stmt *st = db_prep(db, "UPDATE risks SET treatment = 'accept', accepted_by = ?2, accepted_by_id = ?3,"
					 " accepted_at = ?4, accepted_until = ?5, updated_at = ?4 WHERE id = ?1");
	db_bind_i64(st, 1, c->id);
	db_bind_text(st, 2, by);
	db_bind_i64(st, 3, c->by->user_id);
	db_bind_i64(st, 4, bw_now());
	db_bind_text(st, 5, until);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "accepting the risk");
	char shown[32], note[SR_TEXT_MAX + 64];
	sr_date_show(until, shown);
	snprintf(note, sizeof note, "Accepted until %s%s%s", shown, c->reason && *c->reason ? ": " : "",
		 c->reason ? c->reason : "");
	if (history(db, c->by, c->id, sc[0], sc[1], sc[2], sc[3], note, err) != BW_OK)
		return err->code;
	char summary[LIM_NAME + LIM_EMAIL + 64];
	snprintf(summary, sizeof summary, "Risk accepted by %s until %s", by, shown);
	return audit_risk(db, c->by, org, c->id, "risk.accept", summary, err);
}

enum bw_err sr_risk_accept(struct db *db, const struct actor *by, int64_t id, const char *until, const char *reason,
			   struct bw_error *err)
{
	if (!sr_may_accept(by->role))
		return bw_fail(err, BW_EFORBIDDEN, NULL, "Only an organisation lead, ICS lead or administrator can accept a risk");
	struct change c = { .by = by, .id = id, .until = until, .reason = reason };
	return db_tx(db, true, accept_tx, &c, err);
}

static enum bw_err delete_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct change *c = arg;
	struct db_stmt *st = db_prep(db, "SELECT org_id, title FROM risks WHERE id = ?1");
	db_bind_i64(st, 1, c->id);
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such risk");
	int64_t org = db_col_i64(st, 0);
	char summary[LIM_NAME + 32];
	snprintf(summary, sizeof summary, "Deleted risk %s", db_col_text(st, 1));
	db_reset(st);
	static const char *const sql[] = {
		"DELETE FROM risk_actions WHERE risk_id = ?1", "DELETE FROM risk_links WHERE risk_id = ?1",
		"DELETE FROM risk_history WHERE risk_id = ?1", "DELETE FROM risks WHERE id = ?1",
	};
	for (size_t k = 0; k < BW_NELEM(sql); k++) {
		st = db_prep(db, sql[k]);
		db_bind_i64(st, 1, c->id);
		if (db_step(st) == DB_ERR)
			return db_fail(db, err, "deleting the risk");
	}
	return audit_risk(db, c->by, org, c->id, "risk.delete", summary, err);
}

enum bw_err sr_risk_delete(struct db *db, const struct actor *by, int64_t id, struct bw_error *err)
{
	struct change c = { .by = by, .id = id };
	return db_tx(db, true, delete_tx, &c, err);
}

static int64_t risk_org(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prep(db, "SELECT org_id FROM risks WHERE id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_ROW)
		return 0;
	int64_t org = db_col_i64(st, 0);
	db_reset(st);
	return org;
}

static enum bw_err action_add_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct change *c = arg;
	int64_t org = risk_org(db, c->id);
	if (!org)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such risk");
	char due[11] = "";
	sr_date_parse(c->v[AC_DUE], due);
	struct db_stmt *st = db_prep(db, "INSERT INTO risk_actions (risk_id, title, owner, due_date, created_at)"
					 " VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id");
	db_bind_i64(st, 1, c->id);
	db_bind_text(st, 2, c->v[AC_TITLE]);
	db_bind_text(st, 3, c->v[AC_OWNER]);
	db_bind_text(st, 4, due);
	db_bind_i64(st, 5, bw_now());
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "adding the action");
	if (c->id_out)
		*c->id_out = db_col_i64(st, 0);
	db_reset(st);
	char summary[2 * LIM_NAME + 64];
	snprintf(summary, sizeof summary, "Added action %s for %s", c->v[AC_TITLE], c->v[AC_OWNER]);
	return audit_risk(db, c->by, org, c->id, "risk.action.create", summary, err);
}

enum bw_err sr_action_add(struct db *db, const struct actor *by, int64_t risk_id, const char *const *v,
			  int64_t *id_out, struct bw_error *err)
{
	struct change c = { .by = by, .id = risk_id, .v = v, .id_out = id_out };
	return db_tx(db, true, action_add_tx, &c, err);
}

static enum bw_err action_done_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct change *c = arg;
	int64_t org = risk_org(db, c->id);
	char today[11];
	sr_today(today);
	struct db_stmt *st = db_prep(db, "UPDATE risk_actions SET done_on = ?3 WHERE id = ?1 AND risk_id = ?2"
					 " AND done_on IS NULL");
	db_bind_i64(st, 1, c->target);
	db_bind_i64(st, 2, c->id);
	db_bind_text(st, 3, today);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "completing the action");
	if (!org || db_changes(db) == 0)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such open action on this risk");
	char summary[64];
	snprintf(summary, sizeof summary, "Action %lld marked done", (long long)c->target);
	return audit_risk(db, c->by, org, c->id, "risk.action.done", summary, err);
}

enum bw_err sr_action_done(struct db *db, const struct actor *by, int64_t risk_id, int64_t action_id,
			   struct bw_error *err)
{
	struct change c = { .by = by, .id = risk_id, .target = action_id };
	return db_tx(db, true, action_done_tx, &c, err);
}

static enum bw_err link_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct change *c = arg;
	int64_t org = risk_org(db, c->id);
	if (!org)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such risk");
	struct db_stmt *st = db_prep(db, c->link ? "INSERT INTO risk_links (risk_id, kind, target_id) VALUES (?1, ?2, ?3)"
						   " ON CONFLICT (risk_id, kind, target_id) DO NOTHING"
						 : "DELETE FROM risk_links WHERE risk_id = ?1 AND kind = ?2 AND target_id = ?3");
	db_bind_i64(st, 1, c->id);
	db_bind_text(st, 2, c->kind);
	db_bind_i64(st, 3, c->target);
	if (db_step(st) == DB_ERR)
		return db_fail(db, err, "linking the risk");
	if (db_changes(db) == 0)
		return BW_OK;
	char summary[96];
	snprintf(summary, sizeof summary, "%s %s %lld", c->link ? "Linked" : "Unlinked", c->kind, (long long)c->target);
	return audit_risk(db, c->by, org, c->id, c->link ? "risk.link" : "risk.unlink", summary, err);
}

enum bw_err sr_risk_link(struct db *db, const struct actor *by, int64_t risk_id, const char *kind, int64_t target,
			 bool link, struct bw_error *err)
{
	if (strcmp(kind, "system") != 0 && strcmp(kind, "supplier") != 0)
		return bw_fail(err, BW_EINVAL, "link", "Select a system or supplier from the list");
	struct change c = { .by = by, .id = risk_id, .kind = kind, .target = target, .link = link };
	return db_tx(db, true, link_tx, &c, err);
}

/* ---- path parameters ---- */

static enum bw_err risk_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT r.org_id, o.path FROM risks r JOIN orgs o ON o.id = r.org_id WHERE r.id = ?1", v, out);
}

static enum bw_err action_owner(struct db *db, const char *v, struct org_ref *out)
{
	return route_owner_by_id(db, "SELECT r.org_id, o.path FROM risk_actions a JOIN risks r ON r.id = a.risk_id"
			    " JOIN orgs o ON o.id = r.org_id WHERE a.id = ?1", v, out);
}

#define FIRST_RISK "SELECT r.id FROM risks r JOIN orgs o ON o.id = r.org_id" \
	" WHERE o.path >= ?1 AND o.path < ?2 ORDER BY r.id LIMIT 1"

static bool risk_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT CAST(id AS TEXT) FROM (" FIRST_RISK ") x", path, out, n);
}

/* An action of the example risk first, so /risks/{risk}/actions/{action}
 * names a matching pair. */
static bool action_example(struct db *db, const char *path, char *out, size_t n)
{
	return route_example_in(db, "SELECT CAST(a.id AS TEXT) FROM risk_actions a JOIN risks r ON r.id = a.risk_id"
			   " JOIN orgs o ON o.id = r.org_id WHERE o.path >= ?1 AND o.path < ?2"
			   " ORDER BY CASE WHEN r.id = (" FIRST_RISK ") THEN 0 ELSE 1 END, a.id LIMIT 1",
		       path, out, n);
}

const struct route_param risks_params[] = {
	{ "risk", risk_owner, risk_example },
	{ "action", action_owner, action_example },
	{ NULL, NULL, NULL },
};

/* ---- demo ---- */

/* Risks a provider of each kind would really hold. Types: which kinds of
 * organisation get it; mod/rem: only those whose id % mod == rem. */
static const struct seed_risk {
	const char *types[3];
	int mod, rem;
	const char *title, *description, *category, *owner;
	int l, i, rl, ri;
	const char *treatment;
	const char *action, *action_owner;
} templates[] = {
	{ { "nhs_trust" }, 1, 0, "Windows Server 2012 R2 still runs the pathology interface",
	  "The interface engine between the laboratory system and the patient record runs on a server that no longer "
	  "gets security updates. A ransomware attack on it would stop test results reaching clinicians.",
	  "legacy_system", "Chief Information Officer", 4, 5, 3, 4, "mitigate",
	  "Move the interface engine to a supported server", "Infrastructure manager" },
	{ { "nhs_trust", "gp_practice" }, 2, 0, "Telephony supplier has no Cyber Essentials certificate",
	  "Our cloud telephony supplier has not shown a Cyber Essentials certificate or a DSPT assessment. A breach "
	  "there could take our phone lines down or expose call recordings.",
	  "supplier", "Head of IT", 3, 4, 3, 3, "mitigate",
	  "Ask the supplier for its certificate and add security clauses at renewal", "Contracts manager" },
	{ { "nhs_trust", "gp_practice", "pharmacy" }, 1, 0, "Staff phishing training completion below 80%",
	  "Fewer than 8 in 10 staff have completed this year's data security awareness training, so a convincing "
	  "phishing email is more likely to succeed.",
	  "people", "Information Governance lead", 4, 3, 3, 3, "mitigate",
	  "Chase staff who have not completed the training", "Line managers" },
	{ { "care_provider", "dental_practice" }, 1, 0, "Staff phishing training not yet completed by all staff",
	  "Not everyone has done the data security awareness training, and staff share one email account.",
	  "people", "Registered manager", 3, 3, 2, 3, "mitigate",
	  "Book the data security awareness session for every member of staff", "Registered manager" },
	{ { "nhs_trust", "gp_practice" }, 1, 0, "Patient record backups have not been restored in a test this year",
	  "We keep backups, but no one has proved we can restore them in time. After an attack we might find they "
	  "do not work.",
	  "continuity", "Head of IT", 3, 5, 3, 4, "mitigate",
	  "Run a restore test from the off-line copy and time it", "Infrastructure manager" },
	{ { "gp_practice", "pharmacy", "dental_practice" }, 1, 0, "Reception PCs still run Windows 10 after support ended",
	  "Windows 10 stopped receiving free security updates in October 2025. Two reception PCs have not been replaced.",
	  "legacy_system", "Practice manager", 3, 4, 3, 3, "mitigate",
	  "Replace or upgrade the remaining Windows 10 PCs", "Practice manager" },
	{ { "care_provider" }, 1, 0, "Care planning app supplier has not met the DSPT",
	  "The supplier of our digital care records published Standards not met. Residents' records are held in its "
	  "cloud service.",
	  "supplier", "Registered manager", 3, 4, 3, 4, "mitigate",
	  "Ask the supplier for its improvement plan and a date to meet the standard", "Registered manager" },
	{ { "pharmacy", "care_provider", "dental_practice" }, 1, 0, "No tested plan for working without the computer system",
	  "If the system is down we would fall back on paper, but the forms are out of date and staff have not "
	  "practised it.",
	  "continuity", "Manager", 3, 4, 3, 3, "mitigate",
	  "Print the downtime forms and practise a morning on paper", "Manager" },
	{ { "nhs_trust" }, 1, 0, "Ransomware attack stops clinical systems",
	  "An attack that encrypts the patient record and imaging systems would force paper working across the "
	  "hospital for days or weeks.",
	  "cyber_attack", "Senior Information Risk Owner", 4, 5, 3, 5, "mitigate",
	  "Practise the downtime procedure with each ward", "Emergency planning lead" },
	{ { "nhs_trust" }, 2, 1, "Partner organisations connect to our network without two-factor sign-in",
	  "Staff from the community trust and local authority use remote access with a password only.",
	  "third_party", "Head of IT", 3, 4, 2, 4, "mitigate",
	  "Require two-factor sign-in for all partner remote access", "Network manager" },
	{ { "ics" }, 1, 0, "Member contracts lack incident notification clauses",
	  "Several contracts across the system do not oblige suppliers to tell us about a security incident within a "
	  "set time.",
	  "supplier", "ICS cyber lead", 4, 4, 3, 4, "mitigate",
	  "Add a model incident notification clause to the procurement templates", "ICS procurement lead" },
	{ { "ics" }, 1, 0, "Ransomware spreading between member organisations over shared networks",
	  "Members share network links and some shared services; an infection at one could reach others.",
	  "cyber_attack", "ICS cyber lead", 3, 5, 3, 4, "mitigate",
	  "Agree network separation rules for shared links", "ICS digital infrastructure lead" },
	{ { "ics" }, 1, 0, "Shared care record outage",
	  "If the shared care record is unavailable, urgent care loses sight of patients' medicines and plans.",
	  "continuity", "ICS chief digital officer", 2, 4, 2, 3, "transfer",
	  "Check the supplier's recovery time against the contract", "ICS procurement lead" },
};

struct seed {
	char today[11];
};

static enum bw_err seed_step(struct db *db, struct db_stmt *st, struct bw_error *err, const char *what)
{
	return db_step(st) == DB_ERR ? db_fail(db, err, what) : BW_OK;
}

static enum bw_err seed_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct seed *s = arg;
	int64_t now = bw_now();
	char past[11], future[11], due_past[11], due_future[11], accepted[11];
	sr_date_add(s->today, -21, past);
	sr_date_add(s->today, 120, future);
	sr_date_add(s->today, -10, due_past);
	sr_date_add(s->today, 75, due_future);
	sr_date_add(s->today, 300, accepted);
	for (size_t k = 0; k < BW_NELEM(templates); k++) {
		const struct seed_risk *t = &templates[k];
		int64_t last = db_query_i64(db, "SELECT coalesce(max(id), 0) FROM risks", 0);
		/* a third of reviews are overdue */
		struct db_stmt *st = db_prep(db, "INSERT INTO risks (org_id, title, description, category, owner, likelihood,"
						 " impact, residual_likelihood, residual_impact, treatment, review_date, status,"
						 " created_at, updated_at)"
						 " SELECT id, ?1, ?2, ?3, ?4, CAST(?5 AS BIGINT), CAST(?6 AS BIGINT), CAST(?7 AS BIGINT),"
						 " CAST(?8 AS BIGINT), ?9, CASE WHEN (id + ?15) % 3 = 0 THEN ?10 ELSE ?11 END, 'open',"
						 " CAST(?12 AS BIGINT), CAST(?12 AS BIGINT)"
						 " FROM orgs WHERE type IN (?13, ?14, ?16) AND id % ?17 = ?18 ORDER BY id");
		db_bind_text(st, 1, t->title);
		db_bind_text(st, 2, t->description);
		db_bind_text(st, 3, t->category);
		db_bind_text(st, 4, t->owner);
		db_bind_i64(st, 5, t->l);
		db_bind_i64(st, 6, t->i);
		db_bind_i64(st, 7, t->rl);
		db_bind_i64(st, 8, t->ri);
		db_bind_text(st, 9, t->treatment);
		db_bind_text(st, 10, past);
		db_bind_text(st, 11, future);
		db_bind_i64(st, 12, now);
		db_bind_text(st, 13, t->types[0]);
		db_bind_text(st, 14, t->types[1] ? t->types[1] : "");
		db_bind_i64(st, 15, (int64_t)k);
		db_bind_text(st, 16, t->types[2] ? t->types[2] : "");
		db_bind_i64(st, 17, t->mod);
		db_bind_i64(st, 18, t->rem);
		if (seed_step(db, st, err, "seeding risks") != BW_OK)
			return err->code;
		/* one action per risk; a quarter of them overdue */
		st = db_prep(db, "INSERT INTO risk_actions (risk_id, title, owner, due_date, created_at)"
				 " SELECT id, ?1, ?2, CASE WHEN id % 4 = 0 THEN ?3 ELSE ?4 END, CAST(?5 AS BIGINT)"
				 " FROM risks WHERE id > ?6");
		db_bind_text(st, 1, t->action);
		db_bind_text(st, 2, t->action_owner);
		db_bind_text(st, 3, due_past);
		db_bind_text(st, 4, due_future);
		db_bind_i64(st, 5, now);
		db_bind_i64(st, 6, last);
		if (seed_step(db, st, err, "seeding risk actions") != BW_OK)
			return err->code;
	}
	/* some legacy risks are accepted by the organisation's lead until a replacement lands */
	struct db_stmt *st = db_prep(db, "UPDATE risks SET treatment = 'accept', accepted_by = 'Senior Information Risk Owner (demo)',"
					 " accepted_at = ?1, accepted_until = ?2 WHERE category = 'legacy_system' AND org_id % 3 = 0");
	db_bind_i64(st, 1, now);
	db_bind_text(st, 2, accepted);
	if (seed_step(db, st, err, "seeding accepted risks") != BW_OK)
		return err->code;
	st = db_prep(db, "INSERT INTO risk_history (risk_id, at, actor, likelihood, impact, residual_likelihood,"
			 " residual_impact, note) SELECT id, created_at, 'Demo data', likelihood, impact, residual_likelihood,"
			 " residual_impact, 'Raised' FROM risks");
	if (seed_step(db, st, err, "seeding risk history") != BW_OK)
		return err->code;
	/* supplier risks point at a linked supplier with an assurance gap */
	st = db_prep(db, "INSERT INTO risk_links (risk_id, kind, target_id)"
			 " SELECT r.id, 'supplier', (SELECT min(l.supplier_id) FROM supplier_links l JOIN suppliers s"
			 " ON s.id = l.supplier_id WHERE l.org_id = r.org_id AND (s.ce_level = 'none'"
			 " OR s.dspt_status = 'standards_not_met')) FROM risks r WHERE r.category = 'supplier'"
			 " AND EXISTS (SELECT 1 FROM supplier_links l JOIN suppliers s ON s.id = l.supplier_id"
			 " WHERE l.org_id = r.org_id AND (s.ce_level = 'none' OR s.dspt_status = 'standards_not_met'))");
	if (seed_step(db, st, err, "seeding risk links") != BW_OK)
		return err->code;
	char summary[128];
	snprintf(summary, sizeof summary, "Seeded the demo risk register: %lld risks, %lld actions",
		 (long long)db_query_i64(db, "SELECT count(*) FROM risks", 0),
		 (long long)db_query_i64(db, "SELECT count(*) FROM risk_actions", 0));
	int64_t nat = db_query_i64(db, "SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1", 0);
	struct audit_rec r = { 0, "cli", nat, "demo.seed.risks", "risks", summary };
	return audit_append(db, &r, err);
}

/* Links legacy-system risks to an unsupported (or else tier-1) system of the
 * same organisation, once the systems register has been seeded. */
static enum bw_err seed_system_links_tx(struct db *db, void *arg, struct bw_error *err)
{
	(void)arg;
	struct db_stmt *st = db_prep(db, "INSERT INTO risk_links (risk_id, kind, target_id)"
					 " SELECT r.id, 'system', (SELECT y.id FROM systems y WHERE y.org_id = r.org_id"
					 " ORDER BY CASE WHEN y.status = 'unsupported' THEN 0 ELSE 1 END, y.tier, y.id LIMIT 1)"
					 " FROM risks r WHERE r.category IN ('legacy_system', 'continuity')"
					 " AND EXISTS (SELECT 1 FROM systems y WHERE y.org_id = r.org_id)");
	return seed_step(db, st, err, "linking risks to systems");
}

enum bw_err risks_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err)
{
	(void)national, (void)data_dir;
	struct seed s;
	sr_today(s.today);
	if (db_tx(db, true, seed_tx, &s, err) != BW_OK)
		return err->code;
	/* the systems register is another area's: link only if it is there */
	if (db_query_i64(db, "SELECT count(*) FROM systems WHERE tier = 1 AND status = 'unsupported'", -1) < 0)
		return BW_OK;
	return db_tx(db, true, seed_system_links_tx, NULL, err);
}

/* ---- for other modules (registers.h) ---- */

bool registers_may_accept_risk(enum role r)
{
	return sr_may_accept(r);
}

enum bw_err registers_risk_accepted(struct db *db, const struct actor *by, int64_t org_id, const char *title,
				    const char *description, const char *owner, const char *until,
				    const char *reason, int64_t *risk_id, struct bw_error *err)
{
	char today[11], review[11];
	sr_today(today);
	sr_date_add(today, 182, review);
	const char *v[RK_NFIELDS] = {
		[RK_TITLE] = title, [RK_DESC] = description, [RK_CATEGORY] = "cyber_attack", [RK_OWNER] = owner,
		[RK_L] = "3", [RK_I] = "4", [RK_RL] = "3", [RK_RI] = "3", [RK_TREATMENT] = "mitigate",
		[RK_REVIEW] = review, [RK_STATUS] = "open",
	};
	if (sr_risk_save(db, by, org_id, 0, v, risk_id, err) != BW_OK)
		return err->code;
	return sr_risk_accept(db, by, *risk_id, until && *until ? until : review, reason, err);
}

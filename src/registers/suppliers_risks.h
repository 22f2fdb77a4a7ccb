/*
 * suppliers_risks: what the suppliers and risk registers share inside the
 * registers module — calendar dates, the supplier assurance and risk rating
 * logic (pure, unit-tested), the risk scales and heat map, and the access
 * rule for supplier records shared beyond a subtree. Not part of the
 * module's public face (registers.h).
 *
 * Dates in both registers are calendar days stored as 'YYYY-MM-DD' text
 * (their order is their text order on both backends); times of changes are
 * unix seconds. "Today" is the Europe/London date of bw_now().
 */
#ifndef BW_SUPPLIERS_RISKS_H
#define BW_SUPPLIERS_RISKS_H

#include "registers/registers.h"

/* ---- limits of this area's inputs ---- */
#define SR_TEXT_MAX        4000   /* descriptions, services, downtime notes */
#define SR_SHORT_MAX       120    /* certificate numbers, references, roles */
#define SR_PHONE_MAX       32
#define SR_NOTIFY_HOURS_MAX 720   /* incident notification time limit: 30 days */
#define SR_ACCEPT_MAX_DAYS (3 * 366) /* a risk is accepted for at most 3 years */
#define SR_PAGE_SIZE       50
#define SR_SOON_DAYS       60     /* "expires soon" for certificates and contracts */

/* ---- calendar dates ('YYYY-MM-DD') ---- */
/* Accepts 2026-03-02, 2/3/2026, 2 3 2026, 2 Mar 2026 and 2 March 2026; a real
 * date between 1990 and 2100. Writes the canonical form into out. */
bool sr_date_parse(const char *s, char out[11]);
/* "2 Mar 2026"; a bad date is copied as it is. */
void sr_date_show(const char *iso, char out[32]);
/* Today in Europe/London, and that day plus n days (n may be negative). */
void sr_today(char out[11]);
void sr_date_add(const char *iso, int days, char out[11]);
/* web_check_fn: the field holds a date sr_date_parse accepts. */
enum bw_err sr_check_date(const struct web_field *f, const char *value, struct bw_error *err);

/* ---- suppliers ---- */
/* UK Companies House numbers: 8 characters, all digits or a 2-letter prefix
 * (SC, NI, OC, ...) and 6 digits. Lower case is accepted and upper-cased. */
bool sr_company_number_ok(const char *s, char out[9]);
enum bw_err sr_check_company_number(const struct web_field *f, const char *value, struct bw_error *err);

enum sr_ce { SR_CE_NONE, SR_CE_BASIC, SR_CE_PLUS };
enum sr_dspt { SR_DSPT_NONE, SR_DSPT_EXCEEDED, SR_DSPT_MET, SR_DSPT_APPROACHING, SR_DSPT_NOT_MET,
	       SR_DSPT_NOT_PUBLISHED };
const char *sr_ce_name(enum sr_ce c);       /* "none", "ce", "ce_plus" */
const char *sr_ce_label(enum sr_ce c);      /* "Cyber Essentials Plus" */
enum sr_ce sr_ce_parse(const char *s);
const char *sr_dspt_name(enum sr_dspt d);   /* "standards_met" */
const char *sr_dspt_label(enum sr_dspt d);  /* "Standards met" */
enum sr_dspt sr_dspt_parse(const char *s);
/* "2025-26": two consecutive years. */
bool sr_dspt_year_ok(const char *s);
enum bw_err sr_check_dspt_year(const struct web_field *f, const char *value, struct bw_error *err);
/* The DSPT year whose deadline (30 June) has most recently passed on today. */
void sr_dspt_current_year(const char *today, char out[8]);

struct sr_assurance {
	enum sr_ce ce;
	const char *ce_expiry;      /* 'YYYY-MM-DD' or NULL/"" */
	const char *iso_scope;      /* NULL/"": no ISO 27001 certificate recorded */
	const char *iso_expiry;
	enum sr_dspt dspt;
	const char *dspt_year;
};

/* One finding about a supplier's assurances, in plain words. */
struct sr_flag {
	bool gap;                   /* true: a gap (missing, expired, not met); false: a warning */
	char text[160];             /* "its Cyber Essentials certificate expired on 2 Mar 2026" */
	char tag[40];               /* "Expired", "Missing", "Expires soon" */
	int which;                  /* 0 Cyber Essentials, 1 ISO 27001, 2 DSPT */
};
/* Fills up to max flags; returns how many. */
size_t sr_assurance_flags(const struct sr_assurance *a, const char *today, struct sr_flag *out, size_t max);

enum sr_level { SR_LOW, SR_MEDIUM, SR_HIGH };
const char *sr_level_label(enum sr_level l);   /* "Low", "Medium", "High" */
struct sr_rating {
	enum sr_level level;
	char text[600];   /* "High: it supplies 3 tier-1 systems and its Cyber Essentials ..." */
};
/* tiers[i]: how many systems of tier i+1 (1 = most critical) it supplies. */
void sr_supplier_rate(const struct sr_assurance *a, const int64_t tiers[4], const char *today,
		      struct sr_rating *out);

/* The supplier access rule, shared with the systems and risks registers.
 * An actor may VIEW a supplier record when
 *   1. its owner is in the actor's subtree (the ordinary rule), or
 *   2. an organisation in the actor's subtree links it (supplier_links: the
 *      record's explicit audience), or
 *   3. the owner marked it shared with the organisations below it and the
 *      owner is the actor's organisation or one of its ancestors (a national
 *      or ICS record offered to members, so they can find it and link it);
 * and may EDIT it only by rule 1 (with an editing role): linking organisations
 * reuse the assessment, they do not change it. Out of reach answers 404.
 * Returns BW_OK and the owner in *owner, BW_ENOTFOUND otherwise. */
enum bw_err sr_supplier_access(struct db *db, const struct actor *a, enum action act, int64_t supplier_id,
			       struct org_ref *owner);
/* The supplier's name, or false when there is no such supplier. */
bool sr_supplier_name(struct db *db, int64_t id, char *out, size_t n);

/* ---- supplier records (suppliers.c) ---- */
enum { SUP_NAME, SUP_COMPANY, SUP_SERVICES, SUP_SHARED, SUP_CE, SUP_CE_CERT, SUP_CE_EXPIRY, SUP_ISO_SCOPE,
       SUP_ISO_EXPIRY, SUP_DSPT, SUP_DSPT_YEAR, SUP_NFIELDS };
enum { CON_ORG, CON_REF, CON_START, CON_END, CON_SECURITY, CON_DUTY, CON_HOURS, CON_NFIELDS };
enum { CT_NAME, CT_ROLE, CT_EMAIL, CT_PHONE, CT_NFIELDS };
extern const struct web_field sr_supplier_fields[SUP_NFIELDS];
extern const struct web_field sr_contract_fields[CON_NFIELDS];
extern const struct web_field sr_contact_fields[CT_NFIELDS];

/* A supplier as stored: v[] holds its fields as form values (dates
 * 'YYYY-MM-DD', the shared checkbox "1" or ""), in the arena given. */
struct sr_supplier {
	int64_t id, org_id;
	const char *owner_path, *owner_code, *owner_name;
	const char *v[SUP_NFIELDS];
	bool synthetic;
	int64_t updated_at;
};
enum bw_err sr_supplier_get(struct db *db, struct arena *a, int64_t id, struct sr_supplier *out);
void sr_supplier_assurance(const struct sr_supplier *s, struct sr_assurance *out);
/* How many systems of each tier in [lo, hi) name this supplier (0 each
 * while the systems register is not there). */
void sr_supplier_tiers(struct db *db, int64_t supplier_id, const char *lo, const char *hi, int64_t tiers[4]);

/* Field checks and the checks between fields; errors name the field. */
enum bw_err sr_supplier_validate(const char **v, struct web_form_errors *errs);
enum bw_err sr_contract_validate(const char **v, struct web_form_errors *errs);
enum bw_err sr_contact_validate(const char **v, struct web_form_errors *errs);

/* Changes, each audited in its own transaction. id 0 creates. */
enum bw_err sr_supplier_save(struct db *db, const struct actor *by, int64_t org_id, int64_t id,
			     const char *const *v, int64_t *id_out, struct bw_error *err);
enum bw_err sr_supplier_link(struct db *db, const struct actor *by, int64_t org_id, int64_t supplier_id,
			     bool link, struct bw_error *err);
/* A contract belongs to org_id; saving one also links org_id to the supplier. */
enum bw_err sr_contract_save(struct db *db, const struct actor *by, int64_t supplier_id, int64_t org_id,
			     int64_t id, const char *const *v, int64_t *id_out, struct bw_error *err);
enum bw_err sr_contract_delete(struct db *db, const struct actor *by, int64_t id, struct bw_error *err);
enum bw_err sr_contact_add(struct db *db, const struct actor *by, int64_t supplier_id, const char *const *v,
			   int64_t *id_out, struct bw_error *err);
enum bw_err sr_contact_delete(struct db *db, const struct actor *by, int64_t supplier_id, int64_t id,
			      struct bw_error *err);
/* Whether org (path) may link the supplier: it can see the record by rule 1
 * or 3 above, from the organisation's own position. */
bool sr_supplier_linkable(struct db *db, int64_t supplier_id, const char *org_path);

/* ---- risks ---- */
const char *sr_likelihood_label(int v);   /* 1 "Rare" .. 5 "Almost certain" */
const char *sr_impact_label(int v);       /* 1 "Negligible" .. 5 "Catastrophic" */
/* Score band of likelihood x impact: 1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme. */
enum sr_band { SR_BAND_LOW, SR_BAND_MODERATE, SR_BAND_HIGH, SR_BAND_EXTREME };
enum sr_band sr_band_of(int score);
const char *sr_band_label(enum sr_band b);  /* "Low", "Moderate", "High", "Extreme" */
enum web_tag_colour sr_band_tag(enum sr_band b);

/* The heat map: counts[l-1][i-1] risks at likelihood l and impact i.
 * Inline SVG (role="img", a title and a description) followed by nothing
 * else; callers put the table alternative beside it (sr_heatmap_table). */
void sr_heatmap_svg(struct buf *b, const char *id, const char *title, const int64_t counts[5][5]);
void sr_heatmap_table(struct buf *b, const char *caption, const int64_t inherent[5][5],
		      const int64_t residual[5][5]);

/* ---- risk records (risks.c) ---- */
enum { RK_TITLE, RK_DESC, RK_CATEGORY, RK_OWNER, RK_L, RK_I, RK_RL, RK_RI, RK_TREATMENT, RK_REVIEW, RK_STATUS,
       RK_NFIELDS };
enum { AC_TITLE, AC_OWNER, AC_DUE, AC_NFIELDS };
extern const struct web_field sr_risk_fields[RK_NFIELDS];
extern const struct web_field sr_action_fields[AC_NFIELDS];
extern const struct web_field sr_accept_fields[2];   /* until, reason */
const char *sr_category_label(const char *name);
const char *sr_treatment_label(const char *name);
/* Whether this role may accept a risk on the organisation's behalf. */
bool sr_may_accept(enum role r);

struct sr_risk {
	int64_t id, org_id;
	const char *org_code, *org_name, *org_path;
	const char *v[RK_NFIELDS];
	int l, i, rl, ri;
	const char *accepted_by, *accepted_until;   /* "" when not accepted */
	int64_t accepted_at, created_at, updated_at;
};
enum bw_err sr_risk_get(struct db *db, struct arena *a, int64_t id, struct sr_risk *out);
/* Field checks and between fields: the score now cannot exceed the score
 * before controls; "accept" only through sr_risk_accept (was_accepted: the
 * risk is accepted already, so keeping that treatment is fine). */
enum bw_err sr_risk_validate(const char **v, bool was_accepted, struct web_form_errors *errs);
enum bw_err sr_accept_validate(const char **v, const char *today, struct web_form_errors *errs);
enum bw_err sr_action_validate(const char **v, struct web_form_errors *errs);
/* Each audited in its own transaction; score changes kept in risk_history. */
enum bw_err sr_risk_save(struct db *db, const struct actor *by, int64_t org_id, int64_t id, const char *const *v,
			 int64_t *id_out, struct bw_error *err);
enum bw_err sr_risk_accept(struct db *db, const struct actor *by, int64_t id, const char *until, const char *reason,
			   struct bw_error *err);
enum bw_err sr_risk_delete(struct db *db, const struct actor *by, int64_t id, struct bw_error *err);
enum bw_err sr_action_add(struct db *db, const struct actor *by, int64_t risk_id, const char *const *v,
			  int64_t *id_out, struct bw_error *err);
enum bw_err sr_action_done(struct db *db, const struct actor *by, int64_t risk_id, int64_t action_id,
			   struct bw_error *err);
/* kind "system" or "supplier"; link false removes it. */
enum bw_err sr_risk_link(struct db *db, const struct actor *by, int64_t risk_id, const char *kind, int64_t target,
			 bool link, struct bw_error *err);

/* ---- JSON bodies into form values (the API runs the page's validators) ---- */
/* For each field, the member of that name: a string as it is, a number as
 * its decimal text, true as "1" and false as "" (checkboxes); absent or null
 * gives the value already in values[i] (for PUT: the stored one). Any other
 * type fails naming the field. */
enum bw_err sr_json_values(json_t *obj, const struct web_field *fields, size_t n, struct arena *a,
			   const char **values, struct bw_error *err);

/* Seeds are deterministic: the demo's dates are relative to today so that
 * "expired" and "overdue" stay true whenever the demo is made. */

#endif

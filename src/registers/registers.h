/*
 * registers: each organisation's registers — critical systems with their
 * backups, restore tests and dependencies; software components (typed,
 * CSV or SBOM); suppliers with contracts and assurances; risks. Gaps are
 * computed, never typed, and roll up from organisation to ICS to nation.
 * Depends on base, db, web, orgs, auth, audit, app and the match engine
 * (CPE and purl parsing).
 *
 * Each area (suppliers, systems, components, risks) owns its tables (its
 * migration set), its route table and its pages; registers.c registers them.
 */
#ifndef BW_REGISTERS_H
#define BW_REGISTERS_H

#include "app/app.h"

/* ---- the module as main sees it ---- */
/* Adds the routes, path parameters and navigation of every area. */
void registers_register(void);

/* A risk accepted on the organisation's behalf (an alert closed as "risk
 * accepted"), inside the caller's transaction: opened with a middling
 * score, then accepted by `by` until `until` (a date, YYYY-MM-DD; "" or
 * NULL: the six-month review date), audited like one typed in. */
enum bw_err registers_risk_accepted(struct db *db, const struct actor *by, int64_t org_id, const char *title,
				    const char *description, const char *owner, const char *until,
				    const char *reason, int64_t *risk_id, struct bw_error *err);
/* May a user of role r accept a risk on the organisation's behalf? */
bool registers_may_accept_risk(enum role r);
/* Seeds registers for the demo estate already in the database (deterministic). */
enum bw_err registers_demo_seed(struct db *db, bool national, const char *data_dir,
				struct bw_error *err);

/* ---- per area (each in its own files) ----
 * Migration sets, applied in this order (cli_migrations lists them). */
extern const struct db_migration suppliers_migrations[];
extern const struct db_migration systems_migrations[];
extern const struct db_migration components_migrations[];
extern const struct db_migration risks_migrations[];

extern const struct route suppliers_routes[];
extern const struct route systems_routes[];
extern const struct route components_routes[];
extern const struct route risks_routes[];
extern const struct home_card registers_home_card;   /* gaps.c */
extern const struct route registers_routes[];     /* hub and gap roll-ups (gaps.c) */

extern const struct route_param suppliers_params[];
extern const struct route_param systems_params[];
extern const struct route_param components_params[];
extern const struct route_param risks_params[];

enum bw_err suppliers_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err);
enum bw_err systems_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err);
enum bw_err components_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err);
enum bw_err risks_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err);

#endif

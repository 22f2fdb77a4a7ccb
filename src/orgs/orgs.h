/*
 * orgs: the organisation hierarchy (materialised paths), users and their
 * roles, and the one access function every request goes through. Depends on
 * base, db and audit.
 *
 * A user sees their own organisation and its descendants, never a sibling's
 * or a parent's other children: "org and descendants" is the range
 * path >= P AND path < P' (see orgs_subtree_bounds), served from an index.
 */
#ifndef BW_ORGS_H
#define BW_ORGS_H

#include "audit/audit.h"
#include "db/db.h"

extern const struct db_migration orgs_migrations[];

enum role {
	ROLE_NONE = 0,
	ROLE_ADMIN = 1 << 0,
	ROLE_ANALYST = 1 << 1,
	ROLE_ICS_LEAD = 1 << 2,
	ROLE_ORG_LEAD = 1 << 3,
	ROLE_CONTRIBUTOR = 1 << 4,
	ROLE_BOARD = 1 << 5,
	ROLE_STAFF = 1 << 6,
	ROLE_AUDITOR = 1 << 7,
};
#define ROLES_ALL 0xFFu
#define ROLE_COUNT 8

enum action {
	ACT_VIEW,          /* read the organisation's data */
	ACT_EDIT,          /* change its registers */
	ACT_MANAGE_USERS,  /* add, change, disable its users */
	ACT_MANAGE_ORGS,   /* add and move organisations */
	ACT_AUDIT,         /* read its audit trail */
	ACT_COUNT
};

const char *role_name(enum role r);             /* "org_lead" */
const char *role_label(enum role r);            /* "Organisation lead" */
enum role role_parse(const char *s);            /* ROLE_NONE if unknown */
bool role_requires_mfa(enum role r);            /* admin, analyst */

enum org_type {
	ORG_NATIONAL, ORG_REGION, ORG_ICS, ORG_NHS_TRUST, ORG_GP_PRACTICE, ORG_CARE_PROVIDER,
	ORG_PHARMACY, ORG_DENTAL_PRACTICE, ORG_SUPPLIER, ORG_OTHER, ORG_TYPE_COUNT
};
const char *org_type_name(enum org_type t);     /* "gp_practice" */
const char *org_type_label(enum org_type t);    /* "GP practice" */
bool org_type_parse(const char *s, enum org_type *out);

/* Who is asking: resolved once per request from a session or API token. */
struct actor {
	int64_t user_id;
	int64_t org_id;
	enum role role;
	char email[LIM_EMAIL + 1];
	char name[LIM_NAME + 1];
	char org_code[LIM_ORG_CODE + 1];
	char org_name[LIM_NAME + 1];
	char org_path[256];
};

/* What is being acted on: its owning organisation's path. */
struct org_ref {
	int64_t id;
	char path[256];
};

/* The one access decision: the role x action matrix, and the target inside
 * the actor's subtree. */
bool orgs_can(const struct actor *a, enum action act, const struct org_ref *target);
bool orgs_role_allows(enum role r, enum action act);
/* Whether a may give role r to someone (or change the account of someone
 * who has it): only administrators grant the national roles, and only ICS
 * leads (or administrators) grant ICS lead. */
bool orgs_may_grant(const struct actor *a, enum role r);

/* Bounds of the subtree at path P for "path >= lo AND path < hi". */
void orgs_subtree_bounds(const char *path, char lo[256], char hi[256]);

struct org {
	int64_t id, parent_id;
	char code[LIM_ORG_CODE + 1];
	char name[LIM_NAME + 1];
	enum org_type type;
	char path[256];
	bool synthetic;
	char postcode[16];
};

enum bw_err orgs_get_by_code(struct db *db, const char *code, struct org *out, struct bw_error *err);
enum bw_err orgs_get(struct db *db, int64_t id, struct org *out, struct bw_error *err);
/* Creates an organisation under parent_code (NULL for the root). Audited. */
enum bw_err orgs_add(struct db *db, const struct actor *by, const char *code, const char *name,
		     enum org_type type, const char *parent_code, bool synthetic,
		     int64_t *id_out, struct bw_error *err);
/* Re-parents the subtree of code under new_parent_code in one transaction,
 * records the move in org_history and the audit trail. */
enum bw_err orgs_move(struct db *db, const struct actor *by, const char *code,
		      const char *new_parent_code, const char *reason, struct bw_error *err);
/* The same within a caller's transaction (for bulk reorganisations). */
enum bw_err orgs_move_in_tx(struct db *db, const struct actor *by, const char *code,
			    const char *new_parent_code, const char *reason, struct bw_error *err);
int64_t orgs_count_subtree(struct db *db, const char *path);

struct user {
	int64_t id, org_id;
	char email[LIM_EMAIL + 1];
	char name[LIM_NAME + 1];
	enum role role;
	bool disabled;
	char org_code[LIM_ORG_CODE + 1];
	char org_path[256];
};

/* Validation helpers naming the field in err. */
enum bw_err orgs_check_email(const char *email, struct bw_error *err);
enum bw_err orgs_check_name(const char *field, const char *name, struct bw_error *err);
enum bw_err orgs_check_code(const char *code, struct bw_error *err);

enum bw_err users_add(struct db *db, const struct actor *by, const char *org_code, const char *email,
		      const char *name, enum role role, int64_t *id_out, struct bw_error *err);
enum bw_err users_get(struct db *db, int64_t id, struct user *out, struct bw_error *err);
enum bw_err users_get_by_email(struct db *db, const char *email, struct user *out, struct bw_error *err);
enum bw_err users_set_role(struct db *db, const struct actor *by, int64_t id, enum role role,
			   struct bw_error *err);
enum bw_err users_set_disabled(struct db *db, const struct actor *by, int64_t id, bool disabled,
			       struct bw_error *err);
/* Fills an actor for a user (after a session or token was accepted). */
enum bw_err orgs_actor_load(struct db *db, int64_t user_id, struct actor *out, struct bw_error *err);
/* The command-line actor: the instance itself. */
void orgs_actor_cli(struct actor *out);

#endif

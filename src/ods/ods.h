/*
 * ods: the NHS organisation data (ODS) reader and the deterministic demo
 * estate built from it, and the April 2026 ICB reorganisation as a mapping.
 * Pure C over base (and base/csv, zlib): no database, no web. The orgs module
 * writes what this returns into the database (`bulwark demo`, `org merge`).
 *
 * Data: DATA_DIR/orgs/ as documented in its README (lookups/, ods/etr.csv,
 * ods/epraccur.csv.gz, ods/edispensary.csv.gz, ods/2026/).
 *
 * The estate is the one that stood BEFORE 1 April 2026: 7 regions, the 42
 * ICBs of 2022, and under each ICB its organisations:
 *  - NHS trusts: etr.csv, open, English. etr already uses the 2026 ICB codes;
 *    a trust under a new ICB goes back to the predecessor ICB that most
 *    active GP practices in its postcode district belong to (then postcode
 *    area, then the alphabetically first predecessor).
 *  - GP practices: epraccur, ACTIVE, role RO76, England; parent = the
 *    commissioning ICB (commissioner -> sub-ICB lookup), else column 4.
 *  - Pharmacies: edispensary, status A, England; parent = column 4 (a 2026
 *    code, should one appear, goes back by location as for trusts).
 *  - Synthetic organisations, synthetic = true, names ending " (SYNTHETIC)":
 *    care providers (codes "ZC" + 6 digits, e.g. "ALDER LODGE CARE HOME
 *    (SYNTHETIC)"), dental practices ("ZD" + 6 digits, e.g. "CEDAR DENTAL
 *    PRACTICE (SYNTHETIC)"),
 *    each under an ICB with the postcode of a real practice or pharmacy of
 *    that ICB (so location rules work on them); suppliers ("ZS" + 4 digits,
 *    "... LTD (SYNTHETIC)") under the national team, no postcode.
 *  - The national team is code "NATIONAL" ("NATIONAL CYBER SECURITY TEAM
 *    (SYNTHETIC)"), not an ODS code; it is the root.
 * Synthetic codes start "Z" + a letter + digits, a shape no real ODS code in
 * the data has; every code is A-Z0-9, at most ODS_CODE_MAX characters.
 *
 * Scales: ODS_SCALE_SMALL = NATIONAL, regions Y56 London and Y61 East of
 * England, ICBs QMJ and QRV (both merge into Z9B2Z in 2026) and QM7 (split
 * between S1Y5D and D7T5G), and under each ICB 3 trusts, 3 GP practices,
 * 2 pharmacies (evenly spread over the code-sorted list), 1 care provider and
 * 1 dental practice; plus 2 suppliers: 38 organisations in all.
 * ODS_SCALE_NATIONAL = every real organisation above (about 17,000) plus 20
 * suppliers, synthetic dental practices (about 11,000) and care providers up
 * to exactly ODS_NATIONAL_TOTAL organisations.
 * Both are deterministic: same data, same estate, byte for byte.
 */
#ifndef BW_ODS_H
#define BW_ODS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/base.h"

#define ODS_CODE_MAX        LIM_ORG_CODE   /* 16 */
#define ODS_POSTCODE_MAX    8              /* "SW1A 1AA" */
#define ODS_NATIONAL_CODE   "NATIONAL"
#define ODS_NATIONAL_TOTAL  60000
#define ODS_REORG_DATE      "2026-04-01"

enum ods_type {
	ODS_NATIONAL,
	ODS_REGION,
	ODS_ICB,
	ODS_NHS_TRUST,
	ODS_GP_PRACTICE,
	ODS_PHARMACY,
	ODS_CARE_PROVIDER,
	ODS_DENTAL_PRACTICE,
	ODS_SUPPLIER,
	ODS_OTHER,
	ODS_TYPE_COUNT
};

enum ods_scale { ODS_SCALE_SMALL, ODS_SCALE_NATIONAL };

struct ods_org {
	char code[ODS_CODE_MAX + 1];
	char parent_code[ODS_CODE_MAX + 1];  /* "" for the national team */
	char postcode[ODS_POSTCODE_MAX + 1]; /* "" if none */
	char commissioner[ODS_CODE_MAX + 1]; /* GP practices: sub-ICB location */
	const char *name;                    /* UTF-8, owned by the estate */
	enum ods_type type;
	bool synthetic;
	size_t parent;                       /* index of the parent; SIZE_MAX for the root */
};

struct ods_estate {
	struct ods_org *orgs;       /* parents before children */
	size_t n;
	size_t count[ODS_TYPE_COUNT];
	size_t skipped;             /* source rows left out (no known ICB, duplicate code) */
	/* private */
	size_t *by_code;            /* indices sorted by code, for ods_estate_find */
	struct arena arena;
};

/* "national", "region", "icb", "nhs_trust", "gp_practice", "pharmacy",
 * "care_provider", "dental_practice", "supplier", "other". */
const char *ods_type_name(enum ods_type t);
/* "small" / "national"; false for anything else. */
bool ods_scale_parse(const char *s, enum ods_scale *out);
/* A-Z and 0-9 only, 1..ODS_CODE_MAX characters. */
bool ods_code_valid(const char *s, size_t n);

/* An ODS name (in capitals) as people write it: "NHS North West London
 * Integrated Care Board", keeping initialisms such as NHS, ICB, GP. */
void ods_name_display(const char *in, char *out, size_t n);

/* data_dir is the folder holding orgs/ (e.g. "../shared/data"). On failure
 * *out is left empty and needs no free. */
enum bw_err ods_load(const char *data_dir, enum ods_scale scale, struct ods_estate *out,
		     struct bw_error *err);
void ods_estate_free(struct ods_estate *e);
/* For an estate built elsewhere (e.g. read back from the database): orgs
 * malloc'd in parent-before-child order with parent_code set, names in
 * e->arena. Sorts the code index, links parents and counts types. */
enum bw_err ods_estate_index(struct ods_estate *e, struct bw_error *err);
const struct ods_org *ods_estate_find(const struct ods_estate *e, const char *code);

/* ---- reorganisation: old ICB -> new ICB, per member where an ICB splits ---- */

/* One row of a mapping. member_code "" = every member of old_code not named
 * in a member row (a merge if old_code has one such row, a split between
 * the rows' new codes if it has several). */
struct ods_reorg_rule {
	char old_code[ODS_CODE_MAX + 1];
	char new_code[ODS_CODE_MAX + 1];
	char member_code[ODS_CODE_MAX + 1];
	long line;                            /* source line, 0 if derived */
};

/* An ICB the mapping creates. */
struct ods_reorg_icb {
	char code[ODS_CODE_MAX + 1];
	char region[ODS_CODE_MAX + 1];        /* parent region code */
	const char *name;
};

struct ods_reorg_loc;                     /* private: location votes */

struct ods_reorg {
	struct ods_reorg_rule *rules;         /* whole-ICB rows first, then member rows by member */
	size_t nrules, nwhole;
	struct ods_reorg_icb *created;
	size_t ncreated;
	bool from_data;                       /* ods_reorg_load: member rows may name
						 organisations outside a small estate */
	/* private */
	struct ods_reorg_loc *loc;            /* ods_reorg_load only */
	struct arena arena;
};

/* How a member's new parent was decided. */
enum ods_reorg_how {
	ODS_BY_MERGE,      /* its old ICB has a single successor */
	ODS_BY_MEMBER,     /* a member row names it */
	ODS_BY_RULE,       /* a boundary rule on its commissioner or postcode */
	ODS_BY_LOCATION,   /* most real organisations in its postcode district/area went there */
	ODS_BY_DEFAULT,    /* nothing else applied: the successor most members went to */
};
const char *ods_reorg_how_name(enum ods_reorg_how how);

/* The 1 April 2026 reorganisation from DATA_DIR/orgs/ods/2026/README.md,
 * checked against lookups/icbs.csv: 16 whole-ICB rows (12 old ICBs, 3 of
 * them split), the 6 new ICBs, and a member row for every real trust, GP
 * practice and pharmacy of the three split ICBs. */
enum bw_err ods_reorg_load(const char *data_dir, struct ods_reorg *out, struct bw_error *err);

/* A user's mapping file, for `bulwark org merge --mapping FILE`. CSV, an
 * optional header row, columns:
 *   old_code,new_code[,member_code[,new_name[,new_region]]]
 * member_code empty = the whole old ICB (several such rows for one old_code
 * = a split, and every member then needs its own member row); new_name and
 * new_region give an ICB to create (needed when new_code is not yet in the
 * estate). Errors name the line and the column. */
enum bw_err ods_reorg_parse_file(const char *path, struct ods_reorg *out, struct bw_error *err);
enum bw_err ods_reorg_parse_mem(const char *data, size_t n, const char *name,
				struct ods_reorg *out, struct bw_error *err);
void ods_reorg_free(struct ods_reorg *m);

/* The new parent for member (a direct child of old_code). *new_code points
 * into m or is NULL when the mapping leaves member where it is. */
enum bw_err ods_reorg_resolve(const struct ods_reorg *m, const char *old_code,
			      const struct ods_org *member, const char **new_code,
			      enum ods_reorg_how *how, struct bw_error *err);

/* What applying a mapping to an estate does, for one transaction. */
struct ods_move {
	size_t org;                           /* index into the estate */
	char old_parent[ODS_CODE_MAX + 1];
	char new_parent[ODS_CODE_MAX + 1];
	enum ods_reorg_how how;
};
struct ods_reorg_plan {
	struct ods_reorg_icb *create;         /* new ICBs to add first, under their regions */
	size_t ncreate;
	struct ods_move *moves;               /* every member that changes parent */
	size_t nmoves;
	char (*dissolve)[ODS_CODE_MAX + 1];   /* old ICBs left with no members */
	size_t ndissolve;
};
/* Checks the mapping against the estate (codes exist, members sit under
 * their old ICB, a split names every member, new ICBs have a region that
 * exists) and lists the changes. Nothing is changed. */
enum bw_err ods_reorg_plan(const struct ods_reorg *m, const struct ods_estate *e,
			   struct ods_reorg_plan *out, struct bw_error *err);
void ods_reorg_plan_free(struct ods_reorg_plan *p);

#endif

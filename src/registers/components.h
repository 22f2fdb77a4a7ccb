/*
 * components (private to registers): the software inventory. A component
 * is one piece of software a system runs — vendor, product, version and,
 * where known, a CPE 2.3 name and/or a package URL, parsed and checked by
 * the match engine. Components arrive typed one at a time, from a CSV file
 * (columns system,vendor,product,version,cpe,purl) or from a CycloneDX or
 * SPDX JSON SBOM. Imports are checked row by row first; then either every
 * good row is written in one transaction or nothing is.
 *
 * Table components(id, org_id, system_id, vendor, product, version, cpe,
 * purl, norm_vendor, norm_product, ident, source, cpe_confirmed, cpe_guess,
 * created_at, updated_at): ident is the identity within its system — an
 * SBOM's serialNumber/documentNamespace and the component's bom-ref/SPDXID,
 * otherwise the normalised vendor, product and version — and (system_id,
 * ident) is unique, so importing the same SBOM again updates in place.
 * Times are unix seconds.
 */
#ifndef BW_REGISTERS_COMPONENTS_H
#define BW_REGISTERS_COMPONENTS_H

#include "registers/registers.h"

#define LIM_COMP_NAME       200      /* vendor, product */
#define LIM_COMP_VERSION    128
#define LIM_COMP_CPE        512
#define LIM_COMP_PURL       1024
#define LIM_COMP_SYSTEM     200      /* CSV "system" column */
#define LIM_COMP_REF        512      /* bom-ref / SPDXID */
#define LIM_IMPORT_ROWS     200000   /* components in one import */
#define LIM_IMPORT_ERRORS   500      /* row errors kept for the report */
#define LIM_SBOM_DEPTH      64       /* JSON nesting of an SBOM */
#define LIM_SBOM_BYTES      (32 * 1024 * 1024)  /* jansson holds a parsed SBOM in several times its size */

/* One component as given (typed, a CSV row or an SBOM entry). Strings may
 * be NULL (absent). */
struct comp_in {
	const char *system;   /* CSV only: a system of the same organisation */
	const char *vendor, *product, *version, *cpe, *purl;
	const char *ref;      /* SBOM: bom-ref or SPDXID */
	long row;             /* CSV line, or the SBOM entry's position (from 1) */
};

/* A checked component, ready to store. */
struct comp_ok {
	const char *vendor, *product, *version;
	const char *cpe, *purl;            /* canonical, or NULL */
	const char *norm_vendor, *norm_product;  /* match_norm_name folding */
};
/* match_norm_name, cut back to whole UTF-8 characters. */
void components_norm(const char *in, char *out, size_t cap);

/* Checks one component: lengths, UTF-8, CPE and purl through the match
 * engine (canonical forms returned in the arena). A component needs a
 * product, or a CPE or purl it can be read from; a vendor missing beside a
 * CPE or purl is taken from it. err names the field ("vendor", "product",
 * "version", "cpe", "purl") and the problem. */
enum bw_err components_check(struct arena *a, const struct comp_in *in, struct comp_ok *out,
			     struct bw_error *err);

/* ---- imports (pure: parsing only) ---- */
struct comp_row_error {
	long row;
	char field[32];
	char msg[256];
};

struct comp_batch {
	struct arena *arena;
	struct comp_in *v;
	size_t n, cap;
	struct comp_row_error *errs;   /* the first LIM_IMPORT_ERRORS */
	size_t nerrs;                  /* every error, kept or not */
	const char *format;            /* "CSV", "CycloneDX 1.5", "SPDX 2.3" */
	const char *ns;                /* SBOM serialNumber / documentNamespace, or NULL */
	const char *name;              /* what the SBOM describes, or NULL */
};

void comp_batch_init(struct comp_batch *b, struct arena *a);
void comp_batch_free(struct comp_batch *b);
void comp_batch_error(struct comp_batch *b, long row, const char *field, const char *fmt, ...) BW_PRINTF(4, 5);

/* CSV: a header row naming the columns (any order; system, vendor, product,
 * version, cpe, purl; unknown columns refused), then one component a row.
 * Non-UTF-8 bytes are read as Windows Latin-1; UTF-16 is refused. A fault
 * that stops the reading (not CSV, too many rows) fails with err; faults in
 * single rows go to b->errs. */
enum bw_err components_csv_parse(const char *p, size_t n, struct comp_batch *b, struct bw_error *err);
/* CycloneDX 1.2-1.7 or SPDX 2.2/2.3 JSON, told apart by their fields.
 * Syft's own JSON and VEX-only documents are refused with a plain reason. */
enum bw_err components_sbom_parse(const char *p, size_t n, struct comp_batch *b, struct bw_error *err);

/* ---- database ---- */
struct comp_system {
	int64_t id, org_id;
	char name[LIM_NAME + 1];
	char org_code[LIM_ORG_CODE + 1];
	char org_name[LIM_NAME + 1];
	char org_path[256];
};
enum bw_err components_system_get(struct db *db, int64_t id, struct comp_system *out);

struct comp_import_result {
	int64_t added, updated, skipped;
};

/*
 * Checks every row of b against system sys (rows naming another system are
 * looked up in the same organisation), adding row errors to b. Then, if
 * there are no errors, or partial is set, writes the good rows in one
 * transaction (upserts on (system_id, ident)) with one audit record; with
 * errors and !partial nothing is written and BW_EINVAL is returned.
 */
enum bw_err components_import(struct db *db, const struct actor *by, const struct comp_system *sys,
			      struct comp_batch *b, bool partial, const char *source,
			      struct comp_import_result *res, struct bw_error *err);

/* The id in component_names of a folded (vendor, product) pair, added if
 * new: every components row carries its name's id (components.name_id), by
 * which the name searches and advisory targeting find it. */
enum bw_err components_name_id(struct db *db, const char *norm_vendor, const char *norm_product, int64_t *id,
			       struct bw_error *err);

/* Removes the names no component carries any more (left by a removed
 * system, an edited name, a deleted import), which name searches would
 * otherwise probe; *removed says how many. The worker runs it hourly. */
enum bw_err components_names_sweep(struct db *db, int64_t *removed, struct bw_error *err);

/* One component typed in (or through the API); audited. */
enum bw_err components_add(struct db *db, const struct actor *by, const struct comp_system *sys,
			   const struct comp_in *in, int64_t *id_out, struct bw_error *err);
enum bw_err components_update(struct db *db, const struct actor *by, int64_t id,
			      const struct comp_in *in, struct bw_error *err);
enum bw_err components_delete(struct db *db, const struct actor *by, int64_t id, struct bw_error *err);
/* Stores cpe (a CPE 2.3 name) as the user's confirmed mapping. */
enum bw_err components_confirm_cpe(struct db *db, const struct actor *by, int64_t id, const char *cpe,
				   struct bw_error *err);

/* ---- CPE suggestions (suggest.c) ---- */
struct comp_suggestion {
	char vendor[LIM_COMP_NAME + 1];    /* CPE vendor and product */
	char product[LIM_COMP_NAME + 1];
	int score;                         /* 0..100 */
	const char *why;                   /* "exact name", "close spelling", ... */
};

/* Table cpe_dictionary(cpe_vendor, cpe_product, name_key): filled from the
 * feeds' inventory lists (cve-affected-products.tsv.gz) — each CPE
 * vendor:product under its own normalised name and under the display names
 * CVE records give it. */
enum bw_err components_dictionary_load(struct db *db, const char *data_dir, int64_t *rows,
				       struct bw_error *err);
/* Up to max likely CPE vendor:product pairs for a typed vendor and product:
 * exact normalised names first, then close spellings (trigram similarity),
 * from the dictionary and from what the inventory under scope_path already
 * maps. */
size_t components_suggest(struct db *db, const char *scope_path, const char *vendor, const char *product,
			  struct comp_suggestion *out, size_t max);
/* The CPE 2.3 name for a suggestion and a version ("cpe:2.3:a:v:p:1\.2:*..."). */
void components_cpe_for(const char *vendor, const char *product, const char *version, struct buf *out);
/* Trigram (Dice) similarity of two normalised names, 0..100 (exposed for tests). */
int components_similarity(const char *a, const char *b);
/* Drops the process's in-memory dictionary (tests reload it). */
void components_dictionary_reset(void);

#endif

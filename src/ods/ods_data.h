/*
 * ods_data: private to src/ods. The source tables as read from the ODS files
 * and lookups (ods.c), shared by the estate builder (demo_estate.c) and the
 * reorganisation (reorg.c) so both place every organisation the same way.
 */
#ifndef BW_ODS_DATA_H
#define BW_ODS_DATA_H

#include "ods.h"

/* The day before the reorganisation: the estate is the one valid on it. */
#define ODS_ESTATE_DAY "2026-03-31"

struct ods_src_region {
	char code[ODS_CODE_MAX + 1];
	const char *name;
};

struct ods_src_icb {
	char code[ODS_CODE_MAX + 1];
	char region[ODS_CODE_MAX + 1];
	const char *name;
	const char *successors;     /* "D7T5G;T6Y0W", "" if none */
	bool old;                   /* valid on ODS_ESTATE_DAY */
	bool created;               /* valid from ODS_REORG_DATE */
};

struct ods_src_sub {
	char code[ODS_CODE_MAX + 1];  /* sub-ICB location (commissioner) */
	char icb[ODS_CODE_MAX + 1];
};

/* A real organisation (trust, GP practice or pharmacy) placed under the ICB
 * it belonged to on ODS_ESTATE_DAY. */
struct ods_src_org {
	char code[ODS_CODE_MAX + 1];
	char icb[ODS_CODE_MAX + 1];        /* old ICB */
	char file_icb[ODS_CODE_MAX + 1];   /* the ICB the file gives (trusts: 2026 basis) */
	char postcode[ODS_POSTCODE_MAX + 1];
	char commissioner[ODS_CODE_MAX + 1];
	const char *name;
	enum ods_type type;
};

/* Counts of (key, value) pairs, sorted by key then value: "which ICB do the
 * practices of postcode district X belong to". */
struct ods_vote {
	char key[2 * ODS_CODE_MAX + 2];
	char value[ODS_CODE_MAX + 1];
	size_t count;
};
struct ods_votes {
	struct ods_vote *v;
	size_t n, cap;
};

struct ods_data {
	struct ods_src_region *regions;
	size_t nregions;
	struct ods_src_icb *icbs;
	size_t nicbs;
	struct ods_src_sub *subs;
	size_t nsubs;
	struct ods_src_org *orgs;    /* sorted by (icb, type, code); codes unique */
	size_t norgs;
	struct ods_votes district, area;  /* practices: postcode district/area -> old ICB */
	size_t skipped;
	struct arena arena;
};

enum bw_err ods_data_read(const char *data_dir, struct ods_data *d, struct bw_error *err);
void ods_data_free(struct ods_data *d);
const struct ods_src_icb *ods_data_icb(const struct ods_data *d, const char *code);
const struct ods_src_region *ods_data_region(const struct ods_data *d, const char *code);

/* Joins data_dir and a relative path; BW_ELIMIT if it does not fit. */
enum bw_err ods_path(char *out, size_t n, const char *data_dir, const char *rel,
		     struct bw_error *err);
/* Outward code ("SL6" of "SL6 0PQ") and area ("SL"); "" if pc is empty. */
void ods_postcode_district(const char *pc, char out[ODS_POSTCODE_MAX + 1]);
void ods_postcode_area(const char *pc, char out[ODS_POSTCODE_MAX + 1]);
/* Copies a field into a code buffer; false if not a valid code. */
bool ods_code_copy(char out[ODS_CODE_MAX + 1], struct str s);

void ods_votes_add(struct ods_votes *v, const char *key, const char *value);
void ods_votes_finish(struct ods_votes *v);  /* sorts and counts; call once */
/* The value with the most votes for key among cands (all values if ncand is
 * 0); ties go to the smaller value. NULL if none. */
const char *ods_votes_best(const struct ods_votes *v, const char *key,
			   const char *const *cands, size_t ncand);
void ods_votes_free(struct ods_votes *v);

#endif

/*
 * index_int: what the estate and feed indexes (index.c) and the pair
 * evaluator (pair.c) share; not part of the engine's public face.
 *
 * A pair is one record against one component description. pair_eval() is
 * the reference: match_criterion_eval / match_config_eval over the
 * record's criteria whose identity can match, merged as
 * match_record_eval does, with evidence for every criterion asked.
 * pair_fast() gives the same answer from keys computed once (the
 * component's version under every scheme, the bounds of every rule),
 * without building text, and builds the evidence of the deciding
 * criterion only when the pair is a match.
 */
#ifndef BW_MATCH_INDEX_INT_H
#define BW_MATCH_INDEX_INT_H

#include "match_int.h"

#define NAME_CAP 256

/* Identity keys of a component (see match.h: vendor and product folded,
 * purl key "type\0namespace\0name"). */
struct idview {
	bool vp, purl;
	const char *vendor, *product, *pkey;
	size_t pkn;
	size_t productn; /* strlen(product) */
};

enum ck_kind { CK_NONE = 0, CK_VP, CK_PURL };

/* A rule's candidate interval of version keys (NULL: unbounded). */
struct cbound {
	enum match_scheme s;
	const uint8_t *lo, *hi;
	uint32_t lon, hin;
};

/* What the feed knows of one criterion. */
struct critkey {
	uint8_t kind;
	const char *vendor, *product; /* CK_PURL: product is the folded package name */
	const char *pkey;             /* CK_PURL */
	uint32_t pkn;
	uint32_t productn;            /* strlen(product) */
	uint64_t producth;            /* its hash in the estate's maps */
	const char *gkey;             /* CK_PURL: "P" and pkey, the estate's group key */
	uint64_t gkeyh;
	const struct match_criterion *c;
	bool select_all;
	struct cbound *b;
	size_t nb;
	const char *prefix;           /* evidence: "<source>: " and the CPE */
	uint32_t prefixn;
	bool dup;                     /* an earlier criterion of the record is the same: */
	uint32_t orig;                /* ... the first of them (its own index if none) */
	struct exactidx *x;           /* many exact-version rules: found by key */
};

struct cfginfo {
	struct critkey *k; /* its vulnerable criteria */
	size_t n;
	bool platform;     /* has platform criteria: needs the system */
};

/* A criterion's exact-version rules of one scheme, sorted by key (the
 * bound key and, where different, the plain key of the text), so a
 * version finds the rules that may hold it by binary search; the rules
 * not in it are listed apart, in order. */
struct exactent {
	const uint8_t *k;
	uint32_t kn, rule;
};
struct exactidx {
	enum match_scheme s;
	struct exactent *e;
	size_t n;
	uint32_t *others;
	size_t nothers;
};
#define EXACT_INDEX_MIN 8

/* A criterion found by one of its identity keys. */
struct critref {
	const char *key;
	uint32_t kn, idx;
};

/* Records with more criteria than this index them by identity, so a
 * component meets only the criteria that can name it. */
#define CRIT_INDEX_MIN 8

struct recinfo {
	struct critkey *ck; /* one per rec->crit */
	struct cfginfo *cfg;
	size_t ncfg;
	bool needs_system;
	/* ncrit > CRIT_INDEX_MIN: the criteria sorted by product (CK_VP and
	 * CK_PURL) and by purl key (CK_PURL) */
	struct critref *byname, *bypurl;
	size_t nbyname, nbypurl;
};

/* A version keyed under one scheme; ok false: unorderable there. */
struct vkey {
	const uint8_t *k;
	uint32_t kn;
	bool ok;
};

/* One component description as the pair evaluator reads it. */
struct pairview {
	const struct match_component *comp; /* stands for every equal one */
	struct idview id;
	const char *cv, *cp;    /* vendor and product as product_identity folds them */
	const char *version;    /* what the rules compare; NULL: not known */
	const struct vkey *keys; /* MATCH_SCHEME_COUNT keys of version, or NULL: */
	struct vkey lazy[MATCH_SCHEME_COUNT]; /* ... keyed on first use into */
	bool have[MATCH_SCHEME_COUNT];
	struct arena *ka;       /* ... with copies in this arena */
};

/* The text of a configuration depends on the target and the answer, not
 * on the rest of the system: kept for the next member of the same
 * component description. */
struct cfgtext {
	const struct match_record *rec;
	size_t cfg;
	enum match_answer a;
	const char *product, *cv, *version; /* the view's, unique to its description */
	char evidence[768];
};
#define CFGTEXT_SLOTS 4

/* Per-thread scratch of the evaluator. */
struct pairscratch {
	const struct match_component *tmp_for; /* component tmp was built for */
	bool tmp_ok;
	struct match_cpe tmp;   /* a CPE from a component's vendor and product */
	struct cfgtext cfgtext[CFGTEXT_SLOTS];
	unsigned cfgnext;
};

bool overlap(const struct critkey *k, const struct idview *id);
/* Marks duplicate criteria of a record and indexes the others by identity
 * (records with more than CRIT_INDEX_MIN criteria). */
void recinfo_index(struct arena *a, const struct match_record *r, struct recinfo *ri);
/* The exact-version index of a criterion with many rules (NULL if none). */
struct exactidx *exactidx_build(struct arena *a, const struct match_criterion *c);
void ident_names(const struct match_component *comp, char *cv, char *cp);
/* The version match_criterion_eval compares for c (copied into a when it
 * is the CPE's), or NULL when c says none. */
const char *effective_version(struct arena *a, const struct match_component *c);

enum match_answer pair_eval(const struct match_record *rec, const struct recinfo *ri,
			    const struct match_component *comp, const struct idview *id,
			    const struct match_component *sys, size_t nsys, struct match_result *res,
			    const char **decided);

/* The answer pair_eval gives (and weak, and the deciding source) for the
 * component v on the system sys (nsys members, v's among them; sysv the
 * same members as views). When it is a match (not NOT_AFFECTED),
 * res->evidence is pair_eval's evidence; otherwise it is empty. */
enum match_answer pair_fast(const struct match_record *rec, const struct recinfo *ri,
			    struct pairview *v, const struct match_component *sys,
			    struct pairview *sysv, size_t nsys, struct pairscratch *sc,
			    struct match_result *res, const char **decided);

#endif

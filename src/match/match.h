/*
 * match: the pure matching engine. Version schemes compiled to byte keys,
 * CPE 2.3 names and NISTIR 7696 name matching, package URLs, vers ranges,
 * and compiled criteria (identity + version ranges) from OSV, CVE JSON 5 and
 * NVD records, each evaluated to AFFECTED / NOT_AFFECTED / UNKNOWN with the
 * evidence a person needs to see why.
 *
 * Depends on src/base only (jansson only in the optional record compilers):
 * no web, no database, so every parser here can be fuzzed and benchmarked.
 *
 * The rule every part follows: when the engine cannot be sure, it answers
 * UNKNOWN, never NOT_AFFECTED.
 */
#ifndef BW_MATCH_H
#define BW_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* ---- limits on what the engine accepts ---- */
#define MATCH_LIM_VERSION     256   /* bytes of one version string */
#define MATCH_LIM_KEY         1024  /* bytes of one compiled version key */
#define MATCH_LIM_NUM_DIGITS  60    /* digits of one numeric version part */
#define MATCH_LIM_CPE         1024  /* bytes of one CPE name */
#define MATCH_LIM_PURL        4096  /* bytes of one package URL */
#define MATCH_LIM_QUALIFIERS  32    /* qualifiers of one package URL */
#define MATCH_LIM_VERS        8192  /* bytes of one vers range */
#define MATCH_LIM_CONSTRAINTS 256   /* constraints of one vers range */

/* ---- answers ---- */
enum match_answer {
	MATCH_NOT_AFFECTED = 0,
	MATCH_AFFECTED,
	MATCH_UNKNOWN,
};
const char *match_answer_name(enum match_answer a); /* "affected", ... */
struct match_result;

/* ---- version schemes ----
 * Each scheme compiles a version string to a byte key whose memcmp order
 * (shorter first on a common prefix) is the scheme's own order. A string
 * that cannot be keyed is "unorderable": the key function fails with
 * BW_EINVAL and a message saying why, and range tests answer UNKNOWN. */
enum match_scheme {
	MATCH_SCHEME_GENERIC = 0, /* vendor strings: "10.0.19045.3803", "R2 SP1" */
	MATCH_SCHEME_DEBIAN,      /* dpkg: [epoch:]upstream[-revision] */
	MATCH_SCHEME_RPM,         /* rpmvercmp on [epoch:]version[-release] */
	MATCH_SCHEME_PEP440,      /* Python packaging.version */
	MATCH_SCHEME_SEMVER,      /* SemVer 2.0 as npm's semver parses it */
	MATCH_SCHEME_MAVEN,       /* Maven ComparableVersion */
	MATCH_SCHEME_GO,          /* Go modules: semver, "v" optional, v1 / v1.2 shorthands */
	MATCH_SCHEME_NUGET,       /* NuGet: semver with 4 numeric parts, case-insensitive */
	MATCH_SCHEME_GEM,         /* RubyGems Gem::Version */
	MATCH_SCHEME_APK,         /* Alpine apk-tools */
	MATCH_SCHEME_ALPM,        /* Arch Linux vercmp */
	MATCH_SCHEME_GENTOO,      /* Gentoo PMS */
	MATCH_SCHEME_OPENSSL,     /* OpenSSL: 1.0.2a style and 3.x semver style */
	MATCH_SCHEME_DATETIME,    /* RFC 3339 timestamps */
	MATCH_SCHEME_LEXICOGRAPHIC, /* plain byte order */
	MATCH_SCHEME_COUNT
};

/* "deb", "rpm", "pypi", "npm", "semver", "maven", "golang", "generic", ...
 * (vers scheme names and OSV ecosystem names are both accepted). */
bool match_scheme_from_name(struct str name, enum match_scheme *out);
const char *match_scheme_name(enum match_scheme s);

/* Appends the key of version v to out. Returns BW_OK, or BW_EINVAL (the
 * version is unorderable under this scheme; err says why, field "version").
 * On failure out is left as it was. */
enum bw_err match_version_key(enum match_scheme s, struct str v, struct buf *out,
			      struct bw_error *err);

/* The key of v used as a range bound. side < 0: the lowest version v can
 * stand for; side > 0: the highest. They differ from the plain key only
 * where a scheme treats a shorter version as equal to longer ones (RPM:
 * "1.2" equals every "1.2-<release>"). */
enum bw_err match_version_key_bound(enum match_scheme s, struct str v, int side,
				    struct buf *out, struct bw_error *err);
/* side for match_version_key_bound: v is a prefix ("5.15" of CVE JSON 5's
 * "5.15.*") and the key is the highest version starting with it. Supported
 * for generic, semver, Go, Debian, RPM and PEP 440; others refuse. */
#define MATCH_BOUND_PREFIX 2

/* memcmp order, shorter first: <0, 0, >0. */
int match_key_cmp(const void *a, size_t an, const void *b, size_t bn);

/* Compares two versions under a scheme; BW_EINVAL when either is unorderable. */
enum bw_err match_version_cmp(enum match_scheme s, struct str a, struct str b,
			      int *cmp, struct bw_error *err);

/* ---- CPE 2.3 ----
 * A name holds 11 attributes, each ANY, NA or a value. Values are kept
 * unescaped and in lower case (CPE matching ignores case), with the
 * unquoted wildcards at either end kept as counts: '*' (any run) and '?'
 * (one character each, as NISTIR 7696's compareStrings reads them). */
enum match_cpe_attr {
	MATCH_CPE_PART, MATCH_CPE_VENDOR, MATCH_CPE_PRODUCT, MATCH_CPE_VERSION,
	MATCH_CPE_UPDATE, MATCH_CPE_EDITION, MATCH_CPE_LANGUAGE, MATCH_CPE_SW_EDITION,
	MATCH_CPE_TARGET_SW, MATCH_CPE_TARGET_HW, MATCH_CPE_OTHER, MATCH_CPE_NATTR
};
enum match_cpe_kind { MATCH_CPE_ANY = 0, MATCH_CPE_NA, MATCH_CPE_VALUE };

struct match_cpe_value {
	enum match_cpe_kind kind;
	uint16_t off, len;          /* body in the name's store */
	uint8_t pre_star, post_star; /* unquoted '*' before / after the body */
	uint8_t pre_q, post_q;       /* unquoted '?' before / after the body */
};

struct match_cpe {
	struct match_cpe_value a[MATCH_CPE_NATTR];
	uint16_t used;
	char store[MATCH_LIM_CPE];
};

const char *match_cpe_attr_name(enum match_cpe_attr a); /* "vendor", "target_sw", ... */

/* Parses the formatted-string binding "cpe:2.3:part:vendor:...:other".
 * Unquoted punctuation is accepted and read as quoted (NISTIR 7695's
 * unbinding does the same); refused with field "cpe" and a message naming
 * the attribute and the fault: wrong prefix or attribute count, empty
 * attribute, part not a/o/h, '*' or '?' inside a value, "**", a trailing
 * backslash, characters outside printable ASCII. Also accepts the CPE 2.2
 * URI binding "cpe:/a:vendor:product:version:update:edition:language". */
enum bw_err match_cpe_parse(struct str s, struct match_cpe *out, struct bw_error *err);
/* The stricter well-formedness checks of NISTIR 7695 that parsing leaves
 * out: language must be an RFC 5646 tag ("en", "en-gb"). */
enum bw_err match_cpe_check(const struct match_cpe *c, struct bw_error *err);
/* Sets one attribute from a WFN value: ANY, NA, or a string in which
 * punctuation is quoted with '\' ("8\.0\.6001", "9\.*"). */
enum bw_err match_cpe_set_wfn(struct match_cpe *c, enum match_cpe_attr a, struct str wfn,
			      struct bw_error *err);
void match_cpe_init(struct match_cpe *c); /* every attribute ANY */
/* Appends the formatted-string binding (escaping as NVD writes it). */
void match_cpe_format(const struct match_cpe *c, struct buf *out);
/* Appends one attribute as the formatted string writes it ("*", "-", "1\.0"
 * is written "1.0"). */
void match_cpe_format_attr(const struct match_cpe *c, enum match_cpe_attr a, struct buf *out);
/* The body of a value attribute (no wildcards), or "" for ANY / NA. */
struct str match_cpe_body(const struct match_cpe *c, enum match_cpe_attr a);

/* NISTIR 7696 attribute comparison, source against target. */
enum match_cpe_rel {
	MATCH_CPE_DISJOINT, MATCH_CPE_SUBSET, MATCH_CPE_SUPERSET, MATCH_CPE_EQUAL,
	MATCH_CPE_UNDEFINED
};
const char *match_cpe_rel_name(enum match_cpe_rel r);
enum match_cpe_rel match_cpe_compare_attr(const struct match_cpe *src,
					  const struct match_cpe *tgt, enum match_cpe_attr a);
/* Name relations of NISTIR 7696 section 7 (CPE_DISJOINT, CPE_EQUAL,
 * CPE_SUBSET, CPE_SUPERSET). */
bool match_cpe_disjoint(const struct match_cpe *src, const struct match_cpe *tgt);
bool match_cpe_equal(const struct match_cpe *src, const struct match_cpe *tgt);
bool match_cpe_subset(const struct match_cpe *src, const struct match_cpe *tgt);
bool match_cpe_superset(const struct match_cpe *src, const struct match_cpe *tgt);

/* ---- package URLs ----
 * pkg:type/namespace/name@version?qualifiers#subpath, decoded and
 * normalised per the purl specification and its type definitions (lower
 * case where the type says so, pypi '_' to '-', sorted qualifier keys,
 * empty qualifiers dropped, "." and ".." segments refused in subpath). */
struct match_purl_qualifier {
	const char *key, *value;
};
struct match_purl {
	const char *type, *namespace_, *name, *version, *subpath; /* NULL when absent */
	struct match_purl_qualifier q[MATCH_LIM_QUALIFIERS];
	size_t nq;
};
/* Strings go to the arena. Refusals name the part at fault, field "purl". */
enum bw_err match_purl_parse(struct arena *a, struct str s, struct match_purl *out,
			     struct bw_error *err);
/* Builds from components (as the purl test suite's "build" does): each
 * string raw (not percent-encoded); NULL when absent. */
enum bw_err match_purl_build(struct arena *a, const char *type, const char *namespace_,
			     const char *name, const char *version,
			     const struct match_purl_qualifier *q, size_t nq, const char *subpath,
			     struct match_purl *out, struct bw_error *err);
/* Appends the canonical string. */
void match_purl_format(const struct match_purl *p, struct buf *out);
/* Same package: type, namespace and name equal (versions not compared). */
bool match_purl_same_package(const struct match_purl *a, const struct match_purl *b);
/* The version scheme a purl type uses (pypi -> PEP 440, deb -> Debian, ...),
 * generic when the type has no scheme of its own. */
enum match_scheme match_purl_scheme(const char *type);

/* ---- vers: version range specifiers ("vers:npm/>=1.0.0|<2.0.0") ---- */
enum match_vers_op {
	MATCH_VERS_EQ, MATCH_VERS_NE, MATCH_VERS_LT, MATCH_VERS_LE, MATCH_VERS_GT,
	MATCH_VERS_GE, MATCH_VERS_ANY
};
struct match_vers_constraint {
	enum match_vers_op op;
	const char *version;   /* percent-decoded */
	const uint8_t *key;    /* NULL when unorderable under the scheme */
	uint32_t kn;
};
struct match_vers {
	const char *scheme_name;
	enum match_scheme scheme;
	bool scheme_ok;        /* a scheme the engine can order */
	struct match_vers_constraint *c;
	size_t n;
};
/* canonical: refuse anything not already in canonical form (whitespace,
 * empty constraints, unsorted constraints, non-canonical percent-encoding);
 * otherwise constraints are sorted by version. Field "vers" on failure. */
enum bw_err match_vers_parse(struct arena *a, struct str s, bool canonical,
			     struct match_vers *out, struct bw_error *err);
void match_vers_format(const struct match_vers *v, struct buf *out);
/* Is version inside the range? UNKNOWN when it cannot be ordered. A range
 * of only '!=' constraints holds every version it does not exclude (the
 * specification's algorithm, read literally, would hold none). */
enum match_answer match_vers_contains(const struct match_vers *v, const char *version,
				      struct match_result *res);

/* ---- compiled criteria ----
 * A criterion is an identity (a CPE pattern, a package URL identity, or a
 * vendor/product pair) and a list of version rules. The rules are read in
 * order and the first one that contains the version gives the status (CVE
 * JSON 5's algorithm; OSV and NVD ranges compile to rules that all say
 * "affected", so first-match is their union); no rule: the default. */
enum match_bound_kind { MATCH_UNBOUNDED = 0, MATCH_INCLUSIVE, MATCH_EXCLUSIVE };

struct match_bound {
	enum match_bound_kind kind;
	const char *text;      /* as the record wrote it, for evidence */
	const uint8_t *key;    /* NULL when the text is unorderable */
	uint32_t kn;
	bool prefix;           /* "5.15.*": the highest version starting "5.15" */
};

struct match_change {
	struct match_bound at; /* from this version (inclusive) on ... */
	enum match_answer status;
};

struct match_rule {
	enum match_scheme scheme;
	bool scheme_ok;        /* false: versionType not supported (git, ...) */
	const char *scheme_text; /* the record's versionType / range type */
	bool exact;            /* a single version: lo is it (inclusive) */
	bool all;              /* every version ("*", OSV introduced 0 with no end) */
	struct match_bound lo, hi;
	enum match_answer status;
	struct match_change *changes; /* sorted by at */
	size_t nchanges;
};

enum match_id_kind { MATCH_ID_CPE, MATCH_ID_PURL, MATCH_ID_PRODUCT };

struct match_purl;

struct match_criterion {
	const char *source;     /* "CVE-2024-3094 cna affected[0]": evidence prefix */
	enum match_id_kind kind;
	struct match_cpe *cpe;  /* MATCH_ID_CPE */
	struct match_purl *purl; /* MATCH_ID_PURL: type, namespace, name */
	const char *vendor, *product; /* MATCH_ID_PRODUCT, normalised (see match_norm_name) */
	bool vulnerable;        /* NVD: false marks a platform, not the flaw */
	struct match_rule *rules;
	size_t nrules;
	enum match_answer dflt; /* status of versions no rule contains */
	bool no_versions;       /* the record gave no usable version at all */
};

/* A piece of an estate: what the inventory knows about one component. Any
 * of cpe / purl / vendor+product may be missing. */
struct match_component {
	const char *id;          /* for evidence */
	const struct match_cpe *cpe;
	const struct match_purl *purl;
	const char *vendor, *product; /* free text, normalised when compared */
	const char *version;     /* NULL: unknown */
	const char *system;      /* components with the same system id run together
				  * (NVD AND configurations); NULL: on its own */
};

struct match_result {
	enum match_answer answer;
	bool weak;               /* UNKNOWN only because a rule type is unsupported */
	char evidence[768];
};

/* Folds a vendor or product name as CPE bindings do: lower case, spaces
 * and punctuation other than '.', '-' and '_' to '_', runs folded. */
void match_norm_name(const char *in, char *out, size_t cap);

/* Does the component's identity match the criterion's? AFFECTED (it is the
 * same product), NOT_AFFECTED (a different one) or UNKNOWN (the component
 * does not say enough); evidence says which attribute decided. */
enum match_answer match_identity(const struct match_criterion *c,
				 const struct match_component *comp, struct match_result *res);
/* The status of one version under the criterion's rules. */
enum match_answer match_rules_eval(const struct match_criterion *c, const char *version,
				   struct match_result *res);
/* Identity and version together: the answer for one component. */
enum match_answer match_criterion_eval(const struct match_criterion *c,
				       const struct match_component *comp,
				       struct match_result *res);
/* Combines answers of several criteria for one product: affected wins,
 * then a real unknown, then not affected, then a weak unknown. */
void match_result_merge(struct match_result *into, const struct match_result *r);

/* Compiles a bound; unorderable text leaves key NULL (and the bound then
 * answers UNKNOWN). "*" as an upper bound means unbounded; "1.2.*" a prefix. */
void match_bound_compile(struct arena *a, enum match_scheme s, const char *text,
			 enum match_bound_kind kind, bool upper, struct match_bound *out);
/* Sorts a rule's changes by version (unorderable ones last). */
void match_rule_sort_changes(struct match_rule *r);

/* ---- NVD configurations: nodes of cpeMatch criteria with AND / OR ---- */
struct match_node {
	bool and_op, negate;
	struct match_criterion *crit;
	size_t ncrit;
	struct match_node *children;
	size_t nchildren;
};
struct match_config {
	bool and_op;
	struct match_node *nodes;
	size_t nnodes;
};
/* Evaluates a configuration for component `target` on a system made of
 * `system` (which should include target). Criteria marked vulnerable must
 * match target itself; platform criteria (vulnerable false) may match any
 * component of the system. With no system (nsystem 0) a platform criterion
 * is UNKNOWN. */
enum match_answer match_config_eval(const struct match_config *cfg,
				    const struct match_component *target,
				    const struct match_component *system, size_t nsystem,
				    struct match_result *res);

/* ---- record compilers (jansson values already decoded) ---- */
struct json_t;
struct match_record {
	const char *id;                 /* CVE-..., GHSA-..., PYSEC-... */
	struct match_criterion *crit;   /* flat list (CVE 5 affected[], OSV affected[]) */
	size_t ncrit;
	struct match_config *configs;   /* NVD configurations / CVE 5 cpeApplicability */
	size_t nconfigs;
	size_t skipped;                 /* entries that could not be read */
	char skip_reason[256];          /* the first reason */
};
/* All allocations go to the arena. Entries that cannot be read are counted
 * and the first reason kept; BW_EINVAL only when the record is unusable. */
enum bw_err match_compile_cve5(struct arena *a, const struct json_t *rec,
			       struct match_record *out, struct bw_error *err);
enum bw_err match_compile_osv(struct arena *a, const struct json_t *rec,
			      struct match_record *out, struct bw_error *err);
/* An NVD CVE API 2.0 vulnerability: {"cve": {...}} or the bare cve object. */
enum bw_err match_compile_nvd(struct arena *a, const struct json_t *rec,
			      struct match_record *out, struct bw_error *err);
/* One NVD cpeMatch object into a criterion. */
enum bw_err match_compile_cpematch(struct arena *a, const struct json_t *m, const char *source,
				   struct match_criterion *out, struct bw_error *err);
/* Evaluates a whole record for one component: every criterion and every
 * configuration, merged. */
enum match_answer match_record_eval(const struct match_record *rec,
				    const struct match_component *comp,
				    const struct match_component *system, size_t nsystem,
				    struct match_result *res);

/* ---- CSAF 2.0 (csaf.c) ----
 * A CSAF document's product tree and vulnerabilities[].product_status
 * compiled into one match_record per vulnerability (id: the CVE, or
 * "<tracking id>#<n>"). Products are identified by their helper's CPE or
 * purl, else by the vendor and product_name branches; product_version is an
 * exact version, product_version_range a vers string or the free forms CISA
 * writes ("< V8.2.2", ">= 1.0 | <= 1.4", "All versions < V3.1"); a range the
 * engine cannot read answers UNKNOWN for every version. A '!=' version is
 * cut out of the interval it falls in, not declared "not affected" (another
 * statement may hold it), and a range of only '!=' is every other version. Statuses:
 * known_affected / first_affected / last_affected affected; fixed /
 * first_fixed / known_not_affected not affected; under_investigation unknown.
 * Products of one identity in one vulnerability become one criterion whose
 * rules are ordered exact not-affected versions, affected, unknown, then
 * not-affected ranges: where statements overlap, the narrower "not
 * affected" wins and otherwise "affected" does. Relationships
 * (default_component_of, installed_on, ...) stand for their
 * product_reference. */
#define MATCH_LIM_CSAF_PRODUCTS 20000 /* product leaves of one document */
#define MATCH_LIM_CSAF_DEPTH    16    /* branch nesting */
enum bw_err match_compile_csaf(struct arena *a, const struct json_t *doc,
			       struct match_record **out, size_t *nout, struct bw_error *err);
/* One CSAF product_version_range (or product_version when exact) into
 * rules with the given status; false when the text cannot be read. */
bool match_csaf_range_rules(struct arena *a, const char *text, bool exact,
			    enum match_answer status, struct match_rule **rules, size_t *n);

/* ---- the estate and feed indexes (index.c) ----
 * Identity. A component is known by its package URL (type, namespace,
 * name) and/or by a (vendor, product) pair taken from its CPE, else from
 * its free-text vendor and product, folded by match_norm_name. A criterion
 * is known by its purl, or by the (vendor, product) of its CPE or record.
 * They can match when: the purls name the same package; or the products
 * are equal and the vendors equal or either vendor unknown (""); or a purl
 * criterion's package name equals the product of a component without a
 * purl (the engine then answers UNKNOWN at best). Pairs outside these
 * rules are not compared: a criterion with no concrete vendor and product
 * (a CPE of "*" vendor) is counted as unindexed, and a component with no
 * identity as unidentified — neither is silently reported "not affected";
 * the counts say how many. A component with only a purl is matched by its
 * purl, never by a name guessed from it.
 *
 * The answer for one (record, component) pair is match_record_eval's
 * merge over the record's criteria and configurations whose identity can
 * match the component. Every operation below gives exactly that answer;
 * the indexes only decide which pairs need asking. Within an identity the
 * estate's distinct component descriptions ("variants": same CPE and purl
 * objects, vendor, product and version) are sorted by version key per
 * scheme; a range finds its candidates with two binary searches, and
 * versions that cannot be keyed are always candidates (so they answer
 * UNKNOWN, never a silent "not affected").
 *
 * Systems: NVD configurations with AND nodes say "this flaw, on this
 * platform". A component's system id groups the components that run
 * together (a server, a device); platform criteria (vulnerable false) may
 * be met by any component of the target's system. A component without a
 * system has no known platform, so such configurations answer UNKNOWN.
 *
 * Threads: after match_estate_build the estate is only read, and a feed
 * is only read once its records are added, so the three operations and
 * match_feed_pair_eval may run at the same time in several threads on the
 * same estate and feed (adding to either, or building, must not overlap
 * them; an operation on an estate not built since its last add builds it
 * first, which is not safe to do from two threads). */
struct match_feed;
struct match_estate;

struct match_index_stats {
	size_t records, criteria;   /* criteria: flat + vulnerable configuration ones */
	size_t unindexed;           /* criteria with no identity to index */
	size_t components, variants, identities, systems;
	size_t unidentified;        /* components with no identity */
	size_t unorderable;         /* variants with no version or one no scheme keys */
};

struct match_feed *match_feed_new(void);
void match_feed_free(struct match_feed *f);
/* Adds a compiled record and indexes its criteria (bounds keyed once).
 * The feed keeps the pointer: the record must outlive the feed. Returns
 * the record's index. */
size_t match_feed_add(struct match_feed *f, const struct match_record *r);
size_t match_feed_count(const struct match_feed *f);
const struct match_record *match_feed_record(const struct match_feed *f, size_t i);
void match_feed_stats(const struct match_feed *f, struct match_index_stats *st);
/* Does any criterion of the feed share an identity with c? ("suggest a
 * CPE" and demo estates use it.) */
bool match_feed_knows(const struct match_feed *f, const struct match_component *c);

struct match_estate *match_estate_new(void);
void match_estate_free(struct match_estate *e);
/* Copies the struct, keeps its pointers (they must outlive the estate).
 * Returns the component's index. Call match_estate_build before matching. */
size_t match_estate_add(struct match_estate *e, const struct match_component *c);
void match_estate_build(struct match_estate *e);
size_t match_estate_count(const struct match_estate *e);
const struct match_component *match_estate_component(const struct match_estate *e, size_t i);
void match_estate_stats(const struct match_estate *e, struct match_index_stats *st);

/* One match: AFFECTED or UNKNOWN (NOT_AFFECTED is not a match). */
struct match_hit {
	size_t record;        /* feed index; SIZE_MAX in match_advisory_estate */
	const struct match_record *rec;
	size_t component;     /* estate index; SIZE_MAX for match_component_feed's own */
	const struct match_component *comp;
	const char *criterion; /* source of the deciding criterion or configuration */
	enum match_answer answer;
	bool weak;            /* UNKNOWN only because a rule type is unsupported */
	const char *evidence; /* criterion, range, the comparison made */
};
/* Pointers in a hit are valid during the call only. */
typedef void (*match_hit_fn)(void *ctx, const struct match_hit *h);

/* (a) Whole estate x whole feed: a walk over the feed's criteria. Hits come
 * record by record in feed order (within a record, by component
 * description, then component). Returns the number of hits. Answers are
 * computed in match_threads_default() threads; fn is called only from the
 * calling thread, and the hits and their order do not depend on the
 * number of threads. */
size_t match_estate_feed(struct match_estate *e, const struct match_feed *f, match_hit_fn fn,
			 void *ctx);
/* The same with nthreads threads (1: the calling thread alone). */
size_t match_estate_feed_threads(struct match_estate *e, const struct match_feed *f,
				 size_t nthreads, match_hit_fn fn, void *ctx);
/* The processors online, at most 8. */
size_t match_threads_default(void);
/* (b) One new or changed advisory against the whole estate. */
size_t match_advisory_estate(struct match_estate *e, const struct match_record *r,
			     match_hit_fn fn, void *ctx);
/* (c) One new or changed component against the whole feed, through the
 * feed's index. Its system's other members are taken from e (may be NULL).
 * Hits come in feed order. */
size_t match_component_feed(const struct match_feed *f, const struct match_estate *e,
			    const struct match_component *c, match_hit_fn fn, void *ctx);
/* The reference answer for one pair (what the three operations give), for
 * record i of the feed and component c with its system from e (may be
 * NULL). *criterion (may be NULL) gets the deciding source. */
enum match_answer match_feed_pair_eval(const struct match_feed *f, size_t i,
				       const struct match_estate *e,
				       const struct match_component *c, struct match_result *res,
				       const char **criterion);
/* Identity keys of a component as the baseline's SQL table stores them:
 * vendor and product folded ("" when absent; *has_vp false when the
 * component names no product) and the purl key "type/namespace/name"
 * ("" without a purl). */
void match_component_keys(const struct match_component *c, bool *has_vp, char *vendor,
			  char *product, size_t cap, char *purl, size_t pcap);
/* The same for criteria of record i: calls fn for each key row
 * (kind 1: vendor/product, kind 2: a purl's package name as product,
 * kind 3: purl key in `purl`). */
typedef void (*match_key_fn)(void *ctx, size_t record, int kind, const char *vendor,
			     const char *product, const char *purl);
void match_feed_keys(const struct match_feed *f, size_t i, match_key_fn fn, void *ctx);

#endif

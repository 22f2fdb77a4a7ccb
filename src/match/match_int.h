/*
 * match_int: helpers shared by the files of the match engine; not part of
 * its public face (match.h). Each version scheme provides one key function.
 */
#ifndef BW_MATCH_INT_H
#define BW_MATCH_INT_H

#include "match.h"

/* side: 0 for a plain key, <0 / >0 for the low / high bound (see match.h). */
typedef enum bw_err (*vkey_fn)(struct str v, int side, struct buf *out,
			       struct bw_error *err);

enum bw_err vkey_debian(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_rpm(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_pep440(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_semver(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_go(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_maven(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_generic(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_nuget(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_gem(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_apk(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_alpm(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_gentoo(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_openssl(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_datetime(struct str v, int side, struct buf *out, struct bw_error *err);
enum bw_err vkey_lexicographic(struct str v, int side, struct buf *out, struct bw_error *err);

/* Appends a run of decimal digits as [count][digits] with leading zeros
 * dropped, so memcmp orders numbers by value whatever their length.
 * False when the run is longer than MATCH_LIM_NUM_DIGITS. */
bool vkey_num(struct buf *out, const char *digits, size_t n);

static inline bool vkey_isdigit(char c) { return c >= '0' && c <= '9'; }
static inline bool vkey_isalpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool vkey_isalnum(char c) { return vkey_isdigit(c) || vkey_isalpha(c); }
static inline char vkey_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

/* Fails with BW_EINVAL on the field "version", restoring out to len. */
enum bw_err vkey_reject(struct buf *out, size_t len, struct bw_error *err,
			const char *fmt, ...) BW_PRINTF(4, 5);

/* Sets a CPE attribute to a literal value (no wildcards, no escapes);
 * "" sets ANY. */
enum bw_err cpe_set_plain(struct match_cpe *c, enum match_cpe_attr a, const char *s,
			  struct bw_error *err);

#endif

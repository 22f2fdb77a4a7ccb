/*
 * base: the utilities every other module stands on — the one error type,
 * growable buffers, arenas, string slices, logging, the one clock, hashing
 * and randomness (libsodium). Depends on libc and libsodium only.
 */
#ifndef BW_BASE_H
#define BW_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

#define BW_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define BW_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors: one result type, returned everywhere ---- */
enum bw_err {
	BW_OK = 0,
	BW_EINVAL,     /* bad input; field names which */
	BW_ENOTFOUND,
	BW_EFORBIDDEN,
	BW_ECONFLICT,  /* already exists, or changed under us */
	BW_ELIMIT,     /* input over a limit */
	BW_EAUTH,      /* not signed in, or bad credentials */
	BW_ELOCKED,    /* account locked for a while */
	BW_EDB,
	BW_EIO,
	BW_EINTERNAL,
};

struct bw_error {
	enum bw_err code;
	char field[64];    /* the offending input field, or "" */
	char msg[512];
};

/* Sets err (if not NULL) and returns code, so callers can `return bw_fail(...)`. */
enum bw_err bw_fail(struct bw_error *err, enum bw_err code, const char *field,
		    const char *fmt, ...) BW_PRINTF(4, 5);
const char *bw_err_name(enum bw_err code);  /* "invalid", "not_found", ... */
void bw_error_clear(struct bw_error *err);

/* ---- growable buffer; allocation failure aborts (nothing sane to do) ---- */
struct buf {
	char *p;
	size_t len, cap;
};
void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
/* inline: escapers and formatters call it for every character */
static inline void buf_putc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap)
		buf_reserve(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}
void buf_printf(struct buf *b, const char *fmt, ...) BW_PRINTF(2, 3);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_put_i64(struct buf *b, int64_t v);   /* decimal, without printf */
const char *buf_cstr(struct buf *b);   /* NUL-terminated view (not counted in len) */
char *buf_steal(struct buf *b);        /* caller frees; buffer is re-initialised */

/* ---- arena: many small allocations freed at once (per request, per job) ---- */
struct arena_block;
struct arena {
	struct arena_block *head;
	size_t total;
};
void arena_init(struct arena *a);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);      /* zeroed, 16-byte aligned */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) BW_PRINTF(2, 3);

/* ---- string slices ---- */
struct str {
	const char *p;
	size_t n;
};
#define STR(lit) ((struct str){ (lit), sizeof(lit) - 1 })
struct str str_c(const char *s);
bool str_eq(struct str a, struct str b);
bool str_eq_c(struct str a, const char *s);
bool str_case_eq_c(struct str a, const char *s);
bool str_starts(struct str a, const char *prefix);
struct str str_trim(struct str a);
/* Parses a whole decimal integer within [min,max]; false on anything else. */
bool str_to_i64(struct str s, int64_t min, int64_t max, int64_t *out);
bool bw_valid_utf8(const char *p, size_t n);
/* Code point cp (at most 0x10FFFF) written as UTF-8 at d; returns its length, 1 to 4. */
size_t bw_utf8_put(char *d, uint32_t cp);
/* A hex digit's value (either case), or -1. */
int bw_hexval(char c);
/* The four hex digits at p as a number; false if one is not a hex digit. */
bool bw_hex4(const char *p, uint32_t *out);
/* Whether JSON text nests objects and arrays at most max deep, checked on
 * the text before a parser spends stack and memory on it (strings are
 * skipped, so brackets inside them do not count). */
bool bw_json_depth_ok(const char *p, size_t n, int max);

/* ---- logging: one structured line per event to stderr ---- */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
void log_set_level(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...) BW_PRINTF(2, 3);
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* ---- time: the one clock, UTC seconds. Test builds honour BULWARK_TEST_CLOCK
 * (a file holding an offset in seconds added to the real clock) so lock-outs
 * and time-outs are tested without waiting. ---- */
int64_t bw_now(void);
int64_t bw_now_ms(void);        /* real monotonic-ish wall clock in ms, for durations */
/* "2026-11-29T22:40:25Z" */
void bw_time_iso(int64_t t, char out[32]);
/* Europe/London display: "29 Nov 2026 22:40 GMT" / "... BST" */
void bw_time_london(int64_t t, char out[48]);
int bw_london_offset(int64_t t);  /* 0 or 3600 */

/* ---- crypto helpers (libsodium) ---- */
int bw_crypto_init(void);
void bw_random(void *p, size_t n);
void bw_sha256(const void *p, size_t n, uint8_t out[32]);
void bw_hex(const uint8_t *p, size_t n, char *out); /* out has 2n+1 bytes */
bool bw_unhex(const char *hex, uint8_t *out, size_t n);
/* URL-safe base64 without padding of n random bytes; out has room for 2n+1. */
void bw_random_token(size_t nbytes, char *out);
bool bw_ct_eq(const void *a, const void *b, size_t n);

#endif

/*
 * csv: a streaming RFC 4180 reader with limits. Reads one record at a time
 * from a file (plain or gzip, through zlib), a FILE* or memory. Quoted fields
 * may hold commas, doubled quotes and line breaks; lines end in LF, CRLF or a
 * lone CR; a UTF-8 byte-order mark at the start is skipped; blank lines are
 * skipped; the last record needs no final newline. Bytes are passed through
 * as they are (ODS files are Latin-1 or UTF-8): csv_field_utf8() converts.
 * Every error names the line it was found on. Depends on base and zlib.
 */
#ifndef BW_CSV_H
#define BW_CSV_H

#include <stdio.h>

#include "base.h"

#define CSV_MAX_FIELDS_DEFAULT    64
#define CSV_MAX_FIELD_LEN_DEFAULT 4096

struct csv_limits {
	size_t max_fields;     /* per record; more is an error */
	size_t max_field_len;  /* bytes per field after unquoting; more is an error */
};

struct csv_reader;  /* opaque */

/* Results of csv_next(), in the manner of db_step(). */
enum { CSV_ERR = -1, CSV_EOF = 0, CSV_ROW = 1 };

/* lim may be NULL for the defaults above. */
enum bw_err csv_open_path(struct csv_reader **r, const char *path,
			  const struct csv_limits *lim, struct bw_error *err);
/* Reads fp from its current position; fp stays the caller's to close. */
enum bw_err csv_open_fp(struct csv_reader **r, FILE *fp, const char *name,
			const struct csv_limits *lim, struct bw_error *err);
/* Reads p[0..n); the memory must outlive the reader. */
enum bw_err csv_open_mem(struct csv_reader **r, const void *p, size_t n,
			 const char *name, const struct csv_limits *lim,
			 struct bw_error *err);
void csv_close(struct csv_reader *r);

/* CSV_ROW with the next record loaded, CSV_EOF at the end, CSV_ERR with err
 * set ("NAME line N: ..."). After CSV_ERR the reader stays failed. */
int csv_next(struct csv_reader *r, struct bw_error *err);

size_t csv_nfields(const struct csv_reader *r);
/* Field i of the current record; an empty slice (p never NULL) past the end.
 * Valid until the next csv_next(). */
struct str csv_field(const struct csv_reader *r, size_t i);
/* The same, NUL-terminated ("" past the end). Fields never contain NUL. */
const char *csv_field_c(const struct csv_reader *r, size_t i);
/* Physical line (from 1) on which the current record starts. */
long csv_line(const struct csv_reader *r);

/* Appends field i to out as UTF-8: valid UTF-8 is copied, anything else is
 * read as Latin-1. Returns out's NUL-terminated text. */
const char *csv_field_utf8(const struct csv_reader *r, size_t i, struct buf *out);

#endif

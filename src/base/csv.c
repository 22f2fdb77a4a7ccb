/*
 * csv: the streaming RFC 4180 reader (see csv.h). One byte at a time from a
 * 64 KiB input buffer into one growable record buffer, so memory stays
 * bounded by the limits whatever the input. Files always go through zlib's
 * gzread, which reads plain files unchanged, so .gz needs no special case.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "csv.h"

#define CSV_IBUF (64 * 1024)
/* Hard ceilings on caller-supplied limits, so a typo cannot ask for gigabytes. */
#define CSV_FIELDS_CEIL  100000
#define CSV_FIELD_CEIL   (64 * 1024 * 1024)

enum { SRC_MEM, SRC_FP, SRC_GZ };
enum { CH_EOF = -1, CH_IOERR = -2 };

struct csv_reader {
	int kind;
	const unsigned char *mem;   /* SRC_MEM: the caller's bytes */
	size_t memlen, mempos;
	FILE *fp;
	gzFile gz;
	unsigned char *ibuf;        /* SRC_FP, SRC_GZ */
	size_t ilen, ipos;
	bool ieof;
	int back[4];                /* bytes pushed back, last in first out */
	int nback;
	char name[160];
	struct csv_limits lim;
	struct buf rec;             /* the record's fields, each NUL-terminated */
	size_t *off;                /* field i is rec.p[off[i] .. off[i+1]-1) */
	size_t nf;
	long line;                  /* physical line being read */
	long rec_line;
	bool started, failed;
	char ioerr[128];
};

static enum bw_err reader_new(struct csv_reader **out, int kind, const char *name,
			      const struct csv_limits *lim, struct bw_error *err)
{
	struct csv_reader *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	r->kind = kind;
	snprintf(r->name, sizeof r->name, "%s", name ? name : "input");
	r->lim.max_fields = lim && lim->max_fields ? lim->max_fields : CSV_MAX_FIELDS_DEFAULT;
	r->lim.max_field_len = lim && lim->max_field_len ? lim->max_field_len
							  : CSV_MAX_FIELD_LEN_DEFAULT;
	if (r->lim.max_fields > CSV_FIELDS_CEIL || r->lim.max_field_len > CSV_FIELD_CEIL) {
		free(r);
		return bw_fail(err, BW_EINVAL, "limits", "%s: CSV limits above the ceiling "
			       "(%d fields, %d bytes per field)", name ? name : "input",
			       CSV_FIELDS_CEIL, CSV_FIELD_CEIL);
	}
	r->off = calloc(r->lim.max_fields + 1, sizeof *r->off);
	if (!r->off)
		abort();
	if (kind != SRC_MEM) {
		r->ibuf = malloc(CSV_IBUF);
		if (!r->ibuf)
			abort();
	}
	buf_init(&r->rec);
	r->line = 1;
	*out = r;
	return BW_OK;
}

enum bw_err csv_open_path(struct csv_reader **r, const char *path,
			  const struct csv_limits *lim, struct bw_error *err)
{
	*r = NULL;
	errno = 0;
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return bw_fail(err, errno == ENOENT ? BW_ENOTFOUND : BW_EIO, "path",
			       "%s: cannot open: %s", path,
			       errno ? strerror(errno) : "out of memory");
	enum bw_err e = reader_new(r, SRC_GZ, path, lim, err);
	if (e) {
		gzclose(gz);
		return e;
	}
	(*r)->gz = gz;
	return BW_OK;
}

enum bw_err csv_open_fp(struct csv_reader **r, FILE *fp, const char *name,
			const struct csv_limits *lim, struct bw_error *err)
{
	*r = NULL;
	enum bw_err e = reader_new(r, SRC_FP, name, lim, err);
	if (e)
		return e;
	(*r)->fp = fp;
	return BW_OK;
}

enum bw_err csv_open_mem(struct csv_reader **r, const void *p, size_t n,
			 const char *name, const struct csv_limits *lim,
			 struct bw_error *err)
{
	*r = NULL;
	enum bw_err e = reader_new(r, SRC_MEM, name, lim, err);
	if (e)
		return e;
	(*r)->mem = p;
	(*r)->memlen = p ? n : 0;
	return BW_OK;
}

void csv_close(struct csv_reader *r)
{
	if (!r)
		return;
	if (r->gz)
		gzclose(r->gz);
	buf_free(&r->rec);
	free(r->off);
	free(r->ibuf);
	free(r);
}

static bool refill(struct csv_reader *r)
{
	if (r->ieof)
		return false;
	r->ipos = 0;
	r->ilen = 0;
	if (r->kind == SRC_FP) {
		size_t n = fread(r->ibuf, 1, CSV_IBUF, r->fp);
		if (n == 0) {
			r->ieof = true;
			if (ferror(r->fp))
				snprintf(r->ioerr, sizeof r->ioerr, "read error");
			return false;
		}
		r->ilen = n;
		return true;
	}
	int n = gzread(r->gz, r->ibuf, CSV_IBUF);
	if (n <= 0) {
		r->ieof = true;
		int zerr = Z_OK;
		const char *msg = gzerror(r->gz, &zerr);
		/* Z_BUF_ERROR is a gzip stream cut short: an error, not an end. */
		if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END))
			snprintf(r->ioerr, sizeof r->ioerr, "%s",
				 zerr == Z_ERRNO ? strerror(errno) : msg);
		return false;
	}
	r->ilen = (size_t)n;
	return true;
}

static int next_byte(struct csv_reader *r)
{
	if (r->nback)
		return r->back[--r->nback];
	if (r->kind == SRC_MEM)
		return r->mempos < r->memlen ? r->mem[r->mempos++] : CH_EOF;
	if (r->ipos == r->ilen && !refill(r))
		return r->ioerr[0] ? CH_IOERR : CH_EOF;
	return r->ibuf[r->ipos++];
}

static void unget_byte(struct csv_reader *r, int c)
{
	if (r->nback < (int)BW_NELEM(r->back))
		r->back[r->nback++] = c;
}

static int fail(struct csv_reader *r, struct bw_error *err, enum bw_err code,
		long line, const char *what)
{
	r->failed = true;
	bw_fail(err, code, "line", "%s line %ld: %s", r->name, line, what);
	return CSV_ERR;
}

static int fail_io(struct csv_reader *r, struct bw_error *err)
{
	r->failed = true;
	bw_fail(err, BW_EIO, "path", "%s line %ld: cannot read: %s", r->name, r->line,
		r->ioerr);
	return CSV_ERR;
}

/* Adds one byte to the field being built; false (with err set) over a limit. */
static bool field_add(struct csv_reader *r, int c, struct bw_error *err)
{
	if (c == 0) {
		fail(r, err, BW_EINVAL, r->line, "NUL byte in the data");
		return false;
	}
	size_t len = r->rec.len - r->off[r->nf - 1];
	if (len >= r->lim.max_field_len) {
		char what[128];
		snprintf(what, sizeof what, "field %zu is longer than %zu bytes", r->nf,
			 r->lim.max_field_len);
		fail(r, err, BW_ELIMIT, r->line, what);
		return false;
	}
	buf_putc(&r->rec, (char)c);
	return true;
}

static bool field_begin(struct csv_reader *r, struct bw_error *err)
{
	if (r->nf == r->lim.max_fields) {
		char what[96];
		snprintf(what, sizeof what, "more than %zu fields", r->lim.max_fields);
		fail(r, err, BW_ELIMIT, r->line, what);
		return false;
	}
	r->off[r->nf++] = r->rec.len;
	return true;
}

static void field_end(struct csv_reader *r)
{
	buf_putc(&r->rec, 0);
	r->off[r->nf] = r->rec.len;
}

/* Reads a quoted field whose opening quote was just consumed; returns the
 * byte after the closing quote, or QUOTED_FAILED with err set. */
#define QUOTED_FAILED (CH_EOF - 20)
static int read_quoted(struct csv_reader *r, struct bw_error *err)
{
	long opened = r->line;
	for (;;) {
		int c = next_byte(r);
		if (c == CH_IOERR) {
			fail_io(r, err);
			return QUOTED_FAILED;
		}
		if (c == CH_EOF) {
			fail(r, err, BW_EINVAL, opened,
			     "quoted field is not closed before the end of the input");
			return QUOTED_FAILED;
		}
		if (c == '"') {
			int d = next_byte(r);
			if (d != '"')
				return d;
		} else if (c == '\n') {
			r->line++;
		} else if (c == '\r') {
			int d = next_byte(r);
			if (d == '\n') {
				if (!field_add(r, c, err))
					return QUOTED_FAILED;
				c = d;
			} else {
				unget_byte(r, d);
			}
			r->line++;
		}
		if (!field_add(r, c, err))
			return QUOTED_FAILED;
	}
}

int csv_next(struct csv_reader *r, struct bw_error *err)
{
	if (r->failed) {
		bw_fail(err, BW_EINVAL, "line", "%s: reader stopped at an earlier error", r->name);
		return CSV_ERR;
	}
	buf_reset(&r->rec);
	r->nf = 0;
	r->off[0] = 0;
	int c = next_byte(r);
	if (!r->started) {
		r->started = true;
		/* A UTF-8 byte-order mark belongs to the file, not the first field. */
		if (c == 0xEF) {
			int b = next_byte(r);
			int d = b == 0xBB ? next_byte(r) : CH_EOF;
			if (b == 0xBB && d == 0xBF) {
				c = next_byte(r);
			} else {
				/* Latin-1 text may start with 0xEF: give the bytes back. */
				if (b == 0xBB)
					unget_byte(r, d);
				unget_byte(r, b);
			}
		}
	}
	/* Blank lines carry no record. */
	while (c == '\n' || c == '\r') {
		if (c == '\r') {
			int d = next_byte(r);
			if (d != '\n')
				unget_byte(r, d);
		}
		r->line++;
		c = next_byte(r);
	}
	if (c == CH_IOERR)
		return fail_io(r, err);
	if (c == CH_EOF)
		return CSV_EOF;
	r->rec_line = r->line;
	for (;;) {
		if (!field_begin(r, err))
			return CSV_ERR;
		if (c == '"') {
			c = read_quoted(r, err);
			if (c == QUOTED_FAILED)
				return CSV_ERR;
			if (c != ',' && c != '\n' && c != '\r' && c != CH_EOF) {
				if (c == CH_IOERR)
					return fail_io(r, err);
				return fail(r, err, BW_EINVAL, r->line,
					    "unexpected character after a closing quote");
			}
		} else {
			/* A quote inside an unquoted field is kept as it is: real
			 * exports do this and there is no other sensible reading. */
			while (c != ',' && c != '\n' && c != '\r' && c != CH_EOF) {
				if (c == CH_IOERR)
					return fail_io(r, err);
				if (!field_add(r, c, err))
					return CSV_ERR;
				c = next_byte(r);
			}
		}
		field_end(r);
		if (c == ',') {
			c = next_byte(r);
			continue;
		}
		if (c == '\r') {
			int d = next_byte(r);
			if (d != '\n')
				unget_byte(r, d);
		}
		if (c != CH_EOF)
			r->line++;
		return CSV_ROW;
	}
}

size_t csv_nfields(const struct csv_reader *r)
{
	return r->nf;
}

const char *csv_field_c(const struct csv_reader *r, size_t i)
{
	if (i >= r->nf)
		return "";
	return r->rec.p + r->off[i];
}

struct str csv_field(const struct csv_reader *r, size_t i)
{
	if (i >= r->nf)
		return (struct str){ "", 0 };
	return (struct str){ r->rec.p + r->off[i], r->off[i + 1] - r->off[i] - 1 };
}

long csv_line(const struct csv_reader *r)
{
	return r->rec_line;
}

const char *csv_field_utf8(const struct csv_reader *r, size_t i, struct buf *out)
{
	struct str f = csv_field(r, i);
	if (bw_valid_utf8(f.p, f.n)) {
		buf_add(out, f.p, f.n);
		return buf_cstr(out);
	}
	for (size_t k = 0; k < f.n; k++) {
		unsigned char c = (unsigned char)f.p[k];
		if (c < 0x80) {
			buf_putc(out, (char)c);
		} else {
			buf_putc(out, (char)(0xC0 | (c >> 6)));
			buf_putc(out, (char)(0x80 | (c & 0x3F)));
		}
	}
	return buf_cstr(out);
}

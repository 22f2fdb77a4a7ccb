/*
 * archive: zip archives (libarchive) and folders read entry by entry, so a
 * 124 MB corpus never sits in memory at once. An archive comes from the
 * outside world, so every limit is checked as the bytes arrive rather than
 * trusted from headers: names that leave the archive, too many entries,
 * too many bytes in all, and entries that inflate far beyond what they
 * took from the file (a zip bomb) refuse the whole archive; an entry that
 * is merely too big is skipped with its reason.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "feeds/feeds_int.h"

#define NAME_MAX_BYTES 1024
#define DIR_DEPTH_MAX  16
#define BOMB_MIN_BYTES (1024 * 1024)  /* below this, ratios of tiny entries mean nothing */

/* An entry name must stay inside the archive: not absolute, no ".."
 * segment (either separator), printable. */
static const char *name_problem(const char *name)
{
	if (!name || !*name)
		return "has no name";
	if (strlen(name) > NAME_MAX_BYTES)
		return "has a name longer than 1024 bytes";
	if (name[0] == '/' || name[0] == '\\' || (name[0] && name[1] == ':'))
		return "has an absolute path";
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20)
			return "has a control character in its name";
	const char *seg = name;
	for (const char *p = name;; p++) {
		if (*p == '/' || *p == '\\' || *p == 0) {
			if (p - seg == 2 && seg[0] == '.' && seg[1] == '.')
				return "leaves the archive folder (\"..\" in its path)";
			if (!*p)
				break;
			seg = p + 1;
		}
	}
	return NULL;
}

struct walk_state {
	const struct feeds_walk *w;
	size_t entries;
	int64_t total;
	size_t max;
	struct buf data;
};

static enum bw_err zip_walk(struct archive *ar, struct walk_state *s, struct bw_error *err)
{
	struct archive_entry *ent;
	enum bw_err rc = BW_OK;
	char chunk[65536];
	for (;;) {
		int r = archive_read_next_header(ar, &ent);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return bw_fail(err, BW_EINVAL, "archive", "not a readable zip archive: %s",
				       archive_error_string(ar) ? archive_error_string(ar) : "unknown format");
		const char *name = archive_entry_pathname(ent);
		const char *bad = name_problem(name);
		if (bad)
			return bw_fail(err, BW_EINVAL, "archive", "archive refused: entry \"%.200s\" %s",
				       name ? name : "", bad);
		if (++s->entries > FEEDS_LIM_ENTRIES)
			return bw_fail(err, BW_ELIMIT, "archive", "archive refused: more than %d entries",
				       FEEDS_LIM_ENTRIES);
		if (archive_entry_filetype(ent) != AE_IFREG)
			continue;   /* folders; links are never followed */
		if (s->w->want && !s->w->want(s->w->ctx, name))
			continue;
		int64_t c0 = archive_filter_bytes(ar, -1);
		buf_reset(&s->data);
		bool over = false;
		for (;;) {
			la_ssize_t got = archive_read_data(ar, chunk, sizeof chunk);
			if (got < 0)
				return bw_fail(err, BW_EINVAL, "archive", "archive refused: entry \"%.200s\" cannot be read: %s",
					       name, archive_error_string(ar) ? archive_error_string(ar) : "?");
			if (got == 0)
				break;
			s->total += got;
			if (s->total > FEEDS_LIM_TOTAL)
				return bw_fail(err, BW_ELIMIT, "archive",
					       "archive refused: more than %lld bytes uncompressed in all",
					       (long long)FEEDS_LIM_TOTAL);
			if (s->data.len + (size_t)got > s->max) {
				over = true;
				break;
			}
			buf_add(&s->data, chunk, (size_t)got);
		}
		if (over) {
			int64_t used = archive_filter_bytes(ar, -1) - c0;
			int64_t out = (int64_t)s->data.len + (int64_t)sizeof chunk;
			if (out >= BOMB_MIN_BYTES && out > (int64_t)FEEDS_LIM_RATIO * (used > 0 ? used : 1))
				return bw_fail(err, BW_ELIMIT, "archive",
					       "archive refused: entry \"%.200s\" inflates more than %d times (a zip bomb)",
					       name, FEEDS_LIM_RATIO);
			char why[128];
			snprintf(why, sizeof why, "larger than the limit of %zu bytes", s->max);
			if (s->w->skip)
				s->w->skip(s->w->ctx, name, why);
			continue;
		}
		rc = s->w->entry(s->w->ctx, name, buf_cstr(&s->data), s->data.len, err);
		if (rc != BW_OK)
			return rc;
	}
	return BW_OK;
}

static enum bw_err walk_archive(struct archive *ar, int opened, const char *what, const struct feeds_walk *w,
				struct bw_error *err)
{
	struct walk_state s = { .w = w, .max = w->max_entry ? w->max_entry : FEEDS_LIM_RECORD };
	buf_init(&s.data);
	enum bw_err rc;
	if (opened != ARCHIVE_OK)
		rc = bw_fail(err, BW_EIO, "archive", "cannot open %s: %s", what,
			     archive_error_string(ar) ? archive_error_string(ar) : "?");
	else
		rc = zip_walk(ar, &s, err);
	archive_read_free(ar);
	buf_free(&s.data);
	return rc;
}

enum bw_err feeds_walk_zip_mem(const void *p, size_t n, const struct feeds_walk *w, struct bw_error *err)
{
	struct archive *ar = archive_read_new();
	archive_read_support_format_zip(ar);
	return walk_archive(ar, archive_read_open_memory(ar, p, n), "archive", w, err);
}

static enum bw_err walk_zip_file(const char *path, const struct feeds_walk *w, struct bw_error *err)
{
	struct archive *ar = archive_read_new();
	archive_read_support_format_zip(ar);
	return walk_archive(ar, archive_read_open_filename(ar, path, 65536), path, w, err);
}

enum bw_err feeds_read_file(const char *path, size_t max, struct buf *out, struct bw_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return bw_fail(err, BW_EIO, "path", "cannot read %s: %s", path, strerror(errno));
	buf_reset(out);
	char chunk[65536];
	size_t got;
	enum bw_err rc = BW_OK;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (out->len + got > max) {
			rc = bw_fail(err, BW_ELIMIT, "path", "%s is larger than the limit of %zu bytes", path, max);
			break;
		}
		buf_add(out, chunk, got);
	}
	if (rc == BW_OK && ferror(f))
		rc = bw_fail(err, BW_EIO, "path", "cannot read %s", path);
	fclose(f);
	return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static enum bw_err walk_dir(const char *root, const char *rel, int depth, struct walk_state *s,
			    struct bw_error *err)
{
	if (depth > DIR_DEPTH_MAX)
		return bw_fail(err, BW_ELIMIT, "path", "folder %s nested deeper than %d levels", rel, DIR_DEPTH_MAX);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
	struct dirent **list;
	int n = scandir(dir, &list, NULL, by_name);
	if (n < 0)
		return bw_fail(err, BW_EIO, "path", "cannot read folder %s: %s", dir, strerror(errno));
	enum bw_err rc = BW_OK;
	for (int i = 0; i < n; i++) {
		const char *nm = list[i]->d_name;
		if (rc != BW_OK || nm[0] == '.')
			continue;   /* ".", "..", and hidden files such as .git */
		char name[4096], full[8192];
		snprintf(name, sizeof name, "%s%s%s", rel, *rel ? "/" : "", nm);
		snprintf(full, sizeof full, "%s/%s", root, name);
		struct stat st;
		if (lstat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			rc = walk_dir(root, name, depth + 1, s, err);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;   /* symbolic links are not followed */
		if (++s->entries > FEEDS_LIM_ENTRIES) {
			rc = bw_fail(err, BW_ELIMIT, "path", "folder refused: more than %d files", FEEDS_LIM_ENTRIES);
			continue;
		}
		if (s->w->want && !s->w->want(s->w->ctx, name))
			continue;
		if ((uint64_t)st.st_size > s->max) {
			char why[128];
			snprintf(why, sizeof why, "larger than the limit of %zu bytes", s->max);
			if (s->w->skip)
				s->w->skip(s->w->ctx, name, why);
			continue;
		}
		s->total += st.st_size;
		if (s->total > FEEDS_LIM_TOTAL) {
			rc = bw_fail(err, BW_ELIMIT, "path", "folder refused: more than %lld bytes in all",
				     (long long)FEEDS_LIM_TOTAL);
			continue;
		}
		struct bw_error e = { 0 };
		if (feeds_read_file(full, s->max, &s->data, &e) != BW_OK) {
			if (s->w->skip)
				s->w->skip(s->w->ctx, name, e.msg);
			continue;
		}
		rc = s->w->entry(s->w->ctx, name, buf_cstr(&s->data), s->data.len, err);
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return rc;
}

enum bw_err feeds_walk_path(const char *path, const struct feeds_walk *w, struct bw_error *err)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return bw_fail(err, BW_EIO, "path", "cannot read %s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		struct walk_state s = { .w = w, .max = w->max_entry ? w->max_entry : FEEDS_LIM_RECORD };
		buf_init(&s.data);
		enum bw_err rc = walk_dir(path, "", 0, &s, err);
		buf_free(&s.data);
		return rc;
	}
	if (!S_ISREG(st.st_mode))
		return bw_fail(err, BW_EINVAL, "path", "%s is neither a file nor a folder", path);
	char magic[4] = { 0 };
	FILE *f = fopen(path, "rb");
	if (!f)
		return bw_fail(err, BW_EIO, "path", "cannot read %s: %s", path, strerror(errno));
	size_t got = fread(magic, 1, 4, f);
	fclose(f);
	if (got == 4 && !memcmp(magic, "PK\3\4", 4))
		return walk_zip_file(path, w, err);
	if (got == 4 && !memcmp(magic, "PK\5\6", 4))
		return BW_OK;   /* an empty zip */
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t max = w->max_entry ? w->max_entry : FEEDS_LIM_RECORD;
	if (w->want && !w->want(w->ctx, base))
		return BW_OK;
	if ((uint64_t)st.st_size > max) {
		if (w->skip)
			w->skip(w->ctx, base, "larger than the record limit");
		return BW_OK;
	}
	struct buf b;
	buf_init(&b);
	enum bw_err rc = feeds_read_file(path, max, &b, err);
	if (rc == BW_OK)
		rc = w->entry(w->ctx, base, buf_cstr(&b), b.len, err);
	buf_free(&b);
	return rc;
}

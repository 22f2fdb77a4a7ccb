/*
 * csaf: CSAF 2.0 advisories, from a provider or from an archive.
 *
 * Provider: provider-metadata.json -> distributions[].rolie.feeds[] -> each
 * ROLIE feed's entries -> the advisory, its .sha512 and (when the source has
 * a key) its .asc. An entry whose "updated" time equals the stored one is
 * not fetched again. Documents found on the network may only point to
 * http(s) addresses; a provider-metadata.json read from a local path may
 * also point to local files (tests, mirrors).
 *
 * Archive (a zip or folder laid out like cisagov/CSAF's csaf_files/): every
 * advisory with the .sha512 (and .asc) beside it; ROLIE feed files in it
 * are recognised and passed over.
 *
 * Either way an advisory whose hash or signature does not match is refused,
 * naming the file; the stored version of it, if any, stays.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feeds/feeds_int.h"

#define META_MAX (4 * 1024 * 1024)
#define ROLIE_MAX (64 * 1024 * 1024)
#define SIDE_MAX (64 * 1024)         /* a .sha512 or .asc file */

/* Checks a .sha512 file ("<hex>  name" or just the hex) against data. */
static bool sha512_ok(const char *data, size_t n, const char *file, size_t fn)
{
	unsigned char h[crypto_hash_sha512_BYTES];
	crypto_hash_sha512(h, (const unsigned char *)data, n);
	char hex[2 * crypto_hash_sha512_BYTES + 1];
	bw_hex(h, sizeof h, hex);
	size_t i = 0;
	while (i < fn && (file[i] == ' ' || file[i] == '\n' || file[i] == '\r' || file[i] == '\t'))
		i++;
	if (fn - i < 128)
		return false;
	if (fn - i > 128 && file[i + 128] != ' ' && file[i + 128] != '\t' && file[i + 128] != '\n' &&
	    file[i + 128] != '\r' && file[i + 128] != '*')
		return false;
	return strncasecmp(file + i, hex, 128) == 0;
}

/* Hash, signature, record: one advisory's bytes checked and staged. */
static enum bw_err advisory(struct feeds_run *r, struct feeds_gpg *g, const char *key, const char *what,
			    const char *data, size_t n, const char *sha512, size_t sn, const char *asc, size_t an,
			    int64_t updated, struct bw_error *err)
{
	struct bw_error e = { 0 };
	if (!sha512) {
		feeds_run_refuse(r, key, "%s: no .sha512 hash file was found for it", what);
		return BW_OK;
	}
	if (!sha512_ok(data, n, sha512, sn)) {
		feeds_run_refuse(r, key, "%s: its SHA-512 hash does not match %s.sha512", what, what);
		return BW_OK;
	}
	if (g) {
		if (!asc) {
			feeds_run_refuse(r, key, "%s: no .asc signature was found, and this source's key requires one", what);
			return BW_OK;
		}
		if (feeds_gpg_verify(g, data, n, asc, an, &e) != BW_OK) {
			feeds_run_refuse(r, key, "%s: %s (%s.asc)", what, e.msg, what);
			return BW_OK;
		}
	}
	struct feeds_item it;
	if (feeds_record_read(feeds_run_arena(r), FEEDS_CSAF, key, data, n, &it, &e) != BW_OK) {
		feeds_run_refuse(r, key, "%s: %s", what, e.msg);
		return BW_OK;
	}
	if (updated)
		it.modified = updated;
	return feeds_run_stage(r, &it, err);
}

/* ---- provider mode ---- */

static const char *link_href(const json_t *entry, const char *rel)
{
	size_t i;
	const json_t *l;
	json_array_foreach(json_object_get(entry, "link"), i, l) {
		/* CISA's IT feed writes "ref" where ROLIE says "rel" */
		const char *r = json_string_value(json_object_get(l, "rel"));
		if (!r)
			r = json_string_value(json_object_get(l, "ref"));
		if (r && !strcmp(r, rel))
			return json_string_value(json_object_get(l, "href"));
	}
	return NULL;
}

static enum bw_err load_doc(struct feeds_http *h, const char *url, bool local, size_t max, json_t **out,
			    struct bw_error *err)
{
	struct buf b;
	buf_init(&b);
	*out = NULL;
	enum bw_err rc = feeds_get(h, url, local, max, &b, err);
	if (rc == BW_OK && !bw_json_depth_ok(b.p, b.len, FEEDS_LIM_DEPTH))
		rc = bw_fail(err, BW_ELIMIT, "url", "%.300s: JSON nested deeper than %d levels", url, FEEDS_LIM_DEPTH);
	if (rc == BW_OK) {
		json_error_t je;
		*out = json_loadb(buf_cstr(&b), b.len, 0, &je);
		if (!*out)
			rc = bw_fail(err, BW_EINVAL, "url", "%.300s: not valid JSON: %s", url, je.text);
	}
	buf_free(&b);
	return rc;
}

static enum bw_err rolie_feed(struct feeds_run *r, struct feeds_http *h, struct feeds_gpg *g, const char *url,
			      bool local, struct bw_error *err)
{
	json_t *feed;
	if (load_doc(h, url, local, ROLIE_MAX, &feed, err) != BW_OK)
		return err->code;
	const json_t *entries = json_object_get(json_object_get(feed, "feed"), "entry");
	if (!json_is_array(entries)) {
		json_decref(feed);
		return bw_fail(err, BW_EINVAL, "url", "%.300s: not a ROLIE feed (no feed.entry list)", url);
	}
	if (json_array_size(entries) > FEEDS_LIM_ENTRIES) {
		json_decref(feed);
		return bw_fail(err, BW_ELIMIT, "url", "%.300s: more than %d entries", url, FEEDS_LIM_ENTRIES);
	}
	enum bw_err rc = BW_OK;
	struct buf doc, side, sig;
	buf_init(&doc);
	buf_init(&side);
	buf_init(&sig);
	size_t i;
	const json_t *e;
	json_array_foreach(entries, i, e) {
		struct bw_error fe = { 0 };
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *src = json_string_value(json_object_get(json_object_get(e, "content"), "src"));
		if (!src)
			src = link_href(e, "self");
		char where[64];
		snprintf(where, sizeof where, "entry[%zu]", i);
		feeds_run_seen(r);
		if (!id || !*id || strlen(id) > 200 || !src) {
			feeds_run_refuse(r, where, "ROLIE entry without an id or an advisory address");
			feeds_run_unsure(r);
			continue;
		}
		int64_t updated = feeds_time_parse(json_string_value(json_object_get(e, "updated")));
		if (feeds_run_same_modified(r, id, updated))
			continue;
		char adv[FEEDS_LIM_LOCATION], hu[FEEDS_LIM_LOCATION], su[FEEDS_LIM_LOCATION];
		feeds_url_resolve(url, src, adv, sizeof adv);
		const char *name = strrchr(adv, '/') ? strrchr(adv, '/') + 1 : adv;
		if (feeds_get(h, adv, local, FEEDS_LIM_RECORD, &doc, &fe) != BW_OK) {
			feeds_run_refuse(r, id, "%s", fe.msg);
			continue;
		}
		char sha[65];
		feeds_sha256_hex(doc.p ? doc.p : "", doc.len, sha);
		if (feeds_run_unchanged(r, id, sha))
			continue;
		const char *hl = link_href(e, "hash");
		if (hl)
			feeds_url_resolve(url, hl, hu, sizeof hu);
		else
			snprintf(hu, sizeof hu, "%s.sha512", adv);
		bool have_hash = feeds_get(h, hu, local, SIDE_MAX, &side, &fe) == BW_OK;
		bool have_sig = false;
		if (g) {
			const char *sl = link_href(e, "signature");
			if (sl)
				feeds_url_resolve(url, sl, su, sizeof su);
			else
				snprintf(su, sizeof su, "%s.asc", adv);
			have_sig = feeds_get(h, su, local, SIDE_MAX, &sig, &fe) == BW_OK;
		}
		if (advisory(r, g, id, name, buf_cstr(&doc), doc.len, have_hash ? buf_cstr(&side) : NULL, side.len,
			     have_sig ? buf_cstr(&sig) : NULL, sig.len, updated, err) != BW_OK) {
			rc = err->code;
			break;
		}
	}
	buf_free(&doc);
	buf_free(&side);
	buf_free(&sig);
	json_decref(feed);
	return rc;
}

static enum bw_err provider(struct feeds_run *r, struct feeds_http *h, struct feeds_gpg *g, const char *url,
			    bool local, json_t *meta, struct bw_error *err)
{
	const json_t *dists = json_object_get(meta, "distributions");
	if (!json_is_array(dists))
		return bw_fail(err, BW_EINVAL, "location", "%.300s: not a CSAF provider-metadata.json (no distributions)", url);
	size_t nfeeds = 0, i, k;
	const json_t *d, *f;
	json_array_foreach(dists, i, d) {
		json_array_foreach(json_object_get(json_object_get(d, "rolie"), "feeds"), k, f) {
			const char *fu = json_string_value(json_object_get(f, "url"));
			if (!fu)
				continue;
			if (++nfeeds > FEEDS_LIM_CSAF_FEEDS)
				return bw_fail(err, BW_ELIMIT, "location", "more than %d ROLIE feeds", FEEDS_LIM_CSAF_FEEDS);
			char abs[FEEDS_LIM_LOCATION];
			feeds_url_resolve(url, fu, abs, sizeof abs);
			if (rolie_feed(r, h, g, abs, local, err) != BW_OK)
				return err->code;
		}
	}
	if (!nfeeds)
		return bw_fail(err, BW_EINVAL, "location",
			       "%.300s: the provider lists no ROLIE feed (directory-only distributions are not read)", url);
	return BW_OK;
}

/* ---- archive mode ---- */

struct side_file {
	char *name;
	char *data;
	size_t n;
};

struct arch {
	struct feeds_run *r;
	struct feeds_gpg *g;
	struct side_file *side;
	size_t nside, cap;
	bool sorted;
};

static bool ends(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n > k && !strcmp(s + n - k, suf);
}

static bool want_side(void *ctx, const char *name)
{
	struct arch *a = ctx;
	return ends(name, ".json.sha512") || (a->g && ends(name, ".json.asc"));
}

static enum bw_err keep_side(void *ctx, const char *name, const char *p, size_t n, struct bw_error *err)
{
	(void)err;
	struct arch *a = ctx;
	if (a->nside == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		struct side_file *s = realloc(a->side, a->cap * sizeof *s);
		if (!s)
			abort();
		a->side = s;
	}
	struct side_file *s = &a->side[a->nside++];
	s->name = strdup(name);
	s->data = malloc(n + 1);
	if (!s->name || !s->data)
		abort();
	memcpy(s->data, p, n);
	s->data[n] = 0;
	s->n = n;
	return BW_OK;
}

static int side_cmp(const void *x, const void *y)
{
	return strcmp(((const struct side_file *)x)->name, ((const struct side_file *)y)->name);
}

static const struct side_file *side_find(struct arch *a, const char *name, const char *suffix)
{
	char key[2048];
	snprintf(key, sizeof key, "%s%s", name, suffix);
	struct side_file k = { .name = key };
	return a->nside ? bsearch(&k, a->side, a->nside, sizeof *a->side, side_cmp) : NULL;
}

static void skip_side(void *ctx, const char *name, const char *reason)
{
	struct arch *a = ctx;
	feeds_run_refuse(a->r, name, "%s", reason);
}

static bool want_advisory(void *ctx, const char *name)
{
	(void)ctx;
	return ends(name, ".json");
}

static enum bw_err arch_advisory(void *ctx, const char *name, const char *p, size_t n, struct bw_error *err)
{
	struct arch *a = ctx;
	struct feeds_run *r = a->r;
	char sha[65];
	feeds_sha256_hex(p, n, sha);
	const struct side_file *h = side_find(a, name, ".sha512");
	if (!h) {
		/* ROLIE feeds and other JSON beside the advisories are not records */
		json_t *j = NULL;
		struct bw_error e = { 0 };
		if (feeds_json_load(p, n, &j, &e) == BW_OK && json_object_get(j, "feed") && !json_object_get(j, "document")) {
			json_decref(j);
			return BW_OK;
		}
		json_decref(j);
	}
	feeds_run_seen(r);
	if (feeds_run_unchanged(r, name, sha))
		return BW_OK;
	const struct side_file *s = a->g ? side_find(a, name, ".asc") : NULL;
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	return advisory(r, a->g, name, base, p, n, h ? h->data : NULL, h ? h->n : 0, s ? s->data : NULL, s ? s->n : 0, 0,
			err);
}

static enum bw_err archive_import(struct feeds_run *r, struct feeds_gpg *g, const char *path, struct bw_error *err)
{
	struct arch a = { .r = r, .g = g };
	struct feeds_walk w1 = { &a, want_side, keep_side, skip_side, SIDE_MAX };
	enum bw_err rc = feeds_walk_path(path, &w1, err);
	if (rc == BW_OK) {
		qsort(a.side, a.nside, sizeof *a.side, side_cmp);
		struct feeds_walk w2 = { &a, want_advisory, arch_advisory, skip_side, 0 };
		rc = feeds_walk_path(path, &w2, err);
	}
	for (size_t i = 0; i < a.nside; i++) {
		free(a.side[i].name);
		free(a.side[i].data);
	}
	free(a.side);
	return rc;
}

enum bw_err feeds_csaf_import(struct feeds_run *r, struct feeds_http *h, struct feeds_gpg *g, const char *location,
			      struct bw_error *err)
{
	bool local = !feeds_is_url(location);
	if (local) {
		/* a zip or a folder of advisories, or a local provider-metadata.json */
		size_t n = strlen(location);
		bool meta = n > 5 && !strcmp(location + n - 5, ".json");
		if (!meta)
			return archive_import(r, g, location, err);
	}
	json_t *doc;
	if (load_doc(h, location, local, META_MAX, &doc, err) != BW_OK)
		return err->code;
	enum bw_err rc = provider(r, h, g, location, local, doc, err);
	json_decref(doc);
	return rc;
}

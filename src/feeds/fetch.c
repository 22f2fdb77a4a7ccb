/*
 * fetch: getting feed files. http(s) URLs through libcurl — conditional
 * requests (ETag, Last-Modified) so an unchanged feed costs one 304, time
 * limits, a size limit counted on the decoded bytes (so a gzip bomb stops
 * at the limit too), redirects only to http(s) — and local paths read
 * directly. One handle per sync keeps the connection alive across the
 * thousands of small CSAF requests.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feeds/feeds_int.h"

struct feeds_http {
	CURL *c;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_start(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct feeds_http *feeds_http_new(void)
{
	pthread_once(&curl_once, curl_start);
	struct feeds_http *h = calloc(1, sizeof *h);
	if (!h)
		abort();
	h->c = curl_easy_init();
	return h;
}

void feeds_http_free(struct feeds_http *h)
{
	if (!h)
		return;
	if (h->c)
		curl_easy_cleanup(h->c);
	free(h);
}

bool feeds_is_url(const char *s)
{
	return s && (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8));
}

void feeds_url_resolve(const char *base, const char *ref, char *out, size_t n)
{
	if (feeds_is_url(ref) || !strncmp(ref, "file://", 7) || !base) {
		snprintf(out, n, "%s", ref);
		return;
	}
	if (ref[0] == '/') {
		/* same scheme and host as base */
		const char *host = strstr(base, "://");
		const char *path = host ? strchr(host + 3, '/') : NULL;
		if (host && path)
			snprintf(out, n, "%.*s%s", (int)(path - base), base, ref);
		else
			snprintf(out, n, "%s", ref);
		return;
	}
	const char *slash = strrchr(base, '/');
	if (slash)
		snprintf(out, n, "%.*s/%s", (int)(slash - base), base, ref);
	else
		snprintf(out, n, "%s", ref);
}

struct sink {
	FILE *f;              /* download to a file ... */
	struct buf *b;        /* ... or to memory */
	int64_t got, max;
	bool over;
	char etag[256], lm[128];
};

static size_t on_data(char *p, size_t sz, size_t nm, void *ud)
{
	struct sink *s = ud;
	size_t n = sz * nm;
	if (s->got + (int64_t)n > s->max) {
		s->over = true;
		return 0;   /* curl stops with a write error */
	}
	s->got += (int64_t)n;
	if (s->f)
		return fwrite(p, 1, n, s->f);
	buf_add(s->b, p, n);
	return n;
}

static void header_value(const char *p, size_t n, const char *name, char *out, size_t cap)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(p, name, k) != 0)
		return;
	p += k, n -= k;
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	if (n < cap)
		snprintf(out, cap, "%.*s", (int)n, p);
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
	struct sink *s = ud;
	size_t n = sz * nm;
	header_value(p, n, "ETag:", s->etag, sizeof s->etag);
	header_value(p, n, "Last-Modified:", s->lm, sizeof s->lm);
	return n;
}

/* One GET; *status gets the HTTP status. */
static enum bw_err http_get(struct feeds_http *h, const char *url, const char *etag, const char *lm,
			    struct sink *s, long *status, struct bw_error *err)
{
	if (!h->c)
		return bw_fail(err, BW_EINTERNAL, "url", "no HTTP client");
	CURL *c = h->c;
	curl_easy_reset(c);
	struct curl_slist *hdr = NULL;
	char line[512];
	if (etag && *etag) {
		snprintf(line, sizeof line, "If-None-Match: %s", etag);
		hdr = curl_slist_append(hdr, line);
	}
	if (lm && *lm) {
		snprintf(line, sizeof line, "If-Modified-Since: %s", lm);
		hdr = curl_slist_append(hdr, line);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)FEEDS_FETCH_CONNECT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)FEEDS_FETCH_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);      /* stalled for a minute: give up */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Bulwark-feeds/1");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(hdr);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (s->over)
		return bw_fail(err, BW_ELIMIT, "url", "%s: larger than the limit of %lld bytes", url, (long long)s->max);
	if (rc != CURLE_OK)
		return bw_fail(err, BW_EIO, "url", "%s: %s", url, curl_easy_strerror(rc));
	if (*status != 200 && *status != 304)
		return bw_fail(err, BW_EIO, "url", "%s: the server answered HTTP %ld", url, *status);
	return BW_OK;
}

enum bw_err feeds_http_download(struct feeds_http *h, const char *url, const char *etag_in, const char *lm_in,
				char path[512], bool *not_modified, char etag_out[256], char lm_out[128],
				struct bw_error *err)
{
	*not_modified = false;
	const char *tmp = getenv("TMPDIR");
	snprintf(path, 512, "%s/bulwark-feed-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return bw_fail(err, BW_EIO, "url", "cannot make a temporary file: %s", strerror(errno));
	struct sink s = { .f = fdopen(fd, "wb"), .max = FEEDS_LIM_FILE };
	if (!s.f) {
		close(fd);
		unlink(path);
		return bw_fail(err, BW_EIO, "url", "cannot make a temporary file");
	}
	long status = 0;
	enum bw_err rc = http_get(h, url, etag_in, lm_in, &s, &status, err);
	if (fclose(s.f) != 0 && rc == BW_OK)
		rc = bw_fail(err, BW_EIO, "url", "cannot write the download of %s", url);
	if (rc == BW_OK && status == 304)
		*not_modified = true;
	if (rc != BW_OK || *not_modified) {
		unlink(path);
		path[0] = 0;
	}
	snprintf(etag_out, 256, "%s", s.etag);
	snprintf(lm_out, 128, "%s", s.lm);
	return rc;
}

enum bw_err feeds_get(struct feeds_http *h, const char *url, bool allow_local, size_t max, struct buf *out,
		      struct bw_error *err)
{
	buf_reset(out);
	if (feeds_is_url(url)) {
		struct sink s = { .b = out, .max = (int64_t)max };
		long status = 0;
		if (http_get(h, url, NULL, NULL, &s, &status, err) != BW_OK)
			return err->code;
		if (status != 200)
			return bw_fail(err, BW_EIO, "url", "%s: the server answered HTTP %ld", url, status);
		return BW_OK;
	}
	if (!allow_local)
		return bw_fail(err, BW_EINVAL, "url", "%.300s: only http and https addresses may be followed here", url);
	const char *path = !strncmp(url, "file://", 7) ? url + 7 : url;
	return feeds_read_file(path, max, out, err);
}

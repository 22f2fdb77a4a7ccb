/*
 * deliver_smtp: e-mail over SMTP with libcurl. One easy handle per batch,
 * so libcurl keeps the connection open from one message to the next (one
 * MAIL FROM / RCPT TO / DATA each, no reconnect). The Message-ID is the
 * delivery's idempotency key, so a message sent again after a crash can be
 * recognised as the same message. Replies: 5xx is permanent for that
 * recipient; 4xx and a server that cannot be reached are retried, and once
 * the server is unreachable the rest of the batch is not tried.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "alerts/outbox.h"

struct outbox_smtp {
	CURL *h;
	const struct outbox_config *cfg;
	bool down;              /* the server could not be reached this batch */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void outbox_curl_init(void)
{
	pthread_once(&curl_once, curl_init_once);
}

struct outbox_smtp *outbox_smtp_open(const struct outbox_config *cfg)
{
	outbox_curl_init();
	struct outbox_smtp *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->cfg = cfg;
	s->h = curl_easy_init();
	return s;
}

void outbox_smtp_close(struct outbox_smtp *s)
{
	if (!s)
		return;
	if (s->h)
		curl_easy_cleanup(s->h);
	free(s);
}

/* A header value: no CR or LF (header injection), at most max bytes, cut
 * on a UTF-8 boundary. */
static void header_text(struct buf *b, const char *s, size_t max)
{
	size_t n = 0;
	for (const char *p = s ? s : ""; *p && n < max; p++, n++)
		buf_putc(b, (*p == '\r' || *p == '\n' || *p == '\t') ? ' ' : *p);
	while (n == max && b->len > 0 && ((unsigned char)b->p[b->len - 1] & 0xc0) == 0x80)
		b->len--, n--;   /* drop a cut multi-byte tail */
	if (n == max && b->len > 0 && ((unsigned char)b->p[b->len - 1] & 0xc0) == 0xc0)
		b->len--;
}

static bool is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || (unsigned char)s[i] < 0x20)
			return false;
	return true;
}

/* RFC 2047: a subject with non-ASCII text as B-encoded words of at most 45
 * input bytes each (under 75 characters), split on UTF-8 boundaries and
 * folded onto continuation lines. */
static void subject_encoded(struct buf *out, const char *s, size_t n)
{
	if (is_ascii(s, n)) {
		buf_add(out, s, n);
		return;
	}
	size_t i = 0;
	bool first = true;
	while (i < n) {
		size_t take = n - i < 45 ? n - i : 45;
		while (i + take < n && take > 0 && ((unsigned char)s[i + take] & 0xc0) == 0x80)
			take--;
		char enc[128];
		sodium_bin2base64(enc, sizeof enc, (const unsigned char *)s + i, take, sodium_base64_VARIANT_ORIGINAL);
		buf_printf(out, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", enc);
		first = false;
		i += take;
	}
}

/* Body text: CRLF line ends, lines wrapped at spaces near 76 characters and
 * hard-broken before 900 bytes (RFC 5322 allows 998). */
static void body_text(struct buf *out, const char *s)
{
	size_t col = 0;
	const char *p = s ? s : "";
	while (*p) {
		if (*p == '\r') {
			p++;
			continue;
		}
		if (*p == '\n') {
			buf_puts(out, "\r\n");
			col = 0;
			p++;
			continue;
		}
		if (*p == ' ' && col >= 76) {
			buf_puts(out, "\r\n");
			col = 0;
			p++;
			continue;
		}
		if (col >= 900 && ((unsigned char)*p & 0xc0) != 0x80) {
			buf_puts(out, "\r\n");
			col = 0;
		}
		buf_putc(out, *p++);
		col++;
	}
	buf_puts(out, "\r\n");
}

static const char *type_label(const char *type)
{
	if (type && strcmp(type, "high_severity_alert") == 0)
		return "High-severity alert";
	if (type && strcmp(type, "bulletin") == 0)
		return "Bulletin";
	return "Alert";
}

void outbox_mail_render(const struct outbox_config *cfg, const struct outbox_item *it, int64_t now,
			struct buf *out)
{
	char date[64];
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	bool escalation = strncmp(it->reason, "esc", 3) == 0;
	const char *what = escalation ? "Overdue: " : strcmp(it->reason, "revised") == 0 ? "Updated: " :
			   strcmp(it->reason, "withdrawn") == 0 ? "Withdrawn: " : "";
	struct buf subj;
	buf_init(&subj);
	buf_printf(&subj, "%s%s %s: ", what, type_label(it->type), it->advisory_id);
	header_text(&subj, it->title, 200);

	buf_printf(out, "From: Bulwark alerts <%s>\r\n", cfg->mail_from);
	buf_puts(out, "To: <");
	header_text(out, it->recipient, OUTBOX_ADDRESS_MAX);
	buf_puts(out, ">\r\n");
	buf_puts(out, "Subject: ");
	subject_encoded(out, subj.p ? subj.p : "", subj.len);
	buf_puts(out, "\r\n");
	buf_printf(out, "Date: %s\r\n", date);
	buf_printf(out, "Message-ID: <%s@%s>\r\n", it->key, cfg->mail_host);
	buf_puts(out, "MIME-Version: 1.0\r\n"
		      "Content-Type: text/plain; charset=utf-8\r\n"
		      "Content-Transfer-Encoding: 8bit\r\n"
		      "Auto-Submitted: auto-generated\r\n");
	buf_printf(out, "X-Bulwark-Advisory: %s r%lld\r\n\r\n", it->advisory_id, (long long)it->revision);
	buf_free(&subj);

	struct buf body;
	buf_init(&body);
	if (escalation)
		buf_printf(&body, "This is a reminder: %s has not yet responded to this %s in time.\n\n",
			   it->org_name, type_label(it->type));
	if (strcmp(it->reason, "withdrawn") == 0)
		buf_puts(&body, "This advisory has been withdrawn: no further action is asked of you.\n\n");
	buf_printf(&body, "%s %s (revision %lld) for %s (%s)\n\n", type_label(it->type), it->advisory_id,
		   (long long)it->revision, it->org_name, it->org_code);
	buf_printf(&body, "%s\n\n", it->title);
	if (it->severity && *it->severity)
		buf_printf(&body, "Severity: %s\n\n", it->severity);
	if (it->summary && *it->summary)
		buf_printf(&body, "%s\n\n", it->summary);
	buf_printf(&body, "Read it and acknowledge it here:\n%s\n\n", it->link);
	buf_puts(&body, "You get this e-mail because you are an alert contact of your organisation in Bulwark.\n");
	body_text(out, buf_cstr(&body));
	buf_free(&body);
}

struct reader {
	const char *p;
	size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct reader *r = arg;
	size_t n = size * nmemb;
	if (n > r->left)
		n = r->left;
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return n;
}

void outbox_smtp_send(struct outbox_smtp *s, struct outbox_item *it)
{
	it->ok = it->permanent = false;
	if (!s || !s->h) {
		snprintf(it->error, sizeof it->error, "out of memory");
		return;
	}
	if (s->down) {
		snprintf(it->error, sizeof it->error, "not tried: the mail server could not be reached");
		return;
	}
	struct buf msg;
	buf_init(&msg);
	outbox_mail_render(s->cfg, it, bw_now(), &msg);
	char from[LIM_EMAIL + 3], rcpt[OUTBOX_ADDRESS_MAX + 3];
	snprintf(from, sizeof from, "<%s>", s->cfg->mail_from);
	snprintf(rcpt, sizeof rcpt, "<%s>", it->recipient);
	struct curl_slist *to = curl_slist_append(NULL, rcpt);
	struct reader rd = { msg.p, msg.len };
	CURL *h = s->h;
	curl_easy_setopt(h, CURLOPT_URL, s->cfg->smtp_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &rd);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
	CURLcode rc = curl_easy_perform(h);
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		it->ok = true;
	} else {
		snprintf(it->error, sizeof it->error, "SMTP: %s (reply %ld)", curl_easy_strerror(rc), code);
		if (code >= 500 && code < 600)
			it->permanent = true;
		else if (code == 0 || rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
			 rc == CURLE_OPERATION_TIMEDOUT)
			s->down = true;
	}
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(to);
	buf_free(&msg);
}

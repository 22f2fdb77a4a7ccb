/*
 * deliver_smtp: e-mail over SMTP with libcurl. Connections are kept open
 * from one message to the next (one MAIL FROM / RCPT TO / DATA each, no
 * reconnect). The Message-ID is the delivery's idempotency key, so a
 * message sent again after a crash can be recognised as the same message.
 * Replies: 5xx is permanent for that recipient; 4xx and a server that
 * cannot be reached are retried, and once the server is unreachable the
 * rest of the batch is not tried.
 *
 * A batch goes over a few connections at once (libcurl's multi interface),
 * because each message costs four round trips and one connection leaves
 * both ends idle most of the time. What keeps "at most one message sent
 * again per crash" is a turn: every message is sent up to the end of its
 * body, then holds before the final "." until it has the turn; the turn
 * passes on only once the previous message's outcome has been recorded.
 * So at any moment at most one message can be accepted by the server and
 * not yet marked sent.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "alerts/outbox.h"

/* One message in flight on one connection of a batch. */
struct smtp_slot {
	CURL *h;
	struct outbox_item *it;     /* NULL when the slot is free */
	size_t order;               /* the item's place in the batch: turns go in this order */
	struct buf msg;
	size_t off;
	struct curl_slist *rcpt;
	char from[LIM_EMAIL + 3], to[OUTBOX_ADDRESS_MAX + 3];
	bool at_end;                /* the whole body is out; waiting for the turn to end it */
	bool may_end;               /* has the turn */
};

struct outbox_smtp {
	const struct outbox_config *cfg;
	bool down;              /* the server could not be reached this batch */
	CURLM *multi;
	struct smtp_slot slots[OUTBOX_SMTP_CONNS];
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
	return s;
}

void outbox_smtp_close(struct outbox_smtp *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < OUTBOX_SMTP_CONNS; i++) {
		struct smtp_slot *sl = &s->slots[i];
		if (sl->h) {
			if (s->multi && sl->it)
				curl_multi_remove_handle(s->multi, sl->h);
			curl_easy_cleanup(sl->h);
		}
		curl_slist_free_all(sl->rcpt);
		buf_free(&sl->msg);
	}
	if (s->multi)
		curl_multi_cleanup(s->multi);
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

/* The item's outcome from libcurl's result and the server's last reply. */
static void smtp_outcome(struct outbox_smtp *s, struct outbox_item *it, CURL *h, CURLcode rc)
{
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		it->ok = true;
		return;
	}
	snprintf(it->error, sizeof it->error, "SMTP: %s (reply %ld)", curl_easy_strerror(rc), code);
	if (code >= 500 && code < 600)
		it->permanent = true;
	else if (code == 0 || rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
		 rc == CURLE_OPERATION_TIMEDOUT)
		s->down = true;
}

/* The body, then a pause before the end until the slot has the turn:
 * libcurl sends the final "." only once this returns 0. */
static size_t slot_read(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct smtp_slot *sl = arg;
	size_t n = size * nmemb;
	if (sl->off < sl->msg.len) {
		if (n > sl->msg.len - sl->off)
			n = sl->msg.len - sl->off;
		memcpy(dst, sl->msg.p + sl->off, n);
		sl->off += n;
		return n;
	}
	if (sl->may_end)
		return 0;
	sl->at_end = true;
	return CURL_READFUNC_PAUSE;
}

/* Starts the item on a free slot; false when it could not be started (its
 * outcome is then set). */
static bool slot_start(struct outbox_smtp *s, struct smtp_slot *sl, struct outbox_item *it, size_t order)
{
	it->ok = it->permanent = false;
	if (!sl->h)
		sl->h = curl_easy_init();
	if (!sl->h) {
		snprintf(it->error, sizeof it->error, "out of memory");
		return false;
	}
	sl->it = it;
	sl->order = order;
	sl->off = 0;
	sl->at_end = sl->may_end = false;
	sl->msg.len = 0;
	outbox_mail_render(s->cfg, it, bw_now(), &sl->msg);
	snprintf(sl->from, sizeof sl->from, "<%s>", s->cfg->mail_from);
	snprintf(sl->to, sizeof sl->to, "<%s>", it->recipient);
	curl_slist_free_all(sl->rcpt);
	sl->rcpt = curl_slist_append(NULL, sl->to);
	CURL *h = sl->h;
	curl_easy_setopt(h, CURLOPT_URL, s->cfg->smtp_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, sl->from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, sl->rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, slot_read);
	curl_easy_setopt(h, CURLOPT_READDATA, sl);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	/* no size given: libcurl must ask for the end, which is where we hold */
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)-1);
	if (!sl->rcpt || curl_multi_add_handle(s->multi, h) != CURLM_OK) {
		snprintf(it->error, sizeof it->error, "out of memory");
		sl->it = NULL;
		return false;
	}
	return true;
}

/* Gives the turn to the earliest message waiting at its end, if no message
 * holds it. */
static void turn_pass(struct outbox_smtp *s, int *turn)
{
	if (*turn >= 0)
		return;
	int best = -1;
	for (int i = 0; i < OUTBOX_SMTP_CONNS; i++) {
		struct smtp_slot *sl = &s->slots[i];
		if (sl->it && sl->at_end && !sl->may_end && (best < 0 || sl->order < s->slots[best].order))
			best = i;
	}
	if (best < 0)
		return;
	*turn = best;
	s->slots[best].may_end = true;
	curl_easy_pause(s->slots[best].h, CURLPAUSE_CONT);
}

bool outbox_smtp_send_batch(struct outbox_smtp *s, struct outbox_item **items, size_t n,
			    bool (*record)(struct outbox_item *it, void *arg), void *arg)
{
	if (n == 0)
		return true;
	if (s && !s->multi) {
		s->multi = curl_multi_init();
		if (s->multi)
			curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)OUTBOX_SMTP_CONNS);
	}
	if (!s || !s->multi) {
		for (size_t i = 0; i < n; i++) {
			items[i]->ok = items[i]->permanent = false;
			snprintf(items[i]->error, sizeof items[i]->error, "out of memory");
			if (!record(items[i], arg))
				return false;
		}
		return true;
	}
	size_t next = 0, active = 0;
	int turn = -1;
	bool ok = true;
	while (ok && (active > 0 || next < n)) {
		/* fill the free slots; once the server is down the rest are not tried */
		for (int i = 0; ok && i < OUTBOX_SMTP_CONNS && next < n; i++) {
			struct smtp_slot *sl = &s->slots[i];
			if (sl->it)
				continue;
			struct outbox_item *it = items[next];
			size_t order = next++;
			if (s->down) {
				it->ok = it->permanent = false;
				snprintf(it->error, sizeof it->error, "not tried: the mail server could not be reached");
				ok = record(it, arg);
			} else if (slot_start(s, sl, it, order)) {
				active++;
			} else {
				ok = record(it, arg);
			}
		}
		if (!ok || active == 0)
			continue;
		turn_pass(s, &turn);
		int running = 0;
		curl_multi_perform(s->multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(s->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			int i = 0;
			while (i < OUTBOX_SMTP_CONNS && s->slots[i].h != m->easy_handle)
				i++;
			if (i == OUTBOX_SMTP_CONNS || !s->slots[i].it)
				continue;
			struct smtp_slot *sl = &s->slots[i];
			CURLcode rc = m->data.result;
			struct outbox_item *it = sl->it;
			smtp_outcome(s, it, sl->h, rc);
			curl_multi_remove_handle(s->multi, sl->h);
			sl->it = NULL;
			active--;
			/* recorded before the turn passes: the bound on resending */
			if (ok)
				ok = record(it, arg);
			if (i == turn)
				turn = -1;
		}
		if (!ok)
			break;
		turn_pass(s, &turn);
		if (active > 0)
			curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
	}
	/* after a failure to record, the messages still out have not been
	 * accepted (none has the turn): they stay claimed until their lease
	 * runs out, then are sent again */
	for (int i = 0; i < OUTBOX_SMTP_CONNS; i++) {
		struct smtp_slot *sl = &s->slots[i];
		if (sl->it) {
			curl_multi_remove_handle(s->multi, sl->h);
			sl->it = NULL;
		}
	}
	return ok;
}

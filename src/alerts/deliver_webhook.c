/*
 * deliver_webhook: machine delivery. A JSON POST to the organisation's URL,
 * signed with X-Bulwark-Signature: sha256=<HMAC-SHA256 of the body under
 * the contact's secret> and carrying an Idempotency-Key header (the
 * delivery's key). The body is the same on every attempt, so a retry is
 * byte-for-byte the message the receiver may already hold. Also the HTTP
 * handle the Notify channel shares: keep-alive across a batch, no
 * redirects, http(s) only, bounded time and reply size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "alerts/outbox.h"

#define REPLY_MAX (64 * 1024)

struct outbox_http {
	CURL *h;
	struct buf reply;
};

struct outbox_http *outbox_http_open(void)
{
	outbox_curl_init();
	struct outbox_http *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->h = curl_easy_init();
	buf_init(&h->reply);
	return h;
}

void outbox_http_close(struct outbox_http *h)
{
	if (!h)
		return;
	if (h->h)
		curl_easy_cleanup(h->h);
	buf_free(&h->reply);
	free(h);
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	if (b->len < REPLY_MAX)
		buf_add(b, p, n < REPLY_MAX - b->len ? n : REPLY_MAX - b->len);
	return n;
}

void outbox_http_outcome(struct outbox_item *it, long status)
{
	it->ok = status >= 200 && status < 300;
	it->permanent = !it->ok && status >= 400 && status < 500 && status != 408 && status != 429;
	if (!it->ok)
		snprintf(it->error, sizeof it->error, "HTTP %ld%s", status, it->permanent ? " (refused)" : "");
}

bool outbox_http_post(struct outbox_http *h, const char *url, struct curl_slist *headers, const char *body,
		      size_t n, struct outbox_item *it)
{
	it->ok = it->permanent = false;
	if (!h || !h->h) {
		snprintf(it->error, sizeof it->error, "out of memory");
		return false;
	}
	buf_reset(&h->reply);
	CURL *c = h->h;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &h->reply);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Bulwark-alerts/1");
	CURLcode rc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	if (rc != CURLE_OK) {
		snprintf(it->error, sizeof it->error, "%s", curl_easy_strerror(rc));
		return false;
	}
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	outbox_http_outcome(it, status);
	return true;
}

void outbox_webhook_signature(const char *secret, const char *body, size_t n, char out[72])
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, n);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7);
	bw_hex(mac, sizeof mac, out + 7);
}

void outbox_webhook_body(const struct outbox_item *it, struct buf *out)
{
	struct web_json j;
	web_json_init(&j, out);
	web_json_object(&j);
	web_json_key(&j, "id");
	web_json_str(&j, it->key);
	web_json_key(&j, "event");
	web_json_str(&j, strncmp(it->reason, "esc", 3) == 0 ? "advisory.escalated" : "advisory.published");
	web_json_key(&j, "reason");
	web_json_str(&j, it->reason);
	web_json_key(&j, "advisory");
	web_json_object(&j);
	web_json_key(&j, "id");
	web_json_str(&j, it->advisory_id);
	web_json_key(&j, "revision");
	web_json_int(&j, it->revision);
	web_json_key(&j, "type");
	web_json_str(&j, it->type);
	web_json_key(&j, "severity");
	web_json_str(&j, it->severity);
	web_json_key(&j, "title");
	web_json_str(&j, it->title);
	web_json_key(&j, "summary");
	web_json_str(&j, it->summary);
	web_json_key(&j, "url");
	web_json_str(&j, it->link);
	web_json_end(&j);
	web_json_key(&j, "organisation");
	web_json_object(&j);
	web_json_key(&j, "code");
	web_json_str(&j, it->org_code);
	web_json_key(&j, "name");
	web_json_str(&j, it->org_name);
	web_json_end(&j);
	web_json_end(&j);
}

void outbox_webhook_send(struct outbox_http *h, struct outbox_item *it)
{
	struct buf body, hdr;
	buf_init(&body);
	buf_init(&hdr);
	outbox_webhook_body(it, &body);
	char sig[72];
	outbox_webhook_signature(it->secret ? it->secret : "", body.p, body.len, sig);
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	buf_printf(&hdr, "X-Bulwark-Signature: %s", sig);
	headers = curl_slist_append(headers, buf_cstr(&hdr));
	buf_reset(&hdr);
	buf_printf(&hdr, "Idempotency-Key: %s", it->key);
	headers = curl_slist_append(headers, buf_cstr(&hdr));
	headers = curl_slist_append(headers, "Expect:");
	outbox_http_post(h, it->recipient, headers, body.p, body.len, it);
	curl_slist_free_all(headers);
	buf_free(&hdr);
	buf_free(&body);
}

/*
 * deliver_notify: SMS for high-severity alerts through GOV.UK Notify.
 * POST {BULWARK_NOTIFY_URL}/v2/notifications/sms with phone_number,
 * template_id, personalisation and reference (the delivery's idempotency
 * key), authorised by a JWT signed HS256. A Notify API key reads
 * <key name>-<service id: 36>-<secret: 36>; the token's claims are
 * iss = service id and iat = now (Notify refuses tokens older than 30 s,
 * so one is made per message).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "alerts/outbox.h"

#define UUID_LEN 36

static void b64url(struct buf *out, const void *p, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *tmp = malloc(cap);
	if (!tmp)
		abort();
	sodium_bin2base64(tmp, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	buf_puts(out, tmp);
	free(tmp);
}

static bool uuid_ok(const char *s)
{
	for (int i = 0; i < UUID_LEN; i++) {
		char c = s[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

bool outbox_notify_jwt(const char *key, int64_t now, struct buf *out)
{
	size_t n = key ? strlen(key) : 0;
	/* at least one character of name, a dash, the two uuids and a dash */
	if (n < 2 * UUID_LEN + 3 || n > 255)
		return false;
	const char *secret = key + n - UUID_LEN;
	const char *service = key + n - 2 * UUID_LEN - 1;
	if (secret[-1] != '-' || service[-1] != '-' || !uuid_ok(secret) || !uuid_ok(service))
		return false;
	char iss[UUID_LEN + 1];
	memcpy(iss, service, UUID_LEN);
	iss[UUID_LEN] = '\0';

	struct buf claims;
	buf_init(&claims);
	buf_printf(&claims, "{\"iss\":\"%s\",\"iat\":%lld}", iss, (long long)now);
	static const char header[] = "{\"typ\":\"JWT\",\"alg\":\"HS256\"}";
	size_t start = out->len;
	b64url(out, header, sizeof header - 1);
	buf_putc(out, '.');
	b64url(out, claims.p, claims.len);
	buf_free(&claims);

	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, UUID_LEN);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)out->p + start, out->len - start);
	crypto_auth_hmacsha256_final(&st, mac);
	buf_putc(out, '.');
	b64url(out, mac, sizeof mac);
	return true;
}

void outbox_notify_send(struct outbox_http *h, const struct outbox_config *cfg, struct outbox_item *it)
{
	it->ok = it->permanent = false;
	struct buf jwt, body, hdr;
	buf_init(&jwt);
	buf_init(&body);
	buf_init(&hdr);
	if (!outbox_notify_jwt(cfg->notify_key, bw_now(), &jwt)) {
		/* a configuration fault, not the message's: keep it queued */
		snprintf(it->error, sizeof it->error, "BULWARK_NOTIFY_KEY is not a Notify API key");
		goto out;
	}
	struct web_json j;
	web_json_init(&j, &body);
	web_json_object(&j);
	web_json_key(&j, "phone_number");
	web_json_str(&j, it->recipient);
	web_json_key(&j, "template_id");
	web_json_str(&j, cfg->notify_template);
	web_json_key(&j, "personalisation");
	web_json_object(&j);
	web_json_key(&j, "advisory_id");
	web_json_str(&j, it->advisory_id);
	web_json_key(&j, "title");
	web_json_str(&j, it->title);
	web_json_key(&j, "organisation");
	web_json_str(&j, it->org_name);
	web_json_key(&j, "link");
	web_json_str(&j, it->link);
	web_json_end(&j);
	web_json_key(&j, "reference");
	web_json_str(&j, it->key);
	web_json_end(&j);

	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	buf_printf(&hdr, "Authorization: Bearer %s", buf_cstr(&jwt));
	headers = curl_slist_append(headers, buf_cstr(&hdr));
	headers = curl_slist_append(headers, "Expect:");
	char *url = NULL;
	size_t ul = strlen(cfg->notify_url) + 32;
	url = malloc(ul);
	if (url) {
		snprintf(url, ul, "%s/v2/notifications/sms", cfg->notify_url);
		outbox_http_post(h, url, headers, body.p, body.len, it);
	} else {
		snprintf(it->error, sizeof it->error, "out of memory");
	}
	free(url);
	curl_slist_free_all(headers);
out:
	buf_free(&jwt);
	buf_free(&body);
	buf_free(&hdr);
}

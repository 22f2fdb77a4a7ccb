/*
 * http: the HTTP server (libmicrohttpd with its internal thread pool), the
 * request as the application sees it — limits applied, headers, cookies,
 * query and form fields parsed — and the response it builds. It knows
 * nothing of users, organisations or pages: the application gives it one
 * handler function. Depends on base only.
 */
#ifndef BW_HTTP_H
#define BW_HTTP_H

#include "base/base.h"
#include "http/multipart.h"
#include "http/parse.h"

#include <jansson.h>

struct http_req {
	struct arena *arena;          /* freed when the response has been queued */
	const char *method;           /* "GET", "POST", ... */
	const char *path;             /* URL path, percent-decoded, no query */
	const char *raw_query;        /* after '?', or "" */
	struct form_field *query;     /* parsed query string */
	size_t nquery;
	const char *body;             /* request body (NUL-terminated), or "" */
	size_t body_len;
	struct form_field *form;      /* parsed urlencoded body (POST forms) */
	size_t nform;
	struct http_upload *uploads;  /* file parts of a multipart/form-data body */
	size_t nuploads;
	bool form_ok;                 /* false: body claimed a form and did not parse */
	struct bw_error form_err;
	struct form_field *headers;   /* request headers, copied out of the connection */
	size_t nheaders;
	const char *client_ip;
	bool tls;
	int64_t started_ms;
	void *conn;                   /* the MHD connection, for header look-ups */
};

struct http_resp {
	int status;
	const char *content_type;     /* static string */
	struct buf body;
	struct buf headers;           /* "Name: value\n" lines added by http_resp_header */
	const void *static_body;      /* when set, sent instead of body (not copied) */
	size_t static_len;
};

/* Application entry point: fill resp. Runs on one of the pool's threads. */
typedef void (*http_handler_fn)(struct http_req *req, struct http_resp *resp, void *udata);

struct http_config {
	const char *listen;           /* address, default 127.0.0.1 */
	int port;                     /* 0 picks a free port; http_server_port() tells */
	int threads;                  /* handler threads; default one more than the cores */
	const char *tls_cert_pem;     /* file contents, both or neither */
	const char *tls_key_pem;
	/* true if the request carries credentials (session cookie or bearer),
	 * which raises the body limit from LIM_BODY_ANON to LIM_BODY */
	bool (*has_credentials)(struct http_req *req);
	http_handler_fn handler;
	void *udata;
	/* true for requests whose handler does slow CPU work (password hashing):
	 * they run on a small pool of their own, so the handler threads stay
	 * free for everyone else */
	bool (*offload)(struct http_req *req);
	int workers;                  /* size of that pool; default 2 */
};

struct http_server;
enum bw_err http_server_start(struct http_server **out, const struct http_config *cfg,
			      struct bw_error *err);
int http_server_port(const struct http_server *s);
void http_server_stop(struct http_server *s);

/* Request accessors. */
const char *http_header(struct http_req *req, const char *name);   /* NULL if absent */
const char *http_cookie(struct http_req *req, const char *name);   /* arena copy or NULL */
const char *http_query(struct http_req *req, const char *name);    /* NULL if absent */
const char *http_form(struct http_req *req, const char *name);     /* NULL if absent */
/* The file sent in form field name (multipart/form-data), or NULL. */
const struct http_upload *http_upload_get(struct http_req *req, const char *name);

/* Response helpers. */
void http_resp_header(struct http_resp *r, const char *name, const char *value);
void http_resp_redirect(struct http_resp *r, const char *location); /* 303 See Other */
void http_resp_cookie(struct http_resp *r, const char *name, const char *value,
		      int64_t max_age, bool secure);   /* max_age 0 deletes */

/* The API's request bodies: a JSON object, at most LIM_BODY bytes and
 * LIM_JSON_DEPTH levels deep, no duplicate keys. err names field "body". */
enum bw_err http_json_parse(const char *body, size_t len, json_t **out, struct bw_error *err);
/* A string member, or NULL when absent or null; a member of another type
 * (or holding a NUL) sets err naming the key and also gives NULL. */
const char *http_json_str(json_t *obj, const char *key, struct bw_error *err);

/* Reason phrase for a status code ("Not Found"). */
const char *http_status_text(int status);

#endif

/*
 * server: libmicrohttpd glue. Collects one request (applying the limits of
 * base/limits.h as it arrives), hands it to the application's handler and
 * queues the response. Each request gets an arena that dies with it.
 *
 * libmicrohttpd's threads only read requests and write responses. Every
 * handler runs on a pool of one thread more than the cores, its connection
 * suspended meanwhile, taking requests in arrival order. A libmicrohttpd
 * thread keeps each connection it accepted for the connection's life, and
 * 16 keep-alive connections fell unevenly (one thread's database connection
 * did 2.4 times the work of another's): a request waited behind its
 * thread's others while threads beside it were idle. And more
 * handlers than that only queue inside the database: with PostgreSQL on
 * the same 2 cores the estate-wide search's p99 under 16 connections was
 * 10-13 ms with 3 handlers, 56-295 ms with 4, up to 440 ms with 8.
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "http/http.h"

#define MAX_POOL 256

struct pending;
struct http_server;

/* A FIFO of suspended connections and the threads that serve it. */
struct pool {
	struct http_server *s;
	pthread_t *threads;
	int n;
	pthread_cond_t cv;
	struct pending *head, *tail;
};

struct http_server {
	struct MHD_Daemon *d;
	struct http_config cfg;
	int port;
	pthread_mutex_t mu;           /* both pools' queues and stopping */
	struct pool requests;         /* every handler but the slow ones */
	struct pool slow;             /* cfg.offload's: password hashing */
	bool stopping;
};

enum pending_state { P_READING, P_WORKING, P_DONE };

struct pending {
	struct arena arena;
	struct http_req req;
	struct buf body;
	size_t limit;
	int refuse;                   /* status to answer with instead of handling */
	const char *refuse_msg;
	enum pending_state state;
	struct http_resp resp;        /* built by a worker while suspended */
	struct MHD_Connection *conn;
	struct pending *next;
};

struct header_count {
	size_t n, bytes;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	(void)kind;
	struct header_count *c = cls;
	c->n++;
	c->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

const char *http_header(struct http_req *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

struct header_copy {
	struct http_req *q;
	size_t n;
};

static enum MHD_Result copy_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct header_copy *h = cls;
	if (h->n >= LIM_HEADERS)
		return MHD_NO;
	h->q->headers[h->n].name = arena_strdup(h->q->arena, key);
	h->q->headers[h->n].value = arena_strdup(h->q->arena, value ? value : "");
	h->n++;
	return MHD_YES;
}

const char *http_cookie(struct http_req *req, const char *name)
{
	const char *h = http_header(req, "Cookie");
	if (!h)
		return NULL;
	char val[512];
	if (!http_cookie_get(h, name, val, sizeof val))
		return NULL;
	return arena_strdup(req->arena, val);
}

static const char *field_get(struct form_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return f[i].value;
	return NULL;
}

const char *http_query(struct http_req *req, const char *name)
{
	return field_get(req->query, req->nquery, name);
}

const char *http_form(struct http_req *req, const char *name)
{
	return field_get(req->form, req->nform, name);
}

const struct http_upload *http_upload_get(struct http_req *req, const char *name)
{
	for (size_t i = 0; i < req->nuploads; i++)
		if (strcmp(req->uploads[i].field, name) == 0)
			return &req->uploads[i];
	return NULL;
}

void http_resp_header(struct http_resp *r, const char *name, const char *value)
{
	/* header values never carry line breaks: drop the header rather than split it */
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return;
	buf_printf(&r->headers, "%s\n%s\n", name, value);
}

void http_resp_redirect(struct http_resp *r, const char *location)
{
	r->status = 303;
	http_resp_header(r, "Location", location);
}

void http_resp_cookie(struct http_resp *r, const char *name, const char *value,
		      int64_t max_age, bool secure)
{
	char v[1024];
	int n = snprintf(v, sizeof v, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
			 name, max_age > 0 ? value : "", (long long)(max_age > 0 ? max_age : 0),
			 secure ? "; Secure" : "");
	if (n > 0 && (size_t)n < sizeof v)
		http_resp_header(r, "Set-Cookie", v);
}

const char *http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 423: return "Locked";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "";
	}
}

static enum MHD_Result queue(struct MHD_Connection *c, struct http_resp *r)
{
	struct MHD_Response *m;
	if (r->static_body)
		m = MHD_create_response_from_buffer(r->static_len, (void *)r->static_body,
						    MHD_RESPMEM_PERSISTENT);
	else {
		size_t len = r->body.len;
		char *p = buf_steal(&r->body);
		m = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
	}
	if (!m)
		return MHD_NO;
	if (r->content_type)
		MHD_add_response_header(m, "Content-Type", r->content_type);
	/* headers buffer holds name\nvalue\n pairs */
	char *h = r->headers.p;
	while (h && *h) {
		char *nl = strchr(h, '\n');
		if (!nl)
			break;
		*nl = 0;
		char *v = nl + 1;
		char *nl2 = strchr(v, '\n');
		if (!nl2)
			break;
		*nl2 = 0;
		MHD_add_response_header(m, h, v);
		h = nl2 + 1;
	}
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, m);
	MHD_destroy_response(m);
	return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *c, int status, const char *msg)
{
	struct http_resp r = { .status = status, .content_type = "text/plain; charset=utf-8" };
	buf_init(&r.body);
	buf_init(&r.headers);
	buf_printf(&r.body, "%s\n", msg);
	http_resp_header(&r, "Connection", "close");
	http_resp_header(&r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	http_resp_header(&r, "X-Content-Type-Options", "nosniff");
	http_resp_header(&r, "Cache-Control", "no-store");
	enum MHD_Result ret = queue(c, &r);
	buf_free(&r.body);
	buf_free(&r.headers);
	return ret;
}

static bool is_form(const char *ct)
{
	return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

static bool is_multipart(const char *ct)
{
	return ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

/* File uploads (a form with a file, or an SBOM posted to .../sbom) may be
 * up to LIM_UPLOAD once signed in; everything else keeps LIM_BODY. */
static bool is_upload(struct http_req *q)
{
	size_t n = strlen(q->path);
	return is_multipart(http_header(q, "Content-Type")) || (n > 5 && strcmp(q->path + n - 5, "/sbom") == 0);
}

static void client_addr(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "-");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)n);
}

struct query_acc {
	struct http_req *q;
	size_t n;
	bool bad;
};

static enum MHD_Result count_query(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	(void)kind, (void)key, (void)value;
	struct query_acc *a = cls;
	a->n++;
	return MHD_YES;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	(void)kind;
	struct query_acc *a = cls;
	if (!value)
		value = "";
	size_t kl = strlen(key), vl = strlen(value);
	if (a->n >= LIM_FIELDS || kl > LIM_FIELD_NAME || vl > LIM_FIELD_VALUE ||
	    !bw_valid_utf8(key, kl) || !bw_valid_utf8(value, vl)) {
		a->bad = true;
		return MHD_NO;
	}
	a->q->query[a->n].name = arena_strdup(a->q->arena, key);
	a->q->query[a->n].value = arena_strdup(a->q->arena, value);
	a->n++;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	(void)version;
	struct http_server *s = cls;
	struct pending *p = *con_cls;

	if (!p) {
		p = calloc(1, sizeof *p);
		if (!p)
			return MHD_NO;
		*con_cls = p;
		arena_init(&p->arena);
		buf_init(&p->body);
		struct http_req *q = &p->req;
		q->arena = &p->arena;
		q->conn = c;
		q->started_ms = bw_now_ms();
		q->method = arena_strdup(&p->arena, method);
		q->tls = s->cfg.tls_cert_pem != NULL;
		char ip[64];
		client_addr(c, ip, sizeof ip);
		q->client_ip = arena_strdup(&p->arena, ip);

		/* MHD hands over the path and the query apart: the limit is on both */
		size_t ulen = strlen(url);
		struct header_count qc = { 0 };
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, count_header, &qc);
		ulen += qc.bytes;
		struct header_count hc = { 0 };
		MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &hc);
		q->headers = arena_alloc(&p->arena, sizeof *q->headers * LIM_HEADERS);
		struct header_copy hcp = { q, 0 };
		MHD_get_connection_values(c, MHD_HEADER_KIND, copy_header, &hcp);
		q->nheaders = hcp.n;
		if (ulen > LIM_REQUEST_LINE)
			p->refuse = 414, p->refuse_msg = "The address is too long.";
		else if (hc.n > LIM_HEADERS || hc.bytes > LIM_HEADER_BYTES)
			p->refuse = 431, p->refuse_msg = "Too many or too large request headers.";
		/* MHD gives the path already percent-decoded, query separately */
		q->path = arena_strdup(&p->arena, url);
		if (!p->refuse && !bw_valid_utf8(q->path, strlen(q->path)))
			p->refuse = 400, p->refuse_msg = "The address is not valid UTF-8.";
		p->limit = s->cfg.has_credentials && s->cfg.has_credentials(q)
			   ? (is_upload(q) ? LIM_UPLOAD : LIM_BODY) : LIM_BODY_ANON;
		const char *cl = http_header(q, "Content-Length");
		if (!p->refuse && cl && strtoull(cl, NULL, 10) > p->limit)
			p->refuse = 413, p->refuse_msg = "The request body is too large.";
		return MHD_YES;
	}

	if (*upload_size) {
		if (!p->refuse) {
			if (p->body.len + *upload_size > p->limit)
				p->refuse = 413, p->refuse_msg = "The request body is too large.";
			else
				buf_add(&p->body, upload_data, *upload_size);
		}
		*upload_size = 0;
		return MHD_YES;
	}

	/* the state as the handler's thread left it (it marks the response
	 * ready and resumes the connection under this lock). Called again
	 * before the handler has finished: suspended again, never left
	 * running with no response. */
	pthread_mutex_lock(&s->mu);
	enum pending_state state = p->state;
	if (state == P_WORKING)
		MHD_suspend_connection(c);
	pthread_mutex_unlock(&s->mu);
	if (state == P_WORKING)
		return MHD_YES;
	if (state == P_DONE) {
		enum MHD_Result ret = queue(c, &p->resp);
		buf_free(&p->resp.body);
		buf_free(&p->resp.headers);
		return ret;
	}
	if (p->refuse)
		return refuse(c, p->refuse, p->refuse_msg);

	struct http_req *q = &p->req;
	q->body = buf_cstr(&p->body);
	q->body_len = p->body.len;

	/* MHD has split and decoded the query arguments already */
	struct query_acc qa = { q, 0 };
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, count_query, &qa);
	q->query = arena_alloc(q->arena, sizeof *q->query * (qa.n ? qa.n : 1));
	qa.n = 0;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_query, &qa);
	q->nquery = qa.n;
	q->raw_query = "";
	if (qa.bad)
		return refuse(c, 400, "The query string is not valid (too many fields, too long, or not UTF-8).");
	q->form_ok = true;
	const char *ctype = http_header(q, "Content-Type");
	if (is_form(ctype) && q->body_len) {
		if (http_form_parse(q->arena, q->body, q->body_len, &q->form, &q->nform, &q->form_err) != BW_OK)
			q->form_ok = false;
	} else if (is_multipart(ctype)) {
		if (http_multipart_parse(q->arena, ctype, q->body, q->body_len, &q->form, &q->nform,
					 &q->uploads, &q->nuploads, &q->form_err) != BW_OK)
			q->form_ok = false;
	}

	struct pool *pool = s->cfg.offload && s->cfg.offload(q) ? &s->slow : &s->requests;
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		return refuse(c, 503, "The server is stopping.");
	}
	p->state = P_WORKING;
	p->conn = c;
	MHD_suspend_connection(c);
	p->next = NULL;
	if (pool->tail)
		pool->tail->next = p;
	else
		pool->head = p;
	pool->tail = p;
	pthread_cond_signal(&pool->cv);
	pthread_mutex_unlock(&s->mu);
	return MHD_YES;
}

static void *pool_main(void *arg)
{
	struct pool *pool = arg;
	struct http_server *s = pool->s;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!pool->head && !s->stopping)
			pthread_cond_wait(&pool->cv, &s->mu);
		struct pending *p = pool->head;
		if (p) {
			pool->head = p->next;
			if (!pool->head)
				pool->tail = NULL;
		}
		pthread_mutex_unlock(&s->mu);
		if (!p)
			return NULL;   /* stopping and nothing left */
		p->resp = (struct http_resp){ .status = 200 };
		buf_init(&p->resp.body);
		buf_init(&p->resp.headers);
		s->cfg.handler(&p->req, &p->resp, s->cfg.udata);
		pthread_mutex_lock(&s->mu);
		p->state = P_DONE;
		MHD_resume_connection(p->conn);
		pthread_mutex_unlock(&s->mu);
	}
}

/* Starts up to want threads on pool; false if not even one started. */
static bool pool_start(struct http_server *s, struct pool *pool, int want)
{
	pool->s = s;
	pthread_cond_init(&pool->cv, NULL);
	pool->threads = calloc((size_t)want, sizeof *pool->threads);
	if (!pool->threads)
		return false;
	while (pool->n < want && pthread_create(&pool->threads[pool->n], NULL, pool_main, pool) == 0)
		pool->n++;
	return pool->n > 0;
}

static void pool_join(struct pool *pool)
{
	if (!pool->s)
		return;   /* never started */
	for (int i = 0; i < pool->n; i++)
		pthread_join(pool->threads[i], NULL);
	free(pool->threads);
	pthread_cond_destroy(&pool->cv);
}

/* The pools finish what is queued (a request arriving now is refused),
 * then their threads exit. */
static void pools_stop(struct http_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->requests.cv);
	pthread_cond_broadcast(&s->slow.cv);
	pthread_mutex_unlock(&s->mu);
	pool_join(&s->requests);
	pool_join(&s->slow);
	pthread_mutex_destroy(&s->mu);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	struct pending *p = *con_cls;
	if (!p)
		return;
	/* a response built but never sent (the client went away meanwhile) */
	buf_free(&p->resp.body);
	buf_free(&p->resp.headers);
	arena_free(&p->arena);
	buf_free(&p->body);
	free(p);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	log_warn("http: %s", line);
}

enum bw_err http_server_start(struct http_server **out, const struct http_config *cfg,
			      struct bw_error *err)
{
	struct http_server *s = calloc(1, sizeof *s);
	if (!s)
		return bw_fail(err, BW_EINTERNAL, NULL, "out of memory");
	s->cfg = *cfg;
	struct sockaddr_storage ss = { 0 };
	const char *listen = cfg->listen && *cfg->listen ? cfg->listen : "127.0.0.1";
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, listen, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)cfg->port);
	} else if (inet_pton(AF_INET6, listen, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		free(s);
		return bw_fail(err, BW_EINVAL, "listen", "'%s' is not an IPv4 or IPv6 address", listen);
	}
	if (cfg->tls_cert_pem)
		flags |= MHD_USE_TLS;
	flags |= MHD_USE_EPOLL;
	int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	cores = cores < 1 ? 1 : cores >= MAX_POOL ? MAX_POOL - 1 : cores;
	int io_threads = cores < 2 ? 2 : cores;
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL },
		{ MHD_OPTION_SOCK_ADDR, 0, &ss },
		{ MHD_OPTION_THREAD_POOL_SIZE, io_threads, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, LIM_CONNECTIONS, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, LIM_CONN_TIMEOUT_S, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, LIM_HEADER_BYTES * 2, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s },
		{ cfg->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)cfg->tls_cert_pem },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem },
		{ MHD_OPTION_END, 0, NULL },
	};
	/* the pools first: a request may arrive as soon as the daemon runs */
	pthread_mutex_init(&s->mu, NULL);
	int handlers = cfg->threads > 0 ? (cfg->threads > MAX_POOL ? MAX_POOL : cfg->threads) : cores + 1;
	int slow = cfg->workers > 0 ? (cfg->workers > MAX_POOL ? MAX_POOL : cfg->workers) : 2;
	if (!pool_start(s, &s->requests, handlers) || !pool_start(s, &s->slow, slow)) {
		pools_stop(s);
		free(s);
		return bw_fail(err, BW_EINTERNAL, NULL, "cannot start the request threads");
	}
	s->d = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, s,
				MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!s->d) {
		pools_stop(s);
		free(s);
		return bw_fail(err, BW_EIO, "port", "could not listen on %s port %d (in use, or TLS files not valid)",
			       listen, cfg->port);
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : cfg->port;
	*out = s;
	return BW_OK;
}

int http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	/* suspended connections must be resumed before the daemon stops */
	pools_stop(s);
	MHD_stop_daemon(s->d);
	free(s);
}

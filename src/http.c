/* http - libmicrohttpd glue: listen, limits, forms, the executor thread. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "kith/http.h"
#include "kith/log.h"
#include "kith/util.h"
#include "kith/walsync.h"
#include "kith/web.h"
#include "kith/weblinks.h"

#define MAX_FIELDS 64		/* form fields of one request */
#define MAX_QUERY 16		/* query arguments */
#define MAX_BATCH 256		/* writes sharing one commit */
#define DRAIN_FACTOR 4		/* a chunked body past max_body is read up
				 * to this many times it, then cut off */
#define NSTATUS 600

/* The responses the connection threads give without the executor. */
enum canned { C_400, C_405, C_413, C_415, C_431, C_503, NCANNED };
static const int canned_status[NCANNED] = { 400, 405, 413, 415, 431, 503 };

enum phase { P_NEW, P_BODY, P_QUEUED, P_DONE };

struct http_req {
	struct http_server *s;
	struct MHD_Connection *conn;
	enum phase phase;
	int error;		/* a status to answer once the body is read */
	struct MHD_PostProcessor *pp;
	struct web_field form[MAX_FIELDS], query[MAX_QUERY];
	size_t nform, nquery;
	size_t body;		/* bytes of body seen */
	char *method, *path, *cookie, client[64];
	char accept_language[256];	/* a join starts in it (web_list.c) */
	struct web_response rs;
	int status;		/* what was answered, for /metrics */
	int not_durable;	/* its commit may not be on disk: 503 */
	struct http_req *next;	/* the executor's queue */
};

struct http_server {
	struct MHD_Daemon *mhd;
	int fd;
	char *unix_path;
	char address[320];
	struct web *web;		/* the executor's own */
	struct walsync *ws;		/* its commits' syncer */

	pthread_t executor;
	int executor_started;
	pthread_mutex_t lock;		/* everything below */
	pthread_cond_t wake;
	struct http_req *head, *tail;
	struct kith_config *reload;	/* for the executor to take */
	int stopping;
	int max_body, max_headers;
	char real_ip_header[64];
	char *canned[NCANNED];		/* rendered error pages */
	size_t canned_len[NCANNED];
	char *css;
	size_t css_len;

	atomic_int inflight;		/* requests between first call and done */
	atomic_int mail;
	atomic_llong by_status[NSTATUS];
};

/* The security headers every response carries (csp: NULL for the
 * pages' policy). */
static void
security_headers(struct MHD_Response *resp, int cache, const char *csp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", csp ? csp :
	    "default-src 'none'; style-src 'self'; img-src 'self'; "
	    "form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	/* pages carry tokens and state: never kept by caches */
	MHD_add_response_header(resp, "Cache-Control", cache ?
	    "public, max-age=3600" : "no-store");
}

static enum MHD_Result
send_bytes(struct http_req *r, int status, const char *type, const void *body,
    size_t len, int retry_after, const char *allow, int cache)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len,
	    (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	char ra[16];

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	security_headers(resp, cache, NULL);
	if (retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	if (allow)
		MHD_add_response_header(resp, "Allow", allow);
	ret = MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	r->status = status;
	return ret;
}

/*
 * send_page - what a page answered: its body handed to libmicrohttpd
 * (no copy of a large mbox) and its own header fields.
 */
static enum MHD_Result
send_page(struct http_req *r)
{
	struct web_response *rs = &r->rs;
	size_t len = 0;
	char *body = buf_detach(&rs->body, &len);
	struct MHD_Response *resp = MHD_create_response_from_buffer(len,
	    body ? body : (void *)"", body ? MHD_RESPMEM_MUST_FREE :
	    MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;
	char ra[16];

	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", rs->content_type);
	security_headers(resp, 0, rs->csp);
	if (rs->retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", rs->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	if (rs->allow)
		MHD_add_response_header(resp, "Allow", rs->allow);
	if (rs->disposition)
		MHD_add_response_header(resp, "Content-Disposition",
		    rs->disposition);
	if (rs->set_cookie)
		MHD_add_response_header(resp, "Set-Cookie", rs->set_cookie);
	if (rs->location)
		MHD_add_response_header(resp, "Location", rs->location);
	if (rs->vary)
		MHD_add_response_header(resp, "Vary", rs->vary);
	ret = MHD_queue_response(r->conn, (unsigned)rs->status, resp);
	MHD_destroy_response(resp);
	r->status = rs->status;
	return ret;
}

/* One of the rendered error pages (the executor renders them). */
static enum MHD_Result
send_canned(struct http_req *r, enum canned c)
{
	struct http_server *s = r->s;
	enum MHD_Result ret;

	pthread_mutex_lock(&s->lock);
	ret = send_bytes(r, canned_status[c], "text/html; charset=utf-8",
	    s->canned[c] ? s->canned[c] : "", s->canned[c] ? s->canned_len[c] :
	    0, c == C_503 ? 5 : 0, c == C_405 ? "GET, HEAD, POST" : NULL, 0);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static enum MHD_Result
send_css(struct http_req *r)
{
	struct http_server *s = r->s;
	enum MHD_Result ret;

	pthread_mutex_lock(&s->lock);
	ret = s->css ? send_bytes(r, 200, "text/css; charset=utf-8", s->css,
	    s->css_len, 0, NULL, 1) : MHD_NO;
	pthread_mutex_unlock(&s->lock);
	if (!s->css)
		ret = send_bytes(r, 404, "text/plain; charset=utf-8",
		    "no stylesheet\n", 14, 0, NULL, 0);
	return ret;
}

/* Store one form or query value; chunks of a long value are appended. */
static int
field_add(struct web_field *f, size_t *n, size_t max, const char *key,
    const char *data, size_t size, uint64_t off)
{
	if (off > 0 && *n > 0 && !strcmp(f[*n - 1].name, key)) {
		struct web_field *last = &f[*n - 1];
		size_t have = strlen(last->value);

		last->value = xrealloc(last->value, have + size + 1);
		memcpy(last->value + have, data, size);
		last->value[have + size] = '\0';
		return 0;
	}
	if (*n >= max)
		return -1;
	f[*n].name = xstrdup(key ? key : "");
	f[*n].value = xstrndup(data ? data : "", size);
	(*n)++;
	return 0;
}

static enum MHD_Result
post_field(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off,
    size_t size)
{
	struct http_req *r = cls;

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	if (filename)		/* no page takes files */
		return MHD_YES;
	if (field_add(r->form, &r->nform, MAX_FIELDS, key, data, size, off) < 0)
		r->error = 400;
	return MHD_YES;
}

/*
 * query_arg - one query argument, percent-decoded here: libmicrohttpd
 * is told to leave URLs as they came (unescape_none), so that the pages
 * can tell an encoded "/" in a path segment from a separator.
 */
static enum MHD_Result
query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct http_req *r = cls;
	char *k = xstrdup(key ? key : ""), *v = xstrdup(value ? value : "");

	(void)kind;
	if (weblink_unpct(k) < 0 || weblink_unpct(v) < 0 ||
	    field_add(r->query, &r->nquery, MAX_QUERY, k, v, strlen(v), 0) < 0)
		r->error = 400;
	free(k);
	free(v);
	return MHD_YES;
}

/* libmicrohttpd's unescaping, turned off: see query_arg. */
static size_t
unescape_none(void *cls, struct MHD_Connection *conn, char *uri)
{
	(void)cls;
	(void)conn;
	return strlen(uri);
}

/* The client's address: the proxy's header when configured, else the peer. */
static void
client_address(struct http_req *r)
{
	struct http_server *s = r->s;
	char header[64];
	const char *v = NULL;
	const union MHD_ConnectionInfo *ci;

	pthread_mutex_lock(&s->lock);
	snprintf(header, sizeof(header), "%s", s->real_ip_header);
	pthread_mutex_unlock(&s->lock);
	if (*header)
		v = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, header);
	if (v && *v) {
		/* X-Forwarded-For: the last hop is the one our proxy added */
		const char *last = strrchr(v, ',');

		snprintf(r->client, sizeof(r->client), "%s", last ? last + 1 : v);
		str_trim(r->client);
		return;
	}
	ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(r->client, sizeof(r->client), "unix");
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)
			    (const void *)sa)->sin_addr, r->client,
			    sizeof(r->client));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
			    (const void *)sa)->sin6_addr, r->client,
			    sizeof(r->client));
	}
}

/*
 * enqueue - hand r to the executor; the connection waits until it is
 * answered.  While stopping, nothing more is taken (a connection kept
 * alive may still ask): it is told to come back.
 */
static enum MHD_Result
enqueue(struct http_req *r)
{
	struct http_server *s = r->s;

	pthread_mutex_lock(&s->lock);
	if (s->stopping) {
		pthread_mutex_unlock(&s->lock);
		return send_canned(r, C_503);
	}
	r->phase = P_QUEUED;
	MHD_suspend_connection(r->conn);
	r->next = NULL;
	if (s->tail)
		s->tail->next = r;
	else
		s->head = r;
	s->tail = r;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	return MHD_YES;
}

/* The first call: headers are in; decide what may not go further. */
static enum MHD_Result
first_call(struct http_req *r, const char *url, const char *method)
{
	struct http_server *s = r->s;
	const char *cl, *ct;
	int max_body, max_headers, post = !strcmp(method, "POST");

	pthread_mutex_lock(&s->lock);
	max_body = s->max_body;
	max_headers = s->max_headers;
	pthread_mutex_unlock(&s->lock);
	r->method = xstrdup(method);
	r->path = xstrdup(url);
	r->phase = P_BODY;
	if ((cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_COOKIE)))
		r->cookie = xstrdup(cl);
	if (MHD_get_connection_values(r->conn, MHD_HEADER_KIND, NULL, NULL) >
	    max_headers)
		return send_canned(r, C_431);
	if (strcmp(method, "GET") && strcmp(method, "HEAD") && !post)
		return send_canned(r, C_405);
	if (!post)
		return MHD_YES;	/* answered on the next call: keep-alive */
	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > (unsigned long long)max_body)
		return send_canned(r, C_413);
	ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct == NULL || (strncasecmp(ct, "application/x-www-form-urlencoded",
	    33) && strncasecmp(ct, "multipart/form-data", 19)))
		return send_canned(r, C_415);
	r->pp = MHD_create_post_processor(r->conn, 8192, post_field, r);
	if (r->pp == NULL)
		return send_canned(r, C_415);
	return MHD_YES;
}

/*
 * on_request - libmicrohttpd's access handler, called once the headers
 * are in (first_call), once per piece of body, once at its end (the
 * request goes to the executor and the connection is suspended), and
 * once more after the executor resumed it (the answer is queued).
 */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_req *r = *con_cls;

	(void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->s = s;
		r->conn = conn;
		web_response_init(&r->rs);
		*con_cls = r;
		atomic_fetch_add(&s->inflight, 1);
		return first_call(r, url, method);
	}
	if (*upload_data_size > 0) {
		int max_body;

		pthread_mutex_lock(&s->lock);
		max_body = s->max_body;
		pthread_mutex_unlock(&s->lock);
		r->body += *upload_data_size;
		if (r->body > (size_t)max_body)
			/* chunked, so no length to refuse early: libmicrohttpd
			 * takes no answer before the body ends; read on and
			 * drop it, answer 413 at its end or cut it off */
			r->error = 413;
		else if (r->pp && MHD_post_process(r->pp, upload_data,
		    *upload_data_size) != MHD_YES)
			r->error = 400;
		*upload_data_size = 0;
		/* enough of a body nobody asked for: close the connection */
		return r->body > (size_t)max_body * DRAIN_FACTOR ? MHD_NO :
		    MHD_YES;
	}
	if (r->phase == P_DONE)
		return r->not_durable ? send_canned(r, C_503) : send_page(r);
	if (r->phase == P_QUEUED)
		return MHD_YES;
	if (r->error)
		return send_canned(r, r->error == 413 ? C_413 : C_400);
	/* these two never wait for the executor */
	if (strcmp(r->method, "POST") && !strcmp(r->path, "/healthz"))
		return send_bytes(r, 200, "text/plain; charset=utf-8", "ok\n", 3,
		    0, NULL, 0);
	if (strcmp(r->method, "POST") && !strcmp(r->path, "/static/kith.css"))
		return send_css(r);
	/* browsers ask for it on every site: nothing, rather than a 404 */
	if (strcmp(r->method, "POST") && !strcmp(r->path, "/favicon.ico"))
		return send_bytes(r, 204, "image/x-icon", "", 0, 0, NULL, 1);
	/* the parser may hold the last value until it knows the body ended */
	if (r->pp) {
		enum MHD_Result whole = MHD_destroy_post_processor(r->pp);

		r->pp = NULL;
		if (whole != MHD_YES)
			return send_canned(r, C_400);
	}
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_arg, r);
	if (r->error)
		return send_canned(r, C_400);
	client_address(r);
	{
		const char *al = MHD_lookup_connection_value(conn,
		    MHD_HEADER_KIND, "Accept-Language");

		/* bounded: i18n_accept_pick reads no more anyway */
		snprintf(r->accept_language, sizeof(r->accept_language), "%s",
		    al ? al : "");
	}
	return enqueue(r);
}

static void
req_free(struct http_req *r)
{
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	for (size_t i = 0; i < r->nform; i++) {
		free(r->form[i].name);
		free(r->form[i].value);
	}
	for (size_t i = 0; i < r->nquery; i++) {
		free(r->query[i].name);
		free(r->query[i].value);
	}
	web_response_release(&r->rs);
	free(r->method);
	free(r->path);
	free(r->cookie);
	free(r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_req *r = *con_cls;

	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	if (r->status > 0 && r->status < NSTATUS)
		atomic_fetch_add(&s->by_status[r->status], 1);
	req_free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

/* libmicrohttpd's own messages, with anything shaped like a token cut. */
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[1024], *clean;
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	clean = web_log_path(line);
	log_warn("http: %s", clean);
	free(clean);
}

/* The request counters, appended to /metrics. */
static void
request_metrics(struct http_server *s, struct buf *b)
{
	buf_adds(b, "# HELP kith_http_requests_total HTTP requests answered, "
	    "by status.\n# TYPE kith_http_requests_total counter\n");
	for (int i = 100; i < NSTATUS; i++) {
		long long v = atomic_load(&s->by_status[i]);

		if (v)
			buf_addf(b, "kith_http_requests_total{status=\"%d\"} "
			    "%lld\n", i, v);
	}
	buf_addf(b, "# HELP kith_http_requests_in_flight Requests being "
	    "answered.\n# TYPE kith_http_requests_in_flight gauge\n"
	    "kith_http_requests_in_flight %d\n", atomic_load(&s->inflight));
}

static void
request_of(const struct http_req *r, struct web_request *rq)
{
	rq->method = r->method;
	rq->path = r->path;
	rq->client = r->client;
	rq->query = r->query;
	rq->nquery = r->nquery;
	rq->form = r->form;
	rq->nform = r->nform;
	rq->cookie = r->cookie;
	rq->accept_language = *r->accept_language ? r->accept_language : NULL;
}

/* Answered: log a change, and let the connection go on. */
static void
finish(struct http_server *s, struct http_req *r)
{
	if (r->rs.log) {
		char *path = web_log_path(r->path);

		log_info("http: %s \"%s %s\" %d: %s", r->client, r->method,
		    path, r->rs.status, r->rs.log);
		free(path);
	}
	if (r->rs.mail)
		atomic_store(&s->mail, 1);
	if (!strcmp(r->path, "/metrics") && r->rs.status == 200)
		request_metrics(s, &r->rs.body);
	r->phase = P_DONE;
	MHD_resume_connection(r->conn);
}

/*
 * run_batch - writes that came together: one transaction, each in its
 * savepoint, one commit.  When the commit fails nothing of any stands,
 * and each that changed something answers 503.
 */
static void
run_batch(struct http_server *s, struct http_req **jobs, size_t n)
{
	struct web_request rq;

	if (web_batch_begin(s->web) != KITH_OK) {
		for (size_t i = 0; i < n; i++)
			web_unavailable(s->web, &jobs[i]->rs);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		request_of(jobs[i], &rq);
		web_handle(s->web, &rq, &jobs[i]->rs);
	}
	if (web_batch_commit(s->web) != KITH_OK)
		for (size_t i = 0; i < n; i++)
			if (jobs[i]->rs.uncommitted)
				web_unavailable(s->web, &jobs[i]->rs);
}

/* Every page in order; runs of writes share a batch.  1 when any wrote. */
static int
run_jobs(struct http_server *s, struct http_req **jobs, size_t n)
{
	struct web_request rq;
	size_t i = 0;
	int wrote = 0;

	while (i < n) {
		size_t j = i + 1;

		enum web_kind kind;

		request_of(jobs[i], &rq);
		kind = web_kind(&rq);
		if (kind != WEB_WRITE_ALONE)
			while (j < n && j - i < MAX_BATCH) {
				request_of(jobs[j], &rq);
				if (web_kind(&rq) != kind)
					break;
				j++;
			}
		if (kind == WEB_WRITE)
			run_batch(s, jobs + i, j - i);
		else if (kind == WEB_READ) {
			/* one read transaction, one snapshot, for the run */
			int snap = web_read_begin(s->web) == KITH_OK;

			for (size_t k = i; k < j; k++) {
				request_of(jobs[k], &rq);
				web_handle(s->web, &rq, &jobs[k]->rs);
			}
			if (snap)
				web_read_end(s->web);
		} else
			web_handle(s->web, &rq, &jobs[i]->rs);
		wrote |= kind != WEB_READ;
		i = j;
	}
	return wrote;
}

/* Pages answered, waiting for the commits they saw to be on disk. */
struct answered {
	struct http_server *s;
	size_t n;
	struct http_req *jobs[];
};

/*
 * answer - the commits are on disk (walsync): the pages go out.  If the
 * WAL could not be synced, nobody is told a change was made: 503.
 */
static void
answer(void *arg, int durable)
{
	struct answered *a = arg;

	for (size_t i = 0; i < a->n; i++) {
		a->jobs[i]->not_durable = !durable;
		finish(a->s, a->jobs[i]);
	}
	free(a);
}

/* The pages the connection threads answer themselves, rendered here. */
static void
render_canned(struct http_server *s, const struct kith_config *cfg)
{
	char *page[NCANNED], *css;
	size_t len[NCANNED], css_len = 0;

	for (int i = 0; i < NCANNED; i++) {
		struct web_response rs;

		web_response_init(&rs);
		web_error(s->web, &rs, canned_status[i], "/");
		page[i] = buf_detach(&rs.body, &len[i]);
		web_response_release(&rs);
	}
	css = web_stylesheet(cfg, &css_len);
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < NCANNED; i++) {
		free(s->canned[i]);
		s->canned[i] = page[i];
		s->canned_len[i] = len[i];
	}
	free(s->css);
	s->css = css;
	s->css_len = css_len;
	s->max_body = cfg->http_max_body;
	s->max_headers = cfg->http_max_headers;
	snprintf(s->real_ip_header, sizeof(s->real_ip_header), "%s",
	    cfg->http_real_ip_header);
	pthread_mutex_unlock(&s->lock);
}

/* executor - the page thread: takes every queued request (and a new
 * configuration) and runs them in order until told to stop. */
static void *
executor(void *arg)
{
	struct http_server *s = arg;
	struct http_req **jobs = NULL;
	size_t cap = 0;

	for (;;) {
		struct kith_config *reload;
		struct http_req *r;
		size_t n = 0;
		int stop;

		pthread_mutex_lock(&s->lock);
		while (s->head == NULL && s->reload == NULL && !s->stopping)
			pthread_cond_wait(&s->wake, &s->lock);
		reload = s->reload;
		s->reload = NULL;
		r = s->head;
		s->head = s->tail = NULL;
		stop = s->stopping && r == NULL;
		pthread_mutex_unlock(&s->lock);
		if (reload) {
			char err[512];
			struct kith_config copy = *reload;

			if (web_reload(s->web, reload, err, sizeof(err)) < 0) {
				log_error("http: reload: %s; the old configuration "
				    "stays", err);
				config_release(reload);
			} else {
				render_canned(s, &copy);
				walsync_attach(s->ws, web_writer(s->web));
				log_warn("http: configuration reloaded");
			}
			free(reload);
		}
		for (; r; r = r->next) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				jobs = xrealloc(jobs, cap * sizeof(*jobs));
			}
			jobs[n++] = r;
		}
		if (n > 0) {
			struct answered *a = xmalloc(sizeof(*a) +
			    n * sizeof(a->jobs[0]));
			int wrote = run_jobs(s, jobs, n);

			a->s = s;
			a->n = n;
			memcpy(a->jobs, jobs, n * sizeof(jobs[0]));
			/* the next requests run while these commits go to
			 * disk; these are answered once they are there */
			walsync_after(s->ws, wrote, answer, a);
		}
		if (stop)
			break;
	}
	free(jobs);
	return NULL;
}

/* Bind and listen on spec; the socket, or -1 with err. */
static int
listen_on(struct http_server *s, const char *spec, char *err, size_t errlen)
{
	char host[256];
	int port, fd, kind = config_listen_parse(spec, host, sizeof(host),
	    &port);

	if (kind < 0) {
		snprintf(err, errlen, "[http] listen '%s' is not HOST:PORT, "
		    "[IPV6]:PORT or unix:/PATH", spec);
		return -1;
	}
	if (kind == 1) {
		if ((fd = listen_unix(spec, host, err, errlen)) < 0)
			return -1;
		s->unix_path = xstrdup(host);
		snprintf(s->address, sizeof(s->address), "unix:%s", host);
	} else if ((fd = listen_tcp(spec, host, port, "http", s->address,
	    sizeof(s->address), err, errlen)) < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Enough descriptors for the connection limit (soft up to the hard one). */
static void
raise_fd_limit(int connections)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)connections + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
	    want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		log_warn("http: only %llu file descriptors for %d connections; "
		    "raise LimitNOFILE", (unsigned long long)rl.rlim_cur,
		    connections);
}

struct http_server *
http_start(struct kith_config *cfg, const char *listen, char *err,
    size_t errlen)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	struct kith_config keep = *cfg;
	unsigned threads = (unsigned)cfg->http_threads;
	char *db_path;

	s->fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if ((s->web = web_new(cfg, err, errlen)) == NULL)
		goto fail;
	/* cfg now lives in s->web; keep points at the same strings */
	db_path = config_db_path(&keep);
	s->ws = walsync_start(web_writer(s->web), db_path,
	    keep.http_db_timeout_ms, "web", 0, err, errlen);
	free(db_path);
	if (s->ws == NULL && *err)
		goto fail;
	render_canned(s, &keep);
	s->fd = listen_on(s, listen ? listen : keep.http_listen, err, errlen);
	if (s->fd < 0)
		goto fail;
	raise_fd_limit(keep.http_max_connections);
	if (pthread_create(&s->executor, NULL, executor, s) != 0) {
		snprintf(err, errlen, "cannot start a thread");
		goto fail;
	}
	s->executor_started = 1;
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_ITC, 0,
	    NULL, NULL, on_request, s,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
	    MHD_OPTION_LISTEN_SOCKET, s->fd,
	    MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)keep.http_max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)keep.http_timeout,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, s,
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server on '%s'",
		    s->address);
		goto fail;
	}
	return s;
fail:
	http_stop(s, 0);
	return NULL;
}

const char *
http_address(const struct http_server *s)
{
	return s->address;
}

int
http_reload(struct http_server *s, struct kith_config *cfg, char *err,
    size_t errlen)
{
	struct kith_config *copy = xmalloc(sizeof(*copy));

	(void)err;
	(void)errlen;
	*copy = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	pthread_mutex_lock(&s->lock);
	if (s->reload) {
		config_release(s->reload);
		free(s->reload);
	}
	s->reload = copy;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int
http_take_mail(struct http_server *s)
{
	return atomic_exchange(&s->mail, 0);
}

void
http_stop(struct http_server *s, int grace)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	long waited = 0;

	if (s == NULL)
		return;
	/* no new connections: closed, so that clients are refused at once */
	if (s->mhd && MHD_quiesce_daemon(s->mhd) == s->fd && s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	/* requests already begun are answered, unless they take too long */
	while (s->mhd && atomic_load(&s->inflight) > 0 &&
	    waited < (long)grace * 1000) {
		nanosleep(&tick, NULL);
		waited += 20;
	}
	if (s->executor_started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = 1;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->executor, NULL);
	}
	/* the last pages wait for their commits (MHD still sends them) */
	walsync_stop(s->ws);
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	if (s->fd >= 0)
		close(s->fd);
	if (s->unix_path)
		unlink(s->unix_path);
	free(s->unix_path);
	web_free(s->web);
	if (s->reload) {
		config_release(s->reload);
		free(s->reload);
	}
	for (int i = 0; i < NCANNED; i++)
		free(s->canned[i]);
	free(s->css);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s);
}

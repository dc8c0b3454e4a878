/* probe - one GET with a deadline, over TCP, TLS or a unix socket. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "kith/config.h"
#include "kith/probe.h"
#include "kith/util.h"

#define ANSWER_MAX 4096

struct conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	int64_t deadline;	/* monotonic milliseconds */
};

/* Wait until fd is ready for events or the deadline passes; 0 or -1. */
static int
wait_fd(struct conn *c, short events)
{
	struct pollfd p = { c->fd, events, 0 };
	int64_t left = c->deadline - mono_ms();

	if (left <= 0)
		return -1;
	return poll(&p, 1, (int)left) == 1 ? 0 : -1;
}

/* A non-blocking connect to an address of host:port, or a unix path. */
static int
dial(struct conn *c, const char *host, const char *port, const char *unix_path,
    char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL, *a;
	int rc;

	if (unix_path) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(unix_path) >= sizeof(sun.sun_path)) {
			snprintf(err, errlen, "socket path too long");
			return -1;
		}
		memcpy(sun.sun_path, unix_path, strlen(unix_path) + 1);
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd >= 0 && connect(c->fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == 0) {
			/* reads and writes then keep to the deadline */
			fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
			return 0;
		}
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "%s", gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "no address");
	for (a = ai; a; a = a->ai_next) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		c->fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		if (c->fd < 0)
			continue;
		if (connect(c->fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(c, POLLOUT) == 0 &&
		    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
		    soerr == 0)) {
			freeaddrinfo(ai);
			return 0;
		}
		snprintf(err, errlen, "%s", soerr ? strerror(soerr) :
		    errno == EINPROGRESS ? "timed out" : strerror(errno));
		close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(ai);
	return -1;
}

/* TLS as a mail provider sees it: the system's CAs, SNI, the host name. */
static int
tls_start(struct conn *c, const char *host, char *err, size_t errlen)
{
	int r;

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL)
		return -1;
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_default_verify_paths(c->ctx);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	c->ssl = SSL_new(c->ctx);
	SSL_set_tlsext_host_name(c->ssl, host);
	SSL_set1_host(c->ssl, host);
	SSL_set_fd(c->ssl, c->fd);
	while ((r = SSL_connect(c->ssl)) != 1) {
		int e = SSL_get_error(c->ssl, r);

		if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
		    wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) == 0)
			continue;
		if (SSL_get_verify_result(c->ssl) != X509_V_OK)
			snprintf(err, errlen, "TLS: %s",
			    X509_verify_cert_error_string(
			    SSL_get_verify_result(c->ssl)));
		else
			snprintf(err, errlen, "TLS handshake failed");
		return -1;
	}
	return 0;
}

static int
io(struct conn *c, char *buf, size_t n, int writing)
{
	for (;;) {
		ssize_t r;

		if (c->ssl) {
			int e;

			r = writing ? SSL_write(c->ssl, buf, (int)n) :
			    SSL_read(c->ssl, buf, (int)n);
			if (r > 0)
				return (int)r;
			e = SSL_get_error(c->ssl, (int)r);
			if (e == SSL_ERROR_ZERO_RETURN)
				return 0;
			if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
			    wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN :
			    POLLOUT) < 0)
				return -1;
			continue;
		}
		r = writing ? write(c->fd, buf, n) : read(c->fd, buf, n);
		if (r >= 0)
			return (int)r;
		if ((errno != EAGAIN && errno != EINTR) ||
		    wait_fd(c, writing ? POLLOUT : POLLIN) < 0)
			return -1;
	}
}

/* Send the GET and read the answer; 0 when it is 200 with expect. */
static int
exchange(struct conn *c, const char *host, const char *path,
    const char *expect, char *err, size_t errlen)
{
	char *req = xasprintf("GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: "
	    "kith-check\r\nConnection: close\r\n\r\n", path, host);
	char ans[ANSWER_MAX + 1];
	size_t len = 0, sent = 0, reqlen = strlen(req);
	const char *body;
	int r, status;

	while (sent < reqlen && (r = io(c, req + sent, reqlen - sent, 1)) > 0)
		sent += (size_t)r;
	free(req);
	if (sent < reqlen) {
		snprintf(err, errlen, "cannot send the request");
		return -1;
	}
	while (len < ANSWER_MAX && (r = io(c, ans + len, ANSWER_MAX - len,
	    0)) > 0)
		len += (size_t)r;
	ans[len] = '\0';
	if (sscanf(ans, "HTTP/%*d.%*d %d", &status) != 1) {
		snprintf(err, errlen, len ? "the answer is not HTTP" :
		    "no answer in time");
		return -1;
	}
	body = strstr(ans, "\r\n\r\n");
	if (status != 200) {
		snprintf(err, errlen, "HTTP status %d", status);
		return -1;
	}
	if (expect && (body == NULL || strncmp(body + 4, expect,
	    strlen(expect)))) {
		snprintf(err, errlen, "status 200, but not kith serve's answer");
		return -1;
	}
	return 0;
}

static int
probe(const char *host, const char *port, const char *unix_path, int tls,
    const char *path, const char *expect, int timeout_ms, char *err,
    size_t errlen)
{
	struct conn c = { -1, NULL, NULL, mono_ms() + timeout_ms };
	int r = -1;

	if (dial(&c, host, port, unix_path, err, errlen) == 0 &&
	    (!tls || tls_start(&c, host, err, errlen) == 0))
		r = exchange(&c, host, path, expect, err, errlen);
	if (c.ssl) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	SSL_CTX_free(c.ctx);
	if (c.fd >= 0)
		close(c.fd);
	return r;
}

int
probe_get(const char *url, const char *expect, int timeout_ms, char *err,
    size_t errlen)
{
	int tls = !strncmp(url, "https://", 8);
	const char *h = url + (tls ? 8 : 7), *slash, *colon;
	char host[256], port[16];
	size_t n;

	if (!tls && strncmp(url, "http://", 7)) {
		snprintf(err, errlen, "not an http(s) address");
		return -1;
	}
	slash = strchr(h, '/');
	n = slash ? (size_t)(slash - h) : strlen(h);
	colon = memchr(h, ':', n);
	if (*h == '[') {	/* [v6]:port */
		const char *close = memchr(h, ']', n);

		if (close == NULL) {
			snprintf(err, errlen, "bad address");
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(close - h - 1), h + 1);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else
		snprintf(host, sizeof(host), "%.*s", (int)(colon ? (size_t)(colon -
		    h) : n), h);
	snprintf(port, sizeof(port), "%.*s", colon ? (int)(h + n - colon - 1) :
	    3, colon ? colon + 1 : tls ? "443" : "80");
	return probe(host, port, NULL, tls, slash ? slash : "/", expect,
	    timeout_ms, err, errlen);
}

int
probe_listen(const char *listen, const char *path, const char *expect,
    int timeout_ms, char *err, size_t errlen)
{
	char host[256], port[16];
	int p, kind = config_listen_parse(listen, host, sizeof(host), &p);

	if (kind < 0) {
		snprintf(err, errlen, "bad listen address");
		return -1;
	}
	snprintf(port, sizeof(port), "%d", p);
	return probe(kind == 1 ? "localhost" : host, port, kind == 1 ? host :
	    NULL, 0, path, expect, timeout_ms, err, errlen);
}

/*
 * http - kith serve's HTTP server, on libmicrohttpd.
 *
 * libmicrohttpd (GNU, also the HTTP side of systemd-journal-remote)
 * listens, parses HTTP/1.1, and enforces the connection limit, the idle
 * timeout and the memory each request may use; its threads (epoll) only
 * move bytes.  Every page runs on one executor thread, in order, through
 * web.h: the modules behind the pages are written for one thread, and
 * writes that arrive together share one transaction and one fsync
 * (group commit).  /healthz and /static/kith.css are answered by the
 * connection threads directly, so they answer while the executor waits
 * for a busy database.
 *
 * Every response carries the security headers (Content-Security-Policy,
 * X-Content-Type-Options, Referrer-Policy, X-Frame-Options, no-store
 * caching).  Requests with too many header fields (431), a larger body
 * than [http] max_body (413), a body that is not a form (415) or another
 * method than GET, HEAD and POST (405) never reach a page.  Tokens never
 * reach the log: paths are logged with them replaced.
 */
#ifndef KITH_HTTP_H
#define KITH_HTTP_H

#include <stddef.h>

#include "kith/config.h"

struct http_server;

/*
 * http_start - listen on [http] listen (or listen when not NULL) and
 * serve.  cfg is taken over (moved).  NULL with a line in err.
 */
struct http_server *http_start(struct kith_config *cfg, const char *listen,
    char *err, size_t errlen);

/* Where it listens: "http://127.0.0.1:8025" or "unix:/run/kith.sock". */
const char *http_address(const struct http_server *s);

/*
 * http_reload - a new configuration for the pages (taken over).  The
 * listen address, threads, connection limit and timeout stay as they
 * were started.  -1 with err when it cannot be used (the old one stays).
 */
int http_reload(struct http_server *s, struct kith_config *cfg, char *err,
    size_t errlen);

/* 1 when a page queued mail since the last call (deliver soon). */
int http_take_mail(struct http_server *s);

/*
 * http_stop - stop accepting, let the requests in flight finish (at most
 * grace seconds), then close everything and free s.
 */
void http_stop(struct http_server *s, int grace);

#endif

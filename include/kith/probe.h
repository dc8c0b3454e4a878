/*
 * probe - is anything answering at a web address?  `kith check` asks
 * WEB_BASE_URL/healthz (https, the certificate and host name checked as a
 * mail provider would) and kith serve's own [http] listen address.  A
 * tiny HTTP/1.0 GET over a socket with a deadline; nothing else.
 */
#ifndef KITH_PROBE_H
#define KITH_PROBE_H

#include <stddef.h>

/*
 * probe_get - GET url ("https://host[:port]/path" or "http://...") within
 * timeout_ms.  0 when the answer's status is 200 and its body starts with
 * expect (NULL: any body); -1 with what went wrong in err.
 */
int probe_get(const char *url, const char *expect, int timeout_ms, char *err,
    size_t errlen);

/* The same for kith serve's listen spec (HOST:PORT, [V6]:PORT, unix:PATH). */
int probe_listen(const char *listen, const char *path, const char *expect,
    int timeout_ms, char *err, size_t errlen);

#endif

/*
 * dns - TXT lookups for DMARC policies and DKIM/ARC keys, through
 * libunbound, cached in the database with their TTL.
 *
 * Why libunbound and not the libc resolver: docs/DELIVERABILITY.md.  In
 * short: the TTL of every answer comes with it (res_nquery needs the
 * answer taken apart by hand), each lookup has a deadline in
 * milliseconds (the libc resolver counts whole seconds per attempt), a
 * context is safe to use from one thread while others hold their own,
 * and [dns] server may name a forwarder with a port ("127.0.0.1@5353"),
 * which resolv.conf cannot.  DNSSEC is not used: the answers decide only
 * whether Kith is more careful (a rewrite, an ARC cv=fail).
 *
 * Answers (a record, or none: NXDOMAIN or no TXT) are kept in the table
 * dns_cache for their TTL, at least DNS_MIN_TTL and at most DNS_MAX_TTL,
 * so that a name is asked once per TTL however many posts name it, and
 * dropped once it has expired (when the next answer is stored).  A
 * temporary failure (SERVFAIL, a timeout, no server) is not kept: the
 * next lookup asks again (in kith serve, after DNS_MEMO_TEMP_TTL).
 *
 * Ownership: dns_new() returns an object the caller frees with
 * dns_free(); the database handle is borrowed.  One object per thread.
 */
#ifndef KITH_DNS_H
#define KITH_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "kith/config.h"

struct db;

#define DNS_MIN_TTL 300
#define DNS_MAX_TTL 86400

enum dns_status {
	DNS_FOUND,	/* one or more TXT records */
	DNS_NONE,	/* the name does not exist or has no TXT record */
	DNS_TEMP	/* no answer now: SERVFAIL, timeout, no server */
};

/* The TXT records of a name, each one's strings joined (RFC 7208 3.3). */
struct dns_txt {
	char **rec;		/* n NUL-terminated records */
	size_t n;
	int cached;		/* 1 when it came from dns_cache */
	char why[128];		/* DNS_TEMP: what went wrong */
};

struct dns;

/*
 * dns_new - a resolver for cfg ([dns] server and timeout_ms) caching in
 * db (NULL: no cache).  The libunbound context is made at the first
 * lookup the cache cannot answer.  Caller frees with dns_free().
 */
struct dns *dns_new(const struct kith_config *cfg, struct db *db);
void dns_free(struct dns *d);

/*
 * dns_txt - the TXT records of name as of now.  DNS_FOUND with out
 * filled, DNS_NONE, or DNS_TEMP with out->why; release out with
 * dns_txt_release() in every case.
 */
enum dns_status dns_txt(struct dns *d, const char *name, int64_t now,
    struct dns_txt *out);
void dns_txt_release(struct dns_txt *t);

/* How many questions went to the network (not the cache) so far. */
unsigned dns_queries(const struct dns *d);

/*
 * dns_memo_only - from now on d answers from the database's cache and
 * the memo only: a name in neither is DNS_TEMP ("not asked"), is not
 * kept anywhere, and is counted by dns_unasked().  For a thread that
 * must never wait for a name server (kith serve's LMTP loop) to learn
 * whether it would have to.
 */
void dns_memo_only(struct dns *d);
unsigned dns_unasked(const struct dns *d);

/*
 * dns_memo - the answers of one process's threads, shared (kith serve's
 * LMTP side keeps one in its configuration: kith_config's dns_memo).  A
 * lookup the database's cache cannot answer looks here before it asks
 * the network, and what the network answers is kept here too: found or
 * none for its TTL, a temporary failure for DNS_MEMO_TEMP_TTL seconds.
 * So a helper thread can ask ahead (post_prefetch_dns) and the
 * committer, which every message waits for, finds the answer, or the
 * failure, without waiting for a name server itself.  At most
 * DNS_MEMO_SIZE names; safe for any number of threads.
 */
#define DNS_MEMO_SIZE 512
#define DNS_MEMO_TEMP_TTL 10
struct dns_memo *dns_memo_new(void);
void dns_memo_free(struct dns_memo *m);

#endif

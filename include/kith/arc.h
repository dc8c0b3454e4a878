/*
 * arc - Authenticated Received Chain (RFC 8617) for list copies, so that
 * Gmail and Microsoft can trust what the list changed (a subject prefix,
 * a footer, a rewritten From) on the strength of what was checked when
 * the post arrived.
 *
 * Two steps, because the second may need to be repeated per recipient:
 *
 *  1. When a post is accepted (arc_stamp): verify the ARC chain it came
 *     with (every ARC-Seal, and the newest ARC-Message-Signature against
 *     the message as received; keys from DNS through dns.h), read the
 *     Authentication-Results our own MTA wrote ([site] authserv_id, no
 *     other), and write the ARC-Authentication-Results of the next
 *     instance (i=n+1) with arc=pass, fail or none.  It goes at the top
 *     of the list copy.
 *  2. When a copy is sent (arc_seal): the ARC-Message-Signature over the
 *     copy as it goes out and the ARC-Seal over the whole chain, with
 *     cv= from step 1 (none for i=1), signed with the DKIM key.  A copy
 *     shared by every member is sealed once per message (struct
 *     arc_cache); a copy rendered for one member (a footer with their
 *     own links) is sealed for that member.
 *
 * Only rsa-sha256 and relaxed/relaxed are verified; anything else in an
 * earlier set makes the chain fail, which is what the next hop would
 * conclude too.  At most ARC_MAX_INSTANCE sets (RFC 8617 4.2.1).
 */
#ifndef KITH_ARC_H
#define KITH_ARC_H

#include <stddef.h>
#include <stdint.h>

#include "kith/dkim.h"
#include "kith/dns.h"

#define ARC_MAX_INSTANCE 50

enum arc_cv { ARC_NONE, ARC_PASS, ARC_FAIL };

/*
 * arc_verify - the chain of raw[0..len) as received: ARC_NONE when it
 * has no ARC header field, ARC_PASS or ARC_FAIL (why says which part).
 * *max gets the highest instance present (0 when none).
 */
enum arc_cv arc_verify(struct dns *d, const char *raw, size_t len,
    int64_t now, int *max, char *why, size_t whylen);

/*
 * arc_stamp - "ARC-Authentication-Results: i=N; ID; arc=...; ..." with
 * eol line ends, for the list copy of raw (as received): ID is
 * authserv_id (results copied from our MTA's Authentication-Results
 * fields with that id), or fallback_id when authserv_id is "".  NULL
 * when no set may be added (over ARC_MAX_INSTANCE).  *cv gets the
 * chain's status.  Caller frees.
 */
char *arc_stamp(struct dns *d, const char *authserv_id,
    const char *fallback_id, const char *raw, size_t len, const char *eol,
    int64_t now, enum arc_cv *cv);

/*
 * arc_seal - "ARC-Seal: ...\r\nARC-Message-Signature: ...\r\n" for
 * data, a copy whose newest ARC-Authentication-Results (our stamp) has
 * no seal yet; NULL when it has none, or when signing failed (logged).
 * smtp_lines as for dkim_prepare().  Caller frees.
 */
char *arc_seal(const struct dkim_key *k, const char *data, size_t len,
    int smtp_lines, int64_t now);

/*
 * A worker's seal of the shared copy it is sending: arc_cache_seal()
 * seals message msg_id once and returns a copy of that seal for each of
 * its recipients (NULL as arc_seal).  Caller frees what it returns and
 * the cache with arc_cache_free() (NULL is a no-op).
 */
struct arc_cache;
struct arc_cache *arc_cache_new(void);
void arc_cache_free(struct arc_cache *c);
char *arc_cache_seal(struct arc_cache *c, const struct dkim_key *k,
    int64_t msg_id, const char *data, size_t len, int smtp_lines,
    int64_t now);

/*
 * arc_head - the delivery engine's step: head (the copy's own header
 * lines, taken over, may be NULL) with the ARC set above it, for data
 * (shared copy of message msg_id, sealed once through *c, made on first
 * use) or own (a copy of one member, sealed for them).  Returns what
 * the caller frees instead of head.
 */
char *arc_head(struct arc_cache **c, const struct dkim_key *k,
    int64_t msg_id, const char *data, size_t len, const char *own,
    size_t own_len, int smtp_lines, int64_t now, char *head);

#endif

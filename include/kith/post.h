/*
 * post - accept a post: archive it and queue the list copy for every
 * member who gets each message, in one transaction.  Used by inbound for
 * posts that pass policy and by moderation for approved ones.
 */
#ifndef KITH_POST_H
#define KITH_POST_H

#include <stdint.h>

#include "kith/config.h"
#include "kith/lists.h"
#include "kith/message.h"

struct db;

struct post_outcome {
	int duplicate;		/* the Message-ID was posted before: nothing done */
	int64_t recipients;	/* outbox rows queued (deferred: 1 if any) */
	int deferred;		/* the copies to the members wait (post.h) */
	int64_t post_id;
	char message_id[512];	/* its own, or the one generated */
	char error[256];
};

/*
 * KITH_OK (see o->duplicate), KITH_TEMP or KITH_PERM with o->error.  In a
 * group that defers (db_group_defer), the post's words for the archive's
 * index and its copies to the members wait for post_catch_up; the post
 * itself, its copy to send and o->recipients are there as always.
 */
int post_accept(struct db *db, const struct kith_config *cfg,
    const struct list *l, const struct message *m, struct post_outcome *o);

/*
 * post_catch_up - what deferring groups left: the archived posts' words
 * indexed, each post's copies to the members who get it now, in one
 * transaction.  KITH_OK when nothing waits any more, else KITH_TEMP
 * (the database busy: the next call does it).
 */
int post_catch_up(struct db *db, int64_t now);

/*
 * post_prefetch_dns - ask the DNS now what post_accept will ask about m
 * (its author domain's DMARC policy; with DKIM on, the keys of its ARC
 * sets), for the answers to wait in cfg->dns_memo (dns.h).  kith serve
 * calls it on a helper thread, before the message goes to the
 * committer: a slow name server holds up that message only, not the
 * commit every message waits for.  Nothing without a memo.
 */
void post_prefetch_dns(const struct kith_config *cfg,
    const struct message *m);

/*
 * post_dns_known - 1 when everything post_prefetch_dns would ask about m
 * is in cfg->dns_memo already (or there is no memo): the caller may go on
 * without waiting for a name server.  Asks nobody.
 */
int post_dns_known(const struct kith_config *cfg, const struct message *m);

#endif

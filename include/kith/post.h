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
	int64_t recipients;	/* outbox rows queued */
	int64_t post_id;
	char message_id[512];	/* its own, or the one generated */
	char error[256];
};

/* KITH_OK (see o->duplicate), KITH_TEMP or KITH_PERM with o->error. */
int post_accept(struct db *db, const struct kith_config *cfg,
    const struct list *l, const struct message *m, struct post_outcome *o);

#endif

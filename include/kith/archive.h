/*
 * archive - every accepted post: raw bytes, threading, decoded subject and
 * text in an FTS5 index; listing, search and mboxrd export.
 */
#ifndef KITH_ARCHIVE_H
#define KITH_ARCHIVE_H

#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

#include "kith/message.h"

struct post {
	int64_t id, num, thread_id, date, size;
	char *message_id, *sender, *sender_name;
	char *subject;		/* as shown: subject_clean() with the list prefix */
};

void post_release(struct post *p);

/* 1 when message_id was already posted to the list, 0 when not, -1 on error. */
int archive_seen(sqlite3 *db, int64_t list_id, const char *message_id);

/*
 * archive_store - insert the post inside the caller's transaction.
 * message_id is what the post is known by (its own or the generated one).
 * searchable = 0 keeps it out of archive commands (archive = off) while
 * still recording it for duplicate detection.  KITH_OK and *post_id.
 */
int archive_store(sqlite3 *db, int64_t list_id, const struct message *m,
    const char *message_id, int searchable, int64_t *post_id);

/*
 * archive_store_at - archive_store with the time the list received it
 * (an import keeps each message's own; its date when it has one).  A
 * number or id a removed post had (posts_removed) is never given again.
 */
int archive_store_at(sqlite3 *db, int64_t list_id, const struct message *m,
    const char *message_id, int searchable, int64_t received,
    int64_t *post_id);

/*
 * archive_add_old - one message from before Kith (kith import; shared
 * with the mbox import): archived as a post of list_id with its own Date
 * (fallback_date when it has none), threaded, searchable, and never
 * delivered: no outbox row, no digest (digests start from their state).
 * A message without a Message-ID gets one made from its bytes, so that
 * importing twice stores it once.  Inside the caller's transaction.
 */
enum archive_add { ARCHIVE_ADDED, ARCHIVE_DUPLICATE, ARCHIVE_UNREADABLE,
	ARCHIVE_ERROR };
enum archive_add archive_add_old(sqlite3 *db, int64_t list_id,
    const char *raw, size_t len, int64_t fallback_date, int64_t *post_id);

/* Posts of a list, newest last; fn returning non-zero stops. */
int archive_foreach(sqlite3 *db, int64_t list_id,
    int (*fn)(const struct post *, void *), void *ctx);
/* Full-text search (FTS5) over subject and body; terms ANDed. */
int archive_search(sqlite3 *db, int64_t list_id, const char *query,
    int (*fn)(const struct post *, void *), void *ctx);
/* A post's raw bytes and decoded text (either may be NULL); KITH_OK or KITH_PERM. */
int archive_get(sqlite3 *db, int64_t id, struct post *p, char **raw,
    size_t *rawlen, char **text);
/* mboxrd export of the list's searchable posts. */
int archive_export_mbox(sqlite3 *db, int64_t list_id, FILE *out);

#endif

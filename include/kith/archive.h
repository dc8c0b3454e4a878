/*
 * archive - every accepted post: raw bytes, threading, decoded subject and
 * text in an FTS5 index; listing, search and mboxrd export.
 */
#ifndef KITH_ARCHIVE_H
#define KITH_ARCHIVE_H

#include <stdint.h>
#include <stdio.h>

#include "kith/message.h"

struct db;

struct buf;

struct post {
	int64_t id, num, thread_id, date, size;
	char *message_id, *sender, *sender_name;
	char *subject;		/* as shown: subject_clean() with the list prefix */
	int64_t received;	/* when the list got it (an import: its date) */
	char *in_reply_to;
};

void post_release(struct post *p);

/* 1 when message_id was already posted to the list, 0 when not, -1 on error. */
int archive_seen(struct db *db, int64_t list_id, const char *message_id);

/*
 * archive_store - insert the post inside the caller's transaction.
 * message_id is what the post is known by (its own or the generated one).
 * searchable = 0 keeps it out of archive commands (archive = off) while
 * still recording it for duplicate detection.  KITH_OK and *post_id.
 */
int archive_store(struct db *db, int64_t list_id, const struct message *m,
    const char *message_id, int searchable, int64_t *post_id);

/*
 * An archive_writer keeps the statements of archive_store prepared, for
 * many posts in a row (an import): the same as archive_seen and
 * archive_store_at, on w's connection.  NULL from new on error (logged).
 */
struct archive_writer;
struct archive_writer *archive_writer_new(struct db *db);
void archive_writer_free(struct archive_writer *w);
int archive_writer_seen(struct archive_writer *w, int64_t list_id,
    const char *message_id);
int archive_writer_store(struct archive_writer *w, int64_t list_id,
    const struct message *m, const char *message_id, int searchable,
    int64_t received, int64_t *post_id);
/* 1 when the last post w stored joined an existing thread. */
int archive_writer_threaded(const struct archive_writer *w);

/*
 * archive_thread_merge - thread from (its posts) becomes part of thread
 * into, inside the caller's transaction; the counts follow.
 */
int archive_thread_merge(struct db *db, int64_t list_id, int64_t from,
    int64_t into);

/*
 * archive_parts - the attachments of the message raw[0..len) (as
 * message_attachments() sees them, in that order), one "TYPE\tSIZE\tNAME"
 * line each, tabs and line breaks in names made spaces; "" when none.
 * A part that says it is an image but whose bytes are not a PNG, JPEG,
 * GIF or WebP is recorded as application/octet-stream.  Caller frees.
 */
char *archive_parts(const char *raw, size_t len);

/* type when data (len bytes) really is that picture (PNG, JPEG, GIF,
 * WebP), else NULL: the only attachments shown inline or served as what
 * they say. */
const char *archive_safe_image(const char *type, const char *data,
    size_t len);

/*
 * archive_store_at - archive_store with the time the list received it
 * (an import keeps each message's own; its date when it has one).  A
 * number or id a removed post had (posts_removed) is never given again.
 */
int archive_store_at(struct db *db, int64_t list_id, const struct message *m,
    const char *message_id, int searchable, int64_t received,
    int64_t *post_id);

/* The Message-ID an import gives a message that has none, made from its
 * bytes ("kith-import-HEX@invalid"): the same bytes, the same id, so
 * that importing twice (by either importer) stores it once.  Caller
 * frees. */
char *archive_import_message_id(const char *raw, size_t len);

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
enum archive_add archive_add_old(struct db *db, int64_t list_id,
    const char *raw, size_t len, int64_t fallback_date, int64_t *post_id);

/* Posts of a list, newest last; fn returning non-zero stops. */
int archive_foreach(struct db *db, int64_t list_id,
    int (*fn)(const struct post *, void *), void *ctx);
/* Search: archive_search.h. */
/* A post's raw bytes and decoded text (either may be NULL); KITH_OK or KITH_PERM. */
int archive_get(struct db *db, int64_t id, struct post *p, char **raw,
    size_t *rawlen, char **text);
/* mboxrd export of the list's searchable posts. */
int archive_export_mbox(struct db *db, int64_t list_id, FILE *out);

/* ---- what the web archive reads (web_archive.c) ---- */

struct thread_info {
	int64_t id, posts, started, last;	/* received times */
	struct post first;	/* its earliest archived post */
};
void thread_info_release(struct thread_info *t);

/*
 * archive_threads - the list's threads, most recently active first (or,
 * by_start, most recently started first), limit of them after offset
 * (every one when limit < 0).
 * fn's argument is borrowed for the call; non-zero stops.
 */
int archive_threads(struct db *db, int64_t list_id, int by_start, int limit,
    int offset, int (*fn)(const struct thread_info *, void *), void *ctx);
/* How many threads the list has (-1 on error). */
int64_t archive_thread_count(struct db *db, int64_t list_id);
/* Thread id of the list into t (release it); KITH_PERM when none. */
int archive_thread_get(struct db *db, int64_t list_id, int64_t thread_id,
    struct thread_info *t);

/* The months with posts, newest first: YYYYMM and the number of posts. */
int archive_months(struct db *db, int64_t list_id,
    int (*fn)(int month, int64_t posts, void *), void *ctx);

/* A post with its decoded text; borrowed for the call. */
struct post_text {
	struct post p;
	const char *body;
	const char *parts;	/* archive_parts(); NULL: not recorded */
};

/* The posts of a thread, in the order they came. */
int archive_thread_posts(struct db *db, int64_t list_id, int64_t thread_id,
    int (*fn)(const struct post_text *, void *), void *ctx);
/* The posts received in [from, to), in order (body "" unless text). */
int archive_range_posts(struct db *db, int64_t list_id, int64_t from,
    int64_t to, int text, int (*fn)(const struct post_text *, void *),
    void *ctx);
/* One post by its Message-ID (without <>); KITH_PERM when none. */
int archive_find(struct db *db, int64_t list_id, const char *message_id,
    int (*fn)(const struct post_text *, void *), void *ctx);
/* The raw bytes of post id into out; KITH_PERM when none. */
int archive_raw(struct db *db, int64_t id, struct buf *out);

/*
 * mboxrd of a thread, or of the posts received in [from, to), appended
 * to out; KITH_PERM when it would pass max bytes (out then holds part).
 */
int archive_mbox_thread(struct db *db, int64_t list_id, int64_t thread_id,
    struct buf *out, size_t max);
int archive_mbox_range(struct db *db, int64_t list_id, int64_t from,
    int64_t to, struct buf *out, size_t max);

#endif

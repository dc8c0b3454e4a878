/*
 * outbox - the queue every outgoing mail goes through.
 *
 * outbox_messages holds each message's bytes once; outbox holds one row
 * per (message, recipient) with the state machine
 *   pending -> sending -> sent | deferred -> ... | failed.
 * A claim moves rows to 'sending' with a lease, in the name of the
 * claimant (its journal, journal.h).  When the claimant's process is gone
 * its rows are claimable again at once; on PostgreSQL also a claimant on
 * another host, once its database session is gone (db_claim_begin).
 * Rows of a claimant without a journal wait for the lease to run out.
 * Nothing is lost and at most the transactions in flight are sent twice.
 */
#ifndef KITH_OUTBOX_H
#define KITH_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

struct db;

/*
 * outbox_message_add - inside the caller's transaction.  KITH_OK and *id.
 * list_id/post_id 0 = none.  unsubscribe is the list address whose
 * per-recipient List-Unsubscribe each member's copy gets at delivery, or
 * NULL for mail that is not list traffic (notices).
 */
int outbox_message_add(struct db *db, int64_t list_id, int64_t post_id,
    const char *kind, const char *bounce_local, const char *domain,
    const char *unsubscribe, const char *data, size_t len, int64_t *id);
/*
 * One row per member of list_id who gets each message; *count set.  In a
 * group that defers (db_group_defer), one row in outbox_fanout instead,
 * for outbox_fanout_catch_up to make theirs, and *count 1 if anyone
 * gets it, else 0.
 */
int outbox_fanout_members(struct db *db, int64_t msg_id, int64_t list_id,
    int64_t *count);
/*
 * outbox_fanout_catch_up - the rows deferred messages wait for, to the
 * members who get each message now; in the caller's transaction.
 */
int outbox_fanout_catch_up(struct db *db, int64_t now);
/*
 * outbox_fanout_waiting - how many deferred messages wait for their rows
 * (-1: the database's error); *oldest, when the first of them was queued
 * (0 when none), unless oldest is NULL.
 */
int64_t outbox_fanout_waiting(struct db *db, int64_t *oldest);
/*
 * outbox_fanout_mailable - one row per member of list_id who gets mail
 * at all (not no-mail, not disabled by bounces): newsletters, invitations,
 * polls and their results.  *count set.
 */
int outbox_fanout_mailable(struct db *db, int64_t msg_id, int64_t list_id,
    int64_t now, int64_t *count);

/*
 * outbox_render_add - a message whose every copy is rendered for its
 * recipient at delivery time: render is "KIND:KEY", where KIND names the
 * feature whose renderer makes each copy (feature.h) and KEY is that
 * feature's own ("7:REQUEST", "3").  list_local's bounce address is its
 * envelope sender.
 */
int outbox_render_add(struct db *db, int64_t list_id, const char *list_local,
    const char *domain, const char *kind, const char *render,
    int64_t *msg_id);

/* One row for rcpt (normalised by the caller). */
int outbox_rcpt_add(struct db *db, int64_t msg_id, const char *rcpt);

struct outbox_item {
	int64_t id, msg_id;
	int64_t member_id;	/* 0 when the recipient is not a member */
	int attempts;
	char *rcpt;
};

/*
 * outbox_claim - lease up to limit due rows (pending, deferred and due,
 * or sending with an expired lease) for lease seconds.  *items is a new
 * array (outbox_items_free) ordered by message.  KITH_OK/KITH_TEMP.
 * claimant names the claiming worker (journal_name(), "" or NULL for
 * none).  When journal_dir is given, the journals of stopped delivery
 * runs are applied first, in the same transaction: what they sent is
 * 'sent', what they held is released (journal.h).
 */
int outbox_claim(struct db *db, int64_t now, int lease, int limit,
    const char *journal_dir, const char *claimant, struct outbox_item **items,
    size_t *n);
void outbox_items_free(struct outbox_item *items, size_t n);

/* One queued message, as the delivery engine needs it. */
struct outbox_message {
	int64_t id;
	char *data;
	size_t len;
	char *bounce_local, *domain;
	char *unsubscribe;	/* "" when no per-recipient List-Unsubscribe */
	int64_t list_id;	/* 0 when not list mail */
	char *render;		/* "KIND:KEY" when each copy is rendered at
				 * delivery (outbox_render_add); "" when the
				 * bytes are in data */
};

/* Load msg_id into m (release with outbox_message_release); KITH_OK/PERM. */
int outbox_message_load(struct db *db, int64_t msg_id,
    struct outbox_message *m);
void outbox_message_release(struct outbox_message *m);

struct retry_policy {
	int base;		/* seconds before the first retry */
	int max_attempts;
};

/* A prepared UPDATE reused for every result of a run (owns a statement). */
struct outbox_marker;
struct outbox_marker *outbox_marker_new(struct db *db);
void outbox_marker_free(struct outbox_marker *mk);

/*
 * outbox_mark - record one result inside the caller's transaction:
 * KITH_OK -> sent, KITH_PERM -> failed, KITH_TEMP -> deferred with
 * exponential backoff (failed after max_attempts).  Returns the state
 * written ("sent", "deferred", "failed") or NULL on a database error.
 */
const char *outbox_mark(struct outbox_marker *mk,
    const struct outbox_item *it, int status, int code, const char *text,
    int64_t now, const struct retry_policy *rp);

/* One result for outbox_mark_many: state is set to what was written. */
struct outbox_result {
	const struct outbox_item *it;
	int status, code;
	const char *text;
	const char *state;
};

/* How many results one statement of outbox_mark_many records. */
#define OUTBOX_MARK_ROWS 64

/*
 * outbox_mark_many - outbox_mark for n results, OUTBOX_MARK_ROWS of them
 * in one statement: a server database takes one round trip for them
 * where one a result made the writers' lock wait on the wire.  KITH_OK,
 * or the database's status (the caller rolls back).
 */
int outbox_mark_many(struct outbox_marker *mk, struct outbox_result *r,
    size_t n, int64_t now, const struct retry_policy *rp);

/*
 * outbox_unclaim - hand claimed rows back untried (a throttled worker
 * that cannot send them before its lease runs out): claimable at once,
 * the attempt not counted.
 */
int outbox_unclaim(struct db *db, const struct outbox_item *items, size_t n);

struct outbox_counts {
	int64_t pending, sending, sent, deferred, failed;
};
int outbox_count(struct db *db, struct outbox_counts *c);

/* One copy not yet sent, as `kith queue ls` shows it. */
struct outbox_row {
	int64_t id, attempts, next_try, updated;
	int last_code;
	const char *list;	/* "" for mail of no list */
	const char *rcpt, *state, *last_text;
};
/*
 * outbox_foreach - the copies in state (NULL: every state but sent), of
 * one list (list_id 0: all), oldest first; fn returns nonzero to stop.
 * KITH_OK, or KITH_TEMP when the database could not be read.
 */
int outbox_foreach(struct db *db, const char *state, int64_t list_id,
    int (*fn)(const struct outbox_row *, void *), void *ctx);
/*
 * outbox_waiting - the deferred copies: how many, since when the oldest
 * waits (its message's time) and what the relay last said of the newest
 * attempt (*last, caller frees; "" when none).  KITH_OK or KITH_TEMP.
 */
int outbox_waiting(struct db *db, int64_t *n, int64_t *oldest, char **last);
/*
 * outbox_retry_now - the deferred copies (of one list, or all: list_id
 * 0) due at now, as `postqueue -f` does: the next delivery run sends
 * them.  *n: how many.  KITH_OK, or KITH_TEMP (database busy).
 */
int outbox_retry_now(struct db *db, int64_t list_id, int64_t now,
    int64_t *n);

#endif

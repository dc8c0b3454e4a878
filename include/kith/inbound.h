/*
 * inbound - what happens to one message the MTA hands over: route by
 * recipient, apply policy, archive and queue, and decide the exit code.
 *
 * Exit codes follow sysexits(3): 0 only once the message is committed to
 * the database (or deliberately dropped with the reason logged), 67 for
 * an address that is no list, 75 for anything transient.  A message that
 * cannot be parsed is kept in the quarantine table with the reason.
 */
#ifndef KITH_INBOUND_H
#define KITH_INBOUND_H

#include <stddef.h>


#include "kith/config.h"
#include "kith/message.h"

struct db;

struct inbound_result {
	int exit_code;
	int queued;		/* something went into the outbox */
	char what[64];		/* accepted, dropped, refused, quarantined ... */
	char reason[512];	/* one line for the log / stderr */
};

/*
 * inbound_receive - handle raw (len bytes; may start with an mbox
 * "From " line) sent by envelope_from (may be "" for <>) to envelope_to.
 */
void inbound_receive(const struct kith_config *cfg, const char *raw,
    size_t len, const char *envelope_from, const char *envelope_to,
    struct inbound_result *res);

#define INBOUND_MAX (256u << 20)	/* never read more than this */
#define INBOUND_HEAD_MIN (64u << 10)	/* always read this much */

/*
 * inbound_size_limit - how many bytes of a message to envelope_to are
 * worth reading: its list's max_size, but at least INBOUND_HEAD_MIN (the
 * header a refusal quotes), INBOUND_MAX when the list sets no limit, and
 * INBOUND_HEAD_MIN when envelope_to is no list or the database cannot
 * tell (the answer is then 67 or 75 whatever the message holds).
 */
size_t inbound_size_limit(const struct kith_config *cfg,
    const char *envelope_to);

/*
 * inbound_receive_sized - inbound_receive when only the first len bytes
 * of a message of size bytes were read (size > len: the rest was over
 * inbound_size_limit and never kept).  A post is refused with the
 * too-big notice to its sender and exit 0, as a post over max_size
 * always was; a bounce report is read from its first bytes; anything
 * else gets 65, which the MTA bounces to the sender with the reason.
 */
void inbound_receive_sized(const struct kith_config *cfg, const char *raw,
    size_t len, size_t size, const char *envelope_from,
    const char *envelope_to, struct inbound_result *res);

/*
 * inbound_receive_db - inbound_receive_sized on db, a connection the
 * caller keeps open (kith serve's LMTP side): the same routing and the
 * same verdicts.  When the caller holds db in a group transaction
 * (db_group_begin), nothing of it is durable, and nothing may be
 * acknowledged, before db_group_commit succeeds.
 */
void inbound_receive_db(const struct kith_config *cfg, struct db *db,
    const char *raw, size_t len, size_t size, const char *envelope_from,
    const char *envelope_to, struct inbound_result *res);

/*
 * struct inbound_parsed - a whole message read as inbound_receive_db
 * reads it (bare-CR line ends made LF, an mbox "From " line skipped)
 * and parsed, before the database is needed: kith serve parses in its
 * LMTP loop (or on a helper thread), not on the committer that every
 * message waits for.  The bytes it was made from must outlive it.
 */
struct inbound_parsed {
	const char *received;	/* the bytes as the MTA gave them */
	size_t received_len;
	const char *raw;	/* as read: line ends, no "From " line */
	size_t len;
	char *normalized;	/* raw, when it is a copy */
	int rc;			/* message_parse's: 0, or -1 with err */
	struct message m;
	char err[256];
};

/* inbound_parse - read and parse raw (len bytes, the whole message). */
void inbound_parse(struct inbound_parsed *p, const char *raw, size_t len);
void inbound_parsed_release(struct inbound_parsed *p);

/*
 * inbound_receive_parsed - inbound_receive_db of the message p holds
 * (whole: nothing of it over a limit), without parsing it again: the
 * same routing, verdicts and rows.
 */
void inbound_receive_parsed(const struct kith_config *cfg, struct db *db,
    const struct inbound_parsed *p, const char *envelope_from,
    const char *envelope_to, struct inbound_result *res);

/* inbound_size_limit_db - inbound_size_limit on an open connection. */
size_t inbound_size_limit_db(const struct kith_config *cfg, struct db *db,
    const char *envelope_to);

#endif

/*
 * lmtp - kith serve's LMTP side (RFC 2033): the MTA hands list mail over
 * a socket instead of starting `kith receive` per message.
 *
 * Two parts.  The session is the protocol alone, bytes in and replies
 * out, with no I/O (lmtp_session_*: what the unit tests and the fuzz run
 * drive): LHLO, MAIL FROM (SIZE=, BODY=7BIT|8BITMIME), RCPT TO, DATA with
 * dot-unstuffing, RSET, NOOP, VRFY, QUIT; PIPELINING, 8BITMIME, SIZE and
 * ENHANCEDSTATUSCODES.  Command lines, the message (what is over
 * [lmtp] max_size is counted, not kept) and the recipients are bounded.
 *
 * The server (lmtp_start ... lmtp_stop, lmtp_server.c) serves every
 * connection from one thread (an epoll loop), up to [lmtp]
 * max_connections, each with the [lmtp] timeout for an idle client, and
 * one committer thread with its own database connection; a message that
 * would keep the loop waiting (a DNS answer not known yet, a large
 * parse) is prepared on a helper thread of its own.
 * Each recipient of a message gets the verdict `kith receive` would give
 * (inbound_receive_db): 250 stored, 550 5.1.1 no such list, 552 5.3.4
 * too big, 451 4.3.0 try again later.  Messages that arrive together
 * share one transaction and one fsync (group commit); no reply is sent
 * before the commit that holds its message, and a failed commit turns
 * every 250 of the group into 451.
 */
#ifndef KITH_LMTP_H
#define KITH_LMTP_H

#include <stddef.h>

#include "kith/config.h"
#include "kith/inbound.h"
#include "kith/util.h"

#define LMTP_LINE_MAX 1000	/* a command line, CRLF included */
#define LMTP_MAX_ERRORS 20	/* bad commands before the session ends */

struct lmtp_limits {
	size_t max_size;	/* bytes of a message kept */
	size_t max_recipients;	/* per transaction */
};

enum lmtp_event {
	LMTP_MORE,		/* all input taken; read more */
	LMTP_MESSAGE,		/* a message is complete: answer it */
	LMTP_CLOSE		/* QUIT or too many errors: flush, close */
};

struct lmtp_session;

/*
 * lmtp_session_new - a session for one connection; the greeting (220
 * with hostname) goes into out.  Free with lmtp_session_free.
 */
struct lmtp_session *lmtp_session_new(const struct lmtp_limits *lim,
    const char *hostname, struct buf *out);
void lmtp_session_free(struct lmtp_session *s);

/*
 * lmtp_session_feed - take up to n bytes from the client, appending
 * replies to out; *used says how many were taken.  It stops after the
 * end of a message (LMTP_MESSAGE: the rest of the input waits until
 * lmtp_session_answer) and after QUIT (LMTP_CLOSE).
 */
enum lmtp_event lmtp_session_feed(struct lmtp_session *s, const char *data,
    size_t n, size_t *used, struct buf *out);

/* 1 while the session is reading a message's data (after its 354). */
int lmtp_session_in_data(const struct lmtp_session *s);

/*
 * After LMTP_MESSAGE: the envelope and the message (line ends CRLF made
 * LF, dots unstuffed), borrowed until lmtp_session_answer.  *size is the
 * whole size; more than *len when the message was over max_size.
 */
const char *lmtp_session_sender(const struct lmtp_session *s);
size_t lmtp_session_nrcpt(const struct lmtp_session *s);
const char *lmtp_session_rcpt(const struct lmtp_session *s, size_t i);
const char *lmtp_session_data(const struct lmtp_session *s, size_t *len,
    size_t *size);

/*
 * lmtp_session_answer - one reply per recipient, from res[i] (the exit
 * code inbound gives), into out; the transaction is over.
 */
void lmtp_session_answer(struct lmtp_session *s,
    const struct inbound_result *res, struct buf *out);

/* lmtp_reply - the LMTP reply line (no CRLF) for one recipient's result. */
void lmtp_reply(const char *rcpt, const struct inbound_result *res,
    char *line, size_t n);

struct lmtp_server;

/*
 * lmtp_start - listen on [lmtp] listen (or listen when not NULL) and
 * serve.  cfg is taken over (moved), as http_start does.  NULL with a
 * line in err (cfg is then released).
 */
struct lmtp_server *lmtp_start(struct kith_config *cfg,
    const char *listen, char *err, size_t errlen);

/* Where it listens: "lmtp://127.0.0.1:8024" or "unix:/run/kith/lmtp". */
const char *lmtp_address(const struct lmtp_server *s);

/* 1 when a commit queued mail since the last call (deliver soon). */
int lmtp_take_mail(struct lmtp_server *s);

/*
 * lmtp_stop - stop accepting; sessions between commands are told 421 and
 * closed, messages being committed are answered (at most grace seconds);
 * then s is freed.
 */
void lmtp_stop(struct lmtp_server *s, int grace);

#endif

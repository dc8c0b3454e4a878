/*
 * transport - hand messages to the next hop.  Three backends behind one
 * interface: smtp://host:port (our own client: PIPELINING, STARTTLS with
 * verification, AUTH over TLS only), sendmail:/path, maildir:/dir.
 *
 * transport_send() takes a batch so that the SMTP client can pipeline
 * (one round trip per message); each tx gets its own result.  A
 * transport belongs to one process.
 */
#ifndef KITH_TRANSPORT_H
#define KITH_TRANSPORT_H

#include <stddef.h>

#include "kith/config.h"

struct tx {
	const char *from;	/* envelope sender, "" for <> */
	const char *rcpt;
	const char *head;	/* per-recipient header lines before data, or NULL */
	size_t head_len;
	const char *data;	/* the message, LF or CRLF line endings */
	size_t len;
	/* called once, as soon as this tx has its final result */
	void (*done)(struct tx *t, void *ctx);
	void *ctx;
	/* results */
	int status;		/* -1 until known; KITH_OK, KITH_TEMP, KITH_PERM */
	int code;		/* SMTP reply code or exit status */
	char text[256];		/* reply text, for the log and the outbox */
	/* the relay refused Kith (its sender, the client, relaying), not
	 * the recipient: the site's setup is at fault (AUTH, TLS, sender
	 * rules), so the copy waits (KITH_TEMP) and its member is never
	 * scored for it */
	int relay_refused;
};

struct transport;

/* NULL with a line in err when the spec is not understood. */
struct transport *transport_open(const struct kith_config *cfg, char *err,
    size_t errlen);
/*
 * transport_send - deliver n messages; every tx gets exactly one result,
 * reported through its done callback the moment it is known (so callers
 * can record it while the next transaction is on the wire).  Returns
 * KITH_OK, or KITH_TEMP when the connection broke (the rest got TEMP).
 */
int transport_send(struct transport *t, struct tx *txs, size_t n);
void transport_close(struct transport *t);
/* 1 when the transport gains from parallel connections (smtp). */
int transport_parallel(const struct transport *t);
/*
 * transport_probe - whether it would take mail now, without sending
 * any (smtp: connect, greeting, EHLO, STARTTLS and AUTH as configured,
 * then QUIT): 0, or -1 with the reason in err.  For kith check.
 */
int transport_probe(struct transport *t, char *err, size_t errlen);

/* Backend entry points (transport_*.c); used only by transport.c. */
struct transport_ops {
	void *(*open)(const struct kith_config *cfg, const char *arg,
	    char *err, size_t errlen);
	int (*send)(void *state, struct tx *txs, size_t n);
	void (*close)(void *state);
	/* transport_probe's; NULL: nothing to ask before sending */
	int (*probe)(void *state, char *err, size_t errlen);
};
extern const struct transport_ops transport_smtp_ops;
extern const struct transport_ops transport_sendmail_ops;
extern const struct transport_ops transport_maildir_ops;

/*
 * tx_set_result - record a tx's final result (the first call wins) and
 * tell its done callback.  text is cut to one line.  For backends.
 */
void tx_set_result(struct tx *t, int status, int code, const char *text);

/* Append data to b with CRLF turned into LF (local delivery formats). */
struct buf;
void add_lf(struct buf *b, const char *data, size_t len);

#endif

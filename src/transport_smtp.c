/*
 * transport_smtp - our own SMTP client on OpenSSL sockets (API-NOTES 1.7,
 * 4.5): RFC 5321, PIPELINING (RFC 2920) when offered, STARTTLS (RFC 3207)
 * with certificate and host-name verification, EHLO again after TLS,
 * AUTH PLAIN only over TLS, one connection reused for many transactions.
 *
 * With PIPELINING each message costs one round trip: the body and final
 * dot of one message go out in the same write as MAIL, RCPT and DATA of
 * the next, and the replies are matched to commands through a queue.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "kith/log.h"
#include "kith/message.h"
#include "kith/transport.h"
#include "kith/util.h"

#define SMTP_LINE_MAX 998

enum expect_kind { X_MAIL, X_RCPT, X_DATA, X_DOT, X_DOT_DISCARD, X_RSET };

struct expect {
	enum expect_kind kind;
	size_t item;
};

struct smtp {
	const struct kith_config *cfg;
	char *host, *port;
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	int pipelining, eightbit, starttls, auth_plain, auth_login, smtputf8;
	char rbuf[16384];
	size_t rpos, rlen;
	struct buf wbuf;
	struct expect *q;	/* replies awaited, in order */
	size_t qhead, qlen, qcap, qsent;	/* qsent: how many were flushed */
};

static void *
smtp_open(const struct kith_config *cfg, const char *arg, char *err,
    size_t errlen)
{
	struct smtp *s;
	const char *colon = strrchr(arg, ':');
	size_t hl = colon ? (size_t)(colon - arg) : strlen(arg);

	if (hl == 0) {
		snprintf(err, errlen, "smtp transport needs smtp://host:port");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->cfg = cfg;
	/* [::1]:25 */
	if (arg[0] == '[' && hl > 2 && arg[hl - 1] == ']')
		s->host = xstrndup(arg + 1, hl - 2);
	else
		s->host = xstrndup(arg, hl);
	s->port = xstrdup(colon && colon[1] ? colon + 1 : "25");
	/* strip a trailing slash: smtp://host:25/ */
	s->port[strcspn(s->port, "/")] = '\0';
	s->fd = -1;
	buf_init(&s->wbuf);
	return s;
}

static void
smtp_disconnect(struct smtp *s)
{
	if (s->ssl) {
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->rpos = s->rlen = 0;
	s->qhead = s->qlen = s->qsent = 0;
	buf_reset(&s->wbuf);
}

static int
smtp_wait(struct smtp *s, short events)
{
	struct pollfd p = { .fd = s->fd, .events = events };
	int r;

	do
		r = poll(&p, 1, s->cfg->smtp_timeout * 1000);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : -1;
}

static int
smtp_flush(struct smtp *s)
{
	size_t off = 0;

	while (off < s->wbuf.len) {
		ssize_t n;

		if (s->ssl) {
			int r;

			ERR_clear_error();
			r = SSL_write(s->ssl, s->wbuf.data + off,
			    (int)(s->wbuf.len - off));
			if (r <= 0) {
				int e = SSL_get_error(s->ssl, r);

				if ((e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ) &&
				    smtp_wait(s, e == SSL_ERROR_WANT_READ ?
				    POLLIN : POLLOUT) == 0)
					continue;
				return -1;
			}
			n = r;
		} else {
			n = write(s->fd, s->wbuf.data + off, s->wbuf.len - off);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN && smtp_wait(s, POLLOUT) == 0)
					continue;
				return -1;
			}
		}
		off += (size_t)n;
	}
	s->qsent = s->qlen;
	buf_reset(&s->wbuf);
	return 0;
}

static int
smtp_fill(struct smtp *s)
{
	ssize_t n;

	if (s->rpos > 0) {
		memmove(s->rbuf, s->rbuf + s->rpos, s->rlen - s->rpos);
		s->rlen -= s->rpos;
		s->rpos = 0;
	}
	if (s->rlen == sizeof(s->rbuf))
		return -1;	/* a reply line longer than 16 KiB */
	for (;;) {
		if (s->ssl) {
			int r;

			if (SSL_pending(s->ssl) == 0 && smtp_wait(s, POLLIN) < 0)
				return -1;
			ERR_clear_error();
			r = SSL_read(s->ssl, s->rbuf + s->rlen,
			    (int)(sizeof(s->rbuf) - s->rlen));
			if (r <= 0) {
				int e = SSL_get_error(s->ssl, r);

				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					continue;
				return -1;
			}
			n = r;
		} else {
			if (smtp_wait(s, POLLIN) < 0)
				return -1;
			n = read(s->fd, s->rbuf + s->rlen,
			    sizeof(s->rbuf) - s->rlen);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;
		}
		s->rlen += (size_t)n;
		return 0;
	}
}

/*
 * smtp_reply - read one (possibly multi-line) reply.  Returns the code,
 * or -1 when the connection failed.  text gets the last line's text;
 * each line is passed to on_line (EHLO keywords) when given.
 */
static int
smtp_reply(struct smtp *s, char *text, size_t textlen,
    void (*on_line)(struct smtp *, const char *))
{
	for (;;) {
		char *line = s->rbuf + s->rpos, *nl;
		int code;

		nl = memchr(line, '\n', s->rlen - s->rpos);
		if (nl == NULL) {
			if (smtp_fill(s) < 0)
				return -1;
			continue;
		}
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		s->rpos = (size_t)(nl + 1 - s->rbuf);
		if (strlen(line) < 3 || line[0] < '2' || line[0] > '5')
			return -1;
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (on_line && strlen(line) > 4)
			on_line(s, line + 4);
		if (line[3] != '-') {
			if (text)
				snprintf(text, textlen, "%s", line);
			return code;
		}
	}
}

static void
smtp_ehlo_line(struct smtp *s, const char *kw)
{
	if (!strncasecmp(kw, "PIPELINING", 10))
		s->pipelining = 1;
	else if (!strncasecmp(kw, "8BITMIME", 8))
		s->eightbit = 1;
	else if (!strncasecmp(kw, "STARTTLS", 8))
		s->starttls = 1;
	else if (!strncasecmp(kw, "SMTPUTF8", 8))
		s->smtputf8 = 1;
	else if (!strncasecmp(kw, "AUTH", 4) && (kw[4] == ' ' || kw[4] == '=')) {
		if (strstr(kw, "PLAIN"))
			s->auth_plain = 1;
		if (strstr(kw, "LOGIN"))
			s->auth_login = 1;
	}
}

/* Send one command and wait for its reply (handshake only). */
static int
smtp_command(struct smtp *s, char *text, size_t textlen,
    void (*on_line)(struct smtp *, const char *), const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
smtp_command(struct smtp *s, char *text, size_t textlen,
    void (*on_line)(struct smtp *, const char *), const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_addf(&s->wbuf, "%s\r\n", line);
	if (smtp_flush(s) < 0)
		return -1;
	return smtp_reply(s, text, textlen, on_line);
}

static int
smtp_ehlo(struct smtp *s, char *text, size_t textlen)
{
	const char *helo = *s->cfg->smtp_helo ? s->cfg->smtp_helo :
	    s->cfg->domain;
	int code;

	s->pipelining = s->eightbit = s->starttls = s->smtputf8 = 0;
	s->auth_plain = s->auth_login = 0;
	code = smtp_command(s, text, textlen, smtp_ehlo_line, "EHLO %s", helo);
	if (code == 250)
		return code;
	if (code < 0)
		return code;
	return smtp_command(s, text, textlen, NULL, "HELO %s", helo);
}

static int
smtp_tcp_connect(struct smtp *s, char *text, size_t textlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, r, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(s->host, s->port, &hints, &res);
	if (r != 0) {
		snprintf(text, textlen, "cannot resolve '%s': %s", s->host,
		    gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		snprintf(text, textlen, "connect to %s:%s: %s", s->host,
		    s->port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -1;
	/* Replies are small and we write whole rounds: no Nagle stalls. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->fd = fd;
	return 0;
}

static int
smtp_starttls(struct smtp *s, char *text, size_t textlen)
{
	long vr;

	if (smtp_command(s, text, textlen, NULL, "STARTTLS") != 220)
		return -1;
	/* Bytes after the 220 would be a STARTTLS injection (CVE-2020-15953). */
	if (s->rpos != s->rlen) {
		snprintf(text, textlen, "data after STARTTLS reply: refused");
		return -1;
	}
	if (s->ctx == NULL) {
		s->ctx = SSL_CTX_new(TLS_client_method());
		if (s->ctx == NULL)
			return -1;
		SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
		if (*s->cfg->smtp_ca_file)
			SSL_CTX_load_verify_locations(s->ctx,
			    s->cfg->smtp_ca_file, NULL);
		else
			SSL_CTX_set_default_verify_paths(s->ctx);
		SSL_CTX_set_verify(s->ctx, s->cfg->smtp_tls_verify ?
		    SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	}
	s->ssl = SSL_new(s->ctx);
	if (s->ssl == NULL)
		return -1;
	SSL_set_tlsext_host_name(s->ssl, s->host);
	if (s->cfg->smtp_tls_verify)
		SSL_set1_host(s->ssl, s->host);
	SSL_set_fd(s->ssl, s->fd);
	ERR_clear_error();
	if (SSL_connect(s->ssl) != 1) {
		vr = SSL_get_verify_result(s->ssl);
		snprintf(text, textlen, "TLS handshake with %s failed: %s",
		    s->host, vr != X509_V_OK ?
		    X509_verify_cert_error_string(vr) :
		    ERR_reason_error_string(ERR_peek_last_error()));
		return -1;
	}
	return 0;
}

/* base64 of n bytes; caller cleanses and frees. */
static char *
b64(const void *data, size_t n)
{
	char *enc = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)enc, data, (int)n);
	return enc;
}

/* Send a secret line (never through smtp_command: it must not be logged). */
static int
smtp_secret_line(struct smtp *s, const char *prefix, char *secret,
    char *reply, size_t replylen)
{
	buf_addf(&s->wbuf, "%s%s\r\n", prefix, secret);
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
	if (smtp_flush(s) < 0)
		return -1;
	return smtp_reply(s, reply, replylen, NULL);
}

/*
 * smtp_auth - AUTH PLAIN, or LOGIN when only that is offered; only ever
 * over TLS, so that the password never crosses the network in clear.
 */
static int
smtp_auth(struct smtp *s, char *text, size_t textlen)
{
	const char *user = s->cfg->smtp_user, *pass = s->cfg->smtp_password;
	size_t ul = strlen(user), pl = strlen(pass);
	char reply[256];
	int code;

	if (!s->ssl) {
		snprintf(text, textlen, "AUTH refused without TLS: set [smtp] "
		    "tls or use a local relay");
		return -1;
	}
	if (s->auth_login && !s->auth_plain) {
		code = smtp_command(s, reply, sizeof(reply), NULL, "AUTH LOGIN");
		if (code == 334)
			code = smtp_secret_line(s, "", b64(user, ul), reply,
			    sizeof(reply));
		if (code == 334)
			code = smtp_secret_line(s, "", b64(pass, pl), reply,
			    sizeof(reply));
	} else {
		unsigned char *raw = xmalloc(ul + pl + 2);

		raw[0] = '\0';
		memcpy(raw + 1, user, ul);
		raw[ul + 1] = '\0';
		memcpy(raw + ul + 2, pass, pl);
		code = smtp_secret_line(s, "AUTH PLAIN ", b64(raw, ul + pl + 2),
		    reply, sizeof(reply));
		OPENSSL_cleanse(raw, ul + pl + 2);
		free(raw);
	}
	if (code == 235)
		return 0;
	snprintf(text, textlen, "AUTH failed: %s", code < 0 ?
	    "connection closed" : reply);
	return -1;
}

/* Connect, greet, TLS, AUTH.  0, or -1 with the reason in text. */
static int
smtp_connect(struct smtp *s, char *text, size_t textlen, int *perm)
{
	const char *tls = s->cfg->smtp_tls;
	int code;

	*perm = 0;
	if (smtp_tcp_connect(s, text, textlen) < 0)
		return -1;
	code = smtp_reply(s, text, textlen, NULL);
	if (code != 220 || smtp_ehlo(s, text, textlen) != 250)
		goto fail;
	if (strcmp(tls, "off") && s->starttls) {
		if (smtp_starttls(s, text, textlen) < 0 ||
		    smtp_ehlo(s, text, textlen) != 250)
			goto fail;
	} else if (!strcmp(tls, "require")) {
		snprintf(text, textlen, "%s does not offer STARTTLS and [smtp] "
		    "tls = require", s->host);
		goto fail;
	}
	if (*s->cfg->smtp_user && smtp_auth(s, text, textlen) < 0)
		goto fail;
	return 0;
fail:
	if (text[0] == '\0')
		snprintf(text, textlen, "connection to %s:%s failed", s->host,
		    s->port);
	smtp_disconnect(s);
	return -1;
}

static void
expect_push(struct smtp *s, enum expect_kind kind, size_t item)
{
	if (s->qhead + s->qlen == s->qcap) {
		if (s->qhead > 0) {
			memmove(s->q, s->q + s->qhead, s->qlen * sizeof(*s->q));
			s->qhead = 0;
		} else {
			s->qcap = s->qcap ? s->qcap * 2 : 64;
			s->q = xrealloc(s->q, s->qcap * sizeof(*s->q));
		}
	}
	s->q[s->qhead + s->qlen].kind = kind;
	s->q[s->qhead + s->qlen].item = item;
	s->qlen++;
}

/* One line, dot-stuffed, with its CRLF. */
static void
smtp_add_line(struct buf *w, const char *s, size_t n)
{
	if (n && s[0] == '.')
		buf_addc(w, '.');
	buf_add(w, s, n);
	buf_add(w, "\r\n", 2);
}

/*
 * smtp_add_header_line - a header line too long for SMTP stays one
 * header field: folded before white space (its value unchanged), or,
 * with no white space to fold at, broken with CRLF and a space so that
 * what follows is still a continuation, not the start of the body.
 * Kith folds what it composes itself; this is for mail it passes on.
 */
static void
smtp_add_header_line(struct buf *w, const char *s, size_t n)
{
	size_t pad = 0;		/* 1: a space of ours starts this line */

	while (n + pad > SMTP_LINE_MAX) {
		size_t room = SMTP_LINE_MAX - pad;
		size_t k = header_fold_at(s, n, room);
		int forced = k == 0 || k > room;

		if (forced)
			k = room;
		if (pad)
			buf_addc(w, ' ');
		else if (s[0] == '.')
			buf_addc(w, '.');
		buf_add(w, s, k);
		buf_add(w, "\r\n", 2);
		pad = forced;
		s += k;
		n -= k;
	}
	if (pad)
		buf_addc(w, ' ');
	else if (n && s[0] == '.')
		buf_addc(w, '.');
	buf_add(w, s, n);
	buf_add(w, "\r\n", 2);
}

/*
 * smtp_add_lines - data dot-stuffed, with CRLF line ends.  *head is 1
 * while the lines are the message's header (until its empty line).
 * Lines longer than SMTP allows (998 octets, RFC 5321 4.5.3.1.6) are
 * broken rather than bounced: header lines as continuations, body lines
 * as Postfix breaks them.
 */
static void
smtp_add_lines(struct buf *w, const char *data, size_t len, int *head)
{
	size_t i = 0;

	buf_grow(w, len + len / 32 + 8);
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - data) : len, n = end - i;

		if (n && data[end - 1] == '\r')
			n--;
		if (n == 0)
			*head = 0;
		if (*head && n > SMTP_LINE_MAX)
			smtp_add_header_line(w, data + i, n);
		else {
			while (n > SMTP_LINE_MAX) {
				smtp_add_line(w, data + i, SMTP_LINE_MAX);
				i += SMTP_LINE_MAX;
				n -= SMTP_LINE_MAX;
			}
			smtp_add_line(w, data + i, n);
		}
		i = end + 1;
	}
}

/* The recipient's header lines, the message, the final dot. */
static void
smtp_add_body(struct buf *w, const struct tx *t)
{
	int head = 1;

	if (t->head_len)
		smtp_add_lines(w, t->head, t->head_len, &head);
	smtp_add_lines(w, t->data, t->len, &head);
	buf_add(w, ".\r\n", 3);
}

static int
reply_status(int code)
{
	return code >= 200 && code < 400 ? KITH_OK :
	    code >= 500 ? KITH_PERM : KITH_TEMP;
}

/*
 * refuses_kith - a 5xx about Kith, not about the recipient: any refusal
 * of MAIL FROM, and at RCPT the words a relay has for a client it will
 * not relay for or a sender it will not take (Postfix says those at RCPT:
 * smtpd_delay_reject).  Kith always speaks to its own relay, so this is
 * the site's setup to mend, never a member's bounce; unless the relay
 * quotes the recipient's own server (recipient verification).
 */
static int
refuses_kith(int kind, int code, const char *text)
{
	static const char *const words[] = { "relay access denied",
	    "relaying denied", "not permitted to relay", "relay not permitted",
	    "unable to relay", "sender address rejected",
	    "client host rejected", "authentication required",
	    "must issue a starttls" };

	if (code < 500)
		return 0;
	if (kind == X_MAIL)
		return 1;
	if (strcasestr(text, "recipient address rejected"))
		return 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(text, words[i]))
			return 1;
	return 0;
}

/* Act on one reply: record failures, send the body after 354. */
static void
smtp_handle(struct smtp *s, struct tx *txs, struct expect e, int code,
    const char *text)
{
	struct tx *t = &txs[e.item];

	switch (e.kind) {
	case X_MAIL:
	case X_RCPT:
		if (refuses_kith(e.kind, code, text)) {
			char why[300];

			/* deferred, not failed: nothing here is the member's */
			snprintf(why, sizeof(why), "the relay refused Kith: "
			    "%.200s", text);
			t->relay_refused = 1;
			tx_set_result(t, KITH_TEMP, code, why);
			break;
		}
		if (code != 250 && code != 251)
			tx_set_result(t, reply_status(code), code, text);
		break;
	case X_DATA:
		if (code == 354 && t->status == -1) {
			smtp_add_body(&s->wbuf, t);
			expect_push(s, X_DOT, e.item);
			break;
		}
		if (code == 354) {	/* no valid recipient: empty message */
			buf_add(&s->wbuf, ".\r\n", 3);
			expect_push(s, X_DOT_DISCARD, e.item);
		} else
			tx_set_result(t, reply_status(code), code, text);
		/* A failed transaction needs RSET before the next MAIL. */
		buf_adds(&s->wbuf, "RSET\r\n");
		expect_push(s, X_RSET, e.item);
		break;
	case X_DOT:
		tx_set_result(t, reply_status(code), code, text);
		break;
	case X_DOT_DISCARD:
	case X_RSET:
		break;
	}
}

/* Flush and read the replies of everything flushed.  0 or -1 (connection lost). */
static int
smtp_sync(struct smtp *s, struct tx *txs)
{
	size_t n;

	if (smtp_flush(s) < 0)
		return -1;
	n = s->qsent;
	while (n-- > 0) {
		char text[512];
		struct expect e = s->q[s->qhead];
		int code = smtp_reply(s, text, sizeof(text), NULL);

		if (code < 0)
			return -1;
		s->qhead++;
		s->qlen--;
		s->qsent--;
		if (code == 421) {	/* the server is closing the channel */
			tx_set_result(&txs[e.item], KITH_TEMP, code, text);
			return -1;
		}
		smtp_handle(s, txs, e, code, text);
	}
	return 0;
}

/*
 * smtp_send_batch - with PIPELINING, MAIL, RCPT and DATA of a message go
 * out in one write together with the previous message's body; without
 * it, each command waits for its reply (RFC 5321).
 */
static int
smtp_send_batch(struct smtp *s, struct tx *txs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int utf8 = !str_ascii(txs[i].from) || !str_ascii(txs[i].rcpt);

		/* an address in UTF-8 before its @ (RFC 6531) */
		if (utf8 && !s->smtputf8) {
			char why[256];

			snprintf(why, sizeof(why), "5.6.7 <%s> needs SMTPUTF8 "
			    "(RFC 6531), which %s does not offer", txs[i].rcpt,
			    s->host);
			tx_set_result(&txs[i], KITH_PERM, 553, why);
			continue;
		}
		buf_addf(&s->wbuf, "MAIL FROM:<%s>%s%s\r\n", txs[i].from,
		    s->eightbit ? " BODY=8BITMIME" : "", utf8 ? " SMTPUTF8" :
		    "");
		expect_push(s, X_MAIL, i);
		if (!s->pipelining && smtp_sync(s, txs) < 0)
			return -1;
		buf_addf(&s->wbuf, "RCPT TO:<%s>\r\n", txs[i].rcpt);
		expect_push(s, X_RCPT, i);
		if (!s->pipelining && smtp_sync(s, txs) < 0)
			return -1;
		buf_adds(&s->wbuf, "DATA\r\n");
		expect_push(s, X_DATA, i);
		if (smtp_sync(s, txs) < 0)
			return -1;
		while (!s->pipelining && s->qlen > 0)
			if (smtp_sync(s, txs) < 0)
				return -1;
	}
	while (s->qlen > 0)
		if (smtp_sync(s, txs) < 0)
			return -1;
	return 0;
}

static int
smtp_send(void *state, struct tx *txs, size_t n)
{
	struct smtp *s = state;
	char text[512] = "";
	int perm, tries;

	for (tries = 0; tries < 2; tries++) {
		size_t done = 0;

		if (s->fd < 0 && smtp_connect(s, text, sizeof(text), &perm) < 0)
			break;
		if (smtp_send_batch(s, txs, n) == 0)
			return KITH_OK;
		smtp_disconnect(s);
		for (size_t i = 0; i < n; i++)
			done += txs[i].status != -1;
		snprintf(text, sizeof(text), "connection to %s:%s lost",
		    s->host, s->port);
		/* A server that timed out an idle connection: retry once. */
		if (done > 0)
			break;
	}
	log_warn("smtp: %s", text);
	for (size_t i = 0; i < n; i++)
		if (txs[i].status == -1)
			tx_set_result(&txs[i], KITH_TEMP, 0, text);
	return KITH_TEMP;
}

static void
smtp_close(void *state)
{
	struct smtp *s = state;

	if (s->fd >= 0 && s->qlen == 0) {
		buf_adds(&s->wbuf, "QUIT\r\n");
		if (smtp_flush(s) == 0)
			smtp_reply(s, NULL, 0, NULL);
	}
	smtp_disconnect(s);
	if (s->ctx)
		SSL_CTX_free(s->ctx);
	buf_release(&s->wbuf);
	free(s->q);
	free(s->host);
	free(s->port);
	free(s);
}

/* The session delivery would open; smtp_close says QUIT. */
static int
smtp_probe(void *state, char *err, size_t errlen)
{
	int perm;

	return smtp_connect(state, err, errlen, &perm);
}

const struct transport_ops transport_smtp_ops = {
	smtp_open, smtp_send, smtp_close, smtp_probe
};

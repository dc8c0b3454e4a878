/* lmtp - the LMTP session: the protocol, no I/O (the server: lmtp_server.c). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kith/inbound.h"
#include "kith/lmtp.h"
#include "kith/util.h"

#define ADDR_MAX 256		/* a path, RFC 5321 4.5.3.1.3 */

/* ---------------------------------------------------------------- */
/* The session: the protocol, no I/O.                                */

enum state { S_READY, S_LHLO, S_MAIL, S_RCPT, S_DATA, S_WAIT, S_CLOSED };

/* Where the data phase is within a line, for unstuffing and line ends. */
enum dstate { D_BOL, D_DOT, D_DOTCR, D_TEXT, D_CR };

struct lmtp_session {
	struct lmtp_limits lim;
	char *hostname;
	enum state st;
	char line[LMTP_LINE_MAX];	/* a command, CR kept, LF not */
	size_t llen;
	int overflow;		/* over LMTP_LINE_MAX: skipped to its end */
	int errors;
	char *sender;
	char **rcpt;
	size_t nrcpt;
	enum dstate ds;
	struct buf data;
	size_t size;		/* of the message, kept or not */
};

struct lmtp_session *
lmtp_session_new(const struct lmtp_limits *lim, const char *hostname,
    struct buf *out)
{
	struct lmtp_session *s = xcalloc(1, sizeof(*s));

	s->lim = *lim;
	s->hostname = xstrdup(hostname);
	s->st = S_READY;
	buf_init(&s->data);
	buf_addf(out, "220 %s LMTP Kith ready\r\n", s->hostname);
	return s;
}

/* reset - the transaction is over (RSET, LHLO, after the answers). */
static void
reset(struct lmtp_session *s)
{
	for (size_t i = 0; i < s->nrcpt; i++)
		free(s->rcpt[i]);
	free(s->rcpt);
	free(s->sender);
	s->rcpt = NULL;
	s->nrcpt = 0;
	s->sender = NULL;
	buf_reset(&s->data);
	s->size = 0;
	if (s->st != S_READY && s->st != S_CLOSED)
		s->st = S_LHLO;
}

void
lmtp_session_free(struct lmtp_session *s)
{
	if (s == NULL)
		return;
	reset(s);
	buf_release(&s->data);
	free(s->hostname);
	free(s);
}

/* error - a refused command; too many of them end the session. */
static void
error(struct lmtp_session *s, struct buf *out, const char *reply)
{
	buf_addf(out, "%s\r\n", reply);
	if (++s->errors >= LMTP_MAX_ERRORS) {
		buf_adds(out, "421 4.7.0 too many errors, closing\r\n");
		s->st = S_CLOSED;
	}
}

/*
 * parse_path - the address in "<...>" at p (spaces before it skipped),
 * without a source route, into addr; the rest (parameters) in *rest.
 * -1 when it is no path, or holds what an address may not.
 */
static int
parse_path(const char *p, char *addr, size_t n, const char **rest)
{
	const char *start, *q;
	int quoted = 0;

	while (*p == ' ')
		p++;
	if (*p++ != '<')
		return -1;
	/* an old source route, "@a,@b:user@c": only user@c counts */
	if (*p == '@' && (q = strchr(p, ':')) && q < strchr(p, '>'))
		p = q + 1;
	start = p;
	for (; *p && (quoted || *p != '>'); p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			quoted = !quoted;
		else if (quoted && c == '\\' && p[1])
			p++;
		else if (c < 33 || c > 126 || (!quoted && c == '<')) {
			if (!(quoted && c == ' '))
				return -1;
		}
	}
	if (*p != '>' || (size_t)(p - start) >= n || (size_t)(p - start) >=
	    ADDR_MAX)
		return -1;
	memcpy(addr, start, (size_t)(p - start));
	addr[p - start] = '\0';
	*rest = p + 1;
	return 0;
}

/* mail_params - SIZE= and BODY=; a reply when one is refused, else NULL. */
static const char *
mail_params(const struct lmtp_session *s, const char *p)
{
	while (*p) {
		const char *end;
		size_t len;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ' ');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len > 5 && !strncasecmp(p, "SIZE=", 5)) {
			unsigned long long v = 0;

			for (size_t i = 5; i < len; i++) {
				if (p[i] < '0' || p[i] > '9' || i > 24)
					return "501 5.5.4 SIZE takes a number";
				v = v * 10 + (unsigned)(p[i] - '0');
			}
			if (v > s->lim.max_size)
				return "552 5.3.4 message size exceeds fixed "
				    "maximum message size";
		} else if ((len == 9 && !strncasecmp(p, "BODY=7BIT", 9)) ||
		    (len == 13 && !strncasecmp(p, "BODY=8BITMIME", 13))) {
			;	/* either way the bytes are kept as they come */
		} else
			return "555 5.5.4 unsupported parameter";
		p += len;
	}
	return NULL;
}

static void
cmd_mail(struct lmtp_session *s, const char *args, struct buf *out)
{
	char addr[ADDR_MAX];
	const char *rest, *refusal;

	if (s->st == S_READY) {
		error(s, out, "503 5.5.1 say LHLO first");
		return;
	}
	if (s->st != S_LHLO) {
		error(s, out, "503 5.5.1 nested MAIL command");
		return;
	}
	if (strncasecmp(args, "FROM:", 5) || parse_path(args + 5, addr,
	    sizeof(addr), &rest) < 0) {
		error(s, out, "501 5.5.4 syntax: MAIL FROM:<address>");
		return;
	}
	if ((refusal = mail_params(s, rest)) != NULL) {
		error(s, out, refusal);
		return;
	}
	s->sender = xstrdup(addr);
	s->st = S_MAIL;
	buf_adds(out, "250 2.1.0 sender ok\r\n");
}

static void
cmd_rcpt(struct lmtp_session *s, const char *args, struct buf *out)
{
	char addr[ADDR_MAX];
	const char *rest;

	if (s->st != S_MAIL && s->st != S_RCPT) {
		error(s, out, "503 5.5.1 need MAIL before RCPT");
		return;
	}
	if (strncasecmp(args, "TO:", 3) || parse_path(args + 3, addr,
	    sizeof(addr), &rest) < 0 || *addr == '\0') {
		error(s, out, "501 5.5.4 syntax: RCPT TO:<address>");
		return;
	}
	while (*rest == ' ')
		rest++;
	if (*rest) {
		error(s, out, "555 5.5.4 unsupported parameter");
		return;
	}
	if (s->nrcpt >= s->lim.max_recipients) {
		buf_adds(out, "452 4.5.3 too many recipients\r\n");
		return;
	}
	s->rcpt = xrealloc(s->rcpt, (s->nrcpt + 1) * sizeof(*s->rcpt));
	s->rcpt[s->nrcpt++] = xstrdup(addr);
	s->st = S_RCPT;
	buf_adds(out, "250 2.1.5 recipient ok\r\n");
}

static void
cmd_data(struct lmtp_session *s, struct buf *out)
{
	if (s->st != S_RCPT) {
		error(s, out, s->st == S_MAIL ? "503 5.5.1 no valid recipients" :
		    "503 5.5.1 need MAIL and RCPT before DATA");
		return;
	}
	buf_reset(&s->data);
	s->size = 0;
	s->ds = D_BOL;
	s->st = S_DATA;
	buf_adds(out, "354 2.0.0 go ahead, end with <CRLF>.<CRLF>\r\n");
}

/* verb - 1 when line starts with the command word w (any case). */
static int
verb(const char *line, const char *w, const char **args)
{
	size_t n = strlen(w);

	if (strncasecmp(line, w, n) || (line[n] != '\0' && line[n] != ' '))
		return 0;
	*args = line + n + (line[n] == ' ');
	return 1;
}

/* command - one complete command line (CR and LF taken off). */
static void
command(struct lmtp_session *s, const char *line, struct buf *out)
{
	const char *args;

	for (const char *p = line; *p; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p > 126) {
			error(s, out, "500 5.5.2 command line holds bad characters");
			return;
		}
	if (verb(line, "LHLO", &args)) {
		if (*args == '\0') {
			error(s, out, "501 5.5.4 syntax: LHLO hostname");
			return;
		}
		s->st = S_LHLO;
		reset(s);
		buf_addf(out, "250-%s\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES"
		    "\r\n250-8BITMIME\r\n250 SIZE %zu\r\n", s->hostname,
		    s->lim.max_size);
	} else if (verb(line, "MAIL", &args))
		cmd_mail(s, args, out);
	else if (verb(line, "RCPT", &args))
		cmd_rcpt(s, args, out);
	else if (verb(line, "DATA", &args) && *args == '\0')
		cmd_data(s, out);
	else if (verb(line, "RSET", &args)) {
		reset(s);
		buf_adds(out, "250 2.0.0 ok\r\n");
	} else if (verb(line, "NOOP", &args))
		buf_adds(out, "250 2.0.0 ok\r\n");
	else if (verb(line, "QUIT", &args)) {
		buf_adds(out, "221 2.0.0 bye\r\n");
		s->st = S_CLOSED;
	} else if (verb(line, "VRFY", &args))
		buf_adds(out, "252 2.5.0 cannot verify; send the mail\r\n");
	else if (verb(line, "HELO", &args) || verb(line, "EHLO", &args))
		error(s, out, "500 5.5.1 this is LMTP: say LHLO");
	else
		error(s, out, "500 5.5.2 command not recognized");
}

/* put - one byte of the message: kept while under max_size, counted. */
static void
put(struct lmtp_session *s, char c)
{
	if (s->data.len < s->lim.max_size)
		buf_addc(&s->data, c);
	s->size++;
}

/* put_run - bytes of text within a line, as put() would take them. */
static void
put_run(struct lmtp_session *s, const char *p, size_t n)
{
	size_t room = s->lim.max_size - s->data.len;

	if (s->data.len < s->lim.max_size)
		buf_add(&s->data, p, n < room ? n : room);
	s->size += n;
}

/*
 * data_feed - the message, unstuffed (RFC 5321 4.5.2) and with CRLF
 * made LF, until the line "." (only after CRLF: a bare LF ends no line,
 * so no message ends early); returns the bytes taken, *done at the end.
 */
static size_t
data_feed(struct lmtp_session *s, const char *p, size_t n, int *done)
{
	*done = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		/* the text of a line, up to its CR, taken at once */
		if (c != '\r' && (s->ds == D_TEXT || (s->ds == D_BOL &&
		    c != '.'))) {
			const char *cr = memchr(p + i, '\r', n - i);
			size_t run = cr ? (size_t)(cr - (p + i)) : n - i;

			put_run(s, p + i, run);
			s->ds = D_TEXT;
			i += run - 1;
			continue;
		}
		if (s->ds == D_DOTCR) {
			if (c == '\n') {
				*done = 1;
				return i + 1;
			}
			s->ds = D_CR;	/* ".\rX": the dot was stuffing */
		}
		if (s->ds == D_CR) {
			if (c == '\n') {
				put(s, '\n');
				s->ds = D_BOL;
				continue;
			}
			put(s, '\r');
		} else if (s->ds == D_BOL && c == '.') {
			s->ds = D_DOT;
			continue;
		} else if (s->ds == D_DOT && c == '\r') {
			s->ds = D_DOTCR;
			continue;
		}
		/* (after D_DOT the dot was stuffing: dropped) */
		if (c == '\r') {
			s->ds = D_CR;
			continue;
		}
		put(s, c);
		s->ds = D_TEXT;
	}
	return n;
}

enum lmtp_event
lmtp_session_feed(struct lmtp_session *s, const char *data, size_t n,
    size_t *used, struct buf *out)
{
	size_t i = 0;

	while (i < n && s->st != S_WAIT && s->st != S_CLOSED) {
		char c;

		if (s->st == S_DATA) {
			int done;

			i += data_feed(s, data + i, n - i, &done);
			if (done)
				s->st = S_WAIT;
			continue;
		}
		if ((c = data[i++]) != '\n') {
			if (s->llen + 1 < sizeof(s->line))
				s->line[s->llen++] = c;
			else
				s->overflow = 1;
			continue;
		}
		if (s->llen > 0 && s->line[s->llen - 1] == '\r')
			s->llen--;
		s->line[s->llen] = '\0';
		if (s->overflow)
			error(s, out, "500 5.5.2 line too long");
		else
			command(s, s->line, out);
		s->llen = 0;
		s->overflow = 0;
	}
	*used = i;
	if (s->st == S_WAIT)
		return LMTP_MESSAGE;
	return s->st == S_CLOSED ? LMTP_CLOSE : LMTP_MORE;
}

int
lmtp_session_in_data(const struct lmtp_session *s)
{
	return s->st == S_DATA;
}

const char *
lmtp_session_sender(const struct lmtp_session *s)
{
	return s->sender ? s->sender : "";
}

size_t
lmtp_session_nrcpt(const struct lmtp_session *s)
{
	return s->nrcpt;
}

const char *
lmtp_session_rcpt(const struct lmtp_session *s, size_t i)
{
	return i < s->nrcpt ? s->rcpt[i] : "";
}

const char *
lmtp_session_data(const struct lmtp_session *s, size_t *len, size_t *size)
{
	*len = s->data.len;
	*size = s->size;
	return s->data.data ? s->data.data : "";
}

void
lmtp_reply(const char *rcpt, const struct inbound_result *res, char *line,
    size_t n)
{
	char what[32];
	size_t k = 0;

	/* inbound's word for it ("accepted", "held"), letters only */
	for (const char *p = res->what; *p && k + 1 < sizeof(what); p++)
		if ((*p >= 'a' && *p <= 'z') || *p == ' ')
			what[k++] = *p;
	what[k] = '\0';
	switch (res->exit_code) {
	case 0:
		snprintf(line, n, "250 2.0.0 <%s> %s", rcpt, *what ? what :
		    "stored");
		break;
	case EX_NOUSER_:
		snprintf(line, n, "550 5.1.1 <%s>: no such list", rcpt);
		break;
	case EX_DATAERR_:
		snprintf(line, n, "552 5.3.4 <%s>: message too big for this "
		    "list", rcpt);
		break;
	case EX_TEMPFAIL_:
		if (!strcmp(res->what, "disk full"))
			snprintf(line, n, "452 4.3.1 <%s>: mail system full; "
			    "try again later", rcpt);
		else
			snprintf(line, n, "451 4.3.0 <%s>: try again later",
			    rcpt);
		break;
	default:
		if (res->exit_code >= 64 && res->exit_code <= 78)
			snprintf(line, n, "554 5.0.0 <%s>: not accepted", rcpt);
		else
			snprintf(line, n, "451 4.3.0 <%s>: try again later",
			    rcpt);
	}
}

void
lmtp_session_answer(struct lmtp_session *s, const struct inbound_result *res,
    struct buf *out)
{
	char line[ADDR_MAX + 64];

	if (s->st != S_WAIT)
		return;
	for (size_t i = 0; i < s->nrcpt; i++) {
		lmtp_reply(s->rcpt[i], &res[i], line, sizeof(line));
		buf_addf(out, "%s\r\n", line);
	}
	s->st = S_LHLO;
	reset(s);
}


/* lmtp - the LMTP session (protocol) and server (threads, group commit). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kith/db.h"
#include "kith/dns.h"
#include "kith/inbound.h"
#include "kith/lmtp.h"
#include "kith/log.h"
#include "kith/post.h"
#include "kith/util.h"
#include "kith/walsync.h"

#define ADDR_MAX 256		/* a path, RFC 5321 4.5.3.1.3 */
#define MAX_BATCH 256		/* messages sharing one commit */
#define READ_CHUNK 16384
#define HOLD_US 0		/* a commit waits this long for arrivals */
#define GROUP_BUCKETS 9		/* commit sizes 1, 2, 3-4, ..., 129-256 */
#define DEFER_FROM 4		/* a group this large defers what can wait */
#define CATCH_UP_MS 1000	/* deferred this long: caught up anyway */
#define CATCH_UP_MAX 8192	/* or this many messages */
#define QUIET_MS 20		/* no message for this long: catch up */

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

/* ---------------------------------------------------------------- */
/* The server: a thread per connection, one committer.              */

struct job {
	struct lmtp_session *s;
	struct inbound_result *res;
	struct inbound_parsed parsed;	/* when whole */
	int whole;		/* parsed holds the whole message */
	int done;
	pthread_cond_t cond;	/* done: only this job's session wakes */
	struct job *next;
};

struct conn {
	struct lmtp_server *srv;
	int fd;
	struct conn *next;
};

struct lmtp_server {
	struct kith_config cfg;
	struct lmtp_limits lim;
	int fd;
	char *unix_path;
	char address[320];
	int wake[2];		/* readable once stopping: wakes every poll */
	struct db *db;		/* the committer's */
	struct walsync *ws;	/* its syncer and checkpointer */
	pthread_t acceptor, committer;
	int acceptor_started, committer_started;

	pthread_mutex_t lock;	/* everything below */
	pthread_cond_t work, gone;
	struct job *head, *tail;
	int arriving;		/* sessions in DATA: a message soon queued */
	struct conn *conns;
	int nconn;
	int stopping;
	atomic_int mail;
	/* the committer's own: how many messages each commit carried, for
	 * the log at debug level when the server stops */
	unsigned long groups, grouped, group_sizes[GROUP_BUCKETS];
	unsigned long held_out;	/* holds that ran out of time */
	long hold_us;		/* HOLD_US, or KITH_LMTP_HOLD_US's */
	long defer_from;	/* DEFER_FROM, or KITH_LMTP_DEFER_FROM's */
	long quiet_ms;		/* QUIET_MS, or KITH_LMTP_QUIET_MS's */
	long catch_up_ms;	/* CATCH_UP_MS, or KITH_LMTP_CATCH_UP_MS's */
	/* messages whose groups deferred work since the last catch-up,
	 * and when the first of them did (the monotonic clock's ms) */
	unsigned long deferred;
	int64_t deferred_at;
};

/*
 * run_group - every recipient of every message in one transaction, then
 * one commit; a result stands only if that commit does (and is on disk:
 * group_durable).  KITH_OK when it committed.
 */
static int
run_group(struct lmtp_server *srv, struct job **jobs, size_t n)
{
	int st, queued = 0, full;

	(void)db_take_full(srv->db);	/* what this group finds, only */
	/* under load the committer is what every message waits for: the
	 * index's words and the members' copies wait for a quiet moment
	 * (and once they wait, every group's do: a group of one would index
	 * all the words waiting) */
	if ((long)n >= srv->defer_from || srv->deferred > 0) {
		db_group_defer(srv->db);
		if (srv->deferred == 0)
			srv->deferred_at = mono_ms();
		srv->deferred += n;
	}
	st = db_group_begin(srv->db);
	for (size_t j = 0; j < n; j++) {
		struct lmtp_session *s = jobs[j]->s;
		size_t len, size, lim, keep;
		const char *raw = lmtp_session_data(s, &len, &size);

		for (size_t i = 0; i < lmtp_session_nrcpt(s); i++) {
			struct inbound_result *r = &jobs[j]->res[i];
			const char *rcpt = lmtp_session_rcpt(s, i);

			if (st != KITH_OK) {
				memset(r, 0, sizeof(*r));
				r->exit_code = EX_TEMPFAIL_;
				snprintf(r->reason, sizeof(r->reason), "lmtp: "
				    "database busy or unavailable; '%s' deferred",
				    rcpt);
				continue;
			}
			/* only what `kith receive` would read for this list
			 * (never less than INBOUND_HEAD_MIN: no need to ask
			 * for a message within it) */
			lim = size <= INBOUND_HEAD_MIN ? size :
			    inbound_size_limit_db(&srv->cfg, srv->db, rcpt);
			keep = len < lim ? len : lim;
			if (jobs[j]->whole && keep == size)
				inbound_receive_parsed(&srv->cfg, srv->db,
				    &jobs[j]->parsed, lmtp_session_sender(s),
				    rcpt, r);
			else
				inbound_receive_db(&srv->cfg, srv->db, raw,
				    keep, size, lmtp_session_sender(s), rcpt, r);
			/* an I/O error or a full disk ends the transaction */
			if (!db_in_tx(srv->db))
				st = KITH_TEMP;
		}
	}
	if (st == KITH_OK)
		st = db_group_commit(srv->db);
	else
		db_group_rollback(srv->db);
	full = db_take_full(srv->db);
	for (size_t j = 0; j < n; j++)
		for (size_t i = 0; i < lmtp_session_nrcpt(jobs[j]->s); i++) {
			struct inbound_result *r = &jobs[j]->res[i];

			if (st != KITH_OK && r->exit_code == 0) {
				r->exit_code = EX_TEMPFAIL_;
				snprintf(r->what, sizeof(r->what), "deferred");
				snprintf(r->reason, sizeof(r->reason), "lmtp: "
				    "commit failed; '%s' deferred",
				    lmtp_session_rcpt(jobs[j]->s, i));
			}
			/* the reply says why, for the MTA's queue (452 4.3.1) */
			if (full && r->exit_code == EX_TEMPFAIL_) {
				snprintf(r->what, sizeof(r->what), "disk full");
				snprintf(r->reason, sizeof(r->reason), "lmtp: "
				    "the disk is full; '%s' deferred",
				    lmtp_session_rcpt(jobs[j]->s, i));
			}
			if (r->exit_code == 0)
				log_info("%s", r->reason);
			else
				log_warn("%s", r->reason);
			queued |= r->exit_code == 0 && r->queued;
		}
	if (queued)
		atomic_store(&srv->mail, 1);
	return st;
}

/* A group committed, waiting for its commit to be on disk (walsync). */
struct group {
	struct lmtp_server *srv;
	size_t n;
	struct job *jobs[];
};

/*
 * group_durable - the group's commit is on disk: its sessions answer.
 * If the WAL could not be synced, nothing stored is acknowledged: 451,
 * and the MTA's retry finds the message stored (one copy, by its
 * Message-ID).
 */
static void
group_durable(void *arg, int durable)
{
	struct group *g = arg;
	struct lmtp_server *srv = g->srv;

	for (size_t j = 0; j < g->n && !durable; j++)
		for (size_t i = 0; i < lmtp_session_nrcpt(g->jobs[j]->s); i++) {
			struct inbound_result *r = &g->jobs[j]->res[i];

			if (r->exit_code != 0)
				continue;
			r->exit_code = EX_TEMPFAIL_;
			snprintf(r->what, sizeof(r->what), "deferred");
			snprintf(r->reason, sizeof(r->reason), "lmtp: the "
			    "commit is not on disk; '%s' deferred",
			    lmtp_session_rcpt(g->jobs[j]->s, i));
		}
	pthread_mutex_lock(&srv->lock);
	for (size_t j = 0; j < g->n; j++) {
		g->jobs[j]->done = 1;
		pthread_cond_signal(&g->jobs[j]->cond);
	}
	pthread_mutex_unlock(&srv->lock);
	free(g);
}

/* group_count - one commit of n messages, in the committer's counters */
static void
group_count(struct lmtp_server *srv, size_t n)
{
	size_t b = 0;

	while (b + 1 < GROUP_BUCKETS && ((size_t)1 << b) < n)
		b++;
	srv->groups++;
	srv->grouped += n;
	srv->group_sizes[b]++;
}

/* group_log - the commits' sizes, at debug level (the benchmark's) */
static void
group_log(const struct lmtp_server *srv)
{
	char hist[GROUP_BUCKETS * 24];
	size_t k = 0;

	if (srv->groups == 0)
		return;
	hist[0] = '\0';
	for (size_t b = 0; b < GROUP_BUCKETS; b++) {
		size_t lo = b < 2 ? b + 1 : ((size_t)1 << (b - 1)) + 1;

		if (srv->group_sizes[b] && k < sizeof(hist))
			k += (size_t)snprintf(hist + k, sizeof(hist) - k,
			    " %zu-%zu:%lu", lo, (size_t)1 << b,
			    srv->group_sizes[b]);
	}
	log_debug("lmtp: %lu messages in %lu commits, %.2f a commit;"
	    " commits by size:%s; %lu held until the time ran out",
	    srv->grouped, srv->groups,
	    (double)srv->grouped / (double)srv->groups, hist, srv->held_out);
}

/* take - the messages queued, after the n in jobs (the lock held) */
static size_t
take(struct lmtp_server *srv, struct job **jobs, size_t n)
{
	while (srv->head && n < MAX_BATCH) {
		jobs[n++] = srv->head;
		srv->head = srv->head->next;
	}
	if (srv->head == NULL)
		srv->tail = NULL;
	return n;
}

/*
 * hold - before a group is committed, wait for the messages whose data
 * is coming in (sessions past DATA, whose 354 has gone out), at most
 * hold_us in all, for fewer and larger commits.  Off by default since
 * groups under load defer their index words and fan-out (db_group_defer):
 * a commit no longer costs enough for the wait to pay (docs/BENCHMARKS.md:
 * 20 sessions, 3,500-3,780 msg/s without it, 2,700-3,000 with 1 ms).
 * Nothing is answered before its commit either way.  Under the lock;
 * returns the messages in jobs.
 */
static size_t
hold(struct lmtp_server *srv, struct job **jobs, size_t n)
{
	struct timespec until;

	if (srv->hold_us <= 0)
		return n;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += srv->hold_us * 1000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	while (n < MAX_BATCH && srv->arriving > 0 && !srv->stopping) {
		if (pthread_cond_timedwait(&srv->work, &srv->lock, &until) ==
		    ETIMEDOUT) {
			srv->held_out++;
			break;
		}
		n = take(srv, jobs, n);
	}
	return take(srv, jobs, n);
}

/* env_long - the number in the environment's name, or def */
static long
env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? atol(v) : def;
}

/*
 * catch_up - do what groups under load deferred (post_catch_up); on
 * success nothing is deferred any more.  The committer's own thread.
 */
static void
catch_up(struct lmtp_server *srv)
{
	if (srv->deferred > 0 && post_catch_up(srv->db, now_utc()) == KITH_OK)
		srv->deferred = 0;
}

/*
 * catch_up_due - however long the load lasts, the deferred work is done
 * once the first of it has waited CATCH_UP_MS (a search finds every
 * post, and the members' copies are queued, a second later at most), or
 * CATCH_UP_MAX messages deferred it (one catch-up stays short).
 */
static int
catch_up_due(const struct lmtp_server *srv)
{
	return srv->deferred >= CATCH_UP_MAX || (srv->deferred > 0 &&
	    mono_ms() - srv->deferred_at >= srv->catch_up_ms);
}

/*
 * wait_work - wait for a message (the lock held).  With work deferred,
 * a quiet spell of QUIET_MS without a message is the moment to catch
 * up: a burst's sessions, waiting for their replies, send their next
 * message sooner than that.  (A session slow in DATA does not put it
 * off: a client may take minutes.)
 */
static void
wait_work(struct lmtp_server *srv)
{
	struct timespec until;

	while (srv->head == NULL && !(srv->stopping && srv->nconn == 0)) {
		if (srv->deferred == 0) {
			pthread_cond_wait(&srv->work, &srv->lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += srv->quiet_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		if (pthread_cond_timedwait(&srv->work, &srv->lock, &until) ==
		    ETIMEDOUT && srv->head == NULL) {
			pthread_mutex_unlock(&srv->lock);
			catch_up(srv);
			pthread_mutex_lock(&srv->lock);
		}
	}
}

/* committer - takes every message waiting, commits them as one group. */
static void *
committer(void *arg)
{
	struct lmtp_server *srv = arg;
	struct job *jobs[MAX_BATCH];

	pthread_setname_np(pthread_self(), "kith-commit");
	/* what a run stopped short may have left deferred */
	srv->deferred = 1;
	catch_up(srv);
	for (;;) {
		size_t n = 0;
		struct group *g;

		pthread_mutex_lock(&srv->lock);
		wait_work(srv);
		if (srv->head == NULL) {
			pthread_mutex_unlock(&srv->lock);
			break;
		}
		n = hold(srv, jobs, take(srv, jobs, 0));
		pthread_mutex_unlock(&srv->lock);
		group_count(srv, n);
		g = xmalloc(sizeof(*g) + n * sizeof(g->jobs[0]));
		g->srv = srv;
		g->n = n;
		memcpy(g->jobs, jobs, n * sizeof(jobs[0]));
		/* the next group runs while this one's commit goes to disk */
		walsync_after(srv->ws, run_group(srv, jobs, n) == KITH_OK,
		    group_durable, g);
		if (catch_up_due(srv))
			catch_up(srv);
	}
	catch_up(srv);
	return NULL;
}

/*
 * submit - hand a complete message to the committer; wait for its commit.
 * A message kept whole is parsed here first, on the connection's thread,
 * so that the committer, which every message waits for, does not.
 */
static void
submit(struct lmtp_server *srv, struct lmtp_session *s,
    struct inbound_result *res, int *arriving)
{
	struct job j = { .s = s, .res = res };
	size_t len, size;
	const char *raw = lmtp_session_data(s, &len, &size);

	if ((j.whole = len == size)) {
		inbound_parse(&j.parsed, raw, len);
		if (j.parsed.rc == 0)
			post_prefetch_dns(&srv->cfg, &j.parsed.m);
	}
	pthread_cond_init(&j.cond, NULL);
	pthread_mutex_lock(&srv->lock);
	if (srv->tail)
		srv->tail->next = &j;
	else
		srv->head = &j;
	srv->tail = &j;
	srv->arriving -= *arriving;
	*arriving = 0;
	pthread_cond_signal(&srv->work);
	while (!j.done)
		pthread_cond_wait(&j.cond, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
	pthread_cond_destroy(&j.cond);
	if (j.whole)
		inbound_parsed_release(&j.parsed);
}

/* flush - write the replies; -1 when the client is gone. */
static int
flush(int fd, struct buf *out)
{
	int rc = out->len ? write_all(fd, out->data, out->len) : 0;

	buf_reset(out);
	return rc;
}

/*
 * wait_input - 1 when fd has input, 0 after the idle timeout, -1 when
 * the server is stopping.
 */
static int
wait_input(struct lmtp_server *srv, int fd)
{
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { srv->wake[0], POLLIN, 0 } };
	int rc;

	do
		rc = poll(p, 2, srv->cfg.lmtp_timeout * 1000);
	while (rc < 0 && errno == EINTR);
	if (p[1].revents)
		return -1;
	return rc > 0 ? 1 : 0;
}

/*
 * count_arriving - this session's message is coming in (now 1: it is
 * past DATA, counted before the 354 is sent) or no longer (0: it went
 * away or was reset); the committer holds a commit for those counted.
 */
static void
count_arriving(struct lmtp_server *srv, int *arriving, int now)
{
	pthread_mutex_lock(&srv->lock);
	srv->arriving += now - *arriving;
	*arriving = now;
	if (!now)
		pthread_cond_signal(&srv->work);
	pthread_mutex_unlock(&srv->lock);
}

/* serve_conn - one client, from the greeting to QUIT, a timeout or a stop. */
static void
serve_conn(struct lmtp_server *srv, int fd)
{
	struct buf out;
	struct lmtp_session *s;
	char *in = xmalloc(READ_CHUNK);
	size_t have = 0, off = 0, used;
	int arriving = 0;	/* counted in srv->arriving */

	buf_init(&out);
	s = lmtp_session_new(&srv->lim, srv->cfg.domain, &out);
	for (;;) {
		enum lmtp_event ev;

		if (off == have) {
			ssize_t r;
			int w;

			if (flush(fd, &out) < 0)
				break;
			if ((w = wait_input(srv, fd)) <= 0) {
				buf_adds(&out, w == 0 ? "421 4.4.2 idle too long, "
				    "closing\r\n" : "421 4.3.2 shutting down\r\n");
				flush(fd, &out);
				break;
			}
			do
				r = read(fd, in, READ_CHUNK);
			while (r < 0 && errno == EINTR);
			if (r <= 0)
				break;
			have = (size_t)r;
			off = 0;
		}
		ev = lmtp_session_feed(s, in + off, have - off, &used, &out);
		off += used;
		if (ev == LMTP_MESSAGE) {
			struct inbound_result *res = xcalloc(
			    lmtp_session_nrcpt(s), sizeof(*res));

			submit(srv, s, res, &arriving);
			lmtp_session_answer(s, res, &out);
			free(res);
		} else if (ev == LMTP_CLOSE) {
			flush(fd, &out);
			break;
		} else if ((s->st == S_DATA) != arriving)
			count_arriving(srv, &arriving, s->st == S_DATA);
	}
	if (arriving)
		count_arriving(srv, &arriving, 0);
	lmtp_session_free(s);
	buf_release(&out);
	free(in);
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg, **pp;
	struct lmtp_server *srv = c->srv;

	pthread_setname_np(pthread_self(), "kith-lmtp");
	serve_conn(srv, c->fd);
	pthread_mutex_lock(&srv->lock);
	for (pp = &srv->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	close(c->fd);
	srv->nconn--;
	pthread_cond_broadcast(&srv->gone);
	pthread_cond_signal(&srv->work);
	pthread_mutex_unlock(&srv->lock);
	free(c);
	return NULL;
}

/* start_conn - a thread for a new client, unless there are too many. */
static void
start_conn(struct lmtp_server *srv, int fd)
{
	static const char busy[] = "421 4.3.2 too many connections, try "
	    "again later\r\n";
	struct timeval tv = { srv->cfg.lmtp_timeout, 0 };
	struct conn *c;
	pthread_attr_t attr;
	pthread_t t;
	int one = 1, ok;

	pthread_mutex_lock(&srv->lock);
	ok = srv->nconn < srv->cfg.lmtp_max_connections && !srv->stopping;
	if (ok)
		srv->nconn++;
	pthread_mutex_unlock(&srv->lock);
	if (!ok) {
		log_warn("lmtp: %d connections already; one refused",
		    srv->cfg.lmtp_max_connections);
		(void)!write(fd, busy, sizeof(busy) - 1);
		close(fd);
		return;
	}
	/* a client that stops reading cannot hold its thread for ever */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->fd = fd;
	pthread_mutex_lock(&srv->lock);
	c->next = srv->conns;
	srv->conns = c;
	pthread_mutex_unlock(&srv->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&t, &attr, conn_main, c) != 0) {
		log_warn("lmtp: cannot start a thread; connection refused");
		(void)!write(fd, busy, sizeof(busy) - 1);
		pthread_mutex_lock(&srv->lock);
		srv->conns = c->next;
		srv->nconn--;
		pthread_mutex_unlock(&srv->lock);
		close(fd);
		free(c);
	}
	pthread_attr_destroy(&attr);
}

static void *
acceptor(void *arg)
{
	struct lmtp_server *srv = arg;

	for (;;) {
		struct pollfd p[2] = { { srv->fd, POLLIN, 0 },
			{ srv->wake[0], POLLIN, 0 } };
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				struct timespec pause = { 0, 100 * 1000 * 1000 };

				log_warn("lmtp: accept: %s", strerror(errno));
				nanosleep(&pause, NULL);
			}
			continue;
		}
		start_conn(srv, fd);
	}
	return NULL;
}

/* listen_on - bind and listen on spec; the socket, or -1 with err. */
static int
listen_on(struct lmtp_server *srv, const char *spec, char *err,
    size_t errlen)
{
	char host[256];
	int port, fd, kind = config_listen_parse(spec, host, sizeof(host),
	    &port);

	if (kind < 0) {
		snprintf(err, errlen, "[lmtp] listen '%s' is not HOST:PORT, "
		    "[IPV6]:PORT or unix:/PATH", spec);
		return -1;
	}
	if (kind == 1) {
		if ((fd = listen_unix(spec, host, err, errlen)) < 0)
			return -1;
		/* who may connect is up to the directory it lies in */
		chmod(host, 0666);
		srv->unix_path = xstrdup(host);
		snprintf(srv->address, sizeof(srv->address), "unix:%s", host);
		return fd;
	}
	return listen_tcp(spec, host, port, "lmtp", srv->address,
	    sizeof(srv->address), err, errlen);
}

struct lmtp_server *
lmtp_start(struct kith_config *cfg, const char *listen, char *err,
    size_t errlen)
{
	struct lmtp_server *srv = xcalloc(1, sizeof(*srv));
	char *db_path;

	srv->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	srv->cfg.dns_memo = dns_memo_new();
	srv->lim.max_size = (size_t)srv->cfg.lmtp_max_size;
	srv->lim.max_recipients = (size_t)srv->cfg.lmtp_max_recipients;
	srv->fd = srv->wake[0] = srv->wake[1] = -1;
	/* the benchmarks' and the tests' knobs (kith(1), ENVIRONMENT) */
	srv->hold_us = env_long("KITH_LMTP_HOLD_US", HOLD_US);
	srv->defer_from = env_long("KITH_LMTP_DEFER_FROM", DEFER_FROM);
	srv->quiet_ms = env_long("KITH_LMTP_QUIET_MS", QUIET_MS);
	srv->catch_up_ms = env_long("KITH_LMTP_CATCH_UP_MS", CATCH_UP_MS);
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->gone, NULL);
	{
		pthread_condattr_t ca;	/* timed waits: the monotonic clock */

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&srv->work, &ca);
		pthread_condattr_destroy(&ca);
	}
	db_path = config_db_path(&srv->cfg);
	if (db_open(db_path, 0, srv->cfg.busy_timeout_ms, DB_DURABLE, &srv->db,
	    err, errlen) != KITH_OK || ((srv->ws = walsync_start(srv->db,
	    db_path, srv->cfg.busy_timeout_ms, "lmtp", 1, err, errlen)) == NULL &&
	    *err)) {
		free(db_path);
		goto fail;
	}
	free(db_path);
	if (pipe2(srv->wake, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot make a pipe: %s", strerror(errno));
		goto fail;
	}
	if ((srv->fd = listen_on(srv, listen ? listen : srv->cfg.lmtp_listen,
	    err, errlen)) < 0)
		goto fail;
	if (pthread_create(&srv->committer, NULL, committer, srv) != 0)
		goto nothread;
	srv->committer_started = 1;
	if (pthread_create(&srv->acceptor, NULL, acceptor, srv) != 0)
		goto nothread;
	srv->acceptor_started = 1;
	return srv;
nothread:
	snprintf(err, errlen, "cannot start a thread");
fail:
	lmtp_stop(srv, 0);
	return NULL;
}

const char *
lmtp_address(const struct lmtp_server *srv)
{
	return srv->address;
}

int
lmtp_take_mail(struct lmtp_server *srv)
{
	return srv ? atomic_exchange(&srv->mail, 0) : 0;
}

void
lmtp_stop(struct lmtp_server *srv, int grace)
{
	if (srv == NULL)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->stopping = 1;
	pthread_mutex_unlock(&srv->lock);
	if (srv->wake[1] >= 0)
		(void)!write(srv->wake[1], "x", 1);
	if (srv->acceptor_started)
		pthread_join(srv->acceptor, NULL);
	if (srv->fd >= 0)
		close(srv->fd);
	if (srv->unix_path)
		unlink(srv->unix_path);
	/* sessions answer what is being committed, then leave; after the
	 * grace, those that do not are cut off (relative sleeps: the tests'
	 * faked wall clock must not matter) */
	for (long waited = 0; waited < (long)grace * 1000; waited += 20) {
		struct timespec tick = { 0, 20 * 1000 * 1000 };
		int n;

		pthread_mutex_lock(&srv->lock);
		n = srv->nconn;
		pthread_mutex_unlock(&srv->lock);
		if (n == 0)
			break;
		nanosleep(&tick, NULL);
	}
	pthread_mutex_lock(&srv->lock);
	for (struct conn *c = srv->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	while (srv->nconn > 0)
		pthread_cond_wait(&srv->gone, &srv->lock);
	pthread_cond_signal(&srv->work);
	pthread_mutex_unlock(&srv->lock);
	if (srv->committer_started)
		pthread_join(srv->committer, NULL);
	group_log(srv);
	walsync_stop(srv->ws);
	for (int i = 0; i < 2; i++)
		if (srv->wake[i] >= 0)
			close(srv->wake[i]);
	db_close(srv->db);
	free(srv->unix_path);
	dns_memo_free(srv->cfg.dns_memo);
	config_release(&srv->cfg);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->work);
	pthread_cond_destroy(&srv->gone);
	free(srv);
}

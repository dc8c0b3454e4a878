/*
 * lmtp_server - kith serve's LMTP side: one thread for every
 * connection's I/O, one committer, and a helper thread for a message
 * that could hold the others up.
 *
 * The loop (one thread, epoll) reads every session, feeds it to its
 * protocol (lmtp.c, no I/O) and writes the replies.  A complete message
 * is parsed there and queued for the committer, which commits every
 * message waiting as one group (run_group); once walsync has the commit
 * on disk, the group's messages come back to the loop in one wake-up
 * (an eventfd) and their sessions answer.  Why one loop and not a thread
 * a session: with a thread each, twenty sessions woke 4.4 times a message
 * and took turns for the CPU with the committer and the syncer, which
 * every message waits for (docs/BENCHMARKS.md, stop 39).
 *
 * What could keep the loop waiting is done on a helper thread, one for
 * that message, which then queues it: a name server's answer that the
 * memo does not hold yet (post_dns_known), or a large message's parse.
 * So a slow name server holds up its own message only (t60).
 *
 * Nothing is answered before its commit is on disk; a session whose
 * message is out (with a helper or the committer) is not read until it
 * comes back, and is freed only then.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

#define MAX_BATCH 256		/* messages sharing one commit */
#define READ_CHUNK 16384
#define HOLD_US 0		/* a commit waits this long for arrivals */
#define GROUP_BUCKETS 9		/* commit sizes 1, 2, 3-4, ..., 129-256 */
#define DEFER_FROM 4		/* a group this large defers what can wait */
#define CATCH_UP_MS 1000	/* deferred this long: caught up anyway */
#define CATCH_UP_MAX 8192	/* or this many messages */
#define QUIET_MS 20		/* no message for this long: catch up */
#define PARSE_HERE_MAX (256 * 1024)	/* larger: parsed on a helper */
#define OUT_MAX 65536		/* replies the client has not read: stop
				 * reading it until they are written */
#define MAX_EVENTS 64
#define STOP_TICK_MS 20

struct conn;

/* A complete message, from the loop to the committer and back. */
struct job {
	struct conn *c;
	struct inbound_result *res;	/* one a recipient */
	struct inbound_parsed parsed;	/* when whole */
	int whole;		/* the message was kept whole */
	int parsed_yet;		/* parsed holds it */
	struct job *next;
};

/* A client, the loop's own (and its job's, while the job is out). */
struct conn {
	struct lmtp_server *srv;
	int fd;			/* -1 once closed */
	struct lmtp_session *s;
	size_t have, off;	/* in[off..have): read, not yet fed */
	struct buf out;		/* replies; out[sent..] not yet written */
	size_t sent;
	int readable;		/* may have input (edge-triggered) */
	int writable;
	int hup;		/* the client has shut down its side */
	int waiting;		/* its message is out: not read, not freed */
	int arriving;		/* counted in srv->arriving */
	int closing;		/* close once out is written */
	int64_t last;		/* the monotonic ms of its last progress */
	struct job job;
	struct conn *prev, *next;
	char in[READ_CHUNK];
};

struct lmtp_server {
	struct kith_config cfg;
	struct lmtp_limits lim;
	int fd;			/* listening; -1 once stopping */
	char *unix_path;
	char address[320];
	int wake[2];		/* readable once stopping */
	int ep;			/* the loop's epoll */
	int back;		/* eventfd: messages came back (srv->done) */
	struct db *db;		/* the committer's */
	struct walsync *ws;	/* its syncer and checkpointer */
	pthread_t loop, committer;
	int loop_started, committer_started;

	/* the loop's own */
	struct conn *conns, *graveyard;
	int nconn;			/* conns, those closed but out too */
	int stopping_seen;
	int64_t accept_paused;	/* out of descriptors: accept after this */

	pthread_mutex_t lock;	/* everything below */
	pthread_cond_t work;
	struct job *head, *tail;	/* for the committer */
	struct job *done;		/* back from it, for the loop */
	int arriving;		/* sessions in DATA: a message soon queued */
	int stopping;
	int64_t stop_by;	/* the monotonic ms the grace ends */
	int loop_done;		/* no message will be queued any more */
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

/* ---------------------------------------------------------------- */
/* The committer.                                                    */

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
		struct lmtp_session *s = jobs[j]->c->s;
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
		for (size_t i = 0; i < lmtp_session_nrcpt(jobs[j]->c->s); i++) {
			struct inbound_result *r = &jobs[j]->res[i];

			if (st != KITH_OK && r->exit_code == 0) {
				r->exit_code = EX_TEMPFAIL_;
				snprintf(r->what, sizeof(r->what), "deferred");
				snprintf(r->reason, sizeof(r->reason), "lmtp: "
				    "commit failed; '%s' deferred",
				    lmtp_session_rcpt(jobs[j]->c->s, i));
			}
			/* the reply says why, for the MTA's queue (452 4.3.1) */
			if (full && r->exit_code == EX_TEMPFAIL_) {
				snprintf(r->what, sizeof(r->what), "disk full");
				snprintf(r->reason, sizeof(r->reason), "lmtp: "
				    "the disk is full; '%s' deferred",
				    lmtp_session_rcpt(jobs[j]->c->s, i));
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
 * group_durable - the group's commit is on disk: its messages go back
 * to the loop, which answers them, woken once for the group.  If the
 * WAL could not be synced, nothing stored is acknowledged: 451, and the
 * MTA's retry finds the message stored (one copy, by its Message-ID).
 */
static void
group_durable(void *arg, int durable)
{
	struct group *g = arg;
	struct lmtp_server *srv = g->srv;
	uint64_t one = 1;
	int wake;

	for (size_t j = 0; j < g->n && !durable; j++)
		for (size_t i = 0; i < lmtp_session_nrcpt(g->jobs[j]->c->s);
		    i++) {
			struct inbound_result *r = &g->jobs[j]->res[i];

			if (r->exit_code != 0)
				continue;
			r->exit_code = EX_TEMPFAIL_;
			snprintf(r->what, sizeof(r->what), "deferred");
			snprintf(r->reason, sizeof(r->reason), "lmtp: the "
			    "commit is not on disk; '%s' deferred",
			    lmtp_session_rcpt(g->jobs[j]->c->s, i));
		}
	pthread_mutex_lock(&srv->lock);
	/* the loop takes the whole list after reading the eventfd: one
	 * write for a list that was empty wakes it for everything after */
	wake = srv->done == NULL;
	for (size_t j = 0; j < g->n; j++) {
		g->jobs[j]->next = srv->done;
		srv->done = g->jobs[j];
	}
	pthread_mutex_unlock(&srv->lock);
	if (wake)
		(void)!write(srv->back, &one, sizeof(one));
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

	while (srv->head == NULL && !srv->loop_done) {
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

/* ---------------------------------------------------------------- */
/* Handing a message over: to the committer, or first to a helper.   */

/* queue - a message for the committer; uncount: the session's arriving */
static void
queue(struct lmtp_server *srv, struct job *j, int uncount)
{
	pthread_mutex_lock(&srv->lock);
	j->next = NULL;
	if (srv->tail)
		srv->tail->next = j;
	else
		srv->head = j;
	srv->tail = j;
	srv->arriving -= uncount;
	pthread_cond_signal(&srv->work);
	pthread_mutex_unlock(&srv->lock);
}

/* helper - parse a message and ask the DNS for it, then queue it */
static void *
helper(void *arg)
{
	struct job *j = arg;
	struct lmtp_server *srv = j->c->srv;

	pthread_setname_np(pthread_self(), "kith-lmtp-help");
	if (!j->parsed_yet) {
		size_t len, size;
		const char *raw = lmtp_session_data(j->c->s, &len, &size);

		inbound_parse(&j->parsed, raw, len);
		j->parsed_yet = 1;
	}
	if (j->parsed.rc == 0)
		post_prefetch_dns(&srv->cfg, &j->parsed.m);
	queue(srv, j, 0);
	return NULL;
}

/* start_helper - a thread for j; if none can be had, the loop does it */
static void
start_helper(struct lmtp_server *srv, struct job *j)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&t, &attr, helper, j) != 0) {
		log_warn("lmtp: cannot start a thread; the message is "
		    "prepared on the loop's");
		(void)helper(j);
	}
	pthread_attr_destroy(&attr);
}

/*
 * count_arriving - the session's message is coming in (1: it is past
 * DATA) or no longer (0); the committer's hold waits for those counted.
 */
static void
count_arriving(struct lmtp_server *srv, struct conn *c, int now)
{
	pthread_mutex_lock(&srv->lock);
	srv->arriving += now - c->arriving;
	c->arriving = now;
	if (!now)
		pthread_cond_signal(&srv->work);
	pthread_mutex_unlock(&srv->lock);
}

/*
 * submit - the session's message is complete: parse it here when that
 * is quick and every DNS answer it needs is in the memo, and queue it;
 * else a helper does both.  The session waits until it comes back.
 */
static void
submit(struct lmtp_server *srv, struct conn *c)
{
	struct job *j = &c->job;
	size_t len, size;
	const char *raw = lmtp_session_data(c->s, &len, &size);

	memset(j, 0, sizeof(*j));
	j->c = c;
	j->res = xcalloc(lmtp_session_nrcpt(c->s), sizeof(*j->res));
	j->whole = len == size;
	c->waiting = 1;
	if (j->whole && len <= PARSE_HERE_MAX) {
		inbound_parse(&j->parsed, raw, len);
		j->parsed_yet = 1;
	}
	if (!j->whole || (j->parsed_yet && (j->parsed.rc != 0 ||
	    post_dns_known(&srv->cfg, &j->parsed.m)))) {
		queue(srv, j, c->arriving);
		c->arriving = 0;
		return;
	}
	if (c->arriving)
		count_arriving(srv, c, 0);
	start_helper(srv, j);
}

/* ---------------------------------------------------------------- */
/* The loop: every session's I/O.                                    */

/* watch - fd in the loop's epoll set, level-triggered, named by tag */
static int
watch(struct lmtp_server *srv, int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(srv->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* conn_close - close the client; the conn is freed once its job is back */
static void
conn_close(struct lmtp_server *srv, struct conn *c)
{
	if (c->fd >= 0) {
		close(c->fd);	/* (and out of the epoll set) */
		c->fd = -1;
	}
	if (c->waiting)
		return;
	if (c->arriving)
		count_arriving(srv, c, 0);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	/* freed at the end of the loop's round: an event of this round may
	 * still name it */
	c->next = srv->graveyard;
	srv->graveyard = c;
	srv->nconn--;
}

/* flush - write what the client may take; closes a closing conn */
static void
flush(struct lmtp_server *srv, struct conn *c)
{
	while (c->fd >= 0 && c->sent < c->out.len) {
		ssize_t w = send(c->fd, c->out.data + c->sent,
		    c->out.len - c->sent, MSG_NOSIGNAL);

		if (w > 0) {
			c->sent += (size_t)w;
			c->last = mono_ms();
		} else if (w < 0 && errno == EINTR)
			continue;
		else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->writable = 0;
			return;
		} else {
			conn_close(srv, c);	/* the client is gone */
			return;
		}
	}
	buf_reset(&c->out);
	c->sent = 0;
	if (c->closing && c->fd >= 0)
		conn_close(srv, c);
}

/* fill - read into c->in: 1 read, 0 nothing now, -1 end or error */
static int
fill(struct conn *c)
{
	ssize_t r;

	do
		r = read(c->fd, c->in, sizeof(c->in));
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->readable = 0;
		return 0;
	}
	if (r <= 0)
		return -1;
	/* a stream socket read short is empty: its next input is an edge;
	 * but the end of a client that has shut down its side came with
	 * the last edge, and only a read tells it */
	if ((size_t)r < sizeof(c->in) && !c->hup)
		c->readable = 0;
	c->have = (size_t)r;
	c->off = 0;
	c->last = mono_ms();
	return 1;
}

/*
 * conn_step - feed the session what it has or can read, until its
 * message is complete, it must wait for input, or it closes; write.
 * Replies the client has not read stop it at OUT_MAX; once they are
 * written, it goes on.
 */
static void
conn_step(struct lmtp_server *srv, struct conn *c)
{
	int full;

	do {
		if (c->fd < 0)
			return;
		while (!c->waiting && !c->closing && !srv->stopping_seen &&
		    c->out.len - c->sent < OUT_MAX) {
			enum lmtp_event ev;
			size_t used;

			if (c->off == c->have) {
				int r;

				if (!c->readable || (r = fill(c)) == 0)
					break;
				if (r < 0) {
					/* the client's end: what it was
					 * answered goes first (it may read
					 * after shutting its side) */
					c->closing = 1;
					break;
				}
			}
			ev = lmtp_session_feed(c->s, c->in + c->off,
			    c->have - c->off, &used, &c->out);
			c->off += used;
			if (ev == LMTP_MESSAGE)
				submit(srv, c);
			else if (ev == LMTP_CLOSE)
				c->closing = 1;
			else if (lmtp_session_in_data(c->s) != c->arriving)
				count_arriving(srv, c,
				    lmtp_session_in_data(c->s));
		}
		full = c->out.len - c->sent >= OUT_MAX;
		if (c->writable || c->closing)
			flush(srv, c);
	} while (full && c->fd >= 0 && c->out.len == 0);
}

/* conn_start - a new client, unless there are too many */
static void
conn_start(struct lmtp_server *srv, int fd)
{
	static const char busy[] = "421 4.3.2 too many connections, try "
	    "again later\r\n";
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP |
	    EPOLLET };
	struct conn *c;
	int one = 1;

	if (srv->nconn >= srv->cfg.lmtp_max_connections) {
		log_warn("lmtp: %d connections already; one refused",
		    srv->cfg.lmtp_max_connections);
		(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);
		close(fd);
		return;
	}
	srv->nconn++;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->fd = fd;
	c->writable = 1;
	c->last = mono_ms();
	buf_init(&c->out);
	c->s = lmtp_session_new(&srv->lim, srv->cfg.domain, &c->out);
	c->next = srv->conns;
	if (c->next)
		c->next->prev = c;
	srv->conns = c;
	ev.data.ptr = c;
	/* input already there is reported at once (an edge) */
	if (epoll_ctl(srv->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("lmtp: epoll: %s; connection closed", strerror(errno));
		conn_close(srv, c);
		return;
	}
	flush(srv, c);
}

/* accept_all - every client waiting to be accepted */
static void
accept_all(struct lmtp_server *srv)
{
	for (;;) {
		int fd = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC |
		    SOCK_NONBLOCK);

		if (fd >= 0) {
			conn_start(srv, fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE) {
			/* out of descriptors: the listener rests a moment
			 * (else its readiness would spin the loop) */
			log_warn("lmtp: accept: %s", strerror(errno));
			epoll_ctl(srv->ep, EPOLL_CTL_DEL, srv->fd, NULL);
			srv->accept_paused = mono_ms() + 100;
		}
		if (errno != EINTR && errno != ECONNABORTED)
			return;
	}
}

/* take_back - messages whose commits are on disk: their sessions answer */
static void
take_back(struct lmtp_server *srv)
{
	uint64_t n;
	struct job *j, *next;

	(void)!read(srv->back, &n, sizeof(n));
	pthread_mutex_lock(&srv->lock);
	j = srv->done;
	srv->done = NULL;
	pthread_mutex_unlock(&srv->lock);
	for (; j; j = next) {
		struct conn *c = j->c;

		next = j->next;
		if (j->parsed_yet)
			inbound_parsed_release(&j->parsed);
		c->waiting = 0;
		if (c->fd < 0) {
			free(j->res);
			conn_close(srv, c);
			continue;
		}
		lmtp_session_answer(c->s, j->res, &c->out);
		free(j->res);
		c->last = mono_ms();	/* its wait was not idleness */
		conn_step(srv, c);
	}
}

/* close_listener - no new clients (stopping, or start failed) */
static void
close_listener(struct lmtp_server *srv)
{
	if (srv->fd >= 0)
		close(srv->fd);
	srv->fd = -1;
	if (srv->unix_path)
		unlink(srv->unix_path);
}

/* sweep_idle - a session silent for [lmtp] timeout is told and closed;
 * one whose client does not read its replies is cut off */
static void
sweep_idle(struct lmtp_server *srv, int64_t now)
{
	struct conn *c, *next;

	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->waiting || c->fd < 0 ||
		    now - c->last < (int64_t)srv->cfg.lmtp_timeout * 1000)
			continue;
		if (c->sent < c->out.len) {
			conn_close(srv, c);
			continue;
		}
		buf_adds(&c->out, "421 4.4.2 idle too long, closing\r\n");
		c->closing = 1;
		flush(srv, c);
	}
}

/*
 * sweep_stopping - the server stops: a session not waiting for a commit
 * is told and closed; one that is answers first (take_back, then here
 * again).  After the grace, what is left is cut off.
 */
static void
sweep_stopping(struct lmtp_server *srv, int64_t now, int64_t stop_by)
{
	struct conn *c, *next;

	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->fd < 0 || c->waiting) {
			if (now >= stop_by && c->fd >= 0)
				shutdown(c->fd, SHUT_RDWR);
			continue;
		}
		if (now >= stop_by) {
			conn_close(srv, c);
			continue;
		}
		if (!c->closing) {
			buf_adds(&c->out, "421 4.3.2 shutting down\r\n");
			c->closing = 1;
		}
		flush(srv, c);
	}
}

/* bury - free the conns closed this round */
static void
bury(struct lmtp_server *srv)
{
	while (srv->graveyard) {
		struct conn *c = srv->graveyard;

		srv->graveyard = c->next;
		lmtp_session_free(c->s);
		buf_release(&c->out);
		free(c);
	}
}

static void *
loop_main(void *arg)
{
	struct lmtp_server *srv = arg;
	struct epoll_event ev[MAX_EVENTS];
	int64_t swept = mono_ms(), stop_by = 0;

	pthread_setname_np(pthread_self(), "kith-lmtp");
	for (;;) {
		int n, timeout = srv->conns ? 1000 : -1;
		int64_t now;

		if (srv->stopping_seen || srv->accept_paused)
			timeout = STOP_TICK_MS;
		n = epoll_wait(srv->ep, ev, MAX_EVENTS, timeout);
		for (int i = 0; i < n; i++) {
			void *p = ev[i].data.ptr;
			struct conn *c = p;

			if (p == &srv->fd)
				accept_all(srv);
			else if (p == &srv->back)
				take_back(srv);
			else if (p == &srv->wake) {
				pthread_mutex_lock(&srv->lock);
				stop_by = srv->stop_by;
				pthread_mutex_unlock(&srv->lock);
				srv->stopping_seen = 1;
				epoll_ctl(srv->ep, EPOLL_CTL_DEL, srv->wake[0],
				    NULL);
				close_listener(srv);
			} else if (c->fd >= 0) {
				if (ev[i].events & (EPOLLIN | EPOLLRDHUP |
				    EPOLLHUP | EPOLLERR))
					c->readable = 1;
				if (ev[i].events & (EPOLLRDHUP | EPOLLHUP |
				    EPOLLERR))
					c->hup = 1;
				if (ev[i].events & (EPOLLOUT | EPOLLHUP |
				    EPOLLERR))
					c->writable = 1;
				conn_step(srv, c);
			}
		}
		now = mono_ms();
		if (srv->accept_paused && now >= srv->accept_paused &&
		    srv->fd >= 0) {
			srv->accept_paused = 0;
			watch(srv, srv->fd, &srv->fd);
		}
		if (now - swept >= 1000) {
			sweep_idle(srv, now);
			swept = now;
		}
		if (srv->stopping_seen)
			sweep_stopping(srv, now, stop_by);
		bury(srv);
		if (srv->stopping_seen && srv->conns == NULL)
			break;
	}
	pthread_mutex_lock(&srv->lock);
	srv->loop_done = 1;
	pthread_cond_signal(&srv->work);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

/* ---------------------------------------------------------------- */
/* Start and stop.                                                   */

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
	srv->fd = srv->wake[0] = srv->wake[1] = srv->ep = srv->back = -1;
	/* the benchmarks' and the tests' knobs (kith(1), ENVIRONMENT) */
	srv->hold_us = env_long("KITH_LMTP_HOLD_US", HOLD_US);
	srv->defer_from = env_long("KITH_LMTP_DEFER_FROM", DEFER_FROM);
	srv->quiet_ms = env_long("KITH_LMTP_QUIET_MS", QUIET_MS);
	srv->catch_up_ms = env_long("KITH_LMTP_CATCH_UP_MS", CATCH_UP_MS);
	pthread_mutex_init(&srv->lock, NULL);
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
	if (pipe2(srv->wake, O_CLOEXEC) < 0 ||
	    (srv->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (srv->back = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		snprintf(err, errlen, "cannot make the LMTP loop's "
		    "descriptors: %s", strerror(errno));
		goto fail;
	}
	if ((srv->fd = listen_on(srv, listen ? listen : srv->cfg.lmtp_listen,
	    err, errlen)) < 0)
		goto fail;
	if (fcntl(srv->fd, F_SETFL, fcntl(srv->fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    watch(srv, srv->fd, &srv->fd) < 0 ||
	    watch(srv, srv->wake[0], &srv->wake) < 0 ||
	    watch(srv, srv->back, &srv->back) < 0) {
		snprintf(err, errlen, "cannot watch the LMTP socket: %s",
		    strerror(errno));
		goto fail;
	}
	if (pthread_create(&srv->committer, NULL, committer, srv) != 0)
		goto nothread;
	srv->committer_started = 1;
	if (pthread_create(&srv->loop, NULL, loop_main, srv) != 0)
		goto nothread;
	srv->loop_started = 1;
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
	/* sessions answer what is being committed, then leave; after the
	 * grace, those that do not are cut off (the monotonic clock: the
	 * tests' faked wall clock must not matter) */
	pthread_mutex_lock(&srv->lock);
	srv->stopping = 1;
	srv->stop_by = mono_ms() + (int64_t)grace * 1000;
	pthread_mutex_unlock(&srv->lock);
	if (srv->wake[1] >= 0)
		(void)!write(srv->wake[1], "x", 1);
	if (srv->loop_started)
		pthread_join(srv->loop, NULL);
	close_listener(srv);
	pthread_mutex_lock(&srv->lock);
	srv->loop_done = 1;
	pthread_cond_signal(&srv->work);
	pthread_mutex_unlock(&srv->lock);
	if (srv->committer_started)
		pthread_join(srv->committer, NULL);
	group_log(srv);
	walsync_stop(srv->ws);
	for (int i = 0; i < 2; i++)
		if (srv->wake[i] >= 0)
			close(srv->wake[i]);
	if (srv->ep >= 0)
		close(srv->ep);
	if (srv->back >= 0)
		close(srv->back);
	db_close(srv->db);
	free(srv->unix_path);
	dns_memo_free(srv->cfg.dns_memo);
	config_release(&srv->cfg);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->work);
	free(srv);
}

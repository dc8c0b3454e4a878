/* walsync - a writer's syncer and checkpointer threads (see walsync.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kith/db.h"
#include "kith/log.h"
#include "kith/util.h"
#include "kith/walsync.h"

#define WAL_PAGES 1000		/* the checkpointer runs past this */
#define WAL_MAX 8000		/* the writer copies the rest past this, */
#define WAL_LAST 128		/* or once the checkpointer left this few */
#define CKPT_CHASE 8		/* rounds back to back to get there */
#define CKPT_PAUSE_MS 100	/* else one round of checkpoints this often */

struct ticket {
	void (*done)(void *arg, int durable);
	void *arg;
	int wrote;
	struct ticket *next;
};

struct walsync {
	struct db *writer;	/* the writer's connection (its thread's) */
	struct db *ckpt_db;	/* the checkpointer's own connection */
	int fd;			/* the WAL: db_sync_later's */
	char name[16];
	pthread_t syncer, checkpointer;
	int syncer_started, checkpointer_started;

	pthread_mutex_t copying;	/* held by whoever copies the WAL */
	pthread_mutex_t lock;	/* everything below */
	pthread_cond_t queued, idle, ckpt;
	struct ticket *head, *tail;
	int busy;		/* the syncer is answering a run it took */
	int stop;
	int ckpt_due;		/* the WAL is long: the checkpointer runs */
	int pages;		/* the WAL's pages at the writer's last commit */
	int done_to;		/* those the checkpointer copied */
	int near;		/* the checkpointer left at most WAL_LAST */
};

/* answer - one run of tickets, after one fdatasync if any wrote */
static void
answer(struct walsync *ws, struct ticket *t)
{
	int durable = 1, wrote = 0;

	for (struct ticket *u = t; u; u = u->next)
		wrote |= u->wrote;
	if (wrote && fdatasync(ws->fd) < 0) {
		log_error("%s: cannot make the commits durable (fdatasync of "
		    "the WAL): %s", ws->name, strerror(errno));
		durable = 0;
	}
	while (t) {
		struct ticket *next = t->next;

		t->done(t->arg, durable);
		free(t);
		t = next;
	}
}

/* syncer - takes every ticket queued, answers them as one run */
static void *
syncer(void *arg)
{
	struct walsync *ws = arg;
	char name[16];

	snprintf(name, sizeof(name), "kith-sync-%.5s", ws->name);
	pthread_setname_np(pthread_self(), name);
	pthread_mutex_lock(&ws->lock);
	for (;;) {
		struct ticket *t;

		while (ws->head == NULL && !ws->stop)
			pthread_cond_wait(&ws->queued, &ws->lock);
		if ((t = ws->head) == NULL)
			break;
		ws->head = ws->tail = NULL;
		ws->busy = 1;
		pthread_mutex_unlock(&ws->lock);
		answer(ws, t);
		pthread_mutex_lock(&ws->lock);
		ws->busy = 0;
		pthread_cond_broadcast(&ws->idle);
	}
	pthread_mutex_unlock(&ws->lock);
	return NULL;
}

void
walsync_after(struct walsync *ws, int wrote,
    void (*done)(void *arg, int durable), void *arg)
{
	struct ticket *t;

	if (ws == NULL) {
		done(arg, 1);
		return;
	}
	t = xcalloc(1, sizeof(*t));
	t->done = done;
	t->arg = arg;
	t->wrote = wrote;
	pthread_mutex_lock(&ws->lock);
	if (ws->tail)
		ws->tail->next = t;
	else
		ws->head = t;
	ws->tail = t;
	pthread_cond_signal(&ws->queued);
	pthread_mutex_unlock(&ws->lock);
}

/* drain - wait until everything queued is answered */
static void
drain(struct walsync *ws)
{
	pthread_mutex_lock(&ws->lock);
	while (ws->head || ws->busy)
		pthread_cond_wait(&ws->idle, &ws->lock);
	pthread_mutex_unlock(&ws->lock);
}

/*
 * wal_full - the writer's checkpoint hook, on its thread after each
 * commit: past WAL_PAGES the checkpointer copies the WAL into the
 * database.  But the writer goes on writing meanwhile, so no copy
 * reaches the WAL's end, and the WAL starts over only when one has
 * (LMTP's grew to 153 MB in 4,200 posts).  So once the checkpointer has
 * left at most WAL_LAST pages behind (near), or the WAL is past WAL_MAX,
 * the writer copies the rest itself, and its next commit writes the WAL
 * over from the start.  The checkpointer has synced what it copied, so
 * the writer's two fsyncs cover its own few pages only.
 */
static void
wal_full(void *arg, int pages)
{
	struct walsync *ws = arg;
	int finish;

	if (pages < WAL_PAGES)
		return;
	pthread_mutex_lock(&ws->lock);
	ws->pages = pages;
	/* (not after a commit that wrote many pages, the deferred work's:
	 * the checkpointer copies those first) */
	finish = pages >= WAL_MAX || (ws->near &&
	    pages - ws->done_to <= WAL_LAST * 4);
	ws->near = 0;
	if (finish)
		ws->pages = ws->done_to = 0;	/* the WAL starts over */
	else {
		ws->ckpt_due = 1;
		pthread_cond_signal(&ws->ckpt);
	}
	pthread_mutex_unlock(&ws->lock);
	if (!finish)
		return;
	/* past WAL_MAX the checkpointer may be copying: its round first
	 * (sqlite would refuse a second copy at once, and the WAL grow) */
	pthread_mutex_lock(&ws->copying);
	db_checkpoint(ws->writer);
	pthread_mutex_unlock(&ws->copying);
}

/* ckpt_pause - wait until ms have passed or the helpers stop */
static void
ckpt_pause(struct walsync *ws, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	while (!ws->stop && pthread_cond_timedwait(&ws->ckpt, &ws->lock,
	    &until) != ETIMEDOUT)
		;
}

/*
 * checkpointer - copies the WAL into the database whenever it is long,
 * and syncs the database after each copy (sqlite syncs it only after a
 * copy that reached the WAL's end, so the writer's copy of the last
 * pages synced everything copied since: 10-22 ms of fsync on the
 * committer's thread, every message waiting).  While the writer writes,
 * a copy never reaches the end: the rounds run back to back, each
 * shorter than the one before, until at most WAL_LAST pages are left
 * (near: the writer copies those), else one round every CKPT_PAUSE_MS.
 * Again until it is all copied, so that the next commit starts the WAL
 * over (else a long WAL stays behind after a burst, and the next `kith
 * receive` pays for emptying it); once more when the helpers stop.  The
 * writer waits for it only when both would copy at once (past WAL_MAX,
 * or the writer's copy meeting the next round): for the rest of that
 * round.
 */
static void *
checkpointer(void *arg)
{
	struct walsync *ws = arg;
	int left = 0, last = 0, chased = 0, done_to;
	char name[16];

	snprintf(name, sizeof(name), "kith-ckpt-%.5s", ws->name);
	pthread_setname_np(pthread_self(), name);
	pthread_mutex_lock(&ws->lock);
	while (!last) {
		if (chased == 0)
			ckpt_pause(ws, CKPT_PAUSE_MS);
		while (!ws->ckpt_due && !left && !ws->stop)
			pthread_cond_wait(&ws->ckpt, &ws->lock);
		last = ws->stop;
		ws->ckpt_due = 0;
		pthread_mutex_unlock(&ws->lock);
		pthread_mutex_lock(&ws->copying);
		left = db_checkpoint_step(ws->ckpt_db, &done_to);
		pthread_mutex_unlock(&ws->copying);
		pthread_mutex_lock(&ws->lock);
		/* what the writer has written since the copy began; even a
		 * copy that caught up needs the writer's: one that ends while
		 * the writer is in a transaction does not start the WAL over */
		ws->done_to = done_to;
		if (done_to > 0 && ws->pages > done_to)
			left = ws->pages - done_to;
		ws->near = done_to > 0 && ws->pages > 0 && left <= WAL_LAST;
		chased = left > WAL_LAST && chased + 1 < CKPT_CHASE ?
		    chased + 1 : 0;
	}
	pthread_mutex_unlock(&ws->lock);
	return NULL;
}

struct walsync *
walsync_start(struct db *writer, const char *path, int busy_ms,
    const char *name, int checkpoints, char *err, size_t errlen)
{
	struct walsync *ws;
	pthread_condattr_t ca;	/* timed waits: the monotonic clock */
	int fd = db_sync_later(writer);

	*err = '\0';
	if (fd < 0)
		return NULL;
	ws = xcalloc(1, sizeof(*ws));
	ws->writer = writer;
	ws->fd = fd;
	snprintf(ws->name, sizeof(ws->name), "%s", name);
	pthread_mutex_init(&ws->copying, NULL);
	pthread_mutex_init(&ws->lock, NULL);
	pthread_cond_init(&ws->queued, NULL);
	pthread_cond_init(&ws->idle, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ws->ckpt, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&ws->syncer, NULL, syncer, ws) != 0)
		goto nothread;
	ws->syncer_started = 1;
	if (!checkpoints)
		return ws;
	if (db_open(path, 0, busy_ms, DB_DURABLE, &ws->ckpt_db, err,
	    errlen) != KITH_OK)
		goto fail;
	if (pthread_create(&ws->checkpointer, NULL, checkpointer, ws) != 0)
		goto nothread;
	ws->checkpointer_started = 1;
	/* connections that stay open: checkpoints that reuse the WAL rather
	 * than empty it, on the checkpointer's thread */
	db_checkpoint_hook(writer, wal_full, ws);
	return ws;
nothread:
	snprintf(err, errlen, "cannot start a thread");
fail:
	walsync_stop(ws);
	return NULL;
}

void
walsync_attach(struct walsync *ws, struct db *writer)
{
	int fd;

	if (ws == NULL)
		return;
	drain(ws);
	if ((fd = db_sync_later(writer)) >= 0) {
		close(ws->fd);
		ws->fd = fd;
	}
	ws->writer = writer;
	if (ws->checkpointer_started)
		db_checkpoint_hook(writer, wal_full, ws);
}

void
walsync_stop(struct walsync *ws)
{
	if (ws == NULL)
		return;
	pthread_mutex_lock(&ws->lock);
	ws->stop = 1;
	pthread_cond_signal(&ws->queued);
	pthread_cond_signal(&ws->ckpt);
	pthread_mutex_unlock(&ws->lock);
	if (ws->syncer_started)
		pthread_join(ws->syncer, NULL);
	if (ws->checkpointer_started)
		pthread_join(ws->checkpointer, NULL);
	db_close(ws->ckpt_db);
	close(ws->fd);
	pthread_mutex_destroy(&ws->copying);
	pthread_mutex_destroy(&ws->lock);
	pthread_cond_destroy(&ws->queued);
	pthread_cond_destroy(&ws->idle);
	pthread_cond_destroy(&ws->ckpt);
	free(ws);
}

/*
 * walsync - the two helpers of a connection that commits all day (kith
 * serve's page executor, its LMTP committer), each a thread of its own:
 *
 * - the syncer: the connection's commits no longer wait for the disk;
 *   what was answered from them goes out once one fdatasync of the
 *   write-ahead log has made them durable.  The writer meanwhile goes
 *   on with the next batch, and one fdatasync covers every batch
 *   committed before it began.  Nothing is answered before its commit
 *   is on disk, and answers go out in the order they were queued (a
 *   page read after a change waits for that change).
 * - the checkpointer (when asked for): copies the log into the database
 *   on a connection of its own when it is long, and syncs what it
 *   copied, so that the writer copies few pages and its fsyncs cover
 *   those only; the writer copies the last pages itself (else a log
 *   written without a pause never starts over: LMTP's grew to 153 MB in
 *   4,200 posts).  kith serve's pages do without: there the writer's
 *   own copies of the whole log (db_keep_wal) gave a shorter p99 in
 *   bench/serve.sh than the checkpointer's and the writer's copies
 *   together (35 ms against 47 ms).
 *
 * A backend whose commits are durable by themselves (PostgreSQL) needs
 * neither: walsync_start gives NULL, and walsync_after with NULL answers
 * at once.
 */
#ifndef KITH_WALSYNC_H
#define KITH_WALSYNC_H

struct db;
struct walsync;

/*
 * walsync_start - the helpers for writer, a connection to the database
 * at path (db_open's busy_ms for the checkpointer's own); name: the
 * threads' names' end ("web", "lmtp"); checkpoints: 1 for the
 * checkpointer too.  NULL with err when they cannot start, or with err
 * empty when the backend needs none.
 */
struct walsync *walsync_start(struct db *writer, const char *path,
    int busy_ms, const char *name, int checkpoints, char *err,
    size_t errlen);

/*
 * walsync_attach - writer replaces the connection given before (kith
 * serve reopened it on SIGHUP); what was queued is answered first.
 */
void walsync_attach(struct walsync *ws, struct db *writer);

/*
 * walsync_after - done(arg, durable) on the syncer's thread once the
 * writer's commits so far are on disk (wrote: this batch committed
 * something; else it waits only for those queued before it); durable
 * is 0 when the fdatasync failed.  ws NULL: done now, on this thread.
 */
void walsync_after(struct walsync *ws, int wrote,
    void (*done)(void *arg, int durable), void *arg);

/* walsync_stop - answers what is queued, a last checkpoint, the end. */
void walsync_stop(struct walsync *ws);

#endif

/*
 * db_sqlite_vfs - sqlite's default VFS, with two changes for Kith's WAL:
 * it is opened without O_CREAT when it is there (no directory sync), and
 * a frame goes to it in one write, not two (a commit's frames in one, on
 * a connection that asked: db_sqlite_vfs_batch).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_sqlite_vfs.h"

#define FRAME_HEADER 24		/* a WAL frame's header, before its page */
/*
 * The most held back: 31 frames of 4 KB.  The default VFS writes at most
 * 128 KB - 1 in one call (its seekAndWrite keeps the size's low 17 bits:
 * a write of 130 KB wrote 2 KB and then failed as "disk full").
 */
#define RUN_MAX (128 * 1024 - 1)

/*
 * A WAL file: the default VFS's file after it, and the bytes written to
 * it and held back (the run: one stretch of the file, from run_at).
 */
struct wal_file {
	sqlite3_file base;	/* pMethods: wal_methods */
	sqlite3_file *real;
	sqlite3_int64 run_at;	/* the run's offset in the file, or -1 */
	size_t run_len;
	int commit_next;	/* the last write was a commit frame's header */
	int batch;		/* db_sqlite_vfs_batch: up to a commit's end */
	size_t page;		/* the last page's size: a frame is held whole */
	unsigned char *buf;	/* the run: RUN_MAX bytes, from the first */
};

/* sizeof(struct wal_file), rounded up for the real file after it */
#define WAL_FILE_SIZE ((sizeof(struct wal_file) + 15) & ~(size_t)15)

static sqlite3_vfs vfs, *base_vfs;
static sqlite3_io_methods wal_methods;

static sqlite3_file *
real_of(sqlite3_file *f)
{
	return ((struct wal_file *)f)->real;
}

/* flush - the run, in one write */
static int
flush(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f;
	sqlite3_int64 at = w->run_at;

	if (at < 0)
		return SQLITE_OK;
	w->run_at = -1;
	return w->real->pMethods->xWrite(w->real, w->buf, (int)w->run_len,
	    at);
}

/*
 * hold - add what sqlite writes at off to the run, which has room for it
 * (wal_write sees to that): 0, or -1 (no memory).
 */
static int
hold(struct wal_file *w, const void *data, size_t amt, sqlite3_int64 off)
{
	if (w->buf == NULL && (w->buf = malloc(RUN_MAX)) == NULL)
		return -1;
	if (w->run_at < 0) {
		w->run_at = off;
		w->run_len = 0;
	}
	memcpy(w->buf + w->run_len, data, amt);
	w->run_len += amt;
	return 0;
}

/*
 * wal_write - sqlite writes a frame as its 24-byte header, then its page
 * right after it: two pwrite(2)s, each a system call and a pass through
 * the file system's write path, for every page of every commit.  The
 * header is held until its page comes and both go in one write.
 *
 * On a batch connection (kith serve's LMTP committer: a group's commit
 * is 100 to 300 frames) what sqlite writes in a row is held, and goes in
 * one write when the commit's last frame (its header has the database's
 * size) is there, or 128 KB is held.  Only there: a connection that
 * spills pages mid-transaction writes frames of no commit, and if it
 * then rolls back, nothing tells the file; held, they would be written
 * later, over another connection's frames.  With cache_spill off every
 * frame it writes is a commit's, and the commit writes them all.
 *
 * Nothing is reordered and nothing waits: anything else done to the file
 * (a read, a sync, its size, a truncate, its close, a write elsewhere)
 * writes what is held first, and sqlite adds a frame to the WAL's index,
 * where readers find it, only after all the commit's frames are written.
 */
static int
wal_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 off)
{
	struct wal_file *w = (struct wal_file *)f;
	const unsigned char *h = data;
	int commit = w->commit_next, rc;

	w->commit_next = 0;
	/* (a header starts a frame: written with its page, not before it) */
	if (w->run_at >= 0 && (off != w->run_at + (sqlite3_int64)w->run_len ||
	    w->run_len + (size_t)amt + (amt == FRAME_HEADER ? w->page : 0) >
	    RUN_MAX) && (rc = flush(f)) != SQLITE_OK)
		return rc;
	if (amt >= 512 && (size_t)amt <= RUN_MAX - FRAME_HEADER)
		w->page = (size_t)amt;
	if (amt <= 0 || (size_t)amt > RUN_MAX ||
	    hold(w, data, (size_t)amt, off) < 0) {
		if ((rc = flush(f)) != SQLITE_OK)
			return rc;
		return w->real->pMethods->xWrite(w->real, data, amt, off);
	}
	if (amt != FRAME_HEADER)
		return commit || !w->batch ? flush(f) : SQLITE_OK;
	/* a frame's header: bytes 4-7, the database's size after a commit,
	 * 0 in the other frames of a transaction */
	w->commit_next = (h[4] | h[5] | h[6] | h[7]) != 0;
	return SQLITE_OK;
}

static int
wal_close(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(f), rc2 = w->real->pMethods->xClose(w->real);

	free(w->buf);
	w->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
wal_read(sqlite3_file *f, void *data, int amt, sqlite3_int64 off)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xRead(real_of(f),
	    data, amt, off);
}

static int
wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc :
	    real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int
wal_sync(sqlite3_file *f, int flags)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xSync(real_of(f),
	    flags);
}

static int
wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc :
	    real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int
wal_lock(sqlite3_file *f, int level)
{
	return real_of(f)->pMethods->xLock(real_of(f), level);
}

static int
wal_unlock(sqlite3_file *f, int level)
{
	return real_of(f)->pMethods->xUnlock(real_of(f), level);
}

static int
wal_reserved(sqlite3_file *f, int *out)
{
	return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int
wal_file_control(sqlite3_file *f, int op, void *arg)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc :
	    real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int
wal_sector_size(sqlite3_file *f)
{
	return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int
wal_device(sqlite3_file *f)
{
	return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

static int
wal_shm_map(sqlite3_file *f, int pg, int pgsz, int extend,
    void volatile **out)
{
	return real_of(f)->pMethods->xShmMap(real_of(f), pg, pgsz, extend,
	    out);
}

static int
wal_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}

static void
wal_shm_barrier(sqlite3_file *f)
{
	real_of(f)->pMethods->xShmBarrier(real_of(f));
}

static int
wal_shm_unmap(sqlite3_file *f, int delete)
{
	return real_of(f)->pMethods->xShmUnmap(real_of(f), delete);
}

static int
wal_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xFetch(real_of(f),
	    off, amt, out);
}

static int
wal_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

/*
 * vfs_open - as the default VFS, but a WAL that is there is opened
 * without O_CREAT.  sqlite syncs a file's directory at the first sync of
 * a WAL it opened with O_CREAT, so that the file's creation is on disk
 * too, and asks for O_CREAT at every open, the WAL being there already or
 * not.  Kith's WAL stays between connections (no checkpoint on close), so
 * `kith receive` paid that directory sync once a message: two fsyncs a
 * post where one makes it durable.  A WAL that is not there (the first,
 * or one an sqlite3 shell removed) is made and its directory synced as
 * before.  Should the WAL go in between, the open fails and the caller is
 * told to try again (KITH_TEMP, 75).
 */
static int
vfs_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags,
    int *out)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc;

	(void)v;
	if (!(flags & SQLITE_OPEN_WAL))
		return base_vfs->xOpen(base_vfs, name, f, flags, out);
	if ((flags & SQLITE_OPEN_CREATE) && name != NULL &&
	    access(name, F_OK) == 0)
		flags &= ~SQLITE_OPEN_CREATE;
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)((char *)f + WAL_FILE_SIZE);
	w->run_at = -1;
	rc = base_vfs->xOpen(base_vfs, name, w->real, flags, out);
	if (rc != SQLITE_OK) {
		/* the default VFS's file is closed already, if it was open */
		w->base.pMethods = NULL;
		return rc;
	}
	w->base.pMethods = &wal_methods;
	return SQLITE_OK;
}

int
db_sqlite_vfs_batch(sqlite3 *h)
{
	sqlite3_file *f = NULL;

	if (sqlite3_file_control(h, "main", SQLITE_FCNTL_JOURNAL_POINTER,
	    &f) != SQLITE_OK || f == NULL || f->pMethods != &wal_methods)
		return -1;
	((struct wal_file *)f)->batch = 1;
	return 0;
}

const char *
db_sqlite_vfs(void)
{
	const sqlite3_io_methods m = {
		3, wal_close, wal_read, wal_write, wal_truncate, wal_sync,
		wal_file_size, wal_lock, wal_unlock, wal_reserved,
		wal_file_control, wal_sector_size, wal_device, wal_shm_map,
		wal_shm_lock, wal_shm_barrier, wal_shm_unmap, wal_fetch,
		wal_unfetch
	};

	if ((base_vfs = sqlite3_vfs_find(NULL)) == NULL)
		return NULL;
	wal_methods = m;
	vfs = *base_vfs;
	vfs.zName = "kith";
	vfs.szOsFile = (int)WAL_FILE_SIZE + base_vfs->szOsFile;
	vfs.xOpen = vfs_open;
	return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK ? vfs.zName : NULL;
}

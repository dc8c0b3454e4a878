/*
 * db_sqlite_vfs - sqlite's default VFS, with two changes for Kith's WAL:
 * it is opened without O_CREAT when it is there (no directory sync), and
 * each frame goes to it in one write, not two.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_sqlite_vfs.h"

#define FRAME_HEADER 24		/* a WAL frame's header, before its page */

/*
 * A WAL file: the default VFS's file after it, and the header of a frame
 * held back until its page comes.
 */
struct wal_file {
	sqlite3_file base;	/* pMethods: wal_methods */
	sqlite3_file *real;
	sqlite3_int64 held_at;	/* the held header's offset, or -1 */
	unsigned char held[FRAME_HEADER];
	unsigned char *buf;	/* a header and its page, written as one */
	size_t cap;
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

/* flush - the held header, as it would have been written */
static int
flush(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f;
	sqlite3_int64 at = w->held_at;

	if (at < 0)
		return SQLITE_OK;
	w->held_at = -1;
	return w->real->pMethods->xWrite(w->real, w->held, FRAME_HEADER, at);
}

/*
 * wal_write - sqlite writes a frame as its 24-byte header, then its page
 * right after it: two pwrite(2)s, each a system call and a pass through
 * the file system's write path, for every page of every commit (a post
 * over LMTP writes about nine).  The header is held until the page comes
 * and both go in one write.  Nothing is reordered and nothing waits:
 * anything else done to the file (a read, a sync, its size, a truncate,
 * its close) writes a held header first, and sqlite adds a frame to the
 * WAL's index only after all the commit's frames are written.
 */
static int
wal_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 off)
{
	struct wal_file *w = (struct wal_file *)f;
	size_t n;
	int rc;

	if (w->held_at >= 0 && off == w->held_at + FRAME_HEADER && amt > 0) {
		n = FRAME_HEADER + (size_t)amt;
		if (n > w->cap) {
			unsigned char *b = realloc(w->buf, n);

			if (b == NULL)
				return flush(f) == SQLITE_OK ?
				    w->real->pMethods->xWrite(w->real, data,
				    amt, off) : SQLITE_IOERR_WRITE;
			w->buf = b;
			w->cap = n;
		}
		memcpy(w->buf, w->held, FRAME_HEADER);
		memcpy(w->buf + FRAME_HEADER, data, (size_t)amt);
		off = w->held_at;
		w->held_at = -1;
		return w->real->pMethods->xWrite(w->real, w->buf, (int)n, off);
	}
	if ((rc = flush(f)) != SQLITE_OK)
		return rc;
	if (amt == FRAME_HEADER) {
		memcpy(w->held, data, FRAME_HEADER);
		w->held_at = off;
		return SQLITE_OK;
	}
	return w->real->pMethods->xWrite(w->real, data, amt, off);
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
	w->held_at = -1;
	rc = base_vfs->xOpen(base_vfs, name, w->real, flags, out);
	if (rc != SQLITE_OK) {
		/* the default VFS's file is closed already, if it was open */
		w->base.pMethods = NULL;
		return rc;
	}
	w->base.pMethods = &wal_methods;
	return SQLITE_OK;
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

/* db_sqlite_vfs - the VFS Kith's sqlite connections open their files with. */
#ifndef KITH_DB_SQLITE_VFS_H
#define KITH_DB_SQLITE_VFS_H

#include <sqlite3.h>

/*
 * db_sqlite_vfs - register it (once, before any open) and return its
 * name for sqlite3_open_v2, or NULL when sqlite has no default VFS to
 * build it on (then the default is used as it is).
 */
const char *db_sqlite_vfs(void);

/*
 * db_sqlite_vfs_batch - a connection that never spills pages into the WAL
 * in the middle of a transaction (PRAGMA cache_spill=OFF) may have its
 * commit's frames written in one write: 0, or -1 when its WAL is not open
 * or not this VFS's (then each frame is still one write).
 */
int db_sqlite_vfs_batch(sqlite3 *h);

#endif

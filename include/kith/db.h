/*
 * db - the one sqlite database: open, migrate forward, transactions and
 * prepared-statement helpers.
 *
 * Every write goes through db_begin() (BEGIN IMMEDIATE, API-NOTES 3.4) so
 * that lock waits happen at BEGIN, where busy_timeout applies.  SQLite
 * codes stop here: callers see kith_status (KITH_TEMP for busy, locked,
 * full disk or I/O errors; KITH_PERM for everything else).
 * A connection belongs to one process: never carry it across fork().
 */
#ifndef KITH_DB_H
#define KITH_DB_H

#include <stdint.h>
#include <sqlite3.h>

#define DB_SCHEMA_VERSION 14

enum db_durability { DB_DURABLE, DB_FAST };

/*
 * db_open - open (creating if asked) and migrate the database at path.
 * DB_DURABLE keeps synchronous=FULL (what inbound needs before it tells
 * the MTA 0); DB_FAST uses NORMAL, which survives kill -9 but may lose the
 * last commits on power loss (fine for delivery marks: worst case a
 * duplicate).  Returns KITH_OK, KITH_TEMP or KITH_PERM with a line in err.
 */
int db_open(const char *path, int create, int busy_ms,
    enum db_durability durability, sqlite3 **out, char *err, size_t errlen);
void db_close(sqlite3 *db);

int db_begin(sqlite3 *db);
int db_commit(sqlite3 *db);
void db_rollback(sqlite3 *db);

/* Map an SQLite result code to KITH_OK / KITH_TEMP / KITH_PERM. */
int db_status(int rc);

/*
 * db_prepare - prepare sql; NULL on error (logged).  Caller finalizes.
 * db_bind - bind by a type string: 't' text (const char *), 'i' int64,
 * 'I' int, 'b' blob (const void *, int len), 'n' null.
 */
sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql);
int db_bind(sqlite3_stmt *st, const char *types, ...);
/* Prepare, bind, step to completion; returns kith_status. */
int db_exec(sqlite3 *db, const char *sql, const char *types, ...);
/* Run a query returning one integer; def when no row. KITH_* in *status
 * (status may be NULL). */
int64_t db_int(sqlite3 *db, int64_t def, int *status, const char *sql,
    const char *types, ...);
/* Column text copied (caller frees); "" for NULL. */
char *db_col_text(sqlite3_stmt *st, int col);

#endif

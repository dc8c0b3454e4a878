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

#define DB_SCHEMA_VERSION 16

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
/* db_migrate_to - apply the migrations up to version target only (tests
 * build the schema an older Kith left); db_open applies them all. */
int db_migrate_to(sqlite3 *db, int target, char *err, size_t errlen);

int db_begin(sqlite3 *db);
int db_commit(sqlite3 *db);
void db_rollback(sqlite3 *db);

/* What a busy or full database is called, wherever a person reads it. */
#define DB_BUSY_TEXT "database busy; try again"

/*
 * db_tx - the one way to run a write transaction: BEGIN IMMEDIATE,
 * fn(db, ctx, err, errlen), COMMIT when fn returns KITH_OK, ROLLBACK
 * otherwise.  Returns fn's status (fn words its own refusals in err; a
 * failure fn left unworded gets DB_BUSY_TEXT for KITH_TEMP), or KITH_TEMP
 * with DB_BUSY_TEXT in err when the database was busy at the begin or
 * the commit.  err may be NULL (errlen 0).
 */
typedef int (*db_tx_fn)(sqlite3 *db, void *ctx, char *err, size_t errlen);
int db_tx(sqlite3 *db, db_tx_fn fn, void *ctx, char *err, size_t errlen);

/*
 * struct db_ids - ids read from the database, as many as there are.
 * db_ids_select appends column 0 of every row of sql (bound by types,
 * as db_bind) to ids; KITH_OK, or KITH_TEMP when the query failed
 * (logged; what was read stays).  Release with db_ids_release.
 */
struct db_ids {
	int64_t *v;
	size_t n, cap;
};
int db_ids_select(sqlite3 *db, struct db_ids *ids, const char *sql,
    const char *types, ...);
void db_ids_release(struct db_ids *ids);

/*
 * db_group_begin - one transaction (BEGIN IMMEDIATE) around the work of
 * many callers, for a group commit: until db_group_commit or
 * db_group_rollback, db_begin, db_commit and db_rollback on db in this
 * thread open, release and undo savepoints inside it, so each caller's
 * work still stands or falls alone, and db_begin answers KITH_TEMP once
 * an error (full disk, I/O) has ended the group.  Nothing done inside is
 * durable before db_group_commit returns KITH_OK.
 */
int db_group_begin(sqlite3 *db);
int db_group_commit(sqlite3 *db);
void db_group_rollback(sqlite3 *db);

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

/*
 * db_cached - sql prepared once per connection and kept (up to 64
 * statements a connection, the least recently used go; 8 connections,
 * more go uncached), for what runs on every page of kith serve; NULL on
 * error (logged).  Safe with one connection a thread: no thread touches
 * another connection's statements.  Give it back with
 * db_cached_done (reset, bindings cleared) and never finalize it; a
 * statement still out when the same sql is asked for again (a nested
 * loop) comes as a fresh one that db_cached_done finalizes.  db_close
 * finalizes a connection's statements.  sql is compared by its text.
 */
sqlite3_stmt *db_cached(sqlite3 *db, const char *sql);
void db_cached_done(sqlite3_stmt *st);

#endif

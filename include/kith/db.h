/*
 * db - the storage layer: the one database behind Kith.  Open, migrate
 * forward, transactions, prepared statements with bound parameters,
 * rows, ids (an INSERT's with RETURNING id, db_exec_id).
 *
 * This header is the seam: modules see `struct db` (a connection) and
 * `struct db_stmt` (a prepared statement) and nothing of the database
 * that implements them.  Only the storage layer's own files (db.c, and
 * the search tokenizer fts.c) name sqlite; no module does.
 *
 * Every write goes through db_begin() (BEGIN IMMEDIATE, API-NOTES 3.4) so
 * that lock waits happen at BEGIN, where busy_timeout applies.  Database
 * codes stop here: callers see kith_status (KITH_TEMP for busy, locked,
 * full disk or I/O errors; KITH_PERM for everything else).
 * A connection belongs to one process: never carry it across fork().
 */
#ifndef KITH_DB_H
#define KITH_DB_H

#include <stddef.h>
#include <stdint.h>

struct db;		/* one connection */
struct db_stmt;		/* one prepared statement on a connection */

/*
 * What db_step and the other calls that answer a code answer: DB_ROW (a
 * row is ready), DB_DONE (no more rows), DB_OK, or an error code that
 * db_status() maps to KITH_TEMP or KITH_PERM and db_errmsg() words.
 * The numbers are sqlite's primary codes; other backends map theirs
 * onto them (a serialization failure is DB_BUSY, a full disk DB_FULL).
 */
#define DB_OK		0
#define DB_ERROR	1	/* permanent */
#define DB_BUSY		5	/* another writer: try again */
#define DB_LOCKED	6
#define DB_NOMEM	7
#define DB_IOERR	10
#define DB_FULL		13
#define DB_CANTOPEN	14
#define DB_PROTOCOL	15
#define DB_CONSTRAINT	19	/* a unique or foreign key refused it */
#define DB_MISUSE	21
#define DB_ROW		100
#define DB_DONE		101

/* db_col_type's answers */
#define DB_INTEGER	1
#define DB_FLOAT	2
#define DB_TEXT		3
#define DB_BLOB		4
#define DB_NULL		5

#define DB_SCHEMA_VERSION 23

enum db_durability { DB_DURABLE, DB_FAST };

/*
 * db_open - open (creating if asked) and migrate the database at path.
 * DB_DURABLE keeps synchronous=FULL (what inbound needs before it tells
 * the MTA 0); DB_FAST uses NORMAL, which survives kill -9 but may lose the
 * last commits on power loss (fine for delivery marks: worst case a
 * duplicate).  Returns KITH_OK, KITH_TEMP or KITH_PERM with a line in err.
 */
int db_open(const char *path, int create, int busy_ms,
    enum db_durability durability, struct db **out, char *err, size_t errlen);
void db_close(struct db *db);

/*
 * db_keep_wal - for a connection that stays open and commits all day
 * (kith serve's pages): its checkpoints copy the WAL into the database
 * and leave the file to be written over again (PASSIVE), where the
 * other connections' empty it (TRUNCATE).  Emptied, the WAL grew again
 * from nothing at every checkpoint, and ext4 allocating its blocks anew
 * and fdatasync writing its size each commit were a fifth of the CPU of
 * a one-click leave.  The WAL is still emptied when an erasure asked for
 * it (db_scrub_later), and cut back to 16 MB after a burst.  busy_ms:
 * db_open's, restored after each checkpoint (which never waits).
 */
void db_keep_wal(struct db *db, int busy_ms);

/*
 * db_reserve_cache - for a process that stays up (kith serve), before its
 * first db_open: the backend of location reserves the memory of its page
 * cache now, instead of a page at a time as the cache fills (sqlite: one
 * connection's cache, about 35 MB resident from the start; PostgreSQL:
 * nothing).  Too late once the backend is in use: then nothing happens.
 */
void db_reserve_cache(const char *location);

/*
 * db_scrub_later - an erasure could not empty the WAL (a reader held
 * it): the next checkpoint of any connection does, db_keep_wal's too
 * (a file beside the database, DB-scrub, says so until then).
 */
void db_scrub_later(struct db *db);
/* db_migrate_to - apply the migrations up to version target only (tests
 * build the schema an older Kith left); db_open applies them all.
 * db_open_at_version - db_open (creating, DB_FAST) up to target only. */
int db_migrate_to(struct db *db, int target, char *err, size_t errlen);
int db_open_at_version(const char *path, int target, struct db **out,
    char *err, size_t errlen);

int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

/*
 * The delivery queue's claim (outbox_claim) is the one write whose SQL
 * and locking are each database's own, so that any number of workers on
 * any number of hosts claim side by side and never take the same row.
 * db_claim_begin - the claim's write transaction (commit or roll back
 * as any).  sqlite: db_begin, one writer at a time.  PostgreSQL: BEGIN
 * without the writers' lock, the rows taken one by one (FOR UPDATE SKIP
 * LOCKED); claimant, the worker's name on the rows it claims ("" for
 * none), is held for this connection's session (an advisory lock the
 * server drops when the session ends, a host killed too); the rows of
 * every other claimant whose session is gone are released at once
 * instead of when their lease ends by db_claim_release_dead.
 * kith_status.  A worker records its results in the same kind of
 * transaction when they change nothing but the rows it holds.
 * db_claim_prepare - step `step` of the claim, prepared (db_finalize
 * it): 0 rows of stopped runs (lease over, or released), 1 due retries,
 * 2 new rows.  Parameters ?1 now, ?2 lease seconds, ?3 how many rows at
 * most, ?4 the claimant; each row claimed comes back as id, message_id,
 * rcpt, attempts, member_id (0 for none).  NULL past the last step
 * (*end set to 1) or on error (logged, *end 0).
 */
int db_claim_begin(struct db *db, const char *claimant);
/*
 * db_claim_release_dead - inside the claim's transaction, once this
 * host's delivery journals were read: the rows other claimants left
 * when their sessions ended are released now, not when their leases
 * end (where the backend can tell: PostgreSQL); KITH_OK, or the claim's
 * transaction is rolled back and KITH_TEMP/KITH_PERM.
 */
int db_claim_release_dead(struct db *db, const char *claimant);
struct db_stmt *db_claim_prepare(struct db *db, int step, int *end);

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
typedef int (*db_tx_fn)(struct db *db, void *ctx, char *err, size_t errlen);
int db_tx(struct db *db, db_tx_fn fn, void *ctx, char *err, size_t errlen);

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
int db_ids_select(struct db *db, struct db_ids *ids, const char *sql,
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
int db_group_begin(struct db *db);
int db_group_commit(struct db *db);
void db_group_rollback(struct db *db);

/*
 * db_group_defer - the group db_group_begin opens next is one of many
 * under load: the work a post's storing can leave for later waits,
 * queued in rows of its own (the words of the archive's index on
 * sqlite; the copies to the members, outbox.h), until post_catch_up does
 * it for many posts at once.  Until db_group_commit or
 * db_group_rollback; db_deferring says so meanwhile.
 */
void db_group_defer(struct db *db);
int db_deferring(const struct db *db);

/*
 * db_memo_get, db_memo_put - a value read inside a group (db_group_begin)
 * on db, kept until the group ends: what the handlers of many messages
 * read again and again (a list's settings).  Outside a group nothing is
 * kept and get answers NULL.  A caller that changes what it keeps calls
 * db_memo_forget.
 */
const char *db_memo_get(struct db *db, const char *key);
void db_memo_put(struct db *db, const char *key, const char *value);
void db_memo_forget(struct db *db);

/*
 * db_index_queued - index the archived posts a deferring group left
 * queued (sqlite's FTS5 index; PostgreSQL's indexes take each post as it
 * is stored: nothing waits), in the caller's transaction.
 */
int db_index_queued(struct db *db);

/* Map a DB_* code (db_step's) to KITH_OK / KITH_TEMP / KITH_PERM. */
int db_status(int rc);
/* The last error on db, in the database's words (for the log). */
const char *db_errmsg(struct db *db);
/*
 * 1 when a statement or a commit on db found the disk full since the
 * last call (which forgets it): an MTA is told "mail system full".
 */
int db_take_full(struct db *db);
/* Rows changed by the last INSERT, UPDATE or DELETE on db. */
int64_t db_changes(struct db *db);
/* 1 while db is inside a transaction (an I/O error may end one). */
int db_in_tx(struct db *db);

/*
 * db_script - run sql, one or more statements separated by ';' with no
 * parameters (tests' fixtures, COMMIT); kith_status, the error logged.
 */
int db_script(struct db *db, const char *sql);

/*
 * db_read_begin, db_read_end - one read transaction: every query between
 * them sees the same snapshot while others write (reports, backups).
 */
int db_read_begin(struct db *db);
void db_read_end(struct db *db);

/* db_schema_version - the version of db's schema (migrations applied),
 * or -1.  db_file_schema_version: of the database file at path, opened
 * read-only (a backup being checked), or -1 if it cannot be read. */
int db_schema_version(struct db *db);
int db_file_schema_version(const char *path);

/*
 * db_file_integrity - whether the database file at path is whole: every
 * page, record and index entry well-formed (sqlite's quick_check).  1
 * ok; 0 damaged, the first problem in problem; -1 it cannot be read.
 * kith check asks it of the site's file, kith backup of its copy, kith
 * restore of the backup's.
 */
int db_file_integrity(const char *path, char *problem, size_t len);

/*
 * db_copy_to - copy db, as of one snapshot taken while others write,
 * into a new single database file at dst (a backup), pages at a time
 * with pause_ms between steps (0: defaults).  Inside the snapshot,
 * before the copy, in_snapshot(db, ctx) runs (counts that must match
 * the copy), if not NULL.  kith_status, a line in err.
 */
int db_copy_to(struct db *db, const char *dst, int pages, int pause_ms,
    void (*in_snapshot)(struct db *, void *), void *ctx, char *err,
    size_t errlen);

/*
 * Copying a site from one database to another (kith migrate).
 * db_backend_name - "sqlite" or "postgresql": the backend of db.
 * db_copy_table - every row of table on from, inserted into the same
 * table on to: the columns by name (to may have more, filled by their
 * defaults), the values as they are, ids included; the columns named
 * in blobs (comma-separated, "" for none) as bytes, whatever from holds
 * them as; a NUL in a text value is refused, never cut short.  Run it
 * inside the caller's transactions (a read on from, a write on to):
 * rows go in many to an INSERT, and a failure leaves some in, for the
 * caller to roll back.  *rows: the rows inserted.  kith_status, with a line in err naming
 * the table, the row's id and what the target said.
 * db_id_high - the largest id table has given (sqlite's AUTOINCREMENT
 * remembers ids whose rows are gone), 0 for none, -1 on error.
 * db_id_follow - the next id that to gives table, when an INSERT names
 * none, is past high (PostgreSQL moves the identity's sequence; sqlite
 * does so by itself).  table: [a-z0-9_] only.  kith_status.
 */
const char *db_backend_name(struct db *db);
int db_copy_table(struct db *from, struct db *to, const char *table,
    const char *blobs, int64_t *rows, char *err, size_t errlen);
int64_t db_id_high(struct db *db, const char *table);
int db_id_follow(struct db *db, const char *table, int64_t high);

/*
 * Checkpoints (the write-ahead log copied into the database): db_checkpoint
 * - one, now, without waiting for anyone (a cron between runs);
 * db_checkpoint_hook - fn(ctx, pages) after each commit of db, with the
 * pages the log holds (kith serve's committer hands checkpoints to its
 * own thread); db_checkpoint_step - one checkpoint on db, the database
 * synced after it (done_to: the log's pages now in the database, counted
 * from its start): the pages it saw left to copy, 0 when none.  Backends
 * without such a log do nothing.
 */
void db_checkpoint(struct db *db);
/*
 * Erasure (an address forgotten, a post removed): db_secure_delete -
 * deleted bytes are overwritten (on) or merely unlinked, answering the
 * setting before; db_scrub - what was deleted leaves the search indexes
 * and the write-ahead log now: 1 done, 0 when a reader held the log (the
 * next checkpoint of any connection does it, db_scrub_later), -1 error;
 * db_purge_index - only the search indexes: 0, or -1.
 */
int db_secure_delete(struct db *db, int on);
int db_scrub(struct db *db);
int db_purge_index(struct db *db);
void db_checkpoint_hook(struct db *db, void (*fn)(void *ctx, int pages),
    void *ctx);
int db_checkpoint_step(struct db *db, int *done_to);
/*
 * db_sync_later - db's commits no longer wait for the disk: an fd whose
 * fdatasync makes every commit before it durable (sqlite's WAL), which
 * the caller must call before it answers anyone (walsync), and closes;
 * -1 when the commits stay durable by themselves (PostgreSQL, or the WAL
 * could not be opened).
 */
int db_sync_later(struct db *db);

/*
 * db_search_posts - the archive's search, which each backend does its
 * own way (sqlite: FTS5 with the "kith" tokenizer, fts.h; PostgreSQL:
 * a tsvector GIN index for words, pg_trgm for Chinese, Japanese and
 * Korean, db_pg_search.c).  match is Kith's query form, as
 * archive_search_parse writes it: quoted terms ("word", "two words",
 * '""' a quote inside), "subject : " before a term of the subject
 * alone, '*' after a prefix, joined as "T AND T ..." or "(T AND T ...)
 * NOT (T OR T ...)"; NULL for no words (the newest posts first).  Only
 * the archived posts of list_id match, received in [after, before)
 * (0: no bound), from: a LIKE pattern ('\' escapes) on the sender's
 * name or address (names_only: its local part with the '@').  The
 * best first (ties: the newest), limit from offset; fn(hit, ctx) for
 * each (borrowed for the call; non-zero stops).  kith_status.
 */
struct db_search {
	const char *match;
	int64_t list_id;
	int64_t after, before;
	const char *from;
	int names_only;
	int64_t limit, offset;
};
struct db_search_hit {
	int64_t id;		/* the post */
	/* the subject and some words of the body, the terms found between
	 * \x01 and \x02; NULL without words */
	const char *subject_marked, *snippet;
};
int db_search_posts(struct db *db, const struct db_search *q,
    int (*fn)(const struct db_search_hit *hit, void *ctx), void *ctx);

/*
 * db_prepare - prepare sql (parameters written ?1 or ?); NULL on error
 * (logged).  Caller finalizes with db_finalize.
 * db_bind - bind by a type string: 't' text (const char *), 'i' int64,
 * 'I' int, 'b' blob (const void *, int len), 'n' null; the values are
 * copied.  Returns kith_status.
 */
struct db_stmt *db_prepare(struct db *db, const char *sql);
int db_bind(struct db_stmt *st, const char *types, ...);

/*
 * One parameter at a time (idx from 1), DB_OK or an error code.  Text
 * and blobs are not copied: they must stay as they are until the
 * statement is stepped to its end, reset or finalized.  n < 0 for text:
 * up to its NUL.
 */
int db_bind_text(struct db_stmt *st, int idx, const char *s, int n);
int db_bind_blob(struct db_stmt *st, int idx, const void *p, int n);
int db_bind_int64(struct db_stmt *st, int idx, int64_t v);
int db_bind_int(struct db_stmt *st, int idx, int v);
int db_bind_null(struct db_stmt *st, int idx);

/* db_step - the next row: DB_ROW, DB_DONE or an error code. */
int db_step(struct db_stmt *st);
/* db_reset - back to before the first row, bindings kept. */
int db_reset(struct db_stmt *st);
void db_clear_bindings(struct db_stmt *st);
void db_finalize(struct db_stmt *st);

/*
 * The columns of the current row (col from 0).  db_col_str's text is
 * the statement's until the next step, reset or finalize; NULL for a
 * NULL.  db_col_blob likewise, with db_col_bytes its length.
 */
int64_t db_col_int64(struct db_stmt *st, int col);
int db_col_int(struct db_stmt *st, int col);
double db_col_double(struct db_stmt *st, int col);
const char *db_col_str(struct db_stmt *st, int col);
const void *db_col_blob(struct db_stmt *st, int col);
int db_col_bytes(struct db_stmt *st, int col);
int db_col_type(struct db_stmt *st, int col);
int db_col_count(struct db_stmt *st);
const char *db_col_name(struct db_stmt *st, int col);
/* Prepare, bind, step to completion; returns kith_status. */
int db_exec(struct db *db, const char *sql, const char *types, ...);
/*
 * db_exec_id - db_exec for an INSERT that asks for its row's id: sql
 * ends "RETURNING id" (written in the SQL, sqlite >= 3.35 and PostgreSQL
 * both take it), and *id is the id of the row inserted, left as it was
 * when none was (ON CONFLICT DO NOTHING).  Only the statements whose id
 * is wanted ask for it: an INSERT ... SELECT of a fan-out brings no ids
 * back.  Returns kith_status, the error logged.
 */
int db_exec_id(struct db *db, int64_t *id, const char *sql,
    const char *types, ...);
/* Run a query returning one integer; def when no row. KITH_* in *status
 * (status may be NULL). */
int64_t db_int(struct db *db, int64_t def, int *status, const char *sql,
    const char *types, ...);
/* Column text copied (caller frees); "" for NULL. */
char *db_col_text(struct db_stmt *st, int col);

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
struct db_stmt *db_cached(struct db *db, const char *sql);
void db_cached_done(struct db_stmt *st);

#endif

/*
 * db_backend - what a storage backend gives the storage layer's front
 * (db.c): one table of operations, and the first member of its
 * connections and statements.  Only db.c and the backends (db_sqlite.c,
 * db_pg.c) include this; modules see include/kith/db.h only.
 *
 * The front keeps what is the same everywhere: the statement cache, the
 * transaction helper, group commits as savepoints, binding by a type
 * string, ids.  A backend keeps what differs: the connection, its SQL
 * dialect's few statements (BEGIN of a write), locking, search indexes,
 * checkpoints, copies.  Return codes are db.h's DB_* codes.
 */
#ifndef KITH_DB_BACKEND_H
#define KITH_DB_BACKEND_H

#include "kith/db.h"

#define DB_CACHED_MAX 64

/* a statement kept by db_cached (the connection's, no lock: one thread
 * uses a connection at a time) */
struct db_cached_stmt {
	char *sql;
	/* str_hash(sql), compared first: many statements share a long
	 * prefix ("SELECT id, list_id, address, ..."), so most misses end
	 * there instead of in a strcmp of each kept one */
	unsigned long hash;
	struct db_stmt *st;
	int out;		/* given out, not yet done */
	unsigned long used;	/* for least recently used */
};

/* The first member of every backend's connection. */
#define DB_HASHES 64		/* a power of two */

/* A value read in a group, kept until it ends (db_memo_*). */
#define DB_MEMO_MAX 48
struct db_memo {
	char *key, *value;
};

struct db {
	const struct db_ops *ops;
	int full;		/* a step or commit found the disk full */
	int defer;		/* the group open defers (db_group_defer) */
	struct db_memo memo[DB_MEMO_MAX];
	int nmemo;
	/* str_hash of the SQL texts db_cached saw last, by their address:
	 * callers pass the same literal each time, and hashing it was 3% of
	 * LMTP's committer.  A text changed at the same address only misses
	 * (db_cached compares the texts themselves before it uses one). */
	struct {
		const char *sql;
		unsigned long hash;
	} hashes[DB_HASHES];
	unsigned long clock;
	struct db_cached_stmt c[DB_CACHED_MAX];
};

/* The first member of every backend's statement. */
struct db_stmt {
	struct db *db;
	int kept;		/* one of db->c: db_cached_done keeps it */
};

struct db_ops {
	const char *name;
	/* 1 when location (config_db_path's answer) is this backend's */
	int (*claims)(const char *location);
	int (*open)(const char *location, int create, int busy_ms,
	    enum db_durability durability, int target, struct db **out,
	    char *err, size_t errlen);
	void (*close)(struct db *db);
	int (*migrate_to)(struct db *db, int target, char *err,
	    size_t errlen);
	int (*schema_version)(struct db *db);

	struct db_stmt *(*prepare)(struct db *db, const char *sql);
	void (*finalize)(struct db_stmt *st);
	/* copy: the value is copied (else it outlives the statement's use) */
	int (*bind_text)(struct db_stmt *st, int idx, const char *s, int n,
	    int copy);
	int (*bind_blob)(struct db_stmt *st, int idx, const void *p, int n,
	    int copy);
	int (*bind_int64)(struct db_stmt *st, int idx, int64_t v);
	int (*bind_null)(struct db_stmt *st, int idx);
	int (*step)(struct db_stmt *st);
	int (*reset)(struct db_stmt *st);
	void (*clear_bindings)(struct db_stmt *st);
	int64_t (*col_int64)(struct db_stmt *st, int col);
	double (*col_double)(struct db_stmt *st, int col);
	const char *(*col_str)(struct db_stmt *st, int col);
	const void *(*col_blob)(struct db_stmt *st, int col);
	int (*col_bytes)(struct db_stmt *st, int col);
	int (*col_type)(struct db_stmt *st, int col);
	int (*col_count)(struct db_stmt *st);
	const char *(*col_name)(struct db_stmt *st, int col);

	const char *(*errmsg)(struct db *db);
	int64_t (*changes)(struct db *db);
	int (*in_tx)(struct db *db);
	/* statements without parameters, ';'-separated: a DB_* code */
	int (*script)(struct db *db, const char *sql);
	/* BEGIN of a write transaction: writers one at a time */
	int (*begin_write)(struct db *db);
	int (*read_begin)(struct db *db);
	/* a group commit's first and last words (db_group_begin/commit):
	 * kith_status */
	int (*group_open)(struct db *db);
	int (*group_close)(struct db *db);	/* db->defer: leave them queued */

	/* the queue's claim (db_claim_begin, db_claim_prepare): its steps
	 * statements, NULL-terminated; its BEGIN (NULL: begin_write) */
	const char *const *claim_sql;
	int (*claim_begin)(struct db *db, const char *claimant);
	int (*claim_release_dead)(struct db *db, const char *claimant);

	/* the archive's search (db.h's db_search_posts) */
	int (*search_posts)(struct db *db, const struct db_search *q,
	    int (*fn)(const struct db_search_hit *, void *), void *ctx);

	/* optional (NULL: nothing to do, or "not on this backend") */
	void (*keep_wal)(struct db *db, int busy_ms);
	void (*scrub_later)(struct db *db);
	void (*checkpoint)(struct db *db);
	void (*checkpoint_hook)(struct db *db, void (*fn)(void *, int),
	    void *ctx);
	void (*reserve_cache)(void);
	int (*checkpoint_step)(struct db *db, int *done_to);
	int (*sync_later)(struct db *db);
	int (*secure_delete)(struct db *db, int on);
	int (*scrub)(struct db *db);
	int (*purge_index)(struct db *db);
	int (*copy_to)(struct db *db, const char *dst, int pages,
	    int pause_ms, void (*in_snapshot)(struct db *, void *),
	    void *ctx, char *err, size_t errlen);
	int (*file_schema_version)(const char *path);
	int (*file_integrity)(const char *path, char *problem, size_t len);
	/* a site copied in (db_id_high, db_id_follow): NULL for
	 * max(id), and for "ids follow the largest by themselves" */
	int64_t (*id_high)(struct db *db, const char *table);
	int (*id_follow)(struct db *db, const char *table, int64_t high);
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

#endif

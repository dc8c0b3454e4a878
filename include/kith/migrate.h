/*
 * migrate - a live site's database copied to PostgreSQL (kith migrate
 * sqlite-to-postgresql; issue 19).
 *
 * Every table of the sqlite database is copied, rows as they are (ids
 * included, message bytes byte for byte), into an empty PostgreSQL
 * database whose schema is made at the same version, in one PostgreSQL
 * transaction: all of it or nothing.  The sqlite side is read under its
 * writers' lock, one snapshot, so that nothing written during the copy
 * is lost: writers wait, and `kith receive` tells the MTA to try again
 * (75) when the wait is over, while the mail stays in the MTA's queue.
 * The counts of every table are compared inside the transaction (a
 * difference undoes it) and again after the commit.  Nothing here
 * rewrites kith.conf: the caller tells the admin what to put there.
 */
#ifndef KITH_MIGRATE_H
#define KITH_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

struct db;

/*
 * One table as the copy sees it, in the order it is copied: a table
 * after those its foreign keys name, and after those whose triggers
 * fill it (member_log after members, threads and archive_months after
 * posts: what the triggers made is replaced by the site's own rows).
 * blobs: its BLOB/BYTEA columns, comma-separated; has_id: a column id
 * (an identity on PostgreSQL for most: its sequence is moved past).
 */
struct migrate_table {
	const char *name;
	const char *blobs;
	int has_id;
};

/* The tables of schema DB_SCHEMA_VERSION (sqlite's own search index,
 * posts_fts and its queue, aside: PostgreSQL's GIN index is filled by
 * the inserts themselves). */
const struct migrate_table *migrate_tables(size_t *n);

#define MIGRATE_MAX_TABLES 64

struct migrate_count {
	const char *table;
	int64_t from;		/* rows in the sqlite snapshot */
	int64_t to;		/* rows in PostgreSQL after the commit */
};

/* Why migrate_sqlite_to_pg refused or failed (with KITH_PERM). */
enum migrate_refusal {
	MIGRATE_OK,
	MIGRATE_NOT_SQLITE,	/* the site is not on sqlite */
	MIGRATE_NOT_EMPTY,	/* the target holds Kith data already */
	MIGRATE_VERSION,	/* the schema versions differ */
	MIGRATE_ROW,		/* a row the target refused */
	MIGRATE_COUNTS		/* the counts differ */
};

struct migrate_result {
	int schema;			/* both sides' schema version */
	size_t ntables;
	struct migrate_count counts[MIGRATE_MAX_TABLES];
	int64_t rows;			/* rows copied, all tables */
	enum migrate_refusal refusal;
	const char *differ;		/* a table whose counts differ */
	int committed;			/* the copy is in PostgreSQL */
};

/*
 * migrate_sqlite_to_pg - copy the site's database src (sqlite) into the
 * PostgreSQL database at location ("postgresql:" and a DSN), making its
 * schema there if there is none.  busy_ms: how long to wait for either
 * side's writers.  KITH_OK with every table's counts in r; KITH_TEMP
 * (the server unreachable, a side busy: nothing kept, try again), or
 * KITH_PERM with r->refusal, and a line in err for both.
 */
int migrate_sqlite_to_pg(struct db *src, const char *location, int busy_ms,
    struct migrate_result *r, char *err, size_t errlen);

#endif

/*
 * migrate - a live site's database copied to PostgreSQL; see
 * include/kith/migrate.h.
 *
 * Everything goes through the storage API (kith/db.h), one connection
 * on each side: the rows by db_copy_table, the sequences by
 * db_id_high/db_id_follow.  The tables' names come from the list below
 * only, never from input.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/db.h"
#include "kith/log.h"
#include "kith/migrate.h"
#include "kith/util.h"

/* in the order of db_pg_schema.c, which makes each table after those
 * it names; tests/unit/test_migrate.c holds it to sqlite's schema */
static const struct migrate_table tables[] = {
	{ "lists", "", 1 },
	{ "list_settings", "", 0 },
	{ "members", "", 1 },
	{ "posts", "raw", 1 },
	{ "outbox_messages", "data", 1 },
	{ "outbox", "", 1 },
	{ "outbox_fanout", "", 0 },
	{ "quarantine", "raw", 1 },
	{ "bounces_in", "raw", 1 },
	{ "pending", "", 1 },
	{ "confirm_log", "", 0 },
	{ "held", "raw", 1 },
	{ "held_log", "", 1 },
	{ "bans", "", 1 },
	{ "notice_log", "", 0 },
	{ "member_events", "", 1 },
	{ "digests", "", 1 },
	{ "digest_state", "", 0 },
	{ "campaigns", "", 1 },
	{ "member_tags", "", 0 },
	{ "throttle", "", 0 },
	{ "bounces", "", 1 },
	{ "events", "", 1 },
	{ "event_exdates", "", 0 },
	{ "event_invites", "", 0 },
	{ "rsvps", "", 1 },
	{ "event_sent", "", 0 },
	{ "polls", "", 1 },
	{ "poll_votes", "", 1 },
	{ "poll_log", "", 0 },
	{ "onboarding_steps", "", 1 },
	{ "onboarding", "", 0 },
	{ "member_log", "", 0 },	/* after members: its trigger's */
	{ "forgotten", "", 0 },
	{ "posts_removed", "", 1 },
	{ "threads", "", 1 },		/* after posts: their trigger's */
	{ "archive_months", "", 0 },	/* likewise */
	{ "dns_cache", "data", 0 },
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

const struct migrate_table *
migrate_tables(size_t *n)
{
	*n = NTABLES;
	return tables;
}

/* count_rows - the rows of t on db, or -1 (*st says why) */
static int64_t
count_rows(struct db *db, const struct migrate_table *t, int *st)
{
	char *sql = xasprintf("SELECT count(*) FROM %s", t->name);
	int64_t n = db_int(db, -1, st, sql, "");

	free(sql);
	return *st == KITH_OK ? n : -1;
}

/*
 * refuse - r->refusal and the line in err; KITH_PERM.
 */
static int
refuse(struct migrate_result *r, enum migrate_refusal why, char *err,
    size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
refuse(struct migrate_result *r, enum migrate_refusal why, char *err,
    size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	r->refusal = why;
	return KITH_PERM;
}

/*
 * counted - every table's rows on the site (r->counts[].from), and 0
 * when the target holds none of them: a database with Kith data is
 * never written into (a second run, or the wrong DSN).
 */
static int
counted(struct db *src, struct db *dst, struct migrate_result *r, char *err,
    size_t errlen)
{
	int st;

	for (size_t i = 0; i < NTABLES; i++) {
		const struct migrate_table *t = &tables[i];
		int64_t there;

		r->counts[i].table = t->name;
		if ((r->counts[i].from = count_rows(src, t, &st)) < 0) {
			snprintf(err, errlen, "sqlite: cannot count %s: %s",
			    t->name, db_errmsg(src));
			return st;
		}
		if ((there = count_rows(dst, t, &st)) < 0) {
			snprintf(err, errlen, "PostgreSQL: cannot count %s: %s",
			    t->name, db_errmsg(dst));
			return st;
		}
		if (there > 0)
			return refuse(r, MIGRATE_NOT_EMPTY, err, errlen,
			    "the PostgreSQL database holds Kith data already "
			    "(%lld row%s in %s); migrate into an empty one",
			    (long long)there, there == 1 ? "" : "s", t->name);
	}
	r->ntables = NTABLES;
	return KITH_OK;
}

/*
 * copy_one - table t into dst: first what dst's triggers made of the
 * tables before it (member_log's joins, threads, months) goes, then
 * the site's rows come, then the count is checked and the identity's
 * sequence moved past the site's largest id.
 */
static int
copy_one(struct db *src, struct db *dst, size_t i, struct migrate_result *r,
    char *err, size_t errlen)
{
	const struct migrate_table *t = &tables[i];
	char *sql = xasprintf("DELETE FROM %s", t->name);
	int64_t rows, there, high;
	int st;

	st = db_exec(dst, sql, "");
	free(sql);
	if (st != KITH_OK) {
		snprintf(err, errlen, "PostgreSQL: %s: %s", t->name,
		    db_errmsg(dst));
		return st;
	}
	if ((st = db_copy_table(src, dst, t->name, t->blobs, &rows, err,
	    errlen)) != KITH_OK) {
		if (st == KITH_PERM)
			r->refusal = MIGRATE_ROW;
		return st;
	}
	r->rows += rows;
	if ((there = count_rows(dst, t, &st)) < 0) {
		snprintf(err, errlen, "PostgreSQL: cannot count %s: %s",
		    t->name, db_errmsg(dst));
		return st;
	}
	r->counts[i].to = there;
	if (there != r->counts[i].from || rows != there) {
		r->differ = t->name;
		return refuse(r, MIGRATE_COUNTS, err, errlen, "%s: %lld rows "
		    "on sqlite, %lld in PostgreSQL after the copy; nothing "
		    "was kept", t->name, (long long)r->counts[i].from,
		    (long long)there);
	}
	if (!t->has_id)
		return KITH_OK;
	if ((high = db_id_high(src, t->name)) < 0 ||
	    (st = db_id_follow(dst, t->name, high)) != KITH_OK) {
		snprintf(err, errlen, "%s: cannot move the ids on: %s",
		    t->name, db_errmsg(high < 0 ? src : dst));
		return high < 0 ? KITH_TEMP : st;
	}
	return KITH_OK;
}

/*
 * copy_all - the copy, in one transaction on each side: the site's is
 * its writers' lock (nothing written meanwhile is lost: it waits, or
 * is tried again), PostgreSQL's is Kith's writers' lock too, and is
 * committed only when every table's count matched.
 */
static int
copy_all(struct db *src, struct db *dst, struct migrate_result *r,
    char *err, size_t errlen)
{
	int st;

	if ((st = db_begin(src)) != KITH_OK) {
		snprintf(err, errlen, "the site's database: " DB_BUSY_TEXT);
		return st;
	}
	if ((st = db_begin(dst)) != KITH_OK) {
		snprintf(err, errlen, "PostgreSQL: %s; try again",
		    db_errmsg(dst));
		db_rollback(src);
		return st;
	}
	st = counted(src, dst, r, err, errlen);
	for (size_t i = 0; i < NTABLES && st == KITH_OK; i++)
		st = copy_one(src, dst, i, r, err, errlen);
	if (st == KITH_OK && (st = db_commit(dst)) != KITH_OK)
		snprintf(err, errlen, "PostgreSQL: cannot commit the copy: "
		    "%s; nothing was kept", db_errmsg(dst));
	r->committed = st == KITH_OK;
	if (st != KITH_OK && db_in_tx(dst))
		db_rollback(dst);
	db_rollback(src);	/* read only: nothing to keep */
	return st;
}

/*
 * verified - the counts again, read from PostgreSQL as committed (one
 * snapshot), into r->counts[].to; KITH_PERM (MIGRATE_COUNTS) when one
 * differs from the site's.
 */
static int
verified(struct db *dst, struct migrate_result *r, char *err, size_t errlen)
{
	int st = db_read_begin(dst);

	if (st != KITH_OK) {
		snprintf(err, errlen, "PostgreSQL: %s", db_errmsg(dst));
		return st;
	}
	for (size_t i = 0; i < NTABLES && st == KITH_OK; i++) {
		if ((r->counts[i].to = count_rows(dst, &tables[i], &st)) < 0)
			snprintf(err, errlen, "PostgreSQL: cannot count %s: "
			    "%s", tables[i].name, db_errmsg(dst));
		else if (r->counts[i].to != r->counts[i].from) {
			r->differ = tables[i].name;
			st = refuse(r, MIGRATE_COUNTS, err, errlen, "%s: %lld "
			    "rows on sqlite, %lld in PostgreSQL after the "
			    "commit", tables[i].name,
			    (long long)r->counts[i].from,
			    (long long)r->counts[i].to);
		}
	}
	db_read_end(dst);
	return st;
}

int
migrate_sqlite_to_pg(struct db *src, const char *location, int busy_ms,
    struct migrate_result *r, char *err, size_t errlen)
{
	struct db *dst = NULL;
	int st, theirs;

	memset(r, 0, sizeof(*r));
	if (strcmp(db_backend_name(src), "sqlite"))
		return refuse(r, MIGRATE_NOT_SQLITE, err, errlen, "the site's "
		    "database is on %s, not sqlite: nothing to migrate",
		    db_backend_name(src));
	if ((st = db_open(location, 1, busy_ms, DB_DURABLE, &dst, err,
	    errlen)) != KITH_OK)
		return st;
	r->schema = db_schema_version(src);
	theirs = db_schema_version(dst);
	if (theirs != r->schema)
		st = refuse(r, MIGRATE_VERSION, err, errlen, "schema versions "
		    "differ: %d on sqlite, %d in PostgreSQL", r->schema, theirs);
	else if ((st = copy_all(src, dst, r, err, errlen)) == KITH_OK)
		st = verified(dst, r, err, errlen);
	/* a failure is the caller's to tell, in err */
	if (st == KITH_OK)
		log_info("migrate: %lld rows in %zu tables copied to "
		    "PostgreSQL", (long long)r->rows, r->ntables);
	db_close(dst);
	return st;
}

/* test_privacy - every person-holding column is covered; forget and
 * export on a real database. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kith/db.h"
#include "kith/privacy.h"
#include "kith/util.h"
#include "kith/walsync.h"
#include "unit.h"

static const struct privacy_table *
entry(const char *table)
{
	for (size_t i = 0; i < privacy_ntables; i++)
		if (!strcmp(privacy_tables[i].table, table))
			return &privacy_tables[i];
	return NULL;
}

static int
person_column(const char *name)
{
	for (int i = 0; privacy_columns[i]; i++)
		if (!strcmp(privacy_columns[i], name))
			return 1;
	return 0;
}

/*
 * uncovered - every column of the schema that can hold a person (an
 * address, a name, a member id, a whole mail) and is not listed in
 * privacy_tables with what forget does (SQL, or a note why nothing):
 * " table.column" each, into missing.
 */
static void
uncovered(struct db *db, char *missing, size_t size)
{
	struct db_stmt *t;

	missing[0] = '\0';
	/* real tables: not sqlite's, not an FTS index nor its shadow tables */
	t = db_prepare(db, "SELECT name FROM sqlite_master m WHERE type='table' "
	    "AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%' "
	    "AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type="
	    "'table' AND v.sql LIKE 'CREATE VIRTUAL%' AND m.name LIKE v.name "
	    "|| '\\_%' ESCAPE '\\') ORDER BY name");
	ck_assert_ptr_nonnull(t);
	while (db_step(t) == DB_ROW) {
		const char *table = db_col_str(t, 0);
		const struct privacy_table *e = entry(table);
		char *sql = xasprintf("SELECT name FROM pragma_table_info('%s')",
		    table);
		struct db_stmt *c = db_prepare(db, sql);

		while (c && db_step(c) == DB_ROW) {
			const char *col = db_col_str(c, 0);
			char key[80];

			if (!person_column(col))
				continue;
			snprintf(key, sizeof(key), ",%s,", col);
			if (e == NULL || strstr(e->columns, key) == NULL ||
			    (e->forget == NULL && e->note == NULL))
				snprintf(missing + strlen(missing),
				    size - strlen(missing), " %s.%s", table, col);
		}
		db_finalize(c);
		free(sql);
	}
	db_finalize(t);
}

/* The migrated schema is covered: a new migration that adds a table or
 * column holding a person without privacy.c knowing fails here. */
START_TEST(test_schema_covered)
{
	char dir[256], missing[4096];
	struct db *db = unit_db(dir, sizeof(dir));

	ck_assert_ptr_nonnull(db);
	uncovered(db, missing, sizeof(missing));
	ck_assert_msg(missing[0] == '\0', "not in privacy_tables (privacy.c): "
	    "%s", missing);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/* ... and it does: a table or a column it does not know is named. */
START_TEST(test_schema_new_table_caught)
{
	char dir[256], missing[4096];
	struct db *db = unit_db(dir, sizeof(dir));

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_script(db, "CREATE TABLE wishlist (id INTEGER, "
	    "address TEXT); ALTER TABLE digests ADD COLUMN sender TEXT"), DB_OK);
	uncovered(db, missing, sizeof(missing));
	ck_assert_str_eq(missing, " digests.sender wishlist.address");
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/* Every where and forget statement of the table prepares on the schema. */
START_TEST(test_statements_prepare)
{
	char dir[256];
	struct db *db = unit_db(dir, sizeof(dir));

	ck_assert_ptr_nonnull(db);
	for (size_t i = 0; i < privacy_ntables; i++) {
		const struct privacy_table *e = &privacy_tables[i];
		struct db_stmt *st;

		if (e->where) {
			char *sql = xasprintf("SELECT * FROM %s WHERE %s",
			    e->table, e->where);

			st = db_prepare(db, sql);
			ck_assert_msg(st != NULL, "%s", sql);
			db_finalize(st);
			free(sql);
		}
		if (e->forget) {
			st = db_prepare(db, e->forget);
			ck_assert_msg(st != NULL, "%s", e->forget);
			db_finalize(st);
		}
	}
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

static const struct {
	const char *in;
	int ok;
	enum privacy_posts want;
} modes[] = {
	{ "keep", 1, PRIVACY_POSTS_KEEP },
	{ "anonymise", 1, PRIVACY_POSTS_ANONYMISE },
	{ "anonymize", 1, PRIVACY_POSTS_ANONYMISE },
	{ "delete", 1, PRIVACY_POSTS_DELETE },
	{ "Delete", 0, PRIVACY_POSTS_KEEP },
	{ "", 0, PRIVACY_POSTS_KEEP },
	{ "remove", 0, PRIVACY_POSTS_KEEP },
};

START_TEST(test_posts_parse)
{
	enum privacy_posts got = PRIVACY_POSTS_KEEP;
	int r = privacy_posts_parse(modes[_i].in, &got);

	ck_assert_msg((r == 0) == modes[_i].ok, "'%s': got %d", modes[_i].in, r);
	if (modes[_i].ok)
		ck_assert_int_eq(got, modes[_i].want);
}
END_TEST

static void
seed(struct db *db)
{
	ck_assert_int_eq(db_script(db, "INSERT INTO lists(id, address, "
	    "local, domain, created) VALUES (1, 'team@example.org', 'team', "
	    "'example.org', 0); INSERT INTO members(list_id, address, name, "
	    "joined) VALUES (1, 'ann@example.net', 'Ann', 0), (1, "
	    "'joe@example.net', 'Joe', 0);"
	    "INSERT INTO posts(id, list_id, num, "
	    "message_id, sender, sender_name, subject, date, received, size, "
	    "raw, body) VALUES (1, 1, 1, 'a1@x', 'ann@example.net', 'Ann', "
	    "'hello', 0, 0, 1, CAST('From: Ann <ANN@example.net>\n"
	    "Subject: hello\n\nhi' AS BLOB), 'hi, write to ann@example.net'), "
	    "(2, 1, 2, 'j1@x', 'joe@example.net', 'Joe', 'Re: hello', 0, 0, 1, "
	    "CAST('From: Joe <joe@example.net>\n\nAnn <ann@example.net> "
	    "wrote' AS BLOB), 'Ann <ann@example.net> wrote');"
	    "INSERT INTO pending(list_id, kind, "
	    "address, created, expires) VALUES (1, 'confirm', "
	    "'ann@example.net', 0, 0); INSERT INTO bans(list_id, pattern, "
	    "created) VALUES (1, 'ann@example.net', 0); INSERT INTO "
	    "polls(id, list_id, question, options, created) VALUES (9, 1, "
	    "'q', 'a', 0); INSERT INTO "
	    "poll_votes(poll_id, member_id, address, choices, at) VALUES "
	    "(9, 1, 'ann@example.net', '1', 0)"), DB_OK);
}

static int64_t
count(struct db *db, const char *sql)
{
	int st;

	return db_int(db, -1, &st, sql, "");
}

START_TEST(test_forget)
{
	static const unsigned char secret[] = "0123456789abcdef0123456789abcdef";
	struct token_key *key = token_key_new(secret, 32);
	char dir[256], err[256];
	struct db *db = unit_db(dir, sizeof(dir));
	struct buf report, out;
	int cp;

	ck_assert_ptr_nonnull(db);
	seed(db);
	buf_init(&report);
	buf_init(&out);
	ck_assert_int_eq(privacy_export(db, key, "Ann@Example.NET", 1, 1, 5,
	    &out), KITH_OK);
	buf_add(&out, "", 0);
	ck_assert_msg(strstr(out.data, "\"members\": [") &&
	    strstr(out.data, "\"pending\": [") && strstr(out.data,
	    "\"poll_votes\": [") && strstr(out.data, "\"bans\": ["), "%s",
	    out.data);
	ck_assert_int_eq(privacy_forget(db, key, "ann@example.net",
	    PRIVACY_POSTS_ANONYMISE, 10, &report, &cp, err, sizeof(err)),
	    KITH_OK);
	ck_assert_int_eq(count(db, "SELECT count(*) FROM members WHERE "
	    "address='ann@example.net'"), 0);
	ck_assert_int_eq(count(db, "SELECT count(*) FROM members"), 1);
	ck_assert_int_eq(count(db, "SELECT count(*) FROM pending"), 0);
	ck_assert_int_eq(count(db, "SELECT count(*) FROM bans"), 0);
	/* the vote still counts, by nobody */
	ck_assert_int_eq(count(db, "SELECT count(*) FROM poll_votes WHERE "
	    "address='' AND member_id<0"), 1);
	/* posts: hers anonymised, Joe's quote of her address replaced */
	ck_assert_int_eq(count(db, "SELECT count(*) FROM posts WHERE "
	    "instr(lower(raw), 'ann@example.net') OR instr(body, "
	    "'ann@example.net')"), 0);
	ck_assert_int_eq(count(db, "SELECT count(*) FROM posts WHERE "
	    "sender='" PRIVACY_ANON_ADDRESS "' AND instr(raw, 'From: "
	    PRIVACY_ANON_NAME "')"), 1);
	ck_assert_int_eq(count(db, "SELECT count(*) FROM posts WHERE "
	    "sender='joe@example.net'"), 1);
	/* the record: a hash, never the address; the ban holds */
	ck_assert_int_eq(count(db, "SELECT count(*) FROM forgotten WHERE "
	    "length(hash)=64 AND banned=',1,'"), 1);
	ck_assert_int_eq(privacy_forgotten(db, key, "ANN@example.net", NULL,
	    NULL), 1);
	ck_assert_int_eq(privacy_forgotten(db, key, "joe@example.net", NULL,
	    NULL), 0);
	ck_assert_int_eq(privacy_banned(db, key, 1, "ann@example.net"), 1);
	ck_assert_int_eq(privacy_banned(db, key, 2, "ann@example.net"), 0);
	/* her ban holds: coming back does not drop the record */
	ck_assert_int_eq(privacy_unforget(db, key, "ann@example.net"), KITH_OK);
	ck_assert_int_eq(privacy_forgotten(db, key, "ann@example.net", NULL,
	    NULL), 1);
	/* Joe, never banned, comes back and is no longer forgotten */
	ck_assert_int_eq(privacy_forget(db, key, "joe@example.net",
	    PRIVACY_POSTS_KEEP, 11, &report, &cp, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(privacy_forgotten(db, key, "joe@example.net", NULL,
	    NULL), 1);
	ck_assert_int_eq(privacy_unforget(db, key, "joe@example.net"), KITH_OK);
	ck_assert_int_eq(privacy_forgotten(db, key, "joe@example.net", NULL,
	    NULL), 0);
	/* another site's secret does not recognise her */
	{
		struct token_key *other = token_key_new((const unsigned char *)
		    "another site's secret, 32 bytes", 32);

		ck_assert_int_eq(privacy_forgotten(db, other, "ann@example.net",
		    NULL, NULL), 0);
		token_key_free(other);
	}
	buf_release(&report);
	buf_release(&out);
	token_key_free(key);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/* The size of dir/name, -1 when there is none. */
static long
size_of(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	long n = stat(path, &st) == 0 ? (long)st.st_size : -1;

	free(path);
	return n;
}

/* One commit of about 1,200 pages: past the checkpoint's 1,000. */
static void
fill_wal(struct db *db)
{
	ck_assert_int_eq(db_script(db, "INSERT INTO scratch SELECT "
	    "zeroblob(3000) FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM c WHERE i < 1200) SELECT i FROM c)"), DB_OK);
}

/*
 * kith serve's connection (db_keep_wal) leaves the WAL to be written over
 * at its checkpoints, where others empty it; an erasure that could not
 * empty it (db_scrub_later, as privacy_scrub does when a reader holds
 * it) has that connection's next checkpoint empty it after all.
 */
START_TEST(test_kept_wal_scrubbed)
{
	char dir[256];
	struct db *db = unit_db(dir, sizeof(dir));

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_script(db, "CREATE TABLE scratch(x)"), DB_OK);
	fill_wal(db);
	ck_assert_int_eq(size_of(dir, "kith.db-wal"), 0);	/* the others */
	db_keep_wal(db, 2000);
	fill_wal(db);
	ck_assert_int_gt(size_of(dir, "kith.db-wal"), 1000 * 4096);
	db_scrub_later(db);
	ck_assert_int_eq(size_of(dir, "kith.db-scrub"), 0);
	fill_wal(db);
	ck_assert_int_eq(size_of(dir, "kith.db-wal"), 0);
	ck_assert_int_eq(size_of(dir, "kith.db-scrub"), -1);
	/* and back to keeping it */
	fill_wal(db);
	ck_assert_int_gt(size_of(dir, "kith.db-wal"), 1000 * 4096);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/*
 * kith serve's page connection copies its WAL into the database past
 * 500 pages, not the 1,000 of the others: its pauses for a copy are
 * what the one-click POST's p99 is made of (docs/BENCHMARKS.md).  One
 * commit of about 600 pages is in the database file after it.
 */
START_TEST(test_kept_wal_copied_early)
{
	char dir[256];
	struct db *db = unit_db(dir, sizeof(dir));
	long before;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_script(db, "CREATE TABLE scratch(x)"), DB_OK);
	db_keep_wal(db, 2000);
	before = size_of(dir, "kith.db");
	ck_assert_int_eq(db_script(db, "INSERT INTO scratch SELECT "
	    "zeroblob(3000) FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM c WHERE i < 600) SELECT i FROM c)"), DB_OK);
	ck_assert_int_gt(size_of(dir, "kith.db-wal"), 600 * 4096);
	ck_assert_int_gt(size_of(dir, "kith.db") - before, 600 * 3000);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/* wait_size - until dir/name has size want (-1: gone), at most 10 s */
static long
wait_size(const char *dir, const char *name, long want)
{
	long n = size_of(dir, name);

	for (int i = 0; i < 1000 && n != want; i++) {
		usleep(10000);
		n = size_of(dir, name);
	}
	return n;
}

/*
 * kith serve's writers (walsync): the checkpoints move to the
 * checkpointer's own connection and thread, and an erasure's request to
 * empty the WAL still holds there.
 */
START_TEST(test_checkpointer_scrubs)
{
	char dir[256], err[256], *path;
	struct db *db = unit_db(dir, sizeof(dir));
	struct walsync *ws;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_script(db, "CREATE TABLE scratch(x)"), DB_OK);
	db_keep_wal(db, 2000);
	path = xasprintf("%s/kith.db", dir);
	ws = walsync_start(db, path, 2000, "test", 1, err, sizeof(err));
	ck_assert_msg(ws != NULL, "walsync_start: %s", err);
	fill_wal(db);
	/* copied, not emptied: the next commit writes it over */
	ck_assert_int_gt(size_of(dir, "kith.db-wal"), 1000 * 4096);
	db_scrub_later(db);
	fill_wal(db);
	ck_assert_int_eq(wait_size(dir, "kith.db-scrub", -1), -1);
	ck_assert_int_eq(size_of(dir, "kith.db-wal"), 0);
	walsync_stop(ws);
	free(path);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/* What the syncer saw of each answer. */
struct seen {
	pthread_mutex_t lock;
	int order[16], n, durable;
	pthread_t thread;
};

static struct seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
static int ticket_no[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };

static void
note_answer(void *arg, int durable)
{
	pthread_mutex_lock(&seen.lock);
	seen.order[seen.n++] = *(int *)arg;
	seen.durable &= durable;
	seen.thread = pthread_self();
	pthread_mutex_unlock(&seen.lock);
}

/*
 * walsync: the writer's commits stop waiting for the disk (synchronous
 * NORMAL), and what was answered from them goes out on the syncer's
 * thread, in order, after the WAL's fdatasync; with no helpers (a
 * backend that needs none) at once, on the caller's thread.
 */
START_TEST(test_answers_after_sync)
{
	char dir[256], err[256], *path;
	struct db *db = unit_db(dir, sizeof(dir));
	struct walsync *ws;
	int st;

	ck_assert_ptr_nonnull(db);
	/* as kith serve opens it (DB_DURABLE) */
	ck_assert_int_eq(db_script(db, "PRAGMA synchronous=FULL"), DB_OK);
	ck_assert_int_eq(db_int(db, -1, &st, "PRAGMA synchronous", ""), 2);
	path = xasprintf("%s/kith.db", dir);
	ws = walsync_start(db, path, 2000, "test", 1, err, sizeof(err));
	ck_assert_msg(ws != NULL, "walsync_start: %s", err);
	ck_assert_int_eq(db_int(db, -1, &st, "PRAGMA synchronous", ""), 1);
	seen.n = 0;
	seen.durable = 1;
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(db_script(db, "CREATE TABLE IF NOT EXISTS "
		    "scratch(x); INSERT INTO scratch VALUES (1)"), DB_OK);
		walsync_after(ws, i % 2, note_answer, &ticket_no[i]);
	}
	walsync_stop(ws);	/* answers what is queued first */
	ck_assert_int_eq(seen.n, 8);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(seen.order[i], i);
	ck_assert_int_eq(seen.durable, 1);
	ck_assert(!pthread_equal(seen.thread, pthread_self()));
	walsync_after(NULL, 1, note_answer, &ticket_no[0]);
	ck_assert_int_eq(seen.n, 9);
	ck_assert(pthread_equal(seen.thread, pthread_self()));
	free(path);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

START_TEST(test_remove_post)
{
	char dir[256], err[256] = "", *why = NULL;
	struct db *db = unit_db(dir, sizeof(dir));
	int64_t when = 0;

	ck_assert_ptr_nonnull(db);
	seed(db);
	ck_assert_int_eq(privacy_remove_post(db, 2, "spam", "", 77, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(count(db, "SELECT count(*) FROM posts WHERE id=2"), 0);
	ck_assert_int_eq(count(db, "SELECT count(*) FROM posts_fts WHERE "
	    "posts_fts MATCH 'wrote'"), 0);
	ck_assert_int_eq(privacy_removed(db, 2, &when, &why, NULL), KITH_OK);
	ck_assert_int_eq(when, 77);
	ck_assert_str_eq(why, "spam");
	ck_assert_int_eq(privacy_remove_post(db, 2, "again", "", 78, err,
	    sizeof(err)), KITH_PERM);
	ck_assert_str_eq(err, "post 2 was already removed");
	ck_assert_int_eq(privacy_remove_post(db, 99, "x", "", 78, err,
	    sizeof(err)), KITH_PERM);
	free(why);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

Suite *
privacy_suite(void)
{
	Suite *s = suite_create("privacy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_schema_covered);
	tcase_add_test(tc, test_schema_new_table_caught);
	tcase_add_test(tc, test_statements_prepare);
	tcase_add_loop_test(tc, test_posts_parse, 0,
	    (int)(sizeof(modes) / sizeof(modes[0])));
	tcase_add_test(tc, test_forget);
	tcase_add_test(tc, test_remove_post);
	tcase_add_test(tc, test_kept_wal_scrubbed);
	tcase_add_test(tc, test_kept_wal_copied_early);
	tcase_add_test(tc, test_checkpointer_scrubs);
	tcase_add_test(tc, test_answers_after_sync);
	suite_add_tcase(s, tc);
	return s;
}

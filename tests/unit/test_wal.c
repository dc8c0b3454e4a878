/*
 * test_wal - the sqlite backend's WAL file (db_sqlite_vfs.c), held to
 * what two connections to one database see.  A connection whose cache
 * is too small for its transaction spills pages into the WAL before it
 * commits; when it then rolls back, those frames are past the WAL's end
 * and the next writer writes its own over them.  Had the first kept its
 * spilled frames back (7e7a26a held them on every connection), its next
 * read would write them over the second's commit: 253 of the 400 rows
 * the second rewrote were seen so.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/db.h"
#include "kith/util.h"
#include "unit.h"

/* a connection of its own to the database in dir */
static struct db *
second(const char *dir)
{
	char err[256] = "", *path = xasprintf("%s/kith.db", dir);
	struct db *db = NULL;

	if (db_open(path, 0, 2000, DB_FAST, &db, err, sizeof(err)) != KITH_OK)
		fprintf(stderr, "second: %s\n", err);
	free(path);
	return db;
}

/* PRAGMA integrity_check's first line: "ok" when whole */
static int
whole(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "PRAGMA integrity_check");
	int ok = st && db_step(st) == DB_ROW &&
	    !strcmp(db_col_str(st, 0), "ok");

	db_finalize(st);
	return ok;
}

/* A rolled-back transaction that spilled leaves another's commit whole. */
START_TEST(test_spill_then_rollback)
{
	char dir[256];
	struct db *a = unit_db(dir, sizeof(dir)), *b;
	int st;

	ck_assert_ptr_nonnull(a);
	b = second(dir);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(db_exec(a, "CREATE TABLE w (n INTEGER, x BLOB)", ""),
	    KITH_OK);
	ck_assert_int_eq(db_exec(a, "WITH RECURSIVE k(n) AS (SELECT 1 "
	    "UNION ALL SELECT n + 1 FROM k WHERE n < 400) "
	    "INSERT INTO w SELECT n, zeroblob(500) FROM k", ""), KITH_OK);
	/*
	 * a's cache holds 5 pages; rewriting every row in place (the
	 * database neither grows nor frees a page, so the rollback reads
	 * nothing back) spills some 60 pages into the WAL, which holds
	 * nothing else: a reads the rows from the database file
	 */
	ck_assert_int_eq(db_exec(a, "PRAGMA wal_checkpoint(TRUNCATE)", ""),
	    KITH_OK);
	ck_assert_int_eq(db_exec(a, "PRAGMA cache_size=5", ""), KITH_OK);
	ck_assert_int_eq(db_begin(a), KITH_OK);
	ck_assert_int_eq(db_exec(a, "UPDATE w SET x = randomblob(500)", ""),
	    KITH_OK);
	db_rollback(a);
	/* b's commit: every row again, its frames over a's spilled ones */
	ck_assert_int_eq(db_exec(b, "UPDATE w SET x = zeroblob(500), "
	    "n = n + 1000", ""), KITH_OK);
	/* a reads, then closes: nothing of the rolled-back one is written */
	ck_assert_int_eq(db_int(a, -1, &st, "SELECT count(*) FROM w WHERE "
	    "n > 1000", ""), 400);
	db_close(a);
	ck_assert_int_eq(db_int(b, -1, &st, "SELECT count(*) FROM w WHERE "
	    "x = zeroblob(500) AND n > 1000", ""), 400);
	a = second(dir);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(db_int(a, -1, &st, "SELECT count(*) FROM w WHERE "
	    "x = zeroblob(500) AND n > 1000", ""), 400);
	ck_assert(whole(a));
	db_close(a);
	db_close(b);
	unit_rmdir(dir);
}
END_TEST

Suite *
wal_suite(void)
{
	Suite *s = suite_create("wal");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_spill_then_rollback);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_migrate - kith migrate's list of tables held to the schema sqlite
 * makes (every table, in an order its foreign keys and triggers allow,
 * its BLOB columns, its id), and the storage layer's copy of a table
 * (db_copy_table, db_id_high) between two sqlite databases: bytes as
 * they are, a NUL in text refused.  The copy into PostgreSQL itself is
 * tests/integration/t53-migrate.sh's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/db.h"
#include "kith/migrate.h"
#include "kith/util.h"
#include "unit.h"

/* where table is in migrate's list, or -1 */
static int
position(const char *table)
{
	size_t n;
	const struct migrate_table *t = migrate_tables(&n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, table))
			return (int)i;
	return -1;
}

/* name's column list of sql's rows (column 0), comma-separated */
static char *
joined(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	struct buf b;

	buf_init(&b);
	while (st && db_step(st) == DB_ROW)
		buf_addf(&b, "%s%s", b.len ? "," : "", db_col_str(st, 0));
	db_finalize(st);
	return buf_detach(&b, NULL);
}

/* Every table sqlite's schema has is in the list, as the schema has it. */
START_TEST(test_tables_are_the_schema)
{
	char dir[256], *names, *p, *tok, *save = NULL;
	struct db *db = unit_db(dir, sizeof(dir));
	size_t n, seen = 0;
	const struct migrate_table *t = migrate_tables(&n);

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_schema_version(db), DB_SCHEMA_VERSION);
	/* real tables: not sqlite's own, not the FTS index nor its shadows
	 * nor its queue (sqlite's search; PostgreSQL's index is the
	 * schema's) */
	names = joined(db, "SELECT name FROM sqlite_master WHERE type='table' "
	    "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'posts_fts%' "
	    "ORDER BY name");
	for (p = names; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		int i = position(tok);
		char *sql, *blobs, *ids, *refs, *r, *rsave = NULL;

		ck_assert_msg(i >= 0, "table %s is not in migrate.c's list", tok);
		seen++;
		sql = xasprintf("SELECT name FROM pragma_table_info('%s') WHERE "
		    "upper(type)='BLOB' ORDER BY cid", tok);
		blobs = joined(db, sql);
		free(sql);
		ck_assert_msg(!strcmp(blobs, t[i].blobs), "%s: BLOB columns "
		    "'%s', the list says '%s'", tok, blobs, t[i].blobs);
		sql = xasprintf("SELECT name FROM pragma_table_info('%s') WHERE "
		    "name='id'", tok);
		ids = joined(db, sql);
		free(sql);
		ck_assert_msg((*ids != '\0') == t[i].has_id, "%s: has_id", tok);
		/* the tables it names come before it */
		sql = xasprintf("SELECT DISTINCT \"table\" FROM "
		    "pragma_foreign_key_list('%s')", tok);
		refs = joined(db, sql);
		free(sql);
		for (char *q = refs; (r = strtok_r(q, ",", &rsave)) != NULL;
		    q = NULL)
			ck_assert_msg(position(r) >= 0 && position(r) < i,
			    "%s names %s, which comes after it", tok, r);
		free(blobs);
		free(ids);
		free(refs);
	}
	ck_assert_uint_eq(seen, n);	/* and nothing else */
	/* what triggers fill comes after what fires them */
	ck_assert_int_gt(position("member_log"), position("members"));
	ck_assert_int_gt(position("threads"), position("posts"));
	ck_assert_int_gt(position("archive_months"), position("posts"));
	free(names);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/* two databases with table c, the first with rows of every kind */
static void
two(struct db **a, struct db **b, char *da, char *dbir, size_t len)
{
	static const unsigned char bytes[] = { 'a', 0, 0xff, 0x80, '\r',
		'\n', 0, 'z' };
	const char *schema = "CREATE TABLE c (id INTEGER PRIMARY KEY, "
	    "t TEXT, raw BLOB, n INTEGER, f REAL)";
	struct db_stmt *st;

	*a = unit_db(da, len);
	*b = unit_db(dbir, len);
	ck_assert_ptr_nonnull(*a);
	ck_assert_ptr_nonnull(*b);
	ck_assert_int_eq(db_script(*a, schema), KITH_OK);
	ck_assert_int_eq(db_script(*b, schema), KITH_OK);
	st = db_prepare(*a, "INSERT INTO c VALUES (?, ?, ?, ?, ?)");
	ck_assert_ptr_nonnull(st);
	/* 8-bit and NUL bytes; an empty blob; text held in the BLOB column */
	ck_assert_int_eq(db_bind(st, "itbin", (int64_t)7, "caf\xc3\xa9",
	    bytes, (int)sizeof(bytes), INT64_MAX), KITH_OK);
	ck_assert_int_eq(db_step(st), DB_DONE);
	db_reset(st);
	ck_assert_int_eq(db_bind(st, "inbin", (int64_t)9, "", 0, INT64_MIN),
	    KITH_OK);
	ck_assert_int_eq(db_step(st), DB_DONE);
	db_finalize(st);
	ck_assert_int_eq(db_exec(*a, "INSERT INTO c VALUES (12, NULL, "
	    "'as text', 0, 1.5)", ""), KITH_OK);
}

/* db_copy_table: ids, integers, text and bytes arrive as they were. */
START_TEST(test_copy_table_as_it_is)
{
	static const unsigned char bytes[] = { 'a', 0, 0xff, 0x80, '\r',
		'\n', 0, 'z' };
	char da[256], dbir[256], err[256] = "";
	struct db *a, *b;
	struct db_stmt *st;
	int64_t rows = -1;

	two(&a, &b, da, dbir, sizeof(da));
	ck_assert_int_eq(db_copy_table(a, b, "c", "raw", &rows, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(rows, 3);
	st = db_prepare(b, "SELECT id, t, raw, typeof(raw), n, f FROM c "
	    "ORDER BY id");
	ck_assert_int_eq(db_step(st), DB_ROW);
	ck_assert_int_eq(db_col_int64(st, 0), 7);
	ck_assert_str_eq(db_col_str(st, 1), "caf\xc3\xa9");
	ck_assert_int_eq(db_col_bytes(st, 2), (int)sizeof(bytes));
	ck_assert_int_eq(memcmp(db_col_blob(st, 2), bytes, sizeof(bytes)), 0);
	ck_assert_int_eq(db_col_int64(st, 4), INT64_MAX);
	ck_assert_int_eq(db_col_type(st, 5), DB_NULL);
	ck_assert_int_eq(db_step(st), DB_ROW);
	ck_assert_int_eq(db_col_int64(st, 0), 9);
	ck_assert_str_eq(db_col_str(st, 3), "blob");	/* empty, not NULL */
	ck_assert_int_eq(db_col_bytes(st, 2), 0);
	ck_assert_int_eq(db_col_int64(st, 4), INT64_MIN);
	ck_assert_int_eq(db_step(st), DB_ROW);
	ck_assert_int_eq(db_col_int64(st, 0), 12);
	ck_assert_int_eq(db_col_type(st, 1), DB_NULL);
	ck_assert_str_eq(db_col_str(st, 3), "blob");	/* text in, bytes */
	ck_assert_str_eq(db_col_str(st, 2), "as text");
	ck_assert(db_col_double(st, 5) == 1.5);
	ck_assert_int_eq(db_step(st), DB_DONE);
	db_finalize(st);
	db_close(a);
	db_close(b);
	unit_rmdir(da);
	unit_rmdir(dbir);
}
END_TEST

/* A NUL inside a text value is refused, never cut; a bad name too. */
START_TEST(test_copy_table_refuses)
{
	char da[256], dbir[256], err[256] = "";
	struct db *a, *b;
	struct db_stmt *st;
	int64_t rows = -1;

	two(&a, &b, da, dbir, sizeof(da));
	st = db_prepare(a, "UPDATE c SET t=? WHERE id=12");
	ck_assert_int_eq(db_bind_text(st, 1, "ab\0cd", 5), DB_OK);
	ck_assert_int_eq(db_step(st), DB_DONE);
	db_finalize(st);
	ck_assert_int_eq(db_copy_table(a, b, "c", "raw", &rows, err,
	    sizeof(err)), KITH_PERM);
	ck_assert_msg(strstr(err, "table c, column t: text with a NUL byte"),
	    "%s", err);
	ck_assert_int_eq(rows, 0);	/* its batch is not inserted */
	ck_assert_int_eq(db_int(b, -1, NULL, "SELECT count(*) FROM c", ""), 0);
	ck_assert_int_eq(db_copy_table(a, b, "c; DROP TABLE c", "", &rows,
	    err, sizeof(err)), KITH_PERM);
	ck_assert_int_eq(db_copy_table(a, b, "nosuch", "", &rows, err,
	    sizeof(err)), KITH_PERM);
	ck_assert_msg(strstr(err, "nosuch"), "%s", err);
	db_close(a);
	db_close(b);
	unit_rmdir(da);
	unit_rmdir(dbir);
}
END_TEST

/* Many rows go in batches; the last, short one too. */
START_TEST(test_copy_table_batches)
{
	char da[256], dbir[256], err[256] = "";
	struct db *a = unit_db(da, sizeof(da)), *b = unit_db(dbir, sizeof(dbir));
	int64_t rows = -1;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(db_script(a, "CREATE TABLE w (id INTEGER PRIMARY KEY, "
	    "v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
	    "FROM n WHERE i < 1234) INSERT INTO w SELECT i * 3, 'v' || i FROM "
	    "n"), KITH_OK);
	ck_assert_int_eq(db_script(b, "CREATE TABLE w (id INTEGER PRIMARY KEY, "
	    "v TEXT)"), KITH_OK);
	ck_assert_int_eq(db_copy_table(a, b, "w", "", &rows, err, sizeof(err)),
	    KITH_OK);
	ck_assert_int_eq(rows, 1234);
	ck_assert_int_eq(db_int(b, -1, NULL, "SELECT count(*) FROM w", ""),
	    1234);
	ck_assert_int_eq(db_int(b, -1, NULL, "SELECT count(*) FROM w WHERE "
	    "v = 'v' || (id / 3)", ""), 1234);
	db_close(a);
	db_close(b);
	unit_rmdir(da);
	unit_rmdir(dbir);
}
END_TEST

/* db_id_high: an AUTOINCREMENT table remembers ids whose rows are gone. */
START_TEST(test_id_high)
{
	char dir[256];
	struct db *db = unit_db(dir, sizeof(dir));

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_script(db, "CREATE TABLE h (id INTEGER PRIMARY "
	    "KEY AUTOINCREMENT, v TEXT); CREATE TABLE r (id INTEGER PRIMARY "
	    "KEY, v TEXT)"), KITH_OK);
	ck_assert_int_eq(db_id_high(db, "h"), 0);
	ck_assert_int_eq(db_script(db, "INSERT INTO h(v) VALUES ('a'), ('b'), "
	    "('c'); DELETE FROM h WHERE id=3; INSERT INTO r VALUES (1, 'a'), "
	    "(5, 'b'); DELETE FROM r WHERE id=5"), KITH_OK);
	ck_assert_int_eq(db_id_high(db, "h"), 3);
	ck_assert_int_eq(db_id_high(db, "r"), 1);
	ck_assert_int_eq(db_id_high(db, "no such"), -1);
	ck_assert_int_eq(db_id_follow(db, "r", 10), KITH_OK);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

Suite *
migrate_suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tables_are_the_schema);
	tcase_add_test(tc, test_copy_table_as_it_is);
	tcase_add_test(tc, test_copy_table_refuses);
	tcase_add_test(tc, test_copy_table_batches);
	tcase_add_test(tc, test_id_high);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_stats - the engagement report's figures that read the members'
 * history (member_log): retention over a history with leaves and
 * rejoins, and the index the reports look joins up in, which holds the
 * joins only so that a leave writes no entry of it.  The whole report
 * on a crafted four-month history is tests/integration/t19-stats.sh's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/db.h"
#include "kith/lists.h"
#include "kith/stats.h"
#include "kith/util.h"
#include "unit.h"

#define DAY 86400
#define OCT1 1790812800	/* 2026-10-01 00:00:00 UTC */

/* one row of the history, at OCT1 + day days (+ sec seconds) */
static void
logged(struct db *db, const char *address, const char *event, int day,
    int sec)
{
	ck_assert_int_eq(db_exec(db, "INSERT INTO member_log(list_id, address,"
	    " event, at) VALUES (1, ?, ?, ?)", "tti", address, event,
	    (int64_t)OCT1 + (int64_t)day * DAY + sec), KITH_OK);
}

/* stats_write_json's text of list 1 at now over the last since seconds */
static char *
report(struct db *db, int64_t now, int64_t since)
{
	struct list l;
	struct stats *s;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_int_eq(list_find_id(db, 1, &l), KITH_OK);
	s = stats_compute(db, &l, now, since);
	ck_assert_ptr_nonnull(s);
	stats_write_json(s, f);
	fclose(f);
	stats_free(s);
	list_release(&l);
	return text;
}

/*
 * Retention finds each join's own leave: the first leave after it, by
 * the same address.  Ann left after 9 days and came back: two joins in
 * October, one gone within 30 days, one still there.  Cid left on day
 * 50 (there at 30 days, gone at 90); Dee never left; Eve left in the
 * same second she joined again (that leave is the earlier join's, not
 * the new one's).  A leave before the window belongs to no join in it.
 */
START_TEST(test_retention_rejoin)
{
	char dir[256], err[256];
	struct db *db = unit_db(dir, sizeof(dir));
	char *json;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(db_exec(db, "DELETE FROM member_log", ""), KITH_OK);
	logged(db, "old@example.org", "joined", -200, 0);
	logged(db, "old@example.org", "left", -150, 0);
	logged(db, "ann@example.org", "joined", 0, 0);
	logged(db, "ann@example.org", "left", 9, 0);
	logged(db, "ann@example.org", "joined", 19, 0);
	logged(db, "cid@example.org", "joined", 2, 0);
	logged(db, "cid@example.org", "left", 50, 0);
	logged(db, "dee@example.org", "joined", 4, 0);
	logged(db, "eve@example.org", "joined", 5, 0);
	logged(db, "eve@example.org", "left", 6, 0);
	logged(db, "eve@example.org", "joined", 6, 0);
	logged(db, "eve@example.org", "left", 70, 0);
	/* November: one join, gone the next day */
	logged(db, "fay@example.org", "joined", 40, 0);
	logged(db, "fay@example.org", "left", 41, 0);
	/* four months on: every October join has had its 90 days */
	json = report(db, (int64_t)OCT1 + 125 * DAY, 180 * (int64_t)DAY);
	/*
	 * October: ann twice, cid, dee, eve twice = 6 joins.  At 30 days:
	 * ann's first and eve's first are gone (4 of 6 stayed, 66.7%); at
	 * 90: also cid (day 50) and eve's second (day 70): 2 of 6, 33.3%.
	 */
	ck_assert_msg(strstr(json, "{\"month\": \"2026-10\", \"joined\": 6, "
	    "\"after_30\": 66.7, \"after_90\": 33.3}") != NULL, "%s", json);
	ck_assert_msg(strstr(json, "{\"month\": \"2026-11\", \"joined\": 1, "
	    "\"after_30\": 0.0, \"after_90\": null}") != NULL, "%s", json);
	free(json);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/* The EXPLAIN QUERY PLAN details of sql, one per line. */
static char *
plan_of(struct db *db, const char *sql)
{
	char *q = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	struct db_stmt *st = db_prepare(db, q);
	struct buf b;

	ck_assert_ptr_nonnull(st);
	buf_init(&b);
	while (db_step(st) == DB_ROW) {
		char *d = db_col_text(st, 3);

		buf_addf(&b, "%s\n", d ? d : "");
		free(d);
	}
	db_finalize(st);
	free(q);
	return buf_detach(&b, NULL);
}

/*
 * The reports look a join up by address in member_log_joins, which
 * holds the joins only (schema 22): a leave writes no entry of it, and
 * no index of member_log leads with (list_id, address) for every row.
 * Each leave wrote one page of WAL at a random place for it before.
 */
START_TEST(test_joins_index)
{
	static const char *const asks[] = {
		/* stats.c, funnel_part: asked to join and never did */
		"SELECT 1 FROM pending p WHERE p.list_id=1 AND NOT EXISTS "
		"(SELECT 1 FROM member_log j WHERE j.list_id=p.list_id AND "
		"j.address=p.address AND j.event='joined' AND "
		"j.at>=p.created)",
		/* stats.c, funnel_part: posters who joined in the window */
		"SELECT count(*) FROM (SELECT DISTINCT sender FROM posts WHERE "
		"list_id=?1) p WHERE EXISTS (SELECT 1 FROM member_log j WHERE "
		"j.list_id=?1 AND j.address=p.sender AND j.event='joined' AND "
		"j.at>=?2 AND j.at<=?3)",
		/* onboarding.c, walk_all: the joins in address order */
		"SELECT address, max(at) AS joined FROM member_log WHERE "
		"list_id=?1 AND event='joined' AND +at>=?2 GROUP BY address",
	};
	char dir[256];
	struct db *db = unit_db(dir, sizeof(dir));

	ck_assert_ptr_nonnull(db);
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		char *plan = plan_of(db, asks[i]);

		ck_assert_msg(strstr(plan, "INDEX member_log_joins") &&
		    !strstr(plan, "SCAN j") && !strstr(plan,
		    "TEMP B-TREE FOR GROUP BY"), "%s: plan:\n%s", asks[i],
		    plan);
		free(plan);
	}
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT partial FROM "
	    "pragma_index_list('member_log') WHERE name='member_log_joins'",
	    ""), 1);
	/* every index of the history that holds addresses at random places
	 * (address its second column) holds the joins only */
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM "
	    "pragma_index_list('member_log') l WHERE l.partial=0 AND "
	    "(SELECT name FROM pragma_index_info(l.name) WHERE seqno=1)="
	    "'address'", ""), 0);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

Suite *
stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("history");

	tcase_add_test(tc, test_retention_rejoin);
	tcase_add_test(tc, test_joins_index);
	suite_add_tcase(s, tc);
	return s;
}

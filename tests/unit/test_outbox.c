/* test_outbox - the state machine: claim, lease, backoff, give up. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/db.h"
#include "kith/outbox.h"
#include "kith/util.h"
#include "unit.h"

static char dir[256];
static struct db *db;

static void
setup(void)
{
	db = unit_db(dir, sizeof(dir));
	ck_assert_ptr_nonnull(db);
}

static void
teardown(void)
{
	db_close(db);
	unit_rmdir(dir);
}

static int64_t
add_message(int nrcpt)
{
	int64_t id;

	ck_assert_int_eq(db_begin(db), KITH_OK);
	ck_assert_int_eq(outbox_message_add(db, 0, 0, "test", "team-bounces",
	    "example.org", NULL, "Subject: x\n\nbody\n", 17, &id), KITH_OK);
	for (int i = 0; i < nrcpt; i++) {
		char rcpt[64];

		snprintf(rcpt, sizeof(rcpt), "r%d@example.org", i);
		ck_assert_int_eq(outbox_rcpt_add(db, id, rcpt), KITH_OK);
	}
	ck_assert_int_eq(outbox_rcpt_add(db, id, "r0@example.org"), KITH_OK);
	ck_assert_int_eq(db_commit(db), KITH_OK);
	return id;
}

static const char *
state_of(int64_t row)
{
	static char buf[32];
	struct db_stmt *st = db_prepare(db, "SELECT state FROM outbox WHERE id=?");

	db_bind(st, "i", row);
	buf[0] = '\0';
	if (db_step(st) == DB_ROW)
		snprintf(buf, sizeof(buf), "%s", db_col_str(st, 0));
	db_finalize(st);
	return buf;
}

static size_t
claim(int64_t now, struct outbox_item **items)
{
	size_t n;

	ck_assert_int_eq(outbox_claim(db, now, 600, 100, NULL, NULL, items, &n),
	    KITH_OK);
	return n;
}

static void
mark(struct outbox_item *it, int status, int64_t now,
    const struct retry_policy *rp)
{
	struct outbox_marker *mk = outbox_marker_new(db);

	ck_assert_ptr_nonnull(mk);
	ck_assert_int_eq(db_begin(db), KITH_OK);
	ck_assert_ptr_nonnull(outbox_mark(mk, it, status, 451, "later", now, rp));
	ck_assert_int_eq(db_commit(db), KITH_OK);
	outbox_marker_free(mk);
}

START_TEST(test_backoff_and_give_up)
{
	struct retry_policy rp = { 300, 3 };
	struct outbox_item *items;
	int64_t t = 1000000;

	add_message(1);		/* the duplicate rcpt row is ignored */
	ck_assert_uint_eq(claim(t, &items), 1);
	ck_assert_int_eq(items[0].attempts, 1);
	ck_assert_str_eq(state_of(items[0].id), "sending");
	mark(&items[0], KITH_TEMP, t, &rp);
	ck_assert_str_eq(state_of(items[0].id), "deferred");
	outbox_items_free(items, 1);

	ck_assert_uint_eq(claim(t + 299, &items), 0);
	free(items);
	ck_assert_uint_eq(claim(t + 300, &items), 1);
	ck_assert_int_eq(items[0].attempts, 2);
	mark(&items[0], KITH_TEMP, t + 300, &rp);
	outbox_items_free(items, 1);
	/* the second wait is twice the first */
	ck_assert_uint_eq(claim(t + 300 + 599, &items), 0);
	free(items);
	ck_assert_uint_eq(claim(t + 300 + 600, &items), 1);
	ck_assert_int_eq(items[0].attempts, 3);
	mark(&items[0], KITH_TEMP, t + 900, &rp);
	ck_assert_str_eq(state_of(items[0].id), "failed");
	outbox_items_free(items, 1);
	ck_assert_uint_eq(claim(t + 100000, &items), 0);
	free(items);
}
END_TEST

START_TEST(test_lease_and_outcomes)
{
	struct retry_policy rp = { 300, 10 };
	struct outbox_item *items, *again;
	struct outbox_counts c;
	int64_t t = 2000000;

	add_message(3);
	ck_assert_uint_eq(claim(t, &items), 3);
	/* leased rows are not claimed twice... */
	ck_assert_uint_eq(claim(t + 1, &again), 0);
	free(again);
	/* ...until the lease of a killed sender runs out */
	ck_assert_uint_eq(claim(t + 601, &again), 3);
	ck_assert_int_eq(again[0].attempts, 2);
	mark(&again[0], KITH_OK, t + 601, &rp);
	mark(&again[1], KITH_PERM, t + 601, &rp);
	mark(&again[2], KITH_TEMP, t + 601, &rp);
	ck_assert_int_eq(outbox_count(db, &c), KITH_OK);
	ck_assert_int_eq(c.sent, 1);
	ck_assert_int_eq(c.failed, 1);
	ck_assert_int_eq(c.deferred, 1);
	ck_assert_int_eq(c.pending + c.sending, 0);
	outbox_items_free(items, 3);
	outbox_items_free(again, 3);
}
END_TEST

/*
 * outbox_mark_many: 150 results, three statements of up to 64 rows, a
 * result of each kind in turn; the rows given no result stay claimed.
 */
START_TEST(test_mark_many)
{
	static const struct {
		int status, code;
		const char *text, *state;
	} kinds[] = {
		{ KITH_OK, 250, "2.0.0 queued", "sent" },
		{ KITH_TEMP, 451, "4.3.0 later", "deferred" },
		{ KITH_PERM, 550, "5.1.1 no such user", "failed" },
	};
	struct retry_policy rp = { 300, 3 };
	struct outbox_result r[150];
	struct outbox_marker *mk;
	struct outbox_item *items;
	char text[150][32];
	size_t n;
	int64_t t = 2000000;

	add_message(155);
	ck_assert_int_eq(outbox_claim(db, t, 600, 155, NULL, "me", &items, &n),
	    KITH_OK);
	ck_assert_uint_eq(n, 155);
	for (size_t i = 0; i < 150; i++) {
		snprintf(text[i], sizeof(text[i]), "%s #%zu", kinds[i % 3].text,
		    i);
		r[i] = (struct outbox_result){ &items[i], kinds[i % 3].status,
		    kinds[i % 3].code, text[i], NULL };
	}
	mk = outbox_marker_new(db);
	ck_assert_ptr_nonnull(mk);
	ck_assert_int_eq(db_begin(db), KITH_OK);
	ck_assert_int_eq(outbox_mark_many(mk, r, 150, t, &rp), KITH_OK);
	ck_assert_int_eq(db_commit(db), KITH_OK);
	for (size_t i = 0; i < 155; i++) {
		struct db_stmt *st = db_prepare(db, "SELECT state, next_try, "
		    "lease_until, claimed_by, last_code, last_text, updated FROM "
		    "outbox WHERE id=?");

		db_bind(st, "i", items[i].id);
		ck_assert_int_eq(db_step(st), DB_ROW);
		if (i >= 150) {	/* no result: as the claim left it */
			ck_assert_str_eq(db_col_str(st, 0), "sending");
			ck_assert_int_eq(db_col_int64(st, 2), t + 600);
			ck_assert_str_eq(db_col_str(st, 3), "me");
			db_finalize(st);
			continue;
		}
		ck_assert_str_eq(r[i].state, kinds[i % 3].state);
		ck_assert_str_eq(db_col_str(st, 0), kinds[i % 3].state);
		ck_assert_int_eq(db_col_int64(st, 1), i % 3 == 1 ? t + 300 : 0);
		ck_assert_int_eq(db_col_int64(st, 2), 0);
		ck_assert_str_eq(db_col_str(st, 3), "");
		ck_assert_int_eq(db_col_int(st, 4), kinds[i % 3].code);
		ck_assert_str_eq(db_col_str(st, 5), text[i]);
		ck_assert_int_eq(db_col_int64(st, 6), t);
		db_finalize(st);
	}
	/* one result alone: the 63 rows of the statement not used match
	 * nothing */
	r[0] = (struct outbox_result){ &items[150], KITH_OK, 250, "ok", NULL };
	ck_assert_int_eq(db_begin(db), KITH_OK);
	ck_assert_int_eq(outbox_mark_many(mk, r, 1, t + 1, &rp), KITH_OK);
	ck_assert_int_eq(db_commit(db), KITH_OK);
	ck_assert_str_eq(state_of(items[150].id), "sent");
	ck_assert_str_eq(state_of(items[151].id), "sending");
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT count(*) FROM outbox "
	    "WHERE state='sent'", ""), 51);
	outbox_marker_free(mk);
	outbox_items_free(items, n);
}
END_TEST

START_TEST(test_message_load)
{
	int64_t id = add_message(1);
	struct outbox_message m;

	ck_assert_int_eq(outbox_message_load(db, id, &m), KITH_OK);
	ck_assert_uint_eq(m.len, 17);
	ck_assert_str_eq(m.bounce_local, "team-bounces");
	ck_assert_str_eq(m.domain, "example.org");
	ck_assert_str_eq(m.unsubscribe, "");
	outbox_message_release(&m);
	ck_assert_int_eq(outbox_message_load(db, id + 1, &m), KITH_PERM);
}
END_TEST

Suite *
outbox_suite(void)
{
	Suite *s = suite_create("outbox");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_backoff_and_give_up);
	tcase_add_test(tc, test_lease_and_outcomes);
	tcase_add_test(tc, test_message_load);
	tcase_add_test(tc, test_mark_many);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_moderation - a decision on a held post, and its expiry, are logged
 * at the time the caller gives, not at the machine's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/config.h"
#include "kith/db.h"
#include "kith/lists.h"
#include "kith/moderation.h"
#include "kith/notice.h"
#include "kith/util.h"
#include "unit.h"

#define T 1796083200LL		/* 2026-12-01 00:00 UTC */

static char dir[256];
static struct kith_config cfg;
static struct db *db;
static struct list l;

static void
setup(void)
{
	char err[256];

	db = unit_db(dir, sizeof(dir));
	ck_assert_ptr_nonnull(db);
	setenv("KITH_HOME", dir, 1);
	ck_assert_int_eq(config_load(&cfg, "/dev/null", err, sizeof(err)), 0);
	unsetenv("KITH_HOME");
	ck_assert_int_eq(list_create(db, "team@example.org", "alice@example.org",
	    "Team", NULL, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
}

static void
teardown(void)
{
	list_release(&l);
	db_close(db);
	config_release(&cfg);
	unit_rmdir(dir);
}

/* A held post (no sender: nobody is told), expiring at expires. */
static int64_t
hold(const char *message_id, int64_t expires)
{
	int64_t id = 0;

	ck_assert_int_eq(db_exec_id(db, &id, "INSERT INTO held(list_id, "
	    "message_id, sender, subject, reason, raw, created, expires) "
	    "VALUES (?, ?, '', 'Hi', 'non-member', 'x', ?, ?) RETURNING id", "itii",
	    l.id, message_id, T - 3600, expires), KITH_OK);
	ck_assert(id > 0);
	return id;
}

/* What became of held post id: the outcome word, who and when. */
static void
assert_outcome(int64_t id, const char *outcome, const char *by, int64_t at)
{
	char *o = NULL, *b = NULL;
	int64_t when = 0;

	ck_assert_int_eq(moderation_outcome(db, id, l.id, &o, &b, &when),
	    KITH_OK);
	ck_assert_str_eq(o, outcome);
	ck_assert_str_eq(b, by);
	ck_assert_int_eq(when, at);
	free(o);
	free(b);
}

START_TEST(test_decision_at_now)
{
	struct mail_ctx c = { &cfg, db, NULL, &l, NULL, NULL };
	int64_t id = hold("a@example.net", T + 86400);

	ck_assert_int_eq(moderation_decide(&c, id, MOD_DISCARD, NULL,
	    "alice@example.org", T), KITH_OK);
	assert_outcome(id, "discarded", "alice@example.org", T);
	/* a second decision finds nothing held and changes nothing */
	ck_assert_int_eq(moderation_decide(&c, id, MOD_REJECT, "late",
	    "bob@example.org", T + 60), KITH_PERM);
	assert_outcome(id, "discarded", "alice@example.org", T);
}
END_TEST

START_TEST(test_expiry_at_now)
{
	int64_t gone = hold("b@example.net", T), kept = hold("c@example.net",
	    T + 86400);

	ck_assert_int_eq(moderation_expire(&cfg, db, NULL, T + 1), KITH_OK);
	assert_outcome(gone, "expired", "", T + 1);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM held WHERE "
	    "id=?", "i", kept), 1);
}
END_TEST

/*
 * A list's numbers have bounds: days and sizes are multiplied into seconds
 * and bytes, and a held post's expiry at held_days 9223372036854775807
 * overflowed.  What an older Kith stored past the bound is read as it.
 */
static const struct {
	const char *key, *value;
	int ok;
} bounded[] = {
	{ "held_days", "3660", 1 },
	{ "held_days", "3661", 0 },
	{ "held_days", "9223372036854775807", 0 },
	{ "held_days", "-1", 0 },
	{ "held_days", "+5", 0 },
	/* 0 days expired a held post at the next cron, before a moderator
	 * could see it (Mailman's 0 is "never"): at least 1 */
	{ "held_days", "0", 0 },
	{ "held_days", "1", 1 },
	{ "max_size", "99999999999999999999", 0 },
	{ "max_size", "0", 1 },
	{ "bounce_window_days", "100000", 0 },
	{ "max_attachment_kb", "1048576", 1 },
};

START_TEST(test_numbers_bounded)
{
	char err[256] = "";
	int st = list_setting_set(db, l.id, bounded[_i].key, bounded[_i].value,
	    err, sizeof(err));

	ck_assert_msg((st == KITH_OK) == bounded[_i].ok, "%s=%s: %d %s",
	    bounded[_i].key, bounded[_i].value, st, err);
	if (!bounded[_i].ok)
		ck_assert_ptr_nonnull(strstr(err, strcmp(bounded[_i].key,
		    "held_days") ? "a whole number from 0 to" :
		    "a whole number from 1 to 3660"));
}
END_TEST

START_TEST(test_old_value_read_bounded)
{
	ck_assert_int_eq(db_exec(db, "INSERT INTO list_settings(list_id, key, "
	    "value) VALUES (?, 'held_days', '9223372036854775807')", "i", l.id),
	    KITH_OK);
	ck_assert_int_eq(list_setting_int(db, l.id, "held_days", 14), 3660);
	ck_assert_int_eq(db_exec(db, "UPDATE list_settings SET value='0' WHERE "
	    "list_id=? AND key='held_days'", "i", l.id), KITH_OK);
	ck_assert_int_eq(list_setting_int(db, l.id, "held_days", 14), 1);
}
END_TEST

/* An archive_url an older Kith took ("javascript:...") goes into no
 * List-Archive and no footer link: the site's archive stands in. */
START_TEST(test_old_archive_url_ignored)
{
	char err[256], *url;

	ck_assert_int_eq(list_setting_set(db, l.id, "archive_url",
	    "javascript:alert(1)", err, sizeof(err)), KITH_PERM);
	ck_assert_int_eq(db_exec(db, "INSERT INTO list_settings(list_id, key, "
	    "value) VALUES (?, 'archive_url', 'javascript:alert(1)')", "i",
	    l.id), KITH_OK);
	url = list_archive_url(db, &cfg, &l);
	ck_assert_str_eq(url, "");
	free(url);
	free(cfg.archive_url);
	cfg.archive_url = xstrdup("https://archive.example.org");
	url = list_archive_url(db, &cfg, &l);
	ck_assert_str_eq(url, "https://archive.example.org/team/");
	free(url);
	ck_assert_int_eq(list_setting_set(db, l.id, "archive_url",
	    "https://lists.example.org/team/", err, sizeof(err)), KITH_OK);
	url = list_archive_url(db, &cfg, &l);
	ck_assert_str_eq(url, "https://lists.example.org/team/");
	free(url);
}
END_TEST

Suite *
moderation_suite(void)
{
	Suite *s = suite_create("moderation");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_decision_at_now);
	tcase_add_test(tc, test_expiry_at_now);
	tcase_add_loop_test(tc, test_numbers_bounded, 0,
	    (int)(sizeof(bounded) / sizeof(bounded[0])));
	tcase_add_test(tc, test_old_value_read_bounded);
	tcase_add_test(tc, test_old_archive_url_ignored);
	suite_add_tcase(s, tc);
	return s;
}

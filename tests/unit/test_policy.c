/* test_policy - automatic mail, loops and posting rights. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/bans.h"
#include "kith/db.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/message.h"
#include "kith/policy.h"
#include "kith/util.h"
#include "unit.h"

#define BAN_AT 1796083200LL	/* 2026-12-01 00:00 UTC */

static const struct {
	const char *headers, *env_from;
	int is_auto;
} auto_cases[] = {
	{ "From: a@b.org\nSubject: hi\n", "a@b.org", 0 },
	{ "From: a@b.org\nAuto-Submitted: no\n", "a@b.org", 0 },
	{ "From: a@b.org\nAuto-Submitted: auto-replied\n", "a@b.org", 1 },
	{ "From: a@b.org\nAuto-Submitted: auto-generated\n", "a@b.org", 1 },
	{ "From: a@b.org\nPrecedence: bulk\n", "a@b.org", 1 },
	{ "From: a@b.org\nPrecedence: JUNK\n", "a@b.org", 1 },
	{ "From: a@b.org\nPrecedence: first-class\n", "a@b.org", 0 },
	{ "From: a@b.org\nX-Autoreply: yes\n", "a@b.org", 1 },
	{ "From: a@b.org\nSubject: Out of Office: back Monday\n", "a@b.org", 1 },
	{ "From: a@b.org\nSubject: Automatic reply: x\n", "a@b.org", 1 },
	{ "From: a@b.org\nSubject: Autoreply: away\n", "a@b.org", 1 },
	{ "From: a@b.org\nSubject: About office hours\n", "a@b.org", 0 },
	{ "From: MAILER-DAEMON@b.org\n", "x@b.org", 1 },
	{ "From: a@b.org\n", "", 1 },
	{ "From: a@b.org\n", "<>", 1 },
	{ "From: a@b.org\n", "postmaster@b.org", 1 },
};

START_TEST(test_auto)
{
	struct message m;
	char err[64], *raw = xasprintf("%s\nbody\n", auto_cases[_i].headers);
	const char *why;

	ck_assert_int_eq(message_parse(&m, raw, strlen(raw), err, sizeof(err)), 0);
	why = policy_auto_reason(&m, auto_cases[_i].env_from);
	ck_assert_msg((why != NULL) == auto_cases[_i].is_auto,
	    "case %d (%s): got '%s', want %s", _i, auto_cases[_i].headers,
	    why ? why : "(person)", auto_cases[_i].is_auto ? "automatic" :
	    "person");
	message_release(&m);
	free(raw);
}
END_TEST

static const char *const everyone[] = { "*", "*@*", "*@*.*", "?*@*",
    "**@**", "*?@?*", "*@*.[a-z]*" };

START_TEST(test_loop_and_rights)
{
	char dir[256], err[256];
	struct db *db = unit_db(dir, sizeof(dir));
	struct list l;
	struct message m;
	const char *loop1 = "From: a@b.org\nX-Loop: Team@Example.org\n\nx\n";
	const char *loop2 = "From: a@b.org\nList-Id: \"T\" <team.example.org>\n\nx\n";
	const char *other = "From: a@b.org\nList-Id: <other.example.org>\n\nx\n";
	const char *bob = "From: Bob <BOB@example.org>\n\nx\n";
	const char *eve = "From: eve@example.net\n\nx\n";
	const char *why;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(list_create(db, "team@example.org", "owner@example.org",
	    "T", NULL, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(member_add(db, l.id, "bob@example.org", "Bob"), MEMBER_ADDED);

	message_parse(&m, loop1, strlen(loop1), err, sizeof(err));
	ck_assert_int_eq(policy_is_loop(&m, &l), 1);
	message_release(&m);
	message_parse(&m, loop2, strlen(loop2), err, sizeof(err));
	ck_assert_int_eq(policy_is_loop(&m, &l), 1);
	message_release(&m);
	message_parse(&m, other, strlen(other), err, sizeof(err));
	ck_assert_int_eq(policy_is_loop(&m, &l), 0);
	message_release(&m);

	message_parse(&m, bob, strlen(bob), err, sizeof(err));
	ck_assert_int_eq(policy_may_post(db, &l, &m, "bob@example.org", &why), POST_ACCEPT);
	list_setting_set(db, l.id, "posting", "announce", err, sizeof(err));
	ck_assert_int_eq(policy_may_post(db, &l, &m, "bob@example.org", &why), POST_NOT_ALLOWED);
	list_setting_set(db, l.id, "max_size", "10", err, sizeof(err));
	ck_assert_int_eq(policy_may_post(db, &l, &m, "bob@example.org", &why), POST_TOO_BIG);
	message_release(&m);

	list_setting_set(db, l.id, "max_size", "0", err, sizeof(err));
	list_setting_set(db, l.id, "posting", "members", err, sizeof(err));
	message_parse(&m, eve, strlen(eve), err, sizeof(err));
	/* non-members: held by default, or refused, or dropped */
	ck_assert_int_eq(policy_may_post(db, &l, &m, "eve@example.net", &why), POST_HOLD);
	ck_assert_str_eq(why, "not a member");
	list_setting_set(db, l.id, "nonmember_action", "reject", err, sizeof(err));
	ck_assert_int_eq(policy_may_post(db, &l, &m, "eve@example.net", &why), POST_NONMEMBER);
	list_setting_set(db, l.id, "nonmember_action", "discard", err, sizeof(err));
	ck_assert_int_eq(policy_may_post(db, &l, &m, "eve@example.net", &why), POST_DISCARD);
	/* a member's envelope address is enough (list mail relayed by an alias) */
	ck_assert_int_eq(policy_may_post(db, &l, &m, "bob@example.org", &why), POST_ACCEPT);
	list_setting_set(db, l.id, "posting", "anyone", err, sizeof(err));
	ck_assert_int_eq(policy_may_post(db, &l, &m, "eve@example.net", &why), POST_ACCEPT);
	/* a ban beats every other rule */
	ck_assert_int_eq(ban_add(db, l.id, "*@example.net", BAN_AT), KITH_OK);
	ck_assert_int_eq(policy_may_post(db, &l, &m, "eve@example.net", &why), POST_BANNED);
	ck_assert_int_eq(ban_remove(db, l.id, "*@example.net"), 1);
	ck_assert_int_eq(ban_add(db, 0, "EVE@example.net", BAN_AT), KITH_OK);
	/* the ban dates from when its caller says, not the machine's clock */
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT created FROM bans WHERE "
	    "pattern='eve@example.net'", ""), BAN_AT);
	ck_assert_int_eq(policy_may_post(db, &l, &m, "eve@example.net", &why), POST_BANNED);
	ck_assert_int_eq(ban_add(db, 0, "bad pattern", BAN_AT), KITH_PERM);
	/* a pattern that matches every address is a slip, not a ban */
	for (size_t i = 0; i < sizeof(everyone) / sizeof(everyone[0]); i++) {
		ck_assert_int_eq(ban_add(db, l.id, everyone[i], BAN_AT),
		    KITH_PERM);
		ck_assert_ptr_nonnull(strstr(ban_pattern_problem(everyone[i]),
		    "every address"));
	}
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM bans",
	    ""), 1);
	ck_assert_ptr_null(ban_pattern_problem("bot-*@*"));
	ck_assert_ptr_null(ban_pattern_problem("*@*.example"));
	ck_assert_ptr_null(ban_pattern_problem("*@*.org"));
	message_release(&m);

	/* members: moderated list, moderated member, first post */
	message_parse(&m, bob, strlen(bob), err, sizeof(err));
	list_setting_set(db, l.id, "posting", "moderated", err, sizeof(err));
	ck_assert_int_eq(policy_may_post(db, &l, &m, "bob@example.org", &why), POST_HOLD);
	ck_assert_str_eq(why, "the list is moderated");
	list_setting_set(db, l.id, "posting", "members", err, sizeof(err));
	list_setting_set(db, l.id, "moderate_first_post", "on", err, sizeof(err));
	ck_assert_int_eq(policy_may_post(db, &l, &m, "bob@example.org", &why), POST_HOLD);
	ck_assert_str_eq(why, "first post of a new member");
	member_count_post(db, l.id, "bob@example.org");
	ck_assert_int_eq(policy_may_post(db, &l, &m, "bob@example.org", &why), POST_ACCEPT);
	ck_assert_int_eq(member_set_moderated(db, l.id, "bob@example.org", 1), KITH_OK);
	ck_assert_int_eq(policy_may_post(db, &l, &m, "bob@example.org", &why), POST_HOLD);
	ck_assert_str_eq(why, "the member is moderated");
	/* owners and moderators are never held */
	ck_assert_int_eq(member_set_role(db, l.id, "bob@example.org", "moderator"), KITH_OK);
	ck_assert_int_eq(policy_may_post(db, &l, &m, "bob@example.org", &why), POST_ACCEPT);
	ck_assert_int_eq(member_set_role(db, l.id, "bob@example.org", "king"), KITH_PERM);
	message_release(&m);

	/* settings are validated against the table */
	ck_assert_int_eq(list_setting_set(db, l.id, "posting", "everyone", err,
	    sizeof(err)), KITH_PERM);
	ck_assert_int_eq(list_setting_set(db, l.id, "no_such", "x", err,
	    sizeof(err)), KITH_PERM);
	ck_assert_int_eq(list_setting_set(db, l.id, "max_size", "-5", err,
	    sizeof(err)), KITH_PERM);
	ck_assert_int_eq(list_setting_set(db, l.id, "subject_prefix", "a\nb", err,
	    sizeof(err)), KITH_PERM);
	list_release(&l);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_auto, 0,
	    (int)(sizeof(auto_cases) / sizeof(auto_cases[0])));
	tcase_add_test(tc, test_loop_and_rights);
	suite_add_tcase(s, tc);
	return s;
}

/* test_inbound - routing and exit codes through inbound_receive(). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/config.h"
#include "kith/db.h"
#include "kith/inbound.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "unit.h"

static char dir[256];
static struct kith_config cfg;
static struct db *db;

static void
setup(void)
{
	char err[256];
	struct list l;

	db = unit_db(dir, sizeof(dir));
	setenv("KITH_HOME", dir, 1);
	ck_assert_int_eq(config_load(&cfg, "/dev/null", err, sizeof(err)), 0);
	unsetenv("KITH_HOME");
	{
		char *secret = config_secret_path(&cfg);

		ck_assert_int_eq(token_secret_create(secret, err, sizeof(err)), 0);
		free(secret);
	}
	ck_assert_int_eq(list_create(db, "team@example.org", "alice@example.org",
	    "Team", NULL, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_create(db, "my-events@example.org",
	    "alice@example.org", "Events", NULL, err, sizeof(err)), KITH_OK);
	list_find(db, "team", &l, err, sizeof(err));
	member_add(db, l.id, "bob@example.org", NULL);
	list_release(&l);
}

static void
teardown(void)
{
	db_close(db);
	config_release(&cfg);
	unit_rmdir(dir);
}

static const struct {
	const char *to, *from, *mail, *what;
	int code;
} route_cases[] = {
	{ "team@example.org", "bob@example.org",
	  "From: bob@example.org\nMessage-ID: <1@x>\n\nhi\n", "accepted", 0 },
	{ "TEAM@Example.Org", "bob@example.org",
	  "From: bob@example.org\nMessage-ID: <2@x>\n\nhi\n", "accepted", 0 },
	{ "nosuch@example.org", "bob@example.org",
	  "From: bob@example.org\n\nhi\n", "unknown", 67 },
	{ "team@other.example", "bob@example.org",
	  "From: bob@example.org\n\nhi\n", "unknown", 67 },
	{ "team-owner@example.org", "x@example.net",
	  "From: x@example.net\n\nhi\n", "forwarded", 0 },
	{ "team-request@example.org", "x@example.net",
	  "From: x@example.net\n\nhelp\n", "answered", 0 },
	{ "team-bounces+1-2-abc@example.org", "",
	  "From: MAILER-DAEMON@x\n\nbounce\n", "stored", 0 },
	{ "team@example.org", "eve@example.net",
	  "From: eve@example.net\nMessage-ID: <3@x>\n\nhi\n", "held", 0 },
	{ "team-confirm+c.1-0-aaaaaaaaaaaaaaaa@example.org", "x@example.net",
	  "From: x@example.net\n\nyes\n", "ignored", 0 },
	{ "team-events@example.org", "x@example.net",
	  "From: x@example.net\n\nrsvp\n", "recorded", 0 },
	{ "team@example.org", "bob@example.org", "\x01\x02garbage", "quarantined", 0 },
	{ "my-events@example.org", "alice@example.org",
	  "From: alice@example.org\nMessage-ID: <4@x>\n\nhi\n", "accepted", 0 },
	{ "team+detail@example.org", "bob@example.org",
	  "From: bob@example.org\n\nhi\n", "unsupported", 0 },
	{ "not an address", "bob@example.org", "From: b@c\n\nx\n", "unknown", 67 },
	{ "team@example.org", "bob@example.org",
	  "From bob@example.org Mon Jan  1 00:00:00 2026\rFrom: bob@example.org\r"
	  "Message-ID: <cr@x>\r\rbare CR lines\r", "accepted", 0 },
	{ "team@example.org", "bob@example.org",
	  "From bob@example.org Mon Jan  1 00:00:00 2026\nFrom: bob@example.org\n"
	  "Message-ID: <mbox@x>\n\nan mbox From_ line first\n", "accepted", 0 },
};

START_TEST(test_route)
{
	struct inbound_result r;

	inbound_receive(&cfg, route_cases[_i].mail, strlen(route_cases[_i].mail),
	    route_cases[_i].from, route_cases[_i].to, &r);
	ck_assert_msg(r.exit_code == route_cases[_i].code &&
	    !strcmp(r.what, route_cases[_i].what),
	    "to '%s': got %d %s (%s), want %d %s", route_cases[_i].to,
	    r.exit_code, r.what, r.reason, route_cases[_i].code,
	    route_cases[_i].what);
}
END_TEST

START_TEST(test_accept_is_atomic)
{
	struct inbound_result r;
	const char *mail = "From: bob@example.org\nMessage-ID: <atomic@x>\n\nhi\n";
	int st;

	inbound_receive(&cfg, mail, strlen(mail), "bob@example.org",
	    "team@example.org", &r);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_int_eq(db_int(db, 0, &st, "SELECT count(*) FROM posts", ""), 1);
	/* owner alice and member bob */
	ck_assert_int_eq(db_int(db, 0, &st, "SELECT count(*) FROM outbox", ""), 2);
	inbound_receive(&cfg, mail, strlen(mail), "bob@example.org",
	    "team@example.org", &r);
	ck_assert_str_eq(r.what, "dropped");
	ck_assert_int_eq(db_int(db, 0, &st, "SELECT count(*) FROM outbox", ""), 2);
}
END_TEST

Suite *
inbound_suite(void)
{
	Suite *s = suite_create("inbound");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_route, 0,
	    (int)(sizeof(route_cases) / sizeof(route_cases[0])));
	tcase_add_test(tc, test_accept_is_atomic);
	suite_add_tcase(s, tc);
	return s;
}

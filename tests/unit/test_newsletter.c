/* test_newsletter - rates, local times, the throttle's
 * spacing, reading bounce reports, and a campaign's times as its caller
 * gives them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/bounce.h"
#include "kith/compose.h"
#include "kith/config.h"
#include "kith/db.h"
#include "kith/event.h"
#include "kith/lists.h"
#include "kith/newsletter.h"
#include "kith/poll.h"
#include "kith/throttle.h"
#include "kith/timeutil.h"
#include "kith/util.h"
#include "unit.h"

static const struct {
	const char *spec;
	int ok;
	int64_t interval_us;
} rate_cases[] = {
	{ "600/min", 0, 100000 }, { "10/s", 0, 100000 }, { "3600/h", 0, 1000000 },
	{ "86400/day", 0, 1000000 }, { "0", 0, 0 }, { "", 0, 0 },
	{ "600", -1, 0 }, { "600/week", -1, 0 }, { "-5/min", -1, 0 },
	{ "10/min extra", -1, 0 }, { "fast", -1, 0 },
};

START_TEST(test_rate_parse)
{
	int64_t iv = -1;
	int r = throttle_parse(rate_cases[_i].spec, &iv);

	ck_assert_msg(r == rate_cases[_i].ok, "'%s': got %d, want %d",
	    rate_cases[_i].spec, r, rate_cases[_i].ok);
	if (r == 0)
		ck_assert_msg(iv == rate_cases[_i].interval_us, "'%s': interval "
		    "got %lld, want %lld", rate_cases[_i].spec, (long long)iv,
		    (long long)rate_cases[_i].interval_us);
}
END_TEST

START_TEST(test_html_escape)
{
	char *e = html_escape("<script>alert('x' & \"y\")</script>");

	ck_assert_str_eq(e, "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)"
	    "&lt;/script&gt;");
	free(e);
}
END_TEST

START_TEST(test_local_time)
{
	int64_t t;

	ck_assert_int_eq(local_time_parse("2026-12-01 09:00", "Asia/Seoul", &t), 0);
	ck_assert_int_eq(t, 1796083200);	/* 00:00 UTC */
	ck_assert_int_eq(local_time_parse("2026-07-01T12:30", "Europe/Prague", &t), 0);
	ck_assert_int_eq(t, 1782901800);	/* 10:30 UTC, summer time */
	ck_assert_int_eq(local_time_parse("2026-02-30 09:00", "UTC", &t), -1);
	ck_assert_int_eq(local_time_parse("2026-12-01 25:00", "UTC", &t), -1);
	ck_assert_int_eq(local_time_parse("tomorrow", "UTC", &t), -1);
	ck_assert_int_eq(local_time_parse("2026-12-01 09:00", "Mars/Base", &t), -1);
}
END_TEST

/* Grants from one scope are spaced a full interval apart. */
START_TEST(test_throttle_spacing)
{
	char dir[256];
	struct db *db = unit_db(dir, sizeof(dir));
	struct throttle_scope sc[2] = { { "site", 100000 }, { "list:1", 0 } };
	int64_t now = 1000000000, wait, granted = 0;

	ck_assert_ptr_nonnull(db);
	/* 100 tries every 10 ms over one second: 10 grants at 100 ms. */
	for (int i = 0; i < 100; i++, now += 10000) {
		ck_assert_int_eq(throttle_take(db, sc, 2, now, &wait), KITH_OK);
		if (wait == 0)
			granted++;
		else
			ck_assert(wait > 0 && wait <= 100000);
	}
	ck_assert_int_eq(granted, 10);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

static const struct {
	const char *name, *mail;
	int is_bounce, hard, permanent;
	const char *rcpt, *status;
} report_cases[] = {
	{ "dsn hard",
	  "From: MAILER-DAEMON@mx\nSubject: Undelivered Mail\nContent-Type: "
	  "multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
	  "--b\nContent-Type: text/plain\n\nfailed\n--b\nContent-Type: "
	  "message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
	  "Final-Recipient: rfc822; Bob@Example.org\nAction: failed\n"
	  "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: "
	  "Recipient address\n rejected: User unknown\n--b--\n",
	  1, 1, 1, "bob@example.org", "5.1.1" },
	{ "dsn full mailbox is soft though permanent",
	  "From: MAILER-DAEMON@mx\nSubject: Undeliverable\nContent-Type: "
	  "multipart/report; report-type=delivery-status; boundary=b\n\n"
	  "--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: "
	  "rfc822;c@example.org\nAction: failed\nStatus: 5.2.2\n\n--b--\n",
	  1, 0, 1, "c@example.org", "5.2.2" },
	{ "dsn delayed is no failure",
	  "From: MAILER-DAEMON@mx\nSubject: Delayed Mail\nContent-Type: "
	  "multipart/report; report-type=delivery-status; boundary=b\n\n"
	  "--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: "
	  "rfc822;d@example.org\nAction: delayed\nStatus: 4.4.1\n\n--b--\n",
	  0, 0, 0, "d@example.org", "4.4.1" },
	{ "dsn delivered is no bounce",
	  "From: MAILER-DAEMON@mx\nSubject: Delivered\nContent-Type: "
	  "multipart/report; report-type=delivery-status; boundary=b\n\n"
	  "--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: "
	  "rfc822;e@example.org\nAction: delivered\nStatus: 2.0.0\n\n--b--\n",
	  0, 0, 0, NULL, NULL },
	{ "exim",
	  "From: Mail Delivery System <Mailer-Daemon@mx>\nSubject: Mail "
	  "delivery failed: returning message to sender\nX-Failed-Recipients: "
	  "f@example.org\n\nThis message was created automatically by mail "
	  "delivery software.\n\n  f@example.org\n    host mx [1.2.3.4]\n"
	  "    SMTP error from remote mail server after RCPT TO:<f@example.org>:\n"
	  "    550 5.1.1 No such user here\n\n------ This is a copy of the "
	  "message, including all the headers. ------\nFrom: x@y.org\n",
	  1, 1, 1, "f@example.org", "5.1.1" },
	{ "refused after DATA is a filter, not a dead address",
	  "From: MAILER-DAEMON@mx\nSubject: Undelivered Mail Returned to "
	  "Sender\n\n<g@example.org>: host mx said: 550 User unknown (in reply "
	  "to end of DATA command)\n",
	  1, 0, 1, "g@example.org", "" },
	{ "out of office",
	  "From: h@example.org\nSubject: Out of Office: hello\n"
	  "Auto-Submitted: auto-replied\n\nI am away.\n",
	  0, 0, 0, NULL, NULL },
	{ "feedback report",
	  "From: abuse@isp\nSubject: complaint\nContent-Type: multipart/report; "
	  "report-type=feedback-report; boundary=b\n\n--b\nContent-Type: "
	  "message/feedback-report\n\nFeedback-Type: abuse\n--b--\n",
	  0, 0, 0, NULL, NULL },
	{ "garbage", "\x01\x02 not mail", 0, 0, 0, NULL, NULL },
};

START_TEST(test_bounce_reports)
{
	struct bounce_report r;
	const char *m = report_cases[_i].mail;

	bounce_parse(m, strlen(m), &r);
	ck_assert_msg(r.is_bounce == report_cases[_i].is_bounce,
	    "%s: is_bounce got %d (%s)", report_cases[_i].name, r.is_bounce,
	    r.not_why ? r.not_why : "");
	if (report_cases[_i].rcpt) {
		ck_assert_msg(r.n >= 1 && !strcmp(r.rcpts[0].address,
		    report_cases[_i].rcpt), "%s: rcpt got '%s'",
		    report_cases[_i].name, r.n ? r.rcpts[0].address : "-");
		ck_assert_msg(r.rcpts[0].hard == report_cases[_i].hard &&
		    r.rcpts[0].permanent == report_cases[_i].permanent,
		    "%s: hard %d permanent %d (%s)", report_cases[_i].name,
		    r.rcpts[0].hard, r.rcpts[0].permanent, r.rcpts[0].reason);
		ck_assert_msg(!strcmp(r.rcpts[0].status, report_cases[_i].status),
		    "%s: status '%s'", report_cases[_i].name, r.rcpts[0].status);
	}
	bounce_report_release(&r);
}
END_TEST

static const struct {
	const char *line;
	int multiple, want_n;
	const char *want;	/* chosen, 1-based, comma-separated */
} choice_cases[] = {
	{ "2", 0, 1, "2" }, { " 3 ", 0, 1, "3" }, { "#1", 0, 1, "1" },
	{ "Saturday", 0, 1, "2" }, { "saturday!", 0, 1, "2" },
	{ "Sunday works for me", 0, 1, "3" }, { "1, 3", 1, 2, "1,3" },
	{ "3 and 1", 1, 2, "1,3" }, { "1 1", 1, 1, "1" }, { "1, 3", 0, -2, "" },
	{ "7", 0, -1, "" }, { "0", 0, -1, "" }, { "maybe", 0, 0, "" },
	{ "", 0, 0, "" }, { "Fridays", 0, 0, "" },
};

START_TEST(test_poll_choice)
{
	struct poll p;
	int chosen[POLL_MAX_OPTIONS], n;
	char got[64] = "";

	memset(&p, 0, sizeof(p));
	p.options[0] = (char *)"Friday";
	p.options[1] = (char *)"Saturday";
	p.options[2] = (char *)"Sunday";
	p.noptions = 3;
	p.multiple = choice_cases[_i].multiple;
	n = poll_parse_choice(choice_cases[_i].line, &p, 0, chosen);
	for (int i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%d",
		    i ? "," : "", chosen[i] + 1);
	ck_assert_msg(n == choice_cases[_i].want_n && (n <= 0 ||
	    !strcmp(got, choice_cases[_i].want)), "'%s': got %d '%s', want %d "
	    "'%s'", choice_cases[_i].line, n, got, choice_cases[_i].want_n,
	    choice_cases[_i].want);
}
END_TEST

START_TEST(test_duration)
{
	ck_assert_int_eq(duration_parse("60d"), 60 * 86400);
	ck_assert_int_eq(duration_parse("1d12h"), 86400 + 12 * 3600);
	ck_assert_int_eq(duration_parse("90m"), 5400);
	ck_assert_int_eq(duration_parse("soon"), -1);
	ck_assert_int_eq(duration_parse("5"), -1);
	ck_assert_int_eq(duration_parse(""), -1);
	ck_assert_int_eq(event_duration_parse("2h"), 7200);
	ck_assert_int_eq(event_duration_parse("400d"), -1);
}
END_TEST

/* The site in dir (its configuration) and its list team@example.org. */
static void
team_site(struct db *db, const char *dir, struct kith_config *cfg,
    struct list *l)
{
	char err[256];

	ck_assert_ptr_nonnull(db);
	setenv("KITH_HOME", dir, 1);
	ck_assert_int_eq(config_load(cfg, "/dev/null", err, sizeof(err)), 0);
	unsetenv("KITH_HOME");
	ck_assert_int_eq(list_create(db, "team@example.org", "alice@example.org",
	    "Team", NULL, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", l, err, sizeof(err)), KITH_OK);
}

/*
 * A campaign is created and cancelled at the times its caller gives, not
 * at the machine's: created at T, cancelled an hour later, whatever the
 * clock says.
 */
START_TEST(test_campaign_clock)
{
	const int64_t t = 1796083200LL;	/* 2026-12-01 00:00 UTC */
	struct newsletter_draft d = { "Winter news", "Snow at last.", NULL,
	    NULL, NULL };
	struct kith_config cfg;
	struct list l;
	char dir[256], err[256];
	struct db *db = unit_db(dir, sizeof(dir));
	int64_t id, dropped;

	team_site(db, dir, &cfg, &l);
	ck_assert_int_eq(newsletter_create(&cfg, db, &l, &d, t, &id, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT created FROM campaigns "
	    "WHERE id=?", "i", id), t);
	ck_assert_int_eq(newsletter_cancel(db, id, t + 3600, &dropped, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(dropped, 0);
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT finished FROM campaigns "
	    "WHERE id=? AND state='cancelled'", "i", id), t + 3600);
	/* once cancelled, it stays as it was */
	ck_assert_int_eq(newsletter_cancel(db, id, t + 7200, &dropped, err,
	    sizeof(err)), KITH_PERM);
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT finished FROM campaigns "
	    "WHERE id=?", "i", id), t + 3600);
	list_release(&l);
	db_close(db);
	config_release(&cfg);
	unit_rmdir(dir);
}
END_TEST

/* A body every member gets as UTF-8: empty or not UTF-8 is refused, and
 * no draft is stored. */
static const struct {
	const char *text, *html, *why;
} bodies[] = {
	{ "Caf\xe9 ce soir\n", NULL, "must be UTF-8 text" },
	{ "", NULL, "is empty" },
	{ " \r\n\t\n", NULL, "is empty" },
	{ "ok\n", "<p>Caf\xe9</p>", "the HTML must be UTF-8" },
	{ "ok\n", "\n", "the HTML is empty" },
	{ "Caf\xc3\xa9 ce soir\n", "<p>Caf\xc3\xa9</p>", NULL },
};

START_TEST(test_body_refused)
{
	struct newsletter_draft d = { "News", bodies[_i].text, bodies[_i].html,
	    NULL, NULL };
	struct kith_config cfg;
	struct list l;
	char dir[256], err[256] = "";
	struct db *db = unit_db(dir, sizeof(dir));
	int64_t id = 0;
	int st;

	team_site(db, dir, &cfg, &l);
	st = newsletter_create(&cfg, db, &l, &d, 1796083200LL, &id, err,
	    sizeof(err));
	if (bodies[_i].why == NULL)
		ck_assert_msg(st == KITH_OK, "%d: %s", _i, err);
	else {
		ck_assert_int_eq(st, KITH_PERM);
		ck_assert_msg(strstr(err, bodies[_i].why) != NULL, "%d: %s", _i,
		    err);
		ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM "
		    "campaigns", ""), 0);
	}
	list_release(&l);
	db_close(db);
	config_release(&cfg);
	unit_rmdir(dir);
}
END_TEST

Suite *
newsletter_suite(void)
{
	Suite *s = suite_create("newsletter");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_rate_parse, 0,
	    sizeof(rate_cases) / sizeof(rate_cases[0]));
	tcase_add_test(tc, test_html_escape);
	tcase_add_test(tc, test_local_time);
	tcase_add_test(tc, test_throttle_spacing);
	tcase_add_loop_test(tc, test_bounce_reports, 0,
	    sizeof(report_cases) / sizeof(report_cases[0]));
	tcase_add_loop_test(tc, test_poll_choice, 0,
	    sizeof(choice_cases) / sizeof(choice_cases[0]));
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_campaign_clock);
	tcase_add_loop_test(tc, test_body_refused, 0,
	    (int)(sizeof(bodies) / sizeof(bodies[0])));
	suite_add_tcase(s, tc);
	return s;
}

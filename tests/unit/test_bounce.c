/*
 * test_bounce - reading delivery reports: golden files (tests/data/bounce:
 * every NAME.eml read and compared with NAME.out), table-driven cases for
 * the rules, bounce_failed, and no leak on any path.
 */
#include "config.h"

#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/bounce.h"
#include "kith/db.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/outbox.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "unit.h"

#define BOUNCE_DATA TEST_DATA_DIR "/bounce"
#define MAX_GOLDEN 64

static const char *const actions[] = { "failed", "delayed", "delivered" };

/*
 * render - a report as the golden files hold it: the verdict, then one
 * line per recipient ("failed hard|soft REASON STATUS", or the action and
 * status of one that did not fail).
 */
static char *
render(const struct bounce_report *r)
{
	struct buf b;

	buf_init(&b);
	if (r->is_bounce)
		buf_adds(&b, "verdict: bounce\n");
	else
		buf_addf(&b, "verdict: not: %s\n", r->not_why);
	for (size_t i = 0; i < r->n; i++) {
		const struct bounce_rcpt *rc = &r->rcpts[i];

		buf_addf(&b, "recipient: %s %s", *rc->address ? rc->address :
		    "(none)", actions[rc->action]);
		if (rc->action == BOUNCE_FAILED)
			buf_addf(&b, " %s %s", rc->hard ? "hard" : "soft",
			    rc->reason);
		buf_addf(&b, " %s\n", *rc->status ? rc->status : "-");
	}
	buf_addc(&b, '\0');
	return buf_detach(&b, NULL);
}

static char *golden[MAX_GOLDEN];	/* NAME of every NAME.eml */
static int ngolden;

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The golden inputs, sorted; called once when the suite is made. */
static void
find_golden(void)
{
	DIR *d = opendir(BOUNCE_DATA);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && ngolden < MAX_GOLDEN) {
		size_t n = strlen(e->d_name);

		if (n > 4 && !strcmp(e->d_name + n - 4, ".eml"))
			golden[ngolden++] = xstrndup(e->d_name, n - 4);
	}
	closedir(d);
	qsort(golden, (size_t)ngolden, sizeof(golden[0]), by_name);
}

START_TEST(test_golden)
{
	struct bounce_report r;
	struct buf in, want;
	char *path, *got;

	buf_init(&in);
	buf_init(&want);
	path = xasprintf("%s/%s.eml", BOUNCE_DATA, golden[_i]);
	ck_assert_msg(buf_read_file(&in, path) == 0, "cannot read %s", path);
	free(path);
	path = xasprintf("%s/%s.out", BOUNCE_DATA, golden[_i]);
	ck_assert_msg(buf_read_file(&want, path) == 0, "%s.eml has no %s.out",
	    golden[_i], golden[_i]);
	free(path);
	buf_addc(&want, '\0');
	bounce_parse(in.data, in.len, &r);
	got = render(&r);
	ck_assert_msg(!strcmp(got, want.data), "%s: got\n%s-- want\n%s",
	    golden[_i], got, want.data);
	free(got);
	bounce_report_release(&r);
	buf_release(&in);
	buf_release(&want);
}
END_TEST

/* There are golden files, and every one has its expected output. */
START_TEST(test_golden_present)
{
	ck_assert_msg(ngolden >= 20, "only %d golden reports in %s", ngolden,
	    BOUNCE_DATA);
}
END_TEST

#define DSN_HEAD "From: MAILER-DAEMON@mx.example.net\nTo: " \
	"team-bounces+1.a-b@lists.example.org\nSubject: Undelivered Mail\n" \
	"MIME-Version: 1.0\nContent-Type: multipart/report; " \
	"report-type=delivery-status; boundary=\"B\"\n\n--B\n" \
	"Content-Type: text/plain\n\n"
#define DSN_PART "\n--B\nContent-Type: message/delivery-status\n\n" \
	"Reporting-MTA: dns; mx.example.net\n\n"
#define PLAIN_HEAD "From: MAILER-DAEMON@mx.example.net\nTo: " \
	"team-bounces+1.a-b@lists.example.org\nSubject: Returned mail\n\n"

/* One rule each: the report, and what it must say of its first failure. */
static const struct {
	const char *name, *mail;
	int is_bounce;		/* 1, 0; 2: a delay notice */
	const char *rcpt;	/* the failed (or delayed) one; NULL: none */
	int hard;
	const char *reason, *status;
} cases[] = {
	{ "a status code decides before words of a footer",
	  PLAIN_HEAD "<a@example.org>:\nRemote host said: 550 5.1.1 "
	  "<a@example.org>... User unknown\n\nThis mail was scanned: no virus "
	  "found, not infected.\n",
	  1, "a@example.org", 1, "userunknown", "5.1.1" },
	{ "but a full mailbox on the recipient's own line beats 5.1.1",
	  PLAIN_HEAD "<a@example.org>: 550 5.1.1 <a@example.org>: mailbox "
	  "is full\n",
	  1, "a@example.org", 0, "mailboxfull", "5.1.1" },
	{ "no such user at RCPT TO is hard",
	  PLAIN_HEAD "<a@example.org>: host mx said: 550 No such user (in "
	  "reply to RCPT TO command)\n",
	  1, "a@example.org", 1, "userunknown", "" },
	{ "no such user at end of DATA is a filter",
	  PLAIN_HEAD "<a@example.org>: host mx said: 550 No such user (in "
	  "reply to end of DATA command)\n",
	  1, "a@example.org", 0, "filtered", "" },
	{ "a server's '550 User unknown' in no known step is a filter",
	  PLAIN_HEAD "<a@example.org>: host mx said: 550 User unknown\n",
	  1, "a@example.org", 0, "filtered", "" },
	{ "the reporting server's own words are enough",
	  PLAIN_HEAD "a@example.org: unknown user, no mailbox here\n",
	  1, "a@example.org", 1, "userunknown", "" },
	{ "a transcript reply to >>> DATA is a filter",
	  PLAIN_HEAD "<a@example.org>\n\n>>> DATA\n<<< 550 Unknown user "
	  "a@example.org\n554 5.0.0 Service unavailable\n",
	  1, "a@example.org", 0, "filtered", "5.0.0" },
	{ "a transcript reply to >>> RCPT is the address",
	  PLAIN_HEAD ">>> RCPT To:<a@example.org>\n<<< 550 Mailbox not "
	  "found\n",
	  1, "a@example.org", 1, "userunknown", "" },
	{ "qmail: most progress was RCPT TO response",
	  PLAIN_HEAD "<a@example.org>:\nSorry, no SMTP connection got far "
	  "enough; most progress was RCPT TO response; remote host said: 550 "
	  "Unknown user a@example.org\n",
	  1, "a@example.org", 1, "userunknown", "" },
	{ "Yahoo: [RCPT_TO]",
	  PLAIN_HEAD "<a@example.org>:\nRemote host said:\n550 5.2.1 "
	  "<a@example.org>... User Unknown\n[RCPT_TO]\n",
	  1, "a@example.org", 1, "userunknown", "5.2.1" },
	{ "a refusal of MAIL FROM is about our sender",
	  PLAIN_HEAD "  a@example.org\n    SMTP error from remote mail server "
	  "after MAIL FROM:<x@lists.example.org>:\n    553 lists.example.org "
	  "does not exist\n",
	  1, "a@example.org", 0, "rejected", "" },
	{ "a failed local program is the system's trouble",
	  DSN_HEAD "failed\n" DSN_PART "Final-Recipient: rfc822; a@example.org"
	  "\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: x-unix; procmail: "
	  "No such user\n\n--B--\n",
	  1, "a@example.org", 0, "mailererror", "5.1.1" },
	{ "what the server calls transient is soft, even host not found",
	  DSN_HEAD "failed\n" DSN_PART "Final-Recipient: rfc822; a@example.org"
	  "\nAction: failed\nStatus: 4.0.0\nDiagnostic-Code: smtp; DNS Error: "
	  "Domain name not found\n\n--B--\n",
	  1, "a@example.org", 0, "hostunknown", "4.0.0" },
	{ "but a code that names a bad address is hard in any class",
	  DSN_HEAD "failed\n" DSN_PART "Final-Recipient: rfc822; a@example.org"
	  "\nAction: failed\nStatus: 4.1.1\nDiagnostic-Code: smtp; 450 4.1.1 "
	  "User unknown in virtual alias table\n\n--B--\n",
	  1, "a@example.org", 1, "userunknown", "4.1.1" },
	{ "a more specific code than the report's 5.0.0",
	  DSN_HEAD "a@example.org: 550 5.7.26 <a@example.org>: multiple "
	  "authentication checks failed\n" DSN_PART "Final-Recipient: rfc822; "
	  "a@example.org\nAction: failed\nStatus: 5.0.0\n\n--B--\n",
	  1, "a@example.org", 0, "authfailure", "5.7.26" },
	{ "the fields of a recipient in any order",
	  DSN_HEAD "failed\n" DSN_PART "Diagnostic-Code: smtp; 550 5.1.1 "
	  "Recipient address does not exist\nStatus: 5.1.1\nFinal-Recipient: "
	  "rfc822; a@example.org\nAction: failed\n\n--B--\n",
	  1, "a@example.org", 1, "userunknown", "5.1.1" },
	{ "recipients without blank lines between them",
	  DSN_HEAD "failed\n" DSN_PART "Original-Recipient: rfc822;a@example.org"
	  "\nFinal-Recipient: rfc822;a@example.org\nAction: delayed\nStatus: "
	  "4.4.1\nOriginal-Recipient: rfc822;b@example.org\nFinal-Recipient: "
	  "rfc822;b@example.org\nAction: failed\nStatus: 5.2.2\n\n--B--\n",
	  1, "b@example.org", 0, "mailboxfull", "5.2.2" },
	{ "the address the sender wrote, not where it was forwarded",
	  DSN_HEAD "failed\n" DSN_PART "Final-Recipient: rfc822; "
	  "a.b@mbox.example.org\nOriginal-Recipient: rfc822;a@example.org\n"
	  "Action: failed\nStatus: 5.2.2\n\n--B--\n",
	  1, "a@example.org", 0, "mailboxfull", "5.2.2" },
	{ "Postfix's address verification: deliverable",
	  DSN_HEAD "ok\n" DSN_PART "Final-Recipient: rfc822; a@example.org\n"
	  "Action: deliverable\nStatus: 2.1.5\n\n--B--\n",
	  0, NULL, 0, NULL, NULL },
	{ "a delay in words, no DSN",
	  PLAIN_HEAD "a@example.org: connection timed out\nThis is a warning "
	  "only; I will keep trying for 5 days.\n",
	  2, "a@example.org", 0, "delayed", "" },
	{ "'will not continue trying' is no delay",
	  PLAIN_HEAD "<a@example.org>  delivery failed; will not continue "
	  "trying: 550 5.1.1 user unknown\n",
	  1, "a@example.org", 1, "userunknown", "5.1.1" },
	{ "an SES notification inside an SNS message",
	  "From: AWS Notifications <no-reply@sns.amazonaws.com>\nTo: "
	  "x@example.org\nSubject: AWS Notification Message\n\n{\"Type\" : "
	  "\"Notification\", \"Message\" : \"{\\\"notificationType\\\":"
	  "\\\"Bounce\\\",\\\"bounce\\\":{\\\"bouncedRecipients\\\":[{"
	  "\\\"emailAddress\\\":\\\"a@example.org\\\",\\\"action\\\":"
	  "\\\"failed\\\",\\\"status\\\":\\\"5.1.1\\\"}]}}\"}\n",
	  1, "a@example.org", 1, "userunknown", "5.1.1" },
	{ "an mbox From line before the report",
	  "From MAILER-DAEMON Tue Nov 10 08:00:00 2026\n" PLAIN_HEAD
	  "<a@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
	  1, "a@example.org", 1, "userunknown", "5.1.1" },
	{ "CR line ends",
	  "From: MAILER-DAEMON@mx.example.net\rSubject: failure notice\r\r"
	  "<a@example.org>:\rSorry, no mailbox here by that name. (#5.1.1)\r",
	  1, "a@example.org", 1, "userunknown", "5.1.1" },
	{ "a quoted To: line is not a failed recipient",
	  PLAIN_HEAD "Your message\n  To: b@example.org\n  Subject: hi\ndid "
	  "not reach the following recipient(s):\na@example.org on Tue\n"
	  "  The recipient name is not recognized\n",
	  1, "a@example.org", 1, "userunknown", "" },
	{ "a challenge (TMDA) is no failure",
	  "From: a@example.org\nTo: team-bounces+1.a-b@lists.example.org\n"
	  "Subject: Please confirm your message\nX-Delivery-Agent: TMDA/1.1\n\n"
	  "Your message has not been delivered to a@example.org yet.\n",
	  0, NULL, 0, NULL, NULL },
	{ "not mail at all", "\x01\x02 not mail", 0, NULL, 0, NULL, NULL },
	{ "empty", "", 0, NULL, 0, NULL, NULL },
};

START_TEST(test_rules)
{
	struct bounce_report r;
	const struct bounce_rcpt *rc = NULL;
	const char *m = cases[_i].mail;

	bounce_parse(m, strlen(m), &r);
	ck_assert_msg(r.is_bounce == (cases[_i].is_bounce == 1) &&
	    r.delay == (cases[_i].is_bounce == 2), "%s: is_bounce %d delay %d "
	    "(%s)", cases[_i].name, r.is_bounce, r.delay,
	    r.not_why ? r.not_why : "");
	/* the first failure, else the first delay */
	if ((rc = bounce_failed(&r, NULL)) == NULL)
		for (size_t i = 0; i < r.n && rc == NULL; i++)
			if (r.rcpts[i].action == BOUNCE_DELAYED)
				rc = &r.rcpts[i];
	if (cases[_i].rcpt == NULL)
		ck_assert_msg(rc == NULL || !r.is_bounce, "%s: a failure of '%s'",
		    cases[_i].name, rc ? rc->address : "");
	else {
		ck_assert_msg(rc != NULL && !strcmp(rc->address, cases[_i].rcpt),
		    "%s: recipient '%s'", cases[_i].name, rc ? rc->address : "-");
		ck_assert_msg(rc->hard == cases[_i].hard &&
		    !strcmp(rc->reason, cases[_i].reason), "%s: %s %s",
		    cases[_i].name, rc->hard ? "hard" : "soft", rc->reason);
		ck_assert_msg(!strcmp(rc->status, cases[_i].status),
		    "%s: status '%s'", cases[_i].name, rc->status);
	}
	bounce_report_release(&r);
}
END_TEST

/* Which entry of a report scores the recipient the VERP token names. */
START_TEST(test_failed_for)
{
	static const char mixed[] = DSN_HEAD "mixed\n" DSN_PART
	    "Final-Recipient: rfc822; jana@example.net\nAction: delivered\n"
	    "Status: 2.0.0\n\nFinal-Recipient: rfc822; petr@example.net\n"
	    "Action: failed\nStatus: 5.1.1\n\nFinal-Recipient: rfc822; "
	    "eva@example.net\nAction: delayed\nStatus: 4.4.1\n\n--B--\n";
	static const char delayed[] = DSN_HEAD "late\n" DSN_PART
	    "Final-Recipient: rfc822; eva@example.net\nAction: delayed\n"
	    "Status: 4.4.1\n\n--B--\n";
	struct bounce_report r;
	const struct bounce_rcpt *f;

	bounce_parse(mixed, strlen(mixed), &r);
	ck_assert_int_eq(r.is_bounce, 1);
	ck_assert_ptr_null(bounce_failed(&r, "jana@example.net"));
	ck_assert_ptr_null(bounce_failed(&r, "eva@example.net"));
	f = bounce_failed(&r, "petr@example.net");
	ck_assert(f && !strcmp(f->address, "petr@example.net") && f->hard);
	/* a forwarded address: the report names another one */
	f = bounce_failed(&r, "petr.old@example.org");
	ck_assert(f && !strcmp(f->address, "petr@example.net"));
	f = bounce_failed(&r, NULL);
	ck_assert(f && !strcmp(f->address, "petr@example.net"));
	bounce_report_release(&r);
	bounce_parse(delayed, strlen(delayed), &r);
	ck_assert_int_eq(r.is_bounce, 0);
	ck_assert_int_eq(r.delay, 1);
	ck_assert_ptr_null(bounce_failed(&r, "eva@example.net"));
	ck_assert_ptr_null(bounce_failed(&r, NULL));
	bounce_report_release(&r);
}
END_TEST

/* The VERP token of row's copy to rcpt, as delivery makes it. */
static char *
verp_token(const struct token_key *k, struct db *db, int64_t msg,
    const char *rcpt)
{
	char payload[32];
	int64_t row = db_int(db, 0, NULL, "SELECT id FROM outbox WHERE "
	    "message_id=? AND rcpt=?", "it", msg, rcpt);

	ck_assert(row > 0);
	snprintf(payload, sizeof(payload), "%lld", (long long)row);
	return token_make(k, "verp", "team-bounces", rcpt, payload,
	    now_utc() + 86400);
}

/* What a member has been scored, in halves. */
static int64_t
scored(struct db *db, const char *address)
{
	return db_int(db, -1, NULL, "SELECT coalesce(sum(score), 0) FROM "
	    "bounces WHERE address=?", "t", address);
}

/*
 * A report about three copies, one delivered, one failed, one delayed,
 * comes back for each of them (the VERP token names whose copy it was):
 * only the failed one is scored.  (The issue: the delivered one was
 * scored as a hard failure.)
 */
START_TEST(test_handle_scores_failures_only)
{
	static const char report[] = DSN_HEAD "mixed\n" DSN_PART
	    "Final-Recipient: rfc822; jana@example.net\nAction: delivered\n"
	    "Status: 2.0.0\nDiagnostic-Code: smtp; 250 2.0.0 Ok: queued\n\n"
	    "Final-Recipient: rfc822; petr@example.net\nAction: failed\n"
	    "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n"
	    "Final-Recipient: rfc822; eva@example.net\nAction: delayed\n"
	    "Status: 4.4.1\n\n--B--\n";
	static const char *const rcpts[] = { "jana@example.net",
		"petr@example.net", "eva@example.net" };
	static const int64_t want[] = { 0, 2, 0 };
	struct token_key *k = token_key_new((const unsigned char *)
	    "bounce-unit-test-secret", 23);
	struct kith_config cfg;
	char dir[256], err[256], line[512];
	struct db *db = unit_db(dir, sizeof(dir));
	struct list l;
	int64_t msg;

	ck_assert_ptr_nonnull(db);
	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(list_create(db, "team@lists.example.org",
	    "owner@example.org", "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team@lists.example.org", &l, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(outbox_message_add(db, l.id, 0, "post",
	    "team-bounces", "lists.example.org", NULL, "Subject: x\n\nhi\n",
	    16, &msg), KITH_OK);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(member_add(db, l.id, rcpts[i], ""),
		    MEMBER_ADDED);
		ck_assert_int_eq(outbox_rcpt_add(db, msg, rcpts[i]), KITH_OK);
	}
	for (int i = 0; i < 3; i++) {
		char *tok = verp_token(k, db, msg, rcpts[i]);

		ck_assert_int_eq(bounce_handle(&cfg, db, k, &l, tok, report,
		    strlen(report), line, sizeof(line)), KITH_OK);
		ck_assert_msg(scored(db, rcpts[i]) == want[i], "%s scored %lld "
		    "halves (%s)", rcpts[i], (long long)scored(db, rcpts[i]),
		    line);
		free(tok);
	}
	list_release(&l);
	token_key_free(k);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/* Read and release input n times. */
static void
read_times(const char *input, int n)
{
	for (int k = 0; k < n; k++) {
		struct bounce_report r;

		bounce_parse(input, strlen(input), &r);
		bounce_report_release(&r);
	}
}

/*
 * Nothing stays allocated after a report is read and released, also when
 * it is no mail at all (bounce_parse used to keep the seven fields the
 * failed message_parse had allocated: 224 bytes a read, 112 KB here).
 * malloc's own count over 500 reads, after 50 to warm up: what the C
 * library keeps for reuse (its per-thread caches) stays under a few KB,
 * a leak grows with every read.
 */
START_TEST(test_no_leak)
{
	static const char *const inputs[] = { "\x01\x02 not mail", "",
		PLAIN_HEAD "<a@example.org>: 550 5.1.1 User unknown\n",
		DSN_HEAD "x\n" DSN_PART "Final-Recipient: rfc822; a@example.org\n"
		"Action: failed\nStatus: 5.1.1\n\n--B--\n" };

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct mallinfo2 before, after;

		read_times(inputs[i], 50);
		before = mallinfo2();
		read_times(inputs[i], 500);
		after = mallinfo2();
		ck_assert_msg(after.uordblks < before.uordblks + 32768, "input %zu: "
		    "%zu bytes more in use after 500 reads", i,
		    after.uordblks - before.uordblks);
	}
}
END_TEST

Suite *
bounce_suite(void)
{
	Suite *s = suite_create("bounce");
	TCase *tc = tcase_create("core");

	find_golden();
	tcase_add_test(tc, test_golden_present);
	tcase_add_loop_test(tc, test_golden, 0, ngolden);
	tcase_add_loop_test(tc, test_rules, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_failed_for);
	tcase_add_test(tc, test_handle_scores_failures_only);
	tcase_add_test(tc, test_no_leak);
	suite_add_tcase(s, tc);
	return s;
}

/* test_compose - subject prefix rules and the list copy's header rewrite. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/message.h"
#include "unit.h"

static const struct {
	const char *subject, *prefix, *want;
} prefix_cases[] = {
	{ "Hello", "[team]", "[team] Hello" },
	{ "[team] Hello", "[team]", "[team] Hello" },
	{ "Re: [team] Hello", "[team]", "[team] Re: Hello" },
	{ "Re: [team] Re: [team] Hello", "[team]", "[team] Re: Hello" },
	{ "RE: Re: re: Hello", "[team]", "[team] Re: Hello" },
	{ "AW: [TEAM] Hallo", "[team]", "[team] Re: Hallo" },
	{ "Re[2]: [team] x", "[team]", "[team] Re: x" },
	{ "Fwd: [team] x", "[team]", "[team] Fwd: x" },
	{ "Regarding the plan", "[team]", "[team] Regarding the plan" },
	{ "[team]", "[team]", "[team]" },
	{ "Re: Συνάντηση", "[ομάδα]", "[ομάδα] Re: Συνάντηση" },
	{ "Re: Hello", "", "Re: Hello" },
	{ "", "[team]", "[team]" },
};

START_TEST(test_subject_prefix)
{
	char *got = subject_prefixed(prefix_cases[_i].subject,
	    prefix_cases[_i].prefix);

	ck_assert_msg(!strcmp(got, prefix_cases[_i].want),
	    "'%s' with '%s': got '%s', want '%s'", prefix_cases[_i].subject,
	    prefix_cases[_i].prefix, got, prefix_cases[_i].want);
	free(got);
}
END_TEST

START_TEST(test_list_copy)
{
	const char *raw =
	    "Return-Path: <x@y>\r\n"
	    "From: Bob <bob@example.org>\r\n"
	    "Subject: =?UTF-8?Q?Re=3A_=5Bteam=5D_caf=C3=A9?=\r\n"
	    "List-Id: other <other.example.net>\r\n"
	    "Reply-To: bob@example.org\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "Body line 1\r\n.\r\nFrom here\r\n";
	struct list_copy_opts o = {
		"team@example.org", "team", "example.org",
		"Ομάδα \"quoted\"\r\nBcc: evil@example.com", "[team]", 1, "",
		"gen@example.org", 0, NULL
	};
	struct message m;
	char err[128], *copy, *body;
	size_t len;

	ck_assert_int_eq(message_parse(&m, raw, strlen(raw), err, sizeof(err)), 0);
	copy = compose_list_copy(&o, &m, &len);
	ck_assert_uint_eq(strlen(copy), len);
	body = strstr(copy, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	ck_assert_str_eq(body + 4, "Body line 1\r\n.\r\nFrom here\r\n");
	ck_assert_msg(!strstr(copy, "Return-Path"), "Return-Path dropped");
	ck_assert_msg(!strstr(copy, "other.example.net"), "foreign List-Id dropped");
	ck_assert_msg(strstr(copy, "\r\nReply-To: <team@example.org>\r\n"), "Reply-To list");
	ck_assert_msg(!strstr(copy, "Reply-To: bob"), "author Reply-To replaced");
	ck_assert_msg(strstr(copy, "Message-ID: <gen@example.org>\r\n"), "Message-ID added");
	ck_assert_msg(strstr(copy, "\r\nX-Loop: team@example.org\r\n"), "X-Loop");
	ck_assert_msg(strstr(copy, "\r\nPrecedence: list\r\n"), "Precedence");
	ck_assert_msg(strstr(copy, "<team.example.org>\r\n"), "List-Id");
	/* The hostile list name never starts a header of its own. */
	ck_assert_msg(!strstr(copy, "\r\nBcc:"), "header injection: %s", copy);
	ck_assert_msg(!strstr(copy, "\nBcc:"), "header injection: %s", copy);
	/* Every header line ends in CRLF, as the message did. */
	for (const char *p = copy; p < body; p++)
		if (*p == '\n')
			ck_assert_msg(p > copy && p[-1] == '\r', "bare LF at %ld",
			    (long)(p - copy));
	message_release(&m);
	free(copy);
}
END_TEST

START_TEST(test_obsolete_header_syntax)
{
	const char *raw = "From    : a@example.org\nTo\t: b@example.org\n\nbody\n";
	struct list_copy_opts o = { "team@example.org", "team", "example.org",
		"T", "", 0, "", "gen@x", 0, NULL };
	struct message m;
	char err[64], *copy;
	size_t len;

	ck_assert_int_eq(message_parse(&m, raw, strlen(raw), err, sizeof(err)), 0);
	ck_assert_str_eq(m.from_addr, "a@example.org");
	copy = compose_list_copy(&o, &m, &len);
	const char *want = "From: a@example.org\nTo: b@example.org\n";

	ck_assert_msg(!strncmp(copy, want, strlen(want)), "got: %s", copy);
	ck_assert_msg(strstr(copy, "\n\nbody\n"), "body kept: %s", copy);
	message_release(&m);
	free(copy);
}
END_TEST

START_TEST(test_from_rewrite)
{
	const char *raw = "From: =?UTF-8?B?zpHOu86vzrrOtw==?= <alice@strict.example>\n"
	    "Reply-To: other@strict.example\nSender: x@y.z\nSubject: hi\n\nbody\n";
	struct list_copy_opts o = { "team@example.org", "team", "example.org",
		"Team", "", 0, "", "gen@x", 1, NULL };
	struct message m;
	char err[64], *copy;
	size_t len;

	ck_assert_int_eq(message_parse(&m, raw, strlen(raw), err, sizeof(err)), 0);
	copy = compose_list_copy(&o, &m, &len);
	ck_assert_msg(strstr(copy, "From: =?UTF-8?B?") && strstr(copy,
	    "<team@example.org>\nReply-To: <alice@strict.example>\n"), "%s", copy);
	ck_assert_msg(!strstr(copy, "alice@strict.example>\nReply-To: other") &&
	    !strstr(copy, "Sender:") && !strstr(copy, "other@strict"), "%s", copy);
	message_release(&m);
	free(copy);
}
END_TEST

START_TEST(test_notice)
{
	size_t len;
	struct notice nt = { "Team \"A\"", "team-owner@example.org",
		"x@example.net", "Subject\r\nBcc: evil@example.com", "id@x",
		"team-confirm+t@example.org", "<team.example.org>",
		"line one\nline two\n", NULL, 0, 1, 0 };
	char *n = compose_notice(&nt, &len);

	ck_assert_msg(strstr(n, "Auto-Submitted: auto-replied\r\n"), "%s", n);
	free(n);
	nt.reply = 0;	/* made on its own: RFC 3834 auto-generated */
	n = compose_notice(&nt, &len);
	ck_assert_msg(strstr(n, "Auto-Submitted: auto-generated\r\n"), "%s", n);
	ck_assert_msg(strstr(n, "In-Reply-To: <id@x>\r\n"), "%s", n);
	ck_assert_msg(strstr(n, "Reply-To: <team-confirm+t@example.org>\r\n"), "%s", n);
	ck_assert_msg(!strstr(n, "\nBcc:"), "header injection: %s", n);
	ck_assert_msg(strstr(n, "\r\n\r\nline one\r\nline two\r\n"), "%s", n);
	free(n);
	/* made earlier than composed (a leave's notice, at delivery) */
	nt.date = 1780304400;	/* 2026-06-01 09:00:00 UTC */
	n = compose_notice(&nt, &len);
	ck_assert_msg(strstr(n, "Date: Mon, 01 Jun 2026 09:00:00 +0000\r\n"), "%s", n);
	free(n);
	nt.date = 0;
	nt.attach = "Subject: held\n\nbody\n";
	nt.attach_len = strlen(nt.attach);
	n = compose_notice(&nt, &len);
	ck_assert_msg(strstr(n, "multipart/mixed") && strstr(n,
	    "Content-Type: message/rfc822\r\n") && strstr(n, "Subject: held"),
	    "%s", n);
	free(n);
}
END_TEST

Suite *
compose_suite(void)
{
	Suite *s = suite_create("compose");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_subject_prefix, 0,
	    (int)(sizeof(prefix_cases) / sizeof(prefix_cases[0])));
	tcase_add_test(tc, test_list_copy);
	tcase_add_test(tc, test_notice);
	tcase_add_test(tc, test_obsolete_header_syntax);
	tcase_add_test(tc, test_from_rewrite);
	suite_add_tcase(s, tc);
	return s;
}

/* test_requests - the command language, table-driven. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kith/i18n.h"
#include "kith/requests.h"
#include "unit.h"

static const struct {
	const char *subject, *body;
	const char *want;	/* verbs and args, "verb:args|..." */
} cases[] = {
	{ "subscribe", "", "subscribe:" },
	{ "Re: Re: unsubscribe", "", "unsubscribe:" },
	{ "", "help\n", "help:" },
	{ "", "  SET digest daily  \ninfo\n", "set:digest daily|info:" },
	{ "question", "set nomail until 2026-12-24\n", "set:nomail until 2026-12-24" },
	{ "", "\n\nindex\nget 12\n", "index:|get:12" },
	{ "", "who\nthanks for the list!\nhelp\n", "who:" },
	{ "", "set mail\n-- \nBob\nunsubscribe\n", "set:mail" },
	{ "", "set mail\n--\nunsubscribe\n", "set:mail" },
	{ "", "> subscribe\n> set nomail\ninfo\n> help\nindex\n", "info:|index:" },
	{ "", "subscribe bob@example.org Bob\n", "subscribe:bob@example.org Bob" },
	{ "", "Hi, please add me\nsubscribe\n", "" },
	{ "", "subscribe\nend\nhelp\n", "subscribe:" },
	{ "Out of ideas", "frobnicate\n", "" },
	{ "info", "index\n", "info:|index:" },
	/* a command in both Subject and body runs once */
	{ "set digest daily", "set digest daily\n", "set:digest daily" },
	{ "Re: SET digest daily", "set DIGEST daily\n", "set:DIGEST daily" },
	{ "rsvp", "rsvp yes 3\n", "rsvp:yes 3" },
	{ "rsvp yes 3", "rsvp yes 3\nrsvp yes 3\n", "rsvp:yes 3" },
	{ "help", "info\nhelp\n", "info:|help:" },
	{ "rsvp yes 3", "rsvp no 4\n", "rsvp:yes 3|rsvp:no 4" },
	{ "", "vote 1 2\nvote 1 2\nvote 1 3\n", "vote:1 2|vote:1 3" },
};

START_TEST(test_parse)
{
	struct command cmds[REQUESTS_MAX];
	char got[16384] = "";
	int n = requests_parse(cases[_i].subject, cases[_i].body, cmds,
	    REQUESTS_MAX);

	for (int i = 0; i < n; i++) {
		size_t len = strlen(got);

		snprintf(got + len, sizeof(got) - len, "%s%s:%s", i ? "|" : "",
		    cmds[i].verb, cmds[i].args);
	}
	ck_assert_msg(!strcmp(got, cases[_i].want), "case %d: got '%s', want "
	    "'%s'", _i, got, cases[_i].want);
}
END_TEST

START_TEST(test_limit)
{
	struct command cmds[REQUESTS_MAX];
	char body[4096] = "";

	/* distinct commands: a repeated one would run once */
	for (int i = 0; i < 50; i++)
		snprintf(body + strlen(body), sizeof(body) - strlen(body),
		    "get %d\n", i + 1);
	ck_assert_int_eq(requests_parse("", body, cmds, REQUESTS_MAX),
	    REQUESTS_MAX);
}
END_TEST

/* A post that is a request to join or leave, sent to everyone; and posts
 * that only talk about one. */
static const struct {
	const char *lang, *subject, *body;
	int want;
} posts[] = {
	{ NULL, "unsubscribe", "", 1 },
	{ NULL, "UNSUBSCRIBE!", "Sent from my phone\n", 1 },
	{ NULL, "Re: [Hikers] Saturday", "unsubscribe\n\nSent from my iPhone\n"
	    "> On Sat, Jana wrote:\n> see you\n", 1 },
	{ NULL, "Saturday", "Please remove me from this list.\nThanks, Petr\n", 1 },
	{ NULL, "", "  Unsubscribe me please  \n-- \nPetr\nlong signature\n"
	    "lines\nmore\n", 1 },
	{ NULL, "Fwd: remove me", "", 1 },
	{ NULL, "subscribe", "", 1 },
	{ NULL, "Leave", "", 1 },
	{ NULL, "Unsubscribe from what?", "", 0 },
	{ NULL, "Unsubscribing", "", 0 },
	{ NULL, "Saturday", "I think the unsubscribe link is broken.\n", 0 },
	{ NULL, "Saturday", "unsubscribe\nline two\nline three\nline four\n", 0 },
	{ NULL, "Help", "", 0 },
	{ NULL, "Leave early on Sunday", "", 0 },
	{ NULL, "Remove the old photos", "", 0 },
	{ NULL, "odhlásit", "", 0 },	/* Czech, read as English only */
	{ "cs", "odhlásit", "", 1 },
	{ "cs", "", "Odhlasit se\n", 1 },
	{ "cs", "Odhlásit se z výletu?", "", 0 },
	{ "ko", "구독 취소", "", 1 },
	{ "ko", "", "탈퇴\n", 1 },
	{ "de", "abmelden", "", 1 },
	{ "es", "Baja", "", 1 },
	{ NULL, "Baja", "", 0 },	/* a trip to Baja, on an English list */
	{ "fr", "", "Désabonner\n", 1 },
};

/* the languages, and how often they were asked for */
struct unit_langs {
	const struct i18n_lang *langs[2];
	int asked;
};

static const struct i18n_lang *const *
unit_langs(void *ctx)
{
	struct unit_langs *u = ctx;

	u->asked++;
	return u->langs;
}

START_TEST(test_misdirected)
{
	char err[512];
	struct i18n_lang *l = posts[_i].lang ? i18n_lang_load(
	    KITH_SOURCE_TEMPLATE_DIR, posts[_i].lang, err, sizeof(err)) : NULL;
	struct unit_langs ul = { { l, NULL }, 0 };

	ck_assert_msg(!posts[_i].lang || l, "%s: %s", posts[_i].lang, err);
	ck_assert_msg(requests_misdirected(posts[_i].subject, posts[_i].body,
	    unit_langs, &ul) == posts[_i].want, "case %d ('%s' / '%s'): want %d", _i,
	    posts[_i].subject, posts[_i].body, posts[_i].want);
	i18n_lang_free(l);
}
END_TEST

/* A long post never costs the language lookup. */
START_TEST(test_misdirected_lazy)
{
	struct unit_langs ul = { { NULL, NULL }, 0 };

	ck_assert_int_eq(requests_misdirected("Saturday's hike to Pálava, "
	    "and who brings the map", "Hello all,\nwe meet at nine.\n"
	    "Bring water.\nSee you!\n", unit_langs, &ul), 0);
	ck_assert_int_eq(ul.asked, 0);
	ck_assert_int_eq(requests_misdirected("unsubscribe", "", unit_langs,
	    &ul), 1);
	ck_assert_int_eq(ul.asked, 0);
	ck_assert_int_eq(requests_misdirected("Photos", "", unit_langs, &ul),
	    0);
	ck_assert_int_eq(ul.asked, 1);
}
END_TEST

Suite *
requests_suite(void)
{
	Suite *s = suite_create("requests");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_parse, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_limit);
	tcase_add_loop_test(tc, test_misdirected, 0,
	    (int)(sizeof(posts) / sizeof(posts[0])));
	tcase_add_test(tc, test_misdirected_lazy);
	suite_add_tcase(s, tc);
	return s;
}

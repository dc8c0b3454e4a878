/* test_poll - reading votes and recording them, table-driven. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/config.h"
#include "kith/db.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/membership.h"
#include "kith/poll.h"
#include "kith/reply.h"
#include "kith/util.h"
#include "unit.h"

static const struct {
	const char *line;
	int multiple, want_n;
	const char *want;	/* chosen, 1-based, comma-separated */
} choice_cases[] = {
	{ "2", 0, 1, "2" },
	{ "#3", 0, 1, "3" },
	{ "1, 3", 1, 2, "1,3" },
	{ "3 and 1", 1, 2, "1,3" },
	{ "1, 3", 0, -2, "" },
	{ "Saturday", 0, 1, "2" },
	{ "SATURDAY!", 0, 1, "2" },
	{ "Saturday evening", 0, 1, "4" },	/* the longest option text */
	{ "saturday evening works", 0, 1, "4" },
	{ "Sunday works for me", 0, 1, "3" },
	/* exactly one number stands in the line */
	{ "1번이요!", 0, 1, "1" },
	{ "Actually 2 please", 0, 1, "2" },
	{ "Actually 2 please", 1, 1, "2" },
	{ "Nejlépe 3, díky", 0, 1, "3" },
	{ "2번", 0, 1, "2" },
	{ "Actually 7 please", 0, -1, "" },
	{ "I'd say 0", 0, -1, "" },
	/* two numbers, or none: not understood */
	{ "1 or 2, I don't mind", 0, 0, "" },
	{ "1번 아니면 2번", 0, 0, "" },
	{ "at 10:30", 0, 0, "" },
	{ "maybe", 0, 0, "" },
	{ "Fridays", 0, 0, "" },
	{ "", 0, 0, "" },
	/* a choice turned around is no choice (each was counted for 2) */
	{ "Not 2", 0, 0, "" },
	{ "2 is not possible for me", 0, 0, "" },
	{ "I can't do 2", 0, 0, "" },
	{ "anything but 2", 0, 0, "" },
	{ "Saturday? No way", 0, 0, "" },
	{ "Sunday, but not Friday", 0, 0, "" },
	{ "2 nemůžu", 0, 0, "" },
	{ "2 geht nicht", 0, 0, "" },
	{ "pas le 2", 0, 0, "" },
	{ "2 ikke", 0, 0, "" },
	{ "не 2", 0, 0, "" },
	{ "όχι 2", 0, 0, "" },
	{ "2번 말고", 0, 0, "" },
	{ "2번은 안 돼요", 0, 0, "" },
	{ "2번 아니에요", 0, 0, "" },
	{ "Saturday, definitely!", 0, 1, "2" },
	{ "SATURDAY evening works", 0, 1, "4" },
};

/*
 * check_choice - line read on a poll of the given options (NULL ends
 * them) names want_n options, want ("1,3", 1-based) when some.
 */
static void
check_choice(const char *const *options, int multiple, const char *line,
    int by_place, int want_n, const char *want)
{
	struct poll p;
	int chosen[POLL_MAX_OPTIONS], n;
	char got[64] = "";

	memset(&p, 0, sizeof(p));
	while (options[p.noptions])
		p.options[p.noptions] = (char *)options[p.noptions], p.noptions++;
	p.multiple = multiple;
	n = poll_parse_choice(line, &p, by_place, chosen);
	for (int i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%d",
		    i ? "," : "", chosen[i] + 1);
	ck_assert_msg(n == want_n && (n <= 0 || !strcmp(got, want)), "'%s': "
	    "got %d '%s', want %d '%s'", line, n, got, want_n, want);
}

START_TEST(test_choice)
{
	static const char *const days[] = { "Friday", "Saturday", "Sunday",
		"Saturday evening", NULL };

	check_choice(days, choice_cases[_i].multiple, choice_cases[_i].line, 0,
	    choice_cases[_i].want_n, choice_cases[_i].want);
}
END_TEST

/*
 * An option's text is read as the archive's search reads it: accents
 * and case aside ("moravsky kras" on a phone without Czech letters).
 */
static const struct {
	const char *line;
	int want_n;
	const char *want;
} folded_cases[] = {
	{ "moravsky kras", 1, "2" },
	{ "Moravský kras", 1, "2" },
	{ "PÁLAVA!", 1, "1" },
	{ "palava je lepsi", 1, "1" },
	{ "σαββατο", 1, "4" },
	{ "moravský", 0, "" },		/* not the whole option */
	{ "Pálava ne", 0, "" },
	{ "No", 1, "5" },		/* an option may say no */
	{ "no, sorry", 1, "5" },
	{ "No preference", 1, "6" },
};

START_TEST(test_choice_folded)
{
	static const char *const places[] = { "Pálava", "Moravský kras",
		"Beskydy", "Σάββατο", "No", "No preference", NULL };

	check_choice(places, 0, folded_cases[_i].line, 0,
	    folded_cases[_i].want_n, folded_cases[_i].want);
}
END_TEST

/*
 * Options that hold numbers: a number in a reply that could be one
 * option's place and another's text is not taken (-3: the member is
 * asked for the option's text); a number no option holds is a place.
 * The command "vote ID N" (by_place) says N is a place.
 */
static const struct {
	const char *line;
	int by_place, want_n;
	const char *want;
} numbered_cases[] = {
	{ "1", 0, 1, "1" },		/* no option says 1: the first */
	{ "2", 0, -3, "" },		/* place 2, or "2 nights"? */
	{ "3", 0, -3, "" },
	{ "4", 0, -3, "" },		/* "4 nights", not a place */
	{ "5", 0, -1, "" },
	{ "Actually 3 please", 0, -3, "" },
	{ "1, 2", 0, -3, "" },
	{ "3 nights", 0, 1, "2" },
	{ "3 nights, thanks!", 0, 1, "2" },
	{ "4 NIGHTS", 0, 1, "3" },
	{ "maybe", 0, 0, "" },
	{ "3", 1, 1, "3" },		/* vote ID 3: the third */
	{ "1, 2", 1, 2, "1,2" },
	{ "4", 1, -1, "" },
};

START_TEST(test_choice_numbered)
{
	static const char *const nights[] = { "2 nights", "3 nights",
		"4 nights", NULL };

	check_choice(nights, 1, numbered_cases[_i].line,
	    numbered_cases[_i].by_place, numbered_cases[_i].want_n,
	    numbered_cases[_i].want);
}
END_TEST

/* An option that is a bare number other than its place is refused: no
 * reply could tell "1" the place from "1" the text. */
START_TEST(test_bare_number_options)
{
	char dir[256], err[256];
	char *guests[] = { "0", "1", "2" }, *ordered[] = { "1", "2", "3+" };
	char *twice[] = { "Beskydy", "Pálava", "beskydy " };
	char *accents[] = { "Řež", "Rez" };
	struct db *db = unit_db(dir, sizeof(dir));
	struct list l;
	int64_t id = 0, sent = 0;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(poll_create(db, &l, "Guests?", guests, 3, 0, 0,
	    1796083200LL, &id, &sent, err, sizeof(err)), KITH_PERM);
	ck_assert_ptr_nonnull(strstr(err, "option 1 is the bare number '0'"));
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM polls",
	    ""), 0);
	ck_assert_int_eq(poll_create(db, &l, "Guests?", ordered, 3, 0, 0,
	    1796083200LL, &id, &sent, err, sizeof(err)), KITH_OK);
	/* options a reply could not tell apart (both were taken, and a
	 * reply naming either counted for the first) */
	ck_assert_int_eq(poll_create(db, &l, "Where?", twice, 3, 0, 0,
	    1796083200LL, &id, &sent, err, sizeof(err)), KITH_PERM);
	ck_assert_msg(strstr(err, "options 1 and 3 ('Beskydy' and 'beskydy ') "
	    "read the same"), "%s", err);
	ck_assert_int_eq(poll_create(db, &l, "Where?", accents, 2, 0, 0,
	    1796083200LL, &id, &sent, err, sizeof(err)), KITH_PERM);
	ck_assert_ptr_nonnull(strstr(err, "options 1 and 2 ('Řež' and 'Rez')"));
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM polls",
	    ""), 1);
	list_release(&l);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/*
 * Votes on one open poll, as a reply's first own line gives them (by
 * mail: the member is told by a notice) and as the 'vote' command gives
 * them (answer: one line for the request's own reply, no notice).
 */
static const struct {
	const char *address, *reply;	/* the whole reply as written */
	int by_command;
	const char *stored;		/* choices on file afterwards, "" none */
	int notices;			/* mails queued by the vote */
	const char *said;		/* in the answer or the notice */
} vote_cases[] = {
	{ "bob@example.org", "2\n\n> 1. Friday\n", 0, "2", 1,
	    "Your answer: 2. Saturday" },
	{ "bob@example.org", "Actually 3 please\n\nOn Tue, Team "
	    "<team@example.org> wrote:\n> 1. Friday\n", 0, "3", 1,
	    "Your answer: 3. Sunday" },
	{ "bob@example.org", "1번이요!", 1, "1", 0,
	    "Done: your vote on poll 1 is 1. Friday" },
	{ "bob@example.org", "1 or 2?", 0, "", 1,
	    "could not tell which option" },
	{ "bob@example.org", "1 or 2?", 1, "", 0,
	    "Not done: Kith could not tell which option" },
	{ "bob@example.org", "9", 1, "", 0,
	    "Not done: that is not one of the options" },
	{ "eve@example.net", "2", 0, "", 1, "only members of the list" },
	{ "eve@example.net", "2", 1, "", 0,
	    "Not done: only members of the list can vote" },
};

START_TEST(test_vote)
{
	char dir[256], err[256], line[512], *opts[] = { "Friday", "Saturday",
		"Sunday" }, *choice, *text;
	struct db *db = unit_db(dir, sizeof(dir));
	struct kith_config cfg;
	struct list l;
	struct outcome answer;
	int64_t id, sent, before;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(config_load(&cfg, "/dev/null", err, sizeof(err)), 0);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(member_add(db, l.id, "bob@example.org", "Bob"),
	    MEMBER_ADDED);
	ck_assert_int_eq(poll_create(db, &l, "When?", opts, 3, 0, 0, now_utc(),
	    &id, &sent, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(id, 1);
	before = db_int(db, 0, NULL, "SELECT count(*) FROM outbox_messages",
	    "");
	outcome_init(&answer);
	/* the reply path reads the first own line; the command its args */
	text = vote_cases[_i].by_command ? xstrdup(vote_cases[_i].reply) :
	    reply_line(vote_cases[_i].reply);
	ck_assert_int_eq(db_begin(db), KITH_OK);
	ck_assert_int_eq(poll_vote(&cfg, db, &l, id, vote_cases[_i].address,
	    text, vote_cases[_i].by_command, now_utc(),
	    vote_cases[_i].by_command ? &answer : NULL, line,
	    sizeof(line)), KITH_OK);
	ck_assert_int_eq(db_commit(db), KITH_OK);
	{
		struct db_stmt *st = db_prepare(db, "SELECT choices FROM "
		    "poll_votes WHERE address=?");

		db_bind(st, "t", vote_cases[_i].address);
		choice = xstrdup(db_step(st) == DB_ROW ?
		    db_col_str(st, 0) : "");
		db_finalize(st);
	}
	ck_assert_msg(!strcmp(choice, vote_cases[_i].stored), "case %d: "
	    "stored '%s', want '%s' (%s)", _i, choice, vote_cases[_i].stored,
	    line);
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT count(*) FROM "
	    "outbox_messages", "") - before, vote_cases[_i].notices);
	if (vote_cases[_i].by_command) {
		char *said = outcome_text(db, &cfg, &l, "en", &answer);

		ck_assert_msg(said && strstr(said, vote_cases[_i].said),
		    "case %d: answer '%s'", _i, said ? said : "(none)");
		free(said);
	} else
		ck_assert_msg(db_int(db, 0, NULL, "SELECT count(*) FROM "
		    "outbox_messages WHERE instr(data, ?)", "t",
		    vote_cases[_i].said) == 1, "case %d: no notice saying '%s'",
		    _i, vote_cases[_i].said);
	free(choice);
	free(text);
	outcome_release(&answer);
	list_release(&l);
	config_release(&cfg);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

Suite *
poll_suite(void)
{
	Suite *s = suite_create("poll");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_choice, 0,
	    (int)(sizeof(choice_cases) / sizeof(choice_cases[0])));
	tcase_add_loop_test(tc, test_choice_folded, 0,
	    (int)(sizeof(folded_cases) / sizeof(folded_cases[0])));
	tcase_add_loop_test(tc, test_choice_numbered, 0,
	    (int)(sizeof(numbered_cases) / sizeof(numbered_cases[0])));
	tcase_add_test(tc, test_bare_number_options);
	tcase_add_loop_test(tc, test_vote, 0,
	    (int)(sizeof(vote_cases) / sizeof(vote_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_texts - every member-facing text is a template that some module
 * registers (texts.c) and that renders: each file under templates/en/
 * is in a table, each table entry is a file, kith check's renders of all
 * of them (every branch) are clean, each kind of results.txt line has
 * its words, and the texts that moved out of C read as C wrote them
 * (the old printf formats are the oracle).
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kith/config.h"
#include "kith/db.h"
#include "kith/lists.h"
#include "kith/notice.h"
#include "kith/outcome.h"
#include "kith/texts.h"
#include "kith/util.h"
#include "unit.h"

#define SHIPPED TEST_DATA_DIR "/../../templates/en"
#define T0 1780304400LL		/* 2026-06-01 09:00:00 UTC */

/* ---- every file registered, every registration a file ---- */

/* 1 when name is in some table, exactly or by "DIR/ *SUFFIX". */
static int
registered(const char *name)
{
	struct texts_table all[TEXTS_TABLES_MAX];
	size_t nall = texts_tables(all, TEXTS_TABLES_MAX);

	for (const struct texts_table *t = all; t < all + nall; t++)
		for (size_t i = 0; i < t->n; i++) {
			const char *s = t->schema[i].name, *star = strchr(s, '*');
			size_t dl, nl = strlen(name), sl;

			if (star == NULL) {
				if (!strcmp(s, name))
					return 1;
				continue;
			}
			dl = (size_t)(star - s);
			sl = strlen(star + 1);
			if (nl > dl + sl && !strncmp(name, s, dl) &&
			    !strchr(name + dl, '/') &&
			    !strcmp(name + nl - sl, star + 1))
				return 1;
		}
	return 0;
}

/* Every text under dir (rel its name so far) not registered, into b. */
static void
walk(const char *dir, const char *rel, struct buf *b, int *files)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((e = readdir(d)) != NULL) {
		char *path, *name;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		name = *rel ? xasprintf("%s/%s", rel, e->d_name) :
		    xstrdup(e->d_name);
		ck_assert_int_eq(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode))
			walk(path, name, b, files);
		else if (strcmp(name, "LANGUAGE") &&
		    strcmp(name, "web/kith.css")) {
			(*files)++;
			if (!registered(name))
				buf_addf(b, " %s", name);
		}
		free(path);
		free(name);
	}
	closedir(d);
}

START_TEST(test_every_text_registered)
{
	struct buf missing;
	int files = 0;

	buf_init(&missing);
	walk(SHIPPED, "", &missing, &files);
	ck_assert_int_gt(files, 100);
	ck_assert_msg(missing.len == 0, "templates/en/ texts that no module "
	    "registers (texts.c):%s", missing.data ? missing.data : "");
	buf_release(&missing);
}
END_TEST

START_TEST(test_every_registration_a_text)
{
	struct buf stale;

	buf_init(&stale);
	struct texts_table all[TEXTS_TABLES_MAX];
	size_t nall = texts_tables(all, TEXTS_TABLES_MAX);

	for (const struct texts_table *t = all; t < all + nall; t++)
		for (size_t i = 0; i < t->n; i++) {
			char *path;
			struct stat st;

			if (strchr(t->schema[i].name, '*'))
				continue;
			path = xasprintf("%s/%s", SHIPPED, t->schema[i].name);
			if (stat(path, &st) < 0)
				buf_addf(&stale, " %s:%s", t->module,
				    t->schema[i].name);
			free(path);
		}
	ck_assert_msg(stale.len == 0, "registered but not shipped:%s",
	    stale.data ? stale.data : "");
	buf_release(&stale);
}
END_TEST

/* ---- a list to render for ---- */

static struct db *db;
static char dir[256];
static struct kith_config cfg;
static struct list team;

static void
setup_list(void)
{
	char err[256];

	db = unit_db(dir, sizeof(dir));
	ck_assert_ptr_nonnull(db);
	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = xstrdup(dir);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", "Walks and talks", err, sizeof(err)),
	    KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &team, err, sizeof(err)),
	    KITH_OK);
}

static void
teardown_list(void)
{
	list_release(&team);
	free(cfg.data_dir);
	db_close(db);
	unit_rmdir(dir);
}

static void
collect(void *ctx, int warning, const char *line)
{
	if (!warning)
		buf_addf(ctx, "\n  %s", line);
}

/* kith check's renders: every table, every branch, every language. */
START_TEST(test_every_text_renders)
{
	struct template_check c;
	struct buf errors;

	setup_list();
	buf_init(&errors);
	memset(&c, 0, sizeof(c));
	c.report = collect;
	c.ctx = &errors;
	texts_check(&cfg, &team, &c);
	template_check_finish(&cfg, &c);
	ck_assert_msg(c.errors == 0, "%d errors:%s", c.errors,
	    errors.data ? errors.data : "");
	template_check_release(&c);
	buf_release(&errors);
	teardown_list();
}
END_TEST

/* ---- results.txt: each kind of line has its words ---- */

/* The yes/no kinds of results.txt's records, and their values. */
static const struct template_field *
result_items(void)
{
	ck_assert_int_eq(outcome_fields[0].type, TEMPLATE_LIST);
	return outcome_fields[0].items;
}

START_TEST(test_every_result_kind_worded)
{
	const struct template_field *items = result_items();
	struct buf unworded;
	int kinds = 0;

	setup_list();
	buf_init(&unworded);
	for (int k = 0; items[k].name; k++) {
		struct outcome o;
		struct tvars *r;
		char *text;

		if (items[k].type != TEMPLATE_BOOL)
			continue;
		kinds++;
		outcome_init(&o);
		r = outcome_add(&o, items[k].name);
		ck_assert(outcome_has(&o, items[k].name));
		/* sample values, the kinds left as outcome_add set them */
		for (int v = 0; items[v].name; v++)
			if (items[v].type != TEMPLATE_BOOL) {
				struct template_field one[2] = { items[v], TF_END };

				template_sample(r, one);
			}
		text = outcome_text(db, &cfg, &team, "en", &o);
		ck_assert_msg(text != NULL, "results.txt fails for '%s'",
		    items[k].name);
		if (*text == '\0' || strstr(text, "{{") ||
		    text[strlen(text) - 1] != '\n')
			buf_addf(&unworded, " %s", items[k].name);
		free(text);
		outcome_release(&o);
	}
	ck_assert_int_gt(kinds, 40);
	ck_assert_msg(unworded.len == 0, "kinds results.txt does not word "
	    "(or words without a line end):%s", unworded.data ?
	    unworded.data : "");
	buf_release(&unworded);
	teardown_list();
}
END_TEST

/*
 * outcome_add appends each kind's yes/no without looking for it first
 * (tv_bool_new): right only while the names are distinct.  A repeated
 * name would leave the record with two values of one name.
 */
START_TEST(test_result_kinds_distinct)
{
	const struct template_field *items = result_items();

	for (int a = 0; items[a].name; a++)
		for (int b = a + 1; items[b].name; b++)
			ck_assert_msg(strcmp(items[a].name, items[b].name),
			    "results kind '%s' named twice", items[a].name);
}
END_TEST

/* ---- what moved out of C reads as C wrote it ---- */

/* text of tmpl in English for team with tv; its subject in *subject. */
static char *
render(const char *tmpl, const struct tvars *tv, char **subject)
{
	struct template_out out;
	char *body;

	ck_assert_int_eq(notice_render(db, &cfg, &team, "en", tmpl, tv, &out),
	    0);
	body = out.body;
	out.body = NULL;
	if (subject) {
		*subject = out.subject ? out.subject : xstrdup("");
		out.subject = NULL;
	}
	template_out_release(&out);
	return body;
}

/*
 * The poll results as poll.c printed them: "  %2zu. %-28s %4lld vote%s
 * %3d%%  " and a bar, then "N of M member(s) voted." (ASCII labels: the
 * template pads by display width, printf by bytes).
 */
START_TEST(test_poll_results_as_before)
{
	static const char *const labels[] = { "Friday", "Saturday",
		"Sunday, if it does not rain" };
	static const long long votes[] = { 1, 2, 0 };
	long long voters = 3, members = 1;
	struct tvars *tv;
	struct tvlist *opts;
	struct buf want;
	char *got;

	setup_list();
	tv = tv_new();
	buf_init(&want);
	tv_int(tv, "poll.id", 4);
	tv_str(tv, "poll.question", "When?");
	tv_bool(tv, "poll.multiple", 0);
	tv_int(tv, "voters", voters);
	tv_int(tv, "members", members);
	opts = tv_list(tv, "options");
	buf_adds(&want, "The poll has closed.\n\nWhen?\n\n");
	for (size_t i = 0; i < 3; i++) {
		struct tvars *o = tv_item(opts);
		int pct = (int)(100 * votes[i] / voters);

		tv_str(o, "label", labels[i]);
		tv_int(o, "votes", votes[i]);
		tv_int(o, "percent", pct);
		tv_int(o, "bar", pct / 5);
		buf_addf(&want, "  %2zu. %-28s %4lld vote%s %3d%%  ", i + 1,
		    labels[i], votes[i], votes[i] == 1 ? " " : "s", pct);
		for (int k = 0; k < pct / 5; k++)
			buf_addc(&want, '#');
		buf_addc(&want, '\n');
	}
	buf_addf(&want, "\n%lld of %lld %s voted.\n", voters, members,
	    plural(members, "member", "members"));
	got = render("poll-results.txt", tv, NULL);
	ck_assert_str_eq(got, want.data);
	free(got);
	buf_release(&want);
	tv_free(tv);
	teardown_list();
}
END_TEST

/* Lines of a request's reply, as requests.c and membership.c wrote them. */
START_TEST(test_result_lines_as_before)
{
	struct outcome o;
	struct tvars *r, *c;
	char *got;

	setup_list();
	outcome_init(&o);
	tv_str(outcome_add(&o, "command"), "line", "index");
	r = outcome_add(&o, "post");
	tv_int(r, "num", 7);
	tv_int(r, "date", T0);
	tv_str(r, "sender", "bob@example.org");
	tv_str(r, "subject", "Hello");
	tv_str(outcome_add(&o, "command"), "line", "vote 1 2");
	r = outcome_add(&o, "voted");
	tv_int(r, "id", 1);
	c = tv_item(tv_list(r, "choices"));
	tv_int(c, "number", 2);
	tv_str(c, "option", "Saturday");
	r = outcome_add(&o, "rsvp_declined");
	tv_str(r, "title", "Run");
	tv_str(r, "day", "2026-12-18");
	tv_str(outcome_add(&o, "joined"), "address", "dora@example.net");
	got = outcome_text(db, &cfg, &team, "en", &o);
	ck_assert_str_eq(got,
	    "> index\n"
	    "    #7     2026-06-01  bob@example.org              Hello\n"
	    "> vote 1 2\n"
	    "    Done: your vote on poll 1 is 2. Saturday.\n"
	    "    Done: you are not coming to Run on 2026-12-18.\n"
	    "    dora@example.net is now a member of team@example.org.\n");
	free(got);
	outcome_release(&o);
	teardown_list();
}
END_TEST

/* Subjects that C wrote, now each template's first line. */
static const struct {
	const char *tmpl, *set, *want;
} subjects[] = {
	{ "request-reply.txt", "reply_subject=Re: set digest daily",
	  "Re: set digest daily" },
	{ "request-reply.txt", "reply_subject=", "Your request to "
	  "team@example.org" },
	{ "request-reply.txt", "confirmation=1", "Your confirmation for "
	  "team@example.org" },
	{ "confirm.txt", "join=1", "Please confirm: join the list" },
	{ "confirm.txt", "leave=1", "Please confirm: leave the list" },
	{ "confirm.txt", "rsvp=1", "Please confirm: answer \"yes\" to the "
	  "invitation to Hike (Mon 1 Jun 2026, 09:00 UTC)" },
	{ "confirm.txt", "other=1", "Please confirm: your request" },
	{ "confirm.txt", "move=1", "Please confirm: move your membership to "
	    "this address" },
	{ "moved.txt", "to=dora@example.org", "Your membership of Team moved "
	    "to dora@example.org" },
	{ "move-taken.txt", "", "Nothing moved to this address on Team" },
	{ "banned.txt", "request=yes", "Your request to team@example.org" },
	{ "banned.txt", "request=", "Your message to team@example.org was "
	  "not posted" },
	{ "welcome.txt", "", "Welcome to Team" },
	{ "owner-join.txt", "", "dora@example.net joined Team" },
	{ "held-moderator.txt", "", "Held for team@example.org: Hello" },
	{ "poll.txt", "", "Poll: When?" },
	{ "poll-results.txt", "", "Poll results: When?" },
	{ "digest/subject.txt", "", "Team Digest, Vol 1, Issue 2" },
};

START_TEST(test_subjects_as_before)
{
	struct tvars *tv = tv_new();
	char *subject, *body, *set = xstrdup(subjects[_i].set), *eq;

	setup_list();
	tv_str(tv, "member.address", "dora@example.net");
	tv_str(tv, "member.name", "Dora");
	tv_str(tv, "member", "Dora <dora@example.net>");
	tv_str(tv, "subject", "Hello");
	tv_str(tv, "poll.question", "When?");
	tv_int(tv, "volume", 1);
	tv_int(tv, "issue", 2);
	tv_str(tv, "reply_subject", "");
	tv_str(tv, "request", "");
	tv_str(tv, "event.title", "Hike");
	tv_int(tv, "event.time", T0);
	tv_bool(tv, "event.series", 0);
	tv_bool(tv, "rsvp.yes", 1);
	tv_bool(tv, "rsvp.no", 0);
	tv_bool(tv, "rsvp.maybe", 0);
	tv_bool(tv, "confirmation", 0);
	tv_bool(tv, "join", 0);
	tv_bool(tv, "leave", 0);
	tv_bool(tv, "move", 0);
	tv_bool(tv, "rsvp", 0);
	tv_bool(tv, "other", 0);
	if ((eq = strchr(set, '=')) != NULL) {
		*eq = '\0';
		if (!strcmp(eq + 1, "1"))
			tv_bool(tv, set, 1);
		else
			tv_str(tv, set, eq + 1);
	}
	/* the bodies need more values: sample ones, under ours */
	{
		struct tvars *more = tv_new();
		struct texts_table all[TEXTS_TABLES_MAX];
		size_t nall = texts_tables(all, TEXTS_TABLES_MAX);

		for (const struct texts_table *t = all; t < all + nall; t++)
			for (size_t i = 0; i < t->n; i++)
				if (!strcmp(t->schema[i].name, subjects[_i].tmpl))
					template_sample(more, t->schema[i].fields);
		tv_inherit(tv, more);
		body = render(subjects[_i].tmpl, tv, &subject);
		tv_free(more);
	}
	ck_assert_msg(!strcmp(subject, subjects[_i].want), "%s (%s): subject "
	    "'%s', want '%s'", subjects[_i].tmpl, subjects[_i].set, subject,
	    subjects[_i].want);
	free(subject);
	free(body);
	free(set);
	tv_free(tv);
	teardown_list();
}
END_TEST

/*
 * A translation is a folder: the site's templates/cs/poll-reason.txt is
 * what a Czech reader gets, with no change in C, and English stays for
 * the others.
 */
START_TEST(test_translation_is_a_folder)
{
	static const char czech[] = "{{#if closed}}\nhlasování je uzavřené\n"
	    "{{/if}}\n";
	struct tvars *tv = tv_new();
	char *path, *cs, *en;

	setup_list();
	path = xasprintf("%s/templates/cs", dir);
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	free(path);
	path = xasprintf("%s/templates/cs/poll-reason.txt", dir);
	ck_assert_int_eq(file_write_atomic(path, czech, strlen(czech), 0644),
	    0);
	free(path);
	tv_bool(tv, "closed", 1);
	tv_bool(tv, "no_poll", 0);
	tv_bool(tv, "not_member", 0);
	tv_bool(tv, "one_answer", 0);
	tv_bool(tv, "not_option", 0);
	tv_bool(tv, "unclear", 0);
	tv_bool(tv, "ambiguous", 0);
	cs = notice_text(db, &cfg, &team, "cs", "poll-reason.txt", tv);
	en = notice_text(db, &cfg, &team, "en", "poll-reason.txt", tv);
	ck_assert_ptr_nonnull(cs);
	ck_assert_ptr_nonnull(en);
	ck_assert_str_eq(cs, "hlasování je uzavřené\n");
	ck_assert_str_eq(en, "the poll is closed\n");
	free(cs);
	free(en);
	tv_free(tv);
	teardown_list();
}
END_TEST

Suite *
texts_suite(void)
{
	Suite *s = suite_create("texts");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_every_text_registered);
	tcase_add_test(tc, test_every_registration_a_text);
	tcase_add_test(tc, test_every_text_renders);
	tcase_add_test(tc, test_every_result_kind_worded);
	tcase_add_test(tc, test_result_kinds_distinct);
	tcase_add_test(tc, test_poll_results_as_before);
	tcase_add_test(tc, test_result_lines_as_before);
	tcase_add_loop_test(tc, test_subjects_as_before, 0,
	    (int)(sizeof(subjects) / sizeof(subjects[0])));
	tcase_add_test(tc, test_translation_is_a_folder);
	suite_add_tcase(s, tc);
	return s;
}
